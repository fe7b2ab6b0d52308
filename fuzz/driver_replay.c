/* Plain replay driver: runs a fuzz target (its LLVMFuzzerInitialize and
 * LLVMFuzzerTestOneInput) over files and directories named on the command
 * line, without any fuzzing engine. Builds with gcc or clang, with or
 * without sanitizers; it is how ctest replays the corpora and saved
 * crashes, and how a crash is reproduced under a debugger.
 *
 *	fuzz_<name>_replay [-v] FILE|DIR...   (no argument: one input, stdin)
 *
 * Directories are read in name order (not recursively), so a replay is
 * deterministic; in a directory, *.txt and *.md files are skipped (the
 * text views of binary inputs, READMEs). Arguments starting with '-' other than -v are ignored,
 * so libFuzzer-style command lines (-runs=..., -dict=...) still work. A
 * failing input aborts inside the target (its report ends with
 * "SIGNATURE: ..."); the driver names the input first. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const char *current_input;
static int verbose;

static void name_current(void)
{
	const char *pre = "replay: the failing input is ";

	if (!current_input)
		return;
	/* Async-signal-safe: write(2) only. */
	if (write(2, pre, strlen(pre)) < 0 ||
	    write(2, current_input, strlen(current_input)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

static void on_abort(int sig)
{
	name_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int read_all(FILE *f, uint8_t **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap);

	if (!b)
		return -1;
	for (;;) {
		size_t got = fread(b + n, 1, cap - n, f);

		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(b);
				return -1;
			}
			break;
		}
		uint8_t *nb = realloc(b, cap * 2);
		if (!nb) {
			free(b);
			return -1;
		}
		b = nb;
		cap *= 2;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (read_all(f, &buf, &len)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	current_input = path;
	if (verbose)
		fprintf(stderr, "Running: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	current_input = NULL;
	free(buf);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int wanted(const struct dirent *d)
{
	return d->d_name[0] != '.' && !has_suffix(d->d_name, ".txt") &&
	       !has_suffix(d->d_name, ".md");
}

static int run_path(const char *path, unsigned long *count)
{
	struct stat st;
	struct dirent **ents;
	int n, errors = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (run_file(path))
			return 1;
		(*count)++;
		return 0;
	}
	n = scandir(path, &ents, wanted, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(ents[i]->d_name) + 2;
		char *full = malloc(len);

		if (full) {
			snprintf(full, len, "%s/%s", path, ents[i]->d_name);
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(full))
					errors++;
				else
					(*count)++;
			}
			free(full);
		} else {
			errors++;
		}
		free(ents[i]);
	}
	free(ents);
	return errors;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int errors = 0, files = 0;

	signal(SIGABRT, on_abort);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(name_current);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		files++;
		errors += run_path(argv[i], &count);
	}
	if (!files) {
		uint8_t *buf;
		size_t len;

		if (read_all(stdin, &buf, &len)) {
			fprintf(stderr, "replay: stdin: read error\n");
			return 1;
		}
		current_input = "(stdin)";
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		count = 1;
	}
	printf("replay: %lu input(s) passed%s\n", count,
	       errors ? ", some could not be read" : "");
	return errors ? 1 : 0;
}
