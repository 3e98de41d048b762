#include "api/http_server.h"

#include <chrono>
#include <initializer_list>
#include <string_view>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "api/metrics.h"
#include "api/web_assets.h"

namespace vgw::api {

namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";
constexpr std::string_view kPrefix = "/api/v1/";

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(serialize(body), kJson);
}

void send_error(httplib::Response& res, int status, std::string_view message) {
  send_json(res, status, {{"error", std::string(message)}});
}

// Compares without an early exit, so timing does not reveal the token.
bool same_token(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  auto a = IpAddress::parse(host);
  if (!a) return false;
  if (!a->v6) return a->b[0] == 127;
  for (size_t i = 0; i < 15; ++i)
    if (a->b[i] != 0) return false;
  return a->b[15] == 1;
}

// The paths that exist, for 405 (wrong method) versus 404 (no such path).
bool known_path(const std::string& path) {
  if (find_web_asset(path)) return true;
  for (std::string_view p :
       {"/metrics", "/api/v1/vteps", "/api/v1/networks", "/api/v1/fdb", "/api/v1/counters",
        "/api/v1/drops", "/api/v1/config", "/api/v1/config/diff", "/api/v1/flood", "/api/v1/routes",
        "/api/v1/arp", "/api/v1/trace", "/api/v1/check", "/api/v1/evpn/peers",
        "/api/v1/evpn/routes"})
    if (path == p) return true;
  return false;
}

}  // namespace

AuthPolicy auth_policy(const config::Api& api) {
  AuthPolicy p;
  p.token = api.token;
  auto listen = parse_listen(api.http);
  p.require_token = !api.token.empty() || !listen || !is_loopback_host(listen->host);
  return p;
}

Result<ListenAddress> parse_listen(const std::string& http) {
  ListenAddress out;
  std::string port;
  if (!http.empty() && http[0] == '[') {
    auto close = http.find(']');
    if (close == std::string::npos || close + 1 >= http.size() || http[close + 1] != ':')
      return make_error(fmt::format("api.http: '{}' is not host:port (IPv6 as [addr]:port)", http));
    out.host = http.substr(1, close - 1);
    port = http.substr(close + 2);
  } else {
    auto colon = http.rfind(':');
    if (colon == std::string::npos || colon == 0 || http.find(':') != colon)
      return make_error(fmt::format("api.http: '{}' is not host:port (IPv6 as [addr]:port)", http));
    out.host = http.substr(0, colon);
    port = http.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    return make_error(fmt::format("api.http: '{}' is not a port number 0..65535", port));
  out.port = static_cast<uint16_t>(std::stoul(port));
  return out;
}

HttpServer::HttpServer(Options options, Dispatcher& dispatcher, Executor executor)
    : opts_(std::move(options)),
      dispatcher_(dispatcher),
      executor_(std::move(executor)),
      server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(Options options, Dispatcher& dispatcher,
                                                      Executor executor) {
  auto where = parse_listen(options.listen);
  if (!where) return where.error();
  std::unique_ptr<HttpServer> s(
      new HttpServer(std::move(options), dispatcher, std::move(executor)));
  s->routes();
  httplib::Server& srv = *s->server_;
  srv.set_payload_max_length(s->opts_.max_body_bytes);
  srv.set_tcp_nodelay(true);
  if (where->port == 0) {
    int port = srv.bind_to_any_port(where->host);
    if (port <= 0)
      return make_error(fmt::format("api.http: cannot listen on {}: bind failed", s->opts_.listen));
    s->port_ = static_cast<uint16_t>(port);
  } else {
    if (!srv.bind_to_port(where->host, where->port))
      return make_error(fmt::format("api.http: cannot listen on {} (address in use, or not ours)",
                                    s->opts_.listen));
    s->port_ = where->port;
  }
  s->thread_ = std::thread([&srv] { srv.listen_after_bind(); });
  // stop() only closes a server that is running: wait for it to be.
  while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return s;
}

void HttpServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void HttpServer::routes() {
  using httplib::Request;
  using httplib::Response;
  httplib::Server& srv = *server_;

  // Runs one dispatcher call on the control thread and answers with its result.
  auto answer = [this](Response& res, const std::function<json()>& call) {
    json out;
    if (!executor_([&] { out = call(); })) return send_error(res, 503, "vgwd is shutting down");
    if (!out.value("ok", false))
      return send_error(res, 400, out.value("error", std::string("request failed")));
    if (out.contains("data")) return send_json(res, 200, out["data"]);
    send_json(res, 200, {{"changes", out.value("changes", json::array())}});
  };

  // Changes need the bearer token (AuthPolicy); false when already answered.
  auto authorized = [this](const Request& req, Response& res) {
    if (!opts_.auth.require_token) return true;
    if (opts_.auth.token.empty()) {
      send_error(res, 403,
                 "api.token: not set, so changes over HTTP are refused on a listener beyond "
                 "loopback");
      return false;
    }
    const std::string h = req.get_header_value("Authorization");
    if (h.empty()) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "Authorization: missing (Bearer <api.token> is required for changes)");
      return false;
    }
    constexpr std::string_view kBearer = "Bearer ";
    if (h.size() <= kBearer.size() || h.compare(0, kBearer.size(), kBearer) != 0 ||
        !same_token(std::string_view(h).substr(kBearer.size()), opts_.auth.token)) {
      send_error(res, 403, "Authorization: wrong bearer token");
      return false;
    }
    return true;
  };

  auto no_params = [](const Request& req, Response& res) {
    if (req.params.empty()) return true;
    send_error(res, 400, "query." + req.params.begin()->first + ": unknown parameter");
    return false;
  };

  srv.Get(R"(/api/v1/(vteps|networks|counters|drops|config))",
          [this, answer, no_params](const Request& req, Response& res) {
            if (!no_params(req, res)) return;
            std::string what = req.matches[1];
            answer(res, [&] { return dispatcher_.show(what, json()); });
          });

  srv.Get("/api/v1/fdb", [this, answer](const Request& req, Response& res) {
    json args = json::object();
    for (const auto& [key, value] : req.params) {
      if (key != "network") return send_error(res, 400, "query." + key + ": unknown parameter");
      if (args.contains(key)) return send_error(res, 400, "query.network: given twice");
      args[key] = value;
    }
    answer(res, [&] { return dispatcher_.show("fdb", args); });
  });

  // The routers' tables (issue 3): ?tenant=&network= narrow them.
  srv.Get(R"(/api/v1/(routes|arp))", [this, answer](const Request& req, Response& res) {
    json args = json::object();
    for (const auto& [key, value] : req.params) {
      if (key != "tenant" && key != "network")
        return send_error(res, 400, "query." + key + ": unknown parameter");
      if (args.contains(key)) return send_error(res, 400, "query." + key + ": given twice");
      args[key] = value;
    }
    std::string what = req.matches[1];
    answer(res, [&] { return dispatcher_.show(what, args); });
  });

  srv.Post("/api/v1/config",
           [this, answer, authorized, no_params](const Request& req, Response& res) {
             if (!authorized(req, res) || !no_params(req, res)) return;
             if (req.body.empty())
               return send_error(res, 400, "body: empty (the configuration, YAML or JSON)");
             answer(res, [&] { return dispatcher_.apply(req.body); });
           });

  srv.Post("/api/v1/config/diff",
           [this, answer, authorized, no_params](const Request& req, Response& res) {
             if (!authorized(req, res) || !no_params(req, res)) return;
             if (req.body.empty())
               return send_error(res, 400, "body: empty (the configuration, YAML or JSON)");
             answer(res, [&] { return dispatcher_.diff(req.body); });
           });

  // The controller API: the JSON array is parsed here, off the control thread.
  auto bulk = [this, answer, authorized, no_params](const char* cmd) {
    return [this, answer, authorized, no_params, cmd](const Request& req, Response& res) {
      if (!authorized(req, res) || !no_params(req, res)) return;
      json entries;
      try {
        entries = json::parse(req.body);
      } catch (const json::parse_error& e) {
        return send_error(res, 400, std::string("body: malformed JSON: ") + e.what());
      }
      if (!entries.is_array()) return send_error(res, 400, "body: must be a JSON array of entries");
      answer(res, [&] { return dispatcher_.controller(cmd, entries); });
    };
  };
  srv.Post("/api/v1/fdb", bulk("fdb_add"));
  srv.Delete("/api/v1/fdb", bulk("fdb_remove"));
  srv.Post("/api/v1/flood", bulk("flood_add"));
  srv.Delete("/api/v1/flood", bulk("flood_remove"));

  // Operation (issue 5): the packet trace, the consistency checker, EVPN.
  //   GET /api/v1/trace                       what was traced (control/trace.h)
  //   POST /api/v1/trace {"count":N,"port":P}  start; DELETE /api/v1/trace  stop
  //   GET /api/v1/check                       the checker's findings (control/check.h)
  //   GET /api/v1/evpn/peers, /api/v1/evpn/routes[?type=2|3|5&vni=N]
  srv.Get("/api/v1/trace", [this, answer, no_params](const Request& req, Response& res) {
    if (!no_params(req, res)) return;
    answer(res, [&] { return dispatcher_.trace({{"action", "read"}}); });
  });
  srv.Post("/api/v1/trace",
           [this, answer, authorized, no_params](const Request& req, Response& res) {
             if (!authorized(req, res) || !no_params(req, res)) return;
             json body = json::object();
             if (!req.body.empty()) {
               try {
                 body = json::parse(req.body);
               } catch (const json::parse_error& e) {
                 return send_error(res, 400, std::string("body: malformed JSON: ") + e.what());
               }
               if (!body.is_object() || body.contains("action"))
                 return send_error(res, 400, "body: must be an object {\"count\":N,\"port\":P}");
             }
             body["action"] = "start";
             answer(res, [&] { return dispatcher_.trace(body); });
           });
  srv.Delete("/api/v1/trace",
             [this, answer, authorized, no_params](const Request& req, Response& res) {
               if (!authorized(req, res) || !no_params(req, res)) return;
               answer(res, [&] { return dispatcher_.trace({{"action", "stop"}}); });
             });
  srv.Get("/api/v1/check", [this, answer, no_params](const Request& req, Response& res) {
    if (!no_params(req, res)) return;
    answer(res, [&] { return dispatcher_.check(); });
  });
  srv.Get(R"(/api/v1/evpn/(peers|routes))", [this, answer](const Request& req, Response& res) {
    json args = {{"view", std::string(req.matches[1])}};
    for (const auto& [key, value] : req.params) {
      if (args["view"] != "routes" || (key != "type" && key != "vni"))
        return send_error(res, 400, "query." + key + ": unknown parameter");
      if (value.empty() || value.size() > 9 ||
          value.find_first_not_of("0123456789") != std::string::npos)
        return send_error(res, 400, "query." + key + ": '" + value + "' is not a number");
      args[key] = std::stoul(value);
    }
    answer(res, [&] { return dispatcher_.show("evpn", args); });
  });

  // The web Fabric Manager (api/web_assets.h): "/" and its hashed /assets/*,
  // from inside the binary. Query strings are ignored (cache busting).
  auto page = [](const Request& req, Response& res) {
    const WebAsset* a = find_web_asset(req.path);
    if (!a) return send_error(res, 404, "path: " + req.path + " is not a file of the web page");
    res.set_header("ETag", std::string(a->etag));
    res.set_header("Cache-Control", std::string(web_cache_control(a->path)));
    res.set_header("X-Content-Type-Options", "nosniff");
    if (a->path == "/index.html")
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                     "connect-src 'self'; frame-ancestors 'none'");
    if (etag_matches(req.get_header_value("If-None-Match"), a->etag)) {
      res.status = 304;
      return;
    }
    res.status = 200;
    res.set_content(a->body.data(), a->body.size(), std::string(web_content_type(a->path)));
  };
  srv.Get("/", page);
  srv.Get("/index.html", page);
  srv.Get(R"(/assets/[A-Za-z0-9._-]+)", page);

  srv.Get("/metrics", [this, no_params](const Request& req, Response& res) {
    if (!no_params(req, res)) return;
    json counters, drops, networks, evpn;
    bool ok = executor_([&] {
      counters = dispatcher_.show("counters", json());
      drops = dispatcher_.show("drops", json());
      networks = dispatcher_.show("networks", json());
      evpn = dispatcher_.show("evpn", {{"view", "peers"}});
    });
    if (!ok) return send_error(res, 503, "vgwd is shutting down");
    res.status = 200;
    res.set_content(render_metrics(counters.value("data", json()), drops.value("data", json()),
                                   networks.value("data", json()), evpn.value("data", json())),
                    std::string(kMetricsContentType));
  });

  // Errors httplib produced itself (no route, body too large) get a JSON body.
  srv.set_error_handler([this](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && known_path(req.path)) {
      res.status = 405;
      return send_error(res, 405, "method: " + req.method + " is not allowed on " + req.path);
    }
    if (res.status == 404)
      return send_error(res, 404,
                        "path: " + req.path + " is not an API path (see /api/v1/..., /metrics)");
    if (res.status == 413)
      return send_error(
          res, 413, fmt::format("body: larger than the limit of {} bytes", opts_.max_body_bytes));
    send_error(res, res.status, fmt::format("request: HTTP error {}", res.status));
  });

  srv.set_exception_handler([](const Request& req, Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("http: {} {}: internal error: {}", req.method, req.path, what);
    send_error(res, 500, "internal error: " + what);
  });
}

}  // namespace vgw::api
