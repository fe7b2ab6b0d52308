/* The shadow's model of each vmalloc entry point (Linux 4.19 semantics from
 * the notes and the seed, plus the hardened decisions of docs/vmalloc.md).
 *
 * Every function here updates the model exactly as the call must change
 * the machine, and records the side effects the verifier compares: the
 * fault-injection calls (kmalloc: vm_struct, vmap_area, page array; pages:
 * one per page, order 0; page tables: one per missing table), warnings,
 * TLB flushes, lazy accounting, purges, new and unmapped ranges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "shadow_vminfo.h"
#include "shadow_walk.h"

#define PTR_BYTES 8 /* sizeof(struct page *) on the simulated arm64 */

/* ---- small helpers ------------------------------------------------------- */

static uint64_t page_align(const struct shadow *sh, uint64_t x)
{
	return (x + sh->page_size - 1) & ~(sh->page_size - 1);
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static unsigned fls64_(uint64_t x)
{
	unsigned r = 0;

	while (x) {
		r++;
		x >>= 1;
	}
	return r;
}

/* IOREMAP_MAX_ORDER, arm64 4.19 (asm/memory.h): PUD_SHIFT with 4K pages,
 * PMD_SHIFT otherwise. */
static unsigned ioremap_max_order(const struct shadow *sh)
{
	unsigned stride = sh->page_shift - 3;

	return sh->page_shift == 12 ? sh->page_shift + 2 * stride
				    : sh->page_shift + stride;
}

/* kmalloc/kzalloc of a metadata object: fails when injected (the call is
 * counted first), for size 0 or above 4 GiB (kmalloc.h). */
bool sh_km_alloc(struct shadow *sh, uint64_t size)
{
	if (sh_should_fail(sh, FAULT_KMALLOC))
		return false;
	if (size == 0 || size > (1ull << 32))
		return false;
	sh->exp.km_objects++;
	return true;
}

void sh_km_free(struct shadow *sh)
{
	sh->exp.km_objects--;
}

/* One order-0 page as alloc_pages_owner() gives it: the node it came from,
 * or -1. An impossible node is refused before the fault site is asked. */
static int page_alloc(struct shadow *sh, int node, gfp_t gfp)
{
	int n;

	if (node != NUMA_NO_NODE &&
	    (node < 0 || (unsigned)node >= sh->phys.nr_nodes)) {
		sh_expect_warn_kind(sh, WARN_PAGE_BAD_NODE);
		return -1;
	}
	n = sh_should_fail(sh, FAULT_PAGE_ALLOC) ? -1 :
						     sh_phys_take(sh, node, gfp);
	if (n < 0 && !(gfp & __GFP_NOWARN))
		sh_expect_warn_kind(sh, WARN_PAGE_ALLOC_FAIL);
	return n;
}

/* flush_tlb_kernel_range(): one event, a full flush past the threshold. */
void sh_flush_range(struct shadow *sh, vaddr_t start, vaddr_t end)
{
	enum tlb_flush_kind kind =
		end - start > ((uint64_t)sh->cfg.tlb_flush_max_pages
			       << sh->page_shift) ?
			TLB_FLUSH_ALL :
			TLB_FLUSH_RANGE;

	sh_expect_flush(sh, kind, start, end);
	sh_vb_flushed(sh, kind == TLB_FLUSH_ALL, start, end);
}

/* ---- lazy freeing and purge -------------------------------------------- */

struct lazy_ref {
	uint64_t seq;
	vaddr_t start;
};

static int lazy_newest_first(const void *a, const void *b)
{
	const struct lazy_ref *x = a, *y = b;

	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/* __purge_vmap_area_lazy(start, end): take the whole purge list; nothing
 * on it -> no flush; else one flush over [start, end) widened to [min
 * va_start, max va_end), then release every area newest first (the llist
 * order), each through the policy's cache rule, subtracting its pages from
 * vmap_lazy_nr. */
bool sh_purge_lazy(struct shadow *sh, bool overflow, vaddr_t start,
		   vaddr_t end)
{
	struct lazy_ref *refs;
	size_t n = 0;
	vaddr_t lo = start, hi = end;

	sh->exp.nr_purge_calls++;
	if (overflow)
		sh->exp.nr_overflow_purges++;
	for (size_t i = 0; i < sh->busy.n; i++)
		if (sh->busy.a[i].state == SH_LAZY)
			n++;
	if (n == 0)
		return false;
	refs = malloc(n * sizeof(*refs));
	if (!refs)
		return false;
	n = 0;
	for (size_t i = 0; i < sh->busy.n; i++) {
		const struct sh_area *a = &sh->busy.a[i];

		if (a->state != SH_LAZY)
			continue;
		refs[n].seq = a->lazy_seq;
		refs[n].start = a->start;
		n++;
		if (a->start < lo)
			lo = a->start;
		if (a->end > hi)
			hi = a->end;
	}
	sh->exp.nr_purges++;
	sh_flush_range(sh, lo, hi);
	/* After the flush no TLB entry may translate anything of the span
	 * (nothing accesses memory within a command after its purges). */
	sh_add_pending(sh, SH_P_PURGED, lo, hi);
	qsort(refs, n, sizeof(*refs), lazy_newest_first);
	for (size_t k = 0; k < n; k++) {
		size_t idx = sh_busy_lower(&sh->busy, refs[k].start);
		struct sh_area *a = &sh->busy.a[idx];

		sh->place.releasing(sh->place_state, &sh->busy, idx);
		sh->exp.vmap_lazy_nr -= (a->end - a->start) >> sh->page_shift;
		sh->exp.nr_lazy--;
		sh->exp.nr_busy--;
		sh_km_free(sh); /* the vmap_area */
		free(a->pfns);
		sh_add_pending(sh, SH_P_RELEASED, a->start, a->end);
		sh_busy_remove(&sh->busy, idx);
	}
	free(refs);
	return true;
}

/* purge_vmap_area_lazy() (an overflow, OP_PURGE): under vmap_purge_lock,
 * the fragmented blocks first, then the purge of everything. A block freed
 * there finds the lock taken (try_purge_vmap_area_lazy's trylock fails). */
static void purge(struct shadow *sh, bool overflow)
{
	sh->purge_locked = true;
	sh_vb_purge_fragmented(sh);
	sh_purge_lazy(sh, overflow, ~0ull, 0);
	sh->purge_locked = false;
}

/* Clear the area's leaf entries (tables stay); no TLB maintenance. */
static void unmap_area(struct shadow *sh, struct sh_area *a)
{
	if (a->mapped && a->nr_pages)
		sh_add_pending(sh, SH_P_UNMAPPED, a->start,
			       a->start + (a->nr_pages << sh->page_shift));
	a->mapped = false;
}

/* free_vmap_area_noflush(): the area (already unmapped) goes on the purge
 * list; past lazy_max_pages, try_purge_vmap_area_lazy(): a purge unless
 * the purge lock is held (4.19: mutex_trylock). The pointer is invalid
 * afterwards. */
void sh_lazy_free(struct shadow *sh, struct sh_area *a)
{
	a->state = SH_LAZY;
	a->has_vm = false;
	a->lazy_seq = ++sh->lazy_seq;
	sh_add_pending(sh, SH_P_VM_CHANGED, a->start, 0);
	sh->exp.vmap_lazy_nr += (a->end - a->start) >> sh->page_shift;
	sh->exp.nr_lazy++;
	if (sh->exp.vmap_lazy_nr > sh->lazy_max && !sh->purge_locked)
		sh_purge_lazy(sh, false, ~0ull, 0);
}

/* ---- alloc_vmap_area ------------------------------------------------------ */

int sh_alloc_vmap_area(struct shadow *sh, uint64_t size, uint64_t align,
		       vaddr_t vstart, vaddr_t vend, gfp_t gfp, vaddr_t *out)
{
	bool purged = false;
	vaddr_t addr = 0;
	struct sh_area na;
	size_t idx;

	if (!sh_km_alloc(sh, 1))
		return -VMF_ENOMEM;
	for (;;) {
		int r = sh->place.attempt(sh->place_state, &sh->busy, size,
					  align, vstart, vend, &addr);

		sh_place_judge(sh, size, align, vstart, vend, r == 0, addr,
			       purged);
		if (r == 0)
			break;
		if (purged) {
			if (!(gfp & __GFP_NOWARN))
				sh_expect_warn(sh, WARN_VMAP_ALLOC_FAILED,
					       "vmap allocation for size %llu "
					       "failed: use vmalloc=<size> to "
					       "increase size",
					       (unsigned long long)size);
			sh_km_free(sh);
			return -VMF_EBUSY;
		}
		purge(sh, true);
		purged = true;
	}
	memset(&na, 0, sizeof(na));
	na.start = addr;
	na.end = addr + size;
	na.state = SH_LIVE;
	na.req_align = align;
	na.req_vstart = vstart;
	na.req_vend = vend;
	idx = sh_busy_insert(&sh->busy, &na);
	if (idx == (size_t)-1)
		return -VMF_ENOMEM;
	sh->place.inserted(sh->place_state, &sh->busy, idx);
	sh->exp.nr_busy++;
	*out = addr;
	return 0;
}

/* __get_vm_area_node(): the vm_struct first, then the area (one guard page
 * unless VM_NO_GUARD). size is page aligned and non-zero here. */
int sh_get_vm_area_node(struct shadow *sh, uint64_t size, uint64_t align,
			unsigned long flags, vaddr_t start, vaddr_t end,
			gfp_t gfp, vaddr_t *out)
{
	struct sh_area *a;
	int r;

	if (flags & SH_VM_IOREMAP) {
		unsigned o = fls64_(size);

		if (o < sh->page_shift)
			o = sh->page_shift;
		if (o > ioremap_max_order(sh))
			o = ioremap_max_order(sh);
		align = 1ull << o;
	}
	size = page_align(sh, size);
	if (!sh_km_alloc(sh, 1))
		return -VMF_ENOMEM;
	if (!(flags & SH_VM_NO_GUARD))
		size += sh->page_size;
	r = sh_alloc_vmap_area(sh, size, align, start, end, gfp, out);
	if (r) {
		sh_km_free(sh);
		return r;
	}
	a = sh_busy_find(&sh->busy, *out);
	a->has_vm = true;
	a->kind = SHK_VMAREA;
	a->flags = flags;
	a->ioremap = (flags & SH_VM_IOREMAP) != 0;
	return 0;
}

/* ---- freeing ---------------------------------------------------------------- */

static void free_area_pages(struct shadow *sh, const struct sh_area *a)
{
	sh_ver_owned(sh, SH_OWN_VMALLOC, -(int64_t)a->nr_pages);
	if (a->pfns_known) {
		for (uint64_t i = 0; i < a->nr_pages; i++)
			sh_phys_give(sh, a->pfns[i]);
	} else {
		sh_frames_give_unnamed(sh, a->node_pages);
	}
}

/* __vunmap(addr, deallocate_pages) once the arguments passed: take the
 * area out (unmap, lazily free), free its pages and page array (a nested
 * area is vfree'd in turn), free the vm_struct. The lazy area keeps its
 * pfns (sh_keep_stale_frames). */
void sh_vunmap_area(struct shadow *sh, vaddr_t start, bool dealloc)
{
	struct sh_area *a = sh_busy_find(&sh->busy, start);
	struct sh_area copy = *a;

	a->pfns = NULL;
	a->pfns_known = false;
	unmap_area(sh, a);
	sh_lazy_free(sh, a); /* a is invalid from here */
	if (dealloc && (copy.kind == SHK_VMALLOC || copy.kind == SHK_ARRAY)) {
		free_area_pages(sh, &copy);
		if (copy.array_va)
			sh_vunmap_area(sh, copy.array_va, true);
		else if (copy.array_km)
			sh_km_free(sh);
	}
	sh_keep_stale_frames(sh, start, copy.pfns, copy.pfns_known);
	sh_km_free(sh); /* the vm_struct */
}

void sh_keep_stale_frames(struct shadow *sh, vaddr_t start, pfn_t *pfns,
			  bool known)
{
	struct sh_area *a = sh_busy_find(&sh->busy, start);

	if (a && a->state == SH_LAZY && !a->pfns) {
		a->pfns = pfns;
		a->pfns_known = known;
	} else {
		free(pfns); /* a purge released it already */
	}
}

/* ---- the vmalloc path --------------------------------------------------- */

bool sh_vmalloc_page_array(struct shadow *sh, vaddr_t addr, uint64_t nr,
			   gfp_t gfp, int node)
{
	struct sh_area *a = sh_busy_find(&sh->busy, addr);
	uint64_t array_size = nr * PTR_BYTES;
	gfp_t nested_gfp = (gfp & __GFP_NOWARN) | __GFP_ZERO;
	bool have_array;

	if (array_size > sh->page_size) {
		vaddr_t arr = sh_vmalloc_range(sh, array_size, 1, sh->vm_start,
					    sh->vm_end,
					    nested_gfp | __GFP_HIGHMEM,
					    PAGE_KERNEL, 0, node, SHK_ARRAY);

		a = sh_busy_find(&sh->busy, addr);
		have_array = arr != 0;
		if (have_array) {
			a->flags |= SH_VM_VPAGES;
			a->array_va = arr;
			sh_busy_find(&sh->busy, arr)->array_owned = true;
		}
	} else {
		have_array = sh_km_alloc(sh, array_size);
		a->array_km = have_array;
	}
	if (!have_array) {
		/* remove_vm_area() + kfree(area): no pages, no warning. */
		a->has_vm = false;
		unmap_area(sh, a);
		sh_lazy_free(sh, a);
		sh_km_free(sh);
	}
	return have_array;
}

/* __vmalloc_area_node(). */
static vaddr_t vmalloc_area_node(struct shadow *sh, vaddr_t addr, gfp_t gfp,
				 uint64_t prot, int node, enum sh_kind kind)
{
	struct sh_area *a = sh_busy_find(&sh->busy, addr);
	uint64_t ps = sh->page_size;
	uint64_t area_bytes = a->end - a->start;
	uint64_t nr = ((a->flags & SH_VM_NO_GUARD) ? area_bytes
						    : area_bytes - ps) >>
		      sh->page_shift;
	uint64_t got;

	a->kind = (uint8_t)kind;
	a->prot = prot;
	a->zeroed = kind != SHK_ARRAY && (gfp & __GFP_ZERO);
	if (!sh_vmalloc_page_array(sh, addr, nr, gfp, node))
		return 0;
	a = sh_busy_find(&sh->busy, addr);
	for (got = 0; got < nr; got++) {
		int n = page_alloc(sh, node, gfp | __GFP_NOWARN);

		if (n < 0)
			break;
		a->node_pages[n]++;
	}
	a->nr_pages = got;
	sh_ver_owned(sh, SH_OWN_VMALLOC, (int64_t)got);
	/* The mapping is tried only with every page; what it mapped before
	 * failing is unmapped again by the vfree. */
	a->mapped = got == nr;
	if (got < nr || sh_pt_map(sh, addr, nr)) {
		a = sh_busy_find(&sh->busy, addr);
		if (!(gfp & __GFP_NOWARN))
			sh_expect_warn(sh, WARN_VMALLOC_ALLOC_FAILURE,
				       "vmalloc: allocation failure, allocated "
				       "%llu of %llu bytes",
				       (unsigned long long)(got * ps),
				       (unsigned long long)area_bytes);
		sh_vunmap_area(sh, addr, true);
		return 0;
	}
	sh_add_pending(sh, SH_P_NEW_AREA, addr, 0);
	return addr;
}

vaddr_t sh_vmalloc_range(struct shadow *sh, uint64_t size, uint64_t align,
			 vaddr_t start, vaddr_t end, gfp_t gfp, uint64_t prot,
			 unsigned long vm_flags, int node, enum sh_kind kind)
{
	uint64_t real_size = size;
	vaddr_t addr;

	size = page_align(sh, size);
	if (sh_get_vm_area_node(sh, size, align,
			     SH_VM_ALLOC | SH_VM_UNINITIALIZED | vm_flags, start,
			     end, gfp, &addr)) {
		if (!(gfp & __GFP_NOWARN))
			sh_expect_warn(sh, WARN_VMALLOC_ALLOC_FAILURE,
				       "vmalloc: allocation failure: %llu bytes",
				       (unsigned long long)real_size);
		return 0;
	}
	addr = vmalloc_area_node(sh, addr, gfp, prot, node, kind);
	if (addr) {
		/* clear_vm_uninitialized_flag() */
		struct sh_area *a = sh_busy_find(&sh->busy, addr);

		a->flags &= ~SH_VM_UNINITIALIZED;
	}
	return addr;
}

/* ---- argument checks (hardened: refuse before any allocation) ------------ */

/* The checks of __vmalloc_node_range / __get_vm_area_node (hardened,
 * docs/vmalloc.md): refused before anything is allocated, one warning, in
 * this order: size (zero, PAGE_ALIGN wraps, above totalram), align, range,
 * node, gfp, vm_flags. True if the call is refused. */
static bool refuse_alloc(struct shadow *sh, uint64_t size, uint64_t align,
			 vaddr_t start, vaddr_t end, gfp_t gfp,
			 unsigned long vm_flags, int node)
{
	uint64_t aligned = page_align(sh, size);

	if (aligned == 0 || (aligned >> sh->page_shift) > sh->totalram) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_SIZE);
		return true;
	}
	if (!is_pow2(align)) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_ALIGN);
		return true;
	}
	if (start >= end || start < sh->vm_start || end > sh->vm_end ||
	    (start & (sh->page_size - 1)) || (end & (sh->page_size - 1))) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_RANGE);
		return true;
	}
	/* One kind for three arguments: the text names the one refused
	 * (docs/vmalloc.md "Warning texts"), node before gfp before flags. */
	if (node != NUMA_NO_NODE &&
	    (node < 0 || (unsigned)node >= sh->phys.nr_nodes)) {
		sh_expect_warn_phrase(sh, WARN_VMALLOC_BAD_ARG, ": node ");
		return true;
	}
	if (gfp & ~GFP_VALID_MASK) {
		sh_expect_warn_phrase(sh, WARN_VMALLOC_BAD_ARG, ": gfp 0x");
		return true;
	}
	if (vm_flags & ~SH_VM_FLAGS_MASK) {
		sh_expect_warn_phrase(sh, WARN_VMALLOC_BAD_ARG, ": vm_flags 0x");
		return true;
	}
	return false;
}

/* ---- entry points ------------------------------------------------------- */

static vaddr_t model_alloc(struct shadow *sh, const struct sh_alloc_req *r)
{
	vaddr_t ws = sh->vm_start, we = sh->vm_end;
	uint64_t ps = sh->page_size;
	vaddr_t addr;

	switch (r->entry) {
	case SH_E_VMALLOC:
		if (refuse_alloc(sh, r->size, 1, ws, we, GFP_KERNEL, 0,
				 NUMA_NO_NODE))
			return 0;
		return sh_vmalloc_range(sh, r->size, 1, ws, we, GFP_KERNEL,
				     PAGE_KERNEL, 0, NUMA_NO_NODE, SHK_VMALLOC);
	case SH_E_VZALLOC:
		if (refuse_alloc(sh, r->size, 1, ws, we, __GFP_ZERO, 0,
				 NUMA_NO_NODE))
			return 0;
		return sh_vmalloc_range(sh, r->size, 1, ws, we, __GFP_ZERO,
				     PAGE_KERNEL, 0, NUMA_NO_NODE, SHK_VMALLOC);
	case SH_E_VMALLOC_HUGE:
		if (refuse_alloc(sh, r->size, 1, ws, we, GFP_KERNEL, 0, r->node))
			return 0;
		return sh_vmalloc_huge(sh, r->size, r->node);
	case SH_E_VMALLOC_NODE:
	case SH_E_VZALLOC_NODE: {
		gfp_t g = r->entry == SH_E_VZALLOC_NODE ? __GFP_ZERO : 0;

		if (refuse_alloc(sh, r->size, 1, ws, we, g, 0, r->node))
			return 0;
		return sh_vmalloc_range(sh, r->size, 1, ws, we, g, PAGE_KERNEL, 0,
				     r->node, SHK_VMALLOC);
	}
	case SH_E_VMALLOC_32:
		if (refuse_alloc(sh, r->size, 1, ws, we, __GFP_DMA32, 0,
				 NUMA_NO_NODE))
			return 0;
		return sh_vmalloc_range(sh, r->size, 1, ws, we, __GFP_DMA32,
				     PAGE_KERNEL, 0, NUMA_NO_NODE, SHK_VMALLOC);
	case SH_E_VMALLOC_USER:
		/* SHMLBA is PAGE_SIZE on arm64; VM_USERMAP set after. */
		if (refuse_alloc(sh, r->size, ps, ws, we, __GFP_ZERO, 0,
				 NUMA_NO_NODE))
			return 0;
		addr = sh_vmalloc_range(sh, r->size, ps, ws, we, __GFP_ZERO,
				     PAGE_KERNEL, 0, NUMA_NO_NODE, SHK_VMALLOC);
		if (addr)
			sh_busy_find(&sh->busy, addr)->flags |= SH_VM_USERMAP;
		return addr;
	case SH_E_VMALLOC_EXEC:
		if (refuse_alloc(sh, r->size, 1, ws, we, GFP_KERNEL, 0,
				 NUMA_NO_NODE))
			return 0;
		return sh_vmalloc_range(sh, r->size, 1, ws, we, GFP_KERNEL,
				     PAGE_KERNEL_EXEC, 0, NUMA_NO_NODE,
				     SHK_VMALLOC);
	case SH_E___VMALLOC:
		if (refuse_alloc(sh, r->size, 1, ws, we, r->gfp, 0,
				 NUMA_NO_NODE))
			return 0;
		return sh_vmalloc_range(sh, r->size, 1, ws, we, r->gfp, r->prot, 0,
				     NUMA_NO_NODE, SHK_VMALLOC);
	case SH_E_NODE_RANGE:
		if (refuse_alloc(sh, r->size, r->align, r->start, r->end, r->gfp,
				 r->vm_flags, r->node))
			return 0;
		return sh_vmalloc_range(sh, r->size, r->align, r->start, r->end,
				     r->gfp, r->prot, r->vm_flags, r->node,
				     SHK_VMALLOC);
	case SH_E_GET_VM_AREA:
	case SH_E_GET_VM_AREA_NODE: {
		bool node = r->entry == SH_E_GET_VM_AREA_NODE;
		uint64_t align = node ? r->align : 1;
		vaddr_t s = node ? r->start : ws, e = node ? r->end : we;
		gfp_t g = node ? r->gfp : GFP_KERNEL;
		int nd = node ? r->node : NUMA_NO_NODE;

		if (refuse_alloc(sh, r->size, align, s, e, g, r->vm_flags, nd))
			return 0;
		if (sh_get_vm_area_node(sh, r->size, align, r->vm_flags, s, e, g,
				     &addr))
			return 0;
		sh_add_pending(sh, SH_P_NEW_AREA, addr, 0);
		return addr;
	}
	case SH_E_VMAP: {
		struct sh_area *a;

		if (r->count > sh->totalram || r->count == 0) {
			sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_SIZE);
			return 0;
		}
		if (r->vm_flags & ~SH_VM_FLAGS_MASK) {
			sh_expect_warn_phrase(sh, WARN_VMALLOC_BAD_ARG,
					      "vmap: flags 0x");
			return 0;
		}
		/* The library adds VM_MAP to the caller's flags (4.19 passes
		 * them as given; no observable difference here). */
		if (sh_get_vm_area_node(sh, (uint64_t)r->count << sh->page_shift,
				     1, r->vm_flags | SH_VM_MAP, ws, we,
				     GFP_KERNEL, &addr))
			return 0;
		a = sh_busy_find(&sh->busy, addr);
		a->kind = SHK_VMAP;
		a->prot = r->prot;
		a->nr_pages = r->count;
		a->pfns = malloc(r->count * sizeof(*a->pfns));
		if (a->pfns)
			memcpy(a->pfns, r->pfns, r->count * sizeof(*a->pfns));
		a->mapped = true;
		if (sh_pt_map(sh, addr, r->count)) {
			sh_vunmap_area(sh, addr, false);
			return 0;
		}
		sh_add_pending(sh, SH_P_NEW_AREA, addr, 0);
		return addr;
	}
	}
	return 0;
}

int shadow_alloc(struct shadow *sh, const struct sh_alloc_req *req,
		 vaddr_t observed, struct sh_fail *f)
{
	vaddr_t want;

	/* What a policy with no predictor follows (sh_tracking). */
	sh->tracking.hint = observed;
	sh->tracking.hint_set = observed != 0;
	want = model_alloc(sh, req);
	sh->tracking.hint_set = false;

	sh_vm_created(sh, req, want);
	if (sh->huge.blocks_bad) { /* vmalloc_huge's picture of the buddy */
		sh->huge.blocks_bad = false;
		return sh_fail(f, "free-blocks", "%s", sh->huge.blocks_why);
	}
	if (want != observed)
		return sh_fail(f, "address",
			       "expected %s%llx, the library returned %s%llx",
			       want ? "0x" : "failure ",
			       (unsigned long long)want,
			       observed ? "0x" : "failure ",
			       (unsigned long long)observed);
	return 0;
}

/* ---- freeing entry points -------------------------------------------------- */

enum free_fn { FN_VFREE, FN_VUNMAP, FN_REMOVE };

/* The checks of the free family (hardened, docs/vmalloc.md), in order:
 * unaligned, no area, interior pointer, already freed (lazy or deferred),
 * a nested page array, then the kind: vfree wants VM_ALLOC, vunmap wants
 * no VM_ALLOC, remove_vm_area takes any live area. Returns the warning,
 * or WARN_NONE and the area. */
static enum vmf_warn_kind free_refusal(struct shadow *sh, vaddr_t addr,
				       enum free_fn fn, struct sh_area **out)
{
	struct sh_area *a;

	*out = NULL;
	if (addr & (sh->page_size - 1))
		return WARN_VFREE_BAD_ADDR;
	a = sh_busy_containing(&sh->busy, addr);
	if (!a)
		return WARN_VFREE_NONEXISTENT;
	if (a->start != addr)
		return WARN_VFREE_INTERIOR;
	if (a->state != SH_LIVE)
		return WARN_VFREE_DOUBLE;
	if (!a->has_vm)
		return WARN_VFREE_NONEXISTENT;
	if (a->array_owned)
		return WARN_VFREE_WRONG_KIND;
	if (fn == FN_VFREE && !(a->flags & SH_VM_ALLOC))
		return WARN_VFREE_WRONG_KIND;
	if (fn == FN_VUNMAP && (a->flags & SH_VM_ALLOC))
		return WARN_VFREE_WRONG_KIND;
	*out = a;
	return WARN_NONE;
}

/* remove_vm_area() after the checks: the caller gets the vm_struct (and
 * frees it); a vmalloc'ed area's pages and page array become the
 * caller's: the pages count as leaked, a nested array area becomes an
 * ordinary live area. */
static void remove_area(struct shadow *sh, struct sh_area *a)
{
	vaddr_t start = a->start;
	pfn_t *pfns;
	bool known;

	if (a->kind == SHK_VMALLOC || a->kind == SHK_ARRAY) {
		sh->exp.nr_leaked_pages += a->nr_pages;
		if (a->array_va) {
			struct sh_area *n = sh_busy_find(&sh->busy, a->array_va);

			if (n)
				n->array_owned = false;
		}
	}
	pfns = a->pfns;
	known = a->pfns_known;
	a->pfns = NULL;
	a->pfns_known = false;
	unmap_area(sh, a);
	sh_lazy_free(sh, a);
	sh_keep_stale_frames(sh, start, pfns, known);
}

/* The kernel's own words where it has them (mm/vmalloc.c __vunmap). */
static void expect_free_warning(struct shadow *sh, enum vmf_warn_kind w)
{
	if (w == WARN_VFREE_BAD_ADDR)
		sh_expect_warn_phrase(sh, w, "Trying to vfree() bad address");
	else if (w == WARN_VFREE_NONEXISTENT)
		sh_expect_warn_phrase(sh, w,
				      "Trying to vfree() nonexistent vm area");
	else
		sh_expect_warn_kind(sh, w);
}

static long model_free(struct shadow *sh, enum sh_free_entry e, vaddr_t addr,
		       long *want2)
{
	struct sh_area *a;
	enum vmf_warn_kind w;

	*want2 = 0;
	switch (e) {
	case SH_F_VFREE:
	case SH_F_VFREE_ATOMIC:
	case SH_F_VFREE_IRQ:
		if (!addr)
			return 0;
		w = free_refusal(sh, addr, FN_VFREE, &a);
		if (w != WARN_NONE) {
			expect_free_warning(sh, w);
			return -VMF_EINVAL;
		}
		if (e == SH_F_VFREE) {
			sh_vunmap_area(sh, addr, true);
			return 0;
		}
		/* Deferred: stays busy and mapped until the CPU's work runs. */
		a->state = SH_DEFERRED;
		a->defer_cpu = sh->cur_cpu % sh->cfg.nr_cpus;
		a->defer_seq = ++sh->defer_seq;
		sh->exp.nr_deferred[a->defer_cpu]++;
		sh_add_pending(sh, SH_P_VM_CHANGED, addr, 0);
		return 0;
	case SH_F_VUNMAP:
		if (!addr)
			return 0;
		w = free_refusal(sh, addr, FN_VUNMAP, &a);
		if (w != WARN_NONE) {
			expect_free_warning(sh, w);
			return -VMF_EINVAL;
		}
		sh_vunmap_area(sh, addr, false);
		return 0;
	case SH_F_REMOVE_VM_AREA:
		w = free_refusal(sh, addr, FN_REMOVE, &a);
		if (w != WARN_NONE) {
			expect_free_warning(sh, w);
			return 0;
		}
		remove_area(sh, a);
		sh_km_free(sh); /* the harness kfree()s the vm_struct */
		return 1;
	case SH_F_FREE_VM_AREA:
		/* find_vm_area(): any busy area holding a vm_struct (live or
		 * awaiting its deferred free) that contains addr. */
		a = sh_busy_containing(&sh->busy, addr);
		if (!a || !a->has_vm)
			return 0;
		w = free_refusal(sh, a->start, FN_REMOVE, &a);
		if (w != WARN_NONE) {
			expect_free_warning(sh, w);
			*want2 = -VMF_EINVAL;
			return 1;
		}
		remove_area(sh, a);
		sh_km_free(sh);
		return 1;
	}
	return 0;
}

int shadow_free(struct shadow *sh, enum sh_free_entry e, vaddr_t addr,
		long observed, long observed2, struct sh_fail *f)
{
	long want2;
	long want = model_free(sh, e, addr, &want2);

	if (want != observed || (e == SH_F_FREE_VM_AREA && want &&
				 want2 != observed2))
		return sh_fail(f, "result",
			       "free of 0x%llx returned %ld/%ld, expected %ld/%ld",
			       (unsigned long long)addr, observed, observed2,
			       want, want2);
	return 0;
}

int shadow_run_deferred(struct shadow *sh, unsigned cpu, int observed,
			struct sh_fail *f)
{
	int n = 0;

	/* The work item pops the whole list: newest first. */
	for (;;) {
		struct sh_area *pick = NULL;

		for (size_t i = 0; i < sh->busy.n; i++) {
			struct sh_area *a = &sh->busy.a[i];

			if (a->state == SH_DEFERRED && a->defer_cpu == cpu &&
			    (!pick || a->defer_seq > pick->defer_seq))
				pick = a;
		}
		if (!pick)
			break;
		sh->exp.nr_deferred[cpu]--;
		pick->state = SH_LIVE;
		sh_vunmap_area(sh, pick->start, true);
		n++;
	}
	if (n != observed)
		return sh_fail(f, "result",
			       "run_deferred on cpu %u freed %d areas, expected "
			       "%d",
			       cpu, observed, n);
	return 0;
}

void shadow_purge(struct shadow *sh)
{
	purge(sh, false);
}


/* ---- boot ---------------------------------------------------------------- */

/* vm_area_add_early(): 0, or the refusal. */
static int early_add(struct shadow *sh, vaddr_t addr, uint64_t size,
		     unsigned long flags)
{
	struct sh_area na, *o;
	size_t i;

	if (sh->initialized) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_EARLY_LATE);
		return -VMF_EINVAL;
	}
	if (!size || (addr & (sh->page_size - 1)) ||
	    (size & (sh->page_size - 1)) || addr < sh->vm_start ||
	    addr >= sh->vm_end || size > sh->vm_end - addr ||
	    (flags & ~SH_VM_FLAGS_MASK)) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_ARG);
		return -VMF_EINVAL;
	}
	o = sh_busy_containing(&sh->early, addr);
	i = sh_busy_lower(&sh->early, addr);
	if (o || (i < sh->early.n && sh->early.a[i].start < addr + size)) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_EARLY_OVERLAP);
		return -VMF_EINVAL;
	}
	if (!sh_km_alloc(sh, 1)) /* the vm_struct */
		return -VMF_ENOMEM;
	memset(&na, 0, sizeof(na));
	na.start = addr;
	na.end = addr + size;
	na.state = SH_LIVE;
	na.kind = SHK_EARLY;
	na.has_vm = true;
	na.flags = flags;
	sh_busy_insert(&sh->early, &na);
	return 0;
}

int shadow_early_add(struct shadow *sh, vaddr_t addr, uint64_t size,
		     unsigned long flags, const char *caller, int observed,
		     struct sh_fail *f)
{
	int want = early_add(sh, addr, size, flags);

	if (want == 0)
		sh_vm_early_created(sh, addr, caller);

	if (want != observed)
		return sh_fail(f, "result",
			       "vm_area_add_early(0x%llx, 0x%llx) returned %d, "
			       "expected %d",
			       (unsigned long long)addr, (unsigned long long)size,
			       observed, want);
	return 0;
}

int shadow_early_register(struct shadow *sh, uint64_t size, uint64_t align,
			  const char *caller, vaddr_t observed,
			  struct sh_fail *f)
{
	vaddr_t want = 0, addr = sh->vm_start + sh->early_off;

	if (sh->initialized) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_EARLY_LATE);
	} else if (!size || (size & (sh->page_size - 1)) || !is_pow2(align) ||
		   ((addr + align - 1) & ~(align - 1)) < addr) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_ARG);
	} else {
		/* vm_init_off moves only when the area is placed; the one
		 * user of 4.19 passes VM_ALLOC. */
		addr = (addr + align - 1) & ~(align - 1);
		if (early_add(sh, addr, size, SH_VM_ALLOC) == 0) {
			want = addr;
			sh->early_off = page_align(sh, addr + size) - sh->vm_start;
			sh_vm_early_created(sh, addr, caller);
		}
	}
	if (want != observed)
		return sh_fail(f, "address",
			       "vm_area_register_early(0x%llx, 0x%llx): "
			       "expected %s%llx, the library returned %s%llx",
			       (unsigned long long)size,
			       (unsigned long long)align, want ? "0x" : "failure ",
			       (unsigned long long)want,
			       observed ? "0x" : "failure ",
			       (unsigned long long)observed);
	return 0;
}

int shadow_init(struct shadow *sh)
{
	if (sh->initialized) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_EARLY_LATE);
		return 0;
	}
	/* Every early area becomes a live busy area (a kzalloc'ed
	 * vmap_area); one that gets none is dropped with a warning. */
	for (size_t i = 0; i < sh->early.n; i++) {
		struct sh_area a = sh->early.a[i];

		if (!sh_km_alloc(sh, 1)) {
			sh_expect_warn_kind(sh, WARN_VMALLOC_ALLOC_FAILURE);
			sh_km_free(sh); /* its vm_struct */
			continue;
		}
		sh_busy_insert(&sh->busy, &a);
		sh->exp.nr_busy++;
		/* Verified after this command like any area it changed:
		 * bounds, list neighbours, vm_struct (they were compared
		 * only at `check` before). */
		sh_add_pending(sh, SH_P_VM_CHANGED, a.start, a.end);
	}
	sh->early.n = 0;
	sh->initialized = true;
	if (sh->place.init)
		sh->place.init(sh->place_state, &sh->busy);
	return 0;
}

vaddr_t shadow_hole(const struct shadow *sh, uint64_t hint)
{
	uint64_t ps = sh->page_size;
	uint64_t pages = (sh->vm_end - sh->vm_start) / ps;
	uint64_t first = (hint / ps) % pages;

	for (uint64_t k = 0; k < pages && k < 4096; k++) {
		vaddr_t va = sh->vm_start + ((first + k) % pages) * ps;

		if (!sh_busy_containing((struct sh_busy *)&sh->busy, va))
			return va;
	}
	return sh->vm_end;
}
