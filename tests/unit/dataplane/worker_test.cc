// Worker (worker.h): frames a port lost before the pipeline saw them (the
// kernel's ring drops, no buffer, too large) reach the port's rx_dropped counter
// that `show counters` reads, counted once however often they are published.
#include <gtest/gtest.h>

#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

TEST(Worker, PortDropsArePublishedOnceAsRxDropped) {
  Harness h;
  const Bytes too_large(Packet::kDataRoom + 1, 0x5a);
  h.mem[0]->inject(too_large);
  h.mem[0]->inject(too_large);
  h.underlay->inject(too_large);
  h.send_local(0, inner_frame(kBroadcast, kH1));
  EXPECT_EQ(h.mem[0]->stats().rx_dropped, 2u);
  EXPECT_EQ(h.dp.read_counters().ports[0].rx_dropped, 0u);  // not yet published

  h.worker->publish_port_drops();
  h.worker->publish_port_drops();
  auto c = h.dp.read_counters();
  EXPECT_EQ(c.ports[0].rx_dropped, 2u);
  EXPECT_EQ(c.ports[0].rx_packets, 1u);
  EXPECT_EQ(c.ports[1].rx_dropped, 0u);
  EXPECT_EQ(c.underlay.rx_dropped, 1u);

  h.send_local(0, too_large);
  h.worker->publish_port_drops();
  EXPECT_EQ(h.dp.read_counters().ports[0].rx_dropped, 3u);
}

}  // namespace
}  // namespace vgw::dataplane::testing
