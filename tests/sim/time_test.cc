#include <catch2/catch.hpp>

#include "sim/time.h"

using namespace bpsim;

TEST_CASE("ParseDuration reads every unit", "[sim][time]") {
  CHECK(ParseDuration("500ms").value() == 500 * kMillisecond);
  CHECK(ParseDuration("30s").value() == 30 * kSecond);
  CHECK(ParseDuration("5m").value() == 5 * kMinute);
  CHECK(ParseDuration("6h").value() == 6 * kHour);
  CHECK(ParseDuration("14d").value() == 14 * kDay);
  CHECK(ParseDuration("250us").value() == 250 * kMicrosecond);
  CHECK(ParseDuration("7ns").value() == 7);
  CHECK(ParseDuration("1.5s").value() == 1500 * kMillisecond);
  CHECK(ParseDuration("0").value() == 0);
}
