/* vmalloc: each operation, the lazy purge, the legacy cache rules with
 * hand-computed addresses, deferred frees, vread, vmallocinfo, early
 * areas, and vm_check catching corrupted state.
 *
 * Failure injection is in test_vmalloc_faults.c, the hardened refusals
 * in test_vmalloc_hardened.c, the kernel's test_vmalloc scenarios in
 * test_vmalloc_scenarios.c. */
#include "vmalloc_test_util.h"

/* ---- lifecycle ------------------------------------------------------------ */

static void test_init_and_reset(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vmalloc_obs o;

	cfg_small(&c, 0);
	m = mk(&c, false);
	vmalloc_observe(m, &o);
	CHECK(!o.initialized);
	CHECK_EQ(o.nr_busy, 0);
	CHECK_EQ(o.lazy_max_pages, 3 * 8192);
	/* Before vmalloc_init nothing can be allocated. */
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc(m, P), 0));
	vmalloc_init(m);
	vmalloc_observe(m, &o);
	CHECK(o.initialized);
	REFUSED(m, WARN_VMALLOC_EARLY_LATE, vmalloc_init(m));
	CHECK(vmalloc(m, P) != 0);
	CHECK_EQ(check_vm(m), 0);

	/* Reset forgets everything and costs nothing per area. */
	for (int i = 0; i < 100; i++)
		CHECK(vmalloc(m, 3 * P) != 0);
	CHECK_EQ(vmf_machine_reset(m, NULL, NULL, 0), 0);
	vmalloc_observe(m, &o);
	CHECK(!o.initialized);
	CHECK_EQ(o.nr_busy, 0);
	CHECK_EQ(m->km.objects, 0);
	vmalloc_init(m);
	CHECK_EQ(vmalloc(m, P), W0); /* the same first address again */
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- vmalloc / vfree / purge ----------------------------------------------- */

static void test_vmalloc_vfree_purge(void)
{
	struct vmf_machine *m = mk_default();
	uint64_t free0 = nr_free_pages(m);
	struct vmalloc_obs o;
	struct vm_struct *vm;
	const struct tlb_flush_event *fe;
	uint8_t buf[64], back[64];
	size_t done;
	vaddr_t a;

	CHECK_EQ(mmu_pgtable_pages(m), 1);
	a = vmalloc(m, 3 * P + 1);
	CHECK_EQ(a, W0);
	vm = vm_at(m, a);
	CHECK(vm != NULL);
	CHECK_EQ(vm->addr, W0);
	CHECK_EQ(vm->size, 5 * P); /* 4 pages + guard */
	CHECK_EQ(vm->nr_pages, 4);
	CHECK_EQ(vm->nr_mapped, 4);
	CHECK_EQ(vm->flags, VM_ALLOC);
	CHECK_STR(vm->caller, "vmalloc");
	CHECK(vm->pages != NULL);
	CHECK_EQ(vm->pages_va, 0);
	CHECK(find_vm_area(m, a + 4 * P) == vm); /* the guard is inside */
	for (int i = 0; i < 4; i++) {
		pfn_t pfn;
		CHECK(mapped_to(m, a + i * P, &pfn));
		CHECK_EQ(pfn, page_to_pfn(m, page_at(m, vm, i)));
		CHECK(vmalloc_to_page(m, a + i * P) == vm_struct_page(m, vm, i));
		CHECK_EQ(vmalloc_to_pfn(m, a + i * P), pfn);
		CHECK_EQ(page_at(m, vm, i)->owner, OWNER_VMALLOC);
	}
	CHECK(!is_mapped(m, a + 4 * P));
	CHECK(vm_struct_page(m, vm, 4) == NULL);
	/* 4 data pages and 3 tables (levels 1-3 below the root). */
	CHECK_EQ(mmu_pgtable_pages(m), 4);
	CHECK_EQ(nr_free_pages(m), free0 - 4 - 3);
	CHECK_EQ(m->km.objects, 3); /* vm_struct, vmap_area, page array */
	{
		uint64_t desc;
		CHECK(mmu_lookup(m, a, &desc, NULL, NULL));
		CHECK_EQ(desc & ~0x0000fffffffff000ull, PAGE_KERNEL);
	}
	/* The memory works through the MMU. */
	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(mmu_write(m, a + P - 32, buf, 64, 1, &done).fault, MMU_OK);
	CHECK_EQ(done, 64);
	CHECK_EQ(vread(m, back, a + P - 32, 64), 64);
	CHECK(memcmp(buf, back, 64) == 0);
	CHECK_EQ(check_vm(m), 0);

	/* vfree: PTEs gone, no flush, the area waits on the purge list. */
	uint64_t flushes = tlb_stats(m)->flush_seq;
	CHECK_EQ(vfree(m, a), 0);
	CHECK_EQ(tlb_stats(m)->flush_seq, flushes);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_busy, 1);
	CHECK_EQ(o.nr_lazy, 1);
	CHECK_EQ(o.vmap_lazy_nr, 5);
	CHECK(find_vm_area(m, a) == NULL);
	CHECK(va_at(m, a) != NULL);
	CHECK_EQ(va_at(m, a)->flags, VM_LAZY_FREE);
	for (int i = 0; i < 5; i++)
		CHECK(!is_mapped(m, a + i * P));
	CHECK_EQ(nr_free_pages(m), free0 - 3); /* tables stay */
	CHECK_EQ(m->km.objects, 1);            /* the lazy vmap_area */
	CHECK_EQ(check_vm(m), 0);

	/* purge: one flush over the area, then it is gone. */
	purge_vmap_area_lazy(m);
	CHECK_EQ(tlb_stats(m)->flush_seq, flushes + 1);
	fe = last_flush(m);
	CHECK(fe != NULL);
	if (fe) {
		CHECK_EQ(fe->kind, TLB_FLUSH_RANGE);
		CHECK_EQ(fe->start, W0);
		CHECK_EQ(fe->end, W0 + 5 * P);
	}
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_busy, 0);
	CHECK_EQ(o.nr_lazy, 0);
	CHECK_EQ(o.vmap_lazy_nr, 0);
	CHECK_EQ(o.nr_purges, 1);
	CHECK_EQ(o.nr_purge_calls, 1);
	CHECK_EQ(m->km.objects, 0);
	/* An empty purge: counted, no flush. */
	vm_unmap_aliases(m);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_purges, 1);
	CHECK_EQ(o.nr_purge_calls, 2);
	CHECK_EQ(tlb_stats(m)->flush_seq, flushes + 1);
	CHECK_EQ(vfree(m, 0), 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* The family's flags, protections, gfp and callers. */
static void test_family(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	vaddr_t a;
	uint64_t desc;
	struct vm_struct *vm;
	uint8_t buf[P];

	cfg_small(&c, 0);
	c.nr_nodes = 2;
	/* RAM straddles 4 GiB so vmalloc_32 has a choice to make. */
	c.phys_base = 0x100000000ull - (32ull << 20);
	m = mk(&c, true);

	a = vzalloc(m, 2 * P);
	vm = vm_at(m, a);
	CHECK_STR(vm->caller, "vzalloc");
	CHECK_EQ(vread(m, buf, a, P), (long)P);
	for (size_t i = 0; i < P; i++)
		if (buf[i])
			CHECK(!"vzalloc memory is not zero");

	a = vmalloc_exec(m, P);
	CHECK(mmu_lookup(m, a, &desc, NULL, NULL));
	CHECK_EQ(desc & ~0x0000fffffffff000ull, PAGE_KERNEL_EXEC);
	CHECK_STR(vm_at(m, a)->caller, "vmalloc_exec");

	a = vmalloc_user(m, P);
	vm = vm_at(m, a);
	CHECK_EQ(vm->flags, VM_ALLOC | VM_USERMAP);
	CHECK_STR(vm->caller, "vmalloc_user");

	/* vmalloc_32: every page below 4 GiB physical. */
	a = vmalloc_32(m, 64 * P);
	vm = vm_at(m, a);
	for (unsigned i = 0; i < vm->nr_pages; i++)
		CHECK(page_to_phys(m, page_at(m, vm, i)) < (1ull << 32));

	/* vmalloc_node: pages on the node asked for. */
	a = vmalloc_node(m, 8 * P, 1);
	vm = vm_at(m, a);
	for (unsigned i = 0; i < vm->nr_pages; i++)
		CHECK_EQ(page_to_nid(m, page_at(m, vm, i)), 1);
	CHECK_STR(vm->caller, "vmalloc_node");
	a = vzalloc_node(m, P, 0);
	CHECK_EQ(page_to_nid(m, page_at(m, vm_at(m, a), 0)), 0);

	a = __vmalloc(m, P, __GFP_ZERO, PAGE_KERNEL_RO);
	CHECK(mmu_lookup(m, a, &desc, NULL, NULL));
	CHECK_EQ(desc & ~0x0000fffffffff000ull, PAGE_KERNEL_RO);
	CHECK_STR(vm_at(m, a)->caller, "__vmalloc");

	/* __vmalloc_node_range: range, align, extra flags, no guard. */
	a = __vmalloc_node_range(m, 3 * P, 16 * P, W0 + 1024 * P,
				 W0 + 2048 * P, GFP_KERNEL, PAGE_KERNEL,
				 VM_NO_GUARD, NUMA_NO_NODE, "range");
	CHECK_EQ(a, W0 + 1024 * P);
	vm = vm_at(m, a);
	CHECK_EQ(vm->size, 3 * P);
	CHECK_EQ(vm->flags, VM_ALLOC | VM_NO_GUARD);
	CHECK_EQ(get_vm_area_size(m, vm), 3 * P);
	CHECK(is_mapped(m, a + 2 * P));
	CHECK(is_vmalloc_addr(m, a));
	CHECK(!is_vmalloc_addr(m, W0 - P));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* get_vm_area, find_vm_area, remove_vm_area, free_vm_area. */
static void test_get_vm_area(void)
{
	struct vmf_machine *m = mk_default();
	struct vm_struct *vm, *vm2;
	struct vmalloc_obs o;
	uint64_t free0;

	vm = vm_or_dummy(get_vm_area(m, 2 * P, 0));
	CHECK(vm != NULL);
	CHECK_EQ(vm->addr, W0);
	CHECK_EQ(vm->size, 3 * P);
	CHECK_EQ(vm->nr_pages, 0);
	CHECK_EQ(vm->nr_mapped, 0);
	CHECK_STR(vm->caller, "get_vm_area");
	CHECK(!is_mapped(m, W0));
	CHECK(find_vm_area(m, W0 + P) == vm);
	CHECK_EQ(check_vm(m), 0);
	vm2 = vm_or_dummy(get_vm_area(m, P, VM_IOREMAP)); /* 8K */
	CHECK_EQ(vm2->addr, W0 + 4 * P);
	CHECK(remove_vm_area(m, vm->addr) == vm);
	kfree(m, vm);
	CHECK_EQ(free_vm_area(m, vm2), 0);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_lazy, 2);
	CHECK_EQ(o.vmap_lazy_nr, 5);
	CHECK_EQ(m->km.objects, 2);
	CHECK_EQ(check_vm(m), 0);

	/* remove_vm_area of a vmalloc'ed area: the pages are the caller's. */
	free0 = nr_free_pages(m);
	vaddr_t a = vmalloc(m, 2 * P);
	uint64_t used = free0 - nr_free_pages(m); /* pages + tables */
	vm = remove_vm_area(m, a);
	CHECK(vm != NULL);
	CHECK_EQ(vm->nr_pages, 2);
	kfree(m, vm); /* the harness's way: the array stays a leak */
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_leaked_pages, 2);
	CHECK_EQ(nr_free_pages(m), free0 - used);
	CHECK(!is_mapped(m, a));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* VM_IOREMAP: align = 1 << clamp(fls(size), PAGE_SHIFT, IOREMAP_MAX_ORDER)
 * on the size as passed (the notes and seed; 4.19 differs, see
 * docs/vmalloc.md). */
static void test_ioremap_align(void)
{
	struct vmf_config c;
	struct vmf_machine *m = mk_default();
	struct vm_struct *vm;

	CHECK_EQ(vm_or_dummy(get_vm_area(m, P, 0))->addr, W0); /* [W, W+2P) */
	vm = vm_or_dummy(get_vm_area(m, 0x3000, VM_IOREMAP)); /* 16K */
	CHECK_EQ(vm->addr, W0 + 4 * P);
	vm = vm_or_dummy(get_vm_area(m, 0x10000, VM_IOREMAP)); /* 128K */
	CHECK_EQ(vm->addr, W0 + 32 * P);
	CHECK_EQ(vm->size, 17 * P);
	/* fls(100) = 7, clamped up to 4K; an align below the recorded one
	 * drops the cache: first fit from the bottom, the 2-page hole. */
	vm = vm_or_dummy(get_vm_area(m, 100, VM_IOREMAP));
	CHECK_EQ(vm->addr, W0 + 2 * P);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);

	/* The top of the clamp: IOREMAP_MAX_ORDER = PUD_SHIFT = 30 (4K). */
	cfg_small(&c, 0);
	c.phys_size = 2ull << 30;
	m = mk(&c, true);
	/* fls 31, clamped to 30 */
	vm = vm_or_dummy(get_vm_area(m, 3ull << 29, VM_IOREMAP));
	CHECK_EQ(vm->addr, 0xffff000040000000ull);
	vmf_machine_destroy(m);
}

/* vmap / vunmap: the caller's pages, mapped; not freed by vunmap. */
static void test_vmap(void)
{
	struct vmf_machine *m = mk_default();
	struct page *pg[3];
	struct vm_struct *vm;
	vaddr_t a;
	uint64_t seq;

	for (int i = 0; i < 3; i++)
		pg[i] = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0,
					  OWNER_VMAP);
	a = vmap(m, pg, 3, 0, PAGE_KERNEL);
	CHECK_EQ(a, W0);
	vm = vm_at(m, a);
	CHECK_EQ(vm->flags, VM_MAP);
	CHECK_EQ(vm->nr_pages, 0);
	CHECK_EQ(vm->nr_mapped, 3);
	CHECK_STR(vm->caller, "vmap");
	for (int i = 0; i < 3; i++) {
		pfn_t pfn;
		CHECK(mapped_to(m, a + i * P, &pfn));
		CHECK_EQ(pfn, page_to_pfn(m, pg[i]));
	}
	CHECK(!is_mapped(m, a + 3 * P));
	CHECK_EQ(check_vm(m), 0);
	CHECK_EQ(vunmap(m, a), 0);
	CHECK(!is_mapped(m, a));
	for (int i = 0; i < 3; i++)
		CHECK(pg[i]->flags & PG_head); /* still allocated */
	CHECK_EQ(check_vm(m), 0);

	/* A protection the MMU refuses: the vunmap path, no area left live. */
	seq = vmf_warn_seq(m);
	CHECK_EQ(vmap(m, pg, 3, 0, 0), 0);
	CHECK_EQ(vmf_warn_seq(m), seq + 1);
	CHECK_EQ(warn_kind(m, seq + 1), WARN_MMU_BAD_ARG);
	CHECK_EQ(check_vm(m), 0);
	for (int i = 0; i < 3; i++)
		__free_pages(m, pg[i], 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Page arrays above one page live in a nested vmalloc area. */
static void test_nested_page_array(void)
{
	struct vmf_machine *m = mk_default();
	uint64_t free0 = nr_free_pages(m);
	struct vm_struct *vm, *arr;
	struct vmalloc_obs o;
	vaddr_t a;

	a = vmalloc(m, 512 * P); /* 512 * 8 bytes = one page: kmalloc */
	vm = vm_at(m, a);
	CHECK(vm->pages != NULL);
	CHECK_EQ(vm->flags, VM_ALLOC);
	CHECK_EQ(vfree(m, a), 0);
	purge_vmap_area_lazy(m);

	a = vmalloc(m, 513 * P);
	CHECK_EQ(a, W0);
	vm = vm_at(m, a);
	CHECK_EQ(vm->flags, VM_ALLOC | VM_VPAGES);
	CHECK(vm->pages == NULL);
	CHECK_EQ(vm->pages_va, W0 + 514 * P); /* right after */
	arr = vm_at(m, vm->pages_va);
	CHECK(arr != NULL);
	CHECK_EQ(arr->size, 3 * P);       /* 4104 bytes: 2 pages + guard */
	CHECK_EQ(arr->nr_pages, 2);
	CHECK_EQ(arr->array_of, a);
	CHECK_EQ(arr->flags, VM_ALLOC);
	CHECK_STR(arr->caller, "vmalloc");
	for (unsigned i = 0; i < 513; i++) {
		pfn_t pfn;
		struct page *pg = vm_struct_page(m, vm, i);
		CHECK(pg != NULL);
		CHECK(mapped_to(m, a + i * P, &pfn));
		if (pg)
			CHECK_EQ(pfn, page_to_pfn(m, pg));
	}
	/* The array is readable through the nested area too: entry 1 is
	 * the pfn of page 1, little endian. */
	{
		uint8_t b[8];
		uint64_t v = 0;
		CHECK_EQ(vread(m, b, vm->pages_va + 8, 8), 8);
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | b[i];
		CHECK_EQ(v, page_to_pfn(m, page_at(m, vm, 1)));
	}
	/* km: outer vm_struct + va, nested vm_struct + va + its array. */
	CHECK_EQ(m->km.objects, 5);
	CHECK_EQ(check_vm(m), 0);
	/* The array area is not the caller's to free. */
	REFUSED(m, WARN_VFREE_WRONG_KIND, CHECK_EQ(vfree(m, vm->pages_va),
						   -VMF_EINVAL));
	REFUSED(m, WARN_VFREE_WRONG_KIND,
		CHECK(remove_vm_area(m, vm->pages_va) == NULL));

	CHECK_EQ(vfree(m, a), 0);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_lazy, 2);
	CHECK_EQ(o.vmap_lazy_nr, 514 + 3);
	CHECK_EQ(m->km.objects, 2);
	CHECK_EQ(check_vm(m), 0);
	purge_vmap_area_lazy(m);
	CHECK_EQ(last_flush(m)->start, W0);
	CHECK_EQ(last_flush(m)->end, W0 + 517 * P);
	CHECK_EQ(nr_free_pages(m), free0 - (mmu_pgtable_pages(m) - 1));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- lazy threshold, overflow ------------------------------------------------ */

static void test_lazy_threshold(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vmalloc_obs o;
	vaddr_t a[6];
	const int order[6] = {2, 0, 5, 1, 4, 3};
	uint64_t flushes;

	cfg_small(&c, 0);
	c.lazy_max_pages = 10;
	m = mk(&c, true);
	for (int i = 0; i < 6; i++) {
		a[i] = vmalloc(m, P);
		CHECK_EQ(a[i], W0 + 2 * P * (uint64_t)i);
	}
	flushes = tlb_stats(m)->flush_seq;
	for (int k = 0; k < 5; k++) {
		CHECK_EQ(vfree(m, a[order[k]]), 0);
		vmalloc_observe(m, &o);
		CHECK_EQ(o.vmap_lazy_nr, 2 * (uint64_t)(k + 1));
		CHECK_EQ(o.nr_purges, 0);
	}
	/* 10 pages wait: not above the threshold yet. The 6th free makes
	 * 12 > 10: one purge, one flush over [lowest, highest). */
	CHECK_EQ(tlb_stats(m)->flush_seq, flushes);
	CHECK_EQ(vfree(m, a[order[5]]), 0);
	CHECK_EQ(tlb_stats(m)->flush_seq, flushes + 1);
	CHECK_EQ(last_flush(m)->kind, TLB_FLUSH_RANGE);
	CHECK_EQ(last_flush(m)->start, W0);
	CHECK_EQ(last_flush(m)->end, W0 + 12 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.vmap_lazy_nr, 0);
	CHECK_EQ(o.nr_lazy, 0);
	CHECK_EQ(o.nr_busy, 0);
	CHECK_EQ(o.nr_purges, 1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A purge over more than tlb_flush_max_pages pages flushes everything. */
static void test_purge_flush_all(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	vaddr_t a, b;

	cfg_small(&c, 0);
	c.tlb_flush_max_pages = 8;
	m = mk(&c, true);
	a = vmalloc(m, P);
	b = vmalloc(m, 20 * P);
	vfree(m, a);
	purge_vmap_area_lazy(m);
	CHECK_EQ(last_flush(m)->kind, TLB_FLUSH_RANGE);
	vfree(m, b);
	purge_vmap_area_lazy(m);
	CHECK_EQ(last_flush(m)->kind, TLB_FLUSH_ALL);
	CHECK_EQ(last_flush(m)->start, W0 + 2 * P);
	CHECK_EQ(last_flush(m)->end, W0 + 23 * P);
	vmf_machine_destroy(m);
}

static void test_overflow_purge_retry(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vmalloc_obs o;
	uint64_t seq, km0;
	vaddr_t a, b, d;

	cfg_small(&c, 8);
	m = mk(&c, true);
	a = vmalloc(m, 3 * P);
	b = vmalloc(m, 3 * P);
	CHECK_EQ(a, W0);
	CHECK_EQ(b, W0 + 4 * P);
	CHECK_EQ(vfree(m, a), 0); /* lazy: still in the way */

	/* The window is full: overflow, purge (a goes), retry from vstart. */
	seq = vmf_warn_seq(m);
	d = vmalloc(m, 3 * P);
	CHECK_EQ(d, W0);
	CHECK_EQ(vmf_warn_seq(m), seq);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_overflow_purges, 1);
	CHECK_EQ(o.nr_purges, 1);
	CHECK_EQ(o.nr_purge_calls, 1);
	CHECK_EQ(last_flush(m)->start, W0);
	CHECK_EQ(last_flush(m)->end, W0 + 4 * P);
	CHECK_EQ(check_vm(m), 0);

	/* Full of live areas: overflow, an empty purge, overflow again:
	 * -EBUSY with the kernel's two warnings, nothing left behind. */
	km0 = m->km.objects;
	seq = vmf_warn_seq(m);
	CHECK_EQ(vmalloc(m, P), 0);
	CHECK_EQ(vmf_warn_seq(m), seq + 2);
	CHECK_EQ(warn_kind(m, seq + 1), WARN_VMAP_ALLOC_FAILED);
	CHECK_STR(warn_text(m, seq + 1),
		  "vmap allocation for size 8192 failed: use vmalloc=<size> to "
		  "increase size");
	CHECK_EQ(warn_kind(m, seq + 2), WARN_VMALLOC_ALLOC_FAILURE);
	CHECK_STR(warn_text(m, seq + 2), "vmalloc: allocation failure: 4096 bytes");
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_overflow_purges, 2);
	CHECK_EQ(o.nr_purges, 1);
	CHECK_EQ(o.nr_purge_calls, 2);
	CHECK_EQ(m->km.objects, km0);
	/* __GFP_NOWARN: the same failure, silent. */
	seq = vmf_warn_seq(m);
	CHECK_EQ(__vmalloc(m, P, __GFP_NOWARN, PAGE_KERNEL), 0);
	CHECK_EQ(vmf_warn_seq(m), seq);
	/* alloc_vmap_area reports -EBUSY. */
	{
		int err = 0;
		CHECK(alloc_vmap_area(m, P, 1, W0, W0 + 8 * P, NUMA_NO_NODE,
				      __GFP_NOWARN, &err) == NULL);
		CHECK_EQ(err, -VMF_EBUSY);
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- the legacy cache rules, address by address ------------------------------ */

static void test_cache_rules_exact(void)
{
	struct vmf_machine *m = mk_default();
	struct vmalloc_obs o;
	vaddr_t a, b, c, d, e, f, h;

	/* Four 1-page areas (2 pages with the guard). */
	a = vmalloc(m, P);
	b = vmalloc(m, P);
	c = vmalloc(m, P);
	d = vmalloc(m, P);
	CHECK_EQ(a, W0);
	CHECK_EQ(b, W0 + 2 * P);
	CHECK_EQ(c, W0 + 4 * P);
	CHECK_EQ(d, W0 + 6 * P);
	vmalloc_observe(m, &o);
	CHECK(o.cache_set);
	CHECK_EQ(o.cache_va_start, d);
	CHECK_EQ(o.cached_hole_size, 0);
	CHECK_EQ(o.cached_vstart, W0);
	CHECK_EQ(o.cached_align, 1);

	/* Free b and purge: b starts below the cache, so the cache moves to
	 * b's predecessor, a. */
	vfree(m, b);
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cache_va_start, a);

	/* A 2-page request (3 with the guard) walks from a: the 2-page hole
	 * at W+2P is too small and is remembered (cached_hole_size = 2P). */
	e = vmalloc(m, 2 * P);
	CHECK_EQ(e, W0 + 8 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cache_va_start, e);
	CHECK_EQ(o.cached_hole_size, 2 * P);

	/* A request of exactly the hole's size does not drop the cache
	 * (size < cached_hole_size is strict): the hole is NOT reused. */
	f = vmalloc(m, P);
	CHECK_EQ(f, W0 + 11 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cached_hole_size, 2 * P);

	/* A smaller one (1 page, no guard) drops it and takes the hole. */
	h = __vmalloc_node_range(m, P, 1, m->cfg.vmalloc_start,
				 m->cfg.vmalloc_end, GFP_KERNEL, PAGE_KERNEL,
				 VM_NO_GUARD, NUMA_NO_NODE, "h");
	CHECK_EQ(h, W0 + 2 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cache_va_start, h);
	CHECK_EQ(o.cached_hole_size, 0);

	/* A larger align than recorded keeps the cache; ALIGN() applies to
	 * the hit: h ends at W+3P, the next 8-page boundary is W+8P but e
	 * is there; the walk goes on to ALIGN(f's end = W+13P) = W+16P. */
	c = __vmalloc_node(m, P, 8 * P, GFP_KERNEL, PAGE_KERNEL, NUMA_NO_NODE,
			   "al");
	CHECK_EQ(c, W0 + 16 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cached_align, 8 * P);
	/* The walk restarted at the hint with addr already past every
	 * area it met: no hole below addr was seen. */
	CHECK_EQ(o.cached_hole_size, 0);
	/* A smaller align than recorded drops it: first fit from W0 is the
	 * page hole at W+3P (h has no guard, the hole is one page). */
	d = __vmalloc_node_range(m, P, 1, m->cfg.vmalloc_start,
				 m->cfg.vmalloc_end, GFP_KERNEL, PAGE_KERNEL,
				 VM_NO_GUARD, NUMA_NO_NODE, "d");
	CHECK_EQ(d, W0 + 3 * P);

	/* A higher vstart is recorded; a free entirely below it drops the
	 * cache on the free side. */
	b = __vmalloc_node_range(m, P, 1, W0 + 100 * P, m->cfg.vmalloc_end,
				 GFP_KERNEL, PAGE_KERNEL, 0, NUMA_NO_NODE, "hi");
	CHECK_EQ(b, W0 + 100 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cached_vstart, W0 + 100 * P);
	CHECK(o.cache_set);
	vfree(m, a);
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK(!o.cache_set);
	/* A lower vstart drops the cache on the alloc side and refills a's
	 * place. */
	CHECK_EQ(vmalloc(m, P), W0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* The free side: a free below the hint moves it to the freed area's
 * predecessor, a free above it leaves it alone, a free of the lowest
 * area below it clears it. */
static void test_cache_free_side(void)
{
	struct vmf_machine *m = mk_default();
	struct vmalloc_obs o;
	vaddr_t a, b, c;

	a = vmalloc(m, P);
	b = vmalloc(m, P);
	c = vmalloc(m, P);
	vfree(m, b);
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cache_va_start, a);
	vfree(m, c); /* above the hint */
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK(o.cache_set);
	CHECK_EQ(o.cache_va_start, a);
	vfree(m, a); /* the hint itself, no predecessor */
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK(!o.cache_set);

	/* Two frees released in one purge, newest first: c (the hint) moves
	 * it to b, then a (below b, no predecessor) clears it. */
	a = vmalloc(m, P);
	b = vmalloc(m, P);
	c = vmalloc(m, P);
	vfree(m, a);
	vfree(m, c);
	purge_vmap_area_lazy(m);
	vmalloc_observe(m, &o);
	CHECK(!o.cache_set);
	/* Exhausting a range: -EBUSY, the hint is kept. */
	c = vmalloc(m, P);
	CHECK_EQ(c, W0);
	CHECK_EQ(__vmalloc_node_range(m, P, 1, W0, W0 + 4 * P, __GFP_NOWARN,
				      PAGE_KERNEL, VM_NO_GUARD, NUMA_NO_NODE,
				      "x"),
		 0);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cache_va_start, c);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- deferred frees ---------------------------------------------------------- */

static void test_deferred_per_cpu(void)
{
	struct vmf_machine *m = mk_default();
	struct vmalloc_obs o;
	vaddr_t a, b, c;
	struct vmalloc_state *vs = m->vm;
	uint64_t free_before;

	a = vmalloc(m, P);
	b = vmalloc(m, 2 * P);
	c = vmalloc(m, P);
	free_before = nr_free_pages(m);

	m->in_interrupt = true;
	m->cur_cpu = 1;
	CHECK_EQ(vfree(m, a), 0);
	CHECK_EQ(vfree(m, b), 0);
	m->cur_cpu = 2;
	/* In interrupt nothing may be allocated. */
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc(m, P), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vunmap(m, c), -VMF_EINVAL));
	/* A second free before the work runs is a double free. */
	REFUSED(m, WARN_VFREE_DOUBLE, CHECK_EQ(vfree(m, a), -VMF_EINVAL));
	m->in_interrupt = false;
	CHECK_EQ(vfree_atomic(m, c), 0); /* always deferred */
	REFUSED(m, WARN_VFREE_DOUBLE, CHECK_EQ(vfree(m, c), -VMF_EINVAL));
	REFUSED(m, WARN_VFREE_DOUBLE, CHECK_EQ(vfree_atomic(m, b),
					       -VMF_EINVAL));
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_deferred[1], 2);
	CHECK_EQ(o.nr_deferred[2], 1);
	CHECK_EQ(o.nr_lazy, 0);
	/* Still busy and mapped, pages still held. */
	CHECK(is_mapped(m, a));
	CHECK(find_vm_area(m, b) != NULL);
	CHECK_EQ(nr_free_pages(m), free_before);
	CHECK_EQ(check_vm(m), 0);

	CHECK_EQ(vmalloc_run_deferred(m, 0), 0);
	CHECK_EQ(vmalloc_run_deferred(m, 1), 2);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_deferred[1], 0);
	CHECK_EQ(o.nr_lazy, 2);
	/* Newest first: b was freed (and pushed on the purge list) before
	 * a, so the purge list, itself LIFO, reads a, b. */
	CHECK(va_of_purge(vs->purge.next)->va_start == a);
	CHECK(va_of_purge(vs->purge.next->next)->va_start == b);
	CHECK(!is_mapped(m, a));
	CHECK_EQ(nr_free_pages(m), free_before + 3);
	CHECK_EQ(check_vm(m), 0);
	CHECK_EQ(vmalloc_run_deferred(m, 2), 1);
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vmalloc_run_deferred(m, 4), -VMF_EINVAL));
	/* After the work ran, a is lazily freed: still a double free. */
	REFUSED(m, WARN_VFREE_DOUBLE, CHECK_EQ(vfree(m, a), -VMF_EINVAL));
	purge_vmap_area_lazy(m);
	/* After the purge, a is simply not there. */
	REFUSED(m, WARN_VFREE_NONEXISTENT, CHECK_EQ(vfree(m, a), -VMF_EINVAL));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- vread, lookups ------------------------------------------------------------ */

static void test_vread(void)
{
	struct vmf_machine *m = mk_default();
	uint8_t pat[2 * P], buf[6 * P];
	struct tlb_stats t0;
	vaddr_t a, b;
	size_t done;

	a = vmalloc(m, 2 * P);     /* [W, W+3P) */
	b = vmalloc(m, P);         /* [W+3P, W+5P) */
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i % 251 + 1);
	mmu_write(m, a, pat, sizeof(pat), 1, &done);
	mmu_write(m, b, pat, P, 1, &done);
	vfree(m, b);               /* lazy: reads as a hole */
	t0 = *tlb_stats(m);
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vread(m, buf, a, sizeof(buf)), (long)sizeof(buf));
	CHECK(memcmp(buf, pat, 2 * P) == 0);
	for (size_t i = 2 * P; i < sizeof(buf); i++)
		if (buf[i])
			CHECK(!"hole, guard or lazy area did not read zero");
	/* vread does not touch the TLB. */
	CHECK(memcmp(&t0, tlb_stats(m), sizeof(t0)) == 0);
	/* Starting in the middle of an area, and in a hole before one. */
	CHECK_EQ(vread(m, buf, a + P + 10, 20), 20);
	CHECK(memcmp(buf, pat + P + 10, 20) == 0);
	CHECK_EQ(vread(m, buf, W0 + 100 * P, 16), 16);
	CHECK_EQ(buf[0], 0);
	/* Outside the window: nothing. */
	CHECK_EQ(vread(m, buf, W0 - P, 16), 0);
	CHECK_EQ(vread(m, buf, a, 0), 0);
	CHECK(vmalloc_to_page(m, b) == NULL);
	CHECK_EQ(vmalloc_to_pfn(m, b), 0);
	vmf_machine_destroy(m);
}

/* ---- early areas ------------------------------------------------------------- */

static void test_early_areas(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vmalloc_obs o;
	struct vm_struct *vm;

	cfg_small(&c, 0);
	m = mk(&c, false);
	CHECK_EQ(vm_area_register_early(m, 3 * P, P, "pcpu1"), W0);
	CHECK_EQ(vm_area_register_early(m, P, 4 * P, "pcpu2"), W0 + 4 * P);
	/* Refused ones change nothing, vm_init_off included. */
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_area_register_early(m, P, 3, "x"), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_area_register_early(m, 100, P, "x"), 0));
	CHECK_EQ(vm_area_register_early(m, 2 * P, 1, "pcpu3"), W0 + 5 * P);
	CHECK_EQ(vm_area_add_early(m, W0 + 16 * P, 4 * P, VM_MAP | VM_NO_GUARD,
				   "kimage"), 0);
	REFUSED(m, WARN_VMALLOC_EARLY_OVERLAP,
		CHECK_EQ(vm_area_add_early(m, W0 + 18 * P, 4 * P, 0, "x"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_EARLY_OVERLAP,
		CHECK_EQ(vm_area_add_early(m, W0 + 14 * P, 4 * P, 0, "x"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_EARLY_OVERLAP,
		CHECK_EQ(vm_area_add_early(m, W0 + 6 * P, P, 0, "x"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_area_add_early(m, W0 - P, 2 * P, 0, "x"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_area_add_early(m, W0 + 40 * P, 0, 0, "x"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_area_add_early(m, W0 + 40 * P + 1, P, 0, "x"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_area_add_early(m, W0 + 40 * P, P, 0x1000, "x"),
			 -VMF_EINVAL));
	CHECK_EQ(m->km.objects, 4); /* the vm_structs; vmap_areas at init */
	vmalloc_init(m);
	CHECK_EQ(m->km.objects, 8);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_busy, 4);
	CHECK(!o.cache_set);
	vm = vm_at(m, W0 + 17 * P);
	CHECK(vm != NULL && vm->addr == W0 + 16 * P);
	CHECK_EQ(check_vm(m), 0);
	REFUSED(m, WARN_VMALLOC_EARLY_LATE,
		CHECK_EQ(vm_area_add_early(m, W0 + 40 * P, P, 0, "late"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_EARLY_LATE,
		CHECK_EQ(vm_area_register_early(m, P, 1, "late"), 0));

	/* The first vmalloc walks past them: the one-page hole at W+3P is
	 * too small (2 pages with the guard), the next fit is W+7P. */
	CHECK_EQ(vmalloc(m, P), W0 + 7 * P);
	vmalloc_observe(m, &o);
	CHECK_EQ(o.cached_hole_size, P);
	/* An early area registered with VM_ALLOC can be vfree'd (it has no
	 * pages); the vmap-like kernel image can be vunmap'ed. */
	CHECK_EQ(vfree(m, W0), 0);
	CHECK_EQ(vunmap(m, W0 + 16 * P), 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);

	/* vmalloc_init: a vmap_area allocation that fails drops that early
	 * area with a warning (the kernel would crash). */
	m = mk(&c, false);
	CHECK_EQ(vm_area_add_early(m, W0, P, 0, "e1"), 0);
	CHECK_EQ(vm_area_add_early(m, W0 + 4 * P, P, 0, "e2"), 0);
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 2);
	{
		uint64_t seq = vmf_warn_seq(m);
		vmalloc_init(m);
		CHECK_EQ(vmf_warn_seq(m), seq + 1);
		CHECK_EQ(warn_kind(m, seq + 1), WARN_VMALLOC_ALLOC_FAILURE);
	}
	vmalloc_observe(m, &o);
	CHECK_EQ(o.nr_busy, 1);
	CHECK(find_vm_area(m, W0) != NULL);
	CHECK(find_vm_area(m, W0 + 4 * P) == NULL);
	CHECK_EQ(m->km.objects, 2);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- vmallocinfo ---------------------------------------------------------------- */

static void test_vmallocinfo(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	struct page *pg[2];
	vaddr_t a, b, d;

	cfg_small(&c, 0);
	c.nr_nodes = 2;
	m = mk(&c, false);
	CHECK_EQ(vm_area_add_early(m, W0, 2 * P, VM_MAP | VM_NO_GUARD,
				   "kimage"), 0);
	vmalloc_init(m);
	a = vmalloc(m, 513 * P);                    /* nested array */
	b = vmalloc_user(m, P);
	vm_or_dummy(get_vm_area(m, 0x3000, VM_IOREMAP))->phys_addr = 0x9000000;
	pg[0] = alloc_pages_owner(m, 1, 0, 0, OWNER_VMAP);
	pg[1] = alloc_pages_owner(m, 0, 0, 0, OWNER_VMAP);
	/* align 1 < the recorded 16K: first fit, the 3-page hole the
	 * ioremap alignment left. */
	d = vmap(m, pg, 2, 0, PAGE_KERNEL);
	vmalloc_node(m, 2 * P, 1);
	vfree(m, b);
	CHECK(a && d);

	f = open_memstream(&text, &len);
	vmallocinfo(m, f);
	fclose(f);
	CHECK_STR(text,
		  "0xffff000008000000-0xffff000008002000    8192 kimage vmap\n"
		  "0xffff000008002000-0xffff000008204000 2105344 vmalloc "
		  "pages=513 vmalloc vpages N0=513\n"
		  "0xffff000008204000-0xffff000008207000   12288 vmalloc "
		  "pages=2 vmalloc N0=2\n"
		  "0xffff000008207000-0xffff000008209000    8192 unpurged "
		  "vm_area\n"
		  "0xffff000008209000-0xffff00000820c000   12288 vmap vmap\n"
		  "0xffff00000820c000-0xffff000008210000   16384 get_vm_area "
		  "phys=0x0000000009000000 ioremap\n"
		  "0xffff000008210000-0xffff000008213000   12288 vmalloc_node "
		  "pages=2 vmalloc N1=2\n");
	free(text);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- other granules --------------------------------------------------------------- */

static void test_granules(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vm_struct *vm;
	uint64_t ps;
	vaddr_t a;

	/* 16K: 2048 entries fit one page; 2049 need a nested array. */
	cfg_small(&c, 0);
	c.page_shift = 14;
	c.phys_size = 256ull << 20;
	m = mk(&c, true);
	ps = m->page_size;
	a = vmalloc(m, 2048 * ps);
	CHECK_EQ(a, m->cfg.vmalloc_start);
	CHECK(find_vm_area(m, a)->pages != NULL);
	a = vmalloc(m, 2049 * ps);
	vm = vm_at(m, a);
	CHECK_EQ(vm->pages_va, a + 2050 * ps);
	CHECK(vm_struct_page(m, vm, 2048) != NULL);
	CHECK_EQ(check_vm(m), 0);
	vfree(m, a);
	purge_vmap_area_lazy(m);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);

	/* 64K: the basics. */
	cfg_small(&c, 0);
	c.page_shift = 16;
	m = mk(&c, true);
	ps = m->page_size;
	a = vmalloc(m, ps + 1);
	CHECK_EQ(a, m->cfg.vmalloc_start);
	CHECK_EQ(vm_at(m, a)->size, 3 * ps);
	CHECK(is_mapped(m, a + ps));
	CHECK(!is_mapped(m, a + 2 * ps));
	CHECK_EQ(check_vm(m), 0);
	vfree(m, a);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* ---- vm_check fails when it must ------------------------------------------------- */

static void expect_check_fails(struct vmf_machine *m, const char *what)
{
	char why[512] = "";

	CHECK(vm_check(m, why, sizeof(why)) != 0);
	if (!strstr(why, what)) {
		fprintf(stderr, "vm_check said \"%s\", expected \"%s\"\n", why,
			what);
		CHECK(!"wrong vm_check reason");
	}
}

static void test_vm_check_catches(void)
{
	struct vmf_machine *m = mk_default();
	struct vmalloc_state *vs = m->vm;
	struct vmap_area *va;
	struct vm_struct *vm;
	struct page *pg;
	vaddr_t a, b, c;
	pfn_t pfn;

	a = vmalloc(m, 2 * P);
	b = vmalloc(m, P);
	c = vmalloc(m, P);
	vfree(m, c);
	CHECK_EQ(check_vm(m), 0);

	vs->vmap_lazy_nr++;
	expect_check_fails(m, "vmap_lazy_nr");
	vs->vmap_lazy_nr--;

	vs->nr_busy++;
	expect_check_fails(m, "nr_busy");
	vs->nr_busy--;

	va = va_at(m, c);
	va->va_start -= P; /* c (lazy) now overlaps b */
	expect_check_fails(m, "overlap");
	va->va_start += P;
	va = va_at(m, b);

	va->flags |= VM_DEFERRED;
	expect_check_fails(m, "deferred");
	va->flags &= ~VM_DEFERRED;

	{
		struct vmap_legacy_state *lg = vs->place_priv;
		vaddr_t was = lg->cache_start;
		bool set = lg->cache_set;

		lg->cache_set = true;
		lg->cache_start = 0x1234;
		expect_check_fails(m, "free_vmap_cache");
		lg->cache_set = set;
		lg->cache_start = was;
	}

	/* A page of a live area unmapped behind the allocator's back. */
	vm = vm_at(m, a);
	CHECK(mapped_to(m, a + P, &pfn));
	mmu_unmap_range(m, a + P, P);
	expect_check_fails(m, "is not mapped");
	CHECK_EQ(mmu_map_pages(m, a + P, &pfn, 1, PAGE_KERNEL), 0);
	CHECK_EQ(check_vm(m), 0);

	/* The guard page mapped. */
	CHECK_EQ(mmu_map_pages(m, a + 2 * P, &pfn, 1, PAGE_KERNEL), 0);
	expect_check_fails(m, "guard page");
	mmu_unmap_range(m, a + 2 * P, P);

	/* A page mapped to the wrong frame. */
	pg = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_TEST);
	pfn = page_to_pfn(m, pg);
	mmu_unmap_range(m, a, P);
	CHECK_EQ(mmu_map_pages(m, a, &pfn, 1, PAGE_KERNEL), 0);
	expect_check_fails(m, "the array says");
	mmu_unmap_range(m, a, P);
	pfn = page_to_pfn(m, vm->pages[0]);
	CHECK_EQ(mmu_map_pages(m, a, &pfn, 1, PAGE_KERNEL), 0);
	__free_pages(m, pg, 0);
	CHECK_EQ(check_vm(m), 0);

	/* A lazily freed area still mapped. */
	pfn = page_to_pfn(m, vm->pages[0]);
	CHECK_EQ(mmu_map_pages(m, c, &pfn, 1, PAGE_KERNEL), 0);
	expect_check_fails(m, "still mapped");
	mmu_unmap_range(m, c, P);

	/* A leaked vmalloc page. */
	pg = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_VMALLOC);
	expect_check_fails(m, "OWNER_VMALLOC");
	__free_pages(m, pg, 0);

	/* Tree order broken. */
	va = va_at(m, a);
	va->va_start += 64 * P;
	va->va_end += 64 * P;
	expect_check_fails(m, "busy tree");
	va->va_start -= 64 * P;
	va->va_end -= 64 * P;

	/* The purge list and the flags disagree. */
	va = va_at(m, c);
	va->flags = VM_VM_AREA;
	va->vm = find_vm_area(m, b);
	expect_check_fails(m, "vm_struct says");
	va->flags = VM_LAZY_FREE;
	va->vm = NULL;
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_init_and_reset), TEST(test_vmalloc_vfree_purge),
	  TEST(test_family), TEST(test_get_vm_area), TEST(test_ioremap_align),
	  TEST(test_vmap), TEST(test_nested_page_array),
	  TEST(test_lazy_threshold), TEST(test_purge_flush_all),
	  TEST(test_overflow_purge_retry), TEST(test_cache_rules_exact),
	  TEST(test_cache_free_side), TEST(test_deferred_per_cpu),
	  TEST(test_vread), TEST(test_early_areas), TEST(test_vmallocinfo),
	  TEST(test_granules), TEST(test_vm_check_catches))
