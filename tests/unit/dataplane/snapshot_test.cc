// Building snapshots from configuration: indices, maps, templates, errors, and
// the 1M-network scale target (issue 6).
#include "dataplane/snapshot.h"

#include <gtest/gtest.h>

#include <chrono>

#include "harness.h"
#include "packet/checksum.h"

namespace vgw::dataplane::testing {
namespace {

TEST(Snapshot, MapsVniPortVlanAndFloodLists) {
  auto s = build_snapshot(base_config(), resolving_underlay());
  ASSERT_TRUE(s) << s.error().message;
  const Snapshot& snap = **s;
  uint32_t web = snap.network_by_name("web");
  ASSERT_NE(web, kNone);
  EXPECT_EQ(snap.network_by_vni(100), web);
  EXPECT_EQ(snap.network_by_vni(200), snap.network_by_name("db"));
  EXPECT_EQ(snap.network_by_vni(300), kNone);
  EXPECT_EQ(snap.attachment_state(snap.attachment(1, 10)).network, web);
  EXPECT_EQ(snap.attachment(1, 0), kNone);
  EXPECT_EQ(snap.fast(web).flood_count, 2);
  EXPECT_EQ(snap.fast(web).att_count, 2);
  EXPECT_EQ(snap.remotes().size(), 2u);  // 192.168.1.1 shared by both networks
  EXPECT_EQ(snap.network(snap.network_by_name("db")).flood_remotes,
            std::vector<uint32_t>{snap.remotes().find(ip("192.168.1.1"))});
}

TEST(Snapshot, OuterTemplateChecksumBaseIsTheHeaderSum) {
  auto s = build_snapshot(base_config(), resolving_underlay());
  ASSERT_TRUE(s);
  const Remote& r = (*s)->remotes()[0];
  ASSERT_TRUE(r.resolved);
  ASSERT_EQ(r.outer.size, 50);
  // Patching total length and id by the base must give a valid header.
  std::array<uint8_t, 80> b = r.outer.bytes;
  uint16_t len = 100, id = 7;
  packet::store_be16(&b[16], len);
  packet::store_be16(&b[18], id);
  packet::store_be16(&b[24], packet::csum_finish(r.outer.ip_sum + len + id));
  EXPECT_TRUE(packet::ipv4_header_checksum_ok({&b[14], 20}));
}

TEST(Snapshot, ErrorsNameObjectAndField) {
  auto cfg = base_config();
  cfg.networks[0].attachments.push_back({"nope", 0});
  auto s = build_snapshot(cfg, resolving_underlay());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "networks[web].attachments[2].port: no port named nope");
  cfg = base_config();
  cfg.networks[1].attachments.push_back({"p1", 10});
  s = build_snapshot(cfg, resolving_underlay());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "networks[db].attachments[1]: port p1 vlan 10 is already attached to network web");
  cfg = base_config();
  cfg.networks[1].vni = 100;
  s = build_snapshot(cfg, resolving_underlay());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find(".vni: 100 is already used"), std::string::npos);
}

TEST(Snapshot, IndicesStayStableAcrossRebuilds) {
  auto a = build_snapshot(base_config(), resolving_underlay());
  ASSERT_TRUE(a);
  auto cfg = base_config();
  std::swap(cfg.networks[0], cfg.networks[1]);
  cfg.networks[0].remotes = {ip("192.168.1.5"), ip("192.168.1.1")};
  cfg.networks.erase(cfg.networks.begin() + 1);  // web removed
  auto b = build_snapshot(cfg, resolving_underlay(), a->get());
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ((*b)->network_by_name("db"), (*a)->network_by_name("db"));
  EXPECT_EQ((*b)->network_by_name("web"), kNone);
  EXPECT_FALSE((*b)->network((*a)->network_by_name("web")).present);
  EXPECT_EQ((*b)->remotes().find(ip("192.168.1.1")), (*a)->remotes().find(ip("192.168.1.1")));
  EXPECT_EQ((*b)->remotes().find(ip("192.168.1.3")), kNone);  // no longer referenced
  EXPECT_NE((*b)->remotes().find(ip("192.168.1.5")), kNone);
}

TEST(Snapshot, RemotesReplaceableAlone) {
  auto s = build_snapshot(base_config(), resolving_underlay(false));
  ASSERT_TRUE(s);
  EXPECT_FALSE((*s)->remotes()[0].resolved);
  auto next = (*s)->with_remotes(resolve_remotes(**s, resolving_underlay(true)));
  EXPECT_TRUE(next->remotes()[0].resolved);
  EXPECT_EQ(&next->table(), &(*s)->table());  // networks shared, not rebuilt
}

TEST(Snapshot, MillionNetworksBuildQuickly) {
  config::Config cfg = base_config();
  cfg.networks.clear();
  constexpr uint32_t kN = 1'000'000;
  cfg.networks.resize(kN);
  for (uint32_t i = 0; i < kN; ++i) {
    cfg.networks[i].name = "n" + std::to_string(i);
    cfg.networks[i].vni = i + 1;
    cfg.networks[i].remotes = {ip("192.168.1.1")};
  }
  auto t0 = std::chrono::steady_clock::now();
  auto s = build_snapshot(cfg, resolving_underlay());
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->network_count(), kN);
  EXPECT_EQ((*s)->network_by_vni(777'777), (*s)->network_by_name("n777776"));
  // Generous bound (sanitizer builds are slow); the figure is in the report.
  EXPECT_LT(secs, 10.0);
  std::printf("1M networks: snapshot built in %.2f s\n", secs);
}

}  // namespace
}  // namespace vgw::dataplane::testing
