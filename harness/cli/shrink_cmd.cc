#include "harness/cli/shrink_cmd.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "harness/cli/cli.h"
#include "harness/scenario/scenario.h"
#include "harness/shrink.h"
#include "harness/sweep.h"
#include "reports/files.h"

namespace bpsim::harness {

const char* const kShrinkHelp =
    "usage: bpsim shrink PATH [--seed N] [--perturb | --swarm] [--out FILE] [--max-runs N]\n"
    "                    [--max-seconds S]\n"
    "\n"
    "Delta-debugs a failing scenario: keeps the failure (the run with seed N fires\n"
    "exactly the same set of invariant and rule ids) while shrinking customers.count,\n"
    "duration, the timeline, banks, defects, faults and parameters. Writes the smallest\n"
    "scenario found (default: min.yaml) with expect.violations set to the fired ids, so\n"
    "'bpsim run FILE' passes exactly when the failure reproduces.\n"
    "\n"
    "options:\n"
    "  --seed N           the failing run's seed (default: the scenario's seed)\n"
    "  --perturb, --swarm shrink the run 'bpsim replay PATH --seed N' makes with the same\n"
    "                     flag: perturbed, or the seed's swarm variant (written out in\n"
    "                     full, with its perturb: settings)\n"
    "  --out FILE         where to write the minimal scenario (default: min.yaml)\n"
    "  --max-runs N       candidate runs at most (default: 200)\n"
    "  --max-seconds S    wall time at most (default: 300)\n"
    "\n"
    "exit codes: 0 written; 1 the scenario fires nothing with that seed; 2 usage or\n"
    "scenario error.\n";

namespace {

std::optional<std::uint64_t> ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + std::uint64_t(c - '0');
  }
  return v;
}

int Usage(const std::string& message) { return UsageError(message, kShrinkHelp); }

}  // namespace

int CmdShrink(const std::vector<std::string>& args) {
  std::string path, out = "min.yaml";
  std::optional<std::uint64_t> seed;
  ShrinkOptions options;
  SeedVariation variation;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)what;
      return args[++i];
    };
    if (IsHelp(a)) {
      std::printf("%s", kShrinkHelp);
      return kExitOk;
    } else if (a == "--seed" || a == "--max-runs" || a == "--max-seconds") {
      auto v = value(a.c_str());
      if (!v) return Usage(a + " needs a value");
      auto n = ParseCount(*v);
      if (!n || (a != "--seed" && *n == 0)) {
        return Usage(a + " expects a " + (a == "--seed" ? "non-negative" : "positive") +
                     " integer, got '" + *v + "'");
      }
      if (a == "--seed") seed = *n;
      if (a == "--max-runs") options.max_runs = int(std::min<std::uint64_t>(*n, 1'000'000));
      if (a == "--max-seconds") options.max_seconds = double(*n);
    } else if (a == "--perturb") {
      variation.perturb = true;
    } else if (a == "--swarm") {
      variation.swarm = true;
    } else if (a == "--out") {
      auto v = value("--out");
      if (!v) return Usage("--out needs a file");
      out = *v;
    } else if (a.rfind("--", 0) == 0) {
      return Usage("unknown option '" + a + "'");
    } else if (path.empty()) {
      path = a;
    } else {
      return Usage("shrink takes exactly one scenario file");
    }
  }
  if (path.empty()) return Usage("shrink needs a scenario file");
  Result<Scenario> scenario = LoadScenario(path);
  if (!scenario.ok()) {
    std::fprintf(stderr, "%s\n", scenario.error().message.c_str());
    return kExitUsage;
  }
  options.seed = seed ? *seed : scenario->spec.seed;
  options.log = [](const std::string& line) { std::fprintf(stderr, "  kept: %s\n", line.c_str()); };
  Result<ShrinkResult> result =
      ShrinkScenario(VaryScenario(*scenario, options.seed, variation, nullptr), options);
  if (!result.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", result.error().message.c_str());
    return kExitExpectationFailed;
  }
  auto written = reports::WriteFileAtomically(
      out, MinimalScenarioFile(*result, path, out, VariationFlag(variation)));
  if (!written.ok()) {
    std::fprintf(stderr, "bpsim: %s\n", written.error().message.c_str());
    return kExitUsage;
  }
  std::printf("Shrunk %s (seed %llu) in %d runs, %s%s: fires exactly [", path.c_str(),
              static_cast<unsigned long long>(options.seed), result->runs,
              DescribeSeconds(result->seconds).c_str(),
              result->budget_exhausted ? " (budget reached)" : "");
  for (std::size_t i = 0; i < result->fired.size(); ++i) {
    std::printf("%s%s", i ? ", " : "", result->fired[i].c_str());
  }
  std::printf("]; %zu change%s; wrote %s\nReproduce: bpsim run %s\n", result->changes.size(),
              result->changes.size() == 1 ? "" : "s", out.c_str(), out.c_str());
  return kExitOk;
}

}  // namespace bpsim::harness
