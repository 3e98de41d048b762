// parse_yaml: SPEC's file lands field by field; defaults; every rejection class
// of the reader names object, field and reason exactly.
#include "config/yaml.h"

#include <gtest/gtest.h>

#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

TEST(ParseYaml, SpecExampleLandsFieldByField) {
  auto r = parse_yaml(testing::kSpecExample);
  ASSERT_TRUE(r) << r.error().message;
  const Config& c = *r;
  EXPECT_EQ(c.node.name, "gw1");
  EXPECT_EQ(c.node.workers, 0u);
  EXPECT_EQ(c.api.socket, "/run/vgw/vgw.sock");
  EXPECT_EQ(c.api.http, "127.0.0.1:8080");
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].name, "p2");
  EXPECT_EQ(c.ports[0].io, "packet");
  EXPECT_EQ(c.ports[1].name, "trunk0");
  EXPECT_EQ(c.underlay.interface, "u2");
  EXPECT_EQ(c.underlay.io, UnderlayIo::kXdp);
  EXPECT_EQ(c.underlay.mtu, 1600u);
  EXPECT_EQ(c.vtep.source, ip("192.168.1.2"));
  EXPECT_EQ(c.vtep.udp_port, 4789);
  EXPECT_EQ(c.vtep.source_port_min, 49152);
  EXPECT_EQ(c.vtep.source_port_max, 65535);
  EXPECT_FALSE(c.vtep.allow_unknown_sources);
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].name, "blue");
  ASSERT_EQ(c.networks.size(), 1u);
  const Network& n = c.networks[0];
  EXPECT_EQ(n.name, "web");
  EXPECT_EQ(n.tenant, "blue");
  EXPECT_EQ(n.vni, 100u);
  EXPECT_EQ(n.flood, FloodMode::kHeadEnd);
  EXPECT_EQ(n.remotes, std::vector<IpAddress>{ip("192.168.1.1")});
  EXPECT_EQ(n.mac_limit, 10000u);
  EXPECT_EQ(n.ageing, 300u);
  ASSERT_EQ(n.attachments.size(), 2u);
  EXPECT_EQ(n.attachments[0], (Attachment{"p2", 0}));
  EXPECT_EQ(n.attachments[1], (Attachment{"trunk0", 10}));
  ASSERT_EQ(c.routers.size(), 1u);
  const Router& rt = c.routers[0];
  EXPECT_EQ(rt.name, "blue-rtr");
  EXPECT_EQ(rt.tenant, "blue");
  EXPECT_EQ(rt.l3_vni, 5000u);
  ASSERT_EQ(rt.interfaces.size(), 1u);
  EXPECT_EQ(rt.interfaces[0].network, "web");
  EXPECT_EQ(rt.interfaces[0].address, *IpPrefix::parse("10.0.0.254/24"));
  EXPECT_EQ(rt.interfaces[0].mac, MacAddress::parse("02:00:5e:00:01:01"));
  ASSERT_EQ(rt.routes.size(), 1u);
  EXPECT_EQ(rt.routes[0].prefix, *IpPrefix::parse("0.0.0.0/0"));
  EXPECT_EQ(rt.routes[0].via, std::vector<IpAddress>{ip("172.16.0.1")});
  ASSERT_TRUE(c.evpn);
  EXPECT_EQ(c.evpn->asn, 65000u);
  EXPECT_EQ(c.evpn->router_id, ip("192.168.1.2"));
  ASSERT_EQ(c.evpn->neighbors.size(), 1u);
  EXPECT_EQ(c.evpn->neighbors[0].address, ip("192.168.1.1"));
  EXPECT_EQ(c.evpn->neighbors[0].remote_as, 65000u);
}

TEST(ParseYaml, EmptyDocumentIsAllDefaults) {
  auto r = parse_yaml("");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, Config{});
  auto r2 = parse_yaml("# only a comment\n");
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, Config{});
}

TEST(ParseYaml, DefaultsFillWhatIsLeftOut) {
  auto r = parse_yaml(R"(
networks:
  - name: web
    tenant: blue
)");
  ASSERT_TRUE(r) << r.error().message;
  const Network& n = r->networks[0];
  EXPECT_FALSE(n.vni);
  EXPECT_EQ(n.flood, FloodMode::kHeadEnd);
  EXPECT_EQ(n.mac_limit, 0u);
  EXPECT_EQ(n.ageing, 300u);
  EXPECT_TRUE(n.arp_suppression);
  EXPECT_FALSE(n.allow_inner_vlan);
  EXPECT_EQ(r->vtep.udp_port, 4789);
  EXPECT_EQ(r->vtep.ttl, 64);
  EXPECT_FALSE(r->vtep.df);
  EXPECT_EQ(r->fdb.dup_max_moves, 5u);
  EXPECT_EQ(r->fdb.dup_window, 180u);
  EXPECT_EQ(r->api.socket, "/run/vgw/vgw.sock");
  EXPECT_EQ(r->api.http, "127.0.0.1:8080");
  EXPECT_EQ(r->underlay.io, UnderlayIo::kPacket);
}

TEST(ParseYaml, ExtraKeysLand) {
  auto r = parse_yaml(R"(
node: {name: gw2, workers: 3}
api: {token: s3cret}
ports: [{name: m0, io: memory}]
vtep: {source: "2001:db8::2", ttl: 16, df: true}
fdb: {dup-max-moves: 3, dup-window: 60}
networks:
  - name: web
    tenant: blue
    vni: 7
    flood: multicast
    multicast-group: ff0e::100
    arp-suppression: false
    allow-inner-vlan: true
    macs:
      - {mac: "02:00:00:00:00:01", port: m0, vlan: 5}
      - {mac: "02:00:00:00:00:02", remote: "2001:db8::9"}
)");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->node.workers, 3u);
  EXPECT_EQ(r->api.token, "s3cret");
  EXPECT_EQ(r->ports[0].io, "memory");
  EXPECT_EQ(r->vtep.source, ip("2001:db8::2"));
  EXPECT_TRUE(r->vtep.source.v6);
  EXPECT_EQ(r->vtep.ttl, 16);
  EXPECT_TRUE(r->vtep.df);
  EXPECT_EQ(r->fdb.dup_max_moves, 3u);
  EXPECT_EQ(r->fdb.dup_window, 60u);
  const Network& n = r->networks[0];
  EXPECT_EQ(n.flood, FloodMode::kMulticast);
  EXPECT_EQ(n.multicast_group, ip("ff0e::100"));
  EXPECT_FALSE(n.arp_suppression);
  EXPECT_TRUE(n.allow_inner_vlan);
  ASSERT_EQ(n.static_macs.size(), 2u);
  EXPECT_EQ(n.static_macs[0].mac, *MacAddress::parse("02:00:00:00:00:01"));
  EXPECT_EQ(n.static_macs[0].port, "m0");
  EXPECT_EQ(n.static_macs[0].vlan, 5);
  EXPECT_FALSE(n.static_macs[0].remote);
  EXPECT_EQ(n.static_macs[1].remote, ip("2001:db8::9"));
  EXPECT_TRUE(n.static_macs[1].port.empty());
}

TEST(ParseYaml, RouteViaMayBeAList) {
  auto r = parse_yaml(R"(
routers:
  - name: r
    tenant: t
    routes:
      - {prefix: 10.1.0.0/16, via: [172.16.0.1, 172.16.0.2]}
)");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->routers[0].routes[0].via,
            (std::vector<IpAddress>{ip("172.16.0.1"), ip("172.16.0.2")}));
}

std::string error_of(std::string_view yaml) {
  auto r = parse_yaml(yaml);
  return r ? "(accepted)" : r.error().message;
}

constexpr const char* kWeb = "networks:\n  - name: web\n    tenant: blue\n";

TEST(ParseYamlRejects, VniOutOfRange) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: 16777216\n"),
            "networks[web].vni: 16777216 is out of range 1..16777215");
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: 0\n"),
            "networks[web].vni: 0 is out of range 1..16777215");
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: -5\n"),
            "networks[web].vni: -5 is out of range 1..16777215");
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: 99999999999999999999999\n"),
            "networks[web].vni: 99999999999999999999999 is out of range 1..16777215");
}

TEST(ParseYamlRejects, VlanOutOfRange) {
  EXPECT_EQ(error_of(std::string(kWeb) +
                     "    attachments:\n      - port: p2\n      - {port: trunk0, vlan: 4095}\n"),
            "networks[web].attachments[1].vlan: 4095 is out of range 1..4094");
}

TEST(ParseYamlRejects, NotAnIpAddress) {
  EXPECT_EQ(error_of("vtep:\n  source: 1.2.3\n"), "vtep.source: \"1.2.3\" is not an IP address");
  EXPECT_EQ(error_of(std::string(kWeb) + "    remotes: [192.168.1.1, bogus]\n"),
            "networks[web].remotes[1]: \"bogus\" is not an IP address");
}

TEST(ParseYamlRejects, UnknownField) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    vnii: 100\n"),
            "networks[web]: unknown field \"vnii\"");
  EXPECT_EQ(error_of("vtep:\n  udp_port: 4789\n"), "vtep: unknown field \"udp_port\"");
  EXPECT_EQ(error_of("bogus: 1\n"), "unknown field \"bogus\"");
}

TEST(ParseYamlRejects, DuplicateField) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: 1\n    vni: 2\n"),
            "networks[web]: duplicate field \"vni\"");
}

TEST(ParseYamlRejects, WrongTypes) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: abc\n"),
            "networks[web].vni: expected a number, got \"abc\"");
  EXPECT_EQ(error_of(std::string(kWeb) + "    vni: [1]\n"),
            "networks[web].vni: expected a number, got a list");
  EXPECT_EQ(error_of("networks: {name: web}\n"), "networks: expected a list, got a mapping");
  EXPECT_EQ(error_of("vtep: 5\n"), "vtep: expected a mapping, got \"5\"");
  EXPECT_EQ(error_of("vtep:\n  allow-unknown-sources: maybe\n"),
            "vtep.allow-unknown-sources: expected true or false, got \"maybe\"");
  EXPECT_EQ(error_of("networks:\n  - just-a-name\n"),
            "networks[0]: expected a mapping, got \"just-a-name\"");
  EXPECT_EQ(error_of("- a\n- b\n"), "configuration: expected a mapping at the top, got a list");
}

TEST(ParseYamlRejects, ObjectsWithoutANameAreNamedByIndex) {
  EXPECT_EQ(error_of("tenants:\n  - name: a\n  - {}\n"),
            "tenants[1]: missing required field \"name\"");
  EXPECT_EQ(error_of(std::string(kWeb) + "    attachments:\n      - vlan: 3\n"),
            "networks[web].attachments[0]: missing required field \"port\"");
}

TEST(ParseYamlRejects, BadEnumValues) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    flood: broadcast\n"),
            "networks[web].flood: \"broadcast\" is not one of head-end, multicast, evpn, none");
  EXPECT_EQ(error_of("underlay:\n  io: dpdk\n"),
            "underlay.io: \"dpdk\" is not one of xdp, packet, socket, tap");
  EXPECT_EQ(error_of("ports:\n  - {name: p1, io: tap}\n"),
            "ports[p1].io: \"tap\" is not one of packet, xdp, memory");
}

TEST(ParseYamlRejects, BadNames) {
  EXPECT_EQ(error_of("tenants:\n  - name: \"a b\"\n"),
            "tenants[0].name: \"a b\" is not a valid name (a letter or digit, then letters, "
            "digits, . _ : -)");
  EXPECT_EQ(error_of("ports:\n  - name: abcdefghijklmnop\n"),
            "ports[abcdefghijklmnop].name: \"abcdefghijklmnop\" is longer than 15 characters");
}

TEST(ParseYamlRejects, TextMustBePrintableUtf8) {
  EXPECT_EQ(error_of("api:\n  socket: \"/run/\\x1b[2J\"\n"),
            "api.socket: must be printable UTF-8 text");
  EXPECT_EQ(error_of("api:\n  token: \"a\xff\"\n"), "api.token: must be printable UTF-8 text");
  EXPECT_EQ(error_of("vtep:\n  source: \"1\xff\"\n"),
            "vtep.source: \"1\\xff\" is not an IP address");
  auto ok = parse_yaml("api:\n  socket: /run/v\xc3\xa9/vgw.sock\n");  // UTF-8 is fine
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->api.socket, "/run/v\xc3\xa9/vgw.sock");
}

TEST(ParseYamlRejects, BadMacAndPrefix) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    macs:\n      - {mac: 02:00:00:00:00, port: p2}\n"),
            "networks[web].macs[0].mac: \"02:00:00:00:00\" is not a MAC address "
            "(aa:bb:cc:dd:ee:ff)");
  EXPECT_EQ(error_of("routers:\n  - name: r\n    tenant: t\n    interfaces:\n"
                     "      - {network: web, address: 10.0.0.1/33}\n"),
            "routers[r].interfaces[0].address: \"10.0.0.1/33\" is not an IP prefix "
            "(address/length)");
}

TEST(ParseYamlRejects, StaticMacNeedsPortOrRemote) {
  EXPECT_EQ(error_of(std::string(kWeb) + "    macs:\n      - {mac: \"02:00:00:00:00:01\"}\n"),
            "networks[web].macs[0]: needs exactly one of \"port\" (a local port) or \"remote\" "
            "(a remote VTEP)");
  EXPECT_EQ(
      error_of(std::string(kWeb) +
               "    macs:\n      - {mac: \"02:00:00:00:00:01\", port: p2, remote: 1.1.1.1}\n"),
      "networks[web].macs[0]: needs exactly one of \"port\" (a local port) or \"remote\" "
      "(a remote VTEP)");
}

TEST(ParseYamlRejects, SourcePortRangeShape) {
  EXPECT_EQ(error_of("vtep:\n  source-port-range: [1, 2, 3]\n"),
            "vtep.source-port-range: expected [min, max], got a list of 3");
  EXPECT_EQ(error_of("vtep:\n  source-port-range: [0, 2]\n"),
            "vtep.source-port-range[0]: 0 is out of range 1..65535");
  EXPECT_EQ(error_of("vtep:\n  udp-port: 70000\n"),
            "vtep.udp-port: 70000 is out of range 1..65535");
}

TEST(ParseYamlRejects, MalformedYamlNamesLineAndColumn) {
  std::string e = error_of("vtep:\n  source: [1.2.3.4\n");
  EXPECT_EQ(e.rfind("configuration: line ", 0), 0u) << e;
}

}  // namespace
}  // namespace vgw::config
