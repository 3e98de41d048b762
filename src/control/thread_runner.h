// The daemon's WorkerRunner: one thread per data-plane worker, named vgw-w<N>.
#pragma once

#include <thread>
#include <vector>

#include "control/deps.h"

namespace vgw::control {

class ThreadRunner final : public WorkerRunner {
 public:
  ~ThreadRunner() override { stop(); }
  void start(std::vector<std::unique_ptr<dataplane::Worker>> workers) override;
  void stop() override;
  size_t running() const override { return threads_.size(); }

 private:
  std::vector<std::unique_ptr<dataplane::Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace vgw::control
