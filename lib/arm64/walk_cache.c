/* The table-walk cache: intermediate table entries cached by successful
 * walks (Arm ARM D8.10: a TLB may cache entries from any level of a walk,
 * "walk cache" or "intermediate caching"), consulted by later walks, which
 * then start at the cached table instead of re-reading the descriptors
 * above it.
 *
 * Invariants:
 *  - cfg.walk_cache_entries entries (0: no walk cache, nothing changes),
 *    FIFO round-robin replacement like the leaf TLB;
 *  - a walk fills at most one entry: the deepest table descriptor it read
 *    from memory, so a cached entry is never shadowed by a shallower one;
 *    an entry for the same (level, region) is refilled in place;
 *  - what drops entries (tlb.c): flush_tlb_all (TLBI VMALLE1IS) drops
 *    them all; __flush_tlb_kernel_pgtable(addr) (TLBI VAAE1IS, 4.19
 *    arch/arm64/include/asm/tlbflush.h) drops those whose region holds
 *    addr; the per-page range flush is taken as last-level (TLBI
 *    VAALE1IS) and keeps them (issue 15's contract; docs/mmu.md);
 *  - an entry is stale when the tables no longer link its table at its
 *    place with the same attributes, or its table page, ours at fill, has
 *    been freed since. Freeing a table page an entry points at counts as a
 *    stale use at once: the walker may use the entry speculatively at any
 *    moment (D8.10), so the free is where the bug is. */
#include <stdlib.h>
#include <string.h>

#include "mmu_internal.h"

int wc_init(struct vmf_machine *m)
{
	struct mmu_state *s = m->mmu;
	size_t n = m->cfg.walk_cache_entries;

	if (n && s->wc_cap < n) {
		free(s->wc);
		s->wc = calloc(n, sizeof(*s->wc));
		s->wc_cap = s->wc ? n : 0;
		if (!s->wc) {
			s->wc_nr = 0;
			return -VMF_ENOMEM;
		}
	}
	s->wc_nr = n;
	wc_reset(s);
	return 0;
}

void wc_reset(struct mmu_state *s)
{
	if (s->wc)
		memset(s->wc, 0, s->wc_used * sizeof(*s->wc));
	s->wc_used = s->wc_next = s->wc_valid = 0;
}

void wc_free(struct mmu_state *s)
{
	free(s->wc);
	s->wc = NULL;
	s->wc_cap = s->wc_nr = s->wc_used = s->wc_next = s->wc_valid = 0;
}

static bool wc_covers(const struct walk_cache_entry *e, vaddr_t va)
{
	return e->valid && (va >> e->shift) == (e->va >> e->shift);
}

struct walk_cache_entry *wc_find(struct mmu_state *s, vaddr_t va)
{
	struct walk_cache_entry *best = NULL;

	/* The deepest entry wins; at equal depth the lowest index (only one
	 * can exist: fills of the same region are done in place). */
	for (size_t i = 0; i < s->wc_used && s->wc_valid; i++) {
		struct walk_cache_entry *e = &s->wc[i];

		if (wc_covers(e, va) && (!best || e->level > best->level))
			best = e;
	}
	return best;
}

void wc_fill(struct vmf_machine *m, vaddr_t va, int level,
	     phys_addr_t table, uint64_t attrs)
{
	struct mmu_state *s = m->mmu;
	unsigned shift = lvl_shift(s, level);
	struct walk_cache_entry *e = NULL;

	if (!s->wc_nr)
		return;
	for (size_t i = 0; i < s->wc_used && s->wc_valid; i++)
		if (s->wc[i].valid && s->wc[i].level == level &&
		    wc_covers(&s->wc[i], va))
			e = &s->wc[i];
	if (!e) {
		e = &s->wc[s->wc_next];
		if (!e->valid)
			s->wc_valid++;
		if (s->wc_next >= s->wc_used)
			s->wc_used = s->wc_next + 1;
		s->wc_next = (s->wc_next + 1) % s->wc_nr;
	}
	e->valid = true;
	e->level = level;
	e->shift = shift;
	e->va = va & ~((1ull << shift) - 1);
	e->table = table;
	e->attrs = attrs;
	e->owned = pt_owned(m, table);
	s->stats.walk_fills++;
}

bool wc_entry_stale(struct vmf_machine *m, const struct walk_cache_entry *e)
{
	struct mmu_state *s = m->mmu;
	phys_addr_t table = s->ttbr1;
	uint64_t attrs = 0;

	for (int l = s->start_level; l <= e->level; l++) {
		uint64_t d;

		if (!pt_read(m, table, lvl_index(s, e->va, l), &d) ||
		    !desc_is_table(l, d) || (desc_addr(s, d) >> s->pa_bits))
			return true;
#if defined(VMF_PLANT_TABLE_MARK_IN_APTABLE)
		d &= ~PT_LINKED_MARK; /* PLANT: "software", skipped */
#endif
		attrs |= d & TABLE_ATTRS;
		table = desc_addr(s, d);
	}
	return table != e->table || attrs != e->attrs ||
	       (e->owned && !pt_owned(m, table));
}

static void wc_drop(struct mmu_state *s, struct walk_cache_entry *e)
{
	e->valid = false;
	s->wc_valid--;
	s->stats.walk_dropped++;
}

void wc_drop_all(struct mmu_state *s)
{
	for (size_t i = 0; i < s->wc_used && s->wc_valid; i++)
		if (s->wc[i].valid)
			wc_drop(s, &s->wc[i]);
}

void wc_drop_addr(struct mmu_state *s, vaddr_t va)
{
	for (size_t i = 0; i < s->wc_used && s->wc_valid; i++)
		if (wc_covers(&s->wc[i], va))
			wc_drop(s, &s->wc[i]);
}

void wc_table_freed(struct vmf_machine *m, phys_addr_t table)
{
	struct mmu_state *s = m->mmu;

	for (size_t i = 0; i < s->wc_used && s->wc_valid; i++)
		if (s->wc[i].valid && s->wc[i].table == table) {
			s->stats.walk_stale++;
			return;
		}
}

const struct walk_cache_entry *walk_cache_entries(const struct vmf_machine *m,
						   size_t *n)
{
	const struct mmu_state *s = m ? m->mmu : NULL;

	if (n)
		*n = s ? s->wc_nr : 0;
	return s ? s->wc : NULL;
}
