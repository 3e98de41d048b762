// The neighbour table (neighbor.h): bindings per network, origins that learning
// may not overwrite, growth keeping every binding, ageing, flush, and the
// control-plane API over it (Dataplane::neighbor_add/remove/read_neighbors).
#include "dataplane/neighbor.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

NeighborKey key(uint32_t net, const char* a) {
  return NeighborKey::make(net, ip(a));
}

TEST(NeighborTable, SetLookupRemove) {
  NeighborTable t(16);
  EXPECT_FALSE(t.lookup(key(1, "10.0.0.1")));
  EXPECT_TRUE(t.set(key(1, "10.0.0.1"), kH1, NeighborOrigin::kSnooped, 5));
  EXPECT_EQ(t.lookup(key(1, "10.0.0.1")), kH1.to_u64());
  EXPECT_FALSE(t.lookup(key(2, "10.0.0.1")));  // another network
  EXPECT_FALSE(t.lookup(key(1, "10.0.0.2")));
  // The IPv6 address with the same first bytes is another key.
  EXPECT_FALSE(t.lookup(NeighborKey::make(1, ip("a00:1::"))));
  EXPECT_FALSE(t.set(key(1, "10.0.0.1"), kH1, NeighborOrigin::kSnooped, 6));  // same MAC
  EXPECT_TRUE(t.set(key(1, "10.0.0.1"), kH2, NeighborOrigin::kSnooped, 7));
  EXPECT_EQ(t.lookup(key(1, "10.0.0.1")), kH2.to_u64());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.remove(key(1, "10.0.0.1")));
  EXPECT_FALSE(t.remove(key(1, "10.0.0.1")));
  EXPECT_FALSE(t.lookup(key(1, "10.0.0.1")));
  EXPECT_EQ(t.size(), 0u);
  // A removed key comes back in its slot.
  EXPECT_TRUE(t.set(key(1, "10.0.0.1"), kH3, NeighborOrigin::kRouter, 8));
  EXPECT_EQ(t.lookup(key(1, "10.0.0.1")), kH3.to_u64());
}

TEST(NeighborTable, LearningNeverOverwritesEvpnOrStatic) {
  NeighborTable t;
  ASSERT_TRUE(t.set(key(1, "10.0.0.1"), kH1, NeighborOrigin::kEvpn, 1));
  EXPECT_FALSE(t.set(key(1, "10.0.0.1"), kH2, NeighborOrigin::kSnooped, 2));
  EXPECT_FALSE(t.set(key(1, "10.0.0.1"), kH2, NeighborOrigin::kRouter, 2));
  EXPECT_EQ(t.lookup(key(1, "10.0.0.1")), kH1.to_u64());
  EXPECT_TRUE(t.set(key(1, "10.0.0.1"), kH2, NeighborOrigin::kStatic, 3));
  EXPECT_EQ(t.get(key(1, "10.0.0.1"))->origin, NeighborOrigin::kStatic);
}

TEST(NeighborTable, GrowsKeepingEveryBinding) {
  NeighborTable t(16);
  for (uint32_t i = 0; i < 5000; ++i)
    t.set(NeighborKey::make(i % 7, IpAddress::v4(0x0a000000u + i)), MacAddress::from_u64(i + 1),
          NeighborOrigin::kSnooped, 1);
  EXPECT_EQ(t.size(), 5000u);
  for (uint32_t i = 0; i < 5000; ++i)
    ASSERT_EQ(t.lookup(NeighborKey::make(i % 7, IpAddress::v4(0x0a000000u + i))), i + 1) << i;
  EXPECT_EQ(t.entries().size(), 5000u);
}

TEST(NeighborTable, AgesLearnedBindingsOnly) {
  NeighborTable t;
  t.set(key(1, "10.0.0.1"), kH1, NeighborOrigin::kSnooped, 100);
  t.set(key(1, "10.0.0.2"), kH2, NeighborOrigin::kRouter, 350);
  t.set(key(1, "10.0.0.3"), kH3, NeighborOrigin::kEvpn, 100);
  t.set(key(2, "10.0.0.1"), kH1, NeighborOrigin::kSnooped, 100);
  // Network 2 never ages; network 1 after 300 s.
  auto max_age = [](uint32_t net) -> uint32_t { return net == 1 ? 300 : 0; };
  EXPECT_EQ(t.age(400, max_age), 0u);
  EXPECT_EQ(t.age(401, max_age), 1u);
  EXPECT_FALSE(t.lookup(key(1, "10.0.0.1")));
  EXPECT_TRUE(t.lookup(key(1, "10.0.0.2")));
  EXPECT_TRUE(t.lookup(key(1, "10.0.0.3")));
  EXPECT_TRUE(t.lookup(key(2, "10.0.0.1")));
  EXPECT_EQ(t.flush_network(1), 2u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(NeighborApi, AddRemoveAndShow) {
  Harness h;
  EXPECT_TRUE(h.dp.neighbor_add("web", ip("10.0.0.9"), kH2, "evpn"));
  EXPECT_TRUE(h.dp.neighbor_add("db", ip("2001:db8::9"), kH3, "static"));
  auto bad = h.dp.neighbor_add("nope", ip("10.0.0.9"), kH2, "evpn");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "neighbor[10.0.0.9].network: no network named nope");
  bad = h.dp.neighbor_add("web", ip("10.0.0.9"), kH2, "magic");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "neighbor[10.0.0.9].origin: magic is not snooped|router|evpn|static");
  EXPECT_FALSE(h.dp.neighbor_add("web", ip("10.0.0.9"), kBroadcast, "evpn"));
  h.now += 40;
  auto n = h.dp.read_neighbors();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].network, "db");
  EXPECT_EQ(n[0].ip, ip("2001:db8::9"));
  EXPECT_EQ(n[0].origin, "static");
  EXPECT_EQ(n[0].state, "permanent");
  EXPECT_EQ(n[0].age, 40u);
  EXPECT_EQ(n[1].network, "web");
  EXPECT_EQ(n[1].tenant, "blue");
  EXPECT_EQ(n[1].mac, kH2);
  EXPECT_TRUE(h.dp.neighbor_remove("web", ip("10.0.0.9")));
  EXPECT_FALSE(h.dp.neighbor_remove("web", ip("10.0.0.9")));
  EXPECT_EQ(h.dp.read_neighbors().size(), 1u);
}

TEST(NeighborApi, SnoopedBindingsAgeWithTheNetwork) {
  config::Config c = base_config();
  c.networks[0].ageing = 60;
  Harness h(c);
  // h1 announces itself (gratuitous ARP): a snooped binding in web.
  h.send_local(0, PacketBuilder()
                      .eth(kBroadcast, kH1)
                      .arp_request(kH1, ip("10.0.0.1"), ip("10.0.0.1"))
                      .build());
  auto n = h.dp.read_neighbors();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].origin, "snooped");
  EXPECT_EQ(n[0].state, "reachable");
  h.now += 31;
  EXPECT_EQ(h.dp.read_neighbors()[0].state, "stale");
  h.now += 30;
  h.dp.age_slice();
  EXPECT_TRUE(h.dp.read_neighbors().empty());
}

}  // namespace
}  // namespace vgw::dataplane::testing
