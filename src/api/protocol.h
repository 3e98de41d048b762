// The local API protocol (notes/CONTRACTS.md): one JSON request per line, one JSON
// response per line, over a unix socket. Requests:
//   {"cmd":"show","what":"vteps|networks|fdb|counters|drops|config","args":{...}}
//   {"cmd":"apply","config":"<yaml text>"}
//   {"cmd":"diff","config":"<yaml text>"}
//   {"cmd":"fdb_add","entries":[{"network":"web"|"vni":100,"mac":"aa:..","remote":"192.0.2.1"}]}
//   {"cmd":"fdb_remove","entries":[{"network":"web"|"vni":100,"mac":"aa:.."}]}
//   {"cmd":"flood_add"|"flood_remove","entries":[{"network":"web"|"vni":100,"remote":"192.0.2.1"}]}
//     -> {"ok":true,"data":{"added":N,"replaced":N,"unchanged":N,"removed":N,"absent":N,
//                           "not_owned":N}}   (the controller API, control/operations.h)
// Responses: {"ok":true,"data":...} for show, {"ok":true,"changes":[...]} for
// apply/diff, {"ok":false,"error":"..."} for anything that failed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vgw::api {

inline constexpr std::string_view kDefaultSocket = "/run/vgw/vgw.sock";
// A whole configuration travels in one request. Over HTTP (reachable from the
// network) 16 MiB, ~100k networks of YAML; over the unix socket (local, mode 0660)
// enough for a million networks (~70 MiB).
inline constexpr size_t kMaxRequestBytes = 16u << 20;
inline constexpr size_t kMaxSocketRequestBytes = 256u << 20;

inline nlohmann::json ok_data(nlohmann::json data) {
  return {{"ok", true}, {"data", std::move(data)}};
}
// An apply or diff answer: the changes, at most kMaxChangesListed of them and then
// one line with how many more (a million networks are not a million lines to print;
// vgwd's log says the same).
inline constexpr size_t kMaxChangesListed = 10000;
inline nlohmann::json ok_changes(const std::vector<std::string>& changes) {
  nlohmann::json list = nlohmann::json::array();
  const size_t n = std::min(changes.size(), kMaxChangesListed);
  for (size_t i = 0; i < n; ++i) list.push_back(changes[i]);
  if (changes.size() > n)
    list.push_back("... and " + std::to_string(changes.size() - n) + " more changes");
  return {{"ok", true}, {"changes", std::move(list)}, {"total_changes", changes.size()}};
}
inline nlohmann::json error_response(std::string_view message) {
  return {{"ok", false}, {"error", std::string(message)}};
}

// One response line without its newline. Invalid UTF-8 in strings is replaced, so
// serialising never throws on data a client sent us.
inline std::string serialize(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vgw::api
