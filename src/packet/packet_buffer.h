// Packet buffers for the data plane: fixed-size, allocated from a per-worker pool,
// with headroom so that encapsulation prepends the outer headers without copying
// or allocating (the mbuf / Seastar packet idea). A pool belongs to one worker
// thread: alloc and free take no lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace vgw {

class PacketPool;

// Per-packet metadata filled in by the stages. Indices refer to the current
// data-plane snapshot (dataplane/snapshot.h).
struct PacketMeta {
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr uint16_t kTrace = 1u << 0;  // record this packet's path
  static constexpr uint16_t kCsumPartial =
      1u << 1;  // L4 checksum left to the device (csum_start/offset valid)
  static constexpr uint16_t kFromOverlay = 1u << 2;  // arrived through a tunnel (split horizon)

  uint32_t in_port = kNone;   // port index the frame arrived on
  uint32_t network = kNone;   // network index, set by classify/decap
  uint32_t remote = kNone;    // remote VTEP index: decap source, or encap target
  uint32_t out_port = kNone;  // port index to send on
  uint32_t flow_hash = 0;     // inner L2/L3/L4 hash, set lazily
  uint16_t vlan = 0;          // VLAN the frame was received with (0 = untagged)
  uint16_t flags = 0;
  uint16_t csum_start = 0;   // with kCsumPartial: offset from data() where summing starts
  uint16_t csum_offset = 0;  // with kCsumPartial: where the checksum goes, from csum_start
};

class Packet {
 public:
  static constexpr uint32_t kHeadroom = 192;   // outer Eth+VLAN+IPv6+UDP+VXLAN is 74; room to spare
  static constexpr uint32_t kCapacity = 9728;  // jumbo frames plus headroom
  static constexpr uint32_t kDataRoom = kCapacity - kHeadroom;

  uint8_t* data() { return buf_ + off_; }
  const uint8_t* data() const { return buf_ + off_; }
  uint32_t size() const { return len_; }
  std::span<uint8_t> bytes() { return {data(), len_}; }
  std::span<const uint8_t> bytes() const { return {data(), len_}; }
  uint32_t headroom() const { return off_; }
  uint32_t tailroom() const { return kCapacity - off_ - len_; }

  // Makes n bytes of room in front of the data and returns it; nullptr if there is no headroom.
  uint8_t* prepend(uint32_t n) {
    if (n > off_) return nullptr;
    off_ -= n;
    len_ += n;
    return data();
  }
  // Removes n bytes from the front; false if the packet is shorter.
  bool pull(uint32_t n) {
    if (n > len_) return false;
    off_ += n;
    len_ -= n;
    return true;
  }
  // Extends the data by n bytes at the end and returns the new room; nullptr if no tailroom.
  uint8_t* append(uint32_t n) {
    if (n > tailroom()) return nullptr;
    uint8_t* p = data() + len_;
    len_ += n;
    return p;
  }
  void trim(uint32_t new_len) {
    if (new_len < len_) len_ = new_len;
  }
  // Keeps only the bytes [front, front + len) of the data (decap: the inner
  // frame), unchecked: the caller has checked front + len <= size().
  void narrow(uint32_t front, uint32_t len) {
    off_ += front;
    len_ = len;
  }
  // Empties the packet and restores the default headroom and metadata.
  void reset() {
    off_ = kHeadroom;
    len_ = 0;
    meta = PacketMeta{};
  }
  // Replaces the contents with a copy of bytes (false if too large).
  bool assign(std::span<const uint8_t> bytes) {
    reset();
    if (bytes.size() > kDataRoom) return false;
    std::memcpy(data(), bytes.data(), bytes.size());
    len_ = static_cast<uint32_t>(bytes.size());
    return true;
  }

  PacketPool* pool() const { return pool_; }
  // Returns the packet to its pool.
  inline void release();

  PacketMeta meta;

 private:
  friend class PacketPool;
  PacketPool* pool_ = nullptr;
  uint32_t off_ = kHeadroom;
  uint32_t len_ = 0;
  alignas(64) uint8_t buf_[kCapacity];
};

// A fixed set of packets owned by one worker. alloc() returns nullptr when empty;
// the caller counts that as a drop (no_buffer). The free packets are a stack of
// pointers in one array (no growth, no bounds check beyond the count): the last
// freed, cache-warm buffer is the next allocated. get_bulk and free_bulk move a
// whole batch with one count update, as a NIC driver refills its ring.
class PacketPool {
 public:
  explicit PacketPool(size_t count)
      : storage_(new Packet[count]), free_(new Packet*[count]), count_(count), n_free_(count) {
    for (size_t i = 0; i < count; ++i) {
      storage_[i].pool_ = this;
      free_[count - 1 - i] = &storage_[i];
    }
  }
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  Packet* alloc() {
    if (n_free_ == 0) return nullptr;
    Packet* p = free_[--n_free_];
    p->reset();
    return p;
  }
  // Takes up to n packets at once (how many: got), NOT reset: the caller
  // initialises each with reset() or assign() while filling it, as a NIC
  // driver's receive path does with rte_mempool_get_bulk. They are at the
  // returned pointer [0, got) (the top of the free stack as it lies: [got - 1]
  // is the one alloc() would have returned first), valid until the next free.
  Packet* const* get_bulk(size_t n, size_t& got) {
    got = n < n_free_ ? n : n_free_;
    n_free_ -= got;
    return free_.get() + n_free_;
  }
  void free(Packet* p) { free_[n_free_++] = p; }
  // Returns n packets of this pool.
  void free_bulk(Packet* const* pkts, size_t n) {
    std::memcpy(free_.get() + n_free_, pkts, n * sizeof(Packet*));
    n_free_ += n;
  }
  size_t available() const { return n_free_; }
  size_t capacity() const { return count_; }

 private:
  std::unique_ptr<Packet[]> storage_;
  std::unique_ptr<Packet*[]> free_;  // free_[0..n_free_) are free
  size_t count_;
  size_t n_free_;
};

inline void Packet::release() {
  pool_->free(this);
}

// Returns every packet to its pool, a run of packets of one pool at a time (a
// port's send() after the frames left).
inline void release_all(std::span<Packet* const> pkts) {
  for (size_t i = 0, n = pkts.size(); i < n;) {
    PacketPool* pool = pkts[i]->pool();
    size_t j = i + 1;
    while (j < n && pkts[j]->pool() == pool) ++j;
    pool->free_bulk(pkts.data() + i, j - i);
    i = j;
  }
}

// The unit of work of every stage (STYLE: stages over batches).
inline constexpr size_t kBatchSize = 256;

}  // namespace vgw
