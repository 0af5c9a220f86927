#!/usr/bin/env python3
"""Compiles a write site at -O2 and inspects the disabled path of the
function named by the optional fourth argument (default: the probe of
disabled_path_probe.cpp): from the
function's entry to its first conditional branch there must be exactly one
memory access, a load of the site's enable word, and no call; the branch's
fall-through must reach `ret` without touching memory or calling anything
(frame set-up and tear-down instructions are allowed)."""
import re
import subprocess
import sys

FRAME = re.compile(r"^(push|pop|sub|add)q?\s+.*%rsp$|^(push|pop)q?\s+%r\w+$")


def instructions(asm, symbol):
    lines, inside = [], False
    for raw in asm.splitlines():
        line = raw.split("#")[0].strip()
        if line == symbol + ":":
            inside = True
            continue
        if not inside or not line:
            continue
        if line.startswith(".size") or line.startswith(".Lfunc_end"):
            break
        if line.endswith(":") or line.startswith("."):
            continue  # labels and directives
        lines.append(line)
    return lines


def compiled_body(compiler, include_dir, source, symbol, flags=()):
    """The instructions of `symbol` in `source` compiled at -O2 (and `flags`)."""
    asm = subprocess.run([compiler, "-std=c++20", "-O2", "-fno-asynchronous-unwind-tables", *flags, "-I",
                          include_dir, "-S", "-o", "-", source], check=True, capture_output=True, text=True).stdout
    return instructions(asm, symbol)


def report(problems):
    for p in problems:
        print("FAIL: " + p)
    print("%d passed, %d failed" % (0 if problems else 1, 1 if problems else 0))
    return 1 if problems else 0


def main():
    compiler, include_dir, source = sys.argv[1:4]
    symbol = sys.argv[4] if len(sys.argv) > 4 else "_Z19disabled_path_probeidPKcy"
    body = compiled_body(compiler, include_dir, source, symbol)
    if not body:
        print("probe function not found in the assembly")
        return 1
    entry, rest = [], []
    for i, ins in enumerate(body):
        if re.match(r"^j(?!mp)\w+\s", ins):
            entry, branch, rest = body[:i], ins, body[i + 1:]
            break
    else:
        print("no conditional branch: " + "; ".join(body))
        return 1
    loads = [ins for ins in entry if "(" in ins and not FRAME.match(ins)]
    problems = []
    if any(ins.startswith("call") for ins in entry):
        problems.append("a call before the branch")
    if len(loads) != 1 or "ehtrace_site_" not in loads[0]:
        problems.append("expected one load of the enable word before the branch, got: %s" % loads)
    others = [ins for ins in entry if ins not in loads and not FRAME.match(ins) and not ins.startswith(("test", "cmp"))]
    if others:
        problems.append("extra work before the branch: %s" % others)
    fall_through = []
    for ins in rest:
        fall_through.append(ins)
        if ins.startswith("ret"):
            break
    extra = [ins for ins in fall_through[:-1] if not FRAME.match(ins)]
    if not fall_through or not fall_through[-1].startswith("ret") or extra:
        problems.append("the not-taken path does more than return: %s" % fall_through)
    print("disabled path: " + "; ".join(entry + [branch] + fall_through))
    return report(problems)


if __name__ == "__main__":
    sys.exit(main())
