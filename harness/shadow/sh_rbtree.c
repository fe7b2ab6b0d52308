/* The shadow's red-black tree: the kernel's algorithm (lib/rbtree.c and
 * include/linux/rbtree_augmented.h of Linux 6.1), written over plain
 * pointers. Every case below does the same restructuring, in the same
 * order, with the augmentation callback at the same point as the kernel,
 * so that the same sequence of operations yields the same shape and the
 * same augmented values (sh_rbtree.h). */
#include <stdio.h>

#include "sh_rbtree.h"

/* __rb_change_child: old's place below parent (or the root) goes to new. */
static void change_child(struct sh_rb_node *old, struct sh_rb_node *new_,
			 struct sh_rb_node *parent, struct sh_rb_root *root)
{
	if (!parent)
		root->node = new_;
	else if (parent->left == old)
		parent->left = new_;
	else
		parent->right = new_;
}

/* __rb_rotate_set_parents: new takes old's parent and colour, old goes
 * below new with the given colour. */
static void rotate_set_parents(struct sh_rb_node *old, struct sh_rb_node *new_,
			       struct sh_rb_root *root, bool black)
{
	struct sh_rb_node *parent = old->parent;

	new_->parent = parent;
	new_->black = old->black;
	old->parent = new_;
	old->black = black;
	change_child(old, new_, parent, root);
}

static void aug_rotate(const struct sh_rb_augment *aug, struct sh_rb_node *old,
		       struct sh_rb_node *new_)
{
	if (aug)
		aug->rotate(old, new_);
}

void sh_rb_link(struct sh_rb_node *n, struct sh_rb_node *parent,
		struct sh_rb_node **link)
{
	n->parent = parent;
	n->black = false;
	n->left = n->right = NULL;
	*link = n;
}

/* __rb_insert. Loop invariant: n is red. The two halves mirror each other
 * (parent on the grandparent's left / right). */
void sh_rb_insert(struct sh_rb_node *n, struct sh_rb_root *root,
		  const struct sh_rb_augment *aug)
{
	struct sh_rb_node *parent = n->parent, *gparent, *tmp;

	for (;;) {
		if (!parent) {
			n->parent = NULL;
			n->black = true;
			return;
		}
		if (parent->black)
			return;
		gparent = parent->parent;
		tmp = gparent->right;
		if (parent != tmp) {
			if (tmp && !tmp->black) {
				/* Case 1: red uncle, recolour, go up. */
				tmp->black = true;
				parent->black = true;
				n = gparent;
				parent = n->parent;
				n->black = false;
				continue;
			}
			tmp = parent->right;
			if (n == tmp) {
				/* Case 2: left rotation at parent. */
				tmp = n->left;
				parent->right = tmp;
				n->left = parent;
				if (tmp) {
					tmp->parent = parent;
					tmp->black = true;
				}
				parent->parent = n;
				parent->black = false;
				aug_rotate(aug, parent, n);
				parent = n;
				tmp = n->right;
			}
			/* Case 3: right rotation at the grandparent. */
			gparent->left = tmp;
			parent->right = gparent;
			if (tmp) {
				tmp->parent = gparent;
				tmp->black = true;
			}
			rotate_set_parents(gparent, parent, root, false);
			aug_rotate(aug, gparent, parent);
			return;
		}
		tmp = gparent->left;
		if (tmp && !tmp->black) {
			tmp->black = true;
			parent->black = true;
			n = gparent;
			parent = n->parent;
			n->black = false;
			continue;
		}
		tmp = parent->left;
		if (n == tmp) {
			tmp = n->right;
			parent->left = tmp;
			n->right = parent;
			if (tmp) {
				tmp->parent = parent;
				tmp->black = true;
			}
			parent->parent = n;
			parent->black = false;
			aug_rotate(aug, parent, n);
			parent = n;
			tmp = n->left;
		}
		gparent->right = tmp;
		parent->left = gparent;
		if (tmp) {
			tmp->parent = gparent;
			tmp->black = true;
		}
		rotate_set_parents(gparent, parent, root, false);
		aug_rotate(aug, gparent, parent);
		return;
	}
}

/* ____rb_erase_color: the paths through parent and its (black or missing)
 * child n lack one black node. */
static void erase_color(struct sh_rb_node *parent, struct sh_rb_root *root,
			const struct sh_rb_augment *aug)
{
	struct sh_rb_node *n = NULL, *sibling, *t1, *t2;

	for (;;) {
		sibling = parent->right;
		if (n != sibling) { /* n is the left child */
			if (!sibling->black) {
				/* Case 1: left rotation at parent. */
				t1 = sibling->left;
				parent->right = t1;
				sibling->left = parent;
				t1->parent = parent;
				t1->black = true;
				rotate_set_parents(parent, sibling, root,
						   false);
				aug_rotate(aug, parent, sibling);
				sibling = t1;
			}
			t1 = sibling->right;
			if (!t1 || t1->black) {
				t2 = sibling->left;
				if (!t2 || t2->black) {
					/* Case 2: recolour the sibling. */
					sibling->parent = parent;
					sibling->black = false;
					if (!parent->black) {
						parent->black = true;
					} else {
						n = parent;
						parent = n->parent;
						if (parent)
							continue;
					}
					return;
				}
				/* Case 3: right rotation at the sibling. */
				t1 = t2->right;
				sibling->left = t1;
				t2->right = sibling;
				parent->right = t2;
				if (t1) {
					t1->parent = sibling;
					t1->black = true;
				}
				aug_rotate(aug, sibling, t2);
				t1 = sibling;
				sibling = t2;
			}
			/* Case 4: left rotation at parent, recolour. */
			t2 = sibling->left;
			parent->right = t2;
			sibling->left = parent;
			t1->parent = sibling;
			t1->black = true;
			if (t2)
				t2->parent = parent;
			rotate_set_parents(parent, sibling, root, true);
			aug_rotate(aug, parent, sibling);
			return;
		}
		sibling = parent->left;
		if (!sibling->black) {
			t1 = sibling->right;
			parent->left = t1;
			sibling->right = parent;
			t1->parent = parent;
			t1->black = true;
			rotate_set_parents(parent, sibling, root, false);
			aug_rotate(aug, parent, sibling);
			sibling = t1;
		}
		t1 = sibling->left;
		if (!t1 || t1->black) {
			t2 = sibling->right;
			if (!t2 || t2->black) {
				sibling->parent = parent;
				sibling->black = false;
				if (!parent->black) {
					parent->black = true;
				} else {
					n = parent;
					parent = n->parent;
					if (parent)
						continue;
				}
				return;
			}
			t1 = t2->left;
			sibling->right = t1;
			t2->left = sibling;
			parent->left = t2;
			if (t1) {
				t1->parent = sibling;
				t1->black = true;
			}
			aug_rotate(aug, sibling, t2);
			t1 = sibling;
			sibling = t2;
		}
		t2 = sibling->right;
		parent->left = t2;
		sibling->right = parent;
		t1->parent = sibling;
		t1->black = true;
		if (t2)
			t2->parent = parent;
		rotate_set_parents(parent, sibling, root, true);
		aug_rotate(aug, parent, sibling);
		return;
	}
}

/* __rb_erase_augmented, then the colour fix-up. A node with two children
 * is replaced by its in-order successor. */
void sh_rb_erase(struct sh_rb_node *n, struct sh_rb_root *root,
		 const struct sh_rb_augment *aug)
{
	struct sh_rb_node *child = n->right, *tmp = n->left;
	struct sh_rb_node *parent, *rebalance;

	if (!tmp) {
		parent = n->parent;
		change_child(n, child, parent, root);
		if (child) {
			child->parent = n->parent;
			child->black = n->black;
			rebalance = NULL;
		} else {
			rebalance = n->black ? parent : NULL;
		}
		tmp = parent;
	} else if (!child) {
		tmp->parent = n->parent;
		tmp->black = n->black;
		parent = n->parent;
		change_child(n, tmp, parent, root);
		rebalance = NULL;
		tmp = parent;
	} else {
		struct sh_rb_node *successor = child, *child2;

		tmp = child->left;
		if (!tmp) {
			/* The right child is the successor. */
			parent = successor;
			child2 = successor->right;
			if (aug)
				aug->copy(n, successor);
		} else {
			/* The leftmost node of the right subtree. */
			do {
				parent = successor;
				successor = tmp;
				tmp = tmp->left;
			} while (tmp);
			child2 = successor->right;
			parent->left = child2;
			successor->right = child;
			child->parent = successor;
			if (aug) {
				aug->copy(n, successor);
				aug->propagate(parent, successor);
			}
		}
		tmp = n->left;
		successor->left = tmp;
		tmp->parent = successor;
		change_child(n, successor, n->parent, root);
		if (child2) {
			child2->parent = parent;
			child2->black = true;
			rebalance = NULL;
		} else {
			rebalance = successor->black ? parent : NULL;
		}
		successor->parent = n->parent;
		successor->black = n->black;
		tmp = successor;
	}
	if (aug)
		aug->propagate(tmp, NULL);
	if (rebalance)
		erase_color(rebalance, root, aug);
}

struct sh_rb_node *sh_rb_first(const struct sh_rb_root *root)
{
	struct sh_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct sh_rb_node *sh_rb_next(const struct sh_rb_node *n)
{
	const struct sh_rb_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct sh_rb_node *)n;
	}
	while ((p = n->parent) && n == p->right)
		n = p;
	return (struct sh_rb_node *)p;
}

/* Black height of the subtree at n, or -1 on a broken property. */
static int check_node(const struct sh_rb_node *n, char *why, size_t len)
{
	int l, r;

	if (!n)
		return 1;
	if (n->left && n->left->parent != n) {
		snprintf(why, len, "a left child's parent link is wrong");
		return -1;
	}
	if (n->right && n->right->parent != n) {
		snprintf(why, len, "a right child's parent link is wrong");
		return -1;
	}
	if (!n->black && ((n->left && !n->left->black) ||
			  (n->right && !n->right->black))) {
		snprintf(why, len, "a red node has a red child");
		return -1;
	}
	l = check_node(n->left, why, len);
	r = check_node(n->right, why, len);
	if (l < 0 || r < 0)
		return -1;
	if (l != r) {
		snprintf(why, len, "black heights differ: %d and %d", l, r);
		return -1;
	}
	return l + (n->black ? 1 : 0);
}

int sh_rb_check(const struct sh_rb_root *root, char *why, size_t len)
{
	if (!root->node)
		return 0;
	if (root->node->parent || !root->node->black) {
		snprintf(why, len, "the root is red or has a parent");
		return -1;
	}
	return check_node(root->node, why, len) < 0 ? -1 : 0;
}
