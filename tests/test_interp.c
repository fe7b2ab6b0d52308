/* The interpreter and the shadow model on the correct library:
 *  - random byte strings and structured random programs run with no
 *    oracle failure;
 *  - text programs that use every op and every hardened case;
 *  - same input -> byte-identical trace (one runner twice, two runners);
 *  - the oracle bites: state corrupted between commands through the public
 *    structs is reported with the right signature.
 *
 * VMF_TEST_ITER=n multiplies the random runs (for long local runs). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/vmalloc.h>

#include "interp.h"
#include "interp_hook.h"
#include "interp_hook.h"
#include "test.h"

#include "mm/vmalloc_internal.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ull;
}

static unsigned rnd(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

static long iterations(long base)
{
	const char *e = getenv("VMF_TEST_ITER");
	long k = e ? atol(e) : 1;

	return base * (k > 0 ? k : 1);
}

static struct vmf_failure fail_buf;

/* Run a text program; returns 0 / 1 (failure), -1 on a parse error. */
static int run_text(struct vmf_runner *r, const char *text,
		    struct vmf_failure *fail, FILE *trace)
{
	static struct vmf_program prog;
	char err[256];
	struct vmf_run_opts o = {trace, -1};

	if (vmf_program_parse(text, &prog, err, sizeof(err))) {
		fprintf(stderr, "parse error: %s\n", err);
		return -1;
	}
	return vmf_run_program(r, &prog, &o, fail);
}

static int run_text_ok(struct vmf_runner *r, const char *text)
{
	int rc = run_text(r, text, &fail_buf, NULL);

	if (rc > 0)
		fprintf(stderr, "%s\n", fail_buf.report);
	return rc;
}

/* ---- structured random programs --------------------------------------- */

struct gen {
	uint64_t s;
	char *buf;
	size_t len, cap;
};

static void emit(struct gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < g->cap - g->len)
		g->len += (size_t)n;
}

static const char *const layouts[] = {
	"granule=4k va=48", "granule=4k va=39", "granule=16k va=48",
	"granule=16k va=47", "granule=16k va=36", "granule=64k va=48",
	"granule=64k va=42",
};
static const char *const windows[] = {"4p",  "6p",  "8p",  "12p", "16p",
				      "24p", "32p", "64p", "128p", "1m",
				      "16m", "linux"};
static const char *const rams[] = {"64p", "96p", "128p", "256p", "512p",
				   "1024p", "2048p", "16m"};
static const char *const lazies[] = {"1p", "2p", "4p", "8p", "16p", "64p",
				     "kernel"};
static const char *const tlbs[] = {"1", "2", "4", "16", "64", "256"};
static const char *const gfps[] = {"kernel", "zero", "nowarn", "zero|nowarn",
				   "thisnode", "highmem", "dma32", "invalid"};
static const char *const prots[] = {"kernel", "ro", "rox", "exec",
				    "kernel_ng", "ro_ng", "rox_ng", "exec_ng"};
static const char *const flagss[] = {"0", "0", "no_guard", "ioremap", "map",
				     "alloc", "usermap", "ioremap|no_guard",
				     "invalid"};
static const char *const nodes[] = {"-1", "-1", "0", "1", "2", "3", "4",
				    "-2"};
static const char *const bads[] = {
	"vfree_unaligned", "vfree_nonexistent", "vfree_double",
	"vfree_interior", "vunmap_vmalloc", "vfree_vmap", "early_after_init",
	"size_zero", "size_above_totalram", "size_wraps", "align_not_pow2",
	"range_inverted", "range_outside", "vunmap_unaligned",
	"vunmap_nonexistent",
};

#define PICK(g, arr) (arr[rnd(&(g)->s, sizeof(arr) / sizeof(arr[0]))])

static void gen_size(struct gen *g)
{
	switch (rnd(&g->s, 9)) {
	case 0:
		emit(g, "0x%x", 1 + rnd(&g->s, 256));
		break;
	case 1:
		emit(g, "%up-0x1", 1 + rnd(&g->s, 8));
		break;
	case 2:
		emit(g, "%up+0x1", 1 + rnd(&g->s, 8));
		break;
	case 3:
		emit(g, "window-%up", rnd(&g->s, 4));
		break;
	case 4:
		emit(g, "%up", 16 + rnd(&g->s, 200));
		break;
	case 5:
		/* nested page arrays with 4 KiB pages (> 512 pages) */
		emit(g, "%up", 16 * (30 + rnd(&g->s, 60)));
		break;
	default:
		emit(g, "%up", 1 + rnd(&g->s, 6));
		break;
	}
}

static void gen_off(struct gen *g)
{
	unsigned k = rnd(&g->s, 10), d = rnd(&g->s, 128);

	switch (rnd(&g->s, 4)) {
	case 0:
		emit(g, "%up", k);
		break;
	case 1:
		emit(g, "%up+0x%x", k, d);
		break;
	case 2:
		emit(g, "%up-0x%x", k + 1, d + 1);
		break;
	default:
		emit(g, "0x%x", d);
		break;
	}
}

static void gen_cmd(struct gen *g)
{
	unsigned c = rnd(&g->s, 100);
	unsigned h = rnd(&g->s, 256);

	if (c < 14) {
		static const char *const ops[] = {
			"vmalloc", "vmalloc", "vmalloc", "vzalloc", "vmalloc_32",
			"vmalloc_user", "vmalloc_exec"};
		emit(g, "%s size=", PICK(g, ops));
		gen_size(g);
	} else if (c < 18) {
		emit(g, "%s size=", rnd(&g->s, 2) ? "vmalloc_node" : "vzalloc_node");
		gen_size(g);
		emit(g, " node=%s", PICK(g, nodes));
	} else if (c < 21) {
		emit(g, "__vmalloc size=");
		gen_size(g);
		emit(g, " gfp=%s prot=%s", PICK(g, gfps), PICK(g, prots));
	} else if (c < 26) {
		emit(g, "vmalloc_node_range size=");
		gen_size(g);
		emit(g, " align=%up start=win+%up end=win_end-%up gfp=%s "
			"prot=%s flags=%s node=%s",
		     1u << rnd(&g->s, 5), rnd(&g->s, 3), rnd(&g->s, 2),
		     PICK(g, gfps), PICK(g, prots), PICK(g, flagss),
		     PICK(g, nodes));
	} else if (c < 29) {
		emit(g, "get_vm_area size=");
		gen_size(g);
		emit(g, " flags=%s", PICK(g, flagss));
	} else if (c < 31) {
		emit(g, "get_vm_area_node size=");
		gen_size(g);
		emit(g, " align=%up flags=%s start=win+%up end=win_end node=%s "
			"gfp=%s",
		     1u << rnd(&g->s, 4), PICK(g, flagss), rnd(&g->s, 3),
		     PICK(g, nodes), PICK(g, gfps));
	} else if (c < 35) {
		emit(g, "vmap count=%u flags=%s prot=%s", 1 + rnd(&g->s, 8),
		     PICK(g, flagss), PICK(g, prots));
	} else if (c < 44) {
		emit(g, "vfree h=%u", h);
	} else if (c < 47) {
		emit(g, "vfree_atomic h=%u", h);
	} else if (c < 49) {
		emit(g, "vfree_irq h=%u", h);
	} else if (c < 52) {
		emit(g, "vunmap h=%u", h);
	} else if (c < 53) {
		emit(g, "remove_vm_area h=%u", h);
	} else if (c < 54) {
		emit(g, "free_vm_area h=%u", h);
	} else if (c < 57) {
		emit(g, "run_deferred cpu=%u", rnd(&g->s, 8));
	} else if (c < 59) {
		emit(g, "set_cpu cpu=%u", rnd(&g->s, 8));
	} else if (c < 61) {
		emit(g, "purge");
	} else if (c < 62) {
		emit(g, "unmap_aliases");
	} else if (c < 69) {
		emit(g, "write h=%u off=", h);
		gen_off(g);
		emit(g, " len=%u pat=0x%x", 1 + rnd(&g->s, 4096),
		     rnd(&g->s, 256));
	} else if (c < 75) {
		emit(g, "read h=%u off=", h);
		gen_off(g);
		emit(g, " len=%u", 1 + rnd(&g->s, 4096));
	} else if (c < 78) {
		emit(g, "access h=%u off=", h);
		gen_off(g);
		emit(g, " acc=%s el=%u", rnd(&g->s, 3) == 0 ? "w" :
					 rnd(&g->s, 2) ? "r" : "x",
		     rnd(&g->s, 4) == 0);
	} else if (c < 81) {
		emit(g, "read_freed h=%u off=", h);
		gen_off(g);
		emit(g, " len=%u", 1 + rnd(&g->s, 64));
	} else if (c < 83) {
		emit(g, "vmalloc_to_page h=%u off=", h);
		gen_off(g);
	} else if (c < 85) {
		emit(g, "vread h=%u off=", h);
		gen_off(g);
		emit(g, " len=%u", 1 + rnd(&g->s, 4096));
	} else if (c < 89) {
		static const char *const sites[] = {"page_alloc", "kmalloc",
						    "pgtable"};
		unsigned mode = rnd(&g->s, 6);

		emit(g, "fault site=%s mode=%s n=%u", PICK(g, sites),
		     mode < 4 ? "nth" : mode == 4 ? "always" : "off",
		     1 + rnd(&g->s, 10));
	} else if (c < 91) {
		emit(g, "fragment count=%u", 1 + rnd(&g->s, 32));
	} else if (c < 96) {
		emit(g, "bad kind=%s h=%u off=", PICK(g, bads), h);
		gen_off(g);
	} else {
		emit(g, "check");
	}
	emit(g, "\n");
}

static void gen_program(uint64_t seed, char *buf, size_t cap)
{
	struct gen g = {seed * 0x9e3779b97f4a7c15ull + 1, buf, 0, cap};
	unsigned n;

	emit(&g, "machine %s window=%s ram=%s nodes=%u cpus=%u lazy=%s tlb=%s\n",
	     PICK(&g, layouts), PICK(&g, windows), PICK(&g, rams),
	     1 + rnd(&g.s, 3), 1 + rnd(&g.s, 8), PICK(&g, lazies),
	     PICK(&g, tlbs));
	for (unsigned i = rnd(&g.s, 4); i > 0; i--) {
		if (rnd(&g.s, 2))
			emit(&g, "early_add addr=win+%up size=%up flags=%s\n",
			     rnd(&g.s, 8), 1 + rnd(&g.s, 3), PICK(&g, flagss));
		else
			emit(&g, "early_register size=%up align=%up\n",
			     1 + rnd(&g.s, 3), 1u << rnd(&g.s, 3));
	}
	n = 20 + rnd(&g.s, 120);
	for (unsigned i = 0; i < n; i++)
		gen_cmd(&g);
	emit(&g, "check\n");
}

/* ---- tests ---------------------------------------------------------------- */

/* VMF_TEST_SAVE=DIR: each failing random input goes to DIR/random-N, to
 * replay with `vmfuzz replay -v`. */
static void save_input(long i, const uint8_t *data, size_t len)
{
	const char *dir = getenv("VMF_TEST_SAVE");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/random-%ld", dir, i);
	f = fopen(path, "wb");
	if (!f)
		return;
	if (fwrite(data, 1, len, f) != len)
		fprintf(stderr, "%s: short write\n", path);
	fclose(f);
}

static void random_bytes(void)
{
	struct vmf_runner *r = vmf_runner_new();
	uint64_t s = 3;
	long n = iterations(3000), failures = 0;
	static uint8_t data[2048];

	CHECK(r != NULL);
	for (long i = 0; i < n; i++) {
		size_t len = rnd(&s, 2049);

		for (size_t k = 0; k < len; k++)
			data[k] = (uint8_t)rng_next(&s);
		if (vmf_run(r, data, len, NULL, &fail_buf)) {
			if (failures++ < 3)
				fprintf(stderr, "random input %ld:\n%s\n", i,
					fail_buf.report);
			save_input(i, data, len);
		}
	}
	CHECK_EQ(failures, 0);
	vmf_runner_free(r);
}

/* The bench-only switch (vmf_runner_set_oracle): with the oracle off no
 * command reports, whatever it is (every shadow call goes through
 * SH_CALL); the same bytes as random_bytes. */
static void oracle_off_never_reports(void)
{
	struct vmf_runner *r = vmf_runner_new();
	uint64_t s = 3;
	long n = iterations(1000), failures = 0;
	static uint8_t data[2048];

	CHECK(r != NULL);
	vmf_runner_set_oracle(r, false);
	for (long i = 0; i < n; i++) {
		size_t len = rnd(&s, 2049);

		for (size_t k = 0; k < len; k++)
			data[k] = (uint8_t)rng_next(&s);
		if (vmf_run(r, data, len, NULL, &fail_buf) &&
		    failures++ < 3)
			fprintf(stderr, "oracle off, input %ld:\n%s\n", i,
				fail_buf.report);
	}
	CHECK_EQ(failures, 0);
	vmf_runner_free(r);
}

static void structured_programs(void)
{
	struct vmf_runner *r = vmf_runner_new();
	static char text[32768];
	long n = iterations(1500), failures = 0;

	for (long i = 0; i < n; i++) {
		gen_program((uint64_t)i, text, sizeof(text));
		if (run_text(r, text, &fail_buf, NULL) != 0) {
			if (failures++ < 3)
				fprintf(stderr, "program %ld:\n%s\n%s\n", i, text,
					fail_buf.report);
		}
	}
	CHECK_EQ(failures, 0);
	vmf_runner_free(r);
}

/* Run a text program with a trace; returns the trace (static buffer). */
static const char *trace_of(struct vmf_runner *r, const char *text, int *rc)
{
	static char *buf;
	size_t len;
	FILE *f;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	*rc = run_text(r, text, &fail_buf, f);
	fclose(f);
	if (*rc > 0)
		fprintf(stderr, "%s\n%s\n", buf, fail_buf.report);
	return buf;
}

/* Every expected line fragment appears in the trace, in order. */
static void expect_lines(const char *trace, const char *const *want, size_t n)
{
	const char *at = trace;

	for (size_t i = 0; i < n; i++) {
		const char *p = strstr(at, want[i]);

		if (!p) {
			fprintf(stderr, "trace lacks (in order): %s\n--- trace:\n%s\n",
				want[i], trace);
			CHECK(p != NULL);
			return;
		}
		at = p + strlen(want[i]);
	}
}

#define EXPECT_LINES(trace, ...)                                             \
	do {                                                                 \
		static const char *const want_[] = {__VA_ARGS__};            \
		expect_lines(trace, want_, sizeof(want_) / sizeof(want_[0]));\
	} while (0)

static const char ops_program[] =
	"machine granule=4k va=48 window=64p ram=256p nodes=2 cpus=2 lazy=8p "
	"tlb=16\n"
	"vmalloc size=1p\n"                                  /* h0 */
	"vzalloc size=2p\n"                                  /* h1 */
	"read h=1 off=0 len=64\n"
	"vmalloc_node size=1p node=1\n"                      /* h2 */
	"vzalloc_node size=1p+0x1 node=0\n"                  /* h3 */
	"vmalloc_32 size=0x10\n"                             /* h4 */
	"vmalloc_user size=1p\n"                             /* h5 */
	"vmalloc_exec size=1p\n"                             /* h6 */
	"__vmalloc size=1p gfp=zero prot=ro\n"               /* h7 */
	"access h=6 off=0 acc=x el=1\n"
	"access h=0 off=0 acc=x el=1\n"
	"access h=5 off=0 acc=r el=0\n"
	"access h=0 off=1p acc=r el=1\n"
	"write h=7 off=0 len=8 pat=0x1\n"
	"read h=7 off=0 len=8\n"
	"write h=0 off=0x10 len=32 pat=0x5a\n"
	"read h=0 off=0 len=64\n"
	"write h=1 off=1p len=4096 pat=0x77\n"
	"write h=1 off=2p len=16 pat=0x77\n"
	"read h=1 off=1p-0x10 len=64\n"
	"vmalloc_node_range size=1p align=4p start=win+32p end=win_end "
	"gfp=kernel prot=kernel flags=no_guard node=-1\n"    /* h8 */
	"get_vm_area size=2p flags=ioremap\n"                /* h9 */
	"get_vm_area_node size=1p align=1p flags=map start=win end=win_end "
	"node=-1 gfp=kernel\n"                               /* h10 */
	"vmap count=2 flags=map prot=kernel\n"               /* h11 */
	"write h=11 off=0 len=100 pat=0x33\n"
	"read h=11 off=0 len=100\n"
	"vmalloc_to_page h=11 off=1p\n"
	"vmalloc_to_page h=11 off=2p\n"
	"vread h=0 off=0 len=64\n"
	"vread h=9 off=0 len=16\n"
	"vfree h=0\n"
	"read_freed h=0 off=0x10 len=16\n"
	"vfree_atomic h=0\n"
	"vfree_irq h=0\n"
	"check\n"
	"run_deferred cpu=0\n"
	"vunmap h=9\n"
	"free_vm_area h=7\n"
	"remove_vm_area h=0\n"
	"set_cpu cpu=1\n"
	"vfree_atomic h=0\n"
	"run_deferred cpu=0\n"
	"run_deferred cpu=1\n"
	"purge\n"
	"unmap_aliases\n"
	"fault site=kmalloc mode=nth n=1\n"
	"vmalloc size=1p\n"
	"fault site=page_alloc mode=always n=0\n"
	"vmalloc size=1p\n"
	"fault site=page_alloc mode=off n=0\n"
	"fault site=pgtable mode=nth n=1\n"
	"vmalloc_node_range size=1p start=win+40p end=win_end\n"
	"fragment count=8\n"
	"nop\n"
	"check\n";

/* Every op once, with what each must do. */
static void every_op(void)
{
	struct vmf_runner *r = vmf_runner_new();
	int rc;
	const char *t = trace_of(r, ops_program, &rc);

	CHECK_EQ(rc, 0);
	EXPECT_LINES(t,
		     "#0 vmalloc size=1p => [vmalloc_init] addr=win+0x0\n",
		     "#1 vzalloc size=2p => addr=win+0x2000\n",
		     /* vzalloc'ed memory reads zero: all 64 bytes known */
		     "read=64 sum=825585a0/64\n",
		     "#6 vmalloc_user size=1p => addr=win+0xc000\n",
		     "#9 access h=6 off=0 acc=x el=1 => ok\n",
		     /* PAGE_KERNEL is PXN; EL0 may not touch kernel pages */
		     "acc=x el=1 => permission/L3\n",
		     "acc=r el=0 => permission/L3\n",
		     /* the guard page */
		     "off=1p acc=r el=1 => translation/L3\n",
		     /* PAGE_KERNEL_RO refuses the write, reads zero */
		     "#13 write h=7 off=0 len=8 pat=0x01 => wrote=0 "
		     "fault=permission/L3\n",
		     "#14 read h=7 off=0 len=8 => read=8 sum=3e588c40/8\n",
		     "#15 write h=0 off=0x10 len=32 pat=0x5a => wrote=32\n",
		     /* 32 written bytes and 32 of the frame's identity fill
		      * (docs/shadow.md "Frame contents"): all 64 known */
		     "read=64 sum=dd2eefb0/64\n",
		     "#17 write h=1 off=1p len=4096 pat=0x77 => wrote=4096\n",
		     "#18 write h=1 off=2p len=16 pat=0x77 => wrote=0 "
		     "fault=translation/L3\n",
		     "#19 read h=1 off=1p-0x10 len=64 => read=64 ",
		     "node=-1 => addr=win+0x20000\n",
		     "#21 get_vm_area size=2p flags=ioremap => addr=win+0x14000\n",
		     "gfp=kernel => addr=win+0x12000\n",
		     "#23 vmap count=2 flags=map prot=kernel => addr=win+0x17000\n",
		     "#24 write h=11 off=0 len=100 pat=0x33 => wrote=100\n",
		     "read=100 sum=f47e2b94/100\n",
		     "#26 vmalloc_to_page h=11 off=1p => pfn=+",
		     "#27 vmalloc_to_page h=11 off=2p => none\n",
		     "#28 vread h=0 off=0 len=64 => ret=64 sum=3ab7d4d5/64\n",
		     "#29 vread h=9 off=0 len=16 => ret=16 ",
		     "#30 vfree h=0 => ret=0\n",
		     /* the TLB kept the freed page's translation: allowed */
		     "#31 read_freed h=0 off=0x10 len=16 => read=16 stale",
		     "#32 vfree_atomic h=0 => ret=0\n",
		     "#33 vfree_irq h=0 => ret=0\n",
		     "#34 check => ok areas=12 full\n",
		     "#35 run_deferred cpu=0 => freed=2\n",
		     "#36 vunmap h=9 => ret=-22 warn=vfree_wrong_kind\n",
		     "#37 free_vm_area h=7 => ret=0\n",
		     "#38 remove_vm_area h=0 => ret=1\n",
		     "#40 vfree_atomic h=0 => ret=0\n",
		     "#41 run_deferred cpu=0 => freed=0\n",
		     "#42 run_deferred cpu=1 => freed=1\n",
		     "#46 vmalloc size=1p => addr=fail "
		     "warn=vmalloc_alloc_failure\n",
		     "#48 vmalloc size=1p => addr=fail "
		     "warn=vmalloc_alloc_failure\n",
		     "=> addr=win+0x28000\n",
		     "#52 fragment count=8 => took=8 kept=4\n",
		     "#54 check => ok areas=8 full\n");
	vmf_runner_free(r);
}

static const char hardened_program[] =
	"machine granule=4k va=48 window=64p ram=256p\n"
	"early_add addr=win+60p size=1p flags=0\n"           /* h0 */
	"vmalloc size=1p\n"                                  /* h1 */
	"vmap count=1 flags=0 prot=kernel\n"                 /* h2 */
	"vmalloc size=2p\n"                                  /* h3 */
	"vfree h=3\n"
	"bad kind=vfree_unaligned h=1 off=0x10\n"
	"bad kind=vfree_nonexistent h=0 off=10p\n"
	"bad kind=vfree_double h=0 off=0\n"
	"bad kind=vfree_interior h=1 off=0\n"
	"bad kind=vunmap_vmalloc h=0 off=0\n"
	"bad kind=vfree_vmap h=0 off=0\n"
	"bad kind=early_after_init h=0 off=1p\n"
	"bad kind=size_zero h=0 off=0\n"
	"bad kind=size_above_totalram h=0 off=0\n"
	"bad kind=size_wraps h=0 off=0\n"
	"bad kind=align_not_pow2 h=0 off=0\n"
	"bad kind=range_inverted h=0 off=0\n"
	"bad kind=range_outside h=0 off=0\n"
	"bad kind=vunmap_unaligned h=0 off=0\n"
	"bad kind=vunmap_nonexistent h=0 off=20p\n"
	"vmalloc_node_range size=1p gfp=invalid\n"
	"vmalloc_node size=1p node=4\n"
	"get_vm_area size=1p flags=invalid\n"
	"vmap count=1 flags=invalid prot=kernel\n"
	"vfree h=0\n"
	"vmalloc_node_range size=1p align=0x3\n"
	"vmalloc_node_range size=1p start=win+0x1\n"
	"__vmalloc size=0x100000000 gfp=kernel prot=kernel\n"
	"check\n";

/* Each hardened case: exactly its warning, no change (the shadow checks
 * every counter after each command). */
static void hardened_cases(void)
{
	struct vmf_runner *r = vmf_runner_new();
	int rc;
	const char *t = trace_of(r, hardened_program, &rc);

	CHECK_EQ(rc, 0);
	EXPECT_LINES(t,
		     "vfree_unaligned ret=-22 warn=vfree_bad_addr\n",
		     "vfree_nonexistent ret=-22 warn=vfree_nonexistent\n",
		     "vfree_double ret=-22 warn=vfree_double\n",
		     "vfree_interior ret=-22 warn=vfree_interior\n",
		     "vunmap_vmalloc ret=-22 warn=vfree_wrong_kind\n",
		     "vfree_vmap ret=-22 warn=vfree_wrong_kind\n",
		     "early_after_init ret=-22 warn=vmalloc_early_late\n",
		     "size_zero addr=fail warn=vmalloc_bad_size\n",
		     "size_above_totalram addr=fail warn=vmalloc_bad_size\n",
		     "size_wraps addr=fail warn=vmalloc_bad_size\n",
		     "align_not_pow2 addr=fail warn=vmalloc_bad_align\n",
		     "range_inverted addr=fail warn=vmalloc_bad_range\n",
		     "range_outside addr=fail warn=vmalloc_bad_range\n",
		     "vunmap_unaligned ret=-22 warn=vfree_bad_addr\n",
		     "vunmap_nonexistent ret=-22 warn=vfree_nonexistent\n",
		     "gfp=invalid prot=kernel flags=0 node=-1 => addr=fail "
		     "warn=vmalloc_bad_arg\n",
		     "node=4 => addr=fail warn=vmalloc_bad_arg\n",
		     "flags=invalid => addr=fail warn=vmalloc_bad_arg\n",
		     "prot=kernel => addr=fail warn=vmalloc_bad_arg\n",
		     /* an early area without VM_ALLOC is not vfree's */
		     "vfree h=0 => ret=-22 warn=vfree_wrong_kind\n",
		     "align=0x3 ", "=> addr=fail warn=vmalloc_bad_align\n",
		     "start=win+0x1 ", "=> addr=fail warn=vmalloc_bad_range\n",
		     "=> addr=fail warn=vmalloc_bad_size\n",
		     "check => ok");
	vmf_runner_free(r);
}

static const char early_program[] =
	"machine granule=4k va=48 window=64p ram=256p\n"
	"early_add addr=win+2p size=2p flags=alloc\n"
	"early_add addr=win+3p size=1p flags=0\n"
	"early_add addr=win+0x1 size=1p flags=0\n"
	"early_add addr=win_end size=1p flags=0\n"
	"early_register size=1p align=1p\n"
	"early_register size=2p align=4p\n"
	"early_register size=0x10 align=1p\n"
	"early_register size=1p align=0x3\n"
	"check\n"
	"vmalloc size=1p\n"
	"vfree h=0\n"
	"early_add addr=win+40p size=1p flags=0\n"
	"early_register size=1p align=1p\n"
	"check\n";

static void early_areas(void)
{
	struct vmf_runner *r = vmf_runner_new();
	int rc;
	const char *t = trace_of(r, early_program, &rc);

	CHECK_EQ(rc, 0);
	EXPECT_LINES(t, "#0 early_add addr=win+2p size=2p flags=alloc => ret=0\n",
		     "#1 early_add addr=win+3p size=1p flags=0 => ret=-22 "
		     "warn=vmalloc_early_overlap\n",
		     "=> ret=-22 warn=vmalloc_bad_arg\n",
		     "=> ret=-22 warn=vmalloc_bad_arg\n",
		     "#4 early_register size=1p align=1p => addr=win+0x0\n",
		     "#5 early_register size=2p align=4p => addr=win+0x4000\n",
		     "=> addr=fail warn=vmalloc_bad_arg\n",
		     "=> addr=fail warn=vmalloc_bad_arg\n",
		     "#8 check => [vmalloc_init] ok areas=3 full\n",
		     /* the first hole of two pages is after the early areas */
		     "#9 vmalloc size=1p => addr=win+0x6000\n",
		     /* an early area with VM_ALLOC goes with vfree */
		     "#10 vfree h=0 => ret=0\n",
		     "=> ret=-22 warn=vmalloc_early_late\n",
		     "=> addr=fail warn=vmalloc_early_late\n",
		     "check => ok areas=");
	vmf_runner_free(r);
}

/* Same input -> the same trace: twice in one runner (with another input
 * on another machine config in between), and in a second runner. */
static void determinism(void)
{
	struct vmf_runner *r1 = vmf_runner_new(), *r2 = vmf_runner_new();
	uint64_t s = 77;
	static uint8_t a[1500], b[1500];
	static struct vmf_program pa, pb;

	for (int k = 0; k < 20; k++) {
		char *t1 = NULL, *t2 = NULL, *t3 = NULL;
		size_t l1, l2, l3;
		FILE *f;
		struct vmf_run_opts o = {NULL, -1};
		size_t na = 200 + rnd(&s, 1300), nb = rnd(&s, 1500);

		for (size_t i = 0; i < na; i++)
			a[i] = (uint8_t)rng_next(&s);
		for (size_t i = 0; i < nb; i++)
			b[i] = (uint8_t)rng_next(&s);
		f = open_memstream(&t1, &l1);
		o.trace = f;
		vmf_run(r1, a, na, &o, &fail_buf);
		fclose(f);
		vmf_run(r1, b, nb, NULL, &fail_buf);
		f = open_memstream(&t2, &l2);
		o.trace = f;
		vmf_run(r1, a, na, &o, &fail_buf);
		fclose(f);
		f = open_memstream(&t3, &l3);
		o.trace = f;
		vmf_run(r2, a, na, &o, &fail_buf);
		fclose(f);
		CHECK_STR(t1, t2);
		CHECK_STR(t1, t3);
		free(t1);
		free(t2);
		free(t3);
	}
	/* And a text program: the ops regression twice. */
	{
		char *t1, *t2;
		int rc;

		t1 = strdup(trace_of(r1, ops_program, &rc));
		t2 = strdup(trace_of(r2, ops_program, &rc));
		CHECK_STR(t1, t2);
		free(t1);
		free(t2);
	}
	(void)pa;
	(void)pb;
	vmf_runner_free(r1);
	vmf_runner_free(r2);
}

/* ---- the oracle bites ------------------------------------------------------ */

struct corrupt {
	size_t at;     /* before this command */
	int what;
};

enum {
	C_DATA,       /* flip a byte of an area's page behind the MMU */
	C_UNMAP,      /* clear an area's PTE */
	C_STALE,      /* clear a PTE the TLB holds */
	C_LAZY,       /* bump vmap_lazy_nr */
	C_CACHE,      /* bump cached_hole_size */
	C_WARN,       /* record a warning nobody asked for */
	C_LEAK_PAGE,  /* take a page from the buddy */
	C_KMALLOC,    /* leak a metadata object */
	C_PGTABLE,    /* add a page-table page */
	C_VM_FLAGS,   /* set VM_USERMAP on the first area's vm_struct */
	C_VM_CALLER,  /* rename the first area's caller */
	C_VA_FLAGS,   /* set an unused bit of the first area's vmap_area */
};

static void corrupt_hook(void *arg, struct vmf_machine *m, size_t idx)
{
	const struct corrupt *c = arg;
	vaddr_t a = m->cfg.vmalloc_start;
	pfn_t pfn;
	uint8_t byte = 0xee;

	if (idx != c->at)
		return;
	switch (c->what) {
	case C_DATA:
		pfn = vmalloc_to_pfn(m, a);
		phys_write(m, (pfn << m->page_shift) + 3, &byte, 1);
		break;
	case C_UNMAP:
	case C_STALE:
		mmu_unmap_range(m, a, m->page_size);
		break;
	case C_LAZY:
		m->vm->vmap_lazy_nr++;
		break;
	case C_CACHE:
		((struct vmap_legacy_state *)m->vm->place_priv)
			->cached_hole_size += m->page_size;
		break;
	case C_WARN:
		vmf_warn(m, WARN_VMALLOC_BAD_ARG, "injected");
		break;
	case C_LEAK_PAGE:
		m->phys.node[0].nr_free_pages--;
		break;
	case C_KMALLOC:
		m->km.objects++;
		break;
	case C_PGTABLE:
		m->mmu->pgtable_pages++;
		break;
	case C_VM_FLAGS:
		find_vm_area(m, a)->flags |= VM_USERMAP;
		break;
	case C_VM_CALLER:
		find_vm_area(m, a)->caller = "injected";
		break;
	case C_VA_FLAGS:
		find_vmap_area(m, a)->flags |= 0x1;
		break;
	}
}

static void bites(const char *text, size_t at, int what, const char *sig)
{
	struct vmf_runner *r = vmf_runner_new();
	static struct vmf_program prog;
	char err[256];
	struct corrupt c = {at, what};
	int rc;

	CHECK_EQ(vmf_program_parse(text, &prog, err, sizeof(err)), 0);
	rc = vmf_run_program_hooked(r, &prog, NULL, &fail_buf, corrupt_hook, &c);
	CHECK_EQ(rc, 1);
	if (rc)
		CHECK_STR(fail_buf.signature, sig);
	CHECK_EQ(fail_buf.cmd_index, at);
	/* The report names the check, the command, and ends with the
	 * signature line. */
	CHECK(strstr(fail_buf.report, "check:   ") != NULL);
	CHECK(strstr(fail_buf.report, "command: #") != NULL);
	{
		char line[200];

		snprintf(line, sizeof(line), "SIGNATURE: %s\n", sig);
		CHECK(strlen(fail_buf.report) >= strlen(line) &&
		      strcmp(fail_buf.report + strlen(fail_buf.report) -
				     strlen(line),
			     line) == 0);
	}
	/* A clean run of the same program passes in the same runner. */
	CHECK_EQ(vmf_run_program(r, &prog, NULL, &fail_buf), 0);
	vmf_runner_free(r);
}

static void oracle_bites(void)
{
	static const char prog[] =
		"vzalloc size=1p\n"
		"write h=0 off=0 len=16 pat=0x11\n"
		"read h=0 off=0 len=16\n"
		"nop\n"
		"vfree h=0\n"
		"nop\n";

	bites(prog, 2, C_DATA, "data/read");
	bites(prog, 2, C_STALE, "tlb-stale/read"); /* the write filled it */
	bites("vmalloc size=1p\nread h=0 off=0 len=16\n", 1, C_UNMAP,
	      "access/read");
	bites(prog, 5, C_LAZY, "lazy/nop");
	bites(prog, 3, C_CACHE, "cache/nop");
	bites(prog, 3, C_WARN, "warning/nop");
	bites(prog, 3, C_LEAK_PAGE, "pages/nop");
	bites(prog, 3, C_KMALLOC, "kmalloc/nop");
	bites(prog, 3, C_PGTABLE, "pgtable/nop");
	/* vm_struct and vmap_area: at OP_CHECK, at a lookup, after a change */
	bites("vmalloc size=1p\ncheck\n", 1, C_VM_FLAGS,
	      "vm_struct/flags/check");
	bites("vmalloc size=1p\nvmalloc_to_page h=0 off=0\n", 1, C_VM_CALLER,
	      "vm_struct/caller/vmalloc_to_page");
	bites("vmalloc size=1p\nvfree h=0\n", 1, C_VA_FLAGS,
	      "vm_struct/va_flags/vfree");
}

/* Fault injection at every call of every site of the big paths: a nested
 * page array (608 pages of 4 KiB: 4864 bytes of entries), vmap, the
 * early areas at vmalloc_init; lazy and overflow purges on the way. Each
 * failure must unwind exactly as the shadow predicts. */
static void failure_paths(void)
{
	static const char *const sites[] = {"page_alloc", "kmalloc", "pgtable"};
	static const char nested[] =
		"vmalloc size=608p\nwrite h=0 off=255p len=64 pat=0x3\n"
		"read h=0 off=255p len=64\nvfree h=0\nvmalloc size=704p\n"
		"vfree h=0\npurge\ncheck\n";
	static const char mixed[] =
		"vzalloc_node size=5p node=1\nvmap count=5 flags=0 prot=ro\n"
		"vunmap h=1\nvfree h=0\nvmalloc_node_range size=3p align=8p "
		"start=win+60p end=win_end flags=no_guard\ncheck\n";
	static const char big[] =
		"vmalloc size=1200p\nvmalloc size=896p\nvfree h=0\n"
		"vmalloc size=1008p\ncheck\n";
	const char *const bodies[] = {nested, mixed, big};
	struct vmf_runner *r = vmf_runner_new();
	static char text[4096];
	int failures = 0, runs = 0;

	for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
		for (size_t si = 0; si < 3; si++)
			for (unsigned n = 1; n <= 40; n++) {
				snprintf(text, sizeof(text),
					 "machine granule=4k va=48 window=4m "
					 "ram=2048p nodes=2 lazy=4096p\n"
					 "fault site=%s mode=nth n=%u\n%s",
					 sites[si], n, bodies[b]);
				runs++;
				if (run_text(r, text, &fail_buf, NULL) != 0 &&
				    failures++ < 3)
					fprintf(stderr, "%s\n%s\n", text,
						fail_buf.report);
			}
	CHECK_EQ(failures, 0);
	CHECK_EQ(runs, 360);
	vmf_runner_free(r);
}

/* Small windows: overflow purges, purges past the lazy threshold, full
 * TLB flushes past tlb_flush_max_pages. */
static void purge_paths(void)
{
	struct vmf_runner *r = vmf_runner_new();
	int rc;
	const char *t = trace_of(r,
		"machine granule=4k va=48 window=8p ram=256p lazy=2p tlb=4\n"
		"vmalloc size=1p\n"      /* [0, 2p) */
		"vmalloc size=1p\n"      /* [2p, 4p) */
		"read h=0 off=0 len=8\n"
		"vfree h=0\n"            /* lazy 2 pages: at the threshold */
		"vfree h=0\n"            /* 4 > 2: purge, one flush [0, 4p) */
		"vmalloc size=3p\n"      /* [0, 4p) */
		"vmalloc size=2p\n"      /* [4p, 7p) */
		"vfree h=0\n"            /* lazy 4 > 2: purge */
		"vmalloc size=1p\n"      /* [0, 2p) */
		"vfree h=1\n"
		"vmalloc size=3p\n"      /* overflow: purge, retry */
		"vmalloc size=3p\n"      /* overflow after the purge: fails */
		"check\n", &rc);

	CHECK_EQ(rc, 0);
	EXPECT_LINES(t, "#4 vfree h=0 => ret=0\n",
		     "#10 vmalloc size=3p => addr=win+0x0\n",
		     "#11 vmalloc size=3p => addr=fail warn=vmap_alloc_failed,"
		     "vmalloc_alloc_failure\n",
		     "check => ok");
	/* tlb_flush_max_pages is 1024: a purge over more flushes all. */
	t = trace_of(r,
		     "machine granule=4k va=48 window=4m ram=2048p lazy=4096p\n"
		     "vmalloc size=1p\nvmalloc size=1104p\nvmalloc size=1p\n"
		     "read h=0 off=0 len=8\nread h=2 off=0 len=8\n"
		     "vfree h=0\nvfree h=1\npurge\nread_freed h=0 off=0 len=8\n"
		     "check\n", &rc);
	CHECK_EQ(rc, 0);
	EXPECT_LINES(t, "read_freed h=0 off=0 len=8 => read=0 "
			"fault=translation/L3");
	vmf_runner_free(r);
}

static void smoke(void)
{
	struct vmf_runner *r = vmf_runner_new();

	CHECK_EQ(run_text_ok(r, "vmalloc size=1p\nwrite h=0 off=0 len=16 "
				"pat=0x5\nread h=0 off=0 len=16\nvfree h=0\n"
				"check\n"),
		 0);
	vmf_runner_free(r);
}

/* The page budget (VMF_PAGE_BUDGET): the command that reaches it runs
 * and is checked, the ones after it do not run. */
static void page_budget(void)
{
	struct vmf_runner *r = vmf_runner_new();
	char text[512];
	const char *t;
	int rc;

	/* 1920 pages, their page array and tables stay under 2048 page
	 * allocations, 160 more do not. */
	_Static_assert(VMF_PAGE_BUDGET == 2048, "the programs below assume it");
	snprintf(text, sizeof(text),
		 "machine granule=4k va=48 window=1g ram=32m\n"
		 "vmalloc size=1920p\n"
		 "vmalloc size=160p\n"
		 "vmalloc size=1p\n"
		 "check\n");
	t = trace_of(r, text, &rc);
	CHECK_EQ(rc, 0);
	EXPECT_LINES(t, "#0 vmalloc", "#1 vmalloc size=160p => addr=",
		     "# page budget spent: ", "by #1, the rest is not run");
	CHECK(strstr(t, "#2 ") == NULL);
	CHECK(strstr(t, "#3 ") == NULL);
	/* Under the budget, everything runs. */
	snprintf(text, sizeof(text),
		 "machine granule=4k va=48 window=1g ram=32m\n"
		 "vmalloc size=1024p\n"
		 "check\n");
	t = trace_of(r, text, &rc);
	CHECK_EQ(rc, 0);
	EXPECT_LINES(t, "#0 vmalloc", "#1 check => ok");
	CHECK(strstr(t, "page budget") == NULL);
	vmf_runner_free(r);
}

TEST_MAIN(TEST(smoke), TEST(every_op), TEST(hardened_cases),
	  TEST(oracle_off_never_reports),
	  TEST(early_areas), TEST(determinism), TEST(oracle_bites),
	  TEST(failure_paths), TEST(purge_paths),
	  TEST(random_bytes), TEST(structured_programs), TEST(page_budget))
