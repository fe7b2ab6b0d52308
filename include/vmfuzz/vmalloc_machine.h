/* Lifecycle hooks of the vmalloc layer, called by the machine. */
#ifndef VMFUZZ_VMALLOC_MACHINE_H
#define VMFUZZ_VMALLOC_MACHINE_H

#include "types.h"

/* Allocate the per-machine vmalloc state (not yet vmalloc_init()ed). */
int vmalloc_machine_init(struct vmf_machine *m);
/* Forget every area without touching memory: physical memory and the
 * metadata heap are reset by the machine right after. */
void vmalloc_machine_reset(struct vmf_machine *m);
void vmalloc_machine_destroy(struct vmf_machine *m);

#endif
