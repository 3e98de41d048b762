// Network-namespace helpers for tests that need the kernel: create namespaces and
// veths with unique names (prefix "vgwt" + pid + "p"), run code inside a namespace (in a
// thread that setns() into it: sockets opened there stay bound to it), and remove
// everything on destruction, even when the test fails. Tests call
// VGW_REQUIRE_ROOT() first: skipped when not root, a failure when CI=true.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace vgw::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

#define VGW_REQUIRE_ROOT()                                                   \
  do {                                                                       \
    if (geteuid() != 0) {                                                    \
      if (::vgw::test::in_ci()) FAIL() << "namespace tests need root in CI"; \
      GTEST_SKIP() << "needs root (network namespaces)";                     \
    }                                                                        \
  } while (0)

// Runs a shell command; returns its exit status.
inline int sh(const std::string& cmd) {
  int r = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

// A unique short name: "vgwt" + pid + "p" + suffix (interface names have 15
// characters: suffixes of up to 3).
inline std::string unique_name(const std::string& suffix) {
  return "vgwt" + std::to_string(getpid()) + "p" + suffix;
}

// Removes namespaces left by test processes that died (a crash skips destructors):
// "vgwt<pid>p..." whose pid no longer runs (nobody else's names have that shape).
inline void remove_stale_namespaces() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns", ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("vgwt", 0) != 0) continue;
    size_t end = n.find_first_not_of("0123456789", 4);
    if (end == 4 || end == std::string::npos || n[end] != 'p') continue;  // not one of ours
    std::string pid = n.substr(4, end - 4);
    if (!std::filesystem::exists("/proc/" + pid)) sh("ip netns del " + n);
  }
}

// A network namespace that exists for the object's lifetime.
class Netns {
 public:
  explicit Netns(std::string name) : name_(std::move(name)) {
    remove_stale_namespaces();
    sh("ip netns del " + name_);
    ok_ = sh("ip netns add " + name_) == 0;
    if (ok_) {
      exec("ip link set lo up");
      exec("sysctl -w net.ipv6.conf.all.disable_ipv6=1");
      exec("sysctl -w net.ipv6.conf.default.disable_ipv6=1");
    }
  }
  ~Netns() { sh("ip netns del " + name_); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  // Runs a command inside the namespace; returns its exit status.
  int exec(const std::string& cmd) const { return sh("ip netns exec " + name_ + " " + cmd); }

  // Runs f() in a thread that has joined this namespace and returns its result.
  template <typename F>
  auto run(F&& f) const -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    std::exception_ptr ex;
    std::conditional_t<std::is_void_v<R>, int, std::optional<R>> result{};
    std::thread t([&] {
      try {
        enter();
        if constexpr (std::is_void_v<R>) {
          f();
        } else {
          result.emplace(f());
        }
      } catch (...) {
        ex = std::current_exception();
      }
    });
    t.join();
    if (ex) std::rethrow_exception(ex);
    if constexpr (!std::is_void_v<R>) return std::move(*result);
  }

  // Joins the namespace in the calling thread (for threads that live longer).
  void enter() const {
    int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns " + name_);
    ::close(fd);
  }

 private:
  std::string name_;
  bool ok_ = false;
};

// Two namespaces joined by a veth: `a_if` in a, `b_if` in b, both up, with
// optional IPv4 addresses.
struct VethPair {
  Netns a, b;
  std::string a_if, b_if;

  explicit VethPair(const std::string& tag)
      : a(unique_name(tag + "A")),
        b(unique_name(tag + "B")),
        a_if(unique_name(tag + "a")),
        b_if(unique_name(tag + "b")) {
    ok_ = a.ok() && b.ok() &&
          sh("ip link add " + a_if + " netns " + a.name() + " type veth peer name " + b_if +
             " netns " + b.name()) == 0 &&
          a.exec("ip link set " + a_if + " up") == 0 && b.exec("ip link set " + b_if + " up") == 0;
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

}  // namespace vgw::test
