// Poptrie against a reference longest-prefix match (one hash map per prefix length,
// probed from the longest), over random tables of every prefix length, and the
// edge cases by hand.
#include "fib/poptrie.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <unordered_map>

namespace vgw::fib {
namespace {

using P4 = Poptrie<uint32_t>;
using P6 = Poptrie<Uint128>;

uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

P4 build4(std::vector<P4::Entry> routes, unsigned direct_bits = 0) {
  auto t = P4::build(std::move(routes), direct_bits);
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
  return t ? std::move(*t) : P4();
}

template <typename K>
class Reference {
 public:
  static constexpr unsigned kBits = KeyTraits<K>::kBits;
  void add(K prefix, unsigned len, uint32_t v) { by_len_[len][prefix] = v; }
  uint32_t lookup(K key) const {
    for (int len = kBits; len >= 0; --len) {
      K masked = len == 0 ? K{0} : static_cast<K>(key & (~K{0} << (kBits - len)));
      auto it = by_len_[len].find(masked);
      if (it != by_len_[len].end()) return it->second;
    }
    return kNoRoute;
  }

 private:
  struct Hash {
    size_t operator()(K k) const {
      return static_cast<size_t>(k) ^ static_cast<size_t>(static_cast<Uint128>(k) >> 64) * 31;
    }
  };
  std::array<std::unordered_map<K, uint32_t, Hash>, kBits + 1> by_len_;
};

template <typename K>
K mask(K k, unsigned len) {
  constexpr unsigned kBits = KeyTraits<K>::kBits;
  return len == 0 ? K{0} : static_cast<K>(k & (~K{0} << (kBits - len)));
}

// Random routes of every length (or of `lengths`), then `checks` lookups: half at
// uniform random keys, half inside a random route (so the deep levels are hit).
template <typename K>
void check_random(uint64_t seed, size_t nroutes, unsigned direct_bits, size_t checks,
                  const std::vector<unsigned>& lengths = {}) {
  constexpr unsigned kBits = KeyTraits<K>::kBits;
  std::mt19937_64 rng(seed);
  auto random_key = [&] {
    if constexpr (kBits == 32)
      return static_cast<K>(rng());
    else
      return static_cast<K>((Uint128{rng()} << 64) | rng());
  };
  Reference<K> ref;
  std::vector<typename Poptrie<K>::Entry> routes;
  std::set<std::pair<K, unsigned>> seen;
  while (routes.size() < nroutes) {
    unsigned len = lengths.empty() ? rng() % (kBits + 1) : lengths[rng() % lengths.size()];
    K p = mask(random_key(), len);
    if (!seen.emplace(p, len).second) continue;
    uint32_t v = static_cast<uint32_t>(routes.size());
    routes.push_back({p, static_cast<uint8_t>(len), v});
    ref.add(p, len, v);
  }
  auto t = Poptrie<K>::build(routes, direct_bits);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  size_t hits = 0;
  for (size_t i = 0; i < checks; ++i) {
    K key = random_key();
    if (i % 2) {
      const auto& r = routes[rng() % routes.size()];
      K host = r.len == kBits ? K{0} : static_cast<K>(~K{0} >> r.len);
      key = r.prefix | (key & host);
    }
    uint32_t want = ref.lookup(key);
    hits += want != kNoRoute;
    ASSERT_EQ(t->lookup(key), want) << "check " << i << " seed " << seed;
  }
  EXPECT_GE(hits, checks / 2);  // the deep half always hits
}

TEST(Poptrie, EmptyTableMisses) {
  P4 t = build4({});
  EXPECT_EQ(t.lookup(0), kNoRoute);
  EXPECT_EQ(t.lookup(ip(10, 1, 2, 3)), kNoRoute);
  EXPECT_EQ(t.lookup(0xffffffff), kNoRoute);
  EXPECT_EQ(P4().lookup(ip(1, 2, 3, 4)), kNoRoute);
}

TEST(Poptrie, DefaultRouteOnlyMatchesEverything) {
  for (unsigned bits : {1u, 6u, 16u}) {
    P4 t = build4({{0, 0, 7}}, bits);
    EXPECT_EQ(t.lookup(0), 7u);
    EXPECT_EQ(t.lookup(ip(192, 0, 2, 1)), 7u);
    EXPECT_EQ(t.lookup(0xffffffff), 7u);
  }
}

TEST(Poptrie, HostRouteMatchesOnlyItsAddress) {
  for (unsigned bits : {1u, 6u, 16u}) {
    P4 t = build4({{ip(10, 1, 2, 3), 32, 5}}, bits);
    EXPECT_EQ(t.lookup(ip(10, 1, 2, 3)), 5u);
    EXPECT_EQ(t.lookup(ip(10, 1, 2, 2)), kNoRoute);
    EXPECT_EQ(t.lookup(ip(10, 1, 2, 4)), kNoRoute);
    EXPECT_EQ(t.lookup(ip(10, 1, 3, 3)), kNoRoute);
  }
  // The last addresses of the space: the 6-bit strides pad past bit 32.
  P4 t = build4({{0xffffffff, 32, 1}, {0xfffffffc, 31, 2}, {0, 0, 3}});
  EXPECT_EQ(t.lookup(0xffffffff), 1u);
  EXPECT_EQ(t.lookup(0xfffffffe), 3u);
  EXPECT_EQ(t.lookup(0xfffffffd), 2u);
  EXPECT_EQ(t.lookup(0xfffffffc), 2u);
}

TEST(Poptrie, LongestOfOverlappingPrefixesWins) {
  P4 t = build4({{0, 0, 1},
                 {ip(10, 0, 0, 0), 8, 2},
                 {ip(10, 1, 0, 0), 16, 3},
                 {ip(10, 1, 2, 0), 24, 4},
                 {ip(10, 1, 2, 3), 32, 5},
                 {ip(10, 1, 2, 128), 25, 6}});
  EXPECT_EQ(t.lookup(ip(11, 0, 0, 1)), 1u);
  EXPECT_EQ(t.lookup(ip(10, 200, 0, 1)), 2u);
  EXPECT_EQ(t.lookup(ip(10, 1, 200, 1)), 3u);
  EXPECT_EQ(t.lookup(ip(10, 1, 2, 1)), 4u);
  EXPECT_EQ(t.lookup(ip(10, 1, 2, 3)), 5u);
  EXPECT_EQ(t.lookup(ip(10, 1, 2, 127)), 4u);
  EXPECT_EQ(t.lookup(ip(10, 1, 2, 128)), 6u);
  EXPECT_EQ(t.lookup(ip(10, 1, 2, 255)), 6u);
}

TEST(Poptrie, RejectsBadRoutes) {
  auto host_bits = P4::build({{ip(10, 0, 0, 1), 24, 1}});
  ASSERT_FALSE(host_bits.has_value());
  EXPECT_EQ(host_bits.error().message, "route of length 24: host bits set");
  auto dup = P4::build({{ip(10, 0, 0, 0), 24, 1}, {ip(10, 0, 0, 0), 24, 2}});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().message, "duplicate route of length 24");
  EXPECT_FALSE(P4::build({{0, 33, 1}}).has_value());
  EXPECT_FALSE(P4::build({{0, 0, kNoRoute}}).has_value());
}

TEST(Poptrie, SmallTablesAreSmall) {
  P4 one = build4({{ip(10, 0, 0, 0), 24, 1}});
  EXPECT_EQ(one.stats().direct_bits, 6u);
  EXPECT_LT(one.stats().bytes, 1024u);
}

TEST(Poptrie, RandomIpv4OfEveryLengthMatchesReference) {
  check_random<uint32_t>(1, 20000, 16, 100000);
  check_random<uint32_t>(2, 20000, 6, 100000);
  check_random<uint32_t>(3, 3000, 1, 100000);
  check_random<uint32_t>(4, 200, 0, 100000);
}

TEST(Poptrie, RealisticIpv4MatchesReference) {
  // Internet-like: mostly /24, then /16../23, a few short and host routes.
  std::vector<unsigned> lengths;
  for (int i = 0; i < 60; ++i) lengths.push_back(24);
  for (unsigned l = 16; l <= 23; ++l)
    for (int i = 0; i < 4; ++i) lengths.push_back(l);
  for (unsigned l : {8u, 12u, 28u, 30u, 32u}) lengths.push_back(l);
  check_random<uint32_t>(5, 100000, 0, 100000, lengths);
}

TEST(Poptrie, RandomIpv6OfEveryLengthMatchesReference) {
  check_random<Uint128>(6, 20000, 16, 100000);
  check_random<Uint128>(7, 2000, 0, 100000);
  check_random<Uint128>(8, 20000, 0, 100000, {32, 48, 56, 64, 64, 64, 128});
}

}  // namespace
}  // namespace vgw::fib
