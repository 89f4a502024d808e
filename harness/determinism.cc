#include "harness/determinism.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/time.h"

namespace bpsim::harness {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEndOfTrace = "<end of trace>";

// The value of the leading "t" field of a JSON trace line ({"t":123,...}).
std::optional<SimTime> LineTime(const std::string& line) {
  const std::string prefix = "{\"t\":";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  std::size_t i = prefix.size();
  bool negative = i < line.size() && line[i] == '-';
  if (negative) ++i;
  if (i >= line.size() || line[i] < '0' || line[i] > '9') return std::nullopt;
  SimTime v = 0;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, line[i] - '0', &v)) {
      return std::nullopt;
    }
  }
  return negative ? -v : v;
}

// A path in the temporary directory unique to this process and call.
std::string TempTracePath(const char* which) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  return (dir / ("bpsim-determinism-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter.fetch_add(1)) + "-" + which + ".jsonl"))
      .string();
}

// Removes a file when it goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove(path, ec);
  }
};

}  // namespace

std::optional<TraceDivergence> FirstDivergence(std::istream& first, std::istream& second) {
  std::string a, b;
  for (std::uint64_t index = 0;; ++index) {
    bool has_a = static_cast<bool>(std::getline(first, a));
    bool has_b = static_cast<bool>(std::getline(second, b));
    if (!has_a && !has_b) return std::nullopt;
    if (has_a && has_b && a == b) continue;
    TraceDivergence d;
    d.index = index;
    d.first = has_a ? a : kEndOfTrace;
    d.second = has_b ? b : kEndOfTrace;
    d.time = has_a ? LineTime(a) : LineTime(b);
    return d;
  }
}

std::string DescribeDivergence(const TraceDivergence& d, const std::string& first,
                               const std::string& second) {
  std::string s = "trace diverges at entry " + std::to_string(d.index);
  if (d.time) s += " (t=" + (*d.time >= 0 ? DescribeDuration(*d.time) : std::to_string(*d.time)) + ")";
  const std::size_t width = std::max(first.size(), second.size()) + 1;
  s += ":\n  " + first + std::string(width - first.size(), ' ') + d.first + "\n  " + second +
       std::string(width - second.size(), ' ') + d.second;
  return s;
}

reports::ScenarioResult RunCheckingDeterminism(const Scenario& scenario,
                                               const RunOptions& options) {
  TempFile first_temp, second_temp;
  RunOptions first_options = options;
  if (first_options.trace_jsonl_path.empty()) {
    first_temp.path = TempTracePath("first");
    first_options.trace_jsonl_path = first_temp.path;
  }
  reports::ScenarioResult first = RunScenario(scenario, first_options);
  if (!first.error.empty() || first.incomplete) return first;

  RunOptions second_options = options;
  second_options.perfetto_path.clear();
  second_temp.path = TempTracePath("second");
  second_options.trace_jsonl_path = second_temp.path;
  reports::ScenarioResult second = RunScenario(scenario, second_options);
  if (second.incomplete) {
    first.incomplete = true;
    return first;
  }

  reports::Check check;
  check.name = "determinism";
  if (!second.error.empty()) {
    check.passed = false;
    check.detail = "the second run failed: " + second.error;
  } else if (first.trace_hash != second.trace_hash) {
    check.passed = false;
    std::ifstream a(first_options.trace_jsonl_path, std::ios::binary);
    std::ifstream b(second_temp.path, std::ios::binary);
    std::optional<TraceDivergence> d;
    if (a && b) d = FirstDivergence(a, b);
    if (!a || !b) {
      check.detail = "trace hashes differ, and the traces could not be read back to compare";
    } else if (d) {
      check.detail = DescribeDivergence(*d);
    } else {
      check.detail = "trace hashes differ but the JSON traces are equal (a difference in a "
                     "field the JSON form does not show)";
    }
  } else {
    check.detail = "two runs with seed " + std::to_string(first.seed) +
                   " produced the same trace";
  }
  if (!check.passed) first.passed = false;
  first.checks.push_back(std::move(check));
  return first;
}

}  // namespace bpsim::harness
