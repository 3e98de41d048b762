#include "api/dispatcher.h"

#include <exception>
#include <string>

#include "api/protocol.h"
#include "config/yaml.h"

namespace vgw::api {

namespace {

// A string member of a request object, or nullptr when absent or not a string.
const std::string* string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

nlohmann::json Dispatcher::show(std::string_view what, const nlohmann::json& args) {
  if (!args.is_null() && !args.is_object()) return error_response("args: must be an object");
  if (what == "vteps") return ok_data(ops_.show_vteps());
  if (what == "networks") return ok_data(ops_.show_networks());
  if (what == "counters") return ok_data(ops_.show_counters());
  if (what == "drops") return ok_data(ops_.show_drops());
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
                        "' (expected vteps, networks, fdb, counters or drops)");
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
  } catch (const std::exception& e) {
    // Our own bug (the operations return errors as values): answer, keep serving.
    return error_response(std::string("internal error: ") + e.what());
  }
  return error_response("cmd: unknown command '" + *cmd + "' (expected show, apply or diff)");
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
