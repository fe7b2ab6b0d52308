/* The shadow's own table reader and frame contents (issue 12, items 1-2).
 *
 * shadow_walk.c reads AArch64 stage-1 descriptors straight from simulated
 * RAM (the observer's phys_read, from TTBR1's table) with its own walker,
 * written from ../shared/notes/arm64-vmsa-facts.md, never lib/arm64's; it
 * is the reference the library's views (observer page/pages/vmalloc_pfn,
 * the MMU's access results) are checked against. shadow_frames.c predicts
 * the bytes of frames nobody wrote (docs/shadow.md "Frame contents").
 *
 * Invariant: nothing here changes the machine; the walker only reads. */
#ifndef VMFUZZ_HARNESS_SHADOW_WALK_H
#define VMFUZZ_HARNESS_SHADOW_WALK_H

#include "shadow.h"

struct shadow;
struct sh_area;
struct sh_walk_memo;

/* The walker's geometry and where it reads. */
struct sh_walker {
	unsigned page_shift, stride, va_bits, pa_bits;
	int start_level;
	phys_addr_t root;               /* TTBR1's table */
	const struct sh_observer *obs;  /* phys_read only */
	struct sh_walk_memo *memo;      /* NULL: every walk from the root */
};

/* What the reader found for one VA. */
struct sh_leaf {
	bool mapped;        /* a valid leaf (page, or block where allowed) */
	int level;          /* the leaf's level, or the faulting level */
	bool addr_size;     /* faulted on an output address >= 2^pa_bits */
	bool bus;           /* a table outside RAM */
	uint64_t desc;      /* the leaf descriptor */
	phys_addr_t oa;     /* the leaf's output address (its region base) */
	phys_addr_t pa;     /* va's physical address */
	uint64_t attrs;     /* desc without the output-address bits */
	uint64_t table_attrs; /* APTable/PXNTable/UXNTable/NSTable seen above */
};

void sh_walker_init(struct sh_walker *w, const struct vmf_config *cfg,
		    phys_addr_t root, const struct sh_observer *obs);
/* The shadow's walker over its observer, with the verification pass's
 * memo when one is on. */
void sh_walker_of(struct shadow *sh, struct sh_walker *w);
void sh_walk_va(const struct sh_walker *w, vaddr_t va, struct sh_leaf *l);
/* l in words for a report ("a level-2 leaf 0x... (pa 0x...)", "a
 * translation fault at level 1"); buf of len bytes, returned. */
const char *sh_leaf_text(const struct sh_leaf *l, char *buf, size_t len);
/* A leaf of the vmalloc window sits under bare table descriptors: kernel
 * tables are linked with the type bits only (4.19
 * arch/arm64/include/asm/pgalloc.h, pmd_populate_kernel and
 * pud_populate), so no APTable/PXNTable/UXNTable/NSTable above it. A
 * mapped leaf l at va with any collected: `mapping`, what names the page. */
int sh_walk_bare(const struct sh_leaf *l, vaddr_t va, const char *what,
		 struct sh_fail *f);
/* nr consecutive pages from page-aligned va: one descent per last-level
 * table, its entries read in one piece. */
void sh_walk_pages(const struct sh_walker *w, vaddr_t va, size_t nr,
		   struct sh_leaf *out);
/* The level-3 descriptors of nr consecutive pages from page-aligned va
 * compared word for word with the expected ones: want[k] if want, else
 * desc0 + k * step (a physically contiguous run; step a multiple of the
 * page size). The number of leading
 * pages that match: nr when all do (then each is a level-3 page mapping
 * exactly that descriptor, every table above it a bare table descriptor:
 * no table attributes, sh_walk_bare).
 * Each expected descriptor must be a valid page descriptor; a page that
 * does not match is looked at again with sh_walk_va for the report. */
size_t sh_walk_match(const struct sh_walker *w, vaddr_t va, size_t nr,
		     const uint64_t *want, uint64_t desc0, uint64_t step);

/* The raw level-3 words of nr consecutive pages from page-aligned va;
 * how many were read (fewer: a page not under a last-level table reached
 * through bare table descriptors, or a table outside RAM: the caller walks
 * that page itself, and sh_walk_bare names table attributes). */
size_t sh_walk_words(const struct sh_walker *w, vaddr_t va, size_t nr,
		     uint64_t *out);

/* The first VA of [start, end) under a valid leaf (a page, or a block at
 * any level where the granule allows one; a block that starts below start
 * but covers it gives start): true and *first. Tables are read a run of
 * entries at a time and empty entries skipped with their whole span, so
 * the cost follows the tables, not the range's size. */
bool sh_walk_first_mapped(const struct sh_walker *w, vaddr_t start,
			  vaddr_t end, vaddr_t *first);

/* ---- checks (shadow_walk.c) ------------------------------------------- */
/* Pages [i, i + n) (n <= SH_PAGE_BATCH) of a new area a, whose library
 * views the caller has taken (lib[0..n)): the reader's leaf is a level-3
 * page (a PMD block under vmalloc_huge); the library's own walks (lib:
 * level, descriptor, pa; sampled vmalloc_pfn) agree with it; its frame is
 * the one the area's page array (in RAM; the caller's pfns for vmap and
 * vm_map_ram) names. The attributes: the caller then checks lib's
 * descriptor (now the reader's) against pfn | the predicted prot. */
int sh_walk_check_run(struct shadow *sh, const struct sh_area *a, uint64_t i,
		      size_t n, const struct sh_page_obs *lib,
		      struct sh_fail *f);
/* Page i of a new area a: at the start of each batch of SH_PAGE_BATCH
 * pages, take the library's views of the batch into lib[] and check them
 * with sh_walk_check_run; lib[i % SH_PAGE_BATCH] is page i's view. */
int sh_walk_batch(struct shadow *sh, const struct sh_area *a, uint64_t i,
		  struct sh_page_obs *lib, struct sh_fail *f);
/* One successful access piece on a (page idx): the MMU's physical address
 * is the frame the shadow expects there, and the reader agrees. */
int sh_walk_check_access(struct shadow *sh, const struct sh_area *a,
			 const struct sh_access *x, struct sh_fail *f);
/* "Is anything of [start, end) mapped?" asked of the shadow's reader
 * (sh_walk_first_mapped over the observer's RAM); an observer without RAM
 * (the unit tests' fake machines) is asked its own first_mapped view. */
bool sh_first_mapped(struct shadow *sh, vaddr_t start, vaddr_t end,
		     vaddr_t *first);
/* The physical address the reader finds at va, for a report (0: none). */
phys_addr_t sh_mapped_pa(struct shadow *sh, vaddr_t va);
/* vmalloc_to_page(va) found pfn (or nothing): the reader's leaf, of
 * level (3; 2 under a vmalloc_huge block). */
int sh_walk_check_to_page(struct shadow *sh, vaddr_t va, int level,
			  bool found, pfn_t pfn, pfn_t want, struct sh_fail *f);

/* ---- frame contents (shadow_frames.c) ------------------------------------ */
/* The documented identity fill: word w of frame pfn. */
uint64_t sh_fill_word(pfn_t pfn, uint64_t w);
/* Bytes [off, off + n) of the frame (off inside the frame). */
void sh_fill_bytes(pfn_t pfn, uint64_t off, uint8_t *out, size_t n);
/* The expected bytes of an area at [off, off + len): sh_data_expect, with
 * the bytes it leaves at the baseline of a non-zeroed area resolved from
 * the frame under them (identity fill, or PAGE_POISON once freed). */
void sh_expect_bytes(struct shadow *sh, const struct sh_area *a, uint64_t off,
		     size_t len, uint8_t *val, uint8_t *known);
/* sh_expect_bytes, and a nested page array's entries as well: what a
 * read compares (the trace's known mask stays sh_expect_bytes's). */
void sh_expect_read(struct shadow *sh, const struct sh_area *a, uint64_t off,
		    size_t len, uint8_t *val, uint8_t *known);
/* The bytes [in, in + n) of frame pfn as it holds them now, where the
 * shadow knows them (shadow_stale.c): its mapped holder's, or poison. */
void sh_frame_now(struct shadow *sh, pfn_t pfn, uint64_t in, size_t n,
		  uint8_t *val, uint8_t *known);
/* A frame went back to the buddy allocator (it reads as PAGE_POISON). */
void sh_frame_freed(struct shadow *sh, pfn_t pfn);
/* Frames went back that the shadow cannot name (a failed vmalloc's pages,
 * a freed page table): no frame is known to be unwritten any more. */
void sh_frames_lost(struct shadow *sh);
/* Pages a failed vmalloc took and gave back, per node (pfns not known). */
void sh_frames_give_unnamed(struct shadow *sh, const uint64_t *node_pages);

#endif
