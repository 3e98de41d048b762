# Shared by bench/callgrind.sh and bench/router_callgrind.sh (sourced).
# cg_ir OUT_PREFIX CMD...: runs CMD under callgrind (instrumentation on only
# around the packet loop) and prints two numbers: every instruction executed in
# the loop, and those executed inside the in-memory ports (MemoryPort::receive
# and ::send with everything they call: the benchmark's stand-in for the NIC,
# which copies each frame into a packet buffer as a NIC's DMA would).
cg_ir() {
  out=$1
  shift
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$@" >"$out.stdout" 2>"$out.stderr" || {
    cat "$out.stdout" "$out.stderr" >&2
    exit 1
  }
  total=$(grep '^totals:' "$out" | awk '{print $2}')
  port=$(callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null |
    awk '/memory_port\.cc:vgw::io::MemoryPort::(receive|send)\(/ && / \[\// && !/=>/ { gsub(",", "", $1); s += $1 } END { print s + 0 }')
  echo "$total $port"
}

# cg_report LABEL N1 "TOTAL1 PORT1" N2 "TOTAL2 PORT2": instructions per packet
# from the difference of two runs (fixed costs cancel), for the pipeline alone
# and with the in-memory ports.
cg_report() {
  echo "$1 $2 $3 $4 $5" | awk '{
    n1 = $2; t1 = $3; p1 = $4; n2 = $5; t2 = $6; p2 = $7
    all = (t2 - t1) / (n2 - n1); port = (p2 - p1) / (n2 - n1)
    printf "%s: %.1f instructions/packet in the pipeline; %.1f with the in-memory ports (Ir %d over %d packets, %d over %d)\n", $1, all - port, all, t1, n1, t2, n2
  }'
}
