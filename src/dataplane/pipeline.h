// The L2 gateway pipeline of one worker (RFC 7348 §4, §5, §6.1): stages over
// batches, each handing every packet to a named next step, a drop carrying its
// reason (STYLE practice 3). VPP's vxlan plugin is the model.
//
//   local ingress (attachment port i):  classify (port, VLAN) -> network, strip
//     tag, source check/learn, destination lookup ->
//       to_port (push the attachment's tag) | encap | flood | drop(reason)
//   flood: every other local attachment of the network + one copy per remote in
//     its flood list (head-end replication); from the overlay: local only.
//   encap: outer template copied into headroom, per-packet fields patched
//     (IPv4 length/id/checksum incrementally, UDP source port from the inner
//     flow hash, VNI; IPv6 length and full UDP checksum) -> underlay TX
//   decap (underlay port): outer checks, VNI -> network, source VTEP, inner
//     checks, learn (inner source MAC -> remote), destination ->
//       to_port | flood (local only) | drop(split_horizon, ...)
//   output: per-port TX batches, sent when full and at the end of the batch.
//
// Per packet: no allocation (flood copies come from the worker's pool), no
// lock, no exception, no log, no virtual call (Port calls are per batch).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/router.h"
#include "io/port.h"
#include "packet/packet_buffer.h"
#include "packet/parse.h"

namespace vgw::dataplane {

class Pipeline {
 public:
  // ports: the worker's attachment ports by index; underlay: its underlay port.
  Pipeline(Dataplane& dp, WorkerContext& ctx, PacketPool& pool, std::span<Port* const> ports,
           Port* underlay);

  // Starts a batch with the snapshot to use and the clock's now.
  void begin(const Snapshot* snap, uint32_t now);
  // Frames received on attachment port `port`. Takes ownership of the packets.
  void local_ingress(uint32_t port, std::span<Packet*> pkts);
  // Frames received on the underlay port. Takes ownership of the packets.
  void underlay_ingress(std::span<Packet*> pkts);
  // Sends every pending TX batch (end of an iteration).
  void flush();

 private:
  // port: the attachment port index, or kTraceUnderlay. True when it marked a
  // packet: the batch then runs the stage's traced instance.
  bool mark_for_trace(std::span<Packet*> pkts, uint32_t port);
  // The ingress stages' loops, instantiated twice: kTraced false (no packet of
  // the batch is marked, nearly always) tests no trace flag per packet.
  template <bool kTraced>
  void local_ingress_batch(uint32_t port, std::span<Packet*> pkts);
  template <bool kTraced>
  void underlay_ingress_batch(std::span<Packet*> pkts);
  template <bool kTraced>
  static bool traced(const Packet* p) {
    return kTraced && (p->meta.flags & PacketMeta::kTrace);
  }
  // A traced packet's sequence number, kept by packet address while it is in
  // flight (a flood copy gets its original's, so one packet's records share it).
  void note_traced(const Packet* p, uint64_t seq) {
    traced_[traced_next_++ % traced_.size()] = {p, seq};
  }
  uint64_t traced_seq(const Packet* p) const;

  struct TxQueue {
    std::array<Packet*, kBatchSize> pkts;
    uint32_t n = 0;
    uint64_t bytes = 0;
  };

  // Traffic counts of a run of packets with the same network/remote id, written
  // to the shared counters when the id changes and at flush(): per-network and
  // per-remote counters cost a compare per packet instead of four stores.
  struct Tally {
    uint32_t id = kNone;
    uint32_t packets = 0;
    uint64_t bytes = 0;
  };
  void count(Tally& t, ChunkedCounters<TrafficCounters>& c, bool rx, uint32_t id, uint32_t bytes) {
    if (id != t.id) [[unlikely]] {
      settle(t, c, rx);
      t.id = id;
    }
    ++t.packets;
    t.bytes += bytes;
  }
  static void settle(Tally& t, ChunkedCounters<TrafficCounters>& c, bool rx) {
    if (t.packets) {
      TrafficCounters& x = c[t.id];
      (rx ? x.rx_packets : x.tx_packets).add(t.packets);
      (rx ? x.rx_bytes : x.tx_bytes).add(t.bytes);
    }
    t.packets = 0;
    t.bytes = 0;
  }

  // The same for a run of packets with the same (network, remote) pair: the
  // encap and decap stages count both with one compare. remote kNone: the
  // network only.
  struct PairTally {
    uint64_t key = ~0ull;  // remote << 32 | network
    uint32_t packets = 0;
    uint64_t bytes = 0;
  };
  void count(PairTally& t, bool rx, uint32_t network, uint32_t remote, uint32_t bytes) {
    uint64_t key = uint64_t{remote} << 32 | network;
    if (key != t.key) [[unlikely]] {
      settle(t, rx);
      t.key = key;
    }
    ++t.packets;
    t.bytes += bytes;
  }
  void settle(PairTally& t, bool rx) {
    if (t.packets) {
      Tally n{static_cast<uint32_t>(t.key), t.packets, t.bytes};
      settle(n, c_.networks, rx);
      if (uint32_t remote = static_cast<uint32_t>(t.key >> 32); remote != kNone) {
        Tally r{remote, t.packets, t.bytes};
        settle(r, c_.remotes, rx);
      }
    }
    t.packets = 0;
    t.bytes = 0;
  }

  void drop(Packet* p, Drop reason);
  // tx: the tally the frame is counted in (a stage loop passes a local one).
  template <bool kTraced = true>
  [[gnu::always_inline]] inline void to_port(Packet* p, uint32_t port, uint16_t vlan, Tally& tx);
  // The same into the port's queue q (tx_[port]), which the caller kept.
  template <bool kTraced = true>
  [[gnu::always_inline]] inline void to_port(Packet* p, uint32_t port, uint16_t vlan, Tally& tx,
                                             TxQueue& q);
  // The encap stage for one frame to remote `remote` in p->meta.network (RFC
  // 7348 §5): the remote's outer template copied into headroom, per-packet
  // fields patched -> underlay TX, at once (so frames leave in the order they
  // came, whichever stage hands them over). The last (remote, network) pair that
  // passed the checks is kept in enc_ (VPP's "last tunnel"): a run of frames to
  // one tunnel skips them, and is counted with the same compare.
  template <bool kTraced = true>
  [[gnu::always_inline]] inline void to_encap(Packet* p, uint32_t remote);
  // The same with the frame's packet::flow_hash, which the caller has.
  template <bool kTraced = true>
  [[gnu::always_inline]] inline void to_encap(Packet* p, uint32_t remote, uint32_t flow_hash);
  // Both: the IPv4 path (others leave it in encap_select), the flow hash
  // computed only once the frame is known to be encapsulated.
  template <bool kTraced, bool kHashGiven>
  [[gnu::always_inline]] inline void encap_v4(Packet* p, uint32_t remote, uint32_t flow_hash);
  // to_encap for the router's slower paths (out of line).
  [[gnu::noinline]] void to_encap_cold(Packet* p, uint32_t remote);
  // Checks the (remote, network) pair of `key` and makes it enc_'s; false: p
  // was consumed (dropped, or encapsulated towards an IPv6 remote).
  [[gnu::noinline]] bool encap_select(Packet* p, uint32_t remote, uint64_t key);
  // An encapsulated frame (inner_len: its inner frame's length) -> underlay TX.
  template <bool kTraced = true>
  [[gnu::always_inline]] inline void to_underlay(Packet* p, uint32_t inner_len);
  void flood_local(Packet* p, uint32_t network, uint32_t in_attachment, bool from_overlay);
  void learn(uint32_t network, uint64_t mac, Location loc, const IpAddress* unknown_source);
  void send_port(uint32_t port);
  void send_underlay();
  void trace(const Packet* p, Stage s, Decision d, Drop reason = Drop{}, uint64_t mac = 0);
  [[gnu::noinline]] bool encap_v6(Packet* p, const Remote& r, uint32_t vni);

  // Router stage (router.h; defined in router.cc).
  // A frame to a router interface MAC of its network (p->meta.network).
  [[gnu::noinline]] void route(Packet* p);
  // The same for the frame routed almost always (IPv4 without options, TTL > 1,
  // next hop in the hop cache, fits the egress MTU), rewritten from the cache
  // entry alone; false, with the frame untouched, for anything else. Only with
  // a router table (rt_ not null).
  template <bool kTraced = true>
  [[gnu::always_inline]] inline bool route_v4_fast(Packet* p);
  uint64_t router_mac_of(uint32_t network) const;
  // A decapsulated frame to its network's router MAC (dmac), the FDB lookup
  // skipped: traced as the lookup hit it is, then routed.
  template <bool kTraced = true>
  [[gnu::always_inline]] inline void to_router(Packet* p, uint64_t dmac);
  // An ARP/NS broadcast about to be flooded: true when the router consumed it.
  [[gnu::noinline]] bool router_broadcast(Packet* p, uint32_t network, bool from_overlay);
  // A frame whose Ethernet header is final, into p->meta.network.
  void bridge(Packet* p);
  void router_to_port(Packet* p, uint32_t port, uint16_t vlan);
  void reply_to_sender(Packet* p, uint8_t* eth, uint64_t router_mac);
  void route_v4(Packet* p, const RouterTable& rt, const RouterInterfaceState& in);
  void route_v6(Packet* p, const RouterTable& rt, const RouterInterfaceState& in);
  // A routed IPv4 packet without DF that does not fit `mtu`: fragments (RFC 791
  // §3.2, RFC 1812 §5.2.6), each routed again; p is consumed.
  void fragment_v4(Packet* p, const RouterTable& rt, const RouterInterfaceState& in, uint32_t mtu);
  bool router_arp(Packet* p, const RouterTable* rt, uint32_t network, bool from_overlay);
  bool router_nd(Packet* p, const RouterTable* rt, uint32_t network, bool from_overlay);
  void router_resolve(Packet* p, const NeighborKey& key, uint32_t in_network);
  void router_release(const NeighborKey& key, uint64_t mac);
  void router_service();
  void icmp_error(const Packet* orig, const RouterInterfaceState& in, uint8_t type, uint8_t code,
                  uint32_t rest);
  void router_learn(uint32_t network, const IpAddress& ip, uint64_t mac, NeighborOrigin origin);
  RouterWorker router_;
  const RouterTable* rt_ = nullptr;  // this batch's (begin())
  // route_v4_fast's ingress network of the last frame and its router's FIB
  // (per batch, as rt_).
  uint32_t fast_in_net_ = kNone;
  const fib::FibTable* fast_fib_ = nullptr;
  // Frames route_v4_fast forwarded since the last flush() (one add per batch
  // to c_.routed).
  uint64_t fast_routed_ = 0;

  Dataplane& dp_;
  WorkerContext& ctx_;
  WorkerCounters& c_;
  PacketPool& pool_;
  std::vector<Port*> ports_;
  Port* underlay_;
  const Snapshot* snap_ = nullptr;
  const Fdb* fdb_;
  uint32_t now_ = 0;
  uint16_t ip_id_ = 0;
  uint64_t trace_seq_ = 0;
  std::array<std::pair<const Packet*, uint64_t>, 64> traced_{};
  uint32_t traced_next_ = 0;
  std::vector<TxQueue> tx_;  // by port
  TxQueue underlay_tx_;
  Tally net_rx_, net_tx_;  // local ingress / local output
  PairTally encap_tx_;     // (network, remote) runs; key: enc_.key's pair
  // What the encap stage keeps: the last (remote, network) pair that passed
  // its checks, and the snapshot's constants (begin()).
  struct EncapState {
    uint64_t key = ~0ull;            // remote << 32 | network; ~0: none
    const Remote* remote = nullptr;  // an IPv4 remote (encap_select)
    uint32_t vni_word = 0;           // VXLAN bytes 4..7 (VNI, reserved zero) as stored
    uint32_t mtu = 0;
    uint32_t sport_min = 0;
    uint64_t sport_span = 1;
    // The VXLAN source port of a frame with this flow hash (RFC 7348 §5).
    uint16_t source_port(uint32_t flow_hash) const {
      return static_cast<uint16_t>(sport_min + ((uint64_t{flow_hash} * sport_span) >> 32));
    }
  } enc_;
  // Last learn event pushed: the same source again before the control thread
  // drained it is not pushed twice.
  uint64_t last_learn_key_ = 0;
  uint32_t last_learn_loc_ = 0;
  // One-entry caches in front of the lookups (VPP's "last tunnel").
  uint32_t last_vni_ = kNone, last_vni_net_ = kNone;
  uint32_t last_src_v4_ = 0, last_src_remote_ = kNone;
  // What the general VXLAN parser found (a member: the inline parser, which
  // handles the common frame, never pays for constructing it).
  packet::VxlanFrameInfo slow_fi_;
};

}  // namespace vgw::dataplane
