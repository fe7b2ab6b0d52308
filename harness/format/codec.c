/* Bytes <-> programs: decode, canonical encode, comparison. The layout
 * itself is data (cmd_table.c, which also resolves operands); this file
 * only walks it. */
#include <string.h>

#include "cmd_table.h"

/* keep_mask[len][i]: byte i of an operand of len bytes is kept. */
#define K1(l, i) ((i) < (l) ? 0xff : 0)
#define KROW(l)                                                              \
	{K1(l, 0), K1(l, 1), K1(l, 2), K1(l, 3), K1(l, 4), K1(l, 5),          \
	 K1(l, 6), K1(l, 7), K1(l, 8), K1(l, 9), K1(l, 10), K1(l, 11)}
static const uint8_t keep_mask[VMF_CMD_OPERAND_BYTES + 1]
			      [VMF_CMD_OPERAND_BYTES] = {
	KROW(0), KROW(1), KROW(2), KROW(3), KROW(4), KROW(5), KROW(6),
	KROW(7), KROW(8), KROW(9), KROW(10), KROW(11), KROW(12),
};
#undef KROW
#undef K1

_Static_assert(VMF_CMD_OPERAND_BYTES == 12,
	       "vmf_decode copies operands as 8 + 4 bytes");

void vmf_decode(const uint8_t *data, size_t size, struct vmf_program *prog)
{
	size_t hdr = size < VMF_HEADER_BYTES ? size : VMF_HEADER_BYTES;
	const uint8_t *p, *end;
	size_t nr = 0;

	memset(prog->header, 0, sizeof(prog->header));
	if (hdr)
		memcpy(prog->header, data, hdr);
	prog->ext = 0;
	vmf_header_config(prog->header, &prog->cfg);
	prog->nr_cmds = 0;
	if (size <= VMF_HEADER_BYTES)
		return;
	p = data + VMF_HEADER_BYTES;
	end = data + size;
	/* The header extension: the reserved opcode 0xc0 right after the
	 * header, then its byte (absent at the end of the input: 0). No
	 * committed input of format version 2 has 0xc0 there. */
	if (*p == VMF_HEADER_EXT_OPCODE) {
		prog->ext = end - p > 1 ? p[1] : 0;
		p += end - p > 1 ? 2 : 1;
	}
	vmf_header_ext_apply(prog->ext, NULL, &prog->cfg);
	/* Hot path: one table load per command, then a copy. A command cut
	 * off by the end of the input is dropped. */
	while (nr < VMF_MAX_CMDS && p < end) {
		enum vmf_op op = (enum vmf_op)vmf_opcode_op[*p];
		size_t len = vmf_ops[op].len, left = (size_t)(end - p);
		struct vmf_cmd *c = &prog->cmds[nr];

		if (left <= len)
			break;
		c->op = op;
		c->opcode = *p;
		/* Fixed-size loads masked to the op's length: no memcpy or
		 * memset call per command (they dominate under ASan). Data
		 * and mask load the same way, so byte order does not matter.
		 * Bytewise near the end of the input. */
		if (left > VMF_CMD_OPERAND_BYTES) {
			uint64_t lo, mlo;
			uint32_t hi, mhi;

			memcpy(&lo, p + 1, 8);
			memcpy(&hi, p + 9, 4);
			memcpy(&mlo, keep_mask[len], 8);
			memcpy(&mhi, keep_mask[len] + 8, 4);
			lo &= mlo;
			hi &= mhi;
			memcpy(c->operand, &lo, 8);
			memcpy(c->operand + 8, &hi, 4);
		} else {
			for (size_t i = 0; i < VMF_CMD_OPERAND_BYTES; i++)
				c->operand[i] = i < len ? p[1 + i] : 0;
		}
		p += 1 + len;
		nr++;
	}
	prog->nr_cmds = nr;
}

size_t vmf_op_operand_bytes(enum vmf_op op)
{
	return (unsigned)op < OP_NR ? vmf_ops[op].len : 0;
}

/* The canonical opcode and operand bytes of one command; an op out of
 * range is taken as NOP. */
static size_t canon_cmd(const struct vmf_cmd *c, uint8_t *opcode,
			uint8_t operand[VMF_CMD_OPERAND_BYTES])
{
	const struct vmf_op_desc *d =
		&vmf_ops[(unsigned)c->op < OP_NR ? c->op : OP_NOP];
	size_t off = 0;

	*opcode = d->canon;
	memset(operand, 0, VMF_CMD_OPERAND_BYTES);
	for (unsigned i = 0; i < d->nr; i++) {
		unsigned kind = d->kind[i];
		struct vmf_sym s;

		vmf_sym_decode(kind, c->operand + off, &s);
		if (vmf_sym_encode(kind, &s, operand + off))
			/* Cannot happen (test_codec tries every byte); keep
			 * the raw bytes rather than invent a meaning. */
			memcpy(operand + off, c->operand + off,
			       vmf_kinds[kind].width);
		off += vmf_kinds[kind].width;
	}
	return off;
}

static void canon_header(const uint8_t *in, uint8_t *out)
{
	bool vbfix = vmf_header_vbfix(in[HF_POLICY]);

	for (unsigned i = 0; i < VMF_HEADER_BYTES; i++)
		out[i] = vmf_hfield_byte(i, vmf_hfield_index(i, in[i]));
	if (vbfix)
		out[HF_POLICY] |= VMF_VBFIX_BYTE;
}

void vmf_program_canonicalize(struct vmf_program *prog)
{
	canon_header(prog->header, prog->header);
	prog->ext = vmf_header_ext_canon(prog->ext);
	for (size_t i = 0; i < prog->nr_cmds; i++) {
		struct vmf_cmd *c = &prog->cmds[i];
		uint8_t operand[VMF_CMD_OPERAND_BYTES];

		canon_cmd(c, &c->opcode, operand);
		memcpy(c->operand, operand, sizeof(operand));
		if ((unsigned)c->op >= OP_NR)
			c->op = OP_NOP;
	}
}

size_t vmf_encoded_max(void)
{
	size_t max = 0;

	for (unsigned op = 0; op < OP_NR; op++)
		if (vmf_ops[op].len > max)
			max = vmf_ops[op].len;
	return VMF_HEADER_BYTES + 2 + VMF_MAX_CMDS * (1 + max);
}

size_t vmf_encode(const struct vmf_program *prog, uint8_t *out, size_t cap)
{
	size_t pos = VMF_HEADER_BYTES;
	size_t nr = prog->nr_cmds < VMF_MAX_CMDS ? prog->nr_cmds : VMF_MAX_CMDS;

	uint8_t ext = vmf_header_ext_canon(prog->ext);

	if (cap < VMF_HEADER_BYTES)
		return 0;
	canon_header(prog->header, out);
	/* The extension only when it changes something (canonical 0 is the
	 * default machine). */
	if (ext && cap - pos >= 2) {
		out[pos++] = VMF_HEADER_EXT_OPCODE;
		out[pos++] = ext;
	}
	for (size_t i = 0; i < nr; i++) {
		uint8_t opcode, operand[VMF_CMD_OPERAND_BYTES];
		size_t len = canon_cmd(&prog->cmds[i], &opcode, operand);

		if (cap - pos < 1 + len)
			break;
		out[pos] = opcode;
		memcpy(out + pos + 1, operand, len);
		pos += 1 + len;
	}
	return pos;
}

bool vmf_program_equal(const struct vmf_program *a,
		       const struct vmf_program *b)
{
	uint8_t ha[VMF_HEADER_BYTES], hb[VMF_HEADER_BYTES];

	canon_header(a->header, ha);
	canon_header(b->header, hb);
	if (memcmp(ha, hb, sizeof(ha)) || a->nr_cmds != b->nr_cmds ||
	    vmf_header_ext_canon(a->ext) != vmf_header_ext_canon(b->ext))
		return false;
	for (size_t i = 0; i < a->nr_cmds && i < VMF_MAX_CMDS; i++) {
		uint8_t oa, ob, pa[VMF_CMD_OPERAND_BYTES],
			pb[VMF_CMD_OPERAND_BYTES];

		canon_cmd(&a->cmds[i], &oa, pa);
		canon_cmd(&b->cmds[i], &ob, pb);
		if (oa != ob || memcmp(pa, pb, sizeof(pa)))
			return false;
	}
	return true;
}

const char *vmf_op_name(enum vmf_op op)
{
	return (unsigned)op < OP_NR ? vmf_ops[op].name : "?";
}

const char *vmf_bad_name(enum vmf_bad bad)
{
	return vmf_kind_name(K_BAD, (unsigned)bad);
}
