/* The shadow's own translation-table reader, and the checks that use it.
 *
 * The reader walks TTBR1's tables as the descriptors lie in simulated RAM
 * (observer phys_read), from the AArch64 formats of the facts file
 * (../shared/notes/arm64-vmsa-facts.md), never through lib/arm64:
 *  - levels start_level..3, start_level = 4 - (va_bits - 4) / stride,
 *    stride = page_shift - 3; level L resolves VA bits
 *    [page_shift + stride * (4 - L) - 1 : page_shift + stride * (3 - L)]
 *    (the start level only up to va_bits - 1);
 *  - bits[1:0]: x0 invalid; 11 table (L0-2) / page (L3); 01 block where the
 *    granule allows one (4K: L1, L2; 16K and 64K: L2), else invalid;
 *  - output address bits [47:page_shift] (a block's from its level's
 *    shift); one at or above 2^pa_bits is an address size fault;
 *  - table descriptors' bits 59-63 (PXNTable, UXNTable, APTable, NSTable)
 *    are collected on the way down.
 * It is the reference for the library's views: the observer's page/pages
 * and vmalloc_pfn (lib's walker), and the MMU's physical address on an
 * access (docs/shadow.md "The independent reader").
 *
 * Invariant: the reader only reads; with no phys_read in the observer (the
 * unit tests' fake machines) the checks here are off. */
#include <string.h>

#include "shadow_model.h"
#include "shadow_walk.h"

#define OA_TOP 48 /* output address bits [47:page_shift] */
#define TABLE_ATTR_BITS (0x1full << 59)
#define RUN SH_PAGE_BATCH /* level-3 entries read in one piece */

/* Descriptors are little-endian in RAM (the facts file; the model's
 * SCTLR_EL1.EE = 0). */
static uint64_t get_le64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static unsigned lvl_shift(const struct sh_walker *w, int level)
{
	return w->page_shift + w->stride * (unsigned)(3 - level);
}

static uint64_t lvl_index(const struct sh_walker *w, vaddr_t va, int level)
{
	unsigned s = lvl_shift(w, level);
	unsigned bits = level == w->start_level ? w->va_bits - s : w->stride;

	return (va >> s) & ((1ull << bits) - 1);
}

/* Bits [hi-1:lo] set. */
static uint64_t bits(unsigned hi, unsigned lo)
{
	return (hi >= 64 ? ~0ull : (1ull << hi) - 1) & ~((1ull << lo) - 1);
}

void sh_walker_init(struct sh_walker *w, const struct vmf_config *cfg,
		    phys_addr_t root, const struct sh_observer *obs)
{
	memset(w, 0, sizeof(*w));
	w->page_shift = cfg->page_shift;
	w->stride = cfg->page_shift - 3;
	w->va_bits = cfg->va_bits;
	w->pa_bits = cfg->pa_bits ? cfg->pa_bits : OA_TOP;
	w->start_level = 4 - (int)((cfg->va_bits - 4) / w->stride);
	w->root = root;
	w->obs = obs;
}

static bool block_allowed(const struct sh_walker *w, int level)
{
	return level == 2 || (level == 1 && w->page_shift == 12);
}

static bool read_desc(const struct sh_walker *w, phys_addr_t table,
		      uint64_t idx, uint64_t *d)
{
	uint8_t b[8];

	if (!w->obs->phys_read(w->obs->ctx, table + idx * 8, b, sizeof(b)))
		return false;
	*d = get_le64(b);
	return true;
}

/* One descriptor d at level: true to descend to *table. Otherwise l says
 * what the walk ended on (a leaf, or a fault at level). */
static bool step(const struct sh_walker *w, vaddr_t va, int level, uint64_t d,
		 uint64_t *tattrs, phys_addr_t *table, struct sh_leaf *l)
{
	uint64_t type = d & 3;
	uint64_t field = d & bits(OA_TOP, w->page_shift);

	memset(l, 0, sizeof(*l));
	l->level = level;
	if (!(d & 1) || (type == 1 && (level == 3 || !block_allowed(w, level))))
		return false; /* invalid or reserved: translation fault */
	if (field >> w->pa_bits) {
		l->addr_size = true;
		return false;
	}
	if (type == 3 && level < 3) {
		*tattrs |= d & TABLE_ATTR_BITS;
		*table = field;
		return true;
	}
	l->mapped = true;
	l->desc = d;
	l->oa = d & bits(OA_TOP, lvl_shift(w, level));
	l->pa = l->oa + (va & bits(lvl_shift(w, level), 0));
	l->attrs = d & ~field;
	l->table_attrs = *tattrs;
	return false;
}

static bool in_ttbr1(const struct sh_walker *w, vaddr_t va)
{
	return (va >> w->va_bits) == (~0ull >> w->va_bits);
}

/* From the root down to the last-level table covering va: true and
 * *table; false with l filled (a block, or a fault above level 3). */
static bool descend_root(const struct sh_walker *w, vaddr_t va,
			 phys_addr_t *table, uint64_t *tattrs, struct sh_leaf *l)
{
	*table = w->root;
	*tattrs = 0;
	memset(l, 0, sizeof(*l));
	if (!in_ttbr1(w, va))
		return false; /* translation fault, level 0 */
	for (int level = w->start_level; level < 3; level++) {
		uint64_t d;

		if (!read_desc(w, *table, lvl_index(w, va, level), &d)) {
			l->level = level;
			l->bus = true;
			return false;
		}
		if (!step(w, va, level, d, tattrs, table, l))
			return false;
	}
	return true;
}

/* descend_root, through the memo when one is on: only descents that
 * reached a last-level table are remembered. */
static bool descend(const struct sh_walker *w, vaddr_t va, phys_addr_t *table,
		    uint64_t *tattrs, struct sh_leaf *l)
{
	struct sh_walk_memo *m = w->memo;
	uint64_t key = (va >> lvl_shift(w, 2)) + 1;
	unsigned slot = (unsigned)(key % SH_MEMO_WAYS);

	if (m && m->on && m->key[slot] == key && in_ttbr1(w, va)) {
		*table = m->table[slot];
		*tattrs = m->tattrs[slot];
		memset(l, 0, sizeof(*l));
		return true;
	}
	if (!descend_root(w, va, table, tattrs, l))
		return false;
	if (m && m->on) {
		m->key[slot] = key;
		m->table[slot] = *table;
		m->tattrs[slot] = *tattrs;
	}
	return true;
}

void sh_walk_va(const struct sh_walker *w, vaddr_t va, struct sh_leaf *l)
{
	phys_addr_t table;
	uint64_t tattrs, d;

	if (!descend(w, va, &table, &tattrs, l))
		return;
	if (!read_desc(w, table, lvl_index(w, va, 3), &d)) {
		memset(l, 0, sizeof(*l));
		l->level = 3;
		l->bus = true;
		return;
	}
	step(w, va, 3, d, &tattrs, &table, l);
}

void sh_walk_pages(const struct sh_walker *w, vaddr_t va, size_t nr,
		   struct sh_leaf *out)
{
	uint64_t ps = 1ull << w->page_shift;
	uint64_t tspan = 1ull << lvl_shift(w, 2);
	size_t i = 0;

	while (i < nr) {
		vaddr_t a = va + i * ps;
		phys_addr_t table;
		uint64_t tattrs;

		if (!descend(w, a, &table, &tattrs, &out[i])) {
			/* A block: the pages after va under it share its
			 * leaf, their pa moving with va (no new descent). */
			const struct sh_leaf *b = &out[i++];
			uint64_t bsize = 1ull << lvl_shift(w, b->level);

			for (a += ps; b->mapped && i < nr && (a & (bsize - 1));
			     a += ps, i++) {
				out[i] = *b;
				out[i].pa = b->oa + (a & (bsize - 1));
				b = &out[i];
			}
			continue;
		}
		/* The rest of this last-level table, RUN entries a read. */
		do {
			uint64_t idx = lvl_index(w, a, 3);
			uint64_t left = (tspan - (a & (tspan - 1))) / ps;
			size_t n = nr - i < RUN ? nr - i : RUN;
			uint8_t run[RUN * 8];

			if (n > left)
				n = (size_t)left;
			if (!w->obs->phys_read(w->obs->ctx, table + idx * 8, run,
					       n * 8)) {
				sh_walk_va(w, a, &out[i++]);
				a += ps;
				continue;
			}
			for (size_t k = 0; k < n; k++, i++, a += ps)
				step(w, a, 3, get_le64(run + k * 8), &tattrs,
				     &table, &out[i]);
		} while (i < nr && (a & (tspan - 1)));
	}
}

size_t sh_walk_words(const struct sh_walker *w, vaddr_t va, size_t nr,
		     uint64_t *out)
{
	uint64_t ps = 1ull << w->page_shift;
	uint64_t tspan = 1ull << lvl_shift(w, 2);
	size_t i = 0;

	while (i < nr) {
		vaddr_t a = va + i * ps;
		phys_addr_t table;
		uint64_t tattrs;
		struct sh_leaf l;

		if (!descend(w, a, &table, &tattrs, &l) || tattrs)
			return i;
		/* The rest of this last-level table in one read, decoded in
		 * place. */
		do {
			uint64_t left = (tspan - (a & (tspan - 1))) / ps;
			size_t n = nr - i < left ? nr - i : (size_t)left;

			if (!w->obs->phys_read(w->obs->ctx,
					       table + lvl_index(w, a, 3) * 8,
					       out + i, n * 8))
				return i;
			for (size_t k = 0; k < n; k++)
				out[i + k] = get_le64((const uint8_t *)&out[i + k]);
			i += n;
			a += n * ps;
		} while (i < nr && (a & (tspan - 1)));
	}
	return nr;
}

#define SCAN_RUN 512 /* entries read at once by the range scan */

/* What a descriptor at level is to the range scan: 0 nothing below it
 * (invalid, reserved, or a table whose address faults: nothing under it
 * translates), 1 a leaf, 2 a table to descend into. A leaf counts
 * whatever its output address: the question is what unmapping left
 * behind, and a leaf the walk would stop on with an address size fault
 * was not cleared either. */
static int scan_kind(const struct sh_walker *w, int level, uint64_t d)
{
	if (!(d & 1))
		return 0;
	if (level == 3)
		return (d & 3) == 3;
	if ((d & 3) == 1)
		return block_allowed(w, level);
	return (d & bits(OA_TOP, w->page_shift)) >> w->pa_bits ? 0 : 2;
}

/* The first VA of [lo, hi] (inclusive, inside one table of level) under
 * a leaf: the table's entries read SCAN_RUN at a time, an empty one
 * skipped with its whole span. An unreadable run counts as nothing
 * mapped (the walk faults there). */
static bool scan_table(const struct sh_walker *w, phys_addr_t table,
		       int level, vaddr_t lo, vaddr_t hi, vaddr_t *first)
{
	unsigned s = lvl_shift(w, level);
	uint64_t idx = lvl_index(w, lo, level);
	uint64_t last = idx + ((hi >> s) - (lo >> s));
	vaddr_t base = lo & ~((1ull << s) - 1);

	while (idx <= last) {
		uint64_t run[SCAN_RUN];
		size_t n = last - idx + 1 < SCAN_RUN ? (size_t)(last - idx + 1) :
						       SCAN_RUN;
		bool ok = w->obs->phys_read(w->obs->ctx, table + idx * 8, run,
					    n * 8);

		for (size_t k = 0; ok && k < n; k++) {
			vaddr_t b = base + ((uint64_t)k << s);
			vaddr_t elo = b < lo ? lo : b;
			vaddr_t ehi = b + ((1ull << s) - 1);
			uint64_t d;

			if (!run[k])
				continue; /* the common case: nothing there */
			d = get_le64((const uint8_t *)&run[k]);
			switch (scan_kind(w, level, d)) {
			case 1:
				*first = elo;
				return true;
			case 2:
				if (scan_table(w, d & bits(OA_TOP, w->page_shift),
					       level + 1, elo, ehi > hi ? hi : ehi,
					       first))
					return true;
				break;
			}
		}
		idx += n;
		base += (uint64_t)n << s;
	}
	return false;
}

bool sh_walk_first_mapped(const struct sh_walker *w, vaddr_t start,
			  vaddr_t end, vaddr_t *first)
{
	vaddr_t lo = start, hi = end - 1;
	vaddr_t ttbr1_base = ~0ull << w->va_bits;
	vaddr_t at = 0;

	if (end <= start || hi < ttbr1_base)
		return false;
	if (lo < ttbr1_base)
		lo = ttbr1_base; /* below TTBR1's half nothing translates */
	/* Inside one last-level table (a guard page, a small area): the
	 * descent through the memo, then that table's entries. */
	if ((lo >> lvl_shift(w, 2)) == (hi >> lvl_shift(w, 2))) {
		phys_addr_t table;
		uint64_t tattrs;
		struct sh_leaf l;

		if (descend(w, lo, &table, &tattrs, &l)) {
			if (!scan_table(w, table, 3, lo, hi, &at))
				return false;
		} else if (l.mapped) {
			at = lo;
		} else if (!l.addr_size) {
			return false;
		} else if (!scan_table(w, w->root, w->start_level, lo, hi, &at)) {
			return false; /* a leaf or a table faulting: as above */
		}
	} else if (!scan_table(w, w->root, w->start_level, lo, hi, &at)) {
		return false;
	}
	if (first)
		*first = at;
	return true;
}

#define MATCH_RUN 512 /* words read at once by sh_walk_match */

/* Is d a valid level-3 page descriptor whose output address the reader
 * accepts? */
static bool page_desc_ok(const struct sh_walker *w, uint64_t d)
{
	return (d & 3) == 3 && !((d & bits(OA_TOP, w->page_shift)) >> w->pa_bits);
}

size_t sh_walk_match(const struct sh_walker *w, vaddr_t va, size_t nr,
		     const uint64_t *want, uint64_t desc0, uint64_t step)
{
	uint64_t words[MATCH_RUN];
	size_t i = 0;

	/* A run desc0 + k * step whose first and last are valid page
	 * descriptors with their output address in range is valid all
	 * through (the output address only grows between them). */
	if (!want && nr &&
	    (!page_desc_ok(w, desc0) ||
	     !page_desc_ok(w, desc0 + (nr - 1) * step) ||
	     desc0 + (nr - 1) * step < desc0))
		return 0;
	while (i < nr) {
		size_t n = nr - i < MATCH_RUN ? nr - i : MATCH_RUN;
		size_t got = sh_walk_words(w, va + i * (1ull << w->page_shift),
					   n, words);

		for (size_t k = 0; k < got; k++, i++)
			if (want ? words[k] != want[i] || !page_desc_ok(w, want[i]) :
				   words[k] != desc0 + i * step)
				return i;
		if (got < n)
			return i;
	}
	return nr;
}

/* ---- checks ------------------------------------------------------------ */

static bool reader_on(const struct shadow *sh)
{
	return sh->obs.phys_read && sh->obs.ttbr1;
}

void sh_walker_of(struct shadow *sh, struct sh_walker *w)
{
	sh_walker_init(w, &sh->cfg, sh->obs.ttbr1(sh->obs.ctx), &sh->obs);
	w->memo = &sh->ver.memo;
}

const char *sh_leaf_text(const struct sh_leaf *l, char *buf, size_t len)
{
	if (l->mapped)
		snprintf(buf, len, "a level-%d leaf 0x%016llx (pa 0x%llx)",
			 l->level, (unsigned long long)l->desc,
			 (unsigned long long)l->pa);
	else
		snprintf(buf, len, "%s at level %d",
			 l->bus ? "a table outside RAM" :
			 l->addr_size ? "an address size fault" :
					"a translation fault",
			 l->level);
	return buf;
}

int sh_walk_bare(const struct sh_leaf *l, vaddr_t va, const char *what,
		 struct sh_fail *f)
{
	char t[96];

	if (!l->mapped || !l->table_attrs)
		return 0;
	return sh_fail(f, "mapping",
		       "%s at 0x%llx: the shadow's reader finds %s under table "
		       "attributes 0x%016llx (APTable/PXNTable/UXNTable/NSTable); "
		       "kernel tables are linked bare",
		       what, (unsigned long long)va,
		       sh_leaf_text(l, t, sizeof(t)),
		       (unsigned long long)l->table_attrs);
}

/* Entries [first, first + n) of a's page array as pfns: the nested array
 * read from RAM through the reader (the kernel reads vm->pages through its
 * vmalloc mapping too), else the kmalloc'ed one through the observer. */
static int array_pfns(struct shadow *sh, const struct sh_walker *w,
		      const struct sh_area *a, uint64_t first, size_t n,
		      pfn_t *out, struct sh_fail *f)
{
	size_t done = 0;

	if (!a->array_va) {
		if (sh->obs.page_array &&
		    sh->obs.page_array(sh->obs.ctx, a->start, first, n, out))
			return 0;
		return sh_fail(f, "page-array",
			       "the area at 0x%llx: no kmalloc'ed page array "
			       "holds entries %llu..%llu",
			       (unsigned long long)a->start,
			       (unsigned long long)first,
			       (unsigned long long)(first + n - 1));
	}
	while (done < n) {
		vaddr_t e = a->array_va + (first + done) * 8;
		size_t avail = (size_t)((sh->page_size - (e & (sh->page_size - 1))) / 8);
		size_t k = n - done < avail ? n - done : avail;
		uint8_t buf[RUN * 8];
		struct sh_leaf l;
		char t[96];

		if (k > RUN)
			k = RUN;
		sh_walk_va(w, e, &l);
		if (!l.mapped || !sh->obs.phys_read(sh->obs.ctx, l.pa, buf, k * 8))
			return sh_fail(f, "page-array",
				       "entry %llu of the page array of the area "
				       "at 0x%llx (nested at 0x%llx): the reader "
				       "finds %s",
				       (unsigned long long)(first + done),
				       (unsigned long long)a->start,
				       (unsigned long long)a->array_va,
				       sh_leaf_text(&l, t, sizeof(t)));
		for (size_t j = 0; j < k; j++)
			out[done + j] = get_le64(buf + j * 8);
		done += k;
	}
	return 0;
}

/* vmalloc_to_pfn() is the library's own single walk: compared with the
 * reader at the first and last page and the first under each last-level
 * table (where a batched walk could go wrong). */
static bool pfn_sampled(const struct shadow *sh, const struct sh_area *a,
			uint64_t i, vaddr_t va)
{
	uint64_t tspan = 1ull << sh_pt_shift(&sh->pt, 2);

	return i == 0 || i + 1 == a->nr_pages || !(va & (tspan - 1));
}

static int check_page(struct shadow *sh, const struct sh_area *a, uint64_t i,
		      const struct sh_leaf *l, const struct sh_page_obs *lib,
		      pfn_t want, struct sh_fail *f)
{
	vaddr_t va = a->start + i * sh->page_size;
	int level = a->page_order ? 2 : 3; /* vmalloc_huge: PMD blocks */
	char t[96], u[96];
	struct sh_leaf ll;

	if (!l->mapped || l->level != level)
		return sh_fail(f, "walk",
			       "page %llu of the area [0x%llx, 0x%llx) at 0x%llx: "
			       "the reader finds %s, expected a level-%d leaf",
			       (unsigned long long)i,
			       (unsigned long long)a->start,
			       (unsigned long long)a->end,
			       (unsigned long long)va,
			       sh_leaf_text(l, t, sizeof(t)), level);
	snprintf(t, sizeof(t), "page %llu of the area at 0x%llx",
		 (unsigned long long)i, (unsigned long long)a->start);
	if (sh_walk_bare(l, va, t, f))
		return -1;
	memset(&ll, 0, sizeof(ll));
	ll.mapped = lib->mapped;
	ll.level = lib->level;
	ll.desc = lib->desc;
	ll.pa = lib->pa;
	if (lib->mapped != l->mapped || lib->level != l->level ||
	    lib->desc != l->desc || lib->pa != l->pa)
		return sh_fail(f, "walk-lib",
			       "0x%llx: the library's walk gives %s, the "
			       "shadow's reader %s",
			       (unsigned long long)va,
			       sh_leaf_text(&ll, u, sizeof(u)),
			       sh_leaf_text(l, t, sizeof(t)));
	if (pfn_sampled(sh, a, i, va)) {
		pfn_t got = sh->obs.vmalloc_pfn(sh->obs.ctx, va);

		if (got != l->pa >> sh->page_shift)
			return sh_fail(f, "walk-lib",
				       "vmalloc_to_pfn(0x%llx) = 0x%llx, the "
				       "shadow's reader finds pfn 0x%llx",
				       (unsigned long long)va,
				       (unsigned long long)got,
				       (unsigned long long)(l->pa >> sh->page_shift));
	}
	if (l->pa >> sh->page_shift != want)
		return sh_fail(f, "frame",
			       "page %llu of the area at 0x%llx (0x%llx) maps "
			       "pfn 0x%llx; the %s names pfn 0x%llx",
			       (unsigned long long)i,
			       (unsigned long long)a->start,
			       (unsigned long long)va,
			       (unsigned long long)(l->pa >> sh->page_shift),
			       sh_kind_caller_pages(a->kind) ?
				       "caller's page list" : "page array",
			       (unsigned long long)want);
	return 0;
}

int sh_walk_batch(struct shadow *sh, const struct sh_area *a, uint64_t i,
		  struct sh_page_obs *lib, struct sh_fail *f)
{
	size_t n = a->nr_pages - i < SH_PAGE_BATCH ? (size_t)(a->nr_pages - i)
						   : SH_PAGE_BATCH;

	if (i % SH_PAGE_BATCH)
		return 0;
	sh->obs.pages(sh->obs.ctx, a->start + (i << sh->page_shift), n, lib);
	return sh_walk_check_run(sh, a, i, n, lib, f);
}

int sh_walk_check_run(struct shadow *sh, const struct sh_area *a, uint64_t i,
		      size_t n, const struct sh_page_obs *lib,
		      struct sh_fail *f)
{
	bool caller = sh_kind_caller_pages(a->kind);
	struct sh_leaf leaf[RUN];
	pfn_t want[RUN];
	struct sh_walker w;
	vaddr_t va = a->start + i * sh->page_size;

	if (!reader_on(sh) || !n || (caller && !a->pfns) || n > RUN)
		return 0;
	sh_walker_of(sh, &w);
	if (caller)
		memcpy(want, a->pfns + i, n * sizeof(*want));
	else if (array_pfns(sh, &w, a, i, n, want, f))
		return -1;
	if (!a->page_order) {
		/* The common case: each word in RAM is the page descriptor
		 * pfn | prot of the frame the array names; the leaves follow
		 * without decoding (a mismatch: the full walk below). */
		uint64_t wd[RUN];

		for (size_t k = 0; k < n; k++)
			wd[k] = (want[k] << sh->page_shift) | a->prot;
		size_t k = sh_walk_match(&w, va, n, wd, 0, 0) == n ? 0 : n + 1;

		/* Then lib's views must be those leaves (check_page's
		 * comparisons, without building the leaves). */
		for (; k < n; k++) {
			vaddr_t pva = va + k * sh->page_size;

			if (!lib[k].mapped || lib[k].level != 3 ||
			    lib[k].desc != wd[k] ||
			    lib[k].pa != want[k] << sh->page_shift ||
			    (pfn_sampled(sh, a, i + k, pva) &&
			     sh->obs.vmalloc_pfn(sh->obs.ctx, pva) != want[k]))
				break;
		}
		if (k == n)
			return 0;
	}
	/* Something differs: the full walk names it. */
	sh_walk_pages(&w, va, n, leaf);
	for (size_t k = 0; k < n; k++)
		if (check_page(sh, a, i + k, &leaf[k], &lib[k], want[k], f))
			return -1;
	return 0;
}

/* The frame the model expects under page i of a, if it knows it. */
static bool expected_pfn(const struct sh_area *a, uint64_t i, pfn_t *pfn)
{
	if (!a->pfns || (!sh_kind_caller_pages(a->kind) && !a->pfns_known) ||
	    i >= a->nr_pages)
		return false;
	*pfn = a->pfns[i];
	return true;
}

int sh_walk_check_access(struct shadow *sh, const struct sh_area *a,
			 const struct sh_access *x, struct sh_fail *f)
{
	uint64_t i = (x->va - a->start) >> sh->page_shift;
	struct sh_walker w;
	struct sh_leaf l;
	pfn_t want;
	char t[96];

	if (!reader_on(sh) || !expected_pfn(a, i, &want))
		return 0;
	if (x->res.pa >> sh->page_shift != want ||
	    (x->res.pa & (sh->page_size - 1)) != (x->va & (sh->page_size - 1)))
		return sh_fail(f, "frame",
			       "EL%d %s at 0x%llx went to pa 0x%llx; page %llu of "
			       "the area at 0x%llx is pfn 0x%llx",
			       x->el, x->acc == ACC_WRITE ? "write" : "read",
			       (unsigned long long)x->va,
			       (unsigned long long)x->res.pa,
			       (unsigned long long)i,
			       (unsigned long long)a->start,
			       (unsigned long long)want);
	sh_walker_of(sh, &w);
	sh_walk_va(&w, x->va, &l);
	if (!l.mapped || l.level != (a->page_order ? 2 : 3) ||
	    l.pa != x->res.pa)
		return sh_fail(f, "walk",
			       "EL%d access at 0x%llx went to pa 0x%llx; the "
			       "shadow's reader finds %s",
			       x->el, (unsigned long long)x->va,
			       (unsigned long long)x->res.pa,
			       sh_leaf_text(&l, t, sizeof(t)));
	return 0;
}

bool sh_first_mapped(struct shadow *sh, vaddr_t start, vaddr_t end,
		     vaddr_t *first)
{
	struct sh_walker w;

	if (!reader_on(sh))
		return sh->obs.first_mapped &&
		       sh->obs.first_mapped(sh->obs.ctx, start, end, first);
	sh_walker_of(sh, &w);
	return sh_walk_first_mapped(&w, start, end, first);
}

phys_addr_t sh_mapped_pa(struct shadow *sh, vaddr_t va)
{
	struct sh_page_obs po;
	struct sh_walker w;
	struct sh_leaf l;

	if (!reader_on(sh)) {
		sh->obs.page(sh->obs.ctx, va, &po);
		return po.mapped ? po.pa : 0;
	}
	sh_walker_of(sh, &w);
	sh_walk_va(&w, va, &l);
	return l.mapped ? l.pa : 0;
}

int sh_walk_check_to_page(struct shadow *sh, vaddr_t va, int level,
			  bool found, pfn_t pfn, pfn_t want, struct sh_fail *f)
{
	struct sh_walker w;
	struct sh_leaf l;
	char t[96];

	if (!reader_on(sh))
		return 0;
	sh_walker_of(sh, &w);
	sh_walk_va(&w, va, &l);
	if (!l.mapped || l.level != level || l.pa >> sh->page_shift != want)
		return sh_fail(f, "frame",
			       "vmalloc_to_page(0x%llx): the shadow's reader "
			       "finds %s, the model's frame is pfn 0x%llx",
			       (unsigned long long)va, sh_leaf_text(&l, t, sizeof(t)),
			       (unsigned long long)want);
	if (!found || pfn != want)
		return sh_fail(f, "walk-lib",
			       "vmalloc_to_page(0x%llx) gave %s0x%llx; the "
			       "shadow's reader finds pfn 0x%llx",
			       (unsigned long long)va, found ? "pfn " : "nothing ",
			       (unsigned long long)(found ? pfn : 0),
			       (unsigned long long)want);
	return 0;
}
