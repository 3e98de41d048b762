// to_json: the API's view of the configuration; and the enum names.
#include "config/json.h"

#include <gtest/gtest.h>

#include "config/names.h"
#include "config/yaml.h"
#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

TEST(ToJson, SpecExample) {
  Config c = *parse_yaml(testing::kSpecExample);
  c.api.token = "secret";
  c.networks[0].static_macs.push_back(
      StaticMac{.mac = *MacAddress::parse("02:AA:00:00:00:01"), .port = "trunk0", .vlan = 10});
  nlohmann::json j = to_json(c);
  EXPECT_EQ(j["node"], (nlohmann::json{{"name", "gw1"}, {"workers", 0}}));
  EXPECT_EQ(j["api"]["token_set"], true);
  EXPECT_EQ(j.dump().find("secret"), std::string::npos);
  EXPECT_EQ(j["underlay"]["io"], "xdp");
  EXPECT_EQ(j["vtep"]["source"], "192.168.1.2");
  EXPECT_EQ(j["vtep"]["udp_port"], 4789);
  EXPECT_EQ(j["vtep"]["source_port_range"], nlohmann::json::parse("[49152, 65535]"));
  EXPECT_EQ(j["vtep"]["allow_unknown_sources"], false);
  const auto& n = j["networks"][0];
  EXPECT_EQ(n["name"], "web");
  EXPECT_EQ(n["vni"], 100);
  EXPECT_TRUE(n["vni"].is_number());
  EXPECT_EQ(n["flood"], "head-end");
  EXPECT_EQ(n["remotes"], nlohmann::json::parse(R"(["192.168.1.1"])"));
  EXPECT_EQ(n["mac_limit"], 10000);
  EXPECT_EQ(n["attachments"],
            nlohmann::json::parse(R"([{"port":"p2","vlan":0},{"port":"trunk0","vlan":10}])"));
  EXPECT_EQ(n["macs"][0],
            nlohmann::json::parse(
                R"({"mac":"02:aa:00:00:00:01","port":"trunk0","vlan":10,"remote":null})"));
  EXPECT_TRUE(n["multicast_group"].is_null());
  const auto& r = j["routers"][0];
  EXPECT_EQ(r["l3_vni"], 5000);
  EXPECT_EQ(r["interfaces"][0]["mac"], "02:00:5e:00:01:01");
  EXPECT_EQ(r["interfaces"][0]["address"], "10.0.0.254/24");
  EXPECT_EQ(r["routes"][0]["via"], nlohmann::json::parse(R"(["172.16.0.1"])"));
  EXPECT_EQ(j["evpn"]["asn"], 65000);
  EXPECT_EQ(j["evpn"]["neighbors"][0]["remote_as"], 65000);
}

TEST(ToJson, AbsentOptionalsAreNull) {
  nlohmann::json j = to_json(Config{});
  EXPECT_TRUE(j["evpn"].is_null());
  EXPECT_TRUE(j["vtep"]["source"].is_null());
  EXPECT_EQ(j["networks"], nlohmann::json::array());
}

TEST(Names, FloodModes) {
  for (auto m : {FloodMode::kHeadEnd, FloodMode::kMulticast, FloodMode::kEvpn, FloodMode::kNone})
    EXPECT_EQ(parse_flood_mode(to_string(m)), m);
  EXPECT_EQ(to_string(FloodMode::kHeadEnd), "head-end");
  EXPECT_EQ(to_string(FloodMode::kNone), "none");
  EXPECT_FALSE(parse_flood_mode("head_end"));
}

TEST(Names, UnderlayIo) {
  EXPECT_EQ(to_string(UnderlayIo::kXdp), "xdp");
  EXPECT_EQ(to_string(UnderlayIo::kPacket), "packet");
  EXPECT_EQ(to_string(UnderlayIo::kSocket), "socket");
  EXPECT_EQ(to_string(UnderlayIo::kTap), "tap");
  for (auto m : {UnderlayIo::kXdp, UnderlayIo::kPacket, UnderlayIo::kSocket, UnderlayIo::kTap})
    EXPECT_EQ(parse_underlay_io(to_string(m)), m);
  EXPECT_FALSE(parse_underlay_io("dpdk"));
}

}  // namespace
}  // namespace vgw::config
