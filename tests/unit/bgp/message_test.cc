// BGP messages (RFC 4271 §4) byte for byte, and the NOTIFICATION each malformed
// header or OPEN calls for (RFC 4271 §6.1, §6.2; RFC 6793; RFC 5492).
#include "bgp/message.h"

#include <gtest/gtest.h>

#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::hex;

const std::string kMarker = "ffffffffffffffffffffffffffffffff";

OpenMessage frr_like_open() {
  OpenMessage o;
  o.my_as = 65000;
  o.hold_time = 180;
  o.bgp_id = IpAddress::parse("192.168.1.2")->v4_host();
  o.families = {kL2vpnEvpn};
  return o;
}

std::vector<uint8_t> must(Result<std::vector<uint8_t>> r) {
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : std::vector<uint8_t>{};
}

BgpError decode_error(const std::vector<uint8_t>& m) {
  auto d = decode_message(m);
  EXPECT_FALSE(d) << "decoded although malformed";
  return d ? BgpError{} : d.error();
}

TEST(Open, ExactBytes) {
  EXPECT_EQ(must(encode_open(frr_like_open())),
            hex(kMarker + "0031 01"
                          "04 fde8 00b4 c0a80102"    // version, AS 65000, hold 180, id
                          "14"                       // 20 bytes of optional parameters
                          "02 06 01 04 0019 00 46"   // multiprotocol L2VPN EVPN
                          "02 02 02 00"              // route refresh
                          "02 06 41 04 0000fde8"));  // 4-octet AS 65000
}

TEST(Open, FourOctetAsSendsAsTrans) {
  OpenMessage o = frr_like_open();
  o.my_as = 4200000001;
  auto b = must(encode_open(o));
  EXPECT_EQ(b[20], 0x5b);  // AS_TRANS 23456
  EXPECT_EQ(b[21], 0xa0);
  auto d = decode_message(b);
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(std::get<OpenMessage>(*d).my_as, 4200000001u);
  o.four_octet_as = false;
  EXPECT_FALSE(encode_open(o));
}

TEST(Open, RoundTripKeepsUnknownCapabilities) {
  OpenMessage o = frr_like_open();
  o.families = {kIpv4Unicast, kL2vpnEvpn};
  o.other_capabilities = {{70, {}}, {73, {0x03, 'g', 'w', '1', 0x00}}};  // enhanced RR, FQDN
  auto d = decode_message(must(encode_open(o)));
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(std::get<OpenMessage>(*d), o);
}

TEST(Open, SeveralCapabilitiesInOneParameterAreRead) {
  // GoBGP-style: one optional parameter holding MP + route refresh + 4-octet AS.
  auto m = testing::message(1, hex("04 fde8 005a 0a000001 10 02 0e"
                                   "01 04 0019 00 46  02 00  41 04 0000fde8"));
  auto d = decode_message(m);
  ASSERT_TRUE(d) << d.error().reason;
  const auto& o = std::get<OpenMessage>(*d);
  EXPECT_EQ(o.families, std::vector<Family>{kL2vpnEvpn});
  EXPECT_TRUE(o.route_refresh);
  EXPECT_TRUE(o.four_octet_as);
  EXPECT_EQ(o.hold_time, 90);
}

TEST(Open, ValidationErrorsMapToSubcodes) {
  struct Case {
    const char* body;
    uint8_t subcode;
    const char* data;
  };
  const Case cases[] = {
      {"03 fde8 00b4 c0a80102 00", err::kUnsupportedVersion, "0004"},
      {"04 fde8 0001 c0a80102 00", err::kUnacceptableHoldTime, ""},
      {"04 fde8 0002 c0a80102 00", err::kUnacceptableHoldTime, ""},
      {"04 fde8 00b4 00000000 00", err::kBadBgpIdentifier, ""},
      {"04 0000 00b4 c0a80102 00", err::kBadPeerAs, ""},
      {"04 5ba0 00b4 c0a80102 00", err::kBadPeerAs, ""},  // AS_TRANS, no capability
      {"04 fde8 00b4 c0a80102 08 02 06 41 04 0000fde9", err::kBadPeerAs, ""},  // disagree
      {"04 5ba0 00b4 c0a80102 08 02 06 41 04 00005ba0", err::kBadPeerAs, ""},
      {"04 fde8 00b4 c0a80102 04 01 02 0000", err::kUnsupportedOptionalParameter, ""},
      {"04 fde8 00b4 c0a80102 05 02 03 01 01 00", 0, ""},  // MP capability length 1
      {"04 fde8 00b4 c0a80102 04 02 03 01 04", 0, ""},     // capability overruns
      {"04 fde8 00b4 c0a80102 05 02 02 02 00", 0, ""},     // params length mismatch
  };
  for (const auto& c : cases) {
    BgpError e = decode_error(testing::message(1, hex(c.body)));
    EXPECT_EQ(e.code, err::kOpenMessage) << c.body;
    EXPECT_EQ(e.subcode, c.subcode) << c.body << ": " << e.reason;
    EXPECT_EQ(e.data, hex(c.data)) << c.body;
  }
  // Hold time 0 (no keepalives) and 3 are acceptable.
  EXPECT_TRUE(decode_message(testing::message(1, hex("04 fde8 0000 c0a80102 00"))));
  EXPECT_TRUE(decode_message(testing::message(1, hex("04 fde8 0003 c0a80102 00"))));
}

TEST(Open, CheckAgainstConfiguration) {
  OpenMessage o = frr_like_open();
  auto e = check_open(o, {65001, 1, false});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, err::kOpenMessage);
  EXPECT_EQ(e->subcode, err::kBadPeerAs);
  e = check_open(o, {65000, o.bgp_id, true});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->subcode, err::kBadBgpIdentifier);
  EXPECT_FALSE(check_open(o, {65000, o.bgp_id, false}));  // eBGP may share the identifier
  EXPECT_FALSE(check_open(o, {0, 1, true}));
}

TEST(Keepalive, ExactBytes) {
  EXPECT_EQ(encode_keepalive(), hex(kMarker + "0013 04"));
  auto d = decode_message(encode_keepalive());
  ASSERT_TRUE(d);
  EXPECT_TRUE(std::holds_alternative<KeepaliveMessage>(*d));
}

TEST(Notification, ExactBytesNamesAndRoundTrip) {
  NotificationMessage n{err::kOpenMessage, err::kBadPeerAs, {}};
  EXPECT_EQ(must(encode_notification(n)), hex(kMarker + "0015 03 02 02"));
  EXPECT_EQ(n.to_string(), "OPEN Message Error/Bad Peer AS");
  NotificationMessage hold{err::kHoldTimerExpired, 0, {}};
  EXPECT_EQ(hold.to_string(), "Hold Timer Expired/Unspecific");
  NotificationMessage cease{err::kCease, err::kAdministrativeShutdown, {0x03, 'b', 'y', 'e'}};
  EXPECT_EQ(cease.to_string(), "Cease/Administrative Shutdown (4 bytes of data)");
  auto d = decode_message(must(encode_notification(cease)));
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<NotificationMessage>(*d), cease);
  EXPECT_EQ(error_subcode_name(err::kUpdateMessage, err::kMalformedAsPath), "Malformed AS_PATH");
  EXPECT_EQ(error_code_name(err::kMessageHeader), "Message Header Error");
}

TEST(RouteRefresh, ExactBytesAndRoundTrip) {
  RouteRefreshMessage rr{kL2vpnEvpn, 0};
  EXPECT_EQ(encode_route_refresh(rr), hex(kMarker + "0017 05 0019 00 46"));
  auto d = decode_message(encode_route_refresh(rr));
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<RouteRefreshMessage>(*d), rr);
  // RFC 7313 §5: an Enhanced Route Refresh marker longer than 4 bytes.
  BgpError e = decode_error(testing::message(5, hex("0019 01 46 00")));
  EXPECT_EQ(e.code, err::kRouteRefresh);
  EXPECT_EQ(e.subcode, 1);
  EXPECT_EQ(error_subcode_name(e.code, e.subcode), "Invalid Message Length");
  // A normal request with (unnegotiated) ORF entries is read, the entries ignored.
  d = decode_message(testing::message(5, hex("0019 00 46 01 0000")));
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<RouteRefreshMessage>(*d), rr);
}

TEST(Header, ErrorsMapToSubcodesWithData) {
  auto ka = encode_keepalive();
  auto bad_marker = ka;
  bad_marker[5] = 0xfe;
  BgpError e = decode_error(bad_marker);
  EXPECT_EQ(e.code, err::kMessageHeader);
  EXPECT_EQ(e.subcode, err::kConnectionNotSynchronized);

  auto with_length = [&](uint16_t len, uint8_t type) {
    auto m = hex(kMarker);
    m.push_back(static_cast<uint8_t>(len >> 8));
    m.push_back(static_cast<uint8_t>(len));
    m.push_back(type);
    m.resize(std::max<size_t>(len, 19), 0);
    return m;
  };
  for (auto [len, type] : {std::pair<uint16_t, uint8_t>{18, 4},
                           {4097, 2},
                           {20, 4},
                           {28, 1},
                           {22, 2},
                           {20, 3},
                           {22, 5}}) {
    e = decode_error(with_length(len, type));
    EXPECT_EQ(e.subcode, err::kBadMessageLength) << len << " " << int(type);
    EXPECT_EQ(e.data,
              (std::vector<uint8_t>{static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)}));
  }
  e = decode_error(with_length(19, 6));
  EXPECT_EQ(e.subcode, err::kBadMessageType);
  EXPECT_EQ(e.data, std::vector<uint8_t>{6});
  // RFC 8654 extended messages: a larger limit is the caller's choice.
  EXPECT_TRUE(decode_header(with_length(5000, 2), 65535));
}

TEST(Stream, SplitsMessages) {
  auto stream = testing::cat({encode_keepalive(), encode_route_refresh({kL2vpnEvpn, 0})});
  auto n = next_message_length(stream);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 19u);
  n = next_message_length(std::span(stream).subspan(19));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 23u);
  n = next_message_length(std::span(stream).subspan(19, 22));  // partial
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  n = next_message_length(std::span(stream).subspan(0, 10));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  stream[0] = 0;
  EXPECT_FALSE(next_message_length(stream));
}

// Every strict prefix of a valid message is rejected, both as it is (the header
// length disagrees) and with the header length patched to match (the body is short).
TEST(Truncation, EveryPrefixOfEveryMessageIsRejected) {
  OpenMessage big = frr_like_open();
  big.other_capabilities = {{73, {0x03, 'g', 'w', '1', 0x00}}};
  std::vector<std::vector<uint8_t>> messages = {must(encode_open(big)), encode_keepalive(),
                                                encode_route_refresh({kL2vpnEvpn, 0}),
                                                must(encode_notification({6, 2, {1, 2, 3}}))};
  for (const auto& m : messages) {
    for (size_t n = 0; n < m.size(); ++n) {
      std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<ptrdiff_t>(n));
      EXPECT_FALSE(decode_message(cut)) << "type " << int(m[18]) << " cut at " << n;
      if (n >= 19 && m[18] == 1) {  // OPEN: the body itself must be found short
        cut[16] = static_cast<uint8_t>(n >> 8);
        cut[17] = static_cast<uint8_t>(n);
        EXPECT_FALSE(decode_message(cut)) << "OPEN with length patched to " << n;
      }
    }
  }
}

}  // namespace
}  // namespace vgw::bgp
