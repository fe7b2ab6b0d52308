/* The shadow's own table reader (harness/shadow/shadow_walk.c) on tables
 * built by hand in a fake RAM: table, block, page and invalid descriptors
 * at each level, for every granule / VA size the config accepts, and the
 * identity fill of shadow_frames.c. */
#include <string.h>

#include <vmfuzz/config.h>

#include "shadow_model.h"
#include "shadow_walk.h"
#include "test.h"

#define RAM_BASE 0x40000000ull
#define RAM_PAGES 16

struct fake {
	uint8_t *ram;
	uint64_t size;
};

static bool fake_read(void *ctx, phys_addr_t pa, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (pa < RAM_BASE || pa - RAM_BASE > f->size ||
	    len > f->size - (pa - RAM_BASE))
		return false;
	memcpy(buf, f->ram + (pa - RAM_BASE), len);
	return true;
}

static void put(struct fake *f, phys_addr_t table, uint64_t idx, uint64_t d)
{
	uint8_t *p = f->ram + (table - RAM_BASE) + idx * 8;

	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(d >> (8 * i));
}

static unsigned shift_of(unsigned ps, int level)
{
	return ps + (ps - 3) * (unsigned)(3 - level);
}

static uint64_t idx_of(unsigned ps, unsigned va_bits, int start, vaddr_t va,
		       int level)
{
	unsigned s = shift_of(ps, level);
	unsigned b = level == start ? va_bits - s : ps - 3;

	return (va >> s) & ((1ull << b) - 1);
}

/* One geometry: a chain of tables for va down to level 3 (pages 1..),
 * then each kind of leaf at each level. */
static void one_geometry(unsigned ps, unsigned va_bits)
{
	struct vmf_config cfg;
	struct fake f;
	struct sh_observer obs;
	struct sh_walker w;
	struct sh_leaf l;
	uint64_t page = 1ull << ps;
	int start = 4 - (int)((va_bits - 4) / (ps - 3));
	vaddr_t va = (~0ull << va_bits) | (3ull << ps) | 0x18;
	phys_addr_t table[4];
	phys_addr_t data = RAM_BASE + 10 * page;
	uint64_t prot = 0x0068000000000703ull; /* PAGE_KERNEL */

	memset(&cfg, 0, sizeof(cfg));
	cfg.page_shift = ps;
	cfg.va_bits = va_bits;
	cfg.pa_bits = 48;
	f.size = RAM_PAGES * page;
	f.ram = calloc(1, f.size);
	CHECK(f.ram != NULL);
	if (!f.ram)
		return;
	memset(&obs, 0, sizeof(obs));
	obs.ctx = &f;
	obs.phys_read = fake_read;
	sh_walker_init(&w, &cfg, RAM_BASE, &obs);
	CHECK_EQ(w.start_level, start);

	/* An empty root: translation fault at the start level. */
	sh_walk_va(&w, va, &l);
	CHECK(!l.mapped);
	CHECK_EQ(l.level, start);
	/* Outside TTBR1: level 0. */
	sh_walk_va(&w, 0x1000, &l);
	CHECK(!l.mapped);
	CHECK_EQ(l.level, 0);

	for (int lv = start; lv <= 3; lv++)
		table[lv] = RAM_BASE + (uint64_t)(lv - start) * page;
	for (int lv = start; lv < 3; lv++)
		put(&f, table[lv], idx_of(ps, va_bits, start, va, lv),
		    table[lv + 1] | 3 | (lv == start ? (1ull << 59) : 0));
	/* Level 3: invalid, then reserved 01, then a page. */
	sh_walk_va(&w, va, &l);
	CHECK(!l.mapped);
	CHECK_EQ(l.level, 3);
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3), data | 1);
	sh_walk_va(&w, va, &l);
	CHECK(!l.mapped);
	CHECK_EQ(l.level, 3);
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3), data | prot);
	sh_walk_va(&w, va, &l);
	CHECK(l.mapped);
	CHECK_EQ(l.level, 3);
	CHECK_EQ(l.pa, data + (va & (page - 1)));
	CHECK_EQ(l.attrs, prot);
	CHECK_EQ(l.table_attrs, 1ull << 59);
	/* PXNTable above the page: the word-for-word readers stop there,
	 * sh_walk_bare names it; with a bare table they read it. */
	{
		vaddr_t pva = va & ~(page - 1);
		uint64_t word = 0, top = idx_of(ps, va_bits, start, va, start);
		struct sh_fail fl;

		CHECK_EQ(sh_walk_words(&w, pva, 1, &word), 0);
		CHECK_EQ(sh_walk_match(&w, pva, 1, NULL, data | prot, page), 0);
		memset(&fl, 0, sizeof(fl));
		CHECK_EQ(sh_walk_bare(&l, va, "the page", &fl), -1);
		CHECK_STR(fl.check, "mapping");
		CHECK(strstr(fl.detail, "table attributes 0x0800000000000000") != NULL);
		put(&f, table[start], top, table[start + 1] | 3);
		CHECK_EQ(sh_walk_words(&w, pva, 1, &word), 1);
		CHECK_EQ(word, data | prot);
		CHECK_EQ(sh_walk_match(&w, pva, 1, NULL, data | prot, page), 1);
		sh_walk_va(&w, va, &l);
		memset(&fl, 0, sizeof(fl));
		CHECK_EQ(sh_walk_bare(&l, va, "the page", &fl), 0);
		put(&f, table[start], top, table[start + 1] | 3 | (1ull << 59));
	}
	/* The batched walk agrees, and sees the next (invalid) page. */
	{
		struct sh_leaf two[2];

		sh_walk_pages(&w, va & ~(page - 1), 2, two);
		CHECK(two[0].mapped && two[0].pa == data);
		CHECK(!two[1].mapped);
	}
	/* An output address above pa_bits: address size fault. */
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3),
	    (1ull << 47) | prot);
	cfg.pa_bits = 40;
	sh_walker_init(&w, &cfg, RAM_BASE, &obs);
	sh_walk_va(&w, va, &l);
	CHECK(!l.mapped && l.addr_size);
	cfg.pa_bits = 48;
	sh_walker_init(&w, &cfg, RAM_BASE, &obs);

	/* Levels above 3: invalid, block (allowed or not), table outside
	 * RAM. */
	for (int lv = start; lv < 3; lv++) {
		uint64_t i = idx_of(ps, va_bits, start, va, lv);
		unsigned s = shift_of(ps, lv);
		bool allowed = lv == 2 || (lv == 1 && ps == 12);
		uint64_t saved;
		uint8_t *p = f.ram + (table[lv] - RAM_BASE) + i * 8;

		memcpy(&saved, p, 8);
		put(&f, table[lv], i, 0);
		sh_walk_va(&w, va, &l);
		CHECK(!l.mapped);
		CHECK_EQ(l.level, lv);
		/* A block of a 2^s region at 2^s (aligned, maybe above RAM:
		 * the reader does not touch it). */
		put(&f, table[lv], i, (1ull << s) | 1 | (1ull << 10));
		sh_walk_va(&w, va, &l);
		CHECK_EQ(l.mapped, allowed);
		CHECK_EQ(l.level, lv);
		if (allowed)
			CHECK_EQ(l.pa, (1ull << s) + (va & ((1ull << s) - 1)));
		put(&f, table[lv], i, 0x7f0000000000ull | 3);
		sh_walk_va(&w, va, &l);
		CHECK(!l.mapped && l.bus);
		memcpy(p, &saved, 8);
	}
	free(f.ram);
}

static void geometries(void)
{
	static const unsigned g[][2] = {{12, 39}, {12, 48}, {14, 36}, {14, 47},
					{14, 48}, {16, 42}, {16, 48}};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		one_geometry(g[i][0], g[i][1]);
}

/* Brute force for sh_walk_first_mapped: page by page with sh_walk_va (a
 * leaf whose address faults counts: unmapping left it). */
static bool brute_first(const struct sh_walker *w, vaddr_t lo, vaddr_t hi,
			vaddr_t *first)
{
	uint64_t page = 1ull << w->page_shift;

	for (vaddr_t va = lo; va < hi; va = (va | (page - 1)) + 1) {
		struct sh_leaf l;

		sh_walk_va(w, va, &l);
		if (l.mapped || l.addr_size) {
			*first = va;
			return true;
		}
	}
	return false;
}

/* sh_walk_first_mapped on one geometry: an empty window, a page, blocks
 * at each level (one starting below the range), a table outside RAM,
 * reserved entries, then random leaves in one last-level table against
 * the page-by-page walk, with and without the descent memo. */
static void first_mapped_geometry(unsigned ps, unsigned va_bits)
{
	struct vmf_config cfg;
	struct fake f;
	struct sh_observer obs;
	struct sh_walker w;
	struct sh_walk_memo memo;
	uint64_t page = 1ull << ps;
	uint64_t entries = page / 8;
	int start = 4 - (int)((va_bits - 4) / (ps - 3));
	vaddr_t lo = ~0ull << va_bits, top = ~0ull - (page - 1);
	vaddr_t va = lo | (5ull << shift_of(ps, 2)) | (3ull << ps), got = 0;
	phys_addr_t table[4];
	phys_addr_t data = RAM_BASE + 10 * page;
	uint64_t prot = 0x0068000000000703ull; /* PAGE_KERNEL */
	uint64_t x = 0x9e3779b97f4a7c15ull ^ ps ^ va_bits;

	memset(&cfg, 0, sizeof(cfg));
	cfg.page_shift = ps;
	cfg.va_bits = va_bits;
	cfg.pa_bits = 40;
	f.size = RAM_PAGES * page;
	f.ram = calloc(1, f.size);
	CHECK(f.ram != NULL);
	if (!f.ram)
		return;
	memset(&obs, 0, sizeof(obs));
	obs.ctx = &f;
	obs.phys_read = fake_read;
	sh_walker_init(&w, &cfg, RAM_BASE, &obs);

	/* Nothing at all, over the whole TTBR1 half; empty and inverted
	 * ranges; a range below TTBR1. */
	CHECK(!sh_walk_first_mapped(&w, lo, top, &got));
	CHECK(!sh_walk_first_mapped(&w, va, va, &got));
	CHECK(!sh_walk_first_mapped(&w, va + page, va, &got));
	CHECK(!sh_walk_first_mapped(&w, 0, 1ull << 30, &got));

	for (int lv = start; lv <= 3; lv++)
		table[lv] = RAM_BASE + (uint64_t)(lv - start) * page;
	for (int lv = start; lv < 3; lv++)
		put(&f, table[lv], idx_of(ps, va_bits, start, va, lv),
		    table[lv + 1] | 3);
	/* Tables but no leaf; a reserved 01 entry at level 3. */
	CHECK(!sh_walk_first_mapped(&w, lo, top, &got));
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3), data | 1);
	CHECK(!sh_walk_first_mapped(&w, lo, top, &got));
	/* One page: found from anywhere below it or inside it. */
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3), data | prot);
	CHECK(sh_walk_first_mapped(&w, lo, top, &got) && got == va);
	CHECK(sh_walk_first_mapped(&w, va + 8, va + page, &got) &&
	      got == va + 8);
	CHECK(!sh_walk_first_mapped(&w, lo, va, &got));
	CHECK(!sh_walk_first_mapped(&w, va + page, top, &got));
	/* A leaf whose output address faults still counts. */
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3),
	    (1ull << 45) | prot);
	CHECK(sh_walk_first_mapped(&w, lo, top, &got) && got == va);
	put(&f, table[3], idx_of(ps, va_bits, start, va, 3), 0);

	/* Above level 3: a block where allowed (found from a start inside
	 * it), nothing where not; a table outside RAM reads as nothing. */
	for (int lv = start; lv < 3; lv++) {
		uint64_t i = idx_of(ps, va_bits, start, va, lv);
		unsigned s = shift_of(ps, lv);
		bool allowed = lv == 2 || (lv == 1 && ps == 12);
		vaddr_t base = va & ~((1ull << s) - 1);
		uint8_t *p = f.ram + (table[lv] - RAM_BASE) + i * 8;
		uint64_t saved;

		memcpy(&saved, p, 8);
		put(&f, table[lv], i, (1ull << s) | 1 | (1ull << 10));
		CHECK_EQ(sh_walk_first_mapped(&w, lo, top, &got), allowed);
		if (allowed)
			CHECK_EQ(got, base);
		CHECK_EQ(sh_walk_first_mapped(&w, va + page, va + 2 * page,
					      &got), allowed);
		if (allowed)
			CHECK_EQ(got, va + page);
		put(&f, table[lv], i, 0x80000000ull | 3);
		CHECK(!sh_walk_first_mapped(&w, lo, top, &got));
		memcpy(p, &saved, 8);
	}

	/* Random leaves in the last-level table against the brute force,
	 * ranges inside and across its span, memo off and on. */
	memset(&memo, 0, sizeof(memo));
	for (int round = 0; round < 200; round++) {
		uint64_t span = entries * page;
		vaddr_t tbase = va & ~(span - 1);
		vaddr_t a, b, want = 0;
		bool found;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if (round % 20 == 0)
			memset(f.ram + (table[3] - RAM_BASE), 0, page);
		put(&f, table[3], (x >> 20) % entries,
		    (x >> 60) & 1 ? data | prot : (x >> 61) & 1 ? data | 1 : 0);
		a = tbase - span + ((x >> 8) % (3 * entries)) * page +
		    ((x >> 40) & 7) * 8;
		b = a + ((x >> 30) % (2 * entries)) * page + 8;
		w.memo = round & 1 ? &memo : NULL;
		memo.on = true;
		found = brute_first(&w, a, b, &want);
		CHECK_EQ(sh_walk_first_mapped(&w, a, b, &got), found);
		if (found)
			CHECK_EQ(got, want);
	}
	free(f.ram);
}

static void first_mapped(void)
{
	static const unsigned g[][2] = {{12, 39}, {12, 48}, {14, 36}, {14, 47},
					{14, 48}, {16, 42}, {16, 48}};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		first_mapped_geometry(g[i][0], g[i][1]);
}

/* The identity fill: the documented formula, little-endian words. */
static void identity_fill(void)
{
	uint8_t b[24];
	uint64_t x = (0x40123ull << 32 | 1) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 32;
	CHECK_EQ(sh_fill_word(0x40123, 1), x);
	sh_fill_bytes(0x40123, 5, b, sizeof(b));
	CHECK_EQ(b[3], (uint8_t)x);         /* byte 8 = word 1, byte 0 */
	CHECK_EQ(b[4], (uint8_t)(x >> 8));
	CHECK(sh_fill_word(0x40123, 1) != sh_fill_word(0x40124, 1));
	/* Every byte of a word depends on the frame. */
	for (int k = 0; k < 8; k++)
		CHECK((uint8_t)(sh_fill_word(7, 3) >> (8 * k)) !=
		      (uint8_t)(sh_fill_word(8, 3) >> (8 * k)));
}

/* sh_walk_check_run's page-array reads (the plant audit's two sites no
 * runner reaches: a new area's array is in place, and a nested one is
 * verified as an area of its own first, before the area it serves): an
 * area whose kmalloc'ed array the observer cannot give, and one whose
 * nested array's address the reader cannot translate (an empty root). */
static phys_addr_t fake_ttbr1(void *ctx)
{
	(void)ctx;
	return RAM_BASE;
}

static void page_array_reads(void)
{
	struct vmf_config cfg;
	struct fake f;
	struct sh_observer obs;
	struct shadow *sh = shadow_new();
	struct sh_area a;
	struct sh_page_obs lib[1];
	struct sh_fail fl;

	CHECK(sh != NULL);
	if (!sh)
		return;
	vmf_config_default(&cfg);
	vmf_config_resolve(&cfg);
	f.size = RAM_PAGES << cfg.page_shift;
	f.ram = calloc(1, f.size);
	CHECK(f.ram != NULL);
	memset(&obs, 0, sizeof(obs));
	obs.ctx = &f;
	obs.phys_read = fake_read;
	obs.ttbr1 = fake_ttbr1;
	CHECK_EQ(shadow_reset(sh, &cfg, &obs), 0);
	memset(&a, 0, sizeof(a));
	memset(lib, 0, sizeof(lib));
	a.start = cfg.vmalloc_start;
	a.end = a.start + (2ull << cfg.page_shift);
	a.state = SH_LIVE;
	a.kind = SHK_VMALLOC;
	a.nr_pages = 1;
	memset(&fl, 0, sizeof(fl));
	CHECK_EQ(sh_walk_check_run(sh, &a, 0, 1, lib, &fl), -1);
	CHECK_STR(fl.check, "page-array");
	CHECK(strstr(fl.detail, "no kmalloc'ed page array") != NULL);
	a.array_va = a.end;
	memset(&fl, 0, sizeof(fl));
	CHECK_EQ(sh_walk_check_run(sh, &a, 0, 1, lib, &fl), -1);
	CHECK_STR(fl.check, "page-array");
	CHECK(strstr(fl.detail, "the reader finds a translation fault") != NULL);
	shadow_destroy(sh);
	free(f.ram);
}

TEST_MAIN(TEST(geometries), TEST(first_mapped), TEST(identity_fill),
	  TEST(page_array_reads))
