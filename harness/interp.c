/* The interpreter: runs a program on the machine and on the shadow model.
 *
 * Per input: the runner's machine is reset (or reconfigured) to the
 * program's config, the shadow is reset to the same config, and every
 * command runs on the library, then on the shadow with what the library
 * returned; shadow_verify() compares everything the command could have
 * changed. The first disagreement stops the run with a report.
 *
 * Harness policies (docs/shadow.md):
 *  - vmalloc_init() runs right before the first command that is not
 *    OP_EARLY_*; an early command after that is the late-registration case.
 *  - Handles: live objects in a compact table (allocation order), operands
 *    index them modulo their count; a ring of recently freed ones for
 *    OP_READ_FREED and BAD_VFREE_DOUBLE. No handle -> the command does
 *    nothing; a full table -> allocation commands do nothing.
 *  - Writes go only inside a live handle's [addr, addr + mapped size + its
 *    guard page), never through a stale TLB entry (checked first against
 *    the tables; the write becomes a read then). Reads go anywhere.
 *  - Accesses are split at page boundaries; the shadow judges each piece.
 *  - vmap takes count fresh order-0 pages from the buddy (OWNER_VMAP) and
 *    gives them back once the area is unmapped by vunmap; OP_FRAGMENT takes
 *    count pages and gives back every other one (kept until reset). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "interp_hook.h"
#include "interp_internal.h"
#include "report.h"

/* ---- runner life cycle ------------------------------------------------------- */

struct vmf_runner *vmf_runner_new(void)
{
	struct vmf_runner *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sh = shadow_new();
	r->areas = malloc(VMF_MAX_AREAS * sizeof(*r->areas));
	r->vminfo = malloc(VMF_VMINFO_BYTES);
	if (!r->sh || !r->areas || !r->vminfo) {
		shadow_destroy(r->sh);
		free(r->areas);
		free(r->vminfo);
		free(r);
		return NULL;
	}
	r->areas_cap = VMF_MAX_AREAS;
	return r;
}

/* Everything vmf_runner_new made; the differential state is the caller's
 * (interp_run.c frees it first). */
void interp_runner_release(struct vmf_runner *r)
{
	if (!r)
		return;
	vmf_machine_destroy(r->m);
	shadow_destroy(r->sh);
	free(r->areas);
	free(r->vminfo);
	free(r);
}

/* ---- results and trace ------------------------------------------------------ */

void interp_res(struct vmf_runner *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->trace || r->result_len >= sizeof(r->result) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->result + r->result_len,
		      sizeof(r->result) - r->result_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->result_len += (size_t)n;
	if (r->result_len > sizeof(r->result) - 1)
		r->result_len = sizeof(r->result) - 1;
}

/* An address as the trace shows it: relative to the window. */
void interp_res_addr(struct vmf_runner *r, const char *what, vaddr_t a)
{
	vaddr_t ws = r->m->cfg.vmalloc_start;

	if (!a)
		interp_res(r, " %s=fail", what);
	else if (a >= ws)
		interp_res(r, " %s=win+0x%" PRIx64, what, a - ws);
	else
		interp_res(r, " %s=win-0x%" PRIx64, what, ws - a);
}

const char *interp_fault_text(enum mmu_fault f)
{
	switch (f) {
	case MMU_OK: return "ok";
	case MMU_FAULT_ADDRESS_SIZE: return "address_size";
	case MMU_FAULT_TRANSLATION: return "translation";
	case MMU_FAULT_ACCESS_FLAG: return "access_flag";
	case MMU_FAULT_PERMISSION: return "permission";
	case MMU_FAULT_EXTERNAL: return "external";
	case MMU_FAULT_BAD_ARG: return "bad_arg";
	}
	return "?";
}

/* ---- handles ---------------------------------------------------------------- */

struct vmf_handle *handle_pick_live(struct vmf_runner *r, unsigned raw)
{
	return r->nr_live ? &r->live[raw % r->nr_live] : NULL;
}

struct vmf_handle *handle_pick_freed(struct vmf_runner *r, unsigned raw)
{
	return r->nr_freed ? &r->freed[raw % r->nr_freed] : NULL;
}

struct vmf_handle *handle_live_at(struct vmf_runner *r, vaddr_t addr)
{
	for (size_t i = 0; i < r->nr_live; i++)
		if (r->live[i].addr == addr)
			return &r->live[i];
	return NULL;
}

struct vmf_handle *handle_pick_freed_stale(struct vmf_runner *r, unsigned raw)
{
	for (size_t k = 0; k < r->nr_freed; k++) {
		struct vmf_handle *h = &r->freed[(raw + k) % r->nr_freed];

		if (!handle_live_at(r, h->addr))
			return h;
	}
	return NULL;
}

/* The n-th live handle of a kind (modulo their count), or NULL. */
struct vmf_handle *handle_pick_kind(struct vmf_runner *r, unsigned raw,
				    enum hkind kind)
{
	size_t n = 0, k;

	for (size_t i = 0; i < r->nr_live; i++)
		n += r->live[i].kind == kind;
	if (!n)
		return NULL;
	k = raw % n;
	for (size_t i = 0; i < r->nr_live; i++)
		if (r->live[i].kind == kind && k-- == 0)
			return &r->live[i];
	return NULL;
}

struct vmf_handle *handle_add_live(struct vmf_runner *r, enum hkind kind,
				   vaddr_t addr, uint64_t size, bool guard)
{
	struct vmf_handle *h;

	if (r->nr_live == VMF_MAX_HANDLES)
		return NULL;
	h = &r->live[r->nr_live++];
	h->kind = (uint8_t)kind;
	h->addr = addr;
	h->size = size;
	h->guard = guard;
	h->nr_pages = 0;
	return h;
}

/* The handle leaves the live table for the freed ring. */
void handle_retire(struct vmf_runner *r, struct vmf_handle *h)
{
	size_t i = (size_t)(h - r->live);
	struct vmf_handle *f = &r->freed[r->freed_next];

	if (h->nr_pages)
		r->vmap_slots &= ~(1ull << h->slot);
	*f = *h;
	f->nr_pages = 0;
	r->freed_next = (r->freed_next + 1) % VMF_FREED_RING;
	if (r->nr_freed < VMF_FREED_RING)
		r->nr_freed++;
	memmove(&r->live[i], &r->live[i + 1],
		(r->nr_live - i - 1) * sizeof(r->live[0]));
	r->nr_live--;
}

bool handle_table_full(const struct vmf_runner *r)
{
	return r->nr_live == VMF_MAX_HANDLES;
}

/* ---- harness pages ------------------------------------------------------------ */

struct page *harness_page(struct vmf_runner *r, enum page_owner owner,
			  enum sh_owner sowner, int *err)
{
	struct page *p = alloc_pages_owner(r->m, NUMA_NO_NODE, __GFP_NOWARN, 0,
					   owner);

	*err = SH_CALL(r, shadow_harness_page_alloc(r->sh, sowner, p != NULL,
					 p ? page_to_pfn(r->m, p) : 0,
					 &r->sfail));
	return p;
}

int harness_free(struct vmf_runner *r, struct page *p)
{
	pfn_t pfn = page_to_pfn(r->m, p);

	__free_pages(r->m, p, 0);
	return SH_CALL(r, shadow_harness_page_free(r->sh, pfn, &r->sfail));
}

/* ---- running ----------------------------------------------------------------- */

static int prepare(struct vmf_runner *r, const struct vmf_program *prog)
{
	struct sh_observer o;
	char why[256];

	if (!r->m) {
		r->m = vmf_machine_create(&prog->cfg, why, sizeof(why));
		if (!r->m)
			return -1;
	} else if (vmf_machine_reset(r->m, &prog->cfg, why, sizeof(why))) {
		return -1;
	}
	interp_observer_init(r, &o);
	if (SH_CALL(r, shadow_reset(r->sh, &r->m->cfg, &o)))
		return -1;
	r->inited = false;
	r->nr_live = 0;
	r->vmap_slots = 0;
	r->nr_freed = 0;
	r->freed_next = 0;
	r->nr_frag = 0; /* the machine reset took the pages back */
	return 0;
}

/* The warnings a command recorded, by kind (their texts may hold values
 * that are not the trace's business). */
static void trace_warnings(struct vmf_runner *r, uint64_t before)
{
	for (uint64_t s = before + 1; s <= r->m->warn.seq; s++) {
		const struct vmf_warn_event *ev = vmf_warn_get(r->m, s);

		interp_res(r, "%s%s", s == before + 1 ? " warn=" : ",",
		    ev ? vmf_warn_kind_name(ev->kind) : "?");
	}
}

static void fail_with(struct vmf_runner *r, const struct vmf_program *prog,
		      size_t idx, struct vmf_failure *fail)
{
	FILE *f;

	r->state[0] = 0;
	f = fmemopen(r->state, sizeof(r->state), "w");
	if (f) {
		shadow_describe(r->sh, f);
		fclose(f);
		r->state[sizeof(r->state) - 1] = 0;
	}
	if (fail)
		vmf_report_build(fail, prog, idx, r->sfail.check,
				 r->sfail.detail, r->state);
}

/* Page allocations so far, data and page-table pages alike (every
 * alloc_pages call asks one of the two fault sites). */
uint64_t vmf_pages_spent(const struct vmf_machine *m)
{
	return m->fault.site[FAULT_PAGE_ALLOC].calls +
	       m->fault.site[FAULT_PGTABLE].calls;
}

int interp_run_one(struct vmf_runner *r, const struct vmf_program *prog,
		   const struct vmf_run_opts *opts, struct vmf_failure *fail,
		   vmf_cmd_hook hook, void *arg)
{
	size_t n = prog->nr_cmds;
	struct vmf_header_raw raw;

	if (fail) {
		fail->failed = false;
		fail->cmd_index = 0;
		fail->check[0] = fail->signature[0] = fail->report[0] = 0;
	}
	if (prepare(r, prog)) {
		snprintf(r->sfail.check, sizeof(r->sfail.check), "setup");
		snprintf(r->sfail.detail, sizeof(r->sfail.detail),
			 "the machine could not be made for this config");
		fail_with(r, prog, prog->nr_cmds, fail);
		return 1;
	}
	vmf_header_raw(prog->header, &raw);
	if (SH_CALL(r, shadow_check_config(r->sh, &raw, &r->sfail))) {
		fail_with(r, prog, VMF_REPORT_SETUP, fail);
		return 1;
	}
	r->trace = opts ? opts->trace : NULL;
	if (opts && opts->stop_after >= 0 && (size_t)opts->stop_after < n)
		n = (size_t)opts->stop_after;
	r->first_check = r->last_check = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (prog->cmds[i].op != OP_CHECK)
			continue;
		if (r->first_check == (size_t)-1)
			r->first_check = i;
		r->last_check = i;
	}
	if (r->trace) {
		vmf_header_print(prog, r->trace);
		fputc('\n', r->trace);
	}
	for (size_t i = 0; i < n; i++) {
		const struct vmf_cmd *cmd = &prog->cmds[i];
		struct vmf_args args;
		uint64_t warn_before, findings, known_before;
		int bad;

		r->result_len = 0;
		r->result[0] = 0;
		if (hook)
			hook(arg, r->m, i);
		if (cmd->op == OP_NOP && r->inited && !hook) {
			/* Nothing runs, so nothing can disagree (a quarter of
			 * the opcode space decodes to nop). A hook may change
			 * the machine between commands: then the nop is
			 * checked like any command. */
			if (r->trace)
				fprintf(r->trace, "#%zu nop =>\n", i);
			continue;
		}
		/* Every warning and flush of the command stays readable
		 * for the shadow's comparison and the trace. */
		vmf_machine_keep_events(r->m);
		if (!r->oracle_off)
			shadow_begin(r->sh);
		if (!r->inited && cmd->op != OP_EARLY_ADD &&
		    cmd->op != OP_EARLY_REGISTER) {
			vmalloc_init(r->m);
			if (!r->oracle_off)
				shadow_init(r->sh);
			r->inited = true;
			interp_res(r, " [vmalloc_init]");
		}
		vmf_cmd_resolve(cmd, &r->m->cfg, &args);
		warn_before = r->m->warn.seq;
		findings = shadow_place_findings(r->sh);
		known_before = shadow_known_stale_hits(r->sh);
		bad = interp_exec_cmd(r, cmd->op, &args, i);
		if (!bad)
			bad = SH_CALL(r, shadow_verify(r->sh, &r->sfail));
		/* A placement the policy's guarantee allows although a lower
		 * fit existed: the shadow's finding, noted, not a report. */
		if (shadow_place_findings(r->sh) != findings)
			interp_res(r, " finding=lower_fit");
		/* A stale TLB hit that is 4.19's known full-block behaviour
		 * (vbfix=0): recorded, not a report. */
		if (shadow_known_stale_hits(r->sh) != known_before)
			interp_res(r, " known=stale_full_block");
		if (r->trace)
			trace_warnings(r, warn_before);
		if (r->trace) {
			char text[160];

			vmf_cmd_text(cmd, text, sizeof(text));
			fprintf(r->trace, "#%zu %s =>%s%s\n", i, text, r->result,
				bad ? " MISMATCH" : "");
		}
		if (bad) {
			fail_with(r, prog, i, fail);
			return 1;
		}
		if (vmf_pages_spent(r->m) >= VMF_PAGE_BUDGET && i + 1 < n) {
			if (r->trace)
				fprintf(r->trace,
					"# page budget spent: %llu page "
					"allocations by #%zu, the rest is not "
					"run\n",
					(unsigned long long)vmf_pages_spent(r->m), i);
			break;
		}
	}
	return 0;
}

void vmf_runner_set_oracle(struct vmf_runner *r, bool on)
{
	r->oracle_off = !on;
}
