// parse_yaml with a large `networks:` list, one flow mapping per line (the form
// to_yaml writes): it is read line by line, and must give exactly what the whole
// document parsed by yaml-cpp gives, errors included. Anything the line reader does
// not take (a list that goes on after a blank line) takes the ordinary path.
#include <gtest/gtest.h>

#include <string>

#include "config/yaml.h"

namespace vgw::config {
namespace {

constexpr int kNetworks = 1500;  // above the line reader's threshold

std::string head() {
  return "node:\n  name: bulk\nports:\n  - name: p1\nunderlay:\n  interface: u0\n"
         "vtep:\n  source: 192.168.77.2\ntenants:\n  - name: t\nnetworks:\n";
}

std::string line(int i, const std::string& extra = "") {
  return "  - {name: n" + std::to_string(i) + ", tenant: \"t\", vni: " + std::to_string(i) +
         ", remotes: [192.168.77.1]" + extra + "}\n";
}

std::string bulk(int bad_vni_at = 0) {
  std::string s = head();
  for (int i = 1; i <= kNetworks; ++i) {
    std::string extra;
    if (i == 7)
      extra =
          ", attachments: [{port: p1, vlan: 7}], macs: [{mac: '02:00:00:00:00:07', "
          "remote: 192.168.77.1}], ageing: 0, arp-suppression: off";
    s += i == bad_vni_at ? "  - {name: n" + std::to_string(i) + ", tenant: t, vni: 16777216}\n"
                         : line(i, extra);
  }
  return s + "routers: []\n";
}

TEST(ParseYamlBulk, LineByLineEqualsTheWholeDocument) {
  std::string text = bulk();
  auto fast = parse_yaml(text);
  ASSERT_TRUE(fast) << fast.error().message;
  // The same list as one flow sequence: no line starts with "  - {", ordinary path.
  std::string whole = head();
  whole.pop_back();
  whole += " [\n";
  for (int i = 1; i <= kNetworks; ++i) {
    std::string l = line(i, i == 7 ? ", attachments: [{port: p1, vlan: 7}], macs: [{mac: "
                                     "'02:00:00:00:00:07', remote: 192.168.77.1}], ageing: 0, "
                                     "arp-suppression: off"
                                   : "");
    l.replace(0, 4, "    ");
    l.insert(l.size() - 1, ",");
    whole += l;
  }
  whole += "  ]\nrouters: []\n";
  auto slow = parse_yaml(whole);
  ASSERT_TRUE(slow) << slow.error().message;
  EXPECT_EQ(*fast, *slow);
  ASSERT_EQ(fast->networks.size(), static_cast<size_t>(kNetworks));
  const Network& n7 = fast->networks[6];
  EXPECT_EQ(n7.name, "n7");
  EXPECT_EQ(n7.vni, 7u);
  EXPECT_EQ(n7.ageing, 0u);
  EXPECT_FALSE(n7.arp_suppression);
  ASSERT_EQ(n7.attachments.size(), 1u);
  EXPECT_EQ(n7.attachments[0].vlan, 7);
  ASSERT_EQ(n7.static_macs.size(), 1u);
  EXPECT_EQ(fast->networks.back().name, "n1500");
  EXPECT_EQ(fast->ports.size(), 1u);
}

TEST(ParseYamlBulk, AnErrorNamesTheNetworkAndField) {
  auto r = parse_yaml(bulk(1234));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "networks[n1234].vni: 16777216 is out of range 1..16777215");
}

TEST(ParseYamlBulk, ToYamlRoundTripsThroughTheLineReader) {
  auto r = parse_yaml(bulk());
  ASSERT_TRUE(r) << r.error().message;
  auto again = parse_yaml(to_yaml(*r));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *r);
}

TEST(ParseYamlBulk, AListThatGoesOnAfterABlankLineIsReadWhole) {
  std::string text = bulk();
  size_t at = text.find(line(1000));
  text.insert(at, "\n# a comment\n");
  auto r = parse_yaml(text);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->networks.size(), static_cast<size_t>(kNetworks));
}

TEST(ParseYamlBulk, AMalformedLineIsReportedWithItsLineNumber) {
  std::string text = bulk();
  size_t at = text.find(line(1000));
  text.replace(at, line(1000).size(), "  - {name: n1000, tenant: t, vni: [}\n");
  auto r = parse_yaml(text);
  ASSERT_FALSE(r);
  // The whole document was parsed by yaml-cpp: line 11 is `networks:`, n1000 is 1011.
  EXPECT_NE(r.error().message.find("line 1011"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace vgw::config
