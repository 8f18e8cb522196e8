#!/usr/bin/python3
"""make bench: measure a booted cluster, print tables, write build/bench/*.json.

Every figure is taken in this one run on this machine, so ratios between them
mean something; absolute times depend on the host (TCG here, usually)."""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESSERA = [sys.executable, os.path.join(ROOT, "scripts", "tessera")]
TOPOLOGY = os.path.join(ROOT, "scripts", "cluster.toml")
OUT = os.path.join(ROOT, "build", "bench")
BOOT_RUNS = 3
IDLE_SECONDS = 10


def cluster_pids(run_dir):
    """PIDs of the processes (QEMU, fabric) whose command line names run_dir."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        argv0 = os.path.basename(cmdline.split("\0")[0])
        if run_dir in cmdline and argv0.startswith(("qemu-system", "fabric")):
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


def idle_cpu(run_dir):
    """Percent of one host core used by the cluster's processes while idle."""
    proc = subprocess.Popen(TESSERA + ["up", "-t", TOPOLOGY, "--run-dir", run_dir],
                            stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if "cluster ready" in line:
                break
        else:
            sys.exit("bench: cluster did not come up")
        time.sleep(1)       # let boot work settle
        pids = cluster_pids(run_dir)
        before = sum(cpu_ticks(p) for p in pids)
        time.sleep(IDLE_SECONDS)
        after = sum(cpu_ticks(p) for p in pids)
        hz = os.sysconf("SC_CLK_TCK")
        return 100.0 * (after - before) / hz / IDLE_SECONDS, len(pids)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as run_dir:
        runs = [boot_times(run_dir) for _ in range(BOOT_RUNS)]
        idle_pct, nproc = idle_cpu(run_dir)
    boot = {n: statistics.median(r[n] for r in runs) for n in runs[0]}
    result = {"boot_s_median": boot, "boot_runs": BOOT_RUNS,
              "idle_host_cpu_pct": round(idle_pct, 2), "idle_processes": nproc,
              "idle_seconds": IDLE_SECONDS}
    with open(os.path.join(OUT, "boot.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"{'node':10} {'boot s (median of %d)' % BOOT_RUNS:>24}")
    for name, secs in boot.items():
        print(f"{name:10} {secs:24.2f}")
    print(f"idle cluster: {idle_pct:.2f}% of one host core "
          f"({nproc} processes, {IDLE_SECONDS} s)")
    print(f"wrote {os.path.relpath(os.path.join(OUT, 'boot.json'))}")


if __name__ == "__main__":
    main()
