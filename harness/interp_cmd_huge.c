/* The huge-mapping commands (issue 15): ioremap, iounmap and
 * vmalloc_huge, each run on the library and then judged by the shadow
 * (shadow_ioremap / shadow_iounmap; vmalloc_huge through shadow_alloc
 * with SH_E_VMALLOC_HUGE, harness/shadow/shadow.h). The data commands
 * work on their handles like on any other (interp_cmd.c).
 *
 * An ioremap handle is the area's page-aligned start and the bytes mapped
 * (PAGE_ALIGN(size + phys's page offset)), with a guard page: offsets of
 * read/write/access count from the area's start; the trace shows the
 * address ioremap returned (the page offset kept). */
#include "interp_internal.h"

int interp_do_ioremap(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_machine *m = r->m;
	uint64_t ps = m->page_size, off = a->phys & (ps - 1);
	vaddr_t addr;

	if (handle_table_full(r)) {
		interp_res(r, " table full");
		return 0;
	}
	addr = __ioremap(m, a->phys, a->size, a->prot);
	interp_res_addr(r, "addr", addr);
	if (SH_CALL(r, shadow_ioremap(r->sh, a->phys, a->size, a->prot, addr, &r->sfail)))
		return -1;
	if (addr)
		handle_add_live(r, HK_IOREMAP, addr & ~(ps - 1),
				(a->size + off + ps - 1) & ~(ps - 1), true);
	return 0;
}

int interp_do_iounmap(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_live(r, a->handle);
	vaddr_t addr;
	int ret;

	/* Any live handle: iounmap of a vmalloc'ed area is vunmap's
	 * wrong-kind refusal, of a vmap'ed one an ordinary vunmap. */
	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	addr = h->addr;
	ret = iounmap(r->m, addr);
	interp_res(r, " ret=%d", ret);
	if (SH_CALL(r, shadow_iounmap(r->sh, addr, ret, &r->sfail)))
		return -1;
	if (ret == 0 && is_vmalloc_addr(r->m, addr))
		return interp_handle_gone(r, h);
	return 0;
}

/* vmalloc_huge(size, node): an HK_VMALLOC handle like vmalloc_node's (the
 * handle's size is the size asked; a huge area maps more, up to its
 * PMD-rounded size, which the shadow knows from its own model). */
int interp_do_vmalloc_huge(struct vmf_runner *r, const struct vmf_args *a)
{
	struct sh_alloc_req q;
	vaddr_t addr;

	if (handle_table_full(r)) {
		interp_res(r, " table full");
		return 0;
	}
	interp_alloc_req(a, SH_E_VMALLOC_HUGE, &q);
	addr = vmalloc_huge(r->m, a->size, a->node);
	interp_res_addr(r, "addr", addr);
	if (SH_CALL(r, shadow_alloc(r->sh, &q, addr, &r->sfail)))
		return -1;
	if (addr)
		handle_add_live(r, HK_VMALLOC, addr, a->size, true);
	return 0;
}
