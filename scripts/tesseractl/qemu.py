# Starting and stopping one QEMU per node (and the fabric, the same way),
# and each smon's disk image. Every child is tied to the launcher's life:
# PR_SET_PDEATHSIG kills it if the launcher dies for any reason, and
# stop_all() tears the rest down.
import ctypes
import os
import shutil
import signal
import subprocess
import time

from . import nodecfg

QEMU = "qemu-system-x86_64"
PR_SET_PDEATHSIG = 1
STOP_GRACE = 3.0        # seconds between SIGTERM and SIGKILL

# Loaded here, not in the forked child, so the child only makes the syscall.
_libc = ctypes.CDLL(None, use_errno=True)


def choose_accel(forced):
    """Return (accel, reason). KVM only when the CPU has vmx/svm and /dev/kvm
    opens read-write; the topology's accel key overrides the probe."""
    if forced != "auto":
        return forced, "forced by [cluster] accel"
    if not cpu_has_virt():
        return "tcg", "no vmx/svm in /proc/cpuinfo"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
    except OSError as e:
        return "tcg", f"/dev/kvm: {e.strerror}"
    return "kvm", "vmx/svm in /proc/cpuinfo and /dev/kvm opens"


def cpu_has_virt():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return "vmx" in flags or "svm" in flags
    except OSError:
        pass
    return False


def find_qemu():
    return shutil.which(QEMU)


def argv(node, accel, iso, cfg, log, disk=None):
    """The node's QEMU command line; disk is the image file of an smon."""
    cpu = "host" if accel == "kvm" else "max"
    return [
        QEMU, "-machine", "pc", "-accel", accel, "-cpu", cpu,
        "-smp", str(node.vcpus), "-m", str(node.memory),
        "-nodefaults", "-display", "none", "-no-reboot",
        "-serial", f"file:{log}",
        # The QEMU monitor, for a look inside a stuck node: `info registers -a`.
        "-monitor", f"unix:{log[:-len('.log')]}.mon,server=on,wait=off",
        "-cdrom", iso, "-boot", "d",
        "-fw_cfg", f"name={nodecfg.FW_CFG_NAME},file={cfg}",
    ] + disk_args(disk)


# cache=writeback: QEMU writes through the host page cache, tells the guest
# its disk has a volatile write cache (so the guest negotiates
# VIRTIO_BLK_F_FLUSH) and turns each guest flush into fdatasync. A write the
# guest flushed is thus on the host's disk, and even a completed but
# unflushed one is in the host page cache, which a kill -9 of QEMU cannot
# lose. (cache=unsafe would drop the flushes; cache=none needs O_DIRECT,
# which tmpfs run dirs refuse; writethrough syncs every write.)
def disk_args(disk):
    if disk is None:
        return []
    path = disk.replace(",", ",,")      # QEMU's escape for a comma
    return ["-drive", f"file={path},if=none,id=disk0,format=raw,cache=writeback",
            "-device", "virtio-blk-pci,drive=disk0,disable-legacy=on"]


def prepare_disk(path, mib):
    """Make sure the disk image at path exists: created sparse with mib MiB
    when missing; an existing file is used as it is, never truncated or
    grown. Return (its size in bytes, whether it was created). OSError if
    it cannot be opened read-write."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                     0o644)
        created = True
    except FileExistsError:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        created = False
    try:
        if created:
            os.ftruncate(fd, mib << 20)
        return os.fstat(fd).st_size, created
    finally:
        os.close(fd)


def _tie_to_parent(parent_pid):
    # Runs in the child between fork and exec. If the launcher died before the
    # prctl took effect, no signal will ever come: exit instead.
    def preexec():
        if _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(126)
        if os.getppid() != parent_pid:
            os._exit(126)
    return preexec


def spawn(cmd, stderr_path, cwd=None):
    """Start cmd in its own process group (so a terminal's Ctrl-C reaches only
    the launcher, which then stops the VMs in order) with stdout/stderr going
    to stderr_path, in directory cwd (default: the launcher's)."""
    with open(stderr_path, "wb") as err:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err,
                                stderr=subprocess.STDOUT, process_group=0,
                                cwd=cwd,
                                preexec_fn=_tie_to_parent(os.getpid()))


def stop_all(procs):
    """SIGTERM every live process, wait up to STOP_GRACE s, SIGKILL the rest,
    and reap all of them."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
