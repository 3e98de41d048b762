// The router's forwarding table at scale (issue 3: 1M IPv4 routes per tenant):
// insert and build time, memory, and lookups per second, for two tables of 1M
// routes — lengths uniform over /8../32 ("uniform") and an Internet-like mix, mostly
// /24 and /16../23 ("realistic") — looked up at uniform random addresses ("any") and
// at addresses inside random routes ("hit"). Plus 200K IPv6 routes.
//
//   vgw_fib_bench [google benchmark flags]
//   vgw_fib_bench --callgrind uniform|realistic|v6 LOOKUPS
//       runs LOOKUPS lookups with callgrind instrumentation on only around the loop;
//       run it under callgrind at two counts and divide the difference:
//       valgrind --tool=callgrind --instr-atstart=no vgw_fib_bench --callgrind realistic N
#include <benchmark/benchmark.h>
#include <valgrind/callgrind.h>

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_set>

#include "fib/fib.h"

namespace vgw::fib {
namespace {

constexpr size_t kRoutes = 1 << 20;
constexpr size_t kRoutesV6 = 200000;
constexpr size_t kAddresses = 1 << 20;  // looked up round-robin, beyond the caches
constexpr uint32_t kGroups = 64;        // distinct next-hop sets (VTEPs, gateways)

enum Kind { kUniform, kRealistic, kV6 };

// Heap bytes in use (the RIB's memory is measured as the growth across inserts).
size_t heap_bytes() {
  return mallinfo2().uordblks;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

unsigned pick_length(Kind kind, std::mt19937_64& rng) {
  if (kind == kUniform) return 8 + rng() % 25;
  unsigned r = rng() % 100;
  if (r < 60) return 24;
  if (r < 90) return 16 + rng() % 8;
  if (r < 95) return 25 + rng() % 8;
  return 8 + rng() % 8;
}

std::vector<NextHop> group_hops(uint32_t g) {
  // Groups of 1..4 gateways, as ECMP toward VTEPs would be.
  std::vector<NextHop> hops;
  for (uint32_t i = 0; i <= g % 4; ++i)
    hops.push_back(NextHop::via(IpAddress::v4(0xc0000200u + g * 4 + i), g));
  return hops;
}

struct Workload {
  Fib fib;
  std::unique_ptr<const FibTable> table;
  size_t routes = 0;
  double insert_s = 0, build_s = 0;
  size_t rib_bytes = 0;            // the Fib (control plane) alone
  std::vector<uint32_t> any, hit;  // IPv4 addresses, host order
  std::vector<std::array<uint8_t, 16>> any6, hit6;
};

std::unique_ptr<Workload> make(Kind kind) {
  auto w = std::make_unique<Workload>();
  std::mt19937_64 rng(kind + 1);
  std::vector<IpPrefix> prefixes;
  if (kind != kV6) {
    std::unordered_set<uint64_t> seen;
    seen.reserve(kRoutes * 2);
    while (prefixes.size() < kRoutes) {
      unsigned len = pick_length(kind, rng);
      uint32_t a = static_cast<uint32_t>(rng()) & ~(len == 32 ? 0 : ~uint32_t{0} >> len);
      if (!seen.insert(uint64_t{a} << 8 | len).second) continue;
      prefixes.push_back(IpPrefix{IpAddress::v4(a), static_cast<uint8_t>(len)});
    }
  } else {
    // A provider's /32, customers' /48../64, host routes.
    const unsigned lens[] = {48, 56, 64, 64, 64, 128};
    std::set<std::pair<uint64_t, unsigned>> seen;
    while (prefixes.size() < kRoutesV6) {
      unsigned len = lens[rng() % 6];
      uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
      uint64_t r = rng();
      std::memcpy(b + 4, &r, 4);
      if (len == 128) std::memcpy(b + 8, &r, 8);
      IpPrefix p{IpAddress::from_v6_bytes(b), static_cast<uint8_t>(len)};
      for (unsigned i = len / 8; i < 16; ++i) p.addr.b[i] &= i == len / 8 ? ~(0xff >> len % 8) : 0;
      uint64_t key;
      std::memcpy(&key, p.addr.b.data() + 4, 8);
      if (!seen.emplace(key, len).second) continue;
      prefixes.push_back(p);
    }
  }
  std::vector<std::vector<NextHop>> groups;
  for (uint32_t g = 0; g < kGroups; ++g) groups.push_back(group_hops(g));
  size_t heap0 = heap_bytes();
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < prefixes.size(); ++i) {
    auto s = w->fib.add_route(prefixes[i], RouteSource::kEvpn, groups[i % kGroups]);
    if (!s) {
      std::fprintf(stderr, "%s\n", s.error().message.c_str());
      std::abort();
    }
  }
  w->insert_s = seconds_since(t0);
  w->rib_bytes = heap_bytes() - heap0;
  t0 = std::chrono::steady_clock::now();
  auto t = w->fib.build();
  w->build_s = seconds_since(t0);
  if (!t) {
    std::fprintf(stderr, "%s\n", t.error().message.c_str());
    std::abort();
  }
  w->table = std::move(*t);
  w->routes = prefixes.size();
  for (size_t i = 0; i < kAddresses; ++i) {
    const IpPrefix& p = prefixes[rng() % prefixes.size()];
    uint64_t r = rng();
    if (kind != kV6) {
      w->any.push_back(static_cast<uint32_t>(r >> 32));
      uint32_t host = p.len == 32 ? 0 : ~uint32_t{0} >> p.len;
      w->hit.push_back(p.addr.v4_host() | (static_cast<uint32_t>(r) & host));
    } else {
      std::array<uint8_t, 16> a;
      std::memcpy(a.data(), p.addr.b.data(), 4);
      std::memcpy(a.data() + 4, &r, 8);
      std::memcpy(a.data() + 12, &r, 4);
      w->any6.push_back(a);
      std::array<uint8_t, 16> h = p.addr.b;
      for (unsigned i2 = (p.len + 7) / 8; i2 < 16; ++i2) h[i2] = static_cast<uint8_t>(r >> i2);
      w->hit6.push_back(h);
    }
  }
  return w;
}

Workload& workload(Kind kind) {
  static std::map<Kind, std::unique_ptr<Workload>> cache;
  auto& w = cache[kind];
  if (!w) w = make(kind);
  return *w;
}

void report(benchmark::State& state, const Workload& w) {
  auto s = w.table->stats();
  state.counters["routes"] = static_cast<double>(w.routes);
  state.counters["insert_s"] = w.insert_s;
  state.counters["build_s"] = w.build_s;
  state.counters["table_MiB"] = static_cast<double>(s.bytes) / (1 << 20);
  state.counters["rib_MiB"] = static_cast<double>(w.rib_bytes) / (1 << 20);
  state.counters["nodes"] = static_cast<double>(s.v4.nodes + s.v6.nodes);
  state.counters["leaves"] = static_cast<double>(s.v4.leaves + s.v6.leaves);
}

// arg 0: kUniform or kRealistic; arg 1: 0 = any address, 1 = inside a route.
void BM_LookupV4(benchmark::State& state) {
  Workload& w = workload(static_cast<Kind>(state.range(0)));
  const auto& addrs = state.range(1) ? w.hit : w.any;
  const FibTable& t = *w.table;
  size_t i = 0;
  for (auto _ : state) {
    uint32_t a = addrs[i++ & (kAddresses - 1)];
    benchmark::DoNotOptimize(t.lookup_v4(a, a * 0x9e3779b9u));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  report(state, w);
}
BENCHMARK(BM_LookupV4)
    ->ArgNames({"realistic", "hit"})
    ->Args({kUniform, 0})
    ->Args({kUniform, 1})
    ->Args({kRealistic, 0})
    ->Args({kRealistic, 1});

void BM_LookupV6(benchmark::State& state) {
  Workload& w = workload(kV6);
  const auto& addrs = state.range(0) ? w.hit6 : w.any6;
  const FibTable& t = *w.table;
  size_t i = 0;
  for (auto _ : state) {
    const auto& a = addrs[i++ & (kAddresses - 1)];
    benchmark::DoNotOptimize(t.lookup_v6(a.data(), static_cast<uint32_t>(i)));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  report(state, w);
}
BENCHMARK(BM_LookupV6)->ArgName("hit")->Arg(0)->Arg(1);

// Rebuilding the snapshot from the RIB: what each batch of route changes costs.
void BM_Build(benchmark::State& state) {
  Workload& w = workload(static_cast<Kind>(state.range(0)));
  for (auto _ : state) {
    auto t = w.fib.build();
    benchmark::DoNotOptimize(t);
  }
  report(state, w);
}
BENCHMARK(BM_Build)->Arg(kUniform)->Arg(kRealistic)->Arg(kV6)->Unit(benchmark::kMillisecond);

int callgrind(const char* kind_name, uint64_t lookups) {
  Kind kind = std::strcmp(kind_name, "uniform") == 0     ? kUniform
              : std::strcmp(kind_name, "realistic") == 0 ? kRealistic
                                                         : kV6;
  Workload& w = workload(kind);
  const FibTable& t = *w.table;
  uint64_t sum = 0;
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
  if (kind != kV6) {
    for (uint64_t i = 0; i < lookups; ++i) {
      uint32_t a = w.hit[i & (kAddresses - 1)];
      const NextHop* n = t.lookup_v4(a, a * 0x9e3779b9u);
      sum += n ? n->interface : 0;
    }
  } else {
    for (uint64_t i = 0; i < lookups; ++i) {
      const NextHop* n = t.lookup_v6(w.hit6[i & (kAddresses - 1)].data(), static_cast<uint32_t>(i));
      sum += n ? n->interface : 0;
    }
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  auto s = t.stats();
  std::printf("%s: %zu routes, %llu lookups (checksum %llu), table %.1f MiB, build %.2f s\n",
              kind_name, w.routes, static_cast<unsigned long long>(lookups),
              static_cast<unsigned long long>(sum), static_cast<double>(s.bytes) / (1 << 20),
              w.build_s);
  return 0;
}

}  // namespace
}  // namespace vgw::fib

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--callgrind") == 0)
    return vgw::fib::callgrind(argv[2], std::strtoull(argv[3], nullptr, 10));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
