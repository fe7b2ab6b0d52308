/* The shadow's huge-mapping model on its own (shadow_huge.c: 4.19
 * __ioremap_caller, ioremap_page_range, pmd_free_pte_page /
 * pud_free_pmd_page, __iounmap), against outcomes worked out by hand: a
 * fake observer plays a correct kernel (leaves, areas, flushes, warnings,
 * table pages written here as exact values), and every case also shows
 * that a wrong observation is reported. No library code is called.
 *
 * 4K pages, 48-bit VA (start level 0), 64 MiB of RAM at 0x40000000, PA 40
 * bits, legacy placement: the window starts at W = 0xffff000008000000;
 * PMD_SIZE 2 MiB (level 2), PUD_SIZE 1 GiB (level 1). Bring-up holds the
 * root: 1 table page. Device memory at D = 0x1000000000 (64 GiB). */
#include <string.h>

#include <vmfuzz/config.h>
#include <vmfuzz/page_alloc.h>

#include "shadow_model.h"
#include "shadow_walk.h"
#include "test.h"

#define P 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull
#define W 0xffff000008000000ull
#define G 0xffff000040000000ull /* the first 1 GiB boundary in the window */
#define D 0x1000000000ull
#define PK PAGE_KERNEL
#define BLK(pa) ((pa) | (PK & ~PTE_TABLE_BIT) | PTE_TYPE_BLOCK)

/* A run of nr leaves of one level from va, mapping pa onwards. */
struct fk_run {
	vaddr_t va;
	int level;
	uint64_t nr;
	phys_addr_t pa;
	uint64_t prot;
	bool vmalloc;   /* allocated OWNER_VMALLOC frames */
};

struct fk {
	struct shadow *sh;
	struct vmf_config cfg;
	struct sh_counters c;   /* hand-written fields, see ob_counters */
	struct fk_run run[64];
	size_t nrun;
	struct sh_flush_exp fl[64];
	enum vmf_warn_kind w[64];
	struct sh_area_obs area[16];
	size_t narea;
	struct sh_fail f;
};

static uint64_t lsize(int level)
{
	return level == 1 ? G1 : level == 2 ? M2 : P;
}

static void ob_counters(void *ctx, struct sh_counters *c)
{
	struct fk *x = ctx;
	struct shadow *sh = x->sh;

	*c = sh->exp; /* kmalloc, fault calls, placement cache: not ours */
	c->cache_set = sh->legacy.cache_set;
	c->cache_va_start = sh->legacy.cache_start;
	c->cached_hole_size = sh->legacy.hole;
	c->cached_vstart = sh->legacy.vstart;
	c->cached_align = sh->legacy.align;
	c->warn_seq = x->c.warn_seq;
	memcpy(c->warn_count, x->c.warn_count, sizeof(c->warn_count));
	c->flush_seq = x->c.flush_seq;
	c->nr_busy = x->c.nr_busy;
	c->nr_lazy = x->c.nr_lazy;
	c->vmap_lazy_nr = x->c.vmap_lazy_nr;
	c->nr_purges = x->c.nr_purges;
	c->nr_purge_calls = x->c.nr_purge_calls;
	c->pgtable_pages = x->c.pgtable_pages;
	c->walk_stale_hits = x->c.walk_stale_hits;
	c->walk_cache_fills = x->c.walk_cache_fills;
	c->node_free[0] = x->c.node_free[0];
}

static bool ob_warn_get(void *ctx, uint64_t seq, enum vmf_warn_kind *kind,
			const char **text)
{
	struct fk *x = ctx;

	*kind = x->w[seq % 64];
	*text = "";
	return seq <= x->c.warn_seq;
}

static bool ob_flush_get(void *ctx, uint64_t seq, enum tlb_flush_kind *kind,
			 vaddr_t *start, vaddr_t *end)
{
	struct fk *x = ctx;

	*kind = x->fl[seq % 64].kind;
	*start = x->fl[seq % 64].start;
	*end = x->fl[seq % 64].end;
	return seq <= x->c.flush_seq && seq + 64 > x->c.flush_seq;
}

static void ob_page(void *ctx, vaddr_t va, struct sh_page_obs *o)
{
	struct fk *x = ctx;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < x->nrun; i++) {
		const struct fk_run *r = &x->run[i];
		uint64_t sz = lsize(r->level), k;
		phys_addr_t pa;

		if (va < r->va || va - r->va >= r->nr * sz)
			continue;
		k = (va - r->va) / sz;
		pa = r->pa + k * sz;
		o->mapped = true;
		o->level = r->level;
		o->desc = r->level == 3 ? pa | r->prot :
			  pa | (r->prot & ~PTE_TABLE_BIT) | PTE_TYPE_BLOCK;
		o->pa = pa + (va & (sz - 1));
		o->ram = o->allocated = r->vmalloc;
		o->owner = r->vmalloc ? OWNER_VMALLOC : 0;
		return;
	}
}

static void ob_pages(void *ctx, vaddr_t va, size_t nr, struct sh_page_obs *o)
{
	for (size_t i = 0; i < nr; i++)
		ob_page(ctx, va + i * P, &o[i]);
}

static pfn_t ob_vmalloc_pfn(void *ctx, vaddr_t va)
{
	struct sh_page_obs o;

	ob_page(ctx, va, &o);
	return o.mapped ? o.pa / P : 0;
}

static bool ob_first_mapped(void *ctx, vaddr_t s, vaddr_t e, vaddr_t *first)
{
	struct fk *x = ctx;
	bool any = false;

	for (size_t i = 0; i < x->nrun; i++) {
		const struct fk_run *r = &x->run[i];
		vaddr_t rs = r->va, re = r->va + r->nr * lsize(r->level);
		vaddr_t f = rs > s ? rs : s;

		if (rs < e && s < re && (!any || f < *first)) {
			*first = f;
			any = true;
		}
	}
	return any;
}

static bool ob_tlb_maps(void *ctx, vaddr_t s, vaddr_t e)
{
	(void)ctx;
	(void)s;
	(void)e;
	return false;
}

static bool ob_area_at(void *ctx, vaddr_t addr, struct sh_area_obs *a)
{
	struct fk *x = ctx;

	for (size_t i = 0; i < x->narea; i++)
		if (addr >= x->area[i].start && addr < x->area[i].end) {
			*a = x->area[i];
			return true;
		}
	return false;
}

/* ---- the fake kernel's state, set by hand ---------------------------------- */

static void fk_run(struct fk *x, vaddr_t va, int level, uint64_t nr,
		   phys_addr_t pa)
{
	x->run[x->nrun++] = (struct fk_run){va, level, nr, pa, PK, false};
}

static void fk_unrun(struct fk *x, vaddr_t s, vaddr_t e)
{
	for (size_t i = 0; i < x->nrun;) {
		if (x->run[i].va >= s && x->run[i].va < e)
			x->run[i] = x->run[--x->nrun];
		else
			i++;
	}
}

/* A live ioremap area of size bytes at va (guard page after it). */
static void fk_ioarea(struct fk *x, vaddr_t va, uint64_t size, phys_addr_t pa)
{
	struct sh_area_obs *a = &x->area[x->narea++];

	memset(a, 0, sizeof(*a));
	a->start = va;
	a->end = va + size + P;
	a->state = SH_LIVE;
	a->has_vm = true;
	a->va_flags = SH_VA_VM_AREA;
	a->vm_addr = va;
	a->vm_flags = SH_VM_IOREMAP;
	a->vm_size = size + P;
	a->nr_mapped = size / P;
	a->phys_addr = pa;
	a->has_caller = true;
	strcpy(a->caller, "ioremap");
	x->c.nr_busy++;
}

static void fk_lazy(struct fk *x, vaddr_t va)
{
	for (size_t i = 0; i < x->narea; i++)
		if (x->area[i].start == va) {
			memset(&x->area[i].has_vm, 0,
			       sizeof(x->area[i]) -
				       offsetof(struct sh_area_obs, has_vm));
			x->area[i].state = SH_LAZY;
			x->area[i].va_flags = SH_VA_LAZY_FREE;
			x->c.nr_lazy++;
			x->c.vmap_lazy_nr += (x->area[i].end - va) / P;
		}
}

static void fk_flush(struct fk *x, enum tlb_flush_kind k, vaddr_t s, vaddr_t e)
{
	x->c.flush_seq++;
	x->fl[x->c.flush_seq % 64].kind = k;
	x->fl[x->c.flush_seq % 64].start = s;
	x->fl[x->c.flush_seq % 64].end = e;
}

static void fk_warn(struct fk *x, enum vmf_warn_kind k)
{
	x->c.warn_seq++;
	x->c.warn_count[k]++;
	x->w[x->c.warn_seq % 64] = k;
}

/* Table pages: each also takes a page of node 0. */
static void fk_tables(struct fk *x, long d)
{
	x->c.pgtable_pages += (uint64_t)d;
	x->c.node_free[0] -= (uint64_t)d;
}

static void fk_init(struct fk *x)
{
	struct sh_observer o = {
		.ctx = x,
		.counters = ob_counters,
		.warn_get = ob_warn_get,
		.flush_get = ob_flush_get,
		.page = ob_page,
		.pages = ob_pages,
		.vmalloc_pfn = ob_vmalloc_pfn,
		.first_mapped = ob_first_mapped,
		.tlb_maps = ob_tlb_maps,
		.area_at = ob_area_at,
	};
	struct shadow *sh = x->sh;

	memset(x, 0, sizeof(*x));
	x->sh = sh ? sh : shadow_new();
	vmf_config_default(&x->cfg);
	vmf_config_resolve(&x->cfg);
	CHECK_EQ(x->cfg.vmalloc_start, W);
	CHECK(shadow_reset(x->sh, &x->cfg, &o) == 0);
	/* 64 MiB = 16384 frames, the root taken */
	x->c.pgtable_pages = 1;
	x->c.node_free[0] = 16383;
	shadow_begin(x->sh);
	shadow_init(x->sh);
	CHECK(shadow_verify(x->sh, &x->f) == 0);
}

static const char *verdict(struct fk *x)
{
	if (shadow_verify(x->sh, &x->f) == 0)
		return "ok";
	if (getenv("SHOW_FAIL"))
		fprintf(stderr, "  [%s] %s\n", x->f.check, x->f.detail);
	return x->f.check;
}

static int io(struct fk *x, phys_addr_t phys, uint64_t size, vaddr_t observed)
{
	shadow_begin(x->sh);
	return shadow_ioremap(x->sh, phys, size, PK, observed, &x->f);
}

static int iounmap_(struct fk *x, vaddr_t addr, long observed)
{
	shadow_begin(x->sh);
	return shadow_iounmap(x->sh, addr, observed, &x->f);
}

/* ---- cases ------------------------------------------------------------------ */

/* 2 MiB at D: size 2 MiB, VM_IOREMAP align 1 << fls(2 MiB) = 4 MiB: the
 * window's start. pud_alloc and pmd_alloc make the level-1 and level-2
 * tables; the PMD entry at W is a whole step, D is 2 MiB aligned: a
 * block, no level-3 table. */
static void ok_pmd_block(struct fk *x)
{
	fk_ioarea(x, W, M2, D);
	fk_run(x, W, 2, 1, D);
	fk_tables(x, 2);
	CHECK_EQ(io(x, D, M2, W), 0);
	CHECK_STR(verdict(x), "ok");
}

static void pmd_block_and_pages(void)
{
	struct fk x = {0};

	fk_init(&x);
	ok_pmd_block(&x);
	/* D + 4 KiB: 2 MiB of pages at the next 4 MiB boundary (W + 4 MiB),
	 * one new level-3 table. */
	fk_ioarea(&x, W + 2 * M2, M2, D + P);
	fk_run(&x, W + 2 * M2, 3, 512, D + P);
	fk_tables(&x, 1);
	CHECK_EQ(io(&x, D + P, M2, W + 2 * M2), 0);
	CHECK_STR(verdict(&x), "ok");
	/* An unaligned phys inside a page: 0x10 + 0x1000 bytes at D + 0x10
	 * take 2 pages (PAGE_ALIGN(size + offset)), align 1 << fls(8 KiB) =
	 * 16 KiB: 4.19's nocache walk (align below cached_align) finds the
	 * hole after the first area, ALIGN(W + 2 MiB + 4 KiB, 16 KiB); the
	 * address returned keeps the offset. A new level-3 table for the
	 * PMD entry [W + 2 MiB, W + 4 MiB). */
	fk_ioarea(&x, W + M2 + 4 * P, 2 * P, D);
	fk_run(&x, W + M2 + 4 * P, 3, 2, D);
	fk_tables(&x, 1);
	CHECK_EQ(io(&x, D + 0x10, 0x1000, W + M2 + 4 * P + 0x10), 0);
	CHECK_STR(verdict(&x), "ok");
	/* iounmap through the offset address: vunmap of the page, lazily. */
	fk_unrun(&x, W + M2 + 4 * P, W + M2 + 6 * P);
	fk_lazy(&x, W + M2 + 4 * P);
	CHECK_EQ(iounmap_(&x, W + M2 + 4 * P + 0x10, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

static void wrong_levels(void)
{
	struct fk x = {0};

	/* Pages where a block belongs. */
	fk_init(&x);
	fk_ioarea(&x, W, M2, D);
	fk_run(&x, W, 3, 512, D);
	fk_tables(&x, 2);
	CHECK_EQ(io(&x, D, M2, W), 0);
	CHECK_STR(verdict(&x), "mapping");
	CHECK(strstr(x.f.detail, "a PMD block") != NULL);

	/* A block for a physical address that is not 2 MiB aligned. */
	fk_init(&x);
	ok_pmd_block(&x);
	fk_ioarea(&x, W + 2 * M2, M2, D + P);
	fk_run(&x, W + 2 * M2, 2, 1, D);
	x.c.node_free[0]--;
	CHECK_EQ(io(&x, D + P, M2, W + 2 * M2), 0);
	CHECK_STR(verdict(&x), "pgtable"); /* no level-3 table either */
	x.c.pgtable_pages++;
	CHECK_STR(verdict(&x), "mapping");

	/* A block descriptor with the table bit (not a block). */
	fk_init(&x);
	fk_ioarea(&x, W, M2, D);
	x.run[x.nrun++] = (struct fk_run){W, 2, 1, D, PK, false};
	x.run[0].prot = PK | 0x0010000000000000ull; /* a stray bit 52: CONT */
	fk_tables(&x, 2);
	CHECK_EQ(io(&x, D, M2, W), 0);
	CHECK_STR(verdict(&x), "mapping");

	/* iounmap leaving the block mapped. */
	fk_init(&x);
	ok_pmd_block(&x);
	fk_lazy(&x, W);
	CHECK_EQ(iounmap_(&x, W, 0), 0);
	CHECK_STR(verdict(&x), "unmap");
	shadow_destroy(x.sh);
}

/* pmd_free_pte_page: pages at W + 4 MiB, unmapped and purged, then a
 * block over the same PMD entry: clear, flush the walk of that address,
 * free the level-3 table. */
static void pte_table_freed_under_a_block(void)
{
	struct fk x = {0};

	fk_init(&x);
	ok_pmd_block(&x);
	fk_ioarea(&x, W + 2 * M2, M2, D + P);
	fk_run(&x, W + 2 * M2, 3, 512, D + P);
	fk_tables(&x, 1);
	CHECK_EQ(io(&x, D + P, M2, W + 2 * M2), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_unrun(&x, W + 2 * M2, W + 3 * M2);
	fk_lazy(&x, W + 2 * M2);
	CHECK_EQ(iounmap_(&x, W + 2 * M2, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* The purge: one flush over the lazy area (513 pages <= 1024). */
	shadow_begin(x.sh);
	shadow_purge(x.sh);
	x.c.nr_purge_calls++;
	x.c.nr_purges++;
	x.c.nr_lazy = x.c.vmap_lazy_nr = 0;
	x.c.nr_busy--;
	x.narea--;
	fk_flush(&x, TLB_FLUSH_RANGE, W + 2 * M2, W + 3 * M2 + P);
	CHECK_STR(verdict(&x), "ok");
	/* The block over the old table: TLB_FLUSH_PGTABLE [W + 4M, + 4K),
	 * one table page fewer. */
	fk_ioarea(&x, W + 2 * M2, M2, D + M2);
	fk_run(&x, W + 2 * M2, 2, 1, D + M2);
	CHECK_EQ(io(&x, D + M2, M2, W + 2 * M2), 0);
	/* wrong: the table kept, no flush */
	CHECK_STR(verdict(&x), "bbm");
	/* wrong: the flush of another address */
	fk_flush(&x, TLB_FLUSH_PGTABLE, W, W + P);
	CHECK_STR(verdict(&x), "bbm");
	x.fl[x.c.flush_seq % 64].start = W + 2 * M2;
	x.fl[x.c.flush_seq % 64].end = W + 2 * M2 + P;
	/* wrong: flushed, but the table not freed (its page is) */
	x.c.node_free[0]++;
	CHECK_STR(verdict(&x), "pgtable");
	x.c.pgtable_pages--;
	/* wrong: a flush of another kind */
	x.fl[x.c.flush_seq % 64].kind = TLB_FLUSH_RANGE;
	CHECK_STR(verdict(&x), "bbm");
	x.fl[x.c.flush_seq % 64].kind = TLB_FLUSH_PGTABLE;
	/* wrong: a walk went through the freed table */
	x.c.walk_stale_hits = 1;
	CHECK_STR(verdict(&x), "walk-stale");
	x.c.walk_stale_hits = 0;
	/* wrong: a break-before-make warning nobody predicted */
	fk_warn(&x, WARN_MMU_BBM);
	CHECK_STR(verdict(&x), "bbm");
	x.c.warn_seq--;
	x.c.warn_count[WARN_MMU_BBM]--;
	/* wrong: the walk cache filled without an access */
	x.c.walk_cache_fills = 3;
	CHECK_STR(verdict(&x), "tlb-stats");
	x.c.walk_cache_fills = 0;
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

/* PUD blocks and pud_free_pmd_page. 1 GiB at D + 4 KiB: align 1 GiB, at
 * G; not 1 GiB or 2 MiB aligned: 262144 pages, a level-2 table and 512
 * level-3 tables. Freed and purged (262145 pages > 1024: flush all), then
 * 1 GiB at D + 1 GiB over it: pud_free_pmd_page flushes each PMD entry's
 * table (G + i * 2 MiB, i = 0..511) and then G, and frees 513 pages. */
static void pud_block_over_a_pmd_table(void)
{
	struct fk x = {0};

	fk_init(&x);
	fk_ioarea(&x, G, G1, D + P);
	fk_run(&x, G, 3, G1 / P, D + P);
	fk_tables(&x, 1 + 1 + 512);
	CHECK_EQ(io(&x, D + P, G1, G), 0);
	CHECK_STR(verdict(&x), "ok");
	/* iounmap: 262145 lazy pages pass lazy_max_pages (3 * 8192): the
	 * purge runs at once */
	fk_unrun(&x, G, G + G1);
	fk_lazy(&x, G);
	CHECK_EQ(iounmap_(&x, G, 0), 0);
	x.c.nr_purge_calls++;
	x.c.nr_purges++;
	x.c.nr_lazy = x.c.vmap_lazy_nr = 0;
	x.c.nr_busy--;
	x.narea--;
	/* wrong: the purge's flush missing */
	CHECK_STR(verdict(&x), "flush");
	fk_flush(&x, TLB_FLUSH_ALL, G, G + G1 + P);
	CHECK_STR(verdict(&x), "ok");

	fk_ioarea(&x, G, G1, D + G1);
	fk_run(&x, G, 1, 1, D + G1);
	for (uint64_t i = 0; i < 512; i++)
		fk_flush(&x, TLB_FLUSH_PGTABLE, G + i * M2, G + i * M2 + P);
	fk_flush(&x, TLB_FLUSH_PGTABLE, G, G + P);
	fk_tables(&x, -513);
	CHECK_EQ(io(&x, D + G1, G1, G), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the PUD's own flush before its PMD entries' */
	x.fl[(x.c.flush_seq - 1) % 64].start = G;
	x.fl[(x.c.flush_seq - 1) % 64].end = G + P;
	x.fl[x.c.flush_seq % 64].start = G + 511 * M2;
	x.fl[x.c.flush_seq % 64].end = G + 511 * M2 + P;
	CHECK_STR(verdict(&x), "flush");
	x.fl[(x.c.flush_seq - 1) % 64].start = G + 511 * M2;
	x.fl[(x.c.flush_seq - 1) % 64].end = G + 511 * M2 + P;
	x.fl[x.c.flush_seq % 64].start = G;
	x.fl[x.c.flush_seq % 64].end = G + P;
	/* wrong: the PUD's block descriptor as pages at level 2 */
	x.run[x.nrun - 1] = (struct fk_run){G, 2, 512, D + G1, PK, false};
	CHECK_STR(verdict(&x), "mapping");
	x.run[x.nrun - 1] = (struct fk_run){G, 1, 1, D + G1, PK, false};
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

/* size 0, past the PA size, wrapping, RAM in use: refused with a warning
 * and nothing changed; RAM the harness owns (OP_FRAGMENT's page) maps. */
static void refusals_and_owned_ram(void)
{
	struct fk x = {0};
	pfn_t frag = 0x40000000 / P + 100;

	fk_init(&x);
	fk_warn(&x, WARN_VMALLOC_BAD_SIZE);
	CHECK_EQ(io(&x, D, 0, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_warn(&x, WARN_VMALLOC_BAD_ARG);
	CHECK_EQ(io(&x, (1ull << 40) - P, 2 * P, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_warn(&x, WARN_VMALLOC_BAD_SIZE); /* wraps: docs/vmalloc.md */
	CHECK_EQ(io(&x, ~0ull - P, 4 * P, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* RAM no one handed to the harness (the frame is free) */
	fk_warn(&x, WARN_VMALLOC_BAD_ARG);
	CHECK_EQ(io(&x, frag * P, P, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: mapped anyway */
	CHECK(io(&x, frag * P, P, W) != 0);
	CHECK_STR(x.f.check, "address");

	fk_init(&x);
	shadow_begin(x.sh);
	CHECK_EQ(shadow_harness_page_alloc(x.sh, SH_OWN_FRAG, true, frag, &x.f),
		 0);
	x.c.node_free[0]--;
	CHECK_STR(verdict(&x), "ok");
	/* one page: align 1 << fls(4 KiB) = 8 KiB, at W; three new tables */
	fk_ioarea(&x, W, P, frag * P);
	fk_run(&x, W, 3, 1, frag * P);
	fk_tables(&x, 3);
	CHECK_EQ(io(&x, frag * P, P, W), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
	x.sh = NULL;

	/* The level-1 table cannot be had (pud_alloc): the area is vunmapped
	 * (lazily) and ioremap fails. */
	fk_init(&x);
	shadow_begin(x.sh);
	shadow_fault_set(x.sh, FAULT_PGTABLE, FAULT_NTH, 1);
	fk_ioarea(&x, W, M2, D);
	fk_lazy(&x, W);
	CHECK_EQ(io(&x, D, M2, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the library did not free the area lazily */
	x.c.nr_lazy = 0;
	CHECK_STR(verdict(&x), "lazy");
	shadow_destroy(x.sh);
}

/* Accesses: device memory aborts on data at the leaf's level; RAM the
 * harness owns is read and written (bytes not compared). */
static void accesses(void)
{
	struct fk x = {0};
	struct sh_access a;
	uint8_t buf[8] = {0};

	fk_init(&x);
	ok_pmd_block(&x);
	memset(&a, 0, sizeof(a));
	a.va = W + 0x1234;
	a.len = 8;
	a.acc = ACC_READ;
	a.el = 1;
	a.buf = buf;
	a.res.fault = MMU_FAULT_EXTERNAL;
	a.res.level = 2;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	a.res.level = 3;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	CHECK_STR(x.f.check, "access");
	a.res.fault = MMU_OK;
	a.done = 8;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	/* a translation only: no data, no abort */
	a.len = 0;
	a.done = 0;
	a.res.level = 2;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	shadow_destroy(x.sh);
}

/* vmalloc_to_page: a page of an ioremap of device memory has no struct
 * page: NULL (docs/vmalloc.md "ioremap"); a pfn found there is a report. */
static void to_page(void)
{
	struct fk x = {0};

	fk_init(&x);
	fk_ioarea(&x, W, 2 * P, D + P);
	fk_run(&x, W, 3, 2, D + P);
	fk_tables(&x, 3);
	CHECK_EQ(io(&x, D + P, 2 * P, W), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_begin(x.sh);
	CHECK_EQ(shadow_vmalloc_to_page(x.sh, W + P + 5, false, 0, &x.f), 0);
	CHECK(shadow_vmalloc_to_page(x.sh, W + P + 5, true, D / P + 2, &x.f) !=
	      0);
	CHECK_STR(x.f.check, "result");
	CHECK(shadow_vmalloc_to_page(x.sh, W, true, D / P + 1, &x.f) != 0);
	shadow_destroy(x.sh);
}

/* vmalloc_huge with huge vmalloc off: vmalloc_node with small pages (one
 * page at W, an 8-byte page array from kmalloc, three tables); on, with
 * PMD_SIZE to map: said to be unmodelled. */
static void vmalloc_huge_paths(void)
{
	struct fk x = {0};
	struct sh_alloc_req r;
	struct sh_area_obs *a;

	fk_init(&x);
	memset(&r, 0, sizeof(r));
	r.entry = SH_E_VMALLOC_HUGE;
	r.size = P;
	r.node = 0;
	a = &x.area[x.narea++];
	*a = (struct sh_area_obs){.start = W, .end = W + 2 * P,
				  .state = SH_LIVE, .has_vm = true,
				  .va_flags = SH_VA_VM_AREA, .vm_addr = W,
				  .vm_flags = SH_VM_ALLOC, .vm_size = 2 * P,
				  .nr_pages = 1, .nr_mapped = 1,
				  .has_caller = true};
	strcpy(a->caller, "vmalloc_huge");
	x.c.nr_busy++;
	x.run[x.nrun++] = (struct fk_run){W, 3, 1, 0x40005000, PK, true};
	fk_tables(&x, 3);
	x.c.node_free[0]--;
	shadow_begin(x.sh);
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: another caller name */
	strcpy(a->caller, "vmalloc_node");
	CHECK_STR(verdict(&x), "vm_struct/caller");
	shadow_destroy(x.sh);
	x.sh = NULL;

	fk_init(&x);
	x.sh->cfg.huge_vmalloc = true;
	r.size = M2;
	shadow_begin(x.sh);
	CHECK(shadow_alloc(x.sh, &r, W, &x.f) != 0);
	CHECK_STR(x.f.check, "unmodelled");
	/* below PMD_SIZE: the small-page path */
	r.size = P;
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	shadow_destroy(x.sh);
}

/* A vmap passed VM_IOREMAP is not an ioremap: its pages are the caller's
 * RAM, read through the MMU like any vmap's. */
static void vmap_with_vm_ioremap(void)
{
	struct fk x = {0};
	struct sh_alloc_req r;
	struct sh_access acc;
	struct sh_area_obs *a;
	pfn_t pfn = 0x40005;
	uint8_t buf[8] = {0};

	fk_init(&x);
	memset(&r, 0, sizeof(r));
	r.entry = SH_E_VMAP;
	r.count = 1;
	r.pfns = &pfn;
	r.prot = PK;
	r.vm_flags = SH_VM_IOREMAP;
	a = &x.area[x.narea++];
	*a = (struct sh_area_obs){.start = W, .end = W + 2 * P,
				  .state = SH_LIVE, .has_vm = true,
				  .va_flags = SH_VA_VM_AREA, .vm_addr = W,
				  .vm_flags = SH_VM_IOREMAP | SH_VM_MAP,
				  .vm_size = 2 * P, .nr_mapped = 1,
				  .has_caller = true};
	strcpy(a->caller, "vmap");
	x.c.nr_busy++;
	x.run[x.nrun++] = (struct fk_run){W, 3, 1, pfn * P, PK, false};
	fk_tables(&x, 3);
	shadow_begin(x.sh);
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	CHECK_STR(verdict(&x), "ok");
	memset(&acc, 0, sizeof(acc));
	acc.va = W;
	acc.len = acc.done = 8;
	acc.acc = ACC_READ;
	acc.el = 1;
	acc.buf = buf;
	acc.res.level = 3;
	/* The caller's page, never written: its identity fill. */
	sh_fill_bytes(pfn, 0, buf, sizeof(buf));
	shadow_begin(x.sh);
	CHECK_EQ(shadow_access(x.sh, &acc, &x.f), 0);
	shadow_destroy(x.sh);
}

TEST_MAIN(TEST(pmd_block_and_pages), TEST(wrong_levels),
	  TEST(pte_table_freed_under_a_block), TEST(pud_block_over_a_pmd_table),
	  TEST(refusals_and_owned_ram), TEST(accesses), TEST(to_page),
	  TEST(vmalloc_huge_paths), TEST(vmap_with_vm_ioremap))
