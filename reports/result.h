#pragma once
// What a run produced, as the report writers see it (README.md). The harness fills
// these; writers read them and never the world. Everything here is deterministic
// for a given scenario and seed except the fields named wall_* .

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/time.h"

namespace bpsim::reports {

// Metrics whose values are durations in seconds (written as "60s" in expectations,
// as DescribeSeconds writes them for people), per-bank ones ("NAME@BANK") included.
bool IsDurationMetric(std::string_view name);

struct EvidenceItem {
  SimTime time = 0;
  std::string text;  // one line, e.g. "consent.revoked consent 42 of customer 7 (via bank)"
};

struct Violation {
  std::string invariant;  // invariant or rule id
  SimTime time = 0;
  std::int64_t subject = -1;           // customer id, -1 if none
  std::string message;                 // one sentence: what went wrong
  std::vector<EvidenceItem> evidence;  // the chain, oldest first; the offending entry last
};

// One checked expectation: an invariant or rule (name = its id), a metric bound
// ("metric:NAME"), a situation ("sometimes:NAME"), the verdict ("verdict").
struct Check {
  std::string name;
  bool passed = true;
  std::string detail;       // why it failed (or what was measured)
  std::uint64_t fired = 0;  // invariants and rules: how many violations
};

// Charts for the HTML report: counts per time bucket over [0, end).
struct Timeline {
  SimTime bucket_width = 0;
  SimTime end = 0;                   // duration + drain
  std::vector<SimTime> drain_start;  // one element: when the drain began
  // API responses by status, one series per status, each with one count per bucket.
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> api_by_status;
  // Consents by state at the end of each bucket.
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> consents_by_state;
  struct Window {
    std::string target;
    std::string mode;
    SimTime start = 0, end = 0;
  };
  std::vector<Window> outages;
};

struct Histogram {
  std::vector<double> upper_bounds_seconds;  // bucket i counts values <= bound i
  // counts has one element per bound, or one more: the last then counts values above
  // the last bound (the report writers accept both).
  std::vector<std::uint64_t> counts;
};

struct ScenarioResult {
  std::string id;
  std::string file;
  std::string description;
  std::vector<std::string> tags;
  std::uint64_t seed = 0;
  bool passed = true;       // every expectation met
  bool incomplete = false;  // interrupted before the end
  std::string error;        // a scenario error (exit 2) or internal error, if any
  std::vector<Violation> violations;
  std::vector<Check> checks;
  std::vector<std::pair<std::string, double>> metrics;  // in a stable order
  Timeline timeline;
  Histogram alert_latency;
  std::string repro;  // "bpsim replay FILE --seed N"
  std::uint64_t trace_hash = 0;
  double wall_seconds = 0;  // the one wall-clock figure

  // The value of a metric, or nullptr if the run did not report it.
  const double* FindMetric(std::string_view name) const;
};

// What a sweep covered (`bpsim sweep`, `bpsim merge`; docs/report-format.md): one
// scenario over a seed range, one ScenarioResult per seed, ordered by seed. The
// verdict counts and metric percentiles are not stored: writers compute them from
// the results (reports/sweep_summary.h).
struct SweepInfo {
  std::string scenario;  // the scenario's id (results are "ID@seed=N")
  std::string file;
  std::uint64_t first_seed = 0, last_seed = 0;  // the whole range, inclusive
  bool swarm = false;                           // each seed drew its own variation
  std::uint32_t shard_index = 0, shard_count = 1;  // 0/1: the whole range
  // The scenario's metric bounds and `sometimes` expectations (chosen for its own
  // seed) were not judged: each seed by its invariants, rules and expected violations.
  bool invariants_only = false;
};

// Live mode (`bpsim serve`): per endpoint, how many requests and how fast (wall
// seconds, nearest-rank percentiles). Wall-clock figures, like wall_seconds.
struct LiveEndpoint {
  std::string listener;  // a bank id, "messenger", or "platform" (calls bpsim made)
  std::string route;     // "GET /accounts/{AccountId}/balances"
  std::uint64_t count = 0;
  std::uint64_t failed = 0;  // platform calls only: no answer or not 2xx
  double p50 = 0, p90 = 0, p99 = 0;
  // Listeners only: answers by HTTP status, the counters GET /metrics shows.
  std::vector<std::pair<unsigned, std::uint64_t>> statuses;
};

// A metric of a scenario that got worse than in the baseline beyond the tolerance.
struct Regression {
  std::string scenario;
  std::string metric;
  double baseline = 0;
  double current = 0;
  // (current - baseline) / |baseline|, signed; +infinity when the baseline was 0.
  double change_fraction = 0;
};

// The outcome of the baseline gate (`--baseline OLD/report.json`, reports/baseline.h):
// every regression, and which scenarios could not be compared.
struct BaselineGate {
  std::string file;          // the baseline report, as given
  double tolerance = 0.1;    // a fraction
  bool strict = false;       // --baseline-strict: unmatched scenarios fail the gate
  std::size_t compared = 0;  // scenarios found on both sides
  std::vector<Regression> regressions;
  std::vector<std::string> not_in_baseline;  // scenarios of this run the baseline lacks
  std::vector<std::string> not_in_run;       // scenarios of the baseline this run lacks

  bool unmatched() const { return !not_in_baseline.empty() || !not_in_run.empty(); }
  bool passed() const { return regressions.empty() && !(strict && unmatched()); }
};

// Live mode's timing (`bpsim serve`): the time scale and the wall grace every
// deadline allowed, in wall and in simulated seconds (docs/live-mode.md).
struct LiveTiming {
  double time_scale = 1;
  double wall_grace_seconds = 0;
  double simulated_grace_seconds = 0;
};

struct RunReport {
  std::string bpsim_version;
  std::string command;  // how the run was started
  std::vector<ScenarioResult> scenarios;
  bool incomplete = false;
  double wall_seconds = 0;
  std::optional<SweepInfo> sweep;  // set by `bpsim sweep` and `bpsim merge`
  std::optional<std::vector<LiveEndpoint>> live_endpoints;  // set by `bpsim serve`
  std::optional<LiveTiming> live_timing;                    // set by `bpsim serve`
  std::optional<BaselineGate> baseline;  // set by `bpsim run --baseline`
};

// The verdict of a whole run, which every report states and the exit code follows
// (harness/cli/cli.h): kError (exit 2) when a scenario could not run at all (an
// invalid file, a setup failure: `error` set and no checks); else kFail (exit 1)
// when a scenario failed, the run was interrupted or the baseline gate failed; else
// kPass (exit 0).
enum class RunVerdict { kPass, kFail, kError };
RunVerdict VerdictOf(const RunReport& report);
// "pass", "fail", "error".
const char* RunVerdictName(RunVerdict verdict);
// Whether this scenario result is a scenario that could not run (counts as kError).
bool CouldNotRun(const ScenarioResult& s);

}  // namespace bpsim::reports
