/* What a run that disagreed reports (struct vmf_failure): shared by the
 * interpreter's API (interp.h) and the report builder (report.h), which
 * would otherwise need each other's headers. */
#ifndef VMFUZZ_HARNESS_FAILURE_H
#define VMFUZZ_HARNESS_FAILURE_H

#include <stdbool.h>
#include <stddef.h>

#define VMF_REPORT_MAX 8192

struct vmf_failure {
	bool failed;
	size_t cmd_index;       /* the command that disagreed */
	char check[64];         /* name of the failed check */
	char signature[160];    /* "<check>/<command kind>", one line */
	char report[VMF_REPORT_MAX]; /* full human-readable report */
};

#endif
