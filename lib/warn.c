/* Warning events: where the kernel WARNs or BUGs, the model records. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vmfuzz/machine.h>

#include "util.h"

/* Arrays of chars, not pointers: no relocations, so the table is in
 * .rodata and nothing writable exists even in PIE builds. */
static const char warn_names[WARN_KIND_NR][32] = {
	[WARN_NONE] = "none",
	[WARN_PAGE_BAD_ORDER] = "page_bad_order",
	[WARN_PAGE_BAD_NODE] = "page_bad_node",
	[WARN_PAGE_NOT_ALLOCATED] = "page_not_allocated",
	[WARN_PAGE_WRONG_ORDER] = "page_wrong_order",
	[WARN_PAGE_TAIL] = "page_tail",
	[WARN_PAGE_ALLOC_FAIL] = "page_alloc_fail",
	[WARN_MMU_BAD_ARG] = "mmu_bad_arg",
	[WARN_MMU_BBM] = "mmu_break_before_make",
	[WARN_MMU_REMAP] = "mmu_remap",
	[WARN_VMAP_ALLOC_FAILED] = "vmap_alloc_failed",
	[WARN_VMALLOC_ALLOC_FAILURE] = "vmalloc_alloc_failure",
	[WARN_VMALLOC_BAD_SIZE] = "vmalloc_bad_size",
	[WARN_VMALLOC_BAD_ALIGN] = "vmalloc_bad_align",
	[WARN_VMALLOC_BAD_RANGE] = "vmalloc_bad_range",
	[WARN_VFREE_BAD_ADDR] = "vfree_bad_addr",
	[WARN_VFREE_NONEXISTENT] = "vfree_nonexistent",
	[WARN_VFREE_DOUBLE] = "vfree_double",
	[WARN_VFREE_INTERIOR] = "vfree_interior",
	[WARN_VFREE_WRONG_KIND] = "vfree_wrong_kind",
	[WARN_VMALLOC_EARLY_OVERLAP] = "vmalloc_early_overlap",
	[WARN_VMALLOC_EARLY_LATE] = "vmalloc_early_late",
	[WARN_VMALLOC_BAD_ARG] = "vmalloc_bad_arg",
};

const char *vmf_warn_kind_name(enum vmf_warn_kind kind)
{
	if ((unsigned)kind >= WARN_KIND_NR || !warn_names[kind][0])
		return "?";
	return warn_names[kind];
}

void vmf_warn(struct vmf_machine *m, enum vmf_warn_kind kind,
	      const char *fmt, ...)
{
	struct vmf_warn_log *log = &m->warn;
	struct vmf_warn_event *ev;
	va_list ap;

	if ((unsigned)kind >= WARN_KIND_NR)
		kind = WARN_NONE;
	log->seq++;
	log->count[kind]++;
	ev = &log->ring[log->seq % VMF_WARN_RING];
	ev->seq = log->seq;
	ev->kind = kind;
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
}

void vmf_warn_reset(struct vmf_warn_log *log)
{
	/* The ring is read only through seq, so stale slots need no clearing. */
	log->seq = 0;
	memset(log->count, 0, sizeof(log->count));
}

uint64_t vmf_warn_seq(const struct vmf_machine *m)
{
	return m->warn.seq;
}

const struct vmf_warn_event *vmf_warn_get(const struct vmf_machine *m,
					  uint64_t seq)
{
	const struct vmf_warn_event *ev;

	if (seq == 0 || seq > m->warn.seq || m->warn.seq - seq >= VMF_WARN_RING)
		return NULL;
	ev = &m->warn.ring[seq % VMF_WARN_RING];
	return ev->seq == seq ? ev : NULL;
}

void vmf_warn_print(const struct vmf_machine *m, FILE *out)
{
	uint64_t first = m->warn.seq >= VMF_WARN_RING ?
				 m->warn.seq - VMF_WARN_RING + 1 : 1;

	fprintf(out, "%llu warning(s)\n", (unsigned long long)m->warn.seq);
	for (uint64_t s = first; s <= m->warn.seq; s++) {
		const struct vmf_warn_event *ev = vmf_warn_get(m, s);
		if (ev)
			fprintf(out, "  #%llu %s: %s\n",
				(unsigned long long)ev->seq,
				vmf_warn_kind_name(ev->kind), ev->text);
	}
}
