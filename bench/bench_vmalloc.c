/* vmalloc + vfree pairs per second, for 1-page and 16-page areas, behind
 * 100, 10,000 and 100,000 live 1-page areas, in two workloads:
 *
 *  steady: the same size and align every time. The legacy placement's
 *          hint (free_vmap_cache) survives, including the purges (it
 *          moves down to the last live area), so each search is O(1)
 *          whatever the busy list holds.
 *  mixed:  every other request asks for a 2-page alignment. The next
 *          plain request has align < cached_align, which drops the hint:
 *          that search walks the busy list from VMALLOC_START past every
 *          live area, so its cost grows linearly with the busy list.
 *          This is the shape that made the 5.2 free-tree allocator
 *          worth it (any mix of sizes, aligns or ranges does it).
 *
 * The figures include the lazy frees, the purges and their TLB flushes.
 * No pass/fail: numbers to compare over time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/vmalloc.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct result {
	double ops_per_s;
	double ns_per_op;
	uint64_t purges, iters;
};

static int bench_one(unsigned live, unsigned pages, bool mixed,
		     struct result *r)
{
	struct vmf_config c;
	struct vmf_machine *m;
	struct vmalloc_obs o;
	char why[200];
	const double budget = 0.3; /* seconds per configuration */
	uint64_t iters = 0, purges0;
	double t0, t;

	vmf_config_default(&c);
	c.phys_size = 1ull << 30; /* 100,000 live pages + work: 1 GiB */
	m = vmf_machine_create(&c, why, sizeof(why));
	if (!m) {
		fprintf(stderr, "bench_vmalloc: %s\n", why);
		return -1;
	}
	vmalloc_init(m);
	for (unsigned i = 0; i < live; i++)
		if (!vmalloc(m, m->page_size)) {
			fprintf(stderr, "bench_vmalloc: setup failed at %u\n", i);
			vmf_machine_destroy(m);
			return -1;
		}
	vmalloc_observe(m, &o);
	purges0 = o.nr_purges;

	t0 = now_s();
	do {
		/* Check the clock every 256 pairs. */
		for (int k = 0; k < 256; k++) {
			uint64_t align = mixed && (k & 1) ? 2 * m->page_size : 1;
			vaddr_t a = __vmalloc_node(m, (uint64_t)pages *
							      m->page_size,
						   align, GFP_KERNEL,
						   PAGE_KERNEL, NUMA_NO_NODE,
						   "bench");

			if (!a || vfree(m, a)) {
				fprintf(stderr, "bench_vmalloc: alloc/free failed\n");
				vmf_machine_destroy(m);
				return -1;
			}
		}
		iters += 256;
		t = now_s() - t0;
	} while (t < budget);

	vmalloc_observe(m, &o);
	r->iters = iters;
	r->purges = o.nr_purges - purges0;
	r->ops_per_s = (double)iters / t;
	r->ns_per_op = t * 1e9 / (double)iters;
	vmf_machine_destroy(m);
	return 0;
}

int main(void)
{
	static const unsigned lives[3] = {100, 10000, 100000};
	static const unsigned sizes[2] = {1, 16};

	printf("vmalloc+vfree pairs (legacy placement, 4K pages, default "
	       "lazy_max_pages)\n");
	printf("%-7s %8s %6s %14s %12s %10s %8s\n", "load", "live", "pages",
	       "pairs/s", "ns/pair", "pairs", "purges");
	for (int mixed = 0; mixed < 2; mixed++)
		for (int l = 0; l < 3; l++)
			for (int s = 0; s < 2; s++) {
				struct result r;

				if (bench_one(lives[l], sizes[s], mixed, &r))
					return 1;
				printf("%-7s %8u %6u %14.0f %12.0f %10llu "
				       "%8llu\n", mixed ? "mixed" : "steady",
				       lives[l], sizes[s], r.ops_per_s,
				       r.ns_per_op,
				       (unsigned long long)r.iters,
				       (unsigned long long)r.purges);
			}
	return 0;
}
