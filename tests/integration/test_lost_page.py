# A dirty page whose write-back fails for good is never lost in silence. memstress
# pages through an ExCache of 1 MiB while its only mmon's link goes down: the
# write-backs fail, are retried, counted apart from the ones that landed, and the
# program ends with SIGBUS (status 135) instead of reading back stale memory. The
# pmon serves on. Its own cluster: the mmon it cuts off may not heal (issue 13).
import subprocess

import pytest

from conftest import BUILD, ToolCluster, module_cluster, node, tessera, wait_for

TOPOLOGY = "[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon") + node(
    "pmon0", "pmon", {"excache_kb": 1024}, memory=128) + node("mmon0", "mmon", memory=128)
WORKING_SET_KB = 32768          # long enough to be cut off mid-run


class Cluster(ToolCluster):
    def exstats(self):
        return {k: int(v) for k, v in self.kv("exstats", "pmon0").items() if v.isdigit()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from module_cluster(tmp_path_factory, "lostpage", TOPOLOGY, Cluster)


def test_a_failed_write_back_kills_the_process_with_sigbus(cluster):
    before = cluster.exstats()
    prog = subprocess.Popen([str(BUILD / "tessera-net"), "--run-dir", str(cluster.run), "run",
                             "pmon0", str(BUILD / "user" / "memstress"), str(WORKING_SET_KB),
                             "3"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        # Cut the link only once dirty pages are being written back.
        assert wait_for(lambda: cluster.exstats()["writebacks"] > before["writebacks"] + 100,
                        120), cluster.exstats()
        assert tessera("fault", "link", "mmon0", "down", run_dir=cluster.run,
                       timeout=30).returncode == 0
        out, err = prog.communicate(timeout=300)
    finally:
        if prog.poll() is None:
            prog.kill()
            prog.wait()
    tessera("fault", "link", "mmon0", "up", run_dir=cluster.run, timeout=30)
    log = cluster.log("pmon0")
    assert prog.returncode == 135, (prog.returncode, out, err, log[-3000:])
    assert b"mismatches=" not in out, out
    assert "failed for good" in log and "its memory lost a page" in log, log[-3000:]
    after = cluster.exstats()
    assert after["writeback_errors"] > before["writeback_errors"], (before, after)
    echo = cluster.tool("echo", "pmon0")
    assert echo.returncode == 0, echo.stdout + echo.stderr
