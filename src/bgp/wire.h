// Bounds-checked network-order reader and writer for the BGP codec (RFC 4271 §4:
// every multi-octet field is big-endian).
//
// Reader is "sticky": a read past the end returns zero (or an empty span), reads
// nothing, and marks the reader failed, so a parser reads a whole fixed-size block
// and checks ok() once. No read can go out of bounds whatever the input, and there
// are no exceptions. This is control-plane code: clarity over the last cycle.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace vgw::bgp {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  size_t offset() const { return pos_; }
  // The bytes not read yet.
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  uint8_t u8() {
    if (!need(1)) return 0;
    return data_[pos_++];
  }
  uint16_t u16() {
    if (!need(2)) return 0;
    uint16_t v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u24() {
    if (!need(3)) return 0;
    uint32_t v = uint32_t{data_[pos_]} << 16 | uint32_t{data_[pos_ + 1]} << 8 | data_[pos_ + 2];
    pos_ += 3;
    return v;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = uint32_t{data_[pos_]} << 24 | uint32_t{data_[pos_ + 1]} << 16 |
                 uint32_t{data_[pos_ + 2]} << 8 | data_[pos_ + 3];
    pos_ += 4;
    return v;
  }
  // The next n bytes (empty and failed when fewer remain).
  std::span<const uint8_t> take(size_t n) {
    if (!need(n)) return {};
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // A reader over the next n bytes, which this reader skips.
  Reader sub(size_t n) {
    if (!need(n)) {
      Reader r({});
      r.ok_ = false;
      return r;
    }
    Reader r(data_.subspan(pos_, n));
    pos_ += n;
    return r;
  }
  // Copies n bytes into out (zeros and failed when fewer remain).
  void copy(uint8_t* out, size_t n) {
    auto s = take(n);
    for (size_t i = 0; i < n; ++i) out[i] = s.empty() ? 0 : s[i];
  }

 private:
  bool need(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u24(uint32_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 16));
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }

  size_t size() const { return out_.size(); }
  // Reserves a length field to fill in later with patch_u8/patch_u16.
  size_t placeholder(size_t n) {
    size_t at = out_.size();
    zeros(n);
    return at;
  }
  void patch_u8(size_t at, uint8_t v) { out_[at] = v; }
  void patch_u16(size_t at, uint16_t v) {
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }

  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

// Fixed-width fields inside an already-sized value (RD, extended community):
// n (1..4) octets, big-endian.
inline void put_be(uint8_t* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

inline uint32_t get_be(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

// A whole decimal string as a 32-bit number (the parts of "65000:100" text forms).
inline bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace vgw::bgp
