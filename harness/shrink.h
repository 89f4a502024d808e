#pragma once
// Scenario shrinking (`bpsim shrink`, docs/shrinking.md): delta debugging over a
// failing scenario. A candidate "keeps the failure" when its run with the same seed
// fires exactly the same set of invariant / rule ids as the original run (not only
// the same first one). Each candidate costs one RunScenario; small candidates are
// tried first and the total is bounded by runs and wall time.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/scenario/scenario.h"
#include "sim/status.h"

namespace bpsim::harness {

struct ShrinkOptions {
  std::uint64_t seed = 1;   // the seed of the failing run
  int max_runs = 200;       // candidate runs, the original run included
  double max_seconds = 300; // wall time; when either budget ends, the best so far is kept
  // Called with one line per accepted reduction (for progress output); may be empty.
  std::function<void(const std::string&)> log;
};

struct ShrinkResult {
  // The smallest scenario found: seed = the given seed, expect = {violations: fired},
  // so that running it passes exactly when the failure reproduces.
  Scenario minimal;
  std::vector<std::string> fired;    // the failure kept: sorted invariant / rule ids
  std::vector<std::string> changes;  // what was removed or changed, in order
  int runs = 0;
  double seconds = 0;
  bool budget_exhausted = false;     // stopped by max_runs / max_seconds
};

// Shrinks `original`. Errors: the original run fails to set up, or fires nothing
// ("... fires no invariant or rule with seed N; nothing to shrink").
Result<ShrinkResult> ShrinkScenario(const Scenario& original, const ShrinkOptions& options);

// The file `bpsim shrink` writes: a header comment (original file, seed, what changed,
// the command that reproduces it) followed by ScenarioToYaml(result.minimal).
// `flags` are the shrink command's variation flags (" --swarm"), shown in the header.
std::string MinimalScenarioFile(const ShrinkResult& result, const std::string& original_file,
                                const std::string& out_path, const std::string& flags = "");

}  // namespace bpsim::harness
