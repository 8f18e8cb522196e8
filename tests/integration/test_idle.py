# Idle means asleep: a booted node with nothing to do must halt its vCPU
# between interrupts, not spin (QEMU VMs share 2 host cores here).
import os
import time

from conftest import assert_no_qemu, qemu_pids, write_topology

SETTLE = 0.5            # s after ready before measuring
WINDOW = 3.0            # s measured
LIMIT = 25.0            # % of one host core; a spinning idle loop shows ~100


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_node_does_not_spin(launcher, run_dir, tmp_path):
    """Before: one gmon booted with `tessera up`, ready. After: its QEMU
    used < 25% of a core over 3 s; SIGINT stops the launcher with exit 0 and
    no QEMU left."""
    topo = write_topology(tmp_path / "idle.toml",
                          [dict(name="gmon0", role="gmon")])
    up = launcher(topo, run_dir)
    up.wait_output("cluster ready")
    pids = qemu_pids(run_dir)
    assert len(pids) == 1, pids
    time.sleep(SETTLE)
    before = cpu_seconds(pids[0])
    time.sleep(WINDOW)
    percent = 100 * (cpu_seconds(pids[0]) - before) / WINDOW
    print(f"idle gmon0: QEMU used {percent:.1f}% of one host core "
          f"over {WINDOW:g} s")
    assert percent < LIMIT, f"idle node spins: {percent:.1f}% of a core"
    res = up.stop()
    assert res.returncode == 0, res
    assert "cluster stopped" in res.stdout, res
    assert_no_qemu(run_dir)
