#include "harness/cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bpsim_version.h"
#include "harness/cli/pin_cmd.h"
#include "harness/cli/platform_cmd.h"
#include "harness/cli/serve_cmd.h"
#include "harness/cli/shrink_cmd.h"
#include "harness/cli/sweep_cmd.h"
#include "harness/determinism.h"
#include "harness/pin.h"
#include "harness/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/sweep.h"
#include "mocks/trace.h"
#include "reports/baseline.h"
#include "reports/files.h"
#include "reports/html_report.h"
#include "reports/json_report.h"
#include "reports/junit.h"
#include "reports/key_metrics.h"
#include "reports/report_files.h"
#include "reports/summary.h"
#include "reports/text.h"

namespace bpsim::harness {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted.store(true); }

constexpr const char* kMainHelp =
    "bpsim " BPSIM_VERSION
    " - a simulator and test harness for bank <-> platform integrations\n"
    "\n"
    "usage: bpsim COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "commands:\n"
    "  run [PATH...]           run scenarios (default: the library under scenarios/) and\n"
    "                          write reports\n"
    "  replay PATH [--seed N] one run with its trace (trace.jsonl, trace.perfetto.json)\n"
    "  validate PATH...        check scenario files; print FILE:LINE:COL errors\n"
    "  list [PATH...]          list scenarios with their tags and descriptions\n"
    "  sweep PATH --seeds A..B one scenario over many seeds on every core (--shard I/N)\n"
    "  merge DIR...            merge sweep shards' reports into one\n"
    "  schema                  print the JSON Schema of the scenario format\n"
    "  serve PATH              serve the scenario's mock banks over HTTP (live mode)\n"
    "  platform --banks ...    run the reference platform as its own process (live mode)\n"
    "  shrink PATH --seed N    minimise a failing scenario; writes min.yaml\n"
    "  pin [PATH...]           check the scenarios' traces against the pinned hashes\n"
    "                          (--update to pin them again)\n"
    "\n"
    "Run 'bpsim COMMAND --help' for a command's options.\n"
    "\n"
    "exit codes: 0 every expectation met; 1 an expectation failed; 2 usage or\n"
    "scenario error; 3 internal error.\n";

constexpr const char* kRunHelp =
    "usage: bpsim run [PATH...] [OPTIONS]\n"
    "\n"
    "Runs each scenario (a PATH may be a file or a directory, searched recursively for\n"
    "*.yaml; default: scenarios/) and writes report.json, junit.xml, summary.md and\n"
    "report.html to the output directory. Prints one line per scenario and a total.\n"
    "An invalid file is reported as an error (exit 2) and the valid ones still run.\n"
    "\n"
    "options:\n"
    "  --seed N           override every scenario's seed\n"
    "  --out DIR          where reports go (default: out)\n"
    "  --trace [FILTER]   also write the trace as JSON Lines (trace.jsonl; with several\n"
    "                     scenarios, traces/<scenario-id>.jsonl); with FILTER\n"
    "                     (repeatable: customer=, bank=, consent=, type=, window=; see\n"
    "                     bpsim replay --help) only the entries it keeps\n"
    "  --perfetto         also write trace.perfetto.json (opens in ui.perfetto.dev);\n"
    "                     --trace FILTER applies to it too\n"
    "  --baseline FILE    fail (exit 1) when a metric is worse than in this earlier\n"
    "                     report.json beyond the tolerance (scenarios are matched by\n"
    "                     their scenario: name; unmatched ones are reported)\n"
    "  --tolerance T      for --baseline: a percentage (10%) or a fraction up to 1 (0.1);\n"
    "                     default 10%\n"
    "  --baseline-strict  also fail when a scenario is in only one of the run and the\n"
    "                     baseline\n"
    "  --no-monitors      run without invariants, rules or situations (for measuring)\n"
    "  --check-determinism  run each scenario twice with the same seed; fail (check\n"
    "                     'determinism') if the traces differ, showing the first diverging entry\n"
    "  --pinned FILE      also fail (check 'pinned-trace') a scenario whose trace hash is\n"
    "                     not its pin in FILE (tests/pinned-traces.txt; bpsim pin)\n"
    "  --perturb          schedule perturbation: same-instant events in an order drawn\n"
    "                     from the seed, latency, retry and sweep knobs drawn within their\n"
    "                     bounds (docs/world.md)\n"
    "  --swarm            run each scenario's swarm variant for its seed, perturbed\n"
    "                     (as bpsim sweep --swarm does; docs/cluster.md)\n"
    "  --quiet            print only the total line and failures\n"
    "  --help             this help\n";

constexpr const char* kReplayHelp =
    "usage: bpsim replay PATH [--seed N] [--perturb | --swarm] [--out DIR]\n"
    "                         [--trace [FILTER]]...\n"
    "\n"
    "Runs one scenario with the given seed (default: the scenario's seed), writes\n"
    "its trace (trace.jsonl and trace.perfetto.json) with the reports to --out\n"
    "(default: out), and prints every violation with its evidence chain. --perturb and\n"
    "--swarm reproduce a seed of 'bpsim sweep' run with the same flag.\n"
    "\n"
    "By default the trace files keep the first violation's evidence window: from 10m\n"
    "before its oldest evidence entry to 10m after the violation (the scenario runs\n"
    "twice, once to find it and once to write; the two must agree). Without a\n"
    "violation they hold the whole run. A trace file on course to pass 100 MB is\n"
    "announced on stderr while it is written.\n"
    "\n"
    "  --trace            the whole run\n"
    "  --trace FILTER     only the entries FILTER keeps; repeatable, every key given\n"
    "                     must hold, the values of one key are alternatives:\n"
    "                       customer=ID[,ID...]  entries about these customers\n"
    "                       bank=ID[,ID...]      entries naming these banks\n"
    "                       consent=ID[,ID...]   entries about these consents\n"
    "                       type=TYPE[,TYPE...]  these entry types (consent.* a family)\n"
    "                       window=FROM..TO      simulated time, both ends included, in\n"
    "                                            the scenario's units: 17h..19h, ..2d, 1d..\n"
    "                     customer and consent also keep outages, crashes, restarts and\n"
    "                     the drain's start (docs/trace.md)\n";

constexpr const char* kValidateHelp =
    "usage: bpsim validate PATH...\n"
    "\n"
    "Checks scenario files (directories are searched for *.yaml) and prints every error\n"
    "as FILE:LINE:COL: message. Exit 0 if all are valid, 2 otherwise.\n";

constexpr const char* kListHelp =
    "usage: bpsim list [PATH...]\n"
    "\n"
    "Lists scenarios (default: scenarios/) with their tags and descriptions.\n";

constexpr const char* kSchemaHelp =
    "usage: bpsim schema\n"
    "\n"
    "Prints the JSON Schema (draft 2020-12) of the scenario format. Editors that use\n"
    "yaml-language-server pick it up from a modeline in the scenario file:\n"
    "  # yaml-language-server: $schema=../schema/scenario.schema.json\n";

std::vector<std::string> DefaultPaths(const std::vector<std::string>& given) {
  if (!given.empty()) return given;
  return {"scenarios"};
}

// Every file, loaded, or why not: the loader's "FILE:LINE:COL: ..." lines, or a
// second use of a scenario id. Errors are printed as they are found.
std::vector<Result<Scenario>> LoadEach(const std::vector<std::string>& files) {
  std::vector<Result<Scenario>> out;
  std::map<std::string, std::string> ids;
  for (const std::string& file : files) {
    Result<Scenario> s = LoadScenario(file);
    if (s.ok()) {
      auto [it, inserted] = ids.emplace(s->id, file);
      if (!inserted) {
        s = Error{file + ": scenario id '" + s->id + "' is also used by " + it->second};
      }
    }
    if (!s.ok()) std::fprintf(stderr, "%s\n", s.error().message.c_str());
    out.push_back(std::move(s));
  }
  return out;
}

// The report entry of a file that could not be loaded: a scenario error naming the
// file, line and column of every mistake.
reports::ScenarioResult InvalidFile(const std::string& file, const std::string& errors) {
  reports::ScenarioResult r;
  r.id = DefaultScenarioId(file);
  r.file = file;
  r.passed = false;
  r.error = errors;
  r.repro = "bpsim validate " + file;
  return r;
}

std::optional<std::uint64_t> ParseUnsigned(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, std::uint64_t(c - '0'), &v)) {
      return std::nullopt;
    }
  }
  return v;
}

const double* Metric(const reports::ScenarioResult& r, const char* name) {
  return r.FindMetric(name);
}

std::string ConsoleLine(const reports::ScenarioResult& r) {
  char buf[512];
  auto m = [&](const char* name) {
    const double* v = Metric(r, name);
    return v ? *v : 0.0;
  };
  // A percentile of no alerts is no number: "alerts 0" alone.
  const std::string p99 = reports::DescribeScenarioMetric(r, "fraud_alert_latency_p99");
  const std::string alerts = reports::FormatMetricValue(m("fraud_alerts_displayed")) +
                             (p99 == "-" ? "" : " (p99 " + p99 + ")");
  std::snprintf(buf, sizeof buf,
                "%s  %-44s seed %-6llu violations %-4.0f api %-8.0f answered %-7.0f alerts %s  %s",
                reports::CouldNotRun(r) ? "ERROR" : r.passed ? "PASS" : "FAIL", r.id.c_str(),
                static_cast<unsigned long long>(r.seed), m("violations"), m("api_requests"),
                m("balance_answered"), alerts.c_str(), DescribeSeconds(r.wall_seconds).c_str());
  return buf;
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void Update(const std::string& label, SimTime now, SimTime end, std::uint64_t events) {
    if (!enabled_) return;
    auto t = std::chrono::steady_clock::now();
    if (t - last_ < std::chrono::milliseconds(200) && now < end) return;
    last_ = t;
    double elapsed = std::chrono::duration<double>(t - start_).count();
    double rate = elapsed > 0 ? double(events - start_events_) / elapsed : 0;
    double fraction = end > 0 ? double(now) / double(end) : 1;
    double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
    std::fprintf(stderr, "\r\033[K%s  %s / %s simulated  %.2fM events/s  ETA %s", label.c_str(),
                 DescribeDuration(now - now % kSecond).c_str(), DescribeDuration(end).c_str(),
                 rate / 1e6, DescribeSeconds(std::round(eta)).c_str());
    std::fflush(stderr);
  }
  void Begin() {
    start_ = std::chrono::steady_clock::now();
    last_ = start_ - std::chrono::seconds(1);
    start_events_ = 0;
  }
  void Clear() {
    if (enabled_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_{}, last_{};
  std::uint64_t start_events_ = 0;
};

struct RunFlags {
  std::vector<std::string> paths;
  std::optional<std::uint64_t> seed;
  std::string out = "out";
  bool trace = false, perfetto = false, monitors = true, quiet = false;
  bool check_determinism = false;
  // replay without --trace: the trace files keep the first violation's evidence window
  bool evidence_window = false;
  SeedVariation variation;
  TraceFilter trace_filter;  // with trace: what the trace files keep
  std::string pinned;
  std::string baseline;
  std::string tolerance = "10%";
  bool baseline_strict = false;
  bool tolerance_set = false;
};

std::string TracePath(const std::string& out, const std::string& id, bool single,
                      const char* single_name, const char* ext) {
  if (single) return (fs::path(out) / single_name).string();
  fs::path p = fs::path(out) / "traces" / (id + ext);
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  return p.string();
}

// Prints the baseline gate's outcome on the console.
void PrintBaselineGate(const reports::BaselineGate& gate, const std::string& tolerance_text) {
  if (!gate.regressions.empty()) {
    std::printf("Regressions against %s:\n%s", gate.file.c_str(),
                reports::DescribeRegressions(gate.regressions, gate.tolerance).c_str());
  } else if (gate.compared > 0) {
    std::printf("No metric regressed against %s (tolerance %s, %zu scenario%s compared).\n",
                gate.file.c_str(), tolerance_text.c_str(), gate.compared,
                gate.compared == 1 ? "" : "s");
  } else {
    std::printf("No scenario of this run is in %s: nothing was compared.\n", gate.file.c_str());
  }
  const char* consequence = gate.strict ? " (fails with --baseline-strict)" : "";
  for (const std::string& id : gate.not_in_baseline) {
    std::printf("Not in the baseline, not compared: %s%s\n", id.c_str(), consequence);
  }
  for (const std::string& id : gate.not_in_run) {
    std::printf("In the baseline but not in this run: %s%s\n", id.c_str(), consequence);
  }
}

// How far replay's default trace reaches either side of the first violation's evidence.
constexpr SimTime kEvidenceMargin = 10 * kMinute;

// replay's first run (no trace files): finds the first violation, and narrows
// `options`' trace filter to its evidence window. Returns that run's result.
reports::ScenarioResult FindEvidenceWindow(const Scenario& scenario, RunOptions& options) {
  RunOptions probe_options = options;
  probe_options.trace_jsonl_path.clear();
  probe_options.perfetto_path.clear();
  reports::ScenarioResult probe = RunScenario(scenario, probe_options);
  const SimTime end = scenario.spec.duration + scenario.spec.drain;
  if (auto window = EvidenceWindow(probe, kEvidenceMargin, end)) {
    options.trace_filter.from = window->first;
    options.trace_filter.to = window->second;
  }
  return probe;
}

// What the trace files hold, one line: "trace: out/trace.jsonl and ... keep ...".
std::string TraceNote(const RunOptions& options, bool evidence_window, bool violated, bool replay) {
  std::string files = options.trace_jsonl_path;
  if (!options.perfetto_path.empty()) files += " and " + options.perfetto_path;
  const TraceFilter& f = options.trace_filter;
  std::string note = (replay ? "trace: " : "      trace: ") + files +
                     (options.perfetto_path.empty() ? " keeps " : " keep ");
  if (evidence_window && violated) {
    return note + "the first violation's evidence window, " + DescribeDuration(*f.from) + " .. " +
           DescribeDuration(*f.to) + " (--trace for the whole run, --trace FILTER for another " +
           "part: bpsim replay --help)";
  }
  if (f.empty()) {
    return note + "the whole run" +
           (evidence_window ? " (no violation; --trace FILTER keeps a part: bpsim replay --help)"
                            : "");
  }
  return note + f.Describe();
}

int RunScenarios(const RunFlags& flags, const std::string& command, bool print_evidence) {
  auto files = CollectScenarioFiles(DefaultPaths(flags.paths), /*skip_run_when_named=*/true);
  if (!files.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", files.error().message.c_str());
    return kExitUsage;
  }
  auto writable = reports::CheckWritableDirectory(flags.out);
  if (!writable.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", writable.error().message.c_str());
    return kExitUsage;
  }
  double tolerance = 0;
  std::optional<reports::RunReport> baseline;
  if (flags.baseline.empty() && (flags.tolerance_set || flags.baseline_strict)) {
    return UsageError(std::string(flags.tolerance_set ? "--tolerance" : "--baseline-strict") +
                          " only applies with --baseline",
                      kRunHelp);
  }
  if (!flags.baseline.empty()) {
    auto t = reports::ParseTolerance(flags.tolerance);
    if (!t.ok()) return UsageError(t.error().message, kRunHelp);
    tolerance = *t;
    auto parsed = reports::ReadJsonReportFile(flags.baseline);
    if (!parsed.ok()) {
      std::fprintf(stderr, "bpsim: %s\n", parsed.error().message.c_str());
      return kExitUsage;
    }
    baseline = std::move(parsed).value();
  }
  std::vector<Result<Scenario>> loaded = LoadEach(*files);

  std::optional<std::vector<PinnedTrace>> pins;
  if (!flags.pinned.empty()) {
    if (flags.variation.perturb || flags.variation.swarm) {
      return UsageError("--pinned compares unperturbed runs; drop --perturb / --swarm", kRunHelp);
    }
    auto parsed = ReadPins(flags.pinned);
    if (!parsed.ok()) {
      std::fprintf(stderr, "bpsim: %s\n", parsed.error().message.c_str());
      return kExitUsage;
    }
    pins = std::move(parsed).value();
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  Progress progress(isatty(STDERR_FILENO) != 0);
  auto start = std::chrono::steady_clock::now();
  reports::RunReport report;
  report.bpsim_version = BPSIM_VERSION;
  report.command = command;
  const bool single = loaded.size() == 1;
  std::size_t index = 0;
  for (std::size_t f = 0; f < loaded.size(); ++f) {
    ++index;
    if (g_interrupted.load()) {
      report.incomplete = true;
      break;
    }
    if (!loaded[f].ok()) {
      report.scenarios.push_back(InvalidFile((*files)[f], loaded[f].error().message));
      std::printf("%s\n", ConsoleLine(report.scenarios.back()).c_str());
      std::printf("      invalid scenario file (errors above); not run\n");
      continue;
    }
    const Scenario& scenario = *loaded[f];
    RunOptions options;
    options.seed = flags.seed;
    options.monitors = flags.monitors;
    options.interrupted = &g_interrupted;
    if (flags.trace) {
      options.trace_jsonl_path = TracePath(flags.out, scenario.id, single, "trace.jsonl", ".jsonl");
    }
    if (flags.perfetto) {
      options.perfetto_path =
          TracePath(flags.out, scenario.id, single, "trace.perfetto.json", ".perfetto.json");
    }
    std::string label = "[" + std::to_string(index) + "/" + std::to_string(loaded.size()) +
                        "] " + scenario.id;
    progress.Begin();
    options.progress = [&](SimTime now, SimTime end, std::uint64_t events) {
      progress.Update(label, now, end, events);
    };
    const std::uint64_t seed = flags.seed.value_or(scenario.spec.seed);
    std::string drawn;
    const Scenario varied = VaryScenario(scenario, seed, flags.variation, &drawn);
    if (flags.trace && (single || print_evidence)) {
      auto known = CheckTraceFilter(flags.trace_filter, varied.spec, scenario.file);
      if (!known.ok()) return UsageError(known.error().message, print_evidence ? kReplayHelp : kRunHelp);
    }
    options.trace_filter = flags.trace_filter;
    options.announce_output = AnnounceOutput;
    std::optional<reports::ScenarioResult> probe;
    if (flags.evidence_window) probe = FindEvidenceWindow(varied, options);
    const bool probe_failed = probe && (probe->incomplete || !probe->error.empty());
    if (probe_failed) {  // no second run, no trace files
      options.trace_jsonl_path.clear();
      options.perfetto_path.clear();
    }
    reports::ScenarioResult result = probe_failed            ? std::move(*probe)
                                     : flags.check_determinism ? RunCheckingDeterminism(varied, options)
                                                               : RunScenario(varied, options);
    if (probe && probe->error.empty() && !result.incomplete && result.error.empty() &&
        probe->trace_hash != result.trace_hash) {
      result.error = "replay ran the scenario twice (to find the evidence window, then to write "
                     "it) and the traces differ: a determinism bug (bpsim run --check-determinism "
                     "shows where)";
      result.passed = false;
    }
    if (flags.variation.perturb || flags.variation.swarm) {
      result.repro = SweepReproCommand(scenario.file, seed, flags.variation);
    }
    if (!drawn.empty()) result.description += (result.description.empty() ? "[" : " [") + drawn + "]";
    if (pins && result.error.empty() && !result.incomplete) {
      if (auto check = CheckPinnedHash(*pins, flags.pinned, scenario.file, seed, result.trace_hash)) {
        result.passed = result.passed && check->passed;
        result.checks.push_back(std::move(*check));
      }
    }
    progress.Clear();
    if (!flags.quiet || !result.passed) std::printf("%s\n", ConsoleLine(result).c_str());
    PrintFailures(result);
    if (print_evidence) {
      for (const reports::Violation& v : result.violations) {
        std::printf("\n  %s at %s (customer %lld): %s\n", v.invariant.c_str(),
                    DescribeDuration(v.time).c_str(), static_cast<long long>(v.subject),
                    v.message.c_str());
        for (const reports::EvidenceItem& item : v.evidence) {
          std::printf("    %s\n", item.text.c_str());
        }
      }
    }
    if (flags.trace && (print_evidence || !options.trace_filter.empty()) &&
        !options.trace_jsonl_path.empty()) {
      std::printf("%s\n", TraceNote(options, flags.evidence_window, !result.violations.empty(),
                                    print_evidence).c_str());
    }
    std::fflush(stdout);
    report.incomplete = report.incomplete || result.incomplete;
    report.scenarios.push_back(std::move(result));
  }
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::size_t passed = 0, failed = 0;
  for (const auto& r : report.scenarios) (r.passed ? passed : failed)++;
  if (baseline) {
    auto gate = reports::CompareWithBaseline(report, *baseline, tolerance, flags.baseline_strict);
    if (!gate.ok()) {  // the tolerance was checked before the run
      std::fprintf(stderr, "bpsim: internal error: %s\n", gate.error().message.c_str());
      return kExitInternal;
    }
    report.baseline = std::move(gate).value();
    report.baseline->file = flags.baseline;
    PrintBaselineGate(*report.baseline, flags.tolerance);
  }
  const reports::RunVerdict verdict = reports::VerdictOf(report);
  int write = WriteReports(report, flags.out);
  std::printf("Total: %zu scenario%s, %zu passed, %zu failed%s in %s; verdict %s; reports in %s/\n",
              report.scenarios.size(), report.scenarios.size() == 1 ? "" : "s", passed, failed,
              report.incomplete ? " (interrupted: incomplete)" : "",
              DescribeSeconds(report.wall_seconds).c_str(),
              reports::RunVerdictName(verdict), flags.out.c_str());
  if (write != kExitOk) return write;
  return ExitCodeOf(verdict);
}

// Parses run/replay options; returns an exit code on error or help.
std::optional<int> ParseRunFlags(const std::vector<std::string>& args, const char* help,
                                 bool replay, RunFlags* flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) { return TakeValue(args, &i, out); };
    std::string v;
    if (IsHelp(a)) {
      std::printf("%s", help);
      return kExitOk;
    } else if (a == "--seed") {
      if (!value(&v)) return UsageError("--seed needs a value", help);
      flags->seed = ParseUnsigned(v);
      if (!flags->seed) return UsageError("--seed expects a non-negative integer, got '" + v + "'", help);
    } else if (a == "--out") {
      if (!value(&flags->out)) return UsageError("--out needs a directory", help);
    } else if (auto traced = TakeTraceOption(args, &i, &flags->trace_filter); !traced.ok()) {
      return UsageError(traced.error().message, help);
    } else if (*traced) {
      flags->trace = true;
    } else if (a == "--perfetto" && !replay) {
      flags->perfetto = true;
    } else if (a == "--baseline" && !replay) {
      if (!value(&flags->baseline)) return UsageError("--baseline needs a report.json", help);
    } else if (a == "--tolerance" && !replay) {
      if (!value(&flags->tolerance)) return UsageError("--tolerance needs a value", help);
      flags->tolerance_set = true;
    } else if (a == "--baseline-strict" && !replay) {
      flags->baseline_strict = true;
    } else if (a == "--no-monitors" && !replay) {
      flags->monitors = false;
    } else if (a == "--check-determinism" && !replay) {
      flags->check_determinism = true;
    } else if (a == "--quiet" && !replay) {
      flags->quiet = true;
    } else if (a == "--pinned" && !replay) {
      if (!value(&flags->pinned)) return UsageError("--pinned needs a pin file", help);
    } else if (a == "--perturb") {
      flags->variation.perturb = true;
    } else if (a == "--swarm") {
      flags->variation.swarm = true;
    } else if (a.rfind("--", 0) == 0) {
      return UsageError("unknown option '" + a + "'", help);
    } else {
      flags->paths.push_back(a);
    }
  }
  return std::nullopt;
}

int CmdRun(const std::vector<std::string>& args, const std::string& command) {
  RunFlags flags;
  if (auto rc = ParseRunFlags(args, kRunHelp, false, &flags)) return *rc;
  return RunScenarios(flags, command, false);
}

int CmdReplay(const std::vector<std::string>& args, const std::string& command) {
  RunFlags flags;
  if (auto rc = ParseRunFlags(args, kReplayHelp, true, &flags)) return *rc;
  if (flags.paths.size() != 1) return UsageError("replay takes exactly one scenario file", kReplayHelp);
  flags.evidence_window = !flags.trace;
  flags.trace = true;
  flags.perfetto = true;
  return RunScenarios(flags, command, true);
}

int CmdValidate(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (IsHelp(a)) {
      std::printf("%s", kValidateHelp);
      return kExitOk;
    }
    if (a.rfind("--", 0) == 0) return UsageError("unknown option '" + a + "'", kValidateHelp);
    paths.push_back(a);
  }
  if (paths.empty()) return UsageError("validate needs at least one PATH", kValidateHelp);
  auto scenarios = LoadScenarios(paths);
  if (!scenarios) return kExitUsage;
  std::printf("%zu scenario file%s valid\n", scenarios->size(), scenarios->size() == 1 ? "" : "s");
  return kExitOk;
}

int CmdList(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (IsHelp(a)) {
      std::printf("%s", kListHelp);
      return kExitOk;
    }
    if (a.rfind("--", 0) == 0) return UsageError("unknown option '" + a + "'", kListHelp);
    paths.push_back(a);
  }
  auto scenarios = LoadScenarios(DefaultPaths(paths));
  if (!scenarios) return kExitUsage;
  for (const Scenario& s : *scenarios) {
    std::string tags;
    for (const std::string& t : s.tags) tags += (tags.empty() ? "" : ",") + t;
    std::printf("%-44s [%s]\n    %s\n", s.id.c_str(), tags.c_str(), s.description.c_str());
  }
  return kExitOk;
}

int CmdSchema(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (IsHelp(a)) {
      std::printf("%s", kSchemaHelp);
      return kExitOk;
    }
    return UsageError("schema takes no arguments, got '" + a + "'", kSchemaHelp);
  }
  std::printf("%s", ScenarioJsonSchema().c_str());
  return kExitOk;
}

int Dispatch(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "bpsim";
  for (const std::string& a : args) command += " " + a;
  if (args.empty()) return UsageError("missing command", kMainHelp);
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (IsHelp(cmd)) {
    std::printf("%s", kMainHelp);
    return kExitOk;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("bpsim %s\n", BPSIM_VERSION);
    return kExitOk;
  }
  if (cmd == "run") return CmdRun(rest, command);
  if (cmd == "replay") return CmdReplay(rest, command);
  if (cmd == "validate") return CmdValidate(rest);
  if (cmd == "list") return CmdList(rest);
  if (cmd == "schema") return CmdSchema(rest);
  if (cmd == "serve") return CmdServe(rest);
  if (cmd == "platform") return CmdPlatform(rest);
  if (cmd == "sweep") return CmdSweep(rest, command);
  if (cmd == "merge") return CmdMerge(rest, command);
  if (cmd == "shrink") return CmdShrink(rest);
  if (cmd == "pin") return CmdPin(rest);
  return UsageError("unknown command '" + cmd + "'", kMainHelp);
}

}  // namespace

namespace {
// Whether a scenario file's `tags` include `run-when-named`, read by the scenario
// loader (with its limits on size, nesting and aliases). A file that does not load is
// kept (false): loading it again for the run reports the error with its line.
bool TaggedRunWhenNamed(const std::string& file) {
  const Result<Scenario> scenario = LoadScenario(file);
  if (!scenario.ok()) return false;
  const std::vector<std::string>& tags = scenario.value().tags;
  return std::find(tags.begin(), tags.end(), kRunWhenNamedTag) != tags.end();
}
}  // namespace

// Expands files and directories into a sorted list of scenario files.
Result<std::vector<std::string>> CollectScenarioFiles(const std::vector<std::string>& paths,
                                                      bool skip_run_when_named) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return Error{path + ": no such file or directory"};
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        std::string ext = it->path().extension().string();
        if (ext == ".yaml" || ext == ".yml") found.push_back(it->path().generic_string());
      }
      if (ec) return Error{path + ": cannot read directory: " + ec.message()};
      std::sort(found.begin(), found.end());
      if (found.empty()) return Error{path + ": no scenario files (*.yaml) in this directory"};
      for (std::string& file : found) {
        if (skip_run_when_named && TaggedRunWhenNamed(file)) {
          std::fprintf(stderr, "bpsim: skipping %s (tagged %s: name the file to run it)\n",
                       file.c_str(), kRunWhenNamedTag);
          continue;
        }
        files.push_back(std::move(file));
      }
    } else {
      files.push_back(path);
    }
  }
  return files;
}

std::optional<std::vector<Scenario>> LoadAll(const std::vector<std::string>& files) {
  std::vector<Scenario> scenarios;
  bool ok = true;
  for (Result<Scenario>& s : LoadEach(files)) {
    if (!s.ok()) {
      ok = false;
      continue;
    }
    scenarios.push_back(std::move(s).value());
  }
  if (!ok) return std::nullopt;
  return scenarios;
}

std::optional<std::vector<Scenario>> LoadScenarios(const std::vector<std::string>& paths,
                                                   bool skip_run_when_named) {
  auto files = CollectScenarioFiles(paths, skip_run_when_named);
  if (!files.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", files.error().message.c_str());
    return std::nullopt;
  }
  return LoadAll(*files);
}

int UsageError(const std::string& message, const char* help) {
  std::fprintf(stderr, "bpsim: %s\n\n%s", message.c_str(), help);
  return kExitUsage;
}

bool IsHelp(const std::string& arg) { return arg == "--help" || arg == "-h"; }

void PrintFailures(const reports::ScenarioResult& r) {
  if (!r.error.empty()) std::printf("      error: %s\n", r.error.c_str());
  if (r.incomplete) std::printf("      incomplete: interrupted before the end\n");
  for (const reports::Check& c : r.checks) {
    if (!c.passed) std::printf("      %s: %s\n", c.name.c_str(), c.detail.c_str());
  }
  if (!r.passed) std::printf("      repro: %s\n", r.repro.c_str());
}

int ExitCodeOf(reports::RunVerdict verdict) {
  switch (verdict) {
    case reports::RunVerdict::kPass: return kExitOk;
    case reports::RunVerdict::kFail: return kExitExpectationFailed;
    case reports::RunVerdict::kError: return kExitUsage;
  }
  return kExitInternal;
}

Result<bool> TakeTraceOption(const std::vector<std::string>& args, std::size_t* i,
                             TraceFilter* filter) {
  const std::string& a = args[*i];
  std::string term;
  if (a.rfind("--trace=", 0) == 0) {
    term = a.substr(8);
  } else if (a != "--trace") {
    return false;
  } else if (*i + 1 < args.size() && IsTraceFilterTerm(args[*i + 1])) {
    term = args[++*i];
  } else {
    return true;
  }
  auto added = AddTraceFilterTerm(term, filter);
  if (!added.ok()) return added.error();
  return true;
}

void AnnounceOutput(const std::string& line) {
  std::fprintf(stderr, "%sbpsim: %s\n", isatty(STDERR_FILENO) != 0 ? "\r\033[K" : "",
               line.c_str());
}

bool TakeValue(const std::vector<std::string>& args, std::size_t* i, std::string* out) {
  if (*i + 1 >= args.size()) return false;
  *out = args[++*i];
  return true;
}

int WriteReports(const reports::RunReport& report, const std::string& out) {
  auto written = reports::WriteReportFiles(report, out);
  if (!written.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", written.error().message.c_str());
    return kExitInternal;
  }
  return kExitOk;
}

int RunCli(int argc, char** argv) {
  try {
    return Dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bpsim: internal error: %s\n", e.what());
    return kExitInternal;
  } catch (...) {
    std::fprintf(stderr, "bpsim: internal error\n");
    return kExitInternal;
  }
}

}  // namespace bpsim::harness
