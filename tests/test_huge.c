/* Block mappings (Linux 4.19 arch/arm64/mm/mmu.c): pmd/pud_set_huge and
 * pgattr_change_is_safe, pmd_free_pte_page / pud_free_pmd_page (clear,
 * walk flush, free: no stale walk), the table allocation, the granules
 * and arguments that are refused. */
#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "test.h"

#define PMD_SZ (1ull << 21)
#define PUD_SZ (1ull << 30)

static struct vmf_machine *mk(unsigned ps, unsigned va_bits, unsigned wc)
{
	struct vmf_config c;
	vmf_config_default(&c);
	c.page_shift = ps;
	c.va_bits = va_bits;
	c.walk_cache_entries = wc;
	c.vmalloc_start = c.vmalloc_end = 0;
	vmf_config_resolve(&c);
	return vmf_machine_create(&c, NULL, 0);
}

static uint32_t warns(struct vmf_machine *m, enum vmf_warn_kind k)
{
	return m->warn.count[k];
}

/* A PMD-aligned VA in the window. */
static vaddr_t pmd_va(struct vmf_machine *m, uint64_t size)
{
	return (m->cfg.vmalloc_start + size - 1) & ~(size - 1);
}

static pfn_t new_pfn(struct vmf_machine *m)
{
	struct page *p = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0,
					   OWNER_TEST);
	return p ? page_to_pfn(m, p) : 0;
}

static void test_pmd_set_huge(void)
{
	struct vmf_machine *m = mk(12, 48, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = pmd_va(m, PMD_SZ);
	phys_addr_t pa = 0x80000000ull; /* device space above RAM */
	struct mmu_result r;
	uint64_t desc;
	int level;
	phys_addr_t out;

	/* No table yet: the caller's pmd_alloc is missing. */
	CHECK_EQ(pmd_set_huge(m, va, pa, PAGE_KERNEL), 0);
	CHECK_EQ(warns(m, WARN_MMU_BAD_ARG), 1);
	CHECK_EQ(mmu_table_alloc(m, va, 2), 0);
	CHECK_EQ(pmd_set_huge(m, va, pa, PAGE_KERNEL), 1);
	r = mmu_translate(m, va + 0x12345, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK_EQ(r.level, 2);
	CHECK_EQ(r.pa, pa + 0x12345);
	CHECK(mmu_lookup(m, va, &desc, &level, &out));
	CHECK_EQ(desc & PTE_TYPE_MASK, 1); /* block */
	/* Same entry again, and a permission change: safe. */
	CHECK_EQ(pmd_set_huge(m, va, pa, PAGE_KERNEL), 1);
	CHECK_EQ(pmd_set_huge(m, va, pa, PAGE_KERNEL_RO), 1);
	CHECK_EQ(mmu_translate(m, va, ACC_WRITE, 1).fault,
		 MMU_FAULT_PERMISSION);
	/* Another output address over a live block: refused, BBM. */
	CHECK_EQ(warns(m, WARN_MMU_BBM), 0);
	CHECK_EQ(pmd_set_huge(m, va, pa + PMD_SZ, PAGE_KERNEL_RO), 0);
	CHECK_EQ(warns(m, WARN_MMU_BBM), 1);
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).pa, pa);
	/* Global -> nG is safe, nG -> global is not. */
	CHECK_EQ(pmd_set_huge(m, va, pa, PAGE_KERNEL_RO_NG), 1);
	CHECK_EQ(pmd_set_huge(m, va, pa, PAGE_KERNEL_RO), 0);
	CHECK_EQ(warns(m, WARN_MMU_BBM), 2);
	/* Misaligned phys (BUG_ON in 4.19) and VA: warnings, nothing. */
	CHECK_EQ(pmd_set_huge(m, va + PMD_SZ, pa + 4096, PAGE_KERNEL), 0);
	CHECK_EQ(pmd_set_huge(m, va + 4096, pa, PAGE_KERNEL), 0);
	CHECK_EQ(warns(m, WARN_MMU_BAD_ARG), 3);
	/* Unmap takes the block down (pmd_clear_huge). */
	CHECK_EQ(mmu_unmap_range(m, va, PMD_SZ), 1);
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).fault,
		 MMU_FAULT_TRANSLATION);
	vmf_machine_destroy(m);
}

static void test_block_over_table(void)
{
	struct vmf_machine *m = mk(12, 48, 8);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = pmd_va(m, PMD_SZ);
	pfn_t p = new_pfn(m);
	uint64_t tables, seq;
	const struct tlb_flush_event *ev;

	CHECK_EQ(mmu_map_pages(m, va + 4096, &p, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_access(m, va + 4096, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(tlb_stats(m)->walk_fills, 1);
	tables = mmu_pgtable_pages(m);
	/* A live table in the way: set_huge refuses it (BBM). */
	CHECK_EQ(pmd_set_huge(m, va, 0x80000000ull, PAGE_KERNEL), 0);
	CHECK_EQ(warns(m, WARN_MMU_BBM), 1);
	/* vunmap as 4.19: clear the ptes, flush the range (last level:
	 * the walk entry stays). */
	CHECK_EQ(mmu_unmap_range(m, va, PMD_SZ), 1);
	flush_tlb_kernel_range(m, va, va + PMD_SZ);
	/* pmd_free_pte_page: clear, walk flush at va, free. */
	seq = tlb_stats(m)->flush_seq;
	CHECK_EQ(pmd_free_pte_page(m, va), 1);
	CHECK_EQ(mmu_pgtable_pages(m), tables - 1);
	CHECK_EQ(tlb_stats(m)->flush_seq, seq + 1);
	ev = tlb_flush_get(m, seq + 1);
	CHECK(ev && ev->kind == TLB_FLUSH_PGTABLE && ev->start == va &&
	      ev->end == va + 4096);
	CHECK_EQ(tlb_stats(m)->walk_stale, 0);
	CHECK_EQ(pmd_set_huge(m, va, 0x80000000ull, PAGE_KERNEL), 1);
	CHECK_EQ(warns(m, WARN_MMU_BBM), 1);
	/* Nothing cached walks through the freed table. */
	struct mmu_result r = mmu_access(m, va + 4096, ACC_READ, 1);
	CHECK(!r.walk_stale);
	CHECK_EQ(r.level, 2);
	CHECK_EQ(tlb_stats(m)->walk_stale, 0);
	/* Nothing there, or a block: 1, nothing done, no flush. */
	seq = tlb_stats(m)->flush_seq;
	CHECK_EQ(pmd_free_pte_page(m, va), 1);
	CHECK_EQ(pmd_free_pte_page(m, va + PMD_SZ), 1);
	CHECK_EQ(tlb_stats(m)->flush_seq, seq);
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).level, 2);
	vmf_machine_destroy(m);
}

static void test_pud(void)
{
	struct vmf_machine *m = mk(12, 48, 8);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = pmd_va(m, PUD_SZ);
	pfn_t p[2] = {new_pfn(m), new_pfn(m)};
	uint64_t tables;
	struct mmu_result r;

	/* Two PTE tables under one PMD table under the PUD entry. */
	CHECK_EQ(mmu_map_pages(m, va, &p[0], 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_map_pages(m, va + 5 * PMD_SZ, &p[1], 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	tables = mmu_pgtable_pages(m);
	CHECK_EQ(mmu_unmap_range(m, va, PUD_SZ), 2);
	uint64_t seq = tlb_stats(m)->flush_seq;
	CHECK_EQ(pud_free_pmd_page(m, va), 1);
	CHECK_EQ(mmu_pgtable_pages(m), tables - 3);
	CHECK_EQ(tlb_stats(m)->flush_seq, seq + 3); /* 2 PTE + the PMD */
	CHECK_EQ(tlb_flush_get(m, seq + 2)->start, va + 5 * PMD_SZ);
	CHECK_EQ(tlb_flush_get(m, seq + 3)->start, va);
	CHECK_EQ(tlb_stats(m)->walk_stale, 0);
	CHECK_EQ(pud_set_huge(m, va, 0x40000000ull, PAGE_KERNEL), 1);
	r = mmu_translate(m, va + 0x123456, ACC_READ, 1);
	CHECK_EQ(r.level, 1);
	CHECK_EQ(r.pa, 0x40123456ull);
	vmf_machine_destroy(m);

	/* 64K pages: no PUD blocks; PMD blocks are 512 MiB at the root
	 * level when va_bits = 42. */
	m = mk(16, 42, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	uint64_t big = 1ull << 29;
	va = pmd_va(m, big);
	CHECK_EQ(pud_set_huge(m, va, 0, PAGE_KERNEL), 0);
	CHECK_EQ(warns(m, WARN_MMU_BAD_ARG), 1);
	CHECK_EQ(pud_free_pmd_page(m, va), 1);
	if (va + big <= m->cfg.vmalloc_end) {
		CHECK_EQ(mmu_table_alloc(m, va, 2), 0);
		CHECK_EQ(pmd_set_huge(m, va, big, PAGE_KERNEL), 1);
		CHECK_EQ(mmu_translate(m, va + 70000, ACC_READ, 1).pa,
			 big + 70000);
	}
	vmf_machine_destroy(m);
}

static char *capture(struct vmf_machine *m,
		     void (*fn)(struct vmf_machine *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fn(m, f);
	fclose(f);
	return buf;
}

/* ptdump and the raw dump show a block as the level it is at. */
static void test_dumps(void)
{
	struct vmf_machine *m = mk(12, 48, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = pmd_va(m, PMD_SZ);
	char line[200], *got;

	CHECK_EQ(mmu_table_alloc(m, va, 2), 0);
	CHECK_EQ(pmd_set_huge(m, va, 0x80000000ull, PROT_DEVICE_nGnRE), 1);
	got = capture(m, mmu_ptdump);
	snprintf(line, sizeof(line), "0x%016llx-0x%016llx           2M PMD",
		 (unsigned long long)va, (unsigned long long)(va + PMD_SZ));
	CHECK(got && strstr(got, line) != NULL);
	CHECK(got && strstr(got, "BLK UXN DEVICE/nGnRE") != NULL);
	if (got && !strstr(got, line))
		fprintf(stderr, "%s", got);
	free(got);
	got = capture(m, mmu_rawdump);
	/* The block descriptor: output address | attributes, bit 1 clear. */
	snprintf(line, sizeof(line), "0x%016llx",
		 (unsigned long long)(0x80000000ull |
				      (PROT_DEVICE_nGnRE & ~PTE_TABLE_BIT)));
	CHECK(got && strstr(got, line) != NULL);
	free(got);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_dumps), TEST(test_pmd_set_huge), TEST(test_block_over_table),
	  TEST(test_pud))
