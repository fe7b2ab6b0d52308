/* Huge (block) kernel mappings as Linux 4.19 arm64 makes them
 * (arch/arm64/mm/mmu.c): pmd_set_huge / pud_set_huge under
 * pgattr_change_is_safe, pmd_free_pte_page / pud_free_pmd_page, and the
 * table allocation of pud_alloc / pmd_alloc that lib/ioremap.c does
 * before each level's loop.
 *
 * Invariants:
 *  - "PMD" is level 2 and "PUD" level 1; PUD blocks only with 4K pages
 *    (arch_ioremap_pud_supported: CONFIG_ARM64_4K_PAGES), PMD blocks with
 *    every granule; a level above the start level is folded (its table is
 *    the root), as Linux folds it;
 *  - a table page is freed only after its entry was cleared and the walk
 *    for that address flushed (__flush_tlb_kernel_pgtable), in that order:
 *    the order the 2018 fixes ("arm64: Implement page table free
 *    interfaces") put in; the walk cache counts any other order;
 *  - pmd/pud_set_huge never break break-before-make: a change that
 *    pgattr_change_is_safe refuses is a WARN_MMU_BBM and returns 0 with
 *    nothing written (4.19 returns 0 silently; the model records it). */
#include "mmu_internal.h"

/* arch/arm64/mm/mmu.c 4.19 pgattr_change_is_safe: creating or removing a
 * mapping is safe; a live contiguous one may not change; nG -> global is
 * unsafe; otherwise only PXN, RDONLY, WRITE (DBM) and nG may change. */
static bool pgattr_change_is_safe(uint64_t old, uint64_t new)
{
	const uint64_t mask = PTE_PXN | PTE_RDONLY | PTE_WRITE | PTE_NG;

	if (old == 0 || new == 0)
		return true;
	if ((old | new) & PTE_CONT)
		return false;
	if (old & ~new & PTE_NG)
		return false;
	return ((old ^ new) & ~mask) == 0;
}

static int level_of(bool pud)
{
	return pud ? 1 : 2;
}

int mmu_table_alloc(struct vmf_machine *m, vaddr_t va, int level)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	struct pt_path p;
	enum pt_status st;

	if (!s)
		return -VMF_EINVAL;
	if (level < 1 || level > 3 || !va_in_ttbr1(s, va)) {
		vmf_warn(m, WARN_MMU_BAD_ARG,
			 "WARNING: mmu_table_alloc: level %d at 0x%llx", level,
			 (unsigned long long)va);
		return -VMF_EINVAL;
	}
	if (level <= s->start_level)
		return 0; /* folded: the root */
	st = pt_descend(m, va, level, true, &p);
	if (st == PT_NOMEM)
		return -VMF_ENOMEM;
	if (st != PT_OK)
		return path_refusal(m, st, &p, va, "table alloc");
	return 0;
}

/* The table holding addr's entry at level, without allocating. */
static enum pt_status entry_at(struct vmf_machine *m, vaddr_t addr,
			       int level, struct pt_path *p, uint64_t *old)
{
	enum pt_status st = pt_descend(m, addr, level, false, p);

	*old = 0;
	if (st == PT_OK)
		pt_read(m, p->table, lvl_index(m->mmu, addr, level), old);
	return st;
}

static int set_huge(struct vmf_machine *m, vaddr_t addr, phys_addr_t phys,
		    pgprot_t prot, bool pud)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	int level = level_of(pud);
	const char *fn = pud ? "pud_set_huge" : "pmd_set_huge";
	uint64_t size, old, new;
	struct pt_path p;
	enum pt_status st;

	if (!s)
		return 0;
	size = 1ull << lvl_shift(s, level);
	/* BUG_ON(phys & ~PMD_MASK) and the arguments the kernel cannot get
	 * wrong: a warning and nothing done. */
	if (level < s->start_level || !block_allowed(s, level) ||
	    !va_in_ttbr1(s, addr) || (addr & (size - 1)) ||
	    (phys & (size - 1)) || ((phys + size - 1) >> s->pa_bits) ||
	    (prot & ~PROT_ALLOWED) || (prot & PTE_TYPE_MASK) != PTE_TYPE_PAGE) {
		vmf_warn(m, WARN_MMU_BAD_ARG,
			 "WARNING: %s: addr 0x%llx phys 0x%llx prot 0x%llx "
			 "refused", fn, (unsigned long long)addr,
			 (unsigned long long)phys, (unsigned long long)prot);
		return 0;
	}
	st = entry_at(m, addr, level, &p, &old);
	if (st != PT_OK) {
		/* The caller's pmd_alloc/pud_alloc made the table: a block or
		 * a hole above it means the caller did not. */
		if (st == PT_ABSENT)
			vmf_warn(m, WARN_MMU_BAD_ARG,
				 "WARNING: %s: no table for 0x%llx", fn,
				 (unsigned long long)addr);
		else
			path_refusal(m, st, &p, addr, fn);
		return 0;
	}
	/* mk_sect_prot() and PMD_TYPE_SECT: the block form. */
	new = phys | (prot & ~PTE_TABLE_BIT);
#if defined(VMF_PLANT_BLOCK_OVER_LIVE_TABLE_NO_BBM)
	/* PLANT BLOCK_OVER_LIVE_TABLE_NO_BBM: a live table entry is not
	 * refused (and pmd_free_pte_page left it there). */
	if (!desc_is_table(level, old))
#endif
	if (!pgattr_change_is_safe(old, new)) {
		vmf_warn(m, WARN_MMU_BBM,
			 "BUG: break-before-make: %s at 0x%llx refused: "
			 "0x%llx -> 0x%llx", fn, (unsigned long long)addr,
			 (unsigned long long)old, (unsigned long long)new);
		return 0;
	}
	if (!(old & PTE_VALID) &&
	    tlb_conflicts(s, addr, addr + size - 1, phys, new, p.table_attrs))
		vmf_warn(m, WARN_MMU_BBM,
			 "BUG: break-before-make: %s at 0x%llx made valid while "
			 "the TLB holds another translation (break without "
			 "flush)", fn, (unsigned long long)addr);
	pt_write(m, p.table, lvl_index(s, addr, level), new);
	return 1;
}

int pmd_set_huge(struct vmf_machine *m, vaddr_t addr, phys_addr_t phys,
		 pgprot_t prot)
{
	return set_huge(m, addr, phys, prot, false);
}

int pud_set_huge(struct vmf_machine *m, vaddr_t addr, phys_addr_t phys,
		 pgprot_t prot)
{
	return set_huge(m, addr, phys, prot, true);
}

/* Clear the table entry, flush the walk for addr, free the table page:
 * 4.19's order (pmd_clear; __flush_tlb_kernel_pgtable; pte_free_kernel). */
static void unlink_table(struct vmf_machine *m, const struct pt_path *p,
			 vaddr_t addr, int level, phys_addr_t table)
{
	pt_write(m, p->table, lvl_index(m->mmu, addr, level), 0);
#if defined(VMF_PLANT_PGTABLE_FREED_BEFORE_FLUSH)
	/* PLANT PGTABLE_FREED_BEFORE_FLUSH: the 2018 shape: freed while the
	 * walk cache may still hold it, then flushed. */
	pt_free_table(m, table);
	flush_tlb_kernel_pgtable(m, addr);
#elif defined(VMF_PLANT_PGTABLE_FREE_NO_FLUSH)
	/* PLANT PGTABLE_FREE_NO_FLUSH: freed with no walk flush at all
	 * (4.17's pmd_free_pte_page had no address to flush). */
	pt_free_table(m, table);
#else
#if defined(VMF_PLANT_FIRST_TABLE_FLUSH_NEXT_ENTRY)
	/* PLANT FIRST_TABLE_FLUSH_NEXT_ENTRY: the first table of a run of
	 * frees (the flush before it was of another kind) has its walk
	 * flushed at the next entry's address, an off-by-one step. */
	{
		const struct tlb_flush_event *ev =
			tlb_flush_get(m, m->mmu->stats.flush_seq);

		if (!ev || ev->kind != TLB_FLUSH_PGTABLE)
			addr += 1ull << lvl_shift(m->mmu, level);
	}
#endif
	flush_tlb_kernel_pgtable(m, addr);
	pt_free_table(m, table);
#endif
}

int pmd_free_pte_page(struct vmf_machine *m, vaddr_t addr)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	struct pt_path p;
	uint64_t old;

	if (!s)
		return 1;
	/* !pmd_present: nothing to free; not a table: VM_WARN_ON (a debug
	 * build's), 1 all the same. */
	if (entry_at(m, addr, 2, &p, &old) != PT_OK || !(old & PTE_VALID) ||
	    !desc_is_table(2, old) || (addr & ((1ull << lvl_shift(s, 2)) - 1)))
		return 1;
#if defined(VMF_PLANT_BLOCK_OVER_LIVE_TABLE_NO_BBM)
	/* PLANT BLOCK_OVER_LIVE_TABLE_NO_BBM: the table is left linked. */
	return 1;
#endif
	unlink_table(m, &p, addr, 2, desc_addr(s, old));
	return 1;
}

int pud_free_pmd_page(struct vmf_machine *m, vaddr_t addr)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	uint64_t pmd_size, old;
	struct pt_path p;

	if (!s || s->page_shift != 12 || 1 < s->start_level)
		return 1;
	if (entry_at(m, addr, 1, &p, &old) != PT_OK || !(old & PTE_VALID) ||
	    !desc_is_table(1, old) || (addr & ((1ull << lvl_shift(s, 1)) - 1)))
		return 1;
	/* Each PMD entry's PTE table first, through the still-linked PMD
	 * table, then the PMD table itself. */
	pmd_size = 1ull << lvl_shift(s, 2);
	for (uint64_t i = 0; i < lvl_entries(s, 2); i++)
		pmd_free_pte_page(m, addr + i * pmd_size);
	unlink_table(m, &p, addr, 1, desc_addr(s, old));
	return 1;
}
