// In-memory dependencies for control::Service tests: MemoryPorts from a factory
// that remembers them, a resolver answering from a map, and a runner whose
// workers are stepped by hand (no threads).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "control/deps.h"
#include "io/memory_port.h"

namespace vgw::control::testing {

class MemoryPortFactory : public PortFactory {
 public:
  Result<std::unique_ptr<Port>> open_attachment(const config::Port& port, uint32_t worker,
                                                uint32_t) override {
    if (fail.count(port.name)) return make_error("ports[" + port.name + "]: no such interface");
    auto p = std::make_unique<io::MemoryPort>(port.name);
    attachments[{worker, port.name}] = p.get();
    ++opened;
    return std::unique_ptr<Port>(std::move(p));
  }
  Result<std::unique_ptr<Port>> open_underlay(const config::Underlay& u, const config::Vtep&,
                                              uint32_t worker, uint32_t) override {
    if (fail.count(u.interface)) return make_error("underlay.interface: no such interface");
    auto p = std::make_unique<io::MemoryPort>(u.interface);
    underlays[worker] = p.get();
    ++opened;
    return std::unique_ptr<Port>(std::move(p));
  }

  std::set<std::string> fail;  // names whose open fails
  std::map<std::pair<uint32_t, std::string>, io::MemoryPort*> attachments;
  std::map<uint32_t, io::MemoryPort*> underlays;
  int opened = 0;
};

class FakeResolver : public UnderlayResolver {
 public:
  dataplane::NextHop resolve(const IpAddress& remote) override {
    ++resolves;
    auto it = next_hops.find(remote.to_string());
    return it == next_hops.end() ? dataplane::NextHop{} : it->second;
  }
  uint32_t interface_mtu(const std::string&) override { return mtu; }

  std::map<std::string, dataplane::NextHop> next_hops;
  uint32_t mtu = 1500;
  int resolves = 0;
};

class ManualRunner : public WorkerRunner {
 public:
  void start(std::vector<std::unique_ptr<dataplane::Worker>> workers) override {
    workers_ = std::move(workers);
    ++starts;
  }
  void stop() override { workers_.clear(); }
  size_t running() const override { return workers_.size(); }
  // One iteration of every worker.
  size_t step() {
    size_t n = 0;
    for (auto& w : workers_) n += w->run_once();
    return n;
  }

  int starts = 0;

 private:
  std::vector<std::unique_ptr<dataplane::Worker>> workers_;
};

}  // namespace vgw::control::testing
