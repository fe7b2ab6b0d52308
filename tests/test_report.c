/* Failure reports (harness/report.c): what a report holds, end to end
 * through a run whose library state is disturbed between two commands
 * (vmf_run_program_hooked, the test-only entry), and the report builder's
 * own edges: the setup and end signatures, the history window, a detail
 * longer than the report, command text in a short buffer. */
#include <stdio.h>
#include <string.h>

#include <vmfuzz/warn.h>

#include "interp_hook.h"
#include "report.h"
#include "test.h"

static struct vmf_failure fail_buf;
static struct vmf_program prog_buf;

static void parse(const char *text)
{
	char err[256];

	CHECK_EQ(vmf_program_parse(text, &prog_buf, err, sizeof(err)), 0);
}

/* The report's last line is exactly "SIGNATURE: <sig>". */
static void check_signature_last(const char *report, const char *sig)
{
	char line[200];
	size_t n = strlen(report), l;

	snprintf(line, sizeof(line), "SIGNATURE: %s\n", sig);
	l = strlen(line);
	CHECK(n >= l && strcmp(report + n - l, line) == 0);
}

/* A warning the shadow did not predict, recorded just before command
 * `at` runs: the oracle's warning check reports it at that command. */
static void warn_hook(void *arg, struct vmf_machine *m, size_t idx)
{
	if (idx == *(const size_t *)arg)
		vmf_warn(m, WARN_VMALLOC_BAD_ARG, "injected by test_report");
}

static void report_end_to_end(void)
{
	static const char text[] =
		"vmalloc size=1p\n"  /* #0 */
		"vmalloc size=2p\n"  /* #1 */
		"vmalloc size=3p\n"  /* #2 */
		"write h=0 off=0 len=8 pat=0x5a\n"
		"read h=0 off=0 len=8\n"
		"vfree h=1\n"        /* #5 */
		"purge\n"
		"vzalloc size=1p\n"
		"read h=2 off=0 len=4\n"
		"vmalloc_to_page h=0 off=0\n"
		"nop\n"              /* #10 */
		"nop\n"              /* #11: the warning lands here */
		"check\n";
	struct vmf_runner *r = vmf_runner_new();
	size_t at = 11;
	const char *rep = fail_buf.report;

	parse(text);
	CHECK_EQ(vmf_run_program_hooked(r, &prog_buf, NULL, &fail_buf,
					warn_hook, &at),
		 1);
	CHECK(fail_buf.failed);
	CHECK_EQ(fail_buf.cmd_index, 11);
	CHECK_STR(fail_buf.check, "warning");
	CHECK_STR(fail_buf.signature, "warning/nop");
	CHECK(strncmp(rep, "vmfuzz: the shadow model disagrees with the "
			   "library\ncheck:   warning\ncommand: #11 nop\n"
			   "details: ",
		      strlen("vmfuzz: the shadow model disagrees with the "
			     "library\ncheck:   warning\ncommand: #11 nop\n"
			     "details: ")) == 0);
	/* The details name the unexpected warning and its text. */
	CHECK(strstr(rep, "vmalloc_bad_arg") != NULL);
	CHECK(strstr(rep, "injected by test_report") != NULL);
	/* The history: the VMF_REPORT_HISTORY (8) commands before #11,
	 * #3..#10, in order, and nothing older. */
	CHECK(strstr(rep, "commands before it:\n  #3 write h=0 off=0 len=8 "
			  "pat=0x5a\n  #4 read h=0 off=0 len=8\n"
			  "  #5 vfree h=1\n  #6 purge\n") != NULL);
	CHECK(strstr(rep, "  #10 nop\n") != NULL);
	CHECK(strstr(rep, "  #2 ") == NULL);
	CHECK(strstr(rep, "next steps: vmfuzz prog2c|kmod|map") != NULL);
	check_signature_last(rep, "warning/nop");
	/* The same program undisturbed passes in the same runner, and a
	 * clean run clears nothing it should not: failed stays false. */
	memset(&fail_buf, 0, sizeof(fail_buf));
	CHECK_EQ(vmf_run_program(r, &prog_buf, NULL, &fail_buf), 0);
	CHECK(!fail_buf.failed);
	vmf_runner_free(r);
}

/* A disagreement at the first command has no history. */
static void report_first_command(void)
{
	struct vmf_runner *r = vmf_runner_new();
	size_t at = 0;

	parse("nop\nvmalloc size=1p\n");
	CHECK_EQ(vmf_run_program_hooked(r, &prog_buf, NULL, &fail_buf,
					warn_hook, &at),
		 1);
	CHECK_EQ(fail_buf.cmd_index, 0);
	CHECK_STR(fail_buf.signature, "warning/nop");
	CHECK(strstr(fail_buf.report, "command: #0 nop\n") != NULL);
	CHECK(strstr(fail_buf.report, "commands before it:") == NULL);
	check_signature_last(fail_buf.report, "warning/nop");
	vmf_runner_free(r);
}

/* The builder's signature for a disagreement before any command (the
 * machine's config) and after the last one. */
static void report_setup_and_end(void)
{
	parse("vmalloc size=1p\nvfree h=0\n");
	vmf_report_build(&fail_buf, &prog_buf, VMF_REPORT_SETUP, "config",
			 "lazy_max_pages: expected 8, library 9", NULL);
	CHECK(fail_buf.failed);
	CHECK_EQ(fail_buf.cmd_index, VMF_REPORT_SETUP);
	CHECK_STR(fail_buf.signature, "config/setup");
	CHECK(strstr(fail_buf.report, "command:") == NULL);
	CHECK(strstr(fail_buf.report, "commands before it:") == NULL);
	CHECK(strstr(fail_buf.report, "details: lazy_max_pages: expected 8, "
				      "library 9\n") != NULL);
	check_signature_last(fail_buf.report, "config/setup");

	/* idx == nr_cmds: the end of the program (the final checks). */
	vmf_report_build(&fail_buf, &prog_buf, prog_buf.nr_cmds, "leak",
			 "2 pages", "model: 1 area\n");
	CHECK_STR(fail_buf.signature, "leak/end");
	CHECK(strstr(fail_buf.report, "command:") == NULL);
	CHECK(strstr(fail_buf.report, "commands before it:\n  #0 vmalloc "
				      "size=1p\n  #1 vfree h=0\n") != NULL);
	CHECK(strstr(fail_buf.report, "model: 1 area\n") != NULL);
	check_signature_last(fail_buf.report, "leak/end");
}

/* A detail and a state longer than the report: the text is cut, stays
 * NUL-terminated inside the buffer, and still ends with the whole
 * signature line. */
/* The last line of a cut report is the whole signature line, newline
 * included (report.c keeps room for the line, its '\n', the NUL and a
 * '\n' before it). */
static void check_signature_last_cut(const char *report, const char *sig)
{
	char line[200];
	size_t n = strlen(report), l;

	snprintf(line, sizeof(line), "\nSIGNATURE: %s\n", sig);
	l = strlen(line);
	CHECK(n >= l && strncmp(report + n - l, line, l) == 0);
}

static void report_truncated(void)
{
	static char detail[3 * VMF_REPORT_MAX], state[VMF_REPORT_MAX];
	size_t n;

	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = 0;
	memset(state, 's', sizeof(state) - 1);
	state[sizeof(state) - 1] = 0;
	parse("vmalloc size=1p\nread h=0 off=0 len=8\n");
	vmf_report_build(&fail_buf, &prog_buf, 1, "data", detail, state);
	n = strlen(fail_buf.report);
	CHECK(n < sizeof(fail_buf.report));
	CHECK(n > VMF_REPORT_MAX / 2);
	CHECK(strstr(fail_buf.report, "command: #1 read h=0 off=0 len=8\n") !=
	      NULL);
	check_signature_last_cut(fail_buf.report, "data/read");
	/* The detail filled the rest: no state text, no next steps. */
	CHECK(strstr(fail_buf.report, "ssss") == NULL);
	CHECK(strstr(fail_buf.report, "next steps") == NULL);

	/* A state that only just does not fit. */
	vmf_report_build(&fail_buf, &prog_buf, 0, "data", "short", state);
	check_signature_last_cut(fail_buf.report, "data/vmalloc");
	CHECK(strstr(fail_buf.report, "details: short\n") != NULL);
	CHECK(strlen(fail_buf.report) < sizeof(fail_buf.report));
}

/* vmf_cmd_text: the command's text, cut to the buffer, always
 * NUL-terminated; a zero-length buffer is left alone. */
static void cmd_text_short_buffers(void)
{
	char buf[8], big[160];

	parse("vmalloc_node_range size=1p align=4p start=win+2p end=win_end "
	      "gfp=zero|nowarn prot=ro flags=no_guard node=-1\n");
	vmf_cmd_text(&prog_buf.cmds[0], big, sizeof(big));
	CHECK_STR(big, "vmalloc_node_range size=1p align=4p start=win+2p "
		       "end=win_end gfp=zero|nowarn prot=ro flags=no_guard "
		       "node=-1");
	memset(buf, 'x', sizeof(buf));
	vmf_cmd_text(&prog_buf.cmds[0], buf, sizeof(buf));
	CHECK_STR(buf, "vmalloc");
	buf[0] = 'x';
	vmf_cmd_text(&prog_buf.cmds[0], buf, 0);
	CHECK_EQ(buf[0], 'x');
	vmf_cmd_text(&prog_buf.cmds[0], buf, 1);
	CHECK_EQ(buf[0], 0);
}

TEST_MAIN(TEST(report_end_to_end), TEST(report_first_command),
	  TEST(report_setup_and_end), TEST(report_truncated),
	  TEST(cmd_text_short_buffers))
