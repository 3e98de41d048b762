// The local API transport: a unix stream socket speaking JSON lines
// (api/protocol.h). Non-blocking and single-threaded: the daemon's control loop
// polls fd() and calls process() when it is readable; several clients are served
// at once, each request answered in order. A request line longer than the limit
// is answered with an error and the connection closed (the stream cannot be
// resynchronised); a client that does not read its answers is not read from
// until it does.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/protocol.h"
#include "common/result.h"

namespace vgw::api {

class UnixServer {
 public:
  // One request line (no newline) -> one response line (no newline).
  using Handler = std::function<std::string(std::string_view line)>;

  struct Options {
    size_t max_request_bytes = kMaxSocketRequestBytes;
    size_t max_clients = 64;
    unsigned socket_mode = 0660;
    unsigned dir_mode = 0755;  // for the socket's directory when it is created
  };

  // Creates the socket's directory if missing, replaces a stale socket file (but
  // refuses when a live daemon answers on it), binds, listens.
  static Result<std::unique_ptr<UnixServer>> listen(const std::string& path, Handler handler,
                                                    Options options);
  static Result<std::unique_ptr<UnixServer>> listen(const std::string& path, Handler handler) {
    return listen(path, std::move(handler), Options{});
  }

  UnixServer(const UnixServer&) = delete;
  UnixServer& operator=(const UnixServer&) = delete;
  // Closes every connection and removes the socket file.
  ~UnixServer();

  // Readable when process() has work (an epoll fd over the listener and clients).
  int fd() const { return epoll_fd_; }
  // Accepts, reads, answers and writes whatever is ready; never blocks.
  void process();

  size_t client_count() const { return clients_.size(); }
  const std::string& path() const { return path_; }

 private:
  struct Client {
    int fd = -1;
    std::string in;
    std::string out;
    bool closing = false;  // close once out is flushed
  };

  UnixServer(std::string path, Handler handler, Options options)
      : path_(std::move(path)), handler_(std::move(handler)), options_(options) {}

  void accept_clients();
  // false when the client is gone and must be dropped.
  bool read_client(Client& c);
  bool write_client(Client& c);
  void update_interest(Client& c);
  void drop(int fd);

  std::string path_;
  Handler handler_;
  Options options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  std::unordered_map<int, Client> clients_;
};

}  // namespace vgw::api
