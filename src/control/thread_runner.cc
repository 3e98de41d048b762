#include "control/thread_runner.h"

#include <pthread.h>

#include <string>

namespace vgw::control {

void ThreadRunner::start(std::vector<std::unique_ptr<dataplane::Worker>> workers) {
  stop();
  workers_ = std::move(workers);
  for (auto& w : workers_) {
    dataplane::Worker* worker = w.get();
    threads_.emplace_back([worker] { worker->run(); });
    std::string name = "vgw-w" + std::to_string(worker->id());
    pthread_setname_np(threads_.back().native_handle(), name.substr(0, 15).c_str());
  }
}

void ThreadRunner::stop() {
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  workers_.clear();  // closes their ports
}

}  // namespace vgw::control
