// Each defect (docs/world.md) changes the platform's or the bank's own behaviour: with
// the switch on the bug shows in the trace, with it off it does not.

#include <catch2/catch.hpp>

#include <set>

#include "world_test_util.h"

using namespace bpsim;
using namespace bpsim::mocks;
using testing::RecordedRun;

namespace {

std::string Yaml(const std::string& extra, const std::string& defects) {
  return R"(
seed: 5
duration: 2d
world:
  banks: [{id: northbank, webhook_faults: {drop: 0}}]
  customers:
    count: 600
    balance_checks_per_day: 1
    balance_checks_from_groups: 0.5
    consent: {opt_in: 0.6}
)" + extra + "defects: [" + defects + "]\n";
}

const char* kRevoke = R"(  platform: {poll_interval: 1h}
timeline:
  - at: 1d
    revoke_consents: {fraction: 0.5, via: bank}
)";

// Requests sent under a consent after the platform received its revocation webhook.
std::size_t RequestsAfterRevocationNotice(const testing::Recorder& r) {
  std::set<ConsentId> told;
  std::size_t n = 0;
  for (const auto& e : r.entries) {
    if (e.type == EntryType::kWebhookReceived && e.reason == std::uint8_t(WebhookKind::kConsentRevoked)) {
      told.insert(e.consent);
    }
    if (e.type == EntryType::kApiRequest && told.count(e.consent)) ++n;
  }
  return n;
}

std::size_t LabelledFlowsTo(const testing::Recorder& r, EndpointKind kind) {
  return r.CountIf([&](const TraceEntry& e) {
    return e.type == EntryType::kFlow && e.labelled && e.to.kind == kind;
  });
}

}  // namespace

TEST_CASE("platform.ignores_revocation: requests continue after the revocation", "[mocks][defects]") {
  RecordedRun good(Yaml(kRevoke, ""));
  RecordedRun bad(Yaml(kRevoke, "platform.ignores_revocation"));
  CHECK(good.recorder.Count(EntryType::kConsentRevoked) > 50);
  CHECK(RequestsAfterRevocationNotice(good.recorder) == 0);
  CHECK(RequestsAfterRevocationNotice(bad.recorder) > 100);
}

TEST_CASE("platform.no_purge_on_revoke: cached data stays after the revocation", "[mocks][defects]") {
  auto purged_on_revocation = [](const testing::Recorder& r) {
    return r.CountIf([](const TraceEntry& e) {
      return e.type == EntryType::kCachePurge && e.reason == std::uint8_t(PurgeReason::kRevocation);
    });
  };
  RecordedRun good(Yaml(kRevoke, ""));
  RecordedRun bad(Yaml(kRevoke, "platform.no_purge_on_revoke"));
  CHECK(purged_on_revocation(good.recorder) > 50);
  CHECK(purged_on_revocation(bad.recorder) == 0);
}

TEST_CASE("platform.ads_uses_bank_data: a segment derived from transactions reaches ads",
          "[mocks][defects]") {
  RecordedRun good(Yaml("", ""));
  RecordedRun bad(Yaml("", "platform.ads_uses_bank_data"));
  CHECK(LabelledFlowsTo(good.recorder, EndpointKind::kAds) == 0);
  CHECK(good.recorder.CountIf([](const TraceEntry& e) {
    return e.type == EntryType::kFlow && e.to.kind == EndpointKind::kAds;
  }) > 0);  // the correct builder still uploads audiences, from non-bank data
  CHECK(LabelledFlowsTo(bad.recorder, EndpointKind::kAds) > 50);
  CHECK(bad.recorder.CountIf([](const TraceEntry& e) {
    return e.type == EntryType::kFlow && e.to.kind == EndpointKind::kAds && e.derived;
  }) > 50);
}

TEST_CASE("platform.shares_with_partner: balances reach a partner", "[mocks][defects]") {
  RecordedRun good(Yaml("", ""));
  RecordedRun bad(Yaml("", "platform.shares_with_partner"));
  CHECK(LabelledFlowsTo(good.recorder, EndpointKind::kPartner) == 0);
  CHECK(LabelledFlowsTo(bad.recorder, EndpointKind::kPartner) > 50);
}

TEST_CASE("platform.group_chat_leak: balances are shown in the group where asked", "[mocks][defects]") {
  RecordedRun good(Yaml("", ""));
  RecordedRun bad(Yaml("", "platform.group_chat_leak"));
  CHECK(LabelledFlowsTo(good.recorder, EndpointKind::kGroupChat) == 0);
  CHECK(LabelledFlowsTo(bad.recorder, EndpointKind::kGroupChat) > 20);
}

TEST_CASE("platform.overfetch_scopes: transactions are requested under balances-only consents",
          "[mocks][defects]") {
  const char* scopes = "  platform: {poll_interval: 6h}\n";
  auto tx_requests = [](const testing::Recorder& r) {
    return r.CountIf([](const TraceEntry& e) {
      return e.type == EntryType::kApiRequest &&
             e.categories == CategoryBit(Category::kTransactions);
    });
  };
  std::string good_yaml = Yaml(scopes, "");
  std::string bad_yaml = Yaml(scopes, "platform.overfetch_scopes");
  for (std::string* y : {&good_yaml, &bad_yaml}) {
    y->replace(y->find("consent: {opt_in: 0.6}"), 22, "consent: {opt_in: 0.6, scopes: [balances]}");
  }
  RecordedRun good(good_yaml);
  RecordedRun bad(bad_yaml);
  CHECK(tx_requests(good.recorder) == 0);
  CHECK(tx_requests(bad.recorder) > 100);
}

TEST_CASE("platform.cache_never_expires: nothing is evicted on TTL", "[mocks][defects]") {
  const char* ttl = "  platform: {poll_interval: 0, cache_ttl: 1h}\n";
  auto ttl_purges = [](const testing::Recorder& r) {
    return r.CountIf([](const TraceEntry& e) {
      return e.type == EntryType::kCachePurge && e.reason == std::uint8_t(PurgeReason::kTtl);
    });
  };
  RecordedRun good(Yaml(ttl, ""));
  RecordedRun bad(Yaml(ttl, "platform.cache_never_expires"));
  CHECK(ttl_purges(good.recorder) > 50);
  CHECK(ttl_purges(bad.recorder) == 0);
}

TEST_CASE("platform.drops_alerts_during_outage: undeliverable alerts are discarded, not queued",
          "[mocks][defects]") {
  const char* outage = R"(  platform: {poll_interval: 6h}
timeline:
  - at: 1d
    outage: {target: messenger, for: 3h, mode: unavailable}
  - at: 1d
    fraud_wave: {bank: northbank, cards: 300}
)";
  std::string good_yaml = Yaml(outage, "");
  std::string bad_yaml = Yaml(outage, "platform.drops_alerts_during_outage");
  for (std::string* y : {&good_yaml, &bad_yaml}) {
    y->replace(y->find("consent: {opt_in: 0.6}"), 22,
               "consent: {opt_in: 0.9}\n    fraud: {fraud_tx_per_day: 48}");
  }
  RecordedRun good(good_yaml);
  RecordedRun bad(bad_yaml);
  CHECK(good.recorder.Count(EntryType::kAlertQueued) > 10);
  CHECK(bad.recorder.Count(EntryType::kAlertQueued) == 0);
  CHECK(bad.recorder.Count(EntryType::kAlertDisplayed) + 10 <
        good.recorder.Count(EntryType::kAlertDisplayed));
}

TEST_CASE("bank.skips_consent_check with platform.ignores_revocation: the bank answers 200 "
          "under revoked consents", "[mocks][defects]") {
  auto served_after_revoked = [](const testing::Recorder& r) {
    std::set<ConsentId> revoked;
    std::size_t n = 0;
    for (const auto& e : r.entries) {
      if (e.type == EntryType::kConsentRevoked) revoked.insert(e.consent);
      if (e.type == EntryType::kApiServed && e.status == 200 && revoked.count(e.consent)) ++n;
    }
    return n;
  };
  RecordedRun ignoring(Yaml(kRevoke, "platform.ignores_revocation"));
  RecordedRun both(Yaml(kRevoke, "platform.ignores_revocation, bank.skips_consent_check"));
  CHECK(served_after_revoked(ignoring.recorder) == 0);
  CHECK(served_after_revoked(both.recorder) > 100);
}

TEST_CASE("bank.skips_audit: releases without audit records", "[mocks][defects]") {
  RecordedRun good(Yaml("", ""));
  RecordedRun bad(Yaml("", "bank.skips_audit"));
  CHECK(good.recorder.Count(EntryType::kAudit) > 100);
  CHECK(bad.recorder.Count(EntryType::kAudit) == 0);
  CHECK(bad.recorder.CountIf([](const TraceEntry& e) {
    return e.type == EntryType::kFlow && e.from.kind == EndpointKind::kBank;
  }) > 100);
}
