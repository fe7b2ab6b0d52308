/* fuzz_mmu's oracle: its state kept up to date by the ops (extents,
 * unflushed ranges, held frames), the report of a disagreement (fail()),
 * and the translation every VA of the pool must get, re-derived here in
 * the facts file's order from the extents and the raw descriptors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mmu_fuzz.h"

void fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_mmu: oracle disagreement at op %u (opcode %u)\n",
		O.op, O.opcode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nconfig: page_shift %u va_bits %u pa_bits %u "
		"tlb_entries %u flush_max %u phys_size 0x%llx\n",
		O.m->cfg.page_shift, O.m->cfg.va_bits, O.m->cfg.pa_bits,
		O.m->cfg.tlb_entries, O.m->cfg.tlb_flush_max_pages,
		(unsigned long long)O.m->cfg.phys_size);
	vmf_warn_print(O.m, stderr);
	fprintf(stderr, "SIGNATURE: mmu/%s\n", check);
	abort();
}

uint64_t lshift(int level)
{
	return (uint64_t)O.ps + (uint64_t)(O.ps - 3) * (uint64_t)(3 - level);
}

/* The terminal entry covering va. */
const struct ext *ext_at(vaddr_t va)
{
	for (size_t i = 0; i < O.next; i++)
		if (O.ext[i].kind != EXT_TABLE && va - O.ext[i].va < O.ext[i].size)
			return &O.ext[i];
	return NULL;
}

void ext_del(size_t i)
{
	O.ext[i] = O.ext[--O.next];
}

/* Remove the extents inside [lo, hi] (EXT_TABLE ones too if tables);
 * count the live ones. */
long ext_clear(vaddr_t lo, vaddr_t hi, bool tables)
{
	long live = 0;
	for (size_t i = 0; i < O.next;) {
		const struct ext *e = &O.ext[i];
		if (e->va >= lo && e->va + (e->size - 1) <= hi &&
		    (tables || e->kind != EXT_TABLE)) {
			live += e->live;
			ext_del(i);
		} else {
			i++;
		}
	}
	return live;
}

void ext_add(struct ext e)
{
	if (O.next < MAX_EXT)
		O.ext[O.next++] = e;
}

void dirty_add(vaddr_t lo, vaddr_t hi)
{
	for (size_t i = 0; i < O.ndirty; i++)
		if (O.dirty[i].lo == lo && O.dirty[i].hi == hi)
			return;
	if (O.ndirty == MAX_DIRTY)
		O.all_dirty = true;
	else
		O.dirty[O.ndirty++] = (struct range){lo, hi};
}

bool dirty_overlaps(vaddr_t lo, vaddr_t hi)
{
	if (O.all_dirty)
		return true;
	for (size_t i = 0; i < O.ndirty; i++)
		if (O.dirty[i].lo <= hi && O.dirty[i].hi >= lo)
			return true;
	return false;
}

bool held_pfn(pfn_t pfn)
{
	for (int i = 0; i < NHELD; i++)
		if (O.held[i] == pfn)
			return true;
	return false;
}

/* ---- expected translation (re-derived, facts file order) ---- */

#define T_ATTRS (0xfull << 59) /* PXNTable, UXNTable, APTable[1:0] */

bool block_ok(int level)
{
	return O.ps == 12 ? level == 1 || level == 2 : level == 2;
}

/* Output address of a descriptor: bits [47:granule]. */
phys_addr_t out_addr(uint64_t d)
{
	return d & 0x0000ffffffffffffull & ~(O.P - 1);
}

static enum mmu_fault perm(uint64_t d, uint64_t ta, int acc, int el)
{
	bool ro = (d & (1ull << 7)) || (ta & (1ull << 62));
	bool user = (d & (1ull << 6)) && !(ta & (1ull << 61));

	if (!(d & (1ull << 10)))
		return MMU_FAULT_ACCESS_FLAG;
	if (acc == ACC_READ)
		return el == 0 && !user ? MMU_FAULT_PERMISSION : MMU_OK;
	if (acc == ACC_WRITE)
		return ro || (el == 0 && !user) ? MMU_FAULT_PERMISSION : MMU_OK;
	if (el == 0)
		return (d & (1ull << 54)) || (ta & (1ull << 60)) ?
			       MMU_FAULT_PERMISSION : MMU_OK;
	return (d & (1ull << 53)) || (ta & (1ull << 59)) || (user && !ro) ?
		       MMU_FAULT_PERMISSION : MMU_OK;
}

bool rd64_at(phys_addr_t pa, uint64_t *v)
{
	uint8_t b[8];

	if (!phys_read(O.m, pa, b, 8))
		return false;
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = (*v << 8) | b[i];
	return true;
}

/* Below a foreign table the descriptors are data this file does not
 * model: walk them from RAM, with the facts-file checks in order (valid
 * encoding, output address size, table or leaf; a table read outside
 * RAM is an external abort at the level read). */
static struct expect ram_walk(phys_addr_t t, int l, vaddr_t va,
			      uint64_t attrs)
{
	struct expect x = {MMU_FAULT_TRANSLATION, l, 0, 0, attrs, false};

	for (;; l++) {
		uint64_t d, span = 1ull << lshift(l);
		bool table, leaf;

		x.level = l;
		if (!rd64_at(t + 8 * ((va >> lshift(l)) & (entries_at(l) - 1)),
			     &d)) {
			x.fault = MMU_FAULT_EXTERNAL;
			return x;
		}
		table = l < 3 && (d & 3) == 3;
		leaf = l == 3 ? (d & 3) == 3 : (d & 3) == 1 && block_ok(l);
		if (!table && !leaf)
			return x; /* translation */
		x.leaf = leaf;
		if (out_addr(d) >> O.pa_bits) {
			x.fault = MMU_FAULT_ADDRESS_SIZE;
			return x;
		}
		if (table) {
			x.attrs |= d & T_ATTRS;
			t = out_addr(d);
			continue;
		}
		x.fault = MMU_OK;
		x.desc = d;
		x.pa = (out_addr(d) & ~(span - 1)) + (va & (span - 1));
		return x;
	}
}

/* Table attributes of the rewritten tables above `below` that cover va. */
uint64_t attrs_at(vaddr_t va, int below)
{
	uint64_t a = 0;

	for (size_t i = 0; i < O.next; i++)
		if (O.ext[i].kind == EXT_TABLE && O.ext[i].level < below &&
		    va - O.ext[i].va < O.ext[i].size)
			a |= O.ext[i].desc & T_ATTRS;
	return a;
}

/* The walk of va without the permission check. */
struct expect expect_walk(vaddr_t va)
{
	const struct ext *e = ext_at(va);
	struct expect x = {MMU_FAULT_TRANSLATION, -1, 0, 0, attrs_at(va, 4),
			   false};

	if (!e)
		return x;
	x.level = e->level;
	switch (e->kind) {
	case EXT_MAP:
		x.fault = MMU_OK;
		x.leaf = true;
		x.desc = e->desc;
		x.pa = e->pa + (va - e->va);
		break;
	case EXT_RAW:
		x.fault = e->raw_fault;
		x.leaf = e->live;
		break;
	default: /* EXT_FOREIGN */
		x.attrs |= e->desc & T_ATTRS;
		if (out_addr(e->desc) >> O.pa_bits)
			x.fault = MMU_FAULT_ADDRESS_SIZE;
		else
			return ram_walk(out_addr(e->desc), e->level + 1, va,
					x.attrs);
		break;
	}
	return x;
}

struct expect expect_at(vaddr_t va, int acc, int el)
{
	struct expect x = expect_walk(va);

	if (x.fault == MMU_OK)
		x.fault = perm(x.desc, x.attrs, acc, el);
	return x;
}

static unsigned fsc_of(enum mmu_fault f, int level)
{
	static const unsigned base[] = {0, FSC_ADDRESS_SIZE, FSC_TRANSLATION,
					FSC_ACCESS_FLAG, FSC_PERMISSION,
					FSC_EXTERNAL_WALK};

	if (f == MMU_OK || f > MMU_FAULT_EXTERNAL)
		return 0;
	return base[f] | ((unsigned)level & 3);
}

/* PAR_EL1 after AT S1E1x (Arm ARM D17.2.112), from the facts: F, FST and
 * RES1 bit 11 on a fault; else the MAIR attribute of AttrIndx, PA[47:12],
 * bit 11, NS, and SH (Device and Normal-NC report outer shareable). */
uint64_t par_expect(const struct expect *x, int level)
{
	static const uint8_t mair[8] = {0xff, 0xff, 0x44, 0x00, 0x04, 0, 0, 0};
	uint64_t attr, sh;

	if (x->fault != MMU_OK)
		return 1 | (uint64_t)fsc_of(x->fault, level) << 1 | 1ull << 11;
	attr = mair[(x->desc >> 2) & 7];
	sh = (x->desc >> 8) & 3;
	if ((attr & 0xf0) == 0 || attr == 0x44)
		sh = 2;
	return attr << 56 | (x->pa & 0x0000fffffffff000ull) | 1ull << 11 |
	       1ull << 9 | sh << 7;
}

void check_result(const char *check, vaddr_t va, int acc, int el,
		  const struct mmu_result *r)
{
	struct expect x = expect_at(va, acc, el);

	if (r->fault != x.fault || (x.level >= 0 && r->level != x.level) ||
	    (x.fault == MMU_OK && r->pa != x.pa) ||
	    r->fsc != fsc_of(r->fault, r->level))
		fail(check, "va 0x%llx acc %d el %d: got %s level %d fsc 0x%x "
		     "pa 0x%llx, expected %s level %d pa 0x%llx",
		     (unsigned long long)va, acc, el, mmu_fault_name(r->fault),
		     r->level, r->fsc, (unsigned long long)r->pa,
		     mmu_fault_name(x.fault), x.level,
		     (unsigned long long)x.pa);
}
