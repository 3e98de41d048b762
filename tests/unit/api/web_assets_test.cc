// The web Fabric Manager served from inside the binary: the embedded table
// (web/dist through web/embed_assets.cmake) and the static routes of the HTTP
// server over real HTTP: content types, ETag/304, cache policy, 404/405.
#include "api/web_assets.h"

#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include "api/dispatcher.h"
#include "api/http_server.h"
#include "unit/api/fake_operations.h"

namespace vgw::api {
namespace {

// The asset paths index.html loads (src="/assets/..", href="/assets/..").
std::vector<std::string> referenced_assets(std::string_view html) {
  std::vector<std::string> out;
  const std::string s(html);
  const std::regex ref(R"re((?:src|href)="(/assets/[^"]+)")re");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), ref); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

TEST(WebAssets, IndexAndItsAssetsAreEmbedded) {
  const WebAsset* index = find_web_asset("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index, find_web_asset("/index.html"));
  EXPECT_TRUE(index->body.starts_with("<!doctype html>"));
  auto refs = referenced_assets(index->body);
  ASSERT_EQ(refs.size(), 2u) << index->body;  // one JS, one CSS
  std::set<std::string> types;
  for (const auto& r : refs) {
    const WebAsset* a = find_web_asset(r);
    ASSERT_NE(a, nullptr) << r << " is referenced by index.html but not embedded";
    EXPECT_GT(a->body.size(), 100u) << r;
    types.insert(std::string(web_content_type(r)));
  }
  EXPECT_EQ(types,
            (std::set<std::string>{"text/css; charset=utf-8", "text/javascript; charset=utf-8"}));
}

TEST(WebAssets, EtagsAreQuotedAndDistinct) {
  std::set<std::string_view> seen;
  for (const WebAsset& a : web_assets()) {
    EXPECT_GE(a.etag.size(), 3u);
    EXPECT_EQ(a.etag.front(), '"');
    EXPECT_EQ(a.etag.back(), '"');
    EXPECT_TRUE(seen.insert(a.etag).second) << a.path;
  }
  EXPECT_EQ(find_web_asset("/assets/none.js"), nullptr);
  EXPECT_EQ(find_web_asset(""), nullptr);
}

TEST(WebAssets, ContentTypesAndCachePolicy) {
  EXPECT_EQ(web_content_type("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(web_content_type("/assets/app-1.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(web_content_type("/assets/app-1.css"), "text/css; charset=utf-8");
  EXPECT_EQ(web_content_type("/assets/app-1.js.map"), "application/json");
  EXPECT_EQ(web_content_type("/x.bin"), "application/octet-stream");
  EXPECT_EQ(web_cache_control("/assets/app-1.js"), "public, max-age=31536000, immutable");
  EXPECT_EQ(web_cache_control("/index.html"), "no-cache");
}

TEST(WebAssets, IfNoneMatch) {
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("*", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("abc", "\"abc\""));
}

class WebPageHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServer::Options o;
    o.listen = "127.0.0.1:0";
    auto s = HttpServer::start(o, dispatcher_, [](const std::function<void()>& fn) {
      fn();  // no control thread here: the fake operations are not shared
      return true;
    });
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
  }
  httplib::Client client() { return httplib::Client("127.0.0.1", server_->port()); }

  testing::FakeOperations ops_;
  Dispatcher dispatcher_{ops_};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(WebPageHttpTest, ServesThePageWithTypesAndCaching) {
  auto c = client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(r->get_header_value("ETag"), find_web_asset("/")->etag);
  EXPECT_EQ(r->body, find_web_asset("/")->body);

  for (const auto& path : referenced_assets(r->body)) {
    auto a = c.Get(path);
    ASSERT_TRUE(a) << path;
    EXPECT_EQ(a->status, 200) << path;
    EXPECT_EQ(a->get_header_value("Content-Type"), web_content_type(path));
    EXPECT_EQ(a->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(a->body, find_web_asset(path)->body) << path;
  }
}

TEST_F(WebPageHttpTest, RevalidationAnswers304WithoutBody) {
  auto c = client();
  const std::string etag(find_web_asset("/")->etag);
  auto r = c.Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  auto changed = c.Get("/", {{"If-None-Match", "\"something-else\""}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
}

TEST_F(WebPageHttpTest, UnknownAssetIs404AndWrongMethodIs405) {
  auto c = client();
  auto r = c.Get("/assets/app-NOPE.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body).value("error", ""),
            "path: /assets/app-NOPE.js is not a file of the web page");
  auto p = c.Post("/", "x", "text/plain");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 405);
  // The API is still what it was.
  auto api = c.Get("/api/v1/networks");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
}

}  // namespace
}  // namespace vgw::api
