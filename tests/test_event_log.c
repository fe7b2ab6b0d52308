/* The warning and TLB flush logs (include/vmfuzz/event_log.h): the last 16
 * events always, every event since vmf_machine_keep_events too, however
 * many a command makes; what is visible depends only on the numbers, not
 * on how far the storage grew before (a reset input reads the same). */
#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>

#include "test.h"

static struct vmf_machine *mk(void)
{
	struct vmf_config c;
	char why[160];

	vmf_config_default(&c);
	return vmf_machine_create(&c, why, sizeof(why));
}

static void warn_n(struct vmf_machine *m, int n)
{
	for (int i = 0; i < n; i++)
		vmf_warn(m, WARN_VFREE_BAD_ADDR, "event %llu",
			 (unsigned long long)vmf_warn_seq(m) + 1);
}

static void flush_n(struct vmf_machine *m, int n)
{
	for (int i = 0; i < n; i++)
		flush_tlb_kernel_pgtable(m, 0xffff000008000000ull +
						    ((uint64_t)i << 21));
}

static void warnings_kept_per_command(void)
{
	struct vmf_machine *m = mk();
	char want[32];

	CHECK(m != NULL);
	if (!m)
		return;
	/* no keep: the last VMF_WARN_RING only */
	warn_n(m, 40);
	CHECK(vmf_warn_get(m, 40 - VMF_WARN_RING) == NULL);
	CHECK(vmf_warn_get(m, 41 - VMF_WARN_RING) != NULL);
	/* a command of 1000 warnings: all of them, with their text */
	vmf_machine_keep_events(m);
	warn_n(m, 1000);
	for (uint64_t s = 41; s <= 1040; s++) {
		const struct vmf_warn_event *ev = vmf_warn_get(m, s);

		snprintf(want, sizeof(want), "event %llu",
			 (unsigned long long)s);
		CHECK(ev != NULL);
		if (!ev)
			break;
		CHECK_EQ(ev->seq, s);
		CHECK_STR(ev->text, want);
	}
	/* the one before the keep is not (it is older than the last 16) */
	CHECK(vmf_warn_get(m, 40) == NULL);
	/* the next command: the last one's events go back to the last 16,
	 * though the storage still holds them */
	vmf_machine_keep_events(m);
	warn_n(m, 3);
	CHECK(vmf_warn_get(m, 1043 - VMF_WARN_RING) == NULL);
	CHECK(vmf_warn_get(m, 1044 - VMF_WARN_RING) != NULL);
	/* reset: numbering starts again, nothing of the old input shows */
	CHECK_EQ(vmf_machine_reset(m, NULL, NULL, 0), 0);
	CHECK(vmf_warn_get(m, 1) == NULL);
	vmf_machine_keep_events(m);
	warn_n(m, 20);
	CHECK(vmf_warn_get(m, 1) != NULL);
	if (vmf_warn_get(m, 1))
		CHECK_STR(vmf_warn_get(m, 1)->text, "event 1");
	CHECK(vmf_warn_get(m, 21) == NULL);
	vmf_machine_destroy(m);
}

static void flushes_kept_per_command(void)
{
	struct vmf_machine *m = mk();
	uint64_t s0;

	CHECK(m != NULL);
	if (!m)
		return;
	s0 = tlb_stats(m)->flush_seq;
	flush_n(m, 40);
	CHECK(tlb_flush_get(m, s0 + 40 - TLB_FLUSH_RING) == NULL);
	CHECK(tlb_flush_get(m, s0 + 41 - TLB_FLUSH_RING) != NULL);
	vmf_machine_keep_events(m);
	flush_n(m, 600);
	for (int i = 0; i < 600; i++) {
		const struct tlb_flush_event *ev =
			tlb_flush_get(m, s0 + 41 + (uint64_t)i);

		CHECK(ev != NULL);
		if (!ev)
			break;
		CHECK_EQ(ev->kind, TLB_FLUSH_PGTABLE);
		CHECK_EQ(ev->start,
			 0xffff000008000000ull + ((uint64_t)i << 21));
	}
	CHECK(tlb_flush_get(m, s0 + 40) == NULL);
	CHECK_EQ(vmf_machine_reset(m, NULL, NULL, 0), 0);
	CHECK(tlb_flush_get(m, 1) == NULL);
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(warnings_kept_per_command), TEST(flushes_kept_per_command))
