/* The page-array cursor (lib/mm/vmalloc_internal.h): runs over a page array
 * give exactly what entry-by-entry lookups give (vm_struct_page resolves
 * every entry from scratch), for kmalloc'ed arrays, nested arrays and
 * arrays nested twice, in any order; stores land where lookups find them;
 * and a corrupted array is handled as entry by entry would, including an
 * entry that names a page of the array itself, which vfree frees while
 * the cursor still reads from it. */
#include "vmalloc_test_util.h"

static void put_le(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Overwrite entry i of vm's nested array with raw. */
static void poke_entry(struct vmf_machine *m, const struct vm_struct *vm,
		       unsigned int i, uint64_t raw)
{
	const struct vm_struct *nested = vm_page_array_area(m, vm);
	uint64_t off = (uint64_t)i * 8;
	uint8_t b[8];

	CHECK(nested != NULL);
	if (!nested)
		return;
	put_le(b, raw);
	CHECK(phys_write(m, page_to_phys(m, page_at(m, nested,
						     (unsigned int)(off / P))) +
				    off % P,
			 b, sizeof(b)));
}

static uint64_t vmalloc_pages_held(const struct vmf_machine *m)
{
	uint64_t n = 0;

	for (pfn_t i = 0; i < m->phys.nr_pages; i++)
		if ((m->phys.pages[i].flags & PG_head) &&
		    m->phys.pages[i].owner == OWNER_VMALLOC)
			n += 1ull << m->phys.pages[i].order;
	return n;
}

static bool page_held(const struct page *pg)
{
	return (pg->flags & PG_head) && pg->owner == OWNER_VMALLOC;
}

/* One cursor over the whole array, forwards, backwards and scattered,
 * against a lookup per entry and against the page tables. */
static void check_runs(struct vmf_machine *m, const struct vm_struct *vm)
{
	struct vm_page_cursor c;
	uint64_t seed = 7;

	vm_page_cursor_init(&c, vm);
	for (unsigned int i = 0; i < vm->nr_pages; i++) {
		struct page *pg = vm_page_cursor_get(m, &c, i);
		pfn_t pfn = 0;

		CHECK(pg != NULL && pg == vm_struct_page(m, vm, i));
		CHECK(mapped_to(m, vm->addr + i * P, &pfn));
		if (pg)
			CHECK_EQ(page_to_pfn(m, pg), pfn);
	}
	CHECK(vm_page_cursor_get(m, &c, vm->nr_pages) == NULL);
	CHECK(vm_page_cursor_get(m, &c, ~0u) == NULL);
	for (unsigned int i = vm->nr_pages; i-- > 0;)
		CHECK(vm_page_cursor_get(m, &c, i) == vm_struct_page(m, vm, i));
	for (int k = 0; k < 2000; k++) {
		unsigned int i = (unsigned int)(rnd_next(&seed) % vm->nr_pages);

		CHECK(vm_page_cursor_get(m, &c, i) == vm_struct_page(m, vm, i));
	}
}

static void test_kmalloc_array(void)
{
	struct vmf_machine *m = mk_default();
	vaddr_t a = vmalloc(m, 300 * P);
	struct vm_struct *vm = vm_at(m, a);
	struct vm_page_cursor c;
	struct page *pg;

	CHECK(vm->pages != NULL);
	check_runs(m, vm);
	/* Stores go straight to the host array. */
	pg = vm->pages[5];
	vm_page_cursor_init(&c, vm);
	CHECK(vm_page_cursor_set(m, &c, 5, vm->pages[6]));
	CHECK(vm->pages[5] == vm->pages[6]);
	vm->pages[5] = pg;
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_nested_array(void)
{
	struct vmf_machine *m = mk_default();
	vaddr_t a = vmalloc(m, 1500 * P); /* 3 holder pages, the last partly */
	struct vm_struct *vm = vm_at(m, a);

	CHECK(vm->pages == NULL && vm->pages_va != 0);
	CHECK_EQ(vm_at(m, vm->pages_va)->nr_pages, 3);
	check_runs(m, vm);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Stores in index order reach RAM by the flush, batch by batch and
 * across holder pages; a store into an unreachable array fails. */
static void test_stores(void)
{
	struct vmf_machine *m = mk_default();
	vaddr_t a = vmalloc(m, 1500 * P);
	struct vm_struct *vm = vm_at(m, a);
	struct page *saved[1500];
	struct vm_page_cursor c;
	vaddr_t pages_va;

	for (unsigned int i = 0; i < 1500; i++)
		saved[i] = page_at(m, vm, i);
	/* Reversed, then back. */
	vm_page_cursor_init(&c, vm);
	for (unsigned int i = 0; i < 1500; i++)
		CHECK(vm_page_cursor_set(m, &c, i, saved[1499 - i]));
	vm_page_cursor_flush(m, &c);
	for (unsigned int i = 0; i < 1500; i++)
		CHECK(vm_struct_page(m, vm, i) == saved[1499 - i]);
	/* Out of order stores (flushed as they go) land too. */
	vm_page_cursor_init(&c, vm);
	for (unsigned int i = 0; i < 1500; i += 2)
		CHECK(vm_page_cursor_set(m, &c, i, saved[i]));
	for (unsigned int i = 1; i < 1500; i += 2)
		CHECK(vm_page_cursor_set(m, &c, i, saved[i]));
	vm_page_cursor_flush(m, &c);
	for (unsigned int i = 0; i < 1500; i++)
		CHECK(vm_struct_page(m, vm, i) == saved[i]);
	CHECK_EQ(check_vm(m), 0);

	/* An array that is not there: stores fail, lookups find nothing. */
	pages_va = vm->pages_va;
	vm->pages_va = a;
	vm_page_cursor_init(&c, vm);
	CHECK(!vm_page_cursor_set(m, &c, 0, saved[0]));
	CHECK(vm_page_cursor_get(m, &c, 0) == NULL);
	vm->pages_va = pages_va;
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Entry 100 names holder page 0 of the array: vfree frees it at entry
 * 100, after which every entry that page held reads as poison and is
 * lost, as it would be entry by entry (a cursor that kept reading what it
 * had read ahead would free entries 101.. instead). */
static void test_entry_names_holder(void)
{
	struct vmf_machine *m = mk_default();
	vaddr_t a = vmalloc(m, 1500 * P);
	struct vm_struct *vm = vm_at(m, a);
	struct vm_struct *arr = vm_at(m, vm->pages_va);
	struct page *pages[1500], *holder0 = page_at(m, arr, 0);
	uint64_t held0 = vmalloc_pages_held(m);
	char why[512] = "";

	for (unsigned int i = 0; i < 1500; i++)
		pages[i] = page_at(m, vm, i);
	poke_entry(m, vm, 100, page_to_pfn(m, holder0));
	CHECK(vm_struct_page(m, vm, 100) == holder0);
	CHECK_EQ(vfree(m, a), 0);
	/* Entries 0..99 and 512.. freed, with holders 0 (as entry 100), 1
	 * and 2; page 100 and entries 101..511 leaked. */
	for (unsigned int i = 0; i < 1500; i++)
		CHECK(page_held(pages[i]) == (i >= 100 && i < 512));
	CHECK(!page_held(holder0));
	CHECK_EQ(vmalloc_pages_held(m), 412);
	CHECK_EQ(held0 - vmalloc_pages_held(m), 1500 + 3 - 412);
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "OWNER_VMALLOC") != NULL);
	vmf_machine_destroy(m);
}

/* A lost holder: entries of holder page 1 read NULL, the others are
 * found, in any order. */
static void test_lost_holder(void)
{
	struct vmf_machine *m = mk_default();
	vaddr_t a = vmalloc(m, 1500 * P);
	struct vm_struct *vm = vm_at(m, a);
	struct vm_struct *arr = vm_at(m, vm->pages_va);
	struct vm_page_cursor c;
	struct page *h1 = page_at(m, arr, 1);

	/* The nested array's own (kmalloc'ed) entry for holder 1 is gone. */
	arr->pages[1] = NULL;
	vm_page_cursor_init(&c, vm);
	for (unsigned int i = 0; i < 1500; i++) {
		struct page *pg = vm_page_cursor_get(m, &c, i);

		CHECK((pg == NULL) == (i >= 512 && i < 1024));
		CHECK(pg == vm_struct_page(m, vm, i));
	}
	CHECK(vm_page_cursor_get(m, &c, 3) == vm_struct_page(m, vm, 3));
	CHECK(vm_page_cursor_get(m, &c, 600) == NULL);
	arr->pages[1] = h1;
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* Arrays nested twice (more than 512 * 512 pages with 4K pages): the
 * array's array is itself vmalloc'ed. An entry naming the page that
 * holds the first entries of the inner array loses every entry resolved
 * through it once it is freed. */
static void test_nested_twice(void)
{
	const unsigned int nr = 512 * 512 + 600;
	struct vmf_config cfg;
	struct vmf_machine *m;
	struct vm_struct *vm, *arr, *arr2;
	struct page *inner, *first, *last;
	vaddr_t a;

	cfg_small(&cfg, 0);
	cfg.phys_size = 2ull << 30;
	m = mk(&cfg, true);
	a = vmalloc(m, (uint64_t)nr * P);
	CHECK(a != 0);
	if (!a) {
		vmf_machine_destroy(m);
		return;
	}
	vm = vm_at(m, a);
	arr = vm_at(m, vm->pages_va);
	CHECK(arr->pages == NULL && arr->pages_va != 0);
	arr2 = vm_at(m, arr->pages_va);
	CHECK(arr2->pages != NULL);
	check_runs(m, vm);
	CHECK_EQ(check_vm(m), 0);

	/* inner holds arr's entries 0..511: the holders of vm's entries
	 * 0 .. 512 * 512 - 1. */
	inner = page_at(m, arr2, 0);
	first = page_at(m, vm, 0);
	last = page_at(m, vm, nr - 1);
	poke_entry(m, vm, 0, page_to_pfn(m, inner));
	CHECK_EQ(vfree(m, a), 0);
	/* Entry 0 frees inner: every later entry below 512 * 512 is lost;
	 * the last 600 come through arr's page 512, which inner does not
	 * hold, and are freed. */
	CHECK(!page_held(inner));
	CHECK(page_held(first));
	CHECK(!page_held(last));
	CHECK_EQ(vmalloc_pages_held(m), 1 + (512 * 512 - 1) + 512);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_kmalloc_array), TEST(test_nested_array),
	  TEST(test_stores), TEST(test_entry_names_holder),
	  TEST(test_lost_holder), TEST(test_nested_twice))
