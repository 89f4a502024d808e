#include "harness/cli/sweep_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "bpsim_version.h"
#include "harness/cli/cli.h"
#include "harness/scenario/scenario.h"
#include "harness/sweep.h"
#include "reports/files.h"
#include "reports/html_report.h"
#include "reports/json_report.h"
#include "reports/junit.h"
#include "reports/report_files.h"
#include "reports/summary.h"
#include "reports/sweep_summary.h"
#include "reports/text.h"

namespace bpsim::harness {

const char* const kSweepHelp =
    "usage: bpsim sweep PATH --seeds A..B [--jobs N] [--swarm | --perturb]\n"
    "                   [--invariants-only] [--shard I/N] [--out DIR]\n"
    "\n"
    "Runs one scenario once per seed in A..B (inclusive) on N worker threads and writes\n"
    "the usual reports, one result per seed (id SCENARIO@seed=N, ordered by seed), with\n"
    "a sweep summary: verdict counts, metric percentiles across seeds and the first\n"
    "failing seeds with the commands that reproduce and shrink each.\n"
    "\n"
    "options:\n"
    "  --seeds A..B       the seed range (required; N alone means N..N)\n"
    "  --jobs N           worker threads, each judging its own runs (default: every core)\n"
    "  --swarm            each seed also draws a subset of the timeline, fault settings\n"
    "                     and perturbed rates from its own stream (recorded in the\n"
    "                     result's description; the seed alone reproduces it), and runs\n"
    "                     perturbed\n"
    "  --perturb          each seed runs with schedule perturbation: same-instant events\n"
    "                     in an order drawn from the seed, and latency, retry and sweep\n"
    "                     knobs drawn within their bounds (docs/world.md)\n"
    "  --invariants-only  judge each seed by its invariants, rules and expected\n"
    "                     violations only: the scenario's metric bounds and sometimes\n"
    "                     were chosen for its own seed and are not judged\n"
    "  --shard I/N        run only the seeds s with (s - A) mod N == I (0 <= I < N);\n"
    "                     combine the shards' directories with 'bpsim merge'\n"
    "  --out DIR          where reports go (default: out)\n"
    "  --no-monitors      run without invariants, rules or situations (for measuring)\n"
    "  --check-determinism  run the sweep again with one job (with two if --jobs is 1)\n"
    "                     and compare each seed's trace hash: a seed whose trace\n"
    "                     differs fails a check named determinism\n"
    "  --help             this help\n";

const char* const kMergeHelp =
    "usage: bpsim merge DIR... [--out DIR]\n"
    "\n"
    "Reads DIR/report.json of each shard of one sweep, merges the per-seed results\n"
    "(sorted by seed; a seed in two shards or shards of different sweeps are errors),\n"
    "recomputes the sweep summary and writes the usual reports to --out (default: out).\n"
    "Missing shards make the merged report incomplete (exit 1).\n";

namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_sweep_interrupted{false};
extern "C" void OnSweepSignal(int) { g_sweep_interrupted.store(true); }

// Prints the summary after a sweep or merge, writes the reports and picks the exit
// code the way `run` does.
int Finish(const reports::RunReport& report, const std::string& out) {
  const reports::SweepSummary summary = reports::SummarizeSweep(report.scenarios);
  for (const reports::ScenarioResult& r : report.scenarios) {
    if (r.passed) continue;
    std::printf("FAIL  %s: %s\n", r.id.c_str(), reports::FailedCheckNames(r).c_str());
    if (!r.error.empty()) std::printf("      error: %s\n", r.error.c_str());
  }
  if (!summary.failed_checks.empty()) {
    std::printf("Failed checks (seeds of %zu):\n", summary.runs);
    for (const reports::FailedCheck& f : summary.failed_checks) {
      std::printf("  %-40s %zu\n", f.name.c_str(), f.seeds);
    }
  }
  if (!summary.first_failures.empty()) {
    std::printf("First failing seeds:\n");
    for (const reports::SweepFailure& f : summary.first_failures) {
      std::printf("  seed %llu: %s\n", static_cast<unsigned long long>(f.seed), f.repro.c_str());
      const std::string shrink = ShrinkCommand(f.repro);
      if (!shrink.empty()) std::printf("           shrink: %s\n", shrink.c_str());
    }
  }
  const int write = WriteReports(report, out);
  std::printf("Sweep %s: %zu seed%s, %zu passed, %zu failed%s in %s; reports in %s/\n",
              report.sweep ? report.sweep->scenario.c_str() : "", summary.runs,
              summary.runs == 1 ? "" : "s", summary.passed, summary.failed,
              report.incomplete ? " (incomplete)" : "", DescribeSeconds(report.wall_seconds).c_str(),
              out.c_str());
  if (write != kExitOk) return write;
  return ExitCodeOf(reports::VerdictOf(report));
}

std::optional<unsigned> ParseJobs(const std::string& text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + unsigned(c - '0');
  }
  if (v == 0) return std::nullopt;
  return v;
}

// --check-determinism: the same seeds again with another number of workers (one, or
// two when the sweep had one), each seed's trace hash compared. Adds a
// "determinism" check to every seed's result; a difference fails the seed.
void CheckSweepDeterminism(const Scenario& scenario, const SweepOptions& options,
                           reports::RunReport* report) {
  SweepOptions again = options;
  again.jobs = options.jobs > 1 ? 1 : 2;
  again.on_seed_done = nullptr;
  reports::RunReport second = RunSweep(scenario, again);
  std::size_t differing = 0, compared = 0;
  for (reports::ScenarioResult& r : report->scenarios) {
    auto other = std::find_if(second.scenarios.begin(), second.scenarios.end(),
                              [&](const reports::ScenarioResult& o) { return o.id == r.id; });
    if (other == second.scenarios.end() || other->incomplete || !r.error.empty()) continue;
    ++compared;
    reports::Check check;
    check.name = "determinism";
    char hashes[96];
    std::snprintf(hashes, sizeof hashes, "%016llx with --jobs %u, %016llx with --jobs %u",
                  static_cast<unsigned long long>(r.trace_hash), options.jobs,
                  static_cast<unsigned long long>(other->trace_hash), again.jobs);
    if (r.trace_hash == other->trace_hash) {
      check.detail = std::string("same trace hash: ") + hashes;
    } else {
      ++differing;
      check.passed = false;
      r.passed = false;
      check.detail = std::string("the same seed gave another trace: ") + hashes +
                     "; the run is " + r.repro +
                     " (bpsim run --check-determinism on the scenario and seed shows the "
                     "first diverging entry)";
    }
    r.checks.push_back(std::move(check));
  }
  std::fprintf(stderr, "determinism: %zu of %zu seeds gave the same trace with --jobs %u and --jobs %u\n",
               compared - differing, compared, options.jobs, again.jobs);
}

}  // namespace

int CmdSweep(const std::vector<std::string>& args, const std::string& command) {
  std::vector<std::string> paths;
  std::optional<SeedRange> seeds;
  SweepOptions options;
  options.jobs = std::max(1u, std::thread::hardware_concurrency());
  std::string out = "out";
  bool check_determinism = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (IsHelp(a)) {
      std::printf("%s", kSweepHelp);
      return kExitOk;
    } else if (a == "--seeds") {
      auto v = value();
      if (!v) return UsageError("--seeds needs a range A..B", kSweepHelp);
      auto r = ParseSeedRange(*v);
      if (!r.ok()) return UsageError(r.error().message, kSweepHelp);
      seeds = *r;
    } else if (a == "--jobs") {
      auto v = value();
      if (!v) return UsageError("--jobs needs a number", kSweepHelp);
      auto jobs = ParseJobs(*v);
      if (!jobs)
        return UsageError("--jobs expects a number from 1 to 9999, got '" + *v + "'", kSweepHelp);
      options.jobs = *jobs;
    } else if (a == "--shard") {
      auto v = value();
      if (!v) return UsageError("--shard needs I/N", kSweepHelp);
      auto s = ParseShard(*v);
      if (!s.ok()) return UsageError(s.error().message, kSweepHelp);
      options.shard = *s;
    } else if (a == "--swarm") {
      options.swarm = true;
    } else if (a == "--invariants-only") {
      options.invariants_only = true;
    } else if (a == "--perturb") {
      options.perturb = true;
    } else if (a == "--no-monitors") {
      options.monitors = false;
    } else if (a == "--check-determinism") {
      check_determinism = true;
    } else if (a == "--out") {
      auto v = value();
      if (!v) return UsageError("--out needs a directory", kSweepHelp);
      out = *v;
    } else if (a.rfind("--", 0) == 0) {
      return UsageError("unknown option '" + a + "'", kSweepHelp);
    } else {
      paths.push_back(a);
    }
  }
  if (paths.size() != 1) return UsageError("sweep takes exactly one scenario file", kSweepHelp);
  if (!seeds) return UsageError("sweep needs --seeds A..B", kSweepHelp);
  options.seeds = *seeds;

  Result<Scenario> scenario = LoadScenario(paths[0]);
  if (!scenario.ok()) {
    std::fprintf(stderr, "%s\n", scenario.error().message.c_str());
    return kExitUsage;
  }
  auto writable = reports::CheckWritableDirectory(out);
  if (!writable.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", writable.error().message.c_str());
    return kExitUsage;
  }

  std::signal(SIGINT, OnSweepSignal);
  std::signal(SIGTERM, OnSweepSignal);
  options.interrupted = &g_sweep_interrupted;
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  if (tty) {
    options.on_seed_done = [&](std::size_t done, std::size_t total) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double eta = elapsed / double(done) * double(total - done);
      std::fprintf(stderr, "\r\033[Ksweep %s: %zu / %zu seeds  ETA %s", scenario->id.c_str(),
                   done, total, DescribeSeconds(std::round(eta)).c_str());
      std::fflush(stderr);
    };
  }
  reports::RunReport report = RunSweep(*scenario, options);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (check_determinism && !report.incomplete) CheckSweepDeterminism(*scenario, options, &report);
  report.bpsim_version = BPSIM_VERSION;
  report.command = command;
  return Finish(report, out);
}

int CmdMerge(const std::vector<std::string>& args, const std::string& command) {
  std::vector<std::string> dirs;
  std::string out = "out";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (IsHelp(a)) {
      std::printf("%s", kMergeHelp);
      return kExitOk;
    } else if (a == "--out") {
      if (i + 1 >= args.size()) return UsageError("--out needs a directory", kMergeHelp);
      out = args[++i];
    } else if (a.rfind("--", 0) == 0) {
      return UsageError("unknown option '" + a + "'", kMergeHelp);
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) return UsageError("merge needs at least one report directory", kMergeHelp);
  std::vector<reports::RunReport> parts;
  for (const std::string& dir : dirs) {
    const std::string path = (fs::path(dir) / "report.json").string();
    auto parsed = reports::ReadJsonReportFile(path);
    if (!parsed.ok()) {
      std::fprintf(stderr, "bpsim: %s\n", parsed.error().message.c_str());
      return kExitUsage;
    }
    parts.push_back(std::move(parsed).value());
  }
  auto merged = MergeSweepReports(parts, dirs);
  if (!merged.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", merged.error().message.c_str());
    return kExitUsage;
  }
  reports::RunReport report = std::move(merged).value();
  const reports::SweepInfo& info = *report.sweep;
  const std::uint64_t expected = info.last_seed - info.first_seed + 1;
  if (report.scenarios.size() != expected) {
    std::fprintf(stderr,
                 "bpsim: warning: merged %zu of the %llu seeds %llu..%llu (a shard missing?)\n",
                 report.scenarios.size(), static_cast<unsigned long long>(expected),
                 static_cast<unsigned long long>(info.first_seed),
                 static_cast<unsigned long long>(info.last_seed));
  }
  auto writable = reports::CheckWritableDirectory(out);
  if (!writable.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", writable.error().message.c_str());
    return kExitUsage;
  }
  report.bpsim_version = BPSIM_VERSION;
  report.command = command;
  return Finish(report, out);
}

}  // namespace bpsim::harness
