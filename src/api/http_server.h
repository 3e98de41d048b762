// The HTTP JSON API and Prometheus /metrics (SPEC "Operation"), on api.http
// (127.0.0.1:8080 by default, "" = off). cpp-httplib serves it on its own
// threads, but every operation runs on the control thread: handlers go through
// the same api::Dispatcher as the unix socket (one handler per operation, no
// second path), posted to the control loop by an Executor (ControlQueue::run
// in vgwd). Bodies are parsed and answers serialised on the HTTP threads.
//
//   GET    /api/v1/vteps|networks|counters|drops|config   the `show` data
//   GET    /api/v1/fdb[?network=NAME]
//   POST   /api/v1/config        body: the configuration (YAML, or JSON, which is
//                                YAML) -> the transactional apply of `vgwctl apply`
//   POST   /api/v1/config/diff   the change lines, nothing applied
//   POST   /api/v1/fdb           [{"network"|"vni","mac","remote"}, ...] (controller API)
//   DELETE /api/v1/fdb           [{"network"|"vni","mac"}, ...]
//   POST   /api/v1/flood         [{"network"|"vni","remote"}, ...]
//   DELETE /api/v1/flood         [{"network"|"vni","remote"}, ...]
//   GET    /metrics              text exposition format 0.0.4 (api/metrics.h)
//   GET    /api/v1/trace         the packet trace (control/trace.h); POST {"count","port"}
//                                starts it, DELETE stops it
//   GET    /api/v1/check         the consistency checker's findings (control/check.h)
//   GET    /api/v1/evpn/peers|routes[?type=&vni=]   `show evpn`
//   GET    /, /assets/*          the web Fabric Manager, embedded (api/web_assets.h)
// Answers: 200 with the data (the same JSON `vgwctl -j` prints; {"changes":[..]}
// for config; the bulk counts for fdb/flood); errors are {"error":"..."} naming
// the field: 400 invalid input (nothing changed), 401 token missing, 403 token
// wrong, 404 unknown path, 405 wrong method, 413 body too large, 503 shutting down.
// Changes (POST/DELETE) need "Authorization: Bearer <api.token>" when the
// listener is not loopback, and whenever a token is configured; reads never do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "api/dispatcher.h"
#include "api/protocol.h"
#include "common/result.h"
#include "config/config.h"

namespace httplib {
class Server;
}

namespace vgw::api {

// Who may change state.
struct AuthPolicy {
  bool require_token = false;
  std::string token;  // empty with require_token: every change is refused
};
// From the configuration: the token is required when api.http is not loopback
// or a token is set. Reads never need it.
AuthPolicy auth_policy(const config::Api& api);

// Splits "host:port" / "[v6]:port" / "localhost:port"; errors name api.http.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;  // 0: an ephemeral port (tests)
};
Result<ListenAddress> parse_listen(const std::string& http);

// Runs fn on the control thread and returns once it ran; false when it could
// not (shutting down).
using Executor = std::function<bool(const std::function<void()>& fn)>;

class HttpServer {
 public:
  struct Options {
    std::string listen = "127.0.0.1:8080";
    AuthPolicy auth;
    size_t max_body_bytes = kMaxRequestBytes;
  };

  // Binds and starts serving on background threads. Errors name api.http.
  static Result<std::unique_ptr<HttpServer>> start(Options options, Dispatcher& dispatcher,
                                                   Executor executor);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when asked for port 0).
  uint16_t port() const { return port_; }
  // Stops accepting and waits for the serving threads. Close the Executor's
  // queue first, so no handler waits on a control thread that stopped.
  void stop();

 private:
  HttpServer(Options options, Dispatcher& dispatcher, Executor executor);
  void routes();

  Options opts_;
  Dispatcher& dispatcher_;
  Executor executor_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace vgw::api
