/* Huge vmalloc (lib/mm/vmalloc_huge.c; Linux 6.1 __vmalloc_node_range with
 * VM_ALLOW_HUGE_VMAP): exact addresses, PMD blocks of split high-order
 * pages, the PTE table a block frees (pmd_free_pte_page), vfree freeing
 * every small page and clearing the blocks, the fallback to small pages
 * (a fragmented buddy, FAULT_PAGE_ALLOC at the k-th high-order page, no
 * area, a table that cannot be had, 16K and 64K granules whose PMD order
 * is above MAX_ORDER), the small path when huge vmalloc is off or the
 * size per node is below PMD_SIZE, the refusals, vm_check's huge rules. */
#include <stdlib.h>

#include "vmalloc_test_util.h"

#define M2 (1ull << 21)
#define W 0xffff000008000000ull /* the 4K/48 Linux window's start */

static struct vmf_machine *mk_huge(unsigned page_shift, uint64_t ram,
				   unsigned nodes, bool huge)
{
	struct vmf_config c;

	vmf_config_default(&c);
	c.page_shift = page_shift;
	if (ram)
		c.phys_size = ram;
	c.nr_nodes = nodes;
	c.huge_vmalloc = huge;
	return mk(&c, true);
}

static int level_at(struct vmf_machine *m, vaddr_t va)
{
	struct mmu_result r = mmu_translate(m, va, ACC_READ, 1);

	return r.fault == MMU_OK ? r.level : -1;
}

static phys_addr_t pa_at(struct vmf_machine *m, vaddr_t va)
{
	return mmu_translate(m, va, ACC_READ, 1).pa;
}

static char *info_text(struct vmf_machine *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	vmallocinfo(m, f);
	fclose(f);
	return buf;
}

/* Take every free page of the machine, then give back every other one:
 * no free block above order 0 is left. Returns the pages kept (to be
 * freed by frag_release). */
static struct page **fragment_all(struct vmf_machine *m, size_t *nr)
{
	size_t n = (size_t)nr_free_pages(m), k = 0;
	struct page **pg = calloc(n, sizeof(*pg));

	for (size_t i = 0; i < n; i++)
		pg[i] = alloc_pages_owner(m, NUMA_NO_NODE, GFP_KERNEL | __GFP_NOWARN,
					  0, OWNER_TEST);
	for (size_t i = 0; i < n; i++) {
		if (!pg[i])
			continue;
		if (page_to_pfn(m, pg[i]) & 1)
			__free_pages(m, pg[i], 0);
		else
			pg[k++] = pg[i];
	}
	*nr = k;
	return pg;
}

/* 3 MiB after a one-page area: two PMD blocks at the next 2 MiB boundary,
 * each mapping one split order-9 page; the nested page array right after
 * the guard page; vmallocinfo as any vmalloc area's. */
static void test_blocks(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	uint64_t free0, pt0;
	vaddr_t small, a;
	struct vm_struct *vm;
	char *info;

	small = vmalloc(m, P);
	CHECK_EQ(small, W);
	free0 = nr_free_pages(m);
	pt0 = mmu_pgtable_pages(m);
	a = vmalloc_huge(m, 3 * M2 / 2, NUMA_NO_NODE);
	CHECK_EQ(a, W + M2);
	vm = find_vm_area(m, a);
	CHECK(vm != NULL);
	if (!vm)
		goto out;
	CHECK_EQ(vm->size, 2 * M2 + P);
	CHECK_EQ(vm->nr_pages, 1024);
	CHECK_EQ(vm->nr_mapped, 1024);
	CHECK_EQ(vm->page_order, 9);
	CHECK_EQ(vm->flags, VM_ALLOC | VM_VPAGES);
	CHECK_STR(vm->caller, "vmalloc_huge");
	/* 8 KiB of entries: a nested array, align 1 below the cached
	 * align: the legacy search starts over and finds the hole after
	 * the small area. */
	CHECK_EQ(vm->pages_va, W + 2 * P);
	for (unsigned s = 0; s < 2; s++) {
		struct page *first = vm_struct_page(m, vm, s * 512);

		CHECK(first != NULL);
		if (!first)
			continue;
		CHECK_EQ(page_to_phys(m, first) & (M2 - 1), 0);
		CHECK_EQ(first->order, 0);
		CHECK_EQ(first->owner, OWNER_VMALLOC);
		CHECK(vm_struct_page(m, vm, s * 512 + 511) == first + 511);
		CHECK_EQ((first + 300)->flags & (PG_head | PG_tail), PG_head);
		CHECK_EQ(level_at(m, a + s * M2), 2);
		CHECK_EQ(pa_at(m, a + s * M2 + 5 * P + 3),
			 page_to_phys(m, first) + 5 * P + 3);
		CHECK(vmalloc_to_page(m, a + s * M2 + 77 * P) == first + 77);
	}
	CHECK_EQ(level_at(m, a + 2 * M2), -1); /* the guard page */
	/* 1024 data pages, the nested array's 2; no new table: the PUD and
	 * PMD tables and the array's PTE table are the small area's. */
	CHECK_EQ(mmu_pgtable_pages(m), pt0);
	CHECK_EQ(free0 - nr_free_pages(m), 1024 + 2);
	info = info_text(m);
	CHECK(strstr(info, "0xffff000008200000-0xffff000008601000 4198400 "
			   "vmalloc_huge pages=1024 vmalloc vpages N0=1024\n") !=
	      NULL);
	free(info);
	/* Data through the blocks, and vread. */
	{
		uint8_t in[64], out[64];

		for (unsigned i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)(i * 7 + 1);
		CHECK(phys_write(m, pa_at(m, a + M2 + 9 * P), in, sizeof(in)));
		CHECK_EQ(vread(m, out, a + M2 + 9 * P, sizeof(out)),
			 (long)sizeof(out));
		CHECK(!memcmp(in, out, sizeof(in)));
	}
	CHECK_EQ(check_vm(m), 0);
out:
	vmf_machine_destroy(m);
}

/* vfree: the blocks cleared (the PMD table stays), every small page back
 * one by one, the area lazy; the purge's flush covers it. */
static void test_vfree(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	uint64_t free0 = nr_free_pages(m), pt;
	vaddr_t a = vmalloc_huge(m, 2 * M2, 0);
	struct vmalloc_obs o;

	CHECK_EQ(a, W);
	CHECK_EQ(level_at(m, a + M2), 2);
	pt = mmu_pgtable_pages(m);
	CHECK_EQ(vfree(m, a), 0);
	CHECK_EQ(level_at(m, a), -1);
	CHECK_EQ(level_at(m, a + M2 + 3 * P), -1);
	CHECK(!mmu_range_mapped(m, a, a + 2 * M2 + P, NULL));
	CHECK_EQ(mmu_pgtable_pages(m), pt);
	/* The pages and the nested array's pages are free: only the tables
	 * (PUD, PMD, the array's PTE table) stay allocated. */
	CHECK_EQ(free0 - nr_free_pages(m), pt - 1);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_lazy, 2); /* the area and its nested array */
	CHECK_EQ(check_vm(m), 0);
	purge_vmap_area_lazy(m);
	CHECK_EQ(last_flush(m)->start, W);
	CHECK(last_flush(m)->end >= W + 2 * M2 + P);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A PTE table left where a block goes is freed first: clear, walk flush
 * (TLB_FLUSH_PGTABLE at that address), free. */
static void test_block_frees_pte_table(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	uint64_t pt, flushes;
	vaddr_t s = vmalloc(m, 2 * P), a;

	CHECK_EQ(s, W);
	CHECK_EQ(vfree(m, s), 0);
	purge_vmap_area_lazy(m);
	pt = mmu_pgtable_pages(m);
	flushes = tlb_stats(m)->flush_seq;
	a = vmalloc_huge(m, M2, NUMA_NO_NODE);
	CHECK_EQ(a, W);
	CHECK_EQ(level_at(m, a), 2);
	/* The PTE table went; the 4 KiB array is kmalloc'ed: no new table. */
	CHECK_EQ(mmu_pgtable_pages(m), pt - 1);
	CHECK_EQ(tlb_stats(m)->flush_seq, flushes + 1);
	CHECK_EQ(last_flush(m)->kind, TLB_FLUSH_PGTABLE);
	CHECK_EQ(last_flush(m)->start, W);
	CHECK(find_vm_area(m, a) && find_vm_area(m, a)->pages != NULL);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* No free block of order 9: the attempt warns (page order 9, 0 bytes
 * had), is vfree'd (its area lazy) and the call succeeds on small pages
 * right after it, with the real size. */
static void test_fallback_fragmented(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	size_t nr;
	struct page **held = fragment_all(m, &nr);
	uint64_t seq = vmf_warn_seq(m);
	struct vmalloc_obs o;
	struct vm_struct *vm;
	vaddr_t a;

	a = vmalloc_huge(m, M2, NUMA_NO_NODE);
	CHECK_EQ(a, W + M2 + P);
	CHECK_EQ(vmf_warn_seq(m), seq + 1);
	CHECK_EQ(warn_kind(m, seq + 1), WARN_VMALLOC_ALLOC_FAILURE);
	CHECK(strstr(warn_text(m, seq + 1),
		     "size 0, page order 9, failed to allocate pages") != NULL);
	vm = find_vm_area(m, a);
	CHECK(vm && vm->page_order == 0 && vm->nr_pages == 512 &&
	      vm->size == M2 + P);
	CHECK(vm && !strcmp(vm->caller, "vmalloc_huge"));
	CHECK_EQ(level_at(m, a), 3);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_lazy, 1);
	CHECK_EQ(check_vm(m), 0);
	for (size_t i = 0; i < nr; i++)
		__free_pages(m, held[i], 0);
	free(held);
	CHECK_EQ(vfree(m, a), 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* FAULT_PAGE_ALLOC fails the second high-order page of three: the first
 * one's 512 pages are freed with the attempt (warning: 2 MiB had), the
 * fallback maps 1536 small pages after the lazy attempt and its array. */
static void test_fault_kth_step(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	uint64_t free0 = nr_free_pages(m), seq;
	uint64_t calls0 = m->fault.site[FAULT_PAGE_ALLOC].calls;
	struct vm_struct *vm;
	vaddr_t a;

	/* The attempt's nested array takes 3 pages first. */
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_NTH, 3 + 2);
	seq = vmf_warn_seq(m);
	a = vmalloc_huge(m, 3 * M2, NUMA_NO_NODE);
	/* The attempt: [W, +6M+4K), its 12 KiB array [+6M+4K, +6M+20K);
	 * the fallback after both (the legacy cache). */
	CHECK_EQ(a, W + 3 * M2 + 5 * P);
	CHECK(strstr(warn_text(m, seq + 1),
		     "size 2097152, page order 9, failed to allocate pages") !=
	      NULL);
	CHECK_EQ(vmf_warn_seq(m), seq + 1);
	/* The array's 3 and 2 high-order calls, then the fallback's array
	 * and its 1536 data pages. */
	CHECK_EQ(m->fault.site[FAULT_PAGE_ALLOC].calls - calls0,
		 3 + 2 + 3 + 1536);
	vm = find_vm_area(m, a);
	CHECK(vm && vm->page_order == 0 && vm->nr_pages == 1536);
	CHECK_EQ(level_at(m, a + M2), 3);
	/* Pages held: the fallback's 1536 + its array's 3 + tables. */
	CHECK_EQ(free0 - nr_free_pages(m),
		 1536 + 3 + mmu_pgtable_pages(m) - 1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A table the mapping needs cannot be had: "failed to map pages", the
 * attempt vfree'd, the small-page retry gets its tables. */
static void test_map_failure(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	uint64_t seq = vmf_warn_seq(m);
	vaddr_t a;

	vmf_fault_set(m, FAULT_PGTABLE, FAULT_NTH, 1);
	a = vmalloc_huge(m, M2, 0);
	CHECK_EQ(a, W + M2 + P);
	CHECK_EQ(warn_kind(m, seq + 1), WARN_VMALLOC_ALLOC_FAILURE);
	CHECK(strstr(warn_text(m, seq + 1), "size 2097152, failed to map "
					    "pages") != NULL);
	CHECK(find_vm_area(m, a) && find_vm_area(m, a)->page_order == 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* No room for the PMD-rounded, PMD-aligned area: the placement's
 * warning, "vm_struct allocation failed", then the small-page call fits. */
static void test_no_area(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	uint64_t seq;
	vaddr_t a;

	cfg_small(&c, 1024); /* a 4 MiB window */
	c.huge_vmalloc = true;
	m = mk(&c, true);
	seq = vmf_warn_seq(m);
	a = vmalloc_huge(m, M2 + P, NUMA_NO_NODE);
	CHECK_EQ(a, W0);
	CHECK_EQ(warn_kind(m, seq + 1), WARN_VMAP_ALLOC_FAILED);
	CHECK_EQ(warn_kind(m, seq + 2), WARN_VMALLOC_ALLOC_FAILURE);
	CHECK(strstr(warn_text(m, seq + 2), "size 2101248, vm_struct "
					    "allocation failed") != NULL);
	CHECK_EQ(vmf_warn_seq(m), seq + 2);
	CHECK(find_vm_area(m, a) && find_vm_area(m, a)->page_order == 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 16K and 64K granules: PMD_SIZE is 32 and 512 MiB, the page order 11
 * and 13, at or above MAX_ORDER: the first step fails at once with no
 * warning of the buddy and no fault-site call, the attempt is undone and
 * the small pages follow. */
static void test_granules_fall_back(void)
{
	static const struct {
		unsigned shift;
		uint64_t ram, pmd;
		unsigned order;
	} g[] = {
		{14, 64ull << 20, 32ull << 20, 11},
		{16, 1024ull << 20, 512ull << 20, 13},
	};

	for (unsigned i = 0; i < 2; i++) {
		struct vmf_machine *m = mk_huge(g[i].shift, g[i].ram, 1, true);
		uint64_t seq = vmf_warn_seq(m), calls0;
		uint64_t ps = 1ull << g[i].shift;
		uint64_t nr = g[i].pmd / ps;
		char want[96];
		struct vm_struct *vm;
		vaddr_t a;

		calls0 = m->fault.site[FAULT_PAGE_ALLOC].calls;
		a = vmalloc_huge(m, g[i].pmd, NUMA_NO_NODE);
		CHECK(a != 0);
		snprintf(want, sizeof(want),
			 "size 0, page order %u, failed to allocate pages",
			 g[i].order);
		CHECK(strstr(warn_text(m, seq + 1), want) != NULL);
		CHECK_EQ(m->warn.count[WARN_PAGE_BAD_ORDER], 0);
		vm = find_vm_area(m, a);
		CHECK(vm && vm->page_order == 0 && vm->nr_pages == nr);
		/* Only the fallback's pages asked the fault site (the
		 * array: kmalloc'ed at 16K, 4 pages nested at 64K). */
		CHECK_EQ(m->fault.site[FAULT_PAGE_ALLOC].calls - calls0,
			 nr + (nr * 8 > ps ? 2 * ((nr * 8 + ps - 1) / ps) : 0));
		CHECK_EQ(level_at(m, a), 3);
		CHECK_EQ(check_vm(m), 0);
		CHECK_EQ(vfree(m, a), 0);
		CHECK_EQ(check_vm(m), 0);
		vmf_machine_destroy(m);
	}
}

/* Huge vmalloc off, or a size per node below PMD_SIZE: vmalloc_node's
 * small pages with the caller "vmalloc_huge"; node 0 alone counts the
 * whole size. */
static void test_small_paths(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, false);
	vaddr_t a = vmalloc_huge(m, 2 * M2, NUMA_NO_NODE);
	struct vm_struct *vm = find_vm_area(m, a);

	CHECK_EQ(a, W);
	CHECK(vm && vm->page_order == 0 && vm->size == 2 * M2 + P);
	CHECK(vm && !strcmp(vm->caller, "vmalloc_huge"));
	CHECK_EQ(level_at(m, a), 3);
	vmf_machine_destroy(m);

	m = mk_huge(12, 0, 1, true);
	a = vmalloc_huge(m, M2 - 1, NUMA_NO_NODE);
	CHECK_EQ(a, W);
	CHECK(find_vm_area(m, a) && find_vm_area(m, a)->page_order == 0);
	vmf_machine_destroy(m);

	/* Two nodes: 3 MiB with NUMA_NO_NODE is 1.5 MiB per node. */
	m = mk_huge(12, 0, 2, true);
	a = vmalloc_huge(m, 3 * M2 / 2, NUMA_NO_NODE);
	CHECK(find_vm_area(m, a) && find_vm_area(m, a)->page_order == 0);
	a = vmalloc_huge(m, 3 * M2 / 2, 1);
	vm = find_vm_area(m, a);
	CHECK(vm && vm->page_order == 9);
	/* Node 1's pages: its half of RAM. */
	CHECK(vm && page_to_nid(m, vm_struct_page(m, vm, 0)) == 1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A stale block where a step goes (only a broken unmap leaves one):
 * pmd_free_pte_page leaves a block alone, pmd_set_huge refuses the change
 * (WARN_MMU_BBM), the step's PTEs find the block above them
 * (WARN_MMU_REMAP): "failed to map pages", vfree (whose unmap clears the
 * stale block too), the small pages after the lazy attempt. */
static void test_bbm_refusal(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	uint64_t seq, stale;
	vaddr_t a = vmalloc_huge(m, M2, 0);

	CHECK_EQ(a, W);
	stale = mmu_translate(m, a, ACC_READ, 1).desc + 2 * M2;
	CHECK_EQ(vfree(m, a), 0);
	purge_vmap_area_lazy(m);
	CHECK_EQ(mmu_set_raw(m, W, 2, stale), 0);
	seq = vmf_warn_seq(m);
	a = vmalloc_huge(m, M2, 0);
	CHECK_EQ(warn_kind(m, seq + 1), WARN_MMU_BBM);
	CHECK_EQ(warn_kind(m, seq + 2), WARN_MMU_REMAP);
	CHECK_EQ(warn_kind(m, seq + 3), WARN_VMALLOC_ALLOC_FAILURE);
	CHECK(strstr(warn_text(m, seq + 3), "failed to map pages") != NULL);
	CHECK_EQ(vmf_warn_seq(m), seq + 3);
	CHECK_EQ(a, W + M2 + P);
	CHECK(find_vm_area(m, a) && find_vm_area(m, a)->page_order == 0);
	/* The attempt's vfree unmapped its range, the stale block with it. */
	CHECK_EQ(level_at(m, W), -1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* The arguments are vmalloc_node's: one warning, nothing changed. */
static void test_refusals(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);

	REFUSED(m, WARN_VMALLOC_BAD_SIZE, CHECK_EQ(vmalloc_huge(m, 0, 0), 0));
	REFUSED(m, WARN_VMALLOC_BAD_SIZE,
		CHECK_EQ(vmalloc_huge(m, (uint64_t)-1, 0), 0));
	REFUSED(m, WARN_VMALLOC_BAD_SIZE,
		CHECK_EQ(vmalloc_huge(m, (65ull << 20), 0), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc_huge(m, M2, 1), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc_huge(m, M2, -7), 0));
	m->in_interrupt = true;
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc_huge(m, M2, 0), 0));
	m->in_interrupt = false;
	vmf_machine_destroy(m);
}

/* remove_vm_area hands the small pages out (leaked, balanced); a deferred
 * vfree frees them all later. */
static void test_remove_and_deferred(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	vaddr_t a = vmalloc_huge(m, M2, 0), b;
	struct vmalloc_obs o;

	CHECK_EQ(a, W);
	CHECK(remove_vm_area(m, a) != NULL);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_leaked_pages, 512);
	CHECK_EQ(level_at(m, a), -1);
	CHECK_EQ(check_vm(m), 0);
	b = vmalloc_huge(m, M2, 0);
	CHECK_EQ(b, W + 2 * M2); /* the lazy area holds [W, W + 2M + 4K) */
	CHECK_EQ(vfree_atomic(m, b), 0);
	CHECK_EQ(level_at(m, b), 2);
	CHECK_EQ(vmalloc_run_deferred(m, m->cur_cpu), 1);
	CHECK_EQ(level_at(m, b), -1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* vm_check sees a huge area broken: a wrong page order, two entries
 * swapped (not one high-order page per step), a block over other frames. */
static void test_vm_check_catches(void)
{
	struct vmf_machine *m = mk_huge(12, 0, 1, true);
	vaddr_t a = vmalloc_huge(m, M2, 0);
	struct vm_struct *vm = find_vm_area(m, a);
	char why[512] = "";
	struct page *t;

	CHECK(vm && vm->pages);
	if (!vm || !vm->pages)
		goto out;
	CHECK_EQ(check_vm(m), 0);
	vm->page_order = 8;
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "page order 8") != NULL);
	vm->page_order = 9;
	t = vm->pages[1];
	vm->pages[1] = vm->pages[2];
	vm->pages[2] = t;
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	vm->pages[2] = vm->pages[1];
	vm->pages[1] = t;
	CHECK_EQ(check_vm(m), 0);
	/* The block now maps the next 2 MiB of RAM. */
	CHECK_EQ(mmu_set_raw(m, a, 2,
			     mmu_translate(m, a, ACC_READ, 1).desc + M2), 0);
	CHECK(vm_check(m, why, sizeof(why)) != 0);
out:
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_blocks), TEST(test_vfree),
	  TEST(test_block_frees_pte_table), TEST(test_fallback_fragmented),
	  TEST(test_fault_kth_step), TEST(test_map_failure),
	  TEST(test_no_area), TEST(test_granules_fall_back),
	  TEST(test_small_paths), TEST(test_bbm_refusal),
	  TEST(test_refusals),
	  TEST(test_remove_and_deferred), TEST(test_vm_check_catches))
