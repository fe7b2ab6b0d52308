/* The shadow reference model: an independent prediction of everything the
 * vmalloc library does, checked against the machine after every command.
 *
 * The shadow never calls the library. The interpreter (interp.c) executes a
 * command on the library, then tells the shadow what it asked and what came
 * back; the shadow runs its own model of the same call (plain sorted arrays
 * and linear scans, its own reading of the notes) and compares. Everything
 * else it compares (counters, warnings, TLB flush events, page-table
 * entries of the areas a command touched, the busy-area list at OP_CHECK)
 * it reads through struct sh_observer, which the interpreter implements
 * over the machine: observations only, never used to predict.
 *
 * docs/shadow.md lists every check, where it runs and what it compares. */
#ifndef VMFUZZ_HARNESS_SHADOW_H
#define VMFUZZ_HARNESS_SHADOW_H

#include <stdio.h>

#include <vmfuzz/config.h>
#include <vmfuzz/fault.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/types.h>
#include <vmfuzz/warn.h>

struct shadow;

/* The shadow's own copies of the kernel's vm_struct flags (4.19
 * include/linux/vmalloc.h). */
#define SH_VM_IOREMAP 0x1ul
#define SH_VM_ALLOC 0x2ul
#define SH_VM_MAP 0x4ul
#define SH_VM_USERMAP 0x8ul
#define SH_VM_VPAGES 0x10ul
#define SH_VM_UNINITIALIZED 0x20ul
#define SH_VM_NO_GUARD 0x40ul
#define SH_VM_FLAGS_MASK 0x7ful /* flags a caller may pass */

/* State of a busy area (in the busy tree). */
enum sh_state {
	SH_LIVE = 1,     /* in use */
	SH_LAZY = 2,     /* freed, awaiting purge */
	SH_DEFERRED = 3, /* on a per-CPU deferred-free list */
};

/* Owners of physical pages the harness takes itself. */
enum sh_owner {
	SH_OWN_NONE = 0,
	SH_OWN_VMALLOC, /* data page of a vmalloc area */
	SH_OWN_VMAP,    /* page the harness handed to vmap */
	SH_OWN_FRAG,    /* page held by OP_FRAGMENT */
};

/* ---- observations (filled by the interpreter) ---------------------------- */

#define SH_OWNER_SLOTS 8

struct sh_counters {
	/* warnings */
	uint64_t warn_seq;
	uint32_t warn_count[WARN_KIND_NR];
	/* fault injection: calls seen per site */
	uint64_t fault_calls[FAULT_SITE_NR];
	/* memory accounting */
	uint64_t node_free[VMF_MAX_NODES];
	uint64_t pgtable_pages;
	uint64_t km_objects;
	/* TLB */
	uint64_t flush_seq;
	uint64_t tlb_hits, tlb_misses, tlb_fills;
	/* walk cache (issue 15): walks that used a cached entry of a
	 * freed/reused table (tlb_stats.walk_stale), entries filled */
	uint64_t walk_stale_hits;
	uint64_t walk_cache_fills;
	/* vmalloc_observe() */
	uint64_t nr_busy, nr_lazy, vmap_lazy_nr, lazy_max_pages;
	bool cache_set;
	vaddr_t cache_va_start;
	uint64_t cached_hole_size;
	vaddr_t cached_vstart;
	uint64_t cached_align;
	uint64_t nr_purges, nr_purge_calls, nr_overflow_purges;
	uint64_t nr_deferred[VMF_MAX_CPUS];
	uint64_t nr_leaked_pages;
	bool initialized;
	/* vmap blocks: blocks in the index, blocks on each CPU's free list */
	uint64_t nr_vmap_blocks;
	uint64_t vb_queue_len[VMF_MAX_CPUS];
	/* placement (issue 13): the policy's declared guarantee (its
	 * SH_PLACE_* kind | flags); under modern, the free-space tree */
	unsigned place_guarantee;
	uint64_t free_nr;              /* free vmap_areas (modern only) */
	uint64_t free_max;             /* the root's subtree_max_size */
	bool ne_preload[VMF_MAX_CPUS]; /* ne_fit_preload_node filled */
	/* allocated frames per owner (page_alloc.h enum page_owner), when
	 * the observer keeps them (have_owned) */
	bool have_owned;
	uint64_t owned[SH_OWNER_SLOTS];
};

#define SH_PAGE_BATCH 64 /* pages per observer->pages call */

struct sh_page_obs {
	bool mapped;        /* a valid leaf */
	int level;
	uint64_t desc;
	phys_addr_t pa;
	bool ram;           /* pa is a RAM frame */
	bool allocated;     /* the frame is an allocated (not free) block */
	unsigned owner;     /* enum page_owner of the frame */
};

/* The shadow's own copies of the vmap_area flags (4.19 mm/vmalloc.c, and
 * the model's VM_DEFERRED, docs/vmalloc.md). */
#define SH_VA_LAZY_FREE 0x02ul
#define SH_VA_VM_AREA 0x04ul
#define SH_VA_DEFERRED 0x100ul

#define SH_CALLER_LEN 32 /* vm_struct caller names kept (with the NUL) */

struct sh_area_obs {
	vaddr_t start, end;
	enum sh_state state;
	bool has_vm;        /* a vm_struct is attached */
	unsigned long va_flags; /* the vmap_area's own flags */
	/* The vm_struct (when has_vm), copied: never a pointer into the
	 * machine. */
	vaddr_t vm_addr;
	unsigned long vm_flags;
	uint64_t vm_size;   /* with its guard page */
	uint64_t nr_pages, nr_mapped;
	phys_addr_t phys_addr;
	bool vpages;        /* the page array is vmalloc'ed (is_vmalloc_addr) */
	vaddr_t pages_va;   /* the nested area holding it, or 0 */
	bool has_caller;
	char caller[SH_CALLER_LEN];
};

struct sh_area_link {
	vaddr_t start, end;
	enum sh_state state;
	vaddr_t prev, next; /* list neighbours' starts, 0: the list's end */
};

struct sh_observer {
	void *ctx;
	void (*counters)(void *ctx, struct sh_counters *c);
	/* The warning with sequence number seq: false if it left the ring. */
	bool (*warn_get)(void *ctx, uint64_t seq, enum vmf_warn_kind *kind,
			 const char **text);
	bool (*flush_get)(void *ctx, uint64_t seq, enum tlb_flush_kind *kind,
			  vaddr_t *start, vaddr_t *end);
	/* Placement seq (from 1 since the reset) of alloc_vmap_area: its
	 * address; false if it has not happened. Followed only for a policy
	 * the shadow cannot predict (may be NULL: then the lowest fit
	 * stands in). */
	bool (*place_get)(void *ctx, uint64_t seq, vaddr_t *addr);
	/* Page-table view of one page (mmu_lookup + the frame's struct page). */
	void (*page)(void *ctx, vaddr_t va, struct sh_page_obs *o);
	/* The same for nr <= SH_PAGE_BATCH consecutive pages from va, with
	 * one walk per last-level table. */
	void (*pages)(void *ctx, vaddr_t va, size_t nr, struct sh_page_obs *o);
	/* vmalloc_to_pfn(va): the library's own walk (0: none). */
	pfn_t (*vmalloc_pfn)(void *ctx, vaddr_t va);
	/* Is an address of [start, end) mapped? *first: the lowest one. Costs
	 * what the tables hold, not the range's size. */
	bool (*first_mapped)(void *ctx, vaddr_t start, vaddr_t end,
			     vaddr_t *first);
	/* Does any TLB entry translate an address of [start, end)? */
	bool (*tlb_maps)(void *ctx, vaddr_t start, vaddr_t end);
	/* The busy area containing addr (find_vmap_area). */
	bool (*area_at)(void *ctx, vaddr_t addr, struct sh_area_obs *a);
	/* Free blocks of each order on a node (the buddy's free_area[order].nr_free), before the command. */
	void (*free_blocks)(void *ctx, unsigned node, uint64_t nr_free[MAX_ORDER]);
	/* ---- raw views for the shadow's own reader (shadow_walk.c) ---- */
	/* Physical memory [pa, pa + len) as the machine holds it, fills
	 * included; false if it is not all RAM. Read-only. */
	bool (*phys_read)(void *ctx, phys_addr_t pa, void *buf, size_t len);
	/* TTBR1's table: the kernel root table's physical address. */
	phys_addr_t (*ttbr1)(void *ctx);
	/* Entries [first, first + nr) of the page array of the vm_struct of
	 * the busy area starting at addr, when that array is a kmalloc'ed
	 * one (vm->pages): their pfns (0 for NULL). false: no such area,
	 * no vm_struct, or the array is not a kmalloc'ed one (a nested
	 * array lies in RAM at the area's pages_va), or past nr_pages. */
	bool (*page_array)(void *ctx, vaddr_t addr, uint64_t first, size_t nr,
			   pfn_t *pfn);
	/* The busy area containing addr, its bounds and state only, and the
	 * starts of its neighbours on the library's busy list (0 at either
	 * end); false if no area holds addr. May be NULL. */
	bool (*area_links)(void *ctx, vaddr_t addr, struct sh_area_link *l);
};

/* A disagreement: which check, and the details (expected vs actual). */
struct sh_fail {
	char check[48];
	char detail[4096];
};

/* ---- life cycle ------------------------------------------------------------ */

struct shadow *shadow_new(void);
void shadow_destroy(struct shadow *sh);
/* Start of an input: cfg is the machine's resolved config. */
int shadow_reset(struct shadow *sh, const struct vmf_config *cfg,
		 const struct sh_observer *obs);
/* Every command: begin before executing it on the library, verify after
 * (the per-command checks, proportional to what the command touched). */
void shadow_begin(struct shadow *sh);
/* Right after shadow_reset: the values the machine derived from the
 * program's header fields (raw: before any library arithmetic) against the
 * shadow's own arithmetic (shadow_config.c). */
struct vmf_header_raw;
int shadow_check_config(const struct shadow *sh,
			const struct vmf_header_raw *raw, struct sh_fail *f);
int shadow_verify(struct shadow *sh, struct sh_fail *f);
/* Placements above a lower fitting address (or overflows with space)
 * that the running policy's guarantee allows: findings of their own
 * kind, never reports. A count since the reset. */
uint64_t shadow_place_findings(const struct shadow *sh);
/* OP_CHECK: the library's busy list (address order) against the model;
 * full (the first and the last OP_CHECK of an input): also the shadow's
 * reader over every live carve's and every live mapped area's PTEs. */
int shadow_check_full(struct shadow *sh, const struct sh_area_obs *areas,
		      size_t n, bool full, struct sh_fail *f);
/* OP_CHECK: the library's /proc/vmallocinfo text against the one the
 * shadow renders from its own model (shadow_vminfo.c). */
int shadow_vmallocinfo_check(struct shadow *sh, const char *observed,
			     struct sh_fail *f);
/* Placements a policy's declaration allows although a lower fitting
 * address existed, and overflows with a fitting hole (docs/shadow.md,
 * "Placement findings"): counted since the last reset, never a report. */
uint64_t shadow_place_findings(const struct shadow *sh);
/* One-paragraph summary of the model (for reports). */
void shadow_describe(const struct shadow *sh, FILE *out);

/* ---- commands: what was asked and what the library returned --------------
 * Each returns 0, or -1 with f filled when the returned value disagrees
 * with the prediction (the model is updated either way as predicted). */

enum sh_entry {
	SH_E_VMALLOC,
	SH_E_VZALLOC,
	SH_E_VMALLOC_NODE,
	SH_E_VZALLOC_NODE,
	SH_E_VMALLOC_32,
	SH_E_VMALLOC_USER,
	SH_E_VMALLOC_EXEC,
	SH_E___VMALLOC,
	SH_E_NODE_RANGE,
	SH_E_GET_VM_AREA,
	SH_E_GET_VM_AREA_NODE,
	SH_E_VMAP,
	SH_E_VMALLOC_HUGE,
};

struct sh_alloc_req {
	enum sh_entry entry;
	uint64_t size;      /* bytes; vmap: unused (count pages) */
	uint64_t align;
	vaddr_t start, end;
	gfp_t gfp;
	uint64_t prot;
	unsigned long vm_flags;
	int node;
	unsigned count;     /* vmap */
	const pfn_t *pfns;  /* vmap: the pages handed over */
	const char *caller; /* NODE_RANGE, GET_VM_AREA_NODE: the caller name
			       passed (static storage); the others have the
			       entry point's own */
};

/* Allocation entry points: observed = returned address (0 = failure). */
int shadow_alloc(struct shadow *sh, const struct sh_alloc_req *req,
		 vaddr_t observed, struct sh_fail *f);

enum sh_free_entry {
	SH_F_VFREE,
	SH_F_VFREE_ATOMIC,
	SH_F_VFREE_IRQ,     /* vfree with in_interrupt set */
	SH_F_VUNMAP,
	SH_F_REMOVE_VM_AREA, /* remove_vm_area + kfree of what it returns */
	SH_F_FREE_VM_AREA,   /* free_vm_area(find_vm_area(addr)) */
};

/* observed: the entry point's return (0 / negative error; for
 * REMOVE_VM_AREA 1 if a vm_struct came back, 0 if NULL; for
 * FREE_VM_AREA the find_vm_area result 0/1, then free_vm_area's return
 * in observed2). */
int shadow_free(struct shadow *sh, enum sh_free_entry e, vaddr_t addr,
		long observed, long observed2, struct sh_fail *f);

int shadow_init(struct shadow *sh);
/* caller: the name passed to the library (static storage). */
int shadow_early_add(struct shadow *sh, vaddr_t addr, uint64_t size,
		     unsigned long flags, const char *caller, int observed,
		     struct sh_fail *f);
int shadow_early_register(struct shadow *sh, uint64_t size, uint64_t align,
			  const char *caller, vaddr_t observed,
			  struct sh_fail *f);
int shadow_run_deferred(struct shadow *sh, unsigned cpu, int observed,
			struct sh_fail *f);
void shadow_set_cpu(struct shadow *sh, unsigned cpu);
void shadow_purge(struct shadow *sh);
/* vm_unmap_aliases(): the full _vm_unmap_aliases (vmap blocks, purge). */
void shadow_unmap_aliases(struct shadow *sh);
void shadow_fault_set(struct shadow *sh, unsigned site, unsigned mode,
		      uint64_t n);

/* ---- huge mappings (issue 15) -------------------------------------------- */

/* ioremap(phys, size, prot); observed: the returned address (0 = failure). */
int shadow_ioremap(struct shadow *sh, phys_addr_t phys, uint64_t size, uint64_t prot, vaddr_t observed, struct sh_fail *f);
/* iounmap(addr); observed: 0 or negative. */
int shadow_iounmap(struct shadow *sh, vaddr_t addr, long observed, struct sh_fail *f);
/* vmalloc_huge goes through shadow_alloc with entry SH_E_VMALLOC_HUGE and
 * the node (shadow_huge_vmalloc.c): the 6.1 PMD attempt when huge vmalloc
 * is on, predicted from the observer's free_blocks, and its fallback. */

/* ---- vmap blocks (shadow_vb.c) ------------------------------------------ */

/* vm_map_ram(count pages, node, prot) with the pages the harness handed over
 * (pfns[count]); observed: the returned address (0 = failure). */
int shadow_vm_map_ram(struct shadow *sh, unsigned count, int node, uint64_t prot,
                      const pfn_t *pfns, vaddr_t observed, struct sh_fail *f);
/* vm_unmap_ram(addr, count); observed: its return (0 or negative). */
int shadow_vm_unmap_ram(struct shadow *sh, vaddr_t addr, unsigned count,
                        long observed, struct sh_fail *f);
/* Stale TLB hits so far that are 4.19's known full-block behaviour (vbfix=0). */
uint64_t shadow_known_stale_hits(const struct shadow *sh);

/* Pages the harness itself takes (vmap's pages, OP_FRAGMENT) and gives
 * back. got: the allocation succeeded, pfn its frame. */
int shadow_harness_page_alloc(struct shadow *sh, enum sh_owner owner,
			      bool got, pfn_t pfn, struct sh_fail *f);
int shadow_harness_page_free(struct shadow *sh, pfn_t pfn,
			     struct sh_fail *f);

/* vm_map_ram(count pages, node, prot) with the pages the harness handed over
 * (pfns[count]); observed: the returned address (0 = failure). */
int shadow_vm_map_ram(struct shadow *sh, unsigned count, int node, uint64_t prot,
                      const pfn_t *pfns, vaddr_t observed, struct sh_fail *f);
/* vm_unmap_ram(addr, count); observed: its return (0 or negative). */
int shadow_vm_unmap_ram(struct shadow *sh, vaddr_t addr, unsigned count,
                        long observed, struct sh_fail *f);
/* Stale TLB hits so far that are 4.19's known full-block behaviour (vbfix=0). */
uint64_t shadow_known_stale_hits(const struct shadow *sh);

/* ---- data through the MMU ---------------------------------------------------
 * One call per page-sized piece of an access (the interpreter splits an
 * access at page boundaries and stops after the first fault). */
struct sh_access {
	vaddr_t va;
	size_t len;             /* bytes asked in this piece */
	enum mmu_access acc;
	int el;
	struct mmu_result res;  /* what the MMU said */
	size_t done;            /* bytes transferred */
	const uint8_t *buf;     /* read: bytes read; write: bytes written */
};
int shadow_access(struct shadow *sh, const struct sh_access *a,
		  struct sh_fail *f);
/* Bytes of the last read piece the shadow could predict (the trace only
 * prints those, so it never shows bytes that depend on the host). */
size_t shadow_known_mask(struct shadow *sh, vaddr_t va, size_t len,
			 uint8_t *known);

int shadow_vmalloc_to_page(struct shadow *sh, vaddr_t va, bool found,
			   pfn_t pfn, struct sh_fail *f);
int shadow_vread(struct shadow *sh, vaddr_t va, uint64_t len, long ret,
		 const uint8_t *buf, struct sh_fail *f);

/* A page-aligned address of the window no busy area covers, the first at
 * or after window start + hint (wrapping), or the window's end if the
 * window is full: what BAD_*_NONEXISTENT frees. */
vaddr_t shadow_hole(const struct shadow *sh, uint64_t hint);

/* Is va mapped by a live area of the model (the write policy asks it before
 * writing, to know a write will not go through a stale entry it predicts). */
bool shadow_va_mapped(const struct shadow *sh, vaddr_t va);

#endif
