// The router benchmark of issue 3: one tenant router with 1M IPv4 routes
// (plus connected routes), decap -> route -> encap between two VNIs, over
// in-memory ports: 256-packet batches, 64-byte inner frames, 64K flows to
// destinations spread over the whole table (so poptrie lookups miss caches as
// in real traffic), ECMP over 4 next hops behind a remote VTEP.
//
//   vgw_router_bench [PACKETS]        lookups/s of the FIB alone, routed packets/s
//   vgw_router_bench --callgrind N    runs N packets with callgrind instrumentation
//                                     on only around the loop (bench/router_callgrind.sh)
#include <valgrind/callgrind.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "config/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/worker.h"
#include "io/memory_port.h"
#include "packet/builder.h"

namespace {

using namespace vgw;
using packet::PacketBuilder;

constexpr uint32_t kRoutes = 1'000'000;
constexpr uint32_t kFlows = 65536;
constexpr uint32_t kHosts = 256;  // source hosts in network a

IpAddress addr(const char* s) {
  return *IpAddress::parse(s);
}
const MacAddress kNextHop = MacAddress::from_u64(0xaabbccddee01ull);
const MacAddress kOurs = MacAddress::from_u64(0x020000000002ull);
const MacAddress kGwA = MacAddress::from_u64(0x02000000aa01ull);
const MacAddress kGwB = MacAddress::from_u64(0x02000000aa02ull);

uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  return x ^ (x >> 16);
}

// Prefix i: a /24 (or every 8th a /20) anywhere outside 10/8, multicast and 0/8.
uint32_t route_addr(uint32_t i) {
  for (uint32_t salt = 0;; ++salt) {
    uint32_t a = mix(i * 2654435761u + salt);
    uint32_t top = a >> 24;
    if (top == 10 || top == 0 || top >= 224) continue;
    return a;
  }
}

struct Bench {
  Bench(uint64_t packets)
      : dp(dataplane::DataplaneOptions{{1 << 16, 5, 180}, 4096, [] { return 1000u; }}) {
    config::Config c;
    c.ports = {{"p0", "memory"}};
    c.underlay.interface = "u0";
    c.underlay.mtu = 1500;
    c.vtep.source = addr("192.168.1.2");
    config::Network a, b;
    a.name = "a";
    a.tenant = "t";
    a.vni = 100;
    a.remotes = {addr("192.168.1.1")};
    b = a;
    b.name = "b";
    b.vni = 200;
    c.networks = {a, b};
    config::Router r;
    r.name = "rtr";
    r.tenant = "t";
    r.interfaces = {{"a", *IpPrefix::parse("10.0.0.1/16"), kGwA},
                    {"b", *IpPrefix::parse("10.1.0.1/16"), kGwB}};
    std::vector<IpAddress> hops = {addr("10.1.0.10"), addr("10.1.0.11"), addr("10.1.0.12"),
                                   addr("10.1.0.13")};
    r.routes.reserve(kRoutes);
    for (uint32_t i = 0; i < kRoutes; ++i) {
      uint8_t len = i % 8 == 0 ? 20 : 24;
      uint32_t p = route_addr(i) & (len == 20 ? 0xfffff000u : 0xffffff00u);
      r.routes.push_back({IpPrefix{IpAddress::v4(p), len}, {hops[i % 2 ? 0 : 1], hops[2 + i % 2]}});
      if (i < kFlows) dsts.push_back(p | 1);
    }
    c.routers = {r};
    dataplane::UnderlayInfo u;
    u.resolve = [](const IpAddress&) { return dataplane::NextHop{true, kNextHop, kOurs}; };
    auto t0 = std::chrono::steady_clock::now();
    clock_t c0 = std::clock();
    if (Status st = dp.apply(c, u); !st) {
      std::fprintf(stderr, "%s\n", st.error().message.c_str());
      std::exit(1);
    }
    build_cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    build_wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    uint32_t na = dp.snapshot()->network_by_name("a"), nb = dp.snapshot()->network_by_name("b");
    uint32_t remote = dp.snapshot()->remotes().find(addr("192.168.1.1"));
    for (uint32_t h = 0; h < 4; ++h) {
      MacAddress m = MacAddress::from_u64(0x0c0000000000ull | h);
      (void)dp.neighbor_add("b", hops[h], m, "static");
      (void)dp.fdb().add_static(nb, m, dataplane::Location::remote(remote));
    }
    for (uint32_t h = 0; h < kHosts; ++h)
      (void)dp.fdb().add_static(na, MacAddress::from_u64(0x060000000000ull | h),
                                dataplane::Location::remote(remote));
    std::vector<std::vector<uint8_t>> frames;
    frames.reserve(kFlows);
    for (uint32_t i = 0; i < kFlows; ++i) {
      auto inner = PacketBuilder()
                       .eth(kGwA, MacAddress::from_u64(0x060000000000ull | (i % kHosts)))
                       .ipv4(IpAddress::v4(0x0a000000u | (i & 0xffff)), IpAddress::v4(dsts[i]))
                       .udp(static_cast<uint16_t>(1024 + (i & 0x3ff)), 5000)
                       .payload(22)
                       .build();
      frames.push_back(PacketBuilder()
                           .eth(kOurs, kNextHop)
                           .ipv4(addr("192.168.1.1"), addr("192.168.1.2"))
                           .udp(static_cast<uint16_t>(49152 + (i & 0x3fff)), 4789)
                           .vxlan(100)
                           .inner(inner)
                           .build());
    }
    auto p0 = std::make_unique<io::MemoryPort>("p0", io::MemoryPort::TxMode::kCount);
    auto u0 = std::make_unique<io::MemoryPort>("u0", io::MemoryPort::TxMode::kCount);
    u0->replay(std::move(frames), packets);
    std::vector<std::unique_ptr<Port>> ports;
    ports.push_back(std::move(p0));
    worker = std::make_unique<dataplane::Worker>(dp, std::move(ports), std::move(u0),
                                                 dataplane::WorkerOptions{4096, 1});
  }

  uint64_t drops() const {
    uint64_t n = 0;
    for (uint64_t d : dp.read_counters().drops) n += d;
    return n;
  }

  std::vector<uint32_t> dsts;
  double build_cpu_s = 0, build_wall_s = 0;
  dataplane::Dataplane dp;
  std::unique_ptr<dataplane::Worker> worker;
};

}  // namespace

int main(int argc, char** argv) {
  bool callgrind = argc == 3 && std::strcmp(argv[1], "--callgrind") == 0;
  uint64_t packets =
      std::strtoull(argv[callgrind ? 2 : 1] ? argv[callgrind ? 2 : 1] : "5000000", nullptr, 10);
  if (argc < 2) packets = 5'000'000;
  Bench b(packets);
  b.worker->run_once();  // warm up outside the measurement
  uint64_t done = 0;
  if (callgrind) {
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
    while (size_t n = b.worker->run_once()) done += n;
    CALLGRIND_STOP_INSTRUMENTATION;
  } else {
    // The FIB alone: lookups (longest match + ECMP select) per second.
    const auto* rt = b.dp.router().current();
    const auto& fib = *rt->routers[0].fib;
    uint64_t sum = 0;
    const uint64_t lookups = 20'000'000;
    clock_t c0 = std::clock();
    for (uint64_t i = 0; i < lookups; ++i) {
      uint32_t d = b.dsts[mix(static_cast<uint32_t>(i)) & (kFlows - 1)] ^ (i & 0xff);
      const auto* hop = fib.lookup_v4(d, static_cast<uint32_t>(i));
      sum += hop ? hop->interface : 7;
    }
    double fib_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("routes=%u build_cpu=%.2fs build_wall=%.2fs fib_bytes=%zu\n", kRoutes,
                b.build_cpu_s, b.build_wall_s, fib.stats().bytes);
    std::printf("fib lookups/s=%.1fM (cpu time, %llu lookups, check %llu)\n", lookups / fib_s / 1e6,
                static_cast<unsigned long long>(lookups),
                static_cast<unsigned long long>(sum % 1000));
    c0 = std::clock();
    while (size_t n = b.worker->run_once()) done += n;
    double s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("decap->route->encap packets/s=%.2fM (cpu time, %llu packets)\n", done / s / 1e6,
                static_cast<unsigned long long>(done));
  }
  auto c = b.dp.read_counters();
  std::printf("packets=%llu routed=%llu drops=%llu\n", static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(c.router.routed),
              static_cast<unsigned long long>(b.drops()));
  return b.drops() ? 1 : 0;
}
