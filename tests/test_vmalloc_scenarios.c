/* The scenarios of the kernel's lib/test_vmalloc.c (performance mode),
 * scaled from 1,000,000 loops to a few thousand, with vm_check along the
 * way and at the end of each phase: fix_size_alloc, full_fit_alloc,
 * long_busy_list, random_size_alloc, fix_align_alloc, random_size_align,
 * align_shift. (pcpu_alloc and vm_map_ram are not modelled yet.) */
#include "vmalloc_test_util.h"

#define CHECK_EVERY 1000

static void touch(struct vmf_machine *m, vaddr_t p)
{
	uint8_t one = 1;
	size_t done = 0;

	CHECK_EQ(mmu_write(m, p, &one, 1, 1, &done).fault, MMU_OK);
}

static void periodic_check(struct vmf_machine *m, int i)
{
	if (i % CHECK_EVERY == 0)
		CHECK_EQ(check_vm(m), 0);
}

/* 1: vmalloc(3 pages), write, vfree. */
static void test_fix_size_alloc(void)
{
	struct vmf_machine *m = mk_default();

	for (int i = 0; i < 20000; i++) {
		vaddr_t p = vmalloc(m, 3 * P);

		CHECK(p != 0);
		touch(m, p);
		CHECK_EQ(vfree(m, p), 0);
		periodic_check(m, i);
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 2: pairs of 1-page areas, the junk half freed (holes of exactly one
 * area each), then 1-page alloc/free in the holes: full fits. */
static void test_full_fit_alloc(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	enum { JUNK = 3000 };
	static vaddr_t ptr[JUNK], junk[JUNK];
	struct vmalloc_obs o;

	cfg_small(&c, 0);
	c.lazy_max_pages = 1024;
	m = mk(&c, true);
	for (int i = 0; i < JUNK; i++) {
		ptr[i] = vmalloc(m, P);
		junk[i] = vmalloc(m, P);
		CHECK(ptr[i] && junk[i]);
	}
	for (int i = 0; i < JUNK; i++)
		CHECK_EQ(vfree(m, junk[i]), 0);
	CHECK_EQ(check_vm(m), 0);
	for (int i = 0; i < 10000; i++) {
		vaddr_t p = vmalloc(m, P);

		CHECK(p != 0);
		touch(m, p);
		CHECK_EQ(vfree(m, p), 0);
		periodic_check(m, i);
	}
	vmalloc_observe(m, &o);
	CHECK(o.nr_purges > 0);
	for (int i = 0; i < JUNK; i++)
		CHECK_EQ(vfree(m, ptr[i]), 0);
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_busy, 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 4: a long busy list (the legacy walk's worst case), then 100-page and
 * 1-page areas allocated and freed behind it. */
static void test_long_busy_list(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	enum { LONG = 15000 }; /* the kernel's number */
	static vaddr_t keep[LONG];

	cfg_small(&c, 0);
	c.phys_size = 128ull << 20;
	m = mk(&c, true);
	for (int i = 0; i < LONG; i++) {
		keep[i] = vmalloc(m, P);
		CHECK(keep[i] != 0);
	}
	CHECK_EQ(check_vm(m), 0);
	for (int i = 0; i < 2000; i++) {
		vaddr_t a = vmalloc(m, 100 * P), b = vmalloc(m, P);

		CHECK(a && b);
		touch(m, a);
		touch(m, b);
		CHECK_EQ(vfree(m, a), 0);
		CHECK_EQ(vfree(m, b), 0);
		periodic_check(m, i);
	}
	for (int i = 0; i < LONG; i++)
		CHECK_EQ(vfree(m, keep[i]), 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 8: 1..100 pages. */
static void test_random_size_alloc(void)
{
	struct vmf_machine *m = mk_default();
	uint64_t seed = 0x8badf00d;

	for (int i = 0; i < 10000; i++) {
		uint64_t n = rnd_next(&seed) % 100 + 1;
		vaddr_t p = vmalloc(m, n * P);

		CHECK(p != 0);
		touch(m, p + (n - 1) * P);
		CHECK_EQ(vfree(m, p), 0);
		periodic_check(m, i);
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 16: 5 pages aligned to THREAD_ALIGN << 1 (arm64 4.19 with VMAP_STACK:
 * THREAD_ALIGN = 2 * THREAD_SIZE = 32 KiB), on node 0, zeroed. */
static void test_fix_align_alloc(void)
{
	struct vmf_machine *m = mk_default();
	const uint64_t align = (2 * 16384ull) << 1;

	for (int i = 0; i < 10000; i++) {
		vaddr_t p = __vmalloc_node_range(m, 5 * P, align,
						 m->cfg.vmalloc_start,
						 m->cfg.vmalloc_end,
						 GFP_KERNEL | __GFP_ZERO,
						 PAGE_KERNEL, 0, 0, "fix_align");

		CHECK(p != 0);
		CHECK_EQ(p & (align - 1), 0);
		touch(m, p);
		CHECK_EQ(vfree(m, p), 0);
		periodic_check(m, i);
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 32: align 1 << (rnd % 23), 1..10 pages. */
static void test_random_size_align(void)
{
	struct vmf_machine *m = mk_default();
	uint64_t seed = 0x1234567;

	for (int i = 0; i < 10000; i++) {
		uint64_t r = rnd_next(&seed);
		uint64_t align = 1ull << (r % 23);
		uint64_t size = (r % 10 + 1) * P;
		vaddr_t p = __vmalloc_node_range(m, size, align,
						 m->cfg.vmalloc_start,
						 m->cfg.vmalloc_end,
						 GFP_KERNEL | __GFP_ZERO,
						 PAGE_KERNEL, 0, NUMA_NO_NODE,
						 "random_align");

		CHECK(p != 0);
		CHECK_EQ(p & (align - 1), 0);
		touch(m, p);
		CHECK_EQ(vfree(m, p), 0);
		periodic_check(m, i);
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 64: one page with align 1 << i for every i < 64: "expected to fail"
 * once the alignment leaves the window. With the 4.19 4K/48 window
 * [0xffff000008000000, 0xffff7dffbfff0000) every i <= 46 fits (2^46:
 * 0xffff400000000000), i = 47 lands at 0xffff800000000000, above the
 * end, and from 48 on ALIGN(vstart) wraps: overflow, purge, overflow. */
static void test_align_shift(void)
{
	struct vmf_machine *m = mk_default();
	struct vmalloc_obs o;
	uint64_t seq = vmf_warn_seq(m);
	int failed = 0;

	for (int i = 0; i < 64; i++) {
		uint64_t align = 1ull << i;
		vaddr_t p = __vmalloc_node_range(m, P, align,
						 m->cfg.vmalloc_start,
						 m->cfg.vmalloc_end,
						 GFP_KERNEL | __GFP_ZERO,
						 PAGE_KERNEL, 0, 0, "align_shift");

		if (i <= 46) {
			CHECK(p != 0);
			CHECK_EQ(p & (align - 1), 0);
		} else {
			CHECK_EQ(p, 0);
		}
		if (p)
			CHECK_EQ(vfree(m, p), 0);
		else
			failed++;
	}
	CHECK_EQ(failed, 17);
	/* Each failure: the vmap and the vmalloc warnings. */
	CHECK_EQ(vmf_warn_seq(m) - seq, 2 * 17);
	/* One more overflow purge: i = 45 went to 0xffff400000000000, so
	 * i = 46's cache hit aligns up to 0xffff800000000000, past the end;
	 * the purge removes i = 45's lazy area and the retry from vstart
	 * lands on 0xffff400000000000 again. */
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_overflow_purges, 18);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_fix_size_alloc), TEST(test_full_fit_alloc),
	  TEST(test_long_busy_list), TEST(test_random_size_alloc),
	  TEST(test_fix_align_alloc), TEST(test_random_size_align),
	  TEST(test_align_shift))
