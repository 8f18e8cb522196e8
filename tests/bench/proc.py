"""make bench, process-model part: build/user/procbench (fork+exit+wait, the same
from a process with MIB MiB freshly written, pipe round trips of 1 byte and
64 KiB) on pmon0 of the default cluster, and the same binary with the same
arguments in a Linux guest (linux_guest.py) under the same QEMU accelerator and
CPU model, in the same make bench run. The result is the ratio tessera / linux
of each figure; build/bench/proc.json holds both sides and the ratios.

The guest runs before any cluster boots, alone on the host (and so a missing
network stops make bench at once, not after the cluster figures); the Tessera
side runs in the default cluster bench.py boots for it."""
import os
import re
import statistics
import sys

import linux_guest
import mem
from tesseractl import qemu, topology

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tessera-net")
PROCBENCH = os.path.join(ROOT, "build", "user", "procbench")
TOPOLOGY = os.path.join(ROOT, "scripts", "cluster.toml")   # bench.py's default cluster
PMON = "pmon0"
# FORKS TOUCHED_FORKS MIB ROUNDS_1B ROUNDS_64K, the same on both sides. Sized for
# TCG: a Tessera fork takes tens of ms (50 of them: a few seconds), a fork after
# writing 4 MiB copies it on the mmons and first writes back the dirty ExCache
# lines, and rewriting the 4 MiB between forks costs 1024 misses (10 of them);
# a pipe round trip on one pmon is sub-ms.
ARGS = (50, 10, 4, 500, 100)
RUNS = 3            # procbench runs per side; each figure is the median of them
GUEST_MEMORY_MIB = 256
FIGURES = (         # procbench's keys, in table order, with their labels
    ("fork_exit_wait_us", "fork + exit + wait"),
    ("fork_touched_exit_wait_us", f"the same, {ARGS[2]} MiB written"),
    ("pipe_rtt_1b_us", "pipe round trip, 1 B"),
    ("pipe_rtt_64k_us", "pipe round trip, 64 KiB"),
)


def parse(out, side):
    """procbench's key=value lines (one run) as floats; every figure or exit."""
    r = {k: float(v) for k, v in re.findall(r"^(\w+)=([0-9.]+)$", out, re.M)}
    if sorted(r) != sorted(k for k, _ in FIGURES):
        sys.exit(f"bench: procbench on {side} printed unexpected output:\n{out}")
    return r


def medians(runs):
    return {k: statistics.median(r[k] for r in runs) for k, _ in FIGURES}


def linux_figures():
    """procbench RUNS times in one boot of the Linux guest, under the accelerator
    the default cluster gets: (median figures, the guest's description)."""
    accel, why = qemu.choose_accel(topology.load(TOPOLOGY).accel)
    argv = " ".join(str(a) for a in ARGS)
    script = (f"for i in {' '.join(map(str, range(RUNS)))}; do\n"
              f"\t/bench/procbench {argv} || exit $?\n\techo @@run@@\ndone\n")
    try:
        res = linux_guest.boot(script, {"/bench/procbench": PROCBENCH},
                               memory_mib=GUEST_MEMORY_MIB, accel=accel)
        package = linux_guest.prepare()[2]
    except linux_guest.GuestError as e:
        sys.exit(f"bench: the Linux baseline failed: {e}")
    if res.status != 0:
        sys.exit(f"bench: procbench failed in the Linux guest (status {res.status}):\n"
                 f"{res.stdout}{res.stderr}")
    runs = [parse(out, "the Linux guest") for out in res.stdout.split("@@run@@\n")[:RUNS]]
    guest = {"kernel": package, "accel": accel, "accel_why": why,
             "cpu": "host" if accel == "kvm" else "max", "vcpus": 1,
             "memory_mib": GUEST_MEMORY_MIB, "boot_s": round(res.boot_s, 2),
             "boot_and_runs_s": round(res.total_s, 2)}
    return medians(runs), guest


def tessera_figures(run_dir):
    """procbench RUNS times on PMON of the running default cluster."""
    run = [TOOL, "--run-dir", run_dir, "run", PMON, PROCBENCH, *map(str, ARGS)]
    mem.wait_spawnable(run_dir, PMON)
    return medians([parse(mem.timed(run)[1].stdout, PMON) for _ in range(RUNS)])


def combine(tessera, linux):
    """proc.json: both sides (microseconds), the ratios, and how they were taken."""
    linux_us, guest = linux
    return {
        "procbench_args": list(ARGS), "runs": RUNS, "tessera_pmon": PMON,
        "tessera_us": {k: round(v, 2) for k, v in tessera.items()},
        "linux_us": {k: round(v, 2) for k, v in linux_us.items()},
        "tessera_over_linux": {k: round(tessera[k] / linux_us[k], 2) for k in tessera},
        "linux_guest": guest,
    }


def report(p):
    g = p["linux_guest"]
    print(f"\nprocess model: procbench {' '.join(map(str, ARGS))}, median of {RUNS} runs "
          f"each, {PMON} against a Linux guest:")
    print(f"  {'':30} {'tessera us':>11} {'linux us':>10} {'tessera/linux':>14}")
    for key, label in FIGURES:
        print(f"  {label:30} {p['tessera_us'][key]:11.1f} {p['linux_us'][key]:10.1f} "
              f"{p['tessera_over_linux'][key]:14.2f}")
    print(f"  Linux guest: {g['kernel']}, accel={g['accel']} -cpu {g['cpu']}, 1 vCPU, "
          f"{g['memory_mib']} MiB; /init after {g['boot_s']:.1f} s, "
          f"boot and runs {g['boot_and_runs_s']:.1f} s")
