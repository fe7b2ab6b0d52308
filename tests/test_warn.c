/* Warning texts: vmf_warn formats its messages itself (lib/kernel/warn.c); the
 * text must be byte for byte what the C library's snprintf makes of the
 * same format and arguments, for every conversion the library uses and
 * for the ones it hands back to vsnprintf, truncation included. */
#include <string.h>

#include <vmfuzz/machine.h>

#include "test.h"

#if defined(__GNUC__) && !defined(__clang__)
/* The truncation below is the point of the test. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static struct vmf_machine *mk(void)
{
	struct vmf_config c;
	char why[160];

	vmf_config_default(&c);
	return vmf_machine_create(&c, why, sizeof(why));
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

/* A value with a random magnitude: small numbers, boundaries, all bits. */
static uint64_t value(void)
{
	uint64_t v = next();

	switch (v % 6) {
	case 0: return 0;
	case 1: return v >> 60;
	case 2: return v >> (v % 64);
	case 3: return ~0ull - (v >> 58);
	case 4: return 1ull << (v % 64);
	default: return v;
	}
}

static int failures;

#define SAME(m, fmt, ...)                                                    \
	do {                                                                 \
		char want_[VMF_WARN_TEXT];                                   \
		const struct vmf_warn_event *ev_;                            \
		snprintf(want_, sizeof(want_), fmt, __VA_ARGS__);            \
		vmf_warn(m, WARN_NONE, fmt, __VA_ARGS__);                    \
		ev_ = vmf_warn_get(m, vmf_warn_seq(m));                      \
		CHECK(ev_ != NULL);                                          \
		if (ev_ && strcmp(ev_->text, want_) != 0 && failures++ < 5)  \
			fprintf(stderr, "format \"%s\": got \"%s\", want "   \
					"\"%s\"\n", fmt, ev_->text, want_);  \
		CHECK(!ev_ || strcmp(ev_->text, want_) == 0);                \
	} while (0)

static void test_conversions(void)
{
	struct vmf_machine *m = mk();
	static const char *const words[] = {"", "vfree", "a longer word",
					    "map"};

	CHECK(m != NULL);
	if (!m)
		return;
	for (int i = 0; i < 3000; i++) {
		uint64_t a = value(), b = value();
		const char *w = words[next() % 4];

		SAME(m, "%llu %llx %016llx %05llx", (unsigned long long)a,
		     (unsigned long long)b, (unsigned long long)a,
		     (unsigned long long)b);
		SAME(m, "%u %d %x %#x %X", (unsigned)a, (int)b, (unsigned)b,
		     (unsigned)a, (unsigned)a);
		SAME(m, "%lx %lu %ld %zu %lld", (unsigned long)a,
		     (unsigned long)b, (long)a, (size_t)b, (long long)a);
		SAME(m, "%s at %p: %c%%", w, (void *)(uintptr_t)(a | 1),
		     (int)('a' + b % 26));
		SAME(m, "%8s|%3d|%12llx|%#018llx|%3c", w, (int)(b % 2000) - 1000,
		     (unsigned long long)a, (unsigned long long)b, 'q');
		/* Handed back to vsnprintf: NULL %p and %s, '-', precision. */
		SAME(m, "%p %-6d %.3s %5.2f", (void *)NULL, (int)a, w, 1.5);
	}
	/* Truncated at the event's text size, as snprintf truncates. */
	{
		char big[VMF_WARN_TEXT * 2];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		SAME(m, "%s%llu", big, 12345ull);
		SAME(m, "%llu%s", 12345ull, big);
	}
	vmf_machine_destroy(m);
}

TEST_MAIN(TEST(test_conversions))
