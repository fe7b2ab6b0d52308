/* The command language the fuzzers speak: opcodes, operands, programs.
 *
 * A program is a header (the machine) and up to VMF_MAX_CMDS commands.
 * Every byte string decodes to a program (decoding is total); trailing
 * bytes that do not make a whole command are ignored. The byte format and
 * the text form are documented in docs/format.md.
 *
 * Operands are kept symbolic (struct vmf_cmd) so the text form can show
 * "size=3p" rather than a number that depends on the page size; the
 * interpreter resolves them against the machine (vmf_cmd_resolve). */
#ifndef VMFUZZ_HARNESS_CMD_H
#define VMFUZZ_HARNESS_CMD_H

#include <stdio.h>

#include <vmfuzz/config.h>
#include <vmfuzz/types.h>

#define VMF_FORMAT_VERSION 3 /* 2: policy=modern|nextfit|all, vm_map_ram,
				 vm_unmap_ram, vbfix; 3: ioremap, iounmap,
				 vmalloc_huge, the header extension */
#define VMF_MAX_CMDS 256     /* commands per input */
#define VMF_MAX_ACCESS 4096  /* bytes per read/write/vread command */
#define VMF_MAX_HANDLES 64   /* live objects the interpreter tracks */
#define VMF_MAX_VMAP_PAGES 64
/* vm_map_ram's count operand: above VMAP_MAX_ALLOC (64) too, so that the
 * plain-area path is reachable. */
#define VMF_MAX_VM_MAP_RAM_PAGES 128
/* Page allocations (data and page-table pages) a program may cause: once
 * a command brings the count to this, the rest of the program is not run.
 * Part of a program's meaning, like VMF_MAX_CMDS: it bounds the work of
 * one input as a fuzzer's fuel does (docs/format.md, "Page budget"). */
#define VMF_PAGE_BUDGET 2048

enum vmf_op {
	OP_NOP = 0,      /* reserved opcode bytes decode to this */
	/* boot */
	OP_EARLY_ADD,    /* vm_area_add_early(addr, size) */
	OP_EARLY_REGISTER, /* vm_area_register_early(size, align) */
	/* allocation entry points */
	OP_VMALLOC,
	OP_VZALLOC,
	OP_VMALLOC_NODE,
	OP_VZALLOC_NODE,
	OP_VMALLOC_32,
	OP_VMALLOC_USER,
	OP_VMALLOC_EXEC,
	OP___VMALLOC,          /* __vmalloc(size, gfp, prot) */
	OP_VMALLOC_NODE_RANGE, /* every parameter */
	OP_GET_VM_AREA,        /* get_vm_area(size, flags) */
	OP_GET_VM_AREA_NODE,   /* __get_vm_area_node(every parameter) */
	OP_VMAP,               /* count fresh pages, flags, prot */
	/* freeing */
	OP_VFREE,
	OP_VFREE_ATOMIC,
	OP_VFREE_IRQ,          /* vfree with in_interrupt set */
	OP_VUNMAP,
	OP_REMOVE_VM_AREA,     /* remove_vm_area + kfree of the vm_struct */
	OP_FREE_VM_AREA,
	OP_RUN_DEFERRED,       /* the deferred-free work runs on cpu */
	OP_SET_CPU,
	OP_PURGE,              /* purge_vmap_area_lazy */
	OP_UNMAP_ALIASES,      /* vm_unmap_aliases */
	/* data through the MMU */
	OP_WRITE,              /* handle, offset, len, pattern */
	OP_READ,               /* handle, offset, len */
	OP_ACCESS,             /* handle, offset, access r/w/x, el 0/1 */
	OP_READ_FREED,         /* read at a freed (maybe stale) address */
	OP_VMALLOC_TO_PAGE,    /* handle, offset */
	OP_VREAD,              /* handle, offset (may leave the area), len */
	/* environment */
	OP_FAULT,              /* site, mode, n */
	OP_FRAGMENT,           /* take count pages, give back every other */
	OP_BAD,                /* a deliberately bad call (enum vmf_bad) */
	OP_CHECK,              /* full consistency check */
	/* vmap blocks (format v2, opcodes taken from the reserved space) */
	OP_VM_MAP_RAM,         /* count fresh pages, node, prot */
	OP_VM_UNMAP_RAM,       /* handle, count delta (0 = the right count) */
	/* format version 3: huge mappings (issue 15) */
	OP_IOREMAP,            /* __ioremap(phys, size, prot) */
	OP_IOUNMAP,            /* iounmap(handle) */
	OP_VMALLOC_HUGE,       /* vmalloc_huge(size, node) */
	OP_NR,
};

/* Deliberately bad calls (the hardened cases of docs/vmalloc.md). */
enum vmf_bad {
	BAD_VFREE_UNALIGNED = 0, /* handle address + 1..page-1 */
	BAD_VFREE_NONEXISTENT,   /* an address no area covers */
	BAD_VFREE_DOUBLE,        /* a handle already freed (lazy or purged) */
	BAD_VFREE_INTERIOR,      /* handle address + k pages */
	BAD_VUNMAP_VMALLOC,      /* vunmap of a vmalloc'ed area */
	BAD_VFREE_VMAP,          /* vfree of a vmap'ed area */
	BAD_EARLY_AFTER_INIT,    /* vm_area_add_early after vmalloc_init */
	BAD_SIZE_ZERO,
	BAD_SIZE_ABOVE_TOTALRAM,
	BAD_SIZE_WRAPS,          /* PAGE_ALIGN(size) wraps to 0 */
	BAD_ALIGN_NOT_POW2,
	BAD_RANGE_INVERTED,      /* start >= end */
	BAD_RANGE_OUTSIDE,       /* range outside the vmalloc window */
	BAD_VUNMAP_UNALIGNED,
	BAD_VUNMAP_NONEXISTENT,
	BAD_NR,
};

/* Operands resolved against the machine: what the interpreter executes.
 * An op sets the fields of its operands (docs/format.md); every other
 * field holds the value an all-zero operand would give: size 0, align 1,
 * start/end = the vmalloc window, gfp GFP_KERNEL, prot PAGE_KERNEL,
 * vm_flags 0, node NUMA_NO_NODE, handle 0, offset 0, len 1, pattern 0,
 * cpu 0, site/mode/n 0, access ACC_READ, el 1, bad 0, count 1,
 * dcount 0. */
struct vmf_args {
	uint64_t size;
	uint64_t align;
	vaddr_t start, end;     /* absolute VAs (early_add: addr in start) */
	gfp_t gfp;              /* may hold VMF_GFP_INVALID */
	uint64_t prot;          /* pgprot_t */
	unsigned long vm_flags; /* may hold VMF_VM_FLAGS_INVALID */
	int node;               /* may be NUMA_NO_NODE or out of range */
	unsigned handle;        /* raw index: the interpreter takes it
				   modulo the number of live (or freed)
				   handles */
	uint64_t offset;        /* bytes from the handle's address; may be
				   "negative" (wraps) or past the area.
				   OP_BAD: where the bad address lies from
				   the handle's (unaligned/interior kinds) */
	uint64_t len;           /* 1 .. VMF_MAX_ACCESS */
	uint8_t pattern;
	unsigned cpu;           /* < nr_cpus after resolution */
	unsigned site, mode;    /* enum vmf_fault_site / vmf_fault_mode */
	uint64_t n;
	unsigned access, el;    /* enum mmu_access, 0/1 */
	unsigned bad;           /* enum vmf_bad */
	unsigned count;         /* pages (vmap, fragment), 1..64;
				   vm_map_ram 1..128 */
	unsigned dcount;        /* vm_unmap_ram: the count passed is
				   (count mapped + dcount) mod 256 */
	phys_addr_t phys;       /* ioremap: may be unaligned, RAM, above the
				   PA size */
};

/* Bits no caller may pass: the "invalid bit" operands set them. */
#define VMF_GFP_INVALID (1u << 31)
#define VMF_VM_FLAGS_INVALID (1ul << 31)

#define VMF_HEADER_BYTES 8     /* fixed; shorter inputs are zero-padded */
#define VMF_CMD_OPERAND_BYTES 12 /* room per command (v1 uses <= 9) */
/* The header extension (format version 3): when the byte right after the
 * header is this reserved opcode, it and the next byte are the extension
 * byte (walk-cache size, huge vmalloc), not a command. */
#define VMF_HEADER_EXT_OPCODE 0xc0

struct vmf_cmd {
	enum vmf_op op;
	uint8_t opcode;                          /* the byte as read */
	uint8_t operand[VMF_CMD_OPERAND_BYTES];  /* raw, as read; bytes past
						    the op's operands are 0 */
};

struct vmf_program {
	struct vmf_config cfg;   /* from the header, resolved, valid by
				    construction (vmf_config_check passes) */
	uint8_t header[VMF_HEADER_BYTES]; /* raw header bytes (zero-padded) */
	uint8_t ext;             /* the header extension byte as read; 0 when
				    absent (the same meaning) */
	size_t nr_cmds;
	struct vmf_cmd cmds[VMF_MAX_CMDS];
};

/* Bytes -> program. Total: never fails. */
void vmf_decode(const uint8_t *data, size_t size, struct vmf_program *prog);
/* Program -> canonical bytes; returns the length written (<= cap). Only
 * whole commands are written; 0 if cap cannot hold the header. */
size_t vmf_encode(const struct vmf_program *prog, uint8_t *out, size_t cap);
/* Bytes a whole encoded program can take at most. */
size_t vmf_encoded_max(void);
/* Rewrite every raw byte (header, opcodes, operands) to its canonical
 * value; the meaning and prog->cfg are unchanged. */
void vmf_program_canonicalize(struct vmf_program *prog);
/* Same meaning: same machine and the same commands with the same
 * operands (raw bytes may differ where they mean the same thing). */
bool vmf_program_equal(const struct vmf_program *a,
		       const struct vmf_program *b);
/* Operand bytes the op takes (0 for an op out of range). */
size_t vmf_op_operand_bytes(enum vmf_op op);

/* Operands of one command against a machine config. */
void vmf_cmd_resolve(const struct vmf_cmd *cmd, const struct vmf_config *cfg,
		     struct vmf_args *args);
const char *vmf_op_name(enum vmf_op op);
const char *vmf_bad_name(enum vmf_bad bad);

/* Text form: one line for the header, one per command. */
void vmf_program_print(const struct vmf_program *prog, FILE *out);
void vmf_cmd_print(const struct vmf_cmd *cmd, FILE *out); /* no newline */
void vmf_header_print(const struct vmf_program *prog, FILE *out); /* same */
/* Text -> program: 0, or -1 with the line number and reason in err
 * ("line N: why"). Raw bytes of the result are canonical. */
int vmf_program_parse(const char *text, struct vmf_program *prog, char *err,
		      size_t err_len);

#endif
