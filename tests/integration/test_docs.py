# Documents derived from the code stay derived: docs/syscalls.md is what
# scripts/syscall_table.py makes of linux-abi/syscall.c's table. No VM runs here.
import re
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


# The protocol is written once (include/net/protocol.h for opcodes, include/net/wire.h
# for packet types and message kinds, each with its number); everything that names
# them must agree with it.
def c_enum(path, enum, prefix):
    """{number: name} of an enum whose members all have explicit numbers."""
    text = (REPO / path).read_text()
    body = text[text.index(f"enum {enum} {{"):]
    body = body[:body.index("};")]
    members = re.findall(rf"^\t{prefix}(\w+) = (\d+),", body, re.M)
    assert len(members) == len(re.findall(rf"^\t{prefix}\w+", body, re.M)) - 1, \
        f"{enum}: every member but the last (the bound) needs an explicit number"
    return {int(n): name for name, n in members}


def opcodes():
    text = (REPO / "include" / "net" / "protocol.h").read_text()
    table = {int(n): name for name, n in re.findall(r"^\tX\((\w+), (\d+),", text, re.M)}
    assert sorted(table) == list(range(1, len(table) + 1)), "opcodes are 1..N, dense"
    return table


def lua_table(name):
    text = (REPO / "tools" / "wireshark" / "tessera.lua").read_text()
    body = text[text.index(f"local {name} = {{"):]
    body = body[:body.index("}")]
    return {int(n): v for n, v in re.findall(r'\[(\d+)\] = "(\w+)"', body)}


def test_the_dissector_names_what_the_protocol_defines():
    assert lua_table("opcodes") == opcodes()
    assert lua_table("pkt_types") == c_enum("include/net/wire.h", "net_pkt_type", "NET_PKT_")
    assert lua_table("kinds") == c_enum("include/net/wire.h", "net_kind", "NET_")


def doc_names(heading, prefix=""):
    """The backticked names in the first column of the table after heading."""
    text = (REPO / "docs" / "protocol.md").read_text()
    text = text[text.index(heading):]
    rows = re.findall(r"^\| (`[^|]+`) \|", text[text.index("\n|"):].split("\n\n")[0], re.M)
    return [name[len(prefix):] for row in rows for name in re.findall(r"`(\w+)`", row)]


def test_the_protocol_doc_lists_what_the_protocol_defines():
    assert sorted(doc_names("| opcode |")) == sorted(opcodes().values())   # each once
    types = c_enum("include/net/wire.h", "net_pkt_type", "NET_PKT_")
    assert doc_names("| type | value |", "NET_PKT_") == [types[n] for n in sorted(types)]
    kinds = c_enum("include/net/wire.h", "net_kind", "NET_")
    assert doc_names("| kind | value |", "NET_") == [kinds[n] for n in sorted(kinds)]


def test_every_dispatch_table_takes_its_bounds_from_the_protocol():
    """A monitor's `struct rpc_op` table names each opcode with RPC_OP (or the file
    service's list), never with bounds of its own."""
    sources = [p for d in ("kernel", "mcomponent", "pcomponent", "scomponent", "managers", "net")
               for p in (REPO / d).rglob("*.c")]
    tables = 0
    for path in sources:
        text = path.read_text()
        for m in re.finditer(r"static const struct rpc_op \w+\[[^\]]*\] = \{\n(.*?)\n\};", text,
                             re.S):
            tables += 1
            for line in m.group(1).splitlines():
                assert re.match(r"^\t(RPC_OP\(\w+, \w+\),|X2S_REQUESTS\(\w+\))$", line), \
                    f"{path.relative_to(REPO)}: {line.strip()}"
    assert tables >= 6
