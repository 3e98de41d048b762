// The benchmark workload of issue 2 (and the callgrind figure of issue 6): one
// worker (or several, each with its own in-memory ports, sharing the tables)
// over in-memory ports, 256-packet batches, 64-byte inner frames, 64K flows, 1M
// FDB entries. Shared by the Google Benchmark program and the fixed
// packet-count runner that bench/callgrind.sh measures.
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "config/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/worker.h"
#include "io/memory_port.h"
#include "packet/builder.h"

namespace vgw::bench {

using dataplane::Location;
using packet::PacketBuilder;

inline constexpr uint32_t kFlows = 65536;
inline constexpr uint32_t kFdbEntries = 1'000'000;

enum class Direction { kEncap, kDecap };

inline MacAddress local_mac(uint32_t i) {
  return MacAddress::from_u64(0x020000000000ull | i);
}
inline MacAddress remote_mac(uint32_t i) {
  return MacAddress::from_u64(0x060000000000ull | i);
}
inline IpAddress addr(const char* s) {
  return *IpAddress::parse(s);
}

inline const MacAddress kNextHop = MacAddress::from_u64(0xaabbccddee01ull);
inline const MacAddress kOurs = MacAddress::from_u64(0x020000000002ull);

// 64-byte inner frame of flow i: local host i <-> remote host i, UDP.
inline std::vector<uint8_t> inner(uint32_t i, bool to_remote) {
  MacAddress l = local_mac(i), r = remote_mac(i);
  IpAddress a = IpAddress::v4(0x0a000000u | (i & 0xffff)),
            b = IpAddress::v4(0x0a010000u | (i & 0xffff));
  auto f = PacketBuilder()
               .eth(to_remote ? r : l, to_remote ? l : r)
               .ipv4(to_remote ? a : b, to_remote ? b : a)
               .udp(static_cast<uint16_t>(1024 + (i & 0x3ff)), 5000)
               .payload(22)
               .build();
  return f;
}

struct Workload {
  explicit Workload(Direction dir, uint64_t packets = UINT64_MAX, size_t n_workers = 1)
      : dp(dataplane::DataplaneOptions{{kFdbEntries * 2, 5, 180}, 4096, [] { return 1000u; }}) {
    config::Config c;
    c.ports = {{"p0", "memory"}};
    c.underlay.interface = "u0";
    c.underlay.mtu = 1500;
    c.vtep.source = addr("192.168.1.2");
    config::Network n;
    n.name = "web";
    n.vni = 100;
    n.remotes = {addr("192.168.1.1")};
    n.attachments = {{"p0", 0}};
    c.networks = {n};
    dataplane::UnderlayInfo u;
    u.resolve = [](const IpAddress&) { return dataplane::NextHop{true, kNextHop, kOurs}; };
    if (Status st = dp.apply(c, u); !st) std::fprintf(stderr, "%s\n", st.error().message.c_str());
    uint32_t net = dp.snapshot()->network_by_name("web");
    uint32_t remote = dp.snapshot()->remotes().find(addr("192.168.1.1"));
    // 1M entries: both ends of the 64K flows, learned (so the source check
    // refreshes them) plus filler in the same network.
    auto& fdb = dp.fdb();
    for (uint32_t i = 0; i < kFlows; ++i) {
      (void)fdb.add(net, local_mac(i), Location::local(0, 0), dataplane::FdbType::kLearned, 1000);
      (void)fdb.add(net, remote_mac(i), Location::remote(remote), dataplane::FdbType::kLearned,
                    1000);
    }
    for (uint32_t i = 2 * kFlows; i < kFdbEntries; ++i)
      (void)fdb.add(net, MacAddress::from_u64(0x0a0000000000ull | i), Location::remote(remote),
                    dataplane::FdbType::kLearned, 1000);

    std::vector<std::vector<uint8_t>> frames;
    frames.reserve(kFlows);
    for (uint32_t i = 0; i < kFlows; ++i) {
      if (dir == Direction::kEncap) {
        frames.push_back(inner(i, true));
      } else {
        frames.push_back(PacketBuilder()
                             .eth(kOurs, kNextHop)
                             .ipv4(addr("192.168.1.1"), addr("192.168.1.2"))
                             .udp(static_cast<uint16_t>(49152 + (i & 0x3fff)), 4789)
                             .vxlan(100)
                             .inner(inner(i, false))
                             .build());
      }
    }
    for (size_t k = 0; k < n_workers; ++k) {
      auto p0 = std::make_unique<io::MemoryPort>("p0", io::MemoryPort::TxMode::kCount);
      auto u0 = std::make_unique<io::MemoryPort>("u0", io::MemoryPort::TxMode::kCount);
      (dir == Direction::kEncap ? p0 : u0)->replay(frames, packets);
      std::vector<std::unique_ptr<Port>> ports;
      ports.push_back(std::move(p0));
      workers.push_back(std::make_unique<dataplane::Worker>(dp, std::move(ports), std::move(u0),
                                                            dataplane::WorkerOptions{4096, 1}));
    }
    worker = workers.front().get();
  }

  dataplane::Dataplane dp;
  std::vector<std::unique_ptr<dataplane::Worker>> workers;
  dataplane::Worker* worker = nullptr;  // the first
};

}  // namespace vgw::bench
