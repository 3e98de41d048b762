#!/bin/bash
# End-to-end benchmark: vgwd against the Linux kernel as the VXLAN gateway, in one
# namespace topology and one run (issue 6; a figure, not a test):
#
#   h1 --p1-- [gw] u2 ==== underlay ==== u1 [kv: vxlan100 + br0] --k2-- h2
#   10.0.0.1   gateway   192.168.N.2/.1     kernel VTEP (reference)     10.0.0.2
#
# Rows (each one in turn in the same gw namespace):
#   kernel   bridge br0 + vxlan device in gw (what vgw replaces)
#   vgw      vgwd, attachment and underlay on AF_PACKET (`io: packet`)
#   vgw-xdp  vgwd, attachment `io: xdp` and underlay `io: xdp` (AF_XDP; skipped if it
#            cannot attach)
#   vgw-tap  vgwd, attachment on AF_PACKET, underlay `io: tap`: u2 and vgwd's TAP in a
#            bridge ub that holds the address (runs of a TCP flow leave as tunnelled
#            TSO frames, which the kernel VTEP decapsulates whole)
#   ovs      Open vSwitch userspace datapath, only when ovs-vswitchd is installed
# Figures per row, each the median of RUNS:
#   pps_h1h2 / pps_h2h1  64-byte frames (60 + FCS) delivered at the sink: trafgen
#            (netsniff-ng) pinned to CPU0 sends from one host, the sink's rx counter is
#            read over WINDOW seconds after a WARMUP
#   tcp_h1h2 / tcp_h2h1  iperf3 TCP, one stream, hosts' offloads left at their defaults
#   cpu      CPU the gateway used during the h1->h2 frame window, in cores: vgwd's
#            utime+stime (/proc/PID/stat); for the kernel the softirq time of the whole
#            machine (/proc/stat), which is where a kernel bridge/VXLAN does its work
#   softirq  the machine's softirq time in that window (all rows, for comparison)
#   rtt_ms   ping h1 -> h2 average over 20 pings (latency added by the gateway)
# vgwd runs with one worker pinned to CPU1 (trafgen owns CPU0). Prints a table with
# the ratio vgw/kernel and one `RESULT row=.. metric=.. value=..` line per figure.
#
#   sudo bench/e2e.sh [BUILD_DIR=build]
#   env: RUNS=3 WARMUP=1 WINDOW=3 TCP_SECONDS=3 ROWS="kernel vgw vgw-xdp vgw-tap ovs"
#        GW_NICE=0 (e.g. -10 on a machine busy with other work: the kernel's softirq
#        work is not shared out by the scheduler, a user-space gateway is)
# Needs root, netsniff-ng (trafgen), iperf3, nftables. Removes everything it made, also on
# Ctrl-C or failure.
set -euo pipefail

BUILD=${1:-build}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
WINDOW=${WINDOW:-3}
TCP_SECONDS=${TCP_SECONDS:-3}
ROWS=${ROWS:-"kernel vgw vgw-xdp vgw-tap ovs"}
GW_NICE=${GW_NICE:-0}
VGWD=$BUILD/src/daemon/vgwd
VGWCTL=$BUILD/src/cli/vgwctl

[ "$(id -u)" = 0 ] || { echo "e2e.sh: needs root" >&2; exit 2; }
for tool in trafgen iperf3 ip bridge nft python3 taskset; do
  command -v "$tool" >/dev/null || { echo "e2e.sh: $tool not found" >&2; exit 2; }
done
[ -x "$VGWD" ] && [ -x "$VGWCTL" ] || { echo "e2e.sh: vgwd/vgwctl not built in $BUILD" >&2; exit 2; }
VGWD=$(readlink -f "$VGWD")
VGWCTL=$(readlink -f "$VGWCTL")

T=vgwe$$-
SUB=$((($$ % 200) + 20))
GW_IP=192.168.$SUB.2
KV_IP=192.168.$SUB.1
MAC_H1=02:00:00:00:01:01
MAC_H2=02:00:00:00:02:02
WORK=$(mktemp -d /tmp/vgw-e2e.XXXXXX)
HZ=$(getconf CLK_TCK)
PIDS=()
OVS_PIDS=()

cleanup() {
  set +e
  for p in "${PIDS[@]}" "${OVS_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}" "${OVS_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for r in h1 gw kv h2; do
    for p in $(ip netns pids "$T$r" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$T$r" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { local n=$1; shift; ip netns exec "$T$n" "$@"; }
log() { echo "# $*" >&2; }

# ---- topology ---------------------------------------------------------------
for r in h1 gw kv h2; do
  ip netns add "$T$r"
  ns "$r" ip link set lo up
  ns "$r" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "${T}h1" link add eth0 type veth peer name p1 netns "${T}gw"
ip -n "${T}gw" link add u2 mtu 1600 type veth peer name u1 mtu 1600 netns "${T}kv"
ip -n "${T}h2" link add eth0 type veth peer name k2 netns "${T}kv"
ip -n "${T}h1" link set eth0 address $MAC_H1
ip -n "${T}h2" link set eth0 address $MAC_H2
ip -n "${T}h1" addr add 10.0.0.1/24 dev eth0
ip -n "${T}h2" addr add 10.0.0.2/24 dev eth0
ip -n "${T}gw" addr add "$GW_IP/24" dev u2
ip -n "${T}kv" addr add "$KV_IP/24" dev u1
for l in "h1 eth0" "h2 eth0" "gw p1" "gw u2" "kv u1" "kv k2"; do
  set -- $l
  ip -n "$T$1" link set "$2" up
done

# A kernel VTEP: br0 + vxlan100 on DEV, flooding to REMOTE (head-end), ports bridged.
kernel_vtep() {
  local n=$1 dev=$2 local_ip=$3 remote=$4 port=$5
  shift 5
  ip -n "$T$n" link add br0 type bridge mcast_snooping 0
  ip -n "$T$n" link add vxlan100 type vxlan id 100 dstport 4789 local "$local_ip" dev "$dev" \
    srcport 49152 65535 "$@"
  ip -n "$T$n" link set vxlan100 mtu 1500
  for p in vxlan100 "$port"; do
    ip -n "$T$n" link set "$p" master br0
    ip -n "$T$n" link set "$p" up
  done
  ip -n "$T$n" link set br0 up
  bridge -n "$T$n" fdb append 00:00:00:00:00:00 dev vxlan100 dst "$remote"
}
kernel_vtep kv u1 "$KV_IP" "$GW_IP" k2

# 64-byte frames (60 + FCS): Ethernet SRC -> DST, IPv4 UDP SIP:1000 -> DIP:9, 18 bytes.
frame_cfg() {
  local dst=$1 src=$2 sip=$3 dip=$4
  python3 - "$dst" "$src" "$sip" "$dip" <<'PY'
import sys
dst, src, sip, dip = sys.argv[1:]
h = lambda m: ",".join("0x" + b for b in m.split(":"))
d = lambda a: ",".join(a.split("."))
print("{ %s, %s, c16(0x0800), 0x45, 0x00, c16(46), c16(0), c16(0), 64, 17, csumip(14, 33), "
      "%s, %s, c16(1000), c16(9), c16(26), c16(0), fill(0x5a, 18) }" % (h(dst), h(src), d(sip), d(dip)))
PY
}
frame_cfg $MAC_H2 $MAC_H1 10.0.0.1 10.0.0.2 >"$WORK/h1h2.cfg"
frame_cfg $MAC_H1 $MAC_H2 10.0.0.2 10.0.0.1 >"$WORK/h2h1.cfg"

# The sinks drop the blasts' frames (UDP to the discard port) at ingress, after the
# interface counted them: a sink that answered each with ICMP port unreachable would
# spend, on whichever CPU delivers to it, a route lookup per frame that is the
# host's cost, not the gateway's (every row alike).
for h in h1 h2; do
  ns "$h" nft -f - <<'NFT'
table netdev vgw_e2e_sink {
  chain ingress {
    type filter hook ingress device "eth0" priority 0; policy accept;
    udp dport 9 drop
  }
}
NFT
done

rx_packets() { ns "$1" cat /sys/class/net/eth0/statistics/rx_packets; }
tx_packets() { ns "$1" cat /sys/class/net/eth0/statistics/tx_packets; }
softirq_ticks() { awk '/^cpu /{print $8}' /proc/stat; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if(NR==0)print "nan"; else print a[int((NR+1)/2)]}'; }

# Hosts learn each other (both gateways' tables hold both MACs before the blasts).
warm_paths() {
  local i
  for i in $(seq 1 30); do
    ns h1 ping -c1 -W1 10.0.0.2 >/dev/null 2>&1 && break
    sleep 0.3
  done
  ns h1 ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null 2>&1 && ns h2 ping -c 2 -i 0.2 -W 1 10.0.0.1 >/dev/null 2>&1
}

# One frame-rate run: prints "pps cpu_cores softirq_cores".
GW_PID=
blast() {
  local src=$1 sink=$2 cfg=$3
  ip netns exec "$T$src" timeout -s INT $((WARMUP + WINDOW + 3)) taskset -c 0 \
    trafgen -P 1 -C --dev eth0 --conf "$cfg" >/dev/null 2>&1 &
  local tg=$!
  sleep "$WARMUP"
  local r0 s0 p0 t0 o0 r1 s1 p1 t1 o1
  r0=$(rx_packets "$sink"); s0=$(softirq_ticks); t0=$(date +%s.%N); o0=$(tx_packets "$src")
  p0=0; [ -n "$GW_PID" ] && p0=$(proc_ticks "$GW_PID")
  sleep "$WINDOW"
  r1=$(rx_packets "$sink"); s1=$(softirq_ticks); t1=$(date +%s.%N); o1=$(tx_packets "$src")
  p1=0; [ -n "$GW_PID" ] && p1=$(proc_ticks "$GW_PID")
  kill -INT "$tg" 2>/dev/null || true
  wait "$tg" 2>/dev/null || true
  sleep 0.3
  python3 -c "import sys; r0,r1,s0,s1,p0,p1,hz=map(float,sys.argv[1:8]); t0,t1,o0,o1=map(float,sys.argv[8:]); dt=t1-t0
print('%.0f %.3f %.3f %.0f' % ((r1-r0)/dt, (p1-p0)/hz/dt, (s1-s0)/hz/dt, (o1-o0)/dt))" \
    "$r0" "$r1" "$s0" "$s1" "$p0" "$p1" "$HZ" "$t0" "$t1" "$o0" "$o1"
}

# One iperf3 run: prints Gbit/s received. REVERSE=1: h2 -> h1.
iperf_run() {
  local reverse=$1 out
  ip netns exec "${T}h2" iperf3 -s -1 -B 10.0.0.2 >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  out=$(ns h1 timeout $((TCP_SECONDS + 15)) iperf3 -c 10.0.0.2 -t "$TCP_SECONDS" -O 1 -J \
    $([ "$reverse" = 1 ] && echo -R) 2>/dev/null || true)
  wait "$srv" 2>/dev/null || true
  python3 -c "import json,sys
try: print('%.2f' % (json.loads(sys.stdin.read())['end']['sum_received']['bits_per_second']/1e9))
except Exception: print('nan')" <<<"$out"
}

declare -A FIG
measure_row() {
  local row=$1 i a b c o o12 pps12=() pps21=() cpu=() soft=() t12=() t21=()
  if ! warm_paths; then
    log "$row: no ping across the gateway; row skipped"
    return 1
  fi
  for i in $(seq 1 "$RUNS"); do
    read -r a b c o12 < <(blast h1 h2 "$WORK/h1h2.cfg")
    pps12+=("$a"); cpu+=("$b"); soft+=("$c")
    read -r a b c o < <(blast h2 h1 "$WORK/h2h1.cfg")
    pps21+=("$a")
    log "$row run $i: h1->h2 ${pps12[-1]} pps of $o12 offered (gw ${cpu[-1]} cores," \
      "softirq ${soft[-1]}), h2->h1 $a pps of $o offered"
  done
  warm_paths || true
  FIG[$row,rtt_ms]=$(ns h1 ping -q -c 20 -i 0.05 -W 1 10.0.0.2 2>/dev/null |
    awk -F/ '/^rtt/{print $5}')
  FIG[$row,rtt_ms]=${FIG[$row,rtt_ms]:-nan}
  for i in $(seq 1 "$RUNS"); do
    t12+=("$(iperf_run 0)")
    t21+=("$(iperf_run 1)")
    log "$row run $i: tcp h1->h2 ${t12[-1]} Gbit/s, h2->h1 ${t21[-1]} Gbit/s"
  done
  FIG[$row,pps_h1h2]=$(echo "${pps12[*]}" | median)
  FIG[$row,pps_h2h1]=$(echo "${pps21[*]}" | median)
  FIG[$row,tcp_h1h2]=$(echo "${t12[*]}" | median)
  FIG[$row,tcp_h2h1]=$(echo "${t21[*]}" | median)
  if [ "$row" = kernel ]; then
    FIG[$row,cpu]=$(echo "${soft[*]}" | median)
  else
    FIG[$row,cpu]=$(echo "${cpu[*]}" | median)
  fi
  FIG[$row,softirq]=$(echo "${soft[*]}" | median)
}

# ---- rows ---------------------------------------------------------------------
row_kernel() {
  kernel_vtep gw u2 "$GW_IP" "$KV_IP" p1 noudpcsum
  GW_PID=
  measure_row kernel || true
  ip -n "${T}gw" link del vxlan100
  ip -n "${T}gw" link del br0
}

# row_vgw ROW IO [UNDERLAY_IO UNDERLAY_IF]: attachment p1 on IO, the underlay on
# UNDERLAY_IO (default IO) through UNDERLAY_IF (default u2).
row_vgw() {
  local row=$1 io=$2 uio=${3:-$2} uif=${4:-u2} cfg=$WORK/$1.yaml
  rm -rf "$WORK/state-$row"
  cat >"$cfg" <<EOF
node:
  name: e2e
  workers: 1
api:
  socket: $WORK/$row.sock
  http: ""
ports:
  - name: p1
    io: $io
underlay:
  interface: $uif
  io: $uio
vtep:
  source: $GW_IP
tenants:
  - name: t
networks:
  - name: web
    tenant: t
    vni: 100
    remotes: [$KV_IP]
    attachments:
      - port: p1
EOF
  ip netns exec "${T}gw" nice -n "$GW_NICE" taskset -c 1 "$VGWD" --config "$cfg" --state-dir "$WORK/state-$row" \
    --log-level warn >"$WORK/$row.log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  local i
  for i in $(seq 1 100); do
    kill -0 "$GW_PID" 2>/dev/null || break
    ns gw "$VGWCTL" --socket "$WORK/$row.sock" show vteps >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! kill -0 "$GW_PID" 2>/dev/null; then
    log "$row: vgwd did not start: $(tail -3 "$WORK/$row.log")"
    GW_PID=
    return 0
  fi
  measure_row "$row" || true
  # Where frames went: the kernel's count on p1 (what reached the gateway) against
  # vgwd's port counters (rx_dropped includes the ring's drops).
  ns gw "$VGWCTL" -j --socket "$WORK/$row.sock" show counters 2>/dev/null | python3 -c "import json,sys
d = json.load(sys.stdin)
d = d.get('data', d)
for p in d['ports'] + [dict(d['underlay'], name='underlay')]:
    print('# $row port %s: rx %d rx_dropped %d tx %d tx_dropped %d' % (p['name'], p['rx_packets'],
          p['rx_dropped'], p['tx_packets'], p['tx_dropped']))" >&2 || true
  log "$row p1 kernel rx_packets $(ns gw cat /sys/class/net/p1/statistics/rx_packets)" \
    "rx_dropped $(ns gw cat /sys/class/net/p1/statistics/rx_dropped)"
  # Drops seen (a starved worker shows up as rx_dropped on its ports instead).
  ns gw "$VGWCTL" -j --socket "$WORK/$row.sock" show drops 2>/dev/null | python3 -c "import json,sys
d = json.load(sys.stdin)
d = d.get('data', d) if isinstance(d, dict) else d
print('# $row drops: ' + (', '.join('%s %d' % (x['reason'], x['count']) for x in d if x['count']) or 'none'))" >&2 || true
  kill "$GW_PID" 2>/dev/null || true
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=
}

# The underlay bridge of the tap row, as an operator plumbs it: u2 and the TAP
# vgwtap (made persistent beforehand, as for a VM's vNIC, so vgwd finds its MTU at
# start and the membership survives restarts) in ub, which takes over u2's address
# (the kernel keeps it; vgwd receives there as in packet mode). Learning is off on
# the TAP: frames from vgwd carry ub's MAC as their source.
row_vgw_tap() {
  ip -n "${T}gw" link add ub type bridge mcast_snooping 0
  ip -n "${T}gw" addr del "$GW_IP/24" dev u2
  ip -n "${T}gw" link set u2 master ub
  ip -n "${T}gw" addr add "$GW_IP/24" dev ub
  ip -n "${T}gw" tuntap add dev vgwtap mode tap multi_queue vnet_hdr
  ip -n "${T}gw" link set vgwtap mtu 1600 master ub up
  bridge -n "${T}gw" link set dev vgwtap learning off
  ip -n "${T}gw" link set ub up
  ip -n "${T}kv" neigh flush dev u1
  row_vgw vgw-tap packet tap vgwtap
  # Frames vgwd wrote into the TAP (a tunnelled super-frame counts once) against the
  # packets its underlay port sent (printed above).
  log "vgw-tap vgwtap frames written $(ns gw cat /sys/class/net/vgwtap/statistics/rx_packets)" \
    "bytes $(ns gw cat /sys/class/net/vgwtap/statistics/rx_bytes)," \
    "frames the bridge handed it $(ns gw cat /sys/class/net/vgwtap/statistics/tx_packets)"
  ip -n "${T}gw" link del vgwtap
  ip -n "${T}gw" link del ub
  ip -n "${T}gw" addr add "$GW_IP/24" dev u2
  ip -n "${T}kv" neigh flush dev u1
}

row_ovs() {
  command -v ovs-vswitchd >/dev/null && command -v ovsdb-server >/dev/null || {
    log "ovs: ovs-vswitchd not installed; row skipped"
    return 0
  }
  local d=$WORK/ovs
  mkdir -p "$d"
  ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema >/dev/null
  ns gw ovsdb-server "$d/conf.db" --remote=punix:"$d/db.sock" --pidfile="$d/db.pid" \
    --unixctl="$d/db.ctl" --log-file="$d/db.log" --detach --no-chdir >/dev/null 2>&1
  OVS_PIDS+=("$(cat "$d/db.pid")")
  local vs="ovs-vsctl --db=unix:$d/db.sock"
  $vs --no-wait init
  ns gw taskset -c 1 ovs-vswitchd unix:"$d/db.sock" --pidfile="$d/vs.pid" \
    --unixctl="$d/vs.ctl" --log-file="$d/vs.log" --detach --no-chdir >/dev/null 2>&1
  OVS_PIDS+=("$(cat "$d/vs.pid")")
  GW_PID=$(cat "$d/vs.pid")
  ns gw $vs add-br br-e2e -- set bridge br-e2e datapath_type=netdev
  ns gw $vs add-port br-e2e p1
  ns gw $vs add-port br-e2e vx -- set interface vx type=vxlan \
    options:remote_ip="$KV_IP" options:local_ip="$GW_IP" options:key=100
  measure_row ovs || true
  ns gw $vs del-br br-e2e || true
  GW_PID=
}

log "topology $T*, underlay 192.168.$SUB.0/24, $RUNS runs, warm-up ${WARMUP}s, window ${WINDOW}s"
for row in $ROWS; do
  case $row in
    kernel) row_kernel ;;
    vgw) row_vgw vgw packet ;;
    vgw-xdp) row_vgw vgw-xdp xdp ;;
    vgw-tap) row_vgw_tap ;;
    ovs) row_ovs ;;
    *) log "unknown row $row" ;;
  esac
done

# ---- report -------------------------------------------------------------------
METRICS="pps_h1h2 pps_h2h1 tcp_h1h2 tcp_h2h1 cpu softirq rtt_ms"
printf '%-8s %12s %12s %10s %10s %8s %8s %8s\n' row "pps h1->h2" "pps h2->h1" "tcp h1->h2" \
  "tcp h2->h1" "cpu" softirq "rtt ms"
for row in kernel vgw vgw-xdp vgw-tap ovs; do
  [ -n "${FIG[$row,pps_h1h2]:-}" ] || continue
  printf '%-8s %12s %12s %10s %10s %8s %8s %8s\n' "$row" "${FIG[$row,pps_h1h2]}" \
    "${FIG[$row,pps_h2h1]}" "${FIG[$row,tcp_h1h2]}G" "${FIG[$row,tcp_h2h1]}G" \
    "${FIG[$row,cpu]}" "${FIG[$row,softirq]}" "${FIG[$row,rtt_ms]}"
done
for row in vgw vgw-xdp vgw-tap ovs; do
  [ -n "${FIG[$row,pps_h1h2]:-}" ] && [ -n "${FIG[kernel,pps_h1h2]:-}" ] || continue
  line="ratio $row/kernel:"
  for m in pps_h1h2 pps_h2h1 tcp_h1h2 tcp_h2h1; do
    line+=" $m $(python3 -c "import sys
a,b=map(float,sys.argv[1:]); print('%.2fx' % (a/b) if b > 0 else 'nan')" "${FIG[$row,$m]}" "${FIG[kernel,$m]}")"
  done
  echo "$line"
done
for row in kernel vgw vgw-xdp vgw-tap ovs; do
  [ -n "${FIG[$row,pps_h1h2]:-}" ] || continue
  for m in $METRICS; do
    echo "RESULT row=$row metric=$m value=${FIG[$row,$m]}"
  done
done
