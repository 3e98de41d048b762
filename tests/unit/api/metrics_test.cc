// /metrics parses as Prometheus text format 0.0.4 and carries the numbers of
// the `show` answers it is rendered from.
#include "api/metrics.h"

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace vgw::api {
namespace {

using nlohmann::json;

struct Parsed {
  std::map<std::string, std::string> type;  // family -> counter|gauge
  std::map<std::string, uint64_t> samples;  // "name{labels}" -> value
};

// A strict reader of the text format: HELP and TYPE before a family's samples,
// valid names and label syntax, one sample per line, families not repeated.
Parsed parse(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? ([0-9]+))");
  Parsed p;
  std::istringstream in(text);
  std::string line, help, current;
  std::set<std::string> seen;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      EXPECT_TRUE(seen.insert(m[1]).second) << "family repeated: " << m[1];
      help = m[1];
    } else if (std::regex_match(line, m, kType)) {
      EXPECT_EQ(m[1], help) << "TYPE without its HELP: " << line;
      current = m[1];
      p.type[current] = m[2];
      if (m[2] == "counter") {
        EXPECT_TRUE(current.ends_with("_total")) << current;
      }
    } else if (std::regex_match(line, m, kSample)) {
      EXPECT_EQ(m[1], current) << "sample outside its family: " << line;
      std::string key = line.substr(0, line.rfind(' '));
      EXPECT_TRUE(p.samples.emplace(key, std::stoull(m[7])).second) << "duplicate: " << line;
    } else {
      ADD_FAILURE() << "not text format 0.0.4: " << line;
    }
  }
  return p;
}

TEST(MetricsTest, RendersEveryFamilyFromTheShowAnswers) {
  json counters = {{"ports",
                    {{{"name", "p2"},
                      {"rx_packets", 7},
                      {"rx_bytes", 700},
                      {"tx_packets", 5},
                      {"tx_bytes", 500},
                      {"rx_dropped", 1},
                      {"tx_dropped", 2}}}},
                   {"underlay",
                    {{"rx_packets", 9},
                     {"rx_bytes", 900},
                     {"tx_packets", 8},
                     {"tx_bytes", 800},
                     {"rx_dropped", 0},
                     {"tx_dropped", 0}}},
                   {"networks",
                    {{{"name", "web"},
                      {"vni", 100},
                      {"rx_packets", 3},
                      {"rx_bytes", 300},
                      {"tx_packets", 4},
                      {"tx_bytes", 400}},
                     {{"name", "local"},
                      {"vni", nullptr},
                      {"rx_packets", 0},
                      {"rx_bytes", 0},
                      {"tx_packets", 0},
                      {"tx_bytes", 0}}}},
                   {"remotes",
                    {{{"address", "192.168.1.1"},
                      {"tx_packets", 11},
                      {"tx_bytes", 1100},
                      {"rx_packets", 12},
                      {"rx_bytes", 1200}}}},
                   {"workers", {{{"id", 0}, {"rx_packets", 20}, {"tx_packets", 21}}}},
                   {"fdb",
                    {{"entries", 6},
                     {"learned", 13},
                     {"moves", 2},
                     {"mac_limit_exceeded", 1},
                     {"dup_frozen", 1},
                     {"aged", 4}}}};
  json drops = {{{"reason", "unknown_vni"}, {"count", 3}}, {{"reason", "truncated"}, {"count", 0}}};
  json networks = {{{"name", "web"}, {"fdb_entries", 5}},
                   {{"name", "we\"ird\\"}, {"fdb_entries", 1}}};

  Parsed p = parse(render_metrics(counters, drops, networks));
  auto v = [&](const std::string& k) {
    auto it = p.samples.find(k);
    EXPECT_NE(it, p.samples.end()) << k;
    return it == p.samples.end() ? ~0ull : it->second;
  };
  EXPECT_EQ(v(R"(vgw_port_rx_packets_total{port="p2"})"), 7u);
  EXPECT_EQ(v(R"(vgw_port_rx_bytes_total{port="p2"})"), 700u);
  EXPECT_EQ(v(R"(vgw_port_tx_packets_total{port="p2"})"), 5u);
  EXPECT_EQ(v(R"(vgw_port_tx_bytes_total{port="p2"})"), 500u);
  EXPECT_EQ(v(R"(vgw_port_tx_dropped_total{port="p2"})"), 2u);
  EXPECT_EQ(v("vgw_underlay_rx_packets_total"), 9u);
  EXPECT_EQ(v(R"(vgw_network_tx_bytes_total{network="web",vni="100"})"), 400u);
  EXPECT_EQ(v(R"(vgw_network_rx_packets_total{network="local",vni=""})"), 0u);
  EXPECT_EQ(v(R"(vgw_remote_vtep_rx_bytes_total{remote="192.168.1.1"})"), 1200u);
  EXPECT_EQ(v(R"(vgw_remote_vtep_tx_packets_total{remote="192.168.1.1"})"), 11u);
  EXPECT_EQ(v(R"(vgw_drops_total{reason="unknown_vni"})"), 3u);
  EXPECT_EQ(v(R"(vgw_drops_total{reason="truncated"})"), 0u);
  EXPECT_EQ(v(R"(vgw_worker_rx_packets_total{worker="0"})"), 20u);
  EXPECT_EQ(v(R"(vgw_worker_tx_packets_total{worker="0"})"), 21u);
  EXPECT_EQ(v(R"(vgw_fdb_entries{network="web"})"), 5u);
  EXPECT_EQ(v(R"(vgw_fdb_entries{network="we\"ird\\"})"), 1u) << "label escaped";
  EXPECT_EQ(v("vgw_fdb_entries_all"), 6u);
  EXPECT_EQ(v("vgw_fdb_learned_total"), 13u);
  EXPECT_EQ(v("vgw_fdb_moves_total"), 2u);
  EXPECT_EQ(v("vgw_fdb_aged_total"), 4u);
  EXPECT_EQ(v("vgw_fdb_dup_frozen_total"), 1u);
  EXPECT_EQ(v("vgw_fdb_mac_limit_exceeded_total"), 1u);
  EXPECT_EQ(p.type["vgw_fdb_entries"], "gauge");
  EXPECT_EQ(p.type["vgw_drops_total"], "counter");
  EXPECT_FALSE(p.samples.count(R"(vgw_network_rx_dropped_total{network="web",vni="100"})"));
}

TEST(MetricsTest, EmptyOrMistypedInputStillRendersValidText) {
  Parsed p = parse(render_metrics(json(), json("x"), json::object()));
  EXPECT_EQ(p.samples.at("vgw_fdb_entries_all"), 0u);
  EXPECT_EQ(p.samples.count("vgw_underlay_rx_packets_total"), 0u);
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace vgw::api
