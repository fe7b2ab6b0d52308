/* Warning events: where the kernel WARNs or BUGs, the model records. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vmfuzz/machine.h>

#include "util.h"

/* Arrays of chars, not pointers: no relocations, so the table is in
 * .rodata and nothing writable exists even in PIE builds. */
static const char warn_names[WARN_KIND_NR][32] = {
	[WARN_NONE] = "none",
	[WARN_PAGE_BAD_ORDER] = "page_bad_order",
	[WARN_PAGE_BAD_NODE] = "page_bad_node",
	[WARN_PAGE_NOT_ALLOCATED] = "page_not_allocated",
	[WARN_PAGE_WRONG_ORDER] = "page_wrong_order",
	[WARN_PAGE_TAIL] = "page_tail",
	[WARN_PAGE_ALLOC_FAIL] = "page_alloc_fail",
	[WARN_MMU_BAD_ARG] = "mmu_bad_arg",
	[WARN_MMU_BBM] = "mmu_break_before_make",
	[WARN_MMU_REMAP] = "mmu_remap",
	[WARN_VMAP_ALLOC_FAILED] = "vmap_alloc_failed",
	[WARN_VMALLOC_ALLOC_FAILURE] = "vmalloc_alloc_failure",
	[WARN_VMALLOC_BAD_SIZE] = "vmalloc_bad_size",
	[WARN_VMALLOC_BAD_ALIGN] = "vmalloc_bad_align",
	[WARN_VMALLOC_BAD_RANGE] = "vmalloc_bad_range",
	[WARN_VFREE_BAD_ADDR] = "vfree_bad_addr",
	[WARN_VFREE_NONEXISTENT] = "vfree_nonexistent",
	[WARN_VFREE_DOUBLE] = "vfree_double",
	[WARN_VFREE_INTERIOR] = "vfree_interior",
	[WARN_VFREE_WRONG_KIND] = "vfree_wrong_kind",
	[WARN_VMALLOC_EARLY_OVERLAP] = "vmalloc_early_overlap",
	[WARN_VMALLOC_EARLY_LATE] = "vmalloc_early_late",
	[WARN_VMALLOC_BAD_ARG] = "vmalloc_bad_arg",
	[WARN_VM_UNMAP_RAM_BAD] = "vm_unmap_ram_bad",
	[WARN_VMAP_NE_FIT_FAIL] = "vmap_ne_fit_fail",
};

const char *vmf_warn_kind_name(enum vmf_warn_kind kind)
{
	if ((unsigned)kind >= WARN_KIND_NR || !warn_names[kind][0])
		return "?";
	return warn_names[kind];
}

/* ---- message formatting ----------------------------------------------------
 * vsnprintf, for the conversions the library's messages use: %d %i %u %x
 * %X %c %s %p %% with the flags '#' and '0', a width, and the lengths
 * l, ll, z. Byte for byte what glibc prints for them (tests/test_warn.c
 * compares); anything else hands the whole message to vsnprintf. glibc's
 * vsnprintf cost about 1,000 instructions a warning, and fuzz inputs
 * make dozens of warnings each. */

struct fmt_out {
	char *buf;
	size_t cap, len; /* len counts what would be written, as snprintf */
};

static void put_ch(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

/* n bytes of s at once (the messages are mostly literal text). */
static void put_str(struct fmt_out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_pad(struct fmt_out *o, char c, size_t n)
{
	while (n--)
		put_ch(o, c);
}

/* A number: digits of v in base, with a prefix, padded to width. */
static void put_num(struct fmt_out *o, uint64_t v, unsigned base, bool upper,
		    bool neg, const char *prefix, bool zero, size_t width)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0, plen = strlen(prefix) + (neg ? 1 : 0), total;

	/* Constant divisors: no division instruction per digit. */
	if (base == 16) {
		do {
			tmp[n++] = dig[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			tmp[n++] = dig[v % 10];
			v /= 10;
		} while (v);
	}
	total = n + plen;
	if (!zero && width > total)
		put_pad(o, ' ', width - total);
	if (neg)
		put_ch(o, '-');
	while (*prefix)
		put_ch(o, *prefix++);
	if (zero && width > total)
		put_pad(o, '0', width - total);
	for (size_t i = 0; i < n / 2; i++) { /* most significant first */
		char t = tmp[i];

		tmp[i] = tmp[n - 1 - i];
		tmp[n - 1 - i] = t;
	}
	put_str(o, tmp, n);
}

static bool fast_format(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, cap, 0};

	for (const char *f = fmt; *f; f++) {
		bool alt = false, zero = false;
		size_t width = 0;
		int len = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
		uint64_t u;
		int64_t d;

		if (*f != '%') {
			const char *pct = strchr(f, '%');
			size_t n = pct ? (size_t)(pct - f) : strlen(f);

			put_str(&o, f, n);
			f += n - 1;
			continue;
		}
		for (f++;; f++) {
			if (*f == '#')
				alt = true;
			else if (*f == '0')
				zero = true;
			else
				break;
		}
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (size_t)(*f++ - '0');
		if (*f == 'l') {
			len = 1;
			if (*++f == 'l') {
				len = 2;
				f++;
			}
		} else if (*f == 'z') {
			len = 3;
			f++;
		}
		switch (*f) {
		case 'd':
		case 'i':
			d = len == 2 ? va_arg(ap, long long) :
			    len == 1 ? va_arg(ap, long) :
			    len == 3 ? (int64_t)va_arg(ap, size_t) :
				       va_arg(ap, int);
			put_num(&o, d < 0 ? 0 - (uint64_t)d : (uint64_t)d, 10,
				false, d < 0, "", zero, width);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = len == 2 ? va_arg(ap, unsigned long long) :
			    len == 1 ? va_arg(ap, unsigned long) :
			    len == 3 ? va_arg(ap, size_t) :
				       va_arg(ap, unsigned int);
			put_num(&o, u, *f == 'u' ? 10 : 16, *f == 'X', false,
				alt && u && *f != 'u' ?
					(*f == 'X' ? "0X" : "0x") : "",
				zero, width);
			break;
		case 'p': {
			const void *p = va_arg(ap, const void *);

			if (!p || zero || alt || len)
				return false; /* glibc's "(nil)" and flags */
			put_num(&o, (uint64_t)(uintptr_t)p, 16, false, false, "0x",
				false, width);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t n;

			if (!str || zero || alt || len)
				return false;
			n = strlen(str);
			if (width > n)
				put_pad(&o, ' ', width - n);
			put_str(&o, str, n);
			break;
		}
		case 'c':
			if (zero || alt || len)
				return false;
			if (width > 1)
				put_pad(&o, ' ', width - 1);
			put_ch(&o, (char)va_arg(ap, int));
			break;
		case '%':
			if (zero || alt || len || width)
				return false;
			put_ch(&o, '%');
			break;
		default:
			return false;
		}
	}
	if (o.cap)
		buf[o.len < o.cap ? o.len : o.cap - 1] = 0;
	return true;
}

static void format_text(char *buf, size_t cap, const char *fmt, va_list ap)
{
	va_list again;

	va_copy(again, ap);
	if (!fast_format(buf, cap, fmt, ap))
		vsnprintf(buf, cap, fmt, again);
	va_end(again);
}

void vmf_warn(struct vmf_machine *m, enum vmf_warn_kind kind,
	      const char *fmt, ...)
{
	struct vmf_warn_log *log = &m->warn;
	struct vmf_warn_event *ev;
	va_list ap;

	if ((unsigned)kind >= WARN_KIND_NR)
		kind = WARN_NONE;
	log->seq++;
	log->count[kind]++;
	ev = vmf_event_log_add(&log->events, log->seq);
	if (!ev)
		return; /* host OOM: counted, not kept */
	ev->seq = log->seq;
	ev->kind = kind;
	va_start(ap, fmt);
	format_text(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
}

void vmf_warn_reset(struct vmf_warn_log *log)
{
	log->seq = 0;
	memset(log->count, 0, sizeof(log->count));
	vmf_event_log_init(&log->events, sizeof(struct vmf_warn_event),
			   VMF_WARN_RING);
}

void vmf_warn_free(struct vmf_warn_log *log)
{
	vmf_event_log_free(&log->events);
}

void vmf_warn_keep(struct vmf_warn_log *log)
{
	vmf_event_log_keep(&log->events, log->seq + 1);
}

uint64_t vmf_warn_seq(const struct vmf_machine *m)
{
	return m->warn.seq;
}

const struct vmf_warn_event *vmf_warn_get(const struct vmf_machine *m,
					  uint64_t seq)
{
	const struct vmf_warn_event *ev =
		vmf_event_log_get(&m->warn.events, seq, m->warn.seq);

	return ev && ev->seq == seq ? ev : NULL;
}

void vmf_warn_print(const struct vmf_machine *m, FILE *out)
{
	uint64_t first = m->warn.seq >= VMF_WARN_RING ?
				 m->warn.seq - VMF_WARN_RING + 1 : 1;

	fprintf(out, "%llu warning(s)\n", (unsigned long long)m->warn.seq);
	for (uint64_t s = first; s <= m->warn.seq; s++) {
		const struct vmf_warn_event *ev = vmf_warn_get(m, s);
		if (ev)
			fprintf(out, "  #%llu %s: %s\n",
				(unsigned long long)ev->seq,
				vmf_warn_kind_name(ev->kind), ev->text);
	}
}
