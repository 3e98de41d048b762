// Helpers for the BGP codec tests: hex literals and raw UPDATE pieces, so a test
// reads like the RFC figure it checks.
#pragma once

#include <cctype>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/addr.h"

namespace vgw::bgp::testing {

// Addresses from literals the test knows to be valid.
inline IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
inline MacAddress mac(const char* s) {
  return *MacAddress::parse(s);
}

// "ff ff 00 1d" -> bytes; spaces, newlines and '|' are ignored.
inline std::vector<uint8_t> hex(std::string_view s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

inline std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// One path attribute with a 1-byte length.
inline std::vector<uint8_t> attribute(uint8_t flags, uint8_t type, std::string_view value_hex) {
  auto v = hex(value_hex);
  std::vector<uint8_t> out{flags, type, static_cast<uint8_t>(v.size())};
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

// An UPDATE body: withdrawn routes, path attributes, NLRI (lengths filled in).
inline std::vector<uint8_t> update_body(const std::vector<uint8_t>& withdrawn,
                                        const std::vector<uint8_t>& attrs,
                                        const std::vector<uint8_t>& nlri = {}) {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>(withdrawn.size() >> 8));
  out.push_back(static_cast<uint8_t>(withdrawn.size()));
  out.insert(out.end(), withdrawn.begin(), withdrawn.end());
  out.push_back(static_cast<uint8_t>(attrs.size() >> 8));
  out.push_back(static_cast<uint8_t>(attrs.size()));
  out.insert(out.end(), attrs.begin(), attrs.end());
  out.insert(out.end(), nlri.begin(), nlri.end());
  return out;
}

// A whole message: marker, length, type, body.
inline std::vector<uint8_t> message(uint8_t type, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out(16, 0xff);
  size_t len = 19 + body.size();
  out.push_back(static_cast<uint8_t>(len >> 8));
  out.push_back(static_cast<uint8_t>(len));
  out.push_back(type);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace vgw::bgp::testing
