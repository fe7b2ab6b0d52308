/* Small helpers shared inside lib/ (not part of the public API). */
#ifndef VMFUZZ_LIB_UTIL_H
#define VMFUZZ_LIB_UTIL_H

#include <stdint.h>
#include <string.h>

/* The per-page helpers of the allocator: sanitizer builds would
 * otherwise keep them as calls (gcc and clang both have the attribute). */
#define ALWAYS_INLINE inline __attribute__((always_inline))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member)                                      \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

static inline int is_power_of_2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* ALIGN() that reports wrap-around instead of returning 0. */
static inline int align_up_checked(uint64_t x, uint64_t align, uint64_t *out)
{
	uint64_t r = (x + (align - 1)) & ~(align - 1);
	if (r < x)
		return -1;
	*out = r;
	return 0;
}

/* fls() of a 64-bit value: 1-based index of the top set bit, 0 for 0. */
static inline unsigned fls64_u(uint64_t x)
{
	unsigned r = 0;
	while (x) {
		r++;
		x >>= 1;
	}
	return r;
}

/* Little-endian 64-bit words in simulated memory (descriptors, page
 * arrays): one load or store on little-endian hosts, whatever the
 * optimiser recognises. */
static inline uint64_t load_le64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void store_le64(uint8_t *b, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(b, &v, sizeof(v));
}

#endif
