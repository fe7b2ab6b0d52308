/* The block leaves of an ioremap area read by the shadow's own reader
 * (shadow_huge.c verify_block, hole 8): the fake observer of
 * shadow_huge_fake.h gets a few pages of RAM holding real translation
 * tables and a TTBR1, so the reader walks them while lib's view (the
 * fake's `page`) is set by hand. Each case corrupts one descriptor in RAM
 * with lib's view left agreeing with the rule, and the reader's check
 * must name it; then lib's view alone is made wrong (`walk-lib`); without
 * RAM in the observer the old check (lib's view against the rule) runs.
 * No library code is called. */
/* The fake's helpers for lazy areas, flushes and warnings are not used
 * here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "shadow_huge_fake.h"
#pragma GCC diagnostic pop

#define RAM_BASE 0x40000000ull /* the fake's RAM (shadow_huge_fake.h) */
#define NT 4                   /* table pages: root, level 1, level 2 */
#define T(k) (RAM_BASE + (k) * P)

struct rk {
	struct fk x; /* first: the observer's ctx is &rk.x */
	uint8_t ram[NT * P];
};

static bool rk_read(void *ctx, phys_addr_t pa, void *buf, size_t len)
{
	struct rk *r = ctx;

	if (pa < RAM_BASE || pa - RAM_BASE > sizeof(r->ram) ||
	    len > sizeof(r->ram) - (pa - RAM_BASE))
		return false; /* not one of the table pages */
	memcpy(buf, r->ram + (pa - RAM_BASE), len);
	return true;
}

static phys_addr_t rk_ttbr1(void *ctx)
{
	(void)ctx;
	return T(0);
}

/* 4K, 48-bit VA: level L resolves VA bits [12 + 9 * (4 - L) - 1 : 12 +
 * 9 * (3 - L)], 512 entries at every level (the root too). */
static uint64_t idx(vaddr_t va, int level)
{
	return (va >> (12 + 9 * (3 - level))) & 511;
}

static uint64_t *slot(struct rk *r, phys_addr_t table, vaddr_t va, int level)
{
	return (uint64_t *)(void *)(r->ram + (table - RAM_BASE) +
				    idx(va, level) * 8);
}

/* Little-endian words, as the reader reads them. */
static void put(struct rk *r, phys_addr_t table, vaddr_t va, int level,
		uint64_t d)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(d >> (8 * i));
	memcpy(slot(r, table, va, level), b, 8);
}

static uint64_t get(struct rk *r, phys_addr_t table, vaddr_t va, int level)
{
	uint8_t b[8];
	uint64_t d = 0;

	memcpy(b, slot(r, table, va, level), 8);
	for (int i = 0; i < 8; i++)
		d |= (uint64_t)b[i] << (8 * i);
	return d;
}

/* A fresh shadow whose observer reads r's RAM, the root at T(0) holding
 * the level-1 table T(1) for the window's first 512 GiB. */
static void rk_init(struct rk *r)
{
	memset(r->ram, 0, sizeof(r->ram));
	fk_init(&r->x);
	r->x.sh->obs.phys_read = rk_read;
	r->x.sh->obs.ttbr1 = rk_ttbr1;
	put(r, T(0), W, 0, T(1) | PTE_TYPE_TABLE);
}

static int io(struct fk *x, phys_addr_t phys, uint64_t size, vaddr_t observed)
{
	shadow_begin(x->sh);
	return shadow_ioremap(x->sh, phys, size, PK, observed, &x->f);
}

/* 2 MiB at D: a PMD block at W (test_shadow_huge.c ok_pmd_block), in
 * RAM under T(1) -> T(2), and in lib's view. */
static void pmd_block(struct rk *r)
{
	rk_init(r);
	put(r, T(1), W, 1, T(2) | PTE_TYPE_TABLE);
	put(r, T(2), W, 2, BLK(D));
	fk_ioarea(&r->x, W, M2, D);
	fk_run(&r->x, W, 2, 1, D);
	fk_tables(&r->x, 2);
	CHECK_EQ(io(&r->x, D, M2, W), 0);
}

/* Each case's rk is calloc'ed (16 KiB, off the stack) as rp. */
#define r (*rp)

static void reader_judges_pmd_block(void)
{
	struct rk *rp = calloc(1, sizeof(*rp)); /* 16 KiB: off the stack */
	uint64_t blk;

	if (!rp)
		return;

	pmd_block(&r);
	CHECK_STR(verdict(&r.x), "ok");
	blk = get(&r, T(2), W, 2);

	/* The type bits flipped to a table (0b11): the reader walks into D as
	 * if it held a table (not RAM here); lib's view still a block. */
	put(&r, T(2), W, 2, blk | PTE_TABLE_BIT);
	CHECK_STR(verdict(&r.x), "walk");
	CHECK(strstr(r.x.f.detail, "a table outside RAM at level 3") != NULL);
	/* Nothing at the PMD entry (the block's slot written elsewhere). */
	put(&r, T(2), W, 2, 0);
	CHECK_STR(verdict(&r.x), "walk");
	CHECK(strstr(r.x.f.detail, "a translation fault at level 2") != NULL);
	/* The PTE table the block replaced still linked (no table below). */
	put(&r, T(2), W, 2, T(3) | PTE_TYPE_TABLE);
	CHECK_STR(verdict(&r.x), "walk");
	/* The entry above the block not a table descriptor: its valid bit
	 * clear (a PUD block there would map the guard page too, which the
	 * guard check reports first). */
	put(&r, T(2), W, 2, blk);
	put(&r, T(1), W, 1, T(2) | PTE_TABLE_BIT);
	CHECK_STR(verdict(&r.x), "walk");
	CHECK(strstr(r.x.f.detail, "a translation fault at level 1") != NULL);
	put(&r, T(1), W, 1, T(2) | PTE_TYPE_TABLE);
	CHECK_STR(verdict(&r.x), "ok");

	/* Another output address. */
	put(&r, T(2), W, 2, blk + M2);
	CHECK_STR(verdict(&r.x), "frame");
	/* Another attribute: read-only. */
	put(&r, T(2), W, 2, blk | PTE_RDONLY);
	CHECK_STR(verdict(&r.x), "mapping");
	/* A table attribute above it (APTable[1]: read-only below). */
	put(&r, T(2), W, 2, blk);
	put(&r, T(1), W, 1, T(2) | PTE_TYPE_TABLE | PMD_TABLE_AP_RO);
	CHECK_STR(verdict(&r.x), "mapping");
	CHECK(strstr(r.x.f.detail, "table attributes 0x4000000000000000") !=
	      NULL);
	put(&r, T(0), W, 0, T(1) | PTE_TYPE_TABLE | PMD_TABLE_PXN);
	put(&r, T(1), W, 1, T(2) | PTE_TYPE_TABLE);
	CHECK_STR(verdict(&r.x), "mapping");
	put(&r, T(0), W, 0, T(1) | PTE_TYPE_TABLE);
	CHECK_STR(verdict(&r.x), "ok");

	/* RAM right, lib's walk wrong: its view is the second comparison. */
	r.x.run[r.x.nrun - 1].pa = D + M2;
	CHECK_STR(verdict(&r.x), "walk-lib");
	r.x.run[r.x.nrun - 1] = (struct fk_run){W, 3, 512, D, PK, false};
	CHECK_STR(verdict(&r.x), "walk-lib");
	r.x.run[r.x.nrun - 1] = (struct fk_run){W, 2, 1, D, PK, false};
	CHECK_STR(verdict(&r.x), "ok");
	shadow_destroy(r.x.sh);
	free(rp);
}

/* 1 GiB at D + 1 GiB onto G: a PUD block in the level-1 table. */
static void reader_judges_pud_block(void)
{
	struct rk *rp = calloc(1, sizeof(*rp));
	uint64_t blk = BLK(D + G1);

	if (!rp)
		return;

	rk_init(&r);
	put(&r, T(1), G, 1, blk);
	fk_ioarea(&r.x, G, G1, D + G1);
	fk_run(&r.x, G, 1, 1, D + G1);
	fk_tables(&r.x, 1);
	CHECK_EQ(io(&r.x, D + G1, G1, G), 0);
	CHECK_STR(verdict(&r.x), "ok");
	/* Written as a PMD table pointer (0b11): lib's view a block still. */
	put(&r, T(1), G, 1, blk | PTE_TABLE_BIT);
	CHECK_STR(verdict(&r.x), "walk");
	put(&r, T(1), G, 1, blk & ~PTE_AF);
	CHECK_STR(verdict(&r.x), "mapping");
	put(&r, T(1), G, 1, blk);
	CHECK_STR(verdict(&r.x), "ok");
	shadow_destroy(r.x.sh);
	free(rp);
}

/* Without RAM in the observer (the other unit tests' fakes) the reader is
 * off: lib's view against the rule, as before. */
static void without_ram_lib_view(void)
{
	struct rk *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return;
	pmd_block(&r);
	r.x.sh->obs.phys_read = NULL;
	r.x.sh->obs.ttbr1 = NULL;
	put(&r, T(2), W, 2, 0); /* not read */
	CHECK_STR(verdict(&r.x), "ok");
	r.x.run[r.x.nrun - 1].pa = D + M2;
	CHECK_STR(verdict(&r.x), "mapping");
	shadow_destroy(r.x.sh);
	free(rp);
}

TEST_MAIN(TEST(reader_judges_pmd_block), TEST(reader_judges_pud_block),
	  TEST(without_ram_lib_view))
