// Service::show_routes / show_arp (issue 3) over a real Dataplane: the JSON
// shapes of `vgwctl -j show routes|arp`, the order, the tenant and network
// filters, and errors for a tenant or network that does not exist.
#include <filesystem>

#include <gtest/gtest.h>

#include "config/yaml.h"
#include "control/service.h"
#include "fakes.h"

namespace vgw::control {
namespace {

using nlohmann::json;

// Two tenants reusing 10.0.0.0/24, a dual-stack interface, an ECMP default
// route and a static route, an outside network without a VNI.
const char* kRouters = R"(
node: {name: gw1, workers: 1}
ports: [{name: p1, io: memory}, {name: p2, io: memory}, {name: p3, io: memory},
        {name: p4, io: memory}]
underlay: {interface: u1}
vtep: {source: 192.168.1.2}
tenants: [{name: blue}, {name: red}]
networks:
  - {name: web, tenant: blue, vni: 100, attachments: [{port: p1}]}
  - {name: db, tenant: blue, vni: 200, attachments: [{port: p2}]}
  - {name: out, tenant: blue, attachments: [{port: p4}]}
  - {name: ra, tenant: red, vni: 300, attachments: [{port: p3}]}
routers:
  - name: blue-rtr
    tenant: blue
    interfaces:
      - {network: web, address: 10.0.0.1/24}
      - {network: web, address: "2001:db8:a::1/64"}
      - {network: db, address: 10.0.1.1/24}
      - {network: out, address: 172.16.0.2/30}
    routes:
      - {prefix: 0.0.0.0/0, via: [172.16.0.1]}
      - {prefix: 10.9.0.0/16, via: [10.0.1.5, 10.0.1.6]}
  - name: red-rtr
    tenant: red
    interfaces:
      - {network: ra, address: 10.0.0.1/24}
)";

class RouterShowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vgw-router-show-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    dataplane::DataplaneOptions o;
    o.clock = [this] { return now_; };
    dp_ = std::make_unique<dataplane::Dataplane>(o);
    ServiceOptions so;
    so.state_dir = dir_;
    service_ = std::make_unique<Service>(*dp_, factory_, resolver_, runner_, so);
    auto c = config::parse_yaml(kRouters);
    ASSERT_TRUE(c) << c.error().message;
    auto r = service_->apply(*c);
    ASSERT_TRUE(r) << r.error().message;
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  json routes(RouterFilter f = {}) {
    auto r = service_->show_routes(f);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : json();
  }
  json arp(RouterFilter f = {}) {
    auto r = service_->show_arp(f);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : json();
  }
  // The routes without the router's own host routes (source "local"), whose
  // presence is the data plane's business.
  json without_local(const json& in) {
    json out = json::array();
    for (const auto& r : in)
      if (r["source"] != "local") out.push_back(r);
    return out;
  }

  std::string dir_;
  uint32_t now_ = 1000;
  testing::MemoryPortFactory factory_;
  testing::FakeResolver resolver_;
  testing::ManualRunner runner_;
  std::unique_ptr<dataplane::Dataplane> dp_;
  std::unique_ptr<Service> service_;
};

TEST_F(RouterShowTest, RoutesOfEveryTenantInOrder) {
  EXPECT_EQ(without_local(routes()), json::parse(R"([
    {"router":"blue-rtr","tenant":"blue","prefix":"0.0.0.0/0","source":"static",
     "via":["172.16.0.1"],"network":"out"},
    {"router":"blue-rtr","tenant":"blue","prefix":"10.0.0.0/24","source":"connected",
     "via":[],"network":"web"},
    {"router":"blue-rtr","tenant":"blue","prefix":"10.0.1.0/24","source":"connected",
     "via":[],"network":"db"},
    {"router":"blue-rtr","tenant":"blue","prefix":"10.9.0.0/16","source":"static",
     "via":["10.0.1.5","10.0.1.6"],"network":"db"},
    {"router":"blue-rtr","tenant":"blue","prefix":"172.16.0.0/30","source":"connected",
     "via":[],"network":"out"},
    {"router":"blue-rtr","tenant":"blue","prefix":"2001:db8:a::/64","source":"connected",
     "via":[],"network":"web"},
    {"router":"red-rtr","tenant":"red","prefix":"10.0.0.0/24","source":"connected",
     "via":[],"network":"ra"}
  ])"));
  // A router's own addresses, when listed, sit in their interface's network.
  for (const auto& r : routes()) {
    if (r["source"] == "local") {
      EXPECT_FALSE(r["network"].is_null()) << r.dump();
    }
  }
}

TEST_F(RouterShowTest, RoutesNarrowedByTenantAndNetwork) {
  json red = without_local(routes({.tenant = "red"}));
  ASSERT_EQ(red.size(), 1u);
  EXPECT_EQ(red[0]["router"], "red-rtr");
  json db = routes({.network = "db"});
  ASSERT_EQ(without_local(db).size(), 2u);
  for (const auto& r : db) EXPECT_EQ(r["network"], "db") << r.dump();
  EXPECT_EQ(routes({.tenant = "red", .network = "db"}), json::array());
}

TEST_F(RouterShowTest, UnknownTenantOrNetworkIsAnError) {
  auto r = service_->show_routes({.tenant = "green"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "tenant green: no such tenant");
  r = service_->show_arp({.network = "nowhere"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "network nowhere: no such network");
}

TEST_F(RouterShowTest, ArpShowsBindingsPerTenantAndNetwork) {
  EXPECT_EQ(arp(), json::array());
  auto mac = [](const char* s) { return *MacAddress::parse(s); };
  auto ip = [](const char* s) { return *IpAddress::parse(s); };
  ASSERT_TRUE(dp_->neighbor_add("ra", ip("10.0.0.5"), mac("02:00:00:00:0a:05"), "static"));
  ASSERT_TRUE(dp_->neighbor_add("web", ip("10.0.0.5"), mac("02:00:00:00:0b:05"), "static"));
  ASSERT_TRUE(dp_->neighbor_add("web", ip("10.0.0.40"), mac("02:00:00:00:0b:40"), "static"));
  ASSERT_TRUE(dp_->neighbor_add("db", ip("10.0.1.9"), mac("02:00:00:00:0c:09"), "static"));
  now_ += 7;
  // Numeric order (10.0.0.5 before 10.0.0.40), by tenant then network.
  EXPECT_EQ(arp(), json::parse(R"([
    {"tenant":"blue","network":"db","ip":"10.0.1.9","mac":"02:00:00:00:0c:09",
     "state":"permanent","origin":"static","age":7},
    {"tenant":"blue","network":"web","ip":"10.0.0.5","mac":"02:00:00:00:0b:05",
     "state":"permanent","origin":"static","age":7},
    {"tenant":"blue","network":"web","ip":"10.0.0.40","mac":"02:00:00:00:0b:40",
     "state":"permanent","origin":"static","age":7},
    {"tenant":"red","network":"ra","ip":"10.0.0.5","mac":"02:00:00:00:0a:05",
     "state":"permanent","origin":"static","age":7}
  ])"));
  json red = arp({.tenant = "red"});
  ASSERT_EQ(red.size(), 1u);
  EXPECT_EQ(red[0]["mac"], "02:00:00:00:0a:05");
  json web = arp({.network = "web"});
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[1]["ip"], "10.0.0.40");
}

TEST_F(RouterShowTest, CountersHaveTheRouterBlock) {
  EXPECT_EQ(service_->show_counters()["router"],
            json::parse(R"({"routed":0,"icmp_sent":0,"arp_requests_sent":0,
                            "arp_replies_sent":0,"suppressed":0,"fragments":0})"));
}

}  // namespace
}  // namespace vgw::control
