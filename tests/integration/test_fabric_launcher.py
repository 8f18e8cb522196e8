# The launcher's fabric wiring without QEMU: the fabric and NIC command
# lines built from a topology, and `tessera fault` against a fabric started
# by hand in a run dir (exit status 0 ok, 1 error, 2 no fabric).
import subprocess

from tesseractl import fabric, qemu, topology

from conftest import REPO, Result, tessera, tessera_argv, write_topology


def default_cluster():
    return topology.load(REPO / "scripts" / "cluster.toml",
                         "scripts/cluster.toml")


def test_fabric_command_line_has_one_port_per_node_and_host_entry():
    c = default_cluster()
    assert fabric.argv("/b", "/r", c) == [
        "/b/fabric", "--dir", "/r/fabric", "--seed", "1",
        "--port", "gmon0=52:54:00:7e:00:00",
        "--port", "pmon0=52:54:00:7e:00:01",
        "--port", "mmon0=52:54:00:7e:00:02",
        "--port", "mmon1=52:54:00:7e:00:03",
        "--port", "smon0=52:54:00:7e:00:04",
        "--port", "host0=52:54:00:7e:01:00",
        "--port", "host1=52:54:00:7e:01:01",
        "--port", "host2=52:54:00:7e:01:02",
        "--port", "host3=52:54:00:7e:01:03"]


def test_seed_comes_from_the_topology(tmp_path):
    topo = write_topology(tmp_path / "t.toml", [dict(name="g", role="gmon")],
                          seed=123456789012)
    c = topology.load(topo)
    assert c.seed == 123456789012
    assert fabric.argv("/b", "/r", c)[3:5] == ["--seed", "123456789012"]


def test_nic_is_virtio_net_on_the_nodes_port():
    """Relative socket paths: QEMU runs in <run>/fabric; the MTU is the
    cluster's (9000 by default)."""
    c = default_cluster()
    node = c.nodes[1]
    assert c.mtu == 9000
    assert fabric.nic_args(node, c.mtu) == [
        "-netdev", "dgram,id=n0,local.type=unix,local.path=pmon0.peer.sock,"
        "remote.type=unix,remote.path=pmon0.sock",
        "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:7e:00:01,"
        "disable-legacy=on,host_mtu=9000"]
    assert "-netdev" not in qemu.argv(node, "tcg", "i", "c", "l")


def test_fault_without_a_fabric_exits_2(tmp_path):
    res = tessera("fault", "stats", run_dir=tmp_path / "run", timeout=30)
    assert res.returncode == 2, res
    assert "no fabric answers" in res.stderr, res
    assert res.stdout == ""


def test_fault_drives_the_fabric_of_a_run_dir(fabric, tmp_path):
    """Before: a fabric in <run>/fabric, <run> deeper than sun_path allows.
    `fault stats` prints every port and exits 0; a bad command exits 1 with
    the fabric's error on stderr; no words print the command list; a
    relative pcap path is the caller's; `fault quit` stops the fabric."""
    run = tmp_path / ("r" * 60) / "run"
    run.mkdir(parents=True)
    fab = fabric({"a": "02:00:00:00:00:0a", "b": "02:00:00:00:00:0b"},
                 directory=run / "fabric")
    assert len(str(run / "fabric" / "control.sock")) > 107

    def fault(*words, cwd=REPO):
        proc = subprocess.run(tessera_argv("fault", *words, run_dir=run),
                              capture_output=True, text=True, timeout=30,
                              cwd=cwd)
        return Result(proc, proc.stdout, proc.stderr)
    res = fault("stats")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert [l.split()[0] for l in lines] == ["port=a", "port=b", "ok"]
    res = fault("loss", "0.1")
    assert (res.returncode, res.stdout) == (0, "ok loss=0.1 scope=global\n")
    res = fault("seed", "-1")
    assert res.returncode == 1, res
    assert res.stderr.startswith("tessera: fabric: error seed:"), res
    res = fault()
    assert res.returncode == 0 and "partition" in res.stdout, res
    res = fault("pcap", "start", "x.pcap", cwd=tmp_path)
    assert res.stdout == f"ok pcap writing {tmp_path}/x.pcap\n", res
    assert (tmp_path / "x.pcap").stat().st_size == 24
    assert fault("quit").stdout == "ok bye\n"
    assert fab.proc.wait(timeout=10) == 0
    assert fault("stats").returncode == 2
