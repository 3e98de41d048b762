// vgwctl's human output: the JSON answers of the API (notes/CONTRACTS.md) as
// aligned tables, the way iproute2 and FRR print them. `-j` bypasses this.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vgw::cli {

// Columns padded to their widest cell, two spaces apart, header first.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// The table (or text) for `show <what>`; data is the "data" member of the answer.
std::string format_show(std::string_view what, const nlohmann::json& data);
// `show evpn peers|routes` (view "peers" or "routes").
std::string format_evpn(std::string_view view, const nlohmann::json& data);
// `trace`: data is {"packets":[...]} (control/trace.h), at most `count` packets
// printed, stage by stage (VPP's `show trace`).
std::string format_trace(const nlohmann::json& data, size_t count);
// `check`: data is the checker's answer (control/check.h).
std::string format_check(const nlohmann::json& data);
// The bulk controller answer {"added":N,...} as one line.
std::string format_bulk(const nlohmann::json& data);
// Entries of `vgwctl fdb|flood add|remove -f FILE`: the file is a JSON array of
// API entries, or lines "NETWORK|VNI MAC REMOTE" (fdb add), "NETWORK|VNI MAC
// [REMOTE]" (fdb remove: the add file works), "NETWORK|VNI REMOTE" (flood); '#'
// starts a comment. Errors name the line.
struct ParsedEntries {
  nlohmann::json entries;
  std::string error;  // empty: ok
};
ParsedEntries parse_entries(std::string_view text, bool fdb, bool add);

}  // namespace vgw::cli
