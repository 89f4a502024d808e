#include "reports/junit.h"

#include <algorithm>

#include "reports/baseline.h"
#include "reports/key_metrics.h"
#include "reports/text.h"

namespace bpsim::reports {
namespace {

std::string Attr(const char* name, const std::string& value) {
  return std::string(" ") + name + "=\"" + XmlEscapeAttribute(value) + "\"";
}

std::string CheckType(const std::string& name) {
  if (name.rfind("metric:", 0) == 0) return "metric";
  if (name.rfind("sometimes:", 0) == 0) return "sometimes";
  if (name == "verdict") return "verdict";
  return "invariant";
}

std::string DescribeViolation(const Violation& v) {
  // Appends, not "lit" + string&&: GCC 12 -O3 warns falsely on that (-Wrestrict).
  std::string out = "[";
  out += DescribeDuration(v.time);
  out += "] " + v.invariant;
  if (v.subject >= 0) out += " (customer " + std::to_string(v.subject) + ")";
  out += ": " + v.message + "\n";
  for (const EvidenceItem& e : v.evidence) {
    out += "    ";
    out += DescribeDuration(e.time);
    out += "  ";
    out += EvidenceBody(e);
    out += "\n";
  }
  return out;
}

std::string FailureText(const ScenarioResult& s, const Check& c) {
  std::string out;
  if (!c.detail.empty()) out += c.detail + "\n";
  size_t shown = 0, matching = 0;
  for (const Violation& v : s.violations) {
    if (c.name != "verdict" && v.invariant != c.name) continue;
    ++matching;
    if (shown == kMaxViolationsPerFailure) continue;
    if (shown == 0) out += "\n";
    out += DescribeViolation(v);
    ++shown;
  }
  // The run may list only its first violations; `fired` and the metric count them all.
  const std::uint64_t total =
      std::max<std::uint64_t>(matching, c.name == "verdict" ? ViolationCount(s) : c.fired);
  if (total > shown) {
    out += "... and " + std::to_string(total - shown) + " more violation(s)\n";
  }
  if (!s.repro.empty()) out += "\nReproduce: " + s.repro + "\n";
  return out;
}

// One <testcase>, and what it holds.
struct Case {
  enum Kind { kPassed, kFailure, kError, kSkipped };
  std::string name;
  Kind kind = kPassed;
  std::string type, message, text;
};

std::string RenderCase(const std::string& classname, const Case& c) {
  std::string out = "    <testcase" + Attr("name", c.name) + Attr("classname", classname) +
                    Attr("time", "0");
  if (c.kind == Case::kPassed) return out + "/>\n";
  const char* element = c.kind == Case::kFailure ? "failure"
                        : c.kind == Case::kError ? "error"
                                                 : "skipped";
  return out + ">\n      <" + element + Attr("message", c.message) + Attr("type", c.type) + ">" +
         XmlEscape(c.text) + "</" + element + ">\n    </testcase>\n";
}

// The baseline gate's cases for one scenario of the run: "baseline" (compared, or
// not in the baseline: skipped, a failure with --baseline-strict) and one failed
// "baseline:METRIC" per regression.
void AddBaselineCases(const BaselineGate& gate, const ScenarioResult& s, std::vector<Case>& cases) {
  if (CouldNotRun(s)) return;
  const std::string tolerance = FormatFixed(gate.tolerance * 100, 1) + "%";
  if (std::find(gate.not_in_baseline.begin(), gate.not_in_baseline.end(), s.id) !=
      gate.not_in_baseline.end()) {
    const std::string message = "not in the baseline " + gate.file + ": not compared";
    cases.push_back({"baseline", gate.strict ? Case::kFailure : Case::kSkipped, "baseline", message,
                     message + (gate.strict ? " (--baseline-strict)\n" : "\n")});
    return;
  }
  cases.push_back({"baseline", Case::kPassed, "", "", ""});
  for (const Regression& r : gate.regressions) {
    if (r.scenario != s.id) continue;
    const std::string message = DescribeRegression(r, gate.tolerance);
    cases.push_back({"baseline:" + r.metric, Case::kFailure, "baseline", message,
                     message + "\nbaseline: " + gate.file + " (old " +
                         DescribeMetric(r.metric, r.baseline) + ", new " + DescribeMetric(r.metric, r.current) +
                         ", change " + FormatChange(r.change_fraction) + ", tolerance " +
                         tolerance + ")\n"});
  }
}

std::vector<Case> ScenarioCases(const RunReport& report, const ScenarioResult& s) {
  std::vector<Case> cases;
  if (!s.error.empty() || s.incomplete) {
    const std::string message = !s.error.empty() ? s.error : "run interrupted before the end";
    std::string text = message + "\n";
    if (!s.repro.empty()) text += "\nReproduce: " + s.repro + "\n";
    cases.push_back({"run", Case::kError, s.error.empty() ? "incomplete" : "scenario-error",
                     message, text});
  }
  for (const Check& c : s.checks) {
    if (c.passed) {
      cases.push_back({c.name, Case::kPassed, "", "", ""});
    } else {
      cases.push_back({c.name, Case::kFailure, CheckType(c.name),
                       c.detail.empty() ? c.name + " failed" : c.detail, FailureText(s, c)});
    }
  }
  if (report.baseline) AddBaselineCases(*report.baseline, s, cases);
  return cases;
}

struct Totals {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
};

std::string RenderSuite(const std::string& name, const std::string& file, double seconds,
                        const std::string& properties, const std::vector<Case>& cases,
                        Totals& totals) {
  Totals t;
  for (const Case& c : cases) {
    ++t.tests;
    t.failures += c.kind == Case::kFailure;
    t.errors += c.kind == Case::kError;
    t.skipped += c.kind == Case::kSkipped;
  }
  totals.tests += t.tests;
  totals.failures += t.failures;
  totals.errors += t.errors;
  totals.skipped += t.skipped;
  std::string out = "  <testsuite" + Attr("name", name) + Attr("tests", std::to_string(t.tests)) +
                    Attr("failures", std::to_string(t.failures)) +
                    Attr("errors", std::to_string(t.errors)) +
                    Attr("skipped", std::to_string(t.skipped)) +
                    Attr("time", FormatFixed(seconds, 3)) + Attr("file", file) + ">\n";
  out += properties;
  for (const Case& c : cases) out += RenderCase(name, c);
  return out + "  </testsuite>\n";
}

}  // namespace

std::string RenderJUnit(const RunReport& report) {
  std::string body;
  Totals totals;
  for (const ScenarioResult& s : report.scenarios) {
    std::string properties = "    <properties>\n";
    properties +=
        "      <property" + Attr("name", "seed") + Attr("value", std::to_string(s.seed)) + "/>\n";
    properties += "      <property" + Attr("name", "repro") + Attr("value", s.repro) + "/>\n";
    properties += "      <property" + Attr("name", "trace_hash") +
                  Attr("value", FormatHex64(s.trace_hash)) + "/>\n";
    properties += "    </properties>\n";
    body += RenderSuite(s.id, s.file, s.wall_seconds, properties, ScenarioCases(report, s), totals);
  }
  bool scenario_incomplete = false;
  for (const ScenarioResult& s : report.scenarios) scenario_incomplete |= s.incomplete;
  if (report.incomplete && !scenario_incomplete) {
    // Interrupted between scenarios: the ones never started have no suite of their own.
    const std::string message = "the run was interrupted before every scenario ran";
    body += RenderSuite("run", "", 0, "", {{"run", Case::kError, "incomplete", message, message + "\n"}},
                        totals);
  }
  if (report.baseline && !report.baseline->not_in_run.empty()) {
    // Scenarios only the baseline has: one suite, so that a CI view shows them.
    const BaselineGate& gate = *report.baseline;
    std::vector<Case> cases;
    for (const std::string& id : gate.not_in_run) {
      const std::string message = id + " is in the baseline " + gate.file + " but not in this run";
      cases.push_back({id, gate.strict ? Case::kFailure : Case::kSkipped, "baseline", message,
                       message + (gate.strict ? " (--baseline-strict)\n" : "\n")});
    }
    body += RenderSuite("baseline", gate.file, 0, "", cases, totals);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites" + Attr("name", "bpsim") + Attr("tests", std::to_string(totals.tests)) +
         Attr("failures", std::to_string(totals.failures)) +
         Attr("errors", std::to_string(totals.errors)) +
         Attr("time", FormatFixed(report.wall_seconds, 3)) + ">\n";
  out += body;
  out += "</testsuites>\n";
  return out;
}

}  // namespace bpsim::reports
