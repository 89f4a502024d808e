#include "sim/time.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "sim/rng.h"

using namespace bpsim;

namespace {

// The message of a failed parse, or "ok" so a wrong success shows in the diff.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return r.ok() ? std::string("ok") : r.error().message;
}

const std::string kHint =
    "expected a duration such as 500ms, 30s, 5m, 6h or 14d (units ns, us, ms, s, m, h, d)";

}  // namespace

TEST_CASE("ParseDuration reads every unit", "[sim][time]") {
  CHECK(ParseDuration("7ns").value() == 7);
  CHECK(ParseDuration("250us").value() == 250 * kMicrosecond);
  CHECK(ParseDuration("500ms").value() == 500 * kMillisecond);
  CHECK(ParseDuration("30s").value() == 30 * kSecond);
  CHECK(ParseDuration("5m").value() == 5 * kMinute);
  CHECK(ParseDuration("6h").value() == 6 * kHour);
  CHECK(ParseDuration("14d").value() == 14 * kDay);
  CHECK(ParseDuration("0").value() == 0);
  CHECK(ParseDuration("0s").value() == 0);
  CHECK(ParseDuration("007s").value() == 7 * kSecond);
}

TEST_CASE("ParseDuration reads decimals down to one nanosecond", "[sim][time]") {
  CHECK(ParseDuration("1.5s").value() == 1500 * kMillisecond);
  CHECK(ParseDuration("0.25d").value() == 6 * kHour);
  CHECK(ParseDuration("1.5m").value() == 90 * kSecond);
  CHECK(ParseDuration(".5s").value() == 500 * kMillisecond);
  CHECK(ParseDuration("1.000000001s").value() == kSecond + 1);
  CHECK(ParseDuration("2.500us").value() == 2500);
  CHECK(ParseDuration("1.0ns").value() == 1);
  CHECK(ParseDuration("1.5000000000000s").value() == 1500 * kMillisecond);  // trailing zeros
  CHECK(ParseDuration("106751.99d").value() == 106751 * kDay + 99 * kDay / 100);
  CHECK(ParseDuration("9223372036854775807ns").value() == kSimTimeMax);
}

TEST_CASE("ParseDuration reports exact messages for bad input", "[sim][time]") {
  CHECK(ErrorOf(ParseDuration("")) == "invalid duration '': " + kHint);
  CHECK(ErrorOf(ParseDuration("-5s")) == "invalid duration '-5s': durations cannot be negative");
  CHECK(ErrorOf(ParseDuration("15")) == "invalid duration '15': missing unit; " + kHint);
  CHECK(ErrorOf(ParseDuration("1.5")) == "invalid duration '1.5': missing unit; " + kHint);
  CHECK(ErrorOf(ParseDuration("5w")) == "invalid duration '5w': unknown unit 'w'; " + kHint);
  CHECK(ErrorOf(ParseDuration("5 s")) == "invalid duration '5 s': unknown unit ' s'; " + kHint);
  CHECK(ErrorOf(ParseDuration("s")) == "invalid duration 's': " + kHint);
  CHECK(ErrorOf(ParseDuration("+5s")) == "invalid duration '+5s': " + kHint);
  CHECK(ErrorOf(ParseDuration("106752d")) ==
        "invalid duration '106752d': too large (the limit is about 106751d)");
  CHECK(ErrorOf(ParseDuration("9223372036854775808ns")) ==
        "invalid duration '9223372036854775808ns': too large (the limit is about 106751d)");
  CHECK(ErrorOf(ParseDuration("99999999999999999999999s")) ==
        "invalid duration '99999999999999999999999s': too large (the limit is about 106751d)");
  CHECK(ErrorOf(ParseDuration("106751.999999d")) ==
        "invalid duration '106751.999999d': too large (the limit is about 106751d)");
  CHECK(ErrorOf(ParseDuration("1.5ns")) ==
        "invalid duration '1.5ns': more precision than one nanosecond");
  CHECK(ErrorOf(ParseDuration("1.0000000001s")) ==
        "invalid duration '1.0000000001s': more precision than one nanosecond");
}

TEST_CASE("FormatDuration uses the largest exact unit", "[sim][time]") {
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(1) == "1ns");
  CHECK(FormatDuration(1500) == "1500ns");
  CHECK(FormatDuration(2 * kMicrosecond) == "2us");
  CHECK(FormatDuration(1500 * kMillisecond) == "1500ms");
  CHECK(FormatDuration(90 * kSecond) == "90s");
  CHECK(FormatDuration(5 * kMinute) == "5m");
  CHECK(FormatDuration(36 * kHour) == "36h");
  CHECK(FormatDuration(14 * kDay) == "14d");
  CHECK(FormatDuration(kSimTimeMax) == "9223372036854775807ns");
  CHECK(FormatDuration(-90 * kSecond) == "-90s");
  CHECK(FormatDuration(std::numeric_limits<SimTime>::min()) == "-9223372036854775808ns");
}

TEST_CASE("FormatDuration round-trips through ParseDuration", "[sim][time]") {
  const SimTime units[] = {kNanosecond, kMicrosecond, kMillisecond, kSecond, kMinute, kHour, kDay};
  for (SimTime t : {SimTime{0}, SimTime{1}, SimTime{999}, 1500 * kMillisecond, 90 * kSecond,
                    25 * kHour, 106751 * kDay, kSimTimeMax, kSimTimeMax - 1}) {
    INFO(t);
    CHECK(ParseDuration(FormatDuration(t)).value() == t);
  }
  Rng rng(1, StreamKey("test.time.roundtrip"));
  for (int i = 0; i < 20'000; ++i) {
    SimTime unit = units[rng.Below(7)];
    // Half the values are small multiples of a unit, half any non-negative SimTime.
    SimTime t = i % 2 == 0 ? static_cast<SimTime>(rng.Below(100'000)) * unit
                           : static_cast<SimTime>(rng.Next() >> 1);
    INFO(t);
    std::string text = FormatDuration(t);
    Result<SimTime> parsed = ParseDuration(text);
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value() == t);
  }
}

TEST_CASE("ParseRate reads every unit as events per second", "[sim][time]") {
  CHECK(ParseRate("50/s").value().per_second == 50);
  CHECK(ParseRate("120/m").value().per_second == 2);
  CHECK(ParseRate("7200/h").value().per_second == 2);
  CHECK(ParseRate("2.5/d").value().per_second == Approx(2.5 / 86400));
  CHECK(ParseRate("0/s").value().per_second == 0);
  CHECK(ParseRate("1e3/s").value().per_second == 1000);
  CHECK(ParseRate("1e308/s").value().per_second == 1e308);  // no overflow to infinity
  CHECK(FormatRate(Rate{50}) == "50/s");
  CHECK(FormatRate(Rate{0.5}) == "0.5/s");
}

TEST_CASE("ParseRate reports exact messages for bad input", "[sim][time]") {
  const std::string hint = "expected a rate such as 50/s, 100/m, 2/h or 3/d";
  CHECK(ErrorOf(ParseRate("")) == "invalid rate '': " + hint);
  CHECK(ErrorOf(ParseRate("50")) == "invalid rate '50': " + hint);
  CHECK(ErrorOf(ParseRate("/s")) == "invalid rate '/s': " + hint);
  CHECK(ErrorOf(ParseRate("fast/s")) == "invalid rate 'fast/s': " + hint);
  CHECK(ErrorOf(ParseRate("5x/s")) == "invalid rate '5x/s': " + hint);
  CHECK(ErrorOf(ParseRate("-1/s")) ==
        "invalid rate '-1/s': the count must be a finite number >= 0");
  CHECK(ErrorOf(ParseRate("inf/s")) ==
        "invalid rate 'inf/s': the count must be a finite number >= 0");
  CHECK(ErrorOf(ParseRate("5/w")) == "invalid rate '5/w': unknown unit 'w'; " + hint);
  CHECK(ErrorOf(ParseRate("5/ms")) == "invalid rate '5/ms': unknown unit 'ms'; " + hint);
}

TEST_CASE("DescribeDuration writes time for people in the scenario format's units", "[sim][time]") {
  CHECK(DescribeDuration(0) == "0s");
  CHECK(DescribeDuration(kMinute) == "1m");
  CHECK(DescribeDuration(90 * kSecond) == "1m 30s");
  CHECK(DescribeDuration(350 * kMillisecond) == "350ms");
  CHECK(DescribeDuration(1500 * kMicrosecond) == "1.5ms");
  CHECK(DescribeDuration(12 * kMicrosecond) == "12us");
  CHECK(DescribeDuration(12345) == "12.345us");
  CHECK(DescribeDuration(500) == "500ns");
  CHECK(DescribeDuration(2 * kDay + 3 * kHour) == "2d 3h");
  // From a second up, rounded to the millisecond; zero parts are left out.
  CHECK(DescribeDuration(4 * kHour + 30 * kMinute + 10 * kSecond + 50 * kMillisecond) ==
        "4h 30m 10.05s");
  CHECK(DescribeDuration(kHour + 56 * kMinute + 13 * kSecond + 84 * kMillisecond + 7) ==
        "1h 56m 13.084s");
  CHECK(DescribeDuration(64800280795228) == "18h 0.281s");
  CHECK(DescribeDuration(5 * kSecond + 1) == "5s");
  // Rounding carries into the next unit.
  CHECK(DescribeDuration(kSecond - 1) == "1s");
  CHECK(DescribeDuration(kMinute - kMicrosecond) == "1m");
  CHECK(DescribeDuration(kMillisecond - 1) == "999.999us");
  CHECK(DescribeDuration(-90 * kSecond) == "-1m 30s");
  CHECK(DescribeDuration(kSimTimeMax) == "106751d 23h 47m 16.855s");
}

TEST_CASE("DescribeSeconds writes a metric in seconds the same way", "[sim][time]") {
  CHECK(DescribeSeconds(16210.05) == "4h 30m 10.05s");
  CHECK(DescribeSeconds(0.28600000000000003) == "286ms");
  CHECK(DescribeSeconds(0) == "0s");
  CHECK(DescribeSeconds(std::nan("")) == "n/a");
}
