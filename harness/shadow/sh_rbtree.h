/* The shadow's own red-black tree, for the modern placement predictor.
 *
 * With alignments above a page, 6.1's find_vmap_lowest_match picks a block
 * that depends on the free tree's shape (modern-vmalloc-facts.md), so an
 * exact predictor needs a tree of exactly the kernel's shape: the same
 * insert and erase algorithm as the kernel's lib/rbtree.c (__rb_insert,
 * __rb_erase_augmented, ____rb_erase_color) with the same augmentation
 * callbacks called at the same points. Written here from that algorithm,
 * not shared with the library's lib/kernel/rbtree.c: the shadow must not
 * share a mistake with what it checks.
 *
 * Invariants (checked by sh_rb_check in the tests): the root is black; a
 * red node has no red child; every path from a node to a leaf holds the
 * same number of black nodes; in-order is the caller's key order (the
 * caller picks the link, as with rb_link_node). Plain pointers and a
 * separate colour field instead of the kernel's packed parent word. */
#ifndef VMFUZZ_HARNESS_SH_RBTREE_H
#define VMFUZZ_HARNESS_SH_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

struct sh_rb_node {
	struct sh_rb_node *parent, *left, *right;
	bool black;
};

struct sh_rb_root {
	struct sh_rb_node *node;
};

/* The kernel's struct rb_augment_callbacks: propagate from a node up to
 * (not including) stop; copy the augmented value to a node taking another's
 * place; rotate: new takes old's place in a rotation. */
struct sh_rb_augment {
	void (*propagate)(struct sh_rb_node *n, struct sh_rb_node *stop);
	void (*copy)(struct sh_rb_node *old, struct sh_rb_node *new_);
	void (*rotate)(struct sh_rb_node *old, struct sh_rb_node *new_);
};

/* rb_link_node: n becomes a red leaf at *link below parent. */
void sh_rb_link(struct sh_rb_node *n, struct sh_rb_node *parent,
		struct sh_rb_node **link);
/* rb_insert_augmented (aug NULL: rb_insert_color): rebalance after link. */
void sh_rb_insert(struct sh_rb_node *n, struct sh_rb_root *root,
		  const struct sh_rb_augment *aug);
/* rb_erase_augmented (aug NULL: rb_erase). */
void sh_rb_erase(struct sh_rb_node *n, struct sh_rb_root *root,
		 const struct sh_rb_augment *aug);

struct sh_rb_node *sh_rb_first(const struct sh_rb_root *root);
struct sh_rb_node *sh_rb_next(const struct sh_rb_node *n);

/* The red-black properties and parent links: 0, or -1 with why filled. */
int sh_rb_check(const struct sh_rb_root *root, char *why, size_t len);

#endif
