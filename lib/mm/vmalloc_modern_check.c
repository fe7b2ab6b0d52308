/* The modern policy's self-check (vm_check, always on under modern): the
 * kernel's own debug cross-checks of Linux 6.1 mm/vmalloc.c plus the
 * tiling of the address space.
 *  - DEBUG_AUGMENT_PROPAGATE_CHECK (augment_tree_propagate_check): every
 *    node's subtree_max_size recomputed from its size and its children;
 *  - DEBUG_AUGMENT_LOWEST_MATCH_CHECK (find_vmap_lowest_match_check): the
 *    tree search WITHOUT the search-size adjustment against a linear
 *    lowest match over the list, as the kernel compares them (with the
 *    adjustment they legitimately differ when align > PAGE_SIZE: facts,
 *    "Search"); the kernel probes the last request's size and align at a
 *    random vstart, we probe it at fixed ones (deterministic);
 *  - the free blocks and the busy areas tile [1, ULONG_MAX) exactly. */
#include <stdio.h>

#include "vmalloc_modern.h"

#define FAIL(...)                                                            \
	do {                                                                 \
		if (why && why_len)                                          \
			snprintf(why, why_len, "modern: " __VA_ARGS__);      \
		return -1;                                                   \
	} while (0)

static int fva_cmp(const struct rb_node *a, const struct rb_node *b)
{
	const struct free_vmap_area *x = fva_of_rb(a), *y = fva_of_rb(b);

	return x->va_start < y->va_start ? -1 : x->va_start > y->va_start;
}

/* compute_subtree_max_size() == the node's value. */
static bool fva_augment_ok(const struct rb_node *n)
{
	const struct free_vmap_area *va = fva_of_rb(n);
	uint64_t max = fva_size(va);

	if (get_subtree_max_size(n->left) > max)
		max = get_subtree_max_size(n->left);
	if (get_subtree_max_size(n->right) > max)
		max = get_subtree_max_size(n->right);
	return max == va->subtree_max_size;
}

/* find_vmap_lowest_linear_match */
static struct free_vmap_area *
lowest_linear_match(struct vmap_modern_state *ms, uint64_t size,
		    uint64_t align, vaddr_t vstart)
{
	for (struct list_link *l = ms->head.next; l != &ms->head; l = l->next)
		if (is_within_this_va(fva_of_list(l), size, align, vstart))
			return fva_of_list(l);
	return NULL;
}

static int lowest_match_check(struct vmap_modern_state *ms, uint64_t size,
			      uint64_t align, vaddr_t vstart, char *why,
			      size_t why_len)
{
	struct free_vmap_area *t, *l;

	if (!size || !align || (align & (align - 1)))
		return 0;
	t = find_vmap_lowest_match(ms, size, align, vstart, false);
	l = lowest_linear_match(ms, size, align, vstart);
	if (t != l)
		FAIL("not lowest: size 0x%llx align 0x%llx vstart 0x%llx: "
		     "tree [0x%llx, 0x%llx), linear [0x%llx, 0x%llx)",
		     (unsigned long long)size, (unsigned long long)align,
		     (unsigned long long)vstart,
		     (unsigned long long)(t ? t->va_start : 0),
		     (unsigned long long)(t ? t->va_end : 0),
		     (unsigned long long)(l ? l->va_start : 0),
		     (unsigned long long)(l ? l->va_end : 0));
	return 0;
}

/* Free blocks (list) and busy areas, merged by address, from 1 on. */
static int tiling_check(struct vmf_machine *m, struct vmap_modern_state *ms,
			char *why, size_t why_len)
{
	struct list_link *f = ms->head.next, *b = m->vm->busy.next;
	vaddr_t at = 1;

	while (f != &ms->head || b != &m->vm->busy) {
		const struct free_vmap_area *fv =
			f != &ms->head ? fva_of_list(f) : NULL;
		const struct vmap_area *bv =
			b != &m->vm->busy ? va_of_list(b) : NULL;
		vaddr_t s, e;
		bool free;

		free = fv && (!bv || fv->va_start <= bv->va_start);
		s = free ? fv->va_start : bv->va_start;
		e = free ? fv->va_end : bv->va_end;
		if (s != at)
			FAIL("%s [0x%llx, 0x%llx) does not start where the "
			     "last block or area ends (0x%llx)",
			     free ? "free block" : "busy area",
			     (unsigned long long)s, (unsigned long long)e,
			     (unsigned long long)at);
		at = e;
		if (free)
			f = f->next;
		else
			b = b->next;
	}
	if (at != ~(vaddr_t)0)
		FAIL("the free space and the busy areas end at 0x%llx, not "
		     "ULONG_MAX", (unsigned long long)at);
	return 0;
}

int vmap_modern_check(struct vmf_machine *m, void *priv, char *why,
		      size_t why_len)
{
	struct vmap_modern_state *ms = priv;
	struct rb_node *n;
	struct list_link *l;
	uint64_t nr = 0;
	char rwhy[160];

	if (ms->host_oom)
		FAIL("a free range was lost (host out of memory)");
	if (ms->overlap)
		FAIL("a free range overlapped a free block (find_va_links)");
	if (rb_check_augmented(&ms->root, fva_cmp, fva_augment_ok, rwhy,
			       sizeof(rwhy)))
		FAIL("free tree: %s (subtree_max_size or shape)", rwhy);
	/* The list is the tree in order, blocks apart from each other. */
	for (n = rb_first(&ms->root), l = ms->head.next; n;
	     n = rb_next(n), l = l->next) {
		struct free_vmap_area *va = fva_of_rb(n);

		if (l == &ms->head || fva_of_list(l) != va)
			FAIL("free list and tree differ at block %llu",
			     (unsigned long long)nr);
		if (va->va_start >= va->va_end)
			FAIL("empty free block [0x%llx, 0x%llx)",
			     (unsigned long long)va->va_start,
			     (unsigned long long)va->va_end);
		if (l->next != &ms->head &&
		    fva_of_list(l->next)->va_start <= va->va_end)
			FAIL("free blocks [0x%llx, 0x%llx) and [0x%llx, ...) "
			     "touch or overlap (not merged)",
			     (unsigned long long)va->va_start,
			     (unsigned long long)va->va_end,
			     (unsigned long long)fva_of_list(l->next)->va_start);
		nr++;
	}
	if (l != &ms->head)
		FAIL("free list longer than the tree");
	if (nr != ms->nr)
		FAIL("%llu free blocks, counted %llu", (unsigned long long)nr,
		     (unsigned long long)ms->nr);
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++) {
		const struct free_vmap_area *p = ms->ne_fit_preload_node[i];

		if (p && !RB_EMPTY_NODE(&p->rb_node))
			FAIL("cpu %u's ne_fit_preload_node is in the tree", i);
	}
	if (tiling_check(m, ms, why, why_len))
		return -1;
	if (ms->have_last) {
		if (lowest_match_check(ms, ms->last_size, ms->last_align,
				       ms->last_vstart, why, why_len) ||
		    lowest_match_check(ms, ms->last_size, ms->last_align,
				       m->cfg.vmalloc_start, why, why_len))
			return -1;
	}
	if (lowest_match_check(ms, m->page_size, m->page_size,
			       m->cfg.vmalloc_start, why, why_len) ||
	    lowest_match_check(ms, 4 * m->page_size, 16 * m->page_size,
			       m->cfg.vmalloc_start, why, why_len) ||
	    lowest_match_check(ms, get_subtree_max_size(ms->root.rb_node),
			       m->page_size, 1, why, why_len))
		return -1;
	return 0;
}
