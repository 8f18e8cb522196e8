# A kernel fault is fatal and loud: the node prints TESSERA PANIC with the
# fault described and a symbolized backtrace, and the launcher fails with it.
import re

from conftest import assert_no_qemu, read_log, smoke, write_topology

BACKTRACE_RE = re.compile(
    r"\[<[0-9a-f]{16}>\] fault_inject_pagefault\+0x[0-9a-f]+/0x[0-9a-f]+")
PF_RE = re.compile(r"#PF|page fault", re.IGNORECASE)


def test_pagefault_panics_with_backtrace(run_dir, tmp_path):
    """Before: pmon0 is told to take a page fault after boot.
    After: pmon0's log has TESSERA PANIC, a #PF description and
    fault_inject_pagefault in its backtrace; the launcher names pmon0, shows
    the same lines, exits 1 and leaves no QEMU."""
    topo = write_topology(tmp_path / "panic.toml", [
        dict(name="gmon0", role="gmon"),
        dict(name="pmon0", role="pmon", test_fault="pagefault"),
    ])
    res = smoke(topo, run_dir)
    assert res.returncode == 1, res
    assert "node pmon0" in res.stderr, res
    log = read_log(run_dir, "pmon0")
    for text in (log, res.output):
        assert "TESSERA PANIC" in text
        assert PF_RE.search(text), "no #PF / page fault description"
        assert "backtrace:" in text
        assert BACKTRACE_RE.search(text), "no fault_inject_pagefault+0x.."
    assert_no_qemu(run_dir)
