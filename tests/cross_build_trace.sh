#!/bin/sh
# Determinism across builds: the trace of every committed corpus input and
# saved crash must be byte-identical between two builds (make test: gcc vs
# clang, both ASan+UBSan at -O1). Usage: cross_build_trace.sh VMFUZZ_A VMFUZZ_B
set -eu
a=$1 b=$2
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in "$top/corpus/main" "$top/crashes/main"; do
	"$a" replay -v "$d" >>"$tmp/a" 2>&1 || true
	"$b" replay -v "$d" >>"$tmp/b" 2>&1 || true
done
# Identical but empty would prove nothing: the runs must have executed.
if ! grep -q ' => ' "$tmp/a"; then
	echo "cross-build traces: no command ran ($a replay -v printed no trace)"
	exit 1
fi
if ! cmp -s "$tmp/a" "$tmp/b"; then
	echo "cross-build traces differ ($a vs $b):"
	diff "$tmp/a" "$tmp/b" | head -20
	exit 1
fi
echo "cross-build traces identical: $(wc -l <"$tmp/a") lines"
