/* A structure-aware mutator for the command language (harness/format/cmd.h).
 *
 * Byte mutations mostly break a useful program into a different one: a
 * changed opcode byte re-frames every later command. This mutator works on
 * the decoded program instead (struct vmf_program) and edits whole
 * commands and operands, so that a program that reached a deep state keeps
 * most of its meaning:
 *   insert, delete, duplicate, swap whole commands; re-parameterise one
 *   operand with a value drawn from its kind (cmd_table.h); retarget a
 *   handle operand to a handle that is live at that point; change one
 *   header field (or vbfix); splice a run of commands of a second program
 *   (crossover); insert a short well-formed run (an allocation and its own
 *   free, set_cpu before a command, a free, unmap_aliases and a read of
 *   the freed handle, an allocation repeated); inserts favour command
 *   kinds the program holds least;
 *   and, part of the time, a byte mutation (libFuzzer's LLVMFuzzerMutate or
 *   AFL++'s havoc, or a small havoc of our own when there is none).
 *
 * Invariants (tests/test_mutator.c):
 *  - every output decodes and is canonical: encode(decode(out)) == out;
 *  - no output exceeds max_size, nor holds more than VMF_MAX_CMDS commands;
 *  - the output is a function of the input(s), the seed and the fallback's
 *    own state: same inputs and seed, same output.
 *
 * The state lives in struct vmf_mutator (no static state); the entry
 * points (mutator_libfuzzer.c, mutator_afl.c) own one each. */
#ifndef VMFUZZ_FUZZ_MUTATOR_H
#define VMFUZZ_FUZZ_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

enum vmf_mut_kind {
	MUT_INSERT,
	MUT_DELETE,
	MUT_DUPLICATE,
	MUT_SWAP,
	MUT_REPARAM,  /* one operand, not a handle */
	MUT_RETARGET, /* one handle operand, to a live handle */
	MUT_HEADER,
	MUT_SPLICE,   /* a run of commands of a second program */
	MUT_RUN,      /* a short well-formed run (an allocation and its
			 free, set_cpu before a command, ...) */
	MUT_BYTES,    /* the byte-level fallback */
	MUT_NR,
};

/* A byte-level mutator in libFuzzer's shape: mutate data[0, size) in
 * place, return the new size (<= max_size). */
typedef size_t (*vmf_bytes_fn)(void *ctx, uint8_t *data, size_t size,
			       size_t max_size);

/* Estimated handles before command i (i = 0 .. nr_cmds): live, freed and
 * live vm_map_ram ones (vmf_mutator.c, estimate_handles). */
struct vmf_handle_est {
	uint8_t live[VMF_MAX_CMDS + 1], freed[VMF_MAX_CMDS + 1];
	uint8_t ram[VMF_MAX_CMDS + 1];
};

struct vmf_mutator {
	uint64_t rng;
	vmf_bytes_fn bytes;      /* NULL: our own havoc */
	void *bytes_ctx;
	unsigned bytes_percent;  /* how often the fallback runs */
	struct vmf_program prog, other; /* scratch */
	struct vmf_handle_est est;      /* scratch */
	uint8_t *buf;            /* vmf_encoded_max() + slack, scratch */
	size_t buf_cap;
	/* Per kind: mutations that produced a new input (statistics, and
	 * the unit test's proof that every kind happens). */
	unsigned long done[MUT_NR];
};

/* NULL when out of memory. */
struct vmf_mutator *vmf_mutator_new(vmf_bytes_fn bytes, void *bytes_ctx);
void vmf_mutator_free(struct vmf_mutator *m);

/* Mutate data[0, size) in place (data holds max_size bytes) and return
 * the new size. other (may be NULL) is a second program to splice from. */
size_t vmf_mutate(struct vmf_mutator *m, uint8_t *data, size_t size,
		  size_t max_size, const uint8_t *other, size_t other_size,
		  uint64_t seed);

/* A child of two programs: out gets at most max_out bytes. */
size_t vmf_crossover(struct vmf_mutator *m, const uint8_t *d1, size_t s1,
		     const uint8_t *d2, size_t s2, uint8_t *out,
		     size_t max_out, uint64_t seed);

const char *vmf_mut_kind_name(enum vmf_mut_kind k);

#endif
