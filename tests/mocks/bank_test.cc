// The bank's data API as a pure handler: every status it can answer (docs/world.md).

#include <catch2/catch.hpp>

#include "mocks/bank/bank.h"
#include "mocks/customers/population.h"
#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;

namespace {

struct BankFixture {
  explicit BankFixture(const std::string& bank_yaml = "{id: northbank, api: {rate_limit: 0, error_rate: 0}}")
      : scenario(testing::ScenarioFromYaml("duration: 2d\nworld:\n  banks: [" + bank_yaml +
                                           "]\n  customers: {count: 10}\n")) {
    env.clock = &sim;
    env.bus = &bus;
    bus.Subscribe(&recorder);
    population = std::make_unique<Population>(&env, scenario.spec.world.customers,
                                              scenario.spec.world.banks);
    bank = std::make_unique<Bank>(&env, 0, scenario.spec.world.banks[0], &consents, population.get());
  }
  // An authorised consent for customer `c` with `scopes`; returns its request template.
  ApiRequest Linked(CustomerId c, ScopeSet scopes, Category category) {
    ConsentId id = consents.Create(c, 0, scopes, kPurposeDisplay, kDay);
    REQUIRE(consents.Authorise(id, 1000 + id));
    ApiRequest r;
    r.token_consent = id;
    r.token_secret = 1000 + id;
    r.subject = c;
    r.category = category;
    r.request_id = ++next_request;
    return r;
  }
  ApiResponse Call(const ApiRequest& r) {
    ApiResponse response;
    bank->Handle(r, rng, &response);
    return response;
  }
  harness::Scenario scenario;
  Simulator sim;
  WorldTraceBus bus;
  testing::Recorder recorder;
  Env env;
  ConsentStore consents{&env};
  std::unique_ptr<Population> population;
  std::unique_ptr<Bank> bank;
  Rng rng{1, 2};
  std::uint64_t next_request = 0;
};

}  // namespace

TEST_CASE("200: data under a valid consent, with the audit record before the release",
          "[mocks][bank]") {
  BankFixture f;
  ApiResponse r = f.Call(f.Linked(4, kScopeBalances, Category::kBalance));
  CHECK(r.status == 200);
  CHECK(r.balances.checking_cents == f.population->BalanceAt(4, 0).checking_cents);
  REQUIRE(f.recorder.entries.size() >= 5);
  const auto& n = f.recorder.entries.size();
  CHECK(f.recorder.entries[n - 3].type == EntryType::kApiServed);
  CHECK(f.recorder.entries[n - 2].type == EntryType::kAudit);
  const TraceEntry& flow = f.recorder.entries[n - 1];
  CHECK(flow.type == EntryType::kFlow);
  CHECK(flow.labelled);
  CHECK(flow.subject == 4);
  CHECK(flow.categories == CategoryBit(Category::kBalance));
  CHECK(f.bank->audit_records() == 1);
}

TEST_CASE("401: no token, a wrong secret, or another bank's consent", "[mocks][bank]") {
  BankFixture f;
  ApiRequest good = f.Linked(1, kScopeBalances, Category::kBalance);
  ApiRequest none = good;
  none.token_consent = 0;
  CHECK(f.Call(none).status == 401);
  ApiRequest wrong = good;
  wrong.token_secret = 5;
  ApiResponse r = f.Call(wrong);
  CHECK(r.status == 401);
  CHECK(r.reason == DenyReason::kNoToken);
  ApiRequest unknown = good;
  unknown.token_consent = 99;
  CHECK(f.Call(unknown).status == 401);
  CHECK(f.recorder.Count(EntryType::kFlow) == 0);
}

TEST_CASE("403: consent not authorised, revoked, expired, lacking the scope, or not the subject's",
          "[mocks][bank]") {
  BankFixture f;
  ApiRequest req = f.Linked(2, kScopeBalances, Category::kBalance);
  // Lacking the scope.
  ApiRequest tx = req;
  tx.category = Category::kTransactions;
  ApiResponse r = f.Call(tx);
  CHECK(r.status == 403);
  CHECK(r.reason == DenyReason::kScope);
  // Another customer's account with this token.
  ApiRequest other = req;
  other.subject = 3;
  r = f.Call(other);
  CHECK(r.status == 403);
  CHECK(r.reason == DenyReason::kWrongSubject);
  // Revoked.
  REQUIRE(f.consents.Revoke(req.token_consent, Via::kBank));
  r = f.Call(req);
  CHECK(r.status == 403);
  CHECK(r.reason == DenyReason::kConsentInactive);
  // Expired.
  ApiRequest later = f.Linked(5, kScopeBalances, Category::kBalance);
  f.sim.RunUntil(kDay);
  r = f.Call(later);
  CHECK(r.status == 403);
  CHECK(r.reason == DenyReason::kConsentInactive);
  CHECK(f.recorder.Count(EntryType::kFlow) == 0);
}

TEST_CASE("403: a consent that leaves the addressed account out of a service", "[mocks][bank]") {
  BankFixture f;
  ApiRequest req = f.Linked(2, kScopeBalances | kScopeAccounts, Category::kBalance);
  req.account_scopes = kScopeAccounts;  // the consent names this account for accounts only
  ApiResponse r = f.Call(req);
  CHECK(r.status == 403);
  CHECK(r.reason == DenyReason::kScope);
  req.account_scopes = kScopeBalances;
  CHECK(f.Call(req).status == 200);
}

TEST_CASE("429: past the per-client rate limit, with Retry-After", "[mocks][bank]") {
  BankFixture f("{id: northbank, api: {rate_limit: 2/s, error_rate: 0}}");
  ApiRequest req = f.Linked(1, kScopeBalances, Category::kBalance);
  CHECK(f.Call(req).status == 200);
  CHECK(f.Call(req).status == 200);
  ApiResponse r = f.Call(req);
  CHECK(r.status == 429);
  CHECK(r.retry_after == kSecond);
  f.sim.RunUntil(kSecond);
  CHECK(f.Call(req).status == 200);
}

TEST_CASE("429: Berlin Group frequencyPerDay is enforced per consent", "[mocks][bank]") {
  BankFixture f("{id: northbank, api: {rate_limit: 0, error_rate: 0, frequency_per_day: 2}}");
  ApiRequest req = f.Linked(1, kScopeBalances, Category::kBalance);
  CHECK(f.Call(req).status == 200);
  CHECK(f.Call(req).status == 200);
  ApiResponse r = f.Call(req);
  CHECK(r.status == 429);
  CHECK(r.retry_after == kDay);
}

TEST_CASE("503 during an outage, 500 at the configured error rate", "[mocks][bank]") {
  BankFixture f;
  ApiRequest req = f.Linked(1, kScopeBalances, Category::kBalance);
  f.bank->SetOutage(OutageMode::kUnavailable, 0, 7);
  ApiResponse r = f.Call(req);
  CHECK(r.status == 503);
  CHECK(r.retry_after > 0);
  f.bank->ClearOutage(7);
  CHECK(f.Call(req).status == 200);

  BankFixture g("{id: northbank, api: {rate_limit: 0, error_rate: 1}}");
  ApiRequest req2 = g.Linked(1, kScopeBalances, Category::kBalance);
  CHECK(g.Call(req2).status == 500);
  g.bank->EndFaults();
  CHECK(g.Call(req2).status == 200);
}

TEST_CASE("bank.skips_consent_check releases data under a revoked consent", "[mocks][bank][defects]") {
  BankFixture f;
  f.env.defects.add(Defect::kBankSkipsConsentCheck);
  ApiRequest req = f.Linked(2, kScopeBalances, Category::kBalance);
  REQUIRE(f.consents.Revoke(req.token_consent, Via::kBank));
  CHECK(f.Call(req).status == 200);
}

TEST_CASE("bank.skips_audit releases data without an audit record", "[mocks][bank][defects]") {
  BankFixture f;
  f.env.defects.add(Defect::kBankSkipsAudit);
  CHECK(f.Call(f.Linked(2, kScopeBalances, Category::kBalance)).status == 200);
  CHECK(f.recorder.Count(EntryType::kAudit) == 0);
  CHECK(f.recorder.Count(EntryType::kFlow) == 1);
}
