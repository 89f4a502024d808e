#include "harness/cli/pin_cmd.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "harness/cli/cli.h"
#include "harness/pin.h"
#include "reports/files.h"

namespace bpsim::harness {

const char* const kPinHelp =
    "usage: bpsim pin [PATH...] [--file FILE] [--update] [--write OUT] [--reference BIN]\n"
    "                 [--jobs N]\n"
    "\n"
    "Runs each scenario (PATHs as for 'bpsim run'; default: scenarios/) at its own seed\n"
    "and compares its trace with the pin in FILE: the same trace hash and number of\n"
    "entries. A scenario that differs, or has no pin, fails; the output says where its\n"
    "trace first differs and how to update the pins. Pins of scenarios not under the\n"
    "PATHs are not checked.\n"
    "\n"
    "options:\n"
    "  --file FILE        the pins (default: tests/pinned-traces.txt)\n"
    "  --update           write FILE with this build's pins of the PATHs' scenarios\n"
    "                     instead of checking (scripts/pin-traces does this for the\n"
    "                     library)\n"
    "  --write OUT        also write this build's pins to OUT (to check another build\n"
    "                     against them: --file OUT)\n"
    "  --reference BIN    for a scenario that differs, also replay it with the bpsim\n"
    "                     binary BIN and name the exact first differing entry\n"
    "  --jobs N           scenarios run on N threads at once (default: every core)\n"
    "  --help             this help\n"
    "\n"
    "exit codes: 0 every trace as pinned (or FILE written); 1 a trace differs or is\n"
    "not pinned; 2 usage, scenario or pin file error.\n";

namespace {

constexpr const char* kDefaultFile = "tests/pinned-traces.txt";

int Usage(const std::string& message) { return UsageError(message, kPinHelp); }

}  // namespace

int CmdPin(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string file = kDefaultFile, write, reference;
  bool update = false;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  // Options that take a value, and what a missing value is called.
  const std::pair<const char*, std::pair<std::string*, const char*>> valued[] = {
      {"--file", {&file, "a path"}},
      {"--write", {&write, "a path"}},
      {"--reference", {&reference, "a bpsim binary"}}};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto known = std::find_if(std::begin(valued), std::end(valued),
                              [&](const auto& option) { return a == option.first; });
    std::string v;
    if (IsHelp(a)) {
      std::printf("%s", kPinHelp);
      return kExitOk;
    } else if (known != std::end(valued)) {
      if (!TakeValue(args, &i, known->second.first)) {
        return Usage(a + " needs " + known->second.second);
      }
    } else if (a == "--update") {
      update = true;
    } else if (a == "--jobs") {
      if (!TakeValue(args, &i, &v)) return Usage("--jobs needs a number");
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n == 0 || n > 9999) {
        return Usage("--jobs expects a number from 1 to 9999, got '" + v + "'");
      }
      jobs = static_cast<unsigned>(n);
    } else if (a.rfind("--", 0) == 0) {
      return Usage("unknown option '" + a + "'");
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) paths.push_back("scenarios");
  if (update && !reference.empty()) return Usage("--update and --reference do not go together");

  std::map<std::string, PinnedTrace> pinned;
  if (!update) {
    auto pins = ReadPins(file);
    if (!pins.ok()) {
      std::fprintf(stderr, "bpsim: %s\n", pins.error().message.c_str());
      return kExitUsage;
    }
    for (PinnedTrace& p : std::move(pins).value()) pinned.emplace(p.file, std::move(p));
  }
  auto scenarios = LoadScenarios(paths, /*skip_run_when_named=*/true);
  if (!scenarios) return kExitUsage;

  // Each scenario's run is independent: `jobs` threads take them in turn; results
  // are kept in file order.
  const std::size_t n = scenarios->size();
  std::vector<PinnedTrace> now(n);
  std::vector<std::string> errors(n);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) now[i] = PinScenario((*scenarios)[i], &errors[i]);
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < std::min<std::size_t>(jobs, n); ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  bool setup_failed = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (errors[i].empty()) continue;
    std::fprintf(stderr, "bpsim: %s: %s\n", (*scenarios)[i].file.c_str(), errors[i].c_str());
    setup_failed = true;
  }
  if (setup_failed) return kExitUsage;
  if (!write.empty() || update) {
    const std::string text = FormatPins(now);
    for (const std::string& out : {write, update ? file : std::string()}) {
      if (out.empty()) continue;
      auto written = reports::WriteFileAtomically(out, text);
      if (!written.ok()) {
        std::fprintf(stderr, "bpsim: %s\n", written.error().message.c_str());
        return kExitUsage;
      }
    }
  }
  if (update) {
    std::printf("Pinned %zu scenario trace%s in %s\n", n, n == 1 ? "" : "s", file.c_str());
    return kExitOk;
  }

  std::size_t same = 0, different = 0, missing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Scenario& scenario = (*scenarios)[i];
    const PinnedTrace& mine = now[i];
    auto it = pinned.find(scenario.file);
    if (it == pinned.end()) {
      ++missing;
      std::printf("NEW   %-52s not pinned in %s\n", scenario.file.c_str(), file.c_str());
      continue;
    }
    if (SamePin(it->second, mine)) {
      ++same;
      std::printf("SAME  %-52s seed %-4" PRIu64 " %10" PRIu64 " entries  %016" PRIx64 "\n",
                  scenario.file.c_str(), mine.seed, mine.entries, mine.hash);
      continue;
    }
    ++different;
    std::printf("DIFF  %s seed %" PRIu64 "\n%s", scenario.file.c_str(), mine.seed,
                DescribePinDifference(scenario, it->second, mine, reference).c_str());
  }
  std::printf("Pinned traces (%s): %zu scenarios, %zu the same, %zu different, %zu not pinned\n",
              file.c_str(), n, same, different, missing);
  if (different + missing == 0) return kExitOk;
  if (file != kDefaultFile) {
    std::printf("This build's traces are not the ones %s holds%s.\n", file.c_str(),
                reference.empty() ? "" : (" (written by " + reference + ")").c_str());
    return kExitExpectationFailed;
  }
  std::printf(
      "A trace that changed on purpose (a new draw, a changed model, a new scenario) is\n"
      "pinned again with:  %s   (then commit %s). Otherwise the change above is a\n"
      "determinism regression: the scenario and seed no longer give the trace they gave.\n",
      kPinUpdateCommand, file.c_str());
  return kExitExpectationFailed;
}

}  // namespace bpsim::harness
