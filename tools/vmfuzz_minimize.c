/* Structure-aware minimisation of a failing program.
 *
 * Works on whole commands and operands (struct vmf_program), never on
 * arbitrary bytes, so every candidate is a well-formed program and the
 * number of candidates is small:
 *   1. drop every command after the failing one;
 *   2. delta debugging over commands: remove chunks of n/2, n/4, ... 1
 *      commands, keeping any removal after which the failure is the same;
 *   3. simplify each command: a simpler op of the same family (vzalloc ->
 *      vmalloc, vfree_atomic -> vfree ...), then each operand byte (pairs
 *      to zero, the byte to zero, to one, halved);
 *   4. simplify the header byte by byte (towards the default machine);
 * and repeats until a round changes nothing. "The same failure" is the
 * caller's predicate (same SIGNATURE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmfuzz.h"

struct mctx {
	vmft_pred_fn pred;
	void *ctx;
	struct vmft_min_stats *st;
	struct vmf_program *cand; /* scratch */
	bool verbose;
};

size_t vmft_encoded_size(const struct vmf_program *prog)
{
	size_t cap = vmf_encoded_max();
	uint8_t *buf = malloc(cap);
	size_t n;

	if (!buf)
		return 0;
	n = vmf_encode(prog, buf, cap);
	free(buf);
	return n;
}

/* Try the candidate; on success copy it into prog and cut it after the
 * failing command. */
static bool accept(struct mctx *c, struct vmf_program *prog)
{
	long idx = -1;

	c->st->runs++;
	if (!c->pred(c->ctx, c->cand, &idx))
		return false;
	if (idx >= 0 && (size_t)idx + 1 < c->cand->nr_cmds)
		c->cand->nr_cmds = (size_t)idx + 1;
	memcpy(prog, c->cand, sizeof(*prog));
	return true;
}

static void remove_range(const struct vmf_program *from, size_t start,
			 size_t len, struct vmf_program *to)
{
	memcpy(to, from, sizeof(*to));
	memmove(&to->cmds[start], &from->cmds[start + len],
		(from->nr_cmds - start - len) * sizeof(from->cmds[0]));
	to->nr_cmds = from->nr_cmds - len;
}

static bool ddmin_commands(struct mctx *c, struct vmf_program *prog)
{
	size_t n = 2;
	bool changed = false;

	while (prog->nr_cmds > 0) {
		size_t nr = prog->nr_cmds;
		size_t chunk = (nr + n - 1) / n;
		bool removed = false;

		if (chunk == 0)
			chunk = 1;
		/* From the end: later commands are the likelier to go (the
		 * failing one is last) and removing them moves nothing. */
		for (size_t end = prog->nr_cmds; end > 0;) {
			size_t start = end > chunk ? end - chunk : 0;

			remove_range(prog, start, end - start, c->cand);
			if (accept(c, prog)) {
				removed = changed = true;
				if (start > prog->nr_cmds)
					start = prog->nr_cmds;
			}
			end = start;
		}
		if (c->verbose)
			fprintf(stderr, "minimize: chunks of %zu: %zu commands\n",
				chunk, prog->nr_cmds);
		if (removed) {
			n = n > 2 ? n - 1 : 2;
			continue;
		}
		if (chunk == 1)
			break;
		n = n * 2 < prog->nr_cmds ? n * 2 : prog->nr_cmds;
		if (n < 2)
			n = 2;
	}
	return changed;
}

/* A simpler op of the same family, or the op itself. */
static enum vmf_op simpler_op(enum vmf_op op)
{
	switch (op) {
	case OP_VZALLOC:
	case OP_VMALLOC_NODE:
	case OP_VZALLOC_NODE:
	case OP_VMALLOC_32:
	case OP_VMALLOC_USER:
	case OP_VMALLOC_EXEC:
	case OP___VMALLOC:
	case OP_VMALLOC_NODE_RANGE:
		return OP_VMALLOC;
	case OP_GET_VM_AREA_NODE:
		return OP_GET_VM_AREA;
	case OP_VFREE_ATOMIC:
	case OP_VFREE_IRQ:
		return OP_VFREE;
	case OP_FREE_VM_AREA:
		return OP_REMOVE_VM_AREA;
	default:
		return op;
	}
}

static bool try_operand(struct mctx *c, struct vmf_program *prog, size_t i,
			size_t j, uint8_t v)
{
	memcpy(c->cand, prog, sizeof(*prog));
	c->cand->cmds[i].operand[j] = v;
	return accept(c, prog);
}

static bool simplify_commands(struct mctx *c, struct vmf_program *prog)
{
	bool changed = false;

	for (size_t i = prog->nr_cmds; i-- > 0;) {
		enum vmf_op op, easy;
		size_t nb;

		if (i >= prog->nr_cmds)
			continue; /* the program got shorter */
		op = prog->cmds[i].op;
		easy = simpler_op(op);
		if (easy != op) {
			memcpy(c->cand, prog, sizeof(*prog));
			c->cand->cmds[i].op = easy;
			memset(c->cand->cmds[i].operand + vmf_op_operand_bytes(easy),
			       0, VMF_CMD_OPERAND_BYTES -
					  vmf_op_operand_bytes(easy));
			vmf_program_canonicalize(c->cand);
			changed |= accept(c, prog);
		}
		if (i >= prog->nr_cmds)
			continue;
		nb = vmf_op_operand_bytes(prog->cmds[i].op);
		if (nb > VMF_CMD_OPERAND_BYTES)
			nb = VMF_CMD_OPERAND_BYTES;
		for (size_t j = 0; j < nb && i < prog->nr_cmds; j++) {
			uint8_t v = prog->cmds[i].operand[j];

			if (j + 1 < nb && v && prog->cmds[i].operand[j + 1]) {
				memcpy(c->cand, prog, sizeof(*prog));
				c->cand->cmds[i].operand[j] = 0;
				c->cand->cmds[i].operand[j + 1] = 0;
				if (accept(c, prog)) {
					changed = true;
					continue;
				}
			}
			if (v == 0)
				continue;
			if (try_operand(c, prog, i, j, 0)) {
				changed = true;
				continue;
			}
			if (v > 1 && try_operand(c, prog, i, j, 1)) {
				changed = true;
				continue;
			}
			while (i < prog->nr_cmds && v > 2 &&
			       try_operand(c, prog, i, j, (uint8_t)(v / 2))) {
				changed = true;
				v = prog->cmds[i].operand[j];
			}
		}
	}
	return changed;
}

/* Header bytes towards zero, through the byte form (the header's meaning
 * is the decoder's business). */
static bool simplify_header(struct mctx *c, struct vmf_program *prog)
{
	size_t cap = vmf_encoded_max();
	uint8_t *buf = malloc(cap);
	bool changed = false;

	if (!buf)
		return false;
	for (size_t k = 0; k < VMF_HEADER_BYTES; k++) {
		size_t n = vmf_encode(prog, buf, cap);
		uint8_t v = buf[k];
		uint8_t tries[3] = {0, 1, (uint8_t)(v / 2)};

		for (size_t t = 0; t < 3 && n > k; t++) {
			if (tries[t] >= v)
				continue;
			buf[k] = tries[t];
			vmf_decode(buf, n, c->cand);
			if (accept(c, prog)) {
				changed = true;
				break;
			}
			buf[k] = v;
		}
	}
	free(buf);
	return changed;
}

void vmft_minimize(struct vmf_program *prog, long fail_index,
		   vmft_pred_fn pred, void *ctx, struct vmft_min_stats *st,
		   bool verbose)
{
	struct mctx c = {pred, ctx, st, NULL, verbose};

	memset(st, 0, sizeof(*st));
	st->cmds_before = prog->nr_cmds;
	st->bytes_before = vmft_encoded_size(prog);
	c.cand = malloc(sizeof(*c.cand));
	if (!c.cand)
		return;

	/* Canonical bytes first: same meaning, so the same failure. */
	memcpy(c.cand, prog, sizeof(*prog));
	vmf_program_canonicalize(c.cand);
	if (fail_index >= 0 && (size_t)fail_index + 1 < c.cand->nr_cmds)
		c.cand->nr_cmds = (size_t)fail_index + 1;
	if (!accept(&c, prog)) {
		memcpy(c.cand, prog, sizeof(*prog));
		if (fail_index >= 0 && (size_t)fail_index + 1 < c.cand->nr_cmds)
			c.cand->nr_cmds = (size_t)fail_index + 1;
		accept(&c, prog);
	}

	for (int round = 0; round < 16; round++) {
		bool changed = false;

		changed |= ddmin_commands(&c, prog);
		changed |= simplify_commands(&c, prog);
		changed |= simplify_header(&c, prog);
		if (verbose)
			fprintf(stderr, "minimize: round %d: %zu commands, "
					"%zu bytes, %zu runs\n",
				round + 1, prog->nr_cmds,
				vmft_encoded_size(prog), st->runs);
		if (!changed)
			break;
	}
	vmf_program_canonicalize(prog);
	st->cmds_after = prog->nr_cmds;
	st->bytes_after = vmft_encoded_size(prog);
	free(c.cand);
}
