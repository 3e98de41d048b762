#include "bgp/update.h"

#include <fmt/format.h>

#include <bitset>

namespace vgw::bgp {
namespace {

constexpr uint8_t kIpv6ExtCommunities = 25;  // RFC 5701

// The Optional and Transitive bits each known attribute must carry (RFC 4271 §5,
// RFC 4760 §3-4, RFC 4456 §8, RFC 1997, RFC 4360 §2, RFC 6514 §5).
std::optional<uint8_t> expected_flags(uint8_t type) {
  switch (type) {
    case attr::kOrigin:
    case attr::kAsPath:
    case attr::kNextHop:
    case attr::kLocalPref:
    case attr::kAtomicAggregate:
      return attr::kFlagTransitive;
    case attr::kMed:
    case attr::kOriginatorId:
    case attr::kClusterList:
    case attr::kMpReachNlri:
    case attr::kMpUnreachNlri:
      return attr::kFlagOptional;
    case attr::kAggregator:
    case attr::kCommunities:
    case attr::kExtCommunities:
    case attr::kPmsiTunnel:
      return attr::kFlagOptional | attr::kFlagTransitive;
    default:
      return std::nullopt;
  }
}

IpAddress v4_at(std::span<const uint8_t> b) {
  return IpAddress::from_v4_bytes(b.data());
}

class UpdateDecoder {
 public:
  explicit UpdateDecoder(const UpdateContext& ctx) : ctx_(ctx) {}

  UpdateDecode run(std::span<const uint8_t> body) {
    Reader r(body);
    uint16_t withdrawn_len = r.u16();
    auto withdrawn = r.take(withdrawn_len);
    if (!r.ok()) {
      reset(0, err::kMalformedAttributeList,
            fmt::format("Withdrawn Routes Length {} exceeds the {} bytes of the UPDATE body",
                        withdrawn_len, body.size()));
      return std::move(out_);
    }
    uint16_t attrs_len = r.u16();
    auto attrs = r.take(attrs_len);
    if (!r.ok()) {
      reset(0, err::kMalformedAttributeList,
            fmt::format("Total Path Attribute Length {} exceeds the {} bytes left in the UPDATE",
                        attrs_len, body.size() - std::min<size_t>(body.size(), 2 + withdrawn_len)));
      return std::move(out_);
    }
    auto nlri = r.rest();

    // RFC 7606 §3: the Withdrawn Routes field is checked like the NLRI field (§5.3).
    if (auto w = decode_prefixes(withdrawn, false))
      out_.update.withdrawn = std::move(*w);
    else
      reset(0, err::kInvalidNetworkField, "Withdrawn Routes: " + w.error().message);
    parse_attributes(attrs);
    if (auto n = decode_prefixes(nlri, false))
      out_.update.nlri = std::move(*n);
    else
      reset(0, err::kInvalidNetworkField, "NLRI: " + n.error().message);
    check_mandatory();
    return std::move(out_);
  }

 private:
  void problem(uint8_t type, Action a, std::string reason) {
    if (a > out_.verdict) out_.verdict = a;
    out_.problems.push_back({type, a, std::move(reason)});
  }
  void reset(uint8_t type, uint8_t subcode, std::string reason,
             std::span<const uint8_t> data = {}) {
    if (!out_.notification)
      out_.notification =
          bgp_error(err::kUpdateMessage, subcode, reason, {data.begin(), data.end()});
    problem(type, Action::kSessionReset, std::move(reason));
  }
  void malformed(uint8_t type, Action a, std::string_view what) {
    problem(type, a, fmt::format("{}: {}", attribute_name(type), what));
  }

  void parse_attributes(std::span<const uint8_t> field) {
    Reader r(field);
    while (!r.empty()) {
      size_t start = r.offset();
      uint8_t flags = r.u8();
      uint8_t type = r.u8();
      size_t len = (flags & attr::kFlagExtendedLength) ? r.u16() : r.u8();
      auto value = r.take(len);
      if (!r.ok()) {
        unparseable_rest(type, start, field.size());
        return;
      }
      handle(flags, type, value, field.subspan(start, r.offset() - start));
    }
  }

  // RFC 7606 §4: the last attribute overruns Total Path Attribute Length (or too few
  // bytes are left for an attribute header): treat-as-withdraw, relying on the Total
  // Path Attribute Length to find the NLRI. But treat-as-withdraw needs every
  // MP_REACH/MP_UNREACH parsed (§3, §5): unless one already was, routes of other
  // families may hide in the lost bytes, so the session must be reset.
  void unparseable_rest(uint8_t type, size_t at, size_t total) {
    std::string what = fmt::format(
        "attribute at offset {} (type {}) does not fit the {} bytes of the path attributes", at,
        type, total);
    if (seen_[attr::kMpReachNlri] || seen_[attr::kMpUnreachNlri])
      problem(0, Action::kTreatAsWithdraw, what);
    else
      reset(0, err::kAttributeLengthError,
            what + ", and no MP_REACH_NLRI/MP_UNREACH_NLRI was parsed before it");
  }

  void handle(uint8_t flags, uint8_t type, std::span<const uint8_t> value,
              std::span<const uint8_t> whole) {
    if (seen_[type]) {
      if (type == attr::kMpReachNlri || type == attr::kMpUnreachNlri)
        reset(type, err::kMalformedAttributeList,
              fmt::format("{} appears more than once (RFC 7606 §3g)", attribute_name(type)));
      else
        problem(type, Action::kAttributeDiscard,
                fmt::format("{}: duplicate discarded, the first kept (RFC 7606 §3g)",
                            attribute_name(type)));
      return;
    }
    seen_[type] = true;

    auto expected = expected_flags(type);
    if (!expected) {
      unknown(flags, type, value, whole);
      return;
    }
    uint8_t ot = flags & (attr::kFlagOptional | attr::kFlagTransitive);
    if (ot != *expected) {
      // RFC 7606 §3: Optional/Transitive in conflict. MP attributes are still parsed so their NLRI
      // can be withdrawn.
      malformed(
          type, Action::kTreatAsWithdraw,
          fmt::format("flags 0x{:02x}, Optional/Transitive must be 0x{:02x}", flags, *expected));
      if (type == attr::kMpReachNlri) mp_reach(value, whole);
      if (type == attr::kMpUnreachNlri) mp_unreach(value, whole);
      return;
    }

    PathAttributes& a = out_.update.attributes;
    const Action withdraw = Action::kTreatAsWithdraw;
    const Action discard = Action::kAttributeDiscard;
    const size_t len = value.size();
    switch (type) {
      case attr::kOrigin:  // §7.1
        if (len != 1)
          malformed(type, withdraw, fmt::format("length {} (must be 1)", len));
        else if (value[0] > 2)
          malformed(type, withdraw, fmt::format("undefined value {}", value[0]));
        else
          a.origin = static_cast<Origin>(value[0]);
        break;
      case attr::kAsPath:
        as_path(value);
        break;              // §7.2
      case attr::kNextHop:  // §7.3
        if (len != 4)
          malformed(type, withdraw, fmt::format("length {} (must be 4)", len));
        else
          a.next_hop = v4_at(value);
        break;
      case attr::kMed:  // §7.4
        if (len != 4)
          malformed(type, withdraw, fmt::format("length {} (must be 4)", len));
        else
          a.med = Reader(value).u32();
        break;
      case attr::kLocalPref:  // §7.5
        if (ctx_.ebgp)
          malformed(type, discard, "received from an external peer");
        else if (len != 4)
          malformed(type, withdraw, fmt::format("length {} (must be 4)", len));
        else
          a.local_pref = Reader(value).u32();
        break;
      case attr::kAtomicAggregate:  // §7.6
        if (len != 0)
          malformed(type, discard, fmt::format("length {} (must be 0)", len));
        else
          a.atomic_aggregate = true;
        break;
      case attr::kAggregator: {  // §7.7
        size_t want = ctx_.four_octet_as ? 8 : 6;
        if (len != want) {
          malformed(type, discard, fmt::format("length {} (must be {})", len, want));
        } else {
          Reader r(value);
          Aggregator g;
          g.asn = ctx_.four_octet_as ? r.u32() : r.u16();
          g.address = v4_at(r.take(4));
          a.aggregator = g;
        }
        break;
      }
      case attr::kCommunities:  // §7.8
        if (len == 0 || len % 4) {
          malformed(type, withdraw,
                    fmt::format("length {} (must be a non-zero multiple of 4)", len));
        } else {
          Reader r(value);
          a.communities.emplace();
          while (!r.empty()) a.communities->push_back(r.u32());
        }
        break;
      case attr::kOriginatorId:  // §7.9
        if (ctx_.ebgp)
          malformed(type, discard, "received from an external peer");
        else if (len != 4)
          malformed(type, withdraw, fmt::format("length {} (must be 4)", len));
        else
          a.originator_id = v4_at(value);
        break;
      case attr::kClusterList:  // §7.10
        if (ctx_.ebgp) {
          malformed(type, discard, "received from an external peer");
        } else if (len == 0 || len % 4) {
          malformed(type, withdraw,
                    fmt::format("length {} (must be a non-zero multiple of 4)", len));
        } else {
          a.cluster_list.emplace();
          for (size_t i = 0; i < len; i += 4) a.cluster_list->push_back(v4_at(value.subspan(i)));
        }
        break;
      case attr::kMpReachNlri:
        mp_reach(value, whole);
        break;  // §7.11
      case attr::kMpUnreachNlri:
        mp_unreach(value, whole);
        break;                     // §7.12
      case attr::kExtCommunities:  // §7.14
        if (len == 0 || len % 8) {
          malformed(type, withdraw,
                    fmt::format("length {} (must be a non-zero multiple of 8)", len));
        } else {
          a.ext_communities.emplace();
          for (size_t i = 0; i < len; i += 8) {
            ExtCommunity c;
            std::copy_n(value.begin() + static_cast<ptrdiff_t>(i), 8, c.b.begin());
            a.ext_communities->push_back(c);
          }
        }
        break;
      case attr::kPmsiTunnel:
        pmsi_tunnel(value);
        break;
    }
  }

  void unknown(uint8_t flags, uint8_t type, std::span<const uint8_t> value,
               std::span<const uint8_t> whole) {
    if (!(flags & attr::kFlagOptional)) {
      reset(type, err::kUnrecognizedWellKnownAttribute,
            fmt::format("unrecognized well-known attribute {} (RFC 4271 §6.3)", type), whole);
      return;
    }
    // RFC 7606 §7.15 (RFC 5701): not used here, but a malformed one still makes
    // the UPDATE treat-as-withdraw; a well-formed one is passed on untouched.
    if (type == kIpv6ExtCommunities && (value.empty() || value.size() % 20)) {
      problem(type, Action::kTreatAsWithdraw,
              fmt::format("IPv6 Address Specific Extended Community: length {} (must be a "
                          "non-zero multiple of 20)",
                          value.size()));
      return;
    }
    if ((type == attr::kAs4Path || type == attr::kAs4Aggregator) && ctx_.four_octet_as) {
      problem(type, Action::kAttributeDiscard,
              fmt::format("{}: between 4-octet AS speakers it is discarded (RFC 6793 §4.1)",
                          attribute_name(type)));
      return;
    }
    out_.update.attributes.unknown.push_back(
        {static_cast<uint8_t>(flags & ~attr::kFlagExtendedLength), type,
         std::vector<uint8_t>(value.begin(), value.end())});
  }

  void as_path(std::span<const uint8_t> value) {
    const size_t as_size = ctx_.four_octet_as ? 4 : 2;
    AsPath path;
    Reader r(value);
    while (!r.empty()) {
      size_t at = r.offset();
      uint8_t seg_type = r.u8();
      uint8_t count = r.u8();
      Reader asns = r.sub(count * as_size);
      if (!r.ok()) {
        malformed(
            attr::kAsPath, Action::kTreatAsWithdraw,
            fmt::format("segment at offset {} with {} ASNs overruns the attribute", at, count));
        return;
      }
      if (seg_type < 1 || seg_type > 4) {
        malformed(attr::kAsPath, Action::kTreatAsWithdraw,
                  fmt::format("segment at offset {} has undefined type {}", at, seg_type));
        return;
      }
      if (count == 0) {
        malformed(attr::kAsPath, Action::kTreatAsWithdraw,
                  fmt::format("segment at offset {} is empty", at));
        return;
      }
      if (ctx_.ebgp && seg_type >= 3) {
        malformed(attr::kAsPath, Action::kTreatAsWithdraw,
                  "confederation segment from an external peer");
        return;
      }
      AsSegment seg{static_cast<AsSegmentType>(seg_type), {}};
      while (!asns.empty()) seg.asns.push_back(as_size == 4 ? asns.u32() : asns.u16());
      path.segments.push_back(std::move(seg));
    }
    if (ctx_.ebgp && ctx_.peer_as != 0 && path.first_as() != ctx_.peer_as) {
      malformed(
          attr::kAsPath, Action::kTreatAsWithdraw,
          fmt::format("leftmost AS {} is not the peer's AS {} (RFC 4271 §6.3)",
                      path.first_as() ? std::to_string(*path.first_as()) : "(none)", ctx_.peer_as));
      return;
    }
    out_.update.attributes.as_path = std::move(path);
  }

  void pmsi_tunnel(std::span<const uint8_t> value) {
    Reader r(value);
    PmsiTunnel t;
    t.flags = r.u8();
    t.tunnel_type = r.u8();
    t.label = r.u24();
    if (!r.ok()) {
      malformed(attr::kPmsiTunnel, Action::kTreatAsWithdraw,
                fmt::format("length {} (at least 5)", value.size()));
      return;
    }
    auto id = r.rest();
    t.tunnel_id.assign(id.begin(), id.end());
    if (t.tunnel_type == kPmsiIngressReplication && id.size() != 4 && id.size() != 16) {
      malformed(
          attr::kPmsiTunnel, Action::kTreatAsWithdraw,
          fmt::format("ingress replication tunnel id of {} bytes (must be 4 or 16)", id.size()));
      return;
    }
    out_.update.attributes.pmsi_tunnel = std::move(t);
  }

  // Parses an NLRI field of a known family; an unparseable one cannot be withdrawn,
  // so it resets the session (RFC 7606 §3, §5.3; RFC 4760 §7 Optional Attribute
  // Error). Returns false when it did.
  bool nlri(Family f, std::span<const uint8_t> field, Nlri& out, uint8_t type,
            std::span<const uint8_t> whole) {
    if (f == kL2vpnEvpn) {
      auto routes = decode_evpn_nlri(field);
      if (!routes) {
        reset(type, err::kOptionalAttributeError,
              fmt::format("{}: {}", attribute_name(type), routes.error().message), whole);
        return false;
      }
      out.evpn = std::move(*routes);
    } else if (f == kIpv4Unicast || f == kIpv6Unicast) {
      auto prefixes = decode_prefixes(field, f == kIpv6Unicast);
      if (!prefixes) {
        reset(
            type, err::kOptionalAttributeError,
            fmt::format("{} {}: {}", attribute_name(type), to_string(f), prefixes.error().message),
            whole);
        return false;
      }
      out.prefixes = std::move(*prefixes);
    } else {
      out.opaque.assign(field.begin(), field.end());
    }
    return true;
  }

  void mp_reach(std::span<const uint8_t> value, std::span<const uint8_t> whole) {
    Reader r(value);
    MpReach m;
    m.family.afi = r.u16();
    m.family.safi = r.u8();
    uint8_t nh_len = r.u8();
    auto nh = r.take(nh_len);
    r.u8();  // reserved
    if (!r.ok()) {
      reset(attr::kMpReachNlri, err::kOptionalAttributeError,
            fmt::format("MP_REACH_NLRI: length {} too short for next hop length {}", value.size(),
                        nh_len),
            whole);
      return;
    }
    bool known = m.family == kIpv4Unicast || m.family == kIpv6Unicast || m.family == kL2vpnEvpn;
    if (known) {
      // §7.11: a next hop length the family does not allow hides where the NLRI
      // starts, so nothing can be withdrawn reliably.
      bool ok = (m.family == kIpv4Unicast && nh_len == 4) ||
                (m.family == kIpv6Unicast && (nh_len == 16 || nh_len == 32)) ||
                (m.family == kL2vpnEvpn && (nh_len == 4 || nh_len == 16));
      if (!ok) {
        reset(attr::kMpReachNlri, err::kOptionalAttributeError,
              fmt::format("MP_REACH_NLRI: next hop length {} inconsistent with {} (RFC 7606 §7.11)",
                          nh_len, to_string(m.family)),
              whole);
        return;
      }
      if (nh_len == 4)
        m.next_hops.push_back(IpAddress::from_v4_bytes(nh.data()));
      else
        for (size_t i = 0; i < nh_len; i += 16)
          m.next_hops.push_back(IpAddress::from_v6_bytes(nh.data() + i));
    } else {
      m.opaque_next_hop.assign(nh.begin(), nh.end());
    }
    if (!nlri(m.family, r.rest(), m.nlri, attr::kMpReachNlri, whole)) return;
    // Kept even when its flags were wrong: the verdict is then treat-as-withdraw,
    // and these are the routes to withdraw.
    out_.update.attributes.mp_reach = std::move(m);
  }

  void mp_unreach(std::span<const uint8_t> value, std::span<const uint8_t> whole) {
    Reader r(value);
    MpUnreach m;
    m.family.afi = r.u16();
    m.family.safi = r.u8();
    if (!r.ok()) {
      reset(attr::kMpUnreachNlri, err::kOptionalAttributeError,
            fmt::format("MP_UNREACH_NLRI: length {} (at least 3)", value.size()), whole);
      return;
    }
    if (!nlri(m.family, r.rest(), m.withdrawn, attr::kMpUnreachNlri, whole)) return;
    out_.update.attributes.mp_unreach = std::move(m);
  }

  // RFC 4271 §5 well-known mandatory attributes, RFC 7606 §3: missing with NLRI
  // present means treat-as-withdraw. NEXT_HOP only with the IPv4 NLRI field (RFC
  // 4760 §3); LOCAL_PREF on iBGP sessions (RFC 4271 §5.1.5, as FRR checks it).
  void check_mandatory() {
    const auto& a = out_.update.attributes;
    bool v4_nlri = !out_.update.nlri.empty();
    bool mp_nlri = (a.mp_reach && !a.mp_reach->nlri.empty());
    if (!v4_nlri && !mp_nlri) return;
    auto need = [&](uint8_t type) {
      if (!seen_[type])
        problem(type, Action::kTreatAsWithdraw,
                fmt::format("{}: missing with NLRI present", attribute_name(type)));
    };
    need(attr::kOrigin);
    need(attr::kAsPath);
    if (v4_nlri) need(attr::kNextHop);
    if (!ctx_.ebgp) need(attr::kLocalPref);
  }

 private:
  UpdateContext ctx_;
  UpdateDecode out_;
  std::bitset<256> seen_;
};

}  // namespace

std::string_view to_string(Action a) {
  switch (a) {
    case Action::kNone:
      return "none";
    case Action::kAttributeDiscard:
      return "attribute-discard";
    case Action::kTreatAsWithdraw:
      return "treat-as-withdraw";
    case Action::kSessionReset:
      return "session-reset";
  }
  return "?";
}

UpdateDecode decode_update_body(std::span<const uint8_t> body, const UpdateContext& ctx) {
  UpdateDecoder d(ctx);
  return d.run(body);
}

Result<std::vector<uint8_t>> encode_update(const UpdateMessage& u, const UpdateContext& ctx,
                                           size_t max_length) {
  Writer w;
  for (int i = 0; i < 16; ++i) w.u8(0xff);
  size_t len_at = w.placeholder(2);
  w.u8(2);
  size_t wlen_at = w.placeholder(2);
  size_t start = w.size();
  for (const auto& p : u.withdrawn) encode_prefix(w, p);
  size_t wlen = w.size() - start;
  size_t alen_at = w.placeholder(2);
  start = w.size();
  encode_path_attributes(w, u.attributes, {ctx.four_octet_as});
  size_t alen = w.size() - start;
  for (const auto& p : u.nlri) encode_prefix(w, p);
  if (w.size() > max_length)
    return make_error(
        fmt::format("UPDATE: {} bytes exceed the maximum message size {}", w.size(), max_length));
  w.patch_u16(len_at, static_cast<uint16_t>(w.size()));
  w.patch_u16(wlen_at, static_cast<uint16_t>(wlen));
  w.patch_u16(alen_at, static_cast<uint16_t>(alen));
  return w.take();
}

std::optional<Family> end_of_rib_family(const UpdateMessage& u) {
  if (!u.withdrawn.empty() || !u.nlri.empty()) return std::nullopt;
  PathAttributes rest = u.attributes;
  std::optional<MpUnreach> unreach = std::move(rest.mp_unreach);
  rest.mp_unreach.reset();
  if (rest != PathAttributes{}) return std::nullopt;
  if (!unreach) return kIpv4Unicast;
  if (!unreach->withdrawn.empty()) return std::nullopt;
  return unreach->family;
}

UpdateMessage end_of_rib(Family family) {
  UpdateMessage u;
  if (family != kIpv4Unicast) u.attributes.mp_unreach = MpUnreach{family, {}};
  return u;
}

}  // namespace vgw::bgp
