/* Refusals the interpreter never sends (issue 12): each lib/ entry point
 * called directly with an argument it must refuse gives the documented
 * error, the expected warning (or, where the kernel has none, no warning)
 * and no change: the vmalloc counters, free pages, page-table pages, the
 * TLB, the busy list (address by address) and vm_check all as before.
 * Also the warning formatter (lib/kernel/warn.c) on every conversion and
 * flag it has a rule for, compared with the C library's. */
#include <wchar.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "vmalloc_test_util.h"

/* ---- no change ---------------------------------------------------------- */

/* The busy list, folded: address, end and flags of every area in order. */
static int fold_area(void *arg, const struct vmap_area *va)
{
	uint64_t *h = arg;

	*h = (*h ^ va->va_start) * 0x100000001b3ull;
	*h = (*h ^ va->va_end) * 0x100000001b3ull;
	*h = (*h ^ va->flags) * 0x100000001b3ull;
	return 0;
}

static uint64_t busy_sig(struct vmf_machine *m)
{
	uint64_t h = 0xcbf29ce484222325ull;

	vmalloc_for_each_area(m, fold_area, &h);
	return h;
}

/* stmt refused with exactly one warning of kind (WARN_KIND_NR: none at
 * all), every counter, the busy list and vm_check as before. */
#define REFUSED_ALL(m, kind, stmt)                                           \
	do {                                                                 \
		struct snap ra_, rb_;                                          \
		uint64_t rsig_ = busy_sig(m), rseq_ = vmf_warn_seq(m);         \
		take(m, &ra_);                                                \
		stmt;                                                        \
		take(m, &rb_);                                                \
		CHECK(snap_same(&ra_, &rb_));                                  \
		CHECK_EQ(busy_sig(m), rsig_);                                 \
		CHECK_EQ(check_vm(m), 0);                                    \
		if ((kind) == WARN_KIND_NR) {                                \
			CHECK_EQ(vmf_warn_seq(m), rseq_);                     \
		} else {                                                     \
			CHECK_EQ(vmf_warn_seq(m), rseq_ + 1);                 \
			CHECK_EQ(warn_kind(m, rseq_ + 1), kind);              \
		}                                                            \
	} while (0)
#define SILENT WARN_KIND_NR

/* A machine with something in it: two vmalloc areas, one freed lazily,
 * a vm_map_ram block mapping. */
static struct vmf_machine *busy_machine(struct page **pg)
{
	struct vmf_machine *m = mk_default();
	vaddr_t a = vmalloc(m, 3 * P);

	CHECK(a != 0);
	CHECK(vmalloc(m, 5 * P) != 0);
	CHECK_EQ(vfree(m, a), 0);
	*pg = alloc_pages_node(m, 0, 0, 0);
	CHECK(*pg != NULL);
	CHECK(vm_map_ram(m, pg, 1, 0, PAGE_KERNEL) != 0);
	return m;
}

/* ---- physical memory ---------------------------------------------------- */

static void test_page_alloc_refusals(void)
{
	struct page *pg, *blk;
	struct vmf_machine *m = busy_machine(&pg);
	uint8_t buf[16];
	uint64_t w = 0;
	int r = 0;

	blk = alloc_pages_node(m, 0, 0, 2);
	CHECK(blk != NULL);
	/* A pointer into the descriptor array that is not a descriptor's
	 * start, and one past its end. */
	REFUSED_ALL(m, WARN_PAGE_NOT_ALLOCATED,
		    r = __free_pages(m, (struct page *)((char *)blk + 1), 0));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_PAGE_NOT_ALLOCATED,
		    r = __free_pages(m, m->phys.pages + m->phys.nr_pages, 0));
	CHECK_EQ(r, -VMF_EINVAL);
	/* split_page of: no page, a stray pointer, a free frame, a tail,
	 * the right block with the wrong order. */
	REFUSED_ALL(m, WARN_PAGE_WRONG_ORDER, r = split_page(m, NULL, 0));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_PAGE_WRONG_ORDER,
		    r = split_page(m, (struct page *)((char *)blk + 2), 2));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_PAGE_WRONG_ORDER,
		    r = split_page(m, &m->phys.pages[m->phys.nr_pages - 1], 0));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_PAGE_WRONG_ORDER, r = split_page(m, blk + 1, 0));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_PAGE_WRONG_ORDER, r = split_page(m, blk, 1));
	CHECK_EQ(r, -VMF_EINVAL);
	CHECK_EQ(split_page(m, blk, 2), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(__free_pages(m, blk + i, 0), 0);

	/* Lookups and raw access outside RAM: false / 0 / NULL, silent. */
	REFUSED_ALL(m, SILENT, CHECK_EQ(node_free_pages(m, -1), 0));
	REFUSED_ALL(m, SILENT, CHECK_EQ(node_free_pages(m, 1), 0));
	REFUSED_ALL(m, SILENT,
		    CHECK(!phys_read_u64(m, m->cfg.phys_base + 4, &w)));
	REFUSED_ALL(m, SILENT,
		    CHECK(!phys_read_u64(m, m->cfg.phys_base - 8, &w)));
	REFUSED_ALL(m, SILENT,
		    CHECK(!phys_read_u64(m, m->cfg.phys_base +
						    m->cfg.phys_size, &w)));
	REFUSED_ALL(m, SILENT,
		    CHECK(!phys_fill(m, m->cfg.phys_base + m->cfg.phys_size - 8,
				     0x55, 16)));
	REFUSED_ALL(m, SILENT,
		    CHECK(!phys_read(m, m->cfg.phys_base - 8, buf, 16)));
	REFUSED_ALL(m, SILENT,
		    CHECK(phys_frame_part(m, 0, 0, 8) == NULL));
	pfn_t pfn0 = m->cfg.phys_base >> m->page_shift;
	REFUSED_ALL(m, SILENT,
		    CHECK(phys_frame_part(m, pfn0, P + 1, 0) == NULL));
	REFUSED_ALL(m, SILENT,
		    CHECK(phys_frame_part(m, pfn0, 8, P - 7) == NULL));
	CHECK_EQ(page_alloc_check(m, NULL, 0), 0);
	vmf_machine_destroy(m);
}

/* An owner number outside enum page_owner is kept in the page but in no
 * per-owner count; the free balances. */
static void test_page_owner_out_of_range(void)
{
	struct vmf_machine *m = mk_default();
	uint64_t owned[OWNER_NR], before = nr_free_pages(m);
	struct page *pg;

	memcpy(owned, m->phys.owned, sizeof(owned));
	pg = alloc_pages_owner(m, 0, 0, 1, (enum page_owner)(OWNER_NR + 3));
	CHECK(pg != NULL);
	if (!pg)
		return;
	CHECK_EQ(pg->owner, OWNER_NR + 3);
	CHECK(memcmp(owned, m->phys.owned, sizeof(owned)) == 0);
	CHECK_EQ(nr_free_pages(m), before - 2);
	CHECK_EQ(__free_pages(m, pg, 1), 0);
	CHECK(memcmp(owned, m->phys.owned, sizeof(owned)) == 0);
	CHECK_EQ(nr_free_pages(m), before);
	CHECK_EQ(vmf_warn_seq(m), 0);
	CHECK_EQ(page_alloc_check(m, NULL, 0), 0);
	vmf_machine_destroy(m);
}

/* ---- MMU ---------------------------------------------------------------- */

/* Every MMU entry point given no machine: a defined answer, no crash. */
static void test_mmu_no_machine(void)
{
	size_t n = 7;

	CHECK_EQ(mmu_table_alloc(NULL, W0, 3), -VMF_EINVAL);
	CHECK_EQ(pmd_set_huge(NULL, W0, 0, PAGE_KERNEL), 0);
	CHECK_EQ(pud_set_huge(NULL, W0, 0, PAGE_KERNEL), 0);
	CHECK_EQ(pmd_free_pte_page(NULL, W0), 1);
	CHECK_EQ(pud_free_pmd_page(NULL, W0), 1);
	flush_tlb_all(NULL);
	flush_tlb_kernel_pgtable(NULL, W0);
	CHECK(!tlb_maps_range(NULL, W0, W0 + P));
	CHECK(tlb_stats(NULL) == NULL);
	CHECK(tlb_entries(NULL, &n) == NULL);
	CHECK_EQ(n, 0);
	n = 7;
	CHECK(walk_cache_entries(NULL, &n) == NULL);
	CHECK_EQ(n, 0);
	CHECK(walk_cache_entries(NULL, NULL) == NULL);
	CHECK(tlb_entries(NULL, NULL) == NULL);
	CHECK_EQ(ioremap_page_range(NULL, W0, W0 + P, 0, PAGE_KERNEL),
		 -VMF_EINVAL);
	CHECK_EQ(__ioremap(NULL, 0x1000, P, PAGE_KERNEL), 0);
	CHECK_EQ(iounmap(NULL, W0), -VMF_EINVAL);
}

static void test_mmu_refusals(void)
{
	struct page *pg;
	struct vmf_machine *m = busy_machine(&pg);
	const vaddr_t pmd = 1ull << 21, pud = 1ull << 30;
	/* A free 2 MiB-aligned stretch of the window, far from the areas. */
	const vaddr_t at = W0 + 64 * pud;
	int r = 0;

	REFUSED_ALL(m, WARN_MMU_BAD_ARG, r = mmu_table_alloc(m, at, 0));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_MMU_BAD_ARG, r = mmu_table_alloc(m, at, 4));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_MMU_BAD_ARG,
		    r = mmu_table_alloc(m, 0x0000000040000000ull, 3));
	CHECK_EQ(r, -VMF_EINVAL);

	/* pmd_set_huge / pud_set_huge: the kernel's BUG_ON(phys & ~MASK)
	 * and the arguments no kernel caller gets wrong. */
	static const struct {
		vaddr_t addr;
		phys_addr_t phys;
		pgprot_t prot;
	} bad[] = {
		{0x0000000000200000ull, 0x40000000, PAGE_KERNEL}, /* TTBR0 */
		{at + P, 0x40000000, PAGE_KERNEL},          /* addr unaligned */
		{at, 0x40000000 + P, PAGE_KERNEL},          /* phys unaligned */
		{at, 1ull << 40, PAGE_KERNEL},              /* above pa_bits */
		{at, 0x40000000, PAGE_KERNEL | (1ull << 49)}, /* an output bit */
		{at, 0x40000000, PAGE_KERNEL & ~3ull},      /* not a page type */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REFUSED_ALL(m, WARN_MMU_BAD_ARG,
			    r = pmd_set_huge(m, bad[i].addr, bad[i].phys,
					     bad[i].prot));
		CHECK_EQ(r, 0);
		REFUSED_ALL(m, WARN_MMU_BAD_ARG,
			    r = pud_set_huge(m, i == 1 ? at + pmd :
						    bad[i].addr & ~(pud - 1),
					     bad[i].phys == 0x40000000 + P ?
						     0x40000000 + pmd :
						     bad[i].phys,
					     bad[i].prot));
		CHECK_EQ(r, 0);
	}
	/* Freeing a table where there is none, or at an unaligned address:
	 * nothing to do, 1 as the kernel's. */
	REFUSED_ALL(m, SILENT, CHECK_EQ(pmd_free_pte_page(m, at), 1));
	REFUSED_ALL(m, SILENT, CHECK_EQ(pud_free_pmd_page(m, at), 1));
	REFUSED_ALL(m, SILENT, CHECK_EQ(pmd_free_pte_page(m, W0 + P), 1));
	REFUSED_ALL(m, SILENT, CHECK_EQ(pud_free_pmd_page(m, W0 + P), 1));
	REFUSED_ALL(m, SILENT, CHECK(!tlb_maps_range(m, W0 + P, W0)));

	/* ioremap_page_range: BUG_ON(addr >= end) and unaligned ends. */
	static const vaddr_t rng[][3] = {
		{0, 0, 0},                 /* addr >= end */
		{1, 0, 0},                 /* addr unaligned */
		{0, 1, 0},                 /* end unaligned */
		{0, 0, 1},                 /* phys unaligned */
	};
	for (size_t i = 0; i < sizeof(rng) / sizeof(rng[0]); i++) {
		vaddr_t a = at + rng[i][0] * 8;
		vaddr_t e = i == 0 ? at : at + P + rng[i][1] * 8;

		REFUSED_ALL(m, WARN_VMALLOC_BAD_ARG,
			    r = ioremap_page_range(m, a, e,
						   0x40000000 + rng[i][2] * 8,
						   PROT_DEVICE_nGnRE));
		CHECK_EQ(r, -VMF_EINVAL);
	}
	REFUSED_ALL(m, WARN_VMALLOC_BAD_ARG,
		    r = ioremap_page_range(m, 0x1000, 0x2000, 0x40000000,
					   PROT_DEVICE_nGnRE));
	CHECK_EQ(r, -VMF_EINVAL);
	/* iounmap of an address that is not vmalloc's: 0, nothing done. */
	REFUSED_ALL(m, SILENT, CHECK_EQ(iounmap(m, 0x40001000), 0));
	vmf_machine_destroy(m);
}

/* ---- vmalloc before vmalloc_init, in interrupt context ------------------- */

static void test_vmalloc_before_init(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct page *pg;
	vaddr_t a = 1;
	int r = 0, err = 0;

	cfg_small(&c, 0);
	m = mk(&c, false);
	pg = alloc_pages_node(m, 0, 0, 0);
	CHECK(pg != NULL);
	REFUSED_ALL(m, WARN_VMALLOC_BAD_ARG,
		    a = vm_map_ram(m, &pg, 1, 0, PAGE_KERNEL));
	CHECK_EQ(a, 0);
	REFUSED_ALL(m, WARN_VM_UNMAP_RAM_BAD, r = vm_unmap_ram(m, W0, 1));
	CHECK_EQ(r, -VMF_EINVAL);
	REFUSED_ALL(m, WARN_VMALLOC_BAD_ARG,
		    CHECK(alloc_vmap_area(m, P, P, W0, W0 + 16 * P,
					  NUMA_NO_NODE, GFP_KERNEL,
					  &err) == NULL));
	REFUSED_ALL(m, SILENT, vm_unmap_aliases(m));
	vmf_machine_destroy(m);
}

static void test_vm_map_ram_in_interrupt(void)
{
	struct page *pg;
	struct vmf_machine *m = busy_machine(&pg);
	vaddr_t a = 1;

	m->in_interrupt = true;
	REFUSED_ALL(m, WARN_VMALLOC_BAD_ARG,
		    a = vm_map_ram(m, &pg, 1, 0, PAGE_KERNEL));
	CHECK_EQ(a, 0);
	m->in_interrupt = false;
	vmf_machine_destroy(m);
}

/* Lookups and reads given what no caller passes. */
static void test_lookup_edges(void)
{
	struct page *pg;
	struct vmf_machine *m = busy_machine(&pg);
	uint8_t buf[32];
	vaddr_t got = 0, a = vmalloc(m, 2 * P);
	struct vm_struct *vm = vm_at(m, a);
	uint64_t seq = m->vm->place_seq;

	REFUSED_ALL(m, SILENT, CHECK(vm_struct_page(m, NULL, 0) == NULL));
	REFUSED_ALL(m, SILENT, CHECK(vm_struct_page(m, vm, 2) == NULL));
	REFUSED_ALL(m, SILENT, CHECK(vm_struct_page(m, vm, 1) != NULL));
	/* vread: no buffer, nothing asked. */
	REFUSED_ALL(m, SILENT, CHECK_EQ(vread(m, NULL, a, 8), 0));
	REFUSED_ALL(m, SILENT, CHECK_EQ(vread(m, buf, a, 0), 0));
	/* The placement log: seq 0, one not yet made, one that left. */
	CHECK(seq > 0);
	REFUSED_ALL(m, SILENT, CHECK(!vmalloc_placement_get(m, 0, &got)));
	REFUSED_ALL(m, SILENT,
		    CHECK(!vmalloc_placement_get(m, seq + 1, &got)));
	REFUSED_ALL(m, SILENT, CHECK(vmalloc_placement_get(m, seq, &got)));
	CHECK_EQ(got, a);
	for (int i = 0; i < VMALLOC_PLACE_LOG; i++)
		CHECK_EQ(vfree(m, vmalloc(m, P)), 0);
	CHECK(!vmalloc_placement_get(m, seq, &got));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* vread past the top of the address space (a window ending at the last
 * page): "Don't allow overflow", the rest reads as zeros. */
static void test_vread_wraps(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	static uint8_t buf[2 * P];
	vaddr_t at;

	vmf_config_default(&c);
	c.vmalloc_start = 0xffffffffff000000ull;
	c.vmalloc_end = 0ull - P;
	m = mk(&c, true);
	at = c.vmalloc_end - 16;
	memset(buf, 0x11, sizeof(buf));
	REFUSED_ALL(m, SILENT, CHECK_EQ(vread(m, buf, at, sizeof(buf)),
					sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i]) {
			CHECK_EQ(buf[i], 0);
			break;
		}
	vmf_machine_destroy(m);
}

/* ---- warn.c ------------------------------------------------------------- */

#if defined(__GNUC__) && !defined(__clang__)
/* gcc follows the pointers below; the NULL %s and the truncation are the
 * point of the test. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif

/* Called through pointers: the formats below are the point, and the
 * compiler's format check would refuse some of them. */
typedef void (*warn_fn)(struct vmf_machine *, enum vmf_warn_kind,
			const char *, ...);
typedef int (*snprintf_fn)(char *, size_t, const char *, ...);

#define LIKE_LIBC(m, fmt, ...)                                               \
	do {                                                                 \
		warn_fn w_ = vmf_warn;                                       \
		snprintf_fn s_ = snprintf;                                   \
		char want_[VMF_WARN_TEXT];                                   \
		s_(want_, sizeof(want_), fmt, __VA_ARGS__);                  \
		w_(m, WARN_NONE, fmt, __VA_ARGS__);                          \
		CHECK_STR(warn_text(m, vmf_warn_seq(m)), want_);             \
	} while (0)

static void test_warn_formatter(void)
{
	struct vmf_machine *m = mk_default();
	char big[VMF_WARN_TEXT + 40];
	int x = 0;

	/* Each conversion and length the formatter converts itself. */
	LIKE_LIBC(m, "%i %i %d", -7, 2147483647, -2147483647 - 1);
	LIKE_LIBC(m, "%li %ld %lli %zd", -5l, 123456789012l, -1ll,
		  (size_t)42);
	LIKE_LIBC(m, "%#X %#x %#X %X", 0xabcu, 0xabcu, 0u, 0xdeadu);
	LIKE_LIBC(m, "%#llX %#lx %#zx", 0xabcdefull, 0x10ul, (size_t)0);
	LIKE_LIBC(m, "%#u %#lu %#llu", 17u, 0ul, 99ull);
	LIKE_LIBC(m, "%06d %-4d| %3i", -42, 5, 7);
	LIKE_LIBC(m, "%5c|%c|%1c", 'a', 'b', 'c');
	LIKE_LIBC(m, "%20p|%p", (void *)&x, (void *)(uintptr_t)0x1000);
	LIKE_LIBC(m, "%%%s%%", "mid");
	/* Flags and lengths it has no rule for: handed to vsnprintf whole. */
	LIKE_LIBC(m, "%0p.", (void *)&x);
	LIKE_LIBC(m, "%#p.", (void *)&x);
	LIKE_LIBC(m, "%lp.", (void *)&x);
	LIKE_LIBC(m, "%05s.", "ab");
	LIKE_LIBC(m, "%#s.", "ab");
	LIKE_LIBC(m, "%ls.", L"wide");
	LIKE_LIBC(m, "%s.", (const char *)NULL);
	LIKE_LIBC(m, "%03c.", 'z');
	LIKE_LIBC(m, "%#c.", 'z');
	LIKE_LIBC(m, "%lc.", (wint_t)'w');
	LIKE_LIBC(m, "%0%.%d", 1);
	LIKE_LIBC(m, "%#%.%d", 2);
	LIKE_LIBC(m, "%l%.%d", 3);
	LIKE_LIBC(m, "%3%.%d", 4);
	LIKE_LIBC(m, "%o %e", 8u, 2.5);
	/* Literal text after the text is full: counted, not written. */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	LIKE_LIBC(m, "%s and then some text %u", big, 7u);
	LIKE_LIBC(m, "%s", big);
	vmf_machine_destroy(m);
}

/* A kind outside the enum is recorded as WARN_NONE; names and the log's
 * window ends. */
static void test_warn_log_edges(void)
{
	struct vmf_machine *m = mk_default();
	FILE *out = tmpfile();
	char line[256];
	int lines = 0;

	CHECK_STR(vmf_warn_kind_name((enum vmf_warn_kind)WARN_KIND_NR), "?");
	CHECK_STR(vmf_warn_kind_name((enum vmf_warn_kind)-1), "?");
	CHECK_STR(vmf_warn_kind_name(WARN_VMAP_NE_FIT_FAIL),
		  "vmap_ne_fit_fail");
	CHECK(vmf_warn_get(m, 0) == NULL);
	CHECK(vmf_warn_get(m, 1) == NULL);
	vmf_warn(m, (enum vmf_warn_kind)(WARN_KIND_NR + 5), "odd kind %d", 1);
	CHECK_EQ(warn_kind(m, 1), WARN_NONE);
	CHECK_EQ(m->warn.count[WARN_NONE], 1);
	for (int i = 0; i < VMF_WARN_RING + 4; i++)
		vmf_warn(m, WARN_MMU_BAD_ARG, "n %d", i);
	CHECK(vmf_warn_get(m, 1) == NULL); /* left the ring */
	CHECK(vmf_warn_get(m, vmf_warn_seq(m) + 1) == NULL);
	CHECK_STR(warn_text(m, vmf_warn_seq(m)), "n 19");
	CHECK(out != NULL);
	if (out) {
		vmf_warn_print(m, out);
		rewind(out);
		CHECK(fgets(line, sizeof(line), out) != NULL);
		CHECK_STR(line, "21 warning(s)\n");
		while (fgets(line, sizeof(line), out))
			lines++;
		CHECK_EQ(lines, VMF_WARN_RING);
		fclose(out);
	}
	vmf_warn_reset(&m->warn);
	CHECK_EQ(vmf_warn_seq(m), 0);
	CHECK(vmf_warn_get(m, 1) == NULL);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_page_alloc_refusals), TEST(test_page_owner_out_of_range),
	  TEST(test_mmu_no_machine), TEST(test_mmu_refusals),
	  TEST(test_vmalloc_before_init), TEST(test_vm_map_ram_in_interrupt),
	  TEST(test_lookup_edges), TEST(test_vread_wraps), TEST(test_warn_formatter),
	  TEST(test_warn_log_edges))
