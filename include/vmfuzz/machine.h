/* One simulated ARM64 machine: the whole state of a run lives here.
 *
 * There is no writable global or static state anywhere in lib/ or
 * harness/: two machines in one process are independent, and reset brings
 * a machine back to exactly the state vmf_machine_create() gave it.
 *
 * Layers, each looking only down (lib/README.md):
 *   lib/kernel -> physical memory + buddy (lib/mm/page_alloc.c) -> MMU:
 *   tables, walker, TLB (lib/arm64) -> vmalloc (lib/mm/vmalloc*.c) ->
 *   harness. lib/init/machine.c brings them up. */
#ifndef VMFUZZ_MACHINE_H
#define VMFUZZ_MACHINE_H

#include "config.h"
#include "fault.h"
#include "kmalloc.h"
#include "page_alloc.h"
#include "types.h"
#include "warn.h"

struct mmu_state;     /* include/vmfuzz/mmu.h */
struct vmalloc_state; /* include/vmfuzz/vmalloc.h */

struct vmf_machine {
	struct vmf_config cfg; /* resolved: no "0 = default" left */
	unsigned page_shift;
	uint64_t page_size;

	/* CPU context the vmalloc layer sees (vfree from interrupt, per-CPU
	 * deferred lists). */
	unsigned cur_cpu;
	bool in_interrupt;

	struct vmf_warn_log warn;
	struct vmf_fault_state fault;
	struct kmalloc_state km;
	struct phys_mem phys;
	struct mmu_state *mmu;
	struct vmalloc_state *vm;
};

/* Make a machine from a config. NULL if the config is invalid (why says
 * which field and why) or the host is out of memory. */
struct vmf_machine *vmf_machine_create(const struct vmf_config *cfg,
				       char *why, size_t why_len);
void vmf_machine_destroy(struct vmf_machine *m);

/* Back to the initial state, at a cost proportional to what was touched.
 * With cfg != NULL, switch to that config (reusing the buffers when they
 * are large enough). Returns 0, or -VMF_EINVAL for a bad config (the
 * machine is then unchanged), or -VMF_ENOMEM. */
int vmf_machine_reset(struct vmf_machine *m, const struct vmf_config *cfg,
		      char *why, size_t why_len);

/* From the next event on, the warning and TLB flush logs keep every event
 * until the next call (beyond their last 16): the harness calls it as each
 * command begins, so that all of a command's events can be compared. */
void vmf_machine_keep_events(struct vmf_machine *m);

static inline uint64_t vmf_page_align(const struct vmf_machine *m, uint64_t x)
{
	return (x + m->page_size - 1) & ~(m->page_size - 1);
}

#endif
