/* vm_check (lib/mm/vm_check.c) on corrupted state: every branch of the
 * checker that a passing input cannot reach (no seed corrupts state)
 * gets one corruption here. Each case breaks one thing, expects vm_check
 * to fail with its reason, puts the thing back and expects it to pass
 * again, so the check is shown to fail for that reason and no other.
 * test_vmalloc.c's test_vm_check_catches has the first cases (counters,
 * overlap, unmapped and wrongly mapped pages, guard page, tree order). */
#include "vmalloc_test_util.h"

/* vm_check fails and its reason contains `what`. */
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

/* Three live areas a (2 pages), b, d and two lazily freed ones c, e, in
 * address order a b c d e. */
struct fixture {
	struct vmf_machine *m;
	vaddr_t a, b, c, d, e;
};

static void setup(struct fixture *f)
{
	f->m = mk_default();
	f->a = vmalloc(f->m, 2 * P);
	f->b = vmalloc(f->m, P);
	f->c = vmalloc(f->m, P);
	f->d = vmalloc(f->m, P);
	f->e = vmalloc(f->m, P);
	CHECK_EQ(vfree(f->m, f->c), 0);
	CHECK_EQ(vfree(f->m, f->e), 0);
	CHECK_EQ(check_vm(f->m), 0);
}

/* A live area's vm_struct against its vmap_area and its page array. */
static void test_live_area(void)
{
	struct fixture f;
	struct vm_struct *vm, *vb;
	struct vmap_area *va;
	struct page **pages, *pg;
	vaddr_t start;
	unsigned int n;

	setup(&f);
	va = va_at(f.m, f.a);
	vm = vm_at(f.m, f.a);
	vb = vm_at(f.m, f.b);

	va->vm = NULL;
	expect_fails(f.m, "VM_VM_AREA without a vm_struct");
	va->vm = vm;
	CHECK_EQ(check_vm(f.m), 0);

	start = f.m->cfg.vmalloc_start;
	f.m->cfg.vmalloc_start = f.a + P;
	expect_fails(f.m, "outside the vmalloc window");
	f.m->cfg.vmalloc_start = start;
	CHECK_EQ(check_vm(f.m), 0);

	n = vm->nr_mapped;
	vm->nr_mapped = 3; /* 2 pages + the guard page is all there is */
	expect_fails(f.m, "more than its 3 pages");
	vm->nr_mapped = n;
	n = vm->nr_pages;
	vm->nr_pages = 3;
	expect_fails(f.m, "more than its 3 pages");
	vm->nr_pages = n;
	CHECK_EQ(check_vm(f.m), 0);

	pages = vm->pages;
	vm->pages = NULL;
	expect_fails(f.m, "but no page array");
	vm->pages_va = f.m->cfg.vmalloc_end - 4 * P; /* no area there */
	expect_fails(f.m, "nested page array at");
	vm->pages = pages;
	expect_fails(f.m, "two page arrays");
	vm->pages_va = 0;
	CHECK_EQ(check_vm(f.m), 0);

	/* b claims to hold a's page array; a does not point back. */
	vb->array_of = f.a;
	expect_fails(f.m, "which does not point back at it");
	vb->array_of = f.d; /* d is live, its page array is its own */
	expect_fails(f.m, "which does not point back at it");
	vb->array_of = 0;
	CHECK_EQ(check_vm(f.m), 0);

	pg = vm->pages[1];
	vm->pages[1] = NULL;
	expect_fails(f.m, "page array entry 1 is lost");
	vm->pages[1] = pg;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* The busy tree, the busy list and the per-area state flags. */
static void test_busy_list(void)
{
	struct fixture f;
	struct vmap_area *va, *vb, *vc, *vd;
	struct list_link *l;
	unsigned long flags;
	vaddr_t end;

	setup(&f);
	va = va_at(f.m, f.a);
	vb = va_at(f.m, f.b);
	vc = va_at(f.m, f.c);
	vd = va_at(f.m, f.d);
	CHECK(vc != NULL && (vc->flags & VM_LAZY_FREE));

	/* d leaves the list, stays in the tree. */
	vlist_del(&vd->list);
	expect_fails(f.m, "busy list entry 3 is not the tree's");
	vlist_add_after(&vd->list, &vc->list);
	CHECK_EQ(check_vm(f.m), 0);

	/* The last area leaves the list: the list ends first. */
	l = f.m->vm->busy.prev;
	vlist_del(l);
	expect_fails(f.m, "busy tree and list differ in length");
	vlist_add_after(l, f.m->vm->busy.prev);
	CHECK_EQ(check_vm(f.m), 0);

	/* a's successor does not point back at it. */
	vb->list.prev = &vc->list;
	expect_fails(f.m, "busy list links broken at");
	vb->list.prev = &va->list;
	CHECK_EQ(check_vm(f.m), 0);

	f.m->vm->nr_busy--;
	expect_fails(f.m, "more than nr_busy");
	f.m->vm->nr_busy++;
	CHECK_EQ(check_vm(f.m), 0);

	end = vb->va_end;
	vb->va_end = vb->va_start;
	expect_fails(f.m, "empty or not page aligned");
	vb->va_end = end + 1;
	expect_fails(f.m, "empty or not page aligned");
	vb->va_end = end;
	CHECK_EQ(check_vm(f.m), 0);

	flags = vb->flags;
	vb->flags |= VM_LAZY_FREE;
	expect_fails(f.m, "both live and lazily freed");
	vb->flags = flags;
	flags = vc->flags;
	vc->flags |= VM_DEFERRED;
	expect_fails(f.m, "deferred but not live");
	vc->flags = flags;
	CHECK_EQ(check_vm(f.m), 0);

	/* A lazily freed area that kept a vm_struct. */
	vc->vm = vm_at(f.m, f.b);
	expect_fails(f.m, "still has a vm_struct");
	vc->vm = NULL;
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* The purge list and the per-CPU deferred lists. */
static void test_va_lists(void)
{
	struct fixture f;
	struct vmalloc_state *vs;
	struct vmap_area *vc, *ve, fake;
	struct list_link *next, *prev;
	unsigned long flags;
	unsigned cpu;

	setup(&f);
	vs = f.m->vm;
	vc = va_at(f.m, f.c);
	ve = va_at(f.m, f.e);

	/* The purge list loops between its two entries (links agree). */
	next = vs->purge.next;
	prev = vs->purge.prev;
	CHECK(next != prev); /* c and e */
	prev->next = next;
	next->prev = prev;
	expect_fails(f.m, "purge list: more entries than busy areas");
	prev->next = &vs->purge;
	next->prev = &vs->purge;
	CHECK_EQ(check_vm(f.m), 0);

	/* An entry whose successor does not point back. */
	prev = next->next->prev;
	next->next->prev = &vs->purge;
	expect_fails(f.m, "purge list: links broken");
	next->next->prev = prev;
	CHECK_EQ(check_vm(f.m), 0);

	/* c loses VM_LAZY_FREE: a bare area for the tree, not a purge list
	 * entry. */
	flags = vc->flags;
	vc->flags &= ~VM_LAZY_FREE;
	expect_fails(f.m, "purge list: area");
	expect_fails(f.m, "lacks flags");
	vc->flags = flags;
	CHECK_EQ(check_vm(f.m), 0);

	/* An entry that is no area of the tree. */
	memset(&fake, 0, sizeof(fake));
	fake.va_start = f.m->cfg.vmalloc_end - 2 * P;
	fake.va_end = f.m->cfg.vmalloc_end - P;
	fake.flags = VM_LAZY_FREE;
	vlist_add_after(&fake.purge_list, &ve->purge_list);
	expect_fails(f.m, "is not in the tree");
	vlist_del(&fake.purge_list);
	CHECK_EQ(check_vm(f.m), 0);

	vs->nr_lazy++;
	expect_fails(f.m, "purge list: 2 entries, nr_lazy 3");
	vs->nr_lazy--;
	CHECK_EQ(check_vm(f.m), 0);

	/* A deferred free on CPU 0 (vfree_atomic), then its counters. */
	CHECK_EQ(vfree_atomic(f.m, f.b), 0);
	CHECK_EQ(check_vm(f.m), 0);
	cpu = f.m->cur_cpu;
	vs->nr_deferred[cpu]++;
	expect_fails(f.m, "entries, nr_deferred");
	vs->nr_deferred[cpu]--;
	CHECK_EQ(check_vm(f.m), 0);

	/* ... moved to the list of a CPU the machine does not have. */
	CHECK(f.m->cfg.nr_cpus < VMF_MAX_CPUS);
	next = vs->deferred[cpu].next;
	vlist_del(next);
	vs->nr_deferred[cpu]--;
	vlist_add_after(next, &vs->deferred[f.m->cfg.nr_cpus]);
	vs->nr_deferred[f.m->cfg.nr_cpus]++;
	expect_fails(f.m, "cpu beyond nr_cpus");
	vlist_del(next);
	vs->nr_deferred[f.m->cfg.nr_cpus]--;
	vlist_add_after(next, &vs->deferred[cpu]);
	vs->nr_deferred[cpu]++;
	CHECK_EQ(check_vm(f.m), 0);
	CHECK_EQ(vmalloc_run_deferred(f.m, cpu), 1); /* areas freed */
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

/* The whole-state parts: the vmalloc state itself, the placement's
 * state, the early list, the page-table page count. */
static void test_whole_state(void)
{
	struct fixture f;
	struct vmalloc_state *vs;
	struct vm_struct *vm;
	struct page *pg;
	void *priv;

	setup(&f);
	vs = f.m->vm;

	f.m->vm = NULL;
	expect_fails(f.m, "no vmalloc state");
	f.m->vm = vs;
	priv = vs->place_priv;
	vs->place_priv = NULL;
	expect_fails(f.m, "has no state");
	vs->place_priv = priv;
	CHECK_EQ(check_vm(f.m), 0);

	vm = vm_at(f.m, f.a);
	vs->vmlist = vm;
	expect_fails(f.m, "early areas left on vmlist");
	vs->vmlist = NULL;
	CHECK_EQ(check_vm(f.m), 0);

	pg = alloc_pages_owner(f.m, NUMA_NO_NODE, 0, 0, OWNER_PGTABLE);
	CHECK(pg != NULL);
	expect_fails(f.m, "OWNER_PGTABLE pages allocated, the MMU counts");
	if (pg)
		__free_pages(f.m, pg, 0);
	CHECK_EQ(check_vm(f.m), 0);
	vmf_machine_destroy(f.m);
}

TEST_MAIN(TEST(test_live_area), TEST(test_busy_list), TEST(test_va_lists),
	  TEST(test_whole_state))
