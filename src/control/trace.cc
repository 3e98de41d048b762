#include "control/trace.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "control/service.h"

namespace vgw::control {

namespace {

using dataplane::kNone;
using nlohmann::json;

json port_json(uint32_t port, const dataplane::Snapshot* snap) {
  if (port == kNone) return nullptr;
  if (snap && port < snap->table().port_names.size()) return snap->table().port_names[port];
  return port;
}

}  // namespace

std::string_view stage_name(dataplane::Stage s) {
  static constexpr std::string_view kNames[] = {"local_ingress", "encap", "decap",  "flood",
                                                "output",        "route", "lookup", "learn"};
  auto i = static_cast<size_t>(s);
  return i < std::size(kNames) ? kNames[i] : "stage";
}

std::string_view decision_name(dataplane::Decision d) {
  static constexpr std::string_view kNames[] = {"to_port", "encap", "flood", "to_underlay", "drop",
                                                "routed",  "hit",   "miss",  "learned"};
  auto i = static_cast<size_t>(d);
  return i < std::size(kNames) ? kNames[i] : "decision";
}

json trace_json(const std::vector<dataplane::TraceRecord>& records,
                const dataplane::Snapshot* snap) {
  // (worker, packet) -> index in packets, in first-seen order.
  std::map<std::pair<uint32_t, uint64_t>, size_t> index;
  json packets = json::array();
  for (const auto& r : records) {
    auto key = std::make_pair(r.worker, r.packet);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, packets.size()).first;
      packets.push_back({{"worker", r.worker},
                         {"packet", r.packet},
                         {"in_port", port_json(r.in_port, snap)},
                         {"vlan", r.vlan},
                         {"records", json::array()}});
    }
    json rec = {{"stage", std::string(stage_name(r.stage))},
                {"decision", std::string(decision_name(r.decision))}};
    const bool port_kind =
        r.decision == dataplane::Decision::kToPort || (r.stage == dataplane::Stage::kLocalIngress);
    rec["port"] = port_kind ? port_json(r.port, snap) : json(nullptr);
    json network = nullptr, vni = nullptr, remote = nullptr;
    if (r.network != kNone) {
      if (snap && r.network < snap->network_count()) {
        const auto& n = snap->network(r.network);
        network = n.name;
        if (n.vni != kNone) vni = n.vni;
      } else {
        network = r.network;
      }
    }
    if (r.remote != kNone) {
      if (snap && r.remote < snap->remotes().size())
        remote = snap->remotes()[r.remote].address.to_string();
      else
        remote = r.remote;
    }
    rec["network"] = std::move(network);
    rec["vni"] = std::move(vni);
    rec["remote"] = std::move(remote);
    const bool has_mac =
        r.stage == dataplane::Stage::kLookup || r.stage == dataplane::Stage::kLearn;
    rec["mac"] = has_mac ? json(MacAddress::from_u64(r.mac).to_string()) : json(nullptr);
    rec["drop"] = r.decision == dataplane::Decision::kDrop
                      ? json(std::string(dataplane::drop_name(r.drop)))
                      : json(nullptr);
    rec["length"] = r.length;
    packets[it->second]["records"].push_back(std::move(rec));
  }
  return {{"packets", std::move(packets)}};
}

Result<uint32_t> trace_port(const std::string& port, const dataplane::Snapshot* snap) {
  if (port.empty()) return dataplane::kTraceAnyPort;
  if (port == "underlay") return dataplane::kTraceUnderlay;
  if (snap) {
    const auto& names = snap->table().port_names;
    auto it = std::find(names.begin(), names.end(), port);
    if (it != names.end()) return static_cast<uint32_t>(it - names.begin());
  }
  return make_error(
      fmt::format("port: no attachment port named '{}' (or 'underlay' for the underlay)", port));
}

// ---- Service (declared in service.h) ----

Status Service::start_trace(uint32_t count, const std::string& port) {
  auto snap = dp_.snapshot();
  auto p = trace_port(port, snap.get());
  if (!p) return p.error();
  if (count > dataplane::TraceBuffer::kCapacity)
    return make_error(
        fmt::format("count: {} is more than {} packets", count, dataplane::TraceBuffer::kCapacity));
  dp_.start_trace(count, *p);
  return {};
}

nlohmann::json Service::read_trace() const {
  auto snap = dp_.snapshot();
  return trace_json(dp_.read_trace(), snap.get());
}

}  // namespace vgw::control
