/* Narrow fuzz target for the MMU model (page tables, walker, TLB).
 *
 * Input: 3 config bytes (layout, PA size, TLB size, flush threshold, RAM
 * size), then up to MAX_OPS operations of an opcode byte and its argument
 * bytes (missing bytes read as zero). Operations work on a small pool of
 * VAs inside the vmalloc window, placed around table and block boundaries.
 *
 *	config: byte 0 layout % 7 (4K/48 4K/39 16K/48 16K/47 16K/36 64K/42
 *	        64K/48); byte 1 bits 0-1 PA size (40 32 36 48; bits 6-7 = 1:
 *	        42, = 2: 44), bits 2-5 TLB entries - 1; byte 2 bits 0-2 flush
 *	        threshold - 1, bits 3-4 RAM (64 + 32 n pages)
 *	op = opcode % 16, then its bytes (slot s: slot_va()):
 *	0-2 MAP    s n prot pfn... (n & 7) + 1 pages; prot: pick_prot();
 *	           pfn byte: held page, 0xf0-0xfe no RAM, 0xff beyond the PA
 *	3 UNMAP    s b: b >> 6 = 0/1 (b & 15) + 1 pages at s, 2 one level-2
 *	           span, 3 one or two big blocks
 *	4 BLOCK    a b prot: a level / place, b & 3 the output address
 *	5 RAW      s k [bytes]: mmu_set_raw at level 3 - ((k >> 2) & 3)
 *	           (levels above the start level are refused), entry of s;
 *	           kind (k >> 4) % 10: 0 by k & 3: reserved encoding,
 *	           invalid, beyond the PA, zero; 1 table (page at level 3)
 *	           -> held page [byte]; 2 -> no RAM; 3 -> beyond the PA;
 *	           4 -> the root table (an alias: refused); 5 -> the table
 *	           linked at another slot [byte]; 6 -> the table already
 *	           there, with table attributes [byte]; 7 any 64 bits [8
 *	           bytes] (a table into RAM is moved to a held page); 8 block
 *	           encoding over RAM [prot]; 9 held page [byte] with [prot]
 *	6-7 TRANSLATE b s off16 (AT S1E1x, PAR_EL1, vmalloc_to_page); b % 3
 *	           access, bit 2 EL0, b >> 3 == 31 outside TTBR1
 *	8-9 ACCESS b s off16 (TLB, then walk)
 *	10 READ, 11 WRITE b s off16 len16
 *	12 FLUSH   s b: (b & 15) + 1 pages, (b & 0x30) == 0x30 unaligned
 *	13         opcode & 0x10: flush all; else FAULT b (FAULT_PGTABLE)
 *	14         opcode 0xfe: reset; else DUMP (ptdump, rawdump)
 *	15         opcode >> 4 == 8: BADARG v s (NR_BADARG refused calls);
 *	           == 9: LOOKUP_RANGE s n (mmu_lookup_range and
 *	           mmu_range_mapped over (n & 15) + 1 pages); else ACCESS
 *
 * Oracle, kept by this file and independent of the library's walk:
 *  - extents: what each VA of the pool must translate to (page, block, or
 *    a raw descriptor that must fault), the raw table descriptors written
 *    at levels 0-2 (foreign tables, whose contents are walked from RAM,
 *    and the MMU's own tables given table attributes); every translate
 *    (with PAR_EL1), access, lookup, read and write is checked against
 *    it, permissions re-derived here;
 *  - the outcome of every map / unmap / block / raw write is predicted
 *    (0, -EINVAL, -EBUSY; -ENOMEM only with fault injection armed or RAM
 *    exhausted), from the refusal rules of include/vmfuzz/mmu.h (corrupt
 *    and foreign tables on the way, aliases of the MMU's tables, blocks in
 *    the way, bad arguments), and a refusal warns once and changes nothing;
 *  - "unflushed" ranges: a TLB hit may be stale only inside a range changed
 *    since the last flush covering it; with none, no TLB entry is stale,
 *    else every stale entry (tlb_stale_entries) overlaps one;
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
 * aborts.
 *
 * Stability (AFL++): the machine is created once, reset to the input's
 * config at the start of an input and back to the same resting config
 * (the default machine, larger than any input's, so no buffer grows) at
 * its end: that reset walks what this input dirtied, so its cost and its
 * coverage belong to this input, and the next input's reset starts from
 * the same state whatever ran before. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "asan_options.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 128
#define NHELD 8
#define MAX_EXT 512
#define MAX_DIRTY 64

static struct vmf_machine *g_m;
static struct vmf_config g_rest_cfg; /* the machine between inputs */
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

/* EXT_MAP, EXT_RAW and EXT_FOREIGN are terminal: the last entry a walk
 * reads for their VAs, so they never overlap. EXT_MAP: a valid leaf with
 * its output address inside the PA size. EXT_RAW: a raw descriptor that
 * faults at its own level (invalid, reserved encoding, or a leaf beyond
 * the PA size). EXT_FOREIGN: a raw table descriptor (levels 0-2) that
 * points at a page which is not an MMU table (a held page, no RAM, beyond
 * the PA size). EXT_TABLE: an MMU table's own descriptor at (va, level)
 * rewritten by mmu_set_raw (table attributes): the entries below stay. */
enum ext_kind { EXT_MAP, EXT_RAW, EXT_FOREIGN, EXT_TABLE };

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

/* The terminal entry covering va. */
static const struct ext *ext_at(vaddr_t va)
{
	for (size_t i = 0; i < O.next; i++)
		if (O.ext[i].kind != EXT_TABLE && va - O.ext[i].va < O.ext[i].size)
			return &O.ext[i];
	return NULL;
}

static void ext_del(size_t i)
{
	O.ext[i] = O.ext[--O.next];
}

/* Remove the extents inside [lo, hi] (EXT_TABLE ones too if tables);
 * count the live ones. */
static long ext_clear(vaddr_t lo, vaddr_t hi, bool tables)
{
	long live = 0;
	for (size_t i = 0; i < O.next;) {
		const struct ext *e = &O.ext[i];
		if (e->va >= lo && e->va + (e->size - 1) <= hi &&
		    (tables || e->kind != EXT_TABLE)) {
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
	for (size_t i = 0; i < O.ndirty; i++)
		if (O.dirty[i].lo == lo && O.dirty[i].hi == hi)
			return;
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

#define T_ATTRS (0xfull << 59) /* PXNTable, UXNTable, APTable[1:0] */

struct expect {
	enum mmu_fault fault;
	int level;      /* -1: any level (nothing mapped there) */
	phys_addr_t pa;
	uint64_t desc;  /* the leaf, when the walk got to one in the PA size */
	uint64_t attrs; /* table attributes gathered above it */
	bool leaf;      /* a leaf encoding was reached (even beyond the PA) */
};

static uint64_t entries_at(int level);

static bool block_ok(int level)
{
	return O.ps == 12 ? level == 1 || level == 2 : level == 2;
}

/* Output address of a descriptor: bits [47:granule]. */
static phys_addr_t out_addr(uint64_t d)
{
	return d & 0x0000ffffffffffffull & ~(O.P - 1);
}

static enum mmu_fault perm(uint64_t d, uint64_t ta, int acc, int el)
{
	bool ro = (d & (1ull << 7)) || (ta & (1ull << 62));
	bool user = (d & (1ull << 6)) && !(ta & (1ull << 61));

	if (!(d & (1ull << 10)))
		return MMU_FAULT_ACCESS_FLAG;
	if (acc == ACC_READ)
		return el == 0 && !user ? MMU_FAULT_PERMISSION : MMU_OK;
	if (acc == ACC_WRITE)
		return ro || (el == 0 && !user) ? MMU_FAULT_PERMISSION : MMU_OK;
	if (el == 0)
		return (d & (1ull << 54)) || (ta & (1ull << 60)) ?
			       MMU_FAULT_PERMISSION : MMU_OK;
	return (d & (1ull << 53)) || (ta & (1ull << 59)) || (user && !ro) ?
		       MMU_FAULT_PERMISSION : MMU_OK;
}

static bool rd64_at(phys_addr_t pa, uint64_t *v)
{
	uint8_t b[8];

	if (!phys_read(g_m, pa, b, 8))
		return false;
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = (*v << 8) | b[i];
	return true;
}

/* Below a foreign table the descriptors are data this file does not
 * model: walk them from RAM, with the facts-file checks in order (valid
 * encoding, output address size, table or leaf; a table read outside
 * RAM is an external abort at the level read). */
static struct expect ram_walk(phys_addr_t t, int l, vaddr_t va,
			      uint64_t attrs)
{
	struct expect x = {MMU_FAULT_TRANSLATION, l, 0, 0, attrs, false};

	for (;; l++) {
		uint64_t d, span = 1ull << lshift(l);
		bool table, leaf;

		x.level = l;
		if (!rd64_at(t + 8 * ((va >> lshift(l)) & (entries_at(l) - 1)),
			     &d)) {
			x.fault = MMU_FAULT_EXTERNAL;
			return x;
		}
		table = l < 3 && (d & 3) == 3;
		leaf = l == 3 ? (d & 3) == 3 : (d & 3) == 1 && block_ok(l);
		if (!table && !leaf)
			return x; /* translation */
		x.leaf = leaf;
		if (out_addr(d) >> O.pa_bits) {
			x.fault = MMU_FAULT_ADDRESS_SIZE;
			return x;
		}
		if (table) {
			x.attrs |= d & T_ATTRS;
			t = out_addr(d);
			continue;
		}
		x.fault = MMU_OK;
		x.desc = d;
		x.pa = (out_addr(d) & ~(span - 1)) + (va & (span - 1));
		return x;
	}
}

/* Table attributes of the rewritten tables above `below` that cover va. */
static uint64_t attrs_at(vaddr_t va, int below)
{
	uint64_t a = 0;

	for (size_t i = 0; i < O.next; i++)
		if (O.ext[i].kind == EXT_TABLE && O.ext[i].level < below &&
		    va - O.ext[i].va < O.ext[i].size)
			a |= O.ext[i].desc & T_ATTRS;
	return a;
}

/* The walk of va without the permission check. */
static struct expect expect_walk(vaddr_t va)
{
	const struct ext *e = ext_at(va);
	struct expect x = {MMU_FAULT_TRANSLATION, -1, 0, 0, attrs_at(va, 4),
			   false};

	if (!e)
		return x;
	x.level = e->level;
	switch (e->kind) {
	case EXT_MAP:
		x.fault = MMU_OK;
		x.leaf = true;
		x.desc = e->desc;
		x.pa = e->pa + (va - e->va);
		break;
	case EXT_RAW:
		x.fault = e->raw_fault;
		x.leaf = e->live;
		break;
	default: /* EXT_FOREIGN */
		x.attrs |= e->desc & T_ATTRS;
		if (out_addr(e->desc) >> O.pa_bits)
			x.fault = MMU_FAULT_ADDRESS_SIZE;
		else
			return ram_walk(out_addr(e->desc), e->level + 1, va,
					x.attrs);
		break;
	}
	return x;
}

static struct expect expect_at(vaddr_t va, int acc, int el)
{
	struct expect x = expect_walk(va);

	if (x.fault == MMU_OK)
		x.fault = perm(x.desc, x.attrs, acc, el);
	return x;
}

static unsigned fsc_of(enum mmu_fault f, int level)
{
	static const unsigned base[] = {0, FSC_ADDRESS_SIZE, FSC_TRANSLATION,
					FSC_ACCESS_FLAG, FSC_PERMISSION,
					FSC_EXTERNAL_WALK};

	if (f == MMU_OK || f > MMU_FAULT_EXTERNAL)
		return 0;
	return base[f] | ((unsigned)level & 3);
}

/* PAR_EL1 after AT S1E1x (Arm ARM D17.2.112), from the facts: F, FST and
 * RES1 bit 11 on a fault; else the MAIR attribute of AttrIndx, PA[47:12],
 * bit 11, NS, and SH (Device and Normal-NC report outer shareable). */
static uint64_t par_expect(const struct expect *x, int level)
{
	static const uint8_t mair[8] = {0xff, 0xff, 0x44, 0x00, 0x04, 0, 0, 0};
	uint64_t attr, sh;

	if (x->fault != MMU_OK)
		return 1 | (uint64_t)fsc_of(x->fault, level) << 1 | 1ull << 11;
	attr = mair[(x->desc >> 2) & 7];
	sh = (x->desc >> 8) & 3;
	if ((attr & 0xf0) == 0 || attr == 0x44)
		sh = 2;
	return attr << 56 | (x->pa & 0x0000fffffffff000ull) | 1ull << 11 |
	       1ull << 9 | sh << 7;
}

static void check_result(const char *check, vaddr_t va, int acc, int el,
			 const struct mmu_result *r)
{
	struct expect x = expect_at(va, acc, el);

	if (r->fault != x.fault || (x.level >= 0 && r->level != x.level) ||
	    (x.fault == MMU_OK && r->pa != x.pa) ||
	    r->fsc != fsc_of(r->fault, r->level))
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
	if (O.ndirty && !O.all_dirty) {
		struct tlb_entry st[16];
		size_t n = tlb_stale_entries(g_m, st, 16);

		for (size_t i = 0; i < n && i < 16; i++)
			if (!st[i].valid ||
			    !dirty_overlaps(st[i].va, st[i].va +
							 ((1ull << st[i].shift) - 1)))
				fail("stale-unexpected", "stale TLB entry 0x%llx "
				     "(2^%u bytes) outside every range changed "
				     "since the last flush",
				     (unsigned long long)st[i].va, st[i].shift);
	}
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

/* The entry at (va, level), read from RAM down the table descriptors;
 * false if the walk does not get there. */
static bool ram_entry(vaddr_t va, int level, uint64_t *d)
{
	phys_addr_t t = O.root;

	for (int l = O.start_level; l <= level; l++) {
		if (!rd64_at(t + 8 * ((va >> lshift(l)) & (entries_at(l) - 1)),
			     d))
			return false;
		if (l == level)
			return true;
		if ((*d & 3) != 3)
			return false;
		t = next_table(*d);
	}
	return false;
}

/* Is pa a page the MMU holds as a table (owner, order 0, allocated)? */
static bool owned_table(phys_addr_t pa)
{
	const struct page *pg;

	if (!pfn_valid(g_m, pa >> O.ps))
		return false;
	pg = pfn_to_page(g_m, pa >> O.ps);
	return (pg->flags & PG_head) && pg->order == 0 &&
	       pg->owner == OWNER_PGTABLE;
}

static bool foreign_at(vaddr_t va, int level)
{
	for (size_t i = 0; i < O.next; i++)
		if (O.ext[i].kind == EXT_FOREIGN && O.ext[i].va == va &&
		    O.ext[i].level == level)
			return true;
	return false;
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

/* Tables reachable from t, not counting foreign ones (their contents are
 * not tables of the MMU's). */
static uint64_t count_tables(phys_addr_t t, int level, vaddr_t vbase)
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
		if (foreign_at(vbase + (i << lshift(level)), level))
			continue;
		n += count_tables(next_table(d), level + 1,
				  vbase + (i << lshift(level)));
	}
	return n;
}

static void check_layout(void)
{
	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];
		int level = -1;
		uint64_t d = 0;

		if (e->kind == EXT_FOREIGN || e->kind == EXT_TABLE) {
			if (!ram_entry(e->va, e->level, &d) || d != e->desc)
				fail("layout", "level-%d table entry for 0x%llx: "
				     "0x%llx, expected 0x%llx", e->level,
				     (unsigned long long)e->va,
				     (unsigned long long)d,
				     (unsigned long long)e->desc);
			continue;
		}
		d = ind_leaf(e->va, &level);
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
	uint64_t n = count_tables(O.root, O.start_level, ~0ull << O.va_bits);
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
			 uint64_t desc, uint64_t attrs)
{
	for (size_t i = 0; i < nsnap; i++) {
		const struct tlb_entry *e = &snap[i];
		uint64_t esz = 1ull << e->shift;
		if (!e->valid || e->va > lo + (size - 1) || e->va + (esz - 1) < lo)
			continue;
		if (e->pa - e->va != pa - lo || ((e->desc ^ desc) & HW_ATTRS) ||
		    e->table_attrs != attrs)
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

/* ---- predictions shared by the writers ---- */

/* What pt_descend meets on its way from the root to va's entry at
 * `level`: the terminal entry above that level, if there is one. */
enum path { PATH_OK, PATH_ABSENT, PATH_BLOCK, PATH_CORRUPT };

static enum path path_to(vaddr_t va, int level)
{
	const struct ext *e = ext_at(va);

	if (!e || e->level >= level)
		return PATH_OK;
	if (e->kind == EXT_MAP || (e->kind == EXT_RAW && e->live))
		return PATH_BLOCK; /* a valid leaf above: in the way */
	if (e->kind == EXT_RAW && !(e->desc & PTE_VALID))
		return PATH_ABSENT; /* invalid: a new table replaces it */
	return PATH_CORRUPT; /* reserved encoding, or a foreign table */
}

static long path_want(enum path p)
{
	return p == PATH_BLOCK ? -VMF_EBUSY :
	       p == PATH_CORRUPT ? -VMF_EINVAL : 0;
}

/* The tables a writer allocates on its way down replace the invalid
 * entry above `level` (at most one covers va). */
static void path_alloc(vaddr_t va, int level)
{
	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];

		if (e->kind == EXT_RAW && !(e->desc & PTE_VALID) &&
		    e->level < level && va - e->va < e->size) {
			ext_del(i);
			return;
		}
	}
}

/* After -ENOMEM the tables allocated before the failure stay: an invalid
 * upper entry on the way is either still there or an MMU table now. */
static void enomem_resync(void)
{
	for (size_t i = 0; i < O.next;) {
		const struct ext *e = &O.ext[i];
		uint64_t d = 0;

		if (e->kind != EXT_RAW || (e->desc & PTE_VALID) ||
		    e->level == 3 ||
		    (ram_entry(e->va, e->level, &d) && d == e->desc)) {
			i++;
			continue;
		}
		if ((d & 3) != 3 || !owned_table(out_addr(d)))
			fail("enomem-state", "after ENOMEM the level-%d entry of "
			     "0x%llx is 0x%llx: neither the old 0x%llx nor a "
			     "table", e->level, (unsigned long long)e->va,
			     (unsigned long long)d,
			     (unsigned long long)e->desc);
		ext_del(i);
	}
}

/* pt_subtree_scan over an MMU table covering [va, va + size): the first
 * terminal entry in VA order that is a valid leaf (-EBUSY) or a foreign
 * table (-EINVAL) decides. */
static long scan_want(vaddr_t va, uint64_t size)
{
	const struct ext *first = NULL;

	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];

		if (e->kind == EXT_TABLE || e->va - va >= size ||
		    !(e->live || e->kind == EXT_FOREIGN))
			continue;
		if (!first || e->va < first->va)
			first = e;
	}
	return !first ? 0 : first->kind == EXT_FOREIGN ? -VMF_EINVAL
						      : -VMF_EBUSY;
}

/* The terminal entry a raw descriptor becomes (none for 0). */
static void ext_add_raw(vaddr_t base, int level, uint64_t desc)
{
	uint64_t span = 1ull << lshift(level);
	phys_addr_t a = out_addr(desc);
	bool leaf = level == 3 ? (desc & 3) == 3
			       : (desc & 3) == 1 && block_ok(level);
	struct ext e = {base, span, 0, desc, level, EXT_RAW,
			MMU_FAULT_TRANSLATION, false};

	if (!desc)
		return;
	if (!(desc & PTE_VALID)) {
		/* invalid, bits left over: translation fault */
	} else if (level < 3 && (desc & 3) == 3) {
		e.kind = EXT_FOREIGN;
	} else if (leaf && (a >> O.pa_bits)) {
		e.raw_fault = MMU_FAULT_ADDRESS_SIZE;
		e.live = true;
	} else if (leaf) {
		e.kind = EXT_MAP;
		e.pa = a & ~(span - 1);
		e.raw_fault = MMU_OK;
		e.live = true;
	}
	ext_add(e);
}

/* Under a foreign table whose contents are RAM (a held page): data
 * writes there change translations. */
static bool under_foreign_ram(vaddr_t va)
{
	const struct ext *e = ext_at(va);

	return e && e->kind == EXT_FOREIGN &&
	       !(out_addr(e->desc) >> O.pa_bits) &&
	       pfn_valid(g_m, out_addr(e->desc) >> O.ps);
}

static void dirty_foreign(void)
{
	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];

		if (e->kind == EXT_FOREIGN && under_foreign_ram(e->va))
			dirty_add(e->va, e->va + (e->size - 1));
	}
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

static void expect_one_warning(const char *what, uint64_t seq)
{
	if (vmf_warn_seq(g_m) != seq + 1)
		fail("warn", "refused %s recorded %llu warnings", what,
		     (unsigned long long)(vmf_warn_seq(g_m) - seq));
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
	uint64_t bbm_want = 0, bbm0 = g_m->warn.count[WARN_MMU_BBM];
	tlb_snapshot();
	for (size_t i = 0; !want && i < nr; i++) {
		vaddr_t a = va + i * O.P;
		const struct ext *e = ext_at(a);
		if (!(e && e->live) &&
		    tlb_conflict(a, O.P, pfns[i] << O.ps,
				 (pfns[i] << O.ps) | prot, attrs_at(a, 3)))
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
			    !(old_live && pf == (e->pa + (a - e->va)) >> O.ps))
				fail("enomem-half-visible", "page 0x%llx maps pfn "
				     "0x%llx after ENOMEM", (unsigned long long)a,
				     (unsigned long long)pf);
		}
		/* the caller undoes it */
		long u = mmu_unmap_range(g_m, va, nr * O.P);
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
	if (g_m->warn.count[WARN_MMU_BBM] - bbm0 != bbm_want)
		fail("bbm", "map at 0x%llx: %llu break-without-flush warnings, "
		     "expected %llu", (unsigned long long)va,
		     (unsigned long long)(g_m->warn.count[WARN_MMU_BBM] - bbm0),
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

static void op_block(struct in *in)
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
	uint64_t seq = vmf_warn_seq(g_m);
	enum path path = PATH_OK;

	switch (b & 3) {
	case 0: pa = g_m->cfg.phys_base & ~(bs - 1); break;
	case 1: pa = (1ull << O.pa_bits) - bs; break;
	case 2: pa = 1ull << O.pa_bits; break;
	default: pa = (g_m->cfg.phys_base & ~(bs - 1)) + O.P; break;
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
	uint64_t bbm0 = g_m->warn.count[WARN_MMU_BBM];
	tlb_snapshot();
	uint64_t bbm_want = !want && !was_live &&
			    tlb_conflict(va, bs, pa, d, attrs_at(va, level));
	long got = mmu_map_block(g_m, va, pa, level, prot);
	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(g_m) == 0)) {
		if (mmu_lookup(g_m, va, NULL, NULL, NULL) && !ext_at(va))
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
	if (g_m->warn.count[WARN_MMU_BBM] - bbm0 != bbm_want)
		fail("bbm", "block at 0x%llx: %llu break-without-flush warnings, "
		     "expected %llu", (unsigned long long)va,
		     (unsigned long long)(g_m->warn.count[WARN_MMU_BBM] - bbm0),
		     (unsigned long long)bbm_want);
	path_alloc(va, level);
	ext_clear(va, va + (bs - 1), true);
	ext_add((struct ext){va, bs, pa, d, level, EXT_MAP, MMU_OK, true});
	dirty_add(va, va + (bs - 1));
}

static void op_unmap(struct in *in)
{
	uint8_t s = u8(in), b = u8(in);
	vaddr_t va;
	uint64_t size;
	long want;
	uint64_t seq = vmf_warn_seq(g_m);

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
	long got = mmu_unmap_range(g_m, va, size);
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

	return pfn_valid(g_m, pa >> O.ps) ? 0 : pa;
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
		if (level < 3 && (d & 3) == 3 && pfn_valid(g_m, a >> O.ps) &&
		    !owned_table(a) && !held_pfn(a >> O.ps))
			d = (d & ~a) | O.held[(a >> O.ps) % NHELD] << O.ps;
		return d;
	}
	case 8: /* block encoding over RAM with a protection */
		return (g_m->cfg.phys_base & ~(span - 1)) |
		       (pick_prot(in) & ~PTE_TABLE_BIT);
	default: /* 9: page / table encoding, a held page, a protection */
		b = u8(in);
		return (O.held[b % NHELD] << O.ps) | pick_prot(in);
	}
}

static void op_raw(struct in *in)
{
	uint8_t s = u8(in), k = u8(in);
	int level = 3 - ((k >> 2) & 3);
	unsigned kind = (k >> 4) % 10;
	vaddr_t va = slot_va(s);
	uint64_t span = 1ull << lshift(level);
	vaddr_t base = va & ~(span - 1);
	uint64_t desc = raw_desc(in, kind, k & 3, level, va), old = 0;
	bool armed = pgtable_fault_armed(), same_table = false;
	uint64_t seq = vmf_warn_seq(g_m);
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
	long got = mmu_set_raw(g_m, va, level, desc);
	if (got == -VMF_ENOMEM && !want && (armed || nr_free_pages(g_m) == 0)) {
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
	bool got = mmu_va_to_pfn(g_m, va, &pfn);
	if (got != want || (want && pfn != w.pa >> O.ps))
		fail("lookup", "va 0x%llx: lookup %d pfn 0x%llx, expected %d",
		     (unsigned long long)va, got, (unsigned long long)pfn, want);
	uint64_t ld = 0;
	int ll = -1;
	phys_addr_t lpa = 0;
	if (mmu_lookup(g_m, va, &ld, &ll, &lpa) != want ||
	    (want && (ld != w.desc || ll != w.level || lpa != w.pa)))
		fail("lookup", "va 0x%llx: mmu_lookup desc 0x%llx level %d pa "
		     "0x%llx, expected 0x%llx level %d pa 0x%llx",
		     (unsigned long long)va, (unsigned long long)ld, ll,
		     (unsigned long long)lpa, (unsigned long long)w.desc,
		     w.level, (unsigned long long)w.pa);
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
		if (!phys_read(g_m, e.pa, chk, chunk) ||
		    memcmp(chk, buf + off, chunk))
			fail(write ? "write" : "read", "bytes at va 0x%llx differ "
			     "from pa 0x%llx", (unsigned long long)a,
			     (unsigned long long)e.pa);
		off += chunk;
	}
}

/* mmu_lookup_range and mmu_range_mapped over a run of pool pages. */
static void op_lookup_range(struct in *in)
{
	uint8_t s = u8(in), n = u8(in);
	vaddr_t va = slot_va(s), f = 0;
	size_t nr = 1 + (n & 15), first = nr;
	struct mmu_leaf out[16];

	if (mmu_lookup_range(g_m, va, nr, out) != nr)
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
	bool got = mmu_range_mapped(g_m, va, va + nr * O.P, &f);
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

static void op_badarg(struct in *in)
{
	uint8_t v = u8(in), s = u8(in);
	vaddr_t va = slot_va(s), user = va & ~(1ull << 55);
	vaddr_t last = ~0ull & ~(O.P - 1);
	phys_addr_t bpa = g_m->cfg.phys_base & ~(O.l2 - 1);
	pfn_t pfns[2] = {O.held[0], O.held[1]};
	uint64_t seq = vmf_warn_seq(g_m), bad0 = g_m->warn.count[WARN_MMU_BAD_ARG];
	uint64_t tables = mmu_pgtable_pages(g_m), nfree = nr_free_pages(g_m);
	uint64_t addr_bit = 1ull << (12 + s % 38); /* in [49:12]: not a prot */
	struct tlb_stats st0 = *tlb_stats(g_m);
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
		got = mmu_map_pages(g_m, va, pfns, 0, PAGE_KERNEL);
		break;
	case 1:
		what = "map without pfns";
		got = mmu_map_pages(g_m, va, NULL, 1, PAGE_KERNEL);
		break;
	case 2:
		what = "map at an unaligned va";
		got = mmu_map_pages(g_m, va + O.P / 2, pfns, 1, PAGE_KERNEL);
		break;
	case 3:
		what = "map outside TTBR1";
		got = mmu_map_pages(g_m, user, pfns, 1, PAGE_KERNEL);
		break;
	case 4:
		what = "map that wraps";
		got = mmu_map_pages(g_m, last, pfns, 2, PAGE_KERNEL);
		break;
	case 5:
		what = "map with address bits in prot";
		got = mmu_map_pages(g_m, va, pfns, 1, PAGE_KERNEL | addr_bit);
		break;
	case 6:
		what = "map with a prot that is not a page";
		got = mmu_map_pages(g_m, va, pfns, 1,
				    PAGE_KERNEL & ~((s & 1) ? PTE_VALID
							    : PTE_TABLE_BIT));
		break;
	case 7:
		lv = map_levels[s & 3];
		if (lv == 0 && O.ps != 12)
			lv = 1; /* 16K/64K: no level-1 blocks either */
		what = "block at a level without blocks";
		got = mmu_map_block(g_m, O.base, bpa, lv, PAGE_KERNEL);
		break;
	case 8:
		what = "block outside TTBR1";
		got = mmu_map_block(g_m, O.base & ~(1ull << 55), bpa, 2,
				    PAGE_KERNEL);
		break;
	case 9:
		what = "block with a bad prot";
		got = mmu_map_block(g_m, O.base, bpa, 2,
				    (s & 1) ? PAGE_KERNEL | addr_bit
					    : PAGE_KERNEL & ~PTE_TABLE_BIT);
		break;
	case 10:
		what = "unmap at an unaligned va";
		got = mmu_unmap_range(g_m, va + O.P / 2, O.P);
		break;
	case 11:
		what = "unmap of an unaligned size";
		got = mmu_unmap_range(g_m, va, O.P + 8 * (1 + s % 8));
		break;
	case 12:
		what = "unmap of size 0";
		got = mmu_unmap_range(g_m, va, 0);
		break;
	case 13:
		what = "unmap outside TTBR1";
		got = mmu_unmap_range(g_m, user, O.P);
		break;
	case 14:
		what = "unmap that wraps";
		got = mmu_unmap_range(g_m, last, 2 * O.P);
		break;
	case 15:
		what = "raw write outside TTBR1";
		got = mmu_set_raw(g_m, user, 3, PAGE_KERNEL);
		break;
	case 16:
		lv = (s & 1) ? 4 : O.start_level - 1;
		what = "raw write at a level out of range";
		got = mmu_set_raw(g_m, va, lv, 0);
		break;
	case 17:
		what = "translate with a bad access";
		r = mmu_translate(g_m, va, (enum mmu_access)(3 + (s & 3)), 1);
		check_bad_result(what, &r, 0);
		break;
	case 18:
		what = "translate at a bad EL";
		r = mmu_translate(g_m, va, ACC_READ, (s & 1) ? 2 : -1);
		check_bad_result(what, &r, 0);
		break;
	case 19:
		what = "access with a bad access or EL";
		r = (s & 1) ? mmu_access(g_m, va, (enum mmu_access)3, 1)
			    : mmu_access(g_m, va, ACC_WRITE, 2);
		check_bad_result(what, &r, 0);
		break;
	case 20:
		what = "read into NULL";
		r = mmu_read(g_m, va, NULL, 1 + s % 8, 1, &done);
		check_bad_result(what, &r, done);
		break;
	case 21:
		what = "write at a bad EL";
		r = mmu_write(g_m, va, buf, sizeof(buf), (s & 1) ? 2 : -1, &done);
		check_bad_result(what, &r, done);
		break;
	case 22:
		what = "read at a bad EL";
		r = mmu_read(g_m, va, buf, sizeof(buf), 3, &done);
		check_bad_result(what, &r, done);
		break;
	case 23:
		what = "flush with end below start";
		flush_tlb_kernel_range(g_m, va, va - O.P * (1 + s % 4));
		break;
	case 24:
		/* Silent refusals: nothing to warn about. */
		what = "lookups of empty or bad ranges";
		warns = false;
		if (mmu_lookup_range(g_m, va, 0, NULL) ||
		    mmu_lookup_range(g_m, va + 8, 1, lf) ||
		    mmu_lookup_range(g_m, last, 2, lf) ||
		    mmu_range_mapped(g_m, va, va, NULL) ||
		    mmu_range_mapped(g_m, user, user + O.P, NULL) ||
		    tlb_maps_range(g_m, va + O.P, va) ||
		    tlb_flush_get(g_m, 0) ||
		    tlb_flush_get(g_m, st0.flush_seq + 1))
			fail("bad-arg", "%s: not refused", what);
		if (mmu_lookup(g_m, va, NULL, NULL, NULL) !=
		    (expect_walk(va).fault == MMU_OK))
			fail("lookup", "mmu_lookup(0x%llx) without outputs",
			     (unsigned long long)va);
		break;
	default:
		what = "dumps to no stream";
		warns = false;
		mmu_ptdump(g_m, NULL);
		mmu_rawdump(g_m, NULL);
		break;
	}
	long want = v % NR_BADARG < 17 ? -VMF_EINVAL : 0;
	if (got != want)
		fail("bad-arg", "%s: returned %ld, expected %ld", what, got,
		     want);
	if (vmf_warn_seq(g_m) - seq != warns ||
	    g_m->warn.count[WARN_MMU_BAD_ARG] - bad0 != warns)
		fail("bad-arg", "%s: %llu warning(s), %llu WARN_MMU_BAD_ARG, "
		     "expected %d", what,
		     (unsigned long long)(vmf_warn_seq(g_m) - seq),
		     (unsigned long long)(g_m->warn.count[WARN_MMU_BAD_ARG] -
					  bad0), warns);
	size_t n;
	const struct tlb_entry *e = tlb_entries(g_m, &n);
	const struct tlb_stats *st = tlb_stats(g_m);
	if (mmu_pgtable_pages(g_m) != tables || nr_free_pages(g_m) != nfree ||
	    memcmp(e, snap, nsnap * sizeof(*e)) || st->hits != st0.hits ||
	    st->misses != st0.misses || st->fills != st0.fills ||
	    st->flush_seq != st0.flush_seq ||
	    st->entries_dropped != st0.entries_dropped)
		fail("bad-arg", "%s changed the MMU state", what);
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
	c.pa_bits = (b >> 6) == 1 ? 42 : (b >> 6) == 2 ? 44 : pas[b & 3];
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
	for (int l = -1; l <= 4; l++)
		if (mmu_level_shift(g_m, l) !=
		    (l < 0 || l > 3 ? 0 : (unsigned)lshift(l)))
			fail("geometry", "level %d: shift %u", l,
			     mmu_level_shift(g_m, l));
	if (!mmu_va_in_ttbr1(g_m, O.base) ||
	    mmu_va_in_ttbr1(g_m, O.base & ~(1ull << 55)) ||
	    mmu_va_in_ttbr1(g_m, O.base ^ (1ull << 60)))
		fail("geometry", "mmu_va_in_ttbr1 wrong around 0x%llx",
		     (unsigned long long)O.base);
	for (unsigned f = 0; f <= MMU_FAULT_BAD_ARG + 1; f++)
		for (unsigned g = 0; g < f; g++)
			if (!mmu_fault_name((enum mmu_fault)f) ||
			    !strcmp(mmu_fault_name((enum mmu_fault)f),
				    mmu_fault_name((enum mmu_fault)g)))
				fail("fault-name", "faults %u and %u: \"%s\"", g, f,
				     mmu_fault_name((enum mmu_fault)f));
	return take_held();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmf_config c;

	(void)argc;
	(void)argv;
	if (g_m)
		return 0;
	/* The default machine has more RAM (bytes and frames) and more TLB
	 * entries than any input asks for (setup()). */
	vmf_config_default(&c);
	g_rest_cfg = c;
	g_m = vmf_machine_create(&c, NULL, 0);
	if (!g_m)
		abort();
	g_null = fopen("/dev/null", "w");
	return 0;
}

static void run_ops(struct in *in)
{
	for (O.op = 0; O.op < MAX_OPS && in->n; O.op++) {
		bool always = g_m->fault.site[FAULT_PGTABLE].mode == FAULT_ALWAYS;
		uint64_t tables = mmu_pgtable_pages(g_m);

		O.opcode = u8(in);
		switch (O.opcode % 16) {
		case 0: case 1: case 2: op_map(in); break;
		case 3: op_unmap(in); break;
		case 4: op_block(in); break;
		case 5: op_raw(in); break;
		case 6: case 7: op_translate(in); break;
		case 8: case 9: op_access(in); break;
		case 10: op_copy(in, false); break;
		case 11: op_copy(in, true); break;
		case 12: op_flush(in); break;
		case 13:
			if (O.opcode & 0x10)
				op_flush_all();
			else
				op_fault(in);
			break;
		case 14:
			if ((O.opcode & 0xf0) == 0xf0)
				op_reset();
			else
				op_dump();
			break;
		default:
			if ((O.opcode >> 4) == 8)
				op_badarg(in);
			else if ((O.opcode >> 4) == 9)
				op_lookup_range(in);
			else
				op_access(in);
			break;
		}
		check_invariants();
		if (always && g_m->fault.site[FAULT_PGTABLE].mode == FAULT_ALWAYS &&
		    mmu_pgtable_pages(g_m) > tables)
			fail("fault-ignored", "a table was allocated with "
			     "FAULT_PGTABLE always failing");
	}
	check_layout();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};

	if (!g_m)
		LLVMFuzzerInitialize(NULL, NULL);
	if (setup(&in))
		run_ops(&in);
	/* This input's clean-up, now (see the top of the file). */
	if (vmf_machine_reset(g_m, &g_rest_cfg, NULL, 0))
		fail("reset", "vmf_machine_reset to the resting machine failed");
	return 0;
}
