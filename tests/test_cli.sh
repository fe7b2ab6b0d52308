#!/usr/bin/env bash
# The vmfuzz tool end to end, on the committed main corpus.
#   tests/test_cli.sh VMFUZZ SCRATCH_DIR
set -euo pipefail
cli=$1
scratch=$2
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$scratch"
mkdir -p "$scratch/bin" "$scratch/txt"
fails=0
fail() { echo "test_cli: FAIL: $*" >&2; fails=$((fails + 1)); }
expect_rc() { # RC CMD...
	local want=$1 rc=0
	shift
	"$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
	[ "$rc" = "$want" ] || { fail "$* exited $rc, expected $want"; sed 's/^/    /' "$scratch/err" >&2; }
}

# Usage.
expect_rc 0 "$cli" --help
grep -q "minimize CRASH -o OUT" "$scratch/out" || fail "--help does not list minimize"
expect_rc 2 "$cli"
expect_rc 2 "$cli" frobnicate
expect_rc 2 "$cli" encode "$src/corpus/main/cmd_data.txt"
expect_rc 2 "$cli" replay "$scratch/does-not-exist"

# encode -> decode -> encode is a fixed point; decode prints the text.
n=0
for t in "$src"/corpus/main/*.txt; do
	b=$(basename "$t" .txt)
	case "$b" in min-*) continue ;; esac
	"$cli" encode "$t" -o "$scratch/bin/$b.bin" || { fail "encode $t"; continue; }
	"$cli" decode "$scratch/bin/$b.bin" -o "$scratch/txt/$b.txt" || { fail "decode $b.bin"; continue; }
	"$cli" encode "$scratch/txt/$b.txt" -o "$scratch/bin/$b.2" || { fail "re-encode $b"; continue; }
	cmp -s "$scratch/bin/$b.bin" "$scratch/bin/$b.2" || fail "$b: encode(decode(encode(text))) differs"
	# The printed text has the program's commands, one per line.
	want=$(grep -vE '^[[:space:]]*(#|$)' "$t" | grep -vc '^machine' || true)
	got=$(tail -n +2 "$scratch/txt/$b.txt" | grep -c . || true)
	[ "$want" = "$got" ] || fail "$b: $want commands in the text, $got decoded"
	rm -f "$scratch/bin/$b.2"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no seeds found"

# replay: a verdict per input, the summary, exit 0.
expect_rc 0 "$cli" replay "$scratch/bin"
grep -q "^replay: $n inputs: $n ok, 0 failed" "$scratch/out" || fail "replay summary: $(tail -n1 "$scratch/out")"
[ "$(grep -c '^ok ' "$scratch/out")" = "$n" ] || fail "replay: not one ok line per input"
expect_rc 0 "$cli" replay -q "$scratch/bin" "$src/corpus/main/cmd_data.txt"
[ "$(grep -c '^ok ' "$scratch/out")" = 0 ] || fail "replay -q prints ok lines"
# -v: the trace, one line per command.
expect_rc 0 "$cli" replay -v "$scratch/bin/cmd_alloc_family.bin"
grep -q '^#0 vmalloc size=2p => ' "$scratch/out" || fail "replay -v: no trace of command #0"
grep -q '^#11 vmap count=4' "$scratch/out" || fail "replay -v: no trace of command #11"
# A .txt beside a .bin of the same name is its view: replayed once.
cp "$scratch/txt/cmd_env.txt" "$scratch/bin/cmd_env.txt"
expect_rc 0 "$cli" replay "$scratch/bin"
grep -q "^replay: $n inputs" "$scratch/out" || fail "the .txt view was replayed too"
rm -f "$scratch/bin/cmd_env.txt"

# State dumps, after the whole input or after command IDX.
expect_rc 0 "$cli" vmallocinfo "$scratch/bin/cmd_alloc_family.bin" -n 0
[ "$(grep -c . "$scratch/out")" = 1 ] || fail "vmallocinfo -n 0: expected one area"
grep -q 'pages=2 vmalloc' "$scratch/out" || fail "vmallocinfo -n 0: $(cat "$scratch/out")"
expect_rc 0 "$cli" vmallocinfo "$scratch/bin/cmd_alloc_family.bin" -n 11
[ "$(grep -c . "$scratch/out")" -ge 12 ] || fail "vmallocinfo -n 11: fewer than 12 areas"
expect_rc 0 "$cli" vmallocinfo "$scratch/bin/cmd_alloc_family.bin"
[ "$(grep -c vmalloc "$scratch/out")" = 0 ] || fail "vmallocinfo at the end: areas left"
expect_rc 0 "$cli" ptdump "$scratch/bin/cmd_data.bin" -n 2
grep -q 'vmalloc() Area' "$scratch/out" || fail "ptdump: no vmalloc section"
grep -q ' PTE ' "$scratch/out" || fail "ptdump -n 2: no PTE line"
expect_rc 2 "$cli" ptdump "$scratch/bin/cmd_data.bin" -n x
expect_rc 0 "$cli" rawdump "$scratch/bin/cmd_data.bin" -n 2
grep -q '^ram 0x[0-9a-f]\{16\} 0x[0-9a-f]\{16\}$' "$scratch/out" || fail "rawdump: no ram line"
grep -q '^window 0xffff[0-9a-f]\{12\} 0x[0-9a-f]\{16\}$' "$scratch/out" || fail "rawdump: no window line"
grep -q '^table 0x' "$scratch/out" || fail "rawdump: no table"
expect_rc 2 "$cli" rawdump "$scratch/bin/cmd_data.bin" -n x
expect_rc 2 "$cli" rawdump

# triage: every seed passes.
expect_rc 0 "$cli" triage "$scratch/bin"
grep -q "^triage: $n inputs, 1 signature, $n passing" "$scratch/out" || fail "triage: $(head -n1 "$scratch/out")"
grep -q '(no failure)' "$scratch/out" || fail "triage: no (no failure) group"

# minimize refuses an input that does not fail.
expect_rc 2 "$cli" minimize "$scratch/bin/cmd_data.bin" -o "$scratch/min.bin"
grep -q 'does not fail' "$scratch/err" || fail "minimize of a passing input: $(cat "$scratch/err")"

# Binary inputs of any bytes are programs: a random-looking file replays.
head -c 600 "$src/corpus/main/tv_fix_size_alloc.txt" >"$scratch/noise.bin"
expect_rc 0 "$cli" replay "$scratch/noise.bin"

if [ "$fails" -gt 0 ]; then
	echo "test_cli: $fails failure(s)"
	exit 1
fi
echo "test_cli: $n seeds round-tripped; replay, dumps, triage, minimize OK"
