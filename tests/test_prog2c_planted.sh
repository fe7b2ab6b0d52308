#!/usr/bin/env bash
# prog2c on a planted fault: the reproducer of a seed that fails with an
# address the shadow predicted must print "MISMATCH: addr: expected X got
# Y" and exit 1 when linked with the planted library it was made from, and
# run clean (exit 0) when linked with the correct one. Uses the planted
# builds of the planted suite (tests/planted/run.sh builds them if
# missing) and builds the vmfuzz tool there.
#
# Usage: test_prog2c_planted.sh SRCDIR PLANTED_ROOT WORKDIR CC GENERATOR
#        LIBVMFUZZ.a(correct) [CFLAGS for the correct library...]
set -uo pipefail
src=$1 root=$2 work=$3 cc=$4 gen=$5 good=$6
shift 6
cflags=("$@")
FAULTS=${PROG2C_FAULTS:-"FIT_OFF_BY_ONE CACHE_HIT_IGNORES_ALIGN NO_RETRY_AFTER_OVERFLOW"}
rm -rf "$work" && mkdir -p "$work" || exit 2
fails=0
for name in $FAULTS; do
	seed=$src/tests/planted/$name.txt
	if ! sh "$src/tests/planted/run.sh" "$name" "$root" "$src" "$cc" "$gen" \
	     >"$work/$name.plant" 2>&1; then
		echo "FAIL $name: the planted build or its seed:"; tail -5 "$work/$name.plant"
		fails=$((fails + 1)); continue
	fi
	if ! cmake --build "$root/$name" --target vmfuzz_cli >"$work/$name.build" 2>&1; then
		echo "FAIL $name: building vmfuzz there:"; tail -5 "$work/$name.build"
		fails=$((fails + 1)); continue
	fi
	"$root/$name/vmfuzz" prog2c "$seed" -o "$work/$name.c" 2>/dev/null &&
	"$cc" -Wall -Werror -I"$src/include" "$work/$name.c" "$root/$name/libvmfuzz.a" \
		-o "$work/$name-planted" &&
	"$cc" "${cflags[@]}" -Wall -Werror -I"$src/include" "$work/$name.c" "$good" \
		-o "$work/$name-correct" ||
		{ echo "FAIL $name: prog2c or the compiler"; fails=$((fails + 1)); continue; }
	"$work/$name-planted" >"$work/$name-planted.out" 2>&1
	rc=$?
	if [ $rc -ne 1 ] || ! grep -q '^MISMATCH: addr: expected 0x[0-9a-f]* got 0x' "$work/$name-planted.out"; then
		echo "FAIL $name: on the planted library: exit $rc, no MISMATCH line:"
		tail -3 "$work/$name-planted.out"; fails=$((fails + 1)); continue
	fi
	"$work/$name-correct" >"$work/$name-correct.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || grep -q MISMATCH "$work/$name-correct.out"; then
		echo "FAIL $name: on the correct library: exit $rc:"
		tail -3 "$work/$name-correct.out"; fails=$((fails + 1)); continue
	fi
	echo "ok   $name: $(grep '^MISMATCH' "$work/$name-planted.out")"
done
[ "$fails" -eq 0 ]
