/* Fuzz target: lib/rbtree.c against a sorted-array model.
 *
 * The input is a program of 3-byte operations (a trailing partial one is
 * ignored, at most FZ_MAX_OPS run):
 *
 *	byte 0: opcode in bits 0-2, argument A in bits 3-7 (0..31)
 *	byte 1-2: key K, little-endian (0..65535)
 *
 *	0 INSERT      insert K with size A (maxima raised before linking)
 *	1 INSERT_POST insert K with size A (linked as 0, propagated after)
 *	2 ERASE       erase K if present
 *	3 ERASE_KTH   erase the (K mod n)-th node, walking from the nearer end
 *	4 LOOKUP      search K; lower bound of K and its next/prev; then,
 *	              with A != 0, a checker-sensitivity probe: corruption
 *	              kind (A - 1) % FZ_NR_CORRUPT (the list above fz_probe)
 *	              of in-order node (K & 0x7fff) % n (K bit 15 picks a
 *	              variant); rb_check() / rb_check_augmented() must fail
 *	              ("checker-blind" if they pass), the saved bytes go
 *	              back and the tree must check clean again
 *	              ("checker-restore"). State-neutral.
 *	5 REPLACE     rb_replace_node() K's node by a fresh copy
 *	6 LOWEST_FIT  lowest key with size >= A, through the subtree maxima
 *	7 RESIZE      set K's size to A and propagate (like a free area that
 *	              shrinks or grows in place)
 *
 * Every node has a size and keeps the maximum size of its subtree, like
 * Linux's free vmap area tree. After every operation the whole tree is
 * compared with the model: rb_check, augmented values, size, contents in
 * order forwards and backwards, first/last. Nodes are malloc'ed one by
 * one and freed when erased or replaced, so ASan sees any stale link.
 *
 * On a disagreement: a report on stderr ending in
 * "SIGNATURE: rbtree/<check>", then abort(). Nothing survives a call. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/rbtree.h>

#include "asan_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_OP_BYTES 3
#define FZ_MAX_OPS 4096

enum fz_opcode {
	FZ_INSERT,
	FZ_INSERT_POST,
	FZ_ERASE,
	FZ_ERASE_KTH,
	FZ_LOOKUP,
	FZ_REPLACE,
	FZ_LOWEST_FIT,
	FZ_RESIZE,
};

static const char *const fz_opname[8] = {
	"INSERT", "INSERT_POST", "ERASE",      "ERASE_KTH",
	"LOOKUP", "REPLACE",     "LOWEST_FIT", "RESIZE",
};

struct fz_node {
	struct rb_node rb;
	uint32_t key;
	uint32_t size;
	uint32_t subtree_max;
};

static struct fz_node *fz_of(const struct rb_node *node)
{
	return rb_entry(node, struct fz_node, rb);
}

static uint32_t fz_size(const struct fz_node *n)
{
	return n->size;
}

RB_DECLARE_CALLBACKS_MAX(static, fz_augment, struct fz_node, rb, uint32_t,
			 subtree_max, fz_size);

/* The model: keys ascending, with each key's size and node (the node only
 * to free it and to check the tree hands back the right one). */
struct fz_state {
	struct rb_root root;
	uint32_t *keys;
	uint32_t *sizes;
	struct fz_node **nodes;
	size_t n;
	/* The operation being run, for the report. */
	size_t op_index;
	unsigned opcode, key, arg;
	long target; /* the key ERASE_KTH picked, or -1 */
};

static size_t model_lower(const struct fz_state *st, uint32_t key)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void model_insert(struct fz_state *st, size_t i, uint32_t key,
			 uint32_t size, struct fz_node *node)
{
	size_t tail = st->n - i;

	memmove(&st->keys[i + 1], &st->keys[i], tail * sizeof(st->keys[0]));
	memmove(&st->sizes[i + 1], &st->sizes[i], tail * sizeof(st->sizes[0]));
	memmove(&st->nodes[i + 1], &st->nodes[i], tail * sizeof(st->nodes[0]));
	st->keys[i] = key;
	st->sizes[i] = size;
	st->nodes[i] = node;
	st->n++;
}

static void model_erase(struct fz_state *st, size_t i)
{
	size_t tail = st->n - i - 1;

	memmove(&st->keys[i], &st->keys[i + 1], tail * sizeof(st->keys[0]));
	memmove(&st->sizes[i], &st->sizes[i + 1], tail * sizeof(st->sizes[0]));
	memmove(&st->nodes[i], &st->nodes[i + 1], tail * sizeof(st->nodes[0]));
	st->n--;
}

/* Print what is known and die with a signature the triage tools group by. */
__attribute__((format(printf, 3, 4), noreturn)) static void
fz_fail(const struct fz_state *st, const char *check, const char *fmt, ...)
{
	va_list ap;
	const struct rb_node *node;
	size_t i;

	fprintf(stderr, "rbtree: op #%zu %s key %u arg %u", st->op_index,
		fz_opname[st->opcode], st->key, st->arg);
	if (st->target >= 0)
		fprintf(stderr, " (picked key %ld)", st->target);
	fprintf(stderr, ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nmodel (%zu):", st->n);
	for (i = 0; i < st->n && i < 32; i++)
		fprintf(stderr, " %u/%u", st->keys[i], st->sizes[i]);
	fprintf(stderr, "%s\n", i < st->n ? " ..." : "");
	/* The tree only if it is sound enough to walk. */
	if (rb_check(&st->root, NULL, NULL, 0) == 0) {
		fprintf(stderr, "tree:");
		for (node = rb_first(&st->root), i = 0; node && i < 32;
		     node = rb_next(node), i++)
			fprintf(stderr, " %u/%u", fz_of(node)->key,
				fz_of(node)->size);
		fprintf(stderr, "%s\n", node ? " ..." : "");
	}
	fprintf(stderr, "SIGNATURE: rbtree/%s\n", check);
	abort();
}

static struct fz_node *tree_search(const struct rb_root *root, uint32_t key)
{
	struct rb_node *node = root->rb_node;

	while (node) {
		struct fz_node *cur = fz_of(node);

		if (key < cur->key)
			node = node->left;
		else if (key > cur->key)
			node = node->right;
		else
			return cur;
	}
	return NULL;
}

/* The first node with a key >= @key. */
static struct fz_node *tree_lower(const struct rb_root *root, uint32_t key)
{
	struct rb_node *node = root->rb_node;
	struct fz_node *best = NULL;

	while (node) {
		struct fz_node *cur = fz_of(node);

		if (cur->key >= key) {
			best = cur;
			node = node->left;
		} else {
			node = node->right;
		}
	}
	return best;
}

/* The lowest key whose size is >= @want, descending by subtree maxima. */
static struct fz_node *tree_lowest_fit(const struct rb_root *root,
				       uint32_t want)
{
	struct rb_node *node = root->rb_node;

	while (node) {
		if (node->left && fz_of(node->left)->subtree_max >= want)
			node = node->left;
		else if (fz_of(node)->size >= want)
			return fz_of(node);
		else if (node->right && fz_of(node->right)->subtree_max >= want)
			node = node->right;
		else
			return NULL;
	}
	return NULL;
}

static void tree_insert(struct fz_state *st, struct fz_node *new_, bool pre)
{
	struct rb_node **link = &st->root.rb_node, *parent = NULL;

	while (*link) {
		struct fz_node *cur = fz_of(*link);

		parent = *link;
		if (new_->key < cur->key) {
			link = &parent->left;
		} else if (new_->key > cur->key) {
			link = &parent->right;
		} else {
			fz_fail(st, "membership",
				"key %u found in the tree on insert, not in "
				"the model",
				new_->key);
		}
		/* Raise the maxima on the way down (the pre style). */
		if (pre && cur->subtree_max < new_->size)
			cur->subtree_max = new_->size;
	}
	new_->subtree_max = pre ? new_->size : 0;
	rb_link_node(&new_->rb, parent, link);
	rb_insert_augmented(&new_->rb, &st->root, &fz_augment);
	if (!pre)
		fz_augment.propagate(&new_->rb, NULL);
}

static int fz_cmp(const struct rb_node *a, const struct rb_node *b)
{
	uint32_t ka = fz_of(a)->key, kb = fz_of(b)->key;

	return ka < kb ? -1 : ka > kb;
}

static bool fz_augment_ok(const struct rb_node *node)
{
	uint32_t max = fz_of(node)->size;

	if (node->left && fz_of(node->left)->subtree_max > max)
		max = fz_of(node->left)->subtree_max;
	if (node->right && fz_of(node->right)->subtree_max > max)
		max = fz_of(node->right)->subtree_max;
	return fz_of(node)->subtree_max == max;
}

/* The whole tree against the model. */
static void fz_verify(const struct fz_state *st)
{
	char why[256];
	const struct rb_node *node;
	uint32_t max = 0;
	size_t i;

	/* One walk checks both; the reason tells which one failed. */
	if (rb_check_augmented(&st->root, fz_cmp, fz_augment_ok, why,
			       sizeof(why)))
		fz_fail(st,
			strncmp(why, "augmented", 9) ? "rb_check" : "augment",
			"%s", why);
	if (RB_EMPTY_ROOT(&st->root) != (st->n == 0))
		fz_fail(st, "size", "RB_EMPTY_ROOT %d with %zu in the model",
			RB_EMPTY_ROOT(&st->root), st->n);

	node = rb_first(&st->root);
	if (st->n && (!node || fz_of(node) != st->nodes[0]))
		fz_fail(st, "first", "rb_first gives key %d, model %u",
			node ? (int)fz_of(node)->key : -1, st->keys[0]);
	for (i = 0; node && i < st->n; node = rb_next(node), i++) {
		const struct fz_node *cur = fz_of(node);

		if (cur != st->nodes[i] || cur->key != st->keys[i] ||
		    cur->size != st->sizes[i])
			fz_fail(st, "inorder",
				"in-order #%zu is key %u size %u, model key %u "
				"size %u%s",
				i, cur->key, cur->size, st->keys[i],
				st->sizes[i],
				cur != st->nodes[i] ? " (other node)" : "");
		if (cur->size > max)
			max = cur->size;
	}
	if (node || i != st->n)
		fz_fail(st, "size", "rb_next walk: %zu%s nodes, model %zu", i,
			node ? "+" : "", st->n);

	node = rb_last(&st->root);
	if (st->n && (!node || fz_of(node) != st->nodes[st->n - 1]))
		fz_fail(st, "last", "rb_last gives key %d, model %u",
			node ? (int)fz_of(node)->key : -1,
			st->keys[st->n - 1]);
	for (i = st->n; node && i > 0; node = rb_prev(node), i--)
		if (fz_of(node) != st->nodes[i - 1])
			fz_fail(st, "reverse",
				"rb_prev walk: #%zu is key %u, model %u", i - 1,
				fz_of(node)->key, st->keys[i - 1]);
	if (node || i != 0)
		fz_fail(st, "reverse", "rb_prev walk: %zu nodes short", i);

	if (st->root.rb_node && fz_of(st->root.rb_node)->subtree_max != max)
		fz_fail(st, "augment-root",
			"root subtree_max %u, largest size %u",
			fz_of(st->root.rb_node)->subtree_max, max);
}

/* Find K in both; they must agree (and on the node). */
static struct fz_node *fz_find(const struct fz_state *st, size_t *index)
{
	struct fz_node *found = tree_search(&st->root, st->key);
	size_t i = model_lower(st, st->key);
	bool in_model = i < st->n && st->keys[i] == st->key;

	if ((found != NULL) != in_model)
		fz_fail(st, "membership", "key %u: tree %s, model %s", st->key,
			found ? "has it" : "does not",
			in_model ? "has it" : "does not");
	if (found && found != st->nodes[i])
		fz_fail(st, "membership", "key %u: search found another node",
			st->key);
	*index = i;
	return found;
}

static void fz_insert(struct fz_state *st, bool pre)
{
	size_t i;
	struct fz_node *node;

	if (fz_find(st, &i))
		return; /* present: inserting again is the user's bug */
	node = malloc(sizeof(*node));
	if (!node)
		abort();
	node->key = st->key;
	node->size = st->arg;
	tree_insert(st, node, pre);
	model_insert(st, i, st->key, st->arg, node);
}

static void fz_erase_at(struct fz_state *st, struct fz_node *node, size_t i)
{
	uint32_t key = node->key;

	rb_erase_augmented(&node->rb, &st->root, &fz_augment);
	free(node);
	model_erase(st, i);
	if (tree_search(&st->root, key))
		fz_fail(st, "membership", "key %u still found after erase",
			key);
}

static void fz_erase_kth(struct fz_state *st)
{
	struct rb_node *node;
	size_t k, j;

	if (!st->n)
		return;
	k = st->key % st->n;
	if (k < st->n / 2)
		for (node = rb_first(&st->root), j = 0; node && j < k; j++)
			node = rb_next(node);
	else
		for (node = rb_last(&st->root), j = st->n - 1; node && j > k;
		     j--)
			node = rb_prev(node);
	if (!node || fz_of(node) != st->nodes[k])
		fz_fail(st, "kth", "walk to #%zu gives key %d, model %u", k,
			node ? (int)fz_of(node)->key : -1, st->keys[k]);
	st->target = st->keys[k];
	fz_erase_at(st, fz_of(node), k);
}

static void fz_lookup(const struct fz_state *st)
{
	size_t i = model_lower(st, st->key);
	struct fz_node *lower = tree_lower(&st->root, st->key);
	struct rb_node *next, *prev;

	if (i == st->n) {
		if (lower)
			fz_fail(st, "lower-bound",
				"tree gives key %u, model none", lower->key);
		return;
	}
	if (lower != st->nodes[i])
		fz_fail(st, "lower-bound", "tree gives key %d, model %u",
			lower ? (int)lower->key : -1, st->keys[i]);
	next = rb_next(&lower->rb);
	prev = rb_prev(&lower->rb);
	if (next != (i + 1 < st->n ? &st->nodes[i + 1]->rb : NULL))
		fz_fail(st, "neighbours", "rb_next of key %u is key %d",
			lower->key, next ? (int)fz_of(next)->key : -1);
	if (prev != (i > 0 ? &st->nodes[i - 1]->rb : NULL))
		fz_fail(st, "neighbours", "rb_prev of key %u is key %d",
			lower->key, prev ? (int)fz_of(prev)->key : -1);
}

static void fz_replace(struct fz_state *st)
{
	size_t i;
	struct fz_node *old = fz_find(st, &i), *new_;

	if (!old)
		return;
	new_ = malloc(sizeof(*new_));
	if (!new_)
		abort();
	*new_ = *old; /* same key, size and maximum: nothing to propagate */
	rb_replace_node(&old->rb, &new_->rb, &st->root);
	memset(old, 0xa5, sizeof(*old)); /* any stale use goes wild */
	free(old);
	st->nodes[i] = new_;
}

static void fz_lowest_fit(const struct fz_state *st)
{
	struct fz_node *fit = tree_lowest_fit(&st->root, st->arg);
	size_t i;

	for (i = 0; i < st->n && st->sizes[i] < st->arg; i++)
		;
	if (fit != (i < st->n ? st->nodes[i] : NULL))
		fz_fail(st, "lowest-fit", "size >= %u: tree gives key %d, "
			"model %d", st->arg, fit ? (int)fit->key : -1,
			i < st->n ? (int)st->keys[i] : -1);
}

static void fz_resize(struct fz_state *st)
{
	size_t i;
	struct fz_node *node = fz_find(st, &i);

	if (!node)
		return;
	node->size = st->arg;
	st->sizes[i] = st->arg;
	fz_augment.propagate(&node->rb, NULL);
}

/* ---- checker sensitivity ---- */

/* Each corruption breaks an invariant rb_check() documents
 * (include/vmfuzz/rbtree.h 1-6, the augmented value, the depth bound),
 * whatever the tree is; the kinds that would not (a red leaf dropped, a
 * colour that keeps every invariant) are avoided by construction. */
enum fz_corrupt {
	CZ_COLOUR_BAD,   /* colour neither red nor black */
	CZ_COLOUR_FLIP,  /* red <-> black: a black height or red-red */
	CZ_PARENT,       /* parent link: the node itself, or NULL */
	CZ_CHILD_SWAP,   /* left and right swapped: in-order broken */
	CZ_CHILD_NULL,   /* a child with black height >= 1 unlinked */
	CZ_CHILD_SAME,   /* both child links to the same node */
	CZ_CHILD_OTHER,  /* a child link to the root or the node's parent */
	CZ_AUGMENT,      /* subtree_max +- 1 */
	CZ_SIZE,         /* size above subtree_max, not propagated */
	CZ_KEY,          /* key = a neighbour's key */
	CZ_DEEP,         /* a chain of RB_CHECK_MAX_DEPTH black nodes under
			    the leftmost node */
	CZ_ROOT_LINK,    /* root pointer to a node that has a parent */
	FZ_NR_CORRUPT
};

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

static void fz_probe(struct fz_state *st, unsigned kind)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_state st;
	size_t nops = size / FZ_OP_BYTES, i;

	if (nops > FZ_MAX_OPS)
		nops = FZ_MAX_OPS;
	if (!nops)
		return 0;
	memset(&st, 0, sizeof(st));
	st.root = RB_ROOT;
	st.keys = malloc(nops * sizeof(st.keys[0]));
	st.sizes = malloc(nops * sizeof(st.sizes[0]));
	st.nodes = malloc(nops * sizeof(st.nodes[0]));
	if (!st.keys || !st.sizes || !st.nodes)
		abort();

	for (i = 0; i < nops; i++) {
		const uint8_t *op = &data[i * FZ_OP_BYTES];
		size_t at;

		st.op_index = i;
		st.opcode = op[0] & 7u;
		st.arg = op[0] >> 3;
		st.key = (unsigned)op[1] | (unsigned)op[2] << 8;
		st.target = -1;

		switch ((enum fz_opcode)st.opcode) {
		case FZ_INSERT:
			fz_insert(&st, true);
			break;
		case FZ_INSERT_POST:
			fz_insert(&st, false);
			break;
		case FZ_ERASE: {
			struct fz_node *node = fz_find(&st, &at);

			if (node)
				fz_erase_at(&st, node, at);
			break;
		}
		case FZ_ERASE_KTH:
			fz_erase_kth(&st);
			break;
		case FZ_LOOKUP:
			fz_find(&st, &at);
			fz_lookup(&st);
			if (st.arg)
				fz_probe(&st, (st.arg - 1) % FZ_NR_CORRUPT);
			break;
		case FZ_REPLACE:
			fz_replace(&st);
			break;
		case FZ_LOWEST_FIT:
			fz_lowest_fit(&st);
			break;
		case FZ_RESIZE:
			fz_resize(&st);
			break;
		}
		fz_verify(&st);
	}

	for (i = 0; i < st.n; i++)
		free(st.nodes[i]);
	free(st.nodes);
	free(st.sizes);
	free(st.keys);
	return 0;
}
