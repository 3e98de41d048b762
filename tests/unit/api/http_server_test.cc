// The HTTP API over real HTTP on 127.0.0.1 (an ephemeral port), in front of a
// real control::Service on in-memory ports. A test thread plays vgwd's control
// loop: it runs what the HTTP threads post to the ControlQueue.
#include "api/http_server.h"

#include <poll.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "api/control_queue.h"
#include "api/dispatcher.h"
#include "config/yaml.h"
#include "control/service.h"
#include "unit/control/fakes.h"

namespace vgw::api {
namespace {

using nlohmann::json;

const char* kBase = R"(
node:
  name: gw1
  workers: 1
ports:
  - name: p1
    io: memory
underlay:
  interface: u1
  io: packet
vtep:
  source: 192.168.1.2
tenants:
  - name: blue
networks:
  - name: web
    tenant: blue
    vni: 100
    remotes: [192.168.1.1]
    attachments:
      - port: p1
  - name: db
    tenant: blue
    vni: 200
)";

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vgw-http-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    resolver_.next_hops["192.168.1.1"] = {true, *MacAddress::parse("aa:bb:cc:dd:ee:ff"),
                                          *MacAddress::parse("02:00:00:00:00:02")};
    dp_ = std::make_unique<dataplane::Dataplane>();
    control::ServiceOptions so;
    so.state_dir = dir_;
    service_ = std::make_unique<control::Service>(*dp_, factory_, resolver_, runner_, so);
    auto cfg = config::parse_yaml(kBase);
    ASSERT_TRUE(cfg) << cfg.error().message;
    ASSERT_TRUE(service_->apply(*cfg));
    dispatcher_ = std::make_unique<Dispatcher>(*service_);
    // From here on only the "control thread" touches the Service.
    control_ = std::thread([this] {
      while (!stop_.load()) {
        pollfd p{queue_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) queue_.process();
      }
    });
  }
  void TearDown() override {
    queue_.close();
    if (server_) server_->stop();
    stop_ = true;
    control_.join();
    server_.reset();
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start(HttpServer::Options o = {}) {
    o.listen = "127.0.0.1:0";
    auto s = HttpServer::start(o, *dispatcher_,
                               [this](const std::function<void()>& fn) { return queue_.run(fn); });
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    ASSERT_NE(server_->port(), 0);
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60, 0);
    c.set_write_timeout(60, 0);
    return c;
  }
  // GET path; expects `status`; the body as JSON.
  json get(const std::string& path, int status = 200) {
    auto c = client();
    auto r = c.Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  struct Reply {
    int status = 0;
    json body;
  };
  Reply send(const std::string& method, const std::string& path, const std::string& body,
             const httplib::Headers& headers = {}, const char* type = "application/json") {
    auto c = client();
    httplib::Result r =
        method == "POST" ? c.Post(path, headers, body, type) : c.Delete(path, headers, body, type);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  json fdb(const std::string& network = "") {
    return get(network.empty() ? "/api/v1/fdb" : "/api/v1/fdb?network=" + network);
  }

  std::string dir_;
  control::testing::MemoryPortFactory factory_;
  control::testing::FakeResolver resolver_;
  control::testing::ManualRunner runner_;
  std::unique_ptr<dataplane::Dataplane> dp_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<Dispatcher> dispatcher_;
  ControlQueue queue_;
  std::atomic<bool> stop_{false};
  std::thread control_;
  std::unique_ptr<HttpServer> server_;
};

// The unix socket's answer for the same request, to compare with HTTP.
json unix_answer(Dispatcher& d, ControlQueue& q, const json& request) {
  json out;
  EXPECT_TRUE(q.run([&] { out = d.handle(request); }));
  return out;
}

TEST_F(HttpApiTest, EveryShowEndpointReturnsTheUnixApiData) {
  start();
  for (const char* what : {"vteps", "networks", "fdb", "counters", "drops", "config"}) {
    json want = unix_answer(*dispatcher_, queue_, {{"cmd", "show"}, {"what", what}});
    ASSERT_TRUE(want["ok"].get<bool>()) << what;
    EXPECT_EQ(get(std::string("/api/v1/") + what), want["data"]) << what;
  }
  json nets = get("/api/v1/networks");
  ASSERT_EQ(nets.size(), 2u);
  EXPECT_EQ(nets[0]["name"], "web");  // in index (configuration) order
  EXPECT_EQ(nets[0]["vni"], 100);
  EXPECT_EQ(get("/api/v1/config")["networks"].size(), 2u);
  EXPECT_EQ(get("/api/v1/vteps")["local"]["source"], "192.168.1.2");
}

TEST_F(HttpApiTest, FdbQueryNarrowsAndRejectsUnknownNetworksAndParameters) {
  start();
  EXPECT_EQ(fdb("web"), json::array());
  EXPECT_EQ(get("/api/v1/fdb?network=nope", 400)["error"], "network nope: no such network");
  EXPECT_EQ(get("/api/v1/fdb?color=red", 400)["error"], "query.color: unknown parameter");
  EXPECT_EQ(get("/api/v1/vteps?x=1", 400)["error"], "query.x: unknown parameter");
}

TEST_F(HttpApiTest, RoutesAndArpAreTheUnixApiDataNarrowedByQuery) {
  auto cfg = config::parse_yaml(std::string(kBase) + R"(
routers:
  - name: blue-rtr
    tenant: blue
    interfaces:
      - {network: web, address: 10.0.0.1/24}
      - {network: db, address: 10.0.1.1/24}
    routes:
      - {prefix: 10.9.0.0/16, via: 10.0.1.5}
)");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(queue_.run([&] { ASSERT_TRUE(service_->apply(*cfg)); }));
  start();
  for (const char* what : {"routes", "arp"}) {
    json want = unix_answer(*dispatcher_, queue_, {{"cmd", "show"}, {"what", what}});
    ASSERT_TRUE(want["ok"].get<bool>()) << what;
    EXPECT_EQ(get(std::string("/api/v1/") + what), want["data"]) << what;
  }
  json routes = get("/api/v1/routes?tenant=blue&network=db");
  ASSERT_FALSE(routes.empty());
  for (const auto& r : routes) EXPECT_EQ(r["network"], "db") << r.dump();
  EXPECT_EQ(routes.back(), json::parse(R"({"router":"blue-rtr","tenant":"blue",
      "prefix":"10.9.0.0/16","source":"static","via":["10.0.1.5"],"network":"db"})"));
  EXPECT_EQ(get("/api/v1/arp"), json::array());
  EXPECT_EQ(get("/api/v1/routes?tenant=red", 400)["error"], "tenant red: no such tenant");
  EXPECT_EQ(get("/api/v1/arp?network=nope", 400)["error"], "network nope: no such network");
  EXPECT_EQ(get("/api/v1/arp?vni=100", 400)["error"], "query.vni: unknown parameter");
}

TEST_F(HttpApiTest, UnknownPathsAndMethodsAreJsonErrors) {
  start();
  EXPECT_EQ(get("/api/v1/routers", 404)["error"],
            "path: /api/v1/routers is not an API path (see /api/v1/..., /metrics)");
  auto r = send("DELETE", "/api/v1/config", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body["error"], "method: DELETE is not allowed on /api/v1/config");
}

TEST_F(HttpApiTest, PostConfigAppliesYamlAndJsonAndDiffChangesNothing) {
  start();
  std::string yaml = kBase;
  yaml += R"(  - name: app
    tenant: blue
    vni: 300
)";
  auto d = send("POST", "/api/v1/config/diff", yaml, {}, "application/yaml");
  ASSERT_EQ(d.status, 200) << d.body;
  ASSERT_EQ(d.body["changes"].size(), 1u);
  EXPECT_NE(d.body["changes"][0].get<std::string>().find("app"), std::string::npos);
  EXPECT_EQ(get("/api/v1/networks").size(), 2u) << "diff applied nothing";

  auto a = send("POST", "/api/v1/config", yaml, {}, "application/yaml");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body["changes"], d.body["changes"]);
  EXPECT_EQ(get("/api/v1/networks").size(), 3u);

  // JSON is YAML: the same document as JSON applies the same way (app removed).
  json doc = {{"node", {{"name", "gw1"}, {"workers", 1}}},
              {"ports", {{{"name", "p1"}, {"io", "memory"}}}},
              {"underlay", {{"interface", "u1"}, {"io", "packet"}}},
              {"vtep", {{"source", "192.168.1.2"}}},
              {"tenants", {{{"name", "blue"}}}},
              {"networks",
               {{{"name", "web"},
                 {"tenant", "blue"},
                 {"vni", 100},
                 {"remotes", {"192.168.1.1"}},
                 {"attachments", {{{"port", "p1"}}}}},
                {{"name", "db"}, {"tenant", "blue"}, {"vni", 200}}}}};
  auto j = send("POST", "/api/v1/config", doc.dump());
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(get("/api/v1/networks").size(), 2u);
}

TEST_F(HttpApiTest, InvalidConfigurationsAreRejectedNamingTheFieldAndChangeNothing) {
  start();
  json before = get("/api/v1/config");
  struct Case {
    std::string body;
    std::string field;  // must appear in the error
  };
  std::string dup_vni = kBase;
  dup_vni += "  - name: app\n    tenant: blue\n    vni: 100\n";
  std::string big_vni = kBase;
  big_vni += "  - name: app\n    tenant: blue\n    vni: 16777216\n";
  std::string unknown = kBase;
  unknown += "  - name: app\n    tenant: blue\n    colour: red\n";
  for (const Case& c : std::vector<Case>{
           {R"({"node": {"name": "gw1"}, "ports": [)", ""},  // malformed JSON
           {dup_vni, "vni"},
           {big_vni, "networks[app].vni"},
           {unknown, "colour"},
           {R"({"node": {"name": "gw1"}, "bogus": 1})", "bogus"},
       }) {
    auto r = send("POST", "/api/v1/config", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    ASSERT_TRUE(r.body.contains("error")) << c.body;
    EXPECT_NE(r.body["error"].get<std::string>().find(c.field), std::string::npos)
        << r.body["error"];
  }
  EXPECT_EQ(send("POST", "/api/v1/config", "").status, 400);
  EXPECT_EQ(get("/api/v1/config"), before) << "nothing changed";
}

TEST_F(HttpApiTest, OversizedBodiesAre413) {
  HttpServer::Options o;
  o.max_body_bytes = 1024;
  start(o);
  auto r = send("POST", "/api/v1/config", std::string(4096, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body["error"], "body: larger than the limit of 1024 bytes");
  r = send("POST", "/api/v1/fdb", "[" + std::string(4096, ' ') + "]");
  EXPECT_EQ(r.status, 413);
}

TEST(HttpAuthPolicy, TokenIsRequiredBeyondLoopbackOrWhenSet) {
  config::Api api;
  api.http = "127.0.0.1:8080";
  EXPECT_FALSE(auth_policy(api).require_token);
  api.http = "[::1]:8080";
  EXPECT_FALSE(auth_policy(api).require_token);
  api.http = "localhost:8080";
  EXPECT_FALSE(auth_policy(api).require_token);
  api.http = "0.0.0.0:8080";
  EXPECT_TRUE(auth_policy(api).require_token);
  api.http = "192.168.1.2:8080";
  api.token = "s3cret";
  auto p = auth_policy(api);
  EXPECT_TRUE(p.require_token);
  EXPECT_EQ(p.token, "s3cret");
  api.http = "127.0.0.1:8080";
  EXPECT_TRUE(auth_policy(api).require_token) << "a configured token is always checked";
}

TEST_F(HttpApiTest, ChangesNeedTheBearerTokenReadsDoNot) {
  config::Api api;
  api.http = "0.0.0.0:8080";  // the policy of a listener beyond loopback
  api.token = "s3cret";
  HttpServer::Options o;
  o.auth = auth_policy(api);
  start(o);
  const std::string entry = R"([{"network":"web","remote":"192.168.1.9"}])";
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/api/v1/config", kBase},
           {"POST", "/api/v1/config/diff", kBase},
           {"POST", "/api/v1/fdb", "[]"},
           {"DELETE", "/api/v1/fdb", "[]"},
           {"POST", "/api/v1/flood", entry},
           {"DELETE", "/api/v1/flood", entry}}) {
    auto none = send(method, path, body);
    EXPECT_EQ(none.status, 401) << method << " " << path;
    EXPECT_EQ(none.body["error"],
              "Authorization: missing (Bearer <api.token> is required for changes)");
    auto wrong = send(method, path, body, {{"Authorization", "Bearer s3cre"}});
    EXPECT_EQ(wrong.status, 403) << method << " " << path;
    EXPECT_EQ(wrong.body["error"], "Authorization: wrong bearer token");
    auto basic = send(method, path, body, {{"Authorization", "Basic czNjcmV0"}});
    EXPECT_EQ(basic.status, 403) << method << " " << path;
  }
  EXPECT_EQ(get("/api/v1/networks")[0]["remotes"], json({"192.168.1.1"})) << "nothing changed";
  auto ok = send("POST", "/api/v1/flood", entry, {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(get("/api/v1/networks")[0]["remotes"], json({"192.168.1.1", "192.168.1.9"}));
  get("/metrics");  // reads need no token
}

TEST_F(HttpApiTest, BeyondLoopbackWithoutATokenEveryChangeIsRefused) {
  config::Api api;
  api.http = "0.0.0.0:8080";
  HttpServer::Options o;
  o.auth = auth_policy(api);
  start(o);
  auto r = send("POST", "/api/v1/fdb", "[]", {{"Authorization", "Bearer "}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body["error"].get<std::string>().find("api.token"), std::string::npos);
}

TEST_F(HttpApiTest, ControllerMacEntriesShowAsApiEntriesAndRemotes) {
  start();
  auto r = send("POST", "/api/v1/fdb",
                R"([{"network":"web","mac":"02:00:00:00:00:0a","remote":"192.168.1.1"},
                    {"vni":200,"mac":"02:00:00:00:00:0b","remote":"192.168.1.7"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, json({{"added", 2},
                          {"replaced", 0},
                          {"unchanged", 0},
                          {"removed", 0},
                          {"absent", 0},
                          {"not_owned", 0}}));
  json all = fdb();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["network"], "db");
  EXPECT_EQ(all[0]["type"], "api");
  EXPECT_EQ(all[0]["remote"], "192.168.1.7");
  EXPECT_EQ(all[1]["network"], "web");
  EXPECT_EQ(all[1]["mac"], "02:00:00:00:00:0a");
  EXPECT_EQ(all[1]["type"], "api");
  EXPECT_EQ(all[1]["remote"], "192.168.1.1");
  EXPECT_EQ(all[1]["age"], 0);
  json remotes = get("/api/v1/vteps")["remotes"];
  ASSERT_EQ(remotes.size(), 2u);
  EXPECT_EQ(remotes[1]["address"], "192.168.1.7");
  EXPECT_EQ(remotes[1]["origin"], "api");

  // The same again: unchanged; then removed.
  r = send("POST", "/api/v1/fdb",
           R"([{"network":"web","mac":"02:00:00:00:00:0a","remote":"192.168.1.1"}])");
  EXPECT_EQ(r.body["unchanged"], 1);
  r = send("DELETE", "/api/v1/fdb",
           R"([{"network":"web","mac":"02:00:00:00:00:0a"},
               {"network":"web","mac":"02:00:00:00:00:0c"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["removed"], 1);
  EXPECT_EQ(r.body["absent"], 1);
  EXPECT_EQ(fdb("web"), json::array());
  EXPECT_EQ(fdb("db").size(), 1u);
}

TEST_F(HttpApiTest, BadControllerEntriesAreRejectedNamingTheFieldAndChangeNothing) {
  start();
  const std::string good = R"({"network":"web","mac":"02:00:00:00:00:0a","remote":"192.168.1.1"})";
  struct Case {
    std::string body;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"[" + good + ",", "body: malformed JSON"},
           {R"({"network":"web"})", "body: must be a JSON array of entries"},
           {"[" + good +
                R"(,{"network":"web","mac":"02:00:00:00:00:0b","remote":"192.168.1.1","color":1}])",
            "entries[1].color: unknown field"},
           {"[" + good + R"(,{"vni":16777216,"mac":"02:00:00:00:00:0b","remote":"192.168.1.1"}])",
            "entries[1].vni: 16777216 is not in 1..16777215"},
           {"[" + good + R"(,{"network":"nope","mac":"02:00:00:00:00:0b","remote":"192.168.1.1"}])",
            "entries[1].network: no such network 'nope'"},
           {"[" + good + R"(,{"vni":999,"mac":"02:00:00:00:00:0b","remote":"192.168.1.1"}])",
            "entries[1].vni: no network with VNI 999"},
           {"[" + good + R"(,{"network":"web","mac":"01:00:5e:00:00:01","remote":"192.168.1.1"}])",
            "entries[1].mac: 01:00:5e:00:00:01 is not a unicast MAC"},
           {"[" + good + R"(,{"network":"web","mac":"02:00:00:00:00:0g","remote":"192.168.1.1"}])",
            "entries[1].mac: \"02:00:00:00:00:0g\" is not a MAC address"},
           {"[" + good + R"(,{"network":"web","mac":"02:00:00:00:00:0b"}])",
            "entries[1].remote: missing"},
           {"[" + good + R"(,{"network":"web","mac":"02:00:00:00:00:0b","remote":"2001:db8::1"}])",
            "entries[1].remote: address family of 2001:db8::1 differs from vtep.source "
            "192.168.1.2"},
           {"[" + good + R"(,{"network":"web","mac":"02:00:00:00:00:0b","remote":"192.168.1.2"}])",
            "entries[1].remote: 192.168.1.2 is this gateway's own vtep.source"},
           {"[" + good +
                R"(,{"network":"web","vni":100,"mac":"02:00:00:00:00:0b","remote":"192.168.1.1"}])",
            "entries[1].vni: give network or vni, not both"},
           {"[" + good + R"(,{"mac":"02:00:00:00:00:0b","remote":"192.168.1.1"}])",
            "entries[1].network: missing (give network or vni)"},
       }) {
    auto r = send("POST", "/api/v1/fdb", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    ASSERT_TRUE(r.body.contains("error")) << c.body;
    EXPECT_EQ(r.body["error"].get<std::string>().substr(0, c.error.size()), c.error) << c.body;
  }
  auto f = send("POST", "/api/v1/flood",
                R"([{"network":"web","remote":"192.168.1.9","mac":"02:00:00:00:00:01"}])");
  EXPECT_EQ(f.status, 400);
  EXPECT_EQ(f.body["error"], "entries[0].mac: unknown field");
  EXPECT_EQ(fdb(), json::array()) << "nothing changed";
  EXPECT_EQ(get("/api/v1/vteps")["remotes"].size(), 1u);
}

TEST_F(HttpApiTest, FloodMembersJoinTheHeadEndListAndLeaveIt) {
  start();
  auto r =
      send("POST", "/api/v1/flood",
           R"([{"network":"web","remote":"192.168.1.5"},{"network":"web","remote":"192.168.1.1"},
                    {"vni":200,"remote":"192.168.1.5"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["added"], 3);
  json nets = get("/api/v1/networks");
  EXPECT_EQ(nets[0]["remotes"], json({"192.168.1.1", "192.168.1.5"})) << "configured one first";
  EXPECT_EQ(nets[1]["remotes"], json({"192.168.1.5"}));
  json vteps = get("/api/v1/vteps")["remotes"];
  ASSERT_EQ(vteps.size(), 2u);
  EXPECT_EQ(vteps[1]["vnis"], json({100, 200}));

  r = send("DELETE", "/api/v1/flood",
           R"([{"network":"web","remote":"192.168.1.5"},{"network":"web","remote":"192.168.1.1"},
               {"vni":200,"remote":"192.168.1.5"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["removed"], 3);
  nets = get("/api/v1/networks");
  EXPECT_EQ(nets[0]["remotes"], json({"192.168.1.1"})) << "the configured member stays";
  EXPECT_EQ(nets[1]["remotes"], json::array());
}

TEST_F(HttpApiTest, HundredThousandMacsInOneCall) {
  start();
  json entries = json::array();
  for (uint32_t i = 0; i < 100000; ++i)
    entries.push_back({{"network", i % 2 ? "web" : "db"},
                       {"mac", MacAddress::from_u64(0x020000000000ull + i).to_string()},
                       {"remote", fmt::format("10.0.{}.{}", i % 1000 / 250, 1 + i % 250)}});
  auto r = send("POST", "/api/v1/fdb", entries.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["added"], 100000);
  json counters = get("/api/v1/counters");
  EXPECT_EQ(counters["fdb"]["entries"], 100000);
  EXPECT_EQ(get("/api/v1/vteps")["remotes"].size(), 1u + 1000u);
  json nets = get("/api/v1/networks");
  EXPECT_EQ(nets[0]["fdb_entries"], 50000);
  EXPECT_EQ(nets[1]["fdb_entries"], 50000);

  for (auto& e : entries) e.erase("remote");
  r = send("DELETE", "/api/v1/fdb", entries.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["removed"], 100000);
  EXPECT_EQ(get("/api/v1/counters")["fdb"]["entries"], 0);
}

TEST_F(HttpApiTest, MetricsAreServedInTheTextFormat) {
  start();
  ASSERT_EQ(send("POST", "/api/v1/fdb",
                 R"([{"network":"web","mac":"02:00:00:00:00:0a","remote":"192.168.1.1"}])")
                .status,
            200);
  auto c = client();
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("vgw_fdb_entries{network=\"web\"} 1\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("vgw_fdb_entries{network=\"db\"} 0\n"), std::string::npos);
  EXPECT_NE(r->body.find("vgw_drops_total{reason=\"unknown_vni\"} 0\n"), std::string::npos);
  EXPECT_NE(r->body.find("vgw_port_rx_packets_total{port=\"p1\"} 0\n"), std::string::npos);
  EXPECT_NE(r->body.find("vgw_remote_vtep_tx_bytes_total{remote=\"192.168.1.1\"} 0\n"),
            std::string::npos);
  EXPECT_NE(r->body.find("vgw_network_rx_packets_total{network=\"web\",vni=\"100\"} 0\n"),
            std::string::npos);
  EXPECT_NE(r->body.find("vgw_worker_rx_packets_total{worker=\"0\"} 0\n"), std::string::npos);
}

TEST(ControlQueueTest, RunsOnTheControlThreadAndRefusesAfterClose) {
  ControlQueue q;
  std::thread::id ran_on;
  std::atomic<bool> stop{false};
  std::thread control([&] {
    while (!stop) {
      pollfd p{q.fd(), POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) q.process();
    }
  });
  EXPECT_TRUE(q.run([&] { ran_on = std::this_thread::get_id(); }));
  EXPECT_EQ(ran_on, control.get_id());
  stop = true;
  control.join();
  // Nobody processes now: a waiting caller is released by close().
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = q.run([] {}) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(result.load(), -1) << "still waiting";
  q.close();
  waiter.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_FALSE(q.run([] {}));
}

}  // namespace
}  // namespace vgw::api
