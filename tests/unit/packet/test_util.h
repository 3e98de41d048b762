// Small helpers shared by the packet tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/addr.h"

namespace vgw::packet::test {

inline MacAddress mac(const char* s) {
  return *MacAddress::parse(s);
}
inline IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

// Reference Internet checksum, straight from RFC 1071 §4.1, to judge the fast one.
inline uint16_t reference_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  while (n > 1) {
    sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
    p += 2;
    n -= 2;
  }
  if (n) sum += static_cast<uint32_t>(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

inline std::string hex(const std::vector<uint8_t>& v) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += (i % 16 == 0) ? '\n' : ' ';
    s += d[v[i] >> 4];
    s += d[v[i] & 15];
  }
  return s;
}

}  // namespace vgw::packet::test
