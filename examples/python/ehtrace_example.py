#!/usr/bin/env python3
"""Writes EventHeader events from Python through libehtrace.so's C API.

    LD_LIBRARY_PATH=<dir of libehtrace.so> EHTRACE_CAPTURE=events.dat python3 ehtrace_example.py
    ehtrace-decode events.dat

Without EHTRACE_CAPTURE the events go to the kernel (Linux 6.4+ user_events):
collect them with `perf record -e user_events:Python_Example_L4K1` or
ehtrace-collect. The library is found through the normal loader path
(an installed prefix, ldconfig, or LD_LIBRARY_PATH).
"""
import ctypes
import errno
import os
import sys
import time
import uuid

EHTRACE_NUL_TERMINATED = ctypes.c_size_t(-1).value
LEVEL_INFO, LEVEL_WARNING = 4, 3
FORMAT_DEFAULT, FORMAT_STRING_JSON = 0, 14


def load_library():
    for name in ("libehtrace.so.4", "libehtrace.so"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            pass
    sys.exit("libehtrace.so not found: install ehtrace or set LD_LIBRARY_PATH")


lib = load_library()
c_char_p, c_void_p, c_int = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int
u8, u16, u64, i32, i64 = ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint64, ctypes.c_int32, ctypes.c_int64
size_t = ctypes.c_size_t


def declare(name, result, *arguments):
    function = getattr(lib, name)
    function.restype, function.argtypes = result, list(arguments)
    return function


# The subset of ehtrace/ehtrace.h this example uses; every call returns 0 or an errno value.
diagnostic_text = declare("ehtrace_diagnostic", size_t, c_char_p, size_t)
provider_open = declare("ehtrace_provider_open", c_int, c_char_p, c_char_p, ctypes.POINTER(c_void_p))
provider_name_problem = declare("ehtrace_provider_name_problem", c_char_p, c_char_p, c_char_p)
provider_close = declare("ehtrace_provider_close", None, c_void_p)
register_set = declare("ehtrace_provider_register_set", c_int, c_void_p, u8, u64, ctypes.POINTER(c_void_p))
set_enabled = declare("ehtrace_event_set_enabled", c_int, c_void_p)
set_tracepoint_name = declare("ehtrace_event_set_tracepoint_name", c_char_p, c_void_p)
builder_create = declare("ehtrace_builder_create", c_int, ctypes.POINTER(c_void_p))
builder_destroy = declare("ehtrace_builder_destroy", None, c_void_p)
reset = declare("ehtrace_builder_reset", c_int, c_void_p, c_char_p, u16)
error_message = declare("ehtrace_builder_error_message", c_char_p, c_void_p)
write = declare("ehtrace_builder_write", c_int, c_void_p, c_void_p, c_void_p, c_void_p)
add_i64 = declare("ehtrace_builder_add_i64", c_int, c_void_p, c_char_p, i64)
add_double = declare("ehtrace_builder_add_double", c_int, c_void_p, c_char_p, ctypes.c_double)
add_bool8 = declare("ehtrace_builder_add_bool8", c_int, c_void_p, c_char_p, c_int)
add_time = declare("ehtrace_builder_add_time", c_int, c_void_p, c_char_p, i64)
add_uuid = declare("ehtrace_builder_add_uuid", c_int, c_void_p, c_char_p, c_char_p)
add_string = declare("ehtrace_builder_add_string", c_int, c_void_p, c_char_p, c_char_p, size_t, u8, u16)
add_binary = declare("ehtrace_builder_add_binary", c_int, c_void_p, c_char_p, c_char_p, size_t, u8, u16)
add_array = declare("ehtrace_builder_add_array", c_int, c_void_p, c_char_p, u8, u8, c_void_p, size_t, u16)
add_string_array = declare("ehtrace_builder_add_string_array", c_int, c_void_p, c_char_p,
                           ctypes.POINTER(c_char_p), ctypes.POINTER(size_t), size_t, u8, u16)
begin_struct = declare("ehtrace_builder_begin_struct", c_int, c_void_p, c_char_p, u16, ctypes.POINTER(ctypes.c_uint32))
end_struct = declare("ehtrace_builder_end_struct", c_int, c_void_p, ctypes.c_uint32)


class EventBuilder:
    """A thin Pythonic layer: strings are UTF-8, errors raise OSError."""

    def __init__(self):
        handle = c_void_p()
        check(builder_create(ctypes.byref(handle)), "create a builder")
        self.handle = handle

    def close(self):
        builder_destroy(self.handle)

    def reset(self, name, tag=0):
        reset(self.handle, name.encode(), tag)
        return self

    def int(self, name, value):
        add_i64(self.handle, name.encode(), value)
        return self

    def float(self, name, value):
        add_double(self.handle, name.encode(), value)
        return self

    def bool(self, name, value):
        add_bool8(self.handle, name.encode(), 1 if value else 0)
        return self

    def time(self, name, seconds):
        add_time(self.handle, name.encode(), int(seconds))
        return self

    def uuid(self, name, value):
        add_uuid(self.handle, name.encode(), value.bytes)
        return self

    def str(self, name, value, format=FORMAT_DEFAULT):
        data = value.encode()
        add_string(self.handle, name.encode(), data, len(data), format, 0)
        return self

    def bytes(self, name, value):
        add_binary(self.handle, name.encode(), value, len(value), 0, 0)
        return self

    def ints(self, name, values):
        array = (i64 * len(values))(*values)
        add_array(self.handle, name.encode(), 5, 2, array, len(values), 0)  # value64, signed_int
        return self

    def strs(self, name, values):
        encoded = [v.encode() for v in values]
        pointers = (c_char_p * len(encoded))(*encoded)
        lengths = (size_t * len(encoded))(*[len(v) for v in encoded])
        add_string_array(self.handle, name.encode(), pointers, lengths, len(encoded), 0, 0)
        return self

    def struct(self, name, fill):
        bookmark = ctypes.c_uint32()
        begin_struct(self.handle, name.encode(), 0, ctypes.byref(bookmark))
        fill(self)
        end_struct(self.handle, bookmark)
        return self

    def write(self, event_set):
        error = write(self.handle, event_set, None, None, None)
        if error not in (0, errno.EBADF):  # EBADF: nobody is collecting this set now
            raise OSError(error, f"{os.strerror(error)}: {error_message(self.handle).decode()}")
        return error


def diagnostic():
    """Why events are recorded or not, in one sentence."""
    size = diagnostic_text(None, 0) + 1
    text = ctypes.create_string_buffer(size)
    diagnostic_text(text, size)
    return text.value.decode()


def check(error, what):
    if error != 0:
        raise OSError(error, f"cannot {what}: {os.strerror(error)}")


def main():
    name = b"Python_Example"
    problem = provider_name_problem(name, None)
    if problem:
        sys.exit(problem.decode())
    provider = c_void_p()
    check(provider_open(name, None, ctypes.byref(provider)), "open the provider")
    info, warning = c_void_p(), c_void_p()
    # A failed registration (no user_events, no permission) still gives a
    # set; events to it are dropped. Not an error for the program: say once
    # why tracing is off, and go on.
    failed = [register_set(provider, level, 1, ctypes.byref(event_set)) != 0
              for event_set, level in ((info, LEVEL_INFO), (warning, LEVEL_WARNING))]
    if any(failed):
        print(f"ehtrace_example: tracing is off: {diagnostic()}", file=sys.stderr)

    builder = EventBuilder()
    try:
        if set_enabled(info):
            builder.reset("Started").int("pid", os.getpid()).str("python", sys.version.split()[0])
            builder.write(info)
        for i in range(3):
            if not set_enabled(info):
                break
            (builder.reset("Request")
             .int("index", i)
             .str("path", f"/items/{i}")
             .float("seconds", 0.25 * i)
             .bool("cached", i % 2 == 1)
             .struct("http", lambda b: b.int("status", 200 + i).strs("headers", ["accept", "user-agent"]))
             .ints("sizes", [i, i * 10])
             .write(info))
        if set_enabled(warning):
            (builder.reset("Unusual")
             .str("details", '{"retry": true}', FORMAT_STRING_JSON)
             .uuid("request", uuid.UUID("12345678-9abc-def0-0102-030405060708"))
             .time("when", time.time())
             .bytes("raw", b"\x00\x01\xfe")
             .write(warning))
        if set_enabled(info) or set_enabled(warning):
            print(f"wrote events to {set_tracepoint_name(info).decode()} and {set_tracepoint_name(warning).decode()}")
    finally:
        builder.close()
        provider_close(provider)


if __name__ == "__main__":
    main()
