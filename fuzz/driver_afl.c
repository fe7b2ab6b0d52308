/* AFL++ persistent-mode driver for a libFuzzer-style target.
 *
 * Built with afl-clang-fast (which defines the __AFL_* macros): the
 * target's one-time set-up (LLVMFuzzerInitialize) runs before __AFL_INIT,
 * so the deferred fork server starts from an initialised process; test
 * cases come through shared memory (__AFL_FUZZ_TESTCASE_BUF/LEN) and up
 * to VMF_AFL_LOOP inputs run per forked child (__AFL_LOOP). The target
 * resets everything per input, so AFL++ sees 100% stability.
 *
 * This file is instrumented too (it is built with afl-clang-fast, and
 * no_sanitize("coverage") does not reach AFL++'s pass), and its loop is
 * entered from before it on a child's first input and through its back
 * edge on the later ones: two different edges, which AFL++ counted as
 * unstable (on the first input it calibrates, and on every input that
 * starts a child). So each pass discards the coverage gathered so far
 * (__afl_coverage_discard: the map cleared, as afl-fuzz leaves it) right
 * before the target runs; what the map holds is the target's alone.
 *
 * Outside afl-fuzz the binary reads one input from stdin (that is what
 * afl-tmin and afl-cmin give it without @@), or runs each FILE named on
 * the command line once. Built with another compiler (no __AFL_* macros)
 * it is a plain stdin/file runner. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VMF_AFL_LOOP 10000
#define VMF_AFL_MAX_INPUT (1u << 20)

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
/* AFL++'s runtime (afl-compiler-rt, AFL++ 3.0 and later; what the
 * __AFL_COVERAGE_DISCARD() macro calls). */
void __afl_coverage_discard(void);
#endif

static int run_file(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f) {
		perror(path);
		return 1;
	}
	len = fread(buf, 1, VMF_AFL_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t filebuf[VMF_AFL_MAX_INPUT];
	int errors = 0, files = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		files++;
		errors += run_file(argv[i], filebuf);
	}
	if (files)
		return errors ? 1 : 0;

#ifdef __AFL_FUZZ_TESTCASE_LEN
	__AFL_INIT();
	{
		/* Must be read after __AFL_INIT, before the loop. */
		unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;

		while (__AFL_LOOP(VMF_AFL_LOOP)) {
			int len = __AFL_FUZZ_TESTCASE_LEN;

			/* The driver's own edges so far (see the top). */
			__afl_coverage_discard();
			LLVMFuzzerTestOneInput(buf, (size_t)len);
		}
	}
#else
	{
		size_t len = fread(filebuf, 1, VMF_AFL_MAX_INPUT, stdin);

		LLVMFuzzerTestOneInput(filebuf, len);
	}
#endif
	return 0;
}
