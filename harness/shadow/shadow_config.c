/* The shadow's own arithmetic of the machine's derived values.
 *
 * The library resolves a program's header into a machine config
 * (defaults, the Linux window layout, lazy_max_pages, the TLB flush
 * threshold). The shadow is reset from that resolved config, so without
 * this file a wrong formula in the library would be the shadow's too.
 * Here the shadow derives the same values from the raw header fields with
 * its own code, straight from the kernel's definitions, and compares.
 *
 * Sources (Linux 4.19):
 *  - arch/arm64/include/asm/memory.h: VA_START = ~0 << VA_BITS (the
 *    bottom of TTBR1), MODULES_VSIZE = SZ_128M right above it (no KASAN),
 *    VMALLOC_START = MODULES_END, PAGE_OFFSET = ~0 << (VA_BITS - 1),
 *    VMEMMAP_SIZE = 1 << (VA_BITS - PAGE_SHIFT - 1 + STRUCT_PAGE_MAX_SHIFT)
 *    with STRUCT_PAGE_MAX_SHIFT = 6;
 *  - arch/arm64/include/asm/pgtable.h: VMALLOC_END = PAGE_OFFSET -
 *    PUD_SIZE - VMEMMAP_SIZE - SZ_64K;
 *  - arch/arm64/include/asm/pgtable-hwdef.h: ARM64_HW_PGTABLE_LEVELS(va)
 *    = (va - 4) / (PAGE_SHIFT - 3), ARM64_HW_PGTABLE_LEVEL_SHIFT(n) =
 *    (PAGE_SHIFT - 3) * (4 - n) + 3; PUD_SHIFT = LEVEL_SHIFT(1) with four
 *    levels, else the PUD is folded into the PGD (asm-generic
 *    pgtable-nopud.h: PUD_SIZE = PGDIR_SIZE, PGDIR_SHIFT =
 *    LEVEL_SHIFT(4 - levels));
 *  - mm/vmalloc.c lazy_max_pages(): fls(num_online_cpus()) *
 *    (32 MiB / PAGE_SIZE);
 *  - arch/arm64/include/asm/tlbflush.h __flush_tlb_kernel_pgtable and
 *    flush_tlb_kernel_range: more than MAX_TLBI_OPS... in 4.19 the
 *    threshold is (MAX_TLBI_OPS = 1024) pages, over which the whole TLB
 *    is flushed (../shared/notes/arm64-vmsa-facts.md).
 * The inputs are the header's fields as the program chose them
 * (struct vmf_header_raw, harness/format): a window size (0: the whole
 * Linux window), a lazy threshold (0: the kernel's formula). */
#include <stdio.h>

#include "cmd_table.h"
#include "shadow_model.h"

struct sh_derived {
	bool have_window;
	vaddr_t vm_start, vm_end;
	bool have_lazy;
	uint64_t lazy_max_pages;
	uint64_t tlb_flush_max_pages;
};

/* The position of the highest set bit, 1-based; 0 for 0 (the kernel's
 * fls()). */
static unsigned sh_fls(uint64_t x)
{
	unsigned n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

/* The 4.19 arm64 window for a (granule, VA size) Linux supports. */
static bool sh_linux_window(unsigned page_shift, unsigned va_bits,
			    vaddr_t *start, vaddr_t *end)
{
	unsigned bits_per_level, levels, pud_shift;
	uint64_t va_start, page_offset, vmemmap_size;

	if (page_shift < 12 || page_shift > 16 || va_bits <= page_shift + 8 ||
	    va_bits > 48)
		return false;
	bits_per_level = page_shift - 3;
	levels = (va_bits - 4) / bits_per_level;
	if (levels > 4)
		levels = 4;
	/* LEVEL_SHIFT(1) with four levels; PGDIR_SHIFT when folded. */
	pud_shift = bits_per_level * (4 - (levels == 4 ? 1 : 4 - levels)) + 3;
	va_start = ~0ull << va_bits;
	page_offset = ~0ull << (va_bits - 1);
	vmemmap_size = 1ull << (va_bits - page_shift - 1 + 6);
	*start = va_start + (128ull << 20);
	*end = page_offset - (1ull << pud_shift) - vmemmap_size - (64ull << 10);
	return true;
}

static void sh_derive(const struct vmf_header_raw *raw, struct sh_derived *d)
{
	vaddr_t start = 0, end = 0; /* unset when there is no window (gcc -O2) */

	d->have_window = sh_linux_window(raw->page_shift, raw->va_bits,
					 &start, &end);
	/* Every window starts at VMALLOC_START and none passes VMALLOC_END. */
	d->vm_start = start;
	d->vm_end = raw->window_bytes && raw->window_bytes < end - start ?
			    start + raw->window_bytes : end;
	d->have_lazy = true;
	d->lazy_max_pages = raw->lazy_max_pages;
	if (!d->lazy_max_pages) {
		d->have_lazy = raw->page_shift >= 12 && raw->page_shift <= 16 &&
			       raw->nr_cpus <= VMF_MAX_CPUS;
		if (d->have_lazy)
			d->lazy_max_pages = (uint64_t)sh_fls(raw->nr_cpus) *
					    ((32ull << 20) >> raw->page_shift);
	}
	/* No header field sets it: 4.19's threshold. */
	d->tlb_flush_max_pages = 1024;
}

static int differs(struct sh_fail *f, const char *field, uint64_t want,
		   uint64_t got)
{
	snprintf(f->check, sizeof(f->check), "config/%s", field);
	snprintf(f->detail, sizeof(f->detail),
		 "%s: the machine resolved 0x%llx (%llu), the shadow derives "
		 "0x%llx (%llu) from the header",
		 field, (unsigned long long)got, (unsigned long long)got,
		 (unsigned long long)want, (unsigned long long)want);
	return -1;
}

int shadow_check_config(const struct shadow *sh,
			const struct vmf_header_raw *raw, struct sh_fail *f)
{
	const struct vmf_config *m = &sh->cfg; /* what the machine resolved */
	struct sh_derived d;

	sh_derive(raw, &d);
	/* A config the machine accepted always has a window and a lazy
	 * threshold; not deriving one is a disagreement too. */
	if (!d.have_window || d.vm_start != m->vmalloc_start)
		return differs(f, "vmalloc_start", d.vm_start, m->vmalloc_start);
	if (d.vm_end != m->vmalloc_end)
		return differs(f, "vmalloc_end", d.vm_end, m->vmalloc_end);
	if (!d.have_lazy || d.lazy_max_pages != m->lazy_max_pages)
		return differs(f, "lazy_max_pages", d.lazy_max_pages,
			       m->lazy_max_pages);
	if (d.tlb_flush_max_pages != m->tlb_flush_max_pages)
		return differs(f, "tlb_flush_max_pages", d.tlb_flush_max_pages,
			       m->tlb_flush_max_pages);
	/* The fields the machine takes as given must come through as given. */
	if (raw->page_shift != m->page_shift || raw->va_bits != m->va_bits)
		return differs(f, "page_shift", raw->page_shift, m->page_shift);
	if (raw->nr_cpus != m->nr_cpus)
		return differs(f, "nr_cpus", raw->nr_cpus, m->nr_cpus);
	if (raw->phys_size != m->phys_size)
		return differs(f, "phys_size", raw->phys_size, m->phys_size);
	if (raw->nr_nodes != m->nr_nodes)
		return differs(f, "nr_nodes", raw->nr_nodes, m->nr_nodes);
	if (raw->tlb_entries != m->tlb_entries)
		return differs(f, "tlb_entries", raw->tlb_entries,
			       m->tlb_entries);
	if (raw->policy != m->policy)
		return differs(f, "policy", raw->policy, m->policy);
	return 0;
}
