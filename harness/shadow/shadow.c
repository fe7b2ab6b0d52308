/* The shadow model: life cycle, expectations, and the per-command checks.
 *
 * The model of each entry point is in shadow_vm.c, data accesses in
 * shadow_access.c, placement in shadow_place.c, page tables and physical
 * memory in shadow_pt.c, expected bytes in shadow_data.c.
 *
 * Expectations are absolute: the shadow keeps the value every observed
 * counter must have after each command (warning sequence, fault-site
 * calls, free pages per node, page-table pages, metadata objects, flush
 * events, purge counters, lazy counts, deferred counts, the placement
 * cache), so any difference, on any command, is caught at that command.
 * Checks run in a fixed order (docs/shadow.md) so that a defect always
 * shows under the same first check. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/page_alloc.h>

#include "cmd.h"
#include "shadow_model.h"
#include "shadow_vminfo.h"
#include "shadow_walk.h"

_Static_assert(SH_MAX_AREAS >= 2 * VMF_MAX_CMDS,
	       "SH_MAX_AREAS: two areas per command at most");

/* Room for a command's next expected event in *arr (n stored, *cap
 * room): doubles when full. NULL on host OOM. */
static void *event_slot(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n == *cap) {
		size_t c = *cap ? *cap * 2 : SH_EVENTS_INIT;
		void *na = realloc(*arr, c * elem);

		if (!na)
			return NULL;
		*arr = na;
		*cap = c;
	}
	return (char *)*arr + n * elem;
}

/* The next warning's expectation, stored while none of the command's
 * was lost (so that [i] stays event before + 1 + i). */
static struct sh_warn_exp *add_warn(struct shadow *sh, enum vmf_warn_kind kind)
{
	struct sh_warn_exp *w = NULL;

	sh->exp.warn_seq++;
	sh->exp.warn_count[kind]++;
	if (sh->nr_warns + 1 == sh->exp.warn_seq - sh->warn_seq_before)
		w = event_slot((void **)&sh->warns, &sh->warns_cap,
			       sh->nr_warns, sizeof(*w));
	if (!w)
		return NULL;
	sh->nr_warns++;
	w->kind = kind;
	w->text_known = false;
	w->text_contains = false;
	w->text[0] = 0;
	return w;
}

void sh_expect_warn(struct shadow *sh, enum vmf_warn_kind kind,
		    const char *fmt, ...)
{
	va_list ap;
	struct sh_warn_exp *w = add_warn(sh, kind);

	if (w && fmt) {
		w->text_known = true;
		va_start(ap, fmt);
		vsnprintf(w->text, sizeof(w->text), fmt, ap);
		va_end(ap);
	}
}

void sh_expect_warn_kind(struct shadow *sh, enum vmf_warn_kind kind)
{
	add_warn(sh, kind);
}

void sh_expect_warn_phrase(struct shadow *sh, enum vmf_warn_kind kind,
			   const char *phrase)
{
	struct sh_warn_exp *w = add_warn(sh, kind);

	if (w) {
		snprintf(w->text, sizeof(w->text), "%s", phrase);
		w->text_contains = true;
	}
}

void sh_expect_flush(struct shadow *sh, enum tlb_flush_kind kind,
		     vaddr_t start, vaddr_t end)
{
	struct sh_flush_exp *x = NULL;

	sh->exp.flush_seq++;
	if (sh->nr_flushes + 1 == sh->exp.flush_seq - sh->flush_seq_before)
		x = event_slot((void **)&sh->flushes, &sh->flushes_cap,
			       sh->nr_flushes, sizeof(*x));
	if (!x)
		return;
	sh->nr_flushes++;
	x->kind = kind;
	x->start = start;
	x->end = end;
}

bool sh_should_fail(struct shadow *sh, enum vmf_fault_site site)
{
	bool fail = false;

	sh->exp.fault_calls[site]++;
	switch (sh->fault_mode[site]) {
	case FAULT_NTH:
		if (--sh->fault_nth[site] == 0) {
			fail = true;
			sh->fault_mode[site] = FAULT_OFF;
		}
		break;
	case FAULT_ALWAYS:
		fail = true;
		break;
	default:
		break;
	}
	return fail;
}

/* Names as warn.h / fault.h list them (the shadow keeps its own copy). */
const char *sh_warn_name(enum vmf_warn_kind kind)
{
	switch (kind) {
	case WARN_NONE: return "none";
	case WARN_PAGE_BAD_ORDER: return "page_bad_order";
	case WARN_PAGE_BAD_NODE: return "page_bad_node";
	case WARN_PAGE_NOT_ALLOCATED: return "page_not_allocated";
	case WARN_PAGE_WRONG_ORDER: return "page_wrong_order";
	case WARN_PAGE_TAIL: return "page_tail";
	case WARN_PAGE_ALLOC_FAIL: return "page_alloc_fail";
	case WARN_MMU_BAD_ARG: return "mmu_bad_arg";
	case WARN_MMU_BBM: return "mmu_break_before_make";
	case WARN_MMU_REMAP: return "mmu_remap";
	case WARN_VMAP_ALLOC_FAILED: return "vmap_alloc_failed";
	case WARN_VMALLOC_ALLOC_FAILURE: return "vmalloc_alloc_failure";
	case WARN_VMALLOC_BAD_SIZE: return "vmalloc_bad_size";
	case WARN_VMALLOC_BAD_ALIGN: return "vmalloc_bad_align";
	case WARN_VMALLOC_BAD_RANGE: return "vmalloc_bad_range";
	case WARN_VFREE_BAD_ADDR: return "vfree_bad_addr";
	case WARN_VFREE_NONEXISTENT: return "vfree_nonexistent";
	case WARN_VFREE_DOUBLE: return "vfree_double";
	case WARN_VFREE_INTERIOR: return "vfree_interior";
	case WARN_VFREE_WRONG_KIND: return "vfree_wrong_kind";
	case WARN_VMALLOC_EARLY_OVERLAP: return "vmalloc_early_overlap";
	case WARN_VMALLOC_EARLY_LATE: return "vmalloc_early_late";
	case WARN_VMALLOC_BAD_ARG: return "vmalloc_bad_arg";
	case WARN_VM_UNMAP_RAM_BAD: return "vm_unmap_ram_bad";
	case WARN_VMAP_NE_FIT_FAIL: return "vmap_ne_fit_fail";
	default: return "?";
	}
}

const char *sh_site_name(unsigned site)
{
	switch (site) {
	case FAULT_PAGE_ALLOC: return "page_alloc";
	case FAULT_KMALLOC: return "kmalloc";
	case FAULT_PGTABLE: return "pgtable";
	default: return "?";
	}
}

void sh_add_pending(struct shadow *sh, enum sh_pending_kind kind,
		    vaddr_t start, vaddr_t end)
{
	if (sh->nr_pending == sh->pending_cap) {
		size_t cap = sh->pending_cap ? sh->pending_cap * 2 : 64;
		struct sh_pending *np = realloc(sh->pending, cap * sizeof(*np));

		if (!np) {
			sh->pending_overflow = true;
			return;
		}
		sh->pending = np;
		sh->pending_cap = cap;
	}
	sh->pending[sh->nr_pending].kind = kind;
	sh->pending[sh->nr_pending].start = start;
	sh->pending[sh->nr_pending].end = end;
	sh->nr_pending++;
}

void shadow_fault_set(struct shadow *sh, unsigned site, unsigned mode,
		      uint64_t n)
{
	/* vmf_fault_set's contract (fault.h): unknown sites are ignored,
	 * unknown modes mean off, n == 0 means 1. */
	if (site >= FAULT_SITE_NR)
		return;
	sh->fault_mode[site] = mode <= FAULT_ALWAYS ? mode : FAULT_OFF;
	sh->fault_nth[site] = n ? n : 1;
}

void shadow_set_cpu(struct shadow *sh, unsigned cpu)
{
	sh->cur_cpu = cpu;
}

/* ---- life cycle ------------------------------------------------------------- */

struct shadow *shadow_new(void)
{
	struct shadow *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	if (sh_data_init(&sh->data)) {
		free(sh);
		return NULL;
	}
	sh_place_legacy_ops(&sh->place);
	sh->place_state = &sh->legacy;
	/* Full size now: no input grows these (AFL++ stability). */
	sh->pending = malloc(SH_MAX_PENDING * sizeof(*sh->pending));
	sh->pending_cap = sh->pending ? SH_MAX_PENDING : 0;
	sh->warns = malloc(SH_EVENTS_INIT * sizeof(*sh->warns));
	sh->warns_cap = sh->warns ? SH_EVENTS_INIT : 0;
	sh->flushes = malloc(SH_EVENTS_INIT * sizeof(*sh->flushes));
	sh->flushes_cap = sh->flushes ? SH_EVENTS_INIT : 0;
	if (!sh->pending || !sh->warns || !sh->flushes || sh_vb_reset(sh) || sh_ver_init(&sh->ver) ||
	    sh_busy_reserve(&sh->busy, SH_MAX_AREAS) ||
	    sh_busy_reserve(&sh->early, SH_MAX_AREAS)) {
		shadow_destroy(sh);
		return NULL;
	}
	return sh;
}

void shadow_destroy(struct shadow *sh)
{
	if (!sh)
		return;
	sh_busy_free(&sh->busy);
	sh_busy_free(&sh->early);
	sh_modern_destroy(&sh->modern);
	sh_pt_free(&sh->pt);
	sh_phys_free(&sh->phys);
	sh_data_free(&sh->data);
	sh_vb_free(sh);
	sh_ver_free(&sh->ver);
	free(sh->pending);
	free(sh->warns);
	free(sh->flushes);
	free(sh);
}

static unsigned fls_u64(uint64_t x)
{
	unsigned r = 0;

	while (x) {
		r++;
		x >>= 1;
	}
	return r;
}

int shadow_reset(struct shadow *sh, const struct vmf_config *cfg,
		 const struct sh_observer *obs)
{
	sh->cfg = *cfg;
	sh->obs = *obs;
	sh->page_shift = cfg->page_shift;
	sh->page_size = 1ull << cfg->page_shift;
	sh->totalram = cfg->phys_size >> cfg->page_shift;
	/* lazy_max_pages(): fls(num_online_cpus()) * (32 MiB / PAGE_SIZE),
	 * unless the machine sets its own threshold. */
	sh->lazy_max = cfg->lazy_max_pages ? cfg->lazy_max_pages :
		       fls_u64(cfg->nr_cpus) *
			       ((32ull << 20) >> cfg->page_shift);
	sh->vm_start = cfg->vmalloc_start;
	sh->vm_end = cfg->vmalloc_end;

	sh_busy_clear(&sh->busy);
	sh_busy_clear(&sh->early);
	sh_place_select(sh); /* the policy the machine runs */
	sh_pt_reset(&sh->pt, cfg);
	if (sh_phys_reset(&sh->phys, cfg))
		return -1;
	sh_data_reset(&sh->data);
	if (sh_vb_reset(sh))
		return -1;

	memset(sh->fault_mode, 0, sizeof(sh->fault_mode));
	memset(sh->fault_nth, 0, sizeof(sh->fault_nth));
	sh->cur_cpu = 0;
	sh->in_interrupt = false;
	sh->initialized = false;
	sh->early_off = 0;
	sh->lazy_seq = sh->defer_seq = 0;

	memset(&sh->exp, 0, sizeof(sh->exp));
	memset(sh->prev_tlb, 0, sizeof(sh->prev_tlb));
	memset(&sh->huge, 0, sizeof(sh->huge));
	sh_ver_reset(&sh->ver);
	sh->exp.lazy_max_pages = sh->lazy_max;
	sh->nr_warns = sh->nr_flushes = sh->nr_pending = 0;
	sh->warn_seq_before = sh->flush_seq_before = 0;
	sh->pending_overflow = false;
	return 0;
}

void shadow_begin(struct shadow *sh)
{
	sh->nr_warns = 0;
	sh->warn_seq_before = sh->exp.warn_seq;
	sh->nr_flushes = 0;
	sh->flush_seq_before = sh->exp.flush_seq;
	sh->nr_pending = 0;
	sh->pending_overflow = false;
	sh->accessed = false;
	sh_huge_begin(sh);
}

/* ---- verification --------------------------------------------------------- */

static const char *state_name(unsigned st)
{
	switch (st) {
	case SH_LIVE: return "live";
	case SH_LAZY: return "lazy";
	case SH_DEFERRED: return "deferred";
	default: return "?";
	}
}

/* At most this many of a command's events are named in a report. */
#define SH_LIST_MAX 16

static int check_warnings(struct shadow *sh, const struct sh_counters *o,
			  struct sh_fail *f)
{
	uint64_t before = sh->warn_seq_before, last = sh->exp.warn_seq;
	size_t n = (size_t)(last - before);
	bool all = sh->nr_warns == n; /* every event compared below */

	if (o->warn_seq != last) {
		size_t got = o->warn_seq >= before ?
				     (size_t)(o->warn_seq - before) : 0;
		char exp_list[600] = "", got_list[600] = "";

		for (size_t i = 0; i < sh->nr_warns && i < SH_LIST_MAX; i++) {
			size_t l = strlen(exp_list);

			snprintf(exp_list + l, sizeof(exp_list) - l, "%s%s",
				 i ? ", " : "", sh_warn_name(sh->warns[i].kind));
		}
		for (size_t i = 0; i < got && i < 8; i++) {
			enum vmf_warn_kind k;
			const char *t;
			size_t l = strlen(got_list);

			if (sh->obs.warn_get(sh->obs.ctx, before + 1 + i, &k, &t))
				snprintf(got_list + l, sizeof(got_list) - l,
					 "%s%s \"%s\"", i ? ", " : "",
					 sh_warn_name(k), t);
		}
		return sh_fail(f, "warning",
			       "expected %zu warning(s) [%s%s], the library "
			       "recorded %zu [%s]",
			       n, exp_list, n > SH_LIST_MAX ? ", ..." : "", got,
			       got_list);
	}
	for (size_t i = 0; i < sh->nr_warns; i++) {
		enum vmf_warn_kind k;
		const char *t;
		const struct sh_warn_exp *w = &sh->warns[i];

		if (!sh->obs.warn_get(sh->obs.ctx, before + 1 + i, &k, &t)) {
			all = false; /* the library could not keep it */
			continue;
		}
		if (k != w->kind)
			return sh_fail(f, "warning",
				       "warning %zu of this command: expected "
				       "%s, the library recorded %s \"%s\"",
				       i + 1, sh_warn_name(w->kind), sh_warn_name(k),
				       t);
		if (w->text_known && strcmp(t, w->text) != 0)
			return sh_fail(f, "warning",
				       "warning %zu (%s): expected text \"%s\", "
				       "the library wrote \"%s\"",
				       i + 1, sh_warn_name(k), w->text, t);
		if (w->text_contains && !strstr(t, w->text))
			return sh_fail(f, "warning",
				       "warning %zu (%s): expected the kernel's "
				       "\"%s\", the library wrote \"%s\"",
				       i + 1, sh_warn_name(k), w->text, t);
	}
	/* Every event of the command was compared above unless one side
	 * lost some (host OOM): then the counts per kind say the rest. */
	if (all)
		return 0;
	for (unsigned k = 0; k < WARN_KIND_NR; k++)
		if (o->warn_count[k] != sh->exp.warn_count[k])
			return sh_fail(f, "warning",
				       "count of %s warnings: expected %u, "
				       "library %u",
				       sh_warn_name((enum vmf_warn_kind)k),
				       sh->exp.warn_count[k], o->warn_count[k]);
	return 0;
}

static const char *flush_name(enum tlb_flush_kind k)
{
	return k == TLB_FLUSH_ALL ? "all" :
	       k == TLB_FLUSH_PGTABLE ? "pgtable" : "range";
}

static int check_flushes(struct shadow *sh, const struct sh_counters *o,
			 struct sh_fail *f)
{
	uint64_t before = sh->flush_seq_before, last = sh->exp.flush_seq;
	size_t n = (size_t)(last - before);

	if (o->flush_seq != last) {
		char exp_list[400] = "";

		for (size_t i = 0; i < sh->nr_flushes && i < SH_LIST_MAX; i++) {
			const struct sh_flush_exp *x = &sh->flushes[i];
			size_t l = strlen(exp_list);

			snprintf(exp_list + l, sizeof(exp_list) - l,
				 "%s%s [0x%llx, 0x%llx)", i ? ", " : "",
				 flush_name(x->kind),
				 (unsigned long long)x->start,
				 (unsigned long long)x->end);
		}
		return sh_fail(f, "flush",
			       "expected %zu TLB flush(es) [%s%s], the library "
			       "made %lld",
			       n, exp_list, n > SH_LIST_MAX ? ", ..." : "",
			       (long long)(o->flush_seq - before));
	}
	/* Events the library could not keep (host OOM) are skipped: the
	 * count above still holds for them. */
	for (size_t i = 0; i < sh->nr_flushes; i++) {
		enum tlb_flush_kind k;
		vaddr_t s, e;
		const struct sh_flush_exp *x = &sh->flushes[i];

		if (!sh->obs.flush_get(sh->obs.ctx, before + 1 + i, &k, &s, &e))
			continue;
		if (k != x->kind || s != x->start || e != x->end)
			return sh_fail(f, "flush",
				       "flush %zu of this command: expected "
				       "%s [0x%llx, 0x%llx), the library made "
				       "%s [0x%llx, 0x%llx)",
				       i + 1, flush_name(x->kind),
				       (unsigned long long)x->start,
				       (unsigned long long)x->end,
				       flush_name(k),
				       (unsigned long long)s,
				       (unsigned long long)e);
	}
	return 0;
}

#define CMP(check, field, what)                                              \
	do {                                                                 \
		if (o->field != sh->exp.field)                               \
			return sh_fail(f, check,                             \
				       "%s: expected %llu, library %llu",    \
				       what,                                 \
				       (unsigned long long)sh->exp.field,    \
				       (unsigned long long)o->field);        \
	} while (0)

static void sync_expectations(struct shadow *sh)
{
	sh->exp.pgtable_pages = sh->pt.pages;
	for (unsigned n = 0; n < VMF_MAX_NODES; n++)
		sh->exp.node_free[n] = sh->phys.node_free[n];
	sh->exp.initialized = sh->initialized;
}

/* Owner of a frame as page_alloc.h names it. */
static unsigned lib_owner(enum sh_kind k)
{
	return k == SHK_VMAP ? OWNER_VMAP : OWNER_VMALLOC;
}

/* An earlier SH_P_NEW_AREA pending entry of this command at the same
 * start as entry i (new areas per command are few: a linear look). */
static bool new_area_seen(const struct shadow *sh, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (sh->pending[k].kind == SH_P_NEW_AREA &&
		    sh->pending[k].start == sh->pending[i].start)
			return true;
	return false;
}

static int verify_new_area(struct shadow *sh, vaddr_t start,
			   struct sh_fail *f)
{
	struct sh_area *a = sh_busy_find(&sh->busy, start);
	struct sh_area_obs ob;
	uint64_t ps = sh->page_size;

	if (!a || a->state != SH_LIVE)
		return 0; /* gone again within the command */
	if (!sh->obs.area_at(sh->obs.ctx, a->start, &ob))
		return sh_fail(f, "area",
			       "no busy area at 0x%llx, expected [0x%llx, "
			       "0x%llx)",
			       (unsigned long long)a->start,
			       (unsigned long long)a->start,
			       (unsigned long long)a->end);
	if (ob.start != a->start || ob.end != a->end || ob.state != SH_LIVE)
		return sh_fail(f, "area",
			       "new area: expected [0x%llx, 0x%llx) live (%s), "
			       "library [0x%llx, 0x%llx) %s",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end,
			       (a->flags & SH_VM_NO_GUARD) || a->kind == SHK_EARLY ?
				       "no guard page" :
				       "guard page included",
			       (unsigned long long)ob.start,
			       (unsigned long long)ob.end, state_name(ob.state));
	if (sh_vm_compare(sh, a, &ob, "created", f))
		return -1;
	/* Aligned, inside the range and clear of every busy area: judged
	 * independently of the placement model on every attempt, before
	 * the area went in (sh_place_judge, reported as "placement" first
	 * thing in verify_command); nothing else creates a new area. */
	/* Reuse: no TLB entry may translate an address of the new area. */
	if (sh->obs.tlb_maps(sh->obs.ctx, a->start, a->end))
		return sh_fail(f, "tlb-reuse",
			       "a TLB entry still translates an address of the "
			       "new area [0x%llx, 0x%llx): handed out while a "
			       "stale translation may be live",
			       (unsigned long long)a->start,
			       (unsigned long long)a->end);
	if (a->kind == SHK_VBLOCK)
		return 0; /* its carves are checked one by one */
	if (a->kind == SHK_VMALLOC || a->kind == SHK_ARRAY ||
	    sh_kind_caller_pages(a->kind)) {
		bool own = !sh_kind_caller_pages(a->kind);
		uint64_t per_node[VMF_MAX_NODES] = {0};
		struct sh_page_obs batch[SH_PAGE_BATCH];

		if (own && !a->pfns && a->nr_pages) {
			a->pfns = calloc(a->nr_pages, sizeof(*a->pfns));
			if (!a->pfns)
				return 0;
		}
		for (uint64_t i = 0; i < a->nr_pages; i++) {
			vaddr_t va = a->start + i * ps;
			const struct sh_page_obs *pp = &batch[i % SH_PAGE_BATCH];
			pfn_t pfn;
			uint64_t want_desc;

			/* Per batch, the library's views once, the shadow's
			 * reader first (lib's walk, the page array), then
			 * the frames. */
			if (sh_walk_batch(sh, a, i, batch, f))
				return -1;
			if (!pp->mapped || pp->level != 3)
				return sh_fail(f, "mapping",
					       "page %llu of the new area [0x%llx, "
					       "0x%llx) at 0x%llx is not mapped by "
					       "a level-3 entry (%s, level %d)",
					       (unsigned long long)i,
					       (unsigned long long)a->start,
					       (unsigned long long)a->end,
					       (unsigned long long)va,
					       pp->mapped ? "mapped" : "unmapped",
					       pp->level);
			pfn = pp->pa >> sh->page_shift;
			want_desc = ((uint64_t)pfn << sh->page_shift) | a->prot;
			if (pp->desc != want_desc)
				return sh_fail(f, "mapping",
					       "page %llu at 0x%llx: descriptor "
					       "0x%016llx, expected pfn | prot = "
					       "0x%016llx (prot 0x%llx)",
					       (unsigned long long)i,
					       (unsigned long long)va,
					       (unsigned long long)pp->desc,
					       (unsigned long long)want_desc,
					       (unsigned long long)a->prot);
			if (!own) {
				if (pfn != a->pfns[i])
					return sh_fail(f, "mapping",
						       "vmap page %llu at 0x%llx "
						       "maps pfn 0x%llx, the caller "
						       "passed pfn 0x%llx",
						       (unsigned long long)i,
						       (unsigned long long)va,
						       (unsigned long long)pfn,
						       (unsigned long long)a->pfns[i]);
				continue;
			}
			if (!pp->ram || !pp->allocated ||
			    pp->owner != lib_owner((enum sh_kind)a->kind))
				return sh_fail(f, "phys-owner",
					       "page %llu at 0x%llx maps pfn "
					       "0x%llx which is %s (owner %u, "
					       "expected an allocated vmalloc "
					       "page)",
					       (unsigned long long)i,
					       (unsigned long long)va,
					       (unsigned long long)pfn,
					       !pp->ram ? "not RAM" :
					       !pp->allocated ? "free" : "allocated",
					       pp->owner);
			if (sh_phys_owner(&sh->phys, pfn) != SH_OWN_NONE)
				return sh_fail(f, "phys-owner",
					       "page %llu at 0x%llx maps pfn "
					       "0x%llx, which already belongs to "
					       "another live owner",
					       (unsigned long long)i,
					       (unsigned long long)va,
					       (unsigned long long)pfn);
			sh_phys_set_owner(&sh->phys, pfn, SH_OWN_VMALLOC);
			a->pfns[i] = pfn;
			per_node[sh_phys_node_of(&sh->phys, pfn)]++;
		}
		if (own) {
			for (unsigned n = 0; n < sh->phys.nr_nodes; n++)
				if (per_node[n] != a->node_pages[n])
					return sh_fail(f, "phys-node",
						       "new area at 0x%llx: %llu "
						       "pages on node %u, expected "
						       "%llu",
						       (unsigned long long)a->start,
						       (unsigned long long)per_node[n],
						       n,
						       (unsigned long long)a->node_pages[n]);
			a->pfns_known = true;
		}
	}
	/* The guard page (or, for a reservation, the area) maps nothing. */
	if (!(a->flags & SH_VM_NO_GUARD)) {
		if (sh_first_mapped(sh, a->end - ps, a->end, NULL))
			return sh_fail(f, "mapping",
				       "guard page 0x%llx of the new area "
				       "[0x%llx, 0x%llx) is mapped",
				       (unsigned long long)(a->end - ps),
				       (unsigned long long)a->start,
				       (unsigned long long)a->end);
	}
	if (a->nr_pages == 0) { /* a reservation: nothing of it mapped */
		vaddr_t first;

		if (sh_first_mapped(sh, a->start, a->end, &first))
			return sh_fail(f, "mapping",
				       "the reserved area [0x%llx, 0x%llx) has "
				       "0x%llx mapped",
				       (unsigned long long)a->start,
				       (unsigned long long)a->end,
				       (unsigned long long)first);
	}
	return 0;
}

/* Nothing of [start, end) may stay mapped, except pages mapped again
 * since by a live area. The pieces between those are asked whole (the
 * cost follows the tables, not the range's size). */
static int verify_unmapped(struct shadow *sh, vaddr_t start, vaddr_t end,
			   struct sh_fail *f)
{
	vaddr_t va = start, first;

	while (va < end) {
		const struct sh_area *a = sh_busy_containing(&sh->busy, va);
		vaddr_t stop = end;

		if (a && a->mapped &&
		    va < a->start + a->nr_pages * sh->page_size) {
			va = a->start + a->nr_pages * sh->page_size;
			continue; /* mapped again since */
		}
		if (a) {
			if (a->end < stop)
				stop = a->end;
		} else {
			size_t next = sh_busy_lower(&sh->busy, va + 1);

			if (next < sh->busy.n && sh->busy.a[next].start < stop)
				stop = sh->busy.a[next].start;
		}
		if (sh_first_mapped(sh, va, stop, &first))
			return sh_fail(f, "unmap",
				       "0x%llx of the freed range [0x%llx, "
				       "0x%llx) is still mapped (pa 0x%llx)",
				       (unsigned long long)first,
				       (unsigned long long)start,
				       (unsigned long long)end,
				       (unsigned long long)sh_mapped_pa(sh, first));
		va = stop;
	}
	return 0;
}

static int verify_command(struct shadow *sh, struct sh_fail *f)
{
	struct sh_counters ob, *o = &ob;

	sync_expectations(sh);
	memset(o, 0, sizeof(*o));
	sh->obs.counters(sh->obs.ctx, o);
	if (sh->place_fail) {
		sh->place_fail = false;
		return sh_fail(f, "placement", "%s", sh->place_fail_text);
	}

	/* 1. the new areas' bounds (guard page) */
	for (size_t i = 0; i < sh->nr_pending; i++) {
		const struct sh_pending *p = &sh->pending[i];
		struct sh_area *a;
		struct sh_area_obs ob2;

		if (p->kind != SH_P_NEW_AREA)
			continue;
		a = sh_busy_find(&sh->busy, p->start);
		if (!a || a->state != SH_LIVE)
			continue;
		if (!sh->obs.area_at(sh->obs.ctx, a->start, &ob2) ||
		    ob2.start != a->start || ob2.end != a->end)
			return verify_new_area(sh, p->start, f);
	}
	/* walk-stale, bbm (shadow_huge.c), 2. warnings, 3. fault-site calls */
	if (sh_huge_verify(sh, o, f) || check_warnings(sh, o, f))
		return -1;
	for (unsigned s = 0; s < FAULT_SITE_NR; s++)
		if (o->fault_calls[s] != sh->exp.fault_calls[s])
			return sh_fail(f, "fault-calls",
				       "calls at fault site %s: expected %llu, "
				       "library %llu",
				       sh_site_name(s),
				       (unsigned long long)sh->exp.fault_calls[s],
				       (unsigned long long)o->fault_calls[s]);
	/* 4. purges, 5. TLB flushes */
	CMP("purge", nr_purge_calls, "purge attempts");
	CMP("purge", nr_purges, "purges that found lazy areas");
	CMP("purge", nr_overflow_purges, "purges caused by an overflow");
	if (check_flushes(sh, o, f))
		return -1;
	/* 6. deferred frees, 7. lazy accounting */
	for (unsigned c = 0; c < VMF_MAX_CPUS; c++)
		if (o->nr_deferred[c] != sh->exp.nr_deferred[c])
			return sh_fail(f, "deferred",
				       "deferred frees queued on cpu %u: "
				       "expected %llu, library %llu",
				       c,
				       (unsigned long long)sh->exp.nr_deferred[c],
				       (unsigned long long)o->nr_deferred[c]);
	CMP("lazy", vmap_lazy_nr, "vmap_lazy_nr (pages awaiting purge)");
	CMP("lazy", nr_lazy, "lazily freed areas");
	CMP("lazy", nr_busy, "busy areas");
	CMP("lazy", lazy_max_pages, "lazy_max_pages");
	CMP("init", initialized, "vmalloc_init done");
	if (sh_vb_verify_counters(sh, o, f))
		return -1;
	/* 8. memory accounting */
	for (unsigned n = 0; n < VMF_MAX_NODES; n++)
		if (o->node_free[n] != sh->exp.node_free[n])
			return sh_fail(f, "pages",
				       "free pages on node %u: expected %llu, "
				       "library %llu",
				       n, (unsigned long long)sh->exp.node_free[n],
				       (unsigned long long)o->node_free[n]);
	CMP("pages", nr_leaked_pages,
	    "pages remove_vm_area left to its callers (nr_leaked_pages)");
	CMP("pgtable", pgtable_pages, "page-table pages");
	CMP("kmalloc", km_objects, "metadata objects (km.objects)");
	/* 9. what the command mapped and unmapped, 10. the TLB */
	for (size_t i = 0; i < sh->nr_pending; i++) {
		const struct sh_pending *p = &sh->pending[i];

		/* An area made, freed and made again at the same address in
		 * one command (a failed huge attempt's page array, then the
		 * fallback's) is one live area: verified once, or its frames
		 * would already be its own the second time. */
		if (p->kind == SH_P_NEW_AREA && !new_area_seen(sh, i) &&
		    verify_new_area(sh, p->start, f))
			return -1;
		if (p->kind == SH_P_UNMAPPED &&
		    verify_unmapped(sh, p->start, p->end, f))
			return -1;
		if (p->kind == SH_P_NEW_IOMAP &&
		    sh_huge_verify_map(sh, p->start, f))
			return -1;
		if (p->kind == SH_P_NEW_CARVE &&
		    sh_vb_verify_carve(sh, p->start, f))
			return -1;
		if (p->kind == SH_P_VM_CHANGED &&
		    sh_vm_check_at(sh, p->start, "changed", f))
			return -1;
	}
	for (size_t i = 0; i < sh->nr_pending; i++) {
		const struct sh_pending *p = &sh->pending[i];

		if (p->kind == SH_P_PURGED &&
		    sh->obs.tlb_maps(sh->obs.ctx, p->start, p->end))
			return sh_fail(f, "tlb-purged",
				       "after the purge a TLB entry still "
				       "translates an address of the flushed "
				       "span [0x%llx, 0x%llx)",
				       (unsigned long long)p->start,
				       (unsigned long long)p->end);
	}
	/* 11. nothing but an access touches the TLB's hit/miss/fill counts */
	if (!sh->accessed &&
	    (o->tlb_hits != sh->prev_tlb[0] || o->tlb_misses != sh->prev_tlb[1] ||
	     o->tlb_fills != sh->prev_tlb[2]))
		return sh_fail(f, "tlb-stats",
			       "a command without memory accesses changed the "
			       "TLB's hits/misses/fills from %llu/%llu/%llu to "
			       "%llu/%llu/%llu",
			       (unsigned long long)sh->prev_tlb[0],
			       (unsigned long long)sh->prev_tlb[1],
			       (unsigned long long)sh->prev_tlb[2],
			       (unsigned long long)o->tlb_hits,
			       (unsigned long long)o->tlb_misses,
			       (unsigned long long)o->tlb_fills);
	sh->prev_tlb[0] = o->tlb_hits;
	sh->prev_tlb[1] = o->tlb_misses;
	sh->prev_tlb[2] = o->tlb_fills;
	/* 12. the placement state */
	if (sh->place.compare(sh->place_state, o, sh->scratch,
			      sizeof(sh->scratch)))
		return sh_fail(f, strcmp(sh->place.name, "legacy") ? "free-tree" :
							     "cache",
			       "%s", sh->scratch);
	/* 13. every area the command touched, the ownership balance */
	return sh_verify_touched(sh, o, f);
}

/* The command has run and nothing changes the tables until the next one:
 * the reader may remember its descents for this pass (sh_walk_memo). */
int shadow_verify(struct shadow *sh, struct sh_fail *f)
{
	int bad;

	memset(&sh->ver.memo, 0, sizeof(sh->ver.memo));
	sh->ver.memo.on = true;
	bad = verify_command(sh, f);
	sh->ver.memo.on = false;
	return bad;
}

void shadow_describe(const struct shadow *sh, FILE *out)
{
	char buf[256];
	size_t lazy = 0, live = 0, deferred = 0;

	for (size_t i = 0; i < sh->busy.n; i++) {
		switch (sh->busy.a[i].state) {
		case SH_LIVE: live++; break;
		case SH_LAZY: lazy++; break;
		default: deferred++; break;
		}
	}
	sh->place.describe(sh->place_state, buf, sizeof(buf));
	fprintf(out,
		"shadow: %zu busy areas (%zu live, %zu lazy, %zu deferred), "
		"vmap_lazy_nr %llu of %llu, %s\n",
		sh->busy.n, live, lazy, deferred,
		(unsigned long long)sh->exp.vmap_lazy_nr,
		(unsigned long long)sh->lazy_max, buf);
	for (size_t i = 0; i < sh->busy.n && i < 24; i++) {
		const struct sh_area *a = &sh->busy.a[i];

		fprintf(out, "  [win+0x%llx, win+0x%llx) %s%s\n",
			(unsigned long long)(a->start - sh->vm_start),
			(unsigned long long)(a->end - sh->vm_start),
			state_name(a->state),
			a->kind == SHK_ARRAY ? " (page array)" :
			a->kind == SHK_EARLY ? " (early)" :
			a->kind == SHK_VMAP ? " (vmap)" :
			a->iomap ? " (ioremap)" :
			a->kind == SHK_VMAREA ? " (vm area)" :
			a->kind == SHK_VBLOCK ? " (vmap block)" :
			a->kind == SHK_VMRAM ? " (vm_map_ram)" : "");
	}
	if (sh->busy.n > 24)
		fprintf(out, "  ... %zu more\n", sh->busy.n - 24);
	sh_vb_describe(sh, out);
}
