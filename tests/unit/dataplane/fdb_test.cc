// The FDB table on its own: packing, learn/move/limit/age semantics at the
// table level, a million entries, rebuilds, and a reader thread racing the writer.
#include "dataplane/fdb.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "dataplane/rcu.h"
#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

TEST(FdbLocation, PacksPortVlanAndRemote) {
  Location l = Location::local(513, 4094);
  EXPECT_FALSE(l.is_remote());
  EXPECT_EQ(l.port(), 513u);
  EXPECT_EQ(l.vlan(), 4094);
  Location r = Location::remote(1234567);
  EXPECT_TRUE(r.is_remote());
  EXPECT_EQ(r.remote_index(), 1234567u);
  EXPECT_NE(Location::local(0, 0), Location::remote(0));
  EXPECT_TRUE(Location::local(0, 0).valid());
  EXPECT_FALSE(Location{}.valid());
}

TEST(FdbKey, NetworkAndMacFitOneWordPlusHighByte) {
  EXPECT_EQ(Fdb::pack_key(0x12345, 0x0000aabbccddeeffull), 0x2345aabbccddeeffull);
  EXPECT_NE(Fdb::pack_key(1, 1), 0u);
}

TEST(Fdb, AddGetRemoveStatic) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add_static(7, kH1, Location::local(2, 0)));
  auto e = fdb.get(7, kH1);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, FdbType::kStatic);
  EXPECT_EQ(e->location, Location::local(2, 0));
  EXPECT_FALSE(fdb.get(8, kH1));
  auto hit = fdb.lookup(7, kH1.to_u64());
  EXPECT_TRUE(hit.found);
  EXPECT_EQ(hit.value.location(), Location::local(2, 0));
  EXPECT_FALSE(fdb.add_static(7, mac("00:00:00:00:00:00"), Location::local(0, 0)));
  EXPECT_FALSE(fdb.add_static(7, kBroadcast, Location::local(0, 0)));
  EXPECT_TRUE(fdb.remove(7, kH1));
  EXPECT_FALSE(fdb.remove(7, kH1));
  EXPECT_FALSE(fdb.lookup(7, kH1.to_u64()).found);
  EXPECT_EQ(fdb.size(), 0u);
  // A removed key's slot is reused for the same key.
  ASSERT_TRUE(fdb.add_static(7, kH1, Location::remote(3)));
  EXPECT_EQ(fdb.get(7, kH1)->location, Location::remote(3));
  EXPECT_EQ(fdb.size(), 1u);
}

TEST(Fdb, NetworksAbove16BitsAreDistinct) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add_static(5, kH1, Location::local(0, 0)));
  ASSERT_TRUE(fdb.add_static(5 + 65536, kH1, Location::local(1, 0)));
  EXPECT_EQ(fdb.get(5, kH1)->location, Location::local(0, 0));
  EXPECT_EQ(fdb.get(5 + 65536, kH1)->location, Location::local(1, 0));
}

TEST(Fdb, SourceCheckRefreshesOnlyWhenTheSecondChanged) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add(1, kH1, Location::local(0, 0), FdbType::kLearned, 10));
  EXPECT_FALSE(fdb.source_check(1, kH1.to_u64(), Location::local(0, 0), 20));
  EXPECT_EQ(fdb.get(1, kH1)->last_seen, 20u);
  EXPECT_TRUE(fdb.source_check(1, kH1.to_u64(), Location::local(1, 0), 21));  // a move
  EXPECT_TRUE(fdb.source_check(1, kH2.to_u64(), Location::local(0, 0), 21));  // unknown
  ASSERT_TRUE(fdb.add_static(1, kH2, Location::local(0, 0)));
  EXPECT_FALSE(fdb.source_check(1, kH2.to_u64(), Location::local(1, 0), 21));  // static: no event
}

TEST(Fdb, MillionEntriesFitInUnder64BytesEach) {
  Fdb fdb;
  constexpr uint32_t kN = 1'000'000;
  for (uint32_t i = 0; i < kN; ++i) {
    // 1000 networks x 1000 MACs.
    MacAddress m = MacAddress::from_u64(0x020000000000ull + i);
    ASSERT_TRUE(fdb.add(i % 1000, m, Location::remote(i % 7), FdbType::kLearned, 0));
  }
  EXPECT_EQ(fdb.size(), kN);
  EXPECT_LE(fdb.memory_bytes() / kN, 64u) << fdb.memory_bytes();
  for (uint32_t i = 0; i < kN; i += 997) {
    auto hit = fdb.lookup(i % 1000, 0x020000000000ull + i);
    ASSERT_TRUE(hit.found) << i;
    EXPECT_EQ(hit.value.location(), Location::remote(i % 7));
    EXPECT_FALSE(fdb.lookup((i + 1) % 1000, 0x020000000000ull + i).found);
  }
  // Half removed, then compacted: everything left is still found.
  for (uint32_t i = 0; i < kN; i += 2)
    ASSERT_TRUE(fdb.remove(i % 1000, MacAddress::from_u64(0x020000000000ull + i)));
  fdb.rebuild();
  EXPECT_EQ(fdb.size(), kN / 2);
  EXPECT_LE(fdb.memory_bytes() / (kN / 2), 64u);
  for (uint32_t i = 1; i < kN; i += 2)
    ASSERT_TRUE(fdb.lookup(i % 1000, 0x020000000000ull + i).found);
  size_t visited = 0;
  fdb.for_each(3, [&](const FdbEntryView& e) {
    EXPECT_EQ(e.network, 3u);
    ++visited;
  });
  EXPECT_EQ(visited, 1000u);  // network 3 holds odd i only: none removed
  visited = 0;
  fdb.for_each(4, [&](const FdbEntryView&) { ++visited; });
  EXPECT_EQ(visited, 0u);  // network 4 held even i only: all removed
}

TEST(Fdb, FlushIsPerNetworkAndKeepsStatics) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add(1, kH1, Location::local(0, 0), FdbType::kLearned, 0));
  ASSERT_TRUE(fdb.add(1, kH2, Location::local(0, 0), FdbType::kStatic, 0));
  ASSERT_TRUE(fdb.add(2, kH1, Location::local(0, 0), FdbType::kLearned, 0));
  fdb.flush_network(1);
  EXPECT_FALSE(fdb.get(1, kH1));
  EXPECT_TRUE(fdb.get(1, kH2));
  EXPECT_TRUE(fdb.get(2, kH1));
  EXPECT_EQ(fdb.size(), 2u);
  EXPECT_EQ(fdb.entries_in(1), 1u);
  // Learned again after the flush.
  ASSERT_TRUE(fdb.add(1, kH1, Location::local(1, 0), FdbType::kLearned, 0));
  EXPECT_EQ(fdb.get(1, kH1)->location, Location::local(1, 0));
  EXPECT_EQ(fdb.size(), 3u);
}

TEST(Fdb, RemoveLocationDropsLearnedEntriesBehindIt) {
  Fdb fdb;
  ASSERT_TRUE(fdb.add(1, kH1, Location::remote(4), FdbType::kLearned, 0));
  ASSERT_TRUE(fdb.add(1, kH2, Location::remote(4), FdbType::kStatic, 0));
  ASSERT_TRUE(fdb.add(1, kH3, Location::remote(5), FdbType::kLearned, 0));
  EXPECT_EQ(fdb.remove_location(Location::remote(4)), 1u);
  EXPECT_FALSE(fdb.get(1, kH1));
  EXPECT_TRUE(fdb.get(1, kH2));
  EXPECT_TRUE(fdb.get(1, kH3));
}

// A reader thread (a worker) looks up continuously while the writer inserts,
// deletes and rebuilds: every key the writer keeps is always found with its
// value; nothing crashes (run under ASan in the sanitizer build).
TEST(Fdb, ConcurrentReaderWhileWriterInsertsDeletesAndRebuilds) {
  Fdb fdb(FdbOptions{64, 5, 180});
  constexpr uint32_t kStable = 1000;
  for (uint32_t i = 1; i <= kStable; ++i)
    ASSERT_TRUE(fdb.add(1, MacAddress::from_u64(i), Location::remote(i), FdbType::kStatic, 0));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, misses{0};
  std::thread reader([&] {
    rcu::register_thread();
    while (!stop.load(std::memory_order_relaxed)) {
      for (uint32_t i = 1; i <= kStable; ++i) {
        auto hit = fdb.lookup(1, i);
        if (!hit.found || hit.value.location() != Location::remote(i)) misses.fetch_add(1);
        fdb.lookup(2, i);  // churning network
      }
      lookups.fetch_add(kStable);
      rcu::quiescent();
    }
    rcu::unregister_thread();
  });
  for (int round = 0; round < 20; ++round) {
    for (uint32_t i = 1; i <= 5000; ++i)
      ASSERT_TRUE(fdb.add(2, MacAddress::from_u64(i), Location::local(0, 0), FdbType::kLearned, 0));
    for (uint32_t i = 1; i <= 5000; i += 2) fdb.remove(2, MacAddress::from_u64(i));
    fdb.flush_network(2);
    fdb.rebuild();
  }
  while (lookups.load() < 10 * kStable) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(misses.load(), 0u);
  EXPECT_EQ(fdb.size(), kStable);
}

}  // namespace
}  // namespace vgw::dataplane::testing
