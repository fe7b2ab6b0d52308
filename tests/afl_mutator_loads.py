#!/usr/bin/env python3
"""The AFL++ custom mutator library as afl-fuzz uses it: dlopen, then
afl_custom_init / afl_custom_fuzz / afl_custom_deinit by name (they must be
exported, and the library must load with no sanitizer runtime). Each output
must fit max_size; the same seed must give the same outputs.

    afl_mutator_loads.py LIB.so SEED_FILE...
"""
import ctypes
import sys


def run(lib, seeds, seed):
    lib.afl_custom_init.restype = ctypes.c_void_p
    lib.afl_custom_init.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.afl_custom_fuzz.restype = ctypes.c_size_t
    lib.afl_custom_fuzz.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
        ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)), ctypes.c_char_p,
        ctypes.c_size_t, ctypes.c_size_t]
    lib.afl_custom_deinit.argtypes = [ctypes.c_void_p]
    state = lib.afl_custom_init(None, seed)
    if not state:
        sys.exit("afl_custom_init returned NULL")
    outs = []
    for i in range(2000):
        buf = seeds[i % len(seeds)]
        add = seeds[(i * 7 + 1) % len(seeds)]
        max_size = 2600 if i % 4 else 64
        out = ctypes.POINTER(ctypes.c_ubyte)()
        n = lib.afl_custom_fuzz(state, buf, len(buf), ctypes.byref(out),
                                add, len(add), max_size)
        if n > max_size:
            sys.exit(f"output of {n} bytes over max_size {max_size}")
        outs.append(bytes(out[:n]))
    lib.afl_custom_deinit(state)
    return outs


def main():
    lib = ctypes.CDLL(sys.argv[1])
    seeds = [open(f, "rb").read() for f in sys.argv[2:]]
    if not seeds:
        sys.exit("no seeds")
    a = run(lib, seeds, 7)
    b = run(lib, seeds, 7)
    if a != b:
        sys.exit("same seed, different outputs")
    changed = sum(1 for i, o in enumerate(a) if o != seeds[i % len(seeds)])
    if changed < len(a) // 2:
        sys.exit(f"only {changed} of {len(a)} outputs differ from the input")
    print(f"ok: {len(a)} mutations, {changed} changed")


main()
