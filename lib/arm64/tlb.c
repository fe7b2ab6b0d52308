/* The TLB: cfg.tlb_entries leaf entries, FIFO round-robin replacement,
 * filled by successful walks in mmu_access and consulted first; and the
 * flushes, which also drop walk-cache entries (walk_cache.c).
 *
 * Flushes follow Linux 4.19 arm64 (arch/arm64/include/asm/tlbflush.h):
 * flush_tlb_kernel_range() flushes everything when end - start is above
 * MAX_TLB_RANGE = 1024 pages (cfg.tlb_flush_max_pages), else issues one
 * TLBI VAAE1IS per page: for (addr = start >> 12; addr < end >> 12;
 * addr += 1 << (PAGE_SHIFT - 12)). Each drops every entry that holds that
 * VA (whatever its size). 5.x+ use VAALE1IS (last level) instead.
 * With the walk cache the two differ: issue 15's contract takes the range
 * flush as last level (walk entries kept, as 5.x+ and the 2018 ioremap
 * bug assume); only the flush-all and __flush_tlb_kernel_pgtable (TLBI
 * VAAE1IS of one address) drop walk entries. */
#include <stdlib.h>
#include <string.h>

#include "mmu_internal.h"

int tlb_init(struct vmf_machine *m)
{
	struct mmu_state *s = m->mmu;
	size_t n = m->cfg.tlb_entries;

	if (s->tlb_cap < n) {
		free(s->tlb);
		s->tlb = calloc(n, sizeof(*s->tlb));
		s->tlb_cap = s->tlb ? n : 0;
		if (!s->tlb) {
			s->tlb_nr = 0;
			return -VMF_ENOMEM;
		}
	}
	s->tlb_nr = n;
	tlb_reset(s);
	return wc_init(m);
}

void tlb_reset(struct mmu_state *s)
{
	/* Entries at and above tlb_used were never filled: already zero. */
	if (s->tlb)
		memset(s->tlb, 0, s->tlb_used * sizeof(*s->tlb));
	s->tlb_used = 0;
	s->tlb_next = 0;
	s->tlb_valid = 0;
	wc_reset(s);
	memset(&s->stats, 0, sizeof(s->stats));
	vmf_event_log_init(&s->flush_log, sizeof(struct tlb_flush_event),
			   TLB_FLUSH_RING);
}

void tlb_free(struct mmu_state *s)
{
	free(s->tlb);
	s->tlb = NULL;
	s->tlb_cap = s->tlb_nr = s->tlb_used = 0;
	wc_free(s);
	vmf_event_log_free(&s->flush_log);
}

static uint64_t entry_last(const struct tlb_entry *e)
{
	return e->va + ((1ull << e->shift) - 1);
}

struct tlb_entry *tlb_find(struct mmu_state *s, vaddr_t va)
{
	/* The lowest-index match: with a page and a block both covering va
	 * (only possible when a flush was missed) the choice is fixed. */
	for (size_t i = 0; i < s->tlb_used && s->tlb_valid; i++) {
		struct tlb_entry *e = &s->tlb[i];

		if (e->valid && va - e->va <= entry_last(e) - e->va)
			return e;
	}
	return NULL;
}

void tlb_fill(struct vmf_machine *m, vaddr_t va, const struct mmu_walk *w)
{
	struct mmu_state *s = m->mmu;
	struct tlb_entry *e = &s->tlb[s->tlb_next];

	if (!e->valid)
		s->tlb_valid++;
	e->valid = true;
	e->shift = w->shift;
	e->va = va & ~((1ull << w->shift) - 1);
	e->pa = w->oa;
	e->desc = w->desc;
	e->table_attrs = w->table_attrs;
	if (s->tlb_next >= s->tlb_used)
		s->tlb_used = s->tlb_next + 1;
	s->tlb_next = (s->tlb_next + 1) % s->tlb_nr;
	s->stats.fills++;
}

bool tlb_entry_stale(struct vmf_machine *m, const struct tlb_entry *e)
{
	struct mmu_walk w;

	/* Stale: the tables no longer give this very leaf (same level,
	 * descriptor up to software bits, table attributes). */
	mmu_walk(m, e->va, &w);
	return w.fault != MMU_OK || w.shift != e->shift ||
	       ((w.desc ^ e->desc) & ~DESC_IGNORED_MASK) ||
	       w.table_attrs != e->table_attrs;
}

bool tlb_overlaps(const struct mmu_state *s, vaddr_t lo, vaddr_t hi)
{
	for (size_t i = 0; i < s->tlb_used && s->tlb_valid; i++) {
		const struct tlb_entry *e = &s->tlb[i];

		if (e->valid && e->va <= hi && entry_last(e) >= lo)
			return true;
	}
	return false;
}

bool tlb_conflicts(const struct mmu_state *s, vaddr_t lo, vaddr_t hi,
		   phys_addr_t pa, uint64_t desc, uint64_t table_attrs)
{
	for (size_t i = 0; i < s->tlb_used && s->tlb_valid; i++) {
		const struct tlb_entry *e = &s->tlb[i];

		if (!e->valid || e->va > hi || entry_last(e) < lo)
			continue;
		/* Both map linearly: same translation iff same offset. */
		if (e->pa - e->va != pa - lo ||
		    ((e->desc ^ desc) & DESC_HW_ATTRS) ||
		    e->table_attrs != table_attrs)
			return true;
	}
	return false;
}

static void drop(struct mmu_state *s, struct tlb_entry *e)
{
	e->valid = false;
	s->tlb_valid--;
	s->stats.entries_dropped++;
}

static void record(struct mmu_state *s, enum tlb_flush_kind kind,
		   vaddr_t start, vaddr_t end)
{
	uint64_t seq = ++s->stats.flush_seq;
	struct tlb_flush_event *ev = vmf_event_log_add(&s->flush_log, seq);

	if (ev) { /* NULL: host OOM, counted, not kept */
		ev->seq = seq;
		ev->kind = kind;
		ev->start = start;
		ev->end = end;
	}
	if (kind == TLB_FLUSH_RANGE)
		s->stats.flush_range++;
	else if (kind == TLB_FLUSH_PGTABLE)
		s->stats.flush_pgtable++;
	else
		s->stats.flush_all++;
}

static void invalidate_all(struct mmu_state *s)
{
	for (size_t i = 0; i < s->tlb_used && s->tlb_valid; i++)
		if (s->tlb[i].valid)
			drop(s, &s->tlb[i]);
	wc_drop_all(s); /* TLBI VMALLE1IS: walk entries too */
}

void flush_tlb_all(struct vmf_machine *m)
{
	if (!m || !m->mmu)
		return;
	invalidate_all(m->mmu);
	record(m->mmu, TLB_FLUSH_ALL, 0, 0);
}

/* Does the entry hold one of the k TLBI addresses a0 + i * step? */
static bool tlbi_hits(const struct tlb_entry *e, vaddr_t a0, uint64_t k,
		      uint64_t step)
{
	uint64_t i0;

	if (k == 0 || entry_last(e) < a0)
		return false;
	i0 = e->va > a0 ? (e->va - a0 + step - 1) / step : 0;
	return i0 < k && a0 + i0 * step <= entry_last(e);
}

void flush_tlb_kernel_range(struct vmf_machine *m, vaddr_t start, vaddr_t end)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	uint64_t first, last, step, k;

	if (!s)
		return;
	if (end < start) {
		vmf_warn(m, WARN_MMU_BAD_ARG,
			 "WARNING: flush_tlb_kernel_range: end 0x%llx below "
			 "start 0x%llx", (unsigned long long)end,
			 (unsigned long long)start);
		return;
	}
	if (end - start > ((uint64_t)m->cfg.tlb_flush_max_pages << s->page_shift)) {
		invalidate_all(s);
		record(s, TLB_FLUSH_ALL, start, end);
		return;
	}
	/* The kernel's loop counts in 4 KiB units whatever the granule. */
	first = start >> 12;
	last = end >> 12;
	step = 1ull << (s->page_shift - 12);
	k = first < last ? (last - first + step - 1) / step : 0;
	for (size_t i = 0; i < s->tlb_used && s->tlb_valid; i++) {
		struct tlb_entry *e = &s->tlb[i];

		if (e->valid && tlbi_hits(e, first << 12, k, step << 12))
			drop(s, e);
	}
	record(s, TLB_FLUSH_RANGE, start, end);
}

void flush_tlb_kernel_pgtable(struct vmf_machine *m, vaddr_t addr)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	/* __TLBI_VADDR(addr, 0): the address in 4 KiB units, the low bits
	 * dropped: the entries holding that 4 KiB unit. */
	vaddr_t a = addr & ~0xfffull;

	if (!s)
		return;
	for (size_t i = 0; i < s->tlb_used && s->tlb_valid; i++) {
		struct tlb_entry *e = &s->tlb[i];

		if (e->valid && tlbi_hits(e, a, 1, 1))
			drop(s, e);
	}
	wc_drop_addr(s, a);
	record(s, TLB_FLUSH_PGTABLE, addr, addr + (1ull << s->page_shift));
}

const struct tlb_stats *tlb_stats(const struct vmf_machine *m)
{
	return m && m->mmu ? &m->mmu->stats : NULL;
}

const struct tlb_flush_event *tlb_flush_get(const struct vmf_machine *m,
					    uint64_t seq)
{
	const struct tlb_flush_event *ev;

	if (!m || !m->mmu)
		return NULL;
	ev = vmf_event_log_get(&m->mmu->flush_log, seq,
			       m->mmu->stats.flush_seq);
	return ev && ev->seq == seq ? ev : NULL;
}

void tlb_flush_keep(struct vmf_machine *m)
{
	if (m && m->mmu)
		vmf_event_log_keep(&m->mmu->flush_log,
				   m->mmu->stats.flush_seq + 1);
}

size_t tlb_stale_entries(struct vmf_machine *m, struct tlb_entry *out,
			 size_t max)
{
	struct mmu_state *s = m ? m->mmu : NULL;
	size_t n = 0;

	for (size_t i = 0; s && i < s->tlb_used; i++) {
		const struct tlb_entry *e = &s->tlb[i];

		if (!e->valid || !tlb_entry_stale(m, e))
			continue;
		if (out && n < max)
			out[n] = *e;
		n++;
	}
	return n;
}

bool tlb_maps_range(const struct vmf_machine *m, vaddr_t start, vaddr_t end)
{
	if (!m || !m->mmu || end <= start)
		return false;
	return tlb_overlaps(m->mmu, start, end - 1);
}

const struct tlb_entry *tlb_entries(const struct vmf_machine *m, size_t *n)
{
	const struct mmu_state *s = m ? m->mmu : NULL;

	if (n)
		*n = s ? s->tlb_nr : 0;
	return s ? s->tlb : NULL;
}
