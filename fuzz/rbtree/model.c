/* fuzz_rbtree's sorted-array model (keys ascending, with their sizes and
 * nodes), the report of a disagreement (fz_fail()), and the comparison of
 * the whole tree with the model after every operation (fz_verify()). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbtree_fuzz.h"

static const char *const fz_opname[8] = {
	"INSERT", "INSERT_POST", "ERASE",      "ERASE_KTH",
	"LOOKUP", "REPLACE",     "LOWEST_FIT", "RESIZE",
};

size_t model_lower(const struct fz_state *st, uint32_t key)
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

void model_insert(struct fz_state *st, size_t i, uint32_t key,
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

void model_erase(struct fz_state *st, size_t i)
{
	size_t tail = st->n - i - 1;

	memmove(&st->keys[i], &st->keys[i + 1], tail * sizeof(st->keys[0]));
	memmove(&st->sizes[i], &st->sizes[i + 1], tail * sizeof(st->sizes[0]));
	memmove(&st->nodes[i], &st->nodes[i + 1], tail * sizeof(st->nodes[0]));
	st->n--;
}

/* Print what is known and die with a signature the triage tools group by. */
void fz_fail(const struct fz_state *st, const char *check, const char *fmt, ...)
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

int fz_cmp(const struct rb_node *a, const struct rb_node *b)
{
	uint32_t ka = fz_of(a)->key, kb = fz_of(b)->key;

	return ka < kb ? -1 : ka > kb;
}

bool fz_augment_ok(const struct rb_node *node)
{
	uint32_t max = fz_of(node)->size;

	if (node->left && fz_of(node->left)->subtree_max > max)
		max = fz_of(node->left)->subtree_max;
	if (node->right && fz_of(node->right)->subtree_max > max)
		max = fz_of(node->right)->subtree_max;
	return fz_of(node)->subtree_max == max;
}

/* The whole tree against the model. */
void fz_verify(const struct fz_state *st)
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
