// MAC mobility through the data plane (RFC 7432 §15): a MAC that EVPN placed at
// a remote VTEP and that shows up on a local attachment has moved here, so the
// learn takes the entry over; the overlay never moves an EVPN entry, static and
// API entries always win. Every change is reported to the change listener (the
// EVPN agent follows local MACs with it instead of scanning).
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "dataplane/fdb.h"
#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

using Change = std::pair<uint32_t, uint64_t>;

TEST(FdbMobility, SourceCheckAsksToLearnAnEvpnMacSeenLocally) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add(1, kH1, Location::remote(3), FdbType::kEvpn, 0));
  EXPECT_TRUE(fdb.source_check(1, kH1.to_u64(), Location::local(0, 0), 5));
  // From the overlay (another VTEP) BGP decides: no learn event.
  EXPECT_FALSE(fdb.source_check(1, kH1.to_u64(), Location::remote(4), 5));
  ASSERT_TRUE(fdb.add(1, kH2, Location::remote(3), FdbType::kApi, 0));
  EXPECT_FALSE(fdb.source_check(1, kH2.to_u64(), Location::local(0, 0), 5));
}

TEST(FdbMobility, LocalLearnTakesOverAnEvpnEntryAsAMove) {
  Harness h;
  const uint32_t web = h.net("web");
  const uint32_t r1 = h.remote("192.168.1.1");
  ASSERT_TRUE(h.dp.fdb().add(web, kH1, Location::remote(r1), FdbType::kEvpn, h.now));
  std::vector<Change> changes;
  h.dp.fdb().set_change_listener([&](uint32_t n, uint64_t m) { changes.emplace_back(n, m); });

  h.send_local(0, inner_frame(kH2, kH1));  // h1 now speaks behind p0

  auto e = h.fdb("web", kH1);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, FdbType::kLearned);
  EXPECT_EQ(e->location, Location::local(0, 0));
  EXPECT_EQ(e->moves, 1u);
  auto t = h.dp.fdb().totals();
  EXPECT_EQ(t.moves, 1u);
  EXPECT_EQ(t.learned, 0u);
  EXPECT_EQ(t.entries, 1u);
  EXPECT_EQ(h.dp.fdb().entries_in(web), 1u);
  EXPECT_EQ(changes, (std::vector<Change>{{web, kH1.to_u64()}}));

  // Now a learned entry: it ages like one.
  h.now += 301;
  EXPECT_EQ(h.dp.age_slice(), 1u);
  EXPECT_FALSE(h.fdb("web", kH1));
  EXPECT_EQ(changes.back(), (Change{web, kH1.to_u64()}));
}

TEST(FdbMobility, EvpnInstallReplacesTheLocalEntryWhenTheHostMovesBack) {
  Harness h;
  const uint32_t web = h.net("web");
  h.send_local(0, inner_frame(kH2, kH1));
  ASSERT_EQ(h.fdb("web", kH1)->type, FdbType::kLearned);
  // A higher sequence from a peer: the EVPN agent installs the remote path.
  const uint32_t r3 = h.remote("192.168.1.3");
  ASSERT_TRUE(h.dp.fdb().add(web, kH1, Location::remote(r3), FdbType::kEvpn, h.now));
  auto e = h.fdb("web", kH1);
  EXPECT_EQ(e->type, FdbType::kEvpn);
  EXPECT_EQ(e->location, Location::remote(r3));
  EXPECT_EQ(h.dp.fdb().entries_in(web), 1u);
  // Traffic from h1 arriving over the overlay does not move it (BGP decides)...
  h.send_underlay(vxlan_frame(inner_frame(kH2, kH1), 100, "192.168.1.1"));
  EXPECT_EQ(h.fdb("web", kH1)->location, Location::remote(r3));
  // ...and it is not aged.
  h.now += 1000;
  h.dp.age_slice();
  EXPECT_EQ(h.fdb("web", kH1)->type, FdbType::kEvpn);
}

TEST(FdbMobility, StaticAndApiEntriesStillWin) {
  Harness h;
  const uint32_t web = h.net("web");
  const uint32_t r1 = h.remote("192.168.1.1");
  ASSERT_TRUE(h.dp.fdb().add(web, kH1, Location::remote(r1), FdbType::kApi, h.now));
  ASSERT_TRUE(h.dp.fdb().add_static(web, kH3, Location::remote(r1)));
  h.send_local(0, inner_frame(kH2, kH1));
  h.send_local(0, inner_frame(kH2, kH3));
  EXPECT_EQ(h.fdb("web", kH1)->type, FdbType::kApi);
  EXPECT_EQ(h.fdb("web", kH3)->type, FdbType::kStatic);
  EXPECT_EQ(h.dp.fdb().totals().moves, 0u);
}

TEST(FdbMobility, TakeoversCountTowardsDuplicateDetection) {
  Fdb fdb(FdbOptions{1024, 3, 180});
  Harness h;  // for a snapshot with network "web"
  const uint32_t web = h.net("web");
  auto snap = h.dp.snapshot();
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(fdb.add(web, kH1, Location::remote(0), FdbType::kEvpn, 100 + i));
    LearnResult r = fdb.learn({kH1.to_u64(), web, Location::local(0, 0), 100 + i, {}}, *snap);
    EXPECT_EQ(r, i < 2 ? LearnResult::kMoved : LearnResult::kFrozen) << i;
  }
  EXPECT_TRUE(fdb.get(web, kH1)->frozen);
  EXPECT_EQ(fdb.totals().dup_frozen, 1u);
}

TEST(FdbMobility, ListenerHearsAddsRemovesAndFlushes) {
  Fdb fdb;
  std::vector<Change> changes;
  fdb.set_change_listener([&](uint32_t n, uint64_t m) { changes.emplace_back(n, m); });
  ASSERT_TRUE(fdb.add(1, kH1, Location::local(0, 0), FdbType::kLearned, 0));
  ASSERT_TRUE(fdb.add(1, kH2, Location::remote(2), FdbType::kLearned, 0));
  EXPECT_TRUE(fdb.remove(1, kH1));
  EXPECT_FALSE(fdb.remove(1, kH1));  // nothing there: nothing told
  EXPECT_EQ(fdb.remove_location(Location::remote(2)), 1u);
  fdb.flush_network(1);
  EXPECT_EQ(
      changes,
      (std::vector<Change>{
          {1, kH1.to_u64()}, {1, kH2.to_u64()}, {1, kH1.to_u64()}, {1, kH2.to_u64()}, {1, 0}}));
}

}  // namespace
}  // namespace vgw::dataplane::testing