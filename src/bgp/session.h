// One BGP neighbor: the RFC 4271 §8 finite state machine over non-blocking TCP.
//
// A session owns at most two connections to its neighbor: the one we initiate and
// the one the neighbor initiates (accepted by the speaker's listener). Both run the
// OPEN exchange; when both reach the point where the neighbor's BGP Identifier is
// known, connection collision detection (§6.8) keeps the connection initiated by
// the side with the higher identifier and closes the other with Cease/Connection
// Collision Resolution. The session's state is its most advanced connection's:
//   Idle        administratively stopped
//   Connect     our TCP connect is in progress
//   Active      no connection; waiting for the neighbor or the connect retry timer
//   OpenSent    our OPEN is sent, waiting for theirs
//   OpenConfirm OPENs exchanged, waiting for the first KEEPALIVE
//   Established routes flow
// Timers (§10): connect retry; hold time = min(ours, theirs) (0: none), keepalive
// every hold/3; 240 s for the neighbor's OPEN (§8.2.2, "large value").
//
// The session does no routing: it hands UPDATEs and session up/down to its host
// (the speaker), which owns the RIB. Time comes from the host's clock, so tests
// drive every timer without sleeping.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bgp/message.h"
#include "bgp/update.h"
#include "common/addr.h"

namespace vgw::bgp {

enum class SessionState : uint8_t {
  kIdle,
  kConnect,
  kActive,
  kOpenSent,
  kOpenConfirm,
  kEstablished,
};
const char* state_name(SessionState s);  // "Idle", ..., "Established" (FRR's words)

struct NeighborConfig {
  IpAddress address;
  uint32_t remote_as = 0;
  bool operator==(const NeighborConfig&) const = default;
};

// Our side of every session.
struct LocalSettings {
  uint32_t asn = 0;
  uint32_t router_id = 0;    // host order
  IpAddress local_address;   // source of our connections (unspecified: the kernel's choice)
  uint16_t port = kBgpPort;  // the neighbor's port we connect to
  uint16_t hold_time = 90;
  uint32_t connect_retry_s = 10;
};

struct SessionCounters {
  uint64_t opens_in = 0, opens_out = 0;
  uint64_t updates_in = 0, updates_out = 0;
  uint64_t keepalives_in = 0, keepalives_out = 0;
  uint64_t notifications_in = 0, notifications_out = 0;
  uint64_t route_refresh_in = 0;
  uint64_t established_count = 0, dropped_count = 0;
  uint64_t treat_as_withdraw = 0, attribute_discard = 0;
};

class Session;

// What a session needs from the speaker.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual uint64_t now_ms() const = 0;
  virtual const LocalSettings& local() const = 0;
  // Polls fd for input (and output when want_write); unwatch before close.
  virtual void watch(int fd, bool want_write) = 0;
  virtual void unwatch(int fd) = 0;
  virtual void session_established(Session& s) = 0;  // send our routes
  virtual void session_down(Session& s) = 0;         // forget its routes
  virtual void update_received(Session& s, const UpdateDecode& u) = 0;
  virtual void route_refresh_received(Session& s, const RouteRefreshMessage& rr) = 0;
};

class Session {
 public:
  Session(SessionHost& host, uint32_t id, NeighborConfig neighbor);
  ~Session();  // closes the connections (no NOTIFICATION: use stop first)
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  uint32_t id() const { return id_; }
  const NeighborConfig& neighbor() const { return neighbor_; }
  bool ebgp() const;

  // Idle -> Connect now. stop: a Cease NOTIFICATION (subcode) on every connection, Idle.
  void start();
  void stop(uint8_t cease_subcode);

  // An incoming connection from the neighbor's address (the session takes the fd).
  void accept(int fd);
  bool owns(int fd) const;
  void on_event(int fd, uint32_t epoll_events);
  // Timers: call often (every tick); cheap when nothing is due.
  void on_timer();

  SessionState state() const;
  bool established() const { return established_ != nullptr; }
  // Sends a whole encoded message on the established connection.
  void send(const std::vector<uint8_t>& message);
  // The context UPDATEs to and from this neighbor are coded with.
  UpdateContext update_context() const;

  // For show: the neighbor's OPEN (when established), the negotiated hold time,
  // the time it came up, the last error.
  const std::optional<OpenMessage>& peer_open() const { return peer_open_; }
  uint16_t hold_time() const { return hold_time_; }
  uint64_t established_at_ms() const { return established_at_; }
  const std::string& last_error() const { return last_error_; }
  const SessionCounters& counters() const { return counters_; }

 private:
  struct Conn;
  void connect_now();
  void conn_up_tcp(Conn& c);  // TCP is up: send OPEN
  void read_from(Conn& c);
  void flush(Conn& c);
  void queue(Conn& c, const std::vector<uint8_t>& message);
  // Returns false when the connection was closed while handling.
  bool handle(Conn& c, const Message& m);
  bool handle_open(Conn& c, const OpenMessage& open);
  void fail(Conn& c, const BgpError& e);  // NOTIFICATION, close
  void close(Conn& c, const std::string& reason);
  Conn* other(const Conn& c) const;
  std::unique_ptr<Conn>& slot(const Conn& c);

  SessionHost& host_;
  uint32_t id_;
  NeighborConfig neighbor_;
  bool admin_up_ = false;
  std::unique_ptr<Conn> out_, in_;
  Conn* established_ = nullptr;
  uint64_t retry_at_ = 0;
  std::optional<OpenMessage> peer_open_;
  uint16_t hold_time_ = 0;
  uint64_t established_at_ = 0;
  std::string last_error_;
  SessionCounters counters_;
};

}  // namespace vgw::bgp
