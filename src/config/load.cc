#include "config/load.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/validate.h"
#include "config/yaml.h"

namespace vgw::config {

Result<Config> load(std::string_view yaml) {
  auto c = parse_yaml(yaml);
  if (!c) return c;
  if (auto s = validate(*c); !s) return s.error();
  return c;
}

Result<Config> load_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return make_error(path + ": cannot read: " + std::strerror(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return load(text);
}

}  // namespace vgw::config
