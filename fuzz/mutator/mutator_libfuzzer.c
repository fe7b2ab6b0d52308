/* libFuzzer's custom mutator hooks over vmf_mutator.c: linked into the
 * fuzz_<target>_sm binaries (cmake/fuzz.cmake), never into the plain ones,
 * so the default binaries keep libFuzzer's own mutations.
 *
 * The byte-level fallback is libFuzzer's own (LLVMFuzzerMutate, which also
 * uses the -dict entries). libFuzzer calls LLVMFuzzerCustomCrossOver itself
 * when -cross_over=1 (the default), so the mutator's splice kind is left to
 * it here. VMF_MUTATOR_BYTES_PERCENT (0..100, default 50) sets how often
 * the byte fallback runs. The one mutator lives behind a static pointer: state in fuzz/ is
 * allowed (not in lib/ or harness/), and a libFuzzer process has one
 * mutating thread. */
#include <stdio.h>
#include <stdlib.h>

#include "vmf_mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed);

static struct vmf_mutator *lf_mutator;

static size_t lf_bytes(void *ctx, uint8_t *data, size_t size, size_t max_size)
{
	(void)ctx;
	return LLVMFuzzerMutate(data, size, max_size);
}

static struct vmf_mutator *lf_get(void)
{
	if (!lf_mutator) {
		const char *pct = getenv("VMF_MUTATOR_BYTES_PERCENT");

		lf_mutator = vmf_mutator_new(lf_bytes, NULL);
		if (!lf_mutator) {
			fprintf(stderr, "mutator: out of memory\n");
			abort();
		}
		if (pct && *pct)
			lf_mutator->bytes_percent = (unsigned)atoi(pct) % 101;
	}
	return lf_mutator;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	return vmf_mutate(lf_get(), data, size, max_size, NULL, 0, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed)
{
	return vmf_crossover(lf_get(), d1, s1, d2, s2, out, max_out, seed);
}
