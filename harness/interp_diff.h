/* The differential mode (header policy=all): the program runs once per
 * registered placement policy, each on its own machine and shadow, and
 * what must agree regardless of addresses is compared command by
 * command: which commands succeed or fail and how (the trace result with
 * addresses masked), the warnings, the data read back, the page
 * accounting (data pages: free + page-table pages). A disagreement is a
 * report with the signature diff/<field>/<command>. Known differences
 * that are real behaviour (docs/placement.md) end the comparison of that
 * pair of runs without a report.
 *
 * Harness-internal (interp.c calls it; tests call the parser and the
 * comparison directly). */
#ifndef VMFUZZ_HARNESS_INTERP_DIFF_H
#define VMFUZZ_HARNESS_INTERP_DIFF_H

#include <stdio.h>

#include "interp.h"

struct vmf_diff; /* per runner, host heap */

/* What one command left, as compared. */
struct diff_cmd {
	bool seen;
	char res[192];     /* result, addresses masked, no warn/sum */
	char warn[128];    /* warning kinds, in order */
	char data[128];    /* sum= tokens (data read back) */
	char op[32];       /* the command's name ("bad:<kind>" for bad) */
	bool fault_kmalloc; /* a kmalloc-site fault injection command */
	uint64_t acct;     /* free pages + page-table pages, after it */
	uint64_t pt;       /* page-table pages, after it */
};

/* Parse one run's trace into cmds[0, max) (lines "#i text =>result");
 * returns the commands seen (the run may have stopped early). */
size_t diff_parse_trace(const char *trace, struct diff_cmd *cmds, size_t max);

/* The first disagreement of two runs: 0 = none (or a known difference:
 * *known says why, else NULL), 1 = a report: *field, *idx. guarantee:
 * each run's placement guarantee (include/vmfuzz/placement.h). */
int diff_compare(const struct diff_cmd *a, size_t na, unsigned ga,
		 const struct diff_cmd *b, size_t nb, unsigned gb,
		 size_t *idx, const char **field, const char **known);

int interp_diff_run(struct vmf_runner *r, const struct vmf_program *prog,
		    const struct vmf_run_opts *opts, struct vmf_failure *fail);
/* The machine the last differential run left for policy 0 (legacy). */
struct vmf_machine *interp_diff_machine(struct vmf_diff *d);
void interp_diff_free(struct vmf_diff *d);

#endif
