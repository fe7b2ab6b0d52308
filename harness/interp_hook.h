/* Test-only entry into the interpreter (harness-internal): run a program
 * with a hook called before each command, so that a test can corrupt the
 * machine through its public structs between two commands and check that
 * the oracle reports it. Not for fuzz targets. */
#ifndef VMFUZZ_HARNESS_INTERP_HOOK_H
#define VMFUZZ_HARNESS_INTERP_HOOK_H

#include "interp.h"

typedef void (*vmf_cmd_hook)(void *arg, struct vmf_machine *m, size_t idx);

int vmf_run_program_hooked(struct vmf_runner *r,
			   const struct vmf_program *prog,
			   const struct vmf_run_opts *opts,
			   struct vmf_failure *fail, vmf_cmd_hook hook,
			   void *arg);

/* Bench only: with on false, the runner runs the library alone (no shadow
 * model, no per-command checks, OP_CHECK checks nothing), so a bench can
 * time the oracle's share of a run (bench/bench_oracle.c). The trace and
 * the handles follow the library. Default: on. */
void vmf_runner_set_oracle(struct vmf_runner *r, bool on);

#endif
