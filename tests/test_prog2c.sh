#!/usr/bin/env bash
# prog2c end to end: every saved crash (crashes/main) and a sample of the
# main corpus become C reproducers (vmfuzz prog2c); each must compile
# with -Wall -Werror against the library, run clean (exit 0, no sanitizer
# report) and print the interpreter's trace: the lines of
# `vmfuzz replay -v` for the same program, read checksums aside (the
# reproducer's data= covers every byte, the trace's sum= only the bytes
# the shadow knows). A command left as a comment ("unsupported command")
# fails: every command has its generator.
#
# Usage: test_prog2c.sh VMFUZZ LIBVMFUZZ.a SRCDIR WORKDIR CC [CFLAGS...]
set -uo pipefail
vmfuzz=$1 lib=$2 src=$3 work=$4 cc=$5
shift 5
cflags=("$@")
SAMPLE=${PROG2C_SAMPLE:-12}   # corpus programs (spread over the corpus)

rm -rf "$work" && mkdir -p "$work" || exit 2
inputs=()
for f in "$src"/crashes/main/*; do
	[ -f "$f" ] || continue
	case "$f" in
	*.txt) [ -f "${f%.txt}.bin" ] && continue ;; # the view of a .bin
	esac
	inputs+=("$f")
done
mapfile -t corpus < <(ls "$src"/corpus/main/*.txt | sort)
step=$(( ${#corpus[@]} / SAMPLE )); [ "$step" -ge 1 ] || step=1
for ((k = 0; k < ${#corpus[@]}; k += step)); do inputs+=("${corpus[k]}"); done
# Always, whatever the sample: the vmap blocks (issue 14: vm_map_ram,
# vm_unmap_ram and set_cpu with blocks on several CPUs' queues) and the
# huge mappings (issue 15: ioremap by pages, PMD and PUD blocks, iounmap,
# vmalloc_huge with huge vmalloc off and on).
huge_block=$work/vmalloc_huge_block.txt
for f in "$src"/corpus/main/{cmd_vm_map_ram,cmd_vm_unmap_ram,tv_vm_map_ram}.txt \
	"$src"/corpus/main/vmap_block_*.txt \
	"$src"/corpus/main/{cmd_ioremap,cmd_iounmap,cov_ioremap_tables}.txt \
	"$src"/corpus/main/ioremap_*.txt "$src"/corpus/main/cmd_vmalloc_huge*.txt \
	"$huge_block"; do
	[ "$f" = "$huge_block" ] || [ -f "$f" ] || { echo "FAIL $f: missing"; exit 1; }
	case " ${inputs[*]} " in *" $f "*) ;; *) inputs+=("$f") ;; esac
done
# A vmalloc_huge that maps a PMD block (huge=1, 2 MiB on one node), its
# data commands, and an ioremap block beside it: the huge path itself,
# which no committed seed reaches through prog2c yet.
cat >"$huge_block" <<'PROG'
machine granule=4k va=48 window=16m ram=2048p nodes=1 cpus=2 lazy=kernel tlb=16 policy=legacy huge=1
vmalloc_huge size=0x200000 node=0
write h=0 off=1p len=64 pat=0x11
read h=0 off=1p len=64
vmalloc_to_page h=0 off=255p
access h=0 off=0 acc=w el=1
ioremap phys=dev size=0x200000 prot=kernel
read h=1 off=0 len=8
vfree h=0
iounmap h=0
purge
check
PROG

# The result lines, checksums of reads dropped, and the shadow's notes
# (known=, finding=: the reproducer has no shadow to make them).
trace_of() {
	grep -E '^(#[0-9]+ |# page budget)' |
		sed -E 's/ (sum|data)=[^ ]*//g; s/ (known|finding)=[^ ]*//g'
}

fails=0 n=0
for f in "${inputs[@]}"; do
	n=$((n + 1))
	name=$(basename "$f"); name=${name%.*}
	c=$work/$name.c exe=$work/$name
	# A policy=all program runs several machines: the generator refuses
	# it with a clear message (exit 2), which is what is checked here.
	"$vmfuzz" decode "$f" >"$work/$name.hdr" 2>/dev/null || true
	if grep -q '^machine .*policy=all' "$work/$name.hdr"; then
		if "$vmfuzz" prog2c "$f" -o "$work/$name.all.c" 2>"$work/$name.all.err" ||
		   ! grep -q 'policy=all runs the program once per' "$work/$name.all.err"; then
			echo "FAIL $f: policy=all not refused clearly"; fails=$((fails + 1))
		else
			echo "ok   $f (policy=all refused: one machine per output)"
		fi
		continue
	fi
	if ! "$vmfuzz" prog2c "$f" -o "$c" 2>"$work/$name.gen"; then
		echo "FAIL $f: prog2c: $(cat "$work/$name.gen")"; fails=$((fails + 1)); continue
	fi
	if ! "$cc" "${cflags[@]}" -Wall -Werror -I"$src/include" "$c" "$lib" \
	     -o "$exe" 2>"$work/$name.cc"; then
		echo "FAIL $f: does not compile:"; head -20 "$work/$name.cc"
		fails=$((fails + 1)); continue
	fi
	timeout 120 "$exe" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	if [ $rc -ne 0 ] || grep -q 'Sanitizer\|runtime error' "$work/$name.err"; then
		echo "FAIL $f: the reproducer exited $rc:"
		tail -5 "$work/$name.out"; head -20 "$work/$name.err"
		fails=$((fails + 1)); continue
	fi
	# Every command has a generator now: one left as a comment fails.
	if grep -q 'unsupported command' "$work/$name.gen"; then
		echo "FAIL $f: $(grep -o 'unsupported command [a-z_0-9]*' "$work/$name.gen" | sort -u | tr '\n' ' ')"
		fails=$((fails + 1)); continue
	fi
	# TEMPORARY (issue 15): while the interpreter answers a huge
	# vmalloc_huge attempt with "not run: no shadow prediction yet"
	# (VMF_HUGE_VMALLOC_SHADOW_PENDING, harness/interp_cmd_huge.c), the
	# reproducer makes the real call and the traces part from there: such
	# a program compiled and ran clean, but is not compared. Only these.
	if "$vmfuzz" replay -v "$f" 2>/dev/null | grep -q '=>.* not run: no shadow prediction yet'; then
		echo "ok   $f (compiled and ran; trace not compared: the interpreter does not run vmalloc_huge's huge attempt yet)"
		continue
	fi
	"$vmfuzz" replay -v "$f" | trace_of >"$work/$name.want"
	trace_of <"$work/$name.out" >"$work/$name.got"
	if ! diff -u "$work/$name.want" "$work/$name.got" >"$work/$name.diff"; then
		echo "FAIL $f: the reproducer's results differ from the trace:"
		head -20 "$work/$name.diff"
		fails=$((fails + 1)); continue
	fi
	echo "ok   $f ($(wc -l <"$work/$name.got") commands)"
done
echo "prog2c: $n programs, $fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]
