# vmfuzz front door. `make test` and `make fuzz` set up what is missing
# (Debian, apt-get as root), configure, build and run. See README.md.

FUZZ_SECONDS ?= 300
JOBS ?= 2
PROGRESS_SECONDS ?= 5
CMAKE ?= cmake
BUILD_FLAGS ?= --parallel 2

.PHONY: all test test-build fuzz fuzz-afl corpus-min coverage bench clean deps-test

all: test

deps-%:
	@tools/ensure-deps.sh $*

# Every variable a target takes is checked before anything is built
# (tools/check-vars.sh): a bad value stops with a message.
JOB_VARS = FUZZ_SECONDS='$(FUZZ_SECONDS)' JOBS='$(JOBS)' TARGET='$(TARGET)' \
	PROGRESS_SECONDS='$(PROGRESS_SECONDS)' ENGINE='$(ENGINE)' CORPUS='$(CORPUS)'
vars-%:
	@$(JOB_VARS) tools/check-vars.sh $*

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
# build/fuzz-work/<engine>-<target>/, a progress line every
# PROGRESS_SECONDS, stats.jsonl there for `vmfuzz plot`, summary at the end.
fuzz: vars-fuzz deps-fuzz
	@$(CMAKE) --preset fuzz >/dev/null
	@$(CMAKE) --build --preset fuzz $(BUILD_FLAGS)
	@$(JOB_VARS) tools/fuzz-job.sh libfuzzer

fuzz-afl: vars-fuzz-afl deps-afl
	@$(CMAKE) --preset afl >/dev/null
	@$(CMAKE) --build --preset afl $(BUILD_FLAGS)
	@$(JOB_VARS) tools/fuzz-job.sh afl

# ENGINE=libfuzzer (default: libFuzzer -merge=1 on build/fuzz) or afl
# (afl-cmin on build/afl).
ENGINE ?= libfuzzer
CORPUS_PRESET = $(if $(filter afl,$(ENGINE)),afl,fuzz)
corpus-min: vars-corpus-min deps-$(if $(filter afl,$(ENGINE)),afl,fuzz)
	@$(CMAKE) --preset $(CORPUS_PRESET) >/dev/null
	@$(CMAKE) --build --preset $(CORPUS_PRESET) $(BUILD_FLAGS)
	@$(JOB_VARS) tools/corpus-min.sh

# CORPUS=DIR: the coverage of that corpus (a job's working corpus, e.g.
# build/fuzz-work/libfuzzer-main/corpus) for TARGET, instead of the
# committed corpora.
coverage: vars-coverage deps-coverage
	@$(CMAKE) --preset coverage >/dev/null
	@$(CMAKE) --build --preset coverage $(BUILD_FLAGS)
	@$(JOB_VARS) tools/coverage.sh

bench: deps-bench
	@$(CMAKE) --preset release >/dev/null
	@$(CMAKE) --build --preset release $(BUILD_FLAGS)
	@tools/bench.sh

clean:
	rm -rf build
