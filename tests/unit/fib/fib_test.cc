// The tenant routing table: sources and their preference, next-hop groups and ECMP
// selection, `show routes`, and a reader running while new versions are published.
#include "fib/fib.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <thread>

namespace vgw::fib {
namespace {

IpPrefix pfx(const char* s) {
  return *IpPrefix::parse(s);
}
IpAddress addr(const char* s) {
  return *IpAddress::parse(s);
}

std::unique_ptr<const FibTable> build(const Fib& fib) {
  auto t = fib.build();
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
  return t ? std::move(*t) : nullptr;
}

// The next hop for `dst` as iproute2 words it, or "unreachable".
std::string route_to(const FibTable& t, const char* dst, uint32_t hash = 0) {
  const NextHop* n = t.lookup(addr(dst), hash);
  return n ? n->to_string() : "unreachable";
}

TEST(Fib, ConnectedBeatsStaticBeatsEvpn) {
  Fib fib("blue");
  ASSERT_TRUE(
      fib.add_route(pfx("10.0.0.0/24"), RouteSource::kEvpn, {NextHop::via(addr("192.0.2.9"), 9)}));
  ASSERT_TRUE(fib.add_route(pfx("10.0.0.0/24"), RouteSource::kStatic,
                            {NextHop::via(addr("192.0.2.1"), 2)}));
  ASSERT_TRUE(fib.add_route(pfx("10.0.0.0/24"), RouteSource::kConnected, {NextHop::connected(1)}));
  EXPECT_EQ(route_to(*build(fib), "10.0.0.7"), "dev 1");
  ASSERT_TRUE(fib.remove_route(pfx("10.0.0.0/24"), RouteSource::kConnected));
  EXPECT_EQ(route_to(*build(fib), "10.0.0.7"), "via 192.0.2.1 dev 2");
  ASSERT_TRUE(fib.remove_route(pfx("10.0.0.0/24"), RouteSource::kStatic));
  EXPECT_EQ(route_to(*build(fib), "10.0.0.7"), "via 192.0.2.9 dev 9");
  ASSERT_TRUE(fib.remove_route(pfx("10.0.0.0/24"), RouteSource::kEvpn));
  EXPECT_EQ(route_to(*build(fib), "10.0.0.7"), "unreachable");
  EXPECT_EQ(fib.size_v4(), 0u);
  EXPECT_EQ(fib.group_count(), 0u);
}

TEST(Fib, RemovingASpecificRouteRestoresTheCoveringOne) {
  Fib fib;
  ASSERT_TRUE(fib.add_route(pfx("0.0.0.0/0"), RouteSource::kStatic,
                            {NextHop::via(addr("203.0.113.1"), 5)}));
  ASSERT_TRUE(fib.add_route(pfx("10.1.0.0/16"), RouteSource::kStatic, {NextHop::drop()}));
  ASSERT_TRUE(fib.add_route(pfx("10.1.2.3/32"), RouteSource::kConnected, {NextHop::local()}));
  auto t = build(fib);
  EXPECT_EQ(route_to(*t, "8.8.8.8"), "via 203.0.113.1 dev 5");
  EXPECT_EQ(route_to(*t, "10.1.2.3"), "local");
  EXPECT_EQ(route_to(*t, "10.1.2.4"), "blackhole");
  ASSERT_TRUE(fib.remove_route(pfx("10.1.0.0/16"), RouteSource::kStatic));
  t = build(fib);
  EXPECT_EQ(route_to(*t, "10.1.2.4"), "via 203.0.113.1 dev 5");
  EXPECT_EQ(route_to(*t, "10.1.2.3"), "local");
  // The old snapshot is untouched by later changes.
  auto before = build(fib);
  ASSERT_TRUE(fib.remove_route(pfx("10.1.2.3/32"), RouteSource::kConnected));
  EXPECT_EQ(route_to(*before, "10.1.2.3"), "local");
  EXPECT_EQ(route_to(*build(fib), "10.1.2.3"), "via 203.0.113.1 dev 5");
  EXPECT_GT(build(fib)->version(), before->version());
}

TEST(Fib, RejectsBadRoutesNamingThem) {
  Fib fib("red");
  auto host = fib.add_route(pfx("10.0.0.1/24"), RouteSource::kStatic, {NextHop::drop()});
  ASSERT_FALSE(host);
  EXPECT_EQ(host.error().message, "fib red: route 10.0.0.1/24 (static): host bits set");
  auto none = fib.add_route(pfx("10.0.0.0/24"), RouteSource::kStatic, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "fib red: route 10.0.0.0/24 (static): no next hops");
  auto mixed = fib.add_route(pfx("10.0.0.0/24"), RouteSource::kStatic,
                             {NextHop::local(), NextHop::connected(1)});
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().message,
            "fib red: route 10.0.0.0/24 (static): local cannot share a group with other next hops");
  auto nogw = fib.add_route(pfx("10.0.0.0/24"), RouteSource::kStatic, {NextHop::via(IpAddress())});
  ASSERT_FALSE(nogw);
  auto v6host = fib.add_route(pfx("2001:db8::1/64"), RouteSource::kStatic, {NextHop::drop()});
  ASSERT_FALSE(v6host);
  auto missing = fib.remove_route(pfx("10.0.0.0/24"), RouteSource::kStatic);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "fib red: route 10.0.0.0/24 (static): no such route");
  EXPECT_EQ(fib.size_v4() + fib.size_v6(), 0u);
  EXPECT_EQ(fib.group_count(), 0u);
}

TEST(Fib, EqualNextHopListsShareOneGroup) {
  Fib fib;
  auto a = NextHop::via(addr("192.0.2.1"), 1), b = NextHop::via(addr("192.0.2.2"), 1);
  for (int i = 0; i < 100; ++i) {
    IpPrefix p{IpAddress::v4(0x0a000000u | (static_cast<uint32_t>(i) << 8)), 24};
    ASSERT_TRUE(
        fib.add_route(p, RouteSource::kEvpn, i % 2 ? std::vector{a, b} : std::vector{b, a}));
  }
  EXPECT_EQ(fib.group_count(), 1u);
  ASSERT_TRUE(fib.add_route(pfx("10.0.0.0/24"), RouteSource::kEvpn, {a}));  // replaces
  EXPECT_EQ(fib.group_count(), 2u);
  EXPECT_EQ(fib.remove_source(RouteSource::kEvpn), 100u);
  EXPECT_EQ(fib.group_count(), 0u);
  EXPECT_EQ(fib.size_v4(), 0u);
}

TEST(Fib, EcmpSpreadsFlowsEvenlyAndKeepsEachFlowOnItsHop) {
  Fib fib;
  std::vector<NextHop> hops;
  for (uint32_t i = 0; i < 4; ++i) hops.push_back(NextHop::connected(i));
  ASSERT_TRUE(fib.add_route(pfx("0.0.0.0/0"), RouteSource::kStatic, hops));
  auto t = build(fib);
  std::mt19937 rng(42);
  std::array<int, 4> count{};
  std::vector<uint32_t> chosen;
  constexpr int kFlows = 100000;
  for (int i = 0; i < kFlows; ++i) {
    uint32_t h = rng();
    const NextHop* n = t->lookup_v4(0x01020304, h);
    ASSERT_NE(n, nullptr);
    ++count[n->interface];
    chosen.push_back(n->interface);
  }
  for (int c : count) {
    EXPECT_GT(c, kFlows / 4 * 97 / 100);
    EXPECT_LT(c, kFlows / 4 * 103 / 100);
  }
  // Same flow, same hop: in this snapshot, in a rebuilt one, and with the hops given
  // in another order.
  std::reverse(hops.begin(), hops.end());
  ASSERT_TRUE(fib.add_route(pfx("0.0.0.0/0"), RouteSource::kStatic, hops));
  auto t2 = build(fib);
  rng.seed(42);
  for (int i = 0; i < kFlows; ++i) {
    uint32_t h = rng();
    ASSERT_EQ(t->lookup_v4(0x01020304, h)->interface, chosen[i]);
    ASSERT_EQ(t2->lookup_v4(0x01020304, h)->interface, chosen[i]);
  }
  uint32_t g = t2->group_v4(0x01020304);
  ASSERT_EQ(t2->group(g).size(), 4u);
  EXPECT_EQ(t2->select(g, 0)->interface, 0u);
  EXPECT_EQ(t2->select(kNoRoute, 0), nullptr);
  // Flows whose hashes share their top bits (as they do when they share a VXLAN
  // source port range) still spread over every next hop.
  std::array<int, 4> top{};
  for (uint32_t i = 0; i < 4000; ++i) ++top[t2->select(g, 0xc0000000u | i * 0x1001u)->interface];
  for (int c : top) EXPECT_GT(c, 800);
}

TEST(Fib, GatewayTakesTheInterfaceOfItsConnectedRoute) {
  Fib fib;
  ASSERT_TRUE(fib.add_route(pfx("192.0.2.0/24"), RouteSource::kConnected, {NextHop::connected(3)}));
  ASSERT_TRUE(
      fib.add_route(pfx("2001:db8:1::/64"), RouteSource::kConnected, {NextHop::connected(4)}));
  ASSERT_TRUE(
      fib.add_route(pfx("0.0.0.0/0"), RouteSource::kStatic, {NextHop::via(addr("192.0.2.1"))}));
  ASSERT_TRUE(fib.add_route(pfx("10.9.0.0/16"), RouteSource::kStatic,
                            {NextHop::via(addr("198.51.100.1"))}));
  ASSERT_TRUE(
      fib.add_route(pfx("::/0"), RouteSource::kStatic, {NextHop::via(addr("2001:db8:1::1"))}));
  auto t = build(fib);
  EXPECT_EQ(route_to(*t, "8.8.8.8"), "via 192.0.2.1 dev 3");
  // 198.51.100.1 is reached only through the default route: not on-link, unresolved.
  const NextHop* n = t->lookup(addr("10.9.1.1"), 0);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->interface, kAnyInterface);
  EXPECT_EQ(route_to(*t, "2001:db8:ffff::1"), "via 2001:db8:1::1 dev 4");
  // The Fib itself keeps what was configured.
  auto routes = fib.routes();
  ASSERT_EQ(routes.size(), 5u);
  EXPECT_EQ(routes[0].hops[0].to_string(), "via 192.0.2.1");
}

TEST(Fib, Ipv6LongestMatch) {
  Fib fib;
  ASSERT_TRUE(fib.add_route(pfx("2001:db8::/32"), RouteSource::kStatic, {NextHop::connected(1)}));
  ASSERT_TRUE(
      fib.add_route(pfx("2001:db8:0:1::/64"), RouteSource::kConnected, {NextHop::connected(2)}));
  ASSERT_TRUE(
      fib.add_route(pfx("2001:db8:0:1::1/128"), RouteSource::kConnected, {NextHop::local()}));
  auto t = build(fib);
  EXPECT_EQ(route_to(*t, "2001:db8:0:1::1"), "local");
  EXPECT_EQ(route_to(*t, "2001:db8:0:1::2"), "dev 2");
  EXPECT_EQ(route_to(*t, "2001:db8:5::1"), "dev 1");
  EXPECT_EQ(route_to(*t, "2001:db9::1"), "unreachable");
  // IPv4 and IPv6 do not see each other's routes.
  EXPECT_EQ(route_to(*t, "32.1.13.184"), "unreachable");
}

TEST(Fib, ShowRoutesListsEverySourceInOrder) {
  Fib fib;
  ASSERT_TRUE(fib.add_route(pfx("2001:db8::/32"), RouteSource::kStatic, {NextHop::drop()}));
  ASSERT_TRUE(
      fib.add_route(pfx("10.0.0.0/24"), RouteSource::kEvpn,
                    {NextHop::via(addr("192.0.2.2"), 1), NextHop::via(addr("192.0.2.1"), 1)}));
  ASSERT_TRUE(fib.add_route(pfx("10.0.0.0/24"), RouteSource::kConnected, {NextHop::connected(7)}));
  ASSERT_TRUE(fib.add_route(pfx("10.0.0.0/8"), RouteSource::kStatic, {NextHop::drop()}));
  auto r = fib.routes();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].prefix.to_string(), "10.0.0.0/8");
  EXPECT_EQ(r[1].prefix.to_string(), "10.0.0.0/24");
  EXPECT_EQ(r[1].source, RouteSource::kConnected);
  EXPECT_TRUE(r[1].active);
  EXPECT_EQ(r[2].source, RouteSource::kEvpn);
  EXPECT_FALSE(r[2].active);
  ASSERT_EQ(r[2].hops.size(), 2u);
  EXPECT_EQ(r[2].hops[0].to_string(), "via 192.0.2.1 dev 1");  // sorted
  EXPECT_EQ(r[3].prefix.to_string(), "2001:db8::/32");
  EXPECT_EQ(std::string(to_string(r[3].source)), "static");
  auto t = build(fib);
  EXPECT_EQ(t->group_v4(0x0a000001), r[1].group);
}

// Random routes from all three sources, half of them removed again, against a
// model: per prefix the best remaining source, and the longest such prefix wins.
TEST(Fib, RandomAddsAndRemovesMatchAModel) {
  Fib fib;
  std::mt19937_64 rng(11);
  std::map<std::pair<uint32_t, unsigned>, std::array<int, kRouteSources>> model;  // -> interface
  std::vector<std::tuple<IpPrefix, RouteSource>> added;
  for (int i = 0; i < 6000; ++i) {
    unsigned len = rng() % 33;
    uint32_t a = static_cast<uint32_t>(rng()) & (len ? ~uint32_t{0} << (32 - len) : 0);
    auto src = static_cast<RouteSource>(rng() % kRouteSources);
    int dev = i;
    IpPrefix p{IpAddress::v4(a), static_cast<uint8_t>(len)};
    ASSERT_TRUE(fib.add_route(p, src, {NextHop::connected(static_cast<uint32_t>(dev))}));
    auto& m = model.try_emplace({a, len}, std::array<int, kRouteSources>{-1, -1, -1}).first->second;
    m[static_cast<size_t>(src)] = dev;
    added.emplace_back(p, src);
  }
  std::shuffle(added.begin(), added.end(), rng);
  for (size_t i = 0; i < added.size() / 2; ++i) {
    auto [p, src] = added[i];
    auto& m = model.at({p.addr.v4_host(), p.len});
    if (m[static_cast<size_t>(src)] < 0) continue;  // added twice, already removed
    ASSERT_TRUE(fib.remove_route(p, src));
    m[static_cast<size_t>(src)] = -1;
  }
  auto expect = [&](uint32_t dst) {
    for (int len = 32; len >= 0; --len) {
      uint32_t masked = len ? dst & (~uint32_t{0} << (32 - len)) : 0;
      auto it = model.find({masked, static_cast<unsigned>(len)});
      if (it == model.end()) continue;
      for (int dev : it->second)
        if (dev >= 0) return dev;
    }
    return -1;
  };
  auto t = build(fib);
  std::vector<uint32_t> starts;
  for (const auto& [k, m] : model) starts.push_back(k.first);
  for (int i = 0; i < 100000; ++i) {
    uint32_t dst = static_cast<uint32_t>(rng());
    if (i % 2) dst = starts[rng() % starts.size()] | (dst & 0xff);
    const NextHop* n = t->lookup_v4(dst, 0);
    ASSERT_EQ(n ? static_cast<int>(n->interface) : -1, expect(dst)) << "dst " << dst;
  }
}

// A worker reads the published table while the control thread builds and swaps new
// versions. Every version points all routes at one interface (its version number),
// so a reader that ever saw a mix would have seen a half-built table.
TEST(Fib, ReaderSeesWholeVersionsWhileNewOnesArePublished) {
  std::atomic<std::shared_ptr<const FibTable>> published;
  auto make = [](uint32_t version) {
    Fib fib;
    for (uint32_t i = 0; i < 4096; ++i) {
      IpPrefix p{IpAddress::v4(0x0a000000u | i << 8), 24};
      EXPECT_TRUE(fib.add_route(p, RouteSource::kStatic, {NextHop::connected(version)}));
    }
    auto t = fib.build();
    return std::shared_ptr<const FibTable>(std::move(*t));
  };
  published.store(make(0));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, torn{0};
  std::thread reader([&] {
    std::mt19937 rng(7);
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      auto t = published.load();
      const NextHop* first = t->lookup_v4(0x0a000001, 0);
      for (int i = 0; i < 256; ++i, ++n) {
        const NextHop* h = t->lookup_v4(0x0a000000u | (rng() & 0xfffff), rng());
        if (!h || h->interface != first->interface) ++torn;
      }
    }
    lookups = n;
  });
  for (uint32_t v = 1; v <= 30; ++v) published.store(make(v));
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(lookups.load(), 0u);
  EXPECT_EQ(published.load()->lookup_v4(0x0a0fff01, 0)->interface, 30u);
}

}  // namespace
}  // namespace vgw::fib
