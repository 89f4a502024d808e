#include "reports/summary.h"

#include <catch2/catch.hpp>

#include "tests/reports/fixture.h"

using namespace bpsim::reports;
using namespace bpsim::reports::testing;

TEST_CASE("RenderSummaryMarkdown gives a headline, a table and the first violations",
          "[reports][summary]") {
  const std::string md = RenderSummaryMarkdown(MakeFixtureReport());
  CHECK(md ==
        "## bpsim 0.1.0: **FAIL** - 2 of 3 scenarios passed\n"
        "\n"
        "| Scenario | Verdict | Violations | Alert p99 | Alerts lost | Balances answered | API "
        "requests | Wall time |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|\n"
        "| `consent/grant-and-read` | **PASS** | 0 | 4.2s | 0 | 8890 | 31884 | 840ms |\n"
        "| `data-sharing/partner-leak` | **FAIL** | 4 | 38.5s | 3 | 8890 | 31925 | 1.37s |\n"
        "| `outages/bank-a-503-storm` | **PASS** | 0 | 12.5s | 0 | 8890 | 31883 | 2.05s |\n"
        "\n"
        "### `data-sharing/partner-leak` failed\n"
        "\n"
        "- expectation `revocation-honoured` not met: fired 2 times; not expected\n"
        "- expectation `no-third-party-sharing` not met: fired 1 time; not expected\n"
        "- expectation `never-ads-balance` not met: fired 1 time; not expected\n"
        "- expectation `metric:alerts_lost` not met: measured 3, max 0\n"
        "- expectation `verdict` not met: expected pass, got fail\n"
        "- `revocation-honoured` at 2d 3h 35m, customer 7: platform requested balances under "
        "consent 42 after its revocation (grace 5m)\n"
        "- `no-third-party-sharing` at 3d 9h, customer 12: balance of customer 12 "
        "reached sink "
        "partner:\"cashback\" &lt;ad-network&gt;\n"
        "- `revocation-honoured` at 5d 14h, customer 31: cached transactions under "
        "consent 88 "
        "not purged within 1h of revocation\n"
        "- ... and 1 more violation(s)\n"
        "\n"
        "Reproduce: `bpsim replay scenarios/data-sharing/partner-leak.yaml --seed 7`\n");
}

TEST_CASE("RenderSummaryMarkdown stays short for 40 scenarios", "[reports][summary]") {
  RunReport report = MakeFixtureReport();
  const std::vector<ScenarioResult> base = report.scenarios;
  report.scenarios.clear();
  for (int i = 0; i < 40; ++i) {
    report.scenarios.push_back(base[static_cast<size_t>(i) % 3]);
    report.scenarios.back().id += '-';
    report.scenarios.back().id += std::to_string(i);
    report.scenarios.back().passed = i % 2 == 0;
  }
  const std::string md = RenderSummaryMarkdown(report);
  CHECK_THAT(md, Catch::Contains("**FAIL** - 20 of 40 scenarios passed"));
  CHECK_THAT(md, Catch::Contains("\n10 more failed scenario(s): see report.html or junit.xml.\n"));
  CHECK(std::count(md.begin(), md.end(), '\n') < 200);
  CHECK(md == RenderSummaryMarkdown(report));
}

TEST_CASE("RenderSummaryMarkdown escapes table pipes and HTML in run text", "[reports][summary]") {
  RunReport report = MakeFixtureReport();
  report.scenarios[1].violations[0].message = "a | b <img src=x> *bold*\nnext";
  const std::string md = RenderSummaryMarkdown(report);
  CHECK_THAT(md, Catch::Contains("a \\| b &lt;img src=x&gt; \\*bold\\* next"));
}
