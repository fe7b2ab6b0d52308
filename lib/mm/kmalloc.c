/* Metadata allocation on the host heap, accounted per machine.
 *
 * Each object carries a header linking it into the machine's list of live
 * objects, so reset and destroy free what a run left behind, and a leak
 * shows as a non-zero count on that machine only. */
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/machine.h>

struct kmalloc_hdr {
	struct kmalloc_hdr *next, *prev;
	size_t size;
	/* max_align_t keeps the payload aligned for any type. */
	max_align_t payload[];
};

void *kmalloc(struct vmf_machine *m, size_t size, gfp_t gfp)
{
	struct kmalloc_state *km = &m->km;
	struct kmalloc_hdr *h;

	if (vmf_should_fail(m, FAULT_KMALLOC))
		return NULL;
	if (size == 0 || size > ((size_t)1 << 32))
		return NULL;
	h = (gfp & __GFP_ZERO) ? calloc(1, sizeof(*h) + size)
			       : malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	h->prev = NULL;
	h->next = km->live;
	if (km->live)
		km->live->prev = h;
	km->live = h;
	km->objects++;
	km->bytes += size;
	km->total_allocs++;
	return h->payload;
}

void *kzalloc(struct vmf_machine *m, size_t size, gfp_t gfp)
{
	return kmalloc(m, size, gfp | __GFP_ZERO);
}

static struct kmalloc_hdr *hdr_of(const void *p)
{
	return (struct kmalloc_hdr *)(void *)((char *)(uintptr_t)p -
					       offsetof(struct kmalloc_hdr,
							payload));
}

static void unlink_hdr(struct kmalloc_state *km, struct kmalloc_hdr *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		km->live = h->next;
	if (h->next)
		h->next->prev = h->prev;
	km->objects--;
	km->bytes -= h->size;
}

void kfree(struct vmf_machine *m, const void *p)
{
	struct kmalloc_hdr *h;

	if (!p)
		return;
	h = hdr_of(p);
	unlink_hdr(&m->km, h);
	free(h);
}

void kmalloc_free_all(struct vmf_machine *m)
{
	struct kmalloc_hdr *h = m->km.live, *next;

	for (; h; h = next) {
		next = h->next;
		free(h);
	}
	memset(&m->km, 0, sizeof(m->km));
}
