#pragma once
// report.json (README.md, docs/report-format.md): the machine-readable report that
// `--baseline` and `bpsim merge` read back. Format 1.
//
// The output is a pure function of the RunReport: keys in a fixed order, numbers
// printed the same way every time, so equal reports give byte-identical files,
// except the wall-clock figures, which appear only as "metrics.wall_seconds" of each
// scenario and "wall_clock.seconds" at the top level.

#include <string>

#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::reports {

inline constexpr int kJsonReportFormat = 1;

// Renders the report as pretty-printed JSON (2-space indent, trailing newline).
std::string RenderJsonReport(const RunReport& report);

// Reads a report written by RenderJsonReport. Fails with a message that says what is
// wrong and where, e.g. "not a bpsim report: scenarios[1].seed: expected an unsigned
// integer" or "report format 2 is not supported (this bpsim reads format 1)".
// The wall-clock figures are read back into wall_seconds.
Result<RunReport> ParseJsonReport(const std::string& text);

// Reads the file at `path` and parses it; the error names the path ("PATH: cannot
// read: REASON" or "PATH: " and ParseJsonReport's message).
Result<RunReport> ReadJsonReportFile(const std::string& path);

}  // namespace bpsim::reports
