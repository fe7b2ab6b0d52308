/* fuzz_buddy's operations, each run on the allocator and on the flat
 * model and the results compared: allocation (with the model's prediction
 * of the block), the frees, writes and reads of live blocks. */
#include <inttypes.h>

#include "buddy_fuzz.h"

/* ---- operations --------------------------------------------------------- */

static bool bz_fault_fires(struct bz *s)
{
	switch (s->fmode) {
	case FAULT_OFF:
		return false;
	case FAULT_NTH:
		if (--s->fnth == 0) {
			s->fmode = FAULT_OFF;
			return true;
		}
		return false;
	case FAULT_ALWAYS:
		return true;
	}
	return false;
}

/* One allocation, predicted and checked. Returns true if it succeeded. */
bool bz_alloc(struct bz *s, unsigned order, int node, gfp_t gfp,
	      enum page_owner owner)
{
	uint64_t seq = vmf_warn_seq(s->m);
	enum vmf_warn_kind want_warn = WARN_NONE;
	unsigned want_order = MAX_ORDER;
	int want_node = -1;
	struct page *pg;
	uint32_t idx;

	if (order >= MAX_ORDER) {
		want_warn = WARN_PAGE_BAD_ORDER;
	} else if (node != NUMA_NO_NODE &&
		   (node < 0 || (unsigned)node >= s->nr_nodes)) {
		want_warn = WARN_PAGE_BAD_NODE;
	} else if (owner != OWNER_PGTABLE && bz_fault_fires(s)) {
		want_warn = (gfp & __GFP_NOWARN) ? WARN_NONE
						 : WARN_PAGE_ALLOC_FAIL;
	} else {
		uint32_t first = node == NUMA_NO_NODE
					 ? s->m->cur_cpu % s->nr_nodes
					 : (uint32_t)node;
		uint32_t tries = (gfp & __GFP_THISNODE) ? 1 : s->nr_nodes;

		bz_prefix(s);
		for (uint32_t t = 0; t < tries && want_node < 0; t++) {
			uint32_t n = (first + t) % s->nr_nodes;
			unsigned j = bz_smallest(s, n, order,
						 gfp & __GFP_DMA32);

			if (j < MAX_ORDER) {
				want_node = (int)n;
				want_order = j;
			}
		}
		if (want_node < 0 && !(gfp & __GFP_NOWARN))
			want_warn = WARN_PAGE_ALLOC_FAIL;
	}

	pg = alloc_pages_owner(s->m, node, gfp, order, owner);
	bz_expect_warn(s, seq, want_warn);
	if (want_node < 0) {
		if (pg)
			bz_fail(s, "alloc-result",
				"got frame %" PRIu64 ", model expects failure",
				page_index(s->m, pg));
		return false;
	}
	if (!pg)
		bz_fail(s, "alloc-result",
			"failed, model has a free order-%u block on node %d",
			want_order, want_node);
	idx = (uint32_t)page_index(s->m, pg);
	if (idx >= s->nr_pages || &s->m->phys.pages[idx] != pg)
		bz_fail(s, "alloc-block", "returned page is not a descriptor");
	if (bz_node_of(s, idx) != (uint32_t)want_node)
		bz_fail(s, "alloc-node", "frame %u is on node %u, model node %d",
			idx, bz_node_of(s, idx), want_node);
	if (!bz_is_block_head(s, idx, want_order))
		bz_fail(s, "alloc-block",
			"frame %u is not the head of a free order-%u block "
			"(the smallest order that fits %u)",
			idx, want_order, order);
	for (uint32_t i = 0; i < (1u << order); i++) {
		s->f[idx + i].state = i ? BZ_TAIL : BZ_HEAD;
		s->f[idx + i].order = (uint8_t)(i ? 0 : order);
		s->f[idx + i].owner = (uint8_t)owner;
		s->f[idx + i].foreign = false;
		if (gfp & __GFP_ZERO)
			s->f[idx + i].fill = 0, s->f[idx + i].fresh = false;
	}
	bz_check_block_contents(s, idx, order);
	s->live[s->nr_live].idx = idx;
	s->live[s->nr_live].order = (uint8_t)order;
	s->live[s->nr_live].owner = (uint8_t)owner;
	s->nr_live++;
	return true;
}

static void bz_forget_live(struct bz *s, uint32_t k)
{
	s->live[k] = s->live[--s->nr_live];
}

static void bz_model_free(struct bz *s, uint32_t idx, unsigned order)
{
	for (uint32_t i = 0; i < (1u << order); i++) {
		s->f[idx + i].state = BZ_FREE;
		s->f[idx + i].order = 0;
		s->f[idx + i].owner = OWNER_NONE;
		s->f[idx + i].fill = PAGE_POISON, s->f[idx + i].fresh = false;
		s->f[idx + i].foreign = false;
	}
}

void bz_free_live(struct bz *s, uint32_t k)
{
	uint64_t seq = vmf_warn_seq(s->m);
	struct bz_block b = s->live[k];
	int ret = __free_pages(s->m, &s->m->phys.pages[b.idx], b.order);

	bz_expect_warn(s, seq, WARN_NONE);
	if (ret)
		bz_fail(s, "free-result",
			"__free_pages(frame %u, order %u) = %d, model 0",
			b.idx, b.order, ret);
	bz_model_free(s, b.idx, b.order);
	bz_forget_live(s, k);
}

void bz_free_raw(struct bz *s, unsigned v, unsigned order)
{
	uint64_t seq = vmf_warn_seq(s->m);
	uintptr_t base = (uintptr_t)s->m->phys.pages;
	enum vmf_warn_kind want = WARN_NONE;
	struct page *pg;
	uint32_t idx = 0;
	int ret;

	if (v == 0xffff) {
		pg = NULL;
	} else if (v == 0xfffe) {
		pg = (struct page *)(base - sizeof(struct page));
	} else {
		idx = v % (s->nr_pages + 4);
		pg = (struct page *)(base + (uintptr_t)idx * sizeof(struct page));
	}

	if (order >= MAX_ORDER)
		want = WARN_PAGE_BAD_ORDER;
	else if (v >= 0xfffe || idx >= s->nr_pages)
		want = WARN_PAGE_NOT_ALLOCATED;
	else if (s->f[idx].state == BZ_TAIL)
		want = WARN_PAGE_TAIL;
	else if (s->f[idx].state == BZ_FREE)
		want = WARN_PAGE_NOT_ALLOCATED;
	else if (s->f[idx].order != order)
		want = WARN_PAGE_WRONG_ORDER;
	else if (s->f[idx].foreign)
		return; /* the machine's own page (a page table): leave it */

	ret = __free_pages(s->m, pg, order);
	bz_expect_warn(s, seq, want);
	if ((ret != 0) != (want != WARN_NONE))
		bz_fail(s, "free-result", "__free_pages = %d, model %s", ret,
			want == WARN_NONE ? "0" : "a refusal");
	if (want == WARN_NONE) {
		bz_model_free(s, idx, order);
		for (uint32_t k = 0; k < s->nr_live; k++)
			if (s->live[k].idx == idx) {
				bz_forget_live(s, k);
				break;
			}
	}
}

void bz_write(struct bz *s, uint32_t k, uint8_t byte)
{
	struct bz_block b = s->live[k];
	uint64_t len = (uint64_t)1 << (b.order + BZ_PAGE_SHIFT);

	if (!phys_fill(s->m, bz_pa(s, b.idx), byte, (size_t)len))
		bz_fail(s, "contents", "phys_fill of frame %u refused", b.idx);
	for (uint32_t i = 0; i < (1u << b.order); i++)
		s->f[b.idx + i].fill = byte, s->f[b.idx + i].fresh = false;
}

void bz_read(struct bz *s, uint32_t k)
{
	struct bz_block b = s->live[k];
	struct page *pg = &s->m->phys.pages[b.idx];
	pfn_t pfn = (s->base >> BZ_PAGE_SHIFT) + b.idx;

	bz_check_block_contents(s, b.idx, b.order);
	if (page_to_pfn(s->m, pg) != pfn || pfn_to_page(s->m, pfn) != pg ||
	    !pfn_valid(s->m, pfn) || page_to_phys(s->m, pg) != bz_pa(s, b.idx))
		bz_fail(s, "pfn-roundtrip",
			"frame %u: page_to_pfn 0x%" PRIx64 ", expected 0x%" PRIx64,
			b.idx, page_to_pfn(s->m, pg), pfn);
	if (page_to_nid(s->m, pg) != (int)bz_node_of(s, b.idx))
		bz_fail(s, "pfn-roundtrip", "frame %u: page_to_nid %d, model %u",
			b.idx, page_to_nid(s->m, pg), bz_node_of(s, b.idx));
	if (pfn_valid(s->m, (s->base >> BZ_PAGE_SHIFT) + s->nr_pages) ||
	    (s->base && pfn_valid(s->m, (s->base >> BZ_PAGE_SHIFT) - 1)))
		bz_fail(s, "pfn-roundtrip", "pfn_valid accepts a frame outside "
					    "RAM");
}
