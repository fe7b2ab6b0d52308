/* The text form: print and parse programs, one command per line, operands
 * by name and kept symbolic ("size=window-2p"), so a program reads the
 * same whatever the machine. Both directions walk the tables of
 * cmd_table.c; docs/format.md describes the syntax. */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "cmd_table.h"

#define WHY_LEN 512
#define LINE_LEN 1024

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- printing ---- */

/* Appends to buf at *n, never past len. */
static void put(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += (size_t)r < len - *n ? (size_t)r : len - *n - 1;
}

/* base, then pages, then bytes; small negative byte counts print as
 * "-0x..", anything else as unsigned hex. */
static void format_expr(const struct vmf_sym *s, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (s->base != BASE_NONE && s->base < BASE_NR)
		put(buf, len, &n, "%s", vmf_base_names[s->base]);
	if (s->pages) {
		bool neg = s->pages >> 63;
		uint64_t mag = neg ? 0 - s->pages : s->pages;

		put(buf, len, &n, "%s%llup", neg ? "-" : n ? "+" : "",
		    (unsigned long long)mag);
	}
	if (s->bytes) {
		bool neg = s->bytes >= 0xffffffff00000000ull;
		uint64_t mag = neg ? 0 - s->bytes : s->bytes;

		put(buf, len, &n, "%s0x%llx", neg ? "-" : n ? "+" : "",
		    (unsigned long long)mag);
	}
	if (n == 0)
		put(buf, len, &n, "0");
}

void vmf_operand_format(unsigned kind, const uint8_t *b, char *buf,
			size_t len)
{
	struct vmf_sym s;
	size_t n = 0;
	unsigned nr;

	if (!len)
		return;
	buf[0] = '\0';
	if (kind >= K_NR)
		return;
	vmf_sym_decode(kind, b, &s);
	nr = vmf_kinds[kind].nr_names;
	switch (vmf_kinds[kind].cls) {
	case CL_EXPR:
		format_expr(&s, buf, len);
		break;
	case CL_UINT:
		put(buf, len, &n, "%llu", (unsigned long long)s.bytes);
		break;
	case CL_HEX:
		put(buf, len, &n, "0x%02llx", (unsigned long long)s.bytes);
		break;
	case CL_NAME:
		put(buf, len, &n, "%s", vmf_kind_name(kind, (unsigned)s.bytes));
		break;
	default: /* CL_BITS */
		if (!s.bytes)
			put(buf, len, &n, "%s", vmf_kind_name(kind, nr));
		for (unsigned i = 0; i < nr; i++)
			if (s.bytes & (1ull << i))
				put(buf, len, &n, "%s%s", n ? "|" : "",
				    vmf_kind_name(kind, i));
		break;
	}
}

void vmf_cmd_print(const struct vmf_cmd *cmd, FILE *out)
{
	const struct vmf_op_desc *d =
		&vmf_ops[(unsigned)cmd->op < OP_NR ? cmd->op : OP_NOP];
	const uint8_t *p = cmd->operand;
	char line[LINE_LEN], val[96];
	size_t n = 0;

	put(line, sizeof(line), &n, "%s", d->name);
	for (unsigned i = 0; i < d->nr; i++) {
		unsigned kind = d->kind[i];

		vmf_operand_format(kind, p, val, sizeof(val));
		put(line, sizeof(line), &n, " %s=%s", vmf_kinds[kind].key, val);
		p += vmf_kinds[kind].width;
	}
	fputs(line, out);
}

void vmf_header_print(const struct vmf_program *prog, FILE *out)
{
	fputs("machine", out);
	for (unsigned f = 0; f < HF_NR; f++) {
		const char *v =
			vmf_hfield_value(f, vmf_hfield_index(f, prog->header[f]));

		if (f == HF_LAYOUT)
			fprintf(out, " %s", v); /* "granule=.. va=.." */
		else
			fprintf(out, " %s=%s", vmf_hfield_keys[f], v);
	}
	/* Only when set / not the default: headers without them print as
	 * before (format version 2 programs print as they did). */
	if (vmf_header_vbfix(prog->header[HF_POLICY]))
		fputs(" vbfix=1", out);
	if (prog->ext % VMF_WCACHE_NR)
		fprintf(out, " wcache=%s", vmf_wcache_text(prog->ext));
	if (prog->ext & VMF_EXT_HUGE)
		fputs(" huge=1", out);
}

void vmf_program_print(const struct vmf_program *prog, FILE *out)
{
	vmf_header_print(prog, out);
	fputc('\n', out);
	for (size_t i = 0; i < prog->nr_cmds && i < VMF_MAX_CMDS; i++) {
		vmf_cmd_print(&prog->cmds[i], out);
		fputc('\n', out);
	}
}

/* ---- parsing ---- */

/* Decimal or 0x-hex, at least one digit, no overflow. */
static int parse_u64(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	unsigned radix = 10;
	uint64_t r = 0;
	int digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		radix = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (radix == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (r > (UINT64_MAX - d) / radix)
			return -1;
		r = r * radix + d;
	}
	if (!digits)
		return -1;
	*pp = p;
	*v = r;
	return 0;
}

/* [base] then terms "+N", "-N", "+Np", "-Np" (the first term of a value
 * without a base needs no sign). Arithmetic is modulo 2^64. */
static int parse_expr(const char *text, struct vmf_sym *s, char *why,
		      size_t why_len)
{
	const char *p = text;
	int terms = 0;

	s->base = BASE_NONE;
	s->pages = s->bytes = 0;
	if (isalpha((unsigned char)*p) || *p == '_') {
		const char *q = p;
		unsigned b;

		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		for (b = 1; b < BASE_NR; b++)
			if (strlen(vmf_base_names[b]) == (size_t)(q - p) &&
			    !strncmp(vmf_base_names[b], p, (size_t)(q - p)))
				break;
		if (b == BASE_NR) {
			say(why, why_len, "unknown name '%.*s' (names: win, "
			    "win_end, window, totalram)", (int)(q - p), p);
			return -1;
		}
		s->base = b;
		p = q;
	}
	while (*p) {
		bool neg = false;
		uint64_t v;

		if (*p == '+' || *p == '-')
			neg = *p++ == '-';
		else if (s->base != BASE_NONE || terms) {
			say(why, why_len, "expected '+' or '-' at '%s'", p);
			return -1;
		}
		if (parse_u64(&p, &v)) {
			say(why, why_len, "expected a number at '%s'", p);
			return -1;
		}
		if (neg)
			v = 0 - v;
		if (*p == 'p') {
			s->pages += v;
			p++;
		} else {
			s->bytes += v;
		}
		terms++;
	}
	if (s->base == BASE_NONE && !terms) {
		say(why, why_len, "empty value");
		return -1;
	}
	return 0;
}

/* What each kind can encode, for error messages (char arrays, not a
 * switch over string pointers: compilers turn those into a writable
 * pointer table). */
enum { HINT_BYTE, HINT_SIZE, HINT_ALIGN, HINT_ADDR, HINT_OFF, HINT_LEN,
       HINT_COUNT, HINT_RAMCOUNT, HINT_NR };

static const char hints[HINT_NR][280] = {
	[HINT_BYTE] = "0..255",
	[HINT_SIZE] = "sizes are 0, Np (N < 256, or a multiple of 16 up to "
		      "4080), Np+0x1 and Np-0x1 (N 1..256), 0x1..0x100, "
		      "-0x1..-0x100, -Np (N 1..256), a power of two >= "
		      "0x100000, window+-Np or totalram+-Np (N -128..127)",
	[HINT_ALIGN] = "aligns are powers of two (0x1 .. 0x8000000000000000 "
		       "or 1p .. 2147483648p) or one of 0, 0x3, 0x6, 0x7, "
		       "0x18, 0x1001, 0x1800, 0xffff, 0x8000000000000001, "
		       "-0x1, 1p+0x1, 1p-0x1, 3p, 5p, 6p, 12p",
	[HINT_ADDR] = "addresses are win+Np (N 0..63), win-Np (1..32), "
		      "win_end-Np (0..63), win_end+Np (1..32), 0, -1p, -0x1, "
		      "win+0x1, win-0x1, win_end+0x1, win_end-0x1, "
		      "0x8000000000000000",
	[HINT_OFF] = "offsets are Np+B with N 0..255 and B -0x80..0x7f",
	[HINT_LEN] = "1..4096",
	[HINT_COUNT] = "1..64",
	[HINT_RAMCOUNT] = "1..128",
};

static const uint8_t hint_of[K_NR] = {
	[K_SIZE] = HINT_SIZE, [K_ALIGN] = HINT_ALIGN, [K_START] = HINT_ADDR,
	[K_END] = HINT_ADDR, [K_ADDR] = HINT_ADDR, [K_OFF] = HINT_OFF,
	[K_LEN] = HINT_LEN, [K_COUNT] = HINT_COUNT,
	[K_RAMCOUNT] = HINT_RAMCOUNT,
};

static int parse_names(unsigned kind, const char *text, struct vmf_sym *s,
		       char *why, size_t why_len)
{
	unsigned nr = vmf_kinds[kind].nr_names;
	char list[WHY_LEN];
	size_t n = 0;

	for (unsigned i = 0; i < nr; i++) {
		if (!strcmp(text, vmf_kind_name(kind, i))) {
			s->bytes = i;
			return 0;
		}
		put(list, sizeof(list), &n, "%s%s", i ? ", " : "",
		    vmf_kind_name(kind, i));
	}
	say(why, why_len, "'%s' is not one of: %s", text, list);
	return -1;
}

static int parse_bits(unsigned kind, const char *text, struct vmf_sym *s,
		      char *why, size_t why_len)
{
	unsigned nr = vmf_kinds[kind].nr_names;
	const char *p = text;

	s->bytes = 0;
	if (!strcmp(text, vmf_kind_name(kind, nr)))
		return 0;
	for (;;) {
		size_t l = strcspn(p, "|");
		unsigned i;

		for (i = 0; i < nr; i++)
			if (strlen(vmf_kind_name(kind, i)) == l &&
			    !strncmp(vmf_kind_name(kind, i), p, l))
				break;
		if (i == nr) {
			char list[WHY_LEN];
			size_t n = 0;

			for (unsigned j = 0; j <= nr; j++)
				put(list, sizeof(list), &n, "%s%s",
				    j ? ", " : "", vmf_kind_name(kind, j));
			say(why, why_len, "'%.*s' is not one of: %s (join "
			    "with '|')", (int)l, p, list);
			return -1;
		}
		s->bytes |= 1ull << i;
		if (!p[l])
			return 0;
		p += l + 1;
	}
}

int vmf_operand_parse(unsigned kind, const char *text, uint8_t *b, char *why,
		      size_t why_len)
{
	struct vmf_sym s = {BASE_NONE, 0, 0};
	const char *p = text;
	int ret;

	if (kind >= K_NR) {
		say(why, why_len, "no such operand kind");
		return -1;
	}
	switch (vmf_kinds[kind].cls) {
	case CL_EXPR:
		ret = parse_expr(text, &s, why, why_len);
		break;
	case CL_UINT:
	case CL_HEX:
		ret = parse_u64(&p, &s.bytes) || *p ? -1 : 0;
		if (ret)
			say(why, why_len, "'%s' is not a number", text);
		break;
	case CL_NAME:
		ret = parse_names(kind, text, &s, why, why_len);
		break;
	default:
		ret = parse_bits(kind, text, &s, why, why_len);
		break;
	}
	if (ret)
		return -1;
	if (vmf_sym_encode(kind, &s, b)) {
		say(why, why_len, "'%s' cannot be encoded: %s", text,
		    hints[hint_of[kind]]);
		return -1;
	}
	return 0;
}

/* Splits a line (modified in place) into whitespace-separated tokens. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* wcache=N / huge=0|1 into the extension byte; 1 if tok is not one of
 * them, -1 on a bad value. */
static int parse_ext(const char *key, const char *val, uint8_t *ext,
		     unsigned *seen, char *why, size_t why_len)
{
	unsigned bit = !strcmp(key, "wcache") ? 1u << 28 :
		       !strcmp(key, "huge") ? 1u << 29 : 0;

	if (!bit)
		return 1;
	if (*seen & bit) {
		say(why, why_len, "machine: %s given twice", key);
		return -1;
	}
	*seen |= bit;
	if (bit == 1u << 29) {
		if (strcmp(val, "0") && strcmp(val, "1")) {
			say(why, why_len, "machine: huge '%s' is not 0 or 1",
			    val);
			return -1;
		}
		if (val[0] == '1')
			*ext |= VMF_EXT_HUGE;
		return 0;
	}
	for (unsigned i = 0; i < VMF_WCACHE_NR; i++) {
		if (!strcmp(val, vmf_wcache_text(i))) {
			*ext = (uint8_t)((*ext & ~(VMF_WCACHE_NR - 1u)) | i);
			return 0;
		}
	}
	say(why, why_len, "machine: wcache '%s' is not one of: 0, 1, 2, 3, 4, "
	    "6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256", val);
	return -1;
}

static int parse_header(char **tok, int nt, uint8_t *h, uint8_t *ext,
			char *why, size_t why_len)
{
	unsigned seen = 0, granule = 0, va = 0;
	bool lay_given = false, vbfix = false, vbfix_seen = false;

	memset(h, 0, VMF_HEADER_BYTES);
	*ext = 0;
	for (int t = 1; t < nt; t++) {
		char *eq = strchr(tok[t], '=');
		const char *val;
		unsigned f, i, nr;

		if (!eq) {
			say(why, why_len, "machine: '%s' is not key=value",
			    tok[t]);
			return -1;
		}
		*eq = '\0';
		val = eq + 1;
		{
			int e = parse_ext(tok[t], val, ext, &seen, why, why_len);

			if (e < 0)
				return -1;
			if (e == 0)
				continue;
		}
		if (!strcmp(tok[t], "granule") || !strcmp(tok[t], "va")) {
			bool is_gran = tok[t][0] == 'g';
			unsigned bit = is_gran ? 1u << 30 : 1u << 31;
			const char *p = val;
			uint64_t v;

			if (seen & bit) {
				say(why, why_len, "machine: %s given twice",
				    tok[t]);
				return -1;
			}
			seen |= bit;
			lay_given = true;
			if (is_gran) {
				if (!strcmp(val, "4k"))
					granule = 12;
				else if (!strcmp(val, "16k"))
					granule = 14;
				else if (!strcmp(val, "64k"))
					granule = 16;
				else {
					say(why, why_len, "machine: granule "
					    "'%s' is not 4k, 16k or 64k", val);
					return -1;
				}
			} else if (parse_u64(&p, &v) || *p || v > 64) {
				say(why, why_len, "machine: va '%s' is not a "
				    "number of VA bits", val);
				return -1;
			} else {
				va = (unsigned)v;
			}
			continue;
		}
		if (!strcmp(tok[t], "vbfix")) {
			if (vbfix_seen) {
				say(why, why_len, "machine: vbfix given twice");
				return -1;
			}
			vbfix_seen = true;
			if (strcmp(val, "0") && strcmp(val, "1")) {
				say(why, why_len, "machine: vbfix '%s' is not 0 "
				    "or 1", val);
				return -1;
			}
			vbfix = val[0] == '1';
			continue;
		}
		for (f = 1; f < HF_NR; f++)
			if (!strcmp(tok[t], vmf_hfield_keys[f]))
				break;
		if (f == HF_NR) {
			say(why, why_len, "machine: unknown field '%s' "
			    "(fields: granule, va, window, ram, nodes, cpus, "
			    "lazy, tlb, policy, vbfix, wcache, huge)", tok[t]);
			return -1;
		}
		if (seen & (1u << f)) {
			say(why, why_len, "machine: %s given twice", tok[t]);
			return -1;
		}
		seen |= 1u << f;
		nr = vmf_hfield_nr(f);
		for (i = 0; i < nr; i++)
			if (!strcmp(val, vmf_hfield_value(f, i)))
				break;
		if (i == nr) {
			char list[WHY_LEN];
			size_t n = 0;

			for (unsigned j = 0; j < nr; j++)
				put(list, sizeof(list), &n, "%s%s",
				    j ? ", " : "", vmf_hfield_value(f, j));
			say(why, why_len, "machine: %s '%s' is not one of: %s",
			    tok[t], val, list);
			return -1;
		}
		h[f] = vmf_hfield_byte(f, i);
	}
	if (lay_given) {
		unsigned nr = vmf_hfield_nr(HF_LAYOUT), i;

		/* The first layout that matches what was given: "granule=16k"
		 * alone means 16K/48. */
		for (i = 0; i < nr; i++) {
			uint8_t hb[VMF_HEADER_BYTES] = {(uint8_t)i};
			struct vmf_config c;

			vmf_header_config(hb, &c);
			if ((!granule || c.page_shift == granule) &&
			    (!(seen & (1u << 31)) || c.va_bits == va))
				break;
		}
		if (i == nr) {
			say(why, why_len, "machine: granule/va is not a Linux "
			    "arm64 layout (4k: 39/48, 16k: 36/47/48, 64k: "
			    "42/48)");
			return -1;
		}
		h[HF_LAYOUT] = (uint8_t)i;
	}
	if (vbfix)
		h[HF_POLICY] |= VMF_VBFIX_BYTE;
	return 0;
}

static int parse_cmd(char **tok, int nt, struct vmf_cmd *c, char *why,
		     size_t why_len)
{
	const struct vmf_op_desc *d = NULL;
	unsigned op, seen = 0;

	for (op = 0; op < OP_NR; op++)
		if (!strcmp(tok[0], vmf_ops[op].name))
			break;
	if (op == OP_NR) {
		say(why, why_len, "unknown command '%s'", tok[0]);
		return -1;
	}
	d = &vmf_ops[op];
	memset(c, 0, sizeof(*c));
	c->op = (enum vmf_op)op;
	c->opcode = d->canon;
	/* Omitted operands keep the meaning of zero bytes. */
	for (unsigned i = 0, off = 0; i < d->nr; i++) {
		uint8_t zero[2] = {0, 0};
		struct vmf_sym s;

		vmf_sym_decode(d->kind[i], zero, &s);
		vmf_sym_encode(d->kind[i], &s, c->operand + off);
		off += vmf_kinds[d->kind[i]].width;
	}
	for (int t = 1; t < nt; t++) {
		char *eq = strchr(tok[t], '=');
		unsigned i, off = 0;
		char vwhy[WHY_LEN];

		if (!eq) {
			say(why, why_len, "%s: '%s' is not key=value", d->name,
			    tok[t]);
			return -1;
		}
		*eq = '\0';
		for (i = 0; i < d->nr; i++) {
			if (!strcmp(tok[t], vmf_kinds[d->kind[i]].key))
				break;
			off += vmf_kinds[d->kind[i]].width;
		}
		if (i == d->nr) {
			char list[WHY_LEN];
			size_t n = 0;

			for (unsigned j = 0; j < d->nr; j++)
				put(list, sizeof(list), &n, "%s%s",
				    j ? ", " : "", vmf_kinds[d->kind[j]].key);
			say(why, why_len, "%s has no operand '%s' (operands: "
			    "%s)", d->name, tok[t], n ? list : "none");
			return -1;
		}
		if (seen & (1u << i)) {
			say(why, why_len, "%s: %s given twice", d->name,
			    tok[t]);
			return -1;
		}
		seen |= 1u << i;
		if (vmf_operand_parse(d->kind[i], eq + 1, c->operand + off,
				      vwhy, sizeof(vwhy))) {
			say(why, why_len, "%s %s: %s", d->name, tok[t], vwhy);
			return -1;
		}
	}
	return 0;
}

int vmf_program_parse(const char *text, struct vmf_program *prog, char *err,
		      size_t err_len)
{
	uint8_t header[VMF_HEADER_BYTES] = {0}, ext = 0;
	bool started = false; /* a header or a command was seen */
	unsigned lineno = 0;
	size_t nr = 0;
	const char *p = text ? text : "";
	char why[WHY_LEN];

	while (*p) {
		size_t l = strcspn(p, "\n");
		char line[LINE_LEN], *tok[16], *hash;
		int nt;

		lineno++;
		if (l >= sizeof(line)) {
			say(why, sizeof(why), "line longer than %d characters",
			    LINE_LEN - 1);
			goto fail;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + (p[l] == '\n');
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		nt = tokenize(line, tok, 16);
		if (nt == 0)
			continue;
		if (nt < 0) {
			say(why, sizeof(why), "too many operands");
			goto fail;
		}
		if (!strcmp(tok[0], "machine")) {
			if (started) {
				say(why, sizeof(why), "'machine' must be the "
				    "first line, and appear once");
				goto fail;
			}
			started = true;
			if (parse_header(tok, nt, header, &ext, why,
					 sizeof(why)))
				goto fail;
			continue;
		}
		started = true;
		if (nr == VMF_MAX_CMDS) {
			say(why, sizeof(why), "more than %d commands",
			    VMF_MAX_CMDS);
			goto fail;
		}
		if (parse_cmd(tok, nt, &prog->cmds[nr], why, sizeof(why)))
			goto fail;
		nr++;
	}
	/* No machine line: the default machine (all-zero header). */
	memcpy(prog->header, header, sizeof(header));
	prog->ext = ext;
	vmf_header_config(prog->header, &prog->cfg);
	vmf_header_ext_apply(prog->ext, NULL, &prog->cfg);
	prog->nr_cmds = nr;
	return 0;
fail:
	say(err, err_len, "line %u: %s", lineno, why);
	return -1;
}
