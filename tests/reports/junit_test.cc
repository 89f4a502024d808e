#include "reports/junit.h"

#include <catch2/catch.hpp>

#include "reports/text.h"
#include "tests/reports/fixture.h"
#include "tests/reports/test_util.h"

using namespace bpsim;
using namespace bpsim::reports;
using namespace bpsim::reports::testing;

namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Validates `xml` against the committed junit-10.xsd with xmllint (Debian package
// libxml2-utils). Fails, does not skip, without xmllint.
void RequireValidJUnit(const std::string& xml) {
  REQUIRE(HaveXmllint());
  TempDir dir;
  const std::string path = dir.path() + "/junit.xml";
  WriteText(path, xml);
  const CommandResult r = RunCommand(
      "xmllint --noout --schema " BPSIM_SOURCE_DIR "/reports/schema/junit-10.xsd " + path);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("RenderJUnit output validates against the Jenkins junit-10 schema", "[reports][junit]") {
  RequireValidJUnit(RenderJUnit(MakeFixtureReport()));
}

TEST_CASE("RenderJUnit is byte-identical for identical input", "[reports][junit]") {
  CHECK(RenderJUnit(MakeFixtureReport()) == RenderJUnit(MakeFixtureReport()));
}

TEST_CASE("RenderJUnit has one testsuite per scenario and one testcase per check",
          "[reports][junit]") {
  const std::string xml = RenderJUnit(MakeFixtureReport());
  CHECK(Count(xml, "<testsuite ") == 3);
  CHECK(Count(xml, "<testcase ") == 6 + 7 + 4);
  CHECK(Count(xml, "<failure ") == 5);
  CHECK_THAT(
      xml,
      Catch::Contains(
          "<testsuites name=\"bpsim\" tests=\"17\" failures=\"5\" errors=\"0\" time=\"4.310\">"));
  CHECK_THAT(
      xml,
      Catch::Contains(
          "<testsuite name=\"data-sharing/partner-leak\" tests=\"7\" failures=\"5\" errors=\"0\" "
          "skipped=\"0\" time=\"1.370\" file=\"scenarios/data-sharing/partner-leak.yaml\">"));
  CHECK_THAT(xml, Catch::Contains("<testcase name=\"metric:fraud_alert_latency_p99\" "
                                  "classname=\"consent/grant-and-read\" time=\"0\"/>"));
  CHECK_THAT(xml, Catch::Contains("<testcase name=\"sometimes:consent-revoked-in-bank\" "
                                  "classname=\"consent/grant-and-read\" time=\"0\"/>"));
}

TEST_CASE("RenderJUnit failures carry the evidence chain and the repro command",
          "[reports][junit]") {
  const std::string xml = RenderJUnit(MakeFixtureReport());
  CHECK_THAT(xml,
             Catch::Contains(
                 "<failure message=\"fired 2 times; not expected\" type=\"invariant\">fired 2 "
                 "times; not expected\n"
                 "\n[2d 3h 35m] revocation-honoured (customer 7): platform requested "
                 "balances under consent 42 "
                 "after its revocation (grace 5m)\n"
                 "    1d 21h 15m  consent.granted consent 42 of customer 7 (scopes balances, "
                 "transactions)\n"
                 "    2d 3h 15m  consent.revoked consent 42 of customer 7 (via bank)\n"));
  CHECK_THAT(xml, Catch::Contains("\nReproduce: bpsim replay "
                                  "scenarios/data-sharing/partner-leak.yaml --seed 7\n</failure>"));
  CHECK_THAT(xml, Catch::Contains("<failure message=\"measured 3, max 0\" type=\"metric\">"));
  CHECK_THAT(xml, Catch::Contains("sink.partner:cashback received flow 9001 &amp; derived 9002"));
}

TEST_CASE("RenderJUnit reports a scenario error as an <error> testcase", "[reports][junit]") {
  RunReport report = MakeFixtureReport();
  report.scenarios[2].error =
      "scenarios/outages/bank-a-503-storm.yaml:12:5: unknown bank \"bank-z\"";
  report.scenarios[2].passed = false;
  report.scenarios[0].incomplete = true;
  const std::string xml = RenderJUnit(report);
  CHECK_THAT(
      xml,
      Catch::Contains(
          "<testsuite name=\"outages/bank-a-503-storm\" tests=\"5\" failures=\"0\" errors=\"1\""));
  CHECK_THAT(xml, Catch::Contains("<error message=\"scenarios/outages/bank-a-503-storm.yaml:12:5: "
                                  "unknown bank &quot;bank-z&quot;\" "
                                  "type=\"scenario-error\">"));
  CHECK_THAT(xml, Catch::Contains(
                      "<error message=\"run interrupted before the end\" type=\"incomplete\">"));
  CHECK_THAT(xml, Catch::Contains("errors=\"2\""));
  RequireValidJUnit(xml);
}

TEST_CASE("RenderJUnit shows every baseline outcome as testcases, and validates",
          "[reports][junit]") {
  RunReport report = MakeFixtureReport();
  BaselineGate gate;
  gate.file = "old/report.json";
  gate.tolerance = 0.1;
  gate.strict = true;
  gate.compared = 2;
  gate.regressions.push_back({"data-sharing/partner-leak", "api_errors_500", 29, 35, 6.0 / 29});
  gate.not_in_baseline.push_back(report.scenarios[2].id);
  gate.not_in_run.push_back("gone/scenario");
  report.baseline = gate;
  report.incomplete = true;  // interrupted between scenarios
  const std::string xml = RenderJUnit(report);
  CHECK_THAT(xml, Catch::Contains(
                      "<testcase name=\"baseline:api_errors_500\" classname=\"data-sharing/"
                      "partner-leak\" time=\"0\">\n      <failure message=\"api_errors_500 rose "
                      "from 29 to 35 (+20.7%, tolerance 10.0%)\" type=\"baseline\">"));
  CHECK_THAT(xml, Catch::Contains("baseline: old/report.json (old 29, new 35, change +20.7%, "
                                  "tolerance 10.0%)"));
  CHECK_THAT(xml, Catch::Contains("<testcase name=\"baseline\" classname=\"" +
                                  report.scenarios[2].id +
                                  "\" time=\"0\">\n      <failure message=\"not in the baseline "
                                  "old/report.json: not compared\" type=\"baseline\">"));
  CHECK_THAT(xml, Catch::Contains("<testsuite name=\"baseline\" tests=\"1\" failures=\"1\""));
  CHECK_THAT(xml, Catch::Contains("<failure message=\"gone/scenario is in the baseline "
                                  "old/report.json but not in this run\" type=\"baseline\">"));
  CHECK_THAT(xml, Catch::Contains("<testsuite name=\"run\" tests=\"1\" failures=\"0\" "
                                  "errors=\"1\""));
  RequireValidJUnit(xml);
  // Without --baseline-strict, unmatched scenarios are skipped, not failed.
  report.baseline->strict = false;
  const std::string lax = RenderJUnit(report);
  CHECK_THAT(lax, Catch::Contains("<skipped message=\"gone/scenario is in the baseline"));
  CHECK_THAT(lax, Catch::Contains("<testsuite name=\"baseline\" tests=\"1\" failures=\"0\" "
                                  "errors=\"0\" skipped=\"1\""));
  RequireValidJUnit(lax);
}

TEST_CASE("RenderJUnit escapes markup and replaces characters XML 1.0 forbids",
          "[reports][junit]") {
  RunReport report = MakeFixtureReport();
  ScenarioResult& s = report.scenarios[1];
  s.id = "weird/<id> & \"quotes\"";
  s.checks[1].detail = std::string("bell\x07 nul") + '\0' + " esc\x1b bad-utf8 \xC3\x28 ]]> end";
  s.violations[0].message = "<script>alert('x')</script>";
  const std::string xml = RenderJUnit(report);
  CHECK_THAT(xml, Catch::Contains("name=\"weird/&lt;id&gt; &amp; &quot;quotes&quot;\""));
  CHECK_THAT(
      xml,
      Catch::Contains(
          "bell\xEF\xBF\xBD nul\xEF\xBF\xBD esc\xEF\xBF\xBD bad-utf8 \xEF\xBF\xBD( ]]&gt; end"));
  CHECK_THAT(xml, Catch::Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  CHECK(xml.find('\x07') == std::string::npos);
  RequireValidJUnit(xml);
}

TEST_CASE("RenderJUnit caps the violations listed in one failure", "[reports][junit]") {
  RunReport report = MakeFixtureReport();
  ScenarioResult& s = report.scenarios[1];
  const Violation v = s.violations[0];
  for (int i = 0; i < 25; ++i) s.violations.push_back(v);
  const std::string xml = RenderJUnit(report);
  CHECK_THAT(xml, Catch::Contains("... and 17 more violation(s)\n"));
}

TEST_CASE("XmlEscape keeps valid UTF-8 and tab, newline, carriage return", "[reports][junit]") {
  CHECK(XmlEscape("caf\xC3\xA9 \xE2\x89\xA4 \xF0\x9F\x98\x80") ==
        "caf\xC3\xA9 \xE2\x89\xA4 \xF0\x9F\x98\x80");
  CHECK(XmlEscape("a\tb\nc\rd") == "a\tb\nc&#13;d");
  CHECK(XmlEscapeAttribute("a\tb\nc\rd") == "a&#9;b&#10;c&#13;d");
  CHECK(XmlEscape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}
