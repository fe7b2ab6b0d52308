/* vmap blocks (vm_map_ram, vm_unmap_ram, vm_unmap_aliases), Linux 4.19
 * rules with exact addresses: block placement, carve order, the per-CPU
 * queues, dirty ranges, the lazy free of an all-dirty block,
 * purge_fragmented_blocks, the flush range of vm_unmap_aliases (4.19's and
 * the 6.5 rule), the plain path above VMAP_MAX_ALLOC, the hardened
 * refusals, the block formula for every layout, and vm_check on corrupted
 * blocks. Default machine: 4K/48, the Linux window from W0 (4 MiB
 * aligned), 4 CPUs: VMAP_BBMAP_BITS 1024, blocks of 4 MiB. */
#include "vmalloc_test_util.h"

#define BITS 1024ull
#define BS (BITS * P)

static struct page *pg[128];

static struct vmf_machine *mk_pages(struct vmf_config *c)
{
	struct vmf_machine *m = mk(c, true);

	for (unsigned i = 0; i < 128; i++)
		pg[i] = alloc_pages_owner(m, NUMA_NO_NODE, 0, 0, OWNER_VMAP);
	return m;
}

static struct vmf_machine *mk_blocks(bool flush_full)
{
	struct vmf_config c;

	cfg_small(&c, 0);
	c.vb_flush_full = flush_full;
	return mk_pages(&c);
}

static vaddr_t map(struct vmf_machine *m, unsigned count)
{
	return vm_map_ram(m, pg, count, NUMA_NO_NODE, PAGE_KERNEL);
}

static struct vmap_block *blk(struct vmf_machine *m, vaddr_t a)
{
	static struct vmap_block dummy;
	struct vmap_block *vb = vmap_block_lookup(m, a);

	if (!vb) {
		CHECK(!"no vmap block");
		memset(&dummy, 0, sizeof(dummy));
		return &dummy;
	}
	return vb;
}

static struct vmalloc_obs obs(struct vmf_machine *m)
{
	struct vmalloc_obs o;

	vmalloc_observe(m, &o);
	return o;
}

static void test_formula(void)
{
	static const unsigned lay[7][2] = {{12, 48}, {12, 39}, {14, 48},
					   {14, 47}, {14, 36}, {16, 48},
					   {16, 42}};

	for (unsigned l = 0; l < 7; l++) {
		for (unsigned cpus = 1; cpus <= VMF_MAX_CPUS; cpus++) {
			struct vmf_config c;
			struct vmf_machine *m;

			vmf_config_default(&c);
			c.page_shift = lay[l][0];
			c.va_bits = lay[l][1];
			c.vmalloc_start = c.vmalloc_end = 0;
			c.nr_cpus = cpus;
			c.phys_size = 256ull << lay[l][0];
			c.lazy_max_pages = 0;
			m = mk(&c, true);
			/* 128 GiB / PAGE_SIZE / roundup_pow_of_two(cpus) / 16
			 * >= 16K pages > VMAP_BBMAP_BITS_MAX for every
			 * granule and CPU count arm64 4.19 allows. */
			CHECK_EQ(vmap_bbmap_bits(m), 1024);
			CHECK_EQ(vmap_block_size(m), 1024ull << lay[l][0]);
			vmf_machine_destroy(m);
		}
	}
}

static void test_carve_order(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 1), b = map(m, 3), c = map(m, 1), d = map(m, 64),
		e = map(m, 2);
	struct vmap_block *vb = blk(m, a);
	pfn_t pfn;

	CHECK_EQ(a, W0);          /* the first block at the window's start */
	CHECK_EQ(b, W0 + 1 * P);  /* order 2: 4 pages at pages_off 1 */
	CHECK_EQ(c, W0 + 5 * P);
	CHECK_EQ(d, W0 + 6 * P);
	CHECK_EQ(e, W0 + 70 * P);
	CHECK_EQ(vb->free, BITS - 72);
	CHECK_EQ(vb->dirty, 0);
	CHECK_EQ(vb->dirty_min, BITS);
	CHECK_EQ(vb->dirty_max, 0);
	CHECK(mapped_to(m, b + 2 * P, &pfn) && pfn == page_to_pfn(m, pg[2]));
	CHECK(!is_mapped(m, b + 3 * P)); /* carved, never mapped */
	CHECK_EQ(obs(m).nr_vmap_blocks, 1);
	CHECK_EQ(obs(m).vb_queue_len[0], 1);
	CHECK_EQ(va_at(m, a)->va_end, W0 + BS);
	CHECK(!(va_at(m, a)->flags & VM_VM_AREA));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_new_block_when_full(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a;

	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(map(m, 64), W0 + i * 64 * P);
	/* Full: off the queue, still in the index. */
	CHECK_EQ(blk(m, W0)->free, 0);
	CHECK(!blk(m, W0)->queued);
	CHECK_EQ(obs(m).vb_queue_len[0], 0);
	a = map(m, 1);
	CHECK_EQ(a, W0 + BS);
	CHECK_EQ(obs(m).nr_vmap_blocks, 2);
	CHECK_EQ(obs(m).vb_queue_len[0], 1);
	/* A request the first queued block cannot hold goes to the next
	 * one; none: a new block at the queue's tail. */
	for (unsigned i = 0; i < 15; i++)
		map(m, 64); /* block 2: 1 + 960 pages, free 63 */
	CHECK_EQ(blk(m, a)->free, 63);
	CHECK_EQ(map(m, 64), W0 + 2 * BS);
	CHECK_EQ(map(m, 32), W0 + BS + 961 * P); /* fits in block 2 */
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_cpu_queues(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a, b;

	a = map(m, 1);
	m->cur_cpu = 1;
	b = map(m, 1); /* CPU 1's queue is empty: a block of its own */
	CHECK_EQ(a, W0);
	CHECK_EQ(b, W0 + BS);
	CHECK_EQ(blk(m, b)->cpu, 1);
	CHECK_EQ(obs(m).vb_queue_len[0], 1);
	CHECK_EQ(obs(m).vb_queue_len[1], 1);
	CHECK_EQ(map(m, 1), W0 + BS + P);
	m->cur_cpu = 0;
	CHECK_EQ(map(m, 1), W0 + P);
	/* Freeing on another CPU than the block's changes no queue. */
	m->cur_cpu = 2;
	CHECK_EQ(vm_unmap_ram(m, b, 1), 0);
	CHECK_EQ(obs(m).vb_queue_len[1], 1);
	CHECK_EQ(blk(m, b)->dirty, 1);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_dirty_and_flush_range(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 1), b = map(m, 3), c = map(m, 2);
	struct vmap_block *vb = blk(m, a);
	uint64_t seq;

	(void)a;
	CHECK_EQ(vm_unmap_ram(m, c, 2), 0); /* pages 5..6 */
	CHECK(!is_mapped(m, c));
	CHECK_EQ(vb->dirty, 2);
	CHECK_EQ(vb->dirty_min, 5);
	CHECK_EQ(vb->dirty_max, 7);
	CHECK_EQ(vm_unmap_ram(m, b, 3), 0); /* pages 1..4, order 2 */
	CHECK_EQ(vb->dirty, 6);
	CHECK_EQ(vb->dirty_min, 1);
	CHECK_EQ(vb->dirty_max, 7);
	/* No TLB flush until vm_unmap_aliases. */
	seq = tlb_stats(m)->flush_seq;
	CHECK_EQ(check_vm(m), 0);
	vm_unmap_aliases(m);
	CHECK_EQ(tlb_stats(m)->flush_seq, seq + 1);
	CHECK_EQ(last_flush(m)->start, W0 + P);
	CHECK_EQ(last_flush(m)->end, W0 + 7 * P);
	/* 4.19 never narrows the range: the same flush again. */
	vm_unmap_aliases(m);
	CHECK_EQ(tlb_stats(m)->flush_seq, seq + 2);
	CHECK_EQ(last_flush(m)->start, W0 + P);
	CHECK_EQ(last_flush(m)->end, W0 + 7 * P);
	CHECK_EQ(obs(m).nr_vmap_blocks, 1); /* a is still mapped */
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_lazy_free_of_dirty_block(void)
{
	struct vmf_machine *m = mk_blocks(false);
	struct vmalloc_obs o0, o1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (unsigned i = 0; i < 16; i++)
		map(m, 64);
	o0 = obs(m);
	for (unsigned i = 0; i < 15; i++)
		CHECK_EQ(vm_unmap_ram(m, W0 + i * 64 * P, 64), 0);
	CHECK_EQ(blk(m, W0)->dirty, BITS - 64);
	CHECK_EQ(vm_unmap_ram(m, W0 + 15 * 64 * P, 64), 0);
	o1 = obs(m);
	CHECK_EQ(o1.nr_vmap_blocks, 0);
	CHECK_EQ(o1.nr_lazy, o0.nr_lazy + 1);
	CHECK_EQ(o1.vmap_lazy_nr, o0.vmap_lazy_nr + BITS);
	CHECK_EQ(o1.nr_busy, o0.nr_busy);
	CHECK(va_at(m, W0)->flags & VM_LAZY_FREE);
	/* 4.19 s_show: no VM_VM_AREA and (in 4.19) no VM_LAZY_FREE. */
	f = open_memstream(&buf, &len);
	vmallocinfo(m, f);
	fclose(f);
	CHECK_STR(buf, "0xffff000008000000-0xffff000008400000 4194304 "
		       "vm_map_ram\n");
	free(buf);
	CHECK_EQ(check_vm(m), 0);
	vm_unmap_aliases(m); /* the purge flushes the whole block */
	CHECK_EQ(last_flush(m)->start, W0);
	CHECK_EQ(last_flush(m)->end, W0 + BS);
	CHECK_EQ(obs(m).nr_busy, 0);
	CHECK_EQ(map(m, 1), W0); /* the space is reused */
	vmf_machine_destroy(m);
}

static void test_purge_fragmented(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 1), b, c;

	m->cur_cpu = 3;
	b = map(m, 2);
	c = map(m, 1);
	CHECK_EQ(b, W0 + BS);
	CHECK_EQ(vm_unmap_ram(m, a, 1), 0); /* free 1023 + dirty 1 */
	CHECK_EQ(vm_unmap_ram(m, b, 2), 0); /* c still live in block 2 */
	/* The purge of an allocation or the explicit one retires it too. */
	purge_vmap_area_lazy(m);
	CHECK_EQ(obs(m).nr_vmap_blocks, 1);
	CHECK(vmap_block_lookup(m, a) == NULL);
	CHECK_EQ(obs(m).vb_queue_len[0], 0);
	CHECK_EQ(obs(m).vb_queue_len[3], 1);
	CHECK_EQ(last_flush(m)->start, W0);
	CHECK_EQ(last_flush(m)->end, W0 + BS);
	CHECK(find_vmap_area(m, W0) == NULL);
	/* vm_unmap_aliases: block 2's dirty range joins the purge's. */
	CHECK_EQ(vm_unmap_ram(m, c, 1), 0);
	vm_unmap_aliases(m);
	CHECK_EQ(obs(m).nr_vmap_blocks, 0);
	CHECK_EQ(last_flush(m)->start, W0 + BS);
	CHECK_EQ(last_flush(m)->end, W0 + 2 * BS);
	CHECK_EQ(obs(m).nr_busy, 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* 4.19: a full block is on no queue, vm_unmap_aliases skips its dirty
 * range (the stale-TLB bug 6.5 fixed); vb_flush_full takes it. */
static void test_full_block_rule(void)
{
	for (int fix = 0; fix < 2; fix++) {
		struct vmf_machine *m = mk_blocks(fix);
		uint64_t seq;

		for (unsigned i = 0; i < 16; i++)
			map(m, 64);
		CHECK_EQ(vm_unmap_ram(m, W0 + 3 * 64 * P, 64), 0);
		seq = tlb_stats(m)->flush_seq;
		vm_unmap_aliases(m);
		if (!fix) {
			CHECK_EQ(tlb_stats(m)->flush_seq, seq);
		} else {
			CHECK_EQ(tlb_stats(m)->flush_seq, seq + 1);
			CHECK_EQ(last_flush(m)->start, W0 + 192 * P);
			CHECK_EQ(last_flush(m)->end, W0 + 256 * P);
		}
		CHECK_EQ(obs(m).nr_vmap_blocks, 1);
		CHECK_EQ(check_vm(m), 0);
		vmf_machine_destroy(m);
	}
}

static void test_plain_path(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 65), b = map(m, 128), c;
	pfn_t pfn;

	CHECK_EQ(a, W0);
	CHECK_EQ(b, W0 + 65 * P); /* no guard page */
	CHECK_EQ(va_at(m, a)->va_end, W0 + 65 * P);
	CHECK(va_at(m, a)->flags & VMAP_RAM);
	CHECK(mapped_to(m, b + 127 * P, &pfn) && pfn == page_to_pfn(m, pg[127]));
	CHECK_EQ(obs(m).nr_vmap_blocks, 0);
	c = map(m, 64); /* a block, block aligned above them */
	CHECK_EQ(c, W0 + BS);
	CHECK_EQ(check_vm(m), 0);
	CHECK_EQ(vm_unmap_ram(m, a, 65), 0);
	CHECK(!is_mapped(m, a));
	CHECK_EQ(obs(m).nr_lazy, 1);
	CHECK_EQ(obs(m).vmap_lazy_nr, 65);
	CHECK_EQ(check_vm(m), 0);
	vm_unmap_aliases(m);
	CHECK_EQ(last_flush(m)->start, W0);
	CHECK_EQ(last_flush(m)->end, W0 + 65 * P);
	vmf_machine_destroy(m);
}

static void test_hardened_unmap(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 1), b = map(m, 3), big = map(m, 66), v;
	const vaddr_t s = m->cfg.vmalloc_start, e = m->cfg.vmalloc_end;

	CHECK_EQ(vm_unmap_ram(m, a, 1), 0);
	v = vmalloc(m, P);
	CHECK(v != 0);
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, 0, 1), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, s - P, 1), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, e + P, 1), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, b + 8, 3), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, b, 0), -VMF_EINVAL));
	/* no block there */
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, W0 + 5 * BS, 1), -VMF_EINVAL));
	/* free (uncarved) page of the block */
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, W0 + 100 * P, 1), -VMF_EINVAL));
	/* inside a carve */
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, b + P, 1), -VMF_EINVAL));
	/* another order, and the same order with another count */
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, b, 8), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, b, 4), -VMF_EINVAL));
	/* twice */
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, a, 1), -VMF_EINVAL));
	/* the plain path: a block's address, a wrong size, an interior
	 * address, a vmalloc area, no area */
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, b, 65), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, big, 65), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, big + P, 65), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, v, 65), -VMF_EINVAL));
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, W0 + 9 * BS, 65), -VMF_EINVAL));
	CHECK_EQ(vm_unmap_ram(m, big, 66), 0);
	REFUSED(m, WARN_VM_UNMAP_RAM_BAD, CHECK_EQ(vm_unmap_ram(m, big, 66), -VMF_EINVAL));
	/* vfree of vm_map_ram addresses is refused by the free family */
	REFUSED(m, WARN_VFREE_INTERIOR, CHECK_EQ(vfree(m, b), -VMF_EINVAL));
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_hardened_map(void)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct page *bad[1] = {(struct page *)(uintptr_t)0x10};

	cfg_small(&c, 64);
	m = mk_pages(&c);
	REFUSED(m, WARN_VMALLOC_BAD_SIZE, CHECK_EQ(map(m, 0), 0));
	REFUSED(m, WARN_VMALLOC_BAD_SIZE, CHECK_EQ(map(m, 65), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_map_ram(m, NULL, 1, NUMA_NO_NODE, PAGE_KERNEL), 0));
	REFUSED(m, WARN_VMALLOC_BAD_ARG,
		CHECK_EQ(vm_map_ram(m, bad, 1, NUMA_NO_NODE, PAGE_KERNEL), 0));
	/* 64 pages fit the window but a 1024-page block does not: the
	 * allocation fails after the overflow purge, as 4.19's would. */
	{
		uint64_t seq = vmf_warn_seq(m);

		CHECK_EQ(map(m, 1), 0);
		CHECK_EQ(warn_kind(m, seq + 1), WARN_VMAP_ALLOC_FAILED);
		CHECK_EQ(map(m, 64), 0);
		CHECK_EQ(map(m, 64 - 1), 0);
	}
	CHECK_EQ(obs(m).nr_vmap_blocks, 0);
	CHECK_EQ(m->km.objects, 0);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

/* A page-table page that cannot be had: vm_map_ram unmaps what it
 * carved (the pages go dirty) and returns NULL. */
static void test_map_failure(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a;

	vmf_fault_set(m, FAULT_PGTABLE, FAULT_ALWAYS, 0);
	CHECK_EQ(map(m, 4), 0);
	vmf_fault_set(m, FAULT_PGTABLE, FAULT_OFF, 0);
	CHECK_EQ(obs(m).nr_vmap_blocks, 1);
	CHECK_EQ(blk(m, W0)->dirty, 4);
	CHECK_EQ(blk(m, W0)->free, BITS - 4);
	a = map(m, 1);
	CHECK_EQ(a, W0 + 4 * P);
	CHECK_EQ(check_vm(m), 0);
	vmf_machine_destroy(m);
}

static void test_vread_skips_blocks(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 1);
	uint8_t buf[16];

	CHECK(mmu_write(m, a, "vm_map_ram data", 16, 1, NULL).fault == MMU_OK);
	memset(buf, 0x5a, sizeof(buf));
	/* 4.19 vread: only VM_VM_AREA areas are read. */
	CHECK_EQ(vread(m, buf, a, sizeof(buf)), sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0);
	vmf_machine_destroy(m);
}

static void test_check_catches(void)
{
	struct vmf_machine *m = mk_blocks(false);
	vaddr_t a = map(m, 1);
	struct vmap_block *vb;
	char why[256];

	m->cur_cpu = 1;
	map(m, 2);
	CHECK_EQ(vm_unmap_ram(m, a, 1), 0);
	CHECK_EQ(check_vm(m), 0);
	vb = blk(m, a);
	vb->free++;
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "free =") != NULL);
	vb->free--;
	vb->dirty++;
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "dirty =") != NULL);
	vb->dirty--;
	vb->dirty_max = 0;
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "dirty range") != NULL);
	vb->dirty_max = 1;
	CHECK_EQ(check_vm(m), 0);
	/* Off its queue while it has free pages. */
	vlist_del(&vb->free_list);
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "queue") != NULL);
	/* On the wrong CPU's queue. */
	vlist_add_after(&vb->free_list, &m->vm->vbq[1]);
	CHECK(vm_check(m, why, sizeof(why)) != 0);
	CHECK(strstr(why, "CPU") != NULL);
	vlist_del(&vb->free_list);
	vlist_add_after(&vb->free_list, &m->vm->vbq[0]);
	CHECK_EQ(check_vm(m), 0);
	/* A dirty page mapped again. */
	{
		pfn_t pfn = page_to_pfn(m, pg[0]);

		CHECK_EQ(mmu_map_pages(m, a, &pfn, 1, PAGE_KERNEL), 0);
		CHECK(vm_check(m, why, sizeof(why)) != 0);
		CHECK(strstr(why, "dirty page") != NULL);
	}
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_formula), TEST(test_carve_order),
	  TEST(test_new_block_when_full), TEST(test_cpu_queues),
	  TEST(test_dirty_and_flush_range), TEST(test_lazy_free_of_dirty_block),
	  TEST(test_purge_fragmented), TEST(test_full_block_rule),
	  TEST(test_plain_path), TEST(test_hardened_unmap),
	  TEST(test_hardened_map), TEST(test_map_failure),
	  TEST(test_vread_skips_blocks), TEST(test_check_catches))
