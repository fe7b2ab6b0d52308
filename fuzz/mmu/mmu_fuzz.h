/* fuzz_mmu's internal header, shared by fuzz/fuzz_mmu.c (decoding, set-up,
 * the entry point) and the files of fuzz/mmu/: the input reader, the
 * oracle's types, the one state they share (O: the machine, made once, and
 * the oracle, reset for every input) and their functions. Nothing outside
 * fuzz_mmu includes it. */
#ifndef VMFUZZ_FUZZ_MMU_FUZZ_H
#define VMFUZZ_FUZZ_MMU_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#define MAX_OPS 128
#define NHELD 8
#define MAX_EXT 512
#define MAX_DIRTY 64

/* ---- input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t u16(struct in *in)
{
	uint16_t lo = u8(in);
	return (uint16_t)(lo | (uint16_t)u8(in) << 8);
}

/* ---- oracle state ---- */

/* EXT_MAP, EXT_RAW and EXT_FOREIGN are terminal: the last entry a walk
 * reads for their VAs, so they never overlap. EXT_MAP: a valid leaf with
 * its output address inside the PA size. EXT_RAW: a raw descriptor that
 * faults at its own level (invalid, reserved encoding, or a leaf beyond
 * the PA size). EXT_FOREIGN: a raw table descriptor (levels 0-2) that
 * points at a page which is not an MMU table (a held page, no RAM, beyond
 * the PA size). EXT_TABLE: an MMU table's own descriptor at (va, level)
 * rewritten by mmu_set_raw (table attributes): the entries below stay. */
enum ext_kind { EXT_MAP, EXT_RAW, EXT_FOREIGN, EXT_TABLE };

struct ext {
	vaddr_t va;
	uint64_t size;
	phys_addr_t pa;
	uint64_t desc;
	int level;
	enum ext_kind kind;
	enum mmu_fault raw_fault; /* EXT_RAW */
	/* A valid descriptor (maps, and raw ones with a valid encoding but an
	 * output address beyond the PA size): in the way of map, counted by
	 * unmap. */
	bool live;
};

struct range {
	vaddr_t lo, hi; /* inclusive */
};

struct mmu_fuzz {
	/* Set once (LLVMFuzzerInitialize) and kept across inputs. */
	struct vmf_machine *m;
	struct vmf_config rest_cfg; /* the machine between inputs */
	FILE *null;
	/* The oracle: everything from ps on is cleared by setup(). */
	unsigned ps, va_bits, pa_bits;
	uint64_t P, l2, big, bs_l1;
	int start_level;
	vaddr_t base;
	pfn_t held[NHELD];
	phys_addr_t root;
	struct ext ext[MAX_EXT];
	size_t next;
	struct range dirty[MAX_DIRTY];
	size_t ndirty;
	bool all_dirty;
	unsigned op;
	uint8_t opcode;
	bool dumped; /* dumps walk whole tables: once per input is enough */
	/* The TLB as tlb_snapshot() last saw it (break-before-make). */
	struct tlb_entry snap[16];
	size_t nsnap;
};

extern struct mmu_fuzz O;

void fail(const char *check, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* ---- expected translation (model.c) ---- */

struct expect {
	enum mmu_fault fault;
	int level;      /* -1: any level (nothing mapped there) */
	phys_addr_t pa;
	uint64_t desc;  /* the leaf, when the walk got to one in the PA size */
	uint64_t attrs; /* table attributes gathered above it */
	bool leaf;      /* a leaf encoding was reached (even beyond the PA) */
};

/* ---- predictions shared by the writers (predict.c) ---- */

/* What pt_descend meets on its way down to an entry (path_to()). */
enum path { PATH_OK, PATH_ABSENT, PATH_BLOCK, PATH_CORRUPT };

/* ---- functions, by the file that defines them ---- */

/* model.c */
uint64_t lshift(int level);
const struct ext *ext_at(vaddr_t va);
void ext_del(size_t i);
long ext_clear(vaddr_t lo, vaddr_t hi, bool tables);
void ext_add(struct ext e);
void dirty_add(vaddr_t lo, vaddr_t hi);
bool dirty_overlaps(vaddr_t lo, vaddr_t hi);
bool held_pfn(pfn_t pfn);
bool block_ok(int level);
phys_addr_t out_addr(uint64_t d);
bool rd64_at(phys_addr_t pa, uint64_t *v);
uint64_t attrs_at(vaddr_t va, int below);
struct expect expect_walk(vaddr_t va);
struct expect expect_at(vaddr_t va, int acc, int el);
uint64_t par_expect(const struct expect *x, int level);
void check_result(const char *check, vaddr_t va, int acc, int el,
		  const struct mmu_result *r);

/* checks.c */
void check_invariants(void);
uint64_t entries_at(int level);
bool ram_entry(vaddr_t va, int level, uint64_t *d);
bool owned_table(phys_addr_t pa);
void check_layout(void);

/* predict.c */
void tlb_snapshot(void);
bool tlb_conflict(vaddr_t lo, uint64_t size, phys_addr_t pa,
		  uint64_t desc, uint64_t attrs);
vaddr_t slot_va(uint8_t s);
pgprot_t pick_prot(struct in *in);
enum path path_to(vaddr_t va, int level);
long path_want(enum path p);
void path_alloc(vaddr_t va, int level);
void enomem_resync(void);
long scan_want(vaddr_t va, uint64_t size);
void ext_add_raw(vaddr_t base, int level, uint64_t desc);
bool under_foreign_ram(vaddr_t va);
void dirty_foreign(void);

/* ops_write.c */
void op_map(struct in *in);
void op_block(struct in *in);
void op_unmap(struct in *in);
void op_raw(struct in *in);

/* ops_read.c */
void op_translate(struct in *in);
void op_access(struct in *in);
void op_copy(struct in *in, bool write);
void op_lookup_range(struct in *in);
void op_badarg(struct in *in);
void op_flush(struct in *in);
void op_flush_all(void);
void op_fault(struct in *in);
bool take_held(void);
void op_reset(void);
void op_dump(void);

#endif
