// libFuzzer target: arbitrary bytes as a BGP byte stream from a peer (RFC 4271 §4).
// The first byte picks the session context (eBGP or iBGP, 4-octet AS or not); the
// rest is split into messages and each is decoded. Besides "no crash, no UB, no
// out-of-bounds read", it checks that whatever decodes cleanly re-encodes to bytes
// that decode to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "bgp/message.h"

namespace {

using namespace vgw::bgp;

void check_round_trip(const Message& m, const UpdateContext& ctx) {
  if (const auto* open = std::get_if<OpenMessage>(&m)) {
    auto bytes = encode_open(*open);
    if (!bytes) return;  // e.g. a 2-octet AS field carrying a value above 65535
    auto again = decode_message(*bytes, ctx);
    if (!again || std::get<OpenMessage>(*again) != *open) std::abort();
  } else if (const auto* u = std::get_if<UpdateDecode>(&m)) {
    if (u->verdict != Action::kNone) return;
    auto bytes = encode_update(u->update, ctx, 65535);
    if (!bytes) std::abort();
    auto again = decode_update_body(std::span(*bytes).subspan(kHeaderSize), ctx);
    if (again.verdict != Action::kNone || again.update != u->update) std::abort();
  } else if (const auto* n = std::get_if<NotificationMessage>(&m)) {
    auto bytes = encode_notification(*n);
    if (!bytes) std::abort();
    auto again = decode_message(*bytes, ctx);
    if (!again || std::get<NotificationMessage>(*again) != *n) std::abort();
  } else if (const auto* rr = std::get_if<RouteRefreshMessage>(&m)) {
    auto again = decode_message(encode_route_refresh(*rr), ctx);
    if (!again || std::get<RouteRefreshMessage>(*again) != *rr) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  UpdateContext ctx;
  ctx.ebgp = data[0] & 1;
  ctx.four_octet_as = !(data[0] & 2);
  ctx.peer_as = (data[0] & 4) ? 65001 : 0;
  std::span<const uint8_t> stream(data + 1, size - 1);
  while (!stream.empty()) {
    auto len = next_message_length(stream);
    if (!len || *len == 0) break;  // a header error ends the session; or more bytes needed
    auto m = decode_message(stream.first(*len), ctx);
    if (m) check_round_trip(*m, ctx);
    stream = stream.subspan(*len);
  }
  // The same bytes as one message and as an UPDATE body, lengths unchecked.
  (void)decode_message(std::span(data, size), ctx);
  (void)decode_update_body(std::span(data, size), ctx);
  return 0;
}
