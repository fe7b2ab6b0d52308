/* fuzz_mmu's writing ops, each run on the MMU and on the oracle and the
 * results compared: MAP, BLOCK, UNMAP and RAW (mmu_set_raw). */
#include "mmu_fuzz.h"

/* ---- ops ---- */

static bool pgtable_fault_armed(void)
{
	return O.m->fault.site[FAULT_PGTABLE].mode != FAULT_OFF;
}

static void expect_ret(const char *what, long got, long want)
{
	if (got != want)
		fail("result", "%s returned %ld, expected %ld", what, got, want);
}

static void expect_one_warning(const char *what, uint64_t seq)
{
	if (vmf_warn_seq(O.m) != seq + 1)
		fail("warn", "refused %s recorded %llu warnings", what,
		     (unsigned long long)(vmf_warn_seq(O.m) - seq));
}

void op_map(struct in *in)
{
	uint8_t s = u8(in), nb = u8(in);
	size_t nr = 1 + (nb & 7);
	vaddr_t va = slot_va(s);
	pgprot_t prot = pick_prot(in);
	pfn_t pfns[8];
	long want = 0;
	bool armed = pgtable_fault_armed();
	uint64_t seq = vmf_warn_seq(O.m);

	for (size_t i = 0; i < nr; i++) {
		uint8_t b = u8(in);
		if (b == 0xff) /* beyond the PA size: refused */
			pfns[i] = 1ull << (O.pa_bits - O.ps);
		else if (b >= 0xf0) /* inside the PA size, no RAM behind */
			pfns[i] = (1ull << (O.pa_bits - O.ps)) - 1 - (b & 7);
		else
			pfns[i] = O.held[b % NHELD];
		if (pfns[i] >> (O.pa_bits - O.ps))
			want = -VMF_EINVAL;
	}
	/* Page by page, the first refusal wins: the way down, then the
	 * live entry in place. */
	for (size_t i = 0; !want && i < nr; i++) {
		vaddr_t a = va + i * O.P;
		const struct ext *e = ext_at(a);
		uint64_t d = (pfns[i] << O.ps) | prot;

		want = path_want(path_to(a, 3));
		if (want || !e || !e->live || e->level < 3)
			continue;
		if (e->kind == EXT_RAW || e->pa != pfns[i] << O.ps ||
		    ((e->desc ^ d) & ~PTE_SAFE_LIVE_MASK))
			want = -VMF_EBUSY;
	}
	uint64_t bbm_want = 0, bbm0 = O.m->warn.count[WARN_MMU_BBM];
	tlb_snapshot();
	for (size_t i = 0; !want && i < nr; i++) {
		vaddr_t a = va + i * O.P;
		const struct ext *e = ext_at(a);
		if (!(e && e->live) &&
		    tlb_conflict(a, O.P, pfns[i] << O.ps,
				 (pfns[i] << O.ps) | prot, attrs_at(a, 3)))
			bbm_want++;
	}
	long got = mmu_map_pages(O.m, va, pfns, nr, prot);
	vaddr_t hi = va + nr * O.P - 1;

	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(O.m) == 0)) {
		/* Each page: new mapping, or still the old one, or absent. */
		for (size_t i = 0; i < nr; i++) {
			vaddr_t a = va + i * O.P;
			pfn_t pf;
			bool mapped = mmu_va_to_pfn(O.m, a, &pf);
			const struct ext *e = ext_at(a);
			bool old_live = e && e->kind == EXT_MAP;
			if (mapped && pf != pfns[i] &&
			    !(old_live && pf == (e->pa + (a - e->va)) >> O.ps))
				fail("enomem-half-visible", "page 0x%llx maps pfn "
				     "0x%llx after ENOMEM", (unsigned long long)a,
				     (unsigned long long)pf);
		}
		/* the caller undoes it */
		long u = mmu_unmap_range(O.m, va, nr * O.P);
		if (u < 0)
			fail("result", "unmap after ENOMEM returned %ld", u);
		ext_clear(va, hi, false);
		enomem_resync();
		dirty_add(va, hi);
		return;
	}
	expect_ret("mmu_map_pages", got, want);
	if (got) {
		expect_one_warning("map", seq);
		return;
	}
	if (O.m->warn.count[WARN_MMU_BBM] - bbm0 != bbm_want)
		fail("bbm", "map at 0x%llx: %llu break-without-flush warnings, "
		     "expected %llu", (unsigned long long)va,
		     (unsigned long long)(O.m->warn.count[WARN_MMU_BBM] - bbm0),
		     (unsigned long long)bbm_want);
	for (size_t i = 0; i < nr; i++) {
		vaddr_t a = va + i * O.P;
		path_alloc(a, 3);
		ext_clear(a, a + O.P - 1, true);
		ext_add((struct ext){a, O.P, pfns[i] << O.ps,
				     (pfns[i] << O.ps) | prot, 3, EXT_MAP,
				     MMU_OK, true});
	}
	dirty_add(va, hi);
}

void op_block(struct in *in)
{
	uint8_t a = u8(in), b = u8(in);
	int level = (a & 3) == 1 ? 1 : (a & 3) == 3 ? ((a & 4) ? 3 : 0) : 2;
	uint64_t j = (a >> 3) & 3, blk = (a >> 5) & 3;
	pgprot_t prot = pick_prot(in);
	bool allowed = block_ok(level) && level >= O.start_level;
	uint64_t bs = allowed ? 1ull << lshift(level) : O.P;
	vaddr_t va = O.base + blk * O.big + (level == 2 ? j * O.l2 : 0);
	phys_addr_t pa;
	long want = 0;
	bool armed = pgtable_fault_armed();
	uint64_t seq = vmf_warn_seq(O.m);
	enum path path = PATH_OK;

	switch (b & 3) {
	case 0: pa = O.m->cfg.phys_base & ~(bs - 1); break;
	case 1: pa = (1ull << O.pa_bits) - bs; break;
	case 2: pa = 1ull << O.pa_bits; break;
	default: pa = (O.m->cfg.phys_base & ~(bs - 1)) + O.P; break;
	}
	if (!allowed || (pa & (bs - 1)) || ((pa + bs - 1) >> O.pa_bits))
		want = -VMF_EINVAL;
	uint64_t d = pa | (prot & ~PTE_TABLE_BIT);
	const struct ext *old = ext_at(va);
	if (!want) {
		path = path_to(va, level);
		want = path_want(path);
	}
	if (!want && path == PATH_OK) {
		if (old && old->level == level) {
			/* the entry itself: a leaf, a foreign table, junk */
			if (old->kind == EXT_FOREIGN)
				want = -VMF_EINVAL;
			else if (old->live &&
				 (old->kind == EXT_RAW || old->pa != pa ||
				  ((old->desc ^ d) & ~PTE_SAFE_LIVE_MASK)))
				want = -VMF_EBUSY;
		} else {
			want = scan_want(va, bs); /* a table (or nothing) */
		}
	}
	bool was_live = !want && path == PATH_OK && old && old->live &&
			old->level == level;
	uint64_t bbm0 = O.m->warn.count[WARN_MMU_BBM];
	tlb_snapshot();
	uint64_t bbm_want = !want && !was_live &&
			    tlb_conflict(va, bs, pa, d, attrs_at(va, level));
	long got = mmu_map_block(O.m, va, pa, level, prot);
	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(O.m) == 0)) {
		if (mmu_lookup(O.m, va, NULL, NULL, NULL) && !ext_at(va))
			fail("enomem-half-visible", "block at 0x%llx visible "
			     "after ENOMEM", (unsigned long long)va);
		enomem_resync();
		return;
	}
	expect_ret("mmu_map_block", got, want);
	if (got) {
		expect_one_warning("block", seq);
		return;
	}
	if (O.m->warn.count[WARN_MMU_BBM] - bbm0 != bbm_want)
		fail("bbm", "block at 0x%llx: %llu break-without-flush warnings, "
		     "expected %llu", (unsigned long long)va,
		     (unsigned long long)(O.m->warn.count[WARN_MMU_BBM] - bbm0),
		     (unsigned long long)bbm_want);
	path_alloc(va, level);
	ext_clear(va, va + (bs - 1), true);
	ext_add((struct ext){va, bs, pa, d, level, EXT_MAP, MMU_OK, true});
	dirty_add(va, va + (bs - 1));
}

void op_unmap(struct in *in)
{
	uint8_t s = u8(in), b = u8(in);
	vaddr_t va;
	uint64_t size;
	long want;
	uint64_t seq = vmf_warn_seq(O.m);

	switch (b >> 6) {
	case 0:
	case 1:
		va = slot_va(s);
		size = (1 + (b & 15)) * O.P;
		break;
	case 2:
		va = O.base + ((s >> 5) & 3) * O.big + ((s >> 3) & 3) * O.l2;
		size = O.l2;
		break;
	default:
		va = O.base + ((s >> 5) & 3) * O.big;
		size = (1 + (b & 1)) * O.big;
		break;
	}
	vaddr_t hi = va + (size - 1);
	want = 0;
	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];
		vaddr_t ehi = e->va + (e->size - 1);
		if (e->kind == EXT_TABLE || e->va > hi || ehi < va)
			continue;
		if (e->kind == EXT_FOREIGN) { /* not a table of the MMU's */
			want = -VMF_EINVAL;
			break;
		}
		if (!e->live)
			continue;
		if (e->va < va || ehi > hi) {
			want = -VMF_EINVAL;
			break;
		}
		want++;
	}
	long got = mmu_unmap_range(O.m, va, size);
	expect_ret("mmu_unmap_range", got, want);
	if (got < 0) {
		expect_one_warning("unmap", seq);
		return;
	}
	ext_clear(va, hi, false);
	dirty_add(va, hi);
}

/* An address inside the PA size with no RAM behind it. */
static phys_addr_t no_ram_pa(void)
{
	phys_addr_t pa = (1ull << O.pa_bits) - O.P;

	return pfn_valid(O.m, pa >> O.ps) ? 0 : pa;
}

/* The descriptor of raw kind `kind` (see the top of the file). */
static uint64_t raw_desc(struct in *in, unsigned kind, unsigned sub,
			 int level, vaddr_t va)
{
	uint64_t span = level >= 0 ? 1ull << lshift(level) : O.P, d = 0;
	uint8_t b;

	switch (kind) {
	case 0: /* the level-3 kinds of old, at any level */
		switch (sub) {
		case 0: /* block encoding: reserved at level 3 */
			return 0x40000000ull | (PAGE_KERNEL & ~PTE_TABLE_BIT);
		case 1: /* invalid, bits left over */
			return 0x40000000ull | (PAGE_KERNEL & ~PTE_VALID);
		case 2: /* output address beyond the PA size */
			return O.pa_bits < 48 ? (1ull << O.pa_bits) | PAGE_KERNEL
					      : 0;
		default:
			return 0;
		}
	case 1: /* table (page at level 3) -> a held page */
		return (O.held[u8(in) % NHELD] << O.ps) | PTE_TYPE_TABLE;
	case 2: /* -> no RAM, inside the PA size */
		return no_ram_pa() | PTE_TYPE_TABLE;
	case 3: /* -> beyond the PA size */
		return (O.pa_bits < 48 ? 1ull << O.pa_bits : no_ram_pa()) |
		       PTE_TYPE_TABLE;
	case 4: /* -> the root table: aliasing, refused above level 3 */
		return O.root | PTE_TYPE_TABLE;
	case 5: /* -> the MMU table linked at another slot's entry */
		b = u8(in);
		if (!ram_entry(slot_va(b), level < 3 ? level : 2, &d) ||
		    (d & 3) != 3 || !owned_table(out_addr(d)))
			d = O.root;
		return out_addr(d) | PTE_TYPE_TABLE;
	case 6: /* -> the table already there, with table attributes */
		b = u8(in);
		if (level < O.start_level || !ram_entry(va, level, &d) ||
		    (d & 3) != 3)
			d = O.root;
		return out_addr(d) | PTE_TYPE_TABLE | (uint64_t)(b & 0x1f) << 59 |
		       ((b & 0x20) ? 1ull << 52 : 0) |
		       ((b & 0x40) ? PTE_AF : 0);
	case 7: { /* any 64 bits; a table into RAM only at a held page */
		uint64_t lo = u16(in), mid = u16(in), hi = u16(in), top = u16(in);
		phys_addr_t a;

		d = lo | mid << 16 | hi << 32 | top << 48;
		a = out_addr(d);
		if (level < 3 && (d & 3) == 3 && pfn_valid(O.m, a >> O.ps) &&
		    !owned_table(a) && !held_pfn(a >> O.ps))
			d = (d & ~a) | O.held[(a >> O.ps) % NHELD] << O.ps;
		return d;
	}
	case 8: /* block encoding over RAM with a protection */
		return (O.m->cfg.phys_base & ~(span - 1)) |
		       (pick_prot(in) & ~PTE_TABLE_BIT);
	default: /* 9: page / table encoding, a held page, a protection */
		b = u8(in);
		return (O.held[b % NHELD] << O.ps) | pick_prot(in);
	}
}

void op_raw(struct in *in)
{
	uint8_t s = u8(in), k = u8(in);
	int level = 3 - ((k >> 2) & 3);
	unsigned kind = (k >> 4) % 10;
	vaddr_t va = slot_va(s);
	uint64_t span = 1ull << lshift(level);
	vaddr_t base = va & ~(span - 1);
	uint64_t desc = raw_desc(in, kind, k & 3, level, va), old = 0;
	bool armed = pgtable_fault_armed(), same_table = false;
	uint64_t seq = vmf_warn_seq(O.m);
	long want = 0;

	if (level < O.start_level) {
		want = -VMF_EINVAL; /* no such level in this layout */
	} else if (level < 3 && (desc & 3) == 3 &&
		   owned_table(out_addr(desc))) {
		/* A second link to an MMU table is refused; the same link
		 * again (other table attributes) is not. */
		if (path_to(va, level) == PATH_OK &&
		    ram_entry(va, level, &old) && (old & 3) == 3 &&
		    out_addr(old) == out_addr(desc))
			same_table = true;
		else
			want = -VMF_EINVAL;
	}
	if (!want)
		want = path_want(path_to(va, level));
	long got = mmu_set_raw(O.m, va, level, desc);
	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(O.m) == 0)) {
		enomem_resync();
		return;
	}
	expect_ret("mmu_set_raw", got, want);
	if (got) {
		expect_one_warning("raw write", seq);
		return;
	}
	if (same_table) {
		for (size_t i = 0; i < O.next; i++)
			if (O.ext[i].kind == EXT_TABLE && O.ext[i].va == base &&
			    O.ext[i].level == level) {
				ext_del(i);
				break;
			}
		ext_add((struct ext){base, span, out_addr(desc), desc, level,
				     EXT_TABLE, MMU_OK, false});
	} else {
		/* Whatever was below goes (an MMU table: freed). */
		path_alloc(va, level);
		ext_clear(base, base + (span - 1), true);
		ext_add_raw(base, level, desc);
	}
	dirty_add(base, base + (span - 1));
}
