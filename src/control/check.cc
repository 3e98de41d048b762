#include "control/check.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/addr.h"
#include "dataplane/router_table.h"

namespace vgw::control {

namespace {

using nlohmann::json;

const json& member(const json& j, const char* key) {
  static const json null_json;
  if (!j.is_object()) return null_json;
  auto it = j.find(key);
  return it == j.end() ? null_json : *it;
}

std::string str(const json& j, const char* key) {
  const json& v = member(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

const json& list(const json& j, const char* key) {
  static const json empty = json::array();
  const json& v = key ? member(j, key) : j;
  return v.is_array() ? v : empty;
}

// "port/vlan" of an attachment or a local FDB entry.
std::string where(const json& j) {
  return fmt::format("{}/{}", str(j, "port"), str(j, "vlan").empty() ? "0" : str(j, "vlan"));
}

struct Net {
  std::string vni;  // "" = none
  std::string flood;
  std::set<std::string> remotes;
  std::set<std::string> attachments;  // "port/vlan"
};

class Checker {
 public:
  explicit Checker(const CheckInput& in) : in_(in) {}

  json run() {
    read();
    networks();
    flood_lists();
    fdb();
    evpn_routes();
    router_macs();
    routes();
    neighbors();
    return {{"consistent", findings_.empty()},
            {"findings", std::move(findings_)},
            {"checked",
             {{"networks", installed_.size()},
              {"fdb_entries", list(in_.fdb, nullptr).size()},
              {"flood_members", flood_members_},
              {"evpn_routes", list(in_.evpn_routes, nullptr).size()},
              {"routes", list(in_.routes, nullptr).size()},
              {"neighbors", list(in_.arp, nullptr).size()}}}};
  }

 private:
  void find(std::string_view kind, const std::string& network, const std::string& object,
            const std::string& message) {
    findings_.push_back({{"kind", std::string(kind)},
                         {"network", network.empty() ? json(nullptr) : json(network)},
                         {"object", object},
                         {"message", message}});
  }

  void read() {
    for (const json& n : list(in_.config, "networks")) {
      Net& c = configured_[str(n, "name")];
      c.vni = str(n, "vni");
      c.flood = str(n, "flood");
      for (const json& r : list(n, "remotes"))
        if (r.is_string()) c.remotes.insert(r.get<std::string>());
      for (const json& a : list(n, "attachments")) c.attachments.insert(where(a));
    }
    // A router's L3 VNI is a network of its own (symmetric IRB), flooding nothing.
    for (const json& r : list(in_.config, "routers"))
      if (!str(r, "l3_vni").empty()) {
        Net& c = configured_[config::l3vni_network_name(str(r, "name"))];
        c.vni = str(r, "l3_vni");
        c.flood = "none";
      }
    for (const json& n : list(in_.networks, nullptr)) {
      Net& i = installed_[str(n, "name")];
      i.vni = str(n, "vni");
      i.flood = str(n, "flood");
      for (const json& r : list(n, "remotes"))
        if (r.is_string()) i.remotes.insert(r.get<std::string>());
      for (const json& a : list(n, "attachments")) i.attachments.insert(where(a));
      if (!i.vni.empty()) by_vni_[i.vni] = str(n, "name");
    }
    for (const json& r : list(in_.vteps, "remotes")) origin_[str(r, "address")] = str(r, "origin");
    // EVPN routes learned from peers (source "local" is what we advertise).
    for (const json& r : list(in_.evpn_routes, nullptr)) {
      if (str(r, "source") == "local" || str(r, "source").empty()) continue;
      std::set<std::string> vnis;
      if (!str(r, "vni").empty()) vnis.insert(str(r, "vni"));
      for (const json& v : list(r, "imported")) vnis.insert(v.dump());
      const std::string type = str(r, "type");
      for (const std::string& vni : vnis) {
        if (type == "3") {
          for (const char* k : {"pmsi_endpoint", "originator", "next_hop"})
            if (!str(r, k).empty()) type3_.insert({vni, str(r, k)});
        } else if (type == "2" && !str(r, "mac").empty()) {
          type2_[{vni, str(r, "mac")}].insert(str(r, "next_hop"));
        }
      }
      // Imported into an IP-VRF: the sender's router MAC is at its next hop in the L3 VNI.
      for (const json& c : list(r, "ext_communities")) {
        std::string text = c.is_string() ? c.get<std::string>() : "";
        if (text.rfind("Rmac:", 0) != 0) continue;
        for (const json& v : list(r, "imported_l3"))
          type2_[{v.dump(), text.substr(5)}].insert(str(r, "next_hop"));
      }
    }
  }

  void networks() {
    for (const auto& [name, c] : configured_) {
      auto it = installed_.find(name);
      if (it == installed_.end()) {
        find("network_missing", name, "network " + name, "configured but not installed");
        continue;
      }
      const Net& i = it->second;
      if (c.vni != i.vni)
        find("network_vni_mismatch", name, "network " + name,
             fmt::format("configured VNI {} but installed VNI {}", c.vni.empty() ? "none" : c.vni,
                         i.vni.empty() ? "none" : i.vni));
      for (const auto& a : c.attachments)
        if (!i.attachments.count(a))
          find("attachment_missing", name, "attachment " + a, "configured but not installed");
      for (const auto& a : i.attachments)
        if (!c.attachments.count(a))
          find("attachment_unexpected", name, "attachment " + a, "installed but not configured");
    }
    for (const auto& [name, i] : installed_)
      if (!configured_.count(name))
        find("network_unexpected", name, "network " + name, "installed but not configured");
  }

  void flood_lists() {
    for (const auto& [name, i] : installed_) {
      flood_members_ += i.remotes.size();
      auto c = configured_.find(name);
      const bool floods = i.flood != "none";
      if (c != configured_.end() && floods)
        for (const auto& r : c->second.remotes)
          if (!i.remotes.count(r))
            find("flood_member_missing", name, "flood member " + r,
                 "configured remote VTEP is not in the installed flood list");
      for (const auto& r : i.remotes) {
        if (c != configured_.end() && c->second.remotes.count(r)) continue;
        if (type3_.count({i.vni, r})) continue;
        const std::string origin = origin_.count(r) ? origin_[r] : "";
        if (origin == "api") continue;  // installed by the controller API
        find("flood_member_unexplained", name, "flood member " + r,
             fmt::format("in the flood list (remote origin {}) but not configured and no EVPN "
                         "type-3 route for VNI {} names it",
                         origin.empty() ? "unknown" : origin, i.vni.empty() ? "none" : i.vni));
      }
      if (floods && !i.vni.empty())
        for (const auto& [vni, r] : type3_)
          if (vni == i.vni && !i.remotes.count(r))
            find("flood_member_missing", name, "flood member " + r,
                 fmt::format("EVPN type-3 route for VNI {} from {} is not in the flood list", vni,
                             r));
    }
  }

  void fdb() {
    // Configured static MACs: network -> mac -> expected location.
    std::map<std::pair<std::string, std::string>, std::string> statics;
    for (const json& n : list(in_.config, "networks"))
      for (const json& m : list(n, "macs"))
        statics[{str(n, "name"), str(m, "mac")}] =
            str(m, "remote").empty() ? where(m) : "remote " + str(m, "remote");
    std::set<std::pair<std::string, std::string>> seen;
    for (const json& e : list(in_.fdb, nullptr)) {
      const std::string net = str(e, "network"), mac = str(e, "mac"), type = str(e, "type");
      const std::string remote = str(e, "remote");
      const bool is_remote = !remote.empty() || member(e, "port").is_null();
      const std::string loc = is_remote ? "remote " + remote : where(e);
      const std::string object = fmt::format("fdb {} ({})", mac, type);
      seen.insert({net, mac});
      if (type == "router") {  // checked against the routers by router_macs()
        router_macs_.insert({net, mac});
        continue;
      }
      auto n = installed_.find(net);
      if (n == installed_.end()) {
        find("fdb_network_unknown", net, object, "entry of a network that is not installed");
        continue;
      }
      if (is_remote && (remote.empty() || !origin_.count(remote)))
        find("fdb_remote_unknown", net, object,
             remote.empty()
                 ? "points at a remote VTEP index that no longer exists"
                 : "points at remote VTEP " + remote + " which is not in the remote list");
      if (!is_remote && !n->second.attachments.count(loc))
        find("fdb_port_not_attached", net, object,
             "on " + loc + ", which is not an attachment of network " + net);
      if (type == "static") {
        auto s = statics.find({net, mac});
        if (s == statics.end())
          find("static_mac_unexpected", net, object, "static entry that the configuration lacks");
        else if (s->second != loc)
          find("static_mac_wrong_location", net, object,
               "installed on " + loc + " but configured on " + s->second);
      } else if (statics.count({net, mac})) {
        find("static_mac_missing", net, "fdb " + mac,
             "configured static MAC is installed as a " + type + " entry");
      }
      if (type == "evpn") {
        auto r = type2_.find({n->second.vni, mac});
        if (r == type2_.end() || !r->second.count(remote))
          find("evpn_mac_without_route", net, object,
               fmt::format("EVPN-owned entry to {} but the RIB has no type-2 route for VNI {} "
                           "MAC {} with that next hop",
                           remote.empty() ? "?" : remote, n->second.vni, mac));
      }
    }
    for (const auto& [key, loc] : statics)
      if (installed_.count(key.first) && !seen.count(key))
        find("static_mac_missing", key.first, "fdb " + key.second,
             "configured static MAC (" + loc + ") is not in the FDB");
    fdb_seen_ = std::move(seen);
  }

  void evpn_routes() {
    for (const auto& [key, next_hops] : type2_) {
      auto n = by_vni_.find(key.first);
      if (n == by_vni_.end()) continue;  // a VNI we do not serve: not imported
      if (!fdb_seen_.count({n->second, key.second}))
        find("evpn_route_not_installed", n->second, "fdb " + key.second,
             fmt::format("EVPN type-2 route for VNI {} MAC {} (next hop {}) is not in the FDB",
                         key.first, key.second, *next_hops.begin()));
    }
  }

  // Every configured router interface's MAC (configured, or the derived anycast
  // default) is in its network's FDB as a router entry, and nothing else is.
  void router_macs() {
    std::set<std::pair<std::string, std::string>> want;
    for (const json& r : list(in_.config, "routers"))
      for (const json& i : list(r, "interfaces")) {
        std::string mac = str(i, "mac");
        if (mac.empty())
          mac = dataplane::default_router_mac(str(r, "name"), str(i, "network")).to_string();
        want.insert({str(i, "network"), mac});
      }
    for (const json& r : list(in_.config, "routers")) {
      if (str(r, "l3_vni").empty()) continue;
      auto source = IpAddress::parse(str(member(in_.config, "vtep"), "source"));
      MacAddress mac = dataplane::l3vni_router_mac(
          str(r, "name"), MacAddress::parse(str(r, "router_mac")), source ? *source : IpAddress{});
      want.insert({config::l3vni_network_name(str(r, "name")), mac.to_string()});
    }
    for (const auto& [net, mac] : want)
      if (installed_.count(net) && !router_macs_.count({net, mac}))
        find("router_mac_missing", net, "router mac " + mac,
             "router interface MAC is not in the network's FDB");
    for (const auto& [net, mac] : router_macs_)
      if (!want.count({net, mac}))
        find("router_mac_unexpected", net, "router mac " + mac,
             "router entry in the FDB but no router interface of the network has this MAC");
  }

  // Connected routes (each interface's subnet) and static routes of the
  // configuration against each router's installed table, both ways. Local host
  // routes and EVPN routes are the data plane's and the RIB's own business.
  void routes() {
    using Key = std::pair<std::string, std::string>;  // (router, prefix)
    std::map<Key, std::set<std::string>> statics;
    std::set<Key> connected;
    std::map<Key, std::string> network_of;
    for (const json& r : list(in_.config, "routers")) {
      const std::string name = str(r, "name");
      for (const json& i : list(r, "interfaces"))
        if (auto p = IpPrefix::parse(str(i, "address"))) {
          Key k{name, p->masked().to_string()};
          connected.insert(k);
          network_of[k] = str(i, "network");
        }
      for (const json& rt : list(r, "routes"))
        if (auto p = IpPrefix::parse(str(rt, "prefix"))) {
          auto& via = statics[{name, p->masked().to_string()}];
          for (const json& v : list(rt, "via"))
            if (v.is_string()) via.insert(v.get<std::string>());
        }
    }
    std::set<Key> seen;
    for (const json& e : list(in_.routes, nullptr)) {
      const std::string source = str(e, "source");
      if (source != "connected" && source != "static") continue;
      Key k{str(e, "router"), str(e, "prefix")};
      seen.insert(k);
      const std::string object = fmt::format("route {} ({}, router {})", k.second, source, k.first);
      if (source == "connected") {
        if (!connected.count(k))
          find("route_unexpected", str(e, "network"), object,
               "connected route that no router interface explains");
        continue;
      }
      auto it = statics.find(k);
      if (it == statics.end()) {
        find("route_unexpected", str(e, "network"), object,
             "static route that the configuration lacks");
        continue;
      }
      std::set<std::string> via;
      for (const json& v : list(e, "via"))
        if (v.is_string()) via.insert(v.get<std::string>());
      if (via != it->second)
        find("route_next_hops_mismatch", str(e, "network"), object,
             fmt::format("installed via {} but configured via {}", fmt::join(via, ", "),
                         fmt::join(it->second, ", ")));
    }
    for (const Key& k : connected)
      if (!seen.count(k))
        find("route_missing", network_of[k],
             fmt::format("route {} (connected, router {})", k.second, k.first),
             "router interface subnet is not in the router's table");
    for (const auto& [k, via] : statics)
      if (!seen.count(k))
        find("route_missing", "", fmt::format("route {} (static, router {})", k.second, k.first),
             "configured static route is not in the router's table");
  }

  void neighbors() {
    for (const json& e : list(in_.arp, nullptr))
      if (!installed_.count(str(e, "network")))
        find("neighbor_network_unknown", str(e, "network"),
             fmt::format("neighbor {} {}", str(e, "ip"), str(e, "mac")),
             "neighbour entry of a network that is not installed");
  }

  const CheckInput& in_;
  json findings_ = json::array();
  std::set<std::pair<std::string, std::string>> router_macs_;  // (network, mac) in the FDB
  std::map<std::string, Net> configured_, installed_;
  std::map<std::string, std::string> by_vni_;            // installed VNI -> network
  std::map<std::string, std::string> origin_;            // remote address -> origin
  std::set<std::pair<std::string, std::string>> type3_;  // (vni, remote)
  std::map<std::pair<std::string, std::string>, std::set<std::string>> type2_;  // (vni, mac)
  std::set<std::pair<std::string, std::string>> fdb_seen_;                      // (network, mac)
  size_t flood_members_ = 0;
};

}  // namespace

json check(const CheckInput& in) {
  return Checker(in).run();
}

}  // namespace vgw::control
