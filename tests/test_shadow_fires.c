/* Every shadow mismatch report seen to fire (issue 12).
 *
 * The shadow's reports (sh_fail in harness/shadow/) are reached only by
 * a disagreement, so no passing seed covers them. Each case here is a
 * small text program, a hook that changes the machine on purpose before
 * one command (vmf_run_program_hooked: a PTE rewritten, a frame freed
 * behind the library's back, a counter bumped, an area's fields moved, a
 * TLB entry planted), the signature the run must fail with and a piece of
 * the report's detail. The same program without the hook must pass in the
 * same runner, so a case proves the check, not a broken program.
 *
 * The hook runs before command `at`; the disagreement must be reported at
 * that command (its signature's op is that command's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/vmalloc.h>
#include <vmfuzz/warn.h>

#include "cmd_table.h"
#include "interp_hook.h"
#include "shadow.h"
#include "test.h"

#include "mm/vmalloc_internal.h"

struct fire {
	const char *name;
	const char *text;   /* the program */
	size_t at;          /* the hook acts before this command */
	void (*hook)(struct vmf_machine *m);
	const char *sig;    /* the whole signature */
	const char *detail; /* a piece of the report, or NULL */
};

/* ---- helpers for hooks ---------------------------------------------------- */

/* The k-th busy vmap_area in address order (0: the lowest). */
static struct vmap_area *nth_area(struct vmf_machine *m, unsigned k)
{
	struct list_link *l = m->vm->busy.next;

	while (k-- && l != &m->vm->busy)
		l = l->next;
	return l == &m->vm->busy ? NULL : va_of_list(l);
}

static vaddr_t win(const struct vmf_machine *m, unsigned page)
{
	return m->cfg.vmalloc_start + (vaddr_t)page * m->page_size;
}

/* The level-3 descriptor of va as the tables hold it (0: none). */
static uint64_t leaf_desc(struct vmf_machine *m, vaddr_t va)
{
	uint64_t desc = 0;
	int level = -1;
	phys_addr_t pa;

	if (!mmu_lookup(m, va, &desc, &level, &pa))
		return 0;
	return desc;
}

/* ---- the cases' hooks ----------------------------------------------------- */

/* Plant a valid TLB entry for the page at va (as a fill would leave it). */
static void plant_tlb(struct vmf_machine *m, vaddr_t va, phys_addr_t pa)
{
	struct mmu_state *s = m->mmu;
	struct tlb_entry *e = &s->tlb[s->tlb_used < s->tlb_nr ? s->tlb_used++ : 0];

	e->valid = true;
	e->va = va;
	e->shift = m->page_shift;
	e->pa = pa;
	e->desc = pa | PAGE_KERNEL;
	e->table_attrs = 0;
	s->tlb_valid++;
}

static void owned_vmalloc(struct vmf_machine *m) { m->phys.owned[OWNER_VMALLOC]++; }
static void owned_pgtable(struct vmf_machine *m) { m->phys.owned[OWNER_PGTABLE]++; }
static void owned_any(struct vmf_machine *m) { m->phys.owned[OWNER_ANY]++; }
static void tlb_hit(struct vmf_machine *m) { m->mmu->stats.hits++; }
static void deferred_bump(struct vmf_machine *m) { m->vm->nr_deferred[1]++; }
static void kmalloc_call(struct vmf_machine *m) { m->fault.site[FAULT_KMALLOC].calls++; }
/* The guard page of the next area: nothing maps it, so no mapping of the
 * area's pages meets the planted entry. */
static void tlb_at_guard(struct vmf_machine *m) { plant_tlb(m, win(m, 1), m->phys.base); }

static void unlink_second(struct vmf_machine *m) { vlist_del(&nth_area(m, 1)->list); }
static void shrink_first(struct vmf_machine *m) { nth_area(m, 0)->va_end -= m->page_size; }
/* The area moves down a page in the library (its size kept). */
static void lower_first(struct vmf_machine *m)
{
	nth_area(m, 0)->va_start -= m->page_size;
	nth_area(m, 0)->va_end -= m->page_size;
}
static void pte_rdonly(struct vmf_machine *m)
{
	mmu_set_raw(m, win(m, 0), 3, leaf_desc(m, win(m, 0)) | PTE_RDONLY);
}
static void map_guard(struct vmf_machine *m)
{
	mmu_set_raw(m, win(m, 2), 3, leaf_desc(m, win(m, 0)));
}
/* The middle one of three lazily freed areas leaves the purge list
 * behind the library's back (its counters follow): the purge keeps it. */
static void unqueue_middle(struct vmf_machine *m)
{
	struct vmap_area *va = nth_area(m, 1);

	vlist_del(&va->purge_list);
	m->vm->nr_lazy--;
	m->vm->nr_busy--;
	m->vm->vmap_lazy_nr -= (va->va_end - va->va_start) >> m->page_shift;
	m->km.objects--; /* the vmap_area the purge would have freed */
}
static void overlap_second(struct vmf_machine *m)
{
	nth_area(m, 1)->va_start = nth_area(m, 0)->va_end - m->page_size;
}
static void grow_last(struct vmf_machine *m) { nth_area(m, 1)->va_end += m->page_size; }

static struct vm_struct *vm0(struct vmf_machine *m) { return nth_area(m, 0)->vm; }
static void vm_detach(struct vmf_machine *m) { nth_area(m, 0)->vm = NULL; }
static void vm_addr(struct vmf_machine *m) { vm0(m)->addr += m->page_size; }
static void vm_size(struct vmf_machine *m) { vm0(m)->size += m->page_size; }
static void vm_nr_pages(struct vmf_machine *m) { vm0(m)->nr_pages++; }
static void vm_nr_mapped(struct vmf_machine *m) { vm0(m)->nr_mapped++; }
static void vm_phys(struct vmf_machine *m) { vm0(m)->phys_addr = m->phys.base; }
static void vm_pages_va(struct vmf_machine *m) { vm0(m)->pages_va = win(m, 4); }
/* One more area the library made behind the shadow's back. */
static void extra_vmalloc(struct vmf_machine *m) { vmalloc(m, m->page_size); }

/* Page 0 of the lowest area now maps the next frame (no TLB flush). */
static void pte_next_frame(struct vmf_machine *m)
{
	mmu_set_raw(m, win(m, 0), 3, leaf_desc(m, win(m, 0)) + m->page_size);
}
/* The lowest area's first leaf, a block (ioremap), now maps the next
 * block-sized piece of device memory: lib's walker and vmalloc_to_page
 * follow it, the model's frame is the ioremap's. */
static void block_next_frame(struct vmf_machine *m)
{
	vaddr_t va = nth_area(m, 0)->va_start;
	uint64_t desc = 0;
	int level = -1;
	phys_addr_t pa;
	unsigned bits = m->page_shift - 3; /* index bits per level */

	if (mmu_lookup(m, va, &desc, &level, &pa) && level < 3)
		mmu_set_raw(m, va, level,
			    desc + (1ull << (m->page_shift +
					     (unsigned)(3 - level) * bits)));
}
/* A leaf where the next area's guard page (or reservation) will be:
 * the tables exist since the first area. */
static void map_win1(struct vmf_machine *m)
{
	mmu_set_raw(m, win(m, 1), 3, (m->phys.base + m->page_size) | PAGE_KERNEL);
}
static void map_win0(struct vmf_machine *m)
{
	mmu_set_raw(m, win(m, 0), 3, (m->phys.base + m->page_size) | PAGE_KERNEL);
}
/* Page 0 of the lowest area goes back to the buddy behind the library's
 * back: the next allocation takes it again. */
static void free_behind(struct vmf_machine *m)
{
	pfn_t pfn = vmalloc_to_pfn(m, win(m, 0));

	__free_pages(m, pfn_to_page(m, pfn), 0);
	m->phys.node[0].nr_free_pages--; /* the count still says taken */
}

/* vm_map_ram count=3 carves 4 pages (order 2) of the block, the lowest
 * area: the second carve is pages 4..7, page 7 left unmapped. */
static vaddr_t carve2_tail(struct vmf_machine *m)
{
	return nth_area(m, 0)->va_start + 7 * m->page_size;
}
static void tlb_at_carve_tail(struct vmf_machine *m) { plant_tlb(m, carve2_tail(m), m->phys.base); }
static void map_carve_tail(struct vmf_machine *m)
{
	mmu_set_raw(m, carve2_tail(m), 3, (m->phys.base + m->page_size) | PAGE_KERNEL);
}
/* Carve page k of the lowest area (a vmap block of one-page carves) now
 * maps the next frame: the table-edge check of a command that maps or
 * unmaps beside it must read it (docs/shadow-outcomes.md, hole 5). */
static void carve_next_frame(struct vmf_machine *m, unsigned k)
{
	vaddr_t va = nth_area(m, 0)->va_start + (vaddr_t)k * m->page_size;

	mmu_set_raw(m, va, 3, leaf_desc(m, va) + m->page_size);
}
static void carve0_next_frame(struct vmf_machine *m) { carve_next_frame(m, 0); }
static void carve1_next_frame(struct vmf_machine *m) { carve_next_frame(m, 1); }
static void carve2_next_frame(struct vmf_machine *m) { carve_next_frame(m, 2); }
/* Pages 0 and 1 of the lowest area (a vmalloc) swap frames in the PTEs
 * and in vm->pages alike: lib's two views still agree (vm_check), only
 * the model's frames tell. */
static void swap_first_pages(struct vmf_machine *m)
{
	struct vm_struct *vm = vm0(m);
	uint64_t d0 = leaf_desc(m, win(m, 0)), d1 = leaf_desc(m, win(m, 1));
	struct page *p0 = vm->pages[0];

	mmu_set_raw(m, win(m, 0), 3, d1);
	mmu_set_raw(m, win(m, 1), 3, d0);
	vm->pages[0] = vm->pages[1];
	vm->pages[1] = p0;
}
static void harness_page_fails(struct vmf_machine *m)
{
	vmf_fault_set(m, FAULT_PAGE_ALLOC, FAULT_ALWAYS, 0);
}

static void unmap_win0(struct vmf_machine *m) { mmu_set_raw(m, win(m, 0), 3, 0); }
/* lib/mm/place_nextfit.c's private state, as far as the hook writes it:
 * the policy forgets every busy range and its cursor, so its next search
 * starts at vstart, over the live lowest area. */
struct nextfit_state_view {
	void *ranges;
	size_t nr, cap;
	vaddr_t cursor;
};
static void nextfit_forget(struct vmf_machine *m)
{
	struct nextfit_state_view *st = m->vm->place_priv;

	st->nr = 0;
	st->cursor = 0;
}

/* The TLB entry holding va (a stale one after a lazy free), or NULL. */
static struct tlb_entry *tlb_at(struct vmf_machine *m, vaddr_t va)
{
	struct mmu_state *s = m->mmu;

	for (size_t i = 0; i < s->tlb_used; i++) {
		struct tlb_entry *e = &s->tlb[i];

		if (e->valid && va >= e->va && va - e->va < (1ull << e->shift))
			return e;
	}
	return NULL;
}
/* The stale entry of the freed page at window page 0 names the next
 * frame: what a hit on it gives is the old leaf's frame (hole 12). */
static void stale_next_frame(struct vmf_machine *m)
{
	tlb_at(m, win(m, 0))->pa += m->page_size;
}
/* The stale entry of window page 0 loses its access flag: a hit on it
 * faults, where the old leaf's attributes (what the shadow kept of the
 * lazy area) let the read through. */
static void stale_no_af(struct vmf_machine *m)
{
	tlb_at(m, win(m, 0))->desc &= ~PTE_AF;
}
static void stale_next_frame2(struct vmf_machine *m)
{
	tlb_at(m, win(m, 2))->pa += m->page_size;
}
/* The frame behind that stale entry is written behind the library's
 * back: it no longer holds what its free (or its new owner) left. */
static void stale_frame_written(struct vmf_machine *m)
{
	static const uint8_t b[4] = {1, 2, 3, 4};

	phys_write(m, tlb_at(m, win(m, 0))->pa + 8, b, sizeof(b));
}
/* Entry 0 of the nested page array at window page 0 changes. */
static void array_entry_written(struct vmf_machine *m)
{
	static const uint8_t b[1] = {0x5c};

	phys_write(m, (phys_addr_t)vmalloc_to_pfn(m, win(m, 0)) << m->page_shift,
		   b, sizeof(b));
}

/* ---- hooks of the plant audit's unfired sites (tools/coverage.sh) -------- */

/* Page 0 of the lowest area now maps the next frame, and the TLB holds an
 * entry with the tables' new descriptor (so it is not stale) but the old
 * frame: the access reaches the frame the model names while the tables,
 * which the reader walks, give another. */
static void tlb_desc_new_pa_old(struct vmf_machine *m)
{
	vaddr_t va = win(m, 0);
	uint64_t desc = 0;
	int level = -1;
	phys_addr_t pa = 0;
	struct mmu_state *s = m->mmu;

	if (!mmu_lookup(m, va, &desc, &level, &pa))
		return;
	mmu_set_raw(m, va, 3, desc + m->page_size);
	plant_tlb(m, va, pa);
	s->tlb[s->tlb_used - 1].desc = desc + m->page_size;
}
/* The lowest area's pages (a vmalloc_huge area: one split order-9 block)
 * go back to the buddy behind the library's back, and an order-9 block
 * elsewhere is taken: the free pages and their block sizes add up as
 * before, and the next vmalloc_huge gets the freed block again. */
static void huge_block_behind(struct vmf_machine *m)
{
	struct vm_struct *vm = nth_area(m, 0)->vm;

	alloc_pages_owner(m, 0, GFP_KERNEL, 9, OWNER_ANY);
	m->fault.site[FAULT_PAGE_ALLOC].calls--; /* not a call of the library's */
	for (unsigned i = 0; i < vm->nr_pages; i++)
		__free_pages(m, vm->pages[i], 0);
}

/* ---- the cases ------------------------------------------------------------ */

/* A vmalloc, a read that fills the TLB, vfree: the freed page stays in the
 * TLB until the purge; then a new vmalloc takes the freed frame (the
 * buddy's last freed) and writes 0x11... there. */
#define STALE_PROG "vmalloc size=1p\nread h=0 off=0 len=16\nvfree h=0\n"
#define STALE_REUSED STALE_PROG "vmalloc size=1p\nwrite h=1 off=0 len=16 pat=0x11\n"
/* A 528-page area's nested page array (two pages) in the hole at window
 * page 0 that the freed handle 0 held (policy modern: lowest fit). */
#define ARRAY_PROG "machine granule=4k va=48 window=4m ram=2048p policy=modern\n" \
	"vmalloc size=2p\nvmalloc size=1p\nvfree h=0\npurge\nvmalloc size=528p\n"


static const struct fire fires[] = {
	{"owner_balance_kind", "vmalloc size=1p\nnop\n", 1, owned_vmalloc,
	 "owner-balance/nop", NULL},
	{"owner_balance_pgtable", "vmalloc size=1p\nnop\n", 1, owned_pgtable,
	 "owner-balance/nop", NULL},
	{"owner_balance_other", "vmalloc size=1p\nnop\n", 1, owned_any,
	 "owner-balance/nop", NULL},
	{"tlb_stats", "vmalloc size=1p\nnop\n", 1, tlb_hit, "tlb-stats/nop",
	 NULL},
	{"deferred", "vmalloc size=1p\nnop\n", 1, deferred_bump,
	 "deferred/nop", NULL},
	{"fault_calls", "vmalloc size=1p\nnop\n", 1, kmalloc_call,
	 "fault-calls/nop", NULL},
	{"tlb_reuse", "vmalloc size=1p\nvfree h=0\npurge\nvmalloc size=1p\n", 3,
	 tlb_at_guard, "tlb-reuse/vmalloc", NULL},
	{"busy_order", "vmalloc size=1p\nvmalloc size=1p\nvmalloc size=1p\n"
	 "vfree h=0\n", 3, unlink_second, "busy-order/vfree", NULL},
	{"area_touched", "vmalloc size=2p\nvfree_atomic h=0\n", 1, shrink_first,
	 "area/vfree_atomic", NULL},
	{"vm_struct_area", "vmalloc size=2p\nvfree_atomic h=0\nrun_deferred cpu=0\n", 2, lower_first,
	 "vm_struct/area/run_deferred", NULL},
	{"mapping_touched", "vmalloc size=2p\nvfree_atomic h=0\n", 1, pte_rdonly,
	 "mapping/vfree_atomic", NULL},
	{"mapping_touched_guard", "vmalloc size=2p\nvfree_atomic h=0\n", 1,
	 map_guard, "mapping/vfree_atomic", NULL},
	{"area_released", "vmalloc size=1p\nvmalloc size=1p\nvmalloc size=1p\n"
	 "vfree h=0\nvfree h=1\nvfree h=2\npurge\n", 6, unqueue_middle,
	 "area/purge", NULL},
	{"overlap_check", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\n"
	 "check\n", 3, overlap_second, "overlap/check", NULL},
	{"busy_list_entry", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\n"
	 "check\n", 3, grow_last, "busy-list/check", NULL},
	{"busy_list_short", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\n"
	 "check\n", 3, unlink_second, "busy-list/check", NULL},
	{"vm_struct_vm", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_detach,
	 "vm_struct/vm/check", NULL},
	{"vm_struct_addr", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_addr,
	 "vm_struct/addr/check", NULL},
	{"vm_struct_size", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_size,
	 "vm_struct/size/check", NULL},
	{"vm_struct_nr_pages", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_nr_pages,
	 "vm_struct/nr_pages/check", NULL},
	{"vm_struct_nr_mapped", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_nr_mapped,
	 "vm_struct/nr_mapped/check", NULL},
	{"vm_struct_phys_addr", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_phys,
	 "vm_struct/phys_addr/check", NULL},
	{"vm_struct_vpages", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, vm_pages_va,
	 "vm_struct/vpages/check", NULL},
	{"busy_list_long", "vmalloc size=1p\nvmalloc size=1p\ncheck\ncheck\ncheck\n", 3, extra_vmalloc,
	 "busy-list/check", NULL},
	{"access_frame", "vmalloc size=2p\nread h=0 off=0 len=8\n", 1,
	 pte_next_frame, "frame/read", NULL},
	{"to_page_frame", "vmalloc size=2p\nvmalloc_to_page h=0 off=0\n", 1,
	 pte_next_frame, "frame/vmalloc_to_page", NULL},
	{"to_page_block_frame", "machine granule=4k va=48 window=16m ram=256p\n"
	 "ioremap phys=dev size=0x200000 prot=kernel\nvmalloc_to_page h=0 off=5p\n",
	 1, block_next_frame, "frame/vmalloc_to_page", NULL},
	{"mapping_new_guard", "vmalloc size=1p\nvfree h=0\npurge\n"
	 "vmalloc size=1p\n", 3, map_win1, "mapping/vmalloc", NULL},
	{"mapping_reservation", "vmalloc size=1p\nvfree h=0\npurge\n"
	 "get_vm_area size=1p\n", 3, map_win0, "mapping/get_vm_area", NULL},
	{"phys_owner_taken", "vmalloc size=2p\nvmalloc size=1p\n", 1,
	 free_behind, "phys-owner/vmalloc", NULL},
	{"carve_area", "machine granule=4k va=48 window=4m ram=2048p\nvm_map_ram count=3 "
	 "node=-1 prot=kernel\nvm_map_ram count=3 node=-1 prot=kernel\n", 1, shrink_first,
	 "area/vm_map_ram", NULL},
	{"carve_tlb_reuse", "machine granule=4k va=48 window=4m ram=2048p\nvm_map_ram count=3 "
	 "node=-1 prot=kernel\nvm_map_ram count=3 node=-1 prot=kernel\n", 1, tlb_at_carve_tail,
	 "tlb-reuse/vm_map_ram", NULL},
	{"carve_mapping_tail", "machine granule=4k va=48 window=4m ram=2048p\nvm_map_ram count=3 "
	 "node=-1 prot=kernel\nvm_map_ram count=3 node=-1 prot=kernel\n", 1, map_carve_tail,
	 "mapping/vm_map_ram", NULL},
	{"carve_edge_above", "machine granule=4k va=48 window=16m ram=256p cpus=1\n"
	 "vm_map_ram count=1 node=-1 prot=kernel\nvm_map_ram count=1 node=-1 "
	 "prot=kernel\nvm_map_ram count=1 node=-1 prot=kernel\n"
	 "vm_unmap_ram h=1 dcount=0\n", 3, carve2_next_frame,
	 "mapping/vm_unmap_ram", "next to a range"},
	{"carve_edge_below", "machine granule=4k va=48 window=16m ram=256p cpus=1\n"
	 "vm_map_ram count=1 node=-1 prot=kernel\nvm_map_ram count=1 node=-1 "
	 "prot=kernel\nvm_map_ram count=1 node=-1 prot=kernel\n"
	 "vm_unmap_ram h=1 dcount=0\n", 3, carve0_next_frame,
	 "mapping/vm_unmap_ram", "next to a range"},
	/* The check sweep (first and last check): a carve no command wrote
	 * beside since it was made, far from every command's range. */
	{"carve_sweep", "machine granule=4k va=48 window=16m ram=256p cpus=1\n"
	 "vm_map_ram count=1 node=-1 prot=kernel\nvm_map_ram count=8 node=-1 "
	 "prot=kernel\nvm_map_ram count=1 node=-1 prot=kernel\ncheck\n", 3,
	 carve0_next_frame, "frame/check", "caller's page list"},
	/* ... and a live area no command touched since it was made */
	{"area_sweep", "vmap count=2 flags=0 prot=kernel\nvmalloc size=1p\n"
	 "check\n", 2, pte_next_frame, "mapping/check", "live at check"},
	{"vmalloc_sweep", "vmalloc size=2p\nvmalloc size=1p\ncheck\n", 2,
	 swap_first_pages, "mapping/check", "live at check"},
	{"carve_edge_vmalloc", "machine granule=16k va=48 window=128m ram=256p cpus=1\n"
	 "vm_map_ram count=1 node=-1 prot=kernel\nvm_map_ram count=1 node=-1 "
	 "prot=kernel\nvmalloc size=1p\n", 2, carve1_next_frame,
	 "mapping/vmalloc", "next to a range"},
	{"harness_page_owned", "vmalloc size=2p\nvmap count=1 flags=0 prot=kernel\n",
	 1, free_behind, "phys-owner/vmap", NULL},
	{"harness_page_failed", "vmalloc size=1p\nfragment count=1\n", 1,
	 harness_page_fails, "pages/fragment", NULL},
	{"ioremap_access", "machine granule=4k va=48 window=128m ram=8m\n"
	 "ioremap phys=dev+1p size=1p prot=kernel\nread h=0 off=0 len=8\n", 1,
	 unmap_win0, "access/read", NULL},
	{"stale_frame", STALE_PROG "read_freed h=0 off=0 len=8\n", 3,
	 stale_next_frame, "frame/read_freed", "stale TLB entry"},
	{"stale_frame_access", "vmalloc size=1p\nvmalloc size=1p\nread h=1 off=0 "
	 "len=8\nvfree h=1\naccess h=0 off=2p acc=r el=1\n", 4,
	 stale_next_frame2, "frame/access", "stale TLB entry"},
	{"stale_frame_removed", "vmalloc size=1p\nread h=0 off=0 len=8\n"
	 "remove_vm_area h=0\nread_freed h=0 off=0 len=8\n", 3,
	 stale_next_frame, "frame/read_freed", "stale TLB entry"},
	{"stale_perm", STALE_PROG "read_freed h=0 off=0 len=8\n", 3,
	 stale_no_af, "access/read_freed", "through a stale TLB entry"},
	{"stale_poison", STALE_PROG "read_freed h=0 off=0 len=16\n", 3,
	 stale_frame_written, "data/read_freed", "holds 0xaa now"},
	{"stale_reused", STALE_REUSED "read_freed h=0 off=0 len=16\n", 5,
	 stale_frame_written, "data/read_freed", "holds 0x49 now"},
	{"array_entry", ARRAY_PROG "read_freed h=0 off=0 len=8\n", 5,
	 array_entry_written, "data/read_freed", "in the area at"},
	{"placement", "machine granule=4k va=48 window=16p ram=256p "
	 "policy=nextfit\nvmalloc size=1p\nvmalloc size=1p\n", 1,
	 nextfit_forget, "placement/vmalloc", NULL},
	/* The plant audit's sites no planted fault reaches (tools/coverage.sh,
	 * build/coverage/plant-audit.txt): each case names its site's text. */
	{"access_walk", "vmalloc size=2p\nread h=0 off=0 len=8\n", 1,
	 tlb_desc_new_pa_old, "walk/read", "went to pa"},
	{"huge_owner_taken", "machine granule=4k va=48 window=16m ram=2048p "
	 "huge=1\nvmalloc_huge size=0x200000 node=0\n"
	 "vmalloc_huge size=0x200000 node=0\n", 1, huge_block_behind,
	 "phys-owner/vmalloc_huge", "already belongs to another live owner"},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

/* ---- the runner ----------------------------------------------------------- */

static void fire_hook(void *arg, struct vmf_machine *m, size_t idx)
{
	const struct fire *c = arg;

	if (idx == c->at)
		c->hook(m);
}

static struct vmf_failure fail_buf;
static struct vmf_program prog_buf;

static int fire_one(struct vmf_runner *r, const struct fire *c)
{
	char err[256], line[200];
	size_t n;
	int bad = 0;

	if (vmf_program_parse(c->text, &prog_buf, err, sizeof(err))) {
		fprintf(stderr, "%s: parse error: %s\n", c->name, err);
		return 1;
	}
	if (vmf_run_program_hooked(r, &prog_buf, NULL, &fail_buf, fire_hook,
				   (void *)c) != 1) {
		fprintf(stderr, "%s: the hooked run passed (expected %s)\n",
			c->name, c->sig);
		return 1;
	}
	if (strcmp(fail_buf.signature, c->sig) != 0 ||
	    fail_buf.cmd_index != c->at) {
		fprintf(stderr, "%s: signature %s at #%zu, expected %s at #%zu\n",
			c->name, fail_buf.signature, fail_buf.cmd_index, c->sig,
			c->at);
		bad = 1;
	}
	if (c->detail && !strstr(fail_buf.report, c->detail)) {
		fprintf(stderr, "%s: the report lacks \"%s\"\n", c->name,
			c->detail);
		bad = 1;
	}
	snprintf(line, sizeof(line), "\nSIGNATURE: %s\n", fail_buf.signature);
	n = strlen(fail_buf.report);
	if (n < strlen(line) ||
	    strcmp(fail_buf.report + n - strlen(line), line) != 0) {
		fprintf(stderr, "%s: the report does not end with its "
				"signature line\n", c->name);
		bad = 1;
	}
	if (bad || getenv("FIRES_VERBOSE"))
		fprintf(stderr, "== %s\n%s", c->name, fail_buf.report);
	/* The same program, undisturbed, passes in the same runner. */
	if (vmf_run_program(r, &prog_buf, NULL, &fail_buf) != 0) {
		fprintf(stderr, "%s: the program fails without the hook:\n%s",
			c->name, fail_buf.report);
		bad = 1;
	}
	return bad;
}

static void every_check_fires(void)
{
	struct vmf_runner *r = vmf_runner_new();
	size_t n = 0;

	for (const struct fire *c = fires; c->name; c++, n++)
		CHECK_EQ(fire_one(r, c), 0);
	fprintf(stderr, "%zu cases\n", n);
	vmf_runner_free(r);
}


/* config/<field>: the hook runs after the config check, so these go
 * through the shadow's API: the machine's resolved config with one field
 * changed, against the header it came from. */
static void config_fields(void)
{
	static const char *const fields[] = {
		"vmalloc_start", "vmalloc_end", "lazy_max_pages",
		"tlb_flush_max_pages", "page_shift", "nr_cpus", "phys_size",
		"nr_nodes", "tlb_entries", "policy",
	};
	struct vmf_runner *r = vmf_runner_new();
	struct shadow *sh = shadow_new();
	struct sh_observer obs;
	struct vmf_header_raw raw;
	struct vmf_config good;
	struct sh_fail f;
	char err[256];

	memset(&obs, 0, sizeof(obs));
	CHECK_EQ(vmf_program_parse("machine granule=4k va=48 window=1m "
				   "ram=256p nodes=2 cpus=2 tlb=16\nnop\n",
				   &prog_buf, err, sizeof(err)),
		 0);
	CHECK_EQ(vmf_run_program(r, &prog_buf, NULL, &fail_buf), 0);
	good = vmf_runner_machine(r)->cfg;
	vmf_header_raw(prog_buf.header, &raw);
	CHECK_EQ(shadow_reset(sh, &good, &obs), 0);
	CHECK_EQ(shadow_check_config(sh, &raw, &f), 0);
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		struct vmf_config c = good;
		char want[64];

		switch (k) {
		case 0: c.vmalloc_start += 1ull << c.page_shift; break;
		case 1: c.vmalloc_end -= 1ull << c.page_shift; break;
		case 2: c.lazy_max_pages++; break;
		case 3: c.tlb_flush_max_pages++; break;
		case 4: c.va_bits = 39; break;
		case 5: c.nr_cpus++; break;
		case 6: c.phys_size += 1ull << c.page_shift; break;
		case 7: c.nr_nodes = 1; break;
		case 8: c.tlb_entries++; break;
		case 9: c.policy ^= 1; break;
		}
		CHECK_EQ(shadow_reset(sh, &c, &obs), 0);
		memset(&f, 0, sizeof(f));
		CHECK_EQ(shadow_check_config(sh, &raw, &f), -1);
		snprintf(want, sizeof(want), "config/%s", fields[k]);
		CHECK_STR(f.check, want);
		CHECK(strstr(f.detail, fields[k]) != NULL);
	}
	shadow_destroy(sh);
	vmf_runner_free(r);
}

/* Stale reads whose frame the shadow cannot name the bytes of must pass:
 * a page-table page took the freed frame (an ioremap that needs a new
 * last-level table right after the vfree: the buddy hands out the frame
 * freed last), so it holds descriptors, not poison; and a frame a live
 * area holds now reads as that area's bytes. */
static void stale_unknown_passes(void)
{
	static const char *const progs[] = {
		"machine granule=4k va=48 window=16m ram=2048p\n"
		"vmalloc size=1p\nvmalloc size=496p\nvmalloc size=11p\n"
		"read h=0 off=0 len=16\nvfree h=0\n"
		"ioremap phys=dev+1p size=1p prot=kernel\n"
		"read_freed h=0 off=0 len=16\nread_freed h=0 off=0x70 len=16\n",
		STALE_REUSED "read_freed h=0 off=0 len=16\n"
		"vmalloc size=1p\nread_freed h=0 off=0 len=32\n",
		ARRAY_PROG "read_freed h=0 off=0 len=64\n"
		"read_freed h=0 off=1p+0x78 len=16\nvread h=2 off=-0x10 len=64\n",
	};
	struct vmf_runner *r = vmf_runner_new();
	char err[256];

	for (size_t k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
		if (vmf_program_parse(progs[k], &prog_buf, err, sizeof(err))) {
			fprintf(stderr, "program %zu: %s\n", k, err);
			CHECK(0);
			continue;
		}
		if (vmf_run_program(r, &prog_buf, NULL, &fail_buf) != 0) {
			fprintf(stderr, "program %zu:\n%s", k, fail_buf.report);
			CHECK(0);
		}
	}
	vmf_runner_free(r);
}

/* iounmap outside the vmalloc window (the plant audit's site no program
 * reaches: every handle the interpreter holds is inside the window, since
 * ranges outside it are refused): nothing to do, so anything but 0 is
 * reported. Through the shadow's API, as config_fields. */
static void iounmap_outside_window(void)
{
	struct shadow *sh = shadow_new();
	struct sh_observer obs;
	struct vmf_config cfg;
	struct sh_fail f;
	vaddr_t below;

	memset(&obs, 0, sizeof(obs));
	vmf_config_default(&cfg);
	vmf_config_resolve(&cfg);
	CHECK_EQ(shadow_reset(sh, &cfg, &obs), 0);
	below = cfg.vmalloc_start - (1ull << cfg.page_shift);
	memset(&f, 0, sizeof(f));
	CHECK_EQ(shadow_iounmap(sh, below, 0, &f), 0);
	CHECK_EQ(shadow_iounmap(sh, below, -VMF_EINVAL, &f), -1);
	CHECK_STR(f.check, "result");
	CHECK(strstr(f.detail, "outside the vmalloc window") != NULL);
	shadow_destroy(sh);
}

TEST_MAIN(TEST(every_check_fires), TEST(config_fields),
	  TEST(stale_unknown_passes), TEST(iounmap_outside_window))
