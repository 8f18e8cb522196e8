# User programs on a real cluster: static musl binaries from tests/user/ run on
# pmons whose only local memory is a small ExCache, with their pages on two
# mmons, and must print exactly what the same binary prints on this host. One
# cluster serves the file: pmon0 evicts with CLOCK, pmon1 with FIFO.
import re
import subprocess

import pytest

from conftest import BUILD, Launcher, assert_no_qemu, read_log

TOOL = str(BUILD / "tessera-net")
USER = BUILD / "user"
EXCACHE_KB = 1024
TOPOLOGY = f"""
[cluster]
boot_timeout = 60

[[node]]
name = "gmon0"
role = "gmon"

[[node]]
name = "pmon0"
role = "pmon"
memory = 128
vcpus = 2
[node.options]
excache_kb = {EXCACHE_KB}
excache_ways = 8
excache_policy = "clock"

[[node]]
name = "pmon1"
role = "pmon"
memory = 128
vcpus = 2
[node.options]
excache_kb = {EXCACHE_KB}
excache_ways = 8
excache_policy = "fifo"

[[node]]
name = "mmon0"
role = "mmon"
memory = 128

[[node]]
name = "mmon1"
role = "mmon"
memory = 128
"""
POLICY = {"pmon0": "clock", "pmon1": "fifo"}


class Cluster:
    def __init__(self, run):
        self.run = run

    def net(self, *args, timeout=300):
        out = subprocess.run([TOOL, "--run-dir", str(self.run), *map(str, args)],
                             capture_output=True, text=True, timeout=timeout)
        return out

    def run_prog(self, pmon, prog, *args):
        """Run build/user/<prog> on pmon: (exit status, stdout, stderr)."""
        out = self.net("run", pmon, USER / prog, *args)
        return out.returncode, out.stdout, out.stderr

    def kv(self, *args):
        out = self.net(*args)
        assert out.returncode == 0, out.stdout + out.stderr
        return dict(re.findall(r"([\w.]+)=([\w,-]+)", out.stdout))

    def log(self, name):
        return read_log(self.run, name)


def on_host(prog, *args):
    out = subprocess.run([str(USER / prog), *map(str, args)], capture_output=True,
                         text=True, timeout=60)
    return out.returncode, out.stdout, out.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("user")
    (tmp / "user.toml").write_text(TOPOLOGY)
    run = tmp / "run"
    launcher = Launcher(tmp / "user.toml", run, tmp)
    try:
        launcher.wait_output("cluster ready")
        yield Cluster(run)
    finally:
        result = launcher.stop()
        assert result.returncode == 0, result
        assert_no_qemu(run)


def test_hello_prints_and_exits_with_its_status(cluster):
    status, out, err = cluster.run_prog("pmon0", "hello", 7, "two words")
    assert (status, out, err) == on_host("hello", 7, "two words")
    assert status == 7 and "hello from tessera" in out and "to stderr" in err


@pytest.mark.parametrize("pmon", ["pmon0", "pmon1"])
@pytest.mark.parametrize("factor", [4, 16])
def test_memory_stress_matches_the_host(cluster, pmon, factor):
    """A working set 4x and 16x the ExCache, under CLOCK (pmon0) and FIFO (pmon1)."""
    before = cluster.kv("exstats", pmon)
    kib = factor * EXCACHE_KB
    status, out, err = cluster.run_prog(pmon, "memstress", kib, factor)
    assert (status, out, err) == on_host("memstress", kib, factor)
    assert "mismatches=0" in out
    after = cluster.kv("exstats", pmon)
    assert after["policy"] == POLICY[pmon]
    pages = kib // 4
    for counter in ("misses", "evictions", "writebacks"):
        assert int(after[counter]) - int(before[counter]) >= pages, (counter, before, after)


def test_malloc_and_vm_edge_cases_match_the_host(cluster):
    for prog in ("malloc", "vmedge"):
        assert cluster.run_prog("pmon1", prog) == on_host(prog), prog


def test_write_to_read_only_mapping_is_sigsegv(cluster):
    status, out, err = cluster.run_prog("pmon0", "segv")
    assert status == 139 and out == "read ok\n", (status, out, err)
    assert "killed by signal 11" in cluster.log("pmon0")
    # The monitor lives on and runs the next program.
    assert cluster.run_prog("pmon0", "hello")[0] == 0


def test_heap_across_a_vregion_boundary_on_two_mmons(cluster):
    before = [int(cluster.kv("memstats", m)["fetches"]) for m in ("mmon0", "mmon1")]
    assert cluster.run_prog("pmon1", "heapcross") == on_host("heapcross")
    after = [int(cluster.kv("memstats", m)["fetches"]) for m in ("mmon0", "mmon1")]
    assert all(a > b for a, b in zip(after, before)), (before, after)
