// PacketPool: the single-packet and bulk paths hand out and take back the same
// buffers, and release_all returns packets of several pools each to its own.
#include <gtest/gtest.h>

#include <vector>

#include "packet/packet_buffer.h"

namespace vgw {
namespace {

TEST(PacketPool, GetBulkTakesTheBuffersAllocWould) {
  PacketPool a(8), b(8);
  std::vector<Packet*> one;
  for (int i = 0; i < 5; ++i) one.push_back(a.alloc());
  size_t got = 0;
  Packet* const* bulk = b.get_bulk(5, got);
  ASSERT_EQ(got, 5u);
  EXPECT_EQ(b.available(), 3u);
  // The top of the free stack, as it lies (alloc() pops it from the end):
  // pool b's bulk[got - 1 - i] sits where pool a's i-th alloc() does.
  for (size_t i = 0; i < got; ++i) {
    EXPECT_EQ(bulk[got - 1 - i] - bulk[got - 1], one[i] - one[0]) << i;
    EXPECT_EQ(bulk[i]->pool(), &b);
  }
}

TEST(PacketPool, GetBulkStopsAtWhatIsLeft) {
  PacketPool pool(4);
  Packet* kept = pool.alloc();
  size_t got = 0;
  Packet* const* bulk = pool.get_bulk(10, got);
  ASSERT_EQ(got, 3u);
  EXPECT_EQ(pool.available(), 0u);
  for (size_t i = 0; i < got; ++i) EXPECT_NE(bulk[i], kept);
  pool.get_bulk(1, got);
  EXPECT_EQ(got, 0u);
  EXPECT_EQ(pool.alloc(), nullptr);
}

TEST(PacketPool, BulkPacketsAreUsableAfterResetAndComeBackWithFreeBulk) {
  PacketPool pool(4);
  size_t got = 0;
  Packet* const* bulk = pool.get_bulk(4, got);
  std::vector<Packet*> pkts(bulk, bulk + got);
  for (Packet* p : pkts) {
    p->reset();
    EXPECT_EQ(p->size(), 0u);
    EXPECT_EQ(p->headroom(), Packet::kHeadroom);
    EXPECT_EQ(p->meta.network, PacketMeta::kNone);
    ASSERT_NE(p->append(64), nullptr);
  }
  pool.free_bulk(pkts.data(), pkts.size());
  EXPECT_EQ(pool.available(), 4u);
  // The last one freed is the next one allocated, reset.
  Packet* p = pool.alloc();
  EXPECT_EQ(p, pkts.back());
  EXPECT_EQ(p->size(), 0u);
}

TEST(PacketPool, ReleaseAllReturnsEachPacketToItsOwnPool) {
  PacketPool a(4), b(4);
  std::vector<Packet*> mixed = {a.alloc(), a.alloc(), b.alloc(), a.alloc(), b.alloc()};
  EXPECT_EQ(a.available(), 1u);
  EXPECT_EQ(b.available(), 2u);
  release_all(mixed);
  EXPECT_EQ(a.available(), 4u);
  EXPECT_EQ(b.available(), 4u);
  // The pools hold only their own packets: emptying each finds no stranger.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.alloc()->pool(), &a);
    EXPECT_EQ(b.alloc()->pool(), &b);
  }
  EXPECT_EQ(a.alloc(), nullptr);
  EXPECT_EQ(b.alloc(), nullptr);
}

}  // namespace
}  // namespace vgw
