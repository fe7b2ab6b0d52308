/* vmalloc failure paths at every injection point, with exact accounting
 * afterwards: FAULT_KMALLOC for the vm_struct, the vmap_area and the page
 * array (also inside a nested page array), FAULT_PAGE_ALLOC at page i
 * (outer and nested), FAULT_PGTABLE while mapping (nothing mapped yet,
 * and half way through an area). */
#include "vmalloc_test_util.h"

struct before {
	struct snap s;
	uint64_t seq;
};

static void start(struct vmf_machine *m, struct before *b)
{
	take(m, &b->s);
	b->seq = vmf_warn_seq(m);
}

/* The deltas a failure leaves: fault-site calls, lazy areas and pages,
 * kmalloc objects, free pages, warnings. */
struct expect {
	uint64_t kmalloc_calls, page_calls, pgtable_calls;
	uint64_t lazy, lazy_pages, km, pages_used;
	int warns;
	const char *text; /* of the last warning, if any */
};

static void finish(struct vmf_machine *m, const struct before *b,
		   const struct expect *e)
{
	struct snap s;

	take(m, &s);
	CHECK_EQ(s.fault_calls[FAULT_KMALLOC] - b->s.fault_calls[FAULT_KMALLOC],
		 e->kmalloc_calls);
	CHECK_EQ(s.fault_calls[FAULT_PAGE_ALLOC] -
			 b->s.fault_calls[FAULT_PAGE_ALLOC],
		 e->page_calls);
	CHECK_EQ(s.fault_calls[FAULT_PGTABLE] - b->s.fault_calls[FAULT_PGTABLE],
		 e->pgtable_calls);
	CHECK_EQ(s.obs.nr_lazy - b->s.obs.nr_lazy, e->lazy);
	CHECK_EQ(s.obs.vmap_lazy_nr - b->s.obs.vmap_lazy_nr, e->lazy_pages);
	CHECK_EQ(s.obs.nr_busy - b->s.obs.nr_busy, e->lazy);
	CHECK_EQ(s.km_objects - b->s.km_objects, e->km);
	CHECK_EQ(b->s.free_pages - s.free_pages, e->pages_used);
	CHECK_EQ(vmf_warn_seq(m) - b->seq, (uint64_t)e->warns);
	if (e->warns) {
		CHECK_EQ(warn_kind(m, vmf_warn_seq(m)), WARN_VMALLOC_ALLOC_FAILURE);
		if (e->text)
			CHECK_STR(warn_text(m, vmf_warn_seq(m)), e->text);
	}
	CHECK_EQ(check_vm(m), 0);
}

/* vmalloc(4 pages): kmalloc 1 = vm_struct, 2 = vmap_area, 3 = array. */
static void test_kmalloc_points(void)
{
	struct vmf_machine *m = mk_default();
	struct before b;

	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 1);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 4 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 1, .warns = 1,
		.text = "vmalloc: allocation failure: 16384 bytes"});

	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 2);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 4 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 2, .warns = 1,
		.text = "vmalloc: allocation failure: 16384 bytes"});

	/* The page array: the area is removed (lazily) and the struct
	 * freed; 4.19 prints nothing on this path. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 3);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 4 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 3, .lazy = 1,
		.lazy_pages = 5, .km = 1});

	/* __GFP_NOWARN silences the failure warning. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 1);
	start(m, &b);
	CHECK_EQ(__vmalloc(m, 4 * P, __GFP_NOWARN, PAGE_KERNEL), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 1});

	/* get_vm_area and vmap fail without a vmalloc warning. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 2);
	start(m, &b);
	CHECK(get_vm_area(m, P, 0) == NULL);
	finish(m, &b, &(struct expect){.kmalloc_calls = 2});
	vmf_machine_destroy(m);
}

/* vmalloc(4 pages) with page k failing: k - 1 pages were allocated and
 * are freed again by the vfree of the failure path. */
static void test_page_points(void)
{
	static const char *const texts[5] = {
		NULL,
		"vmalloc: allocation failure, allocated 0 of 20480 bytes",
		"vmalloc: allocation failure, allocated 4096 of 20480 bytes",
		"vmalloc: allocation failure, allocated 8192 of 20480 bytes",
		"vmalloc: allocation failure, allocated 12288 of 20480 bytes",
	};
	struct vmf_machine *m = mk_default();
	struct before b;

	for (int k = 1; k <= 4; k++) {
		vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_NTH, (uint64_t)k);
		start(m, &b);
		CHECK_EQ(vmalloc(m, 4 * P), 0);
		finish(m, &b, &(struct expect){.kmalloc_calls = 3,
			.page_calls = (uint64_t)k, .lazy = 1, .lazy_pages = 5,
			.km = 1, .warns = 1, .text = texts[k]});
	}
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_NTH, 2);
	start(m, &b);
	CHECK_EQ(__vmalloc(m, 4 * P, __GFP_NOWARN, PAGE_KERNEL), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 3, .page_calls = 2,
		.lazy = 1, .lazy_pages = 5, .km = 1});
	/* The next allocation works and the lazy ones go with a purge. */
	CHECK(vmalloc(m, 4 * P) != 0);
	purge_vmap_area_lazy(m);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* vmalloc(513 pages): kmalloc 1-2 outer vm_struct / vmap_area, 3-5 the
 * nested area's vm_struct, vmap_area and (kmalloc'ed) array; pages 1-2
 * the nested area's, 3.. the outer's. Tables for the region are made
 * once beforehand so the page counts are exact. */
static void test_nested_points(void)
{
	struct vmf_machine *m = mk_default();
	struct before b;
	const uint64_t outer = 514, inner = 3;

	CHECK(vmalloc(m, 600 * P) != 0); /* tables for [W, W + 2 MiB+) */
	vfree(m, W0);
	purge_vmap_area_lazy(m);

	/* The nested vm_struct: the nested vmalloc warns, the outer area
	 * goes lazily without a word. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 3);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 513 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 3, .lazy = 1,
		.lazy_pages = outer, .km = 1, .warns = 1,
		.text = "vmalloc: allocation failure: 4104 bytes"});
	purge_vmap_area_lazy(m);

	/* The nested area's own (kmalloc'ed) array: both areas lazily
	 * removed, no warning at all. */
	vmf_fault_set(m, FAULT_KMALLOC, FAULT_NTH, 5);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 513 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 5, .lazy = 2,
		.lazy_pages = outer + inner, .km = 2});
	purge_vmap_area_lazy(m);

	/* The nested area's second page. */
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_NTH, 2);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 513 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 5, .page_calls = 2,
		.lazy = 2, .lazy_pages = outer + inner, .km = 2, .warns = 1,
		.text = "vmalloc: allocation failure, allocated 4096 of 12288 "
			"bytes"});
	purge_vmap_area_lazy(m);

	/* The outer area's first and 98th pages: its vfree frees the pages
	 * so far, then the nested array area. */
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_NTH, 3);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 513 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 5, .page_calls = 3,
		.lazy = 2, .lazy_pages = outer + inner, .km = 2, .warns = 1,
		.text = "vmalloc: allocation failure, allocated 0 of 2105344 "
			"bytes"});
	/* Released newest first: the nested area was freed last. */
	CHECK_EQ(va_of_purge(m->vm->purge.next)->va_end -
			 va_of_purge(m->vm->purge.next)->va_start,
		 inner * P);
	purge_vmap_area_lazy(m);
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_NTH, 100);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 513 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 5, .page_calls = 100,
		.lazy = 2, .lazy_pages = outer + inner, .km = 2, .warns = 1,
		.text = "vmalloc: allocation failure, allocated 397312 of "
			"2105344 bytes"});
	purge_vmap_area_lazy(m);
	vmf_machine_destroy(m);
}

static void test_pgtable_points(void)
{
	struct vmf_machine *m = mk_default();
	struct before b;
	vaddr_t a;

	/* No table yet below the root: the first one fails, nothing is
	 * mapped, the 4 pages go back. */
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_NTH, 1);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 4 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 3, .page_calls = 4,
		.pgtable_calls = 1, .lazy = 1, .lazy_pages = 5, .km = 1,
		.warns = 1,
		.text = "vmalloc: allocation failure, allocated 16384 of 20480 "
			"bytes"});
	CHECK_EQ(mmu_pgtable_pages(m), 1);
	/* The second: the level-1 table stays (tables are never freed). */
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_NTH, 2);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 4 * P), 0);
	finish(m, &b, &(struct expect){.kmalloc_calls = 3, .page_calls = 4,
		.pgtable_calls = 2, .lazy = 1, .lazy_pages = 5, .km = 1,
		.pages_used = 1, .warns = 1});
	CHECK_EQ(mmu_pgtable_pages(m), 2);
	purge_vmap_area_lazy(m);

	/* Half way: an area across a 2 MiB boundary, the second last-level
	 * table fails after two pages were mapped: they are unmapped. */
	a = vmalloc(m, 509 * P); /* [W, W+510P) */
	CHECK_EQ(a, W0);
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_NTH, 1);
	start(m, &b);
	CHECK_EQ(vmalloc(m, 4 * P), 0); /* [W+510P, W+515P) */
	finish(m, &b, &(struct expect){.kmalloc_calls = 3, .page_calls = 4,
		.pgtable_calls = 1, .lazy = 1, .lazy_pages = 5, .km = 1,
		.warns = 1});
	for (int i = 510; i < 515; i++)
		CHECK(!is_mapped(m, W0 + (uint64_t)i * P));
	/* vmap: the vunmap path, the caller's pages untouched, no vmalloc
	 * warning. Its third page is the first of a new last-level table. */
	{
		struct page *pg[3];
		for (int i = 0; i < 3; i++)
			pg[i] = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0,
						  OWNER_VMAP);
		purge_vmap_area_lazy(m);
		CHECK_EQ(vmalloc(m, 511 * P), W0 + 510 * P);
		CHECK_EQ(vmalloc(m, 511 * P), W0 + 1022 * P); /* to 1534 */
		vmf_fault_set(m, FAULT_PGTABLE, FAULT_NTH, 1);
		start(m, &b);
		CHECK_EQ(vmap(m, pg, 3, 0, PAGE_KERNEL), 0);
		finish(m, &b, &(struct expect){.kmalloc_calls = 2,
			.pgtable_calls = 1, .lazy = 1, .lazy_pages = 4,
			.km = 1});
		CHECK(!is_mapped(m, W0 + 1534 * P));
		for (int i = 0; i < 3; i++) {
			CHECK(pg[i]->flags & PG_head);
			__free_pages(m, pg[i], 0);
		}
	}
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* FAULT_ALWAYS on pages: every vmalloc fails cleanly, repeatedly. */
static void test_always_failing(void)
{
	struct vmf_machine *m = mk_default();
	uint64_t free0 = nr_free_pages(m);

	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_ALWAYS, 0);
	for (int i = 0; i < 50; i++)
		CHECK_EQ(__vmalloc(m, (uint64_t)(i % 7 + 1) * P, __GFP_NOWARN,
				   PAGE_KERNEL), 0);
	CHECK_EQ(nr_free_pages(m), free0);
	CHECK_EQ(check_vm(m), 0);
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_OFF, 0);
	purge_vmap_area_lazy(m);
	CHECK_EQ(m->km.objects, 0);
	CHECK_EQ(vmalloc(m, P), W0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_kmalloc_points), TEST(test_page_points),
	  TEST(test_nested_points), TEST(test_pgtable_points),
	  TEST(test_always_failing))
