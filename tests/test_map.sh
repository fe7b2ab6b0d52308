#!/usr/bin/env bash
# vmfuzz map: the picture of every saved crash (crashes/main) and of a few
# corpus programs, in full, at one command (-n) and as HTML. Each SVG
# must parse as XML (python3 xml.dom.minidom) and render to a valid,
# non-empty PNG (rsvg-convert from librsvg2-bin, or ImageMagick's
# convert); bad options and indexes must be refused with status 2.
# Without a renderer: the XML checks run and a SKIP line says what was
# not rendered. The vmap block and ioremap seeds must draw what they map.
#
# Usage: test_map.sh VMFUZZ SRCDIR WORKDIR
set -uo pipefail
vmfuzz=$1 src=$2 work=$3
SAMPLE=${MAP_SAMPLE:-6}
rm -rf "$work" && mkdir -p "$work" || exit 2

render=
if command -v rsvg-convert >/dev/null 2>&1; then
	render=rsvg
elif command -v convert >/dev/null 2>&1; then
	render=convert
else
	echo "SKIP rendering: neither rsvg-convert (librsvg2-bin) nor convert" \
	     "(imagemagick) is installed; the SVGs are only parsed"
fi

fails=0 n=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# A PNG: the signature, an IHDR with a non-zero size, more than a header.
png_ok() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
ok = len(b) > 100 and b[:8] == b'\x89PNG\r\n\x1a\n' and b[12:16] == b'IHDR'
w, h = struct.unpack('>II', b[16:24]) if ok else (0, 0)
print(f"{w}x{h}, {len(b)} bytes")
sys.exit(0 if ok and w > 0 and h > 0 else 1)
PY
}

check_svg() { # FILE.svg LABEL
	local svg=$1 png=${1%.svg}.png
	python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert d.documentElement.tagName == "svg"; assert d.getElementsByTagName("rect")' "$svg" \
		|| { fail "$2: not an SVG document"; return; }
	[ -n "$render" ] || return 0
	if [ "$render" = rsvg ]; then
		rsvg-convert "$svg" -o "$png" 2>"$png.err"
	else
		convert "$svg" "$png" 2>"$png.err"
	fi || { fail "$2: $render failed: $(head -3 "$png.err")"; return; }
	info=$(png_ok "$png") || { fail "$2: not a valid PNG"; return; }
	echo "ok   $2 ($info)"
}

inputs=()
for f in "$src"/crashes/main/*; do
	[ -f "$f" ] || continue
	case "$f" in *.txt) [ -f "${f%.txt}.bin" ] && continue ;; esac
	inputs+=("$f")
done
mapfile -t corpus < <(ls "$src"/corpus/main/*.txt | sort)
step=$(( ${#corpus[@]} / SAMPLE )); [ "$step" -ge 1 ] || step=1
for ((k = 0; k < ${#corpus[@]}; k += step)); do inputs+=("${corpus[k]}"); done

for f in "${inputs[@]}"; do
	name=$(basename "$f"); name=${name%.*}
	# A policy=all program runs several machines: the generator refuses
	# it with a clear message (exit 2), which is what is checked here.
	"$vmfuzz" decode "$f" >"$work/$name.hdr" 2>/dev/null || true
	if grep -q '^machine .*policy=all' "$work/$name.hdr"; then
		if "$vmfuzz" map "$f" -o "$work/$name.all.svg" 2>"$work/$name.all.err" ||
		   ! grep -q 'policy=all runs the program once per' "$work/$name.all.err"; then
			echo "FAIL $f: policy=all not refused clearly"; fails=$((fails + 1))
		else
			echo "ok   $f (policy=all refused: one machine per output)"
		fi
		continue
	fi
	# Commands that run (a program may stop early: the page budget).
	cmds=$("$vmfuzz" replay -v "$f" | grep -c '^#[0-9]')
	[ "$cmds" -gt 0 ] || continue
	n=$((n + 1))
	"$vmfuzz" map "$f" -o "$work/$name.svg" 2>"$work/$name.err" \
		|| { fail "$f: map: $(cat "$work/$name.err")"; continue; }
	check_svg "$work/$name.svg" "$f"
	"$vmfuzz" map "$f" -n $((cmds - 1)) -o "$work/$name-last.svg" 2>"$work/$name.err" \
		|| { fail "$f: map -n $((cmds - 1)): $(cat "$work/$name.err")"; continue; }
	check_svg "$work/$name-last.svg" "$f -n $((cmds - 1))"
	"$vmfuzz" map "$f" -o "$work/$name.html" 2>"$work/$name.err" &&
		grep -q '<svg' "$work/$name.html" && grep -q '<pre>' "$work/$name.html" \
		|| fail "$f: map -o .html"
done

# vmap blocks (issue 14): vm_map_ram's areas are drawn with the kernel's
# vmallocinfo line for them, a block with its mapped pages.
blocks=("$src"/corpus/main/{cmd_vm_map_ram,tv_vm_map_ram}.txt "$src"/corpus/main/vmap_block_*.txt)
for f in "${blocks[@]}"; do
	name=blk-$(basename "$f" .txt)
	"$vmfuzz" map "$f" -o "$work/$name.svg" 2>"$work/$name.err" \
		|| { fail "$f: map: $(cat "$work/$name.err")"; continue; }
	grep -q 'vm_map_ram block' "$work/$name.svg" &&
		grep -qE 'vmallocinfo: 0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ vm_map_ram' "$work/$name.svg" &&
		grep -qE 'vmap block: [1-9][0-9]* of [0-9]+ pages mapped' "$work/$name.svg" \
		|| { fail "$f: no vm_map_ram block drawn with its vmallocinfo line"; continue; }
	check_svg "$work/$name.svg" "$f (vmap blocks)"
done
# After vmap_block_mix's #1 (count=1, then count=3 on one CPU): one block,
# 4 pages carved and mapped; count=65 above VMAP_MAX_ALLOC is a plain area.
"$vmfuzz" map "$src/corpus/main/vmap_block_mix.txt" -n 1 -o "$work/blk-mix-1.svg" 2>/dev/null &&
	[ "$(grep -c '<title>\[win+0x0, win+0x[0-9a-f]*) vm_map_ram block' "$work/blk-mix-1.svg")" = 1 ] &&
	grep -q 'vmap block: 4 of [0-9]* pages mapped' "$work/blk-mix-1.svg" \
	|| fail "vmap_block_mix -n 1: want one block at win+0x0 with 4 pages mapped"
grep -q 'vm_map_ram area' "$work/blk-cmd_vm_map_ram.svg" 2>/dev/null \
	|| fail "cmd_vm_map_ram: the 65-page vm_map_ram areas is not drawn as one"

# Huge mappings (issue 15): after ioremap_pud_block's #1, two ioremap
# areas in ioremap's colour, each titled with its vmallocinfo line; the
# first (phys PUD-aligned, 1 GiB) mapped by one PUD block, the second
# (phys one page off) by pages only. cmd_ioremap's #1: one PMD block.
f=$src/corpus/main/ioremap_pud_block.txt
if "$vmfuzz" map "$f" -n 1 -o "$work/io-pud-1.svg" 2>"$work/io.err"; then
	svg=$work/io-pud-1.svg
	[ "$(grep -cE 'vmallocinfo: 0x[0-9a-f]{16}-0x[0-9a-f]{16} +1073745920 ioremap phys=0x[0-9a-f]{16} ioremap' "$svg")" = 2 ] &&
		[ "$(grep -c '<title>1 PUD block \[win+0x[0-9a-f]*, win+0x[0-9a-f]*)</title>' "$svg")" = 1 ] &&
		grep -q 'blocks: 1 PUD, 0 PMD' "$svg" && grep -q 'blocks: 0 PUD, 0 PMD' "$svg" &&
		! grep -q 'PMD block \[' "$svg" &&
		[ "$(grep -c 'fill="#e0a030"' "$svg")" -ge 3 ] \
		|| fail "ioremap_pud_block -n 1: want two ioremap areas with their vmallocinfo lines, one PUD block"
	check_svg "$svg" "$f -n 1 (ioremap blocks)"
else
	fail "$f: map -n 1: $(cat "$work/io.err")"
fi
"$vmfuzz" map "$src/corpus/main/cmd_ioremap.txt" -n 1 -o "$work/io-pmd-1.svg" 2>/dev/null &&
	[ "$(grep -c '<title>1 PMD block \[win+0x400000, win+0x600000)</title>' "$work/io-pmd-1.svg")" = 1 ] \
	|| fail "cmd_ioremap -n 1: want one PMD block at win+0x400000"
# Refusals: status 2 and a message, never a crash.
one=${inputs[0]}
for args in "$one -o $work/x.svg -n 100000" "$one -o $work/x.svg -n -1" \
	    "$one -o $work/x.svg -n 1x" "$one" "$work/no-such-file -o $work/x.svg" \
	    "$one -o $work/x.svg --bogus" "$one -o $work/no-such-dir/x.svg"; do
	# shellcheck disable=SC2086
	"$vmfuzz" map $args >/dev/null 2>"$work/refuse.err"
	rc=$?
	if [ $rc -ne 2 ] || ! [ -s "$work/refuse.err" ]; then
		fail "vmfuzz map $args: status $rc (want 2 and a message)"
	fi
done
echo "map: $n programs, $fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]
