/* Fuzz target: the whole machine (vmalloc on the MMU on the buddy
 * allocator) driven by the command language of harness/format/cmd.h and checked
 * after every command by the shadow model (harness/interp.h).
 *
 * One runner is created in LLVMFuzzerInitialize and reused: the runner
 * resets its machine per input, so nothing survives from one input to the
 * next (lib/ and harness/ keep no static state; the only static here is
 * the runner pointer). On a disagreement vmf_run_or_abort prints the
 * report, ending in "SIGNATURE: <check>/<command>", and aborts.
 *
 * The same file links with libFuzzer (-fsanitize=fuzzer), with the AFL++
 * persistent driver (fuzz/driver_afl.c) and with the plain replay driver
 * (fuzz/driver_replay.c), so an input gives the same result in all three.
 *
 * Stability (the same input covers the same edges whatever ran before):
 *  - the runner resets at the start of a run, and that reset walks what
 *    the previous input left behind; so after every input an empty
 *    program runs, which pays for this input's clean-up inside this
 *    input's own execution and leaves the same tiny state behind every
 *    time;
 *  - buffers sized by the machine's config (RAM bytes and frames, TLB
 *    entries: the machine's, and the shadow's per-frame owners, touched
 *    list and page-table keys) grow only when a bigger machine than any
 *    before comes: a warm-up program runs the largest machine of every
 *    page-size/VA layout at start-up, so no input grows them;
 *  - the runner's and the shadow's per-input arrays (areas, early areas,
 *    pending checks, collected areas) are created at their per-input
 *    maximum (harness/shadow/shadow_model.h SH_MAX_AREAS), so no input grows
 *    them either (a growth taken by the first input that needs it and
 *    by no later one is an edge AFL++ counts as unstable);
 *  - fuzz/driver_afl.c discards its own edges before each input.
 *
 * Custom mutator: fuzz_main_sm is this file built with VMF_CUSTOM_MUTATOR
 * and linked with fuzz/mutator/ (LLVMFuzzerCustomMutator/CustomCrossOver,
 * cmake/fuzz.cmake); the hooks live there, so nothing here changes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asan_options.h"
#include "interp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmf_runner *fz_runner;
static struct vmf_failure *fz_fail;

/* The header byte (0..255) of field `field` that maximises score(), on
 * top of the header h. */
static uint8_t fz_max_byte(uint8_t h[VMF_HEADER_BYTES], size_t field,
			   uint64_t (*score)(const struct vmf_config *),
			   struct vmf_program *scratch)
{
	uint8_t best = 0, save = h[field];
	uint64_t best_score = 0;

	for (unsigned b = 0; b < 256; b++) {
		h[field] = (uint8_t)b;
		vmf_decode(h, VMF_HEADER_BYTES, scratch);
		if (b == 0 || score(&scratch->cfg) > best_score) {
			best = (uint8_t)b;
			best_score = score(&scratch->cfg);
		}
	}
	h[field] = save;
	return best;
}

static uint64_t fz_ram(const struct vmf_config *c) { return c->phys_size; }
static uint64_t fz_window(const struct vmf_config *c)
{
	return c->vmalloc_end - c->vmalloc_start;
}
static uint64_t fz_nodes(const struct vmf_config *c) { return c->nr_nodes; }
static uint64_t fz_cpus(const struct vmf_config *c) { return c->nr_cpus; }
static uint64_t fz_lazy(const struct vmf_config *c) { return c->lazy_max_pages; }
static uint64_t fz_tlb(const struct vmf_config *c) { return c->tlb_entries; }

/* For every page-size/VA layout the format has: the largest RAM (the
 * descriptor and byte buffers), window, TLB, nodes and CPUs, and more
 * areas than the shadow's first array sizes, all freed lazily. Found by
 * decoding header bytes, so it follows the format as it changes. */
static void fz_warm_up(struct vmf_runner *r)
{
	static const char body[] = "vmalloc size=1p\n";
	struct vmf_program *prog = calloc(1, sizeof(*prog));
	struct vmf_program *scratch = calloc(1, sizeof(*scratch));
	size_t cap = vmf_encoded_max(), len;
	uint8_t *bytes = malloc(cap);
	char *text = malloc(256 * 24);
	char err[256];
	size_t n = 0;
	unsigned layouts[64][2];
	size_t nr_layouts = 0;

	if (!prog || !scratch || !bytes || !text) {
		fprintf(stderr, "fuzz_main: out of memory\n");
		abort();
	}
	/* 126 one-page areas, the first 63 freed (lazily) in between. */
	text[0] = 0;
	for (int i = 0; i < 63; i++)
		n += (size_t)snprintf(text + n, 256 * 24 - n, "%s", body);
	for (int i = 0; i < 63; i++)
		n += (size_t)snprintf(text + n, 256 * 24 - n, "vfree h=0\n");
	for (int i = 0; i < 63; i++)
		n += (size_t)snprintf(text + n, 256 * 24 - n, "%s", body);
	snprintf(text + n, 256 * 24 - n, "check\n");
	if (vmf_program_parse(text, prog, err, sizeof(err))) {
		fprintf(stderr, "fuzz_main: warm-up program: %s\n", err);
		abort();
	}
	len = vmf_encode(prog, bytes, cap);

	for (unsigned b0 = 0; b0 < 256 && len >= VMF_HEADER_BYTES; b0++) {
		uint8_t h[VMF_HEADER_BYTES] = {(uint8_t)b0};
		size_t k;

		vmf_decode(h, VMF_HEADER_BYTES, scratch);
		for (k = 0; k < nr_layouts; k++)
			if (layouts[k][0] == scratch->cfg.page_shift &&
			    layouts[k][1] == scratch->cfg.va_bits)
				break;
		if (k < nr_layouts || nr_layouts == 64)
			continue;
		layouts[nr_layouts][0] = scratch->cfg.page_shift;
		layouts[nr_layouts++][1] = scratch->cfg.va_bits;
		h[1] = fz_max_byte(h, 1, fz_window, scratch);
		h[2] = fz_max_byte(h, 2, fz_ram, scratch);
		h[3] = fz_max_byte(h, 3, fz_nodes, scratch);
		h[4] = fz_max_byte(h, 4, fz_cpus, scratch);
		h[5] = fz_max_byte(h, 5, fz_lazy, scratch);
		h[6] = fz_max_byte(h, 6, fz_tlb, scratch);
		memcpy(bytes, h, VMF_HEADER_BYTES);
		/* Best effort: on a library with a bug (or a planted fault)
		 * the warm-up may fail; that is for the inputs to find, not a
		 * reason to stop before the first one. */
		if (vmf_run(r, bytes, len, NULL, fz_fail) && nr_layouts == 1)
			fprintf(stderr, "fuzz_main: note: the warm-up program "
					"fails (%s); fuzzing anyway\n",
				fz_fail->signature);
	}
	vmf_run(r, NULL, 0, NULL, fz_fail);
	free(text);
	free(bytes);
	free(scratch);
	free(prog);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fz_runner)
		return 0;
	fz_runner = vmf_runner_new();
	fz_fail = calloc(1, sizeof(*fz_fail));
	if (!fz_runner || !fz_fail) {
		fprintf(stderr, "fuzz_main: cannot create the runner (out of "
				"host memory)\n");
		abort();
	}
	fz_warm_up(fz_runner);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A driver that forgot LLVMFuzzerInitialize still works. */
	if (!fz_runner)
		LLVMFuzzerInitialize(NULL, NULL);
	vmf_run_or_abort(fz_runner, data, size);
	/* This input's clean-up, now (see the top of the file). */
	vmf_run(fz_runner, NULL, 0, NULL, fz_fail);
	return 0;
}
