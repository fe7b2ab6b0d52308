/* The structure-aware mutator (fuzz/mutator/vmf_mutator.c) and its AFL++
 * entry points, over the committed corpus (corpus/main): every output
 * decodes, is canonical (encode(decode(out)) == out), fits max_size and
 * VMF_MAX_CMDS; every kind of mutation happens; crossover mixes both
 * parents; handles are retargeted to live ones; runs are well formed;
 * inserts favour kinds the program lacks; the header edit turns vbfix;
 * same seed, same output. */
#include <dirent.h>

#include "cmd_table.h"
#include "test.h"
#include "vmf_mutator.h"

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
		       uint8_t **out_buf, uint8_t *add_buf,
		       size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

#define MAX_LEN 2600 /* fuzz/fuzz_main.options */
#define MAX_INPUTS 512

struct input {
	uint8_t *b;
	size_t n;
};

static struct input inputs[MAX_INPUTS];
static size_t nr_inputs;
static struct vmf_program scratch, scratch2;

static void add_input(const uint8_t *b, size_t n)
{
	if (nr_inputs == MAX_INPUTS)
		return;
	inputs[nr_inputs].b = malloc(n ? n : 1);
	memcpy(inputs[nr_inputs].b, b, n);
	inputs[nr_inputs++].n = n;
}

/* corpus/main: text seeds parsed and encoded, binary seeds as they are. */
static void load_corpus(void)
{
	const char *dir = VMF_SOURCE_DIR "/corpus/main";
	static uint8_t buf[1 << 16];
	static char text[1 << 16];
	struct dirent *e;
	DIR *d;

	if (nr_inputs)
		return;
	d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[1024];
		size_t len = strlen(e->d_name), n;
		FILE *f;

		if (len < 5 || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		if (!strcmp(e->d_name + len - 4, ".txt")) {
			char err[256];

			memcpy(text, buf, n);
			text[n] = 0;
			if (vmf_program_parse(text, &scratch, err, sizeof(err))) {
				fprintf(stderr, "%s: %s\n", path, err);
				CHECK(0);
				continue;
			}
			add_input(buf, vmf_encode(&scratch, buf, sizeof(buf)));
		} else if (!strcmp(e->d_name + len - 4, ".bin")) {
			add_input(buf, n);
		}
	}
	closedir(d);
	CHECK(nr_inputs > 100);
}

/* out is a valid mutator output for max_size: canonical, bounded. */
static bool output_ok(const uint8_t *out, size_t len, size_t max_size)
{
	static uint8_t re[4096];
	size_t n;

	if (len > max_size)
		return false;
	vmf_decode(out, len, &scratch);
	if (scratch.nr_cmds > VMF_MAX_CMDS)
		return false;
	n = vmf_encode(&scratch, re, sizeof(re));
	return n == len && !memcmp(re, out, len);
}

/* A byte mutator in libFuzzer's shape that may grow the input to
 * max_size: the mutator must still bound and canonicalise its output. */
static size_t fake_bytes(void *ctx, uint8_t *d, size_t size, size_t max)
{
	uint64_t *x = ctx;

	*x = *x * 6364136223846793005ull + 1;
	if ((*x >> 60) == 0) { /* fill up to max with junk */
		for (size_t i = size; i < max; i++)
			d[i] = (uint8_t)(*x >> (i % 56));
		return max;
	}
	if (size)
		d[(*x >> 20) % size] ^= (uint8_t)(*x >> 40);
	return size;
}

static uint64_t next(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

static void test_outputs_valid_and_every_kind(void)
{
	uint64_t fake_state = 1, x = 7;
	struct vmf_mutator *own = vmf_mutator_new(NULL, NULL);
	struct vmf_mutator *lf = vmf_mutator_new(fake_bytes, &fake_state);
	uint8_t cur[MAX_LEN];
	size_t cur_len = 0, bad = 0, grew = 0, max_cmds = 0;

	load_corpus();
	CHECK(own && lf);
	if (!own || !lf || !nr_inputs)
		return;
	for (unsigned it = 0; it < 100000; it++) {
		struct vmf_mutator *m = it & 1 ? lf : own;
		const struct input *other = &inputs[next(&x) % nr_inputs];
		size_t max_size = next(&x) % 8 ? MAX_LEN :
				  VMF_HEADER_BYTES + next(&x) % MAX_LEN;
		uint8_t *out;
		size_t len;

		/* Chains of 64 mutations from a corpus input, so programs
		 * grow to VMF_MAX_CMDS and shrink again. */
		if (it % 64 == 0) {
			const struct input *in = &inputs[next(&x) % nr_inputs];

			cur_len = in->n < MAX_LEN ? in->n : MAX_LEN;
			memcpy(cur, in->b, cur_len);
		}
		out = malloc(max_size); /* exactly: ASan sees an overrun */
		memcpy(out, cur, cur_len < max_size ? cur_len : max_size);
		len = vmf_mutate(m, out, cur_len < max_size ? cur_len : max_size,
				 max_size, it % 3 ? other->b : NULL, other->n, it);
		if (!output_ok(out, len, max_size)) {
			if (bad++ < 5)
				fprintf(stderr, "bad output: it %u len %zu max "
						"%zu\n", it, len, max_size);
		}
		if (scratch.nr_cmds > max_cmds)
			max_cmds = scratch.nr_cmds;
		grew += len > cur_len;
		memcpy(cur, out, len);
		cur_len = len;
		free(out);
	}
	CHECK_EQ(bad, 0);
	CHECK(grew > 1000);
	CHECK_EQ(max_cmds, VMF_MAX_CMDS); /* the cap was reached, not passed */
	for (unsigned k = 0; k < MUT_NR; k++) {
		unsigned long n = own->done[k] + lf->done[k];

		printf("  %-9s %lu\n", vmf_mut_kind_name((enum vmf_mut_kind)k), n);
		CHECK(n > 500);
	}
	vmf_mutator_free(own);
	vmf_mutator_free(lf);
}

/* Commands compared by op and non-handle operands (a splice may re-aim
 * the handles of the run it takes). */
static bool same_cmd(const struct vmf_cmd *a, const struct vmf_cmd *b)
{
	struct vmf_cmd ca = *a, cb = *b;
	size_t n = vmf_op_operand_bytes(a->op);

	if (a->op != b->op)
		return false;
	for (unsigned i = 0, off = 0; i < vmf_ops[a->op].nr; i++) {
		unsigned kind = vmf_ops[a->op].kind[i];

		if (kind == K_H)
			ca.operand[off] = cb.operand[off] = 0;
		off += vmf_kinds[kind].width;
	}
	return !memcmp(ca.operand, cb.operand, n);
}

static bool has_cmd(const struct vmf_program *p, const struct vmf_cmd *c)
{
	for (size_t i = 0; i < p->nr_cmds; i++)
		if (same_cmd(&p->cmds[i], c))
			return true;
	return false;
}

static void test_crossover_mixes_parents(void)
{
	static struct vmf_program pa, pb;
	struct vmf_mutator *m = vmf_mutator_new(NULL, NULL);
	uint8_t out[MAX_LEN];
	uint64_t x = 3;
	unsigned pairs = 0, bad = 0;

	load_corpus();
	if (!m || !nr_inputs)
		return;
	for (unsigned it = 0; it < 20000 && pairs < 2000; it++) {
		const struct input *a = &inputs[next(&x) % nr_inputs];
		const struct input *b = &inputs[next(&x) % nr_inputs];
		bool disjoint = true;
		size_t len, from_a = 0, from_b = 0;

		vmf_decode(a->b, a->n, &pa);
		vmf_decode(b->b, b->n, &pb);
		vmf_program_canonicalize(&pa);
		vmf_program_canonicalize(&pb);
		if (!pa.nr_cmds || !pb.nr_cmds)
			continue;
		for (size_t i = 0; i < pa.nr_cmds && disjoint; i++)
			disjoint = !has_cmd(&pb, &pa.cmds[i]);
		if (!disjoint)
			continue;
		pairs++;
		len = vmf_crossover(m, a->b, a->n, b->b, b->n, out, sizeof(out),
				    it);
		CHECK(output_ok(out, len, sizeof(out)));
		vmf_decode(out, len, &scratch2);
		for (size_t i = 0; i < scratch2.nr_cmds; i++) {
			from_a += has_cmd(&pa, &scratch2.cmds[i]);
			from_b += has_cmd(&pb, &scratch2.cmds[i]);
		}
		if (!from_a || !from_b || from_a + from_b != scratch2.nr_cmds) {
			if (bad++ < 3)
				fprintf(stderr, "crossover %u: %zu+%zu of %zu "
					"commands from a (%zu), b (%zu)\n", it,
					from_a, from_b, scratch2.nr_cmds,
					pa.nr_cmds, pb.nr_cmds);
		}
	}
	printf("  %u disjoint pairs crossed\n", pairs);
	CHECK(pairs > 200);
	CHECK_EQ(bad, 0);
	vmf_mutator_free(m);
}

/* Three allocations and one free: the free (h=0) sees three live handles,
 * the write after it (h=0) two, so a retarget names 1 or 2 for the free
 * and 1 for the write (a retarget changes the handle). */
static void test_retarget_names_live_handles(void)
{
	static const char text[] = "vmalloc size=1p\nvmalloc size=2p\n"
				   "vmap count=1\nvfree h=0\n"
				   "write h=0 off=0 len=8 pat=0x1\n";
	struct vmf_mutator *m = vmf_mutator_new(NULL, NULL);
	uint8_t in[256], out[MAX_LEN];
	size_t in_len;
	char err[256];
	unsigned free_seen[256] = {0}, write_seen[256] = {0}, retargets = 0;

	CHECK(!vmf_program_parse(text, &scratch2, err, sizeof(err)));
	in_len = vmf_encode(&scratch2, in, sizeof(in));
	if (!m)
		return;
	m->bytes_percent = 0;
	for (unsigned it = 0; it < 20000; it++) {
		unsigned long before = m->done[MUT_RETARGET];
		uint8_t f, w;
		size_t len;

		memcpy(out, in, in_len);
		len = vmf_mutate(m, out, in_len, sizeof(out), NULL, 0, it);
		if (m->done[MUT_RETARGET] == before)
			continue;
		retargets++;
		vmf_decode(out, len, &scratch2);
		CHECK_EQ(scratch2.nr_cmds, 5);
		CHECK_EQ(scratch2.cmds[3].op, OP_VFREE);
		CHECK_EQ(scratch2.cmds[4].op, OP_WRITE);
		f = scratch2.cmds[3].operand[0];
		w = scratch2.cmds[4].operand[0];
		CHECK((f != 0) + (w != 0) == 1); /* one handle changed */
		free_seen[f]++;
		write_seen[w]++;
	}
	printf("  %u retargets: vfree h=1 %u h=2 %u, write h=1 %u\n",
	       retargets, free_seen[1], free_seen[2], write_seen[1]);
	CHECK(retargets > 1000);
	CHECK(free_seen[1] > 100 && free_seen[2] > 100 && write_seen[1] > 100);
	CHECK_EQ(free_seen[0] + free_seen[1] + free_seen[2], retargets);
	CHECK_EQ(write_seen[0] + write_seen[1], retargets);
	vmf_mutator_free(m);
}

/* Mutations of one kind (bytes off) of a text program: calls fn on each
 * output that kind made; the count of those. */
static unsigned each_output(const char *text, enum vmf_mut_kind kind,
			    unsigned iters,
			    void (*fn)(const struct vmf_program *, void *),
			    void *arg)
{
	struct vmf_mutator *m = vmf_mutator_new(NULL, NULL);
	static struct vmf_program p;
	uint8_t in[MAX_LEN], out[MAX_LEN];
	size_t in_len, len;
	unsigned n = 0;
	char err[256];

	CHECK(!vmf_program_parse(text, &p, err, sizeof(err)));
	in_len = vmf_encode(&p, in, sizeof(in));
	if (!m)
		return 0;
	m->bytes_percent = 0;
	for (unsigned it = 0; it < iters; it++) {
		unsigned long before = m->done[kind];

		memcpy(out, in, in_len);
		len = vmf_mutate(m, out, in_len, sizeof(out), NULL, 0, it);
		if (m->done[kind] == before)
			continue;
		CHECK(output_ok(out, len, sizeof(out)));
		vmf_decode(out, len, &p);
		fn(&p, arg);
		n++;
	}
	vmf_mutator_free(m);
	return n;
}

struct run_seen {
	unsigned pair_ram, pair_ram_bad, set_cpu, aliases_read, repeat;
	unsigned block_over, block_over_bad, block_over_off;
};

/* A run the template makes: vm_map_ram + vm_unmap_ram of the newest
 * vm_map_ram handle with the right count; set_cpu before a command;
 * a free, unmap_aliases, read_freed; one allocation repeated. */
static void see_run(const struct vmf_program *p, void *arg)
{
	struct run_seen *s = arg;
	unsigned ram = 0;

	for (size_t i = 0; i + 1 < p->nr_cmds; i++) {
		const struct vmf_cmd *a = &p->cmds[i], *b = &p->cmds[i + 1];

		if (a->op == OP_VM_MAP_RAM && b->op == OP_VM_UNMAP_RAM) {
			/* ram vm_map_ram handles before a: the new one is
			 * index ram among ram + 1. */
			if (b->operand[0] == ram && b->operand[1] == 0)
				s->pair_ram++;
			else
				s->pair_ram_bad++;
		}
		if (a->op == OP_SET_CPU && i >= 2)
			s->set_cpu++;
		if (a->op == OP_UNMAP_ALIASES && b->op == OP_READ_FREED)
			s->aliases_read++;
		if (i >= 2 && a->op == b->op && a->op != OP_VMALLOC &&
		    !memcmp(a->operand, b->operand, sizeof(a->operand)) &&
		    (a->op == OP_VM_MAP_RAM || a->op == OP_VMAP ||
		     a->op == OP_IOREMAP || a->op == OP_GET_VM_AREA))
			s->repeat++;
		ram += a->op == OP_VM_MAP_RAM;
		/* block over a small mapping: vfree, purge, then one PMD
		 * block of the header's granule (size form 11, v = PMD shift
		 * - 20), in a window that holds two; ioremap at a device
		 * address on a block boundary or a few pages off one */
		if (a->op == OP_PURGE && i >= 1 && p->cmds[i - 1].op == OP_VFREE &&
		    (b->op == OP_IOREMAP || b->op == OP_VMALLOC_HUGE)) {
			struct vmf_header_raw raw;
			const uint8_t *sz = b->operand + (b->op == OP_IOREMAP);
			unsigned pmd;

			vmf_header_raw(p->header, &raw);
			pmd = 2 * raw.page_shift - 3;
			if (sz[0] == 11 && sz[1] == pmd - 20 &&
			    (!raw.window_bytes || raw.window_bytes >> pmd >= 2) &&
			    (b->op == OP_VMALLOC_HUGE ? (p->ext & VMF_EXT_HUGE) != 0 :
			     (b->operand[0] & 0xc0) == 0x40)) {
				s->block_over++;
				/* 0x60-0x7f: a few pages off the block */
				s->block_over_off += b->op == OP_IOREMAP &&
						     (b->operand[0] & 0xe0) == 0x60;
			} else {
				s->block_over_bad++;
			}
		}
	}
}

/* MUT_RUN: every template happens, and the vm_unmap_ram of a pair names
 * the vm_map_ram just before it (handles of vm_unmap_ram count vm_map_ram
 * handles only: here one before the pair, so h=1, not the live count). */
static void test_runs_are_well_formed(void)
{
	static const char text[] = "vm_map_ram count=1 node=-1 prot=kernel\n"
				   "vmalloc size=1p\n";
	struct run_seen s = {0};
	unsigned n = each_output(text, MUT_RUN, 20000, see_run, &s);

	printf("  %u runs: vm_map_ram+vm_unmap_ram %u (%u off), set_cpu %u, "
	       "unmap_aliases+read_freed %u, repeats %u\n", n, s.pair_ram,
	       s.pair_ram_bad, s.set_cpu, s.aliases_read, s.repeat);
	CHECK(n > 1000);
	CHECK(s.pair_ram > 50);
	CHECK_EQ(s.pair_ram_bad, 0);
	CHECK(s.set_cpu > 50 && s.aliases_read > 50 && s.repeat > 50);
	printf("  block over a small mapping %u (%u off)\n", s.block_over,
	       s.block_over_bad);
	CHECK(s.block_over > 50);
	CHECK(s.block_over_off > 0 && s.block_over_off < s.block_over);
	CHECK_EQ(s.block_over_bad, 0);
}

struct fill_seen {
	unsigned fills, fills_bad, with_tail;
};

/* After "vm_map_ram count=3" (4 pages of CPU 0's block carved), a fill
 * run appended carves the other 1020 pages, largest first; half of the
 * time then vm_unmap_ram of its newest handle and unmap_aliases. */
static void see_fill(const struct vmf_program *p, void *arg)
{
	struct fill_seen *s = arg;
	unsigned pages = 0, maps = 0;
	size_t i = 1;

	if (p->nr_cmds < 6 || p->cmds[0].op != OP_VM_MAP_RAM ||
	    p->cmds[0].operand[0] != 2)
		return;
	for (; i < p->nr_cmds && p->cmds[i].op == OP_VM_MAP_RAM; i++, maps++) {
		unsigned c = (p->cmds[i].operand[0] & 127u) + 1, o = 1;

		while (o < c)
			o *= 2;
		pages += o;
	}
	if (maps < 5 || p->cmds[1].operand[0] == p->cmds[maps].operand[0])
		return; /* not a fill (a repeat: one count) */
	s->fills++;
	s->fills_bad += pages != 1020;
	if (i + 2 == p->nr_cmds && p->cmds[i].op == OP_VM_UNMAP_RAM &&
	    p->cmds[i].operand[0] == maps && p->cmds[i].operand[1] == 0 &&
	    p->cmds[i + 1].op == OP_UNMAP_ALIASES)
		s->with_tail++;
}

static void test_fill_run_completes_the_block(void)
{
	struct fill_seen s = {0};

	each_output("vm_map_ram count=3 node=-1 prot=kernel\n", MUT_RUN, 20000,
		    see_fill, &s);
	printf("  %u fills (%u not to the block's end), %u with vm_unmap_ram "
	       "+ unmap_aliases\n", s.fills, s.fills_bad, s.with_tail);
	CHECK(s.fills > 100);
	CHECK_EQ(s.fills_bad, 0);
	CHECK(s.with_tail * 4 > s.fills && s.with_tail * 4 < 3 * s.fills);
}

struct fit_seen {
	unsigned map, map_blocks, cpu, cpu_several;
};

static void see_fit(const struct vmf_program *p, void *arg)
{
	struct fit_seen *s = arg;
	struct vmf_header_raw raw;
	bool map = false, cpu = false;

	vmf_header_raw(p->header, &raw);
	for (size_t i = 0; i < p->nr_cmds; i++) {
		map |= p->cmds[i].op == OP_VM_MAP_RAM;
		cpu |= p->cmds[i].op == OP_SET_CPU;
	}
	if (map) {
		s->map++;
		s->map_blocks += (!raw.window_bytes ||
				  raw.window_bytes >> raw.page_shift >= 2048) &&
				 raw.phys_size >> raw.page_shift >= 1280;
	}
	if (cpu) {
		s->cpu++;
		s->cpu_several += raw.nr_cpus >= 2;
	}
}

/* An inserted vm_map_ram gets a header that holds vmap blocks (window
 * and RAM), set_cpu more than one CPU, about half of the time. */
static void test_insert_fits_the_header(void)
{
	struct fit_seen s = {0};

	each_output("machine window=64p ram=64p cpus=1\nvmalloc size=1p\n",
		    MUT_INSERT, 40000, see_fit, &s);
	printf("  vm_map_ram inserted %u (header for blocks %u), set_cpu %u "
	       "(cpus >= 2: %u)\n", s.map, s.map_blocks, s.cpu, s.cpu_several);
	CHECK(s.map > 100 && s.cpu > 100);
	CHECK(s.map_blocks * 4 > s.map && s.map_blocks * 4 < 3 * s.map);
	CHECK(s.cpu_several * 4 > s.cpu && s.cpu_several * 4 < 3 * s.cpu);
}

struct insert_seen {
	unsigned op[OP_NR];
	unsigned unmap_ram, unmap_ram_right;
};

static void see_insert(const struct vmf_program *p, void *arg)
{
	struct insert_seen *s = arg;

	for (size_t i = 0; i < p->nr_cmds; i++) {
		s->op[p->cmds[i].op]++;
		if (p->cmds[i].op == OP_VM_UNMAP_RAM) {
			s->unmap_ram++;
			s->unmap_ram_right += p->cmds[i].operand[1] == 0;
		}
	}
}

/* Inserts bring the block commands in, vm_unmap_ram mostly with the right
 * count; a kind the program lacks comes in more often than one it is full
 * of (the rarest of a few drawn). */
static void test_insert_favours_rare_kinds(void)
{
	static char text[4096];
	struct insert_seen s = {0};
	size_t at = 0;
	unsigned n;

	for (unsigned k = 0; k < 40; k++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
				       "vmalloc size=1p\n");
	n = each_output(text, MUT_INSERT, 20000, see_insert, &s);
	s.op[OP_VMALLOC] -= 40 * n;
	printf("  %u inserts: vm_map_ram %u vm_unmap_ram %u (right count %u) "
	       "vmalloc %u vfree %u\n", n, s.op[OP_VM_MAP_RAM],
	       s.op[OP_VM_UNMAP_RAM], s.unmap_ram_right, s.op[OP_VMALLOC],
	       s.op[OP_VFREE]);
	CHECK(n > 1000);
	CHECK(s.op[OP_VM_MAP_RAM] > 20 && s.op[OP_VM_UNMAP_RAM] > 20);
	CHECK(s.unmap_ram_right * 10 > s.unmap_ram * 6);
	/* vmalloc and vfree have 3 entries each in the table: without the
	 * rarity draw they would come alike (expected: 1.5 to 1). */
	CHECK(s.op[OP_VFREE] * 10 > s.op[OP_VMALLOC] * 12);
}

struct header_seen {
	unsigned vbfix_on, policy_moved, policy_moved_kept_vbfix;
};

static void see_header(const struct vmf_program *p, void *arg)
{
	struct header_seen *s = arg;
	bool vbfix = vmf_header_vbfix(p->header[HF_POLICY]);

	if (vmf_header_policy(p->header) != VMF_POLICY_LEGACY) {
		s->policy_moved++;
		s->policy_moved_kept_vbfix += vbfix;
	} else {
		s->vbfix_on += !vbfix; /* the input has vbfix=1 */
	}
}

/* The header edit turns vbfix, and a policy change keeps it. */
static void test_header_vbfix(void)
{
	static const char text[] = "machine window=1m vbfix=1\n"
				   "vm_map_ram count=64 node=-1 prot=kernel\n";
	struct header_seen s = {0};
	unsigned n = each_output(text, MUT_HEADER, 20000, see_header, &s);

	printf("  %u header edits: vbfix turned off %u, policy changed %u "
	       "(vbfix kept %u)\n", n, s.vbfix_on, s.policy_moved,
	       s.policy_moved_kept_vbfix);
	CHECK(n > 1000);
	CHECK(s.vbfix_on > 50);
	CHECK(s.policy_moved > 50);
	CHECK_EQ(s.policy_moved_kept_vbfix, s.policy_moved);
}

static void test_same_seed_same_output(void)
{
	uint64_t s1 = 5, s2 = 5;
	struct vmf_mutator *a = vmf_mutator_new(fake_bytes, &s1);
	struct vmf_mutator *b = vmf_mutator_new(fake_bytes, &s2);
	uint8_t oa[MAX_LEN], ob[MAX_LEN], first[MAX_LEN];
	size_t first_len = 0;
	unsigned differ = 0;
	void *aa, *ab;

	load_corpus();
	if (!a || !b || !nr_inputs)
		return;
	for (unsigned it = 0; it < 2000; it++) {
		const struct input *in = &inputs[it % nr_inputs];
		const struct input *o = &inputs[(it * 7 + 1) % nr_inputs];
		size_t n = in->n < MAX_LEN ? in->n : MAX_LEN, la, lb;

		memcpy(oa, in->b, n);
		memcpy(ob, in->b, n);
		la = vmf_mutate(a, oa, n, MAX_LEN, o->b, o->n, 1000 + it);
		lb = vmf_mutate(b, ob, n, MAX_LEN, o->b, o->n, 1000 + it);
		CHECK(la == lb && !memcmp(oa, ob, la));
		la = vmf_crossover(a, in->b, in->n, o->b, o->n, oa, MAX_LEN, it);
		lb = vmf_crossover(b, in->b, in->n, o->b, o->n, ob, MAX_LEN, it);
		CHECK(la == lb && !memcmp(oa, ob, la));
	}
	/* ... and another seed, mostly another output. */
	for (unsigned seed = 0; seed < 200; seed++) {
		size_t n = inputs[0].n < MAX_LEN ? inputs[0].n : MAX_LEN, l;

		memcpy(oa, inputs[0].b, n);
		l = vmf_mutate(a, oa, n, MAX_LEN, NULL, 0, seed);
		if (seed == 0) {
			memcpy(first, oa, l);
			first_len = l;
		} else {
			differ += l != first_len || memcmp(first, oa, l);
		}
	}
	CHECK(differ > 150);

	/* The AFL++ library: same afl-fuzz seed, same sequence. */
	aa = afl_custom_init(NULL, 42);
	ab = afl_custom_init(NULL, 42);
	CHECK(aa && ab);
	for (unsigned it = 0; aa && ab && it < 2000; it++) {
		const struct input *in = &inputs[it % nr_inputs];
		const struct input *o = &inputs[(it * 5 + 3) % nr_inputs];
		uint8_t *pa = NULL, *pb = NULL;
		size_t max = it % 4 ? MAX_LEN : 64;
		size_t la = afl_custom_fuzz(aa, in->b, in->n, &pa, o->b, o->n, max);
		size_t lb = afl_custom_fuzz(ab, in->b, in->n, &pb, o->b, o->n, max);

		CHECK(pa && pb && la == lb && !memcmp(pa, pb, la));
		CHECK(output_ok(pa, la, max));
	}
	afl_custom_deinit(aa);
	afl_custom_deinit(ab);
	vmf_mutator_free(a);
	vmf_mutator_free(b);
}

static void test_afl_splices_add_buf(void)
{
	void *s = afl_custom_init(NULL, 1);
	struct vmf_mutator *m;
	unsigned long spliced;

	load_corpus();
	CHECK(s != NULL);
	if (!s || !nr_inputs)
		return;
	m = *(struct vmf_mutator **)s; /* struct afl_vmf starts with it */
	for (unsigned it = 0; it < 5000; it++) {
		const struct input *in = &inputs[it % nr_inputs];
		const struct input *o = &inputs[(it * 3 + 1) % nr_inputs];
		uint8_t *p = NULL;
		size_t l = afl_custom_fuzz(s, in->b, in->n, &p, o->b, o->n,
					   MAX_LEN);

		CHECK(output_ok(p, l, MAX_LEN));
	}
	spliced = m->done[MUT_SPLICE];
	printf("  afl: %lu splices in 5000\n", spliced);
	CHECK(spliced > 200);
	afl_custom_deinit(s);
}

TEST_MAIN(TEST(test_outputs_valid_and_every_kind),
	  TEST(test_crossover_mixes_parents),
	  TEST(test_retarget_names_live_handles),
	  TEST(test_runs_are_well_formed), TEST(test_insert_favours_rare_kinds),
	  TEST(test_header_vbfix), TEST(test_fill_run_completes_the_block),
	  TEST(test_insert_fits_the_header),
	  TEST(test_same_seed_same_output), TEST(test_afl_splices_add_buf))
