# The launcher rejects a broken topology before it touches QEMU or the run
# dir: exit status 2 and exactly one stderr line naming the file and the key.
# Each file in topologies/ states the message it must produce on its first
# line ("# expect: ..."). None of these tests needs a kernel image.
import pathlib

import pytest

from conftest import assert_no_qemu, tessera

HERE = pathlib.Path(__file__).parent
TOPOLOGIES = sorted((HERE / "topologies").glob("*.toml"))


def expected_message(path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: no '# expect:' line"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("topo", TOPOLOGIES, ids=lambda p: p.stem)
def test_broken_topology_is_rejected(topo, run_dir, tmp_path):
    """Before: a topology with one mistake. After: exit 2, one stderr line
    'tessera: <file>: ...<expected>', no stdout, no run dir, no QEMU."""
    res = tessera("up", "--smoke", topology=topo, run_dir=run_dir,
                  build_dir=tmp_path / "no-build", timeout=30)
    assert res.returncode == 2, res
    assert res.stdout == "", res
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res
    assert lines[0].startswith(f"tessera: {topo}: "), lines[0]
    assert expected_message(topo) in lines[0], lines[0]
    assert not run_dir.exists()
    assert_no_qemu(run_dir)


def test_missing_topology_file(run_dir, tmp_path):
    res = tessera("up", topology=tmp_path / "absent.toml", run_dir=run_dir,
                  timeout=30)
    assert res.returncode == 2, res
    assert res.stderr.splitlines() == [
        f"tessera: {tmp_path / 'absent.toml'}: cannot read: "
        "No such file or directory"]


def test_default_topology_is_valid(run_dir, tmp_path):
    """scripts/cluster.toml passes validation: with no images, the launcher
    gets as far as looking for the ISOs (exit 1, not 2)."""
    res = tessera("up", "--smoke", run_dir=run_dir,
                  build_dir=tmp_path / "no-build", timeout=30)
    assert res.returncode == 1, res
    assert "missing" in res.stderr and "make iso" in res.stderr, res
    assert_no_qemu(run_dir)


def test_every_broken_topology_is_covered():
    """Keep the suite honest: one file per class of mistake above."""
    assert len(TOPOLOGIES) >= 5
