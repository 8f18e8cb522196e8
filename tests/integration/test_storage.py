"""Storage end to end: files put on a vNode from the host travel host -> GSM on gmon
-> the vNode's front mmon (its buffer cache) -> smon -> tfs on smon's virtio-blk
disk, and come back byte for byte; vNodes see only their own roots; a file read
twice comes from the cache the second time; a synced file survives kill -9 of
smon's QEMU, and the disk image then checks clean with the host tool."""
import os
import pathlib
import random
import signal
import subprocess
import time

import pytest

from conftest import BUILD, REPO, ToolCluster, module_cluster, node, qemu_pids, wait_for

# pmon0's ExCache is far below what its programs touch; pmon1's holds a 20 MiB sort,
# whose random reads of its lines would take hours of misses at pmon0's size.
TOPOLOGY = "[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon") + node(
    "pmon0", "pmon", {"excache_kb": 1024}, memory=128) + node(
    "pmon1", "pmon", {"excache_kb": 65536}, memory=128) + node(
    "mmon0", "mmon", memory=192) + node("smon0", "smon", memory=96, disk_mib=256)
FS_TOOL = BUILD / "tessera-fs"
BUSYBOX = "/bin/busybox"


class Cluster(ToolCluster):
    def fs(self, *args, input=None):
        """tessera-net fs ARGS: the finished process (stdout as bytes)."""
        return self.tool("fs", *args, input=input, text=False)

    def put_bytes(self, vnode, path, data, tmp):
        src = tmp / "src.bin"
        src.write_bytes(data)
        out = self.fs("put", vnode, src, path)
        assert out.returncode == 0, out.stderr
        return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from module_cluster(tmp_path_factory, "storage", TOPOLOGY, Cluster)


def payload(seed, size):
    return random.Random(seed).randbytes(size)


def cache_stats(cluster):
    """The front mmon's buffer cache counters (tessera-net memstats)."""
    kv = cluster.kv("memstats", "mmon0")
    return {k: int(v) for k, v in kv.items() if k.startswith("cache_")}


def test_smon_mounts_and_reports_to_gsm(cluster):
    """A blank disk is formatted, mounted, and its smon joins GSM."""
    assert wait_for(lambda: "sComponent" in cluster.log("gmon0"), 30), cluster.log("gmon0")
    log = cluster.log("smon0")
    assert "formatting" in log and "file system mounted" in log, log


def test_put_then_get_is_byte_identical(cluster, tmp_path):
    """3 MiB and a few odd sizes, across 32 KiB request boundaries."""
    for i, size in enumerate((0, 1, 4095, 32768, 32769, 3 << 20)):
        data = payload(i, size)
        cluster.put_bytes(1, f"/blob{i}", data, tmp_path)
        out = cluster.fs("get", 1, f"/blob{i}")
        assert out.returncode == 0, out.stderr
        assert out.stdout == data, (size, len(out.stdout))


def test_tessera_put_get_and_image_commands(cluster, tmp_path):
    """scripts/tessera put/get VNODE:PATH on the running cluster, and image build,
    ls and check on a disk image made from a host directory."""
    tessera = [REPO / "scripts" / "tessera"]
    src = tmp_path / "in.bin"
    src.write_bytes(payload(5, 70000))
    run = ["--run-dir", cluster.run]
    assert subprocess.run(tessera + ["put", *run, src, "1:/via-cli"]).returncode == 0
    got = subprocess.run(tessera + ["get", *run, "1:/via-cli"], capture_output=True)
    assert got.returncode == 0 and got.stdout == src.read_bytes()
    bad = subprocess.run(tessera + ["get", *run, "via-cli"], capture_output=True, text=True)
    assert bad.returncode == 2 and "VNODE:PATH" in bad.stderr
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_bytes(b"x" * 5000)
    img = tmp_path / "img.tfs"
    assert subprocess.run(tessera + ["image", "build", tree, img, "16"]).returncode == 0
    ls = subprocess.run(tessera + ["image", "ls", img, "/sub"], capture_output=True, text=True)
    assert ls.returncode == 0 and "5000" in ls.stdout and "f" in ls.stdout, ls.stdout
    check = subprocess.run(tessera + ["image", "check", img], capture_output=True, text=True)
    assert check.returncode == 0 and "clean" in check.stdout


def test_directories_list_and_remove(cluster, tmp_path):
    """mkdir, put into it, ls shows both kinds, rm and rmdir-like removal."""
    assert cluster.fs("mkdir", 1, "/d").returncode == 0
    cluster.put_bytes(1, "/d/inner", b"hello\n", tmp_path)
    assert cluster.fs("mkdir", 1, "/d/sub").returncode == 0
    names = cluster.fs("ls", 1, "/d").stdout.decode().split("\n")
    assert {"- inner", "d sub", "d .", "d .."} <= set(names), names
    st = cluster.fs("stat", 1, "/d/inner")
    assert st.returncode == 0 and st.stdout.split()[2] == b"6", st.stdout
    assert cluster.fs("rm", 1, "/d/inner").returncode == 0
    out = cluster.fs("get", 1, "/d/inner")
    assert out.returncode == 1 and b"No such file" in out.stderr, out.stderr


def test_errors_are_linuxs(cluster, tmp_path):
    """Missing parents, files as directories, names too long: Linux's errors."""
    cluster.put_bytes(1, "/plain", b"x", tmp_path)
    cases = {
        ("get", 1, "/nope/x"): b"No such file",
        ("mkdir", 1, "/plain/sub"): b"Not a directory",
        ("ls", 1, "/plain"): b"Not a directory",
        ("mkdir", 1, "/" + "n" * 256): b"File name too long",
        ("mkdir", 1, "/plain"): b"File exists",
    }
    for args, err in cases.items():
        out = cluster.fs(*args)
        assert out.returncode == 1 and err in out.stderr, (args, out.stderr)


def test_vnodes_see_only_their_own_root(cluster, tmp_path):
    """vNode 2 does not see vNode 1's files, and '..' never climbs out of a root."""
    cluster.put_bytes(1, "/mine", b"one", tmp_path)
    assert cluster.fs("get", 2, "/mine").returncode == 1
    cluster.put_bytes(2, "/../../../theirs", b"two", tmp_path)
    assert cluster.fs("get", 2, "/theirs").stdout == b"two"
    assert cluster.fs("get", 1, "/theirs").returncode == 1
    assert cluster.fs("get", 2, "/../1/mine").returncode == 1


def test_file_syscalls_match_the_host(cluster, tmp_path):
    """tests/user/files (open, read/write, pread/pwrite, lseek, append, truncate,
    stat, getdents, mkdir, rename, unlink, rmdir, symlink, readlink, chdir, openat,
    and Linux's errors) in an empty directory: the same bytes on the vNode as here."""
    assert cluster.fs("mkdir", 3, "/work").returncode == 0
    out = cluster.tool("run", "pmon0", "--vnode", 3, BUILD / "user" / "files", "/work",
                       text=False)
    (tmp_path / "work").mkdir()
    host = subprocess.run([BUILD / "user" / "files", tmp_path / "work"], capture_output=True)
    assert (out.returncode, out.stdout) == (host.returncode, host.stdout), out.stderr


def busybox_both(cluster, pmon, vnode, script, tmp_path):
    """script (busybox sh, its $1 an empty directory) on pmon in vNode's /w and in an
    empty directory here: both finished processes, as (status, stdout, stderr)."""
    assert cluster.fs("mkdir", vnode, "/w").returncode == 0
    out = cluster.tool("run", pmon, "--vnode", vnode, BUSYBOX, "sh", "-s", "/w",
                       input=script, text=False, timeout=900)
    (tmp_path / "w").mkdir()
    host = subprocess.run([BUSYBOX, "sh", "-s", tmp_path / "w"], input=script,
                          capture_output=True, env={"PATH": "/nonexistent"})
    return ((out.returncode, out.stdout, out.stderr),
            (host.returncode, host.stdout, host.stderr))


def test_busybox_file_applets_match_the_host(cluster, tmp_path):
    """Debian's busybox: mkdir -p, cp, mv, ln -s, ls -la, find, tar c/x, gzip, sort,
    dd, cmp, rm -r, on the vNode's disk and in an empty directory here."""
    script = (pathlib.Path(__file__).parent / "busybox_files.sh").read_bytes()
    vnode, host = busybox_both(cluster, "pmon0", 4, script, tmp_path)
    assert vnode == host, vnode


def test_a_52_mib_file_written_on_the_vnode_matches_the_host(cluster, tmp_path):
    """seq writes 52 MiB through an ExCache of 1 MiB and a buffer cache smaller than
    the file, so its pages are written back while it grows; sha256sum and a copy
    read it back whole."""
    script = (b"cd $1\nseq 7000000 > big\nwc -c < big\nsha256sum big\n"
              b"cat big > copy\ncmp big copy && echo same\ntail -c 20 copy\nrm big copy\n")
    vnode, host = busybox_both(cluster, "pmon0", 10, script, tmp_path)
    assert vnode == host, vnode
    assert int(host[1].split()[0]) > 50 << 20


def test_a_20_mib_sort_on_the_vnode_matches_the_host(cluster, tmp_path):
    """awk writes 260,000 lines in random order (20 MiB), sort reads them back, sorts
    them in memory and writes 20 MiB more; the sorted files' hashes are the host's."""
    script = (b"cd $1\nseq 260000 | awk '{ printf \"%07d %s\\n\", ($1 * 7919) % 260003, "
              b"\"" + b"p" * 72 + b"\" }' > in\nwc -c < in\n"
              b"sort in > sorted\nsha256sum sorted\nsort -r in | head -n 2\nrm in sorted\n")
    vnode, host = busybox_both(cluster, "pmon1", 11, script, tmp_path)
    assert vnode == host, vnode
    assert int(host[1].split()[0]) > 20 << 20


def test_hostile_file_requests_are_refused(cluster, tmp_path):
    """Lengths that disagree with the message, bad paths, offsets past any file,
    forged and borrowed handles, a request straight to smon: all refused, the
    file they were aimed at is unchanged and both nodes still answer."""
    data = payload(7, 100_000)
    cluster.put_bytes(9, "/target", data, tmp_path)
    out = cluster.tool("fs", "inject", 9, "/target")
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("refused=yes") >= 20 and "refused=no" not in out.stdout
    assert cluster.fs("get", 9, "/target").stdout == data
    st = cluster.fs("stat", 9, "/target")
    assert st.returncode == 0 and st.stdout.split()[2] == b"100000", st.stdout
    cluster.put_bytes(9, "/after", b"still writable", tmp_path)
    assert cluster.fs("get", 9, "/after").stdout == b"still writable"
    for name in ("mmon0", "smon0"):
        assert "panic" not in cluster.log(name).lower(), cluster.log(name)


def test_second_sequential_read_is_served_from_the_cache(cluster, tmp_path):
    """A 4 MiB file pushed out of the cache by more than its budget of other files is
    read twice: the first read fetches it from smon a window at a time, the second
    sends smon no X2S_READ and answers every request from the cache."""
    size, filler = 4 << 20, 8 << 20
    data = payload(42, size)
    cluster.put_bytes(8, "/big", data, tmp_path)
    budget = cache_stats(cluster)["cache_budget"] * 4096
    fillers = range((budget + size) // filler + 1)
    for i in fillers:
        cluster.put_bytes(8, f"/filler{i}", payload(100 + i, filler), tmp_path)
    before = cache_stats(cluster)
    t0 = time.monotonic()
    first = cluster.fs("get", 8, "/big")
    t1 = time.monotonic()
    mid = cache_stats(cluster)
    second = cluster.fs("get", 8, "/big")
    t2 = time.monotonic()
    after = cache_stats(cluster)
    print(f"4 MiB get: first {t1 - t0:.2f}s ({mid['cache_misses'] - before['cache_misses']}"
          f" pages fetched), second {t2 - t1:.2f}s; {before}")
    assert first.stdout == data and second.stdout == data
    assert mid["cache_misses"] - before["cache_misses"] >= size // 4096 // 2, (before, mid)
    assert after["cache_reads"] == mid["cache_reads"], (mid, after)
    assert after["cache_hits"] - mid["cache_hits"] >= size // 32768, (mid, after)
    assert after["cache_pages"] <= after["cache_budget"], after
    for i in fillers:
        assert cluster.fs("rm", 8, f"/filler{i}").returncode == 0


def test_dirty_pages_are_written_back_unasked(cluster, tmp_path):
    """A write with no fsync reaches smon within a few seconds (the flusher), and a
    truncate cuts what the cache holds: the size and bytes seen are the new ones."""
    script = b"seq 20000 > /lazy; echo tail >> /lazy; truncate -s 100 /lazy; wc -c /lazy\n"
    out = cluster.tool("run", "pmon0", "--vnode", 6, BUSYBOX, "sh", "-s", input=script,
                       text=False)
    assert out.returncode == 0 and out.stdout.split()[0] == b"100", out.stdout + out.stderr
    assert wait_for(lambda: cache_stats(cluster)["cache_dirty"] == 0, 15), cache_stats(cluster)
    assert cluster.fs("get", 6, "/lazy").stdout == b"".join(
        b"%d\n" % i for i in range(1, 20001))[:100]


def test_execve_runs_programs_and_scripts_from_storage(cluster, tmp_path):
    """busybox put on the vNode's disk runs from there (its home reads the ELF from
    storage), a "#!" script runs under its interpreter with its name as $0, and a
    file that is not executable is refused as Linux refuses it."""
    assert cluster.fs("mkdir", 5, "/bin").returncode == 0
    cluster.put_bytes(5, "/bin/busybox", pathlib.Path(BUSYBOX).read_bytes(), tmp_path)
    cluster.put_bytes(5, "/s.sh", b"#!/bin/busybox sh\necho script $0 $1\n", tmp_path)
    script = (b"/bin/busybox echo hello from storage\n"
              b"cd /bin && ../s.sh one\n"
              b"/bin/busybox ls /\n"
              b"/nothing 2>/dev/null; echo missing $?\n"
              b"/bin 2>/dev/null; echo directory $?\n")
    out = cluster.tool("run", "pmon0", "--vnode", 5, BUSYBOX, "sh", "-s", input=script,
                       text=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (b"hello from storage\nscript ../s.sh one\nbin\ns.sh\n"
                          b"missing 127\ndirectory 126\n"), out.stdout


def test_synced_file_survives_kill_9_and_image_checks_clean(cluster, tmp_path):
    """put ends with fsync, and so does a dd into the middle of the file on the vNode
    (a read-modify-write of a cached page): after SIGKILL of smon's QEMU the bytes
    are on the disk image, which the host tool finds consistent. (Last: it kills
    smon.)"""
    data = payload(99, 200_000)
    cluster.put_bytes(7, "/durable", data, tmp_path)
    dd = b"printf XYZ | dd of=/durable bs=1 seek=5000 conv=notrunc,fsync 2>/dev/null\n"
    out = cluster.tool("run", "pmon0", "--vnode", 7, BUSYBOX, "sh", "-s", input=dd,
                       text=False)
    assert out.returncode == 0, out.stderr
    data = data[:5000] + b"XYZ" + data[5003:]
    pid = int((cluster.run / "smon0.pid").read_text())
    assert pid in qemu_pids(cluster.run)
    cluster.killed = "smon0"
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: pid not in qemu_pids(cluster.run), 10)
    disk = cluster.run / "smon0.disk"
    check = subprocess.run([FS_TOOL, "check", disk], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    got = tmp_path / "got"
    out = subprocess.run([FS_TOOL, "--vnode", "7", "get", disk, "/durable", got],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert got.read_bytes() == data
