// The `routers:` section (issue 3): every whole-configuration check a network
// engineer makes reviewing a virtual router, with the exact message naming
// routers[NAME].field; YAML round trips of dual-stack, ECMP and outside-network
// routers; the diff lines for router changes.
#include <gtest/gtest.h>

#include "config/diff.h"
#include "config/load.h"
#include "config/validate.h"
#include "config/yaml.h"
#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
IpPrefix pfx(const char* s) {
  return *IpPrefix::parse(s);
}
MacAddress mac(const char* s) {
  return *MacAddress::parse(s);
}

// Two tenants with overlapping address plans, an outside network without a VNI
// and a router per tenant: the shape of the issue's namespace proof.
constexpr const char* kTwoTenants = R"(
ports: [{name: p1}, {name: p2}, {name: p3}, {name: p4}]
underlay: {interface: u1}
vtep: {source: 192.168.1.2}
tenants: [{name: blue}, {name: red}]
networks:
  - {name: a, tenant: blue, vni: 100, attachments: [{port: p1}]}
  - {name: b, tenant: blue, vni: 200, attachments: [{port: p2}]}
  - {name: out, tenant: blue, attachments: [{port: p4, vlan: 7}]}
  - {name: ra, tenant: red, vni: 300, attachments: [{port: p3}]}
routers:
  - name: blue-rtr
    tenant: blue
    interfaces:
      - {network: a, address: 10.0.0.1/24, mac: "02:00:00:00:01:01"}
      - {network: a, address: "2001:db8:a::1/64", mac: "02:00:00:00:01:01"}
      - {network: b, address: 10.0.1.1/24}
      - {network: out, address: 172.16.0.2/30}
    routes:
      - {prefix: 0.0.0.0/0, via: 172.16.0.1}
      - {prefix: 192.168.50.0/24, via: [10.0.1.20, 10.0.1.21]}
  - name: red-rtr
    tenant: red
    l3-vni: 5000
    interfaces:
      - {network: ra, address: 10.0.0.1/24}
)";

Config two_tenants() {
  auto r = parse_yaml(kTwoTenants);
  EXPECT_TRUE(r) << r.error().message;
  return *r;
}

std::string error_of(const Config& c) {
  auto s = validate(c);
  return s ? "(valid)" : s.error().message;
}

TEST(RouterValidate, TwoTenantsWithTheSamePrefixAreValid) {
  EXPECT_EQ(error_of(two_tenants()), "(valid)");
}

TEST(RouterValidate, SpecExampleNextHopIsReachedThroughTheL3Vni) {
  // SPEC's router routes 0.0.0.0/0 via 172.16.0.1 with only 10.0.0.254/24
  // connected: accepted because it has an l3-vni (the next hop may come from
  // EVPN). Without the l3-vni it can never resolve.
  auto c = parse_yaml(testing::kSpecExample);
  ASSERT_TRUE(c);
  EXPECT_EQ(error_of(*c), "(valid)");
  c->routers[0].l3_vni.reset();
  EXPECT_EQ(error_of(*c),
            "routers[blue-rtr].routes[0].via[0]: 172.16.0.1 is not in a connected subnet of the "
            "router (10.0.0.0/24): a next hop must be on one of its networks, or reached through "
            "its l3-vni");
}

TEST(RouterValidate, NextHopWithoutAnInterfaceOfItsFamily) {
  Config c = two_tenants();
  c.routers[1].routes.push_back(Route{pfx("::/0"), {ip("2001:db8:ff::1")}});
  EXPECT_EQ(error_of(c), "(valid)");  // red-rtr has an l3-vni
  c.routers[0].routes.push_back(Route{pfx("2001:db8:b::/48"), {ip("2001:db8:ff::1")}});
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].routes[2].via[0]: 2001:db8:ff::1 is not in a connected subnet of "
            "the router (2001:db8:a::/64): a next hop must be on one of its networks, or reached "
            "through its l3-vni");
  c = two_tenants();
  c.routers[0].interfaces.erase(c.routers[0].interfaces.begin() + 1);
  c.routers[0].routes.push_back(Route{pfx("::/0"), {ip("2001:db8:ff::1")}});
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].routes[2].via[0]: 2001:db8:ff::1 is not in a connected subnet of "
            "the router (it has no IPv6 interface): a next hop must be on one of its networks, "
            "or reached through its l3-vni");
}

TEST(RouterValidate, NextHopIsNotTheRoutersOwnAddress) {
  Config c = two_tenants();
  c.routers[0].routes[1].via[1] = ip("10.0.1.1");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].routes[1].via[1]: 10.0.1.1 is the router's own address in "
            "network b");
  c.routers[0].routes[1].via[1] = ip("127.0.0.1");
  EXPECT_EQ(error_of(c), "routers[blue-rtr].routes[1].via[1]: 127.0.0.1 is not a unicast next hop");
  c.routers[0].routes[1].via[1] = ip("10.0.1.20");
  EXPECT_EQ(error_of(c), "routers[blue-rtr].routes[1].via[1]: 10.0.1.20 is listed twice");
}

TEST(RouterValidate, RouteForAConnectedSubnetWouldNeverBeUsed) {
  Config c = two_tenants();
  c.routers[0].routes[1].prefix = pfx("10.0.1.0/24");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].routes[1].prefix: 10.0.1.0/24 is the router's connected subnet in "
            "network b (the connected route wins; this one would never be used)");
  // A longer prefix inside a connected subnet is a real route (a host behind a gateway).
  c.routers[0].routes[1].prefix = pfx("10.0.1.128/25");
  EXPECT_EQ(error_of(c), "(valid)");
}

TEST(RouterValidate, RoutePrefixesUnique) {
  Config c = two_tenants();
  c.routers[0].routes[1].prefix = pfx("0.0.0.0/0");
  EXPECT_EQ(error_of(c), "routers[blue-rtr].routes[1].prefix: 0.0.0.0/0 is listed twice");
  c.routers[0].routes[1].prefix = pfx("192.168.50.1/24");
  EXPECT_EQ(error_of(c), "routers[blue-rtr].routes[1].prefix: 192.168.50.1/24 has host bits set");
}

TEST(RouterValidate, InterfaceAddressIsAHostWithItsSubnet) {
  auto with = [](const char* a) {
    Config c = two_tenants();
    c.routers[0].interfaces[2].address = pfx(a);
    c.routers[0].routes.pop_back();
    return error_of(c);
  };
  EXPECT_EQ(with("10.0.1.1/32"),
            "routers[blue-rtr].interfaces[2].address: 10.0.1.1/32 needs the subnet's prefix "
            "length (e.g. 10.0.0.254/24): the interface's subnet is the connected route");
  EXPECT_EQ(with("10.0.1.1/0"),
            "routers[blue-rtr].interfaces[2].address: 10.0.1.1/0 needs the subnet's prefix "
            "length (e.g. 10.0.0.254/24): the interface's subnet is the connected route");
  EXPECT_EQ(with("10.0.1.0/24"),
            "routers[blue-rtr].interfaces[2].address: 10.0.1.0/24 is the network or broadcast "
            "address of its subnet");
  EXPECT_EQ(with("10.0.1.255/24"),
            "routers[blue-rtr].interfaces[2].address: 10.0.1.255/24 is the network or broadcast "
            "address of its subnet");
  EXPECT_EQ(with("10.0.1.0/31"), "(valid)");  // RFC 3021
  EXPECT_EQ(with("224.0.0.1/24"),
            "routers[blue-rtr].interfaces[2].address: 224.0.0.1/24 is not a unicast host address");
  EXPECT_EQ(with("127.0.0.1/8"),
            "routers[blue-rtr].interfaces[2].address: 127.0.0.1/8 is not a unicast host address");
  EXPECT_EQ(with("0.0.0.5/24"),
            "routers[blue-rtr].interfaces[2].address: 0.0.0.5/24 is not a unicast host address");
  EXPECT_EQ(with("2001:db8:b::/64"),
            "routers[blue-rtr].interfaces[2].address: 2001:db8:b::/64 is the subnet-router "
            "anycast address of its subnet");
  EXPECT_EQ(with("2001:db8:b::/127"), "(valid)");  // RFC 6164
  EXPECT_EQ(with("2001:db8:b::1/128"),
            "routers[blue-rtr].interfaces[2].address: 2001:db8:b::1/128 needs the subnet's prefix "
            "length (e.g. 2001:db8::1/64): the interface's subnet is the connected route");
}

TEST(RouterValidate, OneAddressPerFamilyAndNetworkWithOneMac) {
  Config c = two_tenants();
  c.routers[0].interfaces.push_back(RouterInterface{"b", pfx("10.0.9.1/24"), {}});
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[4].network: the router already has an IPv4 interface "
            "in network b (one address per family and network)");
  c = two_tenants();
  c.routers[0].interfaces[1].mac = mac("02:00:00:00:01:02");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[1].mac: 02:00:00:00:01:02 differs from "
            "02:00:00:00:01:01 of the router's other interface in network a (one router MAC per "
            "network)");
  c.routers[0].interfaces[1].mac.reset();
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[1].mac: the default MAC differs from 02:00:00:00:01:01 "
            "of the router's other interface in network a (one router MAC per network)");
  // The same MAC in several networks is the usual router (one SVI MAC) and fine.
  c.routers[0].interfaces[1].mac = mac("02:00:00:00:01:01");
  c.routers[0].interfaces[2].mac = mac("02:00:00:00:01:01");
  EXPECT_EQ(error_of(c), "(valid)");
}

TEST(RouterValidate, RouterMacIsUnicastAndNotAStaticMacOfItsNetwork) {
  Config c = two_tenants();
  c.routers[0].interfaces[2].mac = mac("01:00:5e:00:00:01");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[2].mac: 01:00:5e:00:00:01 is not a unicast MAC address");
  c.routers[0].interfaces[2].mac = mac("00:00:00:00:00:00");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[2].mac: 00:00:00:00:00:00 is not a unicast MAC address");
  c = two_tenants();
  c.networks[1].static_macs.push_back(StaticMac{.mac = mac("02:00:00:00:02:02"), .port = "p2"});
  c.routers[0].interfaces[2].mac = mac("02:00:00:00:02:02");
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[2].mac: 02:00:00:00:02:02 is also networks[b].macs[0]");
}

TEST(RouterValidate, ConnectedSubnetsDoNotOverlap) {
  Config c = two_tenants();
  c.routers[0].interfaces[2].address = pfx("10.0.0.129/25");
  c.routers[0].routes.pop_back();
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[2].address: 10.0.0.129/25 overlaps the router's subnet "
            "in network a (connected subnets of a router must not overlap)");
  c.routers[0].interfaces[2].address = pfx("10.0.0.1/16");  // contains a's /24
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[2].address: 10.0.0.1/16 overlaps the router's subnet in "
            "network a (connected subnets of a router must not overlap)");
  c.routers[0].interfaces[2].address = pfx("10.1.0.1/16");
  EXPECT_EQ(error_of(c), "(valid)");
  // Another tenant's router may reuse the subnet (red-rtr has 10.0.0.1/24 too).
}

TEST(RouterValidate, InterfaceNetworkAndTenant) {
  Config c = two_tenants();
  c.routers[0].interfaces[2].network = "ra";
  EXPECT_EQ(error_of(c),
            "routers[blue-rtr].interfaces[2].network: network ra is in tenant red, the router in "
            "tenant blue");
  c.routers[0].interfaces[2].network = "nowhere";
  EXPECT_EQ(error_of(c), "routers[blue-rtr].interfaces[2].network: \"nowhere\" is not a network");
  c = two_tenants();
  c.routers[1].tenant = "blue";
  EXPECT_EQ(error_of(c),
            "routers[red-rtr].tenant: tenant blue already has router blue-rtr (one router per "
            "tenant)");
  c = two_tenants();
  c.routers[1].name = "blue-rtr";
  EXPECT_EQ(error_of(c), "routers[blue-rtr].name: \"blue-rtr\" is listed twice");
}

TEST(RouterValidate, L3VniUniqueAndNotANetworkVni) {
  Config c = two_tenants();
  c.routers[1].l3_vni = 200;
  EXPECT_EQ(error_of(c), "routers[red-rtr].l3-vni: 200 is already used by network b");
  c.routers[0].l3_vni = 6000;
  c.routers[1].l3_vni = 6000;
  EXPECT_EQ(error_of(c), "routers[red-rtr].l3-vni: 6000 is already used by router blue-rtr");
  c.routers[1].l3_vni = 1u << 24;
  EXPECT_EQ(error_of(c), "routers[red-rtr].l3-vni: 16777216 is out of range 1..16777215");
}

TEST(RouterValidate, ManyInterfacesAndRoutesValidateQuickly) {
  // 4,000 networks with one interface each and 50,000 routes: the overlap and
  // next-hop checks are hash probes, not pairwise compares.
  Config c = two_tenants();
  Router& r = c.routers[0];
  for (uint32_t i = 0; i < 4000; ++i) {
    std::string name = "n" + std::to_string(i);
    c.networks.push_back(Network{.name = name, .tenant = "blue", .vni = 10000 + i});
    r.interfaces.push_back(
        RouterInterface{name, IpPrefix{IpAddress::v4(0x0b000001u + (i << 8)), 24}, {}});
  }
  for (uint32_t i = 0; i < 50000; ++i)
    r.routes.push_back(Route{IpPrefix{IpAddress::v4(0x64000000u + (i << 8)), 24},
                             {IpAddress::v4(0x0b000002u + ((i % 4000) << 8))}});
  EXPECT_EQ(error_of(c), "(valid)");
}

TEST(RouterYaml, RoundTrip) {
  Config c = two_tenants();
  std::string text = to_yaml(c);
  auto back = load(text);
  ASSERT_TRUE(back) << back.error().message << "\n" << text;
  EXPECT_TRUE(*back == c) << text;
  EXPECT_EQ(to_yaml(*back), text);
  const Router& r = back->routers[0];
  ASSERT_EQ(r.interfaces.size(), 4u);
  EXPECT_EQ(r.interfaces[1].address, pfx("2001:db8:a::1/64"));
  EXPECT_EQ(r.interfaces[1].mac, mac("02:00:00:00:01:01"));
  EXPECT_FALSE(r.interfaces[2].mac);
  EXPECT_EQ(r.routes[1].via, (std::vector<IpAddress>{ip("10.0.1.20"), ip("10.0.1.21")}));
  EXPECT_EQ(back->routers[1].l3_vni, 5000u);
  EXPECT_FALSE(back->networks[2].vni);
}

std::string parse_error(const std::string& yaml) {
  auto r = load(yaml);
  return r ? "(valid)" : r.error().message;
}

TEST(RouterYaml, ParseErrorsNameTheField) {
  const std::string head = "tenants: [{name: t}]\nnetworks: [{name: n, tenant: t}]\n";
  EXPECT_EQ(parse_error(head + "routers:\n  - {name: r, tenant: t, colour: red}\n"),
            "routers[r]: unknown field \"colour\"");
  EXPECT_EQ(parse_error(head + "routers:\n  - {tenant: t}\n"),
            "routers[0]: missing required field \"name\"");
  EXPECT_EQ(parse_error(head + "routers:\n  - {name: r, tenant: t, l3-vni: 0}\n"),
            "routers[r].l3-vni: 0 is out of range 1..16777215");
  EXPECT_EQ(parse_error(head + "routers:\n  - name: r\n    tenant: t\n    interfaces:\n"
                               "      - {network: n, address: 10.0.0.1/24, mac: 02:00:00:00:00}\n"),
            "routers[r].interfaces[0].mac: \"02:00:00:00:00\" is not a MAC address "
            "(aa:bb:cc:dd:ee:ff)");
  EXPECT_EQ(parse_error(head + "routers:\n  - name: r\n    tenant: t\n    interfaces:\n"
                               "      - {network: n}\n"),
            "routers[r].interfaces[0]: missing required field \"address\"");
  EXPECT_EQ(parse_error(head + "routers:\n  - name: r\n    tenant: t\n    routes:\n"
                               "      - {prefix: 10.0.0.0/8, via: []}\n"),
            "routers[r].routes[0].via: needs at least one next hop");
  EXPECT_EQ(parse_error(head + "routers:\n  - name: r\n    tenant: t\n    routes:\n"
                               "      - {prefix: 10.0.0.0/8, via: [10.0.0.300]}\n"),
            "routers[r].routes[0].via[0]: \"10.0.0.300\" is not an IP address");
  // A bare address (no /len) reads as a host prefix, which validation rejects.
  EXPECT_EQ(parse_error(head + "routers:\n  - name: r\n    tenant: t\n    interfaces:\n"
                               "      - {network: n, address: 10.0.0.1}\n"),
            "routers[r].interfaces[0].address: 10.0.0.1/32 needs the subnet's prefix length "
            "(e.g. 10.0.0.254/24): the interface's subnet is the connected route");
}

// Symmetric IRB settings: a router MAC and type-5 advertisement, both only with
// an l3-vni (and type 5 with the evpn section), round-tripped and diffed.
TEST(RouterL3Vni, RouterMacAndAdvertiseConnected) {
  Config c = two_tenants();
  Router& red = c.routers[1];
  red.router_mac = mac("02:00:00:00:50:01");
  red.advertise_connected = true;
  EXPECT_EQ(error_of(c),
            "routers[red-rtr].advertise-connected: type-5 routes need an l3-vni and the evpn "
            "section");
  c.evpn = Evpn{};
  c.evpn->asn = 65000;
  EXPECT_EQ(error_of(c), "(valid)");
  std::string text = to_yaml(c);
  auto back = load(text);
  ASSERT_TRUE(back) << back.error().message << "\n" << text;
  EXPECT_TRUE(*back == c) << text;
  EXPECT_EQ(back->routers[1].router_mac, mac("02:00:00:00:50:01"));
  EXPECT_TRUE(back->routers[1].advertise_connected);

  Config d = c;
  d.routers[1].router_mac = mac("01:00:00:00:50:01");
  EXPECT_EQ(error_of(d), "routers[red-rtr].router-mac: 01:00:00:00:50:01 is not a unicast MAC");
  d.routers[1].router_mac = mac("02:00:00:00:50:02");
  d.routers[1].advertise_connected = false;
  EXPECT_EQ(diff(c, d), (std::vector<std::string>{
                            "~ router red-rtr: router-mac 02:00:00:00:50:01 -> 02:00:00:00:50:02",
                            "~ router red-rtr: advertise-connected true -> false",
                        }));
  d.routers[1].l3_vni.reset();
  EXPECT_EQ(error_of(d), "routers[red-rtr].router-mac: a router MAC is used only with an l3-vni");
}

using Lines = std::vector<std::string>;

TEST(RouterDiff, InterfacesAndRoutesByIdentity) {
  Config a = two_tenants();
  Config b = two_tenants();
  Router& r = b.routers[0];
  r.interfaces[2].address = pfx("10.0.1.254/24");  // b's IPv4 address changed
  r.interfaces[1].mac = mac("02:00:00:00:01:09");  // a's IPv6 interface: MAC changed
  r.interfaces[0].mac = mac("02:00:00:00:01:09");
  r.interfaces.erase(r.interfaces.begin() + 3);                               // out removed
  r.interfaces.push_back(RouterInterface{"b", pfx("2001:db8:b::1/64"), {}});  // b gets IPv6
  r.routes[0].via = {ip("10.0.1.30")};
  r.routes.erase(r.routes.begin() + 1);
  r.routes.push_back(Route{pfx("10.9.0.0/16"), {ip("10.0.1.9")}});
  EXPECT_EQ(diff(a, b), (Lines{
                            "~ router blue-rtr: - interface out 172.16.0.2/30",
                            "~ router blue-rtr: interface a 10.0.0.1/24 mac 02:00:00:00:01:01 -> "
                            "10.0.0.1/24 mac 02:00:00:00:01:09",
                            "~ router blue-rtr: interface a 2001:db8:a::1/64 mac 02:00:00:00:01:01 "
                            "-> 2001:db8:a::1/64 mac 02:00:00:00:01:09",
                            "~ router blue-rtr: interface b 10.0.1.1/24 -> 10.0.1.254/24",
                            "~ router blue-rtr: + interface b 2001:db8:b::1/64",
                            "~ router blue-rtr: - route 192.168.50.0/24 via 10.0.1.20,10.0.1.21",
                            "~ router blue-rtr: route 0.0.0.0/0 via 172.16.0.1 -> 10.0.1.30",
                            "~ router blue-rtr: + route 10.9.0.0/16 via 10.0.1.9",
                        }));
  b = a;
  b.routers.erase(b.routers.begin() + 1);
  b.routers[0].tenant = "red";
  EXPECT_EQ(diff(a, b), (Lines{"- router red-rtr", "~ router blue-rtr: tenant blue -> red"}));
}

}  // namespace
}  // namespace vgw::config
