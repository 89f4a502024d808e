// Traces a person can use (docs/trace.md, "Keeping only what matters"): --trace's
// filters as the user writes them, their exact errors, replay's default evidence
// window, and the announcement of a trace file on course to pass its size limit.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/trace_filter.h"
#include "tests/command.h"

namespace {

namespace fs = std::filesystem;
using bpsim::testing::Bpsim;
using bpsim::testing::CommandResult;

const std::string kExample = std::string(BPSIM_SOURCE_DIR) + "/tests/docs/example.yaml";

std::vector<nlohmann::json> ReadTrace(const fs::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

fs::path Out(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("bpsim-trace-filter-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

constexpr std::int64_t kHour = 3600'000'000'000;
constexpr std::int64_t kMinute = 60'000'000'000;

bool IsWorldEvent(const std::string& type) {
  return type == "outage.start" || type == "outage.end" || type == "crash" ||
         type == "restart" || type == "drain.start";
}

}  // namespace

TEST_CASE("replay keeps the first violation's evidence window by default and says so", "[cli]") {
  const fs::path out = Out("window");
  const CommandResult replay = Bpsim("replay " + kExample + " --out " + out.string());
  INFO(replay.output);
  CHECK(replay.exit_code == 0);
  const std::string jsonl = (out / "trace.jsonl").string();
  const std::string perfetto = (out / "trace.perfetto.json").string();
  // The example's first violation is at 3h, its evidence the offending flow at 3h.
  CHECK(replay.output.find("\ntrace: " + jsonl + " and " + perfetto +
                           " keep the first violation's evidence window, 2h 50m .. 3h 10m "
                           "(--trace for the whole run, --trace FILTER for another part: "
                           "bpsim replay --help)\n") != std::string::npos);
  const auto window = ReadTrace(jsonl);
  REQUIRE(window.size() > 10);
  for (const auto& e : window) {
    CHECK(e["t"].get<std::int64_t>() >= 2 * kHour + 50 * kMinute);
    CHECK(e["t"].get<std::int64_t>() <= 3 * kHour + 10 * kMinute);
  }
  CHECK(nlohmann::json::parse(std::ifstream(perfetto))["traceEvents"].size() > 0);

  // --trace alone: the whole run, the same as bpsim run --trace writes.
  const fs::path whole = Out("whole");
  const CommandResult all = Bpsim("replay " + kExample + " --trace --out " + whole.string());
  CHECK(all.exit_code == 0);
  CHECK(all.output.find("\ntrace: " + (whole / "trace.jsonl").string() + " and " +
                        (whole / "trace.perfetto.json").string() + " keep the whole run\n") !=
        std::string::npos);
  const fs::path run = Out("run");
  CHECK(Bpsim("run " + kExample + " --trace --out " + run.string()).exit_code == 0);
  const auto everything = ReadTrace(whole / "trace.jsonl");
  CHECK(everything.size() > window.size() * 10);
  CHECK(everything == ReadTrace(run / "trace.jsonl"));
  for (const fs::path& d : {out, whole, run}) fs::remove_all(d);
}

TEST_CASE("Trace filters keep only the entries they name, and the run judges as before", "[cli]") {
  const fs::path out = Out("customer");
  const CommandResult run =
      Bpsim("run " + kExample + " --out " + out.string() +
            " --trace customer=26,39 --trace type=flow,consent.* --trace=window=1h..4h");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  const std::string jsonl = (out / "trace.jsonl").string();
  CHECK(run.output.find("\n      trace: " + jsonl +
                        " keeps customer 26 or 39, type flow or consent.created or "
                        "consent.authorised or consent.rejected or consent.revoked or "
                        "consent.expired or consent.revoke_requested or consent.delete_sent, "
                        "window 1h .. 4h\n") != std::string::npos);
  const auto kept = ReadTrace(jsonl);
  REQUIRE(!kept.empty());
  std::set<std::int64_t> subjects;
  bool leak = false;
  for (const auto& e : kept) {
    const std::string type = e["type"];
    CHECK((type == "flow" || type.rfind("consent.", 0) == 0));
    CHECK(e["t"].get<std::int64_t>() >= kHour);
    CHECK(e["t"].get<std::int64_t>() <= 4 * kHour);
    REQUIRE(e.contains("subject"));
    subjects.insert(e["subject"].get<std::int64_t>());
    leak = leak || (type == "flow" && e.value("to", "") == "partner:adpartner");
  }
  CHECK(subjects == std::set<std::int64_t>{26, 39});
  CHECK(leak);  // the violation's flow at 3h is kept
  // The verdict and the trace hash do not depend on the filter.
  CHECK(run.output.find("violations 10 ") != std::string::npos);

  const fs::path banks = Out("bank");
  CHECK(Bpsim("run " + kExample + " --out " + banks.string() + " --trace bank=southbank")
            .exit_code == 0);
  bool outage = false;
  for (const auto& e : ReadTrace(banks / "trace.jsonl")) {
    const std::string line = e.dump();
    CHECK(line.find("northbank") == std::string::npos);
    if (!IsWorldEvent(e["type"])) CHECK(line.find("southbank") != std::string::npos);
    outage = outage || e["type"] == "outage.start";
  }
  CHECK(outage);  // southbank's outage at 6h
  for (const fs::path& d : {out, banks}) fs::remove_all(d);
}

TEST_CASE("Trace filter mistakes are usage errors that say what was expected", "[cli]") {
  auto error = [](const std::string& args) {
    CommandResult r = Bpsim(args);
    CHECK(r.exit_code == 2);
    return r.output.substr(0, r.output.find('\n'));
  };
  const std::string replay = "replay " + kExample + " --out /tmp/bpsim-trace-filter-unused";
  CHECK(error(replay + " --trace custmer=3") ==
        "bpsim: --trace 'custmer=3': expected customer=, bank=, consent=, type= or window= "
        "followed by values (customer=17,42)");
  CHECK(error(replay + " --trace customer=3,x") ==
        "bpsim: --trace customer=3,x: 'x' is not a customer id (a non-negative integer, as "
        "trace.jsonl writes it)");
  CHECK(error(replay + " --trace window=3h..1h") ==
        "bpsim: --trace window=3h..1h: the window ends before it begins");
  CHECK(error(replay + " --trace window=3h") ==
        "bpsim: --trace window=3h: expected FROM..TO, FROM.. or ..TO in the scenario's units "
        "(window=17h..19h)");
  CHECK(error(replay + " --trace window=3x..") ==
        "bpsim: --trace window=3x..: " +
            bpsim::ParseDuration("3x").error().message);
  CHECK(error(replay + " --trace type=webhook.*,flw").rfind(
            "bpsim: --trace type=webhook.*,flw: no entry type is called 'flw' (types: flow, "
            "consent.created, ",
            0) == 0);
  CHECK(error(replay + " --trace type=bank.*") ==
        "bpsim: --trace type=bank.*: no entry type begins with 'bank.' (types: flow, "
        "consent.created, consent.authorised, consent.rejected, consent.revoked, "
        "consent.expired, consent.revoke_requested, consent.delete_sent, api.request, "
        "api.served, api.response, audit, fraud.detected, webhook.sent, webhook.received, "
        "alert.queued, alert.displayed, outage.start, outage.end, cache.put, cache.purge, "
        "balance.check, balance.reply, card.compromised, drain.start, webhook.withheld, crash, "
        "restart; docs/trace.md)");
  CHECK(error(replay + " --trace bank=eastbank") ==
        "bpsim: --trace bank=eastbank: " + kExample +
            " has no bank 'eastbank' (its banks: northbank, southbank)");
  CHECK(error(replay + " --trace customer=200") ==
        "bpsim: --trace customer=200: " + kExample + " has customers 0 to 199");
  CHECK(error("serve " + kExample + " --trace bank=eastbank") ==
        "bpsim: --trace bank=eastbank: " + kExample +
            " has no bank 'eastbank' (its banks: northbank, southbank)");
}

TEST_CASE("A trace file on course to pass the size limit is announced once, while written",
          "[harness][runner]") {
  auto loaded = bpsim::harness::LoadScenario(kExample);
  REQUIRE(loaded.ok());
  const fs::path dir = Out("announce");
  fs::create_directories(dir);
  bpsim::harness::RunOptions options;
  options.trace_jsonl_path = (dir / "trace.jsonl").string();
  options.perfetto_path = (dir / "trace.perfetto.json").string();
  std::vector<std::string> lines;
  options.announce_output = [&lines](const std::string& line) { lines.push_back(line); };
  // First the sizes, with a limit nothing reaches.
  options.announce_bytes = 1'000'000'000'000;
  bpsim::harness::RunScenario(*loaded, options);
  CHECK(lines.empty());
  const auto jsonl_size = fs::file_size(options.trace_jsonl_path);
  REQUIRE(jsonl_size > 500'000);
  // A limit at half the size: announced, with a projection near the truth.
  options.announce_bytes = jsonl_size / 2;
  const auto result = bpsim::harness::RunScenario(*loaded, options);
  CHECK(result.error.empty());
  REQUIRE(lines.size() == 1);  // trace.perfetto.json is smaller than the limit
  std::smatch m;
  const std::regex form("(.*) will be about ([0-9.]+) (kB|MB) \\(([0-9.]+) (kB|MB) written at "
                        "([0-9]+)% of the run\\); --trace customer=, bank=, consent=, type= or "
                        "window= keeps less \\(docs/trace.md\\)");
  REQUIRE(std::regex_match(lines[0], m, form));
  CHECK(m[1] == options.trace_jsonl_path);
  const double unit = m[3] == "MB" ? 1e6 : 1e3;
  const double projected = std::stod(m[2]) * unit;
  CHECK(projected >= double(options.announce_bytes));
  CHECK(projected <= 3.0 * double(jsonl_size));
  CHECK(std::stod(m[4]) * (m[5] == "MB" ? 1e6 : 1e3) < double(jsonl_size));  // before the end
  CHECK(fs::file_size(options.trace_jsonl_path) == jsonl_size);  // and written all the same
  fs::remove_all(dir);
}

TEST_CASE("EvidenceWindow is the earliest violation's chain widened by the margin",
          "[harness]") {
  using bpsim::reports::ScenarioResult;
  ScenarioResult r;
  CHECK_FALSE(bpsim::harness::EvidenceWindow(r, 10, 1000).has_value());
  r.violations.push_back({"late", 500, 1, "", {{400, ""}, {500, ""}}});
  r.violations.push_back({"early", 300, 2, "", {{5, ""}, {300, ""}}});
  r.violations.push_back({"tie", 300, 3, "", {{290, ""}}});
  auto w = bpsim::harness::EvidenceWindow(r, 10, 1000);
  REQUIRE(w.has_value());
  CHECK(w->first == 0);  // 5 - 10, kept within the run
  CHECK(w->second == 310);
  r.violations.erase(r.violations.begin() + 1);
  w = bpsim::harness::EvidenceWindow(r, 10, 305);
  CHECK(w->first == 280);
  CHECK(w->second == 305);  // the end of the run
}
