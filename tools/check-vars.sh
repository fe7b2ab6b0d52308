#!/usr/bin/env bash
# Checks the variables of a make target before anything is built or run:
# a bad value stops with a message naming the variable and what it takes.
#   tools/check-vars.sh fuzz|fuzz-afl|corpus-min|coverage
# reads FUZZ_SECONDS, JOBS, PROGRESS_SECONDS, TARGET, ENGINE, CORPUS from
# the environment (unset: the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
# num NAME VALUE MIN MAX: a plain decimal number in [MIN, MAX].
num() {
	local name=$1 v=$2 min=$3 max=$4
	if ! [[ "$v" =~ ^[0-9]{1,9}$ ]]; then
		echo "$name='$v': a whole number of $5 is wanted ($min to $max)" >&2
		bad=1
	elif (( 10#$v < min || 10#$v > max )); then
		echo "$name=$v: out of range, $min to $max $5" >&2
		bad=1
	fi
}
targets() { local f; for f in fuzz/fuzz_*.c; do f=${f#fuzz/fuzz_}; printf '%s ' "${f%.c}"; done; }
target() {
	local t=${TARGET:-main}
	case " $(targets)" in
	*" $t "*) ;;
	*) echo "TARGET='$t' is not a fuzz target; valid: $(targets)(fuzz/fuzz_<TARGET>.c)" >&2; bad=1 ;;
	esac
}
case "${1:-}" in
fuzz|fuzz-afl)
	num FUZZ_SECONDS "${FUZZ_SECONDS-300}" 1 31536000 seconds
	num JOBS "${JOBS-2}" 1 256 "fuzzing processes"
	num PROGRESS_SECONDS "${PROGRESS_SECONDS-5}" 1 3600 "seconds between progress lines"
	target ;;
corpus-min)
	target
	case "${ENGINE:-libfuzzer}" in libfuzzer|afl) ;; *) echo "ENGINE='${ENGINE}': libfuzzer or afl" >&2; bad=1 ;; esac ;;
coverage)
	if [ -n "${CORPUS:-}" ] && [ ! -d "$CORPUS" ]; then
		echo "CORPUS='$CORPUS' is not a directory" >&2; bad=1
	fi
	[ -z "${CORPUS:-}" ] || target ;;
*) echo "usage: tools/check-vars.sh fuzz|fuzz-afl|corpus-min|coverage" >&2; exit 2 ;;
esac
[ "$bad" = 0 ] || { echo "make ${1}: nothing was run (see docs/fuzzing.md)" >&2; exit 2; }
