#!/usr/bin/env bash
# vmfuzz minimize (structure-aware) against afl-tmin (bytes) on crashes of
# the planted faults (docs/planted-faults.md). Prints figures, never fails.
#
# For each plant: one AFL++ build with -DVMF_PLANT=<NAME> (no sanitizers)
# gives both the AFL-instrumented fuzz_main for afl-tmin and the vmfuzz
# tool. The crash to shrink is the largest input that fails on that build,
# out of the committed seeds (corpus/main/*.txt) and the plant's own seed
# (tests/planted/<NAME>.txt): a realistic, bloated reproducer. Both tools
# get the same binary input; the result of each is replayed to see whether
# it still fails with the same SIGNATURE (afl-tmin only keeps "crashes").
#
#   bench/minimize_vs_tmin.sh [PLANT...]      (default: every plant)
# Environment: BENCH_DIR=build/bench-minimize
set -euo pipefail
cd "$(dirname "$0")/.."
root=${BENCH_DIR:-build/bench-minimize}
mkdir -p "$root"
if ! command -v afl-tmin >/dev/null || ! command -v afl-clang-fast >/dev/null; then
	echo "minimize_vs_tmin: AFL++ is not installed (tools/ensure-deps.sh afl); skipped"
	exit 0
fi
plants=("$@")
if [ ${#plants[@]} -eq 0 ]; then
	for f in tests/planted/*.txt; do [ -f "$f" ] && plants+=("$(basename "$f" .txt)"); done
fi
[ ${#plants[@]} -gt 0 ] || { echo "minimize_vs_tmin: no planted faults"; exit 0; }

export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_QUIET=1
now() { date +%s.%N; }
sig_of() { # TOOL FILE -> signature or "pass"
	local out
	out=$("$1" replay -q "$2" 2>/dev/null | sed -n 's/^FAIL .*: command #[0-9-]*: //p' | head -n1)
	echo "${out:-pass}"
}

printf '%-26s %-14s | %-28s | %-28s\n' "plant" "crash" "vmfuzz minimize" "afl-tmin"
printf '%-26s %-14s | %-28s | %-28s\n' "" "cmds/bytes" "cmds/bytes  time  same-sig" "cmds/bytes  time  same-sig"
tot_v=0 tot_t=0 tot_vt=0 tot_tt=0 n=0
for plant in "${plants[@]}"; do
	dir=$root/$plant
	if [ ! -f "$dir/CMakeCache.txt" ]; then
		cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=afl-clang-fast \
			-DCMAKE_BUILD_TYPE=Release -DVMF_AFL=ON -DVMF_PLANT="$plant" \
			-DVMF_SANITIZE=OFF -DVMF_WERROR=OFF >"$dir.configure.log" 2>&1 ||
			{ echo "$plant: configure failed ($dir.configure.log)"; continue; }
	fi
	AFL_QUIET=1 cmake --build "$dir" --target fuzz_main vmfuzz_cli >"$dir.build.log" 2>&1 ||
		{ echo "$plant: build failed ($dir.build.log)"; continue; }
	cli=$dir/vmfuzz
	work=$dir/min
	rm -rf "$work"; mkdir -p "$work/cand"
	for t in corpus/main/*.txt "tests/planted/$plant.txt"; do
		[ -f "$t" ] || continue
		"$cli" encode "$t" -o "$work/cand/$(basename "$t" .txt).bin" 2>/dev/null || true
	done
	crash='' size=0
	for b in "$work/cand"/*.bin; do
		s=$(stat -c %s "$b")
		if [ "$s" -gt "$size" ] && [ "$(sig_of "$cli" "$b")" != pass ]; then
			crash=$b size=$s
		fi
	done
	if [ -z "$crash" ]; then
		printf '%-26s %s\n' "$plant" "no failing input among the seeds"
		continue
	fi
	want=$(sig_of "$cli" "$crash")
	ccmds=$("$cli" decode "$crash" | tail -n +2 | grep -c . || true)

	t0=$(now)
	"$cli" minimize "$crash" -o "$work/vmfuzz.bin" >"$work/vmfuzz.log" 2>&1 || true
	t1=$(now)
	timeout 600 afl-tmin -i "$crash" -o "$work/tmin.bin" -t 2000 -m none -- "$dir/fuzz_main" >"$work/tmin.log" 2>&1 || true
	t2=$(now)

	row() { # FILE SECONDS
		local f=$1 secs=$2 cmds bytes same
		if [ ! -f "$f" ]; then echo "(no output)"; return; fi
		bytes=$(stat -c %s "$f")
		cmds=$("$cli" decode "$f" | tail -n +2 | grep -c . || true)
		[ "$(sig_of "$cli" "$f")" = "$want" ] && same=yes || same=NO
		printf '%4s/%-6s %6.2fs  %-4s' "$cmds" "$bytes" "$secs" "$same"
	}
	vt=$(echo "$t1 - $t0" | bc); tt=$(echo "$t2 - $t1" | bc)
	printf '%-26s %5s/%-8s | %-28s | %-28s\n' "$plant" "$ccmds" "$size" \
		"$(row "$work/vmfuzz.bin" "$vt")" "$(row "$work/tmin.bin" "$tt")"
	echo "    signature: $want"
	if [ -f "$work/vmfuzz.bin" ] && [ -f "$work/tmin.bin" ]; then
		tot_v=$((tot_v + $(stat -c %s "$work/vmfuzz.bin")))
		tot_t=$((tot_t + $(stat -c %s "$work/tmin.bin")))
		tot_vt=$(echo "$tot_vt + $vt" | bc); tot_tt=$(echo "$tot_tt + $tt" | bc)
		n=$((n + 1))
	fi
done
if [ "$n" -gt 0 ]; then
	echo "total over $n plants: vmfuzz minimize $tot_v bytes in ${tot_vt}s; afl-tmin $tot_t bytes in ${tot_tt}s"
fi
