/* Buddy allocator: split/merge, fallback, bad input, poisoning, checker. */
#include <vmfuzz/machine.h>

#include "test.h"

static struct vmf_machine *small_machine(unsigned pages, unsigned nodes)
{
	struct vmf_config c;
	char why[160];
	struct vmf_machine *m;

	vmf_config_default(&c);
	c.phys_size = (uint64_t)pages << 12;
	c.nr_nodes = nodes;
	m = vmf_machine_create(&c, why, sizeof(why));
	if (!m)
		fprintf(stderr, "create: %s\n", why);
	return m;
}

static int checked(struct vmf_machine *m)
{
	char why[256];
	int r = page_alloc_check(m, why, sizeof(why));
	if (r)
		fprintf(stderr, "page_alloc_check: %s\n", why);
	return r == 0;
}

/* Pages the MMU took at bring-up (root table), so counts start from it. */
static uint64_t base_used(struct vmf_machine *m)
{
	return totalram_pages(m) - nr_free_pages(m);
}

static void test_initial_layout(void)
{
	/* 1000 pages: 512 + 256 + 128 + 64 + 32 + 8 as maximal aligned blocks */
	struct vmf_machine *m = small_machine(1000, 1);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(checked(m));
	CHECK_EQ(totalram_pages(m), 1000);
	CHECK_EQ(nr_free_pages(m) + base_used(m), 1000);
	vmf_machine_destroy(m);
}

/* Every allocation order sequence on a 64-page node, freed in every
 * rotation, must come back to one merged state equal to the start. */
static void test_exhaustive_split_merge(void)
{
	struct vmf_machine *m = small_machine(256, 1);
	uint64_t free0;
	CHECK(m != NULL);
	if (!m)
		return;
	free0 = nr_free_pages(m);
	for (unsigned a = 0; a <= 6; a++)
		for (unsigned b = 0; b <= 6; b++)
			for (unsigned c = 0; c <= 6; c++) {
				unsigned ord[3] = {a, b, c};
				struct page *pg[3];
				for (int i = 0; i < 3; i++) {
					pg[i] = alloc_pages_node(m, 0, 0, ord[i]);
					CHECK(pg[i] != NULL);
					CHECK(checked(m));
				}
				/* rotate the free order with the sizes */
				for (int i = 0; i < 3; i++) {
					int j = (i + (int)a) % 3;
					CHECK_EQ(__free_pages(m, pg[j], ord[j]), 0);
					CHECK(checked(m));
				}
				CHECK_EQ(nr_free_pages(m), free0);
			}
	/* All merged again: the largest block is back. */
	CHECK(m->phys.node[0].free_area[7].nr_free == 1 ||
	      m->phys.node[0].free_area[6].nr_free >= 1);
	vmf_machine_destroy(m);
}

static void test_buddy_addresses(void)
{
	struct vmf_machine *m = small_machine(64, 1);
	struct page *a, *b, *c;
	CHECK(m != NULL);
	if (!m)
		return;
	/* After the root table took frame 0 (order 0 from the 64-block),
	 * the next order-0 page is frame 1, its buddy. */
	a = alloc_pages_node(m, 0, 0, 0);
	CHECK_EQ(page_index(m, a), 1);
	b = alloc_pages_node(m, 0, 0, 1);
	CHECK_EQ(page_index(m, b), 2);
	c = alloc_pages_node(m, 0, 0, 2);
	CHECK_EQ(page_index(m, c), 4);
	CHECK_EQ(page_to_phys(m, c), 0x40000000 + 4 * 4096);
	CHECK(checked(m));
	__free_pages(m, b, 1);
	__free_pages(m, a, 0);
	__free_pages(m, c, 2);
	CHECK(checked(m));
	CHECK_EQ(nr_free_pages(m), 63);
	vmf_machine_destroy(m);
}

static void test_order0_on_fragmented_memory(void)
{
	struct vmf_machine *m = small_machine(256, 1);
	struct page *pg[256];
	unsigned n = 0;
	CHECK(m != NULL);
	if (!m)
		return;
	while (n < 256 && (pg[n] = alloc_pages_node(m, 0, __GFP_NOWARN, 0)))
		n++;
	CHECK_EQ(n, 255); /* one went to the root table */
	/* free every other page: no order-1 block anywhere */
	for (unsigned i = 0; i < n; i += 2)
		__free_pages(m, pg[i], 0);
	CHECK(checked(m));
	CHECK(alloc_pages_node(m, 0, __GFP_NOWARN, 1) == NULL);
	for (unsigned i = 0; i < n; i += 2) {
		pg[i] = alloc_pages_node(m, 0, 0, 0);
		CHECK(pg[i] != NULL);
	}
	CHECK_EQ(nr_free_pages(m), 0);
	CHECK(checked(m));
	vmf_machine_destroy(m);
}

static void test_node_fallback_and_thisnode(void)
{
	struct vmf_machine *m = small_machine(256, 2);
	struct page *pg;
	uint64_t seq;
	CHECK(m != NULL);
	if (!m)
		return;
	/* Exhaust node 1 */
	while ((pg = alloc_pages_node(m, 1, __GFP_THISNODE | __GFP_NOWARN, 0)))
		CHECK_EQ(page_to_nid(m, pg), 1);
	CHECK_EQ(node_free_pages(m, 1), 0);
	/* this node only: fails, with a warning unless NOWARN */
	seq = vmf_warn_seq(m);
	CHECK(alloc_pages_node(m, 1, __GFP_THISNODE, 0) == NULL);
	CHECK_EQ(vmf_warn_seq(m), seq + 1);
	CHECK_EQ(vmf_warn_get(m, seq + 1)->kind, WARN_PAGE_ALLOC_FAIL);
	/* fallback: served by node 0 */
	pg = alloc_pages_node(m, 1, 0, 0);
	CHECK(pg != NULL);
	CHECK_EQ(page_to_nid(m, pg), 0);
	/* NUMA_NO_NODE uses the current CPU's node (cpu % nodes) */
	m->cur_cpu = 1;
	pg = alloc_pages_node(m, NUMA_NO_NODE, 0, 0);
	CHECK_EQ(page_to_nid(m, pg), 0); /* node 1 is empty: fell back */
	CHECK(checked(m));
	vmf_machine_destroy(m);
}

static void test_bad_input(void)
{
	struct vmf_machine *m = small_machine(64, 1);
	struct page *pg, *pg2;
	uint64_t seq, free0;
	struct page fake;
	CHECK(m != NULL);
	if (!m)
		return;
	pg = alloc_pages_node(m, 0, 0, 2);
	free0 = nr_free_pages(m);
	seq = vmf_warn_seq(m);

	CHECK(alloc_pages_node(m, 0, 0, MAX_ORDER) == NULL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_BAD_ORDER);
	CHECK(alloc_pages_node(m, 7, 0, 0) == NULL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_BAD_NODE);
	CHECK_EQ(__free_pages(m, pg, MAX_ORDER), -VMF_EINVAL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_BAD_ORDER);
	CHECK_EQ(__free_pages(m, pg, 1), -VMF_EINVAL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_WRONG_ORDER);
	CHECK_EQ(__free_pages(m, pg + 1, 0), -VMF_EINVAL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_TAIL);
	CHECK_EQ(__free_pages(m, pg + 8, 0), -VMF_EINVAL); /* a free page */
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_NOT_ALLOCATED);
	CHECK_EQ(__free_pages(m, &fake, 0), -VMF_EINVAL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_NOT_ALLOCATED);
	CHECK_EQ(__free_pages(m, NULL, 0), -VMF_EINVAL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_NOT_ALLOCATED);
	/* none of it changed anything */
	CHECK_EQ(nr_free_pages(m), free0);
	CHECK(checked(m));
	/* double free: the second is refused */
	CHECK_EQ(__free_pages(m, pg, 2), 0);
	CHECK_EQ(__free_pages(m, pg, 2), -VMF_EINVAL);
	CHECK_EQ(vmf_warn_get(m, ++seq)->kind, WARN_PAGE_NOT_ALLOCATED);
	CHECK_EQ(nr_free_pages(m), free0 + 4);
	pg2 = alloc_pages_node(m, 0, 0, 0);
	CHECK(pg2 != NULL);
	CHECK(checked(m));
	vmf_machine_destroy(m);
}

static void test_zero_and_poison(void)
{
	struct vmf_machine *m = small_machine(64, 1);
	struct page *pg;
	uint8_t buf[16], want[16];
	phys_addr_t pa;
	CHECK(m != NULL);
	if (!m)
		return;
	pg = alloc_pages_node(m, 0, 0, 0);
	pa = page_to_phys(m, pg);
	memset(want, 0x5c, sizeof(want));
	CHECK(phys_write(m, pa + 100, want, sizeof(want)));
	__free_pages(m, pg, 0);
	CHECK(phys_read(m, pa + 100, buf, sizeof(buf)));
	memset(want, PAGE_POISON, sizeof(want));
	CHECK(memcmp(buf, want, sizeof(buf)) == 0);
	pg = alloc_pages_node(m, 0, __GFP_ZERO, 0);
	CHECK_EQ(page_to_phys(m, pg), pa);
	CHECK(phys_read(m, pa + 100, buf, sizeof(buf)));
	memset(want, 0, sizeof(want));
	CHECK(memcmp(buf, want, sizeof(buf)) == 0);
	/* outside RAM: refused */
	CHECK(!phys_read(m, 0x3fffffff, buf, 2));
	CHECK(!phys_write(m, 0x40000000 + 64 * 4096 - 1, buf, 2));
	vmf_machine_destroy(m);
}

static void test_dma32(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct page *pg;
	vmf_config_default(&c);
	c.phys_base = 0xfff00000; /* 1 MiB below 4 GiB, the rest above */
	c.phys_size = 4ull << 20;
	m = vmf_machine_create(&c, NULL, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	for (int i = 0; i < 300; i++) {
		pg = alloc_pages_node(m, 0, __GFP_DMA32 | __GFP_NOWARN, 0);
		if (!pg)
			break;
		CHECK(page_to_phys(m, pg) + 4096 <= (1ull << 32));
	}
	/* 256 frames below 4 GiB, one of them the root table */
	CHECK(alloc_pages_node(m, 0, __GFP_DMA32 | __GFP_NOWARN, 0) == NULL);
	CHECK(alloc_pages_node(m, 0, 0, 0) != NULL);
	CHECK(checked(m));
	vmf_machine_destroy(m);
}

/* The checker must be able to fail: corrupt state on purpose. */
static void test_checker_bites(void)
{
	struct vmf_machine *m = small_machine(64, 1);
	struct page *pg;
	CHECK(m != NULL);
	if (!m)
		return;
	pg = alloc_pages_node(m, 0, 0, 1);
	CHECK(checked(m));
	pg[1].flags &= (uint8_t)~PG_tail; /* lost tail mark */
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	pg[1].flags |= PG_tail;
	m->phys.node[0].nr_free_pages++; /* counter off */
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	m->phys.node[0].nr_free_pages--;
	m->phys.node[0].free_area[3].nr_free++;
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	m->phys.node[0].free_area[3].nr_free--;
	pg->flags &= (uint8_t)~PG_head; /* allocated block vanished */
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	pg->flags |= PG_head;
	CHECK(checked(m));
	/* A head also marked tail, or free: __free_pages would refuse it or
	 * merge into it (found by fuzz_buddy's checker probes). */
	pg->flags |= PG_tail;
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	pg->flags &= (uint8_t)~PG_tail;
	pg->flags |= PG_buddy;
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	pg->flags &= (uint8_t)~PG_buddy;
	CHECK(checked(m));
	/* A free-head mark inside a free block: frames 2..3 are the order-1
	 * block split off by the order-1 allocation, 3 its interior. */
	CHECK(pg[2].flags & PG_buddy);
	CHECK(!(pg[3].flags & PG_buddy));
	pg[3].flags |= PG_buddy;
	CHECK(page_alloc_check(m, NULL, 0) != 0);
	pg[3].flags &= (uint8_t)~PG_buddy;
	CHECK(checked(m));
	vmf_machine_destroy(m);
}

/* Frame contents against a flat copy: writes, fills, partial frame
 * pointers, word reads and whole-frame reads at random offsets, with free
 * (poison) and zeroing in between; for 4K, 16K and 64K frames, whose bytes
 * become real a 64-byte line range at a time. */
static void test_contents_model(void)
{
	static uint8_t model[3][65536], got[65536];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned g = 0; g < 3; g++) {
		static const unsigned shifts[3] = {12, 14, 16};
		unsigned ps = 1u << shifts[g];
		struct vmf_config c;
		char why[160];
		struct vmf_machine *m;
		struct page *pg;
		phys_addr_t pa;
		uint8_t *mod = model[g];

		vmf_config_default(&c);
		c.page_shift = shifts[g];
		c.phys_size = 64ull << shifts[g];
		m = vmf_machine_create(&c, why, sizeof(why));
		CHECK(m != NULL);
		if (!m)
			continue;
		pg = alloc_pages_node(m, 0, __GFP_ZERO, 0);
		pa = page_to_phys(m, pg);
		memset(mod, 0, ps);
		for (int step = 0; step < 3000; step++) {
			size_t off, len;
			uint64_t w = 0;
			uint8_t b[300];

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			off = (size_t)(x >> 8) % ps;
			len = (size_t)(x >> 40) % 300 + 1;
			if (len > ps - off)
				len = ps - off;
			switch (x % 7) {
			case 0:
				for (size_t i = 0; i < len; i++)
					b[i] = (uint8_t)(x >> (i % 56));
				CHECK(phys_write(m, pa + off, b, len));
				memcpy(mod + off, b, len);
				break;
			case 1:
				CHECK(phys_fill(m, pa + off, (int)(x >> 20) & 0xff,
						len));
				memset(mod + off, (int)(x >> 20) & 0xff, len);
				break;
			case 2: {
				uint8_t *f = phys_frame_part(m, page_to_pfn(m, pg),
							     off, len);
				CHECK(f != NULL);
				if (f) {
					CHECK(memcmp(f + off, mod + off, len) == 0);
					f[off] ^= 0x11;
					mod[off] ^= 0x11;
				}
				break;
			}
			case 3:
				off &= ~(size_t)7;
				CHECK(phys_read_u64(m, pa + off, &w));
				for (int i = 7; i >= 0; i--)
					CHECK_EQ((uint8_t)(w >> (8 * i)),
						 mod[off + (size_t)i]);
				break;
			case 4:
				CHECK(phys_read(m, pa, got, ps));
				CHECK(memcmp(got, mod, ps) == 0);
				break;
			case 5:
				if (x % 5)
					break;
				/* Free (poisoned), then back zeroed or not. */
				__free_pages(m, pg, 0);
				CHECK(phys_read(m, pa, got, ps));
				memset(mod, PAGE_POISON, ps);
				CHECK(memcmp(got, mod, ps) == 0);
				pg = alloc_pages_node(m, 0, (x >> 9) & 1 ? __GFP_ZERO : 0,
						      0);
				CHECK_EQ(page_to_phys(m, pg), pa);
				if ((x >> 9) & 1)
					memset(mod, 0, ps);
				break;
			default:
				CHECK(phys_read(m, pa + off, got, len));
				CHECK(memcmp(got, mod + off, len) == 0);
			}
		}
		CHECK(phys_read(m, pa, got, ps));
		CHECK(memcmp(got, mod, ps) == 0);
		vmf_machine_destroy(m);
	}
}

TEST_MAIN(TEST(test_initial_layout), TEST(test_exhaustive_split_merge),
	  TEST(test_buddy_addresses), TEST(test_order0_on_fragmented_memory),
	  TEST(test_node_fallback_and_thisnode), TEST(test_bad_input),
	  TEST(test_zero_and_poison), TEST(test_dma32),
	  TEST(test_checker_bites), TEST(test_contents_model))
