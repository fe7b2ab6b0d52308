/* The modern placement policy (Linux 6.1's free-space tree): each rule
 * with exact addresses, derived by hand from 6.1 mm/vmalloc.c (comments
 * give the reasoning), and the kernel's debug cross-checks catching a
 * corrupted tree. 4K pages, a 16-page window at W0. */
#include <stdlib.h>

#include <vmfuzz/placement.h>

#include "vmalloc_test_util.h"
#include "mm/vmalloc_modern.h"

#define MAXV (~0ull)

static struct vmf_machine *mk_modern(uint64_t pages, bool init)
{
	struct vmf_config c;

	cfg_small(&c, pages);
	c.policy = VMF_POLICY_MODERN;
	return mk(&c, init);
}

static struct vmap_modern_state *ms_of(struct vmf_machine *m)
{
	return m->vm->place_priv;
}

/* The free blocks must be exactly these [start, end) pairs, in order. */
static bool blocks_are(struct vmf_machine *m, size_t n, const vaddr_t *b)
{
	struct vmap_modern_state *ms = ms_of(m);
	struct list_link *l = ms->head.next;

	if (ms->nr != n)
		return false;
	for (size_t i = 0; i < n; i++, l = l->next) {
		if (l == &ms->head || fva_of_list(l)->va_start != b[2 * i] ||
		    fva_of_list(l)->va_end != b[2 * i + 1])
			return false;
	}
	return l == &ms->head;
}

#define BLOCKS(m, ...)                                                       \
	blocks_are(m, sizeof((vaddr_t[]){__VA_ARGS__}) / (2 * sizeof(vaddr_t)), \
		   (vaddr_t[]){__VA_ARGS__})

static vaddr_t get(struct vmf_machine *m, uint64_t size, uint64_t align,
		   vaddr_t vstart)
{
	int err = 0;
	struct vmap_area *va = alloc_vmap_area(m, size, align, vstart,
					       m->cfg.vmalloc_end,
					       NUMA_NO_NODE, GFP_KERNEL, &err);

	return va ? va->va_start : 0;
}

static void put(struct vmf_machine *m, vaddr_t addr)
{
	struct vmap_area *va = va_at(m, addr);

	CHECK(va != NULL);
	if (va)
		__free_vmap_area(m, va);
}

static uint64_t kcalls(struct vmf_machine *m)
{
	return m->fault.site[FAULT_KMALLOC].calls;
}

static bool preloaded(struct vmf_machine *m)
{
	struct vmalloc_obs o;

	vmalloc_observe(m, &o);
	return o.ne_preload[m->cur_cpu];
}

/* vmap_init_free_space: [1, ULONG_MAX) minus the early areas, not the
 * window. */
static void test_init_free_space(void)
{
	struct vmf_machine *m = mk_modern(16, true);
	struct vmalloc_obs o;

	CHECK(BLOCKS(m, 1, MAXV));
	vmalloc_observe(m, &o);
	CHECK_EQ(o.free_nr, 1);
	CHECK_EQ(o.free_max, MAXV - 1);
	CHECK_EQ(o.place_guarantee,
		 VMF_PLACE_TREE_LOWEST | VMF_PLACE_MAY_OVERFLOW_WITH_SPACE);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);

	m = mk_modern(16, false);
	CHECK_EQ(vm_area_add_early(m, W0 + 4 * P, 2 * P, VM_ALLOC, "t"), 0);
	CHECK_EQ(vm_area_add_early(m, W0 + 6 * P, P, VM_ALLOC, "t"), 0);
	vmalloc_init(m);
	/* Two touching early areas leave no block between them. */
	CHECK(BLOCKS(m, 1, W0 + 4 * P, W0 + 7 * P, MAXV));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Every fit type, the preload's kmalloc-site calls and the merges, one
 * step at a time (the blocks after each step are worked out by hand). */
static void test_fit_types_and_merges(void)
{
	struct vmf_machine *m = mk_modern(16, true);
	vaddr_t a1, a2, a3, a4, r, ne, fl;

	CHECK_EQ(kcalls(m), 0);
	/* [1, MAX) with vstart W0: NE. Calls: the busy area, the preload
	 * (empty slot); the split consumes the preloaded node. */
	a1 = get(m, P, P, W0);
	CHECK_EQ(a1, W0);
	CHECK(BLOCKS(m, 1, W0, W0 + P, MAXV));
	CHECK_EQ(kcalls(m), 2);
	CHECK(!preloaded(m));
	/* LE in [W0 + P, MAX): the slot is refilled, not consumed. */
	a2 = get(m, P, P, W0);
	CHECK_EQ(a2, W0 + P);
	CHECK(BLOCKS(m, 1, W0, W0 + 2 * P, MAXV));
	CHECK_EQ(kcalls(m), 4);
	CHECK(preloaded(m));
	a3 = get(m, 3 * P, P, W0);
	a4 = get(m, P, P, W0);
	CHECK_EQ(a3, W0 + 2 * P);
	CHECK_EQ(a4, W0 + 5 * P);
	CHECK_EQ(kcalls(m), 6); /* slot full: one call each */
	/* A freed range between two busy areas: a block of its own. */
	put(m, a3);
	CHECK(BLOCKS(m, 1, W0, W0 + 2 * P, W0 + 5 * P, W0 + 6 * P, MAXV));
	CHECK_EQ(check_vm(m), 0);
	/* RE: vstart W0 + 4P in [W0 + 2P, W0 + 5P): nva + size = its end. */
	r = get(m, P, P, W0 + 4 * P);
	CHECK_EQ(r, W0 + 4 * P);
	CHECK(BLOCKS(m, 1, W0, W0 + 2 * P, W0 + 4 * P, W0 + 6 * P, MAXV));
	CHECK_EQ(kcalls(m), 7);
	/* NE: vstart W0 + 8P inside [W0 + 6P, MAX); the preloaded node
	 * becomes the left part. */
	ne = get(m, P, P, W0 + 8 * P);
	CHECK_EQ(ne, W0 + 8 * P);
	CHECK(BLOCKS(m, 1, W0, W0 + 2 * P, W0 + 4 * P, W0 + 6 * P, W0 + 8 * P,
		     W0 + 9 * P, MAXV));
	CHECK_EQ(kcalls(m), 8);
	CHECK(!preloaded(m));
	/* FL: 2P from W0: [W0 + 2P, W0 + 4P) is taken whole. */
	fl = get(m, 2 * P, P, W0);
	CHECK_EQ(fl, W0 + 2 * P);
	CHECK(BLOCKS(m, 1, W0, W0 + 6 * P, W0 + 8 * P, W0 + 9 * P, MAXV));
	CHECK_EQ(kcalls(m), 10); /* busy + refill */
	CHECK(preloaded(m));
	CHECK_EQ(check_vm(m), 0);
	/* Merge with both neighbours: one block from W0 + 6P to MAX. */
	put(m, ne);
	CHECK(BLOCKS(m, 1, W0, W0 + 6 * P, MAXV));
	/* Right neighbour only. */
	put(m, a4);
	CHECK(BLOCKS(m, 1, W0, W0 + 5 * P, MAXV));
	/* Left neighbour only. */
	put(m, a1);
	CHECK(BLOCKS(m, 1, W0 + P, W0 + 5 * P, MAXV));
	CHECK_EQ(check_vm(m), 0);
	put(m, a2);
	put(m, fl);
	put(m, r);
	CHECK(BLOCKS(m, 1, MAXV));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* The NE node: from the preload, else one GFP_NOWAIT call; when both
 * fail, WARN once per machine and the overflow path. */
static void test_ne_preload_failure(void)
{
	struct vmf_machine *m = mk_modern(16, true);
	struct vmap_modern_state *ms = ms_of(m);
	uint64_t purges = m->vm->nr_overflow_purges;
	vaddr_t a, addr = 0;

	/* Calls: 1 busy, 2 preload (fails, silently), 3 GFP_NOWAIT. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 2);
	a = get(m, P, P, W0 + 3 * P);
	CHECK_EQ(a, W0 + 3 * P);
	CHECK_EQ(kcalls(m), 3);
	CHECK(!preloaded(m));
	CHECK_EQ(m->warn.count[WARN_VMAP_NE_FIT_FAIL], 0);
	CHECK(BLOCKS(m, 1, W0 + 3 * P, W0 + 4 * P, MAXV));

	/* Both fail (the policy asked directly: the busy area's kmalloc is
	 * the framework's): -EBUSY, nothing changed, one warning. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_ALWAYS, 0);
	CHECK_EQ(m->vm->place->alloc(m, ms, P, P, W0 + 5 * P,
				     W0 + 16 * P, &addr), -VMF_EBUSY);
	CHECK_EQ(kcalls(m), 5);
	CHECK_EQ(m->warn.count[WARN_VMAP_NE_FIT_FAIL], 1);
	CHECK(BLOCKS(m, 1, W0 + 3 * P, W0 + 4 * P, MAXV));
	CHECK_EQ(m->vm->place->alloc(m, ms, P, P, W0 + 5 * P,
				     W0 + 16 * P, &addr), -VMF_EBUSY);
	CHECK_EQ(m->warn.count[WARN_VMAP_NE_FIT_FAIL], 1); /* once */
	/* An LE or FL fit needs no node: it still works. */
	CHECK_EQ(m->vm->place->alloc(m, ms, P, P, W0 + 4 * P,
				     W0 + 16 * P, &addr), 0);
	CHECK_EQ(addr, W0 + 4 * P);
	/* Through the framework the busy area fails first: -ENOMEM, no
	 * purge, no warning. */
	{
		int err = 0;
		uint64_t w = m->warn.seq;

		CHECK(alloc_vmap_area(m, P, P, W0, W0 + 16 * P, NUMA_NO_NODE,
				      GFP_KERNEL, &err) == NULL);
		CHECK_EQ(err, -VMF_ENOMEM);
		CHECK_EQ(m->warn.seq, w);
		CHECK_EQ(m->vm->nr_overflow_purges, purges);
	}
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_OFF, 0);
	vmf_machine_destroy(m);
}

/* With align > PAGE_SIZE the search length is size + align - 1, so a
 * block that fits exactly but is shorter is skipped when it is off the
 * search path. The tree: inserting H2, L0, T, then H1 gives (red-black
 * insert, recolour at H1) root H2, left L0 with right child H1, right T.
 * Search 2P aligned 4P from W0, length 6P - 1: at H2 go left (L0's
 * subtree holds L0, vstart < H2); L0 does not fit, H1's subtree max 2P
 * is below the length: climb to H2, which fits: W0 + 8P. The linear
 * lowest match (and the search without the adjustment) is H1. */
static void test_search_length(void)
{
	struct vmap_modern_state ms;
	struct free_vmap_area *b[4];
	const vaddr_t r[4][2] = {
		{W0 + 8 * P, W0 + 20 * P}, /* H2 */
		{1, W0},                   /* L0 */
		{W0 + 32 * P, MAXV},       /* T */
		{W0 + 4 * P, W0 + 6 * P},  /* H1 */
	};

	memset(&ms, 0, sizeof(ms));
	ms.root = RB_ROOT;
	vlist_init(&ms.head);
	for (int i = 0; i < 4; i++) {
		b[i] = fva_alloc(&ms);
		b[i]->va_start = r[i][0];
		b[i]->va_end = r[i][1];
		insert_vmap_area_augment(&ms, b[i], NULL);
	}
	CHECK(ms.root.rb_node == &b[0]->rb_node);
	CHECK(b[0]->rb_node.left == &b[1]->rb_node);
	CHECK(b[1]->rb_node.right == &b[3]->rb_node);
	CHECK(b[0]->rb_node.right == &b[2]->rb_node);
	CHECK_EQ(b[0]->subtree_max_size, W0 - 1); /* L0 is the largest */
	CHECK_EQ(b[2]->subtree_max_size, MAXV - (W0 + 32 * P));
	CHECK_EQ(b[3]->subtree_max_size, 2 * P);
	CHECK(find_vmap_lowest_match(&ms, 2 * P, 4 * P, W0, true) == b[0]);
	CHECK(find_vmap_lowest_match(&ms, 2 * P, 4 * P, W0, false) == b[3]);
	/* align <= PAGE_SIZE: no adjustment, the lowest fit. */
	CHECK(find_vmap_lowest_match(&ms, 2 * P, P, W0, false) == b[3]);
	/* vstart past H2's start: only T is left. */
	CHECK(find_vmap_lowest_match(&ms, 2 * P, P, W0 + 19 * P, false) ==
	      b[2]);
	fva_release_all(&ms);
}

/* vend - vstart == size: no adjustment, so an exact range fits. */
static void test_exact_range_no_adjust(void)
{
	struct vmf_machine *m = mk_modern(16, true);
	int err = 0;
	struct vmap_area *va;

	/* A 4P range aligned 4P: [W0 + 4P, W0 + 8P) inside [1, MAX). */
	va = alloc_vmap_area(m, 4 * P, 4 * P, W0 + 4 * P, W0 + 8 * P,
			     NUMA_NO_NODE, GFP_KERNEL, &err);
	CHECK(va && va->va_start == W0 + 4 * P);
	/* The vend check comes after the search: nothing in [W0, W0 + 4P)
	 * for 8P, and the lowest match above it ends past vend. */
	CHECK(alloc_vmap_area(m, 8 * P, P, W0, W0 + 12 * P, NUMA_NO_NODE,
			      GFP_KERNEL | __GFP_NOWARN, &err) == NULL);
	CHECK_EQ(err, -VMF_EBUSY);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void expect_check(struct vmf_machine *m, const char *what)
{
	char why[512] = "";

	CHECK(vm_check(m, why, sizeof(why)) != 0);
	if (!strstr(why, what)) {
		fprintf(stderr, "expected '%s' in: %s\n", what, why);
		CHECK(0);
	}
}

/* DEBUG_AUGMENT_PROPAGATE_CHECK, the tiling and the merge invariant
 * catch a corrupted tree. */
static void test_cross_checks_bite(void)
{
	struct vmf_machine *m = mk_modern(16, true);
	struct vmap_modern_state *ms;
	struct free_vmap_area *va;

	get(m, P, P, W0);
	get(m, P, P, W0 + 4 * P);
	CHECK_EQ(check_vm(m), 0);
	ms = ms_of(m);
	va = fva_of_list(ms->head.next->next); /* [W0 + P, W0 + 4P) */
	CHECK_EQ(va->va_start, W0 + P);

	va->subtree_max_size += P;
	expect_check(m, "subtree_max_size");
	va->subtree_max_size -= P;
	CHECK_EQ(check_vm(m), 0);

	va->va_end -= P; /* a hole in the tiling, the tree kept right */
	augment_tree_propagate_from(va);
	expect_check(m, "does not start");
	va->va_end += P;
	augment_tree_propagate_from(va);

	ms->nr++;
	expect_check(m, "free blocks");
	ms->nr--;
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Reset drops the free tree and the preload; the state is rebuilt by
 * vmalloc_init. */
static void test_reset(void)
{
	struct vmf_machine *m = mk_modern(16, true);
	struct vmf_config c = m->cfg;
	char why[128];

	get(m, P, P, W0);
	get(m, P, P, W0);
	CHECK(preloaded(m));
	CHECK_EQ(vmf_machine_reset(m, &c, why, sizeof(why)), 0);
	vmalloc_init(m);
	CHECK(!preloaded(m));
	CHECK(BLOCKS(m, 1, MAXV));
	CHECK_EQ(get(m, P, P, W0), W0);
	vmf_machine_destroy(m);
}

/* Random alloc/free with aligns up to 16 pages in a 1024-page window:
 * every step passes vm_check (the tree search against the linear one
 * without the adjustment, the augmented values, the tiling), and with
 * align > PAGE_SIZE some placements are above the lowest fit (facts:
 * about 17% in random workloads), never with align <= PAGE_SIZE. */
static void test_random_against_linear(void)
{
	struct vmf_machine *m = mk_modern(1024, true);
	vaddr_t live[64];
	size_t nr = 0;
	uint64_t seed = 13, above = 0, placed = 0;

	for (int step = 0; step < 3000; step++) {
		uint64_t r = rnd_next(&seed);

		if (nr && (nr == 64 || (r & 3) == 0)) {
			size_t i = (size_t)(r >> 8) % nr;

			put(m, live[i]);
			live[i] = live[--nr];
		} else {
			uint64_t size = (1 + (r >> 8) % 8) * P;
			uint64_t align = P << ((r >> 16) % 5);
			struct free_vmap_area *lin = NULL;
			vaddr_t a, want = 0;

			/* The lowest fitting address, linearly. */
			for (struct list_link *l = ms_of(m)->head.next;
			     l != &ms_of(m)->head; l = l->next) {
				if (is_within_this_va(fva_of_list(l), size,
						      align, W0)) {
					lin = fva_of_list(l);
					break;
				}
			}
			if (lin) {
				want = lin->va_start > W0 ? lin->va_start : W0;
				want = (want + align - 1) & ~(align - 1);
				if (want + size > W0 + 1024 * P)
					want = 0;
			}
			a = get(m, size, align, W0);
			if (a) {
				placed++;
				live[nr++] = a;
				CHECK(want != 0);
				CHECK(a >= want);
				if (a != want)
					above++;
				if (align == P)
					CHECK_EQ(a, want);
			}
		}
		if (check_vm(m)) {
			CHECK(0);
			break;
		}
	}
	fprintf(stderr, "random: %llu placed, %llu above the lowest fit\n",
		(unsigned long long)placed, (unsigned long long)above);
	CHECK(placed > 1000);
	CHECK(above > 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_random_against_linear), TEST(test_init_free_space), TEST(test_fit_types_and_merges),
	  TEST(test_ne_preload_failure),
	  TEST(test_search_length), TEST(test_exact_range_no_adjust),
	  TEST(test_cross_checks_bite), TEST(test_reset))
