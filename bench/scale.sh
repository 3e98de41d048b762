#!/bin/bash
# Scale benchmark (issue 6; a figure, not a test), in one run:
#   vgw N networks   for each N in SIZES: a configuration with N networks (VNI 1..N, one
#                    static remote each, bench/scale_config.py) given to a fresh vgwd;
#                    the time from exec to the log line `event=configured` (parse,
#                    validate, snapshot, persist) and VmRSS / VmHWM at that moment
#   vgw FDB          FDB_ENTRIES remote MACs added through the controller API
#                    (`fdb_add`, CHUNK entries per call, over the unix socket) to a
#                    vgwd with FDB_NETWORKS networks: time and VmRSS growth
#   kernel 4K        KERNEL_DEVICES vxlan devices (`ip -batch`: `link add vxlanN type
#                    vxlan id N ... nolearning`) in a namespace: time, and memory from
#                    /proc/meminfo (Slab and MemAvailable deltas; machine-wide, so noisy
#                    when other work runs)
# A size that exceeds LIMIT_MIB resident or TIMEOUT seconds is stopped and reported as
# such. Prints a table and one `RESULT ...` line per figure. Targets (issue 6): 1M
# networks applied in <= 10 s with <= 1 GiB resident.
#
#   sudo bench/scale.sh [BUILD_DIR=build]
#   env: SIZES="10000 100000 1000000" FDB_ENTRIES=1000000 FDB_NETWORKS=1000 CHUNK=100000
#        KERNEL_DEVICES=4096 LIMIT_MIB=4096 TIMEOUT=300
set -euo pipefail

BUILD=${1:-build}
SIZES=${SIZES:-"10000 100000 1000000"}
FDB_ENTRIES=${FDB_ENTRIES:-1000000}
FDB_NETWORKS=${FDB_NETWORKS:-1000}
CHUNK=${CHUNK:-100000}
KERNEL_DEVICES=${KERNEL_DEVICES:-4096}
LIMIT_MIB=${LIMIT_MIB:-4096}
TIMEOUT=${TIMEOUT:-300}
HERE=$(cd "$(dirname "$0")" && pwd)
VGWD=$BUILD/src/daemon/vgwd

[ "$(id -u)" = 0 ] || { echo "scale.sh: needs root" >&2; exit 2; }
[ -x "$VGWD" ] || { echo "scale.sh: vgwd not built in $BUILD" >&2; exit 2; }
VGWD=$(readlink -f "$VGWD")
VGWCTL=$(readlink -f "$BUILD/src/cli/vgwctl")

NS=vgws$$
KNS=vgws$$k
WORK=$(mktemp -d /tmp/vgw-scale.XXXXXX)
PID=

cleanup() {
  set +e
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  for n in "$NS" "$KNS"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "# $*" >&2; }

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add u0 type veth peer name u1
ip -n "$NS" addr add 192.168.77.2/24 dev u0
ip -n "$NS" addr add 192.168.77.1/24 dev u1
ip -n "$NS" link set u0 up
ip -n "$NS" link set u1 up

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# Starts vgwd on config $1 and waits for `event=configured`. Sets PID, T_CONF (seconds
# or "over-limit"/"timeout"/"failed"), RSS_MIB and HWM_MIB.
start_vgwd() {
  local cfg=$1 tag=$2 t0 t1 rss
  rm -rf "$WORK/state"
  mkdir -p "$WORK/state"
  t0=$(now)
  ip netns exec "$NS" "$VGWD" --config "$cfg" --state-dir "$WORK/state" --log-level info \
    >"$WORK/$tag.log" 2>&1 &
  PID=$!
  T_CONF=
  while :; do
    if grep -qs "event=configured" "$WORK/$tag.log"; then
      t1=$(now)
      T_CONF=$(elapsed "$t0" "$t1")
      break
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
      T_CONF=failed
      log "$tag: vgwd exited: $(tail -2 "$WORK/$tag.log")"
      break
    fi
    rss=$(status_kib "$PID" VmRSS)
    if [ "${rss:-0}" -gt $((LIMIT_MIB * 1024)) ]; then
      T_CONF=over-limit
      break
    fi
    if [ "$(elapsed "$t0" "$(now)" | cut -d. -f1)" -ge "$TIMEOUT" ]; then
      T_CONF=timeout
      break
    fi
    sleep 0.05
  done
  RSS_MIB=$(($(status_kib "$PID" VmRSS) / 1024))
  HWM_MIB=$(($(status_kib "$PID" VmHWM) / 1024))
}

stop_vgwd() {
  [ -n "$PID" ] || return 0
  kill "$PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
}

gen() {
  python3 "$HERE/scale_config.py" "$1" "$2" --socket "$WORK/vgw.sock" --underlay u0 \
    --source 192.168.77.2 --remote 192.168.77.1
}

declare -a ROWS=()
row() { ROWS+=("$*"); }

# ---- vgw: N networks ------------------------------------------------------------
for n in $SIZES; do
  gen "$n" "$WORK/n$n.yaml"
  log "networks $n: config $(($(stat -c %s "$WORK/n$n.yaml") / 1048576)) MiB, starting vgwd"
  start_vgwd "$WORK/n$n.yaml" "n$n"
  row "vgw networks=$n applied_s=$T_CONF rss_mib=$RSS_MIB hwm_mib=$HWM_MIB"
  log "networks $n: $T_CONF s, VmRSS $RSS_MIB MiB, VmHWM $HWM_MIB MiB"
  stop_vgwd
  # The same configuration applied to a running vgwd (one network) with `vgwctl apply`:
  # the request, validate, diff, snapshot, persist and the reply, as an operator sees it.
  gen 1 "$WORK/one.yaml"
  start_vgwd "$WORK/one.yaml" "one$n"
  if [[ "$T_CONF" =~ ^[0-9.]+$ ]]; then
    t0=$(now)
    if ip netns exec "$NS" "$VGWCTL" --socket "$WORK/vgw.sock" apply -f "$WORK/n$n.yaml" \
      >"$WORK/apply$n.out" 2>&1; then
      t_apply=$(elapsed "$t0" "$(now)")
    else
      t_apply=failed
      log "vgwctl apply $n: $(tail -c 300 "$WORK/apply$n.out")"
    fi
    row "vgw networks=$n via=vgwctl_apply applied_s=$t_apply" \
      "rss_mib=$(($(status_kib "$PID" VmRSS) / 1024)) hwm_mib=$(($(status_kib "$PID" VmHWM) / 1024))"
  fi
  stop_vgwd
  rm -f "$WORK/n$n.yaml" "$WORK/one.yaml" "$WORK/apply$n.out"
done

# ---- vgw: FDB entries through the controller API ------------------------------------
gen "$FDB_NETWORKS" "$WORK/fdb.yaml"
start_vgwd "$WORK/fdb.yaml" fdb
if [[ "$T_CONF" =~ ^[0-9.]+$ ]]; then
  rss0=$RSS_MIB
  fdb_s=$(ip netns exec "$NS" python3 - "$WORK/vgw.sock" "$FDB_ENTRIES" "$FDB_NETWORKS" "$CHUNK" <<'PY'
import json, socket, sys, time
path, total, nets, chunk = sys.argv[1], *map(int, sys.argv[2:])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rb")
# Requests are built before the clock starts: the figure is vgwd's, not Python's.
reqs = []
for base in range(0, total, chunk):
    entries = []
    for i in range(base, min(total, base + chunk)):
        m = i + 1
        entries.append({"network": "n%d" % (i % nets + 1),
                        "mac": "02:%02x:%02x:%02x:%02x:%02x" % ((m >> 32) & 255, (m >> 24) & 255,
                                                               (m >> 16) & 255, (m >> 8) & 255, m & 255),
                        "remote": "192.168.77.1"})
    reqs.append((json.dumps({"cmd": "fdb_add", "entries": entries}) + "\n").encode())
t0 = time.monotonic()
added = 0
for r in reqs:
    s.sendall(r)
    resp = json.loads(f.readline())
    if not resp.get("ok"):
        print("error " + json.dumps(resp)[:200], file=sys.stderr)
        sys.exit(1)
    added += resp["data"]["added"]
t = time.monotonic() - t0
print("%.2f %d" % (t, added))
PY
  ) || fdb_s="failed 0"
  read -r fdb_t fdb_added <<<"$fdb_s"
  rss1=$(($(status_kib "$PID" VmRSS) / 1024))
  row "vgw fdb_entries=$fdb_added networks=$FDB_NETWORKS added_s=$fdb_t rss_mib=$rss1 rss_growth_mib=$((rss1 - rss0))"
  log "fdb: $fdb_added entries in $fdb_t s, VmRSS $rss0 -> $rss1 MiB"
else
  row "vgw fdb_entries=0 networks=$FDB_NETWORKS added_s=$T_CONF"
fi
stop_vgwd

# ---- kernel: vxlan devices -------------------------------------------------------------
ip netns add "$KNS"
ip -n "$KNS" link add d0 type veth peer name d1
ip -n "$KNS" link set d1 up
ip -n "$KNS" addr add 192.168.78.2/24 dev d0
ip -n "$KNS" link set d0 up
for i in $(seq 1 "$KERNEL_DEVICES"); do
  echo "link add vxlan$i type vxlan id $i dstport 4789 local 192.168.78.2 dev d0 nolearning"
done >"$WORK/kernel.batch"
for i in $(seq 1 "$KERNEL_DEVICES"); do echo "link set vxlan$i up"; done >"$WORK/kernel-up.batch"
mem() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
sync
slab0=$(mem Slab) avail0=$(mem MemAvailable) t0=$(now)
ip -n "$KNS" -batch "$WORK/kernel.batch"
ip -n "$KNS" -batch "$WORK/kernel-up.batch"
t1=$(now)
slab1=$(mem Slab) avail1=$(mem MemAvailable)
# The kernel's static remote per VNI, as vgw's networks each have one.
for i in $(seq 1 "$KERNEL_DEVICES"); do
  echo "fdb append 00:00:00:00:00:00 dev vxlan$i dst 192.168.78.1"
done >"$WORK/kernel-fdb.batch"
bridge -n "$KNS" -batch "$WORK/kernel-fdb.batch"
t2=$(now)
row "kernel vxlan_devices=$KERNEL_DEVICES created_s=$(elapsed "$t0" "$t1") with_remotes_s=$(elapsed "$t0" "$t2") slab_mib=$(((slab1 - slab0) / 1024)) mem_used_mib=$(((avail0 - avail1) / 1024))"
ip netns del "$KNS"

# ---- report ------------------------------------------------------------------------------
for r in "${ROWS[@]}"; do
  echo "$r" | awk '{printf "%-7s", $1; for (i = 2; i <= NF; i++) printf " %s", $i; printf "\n"}'
done
for r in "${ROWS[@]}"; do echo "RESULT $r"; done
