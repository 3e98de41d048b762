// The hand-written reader of the line-by-line `networks:` list (yaml.cc FlowReader)
// against yaml-cpp: one unusual line among a thousand ordinary ones must give the
// same configuration, or the same error, as the whole document read by yaml-cpp.
// The ordinary path is forced by a comment line at the end of the list (the line
// reader takes only `  - {...}` lines), which keeps every line number of the list.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/yaml.h"

namespace vgw::config {
namespace {

constexpr int kNetworks = 1100;  // above the line reader's threshold
constexpr int kAt = 500;         // where the line under test goes

std::string document(const std::string& item, bool whole) {
  std::string s =
      "node:\n  name: flow\nports:\n  - name: p1\nunderlay:\n  interface: u0\n"
      "vtep:\n  source: 192.168.77.2\ntenants:\n  - name: t\nnetworks:\n";
  for (int i = 1; i <= kNetworks; ++i) {
    if (i == kAt)
      s += "  - " + item + "\n";
    else
      s += "  - {name: n" + std::to_string(i) + ", tenant: t, vni: " + std::to_string(i) +
           ", remotes: [192.168.77.1]}\n";
  }
  if (whole) s += "  # the whole document goes to yaml-cpp\n";
  return s + "routers: []\n";
}

struct Outcome {
  bool ok;
  std::string error;
  Config config;
};

Outcome parse(const std::string& text) {
  auto r = parse_yaml(text);
  if (!r) return {false, r.error().message, {}};
  return {true, "", std::move(*r)};
}

void expect_same(const std::string& item) {
  SCOPED_TRACE(item);
  Outcome fast = parse(document(item, false));
  Outcome slow = parse(document(item, true));
  ASSERT_EQ(fast.ok, slow.ok) << (fast.ok ? slow.error : fast.error);
  EXPECT_EQ(fast.error, slow.error);
  if (fast.ok) {
    ASSERT_EQ(fast.config.networks.size(), static_cast<size_t>(kNetworks));
    EXPECT_EQ(fast.config, slow.config);
  }
}

TEST(FlowReader, ValuesEqualYamlCpp) {
  const std::vector<std::string> items = {
      "{name: x, tenant: t, vni: 7, remotes: [192.168.77.1]}",
      "{name: \"x\", tenant: 't', vni: \"7\", remotes: [\"192.168.77.1\", '10.0.0.9']}",
      "{name: x.y_z:1-2, tenant: t}",
      "{name: x, tenant: t, remotes: [fd00::1, \"fd00::2\", 10.1.2.3]}",
      "{name: x, tenant: t, remotes: 10.0.0.9}",
      "{name: x, tenant: t, remotes: []}",
      "{ name: x ,  tenant: t , remotes: [ 10.0.0.1 ,10.0.0.2 ] }",
      "{name: x, tenant: t, flood: none, arp-suppression: yes, allow-inner-vlan: on}",
      "{name: x, tenant: t, mac-limit: 0, ageing: 1000000}",
      "{name: x, tenant: t, vni: null, ageing: ~}",
      "{name: x, tenant: t, vni: Null, mac-limit: NULL}",
      "{name: x, tenant: t, vni: 9, multicast-group: 239.1.1.1, flood: multicast}",
      "{name: x, tenant: t, attachments: [{port: p1, vlan: 7}, {port: \"p1\"}]}",
      "{name: x, tenant: t, macs: [{mac: '02:00:00:00:00:07', remote: 192.168.77.1}, "
      "{mac: 02:00:00:00:00:08, port: p1, vlan: 3}]}",
      "{name: 'it''s', tenant: t}",
      "{name: x, tenant: t, vni: 00012}",
      "{name: x, tenant: t, remotes: [192.168.77.1, ]}",
      "{name: x, tenant: t,}",
      "{name: &a x, tenant: *a}",
      "{\"name\": x, tenant: t}",
      "{name: x, tenant: t, vni:5}",
      "{name: x, tenant:t}",
      "{name: x, tenant: t, vni: 5 }",
      // The direct reader (no node tree): every field it takes, in any order.
      "{ageing: 0, name: x, vni: 16777215, tenant: t, flood: evpn, attachments: [ ], macs: []}",
      "{name: x, tenant: t, arp-suppression: FALSE, allow-inner-vlan: True, mac-limit: 16777216}",
      "{name: x, tenant: t, vni: 9, flood: multicast, multicast-group: \"ff0e::1\"}",
  };
  for (const auto& item : items) expect_same(item);
}

TEST(FlowReader, ErrorsEqualYamlCpp) {
  const std::vector<std::string> items = {
      "{name: x, tenant: t, vni: 16777216}",
      "{name: x, tenant: t, vni: 0x10}",
      "{name: x, tenant: t, vni: \"\"}",
      "{name: x, tenant: t, vni: -1}",
      "{name: x, tenant: t, mac-limit: 99999999999999999999999}",
      "{name: x, tenant: t, colour: blue}",
      "{name: x, tenant: t, vni: 1, vni: 2}",
      "{name: x, vni: 3}",
      "{}",
      "{name: \"a\\\"b\", tenant: t}",
      "{name: \"a\\\\b\", tenant: t}",
      "{name: \"a\\tb\", tenant: t}",
      "{name: \"\xc3\xbc\", tenant: t}",
      "{name: \"a\tb\", tenant: t}",
      "{name: a b, tenant: t}",
      "{name: x, tenant: t, remotes: [[10.0.0.1]]}",
      "{name: x, tenant: t, remotes: [10.0.0.300]}",
      "{name: x, tenant: t, remotes: {a: 1}}",
      "{name: x, tenant: t, attachments: {port: p1}}",
      "{name: x, tenant: t, attachments: [{port: p1, vlan: 4095}]}",
      "{name: x, tenant: t, macs: [{mac: 02:00:00:00:00:0g, remote: 10.0.0.1}]}",
      "{name: x, tenant: t, arp-suppression: maybe}",
      "{name: x, tenant: t, flood: sometimes}",
      "{name: x, tenant: t, vni: [1, 2]}",
      "{name: x, tenant: t, vni: {a: 1}}",
      "{name: x, tenant: t, remotes: [10.0.0.1}",
      "{name: x, tenant: \"t\\qx\"}",
      "{name: x, tenant: t #c}",
      "{name: x, tenant: t, a: {b: {c: {d: {e: [1]}}}}}",
      "{name: bad!, tenant: t}",
      "{name: x, tenant: t, vni: 1.5}",
      "{name: x, tenant: t, ageing: 1000001}",
      "{name: x, tenant: t, mac-limit: 16777217}",
      "{name: x, tenant: t, vni: 0}",
      "{name: x, tenant: t, multicast-group: [239.1.1.1]}",
      "{name: x, tenant: t, flood: [none]}",
      "{name: x, tenant: t, remotes: [10.0.0.1, [10.0.0.2]]}",
      "{name: x, tenant: t, attachments: [], attachments: []}",
      "{name: x, tenant: t, allow-inner-vlan: 1}",
      "{name: x0123456789012345678901234567890123456789012345678901234567890123, tenant: t}",
      "{tenant: t, vni: 4}",
  };
  for (const auto& item : items) {
    Outcome slow = parse(document(item, true));
    EXPECT_FALSE(slow.ok) << item;  // the table holds errors only
    expect_same(item);
  }
}

TEST(FlowReader, ErrorNamesTheNetworkAndField) {
  Outcome r = parse(document("{name: web, tenant: t, vni: 0x10}", false));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "networks[web].vni: expected a number, got \"0x10\"");
  r = parse(document("{name: web, tenant: t, remotes: [10.0.0.1, 10.0.0.300]}", false));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "networks[web].remotes[1]: \"10.0.0.300\" is not an IP address");
  r = parse(document("{name: web, tenant: t, vni: 1, vni: 2}", false));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "networks[web]: duplicate field \"vni\"");
}

TEST(FlowReader, QuotedAndPlainValuesReadAsText) {
  Outcome r = parse(
      document("{name: 'x''y', tenant: t, remotes: [fd00::1, \"10.0.0.2\", '10.0.0.3']}", false));
  ASSERT_FALSE(r.ok);  // an apostrophe is not a name character; the message shows it decoded
  EXPECT_EQ(r.error,
            "networks[499].name: \"x'y\" is not a valid name (a letter or digit, then letters, "
            "digits, . _ : -)");
  r = parse(document("{name: \"x\\\"\", tenant: t}", false));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "networks[499].name: \"x\"\" is not a valid name (a letter or digit, then letters, "
            "digits, . _ : -)");
  r = parse(document("{name: x, tenant: t, remotes: [fd00::1, \"10.0.0.2\", '10.0.0.3']}", false));
  ASSERT_TRUE(r.ok) << r.error;
  const Network& n = r.config.networks[kAt - 1];
  EXPECT_EQ(n.name, "x");
  ASSERT_EQ(n.remotes.size(), 3u);
  EXPECT_EQ(n.remotes[0], *IpAddress::parse("fd00::1"));
  EXPECT_EQ(n.remotes[1], *IpAddress::parse("10.0.0.2"));
  EXPECT_EQ(n.remotes[2], *IpAddress::parse("10.0.0.3"));
}

}  // namespace
}  // namespace vgw::config
