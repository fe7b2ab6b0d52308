#!/bin/sh
# tools/check-layers.py must be able to fail: a small tree that breaks each
# house rule once, each breach expected in the output by name.
# Usage: check_layers_bites.sh CHECKER CC
set -eu
checker=$1 cc=${2:-cc}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/lib/kernel" "$t/lib/mm" "$t/lib/arm64" "$t/harness/shadow" \
	"$t/include/vmfuzz" "$t/obj/CMakeFiles/vmfuzz.dir/lib/kernel" \
	"$t/obj/CMakeFiles/vmfuzz.dir/lib/mm"
# include circle a.h -> b.h -> a.h
printf '#include "b.h"\n' >"$t/lib/kernel/a.h"
printf '#include "a.h"\n' >"$t/lib/kernel/b.h"
# arm64 includes an mm internal header; the shadow includes lib/ internals
printf 'int mm_internal;\n' >"$t/lib/mm/vmalloc_internal.h"
printf '#include "mm/vmalloc_internal.h"\n' >"$t/lib/arm64/pgtable.c"
printf '#include "mm/vmalloc_internal.h"\n' >"$t/harness/shadow/shadow.c"
# a .c file included
printf '#include "pgtable.c"\n' >"$t/lib/arm64/tlb.c"
# a file over 1,000 lines
i=0; while [ $i -lt 1001 ]; do echo "/* $i */"; i=$((i + 1)); done >"$t/lib/mm/long.c"
# kernel/ calling up into mm/ vmalloc
printf 'int vmalloc_thing(void);\nint kernel_fn(void) { return vmalloc_thing(); }\n' >"$t/lib/kernel/warn.c"
printf 'int vmalloc_thing(void) { return 1; }\n' >"$t/lib/mm/vmalloc.c"
"$cc" -c "$t/lib/kernel/warn.c" -o "$t/obj/CMakeFiles/vmfuzz.dir/lib/kernel/warn.c.o"
"$cc" -c "$t/lib/mm/vmalloc.c" -o "$t/obj/CMakeFiles/vmfuzz.dir/lib/mm/vmalloc.c.o"

rc=0
python3 "$checker" --root "$t" --objects "$t/obj" >"$t/out" 2>&1 || rc=$?
cat "$t/out"
[ "$rc" = 1 ] || { echo "check_layers_bites: exit $rc, want 1"; exit 1; }
for want in "include circle" "lib/arm64 may not include" \
	"harness/shadow may not include" "includes a .c file" \
	"lib/mm/long.c: 1001 lines" "lib/kernel/warn.c calls up into lib/mm/vmalloc.c"; do
	grep -q "$want" "$t/out" || { echo "check_layers_bites: missed '$want'"; exit 1; }
done
echo "check_layers_bites: every planted breach reported"
