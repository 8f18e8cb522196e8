#!/usr/bin/python3
"""make fault-test: seeded fault schedules (tests/fault/schedule.py) against one
real cluster (fault.toml). Each schedule runs three workloads at once: memstress
on pmon0 (a working set 2-4x its ExCache), a busybox shell pipeline on pmon1 that
forks, pipes and writes a file of vNode 1, and a file put from the host; while
they run it injects its faults. Then it puts the cluster back (killed nodes
restarted, faults cleared) and checks:

- a workload that exits 0 printed exactly what the host prints; one that failed
  was allowed to by the schedule (its pmon killed: status 125; its home mmon, its
  files' front mmon or smon killed or restarted) and never exits 0 wrongly;
- a put that succeeded reads back byte for byte (no acknowledged write lost);
- every node answers, no node panicked, and the launcher still runs.

A failing schedule keeps its logs and pcap in build/fault/seed-N/. At the end a
report: schedules run, faults by kind, fabric counters, failovers, time to
recover, bytes checked; build/fault/report.json. Exit 1 if any schedule failed."""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import schedule as sched

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
TOOL = os.path.join(BUILD, "tessera-net")
TESSERA = [sys.executable, os.path.join(ROOT, "scripts", "tessera")]
USER = os.path.join(BUILD, "user")
BUSYBOX = "/bin/busybox"
TOPOLOGY = os.path.join(ROOT, "tests", "fault", "fault.toml")
OUT = os.path.join(BUILD, "fault")
WORK_TIMEOUT = 300
FABRIC_COUNTERS = ("drop_loss", "drop_link_down", "drop_partition", "duplicated",
                   "reordered", "delayed", "corrupted")


class Cluster:
    """The running cluster: its launcher, its tools, its logs."""

    def __init__(self, run_dir):
        self.run = run_dir
        self.launcher = subprocess.Popen(TESSERA + ["up", "-t", TOPOLOGY, "--run-dir",
                                                    run_dir], stdout=subprocess.PIPE,
                                         text=True)
        for line in self.launcher.stdout:
            if "cluster ready" in line:
                return
        self.stop()
        sys.exit("fault-test: the cluster did not come up")

    def stop(self):
        if self.launcher.poll() is None:
            self.launcher.send_signal(signal.SIGINT)
            self.launcher.wait(timeout=60)

    def tool(self, *args, timeout=WORK_TIMEOUT):
        return subprocess.run([TOOL, "--run-dir", self.run, *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def background(self, *args):
        return subprocess.Popen([TOOL, "--run-dir", self.run, *map(str, args)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def tessera(self, *args):
        out = subprocess.run(TESSERA + list(args) + ["--run-dir", self.run],
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"tessera {' '.join(args)}: {out.stdout}{out.stderr}")
        return out.stdout

    def fault(self, *words):
        return self.tessera("fault", *map(str, words))

    def log(self, name):
        path = os.path.join(self.run, f"{name}.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""

    def logs(self):
        return {n: self.log(n) for n in sched.NODES}

    def whole_log(self, name):
        """name's log over every incarnation: <name>.log.1, .2, ... then <name>.log."""
        olds = sorted((f for f in os.listdir(self.run) if f.startswith(f"{name}.log.")),
                      key=lambda f: int(f.rsplit(".", 1)[1]))
        return "".join(open(os.path.join(self.run, f), errors="replace").read()
                       for f in olds) + self.log(name)

    def counters(self):
        total = collections.Counter()
        for line in self.fault("stats").splitlines():
            for k, v in re.findall(r"(\w+)=(\d+)(?=\s|$)", line):
                if k in FABRIC_COUNTERS:
                    total[k] += int(v)
        return total


def on_host(s, tmp):
    """What the three workloads print on this host."""
    stress = subprocess.run([os.path.join(USER, "memstress"), str(s.stress_kib),
                             str(s.stress_seed)], capture_output=True, text=True)
    shell = subprocess.run([BUSYBOX, "sh", "-c", script(s)], capture_output=True, text=True,
                           cwd=tmp)
    return stress.stdout, shell.stdout


def script(s):
    name = f"fault-{s.seed}.txt"
    return (f"seq 1 {s.lines} > {name} && sort -rn {name} | md5sum && "
            f"md5sum < {name} && rm {name}")


class Run:
    """One schedule on the cluster: what it did, what it saw, what failed."""

    def __init__(self, cluster, s, tmp):
        self.c, self.s, self.tmp = cluster, s, tmp
        self.killed, self.recover, self.problems = [], [], []
        self.marks = {n: len(cluster.whole_log(n)) for n in sched.NODES}

    def new(self, name):
        """What name logged since the schedule began, across its restarts."""
        return self.c.whole_log(name)[self.marks[name]:]

    def declared_dead(self):
        """The nodes gmon declared dead during the schedule (killed, or silent too
        long: a stop or a cut link together with lost heartbeats)."""
        return set(re.findall(r"\] node \d+ \((\S+)\) down", self.new("gmon0")))

    def apply(self, e):
        port = ["on", e.target] if e.target else []
        c = self.c
        if e.kind in sched.FABRIC_RATES or e.kind == "delay":
            c.fault(e.kind, *e.args, *port)
            time.sleep(e.lasts)
            c.fault(e.kind, 0, *port)
        elif e.kind == "flap":
            c.fault("link", e.target, "down")
            time.sleep(e.lasts)
            c.fault("link", e.target, "up")
        elif e.kind == "partition":
            c.fault("partition", e.target)
            time.sleep(e.lasts)
            c.fault("heal")
        elif e.kind == "stop":
            c.tessera("node", "stop", e.target)
            time.sleep(e.lasts)
            c.tessera("node", "cont", e.target)
        elif e.kind.startswith("kill"):
            self.killed.append(e.target)
            c.tessera("node", "kill", e.target)
            if e.kind == "kill_mmon":
                threading.Thread(target=self.watch_failover, daemon=True).start()
        elif e.kind.startswith("restart"):
            start = time.monotonic()
            c.tessera("node", "restart", e.target)
            self.recover.append((e.kind, time.monotonic() - start))
        elif e.kind == "inject":
            c.tool("inject", e.target, timeout=120)
        else:
            c.tool("forge", e.target, "--count", 200, "--seed", e.args[0], timeout=120)

    def watch_failover(self):
        """Seconds from an mmon's kill until a pmon fetches from a backup instead,
        if one had pages there within 30 s (the workloads may not have)."""
        start = time.monotonic()
        seen = {p: self.new(p).count("now kept by mmon") for p in sched.PMONS}
        while time.monotonic() < start + 30:
            if any(self.new(p).count("now kept by mmon") > seen[p] for p in sched.PMONS):
                self.recover.append(("failover", time.monotonic() - start))
                return
            time.sleep(0.05)

    def workloads(self, data):
        s = self.s
        return {
            "memstress": self.c.background("run", "pmon0", os.path.join(USER, "memstress"),
                                           s.stress_kib, s.stress_seed),
            "shell": self.c.background("run", "pmon1", BUSYBOX, "sh", "-c", script(s)),
            "put": self.c.background("fs", "put", 1, data, f"/fault-put-{s.seed}.bin"),
        }

    def home_of_stress(self):
        m = re.search(r"pid \d+ for node \d+ \(vnode \d+\): mm (\d+),", self.new("pmon0"))
        if not m:
            return None
        return next((n for n in sched.MMONS if f"new mm={m.group(1)} " in self.new(n)), None)

    def excused(self, name, status):
        """May workload name fail in this schedule? Its pmon killed: status 125; its
        pmon declared dead but alive: 125 or SIGBUS (its memory was fenced)."""
        killed, gone = set(self.killed), set(self.killed) | self.declared_dead()
        kinds = set(self.s.kinds())
        pmon = {"memstress": "pmon0", "shell": "pmon1"}.get(name)
        if pmon in gone:
            return status == 125 or (pmon not in killed and status == 128 + 7)
        if name == "memstress":
            return self.home_of_stress() in gone
        return bool(gone & set(sched.MMONS + ("smon0",))) or "restart_smon" in kinds or (
            name == "put" and "restart_gmon" in kinds)

    def check(self, name, job, want):
        out, err = job.communicate(timeout=WORK_TIMEOUT)
        if job.returncode == 0 and out == want:
            return len(out)
        if job.returncode == 0 or not self.excused(name, job.returncode):
            self.problems.append(f"{name}: status {job.returncode}, printed {out!r} "
                                 f"(want {want!r}); stderr {err.strip()!r}")
        return 0

    def restore(self):
        """Killed nodes restarted, every fault cleared; times to recover noted."""
        for name in self.killed:
            start = time.monotonic()
            self.c.tessera("node", "restart", name)
            self.recover.append((f"restart_{name[:4]}", time.monotonic() - start))
        self.c.fault("clear")

    def answers(self, node, tries=20):
        for _ in range(tries):
            if self.c.tool("stats", node, timeout=30).returncode == 0:
                return True
            time.sleep(1)
        return False

    def healthy(self):
        for n in sched.NODES:
            if not self.answers(n):
                self.problems.append(f"{n} does not answer")
        for n, text in self.c.logs().items():
            if " panic] " in text:
                self.problems.append(f"{n} panicked: " + text[text.index(" panic] "):][:200])
        if self.c.launcher.poll() is not None:
            self.problems.append("the launcher stopped: a node died on its own")


def run_schedule(c, s):
    """One schedule; its Run, with the bytes checked."""
    tmp = tempfile.mkdtemp(prefix=f"fault-{s.seed}-")
    r = Run(c, s, tmp)
    data = os.path.join(tmp, "put.bin")
    with open(data, "wb") as f:
        f.write(os.urandom(s.put_bytes))
    want_stress, want_shell = on_host(s, tmp)
    c.fault("seed", s.seed)
    c.fault("pcap", "start", os.path.join(tmp, "fault.pcap"))
    jobs = r.workloads(data)
    start = time.monotonic()
    try:
        for e in s.events:
            time.sleep(max(0.0, start + e.at - time.monotonic()))
            r.apply(e)
        checked = r.check("memstress", jobs["memstress"], want_stress)
        checked += r.check("shell", jobs["shell"], want_shell)
        put_ok = jobs["put"].wait(timeout=WORK_TIMEOUT) == 0
        if not put_ok:
            r.check("put", jobs["put"], "")
        r.restore()
        if put_ok:
            got = c.tool("fs", "get", 1, f"/fault-put-{s.seed}.bin", os.path.join(tmp, "got"))
            same = got.returncode == 0 and open(os.path.join(tmp, "got"), "rb").read() == \
                open(data, "rb").read()
            checked += s.put_bytes if same else 0
            if not same:
                r.problems.append(f"put of {s.put_bytes} bytes acknowledged, read back "
                                  f"differently ({got.returncode} {got.stderr.strip()})")
        r.healthy()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        r.problems.append(f"{type(e).__name__}: {e}")
    finally:
        for job in jobs.values():
            if job.poll() is None:
                job.kill()
                job.wait()
        c.fault("pcap", "stop")
    r.checked = checked if not r.problems else 0
    keep(c, s, r, tmp)
    return r


def keep(c, s, r, tmp):
    """A failed schedule's logs and pcap go to build/fault/seed-N/; the rest goes."""
    if r.problems:
        dest = os.path.join(OUT, f"seed-{s.seed}")
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        for f in os.listdir(c.run):
            if ".log" in f:
                shutil.copy(os.path.join(c.run, f), dest)
        shutil.copy(os.path.join(tmp, "fault.pcap"), dest)
    shutil.rmtree(tmp, ignore_errors=True)


def describe(s):
    what = ", ".join(f"{e.kind}{' ' + e.target if e.target else ''}@{e.at}s" for e in s.events)
    return (f"seed {s.seed}: memstress {s.stress_kib} KiB, shell {s.lines} lines, "
            f"put {s.put_bytes} B; {what}")


def report(runs, counters, failovers):
    kinds = collections.Counter(k for r in runs for k in r.s.kinds())
    times = collections.defaultdict(list)
    for r in runs:
        for kind, secs in r.recover:
            times[kind].append(secs)
    failed = [r for r in runs if r.problems]
    out = {
        "schedules": len(runs), "failed": [r.s.seed for r in failed],
        "faults": dict(sorted(kinds.items())), "fabric": dict(counters),
        "failovers": failovers,
        "recover_s": {k: {"n": len(v), "median": statistics.median(v), "max": max(v)}
                      for k, v in times.items()},
        "bytes_checked": sum(r.checked for r in runs),
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(out, f, indent=2)
    print(f"\nfault-test: {len(runs)} schedules, {len(failed)} failed"
          + (f" (seeds {', '.join(map(str, out['failed']))})" if failed else ""))
    print("  faults:  " + ", ".join(f"{k} {n}" for k, n in out["faults"].items()))
    print("  fabric:  " + ", ".join(f"{k} {n}" for k, n in out["fabric"].items()))
    print(f"  failovers (an mmon's vRegions to their backups): {failovers}")
    for kind, t in out["recover_s"].items():
        print(f"  {kind}: {t['n']} times, {t['median']:.1f} s median, {t['max']:.1f} s max")
    print(f"  bytes checked against the host: {out['bytes_checked']}")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", help="run only these schedules (a replay): N[,N...]")
    p.add_argument("--first", type=int, default=1, help="the first schedule's seed")
    p.add_argument("--count", type=int, default=50, help="schedules to run")
    a = p.parse_args()
    seeds = [int(s) for s in a.seed.split(",")] if a.seed else range(a.first,
                                                                      a.first + a.count)
    with tempfile.TemporaryDirectory(prefix="tessera-fault-") as run_dir:
        c = Cluster(run_dir)
        try:
            base = c.counters()
            runs = []
            for seed in seeds:
                s = sched.schedule(seed)
                print(describe(s), flush=True)
                r = run_schedule(c, s)
                runs.append(r)
                for problem in r.problems:
                    print(f"  FAILED: {problem}", flush=True)
                if r.problems:
                    print(f"  kept in {os.path.relpath(OUT)}/seed-{seed}/; replay with "
                          f"make fault-test SEED={seed}", flush=True)
            counters = c.counters() - base
            failovers = len(re.findall(r"mmon \d+ (?:down|restarted): out of GMM",
                                       c.whole_log("gmon0")))
        finally:
            c.stop()
    out = report(runs, counters, failovers)
    return 1 if out["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
