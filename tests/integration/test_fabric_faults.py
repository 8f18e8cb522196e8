# The fabric's fault injection, without QEMU: loss, duplication,
# reordering, delay with jitter, corruption, link down/up, partitions, the
# per-port scope, and replay of a run from its seed. Numeric bounds are
# several standard deviations wide; the seeds are fixed, so they are exact.
import struct
import time

import pytest

from conftest import eth_frame, wait_for

PORTS = {"a": "02:00:00:00:00:0a", "b": "02:00:00:00:00:0b",
         "c": "02:00:00:00:00:0c", "d": "02:00:00:00:00:0d"}
BROADCAST = "ff:ff:ff:ff:ff:ff"


def seq_frame(dst, src, i, size=64):
    return eth_frame(dst.mac, src.mac,
                     struct.pack("!I", i) + bytes(max(0, size - 18)))


def seq_of(frame):
    return struct.unpack("!I", frame[14:18])[0]


def stream(fab, n, setup=(), pace=50):
    """a sends n numbered frames to b after the setup commands; return
    [(arrival time, seq)] as b received them, and the stats."""
    a, b = fab.endpoint("a"), fab.endpoint("b")
    for line in setup:
        fab.ok(line)
    b.collect()
    for i in range(n):
        a.send(seq_frame(b, a, i))
        if i % pace == pace - 1:
            time.sleep(0.001)   # let b's reader keep up: no backlog drops
    got = [(t, seq_of(f)) for t, f in b.stop_collect()]
    st = fab.stats()
    assert st["b"]["drop_full"] == 0, st["b"]
    return got, st


@pytest.fixture
def pair(fabric):
    fab = fabric({k: PORTS[k] for k in "ab"}, seed=42)
    return fab


def test_loss_drops_the_given_fraction(pair):
    """loss 0.3 over 2000 frames: 30% +- 5 sd gone, each counted once as
    drop_loss on b; the rest arrive once each, in order."""
    got, st = stream(pair, 2000, ["loss 0.3"])
    seqs = [s for _, s in got]
    assert seqs == sorted(set(seqs))
    lost = 2000 - len(seqs)
    assert 0.3 * 2000 - 103 < lost < 0.3 * 2000 + 103, lost
    assert st["b"]["drop_loss"] == lost


def test_same_seed_replays_the_same_drops(fabric):
    """Two fabrics with --seed 7 and the same traffic drop the same frames;
    --seed 8 drops others; `seed 7` on a running fabric replays it too."""
    def dropped(seed, cmds=()):
        fab = fabric({k: PORTS[k] for k in "ab"}, seed=seed)
        got, _ = stream(fab, 500, ["loss 0.2", *cmds])
        fab.finish()
        return set(range(500)) - {s for _, s in got}
    first = dropped(7)
    assert first and first == dropped(7)
    assert dropped(8) != first
    assert dropped(8, ["seed 7"]) == first


def test_dup_delivers_a_fraction_twice(pair):
    got, st = stream(pair, 2000, ["dup 0.2"])
    counts = {}
    for _, s in got:
        counts[s] = counts.get(s, 0) + 1
    assert sorted(counts) == list(range(2000))
    twice = sum(1 for c in counts.values() if c == 2)
    assert set(counts.values()) <= {1, 2}
    assert 400 - 90 < twice < 400 + 90, twice
    assert st["b"]["duplicated"] == twice
    assert st["b"]["frames_out"] == 2000 + twice


def test_reorder_holds_frames_until_overtaken(pair):
    """reorder 0.1: every frame arrives once; ~10% are held back and arrive
    after a later frame overtook them."""
    got, st = stream(pair, 1000, ["reorder 0.1 200"], pace=250)
    seqs = [s for _, s in got]
    assert sorted(seqs) == list(range(1000))
    late = [s for i, s in enumerate(seqs) if any(o > s for o in seqs[:i])]
    held = st["b"]["reordered"]
    assert 100 - 48 < held < 100 + 48, held
    assert 0 < len(late) <= held


def test_reorder_hold_time_releases_a_lone_frame(pair):
    """A held frame that nothing overtakes leaves after HOLD_MS."""
    a, b = pair.endpoint("a"), pair.endpoint("b")
    pair.ok("reorder 1 150")
    start = time.monotonic()
    a.send(seq_frame(b, a, 1))
    assert b.recv(2.0) is not None
    assert 0.145 <= time.monotonic() - start < 1.0


def test_delay_with_jitter_stays_within_bounds(pair):
    """delay 40 20: each frame arrives 20..60 ms after it was sent (plus
    scheduling slack), and the delays really vary."""
    a, b = pair.endpoint("a"), pair.endpoint("b")
    pair.ok("delay 40 20")
    delays = []
    for i in range(30):
        start = time.monotonic()
        a.send(seq_frame(b, a, i))
        assert b.recv(2.0) is not None
        delays.append(1000 * (time.monotonic() - start))
    assert min(delays) >= 19.5, delays
    assert max(delays) < 60 + 40, delays
    assert max(delays) - min(delays) > 10, delays
    assert pair.stats()["b"]["delayed"] == 30


def test_delay_without_jitter_keeps_order(pair):
    got, st = stream(pair, 200, ["delay 30"])
    assert [s for _, s in got] == list(range(200))
    assert st["b"]["delayed"] == 200


def test_corrupt_flips_one_byte_after_the_header(pair):
    """corrupt 1: every frame with a payload differs from what was sent in
    exactly one byte, at offset >= 14; a header-only frame passes."""
    a, b = pair.endpoint("a"), pair.endpoint("b")
    pair.ok("corrupt 1")
    for i in range(50):
        sent = seq_frame(b, a, i, size=100)
        a.send(sent)
        got = b.recv()
        diff = [k for k in range(len(sent)) if got[k] != sent[k]]
        assert len(got) == len(sent) and len(diff) == 1 and diff[0] >= 14
    header = eth_frame(b.mac, a.mac)
    a.send(header)
    assert b.recv() == header
    assert pair.stats()["b"]["corrupted"] == 50


def test_link_down_and_up(fabric):
    """link b down: frames to and from b are dropped (counted on b), a
    broadcast reaches only c, frames queued for b die. link b up: all
    flows again."""
    fab = fabric({k: PORTS[k] for k in "abc"})
    a, b, c = fab.endpoint("a"), fab.endpoint("b"), fab.endpoint("c")
    assert fab.ok("link b down") == "ok link b down"
    a.send(seq_frame(b, a, 1))
    b.send(seq_frame(a, b, 2))
    a.send(eth_frame(BROADCAST, a.mac))
    assert c.recv() is not None
    assert b.recv(0.2) is None and a.recv(0.01) is None
    st = fab.stats()
    assert st["b"]["drop_link_down"] == 3 and st["b"]["link"] == "down"
    fab.ok("link b up")
    fab.ok("delay 200")
    a.send(seq_frame(b, a, 3))
    fab.ok("link b down")
    assert wait_for(lambda: fab.stats()["b"]["drop_link_down"] == 4, 5)
    fab.ok("link b up")
    assert b.recv(0.1) is None
    assert fab.stats()["b"]["drop_link_down"] == 4
    fab.ok("delay 0")
    a.send(seq_frame(b, a, 4))
    b.send(seq_frame(a, b, 5))
    assert seq_of(b.recv()) == 4 and seq_of(a.recv()) == 5


def reachable(fab, eps):
    """{(src, dst)} pairs whose unicast frame arrives."""
    ok = set()
    for s in eps:
        for d in eps:
            if s is not d:
                s.send(seq_frame(d, s, 0))
                if d.recv(0.15) is not None:
                    ok.add((s.name, d.name))
    return ok


def all_pairs(names):
    return {(s, d) for s in names for d in names if s != d}


def test_partition_and_heal(fabric):
    """partition a,b c: {a,b}, {c} and the unnamed {d} cannot reach each
    other; drops count on the receiving port; heal restores everything."""
    fab = fabric(PORTS)
    eps = [fab.endpoint(n) for n in "abcd"]
    assert fab.ok("partition a,b c") == "ok partition groups=2 rest=d"
    assert reachable(fab, eps) == {("a", "b"), ("b", "a")}
    st = fab.stats()
    assert st["c"]["drop_partition"] == 3 and st["d"]["drop_partition"] == 3
    assert (st["a"]["group"], st["c"]["group"], st["d"]["group"]) == (1, 2, 0)
    eps[0].send(eth_frame(BROADCAST, eps[0].mac))
    assert eps[1].recv() is not None
    assert all(e.recv(0.1) is None for e in eps[2:])
    assert fab.ok("heal") == "ok healed"
    assert reachable(fab, eps) == all_pairs("abcd")


def test_partition_of_one_group_isolates_it_from_the_rest(fabric):
    fab = fabric(PORTS)
    eps = [fab.endpoint(n) for n in "abcd"]
    fab.ok("partition c")
    assert reachable(fab, eps) == all_pairs("abd")
    fab.ok("partition a,b c,d")     # a new partition replaces the old
    assert reachable(fab, eps) == {("a", "b"), ("b", "a"),
                                   ("c", "d"), ("d", "c")}


def test_port_scope_applies_to_frames_to_and_from_that_port(fabric):
    """loss 1 on c: nothing to or from c gets through; a<->b unaffected;
    `show` lists the fault under scope=c only."""
    fab = fabric({k: PORTS[k] for k in "abc"})
    eps = [fab.endpoint(n) for n in "abc"]
    assert fab.ok("loss 1 on c") == "ok loss=1 scope=c"
    assert reachable(fab, eps) == {("a", "b"), ("b", "a")}
    show = fab.cmd("show")
    assert " loss=0 " in show[1] and show[1].startswith("scope=global")
    assert show[4].startswith("scope=c ") and " loss=1 " in show[4]
    fab.ok("loss 0 on c")
    fab.ok("delay 100 on a")
    start = time.monotonic()
    eps[1].send(seq_frame(eps[0], eps[1], 1))
    assert eps[0].recv(2.0) is not None
    assert time.monotonic() - start >= 0.099


def test_clear_removes_every_fault(fabric):
    fab = fabric({k: PORTS[k] for k in "abc"})
    eps = [fab.endpoint(n) for n in "abc"]
    for line in ("loss 1", "dup 1 on a", "corrupt 1", "reorder 1 5000",
                 "delay 5000 10", "link a down", "partition a b"):
        fab.ok(line)
    assert fab.ok("clear") == "ok cleared"
    show = fab.cmd("show")
    for line in show[1:-1]:
        assert "loss=0 dup=0 corrupt=0 reorder=0 hold_ms=10 delay_ms=0 " \
            "jitter_ms=0" in line, line
    assert "partitioned=no" in show[0]
    assert reachable(fab, eps) == all_pairs("abc")


def test_everything_at_once_keeps_the_books(pair):
    """10% loss, 5% dup, 5% reorder, 1% corruption, 1+-1 ms delay, 3000
    frames: every frame that was not lost arrives, duplicates included, and
    b's counters add up."""
    got, st = stream(pair, 3000, ["loss 0.1", "dup 0.05", "reorder 0.05 5",
                                  "corrupt 0.01", "delay 1 1"])
    b = st["b"]
    assert b["frames_out"] == 3000 - b["drop_loss"] + b["duplicated"]
    assert len(got) == b["frames_out"]
    assert b["corrupted"] > 0 and b["reordered"] > 0 and b["delayed"] > 0
    assert (b["held"], b["backlog"]) == (0, 0)
