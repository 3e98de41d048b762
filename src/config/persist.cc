// Atomic replace: a temp file in the same directory (so rename stays within one
// filesystem and is atomic), fsync before rename (so the new name never points
// at unwritten data), fsync of the directory after (so the rename itself is
// durable). The file is created 0600: it may hold api.token.
#include "config/persist.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "config/yaml.h"

namespace vgw::config {
namespace {

Error sys_error(const std::string& path, const char* what, int e) {
  return make_error(path + ": " + what + ": " + std::strerror(e));
}

Status write_all(int fd, std::string_view text, const std::string& path) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(path, "cannot write", errno);
    off += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Status save_atomic(const std::string& path, std::string_view text) {
  auto staged = StagedFile::stage(path, text);
  if (!staged) return staged.error();
  return staged->commit();
}

Result<StagedFile> StagedFile::stage(const std::string& path, std::string_view text) {
  namespace fs = std::filesystem;
  fs::path target(path);
  if (target.filename().empty()) return make_error(path + ": not a file name");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(dir.string() + ": cannot create directory: " + ec.message());

  std::string tmp_name = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> tmp(tmp_name.begin(), tmp_name.end());
  tmp.push_back('\0');
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return sys_error(dir.string(), "cannot create a temp file", errno);
  auto abandon = [&](Error e) -> Error {
    ::close(fd);
    ::unlink(tmp.data());
    return e;
  };
  if (auto s = write_all(fd, text, tmp.data()); !s) return abandon(s.error());
  if (::fsync(fd) != 0) return abandon(sys_error(tmp.data(), "cannot fsync", errno));
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.data());
    return sys_error(tmp.data(), "cannot close", e);
  }
  return StagedFile(path, dir.string(), tmp.data());
}

Result<StagedFile> StagedFile::stage_config(const std::string& path, const Config& c) {
  return stage(path, to_yaml(c));
}

StagedFile::StagedFile(StagedFile&& o) noexcept
    : path_(std::move(o.path_)), dir_(std::move(o.dir_)), tmp_(std::exchange(o.tmp_, {})) {}

StagedFile& StagedFile::operator=(StagedFile&& o) noexcept {
  if (this != &o) {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    path_ = std::move(o.path_);
    dir_ = std::move(o.dir_);
    tmp_ = std::exchange(o.tmp_, {});
  }
  return *this;
}

StagedFile::~StagedFile() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Status StagedFile::commit() {
  if (tmp_.empty()) return make_error(path_ + ": nothing staged to commit");
  std::string tmp = std::exchange(tmp_, {});
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return sys_error(path_, "cannot rename the temp file over it", e);
  }
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return sys_error(dir_, "cannot open directory to fsync", errno);
  int rc = ::fsync(dfd);
  int e = errno;
  ::close(dfd);
  if (rc != 0) return sys_error(dir_, "cannot fsync directory", e);
  return {};
}

Status save_config(const std::string& path, const Config& c) {
  return save_atomic(path, to_yaml(c));
}

}  // namespace vgw::config
