/* The structure-aware mutator (vmf_mutator.h): edits of the decoded
 * program, then the canonical encoding.
 *
 * Handles: the interpreter takes a handle operand modulo the number of live
 * handles (harness/interp.c, handle_pick_live), or of freed ones for
 * read_freed and bad kind=vfree_double (a ring of VMF_FREED_RING_EST).
 * Which handles are live depends on which calls succeed, so the mutator
 * only estimates the counts: every allocation command adds one (up to
 * VMF_MAX_HANDLES), every free command moves one to the freed ring. That
 * is enough to pick a value in [0, live) and so name a live handle on
 * purpose (the newest one most often) rather than by accident. vm_unmap_ram
 * picks among the vm_map_ram handles only (handle_pick_kind), so those are
 * counted apart as well.
 *
 * Reach: a fault that needs several commands of a kind the program does
 * not hold yet (vm_map_ram then vm_unmap_ram then unmap_aliases, on some
 * CPU) is far from any one random insert. So the insert favours command
 * kinds the program holds least, MUT_RUN inserts short well-formed runs
 * (an allocation and its own free, set_cpu before a command, a free and
 * unmap_aliases then a read of the freed handle, one allocation repeated),
 * and the header edit can turn the policy byte's vbfix bits. */
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "vmf_mutator.h"

#define VMF_FREED_RING_EST 16 /* harness/interp_internal.h VMF_FREED_RING */
/* Pages of a vmap block: 4.19's VMAP_BBMAP_BITS, from its 128 GiB
 * VMALLOC_SPACE guess, is VMAP_BBMAP_BITS_MAX on every layout
 * (lib/mm/vmap_block.c, vmap_bbmap_bits). */
#define VMAP_BLOCK_PAGES_EST 1024u
#define VMAP_MAX_ALLOC_EST 64u /* include/vmfuzz/vmalloc.h VMAP_MAX_ALLOC */
#define RUN_MAX 24
#define SPLICE_MAX_RUN 16
#define MAX_ATTEMPTS 8

/* ---- randomness: splitmix64, all state in the mutator ------------------- */

static uint64_t next64(struct vmf_mutator *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
unsigned vmf_mut_rnd(struct vmf_mutator *m, unsigned n)
{
	return (unsigned)(next64(m) % n);
}

static unsigned rnd(struct vmf_mutator *m, unsigned n)
{
	return vmf_mut_rnd(m, n);
}

static unsigned min_u(unsigned a, unsigned b) { return a < b ? a : b; }

/* ---- the program's shape --------------------------------------------------- */

static bool op_allocates(enum vmf_op op)
{
	return (op >= OP_EARLY_ADD && op <= OP_VMAP) || op == OP_VM_MAP_RAM ||
	       op == OP_IOREMAP || op == OP_VMALLOC_HUGE;
}

/* vm_unmap_ram frees only with the right count (dcount 0). */
static bool cmd_frees(const struct vmf_cmd *c)
{
	if (c->op == OP_VM_UNMAP_RAM)
		return c->operand[1] == 0;
	return (c->op >= OP_VFREE && c->op <= OP_FREE_VM_AREA) ||
	       c->op == OP_IOUNMAP;
}

/* Byte offset of operand i of op. */
static size_t operand_off(enum vmf_op op, unsigned i)
{
	size_t off = 0;

	for (unsigned k = 0; k < i; k++)
		off += vmf_kinds[vmf_ops[op].kind[k]].width;
	return off;
}

/* The handle operand of a command indexes freed handles (not live ones). */
static bool handle_is_freed(const struct vmf_cmd *c)
{
	if (c->op == OP_READ_FREED)
		return true;
	return c->op == OP_BAD &&
	       c->operand[0] % BAD_NR == BAD_VFREE_DOUBLE;
}

static void estimate_handles(const struct vmf_program *p, struct vmf_handle_est *e)
{
	unsigned nl = 0, nf = 0, nr = 0;

	for (size_t i = 0; i < p->nr_cmds; i++) {
		const struct vmf_cmd *c = &p->cmds[i];

		e->live[i] = (uint8_t)nl;
		e->freed[i] = (uint8_t)nf;
		e->ram[i] = (uint8_t)nr;
		if (op_allocates(c->op) && nl < VMF_MAX_HANDLES) {
			nl++;
			nr += c->op == OP_VM_MAP_RAM;
		} else if (cmd_frees(c) && nl) {
			nl--;
			nf = min_u(nf + 1, VMF_FREED_RING_EST);
			if (c->op == OP_VM_UNMAP_RAM && nr)
				nr--;
		}
	}
	e->live[p->nr_cmds] = (uint8_t)nl;
	e->freed[p->nr_cmds] = (uint8_t)nf;
	e->ram[p->nr_cmds] = (uint8_t)nr;
}

/* How many handles the handle operand of c (command i) chooses among. */
static unsigned handles_for(const struct vmf_cmd *c, const struct vmf_handle_est *e,
			    size_t i)
{
	if (handle_is_freed(c))
		return e->freed[i];
	return c->op == OP_VM_UNMAP_RAM ? e->ram[i] : e->live[i];
}

/* A handle operand naming one of n handles: the newest most often, then
 * the oldest, else any; a different one from old when there is a choice. */
static uint8_t pick_handle(struct vmf_mutator *m, unsigned n, uint8_t old)
{
	unsigned r, v;

	if (n == 0)
		return (uint8_t)rnd(m, 4);
	r = rnd(m, 10);
	v = r < 4 ? n - 1 : r < 6 ? 0 : rnd(m, n);
	if (n > 1 && v == old % n)
		v = (v + 1 + rnd(m, n - 1)) % n;
	return (uint8_t)v;
}

/* ---- operand values, by kind ----------------------------------------------- */

/* The operand's meaning changed (raw operands compare as bytes). */
static bool operand_changed(unsigned kind, const uint8_t *a, const uint8_t *b)
{
	struct vmf_sym sa, sb;

	vmf_sym_decode(kind, a, &sa);
	vmf_sym_decode(kind, b, &sb);
	return !vmf_sym_equal(&sa, &sb);
}

/* Every operand of c fresh, handles aimed at the handles live before it. */
static void gen_cmd(struct vmf_mutator *m, struct vmf_cmd *c, enum vmf_op op,
		    const struct vmf_handle_est *e, size_t at_cmd)
{
	const struct vmf_op_desc *d = &vmf_ops[op];
	size_t off = 0;

	memset(c, 0, sizeof(*c));
	c->op = op;
	c->opcode = d->canon;
	for (unsigned i = 0; i < d->nr; i++) {
		vmf_mut_gen_operand(m, d->kind[i], c->operand + off);
		off += vmf_kinds[d->kind[i]].width;
	}
	for (unsigned i = 0; i < d->nr; i++)
		if (d->kind[i] == K_H)
			c->operand[operand_off(op, i)] =
				pick_handle(m, handles_for(c, e, at_cmd), 0xff);
}

/* ---- command edits ------------------------------------------------------------ */

/* Ops to insert, common ones more than once (as the opcode table does). */
static const uint8_t insert_ops[] = {
	OP_VMALLOC, OP_VMALLOC, OP_VMALLOC, OP_VZALLOC, OP_VMALLOC_NODE,
	OP_VZALLOC_NODE, OP_VMALLOC_32, OP_VMALLOC_USER, OP_VMALLOC_EXEC,
	OP___VMALLOC, OP_VMALLOC_NODE_RANGE, OP_VMALLOC_NODE_RANGE,
	OP_GET_VM_AREA, OP_GET_VM_AREA_NODE, OP_VMAP, OP_VMAP,
	OP_VFREE, OP_VFREE, OP_VFREE, OP_VFREE_ATOMIC, OP_VFREE_IRQ,
	OP_VUNMAP, OP_VUNMAP, OP_REMOVE_VM_AREA, OP_FREE_VM_AREA,
	OP_RUN_DEFERRED, OP_SET_CPU, OP_PURGE, OP_PURGE, OP_UNMAP_ALIASES,
	OP_WRITE, OP_WRITE, OP_READ, OP_READ, OP_ACCESS, OP_READ_FREED,
	OP_VMALLOC_TO_PAGE, OP_VREAD, OP_VREAD, OP_FAULT, OP_FRAGMENT,
	OP_BAD, OP_BAD, OP_CHECK, OP_CHECK, OP_EARLY_ADD, OP_EARLY_REGISTER,
	OP_VM_MAP_RAM, OP_VM_MAP_RAM, OP_VM_UNMAP_RAM, OP_VM_UNMAP_RAM,
	OP_IOREMAP, OP_IOUNMAP, OP_VMALLOC_HUGE,
};

/* Field f of p's header to a random value for which ok(raw) holds, if it
 * does not hold now and one does. */
static void header_field_to(struct vmf_mutator *m, struct vmf_program *p,
			    unsigned f, bool (*ok)(const struct vmf_header_raw *))
{
	struct vmf_header_raw raw;
	uint8_t keep = p->header[f], cand[32];
	unsigned n = 0;

	vmf_header_raw(p->header, &raw);
	if (ok(&raw))
		return;
	for (unsigned i = 0; i < vmf_hfield_nr(f) && n < sizeof(cand); i++) {
		p->header[f] = vmf_hfield_byte(f, i);
		vmf_header_raw(p->header, &raw);
		if (ok(&raw))
			cand[n++] = p->header[f];
	}
	p->header[f] = n ? cand[rnd(m, n)] : keep;
}

/* Two vmap blocks fit in the window (0: the Linux layout's, huge). */
static bool window_holds_blocks(const struct vmf_header_raw *r)
{
	return !r->window_bytes ||
	       r->window_bytes >> r->page_shift >= 2 * VMAP_BLOCK_PAGES_EST;
}

/* RAM for a whole block of vm_map_ram pages and the tables. */
static bool ram_holds_block(const struct vmf_header_raw *r)
{
	return r->phys_size >> r->page_shift >= VMAP_BLOCK_PAGES_EST + 256;
}

/* Two PMD blocks of the granule fit in the window (a level-2 descriptor
 * maps 1 << (page_shift + page_shift - 3) bytes), and one in RAM. */
static bool window_holds_pmd(const struct vmf_header_raw *r)
{
	return !r->window_bytes ||
	       r->window_bytes >> (2 * r->page_shift - 3) >= 2;
}

/* A huge vmalloc can get a PMD block only with 4K pages (16K/64K PMD
 * pages are of order MAX_ORDER or above) and a free order-9 block: RAM
 * of two PMDs at least (one is not enough beside the page tables). */
static bool granule_4k(const struct vmf_header_raw *r)
{
	return r->page_shift == 12;
}

static bool ram_holds_pmd(const struct vmf_header_raw *r)
{
	return r->phys_size >> (2 * r->page_shift - 3) >= 2;
}

/* One node: NUMA_NO_NODE spreads a huge vmalloc over the nodes, a PMD's
 * worth per node at least, or no huge attempt (6.1 size_per_node). */
static bool one_node(const struct vmf_header_raw *r)
{
	return r->nr_nodes == 1;
}

static bool several_cpus(const struct vmf_header_raw *r)
{
	return r->nr_cpus >= 2;
}

/* Half of the time, a header where an inserted op can reach the states it
 * is there for: vm_map_ram a window and RAM that hold whole vmap blocks
 * (full, fragmented, on several CPUs' queues), set_cpu more than one CPU,
 * ioremap and vmalloc_huge a window that holds PMD blocks (and for
 * vmalloc_huge RAM for one and huge vmalloc on);
 * and for a block command, the block rule drawn afresh (vbfix: 4.19's or
 * the 6.5 one), so that both rules meet the block states alike. The
 * other half keeps the header, small windows' failures included. */
static void fit_header(struct vmf_mutator *m, struct vmf_program *p,
		       enum vmf_op op)
{
	uint8_t *pol = &p->header[HF_POLICY];

	if (rnd(m, 2))
		return;
	if (op == OP_VM_MAP_RAM || op == OP_VM_UNMAP_RAM ||
	    op == OP_UNMAP_ALIASES)
		*pol = (uint8_t)((*pol & ~VMF_VBFIX_MASK) |
				 (rnd(m, 2) ? VMF_VBFIX_BYTE : 0));
	if (op == OP_VM_MAP_RAM) {
		header_field_to(m, p, HF_WINDOW, window_holds_blocks);
		header_field_to(m, p, HF_RAM, ram_holds_block);
	} else if (op == OP_SET_CPU) {
		header_field_to(m, p, HF_CPUS, several_cpus);
	} else if (op == OP_IOREMAP || op == OP_VMALLOC_HUGE) {
		/* room for blocks; vmalloc_huge: RAM for one, huge=1 */
		header_field_to(m, p, HF_WINDOW, window_holds_pmd);
		if (op == OP_VMALLOC_HUGE) {
			header_field_to(m, p, HF_LAYOUT, granule_4k);
			header_field_to(m, p, HF_RAM, ram_holds_pmd);
			p->ext |= VMF_EXT_HUGE;
		}
	}
}

/* An op to insert: from the table, or a third of the time the rarest in
 * the program of a few drawn from it (kinds it lacks come in sooner). */
static enum vmf_op pick_insert_op(struct vmf_mutator *m,
				  const struct vmf_program *p)
{
	unsigned n[OP_NR] = {0}, best;

	best = insert_ops[rnd(m, sizeof(insert_ops))];
	if (rnd(m, 3))
		return (enum vmf_op)best;
	for (size_t i = 0; i < p->nr_cmds; i++)
		n[p->cmds[i].op]++;
	for (unsigned k = 0; k < 3; k++) {
		unsigned o = insert_ops[rnd(m, sizeof(insert_ops))];

		if (n[o] < n[best])
			best = o;
	}
	return (enum vmf_op)best;
}

/* Room for k commands at pos (k <= room). */
static void open_gap(struct vmf_program *p, size_t pos, size_t k)
{
	memmove(&p->cmds[pos + k], &p->cmds[pos],
		(p->nr_cmds - pos) * sizeof(p->cmds[0]));
	p->nr_cmds += k;
}

static void close_gap(struct vmf_program *p, size_t pos, size_t k)
{
	memmove(&p->cmds[pos], &p->cmds[pos + k],
		(p->nr_cmds - pos - k) * sizeof(p->cmds[0]));
	p->nr_cmds -= k;
}

static bool mut_insert(struct vmf_mutator *m, struct vmf_program *p)
{
	struct vmf_handle_est *e = &m->est;
	enum vmf_op op;
	size_t pos;

	if (p->nr_cmds >= VMF_MAX_CMDS)
		return false;
	op = pick_insert_op(m, p);
	fit_header(m, p, op);
	estimate_handles(p, e);
	/* Appending extends what the program already built. */
	pos = rnd(m, 3) == 0 ? p->nr_cmds : rnd(m, (unsigned)p->nr_cmds + 1);
	open_gap(p, pos, 1);
	gen_cmd(m, &p->cmds[pos], op, e, pos);
	return true;
}

/* The allocations of the run templates and the free that undoes each. */
static const uint8_t run_pairs[][2] = {
	{OP_VMALLOC, OP_VFREE}, {OP_VMAP, OP_VUNMAP},
	{OP_VM_MAP_RAM, OP_VM_UNMAP_RAM}, {OP_VM_MAP_RAM, OP_VM_UNMAP_RAM},
	{OP_IOREMAP, OP_IOUNMAP}, {OP_GET_VM_AREA, OP_FREE_VM_AREA},
};

/* Aim c's handle at the newest handle it can name (estimates e at i). */
static void aim_newest(struct vmf_cmd *c, const struct vmf_handle_est *e, size_t i)
{
	unsigned n = handles_for(c, e, i);

	c->operand[0] = (uint8_t)(n ? n - 1 : 0); /* K_H is operand 0 */
}

/* Pages of the newest vmap block of the CPU current at pos that vm_map_ram
 * has carved, by the program's vm_map_ram and set_cpu before pos: each
 * carve is 2^order pages from where the last ended (4.19 vb_alloc), a
 * carve that does not fit starts a new block, a full block is left. An
 * estimate, as the handles are (a failed call carves nothing). */
static unsigned block_used_est(const struct vmf_program *p, size_t pos)
{
	unsigned used[VMF_MAX_CPUS] = {0}, cpu = 0, ncpu;
	struct vmf_header_raw raw;

	vmf_header_raw(p->header, &raw);
	ncpu = raw.nr_cpus ? min_u(raw.nr_cpus, VMF_MAX_CPUS) : 1;
	for (size_t i = 0; i < pos; i++) {
		const struct vmf_cmd *c = &p->cmds[i];
		unsigned count = (c->operand[0] & 127u) + 1, pages = 1;

		if (c->op == OP_SET_CPU)
			cpu = c->operand[0] % ncpu;
		if (c->op != OP_VM_MAP_RAM || count > VMAP_MAX_ALLOC_EST)
			continue;
		while (pages < count)
			pages *= 2;
		used[cpu] = used[cpu] + pages > VMAP_BLOCK_PAGES_EST ?
				    pages : used[cpu] + pages;
		if (used[cpu] == VMAP_BLOCK_PAGES_EST)
			used[cpu] = 0;
	}
	return used[cpu];
}

/* A short well-formed run at pos (a third of the time at the end):
 *  0: an allocation, then its own free (vm_unmap_ram with the right count);
 *  1: set_cpu, then any command: a new one, or half of the time one the
 *     program has (the same step on another CPU);
 *  2: a free of the newest handle (the free of the newest allocation's
 *     kind when that is a few commands back), unmap_aliases, read_freed;
 *  3: one allocation two to four times, or 8 or 16 (fills a small window);
 *  4: vm_map_ram calls that fill the current CPU's vmap block (by
 *     block_used_est), largest carves first; half of the time then the
 *     rest of a block's life: vm_unmap_ram of the last carve and
 *     unmap_aliases (a full block's dirty range to flush). */
/* A block over the place of a small mapping (the shape of the 2018
 * ioremap and the later huge-vmap bugs: tables a small mapping left, then
 * replaced by a block): a small allocation, a read through it (the walk
 * caches its tables), its free, a purge (the VA is free again), then an
 * ioremap or vmalloc_huge of one PMD block of the header's granule (an
 * aligned device address for ioremap), in a window that holds blocks
 * (and for vmalloc_huge 4K pages, one node and RAM for a free order-9
 * block: else it always falls back to small pages), two accesses inside
 * it and, half of the time, its free. */
static unsigned block_over_small(struct vmf_mutator *m,
				 struct vmf_program *p, struct vmf_cmd *run,
				 const struct vmf_handle_est *e, size_t pos)
{
	struct vmf_header_raw raw;
	enum vmf_op big = rnd(m, 3) ? OP_IOREMAP : OP_VMALLOC_HUGE;
	uint8_t *size;

	if (big == OP_VMALLOC_HUGE) {
		header_field_to(m, p, HF_LAYOUT, granule_4k);
		header_field_to(m, p, HF_RAM, ram_holds_pmd);
		header_field_to(m, p, HF_NODES, one_node);
		p->ext |= VMF_EXT_HUGE;
	}
	header_field_to(m, p, HF_WINDOW, window_holds_pmd);
	vmf_header_raw(p->header, &raw);
	gen_cmd(m, &run[0], rnd(m, 2) ? OP_VMALLOC : OP_VZALLOC, e, pos);
	gen_cmd(m, &run[1], OP_READ, e, pos);
	gen_cmd(m, &run[2], OP_VFREE, e, pos);
	gen_cmd(m, &run[3], OP_PURGE, e, pos);
	gen_cmd(m, &run[4], big, e, pos);
	size = run[4].operand + operand_off(big, big == OP_IOREMAP ? 1 : 0);
	size[0] = 11; /* 1 << (20 + v) bytes (docs/format.md, size forms) */
	size[1] = (uint8_t)(2 * raw.page_shift - 3 - 20);
	/* a PMD-aligned device address, or a quarter of the time one a
	 * few pages off (no block may map it: the alignment bug class) */
	if (big == OP_IOREMAP)
		run[4].operand[0] = (uint8_t)(rnd(m, 4) ? 0x40 + rnd(m, 32)
							: 0x60 + rnd(m, 32));
	/* Then two pages inside the block: the first access walks the
	 * block leaf, the second hits its TLB entry (the block's output
	 * address, on either path). */
	for (unsigned i = 5; i < 7; i++) {
		gen_cmd(m, &run[i], rnd(m, 2) ? OP_ACCESS : OP_READ, e, pos);
		run[i].operand[operand_off(run[i].op, 1)] =
			(uint8_t)(1 + rnd(m, 255));
	}
	/* Half of the time its free too (the block's unmap and, for
	 * vmalloc_huge, its pages back). */
	if (!rnd(m, 2))
		return 7;
	gen_cmd(m, &run[7], big == OP_IOREMAP ? OP_IOUNMAP : OP_VFREE, e, pos);
	return 8;
}

static bool mut_run(struct vmf_mutator *m, struct vmf_program *p)
{
	struct vmf_cmd run[RUN_MAX];
	struct vmf_handle_est *e = &m->est;
	unsigned t = rnd(m, 6), k = 0, room;
	size_t pos;

	room = VMF_MAX_CMDS - (unsigned)p->nr_cmds;
	if (room < 2)
		return false;
	pos = rnd(m, 3) == 0 ? p->nr_cmds : rnd(m, (unsigned)p->nr_cmds + 1);
	estimate_handles(p, e);
	/* The run's commands go in one by one so each sees the estimate
	 * the ones before it made. */
	switch (t) {
	case 0: {
		const uint8_t *pair = run_pairs[rnd(m, sizeof(run_pairs) /
						       sizeof(run_pairs[0]))];

		gen_cmd(m, &run[k++], (enum vmf_op)pair[0], e, pos);
		gen_cmd(m, &run[k++], (enum vmf_op)pair[1], e, pos);
		break;
	}
	case 1:
		gen_cmd(m, &run[k++], OP_SET_CPU, e, pos);
		if (pos < p->nr_cmds && rnd(m, 2))
			break; /* before the command at pos */
		gen_cmd(m, &run[k++], pick_insert_op(m, p), e, pos);
		break;
	case 2: {
		const uint8_t *pair = run_pairs[rnd(m, sizeof(run_pairs) /
						       sizeof(run_pairs[0]))];

		if (room < 3)
			return false;
		/* The free of the newest allocation's kind when it is close:
		 * each step back is taken half of the time. */
		for (size_t i = pos; i-- > 0 && rnd(m, 2);) {
			unsigned j;

			for (j = 0; j < sizeof(run_pairs) / sizeof(run_pairs[0]); j++)
				if (run_pairs[j][0] == p->cmds[i].op)
					break;
			if (j < sizeof(run_pairs) / sizeof(run_pairs[0])) {
				pair = run_pairs[j];
				break;
			}
			if (op_allocates(p->cmds[i].op))
				break;
		}
		gen_cmd(m, &run[k++], (enum vmf_op)pair[1], e, pos);
		gen_cmd(m, &run[k++], OP_UNMAP_ALIASES, e, pos);
		gen_cmd(m, &run[k++], OP_READ_FREED, e, pos);
		break;
	}
	case 4: {
		unsigned left = VMAP_BLOCK_PAGES_EST - block_used_est(p, pos);

		while (left && k < room && k < RUN_MAX) {
			unsigned pages = VMAP_MAX_ALLOC_EST;

			while (pages > left)
				pages /= 2;
			gen_cmd(m, &run[k], OP_VM_MAP_RAM, e, pos);
			run[k++].operand[0] = (uint8_t)(pages - 1);
			left -= pages;
		}
		if (k + 2 <= room && k + 2 <= RUN_MAX && rnd(m, 2)) {
			gen_cmd(m, &run[k++], OP_VM_UNMAP_RAM, e, pos);
			gen_cmd(m, &run[k++], OP_UNMAP_ALIASES, e, pos);
		}
		break;
	}
	case 5:
		if (room < 8)
			return false;
		k = block_over_small(m, p, run, e, pos);
		break;
	default: {
		const uint8_t *pair = run_pairs[rnd(m, sizeof(run_pairs) /
						       sizeof(run_pairs[0]))];

		unsigned r = rnd(m, 8);
		unsigned more = r < 6 ? 1 + rnd(m, 3) : r == 6 ? 7 : 15;

		gen_cmd(m, &run[k++], (enum vmf_op)pair[0], e, pos);
		if (run[0].op == OP_VM_MAP_RAM && more == 15)
			run[0].operand[0] = VMAP_MAX_ALLOC_EST - 1; /* count - 1 */
		for (; more && k < room && k < RUN_MAX; more--, k++)
			run[k] = run[0];
		break;
	}
	}
	for (unsigned i = 0; i < k; i++)
		fit_header(m, p, run[i].op);
	for (unsigned i = 0; i < k; i++) {
		open_gap(p, pos + i, 1);
		p->cmds[pos + i] = run[i];
		if (run[i].op == OP_VM_UNMAP_RAM && t != 1)
			p->cmds[pos + i].operand[1] = 0; /* the right count */
		if (vmf_ops[run[i].op].nr && vmf_ops[run[i].op].kind[0] == K_H) {
			estimate_handles(p, e);
			aim_newest(&p->cmds[pos + i], e, pos + i);
		}
	}
	return true;
}

static bool mut_delete(struct vmf_mutator *m, struct vmf_program *p)
{
	unsigned n = (unsigned)p->nr_cmds, k;

	if (!n)
		return false;
	k = rnd(m, 4) == 0 ? 1 + rnd(m, min_u(4, n)) : 1;
	close_gap(p, rnd(m, n - k + 1), k);
	return true;
}

static bool mut_duplicate(struct vmf_mutator *m, struct vmf_program *p)
{
	struct vmf_cmd run[4];
	unsigned n = (unsigned)p->nr_cmds, k, src, dst;

	if (!n || n >= VMF_MAX_CMDS)
		return false;
	k = rnd(m, 3) == 0 ? 1 + rnd(m, min_u(4, n)) : 1;
	k = min_u(k, VMF_MAX_CMDS - n);
	src = rnd(m, n - k + 1);
	memcpy(run, &p->cmds[src], k * sizeof(run[0]));
	/* Right after the original half of the time: "do it again". */
	dst = rnd(m, 2) ? src + k : rnd(m, n + 1);
	open_gap(p, dst, k);
	memcpy(&p->cmds[dst], run, k * sizeof(run[0]));
	return true;
}

static bool mut_swap(struct vmf_mutator *m, struct vmf_program *p)
{
	unsigned n = (unsigned)p->nr_cmds, i, j;
	struct vmf_cmd t;

	if (n < 2)
		return false;
	i = rnd(m, n);
	if (rnd(m, 2)) {
		j = i + 1 < n ? i + 1 : i - 1;
	} else {
		j = rnd(m, n - 1);
		j += j >= i;
	}
	t = p->cmds[i];
	p->cmds[i] = p->cmds[j];
	p->cmds[j] = t;
	return true;
}

/* Another op whose operands start with the same kind (vfree ->
 * vunmap, read -> vread, vmalloc -> vzalloc ...), or OP_NOP. */
static enum vmf_op sibling_op(struct vmf_mutator *m, enum vmf_op op)
{
	unsigned start = rnd(m, OP_NR);

	for (unsigned k = 0; k < OP_NR; k++) {
		unsigned o = (start + k) % OP_NR;

		if (o != OP_NOP && o != (unsigned)op && vmf_ops[o].nr &&
		    vmf_ops[op].nr && vmf_ops[o].kind[0] == vmf_ops[op].kind[0])
			return (enum vmf_op)o;
	}
	return OP_NOP;
}

static bool mut_reparam(struct vmf_mutator *m, struct vmf_program *p)
{
	for (unsigned tries = 0; tries < 8 && p->nr_cmds; tries++) {
		struct vmf_cmd *c = &p->cmds[rnd(m, (unsigned)p->nr_cmds)];
		const struct vmf_op_desc *d = &vmf_ops[c->op];
		unsigned i;
		size_t off;
		uint8_t old[2];

		if (!d->nr)
			continue;
		if (rnd(m, 5) == 0) {
			/* Same operands, a related op; the operands after
			 * the first are drawn afresh where the kinds differ. */
			enum vmf_op op = sibling_op(m, c->op);
			const struct vmf_op_desc *e = &vmf_ops[op];

			if (op == OP_NOP)
				continue;
			off = 0;
			for (i = 0; i < e->nr; i++) {
				if (i >= d->nr || e->kind[i] != d->kind[i] ||
				    operand_off(c->op, i) != off)
					vmf_mut_gen_operand(m, e->kind[i],
						    c->operand + off);
				off += vmf_kinds[e->kind[i]].width;
			}
			memset(c->operand + off, 0,
			       VMF_CMD_OPERAND_BYTES - off);
			c->op = op;
			c->opcode = e->canon;
			return true;
		}
		i = rnd(m, d->nr);
		if (d->kind[i] == K_H)
			continue; /* mut_retarget's job */
		off = operand_off(c->op, i);
		memcpy(old, c->operand + off, vmf_kinds[d->kind[i]].width);
		for (unsigned k = 0; k < 4; k++) {
			vmf_mut_gen_operand(m, d->kind[i], c->operand + off);
			if (operand_changed(d->kind[i], old, c->operand + off))
				return true;
		}
	}
	return false;
}

static bool mut_retarget(struct vmf_mutator *m, struct vmf_program *p)
{
	struct vmf_handle_est *e = &m->est;
	unsigned n = (unsigned)p->nr_cmds;

	if (!n)
		return false;
	estimate_handles(p, e);
	for (unsigned tries = 0; tries < 16; tries++) {
		unsigned ci = rnd(m, n);
		struct vmf_cmd *c = &p->cmds[ci];
		const struct vmf_op_desc *d = &vmf_ops[c->op];
		unsigned have = handles_for(c, e, ci);

		/* With one handle or none every value means the same. */
		if (have < 2)
			continue;
		for (unsigned i = 0; i < d->nr; i++)
			if (d->kind[i] == K_H) {
				uint8_t *h = c->operand + operand_off(c->op, i);

				*h = pick_handle(m, have, *h);
				return true;
			}
	}
	return false;
}

/* One header field to another of its values; one time in HF_NR + 1 the
 * policy byte's vbfix bits (6..5) instead. The policy byte keeps its
 * vbfix bits when its policy changes (vmf_hfield_byte has none). */
static bool mut_header(struct vmf_mutator *m, struct vmf_program *p)
{
	uint8_t *pol = &p->header[HF_POLICY];

	for (unsigned tries = 0; tries < 4; tries++) {
		unsigned f = rnd(m, HF_NR + 1), n, cur;
		bool vbfix = vmf_header_vbfix(*pol);

		if (f == HF_NR) {
			*pol = (uint8_t)((*pol & ~VMF_VBFIX_MASK) |
					 (vbfix ? 0 : VMF_VBFIX_BYTE));
			return true;
		}
		n = vmf_hfield_nr(f);
		if (n < 2)
			continue;
		cur = vmf_hfield_index(f, p->header[f]);
		p->header[f] = vmf_hfield_byte(f, (cur + 1 + rnd(m, n - 1)) % n);
		if (f == HF_POLICY && vbfix)
			*pol |= VMF_VBFIX_BYTE;
		return true;
	}
	return false;
}

/* A run of b's commands into a at a random place, replacing a few of a's;
 * with must_mix, a keeps one command of its own at least. The run's handles
 * are re-aimed at a's live handles half of the time. */
static bool splice(struct vmf_mutator *m, struct vmf_program *a,
		   const struct vmf_program *b, bool must_mix)
{
	struct vmf_handle_est *e = &m->est;
	unsigned na = (unsigned)a->nr_cmds, nb = (unsigned)b->nr_cmds;
	unsigned pos, drop, room, j, k;

	if (!nb)
		return false;
	j = rnd(m, nb);
	k = 1 + rnd(m, min_u(nb - j, SPLICE_MAX_RUN));
	pos = rnd(m, na + 1);
	if (na == VMF_MAX_CMDS && pos == na)
		pos--; /* a full program: the run replaces some of it */
	drop = rnd(m, min_u(4, na - pos) + 1);
	if (must_mix && na && drop == na)
		drop--;
	room = VMF_MAX_CMDS - (na - drop);
	if (k > room) {
		unsigned more = min_u(k - room, na - pos - drop);

		drop += more;
		room += more;
		k = min_u(k, room);
	}
	if (!k)
		return false;
	if (rnd(m, 4) == 0)
		memcpy(a->header, b->header, sizeof(a->header));
	close_gap(a, pos, drop);
	open_gap(a, pos, k);
	memcpy(&a->cmds[pos], &b->cmds[j], k * sizeof(b->cmds[0]));
	if (rnd(m, 2)) {
		estimate_handles(a, e);
		for (unsigned i = pos; i < pos + k; i++) {
			struct vmf_cmd *c = &a->cmds[i];
			const struct vmf_op_desc *d = &vmf_ops[c->op];

			for (unsigned o = 0; o < d->nr; o++)
				if (d->kind[o] == K_H) {
					uint8_t *h = c->operand +
						     operand_off(c->op, o);

					*h = pick_handle(m, handles_for(c, e, i),
							 *h);
				}
		}
	}
	return true;
}

/* ---- bytes ---------------------------------------------------------------------- */

static const uint8_t interesting[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x40, 0x10};

/* A few havoc steps when no engine mutator is given (the AFL++ library:
 * afl-fuzz runs its own havoc stage besides). */
static size_t own_havoc(struct vmf_mutator *m, uint8_t *d, size_t size,
			size_t max)
{
	unsigned steps = 1 + rnd(m, 4);

	for (unsigned s = 0; s < steps; s++) {
		unsigned r = rnd(m, 5);

		if (r == 3 && size < max) { /* insert a byte */
			size_t at = rnd(m, (unsigned)size + 1);

			memmove(d + at + 1, d + at, size - at);
			d[at] = (uint8_t)rnd(m, 256);
			size++;
			continue;
		}
		if (!size)
			continue;
		size_t at = rnd(m, (unsigned)size);

		if (r == 0)
			d[at] ^= (uint8_t)(1u << rnd(m, 8));
		else if (r == 1)
			d[at] = (uint8_t)rnd(m, 256);
		else if (r == 2)
			d[at] = interesting[rnd(m, sizeof(interesting))];
		else if (r == 4) { /* delete a byte */
			memmove(d + at, d + at + 1, size - at - 1);
			size--;
		}
	}
	return size;
}

/* The encoded program through the byte mutator, decoded again. */
static bool mut_bytes(struct vmf_mutator *m, struct vmf_program *p,
		      size_t max_size)
{
	size_t cap = max_size < m->buf_cap ? max_size : m->buf_cap;
	size_t len = vmf_encode(p, m->buf, cap);

	if (m->bytes)
		len = m->bytes(m->bytes_ctx, m->buf, len, cap);
	else
		len = own_havoc(m, m->buf, len, cap);
	vmf_decode(m->buf, len < cap ? len : cap, p);
	return true;
}

/* ---- entry points ------------------------------------------------------------- */

struct vmf_mutator *vmf_mutator_new(vmf_bytes_fn bytes, void *bytes_ctx)
{
	struct vmf_mutator *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->buf_cap = vmf_encoded_max() + 64;
	m->buf = malloc(2 * m->buf_cap); /* output, then the original */
	if (!m->buf) {
		free(m);
		return NULL;
	}
	m->bytes = bytes;
	m->bytes_ctx = bytes_ctx;
	/* Half: measured best of 20/40/50 (docs/mutator.md); libFuzzer's
	 * own mutations keep what they are good at (dictionary words, byte
	 * values no table lists). */
	m->bytes_percent = 50;
	return m;
}

void vmf_mutator_free(struct vmf_mutator *m)
{
	if (!m)
		return;
	free(m->buf);
	free(m);
}

const char *vmf_mut_kind_name(enum vmf_mut_kind k)
{
	static const char names[MUT_NR][12] = {
		"insert", "delete", "duplicate", "swap", "reparam",
		"retarget", "header", "splice", "run", "bytes",
	};

	return (unsigned)k < MUT_NR ? names[k] : "?";
}

/* Weights of the structural kinds (out of their sum). */
static const uint8_t kind_weight[MUT_BYTES] = {
	[MUT_INSERT] = 15, [MUT_DELETE] = 15, [MUT_DUPLICATE] = 8,
	[MUT_SWAP] = 8, [MUT_REPARAM] = 22, [MUT_RETARGET] = 12,
	[MUT_HEADER] = 5, [MUT_SPLICE] = 13, [MUT_RUN] = 12,
};

static enum vmf_mut_kind pick_kind(struct vmf_mutator *m, bool can_splice)
{
	unsigned total = 0, r;

	if (rnd(m, 100) < m->bytes_percent)
		return MUT_BYTES;
	for (unsigned k = 0; k < MUT_BYTES; k++)
		total += (k == MUT_SPLICE && !can_splice) ? 0 : kind_weight[k];
	r = rnd(m, total);
	for (unsigned k = 0; k < MUT_BYTES; k++) {
		unsigned w = (k == MUT_SPLICE && !can_splice) ? 0 : kind_weight[k];

		if (r < w)
			return (enum vmf_mut_kind)k;
		r -= w;
	}
	return MUT_REPARAM;
}

static bool apply(struct vmf_mutator *m, enum vmf_mut_kind k,
		  struct vmf_program *p, size_t max_size)
{
	switch (k) {
	case MUT_INSERT: return mut_insert(m, p);
	case MUT_DELETE: return mut_delete(m, p);
	case MUT_DUPLICATE: return mut_duplicate(m, p);
	case MUT_SWAP: return mut_swap(m, p);
	case MUT_REPARAM: return mut_reparam(m, p);
	case MUT_RETARGET: return mut_retarget(m, p);
	case MUT_HEADER: return mut_header(m, p);
	case MUT_SPLICE: return splice(m, p, &m->other, false);
	case MUT_RUN: return mut_run(m, p);
	case MUT_BYTES: return mut_bytes(m, p, max_size);
	case MUT_NR: break;
	}
	return false;
}

size_t vmf_mutate(struct vmf_mutator *m, uint8_t *data, size_t size,
		  size_t max_size, const uint8_t *other, size_t other_size,
		  uint64_t seed)
{
	size_t cap = max_size < m->buf_cap ? max_size : m->buf_cap;
	uint8_t *orig = m->buf + m->buf_cap;
	size_t orig_len, len = 0;

	m->rng = seed;
	if (max_size < VMF_HEADER_BYTES) {
		/* No whole header fits: nothing structural to do. */
		size_t n = size < max_size ? size : max_size;

		m->done[MUT_BYTES]++;
		return m->bytes ? m->bytes(m->bytes_ctx, data, n, max_size) :
				  own_havoc(m, data, n, max_size);
	}
	vmf_decode(data, size, &m->prog);
	orig_len = vmf_encode(&m->prog, orig, cap);
	if (other)
		vmf_decode(other, other_size, &m->other);
	for (unsigned attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		enum vmf_mut_kind k =
			pick_kind(m, other && m->other.nr_cmds);

		vmf_decode(orig, orig_len, &m->prog);
		if (!apply(m, k, &m->prog, cap))
			continue;
		len = vmf_encode(&m->prog, m->buf, cap);
		if (len != orig_len || memcmp(m->buf, orig, len)) {
			m->done[k]++;
			memcpy(data, m->buf, len);
			return len;
		}
	}
	memcpy(data, orig, orig_len);
	return orig_len;
}

size_t vmf_crossover(struct vmf_mutator *m, const uint8_t *d1, size_t s1,
		     const uint8_t *d2, size_t s2, uint8_t *out,
		     size_t max_out, uint64_t seed)
{
	size_t cap = max_out < m->buf_cap ? max_out : m->buf_cap;

	m->rng = seed;
	vmf_decode(d1, s1, &m->prog);
	vmf_decode(d2, s2, &m->other);
	if (splice(m, &m->prog, &m->other, true))
		m->done[MUT_SPLICE]++;
	if (cap < VMF_HEADER_BYTES)
		return 0;
	return vmf_encode(&m->prog, out, cap);
}
