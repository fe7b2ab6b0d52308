/* vmfuzz tool: loading inputs and running them, in process or in a
 * forked child that may die. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmfuzz.h"

bool vmft_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int vmft_read_file(const char *path, size_t max, uint8_t **buf, size_t *len,
		   bool *cut)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, n = 0;
	uint8_t *b;

	*cut = false;
	if (!f)
		return -1;
	if (cap > max + 1)
		cap = max + 1;
	b = malloc(cap + 1);
	if (!b)
		goto fail;
	/* Read at most max + 1 bytes: one more than max says the input is
	 * longer than what is used (/dev/zero, a FIFO, a huge file). */
	for (;;) {
		n += fread(b + n, 1, cap - n, f);
		if (n < cap || cap == max + 1)
			break;
		size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		uint8_t *nb = realloc(b, ncap + 1);
		if (!nb)
			goto fail;
		b = nb;
		cap = ncap;
	}
	if (ferror(f))
		goto fail;
	if (f != stdin)
		fclose(f);
	if (n > max) {
		n = max;
		*cut = true;
	}
	b[n] = 0; /* text inputs are used as strings */
	*buf = b;
	*len = n;
	return 0;
fail:
	free(b);
	if (f != stdin)
		fclose(f);
	if (!errno)
		errno = EIO;
	return -1;
}

/* Write to PATH.tmp-XXXXXX beside it, then rename: a failed write leaves
 * nothing behind and never half a file. */
int vmft_write_file(const char *path, const void *buf, size_t len)
{
	size_t n = strlen(path);
	char *tmp;
	FILE *f;
	int fd, saved;

	if (strcmp(path, "-") == 0) {
		if (fwrite(buf, 1, len, stdout) != len)
			return -1;
		return fflush(stdout) ? -1 : 0;
	}
	tmp = malloc(n + 16);
	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (fwrite(buf, 1, len, f) != len) {
		saved = errno ? errno : EIO;
		fclose(f);
		goto fail;
	}
	if (fclose(f)) {
		saved = errno;
		goto fail;
	}
	/* mkstemp makes 0600; an output is an ordinary file. */
	{
		mode_t um = umask(0);

		umask(um);
		chmod(tmp, 0666 & ~um);
	}
	if (rename(tmp, path)) {
		saved = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

int vmft_check_writable(const char *path)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	int fd;

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return fd >= 0 ? 0 : -1;
}


int vmft_input_load(const char *path, struct vmft_input *in)
{
	uint8_t *buf;
	size_t len;
	char err[256];
	bool cut;

	memset(in, 0, sizeof(*in));
	in->is_text = vmft_has_suffix(path, ".txt");
	if (vmft_read_file(path, in->is_text ? VMFT_TEXT_MAX : vmf_encoded_max(),
			   &buf, &len, &cut)) {
		fprintf(stderr, "vmfuzz: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (cut && in->is_text) {
		fprintf(stderr, "vmfuzz: %s: a text program is at most %d bytes; "
				"this one is longer\n", path, VMFT_TEXT_MAX);
		free(buf);
		return -1;
	}
	if (cut)
		fprintf(stderr, "vmfuzz: %s: input cut to %zu bytes (a program "
				"uses at most %zu; the rest is never read)\n",
			path, len, len);
	in->path = strdup(path);
	in->prog = calloc(1, sizeof(*in->prog));
	if (!in->path || !in->prog) {
		free(buf);
		vmft_input_free(in);
		fprintf(stderr, "vmfuzz: out of memory\n");
		return -1;
	}
	in->cut = cut;
	in->is_text = vmft_has_suffix(path, ".txt");
	if (in->is_text) {
		int rc = vmf_program_parse((const char *)buf, in->prog, err,
					   sizeof(err));

		free(buf);
		if (rc) {
			fprintf(stderr, "vmfuzz: %s: %s\n", path, err);
			vmft_input_free(in);
			return -1;
		}
		return 0;
	}
	in->bytes = buf;
	in->len = len;
	vmf_decode(buf, len, in->prog);
	return 0;
}

void vmft_input_free(struct vmft_input *in)
{
	free(in->path);
	free(in->bytes);
	free(in->prog);
	memset(in, 0, sizeof(*in));
}

bool vmft_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static char *join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

size_t vmft_list_inputs(const char *dir, char ***out)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, not_hidden, alphasort);
	size_t count = 0;
	char **paths;

	*out = NULL;
	if (n < 0)
		return 0;
	paths = calloc((size_t)n + 1, sizeof(*paths));
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *full = join(dir, name);
		struct stat st;

		if (paths && full && stat(full, &st) == 0 &&
		    S_ISREG(st.st_mode) && !vmft_has_suffix(name, ".md")) {
			bool view = false;

			/* x.txt beside x.bin is the readable view of x.bin. */
			if (vmft_has_suffix(name, ".txt")) {
				size_t l = strlen(full);
				char *bin = malloc(l + 1);

				if (bin) {
					memcpy(bin, full, l - 4);
					memcpy(bin + l - 4, ".bin", 5);
					view = stat(bin, &st) == 0;
					free(bin);
				}
			}
			if (!view) {
				paths[count++] = full;
				full = NULL;
			}
		}
		free(full);
		free(ents[i]);
	}
	free(ents);
	*out = paths;
	return paths ? count : 0;
}

const char *vmft_verdict_name(enum vmft_verdict v)
{
	switch (v) {
	case VMFT_PASS:
		return "ok";
	case VMFT_ORACLE:
		return "FAIL";
	case VMFT_CRASH:
		return "CRASH";
	case VMFT_TIMEOUT:
		return "TIMEOUT";
	case VMFT_ERROR:
		return "ERROR";
	}
	return "?";
}

void vmft_run_prog(struct vmf_runner *r, const struct vmf_program *prog,
		   const struct vmf_run_opts *opts, struct vmf_failure *fail,
		   struct vmft_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->cmd_index = -1;
	fail->failed = false;
	if (vmf_run_program(r, prog, opts, fail) && fail->failed) {
		out->verdict = VMFT_ORACLE;
		out->cmd_index = (long)fail->cmd_index;
		snprintf(out->signature, sizeof(out->signature), "%s",
			 fail->signature);
	}
}

/* ---- forked runs -------------------------------------------------------- */

struct child_record {
	int verdict;
	long cmd_index;
	char signature[192];
};

static void word_after(const char *p, char *out, size_t len)
{
	size_t n = 0;

	while (*p == ' ')
		p++;
	while (p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < len) {
		out[n] = p[n];
		n++;
	}
	out[n] = 0;
}

/* A signature from a sanitizer report: its SUMMARY line. */
bool vmft_sanitizer_signature(const char *log, char *sig, size_t len)
{
	const char *s = log ? strstr(log, "SUMMARY: ") : NULL;
	char tool[16], kind[64], where[96] = "";

	if (!s)
		return false;
	s += strlen("SUMMARY: ");
	if (strncmp(s, "AddressSanitizer:", 17) == 0) {
		snprintf(tool, sizeof(tool), "asan");
		s += 17;
	} else if (strncmp(s, "UndefinedBehaviorSanitizer:", 27) == 0) {
		snprintf(tool, sizeof(tool), "ubsan");
		s += 27;
	} else if (strncmp(s, "LeakSanitizer:", 14) == 0) {
		snprintf(tool, sizeof(tool), "lsan");
		s += 14;
	} else {
		snprintf(tool, sizeof(tool), "sanitizer");
	}
	word_after(s, kind, sizeof(kind));
	if (strcmp(tool, "ubsan") == 0) {
		/* "file.c:12:5: runtime error: ..." names the place. */
		const char *e = strstr(log, ": runtime error:");
		const char *b = e;

		while (b && b > log && b[-1] != '\n' && b[-1] != '/')
			b--;
		if (e) {
			size_t n = (size_t)(e - b);
			const char *c = memchr(b, ':', n);

			/* keep file:line, drop the column */
			if (c && (c = memchr(c + 1, ':', (size_t)(e - c - 1))))
				n = (size_t)(c - b);
			snprintf(where, sizeof(where), "%.*s", (int)n, b);
		}
	} else {
		const char *in = strstr(s, " in ");
		const char *nl = strchr(s, '\n');

		if (in && (!nl || in < nl))
			word_after(in + 4, where, sizeof(where));
	}
	snprintf(sig, len, "%s/%s%s%s", tool, kind, where[0] ? "/" : "", where);
	return true;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGABRT:
		return "SIGABRT";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGKILL:
		return "SIGKILL";
	case SIGTRAP:
		return "SIGTRAP";
	}
	return "other";
}

void vmft_run_forked(struct vmf_runner *r, const struct vmf_program *prog,
		     unsigned timeout_s, struct vmft_outcome *out, char **log)
{
	int errp[2], recp[2], status = 0;
	struct child_record rec;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	bool got = false;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->cmd_index = -1;
	if (pipe(errp))
		goto error;
	if (pipe(recp)) {
		close(errp[0]);
		close(errp[1]);
		goto error;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(errp[0]);
		close(errp[1]);
		close(recp[0]);
		close(recp[1]);
		goto error;
	}
	if (pid == 0) {
		struct vmf_failure *fail = malloc(sizeof(*fail));
		struct vmft_outcome o;

		close(errp[0]);
		close(recp[0]);
		dup2(errp[1], 2);
		close(errp[1]);
		alarm(timeout_s);
		if (!fail)
			_exit(3);
		vmft_run_prog(r, prog, NULL, fail, &o);
		if (o.verdict == VMFT_ORACLE)
			fputs(fail->report, stderr);
		memset(&rec, 0, sizeof(rec));
		rec.verdict = o.verdict;
		rec.cmd_index = o.cmd_index;
		memcpy(rec.signature, o.signature, sizeof(rec.signature));
		if (write(recp[1], &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
			_exit(3);
		_exit(0);
	}
	close(errp[1]);
	close(recp[1]);
	for (;;) {
		ssize_t got_n;

		if (n + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb = ncap <= (4u << 20) ? realloc(buf, ncap) : NULL;

			if (!nb) {
				/* Too much: drain and drop the rest. */
				char sink[4096];

				while (read(errp[0], sink, sizeof(sink)) > 0)
					;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		got_n = read(errp[0], buf + n, cap - n - 1);
		if (got_n < 0 && errno == EINTR)
			continue;
		if (got_n <= 0)
			break;
		n += (size_t)got_n;
	}
	if (buf)
		buf[n] = 0;
	close(errp[0]);
	got = read(recp[0], &rec, sizeof(rec)) == (ssize_t)sizeof(rec);
	close(recp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (got && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		out->verdict = (enum vmft_verdict)rec.verdict;
		out->cmd_index = rec.cmd_index;
		rec.signature[sizeof(rec.signature) - 1] = 0;
		snprintf(out->signature, sizeof(out->signature), "%s",
			 rec.signature);
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		out->verdict = VMFT_TIMEOUT;
		snprintf(out->signature, sizeof(out->signature), "timeout");
	} else {
		out->verdict = VMFT_CRASH;
		if (!vmft_sanitizer_signature(buf, out->signature,
					 sizeof(out->signature))) {
			if (WIFSIGNALED(status))
				snprintf(out->signature, sizeof(out->signature),
					 "signal/%s", sig_name(WTERMSIG(status)));
			else
				snprintf(out->signature, sizeof(out->signature),
					 "exit/%d", WEXITSTATUS(status));
		}
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
