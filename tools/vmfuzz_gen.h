/* Shared by the generators that turn a program into something else:
 * prog2c (a standalone C reproducer), kmod (a kernel module) and map (a
 * picture of the vmalloc window). Each is a table or a switch over enum
 * vmf_op; an op a generator does not know becomes a line saying so,
 * never an error. */
#ifndef VMFUZZ_TOOLS_VMFUZZ_GEN_H
#define VMFUZZ_TOOLS_VMFUZZ_GEN_H

#include <stdio.h>

#include "vmfuzz.h"

/* Command line of a generator: FILE -o OUT [-n INDEX]. */
struct vmft_gen_args {
	const char *file;
	const char *out;
	long index;          /* -n, or -1 */
};

/* 0, or 2 with a message naming the tool ("prog2c") and its usage. */
int vmft_gen_parse(int argc, char **argv, const char *tool, const char *usage,
		   bool want_index, struct vmft_gen_args *ga);

/* Open OUT for writing ("-" is stdout); NULL with a message. */
FILE *vmft_gen_open(const char *tool, const char *path);
/* Close it; 0, or 2 with a message. */
int vmft_gen_close(const char *tool, const char *path, FILE *f);

/* Run the program once on the library and the shadow; *fail says where
 * (and whether) the oracle disagreed. 0, or 2 when no runner can be made. */
/* 2 with a clear message for a policy=all program (the differential
 * mode: several machines), else 0. */
int vmft_gen_one_policy(const char *tool, const char *file,
			const struct vmf_program *prog);
int vmft_gen_run(const struct vmf_program *prog, struct vmf_failure *fail);

/* The "details:" line of a report (without the prefix), in buf. */
void vmft_report_detail(const struct vmf_failure *fail, char *buf,
			size_t len);

/* Write s as the body of a C string literal (no quotes). */
void vmft_put_c_string(FILE *f, const char *s);

int vmft_cmd_prog2c(int argc, char **argv);
int vmft_cmd_kmod(int argc, char **argv);
int vmft_cmd_map(int argc, char **argv);

#endif
