// vgwd: the vgw daemon (SPEC "The parts", "Operation").
//   vgwd --config FILE [--state-dir DIR] [--workers N] [--log-level L]
// Starts from the configuration last applied (persisted in the state dir) when
// there is one, otherwise from --config. Exit status: 0 after a clean shutdown
// (SIGTERM/SIGINT), 2 when the configuration cannot be applied at start, 1 for
// other start-up failures.
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "api/control_queue.h"
#include "api/dispatcher.h"
#include "api/http_server.h"
#include "api/server.h"
#include "config/load.h"
#include "control/evpn.h"
#include "control/service.h"
#include "control/thread_runner.h"
#include "control_loop.h"
#include "dataplane/dataplane.h"
#include "netlink_underlay.h"
#include "system_ports.h"

namespace {

constexpr int kExitStartFailed = 1;
constexpr int kExitBadConfig = 2;

// Start-up failures: the message alone on stderr, for the operator who ran us.
int fail(int status, const std::string& message) {
  std::fprintf(stderr, "vgwd: %s\n", message.c_str());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vgwd: the vgw VXLAN gateway daemon"};
  std::string config_path;
  std::string state_dir = "/var/lib/vgw";
  uint32_t workers = 0;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path, "configuration file (YAML)")->required();
  app.add_option("--state-dir", state_dir, "where the applied configuration is kept")
      ->capture_default_str();
  app.add_option("--workers", workers,
                 "data-plane worker threads (default: node.workers, else one per core)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|critical")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("vgwd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l thread=%t %v");
  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off")
    return fail(kExitBadConfig, "--log-level: unknown level '" + log_level + "'");
  spdlog::set_level(level);

  // Which configuration: the last applied one wins over --config.
  auto persisted = vgw::control::Service::load_state(state_dir);
  if (!persisted) return fail(kExitBadConfig, persisted.error().message);
  vgw::config::Config cfg;
  if (*persisted) {
    cfg = std::move(**persisted);
    spdlog::info("event=start source=state file={}/{}", state_dir,
                 vgw::control::Service::kStateFile);
  } else {
    auto loaded = vgw::config::load_file(config_path);
    if (!loaded) return fail(kExitBadConfig, loaded.error().message);
    cfg = std::move(*loaded);
    spdlog::info("event=start source=config file={}", config_path);
  }

  // Signals are blocked before any thread starts, so only the signalfd sees them.
  int signal_fd = vgw::daemon::block_signals();
  if (signal_fd < 0) return fail(kExitStartFailed, "cannot set up signal handling");

  auto underlay = vgw::daemon::NetlinkUnderlay::open();
  if (!underlay) return fail(kExitStartFailed, underlay.error().message);
  vgw::daemon::SystemPortFactory ports;
  vgw::dataplane::Dataplane dp;
  vgw::control::ThreadRunner runner;
  vgw::control::ServiceOptions sopts;
  sopts.state_dir = state_dir;
  sopts.workers = workers;
  vgw::control::Service service(dp, ports, **underlay, runner, sopts);

  // The socket first: a second vgwd on the same socket fails before touching any port.
  vgw::api::Dispatcher dispatcher(service);
  auto server = vgw::api::UnixServer::listen(cfg.api.socket, [&dispatcher](std::string_view line) {
    return dispatcher.handle_line(line);
  });
  if (!server) return fail(kExitStartFailed, server.error().message);

  auto applied = service.apply(cfg);
  if (!applied) return fail(kExitBadConfig, applied.error().message);
  spdlog::info("event=configured networks={} ports={} workers={}", cfg.networks.size(),
               cfg.ports.size(), service.worker_count());
  spdlog::info("event=listening socket={}", cfg.api.socket);

  // The HTTP API: served on its own threads, every operation run here on the
  // control thread through the queue.
  vgw::api::ControlQueue control_queue;
  std::unique_ptr<vgw::api::HttpServer> http;
  if (!cfg.api.http.empty()) {
    vgw::api::HttpServer::Options hopts;
    hopts.listen = cfg.api.http;
    hopts.auth = vgw::api::auth_policy(cfg.api);
    auto h = vgw::api::HttpServer::start(
        hopts, dispatcher,
        [&control_queue](const std::function<void()>& fn) { return control_queue.run(fn); });
    if (!h) return fail(kExitStartFailed, h.error().message);
    http = std::move(*h);
    spdlog::info("event=listening http={}", cfg.api.http);
  }
  vgw::daemon::LoopOptions loop;
  loop.extra.push_back({control_queue.fd(), [&control_queue] { control_queue.process(); }});

  // BGP-EVPN: follows the running configuration's evpn section; its sockets and
  // timers run on this thread through its fd.
  vgw::control::EvpnAgent evpn(service, dp, [&service]() -> const vgw::config::Config* {
    return service.configured() ? &service.config() : nullptr;
  });
  if (auto s = evpn.reconcile(); !s)
    spdlog::warn("event=evpn_config error=\"{}\"", s.error().message);
  dispatcher.set_evpn(&evpn);
  service.set_on_applied([&evpn] { evpn.config_applied(); });
  loop.extra.push_back({evpn.fd(), [&evpn] { evpn.poll(); }});

  int signo = vgw::daemon::run_control_loop(service, **underlay, **server, signal_fd, loop);
  spdlog::info("event=stopping signal={}", signo);
  evpn.shutdown();  // Cease/Administrative Shutdown to every neighbor
  service.set_on_applied(nullptr);
  dispatcher.set_evpn(nullptr);
  control_queue.close();  // HTTP handlers waiting on the control thread give up
  if (http) http->stop();
  service.shutdown();
  server->reset();  // removes the socket file
  ::close(signal_fd);
  spdlog::info("event=stopped");
  return 0;
}
