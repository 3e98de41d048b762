// vgwctl: the command-line client of vgwd (SPEC "Operation").
//   vgwctl [-j] [--socket PATH] show vteps|networks|fdb [--network N]|counters|drops
//   vgwctl [-j] [--socket PATH] show evpn [peers|routes] [--type N] [--vni N]
//   vgwctl [--socket PATH] apply -f FILE
//   vgwctl [--socket PATH] diff -f FILE
// The socket is --socket, else $VGW_SOCKET, else /run/vgw/vgw.sock. Answers go
// to stdout (tables, or JSON with -j); errors go to stderr with exit status 1.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "api/client.h"
#include "api/protocol.h"
#include "cli/format.h"

namespace {

int fail(const std::string& message) {
  std::cerr << "vgwctl: " << message << "\n";
  return 1;
}

// Sends one request; prints the error and returns nullopt-like false on failure.
bool call(const std::string& socket, const nlohmann::json& request, nlohmann::json& response,
          int& status) {
  auto client = vgw::api::Client::connect(socket);
  if (!client) {
    status = fail(client.error().message);
    return false;
  }
  auto r = client->request(request);
  if (!r) {
    status = fail(r.error().message);
    return false;
  }
  response = std::move(*r);
  if (!response.value("ok", false)) {
    status = fail(response.value("error", std::string("request failed")));
    return false;
  }
  return true;
}

bool read_file(const std::string& path, std::string& text, int& status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    status = fail("cannot read " + path);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  text = ss.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vgwctl: control a running vgwd"};
  app.require_subcommand(1);
  bool json_out = false;
  std::string socket;
  if (const char* env = std::getenv("VGW_SOCKET"); env && *env)
    socket = env;
  else
    socket = std::string(vgw::api::kDefaultSocket);
  app.add_flag("-j,--json", json_out, "print answers as JSON");
  app.add_option("-s,--socket", socket,
                 "vgwd's API socket (default $VGW_SOCKET or /run/vgw/vgw.sock)");

  auto* show = app.add_subcommand("show", "show the running state");
  show->require_subcommand(1);
  std::string fdb_network;
  show->add_subcommand("vteps", "the local VTEP and the remote VTEPs");
  show->add_subcommand("networks", "networks, their VNIs and attachments");
  auto* fdb = show->add_subcommand("fdb", "the MAC tables");
  fdb->add_option("-n,--network", fdb_network, "only this network");
  show->add_subcommand("counters", "port, network, remote, worker and FDB counters");
  show->add_subcommand("drops", "dropped packets by reason");
  auto* evpn = show->add_subcommand("evpn", "the BGP-EVPN speaker: peers or routes");
  std::string evpn_view = "peers";
  int evpn_type = 0;
  uint32_t evpn_vni = 0;
  evpn->add_option("view", evpn_view, "peers (default) or routes")
      ->check(CLI::IsMember({"peers", "routes"}));
  evpn->add_option("--type", evpn_type, "only routes of this type (2, 3, 5)")
      ->check(CLI::IsMember({2, 3, 5}));
  evpn->add_option("--vni", evpn_vni, "only routes of this VNI")->check(CLI::Range(1, 16777215));

  std::string file;
  auto* apply = app.add_subcommand("apply", "apply a configuration file as one transaction");
  apply->add_option("-f,--file", file, "the configuration (YAML)")->required();
  auto* diff = app.add_subcommand("diff", "show what applying a configuration file would change");
  diff->add_option("-f,--file", file, "the configuration (YAML)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }

  int status = 0;
  nlohmann::json response;
  if (show->parsed()) {
    std::string what = show->get_subcommands().front()->get_name();
    nlohmann::json req = {{"cmd", "show"}, {"what", what}};
    if (what == "fdb" && !fdb_network.empty()) req["args"] = {{"network", fdb_network}};
    if (what == "evpn") {
      req["args"] = {{"view", evpn_view}};
      if (evpn_type) req["args"]["type"] = evpn_type;
      if (evpn_vni) req["args"]["vni"] = evpn_vni;
    }
    if (!call(socket, req, response, status)) return status;
    const nlohmann::json& data = response["data"];
    if (json_out)
      std::cout << data.dump(2) << "\n";
    else if (what == "evpn")
      std::cout << vgw::cli::format_evpn(evpn_view, data);
    else
      std::cout << vgw::cli::format_show(what, data);
    return 0;
  }

  std::string text;
  if (!read_file(file, text, status)) return status;
  std::string cmd = apply->parsed() ? "apply" : "diff";
  if (!call(socket, {{"cmd", cmd}, {"config", text}}, response, status)) return status;
  const nlohmann::json& changes = response["changes"];
  if (json_out) {
    std::cout << changes.dump(2) << "\n";
  } else if (changes.empty()) {
    std::cout << "no changes\n";
  } else {
    for (const auto& line : changes) std::cout << line.get<std::string>() << "\n";
  }
  return 0;
}
