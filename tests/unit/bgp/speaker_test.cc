// The speaker end to end over loopback TCP: two in-process speakers (and a
// hand-driven raw peer) exchange real BGP messages; timers run on a fake clock.
#include "bgp/speaker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::ip;
using testing::mac;

// Applies the import changes to a model of the data plane.
struct Recorder : ImportSink {
  std::set<std::pair<uint32_t, IpAddress>> flood;
  std::map<std::pair<uint32_t, MacAddress>, std::pair<IpAddress, uint32_t>> macs;
  void apply(const ImportChanges& c) override {
    for (const auto& f : c.flood_removed) flood.erase({f.vni, f.vtep});
    for (const auto& f : c.flood_added) flood.insert({f.vni, f.vtep});
    for (const auto& m : c.macs_removed) macs.erase({m.vni, m.mac});
    for (const auto& m : c.macs_installed) macs[{m.vni, m.mac}] = {m.vtep, m.sequence};
  }
};

uint16_t test_port() {
  return static_cast<uint16_t>(20000 + (::getpid() * 7) % 30000);
}

VniConfig vni100(const char* router_id, uint32_t asn) {
  VniConfig v;
  v.vni = 100;
  v.rd = derive_rd(ip(router_id), 1);
  v.import_rts = v.export_rts = {derive_rt(asn, 100)};
  return v;
}

SpeakerConfig config(const char* addr, uint32_t asn, const char* peer, uint32_t peer_as) {
  SpeakerConfig c;
  c.asn = asn;
  c.router_id = ip(addr);
  c.local_address = ip(addr);
  c.port = test_port();
  c.hold_time = 9;
  c.neighbors = {{ip(peer), peer_as}};
  c.vnis = {vni100(addr, asn)};
  return c;
}

struct Pair : ::testing::Test {
  uint64_t now = 1'000'000;
  Recorder sink_a, sink_b;
  std::unique_ptr<Speaker> a, b;
  void make(SpeakerConfig ca, SpeakerConfig cb) {
    a = std::make_unique<Speaker>(sink_a, [this] { return now; });
    b = std::make_unique<Speaker>(sink_b, [this] { return now; });
    ASSERT_TRUE(a->configure(ca));
    ASSERT_TRUE(b->configure(cb));
  }
  // Polls both (real sockets, fake time) until pred or ~2 s.
  template <typename Pred>
  bool pump(Pred pred) {
    for (int i = 0; i < 2000; ++i) {
      if (a) a->poll();
      if (b) b->poll();
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  // Lets in-flight messages arrive (~50 ms of polling).
  void settle() {
    for (int i = 0; i < 50; ++i) {
      a->poll();
      if (b) b->poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  SessionState state(const Speaker& s) { return s.peers().at(0).state; }
  bool both_established() {
    return state(*a) == SessionState::kEstablished && state(*b) == SessionState::kEstablished;
  }
};

TEST_F(Pair, IbgpSessionEstablishesDespiteCollision) {
  make(config("127.0.0.1", 65000, "127.0.0.2", 65000),
       config("127.0.0.2", 65000, "127.0.0.1", 65000));
  ASSERT_TRUE(pump([&] { return both_established(); }));
  auto pa = a->peers().at(0);
  EXPECT_FALSE(pa.ebgp);
  EXPECT_EQ(pa.hold_time, 9);
  EXPECT_EQ(pa.peer_router_id, ip("127.0.0.2").v4_host());
  // Both connected at once: exactly one connection survived on each side.
  EXPECT_EQ(pa.counters.established_count, 1u);
  EXPECT_EQ(b->peers().at(0).counters.established_count, 1u);
}

TEST_F(Pair, Type3RoutesBuildEachOthersFloodList) {
  make(config("127.0.0.1", 65000, "127.0.0.2", 65000),
       config("127.0.0.2", 65000, "127.0.0.1", 65000));
  ASSERT_TRUE(pump([&] { return sink_a.flood.size() == 1 && sink_b.flood.size() == 1; }));
  EXPECT_EQ(sink_a.flood, (std::set<std::pair<uint32_t, IpAddress>>{{100, ip("127.0.0.2")}}));
  EXPECT_EQ(sink_b.flood, (std::set<std::pair<uint32_t, IpAddress>>{{100, ip("127.0.0.1")}}));
  // A's received type 3 as B advertised it: RD 127.0.0.2:1, PMSI, RT, encapsulation.
  const auto* in = a->rib().adj_in(1);
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(in->size(), 1u);
  const auto& [route, path] = *in->begin();
  ASSERT_TRUE(std::holds_alternative<ImetRoute>(route));
  EXPECT_EQ(std::get<ImetRoute>(route).rd.to_string(), "127.0.0.2:1");
  EXPECT_EQ(path.pmsi_endpoint, ip("127.0.0.2"));
  EXPECT_EQ(path.pmsi_label, 100u);
  EXPECT_EQ(path.encapsulation, kTunnelTypeVxlan);
  EXPECT_EQ(path.route_targets, std::vector<RouteTarget>{RouteTarget::as2(65000, 100)});
}

TEST_F(Pair, Type2FollowsLocalMacsAndWithdrawals) {
  make(config("127.0.0.1", 65000, "127.0.0.2", 65000),
       config("127.0.0.2", 65000, "127.0.0.1", 65000));
  ASSERT_TRUE(pump([&] { return both_established(); }));
  a->set_local_macs({{100, mac("02:00:00:00:01:01")}, {100, mac("02:00:00:00:01:02")}});
  ASSERT_TRUE(pump([&] { return sink_b.macs.size() == 2; }));
  EXPECT_EQ(sink_b.macs.at({100, mac("02:00:00:00:01:01")}).first, ip("127.0.0.1"));
  a->set_local_macs({{100, mac("02:00:00:00:01:02")}});
  ASSERT_TRUE(pump([&] { return sink_b.macs.size() == 1; }));
  EXPECT_EQ(sink_b.macs.count({100, mac("02:00:00:00:01:02")}), 1u);
  // A MAC of a VNI we do not have is not advertised.
  a->set_local_macs({{100, mac("02:00:00:00:01:02")}, {200, mac("02:00:00:00:02:02")}});
  settle();
  EXPECT_EQ(sink_b.macs.size(), 1u);
}

TEST_F(Pair, EbgpNeedsMatchingRouteTargets) {
  auto ca = config("127.0.0.1", 65001, "127.0.0.2", 65002);
  auto cb = config("127.0.0.2", 65002, "127.0.0.1", 65001);
  make(ca, cb);
  ASSERT_TRUE(pump([&] { return both_established(); }));
  EXPECT_TRUE(a->peers().at(0).ebgp);
  pump([&] { return a->rib().received_count(1) == 1; });
  // Each side derived RT ASN:100 from its own AS: nothing imported (as FRR).
  EXPECT_TRUE(sink_a.flood.empty());
  // Configured route targets on both sides: imported (the routes are re-imported).
  ca.vnis[0].import_rts.push_back(RouteTarget::as2(65002, 100));
  ASSERT_TRUE(a->configure(ca));
  EXPECT_EQ(sink_a.flood, (std::set<std::pair<uint32_t, IpAddress>>{{100, ip("127.0.0.2")}}));
}

TEST_F(Pair, HoldTimerExpiryDropsSessionAndItsRoutes) {
  make(config("127.0.0.1", 65000, "127.0.0.2", 65000),
       config("127.0.0.2", 65000, "127.0.0.1", 65000));
  ASSERT_TRUE(pump([&] { return both_established() && sink_a.flood.size() == 1; }));
  // Keepalives every hold/3 = 3 s keep the session up...
  for (int i = 0; i < 10; ++i) {
    now += 2000;
    settle();
  }
  ASSERT_TRUE(both_established());
  EXPECT_GE(a->peers().at(0).counters.keepalives_in, 5u);
  // ... until B goes silent (not polled): A's hold timer (9 s) expires.
  auto b_silent = std::move(b);
  now += 9001;
  a->poll();
  auto pa = a->peers().at(0);
  EXPECT_NE(pa.state, SessionState::kEstablished);
  EXPECT_NE(pa.last_error.find("Hold Timer Expired"), std::string::npos) << pa.last_error;
  EXPECT_EQ(pa.counters.notifications_out, 1u);
  EXPECT_TRUE(sink_a.flood.empty());
  EXPECT_EQ(a->rib().received_count(1), 0u);
}

TEST_F(Pair, SessionLossRemovesExactlyThatPeersRoutes) {
  make(config("127.0.0.1", 65000, "127.0.0.2", 65000),
       config("127.0.0.2", 65000, "127.0.0.1", 65000));
  ASSERT_TRUE(pump([&] { return both_established(); }));
  b->set_local_macs({{100, mac("02:00:00:00:02:02")}});
  ASSERT_TRUE(pump([&] { return sink_a.macs.size() == 1 && sink_a.flood.size() == 1; }));
  b->shutdown();  // Cease/Administrative Shutdown
  ASSERT_TRUE(pump([&] { return sink_a.macs.empty() && sink_a.flood.empty(); }));
  EXPECT_NE(a->peers().at(0).last_error.find("Administrative Shutdown"), std::string::npos)
      << a->peers().at(0).last_error;
}

TEST_F(Pair, WrongRemoteAsIsRefusedWithBadPeerAs) {
  make(config("127.0.0.1", 65000, "127.0.0.2", 65000),
       config("127.0.0.2", 65000, "127.0.0.1", 65099));
  ASSERT_TRUE(pump([&] {
    return b->peers().at(0).counters.notifications_out >= 1 &&
           a->peers().at(0).counters.notifications_in >= 1;
  }));
  EXPECT_NE(b->peers().at(0).last_error.find("Bad Peer AS"), std::string::npos)
      << b->peers().at(0).last_error;
  EXPECT_NE(state(*a), SessionState::kEstablished);
}

// ---- A raw peer: a socket spoken to with the codec, for exact protocol checks ----

struct RawPeer {
  int fd = -1;
  std::vector<uint8_t> buf;
  ~RawPeer() {
    if (fd >= 0) ::close(fd);
  }
  void connect_to(const char* from, const char* to, uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &src.sin_addr);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    ::inet_pton(AF_INET, to, &dst.sin_addr);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0);
  }
  void send(const std::vector<uint8_t>& m) {
    ASSERT_EQ(::send(fd, m.data(), m.size(), MSG_NOSIGNAL), static_cast<ssize_t>(m.size()));
  }
  // The next message, polling the speaker meanwhile (nullopt: none within ~2 s).
  std::optional<Message> next(Speaker& s) {
    for (int i = 0; i < 2000; ++i) {
      s.poll();
      auto len = next_message_length(buf);
      if (len && *len > 0) {
        auto m = decode_message(std::span<const uint8_t>(buf).first(*len));
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*len));
        if (!m) return std::nullopt;
        return *m;
      }
      uint8_t tmp[4096];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) buf.insert(buf.end(), tmp, tmp + n);
      if (n == 0) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
  }
};

// Polls s until pred or ~2 s.
template <typename Pred>
bool poll_until(Speaker& s, Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    s.poll();
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

struct RawPeerTest : ::testing::Test {
  uint64_t now = 1'000'000;
  Recorder sink;
  std::unique_ptr<Speaker> s;
  RawPeer peer;
  void SetUp() override {
    auto c = config("127.0.0.1", 65000, "127.0.0.3", 65000);
    c.connect_retry_s = 3600;  // only the raw peer's connection
    s = std::make_unique<Speaker>(sink, [this] { return now; });
    ASSERT_TRUE(s->configure(c));
    s->poll();
    peer.connect_to("127.0.0.3", "127.0.0.1", test_port());
  }
  void establish() {
    auto m = peer.next(*s);
    ASSERT_TRUE(m && std::holds_alternative<OpenMessage>(*m));
    const auto& open = std::get<OpenMessage>(*m);
    EXPECT_EQ(open.my_as, 65000u);
    EXPECT_EQ(open.hold_time, 9);
    EXPECT_EQ(open.families, std::vector<Family>{kL2vpnEvpn});
    EXPECT_TRUE(open.four_octet_as);
    EXPECT_TRUE(open.route_refresh);
    OpenMessage mine;
    mine.my_as = 65000;
    mine.hold_time = 30;
    mine.bgp_id = ip("127.0.0.3").v4_host();
    mine.families = {kL2vpnEvpn};
    peer.send(*encode_open(mine));
    m = peer.next(*s);
    ASSERT_TRUE(m && std::holds_alternative<KeepaliveMessage>(*m));
    peer.send(encode_keepalive());
    // Our type 3, then End-of-RIB.
    m = peer.next(*s);
    ASSERT_TRUE(m && std::holds_alternative<UpdateDecode>(*m));
    m = peer.next(*s);
    ASSERT_TRUE(m && std::holds_alternative<UpdateDecode>(*m));
    EXPECT_EQ(end_of_rib_family(std::get<UpdateDecode>(*m).update), kL2vpnEvpn);
    ASSERT_EQ(s->peers().at(0).state, SessionState::kEstablished);
  }
  UpdateMessage type2(const char* m, uint32_t seq) {
    MacIpRoute r;
    r.rd = derive_rd(ip("127.0.0.3"), 1);
    r.mac = mac(m);
    r.label1 = 100;
    UpdateMessage u;
    u.attributes.origin = Origin::kIgp;
    u.attributes.as_path = AsPath{};
    u.attributes.local_pref = 100;
    u.attributes.ext_communities = {RouteTarget::as2(65000, 100).to_ext_community(),
                                    encapsulation_community()};
    if (seq) u.attributes.ext_communities->push_back(mac_mobility_community({false, seq}));
    MpReach mp;
    mp.family = kL2vpnEvpn;
    mp.next_hops = {ip("127.0.0.3")};
    mp.nlri.evpn = {r};
    u.attributes.mp_reach = mp;
    return u;
  }
};

TEST_F(RawPeerTest, OpenExchangeAndInitialAdvertisement) {
  establish();
  EXPECT_EQ(s->peers().at(0).hold_time, 9);  // min(9, 30)
}

TEST_F(RawPeerTest, NothingIsSentToAPeerWithoutTheEvpnFamily) {
  auto m = peer.next(*s);
  ASSERT_TRUE(m && std::holds_alternative<OpenMessage>(*m));
  OpenMessage mine;
  mine.my_as = 65000;
  mine.hold_time = 30;
  mine.bgp_id = ip("127.0.0.3").v4_host();
  mine.families = {kIpv4Unicast};
  peer.send(*encode_open(mine));
  m = peer.next(*s);
  ASSERT_TRUE(m && std::holds_alternative<KeepaliveMessage>(*m));
  peer.send(encode_keepalive());
  ASSERT_TRUE(poll_until(*s, [&] { return s->peers().at(0).state == SessionState::kEstablished; }));
  for (int i = 0; i < 20; ++i) s->poll();
  EXPECT_EQ(s->peers().at(0).counters.updates_out, 0u);
}

TEST_F(RawPeerTest, MalformedOriginIsTreatAsWithdrawAndSessionStays) {
  establish();
  peer.send(*encode_update(type2("02:00:00:00:03:03", 0)));
  poll_until(*s, [&] { return !sink.macs.empty(); });
  ASSERT_EQ(sink.macs.size(), 1u);
  // The same route again with ORIGIN = 7 (RFC 7606 §7.1): treat-as-withdraw.
  auto bytes = *encode_update(type2("02:00:00:00:03:03", 0));
  // ORIGIN follows MP_REACH (written first): find its "40 01 01" header.
  bool patched = false;
  for (size_t i = 19; i + 3 < bytes.size(); ++i)
    if (bytes[i] == 0x40 && bytes[i + 1] == 0x01 && bytes[i + 2] == 0x01) {
      bytes[i + 3] = 7;
      patched = true;
      break;
    }
  ASSERT_TRUE(patched);
  peer.send(bytes);
  poll_until(*s, [&] { return sink.macs.empty(); });
  EXPECT_TRUE(sink.macs.empty());
  EXPECT_EQ(s->peers().at(0).state, SessionState::kEstablished);
  EXPECT_EQ(s->peers().at(0).counters.treat_as_withdraw, 1u);
  EXPECT_EQ(s->peers().at(0).counters.notifications_out, 0u);
}

TEST_F(RawPeerTest, BrokenHeaderIsAnsweredWithNotification) {
  establish();
  std::vector<uint8_t> bad(19, 0xff);
  bad[16] = 0;
  bad[17] = 10;  // length 10 < 19
  bad[18] = 4;
  peer.send(bad);
  auto m = peer.next(*s);
  ASSERT_TRUE(m && std::holds_alternative<NotificationMessage>(*m));
  EXPECT_EQ(std::get<NotificationMessage>(*m).code, err::kMessageHeader);
  EXPECT_EQ(std::get<NotificationMessage>(*m).subcode, err::kBadMessageLength);
  EXPECT_NE(s->peers().at(0).state, SessionState::kEstablished);
}

TEST_F(RawPeerTest, MacMobilityHigherSequenceWinsAndLocalMoveOutbids) {
  establish();
  peer.send(*encode_update(type2("02:00:00:00:03:03", 0)));
  poll_until(*s, [&] { return !sink.macs.empty(); });
  ASSERT_EQ(sink.macs.size(), 1u);
  // The MAC appears behind us: we advertise it with sequence 1 and drop the remote entry.
  s->set_local_macs({{100, mac("02:00:00:00:03:03")}});
  EXPECT_TRUE(sink.macs.empty());
  auto m = peer.next(*s);
  ASSERT_TRUE(m && std::holds_alternative<UpdateDecode>(*m));
  auto mm = std::get<UpdateDecode>(*m).update.attributes.mac_mobility();
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->sequence, 1u);
  // It moves back to the peer with sequence 2: installed there, our route withdrawn.
  peer.send(*encode_update(type2("02:00:00:00:03:03", 2)));
  m = peer.next(*s);
  ASSERT_TRUE(m && std::holds_alternative<UpdateDecode>(*m));
  const auto& wd = std::get<UpdateDecode>(*m).update.attributes.mp_unreach;
  ASSERT_TRUE(wd);
  EXPECT_EQ(wd->withdrawn.evpn.size(), 1u);
  ASSERT_EQ(sink.macs.size(), 1u);
  EXPECT_EQ(sink.macs.begin()->second, std::make_pair(ip("127.0.0.3"), 2u));
}

// Route-reflector client (RFC 4456): a route another leaf originated, reflected
// with ORIGINATOR_ID and CLUSTER_LIST, is installed at its next hop; our own
// route reflected back (ORIGINATOR_ID = our router ID, §8) is ignored, without
// touching what we advertise or the session.
TEST_F(RawPeerTest, ReflectedRoutesAreAcceptedAndOurOwnIgnored) {
  establish();
  UpdateMessage other = type2("02:00:00:00:04:04", 0);
  other.attributes.originator_id = ip("192.0.2.7");
  other.attributes.cluster_list = std::vector<IpAddress>{ip("127.0.0.3")};
  other.attributes.mp_reach->next_hops = {ip("192.0.2.7")};
  peer.send(*encode_update(other));
  ASSERT_TRUE(poll_until(*s, [&] { return sink.macs.size() == 1; }));
  EXPECT_EQ(sink.macs.begin()->second, std::make_pair(ip("192.0.2.7"), 0u));

  UpdateMessage ours = type2("02:00:00:00:05:05", 0);
  ours.attributes.originator_id = ip("127.0.0.1");  // our router ID
  ours.attributes.cluster_list = std::vector<IpAddress>{ip("127.0.0.3")};
  ours.attributes.mp_reach->next_hops = {ip("127.0.0.1")};
  peer.send(*encode_update(ours));
  UpdateMessage third = type2("02:00:00:00:06:06", 0);  // a marker after it
  peer.send(*encode_update(third));
  ASSERT_TRUE(poll_until(*s, [&] { return sink.macs.size() == 2; }));
  EXPECT_FALSE(sink.macs.count({100, mac("02:00:00:00:05:05")}));
  EXPECT_TRUE(sink.macs.count({100, mac("02:00:00:00:06:06")}));
  EXPECT_EQ(s->peers().at(0).routes_received, 2u);  // ours is not kept
  EXPECT_EQ(s->peers().at(0).state, SessionState::kEstablished);
  EXPECT_EQ(s->peers().at(0).counters.notifications_out, 0u);
}

}  // namespace
}  // namespace vgw::bgp
