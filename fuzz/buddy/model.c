/* fuzz_buddy's flat model: the report of a disagreement (bz_fail()), the
 * buddy blocks derived from the page-state array, the comparisons of the
 * model with the allocator's descriptors and contents (bz_verify() after
 * every operation), and the model's start from a reset machine. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy_fuzz.h"

void bz_fail(const struct bz *s, const char *check, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "buddy: op #%zu %s: ", s->op_index, s->op_text);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nmachine: %u pages at 0x%" PRIx64 ", %u node(s), "
			"%u cpu(s), cpu %u; %u live block(s)\n",
		s->nr_pages, s->base, s->nr_nodes, s->nr_cpus,
		s->m->cur_cpu, s->nr_live);
	for (uint32_t n = 0; n < s->nr_nodes; n++) {
		fprintf(stderr, "node %u: frames [%u, %u), free lists:", n,
			s->node_start[n], s->node_start[n + 1]);
		for (unsigned k = 0; k < MAX_ORDER; k++)
			fprintf(stderr, " %" PRIu64,
				s->m->phys.node[n].free_area[k].nr_free);
		fprintf(stderr, "\n");
	}
	vmf_warn_print(s->m, stderr);
	fprintf(stderr, "SIGNATURE: buddy/%s\n", check);
	abort();
}

/* ---- model helpers ------------------------------------------------------ */

BZ_NO_COV uint32_t bz_node_of(const struct bz *s, uint32_t idx)
{
	uint32_t n = 0;

	while (n + 1 < s->nr_nodes && idx >= s->node_start[n + 1])
		n++;
	return n;
}

BZ_NO_COV void bz_prefix(struct bz *s)
{
	s->prefix[0] = 0;
	for (uint32_t i = 0; i < s->nr_pages; i++)
		s->prefix[i + 1] = s->prefix[i] + (s->f[i].state == BZ_FREE);
}

/* Frame idx's absolute pfn. */
static uint64_t bz_pfn(const struct bz *s, uint32_t idx)
{
	return (s->base >> BZ_PAGE_SHIFT) + idx;
}

/* Order of the free block that starts at idx (idx free and a block start
 * of the unique maximal decomposition); needs bz_prefix. */
BZ_NO_COV static unsigned bz_block_order(const struct bz *s, uint32_t idx)
{
	uint32_t ne = s->node_start[bz_node_of(s, idx) + 1];

	for (unsigned k = MAX_ORDER - 1; k > 0; k--) {
		uint32_t len = 1u << k;

		if ((bz_pfn(s, idx) & (len - 1)) == 0 && idx + len <= ne &&
		    s->prefix[idx + len] - s->prefix[idx] == len)
			return k;
	}
	return 0;
}

phys_addr_t bz_pa(const struct bz *s, uint32_t idx)
{
	return s->base + ((uint64_t)idx << BZ_PAGE_SHIFT);
}

/* Smallest order >= order of a free block on node n (wholly below 4 GiB
 * with DMA32); MAX_ORDER if there is none. Needs bz_prefix. */
BZ_NO_COV unsigned bz_smallest(const struct bz *s, uint32_t n, unsigned order,
			    bool dma32)
{
	unsigned best = MAX_ORDER;

	for (uint32_t i = s->node_start[n]; i < s->node_start[n + 1];) {
		unsigned k;

		if (s->f[i].state != BZ_FREE) {
			i++;
			continue;
		}
		k = bz_block_order(s, i);
		if (k >= order && k < best &&
		    (!dma32 || bz_pa(s, i + (1u << k)) <= BZ_4G))
			best = k;
		i += 1u << k;
	}
	return best;
}

/* Is idx the head of a free block of exactly order j: all free, aligned,
 * in its node, and no larger free block (starting at or before idx)
 * contains it? Needs bz_prefix. */
BZ_NO_COV bool bz_is_block_head(const struct bz *s, uint32_t idx, unsigned j)
{
	uint32_t n = bz_node_of(s, idx);
	uint32_t ns = s->node_start[n], ne = s->node_start[n + 1];

	for (unsigned o = j; o < MAX_ORDER; o++) {
		uint32_t len = 1u << o;
		/* blocks are aligned by absolute pfn (Linux's buddy) */
		uint32_t back = (uint32_t)(bz_pfn(s, idx) & (len - 1));
		uint32_t start = idx - back;
		bool free_block = back <= idx - ns && start + len <= ne &&
				  s->prefix[start + len] - s->prefix[start] ==
					  len;

		if (o == j && (start != idx || !free_block))
			return false;
		if (o > j && free_block)
			return false;
	}
	return true;
}

BZ_NO_COV static uint64_t bz_node_free(const struct bz *s, uint32_t n)
{
	uint64_t c = 0;

	for (uint32_t i = s->node_start[n]; i < s->node_start[n + 1]; i++)
		c += s->f[i].state == BZ_FREE;
	return c;
}

/* ---- comparisons -------------------------------------------------------- */

void bz_expect_warn(const struct bz *s, uint64_t seq_before,
		    enum vmf_warn_kind kind)
{
	uint64_t seq = vmf_warn_seq(s->m);
	const struct vmf_warn_event *ev;

	if (kind == WARN_NONE) {
		if (seq != seq_before) {
			ev = vmf_warn_get(s->m, seq);
			bz_fail(s, "warn", "unexpected warning %s: %s",
				ev ? vmf_warn_kind_name(ev->kind) : "?",
				ev ? ev->text : "?");
		}
		return;
	}
	if (seq != seq_before + 1)
		bz_fail(s, "warn", "%" PRIu64 " warning(s), expected one %s",
			seq - seq_before, vmf_warn_kind_name(kind));
	ev = vmf_warn_get(s->m, seq);
	if (!ev || ev->kind != kind)
		bz_fail(s, "warn", "warning %s, expected %s",
			ev ? vmf_warn_kind_name(ev->kind) : "(lost)",
			vmf_warn_kind_name(kind));
}

/* Contents of frame idx against the model's fill byte: the whole frame,
 * or its first and last 32 bytes. */
static void bz_check_frame(const struct bz *s, uint32_t idx, bool whole)
{
	uint8_t buf[1u << BZ_PAGE_SHIFT], want[1u << BZ_PAGE_SHIFT];
	uint8_t fill = s->f[idx].fill;
	size_t at[2] = {0, sizeof(buf) - 32};

	memset(want, fill, sizeof(want));
	if (s->f[idx].fresh) /* word w of frame pfn, docs/shadow.md */
		for (size_t w = 0; w < sizeof(want) / 8; w++) {
			uint64_t x = ((bz_pa(s, idx) >> BZ_PAGE_SHIFT) << 32) + w;

			x *= 0x9e3779b97f4a7c15ull;
			x ^= x >> 32;
			for (int k = 0; k < 8; k++)
				want[w * 8 + (size_t)k] = (uint8_t)(x >> (8 * k));
		}
	for (int part = 0; part < (whole ? 1 : 2); part++) {
		size_t len = whole ? sizeof(buf) : 32;

		if (!phys_read(s->m, bz_pa(s, idx) + at[part], buf, len))
			bz_fail(s, "contents", "phys_read of frame %u refused",
				idx);
		if (memcmp(buf, want + at[part], len) == 0)
			continue;
		for (size_t i = 0; i < len; i++)
			if (buf[i] != want[at[part] + i])
				bz_fail(s, "contents",
					"frame %u byte %zu is 0x%02x, model "
					"0x%02x",
					idx, at[part] + i, buf[i], fill);
	}
}

void bz_check_block_contents(const struct bz *s, uint32_t idx,
			     unsigned order)
{
	for (uint32_t i = 0; i < (1u << order); i++)
		bz_check_frame(s, idx + i, order <= 1);
}

/* The whole allocator against the model. */
BZ_NO_COV void bz_verify(const struct bz *s)
{
	char why[256];
	uint64_t total = 0;

	if (page_alloc_check(s->m, why, sizeof(why)))
		bz_fail(s, "checker", "page_alloc_check: %s", why);
	for (uint32_t i = 0; i < s->nr_pages; i++) {
		const struct page *pg = &s->m->phys.pages[i];
		const struct bz_frame *f = &s->f[i];
		unsigned st = pg->flags & (PG_head | PG_tail);

		switch (f->state) {
		case BZ_FREE:
			if (st)
				bz_fail(s, "descriptor",
					"frame %u flags %#x, model free", i,
					pg->flags);
			break;
		case BZ_HEAD:
			if (st != PG_head || pg->order != f->order ||
			    (!f->foreign && pg->owner != f->owner))
				bz_fail(s, "descriptor",
					"frame %u flags %#x order %u owner %u, "
					"model head of order %u owner %u",
					i, pg->flags, pg->order, pg->owner,
					f->order, f->owner);
			break;
		case BZ_TAIL:
			if (st != PG_tail)
				bz_fail(s, "descriptor",
					"frame %u flags %#x, model tail", i,
					pg->flags);
			break;
		}
	}
	for (uint32_t n = 0; n < s->nr_nodes; n++) {
		uint64_t want = bz_node_free(s, n);

		if (node_free_pages(s->m, (int)n) != want)
			bz_fail(s, "counters",
				"node %u: node_free_pages %" PRIu64
				", model %" PRIu64,
				n, node_free_pages(s->m, (int)n), want);
		total += want;
	}
	if (nr_free_pages(s->m) != total)
		bz_fail(s, "counters", "nr_free_pages %" PRIu64
			", model %" PRIu64, nr_free_pages(s->m), total);
	if (totalram_pages(s->m) != s->nr_pages)
		bz_fail(s, "counters", "totalram_pages %" PRIu64 ", model %u",
			totalram_pages(s->m), s->nr_pages);
}

/* The model starts from what reset left: free frames read zero, the
 * machine's own blocks (the root page table) are foreign. */
BZ_NO_COV void bz_model_from_machine(struct bz *s)
{
	const struct phys_mem *p = &s->m->phys;

	for (uint32_t n = 0; n <= s->nr_nodes; n++)
		s->node_start[n] = (uint32_t)((uint64_t)s->nr_pages * n /
					      s->nr_nodes);
	for (uint32_t n = 0; n < s->nr_nodes; n++)
		if (p->node[n].start_idx != s->node_start[n] ||
		    p->node[n].nr_pages !=
			    s->node_start[n + 1] - s->node_start[n])
			bz_fail(s, "reset", "node %u spans [%" PRIu64 ", +%"
				PRIu64 "), expected [%u, %u)", n,
				p->node[n].start_idx, p->node[n].nr_pages,
				s->node_start[n], s->node_start[n + 1]);
	for (uint32_t i = 0; i < s->nr_pages; i++) {
		const struct page *pg = &p->pages[i];
		struct bz_frame *f = &s->f[i];

		memset(f, 0, sizeof(*f));
		f->fresh = true;
		if (pg->flags & PG_head) {
			f->state = BZ_HEAD;
			f->order = pg->order;
			f->owner = pg->owner;
			f->foreign = true;
		} else if (pg->flags & PG_tail) {
			f->state = BZ_TAIL;
			f->owner = pg->owner;
			f->foreign = true;
		}
	}
}
