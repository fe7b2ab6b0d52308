/* fuzz_rbtree's operations, each run on the tree (through its own
 * search, insert and lowest-fit walks and the augmented callbacks) and on
 * the model, and the results compared. */
#include <stdlib.h>
#include <string.h>

#include "rbtree_fuzz.h"

static uint32_t fz_size(const struct fz_node *n)
{
	return n->size;
}

RB_DECLARE_CALLBACKS_MAX(static, fz_augment, struct fz_node, rb, uint32_t,
			 subtree_max, fz_size);

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

struct fz_node *fz_find(const struct fz_state *st, size_t *index)
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

void fz_insert(struct fz_state *st, bool pre)
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

void fz_erase_at(struct fz_state *st, struct fz_node *node, size_t i)
{
	uint32_t key = node->key;

	rb_erase_augmented(&node->rb, &st->root, &fz_augment);
	free(node);
	model_erase(st, i);
	if (tree_search(&st->root, key))
		fz_fail(st, "membership", "key %u still found after erase",
			key);
}

void fz_erase_kth(struct fz_state *st)
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

void fz_lookup(const struct fz_state *st)
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

void fz_replace(struct fz_state *st)
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

void fz_lowest_fit(const struct fz_state *st)
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

void fz_resize(struct fz_state *st)
{
	size_t i;
	struct fz_node *node = fz_find(st, &i);

	if (!node)
		return;
	node->size = st->arg;
	st->sizes[i] = st->arg;
	fz_augment.propagate(&node->rb, NULL);
}
