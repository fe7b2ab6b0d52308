/* What page_alloc.c and its checker (page_alloc_check.c) share about the
 * buddy's block layout. */
#ifndef VMFUZZ_LIB_MM_PAGE_ALLOC_INTERNAL_H
#define VMFUZZ_LIB_MM_PAGE_ALLOC_INTERNAL_H

#include <vmfuzz/machine.h>

#define PG_STATE_MASK (PG_buddy | PG_head | PG_tail)

/* Frame idx's absolute pfn is a multiple of 2^k (blocks are aligned by
 * absolute pfn, mm/page_alloc.c __find_buddy_pfn). */
static inline bool blk_aligned(const struct phys_mem *p, pfn_t idx, unsigned k)
{
	return !(((p->base >> p->page_shift) + idx) & ((1ull << k) - 1));
}

#endif
