/* vmfuzz: the command-line tool around the harness.
 *
 *   vmfuzz replay [-v] [-q] FILE|DIR...    verdict per input
 *   vmfuzz decode FILE [-o OUT.txt]        binary -> text form
 *   vmfuzz encode FILE.txt -o FILE         text form -> binary
 *   vmfuzz minimize CRASH -o OUT [-v] [--fork] [--timeout S]
 *   vmfuzz vmallocinfo FILE [-n IDX]       /proc/vmallocinfo after the run
 *   vmfuzz ptdump FILE [-n IDX]            kernel page tables after the run
 *   vmfuzz triage DIR...                   crash files grouped by signature
 *
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
	      "  triage DIR...                 group failing inputs by signature\n"
	      "  prog2c FILE -o REPRO.c        a standalone C reproducer\n"
	      "  kmod FILE -o DIR              a kernel module replaying the calls\n"
	      "  map FILE -o MAP.svg|.html [-n IDX]  the vmalloc window as a picture\n"
	      "\n"
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

static int cmd_replay(int argc, char **argv)
{
	struct replay_state s = {0};
	char ***lists;
	size_t *counts;
	int nfiles = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			s.verbose = true;
		else if (strcmp(argv[i], "-q") == 0)
			s.quiet = true;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmfuzz replay: unknown option %s\n",
				argv[i]);
			return 2;
		} else
			nfiles++;
	}
	if (!nfiles) {
		fprintf(stderr, "usage: vmfuzz replay [-v] [-q] FILE|DIR...\n");
		return 2;
	}
	lists = calloc((size_t)argc, sizeof(*lists));
	counts = calloc((size_t)argc, sizeof(*counts));
	if (!lists || !counts)
		return 2;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		if (vmft_is_dir(argv[i]))
			counts[i] = vmft_list_inputs(argv[i], &lists[i]);
		else
			counts[i] = 1;
		s.total += counts[i];
	}
	s.show_ok = !s.quiet && (s.verbose || s.total <= QUIET_ABOVE);
	s.r = new_runner();
	s.fail = new_failure();
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		if (!lists[i]) {
			if (vmft_is_dir(argv[i]))
				continue; /* empty directory */
			replay_one(&s, argv[i]);
			continue;
		}
		for (size_t k = 0; k < counts[i]; k++) {
			replay_one(&s, lists[i][k]);
			free(lists[i][k]);
		}
		free(lists[i]);
	}
	printf("replay: %zu input%s: %zu ok, %zu failed%s", s.done,
	       s.done == 1 ? "" : "s", s.ok, s.failed,
	       s.errors ? ", " : "\n");
	if (s.errors)
		printf("%zu unreadable\n", s.errors);
	vmf_runner_free(s.r);
	free(s.fail);
	free(lists);
	free(counts);
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
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f) {
		fprintf(stderr, "vmfuzz: %s: %s\n", path, strerror(errno));
		return 2;
	}
	vmf_program_print(prog, f);
	if (f != stdout && fclose(f)) {
		fprintf(stderr, "vmfuzz: %s: %s\n", path, strerror(errno));
		return 2;
	}
	return 0;
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
	const char *file = positional(argc, argv, wv);
	const char *out = opt_value(argc, argv, "-o");
	const char *tmo = opt_value(argc, argv, "--timeout");
	struct min_ctx c = {0};
	struct vmft_min_stats st;
	struct vmft_input in;
	struct vmft_outcome first;
	bool verbose = false;
	double t0 = now_s();
	char *txt;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		if (strcmp(argv[i], "--fork") == 0)
			c.fork_mode = true;
	}
	if (!file || !out || vmft_has_suffix(out, ".txt")) {
		fprintf(stderr, "usage: vmfuzz minimize CRASH -o OUT [-v] "
				"[--fork] [--timeout S]\n"
				"  OUT gets the binary, OUT's .txt the text form\n");
		return 2;
	}
	c.timeout_s = tmo ? (unsigned)strtoul(tmo, NULL, 10) : 10;
	if (!c.timeout_s)
		c.timeout_s = 10;
	if (vmft_input_load(file, &in))
		return 2;
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
	rc = write_binary(in.prog, out);
	txt = text_path_for(out);
	if (!rc && txt)
		rc = write_text(in.prog, txt);
	printf("minimize: %zu -> %zu bytes, %zu -> %zu commands, %zu runs, "
	       "%.2f s\n",
	       in.is_text ? st.bytes_before : in.len, st.bytes_after,
	       st.cmds_before, st.cmds_after, st.runs, now_s() - t0);
	printf("SIGNATURE: %s\n", first.signature);
	printf("wrote %s and %s\n", out, txt ? txt : "?");
	free(txt);
	vmft_input_free(&in);
	vmf_runner_free(c.r);
	free(c.fail);
	return rc;
}

/* ---- state dumps -------------------------------------------------------- */

static int cmd_dump(int argc, char **argv, bool ptdump)
{
	static const char *const wv[] = {"-n", NULL};
	const char *file = positional(argc, argv, wv);
	const char *n = opt_value(argc, argv, "-n");
	struct vmf_run_opts opts = {NULL, -1};
	struct vmf_runner *r;
	struct vmf_failure *fail;
	struct vmft_outcome out;
	struct vmft_input in;
	struct vmf_machine *m;

	if (!file) {
		fprintf(stderr, "usage: vmfuzz %s FILE [-n IDX]\n",
			ptdump ? "ptdump" : "vmallocinfo");
		return 2;
	}
	if (n) {
		char *end;
		long idx = strtol(n, &end, 0);

		if (*end || idx < 0) {
			fprintf(stderr, "vmfuzz: -n wants a command index\n");
			return 2;
		}
		opts.stop_after = idx + 1;
	}
	if (vmft_input_load(file, &in))
		return 2;
	r = new_runner();
	fail = new_failure();
	run_input(r, &in, &opts, fail, &out);
	if (out.verdict != VMFT_PASS)
		fprintf(stderr, "vmfuzz: the run stopped at command #%ld: %s\n",
			out.cmd_index, out.signature);
	m = vmf_runner_machine(r);
	if (ptdump)
		mmu_ptdump(m, stdout);
	else
		vmallocinfo(m, stdout);
	vmf_runner_free(r);
	free(fail);
	vmft_input_free(&in);
	return out.verdict == VMFT_PASS ? 0 : 1;
}

/* ---- triage ------------------------------------------------------------- */

struct group {
	char signature[192];
	size_t count;
	char *smallest;
	size_t smallest_size;
	enum vmft_verdict verdict;
};

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->signature, y->signature);
}

static int cmd_triage(int argc, char **argv)
{
	struct group *groups = NULL;
	size_t ngroups = 0, total = 0, passing = 0;
	struct vmf_runner *r;
	bool any = false;

	r = new_runner();
	for (int i = 0; i < argc; i++) {
		char **paths = NULL;
		size_t np;

		if (argv[i][0] == '-')
			continue;
		any = true;
		np = vmft_is_dir(argv[i]) ? vmft_list_inputs(argv[i], &paths) : 0;
		if (!vmft_is_dir(argv[i])) {
			paths = malloc(sizeof(*paths));
			if (!paths)
				return 2;
			paths[0] = strdup(argv[i]);
			np = 1;
		}
		for (size_t k = 0; k < np; k++) {
			struct vmft_input in;
			struct vmft_outcome o;
			size_t size, g;

			if (vmft_input_load(paths[k], &in)) {
				free(paths[k]);
				continue;
			}
			total++;
			/* Binary inputs are run from their decoded program;
			 * decoding is total, so this is the same program. */
			vmft_run_forked(r, in.prog, 10, &o, NULL);
			size = in.is_text ? vmft_encoded_size(in.prog) : in.len;
			if (o.verdict == VMFT_PASS) {
				passing++;
				snprintf(o.signature, sizeof(o.signature),
					 "(no failure)");
			}
			for (g = 0; g < ngroups; g++)
				if (strcmp(groups[g].signature, o.signature) == 0)
					break;
			if (g == ngroups) {
				struct group *ng = realloc(groups, (ngroups + 1) *
								   sizeof(*groups));
				if (!ng)
					return 2;
				groups = ng;
				memset(&groups[g], 0, sizeof(groups[g]));
				memcpy(groups[g].signature, o.signature,
				       sizeof(o.signature));
				groups[g].verdict = o.verdict;
				ngroups++;
			}
			groups[g].count++;
			if (!groups[g].smallest || size < groups[g].smallest_size) {
				free(groups[g].smallest);
				groups[g].smallest = strdup(paths[k]);
				groups[g].smallest_size = size;
			}
			vmft_input_free(&in);
			free(paths[k]);
			if (total % PROGRESS_EVERY == 0)
				fprintf(stderr, "triage: %zu inputs...\n", total);
		}
		free(paths);
	}
	if (!any) {
		fprintf(stderr, "usage: vmfuzz triage DIR...\n");
		return 2;
	}
	qsort(groups, ngroups, sizeof(*groups), group_cmp);
	printf("triage: %zu input%s, %zu signature%s, %zu passing\n", total,
	       total == 1 ? "" : "s", ngroups, ngroups == 1 ? "" : "s",
	       passing);
	for (size_t g = 0; g < ngroups; g++) {
		printf("%6zu  %-7s %-32s smallest: %s (%zu bytes)\n",
		       groups[g].count, vmft_verdict_name(groups[g].verdict),
		       groups[g].signature,
		       groups[g].smallest ? groups[g].smallest : "?",
		       groups[g].smallest_size);
		free(groups[g].smallest);
	}
	free(groups);
	vmf_runner_free(r);
	return ngroups > (passing ? 1u : 0u) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	argc -= 2;
	argv += 2;
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc, argv);
	if (strcmp(cmd, "decode") == 0)
		return cmd_decode(argc, argv);
	if (strcmp(cmd, "encode") == 0)
		return cmd_encode(argc, argv);
	if (strcmp(cmd, "minimize") == 0)
		return cmd_minimize(argc, argv);
	if (strcmp(cmd, "vmallocinfo") == 0)
		return cmd_dump(argc, argv, false);
	if (strcmp(cmd, "ptdump") == 0)
		return cmd_dump(argc, argv, true);
	if (strcmp(cmd, "triage") == 0)
		return cmd_triage(argc, argv);
	if (strcmp(cmd, "prog2c") == 0)
		return vmft_cmd_prog2c(argc, argv);
	if (strcmp(cmd, "kmod") == 0)
		return vmft_cmd_kmod(argc, argv);
	if (strcmp(cmd, "map") == 0)
		return vmft_cmd_map(argc, argv);
	fprintf(stderr, "vmfuzz: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
