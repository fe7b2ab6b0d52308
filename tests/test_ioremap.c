/* ioremap (Linux 4.19 lib/ioremap.c, arch/arm64/mm/ioremap.c): pages,
 * PMD and PUD blocks chosen by step size and physical alignment, the
 * free-table interface under a new block (no stale walk), the hardened
 * refusals (size 0, wrap, above the PA size, RAM in use), RAM the caller
 * holds, lazy iounmap, a table allocation failure. */
#include "vmalloc_test_util.h"

#define PMD_SZ (1ull << 21)
#define PUD_SZ (1ull << 30)
#define DEV 0x100000000ull /* 4 GiB: device space, above the 64 MiB RAM */

static struct vmf_machine *mk_io(unsigned wc)
{
	struct vmf_config c;

	cfg_small(&c, 0);
	c.walk_cache_entries = wc;
	return mk(&c, true);
}

static int level_at(struct vmf_machine *m, vaddr_t va)
{
	struct mmu_result r = mmu_translate(m, va, ACC_READ, 1);
	return r.fault == MMU_OK ? r.level : -1;
}

static void test_pages_and_blocks(void)
{
	struct vmf_machine *m = mk_io(0);
	vaddr_t a;

	/* 4 pages: pages; the offset in the page is kept. */
	a = ioremap(m, DEV + 5, 4 * P - 5);
	CHECK(a != 0);
	CHECK_EQ(a & (P - 1), 5);
	CHECK_EQ(level_at(m, a), 3);
	CHECK_EQ(mmu_translate(m, a + 3 * P, ACC_READ, 1).pa, DEV + 3 * P + 5);
	CHECK_EQ(mmu_translate(m, a, ACC_READ, 1).desc & PTE_ATTRINDX_MASK,
		 PTE_ATTRINDX(MT_DEVICE_nGnRE));
	struct vm_struct *vm = find_vm_area(m, a);
	CHECK(vm && (vm->flags & VM_IOREMAP) && vm->phys_addr == DEV);
	CHECK_EQ(check_vm(m), 0);

	/* 4 MiB at a 2 MiB-aligned phys: two PMD blocks (VM_IOREMAP
	 * aligns the area to 8 MiB). */
	a = ioremap(m, DEV + 8 * PMD_SZ, 2 * PMD_SZ);
	CHECK(a && (a & (PMD_SZ - 1)) == 0);
	CHECK_EQ(level_at(m, a), 2);
	CHECK_EQ(level_at(m, a + PMD_SZ + 77), 2);
	CHECK_EQ(mmu_translate(m, a + PMD_SZ + 77, ACC_READ, 1).pa,
		 DEV + 9 * PMD_SZ + 77);
	CHECK_EQ(level_at(m, a + 2 * PMD_SZ), -1); /* the guard page */
	CHECK_EQ(check_vm(m), 0);

	/* Misaligned phys: the same size maps pages. */
	a = ioremap(m, DEV + P, 2 * PMD_SZ);
	CHECK(a != 0);
	CHECK_EQ(level_at(m, a), 3);
	CHECK_EQ(level_at(m, a + PMD_SZ), 3);
	CHECK_EQ(check_vm(m), 0);

	/* 2 MiB + 1 page at an aligned phys: a block, then a page. */
	a = ioremap(m, DEV + 16 * PMD_SZ, PMD_SZ + P);
	CHECK(a != 0);
	CHECK_EQ(level_at(m, a), 2);
	CHECK_EQ(level_at(m, a + PMD_SZ), 3);

	/* 1 GiB: above totalram, mapped all the same (ioremap's
	 * get_vm_area has no totalram cap, as 4.19). */
	a = ioremap(m, 4 * PUD_SZ, PUD_SZ);
	CHECK(a != 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);

	/* With 2 GiB of RAM, 1 GiB at a 1 GiB-aligned phys: a PUD block
	 * (the area is aligned to IOREMAP_MAX_ORDER = 1 GiB with 4K). */
	struct vmf_config c;
	cfg_small(&c, 0);
	c.phys_size = 2 * PUD_SZ;
	m = mk(&c, true);
	a = ioremap(m, 4 * PUD_SZ, PUD_SZ);
	CHECK(a && (a & (PUD_SZ - 1)) == 0);
	CHECK_EQ(level_at(m, a + 12345), 1);
	CHECK_EQ(mmu_translate(m, a + 12345, ACC_READ, 1).pa, 4 * PUD_SZ + 12345);
	CHECK_EQ(check_vm(m), 0);

	/* iounmap: lazy, unmapped at once; through an interior page
	 * offset too. */
	CHECK_EQ(iounmap(m, a + 7), 0);
	CHECK_EQ(level_at(m, a), -1);
	CHECK(find_vm_area(m, a) == NULL);
	CHECK_EQ(check_vm(m), 0);
	CHECK_EQ(iounmap(m, 0x1234), 0); /* not a vmalloc address */
	vmf_machine_destroy(m);
}

static void test_refusals(void)
{
	struct vmf_machine *m = mk_io(0);
	uint32_t bad_size = m->warn.count[WARN_VMALLOC_BAD_SIZE];
	uint32_t bad_arg = m->warn.count[WARN_VMALLOC_BAD_ARG];
	uint64_t busy = m->vm->nr_busy;

	CHECK_EQ(ioremap(m, DEV, 0), 0);
	CHECK_EQ(ioremap(m, ~0ull - P, 4 * P), 0);               /* wraps */
	CHECK_EQ(ioremap(m, DEV, ~0ull - 10), 0);                /* wraps */
	CHECK_EQ(m->warn.count[WARN_VMALLOC_BAD_SIZE], bad_size + 3);
	CHECK_EQ(ioremap(m, 1ull << 48, P), 0);                  /* above PA */
	CHECK_EQ(ioremap(m, (1ull << 48) - P, 2 * P), 0);        /* crosses */
	CHECK_EQ(ioremap(m, m->cfg.phys_base, P), 0);            /* RAM */
	/* RAM under a vmalloc area, even partly. */
	CHECK_EQ(ioremap(m, m->cfg.phys_base - P, 2 * P), 0);
	CHECK_EQ(m->warn.count[WARN_VMALLOC_BAD_ARG], bad_arg + 4);
	CHECK_EQ(m->vm->nr_busy, busy);
	/* Size 0 with a page offset: 4.19 maps the page. */
	vaddr_t a = ioremap(m, DEV + 9, 0);
	CHECK(a != 0);
	CHECK_EQ(mmu_translate(m, a, ACC_READ, 1).pa, DEV + 9);
	/* ioremap_page_range itself: BUG_ON(addr >= end), unaligned. */
	vaddr_t w = m->cfg.vmalloc_start;
	CHECK_EQ(ioremap_page_range(m, w, w, DEV, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(ioremap_page_range(m, w, w + P, DEV + 1, PAGE_KERNEL),
		 -VMF_EINVAL);
	CHECK_EQ(m->warn.count[WARN_VMALLOC_BAD_ARG], bad_arg + 6);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* RAM the caller holds (an OWNER_FRAG page) may be remapped; its bytes
 * read through the new mapping. */
static void test_ram_owned(void)
{
	struct vmf_machine *m = mk_io(0);
	struct page *pg = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0,
					    OWNER_FRAG);
	CHECK(pg != NULL);
	if (!pg)
		return;
	phys_addr_t pa = page_to_phys(m, pg);
	uint8_t b[4] = {1, 2, 3, 4}, r[4] = {0};
	CHECK(phys_write(m, pa + 16, b, 4));
	vaddr_t a = __ioremap(m, pa, P, PAGE_KERNEL);
	CHECK(a != 0);
	size_t done;
	CHECK_EQ(mmu_read(m, a + 16, r, 4, 1, &done).fault, MMU_OK);
	CHECK_EQ(memcmp(b, r, 4), 0);
	/* Two pages, the second not held: refused. */
	CHECK_EQ(__ioremap(m, pa, 2 * P, PAGE_KERNEL), 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A block over the PTE table an earlier ioremap left: the table is
 * cleared, its walk flushed, then freed; no walk uses it. */
static void test_block_over_old_table(void)
{
	struct vmf_machine *m = mk_io(8);
	vaddr_t a = ioremap(m, DEV, 4 * P), b;
	uint64_t tables, seq;

	CHECK(a != 0);
	CHECK_EQ(mmu_access(m, a, ACC_READ, 1).fault, MMU_OK);
	CHECK(tlb_stats(m)->walk_fills > 0);
	CHECK_EQ(iounmap(m, a), 0);
	purge_vmap_area_lazy(m);
	tables = mmu_pgtable_pages(m);
	seq = tlb_stats(m)->flush_seq;
	b = ioremap(m, DEV, PMD_SZ);
	CHECK_EQ(b, a); /* the same place again */
	CHECK_EQ(level_at(m, b), 2);
	CHECK_EQ(mmu_pgtable_pages(m), tables - 1);
	const struct tlb_flush_event *ev = tlb_flush_get(m, seq + 1);
	CHECK(ev && ev->kind == TLB_FLUSH_PGTABLE && ev->start == b);
	CHECK_EQ(tlb_stats(m)->walk_stale, 0);
	struct mmu_result r = mmu_access(m, b + P, ACC_READ, 1);
	CHECK(!r.walk_stale);
	CHECK_EQ(r.pa, DEV + P);
	CHECK_EQ(tlb_stats(m)->walk_stale, 0);
	CHECK_EQ(check_vm(m), 0);
	/* iounmap takes the block down at once; the table stays free. */
	CHECK_EQ(iounmap(m, b), 0);
	CHECK_EQ(level_at(m, b), -1);
	CHECK_EQ(level_at(m, b + PMD_SZ - 1), -1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A table page that cannot be had: the area is vunmapped, 0 returned,
 * the state consistent. */
static void test_nomem(void)
{
	struct vmf_machine *m = mk_io(0);
	uint64_t busy = m->vm->nr_busy;

	vmf_fault_set(m, FAULT_PGTABLE, FAULT_ALWAYS, 0);
	CHECK_EQ(ioremap(m, DEV, 4 * P), 0);
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_OFF, 0);
	CHECK(find_vm_area(m, m->cfg.vmalloc_start) == NULL);
	CHECK_EQ(check_vm(m), 0);
	purge_vmap_area_lazy(m);
	CHECK_EQ(m->vm->nr_busy, busy);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_pages_and_blocks), TEST(test_refusals),
	  TEST(test_ram_owned), TEST(test_block_over_old_table),
	  TEST(test_nomem))
