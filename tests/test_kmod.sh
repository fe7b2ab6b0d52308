#!/usr/bin/env bash
# vmfuzz kmod: the module generated for every saved crash (crashes/main)
# and a few corpus programs must build against Debian's packaged kernel
# headers (linux-headers-amd64) with warnings as errors (W=1, -Werror),
# modpost included (a call the kernel does not export fails there). The
# modules are never loaded. Without headers: a SKIP line, status 0 (the
# vmap block source check below still runs and can fail).
#
# Usage: test_kmod.sh VMFUZZ SRCDIR WORKDIR
set -uo pipefail
vmfuzz=$1 src=$2 work=$3
SAMPLE=${KMOD_SAMPLE:-4}

# The vmap block programs (issue 14) and the huge-mapping ones (issue
# 15): their module source must carry every vm_map_ram, vm_unmap_ram,
# set_cpu, unmap_aliases, ioremap, iounmap and vmalloc_huge of the
# program as the kernel call, in order; an ioremap only behind
# allow_ioremap (off by default), vmalloc_huge behind its version guard;
# checked with or without kernel headers.
blocks=("$src"/corpus/main/{cmd_vm_map_ram,cmd_vm_unmap_ram,tv_vm_map_ram}.txt
	"$src"/corpus/main/vmap_block_*.txt
	"$src"/corpus/main/{cmd_ioremap,cmd_iounmap}.txt "$src"/corpus/main/ioremap_*.txt
	"$src"/corpus/main/cmd_vmalloc_huge*.txt)
# The lines the source must hold, in the program's order.
want_lines() { # program
	"$vmfuzz" decode "$1" | grep -v -E '^(machine|#)' | awk '
	{ i = NR - 1; a["count"] = a["h"] = a["dcount"] = a["cpu"] = ""
	  for (k = 2; k <= NF; k++) { split($k, kv, "="); a[kv[1]] = kv[2] } }
	$1 == "vm_map_ram" { c = a["count"] + 0; if (c > 128) c = 128
		printf "\tdo_vm_map_ram(%d, %d, node_or_any(\n", i, c }
	$1 == "vm_unmap_ram" && a["dcount"] + 0 == 0 {
		printf "\tdo_vm_unmap_ram(%d, %du);\n", i, a["h"] }
	$1 == "vm_unmap_ram" && a["dcount"] + 0 != 0 {
		printf "\t/* vm_unmap_ram with a count %d pages off\n", a["dcount"] }
	$1 == "set_cpu" { printf "\tcur_cpu = %d;\n", a["cpu"] }
	$1 == "unmap_aliases" { printf "\tvm_unmap_aliases();\n" }
	$1 == "ioremap" { printf "\tif (allow_ioremap)\n\t\tadd_ioremap(%d, \n\telse\n\t\tskip_ioremap(%d, \n", i, i }
	$1 == "iounmap" { printf "\tdo_iounmap(%d, %du);\n", i, a["h"] }
	$1 == "vmalloc_huge" { printf "\tadd(%d, HK_VMALLOC, vmfuzz_vmalloc_huge(\n", i }'
}
# The safety and version lines every module with those calls must have:
# the parameter off by default, no data through an ioremap mapping, the
# 5.18 guard of vmalloc_huge.
guard_lines() {
	printf '%s\n' '#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)' \
		'#define vmfuzz_vmalloc_huge(size, node) vmalloc_huge(size, GFP_KERNEL)' \
		'#else' '#define vmfuzz_vmalloc_huge(size, node) vmalloc_node(size, node)' \
		'static bool allow_ioremap;' 'module_param(allow_ioremap, bool, 0444);' \
		'	if (!h || is_io(cmd, h, "write")' '	if (!h || is_io(cmd, h, "read")' \
		'	if (!h || is_io(cmd, h, "vmalloc_to_page")'
}
check_source() { # program module-source: 0 when every wanted line is there in order
	local at=0 n line got=0
	while IFS= read -r line; do
		got=$((got + 1))
		n=$(awk -v from="$at" -v want="$line" 'NR > from && index($0, want) == 1 { print NR; exit }' "$2")
		[ -n "$n" ] || { echo "missing after line $at: $line"; return 1; }
		at=$n
	done < <(want_lines "$1")
	[ "$got" -gt 0 ] || { echo "no vmap block or huge-mapping command in the program"; return 1; }
	if grep -q -E '^(ioremap|iounmap|vmalloc_huge) ' <("$vmfuzz" decode "$1"); then
		at=0
		while IFS= read -r line; do
			n=$(awk -v from="$at" -v want="$line" 'NR > from && index($0, want) == 1 { print NR; exit }' "$2")
			[ -n "$n" ] || { echo "missing after line $at: $line"; return 1; }
			at=$n
		done < <(guard_lines)
		# No ioremap call outside its "if (allow_ioremap)".
		if awk '/add_ioremap\(/ && !/^static/ && prev !~ /if \(allow_ioremap\)/ { bad = 1 } { prev = $0 } END { exit !bad }' "$2"; then
			echo "an ioremap call not behind allow_ioremap"; return 1
		fi
	fi
	! grep -q 'unsupported command' "$2" || { grep -m1 'unsupported command' "$2"; return 1; }
}
rm -rf "$work" && mkdir -p "$work" || exit 2
src_fails=0
for f in "${blocks[@]}"; do
	name=$(basename "$f" .txt)
	if ! "$vmfuzz" kmod "$f" -o "$work/src-$name" 2>"$work/src-$name.gen"; then
		echo "FAIL $f: kmod: $(cat "$work/src-$name.gen")"; src_fails=$((src_fails + 1)); continue
	fi
	if ! why=$(check_source "$f" "$work/src-$name/vmfuzz_repro.c"); then
		echo "FAIL $f: the module source: $why"; src_fails=$((src_fails + 1)); continue
	fi
	echo "ok   $f (source: $(want_lines "$f" | wc -l) block/huge calls in order)"
done

kdir=
for d in /usr/src/linux-headers-*-amd64; do
	[ -f "$d/Makefile" ] && [ -f "$d/Module.symvers" ] && kdir=$d
done
if [ -z "$kdir" ]; then
	echo "SKIP: no kernel headers under /usr/src/linux-headers-*-amd64" \
	     "(apt-get install linux-headers-amd64, or tools/ensure-deps.sh test)"
	exit $((src_fails > 0))
fi
echo "kernel headers: $kdir"
inputs=("${blocks[@]}")
for f in "$src"/crashes/main/*; do
	[ -f "$f" ] || continue
	case "$f" in *.txt) [ -f "${f%.txt}.bin" ] && continue ;; esac
	inputs+=("$f")
done
mapfile -t corpus < <(ls "$src"/corpus/main/*.txt | sort)
step=$(( ${#corpus[@]} / SAMPLE )); [ "$step" -ge 1 ] || step=1
for ((k = 0; k < ${#corpus[@]}; k += step)); do
	case " ${inputs[*]} " in *" ${corpus[k]} "*) ;; *) inputs+=("${corpus[k]}") ;; esac
done

fails=0 n=0
for f in "${inputs[@]}"; do
	n=$((n + 1))
	name=$(basename "$f"); name=${name%.*}
	dir=$work/$name
	# A policy=all program runs several machines: the generator refuses
	# it with a clear message (exit 2), which is what is checked here.
	"$vmfuzz" decode "$f" >"$work/$name.hdr" 2>/dev/null || true
	if grep -q '^machine .*policy=all' "$work/$name.hdr"; then
		if "$vmfuzz" kmod "$f" -o "$work/$name.all" 2>"$work/$name.all.err" ||
		   ! grep -q 'policy=all runs the program once per' "$work/$name.all.err"; then
			echo "FAIL $f: policy=all not refused clearly"; fails=$((fails + 1))
		else
			echo "ok   $f (policy=all refused: one machine per output)"
		fi
		continue
	fi
	if ! "$vmfuzz" kmod "$f" -o "$dir" 2>"$work/$name.gen"; then
		echo "FAIL $f: kmod: $(cat "$work/$name.gen")"; fails=$((fails + 1)); continue
	fi
	if ! make -s -C "$kdir" M="$dir" W=1 KCFLAGS=-Werror modules \
	     >"$work/$name.log" 2>&1 || [ ! -f "$dir/vmfuzz_repro.ko" ]; then
		echo "FAIL $f: the module does not build:"; grep -E 'error|ERROR|warning' "$work/$name.log" | head -20
		fails=$((fails + 1)); continue
	fi
	echo "ok   $f ($(grep -c '^	/\* #' "$dir/vmfuzz_repro.c") commands)"
done
echo "kmod: $n modules, $fails failed; ${#blocks[@]} block sources, $src_fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ] && [ "$src_fails" -eq 0 ]
