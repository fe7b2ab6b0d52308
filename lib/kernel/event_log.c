/* The numbered event log behind the warning log and the TLB flush log;
 * invariants in include/vmfuzz/event_log.h. */
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/event_log.h>

void vmf_event_log_init(struct vmf_event_log *l, size_t elem, uint64_t min)
{
	/* Old slots need no clearing: numbering restarts at 1, and every
	 * event a get can name is written (or copied) after this. */
	if (l->elem != elem) {
		vmf_event_log_free(l);
		l->elem = elem;
	}
	l->min = min;
	l->keep_from = 0;
}

/* Move events (seq - old cap, seq) into an array of cap slots. */
static int grow(struct vmf_event_log *l, uint64_t seq, uint64_t cap)
{
	unsigned char *n = calloc((size_t)cap, l->elem);
	uint64_t s = seq > l->cap ? seq - l->cap : 1;

	if (!n)
		return -1;
	for (; l->slots && s < seq; s++)
		memcpy(n + (size_t)(s & (cap - 1)) * l->elem,
		       l->slots + (size_t)(s & (l->cap - 1)) * l->elem, l->elem);
	free(l->slots);
	l->slots = n;
	l->cap = cap;
	return 0;
}

void *vmf_event_log_add(struct vmf_event_log *l, uint64_t seq)
{
	if (!l->cap) {
		/* Room for a long command from the start: growing is the
		 * exception (docs/fuzzing.md, AFL++ stability). */
		if (grow(l, seq, l->min * 4) && grow(l, seq, l->min))
			return NULL;
	} else if (l->keep_from && seq > l->cap &&
		   seq - l->cap >= l->keep_from) {
		/* The slot holds a kept event: double (or, out of host
		 * memory, let it go). */
		grow(l, seq, l->cap * 2);
	}
	return l->slots + (size_t)(seq & (l->cap - 1)) * l->elem;
}

void *vmf_event_log_get(const struct vmf_event_log *l, uint64_t seq,
			uint64_t last)
{
	if (seq == 0 || seq > last || last - seq >= l->cap)
		return NULL;
	if (last - seq >= l->min && !(l->keep_from && seq >= l->keep_from))
		return NULL;
	return l->slots + (size_t)(seq & (l->cap - 1)) * l->elem;
}

void vmf_event_log_keep(struct vmf_event_log *l, uint64_t from)
{
	l->keep_from = from;
}

void vmf_event_log_free(struct vmf_event_log *l)
{
	free(l->slots);
	l->slots = NULL;
	l->cap = 0;
}
