/* Tests for lib/kernel/rbtree.c: every operation is checked against a sorted
 * array model (contents, order, first/last/next/prev, rb_check), the
 * augmented tree against a recomputation from scratch, and the checker
 * against trees corrupted on purpose. Deterministic: fixed seeds. */
#include "test.h"

#include <stdbool.h>
#include <stdint.h>

#include <vmfuzz/rbtree.h>

/* ---- test items, model, PRNG ---- */

struct item {
	struct rb_node rb;
	uint32_t key;
	uint64_t size;        /* augmented: the node's own value */
	uint64_t subtree_max; /* max of size over the subtree */
};

static struct item *item_of(const struct rb_node *node)
{
	return rb_entry(node, struct item, rb);
}

static int item_cmp(const struct rb_node *a, const struct rb_node *b)
{
	uint32_t ka = item_of(a)->key, kb = item_of(b)->key;

	return ka < kb ? -1 : ka > kb;
}

static uint64_t item_size(const struct item *it)
{
	return it->size;
}

RB_DECLARE_CALLBACKS_MAX(static, item_augment, struct item, rb, uint64_t,
			 subtree_max, item_size);

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(splitmix64(state) % n);
}

/* Sorted array of the keys that should be in the tree, with their sizes. */
struct model {
	uint32_t *keys;
	uint64_t *sizes;
	size_t n;
};

static struct model model_new(size_t cap)
{
	struct model m = {calloc(cap ? cap : 1, sizeof(uint32_t)),
			  calloc(cap ? cap : 1, sizeof(uint64_t)), 0};

	if (!m.keys || !m.sizes)
		abort();
	return m;
}

static void model_free(struct model *m)
{
	free(m->keys);
	free(m->sizes);
}

/* Index of the first key >= key. */
static size_t model_lower(const struct model *m, uint32_t key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_has(const struct model *m, uint32_t key)
{
	size_t i = model_lower(m, key);

	return i < m->n && m->keys[i] == key;
}

static void model_insert(struct model *m, uint32_t key, uint64_t size)
{
	size_t i = model_lower(m, key);

	memmove(&m->keys[i + 1], &m->keys[i], (m->n - i) * sizeof(m->keys[0]));
	memmove(&m->sizes[i + 1], &m->sizes[i],
		(m->n - i) * sizeof(m->sizes[0]));
	m->keys[i] = key;
	m->sizes[i] = size;
	m->n++;
}

static void model_erase(struct model *m, uint32_t key)
{
	size_t i = model_lower(m, key);

	memmove(&m->keys[i], &m->keys[i + 1],
		(m->n - i - 1) * sizeof(m->keys[0]));
	memmove(&m->sizes[i], &m->sizes[i + 1],
		(m->n - i - 1) * sizeof(m->sizes[0]));
	m->n--;
}

/* ---- tree operations as a user writes them ---- */

static struct item *tree_search(const struct rb_root *root, uint32_t key)
{
	struct rb_node *node = root->rb_node;

	while (node) {
		struct item *it = item_of(node);

		if (key < it->key)
			node = node->left;
		else if (key > it->key)
			node = node->right;
		else
			return it;
	}
	return NULL;
}

/* Plain insert; false (and nothing linked) if the key is there. */
static bool tree_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct item *cur = item_of(*link);

		parent = *link;
		if (it->key < cur->key)
			link = &parent->left;
		else if (it->key > cur->key)
			link = &parent->right;
		else
			return false;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
	return true;
}

/* Augmented insert, the way the caller is meant to: either raise the
 * maxima on the way down before rb_insert_augmented() (pre = true), or
 * insert with a value that counts for nothing and propagate afterwards
 * (what Linux's free vmap area tree does). */
static bool tree_insert_aug(struct rb_root *root, struct item *it, bool pre)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	/* Find the place first so nothing changes for a duplicate. */
	while (*link) {
		struct item *cur = item_of(*link);

		parent = *link;
		if (it->key < cur->key)
			link = &parent->left;
		else if (it->key > cur->key)
			link = &parent->right;
		else
			return false;
	}
	if (pre) {
		struct rb_node *n;

		for (n = parent; n; n = n->parent)
			if (item_of(n)->subtree_max < it->size)
				item_of(n)->subtree_max = it->size;
		it->subtree_max = it->size;
	} else {
		it->subtree_max = 0;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_augmented(&it->rb, root, &item_augment);
	if (!pre)
		item_augment.propagate(&it->rb, NULL);
	return true;
}

/* The lowest key whose size is >= want, using the subtree maxima like
 * Linux's find_vmap_lowest_match(): O(log n). */
static struct item *tree_lowest_fit(const struct rb_root *root, uint64_t want)
{
	struct rb_node *node = root->rb_node;

	while (node) {
		struct rb_node *l = node->left;

		if (l && item_of(l)->subtree_max >= want)
			node = l;
		else if (item_of(node)->size >= want)
			return item_of(node);
		else if (node->right &&
			 item_of(node->right)->subtree_max >= want)
			node = node->right;
		else
			return NULL;
	}
	return NULL;
}

static bool augment_ok(const struct rb_node *node)
{
	struct item *it = item_of(node);
	uint64_t max = it->size;

	if (node->left && item_of(node->left)->subtree_max > max)
		max = item_of(node->left)->subtree_max;
	if (node->right && item_of(node->right)->subtree_max > max)
		max = item_of(node->right)->subtree_max;
	return it->subtree_max == max;
}

/* Recompute the maximum from scratch (not trusting any stored value) and
 * count mismatches. Recursion depth is the tree height, which rb_check()
 * has bounded before this runs. */
static uint64_t recompute_max(const struct rb_node *node, unsigned *bad)
{
	uint64_t max, sub;

	if (!node)
		return 0;
	max = item_of(node)->size;
	sub = recompute_max(node->left, bad);
	if (sub > max)
		max = sub;
	sub = recompute_max(node->right, bad);
	if (sub > max)
		max = sub;
	if (item_of(node)->subtree_max != max)
		(*bad)++;
	return max;
}

static unsigned tree_height(const struct rb_node *node)
{
	unsigned l, r;

	if (!node)
		return 0;
	l = tree_height(node->left);
	r = tree_height(node->right);
	return 1 + (l > r ? l : r);
}

/* Compare the whole tree with the model; false (after CHECK failures) on
 * any difference, so callers can stop at the first one. */
static bool verify(const struct rb_root *root, const struct model *m,
		   bool augmented)
{
	int before = test_ctx_.failed_checks;
	char why[256];
	struct rb_node *node;
	size_t i;

	if (rb_check(root, item_cmp, why, sizeof(why))) {
		fprintf(stderr, "rb_check: %s\n", why);
		CHECK(!"rb_check failed");
		return false;
	}
	CHECK_EQ(RB_EMPTY_ROOT(root), m->n == 0);

	/* Forwards with rb_first/rb_next. */
	for (node = rb_first(root), i = 0; node && i < m->n;
	     node = rb_next(node), i++) {
		if (item_of(node)->key != m->keys[i]) {
			CHECK_EQ(item_of(node)->key, m->keys[i]);
			return false;
		}
	}
	CHECK(node == NULL);
	CHECK_EQ(i, m->n);

	/* Backwards with rb_last/rb_prev. */
	for (node = rb_last(root), i = m->n; node && i > 0;
	     node = rb_prev(node), i--) {
		if (item_of(node)->key != m->keys[i - 1]) {
			CHECK_EQ(item_of(node)->key, m->keys[i - 1]);
			return false;
		}
	}
	CHECK(node == NULL);
	CHECK_EQ(i, 0);

	if (augmented) {
		unsigned bad = 0;
		uint64_t want = 0;

		if (rb_check_augmented(root, item_cmp, augment_ok, why,
				       sizeof(why))) {
			fprintf(stderr, "rb_check_augmented: %s\n", why);
			CHECK(!"rb_check_augmented failed");
		}
		recompute_max(root->rb_node, &bad);
		CHECK_EQ(bad, 0);
		for (i = 0; i < m->n; i++)
			if (m->sizes[i] > want)
				want = m->sizes[i];
		if (root->rb_node)
			CHECK_EQ(item_of(root->rb_node)->subtree_max, want);
	}
	return test_ctx_.failed_checks == before;
}

/* ---- tests ---- */

static void test_empty(void)
{
	struct rb_root root = RB_ROOT;
	struct item a = {.key = 1};
	char why[64] = "untouched";

	CHECK(RB_EMPTY_ROOT(&root));
	CHECK(rb_first(&root) == NULL);
	CHECK(rb_last(&root) == NULL);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);
	CHECK_EQ(rb_check(&root, NULL, NULL, 0), 0);

	/* One node: it is first, last, black, and has no neighbours. */
	CHECK(tree_insert(&root, &a));
	CHECK(!RB_EMPTY_ROOT(&root));
	CHECK(rb_first(&root) == &a.rb);
	CHECK(rb_last(&root) == &a.rb);
	CHECK(rb_next(&a.rb) == NULL);
	CHECK(rb_prev(&a.rb) == NULL);
	CHECK_EQ(a.rb.colour, RB_BLACK);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);

	/* Erased and cleared: an empty node has no neighbours either. */
	rb_erase(&a.rb, &root);
	CHECK(RB_EMPTY_ROOT(&root));
	RB_CLEAR_NODE(&a.rb);
	CHECK(RB_EMPTY_NODE(&a.rb));
	CHECK(rb_next(&a.rb) == NULL);
	CHECK(rb_prev(&a.rb) == NULL);
}

/* Preorder text of shape, keys and colours, e.g. "3b(1r(..)5r(..))". */
static void shape_of(const struct rb_node *node, char *out, size_t *len)
{
	if (!node) {
		out[(*len)++] = '.';
		return;
	}
	out[(*len)++] = (char)('0' + item_of(node)->key);
	out[(*len)++] = node->colour == RB_RED ? 'r' : 'b';
	out[(*len)++] = '(';
	shape_of(node->left, out, len);
	shape_of(node->right, out, len);
	out[(*len)++] = ')';
}

/* Lexicographic next permutation; false after the last one. */
static bool next_perm(uint32_t *a, size_t n)
{
	size_t i, j;

	if (n < 2)
		return false;
	i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	uint32_t t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	return true;
}

#define EXH_MAX 7
#define EXH_SHAPES 512

/* Build a tree of keys 0..n-1 inserted in @order, checking every step. */
static bool build(struct rb_root *root, struct item *items, struct model *m,
		  const uint32_t *order, size_t n, bool augmented)
{
	*root = RB_ROOT;
	m->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[order[i]];

		it->key = order[i];
		it->size = (order[i] * 5u + 3u) % 7u; /* repeats, varies */
		if (augmented)
			CHECK(tree_insert_aug(root, it, i % 2 == 0));
		else
			CHECK(tree_insert(root, it));
		model_insert(m, it->key, it->size);
		if (!verify(root, m, augmented))
			return false;
	}
	return true;
}

/* Every insertion order of 1..7 keys; then, for every distinct tree those
 * orders produce (shape and colours), every erase order, plain and
 * augmented. That is every tree reachable by inserts alone and every
 * erase path out of it, each step checked against the model. */
static void test_exhaustive_small(void)
{
	struct item items[EXH_MAX];
	struct model m = model_new(EXH_MAX);
	char shapes[EXH_SHAPES][5 * EXH_MAX + 2];
	uint32_t shape_order[EXH_SHAPES][EXH_MAX];
	size_t n, total_shapes = 0;
	struct rb_root root;

	for (n = 1; n <= EXH_MAX; n++) {
		uint32_t order[EXH_MAX], erase[EXH_MAX];
		size_t nshapes = 0, s, i;

		for (i = 0; i < n; i++)
			order[i] = (uint32_t)i;
		do {
			char sh[5 * EXH_MAX + 2];
			size_t len = 0;

			if (!build(&root, items, &m, order, n, false))
				goto out;
			shape_of(root.rb_node, sh, &len);
			sh[len] = '\0';
			for (s = 0; s < nshapes; s++)
				if (!strcmp(shapes[s], sh))
					break;
			if (s == nshapes) {
				CHECK(nshapes < EXH_SHAPES);
				if (nshapes == EXH_SHAPES)
					goto out;
				memcpy(shapes[nshapes], sh, len + 1);
				memcpy(shape_order[nshapes], order,
				       sizeof(order));
				nshapes++;
			}
		} while (next_perm(order, n));
		total_shapes += nshapes;

		for (s = 0; s < nshapes; s++) {
			for (int aug = 0; aug < 2; aug++) {
				struct item saved[EXH_MAX];
				struct rb_root saved_root;

				/* Build once; restoring the nodes' bytes
				 * restores the tree (all links are inside). */
				if (!build(&root, items, &m, shape_order[s], n,
					   aug))
					goto out;
				memcpy(saved, items, sizeof(saved));
				saved_root = root;
				for (i = 0; i < n; i++)
					erase[i] = (uint32_t)i;
				do {
					memcpy(items, saved, sizeof(saved));
					root = saved_root;
					m.n = n; /* keys 0..n-1 at items[key] */
					for (i = 0; i < n; i++) {
						m.keys[i] = items[i].key;
						m.sizes[i] = items[i].size;
					}
					for (i = 0; i < n; i++) {
						struct item *it =
							&items[erase[i]];

						if (aug)
							rb_erase_augmented(
								&it->rb, &root,
								&item_augment);
						else
							rb_erase(&it->rb,
								 &root);
						model_erase(&m, erase[i]);
						if (!verify(&root, &m, aug)) {
							fprintf(stderr,
								"shape %s, "
								"erase step "
								"%zu\n",
								shapes[s], i);
							goto out;
						}
					}
					CHECK(RB_EMPTY_ROOT(&root));
				} while (next_perm(erase, n));
			}
		}
	}
	/* Bottom-up insertion gives 1, 2, 1, 4, 6, 12, 29 distinct trees
	 * for n = 1..7 (55 in all); far fewer would mean the test is not
	 * exploring what it claims to. */
	CHECK(total_shapes >= 50);
out:
	model_free(&m);
}

struct random_cfg {
	uint64_t seed;
	uint32_t keyspace;
	unsigned ops;
	bool augmented;
};

/* Random operation sequences: inserts (also of present keys), erases
 * (also of absent keys), erase of the k-th node found by walking,
 * rb_replace_node, and lookups; the tree grows for a while, then shrinks,
 * then grows again, so sizes cover the whole range. */
static void run_random(const struct random_cfg *cfg)
{
	uint64_t rng = cfg->seed;
	struct item *pool = calloc(2 * (size_t)cfg->keyspace, sizeof(*pool));
	struct item **slot = calloc(cfg->keyspace, sizeof(*slot));
	struct model m = model_new(cfg->keyspace);
	struct rb_root root = RB_ROOT;
	unsigned op, counts[5] = {0};
	size_t max_n = 0;

	if (!pool || !slot)
		abort();
	for (uint32_t k = 0; k < cfg->keyspace; k++)
		slot[k] = &pool[2 * (size_t)k];

	for (op = 0; op < cfg->ops; op++) {
		/* Percentages of insert, erase by key, erase k-th, replace;
		 * the rest are lookups. Phases: grow, shrink, grow, shrink. */
		static const unsigned mix[2][4] = {{60, 15, 10, 5},
						   {20, 30, 25, 5}};
		const unsigned *pct = mix[(op * 4 / cfg->ops) % 2];
		uint32_t r = rand_below(&rng, 100);
		uint32_t key = rand_below(&rng, cfg->keyspace);
		struct item *it = slot[key], *found;
		int kind;

		for (kind = 0; kind < 4 && r >= pct[kind]; kind++)
			r -= pct[kind];
		counts[kind]++;

		found = tree_search(&root, key);
		CHECK_EQ(found != NULL, model_has(&m, key));
		if (found)
			CHECK(found == it);

		switch (kind) {
		case 0:
			if (!found) {
				it->key = key;
				it->size = rand_below(&rng, 1000);
				if (cfg->augmented)
					CHECK(tree_insert_aug(&root, it,
							      op % 2));
				else
					CHECK(tree_insert(&root, it));
				model_insert(&m, key, it->size);
			} else {
				struct item dup = {.key = key};

				/* The helper must refuse, the tree not move. */
				if (cfg->augmented)
					CHECK(!tree_insert_aug(&root, &dup,
							       true));
				else
					CHECK(!tree_insert(&root, &dup));
			}
			break;
		case 2:
			if (m.n) {
				/* Walk to the k-th from whichever end is
				 * nearer: exercises rb_next and rb_prev. */
				size_t k = rand_below(&rng, (uint32_t)m.n), j;
				struct rb_node *node;

				if (k < m.n / 2)
					for (node = rb_first(&root), j = 0;
					     j < k; j++)
						node = rb_next(node);
				else
					for (node = rb_last(&root),
					    j = m.n - 1;
					     j > k; j--)
						node = rb_prev(node);
				found = item_of(node);
				key = found->key;
				CHECK_EQ(key, m.keys[k]);
			}
			/* fall through */
		case 1:
			if (found) {
				if (cfg->augmented)
					rb_erase_augmented(&found->rb, &root,
							   &item_augment);
				else
					rb_erase(&found->rb, &root);
				RB_CLEAR_NODE(&found->rb);
				model_erase(&m, key);
			}
			break;
		case 3:
			if (found) {
				/* Swap in the key's other pool item. */
				struct item *other =
					found == &pool[2 * (size_t)key] ?
						found + 1 :
						found - 1;

				*other = *found;
				rb_replace_node(&found->rb, &other->rb, &root);
				RB_CLEAR_NODE(&found->rb);
				slot[key] = other;
				CHECK(tree_search(&root, key) == other);
			}
			break;
		default:
			break;
		}
		if (m.n > max_n)
			max_n = m.n;
		if (!verify(&root, &m, cfg->augmented)) {
			fprintf(stderr, "seed %" PRIu64 " op %u kind %d key %u\n",
				cfg->seed, op, kind, key);
			break;
		}
		if (cfg->augmented && op % 8 == 0) {
			/* The maxima answer queries: lowest fit vs a scan. */
			uint64_t want = rand_below(&rng, 1100);
			struct item *fit = tree_lowest_fit(&root, want);
			size_t i;

			for (i = 0; i < m.n && m.sizes[i] < want; i++)
				;
			if (i == m.n)
				CHECK(fit == NULL);
			else
				CHECK(fit && fit->key == m.keys[i]);
		}
	}
	/* Every kind of operation ran, and the tree really filled up. */
	for (int k = 0; k < 5; k++)
		CHECK(counts[k] > cfg->ops / 50);
	CHECK(max_n > cfg->keyspace / 2);
	model_free(&m);
	free(slot);
	free(pool);
}

static void test_random_dense(void)
{
	/* Few keys: constant churn in a small tree, many duplicates. */
	const struct random_cfg cfg = {0x5eed0001, 64, 30000, false};

	run_random(&cfg);
}

static void test_random_large(void)
{
	const struct random_cfg cfg = {0x5eed0002, 1024, 20000, false};

	run_random(&cfg);
}

static void test_augmented_dense(void)
{
	const struct random_cfg cfg = {0x5eed0003, 64, 30000, true};

	run_random(&cfg);
}

static void test_augmented_large(void)
{
	const struct random_cfg cfg = {0x5eed0004, 1024, 20000, true};

	run_random(&cfg);
}

/* Sorted inserts are the classic worst case for an unbalanced tree: the
 * height must stay within 2 * log2(n + 1), on the way up and down. */
static void test_sequential_height(void)
{
	enum { N = 65535 }; /* 2^16 - 1: the bound is exactly 32 */
	struct item *items = calloc(N, sizeof(*items));
	struct rb_root root = RB_ROOT;
	char why[256];
	unsigned i;

	if (!items)
		abort();
	for (i = 0; i < N; i++) {
		items[i].key = i;
		CHECK(tree_insert(&root, &items[i]));
	}
	CHECK(tree_height(root.rb_node) <= 32);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);
	/* Erase every other key, then the rest from the top down. */
	for (i = 0; i < N; i += 2)
		rb_erase(&items[i].rb, &root);
	CHECK(tree_height(root.rb_node) <= 2 * 15 + 2);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);
	for (i = N - 2;; i -= 2) {
		rb_erase(&items[i].rb, &root);
		if (i % 4096 == 1)
			CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)),
				 0);
		if (i == 1)
			break;
	}
	CHECK(RB_EMPTY_ROOT(&root));
	free(items);
}

/* ---- the checker must be able to fail ---- */

/* Link a hand-made node: parent/children/colour set directly. */
static void hang(struct item *it, uint32_t key, int colour,
		 struct item *parent, struct item *l, struct item *r)
{
	it->key = key;
	it->rb.colour = colour;
	it->rb.parent = parent ? &parent->rb : NULL;
	it->rb.left = l ? &l->rb : NULL;
	it->rb.right = r ? &r->rb : NULL;
}

/* rb_check must fail and say @what. */
static void expect_bad(const struct rb_root *root, const char *what)
{
	char why[256] = "";

	CHECK_EQ(rb_check(root, item_cmp, why, sizeof(why)), -1);
	if (!strstr(why, what)) {
		fprintf(stderr, "expected \"%s\" in: %s\n", what, why);
		CHECK(!"wrong reason");
	}
}

static void test_check_handmade(void)
{
	struct item a, b, c, d;
	struct rb_root root = {&b.rb};
	char why[256];
	char tiny[8];

	/* Valid: 1r <- 2b -> 3r. */
	hang(&b, 2, RB_BLACK, NULL, &a, &c);
	hang(&a, 1, RB_RED, &b, NULL, NULL);
	hang(&c, 3, RB_RED, &b, NULL, NULL);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);

	/* Red root. */
	b.rb.colour = RB_RED;
	expect_bad(&root, "root is not black");
	b.rb.colour = RB_BLACK;

	/* Root with a parent. */
	b.rb.parent = &d.rb;
	expect_bad(&root, "root has a parent");
	b.rb.parent = NULL;

	/* Colour neither red nor black. */
	c.rb.colour = 7;
	expect_bad(&root, "bad colour 7 at node R");
	c.rb.colour = RB_RED;

	/* Red-red without a black height change: 0r under 1r under 2b. */
	hang(&d, 0, RB_RED, &a, NULL, NULL);
	a.rb.left = &d.rb;
	expect_bad(&root, "red-red: red node LL has a red parent");
	/* Same tree, no cmp, no buffer: still fails, writes nothing. */
	CHECK_EQ(rb_check(&root, NULL, NULL, 0), -1);
	/* A small buffer is truncated and terminated. */
	memset(tiny, 'x', sizeof(tiny));
	CHECK_EQ(rb_check(&root, item_cmp, tiny, sizeof(tiny)), -1);
	CHECK(memchr(tiny, '\0', sizeof(tiny)) == &tiny[sizeof(tiny) - 1]);

	/* Black height: make the red 0 black: path 2-1-0 has two blacks. */
	d.rb.colour = RB_BLACK;
	expect_bad(&root, "black height");
	/* Colours right again if 1 is black too... and 3 black: valid. */
	a.rb.colour = RB_BLACK;
	c.rb.colour = RB_BLACK;
	d.rb.colour = RB_RED;
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);
	/* ...but not with 3 missing: 2's right NULL sees one black. */
	b.rb.right = NULL;
	expect_bad(&root, "black height: the right NULL child of node root");
	b.rb.right = &c.rb;

	/* Wrong parent link. */
	c.rb.parent = &a.rb;
	expect_bad(&root, "parent link: the right child of node root");
	c.rb.parent = &b.rb;

	/* Keys out of order (3 left of 2), and equal keys. */
	a.key = 3;
	expect_bad(&root, "order: node root (in-order #2)");
	/* Without cmp the order is not checked. */
	CHECK_EQ(rb_check(&root, NULL, why, sizeof(why)), 0);
	a.key = 2;
	expect_bad(&root, "order");
	a.key = 1;

	/* Shared child. */
	a.rb.right = &d.rb;
	expect_bad(&root, "same node as left and right");
	a.rb.right = NULL;

	/* Cycles: a child link back up to the root or to itself. */
	d.rb.left = &b.rb;
	expect_bad(&root, "parent link: the left child of node LL");
	d.rb.left = &d.rb;
	expect_bad(&root, "parent link");
	d.rb.left = NULL;
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);
}

/* A consistent chain deeper than any balanced tree: the depth limit stops
 * the walk before it reaches a leaf (so before black heights). */
static void test_check_depth_limit(void)
{
	enum { N = 200 };
	struct item *items = calloc(N, sizeof(*items));
	struct rb_root root;

	if (!items)
		abort();
	for (unsigned i = 0; i < N; i++)
		hang(&items[i], N - i, RB_BLACK, i ? &items[i - 1] : NULL,
		     i + 1 < N ? &items[i + 1] : NULL, NULL);
	root.rb_node = &items[0].rb;
	expect_bad(&root, "deeper than 128");
	free(items);
}

/* On a real 300-node tree: flipping any one colour, or swapping any two
 * keys, or pointing any node's parent elsewhere must be caught; each
 * undo must check clean again. */
static void test_check_every_corruption(void)
{
	enum { N = 300 };
	struct item *items = calloc(N, sizeof(*items));
	struct rb_node **nodes = calloc(N, sizeof(*nodes));
	struct rb_root root = RB_ROOT;
	uint64_t rng = 0xc0ffee;
	char why[256];
	size_t i, n = 0;
	struct rb_node *node;
	unsigned caught = 0, tries = 0;

	if (!items || !nodes)
		abort();
	for (i = 0; i < N; i++) {
		items[i].key = rand_below(&rng, 100000);
		tree_insert(&root, &items[i]); /* duplicates just skipped */
	}
	for (node = rb_first(&root); node; node = rb_next(node))
		nodes[n++] = node;
	CHECK(n > N - 10);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);

	for (i = 0; i < n; i++) {
		/* Any single flip breaks 2, 3 or 4: a red node is never the
		 * root and has a sibling side that does not change. */
		nodes[i]->colour ^= 1;
		tries++;
		caught += rb_check(&root, item_cmp, why, sizeof(why)) == -1;
		nodes[i]->colour ^= 1;

		/* Swapping two distinct keys always breaks the order. */
		size_t j = rand_below(&rng, (uint32_t)n);
		if (j != i) {
			uint32_t t = item_of(nodes[i])->key;

			item_of(nodes[i])->key = item_of(nodes[j])->key;
			item_of(nodes[j])->key = t;
			tries++;
			caught += rb_check(&root, item_cmp, why,
					   sizeof(why)) == -1 &&
				  strstr(why, "order") != NULL;
			item_of(nodes[j])->key = item_of(nodes[i])->key;
			item_of(nodes[i])->key = t;
		}

		/* Parent pointing at another node (or NULL). */
		struct rb_node *saved = nodes[i]->parent;
		nodes[i]->parent = nodes[i]->parent ? NULL : nodes[j];
		if (nodes[i]->parent != saved) {
			tries++;
			caught += rb_check(&root, item_cmp, why,
					   sizeof(why)) == -1;
		}
		nodes[i]->parent = saved;
	}
	CHECK_EQ(caught, tries);
	CHECK_EQ(rb_check(&root, item_cmp, why, sizeof(why)), 0);
	free(nodes);
	free(items);
}

/* rb_check_augmented must catch one wrong maximum anywhere. */
static void test_check_augmented_detects(void)
{
	enum { N = 100 };
	struct item items[N];
	struct rb_root root = RB_ROOT;
	uint64_t rng = 42;
	char why[256];
	struct rb_node *node;
	unsigned caught = 0, tries = 0;

	memset(items, 0, sizeof(items));
	for (unsigned i = 0; i < N; i++) {
		items[i].key = i * 3;
		items[i].size = rand_below(&rng, 50);
		CHECK(tree_insert_aug(&root, &items[i], i % 2));
	}
	CHECK_EQ(rb_check_augmented(&root, item_cmp, augment_ok, why,
				    sizeof(why)),
		 0);
	for (node = rb_first(&root); node; node = rb_next(node)) {
		item_of(node)->subtree_max++;
		tries++;
		caught += rb_check_augmented(&root, item_cmp, augment_ok, why,
					     sizeof(why)) == -1 &&
			  strstr(why, "augmented value wrong") != NULL;
		item_of(node)->subtree_max--;
	}
	CHECK_EQ(caught, tries);
	CHECK_EQ(tries, N);
	/* A structural fault is still reported as such. */
	root.rb_node->colour = RB_RED;
	CHECK_EQ(rb_check_augmented(&root, item_cmp, augment_ok, why,
				    sizeof(why)),
		 -1);
	CHECK(strstr(why, "root is not black") != NULL);
}

TEST_MAIN(TEST(test_empty), TEST(test_exhaustive_small),
	  TEST(test_random_dense), TEST(test_random_large),
	  TEST(test_augmented_dense), TEST(test_augmented_large),
	  TEST(test_sequential_height), TEST(test_check_handmade),
	  TEST(test_check_depth_limit), TEST(test_check_every_corruption),
	  TEST(test_check_augmented_detects))
