/* The TLB: hits and misses, FIFO replacement, staleness after an unmap
 * without flush, flush_tlb_kernel_range below / above the threshold
 * (Linux 4.19: > 1024 pages flushes all), the flush-event ring. */
#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "test.h"

static struct vmf_machine *mk(unsigned ps, unsigned va, unsigned entries,
			      unsigned flush_max)
{
	struct vmf_config c;
	vmf_config_default(&c);
	c.page_shift = ps;
	c.va_bits = va;
	c.tlb_entries = entries;
	c.tlb_flush_max_pages = flush_max;
	return vmf_machine_create(&c, NULL, 0);
}

static pfn_t new_pfn(struct vmf_machine *m)
{
	struct page *p = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0,
					   OWNER_TEST);
	return p ? page_to_pfn(m, p) : 0;
}

/* Map n consecutive pages at va (fresh frames) and load them all in the
 * TLB. */
static void map_and_touch(struct vmf_machine *m, vaddr_t va, int n)
{
	for (int i = 0; i < n; i++) {
		pfn_t p = new_pfn(m);
		vaddr_t a = va + (uint64_t)i * m->page_size;
		CHECK_EQ(mmu_map_pages(m, a, &p, 1, PAGE_KERNEL), 0);
		CHECK_EQ(mmu_access(m, a, ACC_READ, 1).fault, MMU_OK);
	}
}

/* Load n already mapped pages in the TLB. */
static void touch(struct vmf_machine *m, vaddr_t va, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(mmu_access(m, va + (uint64_t)i * m->page_size, ACC_READ,
				    1).fault, MMU_OK);
}

static size_t valid_entries(struct vmf_machine *m)
{
	size_t n, v = 0;
	const struct tlb_entry *e = tlb_entries(m, &n);
	for (size_t i = 0; i < n; i++)
		v += e[i].valid;
	return v;
}

static void test_hit_miss(void)
{
	struct vmf_machine *m = mk(12, 48, 8, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	pfn_t p = new_pfn(m);
	struct mmu_result r;

	CHECK_EQ(mmu_map_pages(m, va, &p, 1, PAGE_KERNEL), 0);
	r = mmu_access(m, va + 8, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK(!r.tlb_hit);
	r = mmu_access(m, va + 16, ACC_WRITE, 1);
	CHECK(r.tlb_hit);
	CHECK(!r.tlb_stale);
	CHECK_EQ(r.pa, (p << 12) + 16);
	CHECK_EQ(r.level, 3);
	CHECK_EQ(tlb_stats(m)->hits, 1);
	CHECK_EQ(tlb_stats(m)->misses, 1);
	CHECK_EQ(tlb_stats(m)->fills, 1);
	/* translate ignores the TLB; faults do not fill it */
	mmu_translate(m, va, ACC_READ, 1);
	CHECK_EQ(tlb_stats(m)->hits, 1);
	r = mmu_access(m, va + 4096, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(tlb_stats(m)->fills, 1);
	/* a permission fault from a hit keeps the entry */
	r = mmu_access(m, va, ACC_EXEC, 1);
	CHECK(r.tlb_hit);
	CHECK_EQ(r.fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(valid_entries(m), 1);
	/* a block entry covers the whole block */
	CHECK_EQ(mmu_map_block(m, 0xffff000040000000ull, 0x40000000, 2,
			       PAGE_KERNEL), 0);
	CHECK(!mmu_access(m, 0xffff000040000000ull, ACC_READ, 1).tlb_hit);
	r = mmu_access(m, 0xffff0000401fffffull, ACC_READ, 1);
	CHECK(r.tlb_hit);
	CHECK_EQ(r.pa, 0x401fffffull);
	CHECK_EQ(r.level, 2);
	vmf_machine_destroy(m);
}

static void test_fifo(void)
{
	struct vmf_machine *m = mk(12, 48, 2, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	map_and_touch(m, va, 3); /* A, B, then C replaces A */
	CHECK_EQ(valid_entries(m), 2);
	CHECK(!tlb_maps_range(m, va, va + 4096));
	CHECK(tlb_maps_range(m, va + 4096, va + 3 * 4096));
	CHECK(!mmu_access(m, va, ACC_READ, 1).tlb_hit);         /* replaces B */
	CHECK(mmu_access(m, va + 8192, ACC_READ, 1).tlb_hit);   /* C stays */
	CHECK(!mmu_access(m, va + 4096, ACC_READ, 1).tlb_hit);
	vmf_machine_destroy(m);
}

static void test_stale_after_unmap(void)
{
	struct vmf_machine *m = mk(12, 48, 16, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	struct tlb_entry st[4];
	struct mmu_result r;

	map_and_touch(m, va, 2);
	CHECK_EQ(tlb_stale_entries(m, NULL, 0), 0);
	pfn_t old = 0;
	CHECK(mmu_va_to_pfn(m, va, &old));
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	/* the walk faults, the CPU still translates through the TLB */
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).fault, MMU_FAULT_TRANSLATION);
	r = mmu_access(m, va + 1, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK(r.tlb_hit && r.tlb_stale);
	CHECK_EQ(r.pa, (old << 12) + 1);
	CHECK_EQ(tlb_stale_entries(m, st, 4), 1);
	CHECK_EQ(st[0].va, va);
	CHECK_EQ(st[0].pa, old << 12);
	/* a copy through it says so */
	uint8_t b[8];
	size_t done;
	r = mmu_read(m, va + 4090, b, 8, 1, &done);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK(r.tlb_stale);
	/* the other page is not stale */
	r = mmu_access(m, va + 4096, ACC_READ, 1);
	CHECK(r.tlb_hit && !r.tlb_stale);
	/* after the flush: a walk, which faults */
	flush_tlb_kernel_range(m, va, va + 4096);
	CHECK_EQ(tlb_stale_entries(m, NULL, 0), 0);
	r = mmu_access(m, va, ACC_READ, 1);
	CHECK(!r.tlb_hit);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	CHECK(mmu_access(m, va + 4096, ACC_READ, 1).tlb_hit);
	/* a safe live change without flush: the old permission is used */
	pfn_t p2 = 0;
	CHECK(mmu_va_to_pfn(m, va + 4096, &p2));
	CHECK_EQ(mmu_map_pages(m, va + 4096, &p2, 1, PAGE_KERNEL_RO), 0);
	CHECK_EQ(mmu_translate(m, va + 4096, ACC_WRITE, 1).fault,
		 MMU_FAULT_PERMISSION);
	r = mmu_access(m, va + 4096, ACC_WRITE, 1);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK(r.tlb_stale);
	flush_tlb_all(m);
	CHECK_EQ(mmu_access(m, va + 4096, ACC_WRITE, 1).fault,
		 MMU_FAULT_PERMISSION);
	vmf_machine_destroy(m);
}

static void test_flush_threshold(void)
{
	/* default threshold: 1024 pages (arm64 4.19 MAX_TLB_RANGE) */
	struct vmf_machine *m = mk(12, 48, 64, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(m->cfg.tlb_flush_max_pages, 1024);
	vaddr_t va = m->cfg.vmalloc_start;
	const struct tlb_stats *s = tlb_stats(m);
	const struct tlb_flush_event *ev;

	map_and_touch(m, va, 4);
	map_and_touch(m, va + 2048 * 4096ull, 1);
	/* exactly 1024 pages: page by page; only entries in range go */
	flush_tlb_kernel_range(m, va, va + 1024 * 4096ull);
	CHECK_EQ(s->flush_range, 1);
	CHECK_EQ(s->flush_all, 0);
	CHECK_EQ(s->entries_dropped, 4);
	CHECK_EQ(valid_entries(m), 1);
	ev = tlb_flush_get(m, s->flush_seq);
	CHECK(ev && ev->kind == TLB_FLUSH_RANGE && ev->start == va &&
	      ev->end == va + 1024 * 4096ull);
	/* 1025 pages: everything */
	touch(m, va, 2);
	flush_tlb_kernel_range(m, va, va + 1025 * 4096ull);
	CHECK_EQ(s->flush_all, 1);
	CHECK_EQ(valid_entries(m), 0);
	ev = tlb_flush_get(m, s->flush_seq);
	CHECK(ev && ev->kind == TLB_FLUSH_ALL && ev->start == va);
	CHECK_EQ(s->flush_seq, 2);
	/* the kernel loop works on start >> 12 .. end >> 12: a range inside
	 * one page flushes nothing, an unaligned one drops the page of start
	 * but not the page of end - 1 */
	touch(m, va, 2);
	flush_tlb_kernel_range(m, va + 0x800, va + 0x900);
	CHECK_EQ(valid_entries(m), 2);
	flush_tlb_kernel_range(m, va + 0x800, va + 0x1800);
	CHECK(!tlb_maps_range(m, va, va + 4096));
	CHECK(tlb_maps_range(m, va + 4096, va + 8192));
	/* end < start: refused, no event */
	uint64_t seq = s->flush_seq, w0 = m->warn.count[WARN_MMU_BAD_ARG];
	flush_tlb_kernel_range(m, va + 8192, va);
	CHECK_EQ(s->flush_seq, seq);
	CHECK_EQ(m->warn.count[WARN_MMU_BAD_ARG] - w0, 1);
	CHECK(tlb_maps_range(m, va + 4096, va + 8192));
	/* a block entry goes when any of its pages is flushed */
	CHECK_EQ(mmu_map_block(m, 0xffff000040000000ull, 0x40000000, 2,
			       PAGE_KERNEL), 0);
	CHECK_EQ(mmu_access(m, 0xffff000040000000ull, ACC_READ, 1).fault, MMU_OK);
	flush_tlb_kernel_range(m, 0xffff000040100000ull, 0xffff000040101000ull);
	CHECK(!tlb_maps_range(m, 0xffff000040000000ull, 0xffff000040200000ull));
	vmf_machine_destroy(m);

	/* a configured threshold, and the ring keeps the last 16 events */
	m = mk(12, 48, 64, 4);
	CHECK(m != NULL);
	if (!m)
		return;
	va = m->cfg.vmalloc_start;
	s = tlb_stats(m);
	flush_tlb_kernel_range(m, va, va + 4 * 4096);
	CHECK_EQ(s->flush_range, 1);
	flush_tlb_kernel_range(m, va, va + 5 * 4096);
	CHECK_EQ(s->flush_all, 1);
	for (int i = 0; i < 18; i++)
		flush_tlb_all(m);
	CHECK_EQ(s->flush_seq, 20);
	CHECK(tlb_flush_get(m, 4) == NULL);
	CHECK(tlb_flush_get(m, 5) != NULL);
	CHECK(tlb_flush_get(m, 21) == NULL);
	CHECK(tlb_flush_get(m, 0) == NULL);
	vmf_machine_destroy(m);
}

/* 64K pages: the kernel's loop steps by PAGE_SIZE from start >> 12, so an
 * unaligned start can miss the page holding end - 1 (faithful quirk). */
static void test_flush_64k_steps(void)
{
	struct vmf_machine *m = mk(16, 42, 16, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	uint64_t P = m->page_size;

	map_and_touch(m, va, 3);
	flush_tlb_kernel_range(m, va + 0x1000, va + P + 0x800);
	CHECK(!tlb_maps_range(m, va, va + P));
	CHECK(tlb_maps_range(m, va + P, va + 2 * P));
	flush_tlb_kernel_range(m, va, va + 3 * P);
	CHECK_EQ(valid_entries(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_hit_miss), TEST(test_fifo), TEST(test_stale_after_unmap),
	  TEST(test_flush_threshold), TEST(test_flush_64k_steps))
