// The `show` answers of the Service, in the JSON shapes of notes/CONTRACTS.md.
#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "config/json.h"
#include "config/names.h"
#include "control/service.h"
#include "dataplane/router_table.h"

namespace vgw::control {

namespace {

using nlohmann::json;

json vni_json(uint32_t vni) {
  return vni == dataplane::kNone ? json(nullptr) : json(vni);
}

json traffic_json(const dataplane::TrafficTotals& t) {
  return {{"rx_packets", t.rx_packets},
          {"rx_bytes", t.rx_bytes},
          {"tx_packets", t.tx_packets},
          {"tx_bytes", t.tx_bytes}};
}

json port_json(const std::string& name, const dataplane::PortTotals& p) {
  json j = {{"rx_packets", p.rx_packets}, {"rx_bytes", p.rx_bytes},
            {"tx_packets", p.tx_packets}, {"tx_bytes", p.tx_bytes},
            {"rx_dropped", p.rx_dropped}, {"tx_dropped", p.tx_dropped}};
  if (!name.empty()) j["name"] = name;
  return j;
}

}  // namespace

json Service::show_vteps() const {
  const auto& v = config_.vtep;
  auto snap = dp_.snapshot();
  uint32_t mtu = snap ? snap->vtep().underlay_mtu : config_.underlay.mtu;
  json local = {{"source", v.source.to_string()},
                {"udp_port", v.udp_port},
                {"source_port_range", {v.source_port_min, v.source_port_max}},
                {"allow_unknown_sources", v.allow_unknown_sources},
                {"underlay",
                 {{"interface", config_.underlay.interface},
                  {"io", std::string(config::to_string(config_.underlay.io))},
                  {"mtu", mtu}}}};
  json remotes = json::array();
  if (snap) {
    const auto& rs = snap->remotes();
    std::vector<std::vector<uint32_t>> vnis(rs.size());
    for (size_t n = 0; n < snap->network_count(); ++n) {
      const auto& net = snap->network(static_cast<uint32_t>(n));
      if (!net.present || net.vni == dataplane::kNone) continue;
      for (uint32_t r : net.flood_remotes)
        if (r < vnis.size()) vnis[r].push_back(net.vni);
    }
    const bool socket = config_.underlay.io == config::UnderlayIo::kSocket;
    for (size_t i = 0; i < rs.size(); ++i) {
      const auto& r = rs[static_cast<uint32_t>(i)];
      if (!r.present) continue;
      std::sort(vnis[i].begin(), vnis[i].end());
      remotes.push_back({{"address", r.address.to_string()},
                         {"vnis", vnis[i]},
                         {"origin", dataplane::origin_name(r.origin)},
                         {"resolved", r.resolved},
                         {"next_hop_mac", r.resolved && !socket ? json(r.next_hop_mac.to_string())
                                                                : json(nullptr)}});
    }
  }
  return {{"local", std::move(local)}, {"remotes", std::move(remotes)}};
}

json Service::show_networks() const {
  json out = json::array();
  auto snap = dp_.snapshot();
  if (!snap) return out;
  const auto& t = snap->table();
  for (size_t n = 0; n < snap->network_count(); ++n) {
    const auto& net = snap->network(static_cast<uint32_t>(n));
    if (!net.present) continue;
    json remotes = json::array();
    for (uint32_t r : net.flood_remotes)
      if (r < snap->remotes().size()) remotes.push_back(snap->remotes()[r].address.to_string());
    json atts = json::array();
    for (uint32_t a : net.attachments) {
      const auto& att = snap->attachment_state(a);
      atts.push_back({{"port", att.port < t.port_names.size() ? t.port_names[att.port] : ""},
                      {"vlan", att.vlan}});
    }
    out.push_back({{"name", net.name},
                   {"tenant", net.tenant},
                   {"vni", vni_json(net.vni)},
                   {"flood", std::string(config::to_string(net.flood))},
                   {"remotes", std::move(remotes)},
                   {"attachments", std::move(atts)},
                   {"mac_limit", net.mac_limit},
                   {"ageing", net.ageing},
                   {"fdb_entries", dp_.fdb().entries_in(static_cast<uint32_t>(n))}});
  }
  return out;
}

Result<json> Service::show_fdb(const FdbFilter& filter) const {
  json out = json::array();
  auto snap = dp_.snapshot();
  std::optional<uint32_t> only;
  if (!filter.network.empty()) {
    uint32_t idx = snap ? snap->network_by_name(filter.network) : dataplane::kNone;
    if (idx == dataplane::kNone || !snap->network(idx).present)
      return make_error(fmt::format("network {}: no such network", filter.network));
    only = idx;
  }
  if (!snap) return out;
  const auto& t = snap->table();
  const uint32_t now = dp_.now();
  dp_.fdb().for_each(only, [&](const dataplane::FdbEntryView& e) {
    if (e.network >= snap->network_count()) return;
    const auto& net = snap->network(e.network);
    const auto loc = e.location;
    const char* type = "local";
    if (loc == dataplane::kRouterLocation)
      type = "router";  // a router interface MAC: frames to it are routed
    else if (e.type == dataplane::FdbType::kStatic)
      type = "static";
    else if (e.type == dataplane::FdbType::kEvpn)
      type = "evpn";
    else if (e.type == dataplane::FdbType::kApi)
      type = "api";
    else if (loc.is_remote())
      type = "remote";
    json j = {{"network", net.name},
              {"vni", vni_json(net.vni)},
              {"mac", e.mac.to_string()},
              {"type", type}};
    if (loc == dataplane::kRouterLocation) {
      j["port"] = nullptr;
      j["vlan"] = nullptr;
      j["remote"] = nullptr;
    } else if (loc.is_remote()) {
      uint32_t r = loc.remote_index();
      j["port"] = nullptr;
      j["vlan"] = nullptr;
      j["remote"] =
          r < snap->remotes().size() ? json(snap->remotes()[r].address.to_string()) : json(nullptr);
    } else {
      j["port"] = loc.port() < t.port_names.size() ? json(t.port_names[loc.port()]) : json(nullptr);
      j["vlan"] = loc.vlan();
      j["remote"] = nullptr;
    }
    j["age"] = e.type == dataplane::FdbType::kLearned && now >= e.last_seen ? now - e.last_seen : 0;
    j["moves"] = e.moves;
    j["frozen"] = e.frozen;
    out.push_back(std::move(j));
  });
  // A stable order for people and tests: by network, then MAC.
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return std::tie(a["network"].get_ref<const std::string&>(),
                    a["mac"].get_ref<const std::string&>()) <
           std::tie(b["network"].get_ref<const std::string&>(),
                    b["mac"].get_ref<const std::string&>());
  });
  return out;
}

json Service::show_counters() const {
  auto totals = dp_.read_counters();
  auto snap = dp_.snapshot();
  json ports = json::array();
  json networks = json::array();
  json remotes = json::array();
  if (snap) {
    const auto& names = snap->table().port_names;
    for (size_t i = 0; i < names.size(); ++i)
      ports.push_back(
          port_json(names[i], i < totals.ports.size() ? totals.ports[i] : dataplane::PortTotals{}));
    for (size_t n = 0; n < snap->network_count(); ++n) {
      const auto& net = snap->network(static_cast<uint32_t>(n));
      if (!net.present) continue;
      json j = {{"name", net.name}, {"vni", vni_json(net.vni)}};
      j.update(traffic_json(n < totals.networks.size() ? totals.networks[n]
                                                       : dataplane::TrafficTotals{}));
      networks.push_back(std::move(j));
    }
    const auto& rs = snap->remotes();
    for (size_t i = 0; i < rs.size(); ++i) {
      const auto& r = rs[static_cast<uint32_t>(i)];
      if (!r.present) continue;
      json j = {{"address", r.address.to_string()}};
      j.update(
          traffic_json(i < totals.remotes.size() ? totals.remotes[i] : dataplane::TrafficTotals{}));
      remotes.push_back(std::move(j));
    }
  }
  json workers = json::array();
  for (const auto& w : totals.workers) {
    if (std::find(worker_ids_.begin(), worker_ids_.end(), w.id) == worker_ids_.end()) continue;
    workers.push_back({{"id", w.id}, {"rx_packets", w.rx_packets}, {"tx_packets", w.tx_packets}});
  }
  const auto& f = totals.fdb;
  return {{"ports", std::move(ports)},
          {"underlay", port_json("", totals.underlay)},
          {"networks", std::move(networks)},
          {"remotes", std::move(remotes)},
          {"workers", std::move(workers)},
          {"fdb",
           {{"entries", f.entries},
            {"learned", f.learned},
            {"moves", f.moves},
            {"mac_limit_exceeded", f.mac_limit_exceeded},
            {"dup_frozen", f.dup_frozen},
            {"aged", f.aged}}},
          {"router",
           {{"routed", totals.router.routed},
            {"icmp_sent", totals.router.icmp_sent},
            {"arp_requests_sent", totals.router.arp_requests_sent},
            {"arp_replies_sent", totals.router.arp_replies_sent},
            {"suppressed", totals.router.suppressed},
            {"fragments", totals.router.fragments}}}};
}

json Service::show_drops() const {
  auto totals = dp_.read_counters();
  json out = json::array();
  for (size_t i = 0; i < dataplane::kDropCount; ++i) {
    auto d = static_cast<dataplane::Drop>(i);
    out.push_back({{"reason", std::string(dataplane::drop_name(d))}, {"count", totals.drops[i]}});
  }
  return out;
}

json Service::show_config() const {
  return config::to_json(config_);
}

}  // namespace vgw::control
