/* Fuzz target: a placement policy of one's own, fuzzed against the shadow
 * model (docs/placement.md). Decode the input as fuzz_main does, force
 * the policy to the worked example (next-fit with a roving cursor), run.
 * The shadow checks every placement against the generic rules (inside
 * [vstart, vend), aligned, no overlap, guard kept, overflow only when no
 * hole fits, as VMF_PLACE_ANY_FIT without the overflow flag promises)
 * and everything else it checks for any policy.
 *
 * To fuzz another policy: copy this file and change FZ_POLICY. The only
 * static state is the runner and the program buffer (fuzz/, not lib/). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asan_options.h"
#include "cmd.h"
#include "cmd_table.h"
#include "interp.h"

#define FZ_POLICY VMF_POLICY_NEXTFIT

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmf_runner *fz_runner;
static uint8_t *fz_buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fz_runner)
		return 0;
	fz_runner = vmf_runner_new();
	fz_buf = malloc(vmf_encoded_max() + 64);
	if (!fz_runner || !fz_buf) {
		fprintf(stderr, "fuzz_nextfit: out of host memory\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t h[VMF_HEADER_BYTES] = {0};

	if (!fz_runner)
		LLVMFuzzerInitialize(NULL, NULL);
	/* The input with its policy byte forced (a short input gets the
	 * rest of its header zero, as vmf_decode reads it). */
	if (size > vmf_encoded_max() + 64)
		size = vmf_encoded_max() + 64;
	if (size < VMF_HEADER_BYTES) {
		memcpy(h, data, size);
		data = h;
		size = VMF_HEADER_BYTES;
	}
	memcpy(fz_buf, data, size);
	fz_buf[HF_POLICY] = vmf_hfield_byte(HF_POLICY, FZ_POLICY);
	vmf_run_or_abort(fz_runner, fz_buf, size);
	return 0;
}
