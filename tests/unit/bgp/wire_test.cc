// The bounds-checked reader and writer every BGP parser is built on.
#include "bgp/wire.h"

#include <gtest/gtest.h>

namespace vgw::bgp {
namespace {

TEST(Reader, ReadsNetworkOrder) {
  const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};
  Reader r(b);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u24(), 0x040506u);
  EXPECT_EQ(r.u32(), 0x0708090au);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
}

TEST(Reader, ShortReadFailsStickyAndReadsNothing) {
  const uint8_t b[] = {0xaa, 0xbb, 0xcc};
  Reader r(b);
  EXPECT_EQ(r.u32(), 0u);  // 4 > 3: nothing consumed
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.u8(), 0);  // failed stays failed
  EXPECT_TRUE(r.take(1).empty());
}

TEST(Reader, SubReaderIsBoundedAndSkipsItsBytes) {
  const uint8_t b[] = {1, 2, 3, 4, 5};
  Reader r(b);
  Reader s = r.sub(2);
  EXPECT_EQ(r.u8(), 3);
  EXPECT_EQ(s.u16(), 0x0102);
  EXPECT_EQ(s.u8(), 0);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(r.ok());
  Reader too_long = r.sub(3);
  EXPECT_FALSE(too_long.ok());
  EXPECT_FALSE(r.ok());
  uint8_t out[2] = {9, 9};
  r.copy(out, 2);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 0);
}

TEST(Writer, WritesNetworkOrderAndPatchesLengths) {
  Writer w;
  size_t at = w.placeholder(2);
  w.u8(1);
  w.u16(0x0203);
  w.u24(0x040506);
  w.u32(0x0708090a);
  w.patch_u16(at, static_cast<uint16_t>(w.size()));
  EXPECT_EQ(w.data(), (std::vector<uint8_t>{0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

}  // namespace
}  // namespace vgw::bgp
