// tests/bad/: malformed scenarios, each with its exact expected error in NAME.expect
// (the full message, one line per problem, with the path shown relative to
// tests/bad/). Regenerate after reviewing a deliberate message change with
// BPSIM_UPDATE_BAD=1 ./build/dev/tests/bpsim_tests '[bad]'.

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/scenario/scenario.h"

using namespace bpsim;
using namespace bpsim::harness;
namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

}  // namespace

TEST_CASE("every malformed scenario in tests/bad fails with its expected message", "[loader][bad]") {
  const fs::path dir = fs::path(BPSIM_SOURCE_DIR) / "tests" / "bad";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".expect") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 40);
  const bool update = std::getenv("BPSIM_UPDATE_BAD") != nullptr;
  for (const fs::path& file : files) {
    INFO(file.filename().string());
    auto start = std::chrono::steady_clock::now();
    Result<Scenario> r = LoadScenario(file.string());
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed < std::chrono::milliseconds(500));
    REQUIRE_FALSE(r.ok());
    std::string got = ReplaceAll(r.error().message, dir.string() + "/", "") + "\n";
    fs::path expect_path = file;
    expect_path.replace_extension(".expect");
    if (update) std::ofstream(expect_path, std::ios::binary) << got;
    REQUIRE(fs::exists(expect_path));
    CHECK(got == ReadFile(expect_path));
  }
}
