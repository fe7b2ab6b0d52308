/* What the oracle costs: every input of the given files or directories
 * (default: build/release/corpus/main, the encoded committed seeds) runs
 * REPS times with every check on (the shadow model, the per-command checks,
 * OP_CHECK), and REPS times on a runner with the oracle off
 * (vmf_runner_set_oracle: the library alone, the same commands and
 * handles), in one process, alternating so that drift hits both sides.
 *
 *   oracle overhead: R   R = checked time / unchecked time (issue 12's
 *                        figure; the goal is R <= 1.5)
 *
 * plus the exec/s of each side (in this thread's CPU time). R is the median over the repetitions of
 * one checked pass over one unchecked pass run next to it, so that a
 * burst of load from other processes moves one ratio, not the figure.
 * Decoding is inside both times, as in a fuzz target's run. A checked run that disagrees is counted and printed
 * (the corpus agrees, so that is a bug of its own). policy=all inputs are
 * left out (and counted): they run once per policy, each run checked,
 * on either runner (interp_diff.c needs every shadow), so they would
 * only pull R towards 1.
 *
 * `bench_oracle --per-input [PATHS]` prints instead where the difference
 * goes: each input's checked and unchecked time (median of REPS runs) and
 * its share of the whole difference, the largest first.
 *
 * `bench_oracle --passes checked|unchecked|none [PATHS]` runs 3 passes
 * of one side only (none: just the loading), for a counter outside the
 * process: bench/oracle_instructions.sh counts their instructions under
 * valgrind, a ratio that the machine's load does not move. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "cmd_table.h"
#include "interp_hook.h"

#define REPS 9
#define PASSES 3 /* --passes */
#define MAX_INPUT 65536
#define MAX_INPUTS 4096

struct input {
	uint8_t *data;
	size_t size;
	char name[256]; /* for a disagreement's message */
};

struct inputs {
	struct input in[MAX_INPUTS];
	size_t n;
	size_t skipped_all; /* policy=all inputs left out */
	size_t unreadable;  /* paths that are neither a file nor a dir */
};

static double now_ns(void)
{
	struct timespec ts;

	/* CPU time of this thread: the machine is shared, and the time
	 * other processes take would land on whichever side ran then. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* policy=all: checked on both runners (see the top). */
static bool policy_all(const uint8_t *data, size_t size)
{
	struct vmf_program *prog = malloc(sizeof(*prog));
	bool all;

	if (!prog)
		return false;
	vmf_decode(data, size, prog);
	all = vmf_header_policy(prog->header) == VMF_POLICY_ALL;
	free(prog);
	return all;
}

static void load_file(struct inputs *set, const char *path)
{
	uint8_t *buf;
	size_t n;
	FILE *f;

	if (set->n == MAX_INPUTS)
		return;
	f = fopen(path, "rb");
	if (!f)
		return;
	buf = malloc(MAX_INPUT);
	if (!buf) {
		fclose(f);
		return;
	}
	n = fread(buf, 1, MAX_INPUT, f);
	fclose(f);
	if (policy_all(buf, n)) {
		set->skipped_all++;
		free(buf);
		return;
	}
	snprintf(set->in[set->n].name, sizeof(set->in[set->n].name), "%s",
		 path);
	set->in[set->n].data = buf;
	set->in[set->n].size = n;
	set->n++;
}

static void load_path(struct inputs *set, const char *path)
{
	struct stat st;
	struct dirent *e;
	char sub[4096];
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "bench_oracle: cannot read %s\n", path);
		set->unreadable++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		load_file(set, path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		load_file(set, sub);
	}
	closedir(d);
}

/* One pass over every input; returns its time in ns. */
static double pass(struct vmf_runner *r, const struct inputs *set,
		   struct vmf_failure *fail, unsigned *disagreed)
{
	double t0 = now_ns();

	for (size_t i = 0; i < set->n; i++)
		if (vmf_run(r, set->in[i].data, set->in[i].size, NULL, fail)) {
			if (!*disagreed)
				printf("disagreement: %s: %s\n",
				       set->in[i].name, fail->signature);
			++*disagreed;
		}
	return now_ns() - t0;
}

static int by_value(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Median time of REPS runs of one input on one runner. */
static double one_input(struct vmf_runner *r, const struct input *in,
			struct vmf_failure *fail)
{
	double t[REPS];

	for (int rep = 0; rep < REPS; rep++) {
		double t0 = now_ns();

		vmf_run(r, in->data, in->size, NULL, fail);
		t[rep] = now_ns() - t0;
	}
	qsort(t, REPS, sizeof(t[0]), by_value);
	return t[REPS / 2];
}

struct cost {
	double on, off;
	size_t i;
};

static int by_extra(const void *x, const void *y)
{
	const struct cost *a = x, *b = y;
	double da = a->on - a->off, db = b->on - b->off;

	return (da < db) - (da > db);
}

static void per_input(struct vmf_runner *on, struct vmf_runner *off,
		      const struct inputs *set, struct vmf_failure *fail)
{
	struct cost *c = calloc(set->n, sizeof(*c));
	double total_on = 0, total_off = 0;

	if (!c) {
		fprintf(stderr, "bench_oracle: out of memory\n");
		return;
	}
	for (size_t i = 0; i < set->n; i++) {
		c[i].i = i;
		c[i].on = one_input(on, &set->in[i], fail);
		c[i].off = one_input(off, &set->in[i], fail);
		total_on += c[i].on;
		total_off += c[i].off;
	}
	qsort(c, set->n, sizeof(*c), by_extra);
	printf("%10s %10s %6s %6s  input (us; share of the difference)\n",
	       "checked", "unchecked", "ratio", "share");
	for (size_t k = 0; k < set->n; k++) {
		const char *name = strrchr(set->in[c[k].i].name, '/');

		printf("%10.1f %10.1f %6.2f %5.1f%%  %s\n", c[k].on / 1e3,
		       c[k].off / 1e3, c[k].off > 0 ? c[k].on / c[k].off : 0,
		       100.0 * (c[k].on - c[k].off) / (total_on - total_off),
		       name ? name + 1 : set->in[c[k].i].name);
	}
	printf("sum: checked %.1f ms, unchecked %.1f ms, ratio %.2f\n",
	       total_on / 1e6, total_off / 1e6,
	       total_off > 0 ? total_on / total_off : 0);
	free(c);
}

int main(int argc, char **argv)
{
	struct inputs *set = calloc(1, sizeof(*set));
	struct vmf_failure *fail = malloc(sizeof(*fail));
	struct vmf_runner *on = vmf_runner_new(), *off = vmf_runner_new();
	double t_on = 0, t_off = 0, ratio[REPS];
	unsigned bad_on = 0, bad_off = 0;
	int ret = 0;
	bool by_input = argc > 1 && !strcmp(argv[1], "--per-input");
	/* --passes checked|unchecked|none: one side's passes only, for an
	 * outside counter (bench/oracle_instructions.sh). */
	int side = -1, skip = by_input;

	if (argc > 1 && !strcmp(argv[1], "--passes")) {
		const char *w = argc > 2 ? argv[2] : "";

		side = !strcmp(w, "checked") ? 1 : !strcmp(w, "unchecked") ? 0 :
		       !strcmp(w, "none") ? 2 : -2;
		if (side == -2) {
			fprintf(stderr, "bench_oracle: --passes takes checked, "
				"unchecked or none, not '%s'\n", w);
			ret = 2;
			goto out;
		}
		skip = 2;
	}

	if (!set || !fail || !on || !off) {
		fprintf(stderr, "bench_oracle: out of memory\n");
		return 1;
	}
	vmf_runner_set_oracle(off, false);
	if (argc < 2 + skip)
		load_path(set, "build/release/corpus/main");
	for (int i = 1 + skip; i < argc; i++)
		load_path(set, argv[i]);
	if (set->unreadable) {
		ret = 2;
		goto out;
	}
	if (!set->n) {
		printf("no inputs (give files or directories)\n");
		goto out;
	}
	if (by_input) {
		per_input(on, off, set, fail);
		goto out;
	}
	if (side >= 0) {
		for (int k = 0; side < 2 && k < PASSES; k++)
			pass(side ? on : off, set, fail, side ? &bad_on : &bad_off);
		printf("%zu inputs x %d passes (%s)\n", set->n,
		       side < 2 ? PASSES : 0, argv[2]);
		goto out;
	}
	/* A warm-up pass each, then alternate which side goes first. */
	pass(on, set, fail, &bad_on);
	pass(off, set, fail, &bad_off);
	for (int rep = 0; rep < REPS; rep++) {
		double a, b;

		if (rep & 1) {
			b = pass(off, set, fail, &bad_off);
			a = pass(on, set, fail, &bad_on);
		} else {
			a = pass(on, set, fail, &bad_on);
			b = pass(off, set, fail, &bad_off);
		}
		t_on += a;
		t_off += b;
		ratio[rep] = b > 0 ? a / b : 0;
	}
	qsort(ratio, REPS, sizeof(ratio[0]), by_value);
	printf("%zu inputs x %d runs a side (%zu policy=all inputs left out: "
	       "checked on both sides)\n", set->n, REPS, set->skipped_all);
	printf("checked:   %.0f exec/s (%.1f us a run)\n",
	       (double)set->n * REPS / (t_on / 1e9), t_on / 1e3 / set->n / REPS);
	printf("unchecked: %.0f exec/s (%.1f us a run)\n",
	       (double)set->n * REPS / (t_off / 1e9),
	       t_off / 1e3 / set->n / REPS);
	if (bad_on)
		printf("checked runs that disagreed: %u\n", bad_on);
	printf("oracle overhead: %.2f\n", ratio[REPS / 2]);
out:
	vmf_runner_free(on);
	vmf_runner_free(off);
	for (size_t i = 0; set && i < set->n; i++)
		free(set->in[i].data);
	free(set);
	free(fail);
	return ret;
}
