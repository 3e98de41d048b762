// validate and load: SPEC's file is valid; each whole-configuration rejection
// class names object, field and reason exactly.
#include "config/validate.h"

#include <gtest/gtest.h>

#include <chrono>

#include "config/load.h"
#include "config/yaml.h"
#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

Config spec() {
  auto r = parse_yaml(testing::kSpecExample);
  EXPECT_TRUE(r);
  return *r;
}

std::string error_of(const Config& c) {
  auto s = validate(c);
  return s ? "(valid)" : s.error().message;
}

TEST(Validate, SpecExampleIsValid) {
  auto r = load(testing::kSpecExample);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, spec());
}

TEST(Validate, EmptyConfigIsValid) {
  EXPECT_EQ(error_of(Config{}), "(valid)");
}

TEST(Validate, BigGeneratedConfigIsValid) {
  EXPECT_EQ(error_of(testing::big_config(5000)), "(valid)");
}

TEST(Validate, DuplicateNames) {
  Config c = spec();
  c.tenants.push_back(Tenant{"blue"});
  EXPECT_EQ(error_of(c), "tenants[blue].name: \"blue\" is listed twice");
  c = spec();
  c.ports.push_back(Port{"p2", "packet"});
  EXPECT_EQ(error_of(c), "ports[p2].name: \"p2\" is listed twice");
  c = spec();
  c.networks.push_back(c.networks[0]);
  EXPECT_EQ(error_of(c), "networks[web].name: \"web\" is listed twice");
  c = spec();
  c.tenants.push_back(Tenant{"red"});
  c.routers.push_back(Router{"blue-rtr", "red", std::nullopt, {}, {}});
  EXPECT_EQ(error_of(c), "routers[blue-rtr].name: \"blue-rtr\" is listed twice");
}

TEST(Validate, ReferencesResolve) {
  Config c = spec();
  c.networks[0].tenant = "red";
  EXPECT_EQ(error_of(c), "networks[web].tenant: \"red\" is not a tenant");
  c = spec();
  c.networks[0].attachments[1].port = "eth9";
  EXPECT_EQ(error_of(c), "networks[web].attachments[1].port: \"eth9\" is not a port");
  c = spec();
  c.routers[0].tenant = "red";
  EXPECT_EQ(error_of(c), "routers[blue-rtr].tenant: \"red\" is not a tenant");
  c = spec();
  c.routers[0].interfaces[0].network = "db";
  EXPECT_EQ(error_of(c), "routers[blue-rtr].interfaces[0].network: \"db\" is not a network");
}

TEST(Validate, RouterInterfaceInAnotherTenant) {
  Config c = spec();
  c.tenants.push_back(Tenant{"red"});
  c.networks.push_back(Network{.name = "db", .tenant = "red", .vni = 200});
  c.routers[0].interfaces.push_back(RouterInterface{"db", *IpPrefix::parse("10.1.0.1/24"), {}});
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[1].network: network db is in tenant red, the router in "
            "tenant blue");
}

TEST(Validate, OneRouterPerTenant) {
  Config c = spec();
  c.routers.push_back(Router{"blue-rtr2", "blue", std::nullopt, {}, {}});
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr2].tenant: tenant blue already has router blue-rtr (one router per "
            "tenant)");
}

TEST(Validate, VnisUniqueAcrossNetworksAndL3Vnis) {
  Config c = spec();
  c.networks.push_back(Network{.name = "db", .tenant = "blue", .vni = 100});
  EXPECT_EQ(error_of(c), "networks[db].vni: 100 is already used by network web");
  c = spec();
  c.routers[0].l3_vni = 100;
  EXPECT_EQ(error_of(c), "routers[blue-rtr].l3-vni: 100 is already used by network web");
}

TEST(Validate, PortVlanUsedByOneNetworkOnly) {
  Config c = spec();
  Network db{.name = "db", .tenant = "blue", .vni = 200};
  db.attachments = {Attachment{"trunk0", 20}, Attachment{"trunk0", 10}};
  c.networks.push_back(db);
  EXPECT_EQ(error_of(c),
            "networks[db].attachments[1]: port trunk0 vlan 10 is already used by network web");
  c = spec();
  db.attachments = {Attachment{"p2", 0}};
  c.networks.push_back(db);
  EXPECT_EQ(error_of(c),
            "networks[db].attachments[0]: port p2 untagged is already used by network web");
  c = spec();
  c.networks[0].attachments.push_back(Attachment{"trunk0", 10});
  EXPECT_EQ(error_of(c),
            "networks[web].attachments[2]: port trunk0 vlan 10 is already used by network web");
}

TEST(Validate, UntaggedAndTaggedOnTheSamePortAllowed) {
  Config c = spec();
  Network db{.name = "db", .tenant = "blue", .vni = 200};
  db.attachments = {Attachment{"trunk0", 0}, Attachment{"p2", 30}};
  c.networks.push_back(db);
  EXPECT_EQ(error_of(c), "(valid)");
}

TEST(Validate, VtepSourceAndUnderlayNeededForVnis) {
  Config c = spec();
  c.vtep.source = IpAddress{};
  EXPECT_EQ(error_of(c), "vtep.source: required when a network or router has a VNI");
  c = spec();
  c.underlay.interface.clear();
  EXPECT_EQ(error_of(c), "underlay.interface: required when a network or router has a VNI");
  // A local-only network needs neither.
  Config local;
  local.tenants = {Tenant{"t"}};
  local.networks = {Network{.name = "outside", .tenant = "t"}};
  EXPECT_EQ(error_of(local), "(valid)");
}

TEST(Validate, VtepSourceIsUnicast) {
  Config c = spec();
  c.vtep.source = ip("239.1.1.1");
  EXPECT_EQ(error_of(c), "vtep.source: 239.1.1.1 is not a unicast address (the local VTEP)");
}

TEST(Validate, RemotesSameFamilyAsSource) {
  Config c = spec();
  c.networks[0].remotes.push_back(ip("2001:db8::1"));
  EXPECT_EQ(error_of(c),
            "networks[web].remotes[1]: 2001:db8::1 is IPv6 but vtep.source 192.168.1.2 is IPv4");
  c = spec();
  c.vtep.source = ip("2001:db8::2");
  c.networks[0].remotes = {ip("2001:db8::1")};
  c.evpn->router_id = ip("192.168.1.2");
  EXPECT_EQ(error_of(c), "(valid)");
}

TEST(Validate, HeadEndRemotesExcludeOurSource) {
  Config c = spec();
  c.networks[0].remotes.push_back(ip("192.168.1.2"));
  EXPECT_EQ(error_of(c), "networks[web].remotes[1]: 192.168.1.2 is our own vtep.source");
  c = spec();
  c.networks[0].remotes.push_back(ip("192.168.1.1"));
  EXPECT_EQ(error_of(c), "networks[web].remotes[1]: 192.168.1.1 is listed twice");
}

TEST(Validate, SourcePortRangeAndUdpPort) {
  Config c = spec();
  c.vtep.source_port_min = 60000;
  c.vtep.source_port_max = 50000;
  EXPECT_EQ(error_of(c), "vtep.source-port-range: min 60000 is greater than max 50000");
  c = spec();
  c.vtep.udp_port = 0;
  EXPECT_EQ(error_of(c), "vtep.udp-port: 0 is out of range 1..65535");
}

TEST(Validate, MacLimitAndAgeingSane) {
  Config c = spec();
  c.networks[0].mac_limit = 20'000'000;
  EXPECT_EQ(error_of(c), "networks[web].mac-limit: 20000000 is out of range 0..16777216");
  c = spec();
  c.networks[0].ageing = 2'000'000;
  EXPECT_EQ(error_of(c), "networks[web].ageing: 2000000 is out of range 0..1000000");
  c = spec();
  c.fdb.dup_max_moves = 1;
  EXPECT_EQ(error_of(c),
            "fdb.dup-max-moves: 1 is out of range 2..1000 (0 = off): one move is not a flap");
}

TEST(Validate, StaticMacs) {
  Config c = spec();
  StaticMac m{.mac = *MacAddress::parse("01:00:5e:00:00:01"), .port = "p2"};
  c.networks[0].static_macs = {m};
  EXPECT_EQ(error_of(c),
            "networks[web].macs[0].mac: 01:00:5e:00:00:01 is not a unicast MAC address");
  m.mac = *MacAddress::parse("02:00:00:00:00:01");
  c.networks[0].static_macs = {m, m};
  EXPECT_EQ(error_of(c), "networks[web].macs[1].mac: 02:00:00:00:00:01 is listed twice");
  m.vlan = 10;
  c.networks[0].static_macs = {m};
  EXPECT_EQ(error_of(c),
            "networks[web].macs[0].port: p2 vlan 10 is not an attachment of this network");
  m.port = "trunk0";
  c.networks[0].static_macs = {m};
  EXPECT_EQ(error_of(c), "(valid)");
  StaticMac r{.mac = *MacAddress::parse("02:00:00:00:00:02"), .remote = ip("192.168.1.2")};
  c.networks[0].static_macs = {r};
  EXPECT_EQ(error_of(c), "networks[web].macs[0].remote: 192.168.1.2 is our own vtep.source");
}

TEST(Validate, FloodModes) {
  Config c = spec();
  c.networks[0].flood = FloodMode::kMulticast;
  EXPECT_EQ(error_of(c), "networks[web].multicast-group: required when flood is multicast");
  c.networks[0].multicast_group = ip("10.0.0.1");
  EXPECT_EQ(error_of(c), "networks[web].multicast-group: 10.0.0.1 is not a multicast address");
  c.networks[0].multicast_group = ip("239.1.1.100");
  EXPECT_EQ(error_of(c), "(valid)");
  c.networks[0].flood = FloodMode::kHeadEnd;
  EXPECT_EQ(error_of(c),
            "networks[web].multicast-group: set but flood is head-end (use flood: multicast)");
  c = spec();
  c.evpn.reset();
  c.networks[0].flood = FloodMode::kEvpn;
  EXPECT_EQ(error_of(c), "networks[web].flood: evpn needs the evpn section");
}

TEST(Validate, NetworkWithoutVniHasNoRemotes) {
  Config c = spec();
  c.networks[0].vni.reset();
  EXPECT_EQ(error_of(c), "networks[web].remotes: a network without a VNI has no remote VTEPs");
}

TEST(Validate, Api) {
  Config c = spec();
  c.api.http = "127.0.0.1";
  EXPECT_EQ(error_of(c), "api.http: \"127.0.0.1\" is not host:port (IPv6 as [addr]:port)");
  c.api.http = "127.0.0.1:80800";
  EXPECT_EQ(error_of(c), "api.http: \"80800\" is not a port number 0..65535");
  c.api.http = "[::1]:8080";
  EXPECT_EQ(error_of(c), "(valid)");
  c.api.http = "0.0.0.0:8080";
  EXPECT_EQ(error_of(c),
            "api.token: required when api.http listens beyond loopback (0.0.0.0:8080)");
  c.api.token = "secret";
  EXPECT_EQ(error_of(c), "(valid)");
  c.api.socket = "/" + std::string(120, 'x');
  EXPECT_EQ(error_of(c), "api.socket: \"" + c.api.socket +
                             "\" is longer than 107 characters (a unix socket path)");
}

TEST(Validate, UnderlayIsNotAnAttachmentPort) {
  Config c = spec();
  c.underlay.interface = "p2";
  EXPECT_EQ(error_of(c),
            "ports[p2].name: p2 is the underlay interface; an attachment port carries no kernel "
            "address");
}

TEST(Validate, UnderlayMtu) {
  Config c = spec();
  c.underlay.mtu = 500;
  EXPECT_EQ(error_of(c), "underlay.mtu: 500 is out of range 576..65535 (0 = the interface's MTU)");
}

TEST(Validate, Routes) {
  Config c = spec();
  c.routers[0].routes[0].prefix = *IpPrefix::parse("10.1.2.3/16");
  EXPECT_EQ(error_of(c), "routers[blue-rtr].routes[0].prefix: 10.1.2.3/16 has host bits set");
  c = spec();
  c.routers[0].routes[0].via = {ip("2001:db8::1")};
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].routes[0].via[0]: 2001:db8::1 is IPv6 but the prefix is IPv4");
  c = spec();
  c.routers[0].interfaces[0].address = *IpPrefix::parse("10.0.0.255/24");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[0].address: 10.0.0.255/24 is the network or broadcast "
            "address of its subnet");
}

TEST(Validate, Evpn) {
  Config c = spec();
  c.evpn->router_id = ip("2001:db8::1");
  EXPECT_EQ(error_of(c),
            "evpn.router-id: 2001:db8::1 is not an IPv4 address (a BGP router ID is 32 bits)");
  c = spec();
  c.evpn->neighbors.push_back(c.evpn->neighbors[0]);
  EXPECT_EQ(error_of(c), "evpn.neighbors[1].address: 192.168.1.1 is listed twice");
}

TEST(Load, ParseErrorsComeFirst) {
  auto r = load("networks:\n  - name: web\n    tenant: nowhere\n    vni: 100000000\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "networks[web].vni: 100000000 is out of range 1..16777215");
  r = load("networks:\n  - name: web\n    tenant: nowhere\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "networks[web].tenant: \"nowhere\" is not a tenant");
}

TEST(Load, MissingFileNamesThePath) {
  auto r = load_file("/nonexistent/vgw.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "/nonexistent/vgw.yaml: cannot open: No such file or directory");
  r = load_file("/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "/: cannot read: Is a directory");
}

// 10K networks: parse + validate must stay linear. A generous bound catches a
// quadratic check (which would take tens of seconds) without being a speed test.
TEST(Load, TenThousandNetworksIsLinear) {
  std::string yaml = to_yaml(testing::big_config(10000));
  auto t0 = std::chrono::steady_clock::now();
  auto r = load(yaml);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->networks.size(), 10000u);
  EXPECT_LT(elapsed, std::chrono::seconds(60));  // ~1 s here, mostly yaml-cpp
}

}  // namespace
}  // namespace vgw::config
