/* The translation walk (Arm ARM D8, stage 1, EL1&0 regime, TTBR1 only),
 * accesses through TLB + walk cache + walk, and copies through the MMU.
 *
 * Checks, in the architecture's order (facts file "Walk checks"):
 *  0. TTBR select: bit 55 picks TTBR0/TTBR1 and bits [63:va_bits] must
 *     equal it. The model has no user tables: a TTBR0 address faults like
 *     a non-canonical one (translation, level 0), which is what TCR.EPD0=1
 *     gives.
 *  per descriptor:
 *  1. invalid, reserved (0b01 at L3) or a block where none is allowed:
 *     translation fault at that level;
 *  2. output address >= 2^pa_bits (tables too): address size fault;
 *  3. table: accumulate APTable/PXNTable/UXNTable, descend;
 *  leaf:
 *  4. AF == 0: access flag fault (no hardware AF update);
 *  5. permissions: AP[2:1] with APTable, PXN/UXN with their table bits, an
 *     EL0-writable page is never executable at EL1 (D8.4.1.2). PAN, WXN
 *     and hardware DBM are off, as in Linux. */
#include <string.h>

#include "mmu_internal.h"

/* One descriptor d read at level l: false when the walk ends on it (a
 * fault, or the leaf filled in), true to go on down to *table. */
static bool walk_step(const struct mmu_state *s, int l, uint64_t d,
		      struct mmu_walk *w, phys_addr_t *table, uint64_t *attrs)
{
	w->level = l;
	if (!desc_is_table(l, d) && !desc_is_leaf(s, l, d)) {
		w->fault = MMU_FAULT_TRANSLATION;
		return false;
	}
	if (desc_addr(s, d) >> s->pa_bits) {
		w->fault = MMU_FAULT_ADDRESS_SIZE;
		return false;
	}
	if (desc_is_table(l, d)) {
#if defined(VMF_PLANT_TABLE_MARK_IN_APTABLE)
		d &= ~PT_LINKED_MARK; /* PLANT: "software", skipped */
#endif
		*attrs |= d & TABLE_ATTRS;
		*table = desc_addr(s, d);
		return true;
	}
	w->desc = d;
	w->shift = lvl_shift(s, l);
	w->oa = desc_addr(s, d) & ~((1ull << w->shift) - 1);
	w->table_attrs = *attrs;
	return false;
}

/* Down from `from` (whose table is *table, attributes *attrs) to the
 * last-level table: as mmu_walk_upper. *deepest: the last level whose
 * table descriptor was read here (from - 1 if none). */
static bool walk_down(struct vmf_machine *m, vaddr_t va, int from,
		      struct mmu_walk *w, phys_addr_t *table, uint64_t *attrs,
		      int *deepest)
{
	struct mmu_state *s = m->mmu;

	*deepest = from - 1;
	for (int l = from; l < 3; l++) {
		uint64_t d;

		w->level = l;
		if (!pt_read(m, *table, lvl_index(s, va, l), &d)) {
			w->fault = MMU_FAULT_EXTERNAL; /* table outside RAM */
			return false;
		}
		if (!walk_step(s, l, d, w, table, attrs))
			return false;
		*deepest = l;
	}
	return true;
}

bool mmu_walk_upper(struct vmf_machine *m, vaddr_t va, struct mmu_walk *w,
		    phys_addr_t *table, uint64_t *attrs)
{
	struct mmu_state *s = m->mmu;
	int deepest;

	memset(w, 0, sizeof(*w));
	*table = s->ttbr1;
	*attrs = 0;
	if (!va_in_ttbr1(s, va)) {
		w->fault = MMU_FAULT_TRANSLATION;
		return false;
	}
	return walk_down(m, va, s->start_level, w, table, attrs, &deepest);
}

/* The walk the CPU makes on a TLB miss: from the deepest walk-cache entry
 * for va if there is one (*stale if that entry no longer agrees with the
 * tables: the walk then reads the old table, as the hardware would); on
 * success the deepest table descriptor read from memory is cached. */
static void mmu_walk_cached(struct vmf_machine *m, vaddr_t va,
			    struct mmu_walk *w, bool *stale)
{
	struct mmu_state *s = m->mmu;
	struct walk_cache_entry *e;
	phys_addr_t table = s->ttbr1;
	uint64_t attrs = 0;
	int from = s->start_level, deepest;

	*stale = false;
	memset(w, 0, sizeof(*w));
	if (!va_in_ttbr1(s, va)) {
		w->fault = MMU_FAULT_TRANSLATION;
		return;
	}
	e = s->wc_valid ? wc_find(s, va) : NULL;
	if (e) {
		s->stats.walk_hits++;
		*stale = wc_entry_stale(m, e);
		table = e->table;
		attrs = e->attrs;
		from = e->level + 1;
	}
	/* walk_down leaves table/attrs at what the descriptor at `deepest`
	 * gave, whether it stopped on a leaf or reached the last level. */
	if (walk_down(m, va, from, w, &table, &attrs, &deepest))
		mmu_walk_last(m, va, table, attrs, w);
	if (w->fault == MMU_OK && deepest >= from)
		wc_fill(m, va, deepest, table, attrs);
}

void mmu_walk_pte(const struct mmu_state *s, uint64_t d, uint64_t attrs,
		  struct mmu_walk *w)
{
	phys_addr_t unused = 0;

	memset(w, 0, sizeof(*w));
	walk_step(s, 3, d, w, &unused, &attrs);
}

void mmu_walk_last(struct vmf_machine *m, vaddr_t va, phys_addr_t table,
		   uint64_t attrs, struct mmu_walk *w)
{
	struct mmu_state *s = m->mmu;
	uint64_t d;

	if (!pt_read(m, table, lvl_index(s, va, 3), &d)) {
		memset(w, 0, sizeof(*w));
		w->level = 3;
		w->fault = MMU_FAULT_EXTERNAL;
		return;
	}
	mmu_walk_pte(s, d, attrs, w);
}

void mmu_walk(struct vmf_machine *m, vaddr_t va, struct mmu_walk *w)
{
	phys_addr_t table;
	uint64_t attrs;

	if (mmu_walk_upper(m, va, w, &table, &attrs))
		mmu_walk_last(m, va, table, attrs, w);
}

enum mmu_fault mmu_check_access(uint64_t desc, uint64_t table_attrs,
				enum mmu_access acc, int el)
{
	bool ro = (desc & PTE_RDONLY) || (table_attrs & PMD_TABLE_AP_RO);
	bool user = (desc & PTE_USER) && !(table_attrs & PMD_TABLE_AP_NO_EL0);
	bool user_w = user && !ro;

	if (!(desc & PTE_AF))
		return MMU_FAULT_ACCESS_FLAG;
	switch (acc) {
	case ACC_READ:
		return el == 0 && !user ? MMU_FAULT_PERMISSION : MMU_OK;
	case ACC_WRITE:
		return ro || (el == 0 && !user) ? MMU_FAULT_PERMISSION : MMU_OK;
	case ACC_EXEC:
		/* EL0 fetches need only UXN clear: AP[1] = 0 with UXN = 0 is
		 * execute-only at EL0 in ARMv8.0. */
		if (el == 0)
			return (desc & PTE_UXN) || (table_attrs & PMD_TABLE_UXN) ?
				       MMU_FAULT_PERMISSION : MMU_OK;
		return (desc & PTE_PXN) || (table_attrs & PMD_TABLE_PXN) ||
				       user_w ?
			       MMU_FAULT_PERMISSION : MMU_OK;
	}
	return MMU_FAULT_PERMISSION;
}

unsigned mmu_fsc(enum mmu_fault f, int level)
{
	unsigned ll = (unsigned)level & 3;

	switch (f) {
	case MMU_FAULT_ADDRESS_SIZE:
		return FSC_ADDRESS_SIZE | ll;
	case MMU_FAULT_TRANSLATION:
		return FSC_TRANSLATION | ll;
	case MMU_FAULT_ACCESS_FLAG:
		return FSC_ACCESS_FLAG | ll;
	case MMU_FAULT_PERMISSION:
		return FSC_PERMISSION | ll;
	case MMU_FAULT_EXTERNAL:
		return FSC_EXTERNAL_WALK | ll;
	default:
		return 0;
	}
}

static struct mmu_result bad_result(struct vmf_machine *m, const char *fn,
				    vaddr_t va, int acc, int el)
{
	struct mmu_result r;

	memset(&r, 0, sizeof(r));
	r.fault = MMU_FAULT_BAD_ARG;
	r.level = -1;
	if (m)
		vmf_warn(m, WARN_MMU_BAD_ARG,
			 "WARNING: %s: va 0x%llx access %d el %d refused", fn,
			 (unsigned long long)va, acc, el);
	return r;
}

static bool args_ok(const struct vmf_machine *m, int acc, int el)
{
	return m && m->mmu && acc >= ACC_READ && acc <= ACC_EXEC &&
	       (el == 0 || el == 1);
}

static struct mmu_result result_of_walk(vaddr_t va, const struct mmu_walk *w,
					enum mmu_access acc, int el)
{
	struct mmu_result r;

	memset(&r, 0, sizeof(r));
	r.level = w->level;
	r.fault = w->fault;
	if (r.fault == MMU_OK) {
		r.desc = w->desc;
		r.fault = mmu_check_access(w->desc, w->table_attrs, acc, el);
		if (r.fault == MMU_OK)
#if defined(VMF_PLANT_WALK_BLOCK_PAGE_MASK)
			/* PLANT WALK_BLOCK_PAGE_MASK: a block's output address
			 * adds the offset inside a 4 KiB page (a hard-coded
			 * page mask), not the offset inside the block. */
			r.pa = w->oa + (va & ((1ull << (w->level < 3 ? 12 :
							  w->shift)) - 1));
#else
			r.pa = w->oa + (va & ((1ull << w->shift) - 1));
#endif
	}
	r.fsc = mmu_fsc(r.fault, r.level);
	return r;
}

struct mmu_result mmu_translate(struct vmf_machine *m, vaddr_t va,
				enum mmu_access acc, int el)
{
	struct mmu_walk w;

	if (!args_ok(m, (int)acc, el))
		return bad_result(m, "mmu_translate", va, (int)acc, el);
	mmu_walk(m, va, &w);
	return result_of_walk(va, &w, acc, el);
}

struct mmu_result mmu_access(struct vmf_machine *m, vaddr_t va,
			     enum mmu_access acc, int el)
{
	struct mmu_state *s;
	struct tlb_entry *e;
	struct mmu_result r;
	struct mmu_walk w;
	bool walk_stale;

	if (!args_ok(m, (int)acc, el))
		return bad_result(m, "mmu_access", va, (int)acc, el);
	s = m->mmu;
	/* TTBR select and canonical checks come before any TLB lookup; no
	 * entry can hold such an address anyway. */
	if (va_in_ttbr1(s, va) && (e = tlb_find(s, va)) != NULL) {
		s->stats.hits++;
		memset(&r, 0, sizeof(r));
		r.tlb_hit = true;
		r.tlb_stale = tlb_entry_stale(m, e);
		r.desc = e->desc;
		r.level = shift_to_level(s, e->shift);
		/* Permissions come from the cached entry, as in hardware. */
		r.fault = mmu_check_access(e->desc, e->table_attrs, acc, el);
		if (r.fault == MMU_OK)
#if defined(VMF_PLANT_TLB_HIT_BLOCK_BASE)
			/* PLANT TLB_HIT_BLOCK_BASE: a hit in a block's entry
			 * keeps the offset inside the page only: every page of
			 * the block goes to the block's first frame. */
			r.pa = e->pa + ((va - e->va) & ((1ull << s->page_shift) - 1));
#elif defined(VMF_PLANT_STALE_HIT_NEXT_FRAME)
			/* PLANT STALE_HIT_NEXT_FRAME: a hit on an entry the
			 * tables no longer back goes one frame further (an
			 * output address kept as its region's end). */
			r.pa = e->pa + (va - e->va) +
			       (r.tlb_stale ? 1ull << s->page_shift : 0);
#else
			r.pa = e->pa + (va - e->va);
#endif
		r.fsc = mmu_fsc(r.fault, r.level);
		return r;
	}
	if (va_in_ttbr1(s, va))
		s->stats.misses++;
	mmu_walk_cached(m, va, &w, &walk_stale);
	r = result_of_walk(va, &w, acc, el);
	r.walk_stale = walk_stale;
	if (walk_stale)
		s->stats.walk_stale++;
	if (r.fault == MMU_OK)
		tlb_fill(m, va, &w);
	return r;
}

static struct mmu_result mmu_copy(struct vmf_machine *m, vaddr_t va,
				  uint8_t *rbuf, const uint8_t *wbuf,
				  size_t len, int el, size_t *done)
{
	struct mmu_result r;
	size_t off = 0;
	bool stale = false, wstale = false;

	if (done)
		*done = 0;
	if (!args_ok(m, ACC_READ, el) || (len && !rbuf && !wbuf))
		return bad_result(m, wbuf ? "mmu_write" : "mmu_read", va,
				  wbuf ? ACC_WRITE : ACC_READ, el);
	memset(&r, 0, sizeof(r));
#if defined(VMF_PLANT_COPY_DROPS_LAST_BYTE)
	/* PLANT COPY_DROPS_LAST_BYTE: the loop bound is off by one, so a
	 * one-byte copy moves nothing (and reports no fault). */
	while (off + 1 < len) {
#else
	while (off < len) {
#endif
		vaddr_t a = va + off;
		uint64_t psize = m->page_size;
		size_t chunk = (size_t)(psize - (a & (psize - 1)));
		bool ok;

		if (chunk > len - off)
			chunk = len - off;
		r = mmu_access(m, a, wbuf ? ACC_WRITE : ACC_READ, el);
		stale |= r.tlb_stale;
		wstale |= r.walk_stale;
		if (r.fault != MMU_OK) {
#if defined(VMF_PLANT_COPY_COUNTS_FAULTED_PAGE)
			/* PLANT COPY_COUNTS_FAULTED_PAGE: the chunk is counted
			 * before its translation is known to have succeeded. */
			off += chunk;
#endif
			break;
		}
		ok = wbuf ? phys_write(m, r.pa, wbuf + off, chunk) :
			    phys_read(m, r.pa, rbuf + off, chunk);
		if (!ok) {
			/* Translated, but no RAM behind it. */
			r.fault = MMU_FAULT_EXTERNAL;
			r.fsc = FSC_EXTERNAL;
#if defined(VMF_PLANT_COPY_COUNTS_ABORTED_CHUNK)
			/* PLANT COPY_COUNTS_ABORTED_CHUNK: a chunk whose data
			 * access aborted is counted as moved. */
			off += chunk;
#endif
			break;
		}
		off += chunk;
	}
	r.tlb_stale = stale;
	r.walk_stale = wstale;
	if (done)
		*done = off;
	return r;
}

struct mmu_result mmu_read(struct vmf_machine *m, vaddr_t va, void *buf,
			   size_t len, int el, size_t *done)
{
	return mmu_copy(m, va, buf, NULL, len, el, done);
}

struct mmu_result mmu_write(struct vmf_machine *m, vaddr_t va,
			    const void *buf, size_t len, int el, size_t *done)
{
	return mmu_copy(m, va, NULL, buf, len, el, done);
}

/* ---- reports ------------------------------------------------------------- */

const char *mmu_fault_name(enum mmu_fault f)
{
	/* A table of char arrays, not a switch of string returns: clang turns
	 * the latter into a pointer table, writable data in PIE objects. */
	static const char names[][16] = {
		[MMU_OK] = "ok",
		[MMU_FAULT_ADDRESS_SIZE] = "address_size",
		[MMU_FAULT_TRANSLATION] = "translation",
		[MMU_FAULT_ACCESS_FLAG] = "access_flag",
		[MMU_FAULT_PERMISSION] = "permission",
		[MMU_FAULT_EXTERNAL] = "external_abort",
		[MMU_FAULT_BAD_ARG] = "bad_arg",
	};

	if ((unsigned)f >= sizeof(names) / sizeof(names[0]) || !names[f][0])
		return "?";
	return names[f];
}

uint64_t mmu_par_el1(const struct mmu_result *r)
{
	uint64_t attr, sh;

	if (!r || r->fault == MMU_FAULT_BAD_ARG)
		return 0;
	if (r->fault != MMU_OK) /* F, FST[6:1], bit 11 RES1 */
		return (1ull << 11) | ((uint64_t)(r->fsc & 0x3f) << 1) | 1;
	attr = (MMU_MAIR_EL1 >> (8 * ((r->desc >> PTE_ATTRINDX_SHIFT) & 7))) &
	       0xff;
	sh = (r->desc >> 8) & 3;
	/* Device and Normal Non-cacheable report Outer Shareable. */
	if ((attr & 0xf0) == 0 || attr == 0x44)
		sh = 2;
	return (attr << 56) | (r->pa & 0x0000fffffffff000ull) | (1ull << 11) |
	       (1ull << 9) | (sh << 7);
}

uint64_t mmu_tcr_el1(const struct vmf_machine *m)
{
	uint64_t t1sz, tg0, tg1, ips;

	if (!m)
		return 0;
	t1sz = 64 - m->cfg.va_bits;

	switch (m->cfg.page_shift) {
	case 14:
		tg0 = 2;
		tg1 = 1;
		break;
	case 16:
		tg0 = 1;
		tg1 = 3;
		break;
	default:
		tg0 = 0;
		tg1 = 2;
		break;
	}
	switch (m->cfg.pa_bits) {
	case 32: ips = 0; break;
	case 36: ips = 1; break;
	case 40: ips = 2; break;
	case 42: ips = 3; break;
	case 44: ips = 4; break;
	default: ips = 5; break;
	}
	/* T0SZ = T1SZ, EPD0 (no TTBR0 walks), IRGN/ORGN WBWA, SH inner for
	 * both halves; TBI, HA, HD, A1 clear. */
	return t1sz | (1ull << 7) | (1ull << 8) | (1ull << 10) | (3ull << 12) |
	       (tg0 << 14) | (t1sz << 16) | (1ull << 24) | (1ull << 26) |
	       (3ull << 28) | (tg1 << 30) | (ips << 32);
}
