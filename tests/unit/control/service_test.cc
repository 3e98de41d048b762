#include "control/service.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/diff.h"
#include "config/yaml.h"
#include "fakes.h"

namespace vgw::control {
namespace {

using nlohmann::json;

const char* kBase = R"(
node:
  name: gw1
  workers: 1
ports:
  - name: p1
    io: memory
  - name: p2
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
      - port: p2
        vlan: 10
)";

config::Config parse(const std::string& yaml) {
  auto c = config::parse_yaml(yaml);
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : config::Config{};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An Ethernet frame from src to dst (IPv4 ethertype, zero payload).
std::vector<uint8_t> frame(const std::string& dst, const std::string& src) {
  std::vector<uint8_t> f(60, 0);
  auto d = *MacAddress::parse(dst);
  auto s = *MacAddress::parse(src);
  std::copy(d.b.begin(), d.b.end(), f.begin());
  std::copy(s.b.begin(), s.b.end(), f.begin() + 6);
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

// The same frame with an 802.1Q tag for vlan.
std::vector<uint8_t> tagged(std::vector<uint8_t> f, uint16_t vlan) {
  uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(vlan >> 8), static_cast<uint8_t>(vlan)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vgw-control-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    resolver_.next_hops["192.168.1.1"] = {true, *MacAddress::parse("aa:bb:cc:dd:ee:ff"),
                                          *MacAddress::parse("02:00:00:00:00:02")};
    make_service();
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  void make_service() {
    service_.reset();
    dataplane::DataplaneOptions o;
    o.clock = [this] { return now_; };
    dp_ = std::make_unique<dataplane::Dataplane>(o);
    ServiceOptions so;
    so.state_dir = dir_;
    service_ = std::make_unique<Service>(*dp_, factory_, resolver_, runner_, so);
  }
  std::vector<std::string> apply_ok(const config::Config& c) {
    auto r = service_->apply(c);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<std::string>{};
  }
  json fdb(const std::string& network = "") {
    auto r = service_->show_fdb({network});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : json();
  }

  std::string dir_;
  uint32_t now_ = 1000;
  testing::MemoryPortFactory factory_;
  testing::FakeResolver resolver_;
  testing::ManualRunner runner_;
  std::unique_ptr<dataplane::Dataplane> dp_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceTest, ApplyIsVisibleInShowNetworksAndVteps) {
  auto changes = apply_ok(parse(kBase));
  EXPECT_EQ(changes, config::diff(config::Config{}, parse(kBase)));
  EXPECT_FALSE(changes.empty());

  EXPECT_EQ(service_->show_networks(), json::parse(R"([{"name":"web","tenant":"blue","vni":100,
      "flood":"head-end","remotes":["192.168.1.1"],
      "attachments":[{"port":"p1","vlan":0},{"port":"p2","vlan":10}],
      "mac_limit":0,"ageing":300,"fdb_entries":0}])"));
  EXPECT_EQ(service_->show_vteps(), json::parse(R"({"local":{"source":"192.168.1.2",
      "udp_port":4789,"source_port_range":[49152,65535],"allow_unknown_sources":false,
      "underlay":{"interface":"u1","io":"packet","mtu":1500}},
      "remotes":[{"address":"192.168.1.1","vnis":[100],"origin":"static","resolved":true,
                  "next_hop_mac":"aa:bb:cc:dd:ee:ff"}]})"));
  // One worker (node.workers) with its own Port per interface.
  EXPECT_EQ(runner_.running(), 1u);
  EXPECT_EQ(factory_.opened, 3);
  EXPECT_EQ(service_->worker_count(), 1u);
}

TEST_F(ServiceTest, InvalidApplyIsRejectedAndChangesNothing) {
  apply_ok(parse(kBase));
  auto snapshot = dp_->snapshot();
  json networks = service_->show_networks();
  std::string state = read_file(service_->state_file());
  int opened = factory_.opened;

  auto bad = parse(std::string(kBase) + R"(
  - name: db
    tenant: blue
    vni: 100
)");
  auto r = service_->apply(bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("networks[db].vni"), std::string::npos) << r.error().message;
  EXPECT_EQ(dp_->snapshot(), snapshot) << "the running snapshot is untouched";
  EXPECT_EQ(service_->show_networks(), networks);
  EXPECT_EQ(read_file(service_->state_file()), state);
  EXPECT_EQ(factory_.opened, opened);
  EXPECT_EQ(service_->config(), parse(kBase));
  // diff() refuses it the same way.
  auto d = service_->diff(bad);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, r.error().message);
}

TEST_F(ServiceTest, APortThatCannotBeOpenedRejectsTheWholeApply) {
  apply_ok(parse(kBase));
  auto snapshot = dp_->snapshot();
  std::string state = read_file(service_->state_file());
  factory_.fail.insert("p3");
  auto next = parse(kBase);
  next.ports.push_back({"p3", "memory"});
  next.networks[0].attachments.push_back({"p3", 0});
  auto r = service_->apply(next);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "ports[p3]: no such interface");
  EXPECT_EQ(dp_->snapshot(), snapshot);
  EXPECT_EQ(read_file(service_->state_file()), state);
  EXPECT_EQ(runner_.starts, 1) << "the running workers were not restarted";
  EXPECT_EQ(runner_.running(), 1u);
  EXPECT_EQ(service_->show_networks()[0]["attachments"].size(), 2u);
}

TEST_F(ServiceTest, DiffShowsChangeLinesWithoutApplying) {
  apply_ok(parse(kBase));
  auto next = parse(std::string(kBase) + R"(
  - name: db
    tenant: blue
    vni: 200
)");
  next.networks[0].mac_limit = 10000;
  auto expected = config::diff(parse(kBase), next);
  ASSERT_EQ(expected.size(), 2u);

  auto d = service_->diff(next);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, expected);
  EXPECT_EQ(service_->show_networks().size(), 1u) << "diff applies nothing";

  EXPECT_EQ(apply_ok(next), expected);
  json nets = service_->show_networks();
  ASSERT_EQ(nets.size(), 2u);
  EXPECT_EQ(nets[0]["mac_limit"], 10000);
  EXPECT_EQ(nets[1]["name"], "db");
  EXPECT_EQ(nets[1]["vni"], 200);
  EXPECT_EQ(runner_.starts, 1) << "same ports: the workers keep running";
  // Applying the same configuration again changes nothing.
  EXPECT_TRUE(apply_ok(next).empty());
  EXPECT_EQ(runner_.starts, 1);
}

TEST_F(ServiceTest, AppliedConfigurationIsPersistedAndComesBack) {
  EXPECT_FALSE(*Service::load_state(dir_)) << "nothing persisted yet";
  auto cfg = parse(kBase);
  apply_ok(cfg);
  EXPECT_EQ(read_file(service_->state_file()), config::to_yaml(cfg));
  json networks = service_->show_networks();

  // A restarted daemon: a new data plane and service, started from the state dir.
  make_service();
  auto state = Service::load_state(dir_);
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ(**state, cfg);
  apply_ok(**state);
  EXPECT_EQ(service_->show_networks(), networks);
}

TEST_F(ServiceTest, StaticMacsAreInstalledAndRemovedByApply) {
  auto with_macs = parse(std::string(kBase) + R"(
    macs:
      - mac: 02:00:00:00:00:aa
        port: p2
        vlan: 10
      - mac: 02:00:00:00:00:bb
        remote: 192.168.1.1
)");
  apply_ok(with_macs);
  EXPECT_EQ(fdb(), json::parse(R"([
    {"network":"web","vni":100,"mac":"02:00:00:00:00:aa","type":"static","port":"p2","vlan":10,
     "remote":null,"age":0,"moves":0,"frozen":false},
    {"network":"web","vni":100,"mac":"02:00:00:00:00:bb","type":"static","port":null,"vlan":null,
     "remote":"192.168.1.1","age":0,"moves":0,"frozen":false}])"));
  EXPECT_EQ(service_->show_networks()[0]["fdb_entries"], 2);

  apply_ok(parse(kBase));
  EXPECT_EQ(fdb(), json::array());
}

TEST_F(ServiceTest, LearnedMacsShowUpInShowFdbAfterTheRingsAreDrained) {
  apply_ok(parse(kBase));
  factory_.attachments.at({0, "p1"})->inject(frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01"));
  EXPECT_EQ(runner_.step(), 1u);
  EXPECT_EQ(fdb(), json::array()) << "not before the control thread drained the learn ring";
  service_->tick();
  now_ += 12;
  EXPECT_EQ(fdb(), json::parse(R"([{"network":"web","vni":100,"mac":"02:00:00:00:00:01",
      "type":"local","port":"p1","vlan":0,"remote":null,"age":12,"moves":0,"frozen":false}])"));
  EXPECT_EQ(fdb("web").size(), 1u);

  // A MAC learned behind the remote VTEP.
  ASSERT_TRUE(dp_->fdb().add(0, *MacAddress::parse("02:00:00:00:00:02"),
                             dataplane::Location::remote(0), dataplane::FdbType::kLearned, now_));
  json e = fdb()[1];
  EXPECT_EQ(e["type"], "remote");
  EXPECT_EQ(e["remote"], "192.168.1.1");
  EXPECT_EQ(e["port"], nullptr);
  EXPECT_EQ(e["age"], 0);

  json counters = service_->show_counters();
  EXPECT_EQ(counters["ports"][0]["name"], "p1");
  EXPECT_EQ(counters["ports"][0]["rx_packets"], 1);
  EXPECT_EQ(counters["fdb"]["learned"], 1);
  EXPECT_EQ(counters["networks"][0]["name"], "web");
  ASSERT_EQ(counters["workers"].size(), 1u);
  EXPECT_EQ(counters["workers"][0]["rx_packets"], 1);
}

TEST_F(ServiceTest, ShowFdbOfAnUnknownNetworkIsAnError) {
  apply_ok(parse(kBase));
  auto r = service_->show_fdb({"nope"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "network nope: no such network");
}

TEST_F(ServiceTest, UnresolvedNextHopsAreRetriedOnTick) {
  resolver_.next_hops.clear();
  apply_ok(parse(kBase));
  json r = service_->show_vteps()["remotes"][0];
  EXPECT_EQ(r["resolved"], false);
  EXPECT_EQ(r["next_hop_mac"], nullptr);

  resolver_.next_hops["192.168.1.1"] = {true, *MacAddress::parse("aa:bb:cc:dd:ee:01"),
                                        *MacAddress::parse("02:00:00:00:00:02")};
  service_->tick();  // within the retry interval: not yet
  EXPECT_EQ(service_->show_vteps()["remotes"][0]["resolved"], false);
  now_ += 1;
  service_->tick();
  r = service_->show_vteps()["remotes"][0];
  EXPECT_EQ(r["resolved"], true);
  EXPECT_EQ(r["next_hop_mac"], "aa:bb:cc:dd:ee:01");
}

TEST_F(ServiceTest, UnderlayChangeRepublishesRemotes) {
  apply_ok(parse(kBase));
  resolver_.next_hops["192.168.1.1"].next_hop_mac = *MacAddress::parse("aa:bb:cc:dd:ee:02");
  service_->underlay_changed();
  EXPECT_EQ(service_->show_vteps()["remotes"][0]["next_hop_mac"], "aa:bb:cc:dd:ee:02");
}

TEST_F(ServiceTest, ShowDropsListsEveryReason) {
  apply_ok(parse(kBase));
  json drops = service_->show_drops();
  ASSERT_EQ(drops.size(), dataplane::kDropCount);
  EXPECT_EQ(drops[0], json::parse(R"({"reason":"wrong_udp_port","count":0})"));
  EXPECT_EQ(drops[16], json::parse(R"({"reason":"learn_queue_full","count":0})"));
}

TEST_F(ServiceTest, ChangingPortsRestartsWorkersOnNewPorts) {
  apply_ok(parse(kBase));
  auto next = parse(kBase);
  next.ports.erase(next.ports.begin());  // p1 goes: p2 becomes index 0
  next.networks[0].attachments.erase(next.networks[0].attachments.begin());
  apply_ok(next);
  EXPECT_EQ(runner_.starts, 2);
  EXPECT_EQ(service_->show_networks()[0]["attachments"],
            json::parse(R"([{"port":"p2","vlan":10}])"));
  EXPECT_EQ(service_->show_counters()["ports"].size(), 1u);
}

TEST_F(ServiceTest, LearnedMacsOnAMovedPortIndexAreForgotten) {
  apply_ok(parse(kBase));
  factory_.attachments.at({0, "p2"})->inject(
      tagged(frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:07"), 10));
  runner_.step();
  service_->tick();
  json e = fdb();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["port"], "p2");
  EXPECT_EQ(e[0]["vlan"], 10);

  // p1 goes, so p2 becomes port index 0: the entry learned at index 1 is stale.
  auto next = parse(kBase);
  next.ports.erase(next.ports.begin());
  next.networks[0].attachments.erase(next.networks[0].attachments.begin());
  apply_ok(next);
  EXPECT_EQ(fdb(), json::array());
  // Learning starts again on the new ports.
  factory_.attachments.at({0, "p2"})->inject(
      tagged(frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:07"), 10));
  runner_.step();
  service_->tick();
  e = fdb();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["port"], "p2");
}

}  // namespace
}  // namespace vgw::control
