#!/usr/bin/env bash
# Runs build.sh the way OSS-Fuzz / ClusterFuzzLite run it and checks what
# it leaves in $OUT. Two builds:
#   1. libFuzzer + ASan, the variables as OSS-Fuzz's base-builder sets them
#      for `--sanitizer address --engine libfuzzer`;
#   2. a non-libFuzzer engine (a standalone main, as OSS-Fuzz's coverage
#      and reproduce builds use): nothing may assume libFuzzer.
# Then runs each binary from an unrelated working directory over its
# unzipped seed corpus (a runner's cwd is unknown).
#
#   tests/test_ossfuzz_build.sh [SCRATCH_DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$(mktemp -d)}
rm -rf "$scratch"
mkdir -p "$scratch"
fail() { echo "test_ossfuzz_build: FAIL: $*" >&2; exit 1; }

targets=()
for f in "$src"/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
# A target written against harness/ is only built once harness/ exists.
if ! ls "$src"/harness/*.c >/dev/null 2>&1; then
	echo "test_ossfuzz_build: harness/ has no sources yet: skipped"
	exit 0
fi

SRC=$(dirname "$src")
export CC=clang CXX=clang++ SRC
# libc++ as OSS-Fuzz links it, when this machine has it.
stdlib=
if echo 'int main(void){return 0;}' | clang++ -x c++ -stdlib=libc++ - -o "$scratch/libcxx-probe" 2>/dev/null; then
	stdlib=-stdlib=libc++
fi

check_out() { # OUT expect_dict_for_main
	local out=$1 t
	for t in "${targets[@]}"; do
		[ -x "$out/$t" ] || fail "$out/$t missing or not executable"
		[ -f "$out/$t.options" ] || fail "$out/$t.options missing"
		grep -q '^\[libfuzzer\]' "$out/$t.options" || fail "$t.options has no [libfuzzer] section"
		if [ -f "$src/fuzz/$t.dict" ]; then
			cmp -s "$src/fuzz/$t.dict" "$out/$t.dict" || fail "$t.dict not copied"
			grep -q "dict = $t.dict" "$out/$t.options" || fail "$t.options does not name $t.dict"
		fi
		if [ -d "$src/corpus/${t#fuzz_}" ] && [ -n "$(ls -A "$src/corpus/${t#fuzz_}")" ]; then
			[ -s "$out/${t}_seed_corpus.zip" ] || fail "${t}_seed_corpus.zip missing"
			unzip -tq "$out/${t}_seed_corpus.zip" >/dev/null || fail "${t}_seed_corpus.zip corrupt"
		fi
		[[ "$t" =~ ^[A-Za-z0-9_-]+$ ]] || fail "target name $t has characters OSS-Fuzz refuses"
	done
}

run_seeds() { # OUT how
	local out=$1 how=$2 t dir
	for t in "${targets[@]}"; do
		dir=$scratch/seeds-$how-$t
		rm -rf "$dir"; mkdir -p "$dir"
		[ -f "$out/${t}_seed_corpus.zip" ] && (cd "$dir" && unzip -q "$out/${t}_seed_corpus.zip")
		if [ "$how" = libfuzzer ]; then
			(cd / && ASAN_OPTIONS=detect_leaks=1 "$out/$t" -runs=0 "$dir" >"$scratch/$t.$how.log" 2>&1) ||
				{ tail -n 30 "$scratch/$t.$how.log" >&2; fail "$t does not run its seed corpus"; }
			local dargs=()
			[ -f "$out/$t.dict" ] && dargs=(-dict="$out/$t.dict")
			(cd / && "$out/$t" -runs=300 -seed=1 "${dargs[@]}" "$dir" >>"$scratch/$t.$how.log" 2>&1) ||
				{ tail -n 30 "$scratch/$t.$how.log" >&2; fail "$t fails a short run"; }
		else
			(cd / && "$out/$t" "$dir" >"$scratch/$t.$how.log" 2>&1) ||
				{ tail -n 30 "$scratch/$t.$how.log" >&2; fail "$t (standalone) fails its seeds"; }
		fi
	done
}

# 1. libFuzzer + ASan.
out1=$scratch/out-libfuzzer
(
	export OUT=$out1 WORK=$scratch/work-libfuzzer
	export SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64
	export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
	export CXXFLAGS="$CFLAGS $stdlib"
	export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
	cd "$src" && bash ./build.sh
) >"$scratch/build-libfuzzer.log" 2>&1 || { tail -n 30 "$scratch/build-libfuzzer.log" >&2; fail "build.sh (libFuzzer) failed"; }
check_out "$out1"
run_seeds "$out1" libfuzzer

# 2. A standalone engine: the replay driver as LIB_FUZZING_ENGINE.
out2=$scratch/out-standalone
mkdir -p "$scratch/engine"
clang -O1 -c "$src/fuzz/driver_replay.c" -o "$scratch/engine/standalone.o"
ar rcs "$scratch/engine/libStandaloneEngine.a" "$scratch/engine/standalone.o"
(
	export OUT=$out2 WORK=$scratch/work-standalone
	export CFLAGS="-O1 -gline-tables-only"
	export CXXFLAGS="$CFLAGS $stdlib"
	export LIB_FUZZING_ENGINE=$scratch/engine/libStandaloneEngine.a
	cd "$src" && bash ./build.sh
) >"$scratch/build-standalone.log" 2>&1 || { tail -n 30 "$scratch/build-standalone.log" >&2; fail "build.sh (standalone engine) failed"; }
check_out "$out2"
run_seeds "$out2" standalone

echo "test_ossfuzz_build: ${#targets[@]} targets built twice (libFuzzer+ASan, standalone), outputs and seeds OK"
