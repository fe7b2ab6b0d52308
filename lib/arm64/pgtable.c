/* Kernel (TTBR1) page tables: lifecycle, table pages, map / unmap / block /
 * raw writes, leaf lookup.
 *
 * Tables are pages of simulated RAM from the buddy allocator (owner
 * OWNER_PGTABLE) holding AArch64 VMSA descriptors (Arm ARM D8.3). Every
 * refusal is decided by a read-only pass before anything is written, so a
 * refused call changes nothing. The code writes only into table pages it
 * allocated: a table descriptor pointing anywhere else (only mmu_set_raw
 * can make one) is "corrupt" to map and unmap, which refuse to go through
 * it, while the walker follows it as the hardware would. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu_internal.h"
#include "kernel/util.h"

/* ---- descriptors in RAM -------------------------------------------------- */

/* Runs of last-level entries are read and written through the table
 * frame's host bytes (phys_frame_part: the run's bytes made real and the
 * frame marked dirty, as any write would): one lookup per table instead
 * of one per entry. */
static inline uint64_t ld_desc(const uint8_t *t, uint64_t idx)
{
	return load_le64(t + idx * 8);
}

static inline void st_desc(uint8_t *t, uint64_t idx, uint64_t v)
{
	store_le64(t + idx * 8, v);
}

bool pt_read(struct vmf_machine *m, phys_addr_t table, uint64_t idx,
	     uint64_t *desc)
{
	return phys_read_u64(m, table + idx * 8, desc);
}

bool pt_write(struct vmf_machine *m, phys_addr_t table, uint64_t idx,
	      uint64_t desc)
{
	uint8_t b[8];

	store_le64(b, desc);
	return phys_write(m, table + idx * 8, b, sizeof(b));
}

static int bad_arg(struct vmf_machine *m, const char *fmt, ...)
	VMF_PRINTF(2, 3);

static int bad_arg(struct vmf_machine *m, const char *fmt, ...)
{
	char buf[VMF_WARN_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vmf_warn(m, WARN_MMU_BAD_ARG, "WARNING: %s", buf);
	return -VMF_EINVAL;
}

/* ---- geometry ------------------------------------------------------------ */

int mmu_start_level(const struct vmf_machine *m)
{
	/* D8.2.6: 4 - ceil((inputsize - granule) / stride). */
	return m ? vmf_start_level(m->cfg.page_shift, m->cfg.va_bits) : 0;
}

unsigned mmu_level_shift(const struct vmf_machine *m, int level)
{
	if (!m || level < 0 || level > 3)
		return 0;
	return vmf_level_shift(m->cfg.page_shift, level);
}

bool mmu_va_in_ttbr1(const struct vmf_machine *m, vaddr_t va)
{
	return m && (va >> m->cfg.va_bits) == (~0ull >> m->cfg.va_bits);
}

phys_addr_t mmu_ttbr1(const struct vmf_machine *m)
{
	return m && m->mmu ? m->mmu->ttbr1 : 0;
}

uint64_t mmu_pgtable_pages(const struct vmf_machine *m)
{
	return m && m->mmu ? m->mmu->pgtable_pages : 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

int mmu_init(struct vmf_machine *m)
{
	struct mmu_state *s = m->mmu;
	struct page *root;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -VMF_ENOMEM;
		m->mmu = s;
	}
	s->page_shift = m->cfg.page_shift;
	s->stride = m->cfg.page_shift - 3;
	s->va_bits = m->cfg.va_bits;
	s->pa_bits = m->cfg.pa_bits;
	s->start_level = mmu_start_level(m);
	s->ttbr1 = 0;
	s->pgtable_pages = 0;
	if (tlb_init(m))
		return -VMF_ENOMEM;
	/* The root is part of bring-up, not of a run: no fault injection
	 * (page_alloc.c leaves OWNER_PGTABLE to FAULT_PGTABLE). */
	root = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0, OWNER_PGTABLE);
	if (!root)
		return -VMF_ENOMEM;
	s->ttbr1 = page_to_phys(m, root);
	s->pgtable_pages = 1;
	return 0;
}

void mmu_reset(struct vmf_machine *m)
{
	struct mmu_state *s = m ? m->mmu : NULL;

	/* Table pages go with physical memory, which the machine resets. */
	if (!s)
		return;
	tlb_reset(s);
	s->ttbr1 = 0;
	s->pgtable_pages = 0;
}

void mmu_destroy(struct vmf_machine *m)
{
	if (!m || !m->mmu)
		return;
	tlb_free(m->mmu);
	free(m->mmu);
	m->mmu = NULL;
}

/* ---- table pages --------------------------------------------------------- */

int pt_alloc_table(struct vmf_machine *m, phys_addr_t *pa)
{
	struct page *pg;

	if (vmf_should_fail(m, FAULT_PGTABLE))
		return -VMF_ENOMEM;
	pg = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO | __GFP_NOWARN, 0,
			       OWNER_PGTABLE);
	if (!pg)
		return -VMF_ENOMEM;
	m->mmu->pgtable_pages++;
	*pa = page_to_phys(m, pg);
	return 0;
}

bool pt_owned(struct vmf_machine *m, phys_addr_t pa)
{
	const struct page *pg = pfn_to_page(m, pa >> m->mmu->page_shift);

	return pg && (pg->flags & PG_head) && pg->order == 0 &&
	       pg->owner == OWNER_PGTABLE;
}

void pt_free_table(struct vmf_machine *m, phys_addr_t pa)
{
	struct mmu_state *s = m->mmu;

	if (pa == s->ttbr1 || !pt_owned(m, pa))
		return;
	wc_table_freed(m, pa);
	if (__free_pages(m, pfn_to_page(m, pa >> s->page_shift), 0) == 0)
		s->pgtable_pages--;
}

/* 0: no valid leaf below; 1: a valid leaf; -1: a table we do not own. */
static int pt_subtree_scan(struct vmf_machine *m, phys_addr_t table, int level)
{
	struct mmu_state *s = m->mmu;

	for (uint64_t i = 0; i < lvl_entries(s, level); i++) {
		uint64_t d;
		int r;

		if (!pt_read(m, table, i, &d))
			return -1;
		if (desc_is_table(level, d)) {
			if (!pt_owned(m, desc_addr(s, d)))
				return -1;
			r = pt_subtree_scan(m, desc_addr(s, d), level + 1);
			if (r)
				return r;
		} else if (desc_is_leaf(s, level, d)) {
			return 1;
		}
	}
	return 0;
}

/* Free a table and the tables below it (pmd_free_pte_page and friends). */
static void pt_free_subtree(struct vmf_machine *m, phys_addr_t table,
			    int level)
{
	struct mmu_state *s = m->mmu;

	for (uint64_t i = 0; level < 3 && i < lvl_entries(s, level); i++) {
		uint64_t d;

		if (pt_read(m, table, i, &d) && desc_is_table(level, d) &&
		    pt_owned(m, desc_addr(s, d)))
			pt_free_subtree(m, desc_addr(s, d), level + 1);
	}
	pt_free_table(m, table);
}

/* ---- descending ---------------------------------------------------------- */

/* Walk from the root to the table that holds va's entry at `level`. With
 * alloc, missing tables are allocated and linked (zeroed before linking,
 * so nothing half-made is ever visible). */
enum pt_status pt_descend(struct vmf_machine *m, vaddr_t va, int level,
				 bool alloc, struct pt_path *p)
{
	struct mmu_state *s = m->mmu;
	phys_addr_t table = s->ttbr1;
	uint64_t attrs = 0;

	for (int l = s->start_level; l < level; l++) {
		uint64_t idx = lvl_index(s, va, l), d;
		phys_addr_t next;

		if (!pt_read(m, table, idx, &d))
			d = 0; /* cannot happen: table is ours */
		p->stop_level = l;
		p->stop_desc = d;
		if (desc_is_table(l, d)) {
			if (!pt_owned(m, desc_addr(s, d)))
				return PT_CORRUPT;
#if defined(VMF_PLANT_TABLE_MARK_IN_APTABLE)
			d &= ~PT_LINKED_MARK; /* PLANT: "software", skipped */
#endif
			attrs |= d & TABLE_ATTRS;
			table = desc_addr(s, d);
			continue;
		}
		if (d & PTE_VALID)
			return desc_is_leaf(s, l, d) ? PT_BLOCK : PT_CORRUPT;
		if (!alloc)
			return PT_ABSENT;
		if (pt_alloc_table(m, &next))
			return PT_NOMEM;
		/* Plain table descriptor, as Linux 4.19 pmd_populate_kernel:
		 * no table attributes. */
#if defined(VMF_PLANT_TABLE_MARK_IN_APTABLE)
		pt_write(m, table, idx, next | PTE_TYPE_TABLE | PT_LINKED_MARK);
#elif defined(VMF_PLANT_PTE_TABLE_USER_POPULATE)
		/* PLANT PTE_TABLE_USER_POPULATE: a last-level table linked as a
		 * user one (later kernels' pmd_populate adds PXNTable). */
		pt_write(m, table, idx, next | PTE_TYPE_TABLE |
					(l == 2 ? PMD_TABLE_PXN : 0));
#else
		pt_write(m, table, idx, next | PTE_TYPE_TABLE);
#endif
		table = next;
	}
	p->table = table;
	p->table_attrs = attrs;
	return PT_OK;
}

int path_refusal(struct vmf_machine *m, enum pt_status st,
			const struct pt_path *p, vaddr_t va, const char *what)
{
	if (st == PT_BLOCK) {
		vmf_warn(m, WARN_MMU_REMAP,
			 "WARNING: %s at 0x%llx: a live level-%d block 0x%llx is "
			 "in the way", what, (unsigned long long)va, p->stop_level,
			 (unsigned long long)p->stop_desc);
		return -VMF_EBUSY;
	}
	return bad_arg(m, "%s at 0x%llx: corrupt level-%d entry 0x%llx", what,
		       (unsigned long long)va, p->stop_level,
		       (unsigned long long)p->stop_desc);
}

/* Rewriting a live leaf: same output address and only the bits
 * pgattr_change_is_safe() allows (arch/arm64/mm/mmu.c). */
int live_change_check(struct vmf_machine *m, vaddr_t va, int level,
			     uint64_t old, uint64_t new)
{
	struct mmu_state *s = m->mmu;

	if (old == new)
		return 0;
	if (desc_addr(s, old) != desc_addr(s, new)) {
		vmf_warn(m, WARN_MMU_REMAP,
			 "WARNING: remap of live level-%d entry at 0x%llx: "
			 "0x%llx -> 0x%llx", level, (unsigned long long)va,
			 (unsigned long long)old, (unsigned long long)new);
		return -VMF_EBUSY;
	}
	if ((old ^ new) & ~PTE_SAFE_LIVE_MASK) {
		vmf_warn(m, WARN_MMU_BBM,
			 "BUG: break-before-make: unsafe change of live level-%d "
			 "entry at 0x%llx: 0x%llx -> 0x%llx", level,
			 (unsigned long long)va, (unsigned long long)old,
			 (unsigned long long)new);
		return -VMF_EBUSY;
	}
	return 0;
}

/* ---- argument checks ------------------------------------------------------ */

/* [va, va + size) inside the TTBR1 half, size > 0, no wrap. */
static bool range_ok(const struct mmu_state *s, vaddr_t va, uint64_t size)
{
	return size && va_in_ttbr1(s, va) && size - 1 <= ~0ull - va;
}

static bool prot_ok(pgprot_t prot)
{
	return !(prot & ~PROT_ALLOWED) &&
	       (prot & PTE_TYPE_MASK) == PTE_TYPE_PAGE;
}

/* ---- map pages ----------------------------------------------------------- */

static uint64_t pages_left_in_entry(const struct mmu_state *s, vaddr_t va,
				    int level)
{
	uint64_t span = 1ull << lvl_shift(s, level);

	return (span - (va & (span - 1))) >> s->page_shift;
}

static int map_pages_check(struct vmf_machine *m, vaddr_t va,
			   const pfn_t *pfns, size_t nr, pgprot_t prot)
{
	struct mmu_state *s = m->mmu;
	uint64_t l3span = 1ull << lvl_shift(s, 2);
	size_t i = 0;

	while (i < nr) {
		vaddr_t a = va + ((uint64_t)i << s->page_shift);
		struct pt_path p;
		enum pt_status st = pt_descend(m, a, 3, false, &p);

		if (st == PT_ABSENT) {
			/* Nothing below this entry: skip its whole span. */
			uint64_t skip = pages_left_in_entry(s, a, p.stop_level);
			i = skip >= nr - i ? nr : i + (size_t)skip;
			continue;
		}
		if (st != PT_OK)
			return path_refusal(m, st, &p, a, "map");
		do {
			uint64_t old = 0, new;
			int r;

			new = ((uint64_t)pfns[i] << s->page_shift) | prot;
			pt_read(m, p.table, lvl_index(s, a, 3), &old);
			if (desc_is_leaf(s, 3, old)) {
				r = live_change_check(m, a, 3, old, new);
				if (r)
					return r;
			}
			i++;
			a += 1ull << s->page_shift;
		} while (i < nr && (a & (l3span - 1)));
	}
	return 0;
}

static int map_pages_write(struct vmf_machine *m, vaddr_t va,
			   const pfn_t *pfns, size_t nr, pgprot_t prot)
{
	struct mmu_state *s = m->mmu;
	uint64_t psize = 1ull << s->page_shift;
	bool check_tlb = s->tlb_valid &&
			 tlb_overlaps(s, va, va + ((uint64_t)nr << s->page_shift) - 1);
	struct pt_path p;
	uint8_t *t = NULL;
	vaddr_t cached = 0;

	for (size_t i = 0; i < nr; i++) {
		vaddr_t a = va + ((uint64_t)i << s->page_shift);
		phys_addr_t pa = (phys_addr_t)pfns[i] << s->page_shift;
		uint64_t idx, old, new = pa | prot;

		/* One descent per last-level table. */
		if (!t || (a >> lvl_shift(s, 2)) != cached) {
			enum pt_status st = pt_descend(m, a, 3, true, &p);

			if (st == PT_NOMEM)
				return -VMF_ENOMEM;
			if (st != PT_OK) /* ruled out by the check pass */
				return -VMF_EINVAL;
			uint64_t first = lvl_index(s, a, 3);
			uint64_t run = lvl_entries(s, 3) - first;

			if (run > nr - i)
				run = nr - i;
			/* Only the entries this run writes become real. */
			t = phys_frame_part(m, p.table >> s->page_shift,
					    (size_t)first * 8, (size_t)run * 8);
			if (!t) /* cannot happen: the table is ours */
				return -VMF_EINVAL;
			cached = a >> lvl_shift(s, 2);
		}
		idx = lvl_index(s, a, 3);
		old = ld_desc(t, idx);
		if (!desc_is_leaf(s, 3, old) && check_tlb &&
		    tlb_conflicts(s, a, a + psize - 1, pa, new, p.table_attrs))
			vmf_warn(m, WARN_MMU_BBM,
				 "BUG: break-before-make: pte at 0x%llx made valid "
				 "while the TLB holds another translation (break "
				 "without flush)", (unsigned long long)a);
		st_desc(t, idx, new);
	}
	return 0;
}

int mmu_map_pages(struct vmf_machine *m, vaddr_t va, const pfn_t *pfns,
		  size_t nr, pgprot_t prot)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	int ret;

	if (!s)
		return -VMF_EINVAL;
	if (!pfns || nr == 0 || (uint64_t)nr > (~0ull >> s->page_shift))
		return bad_arg(m, "mmu_map_pages: %zu pages (pfns %s) at 0x%llx",
			       nr, pfns ? "set" : "NULL",
			       (unsigned long long)va);
	if ((va & ((1ull << s->page_shift) - 1)) ||
	    !range_ok(s, va, (uint64_t)nr << s->page_shift))
		return bad_arg(m, "mmu_map_pages: [0x%llx, +%zu pages) is not "
			       "page aligned inside TTBR1",
			       (unsigned long long)va, nr);
	if (!prot_ok(prot))
		return bad_arg(m, "mmu_map_pages: prot 0x%llx is not a page "
			       "protection", (unsigned long long)prot);
	for (size_t i = 0; i < nr; i++)
		if (pfns[i] >> (s->pa_bits - s->page_shift))
			return bad_arg(m, "mmu_map_pages: pfn 0x%llx above the "
				       "%u-bit PA size",
				       (unsigned long long)pfns[i], s->pa_bits);
	ret = map_pages_check(m, va, pfns, nr, prot);
	if (ret)
		return ret;
	return map_pages_write(m, va, pfns, nr, prot);
}

/* ---- map block ----------------------------------------------------------- */

int mmu_map_block(struct vmf_machine *m, vaddr_t va, phys_addr_t pa,
		  int level, pgprot_t prot)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	struct pt_path p;
	enum pt_status st;
	uint64_t size, idx, old = 0, new;

	if (!s)
		return -VMF_EINVAL;
	if (level < s->start_level || level > 2 || !block_allowed(s, level))
		return bad_arg(m, "mmu_map_block: no level-%d blocks with %u KiB "
			       "pages", level, 1u << (s->page_shift - 10));
	size = 1ull << lvl_shift(s, level);
	if ((va & (size - 1)) || (pa & (size - 1)) || !va_in_ttbr1(s, va))
		return bad_arg(m, "mmu_map_block: va 0x%llx / pa 0x%llx not "
			       "aligned to 0x%llx or not in TTBR1",
			       (unsigned long long)va, (unsigned long long)pa,
			       (unsigned long long)size);
	if ((pa >> s->pa_bits) || ((pa + size - 1) >> s->pa_bits))
		return bad_arg(m, "mmu_map_block: pa 0x%llx above the %u-bit PA "
			       "size", (unsigned long long)pa, s->pa_bits);
	if (!prot_ok(prot))
		return bad_arg(m, "mmu_map_block: prot 0x%llx is not a page "
			       "protection", (unsigned long long)prot);
	/* mk_sect_prot(): the block form of a page protection. */
	new = pa | (prot & ~PTE_TABLE_BIT);

	st = pt_descend(m, va, level, false, &p);
	if (st == PT_BLOCK || st == PT_CORRUPT)
		return path_refusal(m, st, &p, va, "map block");
	if (st == PT_OK) {
		pt_read(m, p.table, lvl_index(s, va, level), &old);
		if (desc_is_table(level, old)) {
			int r = pt_owned(m, desc_addr(s, old)) ?
				pt_subtree_scan(m, desc_addr(s, old), level + 1) :
				-1;
			if (r > 0) {
				vmf_warn(m, WARN_MMU_REMAP,
					 "WARNING: map block at 0x%llx over a table "
					 "with live entries", (unsigned long long)va);
				return -VMF_EBUSY;
			}
			if (r < 0)
				return bad_arg(m, "map block at 0x%llx: corrupt "
					       "table below", (unsigned long long)va);
		} else if (desc_is_leaf(s, level, old)) {
			int r = live_change_check(m, va, level, old, new);
			if (r)
				return r;
		}
	}

	st = pt_descend(m, va, level, true, &p);
	if (st == PT_NOMEM)
		return -VMF_ENOMEM;
	if (st != PT_OK)
		return -VMF_EINVAL;
	idx = lvl_index(s, va, level);
	old = 0;
	pt_read(m, p.table, idx, &old);
	/* An empty table in the way goes, as pmd_free_pte_page() does. */
	if (desc_is_table(level, old))
		pt_free_subtree(m, desc_addr(s, old), level + 1);
	if (!desc_is_leaf(s, level, old) &&
	    tlb_conflicts(s, va, va + size - 1, pa, new, p.table_attrs))
		vmf_warn(m, WARN_MMU_BBM,
			 "BUG: break-before-make: block at 0x%llx made valid "
			 "while the TLB holds another translation (break without "
			 "flush)", (unsigned long long)va);
	pt_write(m, p.table, idx, new);
	return 0;
}

/* ---- unmap --------------------------------------------------------------- */

struct unmap_refusal {
	vaddr_t va;
	int level;
	uint64_t desc;
	bool corrupt; /* else: a block only partly inside */
};

static int unmap_check(struct vmf_machine *m, phys_addr_t table, int level,
		       vaddr_t lo, vaddr_t hi, struct unmap_refusal *why)
{
	struct mmu_state *s = m->mmu;
	uint64_t span = 1ull << lvl_shift(s, level);

	if (level == 3)
		return 0; /* pages: nothing at this level is refused */
	for (vaddr_t base = lo & ~(span - 1);; base += span) {
		vaddr_t elo = base < lo ? lo : base;
		vaddr_t ehi = base + (span - 1) > hi ? hi : base + (span - 1);
		uint64_t d = 0;

		pt_read(m, table, lvl_index(s, base, level), &d);
		if (desc_is_table(level, d)) {
			if (!pt_owned(m, desc_addr(s, d))) {
				*why = (struct unmap_refusal){elo, level, d, true};
				return -1;
			}
			if (unmap_check(m, desc_addr(s, d), level + 1, elo, ehi,
					why))
				return -1;
		} else if (level < 3 && desc_is_leaf(s, level, d) &&
			   (elo != base || ehi != base + (span - 1))) {
			*why = (struct unmap_refusal){elo, level, d, false};
			return -1;
		}
		if (base + (span - 1) >= hi)
			return 0;
	}
}

/* A last-level entry the walker would use (arm64 pte_valid()): the one
 * test the unmapper and the range scans below share. */
static inline bool pte_leaf(const struct mmu_state *s, uint64_t d)
{
#if defined(VMF_PLANT_PTE_PRESENT_WRONG_BIT)
	/* PLANT PTE_PRESENT_WRONG_BIT: the test looks at PTE_WRITE (DBM)
	 * where it means the valid bit: read-only pages are "not present". */
	if (!(d & PTE_WRITE))
		return false;
#endif
	return desc_is_leaf(s, 3, d);
}

/* The last-level entries [first, last] of table: leaves counted, any
 * non-zero entry cleared. The frame's bytes are only touched once there
 * is something to clear. */
static long clear_ptes(struct vmf_machine *m, phys_addr_t table,
		       uint64_t first, uint64_t last)
{
	struct mmu_state *s = m->mmu;
	uint8_t *t = NULL;
	long cleared = 0;

	for (uint64_t idx = first; idx <= last; idx++) {
		uint64_t d = 0;

		if (t)
			d = ld_desc(t, idx);
		else if (pt_read(m, table, idx, &d) && d)
			t = phys_frame_part(m, table >> s->page_shift,
					    (size_t)idx * 8,
					    (size_t)(last - idx + 1) * 8);
		if (!d || !t)
			continue;
#if defined(VMF_PLANT_PTE_PRESENT_WRONG_BIT)
		if (!pte_leaf(s, d))
			continue; /* PLANT: "nothing present to clear" */
#endif
		/* Leaves, and any junk an invalid entry held (as
		 * vunmap_pte_range's ptep_get_and_clear). */
		if (pte_leaf(s, d))
			cleared++;
		st_desc(t, idx, 0);
	}
	return cleared;
}

static long unmap_clear(struct vmf_machine *m, phys_addr_t table, int level,
			vaddr_t lo, vaddr_t hi)
{
	struct mmu_state *s = m->mmu;
	uint64_t span = 1ull << lvl_shift(s, level);
	long cleared = 0;

	if (level == 3)
		return clear_ptes(m, table, lvl_index(s, lo, 3),
				  lvl_index(s, hi, 3));
	for (vaddr_t base = lo & ~(span - 1);; base += span) {
		vaddr_t elo = base < lo ? lo : base;
		vaddr_t ehi = base + (span - 1) > hi ? hi : base + (span - 1);
		uint64_t idx = lvl_index(s, base, level), d = 0;

		pt_read(m, table, idx, &d);
		if (desc_is_table(level, d)) {
			cleared += unmap_clear(m, desc_addr(s, d), level + 1, elo,
					       ehi);
		} else if (d && elo == base && ehi == base + (span - 1)) {
			/* Leaves, and any junk an invalid entry held (as
			 * vunmap_pte_range's ptep_get_and_clear). */
			if (desc_is_leaf(s, level, d))
				cleared++;
			pt_write(m, table, idx, 0);
		}
		if (base + (span - 1) >= hi)
			return cleared;
	}
}

#define SCAN_RUN 512 /* last-level entries read at once */

/* First VA in [lo, hi] (inclusive) that is (leaf) or is not (!leaf)
 * under a valid leaf; an unreadable table counts as no leaf. Empty
 * entries above level 3 are skipped whole and a last-level table is read
 * in runs, so the cost follows the tables, not the range: a check over a
 * huge unmapped area stays cheap. */
static bool scan_leaves(struct vmf_machine *m, phys_addr_t table, int level,
			vaddr_t lo, vaddr_t hi, bool leaf, vaddr_t *first)
{
	struct mmu_state *s = m->mmu;
	uint64_t span = 1ull << lvl_shift(s, level);

	if (level == 3) {
		for (vaddr_t va = lo & ~(span - 1);;) {
			uint64_t n = ((hi - va) >> s->page_shift) + 1;
			uint64_t run[SCAN_RUN], any = 0;
			bool ok;

			if (n > SCAN_RUN)
				n = SCAN_RUN;
			ok = phys_read(m, table + lvl_index(s, va, 3) * 8, run,
				       n * 8);
			/* A run of zero descriptors holds no leaf: one OR over
			 * the words (the common case of a table emptied by
			 * unmapping), whatever the host's byte order. */
			for (uint64_t k = 0; leaf && ok && k < n; k++)
				any |= run[k];
			if (leaf && ok && !any) {
				va += n * span;
				if (va - 1 >= hi)
					return false;
				continue;
			}
			for (uint64_t k = 0; k < n; k++, va += span)
				if ((ok && pte_leaf(s, load_le64((const uint8_t *)&run[k]))) ==
				    leaf) {
					*first = va < lo ? lo : va;
					return true;
				}
			if (va - 1 >= hi)
				return false;
		}
	}
	for (vaddr_t base = lo & ~(span - 1);; base += span) {
		vaddr_t elo = base < lo ? lo : base;
		vaddr_t ehi = base + (span - 1) > hi ? hi : base + (span - 1);
		uint64_t d = 0;
		bool rd = pt_read(m, table, lvl_index(s, base, level), &d);

		if (rd && desc_is_table(level, d)) {
			if (scan_leaves(m, desc_addr(s, d), level + 1, elo, ehi,
					leaf, first))
				return true;
		} else if ((rd && desc_is_leaf(s, level, d)) == leaf) {
			*first = elo;
			return true;
		}
		if (base + (span - 1) >= hi)
			return false;
	}
}

bool mmu_range_mapped(struct vmf_machine *m, vaddr_t start, vaddr_t end,
		      vaddr_t *first)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	vaddr_t where = 0;

	if (!s || end <= start || !va_in_ttbr1(s, start) ||
	    !va_in_ttbr1(s, end - 1))
		return false;
	if (!scan_leaves(m, s->ttbr1, s->start_level, start, end - 1, true, &where))
		return false;
	if (first)
		*first = where;
	return true;
}

bool mmu_range_unmapped(struct vmf_machine *m, vaddr_t start, vaddr_t end,
			vaddr_t *first)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	vaddr_t where = 0;

	if (!s || end <= start || !va_in_ttbr1(s, start) ||
	    !va_in_ttbr1(s, end - 1) || ((start | end) & ((1ull << s->page_shift) - 1)))
		return false;
	if (!scan_leaves(m, s->ttbr1, s->start_level, start, end - 1, false, &where))
		return false;
	if (first)
		*first = where;
	return true;
}

long mmu_unmap_range(struct vmf_machine *m, vaddr_t va, uint64_t size)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	uint64_t pmask;
	struct unmap_refusal why;

	if (!s)
		return -VMF_EINVAL;
	pmask = (1ull << s->page_shift) - 1;
	if ((va & pmask) || (size & pmask) || !range_ok(s, va, size))
		return bad_arg(m, "mmu_unmap_range: [0x%llx, +0x%llx) is not a "
			       "page-aligned range inside TTBR1",
			       (unsigned long long)va, (unsigned long long)size);
	if (unmap_check(m, s->ttbr1, s->start_level, va, va + (size - 1), &why))
		return bad_arg(m, "mmu_unmap_range: %s level-%d entry 0x%llx at "
			       "0x%llx", why.corrupt ? "corrupt" :
			       "block only partly inside:", why.level,
			       (unsigned long long)why.desc,
			       (unsigned long long)why.va);
	return unmap_clear(m, s->ttbr1, s->start_level, va, va + (size - 1));
}

/* ---- raw ----------------------------------------------------------------- */

int mmu_set_raw(struct vmf_machine *m, vaddr_t va, int level, uint64_t desc)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	struct pt_path p;
	enum pt_status st;
	uint64_t idx, old = 0;

	if (!s)
		return -VMF_EINVAL;
	if (!va_in_ttbr1(s, va) || level < s->start_level || level > 3)
		return bad_arg(m, "mmu_set_raw: va 0x%llx level %d",
			       (unsigned long long)va, level);
	/* A second reference to one of our table pages would let unmap and
	 * block maps free a table still in use; re-pointing an entry at the
	 * table it already holds (to change table attributes) is fine. */
	if (desc_is_table(level, desc) && pt_owned(m, desc_addr(s, desc))) {
		st = pt_descend(m, va, level, false, &p);
		if (st != PT_OK ||
		    !pt_read(m, p.table, lvl_index(s, va, level), &old) ||
		    !desc_is_table(level, old) ||
		    desc_addr(s, old) != desc_addr(s, desc))
			return bad_arg(m, "mmu_set_raw: 0x%llx would alias "
				       "table page 0x%llx",
				       (unsigned long long)desc,
				       (unsigned long long)desc_addr(s, desc));
	}
	st = pt_descend(m, va, level, true, &p);
	if (st == PT_NOMEM)
		return -VMF_ENOMEM;
	if (st != PT_OK)
		return path_refusal(m, st, &p, va, "set raw");
	idx = lvl_index(s, va, level);
	old = 0;
	pt_read(m, p.table, idx, &old);
	if (old == desc)
		return 0;
	/* The subtree that the new value unlinks is freed. */
	if (desc_is_table(level, old) && pt_owned(m, desc_addr(s, old)) &&
	    !(desc_is_table(level, desc) &&
	      desc_addr(s, desc) == desc_addr(s, old)))
		pt_free_subtree(m, desc_addr(s, old), level + 1);
	pt_write(m, p.table, idx, desc);
	return 0;
}

/* ---- lookup -------------------------------------------------------------- */

bool mmu_lookup(struct vmf_machine *m, vaddr_t va, uint64_t *desc,
		int *level, phys_addr_t *pa)
{
	struct mmu_walk w;

	if (!m || !m->mmu)
		return false;
	mmu_walk(m, va, &w);
	if (w.fault != MMU_OK)
		return false;
	if (desc)
		*desc = w.desc;
	if (level)
		*level = w.level;
	if (pa)
		*pa = w.oa + (va & ((1ull << w.shift) - 1));
	return true;
}

static inline void leaf_of(const struct mmu_walk *w, vaddr_t va,
			   struct mmu_leaf *o)
{
	bool ok = w->fault == MMU_OK;

	o->mapped = ok;
	o->level = ok ? w->level : 0;
	o->desc = ok ? w->desc : 0;
	o->pa = ok ? w->oa + (va & ((1ull << w->shift) - 1)) : 0;
}

#define LOOKUP_RUN 64 /* level-3 entries read at once */

size_t mmu_lookup_range(struct vmf_machine *m, vaddr_t va, size_t nr,
			struct mmu_leaf *out)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	uint64_t psize, tspan;
	size_t i = 0;

	if (!s || !out || nr == 0)
		return 0;
	psize = 1ull << s->page_shift;
	tspan = 1ull << lvl_shift(s, 2);
	if ((va & (psize - 1)) ||
	    (uint64_t)(nr - 1) > (~0ull - va) >> s->page_shift)
		return 0;
	while (i < nr) {
		vaddr_t a = va + ((uint64_t)i << s->page_shift);
		struct mmu_walk w;
		phys_addr_t table;
		uint64_t attrs;

		if (!mmu_walk_upper(m, a, &w, &table, &attrs)) {
			leaf_of(&w, a, &out[i++]); /* a block or a fault above */
			/* The rest of a block's pages without a new walk. */
			for (a += psize; w.fault == MMU_OK && i < nr &&
			     (a & ((1ull << w.shift) - 1)); a += psize)
				leaf_of(&w, a, &out[i++]);
			continue;
		}
		/* The rest of this last-level table without descending, its
		 * entries read LOOKUP_RUN at a time. */
		do {
			uint64_t idx = lvl_index(s, a, 3);
			uint64_t left = (tspan - (a & (tspan - 1))) >> s->page_shift;
			size_t n = nr - i < LOOKUP_RUN ? nr - i : LOOKUP_RUN;
			uint8_t run[LOOKUP_RUN * 8];

			if (n > left)
				n = (size_t)left;
			if (!phys_read(m, table + idx * 8, run, n * 8)) {
				mmu_walk_last(m, a, table, attrs, &w);
				leaf_of(&w, a, &out[i++]); /* outside RAM */
				a += psize;
				continue;
			}
			for (size_t k = 0; k < n; k++, i++, a += psize) {
#if defined(VMF_PLANT_LOOKUP_RUN_SKEW)
				/* PLANT LOOKUP_RUN_SKEW: a run after the first of
				 * a table decodes each entry from the one after. */
				uint64_t d = load_le64(run + k * 8);

				if (idx >= LOOKUP_RUN && k + 1 < n)
					d = load_le64(run + (k + 1) * 8);
				mmu_walk_pte(s, d, attrs, &w);
#else
				mmu_walk_pte(s, load_le64(run + k * 8), attrs, &w);
#endif
				leaf_of(&w, a, &out[i]);
			}
#if defined(VMF_PLANT_LOOKUP_RANGE_NO_REDESCENT)
		/* PLANT LOOKUP_RANGE_NO_REDESCENT: the run goes on past the
		 * end of the last-level table, reading the same table again. */
		} while (i < nr);
#else
		} while (i < nr && (a & (tspan - 1)));
#endif
	}
	return nr;
}

bool mmu_va_to_pfn(struct vmf_machine *m, vaddr_t va, pfn_t *pfn)
{
	phys_addr_t pa;

	if (!mmu_lookup(m, va, NULL, NULL, &pa))
		return false;
	if (pfn)
		*pfn = pa >> m->mmu->page_shift;
	return true;
}
