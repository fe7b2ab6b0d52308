/* vmap_area placement: the busy tree and list, alloc_vmap_area and
 * __free_vmap_area (generic part), the legacy placement policy, and the
 * machine lifecycle hooks of the vmalloc layer.
 *
 * Semantics: Linux 4.19 mm/vmalloc.c as given step by step in
 * ../shared/notes/kernel-vmalloc-facts.md ("Legacy placement"). The code
 * is ours. Where the kernel BUG()s, the hardened model refuses with a
 * warning before anything changes (docs/vmalloc.md).
 *
 * Invariants (vm_check verifies them):
 *  - the tree (ordered by va_start) and the list hold the same areas in
 *    the same order, none overlapping, nr_busy of them;
 *  - the legacy cache is NULL or points at an area in the tree. */
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/vmalloc_machine.h>

#include "kernel/util.h"
#include "vmalloc_internal.h"

/* ---- busy tree and list ------------------------------------------------ */

struct vmap_area *__find_vmap_area(struct vmf_machine *m, vaddr_t addr)
{
	struct rb_node *n;

	if (!m->vm)
		return NULL;
	n = m->vm->root.rb_node;
	while (n) {
		struct vmap_area *va = va_of_rb(n);

		if (addr < va->va_start)
			n = n->left;
		else if (addr >= va->va_end)
			n = n->right;
		else
			return va;
	}
	return NULL;
}

struct vmap_area *find_vmap_area(struct vmf_machine *m, vaddr_t addr)
{
#if defined(VMF_PLANT_FIND_START_GOES_LEFT)
	/* PLANT FIND_START_GOES_LEFT: the exported lookup's descent tests
	 * `<=` where `<` belongs, so an area's own first address goes left
	 * and is not found; any other address is found as before (the
	 * library's internal lookups are not affected). */
	struct vmap_area *va = __find_vmap_area(m, addr);

	return va && va->va_start == addr ? NULL : va;
#else
	return __find_vmap_area(m, addr);
#endif
}

/* __insert_vmap_area: descend as the kernel does (left while the new area
 * starts below the node's end), then thread the list after the tree
 * predecessor so both stay address-sorted. */
void vmap_insert_busy(struct vmf_machine *m, struct vmap_area *va)
{
	struct vmalloc_state *vs = m->vm;
	struct rb_node **link = &vs->root.rb_node, *parent = NULL, *prev;

	while (*link) {
		struct vmap_area *tmp = va_of_rb(*link);

		parent = *link;
		/* The kernel BUG()s when neither test holds, which only an
		 * empty area could cause; sizes are checked non-zero. */
		if (va->va_start < tmp->va_end)
			link = &parent->left;
		else
			link = &parent->right;
	}
	rb_link_node(&va->rb_node, parent, link);
	rb_insert_color(&va->rb_node, &vs->root);

	prev = rb_prev(&va->rb_node);
	if (prev)
		vlist_add_after(&va->list, &va_of_rb(prev)->list);
	else
		vlist_add_after(&va->list, &vs->busy);
	vs->nr_busy++;
}

bool vmap_area_is_last(const struct vmf_machine *m, const struct vmap_area *va)
{
	return va->list.next == &m->vm->busy;
}

void __free_vmap_area(struct vmf_machine *m, struct vmap_area *va)
{
	struct vmalloc_state *vs = m->vm;

	/* The policy looks at the tree with va still in it (the legacy
	 * cache moves to va's predecessor). */
	if (vs->place_priv)
		vs->place->free(m, vs->place_priv, va->va_start, va->va_end);
	rb_erase(&va->rb_node, &vs->root);
	RB_CLEAR_NODE(&va->rb_node);
#if defined(VMF_PLANT_PURGE_UNLINKS_NEXT)
	/* PLANT PURGE_UNLINKS_NEXT: the successor leaves the busy list too
	 * (it stays in the tree; vlist_del self-links it, so nothing
	 * dangles). */
	if (va->list.next != &vs->busy && va->list.next != &va->list)
		vlist_del(va->list.next);
#endif
	vlist_del(&va->list);
	vs->nr_busy--;
	kfree(m, va);
}

/* ---- alloc_vmap_area --------------------------------------------------- */

struct vmap_area *__alloc_vmap_area(struct vmf_machine *m, uint64_t size,
				    uint64_t align, vaddr_t vstart,
				    vaddr_t vend, int node, gfp_t gfp,
				    int *err)
{
	struct vmalloc_state *vs = m->vm;
	struct vmap_area *va;
	bool purged = false;

	(void)node; /* kmalloc_node: metadata has no node in the model */
	/* The metadata first, before the search, as the kernel: a failure
	 * here changes nothing else. */
	va = kmalloc(m, sizeof(*va), gfp & GFP_RECLAIM_MASK);
	if (!va) {
		*err = -VMF_ENOMEM;
		return NULL;
	}
	memset(va, 0, sizeof(*va));
	RB_CLEAR_NODE(&va->rb_node);
	vlist_init(&va->list);
	vlist_init(&va->purge_list);

	for (;;) {
		vaddr_t addr;

		if (vs->place_priv &&
		    vs->place->alloc(m, vs->place_priv, size, align, vstart,
				     vend, &addr) == 0) {
			va->va_start = addr;
			va->va_end = addr + size;
			vmap_insert_busy(m, va);
			vs->place_seq++;
			vs->place_log[vs->place_seq % VMALLOC_PLACE_LOG] = addr;
			return va;
		}
		/* An attempt that found no room is logged too (address 0,
		 * never a window address), so that a checker following the
		 * log tells it from the next placement (a fallback's). */
		if (vs->place_priv) {
			vs->place_seq++;
			vs->place_log[vs->place_seq % VMALLOC_PLACE_LOG] = 0;
		}
#if defined(VMF_PLANT_NO_RETRY_AFTER_OVERFLOW)
		/* PLANT NO_RETRY_AFTER_OVERFLOW: fail without purging. */
		break;
#endif
		if (purged)
			break;
		/* overflow: lazily freed areas may be in the way; purge them
		 * once and search again. */
		vs->nr_overflow_purges++;
		purge_vmap_area_lazy(m);
		purged = true;
	}
	if (!(gfp & __GFP_NOWARN))
		vmf_warn(m, WARN_VMAP_ALLOC_FAILED,
			 "vmap allocation for size %llu failed: use "
			 "vmalloc=<size> to increase size",
			 (unsigned long long)size);
	kfree(m, va);
	*err = -VMF_EBUSY;
	return NULL;
}

int vmalloc_check_common(struct vmf_machine *m, const char *fn,
			 uint64_t align, vaddr_t start, vaddr_t end, int node,
			 gfp_t gfp)
{
	uint64_t pmask = m->page_size - 1;

	if (!is_power_of_2(align)) {
		vmf_warn(m, WARN_VMALLOC_BAD_ALIGN,
			 "%s: align 0x%llx is not a power of two", fn,
			 (unsigned long long)align);
		return -VMF_EINVAL;
	}
	if (start >= end || start < m->cfg.vmalloc_start ||
	    end > m->cfg.vmalloc_end || (start & pmask) || (end & pmask)) {
		vmf_warn(m, WARN_VMALLOC_BAD_RANGE,
			 "%s: range [0x%llx, 0x%llx) is not a page-aligned part "
			 "of the vmalloc window [0x%llx, 0x%llx)", fn,
			 (unsigned long long)start, (unsigned long long)end,
			 (unsigned long long)m->cfg.vmalloc_start,
			 (unsigned long long)m->cfg.vmalloc_end);
		return -VMF_EINVAL;
	}
#if defined(VMF_PLANT_GFP_CHECKED_BEFORE_NODE)
	/* PLANT GFP_CHECKED_BEFORE_NODE: the gfp test runs before the node
	 * test: a call with both wrong is refused for its gfp. */
	if (gfp & ~GFP_VALID_MASK) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG, "%s: gfp 0x%x has unknown bits",
			 fn, gfp);
		return -VMF_EINVAL;
	}
#endif
	if (node != NUMA_NO_NODE &&
	    (node < 0 || (unsigned)node >= m->cfg.nr_nodes)) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG, "%s: node %d of %u", fn, node,
			 m->cfg.nr_nodes);
		return -VMF_EINVAL;
	}
	if (gfp & ~GFP_VALID_MASK) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG, "%s: gfp 0x%x has unknown bits",
			 fn, gfp);
		return -VMF_EINVAL;
	}
	return 0;
}

struct vmap_area *alloc_vmap_area(struct vmf_machine *m, uint64_t size,
				  uint64_t align, vaddr_t vstart, vaddr_t vend,
				  int node, gfp_t gfp, int *err)
{
	int dummy;

	if (!err)
		err = &dummy;
	*err = -VMF_EINVAL;
	/* BUG_ON(!size); BUG_ON(offset_in_page(size)) in the kernel. */
	if (size == 0 || (size & (m->page_size - 1))) {
		vmf_warn(m, WARN_VMALLOC_BAD_SIZE,
			 "alloc_vmap_area: size 0x%llx is not a non-zero page "
			 "multiple", (unsigned long long)size);
		return NULL;
	}
	if (vmalloc_check_common(m, "alloc_vmap_area", align, vstart, vend,
				 node, gfp))
		return NULL;
	if (!m->vm || !m->vm->initialized) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "alloc_vmap_area: called before vmalloc_init()");
		return NULL;
	}
	return __alloc_vmap_area(m, size, align, vstart, vend, node, gfp, err);
}

/* ---- the legacy policy (3.10 .. 5.1) ------------------------------------
 * A first-fit walk of the busy list from a hint: free_vmap_cache is the
 * area the last search ended at (or, after a free below it, its
 * predecessor); cached_hole_size the largest hole seen below it.
 * Requests that could fit lower (smaller than that hole, lower vstart,
 * smaller align) drop the hint and walk from vstart. The result is NOT
 * strict lowest-fit: a hole of exactly size below the hint survives
 * (the test is size < cached_hole_size). */

/* The hint's area: in the busy tree by the invariant (legacy_check). */
static struct vmap_area *legacy_cache(struct vmf_machine *m,
				      const struct vmap_legacy_state *lg)
{
	struct vmap_area *va;

	if (!lg->cache_set)
		return NULL;
	va = __find_vmap_area(m, lg->cache_start);
	return va && va->va_start == lg->cache_start ? va : NULL;
}

/* ALIGN() with the kernel's wrap-around: (x + a - 1) & ~(a - 1) mod 2^64. */
static vaddr_t align_wrap(vaddr_t x, uint64_t a)
{
	return (x + (a - 1)) & ~(a - 1);
}

static int legacy_alloc(struct vmf_machine *m, void *priv, uint64_t size,
			uint64_t align, vaddr_t vstart, vaddr_t vend,
			vaddr_t *result)
{
	struct vmap_legacy_state *lg = priv;
	struct vmap_area *first = NULL, *cache = legacy_cache(m, lg);
	vaddr_t addr = 0;

	/* Step 2: drop the hint on more permissive parameters, then ALWAYS
	 * record this request's. */
	if (!cache || size < lg->cached_hole_size ||
	    vstart < lg->cached_vstart || align < lg->cached_align) {
		lg->cached_hole_size = 0;
		lg->cache_set = false;
		cache = NULL;
	}
	lg->cached_vstart = vstart;
	lg->cached_align = align;

	/* Step 3: cache hit: start right after the hint. An ALIGN() that
	 * wraps gives 0 in the kernel, below vstart: a miss, as here. */
	if (cache) {
		first = cache;
#if defined(VMF_PLANT_CACHE_HIT_IGNORES_ALIGN)
		/* PLANT CACHE_HIT_IGNORES_ALIGN: a search that starts from the
		 * cache ignores align (no ALIGN() on the hit nor in the walk). */
		(void)align_wrap;
		addr = first->va_end;
		align = 1;
#else
		addr = align_wrap(first->va_end, align);
#endif
		if (addr < vstart) {
			/* "goto nocache": the parameters stay recorded. */
			lg->cached_hole_size = 0;
			lg->cache_set = false;
			cache = NULL;
			first = NULL;
		} else if (addr + size < addr) {
			return -VMF_EBUSY;
		}
	}

	/* Step 4: cache miss: the lowest busy area ending at or above addr
	 * (the descent stops at one that contains addr). */
	if (!cache) {
		struct rb_node *n = m->vm->root.rb_node;

		/* Ours: an ALIGN(vstart) that wraps is an overflow (the
		 * kernel would go on from 0 and hit its BUG_ON(va_start <
		 * vstart)). */
		if (align_up_checked(vstart, align, &addr))
			return -VMF_EBUSY;
		if (addr + size < addr)
			return -VMF_EBUSY;
		first = NULL;
		while (n) {
			struct vmap_area *tmp = va_of_rb(n);

			if (tmp->va_end >= addr) {
				first = tmp;
				if (tmp->va_start <= addr)
					break;
				n = n->left;
			} else {
				n = n->right;
			}
		}
		if (!first)
			goto found;
	}

	/* Step 5: walk the busy list until the request fits before the
	 * next area (or the list ends, or the range is exhausted). */
#if defined(VMF_PLANT_FIT_OFF_BY_ONE)
	/* PLANT FIT_OFF_BY_ONE: a hole must be one page larger than needed. */
	while (addr + size + m->page_size > first->va_start &&
	       addr + size <= vend) {
#else
	while (addr + size > first->va_start && addr + size <= vend) {
#endif
		if (addr + lg->cached_hole_size < first->va_start)
			lg->cached_hole_size = first->va_start - addr;
		/* (wrap -> overflow) */
		if (align_up_checked(first->va_end, align, &addr))
			return -VMF_EBUSY;
		if (addr + size < addr)
			return -VMF_EBUSY;
		if (vmap_area_is_last(m, first))
			goto found;
		first = va_of_list(first->list.next);
	}

found:
	/* Step 6. */
	if (addr + size > vend)
		return -VMF_EBUSY;
	/* The framework inserts [addr, addr + size): that area becomes
	 * free_vmap_cache. */
	*result = addr;
	lg->cache_set = true;
	lg->cache_start = addr;
	return 0;
}

/* __free_vmap_area's cache rule, before va leaves the tree. The hole
 * size and align are left alone ("it won't go very wrong"). */
static void legacy_free(struct vmf_machine *m, void *priv, vaddr_t start,
			vaddr_t end)
{
	struct vmap_legacy_state *lg = priv;
	struct vmap_area *va = __find_vmap_area(m, start);
	struct rb_node *prev;

	(void)end;
	if (!lg->cache_set || !va)
		return;
#if defined(VMF_PLANT_CACHE_NOT_UPDATED_ON_FREE)
	/* PLANT CACHE_NOT_UPDATED_ON_FREE: the rule is skipped, except that
	 * a hint on the very area being freed still moves off it (else it
	 * would dangle and the model would not stay memory-safe). */
	if (va->va_start != lg->cache_start)
		return;
	prev = rb_prev(&va->rb_node);
	lg->cache_set = prev != NULL;
	lg->cache_start = prev ? va_of_rb(prev)->va_start : 0;
	return;
#else
	if (va->va_end < lg->cached_vstart) {
		lg->cache_set = false;
	} else if (va->va_start <= lg->cache_start) {
		prev = rb_prev(&va->rb_node);
		lg->cache_set = prev != NULL;
		lg->cache_start = prev ? va_of_rb(prev)->va_start : 0;
	}
#endif
}

static int legacy_check(struct vmf_machine *m, void *priv, char *why,
			size_t why_len)
{
	struct vmap_legacy_state *lg = priv;

	if (!lg->cache_set || legacy_cache(m, lg))
		return 0;
	if (why && why_len)
		snprintf(why, why_len,
			 "legacy: free_vmap_cache 0x%llx is not an area of the "
			 "tree", (unsigned long long)lg->cache_start);
	return -1;
}

static void legacy_observe(const struct vmf_machine *m, const void *priv,
			   struct vmalloc_obs *obs)
{
	const struct vmap_legacy_state *lg = priv;

	(void)m;
	obs->cache_set = lg->cache_set;
	obs->cache_va_start = lg->cache_set ? lg->cache_start : 0;
	obs->cached_hole_size = lg->cached_hole_size;
	obs->cached_vstart = lg->cached_vstart;
	obs->cached_align = lg->cached_align;
}

static int legacy_create(struct vmf_machine *m, void **priv)
{
	(void)m;
	*priv = calloc(1, sizeof(struct vmap_legacy_state));
	return *priv ? 0 : -VMF_ENOMEM;
}

static void legacy_destroy(struct vmf_machine *m, void *priv)
{
	(void)m;
	free(priv);
}

/* Lowest fit, as the contract with the shadow declares it, with the flag:
 * 4.19's cache key ignores vend, so a search from the hint can overflow
 * (or place above a hole of exactly the cached hole size) although a
 * lower fitting hole exists: real 4.19 behaviour (docs/placement.md). */
const struct vmf_placement vmf_place_legacy = {
	.name = "legacy",
	.guarantee = VMF_PLACE_LOWEST_FIT | VMF_PLACE_MAY_OVERFLOW_WITH_SPACE,
	.create = legacy_create,
	.destroy = legacy_destroy,
	.alloc = legacy_alloc,
	.free = legacy_free,
	.check = legacy_check,
	.observe = legacy_observe,
};

/* ---- lifecycle ----------------------------------------------------------- */

void vmap_policy_start(struct vmf_machine *m)
{
	struct vmalloc_state *vs = m->vm;

	if (vs->place_priv)
		return;
	/* Host memory only: a failure leaves the machine without a policy,
	 * and every allocation overflows (vm_check says why). */
	if (vs->place->create(m, &vs->place_priv))
		vs->place_priv = NULL;
}

/* Empty state: O(1) whatever was allocated before (the machine frees
 * every kmalloc object and resets physical memory itself); the policy's
 * host state is its own to free. */
static void vmalloc_state_clear(struct vmf_machine *m)
{
	struct vmalloc_state *vs = m->vm;

	if (vs->place_priv)
		vs->place->destroy(m, vs->place_priv);
	memset(vs, 0, sizeof(*vs));
	vs->root = RB_ROOT;
	vlist_init(&vs->busy);
	vlist_init(&vs->purge);
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++) {
		vlist_init(&vs->deferred[i]);
		vlist_init(&vs->vbq[i]);
	}
	vs->vb_root = RB_ROOT;
	/* vmf_config_check() admits registered ids only. */
	vs->place = vmf_placement_get(m->cfg.policy);
	if (!vs->place)
		vs->place = &vmf_place_legacy;
}

int vmalloc_machine_init(struct vmf_machine *m)
{
	if (!m->vm) {
		m->vm = calloc(1, sizeof(*m->vm));
		if (!m->vm)
			return -VMF_ENOMEM;
	}
	vmalloc_state_clear(m);
	return 0;
}

void vmalloc_machine_reset(struct vmf_machine *m)
{
	/* Forget, do not free: the areas' metadata are kmalloc objects the
	 * machine frees right after, their pages go with physical memory. */
	if (m->vm)
		vmalloc_state_clear(m);
}

void vmalloc_machine_destroy(struct vmf_machine *m)
{
	if (m->vm && m->vm->place_priv)
		m->vm->place->destroy(m, m->vm->place_priv);
	free(m->vm);
	m->vm = NULL;
}
