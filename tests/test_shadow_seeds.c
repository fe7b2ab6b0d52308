/* The planted-fault seeds (tests/planted/<NAME>.txt) on this build.
 *
 * On the correct library every seed must pass: a seed that fails there
 * would prove nothing about its fault. In a build with a fault planted
 * (-DVMF_PLANT=<NAME>), that fault's seed must fail with the signature of
 * its "# expect:" line (the other seeds are not judged: they may trip on
 * the same fault). The seeds are found next to this file (__FILE__ is the
 * absolute path CMake compiles). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "test.h"

#if defined(VMF_PLANT_GUARD_MISSING)
#define PLANTED "GUARD_MISSING"
#elif defined(VMF_PLANT_FIT_OFF_BY_ONE)
#define PLANTED "FIT_OFF_BY_ONE"
#elif defined(VMF_PLANT_CACHE_NOT_UPDATED_ON_FREE)
#define PLANTED "CACHE_NOT_UPDATED_ON_FREE"
#elif defined(VMF_PLANT_PURGE_NO_FLUSH)
#define PLANTED "PURGE_NO_FLUSH"
#elif defined(VMF_PLANT_LAZY_COUNT_NOT_DECREASED)
#define PLANTED "LAZY_COUNT_NOT_DECREASED"
#elif defined(VMF_PLANT_NO_RETRY_AFTER_OVERFLOW)
#define PLANTED "NO_RETRY_AFTER_OVERFLOW"
#elif defined(VMF_PLANT_PAGE_FAIL_LEAK)
#define PLANTED "PAGE_FAIL_LEAK"
#elif defined(VMF_PLANT_UNMAP_SKIPS_LAST_PAGE)
#define PLANTED "UNMAP_SKIPS_LAST_PAGE"
#elif defined(VMF_PLANT_CACHE_HIT_IGNORES_ALIGN)
#define PLANTED "CACHE_HIT_IGNORES_ALIGN"
#elif defined(VMF_PLANT_IRQ_VFREE_IMMEDIATE)
#define PLANTED "IRQ_VFREE_IMMEDIATE"
#elif defined(VMF_PLANT_PTE_NO_AF)
#define PLANTED "PTE_NO_AF"
#elif defined(VMF_PLANT_FLUSH_MISSES_LAST_PAGE)
#define PLANTED "FLUSH_MISSES_LAST_PAGE"
#else
#define PLANTED NULL
#endif

static void seeds_dir(char *out, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');
	size_t n = slash ? (size_t)(slash - __FILE__) : 0;

	if (n)
		snprintf(out, len, "%.*s/planted", (int)n, __FILE__);
	else
		snprintf(out, len, "planted");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
			buf[n] = 0;
		else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static void expected(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, "# expect:");
	size_t n = 0;

	out[0] = 0;
	if (!p)
		return;
	p += strlen("# expect:");
	while (*p == ' ')
		p++;
	while (p[n] && p[n] != '\n' && p[n] != ' ' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
}

static void seeds(void)
{
	char dir[1024], path[1400], want[160], err[256];
	struct vmf_runner *r = vmf_runner_new();
	static struct vmf_program prog;
	static struct vmf_failure fail;
	const char *planted = PLANTED;
	DIR *d;
	struct dirent *e;
	int n = 0;
	bool planted_seen = false;

	seeds_dir(dir, sizeof(dir));
	d = opendir(dir);
	CHECK(d != NULL);
	if (!d) {
		vmf_runner_free(r);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char name[256];
		char *text;
		int rc;

		if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(l - 4), e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = slurp(path);
		CHECK(text != NULL);
		if (!text)
			continue;
		expected(text, want, sizeof(want));
		CHECK(want[0] != 0); /* every seed names its signature */
		CHECK(vmf_program_parse(text, &prog, err, sizeof(err)) == 0);
		rc = vmf_run_program(r, &prog, NULL, &fail);
		n++;
		if (!planted) {
			if (rc)
				fprintf(stderr, "%s fails on the correct library:\n%s",
					name, fail.report);
			CHECK_EQ(rc, 0);
		} else if (strcmp(name, planted) == 0) {
			planted_seen = true;
			CHECK_EQ(rc, 1);
			if (rc)
				CHECK_STR(fail.signature, want);
		}
		free(text);
	}
	closedir(d);
	CHECK(n >= 12);
	CHECK(!planted || planted_seen);
	vmf_runner_free(r);
}

TEST_MAIN(TEST(seeds))
