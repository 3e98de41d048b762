#include "api/control_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace vgw::api {

ControlQueue::ControlQueue() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd() failed");  // start-up only
}

ControlQueue::~ControlQueue() {
  close();
  ::close(fd_);
}

bool ControlQueue::run(const std::function<void()>& fn) {
  Task task{&fn};
  std::unique_lock lock(mu_);
  if (closed_) return false;
  queue_.push_back(&task);
  uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(fd_, &one, sizeof one);
  cv_.wait(lock, [&] { return task.done; });
  return task.ran;
}

void ControlQueue::process() {
  uint64_t n;
  [[maybe_unused]] auto r = ::read(fd_, &n, sizeof n);
  std::deque<Task*> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
  }
  for (Task* t : batch) {
    (*t->fn)();
    std::lock_guard lock(mu_);
    t->ran = true;
    t->done = true;
  }
  if (!batch.empty()) cv_.notify_all();
}

void ControlQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (Task* t : queue_) t->done = true;
  queue_.clear();
  cv_.notify_all();
}

}  // namespace vgw::api
