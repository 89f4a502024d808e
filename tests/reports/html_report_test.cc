#include "reports/html_report.h"

#include <catch2/catch.hpp>
#include <regex>

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

RunReport FortyScenarios() {
  RunReport report = MakeFixtureReport();
  const std::vector<ScenarioResult> base = report.scenarios;
  report.scenarios.clear();
  for (int i = 0; i < 40; ++i) {
    ScenarioResult s = base[static_cast<size_t>(i) % 3];
    s.id += '-';
    s.id += std::to_string(i);
    if (!s.passed) {  // 12 violations each for the failing ones
      const std::vector<Violation> v = s.violations;
      s.violations.insert(s.violations.end(), v.begin(), v.end());
      s.violations.insert(s.violations.end(), v.begin(), v.end());
    }
    report.scenarios.push_back(std::move(s));
  }
  return report;
}

}  // namespace

TEST_CASE("RenderHtmlReport is well-formed XML", "[reports][html]") {
  REQUIRE(HaveXmllint());  // Debian package libxml2-utils
  TempDir dir;
  const std::string path = dir.path() + "/report.html";
  WriteText(path, RenderHtmlReport(MakeFixtureReport()));
  const CommandResult r = RunCommand("xmllint --noout " + path);
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

TEST_CASE("RenderHtmlReport draws one svg per chart per scenario", "[reports][html]") {
  const std::string html = RenderHtmlReport(MakeFixtureReport());
  CHECK(Count(html, "<svg") == 3 * kHtmlChartsPerScenario);
  CHECK(Count(html, "aria-label=\"Fraud alert latency (detection to display)\"") == 3);
  CHECK(Count(html, "aria-label=\"API responses by status\"") == 3);
  CHECK(Count(html, "aria-label=\"Consents by state\"") == 3);
  CHECK(Count(html, "aria-label=\"Violations over time\"") == 3);
}

TEST_CASE("RenderHtmlReport references nothing outside the file", "[reports][html]") {
  const std::string html = RenderHtmlReport(MakeFixtureReport());
  std::string without_svg_ns = html;
  const std::string ns = "xmlns=\"http://www.w3.org/2000/svg\"";
  for (size_t at = without_svg_ns.find(ns); at != std::string::npos; at = without_svg_ns.find(ns)) {
    without_svg_ns.erase(at, ns.size());
  }
  CHECK(without_svg_ns.find("http://") == std::string::npos);
  CHECK(without_svg_ns.find("https://") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
}

TEST_CASE("RenderHtmlReport shows violations, evidence, failed expectations and repro",
          "[reports][html]") {
  const std::string html = RenderHtmlReport(MakeFixtureReport());
  CHECK_THAT(html,
             Catch::Contains(
                 "platform requested balances under consent 42 after its revocation (grace 5m)"));
  CHECK_THAT(
      html,
      Catch::Contains(
          "balance of customer 12 reached sink partner:&quot;cashback&quot; &lt;ad-network&gt;"));
  CHECK_THAT(html, Catch::Contains(
                       "cached transactions under consent 88 not purged within 1h of revocation"));
  CHECK_THAT(html,
             Catch::Contains("rule never-ads-balance: flow of kind balance reached sink ads"));
  CHECK_THAT(
      html,
      Catch::Contains(
          "<li class=\"offending\"><span class=\"t mono\">2d 3h 35m</span> api.request GET "
          "/accounts/acc-7/balances under consent 42</li>"));
  CHECK_THAT(html, Catch::Contains(
                       "<td class=\"check-name\"><code>metric:alerts_lost</code></td><td>measured "
                       "3, max 0</td>"));
  CHECK_THAT(html,
             Catch::Contains("<pre class=\"repro\"><code>bpsim replay "
                             "scenarios/data-sharing/partner-leak.yaml --seed 7</code></pre>"));
  CHECK_THAT(html, Catch::Contains("A buggy connector keeps polling after revocation &amp; "
                                   "forwards balances to a &lt;partner&gt; sink."));
  CHECK_THAT(html, Catch::Contains("<span class=\"tag\">regression</span>"));
  CHECK_THAT(html, Catch::Contains("bank-a 503"));
  CHECK_THAT(html, Catch::Contains("bank-a timeout"));
  CHECK_THAT(html, Catch::Contains(">drain</text>"));
  CHECK_THAT(html, Catch::Contains("<title>FAIL - bpsim report (3 scenarios)</title>"));
}

TEST_CASE("RenderHtmlReport is byte-identical for identical input", "[reports][html]") {
  CHECK(RenderHtmlReport(MakeFixtureReport()) == RenderHtmlReport(MakeFixtureReport()));
}

TEST_CASE("RenderHtmlReport escapes hostile text and stays well-formed", "[reports][html]") {
  RunReport report = MakeFixtureReport();
  report.scenarios[1].id = "x\"><script>alert(1)</script>";
  report.scenarios[1].violations[0].evidence[0].text = "</li></ol><b>& \x01";
  report.scenarios[1].timeline.outages.push_back({"<bank>", "\"503\"", 3 * kDay, 4 * kDay});
  const std::string html = RenderHtmlReport(report);
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK_THAT(html, Catch::Contains("&lt;/li&gt;&lt;/ol&gt;&lt;b&gt;&amp; \xEF\xBF\xBD"));
  REQUIRE(HaveXmllint());
  TempDir dir;
  WriteText(dir.path() + "/r.html", html);
  const CommandResult r = RunCommand("xmllint --noout " + dir.path() + "/r.html");
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

TEST_CASE("RenderHtmlReport draws empty charts for a scenario without data", "[reports][html]") {
  RunReport report;
  report.bpsim_version = "0.1.0";
  ScenarioResult s;
  s.id = "empty";
  s.error = "scenarios/empty.yaml:1:1: expected a mapping";
  s.passed = false;
  report.scenarios.push_back(s);
  const std::string html = RenderHtmlReport(report);
  CHECK(Count(html, "<svg") == kHtmlChartsPerScenario);
  CHECK_THAT(html, Catch::Contains("no fraud alerts were displayed"));
  CHECK_THAT(html, Catch::Contains("no API traffic recorded"));
  CHECK_THAT(html, Catch::Contains("<b>Error:</b> scenarios/empty.yaml:1:1: expected a mapping"));
}

TEST_CASE("RenderHtmlReport stays under 2 MB for 40 scenarios", "[reports][html]") {
  const std::string html = RenderHtmlReport(FortyScenarios());
  CHECK(html.size() < 2'000'000);
  CHECK(Count(html, "<svg") == 40 * kHtmlChartsPerScenario);
}
