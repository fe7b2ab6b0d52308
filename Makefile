# vmfuzz front door. `make test` and `make fuzz` set up what is missing
# (Debian, apt-get as root), configure, build and run. See README.md.

FUZZ_SECONDS ?= 300
JOBS ?= 2
CMAKE ?= cmake
BUILD_FLAGS ?= --parallel 2

.PHONY: all test test-build fuzz fuzz-afl corpus-min coverage bench clean deps-test

all: test

deps-%:
	@tools/ensure-deps.sh $*

# Builds lib/, harness/ and the tests with clang and with gcc, both under
# ASan + UBSan with warnings as errors, and runs every test with each.
test: deps-test
	@$(CMAKE) --preset dev >/dev/null
	@$(CMAKE) --build --preset dev $(BUILD_FLAGS)
	@$(CMAKE) --preset dev-gcc >/dev/null
	@$(CMAKE) --build --preset dev-gcc $(BUILD_FLAGS)
	@echo "== tests, gcc build (ASan+UBSan)"
	@ctest --preset dev-gcc --parallel 2 | tail -n 4
	@echo "== same traces from the gcc and the clang build"
	@tests/cross_build_trace.sh build/dev-gcc/vmfuzz build/dev/vmfuzz
	@echo "== tests, clang build (ASan+UBSan)"
	@ctest --preset dev --parallel 2

# Fuzzing jobs (docs/fuzzing.md): TARGET=main|buddy|mmu|rbtree, work in
# build/fuzz-work/<engine>-<target>/, summary at the end.
fuzz: deps-fuzz
	@$(CMAKE) --preset fuzz >/dev/null
	@$(CMAKE) --build --preset fuzz $(BUILD_FLAGS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) tools/fuzz-job.sh libfuzzer

fuzz-afl: deps-afl
	@$(CMAKE) --preset afl >/dev/null
	@$(CMAKE) --build --preset afl $(BUILD_FLAGS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) tools/fuzz-job.sh afl

# ENGINE=libfuzzer (default: libFuzzer -merge=1 on build/fuzz) or afl
# (afl-cmin on build/afl).
ENGINE ?= libfuzzer
CORPUS_PRESET = $(if $(filter afl,$(ENGINE)),afl,fuzz)
corpus-min: deps-$(if $(filter afl,$(ENGINE)),afl,fuzz)
	@$(CMAKE) --preset $(CORPUS_PRESET) >/dev/null
	@$(CMAKE) --build --preset $(CORPUS_PRESET) $(BUILD_FLAGS)
	@ENGINE=$(ENGINE) tools/corpus-min.sh

coverage: deps-coverage
	@$(CMAKE) --preset coverage >/dev/null
	@$(CMAKE) --build --preset coverage $(BUILD_FLAGS)
	@tools/coverage.sh

bench: deps-bench
	@$(CMAKE) --preset release >/dev/null
	@$(CMAKE) --build --preset release $(BUILD_FLAGS)
	@tools/bench.sh

clean:
	rm -rf build
