# The launcher's pure parts, checked without QEMU: the node config the kernel
# receives through fw_cfg, MACs, ready/fatal line matching, the QEMU command.
import pytest

from tesseractl import nodecfg, qemu, topology, watch

from conftest import REPO, write_topology


@pytest.fixture
def cluster():
    path = REPO / "scripts" / "cluster.toml"
    return topology.load(path, "scripts/cluster.toml")


def test_default_topology_ids_follow_file_order(cluster):
    assert [(n.id, n.name, n.role) for n in cluster.nodes] == [
        (0, "gmon0", "gmon"), (1, "pmon0", "pmon"), (2, "mmon0", "mmon"),
        (3, "mmon1", "mmon"), (4, "smon0", "smon")]


def test_node_config_text(cluster):
    """pmon0 of the default topology: identity, the heartbeat timeout, then
    one peer line per node (itself included) and per host entry;
    selftest/test_fault lines only when set."""
    assert nodecfg.render(cluster, cluster.nodes[1]) == (
        "# pmon0: written by scripts/tessera from cluster.toml\n"
        "name=pmon0\nid=1\nrole=pmon\nmac=52:54:00:7e:00:01\nloglevel=info\n"
        "hb_timeout_ms=2000\n"
        "peer=0 gmon0 gmon 52:54:00:7e:00:00\n"
        "peer=1 pmon0 pmon 52:54:00:7e:00:01\n"
        "peer=2 mmon0 mmon 52:54:00:7e:00:02\n"
        "peer=3 mmon1 mmon 52:54:00:7e:00:03\n"
        "peer=4 smon0 smon 52:54:00:7e:00:04\n"
        "peer=240 host0 host 52:54:00:7e:01:00\n"
        "peer=241 host1 host 52:54:00:7e:01:01\n"
        "peer=242 host2 host 52:54:00:7e:01:02\n"
        "peer=243 host3 host 52:54:00:7e:01:03\n")


def test_node_config_optional_lines(tmp_path):
    topo = write_topology(tmp_path / "t.toml", [
        dict(name="gmon0", role="gmon", selftest=True, loglevel="debug",
             test_fault="pagefault")])
    text = nodecfg.render(topology.load(topo), topology.load(topo).nodes[0])
    assert "\nselftest=1\n" in text
    assert "\ntest_fault=pagefault\n" in text
    assert "\nloglevel=debug\n" in text


def test_mac_uses_id_as_last_byte():
    assert topology.node_mac(0) == "52:54:00:7e:00:00"
    assert topology.node_mac(26) == "52:54:00:7e:00:1a"
    assert topology.node_mac(255) == "52:54:00:7e:00:ff"


def test_defaults_apply(tmp_path):
    topo = write_topology(tmp_path / "t.toml", [dict(name="g", role="gmon")])
    c = topology.load(topo)
    n = c.nodes[0]
    assert (c.accel, c.boot_timeout) == ("auto", 60)
    assert (n.memory, n.vcpus, n.selftest, n.loglevel, n.test_fault,
            n.options) == (64, 1, False, "info", None, {})


@pytest.mark.parametrize("line, kind", [
    ("TESSERA READY role=pmon node=1", "ready"),
    ("[  1.234] TESSERA READY role=pmon node=1\r", "ready"),
    ("TESSERA READY role=pmon node=10", "fatal"),      # someone else's id
    ("TESSERA READY role=mmon node=1", "fatal"),       # wrong role
    ("TESSERA PANIC #PF at ffffffff80101234", "fatal"),
    ("TESSERA SELFTEST FAIL frame allocator", "fatal"),
    ("TESSERA CONFIG ERROR missing id", "fatal"),
    ("TESSERA SELFTEST PASS", None),
    ("pmon: excache 16 MiB", None),
])
def test_classify(line, kind, cluster):
    assert watch.classify(line, cluster.nodes[1])[0] == kind


def test_log_follower_returns_only_complete_lines(tmp_path):
    log = tmp_path / "n.log"
    log.write_bytes(b"")
    f = watch.LogFollower(log)
    with open(log, "ab") as w:
        w.write(b"one\r\ntw")
        w.flush()
        assert f.new_lines() == ["one"]
        w.write(b"o\n")
        w.flush()
        assert f.new_lines() == ["two"]
    assert f.new_lines() == []
    f.close()


def test_tail(tmp_path):
    log = tmp_path / "n.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert watch.tail(log, 3) == ["line 97", "line 98", "line 99"]
    assert watch.tail(tmp_path / "absent.log", 3) == []


def test_qemu_command(cluster):
    cmd = qemu.argv(cluster.nodes[1], "tcg", "/b/iso/pmon.iso", "/r/pmon0.cfg",
                    "/r/pmon0.log")
    text = " ".join(cmd)
    assert cmd[0] == "qemu-system-x86_64"
    for part in ("-machine pc", "-accel tcg -cpu max", "-smp 2", "-m 128",
                 "-nodefaults", "-display none", "-no-reboot",
                 "-serial file:/r/pmon0.log", "-cdrom /b/iso/pmon.iso",
                 "-boot d",
                 "-fw_cfg name=opt/tessera/config,file=/r/pmon0.cfg"):
        assert part in text
    kvm = " ".join(qemu.argv(cluster.nodes[1], "kvm", "i", "c", "l"))
    assert "-accel kvm -cpu host" in kvm


def test_accel_forced_by_topology():
    assert qemu.choose_accel("tcg") == ("tcg", "forced by [cluster] accel")
    assert qemu.choose_accel("kvm")[0] == "kvm"


def test_accel_auto_explains_itself():
    accel, why = qemu.choose_accel("auto")
    assert accel in ("tcg", "kvm") and why
    if not qemu.cpu_has_virt():
        assert (accel, why) == ("tcg", "no vmx/svm in /proc/cpuinfo")
