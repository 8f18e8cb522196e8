"""make bench, memory part: ExCache miss latency beside the 4 KiB RPC round trip,
both for a miss into a free line and for one that evicts a dirty line (and waits
for its write-back), hit latency, and the memory stress with the ExCache at 100%, 50% and 25% of its
working set beside the same binary on this host. One cluster, one run."""
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tessera-net")
USER = os.path.join(ROOT, "build", "user")
TOPOLOGY = os.path.join(ROOT, "tests", "bench", "mem.toml")
WORKING_SET_KIB = 4096
CACHE_SHARE = {"pmon0": 100, "pmon1": 50, "pmon2": 25}   # ExCache / working set, %
MEMLAT_PAGES = 256
RPC_COUNT = 200
ROUNDS = 5          # alternate RPC and miss measurements: the wire's speed drifts
RUNS = 3


def tool(run_dir, *args, timeout=900):
    out = subprocess.run([TOOL, "--run-dir", run_dir, *map(str, args)],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit(f"bench: tessera-net {' '.join(map(str, args))} failed: "
                 f"{out.stdout}{out.stderr}")
    return out.stdout


def timed(argv, timeout=900):
    start = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {out.stdout}{out.stderr}")
    return time.monotonic() - start, out.stdout


def memlat(argv):
    """memlat's medians: miss_ns, hit_ns."""
    r = dict(re.findall(r"(\w+)=(\d+)", timed(argv)[1]))
    return int(r["miss_ns"]), int(r["hit_ns"])


def stress_seconds(argv):
    return statistics.median(timed(argv)[0] for _ in range(RUNS))


def exstats(run_dir, pmon):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\n", tool(run_dir, "exstats", pmon))}


def misses(run_dir, pmon):
    return exstats(run_dir, pmon)["misses"]


def latency_rounds(run_dir, run):
    """Per round: the 4 KiB RPC median, memlat's miss and hit medians into free
    lines, then its miss median with twice pmon0's lines written first (every timed
    miss evicts a dirty line), and the write-backs that run made per timed miss."""
    memlat_argv = run + ["pmon0", os.path.join(USER, "memlat"), str(MEMLAT_PAGES)]
    lines = exstats(run_dir, "pmon0")["lines"]
    dirty = 2 * lines       # the last `lines` of them evict the first: write-backs too
    rounds = []
    for _ in range(ROUNDS):
        rpc = dict(re.findall(r"(\w+)=(\d+)", tool(run_dir, "probe", "pmon0", "mmon0", "rpc",
                                                    "--size", 4096, "--count", RPC_COUNT)))
        miss_ns, hit_ns = memlat(memlat_argv)
        before = exstats(run_dir, "pmon0")["writebacks"]
        dirty_ns, _ = memlat(memlat_argv + [str(dirty)])
        wbs = exstats(run_dir, "pmon0")["writebacks"] - before - (dirty - lines)
        rounds.append((int(rpc["median_ns"]) / 1e3, miss_ns / 1e3, hit_ns, dirty_ns / 1e3,
                       wbs / MEMLAT_PAGES))
    return rounds


def mem_figures(run_dir):
    run = [TOOL, "--run-dir", run_dir, "run"]
    rounds = latency_rounds(run_dir, run)
    host_miss_ns, host_hit_ns = memlat([os.path.join(USER, "memlat"), str(MEMLAT_PAGES)])
    stress = [os.path.join(USER, "memstress"), str(WORKING_SET_KIB), "1"]
    mem = {
        "rpc_rtt_us_4k": statistics.median(r[0] for r in rounds),
        "miss_us": statistics.median(r[1] for r in rounds),
        "miss_over_rpc": statistics.median(r[1] / r[0] for r in rounds),
        "hit_ns": statistics.median(r[2] for r in rounds),
        "miss_dirty_us": statistics.median(r[3] for r in rounds),
        "miss_dirty_over_rpc": statistics.median(r[3] / r[0] for r in rounds),
        "miss_dirty_writebacks_per_miss": statistics.median(r[4] for r in rounds),
        "host_first_touch_us": host_miss_ns / 1e3, "host_hit_ns": host_hit_ns,
        "spawn_s": stress_seconds(run + ["pmon0", os.path.join(USER, "hello")]),
        "stress_host_s": stress_seconds(stress),
    }
    for pmon, share in CACHE_SHARE.items():
        before = misses(run_dir, pmon)
        mem[f"stress_{share}pct_s"] = stress_seconds(run + [pmon] + stress)
        mem[f"stress_{share}pct_misses"] = (misses(run_dir, pmon) - before) // RUNS
    return mem


def report(mem):
    print(f"\nExCache (pmon0, clock) against the wire, medians of {ROUNDS} alternating rounds:")
    print(f"  4 KiB RPC round trip pmon0 -> mmon0   {mem['rpc_rtt_us_4k']:8.1f} us")
    print(f"  miss into a free line                  {mem['miss_us']:8.1f} us "
          f"({mem['miss_over_rpc']:.2f}x the RPC, median of per-round ratios)")
    print(f"  miss evicting a dirty line             {mem['miss_dirty_us']:8.1f} us "
          f"({mem['miss_dirty_over_rpc']:.2f}x the RPC; "
          f"~{mem['miss_dirty_writebacks_per_miss']:.1f} write-backs per timed miss)")
    print(f"  hit: access to a resident line        {mem['hit_ns']:8.0f} ns "
          f"(host: {mem['host_hit_ns']} ns; host first touch {mem['host_first_touch_us']:.1f} us)")
    print(f"\nmemstress {WORKING_SET_KIB} KiB, median of {RUNS} "
          f"(tool round trip of hello: {mem['spawn_s']:.2f} s):")
    print(f"  {'ExCache':>10} {'seconds':>9} {'x host':>8} {'misses/run':>11}")
    for share in CACHE_SHARE.values():
        s = mem[f"stress_{share}pct_s"]
        print(f"  {str(share) + '%':>10} {s:9.2f} {s / mem['stress_host_s']:8.0f} "
              f"{mem[f'stress_{share}pct_misses']:11d}")
    print(f"  {'host':>10} {mem['stress_host_s']:9.3f} {1:8d}")
