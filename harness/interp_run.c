/* The interpreter's public entry points (interp.h, interp_hook.h): one
 * program is run once (interp.c, interp_run_one) or, with policy=all,
 * once per placement policy and compared (interp_diff.c). This file sits
 * above both, so neither calls the other's caller. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd_table.h"
#include "interp_diff.h"
#include "interp_hook.h"
#include "interp_internal.h"

void vmf_runner_free(struct vmf_runner *r)
{
	if (!r)
		return;
	interp_diff_free(r->diff);
	interp_runner_release(r);
}

struct vmf_machine *vmf_runner_machine(struct vmf_runner *r)
{
	if (r->last_diff)
		return interp_diff_machine(r->diff);
	return r->m;
}

int vmf_run_program_hooked(struct vmf_runner *r,
			   const struct vmf_program *prog,
			   const struct vmf_run_opts *opts,
			   struct vmf_failure *fail, vmf_cmd_hook hook,
			   void *arg)
{
	/* policy=all: once per policy, compared (interp_diff.c). */
	r->last_diff = vmf_header_policy(prog->header) == VMF_POLICY_ALL;
	if (r->last_diff)
		return interp_diff_run(r, prog, opts, fail);
	return interp_run_one(r, prog, opts, fail, hook, arg);
}

int vmf_run_program(struct vmf_runner *r, const struct vmf_program *prog,
		    const struct vmf_run_opts *opts, struct vmf_failure *fail)
{
	return vmf_run_program_hooked(r, prog, opts, fail, NULL, NULL);
}

int vmf_run(struct vmf_runner *r, const uint8_t *data, size_t size,
	    const struct vmf_run_opts *opts, struct vmf_failure *fail)
{
	vmf_decode(data, size, &r->prog);
	return vmf_run_program(r, &r->prog, opts, fail);
}

void vmf_run_or_abort(struct vmf_runner *r, const uint8_t *data, size_t size)
{
	if (vmf_run(r, data, size, NULL, &r->fail)) {
		fputs(r->fail.report, stderr);
		fflush(stderr);
		abort();
	}
}
