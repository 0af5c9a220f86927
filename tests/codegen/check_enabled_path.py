#!/usr/bin/env python3
"""Compiles a write site at -O2 and inspects its whole function: the event
writer must be inlined (the only call is the one that hands the event to
the sink: the sink's virtual write, or the tracepoint's write; a call or a
tail jump) and nothing may be loaded from the stack: the payload's
iovecs and copied values are only stored there. A load from the stack means
the compiler built field objects in memory and read them back, which under
g++ 12 read 8 or 16 bytes over narrower stores (store-forwarding stalls)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_disabled_path import FRAME, compiled_body, report  # noqa: E402

WRITE = "_ZNK7ehtrace16basic_tracepoint5writeEP5iovecim"
STACK = re.compile(r"\(%r[sb]p\)")
# An indirect call through a register or a vtable slot, not through the stack.
SINK_CALL = re.compile(r"^(call|jmp)\w*\s+\*(%r\w+|-?\w*\(%r(?![sb]p)\w+\))$")


def hands_to_sink(ins):
    return WRITE in ins or SINK_CALL.match(ins) is not None


def main():
    compiler, include_dir, source, symbol = sys.argv[1:5]
    body = compiled_body(compiler, include_dir, source, symbol)
    if not body:
        print("probe function not found in the assembly")
        return 1
    problems = []
    calls = [ins for ins in body if ins.startswith("call") or (ins.startswith("jmp") and not re.match(r"^jmp\s+\.L", ins))]
    other_calls = [ins for ins in calls if not hands_to_sink(ins)]
    if other_calls:
        problems.append("calls other than the one to the sink (not inlined): %s" % other_calls)
    if not any(hands_to_sink(ins) for ins in calls):
        problems.append("no call that hands the event to the sink")
    loads = []
    for ins in body:
        if FRAME.match(ins) or ins.startswith("lea"):
            continue
        operands = ins.split(None, 1)[1] if " " in ins or "\t" in ins else ""
        # AT&T syntax: the source comes first; a stack operand before the
        # last comma is read.
        parts = operands.rsplit(",", 1)
        if len(parts) == 2 and STACK.search(parts[0]):
            loads.append(ins)
    if loads:
        problems.append("loads from the stack: %s" % loads)
    print("%s: %d instructions, calls: %s" % (symbol, len(body), calls))
    return report(problems)


if __name__ == "__main__":
    sys.exit(main())
