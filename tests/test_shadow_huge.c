/* The shadow's huge-mapping model on its own (shadow_huge.c: 4.19
 * __ioremap_caller, ioremap_page_range, pmd_free_pte_page /
 * pud_free_pmd_page, __iounmap; shadow_huge_vmalloc.c: 6.1 vmalloc_huge),
 * against outcomes worked out by hand: the fake observer of
 * shadow_huge_fake.h plays a correct kernel, and every case also shows
 * that a wrong observation is reported. No library code is called. */
#include "shadow_huge_fake.h"

static int io(struct fk *x, phys_addr_t phys, uint64_t size, vaddr_t observed)
{
	shadow_begin(x->sh);
	return shadow_ioremap(x->sh, phys, size, PK, observed, &x->f);
}

static int iounmap_(struct fk *x, vaddr_t addr, long observed)
{
	shadow_begin(x->sh);
	return shadow_iounmap(x->sh, addr, observed, &x->f);
}

/* ---- cases ------------------------------------------------------------------ */

/* 2 MiB at D: size 2 MiB, VM_IOREMAP align 1 << fls(2 MiB) = 4 MiB: the
 * window's start. pud_alloc and pmd_alloc make the level-1 and level-2
 * tables; the PMD entry at W is a whole step, D is 2 MiB aligned: a
 * block, no level-3 table. */
static void ok_pmd_block(struct fk *x)
{
	fk_ioarea(x, W, M2, D);
	fk_run(x, W, 2, 1, D);
	fk_tables(x, 2);
	CHECK_EQ(io(x, D, M2, W), 0);
	CHECK_STR(verdict(x), "ok");
}

static void pmd_block_and_pages(void)
{
	struct fk x = {0};

	fk_init(&x);
	ok_pmd_block(&x);
	/* D + 4 KiB: 2 MiB of pages at the next 4 MiB boundary (W + 4 MiB),
	 * one new level-3 table. */
	fk_ioarea(&x, W + 2 * M2, M2, D + P);
	fk_run(&x, W + 2 * M2, 3, 512, D + P);
	fk_tables(&x, 1);
	CHECK_EQ(io(&x, D + P, M2, W + 2 * M2), 0);
	CHECK_STR(verdict(&x), "ok");
	/* An unaligned phys inside a page: 0x10 + 0x1000 bytes at D + 0x10
	 * take 2 pages (PAGE_ALIGN(size + offset)), align 1 << fls(8 KiB) =
	 * 16 KiB: 4.19's nocache walk (align below cached_align) finds the
	 * hole after the first area, ALIGN(W + 2 MiB + 4 KiB, 16 KiB); the
	 * address returned keeps the offset. A new level-3 table for the
	 * PMD entry [W + 2 MiB, W + 4 MiB). */
	fk_ioarea(&x, W + M2 + 4 * P, 2 * P, D);
	fk_run(&x, W + M2 + 4 * P, 3, 2, D);
	fk_tables(&x, 1);
	CHECK_EQ(io(&x, D + 0x10, 0x1000, W + M2 + 4 * P + 0x10), 0);
	CHECK_STR(verdict(&x), "ok");
	/* iounmap through the offset address: vunmap of the page, lazily. */
	fk_unrun(&x, W + M2 + 4 * P, W + M2 + 6 * P);
	fk_lazy(&x, W + M2 + 4 * P);
	CHECK_EQ(iounmap_(&x, W + M2 + 4 * P + 0x10, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

static void wrong_levels(void)
{
	struct fk x = {0};

	/* Pages where a block belongs. */
	fk_init(&x);
	fk_ioarea(&x, W, M2, D);
	fk_run(&x, W, 3, 512, D);
	fk_tables(&x, 2);
	CHECK_EQ(io(&x, D, M2, W), 0);
	CHECK_STR(verdict(&x), "mapping");
	CHECK(strstr(x.f.detail, "a PMD block") != NULL);

	/* A block for a physical address that is not 2 MiB aligned. */
	fk_init(&x);
	ok_pmd_block(&x);
	fk_ioarea(&x, W + 2 * M2, M2, D + P);
	fk_run(&x, W + 2 * M2, 2, 1, D);
	x.c.node_free[0]--;
	CHECK_EQ(io(&x, D + P, M2, W + 2 * M2), 0);
	CHECK_STR(verdict(&x), "pgtable"); /* no level-3 table either */
	x.c.pgtable_pages++;
	CHECK_STR(verdict(&x), "mapping");

	/* A block descriptor with the table bit (not a block). */
	fk_init(&x);
	fk_ioarea(&x, W, M2, D);
	x.run[x.nrun++] = (struct fk_run){W, 2, 1, D, PK, false};
	x.run[0].prot = PK | 0x0010000000000000ull; /* a stray bit 52: CONT */
	fk_tables(&x, 2);
	CHECK_EQ(io(&x, D, M2, W), 0);
	CHECK_STR(verdict(&x), "mapping");

	/* iounmap leaving the block mapped. */
	fk_init(&x);
	ok_pmd_block(&x);
	fk_lazy(&x, W);
	CHECK_EQ(iounmap_(&x, W, 0), 0);
	CHECK_STR(verdict(&x), "unmap");
	shadow_destroy(x.sh);
}

/* pmd_free_pte_page: pages at W + 4 MiB, unmapped and purged, then a
 * block over the same PMD entry: clear, flush the walk of that address,
 * free the level-3 table. */
static void pte_table_freed_under_a_block(void)
{
	struct fk x = {0};

	fk_init(&x);
	ok_pmd_block(&x);
	fk_ioarea(&x, W + 2 * M2, M2, D + P);
	fk_run(&x, W + 2 * M2, 3, 512, D + P);
	fk_tables(&x, 1);
	CHECK_EQ(io(&x, D + P, M2, W + 2 * M2), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_unrun(&x, W + 2 * M2, W + 3 * M2);
	fk_lazy(&x, W + 2 * M2);
	CHECK_EQ(iounmap_(&x, W + 2 * M2, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* The purge: one flush over the lazy area (513 pages <= 1024). */
	shadow_begin(x.sh);
	shadow_purge(x.sh);
	x.c.nr_purge_calls++;
	x.c.nr_purges++;
	x.c.nr_lazy = x.c.vmap_lazy_nr = 0;
	x.c.nr_busy--;
	x.narea--;
	fk_flush(&x, TLB_FLUSH_RANGE, W + 2 * M2, W + 3 * M2 + P);
	CHECK_STR(verdict(&x), "ok");
	/* The block over the old table: TLB_FLUSH_PGTABLE [W + 4M, + 4K),
	 * one table page fewer. */
	fk_ioarea(&x, W + 2 * M2, M2, D + M2);
	fk_run(&x, W + 2 * M2, 2, 1, D + M2);
	CHECK_EQ(io(&x, D + M2, M2, W + 2 * M2), 0);
	/* wrong: the table kept, no flush */
	CHECK_STR(verdict(&x), "bbm");
	/* wrong: the flush of another address */
	fk_flush(&x, TLB_FLUSH_PGTABLE, W, W + P);
	CHECK_STR(verdict(&x), "bbm");
	x.fl[x.c.flush_seq % FK_EV].start = W + 2 * M2;
	x.fl[x.c.flush_seq % FK_EV].end = W + 2 * M2 + P;
	/* wrong: flushed, but the table not freed (its page is) */
	x.c.node_free[0]++;
	CHECK_STR(verdict(&x), "pgtable");
	x.c.pgtable_pages--;
	/* wrong: a flush of another kind */
	x.fl[x.c.flush_seq % FK_EV].kind = TLB_FLUSH_RANGE;
	CHECK_STR(verdict(&x), "bbm");
	x.fl[x.c.flush_seq % FK_EV].kind = TLB_FLUSH_PGTABLE;
	/* wrong: a walk went through the freed table */
	x.c.walk_stale_hits = 1;
	CHECK_STR(verdict(&x), "walk-stale");
	x.c.walk_stale_hits = 0;
	/* wrong: a break-before-make warning nobody predicted */
	fk_warn(&x, WARN_MMU_BBM);
	CHECK_STR(verdict(&x), "bbm");
	x.c.warn_seq--;
	x.c.warn_count[WARN_MMU_BBM]--;
	/* wrong: the walk cache filled without an access */
	x.c.walk_cache_fills = 3;
	CHECK_STR(verdict(&x), "tlb-stats");
	x.c.walk_cache_fills = 0;
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

/* PUD blocks and pud_free_pmd_page. 1 GiB at D + 4 KiB: align 1 GiB, at
 * G; not 1 GiB or 2 MiB aligned: 262144 pages, a level-2 table and 512
 * level-3 tables. Freed and purged (262145 pages > 1024: flush all), then
 * 1 GiB at D + 1 GiB over it: pud_free_pmd_page flushes each PMD entry's
 * table (G + i * 2 MiB, i = 0..511) and then G, and frees 513 pages. */
static void pud_block_over_a_pmd_table(void)
{
	struct fk x = {0};

	fk_init(&x);
	fk_ioarea(&x, G, G1, D + P);
	fk_run(&x, G, 3, G1 / P, D + P);
	fk_tables(&x, 1 + 1 + 512);
	CHECK_EQ(io(&x, D + P, G1, G), 0);
	CHECK_STR(verdict(&x), "ok");
	/* iounmap: 262145 lazy pages pass lazy_max_pages (3 * 8192): the
	 * purge runs at once */
	fk_unrun(&x, G, G + G1);
	fk_lazy(&x, G);
	CHECK_EQ(iounmap_(&x, G, 0), 0);
	x.c.nr_purge_calls++;
	x.c.nr_purges++;
	x.c.nr_lazy = x.c.vmap_lazy_nr = 0;
	x.c.nr_busy--;
	x.narea--;
	/* wrong: the purge's flush missing */
	CHECK_STR(verdict(&x), "flush");
	fk_flush(&x, TLB_FLUSH_ALL, G, G + G1 + P);
	CHECK_STR(verdict(&x), "ok");

	fk_ioarea(&x, G, G1, D + G1);
	fk_run(&x, G, 1, 1, D + G1);
	for (uint64_t i = 0; i < 512; i++)
		fk_flush(&x, TLB_FLUSH_PGTABLE, G + i * M2, G + i * M2 + P);
	fk_flush(&x, TLB_FLUSH_PGTABLE, G, G + P);
	fk_tables(&x, -513);
	CHECK_EQ(io(&x, D + G1, G1, G), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the PUD's own flush before its PMD entries' */
	x.fl[(x.c.flush_seq - 1) % FK_EV].start = G;
	x.fl[(x.c.flush_seq - 1) % FK_EV].end = G + P;
	x.fl[x.c.flush_seq % FK_EV].start = G + 511 * M2;
	x.fl[x.c.flush_seq % FK_EV].end = G + 511 * M2 + P;
	CHECK_STR(verdict(&x), "flush");
	x.fl[(x.c.flush_seq - 1) % FK_EV].start = G + 511 * M2;
	x.fl[(x.c.flush_seq - 1) % FK_EV].end = G + 511 * M2 + P;
	x.fl[x.c.flush_seq % FK_EV].start = G;
	x.fl[x.c.flush_seq % FK_EV].end = G + P;
	/* wrong: the second PMD entry's flush, 511 flushes before the
	 * command's last, names another address (hole 9: every flush of
	 * a command is judged, not only the newest 16) */
	x.fl[(x.c.flush_seq - 511) % FK_EV].start = G + G1;
	CHECK_STR(verdict(&x), "bbm");
	x.fl[(x.c.flush_seq - 511) % FK_EV].start = G + M2;
	/* wrong: the same event one byte longer: only `flush` sees it */
	x.fl[(x.c.flush_seq - 511) % FK_EV].end = G + M2 + P + 1;
	CHECK_STR(verdict(&x), "flush");
	x.fl[(x.c.flush_seq - 511) % FK_EV].end = G + M2 + P;
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the PUD's block descriptor as pages at level 2 */
	x.run[x.nrun - 1] = (struct fk_run){G, 2, 512, D + G1, PK, false};
	CHECK_STR(verdict(&x), "mapping");
	x.run[x.nrun - 1] = (struct fk_run){G, 1, 1, D + G1, PK, false};
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

/* size 0, past the PA size, wrapping, RAM in use: refused with a warning
 * and nothing changed; RAM the harness owns (OP_FRAGMENT's page) maps. */
static void refusals_and_owned_ram(void)
{
	struct fk x = {0};
	pfn_t frag = 0x40000000 / P + 100;

	fk_init(&x);
	fk_warn(&x, WARN_VMALLOC_BAD_SIZE);
	CHECK_EQ(io(&x, D, 0, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_warn_text(&x, WARN_VMALLOC_BAD_ARG,
		     "WARNING: ioremap: [...] above the 40-bit PA size");
	CHECK_EQ(io(&x, (1ull << 40) - P, 2 * P, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the same kind for another reason (hole 10) */
	fk_warn_text(&x, WARN_VMALLOC_BAD_ARG,
		     "WARNING: ioremap: [...] is RAM in use");
	CHECK_EQ(io(&x, (1ull << 40) - P, 2 * P, 0), 0);
	CHECK_STR(verdict(&x), "warning");
	fk_init(&x);
	fk_warn(&x, WARN_VMALLOC_BAD_SIZE); /* wraps: docs/vmalloc.md */
	CHECK_EQ(io(&x, ~0ull - P, 4 * P, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* RAM no one handed to the harness (the frame is free) */
	fk_warn_text(&x, WARN_VMALLOC_BAD_ARG,
		     "WARNING: ioremap: [...] is RAM in use (WARN_ON(pfn_valid))");
	CHECK_EQ(io(&x, frag * P, P, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: mapped anyway */
	CHECK(io(&x, frag * P, P, W) != 0);
	CHECK_STR(x.f.check, "address");

	/* Twenty refusals in one command: every warning is compared, the
	 * first as well as the last (hole 9). */
	fk_init(&x);
	shadow_begin(x.sh);
	for (int i = 0; i < 20; i++) {
		fk_warn(&x, WARN_VMALLOC_BAD_SIZE);
		CHECK_EQ(shadow_ioremap(x.sh, D, 0, PK, 0, &x.f), 0);
	}
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the first of them of another kind (the counts per kind
	 * differ as well: the count is set back so that only the event
	 * itself can tell) */
	x.w[(x.c.warn_seq - 19) % FK_EV] = WARN_VMALLOC_BAD_ARG;
	CHECK_STR(verdict(&x), "warning");
	x.w[(x.c.warn_seq - 19) % FK_EV] = WARN_VMALLOC_BAD_SIZE;
	CHECK_STR(verdict(&x), "ok");

	fk_init(&x);
	shadow_begin(x.sh);
	CHECK_EQ(shadow_harness_page_alloc(x.sh, SH_OWN_FRAG, true, frag, &x.f),
		 0);
	x.c.node_free[0]--;
	CHECK_STR(verdict(&x), "ok");
	/* one page: align 1 << fls(4 KiB) = 8 KiB, at W; three new tables */
	fk_ioarea(&x, W, P, frag * P);
	fk_run(&x, W, 3, 1, frag * P);
	fk_tables(&x, 3);
	CHECK_EQ(io(&x, frag * P, P, W), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
	x.sh = NULL;

	/* The level-1 table cannot be had (pud_alloc): the area is vunmapped
	 * (lazily) and ioremap fails. */
	fk_init(&x);
	shadow_begin(x.sh);
	shadow_fault_set(x.sh, FAULT_PGTABLE, FAULT_NTH, 1);
	fk_ioarea(&x, W, M2, D);
	fk_lazy(&x, W);
	CHECK_EQ(io(&x, D, M2, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: the library did not free the area lazily */
	x.c.nr_lazy = 0;
	CHECK_STR(verdict(&x), "lazy");
	shadow_destroy(x.sh);
}

/* Accesses: device memory aborts on data at the leaf's level; RAM the
 * harness owns is read and written (bytes not compared). */
static void accesses(void)
{
	struct fk x = {0};
	struct sh_access a;
	uint8_t buf[8] = {0};

	fk_init(&x);
	ok_pmd_block(&x);
	memset(&a, 0, sizeof(a));
	a.va = W + 0x1234;
	a.len = 8;
	a.acc = ACC_READ;
	a.el = 1;
	a.buf = buf;
	a.res.fault = MMU_FAULT_EXTERNAL;
	a.res.level = 2;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	a.res.level = 3;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	CHECK_STR(x.f.check, "access");
	a.res.fault = MMU_OK;
	a.done = 8;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	/* a translation only: no data, no abort; phys + (va - addr) */
	a.len = 0;
	a.done = 0;
	a.res.level = 2;
	a.res.pa = D + 0x1234;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	/* the block's first page instead of page 1 of it: `frame` */
	a.res.pa = D + 0x234;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	CHECK_STR(x.f.check, "frame");
	/* the right address through a level-3 leaf under a block: `frame` */
	a.res.pa = D + 0x1234;
	a.res.level = 3;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	CHECK_STR(x.f.check, "frame");
	shadow_destroy(x.sh);
}

/* vmalloc_to_page: a page of an ioremap of device memory has no struct
 * page: NULL (docs/vmalloc.md "ioremap"); a pfn found there is a report. */
static void to_page(void)
{
	struct fk x = {0};

	fk_init(&x);
	fk_ioarea(&x, W, 2 * P, D + P);
	fk_run(&x, W, 3, 2, D + P);
	fk_tables(&x, 3);
	CHECK_EQ(io(&x, D + P, 2 * P, W), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_begin(x.sh);
	CHECK_EQ(shadow_vmalloc_to_page(x.sh, W + P + 5, false, 0, &x.f), 0);
	CHECK(shadow_vmalloc_to_page(x.sh, W + P + 5, true, D / P + 2, &x.f) !=
	      0);
	CHECK_STR(x.f.check, "result");
	CHECK(shadow_vmalloc_to_page(x.sh, W, true, D / P + 1, &x.f) != 0);
	shadow_destroy(x.sh);
}

/* vmalloc_huge with huge vmalloc off: vmalloc_node with small pages (one
 * page at W, an 8-byte page array from kmalloc, three tables); on, with
 * PMD_SIZE to map: said to be unmodelled. */
static void vmalloc_huge_paths(void)
{
	struct fk x = {0};
	struct sh_alloc_req r;
	struct sh_area_obs *a;

	fk_init(&x);
	memset(&r, 0, sizeof(r));
	r.entry = SH_E_VMALLOC_HUGE;
	r.size = P;
	r.node = 0;
	a = &x.area[x.narea++];
	*a = (struct sh_area_obs){.start = W, .end = W + 2 * P,
				  .state = SH_LIVE, .has_vm = true,
				  .va_flags = SH_VA_VM_AREA, .vm_addr = W,
				  .vm_flags = SH_VM_ALLOC, .vm_size = 2 * P,
				  .nr_pages = 1, .nr_mapped = 1,
				  .has_caller = true};
	strcpy(a->caller, "vmalloc_huge");
	x.c.nr_busy++;
	x.run[x.nrun++] = (struct fk_run){W, 3, 1, 0x40005000, PK, true};
	fk_tables(&x, 3);
	x.c.node_free[0]--;
	shadow_begin(x.sh);
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	CHECK_STR(verdict(&x), "ok");
	/* wrong: another caller name */
	strcpy(a->caller, "vmalloc_node");
	CHECK_STR(verdict(&x), "vm_struct/caller");
	shadow_destroy(x.sh);
	x.sh = NULL;

	/* huge vmalloc on, below PMD_SIZE: the small-page path */
	fk_init(&x);
	x.sh->cfg.huge_vmalloc = true;
	r.size = P;
	shadow_begin(x.sh);
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	shadow_destroy(x.sh);
	x.sh = NULL;
	/* 2 MiB for NUMA_NO_NODE on two nodes: 1 MiB per node, small pages
	 * (no attempt: the fake's free blocks, all zero, are not read) */
	fk_setup(&x, 2, 12);
	x.sh->cfg.huge_vmalloc = true;
	r.size = M2;
	r.node = NUMA_NO_NODE;
	shadow_begin(x.sh);
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	CHECK_EQ(x.sh->huge.blocks_bad, false);
	shadow_destroy(x.sh);
}

/* ---- vmalloc_huge (6.1, shadow_huge_vmalloc.c) --------------------------
 * Huge vmalloc on (header huge=1). The buddy's free blocks are the fake's
 * nf, set before each command to add up to the node's free pages. */

#define VH_PA 0x40200000ull /* a 2 MiB-aligned frame run of node 0 */

/* The case is over: a fresh shadow for the next. */
static void fk_done(struct fk *x)
{
	shadow_destroy(x->sh);
	x->sh = NULL;
}

static int huge(struct fk *x, uint64_t size, int node, vaddr_t observed)
{
	struct sh_alloc_req r;

	memset(&r, 0, sizeof(r));
	r.entry = SH_E_VMALLOC_HUGE;
	r.size = size;
	r.node = node;
	x->sh->cfg.huge_vmalloc = true;
	shadow_begin(x->sh);
	return shadow_alloc(x->sh, &r, observed, &x->f);
}

/* The free blocks of a node of frames frames from which one frame went
 * (the root): one block of each order 0..9, the rest order 10. */
static void fk_nat(struct fk *x, unsigned node, uint64_t frames)
{
	memset(x->nf[node], 0, sizeof(x->nf[node]));
	for (unsigned k = 0; k < 10; k++)
		x->nf[node][k] = 1;
	x->nf[node][10] = frames / 1024 - 1;
}

/* A live vmalloc area (vmalloc_huge's caller) of size bytes at va. */
static struct sh_area_obs *fk_varea(struct fk *x, vaddr_t va, uint64_t size,
				    uint64_t nr_pages, vaddr_t pages_va)
{
	struct sh_area_obs *a = &x->area[x->narea++];
	uint64_t ps = fk_ps(x);

	*a = (struct sh_area_obs){.start = va, .end = va + size + ps,
				  .state = SH_LIVE, .has_vm = true,
				  .va_flags = SH_VA_VM_AREA, .vm_addr = va,
				  .vm_flags = SH_VM_ALLOC |
					      (pages_va ? SH_VM_VPAGES : 0),
				  .vm_size = size + ps, .nr_pages = nr_pages,
				  .nr_mapped = nr_pages, .pages_va = pages_va,
				  .vpages = pages_va != 0, .has_caller = true};
	strcpy(a->caller, "vmalloc_huge");
	x->c.nr_busy++;
	return a;
}

static void fk_vrun(struct fk *x, vaddr_t va, int level, uint64_t nr,
		    phys_addr_t pa)
{
	x->run[x->nrun++] = (struct fk_run){va, level, nr, pa, PK, true};
}

/* 2 MiB on node 0: the area at W (2 MiB aligned, one guard page), an
 * 8-byte * 512 = 4 KiB array from kmalloc, one order-9 page (the node's
 * one order-9 block), pud_alloc and pmd_alloc (2 tables), one block. */
static void setup_2m(struct fk *x)
{
	fk_init(x);
	fk_nat(x, 0, 16384);
	fk_varea(x, W, M2, 512, 0);
	fk_vrun(x, W, 2, 1, VH_PA);
	fk_tables(x, 2);
	x->c.node_free[0] -= 512;
}

static void huge_blocks(void)
{
	struct fk x = {0};

	setup_2m(&x);
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

/* Each wrong observation on a fresh 2 MiB case. */
static void huge_wrong_blocks(void)
{
	struct fk x = {0};

	/* a block missing a page: one small page is not an allocated
	 * order-0 page (not split, or freed) */
	setup_2m(&x);
	x.bad_pfn = VH_PA / P + 7;
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "phys-owner");
	fk_done(&x);
	/* a wrong block pfn: not PMD aligned */
	setup_2m(&x);
	x.run[0].pa = VH_PA + P;
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "mapping");
	CHECK(strstr(x.f.detail, "PMD-aligned") != NULL);
	fk_done(&x);
	/* a wrong block pfn: frames nobody allocated (free RAM) */
	setup_2m(&x);
	x.run[0].vmalloc = false;
	x.run[0].pa = 0x40400000;
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "phys-owner");
	fk_done(&x);
	/* pages where the block belongs (one more table, too) */
	setup_2m(&x);
	x.run[0] = (struct fk_run){W, 3, 512, VH_PA, PK, true};
	x.c.pgtable_pages++; /* and a level-3 table (its page not counted) */
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "pgtable");
	fk_done(&x);
	setup_2m(&x);
	x.run[0] = (struct fk_run){W, 3, 512, VH_PA, PK, true};
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "mapping");
	CHECK(strstr(x.f.detail, "PMD block") != NULL);
	fk_done(&x);
	/* an unpredicted fallback: the library gave up on the block and
	 * returned a small-page area after the lazily freed attempt */
	setup_2m(&x);
	CHECK(huge(&x, M2, 0, W + M2 + P) != 0);
	CHECK_STR(x.f.check, "address");
	fk_done(&x);
	/* the library's own walk (vmalloc_to_pfn) disagreeing with the block */
	setup_2m(&x);
	x.vpfn_off = 1;
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "mapping");
	CHECK(strstr(x.f.detail, "vmalloc_to_pfn") != NULL);
	fk_done(&x);
	/* a flag the area must not keep (VM_UNINITIALIZED) */
	setup_2m(&x);
	x.area[0].vm_flags |= SH_VM_UNINITIALIZED;
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "vm_struct/flags");
	fk_done(&x);
	/* free_blocks that do not add up to the node's free pages */
	setup_2m(&x);
	x.nf[0][0]++;
	CHECK(huge(&x, M2, 0, W) != 0);
	CHECK_STR(x.f.check, "free-blocks");
	shadow_destroy(x.sh);
}

/* A fragmented node: its 16383 free pages are all order-0 blocks. The
 * order-9 allocation fails (one FAULT_PAGE_ALLOC call, no page), 6.1
 * warns with 0 bytes got, vfrees the area (lazy, 513 pages) and falls
 * back to small pages: vmalloc_node(2 MiB) right after the lazy area,
 * [W + 2M + 4K, W + 4M + 8K): 512 pages, the level-1 and level-2 tables
 * and two level-3 tables (PMD entries W + 2M and W + 4M). */
static void setup_frag(struct fk *x)
{
	fk_init(x);
	x->nf[0][0] = 16383;
	fk_varea(x, W, M2, 512, 0);
	fk_lazy(x, W);
	fk_warn_text(x, WARN_VMALLOC_ALLOC_FAILURE,
		     "vmalloc_huge: vmalloc error: size 0, page order 9, "
		     "failed to allocate pages, mode:0x2");
	fk_varea(x, W + M2 + P, M2, 512, 0);
	fk_vrun(x, W + M2 + P, 3, 512, 0x40400000);
	fk_tables(x, 4);
	x->c.node_free[0] -= 512;
}

static void huge_fragmented(void)
{
	struct fk x = {0};

	setup_frag(&x);
	CHECK_EQ(huge(&x, M2, 0, W + M2 + P), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_done(&x);
	/* wrong: the library mapped a block anyway */
	setup_frag(&x);
	CHECK(huge(&x, M2, 0, W) != 0);
	CHECK_STR(x.f.check, "address");
	fk_done(&x);
	/* wrong: another size in the warning */
	setup_frag(&x);
	x.wt[x.c.warn_seq % FK_EV] = "vmalloc error: size 2097152, page order 9, "
				  "failed to allocate pages";
	CHECK_EQ(huge(&x, M2, 0, W + M2 + P), 0);
	CHECK_STR(verdict(&x), "warning");
	shadow_destroy(x.sh);
}

/* 2 MiB on node 0 whose level-1 table cannot be had (the first
 * FAULT_PGTABLE call, pud_alloc of the only step): the model's map
 * failure (6.1's "failed to map pages" with all pages got), vfree of the attempt (its
 * 512 pages back, lazy), then the fallback as in the fragmented case. */
static void huge_map_failure(void)
{
	struct fk x = {0};

	fk_init(&x);
	fk_nat(&x, 0, 16384);
	shadow_fault_set(x.sh, FAULT_PGTABLE, FAULT_NTH, 1);
	fk_varea(&x, W, M2, 512, 0);
	fk_lazy(&x, W);
	fk_warn_text(&x, WARN_VMALLOC_ALLOC_FAILURE,
		     "vmalloc error: size 2097152, failed to map pages");
	fk_varea(&x, W + M2 + P, M2, 512, 0);
	fk_vrun(&x, W + M2 + P, 3, 512, 0x40400000);
	fk_tables(&x, 4);
	x.c.node_free[0] -= 512;
	CHECK_EQ(huge(&x, M2, 0, W + M2 + P), 0);
	CHECK_STR(verdict(&x), "ok");
	CHECK_EQ(x.sh->exp.fault_calls[FAULT_PGTABLE], 5);
	/* wrong: the attempt's pages kept */
	x.c.node_free[0] -= 512;
	CHECK_STR(verdict(&x), "pages");
	shadow_destroy(x.sh);
}

/* 4 MiB on node 0 with the 4th page allocation failing: the nested page
 * array (1024 * 8 bytes > 4 KiB: a vmalloc of 8 KiB at W + 4M + 4K, its
 * two pages are calls 1 and 2, three tables) comes first, the first
 * order-9 page is call 3, the second (call 4) fails: warning with 2 MiB
 * got; vfree: 512 + 2 pages back, both areas lazy (1025 + 3 pages). The
 * fallback's vm_struct is the 6th kmalloc (vm_struct, vmap_area, the
 * nested area's two and its kmalloc'ed array before it): made to fail,
 * so the fallback ends with 4.19's warning and nothing else. */
static void setup_kth(struct fk *x, const char *text)
{
	fk_init(x);
	fk_nat(x, 0, 16384);
	shadow_fault_set(x->sh, FAULT_PAGE_ALLOC, FAULT_NTH, 4);
	shadow_fault_set(x->sh, FAULT_KMALLOC, FAULT_NTH, 6);
	fk_varea(x, W, 2 * M2, 1024, W + 2 * M2 + P);
	fk_varea(x, W + 2 * M2 + P, 2 * P, 2, 0);
	fk_lazy(x, W);
	fk_lazy(x, W + 2 * M2 + P);
	fk_warn_text(x, WARN_VMALLOC_ALLOC_FAILURE, text);
	fk_warn_text(x, WARN_VMALLOC_ALLOC_FAILURE,
		     "vmalloc: allocation failure: 4194304 bytes");
	fk_tables(x, 3);
}

static void huge_fault_kth_page(void)
{
	struct fk x = {0};

	setup_kth(&x, "vmalloc error: size 2097152, page order 9, failed "
		      "to allocate pages");
	CHECK_EQ(huge(&x, 2 * M2, 0, 0), 0);
	CHECK_STR(verdict(&x), "ok");
	CHECK_EQ(x.sh->exp.fault_calls[FAULT_PAGE_ALLOC], 4);
	fk_done(&x);
	/* wrong: the fault hit the first high-order page */
	setup_kth(&x, "vmalloc error: size 0, page order 9, failed to "
		      "allocate pages");
	CHECK_EQ(huge(&x, 2 * M2, 0, 0), 0);
	CHECK_STR(verdict(&x), "warning");
	fk_done(&x);
	/* wrong: the pages of the failed attempt kept */
	setup_kth(&x, "vmalloc error: size 2097152, page order 9, failed "
		      "to allocate pages");
	x.c.node_free[0] -= 512;
	CHECK_EQ(huge(&x, 2 * M2, 0, 0), 0);
	CHECK_STR(verdict(&x), "pages");
	shadow_destroy(x.sh);
}

/* NUMA_NO_NODE on two nodes of 8192 frames: 4 MiB is 2 MiB per node, the
 * attempt runs. Node 0 (local to cpu 0) has one order-9 block and the
 * rest in order-0 blocks, node 1 is whole (8 order-10 blocks). The nested
 * array's two pages and three tables come from node 0's order-0 blocks;
 * the first step takes node 0's order-9 block, the second falls back to
 * node 1 (splitting an order-10 block). No table under the blocks. */
static void setup_numa(struct fk *x, phys_addr_t pa1)
{
	fk_setup(x, 2, 12);
	x->nf[0][9] = 1;
	x->nf[0][0] = 8191 - 512;
	x->nf[1][10] = 8;
	fk_varea(x, W, 2 * M2, 1024, W + 2 * M2 + P);
	fk_varea(x, W + 2 * M2 + P, 2 * P, 2, 0);
	fk_vrun(x, W, 2, 1, VH_PA);
	fk_vrun(x, W + M2, 2, 1, pa1);
	fk_vrun(x, W + 2 * M2 + P, 3, 2, 0x40005000);
	fk_tables(x, 3);
	x->c.node_free[0] -= 2 + 512;
	x->c.node_free[1] -= 512;
}

static void huge_numa_spread(void)
{
	struct fk x = {0};

	setup_numa(&x, 0x42000000); /* node 1 starts at 0x40000000 + 32M */
	CHECK_EQ(huge(&x, 2 * M2, NUMA_NO_NODE, W), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_done(&x);
	/* wrong: both blocks from node 0 (the counts say it had one) */
	setup_numa(&x, 0x40400000);
	x.c.node_free[0] -= 512;
	x.c.node_free[1] += 512;
	CHECK_EQ(huge(&x, 2 * M2, NUMA_NO_NODE, W), 0);
	CHECK_STR(verdict(&x), "pages");
	x.c.node_free[0] += 512;
	x.c.node_free[1] -= 512;
	CHECK_STR(verdict(&x), "phys-node");
	shadow_destroy(x.sh);
}

/* 16K granule: PMD_SIZE 32 MiB, page order 11 >= MAX_ORDER: the attempt
 * fails silently (no fault-site call, no page-allocator warning), 6.1
 * warns with 0 bytes, the area (2049 pages, below lazy_max 3 * 2048)
 * goes lazy, and vmalloc_node(32 MiB) follows the lazy area: 2048 pages
 * (array 16 KiB: kmalloc), the level-1 and level-2 tables and two
 * level-3 tables (32 MiB each). RAM: 4096 frames. */
#define K16 0x4000ull
#define M32 0x2000000ull
static void setup_16k(struct fk *x)
{
	fk_setup(x, 1, 14);
	fk_nat(x, 0, 4096);
	fk_varea(x, W, M32, 2048, 0);
	fk_lazy(x, W);
	fk_warn_text(x, WARN_VMALLOC_ALLOC_FAILURE,
		     "vmalloc error: size 0, page order 11, failed to "
		     "allocate pages");
	fk_varea(x, W + M32 + K16, M32, 2048, 0);
	fk_vrun(x, W + M32 + K16, 3, 2048, 0x40000000 + 2048 * K16);
	fk_tables(x, 4);
	x->c.node_free[0] -= 2048;
}

static void huge_16k_granule(void)
{
	struct fk x = {0};

	setup_16k(&x);
	CHECK_EQ(huge(&x, M32, 0, W + M32 + K16), 0);
	CHECK_STR(verdict(&x), "ok");
	CHECK_EQ(x.sh->exp.fault_calls[FAULT_PAGE_ALLOC], 2048);
	fk_done(&x);
	/* wrong: the page allocator warned about the order */
	setup_16k(&x);
	fk_warn(&x, WARN_PAGE_BAD_ORDER);
	CHECK_EQ(huge(&x, M32, 0, W + M32 + K16), 0);
	CHECK_STR(verdict(&x), "warning");
	fk_done(&x);
	/* wrong: the library mapped the area at once */
	setup_16k(&x);
	CHECK(huge(&x, M32, 0, W) != 0);
	CHECK_STR(x.f.check, "address");
	shadow_destroy(x.sh);
}

/* 64K granule, 1 GiB of RAM (16384 frames): PMD_SIZE 512 MiB, order 13.
 * The attempt's area is at the first 512 MiB boundary of the window, A =
 * W + 384 MiB; it fails silently; its vfree passes lazy_max_pages (8193 >
 * 3 * 512): the purge runs at once (one flush of all: 8193 pages > 1024)
 * and releases it, so the fallback's area is the lowest fit, W: 8192
 * pages, a level-2 table and two level-3 tables (512 MiB each, W is not
 * aligned to one); the root is the level-1 table. */
#define K64 0x10000ull
#define M512 0x20000000ull
static void setup_64k(struct fk *x, bool purged)
{
	fk_setup_ram(x, 1, 16, 1ull << 30);
	CHECK_EQ(x->cfg.vmalloc_start, W);
	fk_nat(x, 0, 16384);
	fk_warn_text(x, WARN_VMALLOC_ALLOC_FAILURE,
		     "vmalloc error: size 0, page order 13, failed to "
		     "allocate pages");
	if (purged) {
		fk_flush(x, TLB_FLUSH_ALL, W + 3 * (M512 / 4),
			 W + 3 * (M512 / 4) + M512 + K64);
		x->c.nr_purge_calls++;
		x->c.nr_purges++;
	}
	fk_varea(x, W, M512, 8192, 0);
	fk_vrun(x, W, 3, 8192, 0x40000000 + 8192 * K64);
	fk_tables(x, 3);
	x->c.node_free[0] -= 8192;
}

static void huge_64k_granule(void)
{
	struct fk x = {0};

	setup_64k(&x, true);
	CHECK_EQ(huge(&x, M512, 0, W), 0);
	CHECK_STR(verdict(&x), "ok");
	CHECK_EQ(x.sh->exp.fault_calls[FAULT_PAGE_ALLOC], 8192);
	fk_done(&x);
	/* wrong: the attempt left lazy (no purge) */
	setup_64k(&x, false);
	CHECK_EQ(huge(&x, M512, 0, W), 0);
	CHECK_STR(verdict(&x), "purge");
	shadow_destroy(x.sh);
}

/* A page at W (huge vmalloc off: small pages, three tables), vfree'd and
 * purged: the level-3 table of PMD entry W stays. Then 2 MiB huge at W:
 * pmd_free_pte_page clears it, flushes TLB_FLUSH_PGTABLE [W, W + 4K) and
 * frees it before the block. */
static void setup_pte_under(struct fk *x)
{
	struct sh_alloc_req r;

	fk_init(x);
	memset(&r, 0, sizeof(r));
	r.entry = SH_E_VMALLOC_HUGE;
	r.size = P;
	fk_varea(x, W, P, 1, 0);
	fk_vrun(x, W, 3, 1, 0x40005000);
	fk_tables(x, 3);
	x->c.node_free[0]--;
	shadow_begin(x->sh);
	CHECK_EQ(shadow_alloc(x->sh, &r, W, &x->f), 0);
	CHECK_STR(verdict(x), "ok");
	fk_unrun(x, W, W + P);
	fk_lazy(x, W);
	x->c.node_free[0]++;
	shadow_begin(x->sh);
	CHECK_EQ(shadow_free(x->sh, SH_F_VFREE, W, 0, 0, &x->f), 0);
	CHECK_STR(verdict(x), "ok");
	shadow_begin(x->sh);
	shadow_purge(x->sh);
	x->c.nr_purge_calls++;
	x->c.nr_purges++;
	x->c.nr_lazy = x->c.vmap_lazy_nr = 0;
	x->c.nr_busy--;
	x->narea--;
	fk_flush(x, TLB_FLUSH_RANGE, W, W + 2 * P);
	CHECK_STR(verdict(x), "ok");
	/* 16380 free: orders 2..9 once, 15 order-10 blocks */
	memset(x->nf[0], 0, sizeof(x->nf[0]));
	for (unsigned k = 2; k < 10; k++)
		x->nf[0][k] = 1;
	x->nf[0][10] = 15;
	fk_varea(x, W, M2, 512, 0);
	fk_vrun(x, W, 2, 1, VH_PA);
	x->c.node_free[0] -= 512;
}

static void huge_pte_table_freed(void)
{
	struct fk x = {0};

	setup_pte_under(&x);
	fk_flush(&x, TLB_FLUSH_PGTABLE, W, W + P);
	fk_tables(&x, -1);
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "ok");
	fk_done(&x);
	/* wrong: the table not freed (its page is back, the count not) */
	setup_pte_under(&x);
	fk_flush(&x, TLB_FLUSH_PGTABLE, W, W + P);
	x.c.node_free[0]++;
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "pgtable");
	fk_done(&x);
	/* wrong: freed without its flush */
	setup_pte_under(&x);
	fk_tables(&x, -1);
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "bbm");
	fk_done(&x);
	/* wrong: a break-before-make warning nobody predicted */
	setup_pte_under(&x);
	fk_flush(&x, TLB_FLUSH_PGTABLE, W, W + P);
	fk_tables(&x, -1);
	fk_warn(&x, WARN_MMU_BBM);
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "bbm");
	shadow_destroy(x.sh);
}

/* Through the block: vmalloc_to_page gives pages[i], an EL0 read faults
 * (permission) at level 2, an EL1 read reads what was written; vfree
 * unmaps the block and frees all 512 small pages. */
static void huge_free_and_access(void)
{
	struct fk x = {0};
	struct sh_access a;
	uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	setup_2m(&x);
	CHECK_EQ(huge(&x, M2, 0, W), 0);
	CHECK_STR(verdict(&x), "ok");
	/* vmallocinfo: like any vmalloc area, all 512 small pages */
	CHECK_EQ(shadow_vmallocinfo_check(x.sh,
					  "0xffff000008000000-0xffff000008201000 "
					  "2101248 vmalloc_huge pages=512 "
					  "vmalloc N0=512\n",
					  &x.f), 0);
	CHECK(shadow_vmallocinfo_check(x.sh,
				       "0xffff000008000000-0xffff000008201000 "
				       "2101248 vmalloc_huge pages=1 vmalloc "
				       "N0=1\n",
				       &x.f) != 0);
	CHECK_STR(x.f.check, "vmallocinfo");
	shadow_begin(x.sh);
	CHECK_EQ(shadow_vmalloc_to_page(x.sh, W + 5 * P + 3, true,
					VH_PA / P + 5, &x.f), 0);
	CHECK(shadow_vmalloc_to_page(x.sh, W + 5 * P + 3, true, VH_PA / P,
				     &x.f) != 0);
	CHECK_STR(x.f.check, "result");
	memset(&a, 0, sizeof(a));
	a.va = W + 0x1234;
	a.len = 8;
	a.acc = ACC_READ;
	a.el = 0;
	a.buf = buf;
	a.res.fault = MMU_FAULT_PERMISSION;
	a.res.level = 2;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	a.res.level = 3;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	CHECK_STR(x.f.check, "access");
	a.el = 1;
	a.acc = ACC_WRITE;
	a.res.fault = MMU_OK;
	a.done = 8;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	a.acc = ACC_READ;
	CHECK_EQ(shadow_access(x.sh, &a, &x.f), 0);
	buf[3] = 9;
	CHECK(shadow_access(x.sh, &a, &x.f) != 0);
	CHECK_STR(x.f.check, "data");
	x.sh->accessed = false; /* the fake's TLB counts stay */

	fk_lazy(&x, W);
	x.c.node_free[0] += 512;
	shadow_begin(x.sh);
	CHECK_EQ(shadow_free(x.sh, SH_F_VFREE, W, 0, 0, &x.f), 0);
	/* wrong: the block left mapped */
	CHECK_STR(verdict(&x), "unmap");
	fk_unrun(&x, W, W + M2);
	/* wrong: a small page not freed */
	x.c.node_free[0]--;
	CHECK_STR(verdict(&x), "pages");
	x.c.node_free[0]++;
	CHECK_STR(verdict(&x), "ok");
	shadow_destroy(x.sh);
}

/* A vmap passed VM_IOREMAP is not an ioremap: its pages are the caller's
 * RAM, read through the MMU like any vmap's. */
static void vmap_with_vm_ioremap(void)
{
	struct fk x = {0};
	struct sh_alloc_req r;
	struct sh_access acc;
	struct sh_area_obs *a;
	pfn_t pfn = 0x40005;
	uint8_t buf[8] = {0};

	fk_init(&x);
	memset(&r, 0, sizeof(r));
	r.entry = SH_E_VMAP;
	r.count = 1;
	r.pfns = &pfn;
	r.prot = PK;
	r.vm_flags = SH_VM_IOREMAP;
	a = &x.area[x.narea++];
	*a = (struct sh_area_obs){.start = W, .end = W + 2 * P,
				  .state = SH_LIVE, .has_vm = true,
				  .va_flags = SH_VA_VM_AREA, .vm_addr = W,
				  .vm_flags = SH_VM_IOREMAP | SH_VM_MAP,
				  .vm_size = 2 * P, .nr_mapped = 1,
				  .has_caller = true};
	strcpy(a->caller, "vmap");
	x.c.nr_busy++;
	x.run[x.nrun++] = (struct fk_run){W, 3, 1, pfn * P, PK, false};
	fk_tables(&x, 3);
	shadow_begin(x.sh);
	CHECK_EQ(shadow_alloc(x.sh, &r, W, &x.f), 0);
	CHECK_STR(verdict(&x), "ok");
	memset(&acc, 0, sizeof(acc));
	acc.va = W;
	acc.len = acc.done = 8;
	acc.acc = ACC_READ;
	acc.el = 1;
	acc.buf = buf;
	acc.res.level = 3;
	/* The caller's page, never written: its identity fill. */
	sh_fill_bytes(pfn, 0, buf, sizeof(buf));
	shadow_begin(x.sh);
	CHECK_EQ(shadow_access(x.sh, &acc, &x.f), 0);
	shadow_destroy(x.sh);
}

TEST_MAIN(TEST(pmd_block_and_pages), TEST(wrong_levels),
	  TEST(pte_table_freed_under_a_block), TEST(pud_block_over_a_pmd_table),
	  TEST(refusals_and_owned_ram), TEST(accesses), TEST(to_page),
	  TEST(vmalloc_huge_paths), TEST(vmap_with_vm_ioremap),
	  TEST(huge_blocks), TEST(huge_wrong_blocks), TEST(huge_fragmented),
	  TEST(huge_map_failure), TEST(huge_fault_kth_page), TEST(huge_numa_spread),
	  TEST(huge_16k_granule), TEST(huge_64k_granule), TEST(huge_pte_table_freed),
	  TEST(huge_free_and_access))
