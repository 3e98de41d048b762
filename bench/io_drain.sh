#!/bin/sh
# Drain rate of one worker per receive backend, in the same run (a figure, not a
# test): trafgen blasts 64-byte frames (60 + FCS) into a veth from namespace B,
# bench/io_drain.cc drains the other end in namespace A with AF_PACKET (alone, then
# in a fanout group as vgwd opens it), then AF_XDP with native then generic XDP
# (MODES= picks), for SECONDS each, and the received pps of each is printed with
# the offered rate.
# trafgen runs on CPU0 and the drain on CPU1. Needs root and netsniff-ng.
# On a veth the kernel's receive work (AF_PACKET ring copy, or veth's XDP path and
# the copy into the UMEM) runs on the sender's CPU, so the offered rate is part of
# the result. VGW_DRAIN_SPIN=1 makes the drain busy-poll instead of sleeping.
#   bench/io_drain.sh [BUILD_DIR=build] [SECONDS=5]
set -eu
BUILD=${1:-build}
SECONDS_=${2:-5}
BIN=$BUILD/bench/vgw_io_drain
[ -x "$BIN" ] || BIN=$BUILD/vgw_io_drain
[ -x "$BIN" ] || { echo "vgw_io_drain not built in $BUILD" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }

TAG=vgwbd$$
NA=${TAG}A NB=${TAG}B IA=${TAG}a IB=${TAG}b
CFG=$(mktemp)
cleanup() {
  [ -n "${TG:-}" ] && kill -INT "$TG" 2>/dev/null || true
  ip netns del "$NA" 2>/dev/null || true
  ip netns del "$NB" 2>/dev/null || true
  rm -f "$CFG"
}
trap cleanup EXIT INT TERM
ip netns add "$NA"
ip netns add "$NB"
ip link add "$IA" netns "$NA" type veth peer name "$IB" netns "$NB"
ip -n "$NA" link set "$IA" up
ip -n "$NB" link set "$IB" up

# Ethernet 02:..:aa:01 <- 02:..:bb:01, IPv4 10.99.0.2 -> 10.99.0.1, UDP 1000 -> 9, 18 bytes.
cat >"$CFG" <<'CFG'
{ 0x02,0x00,0x00,0x00,0xaa,0x01, 0x02,0x00,0x00,0x00,0xbb,0x01, c16(0x0800),
  0x45, 0x00, c16(46), c16(0), c16(0), 64, 17, csumip(14, 33),
  10, 99, 0, 2, 10, 99, 0, 1,
  c16(1000), c16(9), c16(26), c16(0),
  fill(0x5a, 18) }
CFG

tx_packets() { ip netns exec "$NB" cat "/sys/class/net/$IB/statistics/tx_packets"; }

for mode in ${MODES:-packet packet-fanout xdp xdp-generic}; do
  # timeout signals trafgen's whole process group (trafgen forks its sender).
  ip netns exec "$NB" timeout -s INT $((SECONDS_ + 4)) taskset -c 0 \
    trafgen -P 1 -C --dev "$IB" --conf "$CFG" >/dev/null 2>&1 &
  TG=$!
  sleep 1
  t0=$(tx_packets)
  s0=$(date +%s.%N)
  ip netns exec "$NA" taskset -c 1 "$BIN" "$mode" "$IA" "$SECONDS_" 1
  t1=$(tx_packets)
  s1=$(date +%s.%N)
  wait "$TG" 2>/dev/null || true
  TG=
  echo "  offered by trafgen: $(echo "($t1 - $t0) / ($s1 - $s0)" | bc) pps"
done
