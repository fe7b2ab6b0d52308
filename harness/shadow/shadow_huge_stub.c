/* TEMPORARY: replaced by the shadow's prediction at merge.
 *
 * The lib side of issue 15 declares the contract's two shadow entry points
 * (harness/shadow/shadow.h) so that the interpreter links; the shadow side
 * writes the prediction in parallel. Until the merge these accept anything
 * and shadow_huge_ready() says false: the interpreter then leaves ioremap
 * and iounmap unrun (the shadow's other checks would disagree with any
 * program that ran them). At the merge this file and the
 * shadow_huge_ready() call in harness/interp_cmd_huge.c go. */
#include "shadow.h"

int shadow_ioremap(struct shadow *sh, phys_addr_t phys, uint64_t size,
		   uint64_t prot, vaddr_t observed, struct sh_fail *f)
{
	(void)sh, (void)phys, (void)size, (void)prot, (void)observed, (void)f;
	return 0;
}

int shadow_iounmap(struct shadow *sh, vaddr_t addr, long observed,
		   struct sh_fail *f)
{
	(void)sh, (void)addr, (void)observed, (void)f;
	return 0;
}

bool shadow_huge_ready(const struct shadow *sh)
{
	(void)sh;
	return false;
}
