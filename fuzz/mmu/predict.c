/* fuzz_mmu's predictions shared by the ops: break-before-make conflicts
 * from a TLB snapshot, the VA pool and the protections the input picks,
 * and what a writer meets on its way down (the expected result of a map,
 * block or raw write, and the oracle's update after one). */
#include <string.h>

#include "mmu_fuzz.h"

/* ---- break-before-make prediction from a TLB snapshot (O.snap) ---- */

void tlb_snapshot(void)
{
	size_t n;
	const struct tlb_entry *e = tlb_entries(O.m, &n);

	O.nsnap = n < 16 ? n : 16;
	memcpy(O.snap, e, O.nsnap * sizeof(*e));
}

/* Translation-relevant attributes: [11:2] and [54:50]. */
#define HW_ATTRS (0xffcull | (0x1full << 50))

bool tlb_conflict(vaddr_t lo, uint64_t size, phys_addr_t pa,
		  uint64_t desc, uint64_t attrs)
{
	for (size_t i = 0; i < O.nsnap; i++) {
		const struct tlb_entry *e = &O.snap[i];
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

vaddr_t slot_va(uint8_t s)
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

pgprot_t pick_prot(struct in *in)
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
 * `level`: the terminal entry above that level, if there is one
 * (enum path, mmu_fuzz.h). */
enum path path_to(vaddr_t va, int level)
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

long path_want(enum path p)
{
	return p == PATH_BLOCK ? -VMF_EBUSY :
	       p == PATH_CORRUPT ? -VMF_EINVAL : 0;
}

/* The tables a writer allocates on its way down replace the invalid
 * entry above `level` (at most one covers va). */
void path_alloc(vaddr_t va, int level)
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
void enomem_resync(void)
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
long scan_want(vaddr_t va, uint64_t size)
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
void ext_add_raw(vaddr_t base, int level, uint64_t desc)
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
bool under_foreign_ram(vaddr_t va)
{
	const struct ext *e = ext_at(va);

	return e && e->kind == EXT_FOREIGN &&
	       !(out_addr(e->desc) >> O.pa_bits) &&
	       pfn_valid(O.m, out_addr(e->desc) >> O.ps);
}

void dirty_foreign(void)
{
	for (size_t i = 0; i < O.next; i++) {
		const struct ext *e = &O.ext[i];

		if (e->kind == EXT_FOREIGN && under_foreign_ram(e->va))
			dirty_add(e->va, e->va + (e->size - 1));
	}
}
