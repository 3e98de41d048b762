#include "api/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "api/protocol.h"

namespace vgw::api {

Result<Client> Client::connect(const std::string& path, int timeout_ms) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return make_error(fmt::format("socket path '{}' is empty or too long", path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(fmt::format("socket(): {}", std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(fmt::format("cannot reach vgwd at {}: {} (is vgwd running? see --socket)",
                                  path, std::strerror(err)));
  }
  return Client(fd, path, timeout_ms);
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> Client::request_line(const std::string& line) {
  std::string out = line + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t w = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0)
      return make_error(fmt::format("sending to vgwd at {}: {}", path_, std::strerror(errno)));
    sent += static_cast<size_t>(w);
  }
  for (;;) {
    size_t nl = pending_.find('\n');
    if (nl != std::string::npos) {
      std::string resp = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return resp;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms_);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0)
      return make_error(fmt::format("no answer from vgwd at {} within {} ms", path_, timeout_ms_));
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(fmt::format("reading from vgwd at {}: {}", path_, std::strerror(errno)));
    if (n == 0) {
      if (!pending_.empty()) {
        std::string resp = std::move(pending_);
        pending_.clear();
        return resp;
      }
      return make_error(fmt::format("vgwd at {} closed the connection", path_));
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
}

Result<nlohmann::json> Client::request(const nlohmann::json& req) {
  auto line = request_line(serialize(req));
  if (!line) return line.error();
  auto resp = nlohmann::json::parse(*line, nullptr, false);
  if (resp.is_discarded() || !resp.is_object())
    return make_error(fmt::format("vgwd at {} sent a malformed answer", path_));
  return resp;
}

}  // namespace vgw::api
