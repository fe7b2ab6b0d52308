/* The worked example of docs/placement.md: a next-fit placement policy.
 *
 * It keeps its own sorted array of the busy ranges (learnt from create,
 * alloc and free: a policy needs nothing else from the framework) and a
 * roving cursor: a search starts where the last placement ended and wraps
 * once to vstart, so it finds a hole whenever one fits: VMF_PLACE_ANY_FIT
 * and no overflow with space. Written against the public interface only
 * (include/vmfuzz/placement.h and vmalloc.h), as a policy of one's own
 * would be. Costs O(n) per call: an example, not a contender.
 *
 * Invariants (nextfit_check): ranges[0, nr) sorted, non-empty, apart;
 * they are exactly the machine's busy areas. */
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/placement.h>
#include <vmfuzz/vmalloc.h>
#include <vmfuzz/vmalloc_machine.h>

struct nextfit_range {
	vaddr_t start, end;
};

struct nextfit_state {
	struct nextfit_range *ranges; /* busy ranges, sorted */
	size_t nr, cap;
	vaddr_t cursor;               /* where the last placement ended */
	bool lost;                    /* host memory ran out: check says so */
};

/* Index of the first range ending above addr. */
static size_t nextfit_find(const struct nextfit_state *st, vaddr_t addr)
{
	size_t lo = 0, hi = st->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->ranges[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int nextfit_insert(struct nextfit_state *st, vaddr_t start,
			  vaddr_t end)
{
	size_t i = nextfit_find(st, start);

	if (st->nr == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 64;
		struct nextfit_range *r =
			realloc(st->ranges, cap * sizeof(*r));

		if (!r)
			return -VMF_ENOMEM;
		st->ranges = r;
		st->cap = cap;
	}
	memmove(&st->ranges[i + 1], &st->ranges[i],
		(st->nr - i) * sizeof(*st->ranges));
	st->ranges[i].start = start;
	st->ranges[i].end = end;
	st->nr++;
	return 0;
}

/* The lowest aligned address in [from, to) where size fits between the
 * busy ranges; false if none. Every sum is checked for wrap-around. */
static bool nextfit_scan(const struct nextfit_state *st, uint64_t size,
			 uint64_t align, vaddr_t from, vaddr_t to,
			 vaddr_t *addr)
{
	size_t i = nextfit_find(st, from);
	vaddr_t at = from;

	for (;;) {
		vaddr_t a = (at + align - 1) & ~(align - 1);
		vaddr_t hole_end = i < st->nr ? st->ranges[i].start : to;

		if (a < at || a + size < a)
			return false;
		if (hole_end > to)
			hole_end = to;
		if (a >= at && a + size <= hole_end) {
			*addr = a;
			return true;
		}
		if (i >= st->nr || st->ranges[i].end >= to)
			return false;
		if (st->ranges[i].end > at)
			at = st->ranges[i].end;
		i++;
	}
}

static int nextfit_alloc(struct vmf_machine *m, void *priv, uint64_t size,
			 uint64_t align, vaddr_t vstart, vaddr_t vend,
			 vaddr_t *addr)
{
	struct nextfit_state *st = priv;
	vaddr_t from = st->cursor > vstart && st->cursor < vend ? st->cursor
								 : vstart;

	(void)m;
	/* From the cursor to vend, then from vstart: every hole is seen
	 * (a hole across the cursor is found by the second scan, which
	 * may run up to vend). */
#if defined(VMF_PLANT_NEXTFIT_NO_WRAP)
	/* PLANT NEXTFIT_NO_WRAP: the search never wraps to vstart: holes
	 * below the cursor are lost (overflow with space, which ANY_FIT
	 * without the flag does not allow). */
	if (!nextfit_scan(st, size, align, from, vend, addr))
		return -VMF_EBUSY;
#else
	if (!nextfit_scan(st, size, align, from, vend, addr) &&
	    (from == vstart ||
	     !nextfit_scan(st, size, align, vstart, vend, addr)))
		return -VMF_EBUSY;
#endif
	if (nextfit_insert(st, *addr, *addr + size)) {
		st->lost = true;
		return -VMF_EBUSY;
	}
	st->cursor = *addr + size;
	return 0;
}

static void nextfit_free(struct vmf_machine *m, void *priv, vaddr_t start,
			 vaddr_t end)
{
	struct nextfit_state *st = priv;
	size_t i = nextfit_find(st, start);

	(void)m;
	if (i >= st->nr || st->ranges[i].start != start ||
	    st->ranges[i].end != end) {
		st->lost = true; /* a free of a range it never placed */
		return;
	}
	memmove(&st->ranges[i], &st->ranges[i + 1],
		(st->nr - i - 1) * sizeof(*st->ranges));
	st->nr--;
}

static int nextfit_add_busy(void *arg, const struct vmap_area *va)
{
	struct nextfit_state *st = arg;

	/* Host memory only (the framework's "no allocation" rule is about
	 * the machine's). */
	if (nextfit_insert(st, va->va_start, va->va_end))
		st->lost = true;
	return 0;
}

static int nextfit_create(struct vmf_machine *m, void **priv)
{
	struct nextfit_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -VMF_ENOMEM;
	vmalloc_for_each_area(m, nextfit_add_busy, st);
	*priv = st;
	return 0;
}

static void nextfit_destroy(struct vmf_machine *m, void *priv)
{
	struct nextfit_state *st = priv;

	(void)m;
	free(st->ranges);
	free(st);
}

struct nextfit_cmp {
	const struct nextfit_state *st;
	size_t i;
};

static int nextfit_cmp_area(void *arg, const struct vmap_area *va)
{
	struct nextfit_cmp *c = arg;

	if (c->i >= c->st->nr || c->st->ranges[c->i].start != va->va_start ||
	    c->st->ranges[c->i].end != va->va_end)
		return 1;
	c->i++;
	return 0;
}

static int nextfit_check(struct vmf_machine *m, void *priv, char *why,
			 size_t why_len)
{
	struct nextfit_state *st = priv;
	struct nextfit_cmp c = {st, 0};

	if (st->lost) {
		snprintf(why, why_len, "nextfit: a range was lost");
		return -1;
	}
	if (vmalloc_for_each_area(m, nextfit_cmp_area, &c) || c.i != st->nr) {
		snprintf(why, why_len, "nextfit: its busy ranges are not the "
			 "busy areas (range %zu of %zu)", c.i, st->nr);
		return -1;
	}
	return 0;
}

const struct vmf_placement vmf_place_nextfit = {
	.name = "nextfit",
	.guarantee = VMF_PLACE_ANY_FIT,
	.create = nextfit_create,
	.destroy = nextfit_destroy,
	.alloc = nextfit_alloc,
	.free = nextfit_free,
	.check = nextfit_check,
};
