/* Shared inside the MMU model (pgtable.c, mmu_walk.c, tlb.c, ptdump.c):
 * geometry, descriptor access and the walk. Not part of the public API. */
#ifndef VMFUZZ_MMU_INTERNAL_H
#define VMFUZZ_MMU_INTERNAL_H

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

/* Output address field of a descriptor: bits [47:granule] (Arm ARM D8.3,
 * no FEAT_LPA/LPA2: pa_bits <= 48). Blocks use the bits above their size;
 * the ones below are RES0 and ignored, as QEMU does. */
#define DESC_ADDR_MASK_48 0x0000ffffffffffffull
/* Leaf attributes that change a translation: AttrIndx, NS, AP, SH, AF, nG
 * [11:2] and GP, DBM, Contiguous, PXN, UXN [54:50]. Bits [63:55] are for
 * software (Linux PTE_DIRTY etc.) or ignored by the hardware. */
#define DESC_LOWER_ATTRS 0x0000000000000ffcull
#define DESC_UPPER_ATTRS (0x1full << 50)
#define DESC_HW_ATTRS (DESC_LOWER_ATTRS | DESC_UPPER_ATTRS)
#define DESC_IGNORED_MASK (0x1ffull << 55)
/* Table attributes that accumulate down the walk (D8.4.2). NSTable is
 * ignored: the model runs in Non-secure state. */
#define TABLE_ATTRS                                                          \
	(PMD_TABLE_PXN | PMD_TABLE_UXN | PMD_TABLE_AP_NO_EL0 | PMD_TABLE_AP_RO)
#if defined(VMF_PLANT_TABLE_MARK_IN_APTABLE)
/* PLANT TABLE_MARK_IN_APTABLE: every table descriptor the MMU links
 * carries a "linked by us" marker in bits [63:55], taken to be free for
 * software as they are in a leaf (DESC_IGNORED_MASK), and the walks skip
 * it as software. In a table descriptor bit 62 is APTable[1]: for the
 * architecture everything below is read-only, lib's MMU and lookups see
 * no table attribute. */
#define PT_LINKED_MARK (1ull << 62)
#endif
/* What a protection passed to map may hold: type bits and attributes. */
#define PROT_ALLOWED (PTE_TYPE_MASK | DESC_HW_ATTRS | DESC_IGNORED_MASK)

static inline unsigned lvl_shift(const struct mmu_state *s, int level)
{
	return s->page_shift + s->stride * (unsigned)(3 - level);
}

static inline uint64_t lvl_entries(const struct mmu_state *s, int level)
{
	if (level == s->start_level)
		return 1ull << (s->va_bits - lvl_shift(s, level));
	return 1ull << s->stride;
}

static inline uint64_t lvl_index(const struct mmu_state *s, vaddr_t va,
				 int level)
{
	return (va >> lvl_shift(s, level)) & (lvl_entries(s, level) - 1);
}

/* Blocks: 4K at L1 and L2, 16K and 64K at L2 (D8.3.1, no 52-bit). */
static inline bool block_allowed(const struct mmu_state *s, int level)
{
	if (s->page_shift == 12)
		return level == 1 || level == 2;
	return level == 2;
}

static inline uint64_t desc_addr(const struct mmu_state *s, uint64_t desc)
{
	return desc & DESC_ADDR_MASK_48 & ~((1ull << s->page_shift) - 1);
}

static inline bool desc_is_table(int level, uint64_t desc)
{
	return level < 3 && (desc & PTE_TYPE_MASK) == PTE_TYPE_TABLE;
}

/* A valid leaf the hardware would use: page at L3, block where allowed. */
static inline bool desc_is_leaf(const struct mmu_state *s, int level,
				uint64_t desc)
{
	if (level == 3)
		return (desc & PTE_TYPE_MASK) == PTE_TYPE_PAGE;
	return (desc & PTE_TYPE_MASK) == PTE_TYPE_BLOCK &&
	       block_allowed(s, level);
}

static inline bool va_in_ttbr1(const struct mmu_state *s, vaddr_t va)
{
	/* bits [63:va_bits] all one (D8.2.1: bit 55 selects TTBR1, the
	 * others must match it). */
	return (va >> s->va_bits) == (~0ull >> s->va_bits);
}

static inline int shift_to_level(const struct mmu_state *s, unsigned shift)
{
	return 3 - (int)((shift - s->page_shift) / s->stride);
}

/* Descriptor access in simulated RAM (little-endian). false: outside RAM. */
bool pt_read(struct vmf_machine *m, phys_addr_t table, uint64_t idx,
	     uint64_t *desc);
bool pt_write(struct vmf_machine *m, phys_addr_t table, uint64_t idx,
	      uint64_t desc);

/* The walk (no AF or permission check): a leaf or the fault that stops
 * it (translation, address size, external). */
struct mmu_walk {
	enum mmu_fault fault;
	int level;
	uint64_t desc;        /* leaf descriptor */
	unsigned shift;       /* log2 of the leaf size */
	phys_addr_t oa;       /* output base of the leaf */
	uint64_t table_attrs; /* TABLE_ATTRS accumulated */
};
void mmu_walk(struct vmf_machine *m, vaddr_t va, struct mmu_walk *w);
/* The same walk in two halves, so a run of pages under one last-level
 * table costs one descent: mmu_walk_upper goes down to that table (true,
 * with its address and the table attributes above it) or ends the walk
 * above it (false, w filled in); mmu_walk_last reads the level-3 entry. */
bool mmu_walk_upper(struct vmf_machine *m, vaddr_t va, struct mmu_walk *w,
		    phys_addr_t *table, uint64_t *attrs);
void mmu_walk_last(struct vmf_machine *m, vaddr_t va, phys_addr_t table,
		   uint64_t attrs, struct mmu_walk *w);
/* The last step on a level-3 descriptor already read (attrs: the table
 * attributes above it). */
void mmu_walk_pte(const struct mmu_state *s, uint64_t d, uint64_t attrs,
		  struct mmu_walk *w);
/* AF and permission check of a leaf (D8.4): MMU_OK or the fault. */
enum mmu_fault mmu_check_access(uint64_t desc, uint64_t table_attrs,
				enum mmu_access acc, int el);
unsigned mmu_fsc(enum mmu_fault f, int level);

/* Table pages (pgtable.c). */
/* Is pa a table page this MMU allocated (and still holds)? */
bool pt_owned(struct vmf_machine *m, phys_addr_t pa);
int pt_alloc_table(struct vmf_machine *m, phys_addr_t *pa);
/* Free one table page (not the root, only ours); the walk cache is told. */
void pt_free_table(struct vmf_machine *m, phys_addr_t pa);

enum pt_status { PT_OK = 0, PT_ABSENT, PT_BLOCK, PT_CORRUPT, PT_NOMEM };

struct pt_path {
	phys_addr_t table;    /* table holding the entry at the target level */
	uint64_t table_attrs; /* TABLE_ATTRS accumulated above it */
	int stop_level;       /* ABSENT/BLOCK/CORRUPT: the entry that stopped */
	uint64_t stop_desc;
};

/* Walk from the root to the table that holds va's entry at `level`. With
 * alloc, missing tables are allocated and linked (zeroed first). */
enum pt_status pt_descend(struct vmf_machine *m, vaddr_t va, int level,
			  bool alloc, struct pt_path *p);
/* The warning and error for a descent stopped by a block or corrupt
 * entry. */
int path_refusal(struct vmf_machine *m, enum pt_status st,
		 const struct pt_path *p, vaddr_t va, const char *what);
/* Rewriting a live leaf: same output address, only safe bits (0) or the
 * warning and -VMF_EBUSY. */
int live_change_check(struct vmf_machine *m, vaddr_t va, int level,
		      uint64_t old, uint64_t new);

/* Walk cache (walk_cache.c). */
int wc_init(struct vmf_machine *m);
void wc_reset(struct mmu_state *s);
void wc_free(struct mmu_state *s);
/* The deepest valid entry whose region holds va, NULL if none. */
struct walk_cache_entry *wc_find(struct mmu_state *s, vaddr_t va);
/* Cache the table descriptor read at level for va's region. */
void wc_fill(struct vmf_machine *m, vaddr_t va, int level,
	     phys_addr_t table, uint64_t attrs);
bool wc_entry_stale(struct vmf_machine *m, const struct walk_cache_entry *e);
void wc_drop_all(struct mmu_state *s);
/* Drop the entries whose region holds va (TLBI VAAE1IS). */
void wc_drop_addr(struct mmu_state *s, vaddr_t va);
/* A table page is being freed: a stale use if an entry points at it. */
void wc_table_freed(struct vmf_machine *m, phys_addr_t table);

/* TLB internals used by the map code and mmu_access. */
int tlb_init(struct vmf_machine *m);
void tlb_reset(struct mmu_state *s);
void tlb_free(struct mmu_state *s);
struct tlb_entry *tlb_find(struct mmu_state *s, vaddr_t va);
void tlb_fill(struct vmf_machine *m, vaddr_t va, const struct mmu_walk *w);
bool tlb_entry_stale(struct vmf_machine *m, const struct tlb_entry *e);
/* Does a valid entry overlap [lo, hi] (inclusive)? */
bool tlb_overlaps(const struct mmu_state *s, vaddr_t lo, vaddr_t hi);
/* Would a valid entry overlapping [lo, hi] translate differently from a
 * new mapping lo -> pa with desc and table_attrs? (break without flush) */
bool tlb_conflicts(const struct mmu_state *s, vaddr_t lo, vaddr_t hi,
		   phys_addr_t pa, uint64_t desc, uint64_t table_attrs);

#endif
