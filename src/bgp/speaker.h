// The BGP-EVPN speaker of vgwd (SPEC "Control plane / BGP-EVPN"): the sessions
// (session.h) to every configured neighbor, a passive listener on TCP 179 of the
// router's address, and the EVPN RIB (rib.h).
//
// It runs on the control thread and never blocks: every socket is non-blocking
// and registered in one epoll instance whose fd the control loop polls (a
// timerfd in the same set makes it readable every 100 ms, so the timers run with
// no other hook); poll() does the pending socket work, runs the timers (connect
// retry, hold, keepalive), hands what import decided to the
// ImportSink in one batch, and sends what changed in our routes to every
// established neighbor. Time comes from an injectable millisecond clock.
//
// Received UPDATEs follow their RFC 7606 verdict (update.h): treat-as-withdraw
// withdraws every route of the UPDATE, attribute-discard keeps the routes
// without the bad attribute; only a session-reset verdict (already answered by
// the session with a NOTIFICATION) ends the session. Loops are refused: eBGP paths
// with our AS (RFC 4271 §9.1.2), iBGP paths with our router ID as ORIGINATOR_ID
// (RFC 4456 §8).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bgp/rib.h"
#include "bgp/session.h"
#include "common/addr.h"
#include "common/result.h"

namespace vgw::bgp {

// Milliseconds on a monotonic clock.
using MsClock = std::function<uint64_t()>;
uint64_t monotonic_ms();

struct SpeakerConfig {
  uint32_t asn = 0;
  IpAddress router_id;
  IpAddress local_address;   // listen here, connect from here, next hop of our routes
  IpAddress bind_address;    // sessions on another address (unspecified: local_address)
  uint16_t port = kBgpPort;  // listen and connect port (tests use others)
  bool listen = true;        // accept connections from neighbors
  uint16_t hold_time = 90;   // seconds we propose (0 or >= 3)
  uint32_t connect_retry_s = 10;
  std::vector<NeighborConfig> neighbors;
  std::vector<VniConfig> vnis;
  std::vector<L3VniConfig> l3vnis;  // IP-VRFs (symmetric IRB)
  bool operator==(const SpeakerConfig&) const = default;
};

// Where imported routes go (the control plane's controller operations).
class ImportSink {
 public:
  virtual ~ImportSink() = default;
  virtual void apply(const ImportChanges& changes) = 0;
};

// One neighbor as `show evpn peers` sees it.
struct PeerStatus {
  IpAddress address;
  uint32_t remote_as = 0;
  bool ebgp = false;
  SessionState state = SessionState::kIdle;
  uint32_t peer_router_id = 0;  // host order; 0 until established
  uint16_t hold_time = 0;       // negotiated
  uint64_t uptime_s = 0;        // since established
  size_t routes_received = 0;
  size_t routes_sent = 0;
  std::string last_error;
  SessionCounters counters;
};

class Speaker final : private SessionHost {
 public:
  Speaker(ImportSink& sink, MsClock clock = {});
  ~Speaker() override;
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;

  // Applies a configuration: neighbors added start, removed ones are stopped
  // (Cease/Peer De-configured) and their routes withdrawn; a changed ASN, router
  // ID or address restarts every session. Errors name the field.
  Status configure(const SpeakerConfig& config);
  const SpeakerConfig& config() const { return config_; }

  // The epoll fd the control loop polls for input.
  int fd() const { return epoll_fd_; }
  void poll();
  // Cease/Administrative Shutdown to every neighbor (clean daemon stop).
  void shutdown();

  // The MACs learned on local attachments, per VNI (see EvpnRib::set_local_macs).
  void set_local_macs(const std::set<std::pair<uint32_t, MacAddress>>& macs);
  // Incremental: these MACs became local (present) or stopped being local; the
  // routes that changed go out at once, in one batch.
  struct LocalMacChange {
    uint32_t vni = 0;
    MacAddress mac;
    bool present = false;
  };
  void update_local_macs(const std::vector<LocalMacChange>& changes);
  // Local hosts' IP-MAC bindings (see EvpnRib::set_local_macips); changes go out at once.
  void set_local_macips(const std::set<EvpnRib::MacIp>& bindings);

  std::vector<PeerStatus> peers() const;
  const EvpnRib& rib() const { return rib_; }
  // The neighbor address of a RIB peer id (also of a neighbor since removed:
  // its routes' removals are reported after it is gone).
  IpAddress peer_address(PeerId id) const;
  // Whether the listener is bound (it is retried on every poll until it is).
  bool listening() const { return listen_fd_ >= 0; }
  const std::string& listen_error() const { return listen_error_; }

 private:
  // SessionHost
  uint64_t now_ms() const override { return clock_(); }
  const LocalSettings& local() const override { return local_; }
  void watch(int fd, bool want_write) override;
  void unwatch(int fd) override;
  void session_established(Session& s) override;
  void session_down(Session& s) override;
  void update_received(Session& s, const UpdateDecode& u) override;
  void route_refresh_received(Session& s, const RouteRefreshMessage& rr) override;

  void open_listener();
  void close_listener();
  void accept_all();
  void send_routes(Session& s, const std::vector<EvpnRoute>& advertise,
                   const std::vector<EvpnRoute>& withdraw);
  void flush_rib();
  Session* session_by_fd(int fd);

  ImportSink& sink_;
  MsClock clock_;
  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // timerfd: wakes the control loop for the timers
  std::string listen_error_;
  uint64_t listen_retry_at_ = 0;
  SpeakerConfig config_;
  LocalSettings local_;
  bool configured_ = false;
  std::vector<std::unique_ptr<Session>> sessions_;
  uint32_t next_id_ = 1;
  std::map<PeerId, IpAddress> peer_addresses_;
  std::set<int> watched_;
  EvpnRib rib_;
};

}  // namespace vgw::bgp
