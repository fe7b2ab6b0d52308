/* The table-walk cache: fills and hits, round-robin replacement, what
 * each flush drops (flush-all and __flush_tlb_kernel_pgtable: walk entries
 * too; the per-page range flush: leaf entries only), a walk through a
 * cached entry whose table was unlinked and freed (walk_stale), and the
 * free of a table page an entry still points at (a stale use). */
#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "test.h"

#define PMD_SZ (1ull << 21)

static struct vmf_machine *mk(unsigned wc, unsigned tlb)
{
	struct vmf_config c;
	vmf_config_default(&c);
	c.walk_cache_entries = wc;
	c.tlb_entries = tlb;
	return vmf_machine_create(&c, NULL, 0);
}

static pfn_t new_pfn(struct vmf_machine *m)
{
	struct page *p = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0,
					   OWNER_TEST);
	return p ? page_to_pfn(m, p) : 0;
}

static void map1(struct vmf_machine *m, vaddr_t va)
{
	pfn_t p = new_pfn(m);
	CHECK_EQ(mmu_map_pages(m, va, &p, 1, PAGE_KERNEL), 0);
}

static size_t valid_wc(struct vmf_machine *m)
{
	size_t n, v = 0;
	const struct walk_cache_entry *e = walk_cache_entries(m, &n);
	for (size_t i = 0; i < n; i++)
		v += e[i].valid;
	return v;
}

static void test_off(void)
{
	struct vmf_machine *m = mk(0, 1);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	map1(m, va);
	map1(m, va + 4096);
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(mmu_access(m, va + 4096, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(tlb_stats(m)->walk_fills, 0);
	CHECK_EQ(tlb_stats(m)->walk_hits, 0);
	CHECK_EQ(valid_wc(m), 0);
	vmf_machine_destroy(m);
}

static void test_fill_hit(void)
{
	struct vmf_machine *m = mk(4, 1);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	size_t n;
	const struct walk_cache_entry *e;
	struct mmu_result r;

	map1(m, va);
	map1(m, va + 4096);
	r = mmu_access(m, va, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK(!r.walk_stale);
	/* One entry: the level-2 descriptor that leads to the PTE table. */
	CHECK_EQ(tlb_stats(m)->walk_fills, 1);
	e = walk_cache_entries(m, &n);
	CHECK_EQ(n, 4);
	CHECK(e[0].valid);
	CHECK_EQ(e[0].level, 2);
	CHECK_EQ(e[0].va, va & ~(PMD_SZ - 1));
	CHECK_EQ(e[0].shift, 21);
	/* The other page: TLB miss (one entry), walk from the cache. */
	r = mmu_access(m, va + 4096, ACC_READ, 1);
	CHECK(!r.tlb_hit);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK(!r.walk_stale);
	CHECK_EQ(tlb_stats(m)->walk_hits, 1);
	CHECK_EQ(tlb_stats(m)->walk_fills, 1); /* nothing read above it */
	/* A fault under a cached table: a hit, no fill, nothing stale. */
	r = mmu_access(m, va + 8192, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(tlb_stats(m)->walk_hits, 2);
	CHECK_EQ(tlb_stats(m)->walk_stale, 0);
	vmf_machine_destroy(m);
}

static void test_round_robin(void)
{
	struct vmf_machine *m = mk(2, 1);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	for (int i = 0; i < 3; i++) {
		map1(m, va + i * PMD_SZ);
		CHECK_EQ(mmu_access(m, va + i * PMD_SZ, ACC_READ, 1).fault,
			 MMU_OK);
	}
	CHECK_EQ(tlb_stats(m)->walk_fills, 3);
	CHECK_EQ(valid_wc(m), 2);
	size_t n;
	const struct walk_cache_entry *e = walk_cache_entries(m, &n);
	CHECK_EQ(e[0].va, va + 2 * PMD_SZ); /* the first one replaced */
	CHECK_EQ(e[1].va, va + PMD_SZ);
	vmf_machine_destroy(m);
}

static void test_flushes(void)
{
	struct vmf_machine *m = mk(4, 4);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	const struct tlb_flush_event *ev;

	map1(m, va);
	map1(m, va + PMD_SZ);
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(mmu_access(m, va + PMD_SZ, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(valid_wc(m), 2);
	/* Per-page range flush: last level, the walk entries stay. */
	flush_tlb_kernel_range(m, va, va + PMD_SZ + 4096);
	CHECK_EQ(valid_wc(m), 2);
	CHECK(!tlb_maps_range(m, va, va + PMD_SZ + 4096));
	/* The pgtable flush of one address: its region's entry goes. */
	flush_tlb_kernel_pgtable(m, va + 4096);
	CHECK_EQ(valid_wc(m), 1);
	CHECK_EQ(tlb_stats(m)->flush_pgtable, 1);
	ev = tlb_flush_get(m, tlb_stats(m)->flush_seq);
	CHECK(ev != NULL);
	if (ev) {
		CHECK_EQ(ev->kind, TLB_FLUSH_PGTABLE);
		CHECK_EQ(ev->start, va + 4096);
		CHECK_EQ(ev->end, va + 8192);
	}
	/* It drops the leaf entry holding the address too. */
	CHECK_EQ(mmu_access(m, va + PMD_SZ, ACC_READ, 1).tlb_hit, 0);
	CHECK(mmu_access(m, va + PMD_SZ, ACC_READ, 1).tlb_hit);
	flush_tlb_kernel_pgtable(m, va + PMD_SZ + 100);
	CHECK(!mmu_access(m, va + PMD_SZ, ACC_READ, 1).tlb_hit);
	/* A range flush above the threshold is a flush-all: all go. */
	CHECK(valid_wc(m) > 0);
	flush_tlb_kernel_range(m, va, va + 2048 * 4096ull);
	CHECK_EQ(valid_wc(m), 0);
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(valid_wc(m), 1);
	flush_tlb_all(m);
	CHECK_EQ(valid_wc(m), 0);
	vmf_machine_destroy(m);
}

/* The 2018 shape by hand: the PMD entry unlinked, its PTE table freed,
 * no walk flush. The next walk starts from the cached entry, reads the
 * freed table and is reported stale; the free itself counted as a use. */
static void test_stale_walk(void)
{
	struct vmf_machine *m = mk(4, 1);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	uint64_t before = mmu_pgtable_pages(m);
	struct mmu_result r;

	map1(m, va);
	map1(m, va + 4096);
	CHECK_EQ(mmu_pgtable_pages(m), before + 3);
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(mmu_set_raw(m, va, 2, 0), 0); /* unlinks + frees the table */
	CHECK_EQ(mmu_pgtable_pages(m), before + 2);
	CHECK_EQ(tlb_stats(m)->walk_stale, 1); /* freed while cached */
	CHECK_EQ(mmu_translate(m, va + 4096, ACC_READ, 1).fault,
		 MMU_FAULT_TRANSLATION);
	r = mmu_access(m, va + 4096, ACC_READ, 1);
	CHECK(!r.tlb_hit);
	CHECK(r.walk_stale);
	/* What it gives is whatever the freed page holds now. */
	CHECK_EQ(tlb_stats(m)->walk_stale, 2);
	/* The right order: the walk entry flushed before the free. */
	map1(m, va + PMD_SZ);
	CHECK_EQ(mmu_access(m, va + PMD_SZ, ACC_READ, 1).fault, MMU_OK);
	flush_tlb_kernel_pgtable(m, va + PMD_SZ);
	CHECK_EQ(mmu_set_raw(m, va + PMD_SZ, 2, 0), 0);
	CHECK_EQ(tlb_stats(m)->walk_stale, 2);
	r = mmu_access(m, va + PMD_SZ, ACC_READ, 1);
	CHECK(!r.walk_stale);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	vmf_machine_destroy(m);
}

static void test_config(void)
{
	struct vmf_config c;
	char why[160] = "";
	vmf_config_default(&c);
	CHECK_EQ(c.walk_cache_entries, 0);
	c.walk_cache_entries = VMF_MAX_WALK_CACHE;
	vmf_config_resolve(&c);
	CHECK_EQ(vmf_config_check(&c, why, sizeof(why)), 0);
	if (why[0])
		fprintf(stderr, "%s\n", why);
	c.walk_cache_entries = VMF_MAX_WALK_CACHE + 1;
	CHECK(vmf_config_check(&c, why, sizeof(why)) != 0);
	CHECK(strstr(why, "walk_cache_entries") != NULL);
}

TEST_MAIN(TEST(test_off), TEST(test_fill_hit), TEST(test_round_robin),
	  TEST(test_flushes), TEST(test_stale_walk), TEST(test_config))
