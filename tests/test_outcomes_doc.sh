#!/usr/bin/env bash
# docs/shadow-outcomes.md stays true to the code (issue 12):
#  - every command of the command table (harness/format/cmd_table.c,
#    the vmf_ops names) has a section "### `<name>`";
#  - the `bad` section names every kind of the vmf_bad enum;
#  - every name in a table's `checks` column is a check the code can
#    report: a literal of sh_fail(x, "<name>" / CMP("<name>" /
#    set_fail(r, "<name>" (or the cache/free-tree ternary) in
#    harness/shadow/*.c or harness/interp*.c; vm_struct/<field> from
#    differ(f, "<field>"; config/<field> from differs(f, "<field>";
#    diff/<field> from f = "<field>" in interp_diff.c; `setup` from
#    interp.c.
# `--bites` shows that the check can fail: a copy of the doc with the
# `vmalloc_huge` section removed, and one with a made-up check name, must
# both be refused.
#   tests/test_outcomes_doc.sh [--bites] [DOC]
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bites=0
if [ "${1:-}" = "--bites" ]; then
	bites=1
	shift
fi
doc=${1:-$src/docs/shadow-outcomes.md}
command -v python3 >/dev/null || { echo "outcomes_doc: FAIL: python3 is missing" >&2; exit 1; }

check() { # check DOC: 0 if the doc agrees with the code
	python3 - "$src" "$1" <<'EOF'
import glob, os, re, sys
src, doc = sys.argv[1], sys.argv[2]
bad = []

def read(p):
    with open(p) as f:
        return f.read()

table = read(os.path.join(src, "harness/format/cmd_table.c"))
cmds = re.findall(r'\[OP_\w+\]\s*=\s*\{\s*"([^"]+)"', table)
if len(cmds) < 30:
    bad.append("found only %d commands in cmd_table.c" % len(cmds))
m = re.search(r'/\* enum vmf_bad order \*/(.*?)\};', table, re.S)
bad_kinds = re.findall(r'"([^"]+)"', m.group(1)) if m else []
if len(bad_kinds) < 10:
    bad.append("found only %d bad kinds in cmd_table.c" % len(bad_kinds))

# Check names the code can report, from flattened sources.
srcs = sorted(glob.glob(os.path.join(src, "harness/shadow/*.c")) +
              glob.glob(os.path.join(src, "harness/interp*.c")))
flat = {p: re.sub(r'\s+', ' ', read(p)) for p in srcs}
names, vm_fields, cfg_fields, diff_fields = set(), set(), set(), set()
for p, t in flat.items():
    names.update(re.findall(r'\bsh_fail\([\w>.-]+, "([^"]+)"', t))
    names.update(re.findall(r'\bCMP\("([^"]+)"', t))
    names.update(re.findall(r'\bset_fail\(r, "([^"]+)"', t))
    for a, b in re.findall(r'\bsh_fail\([\w>.-]+, strcmp\([^)]*\) \? "([^"]+)" : "([^"]+)"', t):
        names.update((a, b))
    vm_fields.update(re.findall(r'\bdiffer\(f, "([^"]+)"', t))
    cfg_fields.update(re.findall(r'\bdiffers\(f, "([^"]+)"', t))
    if p.endswith("interp_diff.c"):
        diff_fields.update(re.findall(r'\bf = "([^"]+)"', t))
    if p.endswith("/interp.c") and re.search(r'"%s", "setup"|"setup"', t):
        names.add("setup")

def known(n):
    if n in names:
        return True
    pre, _, field = n.partition("/")
    if not field:
        return False
    return ((pre == "vm_struct" and field in vm_fields) or
            (pre == "config" and field in cfg_fields) or
            (pre == "diff" and field in diff_fields))

text = read(doc)
lines = text.split("\n")
if len(lines) >= 1000:
    bad.append("%s has %d lines (at most 999)" % (doc, len(lines)))

# Sections: "### `name`" up to the next heading of level <= 3.
sections = {}
cur = None
for ln in lines:
    h = re.match(r'^(#{1,3}) (.*)$', ln)
    if h:
        cur = None
        s = re.match(r'^### `([^`]+)`\s*$', ln)
        if s:
            cur = s.group(1)
            sections[cur] = []
        continue
    if cur is not None:
        sections[cur].append(ln)
for c in cmds:
    if c not in sections:
        bad.append("command `%s` has no section (### `%s`)" % (c, c))
    elif not any(l.startswith("|") for l in sections[c]):
        bad.append("the section of `%s` has no table" % c)
for k in bad_kinds:
    if "`%s`" % k not in "\n".join(sections.get("bad", [])):
        bad.append("the `bad` section does not name the kind `%s`" % k)

# Every backticked name in a `checks` column.
col = None
cited = 0
for i, ln in enumerate(lines, 1):
    if not ln.startswith("|"):
        col = None
        continue
    cells = [c.strip() for c in
             re.split(r'(?<!\\)\|', ln.strip()[1:].rstrip("|"))]
    if col is None:
        col = cells.index("checks") if "checks" in cells else -1
        continue
    if col < 0 or re.match(r'^[-: ]+$', "".join(cells)) or col >= len(cells):
        continue
    for n in re.findall(r'`([^`]+)`', cells[col]):
        cited += 1
        if not known(n):
            bad.append("line %d: `%s` is not a check the code reports" % (i, n))
if cited < 100:
    bad.append("only %d check names cited in checks columns" % cited)

for b in bad:
    print("outcomes_doc: FAIL: " + b, file=sys.stderr)
if not bad:
    print("outcomes_doc: ok: %d commands, %d bad kinds, %d check citations, %d check names known"
          % (len(cmds), len(bad_kinds), cited, len(names)))
sys.exit(1 if bad else 0)
EOF
}

if [ $bites = 0 ]; then
	check "$doc"
	exit $?
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# Without the vmalloc_huge section (up to the next heading).
awk '/^### `vmalloc_huge`/ { skip = 1; next } /^#/ { skip = 0 } !skip' \
	"$doc" >"$tmp/no_section.md"
# With a check name no code reports.
sed '0,/| `address`, `warning` |/s//| `address`, `no-such-check` |/' \
	"$doc" >"$tmp/bad_name.md"
status=0
for f in no_section bad_name; do
	if cmp -s "$doc" "$tmp/$f.md"; then
		echo "outcomes_doc: FAIL: the $f copy did not change the doc" >&2
		status=1
	elif check "$tmp/$f.md" 2>"$tmp/$f.err"; then
		echo "outcomes_doc: FAIL: the $f copy was accepted" >&2
		status=1
	else
		echo "outcomes_doc: the $f copy is refused: $(head -1 "$tmp/$f.err")"
	fi
done
exit $status
