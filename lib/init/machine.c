/* The machine context: create, reset, destroy (Linux: init/main.c). The
 * one file of lib/ that calls every room: it brings the layers up bottom
 * to top, so that create and reset give the same state. */
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc_machine.h>

static void apply_config(struct vmf_machine *m, const struct vmf_config *cfg)
{
	m->cfg = *cfg;
	m->page_shift = cfg->page_shift;
	m->page_size = 1ull << cfg->page_shift;
}

static void reset_cpu_and_logs(struct vmf_machine *m)
{
	m->cur_cpu = 0;
	m->in_interrupt = false;
	vmf_warn_reset(&m->warn);
	vmf_fault_reset(&m->fault);
}

/* Bring up the layers bottom to top on pristine physical memory. The same
 * sequence runs at create and at reset, so both give the same state. */
static int bring_up(struct vmf_machine *m)
{
	int ret;

	reset_cpu_and_logs(m);
	ret = phys_mem_init(m);
	if (ret)
		return ret;
	ret = mmu_init(m);
	if (ret)
		return ret;
	return vmalloc_machine_init(m);
}

struct vmf_machine *vmf_machine_create(const struct vmf_config *cfg,
				       char *why, size_t why_len)
{
	struct vmf_config c = *cfg;
	struct vmf_machine *m;

	vmf_config_resolve(&c);
	if (vmf_config_check(&c, why, why_len))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	apply_config(m, &c);
	if (bring_up(m)) {
		if (why && why_len)
			strncpy(why, "out of host memory", why_len - 1);
		vmf_machine_destroy(m);
		return NULL;
	}
	return m;
}

void vmf_machine_destroy(struct vmf_machine *m)
{
	if (!m)
		return;
	vmalloc_machine_destroy(m);
	mmu_destroy(m);
	kmalloc_free_all(m);
	phys_mem_destroy(m);
	vmf_warn_free(&m->warn);
	free(m);
}

void vmf_machine_keep_events(struct vmf_machine *m)
{
	vmf_warn_keep(&m->warn);
	tlb_flush_keep(m);
}

int vmf_machine_reset(struct vmf_machine *m, const struct vmf_config *cfg,
		      char *why, size_t why_len)
{
	struct vmf_config c;

	if (cfg) {
		c = *cfg;
		vmf_config_resolve(&c);
		if (vmf_config_check(&c, why, why_len))
			return -VMF_EINVAL;
	}
	vmalloc_machine_reset(m);
	mmu_reset(m);
	kmalloc_free_all(m);
	phys_mem_reset(m);
	if (cfg)
		apply_config(m, &c);
	return bring_up(m) ? -VMF_ENOMEM : 0;
}
