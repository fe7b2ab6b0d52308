/* vmfuzz: the command-line tool around the harness.
 *
 *   vmfuzz replay [-v] [-q] FILE|DIR...    verdict per input
 *   vmfuzz decode FILE [-o OUT.txt]        binary -> text form
 *   vmfuzz encode FILE.txt -o FILE         text form -> binary
 *   vmfuzz minimize CRASH -o OUT [-v] [--fork] [--timeout S]
 *   vmfuzz vmallocinfo FILE [-n IDX]       /proc/vmallocinfo after the run
 *   vmfuzz ptdump FILE [-n IDX]            kernel page tables after the run
 *   vmfuzz rawdump FILE [-n IDX]           the tables as raw descriptors
 *   vmfuzz triage [--minimize] DIR...      crash files grouped by root cause
 *   vmfuzz plot STATS -o FILE.svg          coverage and exec/s over time
 *
 * Every subcommand takes -h/--help; the ones that run inputs take
 * --target main|buddy|mmu|rbtree (default: from the path, else main).
 * An input is a binary program (what the fuzzers produce) or a text
 * program (a file ending in .txt, docs/format.md). Exit status: 0 when
 * every input passed (or the command worked), 1 when an input failed,
 * 2 on usage or I/O errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "vmfuzz.h"
#include "vmfuzz_gen.h"

#define PROGRESS_EVERY 500   /* inputs between progress lines */
#define QUIET_ABOVE 200      /* more inputs than this: only failures */

static void usage(FILE *out)
{
	fputs("usage: vmfuzz <command> [options]\n"
	      "\n"
	      "  replay [-v] [-q] FILE|DIR...  run inputs, print a verdict per input;\n"
	      "                                -v: each command and its result;\n"
	      "                                -q: failures and the summary only\n"
	      "  decode FILE [-o OUT]          print the text form of an input\n"
	      "  encode FILE.txt -o OUT        write the binary form of a text program\n"
	      "  minimize CRASH -o OUT [-v] [--fork] [--timeout S]\n"
	      "                                smallest program with the same SIGNATURE\n"
	      "                                (OUT binary, plus OUT's .txt text form)\n"
	      "  vmallocinfo FILE [-n IDX]     /proc/vmallocinfo after the input\n"
	      "                                (or after command IDX)\n"
	      "  ptdump FILE [-n IDX]          kernel page tables after the input\n"
	      "  rawdump FILE [-n IDX]         the same as raw descriptors, with the\n"
	      "                                registers, RAM and the window (docs/mmu.md)\n"
	      "  triage [--minimize] DIR...    group failing inputs by root cause\n"
	      "  plot STATS -o FILE.svg        coverage and exec/s of a job over time\n"
	      "  --version                     tool and input format version\n"
	      "  prog2c FILE -o REPRO.c        a standalone C reproducer\n"
	      "  kmod FILE -o DIR              a kernel module replaying the calls\n"
	      "  map FILE -o MAP.svg|.html [-n IDX]  the vmalloc window as a picture\n"
	      "\n"
	      "Every command: -h/--help. Commands that run inputs: --target\n"
	      "main|buddy|mmu|rbtree (default: from the path, else main).\n"
	      "Inputs: binary programs, or text programs (*.txt, docs/format.md).\n"
	      "Exit: 0 all passed, 1 an input failed, 2 usage or I/O error.\n",
	      out);
}

static struct vmf_runner *new_runner(void)
{
	struct vmf_runner *r = vmf_runner_new();

	if (!r) {
		fprintf(stderr, "vmfuzz: cannot create the runner\n");
		exit(2);
	}
	return r;
}

static struct vmf_failure *new_failure(void)
{
	struct vmf_failure *f = calloc(1, sizeof(*f));

	if (!f) {
		fprintf(stderr, "vmfuzz: out of memory\n");
		exit(2);
	}
	return f;
}

/* Run an input the way the fuzzers do: the raw bytes when it is binary. */
static void run_input(struct vmf_runner *r, const struct vmft_input *in,
		      const struct vmf_run_opts *opts, struct vmf_failure *fail,
		      struct vmft_outcome *out)
{
	if (in->is_text) {
		vmft_run_prog(r, in->prog, opts, fail, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->cmd_index = -1;
	fail->failed = false;
	if (vmf_run(r, in->bytes, in->len, opts, fail) && fail->failed) {
		out->verdict = VMFT_ORACLE;
		out->cmd_index = (long)fail->cmd_index;
		snprintf(out->signature, sizeof(out->signature), "%s",
			 fail->signature);
	}
}

/* ---- replay ------------------------------------------------------------- */

struct replay_state {
	struct vmf_runner *r;
	struct vmf_failure *fail;
	bool verbose, quiet, show_ok;
	size_t total, done, ok, failed, errors;
};

static void replay_one(struct replay_state *s, const char *path)
{
	struct vmft_input in;
	struct vmft_outcome out;
	struct vmf_run_opts opts = {NULL, -1};

	s->done++;
	if (vmft_input_load(path, &in)) {
		s->errors++;
		return;
	}
	if (s->verbose) {
		printf("== %s\n", path);
		opts.trace = stdout;
	}
	run_input(s->r, &in, s->verbose ? &opts : NULL, s->fail, &out);
	if (out.verdict == VMFT_PASS) {
		s->ok++;
		if (s->show_ok)
			printf("ok    %s (%zu commands)\n", path,
			       in.prog->nr_cmds);
	} else {
		s->failed++;
		printf("FAIL  %s: command #%ld: %s\n", path, out.cmd_index,
		       out.signature);
		if (!s->quiet) {
			fputs(s->fail->report, stdout);
			if (s->fail->report[0] &&
			    s->fail->report[strlen(s->fail->report) - 1] != '\n')
				putchar('\n');
		}
	}
	if (s->total > QUIET_ABOVE && s->done % PROGRESS_EVERY == 0)
		fprintf(stderr, "replay: %zu/%zu inputs, %zu failed\n",
			s->done, s->total, s->failed);
	vmft_input_free(&in);
}

/* A narrow target's input, through its replay binary. */
static void replay_external(struct replay_state *s, const char *bin,
			    const char *path)
{
	struct vmft_outcome out;
	char *log = NULL;

	s->done++;
	if (!vmft_is_dir(path) && access(path, R_OK)) {
		fprintf(stderr, "vmfuzz: %s: %s\n", path, strerror(errno));
		s->errors++;
		return;
	}
	vmft_run_external(bin, path, 60, &out, &log);
	if (out.verdict == VMFT_PASS) {
		s->ok++;
		if (s->show_ok)
			printf("ok    %s\n", path);
	} else if (out.verdict == VMFT_ERROR) {
		s->errors++;
		fprintf(stderr, "vmfuzz: %s: %s\n", path, out.signature);
	} else {
		s->failed++;
		printf("%-5s %s: %s\n", vmft_verdict_name(out.verdict), path,
		       out.signature);
		if (!s->quiet && log)
			fputs(log, stdout);
	}
	free(log);
}

/* Split argv into options and inputs: the inputs are the arguments that
 * are not options ("-" is stdin) and not an option's value. */
static int split_args(int argc, char **argv, const char *const *with_value,
		      char **inputs, const char **target)
{
	int n = 0;

	*target = NULL;
	for (int i = 0; i < argc; i++) {
		bool takes = false;

		if (argv[i][0] != '-' || !argv[i][1]) {
			inputs[n++] = argv[i];
			continue;
		}
		for (const char *const *w = with_value; *w; w++)
			takes |= strcmp(argv[i], *w) == 0;
		if (strcmp(argv[i], "--target") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmfuzz: --target wants one of "
						"main, buddy, mmu, rbtree\n");
				return -1;
			}
			*target = argv[++i];
		} else if (takes) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmfuzz: %s wants a value\n",
					argv[i]);
				return -1;
			}
			i++;
		}
	}
	return n;
}

static int cmd_replay(int argc, char **argv)
{
	static const char *const wv[] = {NULL};
	struct replay_state s = {0};
	char ***lists;
	size_t *counts;
	char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	const char *topt, *target;
	char *bin = NULL;
	int nfiles;

	if (!inputs)
		return 2;
	nfiles = split_args(argc, argv, wv, inputs, &topt);
	for (int i = 0; nfiles >= 0 && i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			s.verbose = true;
		else if (strcmp(argv[i], "-q") == 0)
			s.quiet = true;
		else if (strcmp(argv[i], "--target") == 0)
			i++;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmfuzz replay: unknown option %s\n",
				argv[i]);
			free(inputs);
			return 2;
		}
	}
	if (nfiles <= 0) {
		if (!nfiles)
			vmft_print_help("replay", stderr);
		free(inputs);
		return 2;
	}
	target = vmft_choose_target("replay", topt, inputs, nfiles);
	if (!target || (strcmp(target, "main") && !(bin = vmft_replay_binary(target)))) {
		free(inputs);
		return 2;
	}
	lists = calloc((size_t)nfiles, sizeof(*lists));
	counts = calloc((size_t)nfiles, sizeof(*counts));
	if (!lists || !counts)
		return 2;
	for (int i = 0; i < nfiles; i++) {
		if (vmft_is_dir(inputs[i]))
			counts[i] = vmft_list_inputs(inputs[i], &lists[i]);
		else
			counts[i] = 1;
		s.total += counts[i];
	}
	s.show_ok = !s.quiet && (s.verbose || s.total <= QUIET_ABOVE);
	s.r = new_runner();
	s.fail = new_failure();
	for (int i = 0; i < nfiles; i++) {
		if (!lists[i]) {
			if (vmft_is_dir(inputs[i]))
				continue; /* empty directory */
			if (bin)
				replay_external(&s, bin, inputs[i]);
			else
				replay_one(&s, inputs[i]);
			continue;
		}
		for (size_t k = 0; k < counts[i]; k++) {
			if (bin)
				replay_external(&s, bin, lists[i][k]);
			else
				replay_one(&s, lists[i][k]);
			free(lists[i][k]);
		}
		free(lists[i]);
	}
	printf("replay: %zu input%s: %zu ok, %zu failed%s", s.done,
	       s.done == 1 ? "" : "s", s.ok, s.failed,
	       s.errors ? ", " : "");
	if (s.errors)
		printf("%zu unreadable", s.errors);
	printf(" (target %s)\n", target);
	vmf_runner_free(s.r);
	free(s.fail);
	free(lists);
	free(counts);
	free(inputs);
	free(bin);
	return s.errors ? 2 : s.failed ? 1 : 0;
}

/* ---- decode / encode ---------------------------------------------------- */

static const char *opt_value(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

/* The first argument that is neither an option nor an option's value. */
static const char *positional(int argc, char **argv, const char *const *with_value)
{
	for (int i = 0; i < argc; i++) {
		bool takes = false;

		if (argv[i][0] != '-' || !argv[i][1])
			return argv[i];
		for (const char *const *w = with_value; *w; w++)
			takes |= strcmp(argv[i], *w) == 0;
		if (takes)
			i++;
	}
	return NULL;
}

static int write_text(const struct vmf_program *prog, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = 0;

	if (!f) {
		fprintf(stderr, "vmfuzz: out of memory\n");
		return 2;
	}
	vmf_program_print(prog, f);
	if (fclose(f) || vmft_write_file(path, buf, len)) {
		fprintf(stderr, "vmfuzz: %s: %s\n", path, strerror(errno));
		rc = 2;
	}
	free(buf);
	return rc;
}

static int write_binary(const struct vmf_program *prog, const char *path)
{
	size_t cap = vmf_encoded_max(), n;
	uint8_t *buf = malloc(cap);
	int rc = 0;

	if (!buf)
		return 2;
	n = vmf_encode(prog, buf, cap);
	if (strcmp(path, "-") == 0 && isatty(1)) {
		fprintf(stderr, "vmfuzz: not writing binary to a terminal\n");
		rc = 2;
	} else if (vmft_write_file(path, buf, n)) {
		fprintf(stderr, "vmfuzz: %s: %s\n", path, strerror(errno));
		rc = 2;
	}
	free(buf);
	return rc;
}

static int cmd_decode(int argc, char **argv)
{
	static const char *const wv[] = {"-o", NULL};
	const char *file = positional(argc, argv, wv);
	const char *out = opt_value(argc, argv, "-o");
	struct vmft_input in;
	int rc;

	if (!file) {
		fprintf(stderr, "usage: vmfuzz decode FILE [-o OUT.txt]\n");
		return 2;
	}
	if (vmft_input_load(file, &in))
		return 2;
	rc = write_text(in.prog, out ? out : "-");
	vmft_input_free(&in);
	return rc;
}

static int cmd_encode(int argc, char **argv)
{
	static const char *const wv[] = {"-o", NULL};
	const char *file = positional(argc, argv, wv);
	const char *out = opt_value(argc, argv, "-o");
	struct vmft_input in;
	int rc;

	if (!file || !out) {
		fprintf(stderr, "usage: vmfuzz encode FILE.txt -o FILE\n");
		return 2;
	}
	if (vmft_input_load(file, &in))
		return 2;
	if (!in.is_text)
		fprintf(stderr, "vmfuzz: %s is not a .txt file: re-encoding "
				"its decoded program (canonical bytes)\n",
			file);
	rc = write_binary(in.prog, out);
	vmft_input_free(&in);
	return rc;
}

/* ---- minimize ----------------------------------------------------------- */

struct min_ctx {
	struct vmf_runner *r;
	struct vmf_failure *fail;
	bool fork_mode;
	unsigned timeout_s;
	struct vmft_outcome want;
};

static bool same_failure(void *ctx, const struct vmf_program *prog,
			 long *fail_index)
{
	struct min_ctx *c = ctx;
	struct vmft_outcome o;

	if (c->fork_mode)
		vmft_run_forked(c->r, prog, c->timeout_s, &o, NULL);
	else
		vmft_run_prog(c->r, prog, NULL, c->fail, &o);
	*fail_index = o.cmd_index;
	return o.verdict == c->want.verdict &&
	       strcmp(o.signature, c->want.signature) == 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *text_path_for(const char *out)
{
	size_t n = strlen(out);
	char *p = malloc(n + 5);

	if (!p)
		return NULL;
	memcpy(p, out, n + 1);
	if (vmft_has_suffix(out, ".bin"))
		memcpy(p + n - 4, ".txt", 5);
	else
		memcpy(p + n, ".txt", 5);
	return p;
}

static int cmd_minimize(int argc, char **argv)
{
	static const char *const wv[] = {"-o", "--timeout", NULL};
	char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	const char *out = opt_value(argc, argv, "-o");
	const char *tmo = opt_value(argc, argv, "--timeout");
	const char *topt, *target, *file;
	struct min_ctx c = {0};
	struct vmft_min_stats st;
	struct vmft_input in;
	struct vmft_outcome first;
	unsigned long long timeout = 10;
	bool verbose = false, text_only;
	double t0 = now_s();
	char *txt;
	int rc, n;

	if (!inputs)
		return 2;
	n = split_args(argc, argv, wv, inputs, &topt);
	file = n > 0 ? inputs[0] : NULL;
	free(inputs);
	for (int i = 0; n >= 0 && i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[i], "--fork") == 0)
			c.fork_mode = true;
		else if (strcmp(argv[i], "-o") == 0 ||
			 strcmp(argv[i], "--timeout") == 0 ||
			 strcmp(argv[i], "--target") == 0)
			i++;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmfuzz minimize: unknown option %s\n",
				argv[i]);
			return 2;
		}
	}
	if (n < 0)
		return 2;
	if (n != 1 || !out) {
		fprintf(stderr, "vmfuzz minimize: %s\n",
			n > 1 ? "one CRASH file at a time" :
			!file ? "which CRASH file?" : "-o OUT is missing");
		vmft_print_help("minimize", stderr);
		return 2;
	}
	if (tmo && vmft_parse_num("minimize", "--timeout", tmo, 1, 86400,
				  &timeout))
		return 2;
	c.timeout_s = (unsigned)timeout;
	target = vmft_choose_target("minimize", topt, (char **)&file, 1);
	if (!target)
		return 2;
	if (strcmp(target, "main")) {
		fprintf(stderr, "vmfuzz minimize: target %s: only main-target "
				"inputs are vmfuzz programs; minimise it with "
				"libFuzzer's -minimize_crash=1 (fuzz_%s) or "
				"afl-tmin\n", target, target);
		return 2;
	}
	/* OUT ending in .txt: the text form only; else OUT and OUT's .txt. */
	text_only = vmft_has_suffix(out, ".txt");
	txt = text_only ? strdup(out) : text_path_for(out);
	if (!txt)
		return 2;
	if (strcmp(out, "-") == 0 || vmft_is_dir(out)) {
		fprintf(stderr, "vmfuzz minimize: -o %s: OUT is a file name\n",
			out);
		free(txt);
		return 2;
	}
	/* Fail before the work, not after it. */
	if (vmft_check_writable(out)) {
		fprintf(stderr, "vmfuzz minimize: cannot write %s: %s\n", out,
			strerror(errno));
		free(txt);
		return 2;
	}
	if (vmft_input_load(file, &in)) {
		free(txt);
		return 2;
	}
	c.r = new_runner();
	c.fail = new_failure();

	/* What kind of failure is it? Find out in a child: a sanitizer
	 * crash would take this process with it. */
	vmft_run_forked(c.r, in.prog, c.timeout_s, &first, NULL);
	if (first.verdict == VMFT_PASS || first.verdict == VMFT_ERROR) {
		fprintf(stderr, "vmfuzz minimize: %s does not fail (%s)\n",
			file, first.verdict == VMFT_PASS ? "passes"
							 : first.signature);
		vmft_input_free(&in);
		vmf_runner_free(c.r);
		free(c.fail);
		free(txt);
		return 2;
	}
	if (first.verdict != VMFT_ORACLE)
		c.fork_mode = true;
	c.want = first;
	fprintf(stderr, "minimize: %s: %s at command #%ld (%s mode)\n", file,
		first.signature, first.cmd_index,
		c.fork_mode ? "fork" : "in-process");

	vmft_minimize(in.prog, first.cmd_index, same_failure, &c, &st,
		      verbose);
	rc = text_only ? 0 : write_binary(in.prog, out);
	if (!rc)
		rc = write_text(in.prog, txt);
	if (rc && !text_only)
		unlink(out); /* both or neither */
	printf("minimize: %zu -> %zu bytes, %zu -> %zu commands, %zu runs, "
	       "%.2f s\n",
	       in.is_text ? st.bytes_before : in.len, st.bytes_after,
	       st.cmds_before, st.cmds_after, st.runs, now_s() - t0);
	printf("SIGNATURE: %s\n", first.signature);
	if (rc)
		printf("minimize: nothing written (see the error above)\n");
	else if (text_only)
		printf("wrote %s (the text form only: OUT ends in .txt; "
		       "vmfuzz encode makes the binary)\n", txt);
	else
		printf("wrote %s and %s\n", out, txt);
	free(txt);
	vmft_input_free(&in);
	vmf_runner_free(c.r);
	free(c.fail);
	return rc;
}

/* ---- state dumps -------------------------------------------------------- */

enum dump_kind { DUMP_VMALLOCINFO, DUMP_PTDUMP, DUMP_RAWDUMP };

static int cmd_dump(int argc, char **argv, enum dump_kind kind)
{
	static const char *const wv[] = {"-n", NULL};
	static const char *const names[] = {"vmallocinfo", "ptdump", "rawdump"};
	const char *name = names[kind];
	char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	const char *n = opt_value(argc, argv, "-n");
	const char *topt, *target, *file;
	struct vmf_run_opts opts = {NULL, -1};
	struct vmf_runner *r;
	struct vmf_failure *fail;
	struct vmft_outcome out;
	struct vmft_input in;
	struct vmf_machine *m;
	unsigned long long idx = 0;
	int nin;

	if (!inputs)
		return 2;
	nin = split_args(argc, argv, wv, inputs, &topt);
	file = nin > 0 ? inputs[0] : NULL;
	free(inputs);
	if (nin < 0)
		return 2;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--target") == 0)
			i++;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmfuzz %s: unknown option %s\n", name,
				argv[i]);
			return 2;
		}
	}
	if (nin != 1) {
		vmft_print_help(name, stderr);
		return 2;
	}
	if (n && vmft_parse_num(name, "-n", n, 0, VMF_MAX_CMDS - 1, &idx))
		return 2;
	target = vmft_choose_target(name, topt, (char **)&file, 1);
	if (!target)
		return 2;
	if (strcmp(target, "main")) {
		fprintf(stderr, "vmfuzz %s: target %s: its inputs are not "
				"vmfuzz programs; only main-target inputs have "
				"a machine to dump\n", name, target);
		return 2;
	}
	if (vmft_input_load(file, &in))
		return 2;
	if (n && idx >= in.prog->nr_cmds) {
		fprintf(stderr, "vmfuzz %s: -n %s: %s has %zu command%s%s\n",
			name, n, file, in.prog->nr_cmds,
			in.prog->nr_cmds == 1 ? "" : "s",
			in.prog->nr_cmds ? " (indexes from 0)" : "");
		vmft_input_free(&in);
		return 2;
	}
	if (n)
		opts.stop_after = (long)idx + 1;
	r = new_runner();
	fail = new_failure();
	run_input(r, &in, &opts, fail, &out);
	if (out.verdict != VMFT_PASS)
		fprintf(stderr, "vmfuzz: the run stopped at command #%ld: %s\n",
			out.cmd_index, out.signature);
	m = vmf_runner_machine(r);
	if (kind == DUMP_PTDUMP)
		mmu_ptdump(m, stdout);
	else if (kind == DUMP_RAWDUMP)
		mmu_rawdump(m, stdout);
	else
		vmallocinfo(m, stdout);
	vmf_runner_free(r);
	free(fail);
	vmft_input_free(&in);
	return out.verdict == VMFT_PASS ? 0 : 1;
}

static bool is_cmd(const char *cmd, const char *name)
{
	return strcmp(cmd, name) == 0;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = {"replay", "decode", "encode",
		"minimize", "vmallocinfo", "ptdump", "rawdump", "triage", "plot", "prog2c",
		"kmod", "map", NULL};
	const char *cmd = argc > 1 ? argv[1] : NULL;
	bool known = false;

	if (!cmd || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		if (cmd && argc > 2 && strcmp(cmd, "help") == 0) {
			for (const char *const *c = cmds; *c; c++)
				if (is_cmd(argv[2], *c)) {
					vmft_print_help(*c, stdout);
					return 0;
				}
		}
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		vmft_version(stdout);
		return 0;
	}
	for (const char *const *c = cmds; *c; c++)
		known |= is_cmd(cmd, *c);
	if (!known) {
		fprintf(stderr, "vmfuzz: unknown command '%s'\n\n", cmd);
		usage(stderr);
		return 2;
	}
	argc -= 2;
	argv += 2;
	if (vmft_help(cmd, argc, argv))
		return 0;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--version") == 0) {
			vmft_version(stdout);
			return 0;
		}
	if (is_cmd(cmd, "replay"))
		return cmd_replay(argc, argv);
	if (is_cmd(cmd, "decode"))
		return cmd_decode(argc, argv);
	if (is_cmd(cmd, "encode"))
		return cmd_encode(argc, argv);
	if (is_cmd(cmd, "minimize"))
		return cmd_minimize(argc, argv);
	if (is_cmd(cmd, "vmallocinfo"))
		return cmd_dump(argc, argv, DUMP_VMALLOCINFO);
	if (is_cmd(cmd, "ptdump"))
		return cmd_dump(argc, argv, DUMP_PTDUMP);
	if (is_cmd(cmd, "rawdump"))
		return cmd_dump(argc, argv, DUMP_RAWDUMP);
	if (is_cmd(cmd, "triage"))
		return vmft_cmd_triage(argc, argv);
	if (is_cmd(cmd, "prog2c"))
		return vmft_cmd_prog2c(argc, argv);
	if (is_cmd(cmd, "kmod"))
		return vmft_cmd_kmod(argc, argv);
	if (is_cmd(cmd, "map"))
		return vmft_cmd_map(argc, argv);
	return vmft_cmd_plot(argc, argv);
}
