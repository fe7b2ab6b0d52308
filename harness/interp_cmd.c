/* The commands: one function per command, each run on the library and
 * then on the shadow with what the library returned, and the dispatch
 * (interp_exec_cmd). The harness policies they follow are at the top of
 * interp.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

/* ---- commands --------------------------------------------------------------- */

static uint64_t mapped_limit(const struct vmf_runner *r,
			     const struct vmf_handle *h)
{
	uint64_t ps = r->m->page_size;
	uint64_t sz = h->kind == HK_VMAP || h->kind == HK_VMRAM ?
			      (uint64_t)h->size * ps :
			      vmf_page_align(r->m, h->size);

	return sz + (h->guard ? ps : 0);
}

void interp_alloc_req(const struct vmf_args *a, enum sh_entry entry,
		      struct sh_alloc_req *q)
{
	memset(q, 0, sizeof(*q));
	q->entry = entry;
	q->size = a->size;
	q->align = a->align;
	q->start = a->start;
	q->end = a->end;
	q->gfp = a->gfp;
	q->prot = a->prot;
	q->vm_flags = a->vm_flags;
	q->node = a->node;
}

static int do_alloc(struct vmf_runner *r, enum vmf_op op,
		    const struct vmf_args *a)
{
	struct vmf_machine *m = r->m;
	struct sh_alloc_req q;
	vaddr_t addr = 0;
	enum hkind kind = HK_VMALLOC;
	bool guard = true;

	if (handle_table_full(r)) {
		interp_res(r, " table full");
		return 0;
	}
	interp_alloc_req(a, SH_E_VMALLOC, &q); /* the switch sets the entry */
	switch (op) {
	case OP_VMALLOC:
		q.entry = SH_E_VMALLOC;
		addr = vmalloc(m, a->size);
		break;
	case OP_VZALLOC:
		q.entry = SH_E_VZALLOC;
		addr = vzalloc(m, a->size);
		break;
	case OP_VMALLOC_NODE:
		q.entry = SH_E_VMALLOC_NODE;
		addr = vmalloc_node(m, a->size, a->node);
		break;
	case OP_VZALLOC_NODE:
		q.entry = SH_E_VZALLOC_NODE;
		addr = vzalloc_node(m, a->size, a->node);
		break;
	case OP_VMALLOC_32:
		q.entry = SH_E_VMALLOC_32;
		addr = vmalloc_32(m, a->size);
		break;
	case OP_VMALLOC_USER:
		q.entry = SH_E_VMALLOC_USER;
		addr = vmalloc_user(m, a->size);
		break;
	case OP_VMALLOC_EXEC:
		q.entry = SH_E_VMALLOC_EXEC;
		addr = vmalloc_exec(m, a->size);
		break;
	case OP___VMALLOC:
		q.entry = SH_E___VMALLOC;
		addr = __vmalloc(m, a->size, a->gfp, a->prot);
		break;
	case OP_VMALLOC_NODE_RANGE:
		q.entry = SH_E_NODE_RANGE;
		q.caller = "vmalloc_node_range";
		addr = __vmalloc_node_range(m, a->size, a->align, a->start,
					    a->end, a->gfp, a->prot,
					    a->vm_flags, a->node, q.caller);
		guard = !(a->vm_flags & VM_NO_GUARD);
		break;
	case OP_GET_VM_AREA: {
		struct vm_struct *vm;

		q.entry = SH_E_GET_VM_AREA;
		vm = get_vm_area(m, a->size, a->vm_flags);
		addr = vm ? vm->addr : 0;
		kind = HK_VMAREA;
		guard = !(a->vm_flags & VM_NO_GUARD);
		break;
	}
	case OP_GET_VM_AREA_NODE: {
		struct vm_struct *vm;

		q.entry = SH_E_GET_VM_AREA_NODE;
		q.caller = "get_vm_area_node";
		vm = __get_vm_area_node(m, a->size, a->align, a->vm_flags,
					a->start, a->end, a->node, a->gfp,
					q.caller);
		addr = vm ? vm->addr : 0;
		kind = HK_VMAREA;
		guard = !(a->vm_flags & VM_NO_GUARD);
		break;
	}
	default:
		return 0;
	}
	interp_res_addr(r, "addr", addr);
	if (SH_CALL(r, shadow_alloc(r->sh, &q, addr, &r->sfail)))
		return -1;
	if (addr)
		handle_add_live(r, kind, addr, a->size, guard);
	return 0;
}

/* Take count pages for the handle (vmap, vm_map_ram); 1: not all could
 * be had (given back, said in the trace), -1: the shadow disagreed. */
static int take_pages(struct vmf_runner *r, struct page **pages, pfn_t *pfns,
		      unsigned count)
{
	unsigned got;
	int err = 0;

	for (got = 0; got < count; got++) {
		pages[got] = harness_page(r, OWNER_VMAP, SH_OWN_VMAP, &err);
		if (err)
			return -1;
		if (!pages[got])
			break;
		pfns[got] = page_to_pfn(r->m, pages[got]);
	}
	if (got == count)
		return 0;
	interp_res(r, " no pages (%u of %u)", got, count);
	for (unsigned i = 0; i < got; i++)
		if (harness_free(r, pages[i]))
			return -1;
	return 1;
}

/* The handle takes pages[0, count) into a free vmap_pages slot. */
static void handle_own_pages(struct vmf_runner *r, struct vmf_handle *h,
			     struct page *const *pages, unsigned count)
{
	h->nr_pages = count;
	h->slot = 0;
	while (r->vmap_slots >> h->slot & 1) /* a live handle frees one */
		h->slot++;
	r->vmap_slots |= 1ull << h->slot;
	memcpy(r->vmap_pages[h->slot], pages, count * sizeof(pages[0]));
}

static int do_vmap(struct vmf_runner *r, const struct vmf_args *a)
{
	struct page *pages[VMF_MAX_VMAP_PAGES];
	pfn_t pfns[VMF_MAX_VMAP_PAGES];
	unsigned count = a->count;
	struct sh_alloc_req q;
	vaddr_t addr;
	int ret;

	if (handle_table_full(r)) {
		interp_res(r, " table full");
		return 0;
	}
	if (count > VMF_MAX_VMAP_PAGES)
		count = VMF_MAX_VMAP_PAGES;
	ret = take_pages(r, pages, pfns, count);
	if (ret)
		return ret < 0 ? -1 : 0;
	addr = vmap(r->m, pages, count, a->vm_flags, a->prot);
	interp_res_addr(r, "addr", addr);
	memset(&q, 0, sizeof(q));
	q.entry = SH_E_VMAP;
	q.count = count;
	q.pfns = pfns;
	q.vm_flags = a->vm_flags;
	q.prot = a->prot;
	if (SH_CALL(r, shadow_alloc(r->sh, &q, addr, &r->sfail)))
		return -1;
	if (!addr) {
		for (unsigned i = 0; i < count; i++)
			if (harness_free(r, pages[i]))
				return -1;
		return 0;
	}
	handle_own_pages(r, handle_add_live(r, HK_VMAP, addr, count,
					    !(a->vm_flags & VM_NO_GUARD)),
			 pages, count);
	return 0;
}

static int do_vm_map_ram(struct vmf_runner *r, const struct vmf_args *a)
{
	struct page *pages[VMF_MAX_VM_MAP_RAM_PAGES];
	pfn_t pfns[VMF_MAX_VM_MAP_RAM_PAGES];
	unsigned count = a->count;
	vaddr_t addr;
	int ret;

	if (handle_table_full(r)) {
		interp_res(r, " table full");
		return 0;
	}
	if (count > VMF_MAX_VM_MAP_RAM_PAGES)
		count = VMF_MAX_VM_MAP_RAM_PAGES;
	ret = take_pages(r, pages, pfns, count);
	if (ret)
		return ret < 0 ? -1 : 0;
	addr = vm_map_ram(r->m, pages, count, a->node, a->prot);
	interp_res_addr(r, "addr", addr);
	if (SH_CALL(r, shadow_vm_map_ram(r->sh, count, a->node, a->prot, pfns, addr,
			      &r->sfail)))
		return -1;
	if (!addr) {
		for (unsigned i = 0; i < count; i++)
			if (harness_free(r, pages[i]))
				return -1;
		return 0;
	}
	handle_own_pages(r, handle_add_live(r, HK_VMRAM, addr, count, false),
			 pages, count);
	return 0;
}

static int do_vm_unmap_ram(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_kind(r, a->handle, HK_VMRAM);
	unsigned count;
	long ret;

	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	/* dcount 0: the count mapped; else a wrong one, 0 included. */
	count = (unsigned)((h->size + a->dcount) & 0xff);
	ret = vm_unmap_ram(r->m, h->addr, count);
	interp_res(r, " count=%u ret=%ld", count, ret);
	if (SH_CALL(r, shadow_vm_unmap_ram(r->sh, h->addr, count, ret, &r->sfail)))
		return -1;
	if (ret)
		return 0;
	/* The pages go back to the buddy now; a stale TLB entry may still
	 * reach them until vm_unmap_aliases (what the oracle checks). */
	for (unsigned i = 0; i < h->nr_pages; i++)
		if (harness_free(r, r->vmap_pages[h->slot][i]))
			return -1;
	handle_retire(r, h);
	return 0;
}

/* Free an address through one of the free entry points. h (may be NULL)
 * is the live handle it came from: retired when the call succeeded. */
static int do_free_addr(struct vmf_runner *r, enum sh_free_entry e,
			vaddr_t addr, struct vmf_handle *h)
{
	struct vmf_machine *m = r->m;
	long ret = 0, ret2 = 0;
	bool gone = false;

	switch (e) {
	case SH_F_VFREE:
		ret = vfree(m, addr);
		gone = ret == 0;
		break;
	case SH_F_VFREE_ATOMIC:
		ret = vfree_atomic(m, addr);
		gone = ret == 0;
		break;
	case SH_F_VFREE_IRQ:
		m->in_interrupt = true;
		ret = vfree(m, addr);
		m->in_interrupt = false;
		gone = ret == 0;
		break;
	case SH_F_VUNMAP:
		ret = vunmap(m, addr);
		gone = ret == 0;
		break;
	case SH_F_REMOVE_VM_AREA: {
		struct vm_struct *vm = remove_vm_area(m, addr);

		ret = vm != NULL;
		kfree(m, vm);
		gone = vm != NULL;
		break;
	}
	case SH_F_FREE_VM_AREA: {
		struct vm_struct *vm = find_vm_area(m, addr);

		ret = vm != NULL;
		if (vm)
			ret2 = free_vm_area(m, vm);
		gone = vm && ret2 == 0;
		break;
	}
	}
	interp_res(r, " ret=%ld", e == SH_F_FREE_VM_AREA ? (ret ? ret2 : -1) : ret);
	if (SH_CALL(r, shadow_free(r->sh, e, addr, ret, ret2, &r->sfail)))
		return -1;
	if (!h && gone)
		h = handle_live_at(r, addr);
	if (h && gone && addr == h->addr) {
		/* vmap's pages come back to the harness once unmapped. */
		if (h->kind == HK_VMAP && e == SH_F_VUNMAP)
			return interp_handle_gone(r, h);
		handle_retire(r, h);
	}
	return 0;
}

int interp_handle_gone(struct vmf_runner *r, struct vmf_handle *h)
{
	if (h->kind == HK_VMAP)
		for (unsigned i = 0; i < h->nr_pages; i++)
			if (harness_free(r, r->vmap_pages[h->slot][i]))
				return -1;
	handle_retire(r, h);
	return 0;
}

static int do_free(struct vmf_runner *r, enum sh_free_entry e,
		   const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_live(r, a->handle);

	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	return do_free_addr(r, e, h->addr, h);
}

/* Is the TLB holding an entry for va that disagrees with the tables? */
static bool tlb_stale_at(struct vmf_runner *r, vaddr_t va)
{
	size_t n;
	const struct tlb_entry *t = tlb_entries(r->m, &n);
	struct mmu_result w;

	for (size_t i = 0; i < n; i++) {
		const struct tlb_entry *e = &t[i];

		if (!e->valid || va < e->va ||
		    va - e->va >= (1ull << e->shift))
			continue;
		w = mmu_translate(r->m, va, ACC_READ, 1);
		if (w.fault != MMU_OK && w.fault != MMU_FAULT_PERMISSION)
			return true;
		if (w.desc != e->desc || w.pa != e->pa + (va - e->va))
			return true;
		return false;
	}
	return false;
}

static uint32_t checksum(const uint8_t *b, const uint8_t *known, size_t n,
			 size_t *nknown)
{
	uint32_t h = 2166136261u;

	*nknown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!known[i])
			continue;
		h = (h ^ b[i]) * 16777619u;
		(*nknown)++;
	}
	return h;
}

/* Read or write [va, va + len) page piece by page piece, each judged by
 * the shadow; stops after the first fault. */
static int do_copy(struct vmf_runner *r, vaddr_t va, size_t len, bool write,
		   int el)
{
	struct vmf_machine *m = r->m;
	size_t off = 0, total = 0, nk = 0;
	struct mmu_result res1;
	uint32_t sum = 2166136261u;
	bool wstale = false;

	memset(&res1, 0, sizeof(res1));
	while (off < len) {
		vaddr_t a = va + off;
		size_t chunk = (size_t)(m->page_size - (a & (m->page_size - 1)));
		struct sh_access acc;
		size_t done = 0;

		if (chunk > len - off)
			chunk = len - off;
		if (write)
			res1 = mmu_write(m, a, r->buf + off, chunk, el, &done);
		else
			res1 = mmu_read(m, a, r->buf + off, chunk, el, &done);
		acc.va = a;
		acc.len = chunk;
		acc.acc = write ? ACC_WRITE : ACC_READ;
		acc.el = el;
		acc.res = res1;
		acc.done = done;
		acc.buf = r->buf + off;
		wstale |= res1.walk_stale;
		if (SH_CALL(r, shadow_access(r->sh, &acc, &r->sfail)))
			return -1;
		if (!write && r->trace) {
			size_t k;
			uint32_t s;

			if (r->oracle_off)
				memset(r->known + off, 0, done);
			else
				shadow_known_mask(r->sh, a, done, r->known + off);
			s = checksum(r->buf + off, r->known + off, done, &k);
			sum = sum * 31u + s;
			nk += k;
		}
		total += done;
		off += chunk;
		if (res1.fault != MMU_OK)
			break;
	}
	interp_res(r, " %s=%zu", write ? "wrote" : "read", total);
	if (res1.fault != MMU_OK)
		interp_res(r, " fault=%s/L%d", interp_fault_text(res1.fault), res1.level);
	if (res1.tlb_stale)
		interp_res(r, " stale");
	if (wstale)
		interp_res(r, " walk-stale");
	if (!write)
		interp_res(r, " sum=%08x/%zu", sum, nk);
	return 0;
}

static int do_write(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_live(r, a->handle);
	uint64_t limit, off;
	size_t len;
	vaddr_t va;

	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	limit = mapped_limit(r, h);
	off = a->offset % limit;
	len = (size_t)a->len;
	if (len > limit - off)
		len = (size_t)(limit - off);
	va = h->addr + off;
	/* Byte i is pattern + 7 i + i / 256: built a 256-byte block at a
	 * time (a byte a time was 3% of a fuzzing run). */
	for (size_t blk = 0; blk < len; blk += 256) {
		uint8_t v = (uint8_t)(a->pattern + blk * 7u + (blk >> 8));
		size_t end = len - blk < 256 ? len - blk : 256;

		for (size_t i = 0; i < end; i++, v = (uint8_t)(v + 7))
			r->buf[blk + i] = v;
	}
	/* Never through a stale TLB entry: read instead. */
	for (vaddr_t p = va & ~(r->m->page_size - 1); p < va + len;
	     p += r->m->page_size) {
		if (tlb_stale_at(r, p)) {
			interp_res(r, " stale-tlb: read");
			return do_copy(r, va, len, false, 1);
		}
	}
	return do_copy(r, va, len, true, 1);
}

static int do_read(struct vmf_runner *r, struct vmf_handle *h,
		   const struct vmf_args *a)
{
	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	return do_copy(r, h->addr + a->offset, (size_t)a->len, false, 1);
}

static int do_access(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_live(r, a->handle);
	struct sh_access acc;
	int el = a->el ? 1 : 0;

	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	memset(&acc, 0, sizeof(acc));
	acc.va = h->addr + a->offset;
	acc.acc = (enum mmu_access)a->access;
	acc.el = el;
	acc.res = mmu_access(r->m, acc.va, acc.acc, el);
	interp_res(r, " %s", interp_fault_text(acc.res.fault));
	if (acc.res.fault != MMU_OK)
		interp_res(r, "/L%d", acc.res.level);
	if (acc.res.tlb_stale)
		interp_res(r, " stale");
	if (acc.res.walk_stale)
		interp_res(r, " walk-stale");
	return SH_CALL(r, shadow_access(r->sh, &acc, &r->sfail));
}

static int do_vmalloc_to_page(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_live(r, a->handle);
	struct page *p;
	vaddr_t va;
	pfn_t pfn = 0;

	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	va = h->addr + a->offset;
	p = vmalloc_to_page(r->m, va);
	if (p) {
		pfn = page_to_pfn(r->m, p);
		interp_res(r, " pfn=+0x%" PRIx64,
		    pfn - (r->m->cfg.phys_base >> r->m->page_shift));
	} else {
		interp_res(r, " none");
	}
	return SH_CALL(r, shadow_vmalloc_to_page(r->sh, va, p != NULL, pfn, &r->sfail));
}

static int do_vread(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_handle *h = handle_pick_live(r, a->handle);
	vaddr_t va;
	long ret;
	size_t len = (size_t)a->len;

	if (!h) {
		interp_res(r, " no handle");
		return 0;
	}
	va = h->addr + a->offset;
	memset(r->buf, 0x5a, len);
	ret = vread(r->m, r->buf, va, len);
	interp_res(r, " ret=%ld", ret);
	if (SH_CALL(r, shadow_vread(r->sh, va, len, ret, r->buf, &r->sfail)))
		return -1;
	if (r->trace && ret > 0) {
		size_t k;
		uint32_t s;

		if (r->oracle_off)
			memset(r->known, 0, (size_t)ret);
		else
			shadow_known_mask(r->sh, va, (size_t)ret, r->known);
		s = checksum(r->buf, r->known, (size_t)ret, &k);
		interp_res(r, " sum=%08x/%zu", s, k);
	}
	return 0;
}

static int do_fragment(struct vmf_runner *r, const struct vmf_args *a)
{
	unsigned taken = 0, kept = 0;
	int err = 0;

	for (unsigned i = 0; i < a->count; i++) {
		struct page *p;

		if (r->nr_frag == VMF_MAX_FRAG)
			break;
		p = harness_page(r, OWNER_FRAG, SH_OWN_FRAG, &err);
		if (err)
			return -1;
		if (!p)
			break;
		taken++;
		if (i & 1) {
			if (harness_free(r, p))
				return -1;
		} else {
			r->frag[r->nr_frag++] = p;
			kept++;
		}
	}
	interp_res(r, " took=%u kept=%u", taken, kept);
	return 0;
}

static int collect_area(void *arg, const struct vmap_area *va)
{
	struct vmf_runner *r = arg;

	if (r->nr_areas == r->areas_cap) {
		size_t cap = r->areas_cap ? r->areas_cap * 2 : 256;
		struct sh_area_obs *na = realloc(r->areas, cap * sizeof(*na));

		if (!na)
			return 1;
		r->areas = na;
		r->areas_cap = cap;
	}
	interp_area_obs(r->m, va, &r->areas[r->nr_areas]);
	r->nr_areas++;
	return 0;
}

static int set_fail(struct vmf_runner *r, const char *check, const char *why)
{
	snprintf(r->sfail.check, sizeof(r->sfail.check), "%s", check);
	snprintf(r->sfail.detail, sizeof(r->sfail.detail), "%s", why);
	return -1;
}

/* The library's /proc/vmallocinfo as text (truncated at VMF_VMINFO_BYTES,
 * which no input reaches; a truncation would show as a difference). */
static const char *render_vmallocinfo(struct vmf_runner *r)
{
	FILE *f = fmemopen(r->vminfo, VMF_VMINFO_BYTES, "w");
	long n;

	r->vminfo[0] = 0;
	if (!f)
		return r->vminfo;
	vmallocinfo(r->m, f);
	fflush(f);
	n = ftell(f);
	fclose(f);
	r->vminfo[n > 0 && n < VMF_VMINFO_BYTES ? n : VMF_VMINFO_BYTES - 1] = 0;
	return r->vminfo;
}

static int do_check(struct vmf_runner *r, size_t idx)
{
	char why[512];
	bool full = idx == r->first_check || idx == r->last_check;

	if (r->oracle_off)
		return 0;
	/* vm_check (which ends with page_alloc_check) costs O(areas' pages)
	 * and O(RAM): it runs at the first and the last OP_CHECK of the
	 * program; the busy-list comparison runs at every one. */
	if (full) {
		why[0] = 0;
		if (vm_check(r->m, why, sizeof(why)))
			return set_fail(r, "vm_check", why);
	}
	r->nr_areas = 0;
	vmalloc_for_each_area(r->m, collect_area, r);
	interp_res(r, " ok areas=%zu%s", r->nr_areas, full ? " full" : "");
	if (SH_CALL(r, shadow_check_full(r->sh, r->areas, r->nr_areas, full,
					 &r->sfail)))
		return -1;
	return SH_CALL(r, shadow_vmallocinfo_check(r->sh, render_vmallocinfo(r),
					&r->sfail));
}

/* An address no busy area covers (BAD_*_NONEXISTENT). */
static vaddr_t hole_address(struct vmf_runner *r, uint64_t hint)
{
	struct vmf_machine *m = r->m;
	uint64_t ps = m->page_size, pages;

	if (!r->oracle_off)
		return shadow_hole(r->sh, hint);
	/* The oracle off (bench): the same search over the library's own
	 * busy areas, which equal the shadow's in a run that agrees. */
	pages = (m->cfg.vmalloc_end - m->cfg.vmalloc_start) / ps;
	for (uint64_t k = 0; k < pages && k < 4096; k++) {
		vaddr_t va = m->cfg.vmalloc_start +
			     ((hint / ps + k) % pages) * ps;

		if (!find_vmap_area(m, va))
			return va;
	}
	return m->cfg.vmalloc_end;
}

static int do_bad(struct vmf_runner *r, const struct vmf_args *a)
{
	struct vmf_machine *m = r->m;
	uint64_t ps = m->page_size;
	vaddr_t ws = m->cfg.vmalloc_start, we = m->cfg.vmalloc_end;
	struct vmf_handle *h;
	struct sh_alloc_req q;
	vaddr_t addr = 0;

	interp_res(r, " %s", vmf_bad_name((enum vmf_bad)a->bad));
	memset(&q, 0, sizeof(q));
	q.align = 1;
	q.start = ws;
	q.end = we;
	q.prot = PAGE_KERNEL;
	q.node = NUMA_NO_NODE;
	switch (a->bad) {
	case BAD_VFREE_UNALIGNED:
		h = handle_pick_live(r, a->handle);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VFREE,
				    h->addr + 1 + a->offset % (ps - 1), h);
	case BAD_VFREE_NONEXISTENT:
		return do_free_addr(r, SH_F_VFREE, hole_address(r, a->offset),
				    NULL);
	case BAD_VFREE_DOUBLE:
		/* A freed handle whose address no live handle has taken over
		 * (else it would be an ordinary free). */
		h = handle_pick_freed_stale(r, a->handle);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VFREE, h->addr, NULL);
	case BAD_VFREE_INTERIOR: {
		uint64_t span;

		h = handle_pick_live(r, a->handle);
		if (!h)
			break;
		/* Pages of the area after the first (its guard included). */
		span = mapped_limit(r, h) / ps;
		if (span < 2)
			break;
		return do_free_addr(r, SH_F_VFREE,
				    h->addr + (1 + (a->offset / ps) % (span - 1)) *
						      ps,
				    h);
	}
	case BAD_VUNMAP_VMALLOC:
		h = handle_pick_kind(r, a->handle, HK_VMALLOC);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VUNMAP, h->addr, h);
	case BAD_VFREE_VMAP:
		h = handle_pick_kind(r, a->handle, HK_VMAP);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VFREE, h->addr, h);
	case BAD_EARLY_AFTER_INIT: {
		int ret = vm_area_add_early(m, ws + (a->offset & ~(ps - 1)), ps,
					    0, "bad_early");

		interp_res(r, " ret=%d", ret);
		return SH_CALL(r, shadow_early_add(r->sh, ws + (a->offset & ~(ps - 1)), ps,
					0, "bad_early", ret, &r->sfail));
	}
	case BAD_SIZE_ZERO:
		q.entry = SH_E_VMALLOC;
		q.size = 0;
		addr = vmalloc(m, 0);
		break;
	case BAD_SIZE_ABOVE_TOTALRAM:
		q.entry = SH_E_VMALLOC;
		q.size = (totalram_pages(m) + 1) * ps;
		addr = vmalloc(m, q.size);
		break;
	case BAD_SIZE_WRAPS:
		q.entry = SH_E_VMALLOC;
		q.size = 0 - 1 - a->offset % (ps - 1);
		addr = vmalloc(m, q.size);
		break;
	case BAD_ALIGN_NOT_POW2:
		q.entry = SH_E_NODE_RANGE;
		q.caller = "bad_align";
		q.size = ps;
		q.align = 3 * ps + (a->offset & (ps - 1));
		addr = __vmalloc_node_range(m, q.size, q.align, ws, we, 0,
					    PAGE_KERNEL, 0, NUMA_NO_NODE,
					    q.caller);
		break;
	case BAD_RANGE_INVERTED:
		q.entry = SH_E_NODE_RANGE;
		q.caller = "bad_range";
		q.size = ps;
		q.start = we - ps;
		q.end = ws;
		addr = __vmalloc_node_range(m, q.size, 1, q.start, q.end, 0,
					    PAGE_KERNEL, 0, NUMA_NO_NODE,
					    q.caller);
		break;
	case BAD_RANGE_OUTSIDE:
		q.entry = SH_E_NODE_RANGE;
		q.caller = "bad_range";
		q.size = ps;
		q.start = we;
		q.end = we + 16 * ps;
		addr = __vmalloc_node_range(m, q.size, 1, q.start, q.end, 0,
					    PAGE_KERNEL, 0, NUMA_NO_NODE,
					    q.caller);
		break;
	case BAD_VUNMAP_UNALIGNED:
		h = handle_pick_kind(r, a->handle, HK_VMAP);
		if (!h)
			h = handle_pick_live(r, a->handle);
		if (!h)
			break;
		return do_free_addr(r, SH_F_VUNMAP,
				    h->addr + 1 + a->offset % (ps - 1), h);
	case BAD_VUNMAP_NONEXISTENT:
		return do_free_addr(r, SH_F_VUNMAP, hole_address(r, a->offset),
				    NULL);
	default:
		return 0;
	}
	if (a->bad >= BAD_SIZE_ZERO && a->bad <= BAD_RANGE_OUTSIDE &&
	    a->bad != BAD_EARLY_AFTER_INIT) {
		interp_res_addr(r, "addr", addr);
		if (SH_CALL(r, shadow_alloc(r->sh, &q, addr, &r->sfail)))
			return -1;
		/* A bad call that wrongly succeeded was reported above. */
		return 0;
	}
	interp_res(r, " no handle");
	return 0;
}

int interp_exec_cmd(struct vmf_runner *r, enum vmf_op op,
		    const struct vmf_args *a, size_t idx)
{
	struct vmf_machine *m = r->m;

	switch (op) {
	case OP_NOP:
		return 0;
	case OP_EARLY_ADD: {
		int ret;

		if (!r->inited && handle_table_full(r))
			return 0;
		ret = vm_area_add_early(m, a->start, a->size, a->vm_flags,
					"early_add");
		interp_res(r, " ret=%d", ret);
		if (SH_CALL(r, shadow_early_add(r->sh, a->start, a->size, a->vm_flags,
				     "early_add", ret, &r->sfail)))
			return -1;
		if (ret == 0 && !r->inited)
			handle_add_live(r, HK_EARLY, a->start, a->size, false);
		return 0;
	}
	case OP_EARLY_REGISTER: {
		vaddr_t addr;

		if (!r->inited && handle_table_full(r))
			return 0;
		addr = vm_area_register_early(m, a->size, a->align,
					      "early_register");
		interp_res_addr(r, "addr", addr);
		if (SH_CALL(r, shadow_early_register(r->sh, a->size, a->align,
					  "early_register", addr, &r->sfail)))
			return -1;
		if (addr && !r->inited)
			handle_add_live(r, HK_EARLY, addr, a->size, false);
		return 0;
	}
	case OP_VMALLOC:
	case OP_VZALLOC:
	case OP_VMALLOC_NODE:
	case OP_VZALLOC_NODE:
	case OP_VMALLOC_32:
	case OP_VMALLOC_USER:
	case OP_VMALLOC_EXEC:
	case OP___VMALLOC:
	case OP_VMALLOC_NODE_RANGE:
	case OP_GET_VM_AREA:
	case OP_GET_VM_AREA_NODE:
		return do_alloc(r, op, a);
	case OP_VMAP:
		return do_vmap(r, a);
	case OP_VFREE:
		return do_free(r, SH_F_VFREE, a);
	case OP_VFREE_ATOMIC:
		return do_free(r, SH_F_VFREE_ATOMIC, a);
	case OP_VFREE_IRQ:
		return do_free(r, SH_F_VFREE_IRQ, a);
	case OP_VUNMAP:
		return do_free(r, SH_F_VUNMAP, a);
	case OP_REMOVE_VM_AREA:
		return do_free(r, SH_F_REMOVE_VM_AREA, a);
	case OP_FREE_VM_AREA:
		return do_free(r, SH_F_FREE_VM_AREA, a);
	case OP_RUN_DEFERRED: {
		int n = vmalloc_run_deferred(m, a->cpu);

		interp_res(r, " freed=%d", n);
		return SH_CALL(r, shadow_run_deferred(r->sh, a->cpu, n, &r->sfail));
	}
	case OP_SET_CPU:
		m->cur_cpu = a->cpu;
		if (!r->oracle_off)
			shadow_set_cpu(r->sh, a->cpu);
		return 0;
	case OP_PURGE:
		purge_vmap_area_lazy(m);
		if (!r->oracle_off)
			shadow_purge(r->sh);
		return 0;
	case OP_UNMAP_ALIASES:
		vm_unmap_aliases(m);
		if (!r->oracle_off)
			shadow_unmap_aliases(r->sh);
		return 0;
	case OP_WRITE:
		return do_write(r, a);
	case OP_READ:
		return do_read(r, handle_pick_live(r, a->handle), a);
	case OP_ACCESS:
		return do_access(r, a);
	case OP_READ_FREED:
		return do_read(r, handle_pick_freed(r, a->handle), a);
	case OP_VMALLOC_TO_PAGE:
		return do_vmalloc_to_page(r, a);
	case OP_VREAD:
		return do_vread(r, a);
	case OP_FAULT:
		vmf_fault_set(m, (enum vmf_fault_site)a->site,
			      (enum vmf_fault_mode)a->mode, a->n);
		if (!r->oracle_off)
			shadow_fault_set(r->sh, a->site, a->mode, a->n);
		return 0;
	case OP_FRAGMENT:
		return do_fragment(r, a);
	case OP_BAD:
		return do_bad(r, a);
	case OP_CHECK:
		return do_check(r, idx);
	case OP_VM_MAP_RAM:
		return do_vm_map_ram(r, a);
	case OP_VM_UNMAP_RAM:
		return do_vm_unmap_ram(r, a);
	case OP_IOREMAP:
		return interp_do_ioremap(r, a);
	case OP_IOUNMAP:
		return interp_do_iounmap(r, a);
	case OP_VMALLOC_HUGE:
		return interp_do_vmalloc_huge(r, a);
	case OP_NR:
		break;
	}
	return 0;
}
