// The packet trace (trace.h): the records each stage leaves for a marked packet,
// the port filter of start_trace, and one sequence number per packet (flood
// copies included).
#include <gtest/gtest.h>

#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

std::vector<TraceRecord> of_packet(const std::vector<TraceRecord>& all, uint64_t seq) {
  std::vector<TraceRecord> out;
  for (const auto& r : all)
    if (r.packet == seq) out.push_back(r);
  return out;
}

TEST(TraceStages, UnknownUnicastIsLearnedMissedAndFlooded) {
  Harness h;
  h.dp.start_trace(1);
  h.send_local(0, inner_frame(kH2, kH1));  // web: p0 -> flood p1 vlan 10 + 2 remotes
  auto t = h.dp.read_trace();
  ASSERT_EQ(t.size(), 6u);
  for (const auto& r : t) {
    EXPECT_EQ(r.packet, t[0].packet);  // every copy keeps the packet's number
    EXPECT_EQ(r.in_port, 0u);
    EXPECT_EQ(r.network, h.net("web"));
    EXPECT_EQ(r.worker, 0u);
  }
  EXPECT_EQ(t[0].stage, Stage::kLearn);
  EXPECT_EQ(t[0].decision, Decision::kLearned);
  EXPECT_EQ(t[0].mac, kH1.to_u64());
  EXPECT_EQ(t[1].stage, Stage::kLookup);
  EXPECT_EQ(t[1].decision, Decision::kMiss);
  EXPECT_EQ(t[1].mac, kH2.to_u64());
  EXPECT_EQ(t[2].stage, Stage::kFlood);
  EXPECT_EQ(t[3].stage, Stage::kOutput);
  EXPECT_EQ(t[3].port, 1u);
  EXPECT_EQ(t[4].stage, Stage::kEncap);
  EXPECT_EQ(t[4].remote, h.remote("192.168.1.1"));
  EXPECT_EQ(t[5].stage, Stage::kEncap);
  EXPECT_EQ(t[5].remote, h.remote("192.168.1.3"));
}

TEST(TraceStages, KnownRemoteIsAHitThenEncapsulated) {
  Harness h;
  h.send_underlay(vxlan_frame(inner_frame(kH1, kH2)));  // learns kH2 behind 192.168.1.1
  ASSERT_TRUE(h.fdb("web", kH2));
  h.dp.start_trace(1);
  h.send_local(0, inner_frame(kH2, kH1));
  auto t = h.dp.read_trace();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].stage, Stage::kLearn);
  EXPECT_EQ(t[1].stage, Stage::kLookup);
  EXPECT_EQ(t[1].decision, Decision::kHit);
  EXPECT_EQ(t[2].stage, Stage::kEncap);
  EXPECT_EQ(t[2].decision, Decision::kToUnderlay);
  EXPECT_EQ(t[2].remote, h.remote("192.168.1.1"));
  EXPECT_EQ(t[2].length, 50u + 64u);  // outer headers + the 64-byte inner frame
}

TEST(TraceStages, PortFilterMarksOnlyThatPortsPackets) {
  Harness h;
  h.dp.start_trace(2, kTraceUnderlay);
  h.send_local(0, inner_frame(kBroadcast, kH1));  // not traced: wrong port
  h.send_underlay(vxlan_frame(inner_frame(kH1, kH2)));
  auto t = h.dp.read_trace();
  ASSERT_FALSE(t.empty());
  for (const auto& r : t) {
    EXPECT_EQ(r.in_port, kNone);  // from the underlay
    EXPECT_EQ(r.remote, h.remote("192.168.1.1"));
  }
  auto first = of_packet(t, t[0].packet);
  EXPECT_EQ(first.size(), t.size());
  EXPECT_EQ(first.back().stage, Stage::kOutput);  // kH1 was learned on p0
  EXPECT_EQ(first.back().port, 0u);
  // start_trace(0) stops and clears.
  h.dp.start_trace(0);
  h.send_underlay(vxlan_frame(inner_frame(kH1, kH2)));
  EXPECT_TRUE(h.dp.read_trace().empty());
}

TEST(TraceStages, DropCarriesTheReason) {
  Harness h;
  h.dp.start_trace(1);
  h.send_underlay(vxlan_frame(inner_frame(kH1, kH2), 999));
  auto t = h.dp.read_trace();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].stage, Stage::kDecap);
  EXPECT_EQ(t[0].decision, Decision::kDrop);
  EXPECT_EQ(t[0].drop, Drop::unknown_vni);
}

}  // namespace
}  // namespace vgw::dataplane::testing
