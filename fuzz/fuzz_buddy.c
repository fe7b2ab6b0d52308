/* Fuzz target: the buddy page allocator (lib/page_alloc.c) against a flat
 * page-state array.
 *
 * The model keeps, per frame, free / head of an allocated block (order,
 * owner) / tail, and the byte every frame is filled with. It does not
 * model the free lists: it derives the buddy blocks from the set of free
 * frames (with maximal merging that set determines them: the free blocks
 * are the largest aligned, all-free, in-node runs of at most order 10) and
 * checks what the kernel's __rmqueue_smallest promises: an allocation of
 * order k on a node succeeds iff a free block of order >= k exists there
 * (below 4 GiB for __GFP_DMA32), it comes from the smallest such order j,
 * and it is the low 2^k frames of a free block of order j. Fallback order
 * over nodes, warnings, fault injection, zeroing and poisoning are checked
 * too; page_alloc_check() and a descriptor-by-descriptor comparison run
 * after every operation.
 *
 * Input: a 2-byte header, then 3-byte operations (a trailing partial one
 * is ignored, at most BZ_MAX_OPS run):
 *
 *	header byte 0: bits 0-3 RAM, pages of 4 KiB: 64 64 96 128 128 192
 *	               256 256 384 512 768 1024 1024 2048 3072 4096 (small
 *	               ones are frequent: the checks cost O(pages) per op);
 *	               bits 6-7 base: 0 QEMU 0x40000000, 1 at 0, 2 across
 *	               4 GiB (half below, half above), 3 all above 4 GiB
 *	header byte 1: bits 0-1 nodes - 1, bits 2-4 CPUs - 1
 *
 *	op byte 0: opcode in bits 0-2, parameter P in bits 3-7 (0..31);
 *	bytes 1, 2: A and B.
 *
 *	0 ALLOC    order P & 15 (11..15 are refused), node A & 7 (0-3 that
 *	           node, 4-5 NUMA_NO_NODE, 6 = -2, 7 = nr_nodes), A & 8 =
 *	           owner OWNER_PGTABLE (no fault site) else OWNER_TEST,
 *	           gfp = B & GFP_VALID_MASK
 *	1 FREE     live block (A | B << 8) % live, with its order
 *	2 FREE_RAW __free_pages(frame (A | B << 8) % (pages + 4), order P):
 *	           0xffff = NULL, 0xfffe = one descriptor before the array,
 *	           >= pages = past the end; any state, the model predicts
 *	           the refusal (bad order, tail, not allocated, wrong order)
 *	3 WRITE    fill live block A % live with byte B (phys_fill)
 *	4 READ     check live block A % live: contents, pfn/nid round trips;
 *	           then, with P != 0, a checker-sensitivity probe: corruption
 *	           kind (P - 1) % BZ_NR_CORRUPT (the list above bz_probe) of
 *	           the target A | B << 8 selects (a free block on the lists,
 *	           an allocated head, a tail, a free interior frame, a list
 *	           or node counter); page_alloc_check() must fail
 *	           ("checker-blind" if it passes), the saved bytes go back,
 *	           and it must pass again ("checker-restore"). State-neutral:
 *	           the model is not touched.
 *	5 SET_CPU  m->cur_cpu = P % nr_cpus (the local node for NO_NODE)
 *	6 FAULT    FAULT_PAGE_ALLOC mode P % 3 (off, nth, always), n = A
 *	7 BURST    P odd: allocate order (P >> 1) % 11 with __GFP_NOWARN on
 *	           node A & 3 until it fails, at most (B & 63) + 1 times;
 *	           P even: free every (B % 4 + 2)-th live block from A % 2
 *
 * On a disagreement: a report on stderr ending in
 * "SIGNATURE: buddy/<check>", then abort(). The machine is created once
 * (LLVMFuzzerInitialize), reset to the input's config at the start of an
 * input and back to a fixed resting config at its end. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>

#include "asan_options.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model's O(pages) scans are not the code under test: keep the
 * fuzzer's comparison tracing out of them (clang only). */
#if defined(__clang__)
#define BZ_NO_COV __attribute__((no_sanitize("coverage"), noinline))
#else
#define BZ_NO_COV
#endif

#define BZ_HDR 2
#define BZ_OP_BYTES 3
#define BZ_MAX_OPS 512
#define BZ_MAX_PAGES 4096
#define BZ_PAGE_SHIFT 12
#define BZ_4G (1ull << 32)

enum bz_state { BZ_FREE = 0, BZ_HEAD, BZ_TAIL };

struct bz_frame {
	uint8_t state;   /* enum bz_state */
	uint8_t order;   /* BZ_HEAD */
	uint8_t owner;   /* BZ_HEAD and BZ_TAIL */
	uint8_t fill;    /* every byte of the frame */
	bool foreign;    /* allocated by the machine itself (page tables) */
};

struct bz_block {
	uint32_t idx;    /* head frame index */
	uint8_t order;
	uint8_t owner;
};

struct bz {
	struct vmf_machine *m;
	uint32_t nr_pages, nr_nodes, nr_cpus;
	uint32_t node_start[VMF_MAX_NODES + 1];
	uint64_t base;
	uint32_t nr_live;
	/* fault injection as the model sees it */
	enum vmf_fault_mode fmode;
	uint64_t fnth;
	/* the operation being run, for the report */
	size_t op_index;
	char op_text[96];
	/* arrays last: LLVMFuzzerTestOneInput clears everything before f */
	struct bz_frame f[BZ_MAX_PAGES];
	uint32_t prefix[BZ_MAX_PAGES + 1]; /* free frames before i */
	struct bz_block live[BZ_MAX_PAGES];
};

static struct vmf_machine *bz_machine;
static struct vmf_config bz_rest_cfg; /* the machine between inputs */
static struct bz bz_st;

static const char *const bz_opname[8] = {
	"ALLOC", "FREE", "FREE_RAW", "WRITE", "READ", "SET_CPU", "FAULT",
	"BURST",
};

__attribute__((format(printf, 3, 4), noreturn)) static void
bz_fail(const struct bz *s, const char *check, const char *fmt, ...)
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

BZ_NO_COV static uint32_t bz_node_of(const struct bz *s, uint32_t idx)
{
	uint32_t n = 0;

	while (n + 1 < s->nr_nodes && idx >= s->node_start[n + 1])
		n++;
	return n;
}

BZ_NO_COV static void bz_prefix(struct bz *s)
{
	s->prefix[0] = 0;
	for (uint32_t i = 0; i < s->nr_pages; i++)
		s->prefix[i + 1] = s->prefix[i] + (s->f[i].state == BZ_FREE);
}

/* Order of the free block that starts at idx (idx free and a block start
 * of the unique maximal decomposition); needs bz_prefix. */
BZ_NO_COV static unsigned bz_block_order(const struct bz *s, uint32_t idx)
{
	uint32_t n = bz_node_of(s, idx);
	uint32_t ns = s->node_start[n], ne = s->node_start[n + 1];

	for (unsigned k = MAX_ORDER - 1; k > 0; k--) {
		uint32_t len = 1u << k;

		if (((idx - ns) & (len - 1)) == 0 && idx + len <= ne &&
		    s->prefix[idx + len] - s->prefix[idx] == len)
			return k;
	}
	return 0;
}

static phys_addr_t bz_pa(const struct bz *s, uint32_t idx)
{
	return s->base + ((uint64_t)idx << BZ_PAGE_SHIFT);
}

/* Smallest order >= order of a free block on node n (wholly below 4 GiB
 * with DMA32); MAX_ORDER if there is none. Needs bz_prefix. */
BZ_NO_COV static unsigned bz_smallest(const struct bz *s, uint32_t n, unsigned order,
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
BZ_NO_COV static bool bz_is_block_head(const struct bz *s, uint32_t idx, unsigned j)
{
	uint32_t n = bz_node_of(s, idx);
	uint32_t ns = s->node_start[n], ne = s->node_start[n + 1];

	for (unsigned o = j; o < MAX_ORDER; o++) {
		uint32_t len = 1u << o;
		uint32_t start = ns + ((idx - ns) & ~(len - 1));
		bool free_block = start + len <= ne &&
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

static void bz_expect_warn(const struct bz *s, uint64_t seq_before,
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
	for (int part = 0; part < (whole ? 1 : 2); part++) {
		size_t len = whole ? sizeof(buf) : 32;

		if (!phys_read(s->m, bz_pa(s, idx) + at[part], buf, len))
			bz_fail(s, "contents", "phys_read of frame %u refused",
				idx);
		if (memcmp(buf, want, len) == 0)
			continue;
		for (size_t i = 0; i < len; i++)
			if (buf[i] != fill)
				bz_fail(s, "contents",
					"frame %u byte %zu is 0x%02x, model "
					"0x%02x",
					idx, at[part] + i, buf[i], fill);
	}
}

static void bz_check_block_contents(const struct bz *s, uint32_t idx,
				    unsigned order)
{
	for (uint32_t i = 0; i < (1u << order); i++)
		bz_check_frame(s, idx + i, order <= 1);
}

/* The whole allocator against the model. */
BZ_NO_COV static void bz_verify(const struct bz *s)
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

/* ---- operations --------------------------------------------------------- */

static bool bz_fault_fires(struct bz *s)
{
	switch (s->fmode) {
	case FAULT_OFF:
		return false;
	case FAULT_NTH:
		if (--s->fnth == 0) {
			s->fmode = FAULT_OFF;
			return true;
		}
		return false;
	case FAULT_ALWAYS:
		return true;
	}
	return false;
}

/* One allocation, predicted and checked. Returns true if it succeeded. */
static bool bz_alloc(struct bz *s, unsigned order, int node, gfp_t gfp,
		     enum page_owner owner)
{
	uint64_t seq = vmf_warn_seq(s->m);
	enum vmf_warn_kind want_warn = WARN_NONE;
	unsigned want_order = MAX_ORDER;
	int want_node = -1;
	struct page *pg;
	uint32_t idx;

	if (order >= MAX_ORDER) {
		want_warn = WARN_PAGE_BAD_ORDER;
	} else if (node != NUMA_NO_NODE &&
		   (node < 0 || (unsigned)node >= s->nr_nodes)) {
		want_warn = WARN_PAGE_BAD_NODE;
	} else if (owner != OWNER_PGTABLE && bz_fault_fires(s)) {
		want_warn = (gfp & __GFP_NOWARN) ? WARN_NONE
						 : WARN_PAGE_ALLOC_FAIL;
	} else {
		uint32_t first = node == NUMA_NO_NODE
					 ? s->m->cur_cpu % s->nr_nodes
					 : (uint32_t)node;
		uint32_t tries = (gfp & __GFP_THISNODE) ? 1 : s->nr_nodes;

		bz_prefix(s);
		for (uint32_t t = 0; t < tries && want_node < 0; t++) {
			uint32_t n = (first + t) % s->nr_nodes;
			unsigned j = bz_smallest(s, n, order,
						 gfp & __GFP_DMA32);

			if (j < MAX_ORDER) {
				want_node = (int)n;
				want_order = j;
			}
		}
		if (want_node < 0 && !(gfp & __GFP_NOWARN))
			want_warn = WARN_PAGE_ALLOC_FAIL;
	}

	pg = alloc_pages_owner(s->m, node, gfp, order, owner);
	bz_expect_warn(s, seq, want_warn);
	if (want_node < 0) {
		if (pg)
			bz_fail(s, "alloc-result",
				"got frame %" PRIu64 ", model expects failure",
				page_index(s->m, pg));
		return false;
	}
	if (!pg)
		bz_fail(s, "alloc-result",
			"failed, model has a free order-%u block on node %d",
			want_order, want_node);
	idx = (uint32_t)page_index(s->m, pg);
	if (idx >= s->nr_pages || &s->m->phys.pages[idx] != pg)
		bz_fail(s, "alloc-block", "returned page is not a descriptor");
	if (bz_node_of(s, idx) != (uint32_t)want_node)
		bz_fail(s, "alloc-node", "frame %u is on node %u, model node %d",
			idx, bz_node_of(s, idx), want_node);
	if (!bz_is_block_head(s, idx, want_order))
		bz_fail(s, "alloc-block",
			"frame %u is not the head of a free order-%u block "
			"(the smallest order that fits %u)",
			idx, want_order, order);
	for (uint32_t i = 0; i < (1u << order); i++) {
		s->f[idx + i].state = i ? BZ_TAIL : BZ_HEAD;
		s->f[idx + i].order = (uint8_t)(i ? 0 : order);
		s->f[idx + i].owner = (uint8_t)owner;
		s->f[idx + i].foreign = false;
		if (gfp & __GFP_ZERO)
			s->f[idx + i].fill = 0;
	}
	bz_check_block_contents(s, idx, order);
	s->live[s->nr_live].idx = idx;
	s->live[s->nr_live].order = (uint8_t)order;
	s->live[s->nr_live].owner = (uint8_t)owner;
	s->nr_live++;
	return true;
}

static void bz_forget_live(struct bz *s, uint32_t k)
{
	s->live[k] = s->live[--s->nr_live];
}

static void bz_model_free(struct bz *s, uint32_t idx, unsigned order)
{
	for (uint32_t i = 0; i < (1u << order); i++) {
		s->f[idx + i].state = BZ_FREE;
		s->f[idx + i].order = 0;
		s->f[idx + i].owner = OWNER_NONE;
		s->f[idx + i].fill = PAGE_POISON;
		s->f[idx + i].foreign = false;
	}
}

static void bz_free_live(struct bz *s, uint32_t k)
{
	uint64_t seq = vmf_warn_seq(s->m);
	struct bz_block b = s->live[k];
	int ret = __free_pages(s->m, &s->m->phys.pages[b.idx], b.order);

	bz_expect_warn(s, seq, WARN_NONE);
	if (ret)
		bz_fail(s, "free-result",
			"__free_pages(frame %u, order %u) = %d, model 0",
			b.idx, b.order, ret);
	bz_model_free(s, b.idx, b.order);
	bz_forget_live(s, k);
}

static void bz_free_raw(struct bz *s, unsigned v, unsigned order)
{
	uint64_t seq = vmf_warn_seq(s->m);
	uintptr_t base = (uintptr_t)s->m->phys.pages;
	enum vmf_warn_kind want = WARN_NONE;
	struct page *pg;
	uint32_t idx = 0;
	int ret;

	if (v == 0xffff) {
		pg = NULL;
	} else if (v == 0xfffe) {
		pg = (struct page *)(base - sizeof(struct page));
	} else {
		idx = v % (s->nr_pages + 4);
		pg = (struct page *)(base + (uintptr_t)idx * sizeof(struct page));
	}

	if (order >= MAX_ORDER)
		want = WARN_PAGE_BAD_ORDER;
	else if (v >= 0xfffe || idx >= s->nr_pages)
		want = WARN_PAGE_NOT_ALLOCATED;
	else if (s->f[idx].state == BZ_TAIL)
		want = WARN_PAGE_TAIL;
	else if (s->f[idx].state == BZ_FREE)
		want = WARN_PAGE_NOT_ALLOCATED;
	else if (s->f[idx].order != order)
		want = WARN_PAGE_WRONG_ORDER;
	else if (s->f[idx].foreign)
		return; /* the machine's own page (a page table): leave it */

	ret = __free_pages(s->m, pg, order);
	bz_expect_warn(s, seq, want);
	if ((ret != 0) != (want != WARN_NONE))
		bz_fail(s, "free-result", "__free_pages = %d, model %s", ret,
			want == WARN_NONE ? "0" : "a refusal");
	if (want == WARN_NONE) {
		bz_model_free(s, idx, order);
		for (uint32_t k = 0; k < s->nr_live; k++)
			if (s->live[k].idx == idx) {
				bz_forget_live(s, k);
				break;
			}
	}
}

static void bz_write(struct bz *s, uint32_t k, uint8_t byte)
{
	struct bz_block b = s->live[k];
	uint64_t len = (uint64_t)1 << (b.order + BZ_PAGE_SHIFT);

	if (!phys_fill(s->m, bz_pa(s, b.idx), byte, (size_t)len))
		bz_fail(s, "contents", "phys_fill of frame %u refused", b.idx);
	for (uint32_t i = 0; i < (1u << b.order); i++)
		s->f[b.idx + i].fill = byte;
}

static void bz_read(struct bz *s, uint32_t k)
{
	struct bz_block b = s->live[k];
	struct page *pg = &s->m->phys.pages[b.idx];
	pfn_t pfn = (s->base >> BZ_PAGE_SHIFT) + b.idx;

	bz_check_block_contents(s, b.idx, b.order);
	if (page_to_pfn(s->m, pg) != pfn || pfn_to_page(s->m, pfn) != pg ||
	    !pfn_valid(s->m, pfn) || page_to_phys(s->m, pg) != bz_pa(s, b.idx))
		bz_fail(s, "pfn-roundtrip",
			"frame %u: page_to_pfn 0x%" PRIx64 ", expected 0x%" PRIx64,
			b.idx, page_to_pfn(s->m, pg), pfn);
	if (page_to_nid(s->m, pg) != (int)bz_node_of(s, b.idx))
		bz_fail(s, "pfn-roundtrip", "frame %u: page_to_nid %d, model %u",
			b.idx, page_to_nid(s->m, pg), bz_node_of(s, b.idx));
	if (pfn_valid(s->m, (s->base >> BZ_PAGE_SHIFT) + s->nr_pages) ||
	    (s->base && pfn_valid(s->m, (s->base >> BZ_PAGE_SHIFT) - 1)))
		bz_fail(s, "pfn-roundtrip", "pfn_valid accepts a frame outside "
					    "RAM");
}

/* ---- checker sensitivity ------------------------------------------------ */

/* Every check of page_alloc_check() must be able to fail: a probe breaks
 * one invariant the checker documents (include/vmfuzz/page_alloc.h: one
 * block per frame, alignment and node bounds, no mergeable buddies, free
 * list links, counters), runs the checker, and puts the exact bytes back.
 * Only corruptions that break a documented invariant whatever the rest of
 * the state is are used; see the list below. */
enum bz_corrupt {
	CZ_FREE_ORDER,      /* listed free head: order ^ 1 */
	CZ_FREE_NOT_BUDDY,  /* listed free head: PG_buddy cleared */
	CZ_FREE_ALLOC_MARK, /* listed free head: PG_head or PG_tail set */
	CZ_FREE_NEXT_OUT,   /* listed free block: next link past RAM */
	CZ_FREE_NEXT_LOOP,  /* listed free block: next = its list's head */
	CZ_FREE_NEXT_CUT,   /* listed free block: next cut (or self loop) */
	CZ_FREE_PREV,       /* listed free block: prev link + 1 */
	CZ_NR_FREE,         /* free_area[k].nr_free + 1 */
	CZ_NODE_FREE,       /* node nr_free_pages +- 1 */
	CZ_FREE_MASK,       /* one free_mask bit flipped */
	CZ_LIST_HEAD,       /* list head cleared, or past RAM if empty */
	CZ_ALLOC_ORDER,     /* allocated head: order +- 1 */
	CZ_ALLOC_UNMARK,    /* allocated head: PG_head cleared, or (sel
			       bit 14) PG_tail or PG_buddy added */
	CZ_TAIL_UNMARK,     /* tail: PG_tail cleared */
	CZ_TAIL_MARK,       /* tail: PG_head or PG_buddy set */
	CZ_FREE_FRAME_MARK, /* free frame inside a block: PG_head/PG_tail,
			       or (sel bit 14) PG_buddy: a stray free head */
	CZ_SPLIT,           /* free order-k block listed as two order-k-1
			       buddies (counters kept right): unmerged */
	CZ_DOUBLE,          /* its high half also listed at k - 1 (counters
			       kept right): a frame in two free blocks */
	CZ_MISALIGN,        /* free order-k block listed from its middle */
	CZ_OTHER_NODE,      /* free block moved to another node's list
			       (counters kept right): outside its node */
	CZ_NODE_SHRINK,     /* node nr_pages - 1: its last block sticks out */
	BZ_NR_CORRUPT
};

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

static void bz_probe(struct bz *s, unsigned kind, unsigned sel)
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

/* ---- the input ---------------------------------------------------------- */

static void bz_config(const uint8_t *hdr, struct vmf_config *cfg,
		      struct bz *s)
{
	uint64_t bytes;

	vmf_config_default(cfg);
	static const uint16_t pages[16] = {64,  64,  96,   128,  128,  192,
					   256, 256, 384,  512,  768,  1024,
					   1024, 2048, 3072, 4096};

	s->nr_pages = pages[hdr[0] & 15u];
	bytes = (uint64_t)s->nr_pages << BZ_PAGE_SHIFT;
	switch (hdr[0] >> 6) {
	case 0:
		s->base = 0x40000000;
		break;
	case 1:
		s->base = 0;
		break;
	case 2:
		s->base = BZ_4G - bytes / 2;
		break;
	default:
		s->base = BZ_4G;
		break;
	}
	s->nr_nodes = (hdr[1] & 3u) + 1;
	s->nr_cpus = ((hdr[1] >> 2) & 7u) + 1;
	cfg->page_shift = BZ_PAGE_SHIFT;
	cfg->phys_size = bytes;
	cfg->phys_base = s->base;
	cfg->nr_nodes = s->nr_nodes;
	cfg->nr_cpus = s->nr_cpus;
}

/* The model starts from what reset left: free frames read zero, the
 * machine's own blocks (the root page table) are foreign. */
BZ_NO_COV static void bz_model_from_machine(struct bz *s)
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmf_config cfg;
	char why[160];

	(void)argc;
	(void)argv;
	if (bz_machine)
		return 0;
	/* The largest machine an input can ask for: no buffer grows later. */
	vmf_config_default(&cfg);
	cfg.phys_size = (uint64_t)BZ_MAX_PAGES << BZ_PAGE_SHIFT;
	cfg.nr_nodes = VMF_MAX_NODES;
	cfg.nr_cpus = VMF_MAX_CPUS;
	bz_rest_cfg = cfg;
	bz_machine = vmf_machine_create(&cfg, why, sizeof(why));
	if (!bz_machine) {
		fprintf(stderr, "fuzz_buddy: cannot create the machine: %s\n",
			why);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bz *s = &bz_st;
	struct vmf_config cfg;
	char why[160];
	size_t nops;

	if (size < BZ_HDR)
		return 0;
	if (!bz_machine)
		LLVMFuzzerInitialize(NULL, NULL);
	memset(s, 0, offsetof(struct bz, f));
	s->m = bz_machine;
	snprintf(s->op_text, sizeof(s->op_text), "(reset)");
	bz_config(data, &cfg, s);
	if (vmf_machine_reset(s->m, &cfg, why, sizeof(why)))
		bz_fail(s, "reset", "vmf_machine_reset: %s", why);
	bz_model_from_machine(s);
	bz_verify(s);

	nops = (size - BZ_HDR) / BZ_OP_BYTES;
	if (nops > BZ_MAX_OPS)
		nops = BZ_MAX_OPS;
	for (size_t i = 0; i < nops; i++) {
		const uint8_t *op = data + BZ_HDR + i * BZ_OP_BYTES;
		unsigned opc = op[0] & 7u, p = op[0] >> 3;
		unsigned a = op[1], b = op[2];

		s->op_index = i;
		snprintf(s->op_text, sizeof(s->op_text), "%s P=%u A=%u B=%u",
			 bz_opname[opc], p, a, b);
		switch (opc) {
		case 0: {
			static const int sel[8] = {0, 1, 2, 3, NUMA_NO_NODE,
						   NUMA_NO_NODE, -2, -3};
			int node = sel[a & 7];

			if (node == -3)
				node = (int)s->nr_nodes;
			bz_alloc(s, p & 15u, node, b & GFP_VALID_MASK,
				 (a & 8) ? OWNER_PGTABLE : OWNER_TEST);
			break;
		}
		case 1:
			if (s->nr_live)
				bz_free_live(s, (a | b << 8) % s->nr_live);
			break;
		case 2:
			bz_free_raw(s, a | b << 8, p);
			break;
		case 3:
			if (s->nr_live)
				bz_write(s, a % s->nr_live, (uint8_t)b);
			break;
		case 4:
			if (s->nr_live)
				bz_read(s, a % s->nr_live);
			if (p)
				bz_probe(s, (p - 1) % BZ_NR_CORRUPT, a | b << 8);
			break;
		case 5:
			s->m->cur_cpu = p % s->nr_cpus;
			break;
		case 6:
			s->fmode = (enum vmf_fault_mode)(p % 3);
			s->fnth = a ? a : 1;
			vmf_fault_set(s->m, FAULT_PAGE_ALLOC, s->fmode, a);
			break;
		case 7:
			if (p & 1) {
				for (unsigned t = 0; t <= (b & 63u); t++)
					if (!bz_alloc(s, (p >> 1) % MAX_ORDER,
						      (int)((a & 3) % s->nr_nodes),
						      __GFP_NOWARN, OWNER_TEST))
						break;
			} else {
				unsigned step = b % 4 + 2;

				/* Backwards so that removals do not move
				 * the blocks still to visit. */
				for (uint32_t k = s->nr_live; k-- > 0;)
					if (k % step == (a & 1))
						bz_free_live(s, k);
			}
			break;
		}
		bz_verify(s);
	}
	/* Clean up now, back to the same resting machine every time: the
	 * reset walks what this input dirtied, so its cost and its coverage
	 * belong to this input, and the next input's reset starts from the
	 * same state whatever ran before (stability). */
	if (vmf_machine_reset(s->m, &bz_rest_cfg, why, sizeof(why)))
		bz_fail(s, "reset", "vmf_machine_reset: %s", why);
	return 0;
}
