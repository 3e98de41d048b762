// to_yaml round trips: load(to_yaml(c)) == c, for SPEC's file, every optional
// field set, and a big generated configuration.
#include <gtest/gtest.h>

#include "config/load.h"
#include "config/yaml.h"
#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

void expect_round_trip(const Config& c) {
  std::string text = to_yaml(c);
  auto back = load(text);
  ASSERT_TRUE(back) << back.error().message << "\n" << text;
  EXPECT_TRUE(*back == c) << text;
  // Writing is deterministic: the same config writes the same text.
  EXPECT_EQ(to_yaml(*back), text);
}

TEST(RoundTrip, SpecExample) {
  auto c = load(testing::kSpecExample);
  ASSERT_TRUE(c) << c.error().message;
  expect_round_trip(*c);
}

TEST(RoundTrip, Defaults) {
  expect_round_trip(Config{});
}

TEST(RoundTrip, EveryOptionalFieldSet) {
  auto c = load(R"(
node: {name: gw9, workers: 2}
api: {socket: /tmp/x.sock, http: "0.0.0.0:9000", token: "a: b # not a comment"}
ports: [{name: m0, io: memory}, {name: p1}]
underlay: {interface: u9, io: socket, mtu: 9000}
vtep:
  source: "2001:db8::2"
  udp-port: 8472
  source-port-range: [1000, 2000]
  allow-unknown-sources: true
  ttl: 5
fdb: {dup-max-moves: 0, dup-window: 30}
tenants: [{name: blue}, {name: "123"}, {name: "null"}, {name: "true"}, {name: "1e3"}, {name: "0x10"}]
networks:
  - name: web
    tenant: blue
    vni: 16777215
    flood: multicast
    multicast-group: ff0e::1
    arp-suppression: false
    allow-inner-vlan: true
    ageing: 0
    attachments: [{port: m0}, {port: p1, vlan: 4094}]
    macs:
      - {mac: "02:00:00:00:00:01", port: p1, vlan: 4094}
      - {mac: "02:00:00:00:00:02", port: m0}
      - {mac: "02:00:00:00:00:03", remote: "2001:db8::7"}
  - name: outside
    tenant: "123"
    flood: none
routers:
  - name: r1
    tenant: blue
    l3-vni: 1
    interfaces: [{network: web, address: "2001:db8:1::1/64"}]
    routes: [{prefix: "::/0", via: ["2001:db8:1::fe", "2001:db8:1::fd"]}]
evpn:
  asn: 4294967295
  neighbors: [{address: "2001:db8::1", remote-as: 1}]
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api.token, "a: b # not a comment");
  EXPECT_EQ(c->tenants[1].name, "123");
  expect_round_trip(*c);
}

TEST(RoundTrip, BigGeneratedConfig) {
  expect_round_trip(testing::big_config(3000));
}

}  // namespace
}  // namespace vgw::config
