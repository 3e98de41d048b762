// BGP error codes (RFC 4271 §4.5 and §6, RFC 4486, RFC 7313) and the value a decoder
// returns when a message must be answered with a NOTIFICATION.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace vgw::bgp {

// NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 §5).
namespace err {
inline constexpr uint8_t kMessageHeader = 1;
inline constexpr uint8_t kOpenMessage = 2;
inline constexpr uint8_t kUpdateMessage = 3;
inline constexpr uint8_t kHoldTimerExpired = 4;
inline constexpr uint8_t kFsm = 5;
inline constexpr uint8_t kCease = 6;
inline constexpr uint8_t kRouteRefresh = 7;

// Message Header Error subcodes (§6.1).
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;

// OPEN Message Error subcodes (§6.2, RFC 5492 §5).
inline constexpr uint8_t kUnsupportedVersion = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;

// UPDATE Message Error subcodes (§6.3).
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr uint8_t kMissingWellKnownAttribute = 3;
inline constexpr uint8_t kAttributeFlagsError = 4;
inline constexpr uint8_t kAttributeLengthError = 5;
inline constexpr uint8_t kInvalidOriginAttribute = 6;
inline constexpr uint8_t kInvalidNextHopAttribute = 8;
inline constexpr uint8_t kOptionalAttributeError = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;

// Cease subcodes (RFC 4486 §4).
inline constexpr uint8_t kMaxPrefixes = 1;
inline constexpr uint8_t kAdministrativeShutdown = 2;
inline constexpr uint8_t kPeerDeconfigured = 3;
inline constexpr uint8_t kAdministrativeReset = 4;
inline constexpr uint8_t kConnectionRejected = 5;
inline constexpr uint8_t kOtherConfigurationChange = 6;
inline constexpr uint8_t kConnectionCollisionResolution = 7;
inline constexpr uint8_t kOutOfResources = 8;
}  // namespace err

// "OPEN Message Error", "Bad Peer AS", ... as FRR's bgpd prints them.
std::string_view error_code_name(uint8_t code);
std::string_view error_subcode_name(uint8_t code, uint8_t subcode);

// A message (or part of one) that the receiver must answer with a NOTIFICATION
// carrying code/subcode/data; reason says, for logs, what exactly was wrong.
struct BgpError {
  uint8_t code = 0;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;
  std::string reason;
  bool operator==(const BgpError&) const = default;
};

inline BgpError bgp_error(uint8_t code, uint8_t subcode, std::string reason,
                          std::vector<uint8_t> data = {}) {
  return BgpError{code, subcode, std::move(data), std::move(reason)};
}

// A decoded value or the NOTIFICATION it calls for (like vgw::Result, whose Error
// carries only a message).
template <typename T>
class [[nodiscard]] Decoded {
 public:
  Decoded(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Decoded(BgpError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const BgpError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, BgpError> v_;
};

}  // namespace vgw::bgp
