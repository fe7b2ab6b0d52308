/* The byte format, its canonical form and the text form (harness/format/codec.c,
 * harness/format/cmd_table.c, harness/format/text.c; docs/format.md). */
#include <time.h>

#include <vmfuzz/placement.h>

#include "test.h"

#include <vmfuzz/fault.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "cmd.h"
#include "cmd_table.h"

/* ---- helpers ---- */

/* splitmix64: a fixed-seed generator, local state only. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct vmf_program *prog_new(void)
{
	struct vmf_program *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	return p;
}

/* The text form of a program (caller frees). */
static char *print_prog(const struct vmf_program *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	vmf_program_print(p, f);
	fclose(f);
	return buf;
}

static char *print_cmd(const struct vmf_cmd *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	vmf_cmd_print(c, f);
	fclose(f);
	return buf;
}

static int check_cfg(const struct vmf_config *cfg)
{
	char why[256];
	int ret = vmf_config_check(cfg, why, sizeof(why));

	if (ret)
		fprintf(stderr, "config refused: %s\n", why);
	return ret;
}

static size_t kind_width(unsigned kind)
{
	return vmf_kinds[kind].width;
}

/* ---- the empty input and the header ---- */

static void test_empty_input(void)
{
	struct vmf_program *p = prog_new();
	vaddr_t ls, le;

	memset(p, 0xa5, sizeof(*p));
	vmf_decode(NULL, 0, p);
	CHECK_EQ(p->nr_cmds, 0);
	for (unsigned i = 0; i < VMF_HEADER_BYTES; i++)
		CHECK_EQ(p->header[i], 0);
	CHECK_EQ(check_cfg(&p->cfg), 0);
	/* The embedded default machine. */
	vmf_linux_vmalloc_window(48, 12, &ls, &le);
	CHECK_EQ(p->cfg.page_shift, 12);
	CHECK_EQ(p->cfg.va_bits, 48);
	CHECK_EQ(p->cfg.vmalloc_start, ls);
	CHECK_EQ(p->cfg.vmalloc_end, ls + 64 * 4096);
	CHECK_EQ(p->cfg.phys_size, 256 * 4096);
	CHECK_EQ(p->cfg.phys_base, 0x40000000);
	CHECK_EQ(p->cfg.nr_nodes, 1);
	CHECK_EQ(p->cfg.nr_cpus, 4);
	CHECK_EQ(p->cfg.lazy_max_pages, 8);
	CHECK_EQ(p->cfg.tlb_entries, 16);
	CHECK_EQ(p->cfg.tlb_flush_max_pages, 1024);
	CHECK_EQ(p->cfg.policy, VMF_POLICY_LEGACY);
	{
		char *t = print_prog(p);

		CHECK_STR(t, "machine granule=4k va=48 window=64p ram=256p "
			     "nodes=1 cpus=4 lazy=8p tlb=16 policy=legacy\n");
		free(t);
	}
	{
		/* A few header bytes only: the rest is zero, no commands. */
		uint8_t in[3] = {5, 0xff, 0x07};

		vmf_decode(in, sizeof(in), p);
		CHECK_EQ(p->nr_cmds, 0);
		CHECK_EQ(p->header[0], 5);
		CHECK_EQ(p->header[2], 7);
		CHECK_EQ(p->header[3], 0);
		CHECK_EQ(p->cfg.page_shift, 16); /* 5: 64K/48 */
		CHECK_EQ(p->cfg.va_bits, 48);
		CHECK_EQ(p->cfg.phys_size, 192ull << 16); /* 7: 192p */
		CHECK_EQ(check_cfg(&p->cfg), 0);
	}
	free(p);
}

/* What every decoded header must give beyond vmf_config_check. */
static void check_header_cfg(const struct vmf_config *c)
{
	vaddr_t ls, le;
	uint64_t pages;

	CHECK_EQ(check_cfg(c), 0);
	vmf_linux_vmalloc_window(c->va_bits, c->page_shift, &ls, &le);
	CHECK_EQ(c->vmalloc_start, ls);
	CHECK(c->vmalloc_end <= le);
	CHECK((c->vmalloc_end - c->vmalloc_start) >> c->page_shift >= 4);
	pages = c->phys_size >> c->page_shift;
	CHECK(pages >= 64);
	CHECK(c->phys_size <= (1ull << 30));
	CHECK_EQ(c->phys_base, 0x40000000);
	CHECK(c->phys_base + c->phys_size <= (1ull << 32)); /* DMA32 moot */
	CHECK(c->nr_nodes >= 1 && c->nr_nodes <= 4);
	CHECK(c->nr_cpus >= 1 && c->nr_cpus <= 8);
	CHECK(c->lazy_max_pages >= 1);
	CHECK(c->tlb_entries >= 1 && c->tlb_entries <= 4096);
	CHECK(c->policy < VMF_POLICY_NR); /* "all" runs on a legacy base */
}

static void test_header_every_byte(void)
{
	struct vmf_program *p = prog_new();

	for (unsigned f = 0; f < VMF_HEADER_BYTES; f++) {
		for (unsigned b = 0; b < 256; b++) {
			uint8_t h[VMF_HEADER_BYTES] = {0};
			int before = test_ctx_.failed_checks;

			h[f] = (uint8_t)b;
			vmf_decode(h, sizeof(h), p);
			check_header_cfg(&p->cfg);
			if (test_ctx_.failed_checks != before) {
				fprintf(stderr, "header byte %u = 0x%02x\n", f,
					b);
				free(p);
				return;
			}
		}
	}
	{
		/* All 7 Linux layouts. */
		static const unsigned want[7][2] = {
			{12, 39}, {12, 48}, {14, 36}, {14, 47},
			{14, 48}, {16, 42}, {16, 48},
		};
		for (unsigned i = 0; i < 7; i++) {
			bool found = false;

			for (unsigned b = 0; b < 256; b++) {
				uint8_t h[VMF_HEADER_BYTES] = {(uint8_t)b};

				vmf_decode(h, sizeof(h), p);
				found |= p->cfg.page_shift == want[i][0] &&
					 p->cfg.va_bits == want[i][1];
			}
			CHECK(found);
		}
	}
	free(p);
}

/* The fields that constrain each other, all together. */
static void test_header_cross_product(void)
{
	struct vmf_program *p = prog_new();
	unsigned long n = 0;

	for (unsigned lay = 0; lay < 7; lay++)
	for (unsigned win = 0; win < 32; win++)
	for (unsigned ram = 0; ram < 16; ram++)
	for (unsigned nodes = 0; nodes < 4; nodes++)
	for (unsigned cpus = 0; cpus < 8; cpus++)
	for (unsigned lazy = 0; lazy < 16; lazy++) {
		uint8_t h[VMF_HEADER_BYTES] = {
			(uint8_t)lay, (uint8_t)win, (uint8_t)ram,
			(uint8_t)nodes, (uint8_t)cpus, (uint8_t)lazy,
			(uint8_t)(lazy ^ win), 0,
		};
		char why[200];

		vmf_decode(h, sizeof(h), p);
		if (vmf_config_check(&p->cfg, why, sizeof(why))) {
			CHECK_STR(why, "(valid)");
			free(p);
			return;
		}
		n++;
	}
	CHECK_EQ(n, 7ul * 32 * 16 * 4 * 8 * 16);
	free(p);
}

static void test_header_values(void)
{
	struct vmf_program *p = prog_new();
	uint8_t h[VMF_HEADER_BYTES];
	vaddr_t ls, le;

	/* 16K/47, a 1 MiB window, 1 GiB of RAM, 4 nodes, 8 CPUs, the
	 * kernel's lazy formula, 4096 TLB entries. */
	h[HF_LAYOUT] = 3;
	h[HF_WINDOW] = 26;
	h[HF_RAM] = 15;
	h[HF_NODES] = 3;
	h[HF_CPUS] = 7;
	h[HF_LAZY] = 15;
	h[HF_TLB] = 15;
	h[HF_POLICY] = 0x7f; /* below 0x80: legacy */
	vmf_decode(h, sizeof(h), p);
	vmf_linux_vmalloc_window(47, 14, &ls, &le);
	CHECK_EQ(p->cfg.page_shift, 14);
	CHECK_EQ(p->cfg.va_bits, 47);
	CHECK_EQ(p->cfg.vmalloc_start, ls);
	CHECK_EQ(p->cfg.vmalloc_end, ls + (1 << 20));
	CHECK_EQ(p->cfg.phys_size, 32ull << 20);
	CHECK_EQ(p->cfg.nr_nodes, 4);
	CHECK_EQ(p->cfg.nr_cpus, 8);
	/* fls(8) * 32 MiB / 16 KiB */
	CHECK_EQ(p->cfg.lazy_max_pages, 4 * 2048);
	CHECK_EQ(p->cfg.tlb_entries, 4096);
	CHECK_EQ(p->cfg.policy, VMF_POLICY_LEGACY);
	{
		char *t = print_prog(p);

		CHECK_STR(t, "machine granule=16k va=47 window=1m ram=32m "
			     "nodes=4 cpus=8 lazy=kernel tlb=4096 "
			     "policy=legacy\n");
		free(t);
	}
	/* The Linux window. */
	h[HF_WINDOW] = 31;
	vmf_decode(h, sizeof(h), p);
	CHECK_EQ(p->cfg.vmalloc_start, ls);
	CHECK_EQ(p->cfg.vmalloc_end, le);
	/* Byte values wrap modulo the table size. */
	h[HF_WINDOW] = 31 + 32 * 7;
	vmf_decode(h, sizeof(h), p);
	CHECK_EQ(p->cfg.vmalloc_end, le);
	/* The policy: 0x80 + k is value 1 + k % 3; "all" runs on a legacy
	 * base machine. */
	h[HF_POLICY] = 0x80;
	vmf_decode(h, sizeof(h), p);
	CHECK_EQ(p->cfg.policy, VMF_POLICY_MODERN);
	CHECK_EQ(vmf_header_policy(p->header), VMF_POLICY_MODERN);
	h[HF_POLICY] = 0x84;
	vmf_decode(h, sizeof(h), p);
	CHECK_EQ(p->cfg.policy, VMF_POLICY_NEXTFIT);
	h[HF_POLICY] = 0xff; /* 0x7f % 3 = 1: nextfit */
	vmf_decode(h, sizeof(h), p);
	CHECK_EQ(p->cfg.policy, VMF_POLICY_NEXTFIT);
	h[HF_POLICY] = 0x85;
	vmf_decode(h, sizeof(h), p);
	CHECK_EQ(vmf_header_policy(p->header), VMF_POLICY_ALL);
	CHECK_EQ(p->cfg.policy, VMF_POLICY_LEGACY);
	{
		char *t = print_prog(p);

		CHECK(strstr(t, " policy=all\n") != NULL);
		free(t);
	}
	/* The header's names are the registry's. */
	for (unsigned i = 0; i < VMF_POLICY_NR; i++)
		CHECK_STR(vmf_hfield_value(HF_POLICY, i),
			  vmf_placement_get(i)->name);
	free(p);
}

/* Every header value prints, parses back to its canonical byte, and the
 * canonical byte decodes to the same machine. */
static void test_header_canonical_text(void)
{
	struct vmf_program *p = prog_new(), *q = prog_new();
	char err[256];

	for (unsigned f = 0; f < VMF_HEADER_BYTES; f++) {
		for (unsigned b = 0; b < 256; b++) {
			uint8_t h[VMF_HEADER_BYTES] = {0}, out[16];
			char *t;

			h[f] = (uint8_t)b;
			vmf_decode(h, sizeof(h), p);
			CHECK_EQ(vmf_encode(p, out, sizeof(out)), 8);
			/* The policy byte also carries vbfix (bits 6..5 ==
			 * 0b10): the policy's byte | 0x40. */
			if (f == HF_POLICY && vmf_header_vbfix((uint8_t)b)) {
				CHECK_EQ(out[f], vmf_hfield_byte(f, vmf_hfield_index(
						 f, (uint8_t)b)) | VMF_VBFIX_BYTE);
				CHECK(p->cfg.vb_flush_full);
			} else {
				CHECK_EQ(out[f], vmf_hfield_byte(
							 f, vmf_hfield_index(f, (uint8_t)b)));
				if (f == HF_POLICY)
					CHECK(!p->cfg.vb_flush_full);
			}
			CHECK(vmf_hfield_index(f, out[f]) < vmf_hfield_nr(f));
			CHECK_EQ(vmf_hfield_index(f, out[f]),
				 vmf_hfield_index(f, (uint8_t)b));
			vmf_decode(out, 8, q);
			CHECK(!memcmp(&p->cfg, &q->cfg, sizeof(p->cfg)));
			t = print_prog(p);
			CHECK_EQ(vmf_program_parse(t, q, err, sizeof(err)), 0);
			CHECK_EQ(q->header[f], out[f]);
			CHECK(vmf_program_equal(p, q));
			free(t);
		}
	}
	CHECK_EQ(vmf_hfield_nr(HF_POLICY), VMF_POLICY_NR + 1);
	free(p);
	free(q);
}

/* ---- the opcode map and the op table ---- */

static void test_opcode_table(void)
{
	unsigned count[OP_NR] = {0};

	for (unsigned b = 0; b < 256; b++) {
		unsigned op = vmf_opcode_op[b];

		CHECK(op < OP_NR);
		if (op < OP_NR)
			count[op]++;
		/* Reserved for later versions: NOP, no operands, but the
		 * bytes versions 2 and 3 took (docs/format.md). */
		if (b == 0xc1 || b == 0xc2)
			CHECK_EQ(op, b == 0xc1 ? OP_VM_MAP_RAM : OP_VM_UNMAP_RAM);
		else if (b == 0xc4 || b == 0xc5 || b == 0xc6)
			CHECK_EQ(op, b == 0xc6 ? OP_IOUNMAP : OP_IOREMAP);
		else if (b == 0xc9 || b == 0xca)
			CHECK_EQ(op, OP_VMALLOC_HUGE);
		else if (b == 0 || b >= 0xc0)
			CHECK_EQ(op, OP_NOP);
		else
			CHECK(op != OP_NOP);
	}
	for (unsigned op = 0; op < OP_NR; op++) {
		const struct vmf_op_desc *d = &vmf_ops[op];
		unsigned len = 0;

		CHECK(count[op] >= 1);
		CHECK_EQ(vmf_opcode_op[d->canon], op);
		for (unsigned b = 0; b < d->canon; b++)
			CHECK(vmf_opcode_op[b] != op);
		CHECK(d->nr <= VMF_MAX_OPERANDS);
		for (unsigned i = 0; i < d->nr; i++) {
			CHECK(d->kind[i] < K_NR);
			len += (unsigned)kind_width(d->kind[i]);
			for (unsigned j = 0; j < i; j++)
				CHECK(strcmp(vmf_kinds[d->kind[i]].key,
					     vmf_kinds[d->kind[j]].key));
		}
		CHECK_EQ(d->len, len);
		CHECK(d->len <= VMF_CMD_OPERAND_BYTES);
		CHECK_EQ(vmf_op_operand_bytes((enum vmf_op)op), d->len);
		CHECK_STR(vmf_op_name((enum vmf_op)op), d->name);
		for (unsigned j = 0; j < op; j++)
			CHECK(strcmp(d->name, vmf_ops[j].name));
		if (count[op] == 0)
			fprintf(stderr, "op %s unreachable\n", d->name);
	}
	CHECK(count[OP_VMALLOC] >= 8 && count[OP_VFREE] >= 8);
	CHECK_STR(vmf_op_name(OP_NR), "?");
	CHECK_STR(vmf_op_name(OP_VMALLOC_NODE_RANGE), "vmalloc_node_range");
	CHECK_STR(vmf_bad_name(BAD_VFREE_DOUBLE), "vfree_double");
	CHECK_STR(vmf_bad_name(BAD_VUNMAP_NONEXISTENT), "vunmap_nonexistent");
	CHECK_STR(vmf_bad_name(BAD_NR), "?");
	for (unsigned i = 0; i < BAD_NR; i++) {
		CHECK(strcmp(vmf_bad_name((enum vmf_bad)i), "?"));
		CHECK(vmf_bad_name((enum vmf_bad)i)[0] != '\0');
	}
	/* + 2: the header extension */
	CHECK_EQ(vmf_encoded_max(), VMF_HEADER_BYTES + 2 + VMF_MAX_CMDS * 10);
}

/* The opcode ranges of docs/format.md, as a golden string. */
static void test_opcode_ranges(void)
{
	char buf[2048];
	size_t n = 0;

	for (unsigned b = 0; b < 256;) {
		unsigned e = b;

		while (e + 1 < 256 && vmf_opcode_op[e + 1] == vmf_opcode_op[b])
			e++;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%02x-%02x %s",
				      b ? " " : "", b, e,
				      vmf_op_name((enum vmf_op)vmf_opcode_op[b]));
		b = e + 1;
	}
	CHECK_STR(buf,
		  "00-00 nop 01-03 early_add 04-06 early_register 07-14 vmalloc "
		  "15-1a vzalloc 1b-1f vmalloc_node 20-23 vzalloc_node "
		  "24-27 vmalloc_32 28-2b vmalloc_user 2c-2f vmalloc_exec "
		  "30-35 __vmalloc 36-3d vmalloc_node_range 3e-42 get_vm_area "
		  "43-47 get_vm_area_node 48-4d vmap 4e-5b vfree "
		  "5c-60 vfree_atomic 61-65 vfree_irq 66-6b vunmap "
		  "6c-6f remove_vm_area 70-73 free_vm_area 74-78 run_deferred "
		  "79-7c set_cpu 7d-81 purge 82-85 unmap_aliases 86-8d write "
		  "8e-94 read 95-9b access 9c-a0 read_freed "
		  "a1-a4 vmalloc_to_page a5-a9 vread aa-af fault "
		  "b0-b3 fragment b4-bb bad bc-bf check c0-c0 nop "
		  "c1-c1 vm_map_ram c2-c2 vm_unmap_ram c3-c3 nop "
		  "c4-c5 ioremap c6-c6 iounmap c7-c8 nop "
		  "c9-ca vmalloc_huge cb-ff nop");
}

/* Every opcode byte decodes, and takes exactly its op's operand bytes. */
static void test_every_opcode_byte(void)
{
	struct vmf_program *p = prog_new();

	for (unsigned b = 0; b < 256; b++) {
		uint8_t in[VMF_HEADER_BYTES + 1 + VMF_CMD_OPERAND_BYTES + 1];
		unsigned op = vmf_opcode_op[b];
		size_t len = vmf_ops[op].len;

		/* 0xc0 right after the header is the extension, not a
		 * command (test_header_ext). */
		if (b == VMF_HEADER_EXT_OPCODE)
			continue;
		memset(in, 0x11, sizeof(in));
		in[VMF_HEADER_BYTES] = (uint8_t)b;
		/* Exactly one command, then one byte short of it. */
		vmf_decode(in, VMF_HEADER_BYTES + 1 + len, p);
		CHECK_EQ(p->nr_cmds, 1);
		CHECK_EQ(p->cmds[0].op, op);
		CHECK_EQ(p->cmds[0].opcode, b);
		for (size_t i = 0; i < VMF_CMD_OPERAND_BYTES; i++)
			CHECK_EQ(p->cmds[0].operand[i], i < len ? 0x11 : 0);
		vmf_decode(in, VMF_HEADER_BYTES + len, p);
		CHECK_EQ(p->nr_cmds, 0);
	}
	free(p);
}

/* ---- operands ---- */

/* Every byte value of every kind: a canonical encoding exists, is a fixed
 * point, means the same, prints the same, and the print parses back to
 * it. Together: print is injective on meanings and parse inverts it. */
static void test_operand_kinds_exhaustive(void)
{
	for (unsigned k = 0; k < K_NR; k++) {
		size_t w = kind_width(k);
		unsigned long nr = w == 2 ? 65536 : 256, ncanon = 0;

		CHECK(w == 1 || w == 2);
		for (unsigned long v = 0; v < nr; v++) {
			uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
			uint8_t c[2] = {0, 0}, c2[2] = {0, 0}, pb[2] = {0, 0};
			struct vmf_sym s, s2;
			char t1[128], t2[128], why[600];
			int before = test_ctx_.failed_checks;

			vmf_sym_decode(k, b, &s);
			CHECK_EQ(vmf_sym_encode(k, &s, c), 0);
			vmf_sym_decode(k, c, &s2);
			CHECK(vmf_sym_equal(&s, &s2));
			CHECK_EQ(vmf_sym_encode(k, &s2, c2), 0);
			CHECK(!memcmp(c, c2, w));
			ncanon += !memcmp(b, c, w);
			vmf_operand_format(k, b, t1, sizeof(t1));
			vmf_operand_format(k, c, t2, sizeof(t2));
			CHECK_STR(t1, t2);
			CHECK(t1[0] != '\0' && !strchr(t1, ' ') &&
			      !strchr(t1, '#') && !strchr(t1, '='));
			if (vmf_operand_parse(k, t1, pb, why, sizeof(why))) {
				CHECK_STR(why, "(parses)");
			} else {
				CHECK(!memcmp(pb, c, w));
			}
			if (test_ctx_.failed_checks != before) {
				fprintf(stderr, "kind %s bytes %02x %02x: %s\n",
					vmf_kinds[k].key, b[0], b[1], t1);
				return;
			}
		}
		CHECK(ncanon >= 2);
	}
}

static void fmt(unsigned kind, uint8_t b0, uint8_t b1, const char *want)
{
	uint8_t b[2] = {b0, b1};
	char t[128];

	vmf_operand_format(kind, b, t, sizeof(t));
	CHECK_STR(t, want);
}

/* The documented encodings (docs/format.md). */
static void test_operand_forms(void)
{
	fmt(K_SIZE, 0, 0, "0");
	fmt(K_SIZE, 0, 3, "3p");
	fmt(K_SIZE, 0x10, 3, "3p");  /* high nibble of the form ignored */
	fmt(K_SIZE, 1, 255, "255p");
	fmt(K_SIZE, 8, 20, "320p");
	fmt(K_SIZE, 8, 2, "32p");    /* = form 0: not canonical */
	fmt(K_SIZE, 2, 0, "0x1");
	fmt(K_SIZE, 2, 255, "0x100");
	fmt(K_SIZE, 3, 0, "1p-0x1");
	fmt(K_SIZE, 4, 255, "256p+0x1");
	fmt(K_SIZE, 5, 0, "window");
	fmt(K_SIZE, 5, 1, "window+1p");
	fmt(K_SIZE, 14, 0xff, "window-1p");
	fmt(K_SIZE, 6, 0x80, "totalram-128p");
	fmt(K_SIZE, 9, 0, "-0x1");
	fmt(K_SIZE, 9, 255, "-0x100");
	fmt(K_SIZE, 10, 1, "-2p");
	fmt(K_SIZE, 11, 0, "0x100000");
	fmt(K_SIZE, 11, 43, "0x8000000000000000");
	fmt(K_SIZE, 11, 44, "0x100000");
	fmt(K_ALIGN, 0, 0, "0x1");
	fmt(K_ALIGN, 12, 0, "0x1000");
	fmt(K_ALIGN, 0x40, 0, "1p");
	fmt(K_ALIGN, 0x45, 0, "32p");
	fmt(K_ALIGN, 0x5f, 0, "2147483648p");
	fmt(K_ALIGN, 0x60, 0, "1p");
	fmt(K_ALIGN, 0xc0, 0, "0");
	fmt(K_ALIGN, 0xca, 0, "1p+0x1");
	fmt(K_ALIGN, 0xcb, 0, "1p-0x1");
	fmt(K_ALIGN, 0xd9, 0, "-0x1");
	fmt(K_START, 0, 0, "win");
	fmt(K_START, 2, 0, "win+2p");
	fmt(K_START, 0x40, 0, "win_end");
	fmt(K_START, 0x43, 0, "win_end-3p");
	fmt(K_START, 0x80, 0, "win-1p");
	fmt(K_START, 0xbf, 0, "win_end+32p");
	fmt(K_START, 0xc1, 0, "win+0x1");
	fmt(K_START, 0xc3, 0, "-1p");
	fmt(K_END, 0, 0, "win_end");
	fmt(K_END, 0x40, 0, "win");
	fmt(K_ADDR, 0, 0, "win");
	fmt(K_OFF, 0, 0, "0");
	fmt(K_OFF, 1, 0, "1p");
	fmt(K_OFF, 1, 0x10, "1p+0x10");
	fmt(K_OFF, 2, 0xff, "2p-0x1");
	fmt(K_OFF, 0, 0x80, "-0x80");
	fmt(K_LEN, 0, 0, "1");
	fmt(K_LEN, 0xff, 0x0f, "4096");
	fmt(K_LEN, 0xff, 0xff, "4096");
	fmt(K_COUNT, 0, 0, "1");
	fmt(K_COUNT, 63, 0, "64");
	fmt(K_COUNT, 64, 0, "1");
	fmt(K_NODE, 0, 0, "-1");
	fmt(K_NODE, 1, 0, "0");
	fmt(K_NODE, 7, 0, "1024");
	fmt(K_GFP, 0, 0, "kernel");
	fmt(K_GFP, 0x3f, 0, "zero|nowarn|thisnode|highmem|dma32|invalid");
	fmt(K_GFP, 0xc1, 0, "zero");
	fmt(K_PROT, 0, 0, "kernel");
	fmt(K_PROT, 6, 0, "rox_ng");
	fmt(K_FLAGS, 0, 0, "0");
	fmt(K_FLAGS, 0xc1, 0, "ioremap|no_guard|invalid");
	fmt(K_H, 200, 0, "200");
	fmt(K_CPU, 9, 0, "9");
	fmt(K_PAT, 0xab, 0, "0xab");
	fmt(K_SITE, 2, 0, "pgtable");
	fmt(K_SITE, 3, 0, "page_alloc");
	fmt(K_MODE, 1, 0, "nth");
	fmt(K_ACC, 2, 0, "x");
	fmt(K_EL, 0, 0, "1");
	fmt(K_EL, 1, 0, "0");
	fmt(K_BAD, 2, 0, "vfree_double");
	fmt(K_BAD, BAD_NR, 0, "vfree_unaligned");
	fmt(K_N, 3, 0, "3");
}

/* ---- resolving against a machine ---- */

static struct vmf_cmd mk(enum vmf_op op, const uint8_t *operand, size_t n)
{
	struct vmf_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.opcode = vmf_ops[op].canon;
	memcpy(c.operand, operand, n);
	return c;
}

static void test_resolve(void)
{
	struct vmf_program *p = prog_new();
	uint8_t h[VMF_HEADER_BYTES] = {3, 10, 10, 1, 2, 15, 4, 0};
	const struct vmf_config *cfg = &p->cfg;
	struct vmf_args a;
	struct vmf_cmd c;
	uint64_t P = 16384, ws, we;

	vmf_decode(h, sizeof(h), p); /* 16K/47, 16p window, 1024p RAM */
	ws = cfg->vmalloc_start;
	we = cfg->vmalloc_end;
	CHECK_EQ(we - ws, 16 * P);

	c = mk(OP_VMALLOC, (const uint8_t[]){0, 3}, 2);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, 3 * P);
	/* Fields the op does not take: the zero-byte values. */
	CHECK_EQ(a.align, 1);
	CHECK_EQ(a.start, ws);
	CHECK_EQ(a.end, we);
	CHECK_EQ(a.prot, PAGE_KERNEL);
	CHECK_EQ(a.node, NUMA_NO_NODE);
	CHECK_EQ(a.gfp, 0);
	CHECK_EQ(a.len, 1);
	CHECK_EQ(a.el, 1);
	CHECK_EQ(a.count, 1);
	CHECK_EQ(a.cpu, 0);

	c = mk(OP_VMALLOC, (const uint8_t[]){5, 0}, 2);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, 16 * P);
	c = mk(OP_VMALLOC, (const uint8_t[]){6, 1}, 2);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, 1025 * P);
	c = mk(OP_VMALLOC, (const uint8_t[]){9, 0}, 2);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, UINT64_MAX);
	c = mk(OP_VMALLOC, (const uint8_t[]){3, 2}, 2);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, 3 * P - 1);
	c = mk(OP_VMALLOC, (const uint8_t[]){10, 0}, 2);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, 0 - P);

	/* size 1p-0x1 align 4p start win+2p end win_end gfp zero|nowarn
	 * prot ro flags no_guard|invalid node 0 */
	c = mk(OP_VMALLOC_NODE_RANGE,
	       (const uint8_t[]){3, 0, 0x42, 2, 0, 3, 1, 0xc0, 1}, 9);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.size, P - 1);
	CHECK_EQ(a.align, 4 * P);
	CHECK_EQ(a.start, ws + 2 * P);
	CHECK_EQ(a.end, we);
	CHECK_EQ(a.gfp, __GFP_ZERO | __GFP_NOWARN);
	CHECK_EQ(a.prot, PAGE_KERNEL_RO);
	CHECK_EQ(a.vm_flags, VM_NO_GUARD | VMF_VM_FLAGS_INVALID);
	CHECK_EQ(a.node, 0);

	/* get_vm_area_node: size align flags start end node gfp */
	c = mk(OP_GET_VM_AREA_NODE,
	       (const uint8_t[]){0, 1, 0xc1, 0x01, 0x80, 0xff, 5, 0x3f}, 8);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.align, 3);
	CHECK_EQ(a.vm_flags, VM_IOREMAP);
	CHECK_EQ(a.start, ws - P);
	CHECK_EQ(a.end, we + 32 * P);
	CHECK_EQ(a.node, 4);
	CHECK_EQ(a.gfp, __GFP_ZERO | __GFP_NOWARN | __GFP_THISNODE |
			__GFP_HIGHMEM | __GFP_DMA32 | VMF_GFP_INVALID);

	c = mk(OP_WRITE, (const uint8_t[]){7, 2, 0xff, 0x0f, 0, 0xab}, 6);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.handle, 7);
	CHECK_EQ(a.offset, 2 * P - 1);
	CHECK_EQ(a.len, 16);
	CHECK_EQ(a.pattern, 0xab);
	c = mk(OP_READ, (const uint8_t[]){0, 0, 0x80, 0xff, 0xff}, 5);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.offset, (uint64_t)-128);
	CHECK_EQ(a.len, VMF_MAX_ACCESS);

	c = mk(OP_ACCESS, (const uint8_t[]){1, 1, 0, 2, 1}, 5);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.access, ACC_EXEC);
	CHECK_EQ(a.el, 0);
	CHECK_EQ(a.offset, P);

	c = mk(OP_RUN_DEFERRED, (const uint8_t[]){5}, 1);
	vmf_cmd_resolve(&c, cfg, &a); /* 2 CPUs */
	CHECK_EQ(a.cpu, 1);
	c = mk(OP_FAULT, (const uint8_t[]){2, 1, 3}, 3);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.site, FAULT_PGTABLE);
	CHECK_EQ(a.mode, FAULT_NTH);
	CHECK_EQ(a.n, 3);
	c = mk(OP_BAD, (const uint8_t[]){BAD_NR + 3, 9, 0, 1}, 4);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.bad, 3);
	CHECK_EQ(a.handle, 9);
	CHECK_EQ(a.offset, 1);
	c = mk(OP_VMAP, (const uint8_t[]){63, 4, 7}, 3);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.count, 64);
	CHECK_EQ(a.vm_flags, VM_MAP);
	CHECK_EQ(a.prot, PAGE_KERNEL_EXEC_NG);
	c = mk(OP_EARLY_ADD, (const uint8_t[]){0xc1, 0, 1, 0}, 4);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.start, ws + 1);
	CHECK_EQ(a.size, P);
	c = mk(OP_EARLY_REGISTER, (const uint8_t[]){0, 1, 0x5f}, 3);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.align, P << 31);
	c = mk(OP_GET_VM_AREA_NODE,
	       (const uint8_t[]){0, 0, 0, 0, 0xc3, 0xc7 ^ 0x40, 0, 0}, 8);
	vmf_cmd_resolve(&c, cfg, &a);
	CHECK_EQ(a.start, 0 - P);
	CHECK_EQ(a.end, 0x8000000000000000ull);
	free(p);
}

/* ---- round trips ---- */

/* decode -> encode -> decode, and print -> parse -> print, on x. */
static void roundtrip(const uint8_t *x, size_t n, struct vmf_program *p1,
		      struct vmf_program *p2, uint8_t *e1, uint8_t *e2)
{
	size_t max = vmf_encoded_max(), l1, l2;
	char err[256], *t1, *t3;
	int before = test_ctx_.failed_checks;

	vmf_decode(x, n, p1);
	CHECK_EQ(check_cfg(&p1->cfg), 0);
	l1 = vmf_encode(p1, e1, max);
	CHECK(l1 <= max);
	vmf_decode(e1, l1, p2);
	CHECK(vmf_program_equal(p1, p2));
	CHECK_EQ(p2->nr_cmds, p1->nr_cmds);
	/* A fixed point, byte for byte. */
	l2 = vmf_encode(p2, e2, max);
	CHECK_EQ(l2, l1);
	CHECK(!memcmp(e1, e2, l1));
	/* The decoded bytes of the canonical form are the canonicalised
	 * program's. */
	vmf_program_canonicalize(p1);
	CHECK(!memcmp(p1->header, p2->header, VMF_HEADER_BYTES));
	for (size_t i = 0; i < p1->nr_cmds; i++) {
		CHECK_EQ(p1->cmds[i].op, p2->cmds[i].op);
		CHECK_EQ(p1->cmds[i].opcode, p2->cmds[i].opcode);
		CHECK(!memcmp(p1->cmds[i].operand, p2->cmds[i].operand,
			      VMF_CMD_OPERAND_BYTES));
		CHECK(p2->cmds[i].opcode < 0xc0 ||
		      p2->cmds[i].op == OP_VM_MAP_RAM ||
		      p2->cmds[i].op == OP_VM_UNMAP_RAM ||
		      p2->cmds[i].op == OP_IOREMAP ||
		      p2->cmds[i].op == OP_IOUNMAP ||
		      p2->cmds[i].op == OP_VMALLOC_HUGE);
	}
	/* Text. */
	vmf_decode(x, n, p1);
	t1 = print_prog(p1);
	if (vmf_program_parse(t1, p2, err, sizeof(err))) {
		CHECK_STR(err, "(parses)");
	} else {
		CHECK(vmf_program_equal(p1, p2));
		t3 = print_prog(p2);
		CHECK_STR(t3, t1);
		free(t3);
		l2 = vmf_encode(p2, e2, max);
		CHECK_EQ(l2, l1);
		CHECK(!memcmp(e1, e2, l1));
	}
	free(t1);
	if (test_ctx_.failed_checks != before) {
		fprintf(stderr, "input (%zu bytes):", n);
		for (size_t i = 0; i < n && i < 64; i++)
			fprintf(stderr, " %02x", x[i]);
		fprintf(stderr, "\n");
	}
}

static void test_random_roundtrip(void)
{
	struct vmf_program *p1 = prog_new(), *p2 = prog_new();
	size_t max = vmf_encoded_max();
	uint8_t *x = malloc(4096), *e1 = malloc(max), *e2 = malloc(max);
	uint64_t s = 0x5eed0001;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rnd(&s) % (iter % 4 ? 300 : 4096);
		unsigned mode = iter % 5;
		int before = test_ctx_.failed_checks;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = rnd(&s);

			/* Uniform bytes, small bytes, 0/0xff heavy bytes. */
			if (mode == 1)
				x[i] = (uint8_t)(r % 8);
			else if (mode == 2)
				x[i] = (r & 1) ? 0 : (r & 2) ? 0xff
							   : (uint8_t)(r >> 8);
			else
				x[i] = (uint8_t)r;
		}
		roundtrip(x, n, p1, p2, e1, e2);
		if (test_ctx_.failed_checks != before)
			break;
	}
	free(x);
	free(e1);
	free(e2);
	free(p1);
	free(p2);
}

/* Each op with random operands: decodes, prints, parses, resolves. */
static void test_every_op(void)
{
	struct vmf_program *p1 = prog_new(), *p2 = prog_new();
	size_t max = vmf_encoded_max();
	uint8_t *e1 = malloc(max), *e2 = malloc(max);
	uint64_t s = 0x5eed0002;

	for (unsigned op = 0; op < OP_NR; op++) {
		for (int iter = 0; iter < 300; iter++) {
			uint8_t x[VMF_HEADER_BYTES + 1 + VMF_CMD_OPERAND_BYTES];
			size_t len = vmf_ops[op].len;
			struct vmf_args a;
			char *t;

			for (size_t i = 0; i < sizeof(x); i++)
				x[i] = (uint8_t)rnd(&s);
			x[VMF_HEADER_BYTES] = vmf_ops[op].canon;
			roundtrip(x, VMF_HEADER_BYTES + 1 + len, p1, p2, e1,
				  e2);
			vmf_decode(x, VMF_HEADER_BYTES + 1 + len, p1);
			CHECK_EQ(p1->nr_cmds, 1);
			CHECK_EQ(p1->cmds[0].op, op);
			t = print_cmd(&p1->cmds[0]);
			CHECK(!strncmp(t, vmf_ops[op].name,
				       strlen(vmf_ops[op].name)));
			free(t);
			vmf_cmd_resolve(&p1->cmds[0], &p1->cfg, &a);
			CHECK(a.cpu < p1->cfg.nr_cpus);
			CHECK(a.len >= 1 && a.len <= VMF_MAX_ACCESS);
			CHECK(a.count >= 1 &&
			      a.count <= (op == OP_VM_MAP_RAM ?
						  VMF_MAX_VM_MAP_RAM_PAGES :
						  VMF_MAX_VMAP_PAGES));
			CHECK(a.bad < BAD_NR);
			CHECK(a.site < FAULT_SITE_NR);
			CHECK(a.mode <= FAULT_ALWAYS);
			CHECK(a.access <= ACC_EXEC);
			CHECK(a.el <= 1);
			CHECK(a.handle <= 255);
		}
	}
	free(e1);
	free(e2);
	free(p1);
	free(p2);
}

/* ---- framing ---- */

static void test_truncated(void)
{
	struct vmf_program *full = prog_new(), *p = prog_new();
	uint8_t x[600];
	uint64_t s = 0x5eed0003;

	for (int iter = 0; iter < 50; iter++) {
		for (size_t i = 0; i < sizeof(x); i++)
			x[i] = (uint8_t)rnd(&s);
		vmf_decode(x, sizeof(x), full);
		for (size_t n = 0; n <= sizeof(x); n++) {
			size_t used = VMF_HEADER_BYTES, k = 0;

			vmf_decode(x, n, p);
			/* The header extension takes up to 2 bytes. */
			if (n > VMF_HEADER_BYTES &&
			    x[VMF_HEADER_BYTES] == VMF_HEADER_EXT_OPCODE)
				used += n - VMF_HEADER_BYTES > 1 ? 2 : 1;
			/* The commands that fit whole, then nothing. */
			while (k < full->nr_cmds &&
			       used + 1 + vmf_ops[full->cmds[k].op].len <= n) {
				used += 1 + vmf_ops[full->cmds[k].op].len;
				k++;
			}
			CHECK_EQ(p->nr_cmds, k);
			for (size_t i = 0; i < p->nr_cmds; i++)
				CHECK(!memcmp(&p->cmds[i], &full->cmds[i],
					      sizeof(p->cmds[i])));
			for (size_t i = 0; i < VMF_HEADER_BYTES; i++)
				CHECK_EQ(p->header[i], i < n ? x[i] : 0);
		}
	}
	free(full);
	free(p);
}

static void test_max_cmds(void)
{
	struct vmf_program *p = prog_new();
	size_t max = vmf_encoded_max();
	uint8_t *x = calloc(1, 8 + 300 * 10), *e = malloc(max);

	/* 300 purges: 256 kept, the rest ignored. */
	memset(x + 8, 0x7d, 300);
	vmf_decode(x, 8 + 300, p);
	CHECK_EQ(p->nr_cmds, VMF_MAX_CMDS);
	CHECK_EQ(vmf_encode(p, e, max), 8 + VMF_MAX_CMDS);
	/* 300 reserved opcodes: 256 NOPs, written as 0x00. */
	memset(x + 8, 0xee, 300);
	vmf_decode(x, 8 + 300, p);
	CHECK_EQ(p->nr_cmds, VMF_MAX_CMDS);
	CHECK_EQ(p->cmds[255].op, OP_NOP);
	CHECK_EQ(vmf_encode(p, e, max), 8 + VMF_MAX_CMDS);
	CHECK_EQ(e[8], 0);
	CHECK_EQ(e[8 + 255], 0);
	/* The longest commands, after a header extension, fill
	 * vmf_encoded_max() exactly. */
	for (int i = 0; i < 300; i++)
		x[8 + i * 10] = 0x36; /* vmalloc_node_range */
	vmf_decode(x, 8 + 300 * 10, p);
	CHECK_EQ(p->nr_cmds, VMF_MAX_CMDS);
	CHECK_EQ(vmf_encode(p, e, max), max - 2);
	p->ext = 0x11;
	CHECK_EQ(vmf_encode(p, e, max), max);
	p->ext = 0;
	/* Encoding stops before a command that does not fit. */
	CHECK_EQ(vmf_encode(p, e, 7), 0);
	CHECK_EQ(vmf_encode(p, e, 8), 8);
	CHECK_EQ(vmf_encode(p, e, 8 + 19), 8 + 10);
	CHECK_EQ(vmf_encode(p, e, 8 + 20), 8 + 20);
	free(x);
	free(e);
	free(p);
}

/* ---- text ---- */

static void parse_fails(const char *text, const char *want)
{
	struct vmf_program *p = prog_new();
	char err[512] = "";

	CHECK_EQ(vmf_program_parse(text, p, err, sizeof(err)), -1);
	if (!strstr(err, want)) {
		test_ctx_.failed_checks++;
		fprintf(stderr, "parse error for:\n%s\n--- got: %s\n--- want "
			"a message containing: %s\n", text, err, want);
	}
	free(p);
}

static void test_parse_errors(void)
{
	parse_fails("machine granule=4k\nvmalloc size=3p\nfoo h=1\n",
		    "line 3: unknown command 'foo'");
	parse_fails("vmalloc sz=3p",
		    "line 1: vmalloc has no operand 'sz' (operands: size)");
	parse_fails("purge h=1", "line 1: purge has no operand 'h' "
				 "(operands: none)");
	parse_fails("\nvmalloc size=0x3000",
		    "line 2: vmalloc size: '0x3000' cannot be encoded: sizes "
		    "are");
	parse_fails("vmalloc size=window+128p", "cannot be encoded");
	parse_fails("vmalloc size=win", "cannot be encoded");
	parse_fails("vmalloc size=window+", "line 1: vmalloc size: expected "
					    "a number at ''");
	parse_fails("vmalloc size=3p4", "expected '+' or '-' at '4'");
	parse_fails("vmalloc size=foo+1p", "unknown name 'foo'");
	parse_fails("vmalloc size=", "empty value");
	parse_fails("vmalloc size=0x10000000000000000", "expected a number");
	parse_fails("vfree h=1 h=2", "line 1: vfree: h given twice");
	parse_fails("vfree h", "line 1: vfree: 'h' is not key=value");
	parse_fails("vfree h=256", "vfree h: '256' cannot be encoded: 0..255");
	parse_fails("vfree h=abc", "vfree h: 'abc' is not a number");
	parse_fails("write h=0 off=1p len=0", "write len: '0' cannot be "
					      "encoded: 1..4096");
	parse_fails("write off=256p", "offsets are");
	parse_fails("vmap count=65", "1..64");
	parse_fails("vmalloc_node_range gfp=zero|bogus",
		    "'bogus' is not one of: zero, nowarn");
	parse_fails("vmalloc_node_range flags=", "'' is not one of");
	parse_fails("access acc=q", "access acc: 'q' is not one of: r, w, x");
	parse_fails("bad kind=vfree_triple", "'vfree_triple' is not one of: "
					     "vfree_unaligned,");
	parse_fails("early_register align=0x5", "aligns are");
	parse_fails("vmalloc_node_range start=win+64p", "addresses are");
	parse_fails("\n\n# c\nmachine window=3p",
		    "line 4: machine: window '3p' is not one of: 64p, 4p");
	parse_fails("vmalloc size=1p\nmachine", "line 2: 'machine' must be "
						"the first line");
	parse_fails("machine\nmachine", "line 2: 'machine' must be");
	parse_fails("machine policy=best", "line 1: machine: policy 'best' "
					   "is not one of: legacy, modern, "
					   "nextfit, all");
	parse_fails("machine granule=4k va=36", "not a Linux arm64 layout");
	parse_fails("machine granule=8k", "granule '8k' is not 4k, 16k");
	parse_fails("machine va=x", "va 'x' is not a number");
	parse_fails("machine foo=1", "unknown field 'foo'");
	parse_fails("machine cpus=4 cpus=4", "cpus given twice");
	parse_fails("machine cpus", "'cpus' is not key=value");
	parse_fails("vfree h=1 h=2 h=3 h=4 h=5 h=6 h=7 h=8 h=9 h=10 h=11 h=12 "
		    "h=13 h=14 h=15 h=16", "too many operands");
	{
		/* 257 commands. */
		size_t len = 257 * 6 + 1;
		char *t = malloc(len);

		for (int i = 0; i < 257; i++)
			memcpy(t + i * 6, "purge\n", 6);
		t[257 * 6] = '\0';
		parse_fails(t, "line 257: more than 256 commands");
		t[256 * 6] = '\0';
		{
			struct vmf_program *p = prog_new();

			CHECK_EQ(vmf_program_parse(t, p, NULL, 0), 0);
			CHECK_EQ(p->nr_cmds, 256);
			free(p);
		}
		free(t);
	}
	{
		/* No err buffer, and a tiny one. */
		struct vmf_program *p = prog_new();
		char err[8];

		CHECK_EQ(vmf_program_parse("nope", p, NULL, 0), -1);
		CHECK_EQ(vmf_program_parse("nope", p, err, sizeof(err)), -1);
		CHECK_STR(err, "line 1:");
		free(p);
	}
}

static void test_parse_lenient(void)
{
	struct vmf_program *p = prog_new();
	char err[256];
	char *t;

	CHECK_EQ(vmf_program_parse(
			 "# a comment\n"
			 "\n"
			 "  machine   window=4p\tcpus=1   # trailing\r\n"
			 "vmalloc\r\n"
			 "\t write pat=0x1 h=3   \n"
			 "vmalloc size=0x1000000 # 1<<24\n"
			 "vmalloc size=16\n"
			 "vmalloc size=4080p # a multiple of 16\n"
			 "vmalloc size=-0x2+0x1\n"
			 "vmalloc_node_range end=win_end-0p start=win+2p "
			 "gfp=dma32|zero|zero\n"
			 "read off=3p+0x10-0x20\n"
			 "nop",
			 p, err, sizeof(err)),
		 0);
	CHECK_EQ(p->header[HF_WINDOW], 1);
	CHECK_EQ(p->header[HF_CPUS], 1);
	CHECK_EQ(p->nr_cmds, 9);
	t = print_prog(p);
	CHECK_STR(t,
		  "machine granule=4k va=48 window=4p ram=256p nodes=1 cpus=1 "
		  "lazy=8p tlb=16 policy=legacy\n"
		  "vmalloc size=0\n"
		  "write h=3 off=0 len=1 pat=0x01\n"
		  "vmalloc size=0x1000000\n"
		  "vmalloc size=0x10\n"
		  "vmalloc size=4080p\n"
		  "vmalloc size=-0x1\n"
		  "vmalloc_node_range size=0 align=0x1 start=win+2p "
		  "end=win_end gfp=zero|dma32 prot=kernel flags=0 node=-1\n"
		  "read h=0 off=3p-0x10 len=1\n"
		  "nop\n");
	free(t);
	/* Parsed bytes are canonical. */
	CHECK_EQ(p->cmds[0].opcode, vmf_ops[OP_VMALLOC].canon);
	/* No machine line: the default machine. */
	CHECK_EQ(vmf_program_parse("vfree h=1\n", p, err, sizeof(err)), 0);
	for (unsigned i = 0; i < VMF_HEADER_BYTES; i++)
		CHECK_EQ(p->header[i], 0);
	CHECK_EQ(p->nr_cmds, 1);
	/* The empty text. */
	CHECK_EQ(vmf_program_parse("", p, err, sizeof(err)), 0);
	CHECK_EQ(p->nr_cmds, 0);
	/* One of granule/va: the first layout that matches. */
	CHECK_EQ(vmf_program_parse("machine granule=16k", p, err, sizeof(err)),
		 0);
	CHECK_EQ(p->cfg.page_shift, 14);
	CHECK_EQ(p->cfg.va_bits, 48);
	CHECK_EQ(vmf_program_parse("machine va=42", p, err, sizeof(err)), 0);
	CHECK_EQ(p->cfg.page_shift, 16);
	CHECK_EQ(p->cfg.va_bits, 42);
	CHECK_EQ(vmf_program_parse("machine va=39 granule=4k", p, err,
				   sizeof(err)), 0);
	CHECK_EQ(p->cfg.va_bits, 39);
	free(p);
}

/* ---- golden: a format change shows here ---- */

static const char golden_text[] =
	"machine granule=16k va=47 window=16p ram=1024p nodes=2 cpus=2 "
	"lazy=kernel tlb=4 policy=legacy\n"
	"early_add addr=win+4p size=2p+0x1 flags=0\n"
	"early_register size=-2p align=0x1000\n"
	"vmalloc size=3p\n"
	"vmalloc size=0\n"
	"vzalloc size=window-1p\n"
	"vmalloc_32 size=0x10\n"
	"vmalloc_user size=-0x1\n"
	"vmalloc_exec size=0x100000\n"
	"__vmalloc size=320p gfp=kernel prot=kernel\n"
	"vmalloc_node_range size=1p-0x1 align=4p start=win+2p end=win_end "
	"gfp=zero|nowarn prot=ro flags=no_guard|invalid node=-1\n"
	"get_vm_area_node size=totalram+1p align=0x3 flags=ioremap "
	"start=win-1p end=win_end+32p node=4 gfp=invalid\n"
	"vmap count=64 flags=map prot=exec_ng\n"
	"write h=0 off=1p len=16 pat=0xab\n"
	"read h=1 off=-0x1 len=4096\n"
	"access h=0 off=2p acc=x el=0\n"
	"read_freed h=3 off=255p+0x7f len=1\n"
	"vread h=0 off=0 len=257\n"
	"vmalloc_to_page h=0 off=1p-0x80\n"
	"vfree h=2\n"
	"vfree_irq h=255\n"
	"run_deferred cpu=7\n"
	"fault site=page_alloc mode=nth n=3\n"
	"bad kind=vfree_double h=1 off=0\n"
	"fragment count=1\n"
	"set_cpu cpu=1\n"
	"nop\n"
	"purge\n"
	"check\n";

static const uint8_t golden_bytes[] = {
	0x03, 0x0a, 0x0a, 0x01, 0x02, 0x0f, 0x04, 0x00,
	0x01, 0x04, 0x04, 0x01, 0x00,
	0x04, 0x0a, 0x01, 0x0c,
	0x07, 0x00, 0x03,
	0x07, 0x00, 0x00,
	0x15, 0x05, 0xff,
	0x24, 0x02, 0x0f,
	0x28, 0x09, 0x00,
	0x2c, 0x0b, 0x00,
	0x30, 0x08, 0x14, 0x00, 0x00,
	0x36, 0x03, 0x00, 0x42, 0x02, 0x00, 0x03, 0x01, 0xc0, 0x00,
	0x43, 0x06, 0x01, 0xc1, 0x01, 0x80, 0xff, 0x05, 0x20,
	0x48, 0x3f, 0x04, 0x07,
	0x86, 0x00, 0x01, 0x00, 0x0f, 0x00, 0xab,
	0x8e, 0x01, 0x00, 0xff, 0xff, 0x0f,
	0x95, 0x00, 0x02, 0x00, 0x02, 0x01,
	0x9c, 0x03, 0xff, 0x7f, 0x00, 0x00,
	0xa5, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xa1, 0x00, 0x01, 0x80,
	0x4e, 0x02,
	0x61, 0xff,
	0x74, 0x07,
	0xaa, 0x00, 0x01, 0x03,
	0xb4, 0x02, 0x01, 0x00, 0x00,
	0xb0, 0x00,
	0x79, 0x01,
	0x00,
	0x7d,
	0xbc,
};

static void test_golden(void)
{
	struct vmf_program *p = prog_new();
	size_t max = vmf_encoded_max(), n;
	uint8_t *e = malloc(max);
	char err[256], *t;

	/* text -> bytes */
	CHECK_EQ(vmf_program_parse(golden_text, p, err, sizeof(err)), 0);
	n = vmf_encode(p, e, max);
	CHECK_EQ(n, sizeof(golden_bytes));
	CHECK(n == sizeof(golden_bytes) && !memcmp(e, golden_bytes, n));
	for (size_t i = 0; i < n && i < sizeof(golden_bytes); i++)
		if (e[i] != golden_bytes[i]) {
			fprintf(stderr, "golden: byte %zu is 0x%02x, want "
				"0x%02x\n", i, e[i], golden_bytes[i]);
			break;
		}
	/* bytes -> text */
	vmf_decode(golden_bytes, sizeof(golden_bytes), p);
	t = print_prog(p);
	CHECK_STR(t, golden_text);
	free(t);
	/* Non-canonical bytes of the same program: same text, and they
	 * encode to the golden bytes. */
	{
		uint8_t x[sizeof(golden_bytes)];

		memcpy(x, golden_bytes, sizeof(x));
		x[0] += 7;      /* layout */
		x[7] = 0x73;    /* policy: any byte below 0x80 is legacy */
		x[17] = 0x14;   /* another vmalloc opcode */
		x[18] = 0x10;   /* size form 0 with high bits */
		x[20] = 0x08;   /* another vmalloc opcode */
		x[21] = 0x08;   /* size: 0 * 16 pages = 0 */
		x[sizeof(x) - 3] = 0xfe; /* reserved opcode: NOP */
		vmf_decode(x, sizeof(x), p);
		t = print_prog(p);
		CHECK_STR(t, golden_text);
		free(t);
		n = vmf_encode(p, e, max);
		CHECK(n == sizeof(golden_bytes) &&
		      !memcmp(e, golden_bytes, n));
	}
	/* Resolved on the golden machine (16K pages, 16p window, 1024p). */
	{
		struct vmf_args a;
		uint64_t P = 16384;

		vmf_decode(golden_bytes, sizeof(golden_bytes), p);
		CHECK_EQ(p->nr_cmds, 28);
		vmf_cmd_resolve(&p->cmds[4], &p->cfg, &a); /* vzalloc */
		CHECK_EQ(a.size, 15 * P);
		vmf_cmd_resolve(&p->cmds[10], &p->cfg, &a);
		CHECK_EQ(a.size, 1025 * P);
		CHECK_EQ(a.start, p->cfg.vmalloc_start - P);
		vmf_cmd_resolve(&p->cmds[8], &p->cfg, &a);
		CHECK_EQ(a.size, 320 * P);
	}
	free(e);
	free(p);
}

/* One byte, one thing: mutating an operand byte changes that operand only,
 * mutating a header byte changes no command. */
static void test_one_byte_one_thing(void)
{
	struct vmf_program *base = prog_new(), *p = prog_new();
	uint8_t x[sizeof(golden_bytes)];
	size_t pos = VMF_HEADER_BYTES;
	/* Which command and operand each byte position belongs to. */
	size_t cmd_of[sizeof(golden_bytes)], opnd_of[sizeof(golden_bytes)];
	bool is_opcode[sizeof(golden_bytes)] = {false};

	vmf_decode(golden_bytes, sizeof(golden_bytes), base);
	for (size_t c = 0; c < base->nr_cmds; c++) {
		const struct vmf_op_desc *d = &vmf_ops[base->cmds[c].op];

		is_opcode[pos] = true;
		cmd_of[pos++] = c;
		for (unsigned i = 0; i < d->nr; i++)
			for (size_t w = 0; w < kind_width(d->kind[i]); w++) {
				cmd_of[pos] = c;
				opnd_of[pos++] = i;
			}
	}
	CHECK_EQ(pos, sizeof(golden_bytes));
	for (pos = 0; pos < sizeof(golden_bytes); pos++) {
		if (is_opcode[pos])
			continue;
		for (unsigned v = 0; v < 256; v++) {
			memcpy(x, golden_bytes, sizeof(x));
			x[pos] = (uint8_t)v;
			vmf_decode(x, sizeof(x), p);
			CHECK_EQ(p->nr_cmds, base->nr_cmds);
			for (size_t c = 0; c < base->nr_cmds; c++) {
				const struct vmf_cmd *a = &base->cmds[c],
						     *b = &p->cmds[c];
				const struct vmf_op_desc *d = &vmf_ops[a->op];
				size_t off = 0;

				CHECK_EQ(a->op, b->op);
				for (unsigned i = 0; i < d->nr; i++) {
					unsigned k = d->kind[i];
					struct vmf_sym sa, sb;

					vmf_sym_decode(k, a->operand + off, &sa);
					vmf_sym_decode(k, b->operand + off, &sb);
					if (pos < VMF_HEADER_BYTES ||
					    cmd_of[pos] != c || opnd_of[pos] != i)
						CHECK(vmf_sym_equal(&sa, &sb));
					off += kind_width(k);
				}
			}
		}
	}
	/* And a change of meaning is seen as one. */
	memcpy(x, golden_bytes, sizeof(x));
	vmf_decode(x, sizeof(x), p);
	CHECK(vmf_program_equal(base, p));
	x[19] = 4; /* vmalloc size=3p -> 4p */
	vmf_decode(x, sizeof(x), p);
	CHECK(!vmf_program_equal(base, p));
	x[19] = 3;
	x[1] = 11; /* window 16p -> 20p */
	vmf_decode(x, sizeof(x), p);
	CHECK(!vmf_program_equal(base, p));
	x[1] = 10;
	vmf_decode(x, sizeof(x) - 1, p); /* one command fewer */
	CHECK(!vmf_program_equal(base, p));
	free(base);
	free(p);
}

/* ---- speed ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_decode_speed(void)
{
	struct vmf_program *p = prog_new();
	uint8_t x[1024];
	uint64_t s = 0x5eed0004;
	unsigned long n = 0, cmds = 0;
	double t0, t, rate;

	for (size_t i = 0; i < sizeof(x); i++)
		x[i] = (uint8_t)rnd(&s);
	t0 = now();
	do {
		for (int i = 0; i < 1000; i++) {
			x[8 + (n & 511)]++; /* defeat any caching */
			vmf_decode(x, sizeof(x), p);
			cmds += p->nr_cmds;
			n++;
		}
		t = now() - t0;
	} while (t < 0.3);
	rate = (double)n / t;
	printf("decode: %.0f decodes/s of a 1 KiB input (%.0f commands "
	       "each)\n", rate, (double)cmds / (double)n);
	/* A floor far below the real figure (>500,000/s with ASan at -O1,
	 * >800,000/s optimised) that still holds at -O0 on a loaded
	 * machine: it catches an accidental slow path, not noise. */
	CHECK(rate > 10000);
	/* Decode + resolve every command, as the interpreter does. */
	n = 0;
	t0 = now();
	do {
		for (int i = 0; i < 1000; i++) {
			struct vmf_args a;

			vmf_decode(x, sizeof(x), p);
			for (size_t c = 0; c < p->nr_cmds; c++)
				vmf_cmd_resolve(&p->cmds[c], &p->cfg, &a);
			n++;
		}
		t = now() - t0;
	} while (t < 0.3);
	printf("decode+resolve: %.0f/s of a 1 KiB input\n", (double)n / t);
	free(p);
}

/* ---- format version 3: the header extension, ioremap's operands ---- */

static void test_header_ext(void)
{
	struct vmf_program *p = prog_new(), *q = prog_new();
	uint8_t in[] = {0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x15, 0x07, 0x00, 0x01};
	uint8_t out[64];
	char err[200], *t;
	size_t n;

	/* No extension: the walk cache at its default, no huge vmalloc. */
	vmf_decode(in, 8, p);
	CHECK_EQ(p->ext, 0);
	CHECK_EQ(p->cfg.walk_cache_entries, VMF_WCACHE_DEFAULT);
	CHECK(!p->cfg.huge_vmalloc);
	/* 0xc0 right after the header: the extension, then the commands. */
	vmf_decode(in, sizeof(in), p);
	CHECK_EQ(p->ext, 0x15);
	CHECK_EQ(p->cfg.walk_cache_entries, 4);
	CHECK(p->cfg.huge_vmalloc);
	CHECK_EQ(p->nr_cmds, 1);
	CHECK_EQ(p->cmds[0].op, OP_VMALLOC);
	n = vmf_encode(p, out, sizeof(out));
	CHECK_EQ(n, sizeof(in));
	CHECK(!memcmp(in, out, n));
	t = print_prog(p);
	CHECK(strstr(t, "policy=legacy wcache=4 huge=1\n") != NULL);
	CHECK_EQ(vmf_program_parse(t, q, err, sizeof(err)), 0);
	CHECK(vmf_program_equal(p, q));
	CHECK_EQ(q->cfg.walk_cache_entries, 4);
	free(t);
	/* Ignored bits and the default are written as no extension. */
	in[9] = 0xe0;
	vmf_decode(in, sizeof(in), p);
	CHECK_EQ(p->cfg.walk_cache_entries, VMF_WCACHE_DEFAULT);
	CHECK_EQ(vmf_encode(p, out, sizeof(out)), 11);
	CHECK_EQ(out[8], 0x07);
	t = print_prog(p);
	CHECK(strstr(t, "wcache") == NULL && strstr(t, "huge") == NULL);
	free(t);
	/* wcache=0 turns it off. */
	CHECK_EQ(vmf_program_parse("machine wcache=0\nvmalloc size=1p\n", p,
				   err, sizeof(err)), 0);
	CHECK_EQ(p->cfg.walk_cache_entries, 0);
	CHECK_EQ(p->ext, 1);
	/* The extension at the very end: byte missing, 0. */
	vmf_decode(in, 9, p);
	CHECK_EQ(p->ext, 0);
	CHECK_EQ(p->nr_cmds, 0);
	CHECK(vmf_program_parse("machine huge=2\n", p, err, sizeof(err)));
	CHECK(strstr(err, "huge") != NULL);
	CHECK(vmf_program_parse("machine wcache=5\n", p, err, sizeof(err)));
	CHECK(vmf_program_parse("machine huge=1 huge=1\n", p, err,
				sizeof(err)));
	free(p);
	free(q);
}

static void test_ioremap_operands(void)
{
	struct vmf_program *p = prog_new();
	struct vmf_args a;
	char err[200], *t;
	const struct vmf_config *cfg = &p->cfg;

	CHECK_EQ(vmf_program_parse(
			 "ioremap phys=dev+0x20000000 size=0x200000 prot=ro\n"
			 "ioremap phys=ram+3p+0x8 size=2p\n"
			 "ioremap phys=pa_end-1p size=1p\n"
			 "ioremap\n"
			 "iounmap h=2\n",
			 p, err, sizeof(err)), 0);
	CHECK_EQ(p->nr_cmds, 5);
	vmf_cmd_resolve(&p->cmds[0], cfg, &a);
	CHECK_EQ(a.phys, (1ull << 32) + (1ull << 29));
	CHECK_EQ(a.size, 0x200000);
	CHECK_EQ(a.prot, PAGE_KERNEL_RO);
	CHECK_EQ(p->cmds[0].opcode, 0xc4);
	CHECK_EQ(p->cmds[0].operand[0], 0x41);
	vmf_cmd_resolve(&p->cmds[1], cfg, &a);
	CHECK_EQ(a.phys, cfg->phys_base + 3 * 4096 + 8);
	vmf_cmd_resolve(&p->cmds[2], cfg, &a);
	CHECK_EQ(a.phys, (1ull << cfg->pa_bits) - 4096);
	vmf_cmd_resolve(&p->cmds[3], cfg, &a); /* all-zero: ram, size 0 */
	CHECK_EQ(a.phys, cfg->phys_base);
	CHECK_EQ(a.size, 0);
	vmf_cmd_resolve(&p->cmds[4], cfg, &a);
	CHECK_EQ(a.handle, 2);
	CHECK_EQ(p->cmds[4].opcode, 0xc6);
	t = print_prog(p);
	CHECK(strstr(t, "ioremap phys=dev+0x20000000 size=0x200000 prot=ro") !=
	      NULL);
	CHECK(strstr(t, "phys=ram+3p+0x8") != NULL);
	CHECK(strstr(t, "iounmap h=2") != NULL);
	free(t);
	/* Every phys byte means something and its canonical byte says the
	 * same. */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t in = (uint8_t)b, c;
		struct vmf_sym s, s2;

		vmf_sym_decode(K_PHYS, &in, &s);
		CHECK_EQ(vmf_sym_encode(K_PHYS, &s, &c), 0);
		vmf_sym_decode(K_PHYS, &c, &s2);
		CHECK(vmf_sym_equal(&s, &s2));
		CHECK(c <= b);
	}
	free(p);
}

/* vmalloc_huge: vmalloc_node's operands at 0xc9 (0xca the same), its
 * text line round-trips, both bytes decode to it. */
static void test_vmalloc_huge_operands(void)
{
	struct vmf_program *p = prog_new(), *q = prog_new();
	uint8_t in[] = {0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x10,
			0xca, 0x00, 0x02, 0x01};
	uint8_t out[64];
	struct vmf_args a;
	char err[200], *t;
	size_t n;

	CHECK_EQ(vmf_program_parse("machine huge=1\n"
				   "vmalloc_huge size=0x200000 node=0\n"
				   "vmalloc_huge\n",
				   p, err, sizeof(err)), 0);
	CHECK_EQ(p->nr_cmds, 2);
	CHECK(p->cfg.huge_vmalloc);
	CHECK_EQ(p->cmds[0].op, OP_VMALLOC_HUGE);
	CHECK_EQ(p->cmds[0].opcode, 0xc9);
	vmf_cmd_resolve(&p->cmds[0], &p->cfg, &a);
	CHECK_EQ(a.size, 0x200000);
	CHECK_EQ(a.node, 0);
	t = print_prog(p);
	CHECK(strstr(t, "vmalloc_huge size=0x200000 node=0\n") != NULL);
	CHECK_EQ(vmf_program_parse(t, q, err, sizeof(err)), 0);
	CHECK(vmf_program_equal(p, q));
	free(t);
	/* The second byte decodes to the same op, re-encoded canonically. */
	vmf_decode(in, sizeof(in), p);
	CHECK_EQ(p->nr_cmds, 1);
	CHECK_EQ(p->cmds[0].op, OP_VMALLOC_HUGE);
	CHECK_EQ(p->cmds[0].opcode, 0xca);
	vmf_cmd_resolve(&p->cmds[0], &p->cfg, &a);
	{
		/* The operands mean what vmalloc_node's do (0x1b). */
		struct vmf_args b;

		in[10] = 0x1b;
		vmf_decode(in, sizeof(in), q);
		CHECK_EQ(q->cmds[0].op, OP_VMALLOC_NODE);
		vmf_cmd_resolve(&q->cmds[0], &q->cfg, &b);
		CHECK_EQ(a.size, b.size);
		CHECK_EQ(a.node, b.node);
		in[10] = 0xca;
	}
	n = vmf_encode(p, out, sizeof(out));
	CHECK_EQ(n, sizeof(in));
	CHECK_EQ(out[10], 0xc9);
	CHECK(!memcmp(in + 11, out + 11, 3));
	free(p);
	free(q);
}

TEST_MAIN(TEST(test_empty_input), TEST(test_header_every_byte),
	  TEST(test_header_cross_product), TEST(test_header_values),
	  TEST(test_header_canonical_text), TEST(test_opcode_table),
	  TEST(test_opcode_ranges),
	  TEST(test_every_opcode_byte), TEST(test_operand_kinds_exhaustive),
	  TEST(test_operand_forms), TEST(test_resolve),
	  TEST(test_random_roundtrip), TEST(test_every_op),
	  TEST(test_truncated), TEST(test_max_cmds), TEST(test_parse_errors),
	  TEST(test_parse_lenient), TEST(test_golden),
	  TEST(test_one_byte_one_thing),
	  TEST(test_decode_speed), TEST(test_header_ext),
	  TEST(test_ioremap_operands), TEST(test_vmalloc_huge_operands))
