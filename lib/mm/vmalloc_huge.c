/* Huge vmalloc: Linux 6.1 mm/vmalloc.c __vmalloc_node_range with
 * VM_ALLOW_HUGE_VMAP (vmalloc_huge), __vmalloc_area_node and
 * vm_area_alloc_pages with page_shift = PMD_SHIFT, and the mapping of
 * vmap_pages_range_noflush / vmap_range_noflush / vmap_pmd_range /
 * vmap_try_huge_pmd; arm64 6.1 arch_vmap_pmd_supported() is true. The
 * small-page path it falls back to is the model's 4.19 vmalloc
 * (vmalloc_area.c). docs/vmalloc.md "Huge vmalloc".
 *
 * Invariants kept here (vm_check verifies them, vmalloc_huge_check):
 *  - a huge area (vm->page_order != 0) starts PMD_SIZE-aligned, its size
 *    without the guard page is a multiple of PMD_SIZE, and nr_pages small
 *    pages fill it;
 *  - the pages of step s, pages[s << page_order ...], are the frames of
 *    one high-order page, split at once (5.18+ split_page): physically
 *    contiguous, each an independent order-0 OWNER_VMALLOC page, so vfree
 *    frees them one by one like any vmalloc area's;
 *  - step s is one PMD block of exactly those frames when the step's
 *    address and physical address are PMD-aligned and pmd_set_huge
 *    accepts (a table there is first freed by pmd_free_pte_page: clear,
 *    walk flush, free); otherwise PTEs of those frames;
 *  - a huge attempt that cannot be completed (no area, a missing
 *    high-order page, a failed mapping) is undone as 6.1 undoes it (a
 *    warning, then vfree: pages freed, the area lazily) and the whole
 *    call runs again on small pages (6.1's "fail:" with shift >
 *    PAGE_SHIFT).
 *
 * The areas look like any vmalloc area otherwise (VM_ALLOC, the caller
 * "vmalloc_huge", pages = small pages), and their unmap is the common
 * one: mmu_unmap_range clears the blocks wholly inside, tables stay. */
#include "vmalloc_internal.h"

#define HUGE_CALLER "vmalloc_huge"

static uint64_t pmd_size(const struct vmf_machine *m)
{
	return 1ull << mmu_level_shift(m, 2);
}

static bool is_aligned(uint64_t v, uint64_t size)
{
	return (v & (size - 1)) == 0;
}

/* vmap_try_huge_pmd: the step is a whole, aligned PMD with an aligned
 * phys; a table there goes first (pmd_free_pte_page, only when present:
 * the model's returns 1 on an empty entry); then pmd_set_huge, which may
 * refuse (WARN_MMU_BBM). */
static bool vmap_try_huge_pmd(struct vmf_machine *m, vaddr_t addr,
			      vaddr_t end, phys_addr_t phys, pgprot_t prot)
{
	uint64_t size = pmd_size(m);

	if (end - addr != size || !is_aligned(addr, size) ||
	    !is_aligned(phys, size))
		return false;
	if (!pmd_free_pte_page(m, addr))
		return false;
	return pmd_set_huge(m, addr, phys, prot) == 1;
}

/* vmap_range_noflush(addr, addr + step, phys, prot, PMD_SHIFT) for one
 * step: pud_alloc (level 1; the root when folded), then vmap_pmd_range:
 * pmd_alloc, and per PMD entry a block or PTEs. */
static int vmap_huge_step(struct vmf_machine *m, vaddr_t addr, vaddr_t end,
			  phys_addr_t phys, pgprot_t prot)
{
	int err = mmu_table_alloc(m, addr, 1);

	if (!err)
		err = mmu_table_alloc(m, addr, 2);
	while (!err && addr != end) {
		/* pmd_addr_end() */
		vaddr_t next = (addr + pmd_size(m)) & ~(pmd_size(m) - 1);

		if (next - 1 >= end - 1)
			next = end;
		if (!vmap_try_huge_pmd(m, addr, next, phys, prot))
			err = ioremap_pte_range(m, addr, next, phys, prot);
		phys += next - addr;
		addr = next;
	}
	return err;
}

/* vmap_pages_range_noflush with page_shift = PMD_SHIFT: one
 * vmap_range_noflush per step, from the phys of the step's first page. */
static int vmap_huge_pages(struct vmf_machine *m, struct vm_struct *area,
			   pgprot_t prot)
{
	unsigned int per = 1u << area->page_order;
	uint64_t step = (uint64_t)per << m->page_shift;
	struct vm_page_cursor cur;

	vm_page_cursor_init(&cur, area);
	for (unsigned int i = 0; i < area->nr_pages; i += per) {
		vaddr_t addr = area->addr + ((uint64_t)i << m->page_shift);
		struct page *pg = vm_page_cursor_get(m, &cur, i);
		int err;

		if (!pg)
			return -VMF_ENOMEM; /* only a corrupted array */
		err = vmap_huge_step(m, addr, addr + step, page_to_phys(m, pg),
				     prot);
		if (err)
			return err;
	}
	return 0;
}

/* vm_area_alloc_pages(gfp | __GFP_NOWARN, node, page_order, ...): one
 * high-order page per step, split, its frames stored in order. Returns
 * the small pages had (all of them, or a multiple of 2^order short). */
static unsigned int vm_area_alloc_huge_pages(struct vmf_machine *m,
					     struct vm_struct *area, int node)
{
	unsigned int order = area->page_order, per = 1u << order;
	struct vm_page_cursor cur;
	unsigned int got = 0;

	vm_page_cursor_init(&cur, area);
	while (got < area->nr_pages) {
		struct page *page;

		/* __alloc_pages: an order >= MAX_ORDER fails at once, and
		 * __GFP_NOWARN keeps it quiet (16K and 64K granules). */
		if (order >= MAX_ORDER)
			break;
		page = alloc_pages_owner(m, node, GFP_KERNEL | __GFP_NOWARN,
					 order, OWNER_VMALLOC);
		if (!page)
			break;
		split_page(m, page, order);
#if defined(VMF_PLANT_HUGE_BLOCK_PAGE_MISSING)
		/* PLANT HUGE_BLOCK_PAGE_MISSING: the first step's last small
		 * page goes back to the buddy; the array and the block keep
		 * it. */
		if (got == 0)
			__free_pages(m, page + per - 1, 0);
#endif
		for (unsigned int i = 0; i < per; i++)
			if (!vm_page_cursor_set(m, &cur, got + i, page + i)) {
				/* Only a corrupted page array gets here. */
				for (unsigned int k = 0; k < per; k++)
					__free_pages(m, page + k, 0);
				vm_page_cursor_flush(m, &cur);
				return got;
			}
		got += per;
	}
	vm_page_cursor_flush(m, &cur);
	return got;
}

/* 6.1 __vmalloc_area_node with page_shift = PMD_SHIFT: 0 when the attempt
 * failed (warned, undone). */
static vaddr_t __vmalloc_huge_area_node(struct vmf_machine *m,
					struct vm_struct *area, pgprot_t prot,
					int node)
{
	unsigned int nr_small = (unsigned int)(get_vm_area_size(m, area) >>
					       m->page_shift);

	area->nr_pages = nr_small;
	if (!vmalloc_page_array(m, area, GFP_KERNEL, node))
		return 0;
	area->page_order = mmu_level_shift(m, 2) - m->page_shift;
	area->nr_pages = vm_area_alloc_huge_pages(m, area, node);
	if (area->nr_pages != nr_small) {
		vmf_warn(m, WARN_VMALLOC_ALLOC_FAILURE,
			 "vmalloc error: size %llu, page order %u, failed to "
			 "allocate pages",
			 (unsigned long long)area->nr_pages << m->page_shift,
			 area->page_order);
		goto fail;
	}
	if (vmap_huge_pages(m, area, prot)) {
		vmf_warn(m, WARN_VMALLOC_ALLOC_FAILURE,
			 "vmalloc error: size %llu, failed to map pages",
			 (unsigned long long)area->nr_pages << m->page_shift);
		goto fail;
	}
	area->nr_mapped = area->nr_pages;
	return area->addr;

fail:
	/* __vfree(area->addr): process context, so at once. */
	__vunmap_area(m, __find_vmap_area(m, area->addr), true);
	return 0;
}

/* The huge attempt: shift = PMD_SHIFT, align = PMD_SIZE, the size
 * rounded up to PMD_SIZE. 0 when it failed (the caller falls back). */
static vaddr_t vmalloc_huge_try(struct vmf_machine *m, uint64_t real_size,
				int node)
{
	uint64_t pmd = pmd_size(m);
	uint64_t size = (vmf_page_align(m, real_size) + pmd - 1) & ~(pmd - 1);
	struct vm_struct *area;
	vaddr_t addr;

#if defined(VMF_PLANT_HUGE_BLOCK_MISALIGNED)
	/* PLANT HUGE_BLOCK_MISALIGNED: the area is only page aligned. */
	pmd = m->page_size;
#endif
	area = get_vm_area_nocheck(m, size, pmd, VM_ALLOC | VM_UNINITIALIZED,
				   m->cfg.vmalloc_start, m->cfg.vmalloc_end,
				   node, GFP_KERNEL, HUGE_CALLER);
	if (!area) {
		vmf_warn(m, WARN_VMALLOC_ALLOC_FAILURE,
			 "vmalloc error: size %llu, vm_struct allocation "
			 "failed", (unsigned long long)real_size);
		return 0;
	}
	addr = __vmalloc_huge_area_node(m, area, PAGE_KERNEL, node);
	if (addr)
		area->flags &= ~VM_UNINITIALIZED; /* clear_vm_uninitialized_flag */
	return addr;
}

vaddr_t vmalloc_huge(struct vmf_machine *m, uint64_t size, int node)
{
	vaddr_t ws = m->cfg.vmalloc_start, we = m->cfg.vmalloc_end;

	if (check_area_args(m, "__vmalloc_node_range", size, 1, ws, we, node,
			    GFP_KERNEL, 0))
		return 0;
	if (m->cfg.huge_vmalloc) {
		/* size_per_node: num_online_nodes() for NUMA_NO_NODE. */
		uint64_t per_node = node == NUMA_NO_NODE ?
					    size / m->cfg.nr_nodes : size;

		if (per_node >= pmd_size(m)) {
			vaddr_t addr = vmalloc_huge_try(m, size, node);

#if defined(VMF_PLANT_HUGE_NO_FALLBACK)
			/* PLANT HUGE_NO_FALLBACK: a failed huge attempt is
			 * the end, no small-page retry. */
			return addr;
#endif
			if (addr)
				return addr;
		}
	}
	/* Small pages: the 4.19 path, align 1, the real size. */
	return vmalloc_nocheck(m, size, 1, ws, we, GFP_KERNEL, PAGE_KERNEL, 0,
			       node, HUGE_CALLER);
}

/* ---- vm_check's part ------------------------------------------------------ */

#define FAIL(...)                                                            \
	do {                                                                 \
		if (why && why_len)                                          \
			snprintf(why, why_len, __VA_ARGS__);                 \
		return -1;                                                   \
	} while (0)

int vmalloc_huge_check(struct vmf_machine *m, const struct vm_struct *vm,
		       char *why, size_t why_len)
{
	unsigned int order = vm->page_order, per;
	uint64_t step, data = get_vm_area_size(m, vm);
	struct vm_page_cursor cur;

	if (order + m->page_shift != mmu_level_shift(m, 2) || order >= MAX_ORDER)
		FAIL("huge area 0x%016llx: page order %u is not the PMD's",
		     (unsigned long long)vm->addr, order);
	per = 1u << order;
	step = (uint64_t)per << m->page_shift;
	if (!is_aligned(vm->addr, step) || !is_aligned(data, step) ||
	    ((uint64_t)vm->nr_pages << m->page_shift) != data ||
	    vm->nr_mapped != vm->nr_pages)
		FAIL("huge area 0x%016llx: +0x%llx, %u pages, %u mapped: not "
		     "whole PMD_SIZE (0x%llx) steps at a PMD-aligned address",
		     (unsigned long long)vm->addr, (unsigned long long)data,
		     vm->nr_pages, vm->nr_mapped, (unsigned long long)step);
	vm_page_cursor_init(&cur, vm);
	for (unsigned int i = 0; i < vm->nr_pages; i += per) {
		vaddr_t addr = vm->addr + ((uint64_t)i << m->page_shift);
		struct page *first = vm_page_cursor_get(m, &cur, i);
		phys_addr_t pa;
		uint64_t desc;
		int level;

		if (!first)
			FAIL("huge area 0x%016llx: page array entry %u is lost",
			     (unsigned long long)vm->addr, i);
		/* One split high-order page per step. */
		for (unsigned int k = 1; k < per; k++)
			if (vm_page_cursor_get(m, &cur, i + k) != first + k)
				FAIL("huge area 0x%016llx: page %u is not the "
				     "frame after page %u (step at 0x%016llx "
				     "is not one high-order page)",
				     (unsigned long long)vm->addr, i + k,
				     i + k - 1, (unsigned long long)addr);
		/* A block maps exactly those frames; else PTEs (checked page
		 * by page by the caller). */
		if (!mmu_lookup(m, addr, &desc, &level, &pa))
			FAIL("huge area 0x%016llx: step at 0x%016llx is not "
			     "mapped", (unsigned long long)vm->addr,
			     (unsigned long long)addr);
		if (level == 2 && (pa != page_to_phys(m, first) ||
				   !is_aligned(pa, step)))
			FAIL("huge area 0x%016llx: block at 0x%016llx maps "
			     "0x%llx, its first page is 0x%llx",
			     (unsigned long long)vm->addr,
			     (unsigned long long)addr, (unsigned long long)pa,
			     (unsigned long long)page_to_phys(m, first));
		if (level != 2 && level != 3)
			FAIL("huge area 0x%016llx: step at 0x%016llx is mapped "
			     "at level %d", (unsigned long long)vm->addr,
			     (unsigned long long)addr, level);
	}
	return 0;
}
