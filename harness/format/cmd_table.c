/* The byte format as data: the opcode map, every op's operand layout, the
 * operand kinds (decode to a symbolic value, encode back canonically,
 * resolve against a machine) and the header fields. docs/format.md is the
 * same information for people; tests/test_codec.c holds the two together.
 *
 * Every table is const and holds no pointers (names are char arrays), so
 * it lands in .rodata and the harness has no writable static state. */
#include <string.h>

#include <vmfuzz/fault.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "cmd_table.h"

/* ---- opcodes ----
 * Common ops own several bytes so random bytes hit them more often.
 * 0x00 and the rest of 0xc0..0xff are NOP, reserved for commands of later
 * format versions; the encoder never writes them. Each version took only
 * bytes that no committed input used as an opcode, so every committed
 * trace kept its meaning: version 2 0xc1 vm_map_ram, 0xc2 vm_unmap_ram;
 * version 3 0xc4-0xc5 ioremap, 0xc6 iounmap, 0xc9-0xca vmalloc_huge.
 * 0xc0 right after the header
 * is the header extension (codec.c); elsewhere a NOP. */
const uint8_t vmf_opcode_op[256] = {
	/* 0x00 */ OP_NOP, OP_EARLY_ADD, OP_EARLY_ADD, OP_EARLY_ADD,
	/* 0x04 */ OP_EARLY_REGISTER, OP_EARLY_REGISTER, OP_EARLY_REGISTER,
	/* 0x07 */ OP_VMALLOC,
	/* 0x08 */ OP_VMALLOC, OP_VMALLOC, OP_VMALLOC, OP_VMALLOC, OP_VMALLOC,
	/* 0x0d */ OP_VMALLOC, OP_VMALLOC, OP_VMALLOC,
	/* 0x10 */ OP_VMALLOC, OP_VMALLOC, OP_VMALLOC, OP_VMALLOC, OP_VMALLOC,
	/* 0x15 */ OP_VZALLOC, OP_VZALLOC, OP_VZALLOC,
	/* 0x18 */ OP_VZALLOC, OP_VZALLOC, OP_VZALLOC, OP_VMALLOC_NODE,
	/* 0x1c */ OP_VMALLOC_NODE, OP_VMALLOC_NODE, OP_VMALLOC_NODE,
	/* 0x1f */ OP_VMALLOC_NODE,
	/* 0x20 */ OP_VZALLOC_NODE, OP_VZALLOC_NODE, OP_VZALLOC_NODE,
	/* 0x23 */ OP_VZALLOC_NODE, OP_VMALLOC_32, OP_VMALLOC_32,
	/* 0x26 */ OP_VMALLOC_32, OP_VMALLOC_32,
	/* 0x28 */ OP_VMALLOC_USER, OP_VMALLOC_USER, OP_VMALLOC_USER,
	/* 0x2b */ OP_VMALLOC_USER, OP_VMALLOC_EXEC, OP_VMALLOC_EXEC,
	/* 0x2e */ OP_VMALLOC_EXEC, OP_VMALLOC_EXEC,
	/* 0x30 */ OP___VMALLOC, OP___VMALLOC, OP___VMALLOC, OP___VMALLOC,
	/* 0x34 */ OP___VMALLOC, OP___VMALLOC, OP_VMALLOC_NODE_RANGE,
	/* 0x37 */ OP_VMALLOC_NODE_RANGE,
	/* 0x38 */ OP_VMALLOC_NODE_RANGE, OP_VMALLOC_NODE_RANGE,
	/* 0x3a */ OP_VMALLOC_NODE_RANGE, OP_VMALLOC_NODE_RANGE,
	/* 0x3c */ OP_VMALLOC_NODE_RANGE, OP_VMALLOC_NODE_RANGE,
	/* 0x3e */ OP_GET_VM_AREA, OP_GET_VM_AREA,
	/* 0x40 */ OP_GET_VM_AREA, OP_GET_VM_AREA, OP_GET_VM_AREA,
	/* 0x43 */ OP_GET_VM_AREA_NODE, OP_GET_VM_AREA_NODE,
	/* 0x45 */ OP_GET_VM_AREA_NODE, OP_GET_VM_AREA_NODE,
	/* 0x47 */ OP_GET_VM_AREA_NODE,
	/* 0x48 */ OP_VMAP, OP_VMAP, OP_VMAP, OP_VMAP, OP_VMAP, OP_VMAP,
	/* 0x4e */ OP_VFREE, OP_VFREE,
	/* 0x50 */ OP_VFREE, OP_VFREE, OP_VFREE, OP_VFREE, OP_VFREE, OP_VFREE,
	/* 0x56 */ OP_VFREE, OP_VFREE,
	/* 0x58 */ OP_VFREE, OP_VFREE, OP_VFREE, OP_VFREE, OP_VFREE_ATOMIC,
	/* 0x5d */ OP_VFREE_ATOMIC, OP_VFREE_ATOMIC, OP_VFREE_ATOMIC,
	/* 0x60 */ OP_VFREE_ATOMIC, OP_VFREE_IRQ, OP_VFREE_IRQ, OP_VFREE_IRQ,
	/* 0x64 */ OP_VFREE_IRQ, OP_VFREE_IRQ, OP_VUNMAP, OP_VUNMAP,
	/* 0x68 */ OP_VUNMAP, OP_VUNMAP, OP_VUNMAP, OP_VUNMAP,
	/* 0x6c */ OP_REMOVE_VM_AREA, OP_REMOVE_VM_AREA, OP_REMOVE_VM_AREA,
	/* 0x6f */ OP_REMOVE_VM_AREA,
	/* 0x70 */ OP_FREE_VM_AREA, OP_FREE_VM_AREA, OP_FREE_VM_AREA,
	/* 0x73 */ OP_FREE_VM_AREA, OP_RUN_DEFERRED, OP_RUN_DEFERRED,
	/* 0x76 */ OP_RUN_DEFERRED, OP_RUN_DEFERRED,
	/* 0x78 */ OP_RUN_DEFERRED, OP_SET_CPU, OP_SET_CPU, OP_SET_CPU,
	/* 0x7c */ OP_SET_CPU, OP_PURGE, OP_PURGE, OP_PURGE,
	/* 0x80 */ OP_PURGE, OP_PURGE, OP_UNMAP_ALIASES, OP_UNMAP_ALIASES,
	/* 0x84 */ OP_UNMAP_ALIASES, OP_UNMAP_ALIASES, OP_WRITE, OP_WRITE,
	/* 0x88 */ OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE, OP_WRITE,
	/* 0x8e */ OP_READ, OP_READ,
	/* 0x90 */ OP_READ, OP_READ, OP_READ, OP_READ, OP_READ, OP_ACCESS,
	/* 0x96 */ OP_ACCESS, OP_ACCESS,
	/* 0x98 */ OP_ACCESS, OP_ACCESS, OP_ACCESS, OP_ACCESS, OP_READ_FREED,
	/* 0x9d */ OP_READ_FREED, OP_READ_FREED, OP_READ_FREED,
	/* 0xa0 */ OP_READ_FREED, OP_VMALLOC_TO_PAGE, OP_VMALLOC_TO_PAGE,
	/* 0xa3 */ OP_VMALLOC_TO_PAGE, OP_VMALLOC_TO_PAGE, OP_VREAD, OP_VREAD,
	/* 0xa7 */ OP_VREAD,
	/* 0xa8 */ OP_VREAD, OP_VREAD, OP_FAULT, OP_FAULT, OP_FAULT, OP_FAULT,
	/* 0xae */ OP_FAULT, OP_FAULT,
	/* 0xb0 */ OP_FRAGMENT, OP_FRAGMENT, OP_FRAGMENT, OP_FRAGMENT, OP_BAD,
	/* 0xb5 */ OP_BAD, OP_BAD, OP_BAD,
	/* 0xb8 */ OP_BAD, OP_BAD, OP_BAD, OP_BAD, OP_CHECK, OP_CHECK,
	/* 0xbe */ OP_CHECK, OP_CHECK,
	/* 0xc0 */ OP_NOP, OP_VM_MAP_RAM, OP_VM_UNMAP_RAM, OP_NOP, OP_IOREMAP,
	/* 0xc5 */ OP_IOREMAP, OP_IOUNMAP, OP_NOP,
	/* 0xc8 */ OP_NOP, OP_VMALLOC_HUGE, OP_VMALLOC_HUGE, OP_NOP, OP_NOP,
	/* 0xcd */ OP_NOP, OP_NOP, OP_NOP,
	/* 0xd0 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
	/* 0xd8 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
	/* 0xe0 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
	/* 0xe8 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
	/* 0xf0 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
	/* 0xf8 */ OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP, OP_NOP,
};

/* ---- ops: operand kinds in byte order ----
 * len and canon repeat what the kinds and the opcode map say (the decoder
 * needs len in one load); test_codec checks both. */
const struct vmf_op_desc vmf_ops[OP_NR] = {
	[OP_NOP] = {"nop", 0, 0, 0x00, {0}},
	[OP_EARLY_ADD] = {"early_add", 3, 4, 0x01, {K_ADDR, K_SIZE, K_FLAGS}},
	[OP_EARLY_REGISTER] = {"early_register", 2, 3, 0x04,
			       {K_SIZE, K_ALIGN}},
	[OP_VMALLOC] = {"vmalloc", 1, 2, 0x07, {K_SIZE}},
	[OP_VZALLOC] = {"vzalloc", 1, 2, 0x15, {K_SIZE}},
	[OP_VMALLOC_NODE] = {"vmalloc_node", 2, 3, 0x1b, {K_SIZE, K_NODE}},
	[OP_VZALLOC_NODE] = {"vzalloc_node", 2, 3, 0x20, {K_SIZE, K_NODE}},
	[OP_VMALLOC_32] = {"vmalloc_32", 1, 2, 0x24, {K_SIZE}},
	[OP_VMALLOC_USER] = {"vmalloc_user", 1, 2, 0x28, {K_SIZE}},
	[OP_VMALLOC_EXEC] = {"vmalloc_exec", 1, 2, 0x2c, {K_SIZE}},
	[OP___VMALLOC] = {"__vmalloc", 3, 4, 0x30, {K_SIZE, K_GFP, K_PROT}},
	[OP_VMALLOC_NODE_RANGE] = {"vmalloc_node_range", 8, 9, 0x36,
				   {K_SIZE, K_ALIGN, K_START, K_END, K_GFP,
				    K_PROT, K_FLAGS, K_NODE}},
	[OP_GET_VM_AREA] = {"get_vm_area", 2, 3, 0x3e, {K_SIZE, K_FLAGS}},
	[OP_GET_VM_AREA_NODE] = {"get_vm_area_node", 7, 8, 0x43,
				 {K_SIZE, K_ALIGN, K_FLAGS, K_START, K_END,
				  K_NODE, K_GFP}},
	[OP_VMAP] = {"vmap", 3, 3, 0x48, {K_COUNT, K_FLAGS, K_PROT}},
	[OP_VFREE] = {"vfree", 1, 1, 0x4e, {K_H}},
	[OP_VFREE_ATOMIC] = {"vfree_atomic", 1, 1, 0x5c, {K_H}},
	[OP_VFREE_IRQ] = {"vfree_irq", 1, 1, 0x61, {K_H}},
	[OP_VUNMAP] = {"vunmap", 1, 1, 0x66, {K_H}},
	[OP_REMOVE_VM_AREA] = {"remove_vm_area", 1, 1, 0x6c, {K_H}},
	[OP_FREE_VM_AREA] = {"free_vm_area", 1, 1, 0x70, {K_H}},
	[OP_RUN_DEFERRED] = {"run_deferred", 1, 1, 0x74, {K_CPU}},
	[OP_SET_CPU] = {"set_cpu", 1, 1, 0x79, {K_CPU}},
	[OP_PURGE] = {"purge", 0, 0, 0x7d, {0}},
	[OP_UNMAP_ALIASES] = {"unmap_aliases", 0, 0, 0x82, {0}},
	[OP_WRITE] = {"write", 4, 6, 0x86, {K_H, K_OFF, K_LEN, K_PAT}},
	[OP_READ] = {"read", 3, 5, 0x8e, {K_H, K_OFF, K_LEN}},
	[OP_ACCESS] = {"access", 4, 5, 0x95, {K_H, K_OFF, K_ACC, K_EL}},
	[OP_READ_FREED] = {"read_freed", 3, 5, 0x9c, {K_H, K_OFF, K_LEN}},
	[OP_VMALLOC_TO_PAGE] = {"vmalloc_to_page", 2, 3, 0xa1, {K_H, K_OFF}},
	[OP_VREAD] = {"vread", 3, 5, 0xa5, {K_H, K_OFF, K_LEN}},
	[OP_FAULT] = {"fault", 3, 3, 0xaa, {K_SITE, K_MODE, K_N}},
	[OP_FRAGMENT] = {"fragment", 1, 1, 0xb0, {K_COUNT}},
	[OP_BAD] = {"bad", 3, 4, 0xb4, {K_BAD, K_H, K_OFF}},
	[OP_CHECK] = {"check", 0, 0, 0xbc, {0}},
	[OP_VM_MAP_RAM] = {"vm_map_ram", 3, 3, 0xc1,
			   {K_RAMCOUNT, K_NODE, K_PROT}},
	[OP_VM_UNMAP_RAM] = {"vm_unmap_ram", 2, 2, 0xc2, {K_H, K_DCOUNT}},
	[OP_IOREMAP] = {"ioremap", 3, 4, 0xc4, {K_PHYS, K_SIZE, K_PROT}},
	[OP_IOUNMAP] = {"iounmap", 1, 1, 0xc6, {K_H}},
	[OP_VMALLOC_HUGE] = {"vmalloc_huge", 2, 3, 0xc9, {K_SIZE, K_NODE}},
};

const struct vmf_kind_desc vmf_kinds[K_NR] = {
	[K_H] = {"h", 1, CL_UINT, 0},
	[K_SIZE] = {"size", 2, CL_EXPR, 0},
	[K_ALIGN] = {"align", 1, CL_EXPR, 0},
	[K_START] = {"start", 1, CL_EXPR, 0},
	[K_END] = {"end", 1, CL_EXPR, 0},
	[K_ADDR] = {"addr", 1, CL_EXPR, 0},
	[K_NODE] = {"node", 1, CL_NAME, 8},
	[K_GFP] = {"gfp", 1, CL_BITS, 6},
	[K_PROT] = {"prot", 1, CL_NAME, 8},
	[K_FLAGS] = {"flags", 1, CL_BITS, 8},
	[K_OFF] = {"off", 2, CL_EXPR, 0},
	[K_LEN] = {"len", 2, CL_UINT, 0},
	[K_PAT] = {"pat", 1, CL_HEX, 0},
	[K_CPU] = {"cpu", 1, CL_UINT, 0},
	[K_SITE] = {"site", 1, CL_NAME, FAULT_SITE_NR},
	[K_MODE] = {"mode", 1, CL_NAME, 3},
	[K_N] = {"n", 1, CL_UINT, 0},
	[K_ACC] = {"acc", 1, CL_NAME, 3},
	[K_EL] = {"el", 1, CL_NAME, 2},
	[K_BAD] = {"kind", 1, CL_NAME, BAD_NR},
	[K_COUNT] = {"count", 1, CL_UINT, 0},
	[K_RAMCOUNT] = {"count", 1, CL_UINT, 0},
	[K_DCOUNT] = {"dcount", 1, CL_UINT, 0},
	[K_PHYS] = {"phys", 1, CL_EXPR, 0},
};

const char vmf_base_names[BASE_NR][12] = {
	[BASE_NONE] = "",
	[BASE_WIN] = "win",
	[BASE_WIN_END] = "win_end",
	[BASE_WINDOW] = "window",
	[BASE_TOTALRAM] = "totalram",
	[BASE_RAM] = "ram",
	[BASE_RAM_END] = "ram_end",
	[BASE_DEV] = "dev",
	[BASE_PA_END] = "pa_end",
};

/* ---- names and values of the CL_NAME / CL_BITS kinds ----
 * One flat pool of char arrays (no pointer tables: those would need
 * relocations and land in writable .data.rel.ro). A kind's names start at
 * name_base[kind]; CL_BITS kinds end with the empty set's name. */
enum {
	NB_NODE = 0,
	NB_PROT = NB_NODE + 8,
	NB_GFP = NB_PROT + 8,
	NB_FLAGS = NB_GFP + 7,
	NB_SITE = NB_FLAGS + 9,
	NB_MODE = NB_SITE + FAULT_SITE_NR,
	NB_ACC = NB_MODE + 3,
	NB_EL = NB_ACC + 3,
	NB_BAD = NB_EL + 2,
	NB_NR = NB_BAD + BAD_NR,
};

static const char names[NB_NR][VMF_NAME_LEN] = {
	/* node: NUMA_NO_NODE, the nodes a machine may have (0..3), then
	 * ones no machine has */
	"-1", "0", "1", "2", "3", "4", "-2", "1024",
	/* prot */
	"kernel", "ro", "rox", "exec", "kernel_ng", "ro_ng", "rox_ng",
	"exec_ng",
	/* gfp: bit i of the byte */
	"zero", "nowarn", "thisnode", "highmem", "dma32", "invalid", "kernel",
	/* vm_flags: bit i of the byte */
	"ioremap", "alloc", "map", "usermap", "vpages", "uninitialized",
	"no_guard", "invalid", "0",
	/* enum vmf_fault_site, vmf_fault_mode, mmu_access order */
	"page_alloc", "kmalloc", "pgtable",
	"off", "nth", "always",
	"r", "w", "x",
	/* el: byte 0 is the kernel's own access */
	"1", "0",
	/* enum vmf_bad order */
	"vfree_unaligned", "vfree_nonexistent", "vfree_double",
	"vfree_interior", "vunmap_vmalloc", "vfree_vmap", "early_after_init",
	"size_zero", "size_above_totalram", "size_wraps", "align_not_pow2",
	"range_inverted", "range_outside", "vunmap_unaligned",
	"vunmap_nonexistent",
};

static const uint8_t name_base[K_NR] = {
	[K_NODE] = NB_NODE, [K_PROT] = NB_PROT, [K_GFP] = NB_GFP,
	[K_FLAGS] = NB_FLAGS, [K_SITE] = NB_SITE, [K_MODE] = NB_MODE,
	[K_ACC] = NB_ACC, [K_EL] = NB_EL, [K_BAD] = NB_BAD,
};

static const int node_values[8] = {NUMA_NO_NODE, 0, 1, 2, 3, 4, -2, 1024};
static const uint64_t prot_values[8] = {
	PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_KERNEL_ROX, PAGE_KERNEL_EXEC,
	PAGE_KERNEL_NG, PAGE_KERNEL_RO_NG, PAGE_KERNEL_ROX | PTE_NG,
	PAGE_KERNEL_EXEC_NG,
};
static const gfp_t gfp_values[6] = {__GFP_ZERO, __GFP_NOWARN, __GFP_THISNODE,
				    __GFP_HIGHMEM, __GFP_DMA32,
				    VMF_GFP_INVALID};
static const unsigned long flag_values[8] = {
	VM_IOREMAP, VM_ALLOC, VM_MAP, VM_USERMAP, VM_VPAGES, VM_UNINITIALIZED,
	VM_NO_GUARD, VMF_VM_FLAGS_INVALID,
};

const char *vmf_kind_name(unsigned kind, unsigned i)
{
	unsigned nr;

	if (kind >= K_NR)
		return "?";
	nr = vmf_kinds[kind].nr_names + (vmf_kinds[kind].cls == CL_BITS);
	if (vmf_kinds[kind].cls != CL_NAME && vmf_kinds[kind].cls != CL_BITS)
		return "?";
	return i < nr ? names[name_base[kind] + i] : "?";
}

/* ---- sizes: byte 0 picks a form (low 4 bits), byte 1 is its value v ---- */
enum size_form {
	SF_PAGES,     /* v pages */
	SF_BIGPAGES,  /* 16 * v pages */
	SF_BYTES,     /* v + 1 bytes: never a page multiple */
	SF_PAGE_LESS, /* (v + 1) pages - 1 */
	SF_PAGE_MORE, /* (v + 1) pages + 1 */
	SF_WINDOW,    /* the window size + (int8)v pages */
	SF_TOTALRAM,  /* totalram + (int8)v pages */
	SF_NEG,       /* 2^64 - (v + 1): PAGE_ALIGN wraps to 0 */
	SF_NEG_PAGES, /* 2^64 - (v + 1) pages: huge, PAGE_ALIGN fine */
	SF_SHIFT,     /* 1 << (20 + v % 44): 1 MiB .. 2^63 */
	SF_NR,
};

/* Page counts and small sizes get more of the form byte. */
static const uint8_t size_form_of[16] = {
	SF_PAGES, SF_PAGES, SF_BYTES, SF_PAGE_LESS,
	SF_PAGE_MORE, SF_WINDOW, SF_TOTALRAM, SF_PAGES,
	SF_BIGPAGES, SF_NEG, SF_NEG_PAGES, SF_SHIFT,
	SF_PAGES, SF_BYTES, SF_WINDOW, SF_TOTALRAM,
};
/* The first form byte of each form: the canonical one. */
static const uint8_t size_form_byte[SF_NR] = {
	[SF_PAGES] = 0, [SF_BIGPAGES] = 8, [SF_BYTES] = 2,
	[SF_PAGE_LESS] = 3, [SF_PAGE_MORE] = 4, [SF_WINDOW] = 5,
	[SF_TOTALRAM] = 6, [SF_NEG] = 9, [SF_NEG_PAGES] = 10,
	[SF_SHIFT] = 11,
};

#define SHIFT_MIN 20
#define SHIFT_NR 44 /* 20 .. 63 */

static uint64_t sext8(uint8_t v)
{
	return (uint64_t)(int64_t)((int)v - ((v & 0x80) << 1));
}

/* v as a signed 8-bit value if it is one. */
static bool fits_s8(uint64_t v, uint8_t *out)
{
	int64_t s = (int64_t)v;

	if (s < -128 || s > 127)
		return false;
	*out = (uint8_t)(v & 0xff);
	return true;
}

static int log2_exact(uint64_t v)
{
	int n = 0;

	if (v == 0 || (v & (v - 1)))
		return -1;
	while (v >>= 1)
		n++;
	return n;
}

static inline void sym_set(struct vmf_sym *s, unsigned base, uint64_t pages,
		    uint64_t bytes)
{
	s->base = base;
	s->pages = pages;
	s->bytes = bytes;
}

static void size_decode(const uint8_t *b, struct vmf_sym *s)
{
	uint64_t v = b[1];

	switch (size_form_of[b[0] & 15]) {
	case SF_PAGES: sym_set(s, BASE_NONE, v, 0); break;
	case SF_BIGPAGES: sym_set(s, BASE_NONE, 16 * v, 0); break;
	case SF_BYTES: sym_set(s, BASE_NONE, 0, v + 1); break;
	case SF_PAGE_LESS: sym_set(s, BASE_NONE, v + 1, (uint64_t)-1); break;
	case SF_PAGE_MORE: sym_set(s, BASE_NONE, v + 1, 1); break;
	case SF_WINDOW: sym_set(s, BASE_WINDOW, sext8(b[1]), 0); break;
	case SF_TOTALRAM: sym_set(s, BASE_TOTALRAM, sext8(b[1]), 0); break;
	case SF_NEG: sym_set(s, BASE_NONE, 0, 0 - (v + 1)); break;
	case SF_NEG_PAGES: sym_set(s, BASE_NONE, 0 - (v + 1), 0); break;
	default: /* SF_SHIFT */
		sym_set(s, BASE_NONE, 0, 1ull << (SHIFT_MIN + v % SHIFT_NR));
		break;
	}
}

static int size_put(uint8_t *b, unsigned form, uint64_t v)
{
	b[0] = size_form_byte[form];
	b[1] = (uint8_t)v;
	return 0;
}

static int size_encode(const struct vmf_sym *s, uint8_t *b)
{
	uint8_t v8;
	int lg;

	if (s->base == BASE_WINDOW || s->base == BASE_TOTALRAM) {
		if (s->bytes || !fits_s8(s->pages, &v8))
			return -1;
		return size_put(b, s->base == BASE_WINDOW ? SF_WINDOW
							  : SF_TOTALRAM, v8);
	}
	if (s->base != BASE_NONE)
		return -1;
	if (s->bytes == 0) {
		if (s->pages <= 255)
			return size_put(b, SF_PAGES, s->pages);
		if (s->pages % 16 == 0 && s->pages / 16 <= 255)
			return size_put(b, SF_BIGPAGES, s->pages / 16);
		if (0 - s->pages <= 256)
			return size_put(b, SF_NEG_PAGES, 0 - s->pages - 1);
		return -1;
	}
	if (s->pages == 0) {
		if (s->bytes <= 256)
			return size_put(b, SF_BYTES, s->bytes - 1);
		if (0 - s->bytes <= 256)
			return size_put(b, SF_NEG, 0 - s->bytes - 1);
		lg = log2_exact(s->bytes);
		if (lg >= SHIFT_MIN)
			return size_put(b, SF_SHIFT, (uint64_t)(lg - SHIFT_MIN));
		return -1;
	}
	if (s->pages <= 256 && s->bytes == 1)
		return size_put(b, SF_PAGE_MORE, s->pages - 1);
	if (s->pages <= 256 && s->bytes == (uint64_t)-1)
		return size_put(b, SF_PAGE_LESS, s->pages - 1);
	return -1;
}

/* ---- aligns: 0x00-0x3f 1 << a bytes, 0x40-0xbf (1 << (a & 31)) pages,
 * 0xc0-0xff one of 16 values that are not powers of two ---- */
struct pb {
	uint64_t pages, bytes;
};

static const struct pb align_odd[16] = {
	{0, 0}, {0, 3}, {0, 6}, {0, 7}, {0, 0x18}, {0, 0x1001}, {0, 0x1800},
	{0, 0xffff}, {0, 0x8000000000000001ull}, {0, (uint64_t)-1},
	{1, 1}, {1, (uint64_t)-1}, {3, 0}, {5, 0}, {6, 0}, {12, 0},
};

static void align_decode(uint8_t a, struct vmf_sym *s)
{
	if (a < 0x40)
		sym_set(s, BASE_NONE, 0, 1ull << a);
	else if (a < 0xc0)
		sym_set(s, BASE_NONE, 1ull << (a & 31), 0);
	else
		sym_set(s, BASE_NONE, align_odd[a & 15].pages,
			align_odd[a & 15].bytes);
}

static int align_encode(const struct vmf_sym *s, uint8_t *b)
{
	int lg;

	if (s->base != BASE_NONE)
		return -1;
	if (s->pages == 0 && (lg = log2_exact(s->bytes)) >= 0) {
		*b = (uint8_t)lg;
		return 0;
	}
	if (s->bytes == 0 && (lg = log2_exact(s->pages)) >= 0 && lg < 32) {
		*b = (uint8_t)(0x40 + lg);
		return 0;
	}
	for (unsigned i = 0; i < 16; i++) {
		if (align_odd[i].pages == s->pages &&
		    align_odd[i].bytes == s->bytes) {
			*b = (uint8_t)(0xc0 + i);
			return 0;
		}
	}
	return -1;
}

/* ---- addresses: 0x00-0x3f win + s pages, 0x40-0x7f win_end - (s - 0x40)
 * pages, 0x80-0x9f below the window, 0xa0-0xbf above it, 0xc0-0xff one of
 * 8 odd addresses ---- */
static const struct {
	unsigned base;
	uint64_t pages, bytes;
} addr_odd[8] = {
	{BASE_NONE, 0, 0},
	{BASE_WIN, 0, 1},                   /* unaligned */
	{BASE_WIN_END, 0, (uint64_t)-1},
	{BASE_NONE, (uint64_t)-1, 0},       /* the top page of the VA space */
	{BASE_NONE, 0, (uint64_t)-1},
	{BASE_WIN, 0, (uint64_t)-1},
	{BASE_WIN_END, 0, 1},
	{BASE_NONE, 0, 0x8000000000000000ull},
};

static void addr_decode(uint8_t a, struct vmf_sym *s)
{
	if (a < 0x40)
		sym_set(s, BASE_WIN, a, 0);
	else if (a < 0x80)
		sym_set(s, BASE_WIN_END, 0 - (uint64_t)(a - 0x40), 0);
	else if (a < 0xa0)
		sym_set(s, BASE_WIN, 0 - (uint64_t)((a & 31) + 1), 0);
	else if (a < 0xc0)
		sym_set(s, BASE_WIN_END, (uint64_t)(a & 31) + 1, 0);
	else
		sym_set(s, addr_odd[a & 7].base, addr_odd[a & 7].pages,
			addr_odd[a & 7].bytes);
}

static int addr_encode(const struct vmf_sym *s, uint8_t *b)
{
	if (s->bytes == 0 && s->base == BASE_WIN) {
		if (s->pages < 0x40) {
			*b = (uint8_t)s->pages;
			return 0;
		}
		if (0 - s->pages <= 32) {
			*b = (uint8_t)(0x80 + (0 - s->pages) - 1);
			return 0;
		}
	}
	if (s->bytes == 0 && s->base == BASE_WIN_END) {
		if (0 - s->pages < 0x40) {
			*b = (uint8_t)(0x40 + (0 - s->pages));
			return 0;
		}
		if (s->pages >= 1 && s->pages <= 32) {
			*b = (uint8_t)(0xa0 + s->pages - 1);
			return 0;
		}
	}
	for (unsigned i = 0; i < 8; i++) {
		if (addr_odd[i].base == s->base &&
		    addr_odd[i].pages == s->pages &&
		    addr_odd[i].bytes == s->bytes) {
			*b = (uint8_t)(0xc0 + i);
			return 0;
		}
	}
	return -1;
}

/* ---- physical addresses (ioremap): 0x00-0x3f ram + b pages; 0x40-0x5f
 * dev + (b & 31) * 512 MiB (aligned to every PMD and, for even b, PUD
 * size); 0x60-0x7f dev + ((b >> 2) & 7) * 512 MiB + (1 + (b & 3)) pages
 * (page aligned, block misaligned); 0x80-0x9f dev + ((b >> 3) & 3) *
 * 512 MiB + 0x10 * (1 + (b & 7)) (inside a page); 0xa0-0xbf ram +
 * (b & 31) pages + 8; 0xc0-0xff one of 8 odd addresses ---- */
#define PHYS_STEP (1ull << 29)
static const struct {
	unsigned base;
	uint64_t pages, bytes;
} phys_odd[8] = {
	{BASE_PA_END, (uint64_t)-1, 0}, /* the last page of the PA size */
	{BASE_PA_END, 0, 0},            /* above it */
	{BASE_NONE, 0, 0},              /* 0: below RAM, not RAM */
	{BASE_RAM, (uint64_t)-1, 0},    /* the page below RAM */
	{BASE_NONE, (uint64_t)-1, 0},   /* the top page: any size wraps */
	{BASE_RAM_END, 0, 0},           /* just past RAM */
	{BASE_RAM_END, (uint64_t)-1, 0}, /* the last RAM page */
	{BASE_DEV, 0, (uint64_t)-1},    /* unaligned, just below dev */
};

static void phys_decode(uint8_t b, struct vmf_sym *s)
{
	if (b < 0x40)
		sym_set(s, BASE_RAM, b, 0);
	else if (b < 0x60)
		sym_set(s, BASE_DEV, 0, (uint64_t)(b & 31) * PHYS_STEP);
	else if (b < 0x80)
		sym_set(s, BASE_DEV, 1 + (b & 3u),
			(uint64_t)((b >> 2) & 7) * PHYS_STEP);
	else if (b < 0xa0)
		sym_set(s, BASE_DEV, 0,
			(uint64_t)((b >> 3) & 3) * PHYS_STEP +
				0x10u * (1 + (b & 7u)));
	else if (b < 0xc0)
		sym_set(s, BASE_RAM, b & 31u, 8);
	else
		sym_set(s, phys_odd[b & 7].base, phys_odd[b & 7].pages,
			phys_odd[b & 7].bytes);
}

static int phys_encode(const struct vmf_sym *s, uint8_t *b)
{
	/* The first byte with this meaning (256 candidates, no closed
	 * form worth its bugs). */
	for (unsigned i = 0; i < 256; i++) {
		struct vmf_sym t;

		phys_decode((uint8_t)i, &t);
		if (vmf_sym_equal(&t, s)) {
			*b = (uint8_t)i;
			return 0;
		}
	}
	return -1;
}

/* ---- every kind ---- */
void vmf_sym_decode(unsigned kind, const uint8_t *b, struct vmf_sym *s)
{
	sym_set(s, BASE_NONE, 0, 0);
	switch (kind) {
	case K_SIZE: size_decode(b, s); break;
	case K_ALIGN: align_decode(b[0], s); break;
	case K_START:
	case K_ADDR: addr_decode(b[0], s); break;
	case K_END: addr_decode(b[0] ^ 0x40, s); break;
	case K_PHYS: phys_decode(b[0], s); break;
	case K_OFF: sym_set(s, BASE_NONE, b[0], sext8(b[1])); break;
	case K_LEN: s->bytes = 1 + ((b[0] | (unsigned)b[1] << 8) & 0xfff);
		break;
	case K_COUNT: s->bytes = 1 + (b[0] & 63u); break;
	case K_RAMCOUNT: s->bytes = 1 + (b[0] & 127u); break;
	case K_NODE:
	case K_PROT: s->bytes = b[0] & 7u; break;
	case K_GFP: s->bytes = b[0] & 0x3fu; break;
	case K_SITE: s->bytes = b[0] % FAULT_SITE_NR; break;
	case K_MODE:
	case K_ACC: s->bytes = b[0] % 3u; break;
	case K_EL: s->bytes = b[0] & 1u; break;
	case K_BAD: s->bytes = b[0] % BAD_NR; break;
	default: /* K_H, K_FLAGS, K_PAT, K_CPU, K_N: every byte distinct */
		s->bytes = b[0];
		break;
	}
}

static int put_byte(uint8_t *b, uint64_t v, uint64_t nr)
{
	if (v >= nr)
		return -1;
	b[0] = (uint8_t)v;
	return 0;
}

int vmf_sym_encode(unsigned kind, const struct vmf_sym *s, uint8_t *b)
{
	int ret;

	switch (kind) {
	case K_SIZE: return size_encode(s, b);
	case K_ALIGN: return align_encode(s, b);
	case K_START:
	case K_ADDR: return addr_encode(s, b);
	case K_END:
		ret = addr_encode(s, b);
		if (ret == 0)
			b[0] ^= 0x40;
		return ret;
	case K_PHYS: return phys_encode(s, b);
	case K_OFF:
		if (s->base != BASE_NONE || s->pages > 255 ||
		    !fits_s8(s->bytes, &b[1]))
			return -1;
		b[0] = (uint8_t)s->pages;
		return 0;
	default:
		break;
	}
	if (s->base != BASE_NONE || s->pages)
		return -1;
	switch (kind) {
	case K_LEN:
		if (s->bytes < 1 || s->bytes > VMF_MAX_ACCESS)
			return -1;
		b[0] = (uint8_t)((s->bytes - 1) & 0xff);
		b[1] = (uint8_t)((s->bytes - 1) >> 8);
		return 0;
	case K_COUNT:
		if (s->bytes < 1)
			return -1;
		return put_byte(b, s->bytes - 1, VMF_MAX_VMAP_PAGES);
	case K_RAMCOUNT:
		if (s->bytes < 1)
			return -1;
		return put_byte(b, s->bytes - 1, VMF_MAX_VM_MAP_RAM_PAGES);
	case K_NODE:
	case K_PROT: return put_byte(b, s->bytes, 8);
	case K_GFP: return put_byte(b, s->bytes, 0x40);
	case K_SITE: return put_byte(b, s->bytes, FAULT_SITE_NR);
	case K_MODE:
	case K_ACC: return put_byte(b, s->bytes, 3);
	case K_EL: return put_byte(b, s->bytes, 2);
	case K_BAD: return put_byte(b, s->bytes, BAD_NR);
	default: return put_byte(b, s->bytes, 256);
	}
}

bool vmf_sym_equal(const struct vmf_sym *a, const struct vmf_sym *b)
{
	return a->base == b->base && a->pages == b->pages &&
	       a->bytes == b->bytes;
}

uint64_t vmf_sym_eval(const struct vmf_sym *s, const struct vmf_config *cfg)
{
	uint64_t base = 0;

	switch (s->base) {
	case BASE_WIN: base = cfg->vmalloc_start; break;
	case BASE_WIN_END: base = cfg->vmalloc_end; break;
	case BASE_WINDOW: base = cfg->vmalloc_end - cfg->vmalloc_start; break;
	case BASE_TOTALRAM: /* totalram pages << PAGE_SHIFT */
		base = (cfg->phys_size >> cfg->page_shift) << cfg->page_shift;
		break;
	case BASE_RAM: base = cfg->phys_base; break;
	case BASE_RAM_END: base = cfg->phys_base + cfg->phys_size; break;
	case BASE_DEV: base = 1ull << 32; break;
	case BASE_PA_END: base = 1ull << cfg->pa_bits; break;
	default: break;
	}
	return base + (s->pages << cfg->page_shift) + s->bytes;
}

/* One operand into the args field it feeds. */
static inline void operand_resolve(unsigned kind, const uint8_t *b,
			 const struct vmf_config *cfg, struct vmf_args *a)
{
	struct vmf_sym s;

	switch (kind) {
	case K_H: a->handle = b[0]; return;
	case K_PAT: a->pattern = b[0]; return;
	case K_CPU: a->cpu = cfg->nr_cpus ? b[0] % cfg->nr_cpus : 0; return;
	case K_N: a->n = b[0]; return;
	case K_DCOUNT: a->dcount = b[0]; return;
	case K_NODE: a->node = node_values[b[0] & 7]; return;
	case K_PROT: a->prot = prot_values[b[0] & 7]; return;
	case K_GFP:
		a->gfp = 0;
		for (unsigned i = 0; i < 6; i++)
			if (b[0] & (1u << i))
				a->gfp |= gfp_values[i];
		return;
	case K_FLAGS:
		a->vm_flags = 0;
		for (unsigned i = 0; i < 8; i++)
			if (b[0] & (1u << i))
				a->vm_flags |= flag_values[i];
		return;
	case K_EL: a->el = (b[0] & 1) ? 0 : 1; return;
	default: break;
	}
	vmf_sym_decode(kind, b, &s);
	switch (kind) {
	case K_SIZE: a->size = vmf_sym_eval(&s, cfg); break;
	case K_ALIGN: a->align = vmf_sym_eval(&s, cfg); break;
	case K_START:
	case K_ADDR: a->start = vmf_sym_eval(&s, cfg); break;
	case K_END: a->end = vmf_sym_eval(&s, cfg); break;
	case K_PHYS: a->phys = vmf_sym_eval(&s, cfg); break;
	case K_OFF: a->offset = vmf_sym_eval(&s, cfg); break;
	case K_LEN: a->len = s.bytes; break;
	case K_COUNT:
	case K_RAMCOUNT: a->count = (unsigned)s.bytes; break;
	case K_SITE: a->site = (unsigned)s.bytes; break;
	case K_MODE: a->mode = (unsigned)s.bytes; break;
	case K_ACC: a->access = (unsigned)s.bytes; break;
	case K_BAD: a->bad = (unsigned)s.bytes; break;
	default: break;
	}
}

void vmf_cmd_resolve(const struct vmf_cmd *cmd, const struct vmf_config *cfg,
		     struct vmf_args *a)
{
	const struct vmf_op_desc *d;
	const uint8_t *p = cmd->operand;

	/* Fields the op has no operand for: the all-zero operand's value.
	 * Stores, not memset: this runs once per command. */
	a->size = 0;
	a->align = 1;
	a->start = cfg->vmalloc_start;
	a->end = cfg->vmalloc_end;
	a->gfp = 0;
	a->prot = PAGE_KERNEL;
	a->vm_flags = 0;
	a->node = NUMA_NO_NODE;
	a->handle = 0;
	a->offset = 0;
	a->len = 1;
	a->pattern = 0;
	a->cpu = 0;
	a->site = a->mode = 0;
	a->n = 0;
	a->access = 0;
	a->el = 1;
	a->bad = 0;
	a->count = 1;
	a->dcount = 0;
	a->phys = cfg->phys_base;
	if ((unsigned)cmd->op >= OP_NR)
		return;
	d = &vmf_ops[cmd->op];
	for (unsigned i = 0; i < d->nr; i++) {
		operand_resolve(d->kind[i], p, cfg, a);
		p += vmf_kinds[d->kind[i]].width;
	}
}

/* ---- header: byte i is field i, value index = byte % nr ---- */
const char vmf_hfield_keys[HF_NR][8] = {
	[HF_LAYOUT] = "layout", [HF_WINDOW] = "window", [HF_RAM] = "ram",
	[HF_NODES] = "nodes", [HF_CPUS] = "cpus", [HF_LAZY] = "lazy",
	[HF_TLB] = "tlb", [HF_POLICY] = "policy",
};

/* a, b: layout: page_shift, va_bits; window, ram: pages, MiB (0, 0 = the
 * Linux window); lazy: pages (0 = the kernel formula); others: a.
 * One 2D array, no pointers (see the name pool above). */
struct hval {
	uint32_t a, b;
	char text[20];
};

static const uint8_t hfield_nr[HF_NR] = {
	[HF_LAYOUT] = 7, [HF_WINDOW] = 32, [HF_RAM] = 16, [HF_NODES] = 4,
	[HF_CPUS] = 8, [HF_LAZY] = 16, [HF_TLB] = 16, [HF_POLICY] = VMF_POLICY_NR + 1,
};

static const struct hval hvals[HF_NR][32] = {
	/* Every Linux 4.19 arm64 granule/VA combination; 0 = 4K/48. */
	[HF_LAYOUT] = {
		{12, 48, "granule=4k va=48"}, {12, 39, "granule=4k va=39"},
		{14, 48, "granule=16k va=48"}, {14, 47, "granule=16k va=47"},
		{14, 36, "granule=16k va=36"}, {16, 48, "granule=64k va=48"},
		{16, 42, "granule=64k va=42"},
	},
	/* Small windows reach exhaustion, overflow and purge in a few
	 * commands. */
	[HF_WINDOW] = {
		{64, 0, "64p"}, {4, 0, "4p"}, {5, 0, "5p"}, {6, 0, "6p"},
		{7, 0, "7p"}, {8, 0, "8p"}, {9, 0, "9p"}, {10, 0, "10p"},
		{12, 0, "12p"}, {14, 0, "14p"}, {16, 0, "16p"},
		{20, 0, "20p"}, {24, 0, "24p"}, {28, 0, "28p"},
		{32, 0, "32p"}, {40, 0, "40p"}, {48, 0, "48p"},
		{56, 0, "56p"}, {80, 0, "80p"}, {96, 0, "96p"},
		{128, 0, "128p"}, {160, 0, "160p"}, {192, 0, "192p"},
		{256, 0, "256p"}, {512, 0, "512p"}, {1024, 0, "1024p"},
		{0, 1, "1m"}, {0, 4, "4m"}, {0, 16, "16m"}, {0, 128, "128m"},
		{0, 1024, "1g"}, {0, 0, "linux"},
	},
	/* 64 pages to 32 MiB; MiB sizes are >= 4 MiB so that they are >= 64
	 * pages of 64 KiB. Capped at 32 MiB: a run's cost grows with the
	 * pages it allocates, and an input that vmallocs most of 1 GiB ran
	 * 1000x slower than the median input without reaching new code.
	 * RAM starts at 1 GiB and ends below 2 GiB: __GFP_DMA32 never
	 * matters. */
	[HF_RAM] = {
		{256, 0, "256p"}, {64, 0, "64p"}, {72, 0, "72p"},
		{80, 0, "80p"}, {96, 0, "96p"}, {128, 0, "128p"},
		{160, 0, "160p"}, {192, 0, "192p"}, {384, 0, "384p"},
		{512, 0, "512p"}, {1024, 0, "1024p"}, {2048, 0, "2048p"},
		{4096, 0, "4096p"}, {0, 16, "16m"}, {0, 8, "8m"},
		{0, 32, "32m"},
	},
	[HF_NODES] = {{1, 0, "1"}, {2, 0, "2"}, {3, 0, "3"}, {4, 0, "4"}},
	[HF_CPUS] = {
		{4, 0, "4"}, {1, 0, "1"}, {2, 0, "2"}, {3, 0, "3"},
		{5, 0, "5"}, {6, 0, "6"}, {7, 0, "7"}, {8, 0, "8"},
	},
	[HF_LAZY] = {
		{8, 0, "8p"}, {1, 0, "1p"}, {2, 0, "2p"}, {3, 0, "3p"},
		{4, 0, "4p"}, {6, 0, "6p"}, {12, 0, "12p"}, {16, 0, "16p"},
		{24, 0, "24p"}, {32, 0, "32p"}, {48, 0, "48p"},
		{64, 0, "64p"}, {128, 0, "128p"}, {512, 0, "512p"},
		{4096, 0, "4096p"}, {0, 0, "kernel"},
	},
	[HF_TLB] = {
		{16, 0, "16"}, {1, 0, "1"}, {2, 0, "2"}, {3, 0, "3"},
		{4, 0, "4"}, {6, 0, "6"}, {8, 0, "8"}, {12, 0, "12"},
		{24, 0, "24"}, {32, 0, "32"}, {64, 0, "64"}, {128, 0, "128"},
		{256, 0, "256"}, {1024, 0, "1024"}, {2048, 0, "2048"},
		{4096, 0, "4096"},
	},
	/* Bytes 0x00-0x7f are legacy (every v1 input keeps its meaning);
	 * a byte with bit 7 set picks value 1 + (its bits 4..0) % 3 (see
	 * vmf_hfield_index; bits 6..5 are vbfix's). The names
	 * are the registry's (include/vmfuzz/placement.h; test_codec checks
	 * they agree), "all" the differential mode. */
	[HF_POLICY] = {{VMF_POLICY_LEGACY, 0, "legacy"},
		       {VMF_POLICY_MODERN, 0, "modern"},
		       {VMF_POLICY_NEXTFIT, 0, "nextfit"},
		       {VMF_POLICY_ALL, 0, "all"}},
};

unsigned vmf_hfield_nr(unsigned field)
{
	return field < HF_NR ? hfield_nr[field] : 1;
}

unsigned vmf_hfield_index(unsigned field, uint8_t b)
{
	if (field == HF_POLICY)
		/* Bits 6..5 are vbfix's (vmf_header_vbfix). */
		return b < 0x80 ? 0 : 1 + (b & 0x1fu) % (VMF_POLICY_NR);
	return b % vmf_hfield_nr(field);
}

uint8_t vmf_hfield_byte(unsigned field, unsigned i)
{
	if (field == HF_POLICY)
		return i ? (uint8_t)(0x80 + i - 1) : 0;
	return (uint8_t)i;
}

unsigned vmf_header_policy(const uint8_t h[VMF_HEADER_BYTES])
{
	return hvals[HF_POLICY][vmf_hfield_index(HF_POLICY, h[HF_POLICY])].a;
}

const char *vmf_hfield_value(unsigned field, unsigned i)
{
	return field < HF_NR && i < hfield_nr[field] ? hvals[field][i].text
						      : "?";
}

static uint64_t hval_bytes(const struct hval *v, unsigned page_shift)
{
	return ((uint64_t)v->a << page_shift) + ((uint64_t)v->b << 20);
}

void vmf_header_raw(const uint8_t h[VMF_HEADER_BYTES],
		    struct vmf_header_raw *raw)
{
	const struct hval *lay = &hvals[HF_LAYOUT][h[HF_LAYOUT] % 7];

	raw->page_shift = lay->a;
	raw->va_bits = lay->b;
	raw->window_bytes = hval_bytes(&hvals[HF_WINDOW][h[HF_WINDOW] & 31],
				       raw->page_shift);
	raw->phys_size = hval_bytes(&hvals[HF_RAM][h[HF_RAM] & 15],
				    raw->page_shift);
	raw->nr_nodes = hvals[HF_NODES][h[HF_NODES] & 3].a;
	raw->nr_cpus = hvals[HF_CPUS][h[HF_CPUS] & 7].a;
	raw->lazy_max_pages = hvals[HF_LAZY][h[HF_LAZY] & 15].a;
	raw->tlb_entries = hvals[HF_TLB][h[HF_TLB] & 15].a;
	/* The differential mode runs every policy: its base machine is the
	 * legacy one (harness/interp_diff.c sets each run's). */
	raw->policy = vmf_header_policy(h);
	if (raw->policy >= VMF_POLICY_NR)
		raw->policy = VMF_POLICY_LEGACY;
	raw->walk_cache_entries = VMF_WCACHE_DEFAULT;
	raw->huge_vmalloc = false;
}

/* ---- the header extension ---- */
static const struct hval wcache_vals[VMF_WCACHE_NR] = {
	{VMF_WCACHE_DEFAULT, 0, "16"}, {0, 0, "0"}, {1, 0, "1"}, {2, 0, "2"},
	{3, 0, "3"}, {4, 0, "4"}, {6, 0, "6"}, {8, 0, "8"}, {12, 0, "12"},
	{24, 0, "24"}, {32, 0, "32"}, {48, 0, "48"}, {64, 0, "64"},
	{96, 0, "96"}, {128, 0, "128"}, {256, 0, "256"},
};

unsigned vmf_wcache_value(unsigned i)
{
	return wcache_vals[i % VMF_WCACHE_NR].a;
}

const char *vmf_wcache_text(unsigned i)
{
	return wcache_vals[i % VMF_WCACHE_NR].text;
}

uint8_t vmf_header_ext_canon(uint8_t ext)
{
	return (uint8_t)(ext & (VMF_WCACHE_NR - 1 + VMF_EXT_HUGE));
}

void vmf_header_ext_apply(uint8_t ext, struct vmf_header_raw *raw,
			  struct vmf_config *cfg)
{
	unsigned wc = vmf_wcache_value(ext % VMF_WCACHE_NR);
	bool huge = (ext & VMF_EXT_HUGE) != 0;

	if (raw) {
		raw->walk_cache_entries = wc;
		raw->huge_vmalloc = huge;
	}
	if (cfg) {
		cfg->walk_cache_entries = wc;
		cfg->huge_vmalloc = huge;
	}
}

void vmf_header_config(const uint8_t h[VMF_HEADER_BYTES],
		       struct vmf_config *cfg)
{
	struct vmf_header_raw raw;
	vaddr_t start, end;

	vmf_header_raw(h, &raw);
	vmf_config_default(cfg);
	cfg->page_shift = raw.page_shift;
	cfg->va_bits = raw.va_bits;
	/* Every window starts at the Linux VMALLOC_START; none passes the
	 * Linux VMALLOC_END (the smallest Linux window is far above 1 GiB). */
	vmf_linux_vmalloc_window(cfg->va_bits, cfg->page_shift, &start, &end);
	cfg->vmalloc_start = start;
	cfg->vmalloc_end = (raw.window_bytes && raw.window_bytes < end - start) ?
				   start + raw.window_bytes : end;
	cfg->phys_size = raw.phys_size;
	cfg->nr_nodes = raw.nr_nodes;
	cfg->nr_cpus = raw.nr_cpus;
	cfg->lazy_max_pages = raw.lazy_max_pages;
	cfg->tlb_entries = raw.tlb_entries;
	cfg->walk_cache_entries = raw.walk_cache_entries;
	cfg->huge_vmalloc = raw.huge_vmalloc;
	cfg->policy = raw.policy;
	cfg->vb_flush_full = vmf_header_vbfix(h[HF_POLICY]);
	vmf_config_resolve(cfg);
}
