/* vm_check's part for vmap blocks and vm_map_ram areas (the invariants at
 * the top of vmap_block.c): read-only, stops at the first broken one. */
#include <stdio.h>

#include "kernel/util.h"
#include "vmalloc_internal.h"

#define FAIL(...)                                                            \
	do {                                                                 \
		if (why && why_len)                                          \
			snprintf(why, why_len, __VA_ARGS__);                 \
		return -1;                                                   \
	} while (0)

/* Each page of the block mapped exactly when want[i] says: one table
 * scan per run of equal wants (mmu_range_mapped/_unmapped read
 * last-level entries in runs), not a decoded leaf per page. */
static int check_mapped(struct vmf_machine *m, vaddr_t base,
			const struct vmap_block *vb, const bool *want,
			unsigned long bits, char *why, size_t why_len)
{
	for (unsigned long i = 0, j; i < bits; i = j) {
		vaddr_t a = base + ((uint64_t)i << m->page_shift), bad;
		unsigned long k;
		uint8_t st;

		for (j = i + 1; j < bits && want[j] == want[i]; j++)
			;
		if (want[i] ? !mmu_range_unmapped(m, a, base +
						  ((uint64_t)j << m->page_shift),
						  &bad)
			    : !mmu_range_mapped(m, a, base +
						((uint64_t)j << m->page_shift),
						&bad))
			continue;
		if (bad < a) /* a block leaf that starts below the run */
			bad = a;
		k = (unsigned long)((bad - base) >> m->page_shift);
		st = vb->map[k];
		FAIL("vmap block 0x%016llx: %s page %lu (0x%016llx) is "
		     "%smapped", (unsigned long long)base,
		     st == VB_PAGE_FREE ? "free" :
		     st == VB_PAGE_DIRTY ? "dirty" :
		     want[k] ? "carved" : "carved-unused",
		     k, (unsigned long long)(base + ((uint64_t)k << m->page_shift)),
		     want[k] ? "not " : "");
	}
	return 0;
}

static int check_block(struct vmf_machine *m, struct vmap_block *vb,
		       char *why, size_t why_len)
{
	unsigned long bits = vmap_bbmap_bits(m), free = 0, dirty = 0;
	uint64_t bs = vmap_block_size(m);
	bool want[VMAP_BBMAP_BITS_MAX] = {false};
	struct vmap_area *va = vb->va;
	vaddr_t base;

	if (!va || __find_vmap_area(m, va->va_start) != va)
		FAIL("vmap block: its area is not in the busy tree");
	base = va->va_start;
	if (va->va_end - base != bs || (base & (bs - 1)))
		FAIL("vmap block 0x%016llx: area [.., 0x%016llx) is not one "
		     "aligned block of 0x%llx", (unsigned long long)base,
		     (unsigned long long)va->va_end, (unsigned long long)bs);
	if ((va->flags & (VMAP_BLOCK | VM_LAZY_FREE | VM_VM_AREA)) != VMAP_BLOCK)
		FAIL("vmap block 0x%016llx: area flags 0x%lx",
		     (unsigned long long)base, va->flags);
	for (unsigned long i = 0; i < bits;) {
		uint8_t st = vb->map[i];

		if (st == VB_PAGE_FREE) {
			free++;
			i++;
		} else if (st == VB_PAGE_DIRTY) {
			dirty++;
			if (i < vb->dirty_min || i >= vb->dirty_max)
				FAIL("vmap block 0x%016llx: dirty page %lu outside "
				     "the dirty range [%lu, %lu)",
				     (unsigned long long)base, i, vb->dirty_min,
				     vb->dirty_max);
			i++;
		} else if (st == VB_PAGE_TAIL || st > VMAP_MAX_ALLOC) {
			FAIL("vmap block 0x%016llx: page %lu: a carve's tail "
			     "without its head (0x%02x)", (unsigned long long)base,
			     i, st);
		} else {
			unsigned long n = 1ul << fls64_u(st - 1u);

			if (st == 1)
				n = 1;
			if (i + n > bits)
				FAIL("vmap block 0x%016llx: carve at page %lu runs "
				     "past the block", (unsigned long long)base, i);
			for (unsigned long k = 1; k < n; k++)
				if (vb->map[i + k] != VB_PAGE_TAIL)
					FAIL("vmap block 0x%016llx: carve at page %lu "
					     "of %lu pages is cut at %lu",
					     (unsigned long long)base, i, n, i + k);
			for (unsigned long k = 0; k < st; k++)
				want[i + k] = true;
			i += n;
		}
	}
	/* bits <= VMAP_BBMAP_BITS_MAX: vmap_bbmap_bits clamps it. */
	if (check_mapped(m, base, vb, want, bits, why, why_len))
		return -1;
	if (free != vb->free)
		FAIL("vmap block 0x%016llx: free = %lu, recount %lu",
		     (unsigned long long)base, vb->free, free);
	for (unsigned long i = bits - free; i < bits; i++)
		if (vb->map[i] != VB_PAGE_FREE)
			FAIL("vmap block 0x%016llx: free pages are not the last "
			     "%lu (page %lu)", (unsigned long long)base, free, i);
	if (dirty != vb->dirty)
		FAIL("vmap block 0x%016llx: dirty = %lu, recount %lu",
		     (unsigned long long)base, vb->dirty, dirty);
	if (!dirty && (vb->dirty_min != bits || vb->dirty_max != 0))
		FAIL("vmap block 0x%016llx: no dirty page, dirty range [%lu, %lu)",
		     (unsigned long long)base, vb->dirty_min, vb->dirty_max);
	if (dirty == bits)
		FAIL("vmap block 0x%016llx: all dirty but not freed",
		     (unsigned long long)base);
	if (vb->queued != (vb->free != 0))
		FAIL("vmap block 0x%016llx: free = %lu but %s", 
		     (unsigned long long)base, vb->free,
		     vb->queued ? "on a queue" : "on no queue");
	if (vb->queued && vb->cpu >= m->cfg.nr_cpus)
		FAIL("vmap block 0x%016llx: on the queue of CPU %u of %u",
		     (unsigned long long)base, vb->cpu, m->cfg.nr_cpus);
	return 0;
}

int vmap_blocks_check(struct vmf_machine *m, char *why, size_t why_len)
{
	struct vmalloc_state *vs = m->vm;
	uint64_t nr = 0, queued = 0, listed = 0;
	vaddr_t prev_end = 0;

	for (struct rb_node *n = rb_first(&vs->vb_root); n; n = rb_next(n)) {
		struct vmap_block *vb = vb_of_rb(n);

		if (++nr > vs->nr_busy)
			FAIL("vmap block index: more blocks than busy areas");
		if (check_block(m, vb, why, why_len))
			return -1;
		if (vb->va->va_start < prev_end)
			FAIL("vmap blocks at 0x%016llx and before overlap or are "
			     "out of order", (unsigned long long)vb->va->va_start);
		if (vmap_block_lookup(m, vb->va->va_start) != vb)
			FAIL("vmap block 0x%016llx: not found by its index",
			     (unsigned long long)vb->va->va_start);
		prev_end = vb->va->va_end;
		queued += vb->queued;
	}
	if (nr != vs->nr_vmap_blocks)
		FAIL("nr_vmap_blocks = %llu, the index holds %llu",
		     (unsigned long long)vs->nr_vmap_blocks,
		     (unsigned long long)nr);
	for (unsigned cpu = 0; cpu < VMF_MAX_CPUS; cpu++) {
		uint64_t len = 0;

		for (struct list_link *l = vs->vbq[cpu].next; l != &vs->vbq[cpu];
		     l = l->next) {
			struct vmap_block *vb = vb_of_free(l);

			if (++len > nr)
				FAIL("queue of CPU %u: more entries than blocks", cpu);
			if (l->next->prev != l)
				FAIL("queue of CPU %u: links broken", cpu);
			if (!vb->queued || vb->cpu != cpu ||
			    vmap_block_lookup(m, vb->va->va_start) != vb)
				FAIL("queue of CPU %u: block 0x%016llx is %s", cpu,
				     (unsigned long long)vb->va->va_start,
				     !vb->queued ? "not marked queued" :
				     vb->cpu != cpu ? "another CPU's" :
						      "not in the index");
		}
		if (len != vs->vbq_len[cpu])
			FAIL("queue of CPU %u: %llu blocks, vbq_len %llu", cpu,
			     (unsigned long long)len,
			     (unsigned long long)vs->vbq_len[cpu]);
		listed += len;
	}
	if (listed != queued)
		FAIL("%llu blocks marked queued, %llu on the queues",
		     (unsigned long long)queued, (unsigned long long)listed);
	return 0;
}

int vmap_ram_area_check(struct vmf_machine *m, struct vmap_area *va,
			char *why, size_t why_len)
{
	vaddr_t a;

	if (va->flags & VMAP_BLOCK) {
		struct vmap_block *vb = vmap_block_lookup(m, va->va_start);

		if (!vb || vb->va != va)
			FAIL("vmap block area [0x%016llx, 0x%016llx): not in the "
			     "block index", (unsigned long long)va->va_start,
			     (unsigned long long)va->va_end);
		return 0; /* its pages: check_block */
	}
	if (va->va_start < m->cfg.vmalloc_start || va->va_end > m->cfg.vmalloc_end)
		FAIL("vm_map_ram area [0x%016llx, 0x%016llx): outside the window",
		     (unsigned long long)va->va_start,
		     (unsigned long long)va->va_end);
	/* No guard page: every page is mapped. */
	for (a = va->va_start; a < va->va_end; a += m->page_size)
		if (!mmu_lookup(m, a, NULL, NULL, NULL))
			FAIL("vm_map_ram area [0x%016llx, 0x%016llx): page "
			     "0x%016llx is not mapped",
			     (unsigned long long)va->va_start,
			     (unsigned long long)va->va_end,
			     (unsigned long long)a);
	return 0;
}
