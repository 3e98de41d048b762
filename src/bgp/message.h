// BGP-4 messages (RFC 4271 §4): the 19-byte header, OPEN with capabilities (RFC
// 5492: multiprotocol RFC 4760 §8, route refresh RFC 2918, 4-octet AS RFC 6793),
// KEEPALIVE, NOTIFICATION, ROUTE-REFRESH (RFC 2918 §3), and UPDATE (update.h).
// Decoders return the message or the NOTIFICATION RFC 4271 §6 requires.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bgp/attributes.h"
#include "bgp/errors.h"
#include "bgp/update.h"
#include "common/result.h"

namespace vgw::bgp {

inline constexpr size_t kHeaderSize = 19;
inline constexpr size_t kMaxMessageSize = 4096;  // RFC 8654 raises it to 65535
inline constexpr uint16_t kAsTrans = 23456;      // RFC 6793 §9
inline constexpr uint16_t kBgpPort = 179;

enum class MessageType : uint8_t {
  kOpen = 1,
  kUpdate = 2,
  kNotification = 3,
  kKeepalive = 4,
  kRouteRefresh = 5,
};

// Capability codes (IANA "Capability Codes").
namespace cap {
inline constexpr uint8_t kMultiprotocol = 1;
inline constexpr uint8_t kRouteRefresh = 2;
inline constexpr uint8_t kFourOctetAs = 65;
}  // namespace cap

struct Capability {
  uint8_t code = 0;
  std::vector<uint8_t> value;
  auto operator<=>(const Capability&) const = default;
};

struct OpenMessage {
  uint8_t version = 4;
  uint32_t my_as = 0;  // the real AS: from the 4-octet AS capability when present
  uint16_t hold_time = 90;
  uint32_t bgp_id = 0;                         // host order
  std::vector<Family> families;                // multiprotocol capabilities
  bool four_octet_as = true;                   // send/received the 4-octet AS capability
  bool route_refresh = true;                   // send/received the route refresh capability
  std::vector<Capability> other_capabilities;  // unknown ones, kept in order
  auto operator<=>(const OpenMessage&) const = default;
};

struct KeepaliveMessage {
  auto operator<=>(const KeepaliveMessage&) const = default;
};

struct NotificationMessage {
  uint8_t code = 0;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;
  std::string to_string() const;  // "OPEN Message Error/Bad Peer AS (data 2 bytes)"
  auto operator<=>(const NotificationMessage&) const = default;
};
NotificationMessage to_notification(const BgpError& e);

struct RouteRefreshMessage {
  Family family;
  uint8_t subtype = 0;  // RFC 7313: 0 normal, 1 BoRR, 2 EoRR
  auto operator<=>(const RouteRefreshMessage&) const = default;
};

// A decoded message. An UPDATE comes with its RFC 7606 classification (whose
// verdict is then at most treat-as-withdraw).
using Message = std::variant<OpenMessage, UpdateDecode, NotificationMessage, KeepaliveMessage,
                             RouteRefreshMessage>;

struct Header {
  uint16_t length = 0;
  MessageType type = MessageType::kKeepalive;
};

// Checks the header at the start of stream (marker, length, type, and the minimum
// and fixed lengths per type, RFC 4271 §6.1). nullopt: fewer than 19 bytes yet.
Decoded<std::optional<Header>> decode_header(std::span<const uint8_t> stream,
                                             size_t max_length = kMaxMessageSize);

// Splits a TCP byte stream: the length of the first complete message, 0 when more
// bytes are needed, or the header error.
Decoded<size_t> next_message_length(std::span<const uint8_t> stream,
                                    size_t max_length = kMaxMessageSize);

// Decodes one whole message (header included, exactly its length). An UPDATE whose
// RFC 7606 verdict is session reset is returned as its BgpError.
Decoded<Message> decode_message(std::span<const uint8_t> message, const UpdateContext& ctx = {},
                                size_t max_length = kMaxMessageSize);

// The OPEN checks that need the local configuration (RFC 4271 §6.2): the peer's AS
// against the configured remote AS, its identifier against ours (iBGP), the hold
// time. decode_message already rejected what is wrong without context.
struct OpenExpectations {
  uint32_t peer_as = 0;       // configured remote-as (0: accept any)
  uint32_t local_bgp_id = 0;  // host order
  bool ibgp = false;
};
// nullopt when acceptable, else the NOTIFICATION to send.
std::optional<BgpError> check_open(const OpenMessage& open, const OpenExpectations& expect);

// Encoders: whole messages, header included.
Result<std::vector<uint8_t>> encode_open(const OpenMessage& open);
std::vector<uint8_t> encode_keepalive();
Result<std::vector<uint8_t>> encode_notification(const NotificationMessage& n);
std::vector<uint8_t> encode_route_refresh(const RouteRefreshMessage& rr);

}  // namespace vgw::bgp
