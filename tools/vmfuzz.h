/* Shared pieces of the vmfuzz command-line tool (tools/vmfuzz*.c). */
#ifndef VMFUZZ_TOOLS_VMFUZZ_H
#define VMFUZZ_TOOLS_VMFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "interp.h"

/* ---- inputs (vmfuzz_run.c) ---- */

/* One input file: raw bytes (binary form) or a text program (*.txt). */
struct vmft_input {
	char *path;
	bool is_text;
	uint8_t *bytes;       /* binary form: the file; text form: NULL */
	size_t len;
	struct vmf_program *prog; /* decoded / parsed */
	bool cut;             /* longer than a program can use: cut */
};

/* A text program's size limit (a binary one's is vmf_encoded_max()). */
#define VMFT_TEXT_MAX (1 << 20)

/* 0, or -1 with a message on stderr. */
int vmft_input_load(const char *path, struct vmft_input *in);
void vmft_input_free(struct vmft_input *in);
bool vmft_has_suffix(const char *s, const char *suffix);
/* Read a file (or "-" = stdin), at most max bytes; *cut says there was
 * more. 0 or -1 (errno kept). */
int vmft_read_file(const char *path, size_t max, uint8_t **buf, size_t *len,
		   bool *cut);
/* Write through a temporary file and rename ("-" = stdout): nothing is
 * left half written. 0 or -1 (errno kept). */
int vmft_write_file(const char *path, const void *buf, size_t len);
/* Can a file be created beside path (its directory exists and is
 * writable)? 0 or -1 (errno kept). */
int vmft_check_writable(const char *path);

/* Files of a directory in name order (not recursive); a text program is
 * skipped when the binary of the same name is there (it is its view).
 * Returns the count; *out is a malloc'ed array of malloc'ed paths. */
size_t vmft_list_inputs(const char *dir, char ***out);
bool vmft_is_dir(const char *path);

/* ---- outcomes ---- */

enum vmft_verdict {
	VMFT_PASS = 0,
	VMFT_ORACLE,   /* the shadow model disagreed (vmf_failure) */
	VMFT_CRASH,    /* the process died: sanitizer report or signal */
	VMFT_TIMEOUT,
	VMFT_ERROR,    /* could not run (fork failed, ...) */
};

struct vmft_outcome {
	enum vmft_verdict verdict;
	long cmd_index;         /* the failing command (oracle), else -1 */
	char signature[192];    /* "" for a pass */
};

/* Run in this process (the runner never aborts on an input). The fail
 * struct receives the report on an oracle failure. */
void vmft_run_prog(struct vmf_runner *r, const struct vmf_program *prog,
		   const struct vmf_run_opts *opts, struct vmf_failure *fail,
		   struct vmft_outcome *out);
/* Run in a forked child: a sanitizer error or a signal becomes a
 * VMFT_CRASH with a signature taken from the sanitizer's SUMMARY line
 * ("asan/heap-use-after-free/vfree") or the signal ("signal/SIGSEGV").
 * The child's stderr is captured; with keep_log it is appended to *log
 * (malloc'ed, NUL-terminated, may be NULL). */
void vmft_run_forked(struct vmf_runner *r, const struct vmf_program *prog,
		     unsigned timeout_s, struct vmft_outcome *out,
		     char **log);
const char *vmft_verdict_name(enum vmft_verdict v);
/* "asan/heap-use-after-free/vfree" from a sanitizer report's SUMMARY. */
bool vmft_sanitizer_signature(const char *log, char *sig, size_t len);

/* ---- targets, numbers, help (vmfuzz_util.c) ---- */

/* The fuzz targets: main runs vmfuzz programs in this process; the narrow
 * ones (buddy, mmu, rbtree) run through their replay binaries,
 * fuzz_<target>_replay, found beside this tool. */
extern const char *const vmft_targets[]; /* NULL-terminated */
bool vmft_target_valid(const char *name);
/* The target a path belongs to, from a corpus/<t>/, crashes/<t>/,
 * fuzz-work/<engine>-<t>/ or fuzz-smoke/<t>/ component; NULL if none. */
const char *vmft_target_of_path(const char *path);
/* Pick the target: --target if given (must be valid), else from the
 * paths (must agree), else main. Prints which one and why on stderr
 * ("vmfuzz CMD: target buddy (from corpus/buddy/...)"). NULL on error. */
const char *vmft_choose_target(const char *cmd, const char *opt,
			       char **paths, int npaths);
/* The replay binary of a narrow target (malloc'ed), or NULL with a
 * message. */
char *vmft_replay_binary(const char *target);
/* Run one input file through a replay binary in a child. */
void vmft_run_external(const char *bin, const char *path, unsigned timeout_s,
		       struct vmft_outcome *out, char **log);

/* Strict unsigned number: decimal or 0x hex, nothing else, in
 * [min, max]. 0, or -1 with a message naming what on stderr. */
int vmft_parse_num(const char *cmd, const char *what, const char *s,
		   unsigned long long min, unsigned long long max,
		   unsigned long long *out);

/* Per-subcommand help: true when argv holds -h/--help (printed). */
bool vmft_help(const char *cmd, int argc, char **argv);
void vmft_print_help(const char *cmd, FILE *f);
void vmft_version(FILE *f);

/* ---- subcommands in their own files ---- */
int vmft_cmd_triage(int argc, char **argv);
int vmft_cmd_plot(int argc, char **argv);

/* ---- minimisation (vmfuzz_minimize.c) ---- */

/* Does this program still fail the same way? */
typedef bool (*vmft_pred_fn)(void *ctx, const struct vmf_program *prog,
			     long *fail_index);

struct vmft_min_stats {
	size_t runs;             /* candidate programs tried */
	size_t cmds_before, cmds_after;
	size_t bytes_before, bytes_after; /* encoded sizes */
};

/* Structure-aware delta debugging: drops chunks of whole commands, then
 * single commands, zeroes and shrinks operand bytes and the header, until
 * nothing more can go; prog is rewritten in place. pred must hold for
 * prog on entry. fail_index: the failing command of prog (or -1 if not
 * known); commands after it are dropped first. */
void vmft_minimize(struct vmf_program *prog, long fail_index,
		   vmft_pred_fn pred, void *ctx, struct vmft_min_stats *st,
		   bool verbose);
size_t vmft_encoded_size(const struct vmf_program *prog);

#endif
