/* Placement policies as plug-ins: where a new vmap_area goes.
 *
 * The vmalloc framework (Linux 4.19's: vm_struct, lazy freeing, purge,
 * overflow -> purge -> retry) owns the busy areas; a placement policy
 * only decides the address of a new one and learns when a busy area's
 * range goes back to free space. Legacy (4.19), modern (6.1's free-space
 * tree) and nextfit (the worked example of docs/placement.md) are the
 * registered ones; m->cfg.policy selects one per machine.
 *
 * Rules a policy must keep (the shadow checks them for every policy):
 *  - alloc places [addr, addr + size) inside [vstart, vend), addr a
 *    multiple of align, overlapping no busy area (lazily freed ones
 *    included: they are busy until purged);
 *  - it reports overflow (-VMF_EBUSY) only when no such hole exists,
 *    unless its guarantee carries VMF_PLACE_MAY_OVERFLOW_WITH_SPACE;
 *  - with VMF_PLACE_LOWEST_FIT, addr is the lowest fitting address.
 * Everything a policy keeps hangs off its private pointer (no writable
 * static data anywhere in lib/). */
#ifndef VMFUZZ_PLACEMENT_H
#define VMFUZZ_PLACEMENT_H

#include "config.h"
#include "types.h"

struct vmf_machine;
struct vmalloc_obs;

/* The guarantee a policy makes about the address it picks. */
#define VMF_PLACE_LOWEST_FIT 1u  /* the lowest fitting address */
#define VMF_PLACE_TREE_LOWEST 2u /* 6.1: lowest match of the pruned tree
				    search, not always the lowest fit */
#define VMF_PLACE_ANY_FIT 3u     /* any fitting address */
#define VMF_PLACE_TOP_DOWN 4u    /* the highest fitting address */
#define VMF_PLACE_GUARANTEE_MASK 0xffu
/* May report overflow although a fitting hole exists. */
#define VMF_PLACE_MAY_OVERFLOW_WITH_SPACE 0x100u

struct vmf_placement {
	const char *name;   /* the header's policy=<name> */
	unsigned guarantee; /* VMF_PLACE_* | flags */
	/* Called by vmalloc_init() once the early areas are busy (the
	 * busy areas are vmalloc_for_each_area()'s). 0 with *priv set, or
	 * -VMF_ENOMEM. */
	int (*create)(struct vmf_machine *m, void **priv);
	/* Machine reset or destroy: free what create and the calls made. */
	void (*destroy)(struct vmf_machine *m, void *priv);
	/* 0 with *addr, or -VMF_EBUSY (overflow: the framework purges the
	 * lazy areas once and asks again). Arguments are checked: size a
	 * non-zero page multiple (guard page included), align a power of
	 * two, vstart < vend page aligned inside the window. */
	int (*alloc)(struct vmf_machine *m, void *priv, uint64_t size,
		     uint64_t align, vaddr_t vstart, vaddr_t vend,
		     vaddr_t *addr);
	/* The busy area [start, end) is released (at once, or at purge
	 * for a lazily freed one); it is still in the busy tree. */
	void (*free)(struct vmf_machine *m, void *priv, vaddr_t start,
		     vaddr_t end);
	/* Optional, for vm_check(): 0, or -1 with why. */
	int (*check)(struct vmf_machine *m, void *priv, char *why,
		     size_t why_len);
	/* Optional: the policy's fields of struct vmalloc_obs. */
	void (*observe)(const struct vmf_machine *m, const void *priv,
			struct vmalloc_obs *obs);
};

/* The registry (lib/mm/placement.c, read-only): the policy with id
 * enum vmf_policy, or NULL out of range. */
const struct vmf_placement *vmf_placement_get(unsigned policy);
/* The id of the policy called name, or -1. */
int vmf_placement_lookup(const char *name);

/* The registered policies. */
extern const struct vmf_placement vmf_place_legacy;  /* lib/mm/vmalloc.c */
extern const struct vmf_placement vmf_place_modern;  /* vmalloc_modern.c */
extern const struct vmf_placement vmf_place_nextfit; /* place_nextfit.c */

#endif
