/* Which block the buddy allocator hands out must not depend on how it
 * finds it: before every allocation the test predicts the block by
 * reading the free lists the plain way (every list from the order up,
 * nodes from the local one on, DMA32 blocks wholly below 4 GiB) and
 * compares; the shadow model makes the same prediction. Also: the
 * checker sees a free_mask (the lists' summary) or a node layout that is
 * wrong. */
#include <vmfuzz/machine.h>

#include "test.h"

static struct vmf_machine *machine(uint64_t base, uint64_t size,
				   unsigned nodes)
{
	struct vmf_config c;
	char why[160] = "";
	struct vmf_machine *m;

	vmf_config_default(&c);
	c.phys_base = base;
	c.phys_size = size;
	c.nr_nodes = nodes;
	m = vmf_machine_create(&c, why, sizeof(why));
	if (!m)
		fprintf(stderr, "create: %s\n", why);
	return m;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Frame index of the block alloc_pages_node(m, node, gfp, order) takes,
 * or -1 if none. */
static long long predict(const struct vmf_machine *m, int node, gfp_t gfp,
			 unsigned order)
{
	const struct phys_mem *p = &m->phys;
	unsigned first = node == NUMA_NO_NODE ? m->cur_cpu % p->nr_nodes
					      : (unsigned)node;
	unsigned tries = (gfp & __GFP_THISNODE) ? 1 : p->nr_nodes;

	for (unsigned t = 0; t < tries; t++) {
		const struct pglist_data *nd = &p->node[(first + t) % p->nr_nodes];

		for (unsigned k = order; k < MAX_ORDER; k++)
			for (uint32_t l = nd->free_area[k].head; l;
			     l = p->pages[l - 1].next) {
				uint64_t end = p->base +
					       ((l - 1 + (1ull << k))
						<< p->page_shift);

				if (!(gfp & __GFP_DMA32) || end <= (1ull << 32))
					return (long long)(l - 1);
			}
	}
	return -1;
}

static void run(struct vmf_machine *m, uint64_t seed, int steps)
{
	struct page *held[512];
	unsigned order_of[512];
	int nr = 0;
	char why[256] = "";

	for (int s = 0; s < steps; s++) {
		uint64_t r = rnd(&seed);

		if (nr && (r % 5 < 2 || nr == 512)) {
			int i = (int)(rnd(&seed) % (uint64_t)nr);

			CHECK_EQ(__free_pages(m, held[i], order_of[i]), 0);
			held[i] = held[--nr];
			order_of[i] = order_of[nr];
		} else {
			/* Mostly order 0, the vmalloc case. */
			unsigned order = r % 3 ? 0 : (unsigned)(rnd(&seed) % 6);
			int node = r % 7 == 0 ? NUMA_NO_NODE
					      : (int)(rnd(&seed) % m->phys.nr_nodes);
			gfp_t gfp = __GFP_NOWARN;
			long long want;
			struct page *pg;

			if (r % 11 == 0)
				gfp |= __GFP_DMA32;
			if (r % 13 == 0)
				gfp |= __GFP_THISNODE;
			m->cur_cpu = (unsigned)(r >> 40) % 4;
			want = predict(m, node, gfp, order);
			pg = alloc_pages_node(m, node, gfp, order);
			CHECK_EQ(pg ? (long long)page_index(m, pg) : -1, want);
			if (pg) {
				held[nr] = pg;
				order_of[nr++] = order;
			}
		}
		if (s % 64 == 0 && page_alloc_check(m, why, sizeof(why))) {
			fprintf(stderr, "step %d: %s\n", s, why);
			CHECK(!"page_alloc_check");
			return;
		}
	}
	CHECK_EQ(page_alloc_check(m, why, sizeof(why)), 0);
}

static void test_one_node(void)
{
	struct vmf_machine *m = machine(0x40000000, 8ull << 20, 1);

	CHECK(m != NULL);
	if (m)
		run(m, 1, 20000);
	vmf_machine_destroy(m);
}

/* Three unequal nodes straddling 4 GiB: fallback order and DMA32. */
static void test_nodes_dma32(void)
{
	struct vmf_machine *m = machine(0xff800000, (8ull << 20) + 3 * 4096, 3);

	CHECK(m != NULL);
	if (m)
		run(m, 2, 20000);
	vmf_machine_destroy(m);
}

/* Nearly full memory: allocations fail and fall back often. */
static void test_tight(void)
{
	struct vmf_machine *m = machine(0x40000000, 300 * 4096, 2);

	CHECK(m != NULL);
	if (m)
		run(m, 3, 20000);
	vmf_machine_destroy(m);
}

/* page_alloc_check sees a wrong free_mask and nodes that do not tile
 * RAM (the frames between them would be in no block, unscanned). */
static void test_checker_bites(void)
{
	struct vmf_machine *m = machine(0x40000000, 64 * 4096, 2);
	char why[256] = "";

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(page_alloc_check(m, why, sizeof(why)), 0);
	m->phys.node[0].free_mask ^= 1u << 3;
	CHECK(page_alloc_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "free_mask") != NULL);
	m->phys.node[0].free_mask ^= 1u << 3;
	m->phys.node[0].free_mask |= 1u << MAX_ORDER;
	CHECK(page_alloc_check(m, why, sizeof(why)) != 0);
	m->phys.node[0].free_mask &= ~(1u << MAX_ORDER);
	CHECK_EQ(page_alloc_check(m, why, sizeof(why)), 0);
	m->phys.node[0].nr_pages--;
	CHECK(page_alloc_check(m, why, sizeof(why)) != 0);
	m->phys.node[0].nr_pages++;
	m->phys.node[1].nr_pages--;
	CHECK(page_alloc_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "RAM has") != NULL);
	m->phys.node[1].nr_pages++;
	CHECK_EQ(page_alloc_check(m, why, sizeof(why)), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_one_node), TEST(test_nodes_dma32), TEST(test_tight),
	  TEST(test_checker_bites))
