/* The observer: the only view the shadow model has of the machine (the
 * counters, warnings, flushes, pages and areas it may compare). Each
 * function reads the machine through lib/'s public interface; none
 * changes it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

/* ---- the observer: the shadow's only view of the machine ---------------- */

static void obs_counters(void *ctx, struct sh_counters *c)
{
	struct vmf_runner *r = ctx;
	struct vmf_machine *m = r->m;
	const struct tlb_stats *ts = tlb_stats(m);
	struct vmalloc_obs vo;

	c->warn_seq = m->warn.seq;
	memcpy(c->warn_count, m->warn.count, sizeof(c->warn_count));
	for (unsigned s = 0; s < FAULT_SITE_NR; s++)
		c->fault_calls[s] = m->fault.site[s].calls;
	for (unsigned n = 0; n < VMF_MAX_NODES; n++)
		c->node_free[n] = n < m->cfg.nr_nodes ?
					  node_free_pages(m, (int)n) :
					  0;
	c->pgtable_pages = mmu_pgtable_pages(m);
	c->km_objects = m->km.objects;
	c->flush_seq = ts ? ts->flush_seq : 0;
	c->tlb_hits = ts ? ts->hits : 0;
	c->tlb_misses = ts ? ts->misses : 0;
	c->tlb_fills = ts ? ts->fills : 0;
	c->walk_stale_hits = ts ? ts->walk_stale : 0;
	c->walk_cache_fills = ts ? ts->walk_fills : 0;
	vmalloc_observe(m, &vo);
	c->nr_busy = vo.nr_busy;
	c->nr_lazy = vo.nr_lazy;
	c->vmap_lazy_nr = vo.vmap_lazy_nr;
	c->lazy_max_pages = vo.lazy_max_pages;
	c->cache_set = vo.cache_set;
	c->cache_va_start = vo.cache_va_start;
	c->cached_hole_size = vo.cached_hole_size;
	c->cached_vstart = vo.cached_vstart;
	c->cached_align = vo.cached_align;
	c->nr_purges = vo.nr_purges;
	c->nr_purge_calls = vo.nr_purge_calls;
	c->nr_overflow_purges = vo.nr_overflow_purges;
	memcpy(c->nr_deferred, vo.nr_deferred, sizeof(c->nr_deferred));
	c->nr_leaked_pages = vo.nr_leaked_pages;
	c->initialized = vo.initialized;
	c->place_guarantee = vo.place_guarantee;
	c->free_nr = vo.free_nr;
	c->free_max = vo.free_max;
	memcpy(c->ne_preload, vo.ne_preload, sizeof(c->ne_preload));
	c->have_owned = true;
	for (unsigned k = 0; k < OWNER_NR; k++)
		c->owned[k] = m->phys.owned[k];
	c->nr_vmap_blocks = vo.nr_vmap_blocks;
	memcpy(c->vb_queue_len, vo.vb_queue_len, sizeof(c->vb_queue_len));
}

static bool obs_warn_get(void *ctx, uint64_t seq, enum vmf_warn_kind *kind,
			 const char **text)
{
	struct vmf_runner *r = ctx;
	const struct vmf_warn_event *ev = vmf_warn_get(r->m, seq);

	if (!ev)
		return false;
	*kind = ev->kind;
	*text = ev->text;
	return true;
}

static bool obs_place_get(void *ctx, uint64_t seq, vaddr_t *addr)
{
	struct vmf_runner *r = ctx;

	return vmalloc_placement_get(r->m, seq, addr);
}

static bool obs_flush_get(void *ctx, uint64_t seq, enum tlb_flush_kind *kind,
			  vaddr_t *start, vaddr_t *end)
{
	struct vmf_runner *r = ctx;
	const struct tlb_flush_event *ev = tlb_flush_get(r->m, seq);

	if (!ev)
		return false;
	*kind = ev->kind;
	*start = ev->start;
	*end = ev->end;
	return true;
}

/* What the frame under a mapped page is, from its struct page. */
static void obs_frame(struct vmf_machine *m, struct sh_page_obs *o)
{
	const struct page *pg =
		phys_pfn_to_page(&m->phys, o->pa >> m->page_shift);

	if (!pg)
		return;
	o->ram = true;
	o->allocated = (pg->flags & PG_head) && pg->order == 0;
	o->owner = pg->owner;
}

static void obs_page(void *ctx, vaddr_t va, struct sh_page_obs *o)
{
	struct vmf_runner *r = ctx;
	struct vmf_machine *m = r->m;

	memset(o, 0, sizeof(*o));
	o->mapped = mmu_lookup(m, va, &o->desc, &o->level, &o->pa);
	if (!o->mapped)
		return;
	obs_frame(m, o);
}

static void obs_pages(void *ctx, vaddr_t va, size_t nr,
		      struct sh_page_obs *o)
{
	struct vmf_runner *r = ctx;
	struct vmf_machine *m = r->m;
	struct mmu_leaf leaf[SH_PAGE_BATCH];

	memset(o, 0, nr * sizeof(*o));
	if (nr > SH_PAGE_BATCH || mmu_lookup_range(m, va, nr, leaf) != nr)
		return; /* seen as unmapped: the shadow reports it */
	for (size_t i = 0; i < nr; i++) {
		o[i].mapped = leaf[i].mapped;
		if (!o[i].mapped)
			continue;
		o[i].level = leaf[i].level;
		o[i].desc = leaf[i].desc;
		o[i].pa = leaf[i].pa;
		obs_frame(m, &o[i]);
	}
}

static pfn_t obs_vmalloc_pfn(void *ctx, vaddr_t va)
{
	struct vmf_runner *r = ctx;

	return vmalloc_to_pfn(r->m, va);
}

static bool obs_first_mapped(void *ctx, vaddr_t start, vaddr_t end,
			     vaddr_t *first)
{
	struct vmf_runner *r = ctx;

	return mmu_range_mapped(r->m, start, end, first);
}

static bool obs_tlb_maps(void *ctx, vaddr_t start, vaddr_t end)
{
	struct vmf_runner *r = ctx;

	return tlb_maps_range(r->m, start, end);
}

void interp_area_obs(struct vmf_machine *m, const struct vmap_area *va,
		     struct sh_area_obs *o)
{
	const struct vm_struct *vm = va->vm;

	memset(o, 0, sizeof(*o));
	o->start = va->va_start;
	o->end = va->va_end;
	o->state = interp_area_state(va);
	o->has_vm = vm != NULL;
	/* The kernel's flags only: VMAP_RAM and VMAP_BLOCK are the model's
	 * marks, and its VM_LAZY_FREE on a freed area that never had a
	 * vm_struct is its purge-list mark (4.19 sets none there). */
	o->va_flags = va->flags & ~(VMAP_RAM | VMAP_BLOCK);
	if (va->flags & (VMAP_RAM | VMAP_BLOCK))
		o->va_flags &= ~VM_LAZY_FREE;
	if (!vm)
		return;
	o->vm_addr = vm->addr;
	o->vm_flags = vm->flags;
	o->vm_size = vm->size;
	o->nr_pages = vm->nr_pages;
	o->nr_mapped = vm->nr_mapped;
	o->phys_addr = vm->phys_addr;
	o->pages_va = vm->pages_va;
	/* s_show's test: is_vmalloc_addr(v->pages); a nested array's pages
	 * are at pages_va. */
	o->vpages = vm->pages_va && is_vmalloc_addr(m, vm->pages_va);
	o->has_caller = vm->caller != NULL;
	if (vm->caller) { /* truncated to the buffer, as snprintf would */
		size_t k = 0;

		for (; k + 1 < sizeof(o->caller) && vm->caller[k]; k++)
			o->caller[k] = vm->caller[k];
		o->caller[k] = 0;
	}
}

static bool obs_area_at(void *ctx, vaddr_t addr, struct sh_area_obs *a)
{
	struct vmf_runner *r = ctx;
	struct vmap_area *va = find_vmap_area(r->m, addr);

	if (!va)
		return false;
	interp_area_obs(r->m, va, a);
	return true;
}

/* The buddy's free-list lengths of a node (vmalloc_huge's prediction:
 * how many high-order blocks can be had). */
static void obs_free_blocks(void *ctx, unsigned node,
			    uint64_t nr_free[MAX_ORDER])
{
	struct vmf_runner *r = ctx;
	const struct phys_mem *p = &r->m->phys;

	for (unsigned k = 0; k < MAX_ORDER; k++)
		nr_free[k] = node < p->nr_nodes ?
				     p->node[node].free_area[k].nr_free :
				     0;
}

static bool obs_phys_read(void *ctx, phys_addr_t pa, void *buf, size_t len)
{
	struct vmf_runner *r = ctx;

	return phys_read(r->m, pa, buf, len);
}

static phys_addr_t obs_ttbr1(void *ctx)
{
	struct vmf_runner *r = ctx;

	return mmu_ttbr1(r->m);
}

/* vm->pages[first, first + nr) as pfns: pointer arithmetic on the
 * machine's descriptor array only, so a stray entry reads as pfn 0. */
static bool obs_page_array(void *ctx, vaddr_t addr, uint64_t first, size_t nr,
			   pfn_t *pfn)
{
	struct vmf_runner *r = ctx;
	const struct phys_mem *p = &r->m->phys;
	struct vmap_area *va = find_vmap_area(r->m, addr);
	const struct vm_struct *vm = va && va->va_start == addr ? va->vm : NULL;
	uintptr_t lo = (uintptr_t)p->pages;

	if (!vm || !vm->pages || first > vm->nr_pages ||
	    nr > vm->nr_pages - first)
		return false;
	for (size_t i = 0; i < nr; i++) {
		uintptr_t pg = (uintptr_t)vm->pages[first + i];
		uint64_t idx = (pg - lo) / sizeof(struct page);

		pfn[i] = pg >= lo && (pg - lo) % sizeof(struct page) == 0 &&
				 idx < p->nr_pages ?
			 (p->base >> p->page_shift) + idx :
			 0;
	}
	return true;
}

static bool obs_area_links(void *ctx, vaddr_t addr, struct sh_area_link *l)
{
	struct vmf_runner *r = ctx;
	const struct vmap_area *va =
		vmap_area_list_neighbours(r->m, addr, &l->prev, &l->next);

	if (!va)
		return false;
	l->start = va->va_start;
	l->end = va->va_end;
	l->state = interp_area_state(va);
	return true;
}

void interp_observer_init(struct vmf_runner *r, struct sh_observer *o)
{
	o->phys_read = obs_phys_read;
	o->ttbr1 = obs_ttbr1;
	o->page_array = obs_page_array;
	o->ctx = r;
	o->counters = obs_counters;
	o->warn_get = obs_warn_get;
	o->flush_get = obs_flush_get;
	o->place_get = obs_place_get;
	o->page = obs_page;
	o->pages = obs_pages;
	o->vmalloc_pfn = obs_vmalloc_pfn;
	o->first_mapped = obs_first_mapped;
	o->tlb_maps = obs_tlb_maps;
	o->area_at = obs_area_at;
	o->free_blocks = obs_free_blocks;
	o->area_links = obs_area_links;
}
