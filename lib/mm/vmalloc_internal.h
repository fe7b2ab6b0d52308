/* Shared inside the vmalloc layer (vmalloc.c, vmalloc_purge.c,
 * vmalloc_area.c, vmalloc_info.c, vm_check.c): the per-machine state, the
 * placement-policy interface, list helpers. Not part of the public API;
 * tests may include it to look inside or to corrupt state on purpose.
 *
 * Who owns what:
 *   vmalloc.c        busy tree + list, alloc_vmap_area (generic part:
 *                    arguments, metadata, overflow -> purge -> retry),
 *                    __free_vmap_area, the legacy placement policy, the
 *                    machine lifecycle hooks;
 *   vmalloc_purge.c  lazy freeing, purge;
 *   vmap_block.c     vmap blocks: vm_map_ram, vm_unmap_ram,
 *                    vm_unmap_aliases, their vm_check part;
 *   vmalloc_area.c   vm_struct level: get_vm_area, vmalloc family, vfree
 *                    family, deferred frees, vmap, early areas;
 *   vmalloc_pages.c  page arrays (host or nested), their cursor, map_vm_area;
 *   vmalloc_huge.c   huge vmalloc (6.1 VM_ALLOW_HUGE_VMAP), its vm_check part;
 *   vmalloc_info.c   read-only views: vmallocinfo, vread, lookups;
 *   vm_check.c       the consistency checker. */
#ifndef VMFUZZ_LIB_VMALLOC_INTERNAL_H
#define VMFUZZ_LIB_VMALLOC_INTERNAL_H

#include <vmfuzz/placement.h>
#include <vmfuzz/vmalloc.h>

/* mm/internal.h GFP_RECLAIM_MASK restricted to our flag set: the flags a
 * metadata allocation inherits from the caller's gfp. */
#define GFP_RECLAIM_MASK __GFP_NOWARN

/* ---- intrusive doubly linked lists (sentinel heads) -------------------- */

static inline void vlist_init(struct list_link *head)
{
	head->next = head->prev = head;
}

static inline bool vlist_empty(const struct list_link *head)
{
	return head->next == head;
}

/* Insert n right after pos. */
static inline void vlist_add_after(struct list_link *n, struct list_link *pos)
{
	n->prev = pos;
	n->next = pos->next;
	pos->next->prev = n;
	pos->next = n;
}

static inline void vlist_del(struct list_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define va_of_list(l) container_of(l, struct vmap_area, list)
#define va_of_purge(l) container_of(l, struct vmap_area, purge_list)
#define va_of_rb(n) rb_entry(n, struct vmap_area, rb_node)

/* ---- placement policy ---------------------------------------------------
 * A policy (include/vmfuzz/placement.h) decides where a new area goes and
 * keeps whatever it needs to decide fast (legacy: the free_vmap_cache
 * hint; modern: 6.1's tree of free blocks) behind its private pointer.
 * The busy tree and list, lazy freeing and everything above belong to
 * the generic code. The policy is m->cfg.policy's entry of the read-only
 * registry; its state is created by vmalloc_init(), destroyed at reset. */

/* Legacy (3.10 .. 5.1) placement state: mm/vmalloc.c's globals. The
 * hint is kept as its area's start (the area is in the busy tree). */
struct vmap_legacy_state {
	bool cache_set;            /* free_vmap_cache != NULL */
	vaddr_t cache_start;       /* free_vmap_cache->va_start */
	uint64_t cached_hole_size;
	vaddr_t cached_vstart;
	uint64_t cached_align;
};

/* ---- vmap blocks (mm/vmalloc.c 4.19, "Per cpu kva allocator") ----------
 * VMAP_BBMAP_BITS_MAX bounds the pages of a block whatever the machine. */
#define VMAP_BBMAP_BITS_MAX 1024u
#define VMAP_BBMAP_BITS_MIN (VMAP_MAX_ALLOC * 2)

/* vmap_block.map[i], ours (4.19 keeps only the counts): page i is free
 * (never carved), dirty (carved and unmapped), inside a live carve, or
 * the first page of a live carve holding the count mapped (1..64). */
#define VB_PAGE_FREE 0
#define VB_PAGE_DIRTY 0xff
#define VB_PAGE_TAIL 0xfe

struct vmap_block {
	struct vmap_area *va;
	unsigned long free, dirty;
	unsigned long dirty_min, dirty_max; /* dirty range, in pages */
	struct list_link free_list; /* on vbq[cpu] while queued */
	struct list_link purge;     /* purge_fragmented_blocks' local list */
	struct rb_node rb_node;     /* the block index, by addr_to_vb_idx */
	unsigned cpu;               /* the queue it went on (6.10's vb->cpu) */
	bool queued;
	uint8_t map[VMAP_BBMAP_BITS_MAX];
};

#define vb_of_free(l) container_of(l, struct vmap_block, free_list)
#define vb_of_purge(l) container_of(l, struct vmap_block, purge)
#define vb_of_rb(n) rb_entry(n, struct vmap_block, rb_node)

struct vmalloc_state {
	const struct vmf_placement *place;
	void *place_priv; /* NULL before vmalloc_init() */

	/* Busy areas (live, lazily freed, or bare vmap_areas), sorted by
	 * address in the tree and in the list. */
	struct rb_root root;
	struct list_link busy;
	uint64_t nr_busy;

	/* Lazily freed areas, newest first (the kernel's llist is a LIFO
	 * stack), threaded through vmap_area.purge_list. */
	struct list_link purge;
	uint64_t nr_lazy;
	uint64_t vmap_lazy_nr; /* pages on the purge list */

	/* Per-CPU deferred frees (vfree in interrupt, vfree_atomic), newest
	 * first, also threaded through vmap_area.purge_list: an area is on
	 * at most one of these lists or the purge list. */
	struct list_link deferred[VMF_MAX_CPUS];
	uint64_t nr_deferred[VMF_MAX_CPUS];

	/* Early areas before vmalloc_init(), sorted by address through
	 * vm_struct.next (the kernel's vmlist). */
	struct vm_struct *vmlist;
	uint64_t vm_init_off; /* vm_area_register_early()'s static */
	bool initialized;

	/* Pages of vmalloc'ed areas handed to the caller by remove_vm_area
	 * or free_vm_area: still allocated, owned by no area. */
	uint64_t leaked_pages;

	uint64_t nr_purges;
	uint64_t nr_purge_calls;
	uint64_t nr_overflow_purges;
	/* vmap_purge_lock held (purge_vmap_area_lazy, _vm_unmap_aliases):
	 * try_purge_vmap_area_lazy's trylock fails meanwhile. */
	bool purge_lock_held;

	/* Every placement alloc_vmap_area made, by sequence number (1, 2,
	 * ...): the observation a checker needs to follow a policy it
	 * cannot predict (vmalloc_placement_get). */
	vaddr_t place_log[VMALLOC_PLACE_LOG];
	uint64_t place_seq;

	/* vmap blocks: the index (radix tree in the kernel) keyed by
	 * addr_to_vb_idx, and each CPU's vmap_block_queue (oldest first). */
	struct rb_root vb_root;
	uint64_t nr_vmap_blocks;
	struct list_link vbq[VMF_MAX_CPUS];
	uint64_t vbq_len[VMF_MAX_CPUS];
};

/* ---- vmalloc.c ---- */
void vmap_insert_busy(struct vmf_machine *m, struct vmap_area *va);
struct vmap_area *__find_vmap_area(struct vmf_machine *m, vaddr_t addr);
/* alloc_vmap_area without the argument checks (callers checked them). */
struct vmap_area *__alloc_vmap_area(struct vmf_machine *m, uint64_t size,
				    uint64_t align, vaddr_t vstart,
				    vaddr_t vend, int node, gfp_t gfp,
				    int *err);
/* Release a busy area now: policy hook (free), unlink, kfree. */
void __free_vmap_area(struct vmf_machine *m, struct vmap_area *va);
/* vmalloc_init()'s last step: create the policy's state. */
void vmap_policy_start(struct vmf_machine *m);
/* Shared argument checks, in this order: align (BAD_ALIGN), range
 * (BAD_RANGE: start < end, page aligned, inside the window), node, gfp
 * (BAD_ARG). One warning and -VMF_EINVAL on the first that fails. */
int vmalloc_check_common(struct vmf_machine *m, const char *fn,
			 uint64_t align, vaddr_t start, vaddr_t end, int node,
			 gfp_t gfp);
/* [addr, end) -> phys with PTEs, the PTE table allocated first (ioremap.c;
 * a live PTE is mmu_map_pages's WARN_MMU_REMAP and an error). */
int ioremap_pte_range(struct vmf_machine *m, vaddr_t addr, vaddr_t end,
		      phys_addr_t phys, pgprot_t prot);
/* get_vm_area_caller(size, VM_IOREMAP) without the totalram cap. */
struct vm_struct *get_vm_area_ioremap(struct vmf_machine *m, uint64_t size,
				      const char *caller);
bool vmap_area_is_last(const struct vmf_machine *m,
		       const struct vmap_area *va);

/* ---- vmalloc_purge.c ---- */
/* free_unmap_vmap_area's second half: count the pages, push va on the
 * purge list, purge past the threshold. The caller has unmapped it. */
void free_vmap_area_noflush(struct vmf_machine *m, struct vmap_area *va);
/* __purge_vmap_area_lazy(start, end): true if it found work (then one
 * flush covers [start, end) and every lazy area). */
bool __purge_vmap_area_lazy(struct vmf_machine *m, vaddr_t start,
			    vaddr_t end);

/* ---- vmap_block.c ---- */
void purge_fragmented_blocks_allcpus(struct vmf_machine *m);
/* The block whose index addr falls in, or NULL. */
struct vmap_block *vmap_block_lookup(struct vmf_machine *m, vaddr_t addr);
/* vm_check's part for blocks and vm_map_ram areas: 0 or -1 with why. */
int vmap_blocks_check(struct vmf_machine *m, char *why, size_t why_len);
/* A bare area from vm_map_ram (VMAP_RAM): its pages mapped, the rest not. */
int vmap_ram_area_check(struct vmf_machine *m, struct vmap_area *va,
			char *why, size_t why_len);

/* ---- vmalloc_area.c: the steps vmalloc_huge.c builds on ---- */
/* __vmalloc_node_range / __get_vm_area_node's argument checks (docs/
 * vmalloc.md "Hardened behaviour"): 0, or -VMF_EINVAL after one warning. */
int check_area_args(struct vmf_machine *m, const char *fn, uint64_t size,
		    uint64_t align, vaddr_t start, vaddr_t end, int node,
		    gfp_t gfp, unsigned long vm_flags);
/* __get_vm_area_node after the checks (guard page added, vm_struct set). */
struct vm_struct *get_vm_area_nocheck(struct vmf_machine *m, uint64_t size,
				      uint64_t align, unsigned long flags,
				      vaddr_t start, vaddr_t end, int node,
				      gfp_t gfp, const char *caller);
/* __vmalloc_node_range after the checks (4.19, small pages). */
vaddr_t vmalloc_nocheck(struct vmf_machine *m, uint64_t size, uint64_t align,
			vaddr_t start, vaddr_t end, gfp_t gfp, pgprot_t prot,
			unsigned long vm_flags, int node, const char *caller);
/* The page array of area->nr_pages entries; false: area removed and
 * freed (no warning), as 4.19's array failure. */
bool vmalloc_page_array(struct vmf_machine *m, struct vm_struct *area,
			gfp_t gfp, int node);
/* remove_vm_area's unmap and lazy free (va may be gone after it). */
void remove_vmap_area_lazy(struct vmf_machine *m, struct vmap_area *va);
/* __vunmap after the checks: the area lazily, its pages (order 0) if
 * deallocate_pages, its page array, its vm_struct. */
void __vunmap_area(struct vmf_machine *m, struct vmap_area *va,
		   bool deallocate_pages);

/* ---- vmalloc_huge.c ---- */
/* vm_check's part for an area with page_order: 0 or -1 with why. */
int vmalloc_huge_check(struct vmf_machine *m, const struct vm_struct *vm,
		       char *why, size_t why_len);

/* ---- vmalloc_pages.c: page arrays ---- */
/* struct page * on arm64: the size of one page-array entry. */
#define PAGE_PTR_SIZE 8u

/* Is page one of this machine's descriptors? Integer compares only: a
 * stray pointer must not be undefined behaviour to test. */
bool page_ptr_ok(const struct vmf_machine *m, const struct page *page);
/* Map pages [0, nr) of vm (pages, or vm's own array when NULL). */
int map_vm_area(struct vmf_machine *m, struct vm_struct *vm,
		struct page *const *pages, unsigned int nr, pgprot_t prot);
/* The nested area holding vm's page array, or NULL if it is gone or does
 * not claim to be vm's (never trusted blindly). */
struct vm_struct *vm_page_array_area(struct vmf_machine *m,
				     const struct vm_struct *vm);

/* ---- page-array cursor (vmalloc_pages.c) ----------------------------------
 * Runs over one page array: what vm_struct_page() gives for each index,
 * or stores in index order, without resolving a nested array (tree
 * lookup, checks, holder page, recursively) for every entry. The holder
 * page of entry i is resolved once for all the entries it holds, and
 * entries move VM_PAGE_BATCH at a time with one physical access. Every
 * pfn read is still checked when it is handed out (vm_struct_page's
 * rules), so a corrupted array is caught exactly as entry by entry.
 *
 * What the cursor keeps depends on the busy tree, the vm_structs and the
 * holder pages (allocated, contents); none changes during a run except
 * by freeing pages: a reader that frees a page calls
 * vm_page_cursor_freed(), which drops everything if that page was a
 * holder. A cursor either reads or writes; a writer flushes before
 * anyone reads the array. */
#define VM_PAGE_BATCH 64u
#define VM_PAGE_MAX_DEPTH 8 /* nested page arrays: 3 levels at most */

struct vm_page_cursor {
	const struct vm_struct *vm;
	/* Entries [lo, hi) are in one holder page, entry lo at phys base;
	 * lost: that holder is unreachable (every entry reads NULL). */
	unsigned int lo, hi;
	bool lost;
	phys_addr_t base;
	/* Every page read to find that holder, the holder included. */
	unsigned int nr_holders;
	const struct page *holders[VM_PAGE_MAX_DEPTH + 2];
	/* Entries [blo, blo + nr_buf), little-endian: read ahead, or
	 * waiting to be written. */
	unsigned int blo, nr_buf;
	uint8_t buf[VM_PAGE_BATCH * 8];
};

void vm_page_cursor_init(struct vm_page_cursor *c, const struct vm_struct *vm);
/* vm_struct_page(m, c->vm, i). */
struct page *vm_page_cursor_get(struct vmf_machine *m,
				struct vm_page_cursor *c, unsigned int i);
/* A page was just freed: forget the holders if it was one of them. */
void vm_page_cursor_freed(struct vm_page_cursor *c, const struct page *pg);
/* Store entry i (false: the array is not reachable). Stores of a nested
 * array land in simulated RAM at vm_page_cursor_flush() at the latest. */
bool vm_page_cursor_set(struct vmf_machine *m, struct vm_page_cursor *c,
			unsigned int i, struct page *page);
void vm_page_cursor_flush(struct vmf_machine *m, struct vm_page_cursor *c);

/* arm64 4.19 (arch/arm64/include/asm/memory.h): PUD_SHIFT with 4K pages,
 * else PMD_SHIFT, i.e. the level-1 / level-2 entry size. */
static inline unsigned ioremap_max_order(const struct vmf_machine *m)
{
	unsigned stride = m->page_shift - 3;
	return m->page_shift == 12 ? m->page_shift + 2 * stride
				   : m->page_shift + stride;
}

#endif
