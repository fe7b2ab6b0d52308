/* The shadow's modern placement predictor on its own (Linux 6.1's free-space
 * tree, harness/shadow/shadow_place_modern.c), against outcomes worked out
 * by hand from 6.1's mm/vmalloc.c rules and lib/rbtree.c's algorithm; its
 * red-black tree against a sorted array; the generic placement rules and
 * the compare hook reporting wrong observations. No library code.
 *
 * Layouts: P is a page, W the window start (aligned far above 4P), MAX is
 * ULONG_MAX. Free space is [1, MAX) minus the busy areas given at init. */
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "test.h"

#define P 0x1000ull
#define W 0xffff000008000000ull
#define MAX (~0ull)

struct fx {
	struct sh_busy b;
	struct sh_place_ops ops;
	struct sh_modern M;
	/* the environment */
	unsigned cpu;
	uint64_t km_calls;
	uint64_t fail_mask;   /* bit k: kmalloc-site call k (from 0) fails */
	bool fail_all;
	unsigned warns;
};

static bool fx_km(void *ctx)
{
	struct fx *x = ctx;
	uint64_t k = x->km_calls++;

	if (x->fail_all)
		return false;
	return !(k < 64 && (x->fail_mask >> k) & 1);
}

static void fx_warn(void *ctx)
{
	((struct fx *)ctx)->warns++;
}

static unsigned fx_cpu(void *ctx)
{
	return ((struct fx *)ctx)->cpu;
}

static void add_busy(struct fx *x, vaddr_t start, vaddr_t end)
{
	struct sh_area a;

	memset(&a, 0, sizeof(a));
	a.start = start;
	a.end = end;
	a.state = SH_LIVE;
	CHECK(sh_busy_insert(&x->b, &a) != (size_t)-1);
}

/* A machine whose vmalloc_init found the busy ranges given in pairs. */
static struct fx *fx_new(const vaddr_t *busy, size_t nr_pairs)
{
	struct fx *x = calloc(1, sizeof(*x));

	sh_place_modern_ops(&x->ops);
	x->M.env.ctx = x;
	x->M.env.km_call = fx_km;
	x->M.env.warn_once = fx_warn;
	x->M.env.cpu = fx_cpu;
	x->M.page_size = P;
	x->ops.reset(&x->M);
	for (size_t i = 0; i < nr_pairs; i++)
		add_busy(x, busy[2 * i], busy[2 * i + 1]);
	x->ops.init(&x->M, &x->b);
	return x;
}

static void fx_free(struct fx *x)
{
	sh_modern_destroy(&x->M);
	sh_busy_free(&x->b);
	free(x);
}

static void tree_ok(struct fx *x)
{
	char why[256] = "";
	int r = sh_modern_check(&x->M, why, sizeof(why));

	if (r)
		fprintf(stderr, "free tree: %s\n", why);
	CHECK_EQ(r, 0);
}

/* One alloc_vmap_area try: 0 = overflow. */
static vaddr_t place(struct fx *x, uint64_t size, uint64_t align,
		     vaddr_t vstart, vaddr_t vend)
{
	vaddr_t a;

	if (x->ops.attempt(&x->M, &x->b, size, align, vstart, vend, &a))
		return 0;
	add_busy(x, a, a + size);
	tree_ok(x);
	return a;
}

static void release(struct fx *x, vaddr_t start)
{
	size_t idx = sh_busy_lower(&x->b, start);

	CHECK(idx < x->b.n && x->b.a[idx].start == start);
	x->ops.releasing(&x->M, &x->b, idx);
	sh_busy_remove(&x->b, idx);
	tree_ok(x);
}

/* The free blocks in address order must be exactly these pairs. */
static void blocks_are(struct fx *x, const vaddr_t *bl, size_t nr)
{
	const struct sh_vfree *v = x->M.head.next;
	size_t i = 0;

	for (; v != &x->M.head && i < nr; v = v->next, i++) {
		CHECK_EQ(v->start, bl[2 * i]);
		CHECK_EQ(v->end, bl[2 * i + 1]);
	}
	CHECK(v == &x->M.head);
	CHECK_EQ(i, nr);
	CHECK_EQ(x->M.nr_free, nr);
}

static void init_is_the_whole_space_minus_busy(void)
{
	const vaddr_t busy[] = {W, W + 2 * P, W + 4 * P, W + 5 * P};
	const vaddr_t want[] = {1, W, W + 2 * P, W + 4 * P, W + 5 * P, MAX};
	struct fx *x = fx_new(busy, 2);

	tree_ok(x);
	blocks_are(x, want, 3);
	/* [1, W) is the largest: the window sits high in the space. */
	CHECK_EQ(sh_modern_free_max(&x->M), W - 1);
	/* Nothing asked of kmalloc before the first allocation. */
	CHECK_EQ(x->km_calls, 0);
	CHECK(!x->M.preload[0]);
	fx_free(x);
}

static void every_fit_type_and_the_preload(void)
{
	/* Free: [1, W+2P) [W+3P, W+6P) [W+7P, W+9P) [W+64P, MAX). */
	const vaddr_t busy[] = {W + 2 * P, W + 3 * P, W + 6 * P, W + 7 * P,
				W + 9 * P, W + 64 * P};
	struct fx *x = fx_new(busy, 3);
	const vaddr_t WE = W + 64 * P;

	/* RE: 2 pages at vstart W end exactly where [1, W+2P) ends. The
	 * preload slot was empty: one kmalloc-site call fills it. */
	CHECK_EQ(place(x, 2 * P, P, W, WE), W);
	CHECK_EQ(x->M.last_fit, SH_FIT_RE);
	CHECK_EQ(x->km_calls, 1);
	CHECK(x->M.preload[0]);
	/* LE: one page from the left of [W+3P, W+6P); filled: no call. */
	CHECK_EQ(place(x, P, P, W, WE), W + 3 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_LE);
	CHECK_EQ(x->km_calls, 1);
	/* FL: the rest, [W+4P, W+6P), exactly. */
	CHECK_EQ(place(x, 2 * P, P, W, WE), W + 4 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_FL);
	{
		const vaddr_t want[] = {1, W, W + 7 * P, W + 9 * P,
					W + 64 * P, MAX};

		blocks_are(x, want, 3);
	}
	/* NE: a page inside the top block takes the preload. */
	CHECK_EQ(place(x, P, P, W + 70 * P, MAX), W + 70 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_NE);
	CHECK(!x->M.preload[0]);
	CHECK_EQ(x->km_calls, 1);
	{
		const vaddr_t want[] = {1, W, W + 7 * P, W + 9 * P,
					W + 64 * P, W + 70 * P, W + 71 * P, MAX};

		blocks_are(x, want, 4);
	}
	/* The next try refills it; on another CPU, that CPU's slot. */
	x->cpu = 3;
	CHECK_EQ(place(x, P, P, W, WE), W + 7 * P); /* LE */
	CHECK_EQ(x->km_calls, 2);
	CHECK(x->M.preload[3] && !x->M.preload[0]);
	x->cpu = 0;
	CHECK_EQ(place(x, P, P, W, WE), W + 8 * P); /* FL of [8, 9) */
	CHECK_EQ(x->M.last_fit, SH_FIT_FL);
	CHECK_EQ(x->km_calls, 3);
	CHECK(x->M.preload[0]);
	CHECK_EQ(x->warns, 0);

	/* Merges: with nothing, with the previous block, with both. */
	release(x, W + 3 * P);
	{
		const vaddr_t want[] = {1, W, W + 3 * P, W + 4 * P,
					W + 64 * P, W + 70 * P, W + 71 * P, MAX};

		blocks_are(x, want, 4);
	}
	release(x, W + 4 * P); /* [4, 6) joins [3, 4) */
	release(x, W + 8 * P); /* [8, 9): nothing touches it */
	release(x, W + 6 * P); /* the busy [6, 7): prev [3, 6) and next
				  [7, 9)? [7, 8) is still busy: prev only */
	{
		const vaddr_t want[] = {1, W, W + 3 * P, W + 7 * P,
					W + 8 * P, W + 9 * P, W + 64 * P,
					W + 70 * P, W + 71 * P, MAX};

		blocks_are(x, want, 5);
	}
	release(x, W + 7 * P); /* both neighbours: [3, 9) */
	release(x, W + 70 * P); /* both: [64, MAX) */
	release(x, W); /* prev [1, W) only (W+2P is busy) */
	{
		const vaddr_t want[] = {1, W + 2 * P, W + 3 * P, W + 9 * P,
					W + 64 * P, MAX};

		blocks_are(x, want, 3);
		CHECK_EQ(sh_modern_free_max(&x->M), W + 2 * P - 1);
	}
	fx_free(x);
}

static void ne_without_a_node(void)
{
	const vaddr_t busy[] = {W + 64 * P, W + 65 * P};
	struct fx *x = fx_new(busy, 1);

	/* The preload call fails (silently), the NE split's GFP_NOWAIT
	 * call succeeds: two calls, the split happens. */
	x->fail_mask = 1;
	CHECK_EQ(place(x, P, P, W + P, W + 64 * P), W + P);
	CHECK_EQ(x->M.last_fit, SH_FIT_NE);
	CHECK_EQ(x->km_calls, 2);
	CHECK(!x->M.preload[0]);
	CHECK_EQ(x->warns, 0);
	/* Both fail: the try fails, the tree is untouched, WARN once. */
	x->fail_all = true;
	CHECK_EQ(place(x, P, P, W + 4 * P, W + 64 * P), 0);
	CHECK_EQ(x->km_calls, 4);
	CHECK_EQ(x->warns, 1);
	CHECK(x->M.last_nomem);
	{
		const vaddr_t want[] = {1, W + P, W + 2 * P, W + 64 * P,
					W + 65 * P, MAX};

		blocks_are(x, want, 3);
	}
	/* The retry asks again (preload, then NOWAIT) and warns no more. */
	CHECK_EQ(place(x, P, P, W + 4 * P, W + 64 * P), 0);
	CHECK_EQ(x->km_calls, 6);
	CHECK_EQ(x->warns, 1);
	/* An LE fit needs no node: it succeeds with kmalloc failing. */
	CHECK_EQ(place(x, P, P, W + 2 * P, W + 64 * P), W + 2 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_LE);
	CHECK(!x->M.last_nomem);
	CHECK_EQ(x->km_calls, 7);
	/* After a reset the warning may fire again. */
	x->ops.reset(&x->M);
	CHECK(!x->M.warned && x->M.nr_free == 0);
	fx_free(x);
}

/* Layout A: busy [P, W+P), [W+2P, W+4P), [W+6P, W+8P), [W+24P, W+25P):
 * free F0 [1, P), X [W+P, W+2P), Y [W+4P, W+6P), R [W+8P, W+24P),
 * Ftop [W+25P, MAX). Inserted in that order, lib/rbtree.c builds
 * X(F0, R(Y, Ftop)): X black, F0 black, R black, Y and Ftop red. */
static struct fx *layout_a(void)
{
	const vaddr_t busy[] = {P, W + P, W + 2 * P, W + 4 * P, W + 6 * P,
				W + 8 * P, W + 24 * P, W + 25 * P};

	return fx_new(busy, 4);
}

static void ascending_inserts_shape(void)
{
	struct fx *x = layout_a();
	const struct sh_rb_node *r = x->M.root.node;
	const struct sh_vfree *v = (const struct sh_vfree *)r;

	CHECK_EQ(v->start, W + P);
	CHECK(r->black && r->left && r->right);
	CHECK_EQ(((const struct sh_vfree *)r->left)->start, 1);
	CHECK(r->left->black);
	CHECK_EQ(((const struct sh_vfree *)r->right)->start, W + 8 * P);
	CHECK(r->right->black);
	CHECK_EQ(((const struct sh_vfree *)r->right->left)->start, W + 4 * P);
	CHECK(!r->right->left->black);
	CHECK_EQ(((const struct sh_vfree *)r->right->right)->start,
		 W + 25 * P);
	CHECK(!r->right->right->black);
	/* Erasing the root (X taken whole) moves its successor Y up, black,
	 * and nothing needs rebalancing: Y(F0, R(-, Ftop)). */
	CHECK_EQ(place(x, P, P, W + P, W + 2 * P), W + P);
	CHECK_EQ(x->M.last_fit, SH_FIT_FL);
	r = x->M.root.node;
	CHECK_EQ(((const struct sh_vfree *)r)->start, W + 4 * P);
	CHECK(r->black);
	CHECK_EQ(((const struct sh_vfree *)r->right)->start, W + 8 * P);
	CHECK(r->right->left == NULL && r->right->right &&
	      !r->right->right->black);
	fx_free(x);
}

static void big_align_prunes_the_lower_fit(void)
{
	struct fx *x = layout_a();

	/* 2 pages aligned to 4: the search length is 6P - 1. At X the left
	 * subtree (F0) is too small, X cannot hold an aligned 2P; R's left
	 * subtree (Y, 2P) is below the length, so R itself is tried: W+8P,
	 * although Y [W+4P, W+6P) is aligned and fits exactly. */
	CHECK_EQ(place(x, 2 * P, 4 * P, W, W + 64 * P), W + 8 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_LE);
	fx_free(x);

	/* With a page alignment the length is the size: Y is found. */
	x = layout_a();
	CHECK_EQ(place(x, 2 * P, P, W, W + 64 * P), W + 4 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_FL);
	fx_free(x);

	/* vend - vstart == size: no adjustment, Y again. */
	x = layout_a();
	CHECK_EQ(place(x, 2 * P, 4 * P, W + 4 * P, W + 6 * P), W + 4 * P);
	fx_free(x);

	/* vend below R: the pruned search still picks R (is_within does
	 * not look at vend), the vend check fails it: an overflow although
	 * Y fits. */
	x = layout_a();
	CHECK_EQ(place(x, 2 * P, 4 * P, W, W + 7 * P), 0);
	CHECK_EQ(x->M.nr_free, 5);
	fx_free(x);
}

static void backtrack_moves_vstart(void)
{
	/* Layout B: free F0 [1, P), X [W+P, W+2P), Y [W+4P, W+14P),
	 * R [W+16P, W+20P), Ftop [W+21P, MAX): the same shape. 8 pages
	 * from W+8P: R's left subtree (Y, 10P) is big enough and vstart is
	 * below R, so the search enters Y, which cannot hold 8 pages above
	 * W+8P; back at R (4P, too small) the right subtree is entered with
	 * vstart moved to R's start + 1: Ftop. */
	const vaddr_t busy[] = {P, W + P, W + 2 * P, W + 4 * P, W + 14 * P,
				W + 16 * P, W + 20 * P, W + 21 * P};
	struct fx *x = fx_new(busy, 4);

	CHECK_EQ(place(x, 8 * P, P, W + 8 * P, MAX), W + 21 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_LE);
	/* 4 pages from W+11P: Y cannot hold them either; back at R, R
	 * itself fits: W+16P (FL). */
	CHECK_EQ(place(x, 4 * P, P, W + 11 * P, MAX), W + 16 * P);
	CHECK_EQ(x->M.last_fit, SH_FIT_FL);
	fx_free(x);
}

static void backtrack_past_a_shifted_parent(void)
{
	/* Layout C, the same shape X(F0, R(Y, T)) with Y, R and T three
	 * pages each, none holding 2 pages aligned to 4; the request is the
	 * exact range [W, W+2P) (vend - vstart == size: no adjustment, the
	 * length is 2P). Y fails, R fails, T is entered with vstart moved
	 * to R's start + 1 and fails; going up, R's right subtree is not
	 * entered again (vstart is now above R), nor X's: no block. */
	const vaddr_t busy[] = {P, W + P, W + 2 * P, W + 5 * P, W + 8 * P,
				W + 9 * P, W + 12 * P, W + 13 * P,
				W + 16 * P, MAX};
	struct fx *x = fx_new(busy, 5);

	CHECK_EQ(x->M.nr_free, 5);
	CHECK_EQ(place(x, 2 * P, 4 * P, W, W + 2 * P), 0);
	CHECK_EQ(x->M.nr_free, 5);
	fx_free(x);
}

/* ---- the generic rules and the findings ------------------------------------ */

static struct shadow *judge_shadow(const struct fx *x, unsigned guarantee)
{
	struct shadow *sh = calloc(1, sizeof(*sh));

	sh->busy = x->b; /* borrowed: not freed through sh */
	sh->place_guarantee = guarantee;
	return sh;
}

static void findings_and_reports(void)
{
	struct fx *x = layout_a();
	struct shadow *sh;
	vaddr_t low = 0, a;

	/* Add the busy early part so that the scans see [W, ...) as the
	 * model does: layout A's busy set is already in x->b. */
	CHECK(sh_lowest_fit(&x->b, 2 * P, 4 * P, W, W + 64 * P, &low));
	CHECK_EQ(low, W + 4 * P);
	CHECK(sh_highest_fit(&x->b, 2 * P, 4 * P, W, W + 64 * P, &a));
	CHECK_EQ(a, W + 60 * P);
	CHECK(!sh_lowest_fit(&x->b, 20 * P, P, W, W + 24 * P, &a));

	/* Modern's declaration: the pruned choice is a finding. */
	sh = judge_shadow(x, SH_PLACE_TREE_LOWEST |
				     SH_PLACE_MAY_OVERFLOW_WITH_SPACE);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 8 * P,
		       false);
	CHECK_EQ(shadow_place_findings(sh), 1);
	CHECK(!sh->place_fail);
	/* The overflow with Y free: a finding too, before or after purge. */
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 7 * P, false, 0, true);
	CHECK_EQ(shadow_place_findings(sh), 2);
	/* The lowest fit itself: nothing. */
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 4 * P,
		       false);
	CHECK_EQ(shadow_place_findings(sh), 2);
	CHECK(!sh->place_fail);
	/* An overflow for want of an NE split node is no finding. */
	sh->place_state = &sh->modern;
	sh->modern.last_nomem = true;
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 7 * P, false, 0, true);
	CHECK_EQ(shadow_place_findings(sh), 2);
	free(sh);

	/* A strict lowest-fit declaration: the same placement is a report. */
	sh = judge_shadow(x, SH_PLACE_LOWEST_FIT);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 8 * P,
		       false);
	CHECK(sh->place_fail);
	CHECK(strstr(sh->place_fail_text, "fit lower") != NULL);
	CHECK_EQ(shadow_place_findings(sh), 0);
	free(sh);

	/* Any-fit: a higher address is fine, an overflow with space after
	 * the purge is not (before it, it only costs a purge). */
	sh = judge_shadow(x, SH_PLACE_ANY_FIT);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 8 * P,
		       false);
	CHECK(!sh->place_fail);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 7 * P, false, 0, false);
	CHECK(!sh->place_fail);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 7 * P, false, 0, true);
	CHECK(sh->place_fail);
	CHECK(strstr(sh->place_fail_text, "overflowed") != NULL);
	sh->place_fail = false;
	/* Over a busy area, unaligned, outside the range: reports. */
	sh_place_judge(sh, 2 * P, P, W, W + 64 * P, true, W + 5 * P, false);
	CHECK(sh->place_fail && strstr(sh->place_fail_text, "over the busy"));
	sh->place_fail = false;
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 9 * P,
		       false);
	CHECK(sh->place_fail && strstr(sh->place_fail_text, "not aligned"));
	sh->place_fail = false;
	sh_place_judge(sh, 2 * P, P, W + 10 * P, W + 64 * P, true, W + 8 * P,
		       false);
	CHECK(sh->place_fail);
	free(sh);

	/* Top-down: only the highest fit passes. */
	sh = judge_shadow(x, SH_PLACE_TOP_DOWN);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 60 * P,
		       false);
	CHECK(!sh->place_fail);
	sh_place_judge(sh, 2 * P, 4 * P, W, W + 64 * P, true, W + 56 * P,
		       false);
	CHECK(sh->place_fail && strstr(sh->place_fail_text, "top-down"));
	free(sh);
	fx_free(x);
}

static void tracking_follows_the_library(void)
{
	struct fx *x = layout_a();
	struct sh_place_ops ops;
	struct sh_tracking T = {0};
	vaddr_t a = 0;

	sh_place_tracking_ops(&ops);
	ops.reset(&T);
	/* The observed address, where it is free. */
	T.hint = W + 8 * P;
	T.hint_set = true;
	CHECK_EQ(ops.attempt(&T, &x->b, 2 * P, P, W, W + 64 * P, &a), 0);
	CHECK_EQ(a, W + 8 * P);
	CHECK(!T.hint_set);
	/* Over a busy area: an overflow (the common code purges). */
	T.hint = W + 2 * P;
	T.hint_set = true;
	CHECK(ops.attempt(&T, &x->b, 2 * P, P, W, W + 64 * P, &a) != 0);
	CHECK(T.hint_set);
	/* No observation: the lowest fit stands in. */
	T.hint_set = false;
	CHECK_EQ(ops.attempt(&T, &x->b, 2 * P, 4 * P, W, W + 64 * P, &a), 0);
	CHECK_EQ(a, W + 4 * P);
	fx_free(x);
}

static void compare_reports_wrong_observations(void)
{
	struct fx *x = layout_a();
	struct sh_counters o;
	char why[256];

	memset(&o, 0, sizeof(o));
	o.free_nr = 5;
	o.free_max = MAX - (W + 25 * P);
	CHECK_EQ(x->ops.compare(&x->M, &o, why, sizeof(why)), 0);
	o.free_nr = 4;
	CHECK(x->ops.compare(&x->M, &o, why, sizeof(why)) != 0);
	CHECK(strstr(why, "expected 5 free vmap_areas") != NULL);
	o.free_nr = 5;
	o.free_max = 16 * P;
	CHECK(x->ops.compare(&x->M, &o, why, sizeof(why)) != 0);
	o.free_max = MAX - (W + 25 * P);
	o.ne_preload[2] = true;
	CHECK(x->ops.compare(&x->M, &o, why, sizeof(why)) != 0);
	CHECK(strstr(why, "cpu 2") != NULL);
	o.ne_preload[2] = false;
	/* After a try on cpu 0 the slot is filled: the library must say so. */
	CHECK_EQ(place(x, P, P, W, W + 64 * P), W + P);
	o.free_nr = 4;
	CHECK(x->ops.compare(&x->M, &o, why, sizeof(why)) != 0);
	CHECK(strstr(why, "cpu 0") != NULL);
	o.ne_preload[0] = true;
	CHECK_EQ(x->ops.compare(&x->M, &o, why, sizeof(why)), 0);
	fx_free(x);
}

/* ---- the red-black tree against a sorted array ------------------------------ */

struct tnode {
	struct sh_rb_node rb; /* first */
	uint64_t key, weight, max;
};

static struct tnode *tn(struct sh_rb_node *n)
{
	return (struct tnode *)n;
}

static uint64_t tmax(struct sh_rb_node *n)
{
	return n ? tn(n)->max : 0;
}

static bool t_compute(struct tnode *t, bool exit)
{
	uint64_t m = t->weight;

	if (tmax(t->rb.left) > m)
		m = tmax(t->rb.left);
	if (tmax(t->rb.right) > m)
		m = tmax(t->rb.right);
	if (exit && t->max == m)
		return true;
	t->max = m;
	return false;
}

static void t_propagate(struct sh_rb_node *n, struct sh_rb_node *stop)
{
	for (; n != stop; n = n->parent)
		if (t_compute(tn(n), true))
			break;
}

static void t_copy(struct sh_rb_node *o, struct sh_rb_node *n)
{
	tn(n)->max = tn(o)->max;
}

static void t_rotate(struct sh_rb_node *o, struct sh_rb_node *n)
{
	tn(n)->max = tn(o)->max;
	t_compute(tn(o), false);
}

static uint64_t t_check_max(struct sh_rb_node *n, int *bad)
{
	uint64_t m, l, r;

	if (!n)
		return 0;
	l = t_check_max(n->left, bad);
	r = t_check_max(n->right, bad);
	m = tn(n)->weight;
	if (l > m)
		m = l;
	if (r > m)
		m = r;
	if (m != tn(n)->max)
		(*bad)++;
	return m;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void rbtree_against_sorted_array(void)
{
	enum { N = 512 };
	const struct sh_rb_augment aug = {t_propagate, t_copy, t_rotate};
	struct tnode *nodes = calloc(N, sizeof(*nodes));
	bool *in = calloc(N, sizeof(*in));
	struct sh_rb_root root = {NULL};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char why[128];
	int bad_props = 0, bad_max = 0, bad_order = 0;

	for (int step = 0; step < 20000; step++) {
		unsigned k = (unsigned)(rnd(&seed) % N);

		if (!in[k]) {
			struct sh_rb_node **link = &root.node, *parent = NULL;

			nodes[k].key = k;
			nodes[k].weight = rnd(&seed) % 100000;
			while (*link) {
				parent = *link;
				link = k < tn(parent)->key ? &parent->left :
							     &parent->right;
			}
			sh_rb_link(&nodes[k].rb, parent, link);
			sh_rb_insert(&nodes[k].rb, &root, &aug);
			nodes[k].max = 0; /* as __link_va: propagate fills */
			t_propagate(&nodes[k].rb, NULL);
			in[k] = true;
		} else {
			sh_rb_erase(&nodes[k].rb, &root, &aug);
			in[k] = false;
		}
		if (sh_rb_check(&root, why, sizeof(why)))
			bad_props++;
		t_check_max(root.node, &bad_max);
		/* In-order walk = the sorted array of present keys. */
		{
			struct sh_rb_node *n = sh_rb_first(&root);

			for (unsigned i = 0; i < N; i++) {
				if (!in[i])
					continue;
				if (!n || tn(n)->key != i) {
					bad_order++;
					break;
				}
				n = sh_rb_next(n);
			}
			if (n)
				bad_order++;
		}
	}
	CHECK_EQ(bad_props, 0);
	CHECK_EQ(bad_max, 0);
	CHECK_EQ(bad_order, 0);
	free(nodes);
	free(in);
}

/* Random allocations and releases through the predictor: after each the
 * tree passes its self-check and the free blocks are exactly the holes
 * of the busy set in [1, MAX). */
static void random_workload_keeps_the_tiling(void)
{
	const vaddr_t busy[] = {W, W + P};
	struct fx *x = fx_new(busy, 1);
	uint64_t seed = 12345;
	int bad_tiling = 0;

	for (int step = 0; step < 3000; step++) {
		if (x->b.n > 1 && rnd(&seed) % 3 == 0) {
			size_t i = 1 + rnd(&seed) % (x->b.n - 1);

			release(x, x->b.a[i].start);
		} else {
			uint64_t size = (1 + rnd(&seed) % 8) * P;
			uint64_t align = P << (rnd(&seed) % 4);
			vaddr_t vs = W + (rnd(&seed) % 64) * P;

			place(x, size, align, vs, W + 512 * P);
		}
		{
			const struct sh_vfree *v = x->M.head.next;
			vaddr_t at = 1;

			for (size_t i = 0; i <= x->b.n; i++) {
				vaddr_t end = i < x->b.n ? x->b.a[i].start : MAX;

				if (end > at) {
					if (v == &x->M.head || v->start != at ||
					    v->end != end) {
						bad_tiling++;
						break;
					}
					v = v->next;
				}
				if (i < x->b.n)
					at = x->b.a[i].end;
			}
		}
	}
	CHECK_EQ(bad_tiling, 0);
	fx_free(x);
}

TEST_MAIN(TEST(init_is_the_whole_space_minus_busy),
	  TEST(every_fit_type_and_the_preload), TEST(ne_without_a_node),
	  TEST(ascending_inserts_shape), TEST(big_align_prunes_the_lower_fit),
	  TEST(backtrack_moves_vstart),
	  TEST(backtrack_past_a_shifted_parent), TEST(findings_and_reports),
	  TEST(tracking_follows_the_library),
	  TEST(compare_reports_wrong_observations),
	  TEST(rbtree_against_sorted_array),
	  TEST(random_workload_keeps_the_tiling))
