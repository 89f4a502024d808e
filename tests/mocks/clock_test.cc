// A party's own clock (mocks/clock.h, docs/world.md "Clocks").

#include <catch2/catch.hpp>

#include "mocks/clock.h"

using namespace bpsim;
using namespace bpsim::mocks;

namespace {

class FixedClock final : public Clock {
 public:
  SimTime Now() const override { return now; }
  SimTime now = 0;
};

}  // namespace

TEST_CASE("a clock reads the true time with its offset and drift", "[mocks][clock]") {
  FixedClock truth;
  truth.now = 10 * kDay;
  CHECK(LocalClock(&truth, ClockConfig{}).Now() == 10 * kDay);
  CHECK(LocalClock(&truth, ClockConfig{-30 * kMinute, 0}).Now() == 10 * kDay - 30 * kMinute);
  // 100 ppm fast gains 86.4 s in ten days.
  CHECK(LocalClock(&truth, ClockConfig{0, 100}).Now() == 10 * kDay + 86'400 * kMillisecond);
  CHECK(LocalClock(&truth, ClockConfig{kMinute, -50}).Now() ==
        10 * kDay + kMinute - 43'200 * kMillisecond);
}

TEST_CASE("TrueTimeOf is the first true instant a clock reads a value", "[mocks][clock]") {
  FixedClock truth;
  for (const ClockConfig& config :
       {ClockConfig{}, ClockConfig{-45 * kMinute, -30}, ClockConfig{10 * kMinute, 80},
        ClockConfig{3, 999.9}, ClockConfig{-7, -999.9}}) {
    const LocalClock clock(&truth, config);
    for (SimTime local : {SimTime(0), kHour, 7 * kDay + 13, 90 * kDay + 1}) {
      const SimTime t = clock.TrueTimeOf(local);
      CHECK(clock.Local(t) >= local);
      CHECK(clock.Local(t - 1) < local);
    }
  }
}
