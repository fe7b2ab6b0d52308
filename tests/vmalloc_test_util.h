/* Helpers shared by the vmalloc tests (tests/test_vmalloc*.c). */
#ifndef VMFUZZ_TESTS_VMALLOC_TEST_UTIL_H
#define VMFUZZ_TESTS_VMALLOC_TEST_UTIL_H

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "test.h"
#include "kernel/util.h"
#include "mm/vmalloc_internal.h"

/* 4K/48 window start of Linux 4.19 arm64 (the default config). */
#define W0 0xffff000008000000ull
#define P 4096ull

/* The default config with a window of `pages` pages from W0 (0: the
 * Linux window). */
static inline void cfg_small(struct vmf_config *c, uint64_t pages)
{
	vmf_config_default(c);
	if (pages) {
		c->vmalloc_start = W0;
		c->vmalloc_end = W0 + pages * P;
	}
}

static inline struct vmf_machine *mk(const struct vmf_config *c, bool init)
{
	char why[200] = "";
	struct vmf_machine *m = vmf_machine_create(c, why, sizeof(why));

	if (!m) {
		fprintf(stderr, "machine: %s\n", why);
		abort();
	}
	if (init)
		vmalloc_init(m);
	return m;
}

static inline struct vmf_machine *mk_default(void)
{
	struct vmf_config c;

	cfg_small(&c, 0);
	return mk(&c, true);
}

/* vm_check that prints why on failure. */
static inline int check_vm(struct vmf_machine *m)
{
	char why[512] = "";
	int r = vm_check(m, why, sizeof(why));

	if (r)
		fprintf(stderr, "vm_check: %s\n", why);
	return r;
}

/* Everything a refused call must leave alone. */
struct snap {
	struct vmalloc_obs obs;
	uint64_t free_pages;
	uint64_t km_objects, km_bytes, km_allocs;
	uint64_t fault_calls[FAULT_SITE_NR];
	uint64_t pgtable_pages;
	struct tlb_stats tlb;
};

static inline void take(struct vmf_machine *m, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	vmalloc_observe(m, &s->obs);
	s->free_pages = nr_free_pages(m);
	s->km_objects = m->km.objects;
	s->km_bytes = m->km.bytes;
	s->km_allocs = m->km.total_allocs;
	for (int i = 0; i < FAULT_SITE_NR; i++)
		s->fault_calls[i] = m->fault.site[i].calls;
	s->pgtable_pages = mmu_pgtable_pages(m);
	s->tlb = *tlb_stats(m);
}

static inline bool snap_same(const struct snap *a, const struct snap *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The kind of warning number seq (0 if it left the ring). */
static inline enum vmf_warn_kind warn_kind(struct vmf_machine *m,
					   uint64_t seq)
{
	const struct vmf_warn_event *e = vmf_warn_get(m, seq);
	return e ? e->kind : WARN_NONE;
}

static inline const char *warn_text(struct vmf_machine *m, uint64_t seq)
{
	const struct vmf_warn_event *e = vmf_warn_get(m, seq);
	return e ? e->text : "";
}

/* A refused call: exactly one warning of `kind`, nothing else changed. */
#define REFUSED(m, kind, stmt)                                               \
	do {                                                                 \
		struct snap s0_, s1_;                                        \
		uint64_t seq_ = vmf_warn_seq(m);                             \
		take(m, &s0_);                                               \
		stmt;                                                        \
		take(m, &s1_);                                               \
		CHECK(snap_same(&s0_, &s1_));                                \
		CHECK_EQ(vmf_warn_seq(m), seq_ + 1);                         \
		CHECK_EQ(warn_kind(m, seq_ + 1), kind);                      \
	} while (0)

static inline bool mapped_to(struct vmf_machine *m, vaddr_t va, pfn_t *pfn)
{
	return mmu_va_to_pfn(m, va, pfn);
}

static inline bool is_mapped(struct vmf_machine *m, vaddr_t va)
{
	return mmu_va_to_pfn(m, va, NULL);
}

/* The last TLB flush event (a zeroed one, and a failed CHECK, if there
 * was none: tests must not crash on a broken library, a planted fault
 * included). */
static inline const struct tlb_flush_event *last_flush(struct vmf_machine *m)
{
	static struct tlb_flush_event none;
	const struct tlb_flush_event *e =
		tlb_flush_get(m, tlb_stats(m)->flush_seq);

	if (!e) {
		CHECK(!"no TLB flush event");
		memset(&none, 0, sizeof(none));
		return &none;
	}
	return e;
}

/* find_vm_area / get_vm_area that never hand a test NULL: a missing area
 * is a failed CHECK and a zeroed stand-in. */
static inline struct vm_struct *vm_or_dummy(struct vm_struct *vm)
{
	static struct vm_struct dummy;

	if (!vm) {
		CHECK(!"no vm area");
		memset(&dummy, 0, sizeof(dummy));
		dummy.caller = "(no area)";
		return &dummy;
	}
	return vm;
}

static inline struct vm_struct *vm_at(struct vmf_machine *m, vaddr_t addr)
{
	return vm_or_dummy(find_vm_area(m, addr));
}

/* vm_struct_page that never hands a test NULL (a failed CHECK and a
 * stand-in descriptor instead). */
static inline struct page *page_at(struct vmf_machine *m,
				   const struct vm_struct *vm, unsigned int i)
{
	struct page *pg = vm_struct_page(m, vm, i);

	if (!pg) {
		CHECK(!"no page in the page array");
		pg = &m->phys.pages[0];
	}
	return pg;
}

static inline struct vmap_area *va_at(struct vmf_machine *m, vaddr_t addr)
{
	static struct vmap_area dummy;
	struct vmap_area *va = find_vmap_area(m, addr);

	if (!va) {
		CHECK(!"no vmap area");
		memset(&dummy, 0, sizeof(dummy));
		return &dummy;
	}
	return va;
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static inline uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

#endif
