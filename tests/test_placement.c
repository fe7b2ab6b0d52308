/* The placement plug-in interface: the read-only registry, and the worked
 * example policy (next-fit with a roving cursor) with exact addresses. */
#include <stdlib.h>

#include <vmfuzz/placement.h>

#include "vmalloc_test_util.h"

static void test_registry(void)
{
	static const char *const names[VMF_POLICY_NR] = {
		[VMF_POLICY_LEGACY] = "legacy",
		[VMF_POLICY_MODERN] = "modern",
		[VMF_POLICY_NEXTFIT] = "nextfit",
	};

	for (unsigned i = 0; i < VMF_POLICY_NR; i++) {
		const struct vmf_placement *p = vmf_placement_get(i);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_STR(p->name, names[i]);
		CHECK_EQ(vmf_placement_lookup(names[i]), (int)i);
		CHECK(p->create && p->destroy && p->alloc && p->free);
		CHECK((p->guarantee & VMF_PLACE_GUARANTEE_MASK) >= 1 &&
		      (p->guarantee & VMF_PLACE_GUARANTEE_MASK) <= 4);
	}
	CHECK(vmf_placement_get(VMF_POLICY_NR) == NULL);
	CHECK_EQ(vmf_placement_lookup("bestfit"), -1);
	/* The contract's values. */
	CHECK_EQ(VMF_PLACE_LOWEST_FIT, 1);
	CHECK_EQ(VMF_PLACE_TREE_LOWEST, 2);
	CHECK_EQ(VMF_PLACE_ANY_FIT, 3);
	CHECK_EQ(VMF_PLACE_TOP_DOWN, 4);
	CHECK_EQ(VMF_PLACE_MAY_OVERFLOW_WITH_SPACE, 0x100);
	CHECK_EQ(vmf_placement_get(VMF_POLICY_LEGACY)->guarantee,
		 VMF_PLACE_LOWEST_FIT | VMF_PLACE_MAY_OVERFLOW_WITH_SPACE);
	CHECK_EQ(vmf_placement_get(VMF_POLICY_MODERN)->guarantee,
		 VMF_PLACE_TREE_LOWEST | VMF_PLACE_MAY_OVERFLOW_WITH_SPACE);
	CHECK_EQ(vmf_placement_get(VMF_POLICY_NEXTFIT)->guarantee,
		 VMF_PLACE_ANY_FIT);
}

/* The machine runs the policy its config names, and refuses an id that
 * is not registered. */
static void test_config_selects(void)
{
	struct vmf_config c;
	char why[200] = "";

	for (unsigned i = 0; i < VMF_POLICY_NR; i++) {
		struct vmf_machine *m;
		struct vmalloc_obs o;

		cfg_small(&c, 16);
		c.policy = i;
		m = mk(&c, true);
		CHECK(m->vm->place == vmf_placement_get(i));
		vmalloc_observe(m, &o);
		CHECK_EQ(o.place_guarantee, vmf_placement_get(i)->guarantee);
		CHECK_EQ(vmalloc(m, P), W0); /* an empty window: lowest */
		CHECK_EQ(check_vm(m), 0);
		vmf_machine_destroy(m);
	}
	cfg_small(&c, 16);
	c.policy = VMF_POLICY_NR;
	CHECK(vmf_config_check(&c, why, sizeof(why)) != 0);
	CHECK(strstr(why, "policy") != NULL);
}

static vaddr_t nf_get(struct vmf_machine *m, uint64_t pages)
{
	int err = 0;
	struct vmap_area *va =
		alloc_vmap_area(m, pages * P, P, W0, W0 + 16 * P, NUMA_NO_NODE,
				GFP_KERNEL | __GFP_NOWARN, &err);

	return va ? va->va_start : 0;
}

/* Next-fit: the search starts where the last placement ended and wraps
 * once; it overflows only when no hole fits. */
static void test_nextfit(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	vaddr_t a, b, d;

	cfg_small(&c, 16);
	c.policy = VMF_POLICY_NEXTFIT;
	m = mk(&c, false);
	CHECK_EQ(vm_area_add_early(m, W0 + 8 * P, P, VM_ALLOC, "t"), 0);
	vmalloc_init(m);
	a = nf_get(m, 2);
	b = nf_get(m, 2);
	CHECK_EQ(a, W0);
	CHECK_EQ(b, W0 + 2 * P);
	__free_vmap_area(m, va_at(m, a));
	/* Not the hole at W0 (first fit would take it): after b. */
	CHECK_EQ(nf_get(m, 1), W0 + 4 * P);
	/* 3 pages: [W0 + 5P, W0 + 8P) before the early area. */
	CHECK_EQ(nf_get(m, 3), W0 + 5 * P);
	/* 4 pages: none from the cursor (W0 + 8P) up to the early area,
	 * [W0 + 9P, W0 + 13P) after it. */
	d = nf_get(m, 4);
	CHECK_EQ(d, W0 + 9 * P);
	/* 3 pages: [W0 + 13P, W0 + 16P) is exactly the rest. */
	CHECK_EQ(nf_get(m, 3), W0 + 13 * P);
	/* Wrap: the hole at W0 (2 pages). */
	CHECK_EQ(nf_get(m, 2), W0);
	/* Nothing left: overflow (after the purge), nothing changed. */
	CHECK_EQ(nf_get(m, 1), 0);
	CHECK_EQ(check_vm(m), 0);
	/* The self-check sees a busy area it was not told about. */
	{
		struct vmap_area *va = va_at(m, d);
		char why[200] = "";

		va->va_end -= P;
		CHECK(vm_check(m, why, sizeof(why)) != 0);
		CHECK(strstr(why, "nextfit") != NULL);
		va->va_end += P;
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_registry), TEST(test_config_selects), TEST(test_nextfit))
