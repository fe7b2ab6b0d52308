/* The shadow's model of vmap blocks: vm_map_ram, vm_unmap_ram and the full
 * vm_unmap_aliases (Linux 4.19 mm/vmalloc.c, "Per cpu kva allocator").
 *
 * Written from 4.19's rules, not from lib/: a block is a VMAP_BLOCK_SIZE,
 * VMAP_BLOCK_SIZE-aligned vmap_area placed like any other (the shared
 * alloc_vmap_area model, overflow -> purge -> retry), carved from the front
 * (pages_off = VMAP_BBMAP_BITS - free) by requests of up to VMAP_MAX_ALLOC
 * pages rounded up to a power of two; freed carves are unmapped at once and
 * only widen the dirty range; a block all dirty is freed lazily.
 *
 * Invariants this file keeps: a used slot is a block in the index, its
 * area is a live SHK_VBLOCK busy area at va_start; on_queue <=> free != 0
 * (purge_fragmented_blocks takes a block off with free = 0); every
 * SH_VBP_CARVED page belongs to exactly one carve in sh->carves; dirty ==
 * the pages in the STALE, FLUSHED_UA, FLUSHED and SKIPPED states, free == the FREE pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

#define VMAP_MAX_ALLOC 64 /* BITS_PER_LONG (4.19) */
/* VMALLOC_SPACE for BITS_PER_LONG == 64 (4.19): 128 GiB, whatever the
 * window (the lead's decision: 4.19 literally). */
#define VMALLOC_SPACE (128ull << 30)
#define VMAP_BBMAP_BITS_MIN (VMAP_MAX_ALLOC * 2)

static uint64_t roundup_pow_of_two(uint64_t x)
{
	uint64_t r = 1;

	while (r < x)
		r <<= 1;
	return r;
}

/* get_order(count << PAGE_SHIFT) for 1 <= count: log2 rounded up. */
static unsigned order_of(unsigned count)
{
	unsigned o = 0;

	while ((1u << o) < count)
		o++;
	return o;
}

int sh_vb_reset(struct shadow *sh)
{
	uint64_t pages = VMALLOC_SPACE >> sh->page_shift;
	uint64_t bits = pages / roundup_pow_of_two(sh->cfg.nr_cpus) / 16;

	/* VMAP_BBMAP_BITS = min(MAX, max(MIN, VMALLOC_PAGES /
	 * roundup_pow_of_two(NR_CPUS) / 16)); NR_CPUS is the machine's. */
	if (bits < VMAP_BBMAP_BITS_MIN)
		bits = VMAP_BBMAP_BITS_MIN;
	if (bits > SH_VB_BITS_MAX)
		bits = SH_VB_BITS_MAX;
	sh->vb_bits = bits;
	sh->vb_size = bits << sh->page_shift;
	if (!sh->vb) {
		sh->vb = calloc(SH_MAX_BLOCKS, sizeof(*sh->vb));
		if (!sh->vb || sh_busy_reserve(&sh->carves, SH_MAX_AREAS))
			return -1;
	}
	for (size_t i = 0; i < sh->vb_hwm; i++)
		sh->vb[i].used = false;
	sh->vb_hwm = 0;
	sh_busy_clear(&sh->carves); /* frees their pfns */
	sh->vb_seq = 0;
	sh->purge_locked = sh->in_unmap_aliases = false;
	sh->known_stale_hits = 0;
	return 0;
}

void sh_vb_free(struct shadow *sh)
{
	sh_busy_free(&sh->carves);
	free(sh->vb);
	sh->vb = NULL;
}

uint64_t shadow_known_stale_hits(const struct shadow *sh)
{
	return sh->known_stale_hits;
}

/* addr_to_vb_idx(): blocks are numbered from the block-aligned start of
 * the window. */
static uint64_t vb_idx(const struct shadow *sh, vaddr_t addr)
{
	return (addr - (sh->vm_start & ~(sh->vb_size - 1))) / sh->vb_size;
}

/* radix_tree_lookup(&vmap_block_tree, addr_to_vb_idx(addr)). */
static struct sh_vblock *vb_lookup(struct shadow *sh, vaddr_t addr)
{
	uint64_t idx = vb_idx(sh, addr);

	for (size_t i = 0; i < sh->vb_hwm; i++)
		if (sh->vb[i].used && vb_idx(sh, sh->vb[i].va_start) == idx)
			return &sh->vb[i];
	return NULL;
}

static struct sh_vblock *vb_slot(struct shadow *sh)
{
	for (size_t i = 0; i < SH_MAX_BLOCKS; i++)
		if (!sh->vb[i].used) {
			if (i >= sh->vb_hwm)
				sh->vb_hwm = i + 1;
			return &sh->vb[i];
		}
	return NULL;
}

static void vb_dequeue(struct shadow *sh, struct sh_vblock *b)
{
	if (b->on_queue) {
		b->on_queue = false;
		sh->exp.vb_queue_len[b->cpu]--;
	}
}

/* The first block on cpu's free list (list order = queue_seq order:
 * list_add_tail) that satisfies ok(), or NULL: one pass. */
static struct sh_vblock *vb_first_on(struct shadow *sh, unsigned cpu,
				     bool (*ok)(const struct shadow *,
						const struct sh_vblock *, uint64_t),
				     uint64_t arg)
{
	struct sh_vblock *best = NULL;

	for (size_t i = 0; i < sh->vb_hwm; i++) {
		struct sh_vblock *b = &sh->vb[i];

		if (b->used && b->on_queue && b->cpu == cpu && ok(sh, b, arg) &&
		    (!best || b->queue_seq < best->queue_seq))
			best = b;
	}
	return best;
}

/* vb_alloc's test: room for arg pages. */
static bool vb_has_room(const struct shadow *sh, const struct sh_vblock *b,
			uint64_t arg)
{
	(void)sh;
	return b->free >= arg;
}

/* purge_fragmented_blocks' test: free and dirty cover the block, and it
 * is not all dirty. */
static bool vb_fragmented(const struct shadow *sh, const struct sh_vblock *b,
			  uint64_t arg)
{
	(void)arg;
	return b->free + b->dirty == sh->vb_bits && b->dirty != sh->vb_bits;
}

/* free_vmap_block(): out of the index, the area freed lazily (which may
 * purge, unless the purge lock is held), the vmap_block kfree'd. */
static void free_vmap_block(struct shadow *sh, struct sh_vblock *b)
{
	struct sh_area *a = sh_busy_find(&sh->busy, b->va_start);

	vb_dequeue(sh, b);
	b->used = false;
	sh->exp.nr_vmap_blocks--;
	sh_km_free(sh);
	if (a)
		sh_lazy_free(sh, a);
}

/* purge_fragmented_blocks(cpu): every block on cpu's list whose free and
 * dirty pages cover it (and that is not all dirty) is marked all dirty, taken
 * off the list, and freed, in list order. */
static void purge_fragmented_blocks(struct shadow *sh, unsigned cpu)
{
	struct sh_vblock *b;

	/* Taking the first fragmented block off the list each time visits
	 * them in list order, as the kernel's walk (then its purge list)
	 * does; marking one cannot make another fragmented. */
	while ((b = vb_first_on(sh, cpu, vb_fragmented, 0)) != NULL) {
		b->free = 0;
		b->dirty = sh->vb_bits;
		b->dirty_min = 0;
		b->dirty_max = sh->vb_bits;
		vb_dequeue(sh, b);
		free_vmap_block(sh, b);
	}
}

void sh_vb_purge_fragmented(struct shadow *sh)
{
	/* for_each_possible_cpu */
	for (unsigned cpu = 0; cpu < sh->cfg.nr_cpus; cpu++)
		purge_fragmented_blocks(sh, cpu);
}

void sh_vb_flushed(struct shadow *sh, bool all, vaddr_t start, vaddr_t end)
{
	uint8_t to = sh->in_unmap_aliases ? SH_VBP_FLUSHED_UA : SH_VBP_FLUSHED;

	if (!sh->vb)
		return;
	for (size_t i = 0; i < sh->vb_hwm; i++) {
		struct sh_vblock *b = &sh->vb[i];
		vaddr_t bend;
		uint64_t lo, hi;

		if (!b->used || !b->dirty)
			continue;
		bend = b->va_start + sh->vb_size;
		if (!all && (end <= b->va_start || start >= bend))
			continue;
		lo = all || start <= b->va_start ?
			     0 : (start - b->va_start) >> sh->page_shift;
		hi = all || end >= bend ?
			     sh->vb_bits :
			     (end - b->va_start + sh->page_size - 1) >>
				     sh->page_shift;
		for (uint64_t p = lo; p < hi; p++)
			if (b->page[p] == SH_VBP_STALE ||
			    b->page[p] == SH_VBP_SKIPPED)
				b->page[p] = to;
	}
}

/* ---- carving ------------------------------------------------------------- */

static struct sh_area *carve_find(struct shadow *sh, vaddr_t start)
{
	return sh_busy_find(&sh->carves, start);
}

struct sh_area *sh_vb_carve_at(struct shadow *sh, vaddr_t va)
{
	return sh_busy_containing(&sh->carves, va);
}

/* Carves never overlap and are sorted by start, so their ends are sorted
 * too: walking from one end of [s, e), the first carve that falls outside
 * ends the walk. *cur holds the next index + 1 (0: not started). */
const struct sh_area *sh_vb_carve_next(struct shadow *sh, vaddr_t s,
				       vaddr_t e, bool down, size_t *cur)
{
	const struct sh_busy *cv = &sh->carves;
	const struct sh_area *c;
	size_t i;

	if (*cur) {
		i = *cur - 1;
	} else {
		i = sh_busy_lower(cv, down ? e : s);
		if (!down && i > 0 && cv->a[i - 1].end > s)
			i--;
	}
	if (down) {
		/* a[i - 1] is the next one below */
		if (i == 0 || cv->a[i - 1].end <= s)
			return NULL;
		c = &cv->a[i - 1];
		*cur = i; /* next: a[i - 2] */
		return c;
	}
	if (i >= cv->n || cv->a[i].start >= e)
		return NULL;
	c = &cv->a[i];
	*cur = i + 2;
	return c;
}

/* new_vmap_block(order): the vmap_block (kmalloc), a block-sized,
 * block-aligned area, the first 1 << order pages carved, queued at the
 * tail of this CPU's list. 0 and *addr, or -errno. */
static int new_vmap_block(struct shadow *sh, unsigned order, vaddr_t *addr)
{
	struct sh_vblock *b;
	struct sh_area *a;
	vaddr_t va;
	int r;

	if (!sh_km_alloc(sh, 1))
		return -VMF_ENOMEM;
	r = sh_alloc_vmap_area(sh, sh->vb_size, sh->vb_size, sh->vm_start,
			       sh->vm_end, GFP_KERNEL, &va);
	if (r) {
		sh_km_free(sh);
		return r;
	}
	a = sh_busy_find(&sh->busy, va);
	a->kind = SHK_VBLOCK;
	a->flags = SH_VM_NO_GUARD;
	sh_add_pending(sh, SH_P_NEW_AREA, va, 0);
	b = vb_slot(sh);
	if (!b)
		return -VMF_ENOMEM; /* SH_MAX_BLOCKS bounds what inputs reach */
	memset(b, 0, sizeof(*b));
	b->used = true;
	b->va_start = va;
	b->free = sh->vb_bits - (1ull << order);
	b->dirty = 0;
	b->dirty_min = sh->vb_bits;
	b->dirty_max = 0;
	for (uint64_t p = 0; p < (1ull << order); p++)
		b->page[p] = SH_VBP_CARVED;
	b->cpu = sh->cur_cpu % sh->cfg.nr_cpus;
	b->on_queue = true;
	b->queue_seq = ++sh->vb_seq;
	sh->exp.nr_vmap_blocks++;
	sh->exp.vb_queue_len[b->cpu]++;
	*addr = va;
	return 0;
}

/* vb_alloc(count pages): the first block on this CPU's list with room,
 * else a new block. */
static int vb_alloc(struct shadow *sh, unsigned count, vaddr_t *addr)
{
	unsigned order = order_of(count);
	unsigned cpu = sh->cur_cpu % sh->cfg.nr_cpus;
	struct sh_vblock *b = vb_first_on(sh, cpu, vb_has_room, 1ull << order);
	uint64_t off;

	if (b) {
		off = sh->vb_bits - b->free;
		*addr = b->va_start + (off << sh->page_shift);
		for (uint64_t p = off; p < off + (1ull << order); p++)
			b->page[p] = SH_VBP_CARVED;
		b->free -= 1ull << order;
		if (b->free == 0)
			vb_dequeue(sh, b);
		return 0;
	}
	return new_vmap_block(sh, order, addr);
}

/* vb_free(addr, count pages) of a carve the checks accepted: unmapped now
 * (no TLB flush: 4.19 flushes only with debug_pagealloc), the dirty range
 * widened, and a block all dirty freed. */
static void vb_free(struct shadow *sh, vaddr_t addr, unsigned count)
{
	unsigned order = order_of(count);
	uint64_t off = (addr & (sh->vb_size - 1)) >> sh->page_shift;
	struct sh_vblock *b = vb_lookup(sh, addr);
	struct sh_area *c = carve_find(sh, addr);

	if (c) {
		if (c->mapped)
			sh_add_pending(sh, SH_P_UNMAPPED, addr,
				       addr + ((uint64_t)count << sh->page_shift));
		free(c->pfns);
		sh_busy_remove(&sh->carves, (size_t)(c - sh->carves.a));
	}
	if (!b)
		return;
	for (uint64_t p = off; p < off + (1ull << order); p++)
		b->page[p] = SH_VBP_STALE;
	if (off < b->dirty_min)
		b->dirty_min = off;
	if (off + (1ull << order) > b->dirty_max)
		b->dirty_max = off + (1ull << order);
	b->dirty += 1ull << order;
	if (b->dirty == sh->vb_bits)
		free_vmap_block(sh, b);
}

/* ---- entry points ----------------------------------------------------------- */

static struct sh_area *new_carve(struct shadow *sh, vaddr_t addr,
				 unsigned count, uint64_t prot,
				 const pfn_t *pfns)
{
	struct sh_area na;
	size_t idx;

	memset(&na, 0, sizeof(na));
	na.start = addr;
	na.end = addr + ((1ull << order_of(count)) << sh->page_shift);
	na.state = SH_LIVE;
	na.kind = SHK_VMRAM;
	na.prot = prot;
	na.nr_pages = count;
	na.mapped = true;
	na.pfns = malloc(count * sizeof(*na.pfns));
	if (na.pfns)
		memcpy(na.pfns, pfns, count * sizeof(*na.pfns));
	idx = sh_busy_insert(&sh->carves, &na);
	return idx == (size_t)-1 ? NULL : &sh->carves.a[idx];
}

/* free_unmap_vmap_area() of a plain vm_map_ram area: unmapped, freed
 * lazily (no flush: debug_pagealloc is off). */
static void free_plain(struct shadow *sh, struct sh_area *a)
{
	if (a->mapped && a->nr_pages)
		sh_add_pending(sh, SH_P_UNMAPPED, a->start,
			       a->start + (a->nr_pages << sh->page_shift));
	a->mapped = false;
	free(a->pfns);
	a->pfns = NULL;
	sh_lazy_free(sh, a);
}

static vaddr_t model_map_ram(struct shadow *sh, unsigned count, int node,
			     uint64_t prot, const pfn_t *pfns)
{
	uint64_t win = (sh->vm_end - sh->vm_start) >> sh->page_shift;
	vaddr_t addr;
	struct sh_area *a;

	/* Hardened: vb_alloc's WARN_ON(size == 0), and more pages than the
	 * window holds, are refused before anything is allocated. */
	if (count == 0 || count > win) {
		sh_expect_warn_kind(sh, WARN_VMALLOC_BAD_SIZE);
		return 0;
	}
	if (!pfns) {
		sh_expect_warn_phrase(sh, WARN_VMALLOC_BAD_ARG, "pages is NULL");
		return 0;
	}
	if (count <= VMAP_MAX_ALLOC) {
		if (vb_alloc(sh, count, &addr))
			return 0;
		if (!new_carve(sh, addr, count, prot, pfns))
			return 0;
		if (sh_pt_map(sh, addr, count)) {
			vb_free(sh, addr, count); /* vm_unmap_ram(mem, count) */
			return 0;
		}
		sh_add_pending(sh, SH_P_NEW_CARVE, addr,
			       addr + ((uint64_t)count << sh->page_shift));
		return addr;
	}
	/* A plain area: no vm_struct, no guard page. 4.19 passes node to
	 * alloc_vmap_area, whose hardened argument checks refuse a node the
	 * machine does not have (the block path uses numa_node_id()). */
	if (node != NUMA_NO_NODE &&
	    (node < 0 || (unsigned)node >= sh->phys.nr_nodes)) {
		sh_expect_warn_phrase(sh, WARN_VMALLOC_BAD_ARG, ": node ");
		return 0;
	}
	if (sh_alloc_vmap_area(sh, (uint64_t)count << sh->page_shift,
			       sh->page_size, sh->vm_start, sh->vm_end,
			       GFP_KERNEL, &addr))
		return 0;
	a = sh_busy_find(&sh->busy, addr);
	a->kind = SHK_VMRAM;
	a->flags = SH_VM_NO_GUARD;
	a->prot = prot;
	a->nr_pages = count;
	a->pfns = malloc(count * sizeof(*a->pfns));
	if (a->pfns)
		memcpy(a->pfns, pfns, count * sizeof(*a->pfns));
	a->mapped = true;
	if (sh_pt_map(sh, addr, count)) {
		free_plain(sh, sh_busy_find(&sh->busy, addr));
		return 0;
	}
	sh_add_pending(sh, SH_P_NEW_AREA, addr, 0);
	return addr;
}

int shadow_vm_map_ram(struct shadow *sh, unsigned count, int node,
		      uint64_t prot, const pfn_t *pfns, vaddr_t observed,
		      struct sh_fail *f)
{
	vaddr_t want;

	want = model_map_ram(sh, count, node, prot, pfns);
	if (want != observed)
		return sh_fail(f, "address",
			       "vm_map_ram(%u pages): expected %s%llx, the "
			       "library returned %s%llx",
			       count, want ? "0x" : "failure ",
			       (unsigned long long)want,
			       observed ? "0x" : "failure ",
			       (unsigned long long)observed);
	return 0;
}

/* vm_unmap_ram's BUG_ONs and the hardened checks: true if refused. */
static bool unmap_ram_refused(struct shadow *sh, vaddr_t addr, unsigned count)
{
	if (!addr || addr < sh->vm_start || addr > sh->vm_end ||
	    (addr & (sh->page_size - 1)) || count == 0)
		return true;
	if (count <= VMAP_MAX_ALLOC) {
		struct sh_area *c;

		/* No block (BUG_ON(!vb)); an address that starts no live
		 * carve (free pages, inside a carve, already dirty); a count
		 * that does not match the carve's (the hardened
		 * case: 4.19 would dirty another order's pages, or leave the
		 * carve's last pages mapped for good; a longer count of the
		 * same order would be harmless in 4.19, but it still names a
		 * mapping that does not exist, and the lead's decision is to
		 * refuse every mismatch, as the library does). */
		if (!vb_lookup(sh, addr))
			return true;
		c = carve_find(sh, addr);
		return !c || count != c->nr_pages;
	}
	{
		struct sh_area *a = sh_busy_containing(&sh->busy, addr);

		/* find_vmap_area: BUG_ON(!va); hardened: only a live plain
		 * vm_map_ram area, from its start, with its size. */
		return !a || a->kind != SHK_VMRAM || a->state != SH_LIVE ||
		       a->start != addr || a->nr_pages != count;
	}
}

int shadow_vm_unmap_ram(struct shadow *sh, vaddr_t addr, unsigned count,
			long observed, struct sh_fail *f)
{
	long want = 0;

	if (unmap_ram_refused(sh, addr, count)) {
		sh_expect_warn_kind(sh, WARN_VM_UNMAP_RAM_BAD);
		want = -VMF_EINVAL;
	} else if (count <= VMAP_MAX_ALLOC) {
		vb_free(sh, addr, count);
	} else {
		free_plain(sh, sh_busy_find(&sh->busy, addr));
	}
	if (want != observed)
		return sh_fail(f, "result",
			       "vm_unmap_ram(0x%llx, %u) returned %ld, expected "
			       "%ld",
			       (unsigned long long)addr, count, observed, want);
	return 0;
}

/* _vm_unmap_aliases(start = ULONG_MAX, end = 0, flush = 0): the dirty range
 * of every block on every possible CPU's free list (6.5 rule: of every
 * block with dirty pages), the fragmented blocks purged, then
 * __purge_vmap_area_lazy(start, end), and if that found nothing but a block
 * was dirty, one flush of [start, end). Nothing before vmalloc_init. */
void shadow_unmap_aliases(struct shadow *sh)
{
	vaddr_t start = ~0ull, end = 0;
	bool flush = false;

	if (!sh->initialized)
		return;
	for (size_t i = 0; i < sh->vb_hwm; i++) {
		const struct sh_vblock *b = &sh->vb[i];
		vaddr_t s, e;

		if (!b->used || !b->dirty ||
		    !(b->on_queue || sh->cfg.vb_flush_full))
			continue;
		s = b->va_start + (b->dirty_min << sh->page_shift);
		e = b->va_start + (b->dirty_max << sh->page_shift);
		if (s < start)
			start = s;
		if (e > end)
			end = e;
		flush = true;
	}
	sh->purge_locked = true;
	sh_vb_purge_fragmented(sh);
	sh->in_unmap_aliases = true;
	if (!sh_purge_lazy(sh, false, start, end) && flush) {
		sh_flush_range(sh, start, end);
		sh_add_pending(sh, SH_P_PURGED, start, end);
	}
	sh->in_unmap_aliases = false;
	sh->purge_locked = false;
	/* What no flush reached: 4.19's full blocks (vbfix=0). */
	for (size_t i = 0; i < sh->vb_hwm; i++) {
		struct sh_vblock *b = &sh->vb[i];

		if (!b->used || !b->dirty)
			continue;
		for (uint64_t p = b->dirty_min; p < b->dirty_max; p++)
			if (b->page[p] == SH_VBP_STALE)
				b->page[p] = SH_VBP_SKIPPED;
	}
}

void sh_vb_describe(const struct shadow *sh, FILE *out)
{
	size_t shown = 0;

	for (size_t i = 0; i < sh->vb_hwm && shown < 8; i++) {
		const struct sh_vblock *b = &sh->vb[i];

		if (!b->used)
			continue;
		fprintf(out,
			"  vmap block [win+0x%llx, +0x%llx) cpu %u %s free %llu "
			"dirty %llu [%llu, %llu)\n",
			(unsigned long long)(b->va_start - sh->vm_start),
			(unsigned long long)sh->vb_size, b->cpu,
			b->on_queue ? "queued" : "off-queue",
			(unsigned long long)b->free,
			(unsigned long long)b->dirty,
			(unsigned long long)b->dirty_min,
			(unsigned long long)b->dirty_max);
		shown++;
	}
}

/* ---- checks ------------------------------------------------------------------ */

int sh_vb_stale_hit(struct shadow *sh, vaddr_t va, struct sh_fail *f)
{
	struct sh_vblock *b;
	struct sh_area *a = sh_busy_containing(&sh->busy, va);
	uint64_t p;

	if (!a || a->kind != SHK_VBLOCK || a->state != SH_LIVE ||
	    !(b = vb_lookup(sh, va)))
		return -2;
	p = (va - b->va_start) >> sh->page_shift;
	switch (b->page[p]) {
	case SH_VBP_STALE:
		return 0; /* unmapped, no flush since: the kernel allows it */
	case SH_VBP_SKIPPED:
		sh->known_stale_hits++;
		return 1;
	case SH_VBP_FLUSHED_UA:
		return sh_fail(f, "stale_tlb_after_unmap_aliases",
			       "a TLB entry still maps 0x%llx (page %llu of the "
			       "vmap block at 0x%llx), unmapped by vm_unmap_ram "
			       "before a vm_unmap_aliases that must have "
			       "flushed it (dirty range [%llu, %llu), %s)",
			       (unsigned long long)va, (unsigned long long)p,
			       (unsigned long long)b->va_start,
			       (unsigned long long)b->dirty_min,
			       (unsigned long long)b->dirty_max,
			       b->on_queue ? "on a free list" :
					     "full, on no free list");
	default:
		return sh_fail(f, "tlb-stale",
			       "a TLB entry still maps 0x%llx (page %llu of the "
			       "vmap block at 0x%llx), which is %s",
			       (unsigned long long)va, (unsigned long long)p,
			       (unsigned long long)b->va_start,
			       b->page[p] == SH_VBP_FLUSHED ?
				       "unmapped and flushed since" :
				       "not unmapped by vm_unmap_ram");
	}
}

int sh_vb_verify_counters(struct shadow *sh, const struct sh_counters *o,
			  struct sh_fail *f)
{
	if (o->nr_vmap_blocks != sh->exp.nr_vmap_blocks)
		return sh_fail(f, "vmap-blocks",
			       "vmap blocks in the index: expected %llu, "
			       "library %llu",
			       (unsigned long long)sh->exp.nr_vmap_blocks,
			       (unsigned long long)o->nr_vmap_blocks);
	for (unsigned c = 0; c < VMF_MAX_CPUS; c++)
		if (o->vb_queue_len[c] != sh->exp.vb_queue_len[c])
			return sh_fail(f, "vmap-blocks",
				       "vmap blocks on cpu %u's free list: "
				       "expected %llu, library %llu",
				       c,
				       (unsigned long long)sh->exp.vb_queue_len[c],
				       (unsigned long long)o->vb_queue_len[c]);
	return 0;
}

/* The carve's pages as the shadow's reader finds them: each of its
 * nr_pages a level-3 page descriptor pfn << PAGE_SHIFT | prot with the
 * caller's pfn (sh_walk_check_run: whole descriptors from RAM, then lib's
 * views and vmalloc_to_pfn against them: `walk`, `walk-lib`, `frame`; the
 * attribute bits after that are the reader's word too, which lib's view
 * then equals: `mapping`), and the rest of its power-of-two carve
 * unmapped. At the carve's creation and at the check sweep. */
static int verify_carve_pages(struct shadow *sh, const struct sh_area *c,
			      struct sh_fail *f)
{
	struct sh_page_obs batch[SH_PAGE_BATCH];
	vaddr_t start = c->start, mend, first;

	for (uint64_t i = 0; i < c->nr_pages; i++) {
		vaddr_t va = start + (i << sh->page_shift);
		const struct sh_page_obs *pp = &batch[i % SH_PAGE_BATCH];
		pfn_t pfn;
		uint64_t want;

		if (sh_walk_batch(sh, c, i, batch, f))
			return -1;
		/* Without a reader (unit-test observers) lib's view alone. */
		if (!pp->mapped || pp->level != 3)
			return sh_fail(f, "mapping",
				       "page %llu of the carve at 0x%llx is not "
				       "mapped by a level-3 entry",
				       (unsigned long long)i,
				       (unsigned long long)start);
		pfn = pp->pa >> sh->page_shift;
		want = ((uint64_t)c->pfns[i] << sh->page_shift) | c->prot;
		if (pp->desc != want)
			return sh_fail(f, "mapping",
				       "carve page %llu at 0x%llx: descriptor "
				       "0x%016llx, expected the caller's pfn "
				       "0x%llx | prot 0x%llx",
				       (unsigned long long)i,
				       (unsigned long long)va,
				       (unsigned long long)pp->desc,
				       (unsigned long long)c->pfns[i],
				       (unsigned long long)c->prot);
		if ((i == 0 || i + 1 == c->nr_pages) &&
		    sh->obs.vmalloc_pfn(sh->obs.ctx, va) != pfn)
			return sh_fail(f, "mapping",
				       "vmalloc_to_pfn(0x%llx) disagrees with "
				       "the page tables (pfn 0x%llx)",
				       (unsigned long long)va,
				       (unsigned long long)pfn);
	}
	mend = start + (c->nr_pages << sh->page_shift);
	if (mend < c->end && sh_first_mapped(sh, mend, c->end, &first))
		return sh_fail(f, "mapping",
			       "0x%llx, past the %llu pages of the carve at "
			       "0x%llx, is mapped",
			       (unsigned long long)first,
			       (unsigned long long)c->nr_pages,
			       (unsigned long long)start);
	return 0;
}

/* A new carve: inside its (live) block, its pages as verify_carve_pages
 * reads them, and no TLB entry for any of it yet. */
int sh_vb_verify_carve(struct shadow *sh, vaddr_t start, struct sh_fail *f)
{
	struct sh_area *c = carve_find(sh, start);
	struct sh_area_obs ob;
	struct sh_vblock *b = vb_lookup(sh, start);

	if (!c || !c->mapped || !b || !c->pfns)
		return 0; /* gone again within the command; host OOM */
	if (!sh->obs.area_at(sh->obs.ctx, start, &ob) ||
	    ob.start != b->va_start || ob.end != b->va_start + sh->vb_size ||
	    ob.state != SH_LIVE || ob.has_vm)
		return sh_fail(f, "area",
			       "the carve at 0x%llx must lie in the live vmap "
			       "block [0x%llx, 0x%llx) (no vm_struct); the "
			       "library's area there is %s[0x%llx, 0x%llx)",
			       (unsigned long long)start,
			       (unsigned long long)b->va_start,
			       (unsigned long long)(b->va_start + sh->vb_size),
			       ob.has_vm ? "a vm_struct area " : "",
			       (unsigned long long)ob.start,
			       (unsigned long long)ob.end);
	if (sh->obs.tlb_maps(sh->obs.ctx, c->start, c->end))
		return sh_fail(f, "tlb-reuse",
			       "a TLB entry still translates an address of the "
			       "new carve [0x%llx, 0x%llx)",
			       (unsigned long long)c->start,
			       (unsigned long long)c->end);
	return verify_carve_pages(sh, c, f);
}

/* The common case of the sweep, one read of the reader's words per carve:
 * the mapped pages are exactly their page descriptors, the tail holds no
 * valid entry. Anything else (or no reader) goes through
 * verify_carve_pages, which decides and names the page. */
static bool carve_words_match(struct shadow *sh, const struct sh_walker *w,
			      const struct sh_area *c)
{
	uint64_t words[VMAP_MAX_ALLOC];
	size_t n = (size_t)((c->end - c->start) >> sh->page_shift);

	if (n > VMAP_MAX_ALLOC || sh_walk_words(w, c->start, n, words) != n)
		return false;
	for (size_t k = 0; k < c->nr_pages; k++) {
		uint64_t want = ((uint64_t)c->pfns[k] << sh->page_shift) | c->prot;

		if (words[k] != want || (want & 3) != 3)
			return false;
	}
	for (size_t k = c->nr_pages; k < n; k++)
		if (words[k] & 1)
			return false;
	return true;
}

int sh_vb_sweep_carves(struct shadow *sh, struct sh_fail *f)
{
	bool reader = sh->obs.ttbr1 && sh->obs.phys_read;
	struct sh_walker w;

	if (reader)
		sh_walker_of(sh, &w);
	for (size_t i = 0; i < sh->carves.n; i++) {
		const struct sh_area *c = &sh->carves.a[i];

		if (!c->mapped || !c->pfns ||
		    (reader && carve_words_match(sh, &w, c)))
			continue;
		if (verify_carve_pages(sh, c, f))
			return -1;
	}
	return 0;
}
