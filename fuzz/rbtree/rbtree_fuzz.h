/* fuzz_rbtree's internal header, shared by fuzz/fuzz_rbtree.c (decoding,
 * the entry point) and the files of fuzz/rbtree/: the opcodes, the node,
 * the model (struct fz_state: the one state they share, passed by
 * pointer), the list of checker probes and their functions. Nothing
 * outside fuzz_rbtree includes it. */
#ifndef VMFUZZ_FUZZ_RBTREE_FUZZ_H
#define VMFUZZ_FUZZ_RBTREE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmfuzz/rbtree.h>

enum fz_opcode {
	FZ_INSERT,
	FZ_INSERT_POST,
	FZ_ERASE,
	FZ_ERASE_KTH,
	FZ_LOOKUP,
	FZ_REPLACE,
	FZ_LOWEST_FIT,
	FZ_RESIZE,
};

struct fz_node {
	struct rb_node rb;
	uint32_t key;
	uint32_t size;
	uint32_t subtree_max;
};

static inline struct fz_node *fz_of(const struct rb_node *node)
{
	return rb_entry(node, struct fz_node, rb);
}

/* The model: keys ascending, with each key's size and node (the node only
 * to free it and to check the tree hands back the right one). */
struct fz_state {
	struct rb_root root;
	uint32_t *keys;
	uint32_t *sizes;
	struct fz_node **nodes;
	size_t n;
	/* The operation being run, for the report. */
	size_t op_index;
	unsigned opcode, key, arg;
	long target; /* the key ERASE_KTH picked, or -1 */
};

/* Print what is known and die with a signature the triage tools group by. */
__attribute__((format(printf, 3, 4), noreturn)) void
fz_fail(const struct fz_state *st, const char *check, const char *fmt, ...);

/* Each corruption breaks an invariant rb_check() documents
 * (include/vmfuzz/rbtree.h 1-6, the augmented value, the depth bound),
 * whatever the tree is; the kinds that would not (a red leaf dropped, a
 * colour that keeps every invariant) are avoided by construction. */
enum fz_corrupt {
	CZ_COLOUR_BAD,   /* colour neither red nor black */
	CZ_COLOUR_FLIP,  /* red <-> black: a black height or red-red */
	CZ_PARENT,       /* parent link: the node itself, or NULL */
	CZ_CHILD_SWAP,   /* left and right swapped: in-order broken */
	CZ_CHILD_NULL,   /* a child with black height >= 1 unlinked */
	CZ_CHILD_SAME,   /* both child links to the same node */
	CZ_CHILD_OTHER,  /* a child link to the root or the node's parent */
	CZ_AUGMENT,      /* subtree_max +- 1 */
	CZ_SIZE,         /* size above subtree_max, not propagated */
	CZ_KEY,          /* key = a neighbour's key */
	CZ_DEEP,         /* a chain of RB_CHECK_MAX_DEPTH black nodes under
			    the leftmost node */
	CZ_ROOT_LINK,    /* root pointer to a node that has a parent */
	FZ_NR_CORRUPT
};

/* ---- functions, by the file that defines them ---- */

/* model.c */
size_t model_lower(const struct fz_state *st, uint32_t key);
void model_insert(struct fz_state *st, size_t i, uint32_t key,
		  uint32_t size, struct fz_node *node);
void model_erase(struct fz_state *st, size_t i);
int fz_cmp(const struct rb_node *a, const struct rb_node *b);
bool fz_augment_ok(const struct rb_node *node);
void fz_verify(const struct fz_state *st);

/* ops.c */
struct fz_node *fz_find(const struct fz_state *st, size_t *index);
void fz_insert(struct fz_state *st, bool pre);
void fz_erase_at(struct fz_state *st, struct fz_node *node, size_t i);
void fz_erase_kth(struct fz_state *st);
void fz_lookup(const struct fz_state *st);
void fz_replace(struct fz_state *st);
void fz_lowest_fit(const struct fz_state *st);
void fz_resize(struct fz_state *st);

/* probes.c */
void fz_probe(struct fz_state *st, unsigned kind);

#endif
