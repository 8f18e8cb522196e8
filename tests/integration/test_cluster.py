# The default topology (scripts/cluster.toml, what `make run-cluster` boots)
# comes up completely: every node reports ready and the launcher's smoke
# table lists each one.
import tomllib

from conftest import (REPO, assert_no_qemu, read_log, ready_lines, ready_re,
                      tessera)


def default_nodes():
    with open(REPO / "scripts" / "cluster.toml", "rb") as f:
        return tomllib.load(f)["node"]


def table_rows(stdout):
    """Rows of the smoke table, keyed by node name."""
    lines = stdout.splitlines()
    head = next(i for i, l in enumerate(lines)
                if l.split()[:3] == ["node", "role", "id"])
    return {l.split()[0]: l.split() for l in lines[head + 1:] if l.strip()}


def test_default_cluster_boots(run_dir):
    """Before: scripts/cluster.toml, unmodified. After: exit 0, one table
    row per node with its role and id, one READY per log, no QEMU left."""
    res = tessera("up", "--smoke", run_dir=run_dir)
    assert res.returncode == 0, res
    rows = table_rows(res.stdout)
    nodes = default_nodes()
    assert sorted(rows) == sorted(n["name"] for n in nodes), res.stdout
    for node_id, node in enumerate(nodes):
        row = rows[node["name"]]
        assert row[1:3] == [node["role"], str(node_id)], row
        ready = ready_lines(read_log(run_dir, node["name"]))
        assert len(ready) == 1, f"{node['name']}: READY lines: {ready}"
        assert ready_re(node["role"], node_id).search(ready[0]), ready[0]
    assert_no_qemu(run_dir)
