#!/usr/bin/env bash
# A fuzzing job and its summary. Called by `make fuzz` / `make fuzz-afl`
# after the build; usable directly:
#
#   tools/fuzz-job.sh libfuzzer|afl|summary-libfuzzer|summary-afl
#
# Environment (defaults):
#   FUZZ_SECONDS=300   how long
#   JOBS=2             libFuzzer: -fork workers; AFL++: 1 -M + JOBS-1 -S
#   TARGET=main        fuzz/fuzz_<TARGET>.c
#   WORK=build/fuzz-work/<engine>-<TARGET>   working dir: corpus/ (new
#                      finds; the committed corpus is only read), findings/
#                      (crashes, timeouts), logs/; kept between runs, so a
#                      second job resumes from the first one's corpus
#   BUILD=build/fuzz (libfuzzer) or build/afl (afl)
#   CMPLOG_BUILD=build/afl-cmplog  the AFL++ CmpLog binary's build dir
#   SEED=<n>           libFuzzer -seed (default: libFuzzer picks one)
#   EXTRA_ARGS=...     more engine flags
#   VMF_MUTATOR=structure (libFuzzer) / bytes (AFL++): the structure-aware
#                      mutator (fuzz/mutator/, target main) or the engine's own
#   PROGRESS_SECONDS=5 a progress line this often (one line rewritten on a
#                      terminal, plain lines otherwise, e.g. in CI)
#   STATS=$WORK/stats.jsonl  one JSON record per progress interval: time,
#                      execs, execs_per_sec, edges, features, corpus,
#                      crashes, crash_groups (`vmfuzz plot` draws it)
#
# A job ends everything it started: each engine runs in its own process
# group, marked with VMFUZZ_JOB in its environment; on exit (or ^C) the
# groups are killed, then any marked process that left its group (AFL++'s
# CmpLog fork server does) is killed by its pid.
#
# The summary: executions, exec/s, coverage, corpus growth, crashes by
# signature (each replayed by the target's replay binary) and the commands
# to replay and minimise each.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${1:-libfuzzer}
target=${TARGET:-main}
secs=${FUZZ_SECONDS-300}
jobs=${JOBS-2}
every=${PROGRESS_SECONDS-5}
case "$engine" in summary-*) ;; *)
	FUZZ_SECONDS=$secs JOBS=$jobs PROGRESS_SECONDS=$every TARGET=$target \
		tools/check-vars.sh "fuzz" || exit 2 ;;
esac

case "$engine" in
libfuzzer|summary-libfuzzer) kind=libfuzzer; build=${BUILD:-build/fuzz} ;;
afl|summary-afl) kind=afl; build=${BUILD:-build/afl} ;;
*) echo "usage: tools/fuzz-job.sh libfuzzer|afl|summary-libfuzzer|summary-afl" >&2; exit 2 ;;
esac
work=${WORK:-build/fuzz-work/$kind-$target}
stats=${STATS:-$work/stats.jsonl}
bin=$build/fuzz_$target
# VMF_MUTATOR=structure|bytes: the structure-aware mutator (fuzz/mutator/,
# target main; the default for libFuzzer, where it was measured to win:
# docs/fuzzing.md) or the engine's own; afl-fuzz loads it only when asked.
mutator=${VMF_MUTATOR:-$([ "$kind" = libfuzzer ] && echo structure || echo bytes)}
if [ "$mutator" = structure ] && [ "$target" = main ]; then
	[ "$kind" = libfuzzer ] && bin=$build/fuzz_${target}_sm
	[ "$kind" = afl ] && export AFL_CUSTOM_MUTATOR_LIBRARY=${AFL_CUSTOM_MUTATOR_LIBRARY:-$PWD/$build/libvmf_afl_mutator.so}
fi
seeds=$build/corpus/$target
dict=fuzz/fuzz_$target.dict
options=fuzz/fuzz_$target.options
# The replay binary and the tool used to group crashes: the sanitizer
# build of the same preset when it has one.
replay=$build/fuzz_${target}_replay
cli=$build/vmfuzz
for b in "$bin" "$replay"; do
	[ -x "$b" ] || { echo "fuzz-job: $b is missing (build the preset first)" >&2; exit 2; }
done
mkdir -p "$work/corpus" "$work/findings" "$work/logs" "$seeds"

max_len=$(sed -n 's/^[[:space:]]*max_len[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$options" 2>/dev/null | head -n1)

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }
fmt() { printf "%'d" "$1" 2>/dev/null || printf '%d' "$1"; }

# Group crash files by the signature the replay binary prints.
group_crashes() {
	local list=$1 out=$2
	: >"$out"
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		local log sig size
		log=$(timeout 60 "$replay" "$f" 2>&1 >/dev/null || true)
		sig=$(printf '%s\n' "$log" | sed -n 's/^SIGNATURE: //p' | tail -n1)
		if [ -z "$sig" ]; then
			sig=$(printf '%s\n' "$log" | sed -n 's/^SUMMARY: \([A-Za-z]*\)Sanitizer: \([^ ]*\).* in \([^ ]*\).*/\1\/\2\/\3/p;s/^SUMMARY: \([A-Za-z]*\)Sanitizer: \([^ ]*\).*/\1\/\2/p' | head -n1)
		fi
		[ -n "$sig" ] || sig="(does not reproduce)"
		size=$(stat -c %s "$f")
		printf '%s\t%s\t%s\n' "$sig" "$size" "$f" >>"$out"
	done <"$list"
}

print_crashes() {
	local list=$1 groups=$work/logs/crash-groups.tsv n
	n=$(grep -c . "$list" || true)
	if [ "$n" -eq 0 ]; then
		echo "crashes:      none"
		return
	fi
	# By root cause (what disagreed, then the command): vmfuzz triage.
	if [ -x "$cli" ]; then
		echo "crashes:      $n file(s); vmfuzz triage (by root cause):"
		mapfile -t files <"$list"
		"$cli" triage --target "$target" "${files[@]}" 2>/dev/null | sed 's/^/  /' || true
		if [ "$target" = main ]; then
			echo "          minimize one: $cli minimize FILE -o crashes/main/NAME.bin; all groups: $cli triage --minimize FILES"
		fi
		return
	fi
	group_crashes "$list" "$groups"
	echo "crashes:      $n file(s), $(cut -f1 "$groups" | sort -u | grep -c .) signature(s)"
	# Per signature: count, smallest file and its size; most frequent first.
	awk -F'\t' '{
		c[$1]++
		if (!($1 in best) || $2 + 0 < size[$1]) { best[$1] = $3; size[$1] = $2 + 0 }
	} END { for (s in c) printf "%d\t%s\t%s\t%d\n", c[s], s, best[s], size[s] }' "$groups" |
		sort -t$'\t' -k1,1nr -k2,2 >"$groups.summary"
	local cnt sig small bytes
	while IFS=$'\t' read -r cnt sig small bytes; do
		printf '  %5d x %-32s smallest: %s (%s bytes)\n' "$cnt" "$sig" "$small" "$bytes"
		if [ "$target" = main ] && [ -x "$cli" ]; then
			echo "          replay: $cli replay -v $small; minimize: $cli minimize $small -o crashes/main/$(printf '%s' "$sig" | tr '/' '-').bin"
		else
			echo "          replay: $replay $small"
		fi
	done <"$groups.summary"
}

# ---- process control, progress and stats ----------------------------------
job_id=$$-$RANDOM$RANDOM
started=()
# Start an engine in its own process group, marked: start LOG CMD...
start() {
	local log=$1
	shift
	set -m
	VMFUZZ_JOB=$job_id "$@" >"$log" 2>&1 &
	started+=($!)
	set +m
}
marked_pids() {
	local d
	for d in /proc/[0-9]*; do
		[ -r "$d/environ" ] || continue
		{ tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qx "VMFUZZ_JOB=$job_id" && echo "${d#/proc/}"
	done
	return 0
}
stop_all() {
	local p
	for p in "${started[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || true
		kill -CONT -- "-$p" 2>/dev/null || true
	done
	for p in $(marked_pids); do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${started[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
}
on_signal() { trap - INT TERM; echo; echo "fuzz-job: stopped; ending the engines" >&2; stop_all; exit 130; }
trap on_signal INT TERM
trap stop_all EXIT

# Crash files classified once each, by root cause (vmfuzz triage) or,
# without the tool, by the signature the replay binary prints:
# "group<TAB>file" lines in $work/logs/crash-seen.tsv.
classify_new_crashes() {
	local list=$1 seen=$work/logs/crash-seen.tsv f sig n=0
	touch "$seen"
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		grep -qF "	$f" "$seen" && continue
		n=$((n + 1))
		[ "$n" -le 20 ] || break # the rest next time
		if [ -x "$cli" ]; then
			# The root cause, as the summary's vmfuzz triage groups it.
			sig=$(timeout 20 "$cli" triage --target "$target" "$f" 2>/dev/null |
				sed -n 's/^\[1\] *[0-9]* x [A-Z]* *\([^ ]*\) .*/\1/p' | head -n1 || true)
		else
			sig=$(timeout 20 "$replay" "$f" 2>&1 >/dev/null | sed -n 's/^SIGNATURE: //p;s/^SUMMARY: \([A-Za-z]*\)Sanitizer: \([^ ]*\).*/\1\/\2/p' | head -n1 || true)
		fi
		printf '%s\t%s\n' "${sig:-(does not reproduce)}" "$f" >>"$seen"
	done <"$list"
}
crash_list() {
	if [ "$kind" = libfuzzer ]; then
		find "$work/findings" -maxdepth 1 -type f -name 'crash-*' | sort
	else
		find "$work/sync" -path '*/crashes/id:*' -type f 2>/dev/null | sort
	fi
}
# Current figures: "execs eps edges features corpus".
figures_libfuzzer() {
	local last
	last=$(grep -aE '^#[0-9]+' "$work/logs/libfuzzer.log" 2>/dev/null | tail -n1 || true)
	printf '%s' "$last" | awk '{
		e = substr($1, 2) + 0; eps = 0; cov = 0; ft = 0; corp = 0
		for (i = 1; i < NF; i++) {
			if ($i == "cov:") cov = $(i+1) + 0
			if ($i == "ft:") ft = $(i+1) + 0
			if ($i == "corp:") { c = $(i+1); sub(/\/.*/, "", c); corp = c + 0 }
			if ($i == "exec/s:" || $i == "exec/s") eps = $(i+1) + 0
		}
		printf "%d %d %d %d %d\n", e, eps, cov, ft, corp }'
	[ -n "$last" ] || echo "0 0 0 0 0"
}
figures_afl() {
	# AFL++ (4.04c, AFL_NO_UI) rewrites fuzzer_stats about once a minute
	# and plot_data rarely: figures from files written since the job
	# started (not a resumed run's last ones), the corpus also from the
	# instance's log ("Fuzzing test case #N (T total, ...").
	local d e=0 eps=0 edges=0 corp=0 v name t
	for d in "$work/sync"/*/; do
		name=$(basename "$d")
		if [ -f "$d/fuzzer_stats" ] && [ "$d/fuzzer_stats" -nt "$work/logs/job-start" ]; then
			v=$(stat_int "$d/fuzzer_stats" execs_done); e=$((e + v))
			v=$(stat_int "$d/fuzzer_stats" execs_per_sec); eps=$((eps + v))
			v=$(stat_int "$d/fuzzer_stats" edges_found); [ "$v" -gt "$edges" ] && edges=$v
			v=$(stat_int "$d/fuzzer_stats" corpus_count); [ "$v" -gt "$corp" ] && corp=$v
		fi
		t=$(grep -ao 'Fuzzing test case #[0-9]* ([0-9]* total' "$work/logs/$name.log" 2>/dev/null | tail -n1 | sed 's/.*(\([0-9]*\) total/\1/')
		t=$(int_or_0 "$t")
		[ "$t" -gt "$corp" ] && corp=$t
	done
	echo "$e $eps $edges 0 $corp"
}
progress() { # ELAPSED [final]
	local el=$1 figs execs eps edges ft corp crashes groups line
	figs=$(figures_$kind)
	read -r execs eps edges ft corp <<<"$figs"
	crash_list >"$work/logs/crash-files.now"
	classify_new_crashes "$work/logs/crash-files.now"
	crashes=$(grep -c . "$work/logs/crash-files.now" || true)
	groups=$(cut -f1 "$work/logs/crash-seen.tsv" 2>/dev/null | sort -u | grep -c . || true)
	printf '{"time":%d,"engine":"%s","target":"%s","execs":%d,"execs_per_sec":%d,"edges":%d,"features":%d,"corpus":%d,"crashes":%d,"crash_groups":%d}\n' \
		"$el" "$kind" "$target" "$execs" "$eps" "$edges" "$ft" "$corp" "$crashes" "$groups" >>"$stats"
	line=$(printf '[%5ss] execs %s (%s/s)  cov %s  ft %s  corpus %s  crashes %s (%s group%s)' \
		"$el" "$(fmt "$execs")" "$(fmt "$eps")" "$edges" "$ft" "$corp" "$crashes" "$groups" "$([ "$groups" = 1 ] || echo s)")
	if [ -t 1 ]; then
		printf '\r\033[K%s' "$line"
		[ -z "${2:-}" ] || echo
	else
		echo "$line"
	fi
}
# Wait for the engines, a progress line every $every seconds.
monitor() {
	local t0 now last=0 p alive
	t0=$(date +%s)
	: >"$stats"
	touch "$work/logs/job-start"
	rm -f "$work/logs/crash-seen.tsv"
	while :; do
		alive=0
		for p in "${started[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break
		sleep 1
		now=$(($(date +%s) - t0))
		if [ $((now - last)) -ge "$every" ]; then
			progress "$now"
			last=$now
		fi
	done
	now=$(($(date +%s) - t0))
	[ "$now" -gt "$last" ] && progress "$now" final
	echo "   stats $stats (vmfuzz plot $stats -o $work/stats.svg)"
}

# ---- libFuzzer -------------------------------------------------------------
run_libfuzzer() {
	local before args log=$work/logs/libfuzzer.log
	before=$(count_files "$work/corpus")
	echo "$before" >"$work/logs/corpus-before"
	args=(-fork="$jobs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=4096
	      -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
	      -print_final_stats=1 -artifact_prefix="$work/findings/")
	[ -f "$dict" ] && args+=(-dict="$dict")
	[ -n "$max_len" ] && args+=(-max_len="$max_len")
	[ -n "${SEED:-}" ] && args+=(-seed="$SEED")
	# shellcheck disable=SC2206
	[ -n "${EXTRA_ARGS:-}" ] && args+=($EXTRA_ARGS)
	echo "== fuzzing fuzz_$target with libFuzzer: ${secs} s, $jobs worker(s)"
	echo "   corpus $work/corpus (+ seeds $seeds), findings $work/findings"
	echo "   log $log"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	start "$log" "$bin" "${args[@]}" "$work/corpus" "$seeds"
	monitor
	wait "${started[@]}" 2>/dev/null || true
	stop_all
	summary_libfuzzer
}

summary_libfuzzer() {
	local log=$work/logs/libfuzzer.log last execs cov ft secs_run eps corp before after
	[ -f "$log" ] || { echo "fuzz-job: no log at $log" >&2; exit 2; }
	# Fork mode prints "#N: cov: C ft: F corp: K exec/s: E ... time: Ts".
	last=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
	execs=$(printf '%s' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s' "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	secs_run=$(printf '%s' "$last" | sed -n 's/.*time: \([0-9]*\)s.*/\1/p')
	[ -n "$execs" ] || execs=0
	[ -n "$secs_run" ] && [ "$secs_run" -gt 0 ] || secs_run=$secs
	eps=$((execs / (secs_run > 0 ? secs_run : 1)))
	before=$(cat "$work/logs/corpus-before" 2>/dev/null || echo 0)
	after=$(count_files "$work/corpus")
	echo
	echo "== vmfuzz fuzzing summary: fuzz_$target, libFuzzer, $jobs worker(s), ${secs_run} s"
	echo "executions:   $(fmt "$execs") ($(fmt "$eps") exec/s)"
	echo "coverage:     cov ${cov:-?} edges, ft ${ft:-?} features"
	echo "corpus:       ${corp:-?} inputs in use; $((after - before)) new in $work/corpus ($after in all)"
	find "$work/findings" -maxdepth 1 -type f -name 'crash-*' | sort >"$work/logs/crash-files"
	print_crashes "$work/logs/crash-files"
	local t o
	t=$(find "$work/findings" -maxdepth 1 -type f -name 'timeout-*' | wc -l)
	o=$(find "$work/findings" -maxdepth 1 -type f -name 'oom-*' | wc -l)
	[ "$t$o" = 00 ] || echo "also:         $t timeout(s), $o out-of-memory input(s) in $work/findings"
	echo "next:         make corpus-min (merge the new finds into corpus/$target/)"
}

# ---- AFL++ -----------------------------------------------------------------
build_cmplog() {
	local dir=${CMPLOG_BUILD:-build/afl-cmplog}
	if [ ! -x "$dir/fuzz_$target" ] || [ -n "$(find lib harness fuzz -name '*.[ch]' -newer "$dir/fuzz_$target" 2>/dev/null | head -n1)" ]; then
		echo "== building the CmpLog binary in $dir" >&2
		AFL_LLVM_CMPLOG=1 cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=afl-clang-fast \
			-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMF_AFL=ON >/dev/null
		AFL_LLVM_CMPLOG=1 cmake --build "$dir" --target "fuzz_$target" >/dev/null
	fi
	echo "$dir/fuzz_$target"
}

run_afl() {
	local sync=$work/sync cmplog in=$seeds
	command -v afl-fuzz >/dev/null || { echo "fuzz-job: afl-fuzz not found" >&2; exit 2; }
	if [ "$(count_files "$seeds")" -eq 0 ]; then
		in=$work/empty-seed; mkdir -p "$in"; printf '\0\0\0\0\0\0\0\0' >"$in/zero"
	fi
	cmplog=$(build_cmplog)
	export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
	export AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-1} AFL_IMPORT_FIRST=1
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:symbolize=0}
	local common=(-i "$in" -o "$sync" -V "$secs" -t 2000 -m none)
	[ -f "$dict" ] && common+=(-x "$dict")
	# shellcheck disable=SC2206
	[ -n "${EXTRA_ARGS:-}" ] && common+=($EXTRA_ARGS)
	# A resumed job continues the sync dir (AFL_AUTORESUME).
	export AFL_AUTORESUME=1
	echo "== fuzzing fuzz_$target with AFL++: ${secs} s, 1 main + $((jobs - 1)) secondary"
	echo "   sync dir $sync, logs $work/logs"
	start "$work/logs/main.log" afl-fuzz "${common[@]}" -M main -- "$bin"
	for ((i = 1; i < jobs; i++)); do
		local extra=()
		[ "$i" -eq 1 ] && extra=(-c "$cmplog" -l 2)
		start "$work/logs/s$i.log" afl-fuzz "${common[@]}" "${extra[@]}" -S "s$i" -- "$bin"
	done
	echo "   plot data $sync/*/plot_data (vmfuzz plot $sync/main/plot_data -o $work/afl.svg)"
	monitor
	local rc=0 p
	for p in "${started[@]}"; do wait "$p" || rc=1; done
	stop_all
	[ "$rc" = 0 ] || echo "fuzz-job: an afl-fuzz instance failed; see $work/logs/*.log" >&2
	summary_afl
}

stat_of() { sed -n "s/^$2[[:space:]]*: *//p" "$1" 2>/dev/null | head -n1; }
# AFL++ rewrites fuzzer_stats in place: a read can land on a truncated
# file and see a key with no value (CI stop 22: "eps + : syntax error").
# Arithmetic only ever sees the integer part, or 0.
int_or_0() {
	local v=${1%%.*}
	case $v in '' | *[!0-9]*) v=0 ;; esac
	echo "$v"
}
stat_int() { int_or_0 "$(stat_of "$1" "$2")"; }

summary_afl() {
	local sync=$work/sync execs=0 eps=0 corpus=0 total_secs=0 f
	echo
	echo "== vmfuzz fuzzing summary: fuzz_$target, AFL++ (sync dir $sync)"
	for f in "$sync"/*/fuzzer_stats; do
		[ -f "$f" ] || continue
		local name e s c cv st cr
		name=$(basename "$(dirname "$f")")
		e=$(stat_of "$f" execs_done); s=$(stat_of "$f" execs_per_sec)
		c=$(stat_of "$f" corpus_count); cv=$(stat_of "$f" bitmap_cvg)
		st=$(stat_of "$f" stability); cr=$(stat_of "$f" saved_crashes)
		[ -n "$cr" ] || cr=$(stat_of "$f" unique_crashes)
		printf '  %-5s %12s execs, %9s exec/s, corpus %5s, map %7s, stability %7s, crashes %s\n' \
			"$name" "$(fmt "${e:-0}")" "${s:-?}" "${c:-?}" "${cv:-?}" "${st:-?}" "${cr:-0}"
		execs=$((execs + $(int_or_0 "$e")))
		eps=$((eps + $(int_or_0 "$s")))
		c=$(int_or_0 "$c"); [ "$c" -gt "$corpus" ] && corpus=$c
		total_secs=$(stat_of "$f" run_time)
	done
	echo "executions:   $(fmt "$execs") ($(fmt "$eps") exec/s over all instances)"
	echo "coverage:     $(stat_of "$sync/main/fuzzer_stats" bitmap_cvg 2>/dev/null || echo '?') of the map (main), edges found $(stat_of "$sync/main/fuzzer_stats" edges_found 2>/dev/null || echo '?')"
	echo "corpus:       $corpus inputs in the largest queue ($sync/*/queue)"
	find "$sync" -path '*/crashes/id:*' -type f 2>/dev/null | sort >"$work/logs/crash-files"
	print_crashes "$work/logs/crash-files"
	echo "next:         make corpus-min ENGINE=afl (afl-cmin the queues into corpus/$target/)"
	: "$total_secs"
}

case "$engine" in
libfuzzer) run_libfuzzer ;;
afl) run_afl ;;
summary-libfuzzer) summary_libfuzzer ;;
summary-afl) summary_afl ;;
esac
