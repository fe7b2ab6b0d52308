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
 * (the corpus agrees, so that is a bug of its own). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "interp_hook.h"

#define REPS 9
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
};

static double now_ns(void)
{
	struct timespec ts;

	/* CPU time of this thread: the machine is shared, and the time
	 * other processes take would land on whichever side ran then. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
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

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
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

int main(int argc, char **argv)
{
	struct inputs *set = calloc(1, sizeof(*set));
	struct vmf_failure *fail = malloc(sizeof(*fail));
	struct vmf_runner *on = vmf_runner_new(), *off = vmf_runner_new();
	double t_on = 0, t_off = 0, ratio[REPS];
	unsigned bad_on = 0, bad_off = 0;

	if (!set || !fail || !on || !off) {
		fprintf(stderr, "bench_oracle: out of memory\n");
		return 1;
	}
	vmf_runner_set_oracle(off, false);
	if (argc < 2)
		load_path(set, "build/release/corpus/main");
	for (int i = 1; i < argc; i++)
		load_path(set, argv[i]);
	if (!set->n) {
		printf("no inputs (give files or directories)\n");
		return 0;
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
	printf("%zu inputs x %d runs a side\n", set->n, REPS);
	printf("checked:   %.0f exec/s (%.1f us a run)\n",
	       (double)set->n * REPS / (t_on / 1e9), t_on / 1e3 / set->n / REPS);
	printf("unchecked: %.0f exec/s (%.1f us a run)\n",
	       (double)set->n * REPS / (t_off / 1e9),
	       t_off / 1e3 / set->n / REPS);
	if (bad_on)
		printf("checked runs that disagreed: %u\n", bad_on);
	printf("oracle overhead: %.2f\n", ratio[REPS / 2]);
	vmf_runner_free(on);
	vmf_runner_free(off);
	for (size_t i = 0; i < set->n; i++)
		free(set->in[i].data);
	free(set);
	free(fail);
	return 0;
}
