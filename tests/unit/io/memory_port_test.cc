// MemoryPort: frames injected come out of receive() as copies in pool buffers;
// sent frames are collected (or only counted) and every buffer goes back to its pool.
#include "io/memory_port.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace vgw::io {
namespace {

std::vector<uint8_t> frame(uint8_t tag, size_t len) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(tag + i);
  return f;
}

TEST(MemoryPort, ReceivesInjectedFramesInOrderAcrossBatches) {
  PacketPool pool(8);
  MemoryPort port("m0");
  port.inject(frame(1, 60));
  port.inject(frame(2, 61));
  port.inject(frame(3, 1514));
  std::array<Packet*, 2> out{};
  ASSERT_EQ(port.receive(pool, out), 2u);
  EXPECT_EQ(std::vector<uint8_t>(out[0]->bytes().begin(), out[0]->bytes().end()), frame(1, 60));
  EXPECT_EQ(std::vector<uint8_t>(out[1]->bytes().begin(), out[1]->bytes().end()), frame(2, 61));
  EXPECT_EQ(out[0]->headroom(), Packet::kHeadroom);
  out[0]->release();
  out[1]->release();
  ASSERT_EQ(port.receive(pool, out), 1u);
  EXPECT_EQ(out[0]->size(), 1514u);
  out[0]->release();
  EXPECT_EQ(port.receive(pool, out), 0u);
  PortStats s = port.stats();
  EXPECT_EQ(s.rx_packets, 3u);
  EXPECT_EQ(s.rx_bytes, 60u + 61u + 1514u);
  EXPECT_EQ(pool.available(), 8u);
}

TEST(MemoryPort, EmptyPoolLeavesFramesQueuedAndOversizeIsACountedDrop) {
  PacketPool pool(1);
  MemoryPort port("m0");
  port.inject(frame(0, Packet::kDataRoom + 1));
  port.inject(frame(1, 100));
  port.inject(frame(2, 100));
  std::array<Packet*, 4> out{};
  ASSERT_EQ(port.receive(pool, out), 1u);  // oversize dropped, then one buffer only
  EXPECT_EQ(out[0]->data()[0], 1);
  EXPECT_EQ(port.pending(), 1u);
  out[0]->release();
  ASSERT_EQ(port.receive(pool, out), 1u);
  EXPECT_EQ(out[0]->data()[0], 2);
  out[0]->release();
  EXPECT_EQ(port.stats().rx_dropped, 1u);
  EXPECT_EQ(port.stats().rx_packets, 2u);
}

TEST(MemoryPort, CollectsSentFramesWithMetaAndReleasesBuffers) {
  PacketPool pool(4);
  MemoryPort port("m1");
  std::array<Packet*, 2> pkts{pool.alloc(), pool.alloc()};
  ASSERT_TRUE(pkts[0]->assign(frame(9, 64)));
  ASSERT_TRUE(pkts[1]->assign(frame(7, 70)));
  pkts[1]->meta.out_port = 3;
  EXPECT_EQ(port.send(pkts), 2u);
  EXPECT_EQ(pool.available(), 4u);
  ASSERT_EQ(port.sent().size(), 2u);
  EXPECT_EQ(port.sent()[0], frame(9, 64));
  EXPECT_EQ(port.sent()[1], frame(7, 70));
  EXPECT_EQ(port.sent_meta()[1].out_port, 3u);
  auto taken = port.take_sent();
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_TRUE(port.sent().empty());
  EXPECT_EQ(port.stats().tx_packets, 2u);
  EXPECT_EQ(port.stats().tx_bytes, 134u);
}

TEST(MemoryPort, CountModeKeepsNothing) {
  PacketPool pool(2);
  MemoryPort port("bench", MemoryPort::TxMode::kCount);
  std::array<Packet*, 2> pkts{pool.alloc(), pool.alloc()};
  ASSERT_TRUE(pkts[0]->assign(frame(0, 64)));
  ASSERT_TRUE(pkts[1]->assign(frame(0, 64)));
  EXPECT_EQ(port.send(pkts), 2u);
  EXPECT_TRUE(port.sent().empty());
  EXPECT_EQ(pool.available(), 2u);
  EXPECT_EQ(port.stats().tx_bytes, 128u);
}

TEST(MemoryPort, ReplayCyclesThroughFramesUpToTheCount) {
  PacketPool pool(16);
  MemoryPort port("bench");
  port.replay({frame(1, 64), frame(2, 64), frame(3, 64)}, 7);
  std::array<Packet*, 16> out{};
  ASSERT_EQ(port.receive(pool, out), 7u);
  const uint8_t want[7] = {1, 2, 3, 1, 2, 3, 1};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(out[i]->data()[0], want[i]);
    out[i]->release();
  }
  EXPECT_EQ(port.receive(pool, out), 0u);
  EXPECT_EQ(port.pending(), 0u);
}

}  // namespace
}  // namespace vgw::io
