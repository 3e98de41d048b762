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

. "$(dirname "$0")/callgrind_lib.sh"

a=$(cg_ir "$tmp/a" "$run" --callgrind "$n1")
b=$(cg_ir "$tmp/b" "$run" --callgrind "$n2")
cg_report "decap->route->encap" "$n1" "$a" "$n2" "$b"
