#include "reports/junit.h"

#include <algorithm>

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
  out += FormatSimInstant(v.time);
  out += "] " + v.invariant;
  if (v.subject >= 0) out += " (customer " + std::to_string(v.subject) + ")";
  out += ": " + v.message + "\n";
  for (const EvidenceItem& e : v.evidence) {
    out += "    ";
    out += FormatSimInstant(e.time);
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

}  // namespace

std::string RenderJUnit(const RunReport& report) {
  std::string body;
  size_t total_tests = 0, total_failures = 0, total_errors = 0;
  for (const ScenarioResult& s : report.scenarios) {
    const bool run_error = !s.error.empty() || s.incomplete;
    size_t failures = 0;
    for (const Check& c : s.checks) failures += c.passed ? 0 : 1;
    const size_t tests = s.checks.size() + (run_error ? 1 : 0);
    const size_t errors = run_error ? 1 : 0;
    total_tests += tests;
    total_failures += failures;
    total_errors += errors;

    body += "  <testsuite" + Attr("name", s.id) + Attr("tests", std::to_string(tests)) +
            Attr("failures", std::to_string(failures)) + Attr("errors", std::to_string(errors)) +
            Attr("skipped", "0") + Attr("time", FormatFixed(s.wall_seconds, 3)) +
            Attr("file", s.file) + ">\n";
    body += "    <properties>\n";
    body +=
        "      <property" + Attr("name", "seed") + Attr("value", std::to_string(s.seed)) + "/>\n";
    body += "      <property" + Attr("name", "repro") + Attr("value", s.repro) + "/>\n";
    body += "      <property" + Attr("name", "trace_hash") +
            Attr("value", FormatHex64(s.trace_hash)) + "/>\n";
    body += "    </properties>\n";
    if (run_error) {
      const std::string message = !s.error.empty() ? s.error : "run interrupted before the end";
      std::string text = message + "\n";
      if (!s.repro.empty()) text += "\nReproduce: " + s.repro + "\n";
      body += "    <testcase" + Attr("name", "run") + Attr("classname", s.id) + Attr("time", "0") +
              ">\n";
      body += "      <error" + Attr("message", message) +
              Attr("type", s.error.empty() ? "incomplete" : "scenario-error") + ">" +
              XmlEscape(text) + "</error>\n";
      body += "    </testcase>\n";
    }
    for (const Check& c : s.checks) {
      body += "    <testcase" + Attr("name", c.name) + Attr("classname", s.id) + Attr("time", "0");
      if (c.passed) {
        body += "/>\n";
        continue;
      }
      const std::string message = c.detail.empty() ? c.name + " failed" : c.detail;
      body += ">\n      <failure" + Attr("message", message) + Attr("type", CheckType(c.name)) +
              ">" + XmlEscape(FailureText(s, c)) + "</failure>\n    </testcase>\n";
    }
    body += "  </testsuite>\n";
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites" + Attr("name", "bpsim") + Attr("tests", std::to_string(total_tests)) +
         Attr("failures", std::to_string(total_failures)) +
         Attr("errors", std::to_string(total_errors)) +
         Attr("time", FormatFixed(report.wall_seconds, 3)) + ">\n";
  out += body;
  out += "</testsuites>\n";
  return out;
}

}  // namespace bpsim::reports
