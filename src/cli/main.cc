// vgwctl: the command-line client of vgwd (SPEC "Operation").
//   vgwctl [-j] [--socket PATH] show vteps|networks|fdb [--network N]|counters|drops|config
//   vgwctl [-j] [--socket PATH] show routes|arp [--tenant T] [--network N]
//   vgwctl [-j] [--socket PATH] show evpn [peers|routes] [--type N] [--vni N]
//   vgwctl [--socket PATH] apply -f FILE
//   vgwctl [--socket PATH] diff -f FILE
//   vgwctl [-j] trace [--count N] [--port P|underlay] [--timeout S]
//   vgwctl [-j] check            (exit status 2 when it finds something)
//   vgwctl capture --port P|underlay | --network N [--count N] [--timeout S] -w FILE
//     (vgwd copies the frames, vgwctl writes the pcap: see control/capture.cc)
//   vgwctl fdb add|remove -f FILE [--owner api|evpn:PEER]
//   vgwctl flood add|remove -f FILE [--owner api|evpn:PEER]
// The socket is --socket, else $VGW_SOCKET, else /run/vgw/vgw.sock. Answers go
// to stdout (tables, or JSON with -j); errors go to stderr with exit status 1.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "api/client.h"
#include "api/protocol.h"
#include "cli/format.h"
#include "packet/pcap.h"

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

// RFC 4648 base64 (the capture's frames); false on a character outside the alphabet.
bool base64_decode(const std::string& in, std::vector<uint8_t>& out) {
  uint32_t v = 0;
  int bits = 0;
  for (char c : in) {
    int d;
    if (c >= 'A' && c <= 'Z')
      d = c - 'A';
    else if (c >= 'a' && c <= 'z')
      d = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      d = c - '0' + 52;
    else if (c == '+')
      d = 62;
    else if (c == '/')
      d = 63;
    else if (c == '=')
      break;
    else
      return false;
    v = v << 6 | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(v >> bits));
    }
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
  std::string router_tenant, router_network;
  for (auto [name, help] : {std::pair{"routes", "the virtual routers' routing tables"},
                            std::pair{"arp", "the routers' neighbour (ARP/ND) tables"}}) {
    auto* sub = show->add_subcommand(name, help);
    sub->add_option("-t,--tenant", router_tenant, "only this tenant");
    sub->add_option("-n,--network", router_network, "only this network");
  }
  show->add_subcommand("counters", "port, network, remote, worker and FDB counters");
  show->add_subcommand("drops", "dropped packets by reason");
  show->add_subcommand("config", "the running configuration (JSON)");
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

  auto* trace = app.add_subcommand("trace", "the next packets' path through the pipeline");
  uint32_t trace_count = 10;
  std::string trace_port;
  double trace_timeout = 10;
  trace->add_option("-c,--count", trace_count, "packets to trace (1..1024, default 10)")
      ->check(CLI::Range(1, 1024));
  trace->add_option("-p,--port", trace_port, "only packets received on this port, or 'underlay'");
  trace->add_option("-t,--timeout", trace_timeout,
                    "seconds to wait for the packets (default 10); prints what came");

  app.add_subcommand("check", "compare configuration, FDB, flood lists and EVPN routes");

  auto* capture = app.add_subcommand("capture", "a pcap of a port's or a network's frames");
  std::string cap_port, cap_network, cap_file;
  uint32_t cap_count = 100;
  double cap_timeout = 10;
  auto* cap_p = capture->add_option("-p,--port", cap_port,
                                    "frames received on this port, or "
                                    "'underlay'");
  auto* cap_n = capture->add_option("-n,--network", cap_network,
                                    "frames of this network (its attachments and its VNI)");
  cap_p->excludes(cap_n);
  capture->add_option("-c,--count", cap_count, "stop after this many frames (default 100)")
      ->check(CLI::Range(1u, 10000000u));
  capture->add_option("-t,--timeout", cap_timeout, "stop after this many seconds (default 10)");
  capture->add_option("-w,--write", cap_file, "the pcap file to write")->required();

  std::string owner;
  std::string entries_file;
  auto bulk_cmd = [&](const char* name, const char* what) {
    auto* c = app.add_subcommand(name, what);
    c->require_subcommand(1);
    for (const char* verb : {"add", "remove"}) {
      auto* v = c->add_subcommand(verb, std::string(verb) + " the entries of a file");
      v->add_option("-f,--file", entries_file,
                    "a JSON array of entries, or one entry per line: NETWORK|VNI MAC REMOTE "
                    "(fdb), NETWORK|VNI REMOTE (flood)")
          ->required();
      v->add_option("--owner", owner, "act as this owner: api (default) or evpn:PEER");
    }
    return c;
  };
  auto* fdb_cmd = bulk_cmd("fdb", "controller API: MAC -> remote VTEP entries in bulk");
  auto* flood_cmd = bulk_cmd("flood", "controller API: flood-list members in bulk");

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
    if (what == "routes" || what == "arp") {
      req["args"] = nlohmann::json::object();
      if (!router_tenant.empty()) req["args"]["tenant"] = router_tenant;
      if (!router_network.empty()) req["args"]["network"] = router_network;
    }
    if (what == "evpn") {
      req["args"] = {{"view", evpn_view}};
      if (evpn_type) req["args"]["type"] = evpn_type;
      if (evpn_vni) req["args"]["vni"] = evpn_vni;
    }
    if (!call(socket, req, response, status)) return status;
    const nlohmann::json& data = response["data"];
    if (json_out || what == "config")
      std::cout << data.dump(2) << "\n";
    else if (what == "evpn")
      std::cout << vgw::cli::format_evpn(evpn_view, data);
    else
      std::cout << vgw::cli::format_show(what, data);
    return 0;
  }

  if (trace->parsed()) {
    nlohmann::json start = {{"cmd", "trace"}, {"action", "start"}, {"count", trace_count}};
    if (!trace_port.empty()) start["port"] = trace_port;
    if (!call(socket, start, response, status)) return status;
    // Poll until `count` packets came and their records stopped growing (a
    // flood's encap copies are recorded at the end of the worker's batch).
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(trace_timeout * 1000));
    nlohmann::json data, last;
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!call(socket, {{"cmd", "trace"}, {"action", "read"}}, response, status)) return status;
      data = response["data"];
      const bool enough = data.value("packets", nlohmann::json::array()).size() >= trace_count;
      if ((enough && data == last) || std::chrono::steady_clock::now() >= deadline) break;
      last = data;
    }
    call(socket, {{"cmd", "trace"}, {"action", "stop"}}, response, status);
    auto& packets = data["packets"];
    if (packets.is_array() && packets.size() > trace_count)
      packets.erase(packets.begin() + trace_count, packets.end());
    if (json_out)
      std::cout << data.dump(2) << "\n";
    else
      std::cout << vgw::cli::format_trace(data, trace_count);
    return 0;
  }

  if (capture->parsed()) {
    if (cap_port.empty() && cap_network.empty()) return fail("capture: give --port or --network");
    nlohmann::json start = {{"cmd", "capture"}, {"action", "start"}};
    if (!cap_port.empty()) start["port"] = cap_port;
    if (!cap_network.empty()) start["network"] = cap_network;
    auto writer = vgw::packet::PcapWriter::open(cap_file);
    if (!writer) return fail(writer.error().message);
    if (!call(socket, start, response, status)) return status;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(cap_timeout * 1000));
    uint32_t written = 0;
    nlohmann::json last;
    while (written < cap_count) {
      if (!call(socket, {{"cmd", "capture"}, {"action", "read"}, {"max", 256}}, response, status))
        break;
      last = response["data"];
      for (const auto& f : last["frames"]) {
        if (written == cap_count) break;
        std::vector<uint8_t> bytes;
        if (!base64_decode(f.value("data", std::string()), bytes)) {
          status = fail("capture: vgwd sent a frame that is not base64");
          break;
        }
        auto us = std::chrono::microseconds(f.value("time_ns", uint64_t{0}) / 1000);
        if (auto s = writer->write(bytes, us); !s) {
          status = fail(s.error().message);
          break;
        }
        ++written;
      }
      if (status || std::chrono::steady_clock::now() >= deadline) break;
      if (last["frames"].size() < 256) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    int stop_status = 0;
    call(socket, {{"cmd", "capture"}, {"action", "stop"}}, response, stop_status);
    if (auto s = writer->close(); !s && !status) status = fail(s.error().message);
    if (status) return status;
    nlohmann::json summary = {{"file", cap_file},
                              {"frames", written},
                              {"copied", last.value("copied", 0)},
                              {"overruns", last.value("overruns", 0)}};
    if (json_out)
      std::cout << summary.dump(2) << "\n";
    else
      std::cout << fmt::format(
          "{} frames written to {} (copied by the workers {}, lost to full "
          "rings {})\n",
          written, cap_file, summary["copied"].dump(), summary["overruns"].dump());
    return 0;
  }

  if (app.got_subcommand("check")) {
    if (!call(socket, {{"cmd", "check"}}, response, status)) return status;
    const nlohmann::json& data = response["data"];
    if (json_out)
      std::cout << data.dump(2) << "\n";
    else
      std::cout << vgw::cli::format_check(data);
    return data.value("consistent", false) ? 0 : 2;
  }

  if (fdb_cmd->parsed() || flood_cmd->parsed()) {
    const bool is_fdb = fdb_cmd->parsed();
    auto* c = is_fdb ? fdb_cmd : flood_cmd;
    const bool add = c->get_subcommands().front()->get_name() == "add";
    std::string body;
    if (!read_file(entries_file, body, status)) return status;
    auto parsed = vgw::cli::parse_entries(body, is_fdb, add);
    if (!parsed.error.empty()) return fail(entries_file + ": " + parsed.error);
    nlohmann::json req = {
        {"cmd", std::string(is_fdb ? "fdb" : "flood") + (add ? "_add" : "_remove")},
        {"entries", std::move(parsed.entries)}};
    if (!owner.empty()) req["owner"] = owner;
    if (!call(socket, req, response, status)) return status;
    if (json_out)
      std::cout << response["data"].dump(2) << "\n";
    else
      std::cout << vgw::cli::format_bulk(response["data"]);
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
