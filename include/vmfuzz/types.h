/* Basic types of the simulated ARM64 machine.
 *
 * Addresses on the simulated machine are plain 64-bit integers, never host
 * pointers: a simulated VA can never be dereferenced by mistake. */
#ifndef VMFUZZ_TYPES_H
#define VMFUZZ_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t vaddr_t;     /* simulated virtual address */
typedef uint64_t phys_addr_t; /* simulated physical address */
typedef uint64_t pfn_t;       /* page frame number (phys_addr >> page_shift) */

struct vmf_machine;

/* Error returns: negative errno values with the kernel's numbers
 * (include/uapi/asm-generic/errno-base.h). */
#define VMF_ENOMEM 12
#define VMF_EBUSY 16
#define VMF_EINVAL 22

/* gfp-like flags. The names are the kernel's, the bit values are ours. */
typedef unsigned int gfp_t;
#define __GFP_ZERO 0x01u     /* zero the pages / object */
#define __GFP_NOWARN 0x02u   /* no allocation-failure warning */
#define __GFP_THISNODE 0x04u /* no fallback to other nodes */
#define __GFP_HIGHMEM 0x08u  /* accepted, no effect: arm64 has no highmem */
#define __GFP_DMA32 0x10u    /* vmalloc_32: pages below 4 GiB physical */
#define GFP_KERNEL 0x00u
#define GFP_ATOMIC 0x00u
#define GFP_VALID_MASK 0x1fu

#define NUMA_NO_NODE (-1)

#endif
