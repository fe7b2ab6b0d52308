/* page_alloc_check: the buddy allocator's consistency checker, a full
 * recount of every node's free lists and every frame descriptor. O(RAM):
 * the harness runs it at the first and last OP_CHECK only.
 *
 * Invariants it checks (stated with the data in include/vmfuzz/page_alloc.h):
 *  - the nodes tile RAM;
 *  - every frame is in exactly one free block or one allocated block, a
 *    free block's frames carry no allocated marks and only its head is
 *    marked free;
 *  - a block of order k starts at a frame whose absolute pfn is a
 *    multiple of 2^k and lies inside its node;
 *  - no free block has its buddy free at the same order (it would have
 *    been merged);
 *  - the free lists are well linked, and nr_free per node and order,
 *    nr_free_pages and free_mask equal a recount. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>

#include "page_alloc_internal.h"

#define FAIL(...)                                                            \
	do {                                                                 \
		if (why && why_len)                                          \
			snprintf(why, why_len, __VA_ARGS__);                 \
		goto out;                                                    \
	} while (0)

#define FREE_HEAD 2 /* in_free: the first frame of a listed free block */

int page_alloc_check(const struct vmf_machine *m, char *why, size_t why_len)
{
	const struct phys_mem *p = &m->phys;
	uint8_t *in_free = calloc(p->nr_pages ? p->nr_pages : 1, 1);
	int ret = -1;

	if (!in_free)
		FAIL("checker out of host memory");
	/* The nodes tile RAM: a frame outside every node is in no block,
	 * and the scans below would not see it. */
	{
		pfn_t end = 0;

		for (unsigned n = 0; n < p->nr_nodes; n++) {
			if (p->node[n].start_idx != end)
				FAIL("node %u starts at frame %llu, the node "
				     "before ends at %llu", n,
				     (unsigned long long)p->node[n].start_idx,
				     (unsigned long long)end);
			end += p->node[n].nr_pages;
		}
		if (end != p->nr_pages)
			FAIL("the nodes hold %llu frames, RAM has %llu",
			     (unsigned long long)end,
			     (unsigned long long)p->nr_pages);
	}
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		const struct pglist_data *nd = &p->node[n];
		uint64_t free_pages = 0;

		for (unsigned k = 0; k < MAX_ORDER; k++) {
			uint64_t cnt = 0;
			uint32_t prev = 0;
			for (uint32_t link = nd->free_area[k].head; link;
			     link = p->pages[link - 1].next) {
				pfn_t idx = link - 1;
				const struct page *pg;
				if (idx >= p->nr_pages)
					FAIL("node %u order %u: link %u outside RAM",
					     n, k, link);
				pg = &p->pages[idx];
				if (++cnt > p->nr_pages)
					FAIL("node %u order %u: free list loops", n, k);
				if (pg->prev != prev)
					FAIL("node %u order %u: frame %llu prev link %u, "
					     "expected %u", n, k,
					     (unsigned long long)idx, pg->prev, prev);
				if (!(pg->flags & PG_buddy) || pg->order != k ||
				    (pg->flags & (PG_head | PG_tail)))
					FAIL("node %u order %u: frame %llu on the list "
					     "is not a free head of that order (flags %#x "
					     "order %u)", n, k, (unsigned long long)idx,
					     pg->flags, pg->order);
				if (idx < nd->start_idx ||
				    idx + (1ull << k) > nd->start_idx + nd->nr_pages)
					FAIL("node %u: free block %llu order %u outside "
					     "its node", n, (unsigned long long)idx, k);
				if (!blk_aligned(p, idx, k))
					FAIL("node %u: free block %llu not aligned to "
					     "order %u", n, (unsigned long long)idx, k);
				{
					/* Whole blocks at a time: this covers
					 * all free RAM at every check. */
					const uint8_t *twice =
						memchr(in_free + idx, 1,
						       (size_t)1 << k);
					if (!twice)
						twice = memchr(in_free + idx,
							       FREE_HEAD,
							       (size_t)1 << k);
					if (twice)
						FAIL("frame %llu in two free blocks",
						     (unsigned long long)(twice -
									  in_free));
					memset(in_free + idx, 1, (size_t)1 << k);
					in_free[idx] = FREE_HEAD;
				}
				{
					bool up = blk_aligned(p, idx, k + 1);
					pfn_t bidx = up ? idx + (1ull << k) : idx - (1ull << k);
					const struct page *bp;
					if (k < MAX_ORDER - 1 && (up || idx >= (1ull << k)) &&
					    bidx >= nd->start_idx &&
					    bidx + (1ull << k) <= nd->start_idx + nd->nr_pages) {
						bp = &p->pages[bidx];
						if ((bp->flags & PG_buddy) && bp->order == k)
							FAIL("node %u: free block %llu and its "
							     "buddy are both free at order %u",
							     n, (unsigned long long)idx, k);
					}
				}
				free_pages += 1ull << k;
				prev = link;
			}
			if (cnt != nd->free_area[k].nr_free)
				FAIL("node %u order %u: nr_free %llu, recount %llu",
				     n, k, (unsigned long long)nd->free_area[k].nr_free,
				     (unsigned long long)cnt);
		}
		if (free_pages != nd->nr_free_pages)
			FAIL("node %u: nr_free_pages %llu, recount %llu", n,
			     (unsigned long long)nd->nr_free_pages,
			     (unsigned long long)free_pages);
		for (unsigned k = 0; k < 32; k++)
			if (!!(nd->free_mask & (1u << k)) !=
			    (k < MAX_ORDER && nd->free_area[k].head != 0))
				FAIL("node %u: free_mask %#x says order %u is %s",
				     n, nd->free_mask, k,
				     (nd->free_mask & (1u << k)) ? "not empty"
								 : "empty");

		/* Every frame not free belongs to exactly one allocated block. */
		for (pfn_t idx = nd->start_idx;
		     idx < nd->start_idx + nd->nr_pages;) {
			const struct page *pg = &p->pages[idx];
			if (in_free[idx]) {
				if (pg->flags & (PG_head | PG_tail))
					FAIL("frame %llu is free but marked allocated",
					     (unsigned long long)idx);
				/* Only listed heads are marked free: a stray
				 * mark would make __free_pages merge with a
				 * block on no list. */
				if (in_free[idx] != FREE_HEAD &&
				    (pg->flags & PG_buddy))
					FAIL("frame %llu inside a free block is "
					     "marked as a free head",
					     (unsigned long long)idx);
				idx++;
				continue;
			}
			if ((pg->flags & PG_STATE_MASK) != PG_head)
				FAIL("frame %llu is neither free nor the head of an "
				     "allocated block (flags %#x)",
				     (unsigned long long)idx, pg->flags);
			if (pg->order >= MAX_ORDER ||
			    !blk_aligned(p, idx, pg->order) ||
			    idx + (1ull << pg->order) > nd->start_idx + nd->nr_pages)
				FAIL("allocated block %llu order %u misplaced",
				     (unsigned long long)idx, pg->order);
			for (pfn_t i = 1; i < (1ull << pg->order); i++) {
				const struct page *t = &p->pages[idx + i];
				if ((t->flags & PG_STATE_MASK) != PG_tail ||
				    in_free[idx + i])
					FAIL("frame %llu inside allocated block %llu "
					     "is not a tail", (unsigned long long)(idx + i),
					     (unsigned long long)idx);
			}
			idx += 1ull << pg->order;
		}
	}
	ret = 0;
out:
	free(in_free);
	return ret;
}
