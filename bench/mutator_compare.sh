#!/usr/bin/env bash
# The structure-aware mutator against libFuzzer's own, side by side, with
# the same time budget and seed (docs/mutator.md, "The structure-aware
# mutator"). Prints figures, never fails a build.
#
#   1. features: fuzz_main (bytes) and fuzz_main_sm (structure) of the
#      fuzz preset, one worker, -seed=SEED, MUTATOR_SECONDS each, from an
#      empty corpus and from the committed one: ft:, cov:, corpus size and
#      executions at the end;
#   2. time to detect: every planted fault (tests/planted/<NAME>.txt, or
#      PLANT_FAULTS) built as a libFuzzer binary with the fuzz preset's
#      flags (clang -O2, ASan+UBSan, the plant's macro) in
#      build/bench-planted/<NAME> by tools/plant-build.sh (the files that
#      name the plant recompiled against one unplanted build,
#      build/bench-planted/_base: seconds per fault), run
#      from an empty corpus, one worker, up to PLANT_LIMIT seconds: the
#      seconds to the first crash (start-up taken off), with either
#      mutator, then
#        time to detect: median S s over N planted faults
#      for the default setting (VMF_MUTATOR as tools/fuzz-job.sh reads it
#      for libFuzzer: structure unless set; the other setting's median on
#      the next line).
#
# Environment (defaults): MUTATOR_SECONDS=60, PLANT_LIMIT=60, SEED=1,
# PLANT_SEEDS="1 2 3" (-seed of the detection runs; per fault the median),
# PLANT_FAULTS="" (all), PLANT_MAX=0 (no cap on how many), SKIP_BUILD=1
# (use what is built), MUTATOR_PARTS="features detect", FUZZ_DIR
# (default build/fuzz), BENCH_DIR (default build/bench-mutator),
# MUTATOR_MODES="bytes structure" (the detection runs' settings: one of
# them alone halves the cost of a run on a shared machine; a planted
# build then builds that setting's binary only).
# The two settings run side by side (two processes at once), so that the
# load of a shared machine falls on both alike. A planted build takes
# seconds (tools/plant-build.sh), so the run is the detection itself:
# the structure setting alone over 84 faults took 12 minutes on 2 shared
# cores (most faults are found in under a second; one not found costs
# 3 x PLANT_LIMIT).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${MUTATOR_SECONDS:-60}
limit=${PLANT_LIMIT:-60}
seed=${SEED:-1}
plant_seeds=${PLANT_SEEDS:-1 2 3}
n_seeds=$(wc -w <<<"$plant_seeds")
default=${VMF_MUTATOR:-structure} # tools/fuzz-job.sh's libFuzzer default
[ "$default" = structure ] && other=bytes || { default=bytes; other=structure; }
parts=${MUTATOR_PARTS:-features detect}
modes=${MUTATOR_MODES:-bytes structure}
fuzz_dir=${FUZZ_DIR:-build/fuzz}
work=${BENCH_DIR:-build/bench-mutator}
planted_root=build/bench-planted
dict=fuzz/fuzz_main.dict
max_len=$(sed -n 's/^[[:space:]]*max_len[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' fuzz/fuzz_main.options | head -n1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=0:halt_on_error=1}
rm -rf "$work"
mkdir -p "$work"

has_part() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
now() { date +%s.%N; }
# The binary of a setting in a build dir.
bin_of() { [ "$2" = structure ] && echo "$1/fuzz_main_sm" || echo "$1/fuzz_main"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "?"; exit }
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One detection run: seconds to the first crash (start-up, i.e. ASan and
# the warm-up program, taken off) into <run>/result, or the limit.
detect_one() { # build-dir mode seed run-dir
	local bin t0 t1 t2 rc
	bin=$(bin_of "$1" "$2")
	mkdir -p "$4/empty" "$4/corpus"
	t0=$(now)
	# (a fault the empty input already trips leaves its crash file in
	# the run directory, not in the tree)
	"$bin" -runs=0 -artifact_prefix="$4/" "$4/empty" >/dev/null 2>&1
	t1=$(now)
	nice "$bin" $(fuzz_args "$4/" "$3") -max_total_time="$limit" "$4/corpus" >"$4/log" 2>&1
	rc=$?
	t2=$(now)
	if [ "$rc" -ne 0 ] && ls "$4"/crash-* >/dev/null 2>&1; then
		awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { d = (c - b) - (b - a); if (d < 0) d = 0; printf "%.2f\n", d }' >"$4/result"
	else
		echo "$limit" >"$4/result"
	fi
}

fuzz_args() { # work-dir-prefix [seed]
	echo -seed="${2:-$seed}" -dict="$dict" -max_len="${max_len:-2600}" -timeout=10 \
		-rss_limit_mb=2048 -malloc_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$1"
}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	cmake --preset fuzz >/dev/null &&
		nice cmake --build --preset fuzz --parallel 2 --target fuzz_main fuzz_main_sm \
			>"$work/build-fuzz.log" 2>&1 ||
		{ echo "mutator_compare: building the fuzz preset failed ($work/build-fuzz.log)"; exit 0; }
fi

# ---- 1. features -------------------------------------------------------------
if has_part features; then
	echo "features after ${secs} s, one worker, -seed=$seed (libFuzzer + ASan + UBSan):"
	printf '  %-9s %-10s %8s %8s %8s %10s %8s\n' corpus mutator cov ft corpus execs exec/s
	for start in empty committed; do
		# Both settings at once: the machine is shared, and whatever
		# else runs on it then slows both alike.
		for mode in bytes structure; do
			bin=$(bin_of "$fuzz_dir" "$mode")
			[ -x "$bin" ] || { echo "  $bin missing"; continue; }
			dir=$work/features-$start-$mode
			mkdir -p "$dir/corpus"
			seeds=()
			[ "$start" = committed ] && seeds=("$fuzz_dir/corpus/main")
			nice "$bin" $(fuzz_args "$dir/") -max_total_time="$secs" \
				"$dir/corpus" "${seeds[@]}" >"$dir/log" 2>&1 &
		done
		wait
		for mode in bytes structure; do
			dir=$work/features-$start-$mode
			[ -f "$dir/log" ] || continue
			last=$(grep -E '^#[0-9]+' "$dir/log" | tail -n1)
			cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
			ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
			corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
			execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n1)
			eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n1)
			printf '  %-9s %-10s %8s %8s %8s %10s %8s\n' "$start" "$mode" \
				"${cov:-?}" "${ft:-?}" "${corp:-?}" "${execs:-?}" "${eps:-?}"
		done
	done
fi

# ---- 2. time to detect ---------------------------------------------------------
if has_part detect; then
	faults=()
	if [ -n "${PLANT_FAULTS:-}" ]; then
		read -r -a faults <<<"$PLANT_FAULTS"
	else
		for f in tests/planted/*.txt; do faults+=("$(basename "$f" .txt)"); done
	fi
	[ "${PLANT_MAX:-0}" -gt 0 ] && faults=("${faults[@]:0:$PLANT_MAX}")
	echo "time to detect: ${#faults[@]} planted faults, empty corpus, one worker, limit ${limit} s;"
	echo "  per fault the median over -seed=${plant_seeds// /,} (found/runs) and the first signature"
	printf '  %-28s %-36s %-36s\n' fault "bytes" "structure"
	: >"$work/detect-bytes"
	: >"$work/detect-structure"
	targets=()
	for mode in $modes; do targets+=("$(basename "$(bin_of . "$mode")")"); done
	# The planted binaries: tools/plant-build.sh recompiles the files that
	# name the plant against one unplanted build ($base, built once) and
	# relinks, seconds per fault; a plant it cannot take (exit 3: one in a
	# header) gets a whole build of its own.
	base=$planted_root/_base
	configure() { # DIR [PLANT]
		[ -f "$1/CMakeCache.txt" ] ||
			cmake -S . -B "$1" -G Ninja -DCMAKE_C_COMPILER=clang \
				-DCMAKE_BUILD_TYPE=RelWithDebInfo \
				"-DCMAKE_C_FLAGS_RELWITHDEBINFO=-g -O2" \
				-DVMF_SANITIZE=ON -DVMF_LIBFUZZER=ON -DVMF_WERROR=OFF \
				-DVMF_FUZZ_SMOKE=OFF -DVMF_PLANT="${2:-}"
	}
	mkdir -p "$base"
	configure "$base" >"$base/bench-configure.log" 2>&1 ||
		echo "  (the unplanted base build failed to configure: $base/bench-configure.log; whole builds per fault)"
	for name in "${faults[@]}"; do
		dir=$planted_root/$name
		missing=0
		for t in "${targets[@]}"; do [ -x "$dir/$t" ] || missing=1; done
		if [ "${SKIP_BUILD:-0}" != 1 ] || [ "$missing" = 1 ]; then
			mkdir -p "$dir"
			st=3
			[ -f "$base/CMakeCache.txt" ] &&
				{ tools/plant-build.sh "$name" "$base" "$dir" "${targets[@]}" \
					>"$dir/bench-build.log" 2>&1; st=$?; }
			if [ "$st" = 3 ]; then
				configure "$dir" "$name" >"$dir/bench-configure.log" 2>&1 &&
					nice cmake --build "$dir" --parallel 2 --target "${targets[@]}" \
						>"$dir/bench-build.log" 2>&1
				st=$?
			fi
			[ "$st" = 0 ] ||
				{ printf '  %-28s build failed (%s)\n' "$name" "$dir/bench-build.log"; continue; }
		fi
		# Both settings at once per seed (see the features).
		for s in $plant_seeds; do
			for mode in $modes; do
				detect_one "$dir" "$mode" "$s" "$work/detect-$name-$mode-$s" &
			done
			wait
		done
		row=()
		for mode in bytes structure; do
			case " $modes " in *" $mode "*) ;; *) row+=("-"); continue ;; esac
			found=0 sig=
			: >"$work/seeds-$name-$mode"
			for s in $plant_seeds; do
				r=$work/detect-$name-$mode-$s
				read -r t <"$r/result"
				echo "$t" >>"$work/seeds-$name-$mode"
				[ "$t" = "$limit" ] && ! ls "$r"/crash-* >/dev/null 2>&1 && continue
				found=$((found + 1))
				[ -n "$sig" ] || sig=$(sed -n 's/^SIGNATURE: //p' "$r/log" | head -n1)
				[ -n "$sig" ] || sig=$(sed -n 's/^SUMMARY: \([A-Za-z]*\): \([^ ]*\).*/\1\/\2/p' "$r/log" | head -n1)
			done
			m=$(median <"$work/seeds-$name-$mode")
			echo "$m" >>"$work/detect-$mode"
			row+=("$m ($found/$n_seeds) ${sig:-none}")
		done
		printf '  %-28s %-36s %-36s\n' "$name" "${row[0]}" "${row[1]}"
	done
	n=$(grep -c . "$work/detect-$default" || true)
	echo "time to detect: median $(median <"$work/detect-$default") s over $n planted faults"
	echo "  ($other mutator: median $(median <"$work/detect-$other") s over $(grep -c . "$work/detect-$other" || true) planted faults; the default above is $default)"
fi
