#include "reports/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace bpsim::reports {
namespace {

Error SystemError(const std::string& action, const std::string& what, int err) {
  return Error{"cannot " + action + " " + what + ": " + std::strerror(err)};
}

}  // namespace

Result<bool> WriteAll(std::FILE* file, std::string_view data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    const size_t n = std::fwrite(data.data() + done, 1, data.size() - done, file);
    if (n == 0) return SystemError("write", what, errno != 0 ? errno : EIO);
    done += n;
  }
  errno = 0;
  if (std::fflush(file) != 0) return SystemError("write", what, errno != 0 ? errno : EIO);
  return true;
}

Result<bool> WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (file == nullptr) return SystemError("create", tmp, errno);
  auto fail = [&](Error error) -> Result<bool> {
    std::remove(tmp.c_str());
    return error;
  };
  errno = 0;
  if (Result<bool> written = WriteAll(file, content, tmp); !written.ok()) {
    std::fclose(file);
    return fail(written.error());
  }
  if (::fsync(::fileno(file)) != 0) {
    const int err = errno;
    std::fclose(file);
    return fail(SystemError("sync", tmp, err));
  }
  if (std::fclose(file) != 0) return fail(SystemError("close", tmp, errno));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(SystemError("rename " + tmp + " to", path, errno));
  }
  return true;
}

Result<bool> CheckWritableDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create directory " + dir + ": " + ec.message()};
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error{"cannot write to directory " + dir + ": Not a directory"};
  }
  const std::string probe = dir + "/.bpsim-write-check." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return SystemError("write to directory", dir, errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

}  // namespace bpsim::reports
