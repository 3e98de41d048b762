// The consistency checker (control/check.h) on `show` answers: a consistent
// system has no findings; each planted inconsistency is reported once, by kind.
#include "control/check.h"

#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "dataplane/router_table.h"

namespace vgw::control {
namespace {

using nlohmann::json;

// web (VNI 100) on p1 untagged, head-end to 192.0.2.1, a static MAC on p1.
CheckInput consistent() {
  CheckInput in;
  in.config = {
      {"networks",
       {{{"name", "web"},
         {"vni", 100},
         {"flood", "head-end"},
         {"remotes", {"192.0.2.1"}},
         {"attachments", {{{"port", "p1"}, {"vlan", 0}}}},
         {"macs",
          {{{"mac", "02:00:00:00:00:05"}, {"remote", nullptr}, {"port", "p1"}, {"vlan", 0}}}}}}}};
  in.networks = {{{"name", "web"},
                  {"vni", 100},
                  {"flood", "head-end"},
                  {"remotes", {"192.0.2.1"}},
                  {"attachments", {{{"port", "p1"}, {"vlan", 0}}}}}};
  in.vteps = {{"remotes", {{{"address", "192.0.2.1"}, {"origin", "static"}}}}};
  auto entry = [](const char* mac, const char* type, json port, json remote) {
    return json{{"network", "web"}, {"vni", 100},
                {"mac", mac},       {"type", type},
                {"port", port},     {"vlan", port.is_null() ? json(nullptr) : json(0)},
                {"remote", remote}};
  };
  in.fdb = {entry("02:00:00:00:00:01", "local", "p1", nullptr),
            entry("02:00:00:00:00:02", "remote", nullptr, "192.0.2.1"),
            entry("02:00:00:00:00:05", "static", "p1", nullptr)};
  return in;
}

std::set<std::pair<std::string, std::string>> kinds(const json& r) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& f : r["findings"])
    out.emplace(f["kind"].get<std::string>(), f["object"].get<std::string>());
  return out;
}

using Kinds = std::set<std::pair<std::string, std::string>>;

TEST(Check, ConsistentSystemHasNoFindings) {
  json r = check(consistent());
  EXPECT_TRUE(r["consistent"].get<bool>()) << r.dump(2);
  EXPECT_EQ(r["findings"], json::array());
  EXPECT_EQ(r["checked"]["networks"], 1);
  EXPECT_EQ(r["checked"]["fdb_entries"], 3);
  EXPECT_EQ(r["checked"]["flood_members"], 1);
}

TEST(Check, EvpnOwnedMacWithoutRouteAndUnexplainedFloodMember) {
  CheckInput in = consistent();
  in.vteps["remotes"].push_back({{"address", "192.0.2.9"}, {"origin", "evpn"}});
  in.networks[0]["remotes"].push_back("192.0.2.9");
  in.fdb.push_back({{"network", "web"},
                    {"mac", "02:00:00:00:00:09"},
                    {"type", "evpn"},
                    {"port", nullptr},
                    {"vlan", nullptr},
                    {"remote", "192.0.2.9"}});
  in.evpn_routes = json::array();
  EXPECT_EQ(kinds(check(in)), (Kinds{{"evpn_mac_without_route", "fdb 02:00:00:00:00:09 (evpn)"},
                                     {"flood_member_unexplained", "flood member 192.0.2.9"}}));
  // With the routes in the RIB the same state is consistent.
  in.evpn_routes = {{{"type", 2},
                     {"mac", "02:00:00:00:00:09"},
                     {"vni", 100},
                     {"source", "192.0.2.9"},
                     {"next_hop", "192.0.2.9"},
                     {"imported", {100}}},
                    {{"type", 3},
                     {"originator", "192.0.2.9"},
                     {"vni", 100},
                     {"source", "192.0.2.9"},
                     {"next_hop", "192.0.2.9"},
                     {"pmsi_endpoint", "192.0.2.9"},
                     {"imported", {100}}}};
  EXPECT_EQ(check(in)["findings"], json::array());
}

TEST(Check, RouteNotInstalledAndFloodMemberMissing) {
  CheckInput in = consistent();
  in.evpn_routes = {{{"type", 2},
                     {"mac", "02:00:00:00:00:0a"},
                     {"vni", 100},
                     {"source", "192.0.2.7"},
                     {"next_hop", "192.0.2.7"}},
                    {{"type", 3},
                     {"originator", "192.0.2.7"},
                     {"vni", 100},
                     {"source", "192.0.2.7"},
                     {"next_hop", "192.0.2.7"}},
                    // Ours (source local) and a VNI we do not serve: no finding.
                    {{"type", 2}, {"mac", "02:00:00:00:00:01"}, {"vni", 100}, {"source", "local"}},
                    {{"type", 2}, {"mac", "02:00:00:00:00:0b"}, {"vni", 999}, {"source", "x"}}};
  EXPECT_EQ(kinds(check(in)), (Kinds{{"evpn_route_not_installed", "fdb 02:00:00:00:00:0a"},
                                     {"flood_member_missing", "flood member 192.0.2.7"}}));
}

TEST(Check, ConfigurationVersusInstalled) {
  CheckInput in = consistent();
  in.networks[0]["vni"] = 101;
  in.networks[0]["remotes"] = json::array();
  in.networks[0]["attachments"].push_back({{"port", "p2"}, {"vlan", 7}});
  in.networks.push_back({{"name", "ghost"}, {"vni", 5}, {"flood", "none"}});
  EXPECT_EQ(kinds(check(in)), (Kinds{{"network_vni_mismatch", "network web"},
                                     {"flood_member_missing", "flood member 192.0.2.1"},
                                     {"attachment_unexpected", "attachment p2/7"},
                                     {"network_unexpected", "network ghost"}}));
}

TEST(Check, FdbEntriesThatPointNowhere) {
  CheckInput in = consistent();
  in.fdb[0]["port"] = "p9";             // local entry off every attachment
  in.fdb[1]["remote"] = "192.0.2.200";  // a remote nobody has
  in.fdb[2]["type"] = "local";          // the static MAC overwritten
  in.fdb.push_back({{"network", "gone"},
                    {"mac", "02:00:00:00:00:0c"},
                    {"type", "local"},
                    {"port", "p1"},
                    {"vlan", 0},
                    {"remote", nullptr}});
  EXPECT_EQ(kinds(check(in)), (Kinds{{"fdb_port_not_attached", "fdb 02:00:00:00:00:01 (local)"},
                                     {"fdb_remote_unknown", "fdb 02:00:00:00:00:02 (remote)"},
                                     {"static_mac_missing", "fdb 02:00:00:00:00:05"},
                                     {"fdb_network_unknown", "fdb 02:00:00:00:00:0c (local)"}}));
}

TEST(Check, StaticMacMissingFromTheFdb) {
  CheckInput in = consistent();
  in.fdb.erase(2);
  EXPECT_EQ(kinds(check(in)), (Kinds{{"static_mac_missing", "fdb 02:00:00:00:00:05"}}));
}

TEST(Check, MistypedInputIsTreatedAsEmpty) {
  CheckInput in;
  in.config = 5;
  in.fdb = "x";
  json r = check(in);
  EXPECT_TRUE(r["consistent"].get<bool>());
}

// The consistent system plus router blue-rtr with an interface in web (its MAC
// configured) and a static default route, all installed.
CheckInput with_router() {
  CheckInput in = consistent();
  in.config["routers"] = {
      {{"name", "blue-rtr"},
       {"tenant", "blue"},
       {"interfaces",
        {{{"network", "web"}, {"address", "10.0.0.254/24"}, {"mac", "02:00:5e:00:01:01"}}}},
       {"routes", {{{"prefix", "0.0.0.0/0"}, {"via", {"10.0.0.1"}}}}}}};
  in.fdb.push_back({{"network", "web"},
                    {"vni", 100},
                    {"mac", "02:00:5e:00:01:01"},
                    {"type", "router"},
                    {"port", nullptr},
                    {"vlan", nullptr},
                    {"remote", nullptr}});
  in.routes = {{{"router", "blue-rtr"},
                {"tenant", "blue"},
                {"prefix", "0.0.0.0/0"},
                {"source", "static"},
                {"via", {"10.0.0.1"}},
                {"network", "web"}},
               {{"router", "blue-rtr"},
                {"tenant", "blue"},
                {"prefix", "10.0.0.0/24"},
                {"source", "connected"},
                {"via", json::array()},
                {"network", "web"}},
               {{"router", "blue-rtr"},
                {"tenant", "blue"},
                {"prefix", "10.0.0.254/32"},
                {"source", "local"},
                {"via", json::array()},
                {"network", "web"}}};
  in.arp = {{{"tenant", "blue"},
             {"network", "web"},
             {"ip", "10.0.0.1"},
             {"mac", "02:00:00:00:00:01"},
             {"state", "reachable"},
             {"origin", "snooped"},
             {"age", 1}}};
  return in;
}

TEST(Check, RouterMacsRoutesAndNeighboursOfAConsistentRouter) {
  json r = check(with_router());
  EXPECT_TRUE(r["consistent"].get<bool>()) << r.dump(2);
  EXPECT_EQ(r["checked"]["routes"], 3);
  EXPECT_EQ(r["checked"]["neighbors"], 1);
}

TEST(Check, RouterStateInstalledBehindItsBackIsFound) {
  CheckInput in = with_router();
  in.fdb.back()["mac"] = "02:00:5e:00:09:09";   // router MAC replaced
  in.routes[0]["via"] = {"10.0.0.2"};           // static route rewritten
  in.routes.erase(in.routes.begin() + 1);       // connected route lost
  in.routes.push_back({{"router", "blue-rtr"},  // a static route planted
                       {"prefix", "192.0.2.0/24"},
                       {"source", "static"},
                       {"via", {"10.0.0.1"}},
                       {"network", "web"}});
  in.arp.push_back({{"network", "gone"}, {"ip", "10.9.9.9"}, {"mac", "02:00:00:00:09:09"}});
  EXPECT_EQ(kinds(check(in)),
            (Kinds{{"router_mac_missing", "router mac 02:00:5e:00:01:01"},
                   {"router_mac_unexpected", "router mac 02:00:5e:00:09:09"},
                   {"route_next_hops_mismatch", "route 0.0.0.0/0 (static, router blue-rtr)"},
                   {"route_missing", "route 10.0.0.0/24 (connected, router blue-rtr)"},
                   {"route_unexpected", "route 192.0.2.0/24 (static, router blue-rtr)"},
                   {"neighbor_network_unknown", "neighbor 10.9.9.9 02:00:00:00:09:09"}}));
}

TEST(Check, UnconfiguredRouterMacUsesTheDerivedAnycastDefault) {
  CheckInput in = with_router();
  in.config["routers"][0]["interfaces"][0]["mac"] = nullptr;
  json r = check(in);
  ASSERT_EQ(r["findings"].size(), 2u) << r.dump(2);  // configured MAC no longer explained
  in.fdb.back()["mac"] = dataplane::default_router_mac("blue-rtr", "web").to_string();
  EXPECT_TRUE(check(in)["consistent"].get<bool>()) << check(in).dump(2);
}

}  // namespace
}  // namespace vgw::control
