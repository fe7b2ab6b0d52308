/* vmfuzz kmod FILE -o DIR: DIR/Kbuild and DIR/vmfuzz_repro.c, a kernel
 * module in the style of lib/test_vmalloc.c that replays the program's
 * allocator calls on a real kernel at load time and reports each address
 * and any data mismatch (pr_info / pr_err). Load it only on a test kernel
 * (docs/fuzzing.md); it is never loaded by the tests.
 *
 * Kernel API differences, checked against the sources:
 *  - __vmalloc(size, gfp, prot) in 4.19 (include/linux/vmalloc.h), the
 *    prot argument gone in 5.8 (commit 88dca4ca5a93 "mm: remove the pgprot
 *    argument to __vmalloc"); 6.1: __vmalloc(size, gfp).
 *  - vm_map_ram(pages, count, node, prot) in 4.19, (pages, count, node)
 *    in 6.1 (include/linux/vmalloc.h of both; the prot went in the same
 *    5.8 series); vm_unmap_ram(mem, count) and vm_unmap_aliases() in
 *    both. set_cpu: vm_map_ram / vm_unmap_ram run in a work item bound to
 *    that CPU (work_on_cpu, exported in both): vb_alloc carves from the
 *    running CPU's queue (4.19), and 6.x's vb_free purged under the
 *    running CPU's queue lock (the 6.10 fix).
 *  - vmalloc_exec: declared in 4.19 but not exported (mm/vmalloc.c 4.19
 *    has no EXPORT_SYMBOL for it), gone from 6.1's header: a comment.
 *  - Not exported in 4.19 (mm/vmalloc.c) nor in 6.1 (Debian's
 *    Module.symvers): __vmalloc_node_range, get_vm_area, remove_vm_area,
 *    find_vm_area, vfree_atomic, vread. Those commands fall back to the
 *    nearest exported call, said in a comment, or become comments.
 *  - ioremap: arm64 4.19 __ioremap(phys, size, pgprot_t) (exported,
 *    arch/arm64/mm/ioremap.c; ioremap is it with PROT_DEVICE_nGnRE); arm64
 *    6.1 selects GENERIC_IOREMAP: ioremap_prot(phys, size, unsigned long)
 *    (mm/ioremap.c), no __ioremap. iounmap(addr) in both. Made only with
 *    the module parameter allow_ioremap=1 (off by default): the program's
 *    physical addresses are the model's, a real machine's may be device
 *    registers; no data command ever goes through an ioremap mapping.
 *  - vmalloc_huge(size, gfp): 5.18+ (6.1 exports it GPL, NUMA_NO_NODE);
 *    vmalloc_node before it.
 * One case per op; an op not handled becomes "unsupported command
 * <name>: left as a comment". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vmfuzz/mmu.h>
#include <vmfuzz/vmalloc.h>

#include "report.h"
#include "vmfuzz_gen.h"
#include "vmfuzz_kmod_prelude.h"

#define USAGE "kmod FILE -o DIR"

/* A vm_flags value as the kernel's macros. */
static void flags_text(unsigned long fl, char *buf, size_t len)
{
	static const struct { unsigned long bit; const char *name; } t[] = {
		{VM_IOREMAP, "VM_IOREMAP"}, {VM_ALLOC, "VM_ALLOC"},
		{VM_MAP, "VM_MAP"},         {VM_USERMAP, "VM_USERMAP"},
		{VM_NO_GUARD, "VM_NO_GUARD"},
	};
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (fl & t[i].bit)
			at += (size_t)snprintf(buf + at, len - at, "%s%s",
					       at ? " | " : "", t[i].name);
	if (!at)
		snprintf(buf, len, "0");
}

/* The program's pgprot (arm64 descriptor bits) as the nearest kernel
 * macro; anything else is PAGE_KERNEL. */
static const char *prot_text(uint64_t prot)
{
	prot &= ~(uint64_t)PTE_NG; /* nG: arm64's kernel mappings differ */
	if (prot == PAGE_KERNEL_RO)
		return "PAGE_KERNEL_RO";
	if (prot == PAGE_KERNEL_ROX)
		return "PAGE_KERNEL_ROX";
	if (prot == PAGE_KERNEL_EXEC)
		return "PAGE_KERNEL_EXEC";
	return "PAGE_KERNEL";
}

/* Whether a prot is one the kernel will write through. */
static bool prot_writable(uint64_t prot)
{
	prot &= ~(uint64_t)PTE_NG;
	return prot != PAGE_KERNEL_RO && prot != PAGE_KERNEL_ROX;
}

/* ioremap's memory type: the program's AttrIndx (the model numbers them
 * as 6.x's MAIR, include/vmfuzz/mmu.h) as the arm64 PROT_* macro of that
 * type; the access bits (read-only, exec) are not carried: every PROT_*
 * is a writable, never-executable mapping. */
static const char *io_prot_text(uint64_t prot)
{
	switch ((prot >> 2) & 7) {
	case MT_DEVICE_nGnRnE:
		return "PROT_DEVICE_nGnRnE";
	case MT_DEVICE_nGnRE:
		return "PROT_DEVICE_nGnRE";
	case MT_NORMAL_NC:
		return "PROT_NORMAL_NC";
	default:
		return "PROT_NORMAL";
	}
}

static void comment(FILE *f, const char *why)
{
	fprintf(f, "\t/* %s */\n", why);
}

/* A data command on handle h: say that the module skips it when h turns
 * out to be an ioremap mapping (known only at run time: h=N picks among
 * the calls that succeeded). */
static void io_note(FILE *f, bool any_io, unsigned h)
{
	if (any_io)
		fprintf(f, "\t/* if h=%u is an ioremap mapping: not made, logged "
			   "(device memory, see allow_ioremap) */\n", h);
}

static void emit_cmd(FILE *f, size_t i, const struct vmf_cmd *cmd,
		     const struct vmf_config *cfg, bool any_io)
{
	struct vmf_args a;
	char text[160], fl[96];
	uint64_t ps = 1ull << cfg->page_shift;

	vmf_cmd_text(cmd, text, sizeof(text));
	vmf_cmd_resolve(cmd, cfg, &a);
	fprintf(f, "\n\t/* #%zu ", i);
	for (const char *s = text; *s; s++)
		fputc(s[0] == '*' && s[1] == '/' ? ' ' : *s, f);
	fputs(" */\n", f);
	if (cmd->op >= OP_NR) {
		fprintf(f, "\t/* unsupported command %u: left as a comment */\n",
			(unsigned)cmd->op);
		fprintf(stderr, "kmod: #%zu: unsupported command %u: left as a "
				"comment\n", i, (unsigned)cmd->op);
		return;
	}
	/* Sizes are in the program's pages; the kernel's page may differ. */
	switch (cmd->op) {
	case OP_NOP:
		comment(f, "nop");
		break;
	case OP_EARLY_ADD:
	case OP_EARLY_REGISTER:
		comment(f, "boot-time registration (vm_area_add_early / "
			   "vm_area_register_early): __init code, no module "
			   "counterpart");
		break;
	case OP_VMALLOC:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, vmalloc(%" PRIu64 "ul), %"
			   PRIu64 "ul, false);\n", i, a.size, a.size);
		break;
	case OP_VZALLOC:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, vzalloc(%" PRIu64 "ul), %"
			   PRIu64 "ul, true);\n", i, a.size, a.size);
		break;
	case OP_VMALLOC_NODE:
	case OP_VZALLOC_NODE:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, %s(%" PRIu64 "ul, node_or_any(%d)),"
			   " %" PRIu64 "ul, %s);\n",
			i, cmd->op == OP_VMALLOC_NODE ? "vmalloc_node" : "vzalloc_node",
			a.size, a.node, a.size,
			cmd->op == OP_VZALLOC_NODE ? "true" : "false");
		break;
	case OP_VMALLOC_32:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, vmalloc_32(%" PRIu64 "ul), %"
			   PRIu64 "ul, false);\n", i, a.size, a.size);
		break;
	case OP_VMALLOC_USER:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, vmalloc_user(%" PRIu64 "ul), %"
			   PRIu64 "ul, true);\n", i, a.size, a.size);
		break;
	case OP_VMALLOC_EXEC:
		fprintf(f, "\t/* vmalloc_exec is not exported (4.19) and gone "
			   "since 5.8: plain vmalloc */\n"
			   "\tadd(%zu, HK_VMALLOC, vmalloc(%" PRIu64 "ul), %" PRIu64
			   "ul, false);\n", i, a.size, a.size);
		break;
	case OP___VMALLOC:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, vmfuzz___vmalloc(%" PRIu64
			   "ul, GFP_KERNEL, %s), %" PRIu64 "ul, false);\n",
			i, a.size, prot_text(a.prot), a.size);
		break;
	case OP_VMALLOC_NODE_RANGE:
		fprintf(f, "\t/* __vmalloc_node_range is not exported: __vmalloc "
			   "without the align 0x%" PRIx64 ",\n\t * the range and "
			   "vm_flags 0x%lx of the program */\n"
			   "\tadd(%zu, HK_VMALLOC, vmfuzz___vmalloc(%" PRIu64
			   "ul, GFP_KERNEL, %s), %" PRIu64 "ul, false);\n",
			a.align, a.vm_flags, i, a.size, prot_text(a.prot), a.size);
		break;
	case OP_GET_VM_AREA:
	case OP_GET_VM_AREA_NODE:
		comment(f, "get_vm_area / __get_vm_area_node: not exported to "
			   "modules (4.19, 6.1): left as a comment");
		break;
	case OP_VMAP:
		flags_text(a.vm_flags & ~VM_NO_GUARD, fl, sizeof(fl));
		fprintf(f, "\tdo_vmap(%zu, %u, %s, %s, %s);\n", i,
			a.count > 64 ? 64 : a.count, fl, prot_text(a.prot),
			prot_writable(a.prot) ? "true" : "false");
		break;
	case OP_VFREE:
	case OP_VFREE_IRQ:
		fprintf(f, "\tdo_free(%zu, %uu, false);%s\n", i, a.handle,
			cmd->op == OP_VFREE_IRQ ?
				" /* from an interrupt in the program */" : "");
		break;
	case OP_VFREE_ATOMIC:
		fprintf(f, "\t/* vfree_atomic is not exported: vfree */\n"
			   "\tdo_free(%zu, %uu, false);\n", i, a.handle);
		break;
	case OP_VUNMAP:
		fprintf(f, "\tdo_free(%zu, %uu, true);\n", i, a.handle);
		break;
	case OP_REMOVE_VM_AREA:
	case OP_FREE_VM_AREA:
		comment(f, "remove_vm_area / free_vm_area of a get_vm_area "
			   "handle: those areas are comments here");
		break;
	case OP_RUN_DEFERRED:
		comment(f, "the deferred-free work runs by itself in the kernel");
		break;
	case OP_SET_CPU:
		fprintf(f, "\t/* vm_map_ram and vm_unmap_ram run on cpu %u from "
			   "here (work_on_cpu) */\n\tcur_cpu = %u;\n", a.cpu, a.cpu);
		break;
	case OP_VM_MAP_RAM:
		fprintf(f, "\tdo_vm_map_ram(%zu, %u, node_or_any(%d), %s, %s);\n",
			i, a.count > VMF_MAX_VM_MAP_RAM_PAGES ?
				   VMF_MAX_VM_MAP_RAM_PAGES : a.count,
			a.node, prot_text(a.prot),
			prot_writable(a.prot) ? "true" : "false");
		break;
	case OP_VM_UNMAP_RAM:
		if (a.dcount & 0xff)
			fprintf(f, "\t/* vm_unmap_ram with a count %u pages off the "
				   "mapped one: BUG_ON or a corrupt\n\t * block "
				   "on a real kernel (vb_free); left as a comment "
				   "*/\n", a.dcount & 0xff);
		else
			fprintf(f, "\tdo_vm_unmap_ram(%zu, %uu);\n", i, a.handle);
		break;
	case OP_PURGE:
		fputs("\t/* purge_vmap_area_lazy is static: vm_unmap_aliases "
		      "purges (and flushes) */\n\tvm_unmap_aliases();\n", f);
		break;
	case OP_UNMAP_ALIASES:
		fputs("\tvm_unmap_aliases();\n", f);
		break;
	case OP_IOREMAP: {
		/* ioremap's own type (PROT_DEVICE_nGnRE): plain ioremap */
		const char *pt = io_prot_text(a.prot);
		bool plain = strcmp(pt, "PROT_DEVICE_nGnRE") == 0;
		char call[160];

		if (plain)
			snprintf(call, sizeof(call), "ioremap(0x%" PRIx64 "ULL, %"
				 PRIu64 "UL)", (uint64_t)a.phys, a.size);
		else
			snprintf(call, sizeof(call), "vmfuzz_ioremap(0x%" PRIx64
				 "ULL, %" PRIu64 "UL, %s)", (uint64_t)a.phys, a.size,
				 pt);
		fprintf(f, "\t/* phys 0x%" PRIx64 " is the model's: made only with "
			   "allow_ioremap=1 */\n"
			   "\tif (allow_ioremap)\n"
			   "\t\tadd_ioremap(%zu, %s,\n\t\t\t    0x%" PRIx64 "ULL, %"
			   PRIu64 "UL);\n\telse\n\t\tskip_ioremap(%zu, 0x%" PRIx64
			   "ULL);\n",
			(uint64_t)a.phys, i, call, (uint64_t)a.phys, a.size, i,
			(uint64_t)a.phys);
		break;
	}
	case OP_IOUNMAP:
		fprintf(f, "\tdo_iounmap(%zu, %uu);\n", i, a.handle);
		break;
	case OP_VMALLOC_HUGE:
		fprintf(f, "\tadd(%zu, HK_VMALLOC, vmfuzz_vmalloc_huge(%" PRIu64
			   "UL, node_or_any(%d)), %" PRIu64 "UL, false);\n",
			i, a.size, a.node, a.size);
		break;
	case OP_WRITE:
		io_note(f, any_io, a.handle);
		fprintf(f, "\tdo_write(%zu, %uu, %" PRIu64 "ul, %zu, 0x%02x);\n", i,
			a.handle, a.offset, (size_t)a.len, a.pattern);
		break;
	case OP_READ:
	case OP_VREAD:
		io_note(f, any_io, a.handle);
		fprintf(f, "\tdo_read(%zu, %uu, %" PRIu64 "ul, %zu);\n", i,
			a.handle, a.offset, (size_t)a.len);
		break;
	case OP_ACCESS:
		comment(f, "an access with a permission check (EL0, exec): would "
			   "fault on a real kernel; left as a comment");
		break;
	case OP_READ_FREED:
		comment(f, "a read of a freed area: a use-after-free on a real "
			   "kernel; left as a comment");
		break;
	case OP_VMALLOC_TO_PAGE:
		io_note(f, any_io, a.handle);
		fprintf(f, "\tdo_to_page(%zu, %uu, %" PRIu64 "ul);\n", i, a.handle,
			a.offset);
		break;
	case OP_FAULT:
		comment(f, "fault injection: the simulator's; on a kernel use "
			   "CONFIG_FAIL_PAGE_ALLOC / failslab");
		break;
	case OP_FRAGMENT:
		fprintf(f, "\tdo_fragment(%zu, %u);\n", i, a.count);
		break;
	case OP_BAD:
		fprintf(f, "\t/* a deliberately bad call (%s): it warns or "
			   "corrupts on a real kernel;\n\t * left as a comment */\n",
			vmf_bad_name((enum vmf_bad)a.bad));
		break;
	case OP_CHECK:
		comment(f, "consistency check: the simulator's vm_check; on a "
			   "kernel read /proc/vmallocinfo");
		break;
	default:
		fprintf(f, "\t/* unsupported command %s: left as a comment */\n",
			vmf_op_name(cmd->op));
		fprintf(stderr, "kmod: #%zu: unsupported command %s: left as a "
				"comment\n", i, vmf_op_name(cmd->op));
		break;
	}
	(void)ps;
}

static int write_kbuild(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/Kbuild", dir);
	f = vmft_gen_open("kmod", path);
	if (!f)
		return 2;
	fputs("# Generated by `vmfuzz kmod`. Build against a kernel tree:\n"
	      "#   make -C /lib/modules/$(uname -r)/build M=$PWD modules\n"
	      "obj-m += vmfuzz_repro.o\n", f);
	return vmft_gen_close("kmod", path, f);
}

int vmft_cmd_kmod(int argc, char **argv)
{
	struct vmft_gen_args ga;
	struct vmft_input in;
	char path[4096];
	FILE *f;
	int rc;

	rc = vmft_gen_parse(argc, argv, "kmod", USAGE, false, &ga);
	if (rc)
		return rc;
	if (strlen(ga.out) > 4000) {
		fprintf(stderr, "vmfuzz kmod: directory name too long\n");
		return 2;
	}
	if (vmft_input_load(ga.file, &in))
		return 2;
	if (vmft_gen_one_policy("kmod", ga.file, in.prog)) {
		vmft_input_free(&in);
		return 2;
	}
	if (mkdir(ga.out, 0777) && !vmft_is_dir(ga.out)) {
		fprintf(stderr, "vmfuzz kmod: cannot make directory %s\n", ga.out);
		vmft_input_free(&in);
		return 2;
	}
	rc = write_kbuild(ga.out);
	snprintf(path, sizeof(path), "%s/vmfuzz_repro.c", ga.out);
	f = rc ? NULL : vmft_gen_open("kmod", path);
	if (f) {
		fputs("// SPDX-License-Identifier: GPL-2.0\n/* Generated by "
		      "`vmfuzz kmod` from ", f);
		for (const char *s = ga.file; *s; s++)
			fputc(s[0] == '*' && s[1] == '/' ? ' ' : *s, f);
		fputs(".\n * The program's allocator calls on a real kernel, in "
		      "the style of lib/test_vmalloc.c:\n * every address and "
		      "every data mismatch is logged (dmesg). Load it on a "
		      "test\n * kernel only: insmod vmfuzz_repro.ko (docs/fuzzing.md)."
		      "\n */\n", f);
		for (size_t k = 0; k < sizeof(kmod_prelude) / sizeof(kmod_prelude[0]);
		     k++)
			fprintf(f, "%s\n", kmod_prelude[k]);
		fputs("\nstatic int __init vmfuzz_repro_init(void)\n{\n"
		      "\tpr_info(\"vmfuzz_repro: start\\n\");\n", f);
		for (size_t i = 0, io = 0; i < in.prog->nr_cmds; i++) {
			io |= in.prog->cmds[i].op == OP_IOREMAP;
			emit_cmd(f, i, &in.prog->cmds[i], &in.prog->cfg, io);
		}
		fputs("\n\tpr_info(\"vmfuzz_repro: done, %u mismatches\\n\", "
		      "mismatches);\n\treturn 0;\n}\n\n"
		      "static void __exit vmfuzz_repro_exit(void)\n{\n"
		      "\trelease_all();\n}\n\n"
		      "module_init(vmfuzz_repro_init);\n"
		      "module_exit(vmfuzz_repro_exit);\n"
		      "MODULE_LICENSE(\"GPL\");\n"
		      "MODULE_DESCRIPTION(\"vmfuzz reproducer: a program's vmalloc "
		      "calls\");\n", f);
		rc = vmft_gen_close("kmod", path, f);
	} else {
		rc = 2;
	}
	vmft_input_free(&in);
	return rc;
}
