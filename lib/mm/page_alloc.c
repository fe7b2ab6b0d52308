/* Physical memory and the buddy page allocator (per node).
 *
 * The invariants are in include/vmfuzz/page_alloc.h. Blocks are aligned
 * by absolute pfn as in Linux (mm/page_alloc.c __find_buddy_pfn); a node
 * off a MAX_ORDER boundary is carved into the largest aligned blocks that
 * fit, as memblock hands a node's edges to the buddy allocator at boot.
 *
 * Every descriptor or frame a run changes goes on the dirty list first, so
 * reset touches only those (plus the few initial free-block heads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>

#include "kernel/util.h"
#include "page_alloc_internal.h"

static struct phys_mem *phys(struct vmf_machine *m)
{
	return &m->phys;
}

static ALWAYS_INLINE void mark_dirty(struct phys_mem *p, pfn_t idx)
{
	struct page *pg = &p->pages[idx];

	if (!(pg->flags & PG_dirty_rst)) {
		pg->flags |= PG_dirty_rst;
		p->dirty[p->nr_dirty++] = (uint32_t)idx;
	}
}

static uint8_t *frame_bytes(struct phys_mem *p, pfn_t idx)
{
	return p->bytes + ((size_t)idx << p->page_shift);
}

/* The contents of a frame whose bytes are not materialised: PAGE_POISON
 * once freed, zero once allocated with __GFP_ZERO, else (never written
 * since reset) the frame's identity fill, so that a read from the wrong
 * frame shows (docs/shadow.md "Frame contents"): the little-endian 64-bit
 * word w (byte offset 8w) of frame pfn is
 *   x = (pfn << 32 | w) * 0x9e3779b97f4a7c15 (mod 2^64);  x ^ (x >> 32).
 * Every byte of a word depends on both pfn and w. */
#define FILL_FRESH (-1)

static int frame_fill(const struct page *pg)
{
	if (pg->flags & PG_poison)
		return PAGE_POISON;
	return (pg->flags & PG_zeroed) ? 0 : FILL_FRESH;
}

static inline uint64_t fill_word(pfn_t pfn, uint64_t w)
{
	uint64_t x = (pfn << 32 | w) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 32);
}

/* out[0, n) = the fill at [off, off + n) of frame idx. */
static void fill_out(const struct phys_mem *p, pfn_t idx, int fill,
		     size_t off, uint8_t *out, size_t n)
{
	pfn_t pfn = (p->base >> p->page_shift) + idx;

	if (fill != FILL_FRESH) {
		memset(out, fill, n);
		return;
	}
	for (size_t i = 0; i < n;) {
		uint64_t o = off + i;
		uint8_t b[8];
		size_t in = (size_t)(o & 7), k = 8 - in;

		store_le64(b, fill_word(pfn, o >> 3));
		if (k > n - i)
			k = n - i;
		memcpy(out + i, b + in, k);
		i += k;
	}
}

/* Give the whole frame one value without writing it (free, zeroing). */
static void set_fill(struct phys_mem *p, pfn_t idx, int byte)
{
	struct page *pg = &p->pages[idx];

	mark_dirty(p, idx);
	pg->flags &= (uint8_t)~(PG_bytes | PG_poison | PG_zeroed);
	pg->flags |= byte ? PG_poison : PG_zeroed;
}

/* A frame's buffer holds real bytes only in its span: lines [lo, hi) of
 * PHYS_LINE bytes (p->span[idx] = lo | hi << 16, valid with PG_bytes);
 * the rest reads as the fill. A page-table write then costs one line, not
 * a whole (up to 64 KiB) frame. */
#define PHYS_LINE_SHIFT 6
#define PHYS_LINE (1u << PHYS_LINE_SHIFT)

static inline size_t span_lo(uint32_t span)
{
	return (size_t)(span & 0xffffu) << PHYS_LINE_SHIFT;
}

static inline size_t span_hi(uint32_t span)
{
	return (size_t)(span >> 16) << PHYS_LINE_SHIFT;
}

/* About to write [off, off + len) of frame idx (offsets in the frame):
 * those bytes must be real. Only lines not yet real are filled, and the
 * span stays one range (a gap between the old span and the new bytes is
 * filled too). */
static void materialize(struct phys_mem *p, pfn_t idx, size_t off, size_t len)
{
	struct page *pg = &p->pages[idx];
	uint8_t *f = frame_bytes(p, idx);
	size_t lo = off & ~(size_t)(PHYS_LINE - 1);
	size_t hi = (off + len + PHYS_LINE - 1) & ~(size_t)(PHYS_LINE - 1);
	int fill = frame_fill(pg);

	mark_dirty(p, idx);
	if (!(pg->flags & PG_bytes)) {
		fill_out(p, idx, fill, lo, f + lo, hi - lo);
		pg->flags |= PG_bytes;
	} else {
		size_t olo = span_lo(p->span[idx]), ohi = span_hi(p->span[idx]);

		if (lo < olo)
			fill_out(p, idx, fill, lo, f + lo, olo - lo);
		else
			lo = olo;
		if (hi > ohi)
			fill_out(p, idx, fill, ohi, f + ohi, hi - ohi);
		else
			hi = ohi;
	}
	p->span[idx] = (uint32_t)(lo >> PHYS_LINE_SHIFT) |
		       (uint32_t)(hi >> PHYS_LINE_SHIFT) << 16;
}

/* Read [off, off + n) of frame idx (inside the frame) into out. */
static void read_frame(const struct phys_mem *p, pfn_t idx, size_t off,
		       uint8_t *out, size_t n)
{
	const struct page *pg = &p->pages[idx];
	const uint8_t *f = p->bytes + ((size_t)idx << p->page_shift);
	size_t lo, hi, end = off + n;

	if (!(pg->flags & PG_bytes)) {
		fill_out(p, idx, frame_fill(pg), off, out, n);
		return;
	}
	lo = span_lo(p->span[idx]);
	hi = span_hi(p->span[idx]);
	if (lo < off)
		lo = off;
	if (hi > end)
		hi = end;
	if (lo >= hi) {
		fill_out(p, idx, frame_fill(pg), off, out, n);
		return;
	}
	fill_out(p, idx, frame_fill(pg), off, out, lo - off);
	memcpy(out + (lo - off), f + lo, hi - lo);
	fill_out(p, idx, frame_fill(pg), hi, out + (hi - off), end - hi);
}

/* ---- free lists -------------------------------------------------------- */

static ALWAYS_INLINE void list_add_block(struct phys_mem *p, unsigned node,
				  pfn_t idx, unsigned order)
{
	struct pglist_data *nd = &p->node[node];
	struct free_area *fa = &nd->free_area[order];
	struct page *pg = &p->pages[idx];
	uint32_t old = fa->head;

	mark_dirty(p, idx);
	pg->flags = (uint8_t)((pg->flags & ~PG_STATE_MASK) | PG_buddy);
	pg->order = (uint8_t)order;
	pg->prev = 0;
	pg->next = old;
	if (old) {
		mark_dirty(p, old - 1);
		p->pages[old - 1].prev = (uint32_t)(idx + 1);
	}
	fa->head = (uint32_t)(idx + 1);
	fa->nr_free++;
	nd->free_mask |= 1u << order;
	nd->nr_free_pages += 1ull << order;
}

static ALWAYS_INLINE void list_del_block(struct phys_mem *p, unsigned node,
				  pfn_t idx, unsigned order)
{
	struct pglist_data *nd = &p->node[node];
	struct free_area *fa = &nd->free_area[order];
	struct page *pg = &p->pages[idx];

	mark_dirty(p, idx);
	if (pg->prev) {
		mark_dirty(p, pg->prev - 1);
		p->pages[pg->prev - 1].next = pg->next;
	} else {
		fa->head = pg->next;
		if (!fa->head)
			nd->free_mask &= ~(1u << order);
	}
	if (pg->next) {
		mark_dirty(p, pg->next - 1);
		p->pages[pg->next - 1].prev = pg->prev;
	}
	pg->next = pg->prev = 0;
	pg->flags &= (uint8_t)~PG_buddy;
	pg->order = 0;
#if defined(VMF_PLANT_BUDDY_NR_FREE_NOT_DROPPED)
	/* PLANT BUDDY_NR_FREE_NOT_DROPPED: a high-order block leaves its list
	 * but stays counted in its order's nr_free. */
	if (order < 3)
		fa->nr_free--;
#else
	fa->nr_free--;
#endif
	nd->nr_free_pages -= 1ull << order;
}

/* ---- init / reset ------------------------------------------------------ */

/* Carve each node into the largest aligned blocks that fit and put them
 * on the free lists; record them as the pristine state. */
static int seed_free_lists(struct phys_mem *p)
{
	size_t cap = 0;
	pfn_t dirty_before;

	/* Heads of the previous layout are not on the dirty list. */
	for (size_t i = 0; i < p->nr_seed; i++) {
		memset(&p->pages[p->seed[i]], 0, sizeof(struct page));
		p->seed_map[p->seed[i] >> 3] = 0;
	}
	p->nr_seed = 0;
	p->seeded = false;
	for (unsigned n = 0; n < p->nr_nodes; n++)
		cap += (size_t)(p->node[n].nr_pages >> (MAX_ORDER - 1)) + MAX_ORDER;
	free(p->seed);
	free(p->seed_desc);
	p->seed = malloc(cap * sizeof(*p->seed));
	p->seed_desc = malloc(cap * sizeof(*p->seed_desc));
	if (!p->seed_map)
		p->seed_map = calloc((size_t)(p->capacity_pages + 7) / 8, 1);
	if (!p->seed || !p->seed_desc || !p->seed_map)
		return -VMF_ENOMEM;

	dirty_before = p->nr_dirty;
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		struct pglist_data *nd = &p->node[n];
		pfn_t off = 0;

		memset(nd->free_area, 0, sizeof(nd->free_area));
		nd->nr_free_pages = 0;
		nd->free_mask = 0;
		while (off < nd->nr_pages) {
			unsigned k = MAX_ORDER - 1;
			while (!blk_aligned(p, nd->start_idx + off, k) ||
			       off + (1ull << k) > nd->nr_pages)
				k--;
			list_add_block(p, n, nd->start_idx + off, k);
			p->seed[p->nr_seed++] = (uint32_t)(nd->start_idx + off);
			p->seed_map[(nd->start_idx + off) >> 3] |=
				(uint8_t)(1u << ((nd->start_idx + off) & 7));
			off += 1ull << k;
		}
	}
	/* Seeding wrote pristine state: forget that it went on the dirty
	 * list (the per-page paths do not test for seeding). */
	for (pfn_t i = dirty_before; i < p->nr_dirty; i++)
		p->pages[p->dirty[i]].flags &= (uint8_t)~PG_dirty_rst;
	p->nr_dirty = dirty_before;
	for (size_t i = 0; i < p->nr_seed; i++)
		p->seed_desc[i] = p->pages[p->seed[i]];
	memcpy(p->seed_node, p->node, sizeof(p->node));
	p->seeded = true;
	return 0;
}

/* The pristine descriptor of a frame: a seeded head's, or all zero. */
static void restore_pristine(struct phys_mem *p, pfn_t idx)
{
	size_t lo = 0, hi = p->nr_seed;

	if (!(p->seed_map[idx >> 3] & (1u << (idx & 7)))) {
		memset(&p->pages[idx], 0, sizeof(p->pages[idx]));
		return;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->seed[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nr_seed && p->seed[lo] == idx)
		p->pages[idx] = p->seed_desc[lo];
	else
		memset(&p->pages[idx], 0, sizeof(p->pages[idx]));
}

static void layout_nodes(struct vmf_machine *m)
{
	struct phys_mem *p = phys(m);

	p->page_shift = m->page_shift;
	p->nr_pages = m->cfg.phys_size >> m->page_shift;
	p->nr_nodes = m->cfg.nr_nodes;
	p->base = m->cfg.phys_base;
	memset(p->node, 0, sizeof(p->node));
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		pfn_t lo = p->nr_pages * n / p->nr_nodes;
		pfn_t hi = p->nr_pages * (n + 1) / p->nr_nodes;
		p->node[n].start_idx = lo;
		p->node[n].nr_pages = hi - lo;
	}
}

int phys_mem_init(struct vmf_machine *m)
{
	struct phys_mem *p = phys(m);
	pfn_t want = m->cfg.phys_size >> m->page_shift;
	size_t bytes = (size_t)m->cfg.phys_size;

	memset(p->owned, 0, sizeof(p->owned)); /* every frame is free again */

	if (!p->bytes || p->capacity_pages < want || p->capacity_bytes < bytes) {
		/* Grow to the largest config seen, so machines alternating
		 * between configs (fuzz inputs) stop reallocating. */
		pfn_t cap_pages = p->capacity_pages > want ? p->capacity_pages : want;
		uint64_t cap_bytes = p->capacity_bytes > bytes ? p->capacity_bytes
							      : bytes;
		phys_mem_destroy(m);
		/* calloc of a large buffer maps zero pages lazily: RSS grows
		 * only with what the runs materialise. */
		p->bytes = calloc(1, (size_t)cap_bytes);
		p->pages = calloc(cap_pages, sizeof(*p->pages));
		p->dirty = calloc(cap_pages, sizeof(*p->dirty));
		p->span = calloc(cap_pages, sizeof(*p->span));
		if (!p->bytes || !p->pages || !p->dirty || !p->span) {
			phys_mem_destroy(m);
			return -VMF_ENOMEM;
		}
		p->capacity_pages = cap_pages;
		p->capacity_bytes = cap_bytes;
		p->nr_dirty = 0;
	}
	if (p->seeded && p->page_shift == m->page_shift &&
	    p->nr_pages == want && p->nr_nodes == m->cfg.nr_nodes &&
	    p->base == m->cfg.phys_base)
		return 0; /* phys_mem_reset already restored the pristine state */
	layout_nodes(m);
	return seed_free_lists(p);
}

void phys_mem_reset(struct vmf_machine *m)
{
	struct phys_mem *p = phys(m);

	/* Pristine descriptors say "reads as zero": no byte is written. */
	for (pfn_t i = 0; i < p->nr_dirty; i++)
		restore_pristine(p, p->dirty[i]);
	p->nr_dirty = 0;
	memcpy(p->node, p->seed_node, sizeof(p->node));
}

void phys_mem_destroy(struct vmf_machine *m)
{
	struct phys_mem *p = phys(m);

	free(p->bytes);
	free(p->pages);
	free(p->dirty);
	free(p->span);
	free(p->seed);
	free(p->seed_desc);
	free(p->seed_map);
	memset(p, 0, sizeof(*p));
}

/* ---- lookups ----------------------------------------------------------- */

pfn_t page_index(const struct vmf_machine *m, const struct page *page)
{
	return (pfn_t)(page - m->phys.pages);
}

pfn_t page_to_pfn(const struct vmf_machine *m, const struct page *page)
{
	return phys_page_to_pfn(&m->phys, page);
}

phys_addr_t page_to_phys(const struct vmf_machine *m, const struct page *page)
{
	return page_to_pfn(m, page) << m->page_shift;
}

bool pfn_valid(const struct vmf_machine *m, pfn_t pfn)
{
	pfn_t base = m->phys.base >> m->page_shift;
	return pfn >= base && pfn - base < m->phys.nr_pages;
}

struct page *pfn_to_page(struct vmf_machine *m, pfn_t pfn)
{
	return phys_pfn_to_page(&m->phys, pfn);
}

static int idx_to_nid(const struct phys_mem *p, pfn_t idx)
{
	for (unsigned n = 0; n + 1 < p->nr_nodes; n++)
		if (idx < p->node[n + 1].start_idx)
			return (int)n;
	return (int)p->nr_nodes - 1;
}

int page_to_nid(const struct vmf_machine *m, const struct page *page)
{
	return idx_to_nid(&m->phys, page_index(m, page));
}

uint64_t totalram_pages(const struct vmf_machine *m)
{
	return m->phys.nr_pages;
}

uint64_t node_free_pages(const struct vmf_machine *m, int node)
{
	if (node < 0 || (unsigned)node >= m->phys.nr_nodes)
		return 0;
	return m->phys.node[node].nr_free_pages;
}

uint64_t nr_free_pages(const struct vmf_machine *m)
{
	uint64_t t = 0;
	for (unsigned n = 0; n < m->phys.nr_nodes; n++)
		t += m->phys.node[n].nr_free_pages;
	return t;
}

/* Is `page` a pointer to one of this machine's descriptors? Compared as
 * integers: a caller's stray pointer must not be UB to test. */
static bool page_ptr_valid(const struct vmf_machine *m, const struct page *page)
{
	uintptr_t lo = (uintptr_t)m->phys.pages;
	uintptr_t pp = (uintptr_t)page;

	if (!page || pp < lo)
		return false;
	if ((pp - lo) % sizeof(struct page))
		return false;
	return (pp - lo) / sizeof(struct page) < m->phys.nr_pages;
}

/* ---- allocation -------------------------------------------------------- */

static bool block_fits_dma32(const struct phys_mem *p, pfn_t idx,
			     unsigned order)
{
	uint64_t end = p->base + ((idx + (1ull << order)) << p->page_shift);
	return end <= (1ull << 32);
}

/* Index of the lowest set bit of x != 0. */
static inline unsigned lowest_bit(uint32_t x)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctz(x);
#else
	unsigned k = 0;

	while (!(x & 1)) {
		x >>= 1;
		k++;
	}
	return k;
#endif
}

/* Take a block of exactly `order` from node n, splitting a larger one:
 * the head of the lowest non-empty list from `order` up (with DMA32, the
 * first block of that list wholly below 4 GiB, else the next list). */
static bool take_block(struct phys_mem *p, unsigned n, unsigned order,
		       gfp_t gfp, pfn_t *out)
{
	struct pglist_data *nd = &p->node[n];
	uint32_t mask = nd->free_mask & ~((1u << order) - 1);

	for (; mask; mask &= mask - 1) {
		unsigned k = lowest_bit(mask);
		uint32_t link = nd->free_area[k].head;
		pfn_t idx;

		while (link && (gfp & __GFP_DMA32) &&
		       !block_fits_dma32(p, link - 1, k))
			link = p->pages[link - 1].next;
		if (!link)
			continue;
		idx = link - 1;
		list_del_block(p, n, idx, k);
		/* expand(): keep the low half, free the high halves. */
		while (k > order) {
			k--;
			list_add_block(p, n, idx + (1ull << k), k);
		}
		*out = idx;
		return true;
	}
	return false;
}

static unsigned local_node(const struct vmf_machine *m)
{
	/* numa_node_id(): CPUs are spread over nodes round-robin. */
#if defined(VMF_PLANT_LOCAL_NODE_BOOT_CPU)
	/* PLANT LOCAL_NODE_BOOT_CPU: the node of the boot CPU (cached at
	 * boot) stands in for the current CPU's. */
	(void)m;
	return 0;
#else
	return m->phys.nr_nodes == 1 ? 0 : m->cur_cpu % m->phys.nr_nodes;
#endif
}

struct page *alloc_pages_owner(struct vmf_machine *m, int node, gfp_t gfp,
			       unsigned order, enum page_owner owner)
{
	struct phys_mem *p = phys(m);
	pfn_t idx = 0;
	bool got = false;

	if (order >= MAX_ORDER) {
		vmf_warn(m, WARN_PAGE_BAD_ORDER,
			 "WARNING: page allocation order %u >= MAX_ORDER %d",
			 order, MAX_ORDER);
		return NULL;
	}
	if (node != NUMA_NO_NODE &&
	    (node < 0 || (unsigned)node >= p->nr_nodes)) {
		vmf_warn(m, WARN_PAGE_BAD_NODE,
			 "WARNING: page allocation on node %d of %u", node,
			 p->nr_nodes);
		return NULL;
	}
	/* Page-table pages answer to FAULT_PGTABLE, which the MMU code asks
	 * itself (fault.h: "instead of FAULT_PAGE_ALLOC"). */
	if (owner == OWNER_PGTABLE || !vmf_should_fail(m, FAULT_PAGE_ALLOC)) {
		unsigned n = node == NUMA_NO_NODE ? local_node(m)
						  : (unsigned)node;
		unsigned tries = (gfp & __GFP_THISNODE) ? 1 : p->nr_nodes;
		/* Nodes n, n + 1, ... wrapping around (no division per try:
		 * this is the per-page path). */
		for (unsigned t = 0; t < tries && !got; t++) {
			got = take_block(p, n, order, gfp, &idx);
			if (++n == p->nr_nodes)
				n = 0;
		}
	}
	if (!got) {
		if (!(gfp & __GFP_NOWARN))
			vmf_warn(m, WARN_PAGE_ALLOC_FAIL,
				 "page allocation failure: order:%u, "
				 "mode:%#x, nodemask=%d",
				 order, gfp, node);
		return NULL;
	}
	/* take_block() dirtied the head already. */
	struct page *head = &p->pages[idx];
	head->flags = (uint8_t)((head->flags & ~PG_STATE_MASK) | PG_head);
	head->order = (uint8_t)order;
	head->owner = (uint8_t)owner;
	head->private = 0;
	if ((unsigned)owner < OWNER_NR)
		p->owned[owner] += 1ull << order;
	for (pfn_t i = 1; i < (1ull << order); i++) {
		mark_dirty(p, idx + i);
		p->pages[idx + i].flags |= PG_tail;
		p->pages[idx + i].owner = (uint8_t)owner;
	}
	if (gfp & __GFP_ZERO)
		for (pfn_t i = 0; i < (1ull << order); i++)
			set_fill(p, idx + i, 0);
	return head;
}

struct page *alloc_pages_node(struct vmf_machine *m, int node, gfp_t gfp,
			      unsigned order)
{
	return alloc_pages_owner(m, node, gfp, order, OWNER_ANY);
}

int __free_pages(struct vmf_machine *m, struct page *page, unsigned order)
{
	struct phys_mem *p = phys(m);
	pfn_t idx;
	unsigned nid;

	if (order >= MAX_ORDER) {
		vmf_warn(m, WARN_PAGE_BAD_ORDER,
			 "WARNING: __free_pages order %u >= MAX_ORDER %d",
			 order, MAX_ORDER);
		return -VMF_EINVAL;
	}
	if (!page_ptr_valid(m, page)) {
		vmf_warn(m, WARN_PAGE_NOT_ALLOCATED,
			 "BUG: Bad page state: %p is not a page of this machine",
			 (const void *)page);
		return -VMF_EINVAL;
	}
	idx = page_index(m, page);
	if (page->flags & PG_tail) {
		vmf_warn(m, WARN_PAGE_TAIL,
			 "BUG: Bad page state: pfn:%05llx is a tail page",
			 (unsigned long long)page_to_pfn(m, page));
		return -VMF_EINVAL;
	}
	if (!(page->flags & PG_head)) {
		vmf_warn(m, WARN_PAGE_NOT_ALLOCATED,
			 "BUG: Bad page state: pfn:%05llx is not allocated",
			 (unsigned long long)page_to_pfn(m, page));
		return -VMF_EINVAL;
	}
	if (page->order != order) {
		vmf_warn(m, WARN_PAGE_WRONG_ORDER,
			 "BUG: Bad page state: pfn:%05llx freed with order %u, "
			 "allocated with order %u",
			 (unsigned long long)page_to_pfn(m, page), order,
			 page->order);
		return -VMF_EINVAL;
	}

	if (page->owner < OWNER_NR)
		p->owned[page->owner] -= 1ull << order;
	/* Release the block: clear head/tail marks, poison the contents. */
	for (pfn_t i = 0; i < (1ull << order); i++) {
		struct page *pg = &p->pages[idx + i];
#if defined(VMF_PLANT_VFREE_PAGE_UNPOISONED)
		/* PLANT VFREE_PAGE_UNPOISONED: an order-0 vmalloc page goes
		 * back keeping its bytes (a free path without the poisoning). */
		if (order || pg->owner != OWNER_VMALLOC)
			set_fill(p, idx + i, PAGE_POISON);
#else
		set_fill(p, idx + i, PAGE_POISON);
#endif
		pg->flags &= (uint8_t)~PG_STATE_MASK;
		pg->order = 0;
		pg->owner = OWNER_NONE;
		pg->private = 0;
	}

	/* Merge with free buddies as far as they go. */
	nid = (unsigned)idx_to_nid(p, idx);
	{
		const struct pglist_data *nd = &p->node[nid];

		while (order < MAX_ORDER - 1) { /* buddy: by absolute pfn */
			bool up = blk_aligned(p, idx, order + 1);
			pfn_t bidx = up ? idx + (1ull << order) :
					  idx - (1ull << order);
			struct page *bp;

			if ((!up && idx < (1ull << order)) || bidx < nd->start_idx ||
			    bidx + (1ull << order) > nd->start_idx + nd->nr_pages)
				break;
			bp = &p->pages[bidx];
			if (!(bp->flags & PG_buddy) || bp->order != order)
				break;
			list_del_block(p, nid, bidx, order);
			idx = idx < bidx ? idx : bidx;
			order++;
		}
		list_add_block(p, nid, idx, order);
	}
	return 0;
}

/* 5.18+ mm/page_alloc.c split_page: every frame of an allocated block
 * becomes an order-0 allocated page with the head's owner. Refused (a
 * warning, nothing changed) unless page heads an allocated block of
 * exactly that order. */
int split_page(struct vmf_machine *m, struct page *page, unsigned order)
{
	struct phys_mem *p = phys(m);
	pfn_t idx;

	if (!page_ptr_valid(m, page) || !(page->flags & PG_head) ||
	    (page->flags & PG_tail) || page->order != order) {
		vmf_warn(m, WARN_PAGE_WRONG_ORDER,
			 "BUG: split_page: %p is not an allocated block of "
			 "order %u", (const void *)page, order);
		return -VMF_EINVAL;
	}
	idx = page_index(m, page);
	page->order = 0;
	for (pfn_t i = 1; i < (1ull << order); i++) {
		struct page *t = &p->pages[idx + i];

		mark_dirty(p, idx + i);
		t->flags = (uint8_t)((t->flags & ~PG_STATE_MASK) | PG_head);
		t->order = 0;
		t->owner = page->owner;
		t->private = 0;
	}
	return 0;
}

/* ---- raw access -------------------------------------------------------- */

static bool phys_range(const struct phys_mem *p, phys_addr_t pa, size_t len,
		       size_t *off)
{
	uint64_t size = (uint64_t)p->nr_pages << p->page_shift;

	if (pa < p->base || pa - p->base > size || len > size - (pa - p->base))
		return false;
	*off = (size_t)(pa - p->base);
	return true;
}

/* The part of [off, off + len) inside the frame holding off. */
static size_t chunk_len(const struct phys_mem *p, size_t off, size_t len)
{
	size_t room = ((size_t)1 << p->page_shift) -
		      (off & (((size_t)1 << p->page_shift) - 1));
	return room < len ? room : len;
}

bool phys_read(struct vmf_machine *m, phys_addr_t pa, void *buf, size_t len)
{
	struct phys_mem *p = &m->phys;
	uint8_t *out = buf;
	size_t off;

	if (!phys_range(p, pa, len, &off))
		return false;
	while (len) {
		size_t n = chunk_len(p, off, len);
		size_t in = off & (((size_t)1 << p->page_shift) - 1);

		read_frame(p, off >> p->page_shift, in, out, n);
		out += n, off += n, len -= n;
	}
	return true;
}

bool phys_read_u64(struct vmf_machine *m, phys_addr_t pa, uint64_t *val)
{
	const struct phys_mem *p = &m->phys;
	const struct page *pg;
	size_t off, in;
	pfn_t idx;

	/* RAM is whole pages and pa is aligned: the word is in RAM iff its
	 * first byte is (below base, off wraps past the size). */
	off = (size_t)(pa - p->base);
	if ((pa & 7) || pa - p->base >= (uint64_t)p->nr_pages << p->page_shift)
		return false;
	idx = off >> p->page_shift;
	pg = &p->pages[idx];
	in = off & (((size_t)1 << p->page_shift) - 1);
	/* Lines are 8-byte aligned: the word is wholly in the span or out. */
	if (!(pg->flags & PG_bytes) || in < span_lo(p->span[idx]) ||
	    in >= span_hi(p->span[idx])) {
		int fill = frame_fill(pg);

		*val = fill == FILL_FRESH ?
			       fill_word((p->base >> p->page_shift) + idx,
					 in >> 3) :
		       fill ? 0xaaaaaaaaaaaaaaaaull : 0;
		return true;
	}
	*val = load_le64(p->bytes + off);
	return true;
}

bool phys_write(struct vmf_machine *m, phys_addr_t pa, const void *buf,
		size_t len)
{
	struct phys_mem *p = &m->phys;
	const uint8_t *src = buf;
	size_t off;

	if (!phys_range(p, pa, len, &off))
		return false;
	while (len) {
		size_t n = chunk_len(p, off, len);

		materialize(p, off >> p->page_shift,
			    off & (((size_t)1 << p->page_shift) - 1), n);
		memcpy(p->bytes + off, src, n);
		src += n, off += n, len -= n;
	}
	return true;
}

bool phys_fill(struct vmf_machine *m, phys_addr_t pa, int byte, size_t len)
{
	struct phys_mem *p = &m->phys;
	size_t off;

	if (!phys_range(p, pa, len, &off))
		return false;
	while (len) {
		size_t n = chunk_len(p, off, len);

		materialize(p, off >> p->page_shift,
			    off & (((size_t)1 << p->page_shift) - 1), n);
		memset(p->bytes + off, byte, n);
		off += n, len -= n;
	}
	return true;
}

uint8_t *phys_frame(struct vmf_machine *m, pfn_t pfn)
{
	return phys_frame_part(m, pfn, 0, m->page_size);
}

uint8_t *phys_frame_part(struct vmf_machine *m, pfn_t pfn, size_t off,
			 size_t len)
{
	pfn_t base = m->phys.base >> m->page_shift;

	if (!pfn_valid(m, pfn) || off > m->page_size ||
	    len > m->page_size - off)
		return NULL;
	materialize(&m->phys, pfn - base, off, len);
	return frame_bytes(&m->phys, pfn - base);
}
