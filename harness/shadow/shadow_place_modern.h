/* The modern placement predictor's state (Linux 6.1's free-space tree),
 * kept by shadow_place_modern.c; included by shadow_model.h.
 *
 * Invariants after every operation: the free blocks are disjoint, in
 * address order on the list and in the tree, never adjacent (a release
 * merges); every node's subtree_max is the largest block of its subtree;
 * nr_free is the number of blocks; free blocks and the busy set tile
 * [1, ULONG_MAX) once vmalloc_init ran. */
#ifndef VMFUZZ_HARNESS_SHADOW_PLACE_MODERN_H
#define VMFUZZ_HARNESS_SHADOW_PLACE_MODERN_H

#include <stdbool.h>
#include <stdint.h>

#include <vmfuzz/config.h>
#include <vmfuzz/types.h>

#include "sh_rbtree.h"

/* A free vmap_area. */
struct sh_vfree {
	struct sh_rb_node rb;     /* first member: a node is its area */
	vaddr_t start, end;
	uint64_t subtree_max;     /* subtree_max_size */
	struct sh_vfree *prev, *next; /* free_vmap_area_list */
};

/* What the predictor needs from the rest of the shadow (or from a test):
 * one kmalloc-site call (false: injected failure), the WARN_ON_ONCE of
 * __alloc_vmap_area firing for the first time, the current CPU. */
struct sh_modern_env {
	void *ctx;
	bool (*km_call)(void *ctx);
	void (*warn_once)(void *ctx);
	unsigned (*cpu)(void *ctx);
};

/* 6.1's classify_va_fit_type. */
enum sh_fit {
	SH_FIT_NOTHING = 0,
	SH_FIT_FL,
	SH_FIT_LE,
	SH_FIT_RE,
	SH_FIT_NE,
};

#define SH_VFREE_CHUNK 256

struct sh_modern {
	struct sh_modern_env env;
	uint64_t page_size;
	struct sh_rb_root root;     /* free_vmap_area_root */
	struct sh_vfree head;       /* free_vmap_area_list's head */
	uint64_t nr_free;
	bool preload[VMF_MAX_CPUS]; /* ne_fit_preload_node filled */
	bool warned;                /* WARN_ON_ONCE in __alloc_vmap_area */
	bool broken;                /* lost track (host OOM, overlap) */
	enum sh_fit last_fit;       /* of the last attempt that found a block */
	bool last_nomem;            /* the last attempt failed for want of a
				       split node, not of space */
	/* node pool, kept across inputs: chunks of SH_VFREE_CHUNK */
	struct sh_vfree **chunks;
	size_t nr_chunks, cap_chunks;
	struct sh_vfree *spare;     /* unused nodes, linked through next */
};

struct sh_place_ops;
void sh_place_modern_ops(struct sh_place_ops *ops);
void sh_modern_destroy(struct sh_modern *M);
/* The largest free block (the root's subtree_max), 0 when empty. */
uint64_t sh_modern_free_max(const struct sh_modern *M);
/* Recompute every node's maximum and compare (tests): 0 or -1. */
int sh_modern_check(const struct sh_modern *M, char *why, size_t len);

#endif
