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
 *	           kind (P - 1) % BZ_NR_CORRUPT (enum bz_corrupt) of
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asan_options.h"
#include "buddy_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmf_machine *bz_machine;
static struct vmf_config bz_rest_cfg; /* the machine between inputs */
static struct bz bz_st;

static const char *const bz_opname[8] = {
	"ALLOC", "FREE", "FREE_RAW", "WRITE", "READ", "SET_CPU", "FAULT",
	"BURST",
};

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
