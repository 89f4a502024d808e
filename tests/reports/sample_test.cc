#include <catch2/catch.hpp>
#include <cstdlib>

#include "reports/html_report.h"
#include "reports/json_report.h"
#include "reports/junit.h"
#include "reports/summary.h"
#include "tests/reports/fixture.h"
#include "tests/reports/test_util.h"

using namespace bpsim::reports;

// Hidden: writes the fixture's reports to $BPSIM_SAMPLE_DIR (default /tmp) so a person
// can look at them, e.g. render report.html with headless chromium.
TEST_CASE("Write sample reports from the fixture", "[.sample]") {
  const char* dir_env = std::getenv("BPSIM_SAMPLE_DIR");
  const std::string dir = dir_env != nullptr ? dir_env : "/tmp";
  RunReport report = testing::MakeFixtureReport();
  // BPSIM_SAMPLE_ONLY=N keeps only scenario N (0-based), to look at one section.
  if (const char* only = std::getenv("BPSIM_SAMPLE_ONLY"); only != nullptr) {
    report.scenarios = {report.scenarios.at(std::stoul(only))};
  }
  testing::WriteText(dir + "/report.html", RenderHtmlReport(report));
  testing::WriteText(dir + "/report.json", RenderJsonReport(report));
  testing::WriteText(dir + "/junit.xml", RenderJUnit(report));
  testing::WriteText(dir + "/summary.md", RenderSummaryMarkdown(report));
  SUCCEED("written to " + dir);
}
