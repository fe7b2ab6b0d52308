/* Narrow fuzz target for the MMU model (page tables, walker, TLB).
 *
 * Input: 3 config bytes (layout, PA size, TLB size, flush threshold, RAM
 * size), then up to MAX_OPS operations of an opcode byte and its argument
 * bytes (missing bytes read as zero). Operations work on a small pool of
 * VAs inside the vmalloc window, placed around table and block boundaries.
 *
 *	config: byte 0 layout % 7 (4K/48 4K/39 16K/48 16K/47 16K/36 64K/42
 *	        64K/48); byte 1 bits 0-1 PA size (40 32 36 48; bits 6-7 = 1:
 *	        42, = 2: 44), bits 2-5 TLB entries - 1; byte 2 bits 0-2 flush
 *	        threshold - 1, bits 3-4 RAM (64 + 32 n pages)
 *	op = opcode % 16, then its bytes (slot s: slot_va()):
 *	0-2 MAP    s n prot pfn... (n & 7) + 1 pages; prot: pick_prot();
 *	           pfn byte: held page, 0xf0-0xfe no RAM, 0xff beyond the PA
 *	3 UNMAP    s b: b >> 6 = 0/1 (b & 15) + 1 pages at s, 2 one level-2
 *	           span, 3 one or two big blocks
 *	4 BLOCK    a b prot: a level / place, b & 3 the output address
 *	5 RAW      s k [bytes]: mmu_set_raw at level 3 - ((k >> 2) & 3)
 *	           (levels above the start level are refused), entry of s;
 *	           kind (k >> 4) % 10: 0 by k & 3: reserved encoding,
 *	           invalid, beyond the PA, zero; 1 table (page at level 3)
 *	           -> held page [byte]; 2 -> no RAM; 3 -> beyond the PA;
 *	           4 -> the root table (an alias: refused); 5 -> the table
 *	           linked at another slot [byte]; 6 -> the table already
 *	           there, with table attributes [byte]; 7 any 64 bits [8
 *	           bytes] (a table into RAM is moved to a held page); 8 block
 *	           encoding over RAM [prot]; 9 held page [byte] with [prot]
 *	6-7 TRANSLATE b s off16 (AT S1E1x, PAR_EL1, vmalloc_to_page); b % 3
 *	           access, bit 2 EL0, b >> 3 == 31 outside TTBR1
 *	8-9 ACCESS b s off16 (TLB, then walk)
 *	10 READ, 11 WRITE b s off16 len16
 *	12 FLUSH   s b: (b & 15) + 1 pages, (b & 0x30) == 0x30 unaligned
 *	13         opcode & 0x10: flush all; else FAULT b (FAULT_PGTABLE)
 *	14         opcode 0xfe: reset; else DUMP (ptdump, rawdump)
 *	15         opcode >> 4 == 8: BADARG v s (NR_BADARG refused calls);
 *	           == 9: LOOKUP_RANGE s n (mmu_lookup_range and
 *	           mmu_range_mapped over (n & 15) + 1 pages); else ACCESS
 *
 * Oracle, kept in fuzz/mmu/ and independent of the library's walk:
 *  - extents: what each VA of the pool must translate to (page, block, or
 *    a raw descriptor that must fault), the raw table descriptors written
 *    at levels 0-2 (foreign tables, whose contents are walked from RAM,
 *    and the MMU's own tables given table attributes); every translate
 *    (with PAR_EL1), access, lookup, read and write is checked against
 *    it, permissions re-derived here;
 *  - the outcome of every map / unmap / block / raw write is predicted
 *    (0, -EINVAL, -EBUSY; -ENOMEM only with fault injection armed or RAM
 *    exhausted), from the refusal rules of include/vmfuzz/mmu.h (corrupt
 *    and foreign tables on the way, aliases of the MMU's tables, blocks in
 *    the way, bad arguments), and a refusal warns once and changes nothing;
 *  - "unflushed" ranges: a TLB hit may be stale only inside a range changed
 *    since the last flush covering it; with none, no TLB entry is stale,
 *    else every stale entry (tlb_stale_entries) overlaps one;
 *  - flushes: kind by threshold, event recorded, range really dropped;
 *  - accounting: totalram = free + table pages + pages held here after
 *    every op, and (end of input) the table-page counter equals a recount
 *    of OWNER_PGTABLE pages;
 *  - reset: the same root and the same held frames as at the start;
 *  - layout, at the end of each input: a walk written here, from the
 *    facts-file formulas, finds every expected leaf where the architecture
 *    looks for it, and reaches exactly the table pages counted;
 *  - break-before-make: a map that makes an entry valid while a TLB entry
 *    (as snapshotted before) translates it differently records exactly one
 *    WARN_MMU_BBM per such entry; FAULT_ALWAYS allocates no table.
 * A disagreement prints a report ending in "SIGNATURE: mmu/<check>" and
 * aborts.
 *
 * Stability (AFL++): the machine is created once, reset to the input's
 * config at the start of an input and back to the same resting config
 * (the default machine, larger than any input's, so no buffer grows) at
 * its end: that reset walks what this input dirtied, so its cost and its
 * coverage belong to this input, and the next input's reset starts from
 * the same state whatever ran before. */
#include <stdlib.h>
#include <string.h>

#include "asan_options.h"
#include "mmu_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The machine and the oracle (fuzz/mmu/mmu_fuzz.h). The flat model, its
 * predictions and checks are in fuzz/mmu/: model.c, predict.c, checks.c;
 * the ops in ops_write.c and ops_read.c. */
struct mmu_fuzz O;

/* ---- set-up ---- */

static const unsigned layouts[7][2] = {
	{12, 48}, {12, 39}, {14, 48}, {14, 47}, {14, 36}, {16, 42}, {16, 48},
};

static bool setup(struct in *in)
{
	struct vmf_config c;
	uint8_t a = u8(in), b = u8(in), d = u8(in);
	static const unsigned pas[4] = {40, 32, 36, 48};

	vmf_config_default(&c);
	c.page_shift = layouts[a % 7][0];
	c.va_bits = layouts[a % 7][1];
	c.pa_bits = (b >> 6) == 1 ? 42 : (b >> 6) == 2 ? 44 : pas[b & 3];
	c.tlb_entries = 1 + ((b >> 2) & 15);
	c.tlb_flush_max_pages = 1 + (d & 7);
	c.phys_size = (64ull + 32 * ((d >> 3) & 3)) << c.page_shift;
	if (vmf_machine_reset(O.m, &c, NULL, 0))
		return false;
	/* The oracle afresh; the machine fields before ps stay. */
	memset(&O.ps, 0, sizeof(O) - offsetof(struct mmu_fuzz, ps));
	O.ps = c.page_shift;
	O.va_bits = c.va_bits;
	O.pa_bits = c.pa_bits;
	O.P = 1ull << O.ps;
	O.start_level = 4 - (int)((O.va_bits - 4) / (O.ps - 3));
	if (mmu_start_level(O.m) != O.start_level)
		fail("geometry", "start level %d, expected %d",
		     mmu_start_level(O.m), O.start_level);
	O.l2 = 1ull << lshift(2);
	O.big = O.ps == 12 ? 1ull << lshift(1) : O.l2;
	O.base = (O.m->cfg.vmalloc_start + O.big - 1) & ~(O.big - 1);
	O.root = mmu_ttbr1(O.m);
	if (O.base + 6 * O.big > O.m->cfg.vmalloc_end)
		fail("setup", "VA pool does not fit the vmalloc window");
	for (int l = -1; l <= 4; l++)
		if (mmu_level_shift(O.m, l) !=
		    (l < 0 || l > 3 ? 0 : (unsigned)lshift(l)))
			fail("geometry", "level %d: shift %u", l,
			     mmu_level_shift(O.m, l));
	if (!mmu_va_in_ttbr1(O.m, O.base) ||
	    mmu_va_in_ttbr1(O.m, O.base & ~(1ull << 55)) ||
	    mmu_va_in_ttbr1(O.m, O.base ^ (1ull << 60)))
		fail("geometry", "mmu_va_in_ttbr1 wrong around 0x%llx",
		     (unsigned long long)O.base);
	for (unsigned f = 0; f <= MMU_FAULT_BAD_ARG + 1; f++)
		for (unsigned g = 0; g < f; g++)
			if (!mmu_fault_name((enum mmu_fault)f) ||
			    !strcmp(mmu_fault_name((enum mmu_fault)f),
				    mmu_fault_name((enum mmu_fault)g)))
				fail("fault-name", "faults %u and %u: \"%s\"", g, f,
				     mmu_fault_name((enum mmu_fault)f));
	return take_held();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmf_config c;

	(void)argc;
	(void)argv;
	if (O.m)
		return 0;
	/* The default machine has more RAM (bytes and frames) and more TLB
	 * entries than any input asks for (setup()). */
	vmf_config_default(&c);
	O.rest_cfg = c;
	O.m = vmf_machine_create(&c, NULL, 0);
	if (!O.m)
		abort();
	O.null = fopen("/dev/null", "w");
	return 0;
}

static void run_ops(struct in *in)
{
	for (O.op = 0; O.op < MAX_OPS && in->n; O.op++) {
		bool always = O.m->fault.site[FAULT_PGTABLE].mode == FAULT_ALWAYS;
		uint64_t tables = mmu_pgtable_pages(O.m);

		O.opcode = u8(in);
		switch (O.opcode % 16) {
		case 0: case 1: case 2: op_map(in); break;
		case 3: op_unmap(in); break;
		case 4: op_block(in); break;
		case 5: op_raw(in); break;
		case 6: case 7: op_translate(in); break;
		case 8: case 9: op_access(in); break;
		case 10: op_copy(in, false); break;
		case 11: op_copy(in, true); break;
		case 12: op_flush(in); break;
		case 13:
			if (O.opcode & 0x10)
				op_flush_all();
			else
				op_fault(in);
			break;
		case 14:
			if ((O.opcode & 0xf0) == 0xf0)
				op_reset();
			else
				op_dump();
			break;
		default:
			if ((O.opcode >> 4) == 8)
				op_badarg(in);
			else if ((O.opcode >> 4) == 9)
				op_lookup_range(in);
			else
				op_access(in);
			break;
		}
		check_invariants();
		if (always && O.m->fault.site[FAULT_PGTABLE].mode == FAULT_ALWAYS &&
		    mmu_pgtable_pages(O.m) > tables)
			fail("fault-ignored", "a table was allocated with "
			     "FAULT_PGTABLE always failing");
	}
	check_layout();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};

	if (!O.m)
		LLVMFuzzerInitialize(NULL, NULL);
	if (setup(&in))
		run_ops(&in);
	/* This input's clean-up, now (see the top of the file). */
	if (vmf_machine_reset(O.m, &O.rest_cfg, NULL, 0))
		fail("reset", "vmf_machine_reset to the resting machine failed");
	return 0;
}
