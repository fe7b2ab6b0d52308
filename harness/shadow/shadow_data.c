/* Expected bytes of areas: what the shadow knows of each byte.
 *
 * Every byte of an area is either at its baseline (zero for memory that was
 * allocated zeroed, unknown otherwise), known (written through the MMU by
 * the harness), or unknown (overwritten by something the shadow does not
 * predict byte for byte, e.g. a deferred-free list node). Written bytes
 * live in 4 KiB chunks from a fixed pool, found through a small open-
 * addressed table keyed by (area data id, chunk number): a write of at most
 * VMF_MAX_ACCESS bytes touches at most two chunks, so the pool holds what
 * one input can write; past it an area's bytes all become unknown. */
#include <stdlib.h>
#include <string.h>

#include "shadow_model.h"

#define SH_DATA_LOST UINT32_MAX /* data_id: every byte unknown */

int sh_data_init(struct sh_data *d)
{
	memset(d, 0, sizeof(*d));
	d->nr_slots = 2 * SH_MAX_CHUNKS;
	d->bytes = malloc((size_t)SH_MAX_CHUNKS * SH_CHUNK);
	d->state = malloc((size_t)SH_MAX_CHUNKS * SH_CHUNK);
	d->slots = calloc(d->nr_slots, sizeof(*d->slots));
	d->slot_of = calloc(SH_MAX_CHUNKS, sizeof(*d->slot_of));
	if (!d->bytes || !d->state || !d->slots || !d->slot_of) {
		sh_data_free(d);
		return -1;
	}
	d->next_id = 1;
	return 0;
}

void sh_data_reset(struct sh_data *d)
{
	for (uint32_t i = 0; i < d->used; i++)
		d->slots[d->slot_of[i]].data_id = 0;
	d->used = 0;
	d->next_id = 1;
	d->overflow = false;
}

void sh_data_free(struct sh_data *d)
{
	free(d->bytes);
	free(d->state);
	free(d->slots);
	free(d->slot_of);
	memset(d, 0, sizeof(*d));
}

static uint32_t slot_hash(const struct sh_data *d, uint32_t id, uint32_t no)
{
	uint32_t h = id * 2654435761u ^ (no * 40503u + 0x9e37u);

	return (h ^ (h >> 15)) & (d->nr_slots - 1);
}

/* The pool chunk of (id, no), or -1; with create, make it (all bytes at
 * baseline) unless the pool is full. */
static long chunk_of(struct sh_data *d, uint32_t id, uint32_t no, bool create)
{
	uint32_t s = slot_hash(d, id, no);

	for (;;) {
		struct sh_chunk_slot *sl = &d->slots[s];

		if (sl->data_id == 0)
			break;
		if (sl->data_id == id && sl->chunk_no == no)
			return sl->pool;
		s = (s + 1) & (d->nr_slots - 1);
	}
	if (!create || d->used == SH_MAX_CHUNKS)
		return -1;
	d->slots[s].data_id = id;
	d->slots[s].chunk_no = no;
	d->slots[s].pool = d->used;
	d->slot_of[d->used] = s;
	memset(d->state + (size_t)d->used * SH_CHUNK, SH_B_BASE, SH_CHUNK);
	return d->used++;
}

void sh_data_expect(struct sh_data *d, const struct sh_area *a, uint64_t off,
		    size_t len, uint8_t *val, uint8_t *known)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i;
		uint32_t no = (uint32_t)(o / SH_CHUNK);
		size_t in = (size_t)(o % SH_CHUNK);
		size_t n = SH_CHUNK - in;
		long c = -1;

		if (n > len - i)
			n = len - i;
		if (a->data_id == SH_DATA_LOST) {
			memset(val + i, 0, n);
			memset(known + i, 0, n);
			i += n;
			continue;
		}
		if (a->data_id)
			c = chunk_of(d, a->data_id, no, false);
		if (c < 0) { /* nothing written in this chunk: the baseline */
			memset(val + i, 0, n);
			memset(known + i, a->zeroed ? 1 : SH_KNOWN_BASE, n);
			i += n;
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			uint8_t st = c < 0 ? SH_B_BASE :
				     d->state[(size_t)c * SH_CHUNK + in + j];

			if (st == SH_B_KNOWN) {
				val[i + j] = d->bytes[(size_t)c * SH_CHUNK + in + j];
				known[i + j] = 1;
			} else if (st == SH_B_BASE && a->zeroed) {
				val[i + j] = 0;
				known[i + j] = 1;
			} else {
				val[i + j] = 0;
				known[i + j] = st == SH_B_BASE ? SH_KNOWN_BASE : 0;
			}
		}
		i += n;
	}
}

static void data_set(struct sh_data *d, struct sh_area *a, uint64_t off,
		     const uint8_t *buf, size_t len, uint8_t st)
{
	size_t i = 0;

	if (a->data_id == SH_DATA_LOST)
		return;
	if (!a->data_id)
		a->data_id = d->next_id++;
	while (i < len) {
		uint64_t o = off + i;
		uint32_t no = (uint32_t)(o / SH_CHUNK);
		size_t in = (size_t)(o % SH_CHUNK);
		size_t n = SH_CHUNK - in;
		long c;

		if (n > len - i)
			n = len - i;
		c = chunk_of(d, a->data_id, no, true);
		if (c < 0) {
			/* Pool exhausted: give up on this area's bytes. */
			d->overflow = true;
			a->data_id = SH_DATA_LOST;
			return;
		}
		memset(d->state + (size_t)c * SH_CHUNK + in, st, n);
		if (buf)
			memcpy(d->bytes + (size_t)c * SH_CHUNK + in, buf + i, n);
		i += n;
	}
}

void sh_data_store(struct sh_data *d, struct sh_area *a, uint64_t off,
		   const uint8_t *buf, size_t len)
{
	data_set(d, a, off, buf, len, SH_B_KNOWN);
}

void sh_data_forget(struct sh_data *d, struct sh_area *a, uint64_t off,
		    size_t len)
{
	data_set(d, a, off, NULL, len, SH_B_UNKNOWN);
}
