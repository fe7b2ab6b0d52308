#!/bin/bash -eu
# ClusterFuzzLite calls $SRC/build.sh: the project's own build.sh does it.
exec "$SRC/vmfuzz/build.sh"
