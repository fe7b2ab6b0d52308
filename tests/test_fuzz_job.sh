#!/usr/bin/env bash
# tools/fuzz-job.sh and the Makefile's variable checks (issue 16), with
# stand-in engines so that the test takes seconds and needs no AFL++:
#   - bad FUZZ_SECONDS / JOBS / PROGRESS_SECONDS / TARGET stop at once;
#   - a libFuzzer job prints progress lines, writes stats.jsonl, and
#     `vmfuzz plot` turns it into well-formed SVG;
#   - an AFL++ job whose CmpLog process escapes to its own session and
#     stops itself (as afl-cmplog did) leaves nothing running;
#   - `vmfuzz plot` reads AFL++'s plot_data.
#   tests/test_fuzz_job.sh VMFUZZ SCRATCH_DIR
set -uo pipefail
cli=$1
scratch=$2
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$scratch"
mkdir -p "$scratch/build/corpus/main" "$scratch/bin" "$scratch/cmplog"
fails=0
fail() { echo "test_fuzz_job: FAIL: $*" >&2; fails=$((fails + 1)); }

# ---- variables: a clear message, exit 2, nothing run -------------------
bad_var() { # VAR=VALUE... ; the job must refuse within seconds
	local rc=0
	env "$@" BUILD="$scratch/build" WORK="$scratch/w-bad" timeout 20 \
		"$src/tools/fuzz-job.sh" libfuzzer >"$scratch/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "fuzz-job $* exited $rc, expected 2: $(head -c 300 "$scratch/out")"
	grep -q "${1%%=*}" "$scratch/out" || fail "fuzz-job $*: the message does not name ${1%%=*}"
	[ -e "$scratch/w-bad" ] && fail "fuzz-job $*: work dir made"
}
bad_var FUZZ_SECONDS=0
bad_var FUZZ_SECONDS=abc
bad_var FUZZ_SECONDS=
bad_var FUZZ_SECONDS=99999999999999999999
bad_var JOBS=0
bad_var JOBS=-3
bad_var PROGRESS_SECONDS=x
bad_var TARGET=nope
grep -q 'valid: .*main' "$scratch/out" || fail "TARGET=nope does not list the targets"
# The Makefile checks before building (deps, cmake) anything.
for v in FUZZ_SECONDS=0 FUZZ_SECONDS=abc JOBS=0 TARGET=nope PROGRESS_SECONDS=0; do
	rc=0
	timeout 60 make -s -C "$src" fuzz "$v" >"$scratch/out" 2>&1 || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "make fuzz $v exited $rc"
	grep -q "${v%%=*}" "$scratch/out" || fail "make fuzz $v: no message naming ${v%%=*}"
	grep -q 'nothing was run' "$scratch/out" || fail "make fuzz $v: $(head -c 200 "$scratch/out")"
done
rc=0
timeout 60 make -s -C "$src" corpus-min ENGINE=honggfuzz >"$scratch/out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q ENGINE "$scratch/out" || fail "make corpus-min ENGINE=honggfuzz"
rc=0
timeout 60 make -s -C "$src" coverage CORPUS="$scratch/none" >"$scratch/out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q CORPUS "$scratch/out" || fail "make coverage CORPUS=missing"

# ---- stand-in libFuzzer: progress, stats, plot -------------------------
cat >"$scratch/build/fuzz_main" <<'EOF'
#!/usr/bin/env bash
t=0 art=
for a; do case $a in -max_total_time=*) t=${a#*=} ;; -artifact_prefix=*) art=${a#*=} ;; esac; done
[ "$t" -gt 0 ] || t=100000 # libFuzzer: 0 is no limit
s=$(date +%s) i=0
while [ $(($(date +%s) - s)) -lt "$t" ]; do
	i=$((i + 1))
	echo "#$((i * 1000)): cov: $((100 + i)) ft: $((300 + 2 * i)) corp: $((10 + i)) exec/s 2000 oom/timeout/crash: 0/0/0 time: $(($(date +%s) - s))s job: $i dft_time: 0"
	[ "$i" = 2 ] && printf 'x' >"${art}crash-0001"
	[ "$i" = 3 ] && printf 'yy' >"${art}crash-0002"
	sleep 0.25
done
EOF
cat >"$scratch/build/fuzz_main_replay" <<'EOF'
#!/bin/sh
echo "vmfuzz: the shadow model disagrees with the library" >&2
echo "SIGNATURE: cache/purge" >&2
exit 1
EOF
# The libFuzzer job runs the structure-aware mutator's binary by default
# (VMF_MUTATOR=structure): the same stand-in under its name.
cp "$scratch/build/fuzz_main" "$scratch/build/fuzz_main_sm"
chmod +x "$scratch/build/fuzz_main" "$scratch/build/fuzz_main_sm" \
	"$scratch/build/fuzz_main_replay"
printf 'seed' >"$scratch/build/corpus/main/seed"
work=$scratch/w-lf
rc=0
BUILD=$scratch/build WORK=$work FUZZ_SECONDS=4 JOBS=1 PROGRESS_SECONDS=1 TARGET=main \
	timeout 60 "$src/tools/fuzz-job.sh" libfuzzer >"$scratch/lf.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "libFuzzer job exited $rc: $(tail -n 5 "$scratch/lf.out")"
n=$(grep -cE '^\[ *[0-9]+s\] execs [0-9,]+ \([0-9,]+/s\)  cov [0-9]+  ft [0-9]+  corpus [0-9]+  crashes [0-9]+' "$scratch/lf.out" || true)
[ "$n" -ge 3 ] || fail "libFuzzer job: $n progress lines, expected >= 3: $(head -n 8 "$scratch/lf.out")"
grep -qE 'crashes 2 \(1 group\)' "$scratch/lf.out" || fail "no 'crashes 2 (1 group)' in the progress"
grep -q '^executions:' "$scratch/lf.out" || fail "no summary"
stats=$work/stats.jsonl
[ "$(grep -c . "$stats" 2>/dev/null)" -ge 3 ] || fail "stats.jsonl: fewer than 3 records"
if command -v python3 >/dev/null; then
	python3 - "$stats" <<'EOF' || fail "stats.jsonl is not JSON lines with the fields"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = {"time", "execs", "execs_per_sec", "edges", "features", "corpus", "crashes", "crash_groups"}
assert all(keys <= set(r) for r in recs), recs[0]
assert recs[-1]["edges"] > recs[0]["edges"] and recs[-1]["crashes"] == 2, recs[-1]
assert all(r["execs_per_sec"] == 2000 for r in recs), recs
assert all(a["time"] <= b["time"] for a, b in zip(recs, recs[1:]))
EOF
fi

# well_formed SVG: python3's XML parser when there is one, else a check
# of the root element and of balanced polylines.
well_formed() {
	if command -v python3 >/dev/null; then
		python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
assert r.tag == "{http://www.w3.org/2000/svg}svg", r.tag
lines = r.findall("{http://www.w3.org/2000/svg}polyline")
assert len(lines) == 2 and all(len(l.get("points").split()) >= int(sys.argv[2]) for l in lines)
' "$1" "$2"
	else
		head -n 2 "$1" | grep -q '<svg xmlns="http://www.w3.org/2000/svg"' &&
			tail -n 1 "$1" | grep -qx '</svg>' && [ "$(grep -c '<polyline' "$1")" = 2 ]
	fi
}
rc=0
"$cli" plot "$stats" -o "$scratch/lf.svg" >"$scratch/plot.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "vmfuzz plot stats.jsonl exited $rc: $(cat "$scratch/plot.out")"
well_formed "$scratch/lf.svg" 3 || fail "the SVG of stats.jsonl is not well-formed"

# ---- stand-in AFL++: nothing left running ---------------------------------
cat >"$scratch/bin/afl-fuzz" <<'EOF'
#!/usr/bin/env bash
out= name= secs=5 cmplog=
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;; -M|-S) name=$2; shift ;; -V) secs=$2; shift ;;
	-c) cmplog=$2; shift ;; -i|-t|-m|-x|-l) shift ;; --) break ;;
	esac
	shift
done
d=$out/$name
mkdir -p "$d/queue" "$d/crashes"
if [ -n "$cmplog" ]; then
	# A CmpLog fork server that leaves the process group and stops.
	setsid bash -c 'echo $$ >"$0"; kill -STOP $$; sleep 1000' "$d/cmplog.pid" &
fi
echo "# relative_time, cycles_done, cur_item, corpus_count, pending_total, pending_favs, map_size, saved_crashes, saved_hangs, max_depth, execs_per_sec, total_execs, edges_found" >"$d/plot_data"
s=$(date +%s) i=0
while [ $(($(date +%s) - s)) -lt "$secs" ]; do
	i=$((i + 1))
	echo "$i, 0, 0, $((5 + i)), 0, 0, 1.5%, 0, 0, 1, 1500.00, $((i * 1500)), $((50 + i))" >>"$d/plot_data"
	printf 'execs_done        : %d\nexecs_per_sec     : 1500.00\ncorpus_count      : %d\nedges_found       : %d\nbitmap_cvg        : 1.5%%\nsaved_crashes     : 0\n' \
		$((i * 1500)) $((5 + i)) $((50 + i)) >"$d/fuzzer_stats"
	# What a reader catches mid-rewrite (CI stop 22): keys, no values.
	[ "$i" -gt 4 ] || printf 'execs_done        :\nexecs_per_sec     :\ncorpus_count      : x\nedges_found       :\n' >"$d/fuzzer_stats"
	sleep 0.5
done
exit 0
EOF
chmod +x "$scratch/bin/afl-fuzz"
cp "$scratch/build/fuzz_main" "$scratch/cmplog/fuzz_main"
touch "$scratch/cmplog/fuzz_main"
work=$scratch/w-afl
rc=0
PATH=$scratch/bin:$PATH BUILD=$scratch/build CMPLOG_BUILD=$scratch/cmplog WORK=$work \
	FUZZ_SECONDS=3 JOBS=2 PROGRESS_SECONDS=1 TARGET=main \
	timeout 60 "$src/tools/fuzz-job.sh" afl >"$scratch/afl.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "AFL++ job exited $rc: $(tail -n 5 "$scratch/afl.out")"
grep -qE '^\[ *[0-9]+s\] execs [0-9,]+' "$scratch/afl.out" || fail "AFL++ job: no progress line"
pidf=$work/sync/s1/cmplog.pid
if [ -s "$pidf" ]; then
	p=$(cat "$pidf")
	sleep 0.5
	st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || true)
	if [ -n "$st" ] && [ "$st" != Z ]; then
		fail "the CmpLog stand-in ($p, state $st) outlived the job"
		kill -KILL "$p" 2>/dev/null
	fi
else
	fail "the AFL++ stand-in did not start its CmpLog process"
fi
rc=0
"$cli" plot "$work/sync/main/plot_data" -o "$scratch/afl.svg" >"$scratch/plot.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "vmfuzz plot plot_data exited $rc: $(cat "$scratch/plot.out")"
well_formed "$scratch/afl.svg" 2 || fail "the SVG of plot_data is not well-formed"
[ "$(grep -c . "$work/stats.jsonl" 2>/dev/null)" -ge 2 ] || fail "AFL++ job: no stats.jsonl"

if [ "$fails" -gt 0 ]; then
	echo "test_fuzz_job: $fails failure(s)"
	exit 1
fi
echo "test_fuzz_job: variable checks, progress, stats, plot, cleanup OK"
