// UPDATE messages and path attributes byte for byte (RFC 4271 §4.3, RFC 4760, RFC
// 7432, RFC 8365, RFC 6514), and one test per RFC 7606 error case with the action
// the RFC prescribes.
#include "bgp/update.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bgp/message.h"
#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::attribute;
using testing::cat;
using testing::hex;

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
MacAddress mac(const char* s) {
  return *MacAddress::parse(s);
}

std::vector<uint8_t> must(Result<std::vector<uint8_t>> r) {
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : std::vector<uint8_t>{};
}

const RouteDistinguisher kRd = RouteDistinguisher::ipv4(ip("192.168.1.2"), 2);

// What FRR's bgpd sends for "advertise-all-vni" with VNI 100 over iBGP.
UpdateMessage frr_type3() {
  UpdateMessage u;
  auto& a = u.attributes;
  a.mp_reach = MpReach{kL2vpnEvpn, {ip("192.168.1.2")}, {}, {}};
  a.mp_reach->nlri.evpn = {ImetRoute{kRd, 0, ip("192.168.1.2")}};
  a.origin = Origin::kIgp;
  a.as_path = AsPath{};
  a.local_pref = 100;
  a.ext_communities = {
      {RouteTarget::as2(65000, 100).to_ext_community(), encapsulation_community()}};
  a.pmsi_tunnel = PmsiTunnel::ingress_replication(100, ip("192.168.1.2"));
  return u;
}

const char* kType3Hex =
    "ffffffffffffffffffffffffffffffff 0063 02"
    "0000 004c"
    "80 0e 1c 0019 46 04 c0a80102 00"                 // MP_REACH_NLRI, next hop
    "   03 11 0001c0a801020002 00000000 20 c0a80102"  // type 3: RD, tag, originator
    "40 01 01 00"                                     // ORIGIN IGP
    "40 02 00"                                        // AS_PATH empty (iBGP)
    "40 05 04 00000064"                               // LOCAL_PREF 100
    "c0 10 10 0002fde800000064 030c000000000008"      // RT:65000:100, ET:8
    "c0 16 09 00 06 000064 c0a80102";                 // PMSI: IR, VNI 100, VTEP

// A type-2 MAC/IP route from an eBGP peer in AS 65001 after a MAC move.
UpdateMessage ebgp_type2() {
  UpdateMessage u;
  auto& a = u.attributes;
  a.mp_reach = MpReach{kL2vpnEvpn, {ip("192.168.1.1")}, {}, {}};
  a.mp_reach->nlri.evpn = {
      MacIpRoute{kRd, {}, 0, mac("00:11:22:33:44:55"), ip("10.0.0.1"), 100, std::nullopt}};
  a.origin = Origin::kIgp;
  a.as_path = AsPath{{{AsSegmentType::kSequence, {65001}}}};
  a.ext_communities = {{RouteTarget::as2(65000, 100).to_ext_community(), encapsulation_community(),
                        mac_mobility_community({false, 1})}};
  return u;
}

const char* kType2Hex =
    "ffffffffffffffffffffffffffffffff 0072 02"
    "0000 005b"
    "80 0e 30 0019 46 04 c0a80101 00"
    "   02 25 0001c0a801020002 00000000000000000000 00000000"
    "         30 001122334455 20 0a000001 000064"
    "40 01 01 00"
    "40 02 06 02 01 0000fde9"                                       // AS_SEQUENCE [65001]
    "c0 10 18 0002fde800000064 030c000000000008 0600000000000001";  // RT, ET, MM:1

const UpdateContext kIbgp{false, 0, true};
const UpdateContext kEbgp{true, 65001, true};

TEST(Update, FrrType3ExactBytesAndDecode) {
  EXPECT_EQ(must(encode_update(frr_type3())), hex(kType3Hex));
  auto d = decode_message(hex(kType3Hex), kIbgp);
  ASSERT_TRUE(d) << d.error().reason;
  const auto& u = std::get<UpdateDecode>(*d);
  EXPECT_EQ(u.verdict, Action::kNone);
  EXPECT_TRUE(u.problems.empty());
  EXPECT_EQ(u.update, frr_type3());
  EXPECT_EQ(u.update.attributes.pmsi_tunnel->endpoint(), ip("192.168.1.2"));
  EXPECT_EQ(vni_from_label(u.update.attributes.pmsi_tunnel->label), 100u);
  EXPECT_EQ(u.update.attributes.encapsulation(), kTunnelTypeVxlan);
  EXPECT_EQ(u.update.attributes.route_targets(),
            std::vector<RouteTarget>{RouteTarget::as2(65000, 100)});
}

TEST(Update, EbgpType2ExactBytesAndDecode) {
  EXPECT_EQ(must(encode_update(ebgp_type2(), kEbgp)), hex(kType2Hex));
  const auto bytes = hex(kType2Hex);
  auto d = decode_update_body(std::span(bytes).subspan(19), kEbgp);
  EXPECT_EQ(d.verdict, Action::kNone);
  EXPECT_EQ(d.update, ebgp_type2());
  EXPECT_EQ(d.update.attributes.mac_mobility(), (MacMobility{false, 1}));
  const auto& r = std::get<MacIpRoute>(d.update.attributes.mp_reach->nlri.evpn[0]);
  EXPECT_EQ(r.mac, mac("00:11:22:33:44:55"));
  EXPECT_EQ(vni_from_label(r.label1), 100u);
}

TEST(Update, EveryAttributeRoundTrips) {
  UpdateMessage u;
  u.withdrawn = {*IpPrefix::parse("10.9.0.0/16"), *IpPrefix::parse("0.0.0.0/0")};
  u.nlri = {*IpPrefix::parse("10.1.2.0/23"), *IpPrefix::parse("192.0.2.1/32")};
  auto& a = u.attributes;
  a.origin = Origin::kIncomplete;
  a.as_path = AsPath{
      {{AsSegmentType::kSequence, {65001, 4200000001}}, {AsSegmentType::kSet, {65003, 65004}}}};
  a.next_hop = ip("192.0.2.254");
  a.med = 50;
  a.local_pref = 200;
  a.atomic_aggregate = true;
  a.aggregator = Aggregator{4200000001, ip("10.0.0.9")};
  a.communities = {{0xfde80064, 0xffffff01}};
  a.originator_id = ip("1.1.1.1");
  a.cluster_list = {{ip("2.2.2.2"), ip("3.3.3.3")}};
  a.mp_unreach = MpUnreach{kL2vpnEvpn, {}};
  a.mp_unreach->withdrawn.evpn = {ImetRoute{kRd, 0, ip("192.168.1.9")}};
  a.ext_communities = {
      {router_mac_community(mac("02:00:5e:00:01:01")), default_gateway_community()}};
  a.unknown = {{attr::kFlagOptional | attr::kFlagTransitive | attr::kFlagPartial, 99, {1, 2}}};
  a.mp_reach = MpReach{kIpv6Unicast, {ip("2001:db8::1"), ip("fe80::1")}, {}, {}};
  a.mp_reach->nlri.prefixes = {*IpPrefix::parse("2001:db8:5::/48")};
  auto bytes = must(encode_update(u, kIbgp));
  auto d = decode_message(bytes, kIbgp);
  ASSERT_TRUE(d) << d.error().reason;
  const auto& got = std::get<UpdateDecode>(*d);
  EXPECT_EQ(got.verdict, Action::kNone) << (got.problems.empty() ? "" : got.problems[0].reason);
  EXPECT_EQ(got.update, u);
  EXPECT_EQ(got.update.attributes.as_path->to_string(), "65001 4200000001 {65003,65004}");
  // The same with 2-octet AS numbers: a 4-byte AS becomes AS_TRANS.
  UpdateContext two{false, 0, false};
  const auto bytes2 = must(encode_update(u, two));
  auto d2 = decode_update_body(std::span(bytes2).subspan(19), two);
  EXPECT_EQ(d2.verdict, Action::kNone);
  EXPECT_EQ(d2.update.attributes.as_path->segments[0].asns[1], kAsTrans);
  EXPECT_EQ(d2.update.attributes.aggregator->asn, kAsTrans);
}

TEST(Update, LongValuesUseExtendedLength) {
  UpdateMessage u = frr_type3();
  for (int i = 0; i < 40; ++i)
    u.attributes.ext_communities->push_back(RouteTarget::as2(65000, 1000 + i).to_ext_community());
  auto bytes = must(encode_update(u));
  auto d = decode_message(bytes, kIbgp);
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<UpdateDecode>(*d).update, u);
  // 42 communities = 336 bytes: flags 0xd0 (optional, transitive, extended length).
  const auto header = hex("d0 10 0150");
  auto it = std::search(bytes.begin(), bytes.end(), header.begin(), header.end());
  EXPECT_NE(it, bytes.end());
}

TEST(Update, TooBigForOneMessageIsAnError) {
  UpdateMessage u = frr_type3();
  for (int i = 0; i < 600; ++i)
    u.attributes.ext_communities->push_back(RouteTarget::as2(65000, i).to_ext_community());
  auto r = encode_update(u);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("exceed the maximum message size 4096"), std::string::npos);
  EXPECT_TRUE(encode_update(u, {}, 65535));
}

TEST(Update, EndOfRib) {
  EXPECT_EQ(must(encode_update(end_of_rib(kL2vpnEvpn))),
            hex("ffffffffffffffffffffffffffffffff 001d 02 0000 0006 80 0f 03 0019 46"));
  EXPECT_EQ(end_of_rib_family(end_of_rib(kL2vpnEvpn)), kL2vpnEvpn);
  EXPECT_EQ(end_of_rib_family(UpdateMessage{}), kIpv4Unicast);
  EXPECT_FALSE(end_of_rib_family(frr_type3()));
}

TEST(Update, UnknownAttributesPropagateWithPartialBit) {
  PathAttributes a;
  a.unknown = {{attr::kFlagOptional | attr::kFlagTransitive, 99, {1}},
               {attr::kFlagOptional, 98, {2}}};
  prepare_unknown_for_propagation(a);
  ASSERT_EQ(a.unknown.size(), 1u);
  EXPECT_EQ(a.unknown[0].type, 99);
  EXPECT_EQ(a.unknown[0].flags, 0xe0);
}

TEST(Update, EveryTruncationIsRejected) {
  for (const char* h : {kType3Hex, kType2Hex}) {
    auto full = hex(h);
    for (size_t n = 0; n < full.size(); ++n) {
      std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
      EXPECT_FALSE(decode_message(cut, kEbgp)) << "cut at " << n;
      if (n < 23) continue;
      // With the header length patched the body itself is short: no EVPN UPDATE
      // prefix can be parsed, so each must reset the session.
      cut[16] = static_cast<uint8_t>(n >> 8);
      cut[17] = static_cast<uint8_t>(n);
      auto d = decode_message(cut, kEbgp);
      ASSERT_FALSE(d) << "UPDATE with length patched to " << n;
      EXPECT_EQ(d.error().code, err::kUpdateMessage);
    }
  }
}

// ---- RFC 7606 -------------------------------------------------------------------

const char* kMpReach =
    "80 0e 1c 0019 46 04 c0a80102 00 03 11 0001c0a801020002 00000000 20 c0a80102";
const char* kOrigin = "40 01 01 00";
const char* kEmptyAsPath = "40 02 00";
const char* kLocalPref = "40 05 04 00000064";

// The valid iBGP type-3 UPDATE above with `extra` attributes after it.
UpdateDecode ibgp_with(const std::string& extra, const UpdateContext& ctx = kIbgp) {
  auto attrs = hex(std::string(kMpReach) + kOrigin + kEmptyAsPath + kLocalPref + extra);
  return decode_update_body(testing::update_body({}, attrs), ctx);
}

// ORIGIN/AS_PATH/MP_REACH only, as an eBGP peer in AS 65001 sends them, then `extra`.
UpdateDecode ebgp_with(const std::string& extra) {
  auto attrs = hex(std::string(kMpReach) + kOrigin + "40 02 06 02 01 0000fde9" + extra);
  return decode_update_body(testing::update_body({}, attrs), kEbgp);
}

void expect_one(const UpdateDecode& d, uint8_t type, Action action, const char* reason_part) {
  ASSERT_EQ(d.problems.size(), 1u) << (d.problems.size() > 1 ? d.problems[1].reason : "none");
  EXPECT_EQ(d.problems[0].type, type);
  EXPECT_EQ(d.problems[0].action, action) << d.problems[0].reason;
  EXPECT_NE(d.problems[0].reason.find(reason_part), std::string::npos) << d.problems[0].reason;
  EXPECT_EQ(d.verdict, action);
  EXPECT_EQ(d.notification.has_value(), action == Action::kSessionReset);
}

TEST(Rfc7606, ValidBaseHasNoProblem) {
  auto d = ibgp_with("");
  EXPECT_EQ(d.verdict, Action::kNone);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(ebgp_with("").verdict, Action::kNone);
}

TEST(Rfc7606, S7_1_OriginMalformedIsTreatAsWithdraw) {
  auto attrs = hex(std::string(kMpReach) + "40 01 02 0000" + kEmptyAsPath + kLocalPref);
  auto d = decode_update_body(testing::update_body({}, attrs), kIbgp);
  expect_one(d, attr::kOrigin, Action::kTreatAsWithdraw, "length 2");
  EXPECT_FALSE(d.update.attributes.origin);
  attrs = hex(std::string(kMpReach) + "40 01 01 03" + kEmptyAsPath + kLocalPref);
  expect_one(decode_update_body(testing::update_body({}, attrs), kIbgp), attr::kOrigin,
             Action::kTreatAsWithdraw, "undefined value 3");
}

TEST(Rfc7606, S7_2_AsPathMalformedIsTreatAsWithdraw) {
  auto with_path = [](const char* path, const UpdateContext& ctx) {
    auto attrs = hex(std::string(kMpReach) + kOrigin + path + kLocalPref);
    return decode_update_body(testing::update_body({}, attrs), ctx);
  };
  expect_one(with_path("40 02 06 02 02 0000fde9", kIbgp), attr::kAsPath, Action::kTreatAsWithdraw,
             "overruns");
  expect_one(with_path("40 02 06 05 01 0000fde9", kIbgp), attr::kAsPath, Action::kTreatAsWithdraw,
             "undefined type 5");
  expect_one(with_path("40 02 02 02 00", kIbgp), attr::kAsPath, Action::kTreatAsWithdraw, "empty");
  // From an eBGP peer the leftmost AS must be the peer's, and no confederation.
  auto no_lp = [](const char* path) {
    auto attrs = hex(std::string(kMpReach) + kOrigin + path);
    return decode_update_body(testing::update_body({}, attrs), kEbgp);
  };
  expect_one(no_lp("40 02 06 02 01 0000fdea"), attr::kAsPath, Action::kTreatAsWithdraw,
             "leftmost AS 65002 is not the peer's AS 65001");
  expect_one(no_lp("40 02 00"), attr::kAsPath, Action::kTreatAsWithdraw, "(none)");
  expect_one(no_lp("40 02 0c 03 01 0000fde9 02 01 0000fde9"), attr::kAsPath,
             Action::kTreatAsWithdraw, "confederation");
}

TEST(Rfc7606, S7_3_NextHopLengthIsTreatAsWithdraw) {
  auto attrs = hex(std::string(kOrigin) + kEmptyAsPath + kLocalPref + "40 03 03 0a0000");
  auto d = decode_update_body(testing::update_body({}, attrs, hex("18 0a0100")), kIbgp);
  // The malformed NEXT_HOP, then NEXT_HOP missing is not reported twice.
  expect_one(d, attr::kNextHop, Action::kTreatAsWithdraw, "length 3");
  EXPECT_EQ(d.update.nlri, std::vector<IpPrefix>{*IpPrefix::parse("10.1.0.0/24")});
}

TEST(Rfc7606, S7_4_MedLengthIsTreatAsWithdraw) {
  expect_one(ibgp_with("80 04 03 000001"), attr::kMed, Action::kTreatAsWithdraw, "length 3");
}

TEST(Rfc7606, S7_5_LocalPref) {
  expect_one(ebgp_with(kLocalPref), attr::kLocalPref, Action::kAttributeDiscard, "external peer");
  auto attrs = hex(std::string(kMpReach) + kOrigin + kEmptyAsPath + "40 05 03 000064");
  expect_one(decode_update_body(testing::update_body({}, attrs), kIbgp), attr::kLocalPref,
             Action::kTreatAsWithdraw, "length 3");
}

TEST(Rfc7606, S7_6_AtomicAggregateIsAttributeDiscard) {
  auto d = ibgp_with("40 06 01 00");
  expect_one(d, attr::kAtomicAggregate, Action::kAttributeDiscard, "length 1");
  EXPECT_FALSE(d.update.attributes.atomic_aggregate);
  EXPECT_EQ(d.update.attributes.mp_reach->nlri.evpn.size(), 1u);  // the route stands
}

TEST(Rfc7606, S7_7_AggregatorIsAttributeDiscard) {
  expect_one(ibgp_with("c0 07 07 0000fde8 0a0000"), attr::kAggregator, Action::kAttributeDiscard,
             "length 7 (must be 8)");
}

TEST(Rfc7606, S7_8_CommunitiesLengthIsTreatAsWithdraw) {
  expect_one(ibgp_with("c0 08 05 0000000001"), attr::kCommunities, Action::kTreatAsWithdraw,
             "length 5");
  expect_one(ibgp_with("c0 08 00"), attr::kCommunities, Action::kTreatAsWithdraw, "length 0");
}

TEST(Rfc7606, S7_9_OriginatorId) {
  expect_one(ibgp_with("80 09 03 010101"), attr::kOriginatorId, Action::kTreatAsWithdraw,
             "length 3");
  expect_one(ebgp_with("80 09 04 01010101"), attr::kOriginatorId, Action::kAttributeDiscard,
             "external peer");
}

TEST(Rfc7606, S7_10_ClusterList) {
  expect_one(ibgp_with("80 0a 06 010101010202"), attr::kClusterList, Action::kTreatAsWithdraw,
             "length 6");
  expect_one(ebgp_with("80 0a 04 01010101"), attr::kClusterList, Action::kAttributeDiscard,
             "external peer");
}

TEST(Rfc7606, S7_11_MpReachNextHopLengthIsSessionReset) {
  auto attrs = hex("80 0e 1d 0019 46 05 c0a8010200 00 03 11 0001c0a801020002 00000000 20 c0a80102" +
                   std::string(kOrigin) + kEmptyAsPath + kLocalPref);
  auto d = decode_update_body(testing::update_body({}, attrs), kIbgp);
  expect_one(d, attr::kMpReachNlri, Action::kSessionReset, "next hop length 5");
  EXPECT_EQ(d.notification->code, err::kUpdateMessage);
  EXPECT_EQ(d.notification->subcode, err::kOptionalAttributeError);
  EXPECT_EQ(d.notification->data, std::vector<uint8_t>(attrs.begin(), attrs.begin() + 32));
}

TEST(Rfc7606, S5_MpReachUnparseableNlriIsSessionReset) {
  // The type-3 route claims 18 bytes but 17 remain.
  auto attrs = hex("80 0e 1c 0019 46 04 c0a80102 00 03 12 0001c0a801020002 00000000 20 c0a80102" +
                   std::string(kOrigin) + kEmptyAsPath + kLocalPref);
  expect_one(decode_update_body(testing::update_body({}, attrs), kIbgp), attr::kMpReachNlri,
             Action::kSessionReset, "overruns");
  // A type-2 route whose MAC length is not 48.
  attrs =
      hex("80 0e 30 0019 46 04 c0a80101 00 02 25 0001c0a801020002 00000000000000000000 "
          "00000000 2f 001122334455 20 0a000001 000064" +
          std::string(kOrigin) + kEmptyAsPath + kLocalPref);
  expect_one(decode_update_body(testing::update_body({}, attrs), kIbgp), attr::kMpReachNlri,
             Action::kSessionReset, "MAC address length 47");
  // MP_UNREACH_NLRI too.
  attrs = hex("80 0f 05 0019 46 03 05");
  expect_one(decode_update_body(testing::update_body({}, attrs), kIbgp), attr::kMpUnreachNlri,
             Action::kSessionReset, "overruns");
}

TEST(Rfc7606, S7_14_ExtCommunitiesLengthIsTreatAsWithdraw) {
  expect_one(ibgp_with("c0 10 0c 0002fde800000064 03030303"), attr::kExtCommunities,
             Action::kTreatAsWithdraw, "length 12");
}

TEST(Rfc7606, S7_15_Ipv6ExtCommunitiesLengthIsTreatAsWithdraw) {
  expect_one(ibgp_with("c0 19 0c 000200000000000000000001"), 25, Action::kTreatAsWithdraw,
             "multiple of 20");
  expect_one(ibgp_with("c0 19 00"), 25, Action::kTreatAsWithdraw, "length 0");
  // Well formed: not ours to read, passed on as it came.
  auto d = ibgp_with("c0 19 14 0002 20010db8000000000000000000000001 0064");
  EXPECT_EQ(d.verdict, Action::kNone);
  ASSERT_EQ(d.update.attributes.unknown.size(), 1u);
  EXPECT_EQ(d.update.attributes.unknown[0].type, 25);
  EXPECT_EQ(d.update.attributes.unknown[0].value.size(), 20u);
}

TEST(Rfc7606, PmsiTunnelMalformedIsTreatAsWithdraw) {
  expect_one(ibgp_with("c0 16 03 000600"), attr::kPmsiTunnel, Action::kTreatAsWithdraw,
             "at least 5");
  expect_one(ibgp_with("c0 16 07 00 06 000064 c0a8"), attr::kPmsiTunnel, Action::kTreatAsWithdraw,
             "tunnel id of 2 bytes");
}

TEST(Rfc7606, S3_FlagsErrorIsTreatAsWithdraw) {
  // ORIGIN sent as optional.
  auto attrs = hex(std::string(kMpReach) + "c0 01 01 00" + kEmptyAsPath + kLocalPref);
  auto d = decode_update_body(testing::update_body({}, attrs), kIbgp);
  expect_one(d, attr::kOrigin, Action::kTreatAsWithdraw, "flags 0xc0");
  // MP_REACH_NLRI with bad flags is still parsed, so its routes can be withdrawn.
  attrs = hex("c0" + std::string(kMpReach + 2) + kOrigin + kEmptyAsPath + kLocalPref);
  d = decode_update_body(testing::update_body({}, attrs), kIbgp);
  expect_one(d, attr::kMpReachNlri, Action::kTreatAsWithdraw, "flags");
  ASSERT_TRUE(d.update.attributes.mp_reach);
  EXPECT_EQ(d.update.attributes.mp_reach->nlri.evpn.size(), 1u);
}

TEST(Rfc7606, S3g_DuplicateAttributeKeepsTheFirst) {
  auto attrs = hex(std::string(kMpReach) + kOrigin + "40 01 01 02" + kEmptyAsPath + kLocalPref);
  auto d = decode_update_body(testing::update_body({}, attrs), kIbgp);
  expect_one(d, attr::kOrigin, Action::kAttributeDiscard, "duplicate");
  EXPECT_EQ(d.update.attributes.origin, Origin::kIgp);
}

TEST(Rfc7606, S3g_DuplicateMpReachIsSessionReset) {
  auto d = ibgp_with(kMpReach);
  expect_one(d, attr::kMpReachNlri, Action::kSessionReset, "more than once");
  EXPECT_EQ(d.notification->subcode, err::kMalformedAttributeList);
  d = ibgp_with("80 0f 03 0019 46 80 0f 03 0019 46");
  expect_one(d, attr::kMpUnreachNlri, Action::kSessionReset, "more than once");
}

TEST(Rfc7606, S3_MissingMandatoryWithNlriIsTreatAsWithdraw) {
  auto without = [](std::string attrs, const UpdateContext& ctx) {
    return decode_update_body(testing::update_body({}, hex(attrs)), ctx);
  };
  expect_one(without(std::string(kMpReach) + kEmptyAsPath + kLocalPref, kIbgp), attr::kOrigin,
             Action::kTreatAsWithdraw, "missing");
  expect_one(without(std::string(kMpReach) + kOrigin + kLocalPref, kIbgp), attr::kAsPath,
             Action::kTreatAsWithdraw, "missing");
  expect_one(without(std::string(kMpReach) + kOrigin + kEmptyAsPath, kIbgp), attr::kLocalPref,
             Action::kTreatAsWithdraw, "missing");
  // NEXT_HOP is needed with the IPv4 NLRI field, not with MP_REACH_NLRI (RFC 4760 §3).
  auto d = decode_update_body(
      testing::update_body({}, hex(std::string(kOrigin) + kEmptyAsPath + kLocalPref),
                           hex("18 0a0100")),
      kIbgp);
  expect_one(d, attr::kNextHop, Action::kTreatAsWithdraw, "missing");
  // Nothing is mandatory without NLRI: a bare MP_UNREACH_NLRI or End-of-RIB.
  EXPECT_EQ(without("80 0f 16 0019 46 03 11 0001c0a801020002 00000000 20 c0a80102", kIbgp).verdict,
            Action::kNone);
  EXPECT_EQ(without("", kIbgp).verdict, Action::kNone);
}

TEST(Rfc7606, S4_AttributeOverrunAfterMpReachIsTreatAsWithdraw) {
  // The last attribute claims 9 bytes, 4 remain: the NLRI is still known.
  auto d = ibgp_with("c0 08 09 00000001");
  expect_one(d, 0, Action::kTreatAsWithdraw, "does not fit");
  EXPECT_EQ(d.update.attributes.mp_reach->nlri.evpn.size(), 1u);
  // Two bytes left: too few for an attribute header.
  expect_one(ibgp_with("c0 08"), 0, Action::kTreatAsWithdraw, "does not fit");
}

TEST(Rfc7606, S4_AttributeOverrunBeforeAnyMpReachIsSessionReset) {
  auto attrs = hex(std::string(kOrigin) + "40 02 09 02 01 0000fde9");
  auto d = decode_update_body(testing::update_body({}, attrs), kIbgp);
  expect_one(d, 0, Action::kSessionReset, "no MP_REACH_NLRI");
  EXPECT_EQ(d.notification->subcode, err::kAttributeLengthError);
}

TEST(Rfc7606, FieldLengthsInconsistentWithTheMessageAreSessionReset) {
  // Withdrawn Routes Length beyond the body.
  auto d = decode_update_body(hex("0010 0000"), kIbgp);
  expect_one(d, 0, Action::kSessionReset, "Withdrawn Routes Length 16");
  EXPECT_EQ(d.notification->subcode, err::kMalformedAttributeList);
  // Total Path Attribute Length beyond the body.
  d = decode_update_body(hex("0000 0020 40010100"), kIbgp);
  expect_one(d, 0, Action::kSessionReset, "Total Path Attribute Length 32");
  EXPECT_EQ(d.notification->subcode, err::kMalformedAttributeList);
}

TEST(Rfc7606, S5_3_BadPrefixesAreSessionReset) {
  auto d = decode_update_body(testing::update_body(hex("21 0a000000 00"), {}), kIbgp);
  expect_one(d, 0, Action::kSessionReset, "length 33 exceeds 32");
  EXPECT_EQ(d.notification->subcode, err::kInvalidNetworkField);
  d = decode_update_body(
      testing::update_body(
          {}, hex(std::string(kOrigin) + kEmptyAsPath + kLocalPref + "40 03 04 0a000001"),
          hex("18 0a01")),
      kIbgp);
  expect_one(d, 0, Action::kSessionReset, "needs 3 bytes");
}

TEST(Rfc7606, UnrecognizedWellKnownIsSessionReset) {
  auto d = ibgp_with("40 63 01 00");
  expect_one(d, 99, Action::kSessionReset, "unrecognized well-known attribute 99");
  EXPECT_EQ(d.notification->subcode, err::kUnrecognizedWellKnownAttribute);
  EXPECT_EQ(d.notification->data, hex("40 63 01 00"));
}

TEST(Rfc7606, UnknownOptionalAttributesAreKept) {
  auto d = ibgp_with("c0 63 02 abcd 80 62 00");
  EXPECT_EQ(d.verdict, Action::kNone);
  ASSERT_EQ(d.update.attributes.unknown.size(), 2u);
  EXPECT_EQ(d.update.attributes.unknown[0], (RawAttribute{0xc0, 99, {0xab, 0xcd}}));
  EXPECT_EQ(d.update.attributes.unknown[1], (RawAttribute{0x80, 98, {}}));
}

TEST(Rfc7606, As4PathBetweenFourOctetSpeakersIsDiscarded) {
  expect_one(ibgp_with("c0 11 06 02 01 0000fde9"), attr::kAs4Path, Action::kAttributeDiscard,
             "RFC 6793");
}

TEST(Rfc7606, S3h_StrongestActionWins) {
  auto d = ibgp_with("40 06 01 00 80 04 03 000001");
  ASSERT_EQ(d.problems.size(), 2u);
  EXPECT_EQ(d.problems[0].action, Action::kAttributeDiscard);
  EXPECT_EQ(d.problems[1].action, Action::kTreatAsWithdraw);
  EXPECT_EQ(d.verdict, Action::kTreatAsWithdraw);
  d = ibgp_with("40 06 01 00 " + std::string(kMpReach));
  EXPECT_EQ(d.verdict, Action::kSessionReset);
}

TEST(Rfc7606, DecodeMessageTurnsSessionResetIntoTheNotification) {
  auto body = testing::update_body({}, hex(std::string(kMpReach) + kMpReach));
  auto d = decode_message(testing::message(2, body), kIbgp);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, err::kUpdateMessage);
  EXPECT_EQ(d.error().subcode, err::kMalformedAttributeList);
  // Treat-as-withdraw is not an error of the message: the session stays up.
  body = testing::update_body({}, hex(std::string(kMpReach) + kOrigin + kEmptyAsPath));
  auto ok = decode_message(testing::message(2, body), kIbgp);
  ASSERT_TRUE(ok);
  EXPECT_EQ(std::get<UpdateDecode>(*ok).verdict, Action::kTreatAsWithdraw);
}

}  // namespace
}  // namespace vgw::bgp
