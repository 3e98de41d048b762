// libFuzzer target: the BGP session layer (RFC 4271 §8 FSM, RFC 7606 verdicts)
// and the EVPN RIB behind it, fed an arbitrary byte stream by an established peer.
//
// A Session accepts one end of a socketpair as the neighbor's connection; the
// other end plays the peer: a valid OPEN and KEEPALIVE (so the session is
// Established), then the input in chunks whose sizes, like time jumps for the
// timers (hold, keepalive), come from the input itself. Every UPDATE goes into an
// EvpnRib the way the speaker does it. Checks: no crash, no UB, no hang (the
// loop is bounded and every read must make progress), and the session either is
// still Established on that connection or has let go of it (after a NOTIFICATION).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "bgp/message.h"
#include "bgp/rib.h"
#include "bgp/session.h"

namespace {

using namespace vgw::bgp;
using vgw::IpAddress;

constexpr uint32_t kOurAs = 65000;
constexpr uint32_t kOurId = 0x0a000001;   // 10.0.0.1
constexpr uint32_t kPeerId = 0x0a000002;  // 10.0.0.2

class Host final : public SessionHost {
 public:
  uint64_t now = 1'000'000;
  LocalSettings settings;
  EvpnRib rib;
  int established = 0;

  uint64_t now_ms() const override { return now; }
  const LocalSettings& local() const override { return settings; }
  void watch(int, bool) override {}
  void unwatch(int) override {}
  void session_established(Session&) override { ++established; }
  void session_down(Session& s) override { rib.remove_peer(s.id()); }
  void update_received(Session& s, const UpdateDecode& u) override {
    const PathAttributes& a = u.update.attributes;
    if (a.mp_unreach && a.mp_unreach->family == kL2vpnEvpn)
      for (const auto& r : a.mp_unreach->withdrawn.evpn) rib.withdraw(s.id(), r);
    if (!a.mp_reach || a.mp_reach->family != kL2vpnEvpn) return;
    if (u.verdict == Action::kTreatAsWithdraw) {
      for (const auto& r : a.mp_reach->nlri.evpn) rib.withdraw(s.id(), r);
      return;
    }
    PathInfo path = path_info_from(a);
    for (const auto& r : a.mp_reach->nlri.evpn) rib.update(s.id(), r, path);
    (void)rib.take_changes();
    (void)rib.take_export_changes();
  }
  void route_refresh_received(Session&, const RouteRefreshMessage&) override {}
};

void drain(int fd) {
  uint8_t buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool ebgp = data[0] & 1;
  const uint16_t hold = (data[0] & 2) ? 3 : 90;
  data += 1;
  size -= 1;

  Host host;
  host.settings.asn = kOurAs;
  host.settings.router_id = kOurId;
  host.settings.hold_time = hold;
  host.settings.port = 1;  // our own connect attempt is refused at once (loopback)
  VniConfig vni;
  vni.vni = 100;
  vni.rd = derive_rd(*IpAddress::parse("10.0.0.1"), 1);
  vni.import_rts = vni.export_rts = {derive_rt(kOurAs, 100)};
  host.rib.configure({vni}, *IpAddress::parse("10.0.0.1"));

  const uint32_t peer_as = ebgp ? 65001 : kOurAs;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  Session session(host, 7, NeighborConfig{*IpAddress::parse("127.0.0.1"), peer_as});
  session.start();
  session.accept(sv[0]);  // the session owns sv[0] from here

  OpenMessage open;
  open.my_as = peer_as;
  open.hold_time = hold;
  open.bgp_id = kPeerId;
  open.families = {kL2vpnEvpn};
  std::vector<uint8_t> hello = *encode_open(open);
  auto ka = encode_keepalive();
  hello.insert(hello.end(), ka.begin(), ka.end());
  if (::write(sv[1], hello.data(), hello.size()) != static_cast<ssize_t>(hello.size()))
    std::abort();
  session.on_event(sv[0], 1 /* EPOLLIN */);
  drain(sv[1]);
  if (!session.established()) std::abort();  // a valid OPEN + KEEPALIVE must get there

  // The stream: [chunk length byte][time step byte][chunk...] repeated.
  size_t pos = 0;
  for (int rounds = 0; pos < size && rounds < 4096; ++rounds) {
    size_t len = data[pos++] * 8 + 1;
    uint64_t step = pos < size ? data[pos++] : 0;
    len = std::min(len, size - pos);
    if (len > 0 && ::send(sv[1], data + pos, len, MSG_NOSIGNAL) < 0) break;
    pos += len;
    host.now += step * 50;  // up to 12.75 s: the hold timer fires for hold 3
    if (!session.owns(sv[0])) break;
    session.on_event(sv[0], 1);
    session.on_timer();
    drain(sv[1]);
    if (!session.owns(sv[0])) break;
  }
  // Established only on the peer's connection: a session that gave it up (after
  // a NOTIFICATION, which drain() read) is no longer Established.
  if (session.established() && !session.owns(sv[0])) std::abort();
  ::close(sv[1]);
  return 0;
}
