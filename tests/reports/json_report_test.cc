#include "reports/json_report.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tests/reports/fixture.h"

using namespace bpsim;
using namespace bpsim::reports;
using bpsim::reports::testing::MakeFixtureReport;

namespace {

void RequireSameScenario(const ScenarioResult& a, const ScenarioResult& b) {
  CHECK(a.id == b.id);
  CHECK(a.file == b.file);
  CHECK(a.description == b.description);
  CHECK(a.tags == b.tags);
  CHECK(a.seed == b.seed);
  CHECK(a.passed == b.passed);
  CHECK(a.incomplete == b.incomplete);
  CHECK(a.error == b.error);
  CHECK(a.repro == b.repro);
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.wall_seconds == b.wall_seconds);
  // Duration metrics are written rounded to the nanosecond (no float noise); the
  // rest exactly.
  REQUIRE(a.metrics.size() == b.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    CHECK(a.metrics[i].first == b.metrics[i].first);
    if (IsDurationMetric(a.metrics[i].first)) {
      CHECK(std::fabs(a.metrics[i].second - b.metrics[i].second) < 1e-9);
    } else {
      CHECK(a.metrics[i].second == b.metrics[i].second);
    }
  }
  REQUIRE(a.violations.size() == b.violations.size());
  for (size_t i = 0; i < a.violations.size(); ++i) {
    CHECK(a.violations[i].invariant == b.violations[i].invariant);
    CHECK(a.violations[i].time == b.violations[i].time);
    CHECK(a.violations[i].subject == b.violations[i].subject);
    CHECK(a.violations[i].message == b.violations[i].message);
    REQUIRE(a.violations[i].evidence.size() == b.violations[i].evidence.size());
    for (size_t k = 0; k < a.violations[i].evidence.size(); ++k) {
      CHECK(a.violations[i].evidence[k].time == b.violations[i].evidence[k].time);
      CHECK(a.violations[i].evidence[k].text == b.violations[i].evidence[k].text);
    }
  }
  REQUIRE(a.checks.size() == b.checks.size());
  for (size_t i = 0; i < a.checks.size(); ++i) {
    CHECK(a.checks[i].name == b.checks[i].name);
    CHECK(a.checks[i].passed == b.checks[i].passed);
    CHECK(a.checks[i].detail == b.checks[i].detail);
    CHECK(a.checks[i].fired == b.checks[i].fired);
  }
  CHECK(a.timeline.bucket_width == b.timeline.bucket_width);
  CHECK(a.timeline.end == b.timeline.end);
  CHECK(a.timeline.drain_start == b.timeline.drain_start);
  CHECK(a.timeline.api_by_status == b.timeline.api_by_status);
  CHECK(a.timeline.consents_by_state == b.timeline.consents_by_state);
  REQUIRE(a.timeline.outages.size() == b.timeline.outages.size());
  for (size_t i = 0; i < a.timeline.outages.size(); ++i) {
    CHECK(a.timeline.outages[i].target == b.timeline.outages[i].target);
    CHECK(a.timeline.outages[i].mode == b.timeline.outages[i].mode);
    CHECK(a.timeline.outages[i].start == b.timeline.outages[i].start);
    CHECK(a.timeline.outages[i].end == b.timeline.outages[i].end);
  }
  CHECK(a.alert_latency.upper_bounds_seconds == b.alert_latency.upper_bounds_seconds);
  CHECK(a.alert_latency.counts == b.alert_latency.counts);
}

}  // namespace

TEST_CASE("RenderJsonReport is byte-identical for identical input", "[reports][json]") {
  CHECK(RenderJsonReport(MakeFixtureReport()) == RenderJsonReport(MakeFixtureReport()));
}

TEST_CASE("RenderJsonReport differs only in wall-clock fields when only wall time differs",
          "[reports][json]") {
  RunReport a = MakeFixtureReport();
  RunReport b = MakeFixtureReport();
  b.wall_seconds = 99;
  for (ScenarioResult& s : b.scenarios) s.wall_seconds = 12.5;
  auto strip = [](const std::string& text) {
    auto j = nlohmann::ordered_json::parse(text);
    j.erase("wall_clock");
    for (auto& s : j["scenarios"]) s["metrics"].erase("wall_seconds");
    return j.dump();
  };
  CHECK(RenderJsonReport(a) != RenderJsonReport(b));
  CHECK(strip(RenderJsonReport(a)) == strip(RenderJsonReport(b)));
}

TEST_CASE("RenderJsonReport writes the stable core of format 1", "[reports][json]") {
  const auto j = nlohmann::ordered_json::parse(RenderJsonReport(MakeFixtureReport()));
  CHECK(j["format"] == 1);
  CHECK(j["bpsim"] == "0.1.0");
  REQUIRE(j["scenarios"].size() == 3);
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"format", "bpsim", "command", "verdict", "incomplete",
                                         "summary", "scenarios", "wall_clock"});
  const auto& failing = j["scenarios"][1];
  CHECK(failing["id"] == "data-sharing/partner-leak");
  CHECK(failing["verdict"] == "fail");
  CHECK(j["scenarios"][0]["verdict"] == "pass");
  CHECK(failing["seed"] == 7);
  CHECK(failing["trace_hash"] == "00f1e2d3c4b5a697");
  const auto& v = failing["violations"][0];
  CHECK(v["invariant"] == "revocation-honoured");
  CHECK(v["time"] == 185700.0);  // 2d 03:35:00
  CHECK(v["at"] == "2d 3h 35m");
  CHECK(v["subject"] == 7);
  CHECK(v["evidence"].size() == 4);
  CHECK(v["evidence"][1]["text"] == "consent.revoked consent 42 of customer 7 (via bank)");
  CHECK(failing["expectations"][1]["name"] == "revocation-honoured");
  CHECK(failing["expectations"][1]["passed"] == false);
  CHECK(failing["expectations"][1]["fired"] == 2);
  CHECK(failing["metrics"]["fraud_alert_latency_p99"] == 38.5);
  CHECK(failing["metrics"]["wall_seconds"] == 1.37);
  CHECK(j["wall_clock"]["seconds"] == 4.31);
  CHECK(j["summary"]["failed"] == 1);
}

TEST_CASE("report.json writes duration metrics without float noise and instants in exact ns",
          "[reports][json]") {
  RunReport report = MakeFixtureReport();
  // 4.2 * 3.5 is 14.700000000000001 in binary floating point.
  const std::string text = RenderJsonReport(report);
  CHECK(text.find("\"fraud_alert_latency_max\": 14.7,") != std::string::npos);
  CHECK(text.find("14.700000000000001") == std::string::npos);
  CHECK(text.find("\"time\": 185700.0,\n          \"time_ns\": 185700000000000,\n"
                  "          \"at\": \"2d 3h 35m\"") != std::string::npos);
}

TEST_CASE("ParseJsonReport reads back what RenderJsonReport wrote", "[reports][json]") {
  const RunReport original = MakeFixtureReport();
  const std::string text = RenderJsonReport(original);
  Result<RunReport> parsed = ParseJsonReport(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->bpsim_version == original.bpsim_version);
  CHECK(parsed->command == original.command);
  CHECK(parsed->wall_seconds == original.wall_seconds);
  REQUIRE(parsed->scenarios.size() == original.scenarios.size());
  for (size_t i = 0; i < original.scenarios.size(); ++i) {
    RequireSameScenario(parsed->scenarios[i], original.scenarios[i]);
  }
  CHECK(RenderJsonReport(parsed.value()) == text);
}

TEST_CASE("ParseJsonReport rejects text that is not JSON", "[reports][json]") {
  Result<RunReport> r = ParseJsonReport("{\"format\": 1,");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith("not a bpsim report: invalid JSON: "));
}

TEST_CASE("ParseJsonReport rejects another format version", "[reports][json]") {
  Result<RunReport> r = ParseJsonReport(R"({"format": 2, "bpsim": "9.0", "scenarios": []})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "report format 2 is not supported (this bpsim reads format 1)");
}

TEST_CASE("ParseJsonReport names the missing or mistyped field", "[reports][json]") {
  Result<RunReport> no_format = ParseJsonReport(R"({"scenarios": []})");
  REQUIRE_FALSE(no_format.ok());
  CHECK(no_format.error().message == "not a bpsim report: top level: missing \"format\"");

  Result<RunReport> array = ParseJsonReport("[1, 2]");
  REQUIRE_FALSE(array.ok());
  CHECK(array.error().message == "not a bpsim report: top level: expected an object");

  auto j = nlohmann::ordered_json::parse(RenderJsonReport(MakeFixtureReport()));
  j["scenarios"][1]["seed"] = "seven";
  Result<RunReport> bad_seed = ParseJsonReport(j.dump());
  REQUIRE_FALSE(bad_seed.ok());
  CHECK(bad_seed.error().message ==
        "not a bpsim report: scenarios[1].seed: expected an unsigned integer");

  j = nlohmann::ordered_json::parse(RenderJsonReport(MakeFixtureReport()));
  j["scenarios"][0]["verdict"] = "maybe";
  Result<RunReport> bad_verdict = ParseJsonReport(j.dump());
  REQUIRE_FALSE(bad_verdict.ok());
  CHECK(bad_verdict.error().message ==
        "not a bpsim report: scenarios[0].verdict: expected \"pass\" or \"fail\", got \"maybe\"");

  j = nlohmann::ordered_json::parse(RenderJsonReport(MakeFixtureReport()));
  j["scenarios"][1]["violations"][0]["evidence"][2].erase("text");
  Result<RunReport> no_text = ParseJsonReport(j.dump());
  REQUIRE_FALSE(no_text.ok());
  CHECK(no_text.error().message ==
        "not a bpsim report: scenarios[1].violations[0].evidence[2]: missing \"text\"");
}

TEST_CASE("ParseJsonReport accepts a latency histogram with an overflow bucket",
          "[reports][json]") {
  RunReport report = MakeFixtureReport();
  report.scenarios[0].alert_latency.counts.push_back(5);  // values above the last bound
  Result<RunReport> parsed = ParseJsonReport(RenderJsonReport(report));
  REQUIRE(parsed.ok());
  CHECK(parsed->scenarios[0].alert_latency.counts == report.scenarios[0].alert_latency.counts);

  report.scenarios[0].alert_latency.counts.push_back(6);
  Result<RunReport> bad = ParseJsonReport(RenderJsonReport(report));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "not a bpsim report: scenarios[0].alert_latency: expected as many \"counts\" as "
        "\"upper_bounds_seconds\", or one more (overflow)");
}
