/* The shadow's legacy placement model on its own, against outcomes worked
 * out by hand from the notes (kernel-vmalloc-facts.md, "Legacy placement"):
 * if the model and the library shared a misreading, comparing them would
 * not show it; these cases pin the model to the notes. No library code. */
#include <string.h>

#include "shadow_model.h"
#include "test.h"

#define P 0x1000ull             /* 4 KiB pages */
#define W 0xffff000008000000ull /* window start (128 MiB aligned) */
#define WE (W + 64 * P)

struct fx {
	struct sh_busy b;
	struct sh_place_ops ops;
	struct sh_legacy st;
};

static void fx_init(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	sh_place_legacy_ops(&x->ops);
	x->ops.reset(&x->st);
}

/* alloc_vmap_area without the purge: place, insert, notify. 0 = overflow. */
static vaddr_t place(struct fx *x, uint64_t pages, uint64_t align,
		     vaddr_t vstart, vaddr_t vend)
{
	vaddr_t a;
	struct sh_area na;
	size_t idx;

	if (x->ops.attempt(&x->st, &x->b, pages * P, align, vstart, vend, &a))
		return 0;
	memset(&na, 0, sizeof(na));
	na.start = a;
	na.end = a + pages * P;
	na.state = SH_LIVE;
	idx = sh_busy_insert(&x->b, &na);
	x->ops.inserted(&x->st, &x->b, idx);
	return a;
}

/* A purge releasing the area at start (the __free_vmap_area rule). */
static void release(struct fx *x, vaddr_t start)
{
	size_t idx = sh_busy_lower(&x->b, start);

	CHECK(idx < x->b.n && x->b.a[idx].start == start);
	x->ops.releasing(&x->st, &x->b, idx);
	sh_busy_remove(&x->b, idx);
}

static void first_fit_from_the_cache(void)
{
	struct fx x;

	fx_init(&x);
	/* Empty: the bottom of the range, and the cache follows. */
	CHECK_EQ(place(&x, 2, 1, W, WE), W);
	CHECK_EQ(place(&x, 2, 1, W, WE), W + 2 * P);
	CHECK(x.st.cache_set && x.st.cache_start == W + 2 * P);
	/* Step 2 records the request's parameters every time. */
	CHECK_EQ(x.st.vstart, W);
	CHECK_EQ(x.st.align, 1);
	/* A cache hit aligns the cached end: 4 -> 16 pages. */
	CHECK_EQ(place(&x, 1, 16 * P, W, WE), W + 16 * P);
	CHECK_EQ(x.st.align, 16 * P);
	/* Smaller align than cached: the cache is dropped, the walk from
	 * vstart finds the hole [4p, 16p) and records nothing bigger than
	 * what it skipped (no hole before the first fit). */
	CHECK_EQ(place(&x, 2, 1, W, WE), W + 4 * P);
	CHECK_EQ(x.st.hole, 0);
	sh_busy_free(&x.b);
}

static void hole_of_exactly_size_is_skipped(void)
{
	struct fx x;

	fx_init(&x);
	CHECK_EQ(place(&x, 2, 1, W, WE), W);          /* A [0, 2) */
	/* A higher vstart: the cache hit lands below it -> a miss. */
	CHECK_EQ(place(&x, 2, 1, W + 4 * P, WE), W + 4 * P); /* B [4, 6) */
	/* Lower vstart: the cache is dropped; 4 pages do not fit in
	 * [2, 4): the walk records that 2-page hole and goes past B. */
	CHECK_EQ(place(&x, 4, 1, W, WE), W + 6 * P);  /* D [6, 10) */
	CHECK_EQ(x.st.hole, 2 * P);
	/* size == cached_hole_size keeps the cache (the test is strict):
	 * not lowest-fit, the hole stays empty. */
	CHECK_EQ(place(&x, 2, 1, W, WE), W + 10 * P);
	/* A smaller request drops the cache and takes the hole. */
	CHECK_EQ(place(&x, 1, 1, W, WE), W + 2 * P);
	CHECK_EQ(x.st.hole, 0);
	sh_busy_free(&x.b);
}

static void free_moves_the_cache(void)
{
	struct fx x;

	fx_init(&x);
	CHECK_EQ(place(&x, 2, 1, W, WE), W);          /* A */
	CHECK_EQ(place(&x, 2, 1, W, WE), W + 2 * P);  /* B */
	CHECK_EQ(place(&x, 2, 1, W, WE), W + 4 * P);  /* C, cached */
	/* Freeing B (at or below the cache): the cache goes to B's
	 * predecessor A; hole and align are left alone. */
	release(&x, W + 2 * P);
	CHECK(x.st.cache_set && x.st.cache_start == W);
	/* The next fit of exactly B's size goes into B's old place. */
	CHECK_EQ(place(&x, 2, 1, W, WE), W + 2 * P);
	/* Freeing the lowest area: no predecessor, no cache. */
	release(&x, W);
	CHECK(!x.st.cache_set);
	/* Freeing above the cache leaves it alone. */
	CHECK_EQ(place(&x, 2, 1, W, WE), W);
	release(&x, W + 4 * P);
	CHECK(x.st.cache_set && x.st.cache_start == W);
	/* An area ending below cached_vstart drops the cache. */
	CHECK_EQ(place(&x, 2, 1, W + 8 * P, WE), W + 8 * P);
	release(&x, W + 2 * P);
	CHECK(!x.st.cache_set);
	sh_busy_free(&x.b);
}

static void overflow_and_wrap(void)
{
	struct fx x;
	vaddr_t a;

	fx_init(&x);
	/* The range holds exactly 64 pages. */
	CHECK_EQ(place(&x, 64, 1, W, WE), W);
	CHECK(x.ops.attempt(&x.st, &x.b, P, 1, W, WE, &a) != 0);
	/* An align that wraps ALIGN(vstart) past 2^64: an overflow. */
	sh_busy_free(&x.b);
	fx_init(&x);
	CHECK(x.ops.attempt(&x.st, &x.b, P, 1ull << 63, W, WE, &a) != 0);
	/* On a cache hit a wrapping ALIGN() gives 0, below vstart: a miss
	 * (then the walk overflows on ALIGN(vstart) itself). */
	sh_busy_free(&x.b);
	fx_init(&x);
	CHECK_EQ(place(&x, 2, 1, W, WE), W);
	CHECK(x.ops.attempt(&x.st, &x.b, P, 1ull << 63, W, WE, &a) != 0);
	CHECK(!x.st.cache_set);
	CHECK_EQ(x.st.align, 1ull << 63);
	/* vend is a hard limit even when the list ends first. */
	sh_busy_free(&x.b);
	fx_init(&x);
	CHECK_EQ(place(&x, 60, 1, W, WE), W);
	CHECK_EQ(place(&x, 4, 1, W, WE), W + 60 * P);
	CHECK_EQ(place(&x, 1, 1, W, WE), 0);
	sh_busy_free(&x.b);
}

TEST_MAIN(TEST(first_fit_from_the_cache), TEST(hole_of_exactly_size_is_skipped),
	  TEST(free_moves_the_cache), TEST(overflow_and_wrap))
