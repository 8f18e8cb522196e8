# The message layer on a real cluster: five QEMU monitors on the fabric, and
# build/tessera-net joining it from the host. One cluster serves every test in
# this file (booting it is most of the cost); faults are cleared between tests.
import os
import re
import subprocess
import time

import pytest

from conftest import (BUILD, REPO, Launcher, ToolCluster, assert_no_qemu, on_host, tessera,
                      wait_for)

NODES = ["gmon0", "pmon0", "mmon0", "mmon1", "smon0"]
TOOL = str(BUILD / "tessera-net")
FORGER = "host3"        # the host entry the forged frames come from
FORGE_COUNT = int(os.environ.get("TESSERA_FORGE_COUNT", "700"))   # per node
HB_TIMEOUT_S = 2.0      # scripts/cluster.toml's hb_timeout_ms
STREAM_DROPS = ("dup", "out_of_window", "unsynced", "bad_frag", "bad_kind", "oversize",
                "bad_ack")      # where forged stream packets end


class Cluster(ToolCluster):
    def net(self, *args):
        """Run tessera-net against this cluster; returns (exit code, its output)."""
        out = self.tool(*args)
        return out.returncode, out.stdout + out.stderr

    def fault(self, *words):
        result = tessera("fault", *words, run_dir=self.run, timeout=30)
        assert result.returncode == 0, result
        return result.stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The default topology with every node's self-test (and network check) on."""
    tmp = tmp_path_factory.mktemp("net")
    topo = (REPO / "scripts" / "cluster.toml").read_text()
    topo = re.sub(r'^(role = "\w+")$', r"\1\nselftest = true", topo, flags=re.M)
    (tmp / "net.toml").write_text(topo)
    run = tmp / "run"
    launcher = Launcher(tmp / "net.toml", run, tmp)
    try:
        launcher.wait_output("cluster ready")
        c = Cluster(run)
        assert wait_for(lambda: all("NETCHECK" in c.log(n) for n in NODES), 120), \
            {n: c.log(n)[-500:] for n in NODES}
        yield c
    finally:
        result = launcher.stop()
        assert result.returncode == 0, result
        assert_no_qemu(run)


@pytest.fixture
def run_dir(cluster):
    """Makes the harness print this cluster's serial logs when a test fails."""
    yield cluster.run
    cluster.fault("clear")
    cluster.fault("heal")


def test_every_monitor_pair_completes_rpcs(cluster, run_dir):
    # Each node echoes every other one at boot: all 20 directed pairs.
    for name in NODES:
        assert "TESSERA NETCHECK PASS peers=4" in cluster.log(name), name


def test_host_reaches_every_node(cluster, run_dir):
    for name in NODES:
        r = cluster.kv("echo", name, "--size", 4096, "--count", 20)
        assert r["ok"] == "20", (name, r)


def test_ten_thousand_rpcs_survive_loss_dup_reorder_corruption(cluster, run_dir):
    cluster.fault("loss", "0.10")
    cluster.fault("dup", "0.05")
    cluster.fault("reorder", "0.05")
    cluster.fault("corrupt", "0.01")
    r = cluster.kv("probe", "pmon0", "mmon0", "rpc", "--size", 4096, "--count", 10000,
                   "--timeout-ms", 10000, timeout=600)
    assert (r["ok"], r["failed"], r["bad_data"]) == ("10000", "0", "0"), r
    stats = cluster.kv("stats", "mmon0")     # bad CRCs have no trusted sender
    assert int(stats["bad_crc"]) > 0 and int(stats["dup"]) > 0, stats


def fabric_port(cluster, port):
    """The fabric's counters of one port (`tessera fault stats`), as ints."""
    line = re.search(rf"^port={port} .*$", cluster.fault("stats"), re.M).group(0)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)(?=\s|$)", line)}


def test_link_down_shorter_than_hb_timeout_loses_nothing(cluster, run_dir):
    """The outage falls inside the traffic: frames to mmon0 were moving before it,
    frames were dropped at the cut link, and the probe was still running after it.
    It is shorter than hb_timeout_ms: a longer one gets mmon0 declared dead, and the
    probe's calls waiting on it fail then (kernel/msg.c)."""
    before = fabric_port(cluster, "mmon0")
    probe = subprocess.Popen([TOOL, "--run-dir", str(cluster.run), "probe", "pmon0",
                              "mmon0", "rpc", "--size", "4096", "--count", "3000",
                              "--timeout-ms", "10000"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: fabric_port(cluster, "mmon0")["frames_in"] >
                        before["frames_in"] + 200, 60)
        cluster.fault("link", "mmon0", "down")
        time.sleep(HB_TIMEOUT_S * 0.6)      # the outage itself
        running = probe.poll() is None
        cluster.fault("link", "mmon0", "up")
        out, _ = probe.communicate(timeout=300)
    finally:
        if probe.poll() is None:
            probe.kill()
    r = dict(re.findall(r"(\w+)=(-?\w+)", out))
    assert (r.get("ok"), r.get("bad_data")) == ("3000", "0"), out
    assert running, "the probe ended before the link came back: " + out
    after = fabric_port(cluster, "mmon0")
    assert after["drop_link_down"] > before["drop_link_down"], (before, after)


def test_partition_is_detected_by_gmon_and_healed(cluster, run_dir):
    cluster.fault("partition", "gmon0")
    down = re.compile(r"\[gmon0 net\] node 1 \(pmon0\) down")
    up = re.compile(r"\[gmon0 net\] node 1 \(pmon0\) up")
    assert wait_for(lambda: down.search(cluster.log("gmon0")), 20), "no down"
    cluster.fault("heal")
    assert wait_for(lambda: up.search(cluster.log("gmon0")), 20), "no up"
    assert cluster.kv("echo", "gmon0", "--count", 5)["ok"] == "5"


def test_malformed_frames_are_counted_and_every_node_keeps_answering(cluster, run_dir):
    for name in NODES:
        code, out = cluster.net("inject", name)
        assert code == 0 and "alive=yes" in out, out
        stats = cluster.kv("stats", name)
        for counter in ("truncated", "bad_ethertype", "bad_crc", "bad_version", "bad_type",
                        "bad_len", "unknown_node", "bad_hdr", "bad_key", "out_of_bounds",
                        "bad_opcode", "bad_rpc_len"):
            assert int(stats[counter]) >= 1, (name, counter, stats)
    for name in NODES:
        assert "TESSERA PANIC" not in cluster.log(name)
        assert cluster.kv("echo", name, "--count", 3)["ok"] == "3"


def peer_resets(cluster):
    """Per node, per other node: how often it took that peer for restarted."""
    return {(n, p): int(cluster.kv("stats", n, p)["peer_reset"])
            for n in NODES for p in NODES if p != n}


def test_forged_frames_cut_no_one_off(cluster, run_dir):
    """While memstress pages on pmon0 (twice its ExCache), a host endpoint sends
    every node sealed frames that lie: another node's MAC, another node's id, epochs
    nobody runs, stream packets with any psn, kind, opcode and length, RESETs,
    CHALLENGEs and PROOFs. After: the fabric dropped the spoofed MACs, each node
    the spoofed ids and unproven epochs; no node took a live peer for restarted;
    the program printed what it prints on the host; every node answers; and a new
    program runs within hb_timeout_ms of the last forged frame."""
    kib = 2 * 4 * int(cluster.kv("exstats", "pmon0")["lines"])
    resets = peer_resets(cluster)
    port = fabric_port(cluster, FORGER)
    prog = subprocess.Popen([TOOL, "--run-dir", str(cluster.run), "run", "pmon0",
                             str(BUILD / "user" / "memstress"), str(kib), "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for seed, name in enumerate(NODES, 1):
            out = cluster.kv("--as", FORGER, "forge", name, "--count", FORGE_COUNT,
                             "--seed", seed)
            assert int(out["forged_spoofed_mac"]) == FORGE_COUNT // 7, out
        last_frame = time.monotonic()
        hello = cluster.tool("run", "pmon0", BUILD / "user" / "hello", 3)
        started = time.monotonic() - last_frame
        out, err = prog.communicate(timeout=600)
    finally:
        if prog.poll() is None:
            prog.kill()
    assert (hello.returncode, hello.stdout, hello.stderr) == on_host("hello", 3)
    assert started < HB_TIMEOUT_S, f"the next program took {started:.2f} s"
    assert (prog.returncode, out, err) == on_host("memstress", kib, 5)
    assert fabric_port(cluster, FORGER)["drop_spoofed"] - port["drop_spoofed"] == \
        len(NODES) * (FORGE_COUNT // 7)
    assert peer_resets(cluster) == resets
    for name in NODES:
        stats = cluster.kv("stats", name)
        for counter in ("spoofed", "unproven_epoch", "challenges_out"):
            assert int(stats[counter]) >= 1, (name, counter, stats)
        assert sum(int(stats[c]) for c in STREAM_DROPS) >= 1, (name, stats)
        assert cluster.kv("echo", name, "--count", 3)["ok"] == "3"
        assert "TESSERA PANIC" not in cluster.log(name)


def test_one_sided_read_from_the_host(cluster, run_dir):
    r = cluster.kv("read", "mmon1", "--size", 4096, "--offset", 12288)
    assert (r["read"], r["bad_bytes"]) == ("4096", "0"), r


def test_tshark_decodes_a_capture(cluster, run_dir, tmp_path):
    pcap = tmp_path / "net.pcap"
    cluster.fault("pcap", "start", str(pcap))
    assert cluster.kv("echo", "smon0", "--count", 5)["ok"] == "5"
    cluster.fault("pcap", "stop")
    out = subprocess.run(["tshark", "-X", f"lua_script:{REPO}/tools/wireshark/tessera.lua",
                          "-r", str(pcap), "-T", "fields", "-e", "tessera.type",
                          "-e", "tessera.msg.kind", "-e", "tessera.msg.opcode",
                          "-e", "tessera.msg.id", "-e", "tessera.psn"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [l.split("\t") for l in out.stdout.splitlines()]
    requests = {r[3] for r in rows if r[:3] == ["1", "1", "1"]}     # DATA RPC_REQ ECHO
    responses = {r[3] for r in rows if r[:3] == ["1", "2", "1"]}    # DATA RPC_RESP ECHO
    assert len(requests) >= 5 and requests <= responses, out.stdout
    assert all(r[4] for r in rows), "every packet shows its sequence number"


def test_gmm_spreads_vregions_and_skips_a_silent_mcomponent(cluster, run_dir):
    # mmon0 and mmon1 report their memory to gmon every second; GMM places with
    # two choices and stops choosing an mComponent after three missed reports.
    # Earlier tests' faults may have silenced one: probes of pids of their own
    # (1000 up) wait until GMM again has two mComponents to choose from.
    probes = iter(range(1000, 2000))
    assert wait_for(lambda: cluster.kv("place", "gmon0", next(probes), 0)["backup"] != "none",
                    20), "GMM never saw both mComponents again"
    first = [cluster.kv("place", "gmon0", 7, v) for v in range(8)]
    assert {p["owner"] for p in first} == {"mmon0", "mmon1"}, first
    assert all(p["backup"] in ("mmon0", "mmon1") and p["backup"] != p["owner"]
               for p in first), first
    assert cluster.kv("place", "gmon0", 7, 3) == first[3]        # recorded, stable
    code, out = cluster.net("place", "gmon0", 0, 0)              # pid 0 is no process
    assert code == 1 and "err=-22" in out, out
    cluster.fault("link", "mmon1", "down")
    try:
        assert wait_for(lambda: cluster.kv("place", "gmon0", next(probes), 0)["backup"] == "none",
                        20), "GMM still places on mmon1 with its link down"
        later = [cluster.kv("place", "gmon0", 8, v) for v in range(4)]
    finally:
        cluster.fault("link", "mmon1", "up")
    assert all((p["owner"], p["backup"]) == ("mmon0", "none") for p in later), later


def test_small_mtu_fragments_and_still_delivers(tmp_path, launcher):
    # At MTU 1500 a 4 KiB RPC, READ or message spans three frames each way.
    topo = tmp_path / "mtu.toml"
    topo.write_text('[cluster]\nmtu = 1500\n\n[[node]]\nname = "gmon0"\nrole = "gmon"\n\n'
                    '[[node]]\nname = "mmon0"\nrole = "mmon"\n')
    run = tmp_path / "run"
    up = launcher(topo, run)
    up.wait_output("cluster ready")
    c = Cluster(run)
    assert "NIC 52:54:00:7e:00:01 mtu 1500" in c.log("mmon0")
    for kind in ("rpc", "read", "stream"):
        r = c.kv("probe", "gmon0", "mmon0", kind, "--size", 4096, "--count", 200)
        assert (r["ok"], r["bad_data"]) == ("200", "0"), (kind, r)
    assert up.stop().returncode == 0
    assert_no_qemu(run)
