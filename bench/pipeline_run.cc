// Runs the benchmark workload for a fixed number of packets, with callgrind
// instrumentation on only around the packet loop (bench/callgrind.sh runs it
// twice with different counts and divides the difference).
//   vgw_pipeline_run encap|decap PACKETS
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "workload.h"

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "encap") && std::strcmp(argv[1], "decap"))) {
    std::fprintf(stderr, "usage: %s encap|decap PACKETS\n", argv[0]);
    return 2;
  }
  auto dir = std::strcmp(argv[1], "encap") == 0 ? vgw::bench::Direction::kEncap
                                                : vgw::bench::Direction::kDecap;
  uint64_t packets = std::strtoull(argv[2], nullptr, 10);
  vgw::bench::Workload w(dir, packets);
  uint64_t done = 0;
  w.worker->run_once();  // warm caches and the first snapshot outside the measurement
  done = 0;
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
  for (;;) {
    size_t n = w.worker->run_once();
    if (n == 0) break;
    done += n;
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  auto c = w.dp.read_counters();
  uint64_t drops = 0;
  for (uint64_t d : c.drops) drops += d;
  std::printf("%s packets=%llu drops=%llu\n", argv[1], static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(drops));
  return drops ? 1 : 0;
}
