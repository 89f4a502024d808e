#pragma once
// Simulated time: an integer count of nanoseconds (docs/architecture.md). There is no
// floating-point time anywhere in bpsim; durations in scenarios are strings such as
// "500ms", "30s", "5m", "6h", "14d" and print back in the same form.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "sim/status.h"

namespace bpsim {

using SimTime = std::int64_t;  // nanoseconds since the start of the run

inline constexpr SimTime kNanosecond = 1;
inline constexpr SimTime kMicrosecond = 1'000;
inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kDay = 24 * kHour;
inline constexpr SimTime kSimTimeMax = std::numeric_limits<SimTime>::max();

// Parses "<number><unit>" where unit is one of ns, us, ms, s, m, h, d and number is
// a non-negative decimal (e.g. "1.5s"); the value must be a whole number of
// nanoseconds and fit in SimTime. "0" alone is accepted as zero. On failure the
// message says what was expected, without a position (the caller adds file:line:col).
Result<SimTime> ParseDuration(std::string_view text);

// Prints a duration with the largest unit that represents it exactly ("90s",
// "1500ms", "14d"), so ParseDuration(FormatDuration(t)) == t for every t >= 0.
std::string FormatDuration(SimTime t);

// Time for people to read, durations and instants alike (an instant is the duration
// since the start of the run): the one format of the console, summary.md,
// report.html, junit.xml messages and evidence. The scenario format's own units,
// largest first, zero parts left out: "4h 30m 10.05s", "2d 3h", "1m 30s", "350ms",
// "1.5ms", "12us", "500ns". From one second up the seconds are rounded to the
// millisecond; below, the value keeps three decimals of its unit (ms, us). Not for
// parsing back (FormatDuration) nor for machines (JSON keeps exact nanoseconds).
// See docs/report-format.md.
std::string DescribeDuration(SimTime t);
// The same for a number of seconds (a metric, a wall-clock time); "n/a" when it is
// not finite.
std::string DescribeSeconds(double seconds);

// Seconds as a double, for reports and metrics only (never for simulation logic).
inline double ToSeconds(SimTime t) { return static_cast<double>(t) / kSecond; }

// A rate "N/unit", e.g. "50/s", "2.5/d", "100/m"; stored as events per second.
struct Rate {
  double per_second = 0;
};
Result<Rate> ParseRate(std::string_view text);
std::string FormatRate(Rate rate);

}  // namespace bpsim
