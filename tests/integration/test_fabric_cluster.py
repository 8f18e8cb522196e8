# The fabric with real clusters in QEMU: `tessera up` starts it before the
# VMs, gives every VM a virtio-net NIC on its own port, stops it with them,
# and `tessera fault` drives it while the cluster runs. The kernels do not
# talk on the network yet: these tests only need the NICs to be plugged in.
import os
import signal
import tomllib

from conftest import (BUILD, REPO, Endpoint, assert_no_qemu, fabric_pids,
                      qemu_pids, read_log, tessera, wait_for, write_topology)

NODES = [dict(name="gmon0", role="gmon"), dict(name="pmon0", role="pmon")]


def node_macs():
    """{name: MAC} of scripts/cluster.toml's nodes."""
    with open(REPO / "scripts" / "cluster.toml", "rb") as f:
        nodes = tomllib.load(f)["node"]
    return {n["name"]: "52:54:00:7e:00:%02x" % i for i, n in enumerate(nodes)}


def fault(run_dir, *words):
    return tessera("fault", *words, run_dir=run_dir, timeout=30)


def qemu_of(run_dir, name):
    """(pid, argv) of the QEMU booting node name."""
    for pid in qemu_pids(run_dir):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode().split("\0")
        if any(a.endswith(f"/{name}.cfg") for a in argv):
            return pid, argv
    raise AssertionError(f"no QEMU for {name}")


def assert_no_fabric(run_dir):
    left = fabric_pids(run_dir)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"fabric left running: {left}"


def test_smoke_boot_starts_and_stops_the_fabric(run_dir):
    """Before: the default topology; stale sockets in run/fabric from a
    dead cluster. After `up --smoke`: exit 0, every node ready, the fabric
    had one port per node and host entry and exited 0 on SIGTERM; nothing
    left running."""
    (run_dir / "fabric").mkdir(parents=True)
    for stale in ("control.sock", "gmon0.sock", "pmon0.peer.sock"):
        (run_dir / "fabric" / stale).write_text("stale")
    res = tessera("up", "--smoke", run_dir=run_dir)
    assert res.returncode == 0, res
    assert "fabric up (seed 1): control socket " in res.stdout, res
    log = (run_dir / "fabric.log").read_text()
    for name, mac in node_macs().items():
        assert f"[fabric] port {name}: mac {mac}," in log, log
    assert "[fabric] ready: 9 ports" in log, log     # 5 nodes, 4 host entries
    assert log.endswith("[fabric] SIGTERM: stopping\n[fabric] exit 0\n"), log
    assert not (run_dir / "fabric" / "control.sock").exists()
    for name in node_macs():
        err = (run_dir / f"{name}.stderr").read_text()
        assert "netdev" not in err and "dgram" not in err, err
    assert_no_qemu(run_dir)
    assert_no_fabric(run_dir)


def test_fault_drives_the_fabric_of_a_running_cluster(launcher, run_dir,
                                                      tmp_path):
    """Before: the default cluster up. Each QEMU has a virtio-net NIC with
    its node's MAC on its own port; a broadcast from a host port reaches
    every VM's socket; `fault` answers stats, loss, show, link and errors.
    After SIGINT: exit 0, no QEMU and no fabric left."""
    up = launcher(None, run_dir)
    up.wait_output("cluster ready")
    macs = node_macs()
    for name, mac in macs.items():
        pid, argv = qemu_of(run_dir, name)
        assert "dgram,id=n0,local.type=unix,local.path=" \
            f"{name}.peer.sock,remote.type=unix,remote.path={name}.sock" \
            in argv
        assert f"virtio-net-pci,netdev=n0,mac={mac},disable-legacy=on," \
            "host_mtu=9000" in argv
        assert os.readlink(f"/proc/{pid}/cwd") == str(run_dir / "fabric")

    res = fault(run_dir, "stats")
    assert res.returncode == 0, res
    rows = [dict(w.split("=", 1) for w in l.split())
            for l in res.stdout.splitlines()[:-1]]
    hosts = {f"host{i}": "52:54:00:7e:01:%02x" % i for i in range(4)}
    assert {r["port"]: r["mac"] for r in rows} == {**macs, **hosts}
    assert res.stdout.splitlines()[-1] == "ok 9 ports"

    assert fault(run_dir, "port", "add", "visitor",
                 "02:00:00:00:01:00").returncode == 0
    host = Endpoint(run_dir / "fabric", "visitor", "02:00:00:00:01:00")
    assert fault(run_dir, "zero").returncode == 0
    host.send(bytes.fromhex("ffffffffffff020000000100") + b"\x88\xb5"
              + bytes(9000))
    stats = fault(run_dir, "stats").stdout
    host.close()
    for line in stats.splitlines()[:5]:
        row = dict(w.split("=", 1) for w in line.split())
        assert int(row["frames_out"]) >= 1, line     # a VM's socket took it
        assert row["drop_no_peer"] == "0", line

    res = fault(run_dir, "loss", "0.1")
    assert (res.returncode, res.stdout) == (0, "ok loss=0.1 scope=global\n")
    assert " loss=0.1 " in fault(run_dir, "show").stdout
    assert fault(run_dir, "link", "pmon0", "down").stdout == \
        "ok link pmon0 down\n"
    res = fault(run_dir, "partition", "gmon0,pmon0", "nosuch")
    assert res.returncode == 1 and "no port named 'nosuch'" in res.stderr

    res = up.stop()
    assert res.returncode == 0, res
    log = (run_dir / "fabric.log").read_text()
    assert "control: loss 0.1 -> ok loss=0.1 scope=global" in log
    assert_no_qemu(run_dir)
    assert_no_fabric(run_dir)


def test_fabric_death_stops_the_cluster(launcher, run_dir, tmp_path):
    """Before: two nodes up, topology seed 99. After `fault quit`: the
    launcher reports the fabric, exits 1 and stops both VMs."""
    topo = write_topology(tmp_path / "two.toml", NODES, seed=99)
    up = launcher(topo, run_dir)
    up.wait_output("cluster ready")
    assert "fabric up (seed 99)" in up.result().stdout
    assert "seed 99" in (run_dir / "fabric.log").read_text()
    assert fault(run_dir, "quit").stdout == "ok bye\n"
    up.proc.wait(timeout=30)
    res = up.result()
    assert res.returncode == 1, res
    assert "the fabric failed: fabric exited with status 0" in res.stderr
    assert "[fabric] control: quit -> ok bye" in res.stderr
    assert_no_qemu(run_dir)
    assert_no_fabric(run_dir)


def test_missing_fabric_binary_is_named(run_dir, tmp_path):
    """A build dir with the ISOs but no fabric: exit 1 naming it."""
    build = tmp_path / "build"
    (build / "iso").mkdir(parents=True)
    for role in ("gmon", "pmon"):
        (build / "iso" / f"{role}.iso").symlink_to(BUILD / "iso" /
                                                     f"{role}.iso")
    topo = write_topology(tmp_path / "two.toml", NODES)
    res = tessera("up", "--smoke", topology=topo, run_dir=run_dir,
                  build_dir=build, timeout=60)
    assert res.returncode == 1, res
    assert f"missing {build}/fabric; run 'make build/fabric'" in res.stderr
    assert_no_qemu(run_dir)
    assert read_log(run_dir, "gmon0") == ""


def test_fabric_dies_with_a_killed_launcher(launcher, run_dir, tmp_path):
    """Before: two nodes up. After SIGKILL to the launcher (no cleanup at
    all): the fabric is gone within 5 s, like the VMs (PR_SET_PDEATHSIG)."""
    topo = write_topology(tmp_path / "two.toml", NODES)
    up = launcher(topo, run_dir)
    up.wait_output("cluster ready")
    assert len(fabric_pids(run_dir)) == 1
    up.stop(signal.SIGKILL)
    assert wait_for(lambda: not fabric_pids(run_dir), 5.0)
    assert_no_qemu(run_dir, grace=5.0)
