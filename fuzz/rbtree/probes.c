/* fuzz_rbtree's checker probes: each breaks one invariant rb_check()
 * documents (enum fz_corrupt, rbtree_fuzz.h), runs the checkers, and puts
 * the exact bytes back. State-neutral. */
#include "rbtree_fuzz.h"

/* ---- checker sensitivity ---- */

static const char *const fz_corrupt_name[FZ_NR_CORRUPT] = {
	"colour-bad", "colour-flip", "parent",    "child-swap",
	"child-null", "child-same",  "child-other", "augment",
	"size",       "key",         "deep",      "root-link",
};

/* The failing check each kind must trip: the structure (rb_check without
 * an order), the order (rb_check with fz_cmp), or the augmented values
 * only (rb_check_augmented fails, rb_check with the order passes). */
enum fz_expect { FZ_STRUCT, FZ_ORDER, FZ_AUG };

static struct fz_node fz_chain[RB_CHECK_MAX_DEPTH];

static bool fz_corrupt(struct fz_state *st, unsigned kind, struct fz_node *x,
		       bool variant, struct fz_node **saved,
		       enum fz_expect *expect)
{
	struct rb_node *node = &x->rb;

	*expect = FZ_STRUCT;
	*saved = x;
	switch ((enum fz_corrupt)kind) {
	case CZ_COLOUR_BAD:
		node->colour = variant ? -1 : 2;
		return true;
	case CZ_COLOUR_FLIP:
		node->colour = node->colour == RB_RED ? RB_BLACK : RB_RED;
		return true;
	case CZ_PARENT:
		node->parent = variant && node->parent ? NULL : node;
		return true;
	case CZ_CHILD_SWAP: {
		struct rb_node *l = node->left;

		if (!node->left && !node->right)
			return false;
		node->left = node->right;
		node->right = l;
		*expect = FZ_ORDER;
		return true;
	}
	case CZ_CHILD_NULL: {
		struct rb_node *c = variant ? node->right : node->left;

		if (!c || !(c->colour == RB_BLACK || c->left || c->right))
			c = variant ? node->left : node->right;
		if (!c || !(c->colour == RB_BLACK || c->left || c->right))
			return false;
		if (node->left == c)
			node->left = NULL;
		else
			node->right = NULL;
		return true;
	}
	case CZ_CHILD_SAME:
		if (!node->left && !node->right)
			return false;
		if (node->left)
			node->right = node->left;
		else
			node->left = node->right;
		return true;
	case CZ_CHILD_OTHER: {
		struct rb_node *to = variant && node->parent ? node->parent
							     : st->root.rb_node;

		if (variant)
			node->right = to;
		else
			node->left = to;
		return true;
	}
	case CZ_AUGMENT:
		if (variant && x->subtree_max)
			x->subtree_max--;
		else
			x->subtree_max++;
		*expect = FZ_AUG;
		return true;
	case CZ_SIZE:
		x->size = x->subtree_max + 1;
		*expect = FZ_AUG;
		return true;
	case CZ_KEY: {
		struct rb_node *nb = rb_prev(node);

		if (!nb)
			nb = rb_next(node);
		if (!nb)
			return false;
		x->key = fz_of(nb)->key;
		*expect = FZ_ORDER;
		return true;
	}
	case CZ_DEEP: {
		struct fz_node *low = st->nodes[0];

		*saved = low; /* the leftmost node gets the chain */
		for (size_t i = 0; i < RB_CHECK_MAX_DEPTH; i++) {
			struct rb_node *c = &fz_chain[i].rb;

			c->parent = i ? &fz_chain[i - 1].rb : &low->rb;
			c->left = i + 1 < RB_CHECK_MAX_DEPTH ?
					  &fz_chain[i + 1].rb : NULL;
			c->right = NULL;
			c->colour = RB_BLACK;
			fz_chain[i].key = fz_chain[i].size = 0;
			fz_chain[i].subtree_max = 0;
		}
		low->rb.left = &fz_chain[0].rb;
		return true;
	}
	case CZ_ROOT_LINK:
		if (st->n < 2)
			return false;
		if (node == st->root.rb_node)
			node = node->left ? node->left : node->right;
		st->root.rb_node = node;
		return true;
	case FZ_NR_CORRUPT:
		break;
	}
	return false;
}

void fz_probe(struct fz_state *st, unsigned kind)
{
	struct fz_node *x, *saved, copy;
	struct rb_root root = st->root;
	enum fz_expect expect;
	char why[256];
	bool blind;

	if (!st->n)
		return;
	x = st->nodes[(st->key & 0x7fff) % st->n];
	/* The one node a corruption writes to: x, or the leftmost node
	 * for CZ_DEEP; CZ_ROOT_LINK writes the root pointer only. */
	copy = kind == CZ_DEEP ? *st->nodes[0] : *x;
	if (!fz_corrupt(st, kind, x, st->key >> 15, &saved, &expect))
		return; /* nothing written */
	switch (expect) {
	case FZ_STRUCT:
		blind = rb_check(&st->root, NULL, why, sizeof(why)) == 0 ||
			rb_check_augmented(&st->root, fz_cmp, fz_augment_ok,
					   why, sizeof(why)) == 0;
		break;
	case FZ_ORDER:
		blind = rb_check(&st->root, fz_cmp, why, sizeof(why)) == 0;
		break;
	default:
		blind = rb_check_augmented(&st->root, fz_cmp, fz_augment_ok,
					   why, sizeof(why)) == 0;
		if (!blind && rb_check(&st->root, fz_cmp, why, sizeof(why)))
			fz_fail(st, "checker-overreach",
				"corruption %s of key %u (augmented value "
				"only): rb_check() fails: %s",
				fz_corrupt_name[kind], copy.key, why);
		break;
	}
	if (blind)
		fz_fail(st, "checker-blind",
			"corruption %s of key %u: the checker passes",
			fz_corrupt_name[kind], copy.key);
	*saved = copy;
	st->root = root;
	if (rb_check_augmented(&st->root, fz_cmp, fz_augment_ok, why,
			       sizeof(why)))
		fz_fail(st, "checker-restore",
			"after undoing corruption %s: %s",
			fz_corrupt_name[kind], why);
}
