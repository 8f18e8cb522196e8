# Shared fixtures for the integration suite, which boots real clusters in QEMU
# through scripts/tessera. Each test gets a fresh run dir; when a test fails,
# the tail of every serial log in it is attached to the failure report.
# TESSERA_BUILD_DIR points the suite at other images (default: build/).
# The fabric's host tests (test_fabric*.py) use FabricProc and Endpoint below.
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
TESSERA = REPO / "scripts" / "tessera"
PYTHON = "/usr/bin/python3"
BUILD = pathlib.Path(os.environ.get("TESSERA_BUILD_DIR", REPO / "build"))
ROLES = ("gmon", "pmon", "mmon", "smon")
LAUNCH_TIMEOUT = 240    # s: boot_timeout (60) per node, 2 host cores, slack
LOG_TAIL = 30

sys.path.insert(0, str(REPO / "scripts"))
sys.dont_write_bytecode = True

from tesseractl import fabric as launcher_fabric  # noqa: E402


@pytest.fixture
def run_dir(tmp_path):
    """A run dir the launcher has not created yet (it must mkdir it)."""
    return tmp_path / "run"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    run = getattr(item, "funcargs", {}).get("run_dir")
    if report.failed and run is not None:
        report.sections.append((f"serial logs in {run}", log_tails(run)))


def log_tails(run):
    parts = []
    files = sorted(pathlib.Path(run).glob("*.log"))
    files += [p for p in sorted(pathlib.Path(run).glob("*.stderr"))
              if p.stat().st_size]
    for path in files:
        lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL:]
        parts.append(f"== {path.name} (last {len(lines)} lines) ==")
        parts += lines
    return "\n".join(parts) or "(no logs)"


class Result:
    """A finished launcher run: exit status and both output streams."""

    def __init__(self, proc, stdout, stderr):
        self.returncode = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.output = stdout + stderr

    def __repr__(self):
        return (f"exit {self.returncode}\n--- stdout ---\n{self.stdout}"
                f"--- stderr ---\n{self.stderr}")


def tessera_argv(*args, topology=None, run_dir=None, build_dir=BUILD):
    argv = [PYTHON, str(TESSERA), *args]
    if topology is not None:
        argv += ["-t", str(topology)]
    if run_dir is not None:
        argv += ["--run-dir", str(run_dir)]
    return argv + ["--build-dir", str(build_dir)]


def tessera(*args, timeout=LAUNCH_TIMEOUT, **kw):
    """Run scripts/tessera to completion. On timeout the launcher gets
    SIGKILL, and its VMs die with it (PR_SET_PDEATHSIG)."""
    proc = subprocess.run(tessera_argv(*args, **kw), capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)
    return Result(proc, proc.stdout, proc.stderr)


def smoke(topology, run_dir, **kw):
    return tessera("up", "--smoke", topology=topology, run_dir=run_dir, **kw)


class Launcher:
    """`tessera up` running in the background, its output going to files so
    a test can watch it without blocking on a pipe."""

    def __init__(self, topology, run_dir, out_dir):
        self.out = pathlib.Path(out_dir) / "launcher.out"
        self.err = pathlib.Path(out_dir) / "launcher.err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen(
                tessera_argv("up", topology=topology, run_dir=run_dir),
                stdout=out, stderr=err, text=True, cwd=REPO)

    def result(self):
        return Result(self.proc, self.out.read_text(), self.err.read_text())

    def wait_output(self, text, timeout=LAUNCH_TIMEOUT):
        """Wait until stdout shows text; fail if the launcher exits first."""
        seen = wait_for(lambda: text in self.out.read_text()
                        or self.proc.poll() is not None, timeout)
        assert seen and text in self.out.read_text(), self.result()

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Send sig, wait for the launcher to exit; return its Result."""
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        return self.result()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def launcher(tmp_path):
    """Factory for background launchers; any still running at the end of
    the test are killed (their VMs die with them)."""
    started = []

    def start(topology, run_dir):
        started.append(Launcher(topology, run_dir, tmp_path))
        return started[-1]
    yield start
    for l in started:
        l.kill()


class ToolCluster:
    """A running cluster, seen from the host through build/tessera-net."""

    def __init__(self, run):
        self.run = run
        self.killed = None      # a node a test killed on purpose: the launcher reports it

    def tool(self, *args, timeout=300, input=None, text=True):
        """Run tessera-net against this cluster; the finished process. Its stdin,
        which a program it runs reads, is input (bytes or text), else empty."""
        return subprocess.run([str(BUILD / "tessera-net"), "--run-dir", str(self.run),
                               *map(str, args)], capture_output=True, text=text,
                              timeout=timeout, input=input,
                              stdin=subprocess.DEVNULL if input is None else None)

    def kv(self, *args, **kw):
        """The key=value pairs a tessera-net command printed (it must succeed)."""
        out = self.tool(*args, **kw)
        assert out.returncode == 0, out.stdout + out.stderr
        return dict(re.findall(r"([\w.]+)=(-?[\w,]+)", out.stdout + out.stderr))

    def log(self, name):
        return read_log(self.run, name)

    def name(self, node_id):
        """A node's name, from the cluster map the launcher wrote."""
        text = (self.run / "cluster.map").read_text()
        return re.search(rf"^peer={node_id} (\S+)", text, re.M).group(1)

    def node_id(self, name):
        """A node's id, from the cluster map."""
        text = (self.run / "cluster.map").read_text()
        return int(re.search(rf"^peer=(\d+) {name} ", text, re.M).group(1))


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


def node(name, role, options=None, **keys):
    """One [[node]] table of a topology, with its [node.options] if any."""
    keys = {"name": name, "role": role, **keys}
    lines = ["", "[[node]]"] + [f"{k} = {toml_value(v)}" for k, v in keys.items()]
    if options:
        lines += ["[node.options]"] + [f"{k} = {toml_value(v)}" for k, v in options.items()]
    return "\n".join(lines) + "\n"


def module_cluster(tmp_path_factory, name, topology, cls):
    """Body of a module-scoped cluster fixture: boot topology (text) in a fresh run
    dir, yield cls(run dir) once it is ready, then stop it and check no QEMU is left.
    The launcher must stop cleanly, or, if a test set the cluster's killed to a node
    it killed, either stop cleanly or report that node's failure (it may not have
    looked yet)."""
    tmp = tmp_path_factory.mktemp(name)
    (tmp / f"{name}.toml").write_text(topology)
    run = tmp / "run"
    launcher = Launcher(tmp / f"{name}.toml", run, tmp)
    cluster = None
    try:
        launcher.wait_output("cluster ready")
        cluster = cls(run)
        yield cluster
    finally:
        result = launcher.stop()
        killed = cluster.killed if cluster else None
        assert result.returncode == 0 or (
            killed and result.returncode == 1 and f"node {killed} " in result.stderr), result
        assert_no_qemu(run)


def write_topology(path, nodes, **cluster):
    """Write a topology: nodes is a list of dicts of [[node]] keys."""
    lines = ["[cluster]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in cluster.items()]
    for node in nodes:
        lines += ["", "[[node]]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in node.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_log(run_dir, name):
    path = pathlib.Path(run_dir) / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def ready_lines(log):
    return [l for l in log.splitlines() if "TESSERA READY" in l]


def ready_re(role, node_id):
    return re.compile(rf"TESSERA READY role={role} node={node_id}(?!\d)")


def pids_of(program, run_dir):
    """Live processes of program (a basename prefix) whose command line
    mentions run_dir. Zombies have an empty cmdline, so a killed but unreaped
    process does not count."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (os.path.basename(argv[0]).startswith(program)
                and any(os.fsencode(str(run_dir)) in a for a in argv)):
            pids.append(int(entry))
    return pids


def qemu_pids(run_dir):
    return pids_of(b"qemu-system", run_dir)


def on_host(prog, *args):
    """(exit status, stdout, stderr) of build/user/<prog> run on this host, as text."""
    out = subprocess.run([str(BUILD / "user" / prog), *map(str, args)], capture_output=True,
                         text=True, timeout=60)
    return out.returncode, out.stdout, out.stderr


def wait_for(predicate, timeout, step=0.1):
    """Poll predicate until it returns a true value (returned) or timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def assert_no_qemu(run_dir, grace=0.0):
    """No QEMU of this run dir is alive (after grace s, for SIGKILL cases)."""
    left = qemu_pids(run_dir)
    if left:
        wait_for(lambda: not qemu_pids(run_dir), grace)
        left = qemu_pids(run_dir)
    for pid in left:        # do not leak them into the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"QEMU processes left running: {left}"


# --- The fabric (net/fabric/) -------------------------------------------
# Host tests drive build/fabric-asan (ASan + UBSan) directly: Python sockets
# are its ports' peers. Any sanitizer report fails the test that caused it.

FABRIC_ASAN = BUILD / "fabric-asan"
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:exitcode=99",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
ETH_P_TESSERA = 0x88b5          # any ethertype will do for the switch


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def eth_frame(dst, src, payload=b"", ethertype=ETH_P_TESSERA):
    """An Ethernet frame (no FCS: the emulated wire has none)."""
    return (mac_bytes(dst) + mac_bytes(src) + ethertype.to_bytes(2, "big")
            + payload)


class Endpoint:
    """A host peer of one fabric port: binds DIR/NAME.peer.sock and sends
    to DIR/NAME.sock, as QEMU's dgram netdev does. DIR is reached through
    /proc/self/fd, so a long pytest path still fits in sun_path."""

    def __init__(self, directory, name, mac):
        self.name, self.mac = name, mac
        self.dirfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        short = f"/proc/self/fd/{self.dirfd}"
        self.dest = f"{short}/{name}.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(f"{short}/{name}.peer.sock")
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.collected, self.thread, self.stopping = [], None, False

    def send(self, frame):
        self.sock.sendto(frame, self.dest)

    def send_to(self, other, payload=b"", src=None):
        self.send(eth_frame(other.mac, src or self.mac, payload))

    def recv(self, timeout=1.0):
        """One frame, or None if none comes within timeout s."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1 << 17)
        except socket.timeout:
            return None

    def drain(self, quiet=0.3):
        """Every frame that arrives until none has for quiet s."""
        frames = []
        while (f := self.recv(quiet)) is not None:
            frames.append(f)
        return frames

    def collect(self):
        """Receive in a thread (the fabric drops what a peer leaves unread
        for long), with arrival times; stop_collect() returns them."""
        def loop():
            self.sock.settimeout(0.05)
            while not self.stopping:
                try:
                    frame = self.sock.recv(1 << 17)
                except socket.timeout:
                    continue
                self.collected.append((time.monotonic(), frame))
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def stop_collect(self, quiet=0.3):
        """Wait until nothing arrived for quiet s; return [(time, frame)]."""
        count = -1
        while count != len(self.collected):
            count = len(self.collected)
            time.sleep(quiet)
        self.stopping = True
        self.thread.join()
        return self.collected

    def close(self):
        self.stopping = True
        if self.thread:
            self.thread.join()
        self.sock.close()
        if self.dirfd is not None:
            os.close(self.dirfd)
            self.dirfd = None


def sanitizer_report(text):
    return next((m for m in SANITIZER_MARKS if m in text), None)


class FabricProc:
    """build/fabric-asan on directory (default: a fresh one in /tmp), with a
    control connection."""

    def __init__(self, ports, seed=1, args=(), binary=FABRIC_ASAN,
                 directory=None):
        self.own_dir = directory is None
        self.dir = pathlib.Path(directory or tempfile.mkdtemp(prefix="fab",
                                                              dir="/tmp"))
        self.ports = dict(ports)
        self.err_path = self.dir.with_name(self.dir.name + ".stderr")
        argv = [str(binary), "--dir", str(self.dir), "--seed", str(seed)]
        argv += [f"--port={n}={m}" for n, m in self.ports.items()]
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(argv + list(args), stderr=err,
                                         env={**os.environ, **SANITIZER_ENV})
        self.endpoints = []
        self.finished = False
        self.ctl = self.connect()

    def connect(self, timeout=10.0):
        """A control connection, once the fabric accepts one."""
        end = time.monotonic() + timeout
        while True:
            try:
                s = launcher_fabric.connect(str(self.dir))
                return s.makefile("rwb", buffering=0)
            except launcher_fabric.FabricError:
                assert self.proc.poll() is None, f"fabric died: {self.stderr()}"
                assert time.monotonic() < end, "control.sock never answered"
                time.sleep(0.02)

    def cmd(self, line, ctl=None):
        """Send one line; return the reply's lines, status line last."""
        ctl = ctl or self.ctl
        ctl.write(line.encode() + b"\n")
        lines = []
        while True:
            raw = ctl.readline()
            assert raw, f"fabric closed the connection after {line!r}"
            lines.append(raw.decode().rstrip("\n"))
            if lines[-1] == "ok" or lines[-1].startswith(("ok ", "error")):
                return lines

    def ok(self, line):
        status = self.cmd(line)[-1]
        assert status.startswith("ok"), f"{line!r}: {status}"
        return status

    def stats(self):
        """{port: {counter: int or str}} from `stats`."""
        out = {}
        for line in self.cmd("stats")[:-1]:
            fields = dict(w.split("=", 1) for w in line.split())
            out[fields["port"]] = {k: int(v) if v.isdigit() else v
                                   for k, v in fields.items()}
        return out

    def endpoint(self, name, mac=None):
        ep = Endpoint(self.dir, name, mac or self.ports[name])
        self.endpoints.append(ep)
        return ep

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def quit(self, timeout=10):
        """`quit`; return the exit status."""
        assert self.cmd("quit")[-1] == "ok bye"
        return self.proc.wait(timeout=timeout)

    def finish(self):
        """Stop it if it still runs; fail on any sanitizer report."""
        if self.finished:
            return
        self.finished = True
        for ep in self.endpoints:
            ep.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        report = sanitizer_report(self.stderr())
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        assert not report, f"fabric: {report}:\n{self.stderr()}"
        assert self.proc.returncode in (0, -signal.SIGKILL), \
            f"fabric exit status {self.proc.returncode}:\n{self.stderr()}"
        self.err_path.unlink(missing_ok=True)


@pytest.fixture
def fabric():
    """Factory: fabric(ports={name: mac}, seed=1, args=()) starts one. At
    the end each is stopped and must have exited 0 with no sanitizer
    report."""
    started = []

    def start(ports, **kw):
        started.append(FabricProc(ports, **kw))
        return started[-1]
    yield start
    for f in started:
        f.finish()


def fabric_pids(run_dir):
    return pids_of(b"fabric", run_dir)
