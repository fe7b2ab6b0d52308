#!/usr/bin/env bash
# plant-build.sh NAME BASE OUT TARGET...: build TARGETs with the planted
# fault NAME (docs/planted-faults.md) in seconds, from a build directory
# BASE configured without a plant.
#
# A plant is a `#if defined(VMF_PLANT_<NAME>)` in lib/*.c only (no header
# has one: checked here), so a planted build differs from BASE only in the
# .c files that name it. Those are compiled again with BASE's own command
# (compile_commands.json) plus -DVMF_PLANT_<NAME>=1 into OUT, swapped into
# copies of BASE's static libraries (`ar r`, members are named by their
# file's base name), and each TARGET is linked with BASE's own link command
# against the copies. The result is what `cmake -DVMF_PLANT=<NAME>` builds
# (that defines the macro in every file; no other file tests it), in a few
# seconds instead of a full build. BASE is built first (`ninja TARGET...`).
#
# Exit status: 0 built; 2 bad arguments (a message says which); 3 the plant
# is in a header (or nowhere in lib/): build it with -DVMF_PLANT instead;
# 1 a compile or link failed (its output is shown).
set -euo pipefail
usage() {
	echo "usage: plant-build.sh NAME BASE OUT TARGET..." >&2
	echo "  NAME: a planted fault (tests/planted/NAME.txt); BASE: a Ninja" >&2
	echo "  build dir without VMF_PLANT; OUT: where the planted TARGETs go" >&2
	exit 2
}
[ $# -ge 4 ] || usage
name=$1 base=$2 out=$3
shift 3
src=$(cd "$(dirname "$0")/.." && pwd)
case $name in
'' | *[!A-Z0-9_]*) echo "plant-build.sh: '$name' is not a plant name (A-Z, 0-9, _)" >&2; exit 2 ;;
esac
for f in build.ninja compile_commands.json CMakeCache.txt; do
	[ -f "$base/$f" ] || { echo "plant-build.sh: $base has no $f (a Ninja build dir, CMAKE_EXPORT_COMPILE_COMMANDS on)" >&2; exit 2; }
done
if grep -q '^VMF_PLANT:STRING=..*' "$base/CMakeCache.txt"; then
	echo "plant-build.sh: $base has a plant of its own (VMF_PLANT set)" >&2
	exit 2
fi
macro=VMF_PLANT_$name
if grep -rlw "$macro" "$src/include" "$src/lib" --include='*.h' | grep -q .; then
	echo "plant-build.sh: $macro is in a header: build with -DVMF_PLANT=$name" >&2
	exit 3
fi
mapfile -t files < <(grep -rlw "$macro" "$src/lib" --include='*.c' | sort)
if [ ${#files[@]} -eq 0 ]; then
	echo "plant-build.sh: no file of lib/ tests $macro" >&2
	exit 3
fi
mkdir -p "$out" 2>/dev/null && [ -d "$out" ] && [ -w "$out" ] ||
	{ echo "plant-build.sh: cannot write to the directory $out" >&2; exit 2; }
out=$(cd "$out" && pwd)
nice ninja -C "$base" "$@" >"$out/base-build.log" 2>&1 ||
	{ cat "$out/base-build.log" >&2; echo "plant-build.sh: building $base failed" >&2; exit 1; }

# The planted objects: BASE's compile command of each entry of a planted
# file, the macro added, the output under OUT. Prints "archive object" per
# object (the archive is lib<dir-target>.a of the object's CMakeFiles dir).
python3 - "$base" "$out" "$macro" "${files[@]}" >"$out/plant-objects" <<'EOF'
import json, os, shlex, subprocess, sys
base, out, macro, files = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
for e in json.load(open(os.path.join(base, "compile_commands.json"))):
    if os.path.realpath(e["file"]) not in {os.path.realpath(f) for f in files}:
        continue
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    o = args.index("-o")
    obj = args[o + 1]
    dest = os.path.join(out, "obj", obj)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    args = [args[0], "-D" + macro + "=1"] + args[1:o + 1] + [dest] + args[o + 2:]
    r = subprocess.run(args, cwd=e["directory"], capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write(r.stdout + r.stderr)
        sys.exit(1)
    parts = obj.split(os.sep)
    # CMakeFiles/<target>.dir/...: the archive lib<target>.a
    if len(parts) > 2 and parts[0] == "CMakeFiles" and parts[1].endswith(".dir"):
        print("lib%s.a %s" % (parts[1][:-4], dest))
EOF
# Copies of the archives with the planted members swapped in.
declare -A swapped=()
while read -r lib obj; do
	[ -f "$base/$lib" ] || continue # an object of a target not built here
	if [ -z "${swapped[$lib]:-}" ]; then
		cp "$base/$lib" "$out/$lib"
		swapped[$lib]=1
	fi
	ar r "$out/$lib" "$obj" 2>/dev/null
done <"$out/plant-objects"
# Each target linked by BASE's own command against the copies.
for t in "$@"; do
	cmd=$(ninja -C "$base" -t commands "$t" | tail -n1)
	python3 - "$base" "$out" "$t" "$cmd" "${!swapped[@]}" <<'EOF' || exit 1
import os, shlex, subprocess, sys
base, out, target, cmd, libs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], set(sys.argv[5:])
args = shlex.split(cmd)
if args[:2] == [":", "&&"]:
    args = args[2:]
if args[-2:] == ["&&", ":"]:
    args = args[:-2]
if "&&" in args:
    sys.exit("plant-build.sh: %s's link is not one command" % target)
for i, a in enumerate(args):
    if a in libs:
        args[i] = os.path.join(out, a)
    elif i and args[i - 1] == "-o":
        args[i] = os.path.join(out, os.path.basename(a))
r = subprocess.run(args, cwd=base, capture_output=True, text=True)
if r.returncode:
    sys.stderr.write(r.stdout + r.stderr)
    sys.exit(1)
EOF
done
