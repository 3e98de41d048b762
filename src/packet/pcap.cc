// Classic pcap writer and reader (see pcap.h).
#include "packet/pcap.h"

#include <cerrno>
#include <cstring>
#include <memory>

namespace vgw::packet {

namespace {

struct [[gnu::packed]] FileHeader {
  uint32_t magic;
  uint16_t version_major;
  uint16_t version_minor;
  int32_t thiszone;
  uint32_t sigfigs;
  uint32_t snaplen;
  uint32_t linktype;
};
static_assert(sizeof(FileHeader) == 24);

struct [[gnu::packed]] RecordHeader {
  uint32_t ts_sec;
  uint32_t ts_frac;  // microseconds or nanoseconds, per the magic
  uint32_t incl_len;
  uint32_t orig_len;
};
static_assert(sizeof(RecordHeader) == 16);

Error io_error(const std::string& path, const char* what) {
  return make_error("pcap " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

Result<PcapWriter> PcapWriter::open(const std::string& path, uint32_t snaplen) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return io_error(path, "cannot create");
  // Written in host byte order, as libpcap does; readers detect it from the magic.
  FileHeader h{kPcapMagicMicro, 2, 4, 0, 0, snaplen, kLinkTypeEthernet};
  if (std::fwrite(&h, sizeof h, 1, f) != 1) {
    Error e = io_error(path, "cannot write header");
    std::fclose(f);
    return e;
  }
  return PcapWriter(f, path, snaplen);
}

PcapWriter::PcapWriter(PcapWriter&& o) noexcept
    : f_(o.f_), path_(std::move(o.path_)), snaplen_(o.snaplen_) {
  o.f_ = nullptr;
}

PcapWriter& PcapWriter::operator=(PcapWriter&& o) noexcept {
  if (this != &o) {
    if (f_) std::fclose(f_);
    f_ = o.f_;
    path_ = std::move(o.path_);
    snaplen_ = o.snaplen_;
    o.f_ = nullptr;
  }
  return *this;
}

PcapWriter::~PcapWriter() {
  if (f_) std::fclose(f_);
}

Status PcapWriter::write(std::span<const uint8_t> frame) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return write(frame, std::chrono::duration_cast<std::chrono::microseconds>(now));
}

Status PcapWriter::write(std::span<const uint8_t> frame, std::chrono::microseconds since_epoch) {
  if (!f_) return make_error("pcap " + path_ + ": write after close");
  uint64_t us = static_cast<uint64_t>(since_epoch.count());
  uint32_t incl = frame.size() > snaplen_ ? snaplen_ : static_cast<uint32_t>(frame.size());
  RecordHeader r{static_cast<uint32_t>(us / 1000000), static_cast<uint32_t>(us % 1000000), incl,
                 static_cast<uint32_t>(frame.size())};
  if (std::fwrite(&r, sizeof r, 1, f_) != 1 ||
      (incl && std::fwrite(frame.data(), incl, 1, f_) != 1))
    return io_error(path_, "cannot write record");
  return {};
}

Status PcapWriter::flush() {
  if (!f_) return make_error("pcap " + path_ + ": flush after close");
  if (std::fflush(f_) != 0) return io_error(path_, "cannot flush");
  return {};
}

Status PcapWriter::close() {
  if (!f_) return {};
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) return io_error(path_, "cannot close");
  return {};
}

Result<std::vector<PcapRecord>> read_pcap_records(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return io_error(path, "cannot open");
  FileHeader h;
  if (std::fread(&h, sizeof h, 1, f.get()) != 1)
    return make_error("pcap " + path + ": file shorter than the 24-byte header");
  bool swap = false;
  bool nano = false;
  if (h.magic == kPcapMagicMicro || h.magic == kPcapMagicNano) {
    nano = h.magic == kPcapMagicNano;
  } else if (h.magic == __builtin_bswap32(kPcapMagicMicro) ||
             h.magic == __builtin_bswap32(kPcapMagicNano)) {
    swap = true;
    nano = h.magic == __builtin_bswap32(kPcapMagicNano);
  } else {
    return make_error("pcap " + path + ": magic is not a classic pcap magic (pcapng?)");
  }
  auto u32 = [swap](uint32_t v) { return swap ? __builtin_bswap32(v) : v; };
  uint32_t linktype = u32(h.linktype) & 0x0fffffff;
  if (linktype != kLinkTypeEthernet)
    return make_error("pcap " + path + ": link type " + std::to_string(linktype) +
                      " is not Ethernet (1)");

  std::vector<PcapRecord> out;
  for (;;) {
    RecordHeader r;
    size_t got = std::fread(&r, 1, sizeof r, f.get());
    if (got == 0) break;
    if (got != sizeof r)
      return make_error("pcap " + path + ": record " + std::to_string(out.size()) +
                        " header is truncated");
    uint32_t incl = u32(r.incl_len);
    if (incl > 0x40000)
      return make_error("pcap " + path + ": record " + std::to_string(out.size()) + " length " +
                        std::to_string(incl) + " is implausible");
    PcapRecord rec;
    rec.original_length = u32(r.orig_len);
    rec.timestamp = std::chrono::seconds(u32(r.ts_sec)) +
                    (nano ? std::chrono::nanoseconds(u32(r.ts_frac))
                          : std::chrono::nanoseconds(uint64_t{u32(r.ts_frac)} * 1000));
    rec.data.resize(incl);
    if (incl && std::fread(rec.data.data(), incl, 1, f.get()) != 1)
      return make_error("pcap " + path + ": record " + std::to_string(out.size()) +
                        " data is truncated");
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<std::vector<uint8_t>>> read_pcap(const std::string& path) {
  auto recs = read_pcap_records(path);
  if (!recs) return recs.error();
  std::vector<std::vector<uint8_t>> frames;
  frames.reserve(recs->size());
  for (auto& r : *recs) frames.push_back(std::move(r.data));
  return frames;
}

}  // namespace vgw::packet
