#!/usr/bin/env bash
# API load test (issue 5): the HTTP API under >= 1,000 requests/s from a loopback client
# while the data plane forwards, and proof that forwarding lost nothing to it.
#
#   sudo bash bench/api_load.sh [BUILD_DIR] [SECONDS]
#
# The work is in bench/api_load.py (it reuses tests/integration/topo.py); see there.
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-8}
REPO=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "api_load: needs root (network namespaces)"; exit 1; }
command -v wrk >/dev/null || { echo "api_load: needs wrk (Debian package wrk)"; exit 1; }
export VGWD=${VGWD:-$REPO/$BUILD/src/daemon/vgwd}
export VGWCTL=${VGWCTL:-$REPO/$BUILD/src/cli/vgwctl}
exec /usr/bin/python3 "$REPO/bench/api_load.py" "$SECS"
