// `show routes` / `show arp` through the dispatcher (issue 3): the filter
// arguments reach the operation exactly, bad arguments are answered naming
// args.<field>, and the operation's errors come back as the protocol's errors.
#include <gtest/gtest.h>

#include "api/dispatcher.h"
#include "fake_operations.h"

namespace vgw::api {
namespace {

using nlohmann::json;

class RouterShowTest : public ::testing::Test {
 protected:
  json line(const std::string& l) { return json::parse(d_.handle_line(l)); }
  testing::FakeOperations ops_;
  Dispatcher d_{ops_};
};

TEST_F(RouterShowTest, RoutesAndArpReturnTheOperationsData) {
  EXPECT_EQ(line(R"({"cmd":"show","what":"routes"})"),
            json::parse(R"({"ok":true,"data":[{"router":"r","prefix":"10.0.0.0/24"}]})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"arp"})"),
            json::parse(R"({"ok":true,"data":[{"ip":"10.0.0.1","mac":"02:00:00:00:00:01"}]})"));
}

TEST_F(RouterShowTest, FiltersReachTheOperation) {
  line(R"({"cmd":"show","what":"routes","args":{"tenant":"blue"}})");
  line(R"({"cmd":"show","what":"arp","args":{"tenant":"red","network":"web"}})");
  line(R"({"cmd":"show","what":"arp","args":{}})");
  ASSERT_EQ(ops_.router_filters.size(), 3u);
  EXPECT_EQ(ops_.router_filters[0].tenant, "blue");
  EXPECT_EQ(ops_.router_filters[0].network, "");
  EXPECT_EQ(ops_.router_filters[1].tenant, "red");
  EXPECT_EQ(ops_.router_filters[1].network, "web");
  EXPECT_EQ(ops_.router_filters[2].tenant, "");
  EXPECT_EQ(ops_.router_filters[2].network, "");
}

TEST_F(RouterShowTest, BadArgumentsAndOperationErrors) {
  EXPECT_EQ(line(R"({"cmd":"show","what":"routes","args":{"vrf":"x"}})"),
            json::parse(R"({"ok":false,"error":"args.vrf: unknown argument for show routes"})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"arp","args":{"network":100}})")["error"],
            "args.network: must be a string");
  EXPECT_EQ(line(R"({"cmd":"show","what":"routes","args":{"tenant":"nope"}})"),
            json::parse(R"({"ok":false,"error":"tenant nope: no such tenant"})"));
  EXPECT_EQ(line(R"({"cmd":"show","what":"arp","args":{"network":"nope"}})")["error"],
            "network nope: no such network");
  EXPECT_EQ(line(R"({"cmd":"show","what":"arp","args":[1]})")["error"], "args: must be an object");
  EXPECT_TRUE(ops_.router_filters.empty());
}

}  // namespace
}  // namespace vgw::api
