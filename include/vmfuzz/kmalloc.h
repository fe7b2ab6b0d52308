/* Metadata allocation (kmalloc family) for the structures the model keeps
 * about itself: vmap_area, vm_struct, small page arrays.
 *
 * Backed by the host allocator so that ASan sees any misuse, with
 * per-machine accounting so that a leak shows per machine, and every live
 * object on a per-machine list so that reset frees what a run left. */
#ifndef VMFUZZ_KMALLOC_H
#define VMFUZZ_KMALLOC_H

#include "types.h"

struct kmalloc_hdr; /* private: lib/mm/kmalloc.c */

struct kmalloc_state {
	struct kmalloc_hdr *live; /* all live objects, newest first */
	uint64_t objects;         /* live objects */
	uint64_t bytes;           /* live bytes (as requested) */
	uint64_t total_allocs;    /* since reset, successful */
};

/* NULL on failure (injected at FAULT_KMALLOC, or size 0, or host OOM). */
void *kmalloc(struct vmf_machine *m, size_t size, gfp_t gfp);
void *kzalloc(struct vmf_machine *m, size_t size, gfp_t gfp);
void kfree(struct vmf_machine *m, const void *p); /* kfree(NULL) is a no-op */

/* Free every live object (machine reset / destroy). */
void kmalloc_free_all(struct vmf_machine *m);

#endif
