# Shared fixtures for the integration suite, which boots real clusters in QEMU
# through scripts/tessera. Each test gets a fresh run dir; when a test fails,
# the tail of every serial log in it is attached to the failure report.
# TESSERA_BUILD_DIR points the suite at other images (default: build/).
import os
import pathlib
import re
import signal
import subprocess
import sys
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


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


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


def qemu_pids(run_dir):
    """Live QEMU processes whose command line mentions run_dir. Zombies have
    an empty cmdline, so a killed but unreaped QEMU does not count."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (os.path.basename(argv[0]).startswith(b"qemu-system")
                and any(os.fsencode(str(run_dir)) in a for a in argv)):
            pids.append(int(entry))
    return pids


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
