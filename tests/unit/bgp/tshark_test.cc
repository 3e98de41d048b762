// Our BGP encoder judged by Wireshark's BGP dissector (tshark), which nobody here
// wrote: each message goes into a TCP segment to port 179 in a pcap, and the fields
// tshark decodes must be the values we meant.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bgp/message.h"
#include "support/tshark.h"
#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::ip;
using testing::mac;

uint16_t ones_sum(const std::vector<uint8_t>& b, size_t from, size_t to, uint32_t sum = 0) {
  for (size_t i = from; i < to; i += 2)
    sum += static_cast<uint32_t>(b[i] << 8 | (i + 1 < to ? b[i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Ethernet + IPv4 + TCP (192.168.1.1:40000 -> 192.168.1.2:179), checksums correct.
std::vector<uint8_t> tcp_frame(const std::vector<uint8_t>& payload, uint32_t seq) {
  std::vector<uint8_t> f = testing::hex(
      "020000000002 020000000001 0800"
      "45 00 0000 0001 4000 40 06 0000 c0a80101 c0a80102"
      "9c40 00b3 00000000 00000001 50 18 ffff 0000 0000");
  f.insert(f.end(), payload.begin(), payload.end());
  size_t ip_len = f.size() - 14;
  f[16] = static_cast<uint8_t>(ip_len >> 8);
  f[17] = static_cast<uint8_t>(ip_len);
  for (int i = 0; i < 4; ++i) f[38 + i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
  uint16_t c = static_cast<uint16_t>(~ones_sum(f, 14, 34));
  f[24] = static_cast<uint8_t>(c >> 8);
  f[25] = static_cast<uint8_t>(c);
  size_t tcp_len = f.size() - 34;
  uint32_t pseudo = 0xc0a8 + 0x0101 + 0xc0a8 + 0x0102 + 6 + static_cast<uint32_t>(tcp_len);
  c = static_cast<uint16_t>(~ones_sum(f, 34, f.size(), pseudo));
  f[50] = static_cast<uint8_t>(c >> 8);
  f[51] = static_cast<uint8_t>(c);
  return f;
}

void put32(std::FILE* f, uint32_t v) {
  std::fwrite(&v, 4, 1, f);
}  // host order pcap

std::string write_pcap(const std::vector<std::vector<uint8_t>>& messages) {
  std::string path = ::testing::TempDir() + "vgw_bgp_" + std::to_string(::getpid()) + ".pcap";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  put32(f, 0xa1b2c3d4);
  uint16_t ver[2] = {2, 4};
  std::fwrite(ver, 2, 2, f);
  put32(f, 0);
  put32(f, 0);
  put32(f, 65535);
  put32(f, 1);
  uint32_t seq = 1;
  uint32_t t = 0;
  for (const auto& m : messages) {
    auto frame = tcp_frame(m, seq);
    seq += static_cast<uint32_t>(m.size());
    put32(f, 1700000000 + t++);
    put32(f, 0);
    put32(f, static_cast<uint32_t>(frame.size()));
    put32(f, static_cast<uint32_t>(frame.size()));
    std::fwrite(frame.data(), 1, frame.size(), f);
  }
  std::fclose(f);
  return path;
}

std::vector<uint8_t> must(Result<std::vector<uint8_t>> r) {
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : std::vector<uint8_t>{};
}

const RouteDistinguisher kRd = RouteDistinguisher::ipv4(ip("192.168.1.2"), 2);

std::vector<std::vector<uint8_t>> sample_messages() {
  OpenMessage open;
  open.my_as = 4200000001;
  open.hold_time = 9;
  open.bgp_id = ip("192.168.1.1").v4_host();
  open.families = {kL2vpnEvpn};

  UpdateMessage t3;
  t3.attributes.mp_reach = MpReach{kL2vpnEvpn, {ip("192.168.1.1")}, {}, {}};
  t3.attributes.mp_reach->nlri.evpn = {ImetRoute{kRd, 0, ip("192.168.1.1")}};
  t3.attributes.origin = Origin::kIgp;
  t3.attributes.as_path = AsPath{};
  t3.attributes.local_pref = 100;
  t3.attributes.ext_communities = {
      {RouteTarget::as2(65000, 100).to_ext_community(), encapsulation_community()}};
  t3.attributes.pmsi_tunnel = PmsiTunnel::ingress_replication(100, ip("192.168.1.1"));

  UpdateMessage t2 = t3;
  t2.attributes.pmsi_tunnel.reset();
  t2.attributes.mp_reach->nlri.evpn = {
      MacIpRoute{kRd, {}, 0, mac("00:11:22:33:44:55"), ip("10.0.0.1"), 100, 5000}};
  t2.attributes.ext_communities->push_back(mac_mobility_community({true, 7}));
  t2.attributes.ext_communities->push_back(router_mac_community(mac("02:00:5e:00:01:01")));

  UpdateMessage t5 = t3;
  t5.attributes.pmsi_tunnel.reset();
  t5.attributes.mp_reach->nlri.evpn = {
      IpPrefixRoute{kRd, {}, 0, *IpPrefix::parse("10.1.0.0/24"), ip("0.0.0.0"), 5000}};

  return {must(encode_open(open)),
          encode_keepalive(),
          must(encode_update(t3)),
          must(encode_update(t2)),
          must(encode_update(t5)),
          must(encode_update(end_of_rib(kL2vpnEvpn))),
          encode_route_refresh({kL2vpnEvpn, 0}),
          must(encode_notification({err::kCease, err::kAdministrativeShutdown, {}}))};
}

TEST(Tshark, DissectsEveryMessageWithoutComplaint) {
  VGW_REQUIRE_TSHARK();
  std::string pcap = write_pcap(sample_messages());
  EXPECT_TRUE(::vgw::testing::tshark_problems(pcap).empty())
      << ::vgw::testing::tshark_problems(pcap)[0];
  auto rows = ::vgw::testing::tshark_fields(pcap, {"bgp.type"});
  ASSERT_EQ(rows.size(), 8u);
  const char* types[] = {"1", "4", "2", "2", "2", "2", "5", "3"};
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i][0], types[i]) << "frame " << i + 1;
  std::remove(pcap.c_str());
}

TEST(Tshark, FieldValuesAreTheOnesEncoded) {
  VGW_REQUIRE_TSHARK();
  std::string pcap = write_pcap(sample_messages());
  auto rows = ::vgw::testing::tshark_fields(pcap, {"bgp.open.myas",
                                                   "bgp.cap.4as",
                                                   "bgp.open.holdtime",
                                                   "bgp.cap.mp.afi",
                                                   "bgp.cap.mp.safi",
                                                   "bgp.evpn.nlri.rt",
                                                   "bgp.evpn.nlri.rd",
                                                   "bgp.evpn.nlri.mac_addr",
                                                   "bgp.evpn.nlri.ip.addr",
                                                   "bgp.evpn.nlri.mpls_ls1",
                                                   "bgp.evpn.nlri.mpls_ls2",
                                                   "bgp.evpn.nlri.vni",
                                                   "bgp.update.path_attribute.pmsi.tunnel.type",
                                                   "bgp.update.path_attribute.pmsi.ingress_rep_ip",
                                                   "bgp.ext_com.value_as2",
                                                   "bgp.ext_com.value_an4",
                                                   "bgp.ext_com.tunnel_type",
                                                   "bgp.ext_com_evpn.mmac.seq",
                                                   "bgp.ext_com_evpn.esi.router_mac",
                                                   "bgp.evpn.nlri.prefix_len",
                                                   "bgp.evpn.nlri.ipv4.gtw_addr",
                                                   "bgp.notify.major_error",
                                                   "bgp.notify.minor_error_cease",
                                                   "bgp.route_refresh.afi",
                                                   "bgp.route_refresh.safi"});
  ASSERT_EQ(rows.size(), 8u);
  enum {
    kMyAs,
    k4As,
    kHold,
    kMpAfi,
    kMpSafi,
    kRt,
    kRd,
    kMac,
    kIp,
    kLabel1,
    kLabel2,
    kVni,
    kPmsiType,
    kPmsiId,
    kRtAs,
    kRtNum,
    kTunnel,
    kMmSeq,
    kRmac,
    kPlen,
    kGw,
    kMajor,
    kCease,
    kRrAfi,
    kRrSafi
  };
  // OPEN: AS_TRANS in My AS, the real AS in the capability.
  EXPECT_EQ(rows[0][kMyAs], "23456");
  EXPECT_EQ(rows[0][k4As], "4200000001");
  EXPECT_EQ(rows[0][kHold], "9");
  EXPECT_EQ(rows[0][kMpAfi], "25");
  EXPECT_EQ(rows[0][kMpSafi], "70");
  // Type 3 with the PMSI tunnel: ingress replication to the VTEP, VNI 100.
  EXPECT_EQ(rows[2][kRt], "3");
  EXPECT_EQ(rows[2][kRd], "0001c0a801020002");
  EXPECT_EQ(rows[2][kPmsiType], "6");
  EXPECT_EQ(rows[2][kPmsiId], "192.168.1.1");
  EXPECT_EQ(rows[2][kVni], "100");
  EXPECT_EQ(rows[2][kRtAs], "65000");
  EXPECT_EQ(rows[2][kRtNum], "100");
  EXPECT_EQ(rows[2][kTunnel], "8");
  // Type 2: Wireshark reads the label fields as MPLS (20 bits); with VXLAN they hold
  // the 24-bit VNI (RFC 8365 §5.1.3), so it shows VNI >> 4.
  EXPECT_EQ(rows[3][kRt], "2");
  EXPECT_EQ(rows[3][kMac], "00:11:22:33:44:55");
  EXPECT_EQ(rows[3][kIp], "10.0.0.1");
  EXPECT_EQ(rows[3][kLabel1], std::to_string(100 >> 4));
  EXPECT_EQ(rows[3][kLabel2], std::to_string(5000 >> 4));
  EXPECT_EQ(rows[3][kMmSeq], "7");
  EXPECT_EQ(rows[3][kRmac], "02:00:5e:00:01:01");
  // Type 5.
  EXPECT_EQ(rows[4][kRt], "5");
  EXPECT_EQ(rows[4][kPlen], "24");
  EXPECT_EQ(rows[4][kIp], "10.1.0.0");
  EXPECT_EQ(rows[4][kGw], "0.0.0.0");
  EXPECT_EQ(rows[6][kRrAfi], "25");
  EXPECT_EQ(rows[6][kRrSafi], "70");
  EXPECT_EQ(rows[7][kMajor], "6");
  EXPECT_EQ(rows[7][kCease], "2");
  std::remove(pcap.c_str());
}

}  // namespace
}  // namespace vgw::bgp
