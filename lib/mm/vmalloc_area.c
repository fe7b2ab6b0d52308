/* The vm_struct level of vmalloc (Linux 4.19 semantics, hardened):
 * __get_vm_area_node and friends, the vmalloc family with its page array
 * and failure paths, the vfree family with per-CPU deferred frees, vmap,
 * early areas and vmalloc_init.
 *
 * Hardened behaviour (docs/vmalloc.md): every refused call records exactly
 * one warning and returns before it allocates anything or asks a fault
 * site anything, so a refusal changes no state at all.
 *
 * Page arrays and map_vm_area live in vmalloc_pages.c.
 *
 * Deferred frees: the kernel threads its per-CPU llist through the freed
 * memory itself. The model keeps the link in the vmap_area instead
 * (vmap_area.purge_list, flag VM_DEFERRED): a caller writing to memory it
 * has freed must not be able to corrupt the allocator's own lists. */
#include <string.h>

#include "kernel/util.h"
#include "vmalloc_internal.h"

/* SHMLBA on arm64 (arch/arm64/include/asm/shmparam.h: 4 * 4K for compat
 * tasks only; the native value, used by vmalloc_user, is PAGE_SIZE). */
#define SHMLBA(m) ((m)->page_size)

/* ---- argument checks ----------------------------------------------------- */

static int refuse(struct vmf_machine *m, enum vmf_warn_kind kind,
		  const char *fn, const char *what)
{
	vmf_warn(m, kind, "%s: %s", fn, what);
	return -VMF_EINVAL;
}

/* The checks of __vmalloc_node_range / __get_vm_area_node, in the
 * documented order: size, align, range, node / gfp / flags, context. */
static int check_area_args_cap(struct vmf_machine *m, const char *fn,
			       uint64_t size, uint64_t align, vaddr_t start,
			       vaddr_t end, int node, gfp_t gfp,
			       unsigned long vm_flags, bool cap)
{
	/* PAGE_ALIGN() that wraps gives 0 too. */
	uint64_t aligned = vmf_page_align(m, size);

	if (aligned == 0 ||
	    (cap && (aligned >> m->page_shift) > totalram_pages(m))) {
		vmf_warn(m, WARN_VMALLOC_BAD_SIZE,
			 "%s: size 0x%llx is zero, wraps or is above totalram "
			 "(%llu pages)", fn, (unsigned long long)size,
			 (unsigned long long)totalram_pages(m));
		return -VMF_EINVAL;
	}
	if (vmalloc_check_common(m, fn, align, start, end, node, gfp))
		return -VMF_EINVAL;
	if (vm_flags & ~VM_FLAGS_MASK) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "%s: vm_flags 0x%lx has unknown bits", fn, vm_flags);
		return -VMF_EINVAL;
	}
	/* BUG_ON(in_interrupt()) in __get_vm_area_node. */
	if (m->in_interrupt)
		return refuse(m, WARN_VMALLOC_BAD_ARG, fn,
			      "BUG: called in interrupt context");
	if (!m->vm->initialized)
		return refuse(m, WARN_VMALLOC_BAD_ARG, fn,
			      "called before vmalloc_init()");
	return 0;
}

int check_area_args(struct vmf_machine *m, const char *fn, uint64_t size,
		    uint64_t align, vaddr_t start, vaddr_t end, int node,
		    gfp_t gfp, unsigned long vm_flags)
{
	return check_area_args_cap(m, fn, size, align, start, end, node, gfp,
				   vm_flags, true);
}

/* ---- __get_vm_area_node ---------------------------------------------------- */

struct vm_struct *get_vm_area_nocheck(struct vmf_machine *m, uint64_t size,
				      uint64_t align, unsigned long flags,
				      vaddr_t start, vaddr_t end, int node,
				      gfp_t gfp, const char *caller)
{
	struct vm_struct *area;
	struct vmap_area *va;
	int err;

	/* As the seed (and the notes): fls() of the size as passed, before
	 * PAGE_ALIGN, clamped to [PAGE_SHIFT, IOREMAP_MAX_ORDER]. 4.19
	 * itself aligns first and uses get_count_order_long()
	 * (docs/vmalloc.md "VM_IOREMAP alignment"). */
	if (flags & VM_IOREMAP) {
		unsigned order = fls64_u(size);

		if (order < m->page_shift)
			order = m->page_shift;
		if (order > ioremap_max_order(m))
			order = ioremap_max_order(m);
		align = 1ull << order;
	}
	size = vmf_page_align(m, size);

	area = kzalloc(m, sizeof(*area), gfp & GFP_RECLAIM_MASK);
	if (!area)
		return NULL;
#if defined(VMF_PLANT_GUARD_MISSING)
	/* PLANT GUARD_MISSING: no guard page is added. */
#else
	if (!(flags & VM_NO_GUARD))
		size += m->page_size;
#endif
	va = __alloc_vmap_area(m, size, align, start, end, node, gfp, &err);
	if (!va) {
		kfree(m, area);
		return NULL;
	}
	/* setup_vmalloc_vm() */
	area->flags = flags;
	area->addr = va->va_start;
	area->size = va->va_end - va->va_start;
	area->caller = caller;
	va->vm = area;
	va->flags |= VM_VM_AREA;
	return area;
}

struct vm_struct *__get_vm_area_node(struct vmf_machine *m, uint64_t size,
				     uint64_t align, unsigned long flags,
				     vaddr_t start, vaddr_t end, int node,
				     gfp_t gfp, const char *caller)
{
	if (check_area_args(m, "__get_vm_area_node", size, align, start, end,
			    node, gfp, flags))
		return NULL;
	return get_vm_area_nocheck(m, size, align, flags, start, end, node, gfp,
				   caller);
}

/* ioremap's get_vm_area_caller(size, VM_IOREMAP): every check but the
 * model's totalram cap, which 4.19's __get_vm_area_node does not have and
 * which would make device ranges larger than RAM (a PUD block, a 64K
 * granule's 512 MiB PMD block) unmappable. No pages are allocated. */
struct vm_struct *get_vm_area_ioremap(struct vmf_machine *m, uint64_t size,
				      const char *caller)
{
	vaddr_t start = m->cfg.vmalloc_start, end = m->cfg.vmalloc_end;

	if (check_area_args_cap(m, "__get_vm_area_node", size, 1, start, end,
				NUMA_NO_NODE, GFP_KERNEL, VM_IOREMAP, false))
		return NULL;
	return get_vm_area_nocheck(m, size, 1, VM_IOREMAP, start, end,
				   NUMA_NO_NODE, GFP_KERNEL, caller);
}

struct vm_struct *get_vm_area(struct vmf_machine *m, uint64_t size,
			      unsigned long flags)
{
	return __get_vm_area_node(m, size, 1, flags, m->cfg.vmalloc_start,
				  m->cfg.vmalloc_end, NUMA_NO_NODE, GFP_KERNEL,
				  "get_vm_area");
}

struct vm_struct *find_vm_area(struct vmf_machine *m, vaddr_t addr)
{
	struct vmap_area *va = __find_vmap_area(m, addr);

	return va && (va->flags & VM_VM_AREA) ? va->vm : NULL;
}

/* ---- taking an area out of use ------------------------------------------ */

/* remove_vm_area() after the lookup: the area becomes lazily freed. Its
 * PTEs go now, its TLB entries at the next purge. va may be freed by the
 * time this returns (a purge past the threshold): do not touch it. */
void remove_vmap_area_lazy(struct vmf_machine *m, struct vmap_area *va)
{
	uint64_t len = va->va_end - va->va_start;

#if defined(VMF_PLANT_UNMAP_SKIPS_LAST_PAGE)
	/* PLANT UNMAP_SKIPS_LAST_PAGE: the last data page stays mapped. */
	if (va->vm) {
		uint64_t data = get_vm_area_size(m, va->vm);
		len = data > m->page_size ? data - m->page_size : 0;
	}
#endif
#if defined(VMF_PLANT_HUGE_VFREE_KEEPS_BLOCK)
	/* PLANT HUGE_VFREE_KEEPS_BLOCK: a huge area's unmap clears only the
	 * PTE level past its blocks (the guard page): the PMD blocks stay. */
	if (va->vm && va->vm->page_order) {
		uint64_t data = get_vm_area_size(m, va->vm);

		mmu_unmap_range(m, va->va_start + data, len - data);
		len = 0;
	}
#endif
	va->vm = NULL;
	va->flags &= ~VM_VM_AREA;
	va->flags |= VM_LAZY_FREE;
	/* free_unmap_vmap_area(): clear the PTEs of the whole area, guard
	 * page included, without a TLB flush. */
	if (len)
		mmu_unmap_range(m, va->va_start, len);
#if defined(VMF_PLANT_UNMAP_CLEARS_NEXT_PAGE)
	/* PLANT UNMAP_CLEARS_NEXT_PAGE: the unmap runs one page past the
	 * area's end, into whatever follows it. */
	if (len && va->va_end < m->cfg.vmalloc_end)
		mmu_unmap_range(m, va->va_end, m->page_size);
#endif
#if defined(VMF_PLANT_UNMAP_REMAPS_WINDOW_HEAD)
	/* PLANT UNMAP_REMAPS_WINDOW_HEAD: a page-table update of the unmap
	 * goes to the window's base (VMALLOC_START where the area's start
	 * was meant) and takes the next pfn: the live area there, far from
	 * the freed one, now maps the frame after its own. */
	{
		vaddr_t head = m->cfg.vmalloc_start;
		uint64_t desc, oa = ((1ull << 48) - 1) & ~(m->page_size - 1);
		int level;
		pfn_t next;

		if (len && va->va_start != head &&
		    mmu_lookup(m, head, &desc, &level, NULL) && level == 3) {
			next = ((desc & oa) >> m->page_shift) + 1;
			mmu_unmap_range(m, head, m->page_size);
			mmu_map_pages(m, head, &next, 1, desc & ~oa);
		}
	}
#endif
	free_vmap_area_noflush(m, va);
}

enum free_kind { FREE_VFREE, FREE_VUNMAP, FREE_REMOVE };

/* The checks of the free family, in the documented order; returns the
 * area to free or NULL after exactly one warning. Read-only. */
static struct vmap_area *free_lookup(struct vmf_machine *m, vaddr_t addr,
				     enum free_kind kind, const char *fn)
{
	struct vmap_area *va;
	struct vm_struct *vm;

	if (addr & (m->page_size - 1)) {
		vmf_warn(m, WARN_VFREE_BAD_ADDR,
			 "%s: Trying to vfree() bad address (0x%016llx)", fn,
			 (unsigned long long)addr);
		return NULL;
	}
	va = __find_vmap_area(m, addr);
	if (!va) {
		vmf_warn(m, WARN_VFREE_NONEXISTENT,
			 "%s: Trying to vfree() nonexistent vm area "
			 "(0x%016llx)", fn, (unsigned long long)addr);
		return NULL;
	}
	if (va->va_start != addr) {
		/* 4.19 would free the whole area: refused here. */
		vmf_warn(m, WARN_VFREE_INTERIOR,
			 "%s: Trying to vfree() 0x%016llx inside vm area "
			 "[0x%016llx, 0x%016llx)", fn, (unsigned long long)addr,
			 (unsigned long long)va->va_start,
			 (unsigned long long)va->va_end);
		return NULL;
	}
	if (va->flags & (VM_LAZY_FREE | VM_DEFERRED)) {
		vmf_warn(m, WARN_VFREE_DOUBLE,
			 "%s: Trying to vfree() vm area 0x%016llx again (%s)",
			 fn, (unsigned long long)addr,
			 (va->flags & VM_DEFERRED) ? "free deferred" :
						     "lazily freed");
		return NULL;
	}
	if (!(va->flags & VM_VM_AREA) || !va->vm) {
		/* A bare vmap_area (alloc_vmap_area): 4.19 finds no vm. */
		vmf_warn(m, WARN_VFREE_NONEXISTENT,
			 "%s: Trying to vfree() nonexistent vm area "
			 "(0x%016llx)", fn, (unsigned long long)addr);
		return NULL;
	}
	vm = va->vm;
	if (vm->array_of) {
		vmf_warn(m, WARN_VFREE_WRONG_KIND,
			 "%s: 0x%016llx holds the page array of the area at "
			 "0x%016llx: it goes with that area", fn,
			 (unsigned long long)addr,
			 (unsigned long long)vm->array_of);
		return NULL;
	}
	if (kind == FREE_VFREE && !(vm->flags & VM_ALLOC)) {
		vmf_warn(m, WARN_VFREE_WRONG_KIND,
			 "%s: 0x%016llx was not vmalloc'ed (flags 0x%lx)", fn,
			 (unsigned long long)addr, vm->flags);
		return NULL;
	}
	if (kind == FREE_VUNMAP && (vm->flags & VM_ALLOC)) {
		vmf_warn(m, WARN_VFREE_WRONG_KIND,
			 "vunmap: 0x%016llx was vmalloc'ed: vfree() it",
			 (unsigned long long)addr);
		return NULL;
	}
	/* remove_vm_area / free_vm_area take any live area, as in 4.19: a
	 * vmalloc'ed one leaves its pages to the caller (hand_out_area). */
	return va;
}

/* kvfree(area->pages) */
static void free_page_array(struct vmf_machine *m, struct vm_struct *vm)
{
	if (vm->pages) {
		kfree(m, vm->pages);
	} else if (vm->pages_va) {
		struct vm_struct *nested = vm_page_array_area(m, vm);

		if (nested)
			__vunmap_area(m, __find_vmap_area(m, nested->addr), true);
	}
	vm->pages = NULL;
	vm->pages_va = 0;
}

/* __vunmap() after the checks: remove the area (lazily), free its pages
 * and page array, free the vm_struct. */
void __vunmap_area(struct vmf_machine *m, struct vmap_area *va,
		   bool deallocate_pages)
{
	struct vm_struct *vm = va->vm;

	remove_vmap_area_lazy(m, va); /* va may be gone after this */
	if (deallocate_pages) {
		struct vm_page_cursor cur;

		vm_page_cursor_init(&cur, vm);
		for (unsigned int i = 0; i < vm->nr_pages; i++) {
			struct page *pg = vm_page_cursor_get(m, &cur, i);

			/* BUG_ON(!page): a lost entry leaks its page, which
			 * vm_check reports. A corrupted entry may name a
			 * page of the array itself. */
			if (pg) {
				__free_pages(m, pg, 0);
				vm_page_cursor_freed(&cur, pg);
			}
		}
		free_page_array(m, vm);
	}
	kfree(m, vm);
}

/* remove_vm_area() / free_vm_area() on a vmalloc'ed area: its pages and
 * page array become the caller's. The model counts the pages as leaked
 * (vm_check balances the page accounting with it), and a nested array
 * area becomes an ordinary area the caller may vfree(), as the kernel's
 * caller would vfree(area->pages). */
static void hand_out_area(struct vmf_machine *m, struct vm_struct *vm)
{
	struct vm_struct *nested = vm_page_array_area(m, vm);

	m->vm->leaked_pages += vm->nr_pages;
	if (nested)
		nested->array_of = 0;
}

struct vm_struct *remove_vm_area(struct vmf_machine *m, vaddr_t addr)
{
#if defined(VMF_PLANT_REMOVE_VM_AREA_VUNMAP_KIND)
	/* PLANT REMOVE_VM_AREA_VUNMAP_KIND: the lookup applies vunmap's kind
	 * rule, refusing a vmalloc'ed area. */
	struct vmap_area *va = free_lookup(m, addr, FREE_VUNMAP, "remove_vm_area");
#else
	struct vmap_area *va = free_lookup(m, addr, FREE_REMOVE, "remove_vm_area");
#endif
	struct vm_struct *vm;

	if (!va)
		return NULL;
	vm = va->vm;
	hand_out_area(m, vm);
	remove_vmap_area_lazy(m, va);
	return vm;
}

int free_vm_area(struct vmf_machine *m, struct vm_struct *area)
{
	struct list_link *l;
	struct vmap_area *va = NULL;

	/* Find the area by pointer, without reading *area: the caller may
	 * hand in a stale pointer. */
	for (l = m->vm->busy.next; area && l != &m->vm->busy; l = l->next) {
		struct vmap_area *t = va_of_list(l);

		if ((t->flags & VM_VM_AREA) && t->vm == area) {
			va = t;
			break;
		}
	}
	if (!va) {
		vmf_warn(m, WARN_VFREE_NONEXISTENT,
			 "free_vm_area: Trying to vfree() nonexistent vm area "
			 "(vm_struct %p)", (void *)area);
		return -VMF_EINVAL;
	}
	va = free_lookup(m, va->va_start, FREE_REMOVE, "free_vm_area");
	if (!va)
		return -VMF_EINVAL;
	hand_out_area(m, area);
	remove_vmap_area_lazy(m, va);
	kfree(m, area);
	return 0;
}

/* ---- vfree family -------------------------------------------------------- */

static void vfree_defer(struct vmf_machine *m, struct vmap_area *va)
{
	struct vmalloc_state *vs = m->vm;
	/* raw_cpu_ptr(&vfree_deferred); an out-of-range cur_cpu (a caller
	 * bug) is folded back rather than trusted as an index. */
	unsigned cpu = m->cur_cpu % m->cfg.nr_cpus;

	va->flags |= VM_DEFERRED;
	vlist_add_after(&va->purge_list, &vs->deferred[cpu]); /* llist_add */
	vs->nr_deferred[cpu]++;
}

int vfree(struct vmf_machine *m, vaddr_t addr)
{
	struct vmap_area *va;

	if (!addr)
		return 0;
	va = free_lookup(m, addr, FREE_VFREE, "vfree");
	if (!va)
		return -VMF_EINVAL;
	if (m->in_interrupt) {
#if defined(VMF_PLANT_IRQ_VFREE_IMMEDIATE)
		/* PLANT IRQ_VFREE_IMMEDIATE: freed at once in interrupt. */
		__vunmap_area(m, va, true);
#else
		vfree_defer(m, va);
#endif
		return 0;
	}
	__vunmap_area(m, va, true);
	return 0;
}

int vfree_atomic(struct vmf_machine *m, vaddr_t addr)
{
	struct vmap_area *va;

	if (!addr)
		return 0;
	va = free_lookup(m, addr, FREE_VFREE, "vfree_atomic");
	if (!va)
		return -VMF_EINVAL;
	vfree_defer(m, va);
	return 0;
}

int vmalloc_run_deferred(struct vmf_machine *m, unsigned cpu)
{
	struct vmalloc_state *vs = m->vm;
	struct list_link list;
	int n = 0;

	if (cpu >= m->cfg.nr_cpus) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "vmalloc_run_deferred: cpu %u of %u", cpu,
			 m->cfg.nr_cpus);
		return -VMF_EINVAL;
	}
	if (vlist_empty(&vs->deferred[cpu]))
		return 0;
	/* free_work(): llist_del_all(), then __vunmap() each, newest first.
	 * It runs in process context whatever m->in_interrupt says. */
	list.next = vs->deferred[cpu].next;
	list.prev = vs->deferred[cpu].prev;
	list.next->prev = &list;
	list.prev->next = &list;
	vlist_init(&vs->deferred[cpu]);
	vs->nr_deferred[cpu] = 0;
	while (!vlist_empty(&list)) {
		struct vmap_area *va = va_of_purge(list.next);

		vlist_del(&va->purge_list);
		va->flags &= ~VM_DEFERRED;
#if defined(VMF_PLANT_DEFERRED_LAST_LEFT)
		/* PLANT DEFERRED_LAST_LEFT: the walk of the popped list stops
		 * before its last node, which stays a live area. */
		if (vlist_empty(&list))
			break;
#endif
		__vunmap_area(m, va, true);
		n++;
	}
	return n;
}

int vunmap(struct vmf_machine *m, vaddr_t addr)
{
	struct vmap_area *va;

	/* BUG_ON(in_interrupt()) comes before the NULL test in 4.19. */
	if (m->in_interrupt)
		return refuse(m, WARN_VMALLOC_BAD_ARG, "vunmap",
			      "BUG: called in interrupt context");
	if (!addr)
		return 0;
	va = free_lookup(m, addr, FREE_VUNMAP, "vunmap");
	if (!va)
		return -VMF_EINVAL;
	__vunmap_area(m, va, false);
	return 0;
}

/* ---- vmalloc ------------------------------------------------------------- */

/* __vmalloc_area_node()'s page array for area->nr_pages entries: up to
 * one page kmalloc'ed, larger a nested vmalloc area (VM_VPAGES). False
 * when it cannot be had: the area is then removed (lazily) and its
 * vm_struct freed, with no warning (4.19). */
bool vmalloc_page_array(struct vmf_machine *m, struct vm_struct *area,
			gfp_t gfp, int node)
{
	const gfp_t highmem = (gfp & __GFP_DMA32) ? 0 : __GFP_HIGHMEM;
	const gfp_t nested_gfp = (gfp & GFP_RECLAIM_MASK) | __GFP_ZERO;
	uint64_t array_size = (uint64_t)area->nr_pages * PAGE_PTR_SIZE;

	if (array_size > m->page_size) {
		/* The recursion is bounded: each level's array is 512 (4K
		 * pages) or more times smaller. */
		vaddr_t pva = vmalloc_nocheck(m, array_size, 1,
					      m->cfg.vmalloc_start,
					      m->cfg.vmalloc_end,
					      nested_gfp | highmem, PAGE_KERNEL,
					      0, node,
#if defined(VMF_PLANT_CALLER_WRONG_NESTED)
					      /* PLANT CALLER_WRONG_NESTED: the nested array names itself. */
					      "__vmalloc_node");
#else
					      area->caller);
#endif
		if (pva) {
			find_vm_area(m, pva)->array_of = area->addr;
			area->pages_va = pva;
			area->flags |= VM_VPAGES;
		}
	} else {
		area->pages = kmalloc(m, (size_t)array_size, nested_gfp);
	}
	if (!area->pages && !area->pages_va) {
		/* remove_vm_area() + kfree(): the area is lazily freed. */
		remove_vmap_area_lazy(m, __find_vmap_area(m, area->addr));
		kfree(m, area);
		return false;
	}
	return true;
}

/* __vmalloc_area_node(): page array, pages one by one, map. */
static vaddr_t __vmalloc_area_node(struct vmf_machine *m,
				   struct vm_struct *area, gfp_t gfp,
				   pgprot_t prot, int node)
{
	const gfp_t highmem = (gfp & __GFP_DMA32) ? 0 : __GFP_HIGHMEM;
	const gfp_t alloc_mask = gfp | __GFP_NOWARN | highmem;
	uint64_t nr_pages = get_vm_area_size(m, area) >> m->page_shift;
	struct vm_page_cursor cur;
	unsigned int i;

	area->nr_pages = (unsigned int)nr_pages;
	if (!vmalloc_page_array(m, area, gfp, node))
		return 0;

#if defined(VMF_PLANT_VMALLOC_TABLES_FIRST)
	/* PLANT VMALLOC_TABLES_FIRST: the first page's PTE table is made
	 * before the pages are allocated (4.19 makes the tables in
	 * map_vm_area, after them): on a node with one free page left the
	 * table takes it and the page falls back to the next node. */
	(void)mmu_table_alloc(m, area->addr, 3);
#endif
	vm_page_cursor_init(&cur, area);
	for (i = 0; i < area->nr_pages; i++) {
#if defined(VMF_PLANT_VMALLOC32_PAGES_UNTYPED)
		/* PLANT VMALLOC32_PAGES_UNTYPED: the DMA32 zone's pages are
		 * allocated without the vmalloc owner (an accounting flag the
		 * second path forgot). */
		struct page *page = alloc_pages_owner(m, node, alloc_mask, 0,
						      (gfp & __GFP_DMA32) ?
							      OWNER_ANY :
							      OWNER_VMALLOC);
#else
		struct page *page = alloc_pages_owner(m, node, alloc_mask, 0,
						      OWNER_VMALLOC);
#endif

		if (!page) {
			/* Successfully allocated i pages, freed by vfree. */
#if defined(VMF_PLANT_PAGE_FAIL_LEAK)
			/* PLANT PAGE_FAIL_LEAK: the i pages are forgotten. */
			area->nr_pages = 0;
#else
			area->nr_pages = i;
#endif
			goto fail;
		}
		if (!vm_page_cursor_set(m, &cur, i, page)) {
			/* Only a corrupted page array gets here. */
			__free_pages(m, page, 0);
			area->nr_pages = i;
			goto fail;
		}
	}
	vm_page_cursor_flush(m, &cur);
#if defined(VMF_PLANT_ARRAY_ENTRY_PAST_END)
	/* PLANT ARRAY_ENTRY_PAST_END: the entry loop runs to nr_pages
	 * inclusive: the last page's pfn is stored once more, in the nested
	 * array's slack past its last entry. */
	if (!area->pages && area->nr_pages &&
	    vm_page_cursor_get(m, &cur, area->nr_pages - 1) && !cur.lost &&
	    area->nr_pages < cur.lo + m->page_size / PAGE_PTR_SIZE) {
		uint8_t b[PAGE_PTR_SIZE];

		store_le64(b, phys_page_to_pfn(&m->phys,
			   vm_page_cursor_get(m, &cur, area->nr_pages - 1)));
		phys_write(m, cur.base + (uint64_t)(area->nr_pages - cur.lo) *
					       PAGE_PTR_SIZE, b, sizeof(b));
	}
#endif
	if (map_vm_area(m, area, NULL, area->nr_pages, prot))
		goto fail;
	area->nr_mapped = area->nr_pages;
	return area->addr;

fail:
	/* The entries stored so far go to RAM before vfree reads them. */
	vm_page_cursor_flush(m, &cur);
	if (!(gfp & __GFP_NOWARN))
		vmf_warn(m, WARN_VMALLOC_ALLOC_FAILURE,
			 "vmalloc: allocation failure, allocated %llu of %llu "
			 "bytes",
			 (unsigned long long)area->nr_pages << m->page_shift,
			 (unsigned long long)area->size);
	/* vfree(area->addr): in process context, so at once. */
	__vunmap_area(m, __find_vmap_area(m, area->addr), true);
	return 0;
}

vaddr_t vmalloc_nocheck(struct vmf_machine *m, uint64_t size, uint64_t align,
			vaddr_t start, vaddr_t end, gfp_t gfp, pgprot_t prot,
			unsigned long vm_flags, int node, const char *caller)
{
	struct vm_struct *area;
	uint64_t real_size = size;
	vaddr_t addr;

	size = vmf_page_align(m, size);
	area = get_vm_area_nocheck(m, size, align,
				   VM_ALLOC | VM_UNINITIALIZED | vm_flags, start,
				   end, node, gfp, caller);
	if (!area) {
		if (!(gfp & __GFP_NOWARN))
			vmf_warn(m, WARN_VMALLOC_ALLOC_FAILURE,
				 "vmalloc: allocation failure: %llu bytes",
				 (unsigned long long)real_size);
		return 0;
	}
	addr = __vmalloc_area_node(m, area, gfp, prot, node);
	if (!addr)
		return 0; /* __vmalloc_area_node warned (or was told not to) */
	/* clear_vm_uninitialized_flag(): fully set up now. */
#if !defined(VMF_PLANT_VM_FLAG_UNINIT_KEPT)
	area->flags &= ~VM_UNINITIALIZED;
#else
	/* PLANT VM_FLAG_UNINIT_KEPT: VM_UNINITIALIZED is never cleared. */
#endif
	return addr;
}

vaddr_t __vmalloc_node_range(struct vmf_machine *m, uint64_t size,
			     uint64_t align, vaddr_t start, vaddr_t end,
			     gfp_t gfp, pgprot_t prot, unsigned long vm_flags,
			     int node, const char *caller)
{
	if (check_area_args(m, "__vmalloc_node_range", size, align, start, end,
			    node, gfp, vm_flags))
		return 0;
	return vmalloc_nocheck(m, size, align, start, end, gfp, prot, vm_flags,
			       node, caller);
}

vaddr_t __vmalloc_node(struct vmf_machine *m, uint64_t size, uint64_t align,
		       gfp_t gfp, pgprot_t prot, int node, const char *caller)
{
	return __vmalloc_node_range(m, size, align, m->cfg.vmalloc_start,
				    m->cfg.vmalloc_end, gfp, prot, 0, node,
				    caller);
}

vaddr_t __vmalloc(struct vmf_machine *m, uint64_t size, gfp_t gfp,
		  pgprot_t prot)
{
	return __vmalloc_node(m, size, 1, gfp, prot, NUMA_NO_NODE, "__vmalloc");
}

vaddr_t vmalloc(struct vmf_machine *m, uint64_t size)
{
	return __vmalloc_node(m, size, 1, GFP_KERNEL, PAGE_KERNEL, NUMA_NO_NODE,
			      "vmalloc");
}

vaddr_t vzalloc(struct vmf_machine *m, uint64_t size)
{
	return __vmalloc_node(m, size, 1, GFP_KERNEL | __GFP_ZERO, PAGE_KERNEL,
			      NUMA_NO_NODE, "vzalloc");
}

vaddr_t vmalloc_node(struct vmf_machine *m, uint64_t size, int node)
{
	return __vmalloc_node(m, size, 1, GFP_KERNEL, PAGE_KERNEL, node,
			      "vmalloc_node");
}

vaddr_t vzalloc_node(struct vmf_machine *m, uint64_t size, int node)
{
	return __vmalloc_node(m, size, 1, GFP_KERNEL | __GFP_ZERO, PAGE_KERNEL,
			      node, "vzalloc_node");
}

vaddr_t vmalloc_32(struct vmf_machine *m, uint64_t size)
{
	/* GFP_VMALLOC32 = GFP_KERNEL | GFP_DMA32 (64-bit with ZONE_DMA32). */
	return __vmalloc_node(m, size, 1, GFP_KERNEL | __GFP_DMA32, PAGE_KERNEL,
			      NUMA_NO_NODE, "vmalloc_32");
}

vaddr_t vmalloc_user(struct vmf_machine *m, uint64_t size)
{
	vaddr_t ret = __vmalloc_node(m, size, SHMLBA(m),
				     GFP_KERNEL | __GFP_ZERO, PAGE_KERNEL,
				     NUMA_NO_NODE, "vmalloc_user");

	/* 4.19 marks the area after the fact. */
#if !defined(VMF_PLANT_VM_USERMAP_MISSING)
	if (ret)
		find_vm_area(m, ret)->flags |= VM_USERMAP;
#else
	/* PLANT VM_USERMAP_MISSING: vmalloc_user does not mark the area. */
#endif
	return ret;
}

vaddr_t vmalloc_exec(struct vmf_machine *m, uint64_t size)
{
	return __vmalloc_node(m, size, 1, GFP_KERNEL, PAGE_KERNEL_EXEC,
			      NUMA_NO_NODE, "vmalloc_exec");
}

/* ---- vmap ---------------------------------------------------------------- */

vaddr_t vmap(struct vmf_machine *m, struct page *const *pages,
	     unsigned int count, unsigned long flags, pgprot_t prot)
{
	struct vm_struct *area;

	if (count == 0 || count > totalram_pages(m)) {
		vmf_warn(m, WARN_VMALLOC_BAD_SIZE,
			 "vmap: %u pages: zero or above totalram (%llu)", count,
			 (unsigned long long)totalram_pages(m));
		return 0;
	}
	if (flags & ~VM_FLAGS_MASK) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "vmap: flags 0x%lx have unknown bits", flags);
		return 0;
	}
	if (!pages) {
		refuse(m, WARN_VMALLOC_BAD_ARG, "vmap", "pages is NULL");
		return 0;
	}
	for (unsigned int i = 0; i < count; i++)
		if (!page_ptr_ok(m, pages[i])) {
			vmf_warn(m, WARN_VMALLOC_BAD_ARG,
				 "vmap: pages[%u] = %p is not a page of this "
				 "machine", i, (const void *)pages[i]);
			return 0;
		}
	if (m->in_interrupt) {
		refuse(m, WARN_VMALLOC_BAD_ARG, "vmap",
		       "BUG: called in interrupt context");
		return 0;
	}
	if (!m->vm->initialized) {
		refuse(m, WARN_VMALLOC_BAD_ARG, "vmap",
		       "called before vmalloc_init()");
		return 0;
	}
	area = get_vm_area_nocheck(m, (uint64_t)count << m->page_shift, 1,
				   flags | VM_MAP, m->cfg.vmalloc_start,
				   m->cfg.vmalloc_end, NUMA_NO_NODE, GFP_KERNEL,
				   "vmap");
	if (!area)
		return 0;
	if (map_vm_area(m, area, pages, count, prot)) {
		/* vunmap(area->addr): the pages stay the caller's. */
		__vunmap_area(m, __find_vmap_area(m, area->addr), false);
		return 0;
	}
	area->nr_mapped = count;
	return area->addr;
}

/* ---- early areas and vmalloc_init ---------------------------------------- */

int vm_area_add_early(struct vmf_machine *m, vaddr_t addr, uint64_t size,
		      unsigned long flags, const char *caller)
{
	struct vmalloc_state *vs = m->vm;
	uint64_t pmask = m->page_size - 1;
	struct vm_struct *vm, *tmp, **p;

	if (vs->initialized) {
		vmf_warn(m, WARN_VMALLOC_EARLY_LATE,
			 "vm_area_add_early: BUG: after vmalloc_init() "
			 "(0x%016llx)", (unsigned long long)addr);
		return -VMF_EINVAL;
	}
	if (size == 0 || (addr & pmask) || (size & pmask) ||
	    addr < m->cfg.vmalloc_start || addr >= m->cfg.vmalloc_end ||
	    size > m->cfg.vmalloc_end - addr || (flags & ~VM_FLAGS_MASK)) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "vm_area_add_early: [0x%016llx, +0x%llx) flags 0x%lx "
			 "is not a page-aligned part of the window",
			 (unsigned long long)addr, (unsigned long long)size,
			 flags);
		return -VMF_EINVAL;
	}
	/* vmlist is sorted by address: the kernel's two BUG_ONs check the
	 * last area below and the first area at or above. */
	for (p = &vs->vmlist; (tmp = *p) != NULL; p = &tmp->next) {
		if (tmp->addr >= addr) {
			if (tmp->addr < addr + size)
				goto overlap;
			break;
		}
#if !defined(VMF_PLANT_EARLY_OVERLAP_BELOW_MISSED)
		if (tmp->addr + tmp->size > addr)
			goto overlap;
#endif
		/* PLANT EARLY_OVERLAP_BELOW_MISSED: an area below running into
		 * the new one is not checked (only the first at or above is). */
	}
	/* The kernel's early vm_structs are static; the model allocates
	 * them (the vmap_areas come in vmalloc_init(), as in 4.19). */
	vm = kzalloc(m, sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return -VMF_ENOMEM;
	vm->addr = addr;
	vm->size = size;
	vm->flags = flags;
	vm->caller = caller;
	vm->next = *p;
	*p = vm;
	return 0;

overlap:
	vmf_warn(m, WARN_VMALLOC_EARLY_OVERLAP,
		 "vm_area_add_early: BUG: [0x%016llx, +0x%llx) overlaps the "
		 "early area [0x%016llx, +0x%llx)", (unsigned long long)addr,
		 (unsigned long long)size, (unsigned long long)tmp->addr,
		 (unsigned long long)tmp->size);
	return -VMF_EINVAL;
}

vaddr_t vm_area_register_early(struct vmf_machine *m, uint64_t size,
			       uint64_t align, const char *caller)
{
	struct vmalloc_state *vs = m->vm;
	vaddr_t addr;

	if (vs->initialized) {
		vmf_warn(m, WARN_VMALLOC_EARLY_LATE,
			 "vm_area_register_early: BUG: after vmalloc_init()");
		return 0;
	}
	if (size == 0 || (size & (m->page_size - 1)) || !is_power_of_2(align) ||
	    align_up_checked(m->cfg.vmalloc_start + vs->vm_init_off, align,
			     &addr)) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "vm_area_register_early: size 0x%llx align 0x%llx",
			 (unsigned long long)size, (unsigned long long)align);
		return 0;
	}
	/* The area's own checks (window, overlap) warn once if they fail;
	 * vm_init_off moves only when it is placed. 4.19 registers with
	 * the caller's flags; its one user (the percpu first chunk) passes
	 * VM_ALLOC. */
#if defined(VMF_PLANT_REGISTER_EARLY_NO_ALIGN)
	/* PLANT REGISTER_EARLY_NO_ALIGN: the area starts at the offset
	 * itself, the caller's alignment dropped. */
	addr = m->cfg.vmalloc_start + vs->vm_init_off;
#endif
	if (vm_area_add_early(m, addr, size, VM_ALLOC, caller))
		return 0;
	vs->vm_init_off = vmf_page_align(m, addr + size) - m->cfg.vmalloc_start;
	return addr;
}

void vmalloc_init(struct vmf_machine *m)
{
	struct vmalloc_state *vs = m->vm;
	struct vm_struct *tmp, *next;

	if (vs->initialized) {
		vmf_warn(m, WARN_VMALLOC_EARLY_LATE,
			 "vmalloc_init: called a second time");
		return;
	}
	/* Import the early areas into the busy tree as live areas. The
	 * per-CPU deferred lists are already empty. */
	for (tmp = vs->vmlist; tmp; tmp = next) {
		struct vmap_area *va = kzalloc(m, sizeof(*va), GFP_KERNEL);

		next = tmp->next;
		tmp->next = NULL; /* vmlist is __initdata */
		if (!va) {
			/* The kernel does not check this kzalloc(GFP_NOWAIT):
			 * the model drops the area instead of crashing. */
			vmf_warn(m, WARN_VMALLOC_ALLOC_FAILURE,
				 "vmalloc_init: no vmap_area for early area "
				 "[0x%016llx, +0x%llx): dropped",
				 (unsigned long long)tmp->addr,
				 (unsigned long long)tmp->size);
			kfree(m, tmp);
			continue;
		}
		va->flags = VM_VM_AREA;
		va->va_start = tmp->addr;
		va->va_end = tmp->addr + tmp->size;
#if defined(VMF_PLANT_EARLY_IMPORT_GUARD_TAKEN)
		/* planted: the size taken as holding a guard page, as
		 * get_vm_area_size() does for areas that have one */
		va->va_end -= m->page_size;
#endif
		va->vm = tmp;
		RB_CLEAR_NODE(&va->rb_node);
		vlist_init(&va->purge_list);
		vmap_insert_busy(m, va);
	}
	vs->vmlist = NULL;
	vs->initialized = true;
	vmap_policy_start(m);
}
