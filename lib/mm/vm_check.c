/* vm_check: the whole-state consistency checker of the vmalloc layer.
 *
 * It reads (never writes) the allocator, the page tables (walks only, the
 * TLB is not touched) and the page descriptors, and stops at the first
 * broken invariant with a one-line reason:
 *  1. the busy tree is a valid red-black tree ordered by address
 *     (rb_check), the busy list holds the same areas in the same order,
 *     nr_busy of them, each non-empty, page aligned, none overlapping;
 *  2. an area is live (VM_VM_AREA, with its vm_struct), lazily freed
 *     (VM_LAZY_FREE, no vm_struct) or bare (neither); VM_DEFERRED only on
 *     live areas;
 *  3. a live area lies in the vmalloc window and carries its guard page
 *     unless VM_NO_GUARD; its first nr_mapped pages are mapped, each of
 *     its nr_pages pages to the page its page array records, everything
 *     else in it (the guard page included) is unmapped; its page array
 *     is reachable; a nested page-array area belongs to a live owner;
 *     a huge area (page_order) is whole PMD steps at a PMD-aligned
 *     address, each step one split high-order page, mapped by a block
 *     of exactly its frames or by PTEs (vmalloc_huge.c);
 *  4. a lazily freed area has no page mapped;
 *  5. the purge list holds exactly the lazily freed areas and
 *     vmap_lazy_nr counts their pages; the deferred lists hold exactly
 *     the VM_DEFERRED areas, nr_deferred of them per CPU;
 *  6. the placement policy's own invariants (legacy: the cache is NULL or
 *     an area of the tree);
 *  7. vmap blocks and vm_map_ram areas (vmap_block_check.c): counts
 *     against a recount, queue membership, no overlap, carved live pages
 *     mapped, dirty and free pages not; a plain vm_map_ram area mapped
 *     whole;
 *  8. pages: OWNER_VMALLOC pages == the live areas' nr_pages (deferred
 *     areas are live until their work runs) + the pages remove_vm_area
 *     handed to callers (leaked_pages), OWNER_PGTABLE pages ==
 *     mmu_pgtable_pages(), and page_alloc_check() passes. */
#include <stdio.h>
#include <string.h>

#include "vmalloc_internal.h"

#define FAIL(...)                                                            \
	do {                                                                 \
		if (why && why_len)                                          \
			snprintf(why, why_len, __VA_ARGS__);                 \
		return -1;                                                   \
	} while (0)

#define VA_FMT "[0x%016llx, 0x%016llx)"
#define VA_ARGS(va)                                                          \
	(unsigned long long)(va)->va_start, (unsigned long long)(va)->va_end

struct check_totals {
	uint64_t nr_lazy, lazy_pages, nr_deferred, vmalloc_pages;
};

static int cmp_va(const struct rb_node *a, const struct rb_node *b)
{
	vaddr_t x = va_of_rb(a)->va_start, y = va_of_rb(b)->va_start;

	return x < y ? -1 : x > y;
}

#define CHECK_RUN 64 /* pages looked up at once */

static int check_live(struct vmf_machine *m, struct vmap_area *va,
		      struct check_totals *t, char *why, size_t why_len)
{
	const struct vm_struct *vm = va->vm;
	uint64_t page = m->page_size, size = va->va_end - va->va_start;
	uint64_t npages = size >> m->page_shift, guard, nr_array;
	struct vm_page_cursor cur;
	struct mmu_leaf leaf[CHECK_RUN];

	if (!vm)
		FAIL("area " VA_FMT ": VM_VM_AREA without a vm_struct",
		     VA_ARGS(va));
	if (vm->addr != va->va_start || vm->size != size)
		FAIL("area " VA_FMT ": vm_struct says [0x%016llx, +0x%llx)",
		     VA_ARGS(va), (unsigned long long)vm->addr,
		     (unsigned long long)vm->size);
	if (va->va_start < m->cfg.vmalloc_start ||
	    va->va_end > m->cfg.vmalloc_end)
		FAIL("area " VA_FMT ": outside the vmalloc window", VA_ARGS(va));
	guard = (vm->flags & VM_NO_GUARD) ? 0 : 1;
	if ((uint64_t)vm->nr_mapped + guard > npages ||
	    (uint64_t)vm->nr_pages + guard > npages)
		FAIL("area " VA_FMT ": %u pages mapped, %u in the array, %s "
		     "guard page: more than its %llu pages", VA_ARGS(va),
		     vm->nr_mapped, vm->nr_pages, guard ? "a" : "no",
		     (unsigned long long)npages);
	if (vm->nr_pages && !vm->pages && !vm->pages_va)
		FAIL("area " VA_FMT ": %u pages but no page array", VA_ARGS(va),
		     vm->nr_pages);
	if (vm->pages && vm->pages_va)
		FAIL("area " VA_FMT ": two page arrays", VA_ARGS(va));
	if (vm->pages_va && !vm_page_array_area(m, vm))
		FAIL("area " VA_FMT ": nested page array at 0x%016llx is gone",
		     VA_ARGS(va), (unsigned long long)vm->pages_va);
	if (vm->array_of) {
		const struct vm_struct *owner = find_vm_area(m, vm->array_of);

		if (!owner || owner->addr != vm->array_of ||
		    owner->pages_va != va->va_start)
			FAIL("area " VA_FMT ": page array of 0x%016llx, which "
			     "does not point back at it", VA_ARGS(va),
			     (unsigned long long)vm->array_of);
	}
	/* Past the mapped pages (guard page included) nothing is mapped:
	 * one range probe, since get_vm_area and early areas may span the
	 * whole window. */
	{
		vaddr_t from = va->va_start + (uint64_t)vm->nr_mapped * page, a;

		if (mmu_range_mapped(m, from, va->va_end, &a))
			FAIL("area " VA_FMT ": page %llu (0x%016llx) is "
			     "mapped, beyond the %u mapped pages%s",
			     VA_ARGS(va),
			     (unsigned long long)((a - va->va_start) / page),
			     (unsigned long long)a, vm->nr_mapped,
			     a + page == va->va_end && guard ? " (guard page)"
							     : "");
	}
	nr_array = vm->nr_pages < vm->nr_mapped ? vm->nr_pages : vm->nr_mapped;
	vm_page_cursor_init(&cur, vm);
	for (uint64_t i = 0, run = 0, run_n = 0; i < nr_array; i++) {
		vaddr_t a = va->va_start + i * page;
		const struct mmu_leaf *lf;
		pfn_t pfn;

		/* The walk once per last-level table, CHECK_RUN pages at a
		 * time. */
		if (i >= run + run_n) {
			run = i;
			run_n = nr_array - i < CHECK_RUN ?
					nr_array - i : CHECK_RUN;
			if (!mmu_lookup_range(m, a, (size_t)run_n, leaf))
				FAIL("area " VA_FMT ": page %llu (0x%016llx) "
				     "cannot be looked up", VA_ARGS(va),
				     (unsigned long long)i,
				     (unsigned long long)a);
		}
		lf = &leaf[i - run];
		pfn = lf->pa >> m->page_shift;
		if (!lf->mapped)
			FAIL("area " VA_FMT ": page %llu (0x%016llx) is not "
			     "mapped", VA_ARGS(va), (unsigned long long)i,
			     (unsigned long long)a);
		{
			struct page *pg =
				vm_page_cursor_get(m, &cur, (unsigned int)i);

			if (!pg)
				FAIL("area " VA_FMT ": page array entry %llu "
				     "is lost", VA_ARGS(va),
				     (unsigned long long)i);
			if (page_to_pfn(m, pg) != pfn)
				FAIL("area " VA_FMT ": page %llu maps pfn "
				     "0x%llx, the array says 0x%llx",
				     VA_ARGS(va), (unsigned long long)i,
				     (unsigned long long)pfn,
				     (unsigned long long)page_to_pfn(m, pg));
		}
	}
	/* Past the page array (ioremap: all of it) every mapped page is
	 * under a valid leaf: one scan, a block counting whole. */
	{
		vaddr_t from = va->va_start + nr_array * page, hole;

		if (nr_array < vm->nr_mapped &&
		    mmu_range_unmapped(m, from,
				       va->va_start + (uint64_t)vm->nr_mapped * page,
				       &hole))
			FAIL("area " VA_FMT ": page %llu (0x%016llx) is not "
			     "mapped", VA_ARGS(va),
			     (unsigned long long)((hole - va->va_start) / page),
			     (unsigned long long)hole);
	}
	if (vm->page_order && vmalloc_huge_check(m, vm, why, why_len))
		return -1;
	if (va->flags & VM_DEFERRED)
		t->nr_deferred++;
	t->vmalloc_pages += vm->nr_pages;
	return 0;
}

static int check_lazy(struct vmf_machine *m, struct vmap_area *va,
		      struct check_totals *t, char *why, size_t why_len)
{
	if (va->vm)
		FAIL("lazy area " VA_FMT ": still has a vm_struct", VA_ARGS(va));
	{
		vaddr_t a;

		if (mmu_range_mapped(m, va->va_start, va->va_end, &a))
			FAIL("lazy area " VA_FMT ": 0x%016llx is still mapped",
			     VA_ARGS(va), (unsigned long long)a);
	}
	t->nr_lazy++;
	t->lazy_pages += (va->va_end - va->va_start) >> m->page_shift;
	return 0;
}

static int check_busy(struct vmf_machine *m, struct check_totals *t,
		      char *why, size_t why_len)
{
	struct vmalloc_state *vs = m->vm;
	struct rb_node *n = rb_first(&vs->root);
	struct list_link *l = vs->busy.next;
	struct vmap_area *prev = NULL;
	uint64_t count = 0;
	char sub[160];

	if (rb_check(&vs->root, cmp_va, sub, sizeof(sub)))
		FAIL("busy tree: %s", sub);
	for (; n || l != &vs->busy; n = rb_next(n), l = l->next) {
		struct vmap_area *va;
		unsigned long state;

		if (!n || l == &vs->busy)
			FAIL("busy tree and list differ in length");
		va = va_of_rb(n);
		if (va_of_list(l) != va)
			FAIL("busy list entry %llu is not the tree's",
			     (unsigned long long)count);
		if (l->next->prev != l || l->prev->next != l)
			FAIL("busy list links broken at " VA_FMT, VA_ARGS(va));
		if (++count > vs->nr_busy)
			FAIL("more than nr_busy = %llu busy areas",
			     (unsigned long long)vs->nr_busy);
		if (va->va_start >= va->va_end ||
		    ((va->va_start | va->va_end) & (m->page_size - 1)))
			FAIL("area " VA_FMT ": empty or not page aligned",
			     VA_ARGS(va));
		if (prev && prev->va_end > va->va_start)
			FAIL("areas " VA_FMT " and " VA_FMT " overlap",
			     VA_ARGS(prev), VA_ARGS(va));
		state = va->flags & (VM_VM_AREA | VM_LAZY_FREE);
		if (state == (VM_VM_AREA | VM_LAZY_FREE))
			FAIL("area " VA_FMT ": both live and lazily freed",
			     VA_ARGS(va));
		if ((va->flags & VM_DEFERRED) && !(va->flags & VM_VM_AREA))
			FAIL("area " VA_FMT ": deferred but not live",
			     VA_ARGS(va));
		if (state == VM_VM_AREA && check_live(m, va, t, why, why_len))
			return -1;
		if (state == VM_LAZY_FREE && check_lazy(m, va, t, why, why_len))
			return -1;
		if (!state && (va->flags & (VMAP_RAM | VMAP_BLOCK)) &&
		    vmap_ram_area_check(m, va, why, why_len))
			return -1;
		prev = va;
	}
	if (count != vs->nr_busy)
		FAIL("nr_busy = %llu, recount %llu",
		     (unsigned long long)vs->nr_busy, (unsigned long long)count);
	return 0;
}

/* A list threaded through vmap_area.purge_list whose entries must all
 * carry `flags` and be areas of the tree; count them (bounded, so a
 * cycle cannot hang the checker). */
static int check_va_list(struct vmf_machine *m, const char *name,
			 struct list_link *head, unsigned long flags,
			 uint64_t *nr, uint64_t *pages, char *why,
			 size_t why_len)
{
	uint64_t limit = m->vm->nr_busy;

	*nr = 0;
	*pages = 0;
	for (struct list_link *l = head->next; l != head; l = l->next) {
		struct vmap_area *va = va_of_purge(l);

		if (++*nr > limit)
			FAIL("%s: more entries than busy areas", name);
		if (l->next->prev != l)
			FAIL("%s: links broken", name);
		if ((va->flags & flags) != flags)
			FAIL("%s: area " VA_FMT " lacks flags 0x%lx", name,
			     VA_ARGS(va), flags);
		if (__find_vmap_area(m, va->va_start) != va)
			FAIL("%s: area " VA_FMT " is not in the tree", name,
			     VA_ARGS(va));
		*pages += (va->va_end - va->va_start) >> m->page_shift;
	}
	return 0;
}

static int check_lists(struct vmf_machine *m, const struct check_totals *t,
		       char *why, size_t why_len)
{
	struct vmalloc_state *vs = m->vm;
	uint64_t nr, pages, deferred = 0;

	if (check_va_list(m, "purge list", &vs->purge, VM_LAZY_FREE, &nr,
			  &pages, why, why_len))
		return -1;
	if (nr != vs->nr_lazy || nr != t->nr_lazy)
		FAIL("purge list: %llu entries, nr_lazy %llu, %llu lazy areas "
		     "in the tree", (unsigned long long)nr,
		     (unsigned long long)vs->nr_lazy,
		     (unsigned long long)t->nr_lazy);
	if (pages != vs->vmap_lazy_nr)
		FAIL("vmap_lazy_nr = %llu, the purge list holds %llu pages",
		     (unsigned long long)vs->vmap_lazy_nr,
		     (unsigned long long)pages);
	for (unsigned cpu = 0; cpu < VMF_MAX_CPUS; cpu++) {
		/* names made once, not per check */
		static const char *const names[] = {
			"deferred list 0", "deferred list 1", "deferred list 2",
			"deferred list 3", "deferred list 4", "deferred list 5",
			"deferred list 6", "deferred list 7",
		};
		_Static_assert(sizeof(names) / sizeof(names[0]) == VMF_MAX_CPUS,
			       "a name per deferred list");
		const char *name = names[cpu];

		if (check_va_list(m, name, &vs->deferred[cpu],
				  VM_VM_AREA | VM_DEFERRED, &nr, &pages, why,
				  why_len))
			return -1;
		if (nr != vs->nr_deferred[cpu])
			FAIL("%s: %llu entries, nr_deferred %llu", name,
			     (unsigned long long)nr,
			     (unsigned long long)vs->nr_deferred[cpu]);
		if (nr && cpu >= m->cfg.nr_cpus)
			FAIL("%s: cpu beyond nr_cpus = %u", name,
			     m->cfg.nr_cpus);
		deferred += nr;
	}
	if (deferred != t->nr_deferred)
		FAIL("deferred lists hold %llu areas, %llu are marked deferred",
		     (unsigned long long)deferred,
		     (unsigned long long)t->nr_deferred);
	if (vs->initialized && vs->vmlist)
		FAIL("early areas left on vmlist after vmalloc_init()");
	return 0;
}

static int check_pages(struct vmf_machine *m, const struct check_totals *t,
		       char *why, size_t why_len)
{
	const struct phys_mem *p = &m->phys;
	uint64_t vmalloc_pages = 0, pgtable_pages = 0;

	for (pfn_t idx = 0; idx < p->nr_pages; idx++) {
		const struct page *pg = &p->pages[idx];

		if (!(pg->flags & PG_head))
			continue;
		if (pg->owner == OWNER_VMALLOC)
			vmalloc_pages += 1ull << pg->order;
		else if (pg->owner == OWNER_PGTABLE)
			pgtable_pages += 1ull << pg->order;
	}
	if (vmalloc_pages != t->vmalloc_pages + m->vm->leaked_pages)
		FAIL("%llu OWNER_VMALLOC pages allocated, the live areas hold "
		     "%llu and %llu were handed out by remove_vm_area",
		     (unsigned long long)vmalloc_pages,
		     (unsigned long long)t->vmalloc_pages,
		     (unsigned long long)m->vm->leaked_pages);
	if (pgtable_pages != mmu_pgtable_pages(m))
		FAIL("%llu OWNER_PGTABLE pages allocated, the MMU counts %llu",
		     (unsigned long long)pgtable_pages,
		     (unsigned long long)mmu_pgtable_pages(m));
	return page_alloc_check(m, why, why_len);
}

int vm_check(struct vmf_machine *m, char *why, size_t why_len)
{
	struct check_totals t;

	memset(&t, 0, sizeof(t));
	if (!m->vm)
		FAIL("no vmalloc state");
	if (m->vm->initialized && !m->vm->place_priv)
		FAIL("placement policy %s has no state", m->vm->place->name);
	if (check_busy(m, &t, why, why_len) || check_lists(m, &t, why, why_len))
		return -1;
	if (m->vm->place_priv && m->vm->place->check &&
	    m->vm->place->check(m, m->vm->place_priv, why, why_len))
		return -1;
	if (vmap_blocks_check(m, why, why_len))
		return -1;
	return check_pages(m, &t, why, why_len);
}
