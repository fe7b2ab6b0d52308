/* Physical memory and the buddy page allocator.
 *
 * RAM is real bytes (one host buffer), split into page frames of the
 * configured granule, each with a descriptor (struct page). Each node owns
 * an equal, contiguous share of the frames and has its own buddy free
 * lists, orders 0 .. MAX_ORDER - 1 (Linux: MAX_ORDER = 11).
 *
 * Invariants (checked by page_alloc_check):
 *  - every frame is in exactly one free block or one allocated block;
 *  - a block of order k starts at a frame whose absolute pfn is a
 *    multiple of 2^k (as in Linux) and lies inside its node;
 *  - no free block has its buddy free at the same order (it would have
 *    been merged);
 *  - nr_free per node and order, and the totals, equal a recount.
 *
 * A descriptor that is all zero is "pristine": inside a free block and not
 * its head. Reset only restores what a run touched (the dirty list), so it
 * costs what the run did, not what the machine has. Never-used RAM reads
 * zero; freed RAM reads PAGE_POISON. */
#ifndef VMFUZZ_PAGE_ALLOC_H
#define VMFUZZ_PAGE_ALLOC_H

#include "config.h"

#define MAX_ORDER 11 /* orders 0..10 (include/linux/mmzone.h, 4.19) */
#define PAGE_POISON 0xaa /* include/linux/poison.h */

/* page->flags */
#define PG_buddy 0x01u    /* head of a free block (page->order valid) */
#define PG_head 0x02u     /* head of an allocated block (order valid) */
#define PG_tail 0x04u     /* a non-head frame of an allocated block */
/* Frame contents are lazy: a frame holds a fill, PAGE_POISON with
 * PG_poison, zero with PG_zeroed, else (never written since reset) its
 * identity fill (frame_fill_word below), except where writes made its
 * bytes real in the RAM buffer (PG_bytes: one range of 64-byte lines per
 * frame). Free, zeroing and reset are then O(1) a frame, a write costs
 * what it writes. */
#define PG_zeroed 0x10u   /* the fill is zero (__GFP_ZERO) */
#define PG_poison 0x20u   /* the fill is PAGE_POISON */
#define PG_bytes 0x40u    /* some of the frame's bytes are real */
#define PG_dirty_rst 0x80u /* on the reset dirty list (bookkeeping only) */

/* Who owns an allocated frame; for checkers and dumps only. */
enum page_owner {
	OWNER_NONE = 0,
	OWNER_ANY,       /* alloc_pages() caller that did not say */
	OWNER_VMALLOC,   /* data page of a vmalloc area */
	OWNER_PGTABLE,   /* page-table page */
	OWNER_VMAP,      /* page handed to vmap() by the harness */
	OWNER_FRAG,      /* held to fragment memory (harness) */
	OWNER_TEST,
};
#define OWNER_NR (OWNER_TEST + 1)

struct page {
	uint8_t flags;
	uint8_t order; /* for PG_buddy and PG_head */
	uint8_t owner; /* enum page_owner, set by the caller */
	uint8_t pad;
	uint32_t next; /* free list links: frame index + 1, 0 = none */
	uint32_t prev;
	uint64_t private; /* owner's use */
};

struct free_area {
	uint32_t head; /* frame index + 1 of the first free block, 0 = empty */
	uint64_t nr_free; /* blocks on this list */
};

struct pglist_data {
	pfn_t start_idx; /* first frame index of the node */
	pfn_t nr_pages;
	uint64_t nr_free_pages;
	/* Bit k set iff free_area[k] is not empty: an allocation finds its
	 * order without reading every list head. */
	uint32_t free_mask;
	struct free_area free_area[MAX_ORDER];
};

struct phys_mem {
	uint8_t *bytes;       /* RAM contents, capacity_pages << page_shift */
	struct page *pages;   /* descriptors, capacity_pages */
	uint32_t *dirty;      /* frame indices touched since reset */
	uint32_t *span;       /* PG_bytes frames: the lines holding real bytes
				 (page_alloc.c materialize) */
	pfn_t nr_dirty;
	pfn_t nr_pages;       /* frames in use by this config */
	pfn_t capacity_pages; /* descriptors the buffers can hold */
	uint64_t capacity_bytes; /* RAM bytes the buffer can hold */
	unsigned page_shift;
	unsigned nr_nodes;
	phys_addr_t base;
	struct pglist_data node[VMF_MAX_NODES];
	/* Pristine state = right after seeding the free lists at boot. The
	 * seeded heads are kept here so reset restores only what a run
	 * dirtied, instead of re-seeding (which costs O(RAM / 4 MiB)). */
	uint32_t *seed;          /* frame indices of seeded heads, ascending */
	struct page *seed_desc;  /* their pristine descriptors */
	uint8_t *seed_map;       /* bit per frame: is a seeded head */
	size_t nr_seed;
	struct pglist_data seed_node[VMF_MAX_NODES];
	bool seeded;             /* seed matches the current layout */
	/* Allocated frames per owner (page->owner of their block), kept by
	 * alloc_pages_owner and __free_pages: the ownership balance an
	 * observer compares in O(1) (vm_check recounts it from the frames). */
	uint64_t owned[OWNER_NR];
};

/* Allocate 2^order frames on node (or NUMA_NO_NODE: node 0 first), falling
 * back to the other nodes in order unless __GFP_THISNODE. Zeroed with
 * __GFP_ZERO. NULL on failure (with a warning unless __GFP_NOWARN). */
struct page *alloc_pages_node(struct vmf_machine *m, int node, gfp_t gfp,
			      unsigned order);
struct page *alloc_pages_owner(struct vmf_machine *m, int node, gfp_t gfp,
			       unsigned order, enum page_owner owner);
/* Free a block. Bad input (not allocated, wrong order, tail page, page
 * outside RAM) is refused with a warning and changes nothing: returns
 * -VMF_EINVAL then, 0 on success. */
int __free_pages(struct vmf_machine *m, struct page *page, unsigned order);

/* split_page(): the 2^order frames of an allocated block become
 * independent order-0 pages, each freed on its own later. 0, or
 * -VMF_EINVAL (a warning, nothing changed) if page does not head an
 * allocated block of that order. */
int split_page(struct vmf_machine *m, struct page *page, unsigned order);

/* The two translations inline, on the machine's phys_mem, for per-page
 * loops in other files (page_to_pfn and pfn_to_page are calls). */
static inline pfn_t phys_page_to_pfn(const struct phys_mem *p,
				     const struct page *page)
{
	return (p->base >> p->page_shift) + (pfn_t)(page - p->pages);
}

static inline struct page *phys_pfn_to_page(const struct phys_mem *p,
					    pfn_t pfn)
{
	pfn_t idx = pfn - (p->base >> p->page_shift); /* wraps below RAM */

	return idx < p->nr_pages ? &p->pages[idx] : NULL;
}

pfn_t page_to_pfn(const struct vmf_machine *m, const struct page *page);
struct page *pfn_to_page(struct vmf_machine *m, pfn_t pfn); /* NULL if not RAM */
phys_addr_t page_to_phys(const struct vmf_machine *m, const struct page *page);
int page_to_nid(const struct vmf_machine *m, const struct page *page);
bool pfn_valid(const struct vmf_machine *m, pfn_t pfn);
/* Frame index (0 .. nr_pages-1) of a page: what the allocator works on. */
pfn_t page_index(const struct vmf_machine *m, const struct page *page);

uint64_t totalram_pages(const struct vmf_machine *m);
uint64_t nr_free_pages(const struct vmf_machine *m);
uint64_t node_free_pages(const struct vmf_machine *m, int node);

/* Raw physical memory access (no MMU). Returns false, touching nothing, if
 * any byte of [pa, pa+len) is outside RAM. */
bool phys_read(struct vmf_machine *m, phys_addr_t pa, void *buf, size_t len);
bool phys_write(struct vmf_machine *m, phys_addr_t pa, const void *buf,
		size_t len);
bool phys_fill(struct vmf_machine *m, phys_addr_t pa, int byte, size_t len);
/* One aligned little-endian 64-bit word (page-table descriptors): the
 * walker's hot path. False, touching nothing, if pa is not RAM or not
 * 8-byte aligned. */
bool phys_read_u64(struct vmf_machine *m, phys_addr_t pa, uint64_t *val);
/* Direct pointer to a frame's bytes, for the page-table code; marks the
 * frame dirty. NULL if pfn is not RAM. */
uint8_t *phys_frame(struct vmf_machine *m, pfn_t pfn);
/* The same with only bytes [off, off + len) of the frame made real: the
 * caller touches no other byte through the pointer (the frame's base). */
uint8_t *phys_frame_part(struct vmf_machine *m, pfn_t pfn, size_t off,
			 size_t len);

/* 0 if every invariant holds; else -1 and a description in why. */
int page_alloc_check(const struct vmf_machine *m, char *why, size_t why_len);

/* Internal to the machine: set up / reset / tear down. */
int phys_mem_init(struct vmf_machine *m);
void phys_mem_reset(struct vmf_machine *m);
void phys_mem_destroy(struct vmf_machine *m);

#endif
