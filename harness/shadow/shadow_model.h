/* Internals of the shadow model, shared by harness/shadow*.c only.
 *
 * Plain data: the busy areas in an address-sorted array, page tables as
 * sorted arrays of table keys per level, physical memory as per-node free
 * counts plus an ownership byte per frame, expected bytes in a pool of
 * 4 KiB chunks. No library code, no library headers beyond types and
 * constants. */
#ifndef VMFUZZ_HARNESS_SHADOW_MODEL_H
#define VMFUZZ_HARNESS_SHADOW_MODEL_H

#include <stdarg.h>

#include "shadow.h"
#include "shadow_place_modern.h"
#include "shadow_verify.h"

#define SH_EVENTS_INIT 64 /* room for a command's expected warnings and
			     flushes made at shadow_new (they grow past it) */
#define SH_CHUNK 4096u   /* data chunk size */
#define SH_MAX_CHUNKS 1024
#define VMF_MAX_ACCESS_PIECE 4096 /* bytes compared per step */

/* ---- busy areas ---------------------------------------------------------- */

enum sh_kind {
	SHK_EARLY = 1, /* vm_area_add_early / register_early */
	SHK_VMALLOC,   /* vmalloc family */
	SHK_ARRAY,     /* nested vmalloc holding a page array */
	SHK_VMAP,
	SHK_VMAREA,    /* get_vm_area: reserved, nothing mapped */
	SHK_VBLOCK,    /* a vmap block's area (no vm_struct, no guard) */
	SHK_VMRAM,     /* vm_map_ram: a carve in a block (in sh->carves) or,
			  above VMAP_MAX_ALLOC, a plain area (no vm_struct,
			  no guard); the caller's pages, like vmap */
	SHK_VHUGE_NEW, /* a vmalloc_huge area with PMD blocks, made by this
			  command: its leaves and frames are checked by
			  sh_huge_verify_map, which makes it SHK_VMALLOC */
};

/* Areas mapping pages the caller handed over (pfns are the caller's). */
static inline bool sh_kind_caller_pages(unsigned kind)
{
	return kind == SHK_VMAP || kind == SHK_VMRAM;
}

struct sh_area {
	vaddr_t start, end;     /* [start, end) including the guard page */
	uint8_t state;          /* enum sh_state */
	uint8_t kind;           /* enum sh_kind */
	bool has_vm;            /* a vm_struct exists (VM_VM_AREA) */
	bool zeroed;            /* contents known zero at allocation */
	bool mapped;            /* PTEs of the first nr_pages pages present */
	bool array_km;          /* its page array is a kmalloc object */
	bool ioremap;
	bool iomap;             /* made by ioremap() (not just VM_IOREMAP) */
	phys_addr_t phys;       /* ioremap: the page-aligned phys_addr */
	bool array_owned;       /* holds a live area's page array */
	uint8_t page_order;     /* vmalloc_huge: its pages' order (6.1
				   vm->page_order), each step a PMD block */
	unsigned long flags;    /* vm_struct flags */
	uint64_t prot;
	uint64_t size;          /* requested bytes */
	uint64_t nr_pages;      /* data pages (vmalloc) / mapped pages (vmap) */
	pfn_t *pfns;            /* vmalloc: owned frames, observed at alloc;
				   vmap: the caller's frames; lazy (after
				   vfree/vunmap): the frames its leaves named,
				   what a stale TLB entry still reaches,
				   until the purge releases it */
	bool pfns_known;        /* vmalloc: pfns observed */
	uint64_t node_pages[VMF_MAX_NODES]; /* vmalloc: predicted per node */
	vaddr_t array_va;       /* nested area holding the page array, or 0 */
	uint64_t lazy_seq;      /* order on the purge list */
	uint64_t defer_seq;     /* order on a deferred list */
	unsigned defer_cpu;
	uint32_t data_id;       /* expected-bytes key, 0 = nothing written */
	const char *caller;     /* vm_struct caller name (static storage) */
	/* the placement request that made it (independent sanity checks) */
	uint64_t req_align;
	vaddr_t req_vstart, req_vend;
};

struct sh_busy {
	struct sh_area *a;
	size_t n, cap;
};

/* ---- placement policy (a small plug-in interface) ----------------------
 * A policy predicts where one alloc_vmap_area attempt lands, given the busy
 * areas (sorted, lazy ones included), and keeps whatever state it needs
 * through the inserted/releasing notifications. The overflow -> purge ->
 * retry loop, the purge itself and everything else are common. */
struct sh_place_ops {
	const char *name;
	void (*reset)(void *st);
	/* vmalloc_init ran: b holds the busy areas it made (NULL: nothing
	 * to do, as for legacy). */
	void (*init)(void *st, const struct sh_busy *b);
	/* One attempt: 0 and *addr, or -1 (overflow). */
	int (*attempt)(void *st, const struct sh_busy *b, uint64_t size,
		       uint64_t align, vaddr_t vstart, vaddr_t vend,
		       vaddr_t *addr);
	/* An area was inserted at index idx by a successful attempt. */
	void (*inserted)(void *st, const struct sh_busy *b, size_t idx);
	/* Area idx is about to leave the busy set (released by a purge, or
	 * an early area... never: early areas stay). */
	void (*releasing)(void *st, const struct sh_busy *b, size_t idx);
	/* Compare the policy state with the library's observation. */
	int (*compare)(const void *st, const struct sh_counters *obs,
		       char *why, size_t why_len);
	void (*describe)(const void *st, char *buf, size_t len);
};

struct sh_legacy {
	bool cache_set;
	vaddr_t cache_start;   /* free_vmap_cache: start of that busy area */
	uint64_t hole;         /* cached_hole_size */
	vaddr_t vstart;        /* cached_vstart */
	uint64_t align;        /* cached_align */
};

/* Filled at run time: a table of function pointers in static storage
 * would be writable data (relocations) to nm. */
void sh_place_legacy_ops(struct sh_place_ops *ops);

/* A policy with no predictor (shadow_place_generic.c): the busy set
 * follows every placement the library made (the observer's place_get,
 * one per successful try, in order), after the generic rules. */
struct sh_tracking {
	/* The library's placements, followed one by one in order (the
	 * observer's place_get); without it, the command's returned address
	 * and then the lowest fit stand in. */
	const struct sh_observer *obs;
	uint64_t seq;      /* placements followed so far */
	vaddr_t hint;      /* the address the command returned */
	bool hint_set;     /* not yet used by a placement of this command */
};
void sh_place_tracking_ops(struct sh_place_ops *ops);

/* The shadow's own copies of include/vmfuzz/placement.h's guarantees. */
#define SH_PLACE_LOWEST_FIT 1u
#define SH_PLACE_TREE_LOWEST 2u
#define SH_PLACE_ANY_FIT 3u
#define SH_PLACE_TOP_DOWN 4u
#define SH_PLACE_MAY_OVERFLOW_WITH_SPACE 0x100u
#define SH_PLACE_KIND_MASK 0xffu
/* ... and of include/vmfuzz/config.h's policy id. */
#define SH_POLICY_MODERN 1u

/* shadow_reset: the predictor of cfg.policy (legacy, modern, else
 * tracking), the declared guarantee, findings cleared, state reset. */
void sh_place_select(struct shadow *sh);

/* Linear scans over the busy set (lazy areas included) of [vstart, vend):
 * the lowest / highest aligned address where size fits; false if none. */
bool sh_lowest_fit(const struct sh_busy *b, uint64_t size, uint64_t align,
		   vaddr_t vstart, vaddr_t vend, vaddr_t *out);
bool sh_highest_fit(const struct sh_busy *b, uint64_t size, uint64_t align,
		    vaddr_t vstart, vaddr_t vend, vaddr_t *out);
/* The generic rules on one attempt of alloc_vmap_area, before its area is
 * inserted: ok and addr (or an overflow), final: after the purge. A
 * broken rule is kept in sh->place_fail (shadow_verify reports it); an
 * allowed deviation counts in sh->place_findings. */
void sh_place_judge(struct shadow *sh, uint64_t size, uint64_t align,
		    vaddr_t vstart, vaddr_t vend, bool ok, vaddr_t addr,
		    bool final);

/* ---- page tables and physical memory ----------------------------------- */

/* What the shadow's arrays are sized for when it is created, so that no
 * input grows them: a growth that the first input needing it takes and no
 * later input does is an edge AFL++ counts as unstable. An input has at
 * most VMF_MAX_CMDS commands and each makes at most two areas (an area
 * and the nested area of its page array; early areas are commands too);
 * a command records at most one pending entry per area it creates,
 * unmaps, frees lazily or defers (SH_P_VM_CHANGED) or purges, plus one
 * per purge. The growth paths stay, as a
 * fallback no input reaches (shadow.c checks the bound). */
#define SH_MAX_AREAS 1024
#define SH_MAX_PENDING (4 * SH_MAX_AREAS)
/* In sh_phys.owner: the frame is on the touched list (each frame is listed
 * at most once per input, so the list never outgrows the frames). */
#define SH_OWN_LISTED 0x80
/* In sh_phys.owner: the frame went back to the buddy allocator since
 * reset, so unwritten it reads PAGE_POISON (shadow_frames.c). */
#define SH_FRAME_FREED 0x40

struct sh_keys {
	uint64_t *k;
	uint8_t *node;  /* node of each table's page (k's order) */
	size_t n, cap;
};

struct sh_pt {
	unsigned page_shift, stride, va_bits;
	int start_level;
	struct sh_keys tables[4]; /* level L: keys va >> shift(L - 1) */
	uint64_t pages;           /* table pages incl. the root */
};

struct sh_phys {
	unsigned nr_nodes;
	pfn_t base_pfn;
	uint64_t nr_frames;
	uint64_t node_lo[VMF_MAX_NODES], node_hi[VMF_MAX_NODES];
	uint64_t node_free[VMF_MAX_NODES];
	uint8_t *owner;           /* per frame: enum sh_owner */
	size_t owner_cap;
	/* frames marked in owner this input (for a proportional reset) */
	pfn_t *touched;
	size_t nr_touched, touched_cap;
	/* frames went back that the shadow cannot name (shadow_frames.c) */
	bool lost_frees;
	/* Page-table pages taken since reset (frames the shadow cannot name
	 * that stay allocated), and per frame its value when the frame was
	 * last freed (read only under SH_FRAME_FREED): a freed frame no table
	 * took since still reads PAGE_POISON (shadow_stale.c). */
	uint32_t tables_taken;
	uint32_t *freed_at;
};

/* ---- expected bytes ------------------------------------------------------- */

enum { SH_B_BASE = 0, SH_B_KNOWN = 1, SH_B_UNKNOWN = 2 };
/* sh_data_expect's known[] for a byte at the baseline of a non-zeroed
 * area: its frame decides (sh_expect_bytes, shadow_frames.c). */
#define SH_KNOWN_BASE 2

struct sh_chunk_slot {
	uint32_t data_id;   /* 0 = empty */
	uint32_t chunk_no;
	uint32_t pool;      /* index into the pool */
};

struct sh_data {
	uint8_t *bytes;     /* SH_MAX_CHUNKS * SH_CHUNK */
	uint8_t *state;     /* same size: SH_B_* */
	uint32_t used;      /* pool chunks handed out this input */
	struct sh_chunk_slot *slots; /* open addressing, 2 * SH_MAX_CHUNKS */
	uint32_t *slot_of;  /* pool chunk -> its slot (for reset) */
	uint32_t nr_slots;
	uint32_t next_id;
	bool overflow;      /* pool exhausted: later writes are unknown */
};

/* ---- expectations of the current command --------------------------------- */

struct sh_warn_exp {
	enum vmf_warn_kind kind;
	char text[VMF_WARN_TEXT];
	bool text_known;        /* text must be exactly this */
	bool text_contains;     /* text must contain this */
};

struct sh_flush_exp {
	enum tlb_flush_kind kind;
	vaddr_t start, end;
};

enum sh_pending_kind {
	SH_P_NEW_AREA,   /* a new area: bounds, mapping, owners, TLB */
	SH_P_UNMAPPED,   /* a range whose PTEs must now be clear */
	SH_P_PURGED,     /* a purged range: no TLB entry may map it */
	SH_P_NEW_CARVE,  /* a new vm_map_ram carve in a block (start) */
	SH_P_VM_CHANGED, /* an area's vmap_area / vm_struct changed state */
	SH_P_NEW_IOMAP,  /* a new area with blocks (ioremap, vmalloc_huge) */
	SH_P_RELEASED,   /* an area a purge released (start, end) */
};

struct sh_pending {
	enum sh_pending_kind kind;
	vaddr_t start, end;
};

/* ---- vmap blocks (shadow_vb.c) -------------------------------------------
 * What each page of a block is, for the stale-TLB promise: a page freed
 * by vm_unmap_ram may stay in the TLB until a flush covers it; which
 * flush it was decides what a later stale hit on it means. */
enum sh_vbpage {
	SH_VBP_FREE = 0,    /* never carved */
	SH_VBP_CARVED,      /* carved, not yet freed */
	SH_VBP_STALE,       /* freed, no flush since: a stale hit is allowed */
	SH_VBP_FLUSHED_UA,  /* flushed by vm_unmap_aliases: a hit is a report */
	SH_VBP_FLUSHED,     /* flushed by another flush: a hit is a report */
	SH_VBP_SKIPPED,     /* vm_unmap_aliases skipped it (full block,
			       vbfix=0): a hit is 4.19's known behaviour */
};

#define SH_MAX_BLOCKS SH_MAX_AREAS /* at most one new block per command */
#define SH_VB_BITS_MAX 1024        /* VMAP_BBMAP_BITS_MAX */

struct sh_vblock {
	bool used;              /* slot in use (the block is in the index) */
	bool on_queue;          /* on its CPU's free list */
	unsigned cpu;           /* the queue it was put on */
	uint64_t queue_seq;     /* order on that list (list_add_tail) */
	vaddr_t va_start;
	uint64_t free, dirty, dirty_min, dirty_max;
	uint8_t page[SH_VB_BITS_MAX]; /* enum sh_vbpage */
};

/* ---- huge mappings (shadow_huge.c) ----------------------------------------
 * The tables a block replaced in this command (pmd_free_pte_page /
 * pud_free_pmd_page) are its expected TLB_FLUSH_PGTABLE flushes
 * (sh->flushes): each must show its __flush_tlb_kernel_pgtable. */
struct sh_huge {
	uint64_t prev_wc_fills;       /* walk_cache_fills after the last verify */
	/* vmalloc_huge: the buddy's free blocks per node and order and the
	 * model's free pages per node, both as the command began (huge
	 * vmalloc on only); a sum that disagreed, reported by verify */
	uint64_t nr_free[VMF_MAX_NODES][MAX_ORDER];
	uint64_t free_before[VMF_MAX_NODES];
	bool blocks_bad;
	char blocks_why[160];
};

struct shadow {
	struct vmf_config cfg;
	struct sh_observer obs;
	uint64_t page_size;
	unsigned page_shift;
	uint64_t totalram;
	uint64_t lazy_max;
	vaddr_t vm_start, vm_end; /* the vmalloc window */

	struct sh_busy busy;
	/* placement: the policy's hooks and its state, picked at reset by
	 * sh_place_select (legacy, modern, else tracking) */
	struct sh_place_ops place;
	void *place_state;
	struct sh_legacy legacy;
	struct sh_modern modern;
	struct sh_tracking tracking;
	unsigned place_guarantee;   /* the running policy's declaration */
	uint64_t place_findings;    /* allowed deviations (docs/shadow.md) */
	bool place_fail;            /* a generic rule broke this command */
	char place_fail_text[256];

	struct sh_pt pt;
	struct sh_phys phys;
	struct sh_data data;

	/* fault injection, mirrored */
	unsigned fault_mode[FAULT_SITE_NR];
	uint64_t fault_nth[FAULT_SITE_NR];

	/* context */
	unsigned cur_cpu;
	bool in_interrupt;
	bool initialized;
	/* early areas before init: [start, end) list, sorted */
	struct sh_busy early;
	uint64_t early_off;       /* vm_area_register_early's vm_init_off */

	uint64_t lazy_seq, defer_seq;
	bool accessed;            /* this command went through the MMU */
	uint64_t prev_tlb[3];     /* hits, misses, fills after the last one */

	/* expected observations (absolute) */
	struct sh_counters exp;

	/* this command */
	/* Every expected warning and flush of this command: [i] is event
	 * *_seq_before + 1 + i. nr_* are the ones stored, fewer than
	 * predicted only on host OOM (then counts judge the rest). The
	 * arrays double as a command needs, kept across inputs. */
	struct sh_warn_exp *warns;
	size_t nr_warns, warns_cap;
	uint64_t warn_seq_before;
	struct sh_flush_exp *flushes;
	size_t nr_flushes, flushes_cap;
	uint64_t flush_seq_before;
	struct sh_pending *pending;  /* grows; kept across inputs */
	size_t nr_pending, pending_cap;
	bool pending_overflow;       /* host OOM only */

	/* vmap blocks: the kernel's sizes from the 4.19 formula, the blocks
	 * (slots), the carves (address-sorted sh_areas of kind SHK_VMRAM) */
	uint64_t vb_bits;          /* VMAP_BBMAP_BITS */
	uint64_t vb_size;          /* VMAP_BLOCK_SIZE */
	struct sh_vblock *vb;      /* SH_MAX_BLOCKS slots */
	size_t vb_hwm;             /* slots used this input: [0, vb_hwm) */
	uint64_t vb_seq;
	struct sh_busy carves;
	bool purge_locked;         /* vmap_purge_lock held: try_purge fails */
	bool in_unmap_aliases;     /* its flush marks pages SH_VBP_FLUSHED_UA */
	uint64_t known_stale_hits;

	struct sh_huge huge;
	struct sh_verify ver;      /* shadow_verify.c */

	char scratch[512];
};

/* ---- shadow_fail.c: every check's report --------------------------------- */
int sh_fail(struct sh_fail *f, const char *check, const char *fmt, ...)
	VMF_PRINTF(3, 4);

/* ---- shadow.c helpers used by the other files ------------------------------ */
void sh_expect_warn(struct shadow *sh, enum vmf_warn_kind kind,
		    const char *fmt, ...) VMF_PRINTF(3, 4);
void sh_expect_warn_kind(struct shadow *sh, enum vmf_warn_kind kind);
/* A warning whose text must contain the kernel's phrase. */
void sh_expect_warn_phrase(struct shadow *sh, enum vmf_warn_kind kind,
			   const char *phrase);
bool sh_should_fail(struct shadow *sh, enum vmf_fault_site site);
const char *sh_warn_name(enum vmf_warn_kind kind);
const char *sh_site_name(unsigned site);
void sh_add_pending(struct shadow *sh, enum sh_pending_kind kind,
		    vaddr_t start, vaddr_t end);

/* ---- shadow_vm.c, used by shadow_vb.c -------------------------------------- */
bool sh_km_alloc(struct shadow *sh, uint64_t size);
void sh_km_free(struct shadow *sh);
/* alloc_vmap_area(): placement, overflow -> purge -> retry; 0 or -errno. */
int sh_alloc_vmap_area(struct shadow *sh, uint64_t size, uint64_t align,
		       vaddr_t vstart, vaddr_t vend, gfp_t gfp, vaddr_t *out);
/* free_vmap_area_noflush(); a is invalid afterwards. */
void sh_lazy_free(struct shadow *sh, struct sh_area *a);
/* __purge_vmap_area_lazy(start, end): true if it found lazy areas. */
bool sh_purge_lazy(struct shadow *sh, bool overflow, vaddr_t start,
		   vaddr_t end);
/* flush_tlb_kernel_range(). */
void sh_flush_range(struct shadow *sh, vaddr_t start, vaddr_t end);
/* One more expected TLB flush event of this command (shadow.c). */
void sh_expect_flush(struct shadow *sh, enum tlb_flush_kind kind,
		     vaddr_t start, vaddr_t end);

/* __get_vm_area_node() (VM_IOREMAP alignment included): 0 or -errno. */
int sh_get_vm_area_node(struct shadow *sh, uint64_t size, uint64_t align,
			unsigned long flags, vaddr_t start, vaddr_t end,
			gfp_t gfp, vaddr_t *out);
/* The lazy area at start keeps pfns (known: pfns_known), the frames its
 * leaves named, which a stale TLB entry of it still reaches
 * (shadow_stale.c); they are freed at once if a purge released it
 * already (the lazy free's threshold purge). Takes pfns over. */
void sh_keep_stale_frames(struct shadow *sh, vaddr_t start, pfn_t *pfns,
			  bool known);
/* __vunmap(start, dealloc) on a live area that passed the checks. */
void sh_vunmap_area(struct shadow *sh, vaddr_t start, bool dealloc);
/* __vmalloc_node_range() after the argument checks (4.19, small pages). */
vaddr_t sh_vmalloc_range(struct shadow *sh, uint64_t size, uint64_t align,
			 vaddr_t start, vaddr_t end, gfp_t gfp, uint64_t prot,
			 unsigned long vm_flags, int node, enum sh_kind kind);
/* The page array of nr pages for the area at addr (4.19
 * __vmalloc_area_node): false when it cannot be had, the area then
 * removed and freed lazily (no pages, no warning). */
bool sh_vmalloc_page_array(struct shadow *sh, vaddr_t addr, uint64_t nr,
			   gfp_t gfp, int node);

/* ---- shadow_huge.c ------------------------------------------------------------ */
void sh_huge_begin(struct shadow *sh);
/* Before the generic checks: walk-stale, bbm, walk-cache fills. */
int sh_huge_verify(struct shadow *sh, const struct sh_counters *o,
		   struct sh_fail *f);
/* SH_P_NEW_IOMAP: every leaf of the ioremap area at start. */
int sh_huge_verify_map(struct shadow *sh, vaddr_t start, struct sh_fail *f);
/* One access piece on a live ioremap area; fault: the permission
 * checks' verdict on its prot. */
int sh_huge_access(struct shadow *sh, struct sh_area *a,
		   const struct sh_access *x, enum mmu_fault fault,
		   struct sh_fail *f);
/* pmd_free_pte_page at addr: a level-3 table under the PMD entry is
 * flushed (TLB_FLUSH_PGTABLE) and freed. */
void sh_huge_free_pte_table(struct shadow *sh, vaddr_t addr);

/* ---- shadow_huge_vmalloc.c ------------------------------------------------- */
/* shadow_begin: the buddy's free blocks, before the command. */
void sh_huge_vmalloc_begin(struct shadow *sh);
/* vmalloc_huge(size, node) after the argument checks: the address or 0. */
vaddr_t sh_vmalloc_huge(struct shadow *sh, uint64_t size, int node);
/* SH_P_NEW_IOMAP on a new vmalloc_huge area: its blocks and frames. */
int sh_huge_vmalloc_verify(struct shadow *sh, struct sh_area *a,
			   struct sh_fail *f);
/* vmalloc_to_page(va) on a live ioremap area. */
int sh_huge_to_page(struct shadow *sh, const struct sh_area *a, vaddr_t va,
		    bool found, pfn_t pfn, struct sh_fail *f);
/* The leaf of a live ioremap area at va: level and output address. */
void sh_huge_leaf(const struct shadow *sh, const struct sh_area *a, vaddr_t va,
		  int *level, phys_addr_t *pa);

/* ---- shadow_access.c, shadow_stale.c ---------------------------------------- */
/* The architecture's permission checks on a leaf's attributes. */
enum mmu_fault sh_leaf_perm(uint64_t desc, enum mmu_access acc, int el);
/* A hit on a stale TLB entry the lazy rule allows (x->va in a lazy area):
 * the old leaf's permissions and frame, and a read's bytes. */
int sh_stale_access(struct shadow *sh, const struct sh_access *x,
		    struct sh_fail *f);

/* ---- shadow_vb.c ------------------------------------------------------------ */
int sh_vb_reset(struct shadow *sh);
void sh_vb_free(struct shadow *sh);
/* purge_fragmented_blocks_allcpus() (caller holds the purge lock). */
void sh_vb_purge_fragmented(struct shadow *sh);
/* A flush of [start, end) (all: everything) reached the TLB. */
void sh_vb_flushed(struct shadow *sh, bool all, vaddr_t start, vaddr_t end);
/* The live carve holding va, if va is in a live block; else NULL. */
struct sh_area *sh_vb_carve_at(struct shadow *sh, vaddr_t va);
/* The live carves overlapping [s, e) one at a time, from the bottom up or
 * (down) from the top down: *cur starts at 0; NULL when none is left. */
const struct sh_area *sh_vb_carve_next(struct shadow *sh, vaddr_t s,
				       vaddr_t e, bool down, size_t *cur);
/* What a stale TLB hit at va means: 0 allowed (before any flush),
 * 1 known 4.19 behaviour, -1 a report (f filled); -2: not a block page. */
int sh_vb_stale_hit(struct shadow *sh, vaddr_t va, struct sh_fail *f);
int sh_vb_verify_carve(struct shadow *sh, vaddr_t start, struct sh_fail *f);
/* The check sweep: every live carve's pages and unused tail, as at its
 * creation (no TLB or block-area check: a live carve may be cached). */
int sh_vb_sweep_carves(struct shadow *sh, struct sh_fail *f);
/* The blocks, for reports (nothing when there are none). */
void sh_vb_describe(const struct shadow *sh, FILE *out);
int sh_vb_verify_counters(struct shadow *sh, const struct sh_counters *o,
			  struct sh_fail *f);

/* ---- shadow_area.c: the busy array --------------------------------------- */
size_t sh_busy_lower(const struct sh_busy *b, vaddr_t start); /* first >= */
struct sh_area *sh_busy_find(struct sh_busy *b, vaddr_t start);
/* The area with start <= addr < end, or NULL. */
struct sh_area *sh_busy_containing(struct sh_busy *b, vaddr_t addr);
/* Insert (sorted); returns its index, or (size_t)-1 on host OOM. */
size_t sh_busy_insert(struct sh_busy *b, const struct sh_area *a);
/* Make room for cap areas now (no later insert reallocates); 0 or -1. */
int sh_busy_reserve(struct sh_busy *b, size_t cap);
void sh_busy_remove(struct sh_busy *b, size_t idx);
void sh_busy_clear(struct sh_busy *b);
void sh_busy_free(struct sh_busy *b);

/* ---- shadow_pt.c: page tables and frames --------------------------------- */
void sh_pt_reset(struct sh_pt *pt, const struct vmf_config *cfg);
/* log2 of the span of one entry at level (3: a page). */
unsigned sh_pt_shift(const struct sh_pt *pt, int level);
void sh_pt_free(struct sh_pt *pt);
/* Tables the map of [va, va + nr pages) needs, allocated top-down region by
 * region as the library's map does: 0, or -VMF_ENOMEM when one cannot be
 * had (those before it stay). Uses sh_should_fail and the node model. */
int sh_pt_map(struct shadow *sh, vaddr_t va, uint64_t nr);
/* Translation-fault level for an address no leaf maps: the first level
 * whose entry is invalid (0 for an address outside TTBR1). */
int sh_pt_fault_level(const struct sh_pt *pt, vaddr_t va);
/* Is there a table at level (the one a level-1 entry points to) covering
 * va? The root (start level) always is. */
bool sh_pt_has(const struct sh_pt *pt, int level, vaddr_t va);
/* pud_alloc/pmd_alloc/pte_alloc_kernel: the level table covering va, if
 * missing (FAULT_PGTABLE, a page of the local node): 0 or -VMF_ENOMEM. */
int sh_pt_table_alloc(struct shadow *sh, int level, vaddr_t va);
/* Free the level table covering va (its page to its node): false if none. */
bool sh_pt_table_free(struct shadow *sh, int level, vaddr_t va);
bool sh_pt_in_ttbr1(const struct sh_pt *pt, vaddr_t va);

int sh_phys_reset(struct sh_phys *p, const struct vmf_config *cfg);
void sh_phys_free(struct sh_phys *p);
int sh_phys_node_of(const struct sh_phys *p, pfn_t pfn); /* -1: not RAM */
/* One order-0 page from node (NUMA_NO_NODE: the local node) with fallback
 * unless __GFP_THISNODE: the node it comes from, or -1. */
int sh_phys_take(struct shadow *sh, int node, gfp_t gfp);
void sh_phys_give(struct shadow *sh, pfn_t pfn);
void sh_phys_set_owner(struct sh_phys *p, pfn_t pfn, uint8_t owner);
uint8_t sh_phys_owner(const struct sh_phys *p, pfn_t pfn);

/* ---- shadow_data.c: expected bytes ------------------------------------- */
int sh_data_init(struct sh_data *d);
void sh_data_reset(struct sh_data *d);
void sh_data_free(struct sh_data *d);
/* Bytes [off, off + len) of an area (off < SH_MAX area size): expected
 * value and known (1; 0 unknown; SH_KNOWN_BASE: at the baseline of a
 * non-zeroed area; zeroed -> known 0). Use sh_expect_bytes. */
void sh_data_expect(struct sh_data *d, const struct sh_area *a, uint64_t off,
		    size_t len, uint8_t *val, uint8_t *known);
void sh_data_store(struct sh_data *d, struct sh_area *a, uint64_t off,
		   const uint8_t *buf, size_t len);
void sh_data_forget(struct sh_data *d, struct sh_area *a, uint64_t off,
		    size_t len);

#endif
