// /metrics with an EVPN speaker: per-peer state, up/established counts and
// prefixes received, from the `show evpn peers` answer, in valid text format.
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "api/metrics.h"

namespace vgw::api {
namespace {

using nlohmann::json;

// "name{labels}" -> value of every sample; fails on a line that is not a
// comment or a sample, and on a counter not named ..._total.
std::map<std::string, uint64_t> samples(const std::string& text) {
  static const std::regex kType(R"(# TYPE ([a-z_]+) (counter|gauge))");
  static const std::regex kSample(R"(([a-z_]+(\{[^}]*\})?) ([0-9]+))");
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (std::regex_match(line, m, kType)) {
      if (m[2] == "counter") {
        EXPECT_TRUE(m[1].str().ends_with("_total")) << line;
      }
      continue;
    }
    if (std::regex_match(line, m, kSample)) {
      EXPECT_TRUE(out.emplace(m[1], std::stoull(m[3])).second) << "duplicate: " << line;
      continue;
    }
    ADD_FAILURE() << "not text format: " << line;
  }
  return out;
}

json peer(const char* address, const char* state, uint64_t received, uint64_t established) {
  return {{"address", address},
          {"state", state},
          {"routes_received", received},
          {"routes_sent", 3},
          {"established_count", established},
          {"messages", {{"updates_in", 7}, {"updates_out", 5}}}};
}

TEST(MetricsEvpn, PeerStateCountsAndPrefixes) {
  json evpn = {
      {"running", true},
      {"peers", {peer("192.0.2.1", "Established", 12, 1), peer("192.0.2.3", "Active", 0, 2)}}};
  auto s = samples(render_metrics(json::object(), json::array(), json::array(), evpn));
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_state{peer="192.0.2.1"})"), 6u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_state{peer="192.0.2.3"})"), 3u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_up{peer="192.0.2.1"})"), 1u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_up{peer="192.0.2.3"})"), 0u);
  EXPECT_EQ(s.at("vgw_evpn_peers"), 2u);
  EXPECT_EQ(s.at("vgw_evpn_peers_established"), 1u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_prefixes_received{peer="192.0.2.1"})"), 12u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_prefixes_sent{peer="192.0.2.3"})"), 3u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_established_total{peer="192.0.2.3"})"), 2u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_updates_received_total{peer="192.0.2.1"})"), 7u);
  EXPECT_EQ(s.at(R"(vgw_evpn_peer_updates_sent_total{peer="192.0.2.1"})"), 5u);
}

TEST(MetricsEvpn, NoSpeakerNoEvpnFamilies) {
  std::string text = render_metrics(json::object(), json::array(), json::array(), json());
  EXPECT_EQ(text.find("vgw_evpn"), std::string::npos);
  samples(text);
}

}  // namespace
}  // namespace vgw::api
