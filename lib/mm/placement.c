/* The registry of placement policies: read-only data, indexed by enum
 * vmf_policy (include/vmfuzz/placement.h). Registering a policy is one
 * line here and one id in config.h (docs/placement.md). */
#include <string.h>

#include <vmfuzz/placement.h>

static const struct vmf_placement *const vmf_placements[VMF_POLICY_NR] = {
	[VMF_POLICY_LEGACY] = &vmf_place_legacy,
	[VMF_POLICY_MODERN] = &vmf_place_modern,
	[VMF_POLICY_NEXTFIT] = &vmf_place_nextfit,
};

const struct vmf_placement *vmf_placement_get(unsigned policy)
{
	return policy < VMF_POLICY_NR ? vmf_placements[policy] : NULL;
}

int vmf_placement_lookup(const char *name)
{
	for (unsigned i = 0; i < VMF_POLICY_NR; i++)
		if (vmf_placements[i] && !strcmp(vmf_placements[i]->name, name))
			return (int)i;
	return -1;
}
