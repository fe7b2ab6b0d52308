/* Failure reports and signatures.
 *
 * A report names the failed check, the command (index and text), the
 * expected and actual values, the VMF_REPORT_HISTORY commands before it and
 * a summary of the model, and ends with one line
 * "SIGNATURE: <check>/<op name>" that crash triage keys on. Reports hold
 * simulated addresses only, never host pointers, so the same input gives
 * the same report in every process and build. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

void vmf_cmd_text(const struct vmf_cmd *cmd, char *buf, size_t len)
{
	FILE *f;

	if (!len)
		return;
	buf[0] = 0;
	f = fmemopen(buf, len, "w");
	if (!f)
		return;
	vmf_cmd_print(cmd, f);
	fclose(f);
	buf[len - 1] = 0;
}

/* Append to the report, truncating cleanly. */
static void put(struct vmf_failure *fail, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(struct vmf_failure *fail, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= sizeof(fail->report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(fail->report + *at, sizeof(fail->report) - *at, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*at += (size_t)n;
	if (*at > sizeof(fail->report) - 1)
		*at = sizeof(fail->report) - 1;
}

void vmf_report_build(struct vmf_failure *fail,
		      const struct vmf_program *prog, size_t idx,
		      const char *check, const char *detail,
		      const char *state)
{
	const char *opname = idx < prog->nr_cmds ?
				     vmf_op_name(prog->cmds[idx].op) :
			     idx == VMF_REPORT_SETUP ? "setup" : "end";
	size_t at = 0, first;
	char text[160];
	const char *sig_tail = "SIGNATURE: ";

	fail->failed = true;
	fail->cmd_index = idx;
	snprintf(fail->check, sizeof(fail->check), "%s", check);
	snprintf(fail->signature, sizeof(fail->signature), "%s/%s", check,
		 opname);

	put(fail, &at, "vmfuzz: the shadow model disagrees with the library\n");
	put(fail, &at, "check:   %s\n", check);
	if (idx < prog->nr_cmds) {
		vmf_cmd_text(&prog->cmds[idx], text, sizeof(text));
		put(fail, &at, "command: #%zu %s\n", idx, text);
	}
	put(fail, &at, "details: %s\n", detail);
	first = idx > VMF_REPORT_HISTORY ? idx - VMF_REPORT_HISTORY : 0;
	if (idx > 0 && idx <= prog->nr_cmds) {
		put(fail, &at, "commands before it:\n");
		for (size_t i = first; i < idx; i++) {
			vmf_cmd_text(&prog->cmds[i], text, sizeof(text));
			put(fail, &at, "  #%zu %s\n", i, text);
		}
	}
	if (state && *state)
		put(fail, &at, "%s", state);
	/* Where to go from a saved reproducer (docs/fuzzing.md). */
	put(fail, &at, "next steps: vmfuzz prog2c|kmod|map <input> (a C "
		       "reproducer, a kernel module, the picture)\n");
	/* The signature line always fits: leave room for it. */
	{
		/* the line, its '\n', the NUL, and a '\n' before it */
		size_t need = strlen(sig_tail) + strlen(fail->signature) + 3;

		if (at + need > sizeof(fail->report))
			at = sizeof(fail->report) - need;
		if (at > 0 && fail->report[at - 1] != '\n')
			fail->report[at++] = '\n';
		snprintf(fail->report + at, sizeof(fail->report) - at, "%s%s\n",
			 sig_tail, fail->signature);
	}
}
