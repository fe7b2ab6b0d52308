#!/usr/bin/env bash
# Fuzzing speed and memory of the main target, and corpus coverage.
# Prints figures next to their goals; never fails a build.
#
#   1. libFuzzer + ASan + UBSan (preset fuzz): the seed corpus replayed
#      (each seed REPEAT times, in one process; the time of a one-pass
#      run, i.e. start-up and exit, taken off), then FUZZ_SECONDS of
#      fuzzing from the seeds (one worker, -seed=1);
#   2. libFuzzer without sanitizers (preset fuzz-release): the same;
#   3. AFL++ persistent mode + ASan (preset afl): FUZZ_SECONDS, one -M,
#      for each target of AFL_TARGETS (default "main"); with the exec
#      speed, AFL++'s stability (goal 100%: an input covers the same
#      edges whatever ran before it in the persistent process) and how
#      many calibrations it saw vary;
#   4. peak RSS of each run;
#   5. line coverage of lib/ from the committed corpora (preset coverage);
#   6. where the time goes: perf over the release replay of what the
#      fuzzing run found (top functions by self time).
#
# Environment: FUZZ_SECONDS=60, REPEAT=50, SKIP_BUILD=1 (use what is
# built), PRESETS to pick (default "fuzz fuzz-release afl coverage"),
# <PRESET>_DIR to read a build from elsewhere (FUZZ_DIR, FUZZ_RELEASE_DIR,
# AFL_DIR, COVERAGE_DIR, RELEASE_DIR; default build/<preset>),
# AFL_TARGETS (e.g. "main buddy mmu rbtree": one AFL++ run each).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
repeat=${REPEAT:-50}
presets=${PRESETS:-fuzz fuzz-release afl coverage}
work=${BENCH_DIR:-build/bench-speed}
rm -rf "$work"
mkdir -p "$work"

have() { case " $presets " in *" $1 "*) return 0 ;; esac; return 1; }
dir_of() { # preset -> its build dir
	local var
	var=$(echo "$1" | tr 'a-z-' 'A-Z_')_DIR
	echo "${!var:-build/$1}"
}
build() {
	[ "${SKIP_BUILD:-0}" = 1 ] && return 0
	cmake --preset "$1" >/dev/null
	cmake --build --preset "$1" --parallel 2 >"$work/build-$1.log" 2>&1 ||
		{ echo "fuzz_speed: building preset $1 failed ($work/build-$1.log)"; return 1; }
}
now() { date +%s.%N; }
stat_of() { sed -n "s/^stat::$2: *//p" "$1" | tail -n1; }
verdict() { # value goal (higher is better)
	awk -v v="$1" -v g="$2" 'BEGIN { print (v + 0 >= g + 0) ? "meets the goal" : "BELOW the goal" }'
}

# libFuzzer: seeds replayed, then fuzzing. Args: preset label goal
libfuzzer_run() {
	local preset=$1 label=$2 goal=$3 bin seeds files=() t0 t1 t2 n eps
	bin=$(dir_of "$preset")/fuzz_main
	seeds=$(dir_of "$preset")/corpus/main
	[ -x "$bin" ] || { echo "$label: $bin missing"; return; }
	for f in "$seeds"/*; do files+=("$f"); done
	# Steady state: a run of every seed once (start-up, the warm-up
	# program, ASan's exit-time leak scan) is timed too and taken off.
	t0=$(now)
	"$bin" -runs=1 -malloc_limit_mb=4096 "${files[@]}" >/dev/null 2>&1 || true
	t1=$(now)
	"$bin" -runs=$((repeat + 1)) -malloc_limit_mb=4096 "${files[@]}" >"$work/$preset-seeds.log" 2>&1 || true
	t2=$(now)
	n=$(( ${#files[@]} * repeat ))
	eps=$(echo "$n / (($t2 - $t1) - ($t1 - $t0))" | bc)
	echo "$label, seed corpus: ${#files[@]} seeds x $repeat = $n executions: $eps exec/s, start-up excluded ($(verdict "$eps" "$goal") of $goal)"
	mkdir -p "$work/$preset-corpus"
	"$bin" -seed=1 -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=4096 -malloc_limit_mb=4096 \
		-dict=fuzz/fuzz_main.dict -max_len=2600 -timeout=10 -artifact_prefix="$work/$preset-" \
		"$work/$preset-corpus" "$seeds" >"$work/$preset-fuzz.log" 2>&1 || true
	eps=$(stat_of "$work/$preset-fuzz.log" average_exec_per_sec)
	local rss execs cov
	rss=$(stat_of "$work/$preset-fuzz.log" peak_rss_mb)
	execs=$(stat_of "$work/$preset-fuzz.log" number_of_executed_units)
	cov=$(grep -E '^#[0-9]+' "$work/$preset-fuzz.log" | tail -n1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1, ft \2/p')
	echo "$label, ${secs} s of fuzzing: ${execs:-?} executions, ${eps:-?} exec/s ($(verdict "${eps:-0}" "$goal") of $goal); $cov"
	echo "$label, peak RSS: ${rss:-?} MiB ($(awk -v r="${rss:-99999}" 'BEGIN { print (r <= 512) ? "meets" : "ABOVE" }') the 512 MiB goal)"
}

echo "== main target speed (goals: libFuzzer+ASan+UBSan >= 10,000 exec/s, no sanitizers >= 50,000, AFL++ persistent+ASan >= 5,000; peak RSS <= 512 MiB)"
if have fuzz && build fuzz; then libfuzzer_run fuzz "libFuzzer+ASan+UBSan" 10000; fi
if have fuzz-release && build fuzz-release; then libfuzzer_run fuzz-release "libFuzzer, no sanitizers" 50000; fi

# AFL++: one -M instance on a target. Args: target
afl_run() {
	local t=$1 out afl_dir st eps label unstable
	out=$work/afl-$t
	afl_dir=$(dir_of afl)
	label="AFL++ persistent+ASan"
	[ "$t" = main ] || label="$label, fuzz_$t"
	[ -x "$afl_dir/fuzz_$t" ] || { echo "$label: $afl_dir/fuzz_$t missing"; return; }
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
	ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
		afl-fuzz -i "$afl_dir/corpus/$t" -o "$out" -V "$secs" -t 2000 -m none \
		-x "fuzz/fuzz_$t.dict" -M main -- "$afl_dir/fuzz_$t" >"$work/afl-$t.log" 2>&1 || true
	st=$out/main/fuzzer_stats
	if [ -f "$st" ]; then
		eps=$(sed -n 's/^execs_per_sec *: *//p' "$st"); eps=${eps%.*}
		unstable=$(grep -c 'instability detected' "$work/afl-$t.log" || true)
		if [ "$t" = main ]; then
			echo "$label, ${secs} s: $(sed -n 's/^execs_done *: *//p' "$st") executions, $eps exec/s ($(verdict "$eps" 5000) of 5000); stability $(sed -n 's/^stability *: *//p' "$st") ($unstable unstable calibration(s)); map $(sed -n 's/^bitmap_cvg *: *//p' "$st")"
		else
			echo "$label, ${secs} s: $(sed -n 's/^execs_done *: *//p' "$st") executions, $eps exec/s; stability $(sed -n 's/^stability *: *//p' "$st") ($unstable unstable calibration(s)); map $(sed -n 's/^bitmap_cvg *: *//p' "$st")"
		fi
	else
		echo "$label: no fuzzer_stats (see $work/afl-$t.log)"
	fi
}

if have afl && command -v afl-fuzz >/dev/null && build afl; then
	for t in ${AFL_TARGETS:-main}; do afl_run "$t"; done
fi

if have coverage && command -v llvm-cov-14 >/dev/null && build coverage; then
	echo "== coverage of the committed corpora (goal: lib/ >= 90% of lines)"
	BUILD=$(dir_of coverage) QUIET=1 tools/coverage.sh | grep -E '^(lib|harness)/'
fi

# Where the time goes: the release replay of the fuzzing run's corpus.
rel=$(dir_of release)
if command -v perf >/dev/null && [ -x "$rel/fuzz_main_replay" ] && [ -d "$work/fuzz-corpus" ]; then
	echo "== where the time goes (perf, release build replaying the fuzzing corpus; self time)"
	# Inputs that hang (timeouts) are left out: the replay has no timeout.
	mkdir -p "$work/perf-corpus"
	for f in "$work/fuzz-corpus"/*; do
		timeout 2 "$rel/fuzz_main_replay" "$f" >/dev/null 2>&1 && cp "$f" "$work/perf-corpus/"
	done
	if perf record -q -o "$work/perf.data" "$rel/fuzz_main_replay" "$work/perf-corpus" "$rel/corpus/main" >/dev/null 2>&1; then
		# The report is cut after 15 lines: perf then dies of SIGPIPE,
		# which is not a failure of the bench.
		{ perf report -q -i "$work/perf.data" --no-children --sort symbol 2>/dev/null || true; } |
			grep -E '^ +[0-9]' | sed -n '1,15s/  */ /gp' || true
	else
		echo "(perf is not permitted here)"
	fi
fi
