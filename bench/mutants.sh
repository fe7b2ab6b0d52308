#!/usr/bin/env bash
# Mutation run: each hand-written mutant of bench/mutants.txt is applied to
# a scratch copy of the tree, the release tool rebuilt (one file and a
# link), and the committed inputs replayed (corpus/main, crashes/main,
# tests/planted seeds; every other target's corpus and crashes through
# its replay driver). A mutant is killed when some input fails; the
# signatures say which check. A survivor not argued equivalent is a hole
# in the oracle or in the corpus's reach (docs/planted-faults.md
# "Mutation run"). The working tree is never touched.
#   bash bench/mutants.sh [MUTANTS_FILE]      (WORK=dir keeps the copy)
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
list=${1:-$src/bench/mutants.txt}
[ -f "$list" ] || { echo "mutants.sh: no mutant list $list" >&2; exit 2; }
work=${WORK:-$(mktemp -d /tmp/vmfuzz-mutants.XXXXXX)}
copy=$work/src
mkdir -p "$copy"
# The tree as it is (tracked and new files), without builds.
(cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) | (cd "$copy" && tar -xf -)
cd "$copy" || exit 2
# The tool and the replay drivers it runs for the narrow targets.
targets="vmfuzz_cli fuzz_mmu_replay fuzz_buddy_replay fuzz_rbtree_replay"
if ! { cmake --preset release >"$work/configure.log" 2>&1 &&
	nice cmake --build --preset release --target $targets >"$work/build.log" 2>&1; }; then
	echo "mutants.sh: the unmutated release build failed ($work/build.log)" >&2
	exit 1
fi
# Every target's committed inputs, one replay per target (the target
# follows from the path); the planted seeds are main's.
replay_all() {
	local t d
	for t in corpus/*/; do
		t=$(basename "$t")
		set -- "corpus/$t"
		for d in "crashes/$t"; do [ -d "$d" ] && set -- "$@" "$d"; done
		[ "$t" != main ] || set -- "$@" tests/planted/*.txt
		timeout 600 build/release/vmfuzz replay "$@" 2>&1
	done
}
# "N failed" summed over the targets' summary lines.
failed_of() { sed -n 's/^replay: .* \([0-9]*\) failed.*/\1/p' | awk '{s += $1} END {print s + 0}'; }
base=$(replay_all)
if [ "$(printf '%s\n' "$base" | failed_of)" != 0 ] ||
	[ "$(printf '%s\n' "$base" | grep -c '^replay: ')" != "$(ls -d corpus/*/ | wc -l)" ]; then
	echo "mutants.sh: the unmutated tree fails:" >&2
	printf '%s\n' "$base" | grep '^replay: \|^vmfuzz: ' >&2
	exit 1
fi
echo "unmutated: $(printf '%s\n' "$base" | grep -c '^replay: ') targets, $(printf '%s\n' "$base" | sed -n 's/^replay: \([0-9]*\) input.*/\1/p' | awk '{s += $1} END {print s + 0}') inputs, all pass"
n=0 killed=0 survived=0 equiv_surv=0 equiv_killed=0 unbuilt=0 unapplied=0
t0=$(date +%s)
while IFS=$'\t' read -r file expr equiv what || [ -n "$file" ]; do
	case $file in '' | '#'*) continue ;; esac
	[ "$equiv" != - ] || equiv=
	n=$((n + 1))
	cp "$file" "$work/orig"
	perl -0pi -e "$expr" "$file"
	if cmp -s "$file" "$work/orig"; then
		printf '%3d NOT APPLIED  %s (%s)\n' "$n" "$what" "$file"
		unapplied=$((unapplied + 1))
		continue
	fi
	if ! nice cmake --build --preset release --target $targets >"$work/m$n.build" 2>&1; then
		printf '%3d NOT BUILT    %s (%s, %s)\n' "$n" "$what" "$file" "$work/m$n.build"
		unbuilt=$((unbuilt + 1))
		cp "$work/orig" "$file"
		continue
	fi
	out=$(replay_all)
	cp "$work/orig" "$file"
	sigs=$(printf '%s\n' "$out" | sed -n 's/^SIGNATURE: //p' | sort | uniq -c | sort -rn | head -n 3 |
		awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
	nfail=$(printf '%s\n' "$out" | failed_of)
	if [ "${nfail:-0}" -gt 0 ]; then
		killed=$((killed + 1))
		[ -z "$equiv" ] || equiv_killed=$((equiv_killed + 1))
		printf '%3d killed       %s (%s): %s inputs, %s%s\n' "$n" "$what" "$file" "$nfail" "$sigs" \
			"$([ -z "$equiv" ] || echo "  [ARGUED EQUIVALENT: $equiv]")"
	elif [ -n "$equiv" ]; then
		equiv_surv=$((equiv_surv + 1))
		printf '%3d equivalent   %s (%s): %s\n' "$n" "$what" "$file" "$equiv"
	else
		survived=$((survived + 1))
		printf '%3d SURVIVED     %s (%s)\n' "$n" "$what" "$file"
	fi
done <"$list"
# Whatever happens, the copy's sources end unmutated for the next run.
echo "mutants: $n run in $(($(date +%s) - t0)) s: $killed killed, $survived survived (not argued equivalent), $equiv_surv argued equivalent and not killed, $equiv_killed argued equivalent but killed, $unbuilt not built, $unapplied not applied"
[ -n "${WORK:-}" ] || rm -rf "$work"
