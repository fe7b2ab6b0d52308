/* Machine reset cost after a small run, for 1 MiB and 256 MiB of RAM.
 * Reset must cost what the run touched, not what the machine has: the
 * two figures should be close (ratio near 1). */
#include <stdio.h>
#include <time.h>

#include <vmfuzz/machine.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A small run: a few allocations, writes and frees. */
static void small_run(struct vmf_machine *m)
{
	struct page *pg[16];
	for (int i = 0; i < 16; i++) {
		pg[i] = alloc_pages_node(m, 0, __GFP_ZERO, 0);
		if (pg[i])
			phys_fill(m, page_to_phys(m, pg[i]), 0x5a, 64);
	}
	for (int i = 0; i < 16; i += 2)
		if (pg[i])
			__free_pages(m, pg[i], 0);
	kmalloc(m, 64, 0);
}

static double bench_one(uint64_t ram)
{
	struct vmf_config c;
	struct vmf_machine *m;
	char why[160];
	const int iters = 20000;
	double t0, total = 0;

	vmf_config_default(&c);
	c.phys_size = ram;
	m = vmf_machine_create(&c, why, sizeof(why));
	if (!m) {
		fprintf(stderr, "bench_reset: %s\n", why);
		return -1;
	}
	for (int i = 0; i < iters; i++) {
		small_run(m);
		t0 = now_ns();
		vmf_machine_reset(m, NULL, NULL, 0);
		total += now_ns() - t0;
	}
	vmf_machine_destroy(m);
	return total / iters;
}

int main(void)
{
	double small = bench_one(1ull << 20), big = bench_one(256ull << 20);

	printf("reset after a small run:   1 MiB RAM %8.0f ns\n", small);
	printf("reset after a small run: 256 MiB RAM %8.0f ns\n", big);
	printf("ratio 256 MiB / 1 MiB: %.2f (goal: close to 1)\n", big / small);
	return 0;
}
