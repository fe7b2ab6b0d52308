#!/usr/bin/env bash
# vmfuzz triage groups failing inputs by root cause (issue 16), on a tool
# built with a planted fault (CACHE_NOT_UPDATED_ON_FREE, the planted-fault
# suite's build directory, tests/planted/run.sh): several inputs that hit
# the fault are one group named after what disagreed (the check and the
# field, cache/free_vmap_cache), with the count, the first-seen time, the
# smallest reproducer and its text form's first lines; --minimize
# minimises the representative.
#   tests/test_triage_groups.sh BUILD_ROOT CC GENERATOR SCRATCH
set -uo pipefail
root=$1 cc=$2 gen=$3 scratch=$4
src=$(cd "$(dirname "$0")/.." && pwd)
name=CACHE_NOT_UPDATED_ON_FREE
fail() { echo "test_triage_groups: FAIL: $*" >&2; exit 1; }
sh "$src/tests/planted/run.sh" "$name" "$root" "$src" "$cc" "$gen" >/dev/null ||
	fail "the planted build failed"
cmake --build "$root/$name" --target vmfuzz_cli >"$root/$name/build-cli.log" 2>&1 ||
	{ tail -n 20 "$root/$name/build-cli.log" >&2; fail "building the planted tool"; }
cli=$root/$name/vmfuzz
rm -rf "$scratch"
mkdir -p "$scratch/crashes"
seed=$src/tests/planted/$name.txt
cp "$seed" "$scratch/a.txt"
{ cat "$seed"; echo "vmalloc size=2p"; echo "vmalloc size=3p"; } >"$scratch/b.txt"
{ cat "$seed"; echo "vmalloc size=5p"; } >"$scratch/c.txt"
grep -v '^purge' "$seed" >"$scratch/ok.txt" # passes
for f in a b c ok; do
	"$cli" encode "$scratch/$f.txt" -o "$scratch/crashes/$f.bin" 2>/dev/null || fail "encode $f"
done
touch -d '2026-01-02 03:04:05' "$scratch/crashes/b.bin"
rc=0
"$cli" triage "$scratch/crashes" >"$scratch/out" 2>"$scratch/err" || rc=$?
[ "$rc" = 1 ] || fail "triage exited $rc (expected 1: inputs fail)"
cat "$scratch/out"
grep -q '^triage: 4 inputs, 2 signatures, 1 passing; 3 failing in 1 root cause' "$scratch/out" ||
	fail "summary line: $(head -n1 "$scratch/out")"
grep -qE '^\[1\] +3 x FAIL +cache/free_vmap_cache +first seen 2026-01-02 03:04:05$' "$scratch/out" ||
	fail "no group line '3 x FAIL cache/free_vmap_cache first seen 2026-01-02 03:04:05'"
grep -q '^      by command: purge 3$' "$scratch/out" || fail "no 'by command: purge 3'"
grep -q "smallest: $scratch/crashes/a.bin (" "$scratch/out" || fail "the smallest is not a.bin"
grep -q '^          | vfree h=0$' "$scratch/out" || fail "no text form lines"
grep -qE '^\[2\] +1 x ok +\(no failure\)' "$scratch/out" || fail "no passing group"
rc=0
"$cli" triage --minimize --lines 10 "$scratch/crashes" >"$scratch/out" 2>"$scratch/err" || rc=$?
[ "$rc" = 1 ] || fail "triage --minimize exited $rc"
grep -q 'after minimisation' "$scratch/out" || fail "triage --minimize: $(head -n1 "$scratch/out")"
grep -q '^      minimised: [0-9]* bytes' "$scratch/out" || fail "no minimised program"
n=$(grep -c '^          | ' "$scratch/out")
[ "$n" -ge 4 ] && [ "$n" -le 6 ] || fail "minimised program: $n text lines (the seed has 5)"
# minimize -o X.txt on a failing input: the text form only, said so.
rc=0
"$cli" minimize "$scratch/crashes/b.bin" -o "$scratch/min.txt" >"$scratch/out" 2>"$scratch/err" || rc=$?
[ "$rc" = 0 ] || fail "minimize -o min.txt exited $rc: $(cat "$scratch/err")"
grep -q "wrote $scratch/min.txt (the text form only" "$scratch/out" || fail "minimize -o min.txt: $(tail -n1 "$scratch/out")"
[ "$(grep -vc '^machine' "$scratch/min.txt")" -lt "$(grep -vcE '^(#|machine|$)' "$scratch/b.txt")" ] ||
	fail "min.txt is not smaller than b.txt"
"$cli" replay "$scratch/min.txt" >/dev/null 2>&1 && fail "min.txt does not fail"
ls "$scratch"/min.bin "$scratch"/*.tmp-* >/dev/null 2>&1 && fail "minimize -o min.txt wrote more than min.txt"
echo "test_triage_groups: OK"
