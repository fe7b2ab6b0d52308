#!/bin/sh
# The planted-fault check for one fault (docs/shadow.md, "Proof that the
# oracle bites"): build lib/ and harness/ with -DVMF_PLANT=<NAME> (Release,
# -O1, no sanitizers) in <build-root>/<NAME>, link tests/planted/replay.c
# against them, and check that tests/planted/<NAME>.txt fails with the
# signature of its "# expect:" line. The build directory is reused across
# runs, so a second run only rebuilds what changed.
#
#   run.sh NAME BUILD_ROOT [SOURCE_DIR] [CC] [GENERATOR]
set -e
name=$1
root=$2
src=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
cc=${4:-cc}
gen=${5:-}
if [ -z "$name" ] || [ -z "$root" ]; then
	echo "usage: run.sh NAME BUILD_ROOT [SOURCE_DIR] [CC] [GENERATOR]" >&2
	exit 2
fi
seed=$src/tests/planted/$name.txt
[ -f "$seed" ] || { echo "run.sh: no seed $seed" >&2; exit 2; }
dir=$root/$name
mkdir -p "$dir"
if [ ! -f "$dir/CMakeCache.txt" ]; then
	if [ -n "$gen" ]; then
		set -- -G "$gen"
	else
		set --
	fi
	cmake -S "$src" -B "$dir" "$@" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_C_COMPILER="$cc" \
		-DVMF_SANITIZE=OFF -DVMF_WERROR=OFF -DVMF_PLANT="$name" \
		>"$dir/configure.log" 2>&1 ||
		{ cat "$dir/configure.log"; exit 1; }
fi
cmake --build "$dir" --target vmfuzz vmfuzz_harness >"$dir/build.log" 2>&1 ||
	{ cat "$dir/build.log"; exit 1; }
"$cc" -O1 -I"$src/include" -I"$src/harness" -I"$src/harness/format" \
	-I"$src/harness/shadow" "$src/tests/planted/replay.c" \
	"$dir/libvmfuzz_harness.a" "$dir/libvmfuzz.a" -o "$dir/replay"
exec "$dir/replay" --expect-signature "$seed"
