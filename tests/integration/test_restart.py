# Killing and restarting nodes of a running cluster with `tessera node`: a killed
# pmon loses its processes, which its host hears of with a clear status; gmon and
# the mmons free everything the processes had, and the pmon, restarted, runs
# programs again (its new incarnation numbers its address spaces from 1 again, the
# ids the dead one used). A killed smon restarts from its disk. A node stopped
# with SIGSTOP for less than hb_timeout_ms is not declared dead.
import subprocess
import time

import pytest

from conftest import BUILD, ToolCluster, module_cluster, node, tessera, wait_for

USER = BUILD / "user"
BUSYBOX = "/bin/busybox"
MMONS = ("mmon0", "mmon1")
HB_TIMEOUT_MS = 1000

TOPOLOGY = (f"[cluster]\nboot_timeout = 60\nhb_timeout_ms = {HB_TIMEOUT_MS}\n"
            + node("gmon0", "gmon")
            + node("pmon0", "pmon", {"excache_kb": 1024}, memory=128, vcpus=2)
            + "".join(node(m, "mmon", memory=128) for m in MMONS)
            + node("smon0", "smon", disk_mib=64))


class Cluster(ToolCluster):
    def node(self, verb, name=None, timeout=300):
        """`tessera node VERB [NAME]` on this cluster: the finished process."""
        return tessera("node", verb, *([name] if name else []), run_dir=self.run,
                       timeout=timeout)

    def nprocs(self):
        return [int(self.kv("memstats", m)["nprocs"]) for m in MMONS]

    def background(self, *args):
        return subprocess.Popen([str(BUILD / "tessera-net"), "--run-dir", str(self.run),
                                 *map(str, args)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from module_cluster(tmp_path_factory, "restart", TOPOLOGY, Cluster)


def test_a_killed_pmon_leaks_nothing_and_restarts(cluster):
    """pmon0 runs two programs holding memory (the cluster's first, so their mm ids
    are the ones a restarted pmon0 hands out first) when it is killed: each host
    tool says it lost pmon0; once gmon declares pmon0 down, no mmon keeps an
    address space; restarted, pmon0 runs programs that match the host's output."""
    assert wait_for(lambda: cluster.tool("run", "pmon0", USER / "hello", 0).returncode == 0,
                    30)                 # gmon takes spawns once it heard every report
    mark = len(cluster.log("pmon0"))
    jobs = [cluster.background("run", "pmon0", BUSYBOX, "sleep", "600") for _ in range(2)]
    try:
        assert wait_for(lambda: cluster.log("pmon0")[mark:].count(" exec: ") == 2, 60)
        assert sum(cluster.nprocs()) >= 2, cluster.nprocs()     # homes and mirrors
        killed = cluster.node("kill", "pmon0")
        assert killed.returncode == 0 and "pmon0 killed" in killed.stdout, killed
        outs = [j.communicate(timeout=60) for j in jobs]
    finally:
        for j in jobs:
            if j.poll() is None:
                j.kill()
                j.wait()
    assert [j.returncode for j in jobs] == [125, 125], outs    # the tool's "cluster failed"
    assert all("lost pmon0" in err for _, err in outs), outs
    assert wait_for(lambda: cluster.nprocs() == [0, 0], 30), cluster.nprocs()
    assert "pmon0=killed" in cluster.node("list").stdout
    restarted = cluster.node("restart", "pmon0")
    assert restarted.returncode == 0 and "pmon0 ready" in restarted.stdout, restarted
    hello = cluster.tool("run", "pmon0", USER / "hello", 3)
    assert hello.returncode == 3 and "hello" in hello.stdout.lower(), hello
    memstress = cluster.tool("run", "pmon0", USER / "memstress", 2048, 7)
    host = subprocess.run([str(USER / "memstress"), "2048", "7"], capture_output=True,
                          text=True, timeout=120)
    assert (memstress.returncode, memstress.stdout) == (0, host.stdout), memstress
    assert wait_for(lambda: cluster.nprocs() == [0, 0], 30), cluster.nprocs()
    assert (cluster.run / "pmon0.log.1").exists()


def test_a_killed_smon_restarts_from_its_disk(cluster, tmp_path):
    """A file put before smon0 is killed is still there after it restarts (it
    mounts the disk it had, not a blank one), and new files are made durable."""
    first = tmp_path / "first"
    first.write_bytes(bytes(range(256)) * 300)
    put = tessera("put", str(first), "1:/restart-first", run_dir=cluster.run, timeout=120)
    assert put.returncode == 0, put
    assert cluster.node("kill", "smon0").returncode == 0
    restarted = cluster.node("restart", "smon0")
    assert restarted.returncode == 0, restarted
    log = cluster.log("smon0")
    assert "file system mounted" in log and "blank disk" not in log, log
    second = tmp_path / "second"
    second.write_bytes(b"after the restart\n" * 1000)
    put = tessera("put", str(second), "1:/restart-second", run_dir=cluster.run, timeout=120)
    assert put.returncode == 0, put
    for name, want in (("first", first), ("second", second)):
        got = tmp_path / f"{name}.back"
        out = tessera("get", f"1:/restart-{name}", str(got), run_dir=cluster.run, timeout=120)
        assert out.returncode == 0, out
        assert got.read_bytes() == want.read_bytes()


def test_a_node_stopped_briefly_is_not_declared_dead(cluster):
    """SIGSTOP of mmon1 for a fifth of hb_timeout_ms (the two commands take
    some more), then SIGCONT: gmon never says it is down, and programs run."""
    mark = len(cluster.log("gmon0"))
    stopped = cluster.node("stop", "mmon1")
    assert stopped.returncode == 0 and "mmon1 stopped" in stopped.stdout, stopped
    time.sleep(HB_TIMEOUT_MS / 5000)
    assert cluster.node("cont", "mmon1").returncode == 0
    assert "mmon1=running" in cluster.node("list").stdout
    hello = cluster.tool("run", "pmon0", USER / "hello", 0)
    assert hello.returncode == 0, hello
    assert " down" not in cluster.log("gmon0")[mark:], cluster.log("gmon0")[mark:]


def test_node_command_refuses_bad_requests(cluster):
    """Unknown node names and verbs on a killed node are refused (status 1);
    without a launcher the command says so (status 2)."""
    assert cluster.node("kill", "nosuch").returncode == 1
    assert cluster.node("kill", "smon0").returncode == 0
    refused = cluster.node("stop", "smon0")
    assert refused.returncode == 1 and "not running" in refused.stdout, refused
    assert cluster.node("restart", "smon0").returncode == 0
    none = tessera("node", "list", run_dir=cluster.run / "nowhere", timeout=30)
    assert none.returncode == 2 and "no launcher" in none.stderr, none


GMON_SCRIPT = """
while [ ! -e /gmon-go ]; do sleep 0.2; done
echo $(echo forked after the restart)
md5sum /gmon-file
"""


def test_a_killed_gmon_restarts_with_no_process_lost(cluster, tmp_path):
    """gmon0 is killed and restarted while a shell runs on pmon0 with a file of its
    vNode open to it: the mmons tell the new gmon what the old one had placed, so
    the shell's forks after the restart find their parent's placements, its files
    are where they were, and new programs run."""
    data = tmp_path / "gmon-file"
    data.write_bytes(bytes(range(256)) * 64)
    assert tessera("put", str(data), "1:/gmon-file", run_dir=cluster.run,
                   timeout=120).returncode == 0
    mark = len(cluster.log("pmon0"))
    job = cluster.background("run", "pmon0", BUSYBOX, "sh", "-c", GMON_SCRIPT)
    try:
        assert wait_for(lambda: " exec: " in cluster.log("pmon0")[mark:], 60)
        marks = {m: len(cluster.log(m)) for m in MMONS}
        assert cluster.node("restart", "gmon0").returncode == 0
        go = tmp_path / "go"
        go.write_text("go\n")
        put = wait_for(lambda: tessera("put", str(go), "1:/gmon-go", run_dir=cluster.run,
                                       timeout=120).returncode == 0, 30)
        assert put
        out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    md5 = subprocess.run(["md5sum", str(data)], capture_output=True, text=True).stdout.split()[0]
    assert job.returncode == 0, (out, err)
    assert out == f"forked after the restart\n{md5}  /gmon-file\n", (out, err)
    assert all("records restored" in cluster.log(m)[marks[m]:] for m in MMONS)
    hello = wait_for(lambda: cluster.tool("run", "pmon0", USER / "hello", 0).returncode == 0, 30)
    assert hello
