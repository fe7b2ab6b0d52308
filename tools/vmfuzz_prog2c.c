/* vmfuzz prog2c FILE -o repro.c: a program as a standalone C file that
 * calls the library's public API (include/vmfuzz/) in order, with the
 * interpreter's handle bookkeeping written out (vmfuzz_prog2c_prelude.h),
 * and prints the interpreter's trace line for every command.
 *
 * When the program fails on this build (the shadow disagreed), the
 * shadow's prediction for the failing command is written into the file
 * as a check: the reproducer prints "MISMATCH: <what>: expected X got Y"
 * and exits 1 when the library it is linked with gives another value.
 * Operands are resolved here, against the program's machine, so the file
 * holds plain numbers. One case per op: an op not handled below becomes a
 * comment and a line on stderr ("unsupported command ..."). The
 * huge-mapping commands (ioremap, iounmap) are in vmfuzz_prog2c_huge.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/fault.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "report.h"
#include "vmfuzz_gen.h"
#include "vmfuzz_prog2c.h"
#include "vmfuzz_prog2c_prelude.h"

#define USAGE "prog2c FILE -o REPRO.c"

/* Text safe inside a C comment. */
static void put_comment_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (s[0] == '*' && s[1] == '/')
			fputs("* ", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

/* Read the shadow's expected value out of a failure's details. */
static void find_expectation(const struct vmf_failure *fail,
			     struct expectation *ex)
{
	const char *e, *p;

	memset(ex, 0, sizeof(*ex));
	if (!fail->failed)
		return;
	ex->idx = fail->cmd_index;
	ex->kind = EX_NOTE;
	snprintf(ex->check, sizeof(ex->check), "%s", fail->check);
	vmft_report_detail(fail, ex->detail, sizeof(ex->detail));
	if (strcmp(fail->check, "address") && strcmp(fail->check, "result"))
		return;
	/* "expected 0x..", "expected failure", "expected N" or "N/M". */
	for (e = NULL, p = ex->detail; (p = strstr(p, "expected ")); p++)
		e = p + strlen("expected ");
	if (!e)
		return;
	if (strncmp(e, "failure", 7) == 0) {
		ex->kind = EX_ADDR;
		ex->want = 0;
	} else if (strncmp(e, "0x", 2) == 0) {
		ex->kind = EX_ADDR;
		ex->want = strtoull(e, NULL, 16);
	} else if (*e == '-' || (*e >= '0' && *e <= '9')) {
		char *end;

		ex->kind = EX_RET;
		ex->want = (uint64_t)strtoll(e, &end, 10);
		if (*end == '/') {
			ex->kind = EX_RET2;
			ex->want2 = (uint64_t)strtoll(end + 1, NULL, 10);
		}
	}
}

static bool expecting(const struct gen *g, size_t i, enum expect_kind k)
{
	return g->ex.kind == k && g->ex.idx == i;
}

void prog2c_expect_addr(struct gen *g, size_t i, const char *var)
{
	if (expecting(g, i, EX_ADDR))
		fprintf(g->f, "\t\t/* the shadow predicted this address */\n"
			      "\t\texpect(\"addr\", 0x%" PRIx64 "ull, %s);\n",
			g->ex.want, var);
}

void prog2c_expect_ret(struct gen *g, size_t i, const char *var,
		       const char *var2)
{
	if (expecting(g, i, EX_RET) || (expecting(g, i, EX_RET2) && !var2))
		fprintf(g->f, "\t\t/* the shadow predicted this result */\n"
			      "\t\texpect(\"ret\", (uint64_t)%" PRId64 "ll, "
			      "(uint64_t)%s);\n",
			(int64_t)g->ex.want, var);
	if (expecting(g, i, EX_RET2) && var2)
		fprintf(g->f, "\t\t/* the shadow predicted these results */\n"
			      "\t\texpect(\"ret\", (uint64_t)%" PRId64 "ll, "
			      "(uint64_t)%s);\n"
			      "\t\texpect(\"ret2\", (uint64_t)%" PRId64 "ll, "
			      "(uint64_t)%s);\n",
			(int64_t)g->ex.want, var, (int64_t)g->ex.want2, var2);
}

static const char *hkind_name(enum vmf_op op)
{
	switch (op) {
	case OP_GET_VM_AREA:
	case OP_GET_VM_AREA_NODE:
		return "HK_VMAREA";
	default:
		return "HK_VMALLOC";
	}
}

/* The allocation call of an allocating op, as C; NULL for other ops. */
static bool alloc_call(const struct vmf_args *a, enum vmf_op op, char *buf,
		       size_t len, bool *guard)
{
	*guard = true;
	switch (op) {
	case OP_VMALLOC:
		snprintf(buf, len, "vmalloc(m, 0x%" PRIx64 "ull)", a->size);
		return true;
	case OP_VZALLOC:
		snprintf(buf, len, "vzalloc(m, 0x%" PRIx64 "ull)", a->size);
		return true;
	case OP_VMALLOC_NODE:
		snprintf(buf, len, "vmalloc_node(m, 0x%" PRIx64 "ull, %d)",
			 a->size, a->node);
		return true;
	case OP_VZALLOC_NODE:
		snprintf(buf, len, "vzalloc_node(m, 0x%" PRIx64 "ull, %d)",
			 a->size, a->node);
		return true;
	case OP_VMALLOC_32:
		snprintf(buf, len, "vmalloc_32(m, 0x%" PRIx64 "ull)", a->size);
		return true;
	case OP_VMALLOC_HUGE:
		/* interp_do_vmalloc_huge: an HK_VMALLOC handle of the size
		 * asked, with a guard, as vmalloc_node's */
		snprintf(buf, len, "vmalloc_huge(m, 0x%" PRIx64 "ull, %d)",
			 a->size, a->node);
		return true;
	case OP_VMALLOC_USER:
		snprintf(buf, len, "vmalloc_user(m, 0x%" PRIx64 "ull)", a->size);
		return true;
	case OP_VMALLOC_EXEC:
		snprintf(buf, len, "vmalloc_exec(m, 0x%" PRIx64 "ull)", a->size);
		return true;
	case OP___VMALLOC:
		snprintf(buf, len,
			 "__vmalloc(m, 0x%" PRIx64 "ull, 0x%xu, 0x%" PRIx64 "ull)",
			 a->size, (unsigned)a->gfp, (uint64_t)a->prot);
		return true;
	case OP_VMALLOC_NODE_RANGE:
		snprintf(buf, len,
			 "__vmalloc_node_range(m, 0x%" PRIx64 "ull, 0x%" PRIx64
			 "ull,\n\t\t\t0x%" PRIx64 "ull, 0x%" PRIx64
			 "ull, 0x%xu, 0x%" PRIx64 "ull, 0x%lxul, %d,\n"
			 "\t\t\t\"vmalloc_node_range\")",
			 a->size, a->align, a->start, a->end, (unsigned)a->gfp,
			 (uint64_t)a->prot, a->vm_flags, a->node);
		*guard = !(a->vm_flags & VM_NO_GUARD);
		return true;
	case OP_GET_VM_AREA:
		snprintf(buf, len, "get_vm_area(m, 0x%" PRIx64 "ull, 0x%lxul)",
			 a->size, a->vm_flags);
		*guard = !(a->vm_flags & VM_NO_GUARD);
		return true;
	case OP_GET_VM_AREA_NODE:
		snprintf(buf, len,
			 "__get_vm_area_node(m, 0x%" PRIx64 "ull, 0x%" PRIx64
			 "ull, 0x%lxul,\n\t\t\t0x%" PRIx64 "ull, 0x%" PRIx64
			 "ull, %d, 0x%xu, \"get_vm_area_node\")",
			 a->size, a->align, a->vm_flags, a->start, a->end,
			 a->node, (unsigned)a->gfp);
		*guard = !(a->vm_flags & VM_NO_GUARD);
		return true;
	default:
		return false;
	}
}

static void emit_alloc(struct gen *g, size_t i, enum vmf_op op,
		       const struct vmf_args *a)
{
	char call[512];
	bool guard;

	alloc_call(a, op, call, sizeof(call), &guard);
	fputs("\tif (table_full()) {\n\t\tres(\" table full\");\n\t} else {\n", g->f);
	if (op == OP_GET_VM_AREA || op == OP_GET_VM_AREA_NODE)
		fprintf(g->f, "\t\tstruct vm_struct *vm = %s;\n"
			      "\t\tvaddr_t addr = vm ? vm->addr : 0;\n\n", call);
	else
		fprintf(g->f, "\t\tvaddr_t addr = %s;\n\n", call);
	fputs("\t\tres_addr(\"addr\", addr);\n", g->f);
	prog2c_expect_addr(g, i, "addr");
	fprintf(g->f, "\t\tif (addr)\n\t\t\tadd_live(%s, addr, 0x%" PRIx64
		      "ull, %s);\n\t}\n",
		hkind_name(op), a->size, guard ? "true" : "false");
}

static void emit_vmap(struct gen *g, size_t i, const struct vmf_args *a)
{
	unsigned count = a->count > 64 ? 64 : a->count;

	fprintf(g->f,
		"\tif (table_full()) {\n"
		"\t\tres(\" table full\");\n"
		"\t} else {\n"
		"\t\tstruct page *pages[%u];\n"
		"\t\tunsigned got;\n\n"
		"\t\tfor (got = 0; got < %u; got++)\n"
		"\t\t\tif (!(pages[got] = harness_page(OWNER_VMAP)))\n"
		"\t\t\t\tbreak;\n"
		"\t\tif (got < %u) {\n"
		"\t\t\tres(\" no pages (%%u of %%u)\", got, %uu);\n"
		"\t\t\twhile (got)\n"
		"\t\t\t\t__free_pages(m, pages[--got], 0);\n"
		"\t\t} else {\n"
		"\t\t\tvaddr_t addr = vmap(m, pages, %u, 0x%lxul, 0x%" PRIx64 "ull);\n"
		"\t\t\tstruct handle *h;\n\n"
		"\t\t\tres_addr(\"addr\", addr);\n",
		count, count, count, count, count, a->vm_flags, (uint64_t)a->prot);
	prog2c_expect_addr(g, i, "addr");
	fprintf(g->f,
		"\t\t\tif (!addr) {\n"
		"\t\t\t\tfor (unsigned k = 0; k < %u; k++)\n"
		"\t\t\t\t\t__free_pages(m, pages[k], 0);\n"
		"\t\t\t} else {\n"
		"\t\t\t\th = add_live(HK_VMAP, addr, %u, %s);\n"
		"\t\t\t\th->nr_pages = %u;\n"
		"\t\t\t\tmemcpy(h->pages, pages, sizeof(pages));\n"
		"\t\t\t}\n"
		"\t\t}\n"
		"\t}\n",
		count, count, a->vm_flags & VM_NO_GUARD ? "false" : "true",
		count);
}

/* vm_map_ram: do_vm_map_ram (harness/interp_cmd.c), count clipped to 128
 * pages as the interpreter does; the handle owns the pages, no guard. */
static void emit_vm_map_ram(struct gen *g, size_t i, const struct vmf_args *a)
{
	unsigned count = a->count > VMF_MAX_VM_MAP_RAM_PAGES ?
				 VMF_MAX_VM_MAP_RAM_PAGES : a->count;

	fprintf(g->f,
		"\tif (table_full()) {\n"
		"\t\tres(\" table full\");\n"
		"\t} else {\n"
		"\t\tstruct page *pages[MAX_VMAP_PAGES];\n"
		"\t\tunsigned got;\n\n"
		"\t\tfor (got = 0; got < %uu; got++)\n"
		"\t\t\tif (!(pages[got] = harness_page(OWNER_VMAP)))\n"
		"\t\t\t\tbreak;\n"
		"\t\tif (got < %uu) {\n"
		"\t\t\tres(\" no pages (%%u of %%u)\", got, %uu);\n"
		"\t\t\twhile (got)\n"
		"\t\t\t\t__free_pages(m, pages[--got], 0);\n"
		"\t\t} else {\n"
		"\t\t\tvaddr_t addr = vm_map_ram(m, pages, %uu, %d, 0x%" PRIx64 "ull);\n"
		"\t\t\tstruct handle *h;\n\n"
		"\t\t\tres_addr(\"addr\", addr);\n",
		count, count, count, count, a->node, (uint64_t)a->prot);
	prog2c_expect_addr(g, i, "addr");
	fprintf(g->f,
		"\t\t\tif (!addr) {\n"
		"\t\t\t\tfor (unsigned k = 0; k < %uu; k++)\n"
		"\t\t\t\t\t__free_pages(m, pages[k], 0);\n"
		"\t\t\t} else {\n"
		"\t\t\t\th = add_live(HK_VMRAM, addr, %uu, false);\n"
		"\t\t\t\th->nr_pages = %uu;\n"
		"\t\t\t\tmemcpy(h->pages, pages, %uu * sizeof(pages[0]));\n"
		"\t\t\t}\n"
		"\t\t}\n"
		"\t}\n",
		count, count, count, count);
}

/* vm_unmap_ram: do_vm_unmap_ram; the count passed is (count mapped +
 * dcount) mod 256, so dcount 0 is the right one. */
static void emit_vm_unmap_ram(struct gen *g, size_t i, const struct vmf_args *a)
{
	fprintf(g->f,
		"\th = pick_kind(%uu, HK_VMRAM);\n"
		"\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n"
		"\t\tunsigned count = (unsigned)((h->size + %uu) & 0xff);\n"
		"\t\tlong ret = vm_unmap_ram(m, h->addr, count);\n\n"
		"\t\tres(\" count=%%u ret=%%ld\", count, ret);\n",
		a->handle, a->dcount);
	prog2c_expect_ret(g, i, "ret", NULL);
	fputs("\t\tif (ret == 0)\n\t\t\tvmram_gone(h);\n\t}\n", g->f);
}

/* A free entry point on `addr` (a C expression), h the handle it came
 * from or NULL; the bookkeeping of do_free_addr (harness/interp_cmd.c). */
static void emit_free_call(struct gen *g, size_t i, enum vmf_op op,
			   const char *addr, const char *h)
{
	const char *gone = "ret == 0";

	fprintf(g->f, "\t\t{\n\t\t\tvaddr_t fa = %s;\n", addr);
	switch (op) {
	case OP_VFREE_ATOMIC:
		fputs("\t\t\tlong ret = vfree_atomic(m, fa);\n\n", g->f);
		break;
	case OP_VFREE_IRQ:
		fputs("\t\t\tlong ret;\n\n"
		      "\t\t\tm->in_interrupt = true; /* vfree from an interrupt */\n"
		      "\t\t\tret = vfree(m, fa);\n"
		      "\t\t\tm->in_interrupt = false;\n", g->f);
		break;
	case OP_VUNMAP:
		fputs("\t\t\tlong ret = vunmap(m, fa);\n\n", g->f);
		break;
	case OP_REMOVE_VM_AREA:
		fputs("\t\t\tstruct vm_struct *vm = remove_vm_area(m, fa);\n"
		      "\t\t\tlong ret = vm != NULL;\n\n"
		      "\t\t\tkfree(m, vm);\n", g->f);
		gone = "ret != 0";
		break;
	case OP_FREE_VM_AREA:
		fputs("\t\t\tstruct vm_struct *vm = find_vm_area(m, fa);\n"
		      "\t\t\tlong ret = vm != NULL, ret2 = 0;\n\n"
		      "\t\t\tif (vm)\n\t\t\t\tret2 = free_vm_area(m, vm);\n", g->f);
		gone = "vm && ret2 == 0";
		break;
	default: /* OP_VFREE and the bad frees */
		fputs("\t\t\tlong ret = vfree(m, fa);\n\n", g->f);
		break;
	}
	if (op == OP_FREE_VM_AREA) {
		fputs("\t\t\tres(\" ret=%ld\", ret ? ret2 : -1);\n", g->f);
		prog2c_expect_ret(g, i, "ret", "ret2");
	} else {
		fputs("\t\t\tres(\" ret=%ld\", ret);\n", g->f);
		prog2c_expect_ret(g, i, "ret", NULL);
	}
	fprintf(g->f, "\t\t\tafter_free(%s, fa, %s, %s);\n\t\t}\n", h, gone,
		op == OP_VUNMAP ? "true" : "false");
}

static void emit_free(struct gen *g, size_t i, enum vmf_op op,
		      const struct vmf_args *a)
{
	fprintf(g->f, "\th = pick_live(%uu);\n"
		      "\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n",
		a->handle);
	emit_free_call(g, i, op, "h->addr", "h");
	fputs("\t}\n", g->f);
}

/* One of the deliberately bad calls of do_bad (harness/interp_cmd.c). */
static void emit_bad(struct gen *g, size_t i, const struct vmf_args *a)
{
	uint64_t ps = 1ull << g->cfg->page_shift;
	vaddr_t ws = g->cfg->vmalloc_start, we = g->cfg->vmalloc_end;
	char addr[128];
	const char *pick = NULL, *kind = NULL;
	enum vmf_op free_op = OP_VFREE;
	bool size_kind = false;
	uint64_t size = ps, align = 1;
	vaddr_t start = ws, end = we;

	fprintf(g->f, "\tres(\" %s\");\n", vmf_bad_name((enum vmf_bad)a->bad));
	addr[0] = 0;
	switch (a->bad) {
	case BAD_VFREE_UNALIGNED:
		pick = "pick_live";
		snprintf(addr, sizeof(addr), "h->addr + 0x%" PRIx64 "ull",
			 1 + a->offset % (ps - 1));
		break;
	case BAD_VFREE_NONEXISTENT:
		snprintf(addr, sizeof(addr), "hole_address(0x%" PRIx64 "ull)",
			 a->offset);
		break;
	case BAD_VFREE_DOUBLE:
		pick = "pick_freed_stale";
		snprintf(addr, sizeof(addr), "h->addr");
		break;
	case BAD_VFREE_INTERIOR:
		fprintf(g->f,
			"\th = pick_live(%uu);\n"
			"\tif (h && mapped_limit(h) / m->page_size >= 2) {\n"
			"\t\tuint64_t span = mapped_limit(h) / m->page_size;\n\n",
			a->handle);
		snprintf(addr, sizeof(addr),
			 "h->addr + (1 + 0x%" PRIx64 "ull %% (span - 1)) * "
			 "m->page_size", a->offset / ps);
		emit_free_call(g, i, OP_VFREE, addr, "h");
		fputs("\t} else {\n\t\tres(\" no handle\");\n\t}\n", g->f);
		return;
	case BAD_VUNMAP_VMALLOC:
		kind = "HK_VMALLOC";
		free_op = OP_VUNMAP;
		snprintf(addr, sizeof(addr), "h->addr");
		break;
	case BAD_VFREE_VMAP:
		kind = "HK_VMAP";
		snprintf(addr, sizeof(addr), "h->addr");
		break;
	case BAD_VUNMAP_UNALIGNED:
		fprintf(g->f, "\th = pick_kind(%uu, HK_VMAP);\n"
			      "\tif (!h)\n\t\th = pick_live(%uu);\n",
			a->handle, a->handle);
		pick = "";
		free_op = OP_VUNMAP;
		snprintf(addr, sizeof(addr), "h->addr + 0x%" PRIx64 "ull",
			 1 + a->offset % (ps - 1));
		break;
	case BAD_VUNMAP_NONEXISTENT:
		free_op = OP_VUNMAP;
		snprintf(addr, sizeof(addr), "hole_address(0x%" PRIx64 "ull)",
			 a->offset);
		break;
	case BAD_EARLY_AFTER_INIT: {
		vaddr_t ea = ws + (a->offset & ~(ps - 1));

		fprintf(g->f, "\t{\n\t\tint ret = vm_area_add_early(m, 0x%" PRIx64
			      "ull, 0x%" PRIx64 "ull, 0, \"bad_early\");\n\n"
			      "\t\tres(\" ret=%%d\", ret);\n",
			ea, ps);
		prog2c_expect_ret(g, i, "ret", NULL);
		fputs("\t}\n", g->f);
		return;
	}
	case BAD_SIZE_ZERO:
		size_kind = true;
		size = 0;
		break;
	case BAD_SIZE_ABOVE_TOTALRAM:
		size_kind = true;
		size = 0; /* computed at run time: totalram_pages() + 1 pages */
		break;
	case BAD_SIZE_WRAPS:
		size_kind = true;
		size = 0 - 1 - a->offset % (ps - 1);
		break;
	case BAD_ALIGN_NOT_POW2:
		align = 3 * ps + (a->offset & (ps - 1));
		break;
	case BAD_RANGE_INVERTED:
		start = we - ps;
		end = ws;
		break;
	case BAD_RANGE_OUTSIDE:
		start = we;
		end = we + 16 * ps;
		break;
	default:
		fprintf(g->f, "\t/* unsupported bad kind %u: left as a comment */\n",
			a->bad);
		fprintf(stderr, "prog2c: #%zu: unsupported bad kind %u: left as "
				"a comment\n", i, a->bad);
		return;
	}
	if (addr[0]) {
		if (pick && *pick)
			fprintf(g->f, "\th = %s(%uu);\n", pick, a->handle);
		else if (kind)
			fprintf(g->f, "\th = pick_kind(%uu, %s);\n", a->handle,
				kind);
		if (pick || kind)
			fputs("\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n",
			      g->f);
		else
			fputs("\t{\n", g->f);
		/* A double free names no live handle (do_bad passes NULL). */
		emit_free_call(g, i, free_op, addr,
			       (pick || kind) && a->bad != BAD_VFREE_DOUBLE ?
				       "h" : "NULL");
		fputs("\t}\n", g->f);
		return;
	}
	fputs("\t{\n", g->f);
	if (a->bad == BAD_SIZE_ABOVE_TOTALRAM)
		fputs("\t\tvaddr_t addr = vmalloc(m, (totalram_pages(m) + 1) * "
		      "m->page_size);\n\n", g->f);
	else if (size_kind)
		fprintf(g->f, "\t\tvaddr_t addr = vmalloc(m, 0x%" PRIx64 "ull);\n\n",
			size);
	else
		fprintf(g->f,
			"\t\tvaddr_t addr = __vmalloc_node_range(m, 0x%" PRIx64
			"ull, 0x%" PRIx64 "ull,\n\t\t\t0x%" PRIx64 "ull, 0x%" PRIx64
			"ull, 0, PAGE_KERNEL, 0, NUMA_NO_NODE, \"%s\");\n\n",
			size, align, start, end,
			a->bad == BAD_ALIGN_NOT_POW2 ? "bad_align" : "bad_range");
	fputs("\t\tres_addr(\"addr\", addr);\n", g->f);
	prog2c_expect_addr(g, i, "addr");
	fputs("\t}\n", g->f);
}

/* Data commands and the rest: one case per op. */
static void emit_other(struct gen *g, size_t i, enum vmf_op op,
		       const struct vmf_args *a)
{
	FILE *f = g->f;

	switch (op) {
	case OP_RUN_DEFERRED:
		fprintf(f, "\t{\n\t\tint n = vmalloc_run_deferred(m, %uu);\n\n"
			   "\t\tres(\" freed=%%d\", n);\n", a->cpu);
		prog2c_expect_ret(g, i, "n", NULL);
		fputs("\t}\n", f);
		break;
	case OP_SET_CPU:
		fprintf(f, "\tm->cur_cpu = %uu;\n", a->cpu);
		break;
	case OP_PURGE:
		fputs("\tpurge_vmap_area_lazy(m);\n", f);
		break;
	case OP_UNMAP_ALIASES:
		fputs("\tvm_unmap_aliases(m);\n", f);
		break;
	case OP_WRITE:
		fprintf(f, "\th = pick_live(%uu);\n"
			   "\tif (!h)\n\t\tres(\" no handle\");\n\telse\n"
			   "\t\twrite_handle(h, 0x%" PRIx64 "ull, %zu, 0x%02x);\n",
			a->handle, a->offset, (size_t)a->len, a->pattern);
		break;
	case OP_READ:
	case OP_READ_FREED:
		fprintf(f, "\th = %s(%uu);\n"
			   "\tif (!h)\n\t\tres(\" no handle\");\n\telse\n"
			   "\t\tcopy(h->addr + 0x%" PRIx64 "ull, %zu, false);\n",
			op == OP_READ ? "pick_live" : "pick_freed", a->handle,
			a->offset, (size_t)a->len);
		break;
	case OP_ACCESS:
		fprintf(f, "\th = pick_live(%uu);\n"
			   "\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n"
			   "\t\tstruct mmu_result r1 = mmu_access(m, h->addr + 0x%"
			   PRIx64 "ull, %s, %d);\n\n"
			   "\t\tres(\" %%s\", fault_text(r1.fault));\n"
			   "\t\tif (r1.fault != MMU_OK)\n"
			   "\t\t\tres(\"/L%%d\", r1.level);\n"
			   "\t\tif (r1.tlb_stale)\n\t\t\tres(\" stale\");\n\t}\n",
			a->handle, a->offset,
			a->access == ACC_WRITE ? "ACC_WRITE" :
			a->access == ACC_EXEC ? "ACC_EXEC" : "ACC_READ",
			a->el ? 1 : 0);
		break;
	case OP_VMALLOC_TO_PAGE:
		fprintf(f, "\th = pick_live(%uu);\n"
			   "\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n"
			   "\t\tstruct page *p = vmalloc_to_page(m, h->addr + 0x%"
			   PRIx64 "ull);\n\n"
			   "\t\tif (p)\n\t\t\tres(\" pfn=+0x%%\" PRIx64, page_to_pfn(m, p) -\n"
			   "\t\t\t    (m->cfg.phys_base >> m->page_shift));\n"
			   "\t\telse\n\t\t\tres(\" none\");\n\t}\n",
			a->handle, a->offset);
		break;
	case OP_VREAD:
		fprintf(f, "\th = pick_live(%uu);\n"
			   "\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n"
			   "\t\tlong ret;\n\t\tuint32_t sum = 2166136261u;\n\n"
			   "\t\tmemset(buf, 0x5a, %zu);\n"
			   "\t\tret = vread(m, buf, h->addr + 0x%" PRIx64 "ull, %zu);\n"
			   "\t\tres(\" ret=%%ld\", ret);\n"
			   "\t\tfor (long k = 0; k < ret; k++)\n"
			   "\t\t\tsum = (sum ^ buf[k]) * 16777619u;\n"
			   "\t\tif (ret > 0)\n\t\t\tres(\" data=%%08x/%%ld\", sum, ret);\n"
			   "\t}\n",
			a->handle, (size_t)a->len, a->offset, (size_t)a->len);
		break;
	case OP_FAULT:
		fprintf(f, "\t/* fault injection: site %s, mode %u, n %" PRIu64 " */\n"
			   "\tvmf_fault_set(m, (enum vmf_fault_site)%u, "
			   "(enum vmf_fault_mode)%u, %" PRIu64 "ull);\n",
			a->site < FAULT_SITE_NR ?
				vmf_fault_site_name((enum vmf_fault_site)a->site) : "?",
			a->mode, a->n, a->site, a->mode, a->n);
		break;
	case OP_FRAGMENT:
		fprintf(f, "\t{\n\t\tunsigned taken = 0, kept = 0;\n\n"
			   "\t\t/* take pages, give back every other one */\n"
			   "\t\tfor (unsigned k = 0; k < %uu && nr_frag < MAX_FRAG; k++) {\n"
			   "\t\t\tstruct page *p = harness_page(OWNER_FRAG);\n\n"
			   "\t\t\tif (!p)\n\t\t\t\tbreak;\n"
			   "\t\t\ttaken++;\n"
			   "\t\t\tif (k & 1) {\n\t\t\t\t__free_pages(m, p, 0);\n"
			   "\t\t\t} else {\n\t\t\t\tnr_frag++;\n\t\t\t\tkept++;\n\t\t\t}\n"
			   "\t\t}\n"
			   "\t\tres(\" took=%%u kept=%%u\", taken, kept);\n\t}\n",
			a->count);
		break;
	case OP_CHECK: {
		bool full = i == g->first_check || i == g->last_check;

		fputs("\t{\n\t\tsize_t n = 0;\n\n", f);
		if (full)
			fprintf(f, "\t\tcheck_machine(\"at #%zu\");\n", i);
		fprintf(f, "\t\tvmalloc_for_each_area(m, count_area, &n);\n"
			   "\t\tres(\" ok areas=%%zu%s\", n);\n\t}\n",
			full ? " full" : "");
		break;
	}
	case OP_BAD:
		emit_bad(g, i, a);
		break;
	default:
		fprintf(f, "\t/* unsupported command %s: left as a comment */\n",
			vmf_op_name(op));
		fprintf(stderr, "prog2c: #%zu: unsupported command %s: left as "
				"a comment\n", i, vmf_op_name(op));
		break;
	}
}

static bool is_free(enum vmf_op op)
{
	switch (op) {
	case OP_VFREE:
	case OP_VFREE_ATOMIC:
	case OP_VFREE_IRQ:
	case OP_VUNMAP:
	case OP_REMOVE_VM_AREA:
	case OP_FREE_VM_AREA:
		return true;
	default:
		return false;
	}
}

static bool is_early(enum vmf_op op)
{
	return op == OP_EARLY_ADD || op == OP_EARLY_REGISTER;
}

static void emit_early(struct gen *g, size_t i, enum vmf_op op,
		       const struct vmf_args *a)
{
	const char *ind = g->inited ? "\t" : "\t\t";

	if (!g->inited)
		fputs("\tif (!table_full()) {\n", g->f);
	else
		fputs("\t{\n", g->f);
	if (op == OP_EARLY_ADD) {
		fprintf(g->f, "%sint ret = vm_area_add_early(m, 0x%" PRIx64
			      "ull, 0x%" PRIx64 "ull, 0x%lxul,\n%s\t\t\"early_add\");\n\n"
			      "%sres(\" ret=%%d\", ret);\n",
			ind, a->start, a->size, a->vm_flags, ind, ind);
		prog2c_expect_ret(g, i, "ret", NULL);
		if (!g->inited)
			fprintf(g->f, "\t\tif (ret == 0)\n\t\t\tadd_live(HK_EARLY, "
				      "0x%" PRIx64 "ull, 0x%" PRIx64 "ull, false);\n",
				a->start, a->size);
	} else {
		fprintf(g->f, "%svaddr_t addr = vm_area_register_early(m, 0x%"
			      PRIx64 "ull, 0x%" PRIx64 "ull,\n%s\t\t"
			      "\"early_register\");\n\n%sres_addr(\"addr\", addr);\n",
			ind, a->size, a->align, ind, ind);
		prog2c_expect_addr(g, i, "addr");
		if (!g->inited)
			fprintf(g->f, "\t\tif (addr)\n\t\t\tadd_live(HK_EARLY, addr, "
				      "0x%" PRIx64 "ull, false);\n",
				a->size);
	}
	fputs("\t}\n", g->f);
}

/* One command: a comment with its text, the calls, the trace line. */
static void emit_cmd(struct gen *g, size_t i)
{
	const struct vmf_cmd *cmd = &g->prog->cmds[i];
	enum vmf_op op = cmd->op;
	struct vmf_args a;
	char text[160];
	bool dummy;

	vmf_cmd_text(cmd, text, sizeof(text));
	vmf_cmd_resolve(cmd, g->cfg, &a);
	fputs("\n\t/* #", g->f);
	fprintf(g->f, "%zu ", i);
	put_comment_text(g->f, text);
	fputs(" */\n", g->f);
	if (op >= OP_NR) {
		fprintf(g->f, "\t/* unsupported command %u: left as a comment */\n",
			(unsigned)op);
		fprintf(stderr, "prog2c: #%zu: unsupported command %u: left as "
				"a comment\n", i, (unsigned)op);
		return;
	}
	if (op == OP_NOP && g->inited) {
		fprintf(g->f, "\tprintf(\"#%zu nop =>\\n\");\n", i);
		return;
	}
	if (g->ex.kind == EX_NOTE && g->ex.idx == i) {
		fputs("\t/* Here the shadow model disagreed with the library "
		      "this file was made with:\n\t * ", g->f);
		put_comment_text(g->f, g->ex.check);
		fputs(": ", g->f);
		put_comment_text(g->f, g->ex.detail);
		fputs("\n\t * That prediction is not a return value this program "
		      "can compare; the\n\t * state after the command is printed "
		      "below (vmallocinfo). */\n", g->f);
	}
	fprintf(g->f, "\tbegin(%s);\n", is_early(op) ? "true" : "false");
	if (!is_early(op))
		g->inited = true;
	if (is_early(op))
		emit_early(g, i, op, &a);
	else if (alloc_call(&a, op, text, sizeof(text), &dummy))
		emit_alloc(g, i, op, &a);
	else if (op == OP_VMAP)
		emit_vmap(g, i, &a);
	else if (op == OP_VM_MAP_RAM)
		emit_vm_map_ram(g, i, &a);
	else if (op == OP_VM_UNMAP_RAM)
		emit_vm_unmap_ram(g, i, &a);
	else if (op == OP_IOREMAP)
		prog2c_emit_ioremap(g, i, &a);
	else if (op == OP_IOUNMAP)
		prog2c_emit_iounmap(g, i, &a);
	else if (is_free(op))
		emit_free(g, i, op, &a);
	else if (op != OP_NOP)
		emit_other(g, i, op, &a);
	vmf_cmd_text(cmd, text, sizeof(text));
	fprintf(g->f, "\tif (end(%zu, %zu, \"", i, g->prog->nr_cmds);
	vmft_put_c_string(g->f, text);
	fputs("\"))\n\t\tgoto out;\n", g->f);
	g->any_end = true;
	if (g->ex.kind == EX_NOTE && g->ex.idx == i)
		fputs("\tvmallocinfo(m, stdout);\n", g->f);
}

static void emit_config(FILE *f, const struct vmf_config *c)
{
	fprintf(f,
		"\tstatic const struct vmf_config cfg = {\n"
		"\t\t.page_shift = %u, .va_bits = %u, .pa_bits = %u,\n"
		"\t\t.vmalloc_start = 0x%" PRIx64 "ull,\n"
		"\t\t.vmalloc_end = 0x%" PRIx64 "ull,\n"
		"\t\t.phys_size = 0x%" PRIx64 "ull, .phys_base = 0x%" PRIx64 "ull,\n"
		"\t\t.nr_nodes = %u, .nr_cpus = %u,\n"
		"\t\t.lazy_max_pages = %" PRIu64 ", .tlb_entries = %u,\n"
		"\t\t.tlb_flush_max_pages = %u, .policy = %u,\n"
		"\t\t.walk_cache_entries = %u, .huge_vmalloc = %s,\n"
		"\t\t.vb_flush_full = %s,\n"
		"\t};\n",
		c->page_shift, c->va_bits, c->pa_bits, c->vmalloc_start,
		c->vmalloc_end, c->phys_size, c->phys_base, c->nr_nodes,
		c->nr_cpus, c->lazy_max_pages, c->tlb_entries,
		c->tlb_flush_max_pages, c->policy, c->walk_cache_entries,
		c->huge_vmalloc ? "true" : "false",
		c->vb_flush_full ? "true" : "false");
}

static void vmf_header_text_to(const struct vmf_program *prog, char *buf,
			       size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	buf[0] = 0;
	if (!f)
		return;
	vmf_header_print(prog, f);
	fclose(f);
	buf[len - 1] = 0;
}

static void emit_program(struct gen *g, const char *src)
{
	FILE *f = g->f;
	char line[160];

	fputs("/* Generated by `vmfuzz prog2c` from ", f);
	put_comment_text(f, src);
	fputs(".\n * A standalone reproducer: the program's calls on the "
	      "vmfuzz library's public\n * API, with the interpreter's handle "
	      "bookkeeping written out; each command\n * prints the line "
	      "`vmfuzz replay -v` prints for it (reads print data=, a\n"
	      " * checksum of every byte, where the trace has sum=). "
	      "Build (docs/fuzzing.md):\n *   cc -Iinclude repro.c "
	      "build/release/libvmfuzz.a -o repro\n", f);
	if (g->ex.kind == EX_ADDR || g->ex.kind == EX_RET || g->ex.kind == EX_RET2)
		fprintf(f, " * When made, the oracle disagreed at #%zu (%s): that "
			   "command checks the\n * shadow's prediction and "
			   "prints MISMATCH, exit status 1, on a difference.\n",
			g->ex.idx, g->ex.check);
	else if (g->ex.kind == EX_NOTE)
		fprintf(f, " * When made, the oracle disagreed at #%zu (%s); see "
			   "the comment there.\n", g->ex.idx, g->ex.check);
	fputs(" *\n * The program:\n *   ", f);
	vmf_header_text_to(g->prog, line, sizeof(line));
	put_comment_text(f, line);
	fputs("\n */\n", f);
	for (size_t k = 0; k < sizeof(prog2c_prelude) / sizeof(prog2c_prelude[0]);
	     k++)
		fprintf(f, "%s\n", prog2c_prelude[k]);
	fputs("\nint main(void)\n{\n", f);
	emit_config(f, g->cfg);
	fputs("\tchar why[256] = \"\";\n\tstruct handle *h;\n\n"
	      "\tm = vmf_machine_create(&cfg, why, sizeof(why));\n"
	      "\tif (!m) {\n\t\tfprintf(stderr, \"repro: cannot make the machine: "
	      "%s\\n\", why);\n\t\treturn 2;\n\t}\n"
	      "\th = NULL;\n", f);
	for (size_t i = 0; i < g->prog->nr_cmds; i++)
		emit_cmd(g, i);
	if (g->any_end)
		fputs("out:\n", f);
	fputs("\t(void)h;\n"
	      "\tif (inited)\n\t\tcheck_machine(\"at the end\");\n"
	      "\tprintf(\"vm_check: ok\\n\");\n"
	      "\tvmf_machine_destroy(m);\n\treturn 0;\n}\n", f);
}

int vmft_cmd_prog2c(int argc, char **argv)
{
	struct vmft_gen_args ga;
	struct vmft_input in;
	struct vmf_failure *fail;
	struct gen g;
	int rc;

	rc = vmft_gen_parse(argc, argv, "prog2c", USAGE, false, &ga);
	if (rc)
		return rc;
	if (vmft_input_load(ga.file, &in))
		return 2;
	if (vmft_gen_one_policy("prog2c", ga.file, in.prog)) {
		vmft_input_free(&in);
		return 2;
	}
	fail = calloc(1, sizeof(*fail));
	if (!fail || vmft_gen_run(in.prog, fail)) {
		free(fail);
		vmft_input_free(&in);
		return 2;
	}
	memset(&g, 0, sizeof(g));
	g.prog = in.prog;
	g.cfg = &in.prog->cfg;
	g.first_check = g.last_check = (size_t)-1;
	for (size_t i = 0; i < in.prog->nr_cmds; i++) {
		if (in.prog->cmds[i].op != OP_CHECK)
			continue;
		if (g.first_check == (size_t)-1)
			g.first_check = i;
		g.last_check = i;
	}
	find_expectation(fail, &g.ex);
	if (fail->failed)
		fprintf(stderr, "prog2c: the program fails on this build at "
				"command #%zu (%s): the shadow's prediction is "
				"written in\n",
			fail->cmd_index, fail->signature);
	g.f = vmft_gen_open("prog2c", ga.out);
	if (!g.f) {
		rc = 2;
	} else {
		emit_program(&g, ga.file);
		rc = vmft_gen_close("prog2c", ga.out, g.f);
	}
	free(fail);
	vmft_input_free(&in);
	return rc;
}
