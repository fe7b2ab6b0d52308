/* Config edges (lib/kernel/config.c): every field vmf_config_check
 * refuses, each with and without a place for the reason; the "0 =
 * default" fields vmf_config_resolve leaves alone when the geometry they
 * derive from is not one it can compute; a refused config never makes or
 * changes a machine. tests/test_machine.c has the common refusals; this
 * file has the rest, the edges the interpreter never sends. */
#include <vmfuzz/machine.h>

#include "test.h"

static void base(struct vmf_config *c)
{
	vmf_config_default(c);
	vmf_config_resolve(c);
}

/* Refused with the reason naming `field`; refused the same with no
 * buffer and with an empty one (which stays untouched); no machine made
 * of it (create resolves first: a default left 0 is filled there). */
static void refused_as(const struct vmf_config *c, const char *field,
		       bool resolvable)
{
	struct vmf_machine *m;
	char why[200] = "", spare[8] = "keep";

	CHECK_EQ(vmf_config_check(c, why, sizeof(why)), -VMF_EINVAL);
	if (strncmp(why, field, strlen(field)) != 0) {
		fprintf(stderr, "want \"%s...\", got \"%s\"\n", field, why);
		CHECK(!"reason names the field");
	}
	CHECK_EQ(vmf_config_check(c, NULL, sizeof(why)), -VMF_EINVAL);
	CHECK_EQ(vmf_config_check(c, spare, 0), -VMF_EINVAL);
	CHECK_STR(spare, "keep");
	m = vmf_machine_create(c, NULL, 0);
	CHECK((m != NULL) == resolvable);
	vmf_machine_destroy(m);
}

static void refused(const struct vmf_config *c, const char *field)
{
	refused_as(c, field, false);
}

static void test_check_refuses_every_field(void)
{
	struct vmf_config c;

	base(&c);
	CHECK_EQ(vmf_config_check(&c, NULL, 0), 0);

	base(&c), c.page_shift = 11, refused(&c, "page_shift");
	base(&c), c.page_shift = 17, refused(&c, "page_shift");
	base(&c), c.va_bits = 47, refused(&c, "va_bits");
	base(&c), c.page_shift = 14, c.va_bits = 39, refused(&c, "va_bits");
	base(&c), c.page_shift = 16, c.va_bits = 47, refused(&c, "va_bits");
	base(&c), c.pa_bits = 0, refused(&c, "pa_bits");
	base(&c), c.pa_bits = 52, refused(&c, "pa_bits");
	base(&c), c.phys_size = 0, refused(&c, "phys_size");
	base(&c), c.phys_size = (64 << 12) + 8, refused(&c, "phys_size");
	base(&c), c.phys_size = 63 << 12, refused(&c, "phys_size");
	base(&c), c.phys_size = VMF_MAX_PHYS_SIZE + 4096,
		refused(&c, "phys_size");
	base(&c), c.phys_base = 0x40000800, refused(&c, "phys_base");
	/* RAM that wraps the address space, and RAM past pa_bits. */
	base(&c), c.phys_base = 0xfffffffffff00000ull,
		refused(&c, "phys_base + phys_size");
	base(&c), c.pa_bits = 32, c.phys_base = 0xfd000000ull,
		refused(&c, "phys_base + phys_size");
	base(&c), c.nr_nodes = 0, refused(&c, "nr_nodes");
	base(&c), c.nr_nodes = VMF_MAX_NODES + 1, refused(&c, "nr_nodes");
	base(&c), c.nr_cpus = 0, refused(&c, "nr_cpus");
	base(&c), c.nr_cpus = VMF_MAX_CPUS + 1, refused(&c, "nr_cpus");
	base(&c), c.tlb_entries = 0, refused(&c, "tlb_entries");
	base(&c), c.tlb_entries = VMF_MAX_TLB_ENTRIES + 1,
		refused(&c, "tlb_entries");
	base(&c), c.walk_cache_entries = VMF_MAX_WALK_CACHE + 1,
		refused(&c, "walk_cache_entries");
	base(&c), c.policy = VMF_POLICY_NR, refused(&c, "policy");
	base(&c), c.vmalloc_start += 8, refused(&c, "vmalloc window");
	base(&c), c.vmalloc_end -= 8, refused(&c, "vmalloc window");
	base(&c), c.vmalloc_start = 0xfffe000000000000ull,
		refused(&c, "vmalloc_start");
	base(&c), c.vmalloc_end = c.vmalloc_start,
		refused(&c, "vmalloc window: end");
	base(&c), c.vmalloc_end = c.vmalloc_start + 3 * 4096,
		refused(&c, "vmalloc window: fewer");
	/* Unresolved: the two "0 = default" fields that must be filled. */
	base(&c), c.lazy_max_pages = 0,
		refused_as(&c, "lazy_max_pages", true);
	base(&c), c.tlb_flush_max_pages = 0,
		refused_as(&c, "tlb_flush_max_pages", true);

	/* The edges that pass: 4 pages of window, 64 pages of RAM on four
	 * nodes (16 each: nr_nodes' "fewer than 16 pages" refusal cannot
	 * fire, 64 / VMF_MAX_NODES is 16), 4096 TLB entries, 256 walk cache
	 * entries, RAM ending exactly at 2^pa_bits. */
	base(&c);
	c.vmalloc_end = c.vmalloc_start + 4 * 4096;
	c.phys_size = 64 << 12;
	c.nr_nodes = VMF_MAX_NODES;
	c.tlb_entries = VMF_MAX_TLB_ENTRIES;
	c.walk_cache_entries = VMF_MAX_WALK_CACHE;
	c.pa_bits = 32;
	c.phys_base = (1ull << 32) - c.phys_size;
	CHECK_EQ(vmf_config_check(&c, NULL, 0), 0);
}

/* Resolve fills a default only from a geometry it can compute; what it
 * cannot, it leaves 0 for check to refuse. */
static void test_resolve_leaves_what_it_cannot_compute(void)
{
	struct vmf_config c;

	/* Granule outside 12..16 or va_bits outside (page_shift + 8, 48]:
	 * no window, no lazy threshold. */
	static const unsigned geo[][2] = {{11, 48}, {17, 48}, {12, 20},
					  {12, 49}};
	for (size_t i = 0; i < sizeof(geo) / sizeof(geo[0]); i++) {
		vmf_config_default(&c);
		c.page_shift = geo[i][0];
		c.va_bits = geo[i][1];
		vmf_config_resolve(&c);
		CHECK_EQ(c.vmalloc_start, 0);
		CHECK_EQ(c.vmalloc_end, 0);
		CHECK_EQ(c.lazy_max_pages,
			 geo[i][0] >= 12 && geo[i][0] <= 16 ? 3 * 8192 : 0);
		CHECK_EQ(c.tlb_flush_max_pages, 1024);
		CHECK_EQ(vmf_config_check(&c, NULL, 0), -VMF_EINVAL);
	}
	/* Half a window given: the other half is not made up. */
	vmf_config_default(&c);
	c.vmalloc_end = 0xffff000010000000ull;
	vmf_config_resolve(&c);
	CHECK_EQ(c.vmalloc_start, 0);
	CHECK_EQ(c.vmalloc_end, 0xffff000010000000ull);
	refused(&c, "vmalloc_start");
	/* Too many CPUs: no fls(nr_cpus) threshold. */
	vmf_config_default(&c);
	c.nr_cpus = VMF_MAX_CPUS + 1;
	vmf_config_resolve(&c);
	CHECK_EQ(c.lazy_max_pages, 0);
	refused(&c, "nr_cpus");
	/* Given values are kept. */
	vmf_config_default(&c);
	c.lazy_max_pages = 7;
	c.tlb_flush_max_pages = 9;
	vmf_config_resolve(&c);
	CHECK_EQ(c.lazy_max_pages, 7);
	CHECK_EQ(c.tlb_flush_max_pages, 9);
	CHECK_EQ(vmf_config_check(&c, NULL, 0), 0);
}

/* A refused config leaves a machine as it was (vmf_machine_reset). */
static void test_reset_refusal_keeps_machine(void)
{
	struct vmf_config c, bad;
	struct vmf_machine *m;
	char why[200] = "";

	vmf_config_default(&c);
	m = vmf_machine_create(&c, why, sizeof(why));
	CHECK(m != NULL);
	if (!m)
		return;
	struct page *pg = alloc_pages_node(m, 0, 0, 0);
	uint64_t free_before = nr_free_pages(m);
	struct vmf_config cfg_before = m->cfg;

	CHECK(pg != NULL);
	bad = c;
	bad.nr_cpus = 0;
	CHECK_EQ(vmf_machine_reset(m, &bad, why, sizeof(why)), -VMF_EINVAL);
	CHECK(strncmp(why, "nr_cpus", 7) == 0);
	CHECK_EQ(vmf_machine_reset(m, &bad, NULL, 0), -VMF_EINVAL);
	CHECK_EQ(nr_free_pages(m), free_before);
	CHECK(memcmp(&m->cfg, &cfg_before, sizeof(cfg_before)) == 0);
	CHECK_EQ(page_alloc_check(m, NULL, 0), 0);
	/* The machine still works: the page is still allocated. */
	CHECK_EQ(__free_pages(m, pg, 0), 0);
	CHECK_EQ(nr_free_pages(m), free_before + 1);
	vmf_machine_destroy(m);
	vmf_machine_destroy(NULL); /* a no-op, as kfree(NULL) */
}

TEST_MAIN(TEST(test_check_refuses_every_field),
	  TEST(test_resolve_leaves_what_it_cannot_compute),
	  TEST(test_reset_refusal_keeps_machine))
