/* fuzz_mmu's other ops, each run on the MMU and checked against the
 * oracle: TRANSLATE, ACCESS, READ/WRITE, LOOKUP_RANGE, BADARG (refused
 * calls), FLUSH, FAULT, RESET and DUMP. */
#include <string.h>

#include "mmu_fuzz.h"

static vaddr_t probe_va(struct in *in)
{
	uint8_t s = u8(in);
	uint16_t off = u16(in);
	return slot_va(s) + (off & (O.P - 1));
}

void op_translate(struct in *in)
{
	uint8_t b = u8(in);
	vaddr_t va = probe_va(in);
	int acc = b % 3, el = (b >> 2) & 1;
	struct mmu_result r;

	if ((b >> 3) == 31) {
		/* outside TTBR1 or not canonical: translation, level 0 */
		va = (b & 0x80) ? va & ~(1ull << 55) : va ^ (1ull << 60);
		r = mmu_translate(O.m, va, acc, el);
		if (r.fault != MMU_FAULT_TRANSLATION || r.level != 0 ||
		    mmu_par_el1(&r) != 0x809)
			fail("noncanonical", "va 0x%llx: %s level %d",
			     (unsigned long long)va, mmu_fault_name(r.fault),
			     r.level);
		return;
	}
	r = mmu_translate(O.m, va, acc, el);
	if (r.tlb_hit || r.tlb_stale)
		fail("translate", "mmu_translate used the TLB");
	check_result("translate", va, acc, el, &r);
	struct expect x = expect_at(va, acc, el);
	if (r.desc != x.desc)
		fail("translate", "va 0x%llx: leaf 0x%llx, expected 0x%llx",
		     (unsigned long long)va, (unsigned long long)r.desc,
		     (unsigned long long)x.desc);
	if (mmu_par_el1(&r) != par_expect(&x, r.level))
		fail("par", "va 0x%llx acc %d el %d (%s): PAR_EL1 0x%llx, "
		     "expected 0x%llx", (unsigned long long)va, acc, el,
		     mmu_fault_name(r.fault),
		     (unsigned long long)mmu_par_el1(&r),
		     (unsigned long long)par_expect(&x, r.level));
	/* vmalloc_to_page */
	pfn_t pfn = 0;
	struct expect w = expect_walk(va);
	bool want = w.fault == MMU_OK;
	bool got = mmu_va_to_pfn(O.m, va, &pfn);
	if (got != want || (want && pfn != w.pa >> O.ps))
		fail("lookup", "va 0x%llx: lookup %d pfn 0x%llx, expected %d",
		     (unsigned long long)va, got, (unsigned long long)pfn, want);
	uint64_t ld = 0;
	int ll = -1;
	phys_addr_t lpa = 0;
	if (mmu_lookup(O.m, va, &ld, &ll, &lpa) != want ||
	    (want && (ld != w.desc || ll != w.level || lpa != w.pa)))
		fail("lookup", "va 0x%llx: mmu_lookup desc 0x%llx level %d pa "
		     "0x%llx, expected 0x%llx level %d pa 0x%llx",
		     (unsigned long long)va, (unsigned long long)ld, ll,
		     (unsigned long long)lpa, (unsigned long long)w.desc,
		     w.level, (unsigned long long)w.pa);
}

void op_access(struct in *in)
{
	uint8_t b = u8(in);
	vaddr_t va = probe_va(in);
	int acc = b % 3, el = (b >> 2) & 1;
	struct mmu_result r = mmu_access(O.m, va, acc, el);

	if (r.tlb_stale) {
		if (!r.tlb_hit || !dirty_overlaps(va, va))
			fail("stale-unexpected", "va 0x%llx: stale TLB hit with no "
			     "unflushed change there", (unsigned long long)va);
		return;
	}
	check_result("access", va, acc, el, &r);
}

/* Copy through the MMU; checked only where no stale entry can exist. */
void op_copy(struct in *in, bool write)
{
	uint8_t b = u8(in);
	vaddr_t va = probe_va(in);
	size_t len = 1 + (u16(in) % (2 * O.P));
	int el = b & 1;
	static uint8_t buf[2 * 65536], chk[65536];
	size_t done = 0, want_done = 0;
	struct expect x = {MMU_OK, -1, 0, 0, 0, false};
	bool safe = !dirty_overlaps(va, va + len - 1), shifty = false;

	/* Expected: bytes up to the first faulting page. */
	for (size_t off = 0; off < len;) {
		vaddr_t a = va + off;
		size_t chunk = O.P - (a & (O.P - 1));
		if (chunk > len - off)
			chunk = len - off;
		x = expect_at(a, write ? ACC_WRITE : ACC_READ, el);
		/* A write may change what a foreign table holds, so what
		 * its later pages translate to. */
		shifty |= write && under_foreign_ram(a);
		if (x.fault != MMU_OK)
			break;
		if (!held_pfn(x.pa >> O.ps)) {
			if (pfn_valid(O.m, x.pa >> O.ps)) {
				if (write) /* never write into tables etc. */
					return;
			} else {
				x.fault = MMU_FAULT_EXTERNAL;
				break;
			}
		}
		off += chunk;
		want_done = off;
	}
	if (write && !safe)
		return;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(b + i * 7);
	struct mmu_result r = write ? mmu_write(O.m, va, buf, len, el, &done) :
				      mmu_read(O.m, va, buf, len, el, &done);
	if (write && done)
		dirty_foreign(); /* held pages may be foreign tables */
	if (!safe || shifty)
		return;
	if (r.fault != x.fault || done != want_done || r.tlb_stale)
		fail(write ? "write" : "read", "va 0x%llx len %zu el %d: %s after "
		     "%zu bytes, expected %s after %zu",
		     (unsigned long long)va, len, el, mmu_fault_name(r.fault),
		     done, mmu_fault_name(x.fault), want_done);
	/* the bytes are where the tables say */
	for (size_t off = 0; off < done;) {
		vaddr_t a = va + off;
		size_t chunk = O.P - (a & (O.P - 1));
		if (chunk > done - off)
			chunk = done - off;
		struct expect e = expect_at(a, ACC_READ, 1);
		if (!phys_read(O.m, e.pa, chk, chunk) ||
		    memcmp(chk, buf + off, chunk))
			fail(write ? "write" : "read", "bytes at va 0x%llx differ "
			     "from pa 0x%llx", (unsigned long long)a,
			     (unsigned long long)e.pa);
		off += chunk;
	}
}

/* mmu_lookup_range and mmu_range_mapped over a run of pool pages. */
void op_lookup_range(struct in *in)
{
	uint8_t s = u8(in), n = u8(in);
	vaddr_t va = slot_va(s), f = 0;
	size_t nr = 1 + (n & 15), first = nr;
	struct mmu_leaf out[16];

	if (mmu_lookup_range(O.m, va, nr, out) != nr)
		fail("lookup-range", "mmu_lookup_range(0x%llx, %zu) refused",
		     (unsigned long long)va, nr);
	for (size_t i = 0; i < nr; i++) {
		vaddr_t a = va + i * O.P;
		struct expect x = expect_walk(a);
		bool mapped = x.fault == MMU_OK;

		if (out[i].mapped != mapped ||
		    (mapped && (out[i].level != x.level ||
				out[i].desc != x.desc || out[i].pa != x.pa)))
			fail("lookup-range", "page 0x%llx: mapped %d level %d "
			     "desc 0x%llx pa 0x%llx, expected mapped %d level %d "
			     "desc 0x%llx pa 0x%llx", (unsigned long long)a,
			     out[i].mapped, out[i].level,
			     (unsigned long long)out[i].desc,
			     (unsigned long long)out[i].pa, mapped, x.level,
			     (unsigned long long)x.desc,
			     (unsigned long long)x.pa);
		/* mmu_range_mapped counts valid leaf encodings, whatever
		 * their output address */
		if (first == nr && x.leaf)
			first = i;
	}
	bool got = mmu_range_mapped(O.m, va, va + nr * O.P, &f);
	if (got != (first < nr) || (got && f != va + first * O.P))
		fail("range-mapped", "[0x%llx, +%zu pages): %d at 0x%llx, "
		     "expected %d at page %zu", (unsigned long long)va, nr, got,
		     (unsigned long long)f, first < nr, first);
}

/* Calls with arguments the MMU must refuse, changing nothing: the
 * result the header documents, one WARN_MMU_BAD_ARG (none for the silent
 * lookups), the same tables, free pages, TLB and statistics. */
#define NR_BADARG 26

static void check_bad_result(const char *what, const struct mmu_result *r,
			     size_t done)
{
	if (r->fault != MMU_FAULT_BAD_ARG || r->level != -1 || r->fsc ||
	    r->pa || r->desc || r->tlb_hit || r->tlb_stale || done ||
	    mmu_par_el1(r) != 0 || strcmp(mmu_fault_name(r->fault), "bad_arg"))
		fail("bad-arg", "%s: %s level %d fsc 0x%x, %zu bytes done, PAR "
		     "0x%llx", what, mmu_fault_name(r->fault), r->level, r->fsc,
		     done, (unsigned long long)mmu_par_el1(r));
}

void op_badarg(struct in *in)
{
	uint8_t v = u8(in), s = u8(in);
	vaddr_t va = slot_va(s), user = va & ~(1ull << 55);
	vaddr_t last = ~0ull & ~(O.P - 1);
	phys_addr_t bpa = O.m->cfg.phys_base & ~(O.l2 - 1);
	pfn_t pfns[2] = {O.held[0], O.held[1]};
	uint64_t seq = vmf_warn_seq(O.m), bad0 = O.m->warn.count[WARN_MMU_BAD_ARG];
	uint64_t tables = mmu_pgtable_pages(O.m), nfree = nr_free_pages(O.m);
	uint64_t addr_bit = 1ull << (12 + s % 38); /* in [49:12]: not a prot */
	struct tlb_stats st0 = *tlb_stats(O.m);
	static const int map_levels[4] = {-1, 3, 4, 0};
	struct mmu_result r;
	struct mmu_leaf lf[2];
	uint8_t buf[16] = {0};
	size_t done = 7;
	long got = 0;
	bool warns = true;
	const char *what = "?";
	int lv;

	tlb_snapshot();
	switch (v % NR_BADARG) {
	case 0:
		what = "map of 0 pages";
		got = mmu_map_pages(O.m, va, pfns, 0, PAGE_KERNEL);
		break;
	case 1:
		what = "map without pfns";
		got = mmu_map_pages(O.m, va, NULL, 1, PAGE_KERNEL);
		break;
	case 2:
		what = "map at an unaligned va";
		got = mmu_map_pages(O.m, va + O.P / 2, pfns, 1, PAGE_KERNEL);
		break;
	case 3:
		what = "map outside TTBR1";
		got = mmu_map_pages(O.m, user, pfns, 1, PAGE_KERNEL);
		break;
	case 4:
		what = "map that wraps";
		got = mmu_map_pages(O.m, last, pfns, 2, PAGE_KERNEL);
		break;
	case 5:
		what = "map with address bits in prot";
		got = mmu_map_pages(O.m, va, pfns, 1, PAGE_KERNEL | addr_bit);
		break;
	case 6:
		what = "map with a prot that is not a page";
		got = mmu_map_pages(O.m, va, pfns, 1,
				    PAGE_KERNEL & ~((s & 1) ? PTE_VALID
							    : PTE_TABLE_BIT));
		break;
	case 7:
		lv = map_levels[s & 3];
		if (lv == 0 && O.ps != 12)
			lv = 1; /* 16K/64K: no level-1 blocks either */
		what = "block at a level without blocks";
		got = mmu_map_block(O.m, O.base, bpa, lv, PAGE_KERNEL);
		break;
	case 8:
		what = "block outside TTBR1";
		got = mmu_map_block(O.m, O.base & ~(1ull << 55), bpa, 2,
				    PAGE_KERNEL);
		break;
	case 9:
		what = "block with a bad prot";
		got = mmu_map_block(O.m, O.base, bpa, 2,
				    (s & 1) ? PAGE_KERNEL | addr_bit
					    : PAGE_KERNEL & ~PTE_TABLE_BIT);
		break;
	case 10:
		what = "unmap at an unaligned va";
		got = mmu_unmap_range(O.m, va + O.P / 2, O.P);
		break;
	case 11:
		what = "unmap of an unaligned size";
		got = mmu_unmap_range(O.m, va, O.P + 8 * (1 + s % 8));
		break;
	case 12:
		what = "unmap of size 0";
		got = mmu_unmap_range(O.m, va, 0);
		break;
	case 13:
		what = "unmap outside TTBR1";
		got = mmu_unmap_range(O.m, user, O.P);
		break;
	case 14:
		what = "unmap that wraps";
		got = mmu_unmap_range(O.m, last, 2 * O.P);
		break;
	case 15:
		what = "raw write outside TTBR1";
		got = mmu_set_raw(O.m, user, 3, PAGE_KERNEL);
		break;
	case 16:
		lv = (s & 1) ? 4 : O.start_level - 1;
		what = "raw write at a level out of range";
		got = mmu_set_raw(O.m, va, lv, 0);
		break;
	case 17:
		what = "translate with a bad access";
		r = mmu_translate(O.m, va, (enum mmu_access)(3 + (s & 3)), 1);
		check_bad_result(what, &r, 0);
		break;
	case 18:
		what = "translate at a bad EL";
		r = mmu_translate(O.m, va, ACC_READ, (s & 1) ? 2 : -1);
		check_bad_result(what, &r, 0);
		break;
	case 19:
		what = "access with a bad access or EL";
		r = (s & 1) ? mmu_access(O.m, va, (enum mmu_access)3, 1)
			    : mmu_access(O.m, va, ACC_WRITE, 2);
		check_bad_result(what, &r, 0);
		break;
	case 20:
		what = "read into NULL";
		r = mmu_read(O.m, va, NULL, 1 + s % 8, 1, &done);
		check_bad_result(what, &r, done);
		break;
	case 21:
		what = "write at a bad EL";
		r = mmu_write(O.m, va, buf, sizeof(buf), (s & 1) ? 2 : -1, &done);
		check_bad_result(what, &r, done);
		break;
	case 22:
		what = "read at a bad EL";
		r = mmu_read(O.m, va, buf, sizeof(buf), 3, &done);
		check_bad_result(what, &r, done);
		break;
	case 23:
		what = "flush with end below start";
		flush_tlb_kernel_range(O.m, va, va - O.P * (1 + s % 4));
		break;
	case 24:
		/* Silent refusals: nothing to warn about. */
		what = "lookups of empty or bad ranges";
		warns = false;
		if (mmu_lookup_range(O.m, va, 0, NULL) ||
		    mmu_lookup_range(O.m, va + 8, 1, lf) ||
		    mmu_lookup_range(O.m, last, 2, lf) ||
		    mmu_range_mapped(O.m, va, va, NULL) ||
		    mmu_range_mapped(O.m, user, user + O.P, NULL) ||
		    tlb_maps_range(O.m, va + O.P, va) ||
		    tlb_flush_get(O.m, 0) ||
		    tlb_flush_get(O.m, st0.flush_seq + 1))
			fail("bad-arg", "%s: not refused", what);
		if (mmu_lookup(O.m, va, NULL, NULL, NULL) !=
		    (expect_walk(va).fault == MMU_OK))
			fail("lookup", "mmu_lookup(0x%llx) without outputs",
			     (unsigned long long)va);
		break;
	default:
		what = "dumps to no stream";
		warns = false;
		mmu_ptdump(O.m, NULL);
		mmu_rawdump(O.m, NULL);
		break;
	}
	long want = v % NR_BADARG < 17 ? -VMF_EINVAL : 0;
	if (got != want)
		fail("bad-arg", "%s: returned %ld, expected %ld", what, got,
		     want);
	if (vmf_warn_seq(O.m) - seq != warns ||
	    O.m->warn.count[WARN_MMU_BAD_ARG] - bad0 != warns)
		fail("bad-arg", "%s: %llu warning(s), %llu WARN_MMU_BAD_ARG, "
		     "expected %d", what,
		     (unsigned long long)(vmf_warn_seq(O.m) - seq),
		     (unsigned long long)(O.m->warn.count[WARN_MMU_BAD_ARG] -
					  bad0), warns);
	size_t n;
	const struct tlb_entry *e = tlb_entries(O.m, &n);
	const struct tlb_stats *st = tlb_stats(O.m);
	if (mmu_pgtable_pages(O.m) != tables || nr_free_pages(O.m) != nfree ||
	    memcmp(e, O.snap, O.nsnap * sizeof(*e)) || st->hits != st0.hits ||
	    st->misses != st0.misses || st->fills != st0.fills ||
	    st->flush_seq != st0.flush_seq ||
	    st->entries_dropped != st0.entries_dropped)
		fail("bad-arg", "%s changed the MMU state", what);
}

void op_flush(struct in *in)
{
	uint8_t s = u8(in), b = u8(in);
	vaddr_t start = slot_va(s);
	vaddr_t end = start + (1 + (b & 15)) * O.P;
	bool unaligned = (b & 0x30) == 0x30;
	const struct tlb_stats *st = tlb_stats(O.m);
	uint64_t seq = st->flush_seq;

	if (unaligned)
		start += 0x800;
	bool all = end - start > (uint64_t)O.m->cfg.tlb_flush_max_pages * O.P;
	flush_tlb_kernel_range(O.m, start, end);
	const struct tlb_flush_event *ev = tlb_flush_get(O.m, seq + 1);
	if (st->flush_seq != seq + 1 || !ev || ev->start != start ||
	    ev->end != end ||
	    ev->kind != (all ? TLB_FLUSH_ALL : TLB_FLUSH_RANGE))
		fail("flush-kind", "flush [0x%llx, 0x%llx) of %llu pages, "
		     "threshold %u: event %s", (unsigned long long)start,
		     (unsigned long long)end,
		     (unsigned long long)((end - start) / O.P),
		     O.m->cfg.tlb_flush_max_pages,
		     ev ? (ev->kind == TLB_FLUSH_ALL ? "all" : "range") : "none");
	if (all) {
		O.ndirty = 0;
		O.all_dirty = false;
		size_t n;
		const struct tlb_entry *e = tlb_entries(O.m, &n);
		for (size_t i = 0; i < n; i++)
			if (e[i].valid)
				fail("flush-all", "entry %zu still valid", i);
		return;
	}
	if (unaligned)
		return;
	if (tlb_maps_range(O.m, start, end))
		fail("flush-range", "TLB still maps [0x%llx, 0x%llx)",
		     (unsigned long long)start, (unsigned long long)end);
	for (size_t i = 0; i < O.ndirty;) {
		if (O.dirty[i].lo >= start && O.dirty[i].hi <= end - 1)
			O.dirty[i] = O.dirty[--O.ndirty];
		else
			i++;
	}
}

void op_flush_all(void)
{
	flush_tlb_all(O.m);
	O.ndirty = 0;
	O.all_dirty = false;
	if (tlb_maps_range(O.m, 0, ~0ull))
		fail("flush-all", "TLB not empty after flush_tlb_all");
}

void op_fault(struct in *in)
{
	uint8_t b = u8(in);
	enum vmf_fault_mode mode = b < 192 ? FAULT_NTH :
				   b < 224 ? FAULT_ALWAYS : FAULT_OFF;
	vmf_fault_set(O.m, FAULT_PGTABLE, mode, 1 + (b & 7));
}

bool take_held(void)
{
	for (int i = 0; i < NHELD; i++) {
		struct page *pg = alloc_pages_owner(O.m, NUMA_NO_NODE, 0, 0,
						    OWNER_TEST);
		if (!pg)
			return false;
		O.held[i] = page_to_pfn(O.m, pg);
	}
	return true;
}

void op_reset(void)
{
	pfn_t before[NHELD];

	memcpy(before, O.held, sizeof(before));
	if (vmf_machine_reset(O.m, NULL, NULL, 0))
		fail("reset", "vmf_machine_reset failed");
	if (mmu_ttbr1(O.m) != O.root || mmu_pgtable_pages(O.m) != 1 ||
	    tlb_stats(O.m)->flush_seq || tlb_stats(O.m)->fills ||
	    tlb_maps_range(O.m, 0, ~0ull))
		fail("reset", "MMU not as new: root 0x%llx (was 0x%llx), %llu "
		     "table pages", (unsigned long long)mmu_ttbr1(O.m),
		     (unsigned long long)O.root,
		     (unsigned long long)mmu_pgtable_pages(O.m));
	if (!take_held() || memcmp(before, O.held, sizeof(before)))
		fail("reset", "held frames differ after reset");
	O.next = 0;
	O.ndirty = 0;
	O.all_dirty = false;
}

void op_dump(void)
{
	if (!O.null || O.dumped)
		return;
	O.dumped = true;
	mmu_ptdump(O.m, O.null);
	mmu_rawdump(O.m, O.null);
}
