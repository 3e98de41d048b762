#include "bgp/message.h"

#include <fmt/format.h>

namespace vgw::bgp {
namespace {

std::vector<uint8_t> be16_bytes(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// Marker, a length placeholder, the type. finish() fills in the length.
size_t start_message(Writer& w, MessageType type) {
  for (int i = 0; i < 16; ++i) w.u8(0xff);
  size_t at = w.placeholder(2);
  w.u8(static_cast<uint8_t>(type));
  return at;
}

std::vector<uint8_t> finish(Writer& w, size_t len_at) {
  w.patch_u16(len_at, static_cast<uint16_t>(w.size()));
  return w.take();
}

BgpError open_error(uint8_t subcode, std::string reason, std::vector<uint8_t> data = {}) {
  return bgp_error(err::kOpenMessage, subcode, "OPEN: " + reason, std::move(data));
}

void put_capability(Writer& w, uint8_t code, const std::vector<uint8_t>& value) {
  w.u8(2);  // optional parameter type 2: capabilities (RFC 5492 §4)
  w.u8(static_cast<uint8_t>(value.size() + 2));
  w.u8(code);
  w.u8(static_cast<uint8_t>(value.size()));
  w.bytes(value);
}

Decoded<OpenMessage> decode_open(std::span<const uint8_t> body) {
  Reader r(body);
  OpenMessage o;
  o.version = r.u8();
  uint16_t as_field = r.u16();
  o.hold_time = r.u16();
  o.bgp_id = r.u32();
  uint8_t params_len = r.u8();
  Reader params = r.sub(params_len);
  if (!r.ok() || !r.empty())
    return open_error(0, fmt::format("Optional Parameters Length {} does not match the {} bytes "
                                     "after the fixed fields",
                                     params_len, body.size() < 10 ? 0 : body.size() - 10));
  // RFC 4271 §6.2 checks, in its order.
  if (o.version != 4)
    return open_error(err::kUnsupportedVersion,
                      fmt::format("version {} (only 4 is supported)", o.version), be16_bytes(4));
  if (o.hold_time == 1 || o.hold_time == 2)
    return open_error(err::kUnacceptableHoldTime,
                      fmt::format("hold time {} s (must be 0 or at least 3)", o.hold_time));
  if (o.bgp_id == 0)
    return open_error(err::kBadBgpIdentifier, "BGP Identifier 0.0.0.0 (RFC 6286 §2.1)");

  o.four_octet_as = false;
  o.route_refresh = false;
  std::optional<uint32_t> as4;
  while (!params.empty()) {
    uint8_t type = params.u8();
    uint8_t len = params.u8();
    Reader value = params.sub(len);
    if (!params.ok())
      return open_error(0, fmt::format("optional parameter type {} length {} overruns the "
                                       "Optional Parameters",
                                       type, len));
    if (type != 2)
      return open_error(err::kUnsupportedOptionalParameter,
                        fmt::format("optional parameter type {} (only 2, capabilities)", type));
    while (!value.empty()) {
      uint8_t code = value.u8();
      uint8_t clen = value.u8();
      Reader c = value.sub(clen);
      if (!value.ok())
        return open_error(
            0, fmt::format("capability {} length {} overruns its parameter", code, clen));
      auto fixed = [&](size_t want) -> std::optional<BgpError> {
        if (clen == want) return std::nullopt;
        return open_error(0, fmt::format("capability {} length {} (must be {})", code, clen, want));
      };
      switch (code) {
        case cap::kMultiprotocol: {
          if (auto e = fixed(4)) return *e;
          Family f;
          f.afi = c.u16();
          c.u8();  // reserved
          f.safi = c.u8();
          o.families.push_back(f);
          break;
        }
        case cap::kRouteRefresh:
          if (auto e = fixed(0)) return *e;
          o.route_refresh = true;
          break;
        case cap::kFourOctetAs:
          if (auto e = fixed(4)) return *e;
          o.four_octet_as = true;
          as4 = c.u32();
          break;
        default: {
          auto v = c.rest();
          o.other_capabilities.push_back({code, {v.begin(), v.end()}});
        }
      }
    }
  }

  // RFC 6793 §4.1 and RFC 7607: the real AS, consistent with the 2-octet field.
  if (as4) {
    if (*as4 == 0 || *as4 == kAsTrans)
      return open_error(err::kBadPeerAs, fmt::format("4-octet AS capability carries AS {}", *as4));
    uint16_t want = *as4 > 0xffff ? kAsTrans : static_cast<uint16_t>(*as4);
    if (as_field != want)
      return open_error(err::kBadPeerAs, fmt::format("My Autonomous System {} disagrees with the "
                                                     "4-octet AS capability {}",
                                                     as_field, *as4));
    o.my_as = *as4;
  } else {
    if (as_field == 0 || as_field == kAsTrans)
      return open_error(
          err::kBadPeerAs,
          fmt::format("My Autonomous System {} without the 4-octet AS capability", as_field));
    o.my_as = as_field;
  }
  return o;
}

}  // namespace

std::string NotificationMessage::to_string() const {
  std::string s = fmt::format("{}/{}", error_code_name(code), error_subcode_name(code, subcode));
  if (!data.empty()) s += fmt::format(" ({} bytes of data)", data.size());
  return s;
}

NotificationMessage to_notification(const BgpError& e) {
  return {e.code, e.subcode, e.data};
}

Decoded<std::optional<Header>> decode_header(std::span<const uint8_t> stream, size_t max_length) {
  if (stream.size() < kHeaderSize) return std::optional<Header>{};
  for (size_t i = 0; i < 16; ++i)
    if (stream[i] != 0xff)
      return bgp_error(err::kMessageHeader, err::kConnectionNotSynchronized,
                       fmt::format("header: marker byte {} is 0x{:02x}, not 0xff", i, stream[i]));
  Reader r(stream.subspan(16, 3));
  uint16_t length = r.u16();
  uint8_t type = r.u8();
  auto bad_length = [&](std::string why) {
    return bgp_error(err::kMessageHeader, err::kBadMessageLength,
                     fmt::format("header: length {} {}", length, why), be16_bytes(length));
  };
  if (length < kHeaderSize || length > max_length)
    return bad_length(fmt::format("is not in {}..{}", kHeaderSize, max_length));
  size_t min = 0;
  bool exact = false;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kOpen:
      min = 29;
      break;
    case MessageType::kUpdate:
      min = 23;
      break;
    case MessageType::kNotification:
      min = 21;
      break;
    case MessageType::kKeepalive:
      min = 19, exact = true;
      break;
    case MessageType::kRouteRefresh:
      min = 23;  // longer ones: RFC 5291 ORF entries, checked with the subtype
      break;
    default:
      return bgp_error(err::kMessageHeader, err::kBadMessageType,
                       fmt::format("header: message type {}", type), {type});
  }
  if (length < min || (exact && length != min))
    return bad_length(
        fmt::format("for message type {} ({} {})", type, exact ? "must be" : "at least", min));
  return std::optional<Header>{Header{length, static_cast<MessageType>(type)}};
}

Decoded<size_t> next_message_length(std::span<const uint8_t> stream, size_t max_length) {
  auto h = decode_header(stream, max_length);
  if (!h) return h.error();
  if (!*h || stream.size() < (*h)->length) return size_t{0};
  return size_t{(*h)->length};
}

// GCC 12 reports a false -Wmaybe-uninitialized when std::variant alternatives with
// vectors are moved into another variant (GCC bug 105562 and relatives).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Decoded<Message> decode_message(std::span<const uint8_t> msg, const UpdateContext& ctx,
                                size_t max_length) {
  auto h = decode_header(msg, max_length);
  if (!h) return h.error();
  if (!*h || (*h)->length != msg.size())
    return bgp_error(
        err::kMessageHeader, err::kBadMessageLength,
        fmt::format("message of {} bytes, header says {}", msg.size(), *h ? (*h)->length : 0),
        *h ? be16_bytes((*h)->length) : std::vector<uint8_t>{});
  auto body = msg.subspan(kHeaderSize);
  switch ((*h)->type) {
    case MessageType::kOpen: {
      auto o = decode_open(body);
      if (!o) return o.error();
      return Message{std::move(*o)};
    }
    case MessageType::kUpdate: {
      auto u = decode_update_body(body, ctx);
      if (u.verdict == Action::kSessionReset) return *u.notification;
      return Message{std::move(u)};
    }
    case MessageType::kNotification: {
      Reader r(body);
      NotificationMessage n;
      n.code = r.u8();
      n.subcode = r.u8();
      auto d = r.rest();
      n.data.assign(d.begin(), d.end());
      return Message{std::move(n)};
    }
    case MessageType::kKeepalive:
      return Message{KeepaliveMessage{}};
    case MessageType::kRouteRefresh: {
      Reader r(body);
      RouteRefreshMessage rr;
      rr.family.afi = r.u16();
      rr.subtype = r.u8();
      rr.family.safi = r.u8();
      // RFC 7313 §5: BoRR/EoRR are exactly 4 bytes. A normal request may carry ORF
      // entries (RFC 5291), which are not negotiated and so ignored.
      if (rr.subtype != 0 && !r.empty())
        return bgp_error(
            err::kRouteRefresh, 1,
            fmt::format("ROUTE-REFRESH subtype {}: length {} (must be 23)", rr.subtype, msg.size()),
            {msg.begin(), msg.end()});
      return Message{rr};
    }
  }
  return bgp_error(err::kMessageHeader, err::kBadMessageType, "unreachable");
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

std::optional<BgpError> check_open(const OpenMessage& open, const OpenExpectations& expect) {
  if (expect.peer_as != 0 && open.my_as != expect.peer_as)
    return open_error(err::kBadPeerAs, fmt::format("peer AS {}, configured remote-as {}",
                                                   open.my_as, expect.peer_as));
  if (expect.ibgp && open.bgp_id == expect.local_bgp_id)
    return open_error(err::kBadBgpIdentifier,
                      fmt::format("iBGP peer uses our own BGP Identifier {}",
                                  IpAddress::v4(open.bgp_id).to_string()));
  return std::nullopt;
}

Result<std::vector<uint8_t>> encode_open(const OpenMessage& o) {
  if (o.my_as > 0xffff && !o.four_octet_as)
    return make_error(fmt::format("OPEN: AS {} needs the 4-octet AS capability", o.my_as));
  Writer w;
  size_t len_at = start_message(w, MessageType::kOpen);
  w.u8(o.version);
  w.u16(o.my_as > 0xffff ? kAsTrans : static_cast<uint16_t>(o.my_as));
  w.u16(o.hold_time);
  w.u32(o.bgp_id);
  size_t params_at = w.placeholder(1);
  size_t start = w.size();
  for (Family f : o.families)
    put_capability(w, cap::kMultiprotocol,
                   {static_cast<uint8_t>(f.afi >> 8), static_cast<uint8_t>(f.afi), 0, f.safi});
  if (o.route_refresh) put_capability(w, cap::kRouteRefresh, {});
  if (o.four_octet_as) {
    Writer v;
    v.u32(o.my_as);
    put_capability(w, cap::kFourOctetAs, v.data());
  }
  for (const auto& c : o.other_capabilities) {
    if (c.value.size() > 253)
      return make_error(fmt::format("OPEN: capability {} of {} bytes does not fit a parameter",
                                    c.code, c.value.size()));
    put_capability(w, c.code, c.value);
  }
  size_t params_len = w.size() - start;
  if (params_len > 255)
    return make_error(fmt::format("OPEN: {} bytes of optional parameters exceed 255", params_len));
  w.patch_u8(params_at, static_cast<uint8_t>(params_len));
  return finish(w, len_at);
}

std::vector<uint8_t> encode_keepalive() {
  Writer w;
  size_t len_at = start_message(w, MessageType::kKeepalive);
  return finish(w, len_at);
}

Result<std::vector<uint8_t>> encode_notification(const NotificationMessage& n) {
  if (n.data.size() > kMaxMessageSize - 21)
    return make_error(fmt::format("NOTIFICATION: {} bytes of data exceed {}", n.data.size(),
                                  kMaxMessageSize - 21));
  Writer w;
  size_t len_at = start_message(w, MessageType::kNotification);
  w.u8(n.code);
  w.u8(n.subcode);
  w.bytes(n.data);
  return finish(w, len_at);
}

std::vector<uint8_t> encode_route_refresh(const RouteRefreshMessage& rr) {
  Writer w;
  size_t len_at = start_message(w, MessageType::kRouteRefresh);
  w.u16(rr.family.afi);
  w.u8(rr.subtype);
  w.u8(rr.family.safi);
  return finish(w, len_at);
}

}  // namespace vgw::bgp
