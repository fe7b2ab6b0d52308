/* vmap blocks: the per-CPU kva allocator behind vm_map_ram (Linux 4.19
 * mm/vmalloc.c, "Per cpu kva allocator": VMAP_BBMAP_BITS, struct
 * vmap_block, new_vmap_block, free_vmap_block, purge_fragmented_blocks,
 * vb_alloc, vb_free, vm_unmap_aliases, vm_unmap_ram, vm_map_ram). The
 * code is ours; the rules are 4.19's, cited per function.
 *
 * A block is one VMAP_BLOCK_SIZE-aligned vmap_area of VMAP_BBMAP_BITS
 * pages. Small vm_map_ram calls carve 2^order pages from the current
 * CPU's blocks, always at VMAP_BBMAP_BITS - free (carves never reuse
 * space); an unmap clears the PTEs now, counts the pages dirty and widens
 * the dirty range, but leaves the TLB alone: vm_unmap_aliases flushes the
 * dirty ranges of the blocks on the free queues. A block whose pages are
 * all dirty is freed lazily like any area.
 *
 * Invariants (vmap_blocks_check, part of vm_check):
 *  - the index holds nr_vmap_blocks blocks, each on a live (not lazily
 *    freed) VMAP_BLOCK area of VMAP_BLOCK_SIZE at a block-aligned address;
 *  - per block: free == the uncarved pages, which are the last `free`
 *    pages; dirty == the dirty pages, all inside [dirty_min, dirty_max);
 *    a live carve's first count pages are mapped, the rest of its 2^order
 *    pages, the dirty and the free pages are not;
 *  - a block is on exactly one CPU's queue (vb->cpu's) while free != 0
 *    and on none when free == 0; vbq_len[cpu] counts each queue. */
#include <string.h>

#include "kernel/util.h"
#include "vmalloc_internal.h"

/* ---- geometry (4.19 macros, per machine) ---------------------------------- */

/* VMALLOC_SPACE: 4.19's guess for 64-bit, 128 GiB, whatever the window. */
#define VMALLOC_SPACE (128ull << 30)

static uint64_t roundup_pow_of_two_u(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << fls64_u(x - 1);
}

unsigned long vmap_bbmap_bits(const struct vmf_machine *m)
{
	uint64_t pages = VMALLOC_SPACE >> m->page_shift; /* VMALLOC_PAGES */
	uint64_t v = pages / roundup_pow_of_two_u(m->cfg.nr_cpus) / 16;

	if (v < VMAP_BBMAP_BITS_MIN)
		v = VMAP_BBMAP_BITS_MIN;
	if (v > VMAP_BBMAP_BITS_MAX)
		v = VMAP_BBMAP_BITS_MAX;
	return (unsigned long)v;
}

uint64_t vmap_block_size(const struct vmf_machine *m)
{
	return (uint64_t)vmap_bbmap_bits(m) << m->page_shift;
}

static unsigned long addr_to_vb_idx(const struct vmf_machine *m, vaddr_t addr)
{
	uint64_t bs = vmap_block_size(m);

	addr -= m->cfg.vmalloc_start & ~(bs - 1);
	return (unsigned long)(addr / bs);
}

/* get_order(count << PAGE_SHIFT) for count >= 1. */
static unsigned count_order(unsigned count)
{
	return count <= 1 ? 0 : fls64_u(count - 1);
}

/* ---- the index and the queues --------------------------------------------- */

struct vmap_block *vmap_block_lookup(struct vmf_machine *m, vaddr_t addr)
{
	struct rb_node *n;
	unsigned long idx;

	if (!m->vm)
		return NULL;
	idx = addr_to_vb_idx(m, addr);
	for (n = m->vm->vb_root.rb_node; n;) {
		struct vmap_block *vb = vb_of_rb(n);
		unsigned long k = addr_to_vb_idx(m, vb->va->va_start);

		if (idx < k)
			n = n->left;
		else if (idx > k)
			n = n->right;
		else
			return vb;
	}
	return NULL;
}

static void vb_index_insert(struct vmf_machine *m, struct vmap_block *vb)
{
	struct vmalloc_state *vs = m->vm;
	struct rb_node **link = &vs->vb_root.rb_node, *parent = NULL;
	unsigned long idx = addr_to_vb_idx(m, vb->va->va_start);

	while (*link) {
		parent = *link;
		if (idx < addr_to_vb_idx(m, vb_of_rb(parent)->va->va_start))
			link = &parent->left;
		else
			link = &parent->right;
	}
	rb_link_node(&vb->rb_node, parent, link);
	rb_insert_color(&vb->rb_node, &vs->vb_root);
	vs->nr_vmap_blocks++;
}

/* list_add_tail_rcu(&vb->free_list, &vbq->free) */
static void vbq_add_tail(struct vmf_machine *m, struct vmap_block *vb,
			 unsigned cpu)
{
	vlist_add_after(&vb->free_list, m->vm->vbq[cpu].prev);
	m->vm->vbq_len[cpu]++;
	vb->cpu = cpu;
	vb->queued = true;
}

/* list_del_rcu(&vb->free_list) under the lock of the queue of cpu. */
static void vbq_del(struct vmf_machine *m, struct vmap_block *vb, unsigned cpu)
{
	vlist_del(&vb->free_list);
	m->vm->vbq_len[cpu]--;
	vb->queued = false;
}

/* ---- blocks ------------------------------------------------------------------ */

/* Mark a live carve of count pages at page off. */
static void vb_mark_carve(struct vmap_block *vb, unsigned long off,
			  unsigned count)
{
	unsigned long n = 1ul << count_order(count);

	vb->map[off] = (uint8_t)count;
	for (unsigned long i = 1; i < n; i++)
		vb->map[off + i] = VB_PAGE_TAIL;
}

/* new_vmap_block (4.19): the metadata first, then a block-sized,
 * block-aligned area anywhere in the window (an overflow purges and
 * retries as for any area), the first carve at its start, the block at the
 * TAIL of this CPU's queue. 0 on failure. */
static vaddr_t new_vmap_block(struct vmf_machine *m, unsigned count)
{
	unsigned long bits = vmap_bbmap_bits(m);
	unsigned order = count_order(count);
	struct vmap_block *vb;
	struct vmap_area *va;
	int err = 0;

	vb = kmalloc(m, sizeof(*vb), GFP_KERNEL & GFP_RECLAIM_MASK);
	if (!vb)
		return 0;
	va = __alloc_vmap_area(m, vmap_block_size(m), vmap_block_size(m),
			       m->cfg.vmalloc_start, m->cfg.vmalloc_end,
			       NUMA_NO_NODE, GFP_KERNEL, &err);
	if (!va) {
		kfree(m, vb);
		return 0;
	}
	memset(vb, 0, sizeof(*vb));
	vb->va = va;
	va->flags |= VMAP_BLOCK;
	/* BUG_ON(VMAP_BBMAP_BITS <= (1UL << order)) cannot fire: order <= 6
	 * and VMAP_BBMAP_BITS >= 128. */
	vb->free = bits - (1ul << order);
	vb->dirty = 0;
	vb->dirty_min = bits;
	vb->dirty_max = 0;
	vlist_init(&vb->free_list);
	vlist_init(&vb->purge);
	RB_CLEAR_NODE(&vb->rb_node);
	vb_mark_carve(vb, 0, count);
	vb_index_insert(m, vb);
	vbq_add_tail(m, vb, m->cur_cpu);
	return va->va_start;
}

/* free_vmap_block (4.19): out of the index, the area freed lazily (it
 * joins the purge list and may trigger a purge), the block freed (kfree_rcu:
 * at once here, there are no readers). */
static void free_vmap_block(struct vmf_machine *m, struct vmap_block *vb)
{
	struct vmap_area *va = vb->va;

	rb_erase(&vb->rb_node, &m->vm->vb_root);
	m->vm->nr_vmap_blocks--;
	/* A queued block never gets here unless a planted fault left a full
	 * one queued: unlink it so no list points at freed memory. */
	if (vb->queued)
		vbq_del(m, vb, vb->cpu);
	kfree(m, vb);
	/* Ours: VM_LAZY_FREE marks every area on the purge list (4.19 sets
	 * it only in remove_vm_area; vmallocinfo still says "vm_map_ram"). */
	va->flags |= VM_LAZY_FREE;
	free_vmap_area_noflush(m, va);
}

/* purge_fragmented_blocks (4.19): every block of cpu's queue whose free
 * and dirty pages cover it, and that is not all dirty, is retired: no
 * more carves, all dirty, range the whole block, off the queue; then
 * each is freed, in queue order. */
static void purge_fragmented_blocks(struct vmf_machine *m, unsigned cpu)
{
	struct vmalloc_state *vs = m->vm;
	unsigned long bits = vmap_bbmap_bits(m);
	struct list_link purge, *l, *next;

	vlist_init(&purge);
	for (l = vs->vbq[cpu].next; l != &vs->vbq[cpu]; l = next) {
		struct vmap_block *vb = vb_of_free(l);

		next = l->next;
#if defined(VMF_PLANT_FRAG_RETIRES_LIVE)
		/* PLANT FRAG_RETIRES_LIVE: any partly dirty block is retired,
		 * live carves and all. */
		if (!(vb->dirty && vb->dirty != bits))
			continue;
#else
		if (!(vb->free + vb->dirty == bits && vb->dirty != bits))
			continue;
#endif
		vb->free = 0;
		vb->dirty = bits;
		vb->dirty_min = 0;
		vb->dirty_max = bits;
		memset(vb->map, VB_PAGE_DIRTY, bits);
#if defined(VMF_PLANT_VB_FREE_WRONG_CPU_QUEUE)
		/* PLANT VB_FREE_WRONG_CPU_QUEUE: the 6.10 shape, the current
		 * CPU's queue is taken for the one the block is on. */
		vbq_del(m, vb, m->cur_cpu);
#else
		vbq_del(m, vb, cpu);
#endif
		vlist_add_after(&vb->purge, purge.prev);
	}
	while (!vlist_empty(&purge)) {
		struct vmap_block *vb = vb_of_purge(purge.next);

		vlist_del(&vb->purge);
		free_vmap_block(m, vb);
	}
}

void purge_fragmented_blocks_allcpus(struct vmf_machine *m)
{
	/* for_each_possible_cpu: the machine's CPUs. */
	for (unsigned cpu = 0; cpu < m->cfg.nr_cpus; cpu++)
		purge_fragmented_blocks(m, cpu);
}

/* vb_alloc (4.19): the first block of this CPU's queue with 2^order free
 * pages gives them at VMAP_BBMAP_BITS - free; a block left with none
 * leaves the queue; no such block: a new one. 0 on failure. */
static vaddr_t vb_alloc(struct vmf_machine *m, unsigned count)
{
	struct vmalloc_state *vs = m->vm;
	unsigned long bits = vmap_bbmap_bits(m);
	unsigned long need = 1ul << count_order(count);
	unsigned cpu = m->cur_cpu;
	struct list_link *l;

	for (l = vs->vbq[cpu].next; l != &vs->vbq[cpu]; l = l->next) {
		struct vmap_block *vb = vb_of_free(l);
		unsigned long pages_off;

		if (vb->free < need)
			continue;
		pages_off = bits - vb->free;
		vb_mark_carve(vb, pages_off, count);
#if !defined(VMF_PLANT_CARVE_KEEPS_FREE)
		vb->free -= need;
#else
		/* PLANT CARVE_KEEPS_FREE: the carve is not counted. */
#endif
#if !defined(VMF_PLANT_FULL_BLOCK_STAYS_QUEUED)
		if (vb->free == 0)
			vbq_del(m, vb, cpu);
#else
		/* PLANT FULL_BLOCK_STAYS_QUEUED: a full block stays queued. */
#endif
		return vb->va->va_start + ((uint64_t)pages_off << m->page_shift);
	}
	return new_vmap_block(m, count);
}

/* vb_free (4.19) after the checks: the PTEs of count pages go now (no
 * TLB flush: debug_pagealloc is off), the carve's 2^order pages turn
 * dirty and widen the dirty range; a block all dirty is freed. */
static void vb_free(struct vmf_machine *m, struct vmap_block *vb,
		    vaddr_t addr, unsigned count)
{
	unsigned long bits = vmap_bbmap_bits(m);
	unsigned long n = 1ul << count_order(count);
	unsigned long off = (unsigned long)((addr & (vmap_block_size(m) - 1)) >>
					    m->page_shift);

#if defined(VMF_PLANT_VB_FREE_CLEARS_NEXT_PAGE)
	/* PLANT VB_FREE_CLEARS_NEXT_PAGE: the unmap runs one page past the
	 * carve (an inclusive end), into the next carve when they abut. */
	mmu_unmap_range(m, addr, ((uint64_t)count + 1) << m->page_shift);
#else
	mmu_unmap_range(m, addr, (uint64_t)count << m->page_shift);
#endif
#if defined(VMF_PLANT_VB_FREE_REMAPS_BLOCK_HEAD)
	/* PLANT VB_FREE_REMAPS_BLOCK_HEAD: a page-table update meant for the
	 * freed carve goes to the block's base (addr & ~(VMAP_BLOCK_SIZE - 1)
	 * where the carve's address was meant, a mask slip) and takes the
	 * next pfn (pages[i + 1]): the block's first carve, live and far
	 * from the freed range, now maps the frame after its own. */
	{
		vaddr_t head = vb->va->va_start;
		uint64_t desc, oa = ((1ull << 48) - 1) & ~(m->page_size - 1);
		pfn_t next;

		if (off > 0 && vb->map[0] != VB_PAGE_FREE &&
		    vb->map[0] != VB_PAGE_DIRTY &&
		    mmu_lookup(m, head, &desc, NULL, NULL)) {
			next = ((desc & oa) >> m->page_shift) + 1;
			mmu_unmap_range(m, head, m->page_size);
			mmu_map_pages(m, head, &next, 1, desc & ~oa);
		}
	}
#endif
	memset(vb->map + off, VB_PAGE_DIRTY, n);
	if (off < vb->dirty_min)
		vb->dirty_min = off;
#if defined(VMF_PLANT_DIRTY_MAX_SHORT)
	/* PLANT DIRTY_MAX_SHORT: the dirty range ends one page short. */
	if (off + n - 1 > vb->dirty_max)
		vb->dirty_max = off + n - 1;
#else
	if (off + n > vb->dirty_max)
		vb->dirty_max = off + n;
#endif
	vb->dirty += n;
	if (vb->dirty == bits)
		free_vmap_block(m, vb); /* BUG_ON(vb->free): free is 0 here */
}

/* ---- vm_unmap_aliases ------------------------------------------------------- */

static void vb_widen(const struct vmf_machine *m, const struct vmap_block *vb,
		     vaddr_t *start, vaddr_t *end)
{
	vaddr_t s = vb->va->va_start + ((uint64_t)vb->dirty_min << m->page_shift);
	vaddr_t e = vb->va->va_start + ((uint64_t)vb->dirty_max << m->page_shift);

	if (s < *start)
		*start = s;
	if (e > *end)
		*end = e;
}

/* _vm_unmap_aliases(ULONG_MAX, 0, 0) as 4.19's vm_unmap_aliases: the
 * dirty range of every block on every CPU's queue; full blocks are on no
 * queue and are skipped (the stale-TLB bug 6.5 fixed; vb_flush_full takes
 * them too). Then the fragmented blocks, then the purge over the union;
 * if the purge had nothing to do but a block was dirty, one flush of the
 * dirty union. 4.19 never narrows dirty ranges after a flush. */
void vm_unmap_aliases(struct vmf_machine *m)
{
	struct vmalloc_state *vs = m->vm;
	vaddr_t start = ~0ull, end = 0;
	bool flush = false;

	if (!vs || !vs->initialized)
		return;
	for (unsigned cpu = 0; cpu < m->cfg.nr_cpus; cpu++) {
		for (struct list_link *l = vs->vbq[cpu].next; l != &vs->vbq[cpu];
		     l = l->next) {
			struct vmap_block *vb = vb_of_free(l);

			if (vb->dirty) {
				vb_widen(m, vb, &start, &end);
				flush = true;
			}
		}
	}
#if !defined(VMF_PLANT_FULL_BLOCKS_SKIPPED_BY_UNMAP_ALIASES)
	if (m->cfg.vb_flush_full) {
		for (struct rb_node *n = rb_first(&vs->vb_root); n;
		     n = rb_next(n)) {
			struct vmap_block *vb = vb_of_rb(n);

			if (!vb->queued && vb->dirty) {
				vb_widen(m, vb, &start, &end);
				flush = true;
			}
		}
	}
#else
	/* PLANT FULL_BLOCKS_SKIPPED_BY_UNMAP_ALIASES: the 6.5 rule is asked
	 * for, but full blocks are still skipped. */
#endif
	m->vm->purge_lock_held = true; /* mutex_lock(&vmap_purge_lock) */
	purge_fragmented_blocks_allcpus(m);
	if (!__purge_vmap_area_lazy(m, start, end) && flush)
		flush_tlb_kernel_range(m, start, end);
	m->vm->purge_lock_held = false;
}

/* ---- vm_map_ram / vm_unmap_ram ---------------------------------------------- */

static int refuse(struct vmf_machine *m, enum vmf_warn_kind kind,
		  const char *what, vaddr_t addr, unsigned count)
{
	vmf_warn(m, kind, "vm_unmap_ram(0x%016llx, %u): %s",
		 (unsigned long long)addr, count, what);
	return -VMF_EINVAL;
}

/* free_unmap_vmap_area (4.19): PTEs cleared (no flush: debug_pagealloc
 * off), the area freed lazily. */
static void free_unmap_vmap_area(struct vmf_machine *m, struct vmap_area *va)
{
	mmu_unmap_range(m, va->va_start, va->va_end - va->va_start);
	va->flags |= VM_LAZY_FREE; /* ours, as in free_vmap_block */
	free_vmap_area_noflush(m, va);
}

/* The unmap after the checks (also vm_map_ram's failure path). */
static void __vm_unmap_ram(struct vmf_machine *m, vaddr_t addr,
			   unsigned count)
{
	if (count <= VMAP_MAX_ALLOC)
		vb_free(m, vmap_block_lookup(m, addr), addr, count);
	else
		free_unmap_vmap_area(m, __find_vmap_area(m, addr));
}

/* The block path's checks: BUG_ON(!vb) and, ours, that addr starts a
 * live carve of exactly count pages. */
static int check_block_unmap(struct vmf_machine *m, vaddr_t addr,
			     unsigned count)
{
	struct vmap_block *vb = vmap_block_lookup(m, addr);
	unsigned long off;
	uint8_t st;

	if (!vb)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD, "no vmap block there",
			      addr, count);
	off = (unsigned long)((addr & (vmap_block_size(m) - 1)) >> m->page_shift);
	st = vb->map[off];
	if (st == VB_PAGE_FREE)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "page of the block not mapped yet (free)", addr,
			      count);
	if (st == VB_PAGE_DIRTY)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "already unmapped (dirty)", addr, count);
	if (st == VB_PAGE_TAIL)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "inside a mapping, not at its start", addr,
			      count);
	if (st != count) {
		vmf_warn(m, WARN_VM_UNMAP_RAM_BAD,
			 "vm_unmap_ram(0x%016llx, %u): mapped with count %u",
			 (unsigned long long)addr, count, st);
		return -VMF_EINVAL;
	}
	return 0;
}

/* The plain path's checks: BUG_ON(!va) and, ours, that addr is a live
 * vm_map_ram area of exactly count pages. */
static int check_area_unmap(struct vmf_machine *m, vaddr_t addr,
			    unsigned count)
{
	struct vmap_area *va = __find_vmap_area(m, addr);

	if (!va)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD, "no area there", addr,
			      count);
	if (va->flags & VMAP_BLOCK)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "a vmap block, count above VMAP_MAX_ALLOC", addr,
			      count);
	if (va->va_start != addr)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "inside an area, not at its start", addr, count);
	if (!(va->flags & VMAP_RAM))
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "not a vm_map_ram area", addr, count);
	if (va->flags & VM_LAZY_FREE)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "already unmapped (lazily freed)", addr, count);
	if (va->va_end - va->va_start != (uint64_t)count << m->page_shift)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "count does not match the area's size", addr,
			      count);
	return 0;
}

int vm_unmap_ram(struct vmf_machine *m, vaddr_t addr, unsigned int count)
{
	/* 4.19's BUG_ONs, in its order, then ours. */
	if (!m->vm || !m->vm->initialized)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "called before vmalloc_init()", addr, count);
	if (!addr)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD, "BUG: NULL address",
			      addr, count);
	if (addr < m->cfg.vmalloc_start || addr > m->cfg.vmalloc_end)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "BUG: outside the vmalloc window", addr, count);
	if (addr & (m->page_size - 1))
		return refuse(m, WARN_VM_UNMAP_RAM_BAD,
			      "BUG: not page aligned", addr, count);
	if (count == 0)
		return refuse(m, WARN_VM_UNMAP_RAM_BAD, "count 0", addr, count);
	if (count <= VMAP_MAX_ALLOC ? check_block_unmap(m, addr, count)
				    : check_area_unmap(m, addr, count))
		return -VMF_EINVAL;
	__vm_unmap_ram(m, addr, count);
	return 0;
}

#define VM_MAP_RAM_CHUNK 64

vaddr_t vm_map_ram(struct vmf_machine *m, struct page *const *pages,
		   unsigned int count, int node, pgprot_t prot)
{
	uint64_t window = (m->cfg.vmalloc_end - m->cfg.vmalloc_start) >>
			  m->page_shift;
	pfn_t pfns[VM_MAP_RAM_CHUNK];
	vaddr_t addr;

	if (count == 0 || count > window) {
		vmf_warn(m, WARN_VMALLOC_BAD_SIZE,
			 "vm_map_ram: %u pages: zero or above the window (%llu "
			 "pages)", count, (unsigned long long)window);
		return 0;
	}
	if (!pages) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG, "vm_map_ram: pages is NULL");
		return 0;
	}
	for (unsigned int i = 0; i < count; i++)
		if (!page_ptr_ok(m, pages[i])) {
			vmf_warn(m, WARN_VMALLOC_BAD_ARG,
				 "vm_map_ram: pages[%u] = %p is not a page of "
				 "this machine", i, (const void *)pages[i]);
			return 0;
		}
	if (m->in_interrupt) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "vm_map_ram: BUG: called in interrupt context");
		return 0;
	}
#if defined(VMF_PLANT_VM_MAP_RAM_TAKES_PAGES)
	/* PLANT VM_MAP_RAM_TAKES_PAGES: the caller's pages are marked as
	 * vmalloc's own (the owner byte only: no counter sees it). */
	for (unsigned int i = 0; i < count; i++)
		pages[i]->owner = OWNER_VMALLOC;
#endif
	if (!m->vm->initialized) {
		vmf_warn(m, WARN_VMALLOC_BAD_ARG,
			 "vm_map_ram: called before vmalloc_init()");
		return 0;
	}
	if (count <= VMAP_MAX_ALLOC) {
		/* vb_alloc ignores node: its blocks are numa_node_id()'s. */
		addr = vb_alloc(m, count);
	} else {
		int err;
		struct vmap_area *va = alloc_vmap_area(
			m, (uint64_t)count << m->page_shift, m->page_size,
			m->cfg.vmalloc_start, m->cfg.vmalloc_end, node,
			GFP_KERNEL, &err);

		if (va)
			va->flags |= VMAP_RAM;
		addr = va ? va->va_start : 0;
	}
	if (!addr)
		return 0;
	/* vmap_page_range; on failure vm_unmap_ram(mem, count), NULL. */
	for (unsigned int i = 0; i < count; i += VM_MAP_RAM_CHUNK) {
		unsigned int c = count - i < VM_MAP_RAM_CHUNK ? count - i
							       : VM_MAP_RAM_CHUNK;

		for (unsigned int k = 0; k < c; k++)
			pfns[k] = page_to_pfn(m, pages[i + k]);
		if (mmu_map_pages(m, addr + ((uint64_t)i << m->page_shift),
				  pfns, c, prot)) {
			__vm_unmap_ram(m, addr, count);
			return 0;
		}
	}
#if defined(VMF_PLANT_VB_MAP_RAM_PAGE_BEFORE)
	/* planted: a carve's range walk that starts one entry early writes
	 * its first pfn into the page below, when that page is free (the
	 * unused tail of the carve before it) */
	if (count <= VMAP_MAX_ALLOC && (addr & (vmap_block_size(m) - 1)) &&
	    !mmu_lookup(m, addr - m->page_size, NULL, NULL, NULL)) {
		pfn_t first = page_to_pfn(m, pages[0]);

		mmu_map_pages(m, addr - m->page_size, &first, 1, prot);
	}
#endif
	return addr;
}
