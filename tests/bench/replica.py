"""make bench, replication part: what keeping every page on two mmons costs, and how
long a process waits when the mmon owning its pages dies. Two copies of
replica.toml run at once, one with replication (the default) and one without, and
the memory stress (50% and 25% ExCache) alternates between them round by round,
so each ratio compares runs a minute apart at most. Then, in the replicated one,
the stress runs while the mmon owning some of its vRegions (not its home) gets
kill -9: the time from the kill to the pmon sending its fetches to the backup
(`now kept by mmon` in its log), beside hb_timeout_ms; the run must still give
the host's output."""
import os
import re
import statistics
import subprocess
import sys
import time
import tomllib

import cluster
import mem

TOPOLOGY = os.path.join(mem.ROOT, "tests", "bench", "replica.toml")
PMONS = ("pmon0", "pmon1")
MMONS = ("mmon0", "mmon1")
ROUNDS = 3
KILLS = 2
STRESS_KIB = 4096


def unreplicated(run_dir):
    """replica.toml with replication off, written into run_dir."""
    text = open(TOPOLOGY).read().replace("[cluster]\n", "[cluster]\nreplication = false\n", 1)
    path = os.path.join(run_dir, "replica-off.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def stress_round(runs, host, turn):
    """memstress on each pmon of each cluster, the clusters in turn: seconds."""
    argv = [os.path.join(mem.USER, "memstress"), str(STRESS_KIB), str(mem.SEED), "1"]
    out = {}
    order = list(runs.items())
    for name, run_dir in order[turn % 2:] + order[:turn % 2]:
        for pmon in PMONS:
            r = mem.stress([mem.TOOL, "--run-dir", run_dir, "run", pmon] + argv, pmon)
            if r["result"] != host:
                sys.exit(f"bench: memstress on {name} {pmon} gave {r['result']!r}, "
                         f"the host {host!r}")
            out[(name, pmon)] = r["total_s"]
    return out


def log(run_dir, name):
    path = os.path.join(run_dir, f"{name}.log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def wait_for(fn, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = fn()
        if found:
            return found
        time.sleep(step)
    return None


def victim(run_dir, mm):
    """An mmon that owns one of mm's vRegions and is not its home, or None."""
    home = next((m for m in MMONS if f"new mm={mm} " in log(run_dir, m)), None)
    owners = set(re.findall(rf"mm={mm} vregion=\S+ owned by mmon (\d+)",
                            log(run_dir, home) if home else ""))
    names = {i: n for i, n in re.findall(r"^peer=(\d+) (\S+)",
                                         open(os.path.join(run_dir, "cluster.map")).read(),
                                         re.M)}
    return next((names[o] for o in sorted(owners) if names[o] != home), None)


def one_kill(run_dir, host):
    """Seconds from the kill to the fetch re-routed, or None if GMM put all of this
    run's vRegions on its home."""
    mark = len(log(run_dir, "pmon1"))
    job = subprocess.Popen([mem.TOOL, "--run-dir", run_dir, "run", "pmon1",
                            os.path.join(mem.USER, "memstress"), str(STRESS_KIB),
                            str(mem.SEED)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    pat = r"pid \d+ for node \d+ \(vnode \d+\): mm (\d+),"
    spawned = wait_for(lambda: re.search(pat, log(run_dir, "pmon1")[mark:]), 60)
    mm = spawned.group(1) if spawned else None
    target = mm and wait_for(lambda: any(f"exec mm={mm} " in log(run_dir, m) for m in MMONS),
                             60) and victim(run_dir, mm)
    if target:
        time.sleep(1.0)
        start = time.monotonic()
        cluster.node(run_dir, "kill", target)
        moved = wait_for(lambda: "now kept by mmon" in log(run_dir, "pmon1")[mark:], 60)
        took = time.monotonic() - start if moved else None
    out, err = job.communicate(timeout=600)
    if job.returncode != 0 or out != host:
        sys.exit(f"bench: memstress across a kill of {target} gave {job.returncode} "
                 f"{out!r}{err}, the host {host!r}")
    if not target:
        return None
    if took is None:
        sys.exit(f"bench: pmon1 never re-routed its fetches after {target} was killed")
    cluster.node(run_dir, "restart", target)
    return took


def failovers(run_dir, host):
    times = []
    for _ in range(4 * KILLS):
        took = one_kill(run_dir, host)
        if took is not None:
            times.append(took)
        if len(times) == KILLS:
            break
    return times


def figures(run_dir):
    """replica.json: per pmon the stress with and without replication (medians) and
    the cost (median of per-round ratios); the failover times."""
    runs = {"on": os.path.join(run_dir, "on"), "off": os.path.join(run_dir, "off")}
    for d in runs.values():
        os.makedirs(d, exist_ok=True)
    host = subprocess.run([os.path.join(mem.USER, "memstress"), str(STRESS_KIB),
                           str(mem.SEED)], capture_output=True, text=True).stdout
    launchers = [cluster.up(runs["on"], TOPOLOGY),
                 cluster.up(runs["off"], unreplicated(run_dir))]
    try:
        for d in runs.values():
            for pmon in PMONS:
                mem.wait_spawnable(d, pmon)
        share = {p: round(100 * mem.exstats(runs["on"], p)["lines"] * 4 / STRESS_KIB)
                 for p in PMONS}
        rounds = [stress_round(runs, host, turn) for turn in range(ROUNDS)]
        kills = failovers(runs["on"], host)
    finally:
        for launcher in launchers:
            cluster.down(launcher)
    with open(TOPOLOGY, "rb") as f:
        hb_timeout_ms = tomllib.load(f)["cluster"]["hb_timeout_ms"]
    out = {"stress_kib": STRESS_KIB, "rounds": ROUNDS, "hb_timeout_ms": hb_timeout_ms,
           "failover_s": kills, "stress": {}}
    for pmon in PMONS:
        on = [r[("on", pmon)] for r in rounds]
        off = [r[("off", pmon)] for r in rounds]
        out["stress"][pmon] = {
            "share_pct": share[pmon], "on_s": statistics.median(on),
            "off_s": statistics.median(off),
            "cost_pct": 100 * (statistics.median(a / b for a, b in zip(on, off)) - 1),
        }
    return out


def report(rep):
    print(f"\nReplication: memstress {rep['stress_kib']} KiB, its own time, median of "
          f"{rep['rounds']} rounds alternating\nbetween a cluster with replication and "
          "one without (cost: the median of per-round ratios):")
    print(f"  {'pmon':6} {'ExCache':>8} {'on s':>8} {'off s':>8} {'cost':>8}")
    for pmon, s in rep["stress"].items():
        print(f"  {pmon:6} {str(s['share_pct']) + '%':>8} {s['on_s']:8.2f} "
              f"{s['off_s']:8.2f} {s['cost_pct']:7.0f}%")
    kills = ", ".join(f"{t:.2f}" for t in rep["failover_s"]) or "none (no run split)"
    print(f"  failover, kill -9 of the owner to the pmon fetching from the backup: "
          f"{kills} s (hb_timeout_ms {rep['hb_timeout_ms']})")
