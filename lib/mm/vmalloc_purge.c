/* Lazy freeing of vmap areas and the purge (Linux 4.19).
 *
 * A freed area's page-table entries are cleared at once, but its TLB
 * entries may live on: the area stays in the busy tree (VM_LAZY_FREE) so
 * that its addresses are not handed out again, and goes on the purge
 * list. Once more than lazy_max_pages pages wait (or an allocation finds
 * no room, or someone asks), one flush_tlb_kernel_range() covers every
 * waiting area and they all leave the tree. One flush for many frees is
 * the whole point: flushes are expensive, vmalloc space is plentiful.
 *
 * Invariants (vm_check): vmap_lazy_nr == the pages of the areas on the
 * purge list; those areas and only those carry VM_LAZY_FREE; none of
 * their pages is mapped. */
#include "vmalloc_internal.h"

void free_vmap_area_noflush(struct vmf_machine *m, struct vmap_area *va)
{
	struct vmalloc_state *vs = m->vm;

	vs->vmap_lazy_nr += (va->va_end - va->va_start) >> m->page_shift;
#if defined(VMF_PLANT_LAZY_FREE_SHRINKS_END)
	/* PLANT LAZY_FREE_SHRINKS_END: a lazily freed area of more than two
	 * pages loses its last page from va_end once it is counted. */
	if (va->va_end - va->va_start > 2 * m->page_size)
		va->va_end -= m->page_size;
#endif
	/* llist_add: the newest goes first. */
	vlist_add_after(&va->purge_list, &vs->purge);
	vs->nr_lazy++;
	/* try_purge_vmap_area_lazy(): mutex_trylock(&vmap_purge_lock) fails
	 * while a purge holds it (a vmap block retired by
	 * purge_fragmented_blocks under the lock is freed here), and then
	 * nothing happens. */
	if (vs->vmap_lazy_nr > m->cfg.lazy_max_pages && !vs->purge_lock_held)
		__purge_vmap_area_lazy(m, ~0ull, 0);
}

bool __purge_vmap_area_lazy(struct vmf_machine *m, vaddr_t start,
			    vaddr_t end)
{
	struct vmalloc_state *vs = m->vm;
	struct list_link list, *l;

	vs->nr_purge_calls++;
	if (vlist_empty(&vs->purge))
		return false; /* nothing to do: no flush either */

	/* llist_del_all(): take the whole list, keeping its order. */
	list.next = vs->purge.next;
	list.prev = vs->purge.prev;
	list.next->prev = &list;
	list.prev->next = &list;
	vlist_init(&vs->purge);

	for (l = list.next; l != &list; l = l->next) {
		struct vmap_area *va = va_of_purge(l);

		if (va->va_start < start)
			start = va->va_start;
		if (va->va_end > end)
			end = va->va_end;
	}

	/* One flush over the whole span, gaps included, BEFORE any of the
	 * addresses can be handed out again. */
	vs->nr_purges++;
#if defined(VMF_PLANT_PURGE_NO_FLUSH)
	/* PLANT PURGE_NO_FLUSH: the areas are released without a flush. */
	(void)start;
	(void)end;
#elif defined(VMF_PLANT_FLUSH_MISSES_LAST_PAGE)
	/* PLANT FLUSH_MISSES_LAST_PAGE: the flush ends one page short. */
	flush_tlb_kernel_range(m, start, end - m->page_size);
#else
	flush_tlb_kernel_range(m, start, end);
#endif

	/* Release in list order: newest freed first. */
	while (!vlist_empty(&list)) {
		struct vmap_area *va = va_of_purge(list.next);
		uint64_t nr = (va->va_end - va->va_start) >> m->page_shift;

		vlist_del(&va->purge_list);
		vs->nr_lazy--;
		__free_vmap_area(m, va);
#if defined(VMF_PLANT_LAZY_COUNT_NOT_DECREASED)
		/* PLANT LAZY_COUNT_NOT_DECREASED: vmap_lazy_nr keeps the pages. */
		(void)nr;
#else
		vs->vmap_lazy_nr -= nr;
#endif
	}
	return true;
}

/* 4.19 purge_vmap_area_lazy(): the fragmented vmap blocks first (they
 * join the purge list), then the purge. An overflow in alloc_vmap_area
 * comes here too; the threshold purge of free_vmap_area_noflush does not
 * (try_purge_vmap_area_lazy). */
void purge_vmap_area_lazy(struct vmf_machine *m)
{
	if (!m->vm)
		return;
	m->vm->purge_lock_held = true; /* mutex_lock(&vmap_purge_lock) */
	purge_fragmented_blocks_allcpus(m);
	__purge_vmap_area_lazy(m, ~0ull, 0);
	m->vm->purge_lock_held = false;
}
