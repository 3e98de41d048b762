// The EVPN agent: how the configuration becomes the speaker's (FRR's derived RD and
// RT, or configured ones), and import through the controller operations of a real
// Service, with an in-process BGP peer over loopback TCP port 179.
#include "control/evpn.h"

#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>
#include <variant>

#include <gtest/gtest.h>

#include "config/yaml.h"
#include "control/service.h"
#include "fakes.h"

namespace vgw::control {
namespace {

using nlohmann::json;

config::Config parse(const std::string& yaml) {
  auto c = config::parse_yaml(yaml);
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : config::Config{};
}

TEST(EvpnSpeakerConfig, DerivesRdAndRtAsFrrUnlessConfigured) {
  auto c = parse(R"(
vtep:
  source: 192.168.1.2
tenants: [{name: blue}]
networks:
  - {name: web, tenant: blue, vni: 100, flood: evpn}
  - {name: local, tenant: blue}
  - {name: db, tenant: blue, vni: 200, flood: evpn}
evpn:
  asn: 65000
  hold-time: 30
  neighbors: [{address: 192.168.1.1, remote-as: 65002}]
  vnis:
    - {vni: 200, rd: "65000:7", route-targets: ["65002:200"], export-route-targets: ["1.2.3.4:9"]}
)");
  auto s = EvpnAgent::speaker_config(c);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(*s);
  const bgp::SpeakerConfig& sc = **s;
  EXPECT_EQ(sc.router_id.to_string(), "192.168.1.2");  // vtep.source by default
  EXPECT_EQ(sc.local_address.to_string(), "192.168.1.2");
  EXPECT_EQ(sc.hold_time, 30);
  ASSERT_EQ(sc.neighbors.size(), 1u);
  EXPECT_EQ(sc.neighbors[0].remote_as, 65002u);
  ASSERT_EQ(sc.vnis.size(), 2u);  // the local-only network has no VNI
  EXPECT_EQ(sc.vnis[0].vni, 100u);
  EXPECT_EQ(sc.vnis[0].rd.to_string(), "192.168.1.2:1");
  EXPECT_EQ(sc.vnis[0].import_rts,
            std::vector<bgp::RouteTarget>{bgp::RouteTarget::as2(65000, 100)});
  EXPECT_EQ(sc.vnis[0].export_rts, sc.vnis[0].import_rts);
  EXPECT_EQ(sc.vnis[1].rd.to_string(), "65000:7");
  EXPECT_EQ(sc.vnis[1].import_rts,
            std::vector<bgp::RouteTarget>{bgp::RouteTarget::as2(65002, 200)});
  EXPECT_EQ(sc.vnis[1].export_rts, (std::vector<bgp::RouteTarget>{
                                       bgp::RouteTarget::as2(65002, 200),
                                       bgp::RouteTarget::ipv4(*IpAddress::parse("1.2.3.4"), 9)}));

  c.evpn.reset();
  auto none = EvpnAgent::speaker_config(c);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// Imports end in the Service's controller operations, owned by the peer.
class EvpnAgentTest : public ::testing::Test {
 protected:
  struct Sink : bgp::ImportSink {
    void apply(const bgp::ImportChanges&) override {}
  };

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "binds TCP port 179 (needs root)";
    std::random_device rd;
    uint32_t r = rd();
    // A loopback /24 of our own: 127.x.y.1 is vgw, 127.x.y.2 the peer.
    std::string net = "127." + std::to_string(1 + r % 250) + "." + std::to_string((r >> 8) % 250);
    ours_ = net + ".1";
    peer_ = net + ".2";
    dataplane::DataplaneOptions o;
    dp_ = std::make_unique<dataplane::Dataplane>(o);
    service_ = std::make_unique<Service>(*dp_, factory_, resolver_, runner_, ServiceOptions{});
    auto applied = service_->apply(parse(R"(
node: {name: gw1, workers: 1}
ports: [{name: p1, io: memory}]
underlay: {interface: u1, io: socket}
vtep: {source: 192.0.2.1}
tenants: [{name: blue}]
networks:
  - {name: web, tenant: blue, vni: 100, flood: evpn, attachments: [{port: p1}]}
evpn:
  asn: 65000
  hold-time: 9
  neighbors: [{address: )" + peer_ + R"(, remote-as: 65000}]
)"));
    ASSERT_TRUE(applied) << applied.error().message;
    EvpnAgentOptions ao;
    ao.bind_address = *IpAddress::parse(ours_);
    agent_ = std::make_unique<EvpnAgent>(
        *service_, *dp_, [this] { return &service_->config(); }, ao);
    service_->set_on_applied([this] { agent_->config_applied(); });
    auto reconciled = agent_->reconcile();
    ASSERT_TRUE(reconciled) << reconciled.error().message;

    bgp::SpeakerConfig pc;
    pc.asn = 65000;
    pc.router_id = pc.local_address = *IpAddress::parse(peer_);
    pc.hold_time = 9;
    pc.neighbors = {{*IpAddress::parse(ours_), 65000}};
    bgp::VniConfig v;
    v.vni = 100;
    v.rd = bgp::derive_rd(pc.router_id, 1);
    v.import_rts = v.export_rts = {bgp::derive_rt(65000, 100)};
    pc.vnis = {v};
    peer_speaker_ = std::make_unique<bgp::Speaker>(peer_sink_);
    ASSERT_TRUE(peer_speaker_->configure(pc));
  }

  template <typename Pred>
  bool pump(Pred pred) {
    for (int i = 0; i < 3000; ++i) {
      agent_->poll();
      if (peer_speaker_) peer_speaker_->poll();
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  json network() { return service_->show_networks()[0]; }
  // The MAC mobility sequence of the peer's received type-2 route for mac
  // (-1: none; 0: no MAC mobility community).
  int64_t peer_sees(const char* mac) {
    MacAddress m = *MacAddress::parse(mac);
    for (const auto& [peer, routes] : peer_speaker_->rib().all_adj_in())
      for (const auto& [r, path] : routes)
        if (const auto* t2 = std::get_if<bgp::MacIpRoute>(&r); t2 && t2->mac == m)
          return path.mac_mobility ? path.mac_mobility->sequence : 0;
    return -1;
  }
  size_t peer_imet_count() {
    size_t n = 0;
    for (const auto& [peer, routes] : peer_speaker_->rib().all_adj_in())
      for (const auto& [r, path] : routes) n += std::holds_alternative<bgp::ImetRoute>(r);
    return n;
  }
  // What the control thread does with a worker's learn event.
  void learn_local(const char* mac) {
    auto snap = dp_->snapshot();
    dataplane::LearnEvent ev;
    ev.mac = MacAddress::parse(mac)->to_u64();
    ev.network = snap->network_by_name("web");
    ev.location = dataplane::Location::local(0, 0);
    ev.time = dp_->now();
    dp_->fdb().learn(ev, *snap);
  }
  json fdb() { return *service_->show_fdb({}); }

  std::string ours_, peer_;
  testing::MemoryPortFactory factory_;
  testing::FakeResolver resolver_;
  testing::ManualRunner runner_;
  std::unique_ptr<dataplane::Dataplane> dp_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<EvpnAgent> agent_;
  Sink peer_sink_;
  std::unique_ptr<bgp::Speaker> peer_speaker_;
};

TEST_F(EvpnAgentTest, RoutesInstallThroughTheControllerApiAndLeaveWithTheSession) {
  ASSERT_TRUE(pump([&] { return network()["remotes"].size() == 1; })) << agent_->show_peers();
  EXPECT_EQ(network()["remotes"][0], peer_);
  peer_speaker_->set_local_macs({{100, *MacAddress::parse("02:00:00:00:02:02")}});
  ASSERT_TRUE(pump([&] { return fdb().size() == 1; }));
  json e = fdb()[0];
  EXPECT_EQ(e["mac"], "02:00:00:00:02:02");
  EXPECT_EQ(e["type"], "evpn");
  EXPECT_EQ(e["remote"], peer_);

  json peers = agent_->show_peers();
  EXPECT_EQ(peers["peers"][0]["state"], "Established");
  EXPECT_EQ(peers["peers"][0]["routes_received"], 2);
  json routes = agent_->show_routes({2, std::nullopt});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0]["source"], peer_);
  EXPECT_EQ(routes[0]["mac"], "02:00:00:00:02:02");
  EXPECT_EQ(routes[0]["imported"], json::array({100}));
  EXPECT_EQ(agent_->show_routes({3, 100}).size(), 2u);  // ours and the peer's
  EXPECT_EQ(agent_->show_routes({3, 4242}).size(), 0u);

  // Session lost: exactly what the peer installed is removed.
  peer_speaker_->shutdown();
  ASSERT_TRUE(pump([&] { return fdb().empty() && network()["remotes"].empty(); }));
  EXPECT_NE(agent_->show_peers()["peers"][0]["state"], "Established");
}

// RFC 7432 §15 through the data plane: the host moves from behind the peer to
// behind vgw (a local learn takes the EVPN entry over; vgw advertises sequence
// 1) and back (the peer advertises 2; the EVPN entry replaces the local one).
TEST_F(EvpnAgentTest, MacMobilityFollowsTheHostWithRisingSequences) {
  const char* kHost = "02:00:00:00:07:07";
  peer_speaker_->set_local_macs({{100, *MacAddress::parse(kHost)}});
  ASSERT_TRUE(pump([&] { return fdb().size() == 1; })) << agent_->show_peers();
  EXPECT_EQ(fdb()[0]["type"], "evpn");

  learn_local(kHost);  // the host now speaks behind p1
  ASSERT_TRUE(pump([&] { return peer_sees(kHost) == 1; })) << agent_->show_routes({});
  json e = fdb()[0];
  EXPECT_EQ(e["type"], "local");
  EXPECT_EQ(e["port"], "p1");
  EXPECT_EQ(e["moves"], 1);
  // The peer's path lost: it withdraws it.
  ASSERT_TRUE(pump([&] { return agent_->show_routes({2, 100}).size() == 1; }));
  json ours = agent_->show_routes({2, 100});
  EXPECT_EQ(ours[0]["source"], "local");
  EXPECT_EQ(ours[0]["sequence"], 1);

  // Back behind the peer: it learns the host again and outbids us.
  peer_speaker_->set_local_macs({});
  peer_speaker_->set_local_macs({{100, *MacAddress::parse(kHost)}});
  ASSERT_TRUE(pump([&] {
    json f = fdb();
    return f.size() == 1 && f[0]["type"] == "evpn" && peer_sees(kHost) == -1;
  })) << fdb();
  EXPECT_EQ(fdb()[0]["remote"], peer_);
  ours = agent_->show_routes({2, 100});
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0]["source"], peer_);
  EXPECT_EQ(ours[0]["sequence"], 2);

  // And here again: highest seen + 1.
  learn_local(kHost);
  ASSERT_TRUE(pump([&] { return peer_sees(kHost) == 3; }));
}

// No scans: a learned MAC is advertised, an aged one withdrawn, and an applied
// configuration (a new VNI) announced, each on the next poll.
TEST_F(EvpnAgentTest, FdbEventsAndAppliesAreFollowedWithoutScanning) {
  ASSERT_TRUE(pump([&] { return peer_imet_count() == 1; })) << agent_->show_peers();
  learn_local("02:00:00:00:08:08");
  agent_->poll();  // one poll hands it to the speaker
  ASSERT_TRUE(pump([&] { return peer_sees("02:00:00:00:08:08") == 0; }));
  ASSERT_TRUE(dp_->fdb().remove(dp_->snapshot()->network_by_name("web"),
                                *MacAddress::parse("02:00:00:00:08:08")));
  ASSERT_TRUE(pump([&] { return peer_sees("02:00:00:00:08:08") == -1; }));

  config::Config next = service_->config();
  config::Network db = next.networks[0];
  db.name = "db";
  db.vni = 200;
  db.attachments.clear();
  next.networks.push_back(db);
  ASSERT_TRUE(service_->apply(next));
  ASSERT_TRUE(pump([&] { return peer_imet_count() == 2; }));
}

}  // namespace
}  // namespace vgw::control
