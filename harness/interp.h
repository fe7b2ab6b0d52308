/* The interpreter: runs a program on a machine and on the shadow model,
 * comparing after every command.
 *
 * A runner owns one machine (reset, or reconfigured, per input: nothing
 * leaks from one input to the next), the handle table and the shadow
 * model. All of it is host heap owned by the runner; there is no static
 * state, so two runners in one process are independent. */
#ifndef VMFUZZ_HARNESS_INTERP_H
#define VMFUZZ_HARNESS_INTERP_H

#include <stdio.h>

#include "cmd.h"
#include "failure.h"

struct vmf_machine;
struct vmf_runner;

struct vmf_run_opts {
	FILE *trace;       /* non-NULL: print each command and its result */
	long stop_after;   /* run only commands [0, stop_after); -1 = all */
};

struct vmf_runner *vmf_runner_new(void);
void vmf_runner_free(struct vmf_runner *r);

/* Run one input. Returns 0 when every check agreed, 1 on the first
 * disagreement (fail filled in; the run stops there). Never aborts. */
int vmf_run(struct vmf_runner *r, const uint8_t *data, size_t size,
	    const struct vmf_run_opts *opts, struct vmf_failure *fail);
int vmf_run_program(struct vmf_runner *r, const struct vmf_program *prog,
		    const struct vmf_run_opts *opts, struct vmf_failure *fail);

/* The machine as the last run left it (for vmallocinfo / ptdump). */
struct vmf_machine *vmf_runner_machine(struct vmf_runner *r);

/* Page allocations (data and page-table pages) since the machine's reset:
 * what the page budget (cmd.h VMF_PAGE_BUDGET) counts. */
uint64_t vmf_pages_spent(const struct vmf_machine *m);

/* For fuzz targets: run, and on a failure print the report to stderr
 * (ending with "SIGNATURE: ...") and abort(). */
void vmf_run_or_abort(struct vmf_runner *r, const uint8_t *data, size_t size);

#endif
