# The Linux process model on a vNode: fork, execve, wait, pipes, signals, threads
# and futexes, stdin and Ctrl-C, in our own musl and glibc programs and in Debian's
# unmodified busybox-static, each compared byte for byte with the same binary on
# this host. Both pmons have an ExCache of 1 MiB, far below what forkmem and
# bigwrite touch; pmon0 evicts with CLOCK, pmon1 with FIFO.
import os
import re
import signal
import subprocess

import pytest

from conftest import (BUILD, PYTHON, REPO, ToolCluster, module_cluster, node, tessera,
                      wait_for)

USER = BUILD / "user"
BUSYBOX = "/bin/busybox"
SCRIPT = REPO / "tests" / "integration" / "busybox_script.sh"
EXCACHE_KB = 1024
PMONS = ("pmon0", "pmon1")


TOPOLOGY = "[cluster]\nboot_timeout = 60\n" + node("gmon0", "gmon") + "".join(
    node(pmon, "pmon", {"excache_kb": EXCACHE_KB, "excache_ways": 8, "excache_policy": policy},
         memory=128, vcpus=2) for pmon, policy in zip(PMONS, ("clock", "fifo"))) + "".join(
    node(mmon, "mmon", memory=160) for mmon in ("mmon0", "mmon1"))


class Cluster(ToolCluster):
    def run_bytes(self, pmon, program, *args, input=None, timeout=300):
        """Run a program on pmon: (exit status, stdout, stderr) as bytes."""
        out = self.tool("run", pmon, program, *args, input=input, text=False,
                        timeout=timeout)
        return out.returncode, out.stdout, out.stderr


def on_host(program, *args, input=None, env=None):
    """(status as a shell shows it, stdout, stderr) of program run on this host."""
    out = subprocess.run([str(program), *map(str, args)], capture_output=True, input=input,
                         stdin=subprocess.DEVNULL if input is None else None, timeout=120,
                         env=env, cwd="/")
    status = out.returncode if out.returncode >= 0 else 128 - out.returncode
    return status, out.stdout, out.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from module_cluster(tmp_path_factory, "process", TOPOLOGY, Cluster)


def test_gpm_spreads_a_burst_of_programs_over_the_pmons(cluster):
    """Four programs started at once with `run any`: GPM (on gmon) places them by
    load, charging each placement, so both pmons get some; all four run. (First in
    the file: both pmons idle, and both have reported to GPM.)"""
    assert wait_for(lambda: all(f"pComponent {cluster.node_id(p)} joins" in cluster.log("gmon0")
                                for p in PMONS), 60), cluster.log("gmon0")
    marks = {p: len(cluster.log(p)) for p in PMONS}
    procs = [subprocess.Popen([str(BUILD / "tessera-net"), "--run-dir", str(cluster.run), "run",
                               "any", BUSYBOX, "sleep", "2"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, results
    ran = {p: cluster.log(p)[marks[p]:].count(" exec: ") for p in PMONS}
    assert sum(ran.values()) == 4 and all(ran.values()), ran


@pytest.mark.parametrize("pmon", PMONS)
@pytest.mark.parametrize("prog", ["procmodel", "procmodel-glibc", "pipes", "badptr"])
def test_program_matches_the_host(cluster, pmon, prog):
    """fork + pipe + execve(/proc/self/exe) + wait, pthreads with a condvar and a
    contended mutex, futexes, handlers for SIGUSR1, SIGCHLD and SIGALRM, pipe edge
    cases, and -EFAULT for bad pointers: the same bytes and status as the host."""
    result = cluster.run_bytes(pmon, USER / prog)
    assert result == on_host(USER / prog), result
    assert result[0] == 0


@pytest.mark.parametrize("pmon", PMONS)
def test_forked_copies_larger_than_the_excache_stay_apart(cluster, pmon):
    """8 MiB, eight times the ExCache: parent and child each write the whole range
    and checksum it; neither sees the other's writes."""
    result = cluster.run_bytes(pmon, USER / "forkmem", 8192)
    assert result == on_host(USER / "forkmem", 8192), result
    assert result[0] == 0


@pytest.mark.parametrize("pmon", PMONS)
def test_one_write_from_pages_not_resident_is_exact(cluster, pmon):
    """A 6 MiB write() from an unaligned buffer, most of it evicted: every chunk's
    copy faults while earlier bytes of the message are already copied. (Output
    was corrupted when the fault path reused the process's I/O buffer.)"""
    result = cluster.run_bytes(pmon, USER / "bigwrite", 6144)
    assert result[1] == on_host(USER / "bigwrite", 6144)[1]
    assert result == on_host(USER / "bigwrite", 6144)


def test_busybox_shell_script_matches_the_host(cluster):
    """Debian's busybox sh reads a script of pipelines, redirections, $(...),
    loops, traps, background jobs and 25 applets from stdin."""
    script = SCRIPT.read_bytes()
    result = cluster.run_bytes("pmon0", BUSYBOX, "sh", "-s", input=script)
    expected = on_host(BUSYBOX, "sh", "-s", input=script, env={"PATH": "/nonexistent"})
    assert result == expected, result
    assert result[0] == 0 and b"== pipelines" in result[1]


def test_stdin_larger_than_the_terminal_buffer_arrives_whole(cluster):
    """100 KiB of input, 25 times what the pmon buffers: the host feeds it as the
    program reads, and the end of input is the program's end of file."""
    data = b"".join(b"line %d of the input\n" % i for i in range(5000))
    status, out, err = cluster.run_bytes("pmon1", BUSYBOX, "sh", "-c",
                                         "tr a-z A-Z; echo done", input=data)
    assert (status, err) == (0, b"")
    assert out == data.upper() + b"done\n"


def test_ctrl_c_interrupts_the_program(cluster):
    """SIGINT to the host tool becomes SIGINT for the program: sleep 100 dies of it
    at once, with the status a shell shows (130)."""
    mark = len(cluster.log("pmon0"))
    proc = subprocess.Popen([str(BUILD / "tessera-net"), "--run-dir", str(cluster.run), "run",
                             "pmon0", BUSYBOX, "sleep", "100"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: "exec:" in cluster.log("pmon0")[mark:], 60)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGINT, proc.communicate()


def test_fork_bomb_stops_at_the_vnode_limit(cluster):
    """Forking until it fails ends with EAGAIN (the per-vNode process limit), every
    child is reaped, and the pmon goes on serving."""
    result = cluster.run_bytes("pmon1", USER / "forkbomb")
    assert result == on_host(USER / "forkbomb"), result
    assert cluster.run_bytes("pmon1", USER / "hello")[0] == 0


def test_a_faulting_thread_kills_its_process_only(cluster):
    """A thread writes through NULL while the main thread waits to join it: the
    whole process ends with SIGSEGV, and the pmon runs the next program."""
    result = cluster.run_bytes("pmon0", USER / "threadsegv")
    assert result == on_host(USER / "threadsegv"), result
    assert result[0] == 128 + signal.SIGSEGV
    assert cluster.run_bytes("pmon0", USER / "hello", 3)[0] == 3


def test_another_vnodes_processes_cannot_be_signalled(cluster):
    """A process of vNode 2 on the same pmon cannot see (kill -0) or kill one of
    vNode 1: no such process, as across Linux pid namespaces; vNode 1's own can."""
    mark = len(cluster.log("pmon0"))
    proc = subprocess.Popen([str(BUILD / "tessera-net"), "--run-dir", str(cluster.run), "run",
                             "--vnode", "1", "pmon0", BUSYBOX, "sleep", "60"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: "exec:" in cluster.log("pmon0")[mark:], 60)
        pid = re.search(r"pid (\d+) exec:", cluster.log("pmon0")[mark:]).group(1)
        for probe in (["kill", "-0", pid], ["kill", pid]):
            out = cluster.tool("run", "--vnode", "2", "pmon0", BUSYBOX, *probe)
            assert out.returncode == 1 and "No such process" in out.stderr, (probe, out)
        assert proc.poll() is None
        assert cluster.tool("run", "--vnode", "1", "pmon0", BUSYBOX, "kill",
                            pid).returncode == 0
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM


@pytest.mark.parametrize("pmon", PMONS)
def test_faults_reach_handlers_on_the_alternate_stack(cluster, pmon):
    """SIGSEGV (NULL, a read-only page) and SIGFPE go to the program's handler on
    its sigaltstack; with SIGSEGV blocked, the same fault ends it (status 139)."""
    result = cluster.run_bytes(pmon, USER / "sigfault")
    assert result == on_host(USER / "sigfault"), result
    assert result[0] == 128 + signal.SIGSEGV and result[1].count(b"alternate stack") == 3


def mmon_execs(cluster):
    """Execs the mmons have loaded so far (each logs `exec mm=...`)."""
    return sum(cluster.log(m).count("] exec mm=") for m in ("mmon0", "mmon1"))


def test_shell_in_a_terminal_as_a_person_uses_it(cluster, tmp_path):
    """`tessera shell` in tmux, whose pane is a terminal, so the program's is one
    too: type a pipeline and read its answer off the screen, Ctrl-C a `sleep 100`,
    edit a line, ask the window size, leave with Ctrl-D; no tool is left running."""
    tmux = ["tmux", "-S", str(tmp_path / "tmux.sock")]
    shell = (f"{PYTHON} {REPO}/scripts/tessera shell --run-dir {cluster.run} --pmon pmon0; "
             "echo SHELL-EXIT=$?; sleep 600")

    def screen():
        return subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                              text=True).stdout

    def keys(*words):
        subprocess.run(tmux + ["send-keys", *words], check=True)

    def prompt():
        """Wait for the shell's prompt, as a person would before typing."""
        assert wait_for(lambda: screen().rstrip().endswith("/ #"), 60), screen()

    subprocess.run(tmux + ["new-session", "-d", "-x", "100", "-y", "30", shell], check=True)
    try:
        prompt()
        keys("echo $((6 * 7)) | tr 0-9 a-j", "Enter")
        assert wait_for(lambda: "\nec\n" in screen(), 30), screen()
        prompt()
        execs = mmon_execs(cluster)
        keys("echo started; sleep 100; echo after-sleep", "Enter")
        assert wait_for(lambda: "\nstarted\n" in screen(), 30), screen()
        # Before its execve the sleep's child made itself the terminal's foreground
        # group; a Ctrl-C sooner would go to the shell, which ignores it.
        assert wait_for(lambda: mmon_execs(cluster) > execs, 30)
        keys("C-c")         # an interactive shell drops the rest of the line, as bash
        assert wait_for(lambda: screen().rstrip().endswith("^C\n/ #"), 20), screen()
        keys("echo alive", "Enter")
        assert wait_for(lambda: "\nalive\n" in screen(), 30), screen()
        assert "after-sleep" not in screen().replace("echo after-sleep", "")
        prompt()
        keys("echo abc", "BSpace", "BSpace", "xy", "Enter")    # busybox's line editor
        assert wait_for(lambda: "\naxy\n" in screen(), 30), screen()
        prompt()
        keys("stty size", "Enter")          # the window size passes through
        assert wait_for(lambda: "\n30 100\n" in screen(), 30), screen()
        prompt()
        keys("C-d")
        assert wait_for(lambda: "SHELL-EXIT=0" in screen(), 30), screen()
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    assert wait_for(lambda: not tools_running(cluster.run), 10)


def test_nothing_is_left_behind_on_the_mmons(cluster):
    """After every program above has exited, no address space remains on an mmon
    and gmon holds no placement for one."""
    def empty():
        return all(cluster.kv("memstats", m)["nprocs"] == "0" for m in ("mmon0", "mmon1"))
    assert wait_for(empty, 30), [cluster.kv("memstats", m) for m in ("mmon0", "mmon1")]


def test_gpm_drops_a_pmon_gmon_declares_down(cluster):
    """pmon1's link is cut until gmon declares it down (hb_timeout_ms, 2 s, before
    GPM's own three missed reports): from that verdict on, `run any` sends every
    program to pmon0 and each runs. After the link is back pmon1 joins GPM again."""
    pmon1 = cluster.node_id("pmon1")
    gmon = len(cluster.log("gmon0"))
    down = tessera("fault", "link", "pmon1", "down", run_dir=cluster.run, timeout=30)
    assert down.returncode == 0, down
    try:
        assert wait_for(lambda: f"node {pmon1} (pmon1) down" in cluster.log("gmon0")[gmon:], 30)
        assert f"pmon {pmon1} down: out of GPM" in cluster.log("gmon0")[gmon:]
        runs = [cluster.tool("run", "any", USER / "hello", 2) for _ in range(4)]
    finally:
        up = tessera("fault", "link", "pmon1", "up", run_dir=cluster.run, timeout=30)
    assert up.returncode == 0, up
    assert [r.returncode for r in runs] == [2] * 4, [r.stderr for r in runs]
    assert wait_for(lambda: f"pComponent {pmon1} joins" in cluster.log("gmon0")[gmon:], 30)


def tools_running(run):
    """tessera-net processes of this run dir still alive."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, NotADirectoryError, PermissionError):
            continue
        if argv and argv[0].endswith(b"tessera-net") and str(run).encode() in argv:
            found.append(int(entry))
    return found
