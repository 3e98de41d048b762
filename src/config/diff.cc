#include "config/diff.h"

#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "config/flat_index.h"
#include "config/names.h"

namespace vgw::config {
namespace {

using Lines = std::vector<std::string>;
// A scalar field as YAML names and writes it.
using Fields = std::vector<std::pair<std::string_view, std::string>>;

std::string str(bool b) {
  return b ? "true" : "false";
}
std::string str(uint32_t v) {
  return std::to_string(v);
}
std::string str(uint16_t v) {
  return std::to_string(v);
}
std::string str(uint8_t v) {
  return std::to_string(v);
}
std::string str(const std::optional<uint32_t>& v) {
  return v ? std::to_string(*v) : "none";
}
std::string str(const std::optional<IpAddress>& a) {
  return a ? a->to_string() : "none";
}
std::string str(const std::string& s) {
  return s.empty() ? "none" : s;
}

// "key old -> new" for each field that differs (a and b list the same keys).
void field_changes(const Fields& a, const Fields& b, Lines& out) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i].second != b[i].second)
      out.push_back(std::string(a[i].first) + " " + a[i].second + " -> " + b[i].second);
}

// "- x" for items only in a (a's order), then "+ x" for items only in b (b's order).
void set_changes(const Lines& a, const Lines& b, Lines& out) {
  std::unordered_set<std::string> in_a(a.begin(), a.end()), in_b(b.begin(), b.end());
  for (const auto& x : a)
    if (!in_b.count(x)) out.push_back("- " + x);
  for (const auto& x : b)
    if (!in_a.count(x)) out.push_back("+ " + x);
}

// A top-level section of scalars: "~ section: key old -> new".
void section(std::string_view name, const Fields& a, const Fields& b, Lines& out) {
  Lines ch;
  field_changes(a, b, ch);
  for (auto& l : ch) out.push_back("~ " + std::string(name) + ": " + l);
}

// A list of named objects: removed, then added and changed, in a stable order.
// describe(x) is the text after "+ kind name"; changes(x, y) lists what differs.
template <typename T, typename Describe, typename Changes>
void named(const std::vector<T>& from, const std::vector<T>& to, std::string_view kind,
           Describe describe, Changes changes, Lines& out) {
  std::string k(kind);
  // Names are unique in a validated configuration, so two lists with the same names
  // in the same order (a re-apply, a change of some fields) or an empty old list
  // (the first apply) need no maps: at a million networks the maps were most of diff.
  bool aligned = from.size() == to.size();
  for (size_t i = 0; aligned && i < from.size(); ++i) aligned = from[i].name == to[i].name;
  if (aligned || from.empty()) {
    for (size_t i = 0; i < to.size(); ++i) {
      const T& y = to[i];
      if (from.empty()) {
        out.push_back("+ " + k + " " + y.name + describe(y));
      } else if (!(from[i] == y)) {
        Lines ch;
        changes(from[i], y, ch);
        for (auto& l : ch) out.push_back("~ " + k + " " + y.name + ": " + l);
      }
    }
    return;
  }
  // By name, the first of a name kept (FlatIndex: no node or key copy per item).
  auto index = [](const std::vector<T>& v) {
    FlatIndex idx(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      idx.claim(FlatIndex::hash(v[i].name), static_cast<uint32_t>(i),
                [&](uint32_t j) { return v[j].name == v[i].name; });
    return idx;
  };
  auto find = [](const FlatIndex& idx, const std::vector<T>& v, const std::string& name) {
    return idx.find(FlatIndex::hash(name), [&](uint32_t j) { return v[j].name == name; });
  };
  const FlatIndex old_by_name = index(from), new_by_name = index(to);
  for (const auto& x : from)
    if (find(new_by_name, to, x.name) == FlatIndex::kNone) out.push_back("- " + k + " " + x.name);
  for (const auto& y : to) {
    uint32_t j = find(old_by_name, from, y.name);
    if (j == FlatIndex::kNone) {
      out.push_back("+ " + k + " " + y.name + describe(y));
    } else if (!(from[j] == y)) {
      Lines ch;
      changes(from[j], y, ch);
      for (auto& l : ch) out.push_back("~ " + k + " " + y.name + ": " + l);
    }
  }
}

Fields network_fields(const Network& n) {
  return {{"tenant", n.tenant},
          {"vni", str(n.vni)},
          {"flood", std::string(to_string(n.flood))},
          {"multicast-group", str(n.multicast_group)},
          {"mac-limit", str(n.mac_limit)},
          {"ageing", str(n.ageing)},
          {"arp-suppression", str(n.arp_suppression)},
          {"allow-inner-vlan", str(n.allow_inner_vlan)}};
}

Lines attachment_items(const Network& n) {
  Lines l;
  for (const auto& a : n.attachments)
    l.push_back("attachment " + a.port + (a.vlan ? " vlan " + std::to_string(a.vlan) : ""));
  return l;
}
Lines remote_items(const Network& n) {
  Lines l;
  for (const auto& r : n.remotes) l.push_back("remote " + r.to_string());
  return l;
}
Lines mac_items(const Network& n) {
  Lines l;
  for (const auto& m : n.static_macs)
    l.push_back("mac " + m.mac.to_string() +
                (m.remote ? " remote " + m.remote->to_string()
                          : " port " + m.port + (m.vlan ? " vlan " + std::to_string(m.vlan) : "")));
  return l;
}

// An item of a list that has an identity apart from its value (a route's
// prefix, an interface's network and family): shown as "label value".
struct Keyed {
  std::string id, label, value;
};

// "- label value" for items only in a, "+ label value" for items only in b, and
// "label old -> new" for an item whose value changed (b's order).
void keyed_changes(const std::vector<Keyed>& a, const std::vector<Keyed>& b, Lines& out) {
  std::unordered_map<std::string_view, const Keyed*> in_a, in_b;
  for (const auto& x : a) in_a.emplace(x.id, &x);
  for (const auto& x : b) in_b.emplace(x.id, &x);
  for (const auto& x : a)
    if (!in_b.count(x.id)) out.push_back("- " + x.label + " " + x.value);
  for (const auto& y : b) {
    auto it = in_a.find(y.id);
    if (it == in_a.end())
      out.push_back("+ " + y.label + " " + y.value);
    else if (it->second->value != y.value)
      out.push_back(y.label + " " + it->second->value + " -> " + y.value);
  }
}

// A router has one interface per network and address family.
std::vector<Keyed> interface_items(const Router& r) {
  std::vector<Keyed> l;
  for (const auto& i : r.interfaces)
    l.push_back({i.network + (i.address.addr.v6 ? " v6" : " v4"), "interface " + i.network,
                 i.address.to_string() + (i.mac ? " mac " + i.mac->to_string() : "")});
  return l;
}
std::vector<Keyed> route_items(const Router& r) {
  std::vector<Keyed> l;
  for (const auto& rt : r.routes) {
    std::string via;
    for (size_t i = 0; i < rt.via.size(); ++i) via += (i ? "," : "") + rt.via[i].to_string();
    l.push_back({rt.prefix.to_string(), "route " + rt.prefix.to_string() + " via", via});
  }
  return l;
}

Fields vtep_fields(const Vtep& v) {
  return {{"source", v.source == IpAddress{} ? "none" : v.source.to_string()},
          {"udp-port", str(v.udp_port)},
          {"source-port-range", "[" + str(v.source_port_min) + ", " + str(v.source_port_max) + "]"},
          {"allow-unknown-sources", str(v.allow_unknown_sources)},
          {"ttl", str(v.ttl)},
          {"df", str(v.df)}};
}

}  // namespace

std::vector<std::string> diff(const Config& a, const Config& b) {
  Lines out;
  if (a == b) return out;
  section("node", {{"name", a.node.name}, {"workers", str(a.node.workers)}},
          {{"name", b.node.name}, {"workers", str(b.node.workers)}}, out);
  // The token is a secret: say that it changed, not what it is.
  auto token = [](const Api& api) { return std::string(api.token.empty() ? "none" : "(set)"); };
  section("api",
          {{"socket", str(a.api.socket)}, {"http", str(a.api.http)}, {"token", token(a.api)}},
          {{"socket", str(b.api.socket)}, {"http", str(b.api.http)}, {"token", token(b.api)}}, out);
  if (a.api.token != b.api.token && !a.api.token.empty() && !b.api.token.empty())
    out.push_back("~ api: token changed");

  named(
      a.ports, b.ports, "port", [](const Port& p) { return " (io " + p.io + ")"; },
      [](const Port& x, const Port& y, Lines& l) {
        field_changes({{"io", x.io}}, {{"io", y.io}}, l);
      },
      out);
  // Attachment ports are numbered by their order, so a reordering is a change.
  {
    std::unordered_set<std::string_view> in_a, in_b;
    for (const auto& p : a.ports) in_a.insert(p.name);
    for (const auto& p : b.ports) in_b.insert(p.name);
    std::string oa, ob;
    for (const auto& p : a.ports)
      if (in_b.count(p.name)) oa += (oa.empty() ? "" : ", ") + p.name;
    for (const auto& p : b.ports)
      if (in_a.count(p.name)) ob += (ob.empty() ? "" : ", ") + p.name;
    if (oa != ob) out.push_back("~ ports: order " + oa + " -> " + ob);
  }

  section("underlay",
          {{"interface", str(a.underlay.interface)},
           {"io", std::string(to_string(a.underlay.io))},
           {"mtu", str(a.underlay.mtu)}},
          {{"interface", str(b.underlay.interface)},
           {"io", std::string(to_string(b.underlay.io))},
           {"mtu", str(b.underlay.mtu)}},
          out);
  section("vtep", vtep_fields(a.vtep), vtep_fields(b.vtep), out);
  section(
      "fdb", {{"dup-max-moves", str(a.fdb.dup_max_moves)}, {"dup-window", str(a.fdb.dup_window)}},
      {{"dup-max-moves", str(b.fdb.dup_max_moves)}, {"dup-window", str(b.fdb.dup_window)}}, out);

  named(
      a.tenants, b.tenants, "tenant", [](const Tenant&) { return std::string(); },
      [](const Tenant&, const Tenant&, Lines&) {}, out);

  named(
      a.networks, b.networks, "network",
      [](const Network& n) {
        return " (" + (n.vni ? "vni " + std::to_string(*n.vni) : std::string("no vni")) + ")";
      },
      [](const Network& x, const Network& y, Lines& l) {
        field_changes(network_fields(x), network_fields(y), l);
        set_changes(remote_items(x), remote_items(y), l);
        set_changes(attachment_items(x), attachment_items(y), l);
        set_changes(mac_items(x), mac_items(y), l);
      },
      out);

  named(
      a.routers, b.routers, "router",
      [](const Router& r) {
        return " (tenant " + r.tenant + (r.l3_vni ? ", l3-vni " + std::to_string(*r.l3_vni) : "") +
               ")";
      },
      [](const Router& x, const Router& y, Lines& l) {
        auto fields = [](const Router& r) -> Fields {
          return {{"tenant", r.tenant},
                  {"l3-vni", str(r.l3_vni)},
                  {"router-mac", r.router_mac ? r.router_mac->to_string() : "none"},
                  {"advertise-connected", str(r.advertise_connected)}};
        };
        field_changes(fields(x), fields(y), l);
        keyed_changes(interface_items(x), interface_items(y), l);
        keyed_changes(route_items(x), route_items(y), l);
      },
      out);

  if (a.evpn && !b.evpn) out.push_back("- evpn");
  if (!a.evpn && b.evpn) out.push_back("+ evpn (asn " + std::to_string(b.evpn->asn) + ")");
  if (a.evpn && b.evpn && !(*a.evpn == *b.evpn)) {
    Lines l;
    field_changes({{"asn", str(a.evpn->asn)},
                   {"router-id", str(a.evpn->router_id)},
                   {"hold-time", str(a.evpn->hold_time)},
                   {"connect-retry", str(a.evpn->connect_retry)}},
                  {{"asn", str(b.evpn->asn)},
                   {"router-id", str(b.evpn->router_id)},
                   {"hold-time", str(b.evpn->hold_time)},
                   {"connect-retry", str(b.evpn->connect_retry)}},
                  l);
    auto vnis = [](const Evpn& e) {
      Lines n;
      for (const auto& v : e.vnis) {
        std::string line = "vni " + std::to_string(v.vni);
        if (!v.rd.empty()) line += " rd " + v.rd;
        for (const auto& x : v.route_targets) line += " rt " + x;
        for (const auto& x : v.import_route_targets) line += " import-rt " + x;
        for (const auto& x : v.export_route_targets) line += " export-rt " + x;
        n.push_back(line);
      }
      return n;
    };
    set_changes(vnis(*a.evpn), vnis(*b.evpn), l);
    auto neighbors = [](const Evpn& e) {
      Lines n;
      for (const auto& x : e.neighbors)
        n.push_back("neighbor " + x.address.to_string() + " remote-as " +
                    std::to_string(x.remote_as));
      return n;
    };
    set_changes(neighbors(*a.evpn), neighbors(*b.evpn), l);
    for (auto& x : l) out.push_back("~ evpn: " + x);
  }
  return out;
}

}  // namespace vgw::config
