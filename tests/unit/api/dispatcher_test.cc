#include "api/dispatcher.h"
#include "api/protocol.h"

#include <gtest/gtest.h>

#include "fake_operations.h"

namespace vgw::api {
namespace {

using nlohmann::json;

class DispatcherTest : public ::testing::Test {
 protected:
  json line(const std::string& l) { return json::parse(d_.handle_line(l)); }
  testing::FakeOperations ops_;
  Dispatcher d_{ops_};
};

TEST_F(DispatcherTest, ShowReturnsDataOfEachObject) {
  EXPECT_EQ(line(R"({"cmd":"show","what":"vteps"})"),
            json::parse(R"({"ok":true,"data":{"local":{"udp_port":4789}}})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"networks"})"),
            json::parse(R"({"ok":true,"data":[{"name":"web"}]})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"drops"})"),
            json::parse(R"({"ok":true,"data":[{"reason":"unknown_vni","count":3}]})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"counters"})")["data"]["fdb"]["entries"], 0);
}

TEST_F(DispatcherTest, ShowFdbPassesTheNetworkFilter) {
  EXPECT_EQ(line(R"({"cmd":"show","what":"fdb","args":{"network":"db"}})"),
            json::parse(R"({"ok":true,"data":[{"network":"db"}]})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"fdb"})")["data"][0]["network"], "web");
  EXPECT_EQ(ops_.fdb_filters, (std::vector<std::string>{"db", ""}));
  EXPECT_EQ(line(R"({"cmd":"show","what":"fdb","args":{"network":"nope"}})"),
            json::parse(R"({"ok":false,"error":"network nope: no such network"})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"fdb","args":{"vlan":3}})")["error"],
            "args.vlan: unknown argument for show fdb");
  EXPECT_EQ(line(R"({"cmd":"show","what":"fdb","args":{"network":7}})")["error"],
            "args.network: must be a string");
}

TEST_F(DispatcherTest, ApplyParsesYamlAndReturnsChanges) {
  json r = line(json{{"cmd", "apply"},
                     {"config", "networks:\n  - name: web\n    tenant: blue\n    vni: 100\n"}}
                    .dump());
  EXPECT_EQ(r, json::parse(R"({"ok":true,"changes":["+ applied 1"],"total_changes":1})"));
  ASSERT_EQ(ops_.applied.size(), 1u);
  EXPECT_EQ(ops_.applied[0].networks[0].vni, 100u);
}

TEST_F(DispatcherTest, ApplyErrorsComeBackAsErrors) {
  json r = line(
      json{{"cmd", "apply"}, {"config", "networks:\n  - name: reject\n    tenant: blue\n"}}.dump());
  EXPECT_EQ(r, json::parse(R"({"ok":false,"error":"networks[reject].vni: rejected by the fake"})"));
  // A YAML error is reported by the parser and nothing is applied.
  r = line(
      json{{"cmd", "apply"}, {"config", "networks: [ {name: web, tenant: blue, vni: 16777216} ]"}}
          .dump());
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_NE(r["error"].get<std::string>().find("vni"), std::string::npos) << r.dump();
  EXPECT_TRUE(ops_.applied.empty());
}

TEST(ApiProtocol, LongChangeListsAreCutWithACount) {
  std::vector<std::string> changes;
  for (size_t i = 0; i < kMaxChangesListed + 5; ++i)
    changes.push_back("+ network n" + std::to_string(i));
  json r = ok_changes(changes);
  ASSERT_EQ(r["changes"].size(), kMaxChangesListed + 1);
  EXPECT_EQ(r["changes"][kMaxChangesListed - 1],
            "+ network n" + std::to_string(kMaxChangesListed - 1));
  EXPECT_EQ(r["changes"].back(), "... and 5 more changes");
  EXPECT_EQ(r["total_changes"], kMaxChangesListed + 5);
}

TEST_F(DispatcherTest, DiffDoesNotApply) {
  json r = line(
      json{{"cmd", "diff"}, {"config", "networks:\n  - name: web\n    tenant: blue\n    vni: 1\n"}}
          .dump());
  EXPECT_EQ(r, json::parse(R"({"ok":true,"changes":["~ diff 1"],"total_changes":1})"));
  EXPECT_TRUE(ops_.applied.empty());
}

TEST_F(DispatcherTest, BadRequestsAreAnsweredWithErrors) {
  EXPECT_EQ(line("{not json")["ok"], false);
  EXPECT_EQ(line("{not json")["error"].get<std::string>().rfind("malformed JSON request", 0), 0u);
  EXPECT_EQ(line("[1,2]")["error"], "request: must be a JSON object");
  EXPECT_EQ(line("{}")["error"], "cmd: missing or not a string");
  EXPECT_EQ(line(R"({"cmd":"reboot"})")["error"],
            "cmd: unknown command 'reboot' (expected show, apply, diff, fdb_add, fdb_remove, "
            "flood_add, flood_remove, trace, check or capture)");
  EXPECT_EQ(line(R"({"cmd":"show"})")["error"], "what: missing or not a string");
  EXPECT_EQ(line(R"({"cmd":"show","what":"route"})")["error"],
            "what: unknown object 'route' (expected vteps, networks, fdb, routes, arp, counters, "
            "drops or config)");
  EXPECT_EQ(line(R"({"cmd":"show","what":"vteps","args":5})")["error"], "args: must be an object");
  EXPECT_EQ(line(R"({"cmd":"apply"})")["error"], "config: missing or not a string (YAML text)");
  EXPECT_EQ(line(R"({"cmd":"apply","config":7})")["error"],
            "config: missing or not a string (YAML text)");
}

}  // namespace
}  // namespace vgw::api
