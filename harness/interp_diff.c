/* The differential mode: one program, every registered placement policy,
 * compared where they must agree (interp_diff.h says what and why).
 *
 * Each policy runs on its own runner (machine + shadow), traced into
 * memory; the trace is the record compared, with what depends on
 * addresses masked: addresses, pfns, translation levels, the shadow's
 * placement findings. Page accounting is taken between commands by the
 * run hook: free pages + page-table pages (page tables cost what the
 * addresses need, data pages do not depend on them).
 *
 * Known differences (docs/placement.md), which end the comparison of a
 * pair of runs without a report (their states have diverged for real):
 *  - overflow with space: an allocation fails in one run and not in the
 *    other, and the failing policy declares
 *    VMF_PLACE_MAY_OVERFLOW_WITH_SPACE (4.19's cache key ignoring vend;
 *    6.1's pruned search);
 *  - kmalloc fault injection: the policies make different numbers of
 *    kmalloc-site calls (6.1's per-CPU preload), so "fail the Nth call"
 *    hits different calls: from the first such command on;
 *  - page tables: once the runs hold different numbers of page-table
 *    pages, a command that runs out of memory in one run only;
 *  - the page budget counts page-table pages too: a run may stop early. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/placement.h>

#include "cmd_table.h"
#include "interp_diff.h"
#include "interp_hook.h"
#include "interp_internal.h"
#include "report.h"

struct diff_run {
	struct vmf_runner *r;
	struct vmf_program prog;
	struct vmf_failure fail;
	struct diff_cmd cmd[VMF_MAX_CMDS];
	uint64_t acct_before[VMF_MAX_CMDS + 1], pt_before[VMF_MAX_CMDS + 1];
	size_t n;
};

struct vmf_diff {
	struct diff_run run[VMF_POLICY_NR];
};

/* ---- parsing ----------------------------------------------------------- */

static void cat(char *dst, size_t cap, const char *s, size_t len)
{
	size_t at = strlen(dst);

	if (at + 1 >= cap)
		return;
	if (len > cap - at - 1)
		len = cap - at - 1;
	memcpy(dst + at, s, len);
	dst[at + len] = 0;
}

/* One result token into its field, masked. */
static void diff_token(struct diff_cmd *c, const char *t, size_t len)
{
	char tok[96];
	char *lv;

	if (len >= sizeof(tok))
		len = sizeof(tok) - 1;
	memcpy(tok, t, len);
	tok[len] = 0;
	if (!strncmp(tok, "warn=", 5)) {
		cat(c->warn, sizeof(c->warn), tok + 5, strlen(tok + 5));
		return;
	}
	if (!strncmp(tok, "sum=", 4)) {
		cat(c->data, sizeof(c->data), tok, strlen(tok));
		cat(c->data, sizeof(c->data), " ", 1);
		return;
	}
	if (!strncmp(tok, "finding=", 8))
		return; /* the shadow's, per policy */
	if (!strncmp(tok, "addr=win", 8))
		strcpy(tok, "addr=ok");
	else if (!strncmp(tok, "pfn=", 4))
		strcpy(tok, "pfn");
	/* "<fault>/L<level>": the level is where the walk ended. */
	lv = strstr(tok, "/L");
	if (lv)
		*lv = 0;
	cat(c->res, sizeof(c->res), tok, strlen(tok));
	cat(c->res, sizeof(c->res), " ", 1);
}

/* The command's name from its text: "read ...", "bad kind=x ...". */
static void diff_op(struct diff_cmd *c, const char *text, const char *end)
{
	size_t l;

	while (text < end && *text == ' ')
		text++;
	l = strcspn(text, " ");
	if (text + l > end)
		l = (size_t)(end - text);
	if (l == 3 && !strncmp(text, "bad", 3) &&
	    !strncmp(text + 3, " kind=", 6)) {
		const char *k = text + 9;
		size_t kl = strcspn(k, " ");

		if (k + kl > end)
			kl = (size_t)(end - k);
		snprintf(c->op, sizeof(c->op), "bad:%.*s", (int)kl, k);
		return;
	}
	snprintf(c->op, sizeof(c->op), "%.*s", (int)l, text);
}

size_t diff_parse_trace(const char *trace, struct diff_cmd *cmds, size_t max)
{
	const char *p = trace ? trace : "";
	size_t n = 0;

	memset(cmds, 0, max * sizeof(*cmds));
	while (*p) {
		const char *eol = strchr(p, '\n'), *arrow, *q;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *end;
		unsigned long i;

		if (p[0] == '#' && p[1] >= '0' && p[1] <= '9') {
			i = strtoul(p + 1, &end, 10);
			arrow = strstr(p, " =>");
			if (i < max && arrow && arrow < p + len) {
				struct diff_cmd *c = &cmds[i];

				c->seen = true;
				diff_op(c, end, arrow);
				/* kmalloc and pgtable: the layouts make
				 * different numbers of calls there. */
				c->fault_kmalloc =
					(!strncmp(end, " fault site=kmalloc ", 20) &&
					 strncmp(end + 20, "mode=off", 8)) ||
					(!strncmp(end, " fault site=pgtable ", 20) &&
					 strncmp(end + 20, "mode=off", 8));
				for (q = arrow + 3; q < p + len;) {
					size_t tl;

					while (q < p + len && *q == ' ')
						q++;
					tl = strcspn(q, " \n");
					if (q + tl > p + len)
						tl = (size_t)(p + len - q);
					if (tl && strncmp(q, "MISMATCH", tl))
						diff_token(c, q, tl);
					q += tl;
				}
				if (i + 1 > n)
					n = i + 1;
			}
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return n;
}

/* ---- comparison ---------------------------------------------------------- */

static bool failed_alloc(const struct diff_cmd *c)
{
	return strstr(c->res, "addr=fail") != NULL;
}

/* The bytes of a read the shadow could predict: the n of "sum=X/n". */
static long known_bytes(const struct diff_cmd *c)
{
	const char *p = strchr(c->data, '/');

	return p ? strtol(p + 1, NULL, 10) : -1;
}

static bool out_of_memory(const struct diff_cmd *c)
{
	return strstr(c->warn, "page_alloc_fail") ||
	       strstr(c->warn, "vmalloc_alloc_failure") ||
	       strstr(c->res, "no pages") || strstr(c->res, "ret=-12");
}

/* An access that faulted or met a stale entry, or a page lookup that
 * found none: past an area's end lies
 * whatever the layout put there (the next area when there is no guard
 * page, a hole, a guard page), so its result depends on addresses. */
static bool layout_access(const struct diff_cmd *c)
{
	static const char *const ops[] = {"read", "write", "access", "vread"};

	if (strstr(c->res, "fault=") || strstr(c->res, "stale")) {
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (!strcmp(c->op, ops[i]))
				return true;
	}
	/* vmalloc_to_page at an offset past the area: a page of whatever
	 * area the layout put there, or none. */
	if (!strcmp(c->op, "vmalloc_to_page"))
		return strstr(c->res, "none") != NULL;
	/* access prints the fault kind alone; vread returns 0 for an
	 * address the layout put outside the window. */
	if (!strcmp(c->op, "access"))
		return strcmp(c->res, "ok") != 0;
	if (!strcmp(c->op, "vread"))
		return strstr(c->res, "ret=0") != NULL;
	/* check counts the busy areas, lazy ones included: when they are
	 * purged depends on when a placement overflowed (each run's shadow
	 * checks its own list). */
	if (!strcmp(c->op, "check"))
		return true;
	return false;
}

/* A command aimed at a freed handle's address: whether a new area took
 * that address over depends on the policy. */
static bool stale_address(const struct diff_cmd *c)
{
	return !strcmp(c->op, "read_freed") || !strcmp(c->op, "bad:vfree_double");
}

int diff_compare(const struct diff_cmd *a, size_t na, unsigned ga,
		 const struct diff_cmd *b, size_t nb, unsigned gb,
		 size_t *idx, const char **field, const char **known)
{
	size_t n = na < nb ? na : nb;
	bool fault = false;

	*known = NULL;
	*field = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *f = NULL;

		fault |= a[i].fault_kmalloc || b[i].fault_kmalloc;
		if (!a[i].seen || !b[i].seen)
			continue;
		if (strcmp(a[i].res, b[i].res))
			f = "status";
		else if (strcmp(a[i].warn, b[i].warn))
			f = "warn";
		else if (strcmp(a[i].data, b[i].data))
			f = "data";
		else if (a[i].acct != b[i].acct)
			f = "pages";
		if (!f)
			continue;
		*idx = i;
		if (fault) {
			*known = "kmalloc or pgtable fault injection: the "
				 "policies make different numbers of calls "
				 "there";
			return 0;
		}
		if (failed_alloc(&a[i]) != failed_alloc(&b[i])) {
			const struct diff_cmd *fc = failed_alloc(&a[i]) ? &a[i]
							   : &b[i];
			unsigned g = failed_alloc(&a[i]) ? ga : gb;

			if (g & VMF_PLACE_MAY_OVERFLOW_WITH_SPACE) {
				*known = "overflow with space: the failing "
					 "policy may overflow although a hole "
					 "fits";
				return 0;
			}
			/* The failing run's shadow already judged the
			 * overflow by the policy's declaration (no fitting
			 * hole, or a report) and its page and page-table
			 * accounting: what is left is that each policy's
			 * earlier placements fragment the window and cost
			 * page-table pages differently. */
			/* No warning at all: __GFP_NOWARN silenced it. Out
			 * of memory in one run only: at its address the map
			 * needed a page-table page the other run's did not
			 * (found by fuzzing: equal page-table counts before,
			 * the failing run's new table could not be had). */
			if (strstr(fc->warn, "vmap_alloc_failed") ||
			    out_of_memory(fc) || !fc->warn[0]) {
				*known = "fragmentation or memory: the "
					 "policies' earlier placements leave "
					 "different holes and need different "
					 "page-table pages";
				return 0;
			}
		}
		if (failed_alloc(&a[i]) && failed_alloc(&b[i]) &&
		    (!strstr(a[i].warn, "vmap_alloc_failed") !=
		     !strstr(b[i].warn, "vmap_alloc_failed"))) {
			*known = "both failed, one for want of a hole (its "
				 "layout), the other for want of memory";
			return 0;
		}
		if (!strcmp(f, "data") && known_bytes(&a[i]) != known_bytes(&b[i])) {
			*known = "a read past an area's end reads what the "
				 "layout put there";
			return 0;
		}
		if (stale_address(&a[i])) {
			*known = "a freed handle's address is reused or not "
				 "depending on the layout";
			return 0;
		}
		if (layout_access(&a[i]) || layout_access(&b[i])) {
			*known = "an access past an area's end meets what the "
				 "layout put there";
			return 0;
		}
		/* Once the runs hold different numbers of page-table pages
		 * (different addresses need different tables), their free
		 * memory differs: every outcome that depends on how many
		 * pages are left (an allocation, fragment's count, the page
		 * accounting) may differ from then on. */
		if ((i ? a[i - 1].pt != b[i - 1].pt : false) ||
		    a[i].pt != b[i].pt) {
			*known = "page tables: different addresses cost "
				 "different page-table pages, so free memory "
				 "differs";
			return 0;
		}
		/* Bytes never written read as their frame's identity fill
		 * (docs/shadow.md "Frame contents"): the runs take frames in
		 * another order once their page tables differ, and a read
		 * past an area's end (a vread, or no guard page) meets other
		 * neighbours: the same bytes are not comparable across
		 * layouts. Each run's shadow checked every byte against the
		 * frame its page array names. */
		if (!strcmp(f, "data")) {
			*known = "never-written bytes read as their frame's "
				 "fill, and the runs hold the data in "
				 "different frames or areas (each run's "
				 "shadow checked them)";
			return 0;
		}
		*field = f;
		return 1;
	}
	if (na != nb) {
		*idx = n;
		*known = "page budget: it counts page-table pages, a run "
			 "stopped earlier";
	}
	return 0;
}

/* ---- running ------------------------------------------------------------- */

static uint64_t pages_acct(struct vmf_machine *m, uint64_t *pt)
{
	uint64_t free = 0;

	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		free += node_free_pages(m, (int)n);
	*pt = mmu_pgtable_pages(m);
	return free + *pt;
}

static void diff_hook(void *arg, struct vmf_machine *m, size_t idx)
{
	struct diff_run *run = arg;

	if (idx <= VMF_MAX_CMDS)
		run->acct_before[idx] = pages_acct(m, &run->pt_before[idx]);
}

static int diff_one(struct diff_run *run, unsigned policy,
		    const struct vmf_program *prog, const struct vmf_run_opts *o)
{
	struct vmf_run_opts so = {NULL, o ? o->stop_after : -1};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int bad;

	run->prog = *prog;
	run->prog.cfg.policy = policy;
	run->prog.header[HF_POLICY] = vmf_hfield_byte(HF_POLICY, policy);
	f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	so.trace = f;
	bad = interp_run_one(run->r, &run->prog, &so, &run->fail,
				     diff_hook, run);
	fclose(f);
	run->n = diff_parse_trace(buf, run->cmd, VMF_MAX_CMDS);
	for (size_t i = 0; i < run->n; i++) {
		uint64_t pt;

		if (i + 1 < run->n) {
			run->cmd[i].acct = run->acct_before[i + 1];
			run->cmd[i].pt = run->pt_before[i + 1];
		} else {
			run->cmd[i].acct = pages_acct(run->r->m, &pt);
			run->cmd[i].pt = pt;
		}
	}
	if (o && o->trace) {
		fprintf(o->trace, "## policy=%s\n",
			vmf_placement_get(policy)->name);
		fputs(buf ? buf : "", o->trace);
	}
	free(buf);
	return bad;
}

static void diff_fail(struct vmf_runner *r, const struct vmf_program *prog,
		      size_t idx, const char *field, const struct diff_run *a,
		      unsigned pa, const struct diff_run *b, unsigned pb,
		      struct vmf_failure *fail)
{
	char check[48], detail[1024];
	const struct diff_cmd *x = &a->cmd[idx], *y = &b->cmd[idx];

	(void)r;
	snprintf(check, sizeof(check), "diff/%s", field);
	snprintf(detail, sizeof(detail),
		 "the placement policies disagree on what must not depend on "
		 "addresses:\n  %s: %s| warn=%s | %s| pages %" PRIu64
		 "\n  %s: %s| warn=%s | %s| pages %" PRIu64,
		 vmf_placement_get(pa)->name, x->res, x->warn, x->data,
		 x->acct, vmf_placement_get(pb)->name, y->res, y->warn,
		 y->data, y->acct);
	if (fail)
		vmf_report_build(fail, prog, idx, check, detail, "");
}

/* Compare the runs of policies p and q: 1 on a report. */
static int diff_pair(struct vmf_runner *r, const struct vmf_program *prog,
		     const struct vmf_diff *d, unsigned p, unsigned q, FILE *t,
		     struct vmf_failure *fail)
{
	const struct diff_run *a = &d->run[p], *b = &d->run[q];
	const char *field, *known, *np = vmf_placement_get(p)->name,
				   *nq = vmf_placement_get(q)->name;
	size_t idx = 0;

	if (diff_compare(a->cmd, a->n, vmf_placement_get(p)->guarantee, b->cmd,
			 b->n, vmf_placement_get(q)->guarantee, &idx, &field,
			 &known)) {
		diff_fail(r, prog, idx, field, a, p, b, q, fail);
		if (t)
			fprintf(t, "## diff %s/%s: #%zu disagrees: %s\n", np,
				nq, idx, fail ? fail->signature : field);
		return 1;
	}
	if (t && known)
		fprintf(t, "## diff %s/%s: known difference at #%zu (%s): "
			   "compared up to there\n", np, nq, idx, known);
	else if (t)
		fprintf(t, "## diff %s/%s: %zu commands agree\n", np, nq,
			a->n < b->n ? a->n : b->n);
	return 0;
}

int interp_diff_run(struct vmf_runner *r, const struct vmf_program *prog,
		    const struct vmf_run_opts *opts, struct vmf_failure *fail)
{
	struct vmf_diff *d = r->diff;
	FILE *t = opts ? opts->trace : NULL;

	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return 1;
		r->diff = d;
	}
	for (unsigned p = 0; p < VMF_POLICY_NR; p++) {
		if (!d->run[p].r)
			d->run[p].r = vmf_runner_new();
		if (!d->run[p].r)
			return 1;
	}
	if (t) {
		vmf_header_print(prog, t);
		fputc('\n', t);
	}
	for (unsigned p = 0; p < VMF_POLICY_NR; p++) {
		int bad = diff_one(&d->run[p], p, prog, opts);

		if (bad) {
			/* A policy's own run disagreed with its shadow. */
			if (fail)
				*fail = d->run[p].fail;
			if (t)
				fprintf(t, "## policy=%s: %s\n",
					vmf_placement_get(p)->name,
					d->run[p].fail.signature);
			return 1;
		}
	}
	/* Every pair: legacy and nextfit may both overflow where modern
	 * does not, and only one of them may do it with space. */
	for (unsigned p = 0; p < VMF_POLICY_NR; p++)
		for (unsigned q = p + 1; q < VMF_POLICY_NR; q++)
			if (diff_pair(r, prog, d, p, q, t, fail))
				return 1;
	return 0;
}

struct vmf_machine *interp_diff_machine(struct vmf_diff *d)
{
	return d && d->run[0].r ? d->run[0].r->m : NULL;
}

void interp_diff_free(struct vmf_diff *d)
{
	if (!d)
		return;
	for (unsigned p = 0; p < VMF_POLICY_NR; p++)
		interp_runner_release(d->run[p].r);
	free(d);
}
