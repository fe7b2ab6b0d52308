#!/usr/bin/env bash
# make corpus-min's churn (issue 16), on a small scale: tools/corpus-min.sh
# with the libFuzzer smoke binary of this build, a scratch DEST and
# candidates taken from the committed min- inputs in two batches.
#   - a second run on the same inputs changes nothing;
#   - a run with more candidates keeps every committed input that still
#     adds a feature, and only adds;
#   - an input that adds no feature beyond the seeds is dropped, and said.
#   tests/test_corpus_min.sh BUILD_DIR SCRATCH
set -uo pipefail
build=$1 scratch=$2
src=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "test_corpus_min: FAIL: $*" >&2; exit 1; }
rm -rf "$scratch"
mkdir -p "$scratch/dest" "$scratch/c1" "$scratch/c2"
mapfile -t mins < <(ls "$src"/corpus/main/min-*.bin 2>/dev/null)
[ "${#mins[@]}" -ge 20 ] || { echo "test_corpus_min: fewer than 20 committed min- inputs: skipped"; exit 0; }
for ((i = 0; i < ${#mins[@]}; i++)); do
	if [ "$i" -lt 10 ]; then cp "${mins[$i]}" "$scratch/c1/"; elif [ "$i" -lt 25 ]; then cp "${mins[$i]}" "$scratch/c2/"; fi
done
run() { # CANDIDATE_DIRS
	BUILD=$build DEST=$scratch/dest MIN_WORK=$scratch/work CANDIDATE_DIRS=$1 EXTRA_DIRS= \
		timeout 300 "$src/tools/corpus-min.sh" >"$scratch/out" 2>&1 || { cat "$scratch/out" >&2; fail "corpus-min.sh failed"; }
}
state() { (cd "$scratch/dest" && sha1sum ./* 2>/dev/null | sort); }

run "$scratch/c1"
grep -qE 'added [1-9][0-9]*;' "$scratch/out" || fail "first run added nothing: $(tail -n 3 "$scratch/out")"
s1=$(state)
run "$scratch/c1"
grep -q 'nothing changed' "$scratch/out" || fail "second run: $(tail -n 3 "$scratch/out")"
[ "$s1" = "$(state)" ] || fail "second run changed the files"
n1=$(ls "$scratch/dest"/min-*.bin | wc -l)
run "$scratch/c1 $scratch/c2"
grep -q "kept $n1 of $n1 committed min- inputs, dropped 0" "$scratch/out" ||
	fail "a run with more candidates dropped committed inputs: $(tail -n 3 "$scratch/out")"
s2=$(state)
run "$scratch/c1 $scratch/c2"
grep -q 'nothing changed' "$scratch/out" || fail "fourth run: $(tail -n 3 "$scratch/out")"
[ "$s2" = "$(state)" ] || fail "fourth run changed the files"
# A committed input that adds nothing beyond the seeds goes.
seed=$(ls "$build"/corpus/main/*.bin | grep -v '/min-' | head -n1)
cp "$seed" "$scratch/dest/min-0000000000000000.bin"
run "$scratch/c1 $scratch/c2"
grep -q 'dropped min-0000000000000000.bin' "$scratch/out" || fail "a redundant input was not dropped: $(tail -n 4 "$scratch/out")"
[ -e "$scratch/dest/min-0000000000000000.bin" ] && fail "the redundant input is still there"
[ "$s2" = "$(state)" ] || fail "dropping one input changed the others"
echo "test_corpus_min: $n1 then $(ls "$scratch/dest"/min-*.bin | wc -l) inputs; reruns change nothing"
