/* Deterministic fault injection, one state per site class.
 *
 * A site asks vmf_should_fail() once per call; the answer depends only on
 * the mode set and the number of calls seen since, so a fuzz input that
 * sets a fault reaches the same failure path in every run. */
#ifndef VMFUZZ_FAULT_H
#define VMFUZZ_FAULT_H

#include "types.h"

enum vmf_fault_site {
	FAULT_PAGE_ALLOC = 0, /* alloc_pages() for data pages */
	FAULT_KMALLOC,        /* metadata: vmap_area, vm_struct, page arrays */
	FAULT_PGTABLE,        /* page-table pages (instead of FAULT_PAGE_ALLOC) */
	FAULT_SITE_NR,
};

enum vmf_fault_mode {
	FAULT_OFF = 0,  /* never fail */
	FAULT_NTH,      /* fail the Nth call from now (1 = the next), once */
	FAULT_ALWAYS,   /* fail every call from now on */
};

struct vmf_fault_site_state {
	enum vmf_fault_mode mode;
	uint64_t nth;      /* FAULT_NTH: calls left before the failing one */
	uint64_t calls;    /* calls seen at this site since reset */
	uint64_t failures; /* failures injected since reset */
};

struct vmf_fault_state {
	struct vmf_fault_site_state site[FAULT_SITE_NR];
};

/* Set a site's mode; n is used by FAULT_NTH (n == 0 is taken as 1). */
void vmf_fault_set(struct vmf_machine *m, enum vmf_fault_site site,
		   enum vmf_fault_mode mode, uint64_t n);
/* The answer for one call at a site; inline, as the per-page paths ask
 * it once a page. */
static inline bool vmf_fault_should_fail(struct vmf_fault_state *f,
					 enum vmf_fault_site site)
{
	struct vmf_fault_site_state *s = &f->site[site];
	bool fail = false;

	s->calls++;
	switch (s->mode) {
	case FAULT_OFF:
		return false;
	case FAULT_NTH:
		if (--s->nth == 0) {
			fail = true;
			s->mode = FAULT_OFF; /* "fail the Nth call": once */
		}
		break;
	case FAULT_ALWAYS:
		fail = true;
		break;
	}
	if (fail)
		s->failures++;
	return fail;
}
#define vmf_should_fail(m, site) vmf_fault_should_fail(&(m)->fault, (site))
void vmf_fault_reset(struct vmf_fault_state *f);
const char *vmf_fault_site_name(enum vmf_fault_site site);

#endif
