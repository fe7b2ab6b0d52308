#!/usr/bin/env bash
# Installs what a make target needs on Debian, or says exactly what to
# install. Usage: tools/ensure-deps.sh test|fuzz|afl|coverage|bench
set -euo pipefail
want=("cmake:cmake" "ninja:ninja-build" "gcc:gcc" "clang:clang" "nm:binutils"
      "python3:python3")
files=()
# Optional: a test that needs one of these says SKIP when it is missing,
# so a failed install is not an error. "glob:package".
optional=()
case "${1:-test}" in
# test: the libFuzzer smoke runs and the OSS-Fuzz build check (zip).
test) want+=("zip:zip" "unzip:unzip"); files+=("asan:libclang-rt-14-dev" "fuzzer:libclang-rt-14-dev")
      # test_kmod: Debian's kernel headers; test_map: an SVG renderer.
      optional+=("/usr/src/linux-headers-*-amd64/Makefile:linux-headers-amd64"
		 "/usr/bin/rsvg-convert:librsvg2-bin") ;;
# bench: bench/fuzz_speed.sh builds the fuzz presets; bc for figures;
# valgrind for the oracle's instruction ratio (bench/oracle_instructions.sh);
# AFL++ for the minimiser comparison and the AFL++ speed (skipped if absent).
bench) want+=("bc:bc" "valgrind:valgrind"); files+=("asan:libclang-rt-14-dev" "fuzzer:libclang-rt-14-dev") ;;
fuzz) files+=("fuzzer:libclang-rt-14-dev") ;;
afl) want+=("afl-fuzz:afl++" "afl-clang-fast:afl++"); files+=("fuzzer:libclang-rt-14-dev") ;;
coverage) want+=("llvm-cov-14:llvm-14" "llvm-profdata-14:llvm-14") ;;
*) echo "ensure-deps: unknown target '$1'" >&2; exit 2 ;;
esac

missing=()
for spec in "${want[@]}"; do
	command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec##*:}")
done
# test: the CI files' check parses YAML with python3's yaml module.
if [ "${1:-test}" = test ] && command -v python3 >/dev/null 2>&1 &&
   ! python3 -c 'import yaml' 2>/dev/null; then
	missing+=(python3-yaml)
fi
# clang's runtimes: look for the archive through clang itself.
for spec in "${files[@]}"; do
	lib="libclang_rt.${spec%%:*}-x86_64.a"
	if ! command -v clang >/dev/null 2>&1 ||
	   [ ! -f "$(clang -print-resource-dir 2>/dev/null)/lib/linux/$lib" ]; then
		missing+=("${spec##*:}")
	fi
done
opt_missing=()
for spec in "${optional[@]}"; do
	compgen -G "${spec%%:*}" >/dev/null || opt_missing+=("${spec##*:}")
done
if [ ${#opt_missing[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "ensure-deps: installing ${opt_missing[*]} (optional)"
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${opt_missing[@]}" >/dev/null; } ||
			echo "ensure-deps: could not install ${opt_missing[*]}:" \
			     "the tests that need them will say SKIP" >&2
	else
		echo "ensure-deps: optional ${opt_missing[*]} missing (tests" \
		     "that need them say SKIP): sudo apt-get install ${opt_missing[*]}" >&2
	fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "ensure-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	exit 0
fi
echo "ensure-deps: missing ${missing[*]}. Install them with:" >&2
echo "  sudo apt-get install ${missing[*]}" >&2
exit 1
