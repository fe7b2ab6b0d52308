/* Shared inside the interpreter (interp.c, interp_cmd.c, interp_observe.c):
 * the runner, its handle table, and the helpers the commands use. Not part
 * of the harness's interface (interp.h is).
 *
 * Who owns what:
 *   interp.c          the runner's life cycle, the run loop, the trace
 *                     and the handle table;
 *   interp_cmd.c      one function per command and the dispatch;
 *   interp_cmd_huge.c the huge-mapping commands (ioremap, iounmap,
 *                     vmalloc_huge);
 *   interp_observe.c  the observer: the shadow's only view of the machine.
 *
 * Invariants: live[0, nr_live) are the live handles in allocation order;
 * a vmap or vm_map_ram handle owns vmap_pages[slot] and its bit in
 * vmap_slots; freed[]
 * is a ring of the last VMF_FREED_RING retired handles. */
#ifndef VMFUZZ_HARNESS_INTERP_INTERNAL_H
#define VMFUZZ_HARNESS_INTERP_INTERNAL_H

#include <stdio.h>

#include <vmfuzz/machine.h>
#include <vmfuzz/mmu.h>
#include <vmfuzz/page_alloc.h>
#include <vmfuzz/vmalloc.h>

#include "interp.h"
#include "interp_hook.h"
#include "shadow.h"

#define VMF_FREED_RING 16
#define VMF_MAX_FRAG 4096
/* Areas OP_CHECK can collect: at most two per command (an area and its
 * page array's); r->areas is that big from the start, so no input grows
 * it (AFL++ stability). */
#define VMF_MAX_AREAS (2 * VMF_MAX_CMDS)
/* /proc/vmallocinfo text OP_CHECK renders: a line is at most ~230 bytes
 * (two addresses, size, a caller of SH_CALLER_LEN, pages=, phys=, five
 * flag words, VMF_MAX_NODES node counts). */
#define VMF_VMINFO_LINE 320
#define VMF_VMINFO_BYTES (VMF_MAX_AREAS * VMF_VMINFO_LINE)

enum hkind {
	HK_VMALLOC = 1, /* vmalloc family: vfree */
	HK_VMAP,        /* vmap: vunmap, pages owned by the handle */
	HK_VMAREA,      /* get_vm_area: free_vm_area / remove_vm_area */
	HK_EARLY,       /* early area */
	HK_VMRAM,       /* vm_map_ram: vm_unmap_ram, pages owned by the handle */
	HK_IOREMAP,     /* ioremap: iounmap; addr is the area's start, size
			   the bytes mapped (PAGE_ALIGN(size + offset)) */
};

struct vmf_handle {
	uint8_t kind;
	bool guard;           /* its area has a guard page */
	vaddr_t addr;
	uint64_t size;        /* bytes asked (vmap: count pages) */
	unsigned nr_pages;    /* vmap: pages the handle owns, */
	uint8_t slot;         /* in r->vmap_pages[slot] (handles stay small:
				 retiring one moves the table) */
};

_Static_assert(VMF_MAX_HANDLES <= 64, "vmap_slots is a 64-bit mask");

struct vmf_runner {
	struct vmf_machine *m;
	struct shadow *sh;
	struct vmf_program prog;
	bool inited;

	struct vmf_handle live[VMF_MAX_HANDLES];
	/* vmap's and vm_map_ram's pages (vm_map_ram takes up to 128). */
	struct page *vmap_pages[VMF_MAX_HANDLES][VMF_MAX_VM_MAP_RAM_PAGES];
	uint64_t vmap_slots;  /* bit per vmap_pages slot in use */
	size_t nr_live;
	struct vmf_handle freed[VMF_FREED_RING];
	size_t nr_freed, freed_next;

	struct page *frag[VMF_MAX_FRAG];
	size_t nr_frag;

	/* OP_CHECK commands that also run the library's O(RAM) checkers:
	 * the first and the last of the program (a per-input bound). */
	size_t first_check, last_check;

	/* the command being run */
	FILE *trace;
	char result[256];
	size_t result_len;
	struct sh_fail sfail;

	struct sh_area_obs *areas;
	size_t nr_areas, areas_cap;
	char *vminfo;         /* VMF_VMINFO_BYTES: the library's vmallocinfo */

	uint8_t buf[VMF_MAX_ACCESS];
	uint8_t known[VMF_MAX_ACCESS];
	char state[2048];
	struct vmf_failure fail; /* vmf_run_or_abort's */
	/* The differential mode's runs (interp_diff.c), and whether the last
	 * run was one. */
	struct vmf_diff *diff;
	bool last_diff;
	/* Bench only (interp_hook.h vmf_runner_set_oracle): run the library
	 * with no shadow model and no checks, to measure what the oracle
	 * costs. Never set by a fuzz target or the CLI. */
	bool oracle_off;
};

/* The shadow's side of a command: skipped (0, agreed) with the oracle
 * off. */
#define SH_CALL(r, call) ((r)->oracle_off ? 0 : (call))

/* ---- interp.c: trace results ---- */
/* Append to the command's result text (only when tracing). */
/* interp.c: one program, one run (no policy=all dispatch: that is
 * interp_run.c's), and freeing a runner without its differential state
 * (interp_diff.c's sub-runners, interp_run.c's vmf_runner_free). */
int interp_run_one(struct vmf_runner *r, const struct vmf_program *prog,
		   const struct vmf_run_opts *opts, struct vmf_failure *fail,
		   vmf_cmd_hook hook, void *arg);
void interp_runner_release(struct vmf_runner *r);
/* The shadow's request for an allocation command's arguments. */
void interp_alloc_req(const struct vmf_args *a, enum sh_entry entry,
		      struct sh_alloc_req *q);

void interp_res(struct vmf_runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An address as the trace shows it: relative to the window. */
void interp_res_addr(struct vmf_runner *r, const char *what, vaddr_t a);
const char *interp_fault_text(enum mmu_fault f);

/* ---- interp.c: handles ---- */
struct vmf_handle *handle_pick_live(struct vmf_runner *r, unsigned raw);
struct vmf_handle *handle_pick_freed(struct vmf_runner *r, unsigned raw);
struct vmf_handle *handle_live_at(struct vmf_runner *r, vaddr_t addr);
struct vmf_handle *handle_pick_freed_stale(struct vmf_runner *r, unsigned raw);
/* The n-th live handle of a kind (modulo their count), or NULL. */
struct vmf_handle *handle_pick_kind(struct vmf_runner *r, unsigned raw,
				    enum hkind kind);
struct vmf_handle *handle_add_live(struct vmf_runner *r, enum hkind kind,
				   vaddr_t addr, uint64_t size, bool guard);
/* The handle leaves the live table for the freed ring. */
void handle_retire(struct vmf_runner *r, struct vmf_handle *h);
bool handle_table_full(const struct vmf_runner *r);
struct page *harness_page(struct vmf_runner *r, enum page_owner owner,
			  enum sh_owner sowner, int *err);
int harness_free(struct vmf_runner *r, struct page *p);

/* ---- interp_cmd.c ---- */
/* Run one command on the library and on the shadow; non-zero: r->sfail
 * says what disagreed. */
int interp_exec_cmd(struct vmf_runner *r, enum vmf_op op,
		    const struct vmf_args *a, size_t idx);

/* ---- interp_cmd_huge.c: ioremap, iounmap, vmalloc_huge (issue 15) ---- */
int interp_do_ioremap(struct vmf_runner *r, const struct vmf_args *a);
int interp_do_iounmap(struct vmf_runner *r, const struct vmf_args *a);
int interp_do_vmalloc_huge(struct vmf_runner *r, const struct vmf_args *a);
/* The retirement do_free_addr does once a free succeeded: a vmap
 * handle's pages back to the harness, the handle to the freed ring. */
int interp_handle_gone(struct vmf_runner *r, struct vmf_handle *h);

/* ---- interp_observe.c ---- */
/* An area's state as the shadow names it. */
static inline enum sh_state interp_area_state(const struct vmap_area *va)
{
	if (va->flags & VM_LAZY_FREE)
		return SH_LAZY;
	if (va->flags & VM_DEFERRED)
		return SH_DEFERRED;
	return SH_LIVE;
}

void interp_observer_init(struct vmf_runner *r, struct sh_observer *o);
/* What the shadow may see of one busy area (its vm_struct copied). */
void interp_area_obs(struct vmf_machine *m, const struct vmap_area *va,
		     struct sh_area_obs *o);

#endif
