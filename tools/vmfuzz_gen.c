/* The generators' shared command line, output and run helpers
 * (vmfuzz_gen.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "vmfuzz_gen.h"

int vmft_gen_parse(int argc, char **argv, const char *tool, const char *usage,
		   bool want_index, struct vmft_gen_args *ga)
{
	memset(ga, 0, sizeof(*ga));
	ga->index = -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: vmfuzz %s\n", usage);
			exit(0);
		}
		if (strcmp(a, "-o") == 0 || (want_index && strcmp(a, "-n") == 0)) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmfuzz %s: %s wants a value\n"
						"usage: vmfuzz %s\n",
					tool, a, usage);
				return 2;
			}
			if (a[1] == 'o') {
				ga->out = argv[++i];
			} else {
				char *end;

				errno = 0;
				ga->index = strtol(argv[++i], &end, 0);
				if (!*argv[i] || *end || errno || ga->index < 0) {
					fprintf(stderr, "vmfuzz %s: -n wants a "
							"command index (0, 1, ...), "
							"not '%s'\n",
						tool, argv[i]);
					return 2;
				}
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "vmfuzz %s: unknown option %s\n"
					"usage: vmfuzz %s\n",
				tool, a, usage);
			return 2;
		}
		if (ga->file) {
			fprintf(stderr, "vmfuzz %s: one input only ('%s' and "
					"'%s')\nusage: vmfuzz %s\n",
				tool, ga->file, a, usage);
			return 2;
		}
		ga->file = a;
	}
	if (!ga->file || !ga->out) {
		fprintf(stderr, "usage: vmfuzz %s\n", usage);
		return 2;
	}
	return 0;
}

FILE *vmft_gen_open(const char *tool, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		fprintf(stderr, "vmfuzz %s: %s: %s\n", tool, path,
			strerror(errno));
	return f;
}

int vmft_gen_close(const char *tool, const char *path, FILE *f)
{
	if (f == stdout)
		return fflush(f) ? 2 : 0;
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "vmfuzz %s: %s: write failed\n", tool, path);
		return 2;
	}
	return 0;
}

int vmft_gen_one_policy(const char *tool, const char *file,
			const struct vmf_program *prog)
{
	if (vmf_header_policy(prog->header) != VMF_POLICY_ALL)
		return 0;
	fprintf(stderr,
		"vmfuzz %s: %s: policy=all runs the program once per placement "
		"policy; a %s output is for one machine: set the header's "
		"policy= to legacy, modern or nextfit (vmfuzz decode, edit, "
		"vmfuzz encode)\n",
		tool, file, tool);
	return 2;
}

int vmft_gen_run(const struct vmf_program *prog, struct vmf_failure *fail)
{
	struct vmf_runner *r = vmf_runner_new();

	if (!r) {
		fprintf(stderr, "vmfuzz: cannot create the runner\n");
		return 2;
	}
	vmf_run_program(r, prog, NULL, fail);
	vmf_runner_free(r);
	return 0;
}

void vmft_report_detail(const struct vmf_failure *fail, char *buf, size_t len)
{
	const char *d = strstr(fail->report, "\ndetails: ");
	size_t n;

	buf[0] = 0;
	if (!d || !len)
		return;
	d += strlen("\ndetails: ");
	n = strcspn(d, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, d, n);
	buf[n] = 0;
}

void vmft_put_c_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}
