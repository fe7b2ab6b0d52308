/* The byte format as tables: one description of every op's operands and of
 * every operand kind, shared by the decoder, encoder, resolver, printer
 * and parser (harness-internal; the format is documented in
 * docs/format.md).
 *
 * An operand is one or two raw bytes. Its meaning is a symbolic value
 * (struct vmf_sym) that does not depend on the machine: "window-2p" stays
 * "window-2p" whatever the page size. Two byte strings mean the same thing
 * exactly when their symbolic values are equal; the canonical bytes are
 * vmf_sym_encode(vmf_sym_decode(bytes)). */
#ifndef VMFUZZ_HARNESS_CMD_TABLE_H
#define VMFUZZ_HARNESS_CMD_TABLE_H

#include "cmd.h"

#define VMF_MAX_OPERANDS 8   /* per op */
#define VMF_NAME_LEN 24      /* longest name + NUL, names are char arrays
				so the tables need no relocations and stay
				read-only */

enum vmf_kind {
	K_H,      /* handle: raw byte */
	K_SIZE,   /* 2 bytes: form, value */
	K_ALIGN,
	K_START,  /* address relative to the window */
	K_END,    /* as K_START, stored XOR 0x40 so that 0 = win_end */
	K_ADDR,   /* as K_START (early_add) */
	K_NODE,
	K_GFP,
	K_PROT,
	K_FLAGS,  /* vm_flags */
	K_OFF,    /* 2 bytes: pages, signed bytes */
	K_LEN,    /* 2 bytes, little endian: 1 + (v & 0xfff) */
	K_PAT,
	K_CPU,    /* raw byte, taken modulo nr_cpus when resolved */
	K_SITE,
	K_MODE,
	K_N,
	K_ACC,
	K_EL,
	K_BAD,
	K_COUNT,
	K_RAMCOUNT, /* vm_map_ram's count: 1 + (b & 127) */
	K_DCOUNT,   /* raw byte */
	K_PHYS,   /* physical address (ioremap): RAM, device, odd forms */
	K_NR,
};

/* How a kind's values are written in the text form. */
enum vmf_class {
	CL_EXPR, /* base + pages + bytes: "window-2p", "3p+0x10", "0x1" */
	CL_UINT, /* decimal */
	CL_HEX,  /* one byte in hex */
	CL_NAME, /* one of a list of names */
	CL_BITS, /* names joined by '|', or the zero name */
};

enum vmf_base {
	BASE_NONE = 0,
	BASE_WIN,      /* vmalloc_start */
	BASE_WIN_END,  /* vmalloc_end */
	BASE_WINDOW,   /* vmalloc_end - vmalloc_start */
	BASE_TOTALRAM, /* totalram pages * page size */
	BASE_RAM,      /* phys_base: the first RAM frame */
	BASE_RAM_END,  /* phys_base + phys_size */
	BASE_DEV,      /* 4 GiB: device space above every machine's RAM */
	BASE_PA_END,   /* 2^pa_bits */
	BASE_NR,
};

/* value = base + pages * PAGE_SIZE + bytes (mod 2^64). Non-EXPR kinds keep
 * their value (number, name index, bit mask) in bytes. */
struct vmf_sym {
	unsigned base;
	uint64_t pages;
	uint64_t bytes;
};

struct vmf_kind_desc {
	char key[8];      /* operand name in the text form */
	uint8_t width;    /* bytes */
	uint8_t cls;      /* enum vmf_class */
	uint8_t nr_names; /* CL_NAME: names; CL_BITS: bits */
};

struct vmf_op_desc {
	char name[VMF_NAME_LEN];
	uint8_t nr;      /* operands */
	uint8_t len;     /* operand bytes: the sum of the kinds' widths */
	uint8_t canon;   /* canonical opcode byte: the smallest for this op */
	uint8_t kind[VMF_MAX_OPERANDS];
};

extern const uint8_t vmf_opcode_op[256];
extern const struct vmf_op_desc vmf_ops[OP_NR];
extern const struct vmf_kind_desc vmf_kinds[K_NR];
extern const char vmf_base_names[BASE_NR][12];

void vmf_sym_decode(unsigned kind, const uint8_t *b, struct vmf_sym *s);
/* Canonical bytes for a symbolic value; -1 if no bytes encode it. */
int vmf_sym_encode(unsigned kind, const struct vmf_sym *s, uint8_t *b);
bool vmf_sym_equal(const struct vmf_sym *a, const struct vmf_sym *b);
/* CL_NAME: name of value i; CL_BITS: name of bit i (i == nr_names: the
 * name of the empty set). */
const char *vmf_kind_name(unsigned kind, unsigned i);
/* Operand value against a machine (CL_EXPR kinds). */
uint64_t vmf_sym_eval(const struct vmf_sym *s, const struct vmf_config *cfg);

/* ---- header ---- */
enum vmf_hfield {
	HF_LAYOUT,  /* granule + VA bits */
	HF_WINDOW,
	HF_RAM,
	HF_NODES,
	HF_CPUS,
	HF_LAZY,
	HF_TLB,
	HF_POLICY,
	HF_NR,
};

/* The header's fields as the program chose them, before any library
 * arithmetic (the Linux window, the kernel's defaults): what the shadow
 * derives the machine's values from with its own code. 0 in window_bytes
 * and lazy_max_pages means "the kernel's" (the whole Linux window, the
 * lazy_max_pages() formula). */
struct vmf_header_raw {
	unsigned page_shift, va_bits;
	uint64_t window_bytes;
	uint64_t phys_size;
	unsigned nr_nodes, nr_cpus;
	uint64_t lazy_max_pages;
	unsigned tlb_entries;
	unsigned policy;
	/* The header extension (format version 3; vmf_header_ext_apply):
	 * without one, walk_cache_entries = VMF_WCACHE_DEFAULT and
	 * huge_vmalloc = false. */
	unsigned walk_cache_entries;
	bool huge_vmalloc;
};
void vmf_header_raw(const uint8_t header[VMF_HEADER_BYTES],
		    struct vmf_header_raw *raw);
/* vbfix (struct vmf_config.vb_flush_full) shares the policy byte: bits
 * 6..5 == 0b10. No committed input had that pattern when it was
 * introduced, so every committed trace kept its meaning. The canonical
 * byte is the policy's byte | VMF_VBFIX_BYTE (the policy reads bit 7 and
 * bits 4..0 only: vmf_hfield_index). */
#define VMF_VBFIX_MASK 0x60u
#define VMF_VBFIX_BYTE 0x40u
static inline bool vmf_header_vbfix(uint8_t policy_byte)
{
	return (policy_byte & VMF_VBFIX_MASK) == VMF_VBFIX_BYTE;
}

/* ---- the header extension byte (docs/format.md) ----
 * bits 0-3: walk-cache entries, index into a table whose value 0 is
 * VMF_WCACHE_DEFAULT; bit 4: huge vmalloc; bits 5-7: ignored. */
#define VMF_WCACHE_DEFAULT 16
#define VMF_WCACHE_NR 16
#define VMF_EXT_HUGE 0x10u
unsigned vmf_wcache_value(unsigned i);
const char *vmf_wcache_text(unsigned i);
/* The canonical extension byte (0: nothing to write). */
uint8_t vmf_header_ext_canon(uint8_t ext);
/* Apply an extension byte to the raw fields and/or the config (either may
 * be NULL). */
void vmf_header_ext_apply(uint8_t ext, struct vmf_header_raw *raw,
			  struct vmf_config *cfg);

/* Header byte i holds field i. */
unsigned vmf_hfield_nr(unsigned field);                 /* values */
unsigned vmf_hfield_index(unsigned field, uint8_t b);
/* The canonical byte of value i (i itself, except for the policy). */
uint8_t vmf_hfield_byte(unsigned field, unsigned i);
/* The header's policy value: an enum vmf_policy, or VMF_POLICY_ALL. */
#define VMF_POLICY_ALL VMF_POLICY_NR /* "all": the differential mode */
unsigned vmf_header_policy(const uint8_t header[VMF_HEADER_BYTES]);
/* Text of value i ("64p", "1g", "linux", "kernel", "4"); HF_LAYOUT gives
 * "granule=4k va=48". */
const char *vmf_hfield_value(unsigned field, unsigned i);
extern const char vmf_hfield_keys[HF_NR][8];
/* Header bytes -> resolved config; vmf_config_check passes on it. */
void vmf_header_config(const uint8_t header[VMF_HEADER_BYTES],
		       struct vmf_config *cfg);

/* ---- text form of one operand (text.c) ---- */
/* Writes the operand's text into buf (always NUL-terminated). */
void vmf_operand_format(unsigned kind, const uint8_t *b, char *buf,
			size_t len);
/* Text -> canonical bytes: 0, or -1 with the reason in why. */
int vmf_operand_parse(unsigned kind, const char *text, uint8_t *b, char *why,
		      size_t why_len);

#endif
