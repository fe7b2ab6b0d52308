/* fuzz_buddy's checker probes: each breaks one invariant that
 * page_alloc_check() documents (enum bz_corrupt, buddy_fuzz.h), runs the
 * checker, and puts the exact bytes back. State-neutral. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy_fuzz.h"

/* ---- checker sensitivity ------------------------------------------------ */

static const char *const bz_corrupt_name[BZ_NR_CORRUPT] = {
	"free-order",     "free-not-buddy", "free-alloc-mark", "free-next-out",
	"free-next-loop", "free-next-cut",  "free-prev",       "nr-free",
	"node-free",      "free-mask",      "list-head",       "alloc-order",
	"alloc-unmark",   "tail-unmark",    "tail-mark",  "free-frame-mark",
	"split",          "double",         "misalign",        "other-node",
	"node-shrink",
};

#define BZ_SAVE_MAX 16

/* The bytes a probe changes, to put back exactly. */
struct bz_saved {
	uint32_t nr;
	uint32_t idx[BZ_SAVE_MAX];
	struct page pg[BZ_SAVE_MAX];
	struct pglist_data node[VMF_MAX_NODES];
};

static void bz_save(struct bz_saved *sv, const struct bz *s, uint32_t idx)
{
	for (uint32_t i = 0; i < sv->nr; i++)
		if (sv->idx[i] == idx)
			return; /* the first copy is the original */
	if (sv->nr == BZ_SAVE_MAX)
		abort(); /* a probe touches at most 7 descriptors */
	sv->idx[sv->nr] = idx;
	sv->pg[sv->nr] = s->m->phys.pages[idx];
	sv->nr++;
}

/* Free-list surgery on the raw structures (not the library's helpers),
 * every descriptor saved before it changes. */
static void bz_list_del(struct bz_saved *sv, struct bz *s, unsigned n,
			unsigned k, uint32_t idx)
{
	struct phys_mem *p = &s->m->phys;
	struct pglist_data *nd = &p->node[n];
	struct page *pg = &p->pages[idx];

	bz_save(sv, s, idx);
	if (pg->prev)
		bz_save(sv, s, pg->prev - 1);
	if (pg->next)
		bz_save(sv, s, pg->next - 1);
	if (pg->prev)
		p->pages[pg->prev - 1].next = pg->next;
	else
		nd->free_area[k].head = pg->next;
	if (pg->next)
		p->pages[pg->next - 1].prev = pg->prev;
	if (!nd->free_area[k].head)
		nd->free_mask &= ~(1u << k);
	nd->free_area[k].nr_free--;
	nd->nr_free_pages -= 1ull << k;
	pg->next = pg->prev = 0;
	pg->flags &= (uint8_t)~PG_buddy;
	pg->order = 0;
}

static void bz_list_add(struct bz_saved *sv, struct bz *s, unsigned n,
			unsigned k, uint32_t idx)
{
	struct phys_mem *p = &s->m->phys;
	struct pglist_data *nd = &p->node[n];
	struct page *pg = &p->pages[idx];
	uint32_t old = nd->free_area[k].head;

	bz_save(sv, s, idx);
	if (old)
		bz_save(sv, s, old - 1);
	pg->flags = (uint8_t)((pg->flags & ~(PG_head | PG_tail)) | PG_buddy);
	pg->order = (uint8_t)k;
	pg->prev = 0;
	pg->next = old;
	if (old)
		p->pages[old - 1].prev = idx + 1;
	nd->free_area[k].head = idx + 1;
	nd->free_area[k].nr_free++;
	nd->free_mask |= 1u << k;
	nd->nr_free_pages += 1ull << k;
}

/* The sel-th block on the free lists (all nodes, orders ascending, list
 * order), at least min_order; false if there is none. */
BZ_NO_COV static bool bz_pick_free(const struct bz *s, unsigned sel,
				   unsigned min_order, unsigned *node,
				   unsigned *order, uint32_t *idx)
{
	const struct phys_mem *p = &s->m->phys;
	uint64_t total = 0, want;

	for (unsigned n = 0; n < s->nr_nodes; n++)
		for (unsigned k = min_order; k < MAX_ORDER; k++)
			total += p->node[n].free_area[k].nr_free;
	if (!total)
		return false;
	want = sel % total;
	for (unsigned n = 0; n < s->nr_nodes; n++)
		for (unsigned k = min_order; k < MAX_ORDER; k++)
			for (uint32_t link = p->node[n].free_area[k].head; link;
			     link = p->pages[link - 1].next)
				if (want-- == 0) {
					*node = n;
					*order = k;
					*idx = link - 1;
					return true;
				}
	return false; /* the checker passed before: cannot happen */
}

/* The sel-th frame in model state st (BZ_FREE: only frames that are not
 * the head of a free block). */
BZ_NO_COV static bool bz_pick_frame(const struct bz *s, unsigned sel,
				    enum bz_state st, uint32_t *idx)
{
	uint32_t count = 0, want;

	for (uint32_t i = 0; i < s->nr_pages; i++)
		count += s->f[i].state == st &&
			 (st != BZ_FREE ||
			  !(s->m->phys.pages[i].flags & PG_buddy));
	if (!count)
		return false;
	want = sel % count;
	for (uint32_t i = 0; i < s->nr_pages; i++)
		if (s->f[i].state == st &&
		    (st != BZ_FREE || !(s->m->phys.pages[i].flags & PG_buddy)) &&
		    want-- == 0) {
			*idx = i;
			return true;
		}
	return false;
}

/* Corrupt (kind, sel); false if the state has nothing to corrupt that
 * way. *what names the target for the report. */
static bool bz_corrupt(struct bz *s, struct bz_saved *sv, unsigned kind,
		       unsigned sel, char *what, size_t what_len)
{
	struct phys_mem *p = &s->m->phys;
	unsigned n = 0, k = 0;
	uint32_t idx = 0;
	struct page *pg;
	bool hi = sel & 0x8000; /* a variant bit, apart from the choice */
	bool hi2 = sel & 0x4000; /* a second one */

	sel &= 0x7fff;
	switch ((enum bz_corrupt)kind) {
	case CZ_FREE_ORDER:
	case CZ_FREE_NOT_BUDDY:
	case CZ_FREE_ALLOC_MARK:
	case CZ_FREE_NEXT_OUT:
	case CZ_FREE_NEXT_LOOP:
	case CZ_FREE_NEXT_CUT:
	case CZ_FREE_PREV:
		if (!bz_pick_free(s, sel, 0, &n, &k, &idx))
			return false;
		bz_save(sv, s, idx);
		pg = &p->pages[idx];
		snprintf(what, what_len, "free block %u order %u node %u",
			 idx, k, n);
		switch ((enum bz_corrupt)kind) {
		case CZ_FREE_ORDER:
			pg->order ^= 1;
			break;
		case CZ_FREE_NOT_BUDDY:
			pg->flags &= (uint8_t)~PG_buddy;
			break;
		case CZ_FREE_ALLOC_MARK:
			pg->flags |= hi ? PG_tail : PG_head;
			break;
		case CZ_FREE_NEXT_OUT:
			pg->next = (uint32_t)s->nr_pages + 1 + (sel & 0xff);
			break;
		case CZ_FREE_NEXT_LOOP:
			pg->next = p->node[n].free_area[k].head;
			break;
		case CZ_FREE_NEXT_CUT:
			pg->next = pg->next ? 0 : idx + 1;
			break;
		default:
			pg->prev++;
			break;
		}
		return true;
	case CZ_NR_FREE:
		n = (sel >> 4) % s->nr_nodes;
		k = sel % MAX_ORDER;
		snprintf(what, what_len, "node %u free_area[%u].nr_free", n, k);
		p->node[n].free_area[k].nr_free++;
		return true;
	case CZ_NODE_FREE:
		n = sel % s->nr_nodes;
		snprintf(what, what_len, "node %u nr_free_pages", n);
		if (hi && p->node[n].nr_free_pages)
			p->node[n].nr_free_pages--;
		else
			p->node[n].nr_free_pages++;
		return true;
	case CZ_FREE_MASK:
		n = (sel >> 5) % s->nr_nodes;
		snprintf(what, what_len, "node %u free_mask bit %u", n,
			 sel % 32);
		p->node[n].free_mask ^= 1u << (sel % 32);
		return true;
	case CZ_LIST_HEAD:
		n = (sel >> 4) % s->nr_nodes;
		k = sel % MAX_ORDER;
		snprintf(what, what_len, "node %u free_area[%u].head", n, k);
		p->node[n].free_area[k].head =
			p->node[n].free_area[k].head ? 0
						     : (uint32_t)s->nr_pages + 1;
		return true;
	case CZ_ALLOC_ORDER:
	case CZ_ALLOC_UNMARK:
		if (!bz_pick_frame(s, sel, BZ_HEAD, &idx))
			return false;
		bz_save(sv, s, idx);
		pg = &p->pages[idx];
		snprintf(what, what_len, "allocated head %u order %u", idx,
			 pg->order);
		if (kind == CZ_ALLOC_UNMARK && hi2)
			pg->flags |= hi ? PG_tail : PG_buddy;
		else if (kind == CZ_ALLOC_UNMARK)
			pg->flags &= (uint8_t)~PG_head;
		else if (hi && pg->order)
			pg->order--;
		else
			pg->order++;
		return true;
	case CZ_TAIL_UNMARK:
	case CZ_TAIL_MARK:
		if (!bz_pick_frame(s, sel, BZ_TAIL, &idx))
			return false;
		bz_save(sv, s, idx);
		pg = &p->pages[idx];
		snprintf(what, what_len, "tail frame %u", idx);
		if (kind == CZ_TAIL_UNMARK)
			pg->flags &= (uint8_t)~PG_tail;
		else
			pg->flags |= hi ? PG_buddy : PG_head;
		return true;
	case CZ_FREE_FRAME_MARK:
		if (!bz_pick_frame(s, sel, BZ_FREE, &idx))
			return false;
		bz_save(sv, s, idx);
		snprintf(what, what_len, "free frame %u", idx);
		p->pages[idx].flags |= hi2 ? PG_buddy : hi ? PG_tail : PG_head;
		return true;
	case CZ_SPLIT:
	case CZ_DOUBLE:
	case CZ_MISALIGN:
		if (!bz_pick_free(s, sel, 1, &n, &k, &idx))
			return false;
		snprintf(what, what_len, "free block %u order %u node %u",
			 idx, k, n);
		if (kind == CZ_SPLIT) {
			bz_list_del(sv, s, n, k, idx);
			bz_list_add(sv, s, n, k - 1, idx);
			bz_list_add(sv, s, n, k - 1, idx + (1u << (k - 1)));
		} else if (kind == CZ_DOUBLE) {
			bz_list_add(sv, s, n, k - 1, idx + (1u << (k - 1)));
		} else {
			bz_list_del(sv, s, n, k, idx);
			bz_list_add(sv, s, n, k, idx + (1u << (k - 1)));
		}
		return true;
	case CZ_OTHER_NODE:
		if (s->nr_nodes < 2 || !bz_pick_free(s, sel, 0, &n, &k, &idx))
			return false;
		snprintf(what, what_len, "free block %u order %u node %u",
			 idx, k, n);
		bz_list_del(sv, s, n, k, idx);
		bz_list_add(sv, s, (n + 1 + (sel >> 8) % (s->nr_nodes - 1)) %
					   s->nr_nodes,
			    k, idx);
		return true;
	case CZ_NODE_SHRINK:
		n = sel % s->nr_nodes;
		snprintf(what, what_len, "node %u nr_pages", n);
		p->node[n].nr_pages--;
		return true;
	case BZ_NR_CORRUPT:
		break;
	}
	return false;
}

void bz_probe(struct bz *s, unsigned kind, unsigned sel)
{
	static struct bz_saved sv;
	struct phys_mem *p = &s->m->phys;
	char why[256], what[96];

	sv.nr = 0;
	memcpy(sv.node, p->node, sizeof(sv.node));
	if (!bz_corrupt(s, &sv, kind, sel, what, sizeof(what)))
		return;
	if (page_alloc_check(s->m, why, sizeof(why)) == 0)
		bz_fail(s, "checker-blind",
			"corruption %s of %s: page_alloc_check() passes",
			bz_corrupt_name[kind], what);
	/* Back to the exact bytes, newest change first. */
	memcpy(p->node, sv.node, sizeof(sv.node));
	while (sv.nr--)
		p->pages[sv.idx[sv.nr]] = sv.pg[sv.nr];
	if (page_alloc_check(s->m, why, sizeof(why)))
		bz_fail(s, "checker-restore",
			"after undoing corruption %s of %s: %s",
			bz_corrupt_name[kind], what, why);
}
