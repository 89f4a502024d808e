// A verdict a CI gate can trust (issue 17): every gate outcome is in every report, and
// on every exit path the verdict that report.json, junit.xml, summary.md and
// report.html state agrees with the exit code (0 pass, 1 fail, 2 error).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/command.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using bpsim::testing::Bpsim;
using bpsim::testing::CommandResult;

const fs::path& Dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("bpsim-verdict-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string Write(const std::string& name, const std::string& text) {
  const fs::path p = Dir() / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small clean world whose bank answers some requests 500: api_errors_500 > 0.
const char* kErrors =
    "scenario: verdict/errors\n"
    "duration: 1d\n"
    "world:\n"
    "  banks: [{id: northbank, api: {error_rate: 0.05}}]\n"
    "  customers: {count: 150, consent: {opt_in: 0.6}}\n"
    "  platform: {poll_interval: 2h}\n";

// What each report says about the whole run.
struct Verdicts {
  std::string json;     // report.json "verdict"
  std::string summary;  // summary.md headline: PASS, FAIL or ERROR
  std::string html;     // report.html title: PASS, FAIL or ERROR
  int junit_failures = -1, junit_errors = -1;
  Json report;
  std::string junit, summary_md;
};

Verdicts Read(const fs::path& out) {
  Verdicts v;
  v.report = Json::parse(Slurp(out / "report.json"));
  v.json = v.report["verdict"].get<std::string>();
  v.summary_md = Slurp(out / "summary.md");
  std::smatch m;
  REQUIRE(std::regex_search(v.summary_md, m, std::regex(R"(^## bpsim [^:]*: \*\*([A-Z]+)\*\*)")));
  v.summary = m[1];
  const std::string html = Slurp(out / "report.html");
  REQUIRE(std::regex_search(html, m, std::regex(R"(<title>([A-Z]+) - bpsim report)")));
  v.html = m[1];
  v.junit = Slurp(out / "junit.xml");
  REQUIRE(std::regex_search(v.junit, m,
                            std::regex(R"re(<testsuites name="bpsim" tests="\d+" failures="(\d+)" errors="(\d+)")re")));
  v.junit_failures = std::stoi(m[1]);
  v.junit_errors = std::stoi(m[2]);
  return v;
}

// Every report states the verdict that the exit code says.
void CheckAgrees(const CommandResult& r, const fs::path& out, int expected_exit) {
  INFO(r.output);
  REQUIRE(r.exit_code == expected_exit);
  const Verdicts v = Read(out);
  const char* name = expected_exit == 0 ? "pass" : expected_exit == 1 ? "fail" : "error";
  const char* upper = expected_exit == 0 ? "PASS" : expected_exit == 1 ? "FAIL" : "ERROR";
  CHECK(v.json == name);
  CHECK(v.summary == upper);
  CHECK(v.html == upper);
  // A CI test view is green exactly when the exit code is 0; an error is an error.
  CHECK((v.junit_failures + v.junit_errors == 0) == (expected_exit == 0));
  if (expected_exit == 2) CHECK(v.junit_errors > 0);
}

// `bpsim run SCENARIO --out OUT --baseline BASELINE EXTRA`.
CommandResult RunAgainst(const std::string& scenario, const fs::path& out,
                         const std::string& baseline, const std::string& extra = "") {
  return Bpsim("run " + scenario + " --out " + out.string() + " --baseline " + baseline + extra);
}

// The first run's report, with `metric` of every scenario set to `value`: an older
// baseline against which the run regressed (or not).
std::string BaselineWith(const fs::path& out, const std::string& metric, double value) {
  Json report = Json::parse(Slurp(out / "report.json"));
  for (Json& s : report["scenarios"]) s["metrics"][metric] = value;
  return Write(out.filename().string() + "-baseline.json", report.dump(2));
}

}  // namespace

TEST_CASE("A baseline regression is a failed testcase, a summary row and a report.json entry",
          "[cli][verdict]") {
  const std::string scenario = Write("errors.yaml", kErrors);
  const fs::path first = Dir() / "first";
  REQUIRE(Bpsim("run " + scenario + " --out " + first.string()).exit_code == 0);
  const double errors = Read(first).report["scenarios"][0]["metrics"]["api_errors_500"];
  REQUIRE(errors >= 4);
  const std::string baseline = BaselineWith(first, "api_errors_500", 2);

  const fs::path out = Dir() / "regressed";
  CommandResult r = RunAgainst(scenario, out, baseline);
  CheckAgrees(r, out, 1);
  const Verdicts v = Read(out);
  // Every scenario passed its own expectations: only the gate failed the run.
  CHECK(v.report["summary"]["failed"] == 0);
  char change[32];
  std::snprintf(change, sizeof change, "+%.1f%%", (errors - 2) / 2 * 100);
  const std::string errors_text = std::to_string(static_cast<long long>(errors));
  const std::string line = "api_errors_500 rose from 2 to " + errors_text + " (" + change +
                           ", tolerance 10.0%)";
  CHECK(r.output.find("verdict/errors: " + line) != std::string::npos);
  // junit.xml: a failed testcase baseline:api_errors_500 in the scenario's suite.
  CHECK(v.junit.find("<testcase name=\"baseline:api_errors_500\" classname=\"verdict/errors\" "
                     "time=\"0\">\n      <failure message=\"" + line + "\" type=\"baseline\">") !=
        std::string::npos);
  CHECK(v.junit.find("<testcase name=\"baseline\" classname=\"verdict/errors\" time=\"0\"/>") !=
        std::string::npos);
  // summary.md: the headline says why, and a row gives old, new, change and tolerance.
  CHECK(v.summary_md.find("scenarios passed, 1 metric regressed") != std::string::npos);
  CHECK(v.summary_md.find("| `verdict/errors` | `api_errors_500` | 2 | " + errors_text + " | " +
                          std::string(change) + " | 10.0% |") != std::string::npos);
  // report.json: the gate with the regression.
  const Json& gate = v.report["baseline"];
  CHECK(gate["file"] == baseline);
  CHECK(gate["passed"] == false);
  CHECK(gate["compared"] == 1);
  REQUIRE(gate["regressions"].size() == 1);
  CHECK(gate["regressions"][0]["scenario"] == "verdict/errors");
  CHECK(gate["regressions"][0]["metric"] == "api_errors_500");
  CHECK(gate["regressions"][0]["old"] == 2.0);
  CHECK(gate["regressions"][0]["new"] == errors);
  CHECK(gate["regressions"][0]["change"].get<double>() == Approx((errors - 2) / 2));
  CHECK(gate["regressions"][0]["tolerance"] == 0.1);

  // Against itself: nothing regressed, and every report says pass.
  const fs::path same = Dir() / "same";
  CommandResult ok = RunAgainst(scenario, same, (first / "report.json").string());
  CheckAgrees(ok, same, 0);
  CHECK(ok.output.find("No metric regressed against " + (first / "report.json").string() +
                       " (tolerance 10%, 1 scenario compared).") != std::string::npos);
}

TEST_CASE("Scenario ids do not depend on how the path is written; unmatched ones are reported",
          "[cli][verdict]") {
  // No scenario: key: the id comes from the file, the same absolute or relative.
  const std::string abs = Write("ids/unnamed.yaml",
                                "duration: 1d\nworld: {customers: {count: 80}}\n");
  const std::string rel = fs::relative(abs, fs::current_path()).string();
  const fs::path a = Dir() / "ids-abs", b = Dir() / "ids-rel";
  REQUIRE(Bpsim("run " + abs + " --out " + a.string()).exit_code == 0);
  CHECK(Read(a).report["scenarios"][0]["id"] == "unnamed");
  CommandResult matched = RunAgainst(rel, b, (a / "report.json").string());
  CheckAgrees(matched, b, 0);
  CHECK(Read(b).report["scenarios"][0]["id"] == "unnamed");
  CHECK(Read(b).report["baseline"]["compared"] == 1);

  // A baseline of another scenario: nothing compared, and every report says so.
  const std::string other = Write("errors.yaml", kErrors);
  const fs::path c = Dir() / "ids-unmatched";
  CommandResult unmatched = RunAgainst(other, c, (a / "report.json").string());
  CheckAgrees(unmatched, c, 0);
  CHECK(unmatched.output.find("No scenario of this run is in " + (a / "report.json").string() +
                              ": nothing was compared.") != std::string::npos);
  CHECK(unmatched.output.find("Not in the baseline, not compared: verdict/errors") !=
        std::string::npos);
  CHECK(unmatched.output.find("In the baseline but not in this run: unnamed") != std::string::npos);
  const Verdicts v = Read(c);
  CHECK(v.report["baseline"]["not_in_baseline"] == Json::array({"verdict/errors"}));
  CHECK(v.report["baseline"]["not_in_run"] == Json::array({"unnamed"}));
  CHECK(v.junit.find("<testcase name=\"baseline\" classname=\"verdict/errors\" time=\"0\">\n"
                     "      <skipped message=\"not in the baseline ") != std::string::npos);
  CHECK(v.summary_md.find("- in the baseline but not in this run: `unnamed`") != std::string::npos);

  // --baseline-strict: the same is a failure.
  const fs::path d = Dir() / "ids-strict";
  CommandResult strict = RunAgainst(other, d, (a / "report.json").string(), " --baseline-strict");
  CheckAgrees(strict, d, 1);
  CHECK(Read(d).junit.find("<failure message=\"unnamed is in the baseline ") != std::string::npos);
}

TEST_CASE("tolerance: --tolerance takes 10% or 0.10; a bare number above 1 is refused", "[cli][verdict]") {
  const std::string scenario = Write("errors.yaml", kErrors);
  CommandResult five = Bpsim("run " + scenario + " --baseline x.json --tolerance 5 --out " +
                             (Dir() / "t").string());
  CHECK(five.exit_code == 2);
  CHECK(five.output.rfind(
            "bpsim: ambiguous tolerance \"5\": a bare number is a fraction, so 5 means 500%; "
            "write 5% for 5 percent, or 500% if that is meant\n",
            0) == 0);
  CommandResult alone = Bpsim("run " + scenario + " --tolerance 10%");
  CHECK(alone.exit_code == 2);
  CHECK(alone.output.rfind("bpsim: --tolerance only applies with --baseline\n", 0) == 0);
}

TEST_CASE("A run over many files runs every valid one and reports each invalid one",
          "[cli][verdict]") {
  const std::string good = Write("many/a-good.yaml", kErrors);
  const std::string bad = Write("many/b-bad.yaml",
                                "scenario: verdict/bad\nduration: 1d\nworld:\n  customers: {count: 0}\n");
  const std::string also_good =
      Write("many/c-good.yaml", "scenario: verdict/also-good\nduration: 1d\n"
                                "world: {customers: {count: 60}}\n");
  (void)good;
  (void)also_good;
  const fs::path out = Dir() / "many-out";
  CommandResult r = Bpsim("run " + (Dir() / "many").string() + " --out " + out.string());
  CheckAgrees(r, out, 2);
  const std::string where = bad + ":4:22: world.customers.count:";
  CHECK(r.output.find(where) != std::string::npos);
  CHECK(r.output.find("PASS  verdict/errors") != std::string::npos);
  CHECK(r.output.find("PASS  verdict/also-good") != std::string::npos);
  const Verdicts v = Read(out);
  REQUIRE(v.report["scenarios"].size() == 3);
  const Json& entry = v.report["scenarios"][1];
  CHECK(entry["id"] == "b-bad");
  CHECK(entry["file"] == bad);
  CHECK(entry["verdict"] == "fail");
  CHECK(entry["error"].get<std::string>().rfind(where, 0) == 0);
  CHECK(v.report["summary"]["errors"] == 1);
  CHECK(v.report["scenarios"][0]["verdict"] == "pass");
  CHECK(v.report["scenarios"][2]["verdict"] == "pass");
  CHECK(v.junit.find("<testcase name=\"run\" classname=\"b-bad\" time=\"0\">\n      <error "
                     "message=\"" + where) != std::string::npos);
  CHECK(v.summary_md.find("| `b-bad` | **ERROR** |") != std::string::npos);
  CHECK(v.summary_md.find("2 of 3 scenarios passed, 1 could not run") != std::string::npos);
}

TEST_CASE("An interrupted run's reports say fail, as its exit code does", "[cli][verdict]") {
  const fs::path out = Dir() / "interrupted";
  pid_t pid = bpsim::testing::Spawn({"run", std::string(BPSIM_SOURCE_DIR) +
                                                "/scenarios/load/busy-week.yaml",
                                     "--out", out.string(), "--quiet"},
                                    (Dir() / "interrupted.log").string());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ::kill(pid, SIGINT);
  CommandResult r;
  r.exit_code = bpsim::testing::WaitExit(pid, std::chrono::seconds(60));
  CheckAgrees(r, out, 1);
  CHECK(Read(out).report["incomplete"] == true);
}

TEST_CASE("Usage errors write no reports at all", "[cli][verdict]") {
  const fs::path out = Dir() / "usage";
  CommandResult r = Bpsim("run " + Write("errors.yaml", kErrors) + " --out " + out.string() +
                          " --baseline " + (Dir() / "missing.json").string());
  CHECK(r.exit_code == 2);
  CHECK_FALSE(fs::exists(out / "report.json"));
  CHECK_FALSE(fs::exists(out / "junit.xml"));
}

TEST_CASE("A sweep's and a live run's reports state the verdict of their exit code",
          "[cli][verdict]") {
  const std::string scenario = Write("errors.yaml", kErrors);
  const fs::path pass = Dir() / "sweep-pass";
  CheckAgrees(Bpsim("sweep " + scenario + " --seeds 1..2 --jobs 2 --out " + pass.string()), pass,
              0);
  // A bound no seed meets fails every seed.
  const std::string bounded = Write("bounded.yaml", std::string(kErrors) +
                                                        "expect:\n  metrics:\n"
                                                        "    api_errors_500: {max: 0}\n");
  const fs::path fail = Dir() / "sweep-fail";
  CheckAgrees(Bpsim("sweep " + bounded + " --seeds 1..2 --jobs 2 --out " + fail.string()), fail, 1);
  // ... unless the sweep judges invariants only.
  const fs::path only = Dir() / "sweep-invariants-only";
  CommandResult r = Bpsim("sweep " + bounded + " --seeds 1..2 --jobs 2 --invariants-only --out " +
                          only.string());
  CheckAgrees(r, only, 0);
  CHECK(Read(only).report["sweep"]["invariants_only"] == true);
  CHECK(Read(only).summary_md.find("(invariants only: metric bounds and sometimes not judged)") !=
        std::string::npos);

  const fs::path live = Dir() / "serve-fail";
  CheckAgrees(Bpsim("serve " + bounded + " --listen 127.0.0.1:0 --time-scale 72000 --out " +
                    live.string()),
              live, 1);
}
