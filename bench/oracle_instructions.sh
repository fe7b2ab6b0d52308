#!/usr/bin/env bash
# The oracle's overhead in instructions: `bench_oracle --passes` under
# valgrind (callgrind's instruction count), checked passes over unchecked
# passes with the loading taken off both. Unlike bench_oracle's time ratio
# it does not move with the load of a shared machine, so it can tell
# changes of a few percent apart; it weighs a cache miss like any
# instruction, so it is not the time ratio (docs/fuzzing.md, "Oracle
# overhead"). Prints
#   oracle overhead (instructions): R  (checked C M, unchecked U M a pass)
# or a note and status 0 when valgrind is missing (never fails a build).
#   bench/oracle_instructions.sh [BENCH_ORACLE] [PATHS...]
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/bench_oracle}
shift || true
if ! command -v valgrind >/dev/null 2>&1; then
	echo "oracle_instructions: valgrind not installed (apt-get install valgrind): skipped"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "oracle_instructions: no $bin (build the release preset first)" >&2
	exit 1
fi
count() { # side paths... -> instructions
	local side=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$bin" --passes "$side" "$@" 2>&1 >/dev/null |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
none=$(count none "$@") on=$(count checked "$@") off=$(count unchecked "$@")
if [ -z "$none" ] || [ -z "$on" ] || [ -z "$off" ] || [ "$off" -le "$none" ]; then
	echo "oracle_instructions: valgrind gave no count" >&2
	exit 1
fi
awk -v n="$none" -v a="$on" -v b="$off" 'BEGIN {
	printf "oracle overhead (instructions): %.3f  (checked %.1f M, unchecked %.1f M a pass)\n",
	       (a - n) / (b - n), (a - n) / 3e6, (b - n) / 3e6 }'
