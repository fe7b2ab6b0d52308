#!/usr/bin/env bash
# The continuous-fuzzing files (issue 16) parse and say what they must:
# the ClusterFuzzLite workflows (PR fuzzing in code-change mode with ASan
# and UBSan, continuous builds, batch fuzzing, pruning, coverage), the
# ClusterFuzzLite and OSS-Fuzz project files, their Dockerfiles and the
# .dockerignore that keeps build trees out of the image.
#   tests/test_ci_files.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null || { echo "test_ci_files: FAIL: python3 is missing" >&2; exit 1; }
python3 -c 'import yaml' 2>/dev/null ||
	{ echo "test_ci_files: FAIL: python3-yaml is missing (tools/ensure-deps.sh test installs it)" >&2; exit 1; }
python3 - "$src" <<'EOF'
import os, sys, yaml
src = sys.argv[1]
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)
def load(path):
    with open(os.path.join(src, path)) as f:
        return yaml.safe_load(f)

wf_dir = os.path.join(src, ".github/workflows")
flows = {}
for name in sorted(os.listdir(wf_dir)):
    if name.endswith((".yml", ".yaml")):
        flows[name] = load(".github/workflows/" + name)
# The runs of run_fuzzers: (workflow, mode, sanitizers of the job).
runs = []
for name, wf in flows.items():
    check(isinstance(wf, dict) and "jobs" in wf, name + ": no jobs")
    # YAML 1.1 reads the key 'on' as True.
    on = wf.get("on", wf.get(True))
    check(on, name + ": no trigger")
    for jname, job in wf.get("jobs", {}).items():
        matrix = job.get("strategy", {}).get("matrix", {}).get("sanitizer")
        steps = job.get("steps", [])
        uses = [s.get("uses", "") for s in steps]
        check("google/clusterfuzzlite/actions/build_fuzzers@v1" in uses,
              f"{name}/{jname}: no build_fuzzers@v1 step")
        for s in steps:
            w = s.get("with", {})
            if s.get("uses", "").startswith("google/clusterfuzzlite/actions/build_fuzzers"):
                check(w.get("language") == "c", f"{name}/{jname}: build_fuzzers language is not c")
            if s.get("uses", "").startswith("google/clusterfuzzlite/actions/run_fuzzers"):
                check(s["uses"].endswith("@v1"), f"{name}/{jname}: run_fuzzers not @v1")
                san = w.get("sanitizer")
                sans = matrix if san == "${{ matrix.sanitizer }}" else [san]
                check(isinstance(w.get("fuzz-seconds"), int) and w["fuzz-seconds"] > 0,
                      f"{name}/{jname}: fuzz-seconds")
                runs.append((name, w.get("mode"), sans))
modes = {}
for name, mode, sans in runs:
    modes.setdefault(mode, set()).update(sans or [])
check({"address", "undefined"} <= modes.get("code-change", set()),
      "PR fuzzing: code-change mode with address and undefined: %r" % modes.get("code-change"))
check({"address", "undefined"} <= modes.get("batch", set()), "batch fuzzing with address and undefined")
check("prune" in modes, "no corpus pruning (mode prune)")
check(modes.get("coverage") == {"coverage"}, "coverage mode with the coverage sanitizer")
pr = [n for n, m, _ in runs if m == "code-change"]
check(all("pull_request" in (flows[n].get("on") or flows[n].get(True)) for n in pr),
      "code-change mode outside a pull_request workflow")
check(any(s.get("with", {}).get("upload-build") for wf in flows.values()
          for j in wf["jobs"].values() for s in j.get("steps", [])),
      "no continuous build (upload-build: true) for code-change mode")

cfl = load(".clusterfuzzlite/project.yaml")
check(cfl.get("language") == "c", ".clusterfuzzlite/project.yaml: language c")
oss = load("oss-fuzz/project.yaml")
check(oss.get("language") == "c", "oss-fuzz/project.yaml: language c")
check({"address", "undefined"} <= set(oss.get("sanitizers", [])), "oss-fuzz: sanitizers")
check({"libfuzzer", "afl"} <= set(oss.get("fuzzing_engines", [])), "oss-fuzz: engines")
for k in ("main_repo", "primary_contact", "homepage"):
    check(oss.get(k), "oss-fuzz/project.yaml: " + k)
dock = open(os.path.join(src, "oss-fuzz/Dockerfile")).read()
check("FROM gcr.io/oss-fuzz-base/base-builder" in dock, "oss-fuzz/Dockerfile: base-builder")
check("git clone" in dock and "$SRC/vmfuzz" in dock, "oss-fuzz/Dockerfile: builds from a clone")
check("COPY build.sh $SRC/" in dock, "oss-fuzz/Dockerfile: COPY build.sh")
cdock = open(os.path.join(src, ".clusterfuzzlite/Dockerfile")).read()
check("base-builder" in cdock and "COPY . $SRC/vmfuzz" in cdock, ".clusterfuzzlite/Dockerfile")
ign = [l.strip() for l in open(os.path.join(src, ".dockerignore")) if l.strip() and not l.startswith("#")]
check(any(l.rstrip("/") == "build" for l in ign), ".dockerignore: build/ not excluded")
for sh in ("oss-fuzz/build.sh", ".clusterfuzzlite/build.sh"):
    check(os.access(os.path.join(src, sh), os.X_OK) and
          "$SRC/vmfuzz/build.sh" in open(os.path.join(src, sh)).read(), sh)
if bad:
    for b in bad:
        print("test_ci_files: FAIL:", b, file=sys.stderr)
    sys.exit(1)
print("test_ci_files: %d workflows (%s), CFLite and OSS-Fuzz project files OK"
      % (len(flows), ", ".join(sorted(str(m) for m in modes))))
EOF
