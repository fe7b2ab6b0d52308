/* The fake kernel of the shadow's huge-mapping tests (test_shadow_huge.c):
 * an observer whose every answer is set by hand (leaves, areas, flushes,
 * warnings, counters, the buddy's free blocks), so a case states what a
 * correct kernel shows and then what a wrong one shows. No library code.
 *
 * 4K pages, 48-bit VA (start level 0), 64 MiB of RAM at 0x40000000, PA 40
 * bits, legacy placement unless a case says otherwise: the window starts
 * at W = 0xffff000008000000; PMD_SIZE 2 MiB (level 2), PUD_SIZE 1 GiB
 * (level 1). Bring-up holds the root: 1 table page, from node 0. Device
 * memory at D = 0x1000000000 (64 GiB). */
#ifndef VMFUZZ_TESTS_SHADOW_HUGE_FAKE_H
#define VMFUZZ_TESTS_SHADOW_HUGE_FAKE_H

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

/* Flush and warning events the fake keeps (the newest; by seq % FK_EV):
 * more than any case makes in one command, as the library keeps them all
 * (vmf_machine_keep_events). */
#define FK_EV 1024

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
	struct sh_flush_exp fl[FK_EV];
	enum vmf_warn_kind w[FK_EV];
	const char *wt[FK_EV];  /* warning texts ("" when not given) */
	struct sh_area_obs area[16];
	size_t narea;
	uint64_t nf[VMF_MAX_NODES][MAX_ORDER]; /* the buddy's free blocks */
	pfn_t bad_pfn;          /* a frame shown as not allocated (0: none) */
	pfn_t vpfn_off;         /* added to what vmalloc_to_pfn finds */
	struct sh_fail f;
};

/* The span of a leaf of level in the fake's granule. */
static uint64_t fk_lsize(const struct fk *x, int level)
{
	unsigned ps = x->cfg.page_shift ? x->cfg.page_shift : 12;

	return 1ull << (ps + (unsigned)(3 - level) * (ps - 3));
}

static uint64_t fk_ps(const struct fk *x)
{
	return fk_lsize(x, 3);
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
	memcpy(c->node_free, x->c.node_free, sizeof(c->node_free));
}

static bool ob_warn_get(void *ctx, uint64_t seq, enum vmf_warn_kind *kind,
			const char **text)
{
	struct fk *x = ctx;

	*kind = x->w[seq % FK_EV];
	*text = x->wt[seq % FK_EV] ? x->wt[seq % FK_EV] : "";
	return seq <= x->c.warn_seq;
}

static bool ob_flush_get(void *ctx, uint64_t seq, enum tlb_flush_kind *kind,
			 vaddr_t *start, vaddr_t *end)
{
	struct fk *x = ctx;

	*kind = x->fl[seq % FK_EV].kind;
	*start = x->fl[seq % FK_EV].start;
	*end = x->fl[seq % FK_EV].end;
	return seq <= x->c.flush_seq && seq + FK_EV > x->c.flush_seq;
}

static void ob_page(void *ctx, vaddr_t va, struct sh_page_obs *o)
{
	struct fk *x = ctx;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < x->nrun; i++) {
		const struct fk_run *r = &x->run[i];
		uint64_t sz = fk_lsize(x, r->level), k;
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
		if (x->bad_pfn && o->pa / fk_ps(x) == x->bad_pfn)
			o->allocated = false;
		return;
	}
}

static void ob_pages(void *ctx, vaddr_t va, size_t nr, struct sh_page_obs *o)
{
	for (size_t i = 0; i < nr; i++)
		ob_page(ctx, va + i * fk_ps(ctx), &o[i]);
}

static pfn_t ob_vmalloc_pfn(void *ctx, vaddr_t va)
{
	struct fk *x = ctx;
	struct sh_page_obs o;

	ob_page(ctx, va, &o);
	return o.mapped ? o.pa / fk_ps(x) + x->vpfn_off : 0;
}

static bool ob_first_mapped(void *ctx, vaddr_t s, vaddr_t e, vaddr_t *first)
{
	struct fk *x = ctx;
	bool any = false;

	for (size_t i = 0; i < x->nrun; i++) {
		const struct fk_run *r = &x->run[i];
		vaddr_t rs = r->va, re = r->va + r->nr * fk_lsize(x, r->level);
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

static void ob_free_blocks(void *ctx, unsigned node,
			   uint64_t nr_free[MAX_ORDER])
{
	struct fk *x = ctx;

	memcpy(nr_free, x->nf[node], sizeof(x->nf[node]));
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
			x->c.vmap_lazy_nr += (x->area[i].end - va) / fk_ps(x);
		}
}

static void fk_flush(struct fk *x, enum tlb_flush_kind k, vaddr_t s, vaddr_t e)
{
	x->c.flush_seq++;
	x->fl[x->c.flush_seq % FK_EV].kind = k;
	x->fl[x->c.flush_seq % FK_EV].start = s;
	x->fl[x->c.flush_seq % FK_EV].end = e;
}

static void fk_warn(struct fk *x, enum vmf_warn_kind k)
{
	x->c.warn_seq++;
	x->c.warn_count[k]++;
	x->w[x->c.warn_seq % FK_EV] = k;
	x->wt[x->c.warn_seq % FK_EV] = NULL;
}

static void fk_warn_text(struct fk *x, enum vmf_warn_kind k, const char *t)
{
	fk_warn(x, k);
	x->wt[x->c.warn_seq % FK_EV] = t;
}

/* Table pages: each also takes a page of node 0. */
static void fk_tables(struct fk *x, long d)
{
	x->c.pgtable_pages += (uint64_t)d;
	x->c.node_free[0] -= (uint64_t)d;
}

/* A machine of nodes nodes, the granule page_shift and ram bytes of RAM
 * (else the defaults), vmalloc_init run. */
static void fk_setup_ram(struct fk *x, unsigned nodes, unsigned page_shift,
			 uint64_t ram)
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
		.free_blocks = ob_free_blocks,
	};
	struct shadow *sh = x->sh;

	memset(x, 0, sizeof(*x));
	x->sh = sh ? sh : shadow_new();
	vmf_config_default(&x->cfg);
	x->cfg.nr_nodes = nodes;
	x->cfg.page_shift = page_shift;
	x->cfg.phys_size = ram;
	vmf_config_resolve(&x->cfg);
	if (page_shift == 12)
		CHECK_EQ(x->cfg.vmalloc_start, W);
	CHECK(shadow_reset(x->sh, &x->cfg, &o) == 0);
	/* 64 MiB of frames split evenly, the root taken from node 0 */
	x->c.pgtable_pages = 1;
	for (unsigned n = 0; n < nodes; n++)
		x->c.node_free[n] = (ram >> page_shift) / nodes;
	x->c.node_free[0]--;
	shadow_begin(x->sh);
	shadow_init(x->sh);
	CHECK(shadow_verify(x->sh, &x->f) == 0);
}

static void fk_setup(struct fk *x, unsigned nodes, unsigned page_shift)
{
	fk_setup_ram(x, nodes, page_shift, 64ull << 20);
}

static void fk_init(struct fk *x)
{
	fk_setup(x, 1, 12);
}

static const char *verdict(struct fk *x)
{
	if (shadow_verify(x->sh, &x->f) == 0)
		return "ok";
	if (getenv("SHOW_FAIL"))
		fprintf(stderr, "  [%s] %s\n", x->f.check, x->f.detail);
	return x->f.check;
}

#endif
