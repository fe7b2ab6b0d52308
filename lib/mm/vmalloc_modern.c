/* The modern placement policy: Linux 6.1's alloc_vmap_area over a tree of
 * free blocks, swapped into the 4.19 framework (which keeps vm_struct,
 * lazy freeing and overflow -> purge -> retry).
 *
 * Semantics: Linux 6.1 mm/vmalloc.c, cited per function below, and
 * ../shared/notes/modern-vmalloc-facts.md. The code is ours.
 *
 * Kmalloc-site calls (the fault site FAULT_KMALLOC, counted per call as
 * the shadow predicts them): per try of the search, one to fill this
 * CPU's empty ne_fit_preload_node (preload_this_cpu_lock), and one
 * GFP_NOWAIT call when an NE split finds the slot empty
 * (adjust_va_to_fit_type). The free-space nodes themselves are host
 * memory, not kmalloc objects (not in km.objects). Invariants:
 * vmalloc_modern.h. */
#include <stdlib.h>

#include <vmfuzz/vmalloc_machine.h>

#include "kernel/util.h"
#include "vmalloc_modern.h"

/* ALIGN(x, a) mod 2^64, as the kernel computes it. */
static vaddr_t align_wrap(vaddr_t x, uint64_t a)
{
	return (x + (a - 1)) & ~(a - 1);
}

/* 6.1 is_within_this_va: the aligned start inside va fits size, with the
 * wrap-arounds of ALIGN and of start + size refused. */
bool is_within_this_va(const struct free_vmap_area *va, uint64_t size,
		       uint64_t align, vaddr_t vstart)
{
	vaddr_t nva_start_addr;

	if (va->va_start > vstart)
		nva_start_addr = align_wrap(va->va_start, align);
	else
		nva_start_addr = align_wrap(vstart, align);
	if (nva_start_addr + size < nva_start_addr || nva_start_addr < vstart)
		return false;
	return nva_start_addr + size <= va->va_end;
}

/* 6.1 find_vmap_lowest_match: descend left while the left subtree has a
 * block of the search length and vstart is below this node; else try
 * this node exactly, then the right subtree if it has the length; else
 * climb back to the first ancestor that fits or whose right subtree has
 * the length (vstart then moves past that ancestor, so the subtree
 * already searched is not entered again). */
struct free_vmap_area *find_vmap_lowest_match(struct vmap_modern_state *ms,
					      uint64_t size, uint64_t align,
					      vaddr_t vstart,
					      bool adjust_search_size)
{
	struct rb_node *node = ms->root.rb_node;
	struct free_vmap_area *va;
	uint64_t length;

	/* The search length covers the worst alignment overhead. */
	length = adjust_search_size ? size + align - 1 : size;
	while (node) {
		va = fva_of_rb(node);
		if (get_subtree_max_size(node->left) >= length &&
		    vstart < va->va_start) {
			node = node->left;
			continue;
		}
		if (is_within_this_va(va, size, align, vstart))
			return va;
		if (get_subtree_max_size(node->right) >= length) {
			node = node->right;
			continue;
		}
		while ((node = node->parent)) {
			va = fva_of_rb(node);
			if (is_within_this_va(va, size, align, vstart))
				return va;
#if defined(VMF_PLANT_BACKTRACK_WRONG_SUBTREE)
			/* PLANT BACKTRACK_WRONG_SUBTREE: the climb turns into
			 * the ancestor's left subtree instead of its right. */
			if (get_subtree_max_size(node->left) >= length &&
			    vstart <= va->va_start) {
				vstart = va->va_start + 1;
				node = node->left;
				break;
			}
#else
			if (get_subtree_max_size(node->right) >= length &&
			    vstart <= va->va_start) {
				vstart = va->va_start + 1;
				node = node->right;
				break;
			}
#endif
		}
	}
	return NULL;
}

enum fit_type {
	NOTHING_FIT = 0,
	FL_FIT_TYPE = 1, /* full fit */
	LE_FIT_TYPE = 2, /* left edge fit */
	RE_FIT_TYPE = 3, /* right edge fit */
	NE_FIT_TYPE = 4, /* no edge fit */
};

/* 6.1 classify_va_fit_type. */
static enum fit_type classify_va_fit_type(const struct free_vmap_area *va,
					  vaddr_t nva_start_addr,
					  uint64_t size)
{
	if (nva_start_addr < va->va_start ||
	    nva_start_addr + size > va->va_end)
		return NOTHING_FIT;
	if (va->va_start == nva_start_addr) {
#if defined(VMF_PLANT_FIT_TYPE_EXACT_WRONG)
		/* PLANT FIT_TYPE_EXACT_WRONG: an exact fit is taken for a
		 * left-edge fit (the block stays, empty). */
		return LE_FIT_TYPE;
#else
		return va->va_end == nva_start_addr + size ? FL_FIT_TYPE
							   : LE_FIT_TYPE;
#endif
	}
	if (va->va_end == nva_start_addr + size)
		return RE_FIT_TYPE;
	return NE_FIT_TYPE;
}

/* 6.1 adjust_va_to_fit_type: carve [nva_start_addr, + size) out of va.
 * 0, or -1 when an NE split finds no preloaded node and its GFP_NOWAIT
 * allocation fails (nothing changed then). */
static int adjust_va_to_fit_type(struct vmf_machine *m,
				 struct vmap_modern_state *ms,
				 struct free_vmap_area *va,
				 vaddr_t nva_start_addr, uint64_t size)
{
	struct free_vmap_area *lva = NULL;
	enum fit_type type = classify_va_fit_type(va, nva_start_addr, size);

	switch (type) {
	case FL_FIT_TYPE:
		unlink_va_augment(ms, va);
		fva_free(ms, va);
		return 0;
	case LE_FIT_TYPE:
#if defined(VMF_PLANT_LE_RE_SWAPPED)
		/* PLANT LE_RE_SWAPPED: a left-edge fit cuts the right edge. */
		va->va_end -= size;
#else
		va->va_start += size;
#endif
		break;
	case RE_FIT_TYPE:
#if defined(VMF_PLANT_LE_RE_SWAPPED)
		va->va_start += size;
#else
		va->va_end = nva_start_addr;
#endif
		break;
	case NE_FIT_TYPE: {
		unsigned cpu = m->cur_cpu % VMF_MAX_CPUS;

		/* __this_cpu_xchg(ne_fit_preload_node, NULL) */
		lva = ms->ne_fit_preload_node[cpu];
		ms->ne_fit_preload_node[cpu] = NULL;
		if (lva)
			ms->ne_taken[cpu] = true;
		if (!lva) {
			/* kmem_cache_alloc(vmap_area_cachep, GFP_NOWAIT) */
			if (vmf_should_fail(m, FAULT_KMALLOC))
				return -1;
			lva = fva_alloc(ms);
			if (!lva)
				return -1;
		}
		lva->va_start = va->va_start;
		lva->va_end = nva_start_addr;
		va->va_start = nva_start_addr + size;
		break;
	}
	default:
		return -1;
	}
#if !defined(VMF_PLANT_AUG_NOT_PROPAGATED_AFTER_SPLIT)
	augment_tree_propagate_from(va);
#else
	/* PLANT AUG_NOT_PROPAGATED_AFTER_SPLIT: the shrunk block's
	 * subtree_max_size (and its ancestors') keep the size before the
	 * split. */
#endif
	if (lva)
		insert_vmap_area_augment(ms, lva, &va->rb_node);
	return 0;
}

/* 6.1 preload_this_cpu_lock: fill this CPU's empty slot with one node
 * (the caller's gfp); a failure is silent, the slot stays empty. */
static void preload_this_cpu(struct vmf_machine *m,
			     struct vmap_modern_state *ms)
{
	unsigned cpu = m->cur_cpu % VMF_MAX_CPUS;

	if (ms->ne_fit_preload_node[cpu])
		return;
#if defined(VMF_PLANT_NE_PRELOAD_NOT_REPLENISHED)
	/* PLANT NE_PRELOAD_NOT_REPLENISHED: once an NE split consumed this
	 * CPU's node, the slot is never filled again. */
	if (ms->ne_taken[cpu])
		return;
#endif
	if (vmf_should_fail(m, FAULT_KMALLOC))
		return;
	ms->ne_fit_preload_node[cpu] = fva_alloc(ms);
}

/* 6.1 __alloc_vmap_area: the lowest match, the vend check, the split. */
static int modern_alloc(struct vmf_machine *m, void *priv, uint64_t size,
			uint64_t align, vaddr_t vstart, vaddr_t vend,
			vaddr_t *addr)
{
	struct vmap_modern_state *ms = priv;
	bool adjust_search_size = true;
	struct free_vmap_area *va;
	vaddr_t nva_start_addr;

	/* alloc_vmap_area's retry: label is above the preload, so every
	 * try (the one after the overflow purge too) preloads. */
	preload_this_cpu(m, ms);
	ms->last_size = size;
	ms->last_align = align;
	ms->last_vstart = vstart;
	ms->have_last = true;

	/* No adjustment for align <= PAGE_SIZE (block starts are page
	 * aligned) nor for an exact [vstart, vend) of size. */
	if (align <= m->page_size || vend - vstart == size)
		adjust_search_size = false;
	va = find_vmap_lowest_match(ms, size, align, vstart,
				    adjust_search_size);
	if (!va)
		return -VMF_EBUSY;
	if (va->va_start > vstart)
		nva_start_addr = align_wrap(va->va_start, align);
	else
		nva_start_addr = align_wrap(vstart, align);
	/* The vend restriction, checked only now. */
	if (nva_start_addr + size > vend)
		return -VMF_EBUSY;
	if (adjust_va_to_fit_type(m, ms, va, nva_start_addr, size)) {
		/* WARN_ON_ONCE(ret), then the overflow path. */
		if (!ms->ne_warned) {
			ms->ne_warned = true;
			vmf_warn(m, WARN_VMAP_NE_FIT_FAIL,
				 "__alloc_vmap_area: no node for an NE split "
				 "of [0x%llx, 0x%llx)",
				 (unsigned long long)va->va_start,
				 (unsigned long long)va->va_end);
		}
		return -VMF_EBUSY;
	}
	*addr = nva_start_addr;
	return 0;
}

/* 6.1 free_vmap_area's second half: the range rejoins the free space. */
static void modern_free(struct vmf_machine *m, void *priv, vaddr_t start,
			vaddr_t end)
{
	struct vmap_modern_state *ms = priv;
	struct free_vmap_area *va = fva_alloc(ms);

	(void)m;
	if (!va) {
		ms->host_oom = true;
		return;
	}
	va->va_start = start;
	va->va_end = end;
	merge_or_add_vmap_area_augment(ms, va);
}

/* 6.1 vmap_init_free_space: [1, ULONG_MAX) minus the busy areas. */
static int modern_create(struct vmf_machine *m, void **priv)
{
	struct vmap_modern_state *ms = calloc(1, sizeof(*ms));
	vaddr_t vmap_start = 1;
	const vaddr_t vmap_end = ~(vaddr_t)0;
	struct list_link *l;

	if (!ms)
		return -VMF_ENOMEM;
	ms->root = RB_ROOT;
	vlist_init(&ms->head);
	*priv = ms;
	for (l = m->vm->busy.next;; l = l->next) {
		bool last = l == &m->vm->busy;
		vaddr_t end = last ? vmap_end : va_of_list(l)->va_start;

		if (end > vmap_start) {
			struct free_vmap_area *free = fva_alloc(ms);

			if (!free) {
				ms->host_oom = true;
			} else {
				free->va_start = vmap_start;
				free->va_end = end;
				insert_vmap_area_augment(ms, free, NULL);
			}
		}
		if (last)
			break;
		vmap_start = va_of_list(l)->va_end;
	}
	return 0;
}

static void modern_destroy(struct vmf_machine *m, void *priv)
{
	(void)m;
	fva_release_all(priv);
	free(priv);
}

static void modern_observe(const struct vmf_machine *m, const void *priv,
			   struct vmalloc_obs *obs)
{
	const struct vmap_modern_state *ms = priv;

	(void)m;
	obs->free_nr = ms->nr;
	obs->free_max = get_subtree_max_size(ms->root.rb_node);
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++)
		obs->ne_preload[i] = ms->ne_fit_preload_node[i] != NULL;
}

/* The pruned search is not always the lowest fit (align > PAGE_SIZE),
 * and can overflow with a fitting block (facts: "Search"). */
const struct vmf_placement vmf_place_modern = {
	.name = "modern",
	.guarantee = VMF_PLACE_TREE_LOWEST | VMF_PLACE_MAY_OVERFLOW_WITH_SPACE,
	.create = modern_create,
	.destroy = modern_destroy,
	.alloc = modern_alloc,
	.free = modern_free,
	.check = vmap_modern_check,
	.observe = modern_observe,
};
