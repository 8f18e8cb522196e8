# No VM outlives its launcher, however the launcher ends: killed outright
# (PR_SET_PDEATHSIG), signalled mid-boot, or failing because a VM died or
# never became ready.
import os
import signal

from conftest import (BUILD, assert_no_qemu, qemu_pids, smoke, wait_for,
                      write_topology)

NODES = [dict(name="gmon0", role="gmon"), dict(name="pmon0", role="pmon")]


def start_two_nodes(launcher, run_dir, tmp_path):
    """Start `tessera up` on gmon0 + pmon0; return once both QEMUs exist."""
    topo = write_topology(tmp_path / "two.toml", NODES)
    up = launcher(topo, run_dir)
    pids = wait_for(lambda: len(qemu_pids(run_dir)) == 2
                    and qemu_pids(run_dir), 30, step=0.02)
    assert pids, f"QEMUs did not start: {up.result()}"
    return up, pids


def test_sigkill_of_launcher_kills_its_vms(launcher, run_dir, tmp_path):
    """Before: two QEMUs booting. After SIGKILL to the launcher (no chance
    to clean up): both QEMUs are gone within 5 s."""
    up, pids = start_two_nodes(launcher, run_dir, tmp_path)
    res = up.stop(signal.SIGKILL)
    assert res.returncode == -signal.SIGKILL
    assert_no_qemu(run_dir, grace=5.0)


def test_sigterm_mid_boot_stops_cleanly(launcher, run_dir, tmp_path):
    """Before: two QEMUs booting. After SIGTERM: the launcher says it was
    interrupted, exits 128+15 and has stopped both QEMUs."""
    up, pids = start_two_nodes(launcher, run_dir, tmp_path)
    res = up.stop(signal.SIGTERM)
    if "cluster ready" in res.stdout:        # booted faster than we looked
        assert res.returncode == 0, res
    else:
        assert res.returncode == 128 + signal.SIGTERM, res
        assert "interrupted by SIGTERM" in res.stderr, res
    assert_no_qemu(run_dir)


def test_vm_death_while_up_fails_the_launcher(launcher, run_dir, tmp_path):
    """Before: a ready two-node cluster. After pmon0's QEMU is killed: the
    launcher reports pmon0 and 'QEMU exited', exits 1, stops gmon0 too."""
    topo = write_topology(tmp_path / "two.toml", NODES)
    up = launcher(topo, run_dir)
    up.wait_output("cluster ready")
    pmon = next(p for p in qemu_pids(run_dir)
                if b"pmon0.cfg" in open(f"/proc/{p}/cmdline", "rb").read())
    os.kill(pmon, signal.SIGKILL)
    up.proc.wait(timeout=30)
    res = up.result()
    assert res.returncode == 1, res
    assert "node pmon0" in res.stderr and "QEMU exited" in res.stderr, res
    assert_no_qemu(run_dir)


def test_boot_timeout_fails_the_launcher(run_dir, tmp_path):
    """Before: gmon0's ISO is not bootable, boot_timeout = 2. After: the
    launcher gives up on gmon0 after 2 s, exits 1 and leaves no QEMU."""
    build = tmp_path / "build"
    (build / "iso").mkdir(parents=True)
    (build / "iso" / "gmon.iso").write_bytes(b"\0" * 65536)
    (build / "fabric").symlink_to(BUILD / "fabric")
    topo = write_topology(tmp_path / "t.toml", NODES[:1], boot_timeout=2)
    res = smoke(topo, run_dir, build_dir=build, timeout=60)
    assert res.returncode == 1, res
    assert "node gmon0" in res.stderr, res
    assert "no ready line within 2 s (boot_timeout)" in res.stderr, res
    assert_no_qemu(run_dir)
