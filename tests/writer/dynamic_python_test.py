#!/usr/bin/env python3
"""Runs examples/python/ehtrace_example.py under EHTRACE_CAPTURE and checks
what it wrote: the capture records themselves, then their decoded JSON.

    dynamic_python_test.py <example.py> <libehtrace.so dir> <work dir> [ehtrace-decode]
"""
import json
import os
import struct
import subprocess
import sys


def read_capture(path):
    """The .dat records: u32 LE record size (whole record), NUL-terminated tracepoint name, event bytes."""
    with open(path, "rb") as f:
        data = f.read()
    records, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from("<I", data, offset)
        assert size >= 5 and offset + size <= len(data), f"damaged record at {offset}"
        name_end = data.index(b"\0", offset + 4)
        records.append((data[offset + 4:name_end].decode(), data[name_end + 1:offset + size]))
        offset += size
    return records


def main():
    example, library_dir, work_dir = sys.argv[1:4]
    decoder = sys.argv[4] if len(sys.argv) > 4 else None
    capture = os.path.join(work_dir, "python_example.dat")
    if os.path.exists(capture):
        os.remove(capture)
    env = dict(os.environ, EHTRACE_CAPTURE=capture,
               LD_LIBRARY_PATH=os.pathsep.join(filter(None, [library_dir, os.environ.get("LD_LIBRARY_PATH")])))
    run = subprocess.run([sys.executable, example], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"example failed ({run.returncode}):\n{run.stdout}{run.stderr}"
    assert "wrote events to Python_Example_L4K1 and Python_Example_L3K1" in run.stdout, run.stdout

    assert run.stderr == "", run.stderr

    # Without a capture file and without user_events (this host), tracing is
    # off: one calm line that says why, nothing else, exit 0. (Where
    # user_events works the events go to the kernel and nothing is printed.)
    quiet_env = {k: v for k, v in env.items() if k != "EHTRACE_CAPTURE"}
    off = subprocess.run([sys.executable, example], env=quiet_env, capture_output=True, text=True, timeout=60)
    assert off.returncode == 0, f"example failed ({off.returncode}):\n{off.stdout}{off.stderr}"
    if off.stderr:
        lines = off.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("ehtrace_example: tracing is off: "), off.stderr
        assert "Traceback" not in off.stderr and off.stdout == "", (off.stdout, off.stderr)

    records = read_capture(capture)
    names = [name for name, _ in records]
    assert names == ["Python_Example_L4K1"] * 4 + ["Python_Example_L3K1"], names
    for name, event in records:
        flags, version, event_id, tag, opcode, level = struct.unpack_from("<BBHHBB", event, 0)
        assert flags == 0x07 and (version, event_id, tag, opcode) == (0, 0, 0, 0), event[:8]
        assert level == int(name[len("Python_Example_L")]), (name, level)
        size, kind = struct.unpack_from("<HH", event, 8)
        assert kind == 0x0001 and 12 + size <= len(event), (size, kind)  # metadata block, nothing before it
        assert event[12:12 + size].split(b"\0", 1)[0] in (b"Started", b"Request", b"Unusual")
    request = records[2][1]
    size = struct.unpack_from("<H", request, 8)[0]
    metadata = request[12:12 + size]
    assert metadata.startswith(b"Request\0index\0\x85\x02path\0\x0aseconds\0\x85\x08cached\0\x82\x07"
                               b"http\0\x81\x02status\0\x85\x02headers\0\x4asizes\0\xc5\x02"), metadata
    payload = request[12 + size:]
    assert payload.startswith(struct.pack("<qH", 1, 8) + b"/items/1" + struct.pack("<d", 0.25) + b"\x01"), payload

    if decoder:
        run = subprocess.run([decoder, "--jsonl", capture], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        events = [json.loads(line) for line in run.stdout.splitlines()]
        assert len(events) == 5, run.stdout
        assert events[0]["n"] == "Python_Example:Started" and events[0]["pid"] > 0, events[0]
        assert events[2] == {"n": "Python_Example:Request", "index": 1, "path": "/items/1", "seconds": 0.25,
                             "cached": True, "http": {"status": 201, "headers": ["accept", "user-agent"]},
                             "sizes": [1, 10], "meta": {"level": 4, "keyword": "0x1"}}, events[2]
        unusual = events[4]
        assert unusual["n"] == "Python_Example:Unusual", unusual
        assert unusual["details"] == '{"retry": true}', unusual
        assert unusual["request"] == "12345678-9abc-def0-0102-030405060708", unusual
        assert unusual["raw"] == "00 01 fe" and unusual["when"].startswith("20"), unusual
        assert unusual["meta"] == {"level": 3, "keyword": "0x1"}, unusual
    print("ok")


if __name__ == "__main__":
    main()
