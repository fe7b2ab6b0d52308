/* vm_check's vmap block part (lib/mm/vmap_block_check.c) on corrupted
 * state: the branches no passing input reaches. Each case breaks one
 * thing, expects vm_check to fail with its reason, puts it back and
 * expects it to pass again. test_vmap_block.c's test_check_catches has
 * the first cases (free and dirty counts, dirty range, queue membership,
 * a dirty page mapped again). 4K pages: 1024-page blocks. The index's
 * "more blocks than busy areas" needs a block whose area is not busy,
 * which the block's own area check reports first: defensive, no case. */
#include "vmalloc_test_util.h"

#define BITS 1024ul

/* A plain vm_map_ram area p (65 pages, no block) at W0; on CPU 0 a block
 * with x (1 page, unmapped again: dirty) and y (2 pages); on CPU 1 a
 * block with z (1 page). */
struct fixture {
	struct vmf_machine *m;
	struct page *pg[128];
	vaddr_t p, y, z;
	struct vmap_block *b0, *b1;
};

static void setup(struct fixture *f)
{
	vaddr_t x;

	f->m = mk_default();
	for (unsigned i = 0; i < 128; i++)
		f->pg[i] = alloc_pages_owner(f->m, NUMA_NO_NODE, 0, 0,
					     OWNER_VMAP);
	f->p = vm_map_ram(f->m, f->pg, 65, NUMA_NO_NODE, PAGE_KERNEL);
	x = vm_map_ram(f->m, f->pg + 65, 1, NUMA_NO_NODE, PAGE_KERNEL);
	f->y = vm_map_ram(f->m, f->pg + 66, 2, NUMA_NO_NODE, PAGE_KERNEL);
	f->m->cur_cpu = 1;
	f->z = vm_map_ram(f->m, f->pg + 68, 1, NUMA_NO_NODE, PAGE_KERNEL);
	f->m->cur_cpu = 0;
	CHECK(f->p && x && f->y && f->z);
	CHECK_EQ(vm_unmap_ram(f->m, x, 1), 0);
	f->b0 = vmap_block_lookup(f->m, f->y);
	f->b1 = vmap_block_lookup(f->m, f->z);
	CHECK(f->b0 && f->b1 && f->b0 != f->b1);
	CHECK(f->b0 && f->b0->dirty == 1 && f->b0->map[1] == 2);
	CHECK_EQ(check_vm(f->m), 0);
}

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

/* A block's area and its map of pages. */
static void test_block_map(void)
{
	struct fixture f;
	struct vmap_block *vb;
	struct vmap_area *va;
	unsigned long flags;
	vaddr_t end;

	setup(&f);
	if (!f.b0)
		return;
	vb = f.b0;
	va = vb->va;

	end = va->va_end;
	va->va_end -= P;
	expect_fails(f.m, "is not one aligned block");
	va->va_end = end;
	CHECK_EQ(check_vm(f.m), 0);

	flags = va->flags;
	va->flags = 0; /* a bare area for the busy tree */
	expect_fails(f.m, "area flags 0x0");
	va->flags = flags;
	CHECK_EQ(check_vm(f.m), 0);

	vb->map[BITS - 1] = VB_PAGE_TAIL;
	expect_fails(f.m, "a carve's tail without its head");
	vb->map[BITS - 1] = 2; /* a 2-page carve at the last page */
	expect_fails(f.m, "runs past the block");
	vb->map[BITS - 1] = VB_PAGE_FREE;
	CHECK_EQ(check_vm(f.m), 0);

	vb->map[2] = VB_PAGE_FREE; /* y's second page */
	expect_fails(f.m, "of 2 pages is cut at 2");
	vb->map[2] = VB_PAGE_TAIL;
	CHECK_EQ(check_vm(f.m), 0);

	/* x's dirty page 0 and the last free page trade places: the counts
	 * hold, the free pages are no longer the last ones. */
	vb->map[0] = VB_PAGE_FREE;
	vb->map[BITS - 1] = VB_PAGE_DIRTY;
	vb->dirty_max = BITS;
	expect_fails(f.m, "free pages are not the last");
	vb->map[0] = VB_PAGE_DIRTY;
	vb->map[BITS - 1] = VB_PAGE_FREE;
	vb->dirty_max = 1;
	CHECK_EQ(check_vm(f.m), 0);

	/* z's block has no dirty page, so no dirty range. */
	f.b1->dirty_max = 5;
	expect_fails(f.m, "no dirty page, dirty range");
	f.b1->dirty_max = 0;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* A block every page of which is dirty must have been freed. */
static void test_all_dirty(void)
{
	struct fixture f;
	uint8_t map[BITS];
	struct vmap_block *vb, saved;
	vaddr_t w;

	setup(&f);
	f.m->cur_cpu = 2;
	w = vm_map_ram(f.m, f.pg + 69, 1, NUMA_NO_NODE, PAGE_KERNEL);
	CHECK_EQ(vm_unmap_ram(f.m, w, 1), 0);
	f.m->cur_cpu = 0;
	vb = vmap_block_lookup(f.m, w);
	CHECK(vb != NULL);
	if (!vb)
		return;
	CHECK_EQ(check_vm(f.m), 0);
	saved = *vb;
	memcpy(map, vb->map, sizeof(map));
	memset(vb->map, VB_PAGE_DIRTY, BITS);
	vb->dirty = BITS;
	vb->free = 0;
	vb->dirty_min = 0;
	vb->dirty_max = BITS;
	vlist_del(&vb->free_list); /* full: off its queue */
	vb->queued = false;
	f.m->vm->vbq_len[2]--;
	expect_fails(f.m, "all dirty but not freed");
	vlist_add_after(&vb->free_list, &f.m->vm->vbq[2]);
	f.m->vm->vbq_len[2]++;
	vb->queued = saved.queued;
	vb->dirty = saved.dirty;
	vb->free = saved.free;
	vb->dirty_min = saved.dirty_min;
	vb->dirty_max = saved.dirty_max;
	memcpy(vb->map, map, sizeof(map));
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* The index, the per-CPU queues and their counters. */
static void test_index_and_queues(void)
{
	struct fixture f;
	struct vmalloc_state *vs;
	struct vmap_block *vb;
	struct list_link *head;
	unsigned n;

	setup(&f);
	if (!f.b0)
		return;
	vs = f.m->vm;
	vb = f.b0;
	head = &vs->vbq[0];
	n = f.m->cfg.nr_cpus;
	CHECK(n < VMF_MAX_CPUS);

	vs->nr_vmap_blocks++;
	expect_fails(f.m, "nr_vmap_blocks = 3, the index holds 2");
	vs->nr_vmap_blocks--;
	CHECK_EQ(check_vm(f.m), 0);

	/* The block on a queue of a CPU the machine does not have. */
	vlist_del(&vb->free_list);
	vlist_add_after(&vb->free_list, &vs->vbq[n]);
	vs->vbq_len[0]--;
	vs->vbq_len[n]++;
	vb->cpu = n;
	expect_fails(f.m, "on the queue of CPU 4 of 4");
	vb->cpu = 0;
	vlist_del(&vb->free_list);
	vlist_add_after(&vb->free_list, head);
	vs->vbq_len[0]++;
	vs->vbq_len[n]--;
	CHECK_EQ(check_vm(f.m), 0);

	/* Queue 0's only entry points at itself both ways: a loop. */
	CHECK(head->next == &vb->free_list && head->prev == &vb->free_list);
	vb->free_list.next = &vb->free_list;
	vb->free_list.prev = &vb->free_list;
	expect_fails(f.m, "queue of CPU 0: more entries than blocks");
	vb->free_list.next = head;
	vb->free_list.prev = head;
	CHECK_EQ(check_vm(f.m), 0);

	head->prev = &f.b1->free_list;
	expect_fails(f.m, "queue of CPU 0: links broken");
	head->prev = &vb->free_list;
	CHECK_EQ(check_vm(f.m), 0);

	vb->cpu = 2; /* a CPU it has, not the queue it is on */
	expect_fails(f.m, "is another CPU's");
	vb->cpu = 0;
	CHECK_EQ(check_vm(f.m), 0);

	/* Marked queued, on no queue, the queue's length adjusted. */
	vlist_del(&vb->free_list);
	vs->vbq_len[0]--;
	expect_fails(f.m, "blocks marked queued, 1 on the queues");
	vlist_add_after(&vb->free_list, head);
	vs->vbq_len[0]++;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* vm_map_ram areas as the busy tree sees them. */
static void test_ram_areas(void)
{
	struct fixture f;
	struct vmap_area *va, copy;
	vaddr_t start;
	pfn_t pfn;

	setup(&f);
	if (!f.b0)
		return;
	/* The block points at a copy of its area (the index, keyed by the
	 * copy's address, still finds it): the tree's area has no block. */
	va = f.b0->va;
	copy = *va;
	f.b0->va = &copy;
	expect_fails(f.m, "not in the block index");
	f.b0->va = va;
	CHECK_EQ(check_vm(f.m), 0);

	start = f.m->cfg.vmalloc_start;
	f.m->cfg.vmalloc_start = f.p + P;
	expect_fails(f.m, "vm_map_ram area");
	expect_fails(f.m, "outside the window");
	f.m->cfg.vmalloc_start = start;
	CHECK_EQ(check_vm(f.m), 0);

	CHECK(mapped_to(f.m, f.p + 7 * P, &pfn));
	mmu_unmap_range(f.m, f.p + 7 * P, P);
	expect_fails(f.m, "is not mapped");
	CHECK_EQ(mmu_map_pages(f.m, f.p + 7 * P, &pfn, 1, PAGE_KERNEL), 0);
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* A block whose area is a copy outside the busy tree: the tree's area,
 * made bare (no VMAP_BLOCK), passes the busy-tree walk, the block's own
 * check finds its area missing. */
static void test_area_not_busy(void)
{
	struct fixture f;
	struct vmap_area *va, copy;
	unsigned long flags;

	setup(&f);
	if (!f.b0)
		return;
	va = f.b0->va;
	copy = *va;
	flags = va->flags;
	va->flags = 0;
	f.b0->va = &copy;
	expect_fails(f.m, "its area is not in the busy tree");
	f.b0->va = va;
	va->flags = flags;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* A block with free pages that says it is on no queue. */
static void test_free_not_queued(void)
{
	struct fixture f;

	setup(&f);
	if (!f.b0)
		return;
	f.b0->queued = false;
	expect_fails(f.m, "but on no queue");
	f.b0->queued = true;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* Block b1 made a clone of b0 (b0's area, map and counts; b1's own area
 * bare, so the busy-tree walk passes): in the index's order the clone
 * comes after b0 and overlaps it; moved to the root's other side it
 * comes first, and the index finds b0, not the clone, at its address. */
static void test_index_order(void)
{
	struct fixture f;
	struct vmap_block saved;
	struct vmap_area *va1;
	struct rb_node *root;
	unsigned long flags;

	setup(&f);
	if (!f.b0)
		return;
	root = f.m->vm->vb_root.rb_node;
	CHECK(root == &f.b0->rb_node && root->right == &f.b1->rb_node &&
	      !root->left);
	if (root != &f.b0->rb_node || root->right != &f.b1->rb_node)
		return;
	saved = *f.b1;
	va1 = f.b1->va;
	flags = va1->flags;
	va1->flags = 0;
	f.b1->va = f.b0->va;
	memcpy(f.b1->map, f.b0->map, sizeof(f.b1->map));
	f.b1->free = f.b0->free;
	f.b1->dirty = f.b0->dirty;
	f.b1->dirty_min = f.b0->dirty_min;
	f.b1->dirty_max = f.b0->dirty_max;
	expect_fails(f.m, "overlap or are out of order");

	root->left = root->right;
	root->right = NULL;
	expect_fails(f.m, "not found by its index");
	root->right = root->left;
	root->left = NULL;

	*f.b1 = saved;
	va1->flags = flags;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

TEST_MAIN(TEST(test_block_map), TEST(test_all_dirty),
	  TEST(test_index_and_queues), TEST(test_ram_areas),
	  TEST(test_area_not_busy), TEST(test_free_not_queued),
	  TEST(test_index_order))
