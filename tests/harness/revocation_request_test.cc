// consent.revoke_requested: the customer's request to revoke, wherever it starts,
// so that a rule and the revocation latency metrics can be timed from it rather
// than from the bank's consent.revoked, which waits for the bank.

#include <catch2/catch.hpp>

#include "../mocks/world_test_util.h"
#include "harness/runner.h"

using namespace bpsim;

namespace {

// On the second day, customers of northbank revoke in chat at 14:00 while northbank
// is down (12:00 to 18:00): the platform stops and purges at once, but the bank
// records the revocation only when the platform's DELETE reaches it after 18:00.
// Customers of southbank revoke in their bank's app at 15:00. Everyone linked on
// the first day, so the platform holds their data. Two user rules time the purge:
// from the bank's record, and from the customer's request.
const char* kScenario = R"(
seed: 7
duration: 2d
drain: 1h
world:
  banks: [{id: northbank}, {id: southbank}]
  customers:
    count: 600
    consent: {opt_in: 1, reject: 0, revoke_per_year: 0}
  platform: {poll_interval: 1h}
timeline:
  - at: 36h
    outage: {target: northbank, for: 6h, mode: unavailable}
  - at: 38h
    revoke_consents: {fraction: 0.2, bank: northbank, via: messenger}
  - at: 39h
    revoke_consents: {fraction: 0.2, bank: southbank, via: bank}
rules:
  - id: purged-within-1h-of-the-bank-record
    within: {trigger: {consent.revoked: {reason: messenger}}, response: cache.purge, max: 1h, key: consent}
  - id: purged-within-1h-of-the-request
    within: {trigger: {consent.revoke_requested: {reason: messenger}}, response: cache.purge, max: 1h, key: consent}
)";

const reports::Check& CheckNamed(const reports::ScenarioResult& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return c;
  }
  FAIL("no check " << name);
  static reports::Check none;
  return none;
}

}  // namespace

TEST_CASE("consent.revoke_requested marks the customer's request in both channels",
          "[harness][revocation]") {
  testing::RecordedRun run(kScenario);
  std::size_t messenger = 0, bank = 0;
  for (std::size_t i = 0; i < run.recorder.entries.size(); ++i) {
    const mocks::TraceEntry& e = run.recorder.entries[i];
    if (e.type != mocks::EntryType::kRevokeRequested) continue;
    CHECK(e.from == mocks::CustomerEndpoint(e.subject));
    if (e.reason == std::uint8_t(mocks::Via::kMessenger)) {
      ++messenger;
      CHECK(e.to == mocks::kConnector);
      CHECK(e.bank == 0);
      CHECK(e.time == 38 * kHour);
    } else {
      ++bank;
      CHECK(e.to == mocks::BankEndpoint(1));
      CHECK(e.time == 39 * kHour);
      // In the bank's app the bank revokes at once, right after the request.
      REQUIRE(i + 1 < run.recorder.entries.size());
      CHECK(run.recorder.entries[i + 1].type == mocks::EntryType::kConsentRevoked);
      CHECK(run.recorder.entries[i + 1].consent == e.consent);
    }
  }
  CHECK(messenger > 20);
  CHECK(bank > 20);
}

TEST_CASE("A rule timed from the customer's request holds where one timed from the bank's record "
          "fires; the revocation latency is measured from the request",
          "[harness][revocation]") {
  harness::Scenario s = testing::ScenarioFromYaml(kScenario);
  harness::RunOptions options;
  options.async_judging = false;
  reports::ScenarioResult r = harness::RunScenario(s, options);
  // The bank records the revocations after 18:00; the purges were at 14:00.
  CHECK(CheckNamed(r, "purged-within-1h-of-the-bank-record").fired > 20);
  CHECK(CheckNamed(r, "purged-within-1h-of-the-request").fired == 0);
  CHECK(CheckNamed(r, "revocation-honoured").fired == 0);
  // Requests in chat: purged at the request itself. Requests in southbank's app: the
  // platform purges when the bank's revocation webhook arrives (delays of a few
  // hundred milliseconds at most with the default faults).
  const double* p50 = r.FindMetric("revocation_latency_p50");
  const double* p99 = r.FindMetric("revocation_latency_p99");
  REQUIRE(p50 != nullptr);
  REQUIRE(p99 != nullptr);
  CHECK(*p50 == 0);
  CHECK(*p99 > 0);
  CHECK(*p99 < 5);
  // Per-bank alert latencies are reported for both banks.
  CHECK(r.FindMetric("fraud_alert_latency_p99@northbank") != nullptr);
  CHECK(r.FindMetric("fraud_alert_latency_p99@southbank") != nullptr);
}
