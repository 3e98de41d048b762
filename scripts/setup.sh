#!/usr/bin/env bash
# Installs everything vgw needs to build, test and run its demo on a fresh Debian
# machine. Idempotent: packages already present are skipped by apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

pkgs=(
  # toolchain
  build-essential g++ clang cmake ninja-build clang-format pkg-config
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libmnl-dev liburcu-dev libxdp-dev libbpf-dev libcpp-httplib-dev
  # network tools used by the tests, the demo and the benchmarks
  iproute2 iputils-ping tshark tcpdump iperf3 python3-scapy netsniff-ng nftables
  ethtool valgrind procps psmisc python3-pytest frr gobgpd traceroute wrk curl
  # the Fabric Manager page's browser test (Node.js/npm: see below)
  chromium
)

missing=()
# Node.js with npm for the web page's build and browser test: a machine may already
# carry a Node.js that bundles npm (NodeSource); only a machine without npm gets Debian's.
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
