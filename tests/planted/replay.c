/* Replay text seed programs through the interpreter and the shadow model.
 *
 *   replay [--trace] [--expect-pass | --expect-signature] FILE...
 *
 * Each FILE is a text program (docs/format.md) that may carry a line
 * "# expect: <check>/<op>" (the signature it must fail with when its
 * planted fault is built in). Without an option the report of a failing
 * program is printed and the exit status says whether all passed.
 *   --expect-pass       every program must pass (the correct library);
 *   --expect-signature  every program must fail with its "# expect:" line.
 * Exit status 0 when every file met the expectation, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

/* The "# expect: X" line's X, copied into out ("" if none). */
static void expected_signature(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, "# expect:");
	size_t n = 0;

	out[0] = 0;
	if (!p)
		return;
	p += strlen("# expect:");
	while (*p == ' ' || *p == '\t')
		p++;
	while (p[n] && p[n] != '\n' && p[n] != ' ' && p[n] != '\r' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
}

int main(int argc, char **argv)
{
	enum { ANY, PASS, SIG } mode = ANY;
	bool trace = false;
	int bad = 0, files = 0;
	struct vmf_runner *r = vmf_runner_new();
	struct vmf_program *prog = malloc(sizeof(*prog));
	struct vmf_failure *fail = malloc(sizeof(*fail));

	if (!r || !prog || !fail)
		return 2;
	for (int i = 1; i < argc; i++) {
		struct vmf_run_opts o = {NULL, -1};
		char err[256], want[160];
		char *text;
		int rc;

		if (!strcmp(argv[i], "--expect-pass")) {
			mode = PASS;
			continue;
		}
		if (!strcmp(argv[i], "--expect-signature")) {
			mode = SIG;
			continue;
		}
		if (!strcmp(argv[i], "--trace")) {
			trace = true;
			continue;
		}
		files++;
		text = slurp(argv[i]);
		if (!text) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			bad++;
			continue;
		}
		if (vmf_program_parse(text, prog, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", argv[i], err);
			free(text);
			bad++;
			continue;
		}
		expected_signature(text, want, sizeof(want));
		if (trace)
			o.trace = stdout;
		rc = vmf_run_program(r, prog, &o, fail);
		if (mode == PASS && rc) {
			fprintf(stderr, "%s: FAIL: expected to pass on the correct "
				"library\n%s", argv[i], fail->report);
			bad++;
		} else if (mode == SIG && !rc) {
			fprintf(stderr, "%s: FAIL: passed; expected the oracle to "
				"report %s\n", argv[i], want);
			bad++;
		} else if (mode == SIG && strcmp(fail->signature, want) != 0) {
			fprintf(stderr, "%s: FAIL: reported %s, expected %s\n%s",
				argv[i], fail->signature, want, fail->report);
			bad++;
		} else if (mode == ANY && rc) {
			printf("%s", fail->report);
			bad++;
		} else {
			printf("%s: ok%s%s\n", argv[i], rc ? ": " : "",
			       rc ? fail->signature : "");
		}
		free(text);
	}
	vmf_runner_free(r);
	free(prog);
	free(fail);
	if (!files) {
		fprintf(stderr, "usage: replay [--trace] [--expect-pass | "
			"--expect-signature] FILE...\n");
		return 2;
	}
	return bad ? 1 : 0;
}
