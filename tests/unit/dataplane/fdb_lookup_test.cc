// The workers' FDB lookups (Fdb::lookup / source_check) where the slot key
// word alone cannot tell networks apart: networks equal in their low 16 bits
// share key words, and the value's copy of the network bits 16..23 (the
// one-compare hit test) must still find each network's own entry.
#include <gtest/gtest.h>

#include "dataplane/fdb.h"

namespace vgw::dataplane::testing {
namespace {

const MacAddress kMac = MacAddress::from_u64(0x020000000001ull);

TEST(FdbLookup, NetworksEqualInTheLow16BitsFindTheirOwnEntries) {
  Fdb fdb;
  const uint32_t a = 5, b = 5 + (1u << 16), c = 5 + (2u << 16), none = 5 + (3u << 16);
  ASSERT_TRUE(fdb.add(a, kMac, Location::local(0, 0), FdbType::kLearned, 10));
  ASSERT_TRUE(fdb.add(b, kMac, Location::local(1, 7), FdbType::kLearned, 10));
  ASSERT_TRUE(fdb.add(c, kMac, Location::remote(4), FdbType::kStatic, 10));
  const uint64_t mac = kMac.to_u64();
  Fdb::Hit ha = fdb.lookup(a, mac), hb = fdb.lookup(b, mac), hc = fdb.lookup(c, mac);
  ASSERT_TRUE(ha.found);
  ASSERT_TRUE(hb.found);
  ASSERT_TRUE(hc.found);
  EXPECT_EQ(ha.value.location(), Location::local(0, 0));
  EXPECT_EQ(hb.value.location(), Location::local(1, 7));
  EXPECT_EQ(hc.value.location(), Location::remote(4));
  EXPECT_FALSE(fdb.lookup(none, mac).found);
  // The source check sees the same entries: at their place no learn is needed
  // (and last-seen is refreshed), elsewhere a learned one moves, a static one never.
  EXPECT_FALSE(fdb.source_check(b, mac, Location::local(1, 7), 20));
  EXPECT_EQ(fdb.get(b, kMac)->last_seen, 20u);
  EXPECT_EQ(fdb.get(a, kMac)->last_seen, 10u);
  EXPECT_TRUE(fdb.source_check(a, mac, Location::local(1, 7), 21));
  EXPECT_FALSE(fdb.source_check(c, mac, Location::local(1, 7), 21));
  EXPECT_TRUE(fdb.source_check(none, mac, Location::local(1, 7), 21));
}

TEST(FdbLookup, FlushedNetworkMissesWhileItsNeighbourStillHits) {
  Fdb fdb;
  const uint32_t a = 9, b = 9 + (1u << 16);
  ASSERT_TRUE(fdb.add(a, kMac, Location::local(0, 0), FdbType::kLearned, 10));
  ASSERT_TRUE(fdb.add(b, kMac, Location::local(1, 0), FdbType::kLearned, 10));
  fdb.flush_network(b);
  EXPECT_FALSE(fdb.lookup(b, kMac.to_u64()).found);
  ASSERT_TRUE(fdb.lookup(a, kMac.to_u64()).found);
  EXPECT_EQ(fdb.lookup(a, kMac.to_u64()).value.location(), Location::local(0, 0));
}

// A zero MAC in a network whose low 16 bits are zero has the key word of an
// empty slot: the lookup must end there as a miss, in every such network.
TEST(FdbLookup, ZeroKeyInAHighNetworkIsAMiss) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add(1u << 16, kMac, Location::local(0, 0), FdbType::kLearned, 10));
  for (uint32_t net : {0u, 1u << 16, 2u << 16}) {
    EXPECT_FALSE(fdb.lookup(net, 0).found) << net;
    EXPECT_TRUE(fdb.source_check(net, 0, Location::local(0, 0), 11)) << net;
  }
}

}  // namespace
}  // namespace vgw::dataplane::testing
