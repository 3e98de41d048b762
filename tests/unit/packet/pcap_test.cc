// pcap writer and reader: exact file bytes for one record, and a round trip.
#include "packet/pcap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "test_util.h"

namespace vgw::packet {
namespace {

std::string temp_path(const char* name) {
  return ::testing::TempDir() + "vgw_pcap_" + std::to_string(::getpid()) + "_" + name + ".pcap";
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Pcap, FileLayout) {
  auto path = temp_path("layout");
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w) << w.error().message;
    const std::vector<uint8_t> frame = {1, 2, 3};
    ASSERT_TRUE(w->write(frame, std::chrono::microseconds(5'000'007)));
    ASSERT_TRUE(w->close());
  }
  auto b = file_bytes(path);
  ASSERT_EQ(b.size(), 24u + 16 + 3);
  // Little-endian host: magic d4 c3 b2 a1, version 2.4, snaplen 65535, linktype 1.
  const std::vector<uint8_t> header = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                       0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
  EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.begin() + 24), header);
  const std::vector<uint8_t> rec = {5, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3};
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 24, b.end()), rec);
  std::remove(path.c_str());
}

TEST(Pcap, RoundTrip) {
  auto path = temp_path("roundtrip");
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 50; ++i)
    frames.push_back(PacketBuilder()
                         .eth(test::mac("02:00:00:00:00:02"), test::mac("02:00:00:00:00:01"))
                         .ipv4(test::ip("10.0.0.1"), test::ip("10.0.0.2"))
                         .udp(static_cast<uint16_t>(1000 + i), 53)
                         .payload(static_cast<size_t>(i * 30))
                         .build());
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w);
    for (size_t i = 0; i < frames.size(); ++i)
      ASSERT_TRUE(w->write(frames[i], std::chrono::microseconds(1'700'000'000'000'000 + i)));
  }  // the destructor closes
  auto recs = read_pcap_records(path);
  ASSERT_TRUE(recs) << recs.error().message;
  ASSERT_EQ(recs->size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ((*recs)[i].data, frames[i]);
    EXPECT_EQ((*recs)[i].original_length, frames[i].size());
    EXPECT_EQ((*recs)[i].timestamp, std::chrono::microseconds(1'700'000'000'000'000 + i));
  }
  auto plain = read_pcap(path);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, frames);
  std::remove(path.c_str());
}

TEST(Pcap, SnaplenCutsButKeepsOriginalLength) {
  auto path = temp_path("snap");
  {
    auto w = PcapWriter::open(path, 10);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write(std::vector<uint8_t>(100, 7), std::chrono::microseconds(0)));
  }
  auto recs = read_pcap_records(path);
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].data.size(), 10u);
  EXPECT_EQ((*recs)[0].original_length, 100u);
  std::remove(path.c_str());
}

TEST(Pcap, ErrorsNameTheFile) {
  auto r = read_pcap("/nonexistent/dir/x.pcap");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent/dir/x.pcap"), std::string::npos);
  auto path = temp_path("bad");
  {
    std::ofstream out(path, std::ios::binary);
    out << "this is not a pcap file at all";
  }
  auto bad = read_pcap(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("magic"), std::string::npos);
  std::remove(path.c_str());
  auto w = PcapWriter::open("/nonexistent/dir/y.pcap");
  EXPECT_FALSE(w);
}

}  // namespace
}  // namespace vgw::packet
