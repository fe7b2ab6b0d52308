/* The structure-aware minimiser (tools/vmfuzz_minimize.c) against
 * predicates whose minimal programs are known. */
#include <stdbool.h>

#include "test.h"
#include "vmfuzz.h"

static struct vmf_program *parse(const char *text)
{
	static struct vmf_program prog;
	char err[256];

	memset(&prog, 0, sizeof(prog));
	if (vmf_program_parse(text, &prog, err, sizeof(err))) {
		fprintf(stderr, "parse: %s\n", err);
		CHECK(0);
	}
	return &prog;
}

struct pred_ctx {
	size_t calls;
};

/* "Fails" when an allocation of exactly 3 pages (any vmalloc-family op
 * whose size operand comes first) is followed, later, by a purge; the
 * failing command is the purge. */
static bool vmalloc3_then_purge(void *arg, const struct vmf_program *p,
				long *fail_index)
{
	struct pred_ctx *c = arg;
	bool seen = false;

	c->calls++;
	for (size_t i = 0; i < p->nr_cmds; i++) {
		const struct vmf_cmd *cmd = &p->cmds[i];

		/* size form 0 (pages), value 3 */
		if (cmd->op >= OP_VMALLOC && cmd->op <= OP_VMALLOC_EXEC &&
		    (cmd->operand[0] & 15) == 0 &&
		    cmd->operand[1] == 3)
			seen = true;
		if (seen && cmd->op == OP_PURGE) {
			*fail_index = (long)i;
			return true;
		}
	}
	*fail_index = -1;
	return false;
}

static void test_drops_noise(void)
{
	struct vmf_program *p = parse(
		"machine window=16p ram=1024p nodes=2 cpus=3 tlb=4\n"
		"vmalloc size=1p\nvzalloc size=2p\nwrite h=0 off=0 len=16 pat=0x1\n"
		"vmalloc_node size=3p node=1\nvmalloc size=5p\nvfree h=1\n"
		"read h=0 off=0x10 len=64\ncheck\npurge\nvmalloc size=1p\n"
		"vfree h=0\npurge\n");
	struct pred_ctx c = {0};
	struct vmft_min_stats st;
	long idx = -1;

	CHECK(vmalloc3_then_purge(&c, p, &idx));
	vmft_minimize(p, idx, vmalloc3_then_purge, &c, &st, false);
	/* vmalloc_node 3p simplifies to vmalloc 3p; then purge. */
	CHECK_EQ(p->nr_cmds, 2);
	CHECK_EQ(p->cmds[0].op, OP_VMALLOC);
	CHECK_EQ(p->cmds[0].operand[1], 3);
	CHECK_EQ(p->cmds[1].op, OP_PURGE);
	/* The header went to the default machine. */
	for (size_t i = 0; i < VMF_HEADER_BYTES; i++)
		CHECK_EQ(p->header[i], 0);
	CHECK_EQ(st.cmds_before, 12);
	CHECK_EQ(st.cmds_after, 2);
	CHECK(st.bytes_after < st.bytes_before);
	CHECK_EQ(st.bytes_after, VMF_HEADER_BYTES + 3 + 1);
	CHECK(st.runs == c.calls - 1);
	CHECK(st.runs < 200);
}

/* Operands shrink to the smallest byte values that keep the failure. */
static bool write_len_at_least_100(void *arg, const struct vmf_program *p,
				   long *fail_index)
{
	(void)arg;
	for (size_t i = 0; i < p->nr_cmds; i++) {
		const struct vmf_cmd *cmd = &p->cmds[i];
		unsigned len = 1 + ((cmd->operand[3] | cmd->operand[4] << 8) &
				    0xfff);

		if (cmd->op == OP_WRITE && len >= 100) {
			*fail_index = (long)i;
			return true;
		}
	}
	*fail_index = -1;
	return false;
}

static void test_shrinks_operands(void)
{
	struct vmf_program *p = parse("vmalloc size=3p\nwrite h=7 off=2p+0x10 "
				      "len=4000 pat=0xab\nvfree h=0\n");
	struct vmft_min_stats st;
	long idx = -1;
	unsigned len;

	CHECK(write_len_at_least_100(NULL, p, &idx));
	vmft_minimize(p, idx, write_len_at_least_100, NULL, &st, false);
	CHECK_EQ(p->nr_cmds, 1);
	CHECK_EQ(p->cmds[0].op, OP_WRITE);
	CHECK_EQ(p->cmds[0].operand[0], 0); /* h */
	CHECK_EQ(p->cmds[0].operand[1], 0); /* off */
	CHECK_EQ(p->cmds[0].operand[2], 0);
	CHECK_EQ(p->cmds[0].operand[5], 0); /* pat */
	len = 1 + ((p->cmds[0].operand[3] | p->cmds[0].operand[4] << 8) &
		   0xfff);
	/* Byte by byte: the high byte goes to 1, the low byte to 0. */
	CHECK(len >= 100 && len <= 257);
}

/* A predicate that never holds again: the program stays as it was. */
static bool only_original(void *arg, const struct vmf_program *p,
			  long *fail_index)
{
	const struct vmf_program *orig = arg;

	*fail_index = (long)p->nr_cmds - 1;
	return vmf_program_equal(p, orig);
}

static void test_keeps_when_nothing_goes(void)
{
	struct vmf_program *p = parse("vmalloc size=3p\nvfree h=0\npurge\n");
	struct vmf_program orig = *p;
	struct vmft_min_stats st;

	vmft_minimize(p, 2, only_original, &orig, &st, false);
	CHECK(vmf_program_equal(p, &orig));
	CHECK_EQ(st.cmds_after, 3);
}

TEST_MAIN(TEST(test_drops_noise), TEST(test_shrinks_operands),
	  TEST(test_keeps_when_nothing_goes))
