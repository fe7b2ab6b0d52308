/* Red-black trees, after the API of the Linux kernel's lib/kernel/rbtree.c.
 *
 * Invariants of a valid tree:
 *  1. every node is red or black;
 *  2. the root is black (and has no parent);
 *  3. a red node has no red child;
 *  4. every path from a node down to a NULL child passes the same number
 *     of black nodes, its black height;
 *  5. child->parent points back to the parent;
 *  6. the in-order sequence is sorted (the user's order; we never compare).
 * 3 and 4 together bound the longest path from the root to twice the
 * shortest, hence height <= 2 * log2(n + 1).
 *
 * Insertion adds a red leaf, which keeps 4 and may break 3 (or 2 at the
 * root); rb_insert_fixup() pushes the red-red conflict up by recolouring
 * and ends it with at most two rotations.
 *
 * Erase takes out a node with at most one child (the node itself, or its
 * in-order successor moved into its place). Taking out a red node breaks
 * nothing; a black one with a (necessarily red) child is made good by
 * painting the child black; a black leaf leaves its paths one black short,
 * which rb_erase_fixup() repairs by recolouring upwards and at most three
 * rotations.
 *
 * Each case is written once: the mirror images differ only by a direction
 * (RB_LEFT or RB_RIGHT) that picks the child link.
 *
 * Augmented trees: every place where a node's subtree changes reports it
 * through the callbacks (rotate for rotations, copy and propagate for the
 * successor move in erase). The plain rb_insert_color()/rb_erase() run the
 * same code with no callbacks (a NULL table): a NULL test each, or nothing
 * once the compiler has inlined it.
 *
 * No allocation and no global state: all storage is the user's nodes. */
#include <stdarg.h>
#include <stdio.h>

#include <vmfuzz/rbtree.h>

enum { RB_LEFT = 0, RB_RIGHT = 1 };

static inline struct rb_node **rb_child(struct rb_node *node, int dir)
{
	return dir == RB_LEFT ? &node->left : &node->right;
}

/* NULL children count as black leaves. */
static inline bool rb_is_red(const struct rb_node *node)
{
	return node && node->colour == RB_RED;
}

/* Point whatever pointed at @old (its parent's link or the root) at @new_. */
static inline void rb_change_child(struct rb_node *old, struct rb_node *new_,
				   struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new_;
	else if (parent->left == old)
		parent->left = new_;
	else
		parent->right = new_;
}

/* Augmentation hooks; a NULL table means a plain tree (no-op callbacks). */
static inline void rb_aug_rotate(const struct rb_augment_callbacks *augment,
				 struct rb_node *old, struct rb_node *new_)
{
	if (augment)
		augment->rotate(old, new_);
}

static inline void rb_aug_copy(const struct rb_augment_callbacks *augment,
			       struct rb_node *old, struct rb_node *new_)
{
	if (augment)
		augment->copy(old, new_);
}

static inline void
rb_aug_propagate(const struct rb_augment_callbacks *augment,
		 struct rb_node *node, struct rb_node *stop)
{
	if (augment)
		augment->propagate(node, stop);
}

/* Rotate @node down towards @dir; its child on the other side comes up.
 * For dir == RB_LEFT (RB_RIGHT is the mirror image):
 *
 *	    node                up
 *	   /    \              /  \
 *	  a      up    -->  node   c
 *	        /  \        /  \
 *	       b    c      a    b
 *
 * The in-order sequence a node b up c is unchanged, and so is the set of
 * nodes below the top: up takes node's augmented value, node is recomputed
 * from a and b. Colours are the caller's business. */
static inline void rb_rotate(struct rb_node *node, int dir,
			     struct rb_root *root,
			     const struct rb_augment_callbacks *augment)
{
	struct rb_node *parent = node->parent;
	struct rb_node *up = *rb_child(node, !dir);
	struct rb_node *inner = *rb_child(up, dir);

	*rb_child(node, !dir) = inner;
	if (inner)
		inner->parent = node;
	*rb_child(up, dir) = node;
	node->parent = up;
	up->parent = parent;
	rb_change_child(node, up, parent, root);
	rb_aug_rotate(augment, node, up);
}

static inline void rb_insert_fixup(struct rb_node *node, struct rb_root *root,
				   const struct rb_augment_callbacks *augment)
{
	/* node is red; at most invariant 3 is broken, between node and its
	 * parent (or 2, when node is the root). */
	for (;;) {
		struct rb_node *parent = node->parent, *gparent, *uncle;
		int dir;

		if (!parent) {
			/* node is the root: black adds one to every path, so
			 * the black heights stay equal. */
			node->colour = RB_BLACK;
			return;
		}
		if (parent->colour == RB_BLACK)
			return; /* no red-red pair: done */

		/* A red parent is not the root (2), so gparent exists, and
		 * it is black (3 held before node came). */
		gparent = parent->parent;
		dir = gparent->left == parent ? RB_LEFT : RB_RIGHT;
		uncle = *rb_child(gparent, !dir);

		if (rb_is_red(uncle)) {
			/* Case 1: red uncle. Move gparent's black down onto
			 * both children: every path through gparent still
			 * has one black there, but the now red gparent may
			 * have a red parent, so go on two levels up. */
			parent->colour = RB_BLACK;
			uncle->colour = RB_BLACK;
			gparent->colour = RB_RED;
			node = gparent;
			continue;
		}

		if (node == *rb_child(parent, !dir)) {
			/* Case 2: black uncle, node is the inner grandchild.
			 * Rotate it up over parent: both are red so no black
			 * height moves, and the old parent is now the outer
			 * red child of a red node: case 3. */
			rb_rotate(parent, dir, root, augment);
			parent = node;
		}

		/* Case 3: black uncle, red outer grandchild. Rotate parent
		 * up into gparent's place and swap their colours: the top is
		 * black again, its two children (old gparent, outer
		 * grandchild) are red with black children, and each path
		 * still passes one black at the top, as before. */
		rb_rotate(gparent, !dir, root, augment);
		parent->colour = RB_BLACK;
		gparent->colour = RB_RED;
		return;
	}
}

static inline void rb_erase_fixup(struct rb_node *parent,
				  struct rb_root *root,
				  const struct rb_augment_callbacks *augment)
{
	/* Paths through node, a black node or NULL child of parent, have
	 * one black fewer than those through its sibling. */
	struct rb_node *node = NULL;

	for (;;) {
		/* node may be NULL: then it is on the side whose link is
		 * NULL, as the deficient side's sibling cannot be NULL. */
		int dir = parent->left == node ? RB_LEFT : RB_RIGHT;
		struct rb_node *sibling = *rb_child(parent, !dir);
		struct rb_node *near, *far;

		/* sibling is not NULL: its side has a black height of at
		 * least one more than node's. */
		if (sibling->colour == RB_RED) {
			/* Case 1: red sibling, so parent and the sibling's
			 * children are black. Rotate sibling up and swap its
			 * colour with parent's: no path changes its count,
			 * and node's new sibling (the old near nephew) is a
			 * black node, so one of cases 2-4 follows. */
			rb_rotate(parent, dir, root, augment);
			sibling->colour = RB_BLACK;
			parent->colour = RB_RED;
			sibling = *rb_child(parent, !dir);
		}

		near = *rb_child(sibling, dir);
		far = *rb_child(sibling, !dir);
		if (!rb_is_red(near) && !rb_is_red(far)) {
			/* Case 2: black sibling with black children. Paint
			 * the sibling red: now both sides of parent are one
			 * short. A red parent turns black and pays it back;
			 * a black one passes the deficit one level up. */
			sibling->colour = RB_RED;
			if (parent->colour == RB_RED) {
				parent->colour = RB_BLACK;
				return;
			}
			node = parent;
			parent = node->parent;
			if (!parent)
				return; /* every path lost one: balanced */
			continue;
		}

		if (!rb_is_red(far)) {
			/* Case 3: only the near nephew is red. Rotate it up
			 * into sibling's place and swap their colours: the
			 * counts on that side do not change, and the new
			 * sibling has a red far child (the old sibling):
			 * case 4. */
			rb_rotate(sibling, !dir, root, augment);
			near->colour = RB_BLACK;
			sibling->colour = RB_RED;
			far = sibling;
			sibling = near;
		}

		/* Case 4: black sibling, red far nephew. Rotate sibling up
		 * into parent's place with parent's colour, and paint parent
		 * and far black: node's paths gain black parent (the missing
		 * one), the near nephew's paths trade black sibling for black
		 * parent, far's paths trade black sibling for far made black.
		 * Nothing above changes: done. */
		rb_rotate(parent, dir, root, augment);
		sibling->colour = parent->colour;
		parent->colour = RB_BLACK;
		far->colour = RB_BLACK;
		return;
	}
}

static inline void rb_erase_common(struct rb_node *node, struct rb_root *root,
				   const struct rb_augment_callbacks *augment)
{
	struct rb_node *parent, *child, *rebalance = NULL;

	if (!node->left || !node->right) {
		/* At most one child: splice it into node's place. */
		parent = node->parent;
		child = node->left ? node->left : node->right;
		rb_change_child(node, child, parent, root);
		if (child) {
			/* A lone child is red under a black node (4): black,
			 * it makes up for the black that went. */
			child->parent = parent;
			child->colour = RB_BLACK;
		} else if (node->colour == RB_BLACK) {
			rebalance = parent; /* a black leaf went: one short */
		}
		if (parent)
			rb_aug_propagate(augment, parent, NULL);
	} else {
		/* Two children: the successor (leftmost in the right
		 * subtree, so without a left child) takes node's place,
		 * links and colour; the hole moves to where it was. */
		struct rb_node *successor = node->right;
		int hole_colour;

		while (successor->left)
			successor = successor->left;
		child = successor->right;
		hole_colour = successor->colour;

		if (successor == node->right) {
			/* The hole is successor's own right link. */
			parent = successor;
		} else {
			/* Unhook successor, leaving its right child in its
			 * place, then give it node's right subtree. */
			parent = successor->parent;
			parent->left = child;
			if (child)
				child->parent = parent;
			successor->right = node->right;
			node->right->parent = successor;
		}
		successor->left = node->left;
		node->left->parent = successor;
		successor->parent = node->parent;
		successor->colour = node->colour;
		rb_change_child(node, successor, node->parent, root);

		if (child)
			child->colour = RB_BLACK; /* as in the one-child case */
		else if (hole_colour == RB_BLACK)
			rebalance = parent;

		/* successor now heads node's old subtree less node: start
		 * from node's value, so propagate can stop early when it
		 * comes out the same; below it, only the path down to the
		 * hole lost a node (successor). */
		rb_aug_copy(augment, node, successor);
		if (parent != successor)
			rb_aug_propagate(augment, parent, successor);
		rb_aug_propagate(augment, successor, NULL);
	}

	/* Rotations need right augmented values: propagate came first. */
	if (rebalance)
		rb_erase_fixup(rebalance, root, augment);
}

/* The plain tree is the augmented one with no-op callbacks, passed as
 * NULL: a table of them would be relocated data (lib/ has none), and NULL
 * lets the inlined code drop the calls altogether. */
void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	rb_insert_fixup(node, root, NULL);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	rb_erase_common(node, root, NULL);
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment)
{
	rb_insert_fixup(node, root, augment);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment)
{
	rb_erase_common(node, root, augment);
}

void rb_replace_node(struct rb_node *victim, struct rb_node *new_,
		     struct rb_root *root)
{
	struct rb_node *parent = victim->parent;

	*new_ = *victim; /* parent, children, colour */
	if (victim->left)
		victim->left->parent = new_;
	if (victim->right)
		victim->right->parent = new_;
	rb_change_child(victim, new_, parent, root);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *node = root->rb_node;

	if (!node)
		return NULL;
	while (node->left)
		node = node->left;
	return node;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *node = root->rb_node;

	if (!node)
		return NULL;
	while (node->right)
		node = node->right;
	return node;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	struct rb_node *parent;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (node->right) {
		/* The leftmost node of the right subtree. */
		struct rb_node *next = node->right;

		while (next->left)
			next = next->left;
		return next;
	}
	/* Else the first ancestor that has us in its left subtree. */
	while ((parent = node->parent) && node == parent->right)
		node = parent;
	return parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	struct rb_node *parent;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (node->left) {
		/* The rightmost node of the left subtree. */
		struct rb_node *prev = node->left;

		while (prev->right)
			prev = prev->right;
		return prev;
	}
	/* Else the first ancestor that has us in its right subtree. */
	while ((parent = node->parent) && node == parent->left)
		node = parent;
	return parent;
}

/* ---- checker ---- */

__attribute__((format(printf, 3, 4))) static int
rb_fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The walk below names nodes by their path from the root: "L", "R" steps
 * in path[0..len), "root" when empty. */
static const char *rb_where(const char *path)
{
	return path[0] ? path : "root";
}

static int rb_walk(const struct rb_root *root,
		   int (*cmp)(const struct rb_node *a, const struct rb_node *b),
		   bool (*augment_ok)(const struct rb_node *node), char *why,
		   size_t why_len)
{
	/* An iterative in-order walk that moves only along links it has
	 * verified: a child is entered only after child->parent == node was
	 * checked, and the root has no parent. So each node is entered at
	 * most once (a second entry would need a second parent), and going
	 * up by parent links retraces the way down. That bounds the walk
	 * even on a corrupted tree; the node and depth limits are extra. */
	enum { DOWN, LEFT_DONE, RIGHT_DONE } state = DOWN;
	const struct rb_node *node = root->rb_node, *prev = NULL;
	char path[RB_CHECK_MAX_DEPTH + 1];
	unsigned len = 0;              /* path length: node's depth - 1 */
	unsigned blacks = 0;           /* black nodes from root to node */
	unsigned leaf_blacks = 0;      /* black height of the first leaf */
	bool seen_leaf = false;
	unsigned long long entered = 0, visited = 0;

	path[0] = '\0';
	if (!node)
		return 0;
	if (node->parent)
		return rb_fail(why, why_len, "root has a parent (%p)",
			       (const void *)node->parent);
	if (node->colour != RB_BLACK)
		return rb_fail(why, why_len, "root is not black (colour %d)",
			       node->colour);

	for (;;) {
		const struct rb_node *next;

		switch (state) {
		case DOWN:
			/* First arrival at node, from its parent. */
			if (++entered > RB_CHECK_MAX_NODES)
				return rb_fail(why, why_len,
					       "more than %llu nodes: a cycle?",
					       (unsigned long long)
						       RB_CHECK_MAX_NODES);
			if (node->colour == RB_BLACK)
				blacks++;
			else if (node->colour != RB_RED)
				return rb_fail(why, why_len,
					       "bad colour %d at node %s",
					       node->colour, rb_where(path));
			else if (node->parent &&
				 node->parent->colour == RB_RED)
				return rb_fail(why, why_len,
					       "red-red: red node %s has a red "
					       "parent",
					       rb_where(path));
			if (node->left && node->left == node->right)
				return rb_fail(why, why_len,
					       "node %s has the same node as "
					       "left and right child",
					       rb_where(path));
			next = node->left;
			if (next)
				break;
			state = LEFT_DONE;
			goto leaf;
		case LEFT_DONE:
			/* Left subtree done: node's turn in order. */
			visited++;
			if (cmp && prev && cmp(prev, node) >= 0)
				return rb_fail(why, why_len,
					       "order: node %s (in-order #%llu) "
					       "is not greater than the one "
					       "before it",
					       rb_where(path), visited - 1);
			prev = node;
			next = node->right;
			if (next)
				break;
			state = RIGHT_DONE;
			goto leaf;
		case RIGHT_DONE:
		default:
			/* Whole subtree done, both children verified: now
			 * the augmented value can be looked at safely. */
			if (augment_ok && !augment_ok(node))
				return rb_fail(why, why_len,
					       "augmented value wrong at node "
					       "%s",
					       rb_where(path));
			/* Back up one level. */
			if (node->colour == RB_BLACK)
				blacks--;
			if (len == 0)
				return 0; /* back at the root: all done */
			len--;
			state = path[len] == 'L' ? LEFT_DONE : RIGHT_DONE;
			path[len] = '\0';
			node = node->parent;
			continue;
		}

		/* Step down to next, node's child on the side state says. */
		if (next->parent != node)
			return rb_fail(why, why_len,
				       "parent link: the %s child of node %s "
				       "points back to %p, not %p",
				       state == DOWN ? "left" : "right",
				       rb_where(path), (const void *)next->parent,
				       (const void *)node);
		if (len + 1 >= RB_CHECK_MAX_DEPTH)
			return rb_fail(why, why_len,
				       "deeper than %d nodes: not balanced "
				       "or a cycle",
				       RB_CHECK_MAX_DEPTH);
		path[len++] = state == DOWN ? 'L' : 'R';
		path[len] = '\0';
		node = next;
		state = DOWN;
		continue;

	leaf:
		/* A NULL child: every one must see the same number of
		 * black nodes above it. */
		if (!seen_leaf) {
			seen_leaf = true;
			leaf_blacks = blacks;
		} else if (blacks != leaf_blacks) {
			return rb_fail(why, why_len,
				       "black height: the %s NULL child of "
				       "node %s is under %u black nodes, the "
				       "leftmost one under %u",
				       state == LEFT_DONE ? "left" : "right",
				       rb_where(path), blacks, leaf_blacks);
		}
	}
}

int rb_check(const struct rb_root *root,
	     int (*cmp)(const struct rb_node *a, const struct rb_node *b),
	     char *why, size_t why_len)
{
	return rb_walk(root, cmp, NULL, why, why_len);
}

int rb_check_augmented(const struct rb_root *root,
		       int (*cmp)(const struct rb_node *a,
				  const struct rb_node *b),
		       bool (*augment_ok)(const struct rb_node *node),
		       char *why, size_t why_len)
{
	return rb_walk(root, cmp, augment_ok, why, why_len);
}
