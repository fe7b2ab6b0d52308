/* ioremap on the simulated machine: Linux 4.19 lib/ioremap.c
 * ioremap_page_range (PUD blocks, PMD blocks or pages, step by step) and
 * arch/arm64/mm/ioremap.c __ioremap_caller / __iounmap, on top of
 * get_vm_area with VM_IOREMAP.
 *
 * Invariants:
 *  - a step gets a block only when it covers the whole block, the
 *    physical address is aligned to it and the free-table interface
 *    (pud_free_pmd_page / pmd_free_pte_page) has cleared, flushed and
 *    freed any table there; a block pmd/pud_set_huge refuses falls back
 *    to the next level (ioremap_pud_range -> ioremap_pmd_range ->
 *    ioremap_pte_range), as 4.19 does;
 *  - tables are allocated in the kernel's order: pud_alloc at each PUD
 *    step (the table exists after the first), pmd_alloc at each PUD step
 *    that maps below the PUD, pte_alloc_kernel at each PMD step mapped
 *    with pages: FAULT_PGTABLE hits the same allocation the kernel's
 *    would;
 *  - a refused ioremap changes nothing but its warning; a failed mapping
 *    is vunmapped (lazily, as 4.19), the tables it made stay;
 *  - iounmap frees lazily (vunmap); the tables under a block go only when
 *    a later ioremap puts a block over them.
 *
 * Where the model decides (docs/vmalloc.md "ioremap"): RAM. 4.19 refuses
 * ioremap of RAM with WARN_ON(pfn_valid(first pfn)); the model refuses any
 * range that holds a RAM frame unless every RAM frame in it is one the
 * caller holds (an order-0 OWNER_FRAG page: the harness's own), and
 * warns for the refusals 4.19 makes silently (size 0, wrap, above the PA
 * size). */
#include <stdlib.h>

#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/vmalloc.h>

#include "mm/vmalloc_internal.h"

#define PTE_RUN 64 /* pfns handed to mmu_map_pages at once */

static uint64_t level_size(struct vmf_machine *m, int level)
{
	return 1ull << mmu_level_shift(m, level);
}

/* The end of addr's entry at level, or end if sooner (pmd_addr_end). */
static vaddr_t level_end(struct vmf_machine *m, vaddr_t addr, vaddr_t end,
			 int level)
{
	vaddr_t next = (addr + level_size(m, level)) & ~(level_size(m, level) - 1);

	return next - 1 < end - 1 ? next : end;
}

static bool aligned(uint64_t v, uint64_t size)
{
	return (v & (size - 1)) == 0;
}

/* ioremap_pte_range (6.1: vmap_pte_range): pte_alloc_kernel, then page
 * by page; vmalloc_huge.c maps a step it cannot make a block with it. */
int ioremap_pte_range(struct vmf_machine *m, vaddr_t addr, vaddr_t end,
		      phys_addr_t phys, pgprot_t prot)
{
	pfn_t run[PTE_RUN];
	int err = mmu_table_alloc(m, addr, 3);

	while (!err && addr != end) {
		size_t n = 0;

		while (n < PTE_RUN && addr + ((uint64_t)n << m->page_shift) != end) {
			run[n] = (phys >> m->page_shift) + n;
			n++;
		}
		/* BUG_ON(!pte_none(*pte)): mmu_map_pages refuses a live
		 * entry with a warning. */
		err = mmu_map_pages(m, addr, run, n, prot);
		addr += (uint64_t)n << m->page_shift;
		phys += (uint64_t)n << m->page_shift;
	}
	return err;
}

static int ioremap_pmd_range(struct vmf_machine *m, vaddr_t addr,
			     vaddr_t end, phys_addr_t phys, pgprot_t prot)
{
	uint64_t size = level_size(m, 2);
	int err = mmu_table_alloc(m, addr, 2); /* pmd_alloc */

	while (!err && addr != end) {
		vaddr_t next = level_end(m, addr, end, 2);

		/* ioremap_pmd_enabled(): arch_ioremap_pmd_supported() is 1
		 * on arm64. */
#if defined(VMF_PLANT_PMD_BLOCK_MISALIGNED_PHYS)
		/* PLANT PMD_BLOCK_MISALIGNED_PHYS: no phys alignment test; the
		 * block maps the aligned-down frame. */
		if (next - addr == size &&
#else
		if (next - addr == size && aligned(phys, size) &&
#endif
		    pmd_free_pte_page(m, addr) &&
		    pmd_set_huge(m, addr, phys & ~(size - 1), prot)) {
			phys += next - addr;
			addr = next;
			continue;
		}
		err = ioremap_pte_range(m, addr, next, phys, prot);
		phys += next - addr;
		addr = next;
	}
	return err;
}

/* ioremap_pud_range; the levels above it are folded or only allocate. */
static int ioremap_pud_range(struct vmf_machine *m, vaddr_t addr,
			     vaddr_t end, phys_addr_t phys, pgprot_t prot)
{
	uint64_t size = level_size(m, 1);
	/* arch_ioremap_pud_supported(): 4K pages; PUD = level 1. */
	bool pud_ok = m->page_shift == 12 && mmu_start_level(m) <= 1;
	int err = 0;

	if (mmu_start_level(m) > 1) /* PUD and PMD folded into the PGD */
		return ioremap_pmd_range(m, addr, end, phys, prot);
	while (!err && addr != end) {
		vaddr_t next = level_end(m, addr, end, 1);

		err = mmu_table_alloc(m, addr, 1); /* pud_alloc */
		if (err)
			break;
		if (pud_ok && next - addr == size && aligned(phys, size) &&
		    pud_free_pmd_page(m, addr) &&
		    pud_set_huge(m, addr, phys, prot)) {
			phys += next - addr;
			addr = next;
			continue;
		}
		err = ioremap_pmd_range(m, addr, next, phys, prot);
		phys += next - addr;
		addr = next;
	}
	return err;
}

int ioremap_page_range(struct vmf_machine *m, vaddr_t addr, vaddr_t end,
		       phys_addr_t phys, pgprot_t prot)
{
	uint64_t page = m ? m->page_size : 0;

	if (!m)
		return -VMF_EINVAL;
	/* BUG_ON(addr >= end); unaligned arguments never meet `end` in the
	 * kernel's loops (a BUG or a runaway): both refused. */
	if (addr >= end || !aligned(addr, page) || !aligned(end, page) ||
	    !aligned(phys, page) || !mmu_va_in_ttbr1(m, addr)) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "BUG: ioremap_page_range: [0x%llx, 0x%llx) -> 0x%llx",
			 (unsigned long long)addr, (unsigned long long)end,
			 (unsigned long long)phys);
		return -VMF_EINVAL;
	}
	return ioremap_pud_range(m, addr, end, phys, prot);
}

/* The model's RAM rule (top of file): true if [phys, phys + size) holds
 * a RAM frame that is not the caller's. */
static bool ram_not_ours(struct vmf_machine *m, phys_addr_t phys,
			 uint64_t size)
{
	pfn_t first = phys >> m->page_shift;
	pfn_t last = (phys + size - 1) >> m->page_shift;
	pfn_t ram0 = m->cfg.phys_base >> m->page_shift;
	pfn_t ram1 = ram0 + (m->cfg.phys_size >> m->page_shift); /* exclusive */

	if (last < ram0 || first >= ram1)
		return false;
	for (pfn_t p = first > ram0 ? first : ram0; p <= last && p < ram1; p++) {
		const struct page *pg = pfn_to_page(m, p);

		if (!pg || !(pg->flags & PG_head) || pg->order != 0 ||
		    pg->owner != OWNER_FRAG)
			return true;
	}
	return false;
}

vaddr_t __ioremap(struct vmf_machine *m, phys_addr_t phys, uint64_t size,
		     pgprot_t prot)
{
	uint64_t page, offset, last;
	struct vm_struct *area;
	vaddr_t addr;

	if (!m || !m->vm)
		return 0;
	page = m->page_size;
	offset = phys & (page - 1);
	phys &= ~(page - 1);
	size = (size + offset + page - 1) & ~(page - 1); /* PAGE_ALIGN, wraps */
	last = phys + size - 1;
	if (!size || last < phys) {
		vmf_warn(m, WARN_VMALLOC_BAD_SIZE,
			 "WARNING: ioremap: phys 0x%llx size 0x%llx: empty or "
			 "wraps", (unsigned long long)phys,
			 (unsigned long long)size);
		return 0;
	}
	if (last >> m->cfg.pa_bits) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "WARNING: ioremap: [0x%llx, 0x%llx] above the %u-bit "
			 "PA size", (unsigned long long)phys,
			 (unsigned long long)last, m->cfg.pa_bits);
		return 0;
	}
	if (ram_not_ours(m, phys, size)) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "WARNING: ioremap: [0x%llx, 0x%llx] is RAM in use "
			 "(WARN_ON(pfn_valid))", (unsigned long long)phys,
			 (unsigned long long)last);
		return 0;
	}
	area = get_vm_area_ioremap(m, size, "ioremap");
	if (!area)
		return 0;
	addr = area->addr;
	area->phys_addr = phys;
	if (ioremap_page_range(m, addr, addr + size, phys, prot)) {
		vunmap(m, addr);
		return 0;
	}
	area->nr_mapped = (unsigned int)(size >> m->page_shift);
	return addr + offset;
}

#if defined(VMF_PLANT_IOUNMAP_LEAVES_BLOCK)
/* PLANT IOUNMAP_LEAVES_BLOCK: the area is unmapped and freed, but its PMD
 * blocks are put back (an unmap that walks only the PTE level). */
static int iounmap_leaves_blocks(struct vmf_machine *m, vaddr_t addr)
{
	const struct vm_struct *vm = find_vm_area(m, addr);
	uint64_t pmd = level_size(m, 2), n = 0;
	vaddr_t va[16];
	phys_addr_t pa[16];
	uint64_t prot[16];
	int ret;

	for (vaddr_t a = vm ? (vm->addr + pmd - 1) & ~(pmd - 1) : 0;
	     vm && a + pmd <= vm->addr + vm->size && n < 16; a += pmd) {
		uint64_t desc;
		int level;

		if (mmu_lookup(m, a, &desc, &level, &pa[n]) && level == 2) {
			va[n] = a;
			/* The page form of the block's attributes. */
			prot[n++] = (desc & ~0x0000fffffffff000ull) | PTE_TYPE_PAGE;
		}
	}
	ret = vunmap(m, addr);
	for (uint64_t i = 0; ret == 0 && i < n; i++)
		pmd_set_huge(m, va[i], pa[i], prot[i]);
	return ret;
}
#endif

vaddr_t ioremap(struct vmf_machine *m, phys_addr_t phys, uint64_t size)
{
	return __ioremap(m, phys, size, PROT_DEVICE_nGnRE);
}

int iounmap(struct vmf_machine *m, vaddr_t addr)
{
	if (!m)
		return -VMF_EINVAL;
	addr &= ~(m->page_size - 1);
	/* ioremap_cache() may hand out a linear-map address: not ours. */
	if (!is_vmalloc_addr(m, addr))
		return 0;
#if defined(VMF_PLANT_IOUNMAP_LEAVES_BLOCK)
	return iounmap_leaves_blocks(m, addr);
#else
	return vunmap(m, addr);
#endif
}
