#!/usr/bin/env bash
# README command 1: installs what is missing, builds vgwd and vgwctl, and starts the
# demo fabric (lab/vgw-lab up: namespaces vgw-h1, vgw-gw, vgw-kv, vgw-h2, ...), then
# shows a ping crossing the tunnel and vgwd's FDB. Running it again rebuilds the lab
# from scratch; `lab/vgw-lab down` removes it. Extra arguments go to `vgw-lab up`:
#   --io socket             the issue-2 fabric with vgwd's UDP-socket underlay
#   --fabric leaf-spine     the EVPN leaf-spine fabric instead (namespaces vls-*): two
#                           FRR spines, two vgwd leaves and a kernel VXLAN + FRR leaf,
#                           hosts in VNI 100 and 200 pinging across every leaf
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
# The same build dir and flags as scripts/test.sh, so the two share one build.
[[ -f build/build.ninja ]] || cmake -G Ninja -S . -B build -DVGW_WERROR=ON
ninja -C build -j"${JOBS:-2}" vgwd vgwctl
exec lab/vgw-lab up "$@"
