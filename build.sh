#!/bin/bash
# OSS-Fuzz / ClusterFuzzLite build script (the project's build.sh).
#
# Builds every fuzz/fuzz_<name>.c from $CC $CFLAGS, links it with $CXX
# $CXXFLAGS $LIB_FUZZING_ENGINE (whatever engine that is: libFuzzer, AFL++,
# honggfuzz, or a standalone driver) into $OUT/fuzz_<name>, and puts beside
# it fuzz_<name>.dict, fuzz_<name>.options and fuzz_<name>_seed_corpus.zip.
# The targets read no files at run time (no data to find relative to
# argv[0]); the runner finds the .dict/.options/zip beside the binary.
#
# Seeds of the main target are text programs (corpus/main/*.txt); they are
# encoded here by a host build of the vmfuzz tool (plain $CC, none of the
# fuzzing flags). $WORK (default: a temporary directory) holds objects.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CC:=clang}"
: "${CXX:=clang++}"
: "${CFLAGS:=}"
: "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE is not set (e.g. -fsanitize=fuzzer)}"
: "${OUT:?OUT is not set}"
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
obj=$WORK/vmfuzz-obj
host=$WORK/vmfuzz-host
rm -rf "$obj" "$host"
mkdir -p "$obj" "$host" "$OUT"
cd "$SRC_DIR"

# Coverage feedback from the code under test, not from the oracle
# (fuzz/coverage-ignore.txt, docs/fuzzing.md): clang reads the list from a
# flag when it instruments for coverage, AFL++ from the environment.
export AFL_LLVM_DENYLIST=$SRC_DIR/fuzz/coverage-ignore.txt
case " $CFLAGS " in
*fsanitize=fuzzer*|*fsanitize-coverage=*)
	CFLAGS="$CFLAGS -fsanitize-coverage-ignorelist=$SRC_DIR/fuzz/coverage-ignore.txt" ;;
esac

std=(-std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Ilib -Iharness -Iharness/format
	-Iharness/shadow -Ifuzz)
# shellcheck disable=SC2086
cc_obj() { $CC $CFLAGS "${std[@]}" -c "$1" -o "$2"; }

# lib/ and harness/ into one archive.
objs=()
for f in lib/*/*.c harness/*.c harness/*/*.c; do
	[ -f "$f" ] || continue
	o=$obj/$(echo "${f%.c}" | tr / _).o
	cc_obj "$f" "$o"
	objs+=("$o")
done
ar rcs "$obj/libvmfuzz.a" "${objs[@]}"

# The host tool that encodes the text seeds.
have_cli=0
if ls harness/*.c >/dev/null 2>&1 && ls tools/vmfuzz*.c >/dev/null 2>&1; then
	# shellcheck disable=SC2046
	$CC -O1 "${std[@]}" -Itools lib/*/*.c harness/*.c harness/*/*.c tools/vmfuzz*.c \
		-o "$host/vmfuzz"
	have_cli=1
fi

for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	# The target's helper sources (fuzz/<short>/*.c: its flat model, checker
	# probes, ...) with it, fuzz/<short> on the include path.
	tobjs=("$obj/$name.o")
	# shellcheck disable=SC2086
	$CC $CFLAGS "${std[@]}" -I"fuzz/$short" -c "$src" -o "$obj/$name.o"
	for h in fuzz/"$short"/*.c; do
		[ -f "$h" ] || continue
		o=$obj/${name}_$(basename "$h" .c).o
		# shellcheck disable=SC2086
		$CC $CFLAGS "${std[@]}" -I"fuzz/$short" -c "$h" -o "$o"
		tobjs+=("$o")
	done
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS "${tobjs[@]}" "$obj/libvmfuzz.a" $LIB_FUZZING_ENGINE -o "$OUT/$name"
	[ -f "fuzz/$name.dict" ] && cp "fuzz/$name.dict" "$OUT/"
	if [ -f "fuzz/$name.options" ]; then
		cp "fuzz/$name.options" "$OUT/"
	else
		printf '[libfuzzer]\n' >"$OUT/$name.options"
	fi
	# Seeds: binary as they are; text programs encoded (not their views).
	seeds=$WORK/seeds-$short
	rm -rf "$seeds"
	mkdir -p "$seeds"
	for f in corpus/"$short"/*.bin; do [ -f "$f" ] && cp "$f" "$seeds/"; done
	if [ "$have_cli" = 1 ]; then
		for f in corpus/"$short"/*.txt; do
			[ -f "$f" ] || continue
			b=$(basename "$f" .txt)
			[ -f "corpus/$short/$b.bin" ] && continue
			"$host/vmfuzz" encode "$f" -o "$seeds/$b.bin"
		done
	fi
	for f in crashes/"$short"/*.bin; do [ -f "$f" ] && cp "$f" "$seeds/crash-$(basename "$f")"; done
	rm -f "$OUT/${name}_seed_corpus.zip"
	if [ -n "$(ls -A "$seeds")" ]; then
		(cd "$seeds" && zip -q -X -r "$OUT/${name}_seed_corpus.zip" .)
	fi
	echo "build.sh: $OUT/$name ($(ls "$seeds" | wc -l) seeds)"
done
