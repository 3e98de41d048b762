// Capture (capture.h): workers copy the frames a filter selects into bounded
// rings, exactly as received; a full ring counts overruns and never blocks.
#include <gtest/gtest.h>

#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

std::vector<Bytes> drain(Dataplane& dp) {
  std::vector<Bytes> out;
  dp.drain_capture(1000, [&](const CaptureRing::Slot& s, std::span<const uint8_t> d) {
    EXPECT_EQ(s.length, d.size());
    EXPECT_GT(s.time_ns, 0u);
    out.emplace_back(d.begin(), d.end());
  });
  return out;
}

TEST(Capture, PortFramesAsReceivedAndForwardingGoesOn) {
  Harness h;
  h.dp.start_capture(CaptureFilter{1, kNone}, 64, 9216);
  Bytes f = tagged(inner_frame(kBroadcast, kH3), 10);
  h.send_local(1, f);
  h.send_local(0, inner_frame(kBroadcast, kH1));  // another port: not captured
  EXPECT_EQ(drain(h.dp), std::vector<Bytes>{f});  // with its VLAN tag, as received
  EXPECT_EQ(h.out(0).size(), 1u);                 // the floods still reached the other attachment
  EXPECT_EQ(h.out(1).size(), 1u);
  auto st = h.dp.capture_stats();
  EXPECT_TRUE(st.active);
  EXPECT_EQ(st.copied, 1u);
  EXPECT_EQ(st.overruns, 0u);
  h.dp.stop_capture();
  h.send_local(1, f);
  EXPECT_TRUE(drain(h.dp).empty());
  EXPECT_FALSE(h.dp.capture_stats().active);
}

TEST(Capture, NetworkTakesItsAttachmentsAndItsVni) {
  Harness h;
  h.dp.start_capture(CaptureFilter{kNone, h.net("web")}, 64, 9216);
  Bytes web_local = inner_frame(kBroadcast, kH1);                      // p0: web
  Bytes web_vxlan = vxlan_frame(inner_frame(kH1, kH2), 100);           // VNI 100: web
  Bytes db_local = inner_frame(kBroadcast, mac("00:00:00:00:04:04"));  // p2: db
  Bytes db_vxlan = vxlan_frame(inner_frame(kH1, kH2), 200);
  h.send_local(0, web_local);
  h.send_local(2, db_local);
  h.send_underlay(db_vxlan);
  h.send_underlay(web_vxlan);
  EXPECT_EQ(drain(h.dp), (std::vector<Bytes>{web_local, web_vxlan}));
}

TEST(Capture, FullRingCountsOverrunsAndCutsToSnaplen) {
  Harness h;
  h.dp.start_capture(CaptureFilter{0, kNone}, 16, 40);
  Bytes f = inner_frame(kBroadcast, kH1, 1000);
  for (int i = 0; i < 20; ++i) h.send_local(0, f);
  auto got = drain(h.dp);
  ASSERT_EQ(got.size(), 16u);
  EXPECT_EQ(got[0], Bytes(f.begin(), f.begin() + 40));
  auto st = h.dp.capture_stats();
  EXPECT_EQ(st.copied, 16u);
  EXPECT_EQ(st.overruns, 4u);
  EXPECT_EQ(h.dp.read_counters().ports[0].rx_packets, 20u);  // forwarding was not held up
}

}  // namespace
}  // namespace vgw::dataplane::testing
