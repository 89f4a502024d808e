#include "reports/summary.h"

#include "reports/baseline.h"
#include "reports/key_metrics.h"
#include "reports/sweep_summary.h"
#include "reports/text.h"

namespace bpsim::reports {
namespace {

// Escapes text for a Markdown table cell or list item: no line breaks, no table
// pipes, no raw HTML, no emphasis or code markers.
std::string Md(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '*':
      case '_':
      case '`':
      case '[':
      case ']':
      case '\\':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Inline code that survives backticks inside the text (CommonMark: a longer fence).
std::string Code(const std::string& text) {
  std::string flat;
  for (char c : text) flat += (c == '\n' || c == '\r') ? ' ' : c;
  const std::string fence = flat.find('`') == std::string::npos ? "`" : "`` ";
  const std::string close = fence == "`" ? "`" : " ``";
  return fence + flat + close;
}

// The sweep section: range, verdict counts, metric percentiles across seeds and the
// first failing seeds with their repro commands.
std::string SweepSection(const SweepInfo& info, const std::vector<ScenarioResult>& results) {
  const SweepSummary summary = SummarizeSweep(results);
  std::string out = "### Sweep of " + Code(info.scenario) + ", seeds " +
                    std::to_string(info.first_seed) + ".." + std::to_string(info.last_seed);
  if (info.swarm) out += " (swarm)";
  if (info.invariants_only) out += " (invariants only: metric bounds and sometimes not judged)";
  if (info.shard_count > 1) {
    out += ", shard " + std::to_string(info.shard_index) + "/" + std::to_string(info.shard_count);
  }
  out += "\n\n" + std::to_string(summary.runs) + " runs: " + std::to_string(summary.passed) +
         " passed, " + std::to_string(summary.failed) + " failed";
  if (summary.errors > 0) out += " (" + std::to_string(summary.errors) + " with errors)";
  if (summary.incomplete > 0) out += ", " + std::to_string(summary.incomplete) + " incomplete";
  out += ".\n\n| Metric | Seeds | min | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (const MetricSpread& m : summary.metrics) {
    out += "| ";
    out += Code(m.name);
    out += " | " + std::to_string(m.runs);
    for (double v : {m.min, m.p50, m.p90, m.p99, m.max}) {
      out += " | ";
      out += DescribeMetric(m.name, v);
    }
    out += " |\n";
  }
  if (!summary.failed_checks.empty()) {
    out += "\n| Failed check | Seeds |\n|---|---:|\n";
    for (const FailedCheck& f : summary.failed_checks) {
      out += "| " + Code(f.name) + " | " + std::to_string(f.seeds) + " |\n";
    }
  }
  if (!summary.first_failures.empty()) {
    out += "\nFirst failing seeds:\n\n";
    for (const SweepFailure& f : summary.first_failures) {
      out += "- seed " + std::to_string(f.seed) + ": " + Code(f.repro) + "\n";
    }
  }
  return out + "\n";
}

// The baseline gate: what was compared, one row per regression, and the scenarios
// on one side only.
std::string BaselineSection(const BaselineGate& gate) {
  std::string out = "### Baseline " + Code(gate.file) + "\n\n" + Md(DescribeGate(gate)) + "\n";
  const std::vector<RegressionRow> rows = RegressionRows(gate);
  if (!rows.empty()) {
    out += "\n| Scenario | Metric | Old | New | Change | Tolerance |\n"
           "|---|---|---:|---:|---:|---:|\n";
    for (const RegressionRow& r : rows) {
      out += "| " + Code(r.scenario) + " | " + Code(r.metric) + " | " + r.old_value + " | " +
             r.new_value + " | " + Md(r.change) + " | " + r.tolerance + " |\n";
    }
  }
  const std::string consequence = gate.strict ? " (fails: --baseline-strict)" : "";
  if (gate.unmatched()) out += "\n";
  for (const std::string& id : gate.not_in_baseline) {
    out += "- not in the baseline, not compared: " + Code(id) + consequence + "\n";
  }
  for (const std::string& id : gate.not_in_run) {
    out += "- in the baseline but not in this run: " + Code(id) + consequence + "\n";
  }
  return out + "\n";
}

std::string Headline(const RunReport& report) {
  size_t passed = 0, errors = 0;
  for (const ScenarioResult& s : report.scenarios) {
    passed += s.passed ? 1 : 0;
    errors += CouldNotRun(s) ? 1 : 0;
  }
  const RunVerdict verdict = VerdictOf(report);
  std::string out = "## bpsim " + Md(report.bpsim_version) + ": " +
                    (verdict == RunVerdict::kPass   ? "**PASS**"
                     : verdict == RunVerdict::kFail ? "**FAIL**"
                                                    : "**ERROR**") +
                    " - " + std::to_string(passed) + " of " +
                    std::to_string(report.scenarios.size()) + " scenarios passed";
  if (errors > 0) out += ", " + std::to_string(errors) + " could not run";
  if (report.baseline) {
    const std::size_t n = report.baseline->regressions.size();
    if (n > 0) out += ", " + std::to_string(n) + " metric" + (n == 1 ? "" : "s") + " regressed";
    if (report.baseline->strict && report.baseline->unmatched()) {
      out += ", scenarios unmatched in the baseline";
    }
  }
  if (report.incomplete) out += " (run interrupted: incomplete)";
  return out + "\n\n";
}

}  // namespace

std::string RenderSummaryMarkdown(const RunReport& report) {
  size_t passed = 0;
  for (const ScenarioResult& s : report.scenarios) passed += s.passed ? 1 : 0;
  const size_t failed = report.scenarios.size() - passed;
  std::string out = Headline(report);
  if (report.sweep) out += SweepSection(*report.sweep, report.scenarios);
  if (report.baseline) out += BaselineSection(*report.baseline);
  if (report.live_timing) out += Md(DescribeLiveTiming(*report.live_timing)) + "\n\n";

  out += "| Scenario | Verdict | Violations |";
  for (const KeyMetric& m : kKeyMetrics) out += std::string(" ") + m.label + " |";
  out += " Wall time |\n|---|---|---:|";
  for (size_t i = 0; i < std::size(kKeyMetrics); ++i) out += "---:|";
  out += "---:|\n";
  // A long sweep lists only its failing seeds: report.json has them all.
  const bool only_failed = report.sweep && report.scenarios.size() > kSummarySweepMaxRows;
  size_t rows = 0;
  for (const ScenarioResult& s : report.scenarios) {
    if (only_failed && (s.passed || rows == kSummarySweepMaxRows)) continue;
    ++rows;
    std::string verdict = CouldNotRun(s) ? "**ERROR**" : s.passed ? "**PASS**" : "**FAIL**";
    if (!s.error.empty() && !CouldNotRun(s)) verdict += " (error)";
    if (s.incomplete) verdict += " (incomplete)";
    // Appends, not "lit" + string&&: GCC 12 -O3 warns falsely on that (-Wrestrict).
    out += "| ";
    out += Code(s.id);
    out += " | " + verdict + " | " + std::to_string(ViolationCount(s)) + " |";
    for (const KeyMetric& m : kKeyMetrics) {
      out += ' ';
      out += DescribeScenarioMetric(s, m.name);
      out += " |";
    }
    out += ' ';
    out += DescribeSeconds(s.wall_seconds);
    out += " |\n";
  }
  if (only_failed) {
    out += "\nThe table lists " + std::to_string(rows) + " of " +
           std::to_string(report.scenarios.size()) +
           " seeds (failed ones only, at most " + std::to_string(kSummarySweepMaxRows) +
           "); every seed is in report.json.\n";
  }

  size_t detailed = 0;
  for (const ScenarioResult& s : report.scenarios) {
    if (s.passed) continue;
    if (detailed == kSummaryMaxFailedDetailed) {
      out += "\n" + std::to_string(failed - detailed) +
             " more failed scenario(s): see report.html or junit.xml.\n";
      break;
    }
    ++detailed;
    out += "\n### " + Code(s.id) + " failed\n\n";
    if (!s.error.empty()) out += "- error: " + Md(s.error) + "\n";
    for (const Check& c : s.checks) {
      if (c.passed) continue;
      out += "- expectation " + Code(c.name) + " not met" +
             (c.detail.empty() ? "" : ": " + Md(c.detail)) + "\n";
    }
    size_t shown = 0;
    for (const Violation& v : s.violations) {
      if (shown == kSummaryMaxViolations) break;
      ++shown;
      out += "- " + Code(v.invariant) + " at " + DescribeDuration(v.time);
      if (v.subject >= 0) out += ", customer " + std::to_string(v.subject);
      out += ": " + Md(v.message) + "\n";
    }
    if (ViolationCount(s) > shown) {
      out += "- ... and " + std::to_string(ViolationCount(s) - shown) + " more violation(s)\n";
    }
    if (!s.repro.empty()) out += "\nReproduce: " + Code(s.repro) + "\n";
  }
  return out;
}

}  // namespace bpsim::reports
