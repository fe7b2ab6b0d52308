#!/usr/bin/env bash
# make bench: run every benchmark of the release build and print figures.
# Benchmarks never pass or fail; they print numbers to compare over time.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/release
for b in "$build"/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
done
for s in bench/*.sh; do
	[ -f "$s" ] || continue
	echo "== $(basename "$s")"
	bash "$s"
done
