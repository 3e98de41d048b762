// The BGP UPDATE message (RFC 4271 §4.3) and its error handling as revised by
// RFC 7606: decoding never fails outright; it returns what could be parsed plus,
// for each problem, the action RFC 7606 prescribes, and the overall verdict (the
// strongest action, §3h). Only a verdict of kSessionReset calls for a NOTIFICATION.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bgp/attributes.h"
#include "bgp/errors.h"
#include "common/result.h"

namespace vgw::bgp {

struct UpdateMessage {
  std::vector<IpPrefix> withdrawn;  // IPv4 unicast, in the Withdrawn Routes field
  PathAttributes attributes;
  std::vector<IpPrefix> nlri;  // IPv4 unicast, in the NLRI field
  auto operator<=>(const UpdateMessage&) const = default;
};

// RFC 7606 §2 approaches, weakest first, so the verdict is the maximum.
enum class Action : uint8_t {
  kNone = 0,
  kAttributeDiscard = 1,  // drop the attribute, keep the routes
  kTreatAsWithdraw = 2,   // every route in this UPDATE (NLRI and MP_REACH) is withdrawn
  kSessionReset = 3,      // send the NOTIFICATION, close the session
};
std::string_view to_string(Action a);

struct AttributeProblem {
  uint8_t type = 0;  // attribute type code; 0 when the problem is not one attribute's
  Action action = Action::kNone;
  std::string reason;
  bool operator==(const AttributeProblem&) const = default;
};

// What the decoder must know about the session (RFC 7606 §7 depends on it).
struct UpdateContext {
  bool ebgp = false;
  uint32_t peer_as = 0;  // eBGP: the leftmost AS_PATH AS must be this (0: unchecked)
  bool four_octet_as = true;
};

struct UpdateDecode {
  UpdateMessage update;  // attributes that were discarded or malformed are absent
  std::vector<AttributeProblem> problems;
  Action verdict = Action::kNone;
  std::optional<BgpError> notification;  // set exactly when verdict == kSessionReset
};

// Decodes an UPDATE body (the bytes after the 19-byte header).
UpdateDecode decode_update_body(std::span<const uint8_t> body, const UpdateContext& ctx = {});

// The whole message, header included; fails when it exceeds max_length (4096, or
// 65535 with RFC 8654 extended messages).
Result<std::vector<uint8_t>> encode_update(const UpdateMessage& update,
                                           const UpdateContext& ctx = {}, size_t max_length = 4096);

// An End-of-RIB marker (RFC 4724 §2): empty UPDATE for IPv4 unicast, or an UPDATE
// with only an empty MP_UNREACH_NLRI for other families. Returns the family.
std::optional<Family> end_of_rib_family(const UpdateMessage& update);
UpdateMessage end_of_rib(Family family);

}  // namespace vgw::bgp
