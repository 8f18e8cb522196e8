"""make bench, storage part: build/user/fsbench (tests/user/fsbench.c: sequential
and random 4 KiB throughput, fsync latency) on pmon0 of a Tessera cluster whose
files go pmon0 -> mmon0 (the vNode's front, its buffer cache) -> smon0 -> tfs on a
virtio-blk image, and the same binary with the same arguments in the Linux guest
(linux_guest.py) on ext4 on the same kind of image: a sparse raw file of the same
size in the same host directory, attached with the same QEMU options
(qemu.disk_args), under the same accelerator and CPU model. The page cache of
each side lives in MEMORY_MIB: the Linux guest's RAM, the front mmon's.

Every ratio is tessera / linux of the time the same work takes (for a rate, the
Linux rate over Tessera's): above 1, Tessera is slower. build/bench/storage.json
holds both sides, the ratios and the front mmon's cache counters.

On its own (both sides, nothing else; under the QEMU lock when others share the host):
    make -j2 iso user-progs build/tessera-net && python3 tests/bench/storage.py"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import linux_guest
import mem
from tesseractl import qemu, topology

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tessera-net")
FSBENCH = os.path.join(ROOT, "build", "user", "fsbench")
TOPOLOGY = os.path.join(ROOT, "tests", "bench", "storage.toml")
PMON, FRONT = "pmon0", "mmon0"
DIR = "/mnt"            # the guest's mount point; on the vNode, fsbench makes it
# MIB OPS ROUNDS, the same on both sides. 16 MiB fits both caches (the front
# mmon's budget is a quarter of its free memory), so the reads right after the
# write are cached on both; sized so this part of make bench takes about a
# minute under TCG (the Linux guest 5 s, the cluster and 3 Tessera runs the rest).
ARGS = (16, 4000, 100)
RUNS = 3                # fsbench runs per side; each figure is the median of them
MEMORY_MIB = 128
DISK_MIB = 256          # as smon0's disk_mib in storage.toml
MODULES = ("virtio_pci", "virtio_blk")      # ext4 is built into the cloud kernel
FIGURES = (             # fsbench's keys in table order: label, unit, a rate?
    ("seq_write_mib_s", "seq write 64 KiB, then fsync", "MiB/s", True),
    ("seq_write_fsync_ms", "  its closing fsync", "ms", False),
    ("seq_read_mib_s", "seq read 64 KiB, cached", "MiB/s", True),
    ("seq_read_cold_mib_s", "seq read 64 KiB, from disk", "MiB/s", True),
    ("rand_read_ops_s", "random read 4 KiB, cached", "ops/s", True),
    ("rand_read_cold_ops_s", "random read 4 KiB, from disk", "ops/s", True),
    ("rand_write_ops_s", "random write 4 KiB", "ops/s", True),
    ("rand_write_synced_ops_s", "  the same, then fsync", "ops/s", True),
    ("fsync_median_us", "write 4 KiB + fsync, median", "us", False),
    ("fsync_p90_us", "write 4 KiB + fsync, p90", "us", False),
)
COLD = ("seq_read_cold_mib_s", "rand_read_cold_ops_s")      # only where caches drop
CACHE_KEYS = ("cache_hits", "cache_misses", "cache_reads", "cache_writes")

GUEST_SCRIPT = f"""mount -t devtmpfs dev /dev
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p {DIR}
mount -t ext4 /dev/vda {DIR} || exit 1
for i in {' '.join(map(str, range(RUNS)))}; do
	/bench/fsbench {DIR} {' '.join(map(str, ARGS))} || exit $?
	echo @@run@@
done
umount {DIR}
"""


def parse(out, side):
    """fsbench's key=value lines as floats; every figure (the cold ones only
    where caches were dropped) or exit."""
    r = {k: float(v) for k, v in re.findall(r"^(\w+)=([0-9.]+)$", out, re.M)}
    want = {k for k, *_ in FIGURES if k not in COLD or r.get("cache_drop")} | {"cache_drop"}
    if set(r) != want:
        sys.exit(f"bench: fsbench on {side} printed unexpected output:\n{out}")
    return r


def medians(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def mkfs_ext4():
    """The host's mkfs.ext4 (Debian's e2fsprogs, scripts/deps), also in /sbin."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    tool = shutil.which("mkfs.ext4", path=path)
    if not tool:
        sys.exit("bench: mkfs.ext4 not found: install e2fsprogs (scripts/deps)")
    return tool


def linux_figures():
    """fsbench in one boot of the Linux guest, on a fresh ext4 image: (figures,
    the guest's description). Runs alone, before any cluster boots."""
    accel, why = qemu.choose_accel(topology.load(TOPOLOGY).accel)
    with tempfile.TemporaryDirectory(prefix="tessera-bench-disk-") as tmp:
        image = os.path.join(tmp, "linux.img")
        with open(image, "wb") as f:
            f.truncate(DISK_MIB << 20)
        # Inode tables and journal written now, so no lazy-init thread runs
        # in the guest while it measures.
        out = subprocess.run([mkfs_ext4(), "-q", "-F", "-E",
                              "lazy_itable_init=0,lazy_journal_init=0", image],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"bench: mkfs.ext4 failed: {out.stderr.strip()}")
        try:
            res = linux_guest.boot(GUEST_SCRIPT, {"/bench/fsbench": FSBENCH},
                                   memory_mib=MEMORY_MIB, accel=accel, modules=MODULES,
                                   qemu_args=qemu.disk_args(image))
            package = linux_guest.prepare()[2]
        except linux_guest.GuestError as e:
            sys.exit(f"bench: the Linux storage baseline failed: {e}")
    if res.status != 0:
        sys.exit(f"bench: fsbench failed in the Linux guest (status {res.status}):\n"
                 f"{res.stdout}{res.stderr}")
    guest = {"kernel": package, "accel": accel, "accel_why": why,
             "cpu": "host" if accel == "kvm" else "max", "vcpus": 1,
             "memory_mib": MEMORY_MIB, "fs": "ext4 (mkfs.ext4 defaults: journal, "
             "data=ordered)", "boot_s": round(res.boot_s, 2),
             "boot_and_run_s": round(res.total_s, 2)}
    runs = [parse(out, "the Linux guest") for out in res.stdout.split("@@run@@\n")[:RUNS]]
    return medians(runs), guest


def cache_counters(run_dir):
    """The front mmon's buffer cache counters (CACHE_KEYS and cache_budget)."""
    out = subprocess.run([TOOL, "--run-dir", run_dir, "memstats", FRONT],
                         capture_output=True, text=True, timeout=60)
    r = dict(re.findall(r"^(\w+)=(\d+)$", out.stdout, re.M))
    if out.returncode != 0 or not all(k in r for k in CACHE_KEYS + ("cache_budget",)):
        sys.exit(f"bench: tessera-net memstats {FRONT} failed: {out.stdout}{out.stderr}")
    return {k: int(r[k]) for k in CACHE_KEYS + ("cache_budget",)}


def fsbench_once(run_dir):
    """One fsbench run on PMON: its figures."""
    run = [TOOL, "--run-dir", run_dir, "run", PMON, FSBENCH, DIR, *map(str, ARGS)]
    out = subprocess.run(run, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        sys.exit(f"bench: fsbench on {PMON} failed (status {out.returncode}):\n"
                 f"{out.stdout}{out.stderr}")
    return parse(out.stdout, PMON)


def tessera_figures(run_dir):
    """fsbench RUNS times on PMON of the running storage cluster (storage.toml):
    (median figures, what the front mmon's buffer cache did meanwhile, per run,
    and its budget in pages)."""
    mem.wait_spawnable(run_dir, PMON)
    before = cache_counters(run_dir)
    runs = [fsbench_once(run_dir) for _ in range(RUNS)]
    after = cache_counters(run_dir)
    cache = {k: (after[k] - before[k]) // RUNS for k in CACHE_KEYS}
    cache["cache_budget"] = after["cache_budget"]
    return medians(runs), cache


def combine(tessera, linux):
    """storage.json: both sides, the time ratios, and how they were taken."""
    (t, cache), (l, guest) = tessera, linux
    keys = [k for k, *_ in FIGURES if k in t and k in l]
    rate = {k: r for k, _, _, r in FIGURES}
    return {
        "fsbench_args": [DIR, *ARGS], "runs": RUNS, "tessera_pmon": PMON, "front_mmon": FRONT,
        "disk_mib": DISK_MIB, "cache_memory_mib": MEMORY_MIB,
        "tessera": t, "linux": l,
        "tessera_over_linux_time": {
            k: round(l[k] / t[k] if rate[k] else t[k] / l[k], 2) for k in keys},
        "front_cache_during_run": cache,
        "linux_guest": guest,
    }


def report(s):
    g, c = s["linux_guest"], s["front_cache_during_run"]
    mib, ops, rounds = ARGS
    print(f"\nstorage: fsbench {DIR} {mib} {ops} {rounds} ({mib} MiB file, {ops} random "
          f"ops, {rounds} fsync rounds), {DISK_MIB} MiB virtio-blk images, median of "
          f"{RUNS} runs each;")
    print(f"  {PMON} -> {FRONT} (front, buffer cache) -> smon0 (tfs) against a Linux "
          f"guest on ext4. Ratio: tessera/linux time, above 1 Tessera is slower")
    print(f"  {'':32} {'unit':>6} {'tessera':>10} {'linux':>10} {'ratio':>7}")
    for key, label, unit, _ in FIGURES:
        t, l = s["tessera"].get(key), s["linux"].get(key)
        ratio = s["tessera_over_linux_time"].get(key)
        print(f"  {label:32} {unit:>6} {'-' if t is None else f'{t:.1f}':>10} "
              f"{'-' if l is None else f'{l:.1f}':>10} "
              f"{'-' if ratio is None else f'{ratio:.2f}':>7}")
    print(f"  cached: in the page cache (Linux) or {FRONT}'s buffer cache (Tessera); "
          f"from disk: Linux after drop_caches (Tessera has no such control yet)")
    print(f"  {FRONT}'s cache ({c['cache_budget'] >> 8} MiB budget), per run: "
          f"{c['cache_hits']} reads served whole, {c['cache_misses']} pages fetched, "
          f"{c['cache_reads']} reads and {c['cache_writes']} writes sent to smon0")
    print(f"  Linux guest: {g['kernel']}, accel={g['accel']} -cpu {g['cpu']}, 1 vCPU, "
          f"{g['memory_mib']} MiB, {g['fs']}; /init after {g['boot_s']:.1f} s, "
          f"boot and run {g['boot_and_run_s']:.1f} s")


def main():
    import bench        # with_cluster; bench imports this module, so not at the top
    linux = linux_figures()
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as run_dir:
        tessera = bench.with_cluster(run_dir, tessera_figures, TOPOLOGY)
    s = combine(tessera, linux)
    os.makedirs(bench.OUT, exist_ok=True)
    with open(os.path.join(bench.OUT, "storage.json"), "w") as f:
        json.dump(s, f, indent=2)
    report(s)


if __name__ == "__main__":
    main()
