#pragma once
// summary.md: a short Markdown digest for a CI step summary or a PR comment
// (docs/report-format.md). A headline, one table row per scenario (verdict as
// **PASS** / **FAIL**, violations, key metrics, wall time), then for each failed
// scenario (at most kSummaryMaxFailedDetailed of them) its failed expectations, its
// first kSummaryMaxViolations violations and the repro command. Text from the run is
// escaped so it cannot break the table or inject HTML.

#include <cstddef>
#include <string>

#include "reports/result.h"

namespace bpsim::reports {

inline constexpr std::size_t kSummaryMaxFailedDetailed = 10;
inline constexpr std::size_t kSummaryMaxViolations = 3;
// A sweep (RunReport::sweep) with more seeds than this lists only failed seeds (at
// most this many) in the table, after its sweep section.
inline constexpr std::size_t kSummarySweepMaxRows = 50;

std::string RenderSummaryMarkdown(const RunReport& report);

}  // namespace bpsim::reports
