/* Narrow fuzz target for the MMU model (page tables, walker, TLB).
 *
 * Input: 3 config bytes (layout, PA size, TLB size, flush threshold, RAM
 * size), then up to MAX_OPS operations of an opcode byte and its argument
 * bytes (missing bytes read as zero). Operations work on a small pool of
 * VAs inside the vmalloc window, placed around table and block boundaries.
 *
 * Oracle, kept by this file and independent of the library's walk:
 *  - extents: what each VA of the pool must translate to (page, block, or
 *    a raw descriptor that must fault); every translate, access, lookup,
 *    read and write is checked against it, permissions re-derived here;
 *  - the outcome of every map / unmap / block / raw write is predicted
 *    (0, -EINVAL, -EBUSY; -ENOMEM only with fault injection armed or RAM
 *    exhausted) and a refusal must change nothing;
 *  - "unflushed" ranges: a TLB hit may be stale only inside a range changed
 *    since the last flush covering it; with none, no TLB entry is stale;
 *  - flushes: kind by threshold, event recorded, range really dropped;
 *  - accounting: totalram = free + table pages + pages held here after
 *    every op, and (end of input) the table-page counter equals a recount
 *    of OWNER_PGTABLE pages;
 *  - reset: the same root and the same held frames as at the start;
 *  - layout, at the end of each input: a walk written here, from the
 *    facts-file formulas, finds every expected leaf where the architecture
 *    looks for it, and reaches exactly the table pages counted;
 *  - break-before-make: a map that makes an entry valid while a TLB entry
 *    (as snapshotted before) translates it differently records exactly one
 *    WARN_MMU_BBM per such entry; FAULT_ALWAYS allocates no table.
 * A disagreement prints a report ending in "SIGNATURE: mmu/<check>" and
 * aborts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 128
#define NHELD 8
#define MAX_EXT 512
#define MAX_DIRTY 64

static struct vmf_machine *g_m;
static FILE *g_null;

/* ---- input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	uint16_t lo = u8(in);
	return (uint16_t)(lo | (uint16_t)u8(in) << 8);
}

/* ---- oracle state ---- */

enum ext_kind { EXT_MAP, EXT_RAW };

struct ext {
	vaddr_t va;
	uint64_t size;
	phys_addr_t pa;
	uint64_t desc;
	int level;
	enum ext_kind kind;
	enum mmu_fault raw_fault; /* EXT_RAW */
	/* A valid descriptor (maps, and raw ones with a valid encoding but an
	 * output address beyond the PA size): in the way of map, counted by
	 * unmap. */
	bool live;
};

struct range {
	vaddr_t lo, hi; /* inclusive */
};

static struct oracle {
	unsigned ps, va_bits, pa_bits;
	uint64_t P, l2, big, bs_l1;
	int start_level;
	vaddr_t base;
	pfn_t held[NHELD];
	phys_addr_t root;
	struct ext ext[MAX_EXT];
	size_t next;
	struct range dirty[MAX_DIRTY];
	size_t ndirty;
	bool all_dirty;
	unsigned op;
	uint8_t opcode;
	bool dumped; /* dumps walk whole tables: once per input is enough */
} O;

static void fail(const char *check, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_mmu: oracle disagreement at op %u (opcode %u)\n",
		O.op, O.opcode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nconfig: page_shift %u va_bits %u pa_bits %u "
		"tlb_entries %u flush_max %u phys_size 0x%llx\n",
		g_m->cfg.page_shift, g_m->cfg.va_bits, g_m->cfg.pa_bits,
		g_m->cfg.tlb_entries, g_m->cfg.tlb_flush_max_pages,
		(unsigned long long)g_m->cfg.phys_size);
	vmf_warn_print(g_m, stderr);
	fprintf(stderr, "SIGNATURE: mmu/%s\n", check);
	abort();
}

static uint64_t lshift(int level)
{
	return (uint64_t)O.ps + (uint64_t)(O.ps - 3) * (uint64_t)(3 - level);
}

static const struct ext *ext_at(vaddr_t va)
{
	for (size_t i = 0; i < O.next; i++)
		if (va - O.ext[i].va < O.ext[i].size)
			return &O.ext[i];
	return NULL;
}

static void ext_del(size_t i)
{
	O.ext[i] = O.ext[--O.next];
}

/* Remove the extents inside [lo, hi]; count the live ones. */
static long ext_clear(vaddr_t lo, vaddr_t hi)
{
	long live = 0;
	for (size_t i = 0; i < O.next;) {
		const struct ext *e = &O.ext[i];
		if (e->va >= lo && e->va + (e->size - 1) <= hi) {
			live += e->live;
			ext_del(i);
		} else {
			i++;
		}
	}
	return live;
}

static void ext_add(struct ext e)
{
	if (O.next < MAX_EXT)
		O.ext[O.next++] = e;
}

static void dirty_add(vaddr_t lo, vaddr_t hi)
{
	if (O.ndirty == MAX_DIRTY)
		O.all_dirty = true;
	else
		O.dirty[O.ndirty++] = (struct range){lo, hi};
}

static bool dirty_overlaps(vaddr_t lo, vaddr_t hi)
{
	if (O.all_dirty)
		return true;
	for (size_t i = 0; i < O.ndirty; i++)
		if (O.dirty[i].lo <= hi && O.dirty[i].hi >= lo)
			return true;
	return false;
}

static bool held_pfn(pfn_t pfn)
{
	for (int i = 0; i < NHELD; i++)
		if (O.held[i] == pfn)
			return true;
	return false;
}

/* ---- expected translation (re-derived, facts file order) ---- */

struct expect {
	enum mmu_fault fault;
	int level; /* -1: any level (nothing mapped there) */
	phys_addr_t pa;
};

static enum mmu_fault perm(uint64_t d, int acc, int el)
{
	bool ro = d & (1ull << 7), user = d & (1ull << 6);

	if (!(d & (1ull << 10)))
		return MMU_FAULT_ACCESS_FLAG;
	if (acc == ACC_READ)
		return el == 0 && !user ? MMU_FAULT_PERMISSION : MMU_OK;
	if (acc == ACC_WRITE)
		return ro || (el == 0 && !user) ? MMU_FAULT_PERMISSION : MMU_OK;
	if (el == 0)
		return d & (1ull << 54) ? MMU_FAULT_PERMISSION : MMU_OK;
	return (d & (1ull << 53)) || (user && !ro) ? MMU_FAULT_PERMISSION
						   : MMU_OK;
}

static struct expect expect_at(vaddr_t va, int acc, int el)
{
	const struct ext *e = ext_at(va);
	struct expect x = {MMU_FAULT_TRANSLATION, -1, 0};

	if (!e)
		return x;
	x.level = e->level;
	if (e->kind == EXT_RAW) {
		x.fault = e->raw_fault;
		return x;
	}
	x.fault = perm(e->desc, acc, el);
	x.pa = e->pa + (va - e->va);
	return x;
}

static void check_result(const char *check, vaddr_t va, int acc, int el,
			 const struct mmu_result *r)
{
	struct expect x = expect_at(va, acc, el);
	unsigned fsc_base[] = {0, FSC_ADDRESS_SIZE, FSC_TRANSLATION,
			       FSC_ACCESS_FLAG, FSC_PERMISSION};

	if (r->fault != x.fault || (x.level >= 0 && r->level != x.level) ||
	    (x.fault == MMU_OK && r->pa != x.pa) ||
	    (r->fault != MMU_OK && r->fault <= MMU_FAULT_PERMISSION &&
	     r->fsc != (fsc_base[r->fault] | (unsigned)r->level)) ||
	    (r->fault == MMU_OK && r->fsc != 0))
		fail(check, "va 0x%llx acc %d el %d: got %s level %d fsc 0x%x "
		     "pa 0x%llx, expected %s level %d pa 0x%llx",
		     (unsigned long long)va, acc, el, mmu_fault_name(r->fault),
		     r->level, r->fsc, (unsigned long long)r->pa,
		     mmu_fault_name(x.fault), x.level,
		     (unsigned long long)x.pa);
}

/* ---- invariants after every op ---- */

static void check_invariants(void)
{
	uint64_t free_pages = nr_free_pages(g_m), tables = mmu_pgtable_pages(g_m);

	if (free_pages + tables + NHELD != totalram_pages(g_m))
		fail("accounting", "free %llu + tables %llu + held %d != total %llu",
		     (unsigned long long)free_pages, (unsigned long long)tables,
		     NHELD, (unsigned long long)totalram_pages(g_m));
	if (!O.all_dirty && O.ndirty == 0 && tlb_stale_entries(g_m, NULL, 0))
		fail("stale-without-change", "%zu stale TLB entries, no change "
		     "since the last flush", tlb_stale_entries(g_m, NULL, 0));
}

/* ---- independent layout walk ---- */

static uint64_t rd64(phys_addr_t pa)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (!phys_read(g_m, pa, b, 8))
		return 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static uint64_t entries_at(int level)
{
	return level == O.start_level ? 1ull << (O.va_bits - lshift(level))
				      : 1ull << (O.ps - 3);
}

static phys_addr_t next_table(uint64_t d)
{
	return d & 0x0000ffffffffffffull & ~(O.P - 1);
}

static uint64_t ind_leaf(vaddr_t va, int *level)
{
	phys_addr_t t = O.root;

	for (int l = O.start_level; l <= 3; l++) {
		uint64_t d = rd64(t + 8 * ((va >> lshift(l)) & (entries_at(l) - 1)));
		*level = l;
		if (l == 3 || (d & 3) != 3)
			return d;
		t = next_table(d);
	}
	return 0;
}

static uint8_t tbuf[4][65536];

static uint64_t count_tables(phys_addr_t t, int level)
{
	uint64_t n = 1, ne = entries_at(level);

	if (level == 3 || !phys_read(g_m, t, tbuf[level], ne * 8))
		return n;
	for (uint64_t i = 0; i < ne; i++) {
		uint64_t d = 0;
		if ((tbuf[level][i * 8] & 3) != 3) /* type bits: low byte */
			continue;
		for (int k = 7; k >= 0; k--)
			d = (d << 8) | tbuf[level][i * 8 + (uint64_t)k];
		n += count_tables(next_table(d), level + 1);
	}
	return n;
}

static void check_layout(void)
{
	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];
		int level = -1;
		uint64_t d = ind_leaf(e->va, &level);
		if (d != e->desc || level != e->level)
			fail("layout", "leaf for 0x%llx: 0x%llx at level %d, expected "
			     "0x%llx at level %d", (unsigned long long)e->va,
			     (unsigned long long)d, level,
			     (unsigned long long)e->desc, e->level);
	}
	uint64_t recount = 0, tables = mmu_pgtable_pages(g_m);

	for (pfn_t i = 0; i < g_m->phys.nr_pages; i++) {
		const struct page *pg = &g_m->phys.pages[i];
		recount += (pg->flags & PG_head) && pg->owner == OWNER_PGTABLE;
	}
	if (recount != tables)
		fail("pgtable-count", "counter %llu, OWNER_PGTABLE pages %llu",
		     (unsigned long long)tables, (unsigned long long)recount);
	uint64_t n = count_tables(O.root, O.start_level);
	if (n != mmu_pgtable_pages(g_m))
		fail("pgtable-leak", "%llu tables reachable, %llu counted",
		     (unsigned long long)n,
		     (unsigned long long)mmu_pgtable_pages(g_m));
}

/* ---- break-before-make prediction from a TLB snapshot ---- */

static struct tlb_entry snap[16];
static size_t nsnap;

static void tlb_snapshot(void)
{
	size_t n;
	const struct tlb_entry *e = tlb_entries(g_m, &n);

	nsnap = n < 16 ? n : 16;
	memcpy(snap, e, nsnap * sizeof(*e));
}

/* Translation-relevant attributes: [11:2] and [54:50]. */
#define HW_ATTRS (0xffcull | (0x1full << 50))

static bool tlb_conflict(vaddr_t lo, uint64_t size, phys_addr_t pa,
			 uint64_t desc)
{
	for (size_t i = 0; i < nsnap; i++) {
		const struct tlb_entry *e = &snap[i];
		uint64_t esz = 1ull << e->shift;
		if (!e->valid || e->va > lo + (size - 1) || e->va + (esz - 1) < lo)
			continue;
		if (e->pa - e->va != pa - lo || ((e->desc ^ desc) & HW_ATTRS) ||
		    e->table_attrs)
			return true;
	}
	return false;
}

/* ---- pool ---- */

static vaddr_t slot_va(uint8_t s)
{
	uint64_t blk = (s >> 5) & 3, sub = s & 31, pages;
	uint64_t l2p = O.l2 / O.P;

	if (sub < 12)
		pages = sub;
	else if (sub < 20)
		pages = l2p - 4 + (sub - 12); /* across a last-level table */
	else if (sub < 28)
		pages = 2 * l2p + (sub - 20);
	else
		pages = O.big / O.P - 2 + (sub - 28); /* across a big block */
	return O.base + blk * O.big + pages * O.P;
}

static const pgprot_t prots[] = {
	PAGE_KERNEL,
	PAGE_KERNEL_RO,
	PAGE_KERNEL_ROX,
	PAGE_KERNEL_EXEC,
	PAGE_KERNEL_NG,
	PAGE_KERNEL_RO_NG,
	PAGE_KERNEL | PTE_USER,
	(PAGE_KERNEL_ROX | PTE_USER) & ~PTE_UXN,
	(PAGE_KERNEL_EXEC | PTE_USER) & ~PTE_UXN,
	PAGE_KERNEL & ~PTE_AF,
	PAGE_KERNEL & ~PTE_UXN,
	PAGE_KERNEL | PTE_ATTRINDX(MT_NORMAL_NC),
	PAGE_KERNEL | PTE_CONT,
	PAGE_KERNEL | PTE_SW_DIRTY,
};

static pgprot_t pick_prot(struct in *in)
{
	uint8_t b = u8(in);
	if (b < 224)
		return prots[b % (sizeof(prots) / sizeof(prots[0]))];
	/* arbitrary attributes: AttrIndx..nG [11:2] and [54:50] */
	uint16_t r = u16(in);
	return PTE_TYPE_PAGE | ((uint64_t)(r & 0x3ff) << 2) |
	       ((uint64_t)(r >> 10) << 50);
}

/* ---- ops ---- */

static bool pgtable_fault_armed(void)
{
	return g_m->fault.site[FAULT_PGTABLE].mode != FAULT_OFF;
}

static void expect_ret(const char *what, long got, long want)
{
	if (got != want)
		fail("result", "%s returned %ld, expected %ld", what, got, want);
}

static void op_map(struct in *in)
{
	uint8_t s = u8(in), nb = u8(in);
	size_t nr = 1 + (nb & 7);
	vaddr_t va = slot_va(s);
	pgprot_t prot = pick_prot(in);
	pfn_t pfns[8];
	long want = 0;
	bool armed = pgtable_fault_armed();
	uint64_t seq = vmf_warn_seq(g_m);

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
	for (size_t i = 0; !want && i < nr; i++) {
		const struct ext *e = ext_at(va + i * O.P);
		uint64_t d = (pfns[i] << O.ps) | prot;
		if (!e || !e->live)
			continue;
		if (e->kind == EXT_RAW || e->level != 3 || e->pa != pfns[i] << O.ps ||
		    ((e->desc ^ d) & ~PTE_SAFE_LIVE_MASK))
			want = -VMF_EBUSY;
	}
	uint64_t bbm_want = 0, bbm0 = g_m->warn.count[WARN_MMU_BBM];
	tlb_snapshot();
	for (size_t i = 0; !want && i < nr; i++) {
		const struct ext *e = ext_at(va + i * O.P);
		if (!(e && e->live) &&
		    tlb_conflict(va + i * O.P, O.P, pfns[i] << O.ps,
				 (pfns[i] << O.ps) | prot))
			bbm_want++;
	}
	long got = mmu_map_pages(g_m, va, pfns, nr, prot);
	vaddr_t hi = va + nr * O.P - 1;

	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(g_m) == 0)) {
		/* Each page: new mapping, or still the old one, or absent. */
		for (size_t i = 0; i < nr; i++) {
			vaddr_t a = va + i * O.P;
			pfn_t pf;
			bool mapped = mmu_va_to_pfn(g_m, a, &pf);
			const struct ext *e = ext_at(a);
			bool old_live = e && e->kind == EXT_MAP;
			if (mapped && pf != pfns[i] &&
			    !(old_live && pf == e->pa >> O.ps))
				fail("enomem-half-visible", "page 0x%llx maps pfn "
				     "0x%llx after ENOMEM", (unsigned long long)a,
				     (unsigned long long)pf);
		}
		/* the caller undoes it */
		long u = mmu_unmap_range(g_m, va, nr * O.P);
		if (u < 0)
			fail("result", "unmap after ENOMEM returned %ld", u);
		ext_clear(va, hi);
		dirty_add(va, hi);
		return;
	}
	expect_ret("mmu_map_pages", got, want);
	if (got) {
		if (vmf_warn_seq(g_m) != seq + 1)
			fail("warn", "refused map recorded %llu warnings",
			     (unsigned long long)(vmf_warn_seq(g_m) - seq));
		return;
	}
	if (g_m->warn.count[WARN_MMU_BBM] - bbm0 != bbm_want)
		fail("bbm", "map at 0x%llx: %llu break-without-flush warnings, "
		     "expected %llu", (unsigned long long)va,
		     (unsigned long long)(g_m->warn.count[WARN_MMU_BBM] - bbm0),
		     (unsigned long long)bbm_want);
	for (size_t i = 0; i < nr; i++) {
		vaddr_t a = va + i * O.P;
		ext_clear(a, a + O.P - 1);
		ext_add((struct ext){a, O.P, pfns[i] << O.ps,
				     (pfns[i] << O.ps) | prot, 3, EXT_MAP,
				     MMU_OK, true});
	}
	dirty_add(va, hi);
}

static void op_block(struct in *in)
{
	uint8_t a = u8(in), b = u8(in);
	int level = (a & 3) == 1 ? 1 : (a & 3) == 3 ? ((a & 4) ? 3 : 0) : 2;
	uint64_t j = (a >> 3) & 3, blk = (a >> 5) & 3;
	pgprot_t prot = pick_prot(in);
	bool allowed = (O.ps == 12 ? (level == 1 || level == 2) : level == 2) &&
		       level >= O.start_level;
	uint64_t bs = allowed ? 1ull << lshift(level) : O.P;
	vaddr_t va = O.base + blk * O.big + (level == 2 ? j * O.l2 : 0);
	phys_addr_t pa;
	long want = 0;
	bool armed = pgtable_fault_armed();

	switch (b & 3) {
	case 0: pa = g_m->cfg.phys_base & ~(bs - 1); break;
	case 1: pa = (1ull << O.pa_bits) - bs; break;
	case 2: pa = 1ull << O.pa_bits; break;
	default: pa = (g_m->cfg.phys_base & ~(bs - 1)) + O.P; break;
	}
	if (!allowed || (pa & (bs - 1)) || ((pa + bs - 1) >> O.pa_bits))
		want = -VMF_EINVAL;
	uint64_t d = pa | (prot & ~PTE_TABLE_BIT);
	for (size_t i = 0; !want && i < O.next; i++) {
		const struct ext *e = &O.ext[i];
		if (!e->live || e->va > va + (bs - 1) ||
		    e->va + (e->size - 1) < va)
			continue;
		if (e->kind == EXT_RAW || e->va != va || e->size != bs || e->pa != pa ||
		    ((e->desc ^ d) & ~PTE_SAFE_LIVE_MASK))
			want = -VMF_EBUSY;
	}
	const struct ext *old = ext_at(va);
	bool was_live = old && old->live && old->va == va && old->size == bs;
	uint64_t bbm0 = g_m->warn.count[WARN_MMU_BBM];
	tlb_snapshot();
	uint64_t bbm_want = !want && !was_live && tlb_conflict(va, bs, pa, d);
	long got = mmu_map_block(g_m, va, pa, level, prot);
	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(g_m) == 0)) {
		if (mmu_lookup(g_m, va, NULL, NULL, NULL) && !ext_at(va))
			fail("enomem-half-visible", "block at 0x%llx visible "
			     "after ENOMEM", (unsigned long long)va);
		return;
	}
	expect_ret("mmu_map_block", got, want);
	if (got)
		return;
	if (g_m->warn.count[WARN_MMU_BBM] - bbm0 != bbm_want)
		fail("bbm", "block at 0x%llx: %llu break-without-flush warnings, "
		     "expected %llu", (unsigned long long)va,
		     (unsigned long long)(g_m->warn.count[WARN_MMU_BBM] - bbm0),
		     (unsigned long long)bbm_want);
	ext_clear(va, va + (bs - 1));
	ext_add((struct ext){va, bs, pa, d, level, EXT_MAP, MMU_OK, true});
	dirty_add(va, va + (bs - 1));
}

static void op_unmap(struct in *in)
{
	uint8_t s = u8(in), b = u8(in);
	vaddr_t va;
	uint64_t size;
	long want;

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
		if (!e->live || e->va > hi || ehi < va)
			continue;
		if (e->va < va || ehi > hi) {
			want = -VMF_EINVAL;
			break;
		}
		want++;
	}
	long got = mmu_unmap_range(g_m, va, size);
	expect_ret("mmu_unmap_range", got, want);
	if (got < 0)
		return;
	ext_clear(va, hi);
	dirty_add(va, hi);
}

static void op_raw(struct in *in)
{
	uint8_t s = u8(in), k = u8(in);
	vaddr_t va = slot_va(s);
	const struct ext *e = ext_at(va);
	uint64_t desc;
	enum mmu_fault f = MMU_FAULT_TRANSLATION;
	bool armed = pgtable_fault_armed();
	long want = e && e->kind == EXT_MAP && e->level < 3 ? -VMF_EBUSY : 0;

	switch (k & 3) {
	case 0: /* reserved encoding 0b01 at level 3 */
		desc = 0x40000000ull | (PAGE_KERNEL & ~PTE_TABLE_BIT);
		break;
	case 1: /* invalid, bits left over */
		desc = 0x40000000ull | (PAGE_KERNEL & ~PTE_VALID);
		break;
	case 2: /* output address beyond the PA size */
		if (O.pa_bits < 48) {
			desc = (1ull << O.pa_bits) | PAGE_KERNEL;
			f = MMU_FAULT_ADDRESS_SIZE;
		} else {
			desc = 0;
		}
		break;
	default:
		desc = 0;
		break;
	}
	long got = mmu_set_raw(g_m, va, 3, desc);
	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(g_m) == 0))
		return;
	expect_ret("mmu_set_raw", got, want);
	if (got)
		return;
	ext_clear(va, va + O.P - 1);
	if (desc)
		ext_add((struct ext){va, O.P, 0, desc, 3, EXT_RAW, f,
				     f == MMU_FAULT_ADDRESS_SIZE});
	dirty_add(va, va + O.P - 1);
}

static vaddr_t probe_va(struct in *in)
{
	uint8_t s = u8(in);
	uint16_t off = u16(in);
	return slot_va(s) + (off & (O.P - 1));
}

static void op_translate(struct in *in)
{
	uint8_t b = u8(in);
	vaddr_t va = probe_va(in);
	int acc = b % 3, el = (b >> 2) & 1;
	struct mmu_result r;

	if ((b >> 3) == 31) {
		/* outside TTBR1 or not canonical: translation, level 0 */
		va = (b & 0x80) ? va & ~(1ull << 55) : va ^ (1ull << 60);
		r = mmu_translate(g_m, va, acc, el);
		if (r.fault != MMU_FAULT_TRANSLATION || r.level != 0 ||
		    mmu_par_el1(&r) != 0x809)
			fail("noncanonical", "va 0x%llx: %s level %d",
			     (unsigned long long)va, mmu_fault_name(r.fault),
			     r.level);
		return;
	}
	r = mmu_translate(g_m, va, acc, el);
	if (r.tlb_hit || r.tlb_stale)
		fail("translate", "mmu_translate used the TLB");
	check_result("translate", va, acc, el, &r);
	/* vmalloc_to_page */
	pfn_t pfn = 0;
	const struct ext *e = ext_at(va);
	bool want = e && e->kind == EXT_MAP;
	bool got = mmu_va_to_pfn(g_m, va, &pfn);
	if (got != want ||
	    (want && pfn != (e->pa + (va - e->va)) >> O.ps))
		fail("lookup", "va 0x%llx: lookup %d pfn 0x%llx, expected %d",
		     (unsigned long long)va, got, (unsigned long long)pfn, want);
}

static void op_access(struct in *in)
{
	uint8_t b = u8(in);
	vaddr_t va = probe_va(in);
	int acc = b % 3, el = (b >> 2) & 1;
	struct mmu_result r = mmu_access(g_m, va, acc, el);

	if (r.tlb_stale) {
		if (!r.tlb_hit || !dirty_overlaps(va, va))
			fail("stale-unexpected", "va 0x%llx: stale TLB hit with no "
			     "unflushed change there", (unsigned long long)va);
		return;
	}
	check_result("access", va, acc, el, &r);
}

/* Copy through the MMU; checked only where no stale entry can exist. */
static void op_copy(struct in *in, bool write)
{
	uint8_t b = u8(in);
	vaddr_t va = probe_va(in);
	size_t len = 1 + (u16(in) % (2 * O.P));
	int el = b & 1;
	static uint8_t buf[2 * 65536], chk[65536];
	size_t done = 0, want_done = 0;
	struct expect x = {MMU_OK, -1, 0};
	bool safe = !dirty_overlaps(va, va + len - 1);

	/* Expected: bytes up to the first faulting page. */
	for (size_t off = 0; off < len;) {
		vaddr_t a = va + off;
		size_t chunk = O.P - (a & (O.P - 1));
		if (chunk > len - off)
			chunk = len - off;
		x = expect_at(a, write ? ACC_WRITE : ACC_READ, el);
		if (x.fault != MMU_OK)
			break;
		if (!held_pfn(x.pa >> O.ps)) {
			if (pfn_valid(g_m, x.pa >> O.ps)) {
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
	struct mmu_result r = write ? mmu_write(g_m, va, buf, len, el, &done) :
				      mmu_read(g_m, va, buf, len, el, &done);
	if (!safe)
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
		if (!phys_read(g_m, e.pa, chk, chunk) ||
		    memcmp(chk, buf + off, chunk))
			fail(write ? "write" : "read", "bytes at va 0x%llx differ "
			     "from pa 0x%llx", (unsigned long long)a,
			     (unsigned long long)e.pa);
		off += chunk;
	}
}

static void op_flush(struct in *in)
{
	uint8_t s = u8(in), b = u8(in);
	vaddr_t start = slot_va(s);
	vaddr_t end = start + (1 + (b & 15)) * O.P;
	bool unaligned = (b & 0x30) == 0x30;
	const struct tlb_stats *st = tlb_stats(g_m);
	uint64_t seq = st->flush_seq;

	if (unaligned)
		start += 0x800;
	bool all = end - start > (uint64_t)g_m->cfg.tlb_flush_max_pages * O.P;
	flush_tlb_kernel_range(g_m, start, end);
	const struct tlb_flush_event *ev = tlb_flush_get(g_m, seq + 1);
	if (st->flush_seq != seq + 1 || !ev || ev->start != start ||
	    ev->end != end ||
	    ev->kind != (all ? TLB_FLUSH_ALL : TLB_FLUSH_RANGE))
		fail("flush-kind", "flush [0x%llx, 0x%llx) of %llu pages, "
		     "threshold %u: event %s", (unsigned long long)start,
		     (unsigned long long)end,
		     (unsigned long long)((end - start) / O.P),
		     g_m->cfg.tlb_flush_max_pages,
		     ev ? (ev->kind == TLB_FLUSH_ALL ? "all" : "range") : "none");
	if (all) {
		O.ndirty = 0;
		O.all_dirty = false;
		size_t n;
		const struct tlb_entry *e = tlb_entries(g_m, &n);
		for (size_t i = 0; i < n; i++)
			if (e[i].valid)
				fail("flush-all", "entry %zu still valid", i);
		return;
	}
	if (unaligned)
		return;
	if (tlb_maps_range(g_m, start, end))
		fail("flush-range", "TLB still maps [0x%llx, 0x%llx)",
		     (unsigned long long)start, (unsigned long long)end);
	for (size_t i = 0; i < O.ndirty;) {
		if (O.dirty[i].lo >= start && O.dirty[i].hi <= end - 1)
			O.dirty[i] = O.dirty[--O.ndirty];
		else
			i++;
	}
}

static void op_flush_all(void)
{
	flush_tlb_all(g_m);
	O.ndirty = 0;
	O.all_dirty = false;
	if (tlb_maps_range(g_m, 0, ~0ull))
		fail("flush-all", "TLB not empty after flush_tlb_all");
}

static void op_fault(struct in *in)
{
	uint8_t b = u8(in);
	enum vmf_fault_mode mode = b < 192 ? FAULT_NTH :
				   b < 224 ? FAULT_ALWAYS : FAULT_OFF;
	vmf_fault_set(g_m, FAULT_PGTABLE, mode, 1 + (b & 7));
}

static bool take_held(void)
{
	for (int i = 0; i < NHELD; i++) {
		struct page *pg = alloc_pages_owner(g_m, NUMA_NO_NODE, 0, 0,
						    OWNER_TEST);
		if (!pg)
			return false;
		O.held[i] = page_to_pfn(g_m, pg);
	}
	return true;
}

static void op_reset(void)
{
	pfn_t before[NHELD];

	memcpy(before, O.held, sizeof(before));
	if (vmf_machine_reset(g_m, NULL, NULL, 0))
		fail("reset", "vmf_machine_reset failed");
	if (mmu_ttbr1(g_m) != O.root || mmu_pgtable_pages(g_m) != 1 ||
	    tlb_stats(g_m)->flush_seq || tlb_stats(g_m)->fills ||
	    tlb_maps_range(g_m, 0, ~0ull))
		fail("reset", "MMU not as new: root 0x%llx (was 0x%llx), %llu "
		     "table pages", (unsigned long long)mmu_ttbr1(g_m),
		     (unsigned long long)O.root,
		     (unsigned long long)mmu_pgtable_pages(g_m));
	if (!take_held() || memcmp(before, O.held, sizeof(before)))
		fail("reset", "held frames differ after reset");
	O.next = 0;
	O.ndirty = 0;
	O.all_dirty = false;
}

static void op_dump(void)
{
	if (!g_null || O.dumped)
		return;
	O.dumped = true;
	mmu_ptdump(g_m, g_null);
	mmu_rawdump(g_m, g_null);
}

/* ---- set-up ---- */

static const unsigned layouts[7][2] = {
	{12, 48}, {12, 39}, {14, 48}, {14, 47}, {14, 36}, {16, 42}, {16, 48},
};

static bool setup(struct in *in)
{
	struct vmf_config c;
	uint8_t a = u8(in), b = u8(in), d = u8(in);
	static const unsigned pas[4] = {40, 32, 36, 48};

	vmf_config_default(&c);
	c.page_shift = layouts[a % 7][0];
	c.va_bits = layouts[a % 7][1];
	c.pa_bits = pas[b & 3];
	c.tlb_entries = 1 + ((b >> 2) & 15);
	c.tlb_flush_max_pages = 1 + (d & 7);
	c.phys_size = (64ull + 32 * ((d >> 3) & 3)) << c.page_shift;
	if (vmf_machine_reset(g_m, &c, NULL, 0))
		return false;
	memset(&O, 0, sizeof(O));
	O.ps = c.page_shift;
	O.va_bits = c.va_bits;
	O.pa_bits = c.pa_bits;
	O.P = 1ull << O.ps;
	O.start_level = 4 - (int)((O.va_bits - 4) / (O.ps - 3));
	if (mmu_start_level(g_m) != O.start_level)
		fail("geometry", "start level %d, expected %d",
		     mmu_start_level(g_m), O.start_level);
	O.l2 = 1ull << lshift(2);
	O.big = O.ps == 12 ? 1ull << lshift(1) : O.l2;
	O.base = (g_m->cfg.vmalloc_start + O.big - 1) & ~(O.big - 1);
	O.root = mmu_ttbr1(g_m);
	if (O.base + 6 * O.big > g_m->cfg.vmalloc_end)
		fail("setup", "VA pool does not fit the vmalloc window");
	return take_held();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmf_config c;

	(void)argc;
	(void)argv;
	vmf_config_default(&c);
	g_m = vmf_machine_create(&c, NULL, 0);
	if (!g_m)
		abort();
	g_null = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};

	if (!g_m)
		LLVMFuzzerInitialize(NULL, NULL);
	if (!setup(&in))
		return 0;
	for (O.op = 0; O.op < MAX_OPS && in.n; O.op++) {
		bool always = g_m->fault.site[FAULT_PGTABLE].mode == FAULT_ALWAYS;
		uint64_t tables = mmu_pgtable_pages(g_m);

		O.opcode = u8(&in);
		switch (O.opcode % 16) {
		case 0: case 1: case 2: op_map(&in); break;
		case 3: op_unmap(&in); break;
		case 4: op_block(&in); break;
		case 5: op_raw(&in); break;
		case 6: case 7: op_translate(&in); break;
		case 8: case 9: op_access(&in); break;
		case 10: op_copy(&in, false); break;
		case 11: op_copy(&in, true); break;
		case 12: op_flush(&in); break;
		case 13:
			if (O.opcode & 0x10)
				op_flush_all();
			else
				op_fault(&in);
			break;
		case 14:
			if ((O.opcode & 0xf0) == 0xf0)
				op_reset();
			else
				op_dump();
			break;
		default: op_access(&in); break;
		}
		check_invariants();
		if (always && g_m->fault.site[FAULT_PGTABLE].mode == FAULT_ALWAYS &&
		    mmu_pgtable_pages(g_m) > tables)
			fail("fault-ignored", "a table was allocated with "
			     "FAULT_PGTABLE always failing");
	}
	check_layout();
	return 0;
}
