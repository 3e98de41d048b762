// Big-endian (network order) field types for wire structs.
//
// be16/be32 hold their bytes as they appear on the wire, so a struct made of them
// has alignment 1 and can overlay any byte offset of a frame without undefined
// behaviour. get() and set() convert to and from host order; the compiler turns
// the memcpy + byte swap into one load and a bswap/movbe.
#pragma once

#include <cstdint>
#include <cstring>

namespace vgw::packet {

inline constexpr uint16_t bswap16(uint16_t v) {
  return __builtin_bswap16(v);
}
inline constexpr uint32_t bswap32(uint32_t v) {
  return __builtin_bswap32(v);
}

// Host order <-> network order (the same swap both ways).
inline constexpr uint16_t to_be16(uint16_t v) {
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) return bswap16(v);
  return v;
}
inline constexpr uint32_t to_be32(uint32_t v) {
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) return bswap32(v);
  return v;
}

// Reads a big-endian value at p (any alignment).
inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return to_be16(v);
}
inline uint32_t load_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return to_be32(v);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  v = to_be16(v);
  std::memcpy(p, &v, 2);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  v = to_be32(v);
  std::memcpy(p, &v, 4);
}

// A 16-bit big-endian field.
struct be16 {
  uint8_t bytes[2];
  uint16_t get() const { return load_be16(bytes); }
  void set(uint16_t v) { store_be16(bytes, v); }
  // The value as stored, in network order (for ones-complement sums).
  uint16_t raw() const {
    uint16_t v;
    std::memcpy(&v, bytes, 2);
    return v;
  }
};

// A 32-bit big-endian field.
struct be32 {
  uint8_t bytes[4];
  uint32_t get() const { return load_be32(bytes); }
  void set(uint32_t v) { store_be32(bytes, v); }
  uint32_t raw() const {
    uint32_t v;
    std::memcpy(&v, bytes, 4);
    return v;
  }
};

static_assert(sizeof(be16) == 2 && alignof(be16) == 1);
static_assert(sizeof(be32) == 4 && alignof(be32) == 1);

}  // namespace vgw::packet
