#!/usr/bin/env bash
# tools/plant-build.sh: a planted fault built into the vmfuzz tool of this
# build tree in seconds is caught by its seed, the unplanted tool passes
# the seed; bad arguments are a message and status 2, a plant the tool
# cannot take (none in lib/) status 3.
#   test_plant_build.sh SRC BUILD WORK
set -uo pipefail
src=$1 build=$2 work=$3
tool=$src/tools/plant-build.sh
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
expect_status() { # WANT CMD...
	local want=$1
	shift
	"$@" >"$work/out" 2>&1
	local st=$?
	[ "$st" = "$want" ] || { cat "$work/out"; fail "$* gave status $st, expected $want"; }
	grep -q "plant-build.sh" "$work/out" || { cat "$work/out"; fail "$*: no message"; }
}
expect_status 2 bash "$tool"
expect_status 2 bash "$tool" 'bad name' "$build" "$work/x" vmfuzz_cli
expect_status 2 bash "$tool" TLB_HIT_BLOCK_BASE "$work/no-such-dir" "$work/x" vmfuzz_cli
touch "$work/file"
expect_status 2 bash "$tool" TLB_HIT_BLOCK_BASE "$build" "$work/file" vmfuzz_cli
expect_status 3 bash "$tool" NO_SUCH_PLANT "$build" "$work/x" vmfuzz_cli

seed=$src/tests/planted/TLB_HIT_BLOCK_BASE.txt
want=$(sed -n 's/^# expect: //p' "$seed")
bash "$tool" TLB_HIT_BLOCK_BASE "$build" "$work/plant" vmfuzz_cli ||
	fail "plant-build.sh TLB_HIT_BLOCK_BASE failed"
[ -x "$work/plant/vmfuzz" ] || fail "no planted vmfuzz"
"$build/vmfuzz" replay -q "$seed" >"$work/base.log" 2>&1 ||
	{ cat "$work/base.log"; fail "the unplanted tool fails the seed"; }
"$work/plant/vmfuzz" replay -q "$seed" >"$work/plant.log" 2>&1 &&
	{ cat "$work/plant.log"; fail "the planted tool passes the seed"; }
grep -q "$want" "$work/plant.log" || { cat "$work/plant.log"; fail "no $want in the planted tool's report"; }
# The base tree's own objects are untouched.
"$build/vmfuzz" replay -q "$seed" >/dev/null 2>&1 || fail "the base tool changed"
echo "ok: planted in seconds, caught as $want"
