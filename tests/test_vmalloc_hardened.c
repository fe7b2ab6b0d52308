/* The hardened refusals of docs/vmalloc.md: each records exactly one
 * warning of its kind, returns the defined error and changes nothing at
 * all: allocator state, free pages, kmalloc objects, fault-site call
 * counts (a fault set to ALWAYS is not even consulted), page tables, TLB
 * statistics. The REFUSED() macro checks all of that. */
#include "vmalloc_test_util.h"

struct arg_case {
	uint64_t size, align;
	vaddr_t start, end;
	int node;
	gfp_t gfp;
	unsigned long flags;
	bool irq;
	enum vmf_warn_kind kind;
};

/* The argument checks, in their documented order (size, align, range,
 * node / gfp / flags, context), for both entry points. */
static void test_area_args(void)
{
	struct vmf_machine *m = mk_default();
	const vaddr_t s = m->cfg.vmalloc_start, e = m->cfg.vmalloc_end;
	const uint64_t ram = totalram_pages(m) * P;
	const struct arg_case cases[] = {
		{0, 1, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_SIZE},
		{~0ull, 1, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_SIZE},
		{~0ull - P + 2, 1, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_SIZE},
		{ram + P, 1, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_SIZE},
		{ram + 1, 1, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_SIZE},
		{P, 0, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_ALIGN},
		{P, 3, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_ALIGN},
		{P, 3 * P, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_ALIGN},
		{0, 3, s, e, -1, 0, 0, false, WARN_VMALLOC_BAD_SIZE},
		{P, 1, s, s, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, e - P, s, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, s - P, e, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, s, e + P, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, s + 8, e, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, s, e - 8, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, 0, 0x1000, -1, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 5, e, s, 7, 0, 0, false, WARN_VMALLOC_BAD_ALIGN},
		{P, 1, e, s, 7, 0, 0, false, WARN_VMALLOC_BAD_RANGE},
		{P, 1, s, e, 1, 0, 0, false, WARN_VMALLOC_BAD_ARG},
		{P, 1, s, e, -2, 0, 0, false, WARN_VMALLOC_BAD_ARG},
		{P, 1, s, e, -1, 0x20, 0, false, WARN_VMALLOC_BAD_ARG},
		{P, 1, s, e, -1, 0x80000000u, 0, false, WARN_VMALLOC_BAD_ARG},
		{P, 1, s, e, -1, 0, 0x80, false, WARN_VMALLOC_BAD_ARG},
		{P, 1, s, e, -1, 0, 1ul << 40, false, WARN_VMALLOC_BAD_ARG},
		{P, 1, s, e, -1, 0, 0, true, WARN_VMALLOC_BAD_ARG},
		{0, 1, s, e, -1, 0, 0, true, WARN_VMALLOC_BAD_SIZE},
		{P, 3, s, e, 9, 0, 0, true, WARN_VMALLOC_BAD_ALIGN},
	};

	/* Faults armed on every site: a refusal must not consult them. */
	for (int site = 0; site < FAULT_SITE_NR; site++)
		vmf_fault_set(m, (enum vmf_fault_site)site, FAULT_ALWAYS, 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct arg_case *c = &cases[i];
		uint64_t seq = vmf_warn_seq(m);

		m->in_interrupt = c->irq;
		REFUSED(m, c->kind,
			CHECK_EQ(__vmalloc_node_range(m, c->size, c->align,
						      c->start, c->end, c->gfp,
						      PAGE_KERNEL, c->flags,
						      c->node, "t"), 0));
		REFUSED(m, c->kind,
			CHECK(__get_vm_area_node(m, c->size, c->align, c->flags,
						 c->start, c->end, c->node,
						 c->gfp, "t") == NULL));
		if (vmf_warn_seq(m) != seq + 2 ||
		    warn_kind(m, seq + 1) != c->kind)
			fprintf(stderr, "  (case %zu)\n", i);
		m->in_interrupt = false;
	}
	/* Through the wrappers. */
	REFUSED(m, WARN_VMALLOC_BAD_SIZE, CHECK_EQ(vmalloc(m, 0), 0));
	REFUSED(m, WARN_VMALLOC_BAD_SIZE, CHECK_EQ(vzalloc(m, ram + P), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc_node(m, P, 3), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(__vmalloc(m, P, 0x100, PAGE_KERNEL), 0));
	REFUSED(m, WARN_VMALLOC_BAD_SIZE, CHECK(get_vm_area(m, 0, 0) == NULL));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK(get_vm_area(m, P, 0x100) == NULL));
	/* The caller's align is checked even where VM_IOREMAP replaces it. */
	REFUSED(m, WARN_VMALLOC_BAD_ALIGN,
		CHECK(__get_vm_area_node(m, P, 3, VM_IOREMAP, s, e, -1, 0,
					 "t") == NULL));
	m->in_interrupt = true;
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK(get_vm_area(m, P, 0) == NULL));
	m->in_interrupt = false;
	/* alloc_vmap_area: a non-zero page multiple, then the rest. */
	{
		int err = 0;
		REFUSED(m, WARN_VMALLOC_BAD_SIZE,
			CHECK(alloc_vmap_area(m, 0, 1, s, e, -1, 0, &err) ==
			      NULL));
		CHECK_EQ(err, -VMF_EINVAL);
		REFUSED(m, WARN_VMALLOC_BAD_SIZE,
			CHECK(alloc_vmap_area(m, P + 1, 1, s, e, -1, 0, &err) ==
			      NULL));
		REFUSED(m, WARN_VMALLOC_BAD_ALIGN,
			CHECK(alloc_vmap_area(m, P, 6, s, e, -1, 0, &err) ==
			      NULL));
		REFUSED(m, WARN_VMALLOC_BAD_RANGE,
			CHECK(alloc_vmap_area(m, P, 1, e, s, -1, 0, &err) ==
			      NULL));
		REFUSED(m, WARN_VMALLOC_BAD_ARG,
			CHECK(alloc_vmap_area(m, P, 1, s, e, 4, 0, &err) ==
			      NULL));
		REFUSED(m, WARN_VMALLOC_BAD_ARG,
			CHECK(alloc_vmap_area(m, P, 1, s, e, -1, 0x40, &err) ==
			      NULL));
	}
	for (int site = 0; site < FAULT_SITE_NR; site++)
		vmf_fault_set(m, (enum vmf_fault_site)site, FAULT_OFF, 0);
	CHECK_EQ(m->vm->nr_busy, 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* The free family: bad address, nonexistent, interior, double, wrong
 * kind; and the deferred paths check at vfree time. */
static void test_free_refusals(void)
{
	struct vmf_machine *m = mk_default();
	struct vm_struct *gva, fake;
	struct page *pg[2];
	struct vmap_area *bare;
	vaddr_t a, l, v;
	int err;

	a = vmalloc(m, 2 * P);                 /* [W, W+3P) */
	l = vmalloc(m, P);                     /* lazily freed below */
	gva = vm_or_dummy(get_vm_area(m, 2 * P, 0));
	pg[0] = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_VMAP);
	pg[1] = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_VMAP);
	v = vmap(m, pg, 2, 0, PAGE_KERNEL);
	bare = alloc_vmap_area(m, 2 * P, 1, m->cfg.vmalloc_start,
			       m->cfg.vmalloc_end, NUMA_NO_NODE, 0, &err);
	CHECK(bare != NULL);
	if (!bare) {
		vmf_machine_destroy(m);
		return;
	}
	CHECK_EQ(vfree(m, l), 0);
	memset(&fake, 0, sizeof(fake));

	for (int site = 0; site < FAULT_SITE_NR; site++)
		vmf_fault_set(m, (enum vmf_fault_site)site, FAULT_ALWAYS, 0);
	for (int irq = 0; irq < 2; irq++) {
		/* vfree in interrupt context takes the deferred path: the
		 * same checks happen right away. */
		m->in_interrupt = irq;
		REFUSED(m, WARN_VFREE_BAD_ADDR, CHECK_EQ(vfree(m, a + 1),
							 -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_BAD_ADDR, CHECK_EQ(vfree(m, a + P - 1),
							 -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK_EQ(vfree(m, W0 + 1000 * P), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK_EQ(vfree(m, 0x1000), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_INTERIOR, CHECK_EQ(vfree(m, a + P),
							 -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_INTERIOR, /* the guard page */
			CHECK_EQ(vfree(m, a + 2 * P), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_DOUBLE, CHECK_EQ(vfree(m, l),
						       -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_WRONG_KIND,
			CHECK_EQ(vfree(m, gva->addr), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_WRONG_KIND, CHECK_EQ(vfree(m, v),
							   -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK_EQ(vfree(m, bare->va_start), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_INTERIOR,
			CHECK_EQ(vfree_atomic(m, a + P), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_WRONG_KIND,
			CHECK_EQ(vfree_atomic(m, v), -VMF_EINVAL));
		CHECK_EQ(vfree(m, 0), 0);
		CHECK_EQ(vfree_atomic(m, 0), 0);
		/* remove_vm_area / free_vm_area take no interrupt check. */
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK(remove_vm_area(m, W0 + 1000 * P) == NULL));
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK(remove_vm_area(m, 0) == NULL));
		REFUSED(m, WARN_VFREE_BAD_ADDR,
			CHECK(remove_vm_area(m, v + 12) == NULL));
		REFUSED(m, WARN_VFREE_INTERIOR,
			CHECK(remove_vm_area(m, v + P) == NULL));
		REFUSED(m, WARN_VFREE_DOUBLE,
			CHECK(remove_vm_area(m, l) == NULL));
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK_EQ(free_vm_area(m, NULL), -VMF_EINVAL));
		REFUSED(m, WARN_VFREE_NONEXISTENT,
			CHECK_EQ(free_vm_area(m, &fake), -VMF_EINVAL));
	}
	m->in_interrupt = false;
	REFUSED(m, WARN_VFREE_WRONG_KIND, CHECK_EQ(vunmap(m, a), -VMF_EINVAL));
	REFUSED(m, WARN_VFREE_BAD_ADDR, CHECK_EQ(vunmap(m, v + 1), -VMF_EINVAL));
	REFUSED(m, WARN_VFREE_NONEXISTENT,
		CHECK_EQ(vunmap(m, W0 + 1000 * P), -VMF_EINVAL));
	REFUSED(m, WARN_VFREE_INTERIOR, CHECK_EQ(vunmap(m, v + P), -VMF_EINVAL));
	REFUSED(m, WARN_VFREE_DOUBLE, CHECK_EQ(vunmap(m, l), -VMF_EINVAL));
	CHECK_EQ(vunmap(m, 0), 0);
	/* vunmap in interrupt context: BUG_ON(in_interrupt()), before the
	 * NULL test. */
	m->in_interrupt = true;
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vunmap(m, v), -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vunmap(m, 0), -VMF_EINVAL));
	m->in_interrupt = false;
	for (int site = 0; site < FAULT_SITE_NR; site++)
		vmf_fault_set(m, (enum vmf_fault_site)site, FAULT_OFF, 0);

	/* All of them still work the right way round. */
	CHECK_EQ(check_vm(m), 0);
	CHECK_EQ(vfree(m, a), 0);
	CHECK_EQ(vunmap(m, v), 0);
	CHECK_EQ(free_vm_area(m, gva), 0);
	/* A double free_vm_area of a stale pointer finds no area. */
	REFUSED(m, WARN_VFREE_NONEXISTENT,
		CHECK_EQ(free_vm_area(m, gva), -VMF_EINVAL));
	CHECK_EQ(check_vm(m), 0);
	__free_pages(m, pg[0], 0);
	__free_pages(m, pg[1], 0);
	vmf_machine_destroy(m);
}

static void test_vmap_refusals(void)
{
	struct vmf_machine *m = mk_default();
	struct page *pg[2], *bad[2];
	uint64_t ram = totalram_pages(m);

	pg[0] = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_VMAP);
	pg[1] = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_VMAP);
	bad[0] = pg[0];
	bad[1] = (struct page *)((char *)pg[1] + 1);
	for (int site = 0; site < FAULT_SITE_NR; site++)
		vmf_fault_set(m, (enum vmf_fault_site)site, FAULT_ALWAYS, 0);
	REFUSED(m, WARN_VMALLOC_BAD_SIZE,
		CHECK_EQ(vmap(m, pg, 0, 0, PAGE_KERNEL), 0));
	REFUSED(m, WARN_VMALLOC_BAD_SIZE,
		CHECK_EQ(vmap(m, pg, (unsigned)ram + 1, 0, PAGE_KERNEL), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vmap(m, pg, 2, 0x1000, PAGE_KERNEL), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vmap(m, NULL, 2, 0, PAGE_KERNEL), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vmap(m, bad, 2, 0, PAGE_KERNEL), 0));
	m->in_interrupt = true;
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vmap(m, pg, 2, 0, PAGE_KERNEL), 0));
	m->in_interrupt = false;
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vmalloc_run_deferred(m, 4), -VMF_EINVAL));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Before vmalloc_init and for early areas. */
static void test_boot_refusals(void)
{
	struct vmf_config c;
	struct vmf_machine *m;

	cfg_small(&c, 0);
	m = mk(&c, false);
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK_EQ(vmalloc(m, P), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG, CHECK(get_vm_area(m, P, 0) == NULL));
	{
		struct page *pg = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0,
						    OWNER_VMAP);
		REFUSED(m, WARN_VMALLOC_BAD_ARG,
			CHECK_EQ(vmap(m, &pg, 1, 0, PAGE_KERNEL), 0));
		__free_pages(m, pg, 0);
	}
	REFUSED(m, WARN_VFREE_NONEXISTENT, CHECK_EQ(vfree(m, W0), -VMF_EINVAL));
	CHECK_EQ(vm_area_add_early(m, W0, P, 0, "e"), 0);
	/* Early areas are not in the tree before vmalloc_init. */
	REFUSED(m, WARN_VFREE_NONEXISTENT, CHECK_EQ(vfree(m, W0), -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_EARLY_OVERLAP,
		CHECK_EQ(vm_area_add_early(m, W0, P, 0, "e"), -VMF_EINVAL));
	vmalloc_init(m);
	REFUSED(m, WARN_VMALLOC_EARLY_LATE,
		CHECK_EQ(vm_area_add_early(m, W0 + 8 * P, P, 0, "e"),
			 -VMF_EINVAL));
	REFUSED(m, WARN_VMALLOC_EARLY_LATE, vmalloc_init(m));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_area_args), TEST(test_free_refusals),
	  TEST(test_vmap_refusals), TEST(test_boot_refusals))
