#!/usr/bin/env bash
# make coverage: line and branch coverage of lib/ and harness/ reached by
# the committed corpora (corpus/*, crashes/*), replayed by the coverage
# build (clang source-based coverage). Writes an HTML report and prints a
# text summary.
#
# CORPUS=DIR (make coverage CORPUS=DIR): the coverage reached by that
# directory instead, e.g. a job's working corpus
# (build/fuzz-work/libfuzzer-main/corpus), replayed as inputs of TARGET
# (default: from the path, fuzz-work/<engine>-<target>/ or
# corpus/<target>/, else main).
#
# Without CORPUS, a second summary follows, clearly labelled: the
# committed corpora plus the C unit tests (ctest's tests/test_*.c, not the
# planted suite) run by the same build, their profiles merged with the
# corpus's. Paths only a failure reaches (the shadow's mismatch reports,
# harness/report.c, the checkers' corruption branches) cannot be reached by
# a passing seed; the unit tests corrupt state on purpose. The first
# summary, the corpus alone, is the one the coverage goals are about.
#
# A third summary adds the planted seeds on their planted tools, and the
# plant audit lists the shadow's report sites no planted fault reaches
# (see the end of this file).
#
# Environment: BUILD=build/coverage, LLVM_COV=llvm-cov-14,
# LLVM_PROFDATA=llvm-profdata-14, QUIET=1 (summary lines only), CORPUS,
# TARGET, UNITS=0 (no second summary), PLANTED=0 (no third summary, no
# audit).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD:-build/coverage}
cov=${LLVM_COV:-llvm-cov-14}
profdata=${LLVM_PROFDATA:-llvm-profdata-14}
prof=$build/profiles
html=$build/html
for t in "$cov" "$profdata"; do
	command -v "$t" >/dev/null || { echo "coverage: $t not found (tools/ensure-deps.sh coverage)" >&2; exit 2; }
done
rm -rf "$prof" "$html" "$build/html-units"
mkdir -p "$prof"

objects=()
corpus=${CORPUS:-}
target=${TARGET:-}
if [ -n "$corpus" ]; then
	[ -d "$corpus" ] || { echo "coverage: CORPUS=$corpus is not a directory" >&2; exit 2; }
	if [ -z "$target" ]; then
		target=main
		for t in main buddy mmu rbtree; do
			case "/$corpus/" in */fuzz-work/*-"$t"/*|*/corpus/"$t"/*|*/crashes/"$t"/*) target=$t ;; esac
		done
	fi
fi
run() { # run BIN ARGS...: profiles merged per binary (%4m)
	LLVM_PROFILE_FILE="$prof/cov-%4m.profraw" "$@" >/dev/null 2>"$prof/last.err" || {
		echo "coverage: $* failed:" >&2; tail -n 20 "$prof/last.err" >&2; exit 1; }
}
if [ -n "$corpus" ]; then
	# A job's corpus may hold failing inputs: their verdicts are printed,
	# the coverage is still what the whole corpus reached.
	n=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	echo "coverage: $n inputs of $corpus, target $target"
	if [ "$target" = main ]; then
		LLVM_PROFILE_FILE="$prof/cov-%4m.profraw" "$build/vmfuzz" replay -q --target main "$corpus" >"$prof/corpus.log" 2>&1 || true
		objects+=("$build/vmfuzz")
	else
		LLVM_PROFILE_FILE="$prof/cov-%4m.profraw" "$build/fuzz_${target}_replay" "$corpus" >"$prof/corpus.log" 2>&1 || true
		objects+=("$build/fuzz_${target}_replay")
	fi
	tail -n 1 "$prof/corpus.log"
elif [ -x "$build/vmfuzz" ]; then
	args=("$build/corpus/main")
	[ -d crashes/main ] && args+=(crashes/main)
	# The binary seeds as the fuzzers run them, the text seeds through the
	# parser with their traces (-v) and through the encoder (what the
	# build does to each), and the state dumps the tool prints for every
	# seed.
	run "$build/vmfuzz" replay -q "${args[@]}"
	run "$build/vmfuzz" replay -v corpus/main
	for f in corpus/main/*.txt; do
		run "$build/vmfuzz" encode "$f" -o "$prof/encoded.bin"
	done
	# The placement policies' text programs (policy= modern, nextfit,
	# all; ctest placement_replay) are committed seeds of the main target.
	[ -d corpus/placement ] && run "$build/vmfuzz" replay -v corpus/placement
	for f in "$build"/corpus/main/*.bin; do
		[ -f "$f" ] || continue
		run "$build/vmfuzz" vmallocinfo "$f"
		run "$build/vmfuzz" ptdump "$f"
		run "$build/vmfuzz" decode "$f"
	done
	objects+=("$build/vmfuzz")
fi
for r in "$build"/fuzz_*_replay; do
	[ -x "$r" ] && [ -z "$corpus" ] || continue
	t=$(basename "$r"); t=${t#fuzz_}; t=${t%_replay}
	[ "$t" = main ] && continue # replayed above, through the tool
	args=("$build/corpus/$t")
	[ -d "crashes/$t" ] && args+=("crashes/$t")
	run "$r" "${args[@]}"
	objects+=("$r")
done
[ ${#objects[@]} -gt 0 ] || { echo "coverage: nothing built in $build" >&2; exit 2; }

"$profdata" merge -sparse "$prof"/*.profraw -o "$prof/merged.profdata"
objargs=("${objects[0]}")
for o in "${objects[@]:1}"; do objargs+=(-object "$o"); done
sources=()
for d in lib harness; do
	while IFS= read -r f; do sources+=("$PWD/$f"); done < <(find "$d" -name '*.c' | sort)
done

"$cov" show -format=html -output-dir="$html" -show-branches=count \
	-instr-profile="$prof/merged.profdata" "${objargs[@]}" "${sources[@]}" >/dev/null
"$cov" report -show-branch-summary -instr-profile="$prof/merged.profdata" \
	"${objargs[@]}" "${sources[@]}" >"$build/coverage-report.txt"

# Per-directory totals from the per-file table: columns are Regions,
# Missed, Cover, Functions, Missed, Executed, Lines, Missed, Cover,
# Branches, Missed, Cover.
summ() { # summ DIR [REPORT]
	# llvm-cov strips the file names' common prefix: a row belongs to DIR
	# when one of DIR's sources ends with "/<row name>".
	awk -v dir="$1/" -v files="$(printf '%s\n' "${sources[@]}")" '
	BEGIN { n = split(files, f, "\n") }
	NF >= 13 && $1 != "Filename" && $1 != "TOTAL" {
		mine = 0
		for (i = 1; i <= n; i++) {
			l = length($1)
			if (index(f[i], "/" dir) && substr(f[i], length(f[i]) - l) == "/" $1) mine = 1
		}
		if (mine) { lines += $8; lmiss += $9; br += $11; bmiss += $12 }
	}
	END {
		lc = lines ? 100 * (lines - lmiss) / lines : 0
		bc = br ? 100 * (br - bmiss) / br : 0
		printf "%-9s lines %6.2f%% (%d/%d)   branches %6.2f%% (%d/%d)\n", dir,
			lc, lines - lmiss, lines, bc, br - bmiss, br
	}' "${2:-$build/coverage-report.txt}"
}
if [ -n "$corpus" ]; then
	echo "== coverage of $corpus (target $target)"
else
	echo "== coverage of the committed corpora (corpus/, crashes/)"
fi
[ "${QUIET:-0}" = 1 ] || grep -vE '^(-|Filename|TOTAL)' "$build/coverage-report.txt" |
	awk 'NF >= 13 { n = split($1, p, "/"); printf "  %-24s lines %7s  branches %7s\n", p[n-1] "/" p[n], $10, $13 }'
summ lib
summ harness
echo "HTML report: $html/index.html"

# The second summary: the corpus's profiles plus the unit tests'.
[ -z "$corpus" ] && [ "${UNITS:-1}" != 0 ] || exit 0
uprof=$build/profiles-units
rm -rf "$uprof"
mkdir -p "$uprof"
units=()
for src in tests/test_*.c; do
	t=$(basename "$src" .c)
	[ -x "$build/$t" ] && units+=("$t")
done
[ ${#units[@]} -gt 0 ] || { echo "coverage: no unit test built in $build" >&2; exit 1; }
re=$(printf '%s|' "${units[@]}")
LLVM_PROFILE_FILE="$PWD/$uprof/unit-%4m.profraw" ctest --test-dir "$build" \
	--parallel 2 -R "^(${re%|})\$" >"$uprof/ctest.log" 2>&1 || {
	echo "coverage: unit tests failed under $build:" >&2; tail -n 20 "$uprof/ctest.log" >&2; exit 1; }
"$profdata" merge -sparse "$prof/merged.profdata" "$uprof"/*.profraw -o "$uprof/merged.profdata"
for t in "${units[@]}"; do objargs+=(-object "$build/$t"); done
"$cov" report -show-branch-summary -instr-profile="$uprof/merged.profdata" \
	"${objargs[@]}" "${sources[@]}" >"$build/coverage-report-units.txt"
"$cov" show -format=html -output-dir="$build/html-units" -show-branches=count \
	-instr-profile="$uprof/merged.profdata" "${objargs[@]}" "${sources[@]}" >/dev/null
echo "== second summary, NOT the corpus figures: the committed corpora plus ${#units[@]} unit tests (tests/test_*.c)"
summ lib "$build/coverage-report-units.txt"
summ harness "$build/coverage-report-units.txt"
echo "per file: $build/coverage-report-units.txt, HTML: $build/html-units/index.html"

# The third summary and the plant audit: the planted seeds
# (tests/planted/<NAME>.txt), each replayed by a copy of this build's tool
# with its own fault planted (tools/plant-build.sh: the plant's files
# recompiled against this build, seconds each). Every seed must fail, so
# this reaches the shadow's mismatch reports and harness/report.c that no
# passing seed can. Then, from the planted runs alone: every `sh_fail(`
# call site of harness/ (a check's report) that no planted fault reached,
# with whether a unit test (test_shadow_fires) reached it. PLANTED=0
# skips this part.
[ "${PLANTED:-1}" != 0 ] || exit 0
pprof=$build/profiles-planted
rm -rf "$pprof"
mkdir -p "$pprof"
seeds=0 caught=0 skipped=()
for seed in tests/planted/*.txt; do
	name=$(basename "$seed" .txt)
	out=$build/planted/$name
	st=0
	tools/plant-build.sh "$name" "$build" "$out" vmfuzz_cli >"$pprof/$name.build.log" 2>&1 || st=$?
	if [ "$st" = 3 ]; then
		# A plant in a header: a whole coverage build of its own.
		st=0
		{ cmake --preset coverage -B "$out/full" -DVMF_PLANT="$name" &&
			cmake --build "$out/full" --target vmfuzz_cli &&
			cp "$out/full/vmfuzz" "$out/vmfuzz"; } >>"$pprof/$name.build.log" 2>&1 || st=$?
	fi
	if [ "$st" != 0 ]; then
		skipped+=("$name")
		continue
	fi
	seeds=$((seeds + 1))
	# Status 1: the seed failed (what a planted fault must do).
	LLVM_PROFILE_FILE="$PWD/$pprof/plant-$name-%4m.profraw" "$out/vmfuzz" replay -q "$seed" \
		>"$pprof/$name.log" 2>&1 && continue
	caught=$((caught + 1))
done
[ "$seeds" -gt 0 ] || { echo "coverage: no planted tool built (logs in $pprof)" >&2; exit 1; }
"$profdata" merge -sparse "$pprof"/plant-*.profraw -o "$pprof/planted.profdata"
"$profdata" merge -sparse "$prof/merged.profdata" "$pprof/planted.profdata" -o "$pprof/merged.profdata"
objargs=("$build/vmfuzz")
for o in "${objects[@]}"; do [ "$o" = "$build/vmfuzz" ] || objargs+=(-object "$o"); done
# A planted file's functions differ from this build's (their hash): their
# counts are dropped with a warning each, the rest merge.
"$cov" report -show-branch-summary -instr-profile="$pprof/merged.profdata" \
	"${objargs[@]}" "${sources[@]}" >"$build/coverage-report-planted.txt" 2>"$pprof/report.err"
echo "== third summary, NOT the corpus figures: the committed corpora plus $seeds planted seeds on their planted tools ($caught failed as they must)"
[ ${#skipped[@]} -eq 0 ] || echo "  not built (see $pprof/<NAME>.build.log): ${skipped[*]}"
summ lib "$build/coverage-report-planted.txt"
summ harness "$build/coverage-report-planted.txt"
echo "per file: $build/coverage-report-planted.txt"
# The audit: sh_fail( sites by execution count, planted runs alone, and
# with the unit tests' profile (when the second summary made one).
site_counts() { # PROFDATA: "file:line count" for every sh_fail( line
	"$cov" show -instr-profile="$1" "$build/vmfuzz" -show-line-counts \
		"${sources[@]}" 2>/dev/null | awk '
	/^\/.*\.c:$/ { file = substr($0, 1, length($0) - 1); sub(".*/harness/", "harness/", file); next }
	/sh_fail\(/ && $0 !~ /^ *[0-9]+\| *\|/ {
		split($0, c, "|"); n = c[2]; gsub(/ /, "", n)
		ln = c[1]; gsub(/ /, "", ln)
		if (file ~ /^harness\// && c[3] !~ /^ *(int|static|\/\*|\*)/) print file ":" ln, (n == "" ? "-" : n)
	}'
}
site_counts "$pprof/planted.profdata" >"$pprof/sites-planted.txt"
units_prof=$build/profiles-units/merged.profdata
if [ -f "$units_prof" ]; then
	site_counts "$units_prof" >"$pprof/sites-units.txt"
else
	: >"$pprof/sites-units.txt"
fi
awk 'NR == FNR { u[$1] = $2; next }
	{ n++; if ($2 != "0") p++; else { miss++; printf "  %s%s\n", $1, (($1 in u) && u[$1] != "0" ? " (a unit test fires it)" : "") > "/dev/stderr" } }
	END { printf "shadow reports (sh_fail sites): %d; reached by a planted fault: %d; not: %d\n", n, p, miss }' \
	"$pprof/sites-units.txt" "$pprof/sites-planted.txt" 2>"$build/plant-audit.txt"
echo "sites no planted fault reaches: $build/plant-audit.txt"
