#include "bgp/session.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vgw::bgp {

namespace {

constexpr uint64_t kOpenHoldMs = 240'000;  // §8.2.2: the hold timer while waiting for OPEN
constexpr size_t kReadChunk = 65536;

// RFC 6608 subcodes of the FSM error: an unexpected message in a state.
constexpr uint8_t kFsmUnexpectedInOpenSent = 1;
constexpr uint8_t kFsmUnexpectedInOpenConfirm = 2;
constexpr uint8_t kFsmUnexpectedInEstablished = 3;

sockaddr_storage to_sockaddr(const IpAddress& a, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.b.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    std::memcpy(&s4->sin_addr, a.b.data(), 4);
    len = sizeof(sockaddr_in);
  }
  return ss;
}

}  // namespace

const char* state_name(SessionState s) {
  switch (s) {
    case SessionState::kIdle:
      return "Idle";
    case SessionState::kConnect:
      return "Connect";
    case SessionState::kActive:
      return "Active";
    case SessionState::kOpenSent:
      return "OpenSent";
    case SessionState::kOpenConfirm:
      return "OpenConfirm";
    case SessionState::kEstablished:
      return "Established";
  }
  return "?";
}

struct Session::Conn {
  int fd = -1;
  bool outgoing = false;
  SessionState state = SessionState::kConnect;
  std::vector<uint8_t> in;
  std::vector<uint8_t> out;
  size_t out_off = 0;
  bool want_write = false;
  std::optional<OpenMessage> open;  // the neighbor's, once received
  uint16_t hold = 0;                // negotiated (seconds)
  uint64_t hold_deadline = 0;       // ms; 0 = none
  uint64_t keepalive_at = 0;        // ms; 0 = none
  uint64_t connect_deadline = 0;
};

Session::Session(SessionHost& host, uint32_t id, NeighborConfig neighbor)
    : host_(host), id_(id), neighbor_(std::move(neighbor)) {}

Session::~Session() {
  for (auto* s : {&out_, &in_}) {
    if (*s && (*s)->fd >= 0) {
      host_.unwatch((*s)->fd);
      ::close((*s)->fd);
    }
  }
}

bool Session::ebgp() const {
  return neighbor_.remote_as != host_.local().asn;
}

SessionState Session::state() const {
  SessionState best = admin_up_ ? SessionState::kActive : SessionState::kIdle;
  for (const auto* c : {out_.get(), in_.get()})
    if (c && c->state > best) best = c->state;
  if (!admin_up_) return SessionState::kIdle;
  return best;
}

UpdateContext Session::update_context() const {
  UpdateContext ctx;
  ctx.ebgp = ebgp();
  ctx.peer_as = ctx.ebgp ? neighbor_.remote_as : 0;
  ctx.four_octet_as = peer_open_ ? peer_open_->four_octet_as : true;
  return ctx;
}

void Session::start() {
  if (admin_up_) return;
  admin_up_ = true;
  connect_now();
}

void Session::stop(uint8_t cease_subcode) {
  admin_up_ = false;
  for (auto* s : {&out_, &in_}) {
    if (!*s) continue;
    Conn& c = **s;
    if (c.state >= SessionState::kOpenSent)
      fail(c, bgp_error(err::kCease, cease_subcode, "stopped"));
    else
      close(c, "stopped");
  }
}

void Session::connect_now() {
  const LocalSettings& local = host_.local();
  retry_at_ = host_.now_ms() + uint64_t{local.connect_retry_s} * 1000;
  const IpAddress& a = neighbor_.address;
  int fd = ::socket(a.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    last_error_ = fmt::format("socket: {}", std::strerror(errno));
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!local.local_address.is_unspecified() && local.local_address.v6 == a.v6) {
    socklen_t len;
    auto src = to_sockaddr(local.local_address, 0, len);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), len) != 0) {
      last_error_ =
          fmt::format("bind {}: {}", local.local_address.to_string(), std::strerror(errno));
      ::close(fd);
      return;
    }
  }
  socklen_t len;
  auto dst = to_sockaddr(a, local.port, len);
  int r = ::connect(fd, reinterpret_cast<sockaddr*>(&dst), len);
  if (r != 0 && errno != EINPROGRESS) {
    last_error_ = fmt::format("connect: {}", std::strerror(errno));
    ::close(fd);
    return;
  }
  out_ = std::make_unique<Conn>();
  out_->fd = fd;
  out_->outgoing = true;
  out_->state = SessionState::kConnect;
  out_->connect_deadline = retry_at_;
  out_->want_write = true;
  host_.watch(fd, true);
  if (r == 0) conn_up_tcp(*out_);
}

void Session::accept(int fd) {
  if (!admin_up_ || (in_ && in_->state == SessionState::kEstablished)) {
    ::close(fd);  // an established session is kept (§6.8); Idle accepts nothing
    return;
  }
  if (in_) close(*in_, "replaced by a new incoming connection");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  in_ = std::make_unique<Conn>();
  in_->fd = fd;
  in_->outgoing = false;
  host_.watch(fd, false);
  conn_up_tcp(*in_);
}

bool Session::owns(int fd) const {
  return (out_ && out_->fd == fd) || (in_ && in_->fd == fd);
}

void Session::conn_up_tcp(Conn& c) {
  const LocalSettings& local = host_.local();
  OpenMessage open;
  open.my_as = local.asn;
  open.hold_time = local.hold_time;
  open.bgp_id = local.router_id;
  open.families = {kL2vpnEvpn};
  auto bytes = encode_open(open);
  if (!bytes) {
    last_error_ = bytes.error().message;
    close(c, bytes.error().message);
    return;
  }
  c.state = SessionState::kOpenSent;
  c.hold_deadline = host_.now_ms() + kOpenHoldMs;
  ++counters_.opens_out;
  queue(c, *bytes);
}

void Session::on_event(int fd, uint32_t events) {
  Conn* c = out_ && out_->fd == fd ? out_.get() : in_ && in_->fd == fd ? in_.get() : nullptr;
  if (!c) return;
  if (c->state == SessionState::kConnect) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close(*c, fmt::format("connect: {}", std::strerror(err)));
      return;
    }
    conn_up_tcp(*c);
    return;
  }
  if (events & EPOLLOUT) {
    flush(*c);
    c = out_ && out_->fd == fd ? out_.get() : in_ && in_->fd == fd ? in_.get() : nullptr;
    if (!c) return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_from(*c);
}

void Session::read_from(Conn& c) {
  const int fd = c.fd;
  for (;;) {
    size_t old = c.in.size();
    c.in.resize(old + kReadChunk);
    ssize_t n = ::recv(fd, c.in.data() + old, kReadChunk, 0);
    if (n > 0) {
      c.in.resize(old + static_cast<size_t>(n));
      if (static_cast<size_t>(n) < kReadChunk) break;
      continue;
    }
    c.in.resize(old);
    if (n == 0) {
      close(c, "connection closed by the neighbor");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close(c, fmt::format("recv: {}", std::strerror(errno)));
    return;
  }
  // Messages one by one; c may be closed (and freed) while handling one.
  size_t off = 0;
  for (;;) {
    std::span<const uint8_t> rest(c.in.data() + off, c.in.size() - off);
    auto len = next_message_length(rest);
    if (!len) {
      fail(c, len.error());
      return;
    }
    if (*len == 0) break;
    auto msg = decode_message(rest.first(*len), update_context());
    off += *len;
    if (!msg) {
      fail(c, msg.error());
      return;
    }
    if (!handle(c, *msg)) return;
  }
  c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(off));
}

void Session::queue(Conn& c, const std::vector<uint8_t>& message) {
  c.out.insert(c.out.end(), message.begin(), message.end());
  flush(c);
}

void Session::flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close(c, fmt::format("send: {}", std::strerror(errno)));
    return;
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  }
  bool want = !c.out.empty();
  if (want != c.want_write) {
    c.want_write = want;
    host_.watch(c.fd, want);
  }
}

void Session::send(const std::vector<uint8_t>& message) {
  if (!established_) return;
  ++counters_.updates_out;
  queue(*established_, message);
}

Session::Conn* Session::other(const Conn& c) const {
  return &c == out_.get() ? in_.get() : out_.get();
}

std::unique_ptr<Session::Conn>& Session::slot(const Conn& c) {
  return &c == out_.get() ? out_ : in_;
}

bool Session::handle(Conn& c, const Message& m) {
  const uint64_t now = host_.now_ms();
  if (const auto* n = std::get_if<NotificationMessage>(&m)) {
    ++counters_.notifications_in;
    last_error_ = "received NOTIFICATION " + n->to_string();
    close(c, last_error_);
    return false;
  }
  if (c.state == SessionState::kOpenSent) {
    const auto* open = std::get_if<OpenMessage>(&m);
    if (!open) {
      fail(c, bgp_error(err::kFsm, kFsmUnexpectedInOpenSent, "expected OPEN"));
      return false;
    }
    return handle_open(c, *open);
  }
  if (c.hold > 0) c.hold_deadline = now + uint64_t{c.hold} * 1000;
  if (c.state == SessionState::kOpenConfirm) {
    if (!std::holds_alternative<KeepaliveMessage>(m)) {
      fail(c, bgp_error(err::kFsm, kFsmUnexpectedInOpenConfirm, "expected KEEPALIVE"));
      return false;
    }
    ++counters_.keepalives_in;
    // A collision loser may still be around: it is closed when its OPEN arrives.
    c.state = SessionState::kEstablished;
    established_ = &c;
    peer_open_ = c.open;
    hold_time_ = c.hold;
    established_at_ = now;
    last_error_.clear();
    ++counters_.established_count;
    host_.session_established(*this);
    return established_ == &c;
  }
  // Established.
  if (std::holds_alternative<KeepaliveMessage>(m)) {
    ++counters_.keepalives_in;
    return true;
  }
  if (const auto* u = std::get_if<UpdateDecode>(&m)) {
    ++counters_.updates_in;
    if (u->verdict == Action::kTreatAsWithdraw) ++counters_.treat_as_withdraw;
    if (u->verdict == Action::kAttributeDiscard) ++counters_.attribute_discard;
    host_.update_received(*this, *u);
    return established_ == &c;
  }
  if (const auto* rr = std::get_if<RouteRefreshMessage>(&m)) {
    ++counters_.route_refresh_in;
    host_.route_refresh_received(*this, *rr);
    return established_ == &c;
  }
  fail(c, bgp_error(err::kFsm, kFsmUnexpectedInEstablished, "unexpected OPEN"));
  return false;
}

bool Session::handle_open(Conn& c, const OpenMessage& open) {
  ++counters_.opens_in;
  const LocalSettings& local = host_.local();
  OpenExpectations expect{neighbor_.remote_as, local.router_id, !ebgp()};
  if (auto e = check_open(open, expect)) {
    fail(c, *e);
    return false;
  }
  // §6.8: with the neighbor's identifier known, resolve a collision now.
  if (Conn* o = other(c); o && o->state >= SessionState::kOpenSent) {
    if (o->state == SessionState::kEstablished) {
      fail(c, bgp_error(err::kCease, err::kConnectionCollisionResolution,
                        "collision with the established connection"));
      return false;
    }
    // Keep the connection initiated by the side with the higher identifier.
    bool keep_outgoing = local.router_id > open.bgp_id;
    Conn& loser = (c.outgoing == keep_outgoing) ? *o : c;
    bool lost_self = &loser == &c;
    fail(loser, bgp_error(err::kCease, err::kConnectionCollisionResolution,
                          "connection collision resolution"));
    if (lost_self) return false;
  }
  c.open = open;
  c.hold = std::min(local.hold_time, open.hold_time);
  const uint64_t now = host_.now_ms();
  c.state = SessionState::kOpenConfirm;
  c.hold_deadline = c.hold ? now + uint64_t{c.hold} * 1000 : 0;
  c.keepalive_at = c.hold ? now + uint64_t{c.hold} * 1000 / 3 : 0;
  ++counters_.keepalives_out;
  queue(c, encode_keepalive());
  return slot(c) != nullptr && slot(c).get() == &c;
}

void Session::on_timer() {
  const uint64_t now = host_.now_ms();
  for (auto* s : {&out_, &in_}) {
    if (!*s) continue;
    Conn& c = **s;
    if (c.state == SessionState::kConnect) {
      if (now >= c.connect_deadline) close(c, "connect timed out");
      continue;
    }
    if (c.hold_deadline && now >= c.hold_deadline) {
      fail(c, bgp_error(err::kHoldTimerExpired, 0, "hold timer expired"));
      continue;
    }
    if (c.keepalive_at && now >= c.keepalive_at &&
        (c.state == SessionState::kOpenConfirm || c.state == SessionState::kEstablished)) {
      c.keepalive_at = now + uint64_t{c.hold} * 1000 / 3;
      ++counters_.keepalives_out;
      queue(c, encode_keepalive());
    }
  }
  if (admin_up_ && !out_ && !established_ && !in_ && now >= retry_at_) connect_now();
}

void Session::fail(Conn& c, const BgpError& e) {
  auto n = encode_notification(to_notification(e));
  if (n) {
    ++counters_.notifications_out;
    // Best effort: what is queued goes first, then the NOTIFICATION.
    c.out.insert(c.out.end(), n->begin(), n->end());
    while (c.out_off < c.out.size()) {
      ssize_t k = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (k <= 0) break;
      c.out_off += static_cast<size_t>(k);
    }
  }
  last_error_ = "sent NOTIFICATION " + to_notification(e).to_string() + ": " + e.reason;
  close(c, last_error_);
}

void Session::close(Conn& c, const std::string& reason) {
  last_error_ = reason;
  host_.unwatch(c.fd);
  ::close(c.fd);
  const bool was_established = established_ == &c;
  auto& s = slot(c);
  s.reset();  // c is gone from here on
  if (was_established) {
    established_ = nullptr;
    peer_open_.reset();
    hold_time_ = 0;
    ++counters_.dropped_count;
    host_.session_down(*this);
  }
  if (!out_ && !in_) retry_at_ = std::max(retry_at_, host_.now_ms() + 1000);
}

}  // namespace vgw::bgp
