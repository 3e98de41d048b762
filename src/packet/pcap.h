// Classic pcap files (https://www.tcpdump.org/manual/pcap-savefile.html,
// draft-ietf-opsawg-pcap): LINKTYPE_ETHERNET, microsecond timestamps. For tests,
// tools and packet traces: this is not the fast path.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace vgw::packet {

inline constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
inline constexpr uint32_t kLinkTypeEthernet = 1;

class PcapWriter {
 public:
  // Creates (truncates) path and writes the file header.
  static Result<PcapWriter> open(const std::string& path, uint32_t snaplen = 65535);

  PcapWriter(PcapWriter&& o) noexcept;
  PcapWriter& operator=(PcapWriter&& o) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();

  // Appends one frame (cut to snaplen; the original length is recorded). Without a
  // timestamp, the wall clock is used.
  Status write(std::span<const uint8_t> frame);
  Status write(std::span<const uint8_t> frame, std::chrono::microseconds since_epoch);
  // Flushes buffered records to the file.
  Status flush();
  // Flushes and closes; later writes fail.
  Status close();

 private:
  PcapWriter(std::FILE* f, std::string path, uint32_t snaplen)
      : f_(f), path_(std::move(path)), snaplen_(snaplen) {}
  std::FILE* f_ = nullptr;
  std::string path_;
  uint32_t snaplen_ = 65535;
};

struct PcapRecord {
  std::chrono::nanoseconds timestamp{0};
  uint32_t original_length = 0;
  std::vector<uint8_t> data;
};

// Reads every record of a classic pcap file (either byte order, micro- or
// nanosecond magic). Errors name the file and what was wrong.
Result<std::vector<PcapRecord>> read_pcap_records(const std::string& path);
// Just the frames' bytes.
Result<std::vector<std::vector<uint8_t>>> read_pcap(const std::string& path);

}  // namespace vgw::packet
