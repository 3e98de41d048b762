#include "api/dispatcher.h"

#include <exception>
#include <string>

#include <fmt/format.h>

#include "api/protocol.h"
#include "common/addr.h"
#include "config/yaml.h"

namespace vgw::api {

namespace {

// A string member of a request object, or nullptr when absent or not a string.
const std::string* string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// Reads the network reference, MAC and remote of entries[i]; `want` says which
// of "mac" and "remote" are required. Errors name entries[i].<field>.
struct EntryFields {
  control::NetworkRef network;
  MacAddress mac;
  IpAddress remote;
};

Result<EntryFields> parse_entry(const nlohmann::json& e, size_t i, bool need_mac, bool need_remote,
                                bool allow_mac) {
  auto field = [i](std::string_view f) { return fmt::format("entries[{}].{}", i, f); };
  if (!e.is_object()) return make_error(fmt::format("entries[{}]: must be an object", i));
  EntryFields out;
  bool has_mac = false, has_remote = false;
  for (const auto& [key, value] : e.items()) {
    if (key == "network") {
      if (!value.is_string() || value.get_ref<const std::string&>().empty())
        return make_error(field("network") + ": must be a non-empty string");
      out.network.name = value.get<std::string>();
    } else if (key == "vni") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > int64_t{config::kMaxVni})
        return make_error(
            fmt::format("{}: {} is not in 1..{}", field("vni"), value.dump(), config::kMaxVni));
      out.network.vni = value.get<uint32_t>();
    } else if (key == "mac" && allow_mac) {
      auto m =
          value.is_string() ? MacAddress::parse(value.get_ref<const std::string&>()) : std::nullopt;
      if (!m) return make_error(field("mac") + ": " + value.dump() + " is not a MAC address");
      out.mac = *m;
      has_mac = true;
    } else if (key == "remote") {
      auto a =
          value.is_string() ? IpAddress::parse(value.get_ref<const std::string&>()) : std::nullopt;
      if (!a) return make_error(field("remote") + ": " + value.dump() + " is not an IP address");
      out.remote = *a;
      has_remote = true;
    } else {
      return make_error(field(key) + ": unknown field");
    }
  }
  if (out.network.name.empty() && out.network.vni == 0)
    return make_error(field("network") + ": missing (give network or vni)");
  if (!out.network.name.empty() && out.network.vni != 0)
    return make_error(field("vni") + ": give network or vni, not both");
  if (need_mac && !has_mac) return make_error(field("mac") + ": missing");
  if (need_remote && !has_remote) return make_error(field("remote") + ": missing");
  return out;
}

nlohmann::json bulk_json(const control::BulkResult& r) {
  return {{"added", r.added},     {"replaced", r.replaced}, {"unchanged", r.unchanged},
          {"removed", r.removed}, {"absent", r.absent},     {"not_owned", r.not_owned}};
}

}  // namespace

nlohmann::json Dispatcher::controller(std::string_view cmd, const nlohmann::json& entries) {
  if (!entries.is_array()) return error_response("entries: must be a JSON array");
  const bool macs = cmd == "fdb_add" || cmd == "fdb_remove";
  const bool add = cmd == "fdb_add" || cmd == "flood_add";
  const control::Owner api_owner{control::Origin::kApi, ""};
  Result<control::BulkResult> r = control::BulkResult{};
  if (macs) {
    std::vector<control::RemoteMac> list;
    list.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      auto e = parse_entry(entries[i], i, true, add, true);
      if (!e) return error_response(e.error().message);
      list.push_back({std::move(e->network), e->mac, e->remote});
    }
    r = add ? ops_.add_remote_macs(list, api_owner) : ops_.remove_remote_macs(list, api_owner);
  } else {
    std::vector<control::FloodMember> list;
    list.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      auto e = parse_entry(entries[i], i, false, true, false);
      if (!e) return error_response(e.error().message);
      list.push_back({std::move(e->network), e->remote});
    }
    r = add ? ops_.add_flood_members(list, api_owner) : ops_.remove_flood_members(list, api_owner);
  }
  if (!r) return error_response(r.error().message);
  return ok_data(bulk_json(*r));
}

nlohmann::json Dispatcher::show(std::string_view what, const nlohmann::json& args) {
  if (!args.is_null() && !args.is_object()) return error_response("args: must be an object");
  if (what == "evpn") return show_evpn(args);
  if (what == "vteps") return ok_data(ops_.show_vteps());
  if (what == "networks") return ok_data(ops_.show_networks());
  if (what == "counters") return ok_data(ops_.show_counters());
  if (what == "drops") return ok_data(ops_.show_drops());
  if (what == "config") return ok_data(ops_.show_config());
  if (what == "fdb") {
    control::FdbFilter filter;
    if (args.is_object()) {
      for (const auto& [key, value] : args.items()) {
        if (key != "network")
          return error_response("args." + key + ": unknown argument for show fdb");
        if (!value.is_string()) return error_response("args.network: must be a string");
        filter.network = value.get<std::string>();
      }
    }
    auto r = ops_.show_fdb(filter);
    if (!r) return error_response(r.error().message);
    return ok_data(std::move(*r));
  }
  return error_response("what: unknown object '" + std::string(what) +
                        "' (expected vteps, networks, fdb, counters, drops or config)");
}

nlohmann::json Dispatcher::show_evpn(const nlohmann::json& args) {
  std::string view = "peers";
  control::EvpnRouteFilter filter;
  if (args.is_object()) {
    for (const auto& [key, value] : args.items()) {
      if (key == "view") {
        if (!value.is_string()) return error_response("args.view: must be a string");
        view = value.get<std::string>();
      } else if (key == "type") {
        if (!value.is_number_integer() ||
            (value.get<int64_t>() != 2 && value.get<int64_t>() != 3 && value.get<int64_t>() != 5))
          return error_response("args.type: " + value.dump() +
                                " is not an EVPN route type (2, 3, 5)");
        filter.type = static_cast<uint8_t>(value.get<int64_t>());
      } else if (key == "vni") {
        if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
            value.get<int64_t>() > int64_t{config::kMaxVni})
          return error_response("args.vni: " + value.dump() + " is not in 1..16777215");
        filter.vni = value.get<uint32_t>();
      } else {
        return error_response("args." + key + ": unknown argument for show evpn");
      }
    }
  }
  if (view != "peers" && view != "routes")
    return error_response("args.view: '" + view + "' is not peers or routes");
  if (!evpn_) return error_response("evpn: this daemon runs no EVPN speaker");
  return ok_data(view == "peers" ? evpn_->show_peers() : evpn_->show_routes(filter));
}

nlohmann::json Dispatcher::apply(std::string_view yaml) {
  auto cfg = config::parse_yaml(yaml);
  if (!cfg) return error_response(cfg.error().message);
  auto r = ops_.apply(*cfg);
  if (!r) return error_response(r.error().message);
  return ok_changes(*r);
}

nlohmann::json Dispatcher::diff(std::string_view yaml) {
  auto cfg = config::parse_yaml(yaml);
  if (!cfg) return error_response(cfg.error().message);
  auto r = ops_.diff(*cfg);
  if (!r) return error_response(r.error().message);
  return ok_changes(*r);
}

nlohmann::json Dispatcher::handle(const nlohmann::json& request) {
  if (!request.is_object()) return error_response("request: must be a JSON object");
  const std::string* cmd = string_field(request, "cmd");
  if (!cmd) return error_response("cmd: missing or not a string");
  try {
    if (*cmd == "show") {
      const std::string* what = string_field(request, "what");
      if (!what) return error_response("what: missing or not a string");
      auto args = request.find("args");
      return show(*what, args == request.end() ? nlohmann::json() : *args);
    }
    if (*cmd == "apply" || *cmd == "diff") {
      const std::string* text = string_field(request, "config");
      if (!text) return error_response("config: missing or not a string (YAML text)");
      return *cmd == "apply" ? apply(*text) : diff(*text);
    }
    if (*cmd == "fdb_add" || *cmd == "fdb_remove" || *cmd == "flood_add" ||
        *cmd == "flood_remove") {
      auto entries = request.find("entries");
      if (entries == request.end()) return error_response("entries: missing (a JSON array)");
      return controller(*cmd, *entries);
    }
  } catch (const std::exception& e) {
    // Our own bug (the operations return errors as values): answer, keep serving.
    return error_response(std::string("internal error: ") + e.what());
  }
  return error_response(
      "cmd: unknown command '" + *cmd +
      "' (expected show, apply, diff, fdb_add, fdb_remove, flood_add or flood_remove)");
}

std::string Dispatcher::handle_line(std::string_view line) {
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    return serialize(error_response(std::string("malformed JSON request: ") + e.what()));
  }
  return serialize(handle(request));
}

}  // namespace vgw::api
