#include "reports/svg_charts.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>

#include "reports/key_metrics.h"
#include "reports/text.h"
#include "sim/percentile.h"

namespace bpsim::reports {
namespace {

constexpr double kTop = 40;      // top of the plot area (legend above it)
constexpr double kAxisGap = 46;  // space below the plot for ticks and axis title

const char* const kInk = "#1f2933";
const char* const kMuted = "#616e7c";
const char* const kGrid = "#e4e7eb";

std::string F(double v) { return FormatFixed(v, 1); }

// Okabe-Ito colours for well-known series names, then a fallback order.
std::string SeriesColour(const std::string& name, size_t index) {
  struct Named {
    const char* name;
    const char* colour;
  };
  static constexpr Named kNamed[] = {{"200", "#0072B2"},      {"401", "#CC79A7"},
                                     {"403", "#CC79A7"},      {"429", "#E69F00"},
                                     {"500", "#D55E00"},      {"503", "#F0E442"},
                                     {"timeout", "#7f7f7f"},  {"authorised", "#009E73"},
                                     {"awaiting", "#56B4E9"}, {"awaitingauthorisation", "#56B4E9"},
                                     {"revoked", "#D55E00"},  {"expired", "#7f7f7f"},
                                     {"rejected", "#CC79A7"}};
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Named& n : kNamed) {
    if (lower == n.name) return n.colour;
  }
  static constexpr const char* kFallback[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                              "#56B4E9", "#D55E00", "#F0E442", "#000000"};
  return kFallback[index % std::size(kFallback)];
}

std::string Text(double x, double y, const std::string& text, const std::string& extra = "") {
  return "<text x=\"" + F(x) + "\" y=\"" + F(y) + "\"" + extra + ">" + XmlEscape(text) + "</text>";
}

std::string SvgOpen(double width, double height, const std::string& label) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " + F(width) +
         " " + F(height) + "\" role=\"img\" aria-label=\"" + XmlEscapeAttribute(label) + "\">";
}

std::string NoData(double x0, double x1, double y0, double y1, const std::string& what) {
  return "<rect x=\"" + F(x0) + "\" y=\"" + F(y0) + "\" width=\"" + F(x1 - x0) + "\" height=\"" +
         F(y1 - y0) + "\" fill=\"#f5f7fa\"/>" +
         Text((x0 + x1) / 2, (y0 + y1) / 2 + 4, what,
              " text-anchor=\"middle\" fill=\"" + std::string(kMuted) + "\" font-size=\"13\"");
}

// Compact count labels: 950, 1.2k, 35k, 1.5M.
std::string CountLabel(double v) {
  if (v >= 1e6) return FormatMetricValue(std::round(v / 1e5) / 10) + "M";
  if (v >= 1e3) return FormatMetricValue(std::round(v / 1e2) / 10) + "k";
  return FormatMetricValue(v);
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks.
double NiceStep(double max_value, int target) {
  if (max_value <= 0) return 1;
  const double raw = max_value / target;
  const double power = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

struct YScale {
  double max;  // top of the axis (a multiple of step)
  double step;
  double y0, y1;  // pixel top and bottom
  double operator()(double v) const { return y1 - (max <= 0 ? 0 : v / max) * (y1 - y0); }
};

YScale MakeYScale(double max_value, double y0, double y1) {
  const double step = NiceStep(std::max(max_value, 1.0), 4);
  const double top = std::max(step, std::ceil(std::max(max_value, 1.0) / step) * step);
  return {top, step, y0, y1};
}

std::string YAxis(const YScale& y, double x0, double x1, const std::string& title) {
  std::string out;
  for (double v = 0; v <= y.max + y.step / 2; v += y.step) {
    const double py = y(v);
    out += "<line x1=\"" + F(x0) + "\" x2=\"" + F(x1) + "\" y1=\"" + F(py) + "\" y2=\"" + F(py) +
           "\" stroke=\"" + kGrid + "\"/>";
    out += Text(x0 - 6, py + 4, CountLabel(v), " text-anchor=\"end\"");
  }
  const double mid = (y.y0 + y.y1) / 2;
  out += "<text transform=\"translate(14 " + F(mid) +
         ") rotate(-90)\" text-anchor=\"middle\" fill=\"" + std::string(kMuted) + "\">" +
         XmlEscape(title) + "</text>";
  return out;
}

// Time axis over [0, end): ticks in simulated hours for short runs, else days.
struct TimeScale {
  SimTime end;
  double x0, x1;
  double operator()(SimTime t) const {
    return end <= 0 ? x0 : x0 + static_cast<double>(t) / static_cast<double>(end) * (x1 - x0);
  }
};

std::string TimeAxis(const TimeScale& x, double y_bottom, double y_top) {
  std::string out = "<line x1=\"" + F(x.x0) + "\" x2=\"" + F(x.x1) + "\" y1=\"" + F(y_bottom) +
                    "\" y2=\"" + F(y_bottom) + "\" stroke=\"" + kMuted + "\"/>";
  if (x.end <= 0) return out;
  const bool in_days = x.end > 3 * kDay;
  const SimTime unit = in_days ? kDay : kHour;
  static constexpr SimTime kDaySteps[] = {1, 2, 5, 7, 14, 30, 60, 90, 180, 365};
  static constexpr SimTime kHourSteps[] = {1, 2, 3, 6, 12, 24};
  SimTime step = 1;
  bool found = false;
  for (SimTime s : in_days ? std::vector<SimTime>(std::begin(kDaySteps), std::end(kDaySteps))
                           : std::vector<SimTime>(std::begin(kHourSteps), std::end(kHourSteps))) {
    if (x.end / (s * unit) <= 10) {
      step = s;
      found = true;
      break;
    }
  }
  if (!found) step = x.end / unit / 10 + 1;
  if (x.end < unit) {  // very short runs: minutes
    return out + Text((x.x0 + x.x1) / 2, y_bottom + 36,
                      "simulated time (total " + DescribeDuration(x.end) + ")",
                      " text-anchor=\"middle\" fill=\"" + std::string(kMuted) + "\"");
  }
  for (SimTime t = 0; t <= x.end; t += step * unit) {
    const double px = x(t);
    out += "<line x1=\"" + F(px) + "\" x2=\"" + F(px) + "\" y1=\"" + F(y_top) + "\" y2=\"" +
           F(y_bottom) + "\" stroke=\"" + kGrid + "\" stroke-dasharray=\"2 3\"/>";
    out += "<line x1=\"" + F(px) + "\" x2=\"" + F(px) + "\" y1=\"" + F(y_bottom) + "\" y2=\"" +
           F(y_bottom + 4) + "\" stroke=\"" + kMuted + "\"/>";
    out += Text(px, y_bottom + 17, std::to_string(t / unit), " text-anchor=\"middle\"");
  }
  out += Text((x.x0 + x.x1) / 2, y_bottom + 36,
              in_days ? "simulated time (days)" : "simulated time (hours)",
              " text-anchor=\"middle\" fill=\"" + std::string(kMuted) + "\"");
  return out;
}

struct LegendItem {
  std::string label;
  std::string swatch;  // an SVG element drawn at (0,0)-(12,12)
};

std::string Swatch(const std::string& colour) {
  return "<rect width=\"12\" height=\"12\" rx=\"2\" fill=\"" + colour + "\"/>";
}

std::string Legend(const std::vector<LegendItem>& items, double x, double y, double right) {
  std::string out;
  for (const LegendItem& item : items) {
    const double width = 22 + 6.6 * static_cast<double>(item.label.size());
    if (x + width > right && x > 60) {
      x = 56;
      y += 18;
    }
    out += "<g transform=\"translate(" + F(x) + " " + F(y) + ")\">" + item.swatch +
           Text(17, 10.5, item.label) + "</g>";
    x += width + 10;
  }
  return out;
}

std::string Title(const std::string& title) {
  return Text(16, 20, title,
              " class=\"chart-title\" font-weight=\"600\" font-size=\"14\" fill=\"" +
                  std::string(kInk) + "\"");
}

// Outage windows and the drain phase, drawn under the data.
std::string Windows(const Timeline& t, const TimeScale& x, double y0, double y1) {
  std::string out;
  for (SimTime d : t.drain_start) {
    const double px = x(d);
    out += "<rect x=\"" + F(px) + "\" y=\"" + F(y0) + "\" width=\"" + F(x.x1 - px) +
           "\" height=\"" + F(y1 - y0) +
           "\" fill=\"#9aa5b1\" fill-opacity=\"0.18\"><title>drain from " +
           XmlEscape(DescribeDuration(d)) +
           ": no new traffic, in-flight work completes</title></rect>";
    out += "<line x1=\"" + F(px) + "\" x2=\"" + F(px) + "\" y1=\"" + F(y0) + "\" y2=\"" + F(y1) +
           "\" stroke=\"" + kMuted + "\" stroke-dasharray=\"4 3\"/>";
  }
  for (const Timeline::Window& w : t.outages) {
    const double a = x(w.start), b = std::max(x(w.end), x(w.start) + 2);
    out += "<rect x=\"" + F(a) + "\" y=\"" + F(y0) + "\" width=\"" + F(b - a) + "\" height=\"" +
           F(y1 - y0) +
           "\" fill=\"#D55E00\" fill-opacity=\"0.12\" stroke=\"#D55E00\" stroke-opacity=\"0.6\" "
           "stroke-dasharray=\"3 2\"><title>outage: " +
           XmlEscape(w.target + " " + w.mode + " from " + DescribeDuration(w.start) + " to " +
                     DescribeDuration(w.end)) +
           "</title></rect>";
  }
  return out;
}

// Labels of the outage windows and the drain, drawn above the data.
std::string WindowLabels(const Timeline& t, const TimeScale& x, double y0) {
  std::string out;
  for (size_t i = 0; i < t.outages.size(); ++i) {
    const Timeline::Window& w = t.outages[i];
    out += Text(x(w.start) + 3, y0 + 12 + 13 * static_cast<double>(i % 2), w.target + " " + w.mode,
                " fill=\"#a04000\" font-size=\"11\" font-weight=\"600\" class=\"halo\"");
  }
  for (SimTime d : t.drain_start) {
    out += Text(x(d) + 4, y0 + 12, "drain",
                " fill=\"" + std::string(kMuted) + "\" font-size=\"11\" class=\"halo\"");
  }
  return out;
}

// The consent line that matters most (authorised) is solid; the others are dashed so
// they stay apart in print and for readers who do not see the colours.
const char* LineDash(const std::string& name, size_t index, const char* const (&dashes)[4]) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "authorised") return dashes[0];
  return dashes[1 + index % 3];
}

size_t BucketCount(const std::vector<std::pair<std::string, std::vector<std::uint64_t>>>& series) {
  size_t n = 0;
  for (const auto& s : series) n = std::max(n, s.second.size());
  return n;
}

std::uint64_t At(const std::vector<std::uint64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }

std::string Open(double width, double height, const std::string& title) {
  return SvgOpen(width, height, title) + "<g font-size=\"12\" fill=\"" + kInk + "\">" +
         Title(title);
}

const char* const kClose = "</g></svg>";

}  // namespace

std::string AlertLatencyChartSvg(const Histogram& latency, double width) {
  const double right = width - 16;
  const double height = 280, x0 = 64, y0 = kTop + 8, y1 = height - kAxisGap;
  std::string out = Open(width, height, "Fraud alert latency (detection to display)");
  std::uint64_t total = 0, max_count = 0;
  for (std::uint64_t c : latency.counts) {
    total += c;
    max_count = std::max(max_count, c);
  }
  if (latency.counts.empty() || total == 0) {
    return out + NoData(x0, right, y0, y1, "no fraud alerts were displayed") + kClose;
  }
  out += Text(right, 20, std::to_string(total) + " alerts",
              " text-anchor=\"end\" fill=\"" + std::string(kMuted) + "\"");
  const YScale y = MakeYScale(static_cast<double>(max_count), y0, y1);
  out += YAxis(y, x0, right, "alerts");
  // The harness may add one trailing count for values above the last bound. Trailing
  // empty buckets are left out (at least kMinBuckets stay) so the mass stays readable.
  constexpr size_t kMinBuckets = 6;
  size_t n = latency.counts.size();
  while (n > kMinBuckets && latency.counts[n - 1] == 0) --n;
  const double slot = (right - x0) / static_cast<double>(n);
  const size_t label_every = (n + 11) / 12;  // at most about 12 tick labels
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::uint64_t c = latency.counts[i];
    cumulative += c;
    const auto& bounds = latency.upper_bounds_seconds;
    std::string label;
    if (i < bounds.size()) {
      label = "\xE2\x89\xA4";  // "≤"
      label += DescribeSeconds(bounds[i]);
    } else {
      label = ">";
      label += bounds.empty() ? std::string("?") : DescribeSeconds(bounds.back());
    }
    const double bx = x0 + slot * static_cast<double>(i) + slot * 0.12, bw = slot * 0.76;
    const double by = y(static_cast<double>(c));
    out += "<rect x=\"" + F(bx) + "\" y=\"" + F(by) + "\" width=\"" + F(bw) + "\" height=\"" +
           F(y1 - by) + "\" rx=\"2\" fill=\"#0072B2\"><title>" +
           XmlEscape(label + ": " + std::to_string(c) + " alerts (" +
                     FormatFixed(
                         100.0 * static_cast<double>(cumulative) / static_cast<double>(total), 1) +
                     "% within)") +
           "</title></rect>";
    if (c > 0) {
      out += Text(bx + bw / 2, by - 4, CountLabel(static_cast<double>(c)),
                  " text-anchor=\"middle\" font-size=\"11\" fill=\"" + std::string(kMuted) + "\"");
    }
    if (i % label_every == 0) out += Text(bx + bw / 2, y1 + 17, label, " text-anchor=\"middle\"");
  }
  out += "<line x1=\"" + F(x0) + "\" x2=\"" + F(right) + "\" y1=\"" + F(y1) + "\" y2=\"" + F(y1) +
         "\" stroke=\"" + kMuted + "\"/>";
  out +=
      Text((x0 + right) / 2, y1 + 36, "detection to display (bucket upper bound, simulated time)",
           " text-anchor=\"middle\" fill=\"" + std::string(kMuted) + "\"");
  return out + kClose;
}

std::string ApiResponsesChartSvg(const Timeline& t, double width) {
  const double right = width - 16;
  const size_t n = BucketCount(t.api_by_status);
  std::vector<LegendItem> legend;
  for (size_t i = 0; i < t.api_by_status.size(); ++i) {
    legend.push_back({t.api_by_status[i].first, Swatch(SeriesColour(t.api_by_status[i].first, i))});
  }
  if (!t.outages.empty()) {
    legend.push_back({"outage",
                      "<rect width=\"12\" height=\"12\" fill=\"#D55E00\" fill-opacity=\"0.15\" "
                      "stroke=\"#D55E00\" stroke-dasharray=\"3 2\"/>"});
  }
  if (!t.drain_start.empty()) {
    legend.push_back({"drain",
                      "<rect width=\"12\" height=\"12\" fill=\"#9aa5b1\" fill-opacity=\"0.3\" "
                      "stroke=\"#7b8794\" stroke-dasharray=\"4 3\"/>"});
  }
  const double height = 300, x0 = 64, y0 = kTop + 22, y1 = height - kAxisGap;
  std::string out = Open(width, height, "API responses by status");
  out += Legend(legend, 16, 32, right);
  if (n == 0 || t.end <= 0)
    return out + NoData(x0, right, y0, y1, "no API traffic recorded") + kClose;
  std::vector<double> top(n, 0);
  for (const auto& s : t.api_by_status) {
    for (size_t i = 0; i < n; ++i) top[i] += static_cast<double>(At(s.second, i));
  }
  const YScale y = MakeYScale(*std::max_element(top.begin(), top.end()), y0, y1);
  const TimeScale x{t.end, x0, right};
  out += YAxis(y, x0, right, "responses per " + DescribeDuration(t.bucket_width));
  out += Windows(t, x, y0, y1);
  // Stacked bars, one path per status holding one rectangle per non-empty bucket
  // (relative commands keep the file small: 40 scenarios stay well under 2 MB).
  std::vector<double> base(n, 0);
  for (size_t k = 0; k < t.api_by_status.size(); ++k) {
    const auto& [name, counts] = t.api_by_status[k];
    std::string d;
    std::uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::uint64_t c = At(counts, i);
      if (c == 0) continue;
      sum += c;
      const double from = x(static_cast<SimTime>(i) * t.bucket_width);
      const double to = x(std::min<SimTime>(static_cast<SimTime>(i + 1) * t.bucket_width, t.end));
      const double gap = to - from > 4 ? 1 : 0;
      const double top = y(base[i] + static_cast<double>(c)), bottom = y(base[i]);
      d += "M" + F(from) + " " + F(top) + "h" + F(to - from - gap) + "v" + F(bottom - top) + "h" +
           F(gap + from - to) + "z";
      base[i] += static_cast<double>(c);
    }
    if (d.empty()) continue;
    out += "<path d=\"" + d + "\" fill=\"" + SeriesColour(name, k) + "\"><title>" +
           XmlEscape(name + ": " + std::to_string(sum) + " responses") + "</title></path>";
  }
  out += WindowLabels(t, x, y0);
  out += TimeAxis(x, y1, y0);
  return out + kClose;
}

std::string ConsentsChartSvg(const Timeline& t, double width) {
  const double right = width - 16;
  const size_t n = BucketCount(t.consents_by_state);
  const char* const kDashes[] = {"", " stroke-dasharray=\"6 3\"", " stroke-dasharray=\"2 2\"",
                                 " stroke-dasharray=\"8 3 2 3\""};
  std::vector<LegendItem> legend;
  for (size_t i = 0; i < t.consents_by_state.size(); ++i) {
    const std::string& name = t.consents_by_state[i].first;
    legend.push_back({name, "<line x1=\"0\" x2=\"13\" y1=\"6\" y2=\"6\" stroke=\"" +
                                SeriesColour(name, i) + "\" stroke-width=\"3\"" +
                                LineDash(name, i, kDashes) + "/>"});
  }
  const double height = 300, x0 = 64, y0 = kTop + 22, y1 = height - kAxisGap;
  std::string out = Open(width, height, "Consents by state");
  out += Legend(legend, 16, 32, right);
  if (n == 0 || t.end <= 0) return out + NoData(x0, right, y0, y1, "no consents recorded") + kClose;
  double max_value = 0;
  for (const auto& s : t.consents_by_state) {
    for (std::uint64_t v : s.second) max_value = std::max(max_value, static_cast<double>(v));
  }
  const YScale y = MakeYScale(max_value, y0, y1);
  const TimeScale x{t.end, x0, right};
  out += YAxis(y, x0, right, "consents");
  out += Windows(t, x, y0, y1);
  for (size_t k = 0; k < t.consents_by_state.size(); ++k) {
    const auto& [name, counts] = t.consents_by_state[k];
    std::string d;
    for (size_t i = 0; i < n; ++i) {
      const SimTime at = std::min<SimTime>(static_cast<SimTime>(i + 1) * t.bucket_width, t.end);
      d += i == 0 ? 'M' : 'L';
      d += F(x(at));
      d += ' ';
      d += F(y(static_cast<double>(At(counts, i))));
    }
    const std::uint64_t last = counts.empty() ? 0 : counts.back();
    out += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + SeriesColour(name, k) +
           "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"" + LineDash(name, k, kDashes) +
           "><title>" + XmlEscape(name + ": " + std::to_string(last) + " at the end") +
           "</title></path>";
  }
  out += WindowLabels(t, x, y0);
  out += TimeAxis(x, y1, y0);
  return out + kClose;
}

std::string ViolationsChartSvg(const ScenarioResult& s, double width) {
  const double right = width - 16;
  std::vector<std::string> lanes;
  for (const Violation& v : s.violations) {
    if (std::find(lanes.begin(), lanes.end(), v.invariant) == lanes.end())
      lanes.push_back(v.invariant);
  }
  // Lane labels sit inside the plot, above each lane, so the time axis lines up with
  // the API chart below it.
  const double lane_height = 34, x0 = 64, y0 = kTop + 8;
  const double y1 = y0 + lane_height * static_cast<double>(std::max<size_t>(lanes.size(), 1));
  const double height = y1 + kAxisGap;
  std::string out = Open(width, height, "Violations over time");
  const SimTime end = s.timeline.end > 0 ? s.timeline.end : 0;
  SimTime last = end;
  for (const Violation& v : s.violations) last = std::max(last, v.time);
  const TimeScale x{last, x0, right};
  if (s.violations.empty()) {
    out += Text(right, 20, "none", " text-anchor=\"end\" fill=\"#009E73\" font-weight=\"600\"");
    out += Windows(s.timeline, x, y0, y1);
    out += Text((x0 + right) / 2, (y0 + y1) / 2 + 4, "no violations",
                " text-anchor=\"middle\" fill=\"" + std::string(kMuted) + "\" font-size=\"13\"");
    out += TimeAxis(x, y1, y0);
    return out + kClose;
  }
  const std::uint64_t total = ViolationCount(s);
  std::string count = std::to_string(total) + " violations";
  if (total > s.violations.size())
    count += " (first " + std::to_string(s.violations.size()) + " shown)";
  out += Text(right, 20, count, " text-anchor=\"end\" fill=\"#D55E00\" font-weight=\"600\"");
  out += Windows(s.timeline, x, y0, y1);
  for (size_t i = 0; i < lanes.size(); ++i) {
    const double cy = y0 + lane_height * (static_cast<double>(i) + 0.5);
    out += "<line x1=\"" + F(x0) + "\" x2=\"" + F(right) + "\" y1=\"" + F(cy + 6) + "\" y2=\"" +
           F(cy + 6) + "\" stroke=\"#cbd2d9\"/>";
    out += Text(x0 + 4, cy - 6, lanes[i],
                " class=\"halo\" fill=\"" + std::string(kMuted) +
                    "\" font-family=\"ui-monospace, Menlo, Consolas, monospace\" font-size=\"11\"");
  }
  for (const Violation& v : s.violations) {
    const size_t lane =
        static_cast<size_t>(std::find(lanes.begin(), lanes.end(), v.invariant) - lanes.begin());
    const double cy = y0 + lane_height * (static_cast<double>(lane) + 0.5) + 6, cx = x(v.time);
    std::string tip = DescribeDuration(v.time) + " " + v.invariant;
    if (v.subject >= 0) tip += " (customer " + std::to_string(v.subject) + ")";
    tip += ": " + v.message;
    out += "<path d=\"M" + F(cx) + " " + F(cy - 7) + "L" + F(cx + 7) + " " + F(cy) + "L" + F(cx) +
           " " + F(cy + 7) + "L" + F(cx - 7) + " " + F(cy) +
           "Z\" fill=\"#D55E00\" stroke=\"#ffffff\" "
           "stroke-width=\"1.5\"><title>" +
           XmlEscape(tip) + "</title></path>";
  }
  out += TimeAxis(x, y1, y0);
  return out + kClose;
}

std::string MetricDistributionSvg(const std::string& metric,
                                  const std::vector<std::pair<double, bool>>& values,
                                  double width) {
  const double height = 46, x0 = 8, x1 = width - 8, axis = 24;
  std::string out = SvgOpen(width, height, "distribution of " + metric + " over " +
                                               std::to_string(values.size()) + " seeds");
  if (values.empty()) return out + NoData(x0, x1, 4, height - 4, "no seeds") + "</svg>";
  std::vector<double> sorted;
  for (const auto& v : values) sorted.push_back(v.first);
  std::sort(sorted.begin(), sorted.end());
  const double lo = sorted.front(), hi = sorted.back();
  auto x = [&](double v) { return hi > lo ? x0 + (x1 - x0) * (v - lo) / (hi - lo) : (x0 + x1) / 2; };
  out += "<line x1=\"" + F(x0) + "\" y1=\"" + F(axis) + "\" x2=\"" + F(x1) + "\" y2=\"" + F(axis) +
         "\" stroke=\"" + kGrid + "\" stroke-width=\"2\"/>";
  const double median = NearestRank(sorted, 50);
  out += "<line class=\"median\" x1=\"" + F(x(median)) + "\" y1=\"" + F(axis - 10) + "\" x2=\"" +
         F(x(median)) + "\" y2=\"" + F(axis + 10) + "\" stroke=\"" + kInk + "\" stroke-width=\"2\">" +
         "<title>" + XmlEscape("p50 " + DescribeMetric(metric, median)) + "</title></line>";
  for (const auto& [value, passed] : values) {
    out += "<circle cx=\"" + F(x(value)) + "\" cy=\"" + F(axis) + "\" r=\"4\" fill=\"" +
           (passed ? "#0072B2" : "#D55E00") + "\" fill-opacity=\"0.6\"><title>" +
           XmlEscape(DescribeMetric(metric, value)) + "</title></circle>";
  }
  const std::string muted = std::string(" font-size=\"11\" fill=\"") + kMuted + "\"";
  out += Text(x0, height - 4, DescribeMetric(metric, lo), muted);
  out += Text(x1, height - 4, DescribeMetric(metric, hi), " text-anchor=\"end\"" + muted);
  return out + "</svg>";
}

}  // namespace bpsim::reports
