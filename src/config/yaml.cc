// YAML <-> Config. The reader walks the document with the path of each node so
// every error can say `object.field: reason`. yaml-cpp throws on malformed text
// and on some conversions; nothing of it escapes parse_yaml. Inside this file a
// failed check throws ParseFailure to unwind the nested readers in one step;
// parse_yaml turns it into an Error value (this is cold, control-plane code).
#include "config/yaml.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/names.h"

namespace vgw::config {
namespace {

struct ParseFailure {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw ParseFailure{path.empty() ? reason : path + ": " + reason};
}

// Valid UTF-8 without control characters: text that survives a round trip
// through the file, JSON and a terminal.
bool printable_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates, beyond U+10FFFF and C1 controls.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
        (cp >= 0x80 && cp <= 0x9f))
      return false;
    i += len;
  }
  return true;
}

// A value quoted for an error message: long values cut, bytes that are not
// printable UTF-8 shown as \xNN (messages travel in JSON and to terminals).
std::string quoted(const std::string& s) {
  std::string v = s.size() > 80 ? s.substr(0, 80) : s;
  std::string out = "\"";
  if (printable_utf8(v)) {
    out += v;
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : v) {
      auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c < 0x7f) {
        out += ch;
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
    }
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

std::string kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return quoted(n.Scalar());
    default:
      return "nothing";
  }
}

bool present(const YAML::Node& n) {
  return n.IsDefined() && !n.IsNull();
}

// A name: starts with a letter or digit, then letters, digits and . _ : -
bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  auto ok = [](char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return !first && (c == '.' || c == '_' || c == ':' || c == '-');
  };
  for (size_t i = 0; i < s.size(); ++i)
    if (!ok(s[i], i == 0)) return false;
  return true;
}

// A YAML mapping being read: its keys are checked against the fields the
// object has (unknown and duplicate keys are errors) before any field is read.
class Object {
 public:
  Object(const YAML::Node& node, std::string path, std::initializer_list<const char*> fields)
      : path_(std::move(path)) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) fail(path_, "expected a mapping, got " + kind_of(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) fail(path_, "field names must be plain text");
      const std::string& key = it->first.Scalar();
      bool known = false;
      for (const char* f : fields) known = known || key == f;
      if (!known) fail(path_, "unknown field " + quoted(key));
      for (const auto& [k, v] : entries_)
        if (k == key) fail(path_, "duplicate field " + quoted(key));
      entries_.emplace_back(key, it->second);
    }
  }

  // The value of a field, or an undefined node when it is absent.
  YAML::Node get(std::string_view key) const {
    for (const auto& [k, v] : entries_)
      if (k == key) return v;
    return YAML::Node(YAML::NodeType::Undefined);
  }
  bool has(std::string_view key) const { return present(get(key)); }
  std::string path(std::string_view key) const { return path_ + "." + std::string(key); }
  const std::string& path() const { return path_; }

  YAML::Node required(std::string_view key) const {
    YAML::Node n = get(key);
    if (!present(n)) fail(path_, "missing required field " + quoted(std::string(key)));
    return n;
  }

 private:
  std::string path_;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

std::string scalar(const YAML::Node& n, const std::string& path, const char* what) {
  if (!n.IsScalar()) fail(path, std::string("expected ") + what + ", got " + kind_of(n));
  return n.Scalar();
}

std::string text(const YAML::Node& n, const std::string& path) {
  std::string s = scalar(n, path, "text");
  if (!printable_utf8(s)) fail(path, "must be printable UTF-8 text");
  return s;
}

uint64_t number(const YAML::Node& n, const std::string& path, uint64_t lo, uint64_t hi) {
  std::string s = scalar(n, path, "a number");
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (p != end || s.empty()) fail(path, "expected a number, got " + quoted(s));
  std::string range = " is out of range " + std::to_string(lo) + ".." + std::to_string(hi);
  if (ec == std::errc::result_out_of_range) fail(path, s + range);
  if (ec != std::errc()) fail(path, "expected a number, got " + quoted(s));
  if (v < 0 || static_cast<uint64_t>(v) < lo || static_cast<uint64_t>(v) > hi)
    fail(path, s + range);
  return static_cast<uint64_t>(v);
}

bool boolean(const YAML::Node& n, const std::string& path) {
  std::string s = scalar(n, path, "true or false");
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") return false;
  fail(path, "expected true or false, got " + quoted(s));
}

IpAddress ip(const YAML::Node& n, const std::string& path) {
  std::string s = scalar(n, path, "an IP address");
  auto a = IpAddress::parse(s);
  if (!a) fail(path, quoted(s) + " is not an IP address");
  return *a;
}

MacAddress mac(const YAML::Node& n, const std::string& path) {
  std::string s = scalar(n, path, "a MAC address");
  auto m = MacAddress::parse(s);
  if (!m) fail(path, quoted(s) + " is not a MAC address (aa:bb:cc:dd:ee:ff)");
  return *m;
}

IpPrefix prefix(const YAML::Node& n, const std::string& path) {
  std::string s = scalar(n, path, "an IP prefix");
  auto p = IpPrefix::parse(s);
  if (!p) fail(path, quoted(s) + " is not an IP prefix (address/length)");
  return *p;
}

std::string name(const YAML::Node& n, const std::string& path, size_t max_len = 64) {
  std::string s = text(n, path);
  if (s.size() > max_len)
    fail(path, quoted(s) + " is longer than " + std::to_string(max_len) + " characters");
  if (!valid_name(s))
    fail(path,
         quoted(s) + " is not a valid name (a letter or digit, then letters, digits, . _ : -)");
  return s;
}

// Calls item(node, path) for each element of a list; an absent or empty value
// is an empty list. A list item is named by its `name` field when it has one.
template <typename F>
void each(const YAML::Node& n, const std::string& path, F&& item) {
  if (!present(n)) return;
  if (!n.IsSequence()) fail(path, "expected a list, got " + kind_of(n));
  // Iterators, not n[i]: yaml-cpp's indexed access walks the list (quadratic).
  size_t i = 0;
  for (auto it = n.begin(); it != n.end(); ++it, ++i) {
    const YAML::Node& e = *it;
    std::string label = std::to_string(i);
    if (e.IsMap()) {
      YAML::Node nm = e["name"];
      if (nm.IsDefined() && nm.IsScalar() && valid_name(nm.Scalar())) label = nm.Scalar();
    }
    item(e, path + "[" + label + "]");
  }
}

std::vector<IpAddress> ip_list(const YAML::Node& n, const std::string& path) {
  std::vector<IpAddress> out;
  if (n.IsScalar()) {
    out.push_back(ip(n, path));
    return out;
  }
  each(n, path, [&](const YAML::Node& e, const std::string& p) { out.push_back(ip(e, p)); });
  return out;
}

void read_node(const YAML::Node& n, Node& node) {
  Object o(n, "node", {"name", "workers"});
  if (o.has("name")) node.name = name(o.get("name"), o.path("name"));
  if (o.has("workers"))
    node.workers = static_cast<uint32_t>(number(o.get("workers"), o.path("workers"), 0, 1024));
}

void read_api(const YAML::Node& n, Api& api) {
  Object o(n, "api", {"socket", "http", "token"});
  if (o.get("socket").IsDefined())
    api.socket = o.has("socket") ? text(o.get("socket"), o.path("socket")) : "";
  if (o.get("http").IsDefined())
    api.http = o.has("http") ? text(o.get("http"), o.path("http")) : "";
  if (o.has("token")) api.token = text(o.get("token"), o.path("token"));
}

Port read_port(const YAML::Node& n, const std::string& path) {
  Object o(n, path, {"name", "io"});
  Port p;
  p.name = name(o.required("name"), o.path("name"), 15);
  if (o.has("io")) {
    p.io = text(o.get("io"), o.path("io"));
    if (p.io != "packet" && p.io != "xdp" && p.io != "memory")
      fail(o.path("io"), quoted(p.io) + " is not one of packet, xdp, memory");
  }
  return p;
}

void read_underlay(const YAML::Node& n, Underlay& u) {
  Object o(n, "underlay", {"interface", "io", "mtu"});
  if (o.has("interface")) u.interface = name(o.get("interface"), o.path("interface"), 15);
  if (o.has("io")) {
    std::string s = text(o.get("io"), o.path("io"));
    auto io = parse_underlay_io(s);
    if (!io) fail(o.path("io"), quoted(s) + " is not one of xdp, packet, socket, tap");
    u.io = *io;
  }
  if (o.has("mtu")) u.mtu = static_cast<uint32_t>(number(o.get("mtu"), o.path("mtu"), 0, 65535));
}

void read_vtep(const YAML::Node& n, Vtep& v) {
  Object o(n, "vtep",
           {"source", "udp-port", "source-port-range", "allow-unknown-sources", "ttl", "df"});
  if (o.has("source")) v.source = ip(o.get("source"), o.path("source"));
  if (o.has("udp-port"))
    v.udp_port = static_cast<uint16_t>(number(o.get("udp-port"), o.path("udp-port"), 1, 65535));
  if (o.has("source-port-range")) {
    YAML::Node r = o.get("source-port-range");
    std::string p = o.path("source-port-range");
    if (!r.IsSequence() || r.size() != 2)
      fail(p, "expected [min, max], got " +
                  (r.IsSequence() ? "a list of " + std::to_string(r.size()) : kind_of(r)));
    v.source_port_min = static_cast<uint16_t>(number(r[0], p + "[0]", 1, 65535));
    v.source_port_max = static_cast<uint16_t>(number(r[1], p + "[1]", 1, 65535));
  }
  if (o.has("allow-unknown-sources"))
    v.allow_unknown_sources =
        boolean(o.get("allow-unknown-sources"), o.path("allow-unknown-sources"));
  if (o.has("ttl")) v.ttl = static_cast<uint8_t>(number(o.get("ttl"), o.path("ttl"), 1, 255));
  if (o.has("df")) v.df = boolean(o.get("df"), o.path("df"));
}

void read_fdb(const YAML::Node& n, Fdb& f) {
  Object o(n, "fdb", {"dup-max-moves", "dup-window"});
  if (o.has("dup-max-moves"))
    f.dup_max_moves =
        static_cast<uint32_t>(number(o.get("dup-max-moves"), o.path("dup-max-moves"), 0, 1000));
  if (o.has("dup-window"))
    f.dup_window =
        static_cast<uint32_t>(number(o.get("dup-window"), o.path("dup-window"), 1, 86400));
}

Tenant read_tenant(const YAML::Node& n, const std::string& path) {
  Object o(n, path, {"name"});
  return Tenant{name(o.required("name"), o.path("name"))};
}

Attachment read_attachment(const YAML::Node& n, const std::string& path) {
  Object o(n, path, {"port", "vlan"});
  Attachment a;
  a.port = name(o.required("port"), o.path("port"), 15);
  if (o.has("vlan")) a.vlan = static_cast<uint16_t>(number(o.get("vlan"), o.path("vlan"), 1, 4094));
  return a;
}

StaticMac read_static_mac(const YAML::Node& n, const std::string& path) {
  Object o(n, path, {"mac", "port", "vlan", "remote"});
  StaticMac m;
  m.mac = mac(o.required("mac"), o.path("mac"));
  if (o.has("port")) m.port = name(o.get("port"), o.path("port"), 15);
  if (o.has("vlan")) m.vlan = static_cast<uint16_t>(number(o.get("vlan"), o.path("vlan"), 1, 4094));
  if (o.has("remote")) m.remote = ip(o.get("remote"), o.path("remote"));
  if (m.port.empty() == !m.remote.has_value())
    fail(path, "needs exactly one of \"port\" (a local port) or \"remote\" (a remote VTEP)");
  if (m.remote && o.has("vlan")) fail(o.path("vlan"), "only applies with \"port\"");
  return m;
}

Network read_network(const YAML::Node& n, const std::string& path) {
  Object o(n, path,
           {"name", "tenant", "vni", "flood", "remotes", "multicast-group", "mac-limit", "ageing",
            "arp-suppression", "allow-inner-vlan", "attachments", "macs"});
  Network net;
  net.name = name(o.required("name"), o.path("name"));
  net.tenant = name(o.required("tenant"), o.path("tenant"));
  if (o.has("vni"))
    net.vni = static_cast<uint32_t>(number(o.get("vni"), o.path("vni"), 1, kMaxVni));
  if (o.has("flood")) {
    std::string s = text(o.get("flood"), o.path("flood"));
    auto m = parse_flood_mode(s);
    if (!m) fail(o.path("flood"), quoted(s) + " is not one of head-end, multicast, evpn, none");
    net.flood = *m;
  }
  net.remotes = ip_list(o.get("remotes"), o.path("remotes"));
  if (o.has("multicast-group"))
    net.multicast_group = ip(o.get("multicast-group"), o.path("multicast-group"));
  if (o.has("mac-limit"))
    net.mac_limit =
        static_cast<uint32_t>(number(o.get("mac-limit"), o.path("mac-limit"), 0, 16'777'216));
  if (o.has("ageing"))
    net.ageing = static_cast<uint32_t>(number(o.get("ageing"), o.path("ageing"), 0, 1'000'000));
  if (o.has("arp-suppression"))
    net.arp_suppression = boolean(o.get("arp-suppression"), o.path("arp-suppression"));
  if (o.has("allow-inner-vlan"))
    net.allow_inner_vlan = boolean(o.get("allow-inner-vlan"), o.path("allow-inner-vlan"));
  each(o.get("attachments"), o.path("attachments"), [&](const YAML::Node& e, const std::string& p) {
    net.attachments.push_back(read_attachment(e, p));
  });
  each(o.get("macs"), o.path("macs"), [&](const YAML::Node& e, const std::string& p) {
    net.static_macs.push_back(read_static_mac(e, p));
  });
  return net;
}

RouterInterface read_interface(const YAML::Node& n, const std::string& path) {
  Object o(n, path, {"network", "address", "mac"});
  RouterInterface i;
  i.network = name(o.required("network"), o.path("network"));
  i.address = prefix(o.required("address"), o.path("address"));
  if (o.has("mac")) i.mac = mac(o.get("mac"), o.path("mac"));
  return i;
}

Route read_route(const YAML::Node& n, const std::string& path) {
  Object o(n, path, {"prefix", "via"});
  Route r;
  r.prefix = prefix(o.required("prefix"), o.path("prefix"));
  r.via = ip_list(o.required("via"), o.path("via"));
  if (r.via.empty()) fail(o.path("via"), "needs at least one next hop");
  return r;
}

Router read_router(const YAML::Node& n, const std::string& path) {
  Object o(
      n, path,
      {"name", "tenant", "l3-vni", "router-mac", "advertise-connected", "interfaces", "routes"});
  Router r;
  r.name = name(o.required("name"), o.path("name"));
  r.tenant = name(o.required("tenant"), o.path("tenant"));
  if (o.has("l3-vni"))
    r.l3_vni = static_cast<uint32_t>(number(o.get("l3-vni"), o.path("l3-vni"), 1, kMaxVni));
  if (o.has("router-mac")) r.router_mac = mac(o.get("router-mac"), o.path("router-mac"));
  if (o.has("advertise-connected"))
    r.advertise_connected = boolean(o.get("advertise-connected"), o.path("advertise-connected"));
  each(o.get("interfaces"), o.path("interfaces"), [&](const YAML::Node& e, const std::string& p) {
    r.interfaces.push_back(read_interface(e, p));
  });
  each(o.get("routes"), o.path("routes"),
       [&](const YAML::Node& e, const std::string& p) { r.routes.push_back(read_route(e, p)); });
  return r;
}

Evpn read_evpn(const YAML::Node& n) {
  Object o(n, "evpn", {"asn", "router-id", "neighbors", "hold-time", "connect-retry", "vnis"});
  Evpn e;
  e.asn = static_cast<uint32_t>(number(o.required("asn"), o.path("asn"), 1, 4'294'967'295u));
  if (o.has("router-id")) e.router_id = ip(o.get("router-id"), o.path("router-id"));
  each(o.get("neighbors"), o.path("neighbors"), [&](const YAML::Node& x, const std::string& p) {
    Object no(x, p, {"address", "remote-as"});
    EvpnNeighbor nb;
    nb.address = ip(no.required("address"), no.path("address"));
    nb.remote_as = static_cast<uint32_t>(
        number(no.required("remote-as"), no.path("remote-as"), 1, 4'294'967'295u));
    e.neighbors.push_back(nb);
  });
  if (o.has("hold-time"))
    e.hold_time = static_cast<uint16_t>(number(o.get("hold-time"), o.path("hold-time"), 0, 65535));
  if (o.has("connect-retry"))
    e.connect_retry =
        static_cast<uint32_t>(number(o.get("connect-retry"), o.path("connect-retry"), 1, 65535));
  each(o.get("vnis"), o.path("vnis"), [&](const YAML::Node& x, const std::string& p) {
    Object vo(x, p, {"vni", "rd", "route-targets", "import-route-targets", "export-route-targets"});
    EvpnVni v;
    v.vni = static_cast<uint32_t>(number(vo.required("vni"), vo.path("vni"), 1, kMaxVni));
    if (vo.has("rd")) v.rd = text(vo.get("rd"), vo.path("rd"));
    auto strings = [&](const char* key, std::vector<std::string>& out) {
      each(vo.get(key), vo.path(key),
           [&](const YAML::Node& y, const std::string& yp) { out.push_back(text(y, yp)); });
    };
    strings("route-targets", v.route_targets);
    strings("import-route-targets", v.import_route_targets);
    strings("export-route-targets", v.export_route_targets);
    e.vnis.push_back(std::move(v));
  });
  return e;
}

Config read_config(const YAML::Node& root) {
  Config c;
  Object o(root, "",
           {"node", "api", "ports", "underlay", "vtep", "fdb", "tenants", "networks", "routers",
            "evpn"});
  // A top-level field's path is its bare name.
  auto top = [](const char* k) { return std::string(k); };
  read_node(o.get("node"), c.node);
  read_api(o.get("api"), c.api);
  each(o.get("ports"), top("ports"),
       [&](const YAML::Node& e, const std::string& p) { c.ports.push_back(read_port(e, p)); });
  read_underlay(o.get("underlay"), c.underlay);
  read_vtep(o.get("vtep"), c.vtep);
  read_fdb(o.get("fdb"), c.fdb);
  each(o.get("tenants"), top("tenants"),
       [&](const YAML::Node& e, const std::string& p) { c.tenants.push_back(read_tenant(e, p)); });
  each(o.get("networks"), top("networks"), [&](const YAML::Node& e, const std::string& p) {
    c.networks.push_back(read_network(e, p));
  });
  each(o.get("routers"), top("routers"),
       [&](const YAML::Node& e, const std::string& p) { c.routers.push_back(read_router(e, p)); });
  if (o.has("evpn")) c.evpn = read_evpn(o.get("evpn"));
  return c;
}

// ---- writing ----

void emit_ip_list(YAML::Emitter& out, const std::vector<IpAddress>& v) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& a : v) out << a.to_string();
  out << YAML::EndSeq;
}

// Networks are written by hand, one flow mapping per line: with a million networks
// yaml-cpp's Emitter (several regular-expression matches per scalar) took most of
// an apply. Text is double-quoted with " and \ escaped (text() admits no control
// characters), so every value reads back as itself. A field equal to its default
// (Network{}) is left out, as a hand-written file would: the million-network state
// file is less than half the size (written, fsynced and read back at start).
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_network(std::string& out, const Network& n) {
  static const Network kDefault;
  out += "  - {name: ";
  append_quoted(out, n.name);
  out += ", tenant: ";
  append_quoted(out, n.tenant);
  if (n.vni) {
    out += ", vni: ";
    append_number(out, *n.vni);
  }
  if (n.flood != kDefault.flood) {
    out += ", flood: ";
    out += to_string(n.flood);
  }
  if (!n.remotes.empty()) {
    out += ", remotes: [";
    for (size_t i = 0; i < n.remotes.size(); ++i) {
      if (i) out += ", ";
      append_quoted(out, n.remotes[i].to_string());
    }
    out += "]";
  }
  if (n.multicast_group) {
    out += ", multicast-group: ";
    append_quoted(out, n.multicast_group->to_string());
  }
  if (n.mac_limit != kDefault.mac_limit) {
    out += ", mac-limit: ";
    append_number(out, n.mac_limit);
  }
  if (n.ageing != kDefault.ageing) {
    out += ", ageing: ";
    append_number(out, n.ageing);
  }
  if (n.arp_suppression != kDefault.arp_suppression)
    out += n.arp_suppression ? ", arp-suppression: true" : ", arp-suppression: false";
  if (n.allow_inner_vlan != kDefault.allow_inner_vlan)
    out += n.allow_inner_vlan ? ", allow-inner-vlan: true" : ", allow-inner-vlan: false";
  if (!n.attachments.empty()) {
    out += ", attachments: [";
    for (size_t i = 0; i < n.attachments.size(); ++i) {
      const Attachment& a = n.attachments[i];
      out += i ? ", {port: " : "{port: ";
      append_quoted(out, a.port);
      if (a.vlan) {
        out += ", vlan: ";
        append_number(out, a.vlan);
      }
      out += "}";
    }
    out += "]";
  }
  if (!n.static_macs.empty()) {
    out += ", macs: [";
    for (size_t i = 0; i < n.static_macs.size(); ++i) {
      const StaticMac& m = n.static_macs[i];
      out += i ? ", {mac: " : "{mac: ";
      append_quoted(out, m.mac.to_string());
      if (!m.port.empty()) {
        out += ", port: ";
        append_quoted(out, m.port);
      }
      if (m.vlan) {
        out += ", vlan: ";
        append_number(out, m.vlan);
      }
      if (m.remote) {
        out += ", remote: ";
        append_quoted(out, m.remote->to_string());
      }
      out += "}";
    }
    out += "]";
  }
  out += "}\n";
}

// A hand-written reader for one line of the line-by-line list: a flow mapping of
// plain or quoted scalars, flow lists and nested flow mappings (what to_yaml and
// generators write). Why not yaml-cpp per line: its scanner matches regular
// expressions character by character and allocates per token; at a million lines
// that was most of an apply (1M networks: 19.4 s of vgwd CPU with yaml-cpp per line,
// 9.5 s with this reader, the rest being validate, diff and snapshot). It builds the same
// YAML::Node tree yaml-cpp would build and read_network reads it, so values and error messages stay
// those of the ordinary path. It admits only a strict subset of YAML: anything it does not know for
// sure (escapes other than \" and \\, null forms, a plain scalar that does not start with a letter
// or digit, tabs, bytes >= 0x80, comments, `key:value` without a space...) returns nullopt and the
// line goes to yaml-cpp.
class FlowReader {
 public:
  explicit FlowReader(std::string_view s) : s_(s) {}

  // The whole text read straight into a Network, when it is the common shape: every
  // field once, a scalar (remotes a scalar or a list of scalars; attachments and macs
  // empty lists) holding a value read_network accepts. Anything else (an error to
  // report, a nested value, a null, a duplicate) returns nullopt and the line takes
  // the node path, so values and messages stay read_network's. No YAML::Node is
  // built: at a million lines the node trees were most of the parse.
  std::optional<Network> network() {
    if (peek() != '{') return std::nullopt;
    ++i_;
    spaces();
    Network net;
    unsigned seen = 0;
    for (;;) {
      std::optional<std::string_view> key = plain_view();
      if (!key || peek() != ':' || i_ + 1 >= s_.size() || s_[i_ + 1] != ' ') return std::nullopt;
      i_ += 2;
      spaces();
      int f = network_field(*key);
      if (f < 0 || (seen & (1u << f))) return std::nullopt;
      seen |= 1u << f;
      if (!network_value(f, net)) return std::nullopt;
      spaces();
      if (peek() == '}') {
        ++i_;
        break;
      }
      if (peek() != ',') return std::nullopt;
      ++i_;
      spaces();
    }
    constexpr unsigned kRequired = 1u << kName | 1u << kTenant;
    if (i_ != s_.size() || (seen & kRequired) != kRequired) return std::nullopt;
    return net;
  }

  // The node for the whole text, which must be exactly one flow mapping.
  std::optional<YAML::Node> read() {
    if (peek() != '{') return std::nullopt;
    std::optional<YAML::Node> n = mapping(0);
    if (!n || i_ != s_.size()) return std::nullopt;
    return n;
  }

 private:
  static constexpr int kMaxDepth = 4;

  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void spaces() {
    while (peek() == ' ') ++i_;
  }
  static bool alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  // Characters a plain scalar may go on with in flow context; ':' only when
  // followed by one of them (": " ends a key, ":," or ":]" would too).
  static bool plain_char(char c) {
    return alnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
  }

  std::optional<std::string_view> plain_view() {
    if (!alnum(peek())) return std::nullopt;
    size_t start = i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (plain_char(c)) {
        ++i_;
      } else if (c == ':' && i_ + 1 < s_.size() && (plain_char(s_[i_ + 1]) || s_[i_ + 1] == ':')) {
        ++i_;
      } else {
        break;
      }
    }
    std::string_view v = s_.substr(start, i_ - start);
    // yaml-cpp makes these a null node, not a scalar.
    if (v == "null" || v == "Null" || v == "NULL") return std::nullopt;
    return v;
  }
  std::optional<std::string> plain() {
    std::optional<std::string_view> v = plain_view();
    if (!v) return std::nullopt;
    return std::string(*v);
  }

  std::optional<std::string> quoted_scalar() {
    char q = s_[i_++];
    std::string v;
    while (i_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20 || c >= 0x7f) return std::nullopt;
      if (q == '"' && c == '\\') {
        if (i_ + 1 >= s_.size() || (s_[i_ + 1] != '"' && s_[i_ + 1] != '\\')) return std::nullopt;
        v += s_[i_ + 1];
        i_ += 2;
      } else if (c == static_cast<unsigned char>(q)) {
        if (q == '\'' && i_ + 1 < s_.size() && s_[i_ + 1] == '\'') {
          v += '\'';
          i_ += 2;
        } else {
          ++i_;
          return v;
        }
      } else {
        v += static_cast<char>(c);
        ++i_;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> scalar_text() {
    char c = peek();
    if (c == '"' || c == '\'') return quoted_scalar();
    return plain();
  }

  // ---- Network fields, as read_network checks them (name(), number(), ...) ----
  enum NetworkField {
    kName,
    kTenant,
    kVni,
    kFlood,
    kRemotes,
    kMulticastGroup,
    kMacLimit,
    kAgeing,
    kArpSuppression,
    kAllowInnerVlan,
    kAttachments,
    kMacs,
  };
  static int network_field(std::string_view k) {
    static constexpr std::string_view kKeys[] = {"name",
                                                 "tenant",
                                                 "vni",
                                                 "flood",
                                                 "remotes",
                                                 "multicast-group",
                                                 "mac-limit",
                                                 "ageing",
                                                 "arp-suppression",
                                                 "allow-inner-vlan",
                                                 "attachments",
                                                 "macs"};
    for (size_t i = 0; i < std::size(kKeys); ++i)
      if (kKeys[i] == k) return static_cast<int>(i);
    return -1;
  }

  // A scalar (not a list or mapping), as text.
  std::optional<std::string> scalar_value() {
    char c = peek();
    if (c == '[' || c == '{') return std::nullopt;
    return scalar_text();
  }
  std::optional<uint64_t> number_value(uint64_t lo, uint64_t hi) {
    std::optional<std::string> s = scalar_value();
    if (!s || s->empty()) return std::nullopt;
    int64_t v = 0;
    const char* end = s->data() + s->size();
    auto [p, ec] = std::from_chars(s->data(), end, v);
    if (p != end || ec != std::errc() || v < 0 || static_cast<uint64_t>(v) < lo ||
        static_cast<uint64_t>(v) > hi)
      return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  std::optional<IpAddress> ip_value() {
    std::optional<std::string> s = scalar_value();
    if (!s) return std::nullopt;
    return IpAddress::parse(*s);
  }
  std::optional<bool> bool_value() {
    std::optional<std::string> s = scalar_value();
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "TRUE" || *s == "yes" || *s == "on") return true;
    if (*s == "false" || *s == "False" || *s == "FALSE" || *s == "no" || *s == "off") return false;
    return std::nullopt;
  }
  std::optional<std::string> name_value() {
    std::optional<std::string> s = scalar_value();
    if (!s || !valid_name(*s)) return std::nullopt;  // valid_name: at most 64 characters
    return s;
  }
  bool empty_list() {
    if (peek() != '[') return false;
    ++i_;
    spaces();
    if (peek() != ']') return false;
    ++i_;
    return true;
  }
  bool ip_list_value(std::vector<IpAddress>& out) {
    if (peek() != '[') {
      std::optional<IpAddress> a = ip_value();
      if (!a) return false;
      out.push_back(*a);
      return true;
    }
    ++i_;
    spaces();
    if (peek() == ']') {
      ++i_;
      return true;
    }
    for (;;) {
      std::optional<IpAddress> a = ip_value();
      if (!a) return false;
      out.push_back(*a);
      spaces();
      if (peek() == ']') {
        ++i_;
        return true;
      }
      if (peek() != ',') return false;
      ++i_;
      spaces();
    }
  }

  bool network_value(int f, Network& net) {
    switch (f) {
      case kName:
      case kTenant: {
        std::optional<std::string> s = name_value();
        if (!s) return false;
        (f == kName ? net.name : net.tenant) = std::move(*s);
        return true;
      }
      case kVni: {
        std::optional<uint64_t> v = number_value(1, kMaxVni);
        if (v) net.vni = static_cast<uint32_t>(*v);
        return v.has_value();
      }
      case kFlood: {
        std::optional<std::string> s = scalar_value();
        std::optional<FloodMode> m = s ? parse_flood_mode(*s) : std::nullopt;
        if (m) net.flood = *m;
        return m.has_value();
      }
      case kRemotes:
        return ip_list_value(net.remotes);
      case kMulticastGroup:
        net.multicast_group = ip_value();
        return net.multicast_group.has_value();
      case kMacLimit:
      case kAgeing: {
        std::optional<uint64_t> v = number_value(0, f == kMacLimit ? 16'777'216 : 1'000'000);
        if (v) (f == kMacLimit ? net.mac_limit : net.ageing) = static_cast<uint32_t>(*v);
        return v.has_value();
      }
      case kArpSuppression:
      case kAllowInnerVlan: {
        std::optional<bool> b = bool_value();
        if (b) (f == kArpSuppression ? net.arp_suppression : net.allow_inner_vlan) = *b;
        return b.has_value();
      }
      case kAttachments:
      case kMacs:
        return empty_list();
    }
    return false;
  }

  std::optional<YAML::Node> value(int depth) {
    char c = peek();
    if (c == '{') return mapping(depth + 1);
    if (c == '[') return sequence(depth + 1);
    std::optional<std::string> v = scalar_text();
    if (!v) return std::nullopt;
    return YAML::Node(*v);
  }

  std::optional<YAML::Node> sequence(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    ++i_;  // [
    YAML::Node n(YAML::NodeType::Sequence);
    spaces();
    if (peek() == ']') {
      ++i_;
      return n;
    }
    for (;;) {
      std::optional<YAML::Node> e = value(depth);
      if (!e) return std::nullopt;
      n.push_back(*e);
      spaces();
      if (peek() == ']') {
        ++i_;
        return n;
      }
      if (peek() != ',') return std::nullopt;
      ++i_;
      spaces();
    }
  }

  std::optional<YAML::Node> mapping(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    ++i_;  // {
    YAML::Node n(YAML::NodeType::Map);
    spaces();
    if (peek() == '}') {
      ++i_;
      return n;
    }
    for (;;) {
      std::optional<std::string> key = plain();
      if (!key || peek() != ':' || i_ + 1 >= s_.size() || s_[i_ + 1] != ' ') return std::nullopt;
      i_ += 2;
      spaces();
      std::optional<YAML::Node> v = value(depth);
      if (!v) return std::nullopt;
      // force_insert keeps a duplicate key, as the parser does: Object reports it.
      n.force_insert(*key, *v);
      spaces();
      if (peek() == '}') {
        ++i_;
        return n;
      }
      if (peek() != ',') return std::nullopt;
      ++i_;
      spaces();
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

// A large `networks:` list written one flow mapping per line (`  - {name: ..}`,
// what to_yaml and generators write) is read line by line: yaml-cpp's node tree for a
// million networks needs several GiB, one line's tree a few hundred bytes. Each line
// becomes the node tree yaml-cpp would give (FlowReader, or yaml-cpp itself for what
// FlowReader does not admit) and is read by read_network, so values and errors are
// the same. Anything else in the list (a block mapping, a comment, a blank line, an item
// that is not a whole document by itself) returns nullopt: the caller parses the
// whole text. Small lists take the ordinary path. On success `rest` is the text with
// the list replaced by `networks: []` and empty lines (line numbers kept).
constexpr size_t kLineListMin = 1024;

std::optional<std::vector<Network>> read_network_lines(std::string_view text, std::string& rest) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  size_t head = 0;
  while (head < lines.size() && lines[head] != "networks:") ++head;
  if (head == lines.size()) return std::nullopt;
  size_t end = head + 1;
  while (end < lines.size() && !lines[end].empty() && lines[end][0] == ' ') ++end;
  if (end - head - 1 < kLineListMin) return std::nullopt;
  // The list must really end there (not go on after a blank or comment line).
  for (size_t i = end; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    size_t first = l.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || l[first] == '#') continue;
    if (first != 0 || l[0] == '-') return std::nullopt;
    break;
  }
  std::vector<Network> out;
  out.reserve(end - head - 1);
  for (size_t i = head + 1; i < end; ++i) {
    std::string_view l = lines[i];
    if (l.substr(0, 5) != "  - {" || l.back() != '}') return std::nullopt;
    if (std::optional<Network> direct = FlowReader(l.substr(4)).network()) {
      out.push_back(std::move(*direct));
      continue;
    }
    YAML::Node doc;
    if (std::optional<YAML::Node> fast = FlowReader(l.substr(4)).read()) {
      doc = std::move(*fast);
    } else {
      try {
        doc = YAML::Load(std::string(l.substr(4)));
      } catch (const YAML::Exception&) {
        return std::nullopt;
      }
    }
    const YAML::Node& e = doc;  // const: operator[] must not add the key
    if (!e.IsMap()) return std::nullopt;
    std::string label = std::to_string(out.size());
    YAML::Node nm = e["name"];
    if (nm.IsDefined() && nm.IsScalar() && valid_name(nm.Scalar())) label = nm.Scalar();
    out.push_back(read_network(e, "networks[" + label + "]"));
  }
  rest.clear();
  rest.reserve(text.size() / 8);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == head)
      rest += "networks: []";
    else if (i < head || i >= end)
      rest += lines[i];
    if (i + 1 < lines.size()) rest += '\n';
  }
  return out;
}

}  // namespace

Result<Config> parse_yaml(std::string_view text) {
  try {
    std::string rest;
    std::optional<std::vector<Network>> networks = read_network_lines(text, rest);
    YAML::Node root = YAML::Load(networks ? rest : std::string(text));
    if (root.IsDefined() && !root.IsNull() && !root.IsMap())
      return make_error("configuration: expected a mapping at the top, got " + kind_of(root));
    Config c = read_config(root);
    if (networks) c.networks = std::move(*networks);
    return c;
  } catch (const ParseFailure& f) {
    return make_error(f.message);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return make_error("configuration: " + e.msg);
    return make_error("configuration: line " + std::to_string(e.mark.line + 1) + ", column " +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return make_error(std::string("configuration: ") + e.what());
  }
}

std::string to_yaml(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;

  out << YAML::Key << "node" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << c.node.name;
  out << YAML::Key << "workers" << YAML::Value << c.node.workers;
  out << YAML::EndMap;

  out << YAML::Key << "api" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "socket" << YAML::Value << YAML::DoubleQuoted << c.api.socket;
  out << YAML::Key << "http" << YAML::Value << YAML::DoubleQuoted << c.api.http;
  if (!c.api.token.empty())
    out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted << c.api.token;
  out << YAML::EndMap;

  out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : c.ports) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name;
    out << YAML::Key << "io" << YAML::Value << p.io << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "underlay" << YAML::Value << YAML::BeginMap;
  if (!c.underlay.interface.empty())
    out << YAML::Key << "interface" << YAML::Value << c.underlay.interface;
  out << YAML::Key << "io" << YAML::Value << std::string(to_string(c.underlay.io));
  out << YAML::Key << "mtu" << YAML::Value << c.underlay.mtu;
  out << YAML::EndMap;

  const Vtep& v = c.vtep;
  out << YAML::Key << "vtep" << YAML::Value << YAML::BeginMap;
  if (v.source != IpAddress{}) out << YAML::Key << "source" << YAML::Value << v.source.to_string();
  out << YAML::Key << "udp-port" << YAML::Value << v.udp_port;
  out << YAML::Key << "source-port-range" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << v.source_port_min << v.source_port_max << YAML::EndSeq;
  out << YAML::Key << "allow-unknown-sources" << YAML::Value << v.allow_unknown_sources;
  out << YAML::Key << "ttl" << YAML::Value << static_cast<unsigned>(v.ttl);
  out << YAML::Key << "df" << YAML::Value << v.df;
  out << YAML::EndMap;

  out << YAML::Key << "fdb" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dup-max-moves" << YAML::Value << c.fdb.dup_max_moves;
  out << YAML::Key << "dup-window" << YAML::Value << c.fdb.dup_window;
  out << YAML::EndMap;

  out << YAML::Key << "tenants" << YAML::Value << YAML::BeginSeq;
  for (const auto& t : c.tenants)
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << t.name << YAML::EndMap;
  out << YAML::EndSeq;

  out << YAML::EndMap;
  std::string s = out.c_str();
  s += "\n";

  if (c.networks.empty()) {
    s += "networks: []\n";
  } else {
    s += "networks:\n";
    s.reserve(s.size() + c.networks.size() * 80);
    for (const auto& n : c.networks) append_network(s, n);
  }

  YAML::Emitter rest;  // a second top-level mapping, appended: the same document
  rest << YAML::BeginMap;
  rest << YAML::Key << "routers" << YAML::Value << YAML::BeginSeq;
  for (const auto& r : c.routers) {
    rest << YAML::BeginMap;
    rest << YAML::Key << "name" << YAML::Value << r.name;
    rest << YAML::Key << "tenant" << YAML::Value << r.tenant;
    if (r.l3_vni) rest << YAML::Key << "l3-vni" << YAML::Value << *r.l3_vni;
    if (r.router_mac) rest << YAML::Key << "router-mac" << YAML::Value << r.router_mac->to_string();
    if (r.advertise_connected) rest << YAML::Key << "advertise-connected" << YAML::Value << true;
    rest << YAML::Key << "interfaces" << YAML::Value << YAML::BeginSeq;
    for (const auto& i : r.interfaces) {
      rest << YAML::BeginMap << YAML::Key << "network" << YAML::Value << i.network;
      rest << YAML::Key << "address" << YAML::Value << i.address.to_string();
      if (i.mac) rest << YAML::Key << "mac" << YAML::Value << i.mac->to_string();
      rest << YAML::EndMap;
    }
    rest << YAML::EndSeq;
    rest << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
    for (const auto& rt : r.routes) {
      rest << YAML::BeginMap << YAML::Key << "prefix" << YAML::Value << rt.prefix.to_string();
      rest << YAML::Key << "via" << YAML::Value;
      emit_ip_list(rest, rt.via);
      rest << YAML::EndMap;
    }
    rest << YAML::EndSeq;
    rest << YAML::EndMap;
  }
  rest << YAML::EndSeq;

  if (c.evpn) {
    rest << YAML::Key << "evpn" << YAML::Value << YAML::BeginMap;
    rest << YAML::Key << "asn" << YAML::Value << c.evpn->asn;
    if (c.evpn->router_id)
      rest << YAML::Key << "router-id" << YAML::Value << c.evpn->router_id->to_string();
    rest << YAML::Key << "neighbors" << YAML::Value << YAML::BeginSeq;
    for (const auto& nb : c.evpn->neighbors) {
      rest << YAML::BeginMap << YAML::Key << "address" << YAML::Value << nb.address.to_string();
      rest << YAML::Key << "remote-as" << YAML::Value << nb.remote_as << YAML::EndMap;
    }
    rest << YAML::EndSeq;
    if (c.evpn->hold_time != Evpn{}.hold_time)
      rest << YAML::Key << "hold-time" << YAML::Value << c.evpn->hold_time;
    if (c.evpn->connect_retry != Evpn{}.connect_retry)
      rest << YAML::Key << "connect-retry" << YAML::Value << c.evpn->connect_retry;
    if (!c.evpn->vnis.empty()) {
      rest << YAML::Key << "vnis" << YAML::Value << YAML::BeginSeq;
      for (const auto& v : c.evpn->vnis) {
        rest << YAML::BeginMap << YAML::Key << "vni" << YAML::Value << v.vni;
        if (!v.rd.empty()) rest << YAML::Key << "rd" << YAML::Value << v.rd;
        auto strings = [&](const char* key, const std::vector<std::string>& l) {
          if (l.empty()) return;
          rest << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
          for (const auto& x : l) rest << x;
          rest << YAML::EndSeq;
        };
        strings("route-targets", v.route_targets);
        strings("import-route-targets", v.import_route_targets);
        strings("export-route-targets", v.export_route_targets);
        rest << YAML::EndMap;
      }
      rest << YAML::EndSeq;
    }
    rest << YAML::EndMap;
  }

  rest << YAML::EndMap;
  s += rest.c_str();
  s += "\n";
  return s;
}

}  // namespace vgw::config
