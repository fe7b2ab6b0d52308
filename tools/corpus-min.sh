#!/usr/bin/env bash
# make corpus-min: fold what the fuzzing jobs found into the committed
# corpus, keeping it minimal.
#
# corpus/<target>/ has two layers:
#   - hand-written seeds (<name>.txt text programs for main, <name>.bin for
#     the narrow targets): never touched here;
#   - min-<sha1>.bin: finds that add coverage beyond the seeds, written
#     here (with min-<sha1>.txt, their text form, for the main target).
# The min- layer changes as little as it can (libFuzzer):
#   1. a committed min- input stays while it still adds a feature beyond
#      the hand-written seeds (one merge per input, seeds first, read from
#      libFuzzer's merge control file: not the greedy merge's choice, so
#      a second run keeps it too);
#   2. candidates from the job corpora (build/fuzz-work/*-<target>/corpus)
#      and AFL++ queues (build/fuzz-work/afl-<target>/sync/*/queue) are
#      added only when they add features beyond the seeds and what stays
#      (libFuzzer -merge=1 into seeds + kept);
# and it prints what it kept, dropped and added. Run twice on the same
# inputs, the second run changes nothing. ENGINE=afl uses afl-cmin on the
# AFL++ build instead (the whole min- layer recomputed).
#
# Environment: TARGET=main, ENGINE=libfuzzer|afl, BUILD=build/fuzz,
# EXTRA_DIRS="dir..." (more candidate inputs), CANDIDATE_DIRS (instead of
# the job corpora and queues), DEST=corpus/<target>, MERGE_FLAGS (default
# -use_counters=0: edges, not hit counts, decide what is new; keeps the
# committed corpus small).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${TARGET:-main}
engine=${ENGINE:-libfuzzer}
dest=${DEST:-corpus/$target}
work=${MIN_WORK:-build/fuzz-work/corpus-min-$target}
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
# Candidates: job corpora, AFL++ queues, extra dirs (the old min- layer
# too for afl-cmin).
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
[ "$engine" = afl ] && for f in "$dest"/min-*.bin; do [ -f "$f" ] && { n=$((n + 1)); cp "$f" "$work/candidates/c$(printf '%07d' "$n")"; }; done
# shellcheck disable=SC2086
for d in ${CANDIDATE_DIRS-build/fuzz-work/*-"$target"/corpus build/fuzz-work/afl-"$target"/sync/*/queue} ${EXTRA_DIRS:-}; do
	add_dir "$d"
done
old=$(find "$dest" -maxdepth 1 -name 'min-*.bin' | wc -l)
echo "corpus-min: $target: $(find "$work/seeds" -type f | wc -l) seeds, $old committed min- inputs, $n candidate inputs"

merge() { # OUT_DIR CANDIDATE_DIR CONTROL_FILE
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
		"$bin" -merge=1 -merge_control_file="$3" -timeout=10 ${MERGE_FLAGS--use_counters=0} \
		-rss_limit_mb=2048 "$1" "$2" >>"$work/merge.log" 2>&1 ||
		{ tail -n 20 "$work/merge.log" >&2; exit 1; }
}
if [ "$engine" = libfuzzer ]; then
	# 1. Which committed min- inputs still add a feature beyond the
	#    seeds? The control file lists every file's features ("FT i ...")
	#    after the file names (its first line counts them).
	mkdir -p "$work/old" "$work/base"
	cp "$work/seeds"/* "$work/base/" 2>/dev/null || true
	for f in "$dest"/min-*.bin; do [ -f "$f" ] && cp "$f" "$work/old/"; done
	: >"$work/keep"
	# One merge per committed input, the seeds first: the control file's
	# FT line of a file lists only features no earlier file had, so the
	# input's own line says whether it adds a feature beyond the seeds,
	# whatever else is committed (one merge of them all would be greedy
	# in file order, and a rerun could drop what the last run kept).
	for f in "$work/old"/*; do
		[ -f "$f" ] || continue
		rm -rf "$work/one" "$work/one-base" && mkdir -p "$work/one" && cp "$f" "$work/one/"
		cp -a "$work/base" "$work/one-base" # merge writes into its first dir
		rm -f "$work/keep.ctl"
		merge "$work/one-base" "$work/one" "$work/keep.ctl"
		awk 'NR == 2 { nfirst = $1 } $1 == "FT" && $2 == nfirst && NF > 2 { found = 1 }
		     END { exit !found }' "$work/keep.ctl" && basename "$f" >>"$work/keep"
	done
	sort -o "$work/keep" "$work/keep"
	# 2. New inputs: what adds features beyond the seeds and the kept.
	while IFS= read -r k; do cp "$work/old/$k" "$work/base/"; done <"$work/keep"
	cp -a "$work/base/." "$work/out/"
	merge "$work/out" "$work/candidates" "$work/add.ctl"
	for f in "$work/base"/*; do rm -f "$work/out/$(basename "$f")"; done
	# Apply: drop what no longer adds a feature, add what is new.
	dropped=0 added=0
	for f in "$dest"/min-*.bin; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		grep -qxF "$b" "$work/keep" && continue
		rm -f "$f" "${f%.bin}.txt"
		echo "  dropped $b (adds no feature beyond the seeds)"
		dropped=$((dropped + 1))
	done
	for f in "$work/out"/*; do
		[ -f "$f" ] || continue
		name=min-$(sha1sum "$f" | cut -c1-16)
		[ -f "$dest/$name.bin" ] && continue
		cp "$f" "$dest/$name.bin"
		if [ "$target" = main ] && [ -x "$cli" ]; then
			"$cli" decode "$f" -o "$dest/$name.txt"
		fi
		echo "  added   $name.bin"
		added=$((added + 1))
	done
	echo "corpus-min: $dest: kept $(grep -c . "$work/keep" || true) of $old committed min- inputs, dropped $dropped, added $added; the hand-written seeds are unchanged"
	[ $((dropped + added)) -gt 0 ] || echo "corpus-min: nothing changed"
	echo "corpus-min: review with git status $dest; ctest replays them all"
	exit 0
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
