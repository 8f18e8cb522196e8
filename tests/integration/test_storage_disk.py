# The storage monitor's disk: the launcher gives each smon a virtio-blk disk
# (its own run/<name>.disk, or the topology's `disk` file), the kernel finds it,
# and with selftest on checks it with many requests in flight, leaving what was
# on it untouched. `disk` on another role is refused before any VM starts.
import os
import re

import pytest

from conftest import (Launcher, assert_no_qemu, node, read_log, ready_lines,
                      tessera)

OLD_MIB = 4                     # smon1's disk, there before the launch

TOPOLOGY = ("[cluster]\nboot_timeout = 120\n"
            + node("gmon0", "gmon")
            + node("smon0", "smon", selftest=True, disk_mib=8)
            + node("smon1", "smon", selftest=True, disk="disks/smon1.img",
                   disk_mib=64))


def old_image():
    """Not blank (so nothing formats it), with a pattern where the check writes."""
    data = bytearray(os.urandom(OLD_MIB << 20))
    data[:16] = b"tessera old disk"
    return bytes(data)


class Storage:
    def __init__(self, tmp, run, launcher, old):
        self.tmp, self.run, self.launcher, self.old = tmp, run, launcher, old

    def log(self, name):
        return read_log(self.run, name)


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    """gmon0, smon0 on a disk the launcher makes, smon1 on a file that exists."""
    tmp = tmp_path_factory.mktemp("storage")
    (tmp / "disks").mkdir()
    old = old_image()
    (tmp / "disks" / "smon1.img").write_bytes(old)
    (tmp / "storage.toml").write_text(TOPOLOGY)
    run = tmp / "run"
    launcher = Launcher(tmp / "storage.toml", run, tmp)
    try:
        launcher.wait_output("cluster ready")
        yield Storage(tmp, run, launcher, old)
    finally:
        result = launcher.stop()
        assert result.returncode == 0, result
        assert_no_qemu(run)


def diskcheck(log):
    m = re.search(r"TESSERA DISKCHECK PASS (.*)", log)
    assert m, "no DISKCHECK PASS line"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m[1])}


def test_launcher_creates_a_missing_disk_sparse(storage):
    """Before: no run/smon0.disk. After: an 8 MiB sparse file, and the launcher
    said it made it."""
    path = storage.run / "smon0.disk"
    assert os.stat(path).st_size == 8 << 20
    assert os.stat(path).st_blocks * 512 < 8 << 20
    assert re.search(r"smon0: disk \S*smon0\.disk, 8 MiB \(created\)",
                     storage.launcher.out.read_text())


def test_kernel_finds_the_disk(storage):
    """smon0 logs its disk's size, flush support and queue, then READY."""
    log = storage.log("smon0")
    line = "[smon0 virtio-blk] disk: 16384 sectors (8 MiB), flush yes, queue 128"
    assert line in log
    assert log.index(line) < log.index("TESSERA READY")


def test_selftest_passes_with_requests_in_flight(storage):
    """The check's threads had several requests posted at once, and every one
    completed without error."""
    for name in ("smon0", "smon1"):
        log = storage.log(name)
        stats = diskcheck(log)
        assert stats["inflight_peak"] >= 2, stats
        assert stats["writes"] >= 8 and stats["flushes"] >= 8, stats
        assert "failed: status" not in log
        assert len(ready_lines(log)) == 1


def test_existing_disk_is_used_as_is(storage):
    """Before: disks/smon1.img (relative to the topology), 4 MiB, disk_mib 64.
    After: still 4 MiB, the guest saw 4 MiB, and the check restored every
    byte it wrote."""
    path = storage.tmp / "disks" / "smon1.img"
    assert os.stat(path).st_size == OLD_MIB << 20
    assert "disk: 8192 sectors (4 MiB), flush yes" in storage.log("smon1")
    assert re.search(r"smon1: disk \S*smon1\.img, 4 MiB\n",
                     storage.launcher.out.read_text())
    assert path.read_bytes() == storage.old


def test_disk_on_a_pmon_is_refused(tmp_path, run_dir):
    """Before: a pmon with a disk key. After: exit 2 and one line naming the
    node and key; no run dir, no disk file, no QEMU."""
    topo = tmp_path / "bad.toml"
    topo.write_text(node("gmon0", "gmon") + node("pmon0", "pmon", disk="p.img"))
    res = tessera("up", "--smoke", topology=topo, run_dir=run_dir, timeout=30)
    assert res.returncode == 2, res
    assert res.stderr.splitlines() == [
        f"tessera: {topo}: node[1] (pmon0): key 'disk' is for role smon only, "
        "not pmon"]
    assert not run_dir.exists() and not (tmp_path / "p.img").exists()
    assert_no_qemu(run_dir)
