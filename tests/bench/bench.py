#!/usr/bin/python3
"""make bench: measure booted clusters, print tables, write build/bench/*.json.

Every figure is taken in this one run on this machine, so ratios between them
mean something; absolute times depend on the host (TCG here, usually). Boot times
come from smoke runs of the default cluster, the process-model figures from the
default cluster, the network and memory figures from the memory cluster in
alternating rounds (net.py, mem.py), the storage figures from their own cluster,
replication's cost and failover time from two clusters at once (replica.py);
the Linux baselines boot first, alone on the host."""
import json
import os
import statistics
import subprocess
import sys
import tempfile

import cluster
import mem
import net
import proc     # also puts scripts/ on the path (linux_guest.py), for tesseractl
import replica
import storage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESSERA = cluster.TESSERA
TOPOLOGY = os.path.join(ROOT, "scripts", "cluster.toml")
OUT = os.path.join(ROOT, "build", "bench")
BOOT_RUNS = 3


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


def with_cluster(run_dir, fn, topology=TOPOLOGY):
    """Boot the cluster, run fn(run_dir) while it is up, stop it."""
    launcher = cluster.up(run_dir, topology)
    try:
        return fn(run_dir)
    finally:
        cluster.down(launcher)


def report(boot):
    print(f"{'node':10} {'boot s (median of %d)' % BOOT_RUNS:>24}")
    for name, secs in boot.items():
        print(f"{name:10} {secs:24.2f}")


def rounded(figures):
    """figures with every float rounded to 2 places, at any depth."""
    if isinstance(figures, dict):
        return {k: rounded(v) for k, v in figures.items()}
    if isinstance(figures, list):
        return [rounded(v) for v in figures]
    return round(figures, 2) if isinstance(figures, float) else figures


def main():
    os.makedirs(OUT, exist_ok=True)
    linux = proc.linux_figures()        # the Linux guest, alone on the host, first
    linux_storage = storage.linux_figures()
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as run_dir:
        runs = [boot_times(run_dir) for _ in range(BOOT_RUNS)]
        tessera_proc = with_cluster(run_dir, proc.tessera_figures)
        network, memory = with_cluster(run_dir, mem.figures, mem.TOPOLOGY)
        # Its own run dir: a fresh disk, not the default cluster's smon0.disk.
        tessera_storage = with_cluster(os.path.join(run_dir, "storage"),
                                       storage.tessera_figures, storage.TOPOLOGY)
        replication = replica.figures(os.path.join(run_dir, "replica"))
    boot = {n: statistics.median(r[n] for r in runs) for n in runs[0]}
    with open(os.path.join(OUT, "boot.json"), "w") as f:
        json.dump({"boot_s_median": boot, "boot_runs": BOOT_RUNS}, f, indent=2)
    with open(os.path.join(OUT, "net.json"), "w") as f:
        json.dump(rounded(network), f, indent=2)
    with open(os.path.join(OUT, "mem.json"), "w") as f:
        json.dump(rounded(memory), f, indent=2)
    with open(os.path.join(OUT, "replica.json"), "w") as f:
        json.dump(rounded(replication), f, indent=2)
    procs = proc.combine(tessera_proc, linux)
    with open(os.path.join(OUT, "proc.json"), "w") as f:
        json.dump(procs, f, indent=2)
    stor = storage.combine(tessera_storage, linux_storage)
    with open(os.path.join(OUT, "storage.json"), "w") as f:
        json.dump(stor, f, indent=2)
    report(boot)
    net.report(network)
    mem.report(memory)
    replica.report(replication)
    proc.report(procs)
    storage.report(stor)
    print(f"wrote {os.path.relpath(OUT)}/boot.json, net.json, mem.json, replica.json, "
          "proc.json and storage.json")


if __name__ == "__main__":
    main()
