#!/usr/bin/env bash
# vmfuzz kmod: the module generated for every saved crash (crashes/main)
# and a few corpus programs must build against Debian's packaged kernel
# headers (linux-headers-amd64) with warnings as errors (W=1, -Werror),
# modpost included (a call the kernel does not export fails there). The
# modules are never loaded. Without headers: a SKIP line, status 0.
#
# Usage: test_kmod.sh VMFUZZ SRCDIR WORKDIR
set -uo pipefail
vmfuzz=$1 src=$2 work=$3
SAMPLE=${KMOD_SAMPLE:-4}

kdir=
for d in /usr/src/linux-headers-*-amd64; do
	[ -f "$d/Makefile" ] && [ -f "$d/Module.symvers" ] && kdir=$d
done
if [ -z "$kdir" ]; then
	echo "SKIP: no kernel headers under /usr/src/linux-headers-*-amd64" \
	     "(apt-get install linux-headers-amd64, or tools/ensure-deps.sh test)"
	exit 0
fi
echo "kernel headers: $kdir"
rm -rf "$work" && mkdir -p "$work" || exit 2
inputs=()
for f in "$src"/crashes/main/*; do
	[ -f "$f" ] || continue
	case "$f" in *.txt) [ -f "${f%.txt}.bin" ] && continue ;; esac
	inputs+=("$f")
done
mapfile -t corpus < <(ls "$src"/corpus/main/*.txt | sort)
step=$(( ${#corpus[@]} / SAMPLE )); [ "$step" -ge 1 ] || step=1
for ((k = 0; k < ${#corpus[@]}; k += step)); do inputs+=("${corpus[k]}"); done

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
echo "kmod: $n modules, $fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]
