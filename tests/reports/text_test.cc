#include "reports/text.h"

#include <catch2/catch.hpp>

#include "reports/key_metrics.h"
#include "tests/reports/fixture.h"

using namespace bpsim;
using namespace bpsim::reports;

TEST_CASE("FormatSimInstant prints days and hh:mm:ss.mmm", "[reports][text]") {
  CHECK(FormatSimInstant(0) == "0d 00:00:00.000");
  CHECK(FormatSimInstant(2 * kDay + 3 * kHour + 35 * kMinute + 7 * kSecond + 250 * kMillisecond) ==
        "2d 03:35:07.250");
  CHECK(FormatSimInstant(-kSecond) == "-0d 00:00:01.000");
}

TEST_CASE("FormatSpan prints at most two units", "[reports][text]") {
  CHECK(FormatSpan(0) == "0s");
  CHECK(FormatSpan(7 * kDay + 6 * kHour) == "7d 6h");
  CHECK(FormatSpan(15 * kDay) == "15d");
  CHECK(FormatSpan(kHour + 30 * kMinute + 10 * kSecond) == "1h 30m");
  CHECK(FormatSpan(250 * kMillisecond) == "250ms");
  CHECK(FormatSpan(kDay + 5 * kMinute) == "1d");  // the two largest units only
}

TEST_CASE("FormatSecondsShort picks a unit for compact labels", "[reports][text]") {
  CHECK(FormatSecondsShort(0.169) == "169ms");
  CHECK(FormatSecondsShort(1.3800000000000001) == "1.38s");
  CHECK(FormatSecondsShort(54.2) == "54.2s");
  CHECK(FormatSecondsShort(155) == "2.58m");
  CHECK(FormatSecondsShort(3600) == "1h");
}

TEST_CASE("FormatMetricValue prints integers without decimals", "[reports][text]") {
  CHECK(FormatMetricValue(1204) == "1204");
  CHECK(FormatMetricValue(0.25) == "0.25");
  CHECK(FormatMetricValue(12.5) == "12.5");
  CHECK(FormatMetricValue(-0.0001) == "0");
  CHECK(FormatHex64(0xabc) == "0000000000000abc");
}

TEST_CASE("ViolationCount prefers the violations metric when the run listed only some",
          "[reports][text]") {
  ScenarioResult s = testing::MakeFailingScenario();
  CHECK(ViolationCount(s) == 4);
  for (auto& [name, value] : s.metrics) {
    if (name == "violations") value = 7085;
  }
  CHECK(ViolationCount(s) == 7085);
  s.metrics.clear();
  CHECK(ViolationCount(s) == 4);
}

TEST_CASE("JsonQuote escapes quotes, backslashes, controls and invalid UTF-8", "[reports][text]") {
  CHECK(JsonQuote("plain") == "\"plain\"");
  CHECK(JsonQuote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(JsonQuote("tab\tnl\n\x01") == "\"tab\\u0009nl\\u000a\\u0001\"");
  CHECK(JsonQuote("caf\xC3\xA9 \xC3") == "\"caf\xC3\xA9 \xEF\xBF\xBD\"");
}
