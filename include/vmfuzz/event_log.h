/* A per-machine log of numbered events (warnings, TLB flushes): event seq
 * (1, 2, ...) lives in slot seq % cap of a heap array of fixed-size slots.
 *
 * Invariants:
 *  - the last `min` events are always held;
 *  - after vmf_event_log_keep(l, from), every event numbered from `from`
 *    on is held too: the array (4 * min slots at first) doubles when the
 *    slot an event needs still holds one of them (O(1) amortised a
 *    record), so the harness can ask for every event of a command
 *    however many it made;
 *  - what vmf_event_log_get answers depends only on the sequence numbers
 *    (the last `min`, and those from `keep_from` on), never on how large
 *    the array grew before: the same input reads the same events;
 *  - host OOM: the array stops growing and older slots are reused; a
 *    reused slot holds another event's seq, which the caller checks.
 * The caller keeps the sequence number and writes it into the event; this
 * file only finds slots. */
#ifndef VMFUZZ_EVENT_LOG_H
#define VMFUZZ_EVENT_LOG_H

#include <stddef.h>
#include <stdint.h>

struct vmf_event_log {
	unsigned char *slots; /* cap slots of elem bytes, zeroed when made */
	size_t elem;
	uint64_t cap;         /* 0 (nothing yet) or a power of two >= min */
	uint64_t min;         /* a power of two */
	uint64_t keep_from;   /* 0: only the last min are kept */
};

/* Set the slot size and the minimum (a power of two), forget every
 * event (numbering restarts at 1); storage kept when elem is unchanged. */
void vmf_event_log_init(struct vmf_event_log *l, size_t elem, uint64_t min);
/* The slot of the new event seq (the one after the last); NULL only when
 * no storage could be had at all. */
void *vmf_event_log_add(struct vmf_event_log *l, uint64_t seq);
/* Event seq's slot if it is visible (the caller checks the slot's seq),
 * last being the newest event's number. */
void *vmf_event_log_get(const struct vmf_event_log *l, uint64_t seq,
			uint64_t last);
/* Keep every event numbered from on (0: back to the last min only). */
void vmf_event_log_keep(struct vmf_event_log *l, uint64_t from);
void vmf_event_log_free(struct vmf_event_log *l);

#endif
