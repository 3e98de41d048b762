#include "bgp/speaker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

#include <fmt/format.h>

namespace vgw::bgp {

namespace {

constexpr uint64_t kListenRetryMs = 5000;
constexpr size_t kRoutesPerUpdate = 64;  // halved while an UPDATE would exceed 4096 bytes

bool same_local(const SpeakerConfig& a, const SpeakerConfig& b) {
  return a.asn == b.asn && a.router_id == b.router_id && a.local_address == b.local_address &&
         a.bind_address == b.bind_address && a.port == b.port && a.hold_time == b.hold_time &&
         a.connect_retry_s == b.connect_retry_s && a.listen == b.listen;
}

}  // namespace

uint64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000'000;
}

Speaker::Speaker(ImportSink& sink, MsClock clock)
    : sink_(sink), clock_(clock ? std::move(clock) : MsClock(monotonic_ms)) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (wake_fd_ >= 0 && epoll_fd_ >= 0) {
    itimerspec its{};
    its.it_interval.tv_nsec = 100'000'000;
    its.it_value = its.it_interval;
    timerfd_settime(wake_fd_, 0, &its, nullptr);
    watch(wake_fd_, false);
  }
}

Speaker::~Speaker() {
  sessions_.clear();
  close_listener();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

Status Speaker::configure(const SpeakerConfig& next) {
  if (epoll_fd_ < 0) return make_error("evpn: epoll_create1 failed");
  if (next.asn == 0) return make_error("evpn.asn: 0 is out of range 1..4294967295");
  if (next.router_id.v6 || next.router_id.is_unspecified())
    return make_error("evpn.router-id: '" + next.router_id.to_string() +
                      "' is not a non-zero IPv4 address");
  if (next.hold_time == 1 || next.hold_time == 2)
    return make_error(
        fmt::format("evpn.hold-time: {} s (must be 0 or at least 3)", next.hold_time));
  for (size_t i = 0; i < next.neighbors.size(); ++i)
    if (next.neighbors[i].remote_as == 0)
      return make_error(fmt::format("evpn.neighbors[{}].remote-as: 0 is out of range", i));

  if (configured_ && !same_local(config_, next)) {
    for (auto& s : sessions_) s->stop(err::kOtherConfigurationChange);
    sessions_.clear();
    close_listener();
  }
  config_ = next;
  configured_ = true;
  local_.asn = next.asn;
  local_.router_id = next.router_id.v4_host();
  local_.local_address =
      next.bind_address.is_unspecified() ? next.local_address : next.bind_address;
  local_.port = next.port;
  local_.hold_time = next.hold_time;
  local_.connect_retry_s = next.connect_retry_s;

  // Neighbors: removed or changed ones stop, new ones start.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const NeighborConfig& nb = (*it)->neighbor();
    bool keep = std::find(next.neighbors.begin(), next.neighbors.end(), nb) != next.neighbors.end();
    if (keep) {
      ++it;
      continue;
    }
    (*it)->stop(err::kPeerDeconfigured);
    rib_.remove_peer((*it)->id());
    it = sessions_.erase(it);
  }
  for (const auto& nb : next.neighbors) {
    bool have = std::any_of(sessions_.begin(), sessions_.end(),
                            [&](const auto& s) { return s->neighbor() == nb; });
    if (have) continue;
    peer_addresses_[next_id_] = nb.address;
    sessions_.push_back(
        std::make_unique<Session>(static_cast<SessionHost&>(*this), next_id_++, nb));
    sessions_.back()->start();
  }
  if (!(rib_.vnis() == next.vnis) || !(rib_.local_vtep() == next.local_address) ||
      !(rib_.l3vnis() == next.l3vnis))
    rib_.configure(next.vnis, next.local_address, next.l3vnis);
  if (next.listen && listen_fd_ < 0) open_listener();
  if (!next.listen) close_listener();
  flush_rib();
  return {};
}

void Speaker::open_listener() {
  listen_retry_at_ = clock_() + kListenRetryMs;
  const IpAddress& a = local_.local_address;
  bool v6 = a.v6;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    listen_error_ = fmt::format("socket: {}", std::strerror(errno));
    return;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(config_.port);
    std::memcpy(&s6->sin6_addr, a.b.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(config_.port);
    std::memcpy(&s4->sin_addr, a.b.data(), 4);
    len = sizeof(sockaddr_in);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 64) != 0) {
    listen_error_ =
        fmt::format("listen on {} port {}: {}", a.to_string(), config_.port, std::strerror(errno));
    ::close(fd);
    return;
  }
  listen_error_.clear();
  listen_fd_ = fd;
  watch(fd, false);
}

void Speaker::close_listener() {
  if (listen_fd_ < 0) return;
  unwatch(listen_fd_);
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void Speaker::accept_all() {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd =
        ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or a transient error: the next poll tries again
    }
    IpAddress from;
    if (ss.ss_family == AF_INET) {
      const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
      from = IpAddress::from_v4_bytes(reinterpret_cast<const uint8_t*>(&s4->sin_addr));
    } else {
      const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      from = IpAddress::from_v6_bytes(reinterpret_cast<const uint8_t*>(&s6->sin6_addr));
    }
    auto it = std::find_if(sessions_.begin(), sessions_.end(),
                           [&](const auto& s) { return s->neighbor().address == from; });
    if (it == sessions_.end()) {
      ::close(fd);  // not a configured neighbor
      continue;
    }
    (*it)->accept(fd);
  }
}

void Speaker::watch(int fd, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  if (watched_.insert(fd).second)
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  else
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void Speaker::unwatch(int fd) {
  if (watched_.erase(fd)) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

Session* Speaker::session_by_fd(int fd) {
  for (auto& s : sessions_)
    if (s->owns(fd)) return s.get();
  return nullptr;
}

void Speaker::poll() {
  // The wake timer ticks whether or not EVPN is configured: it is read here in either
  // case, or its expirations keep epoll_fd_ readable and the control loop that waits on
  // it spins.
  if (configured_ && config_.listen && listen_fd_ < 0 && clock_() >= listen_retry_at_) {
    open_listener();
  }
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, 64, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
        continue;
      }
      if (fd == wake_fd_) {
        uint64_t expirations;
        [[maybe_unused]] auto r = ::read(wake_fd_, &expirations, sizeof expirations);
        continue;
      }
      if (Session* s = session_by_fd(fd)) s->on_event(fd, events[i].events);
    }
    if (n < 64) break;
  }
  if (!configured_) return;
  for (auto& s : sessions_) s->on_timer();
  flush_rib();
}

void Speaker::shutdown() {
  for (auto& s : sessions_) s->stop(err::kAdministrativeShutdown);
  flush_rib();
}

void Speaker::set_local_macs(const std::set<std::pair<uint32_t, MacAddress>>& macs) {
  rib_.set_local_macs(macs);
  flush_rib();
}

void Speaker::update_local_macs(const std::vector<LocalMacChange>& changes) {
  for (const auto& c : changes) rib_.set_local_mac(c.vni, c.mac, c.present);
  flush_rib();
}

void Speaker::set_local_macips(const std::set<EvpnRib::MacIp>& bindings) {
  rib_.set_local_macips(bindings);
  flush_rib();
}

void Speaker::flush_rib() {
  ImportChanges in = rib_.take_changes();
  if (!in.empty()) sink_.apply(in);
  ExportChanges out = rib_.take_export_changes();
  if (out.empty()) return;
  for (auto& s : sessions_)
    if (s->established()) send_routes(*s, out.advertise, out.withdraw);
}

void Speaker::send_routes(Session& s, const std::vector<EvpnRoute>& advertise,
                          const std::vector<EvpnRoute>& withdraw) {
  // RFC 4760 §6: only families both sides announced.
  if (!s.peer_open() || std::find(s.peer_open()->families.begin(), s.peer_open()->families.end(),
                                  kL2vpnEvpn) == s.peer_open()->families.end())
    return;
  const UpdateContext ctx = s.update_context();
  // Encodes routes[begin, end) with make(); halves the batch while it does not fit.
  auto emit = [&](const std::vector<EvpnRoute>& routes, auto&& make) {
    size_t i = 0;
    size_t batch = kRoutesPerUpdate;
    while (i < routes.size()) {
      size_t n = std::min(batch, routes.size() - i);
      std::vector<EvpnRoute> chunk(routes.begin() + static_cast<std::ptrdiff_t>(i),
                                   routes.begin() + static_cast<std::ptrdiff_t>(i + n));
      auto bytes = encode_update(make(std::move(chunk)), ctx);
      if (!bytes) {
        if (batch == 1) {
          ++i;  // a route that can never fit: not sent
          continue;
        }
        batch /= 2;
        continue;
      }
      s.send(*bytes);
      i += n;
    }
  };
  if (!withdraw.empty()) {
    emit(withdraw, [](std::vector<EvpnRoute> chunk) {
      UpdateMessage u;
      u.attributes.mp_unreach = MpUnreach{kL2vpnEvpn, Nlri{{}, std::move(chunk), {}}};
      return u;
    });
  }
  // Routes with equal attributes share UPDATEs.
  std::map<PathAttributes, std::vector<EvpnRoute>> groups;
  for (const auto& r : advertise) {
    auto it = rib_.local_routes().find(r);
    if (it == rib_.local_routes().end()) continue;
    PathAttributes a = rib_.export_attributes(r, it->second);
    if (ctx.ebgp) {
      a.as_path = AsPath{{AsSegment{AsSegmentType::kSequence, {config_.asn}}}};
    } else {
      a.as_path = AsPath{};
      a.local_pref = 100;
    }
    groups[std::move(a)].push_back(r);
  }
  for (auto& [attrs, routes] : groups) {
    const PathAttributes& base = attrs;
    emit(routes, [&](std::vector<EvpnRoute> chunk) {
      UpdateMessage u;
      u.attributes = base;
      MpReach mp;
      mp.family = kL2vpnEvpn;
      mp.next_hops = {config_.local_address};
      mp.nlri.evpn = std::move(chunk);
      u.attributes.mp_reach = std::move(mp);
      return u;
    });
  }
}

void Speaker::session_established(Session& s) {
  std::vector<EvpnRoute> all;
  for (const auto& [r, l] : rib_.local_routes()) all.push_back(r);
  send_routes(s, all, {});
  const auto& fams = s.peer_open()->families;
  if (std::find(fams.begin(), fams.end(), kL2vpnEvpn) == fams.end()) return;
  auto eor = encode_update(end_of_rib(kL2vpnEvpn), s.update_context());
  if (eor) s.send(*eor);
}

void Speaker::session_down(Session& s) {
  rib_.remove_peer(s.id());
}

void Speaker::update_received(Session& s, const UpdateDecode& u) {
  const PathAttributes& a = u.update.attributes;
  if (a.mp_unreach && a.mp_unreach->family == kL2vpnEvpn)
    for (const auto& r : a.mp_unreach->withdrawn.evpn) rib_.withdraw(s.id(), r);
  if (!a.mp_reach || a.mp_reach->family != kL2vpnEvpn) return;
  bool withdraw_all = u.verdict == Action::kTreatAsWithdraw;
  if (s.ebgp() && a.as_path) {
    for (const auto& seg : a.as_path->segments)
      if (std::find(seg.asns.begin(), seg.asns.end(), config_.asn) != seg.asns.end())
        withdraw_all = true;  // our own AS: a loop
  }
  if (!s.ebgp() && a.originator_id && *a.originator_id == config_.router_id) withdraw_all = true;
  if (withdraw_all) {
    for (const auto& r : a.mp_reach->nlri.evpn) rib_.withdraw(s.id(), r);
    return;
  }
  PathInfo path = path_info_from(a);
  for (const auto& r : a.mp_reach->nlri.evpn) rib_.update(s.id(), r, path);
}

void Speaker::route_refresh_received(Session& s, const RouteRefreshMessage& rr) {
  if (rr.family != kL2vpnEvpn || rr.subtype != 0) return;
  session_established(s);  // the whole table again, then End-of-RIB
}

std::vector<PeerStatus> Speaker::peers() const {
  std::vector<PeerStatus> out;
  const uint64_t now = clock_();
  for (const auto& s : sessions_) {
    PeerStatus p;
    p.address = s->neighbor().address;
    p.remote_as = s->neighbor().remote_as;
    p.ebgp = s->ebgp();
    p.state = s->state();
    if (s->peer_open()) p.peer_router_id = s->peer_open()->bgp_id;
    p.hold_time = s->hold_time();
    if (s->established()) {
      p.uptime_s = (now - s->established_at_ms()) / 1000;
      p.routes_sent = rib_.local_routes().size();
    }
    p.routes_received = rib_.received_count(s->id());
    p.last_error = s->last_error();
    p.counters = s->counters();
    out.push_back(std::move(p));
  }
  return out;
}

IpAddress Speaker::peer_address(PeerId id) const {
  auto it = peer_addresses_.find(id);
  return it == peer_addresses_.end() ? IpAddress{} : it->second;
}

}  // namespace vgw::bgp
