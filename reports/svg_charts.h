#pragma once
// The inline SVG charts of report.html, drawn from a ScenarioResult. Each function
// returns one complete <svg> element (width 100%, viewBox `width` user units wide,
// drawn at about one unit per CSS pixel) with a legend,
// axes with ticks and units, and <title> tooltips. Colours come from the Okabe-Ito
// palette (distinguishable with the common colour-vision deficiencies). Pure
// functions: equal input gives byte-identical output.

#include <string>

#include "reports/result.h"

namespace bpsim::reports {

// (a) Detection-to-display latency of fraud alerts, one bar per histogram bucket.
std::string AlertLatencyChartSvg(const Histogram& latency, double width = 640);

// (b) API responses per time bucket, stacked by status; outage windows shaded and
// labelled; the drain phase shaded and marked.
std::string ApiResponsesChartSvg(const Timeline& timeline, double width = 640);

// (c) Consents by state at the end of each bucket, one line per state.
std::string ConsentsChartSvg(const Timeline& timeline, double width = 640);

// (d) Each violation as a marker on a time axis, one lane per invariant or rule.
std::string ViolationsChartSvg(const ScenarioResult& scenario, double width = 640);

// (e) A sweep's distribution of one metric: one dot per seed on an axis from the
// smallest to the largest value, the median marked; failed seeds' dots in red.
// `values` holds (value, passed) per seed. Values of duration metrics are labelled
// as people read time.
std::string MetricDistributionSvg(const std::string& metric,
                                  const std::vector<std::pair<double, bool>>& values,
                                  double width = 320);

}  // namespace bpsim::reports
