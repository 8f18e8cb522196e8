"""Storage crash test: build/user/fswriter (tests/user/fswriter.c) writes and syncs
files of random sizes on a vNode while smon's QEMU is killed with SIGKILL at a random
moment; the cluster is stopped, and the disk image, read offline with build/tessera-fs,
must check clean and hold every acknowledged (synced and reported) byte, while the one
file being written at the kill holds its old bytes or a prefix of its new ones, never
anything else. The next kill point boots the same image again (smon mounts it: the
restart) and the writer goes on with new iterations over the image's history.

Parameters (environment): TESSERA_CRASH_SEED=S TESSERA_CRASH_KILLS=K replays seed S
for K kill points; TESSERA_CRASH=full (`make crash-test`) runs FULL_SEEDS seeds of
FULL_KILLS kill points; by default, SHORT_KILLS kill points of seed SHORT_SEED (CI).
A seed fixes every kill delay and every byte the writer writes; QEMU's timing does not
repeat exactly, so a replay hits nearby moments, not the same instruction."""
import hashlib
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import threading
import time

import pytest

from conftest import (BUILD, Launcher, assert_no_qemu, node, qemu_pids, read_log,
                      ready_lines, wait_for)

FS_TOOL = BUILD / "tessera-fs"
NET_TOOL = BUILD / "tessera-net"
WRITER = BUILD / "user" / "fswriter"
VNODE = 5
DIR = "/crash"
NFILES = 12                     # as in fswriter.c
MAX_APPENDED = 3 << 19
DELAY = (0.2, 7.0)              # s from the writer's start to the kill: spans a commit
UNREPORTED_MAX = 3              # synced iterations whose line the kill may have lost
SPAWN_WAIT = 5.0               # s: gmon's reports come every second
SPAWN_EAGAIN = "spawn on pmon0 failed: Resource temporarily unavailable"
SHORT_SEED, SHORT_KILLS = 1, 6
FULL_SEEDS, FULL_KILLS = (11, 12, 13, 14, 15, 16, 17, 18), 26
M64 = (1 << 64) - 1

TOPOLOGY = ("[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon")
            + node("pmon0", "pmon", {"excache_kb": 1024}, memory=96)
            + node("mmon0", "mmon", memory=96))


def crash_runs():
    """[(seed, kill points)] this session runs."""
    env = os.environ
    if env.get("TESSERA_CRASH_SEED"):
        return [(int(env["TESSERA_CRASH_SEED"], 0),
                 int(env.get("TESSERA_CRASH_KILLS", SHORT_KILLS)))]
    if env.get("TESSERA_CRASH") == "full":
        return [(s, FULL_KILLS) for s in FULL_SEEDS]
    return [(SHORT_SEED, SHORT_KILLS)]


# ---- The writer's generator and plan, line for line as in fswriter.c ----

def splitmix(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def pick(seed, it, k):
    return splitmix((splitmix(seed ^ splitmix(it)) + k) & M64)


def content(seed, it, n):
    """Iteration it's n bytes: xorshift64 words, little-endian."""
    x = pick(seed, it, 100) | 1
    words = [0] * ((n + 7) // 8)
    for i in range(len(words)):
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        words[i] = x
    return struct.pack(f"<{len(words)}Q", *words)[:n]


class Step:
    """What iteration it does to a file now size bytes long (None: absent)."""

    def __init__(self, seed, it, size):
        cur = size or 0
        self.it = it
        self.name = f"f{pick(seed, it, 0) % NFILES:02d}"
        op = pick(seed, it, 1) % 4
        self.op = "append" if op == 3 else "overwrite" if op == 2 else "rewrite"
        self.len = 1 + pick(seed, it, 3) % (1 << (pick(seed, it, 2) % 21))
        if self.op == "append" and cur + self.len > MAX_APPENDED:
            self.op = "rewrite"
        self.off = pick(seed, it, 4) % (cur + 1) if self.op == "overwrite" else 0
        self.sync = ("fsync", "fdatasync", "osync")[pick(seed, it, 5) % 3]
        self.data = content(seed, it, self.len)

    def apply(self, old):
        """The file's bytes once the step is done, from old (None: absent)."""
        old = old or b""
        if self.op == "rewrite":
            return self.data
        if self.op == "append":
            return old + self.data
        return old[:self.off] + self.data + old[self.off + self.len:]

    def partial(self, old, got):
        """got is what the step leaves when cut short: old, or the new bytes up to
        some point and old after it. Never zeros, never other bytes."""
        if got == old:
            return True
        if got is None:
            return False
        base = old or b""
        if self.op == "rewrite":
            return got == self.data[:len(got)]
        if self.op == "append":
            tail = got[len(base):]
            return got[:len(base)] == base and tail == self.data[:len(tail)]
        k = 0                   # overwrite: the longest run of new bytes at off
        while k < self.len and self.off + k < len(got) and got[self.off + k] == self.data[k]:
            k += 1
        return got == base[:self.off] + self.data[:k] + base[self.off + k:]


def first_step(seed, it, files):
    """Iteration it's step, the writer having found files as they are."""
    name = Step(seed, it, 0).name
    return Step(seed, it, None if files.get(name) is None else len(files[name]))


def test_cut_short_states():
    """What a step may leave when a kill cuts it short: the old bytes or a prefix of
    the new ones over the old; never zeros, a hole or other bytes."""
    old = bytes(range(200))
    for it in range(40):
        step = Step(9, it, len(old))
        new = step.apply(old)
        assert step.partial(old, old) and step.partial(old, new)
        half = step.data[:step.len // 2]
        cut = {"rewrite": half, "append": old + half,
               "overwrite": old[:step.off] + half + old[step.off + len(half):]}[step.op]
        assert step.partial(old, cut), (step.op, step.len)
        torn = bytearray(new)
        torn[len(new) // 2] ^= 1
        assert not step.partial(old, bytes(torn)), (step.op, step.off, step.len)
        assert not step.partial(old, None)
    assert Step(9, 0, None).partial(None, None)


# ---- One kill point ----

LINE = re.compile(r"synced (f\d\d) size=(\d+) iter=(\d+) op=(\w+) off=(\d+) len=(\d+) "
                  r"sync=(\w+)$")


class Writer:
    """fswriter on pmon0 through tessera-net run; its lines are read as they come."""

    def __init__(self, run, seed, base):
        argv = [str(NET_TOOL), "--run-dir", str(run), "run", "pmon0", "--vnode",
                str(VNODE), str(WRITER), str(seed), str(base), DIR]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines, self.err = [], []
        self.threads = [threading.Thread(target=self.pump, args=(s, l), daemon=True)
                        for s, l in ((self.proc.stdout, self.lines),
                                     (self.proc.stderr, self.err))]
        for t in self.threads:
            t.start()

    @staticmethod
    def pump(stream, into):
        for line in stream:
            into.append(line.rstrip("\n"))

    def finish(self, timeout=1.5):
        """Wait for the tool (killing it past timeout: it is ours, and it writes what
        it gets at once, unbuffered); all its output."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self.threads:
            t.join(5)
        return self.lines, self.err


def image_files(disk, out):
    """{name: bytes} of DIR on the image (empty if DIR is not there)."""
    shutil.rmtree(out, ignore_errors=True)
    got = subprocess.run([FS_TOOL, "--vnode", str(VNODE), "extract", disk, DIR, out],
                         capture_output=True, text=True)
    if got.returncode:
        assert "No such file" in got.stderr or "no files of vNode" in got.stderr, got.stderr
        return {}
    return {p.name: p.read_bytes() for p in (out / DIR.strip("/")).iterdir()}


def digest(data):
    if data is None:
        return "absent"
    return f"{len(data)} bytes, sha1 {hashlib.sha1(data).hexdigest()[:12]}"


class Crash:
    """One seed's run: the model of the files (what the image must hold) and stats."""

    def __init__(self, seed, kills, tmp):
        self.seed, self.kills, self.tmp = seed, kills, tmp
        self.disk = tmp / "smon0.disk"
        self.topology = tmp / "crash.toml"
        self.topology.write_text(TOPOLOGY + node("smon0", "smon", memory=96,
                                                 disk=str(self.disk), disk_mib=64))
        self.files = {}         # name -> bytes the image holds after the last check
        self.spawn_retries = 0
        self.rng = random.Random(seed)
        self.stats = []

    def replay(self, k, delay):
        return (f"seed {self.seed}, kill point {k} of {self.kills} (delay {delay:.2f} s); "
                f"replay: TESSERA_CRASH_SEED={self.seed} TESSERA_CRASH_KILLS={k + 1} "
                f"flock /tmp/tessera-qemu.lock /usr/bin/pytest -x -s "
                f"tests/integration/test_storage_crash.py -k kill_9")

    def acknowledged(self, lines, base, why):
        """Apply each reported iteration to the model: what the image must hold."""
        files, it = dict(self.files), base
        for line in lines:
            m = LINE.match(line)
            assert m, f"{why}: writer printed {line!r}"
            step = first_step(self.seed, it, files)
            files[step.name] = step.apply(files.get(step.name))
            want = (step.name, len(files[step.name]), it, step.op, step.off, step.len,
                    step.sync)
            got = (m[1], int(m[2]), int(m[3]), m[4], int(m[5]), int(m[6]), m[7])
            assert got == want, f"{why}: writer and model disagree: {got} != {want}"
            it += 1
        return files, it

    def explain(self, on_disk, files, it):
        for name in sorted(set(files) | set(on_disk)):
            if files.get(name) != on_disk.get(name):
                step = first_step(self.seed, it, files)
                return (f"{name}: image has {digest(on_disk.get(name))}, acknowledged "
                        f"{digest(files.get(name))}; in flight: iteration {it} "
                        f"{step.op} {step.name} off={step.off} len={step.len}")
        return "no difference"

    def cut_short(self, on_disk, files, it):
        """How iteration it stands on the image if everything else is as in files:
        "untouched", "done" or "cut" (partly), or None if that cannot be."""
        step = first_step(self.seed, it, files)
        others = (set(files) | set(on_disk)) - {step.name}
        old, got = files.get(step.name), on_disk.get(step.name)
        if any(files.get(n) != on_disk.get(n) for n in others) or not step.partial(old, got):
            return None
        return "untouched" if got == old else "done" if got == step.apply(old) else "cut"

    def verify(self, on_disk, files, it, why):
        """The image holds every acknowledged byte; at most UNREPORTED_MAX synced
        iterations past the last line (a kill can drop lines in flight), then one
        cut short. Returns how many unreported iterations it took and how the one in
        flight stands."""
        ahead, at = files, it
        for extra in range(UNREPORTED_MAX + 1):
            state = self.cut_short(on_disk, ahead, at)
            if state:
                return extra, state
            step = first_step(self.seed, at, ahead)
            ahead = {**ahead, step.name: step.apply(ahead.get(step.name))}
            at += 1
        raise AssertionError(f"{why}: image differs from what was synced: "
                             f"{self.explain(on_disk, files, it)}")

    def boot(self, run, why):
        """The cluster on the seed's disk, once every node has reported to gmon."""
        launcher = Launcher(self.topology, run, run.parent)
        try:
            launcher.wait_output("cluster ready")
            log = read_log(run, "smon0")
            assert "file system mounted" in log, f"smon did not mount:\n{log}"
            joined = wait_for(lambda: all(f"{c}Component" in read_log(run, "gmon0")
                                          for c in "pms"), 30)
            assert joined, f"a node never reported to gmon:\n{read_log(run, 'gmon0')}"
        except AssertionError as e:
            launcher.kill()
            raise AssertionError(f"{why}: the cluster did not come up: {e}") from None
        return launcher

    def start_writer(self, run, base, why):
        """The writer, once pmon0 could spawn it. Right after boot gmon may have lost a
        node's first report (it can arrive before gmon's managers are set up) and
        refuse the spawn with EAGAIN until the next one, a second later: retried until
        it is taken, for SPAWN_WAIT s."""
        started, errors = [], []

        def spawned():
            writer = Writer(run, self.seed, base)
            wait_for(lambda: writer.lines or writer.proc.poll() is not None, 1.0)
            if writer.lines or writer.proc.poll() is None:
                started.append(writer)
                return True
            lines, err = writer.finish()
            assert any(SPAWN_EAGAIN in e for e in err), f"{why}: writer failed: {err}"
            self.spawn_retries += 1
            errors.append(err)
            return False

        if not wait_for(spawned, SPAWN_WAIT, step=0.25):
            raise AssertionError(f"{why}: pmon0 refused the spawn for {SPAWN_WAIT} s: {errors}")
        return started[0]

    def run_and_kill(self, run, launcher, base, delay, why):
        """Start the writer, kill -9 smon's QEMU after delay s, let the launcher stop
        the rest; the writer's lines and the time of the kill."""
        writer = None
        try:
            writer = self.start_writer(run, base, why)
            time.sleep(max(0.0, delay - (time.monotonic() - writer.started)))
            early = writer.proc.poll()
            pid = int((run / "smon0.pid").read_text())
            assert pid in qemu_pids(run), f"{why}: smon0 is not running"
            os.kill(pid, signal.SIGKILL)
            t_kill = time.monotonic()
            if not wait_for(lambda: launcher.proc.poll() is not None, 15):
                launcher.stop()     # it may not have noticed yet; any status will do
        finally:
            launcher.kill()
            if writer:
                lines, err = writer.finish()
        assert_no_qemu(run, grace=5)
        assert early is None, f"{why}: writer ended before the kill: {err}"
        return lines, t_kill

    def check_image(self, lines, base, why):
        """The image, offline: clean, and holding what the lines promise."""
        files, it = self.acknowledged(lines, base, why)
        check = subprocess.run([FS_TOOL, "check", self.disk], capture_output=True, text=True)
        assert check.returncode == 0 and "clean" in check.stdout, \
            f"{why}: image not clean:\n{check.stdout}{check.stderr}"
        on_disk = image_files(self.disk, self.tmp / "out")
        lost, state = self.verify(on_disk, files, it, why)
        self.files = on_disk
        return lost, state

    def kill_point(self, k):
        delay = self.rng.uniform(*DELAY)
        base = k * 1_000_000
        why = self.replay(k, delay)
        t0 = time.monotonic()
        launcher = self.boot(self.tmp / f"run{k}", why)
        t_ready = time.monotonic()
        lines, t_kill = self.run_and_kill(self.tmp / f"run{k}", launcher, base, delay, why)
        lost, state = self.check_image(lines, base, why)
        t_done = time.monotonic()
        self.stats.append(dict(synced=len(lines), lost=lost, state=state,
                               boot=t_ready - t0, total=t_done - t0))
        print(f"seed {self.seed} kill {k}: delay {delay:.2f} s, {len(lines)} synced"
              f"{f', {lost} unreported' if lost else ''}, in flight {state}; "
              f"boot {t_ready - t0:.1f} s, kill to checked {t_done - t_kill:.1f} s, "
              f"total {t_done - t0:.1f} s", flush=True)

    def summary(self):
        s, n = self.stats, len(self.stats)
        synced = sum(x["synced"] for x in s)
        states = ", ".join(f"{st} {sum(1 for x in s if x['state'] == st)}"
                           for st in ("untouched", "cut", "done"))
        return (f"seed {self.seed}: {n} kill points, {synced} synced files "
                f"({synced / n:.1f} per kill point), "
                f"{sum(1 for x in s if not x['synced'])} kills before any sync, "
                f"{sum(x['lost'] for x in s)} unreported, {self.spawn_retries} spawns "
                f"retried; in flight: {states}; "
                f"{sum(x['total'] for x in s) / n:.1f} s per kill point")


def test_model_matches_the_writer_on_the_host(tmp_path):
    """fswriter run here, 300 iterations from base 7: every line agrees with the
    model and the files hold exactly the model's bytes (no QEMU)."""
    out = subprocess.run([WRITER, "3", "7", tmp_path / "d", "300"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    crash = Crash(3, 0, tmp_path)
    files, it = crash.acknowledged(out.stdout.splitlines(), 7, "host run")
    assert it == 307
    assert {p.name: p.read_bytes() for p in (tmp_path / "d").iterdir()} == files
    ops = {Step(3, i, 0).op for i in range(7, 307)}
    assert ops == {"rewrite", "overwrite", "append"}


@pytest.mark.parametrize("seed,kills", crash_runs(), ids=lambda v: str(v))
def test_synced_writes_survive_kill_9(seed, kills, tmp_path):
    """Before: a blank disk. Each kill point: boot, write and sync, kill -9 smon's QEMU,
    stop; after: the image checks clean and holds every acknowledged byte."""
    crash = Crash(seed, kills, tmp_path)
    for k in range(kills):
        crash.kill_point(k)
    print(crash.summary())


# ---- A disk that is not a file system ----

def good_image(path, tmp):
    """A 64 MiB tfs image holding one file."""
    (tmp / "hello").write_bytes(b"hello\n")
    for args in (("mkfs", path, "64"), ("put", path, tmp / "hello", "/hello")):
        out = subprocess.run([FS_TOOL, *map(str, args)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr


def flip_superblocks(path):
    """Block 0 loses its magic number, block 1 keeps it but not its checksum."""
    with open(path, "r+b") as f:
        for blk, off in ((0, 0), (0, 2048), (1, 100), (1, 3000)):
            f.seek(blk * 4096 + off)
            b = f.read(8)
            f.seek(blk * 4096 + off)
            f.write(bytes(x ^ 0xa5 for x in b))


def test_malformed_image_is_refused_untouched(tmp_path):
    """Before: smon0's disk has both superblocks damaged, smon1's is a good image cut to
    1 MiB. After boot: each logs "cannot mount" with a reason, is READY and stays up,
    and neither file changed by a byte (smon formats only a blank disk)."""
    disks = {"smon0": tmp_path / "flipped.img", "smon1": tmp_path / "cut.img"}
    good_image(disks["smon0"], tmp_path)
    shutil.copy(disks["smon0"], disks["smon1"])
    flip_superblocks(disks["smon0"])
    os.truncate(disks["smon1"], 1 << 20)
    before = {n: p.read_bytes() for n, p in disks.items()}
    topo = tmp_path / "bad.toml"
    topo.write_text("[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon") + "".join(
        node(n, "smon", memory=64, disk=str(p)) for n, p in disks.items()))
    run = tmp_path / "run"
    launcher = Launcher(topo, run, tmp_path)
    try:
        launcher.wait_output("cluster ready")
        for n in disks:         # each still serves requests after refusing its disk
            res = subprocess.run([NET_TOOL, "--run-dir", str(run), "stats", n],
                                 capture_output=True, text=True, timeout=30)
            assert res.returncode == 0, (n, res)
        logs = {n: read_log(run, n) for n in disks}
        result = launcher.stop()
    finally:
        launcher.kill()
    assert_no_qemu(run)
    assert result.returncode == 0, result
    for n, why in (("smon0", "magic"), ("smon1", "shorter")):
        log = logs[n]
        m = re.search(r"cannot mount the disk \(-?\d+\): (.+); serving no files", log)
        assert m and why in m[1], f"{n}: want a reason with {why!r}:\n{log}"
        assert ready_lines(log) and "formatting" not in log, f"{n}:\n{log}"
        assert disks[n].read_bytes() == before[n], f"{n}: its disk image changed"
