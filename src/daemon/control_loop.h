// vgwd's control thread: one poll() loop over the API socket (and its clients),
// the underlay resolver's netlink fd, a timerfd for periodic work (learn rings,
// ageing slices, next-hop retries) and a signalfd for SIGTERM/SIGINT. Everything
// that changes state runs on this thread, through control::Service.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "api/server.h"
#include "control/service.h"

namespace vgw::daemon {

struct LoopOptions {
  std::chrono::milliseconds tick{50};
  // More fds to poll, each with what to do when it is readable on the control
  // thread (the HTTP API's ControlQueue; later the EVPN speaker's sockets).
  struct ExtraFd {
    int fd;
    std::function<void()> on_readable;
  };
  std::vector<ExtraFd> extra;
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every thread
// it creates afterwards) and returns a signalfd for them; -1 on failure.
int block_signals();

// Runs until a signal arrives on signal_fd; returns the signal number.
int run_control_loop(control::Service& service, control::UnderlayResolver& underlay,
                     api::UnixServer& server, int signal_fd, LoopOptions options = {});

}  // namespace vgw::daemon
