/* The shadow's prediction of each area's vm_struct and vmap_area flags and
 * of /proc/vmallocinfo (shadow_vminfo.c): the hooks the rest of the shadow
 * calls. Internal to harness/shadow/. */
#ifndef VMFUZZ_HARNESS_SHADOW_VMINFO_H
#define VMFUZZ_HARNESS_SHADOW_VMINFO_H

#include "shadow_model.h"

/* An allocation entry point returned addr (0: failure): name the area and
 * its nested page-array area with the entry point's caller. */
void sh_vm_created(struct shadow *sh, const struct sh_alloc_req *req,
		   vaddr_t addr);
/* An early area was accepted at addr. */
void sh_vm_early_created(struct shadow *sh, vaddr_t addr, const char *caller);
/* Compare the library's view of area a (ob, from the observer) with the
 * prediction; when: "created", "changed", "looked up", "check". */
int sh_vm_compare(const struct shadow *sh, const struct sh_area *a,
		  const struct sh_area_obs *ob, const char *when,
		  struct sh_fail *f);
/* The model's area starting at start (if it still has one) against the
 * library's area there. */
int sh_vm_check_at(struct shadow *sh, vaddr_t start, const char *when,
		   struct sh_fail *f);
/* The area containing va (a lookup by address), if the model has one. */
int sh_vm_check_lookup(struct shadow *sh, vaddr_t va, struct sh_fail *f);

#endif
