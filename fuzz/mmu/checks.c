/* fuzz_mmu's checks of the whole state: the invariants after every op
 * (accounting, stale TLB entries only in unflushed ranges) and, at the end
 * of each input, an independent walk of the table layout written from the
 * facts-file formulas (its entry readers also serve the predictions). */
#include "mmu_fuzz.h"

/* ---- invariants after every op ---- */

void check_invariants(void)
{
	uint64_t free_pages = nr_free_pages(O.m), tables = mmu_pgtable_pages(O.m);

	if (free_pages + tables + NHELD != totalram_pages(O.m))
		fail("accounting", "free %llu + tables %llu + held %d != total %llu",
		     (unsigned long long)free_pages, (unsigned long long)tables,
		     NHELD, (unsigned long long)totalram_pages(O.m));
	if (!O.all_dirty && O.ndirty == 0 && tlb_stale_entries(O.m, NULL, 0))
		fail("stale-without-change", "%zu stale TLB entries, no change "
		     "since the last flush", tlb_stale_entries(O.m, NULL, 0));
	if (O.ndirty && !O.all_dirty) {
		struct tlb_entry st[16];
		size_t n = tlb_stale_entries(O.m, st, 16);

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

	if (!phys_read(O.m, pa, b, 8))
		return 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

uint64_t entries_at(int level)
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
bool ram_entry(vaddr_t va, int level, uint64_t *d)
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
bool owned_table(phys_addr_t pa)
{
	const struct page *pg;

	if (!pfn_valid(O.m, pa >> O.ps))
		return false;
	pg = pfn_to_page(O.m, pa >> O.ps);
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

	if (level == 3 || !phys_read(O.m, t, tbuf[level], ne * 8))
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

void check_layout(void)
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
	uint64_t recount = 0, tables = mmu_pgtable_pages(O.m);

	for (pfn_t i = 0; i < O.m->phys.nr_pages; i++) {
		const struct page *pg = &O.m->phys.pages[i];
		recount += (pg->flags & PG_head) && pg->owner == OWNER_PGTABLE;
	}
	if (recount != tables)
		fail("pgtable-count", "counter %llu, OWNER_PGTABLE pages %llu",
		     (unsigned long long)tables, (unsigned long long)recount);
	uint64_t n = count_tables(O.root, O.start_level, ~0ull << O.va_bits);
	if (n != mmu_pgtable_pages(O.m))
		fail("pgtable-leak", "%llu tables reachable, %llu counted",
		     (unsigned long long)n,
		     (unsigned long long)mmu_pgtable_pages(O.m));
}
