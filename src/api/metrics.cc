#include "api/metrics.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace vgw::api {

namespace {

using nlohmann::json;
using Labels = std::vector<std::pair<std::string, std::string>>;

// One metric family: HELP and TYPE once, then its samples.
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const Labels& labels, uint64_t value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ += ',';
        out_ += fmt::format("{}=\"{}\"", labels[i].first, escape_label(labels[i].second));
      }
      out_ += '}';
    }
    out_ += fmt::format(" {}\n", value);
  }

 private:
  std::string& out_;
  std::string name_;
};

uint64_t number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->is_number_unsigned() ? it->get<uint64_t>()
                                  : static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
}

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json& array(const json& j, const char* key) {
  static const json empty = json::array();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

// A family per (direction, unit) over the objects of list, labelled by label().
template <typename LabelFn>
void traffic(std::string& out, std::string_view prefix, std::string_view what, const json& list,
             LabelFn label, bool dropped) {
  static constexpr std::pair<const char*, const char*> kKinds[] = {
      {"rx_packets", "packets received"},
      {"rx_bytes", "bytes received"},
      {"tx_packets", "packets sent"},
      {"tx_bytes", "bytes sent"},
      {"rx_dropped", "received packets dropped"},
      {"tx_dropped", "packets not sent (dropped)"}};
  for (const auto& [key, help] : kKinds) {
    std::string_view k = key;
    if (!dropped && k.ends_with("dropped")) continue;
    Family f(out, fmt::format("{}_{}_total", prefix, key), "counter",
             fmt::format("{} per {}", help, what));
    for (const json& o : list)
      if (o.is_object()) f.sample(label(o), number(o, key));
  }
}

}  // namespace

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

uint64_t peer_state_code(const std::string& s) {
  static constexpr std::string_view kStates[] = {"Idle",     "Connect",     "Active",
                                                 "OpenSent", "OpenConfirm", "Established"};
  for (size_t i = 0; i < std::size(kStates); ++i)
    if (s == kStates[i]) return i + 1;
  return 0;
}

void evpn_metrics(std::string& out, const json& evpn) {
  if (!evpn.is_object()) return;
  const json& peers = array(evpn, "peers");
  auto peer = [](const json& p) { return Labels{{"peer", text(p, "address")}}; };
  {
    Family f(out, "vgw_evpn_peer_state", "gauge",
             "BGP session state per EVPN peer: 1 Idle, 2 Connect, 3 Active, 4 OpenSent, "
             "5 OpenConfirm, 6 Established");
    for (const json& p : peers) f.sample(peer(p), peer_state_code(text(p, "state")));
  }
  uint64_t up = 0;
  {
    Family f(out, "vgw_evpn_peer_up", "gauge", "1 when the EVPN peer's session is Established");
    for (const json& p : peers) {
      bool e = text(p, "state") == "Established";
      up += e;
      f.sample(peer(p), e ? 1 : 0);
    }
  }
  Family(out, "vgw_evpn_peers", "gauge", "configured EVPN peers").sample({}, peers.size());
  Family(out, "vgw_evpn_peers_established", "gauge", "EVPN peers whose session is Established")
      .sample({}, up);
  for (const auto& [key, help] : std::initializer_list<std::pair<const char*, const char*>>{
           {"routes_received", "EVPN routes (prefixes) received from the peer"},
           {"routes_sent", "EVPN routes (prefixes) advertised to the peer"}}) {
    Family f(out,
             std::string_view(key) == "routes_received" ? "vgw_evpn_peer_prefixes_received"
                                                        : "vgw_evpn_peer_prefixes_sent",
             "gauge", help);
    for (const json& p : peers) f.sample(peer(p), number(p, key));
  }
  {
    Family f(out, "vgw_evpn_peer_established_total", "counter",
             "times the EVPN peer's session reached Established");
    for (const json& p : peers) f.sample(peer(p), number(p, "established_count"));
  }
  for (const auto& [key, name] : std::initializer_list<std::pair<const char*, const char*>>{
           {"updates_in", "vgw_evpn_peer_updates_received_total"},
           {"updates_out", "vgw_evpn_peer_updates_sent_total"}}) {
    Family f(out, name, "counter", "BGP UPDATE messages per EVPN peer");
    for (const json& p : peers) {
      auto m = p.is_object() && p.contains("messages") ? p["messages"] : json::object();
      f.sample(peer(p), number(m, key));
    }
  }
}

}  // namespace

std::string render_metrics(const json& counters, const json& drops, const json& networks,
                           const json& evpn) {
  std::string out;
  out.reserve(4096);
  traffic(
      out, "vgw_port", "attachment port", array(counters, "ports"),
      [](const json& o) {
        return Labels{{"port", text(o, "name")}};
      },
      true);
  json underlay = json::array();
  if (counters.is_object() && counters.contains("underlay") && counters["underlay"].is_object())
    underlay.push_back(counters["underlay"]);
  traffic(
      out, "vgw_underlay", "underlay (all workers)", underlay, [](const json&) { return Labels{}; },
      true);
  traffic(
      out, "vgw_network", "network", array(counters, "networks"),
      [](const json& o) {
        return Labels{{"network", text(o, "name")}, {"vni", text(o, "vni")}};
      },
      false);
  traffic(
      out, "vgw_remote_vtep", "remote VTEP", array(counters, "remotes"),
      [](const json& o) {
        return Labels{{"remote", text(o, "address")}};
      },
      false);

  {
    Family f(out, "vgw_drops_total", "counter", "packets dropped, by reason");
    if (drops.is_array())
      for (const json& d : drops)
        if (d.is_object()) f.sample({{"reason", text(d, "reason")}}, number(d, "count"));
  }
  for (const char* key : {"rx_packets", "tx_packets"}) {
    Family f(out, fmt::format("vgw_worker_{}_total", key), "counter",
             std::string_view(key) == "rx_packets" ? "packets received per data-plane worker"
                                                   : "packets sent per data-plane worker");
    for (const json& w : array(counters, "workers"))
      if (w.is_object()) f.sample({{"worker", text(w, "id")}}, number(w, key));
  }

  {
    Family f(out, "vgw_fdb_entries", "gauge", "FDB entries per network");
    if (networks.is_array())
      for (const json& n : networks)
        if (n.is_object()) f.sample({{"network", text(n, "name")}}, number(n, "fdb_entries"));
  }
  json fdb = counters.is_object() && counters.contains("fdb") ? counters["fdb"] : json::object();
  {
    Family f(out, "vgw_fdb_entries_all", "gauge", "FDB entries in every network");
    f.sample({}, number(fdb, "entries"));
  }
  static constexpr std::pair<const char*, const char*> kFdb[] = {
      {"learned", "MACs learned"},
      {"moves", "MAC moves"},
      {"aged", "MACs aged out"},
      {"dup_frozen", "MACs frozen by duplicate-move detection"},
      {"mac_limit_exceeded", "MACs not learned because the network was at its mac-limit"}};
  for (const auto& [key, help] : kFdb) {
    Family f(out, fmt::format("vgw_fdb_{}_total", key), "counter", help);
    f.sample({}, number(fdb, key));
  }
  evpn_metrics(out, evpn);
  return out;
}

}  // namespace vgw::api
