"""A Linux guest under QEMU, the baseline that make bench sets beside Tessera:
the same static binary, the same QEMU, accelerator and CPU model as the cluster's
nodes (scripts/tesseractl/qemu.py), one vCPU.

Built from Debian packages only, never installed on the host: `apt-get download`
fetches linux-image-cloud-amd64 and the kernel package it names, `dpkg -x`
unpacks its vmlinuz and lib/modules/ into build/bench/linux/ (kept there: the
network is needed once); the initramfs is busybox (busybox-static's
/bin/busybox) and an /init written here, as a newc cpio made by this module (so
/dev/console needs no root and no cpio tool). Each boot appends a second cpio with the run's files and its
/run.sh; /init runs that script with stdout and stderr to files, prints them
between markers on the serial line, and powers off.

    import linux_guest
    out = linux_guest.run_static("build/user/procbench", ["50", "10"])
    res = linux_guest.boot("exec /bench/x 1", files={"/bench/x": "build/user/x"},
                           memory_mib=128)    # res.stdout, res.stderr, res.status
    res = linux_guest.boot(script, files, modules=["virtio_pci", "virtio_blk"],
                           qemu_args=qemu.disk_args("disk.img"))   # a disk, its driver

or by hand: python3 tests/bench/linux_guest.py [--memory MIB] BINARY [ARG...]

Every failure (no network, apt, QEMU, the guest) is a GuestError with a message
meant for a person. No QEMU outlives a call: it is killed by PID in a finally,
and tied to this process with PR_SET_PDEATHSIG (tesseractl.qemu.spawn)."""
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True          # keep scripts/ free of __pycache__
sys.path.append(os.path.join(ROOT, "scripts"))
from tesseractl import qemu  # noqa: E402

CACHE = os.path.join(ROOT, "build", "bench", "linux")
META_PACKAGE = "linux-image-cloud-amd64"
BUSYBOX = "/bin/busybox"
APPEND = "console=ttyS0 quiet panic=-1"
MEMORY_MIB = 256
TIMEOUT = 900           # seconds for one boot, program included
POWEROFF_GRACE = 15     # seconds QEMU may take to exit after the last marker

READY, OUT, ERR, DONE = "@@guest-ready@@", "@@guest-out@@", "@@guest-err@@", "@@guest-done@@"

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
dmesg -n 1
echo "{READY} $(cut -d' ' -f1 /proc/uptime)"
cd /
sh /run.sh >/tmp/out 2>/tmp/err
status=$?
echo "{OUT}"
cat /tmp/out
echo "{ERR}"
cat /tmp/err
echo "{DONE} status=$status"
poweroff -f
"""


class GuestError(Exception):
    pass


@dataclass
class Result:
    stdout: str
    stderr: str
    status: int
    boot_s: float       # host seconds from QEMU's start to /init's first line
    total_s: float      # host seconds from QEMU's start to its exit
    accel: str


# --- the kernel ---------------------------------------------------------------

def _apt_download(spec, where):
    """apt-get download spec into where; the .deb's path."""
    if not shutil.which("apt-get"):
        raise GuestError("apt-get not found: the Linux baseline is built from Debian "
                         f"packages ({META_PACKAGE})")
    try:
        out = subprocess.run(["apt-get", "download", "-q", spec], cwd=where,
                             capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise GuestError(f"apt-get download {spec}: no answer in 600 s "
                         "(is the network up?)") from None
    debs = glob.glob(os.path.join(where, spec.split("=")[0] + "_*.deb"))
    if out.returncode != 0 or not debs:
        errors = [l for l in out.stderr.splitlines() if l.startswith("E:")]
        why = "; ".join(errors) or out.stderr.strip() or f"status {out.returncode}"
        raise GuestError(
            f"cannot download the Debian package {spec} ({why}). The Linux baseline "
            "needs Debian's package mirror once, then keeps the kernel in "
            f"{os.path.relpath(CACHE)}/; check the network, or run "
            "`apt-get update` if the package is unknown")
    return debs[0]


def _deb_field(deb, field):
    out = subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True, text=True)
    if out.returncode != 0:
        raise GuestError(f"dpkg-deb -f {os.path.basename(deb)} {field}: {out.stderr.strip()}")
    return out.stdout.strip()


def _kernel_package(meta_deb):
    """(name, version) of the kernel package the metapackage depends on."""
    for dep in _deb_field(meta_deb, "Depends").split(","):
        first = dep.split("|")[0].strip()
        name = first.split()[0] if first else ""
        if name.startswith("linux-image-"):
            version = first.split("(=", 1)[1].rstrip(") ").strip() if "(=" in first else ""
            return name, version
    raise GuestError(f"{os.path.basename(meta_deb)} names no linux-image- package")


def _unpack(spec, tmp):
    """apt-get download spec into tmp and dpkg -x it: (the .deb, the unpacked tree)."""
    deb = _apt_download(spec, tmp)
    tree = os.path.join(tmp, "tree")
    out = subprocess.run(["dpkg", "-x", deb, tree], capture_output=True, text=True)
    if out.returncode != 0:
        raise GuestError(f"dpkg -x {os.path.basename(deb)}: {out.stderr.strip()}")
    return deb, tree


def _keep_modules(tree):
    """Copy the kernel package's lib/modules/RELEASE/ trees into CACHE/modules/."""
    for src in glob.glob(os.path.join(tree, "lib", "modules", "*")):
        dst = os.path.join(CACHE, "modules", os.path.basename(src))
        if not os.path.isdir(dst):
            shutil.rmtree(dst + ".tmp", ignore_errors=True)
            shutil.copytree(src, dst + ".tmp", symlinks=True)
            os.replace(dst + ".tmp", dst)


def kernel():
    """build/bench/linux/vmlinuz-*, downloaded and unpacked the first time (with
    its modules, kept in build/bench/linux/modules/); also returns the package it
    came from, 'name version'."""
    stamp = os.path.join(CACHE, "kernel.json")
    try:
        with open(stamp) as f:
            k = json.load(f)
        if os.path.exists(os.path.join(CACHE, k["vmlinuz"])):
            return os.path.join(CACHE, k["vmlinuz"]), f"{k['package']} {k['version']}"
    except (OSError, ValueError, KeyError):
        pass
    os.makedirs(CACHE, exist_ok=True)
    print(f"linux guest: fetching {META_PACKAGE} and its kernel (once, into "
          f"{os.path.relpath(CACHE)}/)", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="download-") as tmp:
        os.chmod(tmp, 0o755)
        name, version = _kernel_package(_apt_download(META_PACKAGE, tmp))
        deb, tree = _unpack(f"{name}={version}" if version else name, tmp)
        version = version or _deb_field(deb, "Version")
        images = sorted(glob.glob(os.path.join(tree, "boot", "vmlinuz-*")))
        if not images:
            raise GuestError(f"dpkg -x {os.path.basename(deb)}: no boot/vmlinuz-*")
        vmlinuz = os.path.basename(images[-1])
        shutil.copy(images[-1], os.path.join(CACHE, vmlinuz))
        for config in glob.glob(os.path.join(tree, "boot", "config-*")):
            shutil.copy(config, CACHE)
        _keep_modules(tree)
    with open(stamp, "w") as f:
        json.dump({"package": name, "version": version, "vmlinuz": vmlinuz}, f, indent=2)
    return kernel()


# --- its modules --------------------------------------------------------------

def module_tree():
    """build/bench/linux/modules/RELEASE/, the kernel package's lib/modules tree.
    A cache made before modules were kept gets them now: the same package
    version is downloaded again."""
    vmlinuz, package = kernel()
    release = os.path.basename(vmlinuz)[len("vmlinuz-"):]
    path = os.path.join(CACHE, "modules", release)
    if not os.path.isdir(path):
        print(f"linux guest: fetching {package}'s modules (once, into "
              f"{os.path.relpath(os.path.dirname(path))}/)", file=sys.stderr)
        with tempfile.TemporaryDirectory(dir=CACHE, prefix="download-") as tmp:
            os.chmod(tmp, 0o755)
            _keep_modules(_unpack("=".join(package.split()), tmp)[1])
    if not os.path.isdir(path):
        raise GuestError(f"{package} holds no lib/modules/{release}/")
    return path


def _modinfo_depends(ko):
    """The module names in the depends= entry of a .ko's .modinfo section (what
    depmod turns into modules.dep, which the package does not ship)."""
    with open(ko, "rb") as f:
        elf = f.read()
    u16 = lambda o: int.from_bytes(elf[o:o + 2], "little")
    u64 = lambda o: int.from_bytes(elf[o:o + 8], "little")
    shoff, shentsize, shnum, shstrndx = u64(0x28), u16(0x3a), u16(0x3c), u16(0x3e)
    sections = [shoff + i * shentsize for i in range(shnum)]
    names = u64(sections[shstrndx] + 0x18)
    for sh in sections:
        name_at = names + int.from_bytes(elf[sh:sh + 4], "little")
        if elf[name_at:elf.index(b"\0", name_at)] == b".modinfo":
            info = elf[u64(sh + 0x18):u64(sh + 0x18) + u64(sh + 0x20)]
            for entry in info.split(b"\0"):
                if entry.startswith(b"depends="):
                    return [d for d in entry[8:].decode().split(",") if d]
    return []


def module_files(names):
    """Host paths of the .ko files that loading names takes, each after the
    modules it depends on (insmod order). Modules built into the kernel
    (modules.builtin) need no file and are left out; an unknown name is a
    GuestError."""
    tree = module_tree()
    norm = lambda n: n.replace("-", "_")
    found = {norm(os.path.basename(p)[:-3]): p
             for p in glob.glob(os.path.join(tree, "kernel", "**", "*.ko"), recursive=True)}
    with open(os.path.join(tree, "modules.builtin")) as f:
        builtin = {norm(os.path.basename(l.strip())[:-3]) for l in f if l.strip()}
    order = []

    def visit(name):
        name = norm(name)
        if name in builtin or found.get(name) in order:
            return
        if name not in found:
            raise GuestError(f"no module {name} in {os.path.relpath(tree)}")
        for dep in _modinfo_depends(found[name]):
            visit(dep)
        order.append(found[name])

    for n in names:
        visit(n)
    return order


# --- the initramfs ------------------------------------------------------------

class Cpio:
    """A newc ("070701") archive, as the kernel's initramfs unpacker reads it."""

    def __init__(self, first_ino=1):
        self.data = bytearray()
        self.ino = first_ino

    def _entry(self, name, mode, body=b"", rdev=(0, 0), nlink=1):
        name = name.lstrip("/").encode() + b"\0"
        fields = (self.ino, mode, 0, 0, nlink, 0, len(body), 0, 0, rdev[0], rdev[1],
                  len(name), 0)
        self.ino += 1
        self.data += b"070701" + b"".join(b"%08x" % v for v in fields) + name
        self.data += b"\0" * (-len(self.data) % 4) + body
        self.data += b"\0" * (-len(self.data) % 4)

    def dir(self, name):
        self._entry(name, 0o040755, nlink=2)

    def file(self, name, body, mode=0o755):
        self._entry(name, 0o100000 | mode, body)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def close(self):
        self.ino = 0
        self._entry("TRAILER!!!", 0)
        return bytes(self.data)


def _is_static(path):
    """True when the ELF at path has no PT_INTERP (a static program)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        phoff = int.from_bytes(head[32:40], "little")
        phentsize = int.from_bytes(head[54:56], "little")
        phnum = int.from_bytes(head[56:58], "little")
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(int.from_bytes(table[i:i + 4], "little") != 3
               for i in range(0, len(table), phentsize))


def base_initramfs():
    """build/bench/linux/base.cpio: busybox, /dev's first nodes and /init; made
    again when busybox or this file is newer."""
    path = os.path.join(CACHE, "base.cpio")
    if not os.path.exists(BUSYBOX) or not _is_static(BUSYBOX):
        raise GuestError(f"{BUSYBOX} is missing or not static: install busybox-static "
                         "(scripts/deps)")
    sources = (BUSYBOX, os.path.abspath(__file__))
    if os.path.exists(path) and \
            os.path.getmtime(path) > max(os.path.getmtime(s) for s in sources):
        return path
    os.makedirs(CACHE, exist_ok=True)
    a = Cpio()
    for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys",
              "tmp", "etc", "root", "bench"):
        a.dir(d)
    a.chardev("dev/console", 5, 1)
    a.chardev("dev/null", 1, 3)
    a.chardev("dev/ttyS0", 4, 64)
    with open(BUSYBOX, "rb") as f:
        a.file("bin/busybox", f.read())
    a.symlink("bin/sh", "busybox")
    a.file("init", INIT.encode())
    with open(path + ".tmp", "wb") as f:
        f.write(a.close())
    os.replace(path + ".tmp", path)
    return path


def prepare():
    """The kernel and the base initramfs, cached: (vmlinuz, base.cpio, kernel package)."""
    vmlinuz, package = kernel()
    return vmlinuz, base_initramfs(), package


# --- booting ------------------------------------------------------------------

def _section(log, start, end):
    text = log.split(start + "\n", 1)[1] if start + "\n" in log else ""
    return text.split(end, 1)[0]


def _tail(text, lines=25):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _with_modules(script, files, modules):
    """(script, files) with the modules' .ko files (dependencies included) in
    /lib/modules/ and the script preceded by their insmod, in order."""
    kos = module_files(modules)
    if not kos:
        return script, files
    files = {**(files or {}), **{"/lib/modules/" + os.path.basename(k): k for k in kos}}
    load = "".join(f"insmod /lib/modules/{os.path.basename(k)} || "
                   f"{{ echo 'insmod {os.path.basename(k)} failed' >&2; exit 1; }}\n"
                   for k in kos)
    return load + script, files


def boot(script, files=None, memory_mib=MEMORY_MIB, accel=None, append="",
         timeout=TIMEOUT, modules=(), qemu_args=()):
    """Boot the guest, run script (busybox sh) as /run.sh, return its Result.
    files maps a guest path to a host path or to bytes (mode 0755); their
    directories are made. modules names kernel modules of the guest's package
    to insmod first, with those they depend on (module_files). qemu_args go at
    the end of QEMU's command line: devices, such as qemu.disk_args(image)."""
    script, files = _with_modules(script, files, modules)
    vmlinuz, base, _ = prepare()
    accel = accel or qemu.choose_accel("auto")[0]
    if not qemu.find_qemu():
        raise GuestError(f"{qemu.QEMU} not found (scripts/deps installs it)")
    extra = Cpio(first_ino=1 << 20)
    dirs = set()
    for guest in sorted(files or {}):
        parent = os.path.dirname(guest.strip("/"))
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = os.path.dirname(parent)
    for d in sorted(dirs):
        extra.dir(d)
    for guest, src in sorted((files or {}).items()):
        if isinstance(src, (bytes, bytearray)):
            extra.file(guest, bytes(src))
        else:
            with open(src, "rb") as f:
                extra.file(guest, f.read())
    extra.file("run.sh", script.encode())

    with tempfile.TemporaryDirectory(prefix="linux-guest-") as tmp:
        initrd = os.path.join(tmp, "initrd.cpio")
        with open(base, "rb") as f, open(initrd, "wb") as out:
            shutil.copyfileobj(f, out)
            out.write(extra.close())
        serial = os.path.join(tmp, "serial.log")
        cmd = [qemu.QEMU, "-machine", "pc", "-accel", accel,
               "-cpu", "host" if accel == "kvm" else "max",     # as qemu.argv does
               "-smp", "1", "-m", str(memory_mib),
               "-nodefaults", "-display", "none", "-no-reboot",
               "-serial", f"file:{serial}",
               "-kernel", vmlinuz, "-initrd", initrd,
               "-append", f"{APPEND} {append}".strip(), *qemu_args]
        start = time.monotonic()
        ready_at = done_at = None
        proc = qemu.spawn(cmd, os.path.join(tmp, "qemu.stderr"))
        try:
            while proc.poll() is None:
                now = time.monotonic()
                log = _read(serial)
                if ready_at is None and READY in log:
                    ready_at = now
                if done_at is None and DONE in log:
                    done_at = now
                if done_at is not None and now - done_at > POWEROFF_GRACE:
                    break           # powered off in all but name: stop it below
                if now - start > timeout:
                    raise GuestError(f"the guest did not finish in {timeout} s; its "
                                     f"serial console ended:\n{_tail(log.replace(chr(13), ''))}")
                time.sleep(0.1)
            total = time.monotonic() - start
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        log = _read(serial).replace("\r", "")
        shutil.copy(serial, os.path.join(CACHE, "last-serial.log"))
        if DONE not in log:
            stderr = _read(os.path.join(tmp, "qemu.stderr")).strip()
            raise GuestError(f"the guest stopped before its program finished (QEMU "
                             f"status {proc.returncode}{'; ' + stderr if stderr else ''}); "
                             f"its serial console ended:\n{_tail(log)}")
    status = int(log.split(DONE + " status=", 1)[1].split()[0])
    return Result(_section(log, OUT, ERR + "\n"), _section(log, ERR, DONE), status,
                  (ready_at or start) - start, total, accel)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def run_static(binary, args=(), memory_mib=MEMORY_MIB, accel=None, files=None,
               timeout=TIMEOUT, result=False):
    """Run a static binary in the guest with args; its stdout (or, with result,
    the whole Result). A nonzero exit status is a GuestError."""
    if not _is_static(binary):
        raise GuestError(f"{binary}: not a static x86-64 ELF program")
    guest = "/bench/" + os.path.basename(binary)
    script = "exec " + " ".join(shlex.quote(str(a)) for a in [guest, *args]) + "\n"
    res = boot(script, {**(files or {}), guest: binary}, memory_mib, accel,
               timeout=timeout)
    if res.status != 0:
        raise GuestError(f"{os.path.basename(binary)} exited with status {res.status} "
                         f"in the guest:\n{res.stderr.strip()}")
    return res if result else res.stdout


def main(argv):
    memory = MEMORY_MIB
    if argv[:1] == ["--memory"] and len(argv) > 1:
        memory, argv = int(argv[1]), argv[2:]
    if not argv:
        sys.exit("usage: linux_guest.py [--memory MIB] BINARY [ARG...]")
    try:
        res = run_static(argv[0], argv[1:], memory, result=True)
    except GuestError as e:
        sys.exit(f"linux guest: {e}")
    sys.stdout.write(res.stdout)
    print(f"linux guest ({prepare()[2]}, accel={res.accel}, 1 vCPU, {memory} MiB): "
          f"/init after {res.boot_s:.1f} s, QEMU exited after {res.total_s:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
