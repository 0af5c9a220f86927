#!/usr/bin/env python3
"""Compiles every ```cpp block of README.md, so the README cannot rot.

A block with `int main(` is linked against the project's libraries and run
(it must exit with 0); any other block is compiled as a translation unit of
its own. Usage: readme_code_test.py README CXX INCLUDE_DIR LIBRARY...
"""
import os
import re
import subprocess
import sys
import tempfile


def blocks(text):
    """(line number, code) of each ```cpp block."""
    out = []
    for m in re.finditer(r"^```cpp\n(.*?)^```$", text, re.S | re.M):
        out.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return out


def main():
    readme, cxx, include_dir, libraries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    with open(readme, encoding="utf-8") as f:
        found = blocks(f.read())
    if not found:
        print(f"{readme}: no ```cpp block found")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ehtrace-readme-") as work:
        for line, code in found:
            source = os.path.join(work, f"readme_line{line}.cpp")
            with open(source, "w", encoding="utf-8") as f:
                f.write(code)
            flags = ["-std=c++20", "-Wall", "-Wextra", "-Werror", "-I", include_dir]
            program = "int main(" in code
            if program:
                exe = source[:-4]
                command = [cxx, *flags, source, "-o", exe, *libraries, "-pthread"]
            else:
                command = [cxx, *flags, "-c", source, "-o", source[:-4] + ".o"]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"README.md:{line}: the block does not compile:\n{result.stderr}")
                failures += 1
                continue
            if program:
                run = subprocess.run([exe], capture_output=True, text=True, timeout=60, cwd=work)
                if run.returncode != 0:
                    print(f"README.md:{line}: the program exits with {run.returncode}:\n{run.stderr}")
                    failures += 1
                    continue
            print(f"README.md:{line}: ok ({'compiled and ran' if program else 'compiled'})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
