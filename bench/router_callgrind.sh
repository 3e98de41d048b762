#!/bin/sh
# Instructions per routed packet (issue 3 target: <= 400) for decap -> route ->
# encap between two VNIs with 1M IPv4 routes in the tenant's table, measured by
# callgrind around the packet loop only; two packet counts are subtracted so
# fixed costs cancel: (Ir(N2) - Ir(N1)) / (N2 - N1).
#
#   bench/router_callgrind.sh [BUILD_DIR]     (default: build)
set -eu
build=${1:-build}
run=$build/bench/vgw_router_bench
[ -x "$run" ] || { echo "missing $run: build the vgw_router_bench target" >&2; exit 1; }
n1=${VGW_CALLGRIND_N1:-25600}
n2=${VGW_CALLGRIND_N2:-51200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ir() {  # ir PACKETS -> total instructions executed inside the loop
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/out" \
    "$run" --callgrind "$1" >"$tmp/stdout" 2>"$tmp/stderr" || {
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
  }
  grep '^totals:' "$tmp/out" | awk '{print $2}'
}

a=$(ir "$n1")
b=$(ir "$n2")
awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
  'BEGIN { printf "decap->route->encap: %.1f instructions/packet (Ir %d over %d packets, %d over %d)\n", (b - a) / (n2 - n1), a, n1, b, n2 }'
