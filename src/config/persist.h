// Atomic persistence of the applied configuration (SPEC: "persist atomically
// (write a temp file, fsync, rename)"): after a crash the file holds either the
// old or the new text, never a mix.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "config/config.h"

namespace vgw::config {

// Writes text to a temp file in path's directory (created if missing), fsyncs
// it, renames it over path and fsyncs the directory.
Status save_atomic(const std::string& path, std::string_view text);

// save_atomic(path, to_yaml(c)).
Status save_config(const std::string& path, const Config& c);

// save_atomic in two steps, so the slow half (writing and fsyncing a large file)
// can run while the caller does other work and the visible half (the rename)
// waits until the caller decides: stage() writes and fsyncs the temp file,
// commit() renames it over the target and fsyncs the directory. A staged file
// that is never committed is removed by the destructor (the target untouched).
class StagedFile {
 public:
  static Result<StagedFile> stage(const std::string& path, std::string_view text);
  // stage(path, to_yaml(c)).
  static Result<StagedFile> stage_config(const std::string& path, const Config& c);

  StagedFile(StagedFile&& o) noexcept;
  StagedFile& operator=(StagedFile&& o) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  Status commit();

 private:
  StagedFile(std::string path, std::string dir, std::string tmp)
      : path_(std::move(path)), dir_(std::move(dir)), tmp_(std::move(tmp)) {}
  std::string path_, dir_, tmp_;  // tmp_ empty: committed or moved from
};

}  // namespace vgw::config
