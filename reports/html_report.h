#pragma once
// report.html: one self-contained page for people (docs/report-format.md). Inline
// CSS and inline SVG drawn here; no fonts, images, scripts or styles are fetched,
// and the page is fully readable without scripting (a few lines of inline script
// only reveal "Copy" buttons next to repro commands).
//
// Contents: a header with the overall verdict and counts; a verdict table linking to
// one section per scenario; per scenario: description, tags, failed expectations,
// violations with their evidence chains, the repro command, all metrics, and four
// charts: alert latency histogram, API responses over time stacked by status (outage
// windows shaded and labelled, drain phase marked), consents by state over time, and
// violations on a timeline. Exactly kHtmlChartsPerScenario <svg> elements per
// scenario and none elsewhere.
//
// The markup is well-formed XML (XHTML-compatible HTML5), all text is escaped, and
// the output is a pure function of the report except the wall-clock figures.

#include <string>

#include "reports/result.h"

namespace bpsim::reports {

inline constexpr int kHtmlChartsPerScenario = 4;

std::string RenderHtmlReport(const RunReport& report);

}  // namespace bpsim::reports
