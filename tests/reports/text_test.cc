#include "reports/text.h"

#include <catch2/catch.hpp>

#include "reports/key_metrics.h"
#include "tests/reports/fixture.h"

using namespace bpsim;
using namespace bpsim::reports;

TEST_CASE("DescribeMetric writes duration metrics as time, others as numbers", "[reports][text]") {
  CHECK(DescribeMetric("fraud_alert_latency_p99", 16210.05) == "4h 30m 10.05s");
  CHECK(DescribeMetric("fraud_alert_latency_p99@northbank", 0.286) == "286ms");
  CHECK(DescribeMetric("wall_seconds", 0.28600000000000003) == "286ms");
  CHECK(DescribeMetric("api_requests", 1204) == "1204");
  CHECK(DescribeMetric("api_requests", 0.25) == "0.25");
}

TEST_CASE("A latency percentile of no samples is shown as '-'", "[reports][text]") {
  ScenarioResult s;
  s.metrics = {{"fraud_alerts_displayed", 0}, {"fraud_alert_latency_p99", 0},
               {"consents_revoked", 3}, {"revocation_latency_p99", 1.5}};
  CHECK(WithoutSamples(s, "fraud_alert_latency_p99"));
  CHECK(WithoutSamples(s, "fraud_alert_latency_p50@northbank"));
  CHECK_FALSE(WithoutSamples(s, "revocation_latency_p99"));
  CHECK(DescribeScenarioMetric(s, "fraud_alert_latency_p99") == "-");
  CHECK(DescribeScenarioMetric(s, "revocation_latency_p99") == "1.5s");
  CHECK(DescribeScenarioMetric(s, "api_requests") == "-");  // not reported
  s.metrics[0].second = 20;
  s.metrics[1].second = 16210.05;
  CHECK(DescribeScenarioMetric(s, "fraud_alert_latency_p99") == "4h 30m 10.05s");
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
