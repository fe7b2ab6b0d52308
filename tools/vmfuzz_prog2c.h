/* Inside `vmfuzz prog2c` (tools/vmfuzz_prog2c*.c): the generator's state
 * and the helpers its per-concern files share. vmfuzz_prog2c.c has the
 * driver and the vmalloc/vmap/free commands; vmfuzz_prog2c_huge.c the
 * huge-mapping commands of issue 15 (ioremap, iounmap). */
#ifndef VMFUZZ_TOOLS_VMFUZZ_PROG2C_H
#define VMFUZZ_TOOLS_VMFUZZ_PROG2C_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmfuzz_gen.h"

enum expect_kind { EX_NONE, EX_ADDR, EX_RET, EX_RET2, EX_NOTE };

/* The shadow's prediction for the failing command, if it is one this
 * file can check with the library's own return value. */
struct expectation {
	enum expect_kind kind;
	size_t idx;
	uint64_t want, want2;
	char check[64];
	char detail[512];
};

struct gen {
	FILE *f;
	const struct vmf_program *prog;
	const struct vmf_config *cfg;
	struct expectation ex;
	bool inited;         /* vmalloc_init has run by this command */
	bool any_end;        /* a "goto out" was written */
	size_t first_check, last_check;
};

/* The prediction check for command i on the C variable var (an address,
 * or a return value and optionally a second one), when i is the failing
 * command and its prediction is of that kind; nothing otherwise. */
void prog2c_expect_addr(struct gen *g, size_t i, const char *var);
void prog2c_expect_ret(struct gen *g, size_t i, const char *var,
		       const char *var2);

/* vmfuzz_prog2c_huge.c: ioremap and iounmap as the interpreter runs them
 * (harness/interp_cmd_huge.c). */
void prog2c_emit_ioremap(struct gen *g, size_t i, const struct vmf_args *a);
void prog2c_emit_iounmap(struct gen *g, size_t i, const struct vmf_args *a);

#endif
