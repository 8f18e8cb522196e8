#!/usr/bin/python3
"""make bench: measure a booted cluster, print tables, write build/bench/*.json.

Every figure is taken in this one run on this machine, so ratios between them
mean something; absolute times depend on the host (TCG here, usually)."""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import mem
import proc     # also puts scripts/ on the path (linux_guest.py), for tesseractl
import storage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESSERA = [sys.executable, os.path.join(ROOT, "scripts", "tessera")]
TOOL = os.path.join(ROOT, "build", "tessera-net")
TOPOLOGY = os.path.join(ROOT, "scripts", "cluster.toml")
OUT = os.path.join(ROOT, "build", "bench")
BOOT_RUNS = 3
IDLE_SECONDS = 10
PROBE_COUNT = 500
STREAM_COUNT = 2000
SRC, DST = "pmon0", "mmon0"      # node-to-node figures: pmon0 asks, mmon0 answers


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


def boot_times(run_dir):
    """Seconds from QEMU start to each node's ready line, from one smoke run."""
    out = subprocess.run(TESSERA + ["up", "--smoke", "-t", TOPOLOGY, "--run-dir", run_dir],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"bench: smoke boot failed:\n{out.stdout}{out.stderr}")
    times = {}
    for line in out.stdout.splitlines():
        words = line.split()      # name role id vcpus memory MiB boot s
        if len(words) == 8 and words[-1] == "s":
            times[words[0]] = float(words[-2])
    return times


def probe(run_dir, kind, size, count):
    out = subprocess.run([TOOL, "--run-dir", run_dir, "probe", SRC, DST, kind,
                          "--size", str(size), "--count", str(count)],
                         capture_output=True, text=True, timeout=600)
    r = dict(re.findall(r"(\w+)=(-?\d+)", out.stdout))
    if out.returncode != 0 or int(r.get("ok", 0)) != count:
        sys.exit(f"bench: probe {kind} {size} failed: {out.stdout}{out.stderr}")
    return {k: int(v) for k, v in r.items()}


def idle_cpu(run_dir):
    """Percent of one host core used by the cluster's processes while idle."""
    time.sleep(2)       # let the last probe's traffic settle
    pids = cluster_pids(run_dir)
    before = sum(cpu_ticks(p) for p in pids)
    time.sleep(IDLE_SECONDS)
    after = sum(cpu_ticks(p) for p in pids)
    return 100.0 * (after - before) / os.sysconf("SC_CLK_TCK") / IDLE_SECONDS, len(pids)


def net_figures(run_dir):
    med = lambda kind, size: probe(run_dir, kind, size, PROBE_COUNT)["median_ns"] / 1e3
    net = {
        "raw_rtt_us_64": med("raw", 64), "rpc_rtt_us_64": med("rpc", 64),
        "raw_rtt_us_4k": med("raw", 4096), "rpc_rtt_us_4k": med("rpc", 4096),
        "read_us_4k": med("read", 4096),
    }
    s = probe(run_dir, "stream", 4096, STREAM_COUNT)
    net["stream_mib_s_4k"] = STREAM_COUNT * 4096 / (1 << 20) / (s["total_ns"] / 1e9)
    net["idle_host_cpu_pct"], net["idle_processes"] = idle_cpu(run_dir)
    return net


def default_cluster_figures(run_dir):
    """Everything measured in the default cluster: the network, then procbench."""
    return net_figures(run_dir), proc.tessera_figures(run_dir)


def with_cluster(run_dir, fn, topology=TOPOLOGY):
    """Boot the cluster, run fn(run_dir) while it is up, stop it."""
    launcher = subprocess.Popen(TESSERA + ["up", "-t", topology, "--run-dir", run_dir],
                                stdout=subprocess.PIPE, text=True)
    try:
        for line in launcher.stdout:
            if "cluster ready" in line:
                break
        else:
            sys.exit("bench: cluster did not come up")
        return fn(run_dir)
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=30)


def report(boot, net):
    print(f"{'node':10} {'boot s (median of %d)' % BOOT_RUNS:>24}")
    for name, secs in boot.items():
        print(f"{name:10} {secs:24.2f}")
    print(f"\n{SRC} -> {DST} through the fabric (median of {PROBE_COUNT}):")
    print(f"{'':12} {'raw echo us':>12} {'RPC us':>10} {'RPC/raw':>8}")
    for size, tag in ((64, "64"), (4096, "4k")):
        raw, rpc = net[f"raw_rtt_us_{tag}"], net[f"rpc_rtt_us_{tag}"]
        print(f"{str(size) + ' B':12} {raw:12.1f} {rpc:10.1f} {rpc / raw:8.2f}")
    print(f"one-sided READ 4 KiB: {net['read_us_4k']:.1f} us "
          f"({net['read_us_4k'] / net['raw_rtt_us_4k']:.2f}x raw)")
    print(f"one-way 4 KiB messages: {net['stream_mib_s_4k']:.1f} MiB/s")
    print(f"idle cluster: {net['idle_host_cpu_pct']:.2f}% of one host core "
          f"({net['idle_processes']} processes, {IDLE_SECONDS} s)")


def main():
    os.makedirs(OUT, exist_ok=True)
    linux = proc.linux_figures()        # the Linux guest, alone on the host, first
    linux_storage = storage.linux_figures()
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as run_dir:
        runs = [boot_times(run_dir) for _ in range(BOOT_RUNS)]
        net, tessera_proc = with_cluster(run_dir, default_cluster_figures)
        memory = with_cluster(run_dir, mem.mem_figures, mem.TOPOLOGY)
        # Its own run dir: a fresh disk, not the default cluster's smon0.disk.
        tessera_storage = with_cluster(os.path.join(run_dir, "storage"),
                                       storage.tessera_figures, storage.TOPOLOGY)
    boot = {n: statistics.median(r[n] for r in runs) for n in runs[0]}
    with open(os.path.join(OUT, "boot.json"), "w") as f:
        json.dump({"boot_s_median": boot, "boot_runs": BOOT_RUNS}, f, indent=2)
    with open(os.path.join(OUT, "net.json"), "w") as f:
        json.dump({k: round(v, 2) for k, v in net.items()}, f, indent=2)
    with open(os.path.join(OUT, "mem.json"), "w") as f:
        json.dump({k: round(v, 2) for k, v in memory.items()}, f, indent=2)
    procs = proc.combine(tessera_proc, linux)
    with open(os.path.join(OUT, "proc.json"), "w") as f:
        json.dump(procs, f, indent=2)
    stor = storage.combine(tessera_storage, linux_storage)
    with open(os.path.join(OUT, "storage.json"), "w") as f:
        json.dump(stor, f, indent=2)
    report(boot, net)
    mem.report(memory)
    proc.report(procs)
    storage.report(stor)
    print(f"wrote {os.path.relpath(OUT)}/boot.json, net.json, mem.json, proc.json "
          "and storage.json")


if __name__ == "__main__":
    main()
