// LoadScenario on the library's files: reading, parsing and validating one scenario
// (yaml-cpp + bpsim's checks), per file and over the whole library. A sweep or a
// `bpsim run` of the library pays this once per file.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/scenario/scenario.h"

namespace bpsim::harness {
namespace {

std::vector<std::string> LibraryFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::string(BPSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void BM_LoadScenario(benchmark::State& state, const std::string& path) {
  for (auto _ : state) {
    Result<Scenario> s = LoadScenario(path);
    if (!s.ok()) {
      state.SkipWithError(s.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(s);
  }
}

void BM_LoadLibrary(benchmark::State& state) {
  const std::vector<std::string> files = LibraryFiles();
  for (auto _ : state) {
    for (const std::string& f : files) {
      Result<Scenario> s = LoadScenario(f);
      if (!s.ok()) {
        state.SkipWithError(s.error().message.c_str());
        return;
      }
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(files.size()));
  state.counters["files"] = static_cast<double>(files.size());
}
BENCHMARK(BM_LoadLibrary)->Unit(benchmark::kMillisecond);

// One benchmark per library file, named after it (e.g. BM_LoadScenario/load/busy-week).
const bool kRegistered = [] {
  const std::string root = std::string(BPSIM_SOURCE_DIR) + "/scenarios/";
  for (const std::string& f : LibraryFiles()) {
    std::string name = f.substr(root.size());
    name = name.substr(0, name.size() - 5);  // ".yaml"
    benchmark::RegisterBenchmark(("BM_LoadScenario/" + name).c_str(), BM_LoadScenario, f)
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace bpsim::harness
