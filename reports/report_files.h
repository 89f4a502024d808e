#pragma once
// Writes a run's four report files (report.json, junit.xml, summary.md,
// report.html) into a directory, each atomically (reports/files.h). Shared by every
// command that produces reports (run, replay, sweep, merge, serve).

#include <string>

#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::reports {

// Stops at the first file that cannot be written and returns its error.
Result<bool> WriteReportFiles(const RunReport& report, const std::string& dir);

}  // namespace bpsim::reports
