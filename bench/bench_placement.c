/* alloc+free pairs per second of the placement alone (alloc_vmap_area and
 * the immediate release of the area: no pages, no page tables, no lazy
 * list), under the legacy (4.19) and the modern (6.1 free-space tree)
 * policies, on the shapes of the kernel's lib/test_vmalloc.c, behind 100,
 * 10,000 and 100,000 live areas (1 page + guard each):
 *
 *  fix_size        the same 1-page request every time;
 *  full_fit        the live areas leave 1-page holes between them
 *                  (allocate 2n, free every other): each request fills
 *                  the lowest hole exactly, and its release reopens it;
 *  random          size 1..16 pages, align 1..16 pages, random;
 *  long_busy_list  a 3-page and a 1-page request, then both released
 *                  (test_vmalloc's long_busy_list_alloc_test pattern);
 *  mixed           the four in turn.
 *
 * The kernel's headline for the 5.2 rewrite was 3.3x to 7.5x fewer cycles
 * on these workloads. The last line is the mixed workload at 100,000 live
 * areas. No pass/fail: numbers to compare over time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/vmalloc.h>

#include "mm/vmalloc_internal.h"

enum shape { FIX_SIZE, FULL_FIT, RANDOM, LONG_BUSY, MIXED, NR_SHAPES };

static const char *const shape_name[NR_SHAPES] = {
	"fix_size", "full_fit", "random", "long_busy_list", "mixed",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct vmap_area *get(struct vmf_machine *m, uint64_t pages,
			     uint64_t align)
{
	int err;

	return alloc_vmap_area(m, pages * m->page_size, align,
			       m->cfg.vmalloc_start, m->cfg.vmalloc_end,
			       NUMA_NO_NODE, GFP_KERNEL, &err);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* One or two pairs of the shape; the pairs done, 0 on failure. */
static int pair(struct vmf_machine *m, enum shape s, uint64_t *seed)
{
	struct vmap_area *a, *b;

	switch (s) {
	case FIX_SIZE:
	case FULL_FIT:
		a = get(m, 2, 1);
		if (!a)
			return 0;
		__free_vmap_area(m, a);
		return 1;
	case RANDOM: {
		uint64_t r = lcg(seed);

		a = get(m, 2 + r % 16, m->page_size << ((r >> 8) % 5));
		if (!a)
			return 0;
		__free_vmap_area(m, a);
		return 1;
	}
	case LONG_BUSY:
		a = get(m, 4, 1);
		b = get(m, 2, 1);
		if (!a || !b)
			return 0;
		__free_vmap_area(m, a);
		__free_vmap_area(m, b);
		return 2;
	default:
		return 0;
	}
}

/* Pairs per second: shape s, live areas, policy. */
static double run(unsigned policy, enum shape s, unsigned live)
{
	struct vmf_config c;
	struct vmf_machine *m;
	char why[200];
	uint64_t seed = 13, pairs = 0;
	double t0, t;
	unsigned k = 0;

	vmf_config_default(&c);
	c.policy = policy;
	m = vmf_machine_create(&c, why, sizeof(why));
	if (!m) {
		fprintf(stderr, "bench_placement: %s\n", why);
		exit(1);
	}
	vmalloc_init(m);
	if (s == FULL_FIT) {
		struct vmap_area **v = malloc(2 * live * sizeof(*v));

		for (unsigned i = 0; v && i < 2 * live; i++)
			v[i] = get(m, 2, 1);
		for (unsigned i = 0; v && i < 2 * live; i += 2)
			if (v[i])
				__free_vmap_area(m, v[i]);
		free(v);
	} else {
		for (unsigned i = 0; i < live; i++)
			get(m, 2, 1);
	}
	t0 = now_s();
	do {
		for (int i = 0; i < 64; i++) {
			enum shape one = s == MIXED ? (enum shape)(k++ % 4) : s;
			int n = pair(m, one, &seed);

			if (!n) {
				fprintf(stderr, "bench_placement: %s failed\n",
					shape_name[s]);
				exit(1);
			}
			pairs += (uint64_t)n;
		}
		t = now_s() - t0;
	} while (t < 0.25);
	vmf_machine_destroy(m);
	return (double)pairs / t;
}

int main(void)
{
	static const unsigned lives[3] = {100, 10000, 100000};
	double r[NR_SHAPES][3][2];

	printf("alloc+free pairs per second (placement only, 4K pages, the "
	       "Linux window)\n");
	printf("%-15s %8s %14s %14s %8s\n", "shape", "live", "legacy/s",
	       "modern/s", "ratio");
	for (int s = 0; s < NR_SHAPES; s++) {
		for (int l = 0; l < 3; l++) {
			r[s][l][0] = run(VMF_POLICY_LEGACY, (enum shape)s,
					 lives[l]);
			r[s][l][1] = run(VMF_POLICY_MODERN, (enum shape)s,
					 lives[l]);
			printf("%-15s %8u %14.0f %14.0f %8.2f\n",
			       shape_name[s], lives[l], r[s][l][0], r[s][l][1],
			       r[s][l][1] / r[s][l][0]);
		}
	}
	printf("modern: t(100,000) / t(100) per pair:");
	for (int s = 0; s < NR_SHAPES; s++)
		printf(" %s %.2f", shape_name[s], r[s][0][1] / r[s][2][1]);
	printf("\n");
	printf("placement 100000 live: legacy %.0f/s modern %.0f/s ratio "
	       "%.1f\n", r[MIXED][2][0], r[MIXED][2][1],
	       r[MIXED][2][1] / r[MIXED][2][0]);
	return 0;
}
