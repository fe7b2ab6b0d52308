/* Every area a command could have changed, verified after the command, at
 * a cost that follows the change (issue 12, item 5).
 *
 * The command's pending entries (shadow_model.h) name what it touched:
 * areas it created (SH_P_NEW_AREA, SH_P_NEW_IOMAP), freed lazily or
 * deferred (SH_P_VM_CHANGED), unmapped (SH_P_UNMAPPED), areas a purge
 * released (SH_P_RELEASED), vmap block carves (SH_P_NEW_CARVE: their
 * block). From them, after the command's other checks:
 *
 *  - each touched area still busy in the model: the library's area at its
 *    start has the same bounds and state (`area`); its predecessor and
 *    successor on the library's busy list are the model's (`busy-order`);
 *    a live mapped area that is not new has every PTE equal to its page
 *    array, and an unmapped guard page (`mapping`);
 *  - each released area: the library holds nothing there (`area`), and
 *    the model's areas on either side of the gap are neighbours on the
 *    library's list (`busy-order`);
 *  - the other areas' pages under the last-level tables the command
 *    changed (the edges of every range it mapped or unmapped): PTEs equal
 *    to their page arrays (`mapping`);
 *  - the ownership balance: frames per owner kind (vmalloc, vmap,
 *    fragment, page table; none of any other kind) against the library's
 *    counters (`owner-balance`), O(1).
 *
 * What stays for OP_CHECK (shadow_check_full, vm_check): the whole busy
 * list, every area's vm_struct, /proc/vmallocinfo, the frame recount, and
 * at the first and the last one the check sweep (every live carve's and
 * every live mapped area's PTEs, read by the shadow's reader).
 *
 * Invariants: the touched set is rebuilt per command from the pending
 * entries (no state carries over); owned[] is the model's count since
 * the reset, changed only where the model takes or gives frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/page_alloc.h>

#include "shadow_model.h"
#include "shadow_walk.h"
#include "shadow_vminfo.h"

_Static_assert(OWNER_NR <= SH_OWNER_SLOTS, "sh_counters.owned too small");

int sh_ver_init(struct sh_verify *v)
{
	v->touch = malloc(SH_MAX_PENDING * sizeof(*v->touch));
	v->touch_cap = v->touch ? SH_MAX_PENDING : 0;
	sh_ver_reset(v);
	return v->touch ? 0 : -1;
}

void sh_ver_reset(struct sh_verify *v)
{
	memset(v->owned, 0, sizeof(v->owned));
}

void sh_ver_free(struct sh_verify *v)
{
	free(v->touch);
	v->touch = NULL;
	v->touch_cap = 0;
}

void sh_ver_owned(struct shadow *sh, unsigned owner, int64_t delta)
{
	if (owner < 4)
		sh->ver.owned[owner] += delta;
}

/* ---- the harness's own pages ---------------------------------------------- */

int shadow_harness_page_alloc(struct shadow *sh, enum sh_owner owner,
			      bool got, pfn_t pfn, struct sh_fail *f)
{
	int n = sh_should_fail(sh, FAULT_PAGE_ALLOC) ?
			-1 :
			sh_phys_take(sh, NUMA_NO_NODE, __GFP_NOWARN);

	if ((n >= 0) != got)
		return sh_fail(f, "pages",
			       "the harness's page allocation %s, expected it "
			       "to %s",
			       got ? "succeeded" : "failed",
			       n >= 0 ? "succeed" : "fail");
	if (!got)
		return 0;
	if (sh_phys_node_of(&sh->phys, pfn) != n)
		return sh_fail(f, "pages",
			       "the harness got pfn 0x%llx from node %d, "
			       "expected node %d",
			       (unsigned long long)pfn,
			       sh_phys_node_of(&sh->phys, pfn), n);
	if (sh_phys_owner(&sh->phys, pfn) != SH_OWN_NONE)
		return sh_fail(f, "phys-owner",
			       "the buddy handed pfn 0x%llx to the harness "
			       "while it is still owned",
			       (unsigned long long)pfn);
	sh_phys_set_owner(&sh->phys, pfn, (uint8_t)owner);
	sh_ver_owned(sh, owner, 1);
	return 0;
}

int shadow_harness_page_free(struct shadow *sh, pfn_t pfn, struct sh_fail *f)
{
	(void)f;
	sh_ver_owned(sh, sh_phys_owner(&sh->phys, pfn), -1);
	sh_phys_give(sh, pfn);
	return 0;
}

/* ---- the ownership balance -------------------------------------------------- */

static int check_owned(struct shadow *sh, const struct sh_counters *o,
		       struct sh_fail *f)
{
	const struct {
		unsigned lib, sh;
		const char *name;
	} kinds[] = {
		{ OWNER_VMALLOC, SH_OWN_VMALLOC, "vmalloc" },
		{ OWNER_VMAP, SH_OWN_VMAP, "vmap" },
		{ OWNER_FRAG, SH_OWN_FRAG, "fragment" },
	};
	uint64_t other = o->owned[OWNER_NONE] + o->owned[OWNER_ANY] +
			 o->owned[OWNER_TEST];

	if (!o->have_owned)
		return 0; /* an observer without the counters (unit tests) */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (o->owned[kinds[k].lib] != (uint64_t)sh->ver.owned[kinds[k].sh])
			return sh_fail(f, "owner-balance",
				       "frames owned by %s: expected %lld, the "
				       "library counts %llu",
				       kinds[k].name,
				       (long long)sh->ver.owned[kinds[k].sh],
				       (unsigned long long)o->owned[kinds[k].lib]);
	if (o->owned[OWNER_PGTABLE] != sh->pt.pages)
		return sh_fail(f, "owner-balance",
			       "frames owned by page tables: expected %llu, the "
			       "library counts %llu",
			       (unsigned long long)sh->pt.pages,
			       (unsigned long long)o->owned[OWNER_PGTABLE]);
	if (other)
		return sh_fail(f, "owner-balance",
			       "%llu allocated frames with no vmalloc owner "
			       "(none, any, test), expected none",
			       (unsigned long long)other);
	return 0;
}

/* ---- PTEs against the page array ----------------------------------------- */

/* Areas whose pages the model knows frame by frame. */
static bool has_page_array(const struct sh_area *a)
{
	if (a->kind == SHK_VMALLOC || a->kind == SHK_ARRAY)
		return a->pfns && a->pfns_known;
	return sh_kind_caller_pages(a->kind) && a->pfns;
}

/* Pages [first, first + nr) of a each a level-3 page descriptor pfn |
 * prot with the pfn of the page array, word for word. */
static bool verify_ptes_fast(struct shadow *sh, const struct sh_walker *w,
			     const struct sh_area *a, uint64_t first,
			     uint64_t nr)
{
	uint64_t want[SH_PAGE_BATCH];

	for (uint64_t k = 0; k < nr; k += SH_PAGE_BATCH) {
		size_t n = nr - k < SH_PAGE_BATCH ? (size_t)(nr - k) :
						    SH_PAGE_BATCH;

		for (size_t j = 0; j < n; j++)
			want[j] = ((uint64_t)a->pfns[first + k + j]
				   << sh->page_shift) | a->prot;
		if (sh_walk_match(w, a->start + (first + k) * sh->page_size, n,
				  want, 0, 0) != n)
			return false;
	}
	return true;
}

int sh_verify_ptes(struct shadow *sh, const struct sh_area *a, uint64_t first,
		   uint64_t nr, const char *why, struct sh_fail *f)
{
	struct sh_page_obs batch[SH_PAGE_BATCH];
	struct sh_leaf leaf[SH_PAGE_BATCH];
	struct sh_walker w;
	/* The shadow's own reader (shadow_walk.c) when the observer gives
	 * RAM and the root; unit-test observers without them: the
	 * library's page views. */
	bool own = sh->obs.ttbr1 && sh->obs.phys_read;
	uint64_t ps = sh->page_size;

	if (own) {
		sh_walker_of(sh, &w);
		/* The common case first: every word in RAM is the expected
		 * descriptor (one compare a page); else the walk below finds
		 * the first that is not, for the report. */
		if (!a->page_order && verify_ptes_fast(sh, &w, a, first, nr))
			return 0;
	}
	for (uint64_t k = 0; k < nr; k++) {
		uint64_t i = first + k;
		vaddr_t va = a->start + i * ps;
		size_t b = (size_t)(k % SH_PAGE_BATCH);
		uint64_t want = ((uint64_t)a->pfns[i] << sh->page_shift) | a->prot;
		int want_level = 3;
		bool mapped;
		int level;
		uint64_t desc;

		if (a->page_order) { /* vmalloc_huge: its step's PMD block */
			pfn_t p0 = a->pfns[i & ~((1ull << a->page_order) - 1)];

			want = ((uint64_t)p0 << sh->page_shift) |
			       (a->prot & ~PTE_TABLE_BIT) | PTE_TYPE_BLOCK;
			want_level = 2;
		}

		if (b == 0) {
			size_t n = nr - k < SH_PAGE_BATCH ? (size_t)(nr - k) :
							    SH_PAGE_BATCH;

			if (own)
				sh_walk_pages(&w, va, n, leaf);
			else
				sh->obs.pages(sh->obs.ctx, va, n, batch);
		}
		if (own && sh_walk_bare(&leaf[b], va, why, f))
			return -1;
		mapped = own ? leaf[b].mapped : batch[b].mapped;
		level = own ? leaf[b].level : batch[b].level;
		desc = own ? leaf[b].desc : batch[b].desc;
		if (!mapped || level != want_level || desc != want)
			return sh_fail(f, "mapping",
				       "page %llu at 0x%llx of the live area "
				       "[0x%llx, 0x%llx) (%s): %s level %d "
				       "descriptor 0x%016llx (%s), its page "
				       "array says 0x%016llx",
				       (unsigned long long)i,
				       (unsigned long long)va,
				       (unsigned long long)a->start,
				       (unsigned long long)a->end, why,
				       mapped ? "mapped" : "unmapped", level,
				       (unsigned long long)desc,
				       own ? "the shadow's reader" :
					     "the library's walk",
				       (unsigned long long)want);
	}
	return 0;
}

/* Pages of other live areas a command could have written by running past
 * the leaves it meant to write: the SH_EDGE_PAGES pages of mapped areas
 * nearest to [s, e) on either side, inside the last-level tables the
 * command wrote to (an off-by-some write lands there; the cost stays
 * flat whatever the tables hold). */
#define SH_EDGE_PAGES 8

/* A run of pages of one area that verify_side checks: PTEs equal to its
 * page array, or (a get_vm_area reservation) nothing mapped. */
struct edge_piece {
	const struct sh_area *a;
	uint64_t first, nr;
	bool empty;
};

/* A live reservation: nothing of it is ever mapped by the library. */
static bool is_reservation(const struct sh_area *a)
{
	return a->state == SH_LIVE && a->kind == SHK_VMAREA && !a->iomap &&
	       !a->mapped;
}

static int empty_piece_fail(struct shadow *sh, const struct edge_piece *p,
			    struct sh_fail *f)
{
	vaddr_t s = p->a->start + p->first * sh->page_size, first;

	if (!sh_first_mapped(sh, s, s + p->nr * sh->page_size, &first))
		return 0;
	return sh_fail(f, "mapping",
		       "0x%llx in %s [0x%llx, 0x%llx) is mapped (next to a "
		       "range the command mapped or unmapped)",
		       (unsigned long long)first,
		       p->a->kind == SHK_VMRAM ? "the unused tail of the carve"
					       : "the reserved area",
		       (unsigned long long)p->a->start,
		       (unsigned long long)p->a->end);
}

#define SH_EDGE_SPAN 512 /* words read at once for the pieces of a side */

/* The pieces of one side: their words read in one piece by the shadow's
 * reader and compared with pfn | prot; a piece that differs (or a side
 * the reader cannot read at once) goes through sh_verify_ptes, which
 * names the page. */
static int verify_pieces(struct shadow *sh, const struct edge_piece *p,
			 size_t np, struct sh_fail *f)
{
	static const char why[] =
		"next to a range the command mapped or unmapped";
	uint64_t ps = sh->page_size, words[SH_EDGE_SPAN];
	vaddr_t lo = ~0ull, hi = 0;
	bool fast = sh->obs.ttbr1 && sh->obs.phys_read;
	struct sh_walker w;

	for (size_t k = 0; k < np; k++) {
		vaddr_t s = p[k].a->start + p[k].first * ps;

		lo = s < lo ? s : lo;
		hi = s + p[k].nr * ps > hi ? s + p[k].nr * ps : hi;
		fast = fast && !p[k].a->page_order;
	}
	if (np && fast && (hi - lo) / ps <= SH_EDGE_SPAN) {
		sh_walker_of(sh, &w);
		fast = sh_walk_words(&w, lo, (size_t)((hi - lo) / ps), words) ==
		       (size_t)((hi - lo) / ps);
	} else {
		fast = false;
	}
	for (size_t k = 0; k < np; k++) {
		const struct sh_area *a = p[k].a;
		bool same = fast;

		for (uint64_t j = 0; same && j < p[k].nr; j++) {
			uint64_t i = p[k].first + j;
			uint64_t x = (a->start + i * ps - lo) / ps;

			same = p[k].empty ? !(words[x] & 1) :
			       words[x] == (((uint64_t)a->pfns[i]
					     << sh->page_shift) | a->prot);
		}
		if (same)
			continue;
		if (p[k].empty ? empty_piece_fail(sh, &p[k], f) :
				 sh_verify_ptes(sh, a, p[k].first, p[k].nr, why, f))
			return -1;
	}
	return 0;
}

/* The carves of a live vmap block inside [ws, we), nearest to the written
 * range first: each carve's mapped pages against the caller's pfns | prot
 * (the block area itself has no page array), and the rest of its
 * power-of-two carve (vb_alloc rounds count up) unmapped. */
static void carve_pieces(struct shadow *sh, const struct sh_area *blk,
			 vaddr_t ws, vaddr_t we, bool below, uint64_t *budget,
			 struct edge_piece *p, size_t *np)
{
	uint64_t ps = sh->page_size;
	const struct sh_area *c;
	size_t cur = 0;

	ws = blk->start > ws ? blk->start : ws;
	we = blk->end < we ? blk->end : we;
	while (*budget && (c = sh_vb_carve_next(sh, ws, we, below, &cur))) {
		vaddr_t data_end = c->start + c->nr_pages * ps;

		/* the mapped pages and the tail, the nearer one first */
		for (int k = 0; k < 2 && *budget; k++) {
			bool tail = below ? k == 0 : k == 1;
			vaddr_t s = tail ? data_end : c->start;
			vaddr_t e = tail ? c->end : data_end;

			s = s > ws ? s : ws;
			e = e < we ? e : we;
			if (e <= s || (!tail && !c->pfns))
				continue;
			if ((e - s) / ps > *budget) {
				if (below)
					s = e - *budget * ps;
				else
					e = s + *budget * ps;
			}
			*budget -= (e - s) / ps;
			p[*np].a = c;
			p[*np].empty = tail;
			p[*np].first = (s - c->start) / ps;
			p[(*np)++].nr = (e - s) / ps;
		}
	}
}

static int verify_side(struct shadow *sh, vaddr_t ws, vaddr_t we, bool below,
		       struct sh_fail *f)
{
	uint64_t ps = sh->page_size, budget = SH_EDGE_PAGES;
	size_t i = sh_busy_lower(&sh->busy, below ? we : ws), np = 0;
	struct edge_piece p[SH_EDGE_PAGES];

	if (below) {
		/* areas ending at or below we, nearest first */
		while (i > 0 && budget) {
			const struct sh_area *a = &sh->busy.a[--i];
			vaddr_t data_end = a->start + a->nr_pages * ps, s, e;

			if (a->end <= ws)
				break;
			if (a->kind == SHK_VBLOCK && a->state == SH_LIVE) {
				carve_pieces(sh, a, ws, we, true, &budget, p, &np);
				continue;
			}
			if (is_reservation(a))
				data_end = a->end;
			else if (a->state == SH_LAZY || !a->mapped ||
				 !has_page_array(a))
				continue;
			e = data_end < we ? data_end : we;
			s = a->start > ws ? a->start : ws;
			if (e <= s)
				continue;
			if ((e - s) / ps > budget)
				s = e - budget * ps;
			budget -= (e - s) / ps;
			p[np].a = a;
			p[np].empty = is_reservation(a);
			p[np].first = (s - a->start) / ps;
			p[np++].nr = (e - s) / ps;
		}
		return verify_pieces(sh, p, np, f);
	}
	if (i > 0 && sh->busy.a[i - 1].end > ws)
		i--;
	for (; i < sh->busy.n && sh->busy.a[i].start < we && budget; i++) {
		const struct sh_area *a = &sh->busy.a[i];
		vaddr_t data_end = a->start + a->nr_pages * ps, s, e;

		if (a->kind == SHK_VBLOCK && a->state == SH_LIVE) {
			carve_pieces(sh, a, ws, we, false, &budget, p, &np);
			continue;
		}
		if (is_reservation(a))
			data_end = a->end;
		else if (a->state == SH_LAZY || !a->mapped ||
			 !has_page_array(a))
			continue;
		s = a->start > ws ? a->start : ws;
		e = data_end < we ? data_end : we;
		if (e <= s)
			continue;
		if ((e - s) / ps > budget)
			e = s + budget * ps;
		budget -= (e - s) / ps;
		p[np].a = a;
		p[np].empty = is_reservation(a);
		p[np].first = (s - a->start) / ps;
		p[np++].nr = (e - s) / ps;
	}
	return verify_pieces(sh, p, np, f);
}

/* The command wrote leaves of [s, e): the other areas' pages beside it in
 * the first and the last last-level table it wrote to. */
static int verify_table_edges(struct shadow *sh, vaddr_t s, vaddr_t e,
			      struct sh_fail *f)
{
	uint64_t span = 1ull << sh_pt_shift(&sh->pt, 2);
	vaddr_t lo = s & ~(span - 1), hi = (e + span - 1) & ~(span - 1);

	if (e <= s)
		return 0;
	if (hi < e)
		hi = e; /* the top of the address space */
	if (verify_side(sh, lo, s, true, f))
		return -1;
	return verify_side(sh, e, hi, false, f);
}

/* ---- bounds, state, list order ----------------------------------------------- */

static const char *st_name(unsigned st)
{
	return st == SH_LIVE ? "live" : st == SH_LAZY ? "lazy" :
	       st == SH_DEFERRED ? "deferred" : "?";
}

/* The model's area idx against the library's area at its start: bounds
 * and state (unless the caller compared them already), and its busy-list
 * neighbours. One tree lookup. */
static int verify_links(struct shadow *sh, size_t idx, bool bounds,
			struct sh_fail *f)
{
	const struct sh_area *a = &sh->busy.a[idx];
	vaddr_t want_prev = idx > 0 ? sh->busy.a[idx - 1].start : 0;
	vaddr_t want_next = idx + 1 < sh->busy.n ? sh->busy.a[idx + 1].start : 0;
	struct sh_area_link l;

	if (!sh->obs.area_links)
		return 0; /* an observer without the list (unit tests) */
	memset(&l, 0, sizeof(l));
	if (!sh->obs.area_links(sh->obs.ctx, a->start, &l) ||
	    (bounds && (l.start != a->start || l.end != a->end ||
			l.state != (enum sh_state)a->state)))
		return sh_fail(f, "area",
			       "touched area: expected [0x%llx, 0x%llx) %s, "
			       "the library has %s[0x%llx, 0x%llx) %s",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end, st_name(a->state),
			       l.end ? "" : "nothing ",
			       (unsigned long long)l.start,
			       (unsigned long long)l.end, st_name(l.state));
	if (l.prev != want_prev || l.next != want_next)
		return sh_fail(f, "busy-order",
			       "busy area [0x%llx, 0x%llx): on the library's "
			       "list between 0x%llx and 0x%llx, expected "
			       "between 0x%llx and 0x%llx (0: the list's end)",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end,
			       (unsigned long long)l.prev,
			       (unsigned long long)l.next,
			       (unsigned long long)want_prev,
			       (unsigned long long)want_next);
	return 0;
}

/* A busy area that is not new: a live or deferred mapped one has every
 * PTE equal to its page array and its guard page unmapped (a lazy one
 * was checked by `unmap` when freed). why: "touched", or the sweep's. */
static int verify_area_pages(struct shadow *sh, const struct sh_area *a,
			     const char *why, struct sh_fail *f)
{
	if (a->state == SH_LAZY || !a->mapped || !has_page_array(a))
		return 0;
	if (sh_verify_ptes(sh, a, 0, a->nr_pages, why, f))
		return -1;
	if (a->flags & SH_VM_NO_GUARD)
		return 0;
	if (sh_first_mapped(sh, a->end - sh->page_size, a->end, NULL))
		return sh_fail(f, "mapping",
			       "guard page 0x%llx of the %s area [0x%llx, "
			       "0x%llx) is mapped",
			       (unsigned long long)(a->end - sh->page_size),
			       why, (unsigned long long)a->start,
			       (unsigned long long)a->end);
	return 0;
}

static int verify_area(struct shadow *sh, size_t idx, bool is_new,
		       struct sh_fail *f)
{
	/* new: verify_new_area compared its bounds, PTEs and frames */
	if (verify_links(sh, idx, !is_new, f))
		return -1;
	return is_new ? 0 : verify_area_pages(sh, &sh->busy.a[idx], "touched", f);
}

/* The model holds no area at start (a purge released it): nor may the
 * library, and the areas on either side are list neighbours. */
static int verify_gap(struct shadow *sh, vaddr_t start, struct sh_fail *f)
{
	struct sh_area_link l;
	size_t i = sh_busy_lower(&sh->busy, start);

	if (!sh->obs.area_links)
		return 0;
	memset(&l, 0, sizeof(l));
	if (sh->obs.area_links(sh->obs.ctx, start, &l))
		return sh_fail(f, "area",
			       "the area at 0x%llx was released, the library "
			       "still has [0x%llx, 0x%llx) %s",
			       (unsigned long long)start,
			       (unsigned long long)l.start,
			       (unsigned long long)l.end, st_name(l.state));
	if (i > 0 && verify_links(sh, i - 1, true, f))
		return -1;
	return i < sh->busy.n ? verify_links(sh, i, true, f) : 0;
}

/* ---- the touched set -------------------------------------------------------- */

static int by_start(const void *x, const void *y)
{
	const struct sh_touch *a = x, *b = y;

	return (a->start > b->start) - (a->start < b->start);
}

static void touch(struct shadow *sh, size_t *n, vaddr_t start, bool is_new)
{
	if (*n < sh->ver.touch_cap) {
		sh->ver.touch[*n].start = start;
		sh->ver.touch[*n].is_new = is_new;
		++*n;
	}
}

static size_t collect(struct shadow *sh)
{
	size_t n = 0;

	for (size_t i = 0; i < sh->nr_pending; i++) {
		const struct sh_pending *p = &sh->pending[i];
		const struct sh_area *blk;

		switch (p->kind) {
		case SH_P_NEW_AREA:
		case SH_P_NEW_IOMAP:
			touch(sh, &n, p->start, true);
			break;
		case SH_P_VM_CHANGED:
		case SH_P_UNMAPPED:
		case SH_P_RELEASED:
			touch(sh, &n, p->start, false);
			break;
		case SH_P_NEW_CARVE:
			blk = sh_busy_containing(&sh->busy, p->start);
			if (blk)
				touch(sh, &n, blk->start, false);
			break;
		default:
			break;
		}
	}
	/* Most commands touch one or two areas: qsort's call overhead was
	 * a measurable share of a small command's check (perf). */
	if (n > 16) {
		qsort(sh->ver.touch, n, sizeof(*sh->ver.touch), by_start);
		return n;
	}
	for (size_t i = 1; i < n; i++) {
		struct sh_touch t = sh->ver.touch[i];
		size_t j = i;

		for (; j > 0 && sh->ver.touch[j - 1].start > t.start; j--)
			sh->ver.touch[j] = sh->ver.touch[j - 1];
		sh->ver.touch[j] = t;
	}
	return n;
}

int sh_verify_touched(struct shadow *sh, const struct sh_counters *o,
		      struct sh_fail *f)
{
	size_t n;

	if (check_owned(sh, o, f))
		return -1;
	if (!sh->initialized || sh->pending_overflow)
		return 0; /* early areas live outside the busy list */
	n = collect(sh);
	for (size_t k = 0; k < n; k++) {
		vaddr_t s = sh->ver.touch[k].start;
		bool is_new = sh->ver.touch[k].is_new;
		const struct sh_area *a;

		/* One visit per address: a new area's entry decides. */
		while (k + 1 < n && sh->ver.touch[k + 1].start == s)
			is_new |= sh->ver.touch[++k].is_new;
		a = sh_busy_containing(&sh->busy, s);
		if (!a) {
			if (verify_gap(sh, s, f))
				return -1;
			continue;
		}
		if (a->start != s && k > 0 && sh->ver.touch[k - 1].start >= a->start)
			continue; /* that area was verified already */
		if (verify_area(sh, (size_t)(a - sh->busy.a),
				is_new && a->start == s, f))
			return -1;
	}
	for (size_t i = 0; i < sh->nr_pending; i++) {
		const struct sh_pending *p = &sh->pending[i];
		const struct sh_area *a;

		if (p->kind == SH_P_UNMAPPED &&
		    verify_table_edges(sh, p->start, p->end, f))
			return -1;
		/* a new carve: the carves beside it in its tables */
		if (p->kind == SH_P_NEW_CARVE && p->end > p->start &&
		    verify_table_edges(sh, p->start, p->end, f))
			return -1;
		if (p->kind != SH_P_NEW_AREA)
			continue;
		a = sh_busy_find(&sh->busy, p->start);
		if (a && a->state == SH_LIVE && a->mapped &&
		    verify_table_edges(sh, a->start,
				       a->start + a->nr_pages * sh->page_size, f))
			return -1;
	}
	return 0;
}

/* ---- OP_CHECK: the whole busy list ------------------------------------------ */

/* Nothing is mapped in the window outside the busy areas: 4.19 unmaps an
 * area when it is freed (lazy areas stay busy until the purge), so a
 * leaf in a hole is a stray write no touched-area check was near. The
 * cost follows the tables, not the holes' size. */
static int check_holes(struct shadow *sh, struct sh_fail *f)
{
	vaddr_t lo = sh->vm_start, first;

	if (!sh->initialized)
		return 0;
	for (size_t i = 0; i <= sh->busy.n; i++) {
		vaddr_t hi = i < sh->busy.n ? sh->busy.a[i].start : sh->vm_end;

		if (hi > lo && sh_first_mapped(sh, lo, hi, &first))
			return sh_fail(f, "mapping",
				       "0x%llx is mapped in the hole [0x%llx, "
				       "0x%llx) between busy areas",
				       (unsigned long long)first,
				       (unsigned long long)lo,
				       (unsigned long long)hi);
		if (i < sh->busy.n && sh->busy.a[i].end > lo)
			lo = sh->busy.a[i].end;
	}
	return 0;
}

/* The first and the last OP_CHECK: the shadow's reader over every live
 * vm_map_ram carve (its pages against the caller's pfns | prot, its unused
 * tail unmapped: what a carve's creation checked), then every live mapped
 * area with a page array (verify_area_pages: what a touched area gets;
 * the model's frames, not lib's vm->pages, which vm_check uses). A PTE
 * rewritten far from any command's range is seen here. */
static bool sweep_words_match(struct shadow *sh, const struct sh_walker *w,
			      const struct sh_area *a)
{
	uint64_t ps = sh->page_size, words[SH_EDGE_SPAN];
	uint64_t nr = a->nr_pages, total;

	/* the data pages, then the guard page right after them */
	total = nr + !(a->flags & SH_VM_NO_GUARD);
	if (a->page_order || (total > nr && a->start + total * ps != a->end))
		return false;
	for (uint64_t k = 0; k < total; k += SH_EDGE_SPAN) {
		size_t n = total - k < SH_EDGE_SPAN ? (size_t)(total - k) :
						      SH_EDGE_SPAN;

		if (sh_walk_words(w, a->start + k * ps, n, words) != n)
			return false;
		for (size_t j = 0; j < n; j++) {
			uint64_t i = k + j;
			uint64_t want = i < nr ? ((uint64_t)a->pfns[i]
						  << sh->page_shift) | a->prot : 0;

			if (i < nr ? words[j] != want || (want & 3) != 3 :
				     (words[j] & 1) != 0)
				return false;
		}
	}
	return true;
}

static int check_sweep(struct shadow *sh, struct sh_fail *f)
{
	bool reader = sh->obs.ttbr1 && sh->obs.phys_read;
	struct sh_walker w;

	if (sh_vb_sweep_carves(sh, f))
		return -1;
	if (reader)
		sh_walker_of(sh, &w);
	for (size_t i = 0; i < sh->busy.n; i++) {
		const struct sh_area *a = &sh->busy.a[i];

		/* The common case in one read of the reader's words per
		 * area (its PTEs and its guard page); anything else, or no
		 * reader: verify_area_pages decides and names the page. */
		if (a->state == SH_LAZY || !a->mapped || !has_page_array(a) ||
		    (reader && sweep_words_match(sh, &w, a)))
			continue;
		if (verify_area_pages(sh, a, "live at check", f))
			return -1;
	}
	return 0;
}

int shadow_check_full(struct shadow *sh, const struct sh_area_obs *areas,
		      size_t n, bool full, struct sh_fail *f)
{
	size_t i;

	/* The library's own list first: sorted, nothing overlapping. */
	for (i = 1; i < n; i++)
		if (areas[i].start < areas[i - 1].end ||
		    areas[i].start >= areas[i].end)
			return sh_fail(f, "overlap",
				       "busy areas %zu [0x%llx, 0x%llx) and %zu "
				       "[0x%llx, 0x%llx) overlap or are out of "
				       "order",
				       i - 1, (unsigned long long)areas[i - 1].start,
				       (unsigned long long)areas[i - 1].end, i,
				       (unsigned long long)areas[i].start,
				       (unsigned long long)areas[i].end);
	for (i = 0; i < n && i < sh->busy.n; i++) {
		const struct sh_area *a = &sh->busy.a[i];

		if (areas[i].start != a->start || areas[i].end != a->end ||
		    areas[i].state != (enum sh_state)a->state)
			return sh_fail(f, "busy-list",
				       "busy area %zu: expected [0x%llx, 0x%llx) "
				       "%s, library [0x%llx, 0x%llx) %s",
				       i, (unsigned long long)a->start,
				       (unsigned long long)a->end,
				       st_name(a->state),
				       (unsigned long long)areas[i].start,
				       (unsigned long long)areas[i].end,
				       st_name(areas[i].state));
	}
	if (n != sh->busy.n) {
		if (i < sh->busy.n)
			return sh_fail(f, "busy-list",
				       "the library has %zu busy areas, expected "
				       "%zu; first missing [0x%llx, 0x%llx) %s",
				       n, sh->busy.n,
				       (unsigned long long)sh->busy.a[i].start,
				       (unsigned long long)sh->busy.a[i].end,
				       st_name(sh->busy.a[i].state));
		return sh_fail(f, "busy-list",
			       "the library has %zu busy areas, expected %zu; "
			       "first extra [0x%llx, 0x%llx) %s",
			       n, sh->busy.n, (unsigned long long)areas[i].start,
			       (unsigned long long)areas[i].end,
			       st_name(areas[i].state));
	}
	for (i = 0; i < n; i++)
		if (sh_vm_compare(sh, &sh->busy.a[i], &areas[i], "check", f))
			return -1;
	if (check_holes(sh, f))
		return -1;
	return full && sh->initialized ? check_sweep(sh, f) : 0;
}
