/* vmfuzz prog2c: the huge-mapping commands of issue 15, written out as
 * the interpreter runs them (harness/interp_cmd_huge.c); vmalloc_huge is
 * an ordinary allocation there (alloc_call in vmfuzz_prog2c.c).
 *
 * An ioremap handle is the area's page-aligned start and the bytes mapped,
 * PAGE_ALIGN(size + phys's page offset), with a guard page: the data
 * commands count their offsets from there, as the interpreter's do. The
 * size is computed here, in the program's 64-bit arithmetic, so a size
 * that wraps gives the same (refused, handle-less) result. */
#include <inttypes.h>

#include <vmfuzz/vmalloc.h>

#include "vmfuzz_prog2c.h"

/* interp_do_ioremap: __ioremap(m, phys, size, prot). */
void prog2c_emit_ioremap(struct gen *g, size_t i, const struct vmf_args *a)
{
	uint64_t ps = 1ull << g->cfg->page_shift;
	uint64_t off = a->phys & (ps - 1);
	uint64_t mapped = (a->size + off + ps - 1) & ~(ps - 1);

	fprintf(g->f,
		"\tif (table_full()) {\n"
		"\t\tres(\" table full\");\n"
		"\t} else {\n"
		"\t\tvaddr_t addr = __ioremap(m, 0x%" PRIx64 "ull, 0x%" PRIx64
		"ull, 0x%" PRIx64 "ull);\n\n"
		"\t\tres_addr(\"addr\", addr);\n",
		(uint64_t)a->phys, a->size, (uint64_t)a->prot);
	prog2c_expect_addr(g, i, "addr");
	fprintf(g->f,
		"\t\t/* the area's start; the bytes mapped, page offset 0x%"
		PRIx64 " in */\n"
		"\t\tif (addr)\n"
		"\t\t\tadd_live(HK_IOREMAP, addr & ~(m->page_size - 1), 0x%"
		PRIx64 "ull, true);\n"
		"\t}\n",
		off, mapped);
}

/* interp_do_iounmap: any live handle (iounmap of a vmalloc'ed area is
 * vunmap's wrong-kind refusal); the handle goes when iounmap returned 0
 * on a vmalloc address. */
void prog2c_emit_iounmap(struct gen *g, size_t i, const struct vmf_args *a)
{
	fprintf(g->f,
		"\th = pick_live(%uu);\n"
		"\tif (!h) {\n\t\tres(\" no handle\");\n\t} else {\n"
		"\t\tvaddr_t addr = h->addr;\n"
		"\t\tint ret = iounmap(m, addr);\n\n"
		"\t\tres(\" ret=%%d\", ret);\n",
		a->handle);
	prog2c_expect_ret(g, i, "ret", NULL);
	fputs("\t\tif (ret == 0 && is_vmalloc_addr(m, addr))\n"
	      "\t\t\tiounmap_gone(h);\n\t}\n", g->f);
}
