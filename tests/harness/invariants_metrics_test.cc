// MetricsCollector on a small trace with known counts, percentiles and charts.

#include <catch2/catch.hpp>

#include "harness/invariants/metrics.h"
#include "tests/harness/invariants_trace.h"

namespace bpsim::harness::testing {
namespace {

double Metric(const std::vector<std::pair<std::string, double>>& metrics, const char* name) {
  for (const auto& [n, v] : metrics) {
    if (n == name) return v;
  }
  FAIL("no metric " << name);
  return -1;
}

const std::vector<std::uint64_t>& Series(
    const std::vector<std::pair<std::string, std::vector<std::uint64_t>>>& all, const char* name) {
  for (const auto& s : all) {
    if (s.first == name) return s.second;
  }
  FAIL("no series " << name);
  static std::vector<std::uint64_t> none;
  return none;
}

TraceEntry Typed(EntryType type, SimTime t) {
  TraceEntry e;
  e.type = type;
  e.time = t;
  return e;
}

std::vector<TraceEntry> SmallTrace() {
  std::vector<TraceEntry> t;
  auto add = [&](TraceEntry e) { t.push_back(e); };
  add(Consent(EntryType::kConsentCreated, 0, 1, 7));
  add(Consent(EntryType::kConsentCreated, 0, 2, 8));
  add(Consent(EntryType::kConsentAuthorised, kSecond, 1, 7));
  add(Request(5 * kMinute, 7, 1, kBalance, 1));
  add(Served(8 * kMinute, 7, 1, 1, 200));
  add(Response(10 * kMinute, 7, 1, 1, 200));
  add(Flow(10 * kMinute, mocks::BankEndpoint(0), mocks::kConnector, 7, 1, kBalance, 1));
  add(CachePut(10 * kMinute, 7, 1, 500));
  add(CachePut(11 * kMinute, 7, 1, 501));
  add(CachePut(12 * kMinute, 7, 1, 500));  // replaces: still 2 live items
  add(Consent(EntryType::kConsentRejected, 30 * kMinute, 2, 8));
  add(Consent(EntryType::kConsentCreated, 50 * kMinute, 4, 9));
  auto outage = Typed(EntryType::kOutageStart, kHour);
  outage.to = mocks::BankEndpoint(0);
  outage.reason = std::uint8_t(mocks::OutageMode::kErrors);
  add(outage);
  // Alerts for customer 7: latencies 1s, 2s, 3s, 10s; alert 5 lost; alert 6 a false
  // positive without a consent (not alertable); alert 1 displayed twice.
  const SimTime latencies[] = {kSecond, 2 * kSecond, 3 * kSecond, 10 * kSecond};
  for (std::uint64_t i = 1; i <= 4; ++i) {
    SimTime d = kHour + SimTime(i) * kMinute;
    add(Detected(d, 7, 1, i));
    add(Displayed(d + latencies[i - 1], 7, i, d, mocks::ChatEndpoint(7)));
  }
  add(Displayed(kHour + 9 * kMinute, 7, 1, kHour + kMinute, mocks::ChatEndpoint(7)));
  add(Detected(kHour + 10 * kMinute, 7, 1, 5));
  add(Detected(kHour + 11 * kMinute, 9, 0, 6, false));
  // Alert 7 (southbank's) waits; its consent is revoked at 150 min and the bank
  // withholds it at 160 min: not lost.
  auto southbank_alert = Detected(kHour + 12 * kMinute, 7, 1, 7);
  southbank_alert.bank = 1;
  add(southbank_alert);
  add(Request(kHour + 20 * kMinute, 7, 1, kBalance, 2));
  add(Request(kHour + 20 * kMinute, 7, 1, kBalance, 3));
  add(Served(kHour + 20 * kMinute, 7, 1, 2, 200));
  add(Served(kHour + 20 * kMinute, 7, 1, 3, 429));
  add(Response(kHour + 20 * kMinute, 7, 1, 2, 200));
  add(Response(kHour + 20 * kMinute, 7, 1, 3, 429));
  add(Consent(EntryType::kConsentCreated, 90 * kMinute, 3, 10));
  add(Consent(EntryType::kConsentAuthorised, 91 * kMinute, 3, 10));
  auto outage_end = outage;
  outage_end.type = EntryType::kOutageEnd;
  outage_end.time = 2 * kHour;
  add(outage_end);
  auto sent = Simple(EntryType::kWebhookSent, 2 * kHour, 7, 1, 1);
  sent.value = 1;
  add(sent);
  sent.value = 2;
  add(sent);
  add(CachePurge(2 * kHour, 7, 1, 500, 12 * kMinute));
  // Customer 7 asks to revoke at 140 min; the platform still reads at 3h and
  // 3h50 (below): revocation latency 90 min. Customer 10 asks in the bank's app at
  // 200 min and nothing touches consent 3 after: latency 0.
  add(RevokeRequested(140 * kMinute, 7, 1));
  auto revoked = Consent(EntryType::kConsentRevoked, 150 * kMinute, 1, 7);
  add(revoked);
  auto withheld = Simple(EntryType::kWebhookWithheld, 160 * kMinute, 7, 1, 7);
  withheld.bank = 1;
  add(withheld);
  add(RevokeRequested(200 * kMinute, 10, 3, mocks::Via::kBank));
  auto messenger = Typed(EntryType::kOutageStart, 3 * kHour);
  messenger.to = mocks::kMessenger;
  add(messenger);
  add(Request(3 * kHour, 7, 1, kBalance, 4));
  add(Served(3 * kHour + 5 * kMinute, 7, 1, 4, 200));  // the answer is lost on its way back
  add(Response(3 * kHour + 10 * kMinute, 7, 1, 4, 0));
  add(Typed(EntryType::kDrainStart, 3 * kHour + 30 * kMinute));
  auto check = Simple(EntryType::kBalanceCheck, 3 * kHour + 40 * kMinute, 7, 0, 1);
  add(check);
  check.ref = 2;
  add(check);
  auto reply = Simple(EntryType::kBalanceReply, 3 * kHour + 40 * kMinute, 7, 0, 1);
  add(reply);
  reply.reason = std::uint8_t(mocks::ReplyKind::kNotLinked);
  add(reply);
  add(Request(3 * kHour + 50 * kMinute, 7, 1, kBalance, 5));
  add(Served(4 * kHour, 7, 1, 5, 503));  // at the end: counted in the last bucket
  add(Response(4 * kHour, 7, 1, 5, 503));
  return t;
}

TEST_CASE("metrics count a small trace exactly", "[invariants]") {
  MetricsCollector m(4 * kHour, &Names(), 4);
  auto trace = SmallTrace();
  for (const auto& e : trace) m.OnEntry(e);
  m.Finish();
  auto metrics = m.Metrics();
  CHECK(metrics.front().first == "consents_granted");
  CHECK(Metric(metrics, "consents_granted") == 2);
  CHECK(Metric(metrics, "consents_revoked") == 1);
  CHECK(Metric(metrics, "consents_expired") == 0);
  CHECK(Metric(metrics, "consents_rejected") == 1);
  CHECK(Metric(metrics, "api_requests") == 5);
  CHECK(Metric(metrics, "api_ok_200") == 3);  // the banks' answers, one of them lost
  CHECK(Metric(metrics, "api_throttled_429") == 1);
  CHECK(Metric(metrics, "api_unavailable_503") == 1);
  CHECK(Metric(metrics, "api_timeouts") == 1);
  CHECK(Metric(metrics, "api_denied_403") == 0);
  CHECK(Metric(metrics, "balance_checks") == 2);
  CHECK(Metric(metrics, "balance_answered") == 1);
  CHECK(Metric(metrics, "fraud_detected") == 7);
  CHECK(Metric(metrics, "fraud_false_positives") == 1);
  CHECK(Metric(metrics, "fraud_alerts_displayed") == 4);
  CHECK(Metric(metrics, "alerts_lost") == 1);
  CHECK(Metric(metrics, "alerts_duplicated") == 1);
  CHECK(Metric(metrics, "alerts_withheld") == 1);
  CHECK(Metric(metrics, "fraud_alert_latency_p50") == 2.0);   // rank ceil(0.5 * 4) = 2
  CHECK(Metric(metrics, "fraud_alert_latency_p99") == 10.0);  // rank ceil(0.99 * 4) = 4
  CHECK(Metric(metrics, "fraud_alert_latency_max") == 10.0);
  CHECK(Metric(metrics, "revocation_latency_p50") == 0.0);     // {0, 5400}: rank 1
  CHECK(Metric(metrics, "revocation_latency_p99") == 5400.0);  // rank 2
  // Per bank, after the others, in bank order: northbank had alerts 1-4 (and the lost
  // 5), southbank only the withheld 7.
  REQUIRE(metrics.size() >= 6);
  const std::size_t n = metrics.size();
  CHECK(metrics[n - 6].first == "fraud_alerts_displayed@northbank");
  CHECK(metrics[n - 6].second == 4);
  CHECK(metrics[n - 5].first == "fraud_alert_latency_p50@northbank");
  CHECK(metrics[n - 5].second == 2.0);
  CHECK(metrics[n - 4].first == "fraud_alert_latency_p99@northbank");
  CHECK(metrics[n - 4].second == 10.0);
  CHECK(metrics[n - 3].first == "fraud_alerts_displayed@southbank");
  CHECK(metrics[n - 3].second == 0);
  CHECK(metrics[n - 2].first == "fraud_alert_latency_p50@southbank");
  CHECK(metrics[n - 2].second == 0.0);
  CHECK(metrics[n - 1].first == "fraud_alert_latency_p99@southbank");
  CHECK(metrics[n - 1].second == 0.0);
  CHECK(Metric(metrics, "webhooks_sent") == 2);
  CHECK(Metric(metrics, "webhooks_retried") == 1);
  CHECK(Metric(metrics, "cache_items_max") == 2);
  CHECK(Metric(metrics, "cache_puts") == 3);
  CHECK(Metric(metrics, "cache_purges") == 1);
  CHECK(Metric(metrics, "flows") == 1);
  CHECK(Metric(metrics, "trace_entries") == double(trace.size()));
}

TEST_CASE("metrics fill the timeline: responses per bucket, consent states, outages, drain",
          "[invariants]") {
  MetricsCollector m(4 * kHour, &Names(), 4);
  for (const auto& e : SmallTrace()) m.OnEntry(e);
  m.Finish();
  const reports::Timeline& tl = m.timeline();
  CHECK(tl.bucket_width == kHour);
  CHECK(tl.end == 4 * kHour);
  CHECK(tl.drain_start == std::vector<SimTime>{3 * kHour + 30 * kMinute});
  REQUIRE(tl.api_by_status.size() == 7);
  CHECK(tl.api_by_status[6].first == "timeout");
  CHECK(Series(tl.api_by_status, "200") == std::vector<std::uint64_t>{1, 1, 0, 1});
  CHECK(Series(tl.api_by_status, "429") == std::vector<std::uint64_t>{0, 1, 0, 0});
  CHECK(Series(tl.api_by_status, "timeout") == std::vector<std::uint64_t>{0, 0, 0, 1});
  CHECK(Series(tl.api_by_status, "503") == std::vector<std::uint64_t>{0, 0, 0, 1});
  REQUIRE(tl.consents_by_state.size() == 5);
  CHECK(Series(tl.consents_by_state, "awaiting") == std::vector<std::uint64_t>{1, 1, 1, 1});
  CHECK(Series(tl.consents_by_state, "authorised") == std::vector<std::uint64_t>{1, 2, 1, 1});
  CHECK(Series(tl.consents_by_state, "revoked") == std::vector<std::uint64_t>{0, 0, 1, 1});
  CHECK(Series(tl.consents_by_state, "rejected") == std::vector<std::uint64_t>{1, 1, 1, 1});
  CHECK(Series(tl.consents_by_state, "expired") == std::vector<std::uint64_t>{0, 0, 0, 0});
  REQUIRE(tl.outages.size() == 2);
  CHECK(tl.outages[0].target == "northbank");
  CHECK(tl.outages[0].mode == "errors");
  CHECK(tl.outages[0].start == kHour);
  CHECK(tl.outages[0].end == 2 * kHour);
  CHECK(tl.outages[1].target == "messenger");
  CHECK(tl.outages[1].mode == "unavailable");
  CHECK(tl.outages[1].end == 4 * kHour);  // still open at the end
}

TEST_CASE("the alert latency histogram has log-spaced bounds from 0.1 s to 1 h plus overflow",
          "[invariants]") {
  auto bounds = MetricsCollector::LatencyBoundsSeconds();
  REQUIRE(bounds.size() == 21);
  CHECK(bounds.front() == 0.1);
  CHECK(bounds.back() == 3600.0);
  CHECK(std::is_sorted(bounds.begin(), bounds.end()));
  CHECK(bounds[5] == Approx(1.38));
  CHECK(bounds[10] == Approx(19.0));
  // Bit for bit the values the C library's pow and log10 gave before sim/math.h, so
  // that reports did not change: three significant digits times a power of ten.
  const std::vector<double> expected_bounds = {
      0.1,   0.169, 286 * 0.001, 0.482, 815 * 0.001, 138 * 0.01, 2.33,  3.93,  6.65,  112 * 0.1, 19.0,
      32.1,  54.2,  91.5,        155.0, 261.0,       442.0,      746.0, 1260.0, 2130.0, 3600.0};
  CHECK(bounds == expected_bounds);

  MetricsCollector m(4 * kHour, &Names(), 4);
  for (const auto& e : SmallTrace()) m.OnEntry(e);
  m.Finish();
  const reports::Histogram& h = m.alert_latency();
  REQUIRE(h.counts.size() == h.upper_bounds_seconds.size() + 1);
  std::vector<std::uint64_t> expected(22, 0);
  expected[5] = 1;  // 1 s   <= 1.38
  expected[6] = 1;  // 2 s   <= 2.33
  expected[7] = 1;  // 3 s   <= 3.93
  expected[9] = 1;  // 10 s  <= 11.2
  CHECK(h.counts == expected);
}

TEST_CASE("metrics report zero latencies when no alert was displayed", "[invariants]") {
  MetricsCollector m(kHour, nullptr);
  m.OnEntry(Typed(EntryType::kDrainStart, kMinute));
  m.Finish();
  auto metrics = m.Metrics();
  CHECK(Metric(metrics, "fraud_alert_latency_p50") == 0);
  CHECK(Metric(metrics, "fraud_alert_latency_max") == 0);
  CHECK(m.timeline().api_by_status[0].second.size() == 120);
  CHECK(m.timeline().bucket_width == 30 * kSecond);
}

}  // namespace
}  // namespace bpsim::harness::testing
