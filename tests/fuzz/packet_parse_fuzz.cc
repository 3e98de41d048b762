// Fuzz target: the frame parser, the VXLAN parser, the flow hash and the checksum
// on arbitrary bytes. Beyond "no crash, no over-read" (ASan/UBSan), it checks the
// parsers' promise (every offset they report lies inside the buffer with room for
// its header) and the fast checksum against the plain RFC 1071 loop.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "packet/checksum.h"
#include "packet/flow_hash.h"
#include "packet/parse.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

uint16_t reference_sum(const uint8_t* p, size_t n) {
  uint64_t sum = 0;
  for (; n > 1; p += 2, n -= 2) sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
  if (n) sum += static_cast<uint32_t>(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vgw::packet;
  std::span<const uint8_t> frame(data, size);

  FrameInfo f = parse_frame(frame);
  if (f.ok()) {
    check(f.l3_offset >= 14 && f.l3_offset <= size);
    if (f.l3 == L3Kind::ipv4 || f.l3 == L3Kind::ipv6) check(f.ip_end <= size);
    if (f.has_l4()) check(f.l4_offset + 8u <= f.ip_end);
  }

  VxlanFrameInfo v = parse_vxlan_frame(frame);
  if (v.ok()) {
    check(v.vxlan_offset == v.udp_offset + 8 && v.inner_offset == v.vxlan_offset + 8);
    check(v.inner_length >= 14 && size_t{v.inner_offset} + v.inner_length <= size);
    // The inner frame is a frame too.
    auto inner = frame.subspan(v.inner_offset, v.inner_length);
    (void)parse_frame(inner);
    (void)flow_hash(inner);
  }

  uint32_t h = flow_hash(frame);
  uint16_t port = vxlan_source_port(h, 49152, 65535);
  check(port >= 49152);
  check(csum_fold(csum_partial(frame)) == reference_sum(data, size));
  return 0;
}
