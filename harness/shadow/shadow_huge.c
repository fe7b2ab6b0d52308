/* The shadow's model of huge mappings: ioremap with PUD/PMD blocks, iounmap,
 * the table pages a block frees and the flushes that must come first, and
 * the two checks that follow from them (walk-stale, bbm).
 *
 * Rules (Linux 4.19, written from the kernel's rules, not its text):
 * - arch/arm64/mm/ioremap.c __ioremap_caller: offset = phys & ~PAGE_MASK,
 *   phys &= PAGE_MASK, size = PAGE_ALIGN(size + offset) (64-bit wrap
 *   arithmetic); refused: size 0, last = phys + size - 1 < phys (wrap),
 *   last above PHYS_MASK, RAM (the model: RAM not owned by the harness,
 *   docs/shadow.md); then get_vm_area_caller(size, VM_IOREMAP) (the
 *   VM_IOREMAP alignment of __get_vm_area_node), area->phys_addr = phys,
 *   ioremap_page_range; its failure vunmaps the area. Returns addr + offset.
 * - lib/ioremap.c ioremap_page_range and ioremap_{pud,pmd,pte}_range: a
 *   walk from the root; at each level the next table is allocated first
 *   (pud_alloc / pmd_alloc / pte_alloc_kernel: one FAULT_PGTABLE call and
 *   one page of the local node each, only when missing); a level-L entry
 *   whose step [addr, next) is the whole entry (pXd_addr_end) and whose
 *   physical address is aligned to it becomes a block when the level
 *   allows one (arch_ioremap_pmd_supported: always; _pud_supported: the 4K
 *   granule only), after pXd_free_Yd_page; otherwise the walk goes down.
 * - arch/arm64/mm/mmu.c pmd_free_pte_page(pmd, addr): an empty entry:
 *   nothing; a table: clear, __flush_tlb_kernel_pgtable(addr), free the
 *   table page. pud_free_pmd_page(pud, addr): for a table, the same for
 *   each of its PMD entries first (addr + i * PMD_SIZE), then clear, flush
 *   addr, free. __flush_tlb_kernel_pgtable is a flush event of kind
 *   TLB_FLUSH_PGTABLE over [addr, addr + PAGE_SIZE).
 * - pmd_set_huge / pud_set_huge: the descriptor is phys | (prot &
 *   ~PTE_TABLE_BIT) | PMD_TYPE_SECT (mk_sect_prot); pgattr_change_is_safe
 *   refuses a change of a live entry, but the entry is always empty here
 *   (vunmap clears blocks, the free above clears tables), so in a correct
 *   run no block is refused and no WARN_MMU_BBM is expected.
 * - arch/arm64/mm/ioremap.c __iounmap: vunmap(addr & PAGE_MASK) when
 *   is_vmalloc_addr, else nothing (the lazy vunmap of shadow_vm.c).
 *
 * vmalloc_huge (6.1, PMD blocks of split high-order pages) is modelled in
 * shadow_huge_vmalloc.c on the table rules above (sh_huge_free_pte_table).
 *
 * Invariants: a live ioremap area (a->iomap, a->mapped) maps its whole
 * size from a->phys with the leaves sh_huge_leaf gives; the shadow's
 * tables (shadow_pt.c) never hold a table under a block; every table a
 * block replaced this command is an expected TLB_FLUSH_PGTABLE of
 * sh->flushes and needs that flush among the library's, and
 * walk_stale_hits stays 0. A block leaf is judged by the shadow's reader
 * (verify_block), lib's lookup only against it. */
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

/* Warnings for ioremap's refused arguments: 4.19 warns only for RAM
 * (WARN_ON(pfn_valid)); the issue wants a warning for each. */
#define SH_WARN_IOREMAP_SIZE WARN_VMALLOC_BAD_SIZE /* size 0, wrap */
#define SH_WARN_IOREMAP_RANGE WARN_VMALLOC_BAD_ARG /* above PA */
#define SH_WARN_IOREMAP_RAM WARN_VMALLOC_BAD_ARG   /* RAM in use */

/* ---- geometry ------------------------------------------------------------ */

/* May a level-L entry be a block for ioremap? PMD (level 2) always; PUD
 * (level 1) with the 4K granule (arch_ioremap_pud_supported, 4.19). */
static bool block_level_ok(const struct shadow *sh, int level)
{
	if (level < sh->pt.start_level)
		return false;
	return level == 2 || (level == 1 && sh->page_shift == 12);
}

static uint64_t entry_size(const struct shadow *sh, int level)
{
	return 1ull << sh_pt_shift(&sh->pt, level);
}

/* The descriptor of a leaf at level for pa: pfn_pte for a page, the
 * section form of pmd_set_huge/pud_set_huge for a block. */
static uint64_t leaf_desc(int level, phys_addr_t pa, uint64_t prot)
{
	if (level == 3)
		return pa | prot;
	return pa | (prot & ~PTE_TABLE_BIT) | PTE_TYPE_BLOCK;
}

void sh_huge_leaf(const struct shadow *sh, const struct sh_area *a, vaddr_t va,
		  int *level, phys_addr_t *pa)
{
	vaddr_t end = a->start + (a->nr_pages << sh->page_shift);

	for (int l = 1; l <= 2; l++) {
		uint64_t sz = entry_size(sh, l);
		vaddr_t base = va & ~(sz - 1);
		phys_addr_t p = a->phys + (base - a->start);

		if (!block_level_ok(sh, l) || base < a->start ||
		    end - base < sz || (p & (sz - 1)))
			continue;
		*level = l;
		*pa = p;
		return;
	}
	*level = 3;
	*pa = a->phys + ((va & ~(sh->page_size - 1)) - a->start);
}

/* ---- the model ------------------------------------------------------------ */

static void flush_pgtable(struct shadow *sh, vaddr_t addr)
{
	/* The table goes after this flush: sh_huge_verify's bbm check
	 * finds the table frees among the expected flushes. */
	sh_expect_flush(sh, TLB_FLUSH_PGTABLE, addr, addr + sh->page_size);
}

/* pmd_free_pte_page (level 2) / pud_free_pmd_page (level 1) on the entry
 * of level at addr: the table below, if any, goes after its flush. */
static void free_table_under(struct shadow *sh, int level, vaddr_t addr)
{
	if (!sh_pt_has(&sh->pt, level + 1, addr))
		return;
	if (level == 1) {
		uint64_t pmd = entry_size(sh, 2);

		for (uint64_t i = 0; i < entry_size(sh, 1) / pmd; i++)
			free_table_under(sh, 2, addr + i * pmd);
	}
	flush_pgtable(sh, addr);
	sh_pt_table_free(sh, level + 1, addr);
}

void sh_huge_free_pte_table(struct shadow *sh, vaddr_t addr)
{
	free_table_under(sh, 2, addr);
}

/* ioremap_{pud,pmd,pte}_range at level over [addr, end); delta = phys -
 * addr (mod 2^64, as the kernel's phys_addr -= addr). The table of level
 * exists. 0 or -VMF_ENOMEM. */
static int remap_level(struct shadow *sh, int level, vaddr_t addr,
		       vaddr_t end, uint64_t delta)
{
	uint64_t sz = entry_size(sh, level);

	if (level == 3)
		return 0; /* pages: set_pte_at into the existing table */
	while (addr != end) {
		vaddr_t next = (addr + sz) & ~(sz - 1);
		int r;

		if (next - 1 >= end - 1)
			next = end; /* pXd_addr_end */
		if (block_level_ok(sh, level) && next - addr == sz &&
		    !((addr + delta) & (sz - 1))) {
			free_table_under(sh, level, addr);
			addr = next;
			continue;
		}
		r = sh_pt_table_alloc(sh, level + 1, addr);
		if (!r)
			r = remap_level(sh, level + 1, addr, next, delta);
		if (r)
			return r;
		addr = next;
	}
	return 0;
}

/* Is a frame of [phys, phys + size) RAM the harness does not own (its
 * OP_FRAGMENT pages)? The RAM part is bounded by the machine's size. */
static bool ram_in_use(const struct shadow *sh, phys_addr_t phys,
		       uint64_t size)
{
	const struct sh_phys *p = &sh->phys;
	pfn_t lo = phys >> sh->page_shift;
	pfn_t hi = lo + (size >> sh->page_shift); /* no wrap: checked */

	if (hi <= p->base_pfn || lo >= p->base_pfn + p->nr_frames)
		return false;

	if (lo < p->base_pfn)
		lo = p->base_pfn;
	if (hi > p->base_pfn + p->nr_frames)
		hi = p->base_pfn + p->nr_frames;
	for (pfn_t f = lo; f < hi; f++) {
		uint8_t o = sh_phys_owner(p, f);

		/* Only the harness's fragment pages are the caller's RAM
		 * (docs/vmalloc.md "ioremap"): pages handed to vmap or
		 * vm_map_ram are in use by an area. */
		if (o != SH_OWN_FRAG)
			return true;
	}
	return false;
}

static vaddr_t model_ioremap(struct shadow *sh, phys_addr_t phys,
			     uint64_t size, uint64_t prot)
{
	uint64_t ps = sh->page_size;
	uint64_t offset = phys & (ps - 1);
	uint64_t phys_mask = (1ull << sh->cfg.pa_bits) - 1;
	uint64_t last;
	struct sh_area *a;
	vaddr_t addr;

	phys &= ~(ps - 1);
	size = (size + offset + ps - 1) & ~(ps - 1);
	last = phys + size - 1;
	if (!size || last < phys) {
		sh_expect_warn_kind(sh, SH_WARN_IOREMAP_SIZE);
		return 0;
	}
	if (last & ~phys_mask) {
		sh_expect_warn_phrase(sh, SH_WARN_IOREMAP_RANGE, "PA size");
		return 0;
	}
	if (ram_in_use(sh, phys, size)) {
		sh_expect_warn_phrase(sh, SH_WARN_IOREMAP_RAM, "is RAM in use");
		return 0;
	}
	if (sh_get_vm_area_node(sh, size, 1, SH_VM_IOREMAP, sh->vm_start,
				sh->vm_end, GFP_KERNEL, &addr))
		return 0;
	a = sh_busy_find(&sh->busy, addr);
	a->iomap = true;
	a->phys = phys;
	a->prot = prot;
	a->nr_pages = size >> sh->page_shift;
	a->mapped = true;
	a->caller = "ioremap";
	sh_add_pending(sh, SH_P_NEW_AREA, addr, 0);
	if (remap_level(sh, sh->pt.start_level, addr, addr + size,
			phys - addr)) {
		sh_vunmap_area(sh, addr, false);
		return 0;
	}
	sh_add_pending(sh, SH_P_NEW_IOMAP, addr, 0);
	return addr + offset;
}

int shadow_ioremap(struct shadow *sh, phys_addr_t phys, uint64_t size,
		   uint64_t prot, vaddr_t observed, struct sh_fail *f)
{
	vaddr_t want = model_ioremap(sh, phys, size, prot);

	if (want != observed)
		return sh_fail(f, "address",
			       "ioremap(0x%llx, 0x%llx): expected %s%llx, the "
			       "library returned %s%llx",
			       (unsigned long long)phys,
			       (unsigned long long)size, want ? "0x" : "failure ",
			       (unsigned long long)want,
			       observed ? "0x" : "failure ",
			       (unsigned long long)observed);
	return 0;
}

int shadow_iounmap(struct shadow *sh, vaddr_t addr, long observed,
		   struct sh_fail *f)
{
	vaddr_t a = addr & ~(sh->page_size - 1);

	if (a >= sh->vm_start && a < sh->vm_end)
		return shadow_free(sh, SH_F_VUNMAP, a, observed, 0, f);
	if (observed != 0)
		return sh_fail(f, "result",
			       "iounmap(0x%llx) outside the vmalloc window "
			       "returned %ld, expected 0 (nothing to do)",
			       (unsigned long long)addr, observed);
	return 0;
}

/* ---- checks -------------------------------------------------------------- */

void sh_huge_begin(struct shadow *sh)
{
	sh_huge_vmalloc_begin(sh);
}

static const char *level_name(int level)
{
	return level == 1 ? "a PUD block" : level == 2 ? "a PMD block" :
							 "a page";
}

static int leaf_fail(const struct sh_area *a, vaddr_t va,
		     int level, phys_addr_t pa, const struct sh_page_obs *po,
		     struct sh_fail *f)
{
	return sh_fail(f, "mapping",
		       "ioremap area [0x%llx, 0x%llx) of phys 0x%llx: 0x%llx "
		       "should be %s (level %d) at pa 0x%llx, descriptor "
		       "0x%016llx; the tables hold %s level %d, pa 0x%llx, "
		       "descriptor 0x%016llx",
		       (unsigned long long)a->start,
		       (unsigned long long)a->end,
		       (unsigned long long)a->phys, (unsigned long long)va,
		       level_name(level), level, (unsigned long long)pa,
		       (unsigned long long)leaf_desc(level, pa, a->prot),
		       po->mapped ? "a leaf at" : "nothing at", po->level,
		       (unsigned long long)po->pa,
		       (unsigned long long)po->desc);
}

/* A run of n pages from va mapped by pages from pa: the shadow's reader
 * compares the descriptors in RAM word for word (the observer's RAM and
 * root; without them, unit-test observers, the library's page views). */
static int verify_page_run(struct shadow *sh, const struct sh_area *a,
			   vaddr_t va, phys_addr_t pa, size_t n,
			   struct sh_fail *f)
{
	struct sh_page_obs batch[SH_PAGE_BATCH];

	if (sh->obs.phys_read && sh->obs.ttbr1) {
		struct sh_walker w;
		struct sh_leaf l;
		size_t ok;

		sh_walker_of(sh, &w);
		/* A page the fast compare stops at is walked on its own:
		 * another descriptor, or table attributes above it. */
		for (ok = 0; ok < n; ok++, va += sh->page_size,
		     pa += sh->page_size) {
			size_t k = sh_walk_match(&w, va, n - ok, NULL,
						 leaf_desc(3, pa, a->prot),
						 sh->page_size);

			ok += k;
			va += k * sh->page_size;
			pa += k * sh->page_size;
			if (ok == n)
				break;
			sh_walk_va(&w, va, &l);
			if (!l.mapped || l.level != 3 || l.pa != pa ||
			    l.desc != leaf_desc(3, pa, a->prot)) {
				batch[0].mapped = l.mapped;
				batch[0].level = l.level;
				batch[0].pa = l.pa;
				batch[0].desc = l.desc;
				return leaf_fail(a, va, 3, pa, &batch[0], f);
			}
			if (sh_walk_bare(&l, va, "a page of an ioremap area", f))
				return -1;
		}
		return 0;
	}
	for (size_t done = 0; done < n;) {
		size_t k = n - done < SH_PAGE_BATCH ? n - done : SH_PAGE_BATCH;

		sh->obs.pages(sh->obs.ctx, va, k, batch);
		for (size_t i = 0; i < k; i++, va += sh->page_size,
			    pa += sh->page_size)
			if (!batch[i].mapped || batch[i].level != 3 ||
			    batch[i].pa != pa ||
			    batch[i].desc != leaf_desc(3, pa, a->prot))
				return leaf_fail(a, va, 3, pa, &batch[i], f);
		done += k;
	}
	return 0;
}

/* The block leaf of level at va (pa: its output address) as the shadow's
 * reader finds it from TTBR1: a leaf at that level (so every entry above
 * it is a table descriptor and no table is left below it: `walk`), its
 * output address (`frame`), the whole descriptor, and no table
 * attributes on the way down (4.19 pud_populate / pmd_populate_kernel /
 * pgd_populate write the bare table type: `mapping`); then lib's lookup
 * of va against the reader (`walk-lib`). Without the observer's RAM (the
 * unit tests' fake machines) lib's lookup against the rule. */
static int verify_block(struct shadow *sh, const struct sh_area *a,
			vaddr_t va, int level, phys_addr_t pa,
			struct sh_fail *f)
{
	uint64_t want = leaf_desc(level, pa, a->prot);
	struct sh_page_obs po;
	struct sh_walker w;
	struct sh_leaf l, ll;
	char t[96], u[96];

	if (!sh->obs.phys_read || !sh->obs.ttbr1) {
		sh->obs.page(sh->obs.ctx, va, &po);
		if (!po.mapped || po.level != level || po.pa != pa ||
		    po.desc != want)
			return leaf_fail(a, va, level, pa, &po, f);
		return 0;
	}
	sh_walker_of(sh, &w);
	sh_walk_va(&w, va, &l);
	if (!l.mapped || l.level != level)
		return sh_fail(f, "walk",
			       "ioremap area [0x%llx, 0x%llx) of phys 0x%llx: "
			       "0x%llx should be %s (level %d) under table "
			       "descriptors; the shadow's reader finds %s",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end,
			       (unsigned long long)a->phys,
			       (unsigned long long)va, level_name(level), level,
			       sh_leaf_text(&l, t, sizeof(t)));
	if (l.oa != pa)
		return sh_fail(f, "frame",
			       "ioremap area [0x%llx, 0x%llx) of phys 0x%llx: "
			       "%s at 0x%llx maps pa 0x%llx (descriptor "
			       "0x%016llx), expected pa 0x%llx",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end,
			       (unsigned long long)a->phys, level_name(level),
			       (unsigned long long)va,
			       (unsigned long long)l.oa,
			       (unsigned long long)l.desc,
			       (unsigned long long)pa);
	if (l.desc != want || l.table_attrs)
		return sh_fail(f, "mapping",
			       "ioremap area [0x%llx, 0x%llx): %s at 0x%llx "
			       "should be descriptor 0x%016llx under bare table "
			       "descriptors; the shadow's reader finds 0x%016llx "
			       "with table attributes 0x%016llx above it",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end, level_name(level),
			       (unsigned long long)va, (unsigned long long)want,
			       (unsigned long long)l.desc,
			       (unsigned long long)l.table_attrs);
	sh->obs.page(sh->obs.ctx, va, &po);
	if (po.mapped != l.mapped || po.level != l.level ||
	    po.desc != l.desc || po.pa != l.pa) {
		memset(&ll, 0, sizeof(ll));
		ll.mapped = po.mapped;
		ll.level = po.level;
		ll.desc = po.desc;
		ll.pa = po.pa;
		return sh_fail(f, "walk-lib",
			       "0x%llx (%s of the ioremap area at 0x%llx): the "
			       "library's walk gives %s, the shadow's reader %s",
			       (unsigned long long)va, level_name(level),
			       (unsigned long long)a->start,
			       sh_leaf_text(&ll, u, sizeof(u)),
			       sh_leaf_text(&l, t, sizeof(t)));
	}
	return 0;
}

int sh_huge_verify_map(struct shadow *sh, vaddr_t start, struct sh_fail *f)
{
	struct sh_area *a = sh_busy_find(&sh->busy, start);
	vaddr_t va, end;

	if (a && a->state == SH_LIVE && a->kind == SHK_VHUGE_NEW)
		return sh_huge_vmalloc_verify(sh, a, f);
	if (!a || a->state != SH_LIVE || !a->iomap || !a->mapped)
		return 0; /* gone again within the command */
	end = a->start + (a->nr_pages << sh->page_shift);
	for (va = a->start; va < end;) {
		int level;
		phys_addr_t pa;
		vaddr_t stop;

		sh_huge_leaf(sh, a, va, &level, &pa);
		if (level < 3) {
			if (verify_block(sh, a, va, level, pa, f))
				return -1;
			va += entry_size(sh, level);
			continue;
		}
		/* Pages up to the area's end or the next PMD boundary: blocks
		 * cover whole aligned PMD (or PUD) regions, so a page at va
		 * means pages up to that boundary (one leaf decision per
		 * region, not per page). */
		stop = (va | (entry_size(sh, 2) - 1)) + 1;
		if (stop > end || stop < va)
			stop = end;
		if (verify_page_run(sh, a, va, pa,
				    (size_t)((stop - va) >> sh->page_shift), f))
			return -1;
		va = stop;
	}
	return 0;
}

static int cmp_va(const void *a, const void *b)
{
	vaddr_t x = *(const vaddr_t *)a, y = *(const vaddr_t *)b;

	return x < y ? -1 : x > y;
}

/* The addresses of this command's observed TLB_FLUSH_PGTABLE events,
 * sorted (*n of them). *lost: some event could not be read, or no room
 * (host OOM; then NULL). */
static vaddr_t *observed_pgtable_flushes(struct shadow *sh,
					 const struct sh_counters *o,
					 size_t *n, bool *lost)
{
	uint64_t before = sh->flush_seq_before;
	size_t cap = o->flush_seq > before ? (size_t)(o->flush_seq - before) : 0;
	vaddr_t *v = malloc((cap ? cap : 1) * sizeof(*v));

	*n = 0;
	*lost = !v;
	for (uint64_t q = before + 1; v && q <= o->flush_seq; q++) {
		enum tlb_flush_kind k;
		vaddr_t s, e;

		if (!sh->obs.flush_get(sh->obs.ctx, q, &k, &s, &e))
			*lost = true;
		else if (k == TLB_FLUSH_PGTABLE)
			v[(*n)++] = s;
	}
	if (v)
		qsort(v, *n, sizeof(*v), cmp_va);
	return v;
}

/* bbm over the whole command: each table a block replaced (an expected
 * TLB_FLUSH_PGTABLE) has the library's __flush_tlb_kernel_pgtable of its
 * address among the command's flushes. In a correct run that flush has
 * the expected one's number: O(1) a table. Otherwise (a wrong run: `flush`
 * fails after, if not `bbm`) the observed ones are sorted once and
 * searched. A flush the library could not keep (host OOM) is not judged. */
static int judge_table_frees(struct shadow *sh, const struct sh_counters *o,
			     struct sh_fail *f)
{
	vaddr_t *seen = NULL;
	size_t nseen = 0;
	bool built = false, lost = false;
	int ret = 0;

	for (size_t i = 0; i < sh->nr_flushes && !ret; i++) {
		const struct sh_flush_exp *x = &sh->flushes[i];
		enum tlb_flush_kind k;
		vaddr_t s, e;

		if (x->kind != TLB_FLUSH_PGTABLE)
			continue;
		if (sh->obs.flush_get(sh->obs.ctx, sh->flush_seq_before + 1 + i,
				      &k, &s, &e) &&
		    k == TLB_FLUSH_PGTABLE && s == x->start)
			continue;
		if (!built) {
			seen = observed_pgtable_flushes(sh, o, &nseen, &lost);
			built = true;
		}
		if (lost || (seen && bsearch(&x->start, seen, nseen,
					     sizeof(*seen), cmp_va)))
			continue;
		ret = sh_fail(f, "bbm",
			      "the block at 0x%llx replaced a live table "
			      "without break-before-make: no "
			      "__flush_tlb_kernel_pgtable(0x%llx) among this "
			      "command's flushes",
			      (unsigned long long)x->start,
			      (unsigned long long)x->start);
	}
	free(seen);
	return ret;
}

int sh_huge_verify(struct shadow *sh, const struct sh_counters *o,
		   struct sh_fail *f)
{
	if (o->walk_stale_hits > sh->exp.walk_stale_hits)
		return sh_fail(f, "walk-stale",
			       "%llu walk(s) used a walk-cache entry whose table "
			       "page was freed or reused (expected none: a table "
			       "is freed only after __flush_tlb_kernel_pgtable)",
			       (unsigned long long)(o->walk_stale_hits -
						    sh->exp.walk_stale_hits));
	if (o->warn_count[WARN_MMU_BBM] > sh->exp.warn_count[WARN_MMU_BBM])
		return sh_fail(f, "bbm",
			       "%u break-before-make warning(s) the shadow did "
			       "not predict: a live entry was changed in place",
			       o->warn_count[WARN_MMU_BBM] -
				       sh->exp.warn_count[WARN_MMU_BBM]);
	if (judge_table_frees(sh, o, f))
		return -1;
	if (!sh->accessed && o->walk_cache_fills != sh->huge.prev_wc_fills)
		return sh_fail(f, "tlb-stats",
			       "a command without memory accesses changed the "
			       "walk cache's fills from %llu to %llu",
			       (unsigned long long)sh->huge.prev_wc_fills,
			       (unsigned long long)o->walk_cache_fills);
	sh->huge.prev_wc_fills = o->walk_cache_fills;
	return 0;
}

/* ---- accesses ------------------------------------------------------------- */

/* A write through an ioremap of the harness's own RAM changes the bytes
 * another mapping of the frame (vmap, vm_map_ram) shows: forget them. */
static void forget_aliases(struct shadow *sh, struct sh_busy *b, pfn_t pfn,
			   uint64_t off, size_t len)
{
	for (size_t i = 0; i < b->n; i++) {
		struct sh_area *o = &b->a[i];

		if (!sh_kind_caller_pages(o->kind) || !o->pfns)
			continue;
		for (uint64_t j = 0; j < o->nr_pages; j++)
			if (o->pfns[j] == pfn)
				sh_data_forget(&sh->data, o,
					       (j << sh->page_shift) + off, len);
	}
}

int sh_huge_access(struct shadow *sh, struct sh_area *a,
		   const struct sh_access *x, enum mmu_fault fault,
		   struct sh_fail *f)
{
	const struct mmu_result *r = &x->res;
	uint64_t off = x->va & (sh->page_size - 1);
	bool ram;
	int level;
	phys_addr_t pa;

	sh_huge_leaf(sh, a, x->va, &level, &pa);
	pa = a->phys + ((x->va & ~(sh->page_size - 1)) - a->start);
	ram = sh_phys_node_of(&sh->phys, pa >> sh->page_shift) >= 0;
	/* Translated, no RAM behind it: the data access aborts (mmu_copy). */
	if (fault == MMU_OK && x->len && !ram)
		fault = MMU_FAULT_EXTERNAL;
	if (r->fault != fault || (fault != MMU_OK && r->level != level))
		return sh_fail(f, "access",
			       "EL%d access at 0x%llx of the ioremap area at "
			       "0x%llx (phys 0x%llx, %s): expected fault %d at "
			       "level %d, the MMU gave fault %d at level %d",
			       x->el, (unsigned long long)x->va,
			       (unsigned long long)a->start,
			       (unsigned long long)pa, ram ? "RAM" : "not RAM",
			       (int)fault, level, (int)r->fault, r->level);
	if (x->done != (fault == MMU_OK ? x->len : 0))
		return sh_fail(f, "access",
			       "access of %zu bytes at 0x%llx moved %zu bytes%s",
			       x->len, (unsigned long long)x->va, x->done,
			       fault == MMU_OK ? " without a fault" :
						 " and faulted");
	/* Translated: the leaf the rule gives, and phys + (va - addr). */
	if (r->fault == MMU_OK && (r->level != level || r->pa != pa + off))
		return sh_fail(f, "frame",
			       "EL%d access at 0x%llx of the ioremap area at "
			       "0x%llx went to pa 0x%llx through a level-%d "
			       "leaf; expected pa 0x%llx (phys 0x%llx + "
			       "offset) through a level-%d leaf",
			       x->el, (unsigned long long)x->va,
			       (unsigned long long)a->start,
			       (unsigned long long)r->pa, r->level,
			       (unsigned long long)(pa + off),
			       (unsigned long long)a->phys, level);
	/* The frames' bytes are not modelled through an ioremap: reads are
	 * not compared, writes change what other mappings of them show. */
	if (fault == MMU_OK && x->acc == ACC_WRITE && x->len) {
		forget_aliases(sh, &sh->busy, pa >> sh->page_shift, off, x->len);
		forget_aliases(sh, &sh->carves, pa >> sh->page_shift, off,
			       x->len);
	}
	return 0;
}

/* vmalloc_to_page on an ioremap area: the page at va's offset under its
 * leaf, a block included (6.1 vmalloc_to_page: pud_leaf/pmd_leaf give the
 * leaf's page plus the index of va in it; the model follows this under
 * every policy, where 4.19 warns on pmd_bad and returns NULL:
 * docs/vmalloc.md "ioremap"). The shadow's reader must find that frame at
 * the rule's level; lib's answer is it when the frame is RAM, NULL when it
 * is device memory (no struct page). */
int sh_huge_to_page(struct shadow *sh, const struct sh_area *a, vaddr_t va,
		    bool found, pfn_t pfn, struct sh_fail *f)
{
	int level;
	phys_addr_t pa;
	pfn_t want;
	bool ram;

	sh_huge_leaf(sh, a, va, &level, &pa);
	if (level < 3)
		pa += (va & ~(sh->page_size - 1)) & (entry_size(sh, level) - 1);
	want = pa >> sh->page_shift;
	ram = want >= sh->phys.base_pfn &&
	      want < sh->phys.base_pfn + sh->phys.nr_frames;
	/* The reader's frame first (lib's answer stands in for the frame
	 * where there is none to give). */
	if (sh_walk_check_to_page(sh, va, level, ram ? found : true,
				  ram ? pfn : want, want, f))
		return -1;
	if (!ram) {
		if (found)
			return sh_fail(f, "result",
				       "vmalloc_to_page(0x%llx) in the ioremap "
				       "area at 0x%llx: pfn 0x%llx is not RAM, "
				       "expected nothing, got pfn 0x%llx",
				       (unsigned long long)va,
				       (unsigned long long)a->start,
				       (unsigned long long)want,
				       (unsigned long long)pfn);
		return 0;
	}
	if (!found || pfn != want)
		return sh_fail(f, "result",
			       "vmalloc_to_page(0x%llx) in the ioremap area at "
			       "0x%llx: expected pfn 0x%llx (level %d leaf), "
			       "got %s0x%llx",
			       (unsigned long long)va,
			       (unsigned long long)a->start,
			       (unsigned long long)want, level,
			       found ? "pfn " : "nothing ",
			       (unsigned long long)(found ? pfn : 0));
	return 0;
}
