#include "api/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "api/client.h"
#include "api/dispatcher.h"
#include "fake_operations.h"

namespace vgw::api {
namespace {

using nlohmann::json;

// A server on a socket in a fresh temp dir, served by a background thread that
// polls fd() and calls process(), as the daemon's control loop does.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vgw-api-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/run/vgw.sock";  // run/ does not exist yet: listen() creates it
  }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }
  void start(UnixServer::Options options = {}) {
    auto s = UnixServer::listen(
        path_, [this](std::string_view l) { return dispatcher_.handle_line(l); }, options);
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        pollfd p{server_->fd(), POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) server_->process();
      }
    });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  // A raw connected socket, for byte-level tests.
  int raw_connect() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path_.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }
  // Reads until EOF (or 5 s).
  static std::string read_all(int fd) {
    std::string s;
    char buf[4096];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      s.append(buf, static_cast<size_t>(n));
    }
    return s;
  }

  std::string dir_, path_;
  testing::FakeOperations ops_;
  Dispatcher dispatcher_{ops_};
  std::unique_ptr<UnixServer> server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST_F(ServerTest, AnswersOneRequestPerLine) {
  start();
  auto c = Client::connect(path_);
  ASSERT_TRUE(c) << c.error().message;
  auto r = c->request({{"cmd", "show"}, {"what", "drops"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"ok":true,"data":[{"reason":"unknown_vni","count":3}]})"));
  r = c->request({{"cmd", "show"}, {"what", "fdb"}, {"args", {{"network", "db"}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["data"][0]["network"], "db");
}

TEST_F(ServerTest, CreatesDirectoryAndSocketWithModes) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  stop();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "the socket file is removed on shutdown";
}

TEST_F(ServerTest, MalformedJsonIsAnsweredAndTheConnectionStaysUsable) {
  start();
  auto c = Client::connect(path_);
  ASSERT_TRUE(c);
  auto raw = c->request_line("{\"cmd\": ");
  ASSERT_TRUE(raw);
  json r = json::parse(*raw);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"].get<std::string>().rfind("malformed JSON request", 0), 0u) << *raw;
  auto ok = c->request({{"cmd", "show"}, {"what", "networks"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["data"][0]["name"], "web");
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  int fd = raw_connect();
  std::string reqs =
      "{\"cmd\":\"show\",\"what\":\"vteps\"}\n"
      "garbage\n"
      "{\"cmd\":\"show\",\"what\":\"drops\"}\n";
  ASSERT_EQ(::send(fd, reqs.data(), reqs.size(), 0), static_cast<ssize_t>(reqs.size()));
  ::shutdown(fd, SHUT_WR);
  std::string out = read_all(fd);
  ::close(fd);
  std::vector<json> lines;
  size_t start = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(json::parse(out.substr(start, nl - start)));
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0]["data"]["local"]["udp_port"], 4789);
  EXPECT_EQ(lines[1]["ok"], false);
  EXPECT_EQ(lines[2]["data"][0]["reason"], "unknown_vni");
}

TEST_F(ServerTest, OversizedRequestIsRefusedAndTheConnectionClosed) {
  UnixServer::Options o;
  o.max_request_bytes = 1024;
  start(o);
  int fd = raw_connect();
  std::string big(3000, 'x');
  ASSERT_EQ(::send(fd, big.data(), big.size(), 0), static_cast<ssize_t>(big.size()));
  std::string out = read_all(fd);  // the server closes after answering
  ::close(fd);
  EXPECT_EQ(out, "{\"error\":\"request exceeds the limit of 1024 bytes\",\"ok\":false}\n");
  // The server keeps serving others.
  auto c = Client::connect(path_);
  ASSERT_TRUE(c);
  auto r = c->request({{"cmd", "show"}, {"what", "vteps"}});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["ok"], true);
}

TEST_F(ServerTest, ServesSeveralClientsAtOnce) {
  start();
  std::vector<Client> clients;
  for (int i = 0; i < 5; ++i) {
    auto c = Client::connect(path_);
    ASSERT_TRUE(c);
    clients.push_back(std::move(*c));
  }
  // Interleaved: each client's answer is its own.
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      std::string net = "n" + std::to_string(i);
      auto r = clients[i].request({{"cmd", "show"}, {"what", "fdb"}, {"args", {{"network", net}}}});
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ((*r)["data"][0]["network"], net);
    }
  }
  EXPECT_EQ(server_->client_count(), 5u);
  clients.clear();
  for (int i = 0; i < 200 && server_->client_count() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server_->client_count(), 0u);
}

TEST_F(ServerTest, ApplyTravelsAsYamlText) {
  start();
  auto c = Client::connect(path_);
  ASSERT_TRUE(c);
  auto r = c->request(
      {{"cmd", "apply"}, {"config", "networks:\n  - name: web\n    tenant: blue\n    vni: 7\n"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, json::parse(R"({"ok":true,"changes":["+ applied 1"],"total_changes":1})"));
  stop();
  ASSERT_EQ(ops_.applied.size(), 1u);
  EXPECT_EQ(ops_.applied[0].networks[0].vni, 7u);
}

TEST_F(ServerTest, RefusesASocketInUseAndReplacesAStaleOne) {
  start();
  auto second = UnixServer::listen(path_, [](std::string_view) { return std::string(); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "api.socket: " + path_ + " is in use by a running daemon");

  // A socket file nobody listens on (a crashed daemon) is replaced.
  std::string stale = dir_ + "/stale.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, stale.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::close(fd);
  auto s = UnixServer::listen(stale, [](std::string_view) { return std::string("{}"); });
  ASSERT_TRUE(s) << s.error().message;
}

TEST_F(ServerTest, ClientNamesTheSocketWhenTheDaemonIsUnreachable) {
  auto c = Client::connect(dir_ + "/none.sock");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.rfind("cannot reach vgwd at " + dir_ + "/none.sock: ", 0), 0u)
      << c.error().message;
}

}  // namespace
}  // namespace vgw::api
