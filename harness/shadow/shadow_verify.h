/* The per-command verification of every area a command could have changed
 * (shadow_verify.c), and the frame ownership balance it compares.
 * Internal to the shadow (included by shadow_model.h). */
#ifndef VMFUZZ_HARNESS_SHADOW_VERIFY_H
#define VMFUZZ_HARNESS_SHADOW_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <vmfuzz/types.h>

struct shadow;
struct sh_area;
struct sh_counters;
struct sh_fail;

/* One address the command touched: an area's start (or a released area's
 * start, for the gap it left). */
struct sh_touch {
	vaddr_t start;
	bool is_new;   /* created by the command: verify_new_area checked it */
};

/* Descents of the shadow's reader remembered while nothing can change the
 * tables: on only during one shadow_verify (after the command ran, before
 * the next one); the last-level table of each remembered span. */
#define SH_MEMO_WAYS 16
struct sh_walk_memo {
	bool on;
	uint64_t key[SH_MEMO_WAYS];     /* (va >> PMD shift) + 1; 0: empty */
	phys_addr_t table[SH_MEMO_WAYS];
	uint64_t tattrs[SH_MEMO_WAYS];
};

struct sh_verify {
	/* Frames the model says each owner holds (enum sh_owner), kept as
	 * the model takes and gives pages: the O(1) ownership balance. */
	int64_t owned[4];
	/* Scratch for the touched set (SH_MAX_PENDING entries, made once). */
	struct sh_touch *touch;
	size_t touch_cap;
	struct sh_walk_memo memo;
};

int sh_ver_init(struct sh_verify *v);
void sh_ver_reset(struct sh_verify *v);
void sh_ver_free(struct sh_verify *v);
/* The model took (delta > 0) or gave back frames of an owner. */
void sh_ver_owned(struct shadow *sh, unsigned owner, int64_t delta);

/* After the command's other checks: every area in the touched set
 * (created, freed, lazily freed, deferred, released by a purge, a vmap
 * block carved or freed) against the library: bounds and state, the busy
 * list order around it, the PTEs of its pages against its page array, the
 * PTEs of other areas under the last-level tables the command changed,
 * and the ownership balance. Costs what the command touched. */
int sh_verify_touched(struct shadow *sh, const struct sh_counters *o,
		      struct sh_fail *f);

/* Pages [first, first + nr) of the live area a against its page array:
 * each a level-3 leaf `pfn << PAGE_SHIFT | prot`. The one place the
 * shadow compares an existing area's PTEs (so that another reader of the
 * tables can stand in for the observer's page view). */
int sh_verify_ptes(struct shadow *sh, const struct sh_area *a, uint64_t first,
		   uint64_t nr, const char *why, struct sh_fail *f);

#endif
