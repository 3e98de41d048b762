// Pipeline throughput (Google Benchmark): encap (local port -> tunnel) and
// decap (tunnel -> local port), one worker, in-memory ports. items_per_second
// is packets per second on one core.
#include <benchmark/benchmark.h>

#include "workload.h"

namespace vgw::bench {
namespace {

void run(benchmark::State& state, Direction dir) {
  Workload w(dir);
  uint64_t packets = 0;
  for (auto _ : state) packets += w.worker->run_once();
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  auto c = w.dp.read_counters();
  uint64_t drops = 0;
  for (uint64_t d : c.drops) drops += d;
  state.counters["drops"] = static_cast<double>(drops);
  state.counters["fdb_entries"] = static_cast<double>(w.dp.fdb().size());
}

void BM_Encap(benchmark::State& state) {
  run(state, Direction::kEncap);
}
void BM_Decap(benchmark::State& state) {
  run(state, Direction::kDecap);
}

BENCHMARK(BM_Encap)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Decap)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vgw::bench

BENCHMARK_MAIN();
