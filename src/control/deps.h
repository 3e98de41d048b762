// What the control Service needs from the outside world, as interfaces so the
// daemon injects the real ones (AF_PACKET/UDP ports, rtnetlink, threads) and the
// unit tests inject in-memory ports, a fake resolver and hand-stepped workers
// (STYLE: inject the dependency, no `if (testing)` in production code).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "config/config.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "io/port.h"

namespace vgw::control {

// Opens the Port objects of one worker: each worker has its own Port per
// interface (AF_PACKET fanout spreads an interface's traffic over them).
class PortFactory {
 public:
  virtual ~PortFactory() = default;
  // Attachment port `port` as seen by worker `worker` of `workers`.
  virtual Result<std::unique_ptr<Port>> open_attachment(const config::Port& port, uint32_t worker,
                                                        uint32_t workers) = 0;
  // The underlay as seen by worker `worker` of `workers` (packet or socket mode).
  virtual Result<std::unique_ptr<Port>> open_underlay(const config::Underlay& underlay,
                                                      const config::Vtep& vtep, uint32_t worker,
                                                      uint32_t workers) = 0;
};

// The kernel's view of the underlay: next hops of remote VTEPs and the
// interface MTU, followed as they change.
class UnderlayResolver {
 public:
  virtual ~UnderlayResolver() = default;
  virtual dataplane::NextHop resolve(const IpAddress& remote) = 0;
  // The interface's MTU, or 0 when unknown.
  virtual uint32_t interface_mtu(const std::string& ifname) = 0;
  // Readable when the kernel reported a change (-1: never).
  virtual int fd() const { return -1; }
  // Reads pending notifications; true when next hops may have changed.
  virtual bool process() { return false; }
};

// Runs the data-plane workers: on threads in the daemon, stepped by hand in tests.
class WorkerRunner {
 public:
  virtual ~WorkerRunner() = default;
  // Takes the workers and starts running them.
  virtual void start(std::vector<std::unique_ptr<dataplane::Worker>> workers) = 0;
  // Stops and joins every worker, then destroys them (closing their ports).
  virtual void stop() = 0;
  virtual size_t running() const = 0;
};

}  // namespace vgw::control
