/* Fuzz target: lib/rbtree.c against a sorted-array model.
 *
 * The input is a program of 3-byte operations (a trailing partial one is
 * ignored, at most FZ_MAX_OPS run):
 *
 *	byte 0: opcode in bits 0-2, argument A in bits 3-7 (0..31)
 *	byte 1-2: key K, little-endian (0..65535)
 *
 *	0 INSERT      insert K with size A (maxima raised before linking)
 *	1 INSERT_POST insert K with size A (linked as 0, propagated after)
 *	2 ERASE       erase K if present
 *	3 ERASE_KTH   erase the (K mod n)-th node, walking from the nearer end
 *	4 LOOKUP      search K; lower bound of K and its next/prev; then,
 *	              with A != 0, a checker-sensitivity probe: corruption
 *	              kind (A - 1) % FZ_NR_CORRUPT (enum fz_corrupt)
 *	              of in-order node (K & 0x7fff) % n (K bit 15 picks a
 *	              variant); rb_check() / rb_check_augmented() must fail
 *	              ("checker-blind" if they pass), the saved bytes go
 *	              back and the tree must check clean again
 *	              ("checker-restore"). State-neutral.
 *	5 REPLACE     rb_replace_node() K's node by a fresh copy
 *	6 LOWEST_FIT  lowest key with size >= A, through the subtree maxima
 *	7 RESIZE      set K's size to A and propagate (like a free area that
 *	              shrinks or grows in place)
 *
 * Every node has a size and keeps the maximum size of its subtree, like
 * Linux's free vmap area tree. After every operation the whole tree is
 * compared with the model: rb_check, augmented values, size, contents in
 * order forwards and backwards, first/last. Nodes are malloc'ed one by
 * one and freed when erased or replaced, so ASan sees any stale link.
 *
 * On a disagreement: a report on stderr ending in
 * "SIGNATURE: rbtree/<check>", then abort(). Nothing survives a call. */
#include <stdlib.h>
#include <string.h>

#include "asan_options.h"
#include "rbtree_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_OP_BYTES 3
#define FZ_MAX_OPS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_state st;
	size_t nops = size / FZ_OP_BYTES, i;

	if (nops > FZ_MAX_OPS)
		nops = FZ_MAX_OPS;
	if (!nops)
		return 0;
	memset(&st, 0, sizeof(st));
	st.root = RB_ROOT;
	st.keys = malloc(nops * sizeof(st.keys[0]));
	st.sizes = malloc(nops * sizeof(st.sizes[0]));
	st.nodes = malloc(nops * sizeof(st.nodes[0]));
	if (!st.keys || !st.sizes || !st.nodes)
		abort();

	for (i = 0; i < nops; i++) {
		const uint8_t *op = &data[i * FZ_OP_BYTES];
		size_t at;

		st.op_index = i;
		st.opcode = op[0] & 7u;
		st.arg = op[0] >> 3;
		st.key = (unsigned)op[1] | (unsigned)op[2] << 8;
		st.target = -1;

		switch ((enum fz_opcode)st.opcode) {
		case FZ_INSERT:
			fz_insert(&st, true);
			break;
		case FZ_INSERT_POST:
			fz_insert(&st, false);
			break;
		case FZ_ERASE: {
			struct fz_node *node = fz_find(&st, &at);

			if (node)
				fz_erase_at(&st, node, at);
			break;
		}
		case FZ_ERASE_KTH:
			fz_erase_kth(&st);
			break;
		case FZ_LOOKUP:
			fz_find(&st, &at);
			fz_lookup(&st);
			if (st.arg)
				fz_probe(&st, (st.arg - 1) % FZ_NR_CORRUPT);
			break;
		case FZ_REPLACE:
			fz_replace(&st);
			break;
		case FZ_LOWEST_FIT:
			fz_lowest_fit(&st);
			break;
		case FZ_RESIZE:
			fz_resize(&st);
			break;
		}
		fz_verify(&st);
	}

	for (i = 0; i < st.n; i++)
		free(st.nodes[i]);
	free(st.nodes);
	free(st.sizes);
	free(st.keys);
	return 0;
}
