#pragma once
// The determinism check (`bpsim run --check-determinism`, docs/architecture.md): a run is a pure
// function of (scenario, seed), so running a scenario twice with the same seed must
// produce the same trace. CheckDeterminism runs it twice, writing both traces as JSON
// Lines to temporary files, and on a difference reports the first diverging entry.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>

#include "harness/runner.h"
#include "harness/scenario/scenario.h"
#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::harness {

// The first trace entry (JSON line) where two traces differ.
struct TraceDivergence {
  std::uint64_t index = 0;        // 0-based entry index
  std::optional<SimTime> time;    // simulated time of the first run's entry ("t"), if any
  std::string first, second;      // the two lines; "<end of trace>" when one trace ended
};

// Compares two JSON Lines traces line by line. Returns nullopt when they are equal.
std::optional<TraceDivergence> FirstDivergence(std::istream& first, std::istream& second);

// One line for a report: "trace diverges at entry 12 (t=1h 30s):\n  first run:  {...}\n
//   second run: {...}"; `first` and `second` name the two sides.
std::string DescribeDivergence(const TraceDivergence& d, const std::string& first = "first run:",
                               const std::string& second = "second run:");

// Runs `scenario` twice with the same options (monitors included). Returns the first
// run's result; when the traces differ, the result is failed (passed = false) with a
// failed check named "determinism" whose detail is DescribeDivergence(). If
// options.trace_jsonl_path is set, the first run's trace is also kept there. Temporary
// files go to the system temporary directory and are removed before returning.
reports::ScenarioResult RunCheckingDeterminism(const Scenario& scenario, const RunOptions& options);

}  // namespace bpsim::harness
