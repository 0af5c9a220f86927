#!/usr/bin/env python3
"""Compiles dynamic_struct_probe.cpp at -O2 and checks how end_struct()
reads the format byte it patches: exactly one memory load of 1 byte, none
of 2 (see the probe's comment). The probe's values come in registers, so
any other narrow load would be new and worth a look too."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_disabled_path import compiled_body, report  # noqa: E402

SYMBOL = "dynamic_struct_probe"
REGISTER_WIDTHS = {}
for name in ("a", "b", "c", "d"):
    REGISTER_WIDTHS.update({name + "l": 1, name + "h": 1, name + "x": 2, "e" + name + "x": 4, "r" + name + "x": 8})
for name in ("si", "di", "bp", "sp"):
    REGISTER_WIDTHS.update({name + "l": 1, name: 2, "e" + name: 4, "r" + name: 8})
for n in range(8, 16):
    REGISTER_WIDTHS.update({"r%db" % n: 1, "r%dw" % n: 2, "r%dd" % n: 4, "r%d" % n: 8})
SUFFIXED = ("mov", "add", "sub", "cmp", "and", "or", "xor", "test", "adc", "sbb")
SUFFIX_WIDTHS = {"b": 1, "w": 2, "l": 4, "q": 8}


def split_operands(text):
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def load_width(ins):
    """The width of the memory operand the instruction reads first (AT&T:
    the source comes first), or None when it reads no memory that way."""
    fields = ins.split(None, 1)
    if len(fields) < 2 or fields[0].startswith("lea"):
        return None
    mnemonic, operands = fields[0], split_operands(fields[1])
    if len(operands) < 2 or "(" not in operands[0]:
        return None
    extend = re.match(r"^mov[sz]([bw])", mnemonic)
    if extend:
        return SUFFIX_WIDTHS[extend.group(1)]
    if mnemonic[:-1] in SUFFIXED and mnemonic[-1] in SUFFIX_WIDTHS:
        return SUFFIX_WIDTHS[mnemonic[-1]]
    if mnemonic in SUFFIXED:
        return REGISTER_WIDTHS.get(operands[-1].lstrip("%"))
    return None


def main():
    compiler, include_dir, source = sys.argv[1:4]
    body = compiled_body(compiler, include_dir, source, SYMBOL)
    if not body:
        print("probe function not found in the assembly")
        return 1
    narrow = [(ins, width) for ins in body if (width := load_width(ins)) in (1, 2)]
    problems = []
    if any(width == 2 for _, width in narrow):
        problems.append("2-byte loads: %s" % [ins for ins, width in narrow if width == 2])
    if len([ins for ins, width in narrow if width == 1]) != 1:
        problems.append("expected one 1-byte load (the format byte), got: %s" % narrow)
    print("%s: %d instructions, narrow loads: %s" % (SYMBOL, len(body), narrow))
    return report(problems)


if __name__ == "__main__":
    sys.exit(main())
