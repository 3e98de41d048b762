// The immutable data-plane state: what the workers forward with. Built from a
// validated config::Config by the control thread (off the fast path), then
// published to the workers atomically through Dataplane::publish (RCU); workers
// never see half a change (STYLE practice 6).
//
// Indices are stable across rebuilds when the previous snapshot is passed to
// build_snapshot: a network keeps its index while its name lives, a remote VTEP
// while its address lives. Removed ones leave holes (present == false). Counters
// and FDB entries refer to these indices.
//
// The remote VTEP set is a separate shared object so that a neighbour change
// (new next-hop MAC) or a learned remote replaces it alone, without rebuilding
// a million networks.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "config/config.h"

namespace vgw::dataplane {

inline constexpr uint32_t kNone = 0xffffffffu;
inline constexpr uint32_t kMaxNetworks = 1u << 24;  // FDB keys keep 24 bits of network index

// The local VTEP (config vtep + underlay), as the workers need it.
struct VtepState {
  IpAddress source;
  uint16_t udp_port = 4789;
  uint16_t source_port_min = 49152;
  uint16_t source_port_max = 65535;
  bool allow_unknown_sources = false;
  uint8_t ttl = 64;
  bool df = false;
  uint32_t underlay_mtu = 1500;  // largest outer IP packet (not counting Ethernet)
  config::UnderlayIo io = config::UnderlayIo::kPacket;
  std::string underlay_interface;
  uint32_t source_v4 = 0;  // source as the 4 bytes of an IPv4 header (network order word)
};

// Outer Ethernet + IPv4/IPv6 + UDP + VXLAN, filled in except for the per-packet
// fields (IPv4 total length, id, checksum; IPv6 payload length; UDP source port,
// length, IPv6 checksum; VNI), the way VPP's vxlan encap does it.
struct OuterTemplate {
  static constexpr uint32_t kV4Size = 14 + 20 + 8 + 8;  // 50
  static constexpr uint32_t kV6Size = 14 + 40 + 8 + 8;  // 70
  alignas(16) std::array<uint8_t, 80> bytes{};          // copied whole: a fixed-size copy
  uint8_t size = 0;                                     // kV4Size or kV6Size
  bool v6 = false;
  // IPv4: ones-complement sum (16-bit, folded, not inverted) of the header as
  // templated, with total length, id and checksum zero. Per packet the sum of
  // those two fields is added and the result inverted.
  uint16_t ip_sum = 0;
  // IPv6: ones-complement sum of the pseudo-header addresses and next header,
  // the UDP destination port and the VXLAN flags word (folded, not inverted).
  uint16_t udp_sum = 0;
};

enum class RemoteOrigin : uint8_t { kStatic, kLearned, kEvpn, kApi };
const char* origin_name(RemoteOrigin o);  // "static" | "learned" | "evpn" | "api"

struct Remote {
  IpAddress address;
  RemoteOrigin origin = RemoteOrigin::kStatic;
  bool present = true;    // false: a hole left by a removed remote
  bool resolved = false;  // next hop MAC known (always true in socket mode)
  MacAddress next_hop_mac;
  MacAddress source_mac;
  OuterTemplate outer;  // valid when resolved
};

// What the underlay (rtnetlink neighbour/route tables) says about a remote.
struct NextHop {
  bool resolved = false;
  MacAddress next_hop_mac;  // the MAC of the next hop towards the remote
  MacAddress source_mac;    // our MAC on the interface that next hop is on
};

// Supplied by the control plane: per remote VTEP address, its next hop. In
// socket mode resolve may be empty (no MACs are needed; remotes count as resolved).
struct UnderlayInfo {
  std::function<NextHop(const IpAddress& remote)> resolve;
  uint32_t interface_mtu = 1500;  // used when config underlay.mtu is 0
};

// Remote VTEPs by stable index, plus an address -> index map.
class RemoteSet {
 public:
  const std::vector<Remote>& remotes() const { return remotes_; }
  size_t size() const { return count_; }
  const Remote& operator[](uint32_t i) const { return remotes_[i]; }
  // Index of a present remote with this address, or kNone.
  uint32_t find(const IpAddress& a) const;
  // Fast path: IPv4 address as the 4 bytes in the packet (network order word).
  uint32_t find_v4(uint32_t addr_net) const {
    if (v4_.empty()) return kNone;
    for (size_t i = hash32(addr_net) & v4_mask_;; i = (i + 1) & v4_mask_) {
      uint64_t e = v4_[i];
      if (e == 0) return kNone;
      if (static_cast<uint32_t>(e) == addr_net) return static_cast<uint32_t>(e >> 32) - 1;
    }
  }

  // Builds the set; entries keep their index (holes allowed). Templates are
  // computed from vtep and each remote's next hop.
  static std::shared_ptr<const RemoteSet> make(std::vector<Remote> remotes, const VtepState& vtep);

 private:
  static uint32_t hash32(uint32_t x) { return (x * 0x9e3779b1u) >> 7; }
  std::vector<Remote> remotes_;
  uint32_t count_ = 0;        // remotes_.size(), kept as a word (Remote is not a power-of-2 size)
  std::vector<uint64_t> v4_;  // (index + 1) << 32 | address; 0 = empty
  size_t v4_mask_ = 0;
};

// Fills the template for a remote (exported for tests and for RemoteSet::make).
OuterTemplate make_outer_template(const VtepState& vtep, const Remote& r);

struct AttachmentState {
  uint32_t port = kNone;  // attachment port index (config.ports order)
  uint16_t vlan = 0;      // 0 = untagged
  uint32_t network = kNone;
};

// A network as the control plane shows it (cold data).
struct NetworkState {
  std::string name;
  std::string tenant;
  bool present = true;   // false: a hole left by a removed network
  uint32_t vni = kNone;  // kNone: local-only segment
  config::FloodMode flood = config::FloodMode::kHeadEnd;
  std::vector<uint32_t> flood_remotes;  // remote indices, head-end list, no duplicates
  std::vector<uint32_t> attachments;    // indices into Snapshot::attachments()
  uint32_t mac_limit = 0;               // 0 = none
  uint32_t ageing = 300;                // seconds, 0 = never
};

// The per-packet view of a network: 16 bytes, so a million of them stay compact.
struct NetworkFast {
  uint32_t vni = kNone;
  uint32_t att_begin = 0;    // into Snapshot::flood_attachments()
  uint32_t flood_begin = 0;  // into Snapshot::flood_remote_list()
  uint16_t att_count = 0;
  uint16_t flood_count = 0;
};
static_assert(sizeof(NetworkFast) == 16);

// VNI -> network index, open addressing over one flat array of words (1M
// networks: 16 MiB, one or two cache lines per lookup).
class VniMap {
 public:
  void build(const std::vector<std::pair<uint32_t, uint32_t>>& vni_to_index);
  uint32_t find(uint32_t vni) const {
    if (slots_.empty()) return kNone;
    for (size_t i = hash(vni) & mask_;; i = (i + 1) & mask_) {
      uint64_t e = slots_[i];
      if (e == 0) return kNone;
      if (static_cast<uint32_t>(e >> 32) == vni + 1) return static_cast<uint32_t>(e);
    }
  }
  size_t memory_bytes() const { return slots_.size() * sizeof(uint64_t); }

 private:
  static size_t hash(uint32_t v) { return (uint64_t{v} * 0x9e3779b97f4a7c15ull) >> 40; }
  std::vector<uint64_t> slots_;  // (vni + 1) << 32 | index; 0 = empty
  size_t mask_ = 0;
};

// The networks, attachments and per-port VLAN maps: rebuilt on configuration
// changes, shared between snapshots that differ only in remotes.
struct NetworkTable {
  std::vector<NetworkState> networks;  // by network index
  std::vector<NetworkFast> fast;       // by network index
  std::vector<AttachmentState> attachments;
  std::vector<uint32_t> flood_attachments;  // attachment indices, NetworkFast::att_*
  std::vector<uint32_t> flood_remote_list;  // remote indices, NetworkFast::flood_*
  std::vector<std::string> port_names;      // by port index
  uint32_t port_count = 0;                  // port_names.size()
  std::vector<uint32_t> port_vlan;          // [port * 4096 + vlan] -> attachment index or kNone
  VniMap vni_map;
  // Name -> present network index: open addressing over (index + 1), 0 = empty,
  // at most half full (a million networks: 8 MiB, built in one pass, no sort).
  std::vector<uint32_t> by_name;
  size_t by_name_mask = 0;
  void index_names(const std::vector<uint32_t>& present);
  // Index of the present network with this name, or kNone.
  uint32_t find_network(const std::string& name) const;
};

class Snapshot {
 public:
  Snapshot(std::shared_ptr<const VtepState> vtep, std::shared_ptr<const NetworkTable> nets,
           std::shared_ptr<const RemoteSet> remotes, config::Fdb fdb)
      : vtep_(std::move(vtep)), nets_(std::move(nets)), remotes_(std::move(remotes)), fdb_(fdb) {}

  const VtepState& vtep() const { return *vtep_; }
  const NetworkTable& table() const { return *nets_; }
  const RemoteSet& remotes() const { return *remotes_; }
  const config::Fdb& fdb_config() const { return fdb_; }
  std::shared_ptr<const RemoteSet> remotes_ptr() const { return remotes_; }
  std::shared_ptr<const VtepState> vtep_ptr() const { return vtep_; }

  size_t network_count() const { return nets_->networks.size(); }
  size_t port_count() const { return nets_->port_count; }
  const NetworkState& network(uint32_t i) const { return nets_->networks[i]; }
  const NetworkFast& fast(uint32_t i) const { return nets_->fast[i]; }
  uint32_t network_by_vni(uint32_t vni) const { return nets_->vni_map.find(vni); }
  uint32_t network_by_name(const std::string& name) const { return nets_->find_network(name); }
  // Attachment index for (port, vlan), or kNone.
  uint32_t attachment(uint32_t port, uint16_t vlan) const {
    if (port >= nets_->port_count) return kNone;
    return nets_->port_vlan[size_t{port} * 4096 + (vlan & 0xfff)];
  }
  const AttachmentState& attachment_state(uint32_t a) const { return nets_->attachments[a]; }

  // The same networks with another remote set (neighbour change, learned remote).
  std::shared_ptr<const Snapshot> with_remotes(std::shared_ptr<const RemoteSet> r) const {
    return std::make_shared<const Snapshot>(vtep_, nets_, std::move(r), fdb_);
  }

 private:
  std::shared_ptr<const VtepState> vtep_;
  std::shared_ptr<const NetworkTable> nets_;
  std::shared_ptr<const RemoteSet> remotes_;
  config::Fdb fdb_;
};

// Builds a snapshot from a validated configuration. Pass the running snapshot as
// previous to keep network and remote indices stable (and learned/EVPN remotes).
// Errors name the object and field (e.g. an attachment on an unknown port).
Result<std::shared_ptr<const Snapshot>> build_snapshot(const config::Config& cfg,
                                                       const UnderlayInfo& underlay,
                                                       const Snapshot* previous = nullptr);

// A new remote set with every remote re-resolved (neighbour/route change).
std::shared_ptr<const RemoteSet> resolve_remotes(const Snapshot& current,
                                                 const UnderlayInfo& underlay);

// A new remote set with one more remote (learned or EVPN), or the same index if
// the address is already there. Returns the set and the remote's index.
std::pair<std::shared_ptr<const RemoteSet>, uint32_t> add_remote(const Snapshot& current,
                                                                 const IpAddress& address,
                                                                 RemoteOrigin origin,
                                                                 const UnderlayInfo& underlay);

// add_remote for many addresses at once (a controller's bulk call): one new set,
// O(existing + new). indices[i] is the index of addresses[i] (existing ones kept).
std::pair<std::shared_ptr<const RemoteSet>, std::vector<uint32_t>> add_remotes(
    const Snapshot& current, const std::vector<IpAddress>& addresses, RemoteOrigin origin,
    const UnderlayInfo& underlay);

// The same snapshot with the head-end flood lists of some networks replaced
// (controller API, EVPN type-3 routes): lists[i] = (network index, remote
// indices). The network table is copied and its per-packet arrays rebuilt
// (O(networks + flood entries)); the remote set is shared. Remote indices must
// name present remotes of current; networks must be present.
Result<std::shared_ptr<const Snapshot>> with_flood_lists(
    const Snapshot& current, const std::vector<std::pair<uint32_t, std::vector<uint32_t>>>& lists);

}  // namespace vgw::dataplane
