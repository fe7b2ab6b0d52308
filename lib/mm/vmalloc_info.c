/* Read-only views of the vmalloc layer: /proc/vmallocinfo, vread, the
 * page lookups, the observation struct and the area iterator.
 *
 * Nothing here changes allocator, page-table or TLB state: memory is read
 * through physical accesses after a table walk (mmu_lookup), never
 * through mmu_access, which would fill the TLB. */
#include <string.h>

#include "vmalloc_internal.h"

bool is_vmalloc_addr(const struct vmf_machine *m, vaddr_t addr)
{
	return addr >= m->cfg.vmalloc_start && addr < m->cfg.vmalloc_end;
}

/* ---- page arrays ---------------------------------------------------------- */

struct page *vm_struct_page(struct vmf_machine *m, const struct vm_struct *vm,
			    unsigned int i)
{
	struct vm_page_cursor c;

	vm_page_cursor_init(&c, vm);
	return vm_page_cursor_get(m, &c, i);
}

/* ---- lookups ------------------------------------------------------------- */

struct page *vmalloc_to_page(struct vmf_machine *m, vaddr_t addr)
{
	pfn_t pfn;

#if defined(VMF_PLANT_TO_PAGE_THROUGH_TLB)
	/* PLANT TO_PAGE_THROUGH_TLB: the translation is asked of the MMU (an
	 * AT instruction, PAR_EL1) first, which answers from a TLB entry the
	 * tables no longer hold (a lazily freed area not yet flushed). */
	size_t n;
	const struct tlb_entry *t = tlb_entries(m, &n);

	for (size_t i = 0; i < n; i++)
		if (t[i].valid && addr - t[i].va < (1ull << t[i].shift))
			return pfn_to_page(m, (t[i].pa + ((addr - t[i].va) &
							  ~(m->page_size - 1))) >>
						      m->page_shift);
#endif
	if (!mmu_va_to_pfn(m, addr, &pfn))
		return NULL;
#if defined(VMF_PLANT_TO_PAGE_ROUND_UP)
	/* PLANT TO_PAGE_ROUND_UP: the page of an address inside a page is
	 * rounded up (PFN_UP instead of PFN_DOWN): the neighbouring frame. */
	if (addr & (m->page_size - 1))
		pfn++;
#endif
	return pfn_to_page(m, pfn);
}

pfn_t vmalloc_to_pfn(struct vmf_machine *m, vaddr_t addr)
{
	pfn_t pfn;

#if defined(VMF_PLANT_TO_PFN_NO_PFN_OFFSET)
	/* PLANT TO_PFN_NO_PFN_OFFSET: the frame is given as its index in the
	 * memory map, without the first pfn of RAM (PHYS_PFN_OFFSET). */
	return mmu_va_to_pfn(m, addr, &pfn) ?
		       pfn - (m->phys.base >> m->page_shift) : 0;
#else
	return mmu_va_to_pfn(m, addr, &pfn) ? pfn : 0;
#endif
}

/* ---- vread ---------------------------------------------------------------- */

/* The lowest busy area ending above addr, or NULL. */
static struct vmap_area *first_area_above(struct vmf_machine *m, vaddr_t addr)
{
	struct rb_node *n = m->vm->root.rb_node;
	struct vmap_area *best = NULL;

	while (n) {
		struct vmap_area *va = va_of_rb(n);

		if (va->va_end > addr) {
			best = va;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* Copy [addr, addr + len) of one live area's pages (aligned_vread): a
 * page that is not mapped reads as zeros (buf is zeroed already). */
static void vread_pages(struct vmf_machine *m, uint8_t *buf, vaddr_t addr,
			uint64_t len)
{
	while (len) {
		uint64_t off = addr & (m->page_size - 1);
		uint64_t n = m->page_size - off;
		phys_addr_t pa;

		if (n > len)
			n = len;
		if (mmu_lookup(m, addr, NULL, NULL, &pa))
#if defined(VMF_PLANT_VREAD_NEIGHBOUR_FRAME)
			/* PLANT VREAD_NEIGHBOUR_FRAME: a piece that starts
			 * inside a page is copied from the next frame. */
			phys_read(m, off ? pa + m->page_size : pa, buf, (size_t)n);
#else
			phys_read(m, pa, buf, (size_t)n);
#endif
		buf += n;
		addr += n;
		len -= n;
	}
}

long vread(struct vmf_machine *m, void *buf, vaddr_t addr, uint64_t count)
{
	uint8_t *out = buf;
	uint64_t len = count;
	struct vmap_area *va;
	struct list_link *l;

#if defined(VMF_PLANT_VREAD_END_CHECKED)
	/* PLANT VREAD_END_CHECKED: the window test is made on the range's
	 * last byte, not its start: a read running past the window's end
	 * returns 0. */
	if (!m->vm || !buf || !count || !is_vmalloc_addr(m, addr + count - 1))
		return 0;
#else
	if (!m->vm || !buf || !count || !is_vmalloc_addr(m, addr))
		return 0;
#endif
	/* "Don't allow overflow": stop at the top of the address space; the
	 * rest of buf reads as zeros, as every hole does. */
	if (addr + len < addr)
		len = 0 - addr;
	memset(out, 0, (size_t)count);

	va = first_area_above(m, addr);
	for (l = va ? &va->list : NULL; l && l != &m->vm->busy; l = l->next) {
		const struct vm_struct *vm;
		vaddr_t lo, hi;

		va = va_of_list(l);
		if (va->va_start >= addr + len)
			break;
		/* Only live areas are read; lazily freed ones, bare
		 * vmap_areas (vmap blocks and vm_map_ram areas among them:
		 * 4.19 vread skips !VM_VM_AREA) and holes read as zeros. */
		if (!(va->flags & VM_VM_AREA) || !va->vm)
			continue;
		vm = va->vm;
		lo = vm->addr > addr ? vm->addr : addr;
		hi = vm->addr + get_vm_area_size(m, vm);
		if (hi > addr + len)
			hi = addr + len;
		/* IOREMAP areas are holes: device memory is not read. */
		if (lo < hi && !(vm->flags & VM_IOREMAP))
			vread_pages(m, out + (lo - addr), lo, hi - lo);
	}
	return (long)count;
}

/* ---- /proc/vmallocinfo ---------------------------------------------------- */

/* A line is built in a buffer by hand and written once: the oracle
 * compares the whole text at every `check`, and printf's formatting was
 * most of its cost. The format is 4.19 s_show's. */
struct line {
	char b[384];
	size_t n;
};

static void put_str(struct line *l, const char *t)
{
	while (*t && l->n < sizeof(l->b) - 1)
		l->b[l->n++] = *t++;
}

/* 0x and 16 hex digits (%016llx after "0x"). */
static void put_hex16(struct line *l, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char t[19];

	t[0] = '0';
	t[1] = 'x';
	for (int i = 0; i < 16; i++)
		t[2 + i] = digits[(v >> (60 - 4 * i)) & 0xf];
	t[18] = 0;
	put_str(l, t);
}

/* Unsigned decimal, right-aligned in width (%*llu). */
static void put_dec(struct line *l, uint64_t v, int width)
{
	char t[24];
	int n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int k = n; k < width; k++)
		put_str(l, " ");
	while (n && l->n < sizeof(l->b) - 1)
		l->b[l->n++] = t[--n];
}

static void show_numa_info(struct vmf_machine *m, struct line *l,
			   const struct vm_struct *v)
{
	unsigned int counters[VMF_MAX_NODES] = {0};
	struct vm_page_cursor cur;

	/* CONFIG_NUMA=y as on arm64 defconfig: a count per node with
	 * memory, not for an area still being set up. */
	if (v->flags & VM_UNINITIALIZED)
		return;
	vm_page_cursor_init(&cur, v);
	for (unsigned int i = 0; i < v->nr_pages; i++) {
		struct page *pg = vm_page_cursor_get(m, &cur, i);
		int nid = pg ? page_to_nid(m, pg) : -1;

		if (nid >= 0 && nid < VMF_MAX_NODES)
			counters[nid]++;
	}
	for (unsigned int n = 0; n < m->cfg.nr_nodes && n < VMF_MAX_NODES; n++)
		if (counters[n]) {
			put_str(l, " N");
			put_dec(l, n, 0);
			put_str(l, "=");
			put_dec(l, counters[n], 0);
		}
}

/* 4.19 s_show: an area without VM_VM_AREA is "unpurged vm_area" if
 * VM_LAZY_FREE, else "vm_map_ram". 4.19 sets VM_LAZY_FREE only in
 * remove_vm_area; the model also marks vm_map_ram areas and vmap blocks
 * freed lazily (VMAP_RAM / VMAP_BLOCK), which 4.19 shows as "vm_map_ram"
 * until the purge. */
static const char *lazy_name(const struct vmap_area *va)
{
	if ((va->flags & VM_LAZY_FREE) && !(va->flags & (VMAP_RAM | VMAP_BLOCK)))
		return "unpurged vm_area";
	return "vm_map_ram";
}

/* "start-end size": %7lld of the size (never negative here). */
static void put_range(struct line *l, uint64_t start, uint64_t size)
{
	put_hex16(l, start);
	put_str(l, "-");
	put_hex16(l, start + size);
	put_str(l, " ");
	put_dec(l, size, 7);
}

void vmallocinfo(struct vmf_machine *m, FILE *out)
{
	struct list_link *lk;

	if (!m->vm)
		return;
	for (lk = m->vm->busy.next; lk != &m->vm->busy; lk = lk->next) {
		const struct vmap_area *va = va_of_list(lk);
		const struct vm_struct *v;
		struct line l;

		l.n = 0;
		if (!(va->flags & VM_VM_AREA)) {
			put_range(&l, va->va_start, va->va_end - va->va_start);
			put_str(&l, " ");
			put_str(&l, lazy_name(va));
			put_str(&l, "\n");
			fwrite(l.b, 1, l.n, out);
			continue;
		}
		v = va->vm;
		put_range(&l, v->addr, v->size);
		if (v->caller) {
			put_str(&l, " ");
			put_str(&l, v->caller);
		}
		if (v->nr_pages) {
			put_str(&l, " pages=");
#if defined(VMF_PLANT_VMALLOCINFO_PAGES_OFF)
			/* PLANT VMALLOCINFO_PAGES_OFF: the count one too high. */
			put_dec(&l, (uint64_t)v->nr_pages + 1, 0);
#else
			put_dec(&l, v->nr_pages, 0);
#endif
		}
		if (v->phys_addr) {
			put_str(&l, " phys=");
			put_hex16(&l, v->phys_addr);
		}
		if (v->flags & VM_IOREMAP)
			put_str(&l, " ioremap");
		if (v->flags & VM_ALLOC)
			put_str(&l, " vmalloc");
		if (v->flags & VM_MAP)
			put_str(&l, " vmap");
		if (v->flags & VM_USERMAP)
			put_str(&l, " user");
		/* is_vmalloc_addr(v->pages) */
		if (v->pages_va)
			put_str(&l, " vpages");
		show_numa_info(m, &l, v);
		/* the newline always fits: the text stops one short */
		l.b[l.n++] = '\n';
		fwrite(l.b, 1, l.n, out);
#if defined(VMF_PLANT_VMALLOCINFO_LAST_TWICE)
		/* PLANT VMALLOCINFO_LAST_TWICE: the iterator's position is
		 * not advanced past the last record, which is shown again. */
		if (lk->next == &m->vm->busy)
			fwrite(l.b, 1, l.n, out);
#endif
	}
}

/* ---- observation ---------------------------------------------------------- */

bool vmalloc_placement_get(const struct vmf_machine *m, uint64_t seq,
			   vaddr_t *addr)
{
	const struct vmalloc_state *vs = m->vm;

	if (!vs || seq == 0 || seq > vs->place_seq ||
	    vs->place_seq - seq >= VMALLOC_PLACE_LOG)
		return false;
	*addr = vs->place_log[seq % VMALLOC_PLACE_LOG];
	return true;
}

void vmalloc_observe(const struct vmf_machine *m, struct vmalloc_obs *obs)
{
	const struct vmalloc_state *vs = m->vm;

	if (!vs) {
		memset(obs, 0, sizeof(*obs));
		return;
	}
	/* Field by field: the harness observes after every command, and a
	 * memset of the whole struct costs more than all of this. */
	obs->cache_va_start = 0; /* the policy fields, for its observe */
	obs->cache_set = false;
	obs->cached_hole_size = 0;
	obs->cached_vstart = 0;
	obs->cached_align = 0;
	obs->nr_busy = vs->nr_busy;
	obs->nr_lazy = vs->nr_lazy;
	obs->vmap_lazy_nr = vs->vmap_lazy_nr;
	obs->lazy_max_pages = m->cfg.lazy_max_pages;
	obs->nr_purges = vs->nr_purges;
	obs->nr_purge_calls = vs->nr_purge_calls;
	obs->nr_overflow_purges = vs->nr_overflow_purges;
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++)
		obs->nr_deferred[i] = vs->nr_deferred[i];
	obs->initialized = vs->initialized;
	obs->nr_leaked_pages = vs->leaked_pages;
	obs->place_guarantee = vs->place->guarantee;
	obs->free_nr = 0;
	obs->free_max = 0;
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++)
		obs->ne_preload[i] = false;
	if (vs->place_priv && vs->place->observe)
		vs->place->observe(m, vs->place_priv, obs);
	obs->nr_vmap_blocks = vs->nr_vmap_blocks;
	for (unsigned i = 0; i < VMF_MAX_CPUS; i++)
		obs->vb_queue_len[i] = vs->vbq_len[i];
}

int vmalloc_for_each_area(struct vmf_machine *m,
			  int (*fn)(void *arg, const struct vmap_area *va),
			  void *arg)
{
	struct list_link *l, *next;

	if (!m->vm)
		return 0;
	/* fn must not allocate or free: a free may purge, and a purge
	 * frees other areas than the one given. */
	for (l = m->vm->busy.next; l != &m->vm->busy; l = next) {
		int r;

		next = l->next;
		r = fn(arg, va_of_list(l));
		if (r)
			return r;
	}
	return 0;
}

const struct vmap_area *vmap_area_list_neighbours(struct vmf_machine *m,
						  vaddr_t addr, vaddr_t *prev,
						  vaddr_t *next)
{
	struct vmap_area *va = __find_vmap_area(m, addr);

	if (!va)
		return NULL;
	*prev = va->list.prev == &m->vm->busy ? 0 :
						va_of_list(va->list.prev)->va_start;
	*next = va->list.next == &m->vm->busy ? 0 :
						va_of_list(va->list.next)->va_start;
	return va;
}
