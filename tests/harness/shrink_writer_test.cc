// ScenarioToYaml: what it writes loads back into the same scenario, for every file in
// the library, and only non-default values are written.

#include <catch2/catch.hpp>

#include <filesystem>
#include <variant>

#include "harness/scenario/writer.h"

namespace bpsim::harness {
namespace {

std::string Describe(const mocks::TimelineEntry& e) {
  // Timeline actions compared through their written form plus the time.
  Scenario s;
  s.spec.timeline = {e};
  return ScenarioToYaml(s);
}

void CheckEqual(const Scenario& a, const Scenario& b) {
  CHECK(a.id == b.id);
  CHECK(a.description == b.description);
  CHECK(a.tags == b.tags);
  CHECK(a.spec.seed == b.spec.seed);
  CHECK(a.spec.duration == b.spec.duration);
  CHECK(a.spec.drain == b.spec.drain);
  const auto& wa = a.spec.world;
  const auto& wb = b.spec.world;
  REQUIRE(wa.banks.size() == wb.banks.size());
  for (std::size_t i = 0; i < wa.banks.size(); ++i) {
    const auto &x = wa.banks[i], &y = wb.banks[i];
    CHECK(x.id == y.id);
    CHECK(x.api.latency.median == y.api.latency.median);
    CHECK(x.api.latency.p99 == y.api.latency.p99);
    CHECK(x.api.rate_limit_per_s == y.api.rate_limit_per_s);
    CHECK(x.api.error_rate == y.api.error_rate);
    CHECK(x.api.dialect == y.api.dialect);
    CHECK(x.api.frequency_per_day == y.api.frequency_per_day);
    CHECK(x.fraud.detection_rate == y.fraud.detection_rate);
    CHECK(x.fraud.false_positive_rate == y.fraud.false_positive_rate);
    CHECK(x.fraud.detect_delay == y.fraud.detect_delay);
    CHECK(x.webhook_retry.initial == y.webhook_retry.initial);
    CHECK(x.webhook_retry.max == y.webhook_retry.max);
    CHECK(x.webhook_faults.drop == y.webhook_faults.drop);
    CHECK(x.webhook_faults.duplicate == y.webhook_faults.duplicate);
    CHECK(x.webhook_faults.reorder == y.webhook_faults.reorder);
    CHECK(x.webhook_faults.delay.median == y.webhook_faults.delay.median);
    CHECK(x.webhook_faults.delay.p99 == y.webhook_faults.delay.p99);
    CHECK(x.link.loss == y.link.loss);
    CHECK(x.link.timeout == y.link.timeout);
  }
  const auto &ca = wa.customers, &cb = wb.customers;
  CHECK(ca.count == cb.count);
  CHECK(ca.banks == cb.banks);
  CHECK(ca.card_tx_per_day == cb.card_tx_per_day);
  CHECK(ca.card_amount.median_cents == cb.card_amount.median_cents);
  CHECK(ca.card_amount.p99_cents == cb.card_amount.p99_cents);
  CHECK(ca.salary_cents_median == cb.salary_cents_median);
  CHECK(ca.payday_every == cb.payday_every);
  CHECK(ca.balance_checks_per_day == cb.balance_checks_per_day);
  CHECK(ca.balance_checks_from_groups == cb.balance_checks_from_groups);
  CHECK(ca.consent.opt_in == cb.consent.opt_in);
  CHECK(ca.consent.scopes == cb.consent.scopes);
  CHECK(ca.consent.expiry == cb.consent.expiry);
  CHECK(ca.consent.alerts_opt_in == cb.consent.alerts_opt_in);
  CHECK(ca.consent.reject == cb.consent.reject);
  CHECK(ca.consent.revoke_per_year == cb.consent.revoke_per_year);
  CHECK(ca.consent.revoke_via_messenger == cb.consent.revoke_via_messenger);
  CHECK(ca.consent.reconsent == cb.consent.reconsent);
  CHECK(ca.consent.authorise_delay == cb.consent.authorise_delay);
  CHECK(ca.fraud.compromise_rate_per_year == cb.fraud.compromise_rate_per_year);
  CHECK(ca.fraud.fraud_tx_per_day == cb.fraud.fraud_tx_per_day);
  CHECK(ca.friends == cb.friends);
  CHECK(ca.group_chats == cb.group_chats);
  const auto &pa = wa.platform, &pb = wb.platform;
  CHECK(pa.poll_interval == pb.poll_interval);
  CHECK(pa.cache_ttl == pb.cache_ttl);
  CHECK(pa.cache_sweep_every == pb.cache_sweep_every);
  CHECK(pa.alert_retry.initial == pb.alert_retry.initial);
  CHECK(pa.alert_retry.max == pb.alert_retry.max);
  CHECK(pa.partners == pb.partners);
  CHECK(pa.segment_job_every == pb.segment_job_every);
  REQUIRE(a.spec.timeline.size() == b.spec.timeline.size());
  for (std::size_t i = 0; i < a.spec.timeline.size(); ++i) {
    CHECK(a.spec.timeline[i].at == b.spec.timeline[i].at);
    CHECK(a.spec.timeline[i].action.index() == b.spec.timeline[i].action.index());
    CHECK(Describe(a.spec.timeline[i]) == Describe(b.spec.timeline[i]));
  }
  CHECK(a.spec.defects.bits() == b.spec.defects.bits());
  CHECK(a.spec.perturb.same_instant == b.spec.perturb.same_instant);
  CHECK(a.spec.perturb.knobs == b.spec.perturb.knobs);
  REQUIRE(a.invariants.size() == b.invariants.size());
  for (std::size_t i = 0; i < a.invariants.size(); ++i) {
    const auto &x = a.invariants[i], &y = b.invariants[i];
    CHECK(x.id == y.id);
    CHECK(x.grace == y.grace);
    CHECK(x.purge_within == y.purge_within);
    CHECK(x.max == y.max);
    CHECK(x.slack == y.slack);
    CHECK(x.p99 == y.p99);
    CHECK(x.lost == y.lost);
  }
  auto same_pattern = [](const Pattern& x, const Pattern& y) {
    CHECK(x.type == y.type);
    REQUIRE(x.fields.size() == y.fields.size());
    for (std::size_t k = 0; k < x.fields.size(); ++k) {
      CHECK(x.fields[k].field == y.fields[k].field);
      CHECK(x.fields[k].any_of == y.fields[k].any_of);
    }
  };
  REQUIRE(a.rules.size() == b.rules.size());
  for (std::size_t i = 0; i < a.rules.size(); ++i) {
    CHECK(a.rules[i].id == b.rules[i].id);
    CHECK(a.rules[i].kind == b.rules[i].kind);
    CHECK(a.rules[i].max == b.rules[i].max);
    CHECK(a.rules[i].key == b.rules[i].key);
    same_pattern(a.rules[i].trigger, b.rules[i].trigger);
    same_pattern(a.rules[i].response, b.rules[i].response);
  }
  CHECK(a.expect.verdict == b.expect.verdict);
  CHECK(a.expect.violations == b.expect.violations);
  REQUIRE(a.expect.metrics.size() == b.expect.metrics.size());
  for (std::size_t i = 0; i < a.expect.metrics.size(); ++i) {
    CHECK(a.expect.metrics[i].metric == b.expect.metrics[i].metric);
    CHECK(a.expect.metrics[i].min == b.expect.metrics[i].min);
    CHECK(a.expect.metrics[i].max == b.expect.metrics[i].max);
  }
  REQUIRE(a.expect.sometimes.size() == b.expect.sometimes.size());
  for (std::size_t i = 0; i < a.expect.sometimes.size(); ++i) {
    CHECK(a.expect.sometimes[i].name == b.expect.sometimes[i].name);
    REQUIRE(a.expect.sometimes[i].pattern.has_value() == b.expect.sometimes[i].pattern.has_value());
    if (a.expect.sometimes[i].pattern) {
      same_pattern(*a.expect.sometimes[i].pattern, *b.expect.sometimes[i].pattern);
    }
  }
}

TEST_CASE("Every library scenario survives ScenarioToYaml and ParseScenario unchanged",
          "[shrink][writer]") {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           std::string(BPSIM_SOURCE_DIR) + "/scenarios")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  }
  files.push_back(std::string(BPSIM_SOURCE_DIR) + "/tests/harness/scenario_full_example.yaml");
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() > 30);
  for (const std::string& file : files) {
    INFO(file);
    auto original = LoadScenario(file);
    REQUIRE(original.ok());
    std::string yaml = ScenarioToYaml(*original);
    INFO(yaml);
    auto again = ParseScenario(yaml, "roundtrip.yaml");
    if (!again.ok()) FAIL(again.error().message);
    CheckEqual(*original, *again);
    CHECK(ScenarioToYaml(*again) == yaml);
  }
}

TEST_CASE("ScenarioToYaml writes only what differs from the defaults", "[shrink][writer]") {
  auto s = ParseScenario(
      "scenario: t/x\n"
      "duration: 2d\n"
      "world:\n"
      "  banks: [{id: a, api: {error_rate: 0.5}}, {id: b}]\n"
      "  customers: {count: 7, consent: {opt_in: 0.3, scopes: [balances]}}\n"
      "timeline: [{at: 1d, outage: {target: a, for: 1h, mode: errors, rate: 0.25}}]\n"
      "defects: [platform.group_chat_leak]\n"
      "expect: {violations: [subject-isolation]}\n",
      "t/x.yaml");
  REQUIRE(s.ok());
  CHECK(ScenarioToYaml(*s) ==
        "scenario: \"t/x\"\n"
        "duration: \"2d\"\n"
        "world:\n"
        "  banks:\n"
        "    - {id: \"a\", api: {error_rate: 0.5}}\n"
        "    - {id: \"b\"}\n"
        "  customers: {count: 7, consent: {scopes: [\"balances\"]}}\n"
        "timeline:\n"
        "  - {at: \"1d\", outage: {target: \"a\", for: \"1h\", mode: errors, rate: 0.25}}\n"
        "defects: [platform.group_chat_leak]\n"
        "expect:\n"
        "  violations: [subject-isolation]\n");
  auto perturbed = ParseScenario("perturb: {same_instant: true}\n", "p.yaml");
  REQUIRE(perturbed.ok());
  CHECK(ScenarioToYaml(*perturbed) ==
        "scenario: \"p\"\nperturb: {same_instant: true, knobs: false}\n");
  auto defaults = ParseScenario("seed: 1\n", "d.yaml");
  REQUIRE(defaults.ok());
  CHECK(ScenarioToYaml(*defaults) == "scenario: \"d\"\n");
}

}  // namespace
}  // namespace bpsim::harness
