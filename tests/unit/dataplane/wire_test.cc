// Our encapsulation judged by a dissector nobody here wrote (tshark), and the
// worker thread running for real while the control thread republishes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "harness.h"
#include "packet/pcap.h"
#include "support/tshark.h"

namespace vgw::dataplane::testing {
namespace {

TEST(Wire, TsharkDissectsOurEncapsulation) {
  VGW_REQUIRE_TSHARK();
  auto cfg = base_config();
  cfg.vtep.df = true;
  Harness h(cfg);
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  for (uint16_t i = 0; i < 4; ++i) h.mem[0]->inject(inner_frame(kH2, kH1, 1000 + i));
  h.run();
  h.send_local(0, inner_frame(kBroadcast, kH1));  // flood: to p1 and both remotes
  auto frames = h.out_underlay();
  ASSERT_EQ(frames.size(), 6u);
  std::string path = ::testing::TempDir() + "vgw_encap_" + std::to_string(::getpid()) + ".pcap";
  {
    auto w = packet::PcapWriter::open(path);
    ASSERT_TRUE(w) << w.error().message;
    for (auto& f : frames) ASSERT_TRUE(w->write(f));
    ASSERT_TRUE(w->close());
  }
  EXPECT_TRUE(vgw::testing::tshark_problems(path).empty());
  auto rows = vgw::testing::tshark_fields(
      path,
      {"vxlan.vni", "vxlan.flags", "udp.srcport", "udp.dstport", "udp.checksum", "ip.dst",
       "ip.flags.df", "ip.ttl", "eth.src", "eth.dst"},
      vgw::testing::kTsharkChecksumOptions);
  ASSERT_EQ(rows.size(), 6u);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 10u);
    // Outer occurrence first (the inner frame repeats IP/UDP fields).
    std::vector<std::string> r;
    for (size_t k = 0; k < 8; ++k) r.push_back(vgw::testing::split_occurrences(rows[i][k]).at(0));
    r.push_back(rows[i][8]);
    r.push_back(rows[i][9]);
    EXPECT_EQ(r[0], "100");
    EXPECT_EQ(r[1], "0x0800");  // I flag only, reserved bits zero
    int sport = std::stoi(r[2]);
    EXPECT_GE(sport, 49152);
    EXPECT_LE(sport, 65535);
    EXPECT_EQ(r[3], "4789");
    EXPECT_EQ(r[4], "0x0000");
    EXPECT_EQ(r[5], i == 5 ? "192.168.1.3" : "192.168.1.1");
    EXPECT_EQ(r[6], "1");  // tshark prints booleans as 1/0 (or True)
    EXPECT_EQ(r[7], "64");
    auto src = vgw::testing::split_occurrences(r[8]);
    ASSERT_EQ(src.size(), 2u);
    EXPECT_EQ(src[0], kOurMac.to_string());
    EXPECT_EQ(src[1], kH1.to_string());
    auto dst = vgw::testing::split_occurrences(r[9]);
    ASSERT_EQ(dst.size(), 2u);
    EXPECT_EQ(dst[0], kNextHopMac.to_string());
    EXPECT_EQ(dst[1], i >= 4 ? kBroadcast.to_string() : kH2.to_string());
  }
  ::unlink(path.c_str());
}

// One worker thread forwarding while the control thread publishes new
// snapshots and drains learn events: every frame comes out, nothing crashes.
TEST(WorkerThread, ForwardsWhileControlRepublishes) {
  Harness h;
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  constexpr uint64_t kFrames = 20000;
  std::vector<Bytes> frames;
  for (uint16_t i = 0; i < 64; ++i) frames.push_back(inner_frame(kH2, kH1, i));
  h.mem[0]->replay(frames, kFrames);
  std::thread t([&] { h.worker->run(); });
  auto cfg = base_config();
  int applies = 0;
  // At least one republish, even if the worker is done before the loop starts.
  do {
    cfg.networks[1].mac_limit = static_cast<uint32_t>(applies);
    ASSERT_TRUE(h.dp.apply(cfg, resolving_underlay()));
    h.dp.drain_learn();
    ++applies;
  } while (h.dp.read_counters().workers[0].tx_packets < kFrames);
  h.worker->stop();
  t.join();
  h.dp.drain_learn();  // events the worker queued after the last drain
  auto c = h.dp.read_counters();
  EXPECT_EQ(c.underlay.tx_packets, kFrames);
  EXPECT_EQ(c.remotes[h.remote("192.168.1.1")].tx_packets, kFrames);
  EXPECT_GT(applies, 0);
  EXPECT_TRUE(h.fdb("web", kH1));
}

}  // namespace
}  // namespace vgw::dataplane::testing
