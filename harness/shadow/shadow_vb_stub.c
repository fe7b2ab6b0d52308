/* TEMPORARY: replaced by the shadow's prediction at merge */
#include "shadow.h"

int shadow_vm_map_ram(struct shadow *sh, unsigned count, int node,
		      uint64_t prot, const pfn_t *pfns, vaddr_t observed,
		      struct sh_fail *f)
{
	(void)sh, (void)count, (void)node, (void)prot, (void)pfns;
	(void)observed, (void)f;
	return 0;
}

int shadow_vm_unmap_ram(struct shadow *sh, vaddr_t addr, unsigned count,
			long observed, struct sh_fail *f)
{
	(void)sh, (void)addr, (void)count, (void)observed, (void)f;
	return 0;
}

uint64_t shadow_known_stale_hits(const struct shadow *sh)
{
	(void)sh;
	return 0;
}
