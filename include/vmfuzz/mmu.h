/* The ARM64 stage-1 MMU model for the kernel (TTBR1) half: page tables in
 * the real AArch64 VMSA descriptor format, living in simulated physical
 * memory; an architectural translation walker; a TLB.
 *
 * Facts and constants: ../shared/notes/arm64-vmsa-facts.md (Arm ARM D8,
 * checked against QEMU 7.2) and Linux arch/arm64/include/asm/pgtable-*.h.
 * docs/mmu.md documents the model and the raw dump format. */
#ifndef VMFUZZ_MMU_H
#define VMFUZZ_MMU_H

#include <stdio.h>

#include "event_log.h"
#include "types.h"

typedef uint64_t pgprot_t;

/* Descriptor bits (Arm ARM D8.3; names from arch/arm64/include/asm/
 * pgtable-hwdef.h and pgtable-prot.h). */
#define PTE_VALID (1ull << 0)
#define PTE_TABLE_BIT (1ull << 1) /* table (L0-2) or page (L3) when set */
#define PTE_TYPE_MASK 3ull
#define PTE_TYPE_BLOCK 1ull
#define PTE_TYPE_TABLE 3ull
#define PTE_TYPE_PAGE 3ull
#define PTE_ATTRINDX_SHIFT 2      /* AttrIndx[4:2] */
#define PTE_ATTRINDX(mt) ((uint64_t)(mt) << PTE_ATTRINDX_SHIFT)
#define PTE_ATTRINDX_MASK (7ull << PTE_ATTRINDX_SHIFT)
#define PTE_NS (1ull << 5)
#define PTE_USER (1ull << 6)      /* AP[1]: EL0 access */
#define PTE_RDONLY (1ull << 7)    /* AP[2]: read-only */
#define PTE_SHARED (3ull << 8)    /* SH[9:8] inner shareable */
#define PTE_AF (1ull << 10)
#define PTE_NG (1ull << 11)
#define PTE_GP (1ull << 50)
#define PTE_DBM (1ull << 51)
#define PTE_WRITE PTE_DBM         /* Linux: PTE_WRITE is DBM */
#define PTE_CONT (1ull << 52)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define PTE_SW_DIRTY (1ull << 55)
#define PTE_SW_SPECIAL (1ull << 56)
#define PTE_SW_DEVMAP (1ull << 57)
#define PTE_SW_PROT_NONE (1ull << 58)
#define PMD_TABLE_PXN (1ull << 59) /* PXNTable */
#define PMD_TABLE_UXN (1ull << 60) /* UXNTable */
#define PMD_TABLE_AP_NO_EL0 (1ull << 61) /* APTable[0] */
#define PMD_TABLE_AP_RO (1ull << 62)     /* APTable[1] */
#define PMD_TABLE_NS (1ull << 63)

/* Linux 6.x protections, MT_NORMAL = AttrIndx 0 (arch/arm64/include/asm/
 * pgtable-prot.h): PROT_NORMAL = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED |
 * PTE_WRITE | PTE_PXN | PTE_UXN. The 4.19 value differs only in AttrIndx
 * (MT_NORMAL = 4) and PTE_DIRTY; the model uses the 6.x values. */
#define PAGE_KERNEL 0x0068000000000703ull
#define PAGE_KERNEL_RO 0x0060000000000783ull   /* ~WRITE, +RDONLY */
#define PAGE_KERNEL_ROX 0x0040000000000783ull  /* RO and executable */
#define PAGE_KERNEL_EXEC 0x0048000000000703ull /* ~PXN */
/* ioremap's default: PROT_DEFAULT | PXN | UXN | WRITE | AttrIndx
 * MT_DEVICE_nGnRE (4.19 pgtable-prot.h PROT_DEVICE_nGnRE, without the
 * software PTE_DIRTY, as PAGE_KERNEL above). */
#define PROT_DEVICE_nGnRE (0x0068000000000703ull | PTE_ATTRINDX(MT_DEVICE_nGnRE))
/* The nG variants (KPTI on): | PTE_NG. */
#define PAGE_KERNEL_NG (PAGE_KERNEL | PTE_NG)
#define PAGE_KERNEL_RO_NG (PAGE_KERNEL_RO | PTE_NG)
#define PAGE_KERNEL_EXEC_NG (PAGE_KERNEL_EXEC | PTE_NG)

/* Attribute bits Linux lets change on a live valid entry
 * (arch/arm64/mm/mmu.c pgattr_change_is_safe): PXN, RDONLY, WRITE, nG. */
#define PTE_SAFE_LIVE_MASK (PTE_PXN | PTE_RDONLY | PTE_WRITE | PTE_NG)

enum mmu_access { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };

enum mmu_fault {
	MMU_OK = 0,
	MMU_FAULT_ADDRESS_SIZE, /* FSC 0b0000LL */
	MMU_FAULT_TRANSLATION,  /* FSC 0b0001LL */
	MMU_FAULT_ACCESS_FLAG,  /* FSC 0b0010LL */
	MMU_FAULT_PERMISSION,   /* FSC 0b0011LL */
	/* Synchronous external abort: a table read outside RAM (FSC 0b0101LL,
	 * on the walk) or a data access outside RAM (FSC 0b010000). Only
	 * mmu_set_raw or a pfn/block outside RAM can lead there. */
	MMU_FAULT_EXTERNAL,
	/* The call's arguments were refused (WARN_MMU_BAD_ARG); nothing was
	 * accessed. level -1, fsc 0. Not an architectural fault. */
	MMU_FAULT_BAD_ARG,
};

/* Fault status codes (Arm ARM D17.2.40 ESR_ELx.ISS DFSC, PAR_EL1.FST). */
#define FSC_ADDRESS_SIZE 0x00u
#define FSC_TRANSLATION 0x04u
#define FSC_ACCESS_FLAG 0x08u
#define FSC_PERMISSION 0x0cu
#define FSC_EXTERNAL 0x10u      /* not on a table walk */
#define FSC_EXTERNAL_WALK 0x14u /* on a walk, + level */

/* MAIR_EL1 as Linux 6.x sets it (arch/arm64/mm/proc.S MAIR_EL1_SET,
 * arch/arm64/include/asm/memory.h MT_*): attr0 MT_NORMAL 0xff, attr1
 * MT_NORMAL_TAGGED 0xff (until MTE), attr2 MT_NORMAL_NC 0x44, attr3
 * MT_DEVICE_nGnRnE 0x00, attr4 MT_DEVICE_nGnRE 0x04. */
#define MT_NORMAL 0
#define MT_NORMAL_TAGGED 1
#define MT_NORMAL_NC 2
#define MT_DEVICE_nGnRnE 3
#define MT_DEVICE_nGnRE 4
#define MMU_MAIR_EL1 0x000000040044ffffull

struct mmu_result {
	enum mmu_fault fault;
	int level;        /* level of the fault, or of the leaf on success */
	unsigned fsc;     /* fault status code (0 on success) */
	phys_addr_t pa;   /* on success */
	uint64_t desc;    /* leaf descriptor used (0 if none) */
	bool tlb_hit;     /* answered from the TLB (mmu_access only) */
	bool tlb_stale;   /* the TLB entry used disagrees with the tables */
	bool walk_stale;  /* the walk started from a walk-cache entry whose
			     table is no longer linked there (freed/reused) */
};

struct tlb_entry {
	bool valid;
	vaddr_t va;       /* base of the leaf's region */
	unsigned shift;   /* log2 of the leaf size */
	phys_addr_t pa;   /* base of the output region */
	uint64_t desc;    /* leaf descriptor at fill time */
	uint64_t table_attrs; /* accumulated APTable/PXNTable/UXNTable bits */
};

/* Walk cache (docs/mmu.md): a table descriptor read at `level` during a
 * successful walk: the region of 1 << shift bytes at va goes on to
 * `table`, with the table attributes accumulated down to it. */
struct walk_cache_entry {
	bool valid;
	bool owned;       /* table was an MMU table page at fill time */
	int level;        /* level of the table descriptor cached */
	unsigned shift;   /* log2 of the region one descriptor covers */
	vaddr_t va;       /* base of that region */
	phys_addr_t table; /* next-level table it points at */
	uint64_t attrs;   /* TABLE_ATTRS accumulated, this one included */
};

/* PGTABLE: __flush_tlb_kernel_pgtable(addr) (TLBI VAAE1IS of one
 * address: leaf and walk entries), recorded as [addr, addr + PAGE_SIZE). */
enum tlb_flush_kind {
	TLB_FLUSH_RANGE = 1,
	TLB_FLUSH_ALL = 2,
	TLB_FLUSH_PGTABLE = 3,
};

struct tlb_flush_event {
	uint64_t seq;
	enum tlb_flush_kind kind; /* RANGE: page by page; ALL: everything;
				     PGTABLE: one address, walk included */
	vaddr_t start, end;       /* as asked by the caller */
};

#define TLB_FLUSH_RING 16

struct tlb_stats {
	uint64_t hits, misses, fills;
	uint64_t flush_range, flush_all; /* calls that ended as each kind */
	uint64_t entries_dropped;
	uint64_t flush_pgtable;          /* __flush_tlb_kernel_pgtable calls */
	/* Walk cache: walks started from an entry, entries filled, entries
	 * dropped by flushes, and stale uses: a walk through an entry whose
	 * table is no longer linked there, or a table page freed while an
	 * entry still points at it (the walker may use an entry at any
	 * time, speculatively: Arm ARM D8.10 (ARM DDI 0487 "Translation
	 * Lookaside Buffers"): freeing is the use). */
	uint64_t walk_hits, walk_fills, walk_dropped, walk_stale;
	uint64_t flush_seq;              /* flush events so far */
};

/* The whole MMU state of one machine (m->mmu). Geometry is fixed at
 * mmu_init from m->cfg; everything else is reset there too. */
struct mmu_state {
	unsigned page_shift;  /* granule: 12, 14, 16 */
	unsigned stride;      /* VA bits per table level: page_shift - 3 */
	unsigned va_bits;     /* 64 - T1SZ */
	unsigned pa_bits;     /* TCR.IPS */
	int start_level;
	phys_addr_t ttbr1;    /* root table (TTBR1_EL1.BADDR) */
	uint64_t pgtable_pages; /* table pages allocated, root included */

	struct tlb_entry *tlb; /* tlb_nr entries in use, tlb_cap allocated */
	size_t tlb_nr, tlb_cap;
	size_t tlb_used;       /* entries filled since the reset: the rest are
				  zero, never scanned */
	size_t tlb_next;       /* FIFO round-robin replacement cursor */
	size_t tlb_valid;      /* valid entries (lets flush/map skip work) */
	/* Walk cache: wc_nr = cfg.walk_cache_entries (0: off), same FIFO
	 * round-robin bookkeeping as the TLB. */
	struct walk_cache_entry *wc;
	size_t wc_nr, wc_cap, wc_used, wc_next, wc_valid;
	struct tlb_stats stats;
	/* The flush events (struct tlb_flush_event): the last TLB_FLUSH_RING
	 * and every one since tlb_flush_keep (vmfuzz/event_log.h). */
	struct vmf_event_log flush_log;
};

/* ---- set-up (called by the machine) ---- */
int mmu_init(struct vmf_machine *m);   /* allocates the root table */
void mmu_reset(struct vmf_machine *m); /* state back to just-initialised;
					  physical memory is reset apart */
void mmu_destroy(struct vmf_machine *m);

/* ---- geometry ---- */
int mmu_start_level(const struct vmf_machine *m);
unsigned mmu_level_shift(const struct vmf_machine *m, int level);
bool mmu_va_in_ttbr1(const struct vmf_machine *m, vaddr_t va);
phys_addr_t mmu_ttbr1(const struct vmf_machine *m);
uint64_t mmu_pgtable_pages(const struct vmf_machine *m); /* incl. root */

/* ---- page tables ----
 * Map nr pages at va (page aligned, in TTBR1, no wrap), page i -> pfns[i].
 * Intermediate tables come from the page allocator (FAULT_PGTABLE site,
 * zeroed, owner OWNER_PGTABLE). Returns 0; -VMF_ENOMEM when a table page
 * cannot be allocated (the pages before it stay mapped: the caller unmaps
 * the range); -VMF_EINVAL (with WARN_MMU_BAD_ARG) for bad arguments and
 * -VMF_EBUSY (with WARN_MMU_REMAP or WARN_MMU_BBM) when a valid leaf is in
 * the way: nothing is written in either case. A valid entry may only be
 * rewritten with the same output address and a change limited to
 * PTE_SAFE_LIVE_MASK. Writing a valid entry while the TLB still holds a
 * conflicting entry for that VA records WARN_MMU_BBM (break without
 * flush) but writes. No TLB maintenance is done. Each pfn must be below
 * 2^(pa_bits - page_shift); it need not be RAM (accesses then get
 * MMU_FAULT_EXTERNAL). nr == 0 is a bad argument. */
int mmu_map_pages(struct vmf_machine *m, vaddr_t va, const pfn_t *pfns,
		  size_t nr, pgprot_t prot);
/* Map one block (level 1 or 2 where the granule allows it: 4K L1/L2,
 * 16K L2, 64K L2); va and pa aligned to the block size, the block inside
 * the PA size. Same return codes and live-entry rules as mmu_map_pages. A
 * table in the way with no valid leaf below is freed and replaced (Linux
 * pmd_free_pte_page); one with a valid leaf is -VMF_EBUSY, WARN_MMU_REMAP. */
int mmu_map_block(struct vmf_machine *m, vaddr_t va, phys_addr_t pa,
		  int level, pgprot_t prot);
/* Clear the leaf entries of [va, va + size) (tables stay, as in the
 * kernel's vunmap_page_range). Blocks wholly inside are cleared; a block
 * only partly inside is refused with WARN_MMU_BAD_ARG and nothing is
 * cleared. Returns the number of valid leaf entries cleared (invalid
 * leftovers inside are zeroed too, uncounted), or -VMF_EINVAL (also for
 * size 0 or an unaligned range). No TLB maintenance is done. */
long mmu_unmap_range(struct vmf_machine *m, vaddr_t va, uint64_t size);
/* Write a raw descriptor at (va, level), allocating tables down to it:
 * for tests and the narrow MMU fuzz target only. No BBM checks. A table
 * subtree the new value unlinks is freed. A table descriptor pointing at
 * one of the MMU's table pages is refused (-VMF_EINVAL) unless it is the
 * table already linked there (to change table attributes). -VMF_EBUSY
 * (WARN_MMU_REMAP) if a block above is in the way; -VMF_ENOMEM. */
int mmu_set_raw(struct vmf_machine *m, vaddr_t va, int level, uint64_t desc);

/* ---- huge mappings (Linux 4.19 arch/arm64/mm/mmu.c, by address) ----
 * "PMD" is level 2, "PUD" level 1 (4K pages only). */
/* pud_alloc / pmd_alloc / pte_alloc_kernel: make the table that holds
 * va's entry at level (1..3) exist. 0, -VMF_ENOMEM (FAULT_PGTABLE),
 * -VMF_EBUSY (WARN_MMU_REMAP: a block above), -VMF_EINVAL. */
int mmu_table_alloc(struct vmf_machine *m, vaddr_t va, int level);
/* Write a block at addr (aligned, its table present) -> phys (aligned):
 * 1; 0 when pgattr_change_is_safe refuses the change from the entry there
 * (WARN_MMU_BBM, nothing written) or on bad arguments (WARN_MMU_BAD_ARG).
 * No TLB maintenance. */
int pmd_set_huge(struct vmf_machine *m, vaddr_t addr, phys_addr_t phys,
		 pgprot_t prot);
int pud_set_huge(struct vmf_machine *m, vaddr_t addr, phys_addr_t phys,
		 pgprot_t prot);
/* A table entry at addr's PMD (PUD): cleared, walk flushed
 * (flush_tlb_kernel_pgtable(addr)), table page freed (for a PUD: each
 * PMD entry's PTE table first). Always 1, as 4.19. */
int pmd_free_pte_page(struct vmf_machine *m, vaddr_t addr);
int pud_free_pmd_page(struct vmf_machine *m, vaddr_t addr);

/* Leaf lookup without permission checks: descriptor, level, output
 * address. Returns false if there is no valid leaf. */
bool mmu_lookup(struct vmf_machine *m, vaddr_t va, uint64_t *desc,
		int *level, phys_addr_t *pa);
/* What mmu_lookup gives for one page. */
struct mmu_leaf {
	bool mapped;
	int level;
	uint64_t desc;
	phys_addr_t pa;
};
/* mmu_lookup of nr consecutive pages from va: out[i] for va + i pages,
 * with one descent per last-level table (for checks over whole areas).
 * Returns nr; 0 (nothing written) if va is not page aligned, the run
 * wraps, or nr is 0. */
size_t mmu_lookup_range(struct vmf_machine *m, vaddr_t va, size_t nr,
			struct mmu_leaf *out);
/* Is any address of [start, end) under a valid leaf? *first gets the
 * lowest such address. Costs what the tables hold, not the range's size
 * (for checks over huge unmapped areas). */
bool mmu_range_mapped(struct vmf_machine *m, vaddr_t start, vaddr_t end,
		      vaddr_t *first);
/* Is any page of [start, end) (page-aligned) not under a valid leaf?
 * *first gets the lowest such page. Last-level entries are read in runs
 * (for checks over areas mapped page by page without a page array). */
bool mmu_range_unmapped(struct vmf_machine *m, vaddr_t start, vaddr_t end,
			vaddr_t *first);
/* The pfn mapped at va (vmalloc_to_page's walk), false if none. */
bool mmu_va_to_pfn(struct vmf_machine *m, vaddr_t va, pfn_t *pfn);

/* ---- translation ----
 * The architectural walk of the tables in memory (like AT S1E1x: ignores
 * the TLB, changes nothing). el is 1 or 0. */
struct mmu_result mmu_translate(struct vmf_machine *m, vaddr_t va,
				enum mmu_access acc, int el);
/* An access as the CPU makes it: TLB first, then the walk (filling the TLB
 * on success). A hit on a stale entry is flagged in the result. */
struct mmu_result mmu_access(struct vmf_machine *m, vaddr_t va,
			     enum mmu_access acc, int el);
/* Copy bytes through the MMU, crossing pages; stops at the first fault,
 * returning it (res->fault != MMU_OK) with *done bytes transferred.
 * res->tlb_stale is set if any byte went through a stale entry. */
struct mmu_result mmu_read(struct vmf_machine *m, vaddr_t va, void *buf,
			   size_t len, int el, size_t *done);
struct mmu_result mmu_write(struct vmf_machine *m, vaddr_t va,
			    const void *buf, size_t len, int el, size_t *done);

/* ---- TLB ---- */
/* Linux arm64 4.19: page by page when (end - start) <= tlb_flush_max_pages
 * pages, else everything (recorded as TLB_FLUSH_ALL with the caller's
 * start/end). end < start: WARN_MMU_BAD_ARG, nothing done, no event. */
void flush_tlb_kernel_range(struct vmf_machine *m, vaddr_t start,
			    vaddr_t end);
void flush_tlb_all(struct vmf_machine *m);
/* Linux arm64 4.19 __flush_tlb_kernel_pgtable(addr): TLBI VAAE1IS of one
 * address: the leaf entries holding it and the walk-cache entries whose
 * region holds it. A TLB_FLUSH_PGTABLE event [addr, addr + PAGE_SIZE). */
void flush_tlb_kernel_pgtable(struct vmf_machine *m, vaddr_t addr);
/* Walk-cache entries (for dumps and tests): count, and the array. */
const struct walk_cache_entry *walk_cache_entries(const struct vmf_machine *m,
						   size_t *n);
const struct tlb_stats *tlb_stats(const struct vmf_machine *m);
/* The flush event with sequence number seq, NULL if it left the log:
 * older than the last TLB_FLUSH_RING and than the last tlb_flush_keep. */
const struct tlb_flush_event *tlb_flush_get(const struct vmf_machine *m,
					    uint64_t seq);
/* Keep every flush event from the next one on (until the next call): the
 * harness calls it as each command begins. */
void tlb_flush_keep(struct vmf_machine *m);
/* Entries that disagree with the tables in memory; returns the count and
 * copies at most max of them to out (out may be NULL). */
size_t tlb_stale_entries(struct vmf_machine *m, struct tlb_entry *out,
			 size_t max);
/* Does any valid TLB entry translate an address in [start, end)?
 * (end <= start: false.) */
bool tlb_maps_range(const struct vmf_machine *m, vaddr_t start, vaddr_t end);
/* Entries (for dumps and tests): count, and a pointer to the array. */
const struct tlb_entry *tlb_entries(const struct vmf_machine *m, size_t *n);

/* ---- helpers for reports and conformance ---- */
const char *mmu_fault_name(enum mmu_fault f);
/* PAR_EL1 as AT S1E1R/W would set it for this result (Arm ARM D17.2.112):
 * fault: F=1, FST, bit 11 RES1; success: ATTR from MMU_MAIR_EL1, PA[47:12],
 * bit 11, NS=1 (non-secure EL1), SH (0b10 for Device/Normal-NC, as
 * reported). MMU_FAULT_BAD_ARG gives 0. Compare with the QEMU results. */
uint64_t mmu_par_el1(const struct mmu_result *r);
/* TCR_EL1 the model's translation regime corresponds to (docs/mmu.md). */
uint64_t mmu_tcr_el1(const struct vmf_machine *m);

/* ---- dumps ---- */
/* Linux arm64 ptdump format (/sys/kernel/debug/kernel_page_tables). */
void mmu_ptdump(struct vmf_machine *m, FILE *out);
/* Raw tables + TTBR1/T1SZ/TG1/IPS, format in docs/mmu.md. */
void mmu_rawdump(struct vmf_machine *m, FILE *out);

#endif
