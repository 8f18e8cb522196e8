"""make bench, memory part, in the memory cluster (mem.toml), round by round beside
the network figures (net.py): ExCache miss latency beside the 4 KiB RPC round
trip, both for a miss into a free line and for one that evicts a dirty line (and
waits for its write-back), hit latency, and the memory stress on each pmon beside
the same binary on this host. The stress's working set is the largest ExCache the
pmons report, so each pmon's share is its lines over the program's pages; its
time is what memstress measures itself (spawn and image upload timed apart)."""
import os
import re
import statistics
import subprocess
import sys
import time

import net

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tessera-net")
USER = os.path.join(ROOT, "build", "user")
TOPOLOGY = os.path.join(ROOT, "tests", "bench", "mem.toml")
PMONS = ("pmon0", "pmon1", "pmon2")     # mem.toml's, largest ExCache first
MEMLAT_PAGES = 256
RPC_COUNT = 200
ROUNDS = 5          # every figure once per round; the wire's speed drifts
SEED = 1
PHASES = ("fill", "read_seq", "read_stride", "read_random", "bump",
          "reread_seq", "reread_stride", "reread_random")


def tool(run_dir, *args, timeout=900):
    out = subprocess.run([TOOL, "--run-dir", run_dir, *map(str, args)],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit(f"bench: tessera-net {' '.join(map(str, args))} failed: "
                 f"{out.stdout}{out.stderr}")
    return out.stdout


def timed(argv, timeout=900):
    """Seconds argv took, wall clock, and its completed process; exit on failure."""
    start = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {out.stdout}{out.stderr}")
    return time.monotonic() - start, out


def wait_spawnable(run_dir, pmon, timeout=15.0):
    """Right after boot gmon may not have heard every node's first report and
    refuses spawns with EAGAIN until it has (a second later): run hello on pmon
    until it is taken, so no figure includes that wait."""
    end = time.monotonic() + timeout
    while True:
        out = subprocess.run([TOOL, "--run-dir", run_dir, "run", pmon,
                              os.path.join(USER, "hello")], capture_output=True, text=True)
        if out.returncode == 0:
            return
        if "Resource temporarily unavailable" not in out.stderr or time.monotonic() > end:
            sys.exit(f"bench: hello on {pmon} failed: {out.stdout}{out.stderr}")
        time.sleep(0.2)


def memlat(argv):
    """memlat's medians: miss_ns, hit_ns."""
    r = dict(re.findall(r"(\w+)=(\d+)", timed(argv)[1].stdout))
    return int(r["miss_ns"]), int(r["hit_ns"])


def exstats(run_dir, pmon):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\n", tool(run_dir, "exstats", pmon))}


def latency_round(run_dir, run):
    """The 4 KiB RPC median, memlat's miss and hit medians into free lines, then its
    miss median with twice pmon0's lines written first (every timed miss evicts a
    dirty line), and the write-backs that run made per timed miss."""
    memlat_argv = run + ["pmon0", os.path.join(USER, "memlat"), str(MEMLAT_PAGES)]
    lines = exstats(run_dir, "pmon0")["lines"]
    dirty = 2 * lines       # the last `lines` of them evict the first: write-backs too
    rpc = net.probe(run_dir, "rpc", 4096, RPC_COUNT)["median_ns"] / 1e3
    miss_ns, hit_ns = memlat(memlat_argv)
    before = exstats(run_dir, "pmon0")["writebacks"]
    dirty_ns, _ = memlat(memlat_argv + [str(dirty)])
    wbs = exstats(run_dir, "pmon0")["writebacks"] - before - (dirty - lines)
    return {"rpc_us": rpc, "miss_us": miss_ns / 1e3, "hit_ns": hit_ns,
            "miss_dirty_us": dirty_ns / 1e3, "wbs_per_miss": wbs / MEMLAT_PAGES}


def parse_times(stderr, side):
    """memstress's `phase=NAME ns=N` lines and `total_ns=N`, in seconds."""
    times = {k: int(v) / 1e9 for k, v in re.findall(r"^phase=(\w+) ns=(\d+)$", stderr, re.M)}
    total = re.search(r"^total_ns=(\d+)$", stderr, re.M)
    if sorted(times) != sorted(PHASES) or not total:
        sys.exit(f"bench: memstress on {side} printed unexpected times:\n{stderr}")
    return {"total_s": int(total[1]) / 1e9, "phases_s": times}


def stress(argv, side):
    """One memstress run: its own total and phase times (s), the wall time with
    the spawn around it (s), its pages and its result line."""
    wall, out = timed(argv)
    pages = re.search(r"pages=(\d+)", out.stdout)
    if not pages:
        sys.exit(f"bench: memstress on {side} printed no pages=: {out.stdout}")
    return {"wall_s": wall, "pages": int(pages[1]), "result": out.stdout,
            **parse_times(out.stderr, side)}


def geometry(run_dir):
    """Each pmon's ExCache in KiB, as the node reports its lines; the working set is
    the largest of them, so the first pmon holds all of it."""
    kib = {p: exstats(run_dir, p)["lines"] * 4 for p in PMONS}
    return kib, max(kib.values())


def stress_round(run_dir, run, kib, ws_kib, turn):
    """memstress on every pmon, starting with a different one each round, and on
    this host; per side its run, with the misses it took."""
    argv = [os.path.join(USER, "memstress"), str(ws_kib), str(SEED), "1"]
    host = stress(argv, "the host")
    sides = {"host": host}
    for pmon in PMONS[turn % len(PMONS):] + PMONS[:turn % len(PMONS)]:
        before = exstats(run_dir, pmon)["misses"]
        r = stress(run + [pmon] + argv, pmon)
        if r["result"] != host["result"]:
            sys.exit(f"bench: memstress on {pmon} gave {r['result']!r}, "
                     f"the host {host['result']!r}")
        r["misses"] = exstats(run_dir, pmon)["misses"] - before
        r["share_pct"] = round(100 * kib[pmon] / (4 * r["pages"]))
        sides[pmon] = r
    return sides


def figures(run_dir):
    """The network and memory figures, ROUNDS times each, alternating; then the
    idle windows and the spawn of a trivial program: (net.json, mem.json)."""
    run = [TOOL, "--run-dir", run_dir, "run"]
    for pmon in PMONS:
        wait_spawnable(run_dir, pmon)
    kib, ws_kib = geometry(run_dir)
    net_rounds, lat_rounds, stress_rounds = [], [], []
    for turn in range(ROUNDS):
        net_rounds.append(net.net_round(run_dir))
        lat_rounds.append(latency_round(run_dir, run))
        stress_rounds.append(stress_round(run_dir, run, kib, ws_kib, turn))
    idle = net.idle_windows(run_dir)
    spawn = [timed(run + ["pmon0", os.path.join(USER, "hello")])[0] for _ in range(ROUNDS)]
    host = memlat([os.path.join(USER, "memlat"), str(MEMLAT_PAGES)])
    return net.summarize(net_rounds, idle), summarize(lat_rounds, stress_rounds, spawn, host,
                                                       ws_kib)


def med(values):
    return statistics.median(values)


def summarize(lat, rounds, spawn, host, ws_kib):
    """mem.json: medians over the rounds; a ratio is the median of per-round ratios."""
    mem = {
        "rpc_rtt_us_4k": med(r["rpc_us"] for r in lat),
        "miss_us": med(r["miss_us"] for r in lat),
        "miss_over_rpc": med(r["miss_us"] / r["rpc_us"] for r in lat),
        "hit_ns": med(r["hit_ns"] for r in lat),
        "miss_dirty_us": med(r["miss_dirty_us"] for r in lat),
        "miss_dirty_over_rpc": med(r["miss_dirty_us"] / r["rpc_us"] for r in lat),
        "miss_dirty_writebacks_per_miss": med(r["wbs_per_miss"] for r in lat),
        "host_first_touch_us": host[0] / 1e3, "host_hit_ns": host[1],
        "spawn_s": med(spawn),
        "stress_working_set_kib": ws_kib,
        "stress_host_s": med(r["host"]["total_s"] for r in rounds),
        "stress": {},
    }
    for pmon in PMONS:
        runs = [r[pmon] for r in rounds]
        mem["stress"][pmon] = {
            "share_pct": runs[0]["share_pct"],
            "s": med(r["total_s"] for r in runs),
            "wall_s": med(r["wall_s"] for r in runs),
            "over_host": med(r[pmon]["total_s"] / r["host"]["total_s"] for r in rounds),
            "misses": med(r["misses"] for r in runs),
            "phases_s": {k: med(r["phases_s"][k] for r in runs) for k in PHASES},
        }
    mem["method"] = {"rounds": ROUNDS, "memlat_pages": MEMLAT_PAGES, "rpc_count": RPC_COUNT,
                     "stress_seed": SEED}
    return mem


def report(mem):
    m = mem["method"]
    print(f"\nExCache (pmon0, clock) against the wire: per round, the median of "
          f"{m['rpc_count']} RPCs and of\n{m['memlat_pages']} timed misses; median over "
          f"{m['rounds']} rounds (a ratio: the median of per-round ratios):")
    print(f"  4 KiB RPC round trip pmon0 -> mmon0   {mem['rpc_rtt_us_4k']:8.1f} us")
    print(f"  miss into a free line                  {mem['miss_us']:8.1f} us "
          f"({mem['miss_over_rpc']:.2f}x the RPC)")
    print(f"  miss evicting a dirty line             {mem['miss_dirty_us']:8.1f} us "
          f"({mem['miss_dirty_over_rpc']:.2f}x the RPC; "
          f"~{mem['miss_dirty_writebacks_per_miss']:.1f} write-backs per timed miss)")
    print(f"  hit: access to a resident line        {mem['hit_ns']:8.0f} ns "
          f"(host: {mem['host_hit_ns']} ns; host first touch {mem['host_first_touch_us']:.1f} us)")
    print(f"\nmemstress {mem['stress_working_set_kib']} KiB, its own time (spawn and upload "
          f"apart: a hello takes {mem['spawn_s']:.2f} s);\nmedian over {m['rounds']} rounds, "
          "the pmons in turn, the host in the same rounds:")
    print(f"  {'pmon':6} {'ExCache':>8} {'seconds':>9} {'x host':>8} {'wall s':>8} "
          f"{'misses':>8}   slowest phases")
    for pmon, s in mem["stress"].items():
        slow = sorted(s["phases_s"].items(), key=lambda kv: -kv[1])[:3]
        print(f"  {pmon:6} {str(s['share_pct']) + '%':>8} {s['s']:9.2f} {s['over_host']:8.0f} "
              f"{s['wall_s']:8.2f} {s['misses']:8.0f}   "
              + ", ".join(f"{k} {v:.2f}" for k, v in slow))
    print(f"  {'host':6} {'':>8} {mem['stress_host_s']:9.4f} {1:8d}")
