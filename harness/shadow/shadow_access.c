/* The shadow's model of accesses through the MMU, vmalloc_to_page and
 * vread.
 *
 * For any address the model knows what the architecture must answer
 * (arm64 facts, "Walk checks"): outside TTBR1 -> translation fault at
 * level 0; a page of a live (or deferred, still mapped) area -> its leaf,
 * pfn | prot at level 3, then the access-flag and permission checks on
 * prot; anything else -> a translation fault at the first level whose
 * table does not exist (level 3 when the tables do). A TLB hit on a stale
 * entry is allowed only on a lazily freed area that no purge released yet:
 * that is the window the lazy scheme knowingly leaves open; what such a
 * hit gives (the old frame, its bytes now) is shadow_stale.c's. */
#include <string.h>

#include "shadow_model.h"
#include "shadow_vminfo.h"
#include "shadow_walk.h"

struct pred {
	enum mmu_fault fault;
	int level;
	struct sh_area *area;  /* the area holding the page, mapped */
	bool stale_ok;
};

/* The permission checks of the notes on a leaf (no table attributes:
 * Linux sets none). */
enum mmu_fault sh_leaf_perm(uint64_t desc, enum mmu_access acc, int el)
{
	bool ro = desc & PTE_RDONLY;
	bool user = desc & PTE_USER;

	if (!(desc & PTE_AF))
		return MMU_FAULT_ACCESS_FLAG;
	switch (acc) {
	case ACC_READ:
		return el == 0 && !user ? MMU_FAULT_PERMISSION : MMU_OK;
	case ACC_WRITE:
		if (ro || (el == 0 && !user))
			return MMU_FAULT_PERMISSION;
		return MMU_OK;
	case ACC_EXEC:
		if (el == 0)
			return (desc & PTE_UXN) ? MMU_FAULT_PERMISSION : MMU_OK;
		/* EL1: PXN, or a page EL0 may write, is never executable. */
		return (desc & PTE_PXN) || (user && !ro) ? MMU_FAULT_PERMISSION
							 : MMU_OK;
	}
	return MMU_FAULT_PERMISSION;
}

/* The area mapping va, if the model has one. */
static struct sh_area *mapped_area(struct shadow *sh, vaddr_t va)
{
	struct sh_area *a = sh_busy_containing(&sh->busy, va);

	/* vm_map_ram's pages in a vmap block: the carve's own record. */
	if (a && a->kind == SHK_VBLOCK && a->state == SH_LIVE)
		a = sh_vb_carve_at(sh, va);

	if (a && a->mapped && (a->state == SH_LIVE || a->state == SH_DEFERRED) &&
	    va - a->start < (a->nr_pages << sh->page_shift))
		return a;
	return NULL;
}

bool shadow_va_mapped(const struct shadow *sh, vaddr_t va)
{
	return mapped_area((struct shadow *)sh, va) != NULL;
}

static void predict(struct shadow *sh, vaddr_t va, enum mmu_access acc,
		    int el, struct pred *p)
{
	struct sh_area *a;

	memset(p, 0, sizeof(*p));
	if (!sh_pt_in_ttbr1(&sh->pt, va)) {
		p->fault = MMU_FAULT_TRANSLATION;
		p->level = 0;
		return;
	}
	a = mapped_area(sh, va);
	if (a) {
		p->area = a;
		p->fault = sh_leaf_perm(a->prot, acc, el);
		p->level = a->page_order ? 2 : 3; /* vmalloc_huge: a block */
		return;
	}
	a = sh_busy_containing(&sh->busy, va);
	p->stale_ok = a && a->state == SH_LAZY;
	p->fault = MMU_FAULT_TRANSLATION;
	p->level = sh_pt_fault_level(&sh->pt, va);
}

static const char *fault_name(enum mmu_fault f)
{
	switch (f) {
	case MMU_OK: return "ok";
	case MMU_FAULT_ADDRESS_SIZE: return "address size fault";
	case MMU_FAULT_TRANSLATION: return "translation fault";
	case MMU_FAULT_ACCESS_FLAG: return "access flag fault";
	case MMU_FAULT_PERMISSION: return "permission fault";
	case MMU_FAULT_EXTERNAL: return "external abort";
	case MMU_FAULT_BAD_ARG: return "refused arguments";
	}
	return "?";
}

static const char *acc_name(enum mmu_access acc)
{
	return acc == ACC_WRITE ? "write" : acc == ACC_EXEC ? "exec" : "read";
}

int shadow_access(struct shadow *sh, const struct sh_access *x,
		  struct sh_fail *f)
{
	struct pred p;
	const struct mmu_result *r = &x->res;

	sh->accessed = true;
	predict(sh, x->va, x->acc, x->el, &p);
	if (r->tlb_stale) {
		/* A page of a live vmap block: its own rule (shadow_vb.c). */
		int vb = sh_vb_stale_hit(sh, x->va, f);

		if (vb != -2)
			return vb < 0 ? -1 : 0;
		if (!p.stale_ok)
			return sh_fail(f, "tlb-stale",
				       "EL%d %s at 0x%llx went through a stale "
				       "TLB entry: only a lazily freed area not "
				       "yet purged may still be in the TLB "
				       "(expected %s%s)",
				       x->el, acc_name(x->acc),
				       (unsigned long long)x->va,
				       fault_name(p.fault),
				       p.fault == MMU_FAULT_TRANSLATION ?
					       " on the tables" : "");
		/* What the entry gives: the freed area's old frame, and that
		 * frame's bytes now (shadow_stale.c). */
		return sh_stale_access(sh, x, f) ? -1 : 0;
	}
	if (p.area && p.area->iomap) /* its own leaves: shadow_huge.c */
		return sh_huge_access(sh, p.area, x, p.fault, f);
	if (r->fault != p.fault ||
	    (p.fault != MMU_OK && r->level != p.level))
		return sh_fail(f, "access",
			       "EL%d %s at 0x%llx: expected %s%s%d, the MMU "
			       "gave %s at level %d (desc 0x%016llx)%s",
			       x->el, acc_name(x->acc),
			       (unsigned long long)x->va, fault_name(p.fault),
			       p.fault == MMU_OK ? ", leaf at level " :
						   " at level ",
			       p.level, fault_name(r->fault), r->level,
			       (unsigned long long)r->desc,
			       p.area ? "" : " (no live area maps it)");
	if (x->len == 0) {
		/* A translation alone (`access`): its output address is
		 * still the frame the page array names. */
		if (r->fault == MMU_OK && p.area &&
		    sh_walk_check_access(sh, p.area, x, f))
			return -1;
		return 0;
	}
	if (r->fault != MMU_OK) {
		if (x->done)
			return sh_fail(f, "access",
				       "%s at 0x%llx faulted but moved %zu bytes",
				       acc_name(x->acc), (unsigned long long)x->va,
				       x->done);
		return 0;
	}
	if (x->done != x->len)
		return sh_fail(f, "access",
			       "%s of %zu bytes at 0x%llx moved %zu bytes "
			       "without a fault",
			       acc_name(x->acc), x->len,
			       (unsigned long long)x->va, x->done);
	/* The frame the page array names, by the MMU and the reader. */
	if (sh_walk_check_access(sh, p.area, x, f))
		return -1;
	if (x->acc == ACC_WRITE) {
		sh_data_store(&sh->data, p.area, x->va - p.area->start, x->buf,
			      x->len);
		return 0;
	}
	{
		uint8_t val[VMF_MAX_ACCESS_PIECE], known[VMF_MAX_ACCESS_PIECE];
		size_t done = 0;

		while (done < x->len) {
			size_t n = x->len - done;

			if (n > sizeof(val))
				n = sizeof(val);
			sh_expect_read(sh, p.area,
				       x->va + done - p.area->start, n, val,
				       known);
			for (size_t i = 0; i < n; i++) {
				if (known[i] && val[i] != x->buf[done + i])
					return sh_fail(
						f, "data",
						"byte at 0x%llx (offset 0x%llx "
						"in the area at 0x%llx) reads "
						"0x%02x, expected 0x%02x%s",
						(unsigned long long)(x->va + done + i),
						(unsigned long long)(x->va + done +
								     i -
								     p.area->start),
						(unsigned long long)p.area->start,
						x->buf[done + i], val[i],
						p.area->kind == SHK_ARRAY ?
							" (the page array's "
							"entries)" :
						p.area->zeroed ?
							" (zeroed memory, or "
							"what the harness wrote)" :
							" (what the harness "
							"wrote)");
			}
			done += n;
		}
	}
	return 0;
}

size_t shadow_known_mask(struct shadow *sh, vaddr_t va, size_t len,
			 uint8_t *known)
{
	size_t k = 0, done = 0;

	while (done < len) {
		vaddr_t a = va + done;
		size_t n = (size_t)(sh->page_size - (a & (sh->page_size - 1)));
		struct sh_area *ar = mapped_area(sh, a);

		if (n > len - done)
			n = len - done;
		if (!ar) {
			/* Unmapped bytes of a vread read as zero: known. */
			memset(known + done, 0, n);
		} else {
			uint8_t val[VMF_MAX_ACCESS_PIECE];
			size_t d = 0;

			while (d < n) {
				size_t m = n - d;

				if (m > sizeof(val))
					m = sizeof(val);
				sh_expect_bytes(sh, ar,
					       a + d - ar->start, m, val,
					       known + done + d);
				d += m;
			}
		}
		done += n;
	}
	for (size_t i = 0; i < len; i++)
		k += known[i];
	return k;
}

int shadow_vmalloc_to_page(struct shadow *sh, vaddr_t va, bool found,
			   pfn_t pfn, struct sh_fail *f)
{
	struct sh_area *a = mapped_area(sh, va);
	uint64_t i;
	pfn_t want;

	if (sh_vm_check_lookup(sh, va, f))
		return -1;
	if (!a) {
		if (found)
			return sh_fail(f, "result",
				       "vmalloc_to_page(0x%llx) found pfn 0x%llx; "
				       "no live area maps that address",
				       (unsigned long long)va,
				       (unsigned long long)pfn);
		return 0;
	}
	if (a->iomap)
		return sh_huge_to_page(sh, a, va, found, pfn, f);
	i = (va - a->start) >> sh->page_shift;
	if (!a->pfns || (!sh_kind_caller_pages(a->kind) && !a->pfns_known)) {
		if (!found)
			return sh_fail(f, "result",
				       "vmalloc_to_page(0x%llx) found nothing; "
				       "page %llu of the area at 0x%llx is mapped",
				       (unsigned long long)va,
				       (unsigned long long)i,
				       (unsigned long long)a->start);
		return 0;
	}
	want = a->pfns[i];
	if (sh_walk_check_to_page(sh, va, a->page_order ? 2 : 3, found, pfn,
				  want, f))
		return -1;
	if (!found || pfn != want)
		return sh_fail(f, "result",
			       "vmalloc_to_page(0x%llx): expected pfn 0x%llx "
			       "(page %llu of the area at 0x%llx), got %s0x%llx",
			       (unsigned long long)va, (unsigned long long)want,
			       (unsigned long long)i,
			       (unsigned long long)a->start,
			       found ? "pfn " : "nothing ",
			       (unsigned long long)(found ? pfn : 0));
	return 0;
}

int shadow_vread(struct shadow *sh, vaddr_t va, uint64_t len, long ret,
		 const uint8_t *buf, struct sh_fail *f)
{
	long want = (va < sh->vm_start || va >= sh->vm_end) ? 0 : (long)len;
	size_t done = 0;

	if (ret != want)
		return sh_fail(f, "result",
			       "vread(0x%llx, %llu) returned %ld, expected %ld",
			       (unsigned long long)va, (unsigned long long)len,
			       ret, want);
	while (done < (size_t)want) {
		vaddr_t a = va + done;
		size_t n = (size_t)(sh->page_size - (a & (sh->page_size - 1)));
		struct sh_area *ar = mapped_area(sh, a);
		uint8_t val[VMF_MAX_ACCESS_PIECE], known[VMF_MAX_ACCESS_PIECE];

		if (n > (size_t)want - done)
			n = (size_t)want - done;
		if (n > sizeof(val))
			n = sizeof(val);
		/* 4.19 vread skips areas without VM_VM_AREA (vm_map_ram's),
		 * like ioremap ones: zero. */
		if (ar && !ar->ioremap && ar->has_vm) {
			sh_expect_read(sh, ar, a - ar->start, n, val,
				       known);
		} else {
			memset(val, 0, n);
			memset(known, 1, n);
		}
		for (size_t i = 0; i < n; i++)
			if (known[i] && buf[done + i] != val[i])
				return sh_fail(f, "data",
					       "vread byte at 0x%llx reads 0x%02x, "
					       "expected 0x%02x (%s)",
					       (unsigned long long)(a + i),
					       buf[done + i], val[i],
					       ar ? "area contents" :
						    "no live area: zero");
		done += n;
	}
	return 0;
}
