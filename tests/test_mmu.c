/* MMU model: page-table layout, map / unmap / blocks, the walker's faults
 * (every QEMU-verified case of the facts file as PAR_EL1), permissions,
 * table attributes, copies through the MMU, allocation failure, reset. */
#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "test.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

/* The seven layouts Linux arm64 supports, with the start level and the
 * number of entries of the root table the architecture gives them
 * (facts file "Levels and regions"), written out rather than computed. */
static const struct layout {
	unsigned ps, va;
	int start_level;
	unsigned root_entries;
} layouts[] = {
	{12, 48, 0, 512}, {12, 39, 1, 512}, {14, 48, 0, 2},   {14, 47, 1, 2048},
	{14, 36, 2, 2048}, {16, 42, 2, 8192}, {16, 48, 1, 64},
};

static struct vmf_machine *mk(unsigned ps, unsigned va)
{
	struct vmf_config c;
	char why[200] = "";
	struct vmf_machine *m;

	vmf_config_default(&c);
	c.page_shift = ps;
	c.va_bits = va;
	m = vmf_machine_create(&c, why, sizeof(why));
	if (!m)
		fprintf(stderr, "machine %u/%u: %s\n", ps, va, why);
	return m;
}

static struct vmf_machine *mk_default(void)
{
	return mk(12, 48);
}

static pfn_t new_pfn(struct vmf_machine *m)
{
	struct page *p = alloc_pages_owner(m, NUMA_NO_NODE, __GFP_ZERO, 0,
					   OWNER_TEST);
	return p ? page_to_pfn(m, p) : 0;
}

static uint64_t rd64(struct vmf_machine *m, phys_addr_t pa)
{
	uint8_t b[8] = {0};
	uint64_t v = 0;
	phys_read(m, pa, b, 8);
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

/* An independent walk, by the formulas of the facts file, for checking
 * that descriptors sit exactly where the architecture looks for them. */
static uint64_t manual_leaf(struct vmf_machine *m, const struct layout *l,
			    vaddr_t va, int *level)
{
	unsigned stride = l->ps - 3;
	phys_addr_t table = mmu_ttbr1(m);
	for (int lv = l->start_level; lv <= 3; lv++) {
		unsigned shift = l->ps + stride * (unsigned)(3 - lv);
		uint64_t n = lv == l->start_level ? l->root_entries : 1ull << stride;
		uint64_t d = rd64(m, table + 8 * ((va >> shift) & (n - 1)));
		*level = lv;
		if (lv == 3 || (d & 3) != 3)
			return d;
		table = d & 0x0000fffffffff000ull & ~((1ull << l->ps) - 1);
	}
	return 0;
}

static bool accounting_ok(struct vmf_machine *m, uint64_t held)
{
	return nr_free_pages(m) + mmu_pgtable_pages(m) + held ==
	       totalram_pages(m);
}

/* ---- geometry ---- */

static void test_geometry(void)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct layout *l = &layouts[i];
		struct vmf_machine *m = mk(l->ps, l->va);
		CHECK(m != NULL);
		if (!m)
			continue;
		CHECK_EQ(mmu_start_level(m), l->start_level);
		CHECK_EQ(mmu_level_shift(m, 3), l->ps);
		CHECK_EQ(mmu_level_shift(m, 2), l->ps + l->ps - 3);
		CHECK_EQ(mmu_pgtable_pages(m), 1);
		CHECK(mmu_ttbr1(m) != 0);
		/* TCR: T1SZ = 64 - VA_BITS, TG1 16K=1 4K=2 64K=3, IPS 40 = 2 */
		uint64_t tcr = mmu_tcr_el1(m);
		CHECK_EQ((tcr >> 16) & 0x3f, 64 - l->va);
		CHECK_EQ((tcr >> 30) & 3, l->ps == 12 ? 2 : l->ps == 14 ? 1 : 3);
		CHECK_EQ((tcr >> 32) & 7, 2);
		CHECK_EQ((tcr >> 7) & 1, 1); /* EPD0: no TTBR0 walks */
		CHECK(mmu_va_in_ttbr1(m, 0 - (1ull << l->va)));
		CHECK(!mmu_va_in_ttbr1(m, (0 - (1ull << l->va)) - 1));
		vmf_machine_destroy(m);
	}
}

/* ---- every granule / VA size: map, translate, layout, copy, unmap ---- */

static void test_all_layouts(void)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct layout *l = &layouts[i];
		struct vmf_machine *m = mk(l->ps, l->va);
		CHECK(m != NULL);
		if (!m)
			continue;
		uint64_t P = m->page_size;
		uint64_t l2span = 1ull << (l->ps + l->ps - 3);
		/* Aligned to an entry of the level above the last tables, so
		 * the four pages cross exactly one last-level table boundary. */
		int al = l->start_level > 1 ? l->start_level : 1;
		uint64_t align = 1ull << (l->ps + (l->ps - 3) * (unsigned)(3 - al));
		vaddr_t base = (m->cfg.vmalloc_start + align - 1) & ~(align - 1);
		vaddr_t va = base + l2span - 2 * P;
		pfn_t pfns[4];
		for (int k = 0; k < 4; k++)
			pfns[k] = new_pfn(m);
		CHECK(base + l2span + 2 * P <= m->cfg.vmalloc_end);
		CHECK_EQ(mmu_map_pages(m, va, pfns, 4, PAGE_KERNEL), 0);
		/* root + one table per level below it + a second last-level
		 * table for the crossing */
		CHECK_EQ(mmu_pgtable_pages(m), (uint64_t)(3 - l->start_level) + 2);
		CHECK(accounting_ok(m, 4));
		for (int k = 0; k < 4; k++) {
			vaddr_t a = va + k * P + 0x123;
			struct mmu_result r = mmu_translate(m, a, ACC_READ, 1);
			int lv = -1;
			uint64_t d = manual_leaf(m, l, a, &lv);
			CHECK_EQ(r.fault, MMU_OK);
			CHECK_EQ(r.level, 3);
			CHECK_EQ(r.fsc, 0);
			CHECK_EQ(r.pa, (pfns[k] << l->ps) + 0x123);
			CHECK_EQ(lv, 3);
			CHECK_EQ(d, (pfns[k] << l->ps) | PAGE_KERNEL);
			CHECK_EQ(r.desc, d);
		}
		/* a write crossing the table boundary lands in two frames */
		uint8_t in[64], out[64];
		size_t done = 0;
		for (int k = 0; k < 64; k++)
			in[k] = (uint8_t)(k + 1);
		struct mmu_result w = mmu_write(m, va + 2 * P - 32, in, 64, 1, &done);
		CHECK_EQ(w.fault, MMU_OK);
		CHECK_EQ(done, 64);
		phys_read(m, (pfns[1] << l->ps) + P - 32, out, 32);
		phys_read(m, pfns[2] << l->ps, out + 32, 32);
		CHECK(memcmp(in, out, 64) == 0);
		memset(out, 0, sizeof(out));
		w = mmu_read(m, va + 2 * P - 32, out, 64, 1, &done);
		CHECK_EQ(w.fault, MMU_OK);
		CHECK(memcmp(in, out, 64) == 0);
		/* unmap: leaves cleared, tables stay */
		CHECK_EQ(mmu_unmap_range(m, va, 4 * P), 4);
		CHECK_EQ(mmu_pgtable_pages(m), (uint64_t)(3 - l->start_level) + 2);
		for (int k = 0; k < 4; k++) {
			struct mmu_result r = mmu_translate(m, va + k * P, ACC_READ, 1);
			CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
			CHECK_EQ(r.level, 3);
			CHECK_EQ(r.fsc, 0x07);
		}
		CHECK_EQ(mmu_unmap_range(m, va, 4 * P), 0);
		CHECK(accounting_ok(m, 4));
		vmf_machine_destroy(m);
	}
}

/* ---- the QEMU-verified cases, as PAR_EL1 (4K, 48-bit VA, IPS 40) ---- */

static void test_qemu_cases(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	const vaddr_t va = 0xffff800008000000ull;
	const pfn_t pfn = 0x40200;
	struct mmu_result r;

	CHECK_EQ(mmu_map_pages(m, va, &pfn, 1, PAGE_KERNEL), 0);
	r = mmu_translate(m, va, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0xff00000040200b80ull);
	r = mmu_translate(m, va, ACC_WRITE, 1);
	CHECK_EQ(mmu_par_el1(&r), 0xff00000040200b80ull);

	/* empty level-3 entry next to it */
	r = mmu_translate(m, va + 0x1000, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x80f);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(r.level, 3);

	/* AF = 0 */
	CHECK_EQ(mmu_map_pages(m, va + 0x2000, &pfn, 1, PAGE_KERNEL & ~PTE_AF), 0);
	r = mmu_translate(m, va + 0x2000, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x817);
	CHECK_EQ(r.fault, MMU_FAULT_ACCESS_FLAG);

	/* PAGE_KERNEL_RO: write faults, read is fine */
	CHECK_EQ(mmu_map_pages(m, va + 0x3000, &pfn, 1, PAGE_KERNEL_RO), 0);
	r = mmu_translate(m, va + 0x3000, ACC_WRITE, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x81f);
	CHECK_EQ(r.fault, MMU_FAULT_PERMISSION);
	r = mmu_translate(m, va + 0x3000, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK_EQ(r.pa, 0x40200000);

	/* output address bit 47 set with IPS 40 */
	CHECK_EQ(mmu_set_raw(m, va + 0x4000, 3,
			     (1ull << 47) | 0x40200000ull | PAGE_KERNEL), 0);
	r = mmu_translate(m, va + 0x4000, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x807);
	CHECK_EQ(r.fault, MMU_FAULT_ADDRESS_SIZE);

	/* bits[1:0] = 01 at level 3 */
	CHECK_EQ(mmu_set_raw(m, va + 0x5000, 3,
			     0x40200000ull | (PAGE_KERNEL & ~PTE_TABLE_BIT)), 0);
	r = mmu_translate(m, va + 0x5000, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x80f);

	/* 2 MiB block at L2, 1 GiB block at L1 */
	CHECK_EQ(mmu_map_block(m, 0xffff800000200000ull, 0x40000000, 2,
			       PAGE_KERNEL), 0);
	r = mmu_translate(m, 0xffff800000201234ull, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0xff00000040001b80ull);
	CHECK_EQ(r.level, 2);
	CHECK_EQ(mmu_map_block(m, 0xffff800040000000ull, 0x80000000, 1,
			       PAGE_KERNEL), 0);
	r = mmu_translate(m, 0xffff800040123456ull, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0xff00000080123b80ull);
	CHECK_EQ(r.pa, 0x80123456ull);
	CHECK_EQ(r.level, 1);

	/* APTable[1] on the L2 table entry: writes below fault */
	{
		/* re-point the L2 entry at its own table with APTable[1] */
		phys_addr_t t = mmu_ttbr1(m);
		uint64_t d0 = rd64(m, t + 8 * ((va >> 39) & 511));
		uint64_t d1 = rd64(m, (d0 & 0xfffffffff000ull) + 8 * ((va >> 30) & 511));
		uint64_t d2 = rd64(m, (d1 & 0xfffffffff000ull) + 8 * ((va >> 21) & 511));
		CHECK_EQ(d2 & 3, 3);
		CHECK_EQ(mmu_set_raw(m, va, 2, d2 | PMD_TABLE_AP_RO), 0);
		r = mmu_translate(m, va, ACC_WRITE, 1);
		CHECK_EQ(mmu_par_el1(&r), 0x81f);
		r = mmu_translate(m, va, ACC_READ, 1);
		CHECK_EQ(r.fault, MMU_OK);
		CHECK_EQ(mmu_pgtable_pages(m), 4); /* nothing freed or added */
	}

	/* non-canonical, and TTBR0 (no user tables: translation, L0) */
	r = mmu_translate(m, 0xfeff800008000000ull, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x809);
	r = mmu_translate(m, 0x0000800008000000ull, ACC_READ, 1);
	CHECK_EQ(mmu_par_el1(&r), 0x809);
	r = mmu_translate(m, 0x0000000000001000ull, ACC_READ, 0);
	CHECK_EQ(mmu_par_el1(&r), 0x809);
	vmf_machine_destroy(m);
}

/* ---- blocks ---- */

static void test_blocks(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t base = 0xffff000040000000ull; /* 1 GiB aligned, in vmalloc */
	uint64_t w0;
	struct mmu_result r;

	/* forbidden levels and misalignment: refused, warned, nothing done */
	w0 = m->warn.count[WARN_MMU_BAD_ARG];
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 0, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 3, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_map_block(m, base + 4096, 0x40000000, 2, PAGE_KERNEL),
		 -VMF_EINVAL);
	CHECK_EQ(mmu_map_block(m, base, 0x40001000, 2, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_map_block(m, base + GIB, 1ull << 40, 1, PAGE_KERNEL),
		 -VMF_EINVAL); /* above IPS 40 */
	CHECK_EQ(m->warn.count[WARN_MMU_BAD_ARG] - w0, 5);
	CHECK_EQ(mmu_pgtable_pages(m), 2); /* root + the L1 table */

	/* architecture: an L0 block with 4K is a translation fault at L0
	 * (QEMU 7.2 wrongly accepts it) */
	CHECK_EQ(mmu_set_raw(m, 0xffff800000000000ull, 0,
			     0x40000000ull | (PAGE_KERNEL & ~PTE_TABLE_BIT)), 0);
	r = mmu_translate(m, 0xffff800000001000ull, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(r.level, 0);

	/* a page map under a block: refused with REMAP */
	pfn_t pfn = new_pfn(m);
	w0 = m->warn.count[WARN_MMU_REMAP];
	CHECK_EQ(mmu_map_pages(m, base + 8192, &pfn, 1, PAGE_KERNEL), -VMF_EBUSY);
	CHECK_EQ(m->warn.count[WARN_MMU_REMAP] - w0, 1);
	/* a block only partly inside an unmap: refused, still mapped */
	CHECK_EQ(mmu_unmap_range(m, base, 4096), -VMF_EINVAL);
	CHECK_EQ(mmu_translate(m, base, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(mmu_unmap_range(m, base - GIB, 3 * GIB), 1);
	CHECK_EQ(mmu_translate(m, base, ACC_READ, 1).fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(mmu_translate(m, base, ACC_READ, 1).level, 1);

	/* block over a table with a live page: refused */
	CHECK_EQ(mmu_map_pages(m, base + 4096, &pfn, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_pgtable_pages(m), 4);
	w0 = m->warn.count[WARN_MMU_REMAP];
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 2, PAGE_KERNEL), -VMF_EBUSY);
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 1, PAGE_KERNEL), -VMF_EBUSY);
	CHECK_EQ(m->warn.count[WARN_MMU_REMAP] - w0, 2);
	/* once the page is gone, the empty tables make way (freed) */
	CHECK_EQ(mmu_unmap_range(m, base + 4096, 4096), 1);
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 2, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_pgtable_pages(m), 3);
	CHECK(accounting_ok(m, 1));
	r = mmu_translate(m, base + 0x1fffff, ACC_READ, 1);
	CHECK_EQ(r.pa, 0x401fffffull);
	CHECK_EQ(r.level, 2);
	CHECK_EQ(r.desc & 3, 1);
	CHECK_EQ(mmu_unmap_range(m, base, GIB), 1);
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_pgtable_pages(m), 2);
	CHECK(accounting_ok(m, 1));
	/* same block again is a no-op; a safe attribute change is allowed */
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_map_block(m, base, 0x40000000, 1, PAGE_KERNEL_RO), 0);
	CHECK_EQ(mmu_translate(m, base, ACC_WRITE, 1).fault, MMU_FAULT_PERMISSION);
	vmf_machine_destroy(m);

	/* 16K and 64K: L2 blocks only */
	static const unsigned g[][3] = {{14, 47, 25}, {16, 42, 29}, {16, 48, 29}};
	for (size_t i = 0; i < 3; i++) {
		m = mk(g[i][0], g[i][1]);
		CHECK(m != NULL);
		if (!m)
			continue;
		uint64_t bs = 1ull << g[i][2];
		vaddr_t va = (m->cfg.vmalloc_start + bs - 1) & ~(bs - 1);
		CHECK_EQ(mmu_map_block(m, va, 0, 1, PAGE_KERNEL), -VMF_EINVAL);
		CHECK_EQ(mmu_map_block(m, va, bs, 2, PAGE_KERNEL), 0);
		r = mmu_translate(m, va + bs - 1, ACC_READ, 1);
		CHECK_EQ(r.fault, MMU_OK);
		CHECK_EQ(r.pa, 2 * bs - 1);
		CHECK_EQ(r.level, 2);
		/* L1 block encoding with these granules: translation fault */
		if (mmu_start_level(m) <= 1) {
			uint64_t l1 = 1ull << (g[i][2] + g[i][0] - 3);
			vaddr_t v1 = (m->cfg.vmalloc_start + 2 * l1 - 1) & ~(l1 - 1);
			CHECK_EQ(mmu_set_raw(m, v1, 1,
					     PAGE_KERNEL & ~PTE_TABLE_BIT), 0);
			r = mmu_translate(m, v1, ACC_READ, 1);
			CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
			CHECK_EQ(r.level, 1);
		}
		vmf_machine_destroy(m);
	}
}

/* ---- permissions ---- */

static void test_permissions(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	pfn_t pfn = new_pfn(m);
	static const struct {
		pgprot_t prot;
		/* expected fault for {read, write, exec} at EL1, then EL0 */
		enum mmu_fault f[2][3];
	} cases[] = {
		{PAGE_KERNEL,
		 {{MMU_OK, MMU_OK, MMU_FAULT_PERMISSION},
		  {MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION}}},
		{PAGE_KERNEL_RO,
		 {{MMU_OK, MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION},
		  {MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION}}},
		{PAGE_KERNEL_EXEC,
		 {{MMU_OK, MMU_OK, MMU_OK},
		  {MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION}}},
		{PAGE_KERNEL_ROX,
		 {{MMU_OK, MMU_FAULT_PERMISSION, MMU_OK},
		  {MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION}}},
		/* EL0-writable: never executable at EL1 */
		{PAGE_KERNEL_EXEC | PTE_USER,
		 {{MMU_OK, MMU_OK, MMU_FAULT_PERMISSION},
		  {MMU_OK, MMU_OK, MMU_FAULT_PERMISSION}}},
		/* EL0 read-only, UXN clear: EL1 and EL0 may execute */
		{(PAGE_KERNEL_ROX | PTE_USER) & ~PTE_UXN,
		 {{MMU_OK, MMU_FAULT_PERMISSION, MMU_OK},
		  {MMU_OK, MMU_FAULT_PERMISSION, MMU_OK}}},
		/* ARMv8.0 execute-only at EL0: AP[1] = 0, UXN = 0 */
		{PAGE_KERNEL & ~PTE_UXN,
		 {{MMU_OK, MMU_OK, MMU_FAULT_PERMISSION},
		  {MMU_FAULT_PERMISSION, MMU_FAULT_PERMISSION, MMU_OK}}},
		/* AF clear: access flag before any permission */
		{PAGE_KERNEL & ~PTE_AF,
		 {{MMU_FAULT_ACCESS_FLAG, MMU_FAULT_ACCESS_FLAG, MMU_FAULT_ACCESS_FLAG},
		  {MMU_FAULT_ACCESS_FLAG, MMU_FAULT_ACCESS_FLAG, MMU_FAULT_ACCESS_FLAG}}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vaddr_t a = va + i * 4096;
		CHECK_EQ(mmu_map_pages(m, a, &pfn, 1, cases[i].prot), 0);
		for (int el = 1; el >= 0; el--)
			for (int acc = 0; acc < 3; acc++) {
				struct mmu_result r = mmu_translate(m, a, acc, el);
				if (r.fault != cases[i].f[1 - el][acc])
					fprintf(stderr, "case %zu el%d acc %d: %s\n", i,
						el, acc, mmu_fault_name(r.fault));
				CHECK_EQ(r.fault, cases[i].f[1 - el][acc]);
				if (r.fault != MMU_OK)
					CHECK_EQ(r.fsc & 3, 3);
				/* the TLB path agrees (first a miss, then a hit) */
				struct mmu_result t = mmu_access(m, a, acc, el);
				CHECK_EQ(t.fault, r.fault);
				t = mmu_access(m, a, acc, el);
				CHECK_EQ(t.fault, r.fault);
			}
	}
	/* bad arguments: warned, defined result */
	uint64_t w0 = m->warn.count[WARN_MMU_BAD_ARG];
	struct mmu_result r = mmu_translate(m, va, ACC_READ, 2);
	CHECK_EQ(r.fault, MMU_FAULT_BAD_ARG);
	CHECK_EQ(r.level, -1);
	r = mmu_access(m, va, (enum mmu_access)3, 1);
	CHECK_EQ(r.fault, MMU_FAULT_BAD_ARG);
	r = mmu_read(m, va, NULL, 4, 1, NULL);
	CHECK_EQ(r.fault, MMU_FAULT_BAD_ARG);
	CHECK_EQ(m->warn.count[WARN_MMU_BAD_ARG] - w0, 3);
	CHECK_EQ(mmu_par_el1(&r), 0);
	vmf_machine_destroy(m);
}

/* APTable / PXNTable / UXNTable accumulate down the walk. */
static void test_table_attrs(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = 0xffff000010000000ull;
	pfn_t pfn = new_pfn(m);
	phys_addr_t t = mmu_ttbr1(m);
	struct mmu_result r;

	CHECK_EQ(mmu_map_pages(m, va, &pfn, 1,
			       (PAGE_KERNEL_EXEC | PTE_USER | PTE_RDONLY) & ~PTE_UXN), 0);
	uint64_t d0 = rd64(m, t + 8 * ((va >> 39) & 511));
	uint64_t d1 = rd64(m, (d0 & 0xfffffffff000ull) + 8 * ((va >> 30) & 511));
	CHECK_EQ(d1 & 3, 3);
	/* base: EL0 read and exec, EL1 exec */
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 0).fault, MMU_OK);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 0).fault, MMU_OK);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 1).fault, MMU_OK);
	/* APTable[0] at L0 (two levels up): no EL0 access below */
	CHECK_EQ(mmu_set_raw(m, va, 0, d0 | PMD_TABLE_AP_NO_EL0), 0);
	r = mmu_translate(m, va, ACC_READ, 0);
	CHECK_EQ(r.fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(r.level, 3);
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).fault, MMU_OK);
	/* EL0 fetch is governed by UXN alone */
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 0).fault, MMU_OK);
	CHECK_EQ(mmu_set_raw(m, va, 0, d0), 0);
	/* PXNTable at L1 */
	CHECK_EQ(mmu_set_raw(m, va, 1, d1 | PMD_TABLE_PXN), 0);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 1).fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 0).fault, MMU_OK);
	/* the TLB caches the accumulated attributes */
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	size_t n;
	const struct tlb_entry *e = tlb_entries(m, &n);
	CHECK(n >= 1 && e[0].valid);
	CHECK_EQ(e[0].table_attrs, PMD_TABLE_PXN);
	CHECK_EQ(mmu_access(m, va, ACC_EXEC, 1).fault, MMU_FAULT_PERMISSION);
	/* UXNTable at L1 */
	CHECK_EQ(mmu_set_raw(m, va, 1, d1 | PMD_TABLE_UXN), 0);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 0).fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 1).fault, MMU_OK);
	/* APTable[1] makes an EL0-writable page read-only: EL1 may execute */
	CHECK_EQ(mmu_set_raw(m, va, 1, d1), 0);
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	CHECK_EQ(mmu_map_pages(m, va, &pfn, 1,
			       (PAGE_KERNEL_EXEC | PTE_USER) & ~PTE_UXN), 0);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 1).fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(mmu_set_raw(m, va, 1, d1 | PMD_TABLE_AP_RO), 0);
	CHECK_EQ(mmu_translate(m, va, ACC_EXEC, 1).fault, MMU_OK);
	CHECK_EQ(mmu_translate(m, va, ACC_WRITE, 0).fault, MMU_FAULT_PERMISSION);
	/* re-pointing the entry elsewhere at one of our tables is refused */
	CHECK_EQ(mmu_set_raw(m, va + GIB, 1, d1), -VMF_EINVAL);
	CHECK_EQ(mmu_pgtable_pages(m), 4);
	vmf_machine_destroy(m);
}

/* ---- copies through the MMU ---- */

static void test_copy_faults(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start + 16 * 4096;
	pfn_t p[2] = {new_pfn(m), new_pfn(m)};
	uint8_t buf[8192];
	size_t done = 99;
	struct mmu_result r;

	memset(buf, 0x5a, sizeof(buf));
	CHECK_EQ(mmu_map_pages(m, va, p, 1, PAGE_KERNEL), 0);
	/* second page unmapped: stops at the boundary */
	r = mmu_write(m, va + 4000, buf, 200, 1, &done);
	CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(r.level, 3);
	CHECK_EQ(done, 96);
	/* read-only second page: permission fault on write, reads work */
	CHECK_EQ(mmu_map_pages(m, va + 4096, &p[1], 1, PAGE_KERNEL_RO), 0);
	r = mmu_write(m, va + 4000, buf, 200, 1, &done);
	CHECK_EQ(r.fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(done, 96);
	r = mmu_read(m, va, buf, 8192, 1, &done);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK_EQ(done, 8192);
	CHECK_EQ(buf[4000], 0x5a);
	CHECK_EQ(buf[4096], 0);
	/* EL0 cannot read a kernel page */
	r = mmu_read(m, va, buf, 1, 0, &done);
	CHECK_EQ(r.fault, MMU_FAULT_PERMISSION);
	CHECK_EQ(done, 0);
	/* a page outside RAM (inside IPS): external abort on the access */
	pfn_t far = (1ull << 40 >> 12) - 1;
	CHECK_EQ(mmu_map_pages(m, va + 8192, &far, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_translate(m, va + 8192, ACC_READ, 1).fault, MMU_OK);
	r = mmu_read(m, va + 8192, buf, 4, 1, &done);
	CHECK_EQ(r.fault, MMU_FAULT_EXTERNAL);
	CHECK_EQ(r.fsc, FSC_EXTERNAL);
	CHECK_EQ(done, 0);
	/* a table outside RAM: external abort on the walk, at the level read */
	CHECK_EQ(mmu_set_raw(m, 0xffff000080000000ull, 2,
			     0xf000000000ull | PTE_TYPE_TABLE), 0);
	r = mmu_translate(m, 0xffff000080000000ull, ACC_READ, 1);
	CHECK_EQ(r.fault, MMU_FAULT_EXTERNAL);
	CHECK_EQ(r.level, 3);
	CHECK_EQ(r.fsc, FSC_EXTERNAL_WALK | 3);
	/* map through such a table is refused, not written */
	uint64_t w0 = m->warn.count[WARN_MMU_BAD_ARG];
	CHECK_EQ(mmu_map_pages(m, 0xffff000080000000ull, p, 1, PAGE_KERNEL),
		 -VMF_EINVAL);
	CHECK_EQ(mmu_unmap_range(m, 0xffff000080000000ull, 4096), -VMF_EINVAL);
	CHECK_EQ(m->warn.count[WARN_MMU_BAD_ARG] - w0, 2);
	/* unmap clears an invalid leftover but counts only valid leaves */
	CHECK_EQ(mmu_set_raw(m, va + 3 * 4096, 3, 0x40200000ull |
			     (PAGE_KERNEL & ~PTE_VALID)), 0);
	int lv = -1;
	CHECK(manual_leaf(m, &layouts[0], va + 3 * 4096, &lv) != 0);
	CHECK_EQ(mmu_unmap_range(m, va, 4 * 4096), 3);
	CHECK_EQ(manual_leaf(m, &layouts[0], va + 3 * 4096, &lv), 0);
	CHECK_EQ(lv, 3);
	/* len 0 is a no-op */
	r = mmu_read(m, va, buf, 0, 1, &done);
	CHECK_EQ(r.fault, MMU_OK);
	CHECK_EQ(done, 0);
	vmf_machine_destroy(m);
}

/* ---- refusals change nothing; live rewrites ---- */

struct state {
	uint64_t free, tables, seq;
};

static struct state snap(struct vmf_machine *m)
{
	struct state s = {nr_free_pages(m), mmu_pgtable_pages(m), vmf_warn_seq(m)};
	return s;
}

static void test_map_refusals(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	pfn_t p[3] = {new_pfn(m), new_pfn(m), new_pfn(m)};
	pfn_t big = 1ull << (40 - 12);
	struct state s0 = snap(m), s1;
	uint64_t w0 = m->warn.count[WARN_MMU_BAD_ARG];

	CHECK_EQ(mmu_map_pages(m, va + 1, p, 1, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_map_pages(m, va, p, 0, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_map_pages(m, va, NULL, 1, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_map_pages(m, 0x0000000008000000ull, p, 1, PAGE_KERNEL),
		 -VMF_EINVAL);
	CHECK_EQ(mmu_map_pages(m, 0xfff0000000000000ull, p, 1, PAGE_KERNEL),
		 -VMF_EINVAL); /* not canonical for 48 bits */
	CHECK_EQ(mmu_map_pages(m, 0xfffffffffffff000ull, p, 2, PAGE_KERNEL),
		 -VMF_EINVAL); /* wraps */
	CHECK_EQ(mmu_map_pages(m, va, p, 1, PAGE_KERNEL & ~PTE_TABLE_BIT),
		 -VMF_EINVAL);
	CHECK_EQ(mmu_map_pages(m, va, p, 1, PAGE_KERNEL | 0x1000), -VMF_EINVAL);
	CHECK_EQ(mmu_map_pages(m, va, &big, 1, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_unmap_range(m, va, 0), -VMF_EINVAL);
	CHECK_EQ(mmu_unmap_range(m, va + 4, 4096), -VMF_EINVAL);
	CHECK_EQ(mmu_unmap_range(m, va, 4097), -VMF_EINVAL);
	CHECK_EQ(mmu_set_raw(m, va, 4, 0), -VMF_EINVAL);
	CHECK_EQ(mmu_set_raw(m, 0x1000, 3, 0), -VMF_EINVAL);
	CHECK_EQ(m->warn.count[WARN_MMU_BAD_ARG] - w0, 14);
	s1 = snap(m);
	CHECK_EQ(s1.free, s0.free);
	CHECK_EQ(s1.tables, s0.tables);
	/* top page of the address space is fine */
	CHECK_EQ(mmu_map_pages(m, 0xfffffffffffff000ull, p, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_translate(m, 0xffffffffffffffffull, ACC_READ, 1).pa,
		 (p[0] << 12) + 0xfff);
	CHECK_EQ(mmu_unmap_range(m, 0xfffffffffffff000ull, 4096), 1);

	/* remap with another pfn: refused before anything is written */
	CHECK_EQ(mmu_map_pages(m, va + 2 * 4096, &p[2], 1, PAGE_KERNEL), 0);
	s0 = snap(m);
	w0 = m->warn.count[WARN_MMU_REMAP];
	pfn_t other[3] = {p[0], p[1], p[1]}; /* page 2 to another frame */
	CHECK_EQ(mmu_map_pages(m, va, other, 3, PAGE_KERNEL), -VMF_EBUSY);
	CHECK_EQ(m->warn.count[WARN_MMU_REMAP] - w0, 1);
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).fault, MMU_FAULT_TRANSLATION);
	CHECK_EQ(mmu_translate(m, va + 4096, ACC_READ, 1).fault,
		 MMU_FAULT_TRANSLATION);
	CHECK_EQ(mmu_translate(m, va + 8192, ACC_READ, 1).pa, p[2] << 12);
	s1 = snap(m);
	CHECK_EQ(s1.tables, s0.tables);
	/* the same pfn again with a safe change (RDONLY, WRITE) is allowed */
	pfn_t q[3] = {p[0], p[1], p[2]};
	CHECK_EQ(mmu_map_pages(m, va, q, 3, PAGE_KERNEL_RO), 0);
	CHECK_EQ(mmu_translate(m, va + 8192, ACC_WRITE, 1).fault,
		 MMU_FAULT_PERMISSION);
	CHECK_EQ(mmu_map_pages(m, va, q, 3, PAGE_KERNEL_NG), 0);
	/* an unsafe change (AttrIndx, UXN) on a live entry: BBM, refused */
	w0 = m->warn.count[WARN_MMU_BBM];
	CHECK_EQ(mmu_map_pages(m, va + 8192, &p[2], 1,
			       PAGE_KERNEL | PTE_ATTRINDX(MT_NORMAL_NC)), -VMF_EBUSY);
	CHECK_EQ(mmu_map_pages(m, va + 8192, &p[2], 1, PAGE_KERNEL & ~PTE_UXN),
		 -VMF_EBUSY);
	CHECK_EQ(m->warn.count[WARN_MMU_BBM] - w0, 2);
	uint64_t d = 0;
	CHECK(mmu_lookup(m, va + 8192, &d, NULL, NULL));
	CHECK_EQ(d, (p[2] << 12) | PAGE_KERNEL_NG);
	vmf_machine_destroy(m);
}

/* Making an entry valid while the TLB still holds another translation
 * for it: recorded as break-before-make, still written. */
static void test_bbm_break_without_flush(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	pfn_t a = new_pfn(m), b = new_pfn(m);
	uint64_t w0;

	CHECK_EQ(mmu_map_pages(m, va, &a, 1, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	/* the same translation again: harmless, no warning */
	w0 = m->warn.count[WARN_MMU_BBM];
	CHECK_EQ(mmu_map_pages(m, va, &a, 1, PAGE_KERNEL), 0);
	CHECK_EQ(m->warn.count[WARN_MMU_BBM], w0);
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	/* another frame: break without flush */
	CHECK_EQ(mmu_map_pages(m, va, &b, 1, PAGE_KERNEL), 0);
	CHECK_EQ(m->warn.count[WARN_MMU_BBM] - w0, 1);
	CHECK_EQ(mmu_translate(m, va, ACC_READ, 1).pa, b << 12);
	/* other attributes only: also a conflict */
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	CHECK_EQ(mmu_map_pages(m, va, &a, 1, PAGE_KERNEL_RO), 0);
	CHECK_EQ(m->warn.count[WARN_MMU_BBM] - w0, 2);
	/* after the flush: clean */
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	flush_tlb_kernel_range(m, va, va + 4096);
	CHECK_EQ(mmu_map_pages(m, va, &b, 1, PAGE_KERNEL), 0);
	CHECK_EQ(m->warn.count[WARN_MMU_BBM] - w0, 2);
	/* a block over a stale page entry: also detected */
	CHECK_EQ(mmu_access(m, va, ACC_READ, 1).fault, MMU_OK);
	CHECK_EQ(mmu_unmap_range(m, va, 4096), 1);
	CHECK_EQ(mmu_map_block(m, va, 0x40000000, 2, PAGE_KERNEL), 0);
	CHECK_EQ(m->warn.count[WARN_MMU_BBM] - w0, 3);
	vmf_machine_destroy(m);
}

/* ---- table-page allocation failure in the middle of a map ---- */

static void test_pgtable_enomem(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	/* the root did not ask any fault site */
	CHECK_EQ(m->fault.site[FAULT_PAGE_ALLOC].calls, 0);
	CHECK_EQ(m->fault.site[FAULT_PGTABLE].calls, 0);
	vaddr_t va = 0xffff000040000000ull + 2 * MIB - 2 * 4096;
	pfn_t p[4];
	for (int i = 0; i < 4; i++)
		p[i] = new_pfn(m);
	uint64_t seq0 = vmf_warn_seq(m);
	/* tables needed: L1, L2, L3 (first half), L3 (second half) */
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_NTH, 4);
	CHECK_EQ(mmu_map_pages(m, va, p, 4, PAGE_KERNEL), -VMF_ENOMEM);
	CHECK_EQ(m->fault.site[FAULT_PGTABLE].failures, 1);
	CHECK_EQ(m->fault.site[FAULT_PAGE_ALLOC].calls, 4); /* only data pages */
	CHECK_EQ(vmf_warn_seq(m), seq0); /* __GFP_NOWARN */
	CHECK_EQ(mmu_pgtable_pages(m), 4);
	CHECK(accounting_ok(m, 4));
	/* nothing half-visible: each page is either mapped right or absent */
	for (int i = 0; i < 4; i++) {
		struct mmu_result r = mmu_translate(m, va + i * 4096, ACC_READ, 1);
		if (i < 2) {
			CHECK_EQ(r.fault, MMU_OK);
			CHECK_EQ(r.pa, p[i] << 12);
		} else {
			CHECK_EQ(r.fault, MMU_FAULT_TRANSLATION);
			CHECK_EQ(r.level, 2);
		}
	}
	/* the caller's unmap undoes it; tables stay and are accounted */
	CHECK_EQ(mmu_unmap_range(m, va, 4 * 4096), 2);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(mmu_translate(m, va + i * 4096, ACC_READ, 1).fault,
			 MMU_FAULT_TRANSLATION);
	CHECK_EQ(mmu_pgtable_pages(m), 4);
	CHECK(accounting_ok(m, 4));
	char why[200];
	CHECK_EQ(page_alloc_check(m, why, sizeof(why)), 0);
	/* a retry succeeds and allocates only the missing table */
	CHECK_EQ(mmu_map_pages(m, va, p, 4, PAGE_KERNEL), 0);
	CHECK_EQ(mmu_pgtable_pages(m), 5);
	CHECK(accounting_ok(m, 4));

	/* real exhaustion: no page left for a table */
	uint64_t held = 4;
	while (alloc_pages_owner(m, NUMA_NO_NODE, __GFP_NOWARN, 0, OWNER_TEST))
		held++;
	CHECK_EQ(mmu_map_pages(m, 0xffff000100000000ull, p, 1, PAGE_KERNEL),
		 -VMF_ENOMEM);
	CHECK(accounting_ok(m, held));
	vmf_machine_destroy(m);
}

/* ---- lookup (vmalloc_to_page) ---- */

static void test_lookup(void)
{
	struct vmf_machine *m = mk_default();
	CHECK(m != NULL);
	if (!m)
		return;
	vaddr_t va = m->cfg.vmalloc_start;
	pfn_t p = new_pfn(m), got = 0;
	uint64_t d = 0;
	int lv = -1;
	phys_addr_t pa = 0;

	CHECK(!mmu_va_to_pfn(m, va, &got));
	CHECK_EQ(mmu_map_pages(m, va, &p, 1, PAGE_KERNEL & ~PTE_AF), 0);
	CHECK(mmu_va_to_pfn(m, va + 5, &got)); /* AF does not matter here */
	CHECK_EQ(got, p);
	CHECK(mmu_lookup(m, va + 5, &d, &lv, &pa));
	CHECK_EQ(lv, 3);
	CHECK_EQ(pa, (p << 12) + 5);
	CHECK_EQ(d, (p << 12) | (PAGE_KERNEL & ~PTE_AF));
	CHECK_EQ(mmu_map_block(m, 0xffff000040000000ull, 0x40000000, 2,
			       PAGE_KERNEL), 0);
	CHECK(mmu_va_to_pfn(m, 0xffff000040000000ull + 0x12345, &got));
	CHECK_EQ(got, 0x40012);
	CHECK(!mmu_lookup(m, 0x1000, NULL, NULL, NULL));
	vmf_machine_destroy(m);
}

/* mmu_lookup_range gives, page by page, what mmu_lookup gives: over
 * last-level table boundaries, holes, blocks and broken descriptors
 * (reserved, above the PA size, tables outside RAM), in every layout. */
static bool range_matches(struct vmf_machine *m, vaddr_t va, size_t nr)
{
	struct mmu_leaf out[160];
	uint64_t psz = 1ull << m->page_shift;
	bool ok = nr <= 160 && mmu_lookup_range(m, va, nr, out) == nr;

	for (size_t i = 0; ok && i < nr; i++) {
		uint64_t d = 0;
		int lv = -1;
		phys_addr_t pa = 0;
		bool mapped = mmu_lookup(m, va + i * psz, &d, &lv, &pa);

		ok = out[i].mapped == mapped &&
		     (!mapped || (out[i].desc == d && out[i].level == lv &&
				  out[i].pa == pa));
	}
	return ok;
}

static void test_lookup_range(void)
{
	for (size_t li = 0; li < sizeof(layouts) / sizeof(layouts[0]); li++) {
		const struct layout *l = &layouts[li];
		struct vmf_machine *m = mk(l->ps, l->va);
		uint64_t psz = 1ull << l->ps, tspan = 1ull << (2 * l->ps - 3);
		uint64_t blk = tspan; /* a level-2 block maps one table's span */
		vaddr_t b, va;
		pfn_t pfns[96];
		struct mmu_leaf one;

		CHECK(m != NULL);
		if (!m)
			continue;
		/* A last-level table boundary inside the window. */
		b = (m->cfg.vmalloc_start + 2 * tspan) & ~(tspan - 1);
		va = b - 48 * psz;
		for (int i = 0; i < 96; i++)
			pfns[i] = new_pfn(m);
		CHECK_EQ(mmu_map_pages(m, va, pfns, 40, PAGE_KERNEL), 0);
		CHECK_EQ(mmu_map_pages(m, va + 44 * psz, pfns + 44, 52,
				       PAGE_KERNEL_RO), 0);
		/* Reserved L3 (0b01), a page above the PA size, a table
		 * above the PA size and one outside RAM. */
		CHECK_EQ(mmu_set_raw(m, va + 41 * psz, 3, (pfns[41] << l->ps) | 1),
			 0);
		CHECK_EQ(mmu_set_raw(m, va + 42 * psz, 3,
				     (1ull << 47) | PAGE_KERNEL), 0);
		CHECK(range_matches(m, va - 8 * psz, 120));
		/* And the next boundary (odd and even tables alike). */
		CHECK_EQ(mmu_map_pages(m, va + tspan, pfns, 96, PAGE_KERNEL), 0);
		CHECK(range_matches(m, va + tspan - 8 * psz, 120));
		CHECK_EQ(mmu_set_raw(m, b + 2 * tspan, 2,
				     (1ull << 47) | PTE_TYPE_TABLE), 0);
		CHECK_EQ(mmu_set_raw(m, b + 3 * tspan, 2,
				     (m->cfg.phys_size + (1ull << 32)) |
					     PTE_TYPE_TABLE), 0);
		CHECK(range_matches(m, b + 3 * tspan - 60 * psz, 120));
		CHECK(range_matches(m, b + 2 * tspan - 60 * psz, 120));
		/* A level-2 block, pages around it unmapped. */
		CHECK_EQ(mmu_map_block(m, b + 6 * tspan, 0x40000000ull & ~(blk - 1),
				       2, PAGE_KERNEL), 0);
		CHECK(range_matches(m, b + 6 * tspan - 7 * psz, 150));
		CHECK(range_matches(m, b + 7 * tspan - 77 * psz, 150));
		/* Refused: unaligned, empty, wrapping. Nothing written. */
		one.mapped = true;
		CHECK_EQ(mmu_lookup_range(m, va + 1, 1, &one), 0);
		CHECK_EQ(mmu_lookup_range(m, va, 0, &one), 0);
		CHECK_EQ(mmu_lookup_range(m, ~0ull - psz + 1, 2, &one), 0);
		CHECK(one.mapped);
		CHECK_EQ(mmu_lookup_range(m, ~0ull - psz + 1, 1, &one), 1);
		CHECK(!one.mapped);
		vmf_machine_destroy(m);
	}
}

/* ---- reset: a reset machine is a new machine ---- */

static char *dump_of(struct vmf_machine *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	mmu_rawdump(m, f);
	mmu_ptdump(m, f);
	fclose(f);
	return buf;
}

static void workload(struct vmf_machine *m, uint64_t *sig)
{
	vaddr_t va = m->cfg.vmalloc_start;
	pfn_t p[8];
	for (int i = 0; i < 8; i++)
		p[i] = new_pfn(m);
	mmu_map_pages(m, va, p, 8, PAGE_KERNEL);
	mmu_map_pages(m, va + 64 * m->page_size, p, 3, PAGE_KERNEL_RO);
	mmu_map_block(m, 0xffff000040000000ull, 0x40000000, 1, PAGE_KERNEL);
	mmu_access(m, va, ACC_READ, 1);
	mmu_unmap_range(m, va, 2 * m->page_size);
	mmu_set_raw(m, va + 32 * m->page_size, 3, 0x1234);
	flush_tlb_kernel_range(m, va, va + m->page_size);
	*sig = 0;
	for (int i = 0; i < 70; i++) {
		struct mmu_result r = mmu_access(m, va + i * m->page_size, ACC_WRITE, 1);
		*sig = *sig * 31 + r.pa + r.fsc + (r.tlb_hit ? 7 : 0);
	}
}

static void test_reset_equivalence(void)
{
	struct vmf_machine *a = mk_default(), *b = mk_default();
	CHECK(a && b);
	if (!a || !b)
		return;
	char *fresh = dump_of(a);
	phys_addr_t root = mmu_ttbr1(a);
	uint64_t sa = 0, sb = 0;

	workload(a, &sa);
	CHECK(mmu_pgtable_pages(a) > 1);
	CHECK_EQ(vmf_machine_reset(a, NULL, NULL, 0), 0);
	CHECK_EQ(mmu_ttbr1(a), root);
	CHECK_EQ(mmu_ttbr1(a), mmu_ttbr1(b));
	CHECK_EQ(mmu_pgtable_pages(a), 1);
	CHECK_EQ(tlb_stats(a)->flush_seq, 0);
	CHECK_EQ(tlb_stats(a)->fills, 0);
	size_t n;
	const struct tlb_entry *e = tlb_entries(a, &n);
	for (size_t i = 0; i < n; i++)
		CHECK(!e[i].valid);
	char *after = dump_of(a), *other = dump_of(b);
	CHECK(fresh && after && other);
	if (fresh && after && other) {
		CHECK_STR(after, fresh);
		CHECK_STR(other, fresh);
	}
	free(after);
	free(other);
	/* same work, same outcome, same tables */
	workload(a, &sa);
	workload(b, &sb);
	CHECK_EQ(sa, sb);
	after = dump_of(a);
	other = dump_of(b);
	if (after && other)
		CHECK_STR(after, other);
	free(after);
	free(other);

	/* through another config and back */
	struct vmf_config c = a->cfg;
	c.page_shift = 16;
	c.va_bits = 42;
	c.vmalloc_start = c.vmalloc_end = 0;
	c.tlb_entries = 4000;
	CHECK_EQ(vmf_machine_reset(a, &c, NULL, 0), 0);
	CHECK_EQ(mmu_start_level(a), 2);
	workload(a, &sa);
	vmf_config_default(&c);
	CHECK_EQ(vmf_machine_reset(a, &c, NULL, 0), 0);
	after = dump_of(a);
	if (after && fresh)
		CHECK_STR(after, fresh);
	CHECK_EQ(mmu_ttbr1(a), root);
	free(after);
	free(fresh);
	vmf_machine_destroy(a);
	vmf_machine_destroy(b);
}

/* A NULL machine is refused everywhere, without a crash. */
static void test_null_machine(void)
{
	pfn_t p = 0x40000;
	size_t n = 9;
	CHECK_EQ(mmu_map_pages(NULL, 0xffff000008000000ull, &p, 1, PAGE_KERNEL),
		 -VMF_EINVAL);
	CHECK_EQ(mmu_map_block(NULL, 0, 0, 2, PAGE_KERNEL), -VMF_EINVAL);
	CHECK_EQ(mmu_unmap_range(NULL, 0, 4096), -VMF_EINVAL);
	CHECK_EQ(mmu_set_raw(NULL, 0, 3, 0), -VMF_EINVAL);
	CHECK(!mmu_lookup(NULL, 0, NULL, NULL, NULL));
	CHECK(!mmu_va_to_pfn(NULL, 0, &p));
	CHECK_EQ(mmu_translate(NULL, 0, ACC_READ, 1).fault, MMU_FAULT_BAD_ARG);
	CHECK_EQ(mmu_access(NULL, 0, ACC_READ, 1).fault, MMU_FAULT_BAD_ARG);
	CHECK_EQ(mmu_read(NULL, 0, &p, 1, 1, &n).fault, MMU_FAULT_BAD_ARG);
	CHECK_EQ(n, 0);
	flush_tlb_all(NULL);
	flush_tlb_kernel_range(NULL, 0, 4096);
	CHECK(tlb_stats(NULL) == NULL);
	CHECK(tlb_flush_get(NULL, 1) == NULL);
	CHECK_EQ(tlb_stale_entries(NULL, NULL, 0), 0);
	CHECK(!tlb_maps_range(NULL, 0, 4096));
	CHECK(tlb_entries(NULL, &n) == NULL);
	CHECK_EQ(n, 0);
	CHECK_EQ(mmu_ttbr1(NULL), 0);
	CHECK_EQ(mmu_pgtable_pages(NULL), 0);
	CHECK_EQ(mmu_tcr_el1(NULL), 0);
	mmu_ptdump(NULL, stdout);
	mmu_rawdump(NULL, stdout);
}

TEST_MAIN(TEST(test_null_machine), TEST(test_geometry), TEST(test_all_layouts), TEST(test_qemu_cases),
	  TEST(test_blocks), TEST(test_permissions), TEST(test_table_attrs),
	  TEST(test_copy_faults), TEST(test_map_refusals),
	  TEST(test_bbm_break_without_flush), TEST(test_pgtable_enomem),
	  TEST(test_lookup), TEST(test_lookup_range),
	  TEST(test_reset_equivalence))
