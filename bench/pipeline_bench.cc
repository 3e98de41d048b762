// Pipeline throughput (Google Benchmark): encap (local port -> tunnel) and
// decap (tunnel -> local port), in-memory ports. BM_Encap/BM_Decap: one worker,
// items_per_second is packets per second on one core. BM_*/threads:2: two
// workers sharing the tables (snapshot, FDB), one thread each, wall-clock time,
// items_per_second is both together.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <mutex>

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

// Several workers: one shared workload, built once by whichever thread comes
// first (outside the timed loop), each thread running its own worker.
void run_shared(benchmark::State& state, Direction dir) {
  static std::array<std::once_flag, 2> once;
  static std::array<std::unique_ptr<Workload>, 2> shared;
  const size_t d = dir == Direction::kEncap ? 0 : 1;
  const size_t threads = static_cast<size_t>(state.threads());
  std::call_once(once[d],
                 [&] { shared[d] = std::make_unique<Workload>(dir, UINT64_MAX, threads); });
  dataplane::Worker& worker = *shared[d]->workers.at(static_cast<size_t>(state.thread_index()));
  uint64_t packets = 0;
  for (auto _ : state) packets += worker.run_once();
  state.SetItemsProcessed(static_cast<int64_t>(packets));
}

void BM_EncapWorkers(benchmark::State& state) {
  run_shared(state, Direction::kEncap);
}
void BM_DecapWorkers(benchmark::State& state) {
  run_shared(state, Direction::kDecap);
}

BENCHMARK(BM_Encap)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Decap)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EncapWorkers)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecapWorkers)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vgw::bench

BENCHMARK_MAIN();
