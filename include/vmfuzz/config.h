/* Configuration of one simulated machine.
 *
 * Every field has a valid range; vmf_config_check() refuses anything else
 * and names the field. Zero in a "0 = default" field asks for the value the
 * kernel would compute. */
#ifndef VMFUZZ_CONFIG_H
#define VMFUZZ_CONFIG_H

#include "types.h"

enum vmf_policy {
	VMF_POLICY_LEGACY = 0, /* 3.10 .. 5.1 alloc_vmap_area (the seed) */
	VMF_POLICY_MODERN = 1, /* 5.2+ free-space tree, Linux 6.1 semantics */
	VMF_POLICY_NEXTFIT = 2, /* worked example: next-fit, roving cursor */
	VMF_POLICY_NR = 3,
};

struct vmf_config {
	unsigned page_shift;   /* granule: 12 (4K), 14 (16K), 16 (64K) */
	unsigned va_bits;      /* 4K: 39/48, 16K: 36/47/48, 64K: 42/48 */
	unsigned pa_bits;      /* TCR.IPS output size: 32,36,40,42,44,48 */
	vaddr_t vmalloc_start; /* [start, end), page aligned, in TTBR1 half;
				  0/0 = Linux 4.19 layout for va_bits/granule */
	vaddr_t vmalloc_end;
	uint64_t phys_size;     /* bytes of RAM, page multiple, >= 64 pages */
	phys_addr_t phys_base;  /* where RAM starts (QEMU virt: 0x40000000) */
	unsigned nr_nodes;      /* 1..4, RAM split evenly */
	unsigned nr_cpus;       /* 1..8 */
	uint64_t lazy_max_pages; /* 0 = fls(nr_cpus) * (32 MiB / PAGE_SIZE) */
	unsigned tlb_entries;   /* 1..4096 */
	unsigned tlb_flush_max_pages; /* flush_tlb_kernel_range flushes all
					 above this; 0 = 1024 (arm64 4.19
					 MAX_TLBI_OPS) */
	unsigned policy;        /* enum vmf_policy (include/vmfuzz/placement.h) */
	bool vb_flush_full;     /* vm_unmap_aliases also flushes full vmap
				   blocks (the 6.5 rule); false = 4.19 */
	unsigned walk_cache_entries;
	bool huge_vmalloc;
};

#define VMF_MAX_NODES 4
#define VMF_MAX_CPUS 8
#define VMF_MAX_TLB_ENTRIES 4096
#define VMF_MAX_PHYS_SIZE (1ull << 32) /* 4 GiB of simulated RAM at most */

/* The embedded default: 4K/48, Linux 4.19 arm64 vmalloc window, 64 MiB of
 * RAM on one node, 4 CPUs, 64 TLB entries. */
void vmf_config_default(struct vmf_config *cfg);

/* Fill the "0 = default" fields (window, lazy threshold, flush threshold). */
void vmf_config_resolve(struct vmf_config *cfg);

/* 0 if valid; else -VMF_EINVAL and a message naming the field and why. */
int vmf_config_check(const struct vmf_config *cfg, char *why, size_t why_len);

/* Translation geometry (Arm ARM D8.2): each level resolves page_shift - 3
 * VA bits above the page offset; the walk starts at
 * 4 - (va_bits - 4) / (page_shift - 3) (4K/48 -> 0, 64K/42 -> 2). */
unsigned vmf_level_shift(unsigned page_shift, int level);
int vmf_start_level(unsigned page_shift, unsigned va_bits);

/* Linux 4.19 arm64 vmalloc window for a VA size/granule (no KASAN):
 * VMALLOC_START = MODULES_END = VA_START + 2 * 64 MiB (modules + BPF)
 * VMALLOC_END   = PAGE_OFFSET - PUD_SIZE - VMEMMAP_SIZE - 64 KiB. */
void vmf_linux_vmalloc_window(unsigned va_bits, unsigned page_shift,
			      vaddr_t *start, vaddr_t *end);

#endif
