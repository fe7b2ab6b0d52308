/* The interpreter: runs a program on the machine and on the shadow model.
 *
 * Per input: the runner's machine is reset (or reconfigured) to the
 * program's config, the shadow is reset to the same config, and every
 * command runs on the library, then on the shadow with what the library
 * returned; shadow_verify() compares everything the command could have
 * changed. The first disagreement stops the run with a report.
 *
 * Harness policies (docs/shadow.md):
 *  - vmalloc_init() runs right before the first command that is not
 *    OP_EARLY_*; an early command after that is the late-registration case.
 *  - Handles: live objects in a compact table (allocation order), operands
 *    index them modulo their count; a ring of recently freed ones for
 *    OP_READ_FREED and BAD_VFREE_DOUBLE. No handle -> the command does
 *    nothing; a full table -> allocation commands do nothing.
 *  - Writes go only inside a live handle's [addr, addr + mapped size + its
 *    guard page), never through a stale TLB entry (checked first against
 *    the tables; the write becomes a read then). Reads go anywhere.
 *  - Accesses are split at page boundaries; the shadow judges each piece.
 *  - vmap takes count fresh order-0 pages from the buddy (OWNER_VMAP) and
 *    gives them back once the area is unmapped by vunmap; OP_FRAGMENT takes
 *    count pages and gives back every other one (kept until reset). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/vmalloc.h>

#include "interp.h"
#include "interp_hook.h"
#include "report.h"
#include "shadow.h"

#define VMF_FREED_RING 16
#define VMF_MAX_FRAG 4096
/* Areas OP_CHECK can collect: at most two per command (an area and its
 * page array's); r->areas is that big from the start, so no input grows
 * it (AFL++ stability). */
#define VMF_MAX_AREAS (2 * VMF_MAX_CMDS)

enum hkind {
	HK_VMALLOC = 1, /* vmalloc family: vfree */
	HK_VMAP,        /* vmap: vunmap, pages owned by the handle */
	HK_VMAREA,      /* get_vm_area: free_vm_area / remove_vm_area */
	HK_EARLY,       /* early area */
};

struct vmf_handle {
	uint8_t kind;
	bool guard;           /* its area has a guard page */
	vaddr_t addr;
	uint64_t size;        /* bytes asked (vmap: count pages) */
	unsigned nr_pages;    /* vmap: pages the handle owns, */
	uint8_t slot;         /* in r->vmap_pages[slot] (handles stay small:
				 retiring one moves the table) */
};

_Static_assert(VMF_MAX_HANDLES <= 64, "vmap_slots is a 64-bit mask");

struct vmf_runner {
	struct vmf_machine *m;
	struct shadow *sh;
	struct vmf_program prog;
	bool inited;

	struct vmf_handle live[VMF_MAX_HANDLES];
	struct page *vmap_pages[VMF_MAX_HANDLES][VMF_MAX_VMAP_PAGES];
	uint64_t vmap_slots;  /* bit per vmap_pages slot in use */
	size_t nr_live;
	struct vmf_handle freed[VMF_FREED_RING];
	size_t nr_freed, freed_next;

	struct page *frag[VMF_MAX_FRAG];
	size_t nr_frag;

	/* OP_CHECK commands that also run the library's O(RAM) checkers:
	 * the first and the last of the program (a per-input bound). */
	size_t first_check, last_check;

	/* the command being run */
	FILE *trace;
	char result[256];
	size_t result_len;
	struct sh_fail sfail;

	struct sh_area_obs *areas;
	size_t nr_areas, areas_cap;

	uint8_t buf[VMF_MAX_ACCESS];
	uint8_t known[VMF_MAX_ACCESS];
	char state[2048];
	struct vmf_failure fail; /* vmf_run_or_abort's */
};

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

static enum sh_state state_of(const struct vmap_area *va)
{
	if (va->flags & VM_LAZY_FREE)
		return SH_LAZY;
	if (va->flags & VM_DEFERRED)
		return SH_DEFERRED;
	return SH_LIVE;
}

static bool obs_area_at(void *ctx, vaddr_t addr, struct sh_area_obs *a)
{
	struct vmf_runner *r = ctx;
	struct vmap_area *va = find_vmap_area(r->m, addr);

	if (!va)
		return false;
	a->start = va->va_start;
	a->end = va->va_end;
	a->state = state_of(va);
	a->has_vm = va->vm != NULL;
	return true;
}

static void observer_init(struct vmf_runner *r, struct sh_observer *o)
{
	o->ctx = r;
	o->counters = obs_counters;
	o->warn_get = obs_warn_get;
	o->flush_get = obs_flush_get;
	o->page = obs_page;
	o->pages = obs_pages;
	o->vmalloc_pfn = obs_vmalloc_pfn;
	o->first_mapped = obs_first_mapped;
	o->tlb_maps = obs_tlb_maps;
	o->area_at = obs_area_at;
}

/* ---- runner life cycle ------------------------------------------------------- */

struct vmf_runner *vmf_runner_new(void)
{
	struct vmf_runner *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sh = shadow_new();
	r->areas = malloc(VMF_MAX_AREAS * sizeof(*r->areas));
	if (!r->sh || !r->areas) {
		shadow_destroy(r->sh);
		free(r->areas);
		free(r);
		return NULL;
	}
	r->areas_cap = VMF_MAX_AREAS;
	return r;
}

void vmf_runner_free(struct vmf_runner *r)
{
	if (!r)
		return;
	vmf_machine_destroy(r->m);
	shadow_destroy(r->sh);
	free(r->areas);
	free(r);
}

struct vmf_machine *vmf_runner_machine(struct vmf_runner *r)
{
	return r->m;
}

/* ---- results and trace ------------------------------------------------------ */

static void res(struct vmf_runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void res(struct vmf_runner *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->trace || r->result_len >= sizeof(r->result) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->result + r->result_len,
		      sizeof(r->result) - r->result_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->result_len += (size_t)n;
	if (r->result_len > sizeof(r->result) - 1)
		r->result_len = sizeof(r->result) - 1;
}

/* An address as the trace shows it: relative to the window. */
static void res_addr(struct vmf_runner *r, const char *what, vaddr_t a)
{
	vaddr_t ws = r->m->cfg.vmalloc_start;

	if (!a)
		res(r, " %s=fail", what);
	else if (a >= ws)
		res(r, " %s=win+0x%" PRIx64, what, a - ws);
	else
		res(r, " %s=win-0x%" PRIx64, what, ws - a);
}

static const char *fault_text(enum mmu_fault f)
{
	switch (f) {
	case MMU_OK: return "ok";
	case MMU_FAULT_ADDRESS_SIZE: return "address_size";
	case MMU_FAULT_TRANSLATION: return "translation";
	case MMU_FAULT_ACCESS_FLAG: return "access_flag";
	case MMU_FAULT_PERMISSION: return "permission";
	case MMU_FAULT_EXTERNAL: return "external";
	case MMU_FAULT_BAD_ARG: return "bad_arg";
	}
	return "?";
}

/* ---- handles ---------------------------------------------------------------- */

static struct vmf_handle *pick_live(struct vmf_runner *r, unsigned raw)
{
	return r->nr_live ? &r->live[raw % r->nr_live] : NULL;
}

static struct vmf_handle *pick_freed(struct vmf_runner *r, unsigned raw)
{
	return r->nr_freed ? &r->freed[raw % r->nr_freed] : NULL;
}

static struct vmf_handle *live_at(struct vmf_runner *r, vaddr_t addr)
{
	for (size_t i = 0; i < r->nr_live; i++)
		if (r->live[i].addr == addr)
			return &r->live[i];
	return NULL;
}

static struct vmf_handle *pick_freed_stale(struct vmf_runner *r, unsigned raw)
{
	for (size_t k = 0; k < r->nr_freed; k++) {
		struct vmf_handle *h = &r->freed[(raw + k) % r->nr_freed];

		if (!live_at(r, h->addr))
			return h;
	}
	return NULL;
}

/* The n-th live handle of a kind (modulo their count), or NULL. */
static struct vmf_handle *pick_kind(struct vmf_runner *r, unsigned raw,
				    enum hkind kind)
{
	size_t n = 0, k;

	for (size_t i = 0; i < r->nr_live; i++)
		n += r->live[i].kind == kind;
	if (!n)
		return NULL;
	k = raw % n;
	for (size_t i = 0; i < r->nr_live; i++)
		if (r->live[i].kind == kind && k-- == 0)
			return &r->live[i];
	return NULL;
}

static struct vmf_handle *add_live(struct vmf_runner *r, enum hkind kind,
				   vaddr_t addr, uint64_t size, bool guard)
{
	struct vmf_handle *h;

	if (r->nr_live == VMF_MAX_HANDLES)
		return NULL;
	h = &r->live[r->nr_live++];
	h->kind = (uint8_t)kind;
	h->addr = addr;
	h->size = size;
	h->guard = guard;
	h->nr_pages = 0;
	return h;
}

/* The handle leaves the live table for the freed ring. */
static void retire(struct vmf_runner *r, struct vmf_handle *h)
{
	size_t i = (size_t)(h - r->live);
	struct vmf_handle *f = &r->freed[r->freed_next];

	if (h->nr_pages)
		r->vmap_slots &= ~(1ull << h->slot);
	*f = *h;
	f->nr_pages = 0;
	r->freed_next = (r->freed_next + 1) % VMF_FREED_RING;
	if (r->nr_freed < VMF_FREED_RING)
		r->nr_freed++;
	memmove(&r->live[i], &r->live[i + 1],
		(r->nr_live - i - 1) * sizeof(r->live[0]));
	r->nr_live--;
}

static bool table_full(const struct vmf_runner *r)
{
	return r->nr_live == VMF_MAX_HANDLES;
}

/* ---- harness pages ------------------------------------------------------------ */

static struct page *harness_page(struct vmf_runner *r, enum page_owner owner,
				 enum sh_owner sowner, int *err)
{
	struct page *p = alloc_pages_owner(r->m, NUMA_NO_NODE, __GFP_NOWARN, 0,
					   owner);

	*err = shadow_harness_page_alloc(r->sh, sowner, p != NULL,
					 p ? page_to_pfn(r->m, p) : 0,
					 &r->sfail);
	return p;
}

static int harness_free(struct vmf_runner *r, struct page *p)
{
	pfn_t pfn = page_to_pfn(r->m, p);

	__free_pages(r->m, p, 0);
	return shadow_harness_page_free(r->sh, pfn, &r->sfail);
}

/* ---- commands --------------------------------------------------------------- */

static uint64_t mapped_limit(const struct vmf_runner *r,
			     const struct vmf_handle *h)
{
	uint64_t ps = r->m->page_size;
	uint64_t sz = h->kind == HK_VMAP ? (uint64_t)h->size * ps
					 : vmf_page_align(r->m, h->size);

	return sz + (h->guard ? ps : 0);
}

static int do_alloc(struct vmf_runner *r, enum vmf_op op,
		    const struct vmf_args *a)
{
	struct vmf_machine *m = r->m;
	struct sh_alloc_req q;
	vaddr_t addr = 0;
	enum hkind kind = HK_VMALLOC;
	bool guard = true;

	if (table_full(r)) {
		res(r, " table full");
		return 0;
	}
	memset(&q, 0, sizeof(q));
	q.size = a->size;
	q.align = a->align;
	q.start = a->start;
	q.end = a->end;
	q.gfp = a->gfp;
	q.prot = a->prot;
	q.vm_flags = a->vm_flags;
	q.node = a->node;
	switch (op) {
	case OP_VMALLOC:
		q.entry = SH_E_VMALLOC;
		addr = vmalloc(m, a->size);
		break;
	case OP_VZALLOC:
		q.entry = SH_E_VZALLOC;
		addr = vzalloc(m, a->size);
		break;
	case OP_VMALLOC_NODE:
		q.entry = SH_E_VMALLOC_NODE;
		addr = vmalloc_node(m, a->size, a->node);
		break;
	case OP_VZALLOC_NODE:
		q.entry = SH_E_VZALLOC_NODE;
		addr = vzalloc_node(m, a->size, a->node);
		break;
	case OP_VMALLOC_32:
		q.entry = SH_E_VMALLOC_32;
		addr = vmalloc_32(m, a->size);
		break;
	case OP_VMALLOC_USER:
		q.entry = SH_E_VMALLOC_USER;
		addr = vmalloc_user(m, a->size);
		break;
	case OP_VMALLOC_EXEC:
		q.entry = SH_E_VMALLOC_EXEC;
		addr = vmalloc_exec(m, a->size);
		break;
	case OP___VMALLOC:
		q.entry = SH_E___VMALLOC;
		addr = __vmalloc(m, a->size, a->gfp, a->prot);
		break;
	case OP_VMALLOC_NODE_RANGE:
		q.entry = SH_E_NODE_RANGE;
		addr = __vmalloc_node_range(m, a->size, a->align, a->start,
					    a->end, a->gfp, a->prot,
					    a->vm_flags, a->node,
					    "vmalloc_node_range");
		guard = !(a->vm_flags & VM_NO_GUARD);
		break;
	case OP_GET_VM_AREA: {
		struct vm_struct *vm;

		q.entry = SH_E_GET_VM_AREA;
		vm = get_vm_area(m, a->size, a->vm_flags);
		addr = vm ? vm->addr : 0;
		kind = HK_VMAREA;
		guard = !(a->vm_flags & VM_NO_GUARD);
		break;
	}
	case OP_GET_VM_AREA_NODE: {
		struct vm_struct *vm;

		q.entry = SH_E_GET_VM_AREA_NODE;
		vm = __get_vm_area_node(m, a->size, a->align, a->vm_flags,
					a->start, a->end, a->node, a->gfp,
					"get_vm_area_node");
		addr = vm ? vm->addr : 0;
		kind = HK_VMAREA;
		guard = !(a->vm_flags & VM_NO_GUARD);
		break;
	}
	default:
		return 0;
	}
	res_addr(r, "addr", addr);
	if (shadow_alloc(r->sh, &q, addr, &r->sfail))
		return -1;
	if (addr)
		add_live(r, kind, addr, a->size, guard);
	return 0;
}

static int do_vmap(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_machine *m = r->m;
	struct page *pages[VMF_MAX_VMAP_PAGES];
	pfn_t pfns[VMF_MAX_VMAP_PAGES];
	unsigned count = a->count, got = 0;
	struct sh_alloc_req q;
	struct vmf_handle *h;
	vaddr_t addr;
	int err = 0;

	if (table_full(r)) {
		res(r, " table full");
		return 0;
	}
	if (count > VMF_MAX_VMAP_PAGES)
		count = VMF_MAX_VMAP_PAGES;
	for (got = 0; got < count; got++) {
		pages[got] = harness_page(r, OWNER_VMAP, SH_OWN_VMAP, &err);
		if (err)
			return -1;
		if (!pages[got])
			break;
		pfns[got] = page_to_pfn(m, pages[got]);
	}
	if (got < count) {
		res(r, " no pages (%u of %u)", got, count);
		for (unsigned i = 0; i < got; i++)
			if (harness_free(r, pages[i]))
				return -1;
		return 0;
	}
	addr = vmap(m, pages, count, a->vm_flags, a->prot);
	res_addr(r, "addr", addr);
	memset(&q, 0, sizeof(q));
	q.entry = SH_E_VMAP;
	q.count = count;
	q.pfns = pfns;
	q.vm_flags = a->vm_flags;
	q.prot = a->prot;
	if (shadow_alloc(r->sh, &q, addr, &r->sfail))
		return -1;
	if (!addr) {
		for (unsigned i = 0; i < count; i++)
			if (harness_free(r, pages[i]))
				return -1;
		return 0;
	}
	h = add_live(r, HK_VMAP, addr, count, !(a->vm_flags & VM_NO_GUARD));
	h->nr_pages = count;
	h->slot = 0;
	while (r->vmap_slots >> h->slot & 1) /* a live handle frees one */
		h->slot++;
	r->vmap_slots |= 1ull << h->slot;
	memcpy(r->vmap_pages[h->slot], pages, count * sizeof(pages[0]));
	return 0;
}

/* Free an address through one of the free entry points. h (may be NULL)
 * is the live handle it came from: retired when the call succeeded. */
static int do_free_addr(struct vmf_runner *r, enum sh_free_entry e,
			vaddr_t addr, struct vmf_handle *h)
{
	struct vmf_machine *m = r->m;
	long ret = 0, ret2 = 0;
	bool gone = false;

	switch (e) {
	case SH_F_VFREE:
		ret = vfree(m, addr);
		gone = ret == 0;
		break;
	case SH_F_VFREE_ATOMIC:
		ret = vfree_atomic(m, addr);
		gone = ret == 0;
		break;
	case SH_F_VFREE_IRQ:
		m->in_interrupt = true;
		ret = vfree(m, addr);
		m->in_interrupt = false;
		gone = ret == 0;
		break;
	case SH_F_VUNMAP:
		ret = vunmap(m, addr);
		gone = ret == 0;
		break;
	case SH_F_REMOVE_VM_AREA: {
		struct vm_struct *vm = remove_vm_area(m, addr);

		ret = vm != NULL;
		kfree(m, vm);
		gone = vm != NULL;
		break;
	}
	case SH_F_FREE_VM_AREA: {
		struct vm_struct *vm = find_vm_area(m, addr);

		ret = vm != NULL;
		if (vm)
			ret2 = free_vm_area(m, vm);
		gone = vm && ret2 == 0;
		break;
	}
	}
	res(r, " ret=%ld", e == SH_F_FREE_VM_AREA ? (ret ? ret2 : -1) : ret);
	if (shadow_free(r->sh, e, addr, ret, ret2, &r->sfail))
		return -1;
	if (!h && gone)
		h = live_at(r, addr);
	if (h && gone && addr == h->addr) {
		/* vmap's pages come back to the harness once unmapped. */
		if (h->kind == HK_VMAP && e == SH_F_VUNMAP)
			for (unsigned i = 0; i < h->nr_pages; i++)
				if (harness_free(r, r->vmap_pages[h->slot][i]))
					return -1;
		retire(r, h);
	}
	return 0;
}

static int do_free(struct vmf_runner *r, enum sh_free_entry e,
		   const struct vmf_args *a)
{
	struct vmf_handle *h = pick_live(r, a->handle);

	if (!h) {
		res(r, " no handle");
		return 0;
	}
	return do_free_addr(r, e, h->addr, h);
}

/* Is the TLB holding an entry for va that disagrees with the tables? */
static bool tlb_stale_at(struct vmf_runner *r, vaddr_t va)
{
	size_t n;
	const struct tlb_entry *t = tlb_entries(r->m, &n);
	struct mmu_result w;

	for (size_t i = 0; i < n; i++) {
		const struct tlb_entry *e = &t[i];

		if (!e->valid || va < e->va ||
		    va - e->va >= (1ull << e->shift))
			continue;
		w = mmu_translate(r->m, va, ACC_READ, 1);
		if (w.fault != MMU_OK && w.fault != MMU_FAULT_PERMISSION)
			return true;
		if (w.desc != e->desc || w.pa != e->pa + (va - e->va))
			return true;
		return false;
	}
	return false;
}

static uint32_t checksum(const uint8_t *b, const uint8_t *known, size_t n,
			 size_t *nknown)
{
	uint32_t h = 2166136261u;

	*nknown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!known[i])
			continue;
		h = (h ^ b[i]) * 16777619u;
		(*nknown)++;
	}
	return h;
}

/* Read or write [va, va + len) page piece by page piece, each judged by
 * the shadow; stops after the first fault. */
static int do_copy(struct vmf_runner *r, vaddr_t va, size_t len, bool write,
		   int el)
{
	struct vmf_machine *m = r->m;
	size_t off = 0, total = 0, nk = 0;
	struct mmu_result res1;
	uint32_t sum = 2166136261u;

	memset(&res1, 0, sizeof(res1));
	while (off < len) {
		vaddr_t a = va + off;
		size_t chunk = (size_t)(m->page_size - (a & (m->page_size - 1)));
		struct sh_access acc;
		size_t done = 0;

		if (chunk > len - off)
			chunk = len - off;
		if (write)
			res1 = mmu_write(m, a, r->buf + off, chunk, el, &done);
		else
			res1 = mmu_read(m, a, r->buf + off, chunk, el, &done);
		acc.va = a;
		acc.len = chunk;
		acc.acc = write ? ACC_WRITE : ACC_READ;
		acc.el = el;
		acc.res = res1;
		acc.done = done;
		acc.buf = r->buf + off;
		if (shadow_access(r->sh, &acc, &r->sfail))
			return -1;
		if (!write && r->trace) {
			size_t k;
			uint32_t s;

			shadow_known_mask(r->sh, a, done, r->known + off);
			s = checksum(r->buf + off, r->known + off, done, &k);
			sum = sum * 31u + s;
			nk += k;
		}
		total += done;
		off += chunk;
		if (res1.fault != MMU_OK)
			break;
	}
	res(r, " %s=%zu", write ? "wrote" : "read", total);
	if (res1.fault != MMU_OK)
		res(r, " fault=%s/L%d", fault_text(res1.fault), res1.level);
	if (res1.tlb_stale)
		res(r, " stale");
	if (!write)
		res(r, " sum=%08x/%zu", sum, nk);
	return 0;
}

static int do_write(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = pick_live(r, a->handle);
	uint64_t limit, off;
	size_t len;
	vaddr_t va;

	if (!h) {
		res(r, " no handle");
		return 0;
	}
	limit = mapped_limit(r, h);
	off = a->offset % limit;
	len = (size_t)a->len;
	if (len > limit - off)
		len = (size_t)(limit - off);
	va = h->addr + off;
	/* Byte i is pattern + 7 i + i / 256: built a 256-byte block at a
	 * time (a byte a time was 3% of a fuzzing run). */
	for (size_t blk = 0; blk < len; blk += 256) {
		uint8_t v = (uint8_t)(a->pattern + blk * 7u + (blk >> 8));
		size_t end = len - blk < 256 ? len - blk : 256;

		for (size_t i = 0; i < end; i++, v = (uint8_t)(v + 7))
			r->buf[blk + i] = v;
	}
	/* Never through a stale TLB entry: read instead. */
	for (vaddr_t p = va & ~(r->m->page_size - 1); p < va + len;
	     p += r->m->page_size) {
		if (tlb_stale_at(r, p)) {
			res(r, " stale-tlb: read");
			return do_copy(r, va, len, false, 1);
		}
	}
	return do_copy(r, va, len, true, 1);
}

static int do_read(struct vmf_runner *r, struct vmf_handle *h,
		   const struct vmf_args *a)
{
	if (!h) {
		res(r, " no handle");
		return 0;
	}
	return do_copy(r, h->addr + a->offset, (size_t)a->len, false, 1);
}

static int do_access(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = pick_live(r, a->handle);
	struct sh_access acc;
	int el = a->el ? 1 : 0;

	if (!h) {
		res(r, " no handle");
		return 0;
	}
	memset(&acc, 0, sizeof(acc));
	acc.va = h->addr + a->offset;
	acc.acc = (enum mmu_access)a->access;
	acc.el = el;
	acc.res = mmu_access(r->m, acc.va, acc.acc, el);
	res(r, " %s", fault_text(acc.res.fault));
	if (acc.res.fault != MMU_OK)
		res(r, "/L%d", acc.res.level);
	if (acc.res.tlb_stale)
		res(r, " stale");
	return shadow_access(r->sh, &acc, &r->sfail);
}

static int do_vmalloc_to_page(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = pick_live(r, a->handle);
	struct page *p;
	vaddr_t va;
	pfn_t pfn = 0;

	if (!h) {
		res(r, " no handle");
		return 0;
	}
	va = h->addr + a->offset;
	p = vmalloc_to_page(r->m, va);
	if (p) {
		pfn = page_to_pfn(r->m, p);
		res(r, " pfn=+0x%" PRIx64,
		    pfn - (r->m->cfg.phys_base >> r->m->page_shift));
	} else {
		res(r, " none");
	}
	return shadow_vmalloc_to_page(r->sh, va, p != NULL, pfn, &r->sfail);
}

static int do_vread(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = pick_live(r, a->handle);
	vaddr_t va;
	long ret;
	size_t len = (size_t)a->len;

	if (!h) {
		res(r, " no handle");
		return 0;
	}
	va = h->addr + a->offset;
	memset(r->buf, 0x5a, len);
	ret = vread(r->m, r->buf, va, len);
	res(r, " ret=%ld", ret);
	if (shadow_vread(r->sh, va, len, ret, r->buf, &r->sfail))
		return -1;
	if (r->trace && ret > 0) {
		size_t k;
		uint32_t s;

		shadow_known_mask(r->sh, va, (size_t)ret, r->known);
		s = checksum(r->buf, r->known, (size_t)ret, &k);
		res(r, " sum=%08x/%zu", s, k);
	}
	return 0;
}

static int do_fragment(struct vmf_runner *r, const struct vmf_args *a)
{
	unsigned taken = 0, kept = 0;
	int err = 0;

	for (unsigned i = 0; i < a->count; i++) {
		struct page *p;

		if (r->nr_frag == VMF_MAX_FRAG)
			break;
		p = harness_page(r, OWNER_FRAG, SH_OWN_FRAG, &err);
		if (err)
			return -1;
		if (!p)
			break;
		taken++;
		if (i & 1) {
			if (harness_free(r, p))
				return -1;
		} else {
			r->frag[r->nr_frag++] = p;
			kept++;
		}
	}
	res(r, " took=%u kept=%u", taken, kept);
	return 0;
}

static int collect_area(void *arg, const struct vmap_area *va)
{
	struct vmf_runner *r = arg;

	if (r->nr_areas == r->areas_cap) {
		size_t cap = r->areas_cap ? r->areas_cap * 2 : 256;
		struct sh_area_obs *na = realloc(r->areas, cap * sizeof(*na));

		if (!na)
			return 1;
		r->areas = na;
		r->areas_cap = cap;
	}
	r->areas[r->nr_areas].start = va->va_start;
	r->areas[r->nr_areas].end = va->va_end;
	r->areas[r->nr_areas].state = state_of(va);
	r->areas[r->nr_areas].has_vm = va->vm != NULL;
	r->nr_areas++;
	return 0;
}

static int set_fail(struct vmf_runner *r, const char *check, const char *why)
{
	snprintf(r->sfail.check, sizeof(r->sfail.check), "%s", check);
	snprintf(r->sfail.detail, sizeof(r->sfail.detail), "%s", why);
	return -1;
}

static int do_check(struct vmf_runner *r, size_t idx)
{
	char why[512];

	/* vm_check (which ends with page_alloc_check) costs O(areas' pages)
	 * and O(RAM): it runs at the first and the last OP_CHECK of the
	 * program; the busy-list comparison runs at every one. */
	if (idx == r->first_check || idx == r->last_check) {
		why[0] = 0;
		if (vm_check(r->m, why, sizeof(why)))
			return set_fail(r, "vm_check", why);
	}
	r->nr_areas = 0;
	vmalloc_for_each_area(r->m, collect_area, r);
	res(r, " ok areas=%zu%s", r->nr_areas,
	    idx == r->first_check || idx == r->last_check ? " full" : "");
	return shadow_check_full(r->sh, r->areas, r->nr_areas, &r->sfail);
}

/* An address no busy area covers (BAD_*_NONEXISTENT). */
static vaddr_t hole_address(struct vmf_runner *r, uint64_t hint)
{
	return shadow_hole(r->sh, hint);
}

static int do_bad(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_machine *m = r->m;
	uint64_t ps = m->page_size;
	vaddr_t ws = m->cfg.vmalloc_start, we = m->cfg.vmalloc_end;
	struct vmf_handle *h;
	struct sh_alloc_req q;
	vaddr_t addr = 0;

	res(r, " %s", vmf_bad_name((enum vmf_bad)a->bad));
	memset(&q, 0, sizeof(q));
	q.align = 1;
	q.start = ws;
	q.end = we;
	q.prot = PAGE_KERNEL;
	q.node = NUMA_NO_NODE;
	switch (a->bad) {
	case BAD_VFREE_UNALIGNED:
		h = pick_live(r, a->handle);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VFREE,
				    h->addr + 1 + a->offset % (ps - 1), h);
	case BAD_VFREE_NONEXISTENT:
		return do_free_addr(r, SH_F_VFREE, hole_address(r, a->offset),
				    NULL);
	case BAD_VFREE_DOUBLE:
		/* A freed handle whose address no live handle has taken over
		 * (else it would be an ordinary free). */
		h = pick_freed_stale(r, a->handle);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VFREE, h->addr, NULL);
	case BAD_VFREE_INTERIOR: {
		uint64_t span;

		h = pick_live(r, a->handle);
		if (!h)
			break;
		/* Pages of the area after the first (its guard included). */
		span = mapped_limit(r, h) / ps;
		if (span < 2)
			break;
		return do_free_addr(r, SH_F_VFREE,
				    h->addr + (1 + (a->offset / ps) % (span - 1)) *
						      ps,
				    h);
	}
	case BAD_VUNMAP_VMALLOC:
		h = pick_kind(r, a->handle, HK_VMALLOC);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VUNMAP, h->addr, h);
	case BAD_VFREE_VMAP:
		h = pick_kind(r, a->handle, HK_VMAP);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VFREE, h->addr, h);
	case BAD_EARLY_AFTER_INIT: {
		int ret = vm_area_add_early(m, ws + (a->offset & ~(ps - 1)), ps,
					    0, "bad_early");

		res(r, " ret=%d", ret);
		return shadow_early_add(r->sh, ws + (a->offset & ~(ps - 1)), ps,
					0, ret, &r->sfail);
	}
	case BAD_SIZE_ZERO:
		q.entry = SH_E_VMALLOC;
		q.size = 0;
		addr = vmalloc(m, 0);
		break;
	case BAD_SIZE_ABOVE_TOTALRAM:
		q.entry = SH_E_VMALLOC;
		q.size = (totalram_pages(m) + 1) * ps;
		addr = vmalloc(m, q.size);
		break;
	case BAD_SIZE_WRAPS:
		q.entry = SH_E_VMALLOC;
		q.size = 0 - 1 - a->offset % (ps - 1);
		addr = vmalloc(m, q.size);
		break;
	case BAD_ALIGN_NOT_POW2:
		q.entry = SH_E_NODE_RANGE;
		q.size = ps;
		q.align = 3 * ps + (a->offset & (ps - 1));
		addr = __vmalloc_node_range(m, q.size, q.align, ws, we, 0,
					    PAGE_KERNEL, 0, NUMA_NO_NODE,
					    "bad_align");
		break;
	case BAD_RANGE_INVERTED:
		q.entry = SH_E_NODE_RANGE;
		q.size = ps;
		q.start = we - ps;
		q.end = ws;
		addr = __vmalloc_node_range(m, q.size, 1, q.start, q.end, 0,
					    PAGE_KERNEL, 0, NUMA_NO_NODE,
					    "bad_range");
		break;
	case BAD_RANGE_OUTSIDE:
		q.entry = SH_E_NODE_RANGE;
		q.size = ps;
		q.start = we;
		q.end = we + 16 * ps;
		addr = __vmalloc_node_range(m, q.size, 1, q.start, q.end, 0,
					    PAGE_KERNEL, 0, NUMA_NO_NODE,
					    "bad_range");
		break;
	case BAD_VUNMAP_UNALIGNED:
		h = pick_kind(r, a->handle, HK_VMAP);
		if (!h)
			h = pick_live(r, a->handle);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VUNMAP,
				    h->addr + 1 + a->offset % (ps - 1), h);
	case BAD_VUNMAP_NONEXISTENT:
		return do_free_addr(r, SH_F_VUNMAP, hole_address(r, a->offset),
				    NULL);
	default:
		return 0;
	}
	if (a->bad >= BAD_SIZE_ZERO && a->bad <= BAD_RANGE_OUTSIDE &&
	    a->bad != BAD_EARLY_AFTER_INIT) {
		res_addr(r, "addr", addr);
		if (shadow_alloc(r->sh, &q, addr, &r->sfail))
			return -1;
		/* A bad call that wrongly succeeded was reported above. */
		return 0;
	}
	res(r, " no handle");
	return 0;
}

static int exec_cmd(struct vmf_runner *r, enum vmf_op op,
		    const struct vmf_args *a, size_t idx)
{
	struct vmf_machine *m = r->m;

	switch (op) {
	case OP_NOP:
		return 0;
	case OP_EARLY_ADD: {
		int ret;

		if (!r->inited && table_full(r))
			return 0;
		ret = vm_area_add_early(m, a->start, a->size, a->vm_flags,
					"early_add");
		res(r, " ret=%d", ret);
		if (shadow_early_add(r->sh, a->start, a->size, a->vm_flags, ret,
				     &r->sfail))
			return -1;
		if (ret == 0 && !r->inited)
			add_live(r, HK_EARLY, a->start, a->size, false);
		return 0;
	}
	case OP_EARLY_REGISTER: {
		vaddr_t addr;

		if (!r->inited && table_full(r))
			return 0;
		addr = vm_area_register_early(m, a->size, a->align,
					      "early_register");
		res_addr(r, "addr", addr);
		if (shadow_early_register(r->sh, a->size, a->align, addr,
					  &r->sfail))
			return -1;
		if (addr && !r->inited)
			add_live(r, HK_EARLY, addr, a->size, false);
		return 0;
	}
	case OP_VMALLOC:
	case OP_VZALLOC:
	case OP_VMALLOC_NODE:
	case OP_VZALLOC_NODE:
	case OP_VMALLOC_32:
	case OP_VMALLOC_USER:
	case OP_VMALLOC_EXEC:
	case OP___VMALLOC:
	case OP_VMALLOC_NODE_RANGE:
	case OP_GET_VM_AREA:
	case OP_GET_VM_AREA_NODE:
		return do_alloc(r, op, a);
	case OP_VMAP:
		return do_vmap(r, a);
	case OP_VFREE:
		return do_free(r, SH_F_VFREE, a);
	case OP_VFREE_ATOMIC:
		return do_free(r, SH_F_VFREE_ATOMIC, a);
	case OP_VFREE_IRQ:
		return do_free(r, SH_F_VFREE_IRQ, a);
	case OP_VUNMAP:
		return do_free(r, SH_F_VUNMAP, a);
	case OP_REMOVE_VM_AREA:
		return do_free(r, SH_F_REMOVE_VM_AREA, a);
	case OP_FREE_VM_AREA:
		return do_free(r, SH_F_FREE_VM_AREA, a);
	case OP_RUN_DEFERRED: {
		int n = vmalloc_run_deferred(m, a->cpu);

		res(r, " freed=%d", n);
		return shadow_run_deferred(r->sh, a->cpu, n, &r->sfail);
	}
	case OP_SET_CPU:
		m->cur_cpu = a->cpu;
		shadow_set_cpu(r->sh, a->cpu);
		return 0;
	case OP_PURGE:
		purge_vmap_area_lazy(m);
		shadow_purge(r->sh);
		return 0;
	case OP_UNMAP_ALIASES:
		vm_unmap_aliases(m);
		shadow_unmap_aliases(r->sh);
		return 0;
	case OP_WRITE:
		return do_write(r, a);
	case OP_READ:
		return do_read(r, pick_live(r, a->handle), a);
	case OP_ACCESS:
		return do_access(r, a);
	case OP_READ_FREED:
		return do_read(r, pick_freed(r, a->handle), a);
	case OP_VMALLOC_TO_PAGE:
		return do_vmalloc_to_page(r, a);
	case OP_VREAD:
		return do_vread(r, a);
	case OP_FAULT:
		vmf_fault_set(m, (enum vmf_fault_site)a->site,
			      (enum vmf_fault_mode)a->mode, a->n);
		shadow_fault_set(r->sh, a->site, a->mode, a->n);
		return 0;
	case OP_FRAGMENT:
		return do_fragment(r, a);
	case OP_BAD:
		return do_bad(r, a);
	case OP_CHECK:
		return do_check(r, idx);
	case OP_NR:
		break;
	}
	return 0;
}

/* ---- running ----------------------------------------------------------------- */

static int prepare(struct vmf_runner *r, const struct vmf_program *prog)
{
	struct sh_observer o;
	char why[256];

	if (!r->m) {
		r->m = vmf_machine_create(&prog->cfg, why, sizeof(why));
		if (!r->m)
			return -1;
	} else if (vmf_machine_reset(r->m, &prog->cfg, why, sizeof(why))) {
		return -1;
	}
	observer_init(r, &o);
	if (shadow_reset(r->sh, &r->m->cfg, &o))
		return -1;
	r->inited = false;
	r->nr_live = 0;
	r->vmap_slots = 0;
	r->nr_freed = 0;
	r->freed_next = 0;
	r->nr_frag = 0; /* the machine reset took the pages back */
	return 0;
}

/* The warnings a command recorded, by kind (their texts may hold values
 * that are not the trace's business). */
static void trace_warnings(struct vmf_runner *r, uint64_t before)
{
	for (uint64_t s = before + 1; s <= r->m->warn.seq; s++) {
		const struct vmf_warn_event *ev = vmf_warn_get(r->m, s);

		res(r, "%s%s", s == before + 1 ? " warn=" : ",",
		    ev ? vmf_warn_kind_name(ev->kind) : "?");
	}
}

static void fail_with(struct vmf_runner *r, const struct vmf_program *prog,
		      size_t idx, struct vmf_failure *fail)
{
	FILE *f;

	r->state[0] = 0;
	f = fmemopen(r->state, sizeof(r->state), "w");
	if (f) {
		shadow_describe(r->sh, f);
		fclose(f);
		r->state[sizeof(r->state) - 1] = 0;
	}
	if (fail)
		vmf_report_build(fail, prog, idx, r->sfail.check,
				 r->sfail.detail, r->state);
}

int vmf_run_program(struct vmf_runner *r, const struct vmf_program *prog,
		    const struct vmf_run_opts *opts, struct vmf_failure *fail)
{
	return vmf_run_program_hooked(r, prog, opts, fail, NULL, NULL);
}

/* Page allocations so far, data and page-table pages alike (every
 * alloc_pages call asks one of the two fault sites). */
uint64_t vmf_pages_spent(const struct vmf_machine *m)
{
	return m->fault.site[FAULT_PAGE_ALLOC].calls +
	       m->fault.site[FAULT_PGTABLE].calls;
}

int vmf_run_program_hooked(struct vmf_runner *r,
			   const struct vmf_program *prog,
			   const struct vmf_run_opts *opts,
			   struct vmf_failure *fail, vmf_cmd_hook hook,
			   void *arg)
{
	size_t n = prog->nr_cmds;

	if (fail) {
		fail->failed = false;
		fail->cmd_index = 0;
		fail->check[0] = fail->signature[0] = fail->report[0] = 0;
	}
	if (prepare(r, prog)) {
		snprintf(r->sfail.check, sizeof(r->sfail.check), "setup");
		snprintf(r->sfail.detail, sizeof(r->sfail.detail),
			 "the machine could not be made for this config");
		fail_with(r, prog, prog->nr_cmds, fail);
		return 1;
	}
	r->trace = opts ? opts->trace : NULL;
	if (opts && opts->stop_after >= 0 && (size_t)opts->stop_after < n)
		n = (size_t)opts->stop_after;
	r->first_check = r->last_check = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (prog->cmds[i].op != OP_CHECK)
			continue;
		if (r->first_check == (size_t)-1)
			r->first_check = i;
		r->last_check = i;
	}
	if (r->trace) {
		vmf_header_print(prog, r->trace);
		fputc('\n', r->trace);
	}
	for (size_t i = 0; i < n; i++) {
		const struct vmf_cmd *cmd = &prog->cmds[i];
		struct vmf_args args;
		uint64_t warn_before;
		int bad;

		r->result_len = 0;
		r->result[0] = 0;
		if (hook)
			hook(arg, r->m, i);
		if (cmd->op == OP_NOP && r->inited && !hook) {
			/* Nothing runs, so nothing can disagree (a quarter of
			 * the opcode space decodes to nop). A hook may change
			 * the machine between commands: then the nop is
			 * checked like any command. */
			if (r->trace)
				fprintf(r->trace, "#%zu nop =>\n", i);
			continue;
		}
		shadow_begin(r->sh);
		if (!r->inited && cmd->op != OP_EARLY_ADD &&
		    cmd->op != OP_EARLY_REGISTER) {
			vmalloc_init(r->m);
			shadow_init(r->sh);
			r->inited = true;
			res(r, " [vmalloc_init]");
		}
		vmf_cmd_resolve(cmd, &r->m->cfg, &args);
		warn_before = r->m->warn.seq;
		bad = exec_cmd(r, cmd->op, &args, i);
		if (!bad)
			bad = shadow_verify(r->sh, &r->sfail);
		if (r->trace)
			trace_warnings(r, warn_before);
		if (r->trace) {
			char text[160];

			vmf_cmd_text(cmd, text, sizeof(text));
			fprintf(r->trace, "#%zu %s =>%s%s\n", i, text, r->result,
				bad ? " MISMATCH" : "");
		}
		if (bad) {
			fail_with(r, prog, i, fail);
			return 1;
		}
		if (vmf_pages_spent(r->m) >= VMF_PAGE_BUDGET && i + 1 < n) {
			if (r->trace)
				fprintf(r->trace,
					"# page budget spent: %llu page "
					"allocations by #%zu, the rest is not "
					"run\n",
					(unsigned long long)vmf_pages_spent(r->m), i);
			break;
		}
	}
	return 0;
}

int vmf_run(struct vmf_runner *r, const uint8_t *data, size_t size,
	    const struct vmf_run_opts *opts, struct vmf_failure *fail)
{
	vmf_decode(data, size, &r->prog);
	return vmf_run_program(r, &r->prog, opts, fail);
}

void vmf_run_or_abort(struct vmf_runner *r, const uint8_t *data, size_t size)
{
	if (vmf_run(r, data, size, NULL, &r->fail)) {
		fputs(r->fail.report, stderr);
		fflush(stderr);
		abort();
	}
}
