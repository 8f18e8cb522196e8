# make fault-test's short subset, inside make test: the schedules replay from
# their seeds, the default 50 cover every kind of fault, and a few of them (one
# per kill or restart, and a fabric-only one) pass against a real cluster.
import subprocess
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "fault"))
import schedule  # noqa: E402  (tests/fault/schedule.py)

DEFAULT = range(1, 51)      # make fault-test's seeds


def first_with(kind):
    return next(s for s in DEFAULT if kind in schedule.schedule(s).kinds())


def test_a_schedule_replays_from_its_seed():
    assert schedule.schedule(17) == schedule.schedule(17)
    assert schedule.schedule(17) != schedule.schedule(18)


def test_the_default_schedules_cover_every_kind_of_fault():
    seen = {k for s in DEFAULT for k in schedule.schedule(s).kinds()}
    assert seen == set(schedule.KINDS)
    assert all(sum(k.startswith(("kill", "restart")) for k in schedule.schedule(s).kinds())
               <= 1 for s in DEFAULT)


def test_a_subset_of_the_schedules_passes():
    seeds = sorted({first_with(k) for k in ("kill_mmon", "kill_pmon", "restart_smon",
                                            "restart_gmon", "loss")})
    out = subprocess.run(["/usr/bin/python3", str(REPO / "tests" / "fault" / "faults.py"),
                          "--seed", ",".join(map(str, seeds))], capture_output=True,
                         text=True, timeout=1800, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"fault-test: {len(seeds)} schedules, 0 failed" in out.stdout, out.stdout
