#pragma once
// Helpers for the report tests: temporary directories and running xmllint.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/command.h"

namespace bpsim::reports::testing {

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "bpsim-reports-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

using bpsim::testing::CommandResult;
using bpsim::testing::RunCommand;

// xmllint comes from the Debian package libxml2-utils. Tests that need it fail (not
// skip) when it is missing.
inline bool HaveXmllint() { return RunCommand("command -v xmllint").exit_code == 0; }

}  // namespace bpsim::reports::testing
