#!/usr/bin/env python3
"""The house rules of the source tree (docs/architecture.md, "Rooms"):

  1. no .c or .h file under lib/, harness/, fuzz/, tools/ or include/ is
     longer than 1,000 lines;
  2. no include circle: the graph of #include edges between the project's
     own files has no cycle, and no file includes a .c file;
  3. layers only look down, by #include: each room may include only the
     rooms listed for it in INCLUDE_RULES;
  4. layers only look down, by symbol (with --objects DIR): an object file
     of lib/ refers to no symbol defined in a room above it (LINK_RULES).

Usage: check-layers.py [--root DIR] [--objects BUILD_DIR] [-v]
Exit status 0 when every rule holds, 1 with one line per breach, 2 on a
usage error. ctest runs it on the tree (house_layers) and on a small tree
that breaks every rule (house_layers_bites).
"""
import os
import re
import subprocess
import sys

MAX_LINES = 1000
CHECKED_DIRS = ("lib", "harness", "fuzz", "tools", "include")

# Rooms, most specific prefix first. A file's room is the first prefix
# its path starts with.
ROOMS = [
    ("include/vmfuzz/", "api"),
    ("lib/kernel/", "lib/kernel"),
    ("lib/arm64/", "lib/arm64"),
    ("lib/mm/", "lib/mm"),
    ("lib/init/", "lib/init"),
    ("harness/format/", "harness/format"),
    ("harness/shadow/", "harness/shadow"),
    ("harness/", "harness/interp"),
    ("fuzz/", "fuzz"),
    ("tools/", "tools"),
    ("tests/", "tests"),
    ("bench/", "bench"),
]

# Which rooms a room's files may #include (its own room always).
# The public headers (api) are Linux's include/linux: every layer sees
# them. lib/ rooms see each other's internal headers only downwards, and
# the harness never sees lib/'s internals at all: the shadow model is
# written against the public interface, so it cannot share a mistake with
# lib/'s private helpers.
INCLUDE_RULES = {
    "api": {"api"},
    "lib/kernel": {"api"},
    "lib/arm64": {"api", "lib/kernel"},
    "lib/mm": {"api", "lib/kernel"},
    "lib/init": {"api", "lib/kernel"},
    "harness/format": {"api"},
    "harness/shadow": {"api", "harness/format"},
    "harness/interp": {"api", "harness/format", "harness/shadow"},
}

# lib/ objects by symbol: which rooms an object may call into. mm is two
# layers in one room, as in Linux: the page allocator (below the MMU:
# page tables are pages) and vmalloc (above it).
LINK_LAYERS = {
    "lib/kernel": 0,
    "lib/mm/page_alloc": 1,
    "lib/mm/kmalloc": 1,
    "lib/arm64": 2,
    "lib/mm": 3,
    "lib/init": 4,
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def room_of(rel):
    for prefix, room in ROOMS:
        if rel.startswith(prefix):
            return room
    return None


def link_layer(rel):
    stem = rel[:-2] if rel.endswith(".o") else rel
    stem = re.sub(r"\.c$", "", stem)
    for key in ("lib/mm/page_alloc", "lib/mm/kmalloc"):
        if stem == key:
            return key, LINK_LAYERS[key]
    for prefix in ("lib/kernel", "lib/arm64", "lib/mm", "lib/init"):
        if stem.startswith(prefix + "/"):
            return prefix, LINK_LAYERS[prefix]
    return None, None


def source_files(root):
    out = []
    for top in CHECKED_DIRS + ("tests", "bench"):
        base = os.path.join(root, top)
        for d, _, files in os.walk(base):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def include_dirs(rel):
    """The -I directories a file is compiled with (cmake/*.cmake)."""
    dirs = ["include", "lib", "harness", "harness/format", "harness/shadow"]
    if rel.startswith("fuzz/"):
        dirs.append("fuzz")
        parts = rel.split("/")
        if len(parts) > 2:
            dirs.append("/".join(parts[:2]))
        elif parts[1].startswith("fuzz_"):
            dirs.append("fuzz/" + parts[1][5:-2])
    if rel.startswith(("tools/", "tests/")):
        dirs += ["tools", "tests"]
    return dirs


def resolve(root, rel, kind, name):
    cands = []
    if kind == '"':
        cands.append(os.path.normpath(os.path.join(os.path.dirname(rel), name)))
    cands += [os.path.normpath(os.path.join(d, name)) for d in include_dirs(rel)]
    for c in cands:
        if os.path.isfile(os.path.join(root, c)):
            return c
    return None  # a system header


def find_cycle(graph):
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {n: WHITE for n in graph}
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
                continue
            if colour.get(nxt, BLACK) == GREY:
                return path[path.index(nxt):] + [nxt]
            if colour.get(nxt) == WHITE:
                colour[nxt] = GREY
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def check_sources(root, verbose):
    errors = []
    files = source_files(root)
    graph = {}
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if rel.split("/")[0] in CHECKED_DIRS and n > MAX_LINES:
            errors.append(f"{rel}: {n} lines (at most {MAX_LINES})")
        graph[rel] = set()
        for i, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = resolve(root, rel, m.group(1), m.group(2))
            if target is None:
                continue
            graph[rel].add(target)
            if target.endswith(".c"):
                errors.append(f"{rel}:{i}: includes a .c file ({target})")
            src_room, dst_room = room_of(rel), room_of(target)
            allowed = INCLUDE_RULES.get(src_room)
            if allowed is not None and dst_room != src_room and dst_room not in allowed:
                errors.append(f"{rel}:{i}: {src_room} may not include {target} ({dst_room})")
    for node in list(graph):
        for t in graph[node]:
            graph.setdefault(t, set())
    cycle = find_cycle(graph)
    if cycle:
        errors.append("include circle: " + " -> ".join(cycle))
    if verbose:
        print(f"check-layers: {len(files)} files, "
              f"{sum(len(v) for v in graph.values())} include edges")
    return errors


def nm_symbols(path):
    out = subprocess.run(["nm", "--defined-only", "-g", path], capture_output=True,
                         text=True, check=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if len(l.split()) >= 3}
    out = subprocess.run(["nm", "-u", path], capture_output=True, text=True,
                         check=True).stdout
    undefined = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, undefined


def check_objects(root, objdir, verbose):
    """Objects are found under a CMake build tree as .../lib/<room>/<f>.c.o."""
    objs = {}
    for d, _, files in os.walk(objdir):
        for f in files:
            if not f.endswith(".c.o"):
                continue
            full = os.path.join(d, f)
            m = re.search(r"/vmfuzz\.dir/(lib/.*)\.c\.o$", full)
            # Only objects of sources that exist: a build tree keeps the
            # objects of files since moved or removed.
            if m and os.path.isfile(os.path.join(root, m.group(1) + ".c")):
                objs[m.group(1)] = full
    if not objs:
        return [f"{objdir}: no lib/ object files found (build first)"]
    owner = {}
    undef = {}
    for rel, path in objs.items():
        defined, undefined = nm_symbols(path)
        for s in defined:
            owner[s] = rel
        undef[rel] = undefined
    errors = []
    edges = 0
    for rel, syms in sorted(undef.items()):
        room, layer = link_layer(rel)
        for s in sorted(syms):
            dst = owner.get(s)
            if dst is None or dst == rel:
                continue
            edges += 1
            droom, dlayer = link_layer(dst)
            if layer is not None and dlayer is not None and dlayer > layer:
                errors.append(f"{rel}.c calls up into {dst}.c ({s}): {room} is below {droom}")
    if verbose:
        print(f"check-layers: {len(objs)} lib/ objects, {edges} cross-file symbol uses")
    return errors


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    objdir = None
    verbose = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--root" and args:
            root = args.pop(0)
        elif a == "--objects" and args:
            objdir = args.pop(0)
        elif a == "-v":
            verbose = True
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            print(f"check-layers: bad argument '{a}' (try --help)", file=sys.stderr)
            return 2
    if not os.path.isdir(os.path.join(root, "lib")):
        print(f"check-layers: {root} has no lib/ directory", file=sys.stderr)
        return 2
    errors = check_sources(root, verbose)
    if objdir is not None:
        if not os.path.isdir(objdir):
            print(f"check-layers: {objdir} is not a directory", file=sys.stderr)
            return 2
        errors += check_objects(root, objdir, verbose)
    for e in errors:
        print(e)
    if errors:
        print(f"check-layers: {len(errors)} breach(es) of the house rules")
        return 1
    print("check-layers: every file under 1,000 lines, no include circle, layers look down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
