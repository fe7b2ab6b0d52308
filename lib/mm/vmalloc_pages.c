/* Page arrays of vm_structs (Linux 4.19 semantics, hardened): the
 * entries an area keeps for its pages, read and written through a cursor,
 * and map_vm_area, which maps them.
 *
 * An area of nr_pages pages keeps its pages in an array of nr_pages 8-byte
 * entries, as the kernel's struct page *[] on arm64. Up to one page of
 * entries, the array is a kmalloc'ed host array of struct page pointers
 * (vm->pages). Larger, it lives where the kernel puts it: in a nested
 * vmalloc area (vm->pages_va, VM_VPAGES), in simulated RAM, one
 * little-endian pfn per entry. Entries are written and read with physical
 * accesses (never through the MMU, so the TLB does not see them) and every
 * pfn read back is checked to be an allocated order-0 OWNER_VMALLOC page
 * before it is used (docs/vmalloc.md "Page arrays").
 *
 * Invariant kept here: a cursor never hands out a page that is not one of
 * this machine's allocated OWNER_VMALLOC descriptors. */
#include <string.h>

#include "kernel/util.h"
#include "vmalloc_internal.h"

#define MAP_CHUNK 256

/* Is page one of this machine's descriptors? Integer compares only: a
 * stray pointer must not be undefined behaviour to test. */
bool page_ptr_ok(const struct vmf_machine *m, const struct page *page)
{
	uintptr_t lo = (uintptr_t)m->phys.pages, p = (uintptr_t)page;

	return page && p >= lo && (p - lo) % sizeof(struct page) == 0 &&
	       (p - lo) / sizeof(struct page) < m->phys.nr_pages;
}

/* ---- page arrays ----------------------------------------------------------- */

struct vm_struct *vm_page_array_area(struct vmf_machine *m,
				     const struct vm_struct *vm)
{
	struct vmap_area *va;
	struct vm_struct *n;

	if (!vm->pages_va)
		return NULL;
	va = __find_vmap_area(m, vm->pages_va);
	if (!va || va->va_start != vm->pages_va || !(va->flags & VM_VM_AREA) ||
	    !va->vm)
		return NULL;
	n = va->vm;
	if (n == vm || n->array_of != vm->addr || !(n->flags & VM_ALLOC) ||
	    (uint64_t)n->nr_pages << m->page_shift <
		    (uint64_t)vm->nr_pages * PAGE_PTR_SIZE)
		return NULL;
	return n;
}

/* Written out, not as loops: gcc and clang make each one access on LE
 * hosts. */
/* A pfn read back from simulated memory is only trusted if it names a
 * page that a vmalloc area could own. */
static struct page *vmalloc_page_of_pfn(struct vmf_machine *m, pfn_t pfn)
{
	struct page *pg = phys_pfn_to_page(&m->phys, pfn);

	if (!pg || !(pg->flags & PG_head) || pg->order != 0 ||
	    pg->owner != OWNER_VMALLOC)
		return NULL;
	return pg;
}

static void note_holder(struct vm_page_cursor *c, const struct page *pg)
{
	if (c->nr_holders < ARRAY_SIZE(c->holders))
		c->holders[c->nr_holders++] = pg;
}

static struct page *array_holder(struct vmf_machine *m,
				 struct vm_page_cursor *c,
				 const struct vm_struct *vm, unsigned int i,
				 int depth);

/* Entry i of vm's array, entry by entry (vm_struct_page at depth), noting
 * the holder pages it reads. */
static struct page *page_depth(struct vmf_machine *m, struct vm_page_cursor *c,
			       const struct vm_struct *vm, unsigned int i,
			       int depth)
{
	uint64_t off = (uint64_t)i * PAGE_PTR_SIZE;
	struct page *holder;
	uint8_t b[8];

	if (!vm || i >= vm->nr_pages || depth > VM_PAGE_MAX_DEPTH)
		return NULL;
	if (vm->pages)
		return vm->pages[i];
	holder = array_holder(m, c, vm, i, depth);
	if (!holder)
		return NULL;
	note_holder(c, holder);
	if (!phys_read(m, page_to_phys(m, holder) + (off & (m->page_size - 1)),
		       b, sizeof(b)))
		return NULL;
	return vmalloc_page_of_pfn(m, load_le64(b));
}

/* The page of vm's nested array that holds entry i, or NULL. */
static struct page *array_holder(struct vmf_machine *m,
				 struct vm_page_cursor *c,
				 const struct vm_struct *vm, unsigned int i,
				 int depth)
{
	const struct vm_struct *nested = vm_page_array_area(m, vm);
	uint64_t off = (uint64_t)i * PAGE_PTR_SIZE;

	if (!nested)
		return NULL;
	return page_depth(m, c, nested, (unsigned int)(off >> m->page_shift),
			  depth + 1);
}

void vm_page_cursor_init(struct vm_page_cursor *c, const struct vm_struct *vm)
{
	c->vm = vm;
	c->lo = c->hi = 0;
	c->lost = true;
	c->base = 0;
	c->nr_holders = 0;
	c->blo = c->nr_buf = 0;
}

/* Find the holder page of entry i (i < nr_pages, nested array) and the
 * run of entries it holds. */
static void cursor_resolve(struct vmf_machine *m, struct vm_page_cursor *c,
			   unsigned int i)
{
	const struct vm_struct *vm = c->vm;
	unsigned int per = (unsigned int)(m->page_size / PAGE_PTR_SIZE);
	struct page *holder;

	c->nr_holders = 0;
	c->nr_buf = 0;
	c->lo = i & ~(per - 1);
	c->hi = vm->nr_pages - c->lo > per ? c->lo + per : vm->nr_pages;
	holder = array_holder(m, c, vm, i, 0);
	c->lost = !holder;
	if (holder) {
		note_holder(c, holder);
		c->base = page_to_phys(m, holder);
	}
}

struct page *vm_page_cursor_get(struct vmf_machine *m,
				struct vm_page_cursor *c, unsigned int i)
{
	const struct vm_struct *vm = c->vm;

	if (!vm || i >= vm->nr_pages)
		return NULL;
	if (vm->pages)
		return vm->pages[i];
	if (i - c->blo >= c->nr_buf) {
		unsigned int n;

		if (i < c->lo || i >= c->hi)
			cursor_resolve(m, c, i);
		if (c->lost)
			return NULL;
		n = c->hi - i < VM_PAGE_BATCH ? c->hi - i : VM_PAGE_BATCH;
		/* The holder is a page of this machine: the read stays in
		 * RAM. */
		phys_read(m, c->base + (uint64_t)(i - c->lo) * PAGE_PTR_SIZE,
			  c->buf, (size_t)n * PAGE_PTR_SIZE);
		c->blo = i;
		c->nr_buf = n;
	}
	return vmalloc_page_of_pfn(m, load_le64(c->buf + (size_t)(i - c->blo) *
							    PAGE_PTR_SIZE));
}

void vm_page_cursor_freed(struct vm_page_cursor *c, const struct page *pg)
{
	/* Freed, a holder reads as poison: resolve again from scratch, as
	 * a lookup of the next entry on its own would. */
	for (unsigned int k = 0; k < c->nr_holders; k++)
		if (c->holders[k] == pg) {
			vm_page_cursor_init(c, c->vm);
			return;
		}
}

void vm_page_cursor_flush(struct vmf_machine *m, struct vm_page_cursor *c)
{
	if (!c->nr_buf)
		return;
	phys_write(m, c->base + (uint64_t)(c->blo - c->lo) * PAGE_PTR_SIZE,
		   c->buf, (size_t)c->nr_buf * PAGE_PTR_SIZE);
	c->nr_buf = 0;
}

bool vm_page_cursor_set(struct vmf_machine *m, struct vm_page_cursor *c,
			unsigned int i, struct page *page)
{
	const struct vm_struct *vm = c->vm;

	if (vm->pages) {
		vm->pages[i] = page;
		return true;
	}
	if (c->nr_buf && i != c->blo + c->nr_buf)
		vm_page_cursor_flush(m, c);
	if (i < c->lo || i >= c->hi) {
		vm_page_cursor_flush(m, c);
		cursor_resolve(m, c, i);
	}
	if (c->lost)
		return false;
	if (!c->nr_buf)
		c->blo = i;
	store_le64(c->buf + (size_t)c->nr_buf * PAGE_PTR_SIZE,
		 phys_page_to_pfn(&m->phys, page));
	if (++c->nr_buf == VM_PAGE_BATCH || i + 1 == c->hi)
		vm_page_cursor_flush(m, c);
	return true;
}

/* Map pages [0, nr) of vm (map_vm_area), in chunks so no host buffer of
 * the area's size is needed; the table pages are allocated in the same
 * order as one call would. On failure the pages before stay mapped: the
 * caller's free unmaps the whole area. */
int map_vm_area(struct vmf_machine *m, struct vm_struct *vm,
		       struct page *const *pages, unsigned int nr,
		       pgprot_t prot)
{
	pfn_t pfns[MAP_CHUNK];
	struct vm_page_cursor cur;

	vm_page_cursor_init(&cur, vm);
#if defined(VMF_PLANT_PTE_NO_AF)
	/* PLANT PTE_NO_AF: the PTEs miss the access flag. */
	prot &= ~PTE_AF;
#endif
	for (unsigned int i = 0; i < nr; i += MAP_CHUNK) {
		unsigned int c = nr - i < MAP_CHUNK ? nr - i : MAP_CHUNK;
		int ret;

		for (unsigned int k = 0; k < c; k++) {
			struct page *pg = pages ? pages[i + k] :
						  vm_page_cursor_get(m, &cur, i + k);
			if (!pg)
				return -VMF_ENOMEM; /* WARN_ON(!page) */
			pfns[k] = phys_page_to_pfn(&m->phys, pg);
		}
#if defined(VMF_PLANT_MAP_PAGES_SWAPPED)
		/* PLANT MAP_PAGES_SWAPPED: the first two pages of the array
		 * are mapped each at the other's address. */
		if (i == 0 && c >= 2) {
			pfn_t t = pfns[0];

			pfns[0] = pfns[1];
			pfns[1] = t;
		}
#endif
#if defined(VMF_PLANT_MAP_LAST_PAGE_SKIPPED)
		/* PLANT MAP_LAST_PAGE_SKIPPED: the loop's end is one page
		 * short: the last page of an area of two or more is never
		 * mapped (its array entry and its frame are there). */
		if (i + c == nr && nr > 1)
			c--;
#endif
		ret = mmu_map_pages(m, vm->addr + ((uint64_t)i << m->page_shift),
				    pfns, c, prot);
		if (ret)
			return ret;
#if defined(VMF_PLANT_MAP_PAST_GUARD) || defined(VMF_PLANT_MAP_INTO_HOLE)
		/* PLANT MAP_PAST_GUARD: the last chunk's last page is mapped
		 * once more at the first page past the guard (a loop bound
		 * two pages long). PLANT MAP_INTO_HOLE: the same slip, with
		 * no area above (its seed): the page lands in a hole. */
		if (i + c == nr && vm->addr + vm->size > vm->addr)
			(void)mmu_map_pages(m, vm->addr + vm->size, &pfns[c - 1],
					    1, prot);
#endif
	}
	return 0;
}
