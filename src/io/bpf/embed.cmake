# cmake -DIN=<file> -DOUT=<file.cc> -DSYMBOL=<name> -P embed.cmake: writes a C++ file
# defining `extern const std::span<const uint8_t> SYMBOL` with the bytes of IN.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "// Generated from ${IN} by embed.cmake. Do not edit.\n"
  "#include <cstdint>\n#include <span>\n"
  "namespace vgw::io {\n"
  "alignas(8) static const uint8_t bytes[${size}] = {\n${bytes}\n};\n"
  "extern const std::span<const uint8_t> ${SYMBOL};\n"
  "const std::span<const uint8_t> ${SYMBOL}(bytes, sizeof bytes);\n"
  "}  // namespace vgw::io\n")
