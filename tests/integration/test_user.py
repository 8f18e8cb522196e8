# User programs on a real cluster: static musl binaries from tests/user/ run on
# pmons whose only local memory is a small ExCache, with their pages on two
# mmons, and must print exactly what the same binary prints on this host. One
# cluster serves the file: pmon0 evicts with CLOCK, pmon1 with FIFO.
import re
import subprocess

import pytest

from conftest import BUILD, ToolCluster, module_cluster, node, on_host, wait_for

TOOL = str(BUILD / "tessera-net")
USER = BUILD / "user"
EXCACHE_KB = 1024
POLICY = {"pmon0": "clock", "pmon1": "fifo"}


TOPOLOGY = "[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon") + "".join(
    node(pmon, "pmon", {"excache_kb": EXCACHE_KB, "excache_ways": 8, "excache_policy": policy},
         memory=128, vcpus=2) for pmon, policy in POLICY.items()) + "".join(
    node(mmon, "mmon", memory=128) for mmon in ("mmon0", "mmon1"))


class Cluster(ToolCluster):
    def run_prog(self, pmon, prog, *args):
        """Run build/user/<prog> on pmon: (exit status, stdout, stderr)."""
        out = self.tool("run", pmon, USER / prog, *args)
        return out.returncode, out.stdout, out.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from module_cluster(tmp_path_factory, "user", TOPOLOGY, Cluster)


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


@pytest.mark.parametrize("pmon", list(POLICY))
def test_processes_evicting_each_others_lines_match_the_host(cluster, pmon):
    """Three memstress processes at once on one pmon, each with twice the ExCache:
    every miss may evict another process's dirty line, and each must still read
    back exactly its own bytes."""
    kib, seeds = 2 * EXCACHE_KB, (11, 12, 13)
    before = cluster.kv("exstats", pmon)
    procs = [subprocess.Popen([TOOL, "--run-dir", str(cluster.run), "run", pmon,
                               str(USER / "memstress"), str(kib), str(seed)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for seed in seeds]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        results.append((p.returncode, out, err))
    assert results == [on_host("memstress", kib, seed) for seed in seeds], results
    after = cluster.kv("exstats", pmon)
    assert int(after["evictions"]) - int(before["evictions"]) >= 3 * kib // 4, (before, after)
    assert after["writeback_errors"] == before["writeback_errors"], after


def test_malloc_and_vm_edge_cases_match_the_host(cluster):
    for prog in ("malloc", "vmedge"):
        assert cluster.run_prog("pmon1", prog) == on_host(prog), prog


def test_requests_beyond_memory_are_enomem(cluster):
    """mmap, brk and malloc of 1 TiB fail with ENOMEM, as Linux's overcommit heuristic."""
    assert cluster.run_prog("pmon0", "oom") == on_host("oom")


def test_a_file_that_is_not_an_elf_is_enoexec(cluster, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho not an ELF\n")
    out = cluster.tool("run", "pmon1", script)
    assert out.returncode == 126 and "exec failed" in out.stderr, out
    assert "not a static x86-64 executable" in cluster.log("mmon0") + cluster.log("mmon1")
    assert cluster.run_prog("pmon1", "hello")[0] == 0


def test_write_to_read_only_mapping_is_sigsegv(cluster):
    status, out, err = cluster.run_prog("pmon0", "segv")
    assert status == 139 and out == "read ok\n", (status, out, err)
    assert "killed by signal 11" in cluster.log("pmon0")
    # The monitor lives on and runs the next program.
    assert cluster.run_prog("pmon0", "hello")[0] == 0


def new_mm(cluster, pmon, before):
    """The address space (mm id) of the process pmon spawned after its log had
    `before` chars."""
    m = re.search(r"pid \d+ for node \d+ \(vnode \d+\): mm (\d+),", cluster.log(pmon)[before:])
    assert m, cluster.log(pmon)[before:]
    return int(m.group(1))


def copies(cluster, mm):
    """vRegion -> (owner, backup) mmon ids, as the address space's home logged GMM's
    answers (backup None: none)."""
    text = cluster.log("mmon0") + cluster.log("mmon1")
    return {int(v, 16): (int(o), int(b) if b else None) for v, o, b in re.findall(
        rf"mm={mm} vregion=(0x[0-9a-f]+|0) owned by mmon (\d+)(?:, backup mmon (\d+))?",
        text)}


def owners(cluster, mm):
    """vRegion -> owner mmon id."""
    return {r: o for r, (o, _) in copies(cluster, mm).items()}


def test_heap_across_a_vregion_boundary_is_kept_on_both_mmons(cluster):
    """heapcross's break crosses 1 GiB: both sides of the boundary (vRegions 0 and 1)
    are kept by an owner and a backup, the two mmons, and the output is the host's.
    (With one copy per vRegion, test_failover.py runs it until the owners differ.)"""
    mark = len(cluster.log("pmon1"))
    assert cluster.run_prog("pmon1", "heapcross") == on_host("heapcross")
    placed = copies(cluster, new_mm(cluster, "pmon1", mark))
    ids = {cluster.node_id(m) for m in ("mmon0", "mmon1")}
    assert {0, 1} <= placed.keys() and all(set(placed[r]) == ids for r in (0, 1)), placed


def test_forged_fetch_for_another_vnodes_page_is_refused(cluster):
    """Two processes of different vNodes run; a fetch the host forges for one of
    their pages is refused and counted, and both still finish correctly."""
    marks = {p: len(cluster.log(p)) for p in ("pmon0", "pmon1")}
    procs = [subprocess.Popen([TOOL, "--run-dir", str(cluster.run), "run", "--vnode",
                               str(vnode), pmon, str(USER / "memstress"), "8192", "3"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for vnode, pmon in ((1, "pmon0"), (2, "pmon1"))]
    try:
        assert wait_for(lambda: all("exec:" in cluster.log(p)[m:] for p, m in marks.items()),
                        60), [cluster.log(p)[m:] for p, m in marks.items()]
        mms = [new_mm(cluster, p, marks[p]) for p in ("pmon0", "pmon1")]
        assert wait_for(lambda: all(0 in owners(cluster, mm) for mm in mms), 60), mms
        mmon = cluster.name(owners(cluster, mms[0])[0])
        before = cluster.kv("memstats", mmon)
        forged = cluster.kv("fetch", mmon, mms[0], hex(0x401000))
        assert forged["status"] == "-1" and forged["errno"] == "EPERM", forged
        after = cluster.kv("memstats", mmon)
        assert int(after["refused"]) == int(before["refused"]) + 1
        usage = [cluster.kv("memstats", m) for m in ("mmon0", "mmon1")]
        for vnode in (1, 2):
            assert sum(int(u.get(f"vnode.{vnode}.pages", 0)) for u in usage) > 0, usage
    finally:
        results = [p.communicate(timeout=300) for p in procs]
    expected = on_host("memstress", 8192, 3)[1]
    assert [p.returncode for p in procs] == [0, 0], results
    assert [out for out, _ in results] == [expected, expected]
