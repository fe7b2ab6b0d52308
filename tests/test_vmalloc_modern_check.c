/* The modern policy's self-check (lib/mm/vmalloc_modern_check.c) on a
 * corrupted free-space tree: the branches no passing input reaches. Each
 * case breaks one thing (keeping subtree_max_size right, so that the
 * check under test is the one that fires), expects vm_check to fail with
 * its reason, puts it back and expects it to pass again.
 * test_vmalloc_modern.c's test_cross_checks_bite has the first cases
 * (subtree_max_size, a hole in the tiling, the block count). */
#include <vmfuzz/placement.h>

#include "vmalloc_test_util.h"
#include "mm/vmalloc_modern.h"

#define MAXV (~0ull)

static void expect_fails(struct vmf_machine *m, const char *what)
{
	char why[512] = "";

	CHECK(vm_check(m, why, sizeof(why)) != 0);
	if (!strstr(why, what)) {
		fprintf(stderr, "vm_check said \"%s\", expected \"%s\"\n", why,
			what);
		CHECK(!"wrong vm_check reason");
	}
}

/* Busy [W0, W0 + P) and [W0 + 4P, W0 + 5P) in a 16-page window: free
 * blocks b[0] = [1, W0), b[1] = [W0 + P, W0 + 4P), b[2] = [W0 + 5P,
 * ULONG_MAX). */
static struct vmf_machine *setup(struct free_vmap_area *b[3])
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vmap_modern_state *ms;
	struct list_link *l;
	int err = 0;

	cfg_small(&c, 16);
	c.policy = VMF_POLICY_MODERN;
	m = mk(&c, true);
	CHECK(alloc_vmap_area(m, P, P, W0, m->cfg.vmalloc_end, NUMA_NO_NODE,
			      GFP_KERNEL, &err) != NULL);
	CHECK(alloc_vmap_area(m, P, P, W0 + 4 * P, m->cfg.vmalloc_end,
			      NUMA_NO_NODE, GFP_KERNEL, &err) != NULL);
	CHECK_EQ(check_vm(m), 0);
	ms = m->vm->place_priv;
	CHECK_EQ(ms->nr, 3);
	l = ms->head.next;
	for (int i = 0; i < 3; i++, l = l->next)
		b[i] = fva_of_list(l);
	CHECK_EQ(b[1]->va_start, W0 + P);
	CHECK_EQ(b[2]->va_end, MAXV);
	return m;
}

static void set_end(struct free_vmap_area *va, vaddr_t end)
{
	va->va_end = end;
	augment_tree_propagate_from(va);
}

static void test_flags(void)
{
	struct free_vmap_area *b[3];
	struct vmf_machine *m = setup(b);
	struct vmap_modern_state *ms = m->vm->place_priv;

	ms->host_oom = true;
	expect_fails(m, "a free range was lost (host out of memory)");
	ms->host_oom = false;
	ms->overlap = true;
	expect_fails(m, "a free range overlapped a free block");
	ms->overlap = false;
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_list_and_blocks(void)
{
	struct free_vmap_area *b[3];
	struct vmf_machine *m = setup(b);
	struct vmap_modern_state *ms = m->vm->place_priv;
	struct free_vmap_area *pre;
	unsigned cpu = VMF_MAX_CPUS - 1;

	/* The list out of the tree's order. */
	vlist_del(&b[1]->list);
	vlist_add_after(&b[1]->list, &b[2]->list);
	expect_fails(m, "free list and tree differ at block 1");
	vlist_del(&b[1]->list);
	vlist_add_after(&b[1]->list, &b[0]->list);
	CHECK_EQ(check_vm(m), 0);

	set_end(b[1], b[1]->va_start);
	expect_fails(m, "empty free block");
	set_end(b[1], W0 + 4 * P);
	CHECK_EQ(check_vm(m), 0);

	/* b[1] grown up to b[2]: they touch, so they should have merged. */
	set_end(b[1], W0 + 5 * P);
	expect_fails(m, "touch or overlap (not merged)");
	set_end(b[1], W0 + 4 * P);
	CHECK_EQ(check_vm(m), 0);

	pre = ms->ne_fit_preload_node[cpu];
	ms->ne_fit_preload_node[cpu] = b[1];
	expect_fails(m, "ne_fit_preload_node is in the tree");
	ms->ne_fit_preload_node[cpu] = pre;
	CHECK_EQ(check_vm(m), 0);

	/* The last block stops short of ULONG_MAX. */
	set_end(b[2], MAXV - P);
	expect_fails(m, "end at 0x");
	expect_fails(m, "not ULONG_MAX");
	set_end(b[2], MAXV);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_flags), TEST(test_list_and_blocks))
