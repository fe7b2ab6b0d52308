/* ptdump text of a known layout (exact compare, Linux arm64 dump.c format)
 * and the raw dump format of docs/mmu.md. */
#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "test.h"

static struct vmf_machine *mk(unsigned ps, unsigned va)
{
	struct vmf_config c;
	vmf_config_default(&c);
	c.page_shift = ps;
	c.va_bits = va;
	return vmf_machine_create(&c, NULL, 0);
}

typedef void (*dump_fn)(struct vmf_machine *, FILE *);

static char *capture(struct vmf_machine *m, dump_fn fn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fn(m, f);
	fclose(f);
	return buf;
}

static void map1(struct vmf_machine *m, vaddr_t va, pfn_t pfn, pgprot_t prot)
{
	CHECK_EQ(mmu_map_pages(m, va, &pfn, 1, prot), 0);
}

static void test_ptdump_layout(void)
{
	struct vmf_machine *m = mk(12, 48);
	CHECK(m != NULL);
	if (!m)
		return;
	const vaddr_t B = 0xffff000008000000ull;
	CHECK_EQ(m->cfg.vmalloc_start, B);
	/* four pages, scattered frames, one protection: one line */
	pfn_t four[4] = {0x40100, 0x40300, 0x40101, 0x40500};
	CHECK_EQ(mmu_map_pages(m, B, four, 4, PAGE_KERNEL), 0);
	pfn_t two[2] = {0x40600, 0x40601};
	CHECK_EQ(mmu_map_pages(m, B + 0x4000, two, 2, PAGE_KERNEL_RO), 0);
	map1(m, B + 0x10000, 0x40700, PAGE_KERNEL_EXEC);
	map1(m, B + 0x11000, 0x40701, PAGE_KERNEL_NG);
	map1(m, B + 0x12000, 0x40702, PAGE_KERNEL | PTE_USER);
	map1(m, B + 0x13000, 0x40703, PAGE_KERNEL & ~PTE_AF);
	map1(m, B + 0x14000, 0x40704, PAGE_KERNEL | PTE_CONT);
	map1(m, B + 0x15000, 0x40705,
	     (PAGE_KERNEL & ~(7ull << PTE_ATTRINDX_SHIFT)) |
		     ((uint64_t)MT_DEVICE_nGnRE << PTE_ATTRINDX_SHIFT));
	CHECK_EQ(mmu_set_raw(m, B + 0x16000, 3, 0x40200000ull |
			     (PAGE_KERNEL & ~PTE_VALID)), 0);
	/* two adjacent 2 MiB blocks coalesce; a 1 GiB block */
	CHECK_EQ(mmu_map_block(m, 0xffff000008400000ull, 0x40000000, 2,
			       PAGE_KERNEL), 0);
	CHECK_EQ(mmu_map_block(m, 0xffff000008600000ull, 0x40200000, 2,
			       PAGE_KERNEL), 0);
	CHECK_EQ(mmu_map_block(m, 0xffff000040000000ull, 0x40000000, 1,
			       PAGE_KERNEL), 0);
	/* outside the window: not shown */
	map1(m, 0xffff000000000000ull, 0x40800, PAGE_KERNEL);

	static const char expected[] =
		"---[ vmalloc() Area ]---\n"
		"0xffff000008000000-0xffff000008004000          16K PTE       RW NX SHD AF            UXN MEM/NORMAL\n"
		"0xffff000008004000-0xffff000008006000           8K PTE       ro NX SHD AF            UXN MEM/NORMAL\n"
		"0xffff000008010000-0xffff000008011000           4K PTE       RW x  SHD AF            UXN MEM/NORMAL\n"
		"0xffff000008011000-0xffff000008012000           4K PTE       RW NX SHD AF NG         UXN MEM/NORMAL\n"
		"0xffff000008012000-0xffff000008013000           4K PTE   USR RW NX SHD AF            UXN MEM/NORMAL\n"
		"0xffff000008013000-0xffff000008014000           4K PTE       RW NX SHD               UXN MEM/NORMAL\n"
		"0xffff000008014000-0xffff000008015000           4K PTE       RW NX SHD AF    CON     UXN MEM/NORMAL\n"
		"0xffff000008015000-0xffff000008016000           4K PTE       RW NX SHD AF            UXN DEVICE/nGnRE\n"
		"0xffff000008016000-0xffff000008017000           4K PTE F     RW NX SHD AF            UXN MEM/NORMAL\n"
		"0xffff000008400000-0xffff000008800000           4M PMD       RW NX SHD AF        BLK UXN MEM/NORMAL\n"
		"0xffff000040000000-0xffff000080000000           1G PUD       RW NX SHD AF        BLK UXN MEM/NORMAL\n"
		"---[ vmalloc() End ]---\n";
	char *got = capture(m, mmu_ptdump);
	CHECK(got != NULL);
	if (got)
		CHECK_STR(got, expected);
	free(got);
	vmf_machine_destroy(m);
}

/* Three levels (4K/39): the top level is named PGD, as with
 * CONFIG_PGTABLE_LEVELS=3. An empty machine shows only the markers. */
static void test_ptdump_levels(void)
{
	struct vmf_machine *m = mk(12, 39);
	CHECK(m != NULL);
	if (!m)
		return;
	char *got = capture(m, mmu_ptdump);
	if (got)
		CHECK_STR(got, "---[ vmalloc() Area ]---\n---[ vmalloc() End ]---\n");
	free(got);
	CHECK_EQ(m->cfg.vmalloc_start, 0xffffff8008000000ull);
	CHECK_EQ(mmu_map_block(m, 0xffffff8040000000ull, 0x40000000, 1,
			     PAGE_KERNEL), 0);
	map1(m, 0xffffff8008000000ull, 0x40100, PAGE_KERNEL_RO);
	CHECK_EQ(mmu_map_block(m, 0xffffff8008200000ull, 0x40200000, 2,
			       PAGE_KERNEL), 0);
	static const char expected[] =
		"---[ vmalloc() Area ]---\n"
		"0xffffff8008000000-0xffffff8008001000           4K PTE       ro NX SHD AF            UXN MEM/NORMAL\n"
		"0xffffff8008200000-0xffffff8008400000           2M PMD       RW NX SHD AF        BLK UXN MEM/NORMAL\n"
		"0xffffff8040000000-0xffffff8080000000           1G PGD       RW NX SHD AF        BLK UXN MEM/NORMAL\n"
		"---[ vmalloc() End ]---\n";
	got = capture(m, mmu_ptdump);
	if (got)
		CHECK_STR(got, expected);
	free(got);
	vmf_machine_destroy(m);
}

static unsigned count_lines(const char *s, const char *prefix)
{
	unsigned n = 0;
	size_t pl = strlen(prefix);
	for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, prefix, pl) == 0)
			n++;
	return n;
}

static void test_rawdump(void)
{
	struct vmf_machine *m = mk(12, 48);
	CHECK(m != NULL);
	if (!m)
		return;
	char head[1024];
	unsigned long long root = mmu_ttbr1(m);
	/* T0SZ=T1SZ=16, EPD0, WBWA, inner shareable, TG0 4K, TG1 = 2, IPS 40
	 * (= 2): computed by hand from the TCR_EL1 field layout. */
	snprintf(head, sizeof(head),
		 "# vmfuzz mmu rawdump v2 (docs/mmu.md)\n"
		 "granule 4096\nva_bits 48\npa_bits 40\nstart_level 0\n"
		 "TTBR1_EL1 0x%016llx\nTCR_EL1 0x00000002b5103590\n"
		 "T1SZ 16\nTG1 2\nIPS 2\nMAIR_EL1 0x000000040044ffff\n"
		 "ram 0x%016llx 0x%016llx\nwindow 0x%016llx 0x%016llx\n"
		 "table 0x%016llx level 0 entries 512\nend\n", root,
		 (unsigned long long)m->cfg.phys_base,
		 (unsigned long long)(m->cfg.phys_base + m->cfg.phys_size),
		 (unsigned long long)m->cfg.vmalloc_start,
		 (unsigned long long)m->cfg.vmalloc_end, root);
	/* The RAM and window lines carry the machine's real layout. */
	CHECK_EQ(m->cfg.phys_base, 0x40000000);
	CHECK(m->cfg.phys_size != 0);
	CHECK(m->cfg.vmalloc_start < m->cfg.vmalloc_end);
	char *got = capture(m, mmu_rawdump);
	if (got)
		CHECK_STR(got, head);
	free(got);

	pfn_t p = 0x40123;
	CHECK_EQ(mmu_map_pages(m, 0xffff000008000000ull, &p, 1, PAGE_KERNEL), 0);
	got = capture(m, mmu_rawdump);
	CHECK(got != NULL);
	if (got) {
		CHECK_EQ(count_lines(got, "table "), mmu_pgtable_pages(m));
		CHECK_EQ(count_lines(got, "  "), 4); /* one entry per table */
		char leaf[64];
		/* L3 index of 0xffff000008000000 is 0 */
		snprintf(leaf, sizeof(leaf), "  0 0x%016llx\n",
			 (unsigned long long)(0x40123000ull | PAGE_KERNEL));
		CHECK(strstr(got, leaf) != NULL);
	}
	free(got);
	vmf_machine_destroy(m);

	/* 16K/48: a two-entry root, TG1 = 1 */
	m = mk(14, 48);
	CHECK(m != NULL);
	if (!m)
		return;
	got = capture(m, mmu_rawdump);
	if (got) {
		CHECK(strstr(got, "level 0 entries 2\n") != NULL);
		CHECK(strstr(got, "TG1 1\n") != NULL);
		CHECK(strstr(got, "T1SZ 16\n") != NULL);
	}
	free(got);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_ptdump_layout), TEST(test_ptdump_levels),
	  TEST(test_rawdump))
