// Hands work from other threads (the HTTP server's) to the control thread and
// waits for it. The Service and the FDB have one writer by design (see
// dataplane/dataplane.h), so every API operation runs on the control thread:
// the HTTP thread queues a function, the control loop sees fd() readable and
// calls process(), the HTTP thread wakes up with the result.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace vgw::api {

class ControlQueue {
 public:
  ControlQueue();
  ~ControlQueue();
  ControlQueue(const ControlQueue&) = delete;
  ControlQueue& operator=(const ControlQueue&) = delete;

  // Readable (an eventfd) when process() has work.
  int fd() const { return fd_; }

  // Any thread but the control thread (it would wait for itself): runs fn on
  // the control thread and returns once it ran. false, with fn not run, once
  // the queue is closed.
  bool run(const std::function<void()>& fn);

  // Control thread: runs every queued function.
  void process();

  // Nothing more runs: waiting and later callers of run() get false. Call
  // before stopping the threads that call run(), so none waits forever.
  void close();

 private:
  struct Task {
    const std::function<void()>* fn;
    bool done = false;
    bool ran = false;
  };

  int fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task*> queue_;
  bool closed_ = false;
};

}  // namespace vgw::api
