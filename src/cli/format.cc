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
    const json& vlan = e.contains("vlan") ? e["vlan"] : json();
    if (e.contains("remote") && !e["remote"].is_null()) {
      where = field(e, "remote");
    } else if (vlan.is_number() && vlan.get<int>() != 0) {
      where = fmt::format("{}.{}", field(e, "port"), vlan.get<int>());
    } else {
      where = field(e, "port");  // "-" for a router interface MAC (no port)
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
  if (d.contains("router")) {
    const json& r = d["router"];
    out += fmt::format(
        "Router: routed {}  icmp-sent {}  arp-requests-sent {}  arp-replies-sent {}  "
        "suppressed {}  fragments {}\n",
        field(r, "routed"), field(r, "icmp_sent"), field(r, "arp_requests_sent"),
        field(r, "arp_replies_sent"), field(r, "suppressed"), field(r, "fragments"));
  }
  return out;
}

// `show routes`, one line per route like `ip route`: connected routes by
// network, gateway routes by next hops (ECMP hops comma-separated).
std::string format_routes(const json& d) {
  Table t({"TENANT", "ROUTER", "PREFIX", "SOURCE", "VIA", "NETWORK"});
  for (const auto& r : d)
    t.add({field(r, "tenant"), field(r, "router"), field(r, "prefix"), field(r, "source"),
           joined(r.value("via", json::array())), field(r, "network")});
  return t.render();
}

// `show arp`, like `ip neigh`: the IP -> MAC bindings of each network.
std::string format_arp(const json& d) {
  Table t({"TENANT", "NETWORK", "IP", "MAC", "STATE", "ORIGIN", "AGE"});
  for (const auto& n : d)
    t.add({field(n, "tenant"), field(n, "network"), field(n, "ip"), field(n, "mac"),
           field(n, "state"), field(n, "origin"), field(n, "age")});
  return t.render();
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
  if (what == "routes") return format_routes(data);
  if (what == "arp") return format_arp(data);
  return data.dump(2) + "\n";
}

namespace {

std::string vni_text(const json& r) {
  auto it = r.find("vni");
  return it == r.end() || it->is_null() ? "" : fmt::format(" (VNI {})", it->dump());
}

// One record as "stage  what happened".
std::string trace_line(const json& r, const json& pkt) {
  const std::string stage = field(r, "stage"), decision = field(r, "decision");
  const std::string net = field(r, "network") + vni_text(r);
  std::string what;
  if (decision == "drop") {
    what = "dropped: " + field(r, "drop");
    if (stage == "local_ingress" && pkt.contains("in_port"))
      what += " (port " + text(pkt["in_port"]) + ")";
  } else if (stage == "lookup") {
    what = fmt::format("{} in {}: {}", field(r, "mac"), net,
                       decision == "hit" ? "hit" : "miss (unknown unicast)");
  } else if (stage == "learn") {
    std::string at = r.contains("remote") && !r["remote"].is_null()
                         ? "behind VTEP " + field(r, "remote")
                         : "on port " + text(pkt.value("in_port", json()));
    what = fmt::format("{} learned {} in {}", field(r, "mac"), at, net);
  } else if (stage == "flood") {
    what = "flooded in " + net + " (broadcast, multicast or unknown unicast)";
  } else if (stage == "output") {
    what = fmt::format("to port {} ({}), {} bytes", field(r, "port"), net, field(r, "length"));
  } else if (stage == "encap") {
    what = fmt::format("encapsulated to VTEP {} VNI {}, {} bytes to the underlay",
                       field(r, "remote"), field(r, "vni"), field(r, "length"));
  } else {
    what = decision + " " + net;
  }
  return fmt::format("  {:<14}{}\n", stage, what);
}

}  // namespace

std::string format_trace(const json& data, size_t count) {
  const json& packets = data.value("packets", json::array());
  if (packets.empty()) return "no packets traced\n";
  std::string out;
  size_t n = 0;
  for (const json& p : packets) {
    if (n++ == count) break;
    const json& recs = p.value("records", json::array());
    std::string from;
    if (p.value("in_port", json()).is_null()) {
      json first = recs.empty() ? json::object() : recs[0];
      from = fmt::format("from the underlay (VTEP {}, VNI {})", field(first, "remote"),
                         field(first, "vni"));
    } else {
      uint64_t vlan = p.value("vlan", 0u);
      from = "on port " + text(p["in_port"]) + (vlan ? fmt::format(" VLAN {}", vlan) : "");
    }
    out += fmt::format("Packet {} (worker {}) received {}\n", n, field(p, "worker"), from);
    for (const json& r : recs) out += trace_line(r, p);
    out += "\n";
  }
  return out;
}

std::string format_check(const json& data) {
  const json& c = data.value("checked", json::object());
  std::string summary =
      fmt::format("checked {} networks, {} FDB entries, {} flood-list members, {} EVPN routes",
                  field(c, "networks"), field(c, "fdb_entries"), field(c, "flood_members"),
                  field(c, "evpn_routes"));
  const json& f = data.value("findings", json::array());
  if (f.empty()) return "consistent: " + summary + "\n";
  Table t({"KIND", "NETWORK", "OBJECT", "PROBLEM"});
  for (const json& x : f)
    t.add({field(x, "kind"), field(x, "network"), field(x, "object"), field(x, "message")});
  return t.render() + fmt::format("{} finding(s); {}\n", f.size(), summary);
}

std::string format_bulk(const json& d) {
  return fmt::format("added {} replaced {} unchanged {} removed {} absent {} not_owned {}\n",
                     field(d, "added"), field(d, "replaced"), field(d, "unchanged"),
                     field(d, "removed"), field(d, "absent"), field(d, "not_owned"));
}

ParsedEntries parse_entries(std::string_view text_in, bool fdb, bool add) {
  ParsedEntries out;
  size_t start = text_in.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && text_in[start] == '[') {
    try {
      out.entries = json::parse(text_in);
    } catch (const json::parse_error& e) {
      out.error = std::string("malformed JSON: ") + e.what();
    }
    return out;
  }
  out.entries = json::array();
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text_in.size()) {
    size_t end = text_in.find('\n', pos);
    if (end == std::string_view::npos) end = text_in.size();
    std::string_view line = text_in.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> words;
    size_t i = 0;
    while (i < line.size()) {
      size_t b = line.find_first_not_of(" \t\r", i);
      if (b == std::string_view::npos) break;
      size_t e = line.find_first_of(" \t\r", b);
      if (e == std::string_view::npos) e = line.size();
      words.emplace_back(line.substr(b, e - b));
      i = e;
    }
    if (words.empty()) continue;
    // fdb remove also takes the add file's lines (the remote is then ignored).
    const size_t want = fdb ? (add ? 3 : 2) : 2;
    if (words.size() != want && !(fdb && !add && words.size() == 3)) {
      out.error = fmt::format(
          "line {}: expected {} words ({}), found {}", line_no, want,
          fdb ? (add ? "NETWORK|VNI MAC REMOTE" : "NETWORK|VNI MAC") : "NETWORK|VNI REMOTE",
          words.size());
      return out;
    }
    json e = json::object();
    const std::string& n = words[0];
    if (n.find_first_not_of("0123456789") == std::string::npos && n.size() <= 9)
      e["vni"] = std::stoul(n);
    else
      e["network"] = n;
    if (fdb) {
      e["mac"] = words[1];
      if (words.size() == 3) e["remote"] = words[2];
    } else {
      e["remote"] = words[1];
    }
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace vgw::cli
