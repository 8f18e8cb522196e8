# The launcher's pure parts, checked without QEMU: the node config the kernel
# receives through fw_cfg, MACs, ready/fatal line matching, the QEMU command,
# an smon's disk keys and image file.
import os

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
    assert "replication" not in text


def test_node_config_says_when_replication_is_off(tmp_path):
    topo = write_topology(tmp_path / "t.toml", [dict(name="gmon0", role="gmon")],
                          replication=False)
    text = nodecfg.render(topology.load(topo), topology.load(topo).nodes[0])
    assert "\nreplication=0\n" in text


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
    ("TESSERA DISKCHECK FAIL write (errors 1)", "fatal"),
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


def smon_topology(tmp_path, **keys):
    return write_topology(tmp_path / "t.toml", [
        dict(name="gmon0", role="gmon"), dict(name="smon0", role="smon", **keys)])


def test_default_topology_smon_uses_run_dir_disk(cluster):
    """No disk key: the launcher's <run dir>/smon0.disk, 256 MiB when made;
    other roles have no disk at all."""
    smon = cluster.nodes[4]
    assert (smon.role, smon.disk, smon.disk_mib) == ("smon", None, 256)
    assert all(n.disk is None and n.disk_mib is None
               for n in cluster.nodes if n.role != "smon")


def test_disk_path_is_relative_to_the_topology_file(tmp_path, monkeypatch):
    """Before: disk = "disks/a.img" and the launcher run from elsewhere.
    After: the node's disk is <topology dir>/disks/a.img, absolute."""
    monkeypatch.chdir("/")
    n = topology.load(smon_topology(tmp_path, disk="disks/a.img",
                                    disk_mib=8)).nodes[1]
    assert (n.disk, n.disk_mib) == (str(tmp_path / "disks" / "a.img"), 8)


def test_absolute_disk_path_is_kept(tmp_path):
    n = topology.load(smon_topology(tmp_path, disk="/srv/../srv/d.img")).nodes[1]
    assert n.disk == "/srv/d.img"


@pytest.mark.parametrize("role, key, value", [
    ("pmon", "disk", "p.img"), ("gmon", "disk_mib", 16), ("mmon", "disk", "")])
def test_disk_keys_are_for_smon_only(tmp_path, role, key, value):
    topo = write_topology(tmp_path / "t.toml", [
        dict(name="gmon0", role="gmon"), dict(name="x0", role=role, **{key: value})])
    with pytest.raises(topology.TopologyError) as e:
        topology.load(topo)
    assert str(e.value) == (f"{topo}: node[1] (x0): key '{key}' is for role "
                            f"smon only, not {role}")


def test_empty_disk_path_is_refused(tmp_path):
    topo = smon_topology(tmp_path, disk="")
    with pytest.raises(topology.TopologyError) as e:
        topology.load(topo)
    assert str(e.value) == f"{topo}: node[1] (smon0): key 'disk' must not be empty"


def test_qemu_command_of_an_smon_attaches_its_disk(cluster):
    """A modern-only virtio-blk on a raw image, flushes reaching the host file;
    a comma in the path is doubled, as QEMU's option syntax wants."""
    cmd = qemu.argv(cluster.nodes[4], "tcg", "i", "c", "l", "/r/a,b.disk")
    i = cmd.index("-drive")
    assert cmd[i:i + 4] == [
        "-drive", "file=/r/a,,b.disk,if=none,id=disk0,format=raw,cache=writeback",
        "-device", "virtio-blk-pci,drive=disk0,disable-legacy=on"]
    assert "-drive" not in qemu.argv(cluster.nodes[1], "tcg", "i", "c", "l")


def test_prepare_disk_creates_a_sparse_file(tmp_path):
    """Before: no file. After: a 64 MiB file that occupies (almost) no blocks."""
    path = tmp_path / "d.img"
    assert qemu.prepare_disk(str(path), 64) == (64 << 20, True)
    st = os.stat(path)
    assert st.st_size == 64 << 20
    assert st.st_blocks * 512 < 1 << 20


def test_prepare_disk_uses_an_existing_file_as_is(tmp_path):
    """Before: a 3000-byte file. After: the same 3000 bytes, though 8 MiB was
    asked for: an existing disk is never grown or truncated."""
    path = tmp_path / "d.img"
    data = bytes(range(256)) * 11 + bytes(184)
    path.write_bytes(data)
    assert qemu.prepare_disk(str(path), 8) == (3000, False)
    assert path.read_bytes() == data


def test_prepare_disk_refuses_what_it_cannot_open(tmp_path):
    with pytest.raises(IsADirectoryError):
        qemu.prepare_disk(str(tmp_path), 8)
    with pytest.raises(FileNotFoundError):
        qemu.prepare_disk(str(tmp_path / "no" / "d.img"), 8)
