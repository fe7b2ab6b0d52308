/* vmfuzz tool: targets, strict numbers, per-subcommand help, and running
 * an input through a narrow target's replay binary. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmfuzz.h"

#define VMFT_TOOL_VERSION "1.1"

const char *const vmft_targets[] = {"main", "buddy", "mmu", "rbtree", NULL};

bool vmft_target_valid(const char *name)
{
	for (const char *const *t = vmft_targets; *t; t++)
		if (strcmp(*t, name) == 0)
			return true;
	return false;
}

/* Component [s, e) equal to word? */
static bool comp_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

static const char *target_named(const char *s, const char *e)
{
	for (const char *const *t = vmft_targets; *t; t++)
		if (comp_is(s, e, *t))
			return *t;
	return NULL;
}

const char *vmft_target_of_path(const char *path)
{
	char *abs = realpath(path, NULL);
	const char *p = abs ? abs : path, *found = NULL;
	const char *prev_s = NULL, *prev_e = NULL;

	/* The last matching component wins (build/dev/corpus/mmu/x). */
	while (*p) {
		const char *s = p, *e;

		while (*s == '/')
			s++;
		e = s;
		while (*e && *e != '/')
			e++;
		if (e == s)
			break;
		if (prev_s && (comp_is(prev_s, prev_e, "corpus") ||
			       comp_is(prev_s, prev_e, "crashes") ||
			       comp_is(prev_s, prev_e, "fuzz-smoke"))) {
			const char *t = target_named(s, e);

			if (t)
				found = t;
		}
		if (prev_s && comp_is(prev_s, prev_e, "fuzz-work")) {
			const char *dash = memchr(s, '-', (size_t)(e - s));
			const char *t = dash ? target_named(dash + 1, e) : NULL;

			if (t)
				found = t;
		}
		prev_s = s;
		prev_e = e;
		p = e;
	}
	free(abs);
	return found;
}

static void list_targets(FILE *f)
{
	for (const char *const *t = vmft_targets; *t; t++)
		fprintf(f, "%s%s", t == vmft_targets ? "" : ", ", *t);
}

const char *vmft_choose_target(const char *cmd, const char *opt,
			       char **paths, int npaths)
{
	const char *found = NULL, *from = NULL;

	if (opt) {
		if (!vmft_target_valid(opt)) {
			fprintf(stderr, "vmfuzz %s: unknown target '%s' (targets: ",
				cmd, opt);
			list_targets(stderr);
			fputs(")\n", stderr);
			return NULL;
		}
		fprintf(stderr, "vmfuzz %s: target %s (--target)\n", cmd, opt);
		return opt;
	}
	for (int i = 0; i < npaths; i++) {
		const char *t = vmft_target_of_path(paths[i]);

		if (!t)
			continue;
		if (found && strcmp(found, t)) {
			fprintf(stderr, "vmfuzz %s: %s is a %s input and %s a %s "
					"one: pass --target, one target per run\n",
				cmd, from, found, paths[i], t);
			return NULL;
		}
		found = t;
		from = paths[i];
	}
	if (found) {
		fprintf(stderr, "vmfuzz %s: target %s (from the path %s)\n", cmd,
			found, from);
		return found;
	}
	fprintf(stderr, "vmfuzz %s: target main (the default)\n", cmd);
	return "main";
}

char *vmft_replay_binary(const char *target)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *dir = getenv("VMFUZZ_REPLAY_DIR");
	char *path;
	size_t len;

	if (!dir) {
		char *slash;

		if (n <= 0) {
			fprintf(stderr, "vmfuzz: cannot find this tool's directory "
					"(set VMFUZZ_REPLAY_DIR)\n");
			return NULL;
		}
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		dir = self;
	}
	len = strlen(dir) + strlen(target) + 32;
	path = malloc(len);
	if (!path)
		return NULL;
	snprintf(path, len, "%s/fuzz_%s_replay", dir, target);
	if (access(path, X_OK)) {
		fprintf(stderr, "vmfuzz: target %s runs through %s, which is "
				"missing (cmake builds it beside the tool)\n",
			target, path);
		free(path);
		return NULL;
	}
	return path;
}

static char *read_all_fd(int fd)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		ssize_t got;

		if (n + 1 >= cap) {
			char *nb = cap < (4u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				char sink[4096];

				while (read(fd, sink, sizeof(sink)) > 0)
					;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = 0;
	return buf;
}

void vmft_run_external(const char *bin, const char *path, unsigned timeout_s,
		       struct vmft_outcome *out, char **log)
{
	int errp[2], status = 0;
	char *buf;
	const char *sig;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->cmd_index = -1;
	if (pipe(errp))
		goto error;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(errp[0]);
		close(errp[1]);
		goto error;
	}
	if (pid == 0) {
		close(errp[0]);
		dup2(errp[1], 1);
		dup2(errp[1], 2);
		close(errp[1]);
		alarm(timeout_s);
		execl(bin, bin, path, (char *)NULL);
		_exit(127);
	}
	close(errp[1]);
	buf = read_all_fd(errp[0]);
	close(errp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sig = buf ? strstr(buf, "SIGNATURE: ") : NULL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		out->verdict = VMFT_PASS;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		out->verdict = VMFT_TIMEOUT;
		snprintf(out->signature, sizeof(out->signature), "timeout");
	} else if (sig) {
		size_t n;

		sig += strlen("SIGNATURE: ");
		n = strcspn(sig, "\n");
		out->verdict = VMFT_ORACLE;
		snprintf(out->signature, sizeof(out->signature), "%.*s",
			 (int)(n < 191 ? n : 191), sig);
	} else {
		out->verdict = VMFT_CRASH;
		if (!vmft_sanitizer_signature(buf, out->signature,
					      sizeof(out->signature)))
			snprintf(out->signature, sizeof(out->signature),
				 WIFSIGNALED(status) ? "signal/%d" : "exit/%d",
				 WIFSIGNALED(status) ? WTERMSIG(status)
						     : WEXITSTATUS(status));
	}
	if (log)
		*log = buf;
	else
		free(buf);
	return;
error:
	out->verdict = VMFT_ERROR;
	snprintf(out->signature, sizeof(out->signature), "error/%s",
		 strerror(errno));
}

int vmft_parse_num(const char *cmd, const char *what, const char *s,
		   unsigned long long min, unsigned long long max,
		   unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned base = 10;
	const char *p = s;

	if (!s || !*s)
		goto bad;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			goto bad;
	}
	for (; *p; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			goto bad;
		if (v > (max - d) / base)
			goto range;
		v = v * base + d;
	}
	if (v < min)
		goto range;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "vmfuzz %s: %s wants a number, not '%s'\n", cmd, what,
		s ? s : "");
	return -1;
range:
	fprintf(stderr, "vmfuzz %s: %s '%s' is out of range [%llu, %llu]\n",
		cmd, what, s, min, max);
	return -1;
}

/* ---- help ---------------------------------------------------------------- */

struct help {
	const char *cmd, *text;
};

static const struct help helps[] = {
	{"replay",
	 "usage: vmfuzz replay [-v] [-q] [--target T] FILE|DIR...\n"
	 "Run inputs and print a verdict per input and a summary.\n"
	 "  -v            each command and its result (main target)\n"
	 "  -q            failures and the summary only\n"
	 "  --target T    main, buddy, mmu or rbtree; default: from the path\n"
	 "                (corpus/T/, crashes/T/, fuzz-work/ENGINE-T/), else main\n"
	 "A binary input longer than a program can use is cut (and said so).\n"
	 "Exit: 0 all passed, 1 an input failed, 2 usage or I/O error.\n"},
	{"decode",
	 "usage: vmfuzz decode FILE [-o OUT.txt]\n"
	 "Print (or write to OUT) the text form of a binary input.\n"},
	{"encode",
	 "usage: vmfuzz encode FILE.txt -o OUT\n"
	 "Write the binary form of a text program (docs/format.md).\n"},
	{"minimize",
	 "usage: vmfuzz minimize CRASH -o OUT [-v] [--fork] [--timeout S] [--target main]\n"
	 "Find the smallest program that fails with the same SIGNATURE.\n"
	 "  -o OUT        OUT gets the binary and OUT's .txt the text form;\n"
	 "                OUT ending in .txt: the text form only\n"
	 "  --fork        run every candidate in a child (sanitizer crashes)\n"
	 "  --timeout S   seconds per forked run (1..86400, default 10)\n"
	 "Nothing is written unless minimisation worked; files are replaced\n"
	 "whole (temporary file, then rename). Main-target inputs only.\n"},
	{"vmallocinfo",
	 "usage: vmfuzz vmallocinfo FILE [-n IDX] [--target main]\n"
	 "Print /proc/vmallocinfo after the input, or after command IDX\n"
	 "(0 .. the program's last command).\n"},
	{"ptdump",
	 "usage: vmfuzz ptdump FILE [-n IDX] [--target main]\n"
	 "Print the kernel page tables after the input, or after command IDX.\n"},
	{"rawdump",
	 "usage: vmfuzz rawdump FILE [-n IDX] [--target main]\n"
	 "Print every table page reachable from TTBR1_EL1 as raw descriptors,\n"
	 "with the translation registers, the RAM range and the vmalloc window,\n"
	 "after the input or after command IDX: enough to load the tables into\n"
	 "an emulated CPU without other hints (docs/mmu.md \"mmu_rawdump\").\n"},
	{"triage",
	 "usage: vmfuzz triage [--minimize] [--target T] [--lines N] DIR|FILE...\n"
	 "Run failing inputs and group them by root cause: what disagreed\n"
	 "(the check and the field, e.g. cache/free_vmap_cache) or the\n"
	 "sanitizer report, then by command. Per group: count, first-seen\n"
	 "time (file mtime), the smallest reproducer and the first N lines\n"
	 "(default 4) of its text form.\n"
	 "  --minimize    minimise one representative per group and command,\n"
	 "                then regroup by the minimised program\n"
	 "An empty or missing directory has nothing to triage: exit 0.\n"
	 "Exit: 0 nothing failed, 1 some input failed, 2 usage error.\n"},
	{"plot",
	 "usage: vmfuzz plot STATS -o FILE.svg [--title T]\n"
	 "Draw coverage and exec/s over time as an SVG. STATS: the JSON-lines\n"
	 "stats file of a job (build/fuzz-work/ENGINE-TARGET/stats.jsonl) or\n"
	 "AFL++'s plot_data.\n"},
	{"prog2c",
	 "usage: vmfuzz prog2c FILE -o REPRO.c\n"
	 "Write a standalone C program that makes the machine of FILE's header\n"
	 "and calls the public API command by command, printing each result;\n"
	 "for a failing input, the shadow's expected value becomes a check\n"
	 "(docs/fuzzing.md, \"From a crash to the kernel\").\n"},
	{"kmod",
	 "usage: vmfuzz kmod FILE -o DIR\n"
	 "Write a Linux kernel module (Kbuild + one C file) that replays FILE's\n"
	 "allocator calls on a real kernel (4.19 and 6.1 APIs); never loaded here.\n"},
	{"map",
	 "usage: vmfuzz map FILE -o MAP.svg|MAP.html [-n INDEX]\n"
	 "Draw the vmalloc window, one row per command (or the state at command\n"
	 "INDEX): areas by kind, guard pages, lazy areas, flushes, the failure.\n"},
	{NULL, NULL},
};

void vmft_print_help(const char *cmd, FILE *f)
{
	for (const struct help *h = helps; h->cmd; h++)
		if (strcmp(h->cmd, cmd) == 0)
			fputs(h->text, f);
}

bool vmft_help(const char *cmd, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			vmft_print_help(cmd, stdout);
			return true;
		}
	return false;
}

void vmft_version(FILE *f)
{
	fprintf(f, "vmfuzz %s (input format version %d, at most %zu bytes)\n",
		VMFT_TOOL_VERSION, VMF_FORMAT_VERSION, vmf_encoded_max());
}
