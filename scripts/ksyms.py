#!/usr/bin/python3
"""Turn `nm -n` output of a first-pass kernel link into the .ksyms assembly
that the second link embeds (see kernel/ksyms.c for the table layout)."""
import sys


def text_symbols(lines):
    syms, etext = [], None
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        addr, kind, name = int(parts[0], 16), parts[1], parts[2]
        if name == "_etext":
            etext = addr
        elif kind in "tT" and not name.startswith("."):
            syms.append((addr, name))
    return syms, etext


def main():
    syms, etext = text_symbols(sys.stdin)
    out = ['\t.section .ksyms, "a"', "\t.balign 8", "\t.globl ksyms_count, ksyms_addr, ksyms_name, ksyms_names"]
    out.append("ksyms_count:\t.quad %d" % len(syms))
    out.append("ksyms_addr:")
    out += ["\t.quad 0x%x" % a for a, _ in syms]
    out.append("\t.quad 0x%x" % (etext or 0))
    out.append("ksyms_name:")
    offset = 0
    for _, name in syms:
        out.append("\t.long %d" % offset)
        offset += len(name) + 1
    out.append("ksyms_names:")
    out += ['\t.asciz "%s"' % name for _, name in syms]
    print("\n".join(out))


if __name__ == "__main__":
    main()
