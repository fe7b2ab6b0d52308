/* Per-machine log of warning events.
 *
 * Where the kernel would WARN() or BUG(), the model records an event of a
 * kind plus kernel-like text and returns a defined error. The log is silent
 * unless printed; it keeps a count per kind, a global sequence number and
 * the text of the last VMF_WARN_RING events, and of every event since
 * vmf_warn_keep (include/vmfuzz/event_log.h). */
#ifndef VMFUZZ_WARN_H
#define VMFUZZ_WARN_H

#include <stdio.h>

#include "event_log.h"
#include "types.h"

enum vmf_warn_kind {
	WARN_NONE = 0,
	/* physical memory */
	WARN_PAGE_BAD_ORDER,     /* order above MAX_ORDER - 1 */
	WARN_PAGE_BAD_NODE,      /* node out of range */
	WARN_PAGE_NOT_ALLOCATED, /* free of a free / never allocated page */
	WARN_PAGE_WRONG_ORDER,   /* free with another order than allocated */
	WARN_PAGE_TAIL,          /* free of a tail page of a block */
	WARN_PAGE_ALLOC_FAIL,    /* page allocation failure (no __GFP_NOWARN) */
	/* MMU */
	WARN_MMU_BAD_ARG,        /* map/unmap outside TTBR1, unaligned, ... */
	WARN_MMU_BBM,            /* break-before-make violated */
	WARN_MMU_REMAP,          /* map over a valid entry */
	/* vmalloc */
	WARN_VMAP_ALLOC_FAILED,  /* "vmap allocation for size %lu failed: ..." */
	WARN_VMALLOC_ALLOC_FAILURE, /* "vmalloc: allocation failure: ..." */
	WARN_VMALLOC_BAD_SIZE,   /* size 0, above totalram, wraps */
	WARN_VMALLOC_BAD_ALIGN,  /* align not a power of two */
	WARN_VMALLOC_BAD_RANGE,  /* start >= end, outside the window */
	WARN_VFREE_BAD_ADDR,     /* "Trying to vfree() bad address (%p)" */
	WARN_VFREE_NONEXISTENT,  /* "Trying to vfree() nonexistent vm area" */
	WARN_VFREE_DOUBLE,       /* free of an area already freed (lazy) */
	WARN_VFREE_INTERIOR,     /* free through an interior pointer */
	WARN_VFREE_WRONG_KIND,   /* vfree of vmap'ed / vunmap of vmalloc'ed */
	WARN_VMALLOC_EARLY_OVERLAP, /* early area overlaps another */
	WARN_VMALLOC_EARLY_LATE, /* early area registered after init */
	WARN_VMALLOC_BAD_ARG,    /* any other refused argument */
	WARN_VM_UNMAP_RAM_BAD,   /* vm_unmap_ram: no such mapping, wrong count, twice */
	WARN_VMAP_NE_FIT_FAIL,   /* 6.1 __alloc_vmap_area's WARN_ON_ONCE: no
				    node for an NE split (modern policy) */
	WARN_KIND_NR,
};

#define VMF_WARN_RING 16
#define VMF_WARN_TEXT 128

struct vmf_warn_event {
	uint64_t seq;
	enum vmf_warn_kind kind;
	char text[VMF_WARN_TEXT];
};

struct vmf_warn_log {
	uint64_t seq; /* events recorded so far; the next gets seq + 1 */
	uint32_t count[WARN_KIND_NR];
	struct vmf_event_log events; /* of struct vmf_warn_event */
};

#if defined(__GNUC__)
#define VMF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VMF_PRINTF(a, b)
#endif

void vmf_warn(struct vmf_machine *m, enum vmf_warn_kind kind,
	      const char *fmt, ...) VMF_PRINTF(3, 4);
void vmf_warn_reset(struct vmf_warn_log *log);
void vmf_warn_free(struct vmf_warn_log *log);
/* Keep every event from the next one on (until the next call), beyond
 * the last VMF_WARN_RING: the harness calls it as each command begins. */
void vmf_warn_keep(struct vmf_warn_log *log);
/* The event with sequence number seq, or NULL if it left the log: older
 * than the last VMF_WARN_RING and than the last vmf_warn_keep. */
const struct vmf_warn_event *vmf_warn_get(const struct vmf_machine *m,
					  uint64_t seq);
uint64_t vmf_warn_seq(const struct vmf_machine *m);
const char *vmf_warn_kind_name(enum vmf_warn_kind kind);
void vmf_warn_print(const struct vmf_machine *m, FILE *out);

#endif
