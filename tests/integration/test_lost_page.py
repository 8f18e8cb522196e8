# A dirty page whose write-back fails for good is never lost in silence. holddirty
# dirties 512 KiB, which stays in pmon0's 1 MiB ExCache; then its only mmon's link
# goes down, and its mprotect writes the range back: the write-backs fail, are
# retried, counted apart from the ones that landed, and the program ends with
# SIGBUS (status 135) instead of running on without its pages. The pmon serves on.
# Its own cluster: the mmon it cuts off may not heal (issue 13).
import subprocess

import pytest

from conftest import BUILD, ToolCluster, module_cluster, node, tessera

TOPOLOGY = "[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon") + node(
    "pmon0", "pmon", {"excache_kb": 1024}, memory=128) + node("mmon0", "mmon", memory=128)


class Cluster(ToolCluster):
    def exstats(self):
        return {k: int(v) for k, v in self.kv("exstats", "pmon0").items() if v.isdigit()}

    def link(self, state):
        assert tessera("fault", "link", "mmon0", state, run_dir=self.run,
                       timeout=30).returncode == 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from module_cluster(tmp_path_factory, "lostpage", TOPOLOGY, Cluster)


def test_a_failed_write_back_kills_the_process_with_sigbus(cluster):
    before = cluster.exstats()
    prog = subprocess.Popen([str(BUILD / "tessera-net"), "--run-dir", str(cluster.run), "run",
                             "pmon0", str(BUILD / "user" / "holddirty"), "512"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert prog.stdout.readline() == b"dirty\n"
        cluster.link("down")
        out, err = prog.communicate(b"go\n", timeout=300)
    finally:
        if prog.poll() is None:
            prog.kill()
            prog.wait()
        cluster.link("up")
    log = cluster.log("pmon0")
    assert prog.returncode == 135, (prog.returncode, out, err, log[-3000:])
    assert b"checksum=" not in out, out
    assert "failed for good" in log and "its memory lost a page" in log, log[-3000:]
    after = cluster.exstats()
    assert after["writeback_errors"] > before["writeback_errors"], (before, after)
    echo = cluster.tool("echo", "pmon0")
    assert echo.returncode == 0, echo.stdout + echo.stderr
