// The web Fabric Manager's files (web/dist: index.html and its hashed
// /assets/*), compiled into vgwd by web/embed_assets.cmake, and the rules for
// serving them (SPEC "web Fabric Manager"): content type by extension, a strong
// ETag (304 on If-None-Match), and caching: the hashed assets never change
// under their name (a year, immutable), the HTML is revalidated every time so
// a new vgwd's page shows at once.
#pragma once

#include <span>
#include <string_view>

namespace vgw::api {

struct WebAsset {
  std::string_view path;  // "/index.html", "/assets/app-XXXX.js"
  std::string_view etag;  // quoted, as sent: "\"3c91e23c...\""
  std::string_view body;
};

// Every embedded file (generated: web_assets_data.cc in the build tree).
std::span<const WebAsset> web_assets();

// The file a request path names ("/" is "/index.html"), or nullptr.
const WebAsset* find_web_asset(std::string_view path);

// "text/html; charset=utf-8", "text/javascript; charset=utf-8", ... by extension;
// "application/octet-stream" when unknown.
std::string_view web_content_type(std::string_view path);

// The Cache-Control value for a served path.
std::string_view web_cache_control(std::string_view path);

// True when an If-None-Match header value lists etag (or is "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace vgw::api
