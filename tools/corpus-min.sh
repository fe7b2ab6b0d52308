#!/usr/bin/env bash
# make corpus-min: fold what the fuzzing jobs found into the committed
# corpus, keeping it minimal.
#
# corpus/<target>/ has two layers:
#   - hand-written seeds (<name>.txt text programs for main, <name>.bin for
#     the narrow targets): never touched here;
#   - min-<sha1>.bin: finds that add coverage beyond the seeds, written
#     here (with min-<sha1>.txt, their text form, for the main target).
# The min- layer is recomputed from scratch each time: libFuzzer
# -merge=1 starts from the seeds and keeps, out of the old min- files, the
# job corpora (build/fuzz-work/*-<target>/corpus) and the AFL++ queues
# (build/fuzz-work/afl-<target>/sync/*/queue), only inputs that add
# features. ENGINE=afl uses afl-cmin on the AFL++ build instead.
#
# Environment: TARGET=main, ENGINE=libfuzzer|afl, BUILD=build/fuzz,
# EXTRA_DIRS="dir..." (more candidate inputs), MERGE_FLAGS (default
# -use_counters=0: edges, not hit counts, decide what is new; keeps the
# committed corpus small).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${TARGET:-main}
engine=${ENGINE:-libfuzzer}
dest=corpus/$target
work=build/fuzz-work/corpus-min-$target
case "$engine" in
libfuzzer) build=${BUILD:-build/fuzz} ;;
afl) build=${BUILD:-build/afl} ;;
*) echo "corpus-min: ENGINE must be libfuzzer or afl" >&2; exit 2 ;;
esac
bin=$build/fuzz_$target
cli=$build/vmfuzz
[ -x "$bin" ] || { echo "corpus-min: $bin is missing" >&2; exit 2; }
mkdir -p "$dest"
rm -rf "$work"
mkdir -p "$work/seeds" "$work/candidates" "$work/out"

# The seeds as the fuzzers see them (binary), without the min- layer.
for f in "$build/corpus/$target"/*; do
	[ -f "$f" ] || continue
	case "$(basename "$f")" in min-*) ;; *) cp "$f" "$work/seeds/" ;; esac
done
# Candidates: the old min- layer, job corpora, AFL++ queues, extra dirs.
n=0
add_dir() {
	local d=$1 f
	[ -d "$d" ] || return 0
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		cp "$f" "$work/candidates/c$(printf '%07d' "$n")"
	done
}
for f in "$dest"/min-*.bin; do [ -f "$f" ] && { n=$((n + 1)); cp "$f" "$work/candidates/c$(printf '%07d' "$n")"; }; done
for d in build/fuzz-work/*-"$target"/corpus build/fuzz-work/afl-"$target"/sync/*/queue ${EXTRA_DIRS:-}; do
	add_dir "$d"
done
old=$(find "$dest" -maxdepth 1 -name 'min-*.bin' | wc -l)
echo "corpus-min: $target: $(find "$work/seeds" -type f | wc -l) seeds, $n candidate inputs ($old in the old min- layer)"

if [ "$engine" = libfuzzer ]; then
	# New features only: start from the seeds, merge the candidates in.
	cp "$work/seeds"/* "$work/out/" 2>/dev/null || true
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
		"$bin" -merge=1 -merge_control_file="$work/merge.ctl" -timeout=10 ${MERGE_FLAGS--use_counters=0} \
		-rss_limit_mb=2048 "$work/out" "$work/candidates" >"$work/merge.log" 2>&1 ||
		{ tail -n 20 "$work/merge.log" >&2; exit 1; }
	grep -E 'MERGE-OUTER: [0-9]+ new files' "$work/merge.log" | tail -n1 || true
	for f in "$work/seeds"/*; do [ -f "$f" ] && rm -f "$work/out/$(basename "$f")"; done
else
	# afl-cmin keeps a minimal set of everything; keep what the seeds
	# do not already have (by content).
	cp "$work/seeds"/* "$work/candidates/" 2>/dev/null || true
	AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
		afl-cmin -i "$work/candidates" -o "$work/out" -t 2000 -m none -- "$bin" >"$work/merge.log" 2>&1 ||
		{ tail -n 20 "$work/merge.log" >&2; exit 1; }
	for s in "$work/seeds"/*; do
		[ -f "$s" ] || continue
		for o in "$work/out"/*; do cmp -s "$s" "$o" && rm -f "$o"; done
	done
fi

# Replace the min- layer.
rm -f "$dest"/min-*.bin "$dest"/min-*.txt
added=0
for f in "$work/out"/*; do
	[ -f "$f" ] || continue
	name=min-$(sha1sum "$f" | cut -c1-16)
	cp "$f" "$dest/$name.bin"
	if [ "$target" = main ] && [ -x "$cli" ]; then
		"$cli" decode "$f" -o "$dest/$name.txt"
	fi
	added=$((added + 1))
done
echo "corpus-min: $dest: $added min- input(s) (was $old); the hand-written seeds are unchanged"
[ "$target" = main ] && echo "corpus-min: their text forms are beside them (min-*.txt)"
echo "corpus-min: review with git status $dest; ctest replays them all"
