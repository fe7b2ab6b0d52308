/* vm_check's huge-area rules (lib/mm/vmalloc_huge.c vmalloc_huge_check)
 * on corrupted state: each case breaks one thing of a 2 MiB huge area
 * (one PMD block of a split order-9 page, 4K pages), expects vm_check to
 * fail with that reason, puts it back and expects it to pass again.
 * The rules check_live enforces first for every area (each array entry
 * present and mapping its pfn, every page mapped) leave the checker's
 * per-step branches (entry lost, frames not consecutive, step unmapped,
 * a block on other frames) to defensive duty: no corruption reaches them
 * without check_live reporting it first. */
#include "vmalloc_test_util.h"

#define M2 (1ull << 21)

static void expect_fails(struct vmf_machine *m, const char *what)
{
	char why[512] = "";

	CHECK(vm_check(m, why, sizeof(why)) != 0);
	if (!strstr(why, what)) {
		fprintf(stderr, "vm_check said \"%s\", expected \"%s\"\n", why,
			what);
		CHECK(!"wrong vm_check reason");
	}
}

static struct vmf_machine *mk_huge(void)
{
	struct vmf_config c;

	vmf_config_default(&c);
	c.page_shift = 12;
	c.huge_vmalloc = true;
	return mk(&c, true);
}

static void test_huge_area(void)
{
	struct vmf_machine *m = mk_huge();
	vaddr_t a = vmalloc_huge(m, M2, NUMA_NO_NODE);
	struct vm_struct *vm = vm_at(m, a);

	CHECK(a != 0);
	CHECK_EQ(vm->page_order, 9);
	CHECK_EQ(vm->nr_pages, 512);
	CHECK_EQ(check_vm(m), 0);
	if (vm->page_order != 9 || vm->nr_pages != 512) {
		vmf_machine_destroy(m);
		return;
	}

	vm->page_order = 8;
	expect_fails(m, "page order 8 is not the PMD's");
	vm->page_order = 9;
	CHECK_EQ(check_vm(m), 0);

	/* One entry short of the mapped block: check_live checks the 511
	 * entries it has, the huge rule wants whole PMD steps. */
	vm->nr_pages = 511;
	expect_fails(m, "not whole PMD_SIZE");
	vm->nr_pages = 512;
	CHECK_EQ(check_vm(m), 0);

	CHECK_EQ(vfree(m, a), 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_huge_area))
