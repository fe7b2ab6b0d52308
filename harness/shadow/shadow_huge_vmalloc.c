/* The shadow's model of vmalloc_huge: Linux 6.1 __vmalloc_node_range with
 * VM_ALLOW_HUGE_VMAP, written from the kernel's rules (not its text) and
 * the contract of issue 15 (docs/shadow.md "vmalloc_huge").
 *
 * Rules:
 * - mm/vmalloc.c 6.1 __vmalloc_node_range: PMD mappings are tried when
 *   huge vmap is allowed (header huge=1; arm64 arch_vmap_pmd_supported is
 *   true) and size_per_node = size (divided by num_online_nodes() for
 *   NUMA_NO_NODE) >= PMD_SIZE: shift = PMD_SHIFT, align = PMD_SIZE, size
 *   = ALIGN(size, PMD_SIZE); __get_vm_area_node of VM_ALLOC |
 *   VM_UNINITIALIZED (one guard page). No area: warn_alloc "vmalloc
 *   error: size <size>, vm_struct allocation failed", then `fail:`.
 * - __vmalloc_area_node 6.1: the page array as the model's 4.19 one
 *   (kmalloc up to a page, else a nested vmalloc; none: the area goes,
 *   no warning); then vm_area_alloc_pages: one alloc_pages(order =
 *   PMD_SHIFT - PAGE_SHIFT, __GFP_NOWARN) per PMD step in address order,
 *   stopping at the first failure, each page split at once (split_page:
 *   order-0 pages, pages[i] the i-th). order >= MAX_ORDER fails in
 *   __alloc_pages before the fault site and, with __GFP_NOWARN, silently.
 *   Short: warn_alloc "vmalloc error: size <got bytes>, page order <o>,
 *   failed to allocate pages", vfree of the area, then `fail:`.
 * - vmap_pages_range_noflush with page_shift = PMD_SHIFT: one
 *   vmap_range_noflush per step from the root: pud_alloc / pmd_alloc as
 *   any mapping (a table failure: warn_alloc "vmalloc error: size
 *   <bytes>, failed to map pages", vfree, `fail:`), then vmap_try_huge_pmd: the step is a whole aligned PMD
 *   and the page is PMD aligned, so always a block, after
 *   pmd_free_pte_page (a table under the entry: clear, flush, free:
 *   shadow_huge.c). pmd_set_huge never refuses here (the entry is empty
 *   or was just cleared): no WARN_MMU_BBM.
 * - `fail:` with shift > PAGE_SHIFT: the whole call again with small
 *   pages: the model's 4.19 vmalloc_node path (shadow_vm.c).
 * - The buddy (mm/page_alloc.c __rmqueue_smallest, expand): an order-k
 *   allocation takes a block of the smallest order j >= k with one free
 *   and leaves one free block of each order k..j-1; the node is the
 *   asked one (NUMA_NO_NODE: the local one) then the next nodes. The
 *   shadow's own page counts cannot say which orders are free: the
 *   observer's free_blocks, taken when the command begins, can, and the
 *   order-0 pages the command took before the high-order ones (a nested
 *   page array, its tables) are taken from that picture first.
 *
 * Invariants: a vmalloc_huge area made by the command is SHK_VHUGE_NEW
 * until sh_huge_vmalloc_verify has seen every page under its block and
 * taken its frame (then it is an ordinary SHK_VMALLOC area whose
 * page_order says how it is mapped); its node_pages are whole steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

static uint64_t pmd_size(const struct shadow *sh)
{
	return 1ull << sh_pt_shift(&sh->pt, 2);
}

static uint64_t block_desc(phys_addr_t pa, uint64_t prot)
{
	return pa | (prot & ~PTE_TABLE_BIT) | PTE_TYPE_BLOCK;
}

/* ---- the buddy's free blocks ------------------------------------------- */

void sh_huge_vmalloc_begin(struct shadow *sh)
{
	struct sh_huge *h = &sh->huge;

	if (!sh->cfg.huge_vmalloc)
		return;
	memset(h->nr_free, 0, sizeof(h->nr_free));
	for (unsigned n = 0; n < sh->phys.nr_nodes && n < VMF_MAX_NODES; n++) {
		h->free_before[n] = sh->phys.node_free[n];
		if (sh->obs.free_blocks)
			sh->obs.free_blocks(sh->obs.ctx, n, h->nr_free[n]);
	}
}

/* Take one block of order k from a node's free-block counts. */
static bool buddy_take(uint64_t *nr_free, unsigned k)
{
	for (unsigned j = k; j < MAX_ORDER; j++) {
		if (!nr_free[j])
			continue;
		nr_free[j]--;
		for (unsigned i = k; i < j; i++)
			nr_free[i]++; /* expand(): the halves left over */
		return true;
	}
	return false;
}

/* The free blocks now: the observed ones less the order-0 pages the
 * command has taken from each node since (false: the observation does
 * not add up to the model's free pages, said in blocks_why). */
static bool buddy_now(struct shadow *sh, uint64_t nr_free[][MAX_ORDER])
{
	struct sh_huge *h = &sh->huge;

	memcpy(nr_free, h->nr_free, sizeof(h->nr_free));
	for (unsigned n = 0; n < sh->phys.nr_nodes; n++) {
		uint64_t sum = 0, taken;

		for (unsigned k = 0; k < MAX_ORDER; k++)
			sum += nr_free[n][k] << k;
		if (sum != h->free_before[n]) {
			h->blocks_bad = true;
			snprintf(h->blocks_why, sizeof(h->blocks_why),
				 "free_blocks of node %u add up to %llu free "
				 "pages, the model has %llu",
				 n, (unsigned long long)sum,
				 (unsigned long long)h->free_before[n]);
			return false;
		}
		taken = h->free_before[n] > sh->phys.node_free[n] ?
				h->free_before[n] - sh->phys.node_free[n] :
				0;
		while (taken && nr_free[n][0]) {
			uint64_t t = taken < nr_free[n][0] ? taken :
							      nr_free[n][0];

			nr_free[n][0] -= t;
			taken -= t;
		}
		for (; taken; taken--)
			buddy_take(nr_free[n], 0);
	}
	return true;
}

/* alloc_pages_owner(node, GFP_KERNEL | __GFP_NOWARN, order): the node
 * the block came from, or -1. */
static int huge_page_alloc(struct shadow *sh, uint64_t nr_free[][MAX_ORDER],
			   int node, unsigned order)
{
	unsigned nn = sh->phys.nr_nodes;
	unsigned first = node == NUMA_NO_NODE ? sh->cur_cpu % nn : (unsigned)node;

	if (order >= MAX_ORDER)
		return -1; /* before the fault site, no warning */
	if (sh_should_fail(sh, FAULT_PAGE_ALLOC))
		return -1;
	for (unsigned t = 0; t < nn; t++) {
		unsigned n = (first + t) % nn;

		if (buddy_take(nr_free[n], order)) {
			sh->phys.node_free[n] -= 1ull << order;
			return (int)n;
		}
	}
	return -1;
}

/* ---- the huge attempt ---------------------------------------------------- */

/* vmap_range_noflush of each step: the tables above, then the block. */
static int map_blocks(struct shadow *sh, vaddr_t addr, uint64_t steps)
{
	for (uint64_t s = 0; s < steps; s++) {
		vaddr_t va = addr + s * pmd_size(sh);

		for (int l = sh->pt.start_level; l < 2; l++)
			if (sh_pt_table_alloc(sh, l + 1, va))
				return -VMF_ENOMEM;
		sh_huge_free_pte_table(sh, va);
	}
	return 0;
}

static vaddr_t huge_attempt(struct shadow *sh, uint64_t real_size, int node)
{
	uint64_t ps = sh->page_size, pmd = pmd_size(sh);
	unsigned order = sh_pt_shift(&sh->pt, 2) - sh->page_shift;
	uint64_t size = (real_size + pmd - 1) & ~(pmd - 1);
	uint64_t nr = size >> sh->page_shift, got = 0;
	uint64_t nr_free[VMF_MAX_NODES][MAX_ORDER];
	struct sh_area *a;
	vaddr_t addr;

	if (sh_get_vm_area_node(sh, size, pmd,
				SH_VM_ALLOC | SH_VM_UNINITIALIZED, sh->vm_start,
				sh->vm_end, GFP_KERNEL, &addr)) {
		snprintf(sh->scratch, sizeof(sh->scratch),
			 "vmalloc error: size %llu, vm_struct allocation failed",
			 (unsigned long long)real_size);
		sh_expect_warn_phrase(sh, WARN_VMALLOC_ALLOC_FAILURE,
				      sh->scratch);
		return 0;
	}
	a = sh_busy_find(&sh->busy, addr);
	a->kind = SHK_VMALLOC;
	a->prot = PAGE_KERNEL;
	if (!sh_vmalloc_page_array(sh, addr, nr, GFP_KERNEL, node))
		return 0;
	a = sh_busy_find(&sh->busy, addr);
	if (!buddy_now(sh, nr_free))
		memset(nr_free, 0, sizeof(nr_free)); /* reported by verify */
	while (got < nr) {
		int n = huge_page_alloc(sh, nr_free, node, order);

		if (n < 0)
			break;
		a->node_pages[n] += 1ull << order;
		got += 1ull << order;
	}
	a->nr_pages = got;
	sh_ver_owned(sh, SH_OWN_VMALLOC, (int64_t)got);
	if (got < nr) {
		snprintf(sh->scratch, sizeof(sh->scratch),
			 "vmalloc error: size %llu, page order %u, failed to "
			 "allocate pages",
			 (unsigned long long)(got * ps), order);
		sh_expect_warn_phrase(sh, WARN_VMALLOC_ALLOC_FAILURE,
				      sh->scratch);
		sh_vunmap_area(sh, addr, true);
		return 0;
	}
	a->mapped = true; /* what map_blocks maps is unmapped by the vfree */
	if (map_blocks(sh, addr, nr >> order)) {
		/* 6.1 __vmalloc_area_node: warn_alloc "vmalloc error: size
		 * <nr_pages * PAGE_SIZE>, failed to map pages" (the kernel's
		 * text decides over contract 16's "the existing path": found
		 * by fuzzing, a pgtable fault in the huge attempt). */
		snprintf(sh->scratch, sizeof(sh->scratch),
			 "vmalloc error: size %llu, failed to map pages",
			 (unsigned long long)(got * ps));
		sh_expect_warn_phrase(sh, WARN_VMALLOC_ALLOC_FAILURE,
				      sh->scratch);
		sh_vunmap_area(sh, addr, true);
		return 0;
	}
	a = sh_busy_find(&sh->busy, addr);
	a->flags &= ~SH_VM_UNINITIALIZED;
	a->page_order = (uint8_t)order;
	a->kind = SHK_VHUGE_NEW;
	sh_add_pending(sh, SH_P_NEW_AREA, addr, 0);
	sh_add_pending(sh, SH_P_NEW_IOMAP, addr, 0);
	return addr;
}

vaddr_t sh_vmalloc_huge(struct shadow *sh, uint64_t size, int node)
{
	uint64_t per_node = size;

	if (node == NUMA_NO_NODE)
		per_node /= sh->phys.nr_nodes;
	if (sh->cfg.huge_vmalloc && per_node >= pmd_size(sh)) {
		vaddr_t addr = huge_attempt(sh, size, node);

		if (addr)
			return addr;
	}
	return sh_vmalloc_range(sh, size, 1, sh->vm_start, sh->vm_end,
				GFP_KERNEL, PAGE_KERNEL, 0, node, SHK_VMALLOC);
}

/* ---- the check -------------------------------------------------------------- */

static int page_fail(struct shadow *sh, const struct sh_area *a, uint64_t i,
		     phys_addr_t want, const struct sh_page_obs *po,
		     const char *why, struct sh_fail *f)
{
	return sh_fail(f, "mapping",
		       "page %llu (0x%llx) of the vmalloc_huge area [0x%llx, "
		       "0x%llx): %s; expected a PMD block (level 2) at pa "
		       "0x%llx, descriptor 0x%016llx; the tables hold %s level "
		       "%d, pa 0x%llx, descriptor 0x%016llx",
		       (unsigned long long)i,
		       (unsigned long long)(a->start + i * sh->page_size),
		       (unsigned long long)a->start,
		       (unsigned long long)a->end, why,
		       (unsigned long long)want,
		       (unsigned long long)block_desc(want & ~(pmd_size(sh) - 1),
						      a->prot),
		       po->mapped ? "a leaf at" : "nothing at", po->level,
		       (unsigned long long)po->pa,
		       (unsigned long long)po->desc);
}

/* One page under its block: level, output address, descriptor, the
 * library's own walk at each step's first page and the last page, and
 * the frame: an allocated order-0 OWNER_VMALLOC page nobody else holds. */
static int check_page(struct shadow *sh, struct sh_area *a, uint64_t i,
		      phys_addr_t *base, const struct sh_page_obs *po,
		      struct sh_fail *f)
{
	uint64_t ps = sh->page_size, pmd = pmd_size(sh);
	uint64_t in_step = i & ((1ull << a->page_order) - 1);
	vaddr_t va = a->start + i * ps;
	pfn_t pfn;

	if (in_step == 0) {
		*base = po->pa;
		if (!po->mapped || (po->pa & (pmd - 1)))
			return page_fail(sh, a, i, po->pa & ~(pmd - 1), po,
					 "a step's first page is not at a "
					 "PMD-aligned block start", f);
	}
	if (!po->mapped || po->level != 2 || po->pa != *base + in_step * ps ||
	    po->desc != block_desc(*base, a->prot))
		return page_fail(sh, a, i, *base + in_step * ps, po,
				 "not the step's block", f);
	pfn = po->pa >> sh->page_shift;
	if ((in_step == 0 || i + 1 == a->nr_pages) &&
	    sh->obs.vmalloc_pfn(sh->obs.ctx, va) != pfn)
		return sh_fail(f, "mapping",
			       "vmalloc_to_pfn(0x%llx) = 0x%llx, the block "
			       "maps pfn 0x%llx",
			       (unsigned long long)va,
			       (unsigned long long)sh->obs.vmalloc_pfn(
				       sh->obs.ctx, va),
			       (unsigned long long)pfn);
	if (!po->ram || !po->allocated || po->owner != OWNER_VMALLOC)
		return sh_fail(f, "phys-owner",
			       "page %llu at 0x%llx of the vmalloc_huge area "
			       "maps pfn 0x%llx which is %s (owner %u): every "
			       "small page of a split block is an allocated "
			       "order-0 vmalloc page",
			       (unsigned long long)i, (unsigned long long)va,
			       (unsigned long long)pfn,
			       !po->ram ? "not RAM" :
			       !po->allocated ? "not an allocated order-0 page" :
						"allocated",
			       po->owner);
	if (sh_phys_owner(&sh->phys, pfn) != SH_OWN_NONE)
		return sh_fail(f, "phys-owner",
			       "page %llu at 0x%llx maps pfn 0x%llx, which "
			       "already belongs to another live owner",
			       (unsigned long long)i, (unsigned long long)va,
			       (unsigned long long)pfn);
	sh_phys_set_owner(&sh->phys, pfn, SH_OWN_VMALLOC);
	a->pfns[i] = pfn;
	return 0;
}

int sh_huge_vmalloc_verify(struct shadow *sh, struct sh_area *a,
			   struct sh_fail *f)
{
	struct sh_page_obs batch[SH_PAGE_BATCH];
	uint64_t per_node[VMF_MAX_NODES] = {0};
	phys_addr_t base = 0;

	free(a->pfns);
	a->pfns = calloc(a->nr_pages, sizeof(*a->pfns));
	if (!a->pfns)
		return 0; /* host OOM: not judged */
	for (uint64_t i = 0; i < a->nr_pages; i++) {
		const struct sh_page_obs *po = &batch[i % SH_PAGE_BATCH];

		/* Per batch, lib's views once; the shadow's reader first
		 * (shadow_walk.c): lib's walk and the page array (pages[i]
		 * is the i-th small page) against its own walk. */
		if (i % SH_PAGE_BATCH == 0) {
			size_t n = a->nr_pages - i < SH_PAGE_BATCH ?
					   (size_t)(a->nr_pages - i) :
					   SH_PAGE_BATCH;

			sh->obs.pages(sh->obs.ctx, a->start + i * sh->page_size,
				      n, batch);
			if (sh_walk_check_run(sh, a, i, n, batch, f))
				return -1;
		}
		if (check_page(sh, a, i, &base, po, f))
			return -1;
		per_node[sh_phys_node_of(&sh->phys, a->pfns[i])]++;
	}
	for (unsigned n = 0; n < sh->phys.nr_nodes; n++)
		if (per_node[n] != a->node_pages[n])
			return sh_fail(f, "phys-node",
				       "new vmalloc_huge area at 0x%llx: %llu "
				       "pages on node %u, expected %llu (whole "
				       "order-%u blocks)",
				       (unsigned long long)a->start,
				       (unsigned long long)per_node[n], n,
				       (unsigned long long)a->node_pages[n],
				       a->page_order);
	a->pfns_known = true;
	a->kind = SHK_VMALLOC;
	return 0;
}
