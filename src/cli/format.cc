#include "cli/format.h"

#include <algorithm>

#include <fmt/format.h>

namespace vgw::cli {

namespace {

using nlohmann::json;

// A scalar as text: strings bare, null as "-", booleans as yes/no.
std::string text(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
  return j.dump();
}

std::string field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? "-" : text(*it);
}

std::string joined(const json& arr, const char* sep = ",") {
  if (!arr.is_array() || arr.empty()) return "-";
  std::string s;
  for (const auto& x : arr) {
    if (!s.empty()) s += sep;
    s += text(x);
  }
  return s;
}

std::string format_vteps(const json& d) {
  std::string out;
  const json& l = d.value("local", json::object());
  auto range = l.value("source_port_range", json::array());
  out += fmt::format("Local VTEP {}  udp-port {}  source-ports {}  allow-unknown-sources {}\n",
                     field(l, "source"), field(l, "udp_port"), joined(range, "-"),
                     field(l, "allow_unknown_sources"));
  const json& u = l.value("underlay", json::object());
  out += fmt::format("Underlay   {}  io {}  mtu {}\n\n", field(u, "interface"), field(u, "io"),
                     field(u, "mtu"));
  Table t({"REMOTE", "VNIS", "ORIGIN", "RESOLVED", "NEXT-HOP-MAC"});
  for (const auto& r : d.value("remotes", json::array()))
    t.add({field(r, "address"), joined(r.value("vnis", json::array())), field(r, "origin"),
           field(r, "resolved"), field(r, "next_hop_mac")});
  return out + t.render();
}

std::string format_networks(const json& d) {
  Table t(
      {"NAME", "TENANT", "VNI", "FLOOD", "REMOTES", "ATTACHMENTS", "MAC-LIMIT", "AGEING", "FDB"});
  for (const auto& n : d) {
    std::vector<std::string> atts;
    for (const auto& a : n.value("attachments", json::array())) {
      int vlan = a.value("vlan", 0);
      atts.push_back(vlan ? fmt::format("{}.{}", field(a, "port"), vlan) : field(a, "port"));
    }
    std::string limit = n.value("mac_limit", 0) ? field(n, "mac_limit") : "none";
    std::string ageing = n.value("ageing", 0) ? field(n, "ageing") + "s" : "never";
    t.add({field(n, "name"), field(n, "tenant"), field(n, "vni"), field(n, "flood"),
           joined(n.value("remotes", json::array())), joined(json(atts)), limit, ageing,
           field(n, "fdb_entries")});
  }
  return t.render();
}

std::string format_fdb(const json& d) {
  Table t({"NETWORK", "VNI", "MAC", "TYPE", "PORT/REMOTE", "AGE", "MOVES", "FLAGS"});
  for (const auto& e : d) {
    std::string where;
    if (e.contains("remote") && !e["remote"].is_null()) {
      where = field(e, "remote");
    } else {
      int vlan = e.value("vlan", 0);
      where = vlan ? fmt::format("{}.{}", field(e, "port"), vlan) : field(e, "port");
    }
    t.add({field(e, "network"), field(e, "vni"), field(e, "mac"), field(e, "type"), where,
           field(e, "age"), field(e, "moves"), e.value("frozen", false) ? "frozen" : ""});
  }
  return t.render();
}

void traffic_rows(Table& t, const std::string& name, const json& c) {
  t.add({name, field(c, "rx_packets"), field(c, "rx_bytes"), field(c, "tx_packets"),
         field(c, "tx_bytes"), field(c, "rx_dropped"), field(c, "tx_dropped")});
}

std::string format_counters(const json& d) {
  std::string out;
  Table ports(
      {"PORT", "RX-PACKETS", "RX-BYTES", "TX-PACKETS", "TX-BYTES", "RX-DROPPED", "TX-DROPPED"});
  for (const auto& p : d.value("ports", json::array())) traffic_rows(ports, field(p, "name"), p);
  if (d.contains("underlay")) traffic_rows(ports, "(underlay)", d["underlay"]);
  out += ports.render() + "\n";

  Table nets({"NETWORK", "VNI", "RX-PACKETS", "RX-BYTES", "TX-PACKETS", "TX-BYTES"});
  for (const auto& n : d.value("networks", json::array()))
    nets.add({field(n, "name"), field(n, "vni"), field(n, "rx_packets"), field(n, "rx_bytes"),
              field(n, "tx_packets"), field(n, "tx_bytes")});
  out += nets.render() + "\n";

  Table rem({"REMOTE", "RX-PACKETS", "RX-BYTES", "TX-PACKETS", "TX-BYTES"});
  for (const auto& r : d.value("remotes", json::array()))
    rem.add({field(r, "address"), field(r, "rx_packets"), field(r, "rx_bytes"),
             field(r, "tx_packets"), field(r, "tx_bytes")});
  out += rem.render() + "\n";

  Table w({"WORKER", "RX-PACKETS", "TX-PACKETS"});
  for (const auto& x : d.value("workers", json::array()))
    w.add({field(x, "id"), field(x, "rx_packets"), field(x, "tx_packets")});
  out += w.render() + "\n";

  const json& f = d.value("fdb", json::object());
  out += fmt::format(
      "FDB: entries {}  learned {}  moves {}  mac-limit-exceeded {}  dup-frozen {}  "
      "aged {}\n",
      field(f, "entries"), field(f, "learned"), field(f, "moves"), field(f, "mac_limit_exceeded"),
      field(f, "dup_frozen"), field(f, "aged"));
  return out;
}

std::string format_drops(const json& d) {
  Table t({"REASON", "COUNT"});
  for (const auto& r : d) t.add({field(r, "reason"), field(r, "count")});
  return t.render();
}

}  // namespace

std::string Table::render() const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

namespace {

// `show evpn peers`, like FRR's `show bgp l2vpn evpn summary`.
std::string format_evpn_peers(const json& d) {
  if (!d.value("running", false)) return "EVPN is not configured\n";
  std::string out = fmt::format("BGP router identifier {}, local AS number {}, VTEP {}\n",
                                field(d, "router_id"), field(d, "asn"), field(d, "local_address"));
  std::string listen_error = d.value("listen_error", std::string());
  if (!listen_error.empty()) out += "Listener: " + listen_error + "\n";
  out += "\n";
  Table t({"NEIGHBOR", "AS", "TYPE", "STATE", "UP(s)", "HOLD", "RCVD", "SENT", "LAST-ERROR"});
  for (const auto& p : d.value("peers", json::array()))
    t.add({field(p, "address"), field(p, "remote_as"), field(p, "type"), field(p, "state"),
           field(p, "uptime_s"), field(p, "hold_time"), field(p, "routes_received"),
           field(p, "routes_sent"),
           p.value("last_error", std::string()).empty() ? "-" : field(p, "last_error")});
  return out + t.render();
}

// `show evpn routes`, like FRR's `show bgp l2vpn evpn route`.
std::string format_evpn_routes(const json& d) {
  Table t({"RD", "PREFIX", "VNI", "FROM", "NEXT-HOP", "SEQ", "EXT-COMMUNITIES"});
  for (const auto& r : d)
    t.add({field(r, "rd"), field(r, "prefix"), field(r, "vni"), field(r, "source"),
           field(r, "next_hop"), field(r, "sequence"),
           joined(r.value("ext_communities", json::array()), " ")});
  return t.render();
}

}  // namespace

std::string format_evpn(std::string_view view, const nlohmann::json& data) {
  return view == "routes" ? format_evpn_routes(data) : format_evpn_peers(data);
}

std::string format_show(std::string_view what, const nlohmann::json& data) {
  if (what == "vteps") return format_vteps(data);
  if (what == "networks") return format_networks(data);
  if (what == "fdb") return format_fdb(data);
  if (what == "counters") return format_counters(data);
  if (what == "drops") return format_drops(data);
  return data.dump(2) + "\n";
}

}  // namespace vgw::cli
