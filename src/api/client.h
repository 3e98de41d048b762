// A blocking client of the local API (api/protocol.h), for vgwctl and tests:
// connect to the daemon's unix socket, send one request line, read one line back.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace vgw::api {

class Client {
 public:
  // Errors name the socket path, e.g. "cannot reach vgwd at /run/vgw/vgw.sock: ...".
  static Result<Client> connect(const std::string& path, int timeout_ms = 30000);

  Client(Client&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)), timeout_ms_(o.timeout_ms_) {
    o.fd_ = -1;
  }
  Client& operator=(Client&&) = delete;
  Client(const Client&) = delete;
  ~Client();

  // Sends request as one line and returns the response object.
  Result<nlohmann::json> request(const nlohmann::json& request);
  // The raw form: one line out (a newline is added), one line back (without it).
  Result<std::string> request_line(const std::string& line);

 private:
  Client(int fd, std::string path, int timeout_ms)
      : fd_(fd), path_(std::move(path)), timeout_ms_(timeout_ms) {}
  int fd_ = -1;
  std::string path_;
  int timeout_ms_;
  std::string pending_;  // bytes read past the last returned line
};

}  // namespace vgw::api
