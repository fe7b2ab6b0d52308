/* vmfuzz map FILE -o map.svg|map.html [-n INDEX]: the vmalloc window as a
 * picture, one row per command (the state after it), or the state after
 * command INDEX alone.
 *
 * The state comes from the machine through the public API only, read by
 * a hook the interpreter calls before every command (harness/interp_hook.h):
 * the busy areas (vmalloc_for_each_area), the free_vmap_cache position and
 * hole size (vmalloc_observe) and the TLB flushes the command made (the
 * flush ring, tlb_flush_get). The horizontal scale is piecewise: every
 * area edge is a break point and each piece between two gets a width that
 * grows with the log of its size, so a one-page area stays visible beside
 * a 2^47-byte hole. The HTML form puts the text program beside the
 * picture; hovering over an area shows its vm_struct (an SVG <title>).
 * vm_map_ram's areas have no vm_struct: their title is the kernel's
 * vmallocinfo line for them (mm/vmalloc.c 4.19 s_show: "vm_map_ram", also
 * while lazily freed, as 4.19 sets VM_LAZY_FREE in remove_vm_area only;
 * lib/mm/vmalloc_info.c prints the same); a vmap block also shows which of
 * its pages are mapped now (carved and not yet vm_unmap_ram'ed), found by
 * vmalloc_to_page, as darker runs inside it. An ioremap area, and a huge
 * vmalloc one (page_order), is titled with its vmallocinfo line as the
 * library prints it, and shows where it is mapped by PMD or PUD blocks
 * (found by mmu_translate: the leaf's level) as darker runs. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "interp_hook.h"
#include "report.h"
#include "vmfuzz_gen.h"

#define USAGE "map FILE -o MAP.svg|MAP.html [-n INDEX]"

#define LABEL_W 330.0  /* left column: the command */
#define PLOT_W 900.0
#define ROW_H 18.0
#define TOP 46.0
#define MAX_FLUSH 8    /* flushes drawn per command */
#define MAX_RUNS 16    /* mapped runs drawn per vmap block */
#define MAX_BLOCKS 16  /* block runs drawn per ioremap/huge area */

/* Adjacent blocks of one level: [start, end), n of them. */
struct blk_run {
	vaddr_t start, end;
	int level;
	uint64_t n;
};

struct area {
	vaddr_t start, end;
	unsigned long va_flags;     /* VM_LAZY_FREE, VM_DEFERRED, ... */
	bool has_vm;
	unsigned long vm_flags;
	uint64_t vm_size;
	unsigned nr_pages, nr_mapped;
	const char *caller;
	vaddr_t array_of;
	/* a vmap block: its mapped pages, as runs [start, end) (the last
	 * run takes in any beyond MAX_RUNS) */
	vaddr_t run[MAX_RUNS][2];
	unsigned nr_runs;
	uint64_t mapped_pages;
	/* an ioremap or huge vmalloc area: its vmallocinfo line (malloc'ed)
	 * and its block mappings (the last run takes in any beyond) */
	unsigned page_order;
	char *info;
	struct blk_run blk[MAX_BLOCKS];
	unsigned nr_blk;
	uint64_t blocks[4]; /* per level */
};

struct flush {
	enum tlb_flush_kind kind;
	vaddr_t start, end;
};

/* The machine after one command. */
struct snap {
	struct area *areas;
	size_t nr, cap;
	struct vmalloc_obs obs;
	struct flush fl[MAX_FLUSH];
	size_t nr_fl, fl_more;
	bool taken;
};

struct map_ctx {
	struct snap *snaps;   /* one per command */
	size_t n;
	size_t started;       /* commands the run started */
	uint64_t flush_seq;   /* flush events seen so far */
	bool oom;
};

struct take {
	struct snap *s;
	struct vmf_machine *m;
};

/* The mapped pages of a vmap block, as runs. */
static void take_block_runs(struct vmf_machine *m, struct area *a)
{
	uint64_t ps = m->page_size;
	bool in = false;

	for (vaddr_t p = a->start; p < a->end; p += ps) {
		bool mapped = vmalloc_to_page(m, p) != NULL;

		a->mapped_pages += mapped;
		if (mapped && !in) {
			if (a->nr_runs == MAX_RUNS)
				a->nr_runs--; /* extend the last run */
			else
				a->run[a->nr_runs][0] = p;
			a->nr_runs++;
		}
		if (mapped)
			a->run[a->nr_runs - 1][1] = p + ps;
		in = mapped;
	}
}

/* Where [a->start, end of its mapping) is mapped by blocks: the leaf level
 * of the walk at each step; a table leaf or a hole at level l skips the
 * rest of the region one level-l entry covers. */
static void take_blocks(struct vmf_machine *m, struct area *a)
{
	vaddr_t end = a->start + a->vm_size, va = a->start;

	if (!(a->vm_flags & VM_NO_GUARD) && a->vm_size >= m->page_size)
		end -= m->page_size;
	while (va < end && va >= a->start) {
		struct mmu_result r = mmu_translate(m, va, ACC_READ, 1);
		bool leaf = r.fault == MMU_OK || r.fault == MMU_FAULT_EXTERNAL;
		int lvl = r.level < 0 ? 0 : r.level > 3 ? 3 : r.level;
		uint64_t span;
		vaddr_t base;

		/* a page leaf: the level-2 entry above is a table of pages */
		if (leaf && lvl == 3)
			lvl = 2;
		span = 1ull << mmu_level_shift(m, lvl);
		base = va & ~(span - 1);
		if (leaf && r.level < 3) {
			struct blk_run *b = a->nr_blk ? &a->blk[a->nr_blk - 1] : NULL;

			a->blocks[r.level]++;
			if (!b || b->level != r.level || b->end != base) {
				if (a->nr_blk < MAX_BLOCKS) {
					b = &a->blk[a->nr_blk++];
					b->start = base;
					b->n = 0;
				}
				b->level = r.level; /* else the last run grows */
			}
			b->end = base + span;
			b->n++;
		}
		if (!leaf && r.level >= 3) { /* a hole of one page */
			span = m->page_size;
			base = va & ~(span - 1);
		}
		va = base + span;
	}
}

/* The vmallocinfo line of the area at start, from the text of them all. */
static char *info_line(const char *all, vaddr_t start)
{
	char key[24];
	const char *p = all, *e;
	char *out;

	snprintf(key, sizeof(key), "0x%016" PRIx64 "-", start);
	while (p && *p && strncmp(p, key, strlen(key)))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p || !*p)
		return NULL;
	e = strchr(p, '\n');
	e = e ? e : p + strlen(p);
	out = malloc((size_t)(e - p) + 1);
	if (out) {
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = 0;
	}
	return out;
}

static bool huge_kind(const struct area *a)
{
	return a->has_vm && !(a->va_flags & VM_LAZY_FREE) &&
	       ((a->vm_flags & VM_IOREMAP) || a->page_order);
}

static int take_area(void *arg, const struct vmap_area *va)
{
	struct take *t = arg;
	struct snap *s = t->s;
	struct area *a;

	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct area *na = realloc(s->areas, cap * sizeof(*na));

		if (!na)
			return 1;
		s->areas = na;
		s->cap = cap;
	}
	a = &s->areas[s->nr++];
	memset(a, 0, sizeof(*a));
	a->start = va->va_start;
	a->end = va->va_end;
	a->va_flags = va->flags;
	if (va->vm) {
		a->has_vm = true;
		a->vm_flags = va->vm->flags;
		a->vm_size = va->vm->size;
		a->nr_pages = va->vm->nr_pages;
		a->nr_mapped = va->vm->nr_mapped;
		a->caller = va->vm->caller;
		a->array_of = va->vm->array_of;
		a->page_order = va->vm->page_order;
	}
	if (huge_kind(a))
		take_blocks(t->m, a);
	if ((va->flags & VMAP_BLOCK) && !(va->flags & VM_LAZY_FREE))
		take_block_runs(t->m, a);
	return 0;
}

static void snapshot(struct map_ctx *c, struct vmf_machine *m, size_t idx)
{
	struct snap *s = &c->snaps[idx];
	const struct tlb_stats *ts = tlb_stats(m);
	struct take t = {s, m};

	char *all = NULL;
	size_t all_len = 0;
	FILE *mem;

	for (size_t k = 0; k < s->nr; k++)
		free(s->areas[k].info);
	s->nr = 0;
	s->taken = true;
	if (vmalloc_for_each_area(m, take_area, &t))
		c->oom = true;
	for (size_t k = 0; k < s->nr; k++) {
		if (!huge_kind(&s->areas[k]))
			continue;
		if (!all && (mem = open_memstream(&all, &all_len))) {
			vmallocinfo(m, mem);
			fclose(mem);
		}
		s->areas[k].info = all ? info_line(all, s->areas[k].start) : NULL;
	}
	free(all);
	vmalloc_observe(m, &s->obs);
	s->nr_fl = s->fl_more = 0;
	for (uint64_t q = c->flush_seq + 1; q <= ts->flush_seq; q++) {
		const struct tlb_flush_event *ev = tlb_flush_get(m, q);

		if (!ev || s->nr_fl == MAX_FLUSH) {
			s->fl_more++;
			continue;
		}
		s->fl[s->nr_fl].kind = ev->kind;
		s->fl[s->nr_fl].start = ev->start;
		s->fl[s->nr_fl].end = ev->end;
		s->nr_fl++;
	}
	c->flush_seq = ts->flush_seq;
}

/* Called before command idx: the machine is as command idx - 1 left it. */
static void hook(void *arg, struct vmf_machine *m, size_t idx)
{
	struct map_ctx *c = arg;

	c->started = idx + 1;
	if (idx == 0) {
		c->flush_seq = tlb_stats(m)->flush_seq;
		return;
	}
	snapshot(c, m, idx - 1);
}

/* ---- the scale ---------------------------------------------------------- */

struct scale {
	vaddr_t *pt;   /* break points, sorted, unique */
	double *x;     /* their x */
	size_t n;
};

/* log2(1 + x), piecewise linear between powers of two (no libm). */
static double log2_1p(double x)
{
	double v = 1.0 + x, b = 0;

	while (v >= 2.0) {
		v /= 2.0;
		b += 1.0;
	}
	return b + (v - 1.0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Break points: every area edge and flush edge in the rows drawn, the
 * region padded by a little on each side. */
static int build_scale(const struct map_ctx *c, size_t first, size_t last,
		       const struct vmf_config *cfg, struct scale *sc)
{
	size_t cap = 4, n = 0;
	vaddr_t ws = cfg->vmalloc_start, we = cfg->vmalloc_end;
	uint64_t ps = 1ull << cfg->page_shift;
	vaddr_t lo = we, hi = ws;
	double total = 0;

	for (size_t i = first; i <= last; i++)
		cap += 2 * c->snaps[i].nr + 2 * c->snaps[i].nr_fl + 1;
	sc->pt = malloc(cap * sizeof(*sc->pt));
	sc->x = malloc(cap * sizeof(*sc->x));
	if (!sc->pt || !sc->x)
		return -1;
	for (size_t i = first; i <= last; i++) {
		const struct snap *s = &c->snaps[i];

		for (size_t k = 0; k < s->nr; k++) {
			sc->pt[n++] = s->areas[k].start;
			sc->pt[n++] = s->areas[k].end;
			if (s->areas[k].start < lo)
				lo = s->areas[k].start;
			if (s->areas[k].end > hi)
				hi = s->areas[k].end;
		}
		for (size_t k = 0; k < s->nr_fl; k++) {
			if (s->fl[k].kind != TLB_FLUSH_RANGE)
				continue;
			sc->pt[n++] = s->fl[k].start;
			sc->pt[n++] = s->fl[k].end;
		}
	}
	if (lo >= hi) { /* nothing busy: the window's first pages */
		lo = ws;
		hi = ws + 16 * ps < we && ws + 16 * ps > ws ? ws + 16 * ps : we;
	}
	/* Zoom: the used region and a margin of a quarter of it (at least
	 * four pages), inside the window. */
	{
		uint64_t pad = (hi - lo) / 4 > 4 * ps ? (hi - lo) / 4 : 4 * ps;

		lo = lo - ws > pad ? lo - pad : ws;
		hi = we - hi > pad ? hi + pad : we;
	}
	sc->pt[n++] = lo;
	sc->pt[n++] = hi;
	qsort(sc->pt, n, sizeof(*sc->pt), cmp_u64);
	{
		size_t u = 0;

		for (size_t k = 0; k < n; k++)
			if (sc->pt[k] >= lo && sc->pt[k] <= hi &&
			    (!u || sc->pt[u - 1] != sc->pt[k]))
				sc->pt[u++] = sc->pt[k];
		n = u;
	}
	sc->n = n;
	/* Piece widths: 1 + log2(pages), so sizes stay ordered. */
	sc->x[0] = 0;
	for (size_t k = 1; k < n; k++) {
		double pages = (double)(sc->pt[k] - sc->pt[k - 1]) / (double)ps;

		total += 1.0 + log2_1p(pages);
		sc->x[k] = total;
	}
	for (size_t k = 0; k < n; k++)
		sc->x[k] = LABEL_W + (total > 0 ? sc->x[k] / total * PLOT_W : 0);
	return 0;
}

static double x_of(const struct scale *sc, vaddr_t a)
{
	size_t lo = 0, hi = sc->n - 1;

	if (a <= sc->pt[0])
		return sc->x[0];
	if (a >= sc->pt[hi])
		return sc->x[hi];
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (sc->pt[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return sc->x[lo] + (sc->x[hi] - sc->x[lo]) *
				   ((double)(a - sc->pt[lo]) /
				    (double)(sc->pt[hi] - sc->pt[lo]));
}

/* ---- drawing ------------------------------------------------------------ */

static void put_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
	}
}

/* An area's kind: its fill colour and its name in the legend. */
static const char *area_kind(const struct area *a, const char **color)
{
	if (a->va_flags & VM_LAZY_FREE) {
		*color = "#e08080";
		return "lazy (awaiting purge)";
	}
	if (a->va_flags & VM_DEFERRED) {
		*color = "#b080d0";
		return "deferred free";
	}
	if (!a->has_vm && (a->va_flags & VMAP_BLOCK)) {
		*color = "#40a0a0";
		return "vm_map_ram block";
	}
	if (!a->has_vm && (a->va_flags & VMAP_RAM)) {
		*color = "#a0c060";
		return "vm_map_ram area";
	}
	if (!a->has_vm) {
		*color = "#c0c0c0";
		return "vmap_area only";
	}
	if (a->array_of) {
		*color = "#80c0e0";
		return "page array of another area";
	}
	if (a->vm_flags & VM_ALLOC) {
		*color = "#4a7fd0";
		return "vmalloc";
	}
	if (a->vm_flags & VM_MAP) {
		*color = "#50b060";
		return "vmap";
	}
	if (a->vm_flags & VM_IOREMAP) {
		*color = "#e0a030";
		return "ioremap";
	}
	*color = "#909090";
	return "other (get_vm_area, early)";
}

static void legend(FILE *f)
{
	static const struct area samples[] = {
		{.has_vm = true, .vm_flags = VM_ALLOC},
		{.has_vm = true, .vm_flags = VM_MAP},
		{.has_vm = true, .vm_flags = VM_IOREMAP},
		{.has_vm = true},
		{.has_vm = true, .array_of = 1},
		{.va_flags = VMAP_BLOCK},
		{.va_flags = VMAP_RAM},
		{.va_flags = VM_LAZY_FREE},
		{.va_flags = VM_DEFERRED},
		{0},
	};
	double x = 10;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const char *color, *name = area_kind(&samples[i], &color);

		fprintf(f, "<rect x=\"%.1f\" y=\"26\" width=\"12\" height=\"10\" "
			   "fill=\"%s\"/><text x=\"%.1f\" y=\"35\">%s</text>\n",
			x, color, x + 15, name);
		x += 24 + 6.8 * (double)strlen(name);
	}
	fprintf(f, "<rect x=\"%.1f\" y=\"26\" width=\"12\" height=\"10\" "
		   "fill=\"#303030\"/><text x=\"%.1f\" y=\"35\">guard page</text>\n"
		   "<rect x=\"%.1f\" y=\"26\" width=\"6\" height=\"10\" "
		   "fill=\"#a05a00\"/><rect x=\"%.1f\" y=\"26\" width=\"6\" "
		   "height=\"10\" fill=\"#603000\"/><text x=\"%.1f\" y=\"35\">"
		   "PMD/PUD block</text>\n"
		   "<path d=\"M%.1f 26 l5 10 l-10 0 z\" fill=\"#000\"/><text x=\"%.1f\" "
		   "y=\"35\">free_vmap_cache</text>\n"
		   "<line x1=\"%.1f\" y1=\"31\" x2=\"%.1f\" y2=\"31\" stroke=\"#d00000\" "
		   "stroke-width=\"3\"/><text x=\"%.1f\" y=\"35\">TLB flush</text>\n",
		x, x + 15, x + 95, x + 101, x + 110, x + 215, x + 223, x + 325,
		x + 345, x + 350);
}

static void draw_area(FILE *f, const struct scale *sc, const struct area *a,
		      uint64_t ps, const struct vmf_config *cfg, double y)
{
	const char *color, *kind = area_kind(a, &color);
	double x0 = x_of(sc, a->start), x1 = x_of(sc, a->end);
	bool guard = a->has_vm && !(a->vm_flags & VM_NO_GUARD) &&
		     a->end - a->start >= ps;

	if (x1 - x0 < 1.5)
		x1 = x0 + 1.5;
	fprintf(f, "<g><title>[win+0x%" PRIx64 ", win+0x%" PRIx64 ") %s\n",
		a->start - cfg->vmalloc_start, a->end - cfg->vmalloc_start, kind);
	if (a->has_vm) {
		fprintf(f, "vm_struct: addr=win+0x%" PRIx64 " size=0x%" PRIx64
			   " flags=0x%lx nr_pages=%u nr_mapped=%u caller=",
			a->start - cfg->vmalloc_start, a->vm_size, a->vm_flags,
			a->nr_pages, a->nr_mapped);
		put_xml(f, a->caller ? a->caller : "?");
		if (a->array_of)
			fprintf(f, " array_of=win+0x%" PRIx64,
				a->array_of - cfg->vmalloc_start);
	} else if (a->va_flags & (VMAP_BLOCK | VMAP_RAM)) {
		/* vmallocinfo's line for an area without VM_VM_AREA: 4.19
		 * marks only remove_vm_area's areas VM_LAZY_FREE, so a
		 * vm_map_ram area says "vm_map_ram" until purged (as
		 * lib/mm/vmalloc_info.c prints it) */
		fprintf(f, "vmallocinfo: 0x%016" PRIx64 "-0x%016" PRIx64
			   " %7" PRIu64 " vm_map_ram", a->start, a->end,
			a->end - a->start);
		if ((a->va_flags & VMAP_BLOCK) && !(a->va_flags & VM_LAZY_FREE))
			fprintf(f, "\nvmap block: %" PRIu64 " of %" PRIu64
				   " pages mapped", a->mapped_pages,
				(a->end - a->start) / ps);
	} else {
		fputs("no vm_struct", f);
	}
	if (a->info) {
		fputs("\nvmallocinfo: ", f);
		put_xml(f, a->info);
	}
	if (huge_kind(a))
		fprintf(f, "\nblocks: %" PRIu64 " PUD, %" PRIu64 " PMD (the rest "
			   "pages or unmapped)", a->blocks[1], a->blocks[2]);
	fprintf(f, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
		   "height=\"%.1f\" fill=\"%s\" stroke=\"#ffffff\" "
		   "stroke-width=\"0.5\"/>",
		x0, y + 2, x1 - x0, ROW_H - 6, color);
	for (unsigned k = 0; k < a->nr_runs; k++) {
		double r0 = x_of(sc, a->run[k][0]), r1 = x_of(sc, a->run[k][1]);

		if (r1 - r0 < 1)
			r1 = r0 + 1;
		fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			   "height=\"%.1f\" fill=\"#106060\"/>",
			r0, y + 5, r1 - r0, ROW_H - 12);
	}
	for (unsigned k = 0; k < a->nr_blk; k++) {
		const struct blk_run *b = &a->blk[k];
		double b0 = x_of(sc, b->start), b1 = x_of(sc, b->end);

		if (b1 - b0 < 1)
			b1 = b0 + 1;
		fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			   "height=\"%.1f\" fill=\"%s\"><title>%" PRIu64 " %s "
			   "block%s [win+0x%" PRIx64 ", win+0x%" PRIx64 ")</title></rect>",
			b0, y + 5, b1 - b0, ROW_H - 12,
			b->level == 1 ? "#603000" : "#a05a00", b->n,
			b->level == 1 ? "PUD" : "PMD", b->n == 1 ? "" : "s",
			b->start - cfg->vmalloc_start, b->end - cfg->vmalloc_start);
	}
	if (guard) {
		double g0 = x_of(sc, a->end - ps);

		if (x1 - g0 < 1.5)
			g0 = x1 - 1.5 > x0 ? x1 - 1.5 : x0;
		fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			   "height=\"%.1f\" fill=\"#303030\"/>",
			g0, y + 2, x1 - g0, ROW_H - 6);
	}
	fputs("</g>\n", f);
}

static void draw_row(FILE *f, const struct scale *sc, const struct snap *s,
		     const char *label, const struct vmf_config *cfg, double y,
		     bool failed)
{
	uint64_t ps = 1ull << cfg->page_shift;

	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		   "fill=\"%s\"/>\n",
		LABEL_W, y + 1, PLOT_W, ROW_H - 2, failed ? "#ffe0e0" : "#f4f4f4");
	fprintf(f, "<text x=\"4\" y=\"%.1f\"%s>", y + ROW_H - 5,
		failed ? " fill=\"#c00000\" font-weight=\"bold\"" : "");
	put_xml(f, label);
	fputs("</text>\n", f);
	for (size_t k = 0; k < s->nr; k++)
		draw_area(f, sc, &s->areas[k], ps, cfg, y);
	if (s->obs.cache_set) {
		/* The cached area: the next search starts after it. */
		vaddr_t at = s->obs.cache_va_start;

		for (size_t k = 0; k < s->nr; k++)
			if (s->areas[k].start == s->obs.cache_va_start)
				at = s->areas[k].end;
		fprintf(f, "<g><title>free_vmap_cache: the area at win+0x%" PRIx64
			   ", cached_hole_size=0x%" PRIx64 " cached_vstart=win+0x%"
			   PRIx64 "</title><path d=\"M%.2f %.1f l4 6 l-8 0 z\" "
			   "fill=\"#000\"/></g>\n",
			s->obs.cache_va_start - cfg->vmalloc_start,
			s->obs.cached_hole_size,
			s->obs.cached_vstart - cfg->vmalloc_start, x_of(sc, at),
			y + ROW_H - 7);
	}
	for (size_t k = 0; k < s->nr_fl; k++) {
		const struct flush *fl = &s->fl[k];
		double x0 = fl->kind == TLB_FLUSH_ALL ? LABEL_W : x_of(sc, fl->start);
		double x1 = fl->kind == TLB_FLUSH_ALL ? LABEL_W + PLOT_W
						      : x_of(sc, fl->end);

		if (x1 - x0 < 1.5)
			x1 = x0 + 1.5;
		fprintf(f, "<g><title>TLB flush %s [win+0x%" PRIx64 ", win+0x%"
			   PRIx64 ")</title><line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" "
			   "y2=\"%.1f\" stroke=\"#d00000\" stroke-width=\"2\"%s/></g>\n",
			fl->kind == TLB_FLUSH_ALL ? "all" : "range",
			fl->start - cfg->vmalloc_start, fl->end - cfg->vmalloc_start,
			x0, y + ROW_H - 2.5, x1, y + ROW_H - 2.5,
			fl->kind == TLB_FLUSH_ALL ? " stroke-dasharray=\"6,3\"" : "");
	}
}

static void axis(FILE *f, const struct scale *sc, const struct vmf_config *cfg,
		 double y)
{
	double last = -1e9;

	for (size_t k = 0; k < sc->n; k++) {
		if (sc->x[k] - last < 60 && k + 1 != sc->n)
			continue;
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
			   "stroke=\"#888\"/><text x=\"%.2f\" y=\"%.1f\" "
			   "font-size=\"9\" transform=\"rotate(30 %.2f %.1f)\">+0x%"
			   PRIx64 "</text>\n",
			sc->x[k], TOP - 4, sc->x[k], y, sc->x[k], y + 10, sc->x[k],
			y + 10, sc->pt[k] - cfg->vmalloc_start);
		last = sc->x[k];
	}
}

/* The picture: rows [first, last] of the snapshots. */
static int draw(FILE *f, const struct map_ctx *c, const struct vmf_program *prog,
		size_t first, size_t last, const struct vmf_failure *fail)
{
	struct scale sc = {0};
	size_t rows = last - first + 1;
	double h = TOP + (double)rows * ROW_H + 70;
	char text[160], label[200], detail[512];

	if (build_scale(c, first, last, &prog->cfg, &sc)) {
		free(sc.pt);
		free(sc.x);
		return -1;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		   "height=\"%.0f\" font-family=\"monospace\" font-size=\"11\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
		   "<text x=\"4\" y=\"16\" font-size=\"13\">vmalloc window "
		   "[0x%" PRIx64 ", 0x%" PRIx64 "): addresses as win+offset; "
		   "piecewise log scale (every area edge is a break)</text>\n",
		LABEL_W + PLOT_W + 110, h, prog->cfg.vmalloc_start,
		prog->cfg.vmalloc_end);
	legend(f);
	for (size_t i = first; i <= last; i++) {
		bool failed = fail->failed && fail->cmd_index == i;

		vmf_cmd_text(&prog->cmds[i], text, sizeof(text));
		snprintf(label, sizeof(label), "#%zu %.44s%s", i, text,
			 strlen(text) > 44 ? "..." : "");
		draw_row(f, &sc, &c->snaps[i], label, &prog->cfg,
			 TOP + (double)(i - first) * ROW_H, failed);
	}
	axis(f, &sc, &prog->cfg, TOP + (double)rows * ROW_H);
	if (fail->failed) {
		vmft_report_detail(fail, detail, sizeof(detail));
		fprintf(f, "<text x=\"4\" y=\"%.1f\" fill=\"#c00000\">oracle: "
			   "command #%zu: ", h - 12, fail->cmd_index);
		put_xml(f, fail->signature);
		fputs(": ", f);
		put_xml(f, detail);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	free(sc.pt);
	free(sc.x);
	return 0;
}

static void html_page(FILE *f, const struct vmf_program *prog,
		      const struct vmf_failure *fail)
{
	FILE *t = tmpfile();
	char line[512];

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	      "<title>vmfuzz map</title>\n<style>body{display:flex;gap:16px;"
	      "font-family:monospace}pre{font-size:11px;min-width:30em}"
	      "</style></head><body>\n<pre>", f);
	if (t) {
		vmf_program_print(prog, t);
		rewind(t);
		while (fgets(line, sizeof(line), t))
			put_xml(f, line);
		fclose(t);
	}
	if (fail->failed) {
		fputs("\n", f);
		put_xml(f, fail->report);
	}
	fputs("</pre>\n<div>\n", f);
}

int vmft_cmd_map(int argc, char **argv)
{
	struct vmft_gen_args ga;
	struct vmft_input in;
	struct vmf_failure *fail = NULL;
	struct vmf_runner *r = NULL;
	struct map_ctx c = {0};
	size_t first = 0, last;
	bool html;
	FILE *f;
	int rc = 2;

	if ((rc = vmft_gen_parse(argc, argv, "map", USAGE, true, &ga)))
		return rc;
	rc = 2;
	html = vmft_has_suffix(ga.out, ".html");
	if (vmft_input_load(ga.file, &in))
		return 2;
	if (vmft_gen_one_policy("map", ga.file, in.prog)) {
		vmft_input_free(&in);
		return 2;
	}
	if (!in.prog->nr_cmds) {
		fprintf(stderr, "vmfuzz map: %s has no commands: nothing to draw\n",
			ga.file);
		goto out;
	}
	if (ga.index >= 0 && (size_t)ga.index >= in.prog->nr_cmds) {
		fprintf(stderr, "vmfuzz map: -n %ld: %s has %zu commands "
				"(0..%zu)\n",
			ga.index, ga.file, in.prog->nr_cmds, in.prog->nr_cmds - 1);
		goto out;
	}
	fail = calloc(1, sizeof(*fail));
	c.n = in.prog->nr_cmds;
	c.snaps = calloc(c.n, sizeof(*c.snaps));
	r = vmf_runner_new();
	if (!fail || !c.snaps || !r) {
		fprintf(stderr, "vmfuzz map: out of memory\n");
		goto out;
	}
	vmf_run_program_hooked(r, in.prog, NULL, fail, hook, &c);
	/* The last command that ran: its state is the machine's now.
	 * Commands after it never ran (a failure or the page budget). */
	if (!c.started) {
		fprintf(stderr, "vmfuzz map: the run stopped before the first "
				"command: %s\n", fail->signature);
		goto out;
	}
	last = c.started - 1;
	snapshot(&c, vmf_runner_machine(r), last);
	if (c.oom) {
		fprintf(stderr, "vmfuzz map: out of memory\n");
		goto out;
	}
	if (ga.index >= 0) {
		if ((size_t)ga.index > last) {
			fprintf(stderr, "vmfuzz map: -n %ld: the run stopped at "
					"command #%zu\n",
				ga.index, last);
			goto out;
		}
		first = last = (size_t)ga.index;
	}
	if (fail->failed)
		fprintf(stderr, "map: the oracle disagreed at command #%zu: %s\n",
			fail->cmd_index, fail->signature);
	f = vmft_gen_open("map", ga.out);
	if (!f)
		goto out;
	if (html)
		html_page(f, in.prog, fail);
	rc = draw(f, &c, in.prog, first, last, fail) ? 2 : 0;
	if (html)
		fputs("</div></body></html>\n", f);
	if (vmft_gen_close("map", ga.out, f))
		rc = 2;
out:
	for (size_t i = 0; c.snaps && i < c.n; i++) {
		for (size_t k = 0; k < c.snaps[i].nr; k++)
			free(c.snaps[i].areas[k].info);
		free(c.snaps[i].areas);
	}
	free(c.snaps);
	free(fail);
	vmf_runner_free(r);
	vmft_input_free(&in);
	return rc;
}
