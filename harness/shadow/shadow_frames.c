/* Frame contents the shadow predicts without anyone having written them
 * (docs/shadow.md "Frame contents").
 *
 * A frame never written since reset reads as its identity fill: the
 * little-endian 64-bit word w (byte offset 8w) of frame pfn is
 *   x = (pfn * 2^32 + w) * 0x9e3779b97f4a7c15 (mod 2^64), then x ^ (x >> 32);
 * once freed to the buddy allocator it reads PAGE_POISON (0xaa) until it
 * is written; allocated with __GFP_ZERO (vzalloc, page arrays, page
 * tables) it reads zero. So the baseline of a page of a non-zeroed area
 * (vmalloc without __GFP_ZERO, vmap and vm_map_ram pages) follows from
 * its frame: poison if the shadow saw the frame go back to the buddy
 * allocator since reset, else the identity fill, unless frames went back
 * that the shadow cannot name (sh_frames_lost): then the baseline is
 * unknown, as before issue 12.
 *
 * Invariant: a frame marked freed (SH_FRAME_FREED in sh_phys.owner) is on
 * the touched list, so reset forgets the mark. */
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

#define SH_POISON 0xaa /* include/linux/poison.h PAGE_POISON */

uint64_t sh_fill_word(pfn_t pfn, uint64_t w)
{
	uint64_t x = ((uint64_t)pfn << 32) + w;

	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 32);
}

void sh_fill_bytes(pfn_t pfn, uint64_t off, uint8_t *out, size_t n)
{
	uint64_t word = 0;
	uint64_t cur = ~0ull;

	for (size_t i = 0; i < n; i++) {
		uint64_t o = off + i;

		if (o >> 3 != cur) {
			cur = o >> 3;
			word = sh_fill_word(pfn, cur);
		}
		out[i] = (uint8_t)(word >> (8 * (o & 7)));
	}
}

void sh_frame_freed(struct shadow *sh, pfn_t pfn)
{
	struct sh_phys *p = &sh->phys;
	uint64_t idx = pfn - p->base_pfn;

	if (pfn < p->base_pfn || idx >= p->nr_frames)
		return;
	if (!(p->owner[idx] & SH_OWN_LISTED)) {
		if (p->nr_touched == p->touched_cap)
			return; /* never: the list is sized for every frame */
		p->touched[p->nr_touched++] = pfn;
		p->owner[idx] |= SH_OWN_LISTED;
	}
	p->owner[idx] |= SH_FRAME_FREED;
	p->freed_at[idx] = p->tables_taken;
}

void sh_frames_lost(struct shadow *sh)
{
	sh->phys.lost_frees = true;
}

void sh_frames_give_unnamed(struct shadow *sh, const uint64_t *node_pages)
{
	for (unsigned n = 0; n < VMF_MAX_NODES; n++) {
		sh->phys.node_free[n] += node_pages[n];
		if (node_pages[n])
			sh_frames_lost(sh);
	}
}

/* Page i's frame of a, if the model knows it. */
static bool frame_of(const struct sh_area *a, uint64_t i, pfn_t *pfn)
{
	if (!a->pfns || i >= a->nr_pages ||
	    (!sh_kind_caller_pages(a->kind) && !a->pfns_known))
		return false;
	*pfn = a->pfns[i];
	return true;
}

/* Baseline bytes [off, off + n) of a, all inside one page. */
static void baseline(struct shadow *sh, const struct sh_area *a, uint64_t off,
		     size_t n, uint8_t *val, uint8_t *known)
{
	uint64_t in = off & (sh->page_size - 1);
	const struct sh_phys *p = &sh->phys;
	pfn_t pfn;
	uint64_t idx;

	/* A nested page array holds the pfns the library wrote there (the
	 * reader checks them against the mapping): not a baseline. */
	if (a->kind == SHK_ARRAY || !frame_of(a, off >> sh->page_shift, &pfn) ||
	    pfn < p->base_pfn || pfn - p->base_pfn >= p->nr_frames) {
		memset(known, 0, n);
		return;
	}
	idx = pfn - p->base_pfn;
	if (p->owner[idx] & SH_FRAME_FREED) {
		memset(val, SH_POISON, n);
		memset(known, 1, n);
	} else if (p->lost_frees) {
		memset(known, 0, n);
	} else {
		sh_fill_bytes(pfn, in, val, n);
		memset(known, 1, n);
	}
}

void sh_expect_bytes(struct shadow *sh, const struct sh_area *a, uint64_t off,
		     size_t len, uint8_t *val, uint8_t *known)
{
	sh_data_expect(&sh->data, a, off, len, val, known);
	for (size_t i = 0; i < len;) {
		size_t j = i, n;
		uint64_t pg_end;

		if (known[i] != SH_KNOWN_BASE) {
			i++;
			continue;
		}
		/* A run of baseline bytes inside one page. */
		pg_end = ((off + i) | (sh->page_size - 1)) + 1;
		while (j < len && known[j] == SH_KNOWN_BASE && off + j < pg_end)
			j++;
		n = j - i;
		baseline(sh, a, off + i, n, val + i, known + i);
		i = j;
	}
}

/* The live area whose page array is the nested area arr, if its frames
 * are known. */
static const struct sh_area *array_owner(const struct shadow *sh,
					 const struct sh_area *arr)
{
	for (size_t i = 0; i < sh->busy.n; i++) {
		const struct sh_area *a = &sh->busy.a[i];

		if (a->array_va == arr->start)
			return (a->state == SH_LIVE || a->state == SH_DEFERRED) &&
				       a->pfns && a->pfns_known ? a : NULL;
	}
	return NULL;
}

/* A nested page array's bytes (docs/vmalloc.md "Page arrays"): entry k
 * is the little-endian pfn of its owner's page k, the frames the shadow
 * saw the owner's leaves name when it was made (then checked against
 * these very entries, read by the reader); past the owner's nr_pages the
 * array's zeroed memory (__GFP_ZERO), which nothing writes. So a read
 * compares the array now with what it held then: a later stray write
 * into it, or an entry written past its end, shows. */
static void array_bytes(const struct shadow *sh, const struct sh_area *arr,
			uint64_t off, size_t len, uint8_t *val, uint8_t *known)
{
	const struct sh_area *o = array_owner(sh, arr);

	if (!o || arr->data_id)
		return; /* what sh_expect_bytes said (unknown) stands */
	for (size_t i = 0; i < len; i++) {
		uint64_t k = (off + i) / 8;

		val[i] = k < o->nr_pages ?
				 (uint8_t)(o->pfns[k] >> (8 * ((off + i) % 8))) :
				 0;
		known[i] = 1;
	}
}

void sh_expect_read(struct shadow *sh, const struct sh_area *a, uint64_t off,
		    size_t len, uint8_t *val, uint8_t *known)
{
	sh_expect_bytes(sh, a, off, len, val, known);
	if (a->kind == SHK_ARRAY)
		array_bytes(sh, a, off, len, val, known);
}
