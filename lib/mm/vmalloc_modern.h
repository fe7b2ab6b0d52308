/* The modern (Linux 5.2+, 6.1 semantics) placement policy, shared by its
 * files: vmalloc_freetree.c (the free blocks: augmented tree + list, node
 * pool, merge on free), vmalloc_modern.c (search, fit, preload, the
 * policy's hooks), vmalloc_modern_check.c (the kernel's debug
 * cross-checks). Tests include it to look inside or corrupt on purpose.
 *
 * Invariants (vmalloc_modern_check.c verifies them):
 *  - the tree (ordered by va_start) and the list hold the same free
 *    blocks in the same order, nr of them, none empty, none touching or
 *    overlapping another;
 *  - every node's subtree_max_size = max(its size, its children's);
 *  - free blocks and busy areas tile [1, ULONG_MAX) exactly;
 *  - ne_fit_preload_node[cpu] is NULL or a node in no tree or list. */
#ifndef VMFUZZ_LIB_VMALLOC_MODERN_H
#define VMFUZZ_LIB_VMALLOC_MODERN_H

#include "vmalloc_internal.h"

/* A free block: 6.1's struct vmap_area on the free tree (its
 * subtree_max_size member). Host memory, not a kmalloc object: only the
 * two kmalloc-site calls of the contract are counted (docs/vmalloc.md). */
struct free_vmap_area {
	vaddr_t va_start, va_end;
	uint64_t subtree_max_size; /* largest block of this subtree */
	struct rb_node rb_node;
	struct list_link list;
};

#define fva_of_rb(n) rb_entry(n, struct free_vmap_area, rb_node)
#define fva_of_list(l) container_of(l, struct free_vmap_area, list)

struct vmap_modern_state {
	struct rb_root root;   /* free_vmap_area_root */
	struct list_link head; /* free_vmap_area_list */
	uint64_t nr;           /* free blocks */
	/* Spare nodes (host memory reused instead of freed). */
	struct free_vmap_area *spare;
	uint64_t nr_spare;
	/* Per-CPU ne_fit_preload_node (6.1 mm/vmalloc.c). */
	struct free_vmap_area *ne_fit_preload_node[VMF_MAX_CPUS];
	bool ne_taken[VMF_MAX_CPUS]; /* a preloaded node was used (plants) */
	bool ne_warned;        /* WARN_ON_ONCE in __alloc_vmap_area */
	bool host_oom;         /* a free range was lost (host out of memory) */
	bool overlap;          /* find_va_links met an overlap (its WARN) */
	/* The last request, for the lowest-match cross-check. */
	uint64_t last_size, last_align;
	vaddr_t last_vstart;
	bool have_last;
};

static inline uint64_t fva_size(const struct free_vmap_area *va)
{
	return va->va_end - va->va_start;
}

static inline uint64_t get_subtree_max_size(const struct rb_node *node)
{
	return node ? fva_of_rb(node)->subtree_max_size : 0;
}

/* ---- vmalloc_freetree.c ---- */
struct free_vmap_area *fva_alloc(struct vmap_modern_state *ms);
void fva_free(struct vmap_modern_state *ms, struct free_vmap_area *va);
void fva_release_all(struct vmap_modern_state *ms);
/* augment_tree_propagate_from */
void augment_tree_propagate_from(struct free_vmap_area *va);
/* insert_vmap_area_augment: from = NULL descends from the root. */
void insert_vmap_area_augment(struct vmap_modern_state *ms,
			      struct free_vmap_area *va, struct rb_node *from);
/* unlink_va_augment */
void unlink_va_augment(struct vmap_modern_state *ms,
		       struct free_vmap_area *va);
/* merge_or_add_vmap_area_augment: va joins the free space, merged with
 * the blocks it touches (va is then released). The block holding va's
 * range, or NULL on an overlap (the kernel's WARN; va is released). */
struct free_vmap_area *merge_or_add_vmap_area_augment(
	struct vmap_modern_state *ms, struct free_vmap_area *va);

/* ---- vmalloc_modern.c ---- */
/* find_vmap_lowest_match and is_within_this_va (for the cross-check). */
struct free_vmap_area *find_vmap_lowest_match(struct vmap_modern_state *ms,
					      uint64_t size, uint64_t align,
					      vaddr_t vstart,
					      bool adjust_search_size);
bool is_within_this_va(const struct free_vmap_area *va, uint64_t size,
		       uint64_t align, vaddr_t vstart);

/* ---- vmalloc_modern_check.c ---- */
int vmap_modern_check(struct vmf_machine *m, void *priv, char *why,
		      size_t why_len);

#endif
