#!/usr/bin/env python3
"""Compiles zstring_probe.cpp at -O2, as is and with the flags that turn the
inline measure off, and checks how each write site measures its string:
  - a run-time string: inline (pcmpeqb and bsf; strlen() is only the
    fallback for long strings and null);
  - a literal: neither (the compiler folds its length);
  - with -fsanitize=address, or -DEHTRACE_NO_INLINE_STRLEN: strlen() only,
    no 16-byte read past the string that the sanitizer would report."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_disabled_path import compiled_body, report  # noqa: E402

POINTER = "_Z21zstring_pointer_probePKc"
LITERAL = "_Z21zstring_literal_probev"


def uses(body, mnemonic):
    """Whether `body` has the instruction, with or without a size suffix."""
    return any(ins.split(None, 1)[0] in (mnemonic, mnemonic + "q", mnemonic + "l") for ins in body)


def calls_strlen(body):
    return any(ins.startswith(("call", "jmp")) and "strlen" in ins for ins in body)


def main():
    compiler, include_dir, source = sys.argv[1:4]
    problems = []

    def body_of(symbol, flags=()):
        body = compiled_body(compiler, include_dir, source, symbol, flags)
        if not body:
            problems.append("%s not found in the assembly (flags %s)" % (symbol, list(flags)))
        return body

    inline = body_of(POINTER)
    if not (uses(inline, "pcmpeqb") and uses(inline, "bsf")):
        problems.append("a run-time string is not measured inline: %s" % inline)
    literal = body_of(LITERAL)
    if uses(literal, "pcmpeqb") or calls_strlen(literal):
        problems.append("a literal's length is measured at run time: %s" % literal)
    for flags in (["-fsanitize=address"], ["-DEHTRACE_NO_INLINE_STRLEN"]):
        body = body_of(POINTER, flags)
        if uses(body, "pcmpeqb") or not calls_strlen(body):
            problems.append("with %s the string is not measured by strlen() alone: %s" % (flags, body))
    print("run-time string: %d instructions, literal: %d" % (len(inline), len(literal)))
    return report(problems)


if __name__ == "__main__":
    sys.exit(main())
