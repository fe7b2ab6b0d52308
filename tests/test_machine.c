/* Machine context: config validation, independence, reset, faults,
 * kmalloc accounting, warnings. */
#include <vmfuzz/machine.h>

#include "test.h"

static void test_config_refusals(void)
{
	struct vmf_config c;
	char why[200];
	vmf_config_default(&c);
	vmf_config_resolve(&c);
	CHECK_EQ(vmf_config_check(&c, why, sizeof(why)), 0);
	/* defaults: Linux 4.19 arm64 4K/48 window and lazy_max_pages */
	CHECK_EQ(c.vmalloc_start, 0xffff000008000000ull);
	CHECK_EQ(c.vmalloc_end, 0xffff7dffbfff0000ull);
	CHECK_EQ(c.lazy_max_pages, 3 * 8192); /* fls(4) = 3 */
	CHECK_EQ(c.tlb_flush_max_pages, 1024);

#define REFUSED(stmt, field)                                                 \
	do {                                                                 \
		vmf_config_default(&c);                                      \
		stmt;                                                        \
		vmf_config_resolve(&c);                                      \
		why[0] = 0;                                                  \
		CHECK_EQ(vmf_config_check(&c, why, sizeof(why)), -VMF_EINVAL); \
		CHECK(strncmp(why, field, strlen(field)) == 0);              \
		CHECK(vmf_machine_create(&c, why, sizeof(why)) == NULL);     \
	} while (0)
	REFUSED(c.page_shift = 13, "page_shift");
	REFUSED(c.va_bits = 47, "va_bits");
	REFUSED((c.page_shift = 16, c.va_bits = 39), "va_bits");
	REFUSED(c.pa_bits = 41, "pa_bits");
	REFUSED(c.phys_size = 4096 * 10, "phys_size");
	REFUSED(c.phys_size = 4096 * 100 + 1, "phys_size");
	REFUSED(c.phys_size = 8ull << 30, "phys_size");
	REFUSED(c.phys_base = 0x1001, "phys_base");
	REFUSED((c.pa_bits = 32, c.phys_base = 0xfff00000), "phys_base");
	REFUSED(c.nr_nodes = 0, "nr_nodes");
	REFUSED(c.nr_nodes = 5, "nr_nodes");
	REFUSED(c.nr_cpus = 9, "nr_cpus");
	REFUSED(c.tlb_entries = 0, "tlb_entries");
	REFUSED(c.policy = VMF_POLICY_NR, "policy");
	REFUSED((c.vmalloc_start = 0xffff000000001000ull,
		 c.vmalloc_end = 0xffff000000000000ull), "vmalloc window");
	REFUSED((c.vmalloc_start = 0x0000000010000000ull,
		 c.vmalloc_end = 0x0000000020000000ull), "vmalloc_start");
	REFUSED((c.vmalloc_start = 0xffff000000000800ull,
		 c.vmalloc_end = 0xffff000000100000ull), "vmalloc window");
#undef REFUSED
}

static void test_linux_windows(void)
{
	vaddr_t s, e;
	/* 4K/48 from the notes; the others from the same 4.19 formulas. */
	vmf_linux_vmalloc_window(48, 12, &s, &e);
	CHECK_EQ(s, 0xffff000008000000ull);
	CHECK_EQ(e, 0xffff7dffbfff0000ull);
	vmf_linux_vmalloc_window(39, 12, &s, &e);
	CHECK_EQ(s, 0xffffff8008000000ull);
	CHECK_EQ(e, 0xffffffbebfff0000ull);
	vmf_linux_vmalloc_window(42, 16, &s, &e);
	CHECK_EQ(s, 0xfffffc0008000000ull);
	/* every supported combination gives a valid machine */
	static const unsigned combos[][2] = {{12, 39}, {12, 48}, {14, 36},
					     {14, 47}, {14, 48}, {16, 42},
					     {16, 48}};
	for (size_t i = 0; i < 7; i++) {
		struct vmf_config c;
		char why[200];
		vmf_config_default(&c);
		c.page_shift = combos[i][0];
		c.va_bits = combos[i][1];
		vmf_config_resolve(&c);
		CHECK_EQ(vmf_config_check(&c, why, sizeof(why)), 0);
		CHECK(c.vmalloc_start < c.vmalloc_end);
	}
}

static void test_two_machines_independent(void)
{
	struct vmf_config a, b;
	struct vmf_machine *ma, *mb;
	vmf_config_default(&a);
	vmf_config_default(&b);
	b.page_shift = 16;
	b.va_bits = 42;
	b.phys_size = 32ull << 20;
	b.nr_nodes = 2;
	ma = vmf_machine_create(&a, NULL, 0);
	mb = vmf_machine_create(&b, NULL, 0);
	CHECK(ma && mb);
	if (!ma || !mb)
		return;
	uint64_t fb = nr_free_pages(mb);
	for (int i = 0; i < 50; i++)
		CHECK(alloc_pages_node(ma, 0, 0, 1) != NULL);
	vmf_fault_set(ma, FAULT_PAGE_ALLOC, FAULT_ALWAYS, 0);
	vmf_warn(ma, WARN_NONE, "only on a");
	CHECK(alloc_pages_node(ma, 0, __GFP_NOWARN, 0) == NULL);
	CHECK(kmalloc(ma, 10, 0) != NULL);
	/* b saw none of it */
	CHECK_EQ(nr_free_pages(mb), fb);
	CHECK(alloc_pages_node(mb, 1, 0, 0) != NULL);
	CHECK_EQ(vmf_warn_seq(mb), 0);
	CHECK_EQ(mb->km.objects, 0);
	CHECK_EQ(mb->page_size, 65536);
	vmf_machine_destroy(ma);
	vmf_machine_destroy(mb);
}

/* Snapshot of everything observable about the physical layer. */
struct snap {
	uint64_t free, objs, seq;
	struct pglist_data node[VMF_MAX_NODES];
};

static void take(struct vmf_machine *m, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->free = nr_free_pages(m);
	s->objs = m->km.objects;
	s->seq = vmf_warn_seq(m);
	memcpy(s->node, m->phys.node, sizeof(s->node));
}

static int same_memory(struct vmf_machine *a, struct vmf_machine *b)
{
	size_t n = (size_t)a->phys.nr_pages;
	static uint8_t fa[4096], fb[4096];
	if (n != b->phys.nr_pages || a->page_size > sizeof(fa))
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct page pa = a->phys.pages[i], pb = b->phys.pages[i];
		phys_addr_t at = a->phys.base + (i << a->page_shift);
		/* what a frame reads as, not how it is stored */
		pa.flags &= (uint8_t)~(PG_dirty_rst | PG_bytes | PG_poison);
		pb.flags &= (uint8_t)~(PG_dirty_rst | PG_bytes | PG_poison);
		if (memcmp(&pa, &pb, sizeof(pa)))
			return 0;
		if (!phys_read(a, at, fa, a->page_size) ||
		    !phys_read(b, at, fb, b->page_size) ||
		    memcmp(fa, fb, a->page_size))
			return 0;
	}
	return 1;
}

static void test_reset_equivalence(void)
{
	struct vmf_config c;
	struct vmf_machine *m, *fresh;
	struct snap s0, s1;
	struct page *pg[40];
	vmf_config_default(&c);
	c.phys_size = 8ull << 20;
	c.nr_nodes = 2;
	m = vmf_machine_create(&c, NULL, 0);
	fresh = vmf_machine_create(&c, NULL, 0);
	CHECK(m && fresh);
	if (!m || !fresh)
		return;
	take(m, &s0);
	for (int i = 0; i < 40; i++) {
		pg[i] = alloc_pages_node(m, i % 2, __GFP_ZERO, (unsigned)i % 4);
		phys_fill(m, page_to_phys(m, pg[i]), 0x11 * i, 4096);
	}
	for (int i = 0; i < 40; i += 3)
		__free_pages(m, pg[i], (unsigned)i % 4);
	kmalloc(m, 100, 0);
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_ALWAYS, 0);
	vmf_warn(m, WARN_NONE, "x");
	m->cur_cpu = 3;
	CHECK_EQ(vmf_machine_reset(m, NULL, NULL, 0), 0);
	take(m, &s1);
	CHECK(memcmp(&s0, &s1, sizeof(s0)) == 0);
	CHECK(same_memory(m, fresh));
	CHECK_EQ(m->cur_cpu, 0);
	CHECK(kmalloc(m, 8, 0) != NULL); /* fault mode was reset */
	/* the same operations give the same results on both */
	for (int i = 0; i < 40; i++) {
		struct page *x = alloc_pages_node(m, i % 2, 0, (unsigned)i % 3);
		struct page *y = alloc_pages_node(fresh, i % 2, 0, (unsigned)i % 3);
		CHECK_EQ(page_index(m, x), page_index(fresh, y));
	}
	/* reset to another config, then back */
	struct vmf_config big = c;
	big.phys_size = 32ull << 20;
	big.page_shift = 14;
	big.va_bits = 47;
	CHECK_EQ(vmf_machine_reset(m, &big, NULL, 0), 0);
	CHECK_EQ(totalram_pages(m), (32ull << 20) >> 14);
	CHECK_EQ(page_alloc_check(m, NULL, 0), 0);
	CHECK_EQ(vmf_machine_reset(m, &c, NULL, 0), 0);
	vmf_machine_reset(fresh, NULL, NULL, 0);
	CHECK(same_memory(m, fresh));
	/* a bad config leaves the machine as it was */
	struct vmf_config bad = c;
	bad.nr_cpus = 0;
	alloc_pages_node(m, 0, 0, 0);
	uint64_t f = nr_free_pages(m);
	CHECK_EQ(vmf_machine_reset(m, &bad, NULL, 0), -VMF_EINVAL);
	CHECK_EQ(nr_free_pages(m), f);
	vmf_machine_destroy(m);
	vmf_machine_destroy(fresh);
}

static void test_fault_injection(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	vmf_config_default(&c);
	m = vmf_machine_create(&c, NULL, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	/* fail the 3rd call, once */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 3);
	void *a = kmalloc(m, 8, 0), *b = kmalloc(m, 8, 0);
	void *x = kmalloc(m, 8, 0), *d = kmalloc(m, 8, 0);
	CHECK(a && b && !x && d);
	CHECK_EQ(m->fault.site[FAULT_KMALLOC].failures, 1);
	/* always, then stop */
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_ALWAYS, 0);
	CHECK(alloc_pages_node(m, 0, __GFP_NOWARN, 0) == NULL);
	CHECK(alloc_pages_node(m, 0, __GFP_NOWARN, 0) == NULL);
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_OFF, 0);
	CHECK(alloc_pages_node(m, 0, 0, 0) != NULL);
	/* sites are independent */
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_ALWAYS, 0);
	CHECK(kmalloc(m, 8, 0) != NULL);
	CHECK(alloc_pages_node(m, 0, 0, 0) != NULL);
	CHECK(vmf_should_fail(m, FAULT_PGTABLE));
	CHECK_STR(vmf_fault_site_name(FAULT_PGTABLE), "pgtable");
	vmf_machine_destroy(m);
}

static void test_kmalloc_accounting(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	vmf_config_default(&c);
	m = vmf_machine_create(&c, NULL, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	uint64_t o = m->km.objects, by = m->km.bytes;
	uint8_t *p = kzalloc(m, 100, 0);
	void *q = kmalloc(m, 28, 0);
	CHECK(p && q);
	CHECK_EQ(p[99], 0);
	CHECK_EQ(m->km.objects, o + 2);
	CHECK_EQ(m->km.bytes, by + 128);
	kfree(m, p);
	CHECK_EQ(m->km.objects, o + 1);
	kfree(m, NULL);
	CHECK(kmalloc(m, 0, 0) == NULL);
	vmf_machine_reset(m, NULL, NULL, 0);
	CHECK_EQ(m->km.bytes, by); /* q was reclaimed by reset (ASan: no leak) */
	vmf_machine_destroy(m);
}

static void test_warning_log(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	vmf_config_default(&c);
	m = vmf_machine_create(&c, NULL, 0);
	CHECK(m != NULL);
	if (!m)
		return;
	uint64_t s = vmf_warn_seq(m);
	for (int i = 0; i < 40; i++)
		vmf_warn(m, WARN_VFREE_BAD_ADDR, "Trying to vfree() bad address (%d)", i);
	CHECK_EQ(vmf_warn_seq(m), s + 40);
	CHECK(vmf_warn_get(m, s + 1) == NULL); /* left the ring */
	CHECK_STR(vmf_warn_get(m, s + 40)->text, "Trying to vfree() bad address (39)");
	CHECK_EQ(m->warn.count[WARN_VFREE_BAD_ADDR], 40);
	CHECK_STR(vmf_warn_kind_name(WARN_VFREE_BAD_ADDR), "vfree_bad_addr");
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_config_refusals), TEST(test_linux_windows),
	  TEST(test_two_machines_independent), TEST(test_reset_equivalence),
	  TEST(test_fault_injection), TEST(test_kmalloc_accounting),
	  TEST(test_warning_log))
