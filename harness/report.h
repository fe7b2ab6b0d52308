/* Failure reports (harness-internal): the text of struct vmf_failure and
 * its one-line signature. */
#ifndef VMFUZZ_HARNESS_REPORT_H
#define VMFUZZ_HARNESS_REPORT_H

#include "cmd.h"
#include "failure.h"

#define VMF_REPORT_HISTORY 8 /* commands shown before the failing one */
/* idx of a disagreement found before any command ran (the machine's
 * config): the signature's command part reads "setup". */
#define VMF_REPORT_SETUP ((size_t)-1)

/* Text of one command (no newline), always NUL-terminated. */
void vmf_cmd_text(const struct vmf_cmd *cmd, char *buf, size_t len);

/* Fill fail: check name, signature "<check>/<op name>", and the report:
 * the failed check, the command (index and text), details (expected and
 * actual), the commands before it, and the state summary `state` (may be
 * NULL); the report's last line is "SIGNATURE: <signature>". */
void vmf_report_build(struct vmf_failure *fail,
		      const struct vmf_program *prog, size_t idx,
		      const char *check, const char *detail,
		      const char *state);

#endif
