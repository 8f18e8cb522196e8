# The fabric as a switch, without QEMU: build/fabric-asan with Python
# sockets as its ports' peers. Switching and port security, malformed frames,
# the control protocol (stats, hostile lines), pcap, and clean exits.
# The fault pipeline is in test_fabric_faults.py.
import os
import signal
import struct
import subprocess
import time

import pytest

from conftest import FABRIC_ASAN, SANITIZER_ENV, eth_frame, wait_for

PORTS = {"a": "02:00:00:00:00:0a", "b": "02:00:00:00:00:0b",
         "c": "02:00:00:00:00:0c"}
BROADCAST = "ff:ff:ff:ff:ff:ff"
STATS_FIELDS = ("port mac link group frames_in bytes_in frames_out "
                "bytes_out drop_loss drop_link_down drop_partition "
                "drop_malformed drop_spoofed drop_no_route drop_no_peer drop_full "
                "duplicated reordered delayed corrupted held backlog").split()


@pytest.fixture
def three(fabric):
    """A fabric with ports a, b, c and an endpoint on each."""
    fab = fabric(PORTS)
    return fab, fab.endpoint("a"), fab.endpoint("b"), fab.endpoint("c")


def test_unicast_goes_only_to_its_port(three):
    """Before: three ports, MACs given by --port. After a->b: b has the
    exact frame, a and c nothing; counters show one frame in and out."""
    fab, a, b, c = three
    frame = eth_frame(b.mac, a.mac, b"hello b")
    a.send(frame)
    assert b.recv() == frame
    assert c.recv(0.2) is None and a.recv(0.01) is None
    st = fab.stats()
    assert (st["a"]["frames_in"], st["a"]["bytes_in"]) == (1, len(frame))
    assert (st["b"]["frames_out"], st["b"]["bytes_out"]) == (1, len(frame))
    assert st["c"]["frames_out"] == 0


def test_broadcast_floods_every_other_port(three):
    fab, a, b, c = three
    frame = eth_frame(BROADCAST, a.mac, b"who is there")
    a.send(frame)
    assert b.recv() == frame and c.recv() == frame
    assert a.recv(0.2) is None
    multicast = eth_frame("01:00:5e:00:00:01", b.mac, b"group")
    b.send(multicast)
    assert a.recv() == multicast and c.recv() == multicast


def test_unknown_unicast_floods(three):
    """A frame to a MAC no port has floods to every other port."""
    fab, a, b, c = three
    a.send(eth_frame("02:00:00:00:00:99", a.mac, b"1"))
    assert b.recv() is not None and c.recv() is not None
    assert a.recv(0.2) is None


@pytest.mark.parametrize("src", [PORTS["a"], "02:00:00:00:00:99"],
                         ids=["another-ports-mac", "no-ports-mac"])
def test_frame_from_a_mac_not_its_ports_is_spoofed(three, src):
    """c sends as a's MAC, or as a MAC nobody has, to b and to everyone: nothing
    is delivered or flooded, each counts as drop_spoofed on c, and a's traffic
    still reaches a only (no MAC moved or was learned)."""
    fab, a, b, c = three
    c.send(eth_frame(b.mac, src, b"spoof"))
    c.send(eth_frame(BROADCAST, src, b"spoof"))
    c.send(eth_frame(src, src, b"spoof"))
    assert a.recv(0.2) is None and b.recv(0.01) is None
    st = fab.stats()
    assert st["c"]["drop_spoofed"] == 3, st["c"]
    assert sum(p["frames_out"] for p in st.values()) == 0, st
    b.send(eth_frame(src, b.mac, b"to whoever has it"))
    if src == a.mac:
        assert a.recv() is not None and c.recv(0.2) is None
    else:
        assert a.recv() is not None and c.recv() is not None


def test_frame_back_to_its_own_port_is_no_route(three):
    fab, a, b, c = three
    a.send(eth_frame(a.mac, a.mac, b"myself"))
    assert a.recv(0.2) is None
    assert fab.stats()["a"]["drop_no_route"] == 1


@pytest.mark.parametrize("size", [0, 1, 13, 65536, 70000])
def test_malformed_lengths_dropped_and_counted(three, size):
    """Frames shorter than an Ethernet header or over 65535 bytes reach
    nobody and count as drop_malformed on the sender's port."""
    fab, a, b, c = three
    a.send(eth_frame(b.mac, a.mac, bytes(max(0, size - 14)))[:size])
    assert b.recv(0.2) is None and c.recv(0.01) is None
    st = fab.stats()["a"]
    assert (st["frames_in"], st["bytes_in"]) == (1, size)
    assert st["drop_malformed"] == 1


def test_multicast_source_is_malformed(three):
    fab, a, b, c = three
    a.send(eth_frame(b.mac, "01:00:00:00:00:01"))
    assert b.recv(0.2) is None
    assert fab.stats()["a"]["drop_malformed"] == 1


@pytest.mark.parametrize("size", [14, 60, 1514, 9014, 65535])
def test_frames_up_to_64k_pass_intact(three, size):
    """Header-only to jumbo (MTU 9000) to the largest frame: intact."""
    fab, a, b, c = three
    payload = bytes(i % 251 for i in range(size - 14))
    frame = eth_frame(b.mac, a.mac, payload)
    a.send(frame)
    assert b.recv() == frame


def test_stats_lines(three):
    """`stats` prints one key=value line per port with every counter, then
    'ok N ports'; `stats NAME` one line; an unknown name is an error."""
    fab, a, b, c = three
    lines = fab.cmd("stats")
    assert lines[-1] == "ok 3 ports"
    for line, name in zip(lines[:-1], PORTS):
        keys = [w.split("=", 1)[0] for w in line.split()]
        assert keys == STATS_FIELDS, line
        assert line.startswith(f"port={name} mac={PORTS[name]} link=up ")
    one = fab.cmd("stats b")
    assert len(one) == 2 and one[0].startswith("port=b ") and \
        one[1] == "ok 1 port"
    assert fab.cmd("stats nosuch")[-1].startswith("error no port named")


def test_zero_resets_counters(three):
    fab, a, b, c = three
    a.send_to(b)
    assert b.recv() is not None
    fab.ok("zero")
    assert all(v == 0 for st in fab.stats().values()
               for k, v in st.items() if k.startswith(("frames", "bytes")))


def test_port_added_at_run_time(three):
    """`port add` binds NAME.sock; a host endpoint there joins the switch.
    Adding it again with the same MAC is ok; clashes are errors."""
    fab, a, b, c = three
    assert fab.ok("port add host0 02:00:00:00:01:00") == "ok port host0 added"
    h = fab.endpoint("host0", "02:00:00:00:01:00")
    h.send_to(a, b"from the host")
    assert a.recv() is not None
    a.send_to(h, b"back to the host")
    assert h.recv() is not None
    assert fab.ok("port add host0 02:00:00:00:01:00") == \
        "ok port host0 exists"
    for bad, why in [("port add host0 02:00:00:00:01:01", "exists"),
                     ("port add h1 02:00:00:00:00:0a", "belongs to port a"),
                     ("port add h1 01:00:00:00:00:01", "unicast MAC"),
                     ("port add h1 02:00:00:00:00", "unicast MAC"),
                     ("port add h/1 02:00:00:00:01:02", "bad port name"),
                     ("port add " + "x" * 32 + " 02:00:00:00:01:02",
                      "bad port name"),
                     ("port del host0 02:00:00:00:01:00", "usage")]:
        status = fab.cmd(bad)[-1]
        assert status.startswith("error") and why in status, (bad, status)
    assert fab.ok("ping") == "ok pong"


def test_port_without_peer_counts_no_peer(fabric):
    """A port whose peer never bound NAME.peer.sock: frames to it are
    dropped and counted as drop_no_peer, the others still get theirs."""
    fab = fabric(PORTS)
    a, b = fab.endpoint("a"), fab.endpoint("b")
    a.send(eth_frame(BROADCAST, a.mac))
    assert b.recv() is not None
    assert wait_for(lambda: fab.stats()["c"]["drop_no_peer"] > 0, 5)
    assert fab.stats()["c"]["drop_no_peer"] == 1


def test_slow_peer_gets_a_backlog_not_a_loss(three):
    """Before: b reads nothing while a sends 40 frames (more than a unix
    socket queues). After b reads within the backlog's 250 ms: all 40, in
    order, and no drops."""
    fab, a, b, c = three
    for i in range(40):
        a.send_to(b, struct.pack("!I", i))
    assert wait_for(lambda: fab.stats()["a"]["frames_in"] == 40, 5)
    got = [struct.unpack("!I", f[14:18])[0] for f in b.drain()]
    assert got == list(range(40))
    assert fab.stats()["b"]["drop_full"] == 0


def test_backlog_expires_when_peer_never_reads(three):
    fab, a, b, c = three
    for i in range(40):
        a.send_to(b, struct.pack("!I", i))

    def settled():
        st = fab.stats()["b"]
        return st["backlog"] == 0 and st["frames_out"] + st["drop_full"] == 40

    assert wait_for(settled, 5), fab.stats()["b"]
    assert fab.stats()["b"]["drop_full"] > 0


HOSTILE = [
    "bogus", "LOSS 0.1", "loss", "loss 0.1 0.2", "loss -0.1", "loss 1.5",
    "loss nan", "loss inf", "loss 0.1 on", "loss 0.1 on nosuch",
    "dup abc", "corrupt 2", "reorder 0.1 0", "reorder 0.1 -5",
    "reorder 0.1 99999999", "delay -1", "delay 10 -1", "delay 1e309",
    "delay 10 5 5", "link a", "link a sideways", "link nosuch down",
    "partition", "partition a,a", "partition a b,a", "partition a,,b",
    "partition ,a", "partition a,", "partition nosuch", "heal now",
    "stats a b", "pcap", "pcap start", "pcap stop now", "pcap begin x",
    "pcap start /nonexistent/dir/x.pcap", "seed", "seed -1", "seed x",
    "seed 18446744073709551616", "port", "port add", "quit now",
    "help me", "x " * 500, "\x01\x02\x7f", "é",
]


def test_hostile_commands_get_errors_and_change_nothing(three):
    """Every bad line gets exactly one 'error <why>' line; the fabric keeps
    switching and its faults stay as they were."""
    fab, a, b, c = three
    before = fab.cmd("show")
    for line in HOSTILE:
        lines = fab.cmd(line)
        assert len(lines) == 1 and lines[0].startswith("error "), \
            (line, lines)
    assert fab.cmd("show") == before
    a.send_to(b, b"still switching")
    assert b.recv() is not None


def test_overlong_and_binary_lines(three):
    """A 10 kB line gets one error; binary junk gets errors; after both,
    the same connection still works."""
    fab, a, b, c = three
    fab.ctl.write(b"loss " + b"9" * 10000 + b"\n")
    assert fab.ctl.readline().startswith(b"error line too long")
    fab.ctl.write(bytes(range(1, 10)) + b"\xff\xfe\n")
    assert fab.ctl.readline().startswith(b"error unknown command")
    fab.ctl.write(b"\n\r\n  \n")        # blank lines are no commands
    assert fab.ok("ping") == "ok pong"


def test_several_control_clients(three):
    """Commands from a second connection take effect for the first; a
    client that hangs up mid-line does no harm."""
    fab, a, b, c = three
    other = fab.connect()
    assert fab.cmd("loss 0.25", ctl=other)[-1] == "ok loss=0.25 scope=global"
    assert "loss=0.25" in fab.cmd("show")[1]
    other.write(b"loss 0.")
    other.close()
    many = [fab.connect() for _ in range(10)]
    for m in many:
        assert fab.cmd("ping", ctl=m) == ["ok pong"]
        m.close()
    assert fab.ok("ping") == "ok pong"


def test_help_lists_every_command(three):
    fab, a, b, c = three
    lines = fab.cmd("help")
    names = {l.split()[0] for l in lines[:-1]}
    assert names >= {"help", "loss", "dup", "reorder", "delay", "corrupt",
                     "link", "partition", "heal", "clear", "stats", "pcap",
                     "seed", "port", "quit", "show", "zero", "ping"}
    assert lines[-1].startswith("ok ")


def read_pcap(path):
    """(global header fields, [(ts, incl_len, orig_len, data)])."""
    data = path.read_bytes()
    magic, major, minor, zone, sigfigs, snaplen, linktype = \
        struct.unpack("<IHHiIII", data[:24])
    records, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        records.append((sec + usec / 1e6, incl, orig,
                        data[off + 16:off + 16 + incl]))
        off += 16 + incl
    assert off == len(data), "trailing partial record"
    return (magic, major, minor, snaplen, linktype), records


def test_pcap_records_every_delivered_frame(three, tmp_path):
    """Before: `pcap start FILE`. While running, the file already holds a
    valid header and every frame delivered so far (a flood counts once per
    port it reached); after `pcap stop` nothing more is added."""
    fab, a, b, c = three
    path = tmp_path / "cap.pcap"
    assert fab.ok(f"pcap start {path}") == f"ok pcap writing {path}"
    sent = [eth_frame(b.mac, a.mac, b"x" * n) for n in (0, 100, 9000)]
    for f in sent:
        a.send(f)
        assert b.recv() == f
    flood = eth_frame(BROADCAST, c.mac, b"flood")
    c.send(flood)
    assert a.recv() == flood and b.recv() == flood
    fab.ok("ping")              # the loop has flushed before sleeping
    head, records = read_pcap(path)
    assert head == (0xa1b2c3d4, 2, 4, 65535, 1)
    assert [r[3] for r in records] == sent + [flood, flood]
    assert all(r[1] == r[2] == len(r[3]) for r in records)
    assert abs(records[0][0] - time.time()) < 60
    assert fab.ok("pcap stop") == "ok pcap stopped after 5 frames"
    a.send(sent[0])
    assert b.recv() is not None
    assert len(read_pcap(path)[1]) == 5
    assert fab.ok("pcap stop") == "ok pcap not running"


def test_pcap_from_command_line_and_relative_paths(fabric, tmp_path):
    """--pcap FILE starts capturing at once; a relative FILE is relative
    to where the fabric started, not its --dir."""
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        fab = fabric(PORTS, args=["--pcap", "start.pcap"])
    finally:
        os.chdir(old)
    a, b = fab.endpoint("a"), fab.endpoint("b")
    a.send_to(b, b"captured")
    assert b.recv() is not None
    assert f"pcap={tmp_path}/start.pcap" in fab.cmd("show")[0]
    status = fab.cmd("pcap start other.pcap")[-1]
    assert status.startswith("error pcap: already writing"), status
    assert fab.quit() == 0
    assert len(read_pcap(tmp_path / "start.pcap")[1]) == 1


def test_quit_exits_cleanly_and_removes_its_sockets(fabric):
    fab = fabric(PORTS)
    fab.endpoint("a")           # its peer socket must outlive the fabric
    assert fab.quit() == 0
    left = sorted(p.name for p in fab.dir.iterdir())
    assert left == ["a.peer.sock"], left     # the peer's own socket stays
    assert "[fabric] exit 0" in fab.stderr()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_cleanly_with_a_complete_pcap(fabric, tmp_path, sig):
    """Before: capturing, frames in the delay queue. After SIGTERM/SIGINT:
    exit 0, sockets gone, pcap whole, no leak (the sanitizer checks)."""
    fab = fabric(PORTS, args=["--pcap", str(tmp_path / "s.pcap")])
    a, b = fab.endpoint("a"), fab.endpoint("b")
    a.send_to(b)
    assert b.recv() is not None
    fab.ok("delay 5000")
    a.send_to(b)
    fab.ok("ping")
    fab.proc.send_signal(sig)
    assert fab.proc.wait(timeout=10) == 0
    assert not (fab.dir / "control.sock").exists()
    assert not (fab.dir / "a.sock").exists()
    assert len(read_pcap(tmp_path / "s.pcap")[1]) == 1
    assert f"{signal.Signals(sig).name}: stopping" in fab.stderr()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_fabric_uses_no_cpu(three):
    """After traffic and with faults configured but nothing queued, the
    fabric sleeps in poll(): utime+stime over 2 s is at most one tick."""
    fab, a, b, c = three
    fab.ok("delay 1 1")
    fab.ok("reorder 0.5 5")
    for _ in range(20):
        a.send_to(b)

    def idle():
        st = fab.stats()["b"]
        return st["frames_out"] + st["drop_full"] == 20 and st["held"] + st["backlog"] == 0

    assert wait_for(idle, 5), fab.stats()["b"]
    b.drain(0.1)
    before = cpu_seconds(fab.proc.pid)
    time.sleep(2.0)             # the window measured, not a wait for an event
    used = cpu_seconds(fab.proc.pid) - before
    assert used <= 0.011, f"idle fabric used {used:.3f} s of CPU in 2 s"


def test_second_fabric_on_the_same_dir_is_refused(three):
    """The running fabric keeps its sockets and keeps answering."""
    fab, a, b, c = three
    res = subprocess.run([str(FABRIC_ASAN), "--dir", str(fab.dir),
                          "--port", "a=02:00:00:00:00:0a"],
                         capture_output=True, text=True, timeout=30,
                         env={**os.environ, **SANITIZER_ENV})
    assert res.returncode == 1, res
    assert "another fabric is running" in res.stderr
    assert fab.ok("ping") == "ok pong"
    a.send_to(b)
    assert b.recv() is not None


def test_stale_sockets_are_replaced(fabric):
    """Sockets a killed fabric left behind do not stop the next one."""
    fab = fabric(PORTS)
    fab.proc.kill()
    fab.proc.wait()
    assert (fab.dir / "control.sock").exists()
    with open(fab.err_path, "a") as err:
        fab.proc = subprocess.Popen(
            [str(FABRIC_ASAN), "--dir", str(fab.dir), "--port",
             "a=02:00:00:00:00:0a"], stderr=err,
            env={**os.environ, **SANITIZER_ENV})
    fab.ctl = fab.connect()
    a, b = fab.endpoint("a"), fab.endpoint("b", "02:00:00:00:00:0b")
    fab.ok("port add b 02:00:00:00:00:0b")
    a.send_to(b)
    assert b.recv() is not None
    assert fab.quit() == 0


@pytest.mark.parametrize("args, why", [
    ([], "--dir is required"),
    (["--dir", "/tmp/x", "--seed", "-1"], "--seed -1"),
    (["--dir", "/tmp/x", "--seed", "1x"], "--seed 1x"),
    (["--dir", "/tmp/x", "--port", "a"], "expected NAME=MAC"),
    (["--dir", "/tmp/x", "--port", "a=zz:00:00:00:00:00"], "unicast MAC"),
    (["--dir", "/tmp/x", "--bogus"], "usage"),
    (["--dir", "/tmp/x", "extra"], "unexpected argument"),
])
def test_bad_command_line(args, why):
    res = subprocess.run([str(FABRIC_ASAN), *args], capture_output=True,
                         text=True, timeout=30,
                         env={**os.environ, **SANITIZER_ENV})
    assert res.returncode in (1, 2), res
    assert why in res.stderr, res.stderr


def test_help_documents_every_option():
    res = subprocess.run([str(FABRIC_ASAN), "--help"], capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0
    for option in ("--dir DIR", "--seed N", "--port NAME=MAC",
                   "--pcap FILE", "--help", "control.sock"):
        assert option in res.stdout


WORDS = ("help ping loss dup corrupt reorder delay link partition heal clear "
         "stats zero show pcap seed port quit on add start stop down up a b "
         "c a,b b,c a,,c 0 1 0.5 -1 1e9 nan 60000 60001 0.001 x").split()


def test_random_commands_and_frames_never_crash(three):
    """2000 random lines (command words, numbers, junk bytes; never 'quit')
    and 2000 random frames with random faults on: every line gets one
    status line, and the fabric still switches afterwards."""
    import random
    rnd = random.Random(1)
    fab, a, b, c = three
    words = [w for w in WORDS if w != "quit"]
    for i in range(2000):
        if rnd.random() < 0.1:
            line = bytes(rnd.randrange(1, 256)
                         for _ in range(rnd.randrange(40)))
            line = line.replace(b"\n", b" ")
        else:
            line = " ".join(rnd.choice(words) for _ in range(
                rnd.randrange(1, 6))).encode()
        first = line.replace(b"\t", b" ").replace(b"\r", b" ").split(b" ")
        first = [w for w in first if w][:1]
        if first in ([], [b"quit"], [b"pcap"]):
            continue            # blank lines get no reply
        fab.ctl.write(line + b"\n")
        while True:
            reply = fab.ctl.readline()
            assert reply, f"connection closed after {line!r}"
            if reply.startswith((b"ok", b"error")):
                break
        if i % 4 == 0:
            src = rnd.choice([a, b, c])
            dst = rnd.choice([a, b, c, None])
            frame = (bytes.fromhex(dst.mac.replace(":", "")) if dst else
                     bytes(rnd.randrange(256) for _ in range(6)))
            frame += bytes(rnd.randrange(256) for _ in range(
                rnd.choice([0, 8, 20, 200, 1500])))
            src.send(frame)
    fab.ok("clear")
    for ep in (a, b, c):
        ep.drain(0.05)
    a.send_to(b, b"after the storm")
    assert b.recv() is not None
