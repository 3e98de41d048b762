// The forwarding table of one tenant's router (a VRF): routes from several sources,
// next-hop groups for ECMP, and the immutable lookup table the data plane reads.
//
// Two halves, as everywhere in vgw (STYLE "control to data"):
// - Fib is the control plane's routing table (RIB). The control thread adds and
//   removes routes; for each prefix the best source wins by administrative
//   preference (connected > static > evpn, like the kernel's and FRR's distances).
//   Next-hop lists are interned into groups, so a million EVPN routes through the
//   same VTEPs share one group.
// - FibTable is what Fib::build() returns: an immutable snapshot (two poptries and
//   the groups) that workers read with no lock. The owner publishes it by RCU
//   (rcu_assign_pointer; free the old one after synchronize_rcu / call_rcu). Changes
//   are batched: apply many add/remove calls, then build once.
//
// Selection: a route yields a group; the packet's flow hash (packet/flow_hash.h)
// picks one next hop of the group (remixed, then multiply-shift over the group
// size), so a flow keeps its next hop for as long as the group is unchanged.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "fib/poptrie.h"

namespace vgw::fib {

enum class NextHopKind : uint8_t {
  kConnected,  // the destination is on the interface's network: resolve it (ARP/ND)
  kGateway,    // forward to `gateway` (resolve the gateway) on the interface
  kLocal,      // an address of this router: receive (ICMP echo, ...)
  kDrop,       // blackhole: drop silently (counted)
};

// "Any interface" for a gateway: Fib::build() resolves it through the connected
// route covering the gateway; if there is none it stays kAnyInterface, and the
// router drops with "next hop unresolved".
inline constexpr uint32_t kAnyInterface = 0xffffffffu;

struct NextHop {
  NextHopKind kind = NextHopKind::kDrop;
  uint32_t interface = 0;  // router interface (its network's index): kConnected, kGateway
  IpAddress gateway{};     // kGateway only (IPv4 or IPv6, either family's routes)

  static NextHop connected(uint32_t interface) {
    return NextHop{NextHopKind::kConnected, interface, {}};
  }
  static NextHop via(const IpAddress& gateway, uint32_t interface = kAnyInterface) {
    return NextHop{NextHopKind::kGateway, interface, gateway};
  }
  static NextHop local() { return NextHop{NextHopKind::kLocal, 0, {}}; }
  static NextHop drop() { return NextHop{NextHopKind::kDrop, 0, {}}; }

  // As iproute2 words it: "dev 3", "via 10.0.0.1 dev 3", "via 10.0.0.1", "local",
  // "blackhole".
  std::string to_string() const;
  auto operator<=>(const NextHop&) const = default;
};

// Where a route came from. The lower value wins when a prefix has several.
enum class RouteSource : uint8_t { kConnected = 0, kStatic = 1, kEvpn = 2 };
inline constexpr size_t kRouteSources = 3;
const char* to_string(RouteSource s);

// At most this many next hops (counting repeats, which weight a hop) in a group.
inline constexpr size_t kMaxNextHops = 256;

// The immutable snapshot the data plane reads. Every lookup is lock-free and
// allocation-free; a miss returns nullptr (drop: "no route").
class FibTable {
 public:
  struct Stats {
    Poptrie<uint32_t>::Stats v4;
    Poptrie<Uint128>::Stats v6;
    size_t groups = 0;
    size_t next_hops = 0;
    size_t bytes = 0;  // all of it: both tries, groups, next hops
  };

  // IPv4 destination in HOST byte order (ntohl of the header field).
  const NextHop* lookup_v4(uint32_t dst, uint32_t flow_hash) const {
    return select(v4_.lookup(dst), flow_hash);
  }
  // IPv6 destination as the 16 bytes of the header.
  const NextHop* lookup_v6(const uint8_t* dst, uint32_t flow_hash) const {
    return select(v6_.lookup(v6_key(dst)), flow_hash);
  }
  const NextHop* lookup(const IpAddress& dst, uint32_t flow_hash) const {
    return dst.v6 ? lookup_v6(dst.b.data(), flow_hash) : lookup_v4(dst.v4_host(), flow_hash);
  }

  // The group of the longest match, or kNoRoute.
  uint32_t group_v4(uint32_t dst) const { return v4_.lookup(dst); }
  uint32_t group_v6(const uint8_t* dst) const { return v6_.lookup(v6_key(dst)); }

  // One next hop of `group` (as group_v4/group_v6 of THIS table returned it) for the
  // flow; nullptr for kNoRoute.
  const NextHop* select(uint32_t group, uint32_t flow_hash) const {
    if (group == kNoRoute) return nullptr;
    return select_lazy(group, [flow_hash] { return flow_hash; });
  }
  // select() for a group group_v4/group_v6 of this table returned (not
  // kNoRoute), with the flow hash asked of hash() only when the group has
  // several next hops.
  template <typename HashFn>
  const NextHop* select_lazy(uint32_t group, HashFn&& hash) const {
    const Slot g = groups_[group];
    const NextHop* first = &hops_[g.first];
    if (g.count == 1) return first;
    // Remixed first: the VXLAN source port is taken from the top bits of the same
    // hash, and the next hop must not depend on it (hash polarization).
    uint32_t h = hash() * 0x2c1b3c6du;
    return first + ((uint64_t{h} * g.count) >> 32);
  }
  // All next hops of a group (empty for an unknown id).
  std::span<const NextHop> group(uint32_t id) const {
    if (id >= groups_.size()) return {};
    return {hops_.data() + groups_[id].first, groups_[id].count};
  }

  // Increases with every build of the same Fib.
  uint64_t version() const { return version_; }
  Stats stats() const;

  static Uint128 v6_key(const uint8_t* b) {
    uint64_t hi, lo;
    std::memcpy(&hi, b, 8);
    std::memcpy(&lo, b + 8, 8);
    return (Uint128{__builtin_bswap64(hi)} << 64) | __builtin_bswap64(lo);
  }

 private:
  friend class Fib;
  struct Slot {
    uint32_t first;
    uint32_t count;
  };

  Poptrie<uint32_t> v4_;
  Poptrie<Uint128> v6_;
  std::vector<Slot> groups_;
  std::vector<NextHop> hops_;
  uint64_t version_ = 0;
};

// One line of `show routes`.
struct RouteInfo {
  IpPrefix prefix;
  RouteSource source;
  bool active;     // the best source for this prefix (the one the data plane uses)
  uint32_t group;  // next-hop group id (as FibTable::group())
  std::vector<NextHop> hops;
};

// The routing table of one tenant. Control thread only; not thread-safe.
class Fib {
 public:
  explicit Fib(std::string name = "default") : name_(std::move(name)) {}

  // Adds the route, or replaces that source's next hops for the prefix. Errors:
  // host bits set, no next hops, too many, a gateway hop without a gateway, local or
  // blackhole mixed with other hops.
  Status add_route(const IpPrefix& prefix, RouteSource source, std::vector<NextHop> hops);
  // Removes that source's route for the prefix (the next best source, if any, takes
  // over). Error if there is none.
  Status remove_route(const IpPrefix& prefix, RouteSource source);
  // Removes every route of a source (an EVPN session lost); returns how many.
  size_t remove_source(RouteSource source);

  // Prefixes with at least one route, per family.
  size_t size_v4() const { return v4_.size(); }
  size_t size_v6() const { return v6_.size(); }
  // Next-hop groups in use.
  size_t group_count() const { return group_ids_.size(); }

  // Every route of every source, IPv4 first, by prefix then length then source.
  std::vector<RouteInfo> routes() const;

  // The snapshot of the current routes for the data plane. Cost grows with the
  // number of routes (1M IPv4 routes: see bench/fib_bench.cc), so batch changes.
  Result<std::unique_ptr<const FibTable>> build() const;

  const std::string& name() const { return name_; }

 private:
  static constexpr uint32_t kNoGroup = 0xffffffffu;
  using Sources = std::array<uint32_t, kRouteSources>;  // group per source
  struct V6Key {
    Uint128 addr;
    uint8_t len;
    bool operator==(const V6Key&) const = default;
  };
  struct V6Hash {
    size_t operator()(const V6Key& k) const {
      uint64_t x = static_cast<uint64_t>(k.addr >> 64) * 0x9e3779b97f4a7c15ull;
      return x ^ static_cast<uint64_t>(k.addr) ^ k.len;
    }
  };
  struct HopsHash {
    size_t operator()(const std::vector<NextHop>& v) const;
  };
  struct Group {
    std::vector<NextHop> hops;
    uint32_t refs = 0;
  };

  Sources* find(const IpPrefix& prefix);
  Result<uint32_t> intern(std::vector<NextHop> hops);
  void unref(uint32_t group);
  std::string what(const IpPrefix& prefix, RouteSource source) const;

  std::string name_;
  std::unordered_map<uint64_t, Sources> v4_;  // (address << 8 | len) -> groups
  std::unordered_map<V6Key, Sources, V6Hash> v6_;
  std::vector<Group> groups_;
  std::vector<uint32_t> free_groups_;
  std::unordered_map<std::vector<NextHop>, uint32_t, HopsHash> group_ids_;
  mutable uint64_t builds_ = 0;
};

}  // namespace vgw::fib
