#include "api/dispatcher.h"

#include <exception>
#include <string>

#include <fmt/format.h>

#include "api/protocol.h"
#include "common/addr.h"
#include "config/yaml.h"
#include "control/check.h"

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
  return controller(cmd, entries, nlohmann::json());
}

nlohmann::json Dispatcher::controller(std::string_view cmd, const nlohmann::json& entries,
                                      const nlohmann::json& owner) {
  if (!entries.is_array()) return error_response("entries: must be a JSON array");
  const bool macs = cmd == "fdb_add" || cmd == "fdb_remove";
  const bool add = cmd == "fdb_add" || cmd == "flood_add";
  control::Owner api_owner{control::Origin::kApi, ""};
  if (!owner.is_null()) {
    const std::string o = owner.is_string() ? owner.get<std::string>() : "";
    if (o.rfind("evpn:", 0) == 0 && IpAddress::parse(o.substr(5)))
      api_owner = {control::Origin::kEvpn, IpAddress::parse(o.substr(5))->to_string()};
    else if (o != "api")
      return error_response("owner: " + owner.dump() +
                            " is not \"api\" or \"evpn:<peer address>\"");
  }
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
  if (what == "routes" || what == "arp") return show_router(what, args);
  return error_response(
      "what: unknown object '" + std::string(what) +
      "' (expected vteps, networks, fdb, routes, arp, counters, drops or config)");
}

nlohmann::json Dispatcher::show_router(std::string_view what, const nlohmann::json& args) {
  control::RouterFilter filter;
  if (args.is_object()) {
    for (const auto& [key, value] : args.items()) {
      if (key != "tenant" && key != "network")
        return error_response("args." + key + ": unknown argument for show " + std::string(what));
      if (!value.is_string()) return error_response("args." + key + ": must be a string");
      (key == "tenant" ? filter.tenant : filter.network) = value.get<std::string>();
    }
  }
  auto r = what == "routes" ? ops_.show_routes(filter) : ops_.show_arp(filter);
  if (!r) return error_response(r.error().message);
  return ok_data(std::move(*r));
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

nlohmann::json Dispatcher::trace(const nlohmann::json& request) {
  std::string action = "read";
  uint32_t count = 10;
  std::string port;
  for (const auto& [key, value] : request.items()) {
    if (key == "cmd") continue;
    if (key == "action") {
      if (!value.is_string() || (value != "start" && value != "read" && value != "stop"))
        return error_response("action: " + value.dump() + " is not start, read or stop");
      action = value.get<std::string>();
    } else if (key == "count") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1024)
        return error_response("count: " + value.dump() + " is not in 1..1024");
      count = value.get<uint32_t>();
    } else if (key == "port") {
      if (!value.is_string()) return error_response("port: must be a string");
      port = value.get<std::string>();
    } else {
      return error_response(key + ": unknown field for trace");
    }
  }
  if (action == "read") return ok_data(ops_.read_trace());
  Status s = ops_.start_trace(action == "stop" ? 0 : count, port);
  if (!s) return error_response(s.error().message);
  return ok_data({{"tracing", action == "stop" ? 0 : count},
                  {"port", port.empty() ? nlohmann::json(nullptr) : nlohmann::json(port)}});
}

nlohmann::json Dispatcher::capture(const nlohmann::json& request) {
  std::string action = "read";
  control::CaptureRequest req;
  size_t max = 256;
  for (const auto& [key, value] : request.items()) {
    if (key == "cmd") continue;
    if (key == "action") {
      if (!value.is_string() || (value != "start" && value != "read" && value != "stop"))
        return error_response("action: " + value.dump() + " is not start, read or stop");
      action = value.get<std::string>();
    } else if (key == "port" || key == "network") {
      if (!value.is_string() || value.get_ref<const std::string&>().empty())
        return error_response(key + ": must be a non-empty string");
      (key == "port" ? req.port : req.network) = value.get<std::string>();
    } else if (key == "snaplen" || key == "max") {
      if (!value.is_number_unsigned() || value.get<uint64_t>() > 65535)
        return error_response(key + ": " + value.dump() + " is not in 1..65535");
      if (key == "max")
        max = value.get<size_t>();
      else
        req.snaplen = value.get<uint32_t>();
    } else {
      return error_response(key + ": unknown field for capture");
    }
  }
  if (action == "read") return ok_data(ops_.read_capture(max));
  if (action == "stop") {
    ops_.stop_capture();
    return ok_data({{"active", false}});
  }
  Status s = ops_.start_capture(req);
  if (!s) return error_response(s.error().message);
  return ok_data({{"active", true}});
}

nlohmann::json Dispatcher::check() {
  control::CheckInput in;
  in.config = ops_.show_config();
  in.networks = ops_.show_networks();
  in.vteps = ops_.show_vteps();
  auto fdb = ops_.show_fdb({});
  if (!fdb) return error_response(fdb.error().message);
  in.fdb = std::move(*fdb);
  if (evpn_) in.evpn_routes = evpn_->show_routes({});
  auto routes = ops_.show_routes({});
  if (!routes) return error_response(routes.error().message);
  in.routes = std::move(*routes);
  auto arp = ops_.show_arp({});
  if (!arp) return error_response(arp.error().message);
  in.arp = std::move(*arp);
  return ok_data(control::check(in));
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
      auto owner = request.find("owner");
      return controller(*cmd, *entries, owner == request.end() ? nlohmann::json() : *owner);
    }
    if (*cmd == "trace") return trace(request);
    if (*cmd == "check") return check();
    if (*cmd == "capture") return capture(request);
  } catch (const std::exception& e) {
    // Our own bug (the operations return errors as values): answer, keep serving.
    return error_response(std::string("internal error: ") + e.what());
  }
  return error_response("cmd: unknown command '" + *cmd +
                        "' (expected show, apply, diff, fdb_add, fdb_remove, flood_add, "
                        "flood_remove, trace, check or capture)");
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
