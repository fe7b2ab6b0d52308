/* vmfuzz triage: failing inputs grouped by root cause.
 *
 * The signature of a report is "<check>/<command>", so one bug reached
 * through several commands gives several signatures. Triage groups first
 * by what disagreed: the check and the field the report's "details:" line
 * names (cache/free_vmap_cache, pgtable/page-table-pages), or for a
 * sanitizer crash its SUMMARY (asan/heap-use-after-free/vfree); then, in a
 * group, by command. --minimize minimises one representative per
 * (group, command) and merges the ones that minimise to the same program:
 * one bug, one line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vmfuzz.h"

#define MAX_SUB 16

struct sub {
	char command[48];
	size_t count;
};

struct tgroup {
	char root[128];        /* check/field, or the crash signature */
	enum vmft_verdict verdict;
	size_t count;
	time_t first_seen;
	char *smallest;
	size_t smallest_size;
	struct sub subs[MAX_SUB];
	size_t nsubs, other_subs;
	/* --minimize: the minimised program of the smallest reproducer */
	uint8_t *min_bytes;
	size_t min_len;
	char *min_text;
};

struct triage {
	struct vmf_runner *r;
	struct vmf_failure *fail;
	const char *target;
	char *bin;              /* narrow targets: their replay binary */
	struct tgroup *g;
	size_t ng, total, passing, errors;
	unsigned lines;
};

/* The value after "name" at the start of a line of log ("check:   x"). */
static void line_value(const char *log, const char *name, char *out,
		       size_t len)
{
	const char *p = log;

	out[0] = 0;
	while (p && *p) {
		if (strncmp(p, name, strlen(name)) == 0) {
			const char *v = p + strlen(name);
			size_t n;

			while (*v == ' ')
				v++;
			n = strcspn(v, "\n");
			snprintf(out, len, "%.*s", (int)(n < len - 1 ? n : len - 1), v);
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

static bool has_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return true;
	return false;
}

/* The field a report's details name: the words before the first ':',
 * without numbers and addresses; a "(name)" in them is the field. */
static void field_of(const char *details, char *out, size_t len)
{
	size_t end = strcspn(details, ":"), at = 0, words = 0;
	const char *p = details, *e = details + end;
	const char *lp = memchr(details, '(', end);

	out[0] = 0;
	if (lp) {
		const char *rp = memchr(lp, ')', (size_t)(e - lp));

		if (rp && rp > lp + 1 && !has_digit(lp + 1, (size_t)(rp - lp - 1)) &&
		    !memchr(lp + 1, ' ', (size_t)(rp - lp - 1))) {
			snprintf(out, len, "%.*s", (int)(rp - lp - 1), lp + 1);
			return;
		}
	}
	while (p < e && words < 4) {
		const char *w;
		size_t n;

		while (p < e && *p == ' ')
			p++;
		w = p;
		while (p < e && *p != ' ')
			p++;
		n = (size_t)(p - w);
		/* drop numbers, addresses and bracketed values */
		while (n && strchr("[](),;\"", w[n - 1]))
			n--;
		while (n && strchr("[](),;\"", *w)) {
			w++;
			n--;
		}
		if (!n || has_digit(w, n))
			continue;
		if (at + n + 2 >= len)
			break;
		if (at)
			out[at++] = '-';
		memcpy(out + at, w, n);
		at += n;
		out[at] = 0;
		words++;
	}
}

/* Root cause and command of an outcome (log: the run's stderr). */
static void classify(const struct vmft_outcome *o, const char *log,
		     char *root, size_t rlen, char *command, size_t clen)
{
	char check[64], details[256], field[96];
	const char *slash;

	snprintf(command, clen, "-");
	if (o->verdict != VMFT_ORACLE || !log) {
		snprintf(root, rlen, "%.*s", (int)(rlen - 1), o->signature);
		return;
	}
	line_value(log, "check:", check, sizeof(check));
	line_value(log, "details:", details, sizeof(details));
	slash = strrchr(o->signature, '/');
	if (slash)
		snprintf(command, clen, "%s", slash + 1);
	if (!check[0]) { /* no report text: the signature's check */
		snprintf(root, rlen, "%.*s",
			 (int)(slash ? slash - o->signature : 127), o->signature);
		return;
	}
	field_of(details, field, sizeof(field));
	snprintf(root, rlen, "%s%s%s", check, field[0] ? "/" : "", field);
}

/* Run one input; root and command out. false: unreadable. */
static bool run_one(struct triage *t, const char *path,
		    struct vmft_outcome *o, char *root, size_t rlen,
		    char *cmd, size_t clen, size_t *size)
{
	char *log = NULL;

	if (t->bin) {
		struct stat st;

		if (stat(path, &st))
			return false;
		*size = (size_t)st.st_size;
		vmft_run_external(t->bin, path, 10, o, &log);
	} else {
		struct vmft_input in;

		if (vmft_input_load(path, &in))
			return false;
		*size = in.is_text ? vmft_encoded_size(in.prog) : in.len;
		vmft_run_forked(t->r, in.prog, 10, o, &log);
		vmft_input_free(&in);
	}
	classify(o, log, root, rlen, cmd, clen);
	free(log);
	return true;
}

static struct tgroup *group_for(struct triage *t, const char *root,
				enum vmft_verdict v)
{
	struct tgroup *ng;

	for (size_t g = 0; g < t->ng; g++)
		if (strcmp(t->g[g].root, root) == 0)
			return &t->g[g];
	ng = realloc(t->g, (t->ng + 1) * sizeof(*t->g));
	if (!ng) {
		fprintf(stderr, "vmfuzz triage: out of memory\n");
		exit(2);
	}
	t->g = ng;
	ng = &t->g[t->ng++];
	memset(ng, 0, sizeof(*ng));
	snprintf(ng->root, sizeof(ng->root), "%s", root);
	ng->verdict = v;
	return ng;
}

static void add_sub(struct tgroup *g, const char *command, size_t count)
{
	for (size_t i = 0; i < g->nsubs; i++)
		if (strcmp(g->subs[i].command, command) == 0) {
			g->subs[i].count += count;
			return;
		}
	if (g->nsubs == MAX_SUB) {
		g->other_subs += count;
		return;
	}
	snprintf(g->subs[g->nsubs].command, sizeof(g->subs[0].command), "%s",
		 command);
	g->subs[g->nsubs++].count = count;
}

static void add_input(struct triage *t, const char *path)
{
	struct vmft_outcome o;
	char root[128], cmd[48];
	struct tgroup *g;
	struct stat st;
	size_t size = 0;

	if (!run_one(t, path, &o, root, sizeof(root), cmd, sizeof(cmd),
		     &size)) {
		t->errors++;
		return;
	}
	t->total++;
	if (o.verdict == VMFT_PASS) {
		t->passing++;
		snprintf(root, sizeof(root), "(no failure)");
	}
	g = group_for(t, root, o.verdict);
	g->count++;
	add_sub(g, cmd, 1);
	if (stat(path, &st) == 0 &&
	    (!g->first_seen || st.st_mtime < g->first_seen))
		g->first_seen = st.st_mtime;
	if (!g->smallest || size < g->smallest_size) {
		free(g->smallest);
		g->smallest = strdup(path);
		g->smallest_size = size;
	}
	if (t->total % 500 == 0)
		fprintf(stderr, "triage: %zu inputs...\n", t->total);
}

static int group_cmp(const void *a, const void *b)
{
	const struct tgroup *x = a, *y = b;

	if ((x->verdict == VMFT_PASS) != (y->verdict == VMFT_PASS))
		return x->verdict == VMFT_PASS ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->root, y->root);
}

/* ---- --minimize ------------------------------------------------------ */

struct min_pred {
	struct triage *t;
	enum vmft_verdict verdict;
	char root[128];
};

static bool same_root(void *ctx, const struct vmf_program *prog,
		      long *fail_index)
{
	struct min_pred *p = ctx;
	struct vmft_outcome o;
	char root[128], cmd[48];

	if (p->verdict == VMFT_ORACLE) {
		vmft_run_prog(p->t->r, prog, NULL, p->t->fail, &o);
		classify(&o, o.verdict == VMFT_ORACLE ? p->t->fail->report : NULL,
			 root, sizeof(root), cmd, sizeof(cmd));
	} else {
		char *log = NULL;

		vmft_run_forked(p->t->r, prog, 10, &o, &log);
		classify(&o, log, root, sizeof(root), cmd, sizeof(cmd));
		free(log);
	}
	*fail_index = o.cmd_index;
	return o.verdict == p->verdict && strcmp(root, p->root) == 0;
}

static char *program_text(const struct vmf_program *prog)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	vmf_program_print(prog, f);
	fclose(f);
	return buf;
}

/* Minimise the smallest reproducer of g (main target only). */
static void minimize_group(struct triage *t, struct tgroup *g)
{
	struct min_pred p = {t, g->verdict, ""};
	struct vmft_min_stats st;
	struct vmft_input in;
	long idx = -1;
	size_t cap = vmf_encoded_max();

	if (g->verdict == VMFT_PASS || t->bin || !g->smallest ||
	    vmft_input_load(g->smallest, &in))
		return;
	snprintf(p.root, sizeof(p.root), "%s", g->root);
	if (same_root(&p, in.prog, &idx)) {
		vmft_minimize(in.prog, idx, same_root, &p, &st, false);
		g->min_bytes = malloc(cap);
		if (g->min_bytes)
			g->min_len = vmf_encode(in.prog, g->min_bytes, cap);
		g->min_text = program_text(in.prog);
		fprintf(stderr, "triage: %s: %zu -> %zu commands (%zu runs)\n",
			g->root, st.cmds_before, st.cmds_after, st.runs);
	}
	vmft_input_free(&in);
}

/* Groups whose minimised programs are the same bytes are one bug. */
static void regroup(struct triage *t)
{
	for (size_t a = 0; a < t->ng; a++) {
		for (size_t b = a + 1; b < t->ng;) {
			struct tgroup *x = &t->g[a], *y = &t->g[b];

			if (!x->min_bytes || !y->min_bytes ||
			    x->min_len != y->min_len ||
			    memcmp(x->min_bytes, y->min_bytes, x->min_len)) {
				b++;
				continue;
			}
			x->count += y->count;
			for (size_t i = 0; i < y->nsubs; i++)
				add_sub(x, y->subs[i].command, y->subs[i].count);
			x->other_subs += y->other_subs;
			if (y->first_seen < x->first_seen)
				x->first_seen = y->first_seen;
			fprintf(stderr, "triage: %s and %s minimise to the same "
					"program: one group\n", x->root, y->root);
			free(y->smallest);
			free(y->min_bytes);
			free(y->min_text);
			t->g[b] = t->g[--t->ng];
		}
	}
}

/* ---- output ------------------------------------------------------------ */

static void print_lines(const char *text, unsigned lines)
{
	const char *p = text;

	for (unsigned i = 0; p && *p && i < lines; i++) {
		size_t n = strcspn(p, "\n");

		printf("          | %.*s\n", (int)n, p);
		p += n;
		if (*p)
			p++;
	}
	if (p && *p)
		printf("          | ...\n");
}

static void print_group(struct triage *t, const struct tgroup *g, size_t nr)
{
	char when[32] = "?";
	struct tm tm;

	if (g->first_seen && localtime_r(&g->first_seen, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("[%zu] %6zu x %-7s %s   first seen %s\n", nr, g->count,
	       vmft_verdict_name(g->verdict), g->root, when);
	if (g->verdict == VMFT_PASS)
		return;
	printf("      by command:");
	for (size_t i = 0; i < g->nsubs; i++)
		printf(" %s %zu%s", g->subs[i].command, g->subs[i].count,
		       i + 1 < g->nsubs || g->other_subs ? "," : "");
	if (g->other_subs)
		printf(" others %zu", g->other_subs);
	printf("\n      smallest: %s (%zu bytes)\n",
	       g->smallest ? g->smallest : "?", g->smallest_size);
	if (g->min_text) {
		printf("      minimised: %zu bytes\n", g->min_len);
		print_lines(g->min_text, t->lines);
	} else if (!t->bin && g->smallest) {
		struct vmft_input in;

		if (vmft_input_load(g->smallest, &in) == 0) {
			char *text = program_text(in.prog);

			print_lines(text, t->lines);
			free(text);
			vmft_input_free(&in);
		}
	}
	/* From here to the kernel (docs/fuzzing.md, "From a crash to the
	 * kernel"): main-target inputs only. */
	if (!t->bin && g->smallest)
		printf("      next: vmfuzz prog2c %s -o repro.c | vmfuzz kmod %s "
		       "-o repro-kmod | vmfuzz map %s -o map.svg\n",
		       g->smallest, g->smallest, g->smallest);
}

static void add_path(struct triage *t, const char *arg)
{
	char **paths = NULL;
	size_t np;

	if (!vmft_is_dir(arg)) {
		struct stat st;

		if (stat(arg, &st)) {
			printf("triage: %s does not exist: nothing to triage "
			       "there\n", arg);
			return;
		}
		add_input(t, arg);
		return;
	}
	np = vmft_list_inputs(arg, &paths);
	if (!np)
		printf("triage: %s is empty: no crash files, nothing to "
		       "triage\n", arg);
	for (size_t k = 0; k < np; k++) {
		add_input(t, paths[k]);
		free(paths[k]);
	}
	free(paths);
}

int vmft_cmd_triage(int argc, char **argv)
{
	struct triage t = {0};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	const char *topt = NULL;
	bool minimize = false;
	unsigned long long lines = 4;
	size_t nsig = 0, failing = 0;
	int nargs = 0, rc;

	if (!args)
		return 2;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--minimize") == 0) {
			minimize = true;
		} else if (strcmp(argv[i], "--target") == 0 ||
			   strcmp(argv[i], "--lines") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmfuzz triage: %s wants a value\n",
					argv[i]);
				free(args);
				return 2;
			}
			if (argv[i][2] == 't')
				topt = argv[++i];
			else if (vmft_parse_num("triage", "--lines", argv[++i],
						0, 1000, &lines)) {
				free(args);
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmfuzz triage: unknown option %s\n",
				argv[i]);
			free(args);
			return 2;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (!nargs) {
		vmft_print_help("triage", stderr);
		free(args);
		return 2;
	}
	t.lines = (unsigned)lines;
	t.target = vmft_choose_target("triage", topt, args, nargs);
	if (!t.target) {
		free(args);
		return 2;
	}
	if (strcmp(t.target, "main") && !(t.bin = vmft_replay_binary(t.target))) {
		free(args);
		return 2;
	}
	t.r = vmf_runner_new();
	t.fail = calloc(1, sizeof(*t.fail));
	if (!t.r || !t.fail) {
		fprintf(stderr, "vmfuzz triage: cannot create the runner\n");
		return 2;
	}
	for (int i = 0; i < nargs; i++)
		add_path(&t, args[i]);
	/* Signatures (check/command) before any regrouping. */
	for (size_t g = 0; g < t.ng; g++) {
		if (t.g[g].verdict == VMFT_PASS) {
			nsig++;
			continue;
		}
		failing += t.g[g].count;
		nsig += t.g[g].nsubs + (t.g[g].other_subs ? 1 : 0);
	}
	if (minimize && t.bin)
		fprintf(stderr, "vmfuzz triage: --minimize: main target only "
				"(target %s): not minimised\n", t.target);
	if (minimize && !t.bin) {
		for (size_t g = 0; g < t.ng; g++)
			minimize_group(&t, &t.g[g]);
		regroup(&t);
	}
	if (t.ng)
		qsort(t.g, t.ng, sizeof(*t.g), group_cmp);
	printf("triage: %zu input%s, %zu signature%s, %zu passing; %zu failing "
	       "in %zu root cause%s (target %s)%s\n",
	       t.total, t.total == 1 ? "" : "s", nsig, nsig == 1 ? "" : "s",
	       t.passing, failing, t.ng - (t.passing ? 1 : 0),
	       t.ng - (t.passing ? 1 : 0) == 1 ? "" : "s", t.target,
	       minimize && !t.bin ? ", after minimisation" : "");
	if (!t.total)
		printf("triage: no inputs: nothing failed\n");
	for (size_t g = 0; g < t.ng; g++) {
		print_group(&t, &t.g[g], g + 1);
		free(t.g[g].smallest);
		free(t.g[g].min_bytes);
		free(t.g[g].min_text);
	}
	if (t.errors)
		printf("triage: %zu unreadable input%s\n", t.errors,
		       t.errors == 1 ? "" : "s");
	rc = failing ? 1 : 0;
	free(t.g);
	free(t.bin);
	free(t.fail);
	free(args);
	vmf_runner_free(t.r);
	return rc;
}
