#!/bin/sh
# Instructions per packet of the pipeline (issue 2 target: <= 300 each way;
# issue 6: <= 200), measured by callgrind over the benchmark workload (64-byte
# frames, 64K flows, 1M FDB entries). Instrumentation is on only around the
# packet loop, and two packet counts are subtracted so that any fixed cost
# (first batch, loop exit) cancels: Ir(N2) - Ir(N1) / (N2 - N1). Printed for
# the pipeline alone (from a received batch to the batches handed to Port::send)
# and with the in-memory ports that feed and drain it (callgrind_lib.sh).
#
#   bench/callgrind.sh [BUILD_DIR]     (default: build)
set -eu
build=${1:-build}
run=$build/bench/vgw_pipeline_run
[ -x "$run" ] || { echo "missing $run: build the vgw_pipeline_run target" >&2; exit 1; }
n1=${VGW_CALLGRIND_N1:-25600}
n2=${VGW_CALLGRIND_N2:-51200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/callgrind_lib.sh"

for dir in encap decap; do
  a=$(cg_ir "$tmp/a" "$run" "$dir" "$n1")
  b=$(cg_ir "$tmp/b" "$run" "$dir" "$n2")
  cg_report "$dir" "$n1" "$a" "$n2" "$b"
done
