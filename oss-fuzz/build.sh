#!/bin/bash -eu
# OSS-Fuzz calls $SRC/build.sh: the project's own build.sh does the work
# (every fuzz/fuzz_*.c, with .dict, .options and seed corpora).
exec "$SRC/vmfuzz/build.sh"
