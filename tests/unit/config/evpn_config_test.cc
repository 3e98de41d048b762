// The evpn section's speaker settings: hold time, connect retry and per-VNI route
// distinguishers and route targets (FRR's text forms), parsed, validated, diffed
// and written back.
#include <gtest/gtest.h>

#include "config/diff.h"
#include "config/validate.h"
#include "config/yaml.h"

namespace vgw::config {
namespace {

constexpr const char* kBase = R"(
vtep:
  source: 192.168.1.2
evpn:
  asn: 65000
  router-id: 192.168.1.2
  hold-time: 9
  connect-retry: 3
  neighbors:
    - address: 192.168.1.1
      remote-as: 65001
  vnis:
    - vni: 100
      rd: 192.168.1.2:7
      route-targets: [65001:100]
      import-route-targets: ["1.2.3.4:5"]
)";

TEST(EvpnConfig, ParsesSpeakerSettingsAndVnis) {
  auto c = parse_yaml(kBase);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->evpn);
  EXPECT_EQ(c->evpn->hold_time, 9);
  EXPECT_EQ(c->evpn->connect_retry, 3u);
  ASSERT_EQ(c->evpn->vnis.size(), 1u);
  const EvpnVni& v = c->evpn->vnis[0];
  EXPECT_EQ(v.vni, 100u);
  EXPECT_EQ(v.rd, "192.168.1.2:7");
  EXPECT_EQ(v.route_targets, std::vector<std::string>{"65001:100"});
  EXPECT_EQ(v.import_route_targets, std::vector<std::string>{"1.2.3.4:5"});
  EXPECT_TRUE(v.export_route_targets.empty());
  EXPECT_TRUE(validate(*c));
}

TEST(EvpnConfig, DefaultsWhenAbsentAndRoundTrips) {
  auto c = parse_yaml("evpn:\n  asn: 65000\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->evpn->hold_time, 90);
  EXPECT_EQ(c->evpn->connect_retry, 10u);
  EXPECT_TRUE(c->evpn->vnis.empty());
  // Defaults are not written out; set values are, and read back equal.
  EXPECT_EQ(to_yaml(*c).find("hold-time"), std::string::npos);
  auto full = parse_yaml(kBase);
  ASSERT_TRUE(full);
  auto again = parse_yaml(to_yaml(*full));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *full);
}

TEST(EvpnConfig, ValidationNamesTheField) {
  auto c = parse_yaml(kBase);
  ASSERT_TRUE(c);
  Config bad = *c;
  bad.evpn->hold_time = 2;
  EXPECT_EQ(validate(bad).error().message.find("evpn.hold-time"), 0u)
      << validate(bad).error().message;
  bad = *c;
  bad.evpn->vnis[0].route_targets = {"65001"};
  auto s = validate(bad);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("evpn.vnis[0].route-targets[0]"), std::string::npos)
      << s.error().message;
  bad = *c;
  bad.evpn->vnis[0].rd = "300.1.1.1:5";
  EXPECT_FALSE(validate(bad));
  bad = *c;
  bad.evpn->vnis[0].route_targets = {"4200000000:70000"};  // 4-byte ASN: 16-bit local part
  EXPECT_FALSE(validate(bad));
  bad = *c;
  bad.evpn->vnis.push_back(bad.evpn->vnis[0]);
  s = validate(bad);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("listed twice"), std::string::npos);
  auto y = parse_yaml("evpn:\n  asn: 1\n  vnis:\n    - vni: 0\n");
  ASSERT_FALSE(y);
  EXPECT_NE(y.error().message.find("evpn.vnis[0].vni"), std::string::npos) << y.error().message;
}

TEST(EvpnConfig, DiffShowsSettingAndVniChanges) {
  auto a = parse_yaml(kBase);
  ASSERT_TRUE(a);
  Config b = *a;
  b.evpn->hold_time = 30;
  b.evpn->vnis[0].route_targets = {"65000:100"};
  auto lines = diff(*a, b);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_NE(all.find("hold-time"), std::string::npos) << all;
  EXPECT_NE(all.find("rt 65000:100"), std::string::npos) << all;
  EXPECT_NE(all.find("rt 65001:100"), std::string::npos) << all;
}

}  // namespace
}  // namespace vgw::config
