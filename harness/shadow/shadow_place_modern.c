/* The modern placement policy's exact predictor: Linux 6.1's free-space
 * tree (mm/vmalloc.c 6.1), written from the kernel's rules and
 * ../shared/notes/modern-vmalloc-facts.md over the shadow's own red-black
 * tree (sh_rbtree.c), so that the tree has the kernel's shape.
 *
 * Rules followed (6.1 function names):
 * - vmap_init_free_space: free space [1, ULONG_MAX) minus the busy areas
 *   at vmalloc_init, blocks inserted in address order (the init hook).
 * - preload_this_cpu_lock, once per try of alloc_vmap_area (the retry
 *   label is above it): an empty ne_fit_preload_node slot of this CPU
 *   costs one kmalloc-site call; a failure leaves it empty, silently.
 * - __alloc_vmap_area: the search length is size + align - 1 when
 *   align > PAGE_SIZE unless vend - vstart == size; find_vmap_lowest_match
 *   with its descent and backtrack (vstart moved to a parent's start + 1);
 *   is_within_this_va; the address ALIGN(max(block start, vstart));
 *   vend checked after the search; adjust_va_to_fit_type by
 *   classify_va_fit_type; a failure there fires WARN_ON_ONCE.
 * - NE: the split node is the preload (the slot empties); if empty, one
 *   GFP_NOWAIT kmalloc-site call; its failure fails the try.
 * - merge_or_add_vmap_area on release: merge with the next block, then
 *   with the previous one (unlinking the merged next first), else link.
 * The free blocks' own vmap_area objects are not kmalloc-site calls (the
 * contract of issue 13): only the two calls above are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"

#define SH_ULONG_MAX (~0ull)

static struct sh_vfree *vf(struct sh_rb_node *n)
{
	return (struct sh_vfree *)n; /* rb is the first member */
}

static uint64_t sub_max(const struct sh_rb_node *n)
{
	return n ? ((const struct sh_vfree *)n)->subtree_max : 0;
}

/* ---- the augmentation (RB_DECLARE_CALLBACKS_MAX over va_size) ---------- */

/* compute_max: true (and nothing written) when exit and unchanged. */
static bool compute_max(struct sh_vfree *v, bool exit)
{
	uint64_t max = v->end - v->start;

	if (sub_max(v->rb.left) > max)
		max = sub_max(v->rb.left);
	if (sub_max(v->rb.right) > max)
		max = sub_max(v->rb.right);
	if (exit && v->subtree_max == max)
		return true;
	v->subtree_max = max;
	return false;
}

static void aug_propagate(struct sh_rb_node *n, struct sh_rb_node *stop)
{
	while (n != stop) {
		if (compute_max(vf(n), true))
			break;
		n = n->parent;
	}
}

static void aug_copy(struct sh_rb_node *old, struct sh_rb_node *new_)
{
	vf(new_)->subtree_max = vf(old)->subtree_max;
}

static void aug_rotate(struct sh_rb_node *old, struct sh_rb_node *new_)
{
	vf(new_)->subtree_max = vf(old)->subtree_max;
	compute_max(vf(old), false);
}

static const struct sh_rb_augment *augment(void)
{
	/* Read-only data: no relocation is written at run time. */
	static const struct sh_rb_augment cb = {
		aug_propagate, aug_copy, aug_rotate,
	};
	return &cb;
}

/* ---- node pool ------------------------------------------------------------ */

static int pool_grow(struct sh_modern *M)
{
	struct sh_vfree *c;

	if (M->nr_chunks == M->cap_chunks) {
		size_t cap = M->cap_chunks ? 2 * M->cap_chunks : 16;
		struct sh_vfree **n = realloc(M->chunks, cap * sizeof(*n));

		if (!n)
			return -1;
		M->chunks = n;
		M->cap_chunks = cap;
	}
	c = calloc(SH_VFREE_CHUNK, sizeof(*c));
	if (!c)
		return -1;
	M->chunks[M->nr_chunks++] = c;
	for (size_t i = 0; i < SH_VFREE_CHUNK; i++) {
		c[i].next = M->spare;
		M->spare = &c[i];
	}
	return 0;
}

static struct sh_vfree *node_get(struct sh_modern *M)
{
	struct sh_vfree *v;

	if (!M->spare && pool_grow(M)) {
		M->broken = true;
		return NULL;
	}
	v = M->spare;
	M->spare = v->next;
	memset(v, 0, sizeof(*v));
	return v;
}

static void node_put(struct sh_modern *M, struct sh_vfree *v)
{
	v->next = M->spare;
	M->spare = v;
}

void sh_modern_destroy(struct sh_modern *M)
{
	for (size_t i = 0; i < M->nr_chunks; i++)
		free(M->chunks[i]);
	free(M->chunks);
	M->chunks = NULL;
	M->nr_chunks = M->cap_chunks = 0;
	M->spare = NULL;
}

/* ---- list and links ------------------------------------------------------- */

static void list_add_after(struct sh_vfree *v, struct sh_vfree *h)
{
	v->prev = h;
	v->next = h->next;
	h->next->prev = v;
	h->next = v;
}

static void list_del(struct sh_vfree *v)
{
	v->prev->next = v->next;
	v->next->prev = v->prev;
}

/* find_va_links from n (the root when n is NULL): the empty link for
 * [start, end) and its parent; NULL link on an overlap (the kernel's
 * "vmalloc bug" WARN: the model is broken). */
static struct sh_rb_node **find_links(struct sh_modern *M,
				      struct sh_rb_node *from, vaddr_t start,
				      vaddr_t end, struct sh_rb_node **parent)
{
	struct sh_rb_node **link, *n;

	*parent = NULL;
	if (!from) {
		if (!M->root.node)
			return &M->root.node;
		n = M->root.node;
	} else {
		n = from;
	}
	for (;;) {
		struct sh_vfree *t = vf(n);

		if (end <= t->start)
			link = &n->left;
		else if (start >= t->end)
			link = &n->right;
		else
			return NULL;
		if (!*link)
			break;
		n = *link;
	}
	*parent = n;
	return link;
}

/* __link_va with augment: list position from the parent and the side,
 * rb_insert_augmented, subtree_max zeroed for the propagation to fill. */
static void link_va(struct sh_modern *M, struct sh_vfree *v,
		    struct sh_rb_node *parent, struct sh_rb_node **link)
{
	struct sh_vfree *h = &M->head;

	if (parent) {
		h = vf(parent);
		if (&parent->right != link)
			h = h->prev;
	}
	sh_rb_link(&v->rb, parent, link);
	sh_rb_insert(&v->rb, &M->root, augment());
	v->subtree_max = 0;
	list_add_after(v, h);
	M->nr_free++;
}

static void unlink_va(struct sh_modern *M, struct sh_vfree *v)
{
	sh_rb_erase(&v->rb, &M->root, augment());
	list_del(v);
	M->nr_free--;
}

/* insert_vmap_area_augment(v, from, ...). */
static void insert_augment(struct sh_modern *M, struct sh_vfree *v,
			   struct sh_rb_node *from)
{
	struct sh_rb_node *parent, **link;

	link = find_links(M, from, v->start, v->end, &parent);
	if (!link) {
		M->broken = true;
		node_put(M, v);
		return;
	}
	link_va(M, v, parent, link);
	aug_propagate(&v->rb, NULL);
}

/* merge_or_add_vmap_area_augment for the range [start, end). */
static void merge_or_add(struct sh_modern *M, vaddr_t start, vaddr_t end)
{
	struct sh_rb_node *parent, **link;
	struct sh_vfree *next, *va = NULL;
	bool merged = false;

	link = find_links(M, NULL, start, end, &parent);
	if (!link) {
		M->broken = true;
		return;
	}
	if (parent) {
		/* get_va_next_sibling */
		next = &parent->right == link ? vf(parent)->next : vf(parent);
		if (next != &M->head && next->start == end) {
			next->start = start;
			va = next;
			merged = true;
		}
		if (next->prev != &M->head && next->prev->end == start) {
			struct sh_vfree *prev = next->prev;

			if (merged) {
				/* Unlink the merged next block first. */
				end = va->end;
				unlink_va(M, va);
				node_put(M, va);
			}
			prev->end = end;
			va = prev;
			merged = true;
		}
	}
	if (!merged) {
		va = node_get(M);
		if (!va)
			return;
		va->start = start;
		va->end = end;
		link_va(M, va, parent, link);
	}
	aug_propagate(&va->rb, NULL);
}

/* ---- the search ----------------------------------------------------------- */

static bool align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	*out = (x + (align - 1)) & ~(align - 1);
	return true; /* wraps are the caller's test, as in the kernel */
}

/* is_within_this_va. */
static bool within(const struct sh_vfree *v, uint64_t size, uint64_t align,
		   vaddr_t vstart)
{
	vaddr_t a;

	align_up(v->start > vstart ? v->start : vstart, align, &a);
	if (a + size < a || a < vstart)
		return false;
	return a + size <= v->end;
}

/* find_vmap_lowest_match. */
static struct sh_vfree *lowest_match(struct sh_modern *M, uint64_t size,
				     uint64_t align, vaddr_t vstart,
				     bool adjust)
{
	struct sh_rb_node *n = M->root.node;
	uint64_t length = adjust ? size + align - 1 : size;

	while (n) {
		struct sh_vfree *v = vf(n);

		if (sub_max(n->left) >= length && vstart < v->start) {
			n = n->left;
			continue;
		}
		if (within(v, size, align, vstart))
			return v;
		if (sub_max(n->right) >= length) {
			n = n->right;
			continue;
		}
		/* Back up to the first ancestor that fits itself or has a
		 * right subtree worth entering, past vstart. */
		while ((n = n->parent)) {
			v = vf(n);
			if (within(v, size, align, vstart))
				return v;
			if (sub_max(n->right) >= length && vstart <= v->start) {
				vstart = v->start + 1;
				n = n->right;
				break;
			}
		}
	}
	return NULL;
}

static enum sh_fit classify(const struct sh_vfree *v, vaddr_t a,
			    uint64_t size)
{
	if (a < v->start || a + size > v->end)
		return SH_FIT_NOTHING;
	if (v->start == a)
		return v->end == a + size ? SH_FIT_FL : SH_FIT_LE;
	if (v->end == a + size)
		return SH_FIT_RE;
	return SH_FIT_NE;
}

static unsigned this_cpu(const struct sh_modern *M)
{
	unsigned c = M->env.cpu(M->env.ctx);

	return c < VMF_MAX_CPUS ? c : 0;
}

/* adjust_va_to_fit_type: 0, or -1 (nothing fits / no split node). */
static int adjust_fit(struct sh_modern *M, struct sh_vfree *v, vaddr_t a,
		      uint64_t size)
{
	enum sh_fit type = classify(v, a, size);
	struct sh_vfree *lva = NULL;

	M->last_fit = type;
	switch (type) {
	case SH_FIT_FL:
		unlink_va(M, v);
		node_put(M, v);
		return 0;
	case SH_FIT_LE:
		v->start += size;
		break;
	case SH_FIT_RE:
		v->end = a;
		break;
	case SH_FIT_NE: {
		unsigned cpu = this_cpu(M);

		if (M->preload[cpu])
			M->preload[cpu] = false;
		else if (!M->env.km_call(M->env.ctx)) /* GFP_NOWAIT */
			return -1;
		lva = node_get(M);
		if (!lva)
			return -1;
		lva->start = v->start;
		lva->end = a;
		v->start = a + size;
		break;
	}
	default:
		return -1;
	}
	aug_propagate(&v->rb, NULL);
	if (lva)
		insert_augment(M, lva, &v->rb);
	return 0;
}

/* ---- the ops ------------------------------------------------------------- */

static void modern_reset(void *st)
{
	struct sh_modern *M = st;

	M->root.node = NULL;
	M->head.next = M->head.prev = &M->head;
	M->nr_free = 0;
	memset(M->preload, 0, sizeof(M->preload));
	M->warned = false;
	M->broken = false;
	M->last_fit = SH_FIT_NOTHING;
	/* Every node back to the pool; the pool is sized once so that no
	 * input grows it (SH_MAX_AREAS busy areas leave at most one more
	 * free block). */
	M->spare = NULL;
	while (M->nr_chunks * SH_VFREE_CHUNK < SH_MAX_AREAS + 64)
		if (pool_grow(M))
			break;
	M->spare = NULL;
	for (size_t i = 0; i < M->nr_chunks; i++)
		for (size_t k = 0; k < SH_VFREE_CHUNK; k++) {
			M->chunks[i][k].next = M->spare;
			M->spare = &M->chunks[i][k];
		}
}

/* vmap_init_free_space over the busy areas at vmalloc_init. */
static void modern_init(void *st, const struct sh_busy *b)
{
	struct sh_modern *M = st;
	vaddr_t vs = 1;

	for (size_t i = 0; i <= b->n; i++) {
		vaddr_t end = i < b->n ? b->a[i].start : SH_ULONG_MAX;
		struct sh_vfree *v;

		if (end > vs) {
			v = node_get(M);
			if (!v)
				return;
			v->start = vs;
			v->end = end;
			insert_augment(M, v, NULL);
		}
		if (i < b->n)
			vs = b->a[i].end;
	}
}

static int modern_attempt(void *st, const struct sh_busy *b, uint64_t size,
			  uint64_t align, vaddr_t vstart, vaddr_t vend,
			  vaddr_t *out)
{
	struct sh_modern *M = st;
	unsigned cpu = this_cpu(M);
	bool adjust = !(align <= M->page_size || vend - vstart == size);
	struct sh_vfree *v;
	vaddr_t a;

	(void)b;
	M->last_nomem = false;
	/* preload_this_cpu_lock */
	if (!M->preload[cpu] && M->env.km_call(M->env.ctx))
		M->preload[cpu] = true;
	v = lowest_match(M, size, align, vstart, adjust);
	if (!v)
		return -1;
	align_up(v->start > vstart ? v->start : vstart, align, &a);
	if (a + size > vend)
		return -1;
	if (adjust_fit(M, v, a, size)) {
		M->last_nomem = M->last_fit == SH_FIT_NE;
		if (!M->warned) {
			M->warned = true;
			M->env.warn_once(M->env.ctx);
		}
		return -1;
	}
	*out = a;
	return 0;
}

static void modern_inserted(void *st, const struct sh_busy *b, size_t idx)
{
	(void)st;
	(void)b;
	(void)idx;
}

static void modern_releasing(void *st, const struct sh_busy *b, size_t idx)
{
	merge_or_add(st, b->a[idx].start, b->a[idx].end);
}

uint64_t sh_modern_free_max(const struct sh_modern *M)
{
	return sub_max(M->root.node);
}

static int modern_compare(const void *st, const struct sh_counters *o,
			  char *why, size_t len)
{
	const struct sh_modern *M = st;

	if (M->broken) {
		snprintf(why, len,
			 "the shadow's free-space tree lost track (host "
			 "allocation failed or a range overlapped)");
		return -1;
	}
	if (o->free_nr != M->nr_free || o->free_max != sh_modern_free_max(M)) {
		snprintf(why, len,
			 "free space: expected %llu free vmap_areas, largest "
			 "0x%llx; library %llu, largest 0x%llx",
			 (unsigned long long)M->nr_free,
			 (unsigned long long)sh_modern_free_max(M),
			 (unsigned long long)o->free_nr,
			 (unsigned long long)o->free_max);
		return -1;
	}
	for (unsigned c = 0; c < VMF_MAX_CPUS; c++)
		if (o->ne_preload[c] != M->preload[c]) {
			snprintf(why, len,
				 "ne_fit_preload_node of cpu %u: expected %s, "
				 "library %s",
				 c, M->preload[c] ? "filled" : "empty",
				 o->ne_preload[c] ? "filled" : "empty");
			return -1;
		}
	return 0;
}

static void modern_describe(const void *st, char *buf, size_t len)
{
	const struct sh_modern *M = st;
	unsigned mask = 0;

	for (unsigned c = 0; c < VMF_MAX_CPUS; c++)
		if (M->preload[c])
			mask |= 1u << c;
	snprintf(buf, len,
		 "modern: %llu free blocks, largest 0x%llx, preloaded cpus "
		 "0x%x%s",
		 (unsigned long long)M->nr_free,
		 (unsigned long long)sh_modern_free_max(M), mask,
		 M->broken ? " (lost track)" : "");
}

void sh_place_modern_ops(struct sh_place_ops *ops)
{
	ops->name = "modern";
	ops->reset = modern_reset;
	ops->init = modern_init;
	ops->attempt = modern_attempt;
	ops->inserted = modern_inserted;
	ops->releasing = modern_releasing;
	ops->compare = modern_compare;
	ops->describe = modern_describe;
}

/* ---- self-check (tests) --------------------------------------------------- */

static int check_sub(const struct sh_rb_node *n, uint64_t *max, char *why,
		     size_t len)
{
	uint64_t l = 0, r = 0, m;
	const struct sh_vfree *v = (const struct sh_vfree *)n;

	if (!n) {
		*max = 0;
		return 0;
	}
	if (check_sub(n->left, &l, why, len) || check_sub(n->right, &r, why, len))
		return -1;
	m = v->end - v->start;
	if (l > m)
		m = l;
	if (r > m)
		m = r;
	if (m != v->subtree_max) {
		snprintf(why, len,
			 "block [0x%llx, 0x%llx): subtree_max 0x%llx, "
			 "recomputed 0x%llx",
			 (unsigned long long)v->start,
			 (unsigned long long)v->end,
			 (unsigned long long)v->subtree_max,
			 (unsigned long long)m);
		return -1;
	}
	*max = m;
	return 0;
}

int sh_modern_check(const struct sh_modern *M, char *why, size_t len)
{
	const struct sh_rb_node *n = sh_rb_first(&M->root);
	const struct sh_vfree *l = M->head.next;
	uint64_t max, count = 0;

	if (sh_rb_check(&M->root, why, len))
		return -1;
	/* In-order tree = list, sorted, disjoint, never touching. */
	for (; n; n = sh_rb_next(n), l = l->next, count++) {
		const struct sh_vfree *v = (const struct sh_vfree *)n;

		if (l != v) {
			snprintf(why, len, "the list and the tree disagree");
			return -1;
		}
		if (v->start >= v->end ||
		    (v->prev != &M->head && v->prev->end >= v->start)) {
			snprintf(why, len,
				 "free blocks out of order, empty or touching "
				 "at 0x%llx",
				 (unsigned long long)v->start);
			return -1;
		}
	}
	if (l != &M->head || count != M->nr_free) {
		snprintf(why, len, "%llu blocks counted, nr_free %llu",
			 (unsigned long long)count,
			 (unsigned long long)M->nr_free);
		return -1;
	}
	return check_sub(M->root.node, &max, why, len);
}
