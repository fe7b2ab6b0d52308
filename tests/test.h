/* Minimal test support: CHECK records a failure and goes on; TEST_MAIN
 * runs the listed tests and ends with the plain "N passed, N failed" line
 * that CI reads. A test is a void function; it fails if any CHECK failed. */
#ifndef VMFUZZ_TEST_H
#define VMFUZZ_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_ctx {
	int failed_checks; /* in the current test */
};
extern struct test_ctx test_ctx_;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			test_ctx_.failed_checks++;                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,  \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);             \
		if (a_ != b_) {                                              \
			test_ctx_.failed_checks++;                           \
			fprintf(stderr,                                      \
				"%s:%d: CHECK_EQ failed: %s == %s "          \
				"(0x%" PRIx64 " != 0x%" PRIx64 ")\n",        \
				__FILE__, __LINE__, #a, #b, a_, b_);         \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		if (strcmp(a_, b_) != 0) {                                   \
			test_ctx_.failed_checks++;                           \
			fprintf(stderr,                                      \
				"%s:%d: CHECK_STR failed:\n--- got:\n%s\n"   \
				"--- expected:\n%s\n",                       \
				__FILE__, __LINE__, a_, b_);                 \
		}                                                            \
	} while (0)

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) {#name, name}

#define TEST_MAIN(...)                                                       \
	struct test_ctx test_ctx_;                                           \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		static const struct test_case cases[] = {__VA_ARGS__};       \
		int passed = 0, failed = 0;                                  \
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]);     \
		     i++) {                                                  \
			if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)  \
				continue;                                    \
			test_ctx_.failed_checks = 0;                         \
			cases[i].fn();                                       \
			if (test_ctx_.failed_checks) {                       \
				failed++;                                    \
				printf("FAIL %s\n", cases[i].name);          \
			} else {                                             \
				passed++;                                    \
				printf("ok   %s\n", cases[i].name);          \
			}                                                    \
		}                                                            \
		printf("%d passed, %d failed\n", passed, failed);            \
		return failed ? 1 : 0;                                       \
	}

#endif
