/* The kernel's vmalloc, Linux 4.19 semantics ("legacy" placement), on the
 * simulated machine, hardened: where the kernel BUG()s, dereferences NULL
 * or corrupts itself, this records a warning and returns a defined error
 * with no state changed.
 *
 * Facts: ../shared/notes/kernel-vmalloc-facts.md; walk-through:
 * ../shared/seed/. Decisions where the kernel leaves a choice are listed
 * in docs/vmalloc.md and under "Hardened behaviour" below; the shadow model
 * (harness/) holds the library to them.
 *
 * Addresses are simulated VAs (vaddr_t); 0 is NULL. */
#ifndef VMFUZZ_VMALLOC_H
#define VMFUZZ_VMALLOC_H

#include <stdio.h>

#include "machine.h"
#include "mmu.h"
#include "rbtree.h"

/* vm_struct flags (include/linux/vmalloc.h, 4.19 values). */
#define VM_IOREMAP 0x00000001ul
#define VM_ALLOC 0x00000002ul
#define VM_MAP 0x00000004ul
#define VM_USERMAP 0x00000008ul
#define VM_VPAGES 0x00000010ul /* 3.x flag, kept: page array is vmalloc'ed */
#define VM_UNINITIALIZED 0x00000020ul
#define VM_NO_GUARD 0x00000040ul
#define VM_FLAGS_MASK 0x0000007ful /* flags a caller may pass */

/* vmap_area flags (mm/vmalloc.c, 4.19). */
#define VM_LAZY_FREE 0x02ul
#define VM_VM_AREA 0x04ul
#define VM_DEFERRED 0x100ul /* ours: on a per-CPU deferred-free list */
/* Ours (6.3+ has the like, VMAP_RAM / VMAP_BLOCK): the area came from
 * vm_map_ram, as a plain area above VMAP_MAX_ALLOC pages (VMAP_RAM) or as
 * a vmap block (VMAP_BLOCK). 4.19 keeps no such mark; vmallocinfo and
 * vread ignore them. */
#define VMAP_RAM 0x200ul
#define VMAP_BLOCK 0x400ul

struct list_link {
	struct list_link *next, *prev;
};

struct vm_struct {
	struct vm_struct *next; /* early list (vmlist) before vmalloc_init */
	vaddr_t addr;
	uint64_t size;          /* including the guard page */
	unsigned long flags;
	/* Page array: kmalloc'ed when it fits in one page, else stored in a
	 * nested vmalloc area (VM_VPAGES) as the kernel does. Read it with
	 * vm_struct_page(). */
	struct page **pages;
	vaddr_t pages_va;       /* VM_VPAGES: the nested area holding it */
	unsigned int nr_pages;
	/* 6.1 vm->page_order: each 2^page_order pages of the array came
	 * from one high-order page (split) and are mapped by one PMD block
	 * (vmalloc_huge); 0 for every other area. */
	unsigned int page_order;
	phys_addr_t phys_addr;
	const char *caller;     /* a static string naming the entry point */
	/* Ours, not the kernel's (docs/vmalloc.md "vm_struct extensions"):
	 * pages mapped from addr on (vmalloc: nr_pages; vmap: count;
	 * get_vm_area and early areas: 0), what vm_check() verifies; and,
	 * for the nested area that holds another area's page array, that
	 * area's address (0 otherwise): such an area is freed only with its
	 * owner. */
	unsigned int nr_mapped;
	vaddr_t array_of;
};

/* Size without the guard page (include/linux/vmalloc.h). */
static inline uint64_t get_vm_area_size(const struct vmf_machine *m,
					const struct vm_struct *vm)
{
	return (vm->flags & VM_NO_GUARD) ? vm->size : vm->size - m->page_size;
}

struct vmap_area {
	vaddr_t va_start;
	vaddr_t va_end;
	unsigned long flags;
	struct rb_node rb_node;       /* address-sorted busy tree */
	struct list_link list;        /* address-sorted busy list */
	struct list_link purge_list;  /* lazily freed, awaiting purge */
	struct vm_struct *vm;
};

/* Observation of the allocator's state, for the harness and tests. */
struct vmalloc_obs {
	uint64_t nr_busy;          /* areas in the tree (live + lazy) */
	uint64_t nr_lazy;          /* areas awaiting purge */
	uint64_t vmap_lazy_nr;     /* pages awaiting purge */
	uint64_t lazy_max_pages;
	vaddr_t cache_va_start;    /* free_vmap_cache's area, 0 if NULL */
	bool cache_set;
	uint64_t cached_hole_size;
	vaddr_t cached_vstart;
	uint64_t cached_align;
	uint64_t nr_purges;        /* purges that found work (flushed) */
	uint64_t nr_purge_calls;   /* purge attempts, empty ones included */
	uint64_t nr_overflow_purges; /* purges caused by an overflow */
	uint64_t nr_deferred[VMF_MAX_CPUS]; /* per-CPU deferred frees queued */
	bool initialized;
	/* Pages of vmalloc'ed areas that remove_vm_area / free_vm_area left
	 * to their caller (still allocated, in no area). */
	uint64_t nr_leaked_pages;
	/* The placement policy (include/vmfuzz/placement.h). */
	unsigned place_guarantee;  /* its guarantee | flags */
	uint64_t free_nr;          /* modern: free vmap_areas in the tree */
	uint64_t free_max;         /* modern: the root's subtree_max_size */
	bool ne_preload[VMF_MAX_CPUS]; /* modern: ne_fit_preload_node set */
	/* vmap blocks (vm_map_ram): in the block index, and on each CPU's
	 * free queue. */
	uint64_t nr_vmap_blocks;
	uint64_t vb_queue_len[VMF_MAX_CPUS];
};

/* ---- boot ---- */
/* Register an early area [addr, addr + size) before vmalloc_init(); 0, or
 * -VMF_EINVAL with WARN_VMALLOC_EARLY_LATE after init, or
 * WARN_VMALLOC_EARLY_OVERLAP when it overlaps another early area (the
 * kernel BUGs), or WARN_VMALLOC_BAD_ARG (unaligned, empty, outside the
 * window). The model allocates the vm_struct itself. */
int vm_area_add_early(struct vmf_machine *m, vaddr_t addr, uint64_t size,
		      unsigned long flags, const char *caller);
/* Place an early area at ALIGN(VMALLOC_START + offset so far, align) like
 * vm_area_register_early(), with VM_ALLOC (the flags of 4.19's one user);
 * returns its address, 0 on refusal (the offset then does not move). */
vaddr_t vm_area_register_early(struct vmf_machine *m, uint64_t size,
			       uint64_t align, const char *caller);
/* Insert every early area into the busy tree (a vmap_area is kzalloc'ed
 * for each, as 4.19; one that cannot be had drops its area with
 * WARN_VMALLOC_ALLOC_FAILURE); a second call warns. Every allocation entry
 * point is refused (WARN_VMALLOC_BAD_ARG) before this. */
void vmalloc_init(struct vmf_machine *m);

/* ---- placement ---- */
/* alloc_vmap_area as the notes give it (legacy policy): returns the area,
 * or NULL with *err = -VMF_ENOMEM (metadata) or -VMF_EBUSY (no space:
 * after one purge and retry, with the kernel's "vmap allocation for size
 * %lu failed: use vmalloc=<size> to increase size" warning), or
 * -VMF_EINVAL for refused arguments. */
struct vmap_area *alloc_vmap_area(struct vmf_machine *m, uint64_t size,
				  uint64_t align, vaddr_t vstart, vaddr_t vend,
				  int node, gfp_t gfp, int *err);
struct vmap_area *find_vmap_area(struct vmf_machine *m, vaddr_t addr);

/* ---- vm areas ---- */
struct vm_struct *__get_vm_area_node(struct vmf_machine *m, uint64_t size,
				     uint64_t align, unsigned long flags,
				     vaddr_t start, vaddr_t end, int node,
				     gfp_t gfp, const char *caller);
struct vm_struct *get_vm_area(struct vmf_machine *m, uint64_t size,
			      unsigned long flags);
struct vm_struct *find_vm_area(struct vmf_machine *m, vaddr_t addr);
/* Unmap (lazily) and take the area out of use; returns its vm_struct,
 * which the caller frees (free_vm_area does both). NULL on refusal. Any
 * live area is taken (as 4.19): a vmalloc'ed one leaves its pages and
 * page array to the caller (vmalloc_obs.nr_leaked_pages). free_vm_area
 * finds the area by pointer and never reads a stale one. */
struct vm_struct *remove_vm_area(struct vmf_machine *m, vaddr_t addr);
int free_vm_area(struct vmf_machine *m, struct vm_struct *area);

/* ---- vmalloc family: return the address, 0 on failure ---- */
vaddr_t __vmalloc_node_range(struct vmf_machine *m, uint64_t size,
			     uint64_t align, vaddr_t start, vaddr_t end,
			     gfp_t gfp, pgprot_t prot, unsigned long vm_flags,
			     int node, const char *caller);
vaddr_t __vmalloc_node(struct vmf_machine *m, uint64_t size, uint64_t align,
		       gfp_t gfp, pgprot_t prot, int node, const char *caller);
vaddr_t __vmalloc(struct vmf_machine *m, uint64_t size, gfp_t gfp,
		  pgprot_t prot);
vaddr_t vmalloc(struct vmf_machine *m, uint64_t size);
vaddr_t vzalloc(struct vmf_machine *m, uint64_t size);
vaddr_t vmalloc_node(struct vmf_machine *m, uint64_t size, int node);
vaddr_t vzalloc_node(struct vmf_machine *m, uint64_t size, int node);
vaddr_t vmalloc_32(struct vmf_machine *m, uint64_t size);
vaddr_t vmalloc_user(struct vmf_machine *m, uint64_t size);
vaddr_t vmalloc_exec(struct vmf_machine *m, uint64_t size);
/* 6.1 vmalloc_huge(size, GFP_KERNEL) on node (lib/mm/vmalloc_huge.c;
 * docs/vmalloc.md "Huge vmalloc"): with cfg.huge_vmalloc and a size per
 * node of at least PMD_SIZE, a PMD-aligned area of PMD-sized steps, each
 * one high-order page split into small pages and mapped by a PMD block;
 * when that cannot be had, and otherwise, vmalloc_node(size, node) with
 * caller "vmalloc_huge". The arguments are checked as vmalloc_node's. */
vaddr_t vmalloc_huge(struct vmf_machine *m, uint64_t size, int node);

/* ---- freeing: 0, or a negative error with a warning and no change ----
 * vfree(0) is a no-op returning 0. In interrupt context (m->in_interrupt)
 * vfree defers like vfree_atomic: the area goes on the current CPU's
 * deferred list and is freed by vmalloc_run_deferred(m, cpu). */
int vfree(struct vmf_machine *m, vaddr_t addr);
int vfree_atomic(struct vmf_machine *m, vaddr_t addr);
int vunmap(struct vmf_machine *m, vaddr_t addr);
/* Run CPU cpu's deferred-free work item; returns areas freed. */
int vmalloc_run_deferred(struct vmf_machine *m, unsigned cpu);

/* vmap: map count pages (struct page pointers of this machine) at a new
 * area; 0 on failure. The pages stay the caller's. */
vaddr_t vmap(struct vmf_machine *m, struct page *const *pages,
	     unsigned int count, unsigned long flags, pgprot_t prot);

/* ---- vm_map_ram (mm/vmalloc.c 4.19, "Per cpu kva allocator") ----
 * Up to VMAP_MAX_ALLOC pages come from the current CPU's vmap blocks,
 * more from a plain area (no vm_struct, no guard page). Returns the
 * address, 0 on failure; the pages stay the caller's. Refused with one
 * warning and no state change: count 0 or above the window's pages
 * (WARN_VMALLOC_BAD_SIZE), pages NULL or not this machine's, before
 * vmalloc_init, in interrupt context (WARN_VMALLOC_BAD_ARG). */
vaddr_t vm_map_ram(struct vmf_machine *m, struct page *const *pages,
		   unsigned int count, int node, pgprot_t prot);
/* Unmap what vm_map_ram(count) returned at addr: 0, or -VMF_EINVAL with
 * one WARN_VMALLOC_BAD_ARG and no state change for an address that is
 * 0, outside the window, unaligned, in no block/area, not the start of a
 * live mapping (free or dirty pages of a block, a block interior, an area
 * already freed), or a count other than the one mapped. */
int vm_unmap_ram(struct vmf_machine *m, vaddr_t addr, unsigned int count);
/* The block geometry of this machine (mm/vmalloc.c 4.19 macros). */
unsigned long vmap_bbmap_bits(const struct vmf_machine *m);
uint64_t vmap_block_size(const struct vmf_machine *m);
#define VMAP_MAX_ALLOC 64u /* BITS_PER_LONG */

/* ---- lazy purge ---- */
void purge_vmap_area_lazy(struct vmf_machine *m); /* explicit purge */
/* ioremap (lib/mm/ioremap.c; docs/vmalloc.md "ioremap"): Linux 4.19
 * lib/ioremap.c ioremap_page_range: [addr, end) -> phys with PUD blocks,
 * PMD blocks or pages; 0, -VMF_ENOMEM, or -VMF_EINVAL with a warning
 * (addr >= end, unaligned). */
int ioremap_page_range(struct vmf_machine *m, vaddr_t addr, vaddr_t end,
		       phys_addr_t phys, pgprot_t prot);
/* arch/arm64/mm/ioremap.c 4.19 __ioremap_caller: the address (phys's page
 * offset kept) or 0; refusals warn. ioremap: prot PROT_DEVICE_nGnRE. */
vaddr_t __ioremap(struct vmf_machine *m, phys_addr_t phys, uint64_t size,
		  pgprot_t prot);
vaddr_t ioremap(struct vmf_machine *m, phys_addr_t phys, uint64_t size);
/* __iounmap: vunmap(addr & PAGE_MASK) when it is a vmalloc address (0
 * otherwise); vunmap's result. */
int iounmap(struct vmf_machine *m, vaddr_t addr);
/* _vm_unmap_aliases(ULONG_MAX, 0, 0): the dirty ranges of the vmap
 * blocks on every CPU's queue (and of full blocks with vb_flush_full),
 * the fragmented blocks purged, the lazy purge, one flush. */
void vm_unmap_aliases(struct vmf_machine *m);

/* ---- lookups and reads ---- */
struct page *vmalloc_to_page(struct vmf_machine *m, vaddr_t addr);
pfn_t vmalloc_to_pfn(struct vmf_machine *m, vaddr_t addr); /* 0 if none */
/* Page i of a vm_struct's page array (NULL if out of range). */
struct page *vm_struct_page(struct vmf_machine *m, const struct vm_struct *vm,
			    unsigned int i);
/* vread: copy count bytes from addr into buf; bytes of the vmalloc range
 * that no live area maps read as zero. Returns bytes copied (count, or 0
 * if addr is outside the window). */
long vread(struct vmf_machine *m, void *buf, vaddr_t addr, uint64_t count);
bool is_vmalloc_addr(const struct vmf_machine *m, vaddr_t addr);

/* ---- dumps and checks ---- */
/* /proc/vmallocinfo, exact 4.19 format (docs/vmalloc.md). */
void vmallocinfo(struct vmf_machine *m, FILE *out);
void vmalloc_observe(const struct vmf_machine *m, struct vmalloc_obs *obs);
/* Placement attempts alloc_vmap_area made since the machine's last reset,
 * by sequence number from 1: the address of attempt seq (0: it found no
 * room, before the overflow purge or at the final failure), or false if
 * seq has not happened or left the log (the last VMALLOC_PLACE_LOG stay).
 * What a checker follows for a placement policy it cannot predict. */
#define VMALLOC_PLACE_LOG 64
bool vmalloc_placement_get(const struct vmf_machine *m, uint64_t seq,
			   vaddr_t *addr);
/* Every busy area in address order (for dumps and the harness): calls fn
 * until it returns non-zero, and returns that (0 after the last). fn must
 * not allocate or free. */
int vmalloc_for_each_area(struct vmf_machine *m,
			  int (*fn)(void *arg, const struct vmap_area *va),
			  void *arg);
/* The busy area holding addr (the tree's answer, as find_vmap_area), or
 * NULL, and the starts of its neighbours on the address-sorted busy list
 * (0 at either end). O(log n), for the harness's per-command check of
 * the list order around an area. */
const struct vmap_area *vmap_area_list_neighbours(struct vmf_machine *m,
						  vaddr_t addr, vaddr_t *prev,
						  vaddr_t *next);
/* The consistency checker: 0, or -1 with why. */
int vm_check(struct vmf_machine *m, char *why, size_t why_len);

#endif
