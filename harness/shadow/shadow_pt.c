/* The shadow's page tables and physical memory.
 *
 * Page tables: which table pages exist, as a sorted array of keys per level
 * (a level-L table covers the VA region of one level-(L-1) entry, key =
 * va >> shift(L-1)). A table is allocated the first time a mapping needs it,
 * top-down, last-level region by last-level region; unmapping clears
 * leaves only. A table is freed only when a block replaces it (4.19 arm64
 * pmd_free_pte_page / pud_free_pmd_page, shadow_huge.c): its page goes back
 * to the node it came from (kept per key). The root always exists.
 *
 * Physical memory: free pages per node (every allocation in the system is
 * order 0, so counts are enough), the node layout (RAM split evenly, frame
 * index ranges), and one owner byte per frame for the frames the shadow has
 * seen handed out (a frame may never have two owners). */
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

/* ---- page tables ------------------------------------------------------------ */

unsigned sh_pt_shift(const struct sh_pt *pt, int level)
{
	return pt->page_shift + pt->stride * (unsigned)(3 - level);
}

void sh_pt_reset(struct sh_pt *pt, const struct vmf_config *cfg)
{
	uint64_t frames = cfg->phys_size >> cfg->page_shift;

	/* Every table takes a frame (sh_pt_map), so no level has more
	 * tables than RAM has frames: size for that now, at the machine's
	 * size, and keys_add does not grow them in the middle of an input
	 * (the fuzz targets' warm-up runs the largest machines first). */
	for (int l = 0; l < 4; l++) {
		struct sh_keys *ks = &pt->tables[l];
		uint64_t *nk;
		uint8_t *nn;

		if (ks->cap >= frames)
			continue;
		nk = realloc(ks->k, frames * sizeof(*nk));
		if (!nk)
			continue; /* keys_add grows it, or reports host OOM */
		ks->k = nk;
		nn = realloc(ks->node, frames);
		if (!nn)
			continue;
		ks->node = nn;
		ks->cap = frames;
	}
	pt->page_shift = cfg->page_shift;
	pt->stride = cfg->page_shift - 3;
	pt->va_bits = cfg->va_bits;
	pt->start_level = 4 - (int)((cfg->va_bits - 4) / pt->stride);
	for (int l = 0; l < 4; l++)
		pt->tables[l].n = 0;
	pt->pages = 1; /* the root, allocated at machine bring-up */
}

void sh_pt_free(struct sh_pt *pt)
{
	for (int l = 0; l < 4; l++) {
		free(pt->tables[l].k);
		free(pt->tables[l].node);
		memset(&pt->tables[l], 0, sizeof(pt->tables[l]));
	}
}

static size_t keys_lower(const struct sh_keys *ks, uint64_t key)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->k[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool keys_has(const struct sh_keys *ks, uint64_t key)
{
	size_t i = keys_lower(ks, key);

	return i < ks->n && ks->k[i] == key;
}

static int keys_add(struct sh_keys *ks, uint64_t key, uint8_t node)
{
	size_t i = keys_lower(ks, key);

	if (i < ks->n && ks->k[i] == key)
		return 0;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		uint64_t *nk = realloc(ks->k, cap * sizeof(*nk));
		uint8_t *nn;

		if (!nk)
			return -1;
		ks->k = nk;
		nn = realloc(ks->node, cap);
		if (!nn)
			return -1;
		ks->node = nn;
		ks->cap = cap;
	}
	memmove(&ks->k[i + 1], &ks->k[i], (ks->n - i) * sizeof(*ks->k));
	memmove(&ks->node[i + 1], &ks->node[i], ks->n - i);
	ks->k[i] = key;
	ks->node[i] = node;
	ks->n++;
	return 0;
}

bool sh_pt_has(const struct sh_pt *pt, int level, vaddr_t va)
{
	if (level <= pt->start_level)
		return true; /* the root */
	return keys_has(&pt->tables[level], va >> sh_pt_shift(pt, level - 1));
}

int sh_pt_table_alloc(struct shadow *sh, int level, vaddr_t va)
{
	struct sh_pt *pt = &sh->pt;
	int n;

	if (sh_pt_has(pt, level, va))
		return 0;
	if (sh_should_fail(sh, FAULT_PGTABLE))
		return -VMF_ENOMEM;
	n = sh_phys_take(sh, NUMA_NO_NODE, 0);
	if (n < 0)
		return -VMF_ENOMEM;
	if (keys_add(&pt->tables[level], va >> sh_pt_shift(pt, level - 1),
		     (uint8_t)n))
		return -VMF_ENOMEM; /* host OOM */
	pt->pages++;
	sh->phys.tables_taken++; /* a frame it cannot name, written */
	return 0;
}

bool sh_pt_table_free(struct shadow *sh, int level, vaddr_t va)
{
	struct sh_pt *pt = &sh->pt;
	struct sh_keys *ks = &pt->tables[level];
	uint64_t key = va >> sh_pt_shift(pt, level - 1);
	size_t i;

	if (level <= pt->start_level)
		return false;
	i = keys_lower(ks, key);
	if (i >= ks->n || ks->k[i] != key)
		return false;
	sh->phys.node_free[ks->node[i]]++;
	sh_frames_lost(sh); /* its frame is poisoned; which one is not known */
	memmove(&ks->k[i], &ks->k[i + 1], (ks->n - i - 1) * sizeof(*ks->k));
	memmove(&ks->node[i], &ks->node[i + 1], ks->n - i - 1);
	ks->n--;
	pt->pages--;
	return true;
}

bool sh_pt_in_ttbr1(const struct sh_pt *pt, vaddr_t va)
{
	return (va >> pt->va_bits) == (~0ull >> pt->va_bits);
}

int sh_pt_fault_level(const struct sh_pt *pt, vaddr_t va)
{
	if (!sh_pt_in_ttbr1(pt, va))
		return 0;
	for (int l = pt->start_level; l < 3; l++)
		if (!keys_has(&pt->tables[l + 1], va >> sh_pt_shift(pt, l)))
			return l;
	return 3;
}

int sh_pt_map(struct shadow *sh, vaddr_t va, uint64_t nr)
{
	struct sh_pt *pt = &sh->pt;
	uint64_t region = 1ull << sh_pt_shift(pt, 2); /* one last-level table */
	vaddr_t end = va + (nr << pt->page_shift);

	for (vaddr_t a = va; a < end; a = (a | (region - 1)) + 1) {
		for (int l = pt->start_level + 1; l <= 3; l++) {
			int r = sh_pt_table_alloc(sh, l, a);

			if (r)
				return r;
		}
		if ((a | (region - 1)) + 1 == 0)
			break;
	}
	return 0;
}

/* ---- physical memory -------------------------------------------------------- */

int sh_phys_reset(struct sh_phys *p, const struct vmf_config *cfg)
{
	uint64_t nr = cfg->phys_size >> cfg->page_shift;

	/* Forget the owners this input set. */
	for (size_t i = 0; i < p->nr_touched; i++) {
		uint64_t idx = p->touched[i] - p->base_pfn;

		if (idx < p->owner_cap)
			p->owner[idx] = 0;
	}
	p->nr_touched = 0;
	p->lost_frees = false;
	p->tables_taken = 0;
	if (p->owner_cap < nr) {
		free(p->owner);
		free(p->freed_at);
		p->owner = calloc(nr, 1);
		/* freed_at needs no reset: read only under SH_FRAME_FREED */
		p->freed_at = calloc(nr, sizeof(*p->freed_at));
		p->owner_cap = p->owner && p->freed_at ? nr : 0;
		if (!p->owner_cap)
			return -1;
	}
	/* A frame is listed once (SH_OWN_LISTED), so this never grows
	 * during an input. */
	if (p->touched_cap < nr) {
		pfn_t *nt = realloc(p->touched, nr * sizeof(*nt));

		if (!nt)
			return -1;
		p->touched = nt;
		p->touched_cap = nr;
	}
	p->nr_nodes = cfg->nr_nodes;
	p->base_pfn = cfg->phys_base >> cfg->page_shift;
	p->nr_frames = nr;
	for (unsigned n = 0; n < VMF_MAX_NODES; n++) {
		p->node_lo[n] = p->node_hi[n] = p->node_free[n] = 0;
		if (n >= p->nr_nodes)
			continue;
		p->node_lo[n] = nr * n / p->nr_nodes;
		p->node_hi[n] = nr * (n + 1) / p->nr_nodes;
		p->node_free[n] = p->node_hi[n] - p->node_lo[n];
	}
	/* Machine bring-up took the root table page from the local node of
	 * CPU 0. */
	p->node_free[0]--;
	return 0;
}

void sh_phys_free(struct sh_phys *p)
{
	free(p->owner);
	free(p->freed_at);
	free(p->touched);
	memset(p, 0, sizeof(*p));
}

int sh_phys_node_of(const struct sh_phys *p, pfn_t pfn)
{
	uint64_t idx;

	if (pfn < p->base_pfn || pfn - p->base_pfn >= p->nr_frames)
		return -1;
	idx = pfn - p->base_pfn;
	for (unsigned n = 0; n < p->nr_nodes; n++)
		if (idx >= p->node_lo[n] && idx < p->node_hi[n])
			return (int)n;
	return -1;
}

/* Does node n hold frames below 4 GiB only / above only? (DMA32) */
static bool node_dma32_ok(const struct shadow *sh, unsigned n)
{
	const struct sh_phys *p = &sh->phys;
	uint64_t end = ((p->base_pfn + p->node_hi[n]) << sh->page_shift);

	return end <= (1ull << 32);
}

int sh_phys_take(struct shadow *sh, int node, gfp_t gfp)
{
	struct sh_phys *p = &sh->phys;
	unsigned first, tries;

	first = node == NUMA_NO_NODE ? sh->cur_cpu % p->nr_nodes
				     : (unsigned)node;
	tries = (gfp & __GFP_THISNODE) ? 1 : p->nr_nodes;
	for (unsigned t = 0; t < tries; t++) {
		unsigned n = (first + t) % p->nr_nodes;

		if ((gfp & __GFP_DMA32) && !node_dma32_ok(sh, n))
			continue;
		if (p->node_free[n]) {
			p->node_free[n]--;
			return (int)n;
		}
	}
	return -1;
}

void sh_phys_give(struct shadow *sh, pfn_t pfn)
{
	int n = sh_phys_node_of(&sh->phys, pfn);

	if (n >= 0)
		sh->phys.node_free[n]++;
	sh_phys_set_owner(&sh->phys, pfn, SH_OWN_NONE);
	sh_frame_freed(sh, pfn);
}

void sh_phys_set_owner(struct sh_phys *p, pfn_t pfn, uint8_t owner)
{
	uint64_t idx = pfn - p->base_pfn;
	uint8_t listed;

	if (pfn < p->base_pfn || idx >= p->nr_frames)
		return;
	listed = p->owner[idx] & SH_OWN_LISTED;
	if (owner && !listed && p->nr_touched == p->touched_cap) {
		size_t cap = p->touched_cap ? p->touched_cap * 2 : 1024;
		pfn_t *nt = realloc(p->touched, cap * sizeof(*nt));

		if (!nt)
			return;
		p->touched = nt;
		p->touched_cap = cap;
	}
	if (owner && !listed) {
		p->touched[p->nr_touched++] = pfn;
		listed = SH_OWN_LISTED;
	}
	p->owner[idx] = owner | listed | (p->owner[idx] & SH_FRAME_FREED);
}

uint8_t sh_phys_owner(const struct sh_phys *p, pfn_t pfn)
{
	uint64_t idx = pfn - p->base_pfn;

	if (pfn < p->base_pfn || idx >= p->nr_frames)
		return 0;
	return p->owner[idx] & (uint8_t)~(SH_OWN_LISTED | SH_FRAME_FREED);
}
