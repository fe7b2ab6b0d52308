/* The shadow's prediction of each area's vm_struct and vmap_area flags, and
 * of /proc/vmallocinfo, from the kernel's rules (Linux 4.19 mm/vmalloc.c)
 * and the model's documented conventions (docs/vmalloc.md), never from the
 * library's code.
 *
 * Invariants of the prediction, for a busy area a of the model:
 * - the vmap_area's flags: VM_VM_AREA while a vm_struct is attached
 *   (setup_vmalloc_vm; vmalloc_init for early areas), plus the model's
 *   VM_DEFERRED while on a deferred list; VM_LAZY_FREE alone once
 *   remove_vm_area has taken the vm_struct away (4.19 remove_vm_area);
 * - the vm_struct: addr = a->start, size = the area with its guard page
 *   (setup_vmalloc_vm), flags = what the entry point passed
 *   (__vmalloc_node_range: VM_ALLOC | VM_UNINITIALIZED | vm_flags, the
 *   latter cleared by clear_vm_uninitialized_flag once the area is set
 *   up; vmalloc_user: VM_USERMAP afterwards; vmap: VM_MAP (the model's
 *   vmap adds it); VM_VPAGES on an area whose page array is a nested
 *   vmalloc), nr_pages = the data pages a vmalloc holds (0 for vmap,
 *   get_vm_area and early areas: 4.19 vmap never sets it), nr_mapped (the
 *   model's extension) = the pages mapped from addr (an ioremap area's
 *   whole size), phys_addr = 0 except ioremap's (__ioremap_caller sets
 *   the page-aligned phys), caller = the entry point's name (the nested
 *   array area inherits its owner's, as 4.19 __vmalloc_area_node passes
 *   area->caller);
 * - /proc/vmallocinfo: s_show per busy area in address order,
 *   show_numa_info from the model's own per-node page counts. */
#include <stdio.h>
#include <string.h>

#include "shadow_vminfo.h"

/* The vm_struct and vmap_area the model predicts for one area. */
struct vm_exp {
	unsigned long va_flags;
	bool has_vm;
	unsigned long flags;
	uint64_t size, nr_pages, nr_mapped;
	phys_addr_t phys_addr;
	vaddr_t pages_va;
	const char *caller;
};

static bool holds_pages(const struct sh_area *a)
{
	return a->kind == SHK_VMALLOC || a->kind == SHK_ARRAY ||
	       a->kind == SHK_VHUGE_NEW;
}

static void predict(const struct sh_area *a, struct vm_exp *e)
{
	memset(e, 0, sizeof(*e));
	switch (a->state) {
	case SH_LAZY:
		/* 4.19 sets VM_LAZY_FREE only in remove_vm_area: an area
		 * that never had a vm_struct (a vmap block, a plain
		 * vm_map_ram area) is freed by free_vmap_area_noflush with
		 * no flag at all, and s_show prints it "vm_map_ram". */
		if (a->kind != SHK_VBLOCK && a->kind != SHK_VMRAM)
			e->va_flags = SH_VA_LAZY_FREE;
		return;
	case SH_DEFERRED:
		e->va_flags = SH_VA_VM_AREA | SH_VA_DEFERRED;
		break;
	default:
		e->va_flags = a->has_vm ? SH_VA_VM_AREA : 0;
		break;
	}
	e->has_vm = a->has_vm;
	if (!e->has_vm)
		return;
	e->flags = a->flags;
	e->size = a->end - a->start;
	e->nr_pages = holds_pages(a) ? a->nr_pages : 0;
	e->nr_mapped = holds_pages(a) || a->kind == SHK_VMAP || a->iomap ?
			       a->nr_pages : 0;
	e->phys_addr = a->iomap ? a->phys : 0;
	e->pages_va = a->array_va;
	e->caller = a->caller;
}

/* ---- names ---------------------------------------------------------------- */

/* The caller each entry point passes (docs/vmalloc.md: a static string
 * naming the entry point; the two that take a caller pass the harness's). */
static const char *entry_caller(const struct sh_alloc_req *r)
{
	switch (r->entry) {
	case SH_E_VMALLOC: return "vmalloc";
	case SH_E_VZALLOC: return "vzalloc";
	case SH_E_VMALLOC_NODE: return "vmalloc_node";
	case SH_E_VZALLOC_NODE: return "vzalloc_node";
	case SH_E_VMALLOC_32: return "vmalloc_32";
	case SH_E_VMALLOC_USER: return "vmalloc_user";
	case SH_E_VMALLOC_EXEC: return "vmalloc_exec";
	case SH_E___VMALLOC: return "__vmalloc";
	case SH_E_GET_VM_AREA: return "get_vm_area";
	case SH_E_VMAP: return "vmap";
	case SH_E_VMALLOC_HUGE: return "vmalloc_huge";
	case SH_E_NODE_RANGE:
	case SH_E_GET_VM_AREA_NODE:
		return r->caller;
	}
	return NULL;
}

void sh_vm_created(struct shadow *sh, const struct sh_alloc_req *req,
		   vaddr_t addr)
{
	const char *caller = entry_caller(req);
	struct sh_area *a = addr ? sh_busy_find(&sh->busy, addr) : NULL;

	/* The owner and, down the chain, its nested page arrays. */
	while (a) {
		a->caller = caller;
		a = a->array_va ? sh_busy_find(&sh->busy, a->array_va) : NULL;
	}
}

void sh_vm_early_created(struct shadow *sh, vaddr_t addr, const char *caller)
{
	struct sh_area *a = sh_busy_find(&sh->early, addr);

	if (a)
		a->caller = caller;
}

/* ---- comparison ----------------------------------------------------------- */

static int differ(struct sh_fail *f, const char *field, const struct sh_area *a,
		  const char *when, unsigned long long want,
		  unsigned long long got)
{
	char check[48];

	snprintf(check, sizeof(check), "vm_struct/%s", field);
	return sh_fail(f, check,
		       "area 0x%llx (%s): %s expected 0x%llx, library 0x%llx",
		       (unsigned long long)a->start, when, field, want, got);
}

int sh_vm_compare(const struct shadow *sh, const struct sh_area *a,
		  const struct sh_area_obs *ob, const char *when,
		  struct sh_fail *f)
{
	struct vm_exp e;
	char want_caller[SH_CALLER_LEN];

	(void)sh;
	predict(a, &e);
	if (ob->va_flags != e.va_flags)
		return differ(f, "va_flags", a, when, e.va_flags, ob->va_flags);
	if (ob->has_vm != e.has_vm)
		return differ(f, "vm", a, when, e.has_vm, ob->has_vm);
	if (!e.has_vm)
		return 0;
	if (ob->vm_addr != a->start)
		return differ(f, "addr", a, when, a->start, ob->vm_addr);
	if (ob->vm_flags != e.flags)
		return differ(f, "flags", a, when, e.flags, ob->vm_flags);
	if (ob->vm_size != e.size)
		return differ(f, "size", a, when, e.size, ob->vm_size);
	if (ob->nr_pages != e.nr_pages)
		return differ(f, "nr_pages", a, when, e.nr_pages, ob->nr_pages);
	if (ob->nr_mapped != e.nr_mapped)
		return differ(f, "nr_mapped", a, when, e.nr_mapped,
			      ob->nr_mapped);
	if (ob->phys_addr != e.phys_addr)
		return differ(f, "phys_addr", a, when, e.phys_addr,
			      ob->phys_addr);
	if (ob->vpages != (e.pages_va != 0) || ob->pages_va != e.pages_va)
		return differ(f, "vpages", a, when, e.pages_va, ob->pages_va);
	{ /* as the observer copies it: at most SH_CALLER_LEN - 1 bytes */
		const char *c = e.caller ? e.caller : "";
		size_t k = 0;

		for (; k + 1 < sizeof(want_caller) && c[k]; k++)
			want_caller[k] = c[k];
		want_caller[k] = 0;
	}
	if (ob->has_caller != (e.caller != NULL) ||
	    strcmp(ob->caller, want_caller) != 0)
		return sh_fail(f, "vm_struct/caller",
			       "area 0x%llx (%s): caller expected %s%s%s, "
			       "library %s%s%s",
			       (unsigned long long)a->start, when,
			       e.caller ? "\"" : "", e.caller ? want_caller : "NULL",
			       e.caller ? "\"" : "", ob->has_caller ? "\"" : "",
			       ob->has_caller ? ob->caller : "NULL",
			       ob->has_caller ? "\"" : "");
	return 0;
}

int sh_vm_check_at(struct shadow *sh, vaddr_t start, const char *when,
		   struct sh_fail *f)
{
	const struct sh_area *a = sh_busy_find(&sh->busy, start);
	struct sh_area_obs ob;

	if (!a)
		return 0; /* released again within the command (a purge) */
	memset(&ob, 0, sizeof(ob));
	if (!sh->obs.area_at(sh->obs.ctx, start, &ob) || ob.start != start)
		return sh_fail(f, "vm_struct/area",
			       "area 0x%llx (%s): the library has no busy area "
			       "starting there",
			       (unsigned long long)start, when);
	return sh_vm_compare(sh, a, &ob, when, f);
}

int sh_vm_check_lookup(struct shadow *sh, vaddr_t va, struct sh_fail *f)
{
	const struct sh_area *a = sh_busy_containing(&sh->busy, va);

	return a ? sh_vm_check_at(sh, a->start, "looked up", f) : 0;
}

/* ---- /proc/vmallocinfo ------------------------------------------------------ */

/* The line being rendered: the formats s_show uses, by hand (printf was
 * most of a `check`'s cost). tests/test_vmalloc.c pins the library's text
 * to literal lines, and this rendering must equal it at every check. */
struct sh_text {
	char *b;
	size_t n, len;
};

static void tx_char(struct sh_text *t, char c)
{
	if (t->n + 1 < t->len)
		t->b[t->n++] = c;
}

static void tx_word(struct sh_text *t, const char *w)
{
	for (; *w; w++)
		tx_char(t, *w);
}

/* "0x" then %016llx */
static void tx_hex64(struct sh_text *t, uint64_t v)
{
	tx_word(t, "0x");
	for (int shift = 60; shift >= 0; shift -= 4) {
		unsigned d = (unsigned)(v >> shift) & 15;

		tx_char(t, (char)(d < 10 ? '0' + d : 'a' + d - 10));
	}
}

/* %*llu: at least width characters, spaces before. */
static void tx_dec(struct sh_text *t, uint64_t v, unsigned width)
{
	char d[20];
	unsigned k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (unsigned pad = k; pad < width; pad++)
		tx_char(t, ' ');
	while (k)
		tx_char(t, d[--k]);
}

/* One s_show line (with its newline) into buf; its length. */
static size_t render_line(const struct shadow *sh, const struct sh_area *a,
			  char *buf, size_t len)
{
	struct sh_text t = { buf, 0, len };
	struct vm_exp e;
	uint64_t size;

	predict(a, &e);
	size = e.va_flags & SH_VA_VM_AREA ? e.size : a->end - a->start;
	tx_hex64(&t, a->start);
	tx_char(&t, '-');
	tx_hex64(&t, a->start + size);
	tx_char(&t, ' ');
	tx_dec(&t, size, 7);
	if (!(e.va_flags & SH_VA_VM_AREA)) {
		tx_word(&t, e.va_flags & SH_VA_LAZY_FREE ? " unpurged vm_area" :
							  " vm_map_ram");
		tx_char(&t, '\n');
		buf[t.n] = 0;
		return t.n;
	}
	if (e.caller) {
		tx_char(&t, ' ');
		tx_word(&t, e.caller);
	}
	if (e.nr_pages) {
		tx_word(&t, " pages=");
		tx_dec(&t, e.nr_pages, 0);
	}
	if (e.phys_addr) {
		tx_word(&t, " phys=");
		tx_hex64(&t, e.phys_addr);
	}
	if (e.flags & SH_VM_IOREMAP)
		tx_word(&t, " ioremap");
	if (e.flags & SH_VM_ALLOC)
		tx_word(&t, " vmalloc");
	if (e.flags & SH_VM_MAP)
		tx_word(&t, " vmap");
	if (e.flags & SH_VM_USERMAP)
		tx_word(&t, " user");
	if (e.pages_va)
		tx_word(&t, " vpages");
	/* show_numa_info (CONFIG_NUMA): nothing while VM_UNINITIALIZED; else
	 * the pages of the array per node, the model's own count. */
	if (!(e.flags & SH_VM_UNINITIALIZED) && e.nr_pages)
		for (unsigned nd = 0; nd < sh->phys.nr_nodes; nd++)
			if (a->node_pages[nd]) {
				tx_word(&t, " N");
				tx_dec(&t, nd, 0);
				tx_char(&t, '=');
				tx_dec(&t, a->node_pages[nd], 0);
			}
	tx_char(&t, '\n');
	buf[t.n] = 0;
	return t.n;
}

int shadow_vmallocinfo_check(struct shadow *sh, const char *observed,
			     struct sh_fail *f)
{
	const char *p = observed;
	char line[512];

	for (size_t i = 0; i < sh->busy.n; i++) {
		size_t n = render_line(sh, &sh->busy.a[i], line, sizeof(line));
		const char *nl = strchr(p, '\n');
		size_t on = nl ? (size_t)(nl - p) + 1 : strlen(p);

		if (on != n || memcmp(p, line, n) != 0) {
			if (n && line[n - 1] == '\n')
				line[n - 1] = 0;
			return sh_fail(f, "vmallocinfo",
				       "line %zu: expected \"%s\", library "
				       "\"%.*s\"",
				       i + 1, line,
				       (int)(on && p[on - 1] == '\n' ? on - 1 : on),
				       p);
		}
		p += on;
	}
	if (*p) {
		const char *nl = strchr(p, '\n');

		return sh_fail(f, "vmallocinfo",
			       "line %zu: expected the end, library \"%.*s\"",
			       sh->busy.n + 1,
			       (int)(nl ? nl - p : (long)strlen(p)), p);
	}
	return 0;
}
