/* Machine configuration: defaults, the Linux layout, validation. */
#include <stdio.h>
#include <string.h>

#include <vmfuzz/config.h>

#include "util.h"

unsigned vmf_level_shift(unsigned page_shift, int level)
{
	return page_shift + (page_shift - 3) * (unsigned)(3 - level);
}

int vmf_start_level(unsigned page_shift, unsigned va_bits)
{
	return 4 - (int)((va_bits - 4) / (page_shift - 3));
}

void vmf_linux_vmalloc_window(unsigned va_bits, unsigned page_shift,
			      vaddr_t *start, vaddr_t *end)
{
	/* arch/arm64/include/asm/memory.h and pgtable.h, Linux 4.19, no KASAN:
	 * VA_START = -(1 << VA_BITS); modules take the first 128 MiB;
	 * VMALLOC_START = MODULES_END; PAGE_OFFSET = -(1 << (VA_BITS - 1));
	 * VMALLOC_END = PAGE_OFFSET - PUD_SIZE - VMEMMAP_SIZE - SZ_64K with
	 * VMEMMAP_SIZE = 1 << (VA_BITS - PAGE_SHIFT - 1 + 6) and PUD_SIZE the
	 * size of a level-1 entry, or of the first level when PUD is folded. */
	int pud_level = vmf_start_level(page_shift, va_bits);
	uint64_t va_start = 0 - (1ull << va_bits);
	uint64_t page_offset = 0 - (1ull << (va_bits - 1));
	uint64_t pud_size, vmemmap_size;

	if (pud_level < 1)
		pud_level = 1;
	pud_size = 1ull << vmf_level_shift(page_shift, pud_level);
#if defined(VMF_PLANT_WINDOW_VMEMMAP_SHIFT)
	/* PLANT WINDOW_VMEMMAP_SHIFT: STRUCT_PAGE_MAX_SHIFT taken as 7. */
	vmemmap_size = 1ull << (va_bits - page_shift - 1 + 7);
#else
	vmemmap_size = 1ull << (va_bits - page_shift - 1 + 6);
#endif
	*start = va_start + (128ull << 20);
	*end = page_offset - pud_size - vmemmap_size - (64ull << 10);
}

void vmf_config_default(struct vmf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->page_shift = 12;
	cfg->va_bits = 48;
	cfg->pa_bits = 40; /* as in the QEMU-verified runs of the notes */
	cfg->phys_size = 64ull << 20;
	cfg->phys_base = 0x40000000; /* QEMU virt RAM base */
	cfg->nr_nodes = 1;
	cfg->nr_cpus = 4;
	cfg->tlb_entries = 64;
	cfg->policy = VMF_POLICY_LEGACY;
}

void vmf_config_resolve(struct vmf_config *cfg)
{
	if (cfg->vmalloc_start == 0 && cfg->vmalloc_end == 0 &&
	    cfg->page_shift >= 12 && cfg->page_shift <= 16 &&
	    cfg->va_bits > cfg->page_shift + 8 && cfg->va_bits <= 48)
		vmf_linux_vmalloc_window(cfg->va_bits, cfg->page_shift,
					 &cfg->vmalloc_start, &cfg->vmalloc_end);
	/* mm/vmalloc.c lazy_max_pages(): fls(num_online_cpus()) *
	 * (32 MiB / PAGE_SIZE). */
	if (cfg->lazy_max_pages == 0 && cfg->page_shift >= 12 &&
	    cfg->page_shift <= 16 && cfg->nr_cpus <= VMF_MAX_CPUS)
#if defined(VMF_PLANT_LAZY_MAX_FORMULA)
		/* PLANT LAZY_MAX_FORMULA: num_online_cpus() without fls(). */
		cfg->lazy_max_pages = (uint64_t)cfg->nr_cpus *
				      ((32ull << 20) >> cfg->page_shift);
#else
		cfg->lazy_max_pages = (uint64_t)fls64_u(cfg->nr_cpus) *
				      ((32ull << 20) >> cfg->page_shift);
#endif
	if (cfg->tlb_flush_max_pages == 0)
#if defined(VMF_PLANT_FLUSH_THRESHOLD_DEFAULT)
		/* PLANT FLUSH_THRESHOLD_DEFAULT: 6.x's PTRS_PER_PTE (512 with
		 * 4K) instead of 4.19's 1024. */
		cfg->tlb_flush_max_pages = 512;
#else
		cfg->tlb_flush_max_pages = 1024;
#endif
}

#define REFUSE(...)                                                          \
	do {                                                                 \
		if (why && why_len)                                          \
			snprintf(why, why_len, __VA_ARGS__);                 \
		return -VMF_EINVAL;                                          \
	} while (0)

int vmf_config_check(const struct vmf_config *cfg, char *why, size_t why_len)
{
	uint64_t page_size, va_start, nr_pages;
	int ok_va = 0;

	switch (cfg->page_shift) {
	case 12:
		ok_va = cfg->va_bits == 39 || cfg->va_bits == 48;
		break;
	case 14:
		ok_va = cfg->va_bits == 36 || cfg->va_bits == 47 ||
			cfg->va_bits == 48;
		break;
	case 16:
		ok_va = cfg->va_bits == 42 || cfg->va_bits == 48;
		break;
	default:
		REFUSE("page_shift: %u is not a granule (12, 14 or 16)",
		       cfg->page_shift);
	}
	if (!ok_va)
		REFUSE("va_bits: %u with %u KiB pages is not a layout Linux "
		       "arm64 supports (4K: 39/48, 16K: 36/47/48, 64K: 42/48)",
		       cfg->va_bits, 1u << (cfg->page_shift - 10));
	switch (cfg->pa_bits) {
	case 32: case 36: case 40: case 42: case 44: case 48:
		break;
	default:
		REFUSE("pa_bits: %u is not a TCR.IPS size (32, 36, 40, 42, "
		       "44, 48)", cfg->pa_bits);
	}
	page_size = 1ull << cfg->page_shift;
	if (cfg->phys_size == 0 || cfg->phys_size % page_size)
		REFUSE("phys_size: 0x%llx is not a non-zero page multiple",
		       (unsigned long long)cfg->phys_size);
	nr_pages = cfg->phys_size / page_size;
	if (nr_pages < 64)
		REFUSE("phys_size: %llu pages, at least 64 needed",
		       (unsigned long long)nr_pages);
	if (cfg->phys_size > VMF_MAX_PHYS_SIZE)
		REFUSE("phys_size: 0x%llx is above the 4 GiB the model holds",
		       (unsigned long long)cfg->phys_size);
	if (cfg->phys_base % page_size)
		REFUSE("phys_base: 0x%llx is not page aligned",
		       (unsigned long long)cfg->phys_base);
	if (cfg->phys_base + cfg->phys_size < cfg->phys_base ||
	    cfg->phys_base + cfg->phys_size > (1ull << cfg->pa_bits))
		REFUSE("phys_base + phys_size: RAM ends above the %u-bit "
		       "physical address size", cfg->pa_bits);
	if (cfg->nr_nodes < 1 || cfg->nr_nodes > VMF_MAX_NODES)
		REFUSE("nr_nodes: %u, must be 1 to %d", cfg->nr_nodes,
		       VMF_MAX_NODES);
	if (nr_pages / cfg->nr_nodes < 16)
		REFUSE("nr_nodes: %u nodes leave fewer than 16 pages each",
		       cfg->nr_nodes);
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > VMF_MAX_CPUS)
		REFUSE("nr_cpus: %u, must be 1 to %d", cfg->nr_cpus,
		       VMF_MAX_CPUS);
	if (cfg->tlb_entries < 1 || cfg->tlb_entries > VMF_MAX_TLB_ENTRIES)
		REFUSE("tlb_entries: %u, must be 1 to %d", cfg->tlb_entries,
		       VMF_MAX_TLB_ENTRIES);
	if (cfg->walk_cache_entries > VMF_MAX_WALK_CACHE)
		REFUSE("walk_cache_entries: %u, must be 0 to %d",
		       cfg->walk_cache_entries, VMF_MAX_WALK_CACHE);
	if (cfg->policy >= VMF_POLICY_NR)
		REFUSE("policy: %u is not a placement policy (0 legacy, 1 modern, 2 nextfit)",
		       cfg->policy);
	va_start = 0 - (1ull << cfg->va_bits);
	if (cfg->vmalloc_start % page_size || cfg->vmalloc_end % page_size)
		REFUSE("vmalloc window: [0x%llx, 0x%llx) is not page aligned",
		       (unsigned long long)cfg->vmalloc_start,
		       (unsigned long long)cfg->vmalloc_end);
	if (cfg->vmalloc_start < va_start)
		REFUSE("vmalloc_start: 0x%llx is below the TTBR1 region of a "
		       "%u-bit VA (0x%llx)",
		       (unsigned long long)cfg->vmalloc_start, cfg->va_bits,
		       (unsigned long long)va_start);
	if (cfg->vmalloc_end <= cfg->vmalloc_start)
		REFUSE("vmalloc window: end 0x%llx is not above start 0x%llx",
		       (unsigned long long)cfg->vmalloc_end,
		       (unsigned long long)cfg->vmalloc_start);
	if ((cfg->vmalloc_end - cfg->vmalloc_start) / page_size < 4)
		REFUSE("vmalloc window: fewer than 4 pages");
	if (cfg->lazy_max_pages == 0)
		REFUSE("lazy_max_pages: 0 after defaults were applied");
	if (cfg->tlb_flush_max_pages == 0)
		REFUSE("tlb_flush_max_pages: 0 after defaults were applied");
	return 0;
}
