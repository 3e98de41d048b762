#include "api/server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace vgw::api {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return make_error(fmt::format("api.socket: '{}' is empty or longer than {} bytes", path,
                                  sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// True when something accepts connections on path (another vgwd is running).
bool socket_is_live(const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

Result<std::unique_ptr<UnixServer>> UnixServer::listen(const std::string& path, Handler handler,
                                                       Options options) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();

  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec)
        return make_error(
            fmt::format("api.socket: cannot create directory {}: {}", dir.string(), ec.message()));
      ::chmod(dir.c_str(), options.dir_mode);
    }
  }

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(fmt::format("api.socket: {} exists and is not a socket", path));
    if (socket_is_live(*addr))
      return make_error(fmt::format("api.socket: {} is in use by a running daemon", path));
    ::unlink(path.c_str());
  }

  std::unique_ptr<UnixServer> s(new UnixServer(path, std::move(handler), options));
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return make_error("api.socket: socket(): " + errno_text());
  if (::bind(s->listen_fd_, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
    return make_error(fmt::format("api.socket: cannot bind {}: {}", path, errno_text()));
  ::chmod(path.c_str(), options.socket_mode);
  if (::listen(s->listen_fd_, 64) != 0)
    return make_error(fmt::format("api.socket: cannot listen on {}: {}", path, errno_text()));

  s->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (s->epoll_fd_ < 0) return make_error("api.socket: epoll_create1(): " + errno_text());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->listen_fd_;
  if (::epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->listen_fd_, &ev) != 0)
    return make_error("api.socket: epoll_ctl(): " + errno_text());
  return s;
}

UnixServer::~UnixServer() {
  for (auto& [fd, c] : clients_) ::close(fd);
  clients_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void UnixServer::process() {
  epoll_event events[64];
  int n = ::epoll_wait(epoll_fd_, events, 64, 0);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      accept_clients();
      continue;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    Client& c = it->second;
    bool alive = true;
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) alive = read_client(c);
    if (alive && !c.out.empty()) alive = write_client(c);
    if (alive && c.closing && c.out.empty()) alive = false;
    if (!alive) {
      drop(fd);
      continue;
    }
    update_interest(c);
  }
}

void UnixServer::accept_clients() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a client that went away before we accepted
    if (clients_.size() >= options_.max_clients) {
      std::string line = serialize(error_response(
                             fmt::format("too many clients (limit {})", options_.max_clients))) +
                         "\n";
      [[maybe_unused]] auto w = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    clients_[fd].fd = fd;
  }
}

bool UnixServer::read_client(Client& c) {
  // A client with unsent answers is not read from: it must read first.
  if (!c.out.empty() || c.closing) return true;
  char buf[65536];
  bool eof = false;
  for (;;) {
    ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
    if (r > 0) {
      c.in.append(buf, static_cast<size_t>(r));
      if (c.in.size() > options_.max_request_bytes + sizeof buf) break;  // checked below
      continue;
    }
    if (r == 0)
      eof = true;
    else if (errno == EINTR)
      continue;
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
      return false;
    break;
  }

  size_t start = 0;
  for (;;) {
    size_t nl = c.in.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(c.in.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > options_.max_request_bytes) {
      c.out += serialize(error_response(fmt::format("request exceeds the limit of {} bytes",
                                                    options_.max_request_bytes))) +
               "\n";
      c.closing = true;
      c.in.clear();
      return true;
    }
    if (!line.empty()) c.out += handler_(line) + "\n";
    start = nl + 1;
  }
  c.in.erase(0, start);
  if (c.in.size() > options_.max_request_bytes) {
    c.out += serialize(error_response(fmt::format("request exceeds the limit of {} bytes",
                                                  options_.max_request_bytes))) +
             "\n";
    c.closing = true;
    c.in.clear();
    return true;
  }
  if (eof) {
    // A last request without its newline is still answered.
    if (!c.in.empty()) c.out += handler_(c.in) + "\n";
    c.in.clear();
    c.closing = true;
  }
  return true;
}

bool UnixServer::write_client(Client& c) {
  while (!c.out.empty()) {
    ssize_t w = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (w > 0) {
      c.out.erase(0, static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  return true;
}

void UnixServer::update_interest(Client& c) {
  epoll_event ev{};
  ev.events = c.out.empty() ? EPOLLIN : EPOLLOUT;
  ev.data.fd = c.fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void UnixServer::drop(int fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  clients_.erase(fd);
}

}  // namespace vgw::api
