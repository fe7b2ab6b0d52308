/* What a stale TLB entry gives (hole 12): the frame and the bytes.
 *
 * After vfree/vunmap the area's leaves are cleared but, until the purge
 * flushes its range, the TLB may still hold entries filled while it was
 * mapped (the window the lazy scheme leaves open; shadow_access.c allows
 * a hit there). Such an entry names a definite frame: the one page i's
 * leaf named, which the lazy area keeps in its pfns (shadow_vm.c
 * sh_vunmap_area) until the purge releases it. The access's output
 * address must be that frame at the same offset, and its permissions are
 * the old leaf's (the entry caches the descriptor).
 *
 * The bytes are that frame's current content, which the area no longer
 * decides (4.19 __vunmap frees the pages right after remove_vm_area: the
 * use-after-free shape of a lazily freed area whose pages were reused):
 *  - a frame a mapped area holds now (a new vmalloc, vmap, vm_map_ram
 *    carve): that area's expected bytes at the frame's page;
 *  - a frame that went back to the buddy allocator and that nothing the
 *    shadow cannot name took since: PAGE_POISON (page_alloc poisons on
 *    free; a failed vmalloc that took it gave it back poisoned again).
 *    The only allocation that stays unnamed is a page-table page
 *    (zeroed, then descriptors): once one was taken after the frame's
 *    free, the frame may be that table, and its bytes are unknown;
 *  - anything else (a frame still owned with no mapped holder: a leaked
 *    page of remove_vm_area, a harness page of `fragment`, a vmalloc
 *    area whose pfns the shadow could not record): unknown.
 * An ioremap area's stale entry reaches phys + offset; device memory and
 * the harness's own frames behind it are not modelled, so its bytes are
 * not compared. A lazily freed vmap block (its carves gone) keeps no
 * pfns: nothing is predicted there.
 *
 * Invariant: nothing here changes the model; stale hits are rare, so the
 * holder search is a plain scan. */
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

#define SH_POISON 0xaa /* include/linux/poison.h PAGE_POISON */

/* The mapped area of b holding frame pfn, and the page it sits at. */
static const struct sh_area *holder_in(const struct sh_busy *b, pfn_t pfn,
				       uint64_t *page)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct sh_area *a = &b->a[i];

		if (!a->mapped || !a->pfns ||
		    (a->state != SH_LIVE && a->state != SH_DEFERRED) ||
		    (!sh_kind_caller_pages(a->kind) && !a->pfns_known))
			continue;
		for (uint64_t j = 0; j < a->nr_pages; j++)
			if (a->pfns[j] == pfn) {
				*page = j;
				return a;
			}
	}
	return NULL;
}

void sh_frame_now(struct shadow *sh, pfn_t pfn, uint64_t in, size_t n,
		  uint8_t *val, uint8_t *known)
{
	const struct sh_phys *p = &sh->phys;
	const struct sh_area *h;
	uint64_t idx = pfn - p->base_pfn, j = 0;
	uint8_t own;

	memset(val, 0, n);
	memset(known, 0, n);
	if (pfn < p->base_pfn || idx >= p->nr_frames)
		return;
	own = p->owner[idx];
	if ((own & ~(SH_OWN_LISTED | SH_FRAME_FREED)) == SH_OWN_NONE) {
		if ((own & SH_FRAME_FREED) &&
		    p->freed_at[idx] == p->tables_taken) {
			memset(val, SH_POISON, n);
			memset(known, 1, n);
		}
		return;
	}
	h = holder_in(&sh->busy, pfn, &j);
	if (!h)
		h = holder_in(&sh->carves, pfn, &j);
	if (h)
		sh_expect_read(sh, h, (j << sh->page_shift) + in, n, val, known);
}

/* The frame (pa) the stale entry must reach at va of the lazy area a;
 * false when the model does not know it. */
static bool stale_frame(const struct shadow *sh, const struct sh_area *a,
			vaddr_t va, phys_addr_t *pa, pfn_t *pfn)
{
	uint64_t i = (va - a->start) >> sh->page_shift;

	if (a->iomap) {
		*pa = a->phys + (va - a->start);
		return true;
	}
	if (!a->pfns || i >= a->nr_pages ||
	    (!sh_kind_caller_pages(a->kind) && !a->pfns_known))
		return false;
	*pfn = a->pfns[i];
	*pa = (*pfn << sh->page_shift) + (va & (sh->page_size - 1));
	return true;
}

int sh_stale_access(struct shadow *sh, const struct sh_access *x,
		    struct sh_fail *f)
{
	const struct mmu_result *r = &x->res;
	const struct sh_area *a = sh_busy_containing(&sh->busy, x->va);
	enum mmu_fault want_fault;
	phys_addr_t want = 0;
	pfn_t pfn = 0;
	uint8_t val[VMF_MAX_ACCESS_PIECE], known[VMF_MAX_ACCESS_PIECE];
	size_t n = x->len;

	if (!a || a->state != SH_LAZY || !stale_frame(sh, a, x->va, &want, &pfn))
		return 0;
	/* The entry caches the old leaf: its permissions decide; a data
	 * access to no RAM (an ioremap of device space) aborts (mmu_copy). */
	want_fault = sh_leaf_perm(a->prot, x->acc, x->el);
	if (want_fault == MMU_OK && n &&
	    sh_phys_node_of(&sh->phys, want >> sh->page_shift) < 0)
		want_fault = MMU_FAULT_EXTERNAL;
	if (r->fault != want_fault)
		return sh_fail(f, "access",
			       "EL%d access at 0x%llx through a stale TLB entry "
			       "of the freed area at 0x%llx: its leaf's "
			       "attributes (prot 0x%llx) give fault %d, the "
			       "MMU gave fault %d",
			       x->el, (unsigned long long)x->va,
			       (unsigned long long)a->start,
			       (unsigned long long)a->prot, (int)want_fault,
			       (int)r->fault);
	if (r->fault != MMU_OK && r->fault != MMU_FAULT_EXTERNAL)
		return 0;
	if (r->pa != want)
		return sh_fail(f, "frame",
			       "EL%d access at 0x%llx through a stale TLB entry "
			       "of the freed area at 0x%llx went to pa 0x%llx; "
			       "the entry was filled from page %llu's leaf: pa "
			       "0x%llx",
			       x->el, (unsigned long long)x->va,
			       (unsigned long long)a->start,
			       (unsigned long long)r->pa,
			       (unsigned long long)((x->va - a->start) >>
						    sh->page_shift),
			       (unsigned long long)want);
	/* Bytes: a read piece (one page at most) that moved everything. */
	if (r->fault != MMU_OK || a->iomap || x->acc != ACC_READ || !n ||
	    x->done != n || n > sizeof(val))
		return 0;
	sh_frame_now(sh, pfn, x->va & (sh->page_size - 1), n, val, known);
	for (size_t i = 0; i < n; i++)
		if (known[i] && val[i] != x->buf[i])
			return sh_fail(f, "data",
				       "byte at 0x%llx, read through a stale TLB "
				       "entry of the freed area at 0x%llx (pfn "
				       "0x%llx, offset 0x%llx), reads 0x%02x; the "
				       "frame holds 0x%02x now",
				       (unsigned long long)(x->va + i),
				       (unsigned long long)a->start,
				       (unsigned long long)pfn,
				       (unsigned long long)((x->va + i) &
							    (sh->page_size - 1)),
				       x->buf[i], val[i]);
	return 0;
}
