#include "config/json.h"

#include "config/names.h"

namespace vgw::config {
namespace {

using nlohmann::json;

json ip_or_null(const std::optional<IpAddress>& a) {
  return a ? json(a->to_string()) : json(nullptr);
}

json ip_list(const std::vector<IpAddress>& v) {
  json out = json::array();
  for (const auto& a : v) out.push_back(a.to_string());
  return out;
}

}  // namespace

nlohmann::json to_json(const Config& c) {
  json j;
  j["node"] = {{"name", c.node.name}, {"workers", c.node.workers}};
  // The token is a secret: the API says whether one is set, never what it is.
  j["api"] = {{"socket", c.api.socket}, {"http", c.api.http}, {"token_set", !c.api.token.empty()}};
  j["ports"] = json::array();
  for (const auto& p : c.ports) j["ports"].push_back({{"name", p.name}, {"io", p.io}});
  j["underlay"] = {{"interface", c.underlay.interface},
                   {"io", std::string(to_string(c.underlay.io))},
                   {"mtu", c.underlay.mtu}};
  const Vtep& v = c.vtep;
  j["vtep"] = {{"source", v.source == IpAddress{} ? json(nullptr) : json(v.source.to_string())},
               {"udp_port", v.udp_port},
               {"source_port_range", {v.source_port_min, v.source_port_max}},
               {"allow_unknown_sources", v.allow_unknown_sources},
               {"ttl", v.ttl},
               {"df", v.df}};
  j["fdb"] = {{"dup_max_moves", c.fdb.dup_max_moves}, {"dup_window", c.fdb.dup_window}};
  j["tenants"] = json::array();
  for (const auto& t : c.tenants) j["tenants"].push_back({{"name", t.name}});
  j["networks"] = json::array();
  for (const auto& n : c.networks) {
    json atts = json::array();
    for (const auto& a : n.attachments) atts.push_back({{"port", a.port}, {"vlan", a.vlan}});
    json macs = json::array();
    for (const auto& m : n.static_macs) {
      json e = {{"mac", m.mac.to_string()}, {"remote", ip_or_null(m.remote)}};
      e["port"] = m.port.empty() ? json(nullptr) : json(m.port);
      e["vlan"] = m.port.empty() ? json(nullptr) : json(m.vlan);
      macs.push_back(std::move(e));
    }
    j["networks"].push_back({{"name", n.name},
                             {"tenant", n.tenant},
                             {"vni", n.vni ? json(*n.vni) : json(nullptr)},
                             {"flood", std::string(to_string(n.flood))},
                             {"remotes", ip_list(n.remotes)},
                             {"multicast_group", ip_or_null(n.multicast_group)},
                             {"mac_limit", n.mac_limit},
                             {"ageing", n.ageing},
                             {"arp_suppression", n.arp_suppression},
                             {"allow_inner_vlan", n.allow_inner_vlan},
                             {"attachments", std::move(atts)},
                             {"macs", std::move(macs)}});
  }
  j["routers"] = json::array();
  for (const auto& r : c.routers) {
    json ifs = json::array();
    for (const auto& i : r.interfaces)
      ifs.push_back({{"network", i.network},
                     {"address", i.address.to_string()},
                     {"mac", i.mac ? json(i.mac->to_string()) : json(nullptr)}});
    json routes = json::array();
    for (const auto& rt : r.routes)
      routes.push_back({{"prefix", rt.prefix.to_string()}, {"via", ip_list(rt.via)}});
    j["routers"].push_back(
        {{"name", r.name},
         {"tenant", r.tenant},
         {"l3_vni", r.l3_vni ? json(*r.l3_vni) : json(nullptr)},
         {"router_mac", r.router_mac ? json(r.router_mac->to_string()) : json(nullptr)},
         {"advertise_connected", r.advertise_connected},
         {"interfaces", std::move(ifs)},
         {"routes", std::move(routes)}});
  }
  if (c.evpn) {
    json nbs = json::array();
    for (const auto& nb : c.evpn->neighbors)
      nbs.push_back({{"address", nb.address.to_string()}, {"remote_as", nb.remote_as}});
    json vnis = json::array();
    for (const auto& v : c.evpn->vnis)
      vnis.push_back({{"vni", v.vni},
                      {"rd", v.rd},
                      {"route_targets", v.route_targets},
                      {"import_route_targets", v.import_route_targets},
                      {"export_route_targets", v.export_route_targets}});
    j["evpn"] = {{"asn", c.evpn->asn},
                 {"router_id", ip_or_null(c.evpn->router_id)},
                 {"neighbors", std::move(nbs)},
                 {"hold_time", c.evpn->hold_time},
                 {"connect_retry", c.evpn->connect_retry},
                 {"vnis", std::move(vnis)}};
  } else {
    j["evpn"] = nullptr;
  }
  return j;
}

}  // namespace vgw::config
