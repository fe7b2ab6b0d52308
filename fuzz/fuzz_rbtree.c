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
 *	4 LOOKUP      search K; lower bound of K and its next/prev
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
