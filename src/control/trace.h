// The packet trace as the operator sees it (`vgwctl trace`, GET /api/v1/trace):
// the data plane's TraceRecords (dataplane/trace.h: stage, decision and indices)
// turned into names with the published snapshot — ports, networks with their
// VNIs, remote VTEP addresses, MACs, drop reasons — grouped per packet, in the
// order the stages recorded them (VPP's `show trace`).
//
// JSON shape:
//   {"packets":[{"worker":0,"packet":7,"in_port":"p2"|null (underlay),"vlan":0,
//                "records":[{"stage":"lookup","decision":"hit","port":"p2"|null,
//                            "network":"web"|null,"vni":100|null,
//                            "remote":"192.168.1.1"|null,"mac":"aa:.."|null,
//                            "drop":"unknown_vni"|null,"length":98}, ...]}, ...]}
//   stages:    local_ingress, encap, decap, flood, output, route, lookup, learn
//   decisions: to_port, encap, flood, to_underlay, drop, routed, hit, miss, learned
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/snapshot.h"
#include "dataplane/trace.h"

namespace vgw::control {

std::string_view stage_name(dataplane::Stage s);
std::string_view decision_name(dataplane::Decision d);

// records: Dataplane::read_trace(); snap: the published snapshot (may be null:
// indices are then shown as numbers).
nlohmann::json trace_json(const std::vector<dataplane::TraceRecord>& records,
                          const dataplane::Snapshot* snap);

// The port filter of Dataplane::start_trace for a port name: "" any port,
// "underlay" the underlay, else an attachment port of the snapshot. Errors name
// the port.
Result<uint32_t> trace_port(const std::string& port, const dataplane::Snapshot* snap);

}  // namespace vgw::control
