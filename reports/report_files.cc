#include "reports/report_files.h"

#include <filesystem>

#include "reports/files.h"
#include "reports/html_report.h"
#include "reports/json_report.h"
#include "reports/junit.h"
#include "reports/summary.h"

namespace bpsim::reports {

Result<bool> WriteReportFiles(const RunReport& report, const std::string& dir) {
  struct Output {
    const char* name;
    std::string content;
  };
  const Output outputs[] = {{"report.json", RenderJsonReport(report)},
                            {"junit.xml", RenderJUnit(report)},
                            {"summary.md", RenderSummaryMarkdown(report)},
                            {"report.html", RenderHtmlReport(report)}};
  for (const Output& o : outputs) {
    auto written = WriteFileAtomically((std::filesystem::path(dir) / o.name).string(), o.content);
    if (!written.ok()) return written;
  }
  return true;
}

}  // namespace bpsim::reports
