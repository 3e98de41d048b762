#include "bgp/errors.h"

namespace vgw::bgp {

std::string_view error_code_name(uint8_t code) {
  switch (code) {
    case err::kMessageHeader:
      return "Message Header Error";
    case err::kOpenMessage:
      return "OPEN Message Error";
    case err::kUpdateMessage:
      return "UPDATE Message Error";
    case err::kHoldTimerExpired:
      return "Hold Timer Expired";
    case err::kFsm:
      return "Neighbor Events Error";
    case err::kCease:
      return "Cease";
    case err::kRouteRefresh:
      return "ROUTE-REFRESH Message Error";
    default:
      return "Unknown Error";
  }
}

std::string_view error_subcode_name(uint8_t code, uint8_t subcode) {
  if (subcode == 0) return "Unspecific";
  switch (code) {
    case err::kMessageHeader:
      switch (subcode) {
        case 1:
          return "Connection Not Synchronized";
        case 2:
          return "Bad Message Length";
        case 3:
          return "Bad Message Type";
      }
      break;
    case err::kOpenMessage:
      switch (subcode) {
        case 1:
          return "Unsupported Version Number";
        case 2:
          return "Bad Peer AS";
        case 3:
          return "Bad BGP Identifier";
        case 4:
          return "Unsupported Optional Parameter";
        case 5:
          return "Authentication Failure";
        case 6:
          return "Unacceptable Hold Time";
        case 7:
          return "Unsupported Capability";
        case 11:
          return "Role Mismatch";
      }
      break;
    case err::kUpdateMessage:
      switch (subcode) {
        case 1:
          return "Malformed Attribute List";
        case 2:
          return "Unrecognized Well-known Attribute";
        case 3:
          return "Missing Well-known Attribute";
        case 4:
          return "Attribute Flags Error";
        case 5:
          return "Attribute Length Error";
        case 6:
          return "Invalid ORIGIN Attribute";
        case 7:
          return "AS Routing Loop";
        case 8:
          return "Invalid NEXT_HOP Attribute";
        case 9:
          return "Optional Attribute Error";
        case 10:
          return "Invalid Network Field";
        case 11:
          return "Malformed AS_PATH";
      }
      break;
    case err::kFsm:
      switch (subcode) {
        case 1:
          return "Receive Unexpected Message in OpenSent State";
        case 2:
          return "Receive Unexpected Message in OpenConfirm State";
        case 3:
          return "Receive Unexpected Message in Established State";
      }
      break;
    case err::kCease:
      switch (subcode) {
        case 1:
          return "Maximum Number of Prefixes Reached";
        case 2:
          return "Administrative Shutdown";
        case 3:
          return "Peer De-configured";
        case 4:
          return "Administrative Reset";
        case 5:
          return "Connection Rejected";
        case 6:
          return "Other Configuration Change";
        case 7:
          return "Connection Collision Resolution";
        case 8:
          return "Out of Resources";
        case 9:
          return "Hard Reset";
        case 10:
          return "BFD Down";
      }
      break;
    case err::kRouteRefresh:
      if (subcode == 1) return "Invalid Message Length";
      break;
  }
  return "Unknown";
}

}  // namespace vgw::bgp
