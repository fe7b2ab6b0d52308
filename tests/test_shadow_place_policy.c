/* The whole shadow under each placement policy, driven through its public
 * entry points (shadow_reset, shadow_early_add, shadow_init, shadow_alloc,
 * shadow_free, shadow_purge) with library answers worked out by hand from
 * Linux 6.1's rules: the predictor is picked from cfg.policy, the free tree
 * is built at vmalloc_init, the preload's kmalloc-site calls are counted,
 * the overflow -> purge -> retry loop and the release at purge reach the
 * policy, a pruned-search choice is a finding, and a policy with no
 * predictor follows the observed address (and a wrong one is reported).
 * The observer only answers the counters (the declared guarantee); no
 * library code runs. */
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"
#include "test.h"

#define P 0x1000ull

struct obs {
	unsigned guarantee;
};

static void obs_counters(void *ctx, struct sh_counters *c)
{
	c->place_guarantee = ((struct obs *)ctx)->guarantee;
}

static struct shadow *new_shadow(unsigned policy, struct obs *o)
{
	struct shadow *sh = shadow_new();
	struct vmf_config cfg;
	struct sh_observer ob;

	vmf_config_default(&cfg);
	cfg.policy = policy;
	vmf_config_resolve(&cfg);
	memset(&ob, 0, sizeof(ob));
	ob.ctx = o;
	ob.counters = obs_counters;
	CHECK(sh != NULL);
	CHECK_EQ(shadow_reset(sh, &cfg, &ob), 0);
	return sh;
}

/* get_vm_area_node(size, align, [start, end)): what the shadow predicts
 * given the library returned observed. -1 when it disagrees. */
static int area(struct shadow *sh, uint64_t size, uint64_t align,
		vaddr_t start, vaddr_t end, vaddr_t observed)
{
	struct sh_alloc_req q;
	struct sh_fail f;

	memset(&q, 0, sizeof(q));
	q.entry = SH_E_GET_VM_AREA_NODE;
	q.size = size;
	q.align = align;
	q.start = start;
	q.end = end;
	q.gfp = GFP_KERNEL;
	q.node = NUMA_NO_NODE;
	shadow_begin(sh);
	return shadow_alloc(sh, &q, observed, &f);
}

static void early(struct shadow *sh, vaddr_t addr, uint64_t size)
{
	struct sh_fail f;

	CHECK_EQ(shadow_early_add(sh, addr, size, SH_VM_ALLOC, "early", 0, &f), 0);
}

static void modern_through_the_shadow(void)
{
	struct obs o = {0};
	struct shadow *sh = new_shadow(SH_POLICY_MODERN, &o);
	vaddr_t W = sh->vm_start, E = W + 64 * P;
	uint64_t km0;
	struct sh_fail f;

	CHECK_STR(sh->place.name, "modern");
	/* No declaration observed: modern's own. */
	CHECK_EQ(sh->place_guarantee, SH_PLACE_TREE_LOWEST |
					      SH_PLACE_MAY_OVERFLOW_WITH_SPACE);
	CHECK_EQ(sh->modern.nr_free, 0);
	CHECK_EQ(shadow_init(sh), 0);
	CHECK_EQ(sh->modern.nr_free, 1); /* [1, ULONG_MAX) */
	km0 = sh->exp.fault_calls[FAULT_KMALLOC];
	/* A: NE in [1, MAX): vm_struct, vmap_area, then the preload call;
	 * the split takes the preload. */
	CHECK_EQ(area(sh, P, P, W, E, W), 0);
	CHECK_EQ(sh->exp.fault_calls[FAULT_KMALLOC] - km0, 3);
	CHECK(!sh->modern.preload[0]);
	CHECK_EQ(sh->modern.nr_free, 2);
	/* B: LE of [W+2P, MAX): the empty slot is refilled (3 calls). */
	CHECK_EQ(area(sh, P, P, W, E, W + 2 * P), 0);
	CHECK_EQ(sh->exp.fault_calls[FAULT_KMALLOC] - km0, 6);
	CHECK(sh->modern.preload[0]);
	/* C: filled slot: 2 calls. */
	CHECK_EQ(area(sh, P, P, W, E, W + 4 * P), 0);
	CHECK_EQ(sh->exp.fault_calls[FAULT_KMALLOC] - km0, 8);
	/* Free A (lazy): nothing returns to the free tree before a purge. */
	shadow_begin(sh);
	CHECK_EQ(shadow_free(sh, SH_F_FREE_VM_AREA, W, 1, 0, &f), 0);
	CHECK_EQ(sh->modern.nr_free, 2);
	/* [W, W+6P) only: A is lazy, so the first try overflows, the purge
	 * merges A into [1, W) and the retry takes W (RE). */
	CHECK_EQ(area(sh, P, P, W, W + 6 * P, W), 0);
	CHECK_EQ(sh->exp.nr_overflow_purges, 1);
	CHECK_EQ(sh->modern.last_fit, SH_FIT_RE);
	CHECK_EQ(sh->modern.nr_free, 2);
	CHECK_EQ(shadow_place_findings(sh), 0);
	/* Full range, library claims another address: reported. */
	CHECK(area(sh, P, P, W, E, W + 10 * P) != 0);
	shadow_destroy(sh);
}

/* Early areas [W, W+P), [W+2P, W+4P), [W+6P, W+8P), [W+24P, W+25P):
 * free [1, W), X [W+P, W+2P), Y [W+4P, W+6P), R [W+8P, W+24P),
 * T [W+25P, MAX), inserted in address order: X(F0, R(Y, T)). */
static void early_layout(struct shadow *sh)
{
	vaddr_t W = sh->vm_start;

	early(sh, W, P);
	early(sh, W + 2 * P, 2 * P);
	early(sh, W + 6 * P, 2 * P);
	early(sh, W + 24 * P, P);
	CHECK_EQ(shadow_init(sh), 0);
}

static void pruned_search_is_a_finding(void)
{
	struct obs o = {0};
	struct shadow *sh = new_shadow(SH_POLICY_MODERN, &o);
	vaddr_t W = sh->vm_start;

	early_layout(sh);
	CHECK_EQ(sh->modern.nr_free, 5);
	/* One page + guard aligned to 4 pages, length 6P - 1: at X the left
	 * subtree is entered ([1, W) is huge and W < X) and fails; back at
	 * X, vstart moves to X + 1 and R's subtree is entered; Y (2P) is
	 * below the length: R at W+8P, although Y holds it at W+4P. */
	CHECK_EQ(area(sh, P, 4 * P, W, W + 64 * P, W + 8 * P), 0);
	CHECK_EQ(shadow_place_findings(sh), 1);
	CHECK(!sh->place_fail);
	/* The library placing it in Y instead is a disagreement. */
	shadow_destroy(sh);
	sh = new_shadow(SH_POLICY_MODERN, &o);
	early_layout(sh);
	CHECK(area(sh, P, 4 * P, W, W + 64 * P, W + 4 * P) != 0);
	shadow_destroy(sh);
}

static void no_predictor_follows_the_library(void)
{
	struct obs o = {SH_PLACE_ANY_FIT};
	struct shadow *sh = new_shadow(2 /* nextfit */, &o);
	vaddr_t W = sh->vm_start;

	CHECK_STR(sh->place.name, "tracking");
	CHECK_EQ(sh->place_guarantee, SH_PLACE_ANY_FIT);
	early_layout(sh);
	/* Any fitting address is taken as observed. */
	CHECK_EQ(area(sh, P, 4 * P, W, W + 64 * P, W + 8 * P), 0);
	CHECK(sh_busy_find(&sh->busy, W + 8 * P) != NULL);
	CHECK_EQ(shadow_place_findings(sh), 0);
	CHECK(!sh->place_fail);
	/* An address over an early area: the shadow cannot place it there,
	 * overflows, purges, overflows again with space: the address check
	 * and the generic rule both disagree. */
	CHECK(area(sh, P, P, W, W + 64 * P, W + 2 * P) != 0);
	CHECK(sh->place_fail);
	CHECK(strstr(sh->place_fail_text, "overflowed") != NULL);
	shadow_destroy(sh);
}

TEST_MAIN(TEST(modern_through_the_shadow), TEST(pruned_search_is_a_finding),
	  TEST(no_predictor_follows_the_library))
