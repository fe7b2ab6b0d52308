/* fuzz_buddy's internal header, shared by fuzz/fuzz_buddy.c (decoding,
 * the entry point) and the files of fuzz/buddy/: the flat model's types
 * (struct bz: the one state they share, passed by pointer), the list of
 * checker probes and their functions. Nothing outside fuzz_buddy includes
 * it. */
#ifndef VMFUZZ_FUZZ_BUDDY_FUZZ_H
#define VMFUZZ_FUZZ_BUDDY_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmfuzz/machine.h>

/* The model's O(pages) scans are not the code under test: keep the
 * fuzzer's comparison tracing out of them (clang only). */
#if defined(__clang__)
#define BZ_NO_COV __attribute__((no_sanitize("coverage"), noinline))
#else
#define BZ_NO_COV
#endif

#define BZ_HDR 2
#define BZ_OP_BYTES 3
#define BZ_MAX_OPS 512
#define BZ_MAX_PAGES 4096
#define BZ_PAGE_SHIFT 12
#define BZ_4G (1ull << 32)

enum bz_state { BZ_FREE = 0, BZ_HEAD, BZ_TAIL };

struct bz_frame {
	uint8_t state;   /* enum bz_state */
	uint8_t order;   /* BZ_HEAD */
	uint8_t owner;   /* BZ_HEAD and BZ_TAIL */
	uint8_t fill;    /* every byte of the frame, unless fresh */
	bool fresh;      /* never filled since reset: the identity fill
			    (docs/shadow.md "Frame contents") */
	bool foreign;    /* allocated by the machine itself (page tables) */
};

struct bz_block {
	uint32_t idx;    /* head frame index */
	uint8_t order;
	uint8_t owner;
};

struct bz {
	struct vmf_machine *m;
	uint32_t nr_pages, nr_nodes, nr_cpus;
	uint32_t node_start[VMF_MAX_NODES + 1];
	uint64_t base;
	uint32_t nr_live;
	/* fault injection as the model sees it */
	enum vmf_fault_mode fmode;
	uint64_t fnth;
	/* the operation being run, for the report */
	size_t op_index;
	char op_text[96];
	/* arrays last: LLVMFuzzerTestOneInput clears everything before f */
	struct bz_frame f[BZ_MAX_PAGES];
	uint32_t prefix[BZ_MAX_PAGES + 1]; /* free frames before i */
	struct bz_block live[BZ_MAX_PAGES];
};

__attribute__((format(printf, 3, 4), noreturn)) void
bz_fail(const struct bz *s, const char *check, const char *fmt, ...);

/* ---- checker sensitivity ------------------------------------------------ */

/* Every check of page_alloc_check() must be able to fail: a probe breaks
 * one invariant the checker documents (include/vmfuzz/page_alloc.h: one
 * block per frame, alignment and node bounds, no mergeable buddies, free
 * list links, counters), runs the checker, and puts the exact bytes back.
 * Only corruptions that break a documented invariant whatever the rest of
 * the state is are used; see the list below. */
enum bz_corrupt {
	CZ_FREE_ORDER,      /* listed free head: order ^ 1 */
	CZ_FREE_NOT_BUDDY,  /* listed free head: PG_buddy cleared */
	CZ_FREE_ALLOC_MARK, /* listed free head: PG_head or PG_tail set */
	CZ_FREE_NEXT_OUT,   /* listed free block: next link past RAM */
	CZ_FREE_NEXT_LOOP,  /* listed free block: next = its list's head */
	CZ_FREE_NEXT_CUT,   /* listed free block: next cut (or self loop) */
	CZ_FREE_PREV,       /* listed free block: prev link + 1 */
	CZ_NR_FREE,         /* free_area[k].nr_free + 1 */
	CZ_NODE_FREE,       /* node nr_free_pages +- 1 */
	CZ_FREE_MASK,       /* one free_mask bit flipped */
	CZ_LIST_HEAD,       /* list head cleared, or past RAM if empty */
	CZ_ALLOC_ORDER,     /* allocated head: order +- 1 */
	CZ_ALLOC_UNMARK,    /* allocated head: PG_head cleared, or (sel
			       bit 14) PG_tail or PG_buddy added */
	CZ_TAIL_UNMARK,     /* tail: PG_tail cleared */
	CZ_TAIL_MARK,       /* tail: PG_head or PG_buddy set */
	CZ_FREE_FRAME_MARK, /* free frame inside a block: PG_head/PG_tail,
			       or (sel bit 14) PG_buddy: a stray free head */
	CZ_SPLIT,           /* free order-k block listed as two order-k-1
			       buddies (counters kept right): unmerged */
	CZ_DOUBLE,          /* its high half also listed at k - 1 (counters
			       kept right): a frame in two free blocks */
	CZ_MISALIGN,        /* free order-k block listed from its middle */
	CZ_OTHER_NODE,      /* free block moved to another node's list
			       (counters kept right): outside its node */
	CZ_NODE_SHRINK,     /* node nr_pages - 1: its last block sticks out */
	BZ_NR_CORRUPT
};

/* ---- functions, by the file that defines them ---- */

/* model.c */
uint32_t bz_node_of(const struct bz *s, uint32_t idx);
void bz_prefix(struct bz *s);
phys_addr_t bz_pa(const struct bz *s, uint32_t idx);
unsigned bz_smallest(const struct bz *s, uint32_t n, unsigned order,
		     bool dma32);
bool bz_is_block_head(const struct bz *s, uint32_t idx, unsigned j);
void bz_expect_warn(const struct bz *s, uint64_t seq_before,
		    enum vmf_warn_kind kind);
void bz_check_block_contents(const struct bz *s, uint32_t idx,
			     unsigned order);
void bz_verify(const struct bz *s);
void bz_model_from_machine(struct bz *s);

/* ops.c */
bool bz_alloc(struct bz *s, unsigned order, int node, gfp_t gfp,
	      enum page_owner owner);
void bz_free_live(struct bz *s, uint32_t k);
void bz_free_raw(struct bz *s, unsigned v, unsigned order);
void bz_write(struct bz *s, uint32_t k, uint8_t byte);
void bz_read(struct bz *s, uint32_t k);

/* probes.c */
void bz_probe(struct bz *s, unsigned kind, unsigned sel);

#endif
