#!/bin/sh
# Instructions per packet of the pipeline (issue 2 target: <= 300 each way;
# issue 6: <= 200), measured by callgrind over the benchmark workload (64-byte
# frames, 64K flows, 1M FDB entries). Instrumentation is on only around the
# packet loop, and two packet counts are subtracted so that any fixed cost
# (first batch, loop exit) cancels: Ir(N2) - Ir(N1) / (N2 - N1).
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

ir() {  # ir DIRECTION PACKETS -> total instructions executed inside the loop
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/out" \
    "$run" "$1" "$2" >"$tmp/stdout" 2>"$tmp/stderr" || {
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
  }
  grep '^totals:' "$tmp/out" | awk '{print $2}'
}

for dir in encap decap; do
  a=$(ir "$dir" "$n1")
  b=$(ir "$dir" "$n2")
  awk -v d="$dir" -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
    'BEGIN { printf "%s: %.1f instructions/packet (Ir %d over %d packets, %d over %d)\n", d, (b - a) / (n2 - n1), a, n1, b, n2 }'
done
