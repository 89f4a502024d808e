// The consent table shared by consent-before-access, revocation-honoured,
// data-minimisation, fraud-alert-delivery and the alert metrics
// (harness/invariants/tracking.h): readers sharing one table, applied after them as
// the runner does, judge exactly as readers that each keep their own.

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "harness/invariants/metrics.h"
#include "harness/invariants/tracking.h"
#include "tests/harness/invariants_trace.h"

namespace bpsim::harness::testing {
namespace {

TEST_CASE("consent table records each life-cycle entry and ignores the rest",
          "[invariants][consents]") {
  ConsentTable t;
  CHECK(t.Find(1) == nullptr);
  for (const TraceEntry& e : Granted(kMinute, 1, 7, mocks::kScopeBalances)) t.OnEntry(e);
  t.OnEntry(Request(2 * kMinute, 7, 1, kBalance, 10));  // not a life-cycle entry
  const ConsentRecord* r = t.Find(1);
  REQUIRE(r != nullptr);
  CHECK(r->state == ConsentRecord::kAuthorised);
  CHECK(r->subject == 7);
  CHECK(r->created_time == kMinute);
  CHECK(r->authorised_time == kMinute + kSecond);
  CHECK(r->expiry == 90 * kDay);
  CHECK(r->Covers(kBalance));
  CHECK_FALSE(r->Covers(kTransactions));
  t.OnEntry(Consent(EntryType::kConsentRevoked, 3 * kMinute, 1, 7));
  CHECK(t.Find(1)->state == ConsentRecord::kRevoked);
  CHECK(t.Find(1)->end_time == 3 * kMinute);
  CHECK(t.Find(2) == nullptr);
  CHECK(t.Find(0) == nullptr);
}

// A trace whose judgements depend on what the table says at each entry, several at
// the instant of a life-cycle entry: readers must see the table as it was before
// the entry in hand, whichever of them applies it.
std::vector<TraceEntry> ConsentSensitiveTrace() {
  const mocks::Endpoint chat7 = mocks::ChatEndpoint(7);
  return Concat({
      Granted(0, 1, 7),
      {Consent(EntryType::kConsentCreated, 0, 2, 8)},  // never authorised
      Granted(0, 3, 9, mocks::kScopeBalances),         // balances only
      Granted(0, 4, 10, kAllScopes, mocks::kPurposeDisplay | mocks::kPurposeFraudAlerts,
              30 * kMinute),  // expires at 30m
      {
          Release(kMinute, 7, 1, kBalance, 100),               // fine
          Release(kMinute, 8, 2, kBalance, 101),               // awaiting authorisation
          Request(kMinute, 9, 3, kTransactions, 102),          // scope it lacks
          Detected(2 * kMinute, 7, 1, 900),                    // alertable
          Displayed(3 * kMinute, 7, 900, kMinute, chat7),      // delivered
          Detected(4 * kMinute, 9, 3, 901),                    // alertable, never shown
          RevokeRequested(5 * kMinute, 7, 1),                  // told
          Release(10 * kMinute, 7, 1, kBalance, 103),          // before the revocation
          Consent(EntryType::kConsentRevoked, 10 * kMinute, 1, 7),
          Release(10 * kMinute, 7, 1, kBalance, 104),          // at it, after: revoked
          Detected(10 * kMinute, 7, 1, 902),                   // not alertable
          Request(kHour, 7, 1, kBalance, 105),                 // 55m after told
          Consent(EntryType::kConsentExpired, 30 * kMinute, 4, 10, kAllScopes,
                  mocks::kPurposeDisplay | mocks::kPurposeFraudAlerts, 30 * kMinute),
          Request(31 * kMinute, 10, 4, kBalance, 106),         // after the expiry
          Release(31 * kMinute, 10, 4, kBalance, 106),
      },
  });
}

struct Judged {
  std::vector<reports::Violation> violations;
  std::uint64_t count = 0;
  std::map<std::string, double> metrics;
};

// Feeds the trace through a bus to the given invariants and the metrics; with
// `shared`, one table is given to all and subscribed after them, as the runner does.
Judged Judge(const std::vector<const char*>& ids, bool shared, SimTime end) {
  ConsentTable table;
  MonitorContext context = Context();
  if (shared) context.consents = &table;
  mocks::WorldTraceBus bus;
  std::vector<std::unique_ptr<Monitor>> monitors = SubscribeInvariants(ids, context, bus);
  MetricsCollector metrics(end, &Names(), MetricsCollector::kDefaultBuckets, nullptr,
                           shared ? &table : nullptr);
  bus.Subscribe(&metrics, MetricsCollector::kTypeMask);
  if (shared) bus.Subscribe(&table, ConsentTable::kTypeMask);
  std::vector<TraceEntry> trace = ConsentSensitiveTrace();
  std::stable_sort(trace.begin(), trace.end(),
                   [](const TraceEntry& a, const TraceEntry& b) { return a.time < b.time; });
  for (const TraceEntry& e : trace) bus.Publish(e);
  Judged j;
  j.violations = FinishAll(monitors, end, &j.count);
  metrics.Finish();
  for (const auto& [name, value] : metrics.Metrics()) j.metrics[name] = value;
  return j;
}

void RequireSame(const Judged& a, const Judged& b) {
  CHECK(a.count == b.count);
  CHECK(a.metrics == b.metrics);
  RequireSameViolations(a.violations, b.violations);
}

const std::vector<const char*> kReaders = {"consent-before-access", "revocation-honoured",
                                           "data-minimisation", "fraud-alert-delivery"};

TEST_CASE("monitors sharing one consent table judge as monitors with their own",
          "[invariants][consents]") {
  const SimTime end = 2 * kHour;
  Judged own = Judge(kReaders, false, end);
  Judged shared = Judge(kReaders, true, end);
  RequireSame(own, shared);

  // What the trace holds, so an equal wrong answer on both sides cannot pass.
  std::map<std::string, int> by_invariant;
  for (const auto& v : shared.violations) ++by_invariant[v.invariant];
  CHECK(by_invariant == std::map<std::string, int>{{"consent-before-access", 3},
                                                   {"data-minimisation", 1},
                                                   {"fraud-alert-delivery", 1},
                                                   {"revocation-honoured", 2}});
  std::vector<std::string> released;
  for (const auto& v : shared.violations) {
    if (v.invariant == "consent-before-access") released.push_back(v.message);
  }
  CHECK(released ==
        std::vector<std::string>{
            "bank:northbank released balance of customer 8 under consent 2, which was "
            "awaiting authorisation",
            "bank:northbank released balance of customer 7 under consent 1, which was revoked",
            "bank:northbank released balance of customer 10 under consent 4, which was expired"});
  CHECK(shared.metrics.at("fraud_alerts_displayed") == 1);
  CHECK(shared.metrics.at("alerts_lost") == 1);
}

TEST_CASE("a shared consent table serves whichever readers are enabled",
          "[invariants][consents]") {
  const SimTime end = 2 * kHour;
  for (const char* id : kReaders) {
    INFO(id);
    RequireSame(Judge({id}, false, end), Judge({id}, true, end));
  }
  RequireSame(Judge({}, false, end), Judge({}, true, end));  // metrics alone (--no-monitors)
}

}  // namespace
}  // namespace bpsim::harness::testing
