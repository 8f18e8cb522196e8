"""make bench, network part: pmon0 -> mmon0 through the fabric in the memory
cluster, whose rounds mem.py alternates with the memory figures' (the wire's
speed drifts tens of percent within a minute here, so a ratio is only fair
between figures taken side by side). Per round: raw echo and RPC round trips of
64 B and 4 KiB, a one-sided READ of 4 KiB and a window of one-way 4 KiB messages.
After the rounds: the idle cluster's host CPU over several windows."""
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tessera-net")
SRC, DST = "pmon0", "mmon0"      # pmon0 asks, mmon0 answers
PROBE_COUNT = 200               # operations per figure per round
STREAM_COUNT = 1000             # messages per stream window (one per round)
IDLE_WINDOWS, IDLE_WINDOW_S = 5, 2.0
PROBES = (("raw", 64), ("rpc", 64), ("raw", 4096), ("rpc", 4096), ("read", 4096))


def key(kind, size):
    return f"{kind}_us_{size}"


def probe(run_dir, kind, size, count):
    out = subprocess.run([TOOL, "--run-dir", run_dir, "probe", SRC, DST, kind,
                          "--size", str(size), "--count", str(count)],
                         capture_output=True, text=True, timeout=600)
    r = dict(re.findall(r"(\w+)=(-?\d+)", out.stdout))
    if out.returncode != 0 or int(r.get("ok", 0)) != count:
        sys.exit(f"bench: probe {kind} {size} failed: {out.stdout}{out.stderr}")
    return {k: int(v) for k, v in r.items()}


def net_round(run_dir):
    """One round: each probe's median in us, and one stream window in MiB/s."""
    r = {key(kind, size): probe(run_dir, kind, size, PROBE_COUNT)["median_ns"] / 1e3
         for kind, size in PROBES}
    s = probe(run_dir, "stream", 4096, STREAM_COUNT)
    r["stream_mib_s_4k"] = STREAM_COUNT * 4096 / (1 << 20) / (s["total_ns"] / 1e9)
    return r


def cluster_pids(run_dir):
    """PIDs of the processes (QEMU, fabric) whose command line names run_dir."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        argv0 = os.path.basename(cmdline.split("\0")[0])
        if argv0.startswith(("qemu-system", "fabric")) and \
                (run_dir in cmdline or cwd.startswith(run_dir)):
            pids.append(int(entry))
    return pids


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])    # utime + stime
    except OSError:
        return 0


def idle_windows(run_dir):
    """Percent of one host core the cluster's processes used, per window, while
    nothing runs on it (the first window starts right after the last round)."""
    pids = cluster_pids(run_dir)
    windows = []
    for _ in range(IDLE_WINDOWS):
        before = sum(cpu_ticks(p) for p in pids)
        time.sleep(IDLE_WINDOW_S)       # the window measured
        after = sum(cpu_ticks(p) for p in pids)
        windows.append(100.0 * (after - before) / os.sysconf("SC_CLK_TCK") / IDLE_WINDOW_S)
    return windows, len(pids)


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(rounds, idle):
    """net.json: each figure's median over the rounds (and its spread), RPC over
    raw as the median of the per-round ratios, and the idle windows."""
    figs = {k: spread([r[k] for r in rounds]) for k in rounds[0]}
    for size in (64, 4096):
        figs[f"rpc_over_raw_{size}"] = spread([r[key("rpc", size)] / r[key("raw", size)]
                                               for r in rounds])
    windows, nprocs = idle
    figs["idle_host_cpu_pct"] = spread(windows)
    figs["method"] = {
        "rounds": len(rounds), "probe_count": PROBE_COUNT, "stream_count": STREAM_COUNT,
        "idle_windows": IDLE_WINDOWS, "idle_window_s": IDLE_WINDOW_S,
        "idle_processes": nprocs,
    }
    return figs


def report(net):
    m = net["method"]
    print(f"\n{SRC} -> {DST} through the fabric: per round, the median of {m['probe_count']} "
          f"operations;\nmedian over {m['rounds']} rounds alternating with the memory "
          "figures' (min..max of the rounds):")
    print(f"  {'':12} {'raw echo us':>18} {'RPC us':>18} {'RPC/raw':>14}")
    for size in (64, 4096):
        raw, rpc = net[key("raw", size)], net[key("rpc", size)]
        ratio = net[f"rpc_over_raw_{size}"]
        print(f"  {str(size) + ' B':12} {raw['median']:8.1f} "
              f"({raw['min']:.0f}..{raw['max']:.0f}) {rpc['median']:8.1f} "
              f"({rpc['min']:.0f}..{rpc['max']:.0f}) {ratio['median']:6.2f} "
              f"({ratio['min']:.2f}..{ratio['max']:.2f})")
    read, raw = net[key("read", 4096)], net[key("raw", 4096)]
    print(f"  one-sided READ 4 KiB: {read['median']:.1f} us "
          f"({read['median'] / raw['median']:.2f}x raw)")
    s = net["stream_mib_s_4k"]
    print(f"  one-way 4 KiB messages, one window of {m['stream_count']} per round: "
          f"{s['median']:.1f} MiB/s ({s['min']:.1f}..{s['max']:.1f})")
    i = net["idle_host_cpu_pct"]
    print(f"  idle cluster: {i['median']:.2f}% of one host core ({i['min']:.2f}..{i['max']:.2f}; "
          f"{m['idle_windows']} windows of {m['idle_window_s']:g} s, "
          f"{m['idle_processes']} processes)")
