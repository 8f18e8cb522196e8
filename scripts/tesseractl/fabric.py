# The fabric (net/fabric/, built as <build>/fabric): the switch every VM's
# NIC plugs into. This module starts it for `tessera up`, talks to its
# control socket (line protocol, docs/fabric.md) and runs `tessera fault`.
import os
import socket
import sys
import time

from . import qemu

SUBDIR = "fabric"               # <run>/fabric: the fabric's sockets
CONTROL = "control.sock"
READY_TIMEOUT = 10.0            # s for a new fabric's control socket to answer
REPLY_TIMEOUT = 10.0            # s for one reply
SUN_PATH_MAX = 107              # sockaddr_un.sun_path, less the NUL


class FabricError(Exception):
    """No fabric answers (not running, or gone): str() says where."""


def binary(build_dir):
    return os.path.join(build_dir, "fabric")


def fabric_dir(run_dir):
    return os.path.join(run_dir, SUBDIR)


def argv(build_dir, run_dir, cluster):
    cmd = [binary(build_dir), "--dir", fabric_dir(run_dir),
           "--seed", str(cluster.seed)]
    for member in cluster.members():
        cmd += ["--port", f"{member.name}={member.mac}"]
    return cmd


def nic_args(node, mtu):
    """QEMU's NIC for a node: virtio-net on a unix dgram netdev, offering the
    cluster's MTU to the driver. The socket paths are relative: QEMU runs in
    <run>/fabric (sun_path is short)."""
    return [
        "-netdev", f"dgram,id=n0,local.type=unix,"
        f"local.path={node.name}.peer.sock,remote.type=unix,"
        f"remote.path={node.name}.sock",
        "-device", f"virtio-net-pci,netdev=n0,mac={node.mac},"
        f"disable-legacy=on,host_mtu={mtu}",
    ]


def remove_sockets(directory):
    """Drop socket files a dead cluster left in <run>/fabric."""
    os.makedirs(directory, exist_ok=True)
    for entry in os.listdir(directory):
        if entry.endswith(".sock"):
            try:
                os.unlink(os.path.join(directory, entry))
            except FileNotFoundError:
                pass


def connect(directory, timeout=REPLY_TIMEOUT):
    """A stream socket connected to directory/control.sock. A path too long
    for sun_path is reached through /proc/self/fd/<dir fd>."""
    path = os.path.join(directory, CONTROL)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    dfd = None
    try:
        if len(os.fsencode(path)) > SUN_PATH_MAX:
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            path = f"/proc/self/fd/{dfd}/{CONTROL}"
        s.connect(path)
    except OSError as e:
        s.close()
        raise FabricError(f"no fabric answers on {shown(directory)}/"
                          f"{CONTROL}: {e.strerror or e}") from None
    finally:
        if dfd is not None:
            os.close(dfd)
    return s


def is_status(line):
    return line == "ok" or line.startswith(("ok ", "error"))


def request(sock, line):
    """Send one command; return its reply's lines, the status line last."""
    sock.sendall(line.encode() + b"\n")
    lines, buf = [], b""
    while True:
        data = sock.recv(65536)
        if not data:
            raise FabricError("the fabric closed the connection")
        buf += data
        *done, buf = buf.split(b"\n")
        for raw in done:
            lines.append(raw.decode("utf-8", "replace"))
            if is_status(lines[-1]):
                return lines


def command(directory, line, timeout=REPLY_TIMEOUT):
    """Connect, run one command, return its reply lines."""
    with connect(directory, timeout) as s:
        try:
            return request(s, line)
        except OSError as e:
            raise FabricError(f"fabric: {e.strerror or e}") from None


def shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class Fabric:
    """The cluster's fabric process, tied to the launcher like the VMs."""

    def __init__(self, build_dir, run_dir, cluster):
        self.dir = fabric_dir(run_dir)
        self.log_path = os.path.join(run_dir, "fabric.log")
        self.pid_path = os.path.join(run_dir, "fabric.pid")
        self.cmd = argv(build_dir, run_dir, cluster)
        self.proc = None

    def start(self):
        remove_sockets(self.dir)
        self.proc = qemu.spawn(self.cmd, self.log_path)
        with open(self.pid_path, "w") as f:
            f.write(f"{self.proc.pid}\n")

    def wait_ready(self, sigs, poll=0.02):
        """Return None once the control socket answers, else why not."""
        end = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < end and not sigs.signum:
            if self.proc.poll() is not None:
                return f"exited with status {self.proc.returncode}"
            try:
                if command(self.dir, "ping", timeout=2.0)[-1] == "ok pong":
                    return None
            except FabricError:
                pass
            time.sleep(poll)
        if sigs.signum:
            return "interrupted"
        return f"control socket silent for {READY_TIMEOUT:g} s"

    def check(self):
        """Why the fabric is gone, or None while it runs."""
        status = self.proc.poll()
        if status is None:
            return None
        return f"fabric exited with status {status}"

    def stop(self):
        if self.proc:
            qemu.stop_all([self.proc])
        try:
            os.unlink(self.pid_path)
        except FileNotFoundError:
            pass


def fault_main(run_dir, words):
    """`tessera fault WORDS...`: 0 on an ok reply, 1 on error, 2 when no
    fabric runs in run_dir. No words: the fabric's command list."""
    words = list(words) or ["help"]
    if words[:2] == ["pcap", "start"] and len(words) == 3:
        words[2] = os.path.abspath(words[2])    # the fabric's cwd differs
    try:
        lines = command(fabric_dir(run_dir), " ".join(words))
    except FabricError as e:
        print(f"tessera: {e}; is a cluster up with --run-dir "
              f"{shown(run_dir)}?", file=sys.stderr)
        return 2
    if lines[-1].startswith("error"):
        print(*lines[:-1], sep="\n", end="\n" if lines[:-1] else "")
        print(f"tessera: fabric: {lines[-1]}", file=sys.stderr)
        return 1
    print(*lines, sep="\n")
    return 0
