/* Placement for every policy: which predictor runs, the generic rules
 * every policy's placements must keep by its declared guarantee, and the
 * tracking "predictor" of a policy the shadow cannot predict.
 *
 * Generic rules, on every attempt of alloc_vmap_area (sh_place_judge):
 * the area lies in [vstart, vend), is aligned, overlaps no busy area (lazy
 * ones included) and carries its guard page (its end is checked against
 * the library's in verify_new_area); an overflow happens only when no
 * fitting hole exists after the purge, unless the policy declares
 * SH_PLACE_MAY_OVERFLOW_WITH_SPACE; a LOWEST_FIT / TOP_DOWN policy takes
 * the lowest / highest fitting address of the shadow's own linear scan.
 * A deviation the declaration allows (TREE_LOWEST's pruned search, the
 * overflow flag) is a finding: counted, never a report. */
#include <stdio.h>
#include <string.h>

#include "shadow_model.h"

/* ---- which predictor runs ------------------------------------------------ */

static bool env_km_call(void *ctx)
{
	return !sh_should_fail(ctx, FAULT_KMALLOC);
}

static void env_warn_once(void *ctx)
{
	sh_expect_warn_kind(ctx, WARN_VMAP_NE_FIT_FAIL);
}

static unsigned env_cpu(void *ctx)
{
	return ((struct shadow *)ctx)->cur_cpu;
}

/* The declaration when the observer gives none (0): what legacy and modern
 * declare (include/vmfuzz/placement.h), any-fit for a policy unknown. */
static unsigned default_guarantee(unsigned policy)
{
	if (policy == VMF_POLICY_LEGACY)
		return SH_PLACE_LOWEST_FIT | SH_PLACE_MAY_OVERFLOW_WITH_SPACE;
	if (policy == SH_POLICY_MODERN)
		return SH_PLACE_TREE_LOWEST | SH_PLACE_MAY_OVERFLOW_WITH_SPACE;
	return SH_PLACE_ANY_FIT;
}

void sh_place_select(struct shadow *sh)
{
	struct sh_counters c;

	switch (sh->cfg.policy) {
	case VMF_POLICY_LEGACY:
		sh_place_legacy_ops(&sh->place);
		sh->place_state = &sh->legacy;
		break;
	case SH_POLICY_MODERN:
		sh_place_modern_ops(&sh->place);
		sh->place_state = &sh->modern;
		sh->modern.env.ctx = sh;
		sh->modern.env.km_call = env_km_call;
		sh->modern.env.warn_once = env_warn_once;
		sh->modern.env.cpu = env_cpu;
		sh->modern.page_size = sh->page_size;
		break;
	default: /* nextfit and any other: generic rules only */
		sh_place_tracking_ops(&sh->place);
		sh->tracking.obs = &sh->obs;
		sh->place_state = &sh->tracking;
		break;
	}
	memset(&c, 0, sizeof(c));
	if (sh->obs.counters)
		sh->obs.counters(sh->obs.ctx, &c);
	sh->place_guarantee = c.place_guarantee ?
				      c.place_guarantee :
				      default_guarantee(sh->cfg.policy);
	sh->place_findings = 0;
	sh->place_fail = false;
	sh->place.reset(sh->place_state);
}

/* ---- linear scans ---------------------------------------------------------- */

/* First busy area whose end is above addr (the ends are sorted too). */
static size_t first_end_above(const struct sh_busy *b, vaddr_t addr)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->a[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

bool sh_lowest_fit(const struct sh_busy *b, uint64_t size, uint64_t align,
		   vaddr_t vstart, vaddr_t vend, vaddr_t *out)
{
	for (size_t i = first_end_above(b, vstart); i <= b->n; i++) {
		vaddr_t lo = vstart, a;

		if (i > 0 && b->a[i - 1].end > lo)
			lo = b->a[i - 1].end;
		a = (lo + (align - 1)) & ~(align - 1);
		/* A wrap or the range's end: no higher hole does better. */
		if (a < lo || a + size < a || a + size > vend)
			return false;
		if (i == b->n || a + size <= b->a[i].start) {
			*out = a;
			return true;
		}
	}
	return false;
}

bool sh_highest_fit(const struct sh_busy *b, uint64_t size, uint64_t align,
		    vaddr_t vstart, vaddr_t vend, vaddr_t *out)
{
	for (size_t i = b->n + 1; i-- > 0;) {
		vaddr_t lo = i > 0 ? b->a[i - 1].end : 0;
		vaddr_t hi = i < b->n ? b->a[i].start : vend;
		vaddr_t a;

		if (hi > vend)
			hi = vend;
		if (lo < vstart)
			lo = vstart;
		if (hi <= vstart && i < b->n)
			return false;
		if (hi < lo || hi - lo < size)
			continue;
		a = (hi - size) & ~(align - 1);
		if (a >= lo) {
			*out = a;
			return true;
		}
	}
	return false;
}

/* ---- the generic rules ---------------------------------------------------- */

static void place_fail(struct shadow *sh, const char *fmt,
		       unsigned long long a, unsigned long long b2,
		       unsigned long long c)
{
	if (sh->place_fail)
		return; /* the first broken rule of the command */
	sh->place_fail = true;
	snprintf(sh->place_fail_text, sizeof(sh->place_fail_text), fmt, a, b2,
		 c);
}

void sh_place_judge(struct shadow *sh, uint64_t size, uint64_t align,
		    vaddr_t vstart, vaddr_t vend, bool ok, vaddr_t addr,
		    bool final)
{
	unsigned kind = sh->place_guarantee & SH_PLACE_KIND_MASK;
	bool flag = (sh->place_guarantee & SH_PLACE_MAY_OVERFLOW_WITH_SPACE);
	vaddr_t low = 0, high = 0;
	bool fits = sh_lowest_fit(&sh->busy, size, align, vstart, vend, &low);

	if (!ok) {
		/* Modern's NE split without a node: no space question. */
		if (!fits || (sh->place_state == (void *)&sh->modern &&
			      sh->modern.last_nomem))
			return;
		if (flag)
			sh->place_findings++;
		else if (final)
			place_fail(sh,
				   "the policy overflowed although 0x%llx bytes "
				   "fit at 0x%llx (align 0x%llx) after the purge",
				   (unsigned long long)size,
				   (unsigned long long)low,
				   (unsigned long long)align);
		return;
	}
	if ((addr & (align - 1)) || addr < vstart || addr + size < addr ||
	    addr + size > vend) {
		place_fail(sh,
			   "placed at 0x%llx: not aligned to 0x%llx or not "
			   "inside the range ending 0x%llx",
			   (unsigned long long)addr, (unsigned long long)align,
			   (unsigned long long)vend);
		return;
	}
	{
		size_t i = sh_busy_lower(&sh->busy, addr);

		if ((i < sh->busy.n && sh->busy.a[i].start < addr + size) ||
		    (i > 0 && sh->busy.a[i - 1].end > addr)) {
			const struct sh_area *o =
				i < sh->busy.n &&
						sh->busy.a[i].start < addr + size ?
					&sh->busy.a[i] :
					&sh->busy.a[i - 1];

			place_fail(sh,
				   "placed at 0x%llx over the busy area "
				   "[0x%llx, 0x%llx)",
				   (unsigned long long)addr,
				   (unsigned long long)o->start,
				   (unsigned long long)o->end);
			return;
		}
	}
	if ((kind == SH_PLACE_LOWEST_FIT || kind == SH_PLACE_TREE_LOWEST) &&
	    fits && addr > low) {
		if (kind == SH_PLACE_TREE_LOWEST || flag)
			sh->place_findings++;
		else
			place_fail(sh,
				   "placed at 0x%llx although 0x%llx bytes fit "
				   "lower, at 0x%llx (lowest fit declared)",
				   (unsigned long long)addr,
				   (unsigned long long)size,
				   (unsigned long long)low);
	} else if (kind == SH_PLACE_TOP_DOWN &&
		   sh_highest_fit(&sh->busy, size, align, vstart, vend,
				  &high) &&
		   addr < high) {
		if (flag)
			sh->place_findings++;
		else
			place_fail(sh,
				   "placed at 0x%llx although 0x%llx bytes fit "
				   "higher, at 0x%llx (top-down declared)",
				   (unsigned long long)addr,
				   (unsigned long long)size,
				   (unsigned long long)high);
	}
}

uint64_t shadow_place_findings(const struct shadow *sh)
{
	return sh->place_findings;
}

/* ---- tracking: a policy with no predictor --------------------------------
 * Each try takes the library's next placement (the observer's place_get,
 * in order), once that range is free in the shadow (else the library must
 * have purged first: an overflow here makes the common code purge); no
 * next placement means the library overflowed. The generic rules judge
 * every one. Without place_get (unit tests), the command's returned
 * address and then the lowest fit stand in. */

static void tracking_reset(void *st)
{
	struct sh_tracking *T = st;
	const struct sh_observer *obs = T->obs;

	memset(T, 0, sizeof(*T));
	T->obs = obs; /* the machine's log restarts at its reset too */
}

static int tracking_attempt(void *st, const struct sh_busy *b, uint64_t size,
			    uint64_t align, vaddr_t vstart, vaddr_t vend,
			    vaddr_t *out)
{
	struct sh_tracking *T = st;

	if (T->obs && T->obs->place_get) {
		vaddr_t a;
		size_t i;

		/* The library placed nothing more: it overflowed here. */
		if (!T->obs->place_get(T->obs->ctx, T->seq + 1, &a))
			return -1;
		/* The library's attempt found no room (address 0): this try
		 * overflows too, and the next one is judged on its own (a
		 * failed vmalloc_huge attempt, then its fallback). */
		if (!a) {
			T->seq++;
			return -1;
		}
		i = sh_busy_lower(b, a);
		/* Still covered by a lazy area: the library must have purged
		 * first (the overflow path), so this try overflows too. */
		if ((i < b->n && b->a[i].start < a + size) ||
		    (i > 0 && b->a[i - 1].end > a))
			return -1;
		T->seq++;
		*out = a;
		return 0;
	}
	if (T->hint_set) {
		vaddr_t a = T->hint;
		size_t i = sh_busy_lower(b, a);
		bool busy = (i < b->n && b->a[i].start < a + size) ||
			    (i > 0 && b->a[i - 1].end > a);

		if (busy)
			return -1;
		T->hint_set = false;
		*out = a;
		return 0;
	}
	return sh_lowest_fit(b, size, align, vstart, vend, out) ? 0 : -1;
}

static void tracking_inserted(void *st, const struct sh_busy *b, size_t idx)
{
	(void)st;
	(void)b;
	(void)idx;
}

static void tracking_releasing(void *st, const struct sh_busy *b, size_t idx)
{
	(void)st;
	(void)b;
	(void)idx;
}

static int tracking_compare(const void *st, const struct sh_counters *o,
			    char *why, size_t len)
{
	(void)st;
	(void)o;
	(void)why;
	(void)len;
	return 0;
}

static void tracking_describe(const void *st, char *buf, size_t len)
{
	(void)st;
	snprintf(buf, len, "no predictor: placements follow the library");
}

void sh_place_tracking_ops(struct sh_place_ops *ops)
{
	ops->name = "tracking";
	ops->reset = tracking_reset;
	ops->init = NULL;
	ops->attempt = tracking_attempt;
	ops->inserted = tracking_inserted;
	ops->releasing = tracking_releasing;
	ops->compare = tracking_compare;
	ops->describe = tracking_describe;
}
