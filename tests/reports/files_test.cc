#include "reports/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/reports/test_util.h"

using namespace bpsim;
using namespace bpsim::reports;
using namespace bpsim::reports::testing;

TEST_CASE("WriteFileAtomically replaces the file and leaves no temporary behind",
          "[reports][files]") {
  TempDir dir;
  const std::string path = dir.path() + "/report.json";
  WriteText(path, "old");
  REQUIRE(WriteFileAtomically(path, "new content\n").ok());
  CHECK(ReadText(path) == "new content\n");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("WriteAll reports a full disk with strerror", "[reports][files]") {
  std::FILE* full = std::fopen("/dev/full", "w");
  REQUIRE(full != nullptr);
  Result<bool> r = WriteAll(full, std::string(100'000, 'x'), "out/report.html");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot write out/report.html: No space left on device");
  std::fclose(full);
}

TEST_CASE("WriteFileAtomically fails clearly when the directory does not exist",
          "[reports][files]") {
  TempDir dir;
  const std::string path = dir.path() + "/missing/report.json";
  Result<bool> r = WriteFileAtomically(path, "x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot create " + path + ".tmp." + std::to_string(::getpid()) +
                                 ": No such file or directory");
}

TEST_CASE("WriteFileAtomically fails in a read-only directory and keeps the old file",
          "[reports][files]") {
  if (::geteuid() == 0) {
    // root ignores directory permissions; /proc refuses file creation for everyone.
    Result<bool> r = WriteFileAtomically("/proc/bpsim-report.json", "x");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::StartsWith("cannot create /proc/bpsim-report.json.tmp."));
    return;
  }
  TempDir dir;
  const std::string path = dir.path() + "/report.json";
  WriteText(path, "old");
  REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
  Result<bool> r = WriteFileAtomically(path, "new");
  ::chmod(dir.path().c_str(), 0755);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "cannot create " + path + ".tmp." + std::to_string(::getpid()) + ": Permission denied");
  CHECK(ReadText(path) == "old");
}

TEST_CASE("CheckWritableDirectory creates missing directories", "[reports][files]") {
  TempDir dir;
  const std::string out = dir.path() + "/a/b/out";
  REQUIRE(CheckWritableDirectory(out).ok());
  CHECK(std::filesystem::is_directory(out));
  CHECK(std::filesystem::is_empty(out));
}

TEST_CASE("CheckWritableDirectory fails when the path is a file", "[reports][files]") {
  TempDir dir;
  const std::string file = dir.path() + "/plain";
  WriteText(file, "x");
  Result<bool> r = CheckWritableDirectory(file);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith("cannot create directory " + file + ": "));
}

TEST_CASE("CheckWritableDirectory fails where files cannot be created", "[reports][files]") {
  if (::geteuid() == 0) {
    Result<bool> r = CheckWritableDirectory("/proc/self");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::StartsWith("cannot write to directory /proc/self: "));
    return;
  }
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
  Result<bool> r = CheckWritableDirectory(dir.path());
  ::chmod(dir.path().c_str(), 0755);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot write to directory " + dir.path() + ": Permission denied");
}
