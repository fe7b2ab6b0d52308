/* Where a run's time goes, command by command: every input of the given
 * files or directories (default: build/release/corpus/main, the encoded
 * seeds) runs REPS times; the time from one command's start to the next
 * one's (its execution, the shadow's prediction and the oracle's checks)
 * is summed per opcode, with the page allocations each command caused.
 *
 * This is the figure to watch when a change to the library or the shadow
 * model moves fuzzing speed: exec/s is about 1 / (commands per input x
 * time per command). Nops are timed with the oracle pass that ordinary
 * runs skip (the timing hook disables that shortcut), so their row is an
 * upper bound. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vmfuzz/machine.h>

#include "cmd.h"
#include "interp_hook.h"

#define REPS 3
#define NR_OPS 256
#define MAX_INPUT 65536

struct op_cost {
	double ns;
	uint64_t cmds, pages;
};

struct profile {
	const struct vmf_program *prog;
	struct op_cost op[NR_OPS];
	int cur_op; /* -1 before the first command of a run */
	double t_cur;
	uint64_t pages_cur;
	double total_ns;
	uint64_t runs;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Close the command that is running (if any) at time t. */
static void close_cmd(struct profile *p, double t, uint64_t pages)
{
	if (p->cur_op >= 0) {
		struct op_cost *c = &p->op[p->cur_op];

		c->ns += t - p->t_cur;
		c->cmds++;
		c->pages += pages - p->pages_cur;
	}
}

static void before_cmd(void *arg, struct vmf_machine *m, size_t idx)
{
	struct profile *p = arg;
	double t = now_ns();
	uint64_t pages = vmf_pages_spent(m);

	close_cmd(p, t, pages);
	p->cur_op = p->prog->cmds[idx].op;
	p->pages_cur = pages;
	p->t_cur = now_ns(); /* the hook's own time left out */
}

static void run_file(struct profile *p, struct vmf_runner *r,
		     struct vmf_program *prog, const char *path)
{
	static uint8_t buf[MAX_INPUT];
	struct vmf_failure fail;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	vmf_decode(buf, n, prog);
	p->prog = prog;
	for (int rep = 0; rep < REPS; rep++) {
		double t0 = now_ns(), t1;

		p->cur_op = -1;
		vmf_run_program_hooked(r, prog, NULL, &fail, before_cmd, p);
		t1 = now_ns();
		close_cmd(p, t1, vmf_pages_spent(vmf_runner_machine(r)));
		p->total_ns += t1 - t0;
		p->runs++;
	}
}

static void run_path(struct profile *p, struct vmf_runner *r,
		     struct vmf_program *prog, const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		run_file(p, r, prog, path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		run_file(p, r, prog, sub);
	}
	closedir(d);
}

static int by_share(const void *a, const void *b)
{
	const struct op_cost *x = *(const struct op_cost *const *)a;
	const struct op_cost *y = *(const struct op_cost *const *)b;

	return (x->ns < y->ns) - (x->ns > y->ns);
}

int main(int argc, char **argv)
{
	struct profile *p = calloc(1, sizeof(*p));
	struct vmf_program *prog = malloc(sizeof(*prog));
	struct vmf_runner *r = vmf_runner_new();
	const struct op_cost *rows[NR_OPS];
	size_t nr = 0;
	uint64_t cmds = 0;

	if (!p || !prog || !r) {
		fprintf(stderr, "bench_commands: out of memory\n");
		return 1;
	}
	if (argc < 2)
		run_path(p, r, prog, "build/release/corpus/main");
	for (int i = 1; i < argc; i++)
		run_path(p, r, prog, argv[i]);
	if (!p->runs) {
		printf("no inputs (give files or directories)\n");
		return 0;
	}
	for (unsigned o = 0; o < NR_OPS; o++)
		if (p->op[o].cmds) {
			rows[nr++] = &p->op[o];
			cmds += p->op[o].cmds;
		}
	qsort(rows, nr, sizeof(rows[0]), by_share);
	printf("%llu runs (%d each), %.1f us a run, %.1f commands a run, "
	       "%.0f ns a command\n",
	       (unsigned long long)p->runs, REPS, p->total_ns / 1e3 / p->runs,
	       (double)cmds / p->runs, p->total_ns / cmds);
	printf("%-20s %9s %7s %9s %9s\n", "command", "count", "time",
	       "ns/cmd", "pages/cmd");
	for (size_t i = 0; i < nr && i < 20; i++)
		printf("%-20s %9llu %6.1f%% %9.0f %9.1f\n",
		       vmf_op_name((enum vmf_op)(rows[i] - p->op)),
		       (unsigned long long)rows[i]->cmds,
		       100.0 * rows[i]->ns / p->total_ns,
		       rows[i]->ns / (double)rows[i]->cmds,
		       (double)rows[i]->pages / (double)rows[i]->cmds);
	{
		double in_cmds = 0;

		for (size_t i = 0; i < nr; i++)
			in_cmds += rows[i]->ns;
		printf("%-20s %9s %6.1f%%\n", "(reset, set-up)", "",
		       100.0 * (p->total_ns - in_cmds) / p->total_ns);
	}
	vmf_runner_free(r);
	free(prog);
	free(p);
	return 0;
}
