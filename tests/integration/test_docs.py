# Documents derived from the code stay derived: docs/syscalls.md is what
# scripts/syscall_table.py makes of linux-abi/syscall.c's table. No VM runs here.
import subprocess

from conftest import PYTHON, REPO


def test_the_system_call_list_is_current():
    made = subprocess.run([PYTHON, str(REPO / "scripts" / "syscall_table.py")],
                          capture_output=True, text=True, check=True).stdout
    assert made == (REPO / "docs" / "syscalls.md").read_text(), \
        "docs/syscalls.md is stale: run scripts/syscall_table.py > docs/syscalls.md"


def test_every_table_entry_names_a_defined_implementation():
    made = subprocess.run([PYTHON, str(REPO / "scripts" / "syscall_table.py")],
                          capture_output=True, text=True, check=True).stdout
    rows = [line for line in made.splitlines() if line.startswith("| ") and "`sys_" in line]
    assert len(rows) > 50
    assert not [row for row in rows if "(?)" in row]
