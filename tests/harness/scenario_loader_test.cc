// The scenario loader (harness/scenario): typed values, defaults, and the exact
// messages users see for every class of mistake.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/scenario/scenario.h"

using namespace bpsim;
using namespace bpsim::harness;

namespace {

// The error message of parsing `text` as s.yaml; "" if it loaded.
std::string ErrorOf(const std::string& text) {
  Result<Scenario> r = ParseScenario(text, "s.yaml");
  return r.ok() ? "" : r.error().message;
}

Scenario Load(const std::string& text) {
  Result<Scenario> r = ParseScenario(text, "s.yaml");
  if (!r.ok()) FAIL(r.error().message);
  return r.value();
}

std::string TempPath(const std::string& name) {
  return "/tmp/bpsim_loader_test_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace

TEST_CASE("the full example loads with every value typed", "[loader]") {
  Result<Scenario> r = LoadScenario(std::string(BPSIM_SOURCE_DIR) +
                                    "/tests/harness/scenario_full_example.yaml");
  if (!r.ok()) FAIL(r.error().message);
  const Scenario& s = r.value();
  CHECK(s.id == "consent/revocation-during-outage");
  CHECK(s.description == "Revocations issued while a bank is down still stop all access.");
  CHECK(s.tags == std::vector<std::string>{"consent", "outage"});
  CHECK(s.spec.seed == 7);
  CHECK(s.spec.duration == 14 * kDay);
  CHECK(s.spec.drain == kHour);

  const auto& banks = s.spec.world.banks;
  REQUIRE(banks.size() == 2);
  CHECK(banks[0].id == "northbank");
  CHECK(banks[0].api.latency.median == 120 * kMillisecond);
  CHECK(banks[0].api.latency.p99 == 900 * kMillisecond);
  CHECK(banks[0].api.rate_limit_per_s == 50);
  CHECK(banks[0].api.error_rate == 0.001);
  CHECK(banks[0].api.dialect == mocks::Dialect::kObie);
  CHECK(banks[0].fraud.detect_delay == 30 * kSecond);
  CHECK(banks[0].webhook_retry.max == 10 * kMinute);
  CHECK(banks[0].webhook_faults.drop == 0.01);
  CHECK(banks[0].webhook_faults.delay.p99 == 2 * kMinute);
  CHECK(banks[0].link.timeout == 30 * kSecond);
  CHECK(banks[1].id == "southbank");
  CHECK(banks[1].api.rate_limit_per_s == Approx(50.0));  // 3000/m
  CHECK(banks[1].api.dialect == mocks::Dialect::kBerlinGroup);
  CHECK(banks[1].api.frequency_per_day == 4);

  const auto& cu = s.spec.world.customers;
  CHECK(cu.count == 10000);
  REQUIRE(cu.banks.size() == 2);
  CHECK(cu.banks[0] == std::pair<std::string, double>{"northbank", 0.6});
  CHECK(cu.banks[1] == std::pair<std::string, double>{"southbank", 0.4});
  CHECK(cu.card_amount.p99_cents == 40000);
  CHECK(cu.salary_cents_median == 180000);
  CHECK(cu.payday_every == 14 * kDay);
  CHECK(cu.balance_checks_from_groups == 0.1);
  CHECK(cu.consent.scopes == (mocks::kScopeBalances | mocks::kScopeTransactions));
  CHECK(cu.consent.expiry == 90 * kDay);
  CHECK(cu.consent.authorise_delay == 2 * kMinute);
  CHECK(cu.fraud.fraud_tx_per_day == 6);
  CHECK(cu.friends == 20);
  CHECK(cu.group_chats == 2);

  const auto& pl = s.spec.world.platform;
  CHECK(pl.poll_interval == 6 * kHour);
  CHECK(pl.alert_retry.max == 5 * kMinute);
  CHECK(pl.partners == std::vector<std::string>{"adpartner"});

  // Stored sorted by `at`, each with its line.
  const auto& tl = s.spec.timeline;
  REQUIRE(tl.size() == 5);
  CHECK(tl[0].at == 2 * kDay);
  const auto& revoke = std::get<mocks::RevokeConsents>(tl[0].action);
  CHECK(revoke.fraction == 0.25);
  CHECK(revoke.bank == std::optional<std::string>("northbank"));
  CHECK(revoke.via == mocks::Via::kBank);
  CHECK(tl[0].line == 42);
  const auto& slow = std::get<mocks::Outage>(tl[1].action);
  CHECK(slow.target == "southbank");
  CHECK(slow.duration == 4 * kHour);
  CHECK(slow.mode == mocks::OutageMode::kSlow);
  CHECK(slow.latency.p99 == 5 * kSecond);
  const auto& errors = std::get<mocks::Outage>(tl[2].action);
  CHECK(errors.target == "messenger");
  CHECK(errors.rate == 0.2);
  CHECK(std::get<mocks::FraudWave>(tl[3].action).cards == 200);
  const auto& grant = std::get<mocks::GrantConsents>(tl[4].action);
  CHECK(tl[4].at == 6 * kDay);
  CHECK(tl[4].line == 40);
  CHECK(grant.scopes == std::optional<mocks::ScopeSet>(mocks::kScopeBalances));

  CHECK(s.spec.defects.has(mocks::Defect::kIgnoresRevocation));
  CHECK(s.spec.defects.bits() == 1u);

  REQUIRE(s.invariants.size() == 4);
  CHECK(s.invariants[0].id == "consent-before-access");
  CHECK(s.invariants[1].id == "revocation-honoured");
  CHECK(s.invariants[1].purge_within == kHour);
  CHECK(s.invariants[1].line == 53);
  CHECK(s.invariants[2].max == 24 * kHour);
  CHECK(s.invariants[2].slack == kMinute);
  CHECK(s.invariants[3].p99 == 60 * kSecond);

  REQUIRE(s.rules.size() == 3);
  CHECK(s.rules[0].id == "no-bank-data-in-analytics");
  CHECK(s.rules[0].kind == Rule::Kind::kNever);
  CHECK(s.rules[0].trigger.type == "flow");
  REQUIRE(s.rules[0].trigger.fields.size() == 2);
  CHECK(s.rules[0].trigger.fields[0].field == "to");
  CHECK(s.rules[0].trigger.fields[0].any_of == std::vector<std::string>{"analytics"});
  CHECK(s.rules[0].trigger.fields[1].any_of ==
        std::vector<std::string>{"balance", "transactions"});
  CHECK(s.rules[0].trigger.line == 58);
  CHECK(s.rules[0].trigger.column == 12);
  CHECK(s.rules[1].kind == Rule::Kind::kAfter);
  CHECK(s.rules[1].trigger.type == "consent.revoked");
  CHECK(s.rules[1].response.type == "api.request");
  CHECK(s.rules[1].key == "consent");
  CHECK(s.rules[2].kind == Rule::Kind::kWithin);
  CHECK(s.rules[2].max == 2 * kMinute);
  CHECK(s.rules[2].key == "ref");

  CHECK(s.expect.verdict == Expectation::Verdict::kFail);
  CHECK(s.expect.verdict_written);
  CHECK(s.expect.violations == std::vector<std::string>{"revocation-honoured"});
  REQUIRE(s.expect.metrics.size() == 2);
  CHECK(s.expect.metrics[0].metric == "fraud_alert_latency_p99");
  CHECK(s.expect.metrics[0].max == std::optional<double>(60.0));
  CHECK_FALSE(s.expect.metrics[0].min);
  CHECK(s.expect.metrics[1].min == std::optional<double>(1000.0));
  REQUIRE(s.expect.sometimes.size() == 2);
  CHECK(s.expect.sometimes[0].name == "revocation_with_request_in_flight");
  REQUIRE(s.expect.sometimes[1].pattern);
  CHECK(s.expect.sometimes[1].pattern->type == "api.response");
  CHECK(s.expect.sometimes[1].pattern->fields[0].field == "status");
  CHECK(s.expect.sometimes[1].pattern->fields[0].any_of == std::vector<std::string>{"429"});
}

TEST_CASE("a minimal file gets every default", "[loader]") {
  Scenario s = Load("duration: 1d\n");
  Scenario d;
  CHECK(s.id == "s");
  CHECK(s.file == "s.yaml");
  CHECK(s.description.empty());
  CHECK(s.tags.empty());
  CHECK(s.spec.seed == 1);
  CHECK(s.spec.duration == kDay);
  CHECK(s.spec.drain == kHour);
  REQUIRE(s.spec.world.banks.size() == 1);
  const mocks::BankConfig& b = s.spec.world.banks[0];
  mocks::BankConfig db;
  CHECK(b.id == "bank");
  CHECK(b.api.latency.median == db.api.latency.median);
  CHECK(b.api.rate_limit_per_s == db.api.rate_limit_per_s);
  CHECK(b.webhook_retry.max == db.webhook_retry.max);
  CHECK(b.webhook_faults.delay.p99 == db.webhook_faults.delay.p99);
  const auto& cu = s.spec.world.customers;
  mocks::CustomersConfig dc;
  CHECK(cu.count == dc.count);
  CHECK(cu.banks.empty());
  CHECK(cu.consent.scopes == dc.consent.scopes);
  CHECK(cu.consent.opt_in == dc.consent.opt_in);
  CHECK(cu.salary_cents_median == dc.salary_cents_median);
  CHECK(s.spec.world.platform.partners == std::vector<std::string>{"adpartner"});
  CHECK(s.spec.world.platform.alert_retry.max == 5 * kMinute);
  CHECK(s.spec.timeline.empty());
  CHECK(s.spec.defects.empty());
  REQUIRE(s.invariants.size() == 9);
  for (std::size_t i = 0; i < 9; ++i) {
    CHECK(s.invariants[i].id == kInvariantIds[i]);
    CHECK(s.invariants[i].line == 0);
  }
  CHECK(s.invariants[1].purge_within == kHour);
  CHECK(s.rules.empty());
  CHECK(s.expect.verdict == Expectation::Verdict::kPass);
  CHECK_FALSE(s.expect.verdict_written);
  CHECK(s.expect.violations.empty());
}

TEST_CASE("the scenario id defaults to the path below the nearest scenarios/ directory, "
          "else the file name, however the path is written",
          "[loader]") {
  CHECK(ParseScenario("{}", "/x/scenarios/lib/scenarios/consent/a.yaml").value().id ==
        "consent/a");
  CHECK(ParseScenario("{}", "scenarios/fraud/wave.yaml").value().id == "fraud/wave");
  CHECK(ParseScenario("{}", "/x/scenarios/fraud/../outages/./down.yaml").value().id ==
        "outages/down");
  CHECK(ParseScenario("{}", "/tmp/myscenarios/b.yaml").value().id == "b");
  CHECK(ParseScenario("{}", "b.yaml").value().id == "b");
  CHECK(ParseScenario("{}", "../elsewhere/b.yaml").value().id == "b");
  CHECK(ParseScenario("scenario: named\n", "scenarios/x.yaml").value().id == "named");
}

TEST_CASE("an empty invariants list enables none, and a written verdict may agree", "[loader]") {
  Scenario s = Load("invariants: []\nexpect: {verdict: pass}\n");
  CHECK(s.invariants.empty());
  CHECK(s.expect.verdict_written);
  Scenario f = Load("expect: {violations: [audit-complete]}\n");
  CHECK(f.expect.verdict == Expectation::Verdict::kFail);
}

TEST_CASE("invariants as a mapping changes the defaults: parameters set, off removes", "[loader]") {
  Scenario s = Load("invariants:\n  fraud-alert-delivery: {p99: 7h}\n  audit-complete: off\n");
  REQUIRE(s.invariants.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) CHECK(s.invariants[i].id == kInvariantIds[i]);
  const InvariantConfig& fraud = s.invariants[7];
  CHECK(fraud.id == "fraud-alert-delivery");
  CHECK(fraud.p99 == 7 * kHour);
  CHECK(fraud.lost == 0);  // the parameter not written keeps its default
  CHECK(fraud.line == 2);
  CHECK(s.invariants[1].line == 0);  // the ones not named are the defaults
  CHECK(s.invariants[1].purge_within == kHour);
  // Null and empty parameters keep the invariant as it is; the flow form reads the same.
  Scenario same = Load("invariants: {retention-limit: , revocation-honoured: {}}\n");
  CHECK(same.invariants.size() == 9);
  Scenario flow = Load("invariants: {audit-complete: off, retention-limit: {max: 2d}}\n");
  REQUIRE(flow.invariants.size() == 8);
  CHECK(flow.invariants[6].max == 2 * kDay);
  CHECK(flow.invariants[6].slack == kMinute);
  // expect.violations sees the merged set.
  CHECK(ErrorOf("invariants: {audit-complete: off}\nexpect: {violations: [audit-complete]}\n")
            .rfind("s.yaml:2:23: expect.violations[0]: 'audit-complete' is not an enabled "
                   "invariant or a rule of this scenario; expected one of: consent-before-access",
                   0) == 0);
}

TEST_CASE("invariants as a mapping: each mistake names file, line, column and what was expected",
          "[loader]") {
  CHECK(ErrorOf("invariants:\n  fraud-alert-delivry: {p99: 7h}\n") ==
        "s.yaml:2:3: invariants: unknown invariant 'fraud-alert-delivry'; expected one of: "
        "consent-before-access, revocation-honoured, purpose-limitation, no-third-party-sharing, "
        "subject-isolation, data-minimisation, retention-limit, fraud-alert-delivery, "
        "audit-complete");
  CHECK(ErrorOf("invariants:\n  fraud-alert-delivery: {p99: 7x}\n") ==
        "s.yaml:2:31: invariants.fraud-alert-delivery.p99: invalid duration '7x': unknown unit "
        "'x'; expected a duration such as 500ms, 30s, 5m, 6h or 14d (units ns, us, ms, s, m, h, d)");
  CHECK(ErrorOf("invariants:\n  fraud-alert-delivery: {p95: 7h}\n") ==
        "s.yaml:2:26: unknown key 'p95' in invariants.fraud-alert-delivery; expected one of: "
        "p99, lost");
  CHECK(ErrorOf("invariants: {audit-complete: no}\n") ==
        "s.yaml:1:30: invariants.audit-complete: expected off, got 'no'");
  CHECK(ErrorOf("invariants: {retention-limit: [2d]}\n") ==
        "s.yaml:1:31: invariants.retention-limit: expected {parameters} or off, got a list");
  CHECK(ErrorOf("invariants: {audit-complete: off, audit-complete: off}\n")
            .find("s.yaml:1:35: duplicate key 'audit-complete'") == 0);
  CHECK(ErrorOf("invariants: {audit-complete: 'off'}\n") ==
        "s.yaml:1:30: invariants.audit-complete: expected off, got 'off'");
}

TEST_CASE("unknown keys name the mapping and the keys it takes", "[loader]") {
  CHECK(ErrorOf("duration: 1d\nworld:\n  customers: {}\n  banksx: []\n") ==
        "s.yaml:4:3: unknown key 'banksx' in world; expected one of: banks, customers, platform");
  CHECK(ErrorOf("durration: 1d\n") ==
        "s.yaml:1:1: unknown key 'durration'; expected one of: scenario, description, tags, "
        "seed, duration, drain, world, timeline, defects, perturb, invariants, rules, expect");
}

TEST_CASE("values out of range say what was expected and what was found", "[loader]") {
  CHECK(ErrorOf("world:\n  customers:\n    consent:\n      opt_in: 1.5\n") ==
        "s.yaml:4:15: world.customers.consent.opt_in: expected a fraction in [0, 1], got 1.5");
  CHECK(ErrorOf("world:\n  customers: {count: -5}\n") ==
        "s.yaml:2:22: world.customers.count: expected an integer in [1, 10000000], got -5");
  CHECK(ErrorOf("world:\n  customers: {friends: 4294967296}\n") ==
        "s.yaml:2:24: world.customers.friends: expected an integer >= 0, got 4294967296 (too "
        "large; the maximum is 4294967295)");
  CHECK(ErrorOf("seed: 18446744073709551616\n") ==
        "s.yaml:1:7: seed: expected an integer >= 0, got 18446744073709551616 (too large; the "
        "maximum is 18446744073709551615)");
  CHECK(ErrorOf("seed: 2.5\n") ==
        "s.yaml:1:7: seed: expected an integer >= 0, got 2.5 (not an integer)");
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: 201}}\n") ==
        "s.yaml:1:38: world.customers.card_tx_per_day: expected a number in [0, 200] (a day's "
        "transactions are numbered below 1000), got 201");
  CHECK(ErrorOf("world:\n  customers:\n    fraud: {fraud_tx_per_day: 5000}\n") ==
        "s.yaml:3:31: world.customers.fraud.fraud_tx_per_day: expected a number in [0, 200] (a "
        "day's transactions are numbered below 1000), got 5000");
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: 200}}\n").empty());
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: .nan}}\n") ==
        "s.yaml:1:38: world.customers.card_tx_per_day: expected a number in [0, 200] (a day's transactions are "
        "numbered below 1000), got .nan (not a "
        "finite number)");
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: 1e999}}\n") ==
        "s.yaml:1:38: world.customers.card_tx_per_day: expected a number in [0, 200] (a day's transactions are "
        "numbered below 1000), got 1e999 (not a "
        "finite number)");
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: -.inf}}\n") ==
        "s.yaml:1:38: world.customers.card_tx_per_day: expected a number in [0, 200] (a day's transactions are "
        "numbered below 1000), got -.inf (not a "
        "finite number)");
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: \"2\"}}\n") ==
        "s.yaml:1:38: world.customers.card_tx_per_day: expected a number in [0, 200] (a day's transactions are "
        "numbered below 1000), got the string '2'");
}

TEST_CASE("explicit core tags type a scalar, quotes and !!str make it a string", "[loader]") {
  CHECK(Load("seed: !!int 5\n").spec.seed == 5);
  CHECK(ErrorOf("seed: !!str 5\n") == "s.yaml:1:7: seed: expected an integer >= 0, got the string '5'");
  CHECK(ErrorOf("seed: '5'\n") == "s.yaml:1:7: seed: expected an integer >= 0, got the string '5'");
}

TEST_CASE("durations and rates reuse the kernel's messages", "[loader]") {
  CHECK(ErrorOf("\n\nduration: 5x\n") ==
        "s.yaml:3:11: duration: invalid duration '5x': unknown unit 'x'; expected a duration "
        "such as 500ms, 30s, 5m, 6h or 14d (units ns, us, ms, s, m, h, d)");
  CHECK(ErrorOf("duration: -1d\n") ==
        "s.yaml:1:11: duration: invalid duration '-1d': durations cannot be negative");
  CHECK(ErrorOf("duration: 0\n") == "s.yaml:1:11: duration: expected a duration > 0, got 0");
  CHECK(ErrorOf("duration: 999999999d\n") ==
        "s.yaml:1:11: duration: invalid duration '999999999d': too large (the limit is about "
        "106751d)");
  CHECK(ErrorOf("world: {banks: [{id: b, api: {rate_limit: 50}}]}\n") ==
        "s.yaml:1:43: world.banks[0].api.rate_limit: invalid rate '50': expected a rate such as "
        "50/s, 100/m, 2/h or 3/d, or 0 for unlimited");
}

TEST_CASE("wrong types name both kinds", "[loader]") {
  CHECK(ErrorOf("world: {customers: {card_tx_per_day: [1]}}\n") ==
        "s.yaml:1:38: world.customers.card_tx_per_day: expected a number in [0, 200] (a day's transactions are "
        "numbered below 1000), got a list");
  CHECK(ErrorOf("world: {customers: fast}\n") ==
        "s.yaml:1:20: world.customers: expected a mapping, got a string");
  CHECK(ErrorOf("tags: consent\n") == "s.yaml:1:7: tags: expected a list, got a string");
  CHECK(ErrorOf("world:\n  platform:\n") ==
        "s.yaml:2:3: world.platform: expected a mapping, got null");
}

TEST_CASE("bank shares must name known banks and sum to 1", "[loader]") {
  std::string banks = "world:\n  banks: [{id: northbank}, {id: southbank}]\n  customers:\n";
  CHECK(ErrorOf(banks + "    banks: {northbank: 0.5, southbank: 0.4}\n") ==
        "s.yaml:4:12: world.customers.banks: shares must sum to 1, got 0.9");
  CHECK(ErrorOf(banks + "    banks: {northbank: 0.5, eastbank: 0.5}\n") ==
        "s.yaml:4:29: world.customers.banks: unknown bank 'eastbank'; expected one of: "
        "northbank, southbank");
}

TEST_CASE("timeline entries are checked against banks and the duration", "[loader]") {
  std::string head = "duration: 14d\nworld:\n  banks: [{id: northbank}, {id: southbank}]\ntimeline:\n";
  CHECK(ErrorOf(head + "  - at: 1d\n    fraud_wave: {bank: northbank, cards: 5}\n"
                       "  - at: 2d\n    fraud_wave: {bank: northbank, cards: 5}\n"
                       "  - at: 3d\n    outage: {target: eastbank, for: 1h}\n") ==
        "s.yaml:10:22: timeline[2].outage.target: unknown bank 'eastbank'; expected one of: "
        "northbank, southbank, messenger");
  CHECK(ErrorOf(head + "  - at: 15d\n    fraud_wave: {bank: northbank, cards: 5}\n") ==
        "s.yaml:5:9: timeline[0].at: 15d is not before the end of the run (duration 14d)");
  CHECK(ErrorOf(head + "  - at: 1d\n") ==
        "s.yaml:5:5: timeline[0]: expected exactly one of: revoke_consents, grant_consents, "
        "outage, fraud_wave, crash; got none");
  CHECK(ErrorOf(head + "  - at: 1d\n    outage: {target: messenger, for: 1h, rate: 0.1}\n") ==
        "s.yaml:6:42: timeline[0].outage.rate: only allowed with mode errors, got mode "
        "unavailable");
  CHECK(ErrorOf(head + "  - fraud_wave: {bank: northbank}\n") ==
        "s.yaml:5:5: timeline[0]: missing required key 'at'\n"
        "s.yaml:5:17: timeline[0].fraud_wave: missing required key 'cards'");
}

TEST_CASE("invariants, defects and expectations name only what exists", "[loader]") {
  CHECK(ErrorOf("invariants: [consent-before-acess]\n") ==
        "s.yaml:1:14: invariants[0]: unknown invariant 'consent-before-acess'; expected one of: "
        "consent-before-access, revocation-honoured, purpose-limitation, no-third-party-sharing, "
        "subject-isolation, data-minimisation, retention-limit, fraud-alert-delivery, "
        "audit-complete");
  CHECK(ErrorOf("invariants:\n  - audit-complete: {slack: 1m}\n") ==
        "s.yaml:2:22: unknown key 'slack' in invariants[0].audit-complete; audit-complete takes "
        "no parameters");
  CHECK(ErrorOf("invariants:\n  - retention-limit: {grace: 1m}\n") ==
        "s.yaml:2:23: unknown key 'grace' in invariants[0].retention-limit; expected one of: "
        "max, slack");
  CHECK(ErrorOf("invariants: [audit-complete, audit-complete]\n") ==
        "s.yaml:1:30: invariants[1]: duplicate invariant 'audit-complete' (first at line 1)");
  CHECK(ErrorOf("defects: [platform.ignores_revocations]\n") ==
        "s.yaml:1:11: defects[0]: unknown defect 'platform.ignores_revocations'; expected one "
        "of: platform.ignores_revocation, platform.no_purge_on_revoke, "
        "platform.ads_uses_bank_data, platform.shares_with_partner, platform.group_chat_leak, "
        "platform.overfetch_scopes, platform.cache_never_expires, "
        "platform.drops_alerts_during_outage, bank.skips_consent_check, bank.skips_audit, "
        "platform.acks_revocation_before_persisting, platform.trusts_own_clock");
  CHECK(ErrorOf("invariants: [audit-complete]\nexpect: {violations: [retention-limit]}\n") ==
        "s.yaml:2:23: expect.violations[0]: 'retention-limit' is not an enabled invariant or a "
        "rule of this scenario; expected one of: audit-complete");
  CHECK(ErrorOf("expect:\n  verdict: pass\n  violations: [audit-complete]\n") ==
        "s.yaml:2:12: expect.verdict: 'pass' contradicts expect.violations, which names "
        "audit-complete; expected fail");
  CHECK(ErrorOf("expect:\n  metrics: {api_request: {min: 1}}\n") ==
        "s.yaml:2:13: unknown metric 'api_request' in expect.metrics; expected one of: events, "
        "customers, consents_granted, consents_revoked, consents_expired, consents_rejected, "
        "api_requests, api_ok_200, api_denied_401, api_denied_403, api_throttled_429, "
        "api_errors_500, api_unavailable_503, api_timeouts, balance_checks, balance_answered, "
        "card_transactions, fraud_detected, fraud_false_positives, fraud_alerts_displayed, "
        "alerts_lost, alerts_duplicated, alerts_withheld, fraud_alert_latency_p50, "
        "fraud_alert_latency_p99, fraud_alert_latency_max, revocation_latency_p50, "
        "revocation_latency_p99, webhooks_sent, webhooks_retried, cache_items_max, cache_puts, "
        "cache_purges, flows, trace_entries, violations, wall_seconds (per bank: NAME@BANK with "
        "NAME one of: fraud_alerts_displayed, fraud_alert_latency_p50, fraud_alert_latency_p99)");
  CHECK(ErrorOf("expect:\n  metrics: {api_requests: {}}\n") ==
        "s.yaml:2:27: expect.metrics.api_requests: expected at least one of: min, max");
  CHECK(ErrorOf("expect:\n  sometimes: [revocation_in_flight]\n") ==
        "s.yaml:2:15: expect.sometimes[0]: unknown situation 'revocation_in_flight'; expected a "
        "pattern or one of: revocation_with_request_in_flight, "
        "alert_queued_during_messenger_outage, request_throttled_429, webhook_retried, "
        "consent_expired_while_cached, webhook_duplicated, revocation_via_messenger, "
        "revocation_via_bank, consent_rejected, balance_asked_in_group, request_timed_out, "
        "fraud_false_positive");
}

TEST_CASE("per-bank metrics are NAME@BANK for a bank of the world", "[loader]") {
  Scenario s = Load(
      "world:\n  banks: [{id: northbank}, {id: southbank}]\n"
      "expect:\n  metrics:\n    fraud_alert_latency_p99@southbank: {max: 2m}\n");
  REQUIRE(s.expect.metrics.size() == 1);
  CHECK(s.expect.metrics[0].metric == "fraud_alert_latency_p99@southbank");
  CHECK(s.expect.metrics[0].max == std::optional<double>(120.0));
  CHECK(ErrorOf("world:\n  banks: [{id: northbank}]\n"
                "expect:\n  metrics: {fraud_alert_latency_p99@eastbank: {max: 1}}\n") ==
        "s.yaml:4:13: metric 'fraud_alert_latency_p99@eastbank' in expect.metrics: unknown bank "
        "'eastbank'; expected one of: northbank");
  CHECK(ErrorOf("expect:\n  metrics: {api_requests@bank: {max: 1}}\n") ==
        "s.yaml:2:13: unknown per-bank metric 'api_requests@bank' in expect.metrics; expected "
        "NAME@BANK with NAME one of: fraud_alerts_displayed, fraud_alert_latency_p50, fraud_alert_latency_p99");
}

TEST_CASE("duration metrics take durations or seconds, others numbers", "[loader]") {
  Scenario s = Load("expect:\n  metrics:\n    fraud_alert_latency_p50: {min: 1.5, max: 2m}\n");
  REQUIRE(s.expect.metrics.size() == 1);
  CHECK(s.expect.metrics[0].min == std::optional<double>(1.5));
  CHECK(s.expect.metrics[0].max == std::optional<double>(120.0));
  CHECK(ErrorOf("expect: {metrics: {api_requests: {min: 2m}}}\n") ==
        "s.yaml:1:40: expect.metrics.api_requests.min: expected a number, got '2m'");
}

TEST_CASE("patterns validate entry types, fields and values", "[loader]") {
  std::string head = "world:\n  banks: [{id: northbank}]\nrules:\n  - id: r\n";
  CHECK(ErrorOf(head + "    never: flw\n") ==
        "s.yaml:5:12: rules[0].never: unknown entry type 'flw'; expected * or one of: flow, "
        "consent.created, consent.authorised, consent.rejected, consent.revoked, "
        "consent.expired, consent.revoke_requested, consent.delete_sent, api.request, "
        "api.served, api.response, audit, fraud.detected, webhook.sent, webhook.received, "
        "alert.queued, alert.displayed, outage.start, outage.end, cache.put, cache.purge, "
        "balance.check, balance.reply, card.compromised, drain.start, webhook.withheld, crash, "
        "restart");
  CHECK(ErrorOf(head + "    never: {flow: {too: ads}}\n") ==
        "s.yaml:5:20: unknown field 'too' in rules[0].never.flow; expected one of: from, to, "
        "category, subject, bank, consent, status, purpose, reason, derived, labelled, ref");
  CHECK(ErrorOf(head + "    never: {flow: {to: [ads, 'bank:southbank', 'partner:x', chat:me]}}\n") ==
        "s.yaml:5:30: rules[0].never.flow.to[1]: unknown bank 'southbank'; expected one of: "
        "northbank\n"
        "s.yaml:5:48: rules[0].never.flow.to[2]: unknown partner 'x'; expected one of: adpartner\n"
        "s.yaml:5:61: rules[0].never.flow.to[3]: invalid endpoint 'chat:me'; expected one of: *, "
        "bank:<id>, bank:*, platform.connector, platform.cache, chat:<customer>, chat:*, "
        "chat:group:<group>, chat:group:*, ads, partner:<name>, partner:*, analytics, log, "
        "customer:<id>, customer:*, messenger");
  CHECK(ErrorOf(head + "    never: {api.response: {status: 600, labelled: yes}}\n") ==
        "s.yaml:5:36: rules[0].never.api.response.status: expected an HTTP status, an integer "
        "in [0, 599], got 600\n"
        "s.yaml:5:51: rules[0].never.api.response.labelled: expected true or false, got yes");
  CHECK(ErrorOf(head + "    within: {trigger: fraud.detected, response: alert.displayed, max: "
                       "2m, key: id}\n") ==
        "s.yaml:5:80: rules[0].within.key: expected one of: from, to, category, subject, bank, "
        "consent, status, purpose, reason, derived, labelled, ref; got 'id'");
  CHECK(ErrorOf(head + "    never: '*'\n    after: {trigger: '*', forbid: '*'}\n") ==
        "s.yaml:4:5: rules[0]: expected exactly one of: never, within, after; got never, after");
  CHECK(ErrorOf("rules:\n  - id: audit-complete\n    never: flow\n") ==
        "s.yaml:2:9: rules[0].id: 'audit-complete' is the id of a built-in invariant; choose "
        "another rule id");
  CHECK(ErrorOf("rules:\n  - {id: r, never: flow}\n  - {id: r, never: audit}\n") ==
        "s.yaml:3:10: rules[1].id: duplicate rule id 'r' (first at line 2)");
  Scenario s = Load(head + "    never: {'*': {subject: 007, derived: true}}\n");
  REQUIRE(s.rules.size() == 1);
  CHECK(s.rules[0].trigger.type == "*");
  CHECK(s.rules[0].trigger.fields[0].any_of == std::vector<std::string>{"7"});
  CHECK(s.rules[0].trigger.fields[1].any_of == std::vector<std::string>{"true"});
}

TEST_CASE("duplicate keys are reported where yaml-cpp would silently keep both", "[loader]") {
  CHECK(ErrorOf("seed: 1\nduration: 1d\nseed: 2\n") ==
        "s.yaml:3:1: duplicate key 'seed' (first written at line 1)");
  CHECK(ErrorOf("world:\n  platform: {cache_ttl: 1h, cache_ttl: 2h}\n") ==
        "s.yaml:2:29: duplicate key 'cache_ttl' in world.platform (first written at line 2)");
  CHECK(ErrorOf("world:\n  banks: [{id: a}, {id: a}]\n") ==
        "s.yaml:2:25: world.banks[1].id: duplicate bank id 'a' (first at line 2)");
}

TEST_CASE("a file with three different mistakes yields exactly three error lines", "[loader]") {
  std::string msg = ErrorOf(
      "duration: 3 days\n"
      "world:\n"
      "  customers:\n"
      "    count: many\n"
      "defects: [bank.skips_everything]\n");
  CHECK(msg ==
        "s.yaml:1:11: duration: invalid duration '3 days': unknown unit ' days'; expected a "
        "duration such as 500ms, 30s, 5m, 6h or 14d (units ns, us, ms, s, m, h, d)\n"
        "s.yaml:4:12: world.customers.count: expected an integer in [1, 10000000], got 'many'\n"
        "s.yaml:5:11: defects[0]: unknown defect 'bank.skips_everything'; expected one of: "
        "platform.ignores_revocation, platform.no_purge_on_revoke, platform.ads_uses_bank_data, "
        "platform.shares_with_partner, platform.group_chat_leak, platform.overfetch_scopes, "
        "platform.cache_never_expires, platform.drops_alerts_during_outage, "
        "bank.skips_consent_check, bank.skips_audit, platform.acks_revocation_before_persisting, "
        "platform.trusts_own_clock");
  CHECK(std::count(msg.begin(), msg.end(), '\n') == 2);
}

TEST_CASE("documents that are not a scenario mapping are refused clearly", "[loader]") {
  CHECK(ErrorOf("") ==
        "s.yaml:1:1: empty scenario; expected a mapping with keys such as scenario, duration, "
        "world");
  CHECK(ErrorOf("# only a comment\n\n") ==
        "s.yaml:1:1: empty scenario; expected a mapping with keys such as scenario, duration, "
        "world");
  CHECK(ErrorOf("- duration: 1d\n") ==
        "s.yaml:1:1: expected a mapping with keys such as scenario, duration, world at the top "
        "level, got a list");
  CHECK(ErrorOf("duration: 1d\n---\nduration: 2d\n") ==
        "s.yaml:3:1: a scenario file holds one YAML document; found 2");
  CHECK(ErrorOf("world: {banks: [{id: a}\nseed: 1\n") ==
        "s.yaml:2:1: YAML syntax error: end of sequence flow not found");
}

TEST_CASE("binary and non-UTF-8 input is refused with its position", "[loader]") {
  CHECK(ErrorOf(std::string("seed: 1\ndur\0ation: 1d\n", 21)) ==
        "s.yaml:2:4: NUL byte at offset 11: this is a binary file, not a YAML scenario");
  CHECK(ErrorOf("description: caf\xe9\n") ==
        "s.yaml:1:17: invalid UTF-8 (byte 0xe9 at offset 16); a scenario must be UTF-8 text");
  CHECK(ErrorOf("description: caf\xc3\xa9\n").empty());
}

TEST_CASE("deep nesting and alias bombs stop with an error, quickly", "[loader]") {
  auto start = std::chrono::steady_clock::now();
  CHECK(ErrorOf("tags: " + std::string(100000, '[')) ==
        "s.yaml:1:39: nesting deeper than 32 levels; a scenario never needs more");
  std::string block = "tags:\n";
  for (int i = 1; i <= 40; ++i) block += std::string(std::size_t(2 * i), ' ') + "- k:\n";
  block += std::string(82, ' ') + "x\n";
  CHECK(ErrorOf(block) == "s.yaml:17:35: nesting deeper than 32 levels; a scenario never needs more");
  std::string bomb =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
      "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
      "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
  CHECK(ErrorOf(bomb) == "s.yaml:6:36: the document expands to more than 1000000 nodes (each "
                         "use of an alias counts); refusing to load it");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("a file over 16 MiB is refused before it is read", "[loader]") {
  std::string path = TempPath("huge.yaml");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::string line = "# padding padding padding padding padding padding padding padding\n";
    std::string chunk;
    while (chunk.size() < (1 << 20)) chunk += line;
    chunk.resize(1 << 20);
    for (int i = 0; i < 100; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);
    std::fclose(f);
  }
  auto start = std::chrono::steady_clock::now();
  Result<Scenario> r = LoadScenario(path);
  auto elapsed = std::chrono::steady_clock::now() - start;
  std::remove(path.c_str());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        path + ": scenario is 104857600 bytes; the limit is 16777216 bytes (16 MiB)");
  CHECK(elapsed < std::chrono::seconds(1));
}

TEST_CASE("unreadable files say why", "[loader]") {
  Result<Scenario> missing = LoadScenario("/nonexistent/dir/s.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "/nonexistent/dir/s.yaml: cannot read: No such file or directory");
  Result<Scenario> dir = LoadScenario("/tmp");
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.error().message == "/tmp: cannot read: Is a directory");
}

TEST_CASE("the library's broken worlds are exactly its defect-* files, so the CI sweep covers "
          "every clean one",
          "[loader]") {
  // tests/CMakeLists.txt sweeps every library scenario over 50 seeds but the
  // defect-* ones (and load/million-customers): a clean world must break nothing.
  std::size_t clean = 0, defect = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(BPSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    Result<Scenario> s = LoadScenario(entry.path().string());
    REQUIRE(s.ok());
    const bool named_defect = entry.path().filename().string().rfind("defect-", 0) == 0;
    const bool broken = !s->spec.defects.empty() || !s->expect.violations.empty() ||
                        s->expect.verdict == Expectation::Verdict::kFail;
    CHECK(named_defect == broken);
    (broken ? defect : clean) += 1;
  }
  CHECK(defect >= 10);
  CHECK(clean >= 25);
}

TEST_CASE("perturb reads two booleans, both off by default", "[loader]") {
  CHECK_FALSE(Load("seed: 1\n").spec.perturb.any());
  const Scenario s = Load("perturb: {same_instant: true, knobs: False}\n");
  CHECK(s.spec.perturb.same_instant);
  CHECK_FALSE(s.spec.perturb.knobs);
  CHECK(ErrorOf("perturb: {same_instant: yes}\n") ==
        "s.yaml:1:25: perturb.same_instant: expected true or false, got 'yes'");
  CHECK(ErrorOf("perturb: {order: true}\n") ==
        "s.yaml:1:11: unknown key 'order' in perturb; expected one of: same_instant, knobs, "
        "crashes");
}

TEST_CASE("crash takes a bank id, platform or messenger and a down time", "[loader][crash]") {
  const Scenario s = Load(
      "world: {banks: [{id: northbank}]}\n"
      "timeline:\n"
      "  - {at: 1d, crash: {target: platform, down: 5m}}\n"
      "  - {at: 2d, crash: {target: northbank}}\n"
      "  - {at: 3d, crash: {target: messenger, down: 1h}}\n");
  REQUIRE(s.spec.timeline.size() == 3);
  const auto& platform = std::get<mocks::Crash>(s.spec.timeline[0].action);
  CHECK(platform.target == "platform");
  CHECK(platform.down == 5 * kMinute);
  CHECK(std::get<mocks::Crash>(s.spec.timeline[1].action).down == 10 * kMinute);
  CHECK(std::get<mocks::Crash>(s.spec.timeline[2].action).target == "messenger");
  CHECK(ErrorOf("world: {banks: [{id: northbank}]}\ntimeline: [{at: 1d, crash: {target: southbank}}]\n") ==
        "s.yaml:2:37: timeline[0].crash.target: unknown target 'southbank'; expected one of: "
        "northbank, platform, messenger");
  CHECK(ErrorOf("timeline: [{at: 1d, crash: {down: 5m}}]\n") ==
        "s.yaml:1:28: timeline[0].crash: missing required key 'target'");
  CHECK(ErrorOf("timeline: [{at: 1d, crash: {target: platform, down: 0s}}]\n") ==
        "s.yaml:1:53: timeline[0].crash.down: expected a duration > 0, got 0s");
}

TEST_CASE("clocks take a signed offset and a drift in ppm", "[loader][clock]") {
  const Scenario s = Load(
      "world:\n"
      "  banks: [{id: northbank, clock: {offset: -45m, drift_ppm: -30}}]\n"
      "  platform: {clock: {offset: 2m}, expiry_margin: 30m}\n"
      "perturb: {crashes: true}\n");
  CHECK(s.spec.world.banks[0].clock.offset == -45 * kMinute);
  CHECK(s.spec.world.banks[0].clock.drift_ppm == -30);
  CHECK(s.spec.world.platform.clock.offset == 2 * kMinute);
  CHECK(s.spec.world.platform.clock.drift_ppm == 0);
  CHECK(s.spec.world.platform.expiry_margin == 30 * kMinute);
  CHECK(s.spec.perturb.crashes);
  CHECK_FALSE(s.spec.perturb.knobs);
  CHECK(ErrorOf("world: {platform: {clock: {drift_ppm: 5000}}}\n") ==
        "s.yaml:1:39: world.platform.clock.drift_ppm: expected a number between -1000 and 1000, "
        "got 5000");
  CHECK(ErrorOf("world: {platform: {clock: {offset: -x}}}\n") ==
        "s.yaml:1:36: world.platform.clock.offset: invalid duration 'x': expected a duration "
        "such as 500ms, 30s, 5m, 6h or 14d (units ns, us, ms, s, m, h, d)");
}
