#!/usr/bin/env bash
# The vmfuzz tool on bad input (issue 16): every case gives a clear
# message and an exit status, never a sanitizer report or a hang. Run
# under the dev presets' ASan+UBSan (halt on error), so a sanitizer report
# fails the case through its exit status and the "runtime error" check.
#   tests/test_cli_edges.sh VMFUZZ SCRATCH_DIR
set -uo pipefail
cli=$1
scratch=$2
src=$(cd "$(dirname "$0")/.." && pwd)
bdir=$(dirname "$cli")
rm -rf "$scratch"
mkdir -p "$scratch"
fails=0
fail() { echo "test_cli_edges: FAIL: $*" >&2; fails=$((fails + 1)); }
# run RC CMD...: exit status RC, no sanitizer report, within 60 s.
run() {
	local want=$1 rc=0
	shift
	timeout 60 "$@" >"$scratch/out" 2>"$scratch/err" </dev/null || rc=$?
	[ "$rc" = "$want" ] || { fail "$* exited $rc, expected $want"; sed 's/^/    /' "$scratch/err" | head -n 8 >&2; }
	if grep -qE 'runtime error|Sanitizer|SUMMARY:' "$scratch/err"; then
		fail "$*: sanitizer report"; head -n 5 "$scratch/err" >&2
	fi
}
has() { grep -qE -- "$2" "$scratch/$1" || fail "$3: '$2' not in $1: $(head -c 300 "$scratch/$1")"; }

seed=$bdir/corpus/main/cmd_data.bin
[ -f "$seed" ] || { echo "test_cli_edges: $seed missing" >&2; exit 1; }
ncmd=$("$cli" decode "$seed" | tail -n +2 | grep -c .)

# triage on an empty and on a missing directory: a clear line, exit 0.
mkdir -p "$scratch/empty"
run 0 "$cli" triage "$scratch/empty"
has out 'is empty: no crash files' "triage of an empty dir"
run 0 "$cli" triage "$scratch/missing"
has out 'does not exist' "triage of a missing dir"

# Numbers: strict everywhere.
run 2 "$cli" vmallocinfo "$seed" -n 99999999999999999999
has err 'out of range' "-n overflow"
run 2 "$cli" vmallocinfo "$seed" -n ""
has err 'wants a number' "-n empty"
run 2 "$cli" vmallocinfo "$seed" -n -1
run 2 "$cli" vmallocinfo "$seed" -n 1x
run 2 "$cli" ptdump "$seed" -n "$ncmd"
has err "has $ncmd commands" "-n past the program's end"
run 0 "$cli" vmallocinfo "$seed" -n $((ncmd - 1))
run 2 "$cli" vmallocinfo "$seed" -n
run 2 "$cli" minimize "$seed" -o "$scratch/m.bin" --timeout 0
run 2 "$cli" minimize "$seed" -o "$scratch/m.bin" --timeout 99999999999999999999999
run 2 "$cli" triage --lines abc "$scratch/empty"

# replay /dev/zero: reads what a program can use and says it cut.
max=$("$cli" --version | sed -n 's/.*at most \([0-9]*\) bytes.*/\1/p')
[ -n "$max" ] || fail "--version does not say how many bytes a program uses"
run 0 "$cli" replay /dev/zero
has err "input cut to $max bytes" "replay /dev/zero"
head -c 100000 /dev/zero >"$scratch/big.bin"
run 0 "$cli" replay "$scratch/big.bin"
has err 'input cut' "replay of a 100 kB file"
run 0 "$cli" replay "$seed"
grep -q 'cut' "$scratch/err" && fail "a seed is said to be cut"
head -c 2000000 /dev/zero | tr '\0' '#' >"$scratch/huge.txt"
run 2 "$cli" replay "$scratch/huge.txt"
has err 'text program is at most' "a huge text program"

# minimize -o: a bad directory is an error before any work, nothing
# written; "-o X.txt" is the text form (or a clear error), not the usage.
run 2 "$cli" minimize "$seed" -o /nonexistent/dir/x.bin
has err 'cannot write /nonexistent/dir/x.bin' "minimize -o into a missing dir"
grep -q '^wrote' "$scratch/out" && fail "minimize -o bad dir says wrote"
run 2 "$cli" minimize "$seed" -o "$scratch/out.txt"
grep -q '^usage' "$scratch/err" && fail "minimize -o out.txt prints the usage"
has err 'does not fail' "minimize -o out.txt of a passing input"
[ -e "$scratch/out.txt" ] && fail "minimize left $scratch/out.txt"
ls "$scratch"/*.tmp-* >/dev/null 2>&1 && fail "temporary files left behind"
run 2 "$cli" minimize "$seed" -o "$scratch"
run 2 "$cli" minimize "$seed"
has err '-o OUT is missing' "minimize without -o"

# --target: narrow inputs run through their replay binary; the target
# comes from the path, and the tool says which one ran.
for t in buddy mmu rbtree; do
	# A few inputs of the target, under a corpus/<t>/ path of their own.
	[ -d "$bdir/corpus/$t" ] && [ -x "$bdir/fuzz_${t}_replay" ] || continue
	d=$scratch/corpus/$t
	mkdir -p "$d"
	ls "$bdir/corpus/$t"/*.bin | head -n 3 | xargs -I{} cp {} "$d/"
	run 0 "$cli" replay -q "$d"
	has err "target $t \\(from the path" "replay of corpus/$t"
	has out "\\(target $t\\)" "replay summary of corpus/$t"
	f=$(ls "$d"/*.bin | head -n1)
	cp "$f" "$scratch/narrow.bin"
	run 0 "$cli" replay --target "$t" "$scratch/narrow.bin"
	has err "target $t \\(--target\\)" "replay --target $t"
	run 2 "$cli" minimize "$f" -o "$scratch/n.bin"
	has err "target $t: only main-target" "minimize of a $t input"
	run 2 "$cli" vmallocinfo "$f"
	run 0 "$cli" triage "$d"
	has out "target $t" "triage of corpus/$t"
done
run 0 "$cli" replay "$seed"
has err 'target main' "replay of a main seed"
run 2 "$cli" replay --target nope "$seed"
has err 'unknown target .nope. \(targets: main, buddy, mmu, rbtree\)' "--target nope"
run 2 "$cli" replay --target
if [ -d "$scratch/corpus/buddy" ]; then
	run 2 "$cli" replay "$scratch/corpus/buddy" "$seed"
	has err 'pass --target' "inputs of two targets"
fi

# --help per subcommand, --version with the byte format's version.
for c in replay decode encode minimize vmallocinfo ptdump rawdump triage plot; do
	run 0 "$cli" "$c" --help
	has out "^usage: vmfuzz $c" "$c --help"
done
run 0 "$cli" help triage
has out '^usage: vmfuzz triage' "help triage"
run 0 "$cli" --version
has out '^vmfuzz [0-9.]+ \(input format version [0-9]+' "--version"
fmt=$(sed -n 's/^#define VMF_FORMAT_VERSION \([0-9]*\).*/\1/p' "$src/harness/format/cmd.h")
has out "input format version $fmt," "--version names VMF_FORMAT_VERSION"
run 0 "$cli" replay --version

# plot: bad stats files are errors, never crashes.
printf 'garbage\n' >"$scratch/bad.jsonl"
run 2 "$cli" plot "$scratch/bad.jsonl" -o "$scratch/p.svg"
has err 'no data points' "plot of garbage"
run 2 "$cli" plot /dev/zero -o "$scratch/p.svg"
run 2 "$cli" plot "$scratch/missing.jsonl" -o "$scratch/p.svg"
[ -e "$scratch/p.svg" ] && fail "plot wrote an SVG from bad input"
printf '{"time":1,"execs":10,"execs_per_sec":10,"edges":5}\n' >"$scratch/one.jsonl"
run 2 "$cli" plot "$scratch/one.jsonl" -o /nonexistent/dir/p.svg

if [ "$fails" -gt 0 ]; then
	echo "test_cli_edges: $fails failure(s)"
	exit 1
fi
echo "test_cli_edges: bad input, numbers, cut inputs, minimize -o, targets, help: OK"
