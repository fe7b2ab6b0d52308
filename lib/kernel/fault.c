/* Deterministic fault injection per site class. */
#include <string.h>

#include <vmfuzz/machine.h>

static const char site_names[FAULT_SITE_NR][12] = {
	[FAULT_PAGE_ALLOC] = "page_alloc",
	[FAULT_KMALLOC] = "kmalloc",
	[FAULT_PGTABLE] = "pgtable",
};

const char *vmf_fault_site_name(enum vmf_fault_site site)
{
	return (unsigned)site < FAULT_SITE_NR ? site_names[site] : "?";
}

void vmf_fault_set(struct vmf_machine *m, enum vmf_fault_site site,
		   enum vmf_fault_mode mode, uint64_t n)
{
	struct vmf_fault_site_state *s;

	if ((unsigned)site >= FAULT_SITE_NR)
		return;
	s = &m->fault.site[site];
	s->mode = (unsigned)mode <= FAULT_ALWAYS ? mode : FAULT_OFF;
	s->nth = n ? n : 1;
#if defined(VMF_PLANT_FAULT_NTH_ONE_LATE)
	/* PLANT FAULT_NTH_ONE_LATE: the countdown starts one call late (the
	 * failing call is the (n+1)-th). */
	s->nth++;
#endif
}

void vmf_fault_reset(struct vmf_fault_state *f)
{
	memset(f, 0, sizeof(*f));
}
