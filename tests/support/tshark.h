// Test helper: judge our wire format with Wireshark's dissectors (tshark), which
// nobody here wrote. Header-only.
//
//   VGW_REQUIRE_TSHARK();   // skips the test without tshark; fails instead when CI=true
//   auto rows = vgw::testing::tshark_fields(pcap, {"vxlan.vni", "udp.srcport"},
//                                           vgw::testing::kTsharkChecksumOptions);
//   EXPECT_TRUE(vgw::testing::tshark_problems(pcap).empty());
//
// tshark_fields runs `tshark -r FILE -T fields -E separator=, -e f1 -e f2 ...` and
// returns one row per frame, one cell per field. A field present several times in a
// frame (eth.src of a VXLAN frame: outer then inner) has its occurrences joined with
// '|' (-E aggregator=|); split_occurrences() splits them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vgw::testing {

// Make tshark verify every checksum it knows (off by default in Wireshark).
inline const std::vector<std::string> kTsharkChecksumOptions = {
    "ip.check_checksum:TRUE", "udp.check_checksum:TRUE", "tcp.check_checksum:TRUE"};

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

inline bool tshark_available() {
  static const bool available = std::system("tshark --version >/dev/null 2>&1") == 0;
  return available;
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}

// The occurrences of one field in one frame (see the header comment).
inline std::vector<std::string> split_occurrences(const std::string& cell) {
  if (cell.empty()) return {};
  return split(cell, '|');
}

// Runs tshark with args on the pcap; returns stdout lines. A tshark failure (bad
// field name, unreadable file) is a test failure carrying tshark's stderr.
inline std::vector<std::string> run_tshark(const std::string& pcap,
                                           const std::vector<std::string>& args) {
  std::string err = ::testing::TempDir() + "vgw_tshark_" + std::to_string(::getpid()) + ".err";
  std::string cmd = "tshark -n -r " + shell_quote(pcap);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(err);
  std::string out;
  int status = -1;
  if (std::FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    status = ::pclose(p);
  }
  if (status != 0) {
    std::ifstream in(err);
    std::string msg{std::istreambuf_iterator<char>(in), {}};
    ADD_FAILURE() << "tshark failed (status " << status << "): " << cmd << "\n" << msg;
  }
  std::remove(err.c_str());
  std::vector<std::string> lines = split(out, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// One row per frame (matching display_filter, if given), one cell per field.
inline std::vector<std::vector<std::string>> tshark_fields(
    const std::string& pcap, const std::vector<std::string>& fields,
    const std::vector<std::string>& options = {}, const std::string& display_filter = "") {
  std::vector<std::string> args = {"-T", "fields",       "-E", "separator=,",
                                   "-E", "aggregator=|", "-E", "quote=n"};
  for (const auto& o : options) args.insert(args.end(), {"-o", o});
  if (!display_filter.empty()) args.insert(args.end(), {"-Y", display_filter});
  for (const auto& f : fields) args.insert(args.end(), {"-e", f});
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : run_tshark(pcap, args)) rows.push_back(split(line, ','));
  return rows;
}

// Frames tshark calls malformed or flags with an expert item of error severity
// (bad checksums included, with kTsharkChecksumOptions, which are always applied):
// "frame N: message|message". Empty means tshark found nothing wrong.
inline std::vector<std::string> tshark_problems(const std::string& pcap,
                                                std::vector<std::string> options = {}) {
  options.insert(options.end(), kTsharkChecksumOptions.begin(), kTsharkChecksumOptions.end());
  std::vector<std::string> args = {"-T", "fields", "-E", "separator=\t", "-E", "aggregator=|"};
  for (const auto& o : options) args.insert(args.end(), {"-o", o});
  // PI_ERROR is 0x00800000 in epan/proto.h.
  args.insert(args.end(), {"-Y", "_ws.malformed || _ws.expert.severity >= 0x00800000", "-e",
                           "frame.number", "-e", "_ws.expert.message", "-e", "_ws.malformed"});
  std::vector<std::string> problems;
  for (const auto& line : run_tshark(pcap, args)) {
    auto cells = split(line, '\t');
    std::string msg = "frame " + cells[0] + ":";
    for (size_t i = 1; i < cells.size(); ++i) msg += " " + cells[i];
    problems.push_back(msg);
  }
  return problems;
}

}  // namespace vgw::testing

// Skips the current test when tshark is missing, except under CI=true where a
// missing tshark is a failure (the check must not silently vanish).
#define VGW_REQUIRE_TSHARK()                                                            \
  do {                                                                                  \
    if (!::vgw::testing::tshark_available()) {                                          \
      if (::vgw::testing::running_in_ci()) FAIL() << "tshark is required when CI=true"; \
      GTEST_SKIP() << "tshark not installed";                                           \
    }                                                                                   \
  } while (0)
