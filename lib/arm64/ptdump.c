/* Dumps of the kernel page tables.
 *
 * mmu_ptdump: the text of /sys/kernel/debug/kernel_page_tables as Linux
 * 4.19 arch/arm64/mm/dump.c prints it, for the vmalloc window only:
 * consecutive entries at one level with the same attribute bits coalesce
 * (the output address is not compared), empty entries end a range and are
 * not shown. Memory-type names follow the model's Linux 6.x AttrIndx
 * values (MT_NORMAL = 0). Deviations are listed in docs/mmu.md.
 *
 * mmu_rawdump: every table page reachable from TTBR1 with its physical
 * address and non-zero entries, plus the registers a CPU needs. */
#include <stdlib.h>

#include "mmu_internal.h"

/* Strings inline (no pointers): the table stays in read-only data. An
 * empty clear string prints nothing, as dump.c's NULL. */
struct prot_bits {
	uint64_t mask, val;
	char set[18], clear[4];
};

static const struct prot_bits pte_bits[] = {
	{PTE_VALID, PTE_VALID, " ", "F"},
	{PTE_USER, PTE_USER, "USR", "   "},
	{PTE_RDONLY, PTE_RDONLY, "ro", "RW"},
	{PTE_PXN, PTE_PXN, "NX", "x "},
	{PTE_SHARED, PTE_SHARED, "SHD", "   "},
	{PTE_AF, PTE_AF, "AF", "  "},
	{PTE_NG, PTE_NG, "NG", "  "},
	{PTE_CONT, PTE_CONT, "CON", "   "},
	{PTE_TABLE_BIT, PTE_TABLE_BIT, "   ", "BLK"},
	{PTE_UXN, PTE_UXN, "UXN", ""},
	{PTE_ATTRINDX_MASK, PTE_ATTRINDX(MT_DEVICE_nGnRnE), "DEVICE/nGnRnE", ""},
	{PTE_ATTRINDX_MASK, PTE_ATTRINDX(MT_DEVICE_nGnRE), "DEVICE/nGnRE", ""},
	{PTE_ATTRINDX_MASK, PTE_ATTRINDX(MT_NORMAL_NC), "MEM/NORMAL-NC", ""},
	{PTE_ATTRINDX_MASK, PTE_ATTRINDX(MT_NORMAL), "MEM/NORMAL", ""},
	{PTE_ATTRINDX_MASK, PTE_ATTRINDX(MT_NORMAL_TAGGED), "MEM/NORMAL-TAGGED",
	 ""},
};

/* pg_level[].mask: the union of the masks above. */
#define PTDUMP_MASK                                                          \
	(PTE_VALID | PTE_USER | PTE_RDONLY | PTE_PXN | PTE_SHARED | PTE_AF |  \
	 PTE_NG | PTE_CONT | PTE_TABLE_BIT | PTE_UXN | PTE_ATTRINDX_MASK)

struct pg_state {
	struct vmf_machine *m;
	FILE *out;
	uint8_t *seen; /* one bit per RAM frame: tables already walked */
	int level;     /* -1 before the first entry */
	uint64_t prot;
	vaddr_t start;
};

/* Names as dump.c gives them with CONFIG_PGTABLE_LEVELS folding: the top
 * level is always PGD. */
static const char *level_name(const struct mmu_state *s, int level)
{
	if (level == 3)
		return "PTE";
	if (level == s->start_level)
		return "PGD";
	return level == 1 ? "PUD" : "PMD";
}

static void print_range(struct pg_state *st, vaddr_t end)
{
	static const char units[] = "KMGTPE";
	const char *unit = units;
	uint64_t delta = (end - st->start) >> 10;

	fprintf(st->out, "0x%016llx-0x%016llx   ",
		(unsigned long long)st->start, (unsigned long long)end);
	while (!(delta & 1023) && unit[1]) {
		delta >>= 10;
		unit++;
	}
	fprintf(st->out, "%9llu%c %s", (unsigned long long)delta, *unit,
		level_name(st->m->mmu, st->level));
	for (size_t i = 0; i < sizeof(pte_bits) / sizeof(pte_bits[0]); i++) {
		const struct prot_bits *b = &pte_bits[i];
		const char *s = (st->prot & b->mask) == b->val ? b->set : b->clear;

		if (*s)
			fprintf(st->out, " %s", s);
	}
	fputc('\n', st->out);
}

static void note_page(struct pg_state *st, vaddr_t addr, int level,
		      uint64_t val)
{
	uint64_t prot = val & PTDUMP_MASK;

	if (st->level < 0) {
		fprintf(st->out, "---[ vmalloc() Area ]---\n");
	} else if (prot == st->prot && level == st->level) {
		return;
	} else if (st->prot) {
		print_range(st, addr);
	}
	st->level = level;
	st->prot = prot;
	st->start = addr;
}

/* First visit of a table page in RAM? (Bounds the work on aliased or
 * looping tables that mmu_set_raw can build.) */
static bool first_visit(struct pg_state *st, phys_addr_t pa)
{
	const struct phys_mem *p = &st->m->phys;
	uint64_t idx;

	if (pa < p->base || ((pa - p->base) >> p->page_shift) >= p->nr_pages)
		return false;
	idx = (pa - p->base) >> p->page_shift;
	if (st->seen[idx / 8] & (1u << (idx % 8)))
		return false;
	st->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
	return true;
}

static void walk_table(struct pg_state *st, phys_addr_t table, int level,
		       vaddr_t lo, vaddr_t hi)
{
	const struct mmu_state *s = st->m->mmu;
	uint64_t span = 1ull << lvl_shift(s, level);

	for (vaddr_t base = lo & ~(span - 1);; base += span) {
		vaddr_t elo = base < lo ? lo : base;
		vaddr_t ehi = base + (span - 1) > hi ? hi : base + (span - 1);
		uint64_t d = 0;

		pt_read(st->m, table, lvl_index(s, base, level), &d);
		if (desc_is_table(level, d)) {
			if (first_visit(st, desc_addr(s, d)))
				walk_table(st, desc_addr(s, d), level + 1, elo,
					   ehi);
			else
				note_page(st, elo, level, 0);
		} else {
			note_page(st, elo, level, d);
		}
		if (base + (span - 1) >= hi)
			return;
	}
}

static uint8_t *alloc_seen(struct vmf_machine *m)
{
	return calloc(m->phys.nr_pages / 8 + 1, 1);
}

void mmu_ptdump(struct vmf_machine *m, FILE *out)
{
	struct pg_state st = {.m = m, .out = out, .level = -1};
	vaddr_t lo, hi;

	if (!m || !m->mmu || !out)
		return;
	lo = m->cfg.vmalloc_start;
	hi = m->cfg.vmalloc_end - 1;
	st.seen = alloc_seen(m);
	if (!st.seen) {
		fprintf(out, "# ptdump: out of host memory\n");
		return;
	}
	first_visit(&st, m->mmu->ttbr1);
	walk_table(&st, m->mmu->ttbr1, m->mmu->start_level, lo, hi);
	if (st.prot)
		print_range(&st, m->cfg.vmalloc_end);
	fprintf(out, "---[ vmalloc() End ]---\n");
	free(st.seen);
}

static void raw_table(struct pg_state *st, phys_addr_t table, int level)
{
	const struct mmu_state *s = st->m->mmu;
	uint64_t n = lvl_entries(s, level);

	fprintf(st->out, "table 0x%016llx level %d entries %llu\n",
		(unsigned long long)table, level, (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t d = 0;

		if (pt_read(st->m, table, i, &d) && d)
			fprintf(st->out, "  %llu 0x%016llx\n",
				(unsigned long long)i, (unsigned long long)d);
	}
	for (uint64_t i = 0; level < 3 && i < n; i++) {
		uint64_t d = 0;

		if (pt_read(st->m, table, i, &d) && desc_is_table(level, d) &&
		    first_visit(st, desc_addr(s, d)))
			raw_table(st, desc_addr(s, d), level + 1);
	}
}

void mmu_rawdump(struct vmf_machine *m, FILE *out)
{
	struct pg_state st = {.m = m, .out = out, .level = -1};
	const struct mmu_state *s = m ? m->mmu : NULL;
	uint64_t tcr;

	if (!s || !out)
		return;
	st.seen = alloc_seen(m);
	if (!st.seen) {
		fprintf(out, "# rawdump: out of host memory\n");
		return;
	}
	tcr = mmu_tcr_el1(m);
	fprintf(out, "# vmfuzz mmu rawdump v2 (docs/mmu.md)\n");
	fprintf(out, "granule %llu\n", (unsigned long long)m->page_size);
	fprintf(out, "va_bits %u\npa_bits %u\nstart_level %d\n", s->va_bits,
		s->pa_bits, s->start_level);
	fprintf(out, "TTBR1_EL1 0x%016llx\n", (unsigned long long)s->ttbr1);
	fprintf(out, "TCR_EL1 0x%016llx\n", (unsigned long long)tcr);
	fprintf(out, "T1SZ %llu\nTG1 %llu\nIPS %llu\n",
		(unsigned long long)((tcr >> 16) & 0x3f),
		(unsigned long long)((tcr >> 30) & 3),
		(unsigned long long)((tcr >> 32) & 7));
	fprintf(out, "MAIR_EL1 0x%016llx\n", (unsigned long long)MMU_MAIR_EL1);
	/* Where RAM and the vmalloc window are: an outside tool loading the
	 * dump needs no other hint (issue 15). */
	fprintf(out, "ram 0x%016llx 0x%016llx\n",
		(unsigned long long)m->cfg.phys_base,
		(unsigned long long)(m->cfg.phys_base + m->cfg.phys_size));
	fprintf(out, "window 0x%016llx 0x%016llx\n",
		(unsigned long long)m->cfg.vmalloc_start,
		(unsigned long long)m->cfg.vmalloc_end);
	first_visit(&st, s->ttbr1);
	raw_table(&st, s->ttbr1, s->start_level);
	fprintf(out, "end\n");
	free(st.seen);
}
