// What controllers installed at run time, beside the configuration: remote MAC
// entries and head-end flood-list members from the controller API (NSX-style)
// and, later, EVPN type-2/type-3 routes. The contract is in
// control/operations.h ("Controller API"); control::Service owns one of these
// and calls it on the control thread only.
//
// The entries are kept here by (network index, MAC) and (network index, remote
// address) with their owners, so that:
//  - a configuration apply (which rebuilds the snapshot from configuration
//    alone) can put them back: reconcile() re-adds the remote VTEPs they name,
//    re-points FDB entries whose remote index moved, re-merges the flood lists
//    and forgets entries of networks that are gone;
//  - an owner's withdrawal removes exactly what it installed.
// Remote VTEPs are kept by address; indices are looked up in the snapshot when
// publishing, since an apply may renumber a remote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "control/operations.h"
#include "dataplane/dataplane.h"

namespace vgw::control {

class ControllerState {
 public:
  explicit ControllerState(dataplane::Dataplane& dp) : dp_(dp) {}

  Result<BulkResult> add_macs(const std::vector<RemoteMac>& entries, const Owner& owner,
                              const dataplane::UnderlayInfo& underlay);
  Result<BulkResult> remove_macs(const std::vector<RemoteMac>& entries, const Owner& owner);
  Result<BulkResult> add_flood(const std::vector<FloodMember>& entries, const Owner& owner,
                               const dataplane::UnderlayInfo& underlay);
  Result<BulkResult> remove_flood(const std::vector<FloodMember>& entries, const Owner& owner);
  BulkResult withdraw(const Owner& owner);

  // After Dataplane::apply published a snapshot built from configuration alone.
  void reconcile(const dataplane::UnderlayInfo& underlay);

  size_t mac_count() const { return macs_.size(); }
  size_t flood_member_count() const;

 private:
  struct MacKey {
    uint32_t network;
    uint64_t mac;
    bool operator==(const MacKey&) const = default;
  };
  struct MacKeyHash {
    size_t operator()(const MacKey& k) const noexcept {
      return (k.mac ^ uint64_t{k.network} << 48) * 0x9e3779b97f4a7c15ull >> 16;
    }
  };
  struct MacState {
    IpAddress remote;
    uint32_t remote_index;  // as installed in the FDB
    uint32_t owner;         // index into owners_
  };
  struct Member {
    std::vector<uint32_t> owners;  // indices into owners_
    uint64_t seq;                  // insertion order: flood lists keep it
  };
  struct NetworkFlood {
    std::unordered_map<IpAddress, Member> members;
    uint64_t next_seq = 0;
  };

  uint32_t owner_index(const Owner& owner);
  dataplane::FdbType fdb_type(uint32_t owner) const;
  // The network an entry names, or an error naming entries[i].
  Result<uint32_t> network_of(const dataplane::Snapshot& snap, const NetworkRef& ref,
                              size_t i) const;
  // network_of for every entry, in order; the first error names its entry.
  template <typename Entry>
  Result<std::vector<uint32_t>> networks_of(const dataplane::Snapshot& snap,
                                            const std::vector<Entry>& entries) const;
  Status check_remote(const dataplane::Snapshot& snap, const IpAddress& a, size_t i) const;
  // Adds the remotes of `addresses` that the snapshot lacks (one publish).
  void ensure_remotes(const std::vector<IpAddress>& addresses, dataplane::RemoteOrigin origin,
                      const dataplane::UnderlayInfo& underlay);
  // Removes a MAC entry from the FDB when the FDB still holds what we installed.
  void forget_mac(const MacKey& key, const MacState& state);
  // Publishes configured ∪ installed flood lists of these networks.
  void publish_flood(const std::vector<uint32_t>& networks);

  dataplane::Dataplane& dp_;
  std::vector<Owner> owners_;
  std::unordered_map<MacKey, MacState, MacKeyHash> macs_;
  std::unordered_map<uint32_t, NetworkFlood> flood_;
  // Configured flood list of every network whose published list has installed
  // members merged in (the snapshot's list is then no longer the configured one).
  std::unordered_map<uint32_t, std::vector<uint32_t>> base_flood_;
};

}  // namespace vgw::control
