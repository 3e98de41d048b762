#!/bin/bash
# EVPN ingest benchmark (issue 4): vgwd and FRR's bgpd each take N type-2 routes
# from one iBGP peer (bench/evpn_feed.py, every UPDATE built before the session
# opens), in the same run. Figures per receiver and N: seconds from the first
# UPDATE sent to the last route counted (vgwd: `show evpn peers` routes_received
# and the FDB's EVPN entries in `show counters`; bgpd: pfxRcd of `show bgp l2vpn
# evpn summary json`), the CPU seconds each receiver used meanwhile (the figure to
# trust on a shared machine), and resident memory (VmRSS after - before) per route.
#
#   sudo bash bench/evpn_ingest.sh [BUILD_DIR] [N...]     (default: build 100000 1000000)
#
# Namespaces vgwb-<pid>-{feed,vgw,frr}, removed at exit. vgwd imports the routes
# into VNI 100 (route target 65000:100) and installs each as an FDB entry; bgpd
# has no VNI of its own (no zebra install), so it does less work than vgwd.
set -euo pipefail

BUILD=${1:-build}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(100000 1000000)
REPO=$(cd "$(dirname "$0")/.." && pwd)
VGWD=$REPO/$BUILD/src/daemon/vgwd
VGWCTL=$REPO/$BUILD/src/cli/vgwctl
FEED=$REPO/bench/evpn_feed.py
P=vgwb-$$
WORK=$(mktemp -d /tmp/vgw-evpn-ingest.XXXXXX)
chmod 755 "$WORK"
FEEDNS=$P-feed VGWNS=$P-vgw FRRNS=$P-frr
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for n in $FEEDNS $VGWNS $FRRNS; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "/var/run/frr/$P" "$WORK"
}
trap cleanup EXIT

[ -x "$VGWD" ] || { echo "no $VGWD (build it first)"; exit 1; }

for n in $FEEDNS $VGWNS $FRRNS; do
  ip netns add "$n"
  ip -n "$n" link set lo up
done
# feed --10.99.1.0/24-- vgw ; feed --10.99.2.0/24-- frr
ip -n $FEEDNS link add fv type veth peer name u0 netns $VGWNS
ip -n $FEEDNS link add ff type veth peer name f0 netns $FRRNS
ip -n $FEEDNS addr add 10.99.1.1/24 dev fv
ip -n $FEEDNS addr add 10.99.2.1/24 dev ff
ip -n $VGWNS addr add 10.99.1.2/24 dev u0
ip -n $FRRNS addr add 10.99.2.2/24 dev f0
for x in "$FEEDNS fv" "$FEEDNS ff" "$VGWNS u0" "$FRRNS f0"; do
  set -- $x
  ip -n "$1" link set "$2" up
done

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# CPU seconds (user + system, every thread) so far: the machine may be shared.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# ---- vgwd -------------------------------------------------------------------
cat >"$WORK/vgw.yaml" <<EOF
node: {name: bench, workers: 1}
api: {socket: $WORK/vgw.sock}
underlay: {interface: u0, io: socket}
vtep: {source: 10.99.1.2}
tenants: [{name: t}]
networks:
  - {name: n100, tenant: t, vni: 100, flood: evpn, mac-limit: 0}
evpn:
  asn: 65000
  hold-time: 180
  neighbors: [{address: 10.99.1.1, remote-as: 65000}]
EOF

# ---- FRR (zebra + bgpd, by hand) ----------------------------------------------
FRRDIR=$WORK/frr
mkdir -p "$FRRDIR" "/var/run/frr/$P"
chown frr:frr "$FRRDIR" "/var/run/frr/$P"
cat >"$FRRDIR/zebra.conf" <<EOF
hostname benchfrr
EOF
cat >"$FRRDIR/bgpd.conf" <<EOF
frr defaults datacenter
hostname benchfrr
router bgp 65000
 bgp router-id 10.99.2.2
 no bgp default ipv4-unicast
 neighbor 10.99.2.1 remote-as 65000
 neighbor 10.99.2.1 timers 60 180
 address-family l2vpn evpn
  neighbor 10.99.2.1 activate
 exit-address-family
EOF
chmod 644 "$FRRDIR"/*.conf
FRRCOMMON=(-N "$P" -z "$FRRDIR/zserv.api" --vty_socket "$FRRDIR" -u frr -g frr)
vtysh_j() { ip netns exec $FRRNS vtysh --vty_socket "$FRRDIR" -c "$1" 2>/dev/null; }

vgw_count() {
  "$VGWCTL" -j --socket "$WORK/vgw.sock" show evpn peers 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("data",d); print(d["peers"][0]["routes_received"])' 2>/dev/null || echo 0
}
vgw_fdb() {
  "$VGWCTL" -j --socket "$WORK/vgw.sock" show counters 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("data",d); print(d["fdb"]["entries"])' 2>/dev/null || echo 0
}
frr_count() {
  vtysh_j "show bgp l2vpn evpn summary json" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); p=d.get("peers") or d.get("l2VpnEvpn",{}).get("peers",{}); print(p.get("10.99.2.1",{}).get("pfxRcd",0))' 2>/dev/null || echo 0
}

# Waits until $2 (a command) prints >= $1; prints the seconds since $3 (epoch ns).
wait_count() {
  local want=$1 fn=$2 t0=$3 deadline=$((SECONDS + 900)) n
  while :; do
    n=$($fn)
    if [ "${n:-0}" -ge "$want" ]; then
      echo "scale=2; ($(date +%s%N) - $t0) / 1000000000" | bc
      return
    fi
    [ $SECONDS -gt $deadline ] && { echo "timeout($n)"; return; }
    sleep 0.2
  done
}

printf "%-8s %-8s %8s %8s %12s %14s\n" receiver N seconds cpu_s rss_delta_MB bytes_per_route
for N in "${COUNTS[@]}"; do
  # vgwd, fresh
  rm -rf "$WORK/state"
  ip netns exec $VGWNS "$VGWD" --config "$WORK/vgw.yaml" --state-dir "$WORK/state" \
    --log-level warn >"$WORK/vgwd.log" 2>&1 &
  VPID=$!
  PIDS+=($VPID)
  for _ in $(seq 50); do [ -S "$WORK/vgw.sock" ] && break; sleep 0.1; done
  sleep 0.5
  R0=$(rss_kb $VPID)
  C0=$(cpu_s $VPID)
  : >"$WORK/feed-vgw.err"
  ip netns exec $FEEDNS python3 "$FEED" --local 10.99.1.1 --peer 10.99.1.2 --count "$N" \
    >"$WORK/feed-vgw.out" 2>"$WORK/feed-vgw.err" &
  FPID=$!
  PIDS+=($FPID)
  # t0: the session is up and the first UPDATE leaves (the UPDATEs were built before).
  for _ in $(seq 3000); do grep -q established "$WORK/feed-vgw.err" && break; sleep 0.05; done
  T0=$(date +%s%N)
  S=$(wait_count "$N" vgw_count "$T0")
  SF=$(wait_count "$N" vgw_fdb "$T0")
  R1=$(rss_kb $VPID)
  C1=$(cpu_s $VPID)
  D=$((R1 - R0))
  printf "%-8s %-8s %8s %8s %12s %14s   (FDB complete after %s s)\n" vgwd "$N" "$S" \
    "$(echo "$C1 - $C0" | bc)" "$(echo "scale=1; $D/1024" | bc)" "$((D * 1024 / N))" "$SF"
  kill $FPID $VPID 2>/dev/null || true
  wait $FPID $VPID 2>/dev/null || true

  # bgpd, fresh
  rm -f "$FRRDIR"/*.pid "$FRRDIR"/*.vty "$FRRDIR/zserv.api"
  ip netns exec $FRRNS /usr/lib/frr/zebra -f "$FRRDIR/zebra.conf" -i "$FRRDIR/zebra.pid" \
    "${FRRCOMMON[@]}" >"$WORK/zebra.log" 2>&1 &
  ZPID=$!
  PIDS+=($ZPID)
  for _ in $(seq 50); do [ -S "$FRRDIR/zserv.api" ] && break; sleep 0.1; done
  ip netns exec $FRRNS /usr/lib/frr/bgpd -f "$FRRDIR/bgpd.conf" -i "$FRRDIR/bgpd.pid" \
    "${FRRCOMMON[@]}" >"$WORK/bgpd.log" 2>&1 &
  for _ in $(seq 50); do [ -f "$FRRDIR/bgpd.pid" ] && break; sleep 0.1; done
  BPID=$(cat "$FRRDIR/bgpd.pid")
  PIDS+=($BPID)
  sleep 0.5
  R0=$(rss_kb "$BPID")
  C0=$(cpu_s "$BPID")
  : >"$WORK/feed-frr.err"
  ip netns exec $FEEDNS python3 "$FEED" --local 10.99.2.1 --peer 10.99.2.2 --count "$N" \
    >"$WORK/feed-frr.out" 2>"$WORK/feed-frr.err" &
  FPID=$!
  PIDS+=($FPID)
  for _ in $(seq 3000); do grep -q established "$WORK/feed-frr.err" && break; sleep 0.05; done
  T0=$(date +%s%N)
  S=$(wait_count "$N" frr_count "$T0")
  R1=$(rss_kb "$BPID")
  C1=$(cpu_s "$BPID")
  D=$((R1 - R0))
  printf "%-8s %-8s %8s %8s %12s %14s\n" bgpd "$N" "$S" "$(echo "$C1 - $C0" | bc)" \
    "$(echo "scale=1; $D/1024" | bc)" "$((D * 1024 / N))"
  kill $FPID "$BPID" $ZPID 2>/dev/null || true
  wait $FPID $ZPID 2>/dev/null || true
  sleep 1
done
