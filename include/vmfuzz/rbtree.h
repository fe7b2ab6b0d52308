/* Red-black trees: intrusive, non-allocating, optionally augmented.
 *
 * The API follows the Linux kernel's <linux/rbtree.h> and
 * <linux/rbtree_augmented.h> (names and semantics), the code is our own:
 * lib/kernel/rbtree.c. The parent pointer and the colour are separate fields
 * (no pointer bit-packing).
 *
 * Invariants of a valid tree (checked by rb_check()):
 *  1. every node is red or black;
 *  2. the root is black and has no parent;
 *  3. a red node has no red child;
 *  4. every path from a node down to a NULL child passes the same number
 *     of black nodes (the black height);
 *  5. child->parent points back to the parent;
 *  6. the in-order sequence is strictly increasing under the user's order.
 * From 3 and 4 the height is at most 2 * log2(n + 1).
 *
 * The tree does no comparisons: the user walks down from root->rb_node
 * to the empty link where the new node belongs, calls rb_link_node() and
 * then rb_insert_color() to rebalance:
 *
 *	struct rb_node **link = &root->rb_node, *parent = NULL;
 *	while (*link) {
 *		parent = *link;
 *		link = key < rb_entry(parent, struct thing, rb)->key ?
 *			&parent->left : &parent->right;
 *	}
 *	rb_link_node(&new->rb, parent, link);
 *	rb_insert_color(&new->rb, root);
 *
 * Nodes are embedded in the user's structs; rb_entry() gets back from
 * the node to the struct. Nothing here allocates or keeps global state. */
#ifndef VMFUZZ_RBTREE_H
#define VMFUZZ_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#define RB_RED 0
#define RB_BLACK 1

struct rb_node {
	struct rb_node *parent; /* NULL at the root; the node itself if cleared */
	struct rb_node *left;
	struct rb_node *right;
	int colour;             /* RB_RED or RB_BLACK */
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT ((struct rb_root){NULL})
#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)

/* A node not in any tree can be marked by pointing its parent at itself,
 * as the kernel does; rb_next()/rb_prev() of such a node return NULL. */
#define RB_EMPTY_NODE(node) ((node)->parent == (node))
#define RB_CLEAR_NODE(node) ((node)->parent = (node))

#ifndef container_of
#define container_of(ptr, type, member)                                      \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member)                                     \
	((ptr) ? rb_entry(ptr, type, member) : NULL)

/* Hang @node, a leaf, at *@link, which is a child link of @parent (or
 * &root->rb_node when @parent is NULL). The tree is unbalanced until
 * rb_insert_color() or rb_insert_augmented() runs. */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent = parent;
	node->left = NULL;
	node->right = NULL;
	node->colour = RB_RED;
	*link = node;
}

/* Rebalance after rb_link_node(). O(log n), at most two rotations. */
void rb_insert_color(struct rb_node *node, struct rb_root *root);
/* Unlink @node and rebalance. O(log n), at most three rotations. The node's
 * own fields are left stale; RB_CLEAR_NODE() it if that matters. */
void rb_erase(struct rb_node *node, struct rb_root *root);
/* Put @new_ in @victim's place (same colour and links) without
 * rebalancing: the caller guarantees it sorts in the same place. O(1). */
void rb_replace_node(struct rb_node *victim, struct rb_node *new_,
		     struct rb_root *root);

/* In-order iteration. rb_first/rb_last are O(log n); rb_next/rb_prev are
 * O(log n) worst case, O(1) amortised over a full walk. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Augmented trees keep in every node a value computed from the node and
 * its two subtrees (e.g. the largest free size below it). The tree tells
 * the user when that value must change:
 *  propagate(node, stop): recompute from @node upwards, stopping before
 *                         @stop (NULL: go to the root; may stop earlier
 *                         once a value comes out unchanged);
 *  copy(old, new_):       @new_ takes @old's place with the same subtree,
 *                         so it takes @old's value;
 *  rotate(old, new_):     @new_ was rotated up into @old's place: @new_
 *                         takes @old's value (same subtree), @old must be
 *                         recomputed from its (already updated) children.
 * All three must be set. */
struct rb_augment_callbacks {
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	void (*copy)(struct rb_node *old, struct rb_node *new_);
	void (*rotate)(struct rb_node *old, struct rb_node *new_);
};

/* Like rb_insert_color(). Before calling it the user must have made the
 * augmented values along the insertion path include @node (or inserted
 * @node with a value that contributes nothing and call propagate(node,
 * NULL) afterwards). */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment);
/* Like rb_erase(); the augmented values are right afterwards. */
void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment);

/* Generate the callbacks for the common "maximum over the subtree" case,
 * like the kernel's macro of the same name: @rbstruct has the node in
 * @rbfield and a @rbtype @rbaugmented member, @rbcompute(node) is the
 * node's own value. Defines @rbname (const struct rb_augment_callbacks)
 * and @rbname##_compute_max(node, stop_if_same), which recomputes the
 * node's value from its own and its children's, and returns true (leaving
 * the node alone) if @stop_if_same and the value did not change. */
#define RB_DECLARE_CALLBACKS_MAX(rbstatic, rbname, rbstruct, rbfield,        \
				 rbtype, rbaugmented, rbcompute)             \
	static inline bool rbname##_compute_max(rbstruct *node,             \
						 bool stop_if_same)          \
	{                                                                    \
		rbtype max_ = rbcompute(node);                               \
		if (node->rbfield.left) {                                    \
			rbstruct *c_ = rb_entry(node->rbfield.left,          \
						rbstruct, rbfield);          \
			if (c_->rbaugmented > max_)                          \
				max_ = c_->rbaugmented;                      \
		}                                                            \
		if (node->rbfield.right) {                                   \
			rbstruct *c_ = rb_entry(node->rbfield.right,         \
						rbstruct, rbfield);          \
			if (c_->rbaugmented > max_)                          \
				max_ = c_->rbaugmented;                      \
		}                                                            \
		if (stop_if_same && node->rbaugmented == max_)               \
			return true;                                         \
		node->rbaugmented = max_;                                    \
		return false;                                                \
	}                                                                    \
	static void rbname##_propagate(struct rb_node *rb,                    \
				       struct rb_node *stop)                 \
	{                                                                    \
		while (rb != stop) {                                         \
			rbstruct *n_ = rb_entry(rb, rbstruct, rbfield);      \
			if (rbname##_compute_max(n_, true))                  \
				break;                                       \
			rb = rb->parent;                                     \
		}                                                            \
	}                                                                    \
	static void rbname##_copy(struct rb_node *old_, struct rb_node *new_) \
	{                                                                    \
		rb_entry(new_, rbstruct, rbfield)->rbaugmented =             \
			rb_entry(old_, rbstruct, rbfield)->rbaugmented;      \
	}                                                                    \
	static void rbname##_rotate(struct rb_node *old_,                    \
				    struct rb_node *new_)                    \
	{                                                                    \
		rbstruct *o_ = rb_entry(old_, rbstruct, rbfield);            \
		rb_entry(new_, rbstruct, rbfield)->rbaugmented =             \
			o_->rbaugmented;                                     \
		rbname##_compute_max(o_, false);                             \
	}                                                                    \
	rbstatic const struct rb_augment_callbacks rbname = {                \
		rbname##_propagate, rbname##_copy, rbname##_rotate}

/* Verify the invariants listed at the top of this file. @cmp orders two
 * nodes (<0, 0, >0) and may be NULL to skip the order check. Returns 0 if
 * the tree is valid, else -1 with a one-line reason in @why (if @why_len
 * is not 0) naming the node by its path from the root, e.g. "node LRR"
 * (left, right, right) or "node root". Stops on the first problem. Never
 * recurses, never writes to the tree, and follows a child link only after
 * checking the child's parent link, so a corrupted tree (cycles, shared
 * children) still gets an answer; it also gives up beyond
 * RB_CHECK_MAX_NODES nodes or RB_CHECK_MAX_DEPTH levels. */
#define RB_CHECK_MAX_NODES (1ull << 31)
#define RB_CHECK_MAX_DEPTH 128 /* 2 * log2(2^64): no valid tree is deeper */
int rb_check(const struct rb_root *root,
	     int (*cmp)(const struct rb_node *a, const struct rb_node *b),
	     char *why, size_t why_len);
/* rb_check() that also calls @augment_ok(node) on every node once both
 * its subtrees have passed: it must say whether the node's augmented
 * value is what its own value and its children's augmented values give.
 * Returns 0 or -1 with a reason, like rb_check(). */
int rb_check_augmented(const struct rb_root *root,
		       int (*cmp)(const struct rb_node *a,
				  const struct rb_node *b),
		       bool (*augment_ok)(const struct rb_node *node),
		       char *why, size_t why_len);

#endif
