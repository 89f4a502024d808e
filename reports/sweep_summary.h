#pragma once
// The sweep summary (docs/report-format.md, "sweep"): what report.json's "sweep"
// object, summary.md's sweep section and the console show after `bpsim sweep` or
// `bpsim merge`. A pure function of the per-seed results, so a merged report and a
// single-machine sweep of the same seeds summarise identically.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "reports/result.h"

namespace bpsim::reports {

inline constexpr std::size_t kSweepMaxFailuresListed = 10;

// One metric across the seeds that reported it (nearest-rank percentiles).
struct MetricSpread {
  std::string name;
  std::size_t runs = 0;  // how many seeds reported it
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct SweepFailure {
  std::uint64_t seed = 0;
  std::string repro;
};

// One check that failed in some seeds: how many.
struct FailedCheck {
  std::string name;  // as in expectations[].name, or "error" for a scenario error
  std::size_t seeds = 0;
};

struct SweepSummary {
  std::size_t runs = 0, passed = 0, failed = 0;
  std::size_t errors = 0;      // failed with a scenario or internal error
  std::size_t incomplete = 0;  // interrupted before the end
  // In the order the metrics first appear in the results; "wall_seconds" excluded.
  std::vector<MetricSpread> metrics;
  // The first kSweepMaxFailuresListed failing seeds, in the results' order.
  std::vector<SweepFailure> first_failures;
  // Every check that failed in at least one seed, most seeds first (ties: in the
  // order they first failed).
  std::vector<FailedCheck> failed_checks;
};

// The checks a failed seed did not meet, as "name, name" ("error" first when the
// run had a scenario or internal error).
std::string FailedCheckNames(const ScenarioResult& result);

// The command that shrinks the run a repro command reproduces: "bpsim replay ARGS"
// becomes "bpsim shrink ARGS" (the two take the same arguments); "" for any other
// command.
std::string ShrinkCommand(const std::string& repro);

SweepSummary SummarizeSweep(const std::vector<ScenarioResult>& results);

}  // namespace bpsim::reports
