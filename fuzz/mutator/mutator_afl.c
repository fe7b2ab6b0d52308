/* The AFL++ custom mutator library over vmf_mutator.c
 * (AFL_CUSTOM_MUTATOR_LIBRARY=.../libvmf_afl_mutator.so).
 *
 * State: everything in the struct afl_custom_init returns (no static
 * state), as AFL++ may load several mutators. afl-fuzz hands a second
 * queue entry to every afl_custom_fuzz call (add_buf), which the splice
 * kind uses. The byte-level fallback is a small havoc of the mutator's
 * own; unless AFL_CUSTOM_MUTATOR_ONLY is set afl-fuzz runs its own havoc
 * and splice stages besides. */
#include <stdlib.h>

#include "vmf_mutator.h"

struct afl_vmf {
	struct vmf_mutator *m;
	uint64_t seed;
	uint8_t *out;
	size_t out_cap;
};

/* afl_state_t is opaque here: the library is built without AFL++'s
 * headers. Only these are exported (the library is built with
 * -fvisibility=hidden, so its copy of the codec cannot clash). */
#define AFL_EXPORT __attribute__((visibility("default")))
AFL_EXPORT void *afl_custom_init(void *afl, unsigned int seed);
AFL_EXPORT size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
				  uint8_t **out_buf, uint8_t *add_buf,
				  size_t add_buf_size, size_t max_size);
AFL_EXPORT void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct afl_vmf *s = calloc(1, sizeof(*s));

	(void)afl;
	if (!s)
		return NULL;
	s->m = vmf_mutator_new(NULL, NULL);
	s->out_cap = vmf_encoded_max() + 64;
	s->out = malloc(s->out_cap);
	if (!s->m || !s->out) {
		afl_custom_deinit(s);
		return NULL;
	}
	/* afl-fuzz runs its own havoc stage besides this one. */
	s->m->bytes_percent = 20;
	s->seed = seed;
	return s;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
		       uint8_t **out_buf, uint8_t *add_buf,
		       size_t add_buf_size, size_t max_size)
{
	struct afl_vmf *s = data;
	size_t n = buf_size < s->out_cap ? buf_size : s->out_cap;
	size_t cap = max_size < s->out_cap ? max_size : s->out_cap;

	for (size_t i = 0; i < n; i++)
		s->out[i] = buf[i];
	/* A fresh seed per call from the one afl-fuzz gave: deterministic
	 * for a given afl-fuzz seed and call order. */
	s->seed = s->seed * 6364136223846793005ull + 1442695040888963407ull;
	*out_buf = s->out;
	return vmf_mutate(s->m, s->out, n < cap ? n : cap, cap, add_buf,
			  add_buf_size, s->seed);
}

void afl_custom_deinit(void *data)
{
	struct afl_vmf *s = data;

	if (!s)
		return;
	vmf_mutator_free(s->m);
	free(s->out);
	free(s);
}
