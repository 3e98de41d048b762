// diff: exact lines, stable order, empty when equal.
#include "config/diff.h"

#include <gtest/gtest.h>

#include "config/yaml.h"
#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

using Lines = std::vector<std::string>;

Config spec() {
  return *parse_yaml(testing::kSpecExample);
}

TEST(Diff, EqualIsEmpty) {
  EXPECT_EQ(diff(spec(), spec()), Lines{});
  EXPECT_EQ(diff(Config{}, Config{}), Lines{});
}

TEST(Diff, NetworkAddedRemovedChanged) {
  Config a = spec();
  a.networks.push_back(Network{.name = "db", .tenant = "blue", .vni = 200});
  Config b = spec();
  b.networks[0].mac_limit = 20000;
  b.networks[0].attachments.push_back(Attachment{"trunk0", 20});
  b.networks[0].attachments.erase(b.networks[0].attachments.begin());
  b.networks[0].remotes.push_back(*IpAddress::parse("192.168.1.3"));
  b.networks.push_back(Network{.name = "app", .tenant = "blue", .vni = 300});
  b.networks.push_back(Network{.name = "out", .tenant = "blue"});
  EXPECT_EQ(diff(a, b), (Lines{
                            "- network db",
                            "~ network web: mac-limit 10000 -> 20000",
                            "~ network web: + remote 192.168.1.3",
                            "~ network web: - attachment p2",
                            "~ network web: + attachment trunk0 vlan 20",
                            "+ network app (vni 300)",
                            "+ network out (no vni)",
                        }));
}

TEST(Diff, ScalarSections) {
  Config a = spec();
  Config b = spec();
  b.vtep.udp_port = 4790;
  b.vtep.source_port_min = 50000;
  b.node.workers = 2;
  b.underlay.io = UnderlayIo::kSocket;
  b.fdb.dup_window = 60;
  b.api.token = "x";
  EXPECT_EQ(diff(a, b), (Lines{
                            "~ node: workers 0 -> 2",
                            "~ api: token none -> (set)",
                            "~ underlay: io xdp -> socket",
                            "~ vtep: udp-port 4789 -> 4790",
                            "~ vtep: source-port-range [49152, 65535] -> [50000, 65535]",
                            "~ fdb: dup-window 180 -> 60",
                        }));
  a = b;
  b.api.token = "y";
  EXPECT_EQ(diff(a, b), Lines{"~ api: token changed"});
}

TEST(Diff, PortsTenantsRoutersEvpn) {
  Config a = spec();
  Config b = spec();
  b.ports = {Port{"trunk0", "packet"}, Port{"p2", "memory"}, Port{"p3", "packet"}};
  b.tenants.push_back(Tenant{"red"});
  b.routers[0].l3_vni.reset();
  b.routers[0].routes[0].via.push_back(*IpAddress::parse("172.16.0.2"));
  b.routers.push_back(Router{"red-rtr", "red", 6000, {}, {}});
  b.evpn->neighbors[0].remote_as = 65001;
  EXPECT_EQ(diff(a, b), (Lines{
                            "~ port p2: io packet -> memory",
                            "+ port p3 (io packet)",
                            "~ ports: order p2, trunk0 -> trunk0, p2",
                            "+ tenant red",
                            "~ router blue-rtr: l3-vni 5000 -> none",
                            "~ router blue-rtr: route 0.0.0.0/0 via 172.16.0.1 -> "
                            "172.16.0.1,172.16.0.2",
                            "+ router red-rtr (tenant red, l3-vni 6000)",
                            "~ evpn: - neighbor 192.168.1.1 remote-as 65000",
                            "~ evpn: + neighbor 192.168.1.1 remote-as 65001",
                        }));
  b.evpn.reset();
  EXPECT_EQ(diff(a, b).back(), "- evpn");
  EXPECT_EQ(diff(b, a).back(), "+ evpn (asn 65000)");
}

TEST(Diff, StaticMacs) {
  Config a = spec();
  Config b = spec();
  b.networks[0].static_macs.push_back(
      StaticMac{.mac = *MacAddress::parse("02:00:00:00:00:01"), .port = "trunk0", .vlan = 10});
  b.networks[0].static_macs.push_back(StaticMac{.mac = *MacAddress::parse("02:00:00:00:00:02"),
                                                .remote = IpAddress::parse("192.168.1.1")});
  EXPECT_EQ(diff(a, b), (Lines{
                            "~ network web: + mac 02:00:00:00:00:01 port trunk0 vlan 10",
                            "~ network web: + mac 02:00:00:00:00:02 remote 192.168.1.1",
                        }));
}

TEST(Diff, FromEmptyListsEverythingAdded) {
  Lines d = diff(Config{}, spec());
  Lines want = {
      "~ node: name vgw -> gw1",
      "+ port p2 (io packet)",
      "+ port trunk0 (io packet)",
      "~ underlay: interface none -> u2",
      "~ underlay: io packet -> xdp",
      "~ underlay: mtu 0 -> 1600",
      "~ vtep: source none -> 192.168.1.2",
      "+ tenant blue",
      "+ network web (vni 100)",
      "+ router blue-rtr (tenant blue, l3-vni 5000)",
      "+ evpn (asn 65000)",
  };
  EXPECT_EQ(d, want);
}

}  // namespace
}  // namespace vgw::config
