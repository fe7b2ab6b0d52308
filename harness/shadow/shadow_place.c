/* Placement prediction, behind struct sh_place_ops.
 *
 * The legacy policy (3.10 .. 5.1 alloc_vmap_area, the notes' steps 2-6 and
 * __free_vmap_area's cache rule), written over a sorted array: the tree
 * descent of a cache miss is a binary search for the lowest busy area with
 * va_end >= addr (the descent may stop one area later, at an area that
 * starts exactly at addr; the walk gives the same result from either).
 *
 * Wrap-around: every ALIGN() that wraps past the top of the address space
 * counts as an overflow (the notes: "wrap -> overflow"); see docs/shadow.md
 * for the one place where the kernel itself would do otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"

static int align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	uint64_t r = (x + (align - 1)) & ~(align - 1);

	if (r < x)
		return -1;
	*out = r;
	return 0;
}

static size_t find_start(const struct sh_busy *b, vaddr_t start)
{
	size_t i = sh_busy_lower(b, start);

	return i < b->n && b->a[i].start == start ? i : (size_t)-1;
}

/* Lowest busy area with end >= addr (binary search on the sorted ends). */
static size_t lowest_end_at_least(const struct sh_busy *b, vaddr_t addr)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->a[mid].end >= addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void legacy_reset(void *st)
{
	memset(st, 0, sizeof(struct sh_legacy));
}

static int legacy_attempt(void *st, const struct sh_busy *b, uint64_t size,
			  uint64_t align, vaddr_t vstart, vaddr_t vend,
			  vaddr_t *out)
{
	struct sh_legacy *L = st;
	vaddr_t addr;
	size_t first;

	/* Step 2: drop the cache on less permissive parameters; always
	 * record the parameters. */
	if (!L->cache_set || size < L->hole || vstart < L->vstart ||
	    align < L->align) {
		L->hole = 0;
		L->cache_set = false;
	}
	L->vstart = vstart;
	L->align = align;

	if (L->cache_set) {
		/* Step 3: continue after the cached area. */
		first = find_start(b, L->cache_start);
		if (first == (size_t)-1) /* cannot happen: releasing() */
			return -1;
		/* An ALIGN() that wraps gives 0 in the kernel: below vstart,
		 * so a miss (the notes' step 3 and the seed's code). */
		addr = (b->a[first].end + (align - 1)) & ~(align - 1);
		if (addr < vstart) {
			L->hole = 0;
			L->cache_set = false;
			goto miss;
		}
		if (addr + size < addr)
			return -1;
	} else {
miss:
		/* Step 4: from the bottom of the range. */
		if (align_up(vstart, align, &addr))
			return -1;
		if (addr + size < addr)
			return -1;
		first = lowest_end_at_least(b, addr);
		if (first == b->n)
			goto found;
	}

	/* Step 5: walk the busy list from first. */
	while (addr + size > b->a[first].start && addr + size <= vend) {
		if (addr + L->hole < b->a[first].start)
			L->hole = b->a[first].start - addr;
		if (align_up(b->a[first].end, align, &addr))
			return -1;
		if (addr + size < addr)
			return -1;
		if (first == b->n - 1)
			goto found;
		first++;
	}
found:
	/* Step 6. */
	if (addr + size > vend)
		return -1;
	*out = addr;
	return 0;
}

static void legacy_inserted(void *st, const struct sh_busy *b, size_t idx)
{
	struct sh_legacy *L = st;

	L->cache_set = true;
	L->cache_start = b->a[idx].start;
}

static void legacy_releasing(void *st, const struct sh_busy *b, size_t idx)
{
	struct sh_legacy *L = st;
	const struct sh_area *va = &b->a[idx];

	if (!L->cache_set)
		return;
	if (va->end < L->vstart) {
		L->cache_set = false;
	} else if (va->start <= L->cache_start) {
		if (idx == 0) {
			L->cache_set = false;
		} else {
			L->cache_start = b->a[idx - 1].start;
		}
	}
}

static void cache_text(char *buf, size_t len, bool set, vaddr_t start,
		       uint64_t hole, vaddr_t vstart, uint64_t align)
{
	char area[32];

	if (set)
		snprintf(area, sizeof(area), "area 0x%llx",
			 (unsigned long long)start);
	else
		snprintf(area, sizeof(area), "none");
	snprintf(buf, len, "cache %s hole 0x%llx vstart 0x%llx align 0x%llx",
		 area, (unsigned long long)hole, (unsigned long long)vstart,
		 (unsigned long long)align);
}

static int legacy_compare(const void *st, const struct sh_counters *o,
			  char *why, size_t len)
{
	const struct sh_legacy *L = st;
	char want[128], got[128];

	if (L->cache_set != o->cache_set ||
	    (L->cache_set && L->cache_start != o->cache_va_start) ||
	    L->hole != o->cached_hole_size || L->vstart != o->cached_vstart ||
	    L->align != o->cached_align) {
		cache_text(want, sizeof(want), L->cache_set, L->cache_start,
			   L->hole, L->vstart, L->align);
		cache_text(got, sizeof(got), o->cache_set, o->cache_va_start,
			   o->cached_hole_size, o->cached_vstart,
			   o->cached_align);
		snprintf(why, len, "free_vmap_cache: expected %s; library %s",
			 want, got);
		return -1;
	}
	return 0;
}

static void legacy_describe(const void *st, char *buf, size_t len)
{
	const struct sh_legacy *L = st;
	char t[128];

	cache_text(t, sizeof(t), L->cache_set, L->cache_start, L->hole,
		   L->vstart, L->align);
	snprintf(buf, len, "legacy: %s", t);
}

void sh_place_legacy_ops(struct sh_place_ops *ops)
{
	ops->name = "legacy";
	ops->reset = legacy_reset;
	ops->init = NULL;
	ops->attempt = legacy_attempt;
	ops->inserted = legacy_inserted;
	ops->releasing = legacy_releasing;
	ops->compare = legacy_compare;
	ops->describe = legacy_describe;
}

/* ---- the busy array ------------------------------------------------------- */

size_t sh_busy_lower(const struct sh_busy *b, vaddr_t start)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->a[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct sh_area *sh_busy_find(struct sh_busy *b, vaddr_t start)
{
	size_t i = find_start(b, start);

	return i == (size_t)-1 ? NULL : &b->a[i];
}

struct sh_area *sh_busy_containing(struct sh_busy *b, vaddr_t addr)
{
	/* The last area starting at or below addr. */
	size_t i = sh_busy_lower(b, addr);

	if (i < b->n && b->a[i].start == addr)
		return &b->a[i];
	if (i == 0)
		return NULL;
	i--;
	return addr < b->a[i].end ? &b->a[i] : NULL;
}

size_t sh_busy_insert(struct sh_busy *b, const struct sh_area *a)
{
	size_t i;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct sh_area *na = realloc(b->a, cap * sizeof(*na));

		if (!na)
			return (size_t)-1;
		b->a = na;
		b->cap = cap;
	}
	i = sh_busy_lower(b, a->start);
	memmove(&b->a[i + 1], &b->a[i], (b->n - i) * sizeof(*b->a));
	b->a[i] = *a;
	b->n++;
	return i;
}

int sh_busy_reserve(struct sh_busy *b, size_t cap)
{
	struct sh_area *na;

	if (b->cap >= cap)
		return 0;
	na = realloc(b->a, cap * sizeof(*na));
	if (!na)
		return -1;
	b->a = na;
	b->cap = cap;
	return 0;
}

void sh_busy_remove(struct sh_busy *b, size_t idx)
{
	memmove(&b->a[idx], &b->a[idx + 1], (b->n - idx - 1) * sizeof(*b->a));
	b->n--;
}

void sh_busy_clear(struct sh_busy *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->a[i].pfns);
	b->n = 0;
}

void sh_busy_free(struct sh_busy *b)
{
	sh_busy_clear(b);
	free(b->a);
	b->a = NULL;
	b->cap = 0;
}
