// save_atomic: the file holds either the old or the new text; failures leave
// the old file and no temp file behind.
#include "config/persist.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/load.h"
#include "unit/config/test_configs.h"

namespace vgw::config {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SaveAtomic : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vgw-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  size_t entries(const fs::path& d) {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(d)) ++n;
    return n;
  }
  fs::path dir_;
};

TEST_F(SaveAtomic, WritesAndReplaces) {
  fs::path p = dir_ / "vgw.yaml";
  ASSERT_TRUE(save_atomic(p, "old\n"));
  EXPECT_EQ(slurp(p), "old\n");
  ASSERT_TRUE(save_atomic(p, "new text\n"));
  EXPECT_EQ(slurp(p), "new text\n");
  EXPECT_EQ(entries(dir_), 1u);  // no temp file left
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // may hold api.token
}

// Staged: the target keeps the old text until commit; a staged file never
// committed leaves nothing behind.
TEST_F(SaveAtomic, StagedFileReplacesOnlyOnCommit) {
  fs::path p = dir_ / "vgw.yaml";
  ASSERT_TRUE(save_atomic(p, "old\n"));
  {
    auto staged = StagedFile::stage(p, "abandoned\n");
    ASSERT_TRUE(staged);
    EXPECT_EQ(entries(dir_), 2u);  // the target and the fsynced temp file
    EXPECT_EQ(slurp(p), "old\n");
  }
  EXPECT_EQ(entries(dir_), 1u);
  EXPECT_EQ(slurp(p), "old\n");

  auto staged = StagedFile::stage(p, "new\n");
  ASSERT_TRUE(staged);
  StagedFile moved = std::move(*staged);
  EXPECT_EQ(slurp(p), "old\n");
  ASSERT_TRUE(moved.commit());
  EXPECT_EQ(slurp(p), "new\n");
  EXPECT_EQ(entries(dir_), 1u);
  Status again = moved.commit();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, p.string() + ": nothing staged to commit");
}

TEST_F(SaveAtomic, CreatesTheDirectory) {
  fs::path p = dir_ / "a" / "b" / "vgw.yaml";
  ASSERT_TRUE(save_atomic(p, "x"));
  EXPECT_EQ(slurp(p), "x");
}

TEST_F(SaveAtomic, SavedConfigLoadsBack) {
  fs::path p = dir_ / "applied.yaml";
  auto c = load(testing::kSpecExample);
  ASSERT_TRUE(c);
  ASSERT_TRUE(save_config(p, *c));
  auto back = load_file(p);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == *c);
}

// A write that fails half way (file size limit: EFBIG) leaves the old file.
TEST_F(SaveAtomic, FailedWriteLeavesTheOldFile) {
  fs::path p = dir_ / "vgw.yaml";
  ASSERT_TRUE(save_atomic(p, "old\n"));
  struct rlimit old_lim;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
  auto old_sig = signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = old_lim;
  lim.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  Status s = save_atomic(p, std::string(100000, 'n'));
  setrlimit(RLIMIT_FSIZE, &old_lim);
  signal(SIGXFSZ, old_sig);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cannot write: File too large"), std::string::npos)
      << s.error().message;
  EXPECT_EQ(slurp(p), "old\n");
  EXPECT_EQ(entries(dir_), 1u);
}

// As root every directory is writable, so the attempt runs in a child that
// drops to nobody; the directory is readable but not writable for it.
TEST_F(SaveAtomic, UnwritableDirectoryLeavesTheOldFile) {
  fs::path p = dir_ / "vgw.yaml";
  ASSERT_TRUE(save_atomic(p, "old\n"));
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(2);
    if (getuid() != 0) chmod(dir_.c_str(), 0555);  // we own it when not root
    Status s = save_atomic(p, "new\n");
    std::string msg = s ? "(saved)" : s.error().message;
    ssize_t w = write(fds[1], msg.data(), msg.size());
    _exit(w == static_cast<ssize_t>(msg.size()) ? 0 : 3);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(msg, dir_.string() + ": cannot create a temp file: Permission denied");
  EXPECT_EQ(slurp(p), "old\n");
  EXPECT_EQ(entries(dir_), 1u);
}

TEST_F(SaveAtomic, DirectoryThatIsAFile) {
  fs::path blocker = dir_ / "blocker";
  ASSERT_TRUE(save_atomic(blocker, "i am a file"));
  Status s = save_atomic(blocker / "vgw.yaml", "x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.rfind(blocker.string() + ": cannot create directory: ", 0), 0u)
      << s.error().message;
  EXPECT_EQ(slurp(blocker), "i am a file");
}

TEST_F(SaveAtomic, RenameOverADirectoryFailsCleanly) {
  fs::path p = dir_ / "taken";
  fs::create_directory(p);
  fs::create_directory(p / "inside");
  Status s = save_atomic(p, "x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.rfind(p.string() + ": cannot rename the temp file over it: ", 0), 0u)
      << s.error().message;
  EXPECT_EQ(entries(dir_), 1u);
}

}  // namespace
}  // namespace vgw::config
