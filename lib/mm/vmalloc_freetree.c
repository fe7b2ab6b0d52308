/* The modern policy's free space: free blocks in an address-sorted
 * red-black tree augmented with each subtree's largest block, plus an
 * address-sorted list for O(1) neighbours.
 *
 * Semantics: Linux 6.1 mm/vmalloc.c, find_va_links, get_va_next_sibling,
 * __link_va / __unlink_va (augmented), augment_tree_propagate_from,
 * insert_vmap_area_augment, __merge_or_add_vmap_area. The tree is
 * lib/kernel/rbtree.c (the kernel's algorithm) with the callbacks of
 * RB_DECLARE_CALLBACKS_MAX, so its shape after any sequence of inserts
 * and erases is the kernel's. Invariants: vmalloc_modern.h. */
#include <stdlib.h>

#include "vmalloc_modern.h"

RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb,
			 struct free_vmap_area, rb_node, uint64_t,
			 subtree_max_size, fva_size);

/* ---- nodes: the vmap_area cache's free-space objects ------------------ */

struct free_vmap_area *fva_alloc(struct vmap_modern_state *ms)
{
	struct free_vmap_area *va = ms->spare;

	if (va) {
		ms->spare = (struct free_vmap_area *)(void *)va->list.next;
		ms->nr_spare--;
	} else {
		va = malloc(sizeof(*va));
		if (!va)
			return NULL;
	}
	va->va_start = va->va_end = 0;
	va->subtree_max_size = 0;
	RB_CLEAR_NODE(&va->rb_node);
	vlist_init(&va->list);
	return va;
}

void fva_free(struct vmap_modern_state *ms, struct free_vmap_area *va)
{
	/* A short stack of spares; the rest goes back to the host. */
	if (ms->nr_spare >= 64) {
		free(va);
		return;
	}
	va->list.next = (struct list_link *)(void *)ms->spare;
	ms->spare = va;
	ms->nr_spare++;
}

void fva_release_all(struct vmap_modern_state *ms)
{
	struct list_link *l, *next;

	for (l = ms->head.next; l && l != &ms->head; l = next) {
		next = l->next;
		free(fva_of_list(l));
	}
	while (ms->spare) {
		struct free_vmap_area *va = ms->spare;

		ms->spare = (struct free_vmap_area *)(void *)va->list.next;
		free(va);
	}
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++)
		free(ms->ne_fit_preload_node[i]);
}

/* ---- tree + list ------------------------------------------------------- */

/* find_va_links: the link where va goes, descending from the root or from
 * a node (then root is not used); NULL on an overlap (the kernel WARNs). */
static struct rb_node **find_va_links(struct free_vmap_area *va,
				      struct rb_root *root,
				      struct rb_node *from,
				      struct rb_node **parent)
{
	struct rb_node **link;
	struct free_vmap_area *tmp = NULL;

	if (root) {
		link = &root->rb_node;
		if (!*link) {
			*parent = NULL;
			return link;
		}
	} else {
		link = &from;
	}
	do {
		tmp = fva_of_rb(*link);
		if (va->va_end <= tmp->va_start)
			link = &(*link)->left;
		else if (va->va_start >= tmp->va_end)
			link = &(*link)->right;
		else
			return NULL;
	} while (*link);
	*parent = &tmp->rb_node;
	return link;
}

/* get_va_next_sibling: the list node that will follow va (the head when
 * va would be last), NULL when the tree is empty. */
static struct list_link *get_va_next_sibling(struct rb_node *parent,
					     struct rb_node **link)
{
	struct list_link *list;

	if (!parent)
		return NULL; /* empty tree: no free space at all */
	list = &fva_of_rb(parent)->list;
	return &parent->right == link ? list->next : list;
}

static void link_va_augment(struct vmap_modern_state *ms,
			    struct free_vmap_area *va, struct rb_node *parent,
			    struct rb_node **link)
{
	struct list_link *head = &ms->head;

	/* The list node va goes after: the parent, or the parent's prev. */
	if (parent) {
		head = &fva_of_rb(parent)->list;
		if (&parent->right != link)
			head = head->prev;
	}
	rb_link_node(&va->rb_node, parent, link);
	rb_insert_augmented(&va->rb_node, &ms->root,
			    &free_vmap_area_rb_augment_cb);
	/* As the kernel: zero, and augment_tree_propagate_from() fills the
	 * path in afterwards. */
	va->subtree_max_size = 0;
	vlist_add_after(&va->list, head);
	ms->nr++;
}

void unlink_va_augment(struct vmap_modern_state *ms, struct free_vmap_area *va)
{
	if (RB_EMPTY_NODE(&va->rb_node))
		return; /* the kernel WARN_ONs */
	rb_erase_augmented(&va->rb_node, &ms->root,
			   &free_vmap_area_rb_augment_cb);
	vlist_del(&va->list);
	RB_CLEAR_NODE(&va->rb_node);
	ms->nr--;
}

void augment_tree_propagate_from(struct free_vmap_area *va)
{
	/* Bottom-up until a node's value comes out unchanged. */
	free_vmap_area_rb_augment_cb_propagate(&va->rb_node, NULL);
}

void insert_vmap_area_augment(struct vmap_modern_state *ms,
			      struct free_vmap_area *va, struct rb_node *from)
{
	struct rb_node **link, *parent;

	link = from ? find_va_links(va, NULL, from, &parent)
		    : find_va_links(va, &ms->root, NULL, &parent);
	if (!link) {
		ms->overlap = true;
		fva_free(ms, va);
		return;
	}
	link_va_augment(ms, va, parent, link);
	augment_tree_propagate_from(va);
}

struct free_vmap_area *merge_or_add_vmap_area_augment(
	struct vmap_modern_state *ms, struct free_vmap_area *va)
{
	struct free_vmap_area *sibling;
	struct list_link *next;
	struct rb_node **link, *parent;
	bool merged = false;

	link = find_va_links(va, &ms->root, NULL, &parent);
	if (!link) {
		ms->overlap = true;
		fva_free(ms, va);
		return NULL;
	}
	next = get_va_next_sibling(parent, link);
	if (!next)
		goto insert;

	/* The next block starts where va ends: it grows down over va. */
#if defined(VMF_PLANT_MERGE_SKIPS_RIGHT)
	/* PLANT MERGE_SKIPS_RIGHT: the right neighbour is never merged: the
	 * freed range stays a block of its own touching it. */
	if (0) {
#else
	if (next != &ms->head) {
#endif
		sibling = fva_of_list(next);
		if (sibling->va_start == va->va_end) {
			sibling->va_start = va->va_start;
			fva_free(ms, va);
			va = sibling;
			merged = true;
		}
	}

	/* The previous block ends where va starts: it grows up over va.
	 * If both merge, the next one leaves the tree first, then the
	 * previous one grows (6.1's order: a rotation could otherwise
	 * leave a stale augmented value). */
	if (next->prev != &ms->head) {
		sibling = fva_of_list(next->prev);
		if (sibling->va_end == va->va_start) {
			if (merged)
				unlink_va_augment(ms, va);
			sibling->va_end = va->va_end;
			fva_free(ms, va);
			va = sibling;
			merged = true;
		}
	}

insert:
	if (!merged)
		link_va_augment(ms, va, parent, link);
	augment_tree_propagate_from(va);
	return va;
}
