#include "control_loop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <spdlog/spdlog.h>

namespace vgw::daemon {

int block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an EPIPE, not a death
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int run_control_loop(control::Service& service, control::UnderlayResolver& underlay,
                     api::UnixServer& server, int signal_fd, LoopOptions options) {
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  itimerspec its{};
  its.it_interval.tv_sec = options.tick.count() / 1000;
  its.it_interval.tv_nsec = (options.tick.count() % 1000) * 1'000'000;
  its.it_value = its.it_interval;
  timerfd_settime(timer, 0, &its, nullptr);

  enum { kSignal, kTimer, kApi, kUnderlay, kCount };
  std::vector<pollfd> fds = {{signal_fd, POLLIN, 0},
                             {timer, POLLIN, 0},
                             {server.fd(), POLLIN, 0},
                             {underlay.fd(), POLLIN, 0}};  // fd -1 is ignored by poll()
  for (const auto& e : options.extra) fds.push_back({e.fd, POLLIN, 0});
  int signo = 0;
  while (signo == 0) {
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::critical("control loop: poll failed: {}", std::strerror(errno));
      signo = SIGTERM;
      break;
    }
    if (fds[kSignal].revents & POLLIN) {
      signalfd_siginfo si{};
      while (::read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGHUP) {
          spdlog::info("event=signal signal=SIGHUP action=ignored (use vgwctl apply)");
          continue;
        }
        signo = static_cast<int>(si.ssi_signo);
      }
    }
    if (fds[kUnderlay].revents & POLLIN) {
      if (underlay.process()) service.underlay_changed();
    }
    if (fds[kTimer].revents & POLLIN) {
      uint64_t expirations;
      [[maybe_unused]] auto r = ::read(timer, &expirations, sizeof expirations);
      service.tick();
    }
    if (fds[kApi].revents & POLLIN) server.process();
    for (size_t i = 0; i < options.extra.size(); ++i)
      if (fds[kCount + i].revents & POLLIN) options.extra[i].on_readable();
  }
  ::close(timer);
  return signo;
}

}  // namespace vgw::daemon
