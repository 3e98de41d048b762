// The dispatcher's operation commands (issue 5): trace, check, capture, and the
// controller API acting as another owner. Arguments are checked with errors
// naming the field; valid ones reach control::Operations as given.
#include <gtest/gtest.h>

#include "api/dispatcher.h"
#include "fake_operations.h"

namespace vgw::api {
namespace {

using nlohmann::json;

// Records the operation calls the fake does not.
class OpsWithTrace : public testing::FakeOperations {
 public:
  Status start_trace(uint32_t count, const std::string& port) override {
    traces.emplace_back(count, port);
    return {};
  }
  json read_trace() const override { return {{"packets", json::array({{{"packet", 1}}})}}; }
  Status start_capture(const control::CaptureRequest& r) override {
    captures.push_back(r);
    return {};
  }
  json read_capture(size_t max) override {
    reads.push_back(max);
    return {{"frames", json::array()}};
  }
  void stop_capture() override { ++stops; }
  std::vector<std::pair<uint32_t, std::string>> traces;
  std::vector<control::CaptureRequest> captures;
  std::vector<size_t> reads;
  int stops = 0;
};

class DispatcherOperation : public ::testing::Test {
 protected:
  json call(const char* request) { return d_.handle(json::parse(request)); }
  std::string error(const char* request) {
    json r = call(request);
    EXPECT_FALSE(r["ok"].get<bool>()) << r.dump();
    return r.value("error", "");
  }
  OpsWithTrace ops_;
  Dispatcher d_{ops_};
};

TEST_F(DispatcherOperation, TraceStartReadStop) {
  EXPECT_EQ(call(R"({"cmd":"trace","action":"start","count":5,"port":"p1"})"),
            json({{"ok", true}, {"data", {{"tracing", 5}, {"port", "p1"}}}}));
  EXPECT_EQ(call(R"({"cmd":"trace"})")["data"]["packets"][0]["packet"], 1);
  EXPECT_EQ(call(R"({"cmd":"trace","action":"stop"})")["data"]["tracing"], 0);
  EXPECT_EQ(ops_.traces, (std::vector<std::pair<uint32_t, std::string>>{{5, "p1"}, {0, ""}}));
}

TEST_F(DispatcherOperation, TraceArgumentsAreChecked) {
  EXPECT_EQ(error(R"({"cmd":"trace","action":"start","count":0})"), "count: 0 is not in 1..1024");
  EXPECT_EQ(error(R"({"cmd":"trace","action":"start","count":2000})"),
            "count: 2000 is not in 1..1024");
  EXPECT_EQ(error(R"({"cmd":"trace","action":"go"})"),
            R"(action: "go" is not start, read or stop)");
  EXPECT_EQ(error(R"({"cmd":"trace","port":7})"), "port: must be a string");
  EXPECT_EQ(error(R"({"cmd":"trace","bogus":1})"), "bogus: unknown field for trace");
  EXPECT_TRUE(ops_.traces.empty());
}

TEST_F(DispatcherOperation, CheckAnswersTheFindings) {
  json r = call(R"({"cmd":"check"})");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_TRUE(r["data"].contains("findings"));
  EXPECT_TRUE(r["data"].contains("consistent"));
}

TEST_F(DispatcherOperation, CaptureStartReadStop) {
  EXPECT_TRUE(call(R"({"cmd":"capture","action":"start","network":"web","snaplen":128})")["ok"]);
  ASSERT_EQ(ops_.captures.size(), 1u);
  EXPECT_EQ(ops_.captures[0].network, "web");
  EXPECT_EQ(ops_.captures[0].port, "");
  EXPECT_EQ(ops_.captures[0].snaplen, 128u);
  EXPECT_TRUE(call(R"({"cmd":"capture","action":"read","max":10})")["ok"]);
  EXPECT_EQ(ops_.reads, std::vector<size_t>{10});
  EXPECT_TRUE(call(R"({"cmd":"capture","action":"stop"})")["ok"]);
  EXPECT_EQ(ops_.stops, 1);
  EXPECT_EQ(error(R"({"cmd":"capture","action":"start","port":""})"),
            "port: must be a non-empty string");
  EXPECT_EQ(error(R"({"cmd":"capture","snaplen":-1})"), "snaplen: -1 is not in 1..65535");
}

TEST_F(DispatcherOperation, ControllerAsAnotherOwner) {
  const char* entries =
      R"("entries":[{"network":"web","mac":"02:00:00:00:00:01","remote":"192.0.2.1"}])";
  EXPECT_TRUE(call((std::string(R"({"cmd":"fdb_add","owner":"evpn:192.0.2.9",)") + entries + "}")
                       .c_str())["ok"]);
  EXPECT_TRUE(
      call((std::string(R"({"cmd":"fdb_add","owner":"api",)") + entries + "}").c_str())["ok"]);
  ASSERT_EQ(ops_.owners.size(), 2u);
  EXPECT_EQ(ops_.owners[0], (control::Owner{control::Origin::kEvpn, "192.0.2.9"}));
  EXPECT_EQ(ops_.owners[1], (control::Owner{control::Origin::kApi, ""}));
  EXPECT_EQ(
      error((std::string(R"({"cmd":"fdb_add","owner":"evpn:nope",)") + entries + "}").c_str()),
      R"(owner: "evpn:nope" is not "api" or "evpn:<peer address>")");
  EXPECT_EQ(ops_.owners.size(), 2u);
}

}  // namespace
}  // namespace vgw::api
