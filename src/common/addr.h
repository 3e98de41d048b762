// MAC and IP addresses as small values, with text forms as iproute2 prints them.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vgw {

struct MacAddress {
  std::array<uint8_t, 6> b{};

  static std::optional<MacAddress> parse(std::string_view s) {
    MacAddress m;
    unsigned v[6];
    char tail;
    std::string str(s);
    if (str.size() != 17 || std::sscanf(str.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1],
                                        &v[2], &v[3], &v[4], &v[5], &tail) != 6)
      return std::nullopt;
    for (int i = 0; i < 6; ++i) m.b[i] = static_cast<uint8_t>(v[i]);
    return m;
  }
  static MacAddress from_bytes(const uint8_t* p) {
    MacAddress m;
    std::memcpy(m.b.data(), p, 6);
    return m;
  }
  std::string to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                  b[5]);
    return buf;
  }
  // The 48 bits in the low bits of a word, first byte most significant.
  uint64_t to_u64() const {
    uint64_t v = 0;
    for (uint8_t x : b) v = (v << 8) | x;
    return v;
  }
  static MacAddress from_u64(uint64_t v) {
    MacAddress m;
    for (int i = 5; i >= 0; --i, v >>= 8) m.b[i] = static_cast<uint8_t>(v);
    return m;
  }
  bool is_multicast() const { return b[0] & 1; }
  bool is_zero() const { return to_u64() == 0; }
  auto operator<=>(const MacAddress&) const = default;
};

// An IPv4 or IPv6 address. IPv4 is kept in the first 4 bytes, network order.
struct IpAddress {
  std::array<uint8_t, 16> b{};
  bool v6 = false;

  static IpAddress v4(uint32_t host_order) {
    IpAddress a;
    uint32_t n = htonl(host_order);
    std::memcpy(a.b.data(), &n, 4);
    return a;
  }
  static IpAddress from_v4_bytes(const uint8_t* p) {
    IpAddress a;
    std::memcpy(a.b.data(), p, 4);
    return a;
  }
  static IpAddress from_v6_bytes(const uint8_t* p) {
    IpAddress a;
    a.v6 = true;
    std::memcpy(a.b.data(), p, 16);
    return a;
  }
  static std::optional<IpAddress> parse(std::string_view s) {
    std::string str(s);
    IpAddress a;
    if (inet_pton(AF_INET, str.c_str(), a.b.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, str.c_str(), a.b.data()) == 1) return a;
    return std::nullopt;
  }
  std::string to_string() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, sizeof buf);
    return buf;
  }
  int family() const { return v6 ? AF_INET6 : AF_INET; }
  size_t size() const { return v6 ? 16 : 4; }
  // IPv4 address in host order (only meaningful when !v6).
  uint32_t v4_host() const {
    uint32_t n;
    std::memcpy(&n, b.data(), 4);
    return ntohl(n);
  }
  bool is_unspecified() const {
    for (size_t i = 0; i < size(); ++i)
      if (b[i]) return false;
    return true;
  }
  auto operator<=>(const IpAddress&) const = default;
};

struct IpPrefix {
  IpAddress addr;
  uint8_t len = 0;

  // "10.0.0.254/24" or "2001:db8::1/64"; a bare address is a host prefix.
  static std::optional<IpPrefix> parse(std::string_view s) {
    IpPrefix p;
    auto slash = s.find('/');
    auto a = IpAddress::parse(s.substr(0, slash));
    if (!a) return std::nullopt;
    p.addr = *a;
    unsigned max = a->v6 ? 128 : 32;
    if (slash == std::string_view::npos) {
      p.len = static_cast<uint8_t>(max);
      return p;
    }
    std::string lens(s.substr(slash + 1));
    if (lens.empty() || lens.size() > 3 ||
        lens.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    unsigned l = static_cast<unsigned>(std::stoul(lens));
    if (l > max) return std::nullopt;
    p.len = static_cast<uint8_t>(l);
    return p;
  }
  std::string to_string() const { return addr.to_string() + "/" + std::to_string(len); }
  // The prefix with its host bits cleared: 10.0.0.254/24 -> 10.0.0.0/24.
  IpPrefix masked() const {
    IpPrefix p = *this;
    for (size_t i = len; i < p.addr.size() * 8; ++i)
      p.addr.b[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
    return p;
  }
  // Whether a lies inside this prefix (same family, the first len bits equal).
  bool contains(const IpAddress& a) const {
    if (a.v6 != addr.v6) return false;
    return IpPrefix{a, len}.masked().addr == masked().addr;
  }
  auto operator<=>(const IpPrefix&) const = default;
};

}  // namespace vgw

template <>
struct std::hash<vgw::IpAddress> {
  size_t operator()(const vgw::IpAddress& a) const noexcept {
    uint64_t x, y;
    std::memcpy(&x, a.b.data(), 8);
    std::memcpy(&y, a.b.data() + 8, 8);
    return std::hash<uint64_t>{}(x * 0x9e3779b97f4a7c15ull ^ y ^ a.v6);
  }
};
