#include "reports/html_report.h"

#include "reports/baseline.h"
#include "reports/key_metrics.h"
#include "reports/svg_charts.h"
#include "reports/sweep_summary.h"
#include "reports/text.h"

namespace bpsim::reports {
namespace {

// Violations listed in full per scenario; the rest are counted (report.json has all).
constexpr size_t kMaxViolationsShown = 50;
// Chart widths in SVG user units: about one unit per CSS pixel at the page's width.
constexpr double kWideChartWidth = 1240;
constexpr double kHalfChartWidth = 620;

const char* const kStyle = R"css(
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --soft: #f5f7fa;
  --pass: #00734f; --pass-bg: #e3f6ee; --pass-line: #9fdcc2; --fail: #a63a00; --fail-bg: #fdece4; --fail-line: #f4b899; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--soft); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
a { color: #0b5cad; }
.page { max-width: 1320px; margin: 0 auto; padding: 24px 32px 56px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; box-shadow: 0 1px 2px rgba(31,41,51,.05); }
header.run { display: flex; flex-wrap: wrap; align-items: center; gap: 20px 40px; padding: 22px 28px; border-left: 6px solid var(--pass); }
header.run.fail { border-left-color: var(--fail); }
header.run h1 { margin: 0; font-size: 22px; }
header.run .sub { color: var(--muted); margin-top: 2px; }
.stats { display: flex; gap: 32px; margin-left: auto; }
.stat { text-align: right; }
.stat b { display: block; font-size: 26px; line-height: 1.1; font-variant-numeric: tabular-nums; }
.stat span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.stat.bad b { color: var(--fail); }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-weight: 700; font-size: 12px; letter-spacing: .05em; border: 1px solid; white-space: nowrap; }
.badge.pass { background: var(--pass-bg); color: var(--pass); border-color: var(--pass-line); }
.badge.fail { background: var(--fail-bg); color: var(--fail); border-color: var(--fail-line); }
.badge.note { background: #fff8e1; color: #7a5b00; border-color: #f0d589; }
.badge.big { font-size: 18px; padding: 4px 18px; }
h2.section { font-size: 15px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 32px 0 10px; }
table { border-collapse: collapse; width: 100%; }
.table-wrap { overflow-x: auto; }
th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; background: #fbfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.verdicts tr:last-child td { border-bottom: none; }
table.verdicts tr.fail td:first-child { box-shadow: inset 4px 0 0 var(--fail); }
table.verdicts tr.pass td:first-child { box-shadow: inset 4px 0 0 var(--pass); }
td.zero { color: var(--muted); }
td.bad { color: var(--fail); font-weight: 700; }
section.scenario { margin-top: 28px; padding: 22px 28px 26px; }
.scenario-head { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
.scenario-head h3 { margin: 0; font-size: 19px; }
.scenario-head h3 code { font-size: 18px; }
.scenario-head .top { margin-left: auto; font-size: 12px; }
.description { margin: 8px 0 6px; font-size: 15px; max-width: 80ch; }
.tag { display: inline-block; background: #eef2f7; color: #3e4c59; border-radius: 4px; padding: 0 8px; margin: 0 6px 4px 0; font-size: 12px; }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 10px 0 0; color: var(--muted); font-size: 13px; }
dl.meta div { display: flex; gap: 6px; }
dl.meta dt::after { content: ":"; }
dl.meta dd { margin: 0; color: var(--ink); }
h4 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 22px 0 8px; }
.banner { margin: 14px 0 0; padding: 10px 14px; border-radius: 6px; background: var(--fail-bg); border: 1px solid var(--fail-line); color: #6b2600; }
.banner.note { background: #fff8e1; border-color: #f0d589; color: #5c4500; }
.ok-line { color: var(--pass); margin: 0; }
.muted { color: var(--muted); }
.repro-box { display: flex; align-items: stretch; gap: 8px; }
pre.repro { flex: 1; margin: 0; background: #1f2933; color: #f5f7fa; padding: 10px 14px; border-radius: 6px; overflow-x: auto; user-select: all; }
button.copy { font: inherit; font-size: 12px; border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 0 12px; cursor: pointer; }
td.check-name { white-space: nowrap; }
.violation { border: 1px solid var(--line); border-left: 4px solid #D55E00; border-radius: 6px; padding: 10px 14px; margin-bottom: 10px; break-inside: avoid; }
.violation .vhead { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; }
.violation .vhead code { font-weight: 700; color: var(--fail); font-size: 13px; }
.violation .when { color: var(--muted); font-size: 13px; }
.violation p { margin: 4px 0 8px; font-weight: 600; }
ol.evidence { list-style: none; margin: 0 0 0 6px; padding: 0 0 0 18px; border-left: 2px solid #cbd2d9; }
ol.evidence li { position: relative; padding: 2px 0; }
ol.evidence li::before { content: ""; position: absolute; left: -24px; top: 9px; width: 8px; height: 8px; border-radius: 50%; background: #9aa5b1; border: 1px solid #fff; }
ol.evidence li.offending::before { background: #D55E00; width: 10px; height: 10px; left: -25px; top: 8px; }
ol.evidence li.offending { color: #8a3000; font-weight: 600; }
ol.evidence .t { display: inline-block; min-width: 128px; color: var(--muted); font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
figure.chart-card { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 4px 4px 0; background: #fff; break-inside: avoid; }
figure.chart-card.wide { grid-column: 1 / -1; overflow-x: auto; }
figure.chart-card.wide svg.chart { min-width: 880px; }
table.verdicts td:first-child { white-space: nowrap; }
svg.chart { display: block; width: 100%; height: auto; }
td.dist { min-width: 240px; width: 320px; }
.sweep { padding: 16px; }
svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
details.metrics { margin-top: 18px; }
details.metrics summary { cursor: pointer; color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .05em; }
.metric-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 0 24px; margin-top: 8px; }
.metric-grid div { display: flex; justify-content: space-between; border-bottom: 1px dotted var(--line); padding: 3px 0; font-size: 13px; }
.metric-grid span:last-child { font-variant-numeric: tabular-nums; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; text-align: center; }
@media (max-width: 960px) { .charts { grid-template-columns: 1fr; } .stats { margin-left: 0; } }
@media print {
  figure.chart-card.wide svg.chart { min-width: 0; }
  body { background: #fff; font-size: 12px; }
  .page { max-width: none; padding: 0; }
  .card { box-shadow: none; }
  section.scenario { break-before: page; }
  button.copy, .top { display: none; }
  a { color: inherit; text-decoration: none; }
  pre.repro { background: #fff; color: #000; border: 1px solid #999; white-space: pre-wrap; }
}
)css";

// Reveals the Copy buttons; everything else works without it. Written without '<'
// and '&' so the page stays well-formed XML.
const char* const kScript = R"js(
document.querySelectorAll('button.copy').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () {
    navigator.clipboard.writeText(b.getAttribute('data-text')).then(function () {
      b.textContent = 'Copied';
      setTimeout(function () { b.textContent = 'Copy'; }, 1500);
    });
  });
});
)js";

std::string E(const std::string& text) { return XmlEscape(text); }

std::string Badge(const ScenarioResult& s) {
  return s.passed ? "<span class=\"badge pass\">PASS</span>"
                  : "<span class=\"badge fail\">FAIL</span>";
}

const char* VerdictText(RunVerdict v) {
  return v == RunVerdict::kPass ? "PASS" : v == RunVerdict::kFail ? "FAIL" : "ERROR";
}

std::string Anchor(size_t index) { return "scenario-" + std::to_string(index + 1); }

std::string Header(const RunReport& report) {
  size_t passed = 0, violations = 0;
  for (const ScenarioResult& s : report.scenarios) {
    passed += s.passed ? 1 : 0;
    violations += ViolationCount(s);
  }
  const size_t failed = report.scenarios.size() - passed;
  const RunVerdict verdict = VerdictOf(report);
  const bool ok = verdict == RunVerdict::kPass;
  std::string out = "<header class=\"run card" + std::string(ok ? "" : " fail") + "\">";
  out += "<div><h1>bpsim report</h1><div class=\"sub\">bpsim " + E(report.bpsim_version);
  if (!report.command.empty()) out += " &#183; <code>" + E(report.command) + "</code>";
  out += "</div></div>";
  out += std::string("<span class=\"badge big ") + (ok ? "pass" : "fail") + "\">" +
         VerdictText(verdict) + "</span>";
  if (report.incomplete) out += "<span class=\"badge note\">INCOMPLETE</span>";
  auto stat = [](const std::string& value, const char* label, bool bad) {
    return "<div class=\"stat" + std::string(bad ? " bad" : "") + "\"><b>" + value + "</b><span>" +
           label + "</span></div>";
  };
  out += "<div class=\"stats\">";
  out += stat(std::to_string(report.scenarios.size()), "scenarios", false);
  out += stat(std::to_string(passed), "passed", false);
  out += stat(std::to_string(failed), "failed", failed > 0);
  out += stat(std::to_string(violations), "violations", violations > 0);
  out += stat(DescribeSeconds(report.wall_seconds), "wall time", false);
  out += "</div></header>";
  if (report.live_timing) {
    out += "<p class=\"banner note\">" + E(DescribeLiveTiming(*report.live_timing)) + "</p>";
  }
  if (report.incomplete) {
    out +=
        "<p class=\"banner note\">The run was interrupted before the end: results cover only what "
        "ran.</p>";
  }
  return out;
}

std::string BaselineSection(const BaselineGate& gate) {
  std::string out = "<h2 class=\"section\">Baseline</h2><div class=\"card\"><p>" +
                    E(DescribeGate(gate)) + "</p>";
  const std::vector<RegressionRow> rows = RegressionRows(gate);
  if (!rows.empty()) {
    out += "<div class=\"table-wrap\"><table class=\"verdicts\"><thead><tr><th>Scenario</th>"
           "<th>Metric</th><th class=\"num\">Old</th><th class=\"num\">New</th>"
           "<th class=\"num\">Change</th><th class=\"num\">Tolerance</th></tr></thead><tbody>";
    for (const RegressionRow& r : rows) {
      out += "<tr class=\"fail\"><td><code>" + E(r.scenario) + "</code></td><td><code>" +
             E(r.metric) + "</code></td><td class=\"num\">" + E(r.old_value) +
             "</td><td class=\"num\">" + E(r.new_value) + "</td><td class=\"num bad\">" +
             E(r.change) + "</td><td class=\"num\">" + E(r.tolerance) + "</td></tr>";
    }
    out += "</tbody></table></div>";
  }
  const std::string consequence = gate.strict ? " (fails: --baseline-strict)" : "";
  for (const std::string& id : gate.not_in_baseline) {
    out += "<p class=\"muted\">Not in the baseline, not compared: <code>" + E(id) + "</code>" +
           E(consequence) + "</p>";
  }
  for (const std::string& id : gate.not_in_run) {
    out += "<p class=\"muted\">In the baseline but not in this run: <code>" + E(id) + "</code>" +
           E(consequence) + "</p>";
  }
  return out + "</div>";
}

// The sweep: verdict counts, the checks that failed and in how many seeds, each
// metric's distribution over the seeds, and the failing seeds with the commands that
// replay and shrink them.
std::string SweepSection(const SweepInfo& info, const std::vector<ScenarioResult>& results) {
  const SweepSummary summary = SummarizeSweep(results);
  std::string out = "<h2 class=\"section\">Sweep</h2><div class=\"card sweep\"><p><code>" +
                    E(info.scenario) + "</code>, seeds " + std::to_string(info.first_seed) +
                    ".." + std::to_string(info.last_seed) + (info.swarm ? " (swarm)" : "") + ": " +
                    std::to_string(summary.runs) + " runs, " + std::to_string(summary.passed) +
                    " passed, " + std::to_string(summary.failed) + " failed.</p>";
  if (!summary.failed_checks.empty()) {
    out += "<div class=\"table-wrap\"><table class=\"verdicts failed-checks\"><thead><tr>"
           "<th>Failed check</th><th class=\"num\">Seeds</th></tr></thead><tbody>";
    for (const FailedCheck& f : summary.failed_checks) {
      out += "<tr class=\"fail\"><td><code>" + E(f.name) + "</code></td><td class=\"num\">" +
             std::to_string(f.seeds) + "</td></tr>";
    }
    out += "</tbody></table></div>";
  }
  // The chart comes right after the metric's name: on a narrow screen the wide
  // duration columns scroll, not the chart (tests/reports/html_browser_check.mjs).
  out += "<div class=\"table-wrap\"><table class=\"verdicts spread\"><thead><tr><th>Metric</th>"
         "<th>Distribution</th><th class=\"num\">Seeds</th><th class=\"num\">min</th>"
         "<th class=\"num\">p50</th><th class=\"num\">p90</th><th class=\"num\">p99</th>"
         "<th class=\"num\">max</th></tr></thead><tbody>";
  for (const MetricSpread& m : summary.metrics) {
    std::vector<std::pair<double, bool>> values;
    for (const ScenarioResult& r : results) {
      if (const double* v = r.FindMetric(m.name)) values.emplace_back(*v, r.passed);
    }
    out += "<tr><td><code>" + E(m.name) + "</code></td><td class=\"dist\">" +
           MetricDistributionSvg(m.name, values) + "</td><td class=\"num\">" +
           std::to_string(m.runs) + "</td>";
    for (double v : {m.min, m.p50, m.p90, m.p99, m.max}) {
      out += "<td class=\"num\">" + E(DescribeMetric(m.name, v)) + "</td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table></div>";
  if (!summary.first_failures.empty()) {
    out += "<h4>Failing seeds</h4>";
    std::size_t shown = 0;
    for (const ScenarioResult& r : results) {
      if (r.passed) continue;
      if (shown++ == kSweepMaxFailuresListed) {
        out += "<p class=\"muted\">" + std::to_string(summary.failed - kSweepMaxFailuresListed) +
               " more failing seeds: report.json lists every seed.</p>";
        break;
      }
      out += "<div class=\"repro-box\"><p>seed " + std::to_string(r.seed) + ": " +
             E(FailedCheckNames(r)) + "</p><pre class=\"repro\"><code>" + E(r.repro);
      if (const std::string shrink = ShrinkCommand(r.repro); !shrink.empty()) {
        out += "\n" + E(shrink);
      }
      out += "</code></pre></div>";
    }
  }
  return out + "</div>";
}

std::string VerdictTable(const RunReport& report) {
  std::string out =
      "<h2 class=\"section\">Verdicts</h2><div class=\"card table-wrap\"><table "
      "class=\"verdicts\"><thead><tr>"
      "<th>Scenario</th><th>Verdict</th><th class=\"num\">Violations</th>";
  for (const KeyMetric& m : kKeyMetrics)
    out += std::string("<th class=\"num\">") + m.label + "</th>";
  out += "<th class=\"num\">Wall time</th></tr></thead><tbody>";
  for (size_t i = 0; i < report.scenarios.size(); ++i) {
    const ScenarioResult& s = report.scenarios[i];
    out += std::string("<tr class=\"") + (s.passed ? "pass" : "fail") + "\"><td><a href=\"#" +
           Anchor(i) + "\"><code>" + E(s.id) + "</code></a></td><td>" + Badge(s);
    if (!s.error.empty()) out += " <span class=\"badge note\">ERROR</span>";
    if (s.incomplete) out += " <span class=\"badge note\">INCOMPLETE</span>";
    const std::uint64_t count = ViolationCount(s);
    out += "</td><td class=\"num " + std::string(count == 0 ? "zero" : "bad") + "\">" +
           std::to_string(count) + "</td>";
    for (const KeyMetric& m : kKeyMetrics)
      out += "<td class=\"num\">" + E(DescribeScenarioMetric(s, m.name)) + "</td>";
    out += "<td class=\"num\">" + DescribeSeconds(s.wall_seconds) + "</td></tr>";
  }
  return out + "</tbody></table></div>";
}

std::string Expectations(const ScenarioResult& s) {
  std::string out = "<h4>Expectations</h4>";
  size_t failed = 0;
  for (const Check& c : s.checks) failed += c.passed ? 0 : 1;
  if (s.checks.empty()) return out + "<p class=\"muted\">No expectations were checked.</p>";
  if (failed == 0) {
    return out + "<p class=\"ok-line\">All " + std::to_string(s.checks.size()) +
           " expectations met.</p>";
  }
  out +=
      "<table><thead><tr><th>Expectation not met</th><th>Detail</th><th "
      "class=\"num\">Fired</th></tr></thead><tbody>";
  for (const Check& c : s.checks) {
    if (c.passed) continue;
    out += "<tr><td class=\"check-name\"><code>" + E(c.name) + "</code></td><td>" + E(c.detail) +
           "</td><td class=\"num\">" + std::to_string(c.fired) + "</td></tr>";
  }
  out += "</tbody></table>";
  out += "<p class=\"muted\">" + std::to_string(s.checks.size() - failed) + " of " +
         std::to_string(s.checks.size()) + " expectations met.</p>";
  return out;
}

std::string Violations(const ScenarioResult& s) {
  if (s.violations.empty()) return "";
  const std::uint64_t total = ViolationCount(s);
  std::string out = "<h4>Violations (" + std::to_string(total) + ")</h4>";
  const size_t shown = std::min(s.violations.size(), kMaxViolationsShown);
  for (size_t i = 0; i < shown; ++i) {
    const Violation& v = s.violations[i];
    out += "<article class=\"violation\"><div class=\"vhead\"><code>" + E(v.invariant) +
           "</code><span class=\"when\">at " + E(DescribeDuration(v.time));
    if (v.subject >= 0) out += " &#183; customer " + std::to_string(v.subject);
    out += "</span></div><p>" + E(v.message) + "</p>";
    if (!v.evidence.empty()) {
      out += "<ol class=\"evidence\">";
      for (size_t k = 0; k < v.evidence.size(); ++k) {
        const EvidenceItem& e = v.evidence[k];
        out += std::string("<li") + (k + 1 == v.evidence.size() ? " class=\"offending\"" : "") +
               "><span class=\"t mono\">" + E(DescribeDuration(e.time)) + "</span> " + E(std::string(EvidenceBody(e))) +
               "</li>";
      }
      out += "</ol>";
    }
    out += "</article>";
  }
  if (total > shown) {
    out += "<p class=\"muted\">&#8230; and " + std::to_string(total - shown) + " more violations" +
           (s.violations.size() > shown ? std::string(": see report.json.")
                                        : std::string(" (not listed by the run).")) +
           "</p>";
  }
  return out;
}

std::string Figure(const std::string& svg, bool wide) {
  return std::string("<figure class=\"chart-card") + (wide ? " wide" : "") + "\">" + svg +
         "</figure>";
}

std::string Metrics(const ScenarioResult& s) {
  std::string out = "<details class=\"metrics\"><summary>All metrics (" +
                    std::to_string(s.metrics.size()) + ")</summary><div class=\"metric-grid\">";
  for (const auto& [name, value] : s.metrics) {
    out += "<div><span class=\"mono\">" + E(name) + "</span><span>" + E(DescribeScenarioMetric(s, name)) +
           "</span></div>";
  }
  return out + "</div></details>";
}

std::string Scenario(const ScenarioResult& s, size_t index) {
  std::string out = "<section class=\"scenario card\" id=\"" + Anchor(index) +
                    "\"><div class=\"scenario-head\"><h3><code>" + E(s.id) + "</code></h3>" +
                    Badge(s);
  if (s.incomplete) out += "<span class=\"badge note\">INCOMPLETE</span>";
  out += "<a class=\"top\" href=\"#top\">back to verdicts</a></div>";
  if (!s.description.empty()) out += "<p class=\"description\">" + E(s.description) + "</p>";
  if (!s.tags.empty()) {
    out += "<div class=\"tags\">";
    for (const std::string& tag : s.tags) out += "<span class=\"tag\">" + E(tag) + "</span>";
    out += "</div>";
  }
  out += "<dl class=\"meta\"><div><dt>file</dt><dd class=\"mono\">" + E(s.file) +
         "</dd></div><div><dt>seed</dt><dd>" + std::to_string(s.seed) +
         "</dd></div><div><dt>trace hash</dt><dd class=\"mono\">" + FormatHex64(s.trace_hash) +
         "</dd></div><div><dt>simulated</dt><dd>" + E(DescribeDuration(s.timeline.end)) +
         "</dd></div><div><dt>wall time</dt><dd>" + DescribeSeconds(s.wall_seconds) +
         "</dd></div></dl>";
  if (!s.error.empty()) out += "<p class=\"banner\"><b>Error:</b> " + E(s.error) + "</p>";
  if (s.incomplete) out += "<p class=\"banner note\">This run was interrupted before the end.</p>";
  out += Expectations(s);
  out += Violations(s);
  if (!s.repro.empty()) {
    out += "<h4>Reproduce</h4><div class=\"repro-box\"><pre class=\"repro\"><code>" + E(s.repro) +
           "</code></pre><button class=\"copy\" type=\"button\" hidden=\"hidden\" data-text=\"" +
           E(s.repro) + "\">Copy</button></div>";
  }
  out += "<h4>Charts</h4><div class=\"charts\">";
  out += Figure(ViolationsChartSvg(s, kWideChartWidth), true);
  out += Figure(ApiResponsesChartSvg(s.timeline, kWideChartWidth), true);
  out += Figure(AlertLatencyChartSvg(s.alert_latency, kHalfChartWidth), false);
  out += Figure(ConsentsChartSvg(s.timeline, kHalfChartWidth), false);
  out += "</div>";
  out += Metrics(s);
  return out + "</section>\n";
}

}  // namespace

std::string RenderHtmlReport(const RunReport& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>";
  out += std::string(VerdictText(VerdictOf(report))) + " - bpsim report (" +
         std::to_string(report.scenarios.size()) + " scenarios)</title><style>" + kStyle +
         "</style></head>\n<body><div class=\"page\" id=\"top\">";
  out += Header(report);
  out += VerdictTable(report);
  if (report.sweep) out += SweepSection(*report.sweep, report.scenarios);
  if (report.baseline) out += BaselineSection(*report.baseline);
  out += "<h2 class=\"section\">Scenarios</h2>\n";
  for (size_t i = 0; i < report.scenarios.size(); ++i) out += Scenario(report.scenarios[i], i);
  out += "<footer>Generated by bpsim " + E(report.bpsim_version) +
         ". Times are simulated, counted from the start of the run, except wall time.</footer>";
  out += "</div><script>" + std::string(kScript) + "</script></body></html>\n";
  return out;
}

}  // namespace bpsim::reports
