// The controller API of control::Service (operations.h "Controller API"):
// owners, withdrawal, and entries surviving (or not) a configuration apply.
#include <filesystem>

#include <gtest/gtest.h>

#include "config/yaml.h"
#include "control/service.h"
#include "fakes.h"

namespace vgw::control {
namespace {

using nlohmann::json;

const char* kConfig = R"(
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
)";

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dp_ = std::make_unique<dataplane::Dataplane>();
    service_ = std::make_unique<Service>(*dp_, factory_, resolver_, runner_, ServiceOptions{});
    apply(kConfig);
  }
  void apply(const std::string& yaml) {
    auto c = config::parse_yaml(yaml);
    ASSERT_TRUE(c) << c.error().message;
    auto r = service_->apply(*c);
    ASSERT_TRUE(r) << r.error().message;
  }
  json fdb() { return *service_->show_fdb({}); }
  static RemoteMac mac(const std::string& m, const std::string& remote) {
    return {{"web", 0}, *MacAddress::parse(m), *IpAddress::parse(remote)};
  }
  static FloodMember member(const std::string& remote) {
    return {{"", 100}, *IpAddress::parse(remote)};
  }

  testing::MemoryPortFactory factory_;
  testing::FakeResolver resolver_;
  testing::ManualRunner runner_;
  std::unique_ptr<dataplane::Dataplane> dp_;
  std::unique_ptr<Service> service_;
  const Owner api_{Origin::kApi, ""};
  const Owner peer1_{Origin::kEvpn, "192.168.1.1"};
  const Owner peer2_{Origin::kEvpn, "192.168.1.3"};
};

TEST_F(ControllerTest, AnOwnerRemovesOnlyWhatItInstalled) {
  ASSERT_TRUE(service_->add_remote_macs({mac("02:00:00:00:00:01", "10.0.0.1")}, peer1_));
  ASSERT_TRUE(service_->add_remote_macs({mac("02:00:00:00:00:02", "10.0.0.2")}, api_));
  EXPECT_EQ(fdb()[0]["type"], "evpn");
  EXPECT_EQ(fdb()[1]["type"], "api");

  auto r = service_->remove_remote_macs({mac("02:00:00:00:00:01", "0.0.0.0")}, api_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->not_owned, 1u);
  EXPECT_EQ(fdb().size(), 2u);

  // Another peer takes the MAC over (mobility): the first one's withdrawal no longer removes it.
  r = service_->add_remote_macs({mac("02:00:00:00:00:01", "10.0.0.3")}, peer2_);
  EXPECT_EQ(r->replaced, 1u);
  EXPECT_EQ(service_->withdraw_owner(peer1_).removed, 0u);
  EXPECT_EQ(fdb()[0]["remote"], "10.0.0.3");
  EXPECT_EQ(service_->withdraw_owner(peer2_).removed, 1u);
  ASSERT_EQ(fdb().size(), 1u);
  EXPECT_EQ(fdb()[0]["mac"], "02:00:00:00:00:02");
}

TEST_F(ControllerTest, FloodMembersStayUntilTheirLastOwnerLeaves) {
  ASSERT_TRUE(service_->add_flood_members({member("10.0.0.9")}, peer1_));
  ASSERT_TRUE(service_->add_flood_members({member("10.0.0.9")}, peer2_));
  auto remotes = [&] { return service_->show_networks()[0]["remotes"]; };
  EXPECT_EQ(remotes(), json({"192.168.1.1", "10.0.0.9"}));
  EXPECT_EQ(service_->withdraw_owner(peer1_).removed, 1u);
  EXPECT_EQ(remotes(), json({"192.168.1.1", "10.0.0.9"}));
  EXPECT_EQ(service_->remove_flood_members({member("10.0.0.9")}, peer2_)->removed, 1u);
  EXPECT_EQ(remotes(), json({"192.168.1.1"}));
}

TEST_F(ControllerTest, EntriesSurviveAnApplyThatDropsTheirConfiguredRemote) {
  ASSERT_TRUE(service_->add_remote_macs({mac("02:00:00:00:00:01", "192.168.1.1")}, api_));
  ASSERT_TRUE(service_->add_flood_members({member("10.0.0.9")}, api_));
  std::string yaml = kConfig;
  yaml.replace(yaml.find("    remotes: [192.168.1.1]\n"), 27, "    remotes: [192.168.1.4]\n");
  apply(yaml);
  // 192.168.1.1 is no longer configured but the API entry still names it.
  json vteps = service_->show_vteps()["remotes"];
  bool found = false;
  for (const auto& r : vteps)
    if (r["address"] == "192.168.1.1") {
      found = true;
      EXPECT_EQ(r["origin"], "api");
    }
  EXPECT_TRUE(found) << vteps;
  ASSERT_EQ(fdb().size(), 1u);
  EXPECT_EQ(fdb()[0]["remote"], "192.168.1.1");
  EXPECT_EQ(fdb()[0]["type"], "api");
  EXPECT_EQ(service_->show_networks()[0]["remotes"], json({"192.168.1.4", "10.0.0.9"}))
      << "configured list from the new configuration, then the installed members";
}

TEST_F(ControllerTest, RemovingTheNetworkRemovesItsEntriesAndStaticMacsWin) {
  ASSERT_TRUE(service_->add_remote_macs({mac("02:00:00:00:00:01", "10.0.0.1")}, api_));
  std::string with_static =
      std::string(kConfig) + "    macs:\n      - mac: 02:00:00:00:00:01\n        port: p1\n";
  apply(with_static);
  ASSERT_EQ(fdb().size(), 1u);
  EXPECT_EQ(fdb()[0]["type"], "static") << "configuration wins";
  auto r = service_->add_remote_macs({mac("02:00:00:00:00:01", "10.0.0.1")}, api_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "entries[0].mac: 02:00:00:00:00:01 is a static MAC of network web in the "
            "configuration");

  ASSERT_TRUE(service_->add_remote_macs({mac("02:00:00:00:00:02", "10.0.0.1")}, api_));
  std::string no_web = kConfig;
  no_web = no_web.substr(0, no_web.find("networks:")) + "networks: []\n";
  apply(no_web);
  EXPECT_EQ(fdb().size(), 0u);
  EXPECT_EQ(dp_->fdb().size(), 0u);
  EXPECT_EQ(service_->withdraw_owner(api_).removed, 0u) << "already forgotten";
}

}  // namespace
}  // namespace vgw::control
