#pragma once
// A realistic hand-built RunReport for the report-writer tests: three scenarios
// (one passing; one failing with several violations and evidence chains; one with
// outages), 120-bucket timelines of plausible data and an alert-latency histogram.
// Pure function of its arguments: equal calls give equal reports.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "reports/result.h"
#include "sim/time.h"

namespace bpsim::reports::testing {

inline constexpr int kFixtureBuckets = 120;

// Deterministic pseudo-noise in [0, 1) (a small LCG hash; no global RNG).
inline double Noise(std::uint64_t seed, std::uint64_t i) {
  std::uint64_t x =
      seed * 6364136223846793005ULL + i * 1442695040888963407ULL + 0x9E3779B97F4A7C15ULL;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<double>(x >> 11) / static_cast<double>(1ULL << 53);
}

struct OutageSpec {
  std::string target, mode;
  SimTime start, end;
};

inline Timeline MakeTimeline(std::uint64_t seed, SimTime duration, SimTime drain,
                             const std::vector<OutageSpec>& outages) {
  Timeline t;
  t.end = duration + drain;
  t.bucket_width = t.end / kFixtureBuckets;
  t.drain_start = {duration};
  const char* statuses[] = {"200", "403", "429", "503", "timeout"};
  for (const char* s : statuses) t.api_by_status.push_back({s, {}});
  const char* states[] = {"Authorised", "AwaitingAuthorisation", "Revoked", "Expired"};
  for (const char* s : states) t.consents_by_state.push_back({s, {}});
  double authorised = 0, awaiting = 0, revoked = 0, expired = 0;
  for (int b = 0; b < kFixtureBuckets; ++b) {
    const SimTime mid = b * t.bucket_width + t.bucket_width / 2;
    bool down = false;
    for (const OutageSpec& o : outages) down = down || (mid >= o.start && mid < o.end);
    const bool draining = mid >= duration;
    const double day_phase = std::sin(2 * M_PI * static_cast<double>(mid % kDay) / kDay - M_PI / 2);
    double load = draining ? 5 : 180 + 90 * day_phase + 40 * Noise(seed, b);
    const auto n = [&](double v) { return static_cast<std::uint64_t>(std::max(0.0, v)); };
    t.api_by_status[0].second.push_back(down ? n(load * 0.05) : n(load));
    t.api_by_status[1].second.push_back(n(load * 0.03 * Noise(seed + 1, b)));
    t.api_by_status[2].second.push_back(n(Noise(seed + 2, b) > 0.85 ? load * 0.1 : 0));
    t.api_by_status[3].second.push_back(down ? n(load * 0.7) : 0);
    t.api_by_status[4].second.push_back(down ? n(load * 0.25) : n(2 * Noise(seed + 3, b)));
    if (!draining) {
      const double granted = 40 + 20 * Noise(seed + 4, b);
      awaiting = 12 + 6 * Noise(seed + 5, b);
      authorised += granted - awaiting * 0.1;
      const double rev = authorised * 0.012 * Noise(seed + 6, b);
      const double exp = b > 60 ? authorised * 0.006 : 0;
      authorised -= rev + exp;
      revoked += rev;
      expired += exp;
    } else {
      awaiting = 0;
    }
    t.consents_by_state[0].second.push_back(n(authorised));
    t.consents_by_state[1].second.push_back(n(awaiting));
    t.consents_by_state[2].second.push_back(n(revoked));
    t.consents_by_state[3].second.push_back(n(expired));
  }
  for (const OutageSpec& o : outages) t.outages.push_back({o.target, o.mode, o.start, o.end});
  return t;
}

inline Histogram MakeLatencyHistogram(std::uint64_t seed, double scale) {
  Histogram h;
  h.upper_bounds_seconds = {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600};
  const double shape[] = {40, 180, 260, 150, 60, 22, 9, 4, 2, 1};
  for (size_t i = 0; i < h.upper_bounds_seconds.size(); ++i) {
    const double shifted =
        i == 0 ? shape[0] / scale : shape[i] * (scale > 1 ? scale / (1 + 0.3 * i) : 1);
    h.counts.push_back(static_cast<std::uint64_t>(shifted + 10 * Noise(seed, i)));
  }
  return h;
}

inline std::vector<std::pair<std::string, double>> MakeMetrics(std::uint64_t seed, double p99,
                                                               double violations, double lost,
                                                               double unavailable) {
  return {{"events", 1204337},
          {"customers", 5000},
          {"consents_granted", 4920},
          {"consents_revoked", 611},
          {"api_requests", 31877 + std::floor(100 * Noise(seed, 1))},
          {"api_ok_200", 30110},
          {"api_denied_403", 214},
          {"api_throttled_429", 87},
          {"api_unavailable_503", unavailable},
          {"api_timeouts", 41},
          {"balance_checks", 9012},
          {"balance_answered", 8890},
          {"fraud_detected", 733},
          {"fraud_alerts_displayed", 733 - lost},
          {"alerts_lost", lost},
          {"alerts_duplicated", 0},
          {"fraud_alert_latency_p50", 1.75},
          {"fraud_alert_latency_p99", p99},
          {"fraud_alert_latency_max", p99 * 3.5},
          {"cache_items_max", 4100},
          {"violations", violations}};
}

inline ScenarioResult MakePassingScenario() {
  ScenarioResult s;
  s.id = "consent/grant-and-read";
  s.file = "scenarios/consent/grant-and-read.yaml";
  s.description = "Customers grant consent, read balances in chat, and some revoke; nothing leaks.";
  s.tags = {"consent", "smoke"};
  s.seed = 42;
  s.passed = true;
  s.checks = {{"consent-before-access", true, "", 0},
              {"revocation-honoured", true, "", 0},
              {"purpose-limitation", true, "", 0},
              {"metric:fraud_alert_latency_p99", true, "measured 4.2s, max 60s", 0},
              {"sometimes:consent-revoked-in-bank", true, "occurred 611 times", 0},
              {"verdict", true, "expected pass, got pass", 0}};
  s.metrics = MakeMetrics(1, 4.2, 0, 0, 0);
  s.timeline = MakeTimeline(1, 14 * kDay, 1 * kDay, {});
  s.alert_latency = MakeLatencyHistogram(1, 1.0);
  s.repro = "bpsim replay scenarios/consent/grant-and-read.yaml --seed 42";
  s.trace_hash = 0x3a5f9c01d2e4b687ULL;
  s.wall_seconds = 0.84;
  return s;
}

inline ScenarioResult MakeFailingScenario() {
  ScenarioResult s;
  s.id = "data-sharing/partner-leak";
  s.file = "scenarios/data-sharing/partner-leak.yaml";
  s.description =
      "A buggy connector keeps polling after revocation & forwards balances to a <partner> sink.";
  s.tags = {"data-sharing", "defect", "regression"};
  s.seed = 7;
  s.passed = false;
  const SimTime t1 = 2 * kDay + 3 * kHour + 15 * kMinute;
  s.violations.push_back(
      {"revocation-honoured",
       t1 + 20 * kMinute,
       7,
       "platform requested balances under consent 42 after its revocation (grace 5m)",
       {{t1 - 6 * kHour,
         "consent.granted consent 42 of customer 7 (scopes balances, transactions)"},
        {t1, "consent.revoked consent 42 of customer 7 (via bank)"},
        {t1 + 2 * kSecond, "webhook.delivered consent 42 revoked -> platform"},
        {t1 + 20 * kMinute, "api.request GET /accounts/acc-7/balances under consent 42"}}});
  s.violations.push_back(
      {"no-third-party-sharing",
       3 * kDay + 9 * kHour,
       12,
       "balance of customer 12 reached sink partner:\"cashback\" <ad-network>",
       {{3 * kDay + 8 * kHour, "api.response 200 balances of customer 12 (flow 9001)"},
        {3 * kDay + 8 * kHour + kSecond, "cache.put balance of customer 12 (flow 9001)"},
        {3 * kDay + 9 * kHour, "sink.partner:cashback received flow 9001 & derived 9002"}}});
  s.violations.push_back(
      {"revocation-honoured",
       5 * kDay + 14 * kHour,
       31,
       "cached transactions under consent 88 not purged within 1h of revocation",
       {{5 * kDay + 12 * kHour, "consent.revoked consent 88 of customer 31 (in messenger)"},
        {5 * kDay + 14 * kHour, "cache.still-present transactions of customer 31 (consent 88)"}}});
  s.violations.push_back({"never-ads-balance",
                          9 * kDay + 1 * kHour,
                          44,
                          "rule never-ads-balance: flow of kind balance reached sink ads",
                          {{9 * kDay, "api.response 200 balances of customer 44 (flow 12011)"},
                           {9 * kDay + 1 * kHour, "sink.ads received flow 12011"}}});
  s.checks = {{"consent-before-access", true, "", 0},
              {"revocation-honoured", false, "fired 2 times; not expected", 2},
              {"no-third-party-sharing", false, "fired 1 time; not expected", 1},
              {"never-ads-balance", false, "fired 1 time; not expected", 1},
              {"metric:alerts_lost", false, "measured 3, max 0", 0},
              {"sometimes:fraud-wave", true, "occurred 2 times", 0},
              {"verdict", false, "expected pass, got fail", 0}};
  s.metrics = MakeMetrics(2, 38.5, 4, 3, 0);
  s.timeline = MakeTimeline(2, 14 * kDay, 1 * kDay, {});
  s.alert_latency = MakeLatencyHistogram(2, 2.5);
  s.repro = "bpsim replay scenarios/data-sharing/partner-leak.yaml --seed 7";
  s.trace_hash = 0x00f1e2d3c4b5a697ULL;
  s.wall_seconds = 1.37;
  return s;
}

inline ScenarioResult MakeOutageScenario() {
  ScenarioResult s;
  s.id = "outages/bank-a-503-storm";
  s.file = "scenarios/outages/bank-a-503-storm.yaml";
  s.description = "Bank A returns 503 for six hours on day 4 and times out for two hours on day 9.";
  s.tags = {"outages", "resilience"};
  s.seed = 1001;
  s.passed = true;
  s.checks = {{"fraud-alert-delivery", true, "p99 12.5s, 0 lost", 0},
              {"metric:api_unavailable_503", true, "measured 5102, max 8000", 0},
              {"sometimes:bank-outage", true, "occurred 2 times", 0},
              {"verdict", true, "expected pass, got pass", 0}};
  s.metrics = MakeMetrics(3, 12.5, 0, 0, 5102);
  const std::vector<OutageSpec> outages = {
      {"bank-a", "503", 4 * kDay + 6 * kHour, 4 * kDay + 12 * kHour},
      {"bank-a", "timeout", 9 * kDay, 9 * kDay + 2 * kHour}};
  s.timeline = MakeTimeline(3, 14 * kDay, 1 * kDay, outages);
  s.alert_latency = MakeLatencyHistogram(3, 1.6);
  s.repro = "bpsim replay scenarios/outages/bank-a-503-storm.yaml --seed 1001";
  s.trace_hash = 0x9bcd0011aa22ff33ULL;
  s.wall_seconds = 2.05;
  return s;
}

inline RunReport MakeFixtureReport() {
  RunReport r;
  r.bpsim_version = "0.1.0";
  r.command = "bpsim run scenarios/ --out out/";
  r.scenarios = {MakePassingScenario(), MakeFailingScenario(), MakeOutageScenario()};
  r.wall_seconds = 4.31;
  return r;
}

}  // namespace bpsim::reports::testing
