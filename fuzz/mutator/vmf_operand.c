/* Operand values for the structure-aware mutator (vmf_mutator.h): small
 * and boundary values of each operand kind most of the time, any bytes
 * sometimes; the sizes and physical addresses that block mappings need
 * (a power of two from 1 MiB to 1 GiB: every granule's PMD and PUD block;
 * a physical address aligned to 512 MiB) often enough that a program of
 * huge mappings is a few inserts away. */
#include "cmd_table.h"
#include "vmf_mutator.h"

static unsigned rnd(struct vmf_mutator *m, unsigned n)
{
	return vmf_mut_rnd(m, n);
}

static const uint8_t off_bytes[] = {0, 0, 0, 1, 0xff, 0x10, 0xf0, 0x7f,
				    0x80, 0x08};
static const uint8_t ramcount_bytes[] = {0, 1, 3, 7, 15, 31, 32, 63, 64,
					 127};
static const uint16_t len_values[] = {0, 3, 7, 15, 63, 255, 511, 1023,
				      4095, 4094};

/* A value of kind for the operand at b (width bytes of the kind); small
 * and boundary values most of the time, any bytes sometimes. */
void vmf_mut_gen_operand(struct vmf_mutator *m, unsigned kind, uint8_t *b)
{
	const struct vmf_kind_desc *d = &vmf_kinds[kind];
	unsigned r = rnd(m, 20);

	switch (kind) {
	case K_SIZE:
		if (r < 10) {
			b[0] = 0; /* pages */
			b[1] = (uint8_t)(r < 6 ? 1 + rnd(m, 4) : r < 9 ?
					 1 + rnd(m, 16) : rnd(m, 256));
		} else if (r < 12) {
			b[0] = 8; /* 16 * v pages */
			b[1] = (uint8_t)(1 + rnd(m, 16));
		} else if (r < 14) {
			b[0] = 2; /* bytes */
			b[1] = (uint8_t)rnd(m, 256);
		} else if (r < 15) {
			b[0] = (uint8_t)(3 + rnd(m, 2)); /* pages -/+ 1 */
			b[1] = (uint8_t)rnd(m, 8);
		} else if (r < 17) {
			b[0] = (uint8_t)(5 + rnd(m, 2)); /* window, totalram */
			b[1] = (uint8_t)(rnd(m, 5) - 2);
		} else if (r < 18) {
			b[0] = (uint8_t)(9 + rnd(m, 3)); /* wraps, huge */
			b[1] = (uint8_t)rnd(m, 256);
		} else if (r < 19) {
			b[0] = 11; /* 1 << (20 + v): 1 MiB .. 1 GiB, blocks */
			b[1] = (uint8_t)rnd(m, 11);
		} else {
			b[0] = (uint8_t)rnd(m, 256);
			b[1] = (uint8_t)rnd(m, 256);
		}
		return;
	case K_OFF:
		b[0] = (uint8_t)(r < 12 ? rnd(m, 4) : r < 16 ? rnd(m, 16) :
				 rnd(m, 256));
		b[1] = r & 1 ? off_bytes[rnd(m, sizeof(off_bytes))] :
			       (uint8_t)(r < 10 ? 0 : rnd(m, 256));
		return;
	case K_LEN: {
		unsigned v = r < 16 ? len_values[rnd(m, 10)] : rnd(m, 4096);

		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
		return;
	}
	case K_ALIGN:
		b[0] = (uint8_t)(r < 6 ? rnd(m, 13) : r < 12 ? 0x40 + rnd(m, 6) :
				 r < 15 ? 0xc0 + rnd(m, 16) : rnd(m, 256));
		return;
	case K_START:
	case K_END: /* stored ^ 0x40: small bytes are near win_end */
	case K_ADDR:
		b[0] = (uint8_t)(r < 8 ? rnd(m, 8) : r < 14 ? 0x40 + rnd(m, 8) :
				 rnd(m, 256));
		return;
	case K_PHYS: /* docs/format.md "phys": 0x40-0x5f 512 MiB-aligned
		      * device space, 0x00-0x3f RAM pages */
		b[0] = (uint8_t)(r < 8 ? 0x40 + rnd(m, 32) : r < 14 ? rnd(m, 64) :
				 rnd(m, 256));
		return;
	case K_H:
		b[0] = (uint8_t)rnd(m, 4);
		return;
	case K_CPU:
		b[0] = (uint8_t)rnd(m, 8);
		return;
	case K_N:
		b[0] = (uint8_t)(r < 14 ? rnd(m, 8) : rnd(m, 256));
		return;
	case K_COUNT:
		b[0] = (uint8_t)(r < 14 ? rnd(m, 8) : rnd(m, 64));
		return;
	case K_RAMCOUNT: /* count - 1: block orders' edges, VMAP_MAX_ALLOC */
		b[0] = r < 12 ? ramcount_bytes[rnd(m, sizeof(ramcount_bytes))] :
		       (uint8_t)rnd(m, 128);
		return;
	case K_DCOUNT: /* 0: the count mapped; else a wrong one */
		b[0] = (uint8_t)(r < 15 ? 0 : r < 18 ? 1 + rnd(m, 2) * 254 :
				 rnd(m, 256));
		return;
	default:
		break;
	}
	if (d->cls == CL_NAME)
		b[0] = (uint8_t)rnd(m, d->nr_names);
	else if (d->cls == CL_BITS)
		b[0] = r < 6 ? 0 : (uint8_t)(b[0] ^ (1u << rnd(m, d->nr_names)));
	else
		b[0] = (uint8_t)rnd(m, 256);
}

