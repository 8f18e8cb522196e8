# Every role's image is a multiboot2 kernel that boots from its GRUB ISO, runs
# its boot-time self-test and reports ready with the role and id it was given.
import subprocess

import pytest

from conftest import (BUILD, ROLES, assert_no_qemu, read_log, ready_lines,
                      ready_re, smoke, write_topology)


@pytest.mark.parametrize("role", ROLES)
def test_image_is_multiboot2(role):
    elf = BUILD / f"{role}.elf"
    res = subprocess.run(["grub-file", "--is-x86-multiboot2", str(elf)])
    assert res.returncode == 0, f"{elf} is not a multiboot2 image"


def test_every_role_boots_and_passes_selftest(run_dir, tmp_path):
    """Before: one node per role, selftest on, pmon with 2 vcpus.
    After: each log has SELFTEST PASS, then exactly one READY for its own
    role and id; the launcher exits 0 and no QEMU is left."""
    nodes = [dict(name=f"{role}0", role=role, selftest=True,
                  vcpus=2 if role == "pmon" else 1) for role in ROLES]
    topo = write_topology(tmp_path / "boot.toml", nodes)
    res = smoke(topo, run_dir)
    assert res.returncode == 0, res
    for node_id, role in enumerate(ROLES):
        log = read_log(run_dir, f"{role}0")
        ready = ready_lines(log)
        assert len(ready) == 1, f"{role}0: READY lines: {ready}"
        assert ready_re(role, node_id).search(ready[0]), ready[0]
        assert "TESSERA SELFTEST PASS" in log, f"{role}0: no SELFTEST PASS"
        assert log.index("TESSERA SELFTEST PASS") < log.index("TESSERA READY")
    assert_no_qemu(run_dir)
