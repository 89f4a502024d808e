// expect.sometimes: every built-in situation on a trace that exercises it and one
// that does not, and user patterns.

#include <catch2/catch.hpp>

#include "harness/invariants/situations.h"
#include "tests/harness/invariants_trace.h"

namespace bpsim::harness::testing {
namespace {

// Whether `name` occurred when the tracker (subscribed like the bus would) sees `trace`.
bool Occurs(const char* name, const std::vector<TraceEntry>& trace) {
  Situation s;
  s.name = name;
  auto t = SituationTracker::Make({s}, Context());
  REQUIRE(t.ok());
  for (const TraceEntry& e : trace) {
    if ((*t)->type_mask() & mocks::TypeBit(e.type)) (*t)->OnEntry(e);
  }
  return (*t)->occurred(0);
}

TraceEntry Outage(EntryType type, SimTime t, mocks::Endpoint target) {
  TraceEntry e;
  e.time = t;
  e.type = type;
  e.to = target;
  return e;
}

TEST_CASE("revocation_with_request_in_flight needs a request without its response yet",
          "[invariants]") {
  auto revoked = Consent(EntryType::kConsentRevoked, kMinute, 1, 7);
  CHECK(Occurs("revocation_with_request_in_flight", {Request(0, 7, 1, kBalance, 1), revoked}));
  CHECK(
      Occurs("revocation_with_request_in_flight",
             {Request(0, 7, 1, kBalance, 1), RevokeRequested(kMinute, 7, 1)}));
  CHECK_FALSE(Occurs("revocation_with_request_in_flight",
                     {Request(0, 7, 1, kBalance, 1), Response(kSecond, 7, 1, 1, 200), revoked}));
  CHECK_FALSE(
      Occurs("revocation_with_request_in_flight", {Request(0, 8, 2, kBalance, 1), revoked}));
}

TEST_CASE("alert_queued_during_messenger_outage needs an open messenger outage", "[invariants]") {
  auto queued = Simple(EntryType::kAlertQueued, kMinute, 7, 0, 3);
  CHECK(Occurs("alert_queued_during_messenger_outage",
               {Outage(EntryType::kOutageStart, 0, mocks::kMessenger), queued}));
  CHECK_FALSE(Occurs("alert_queued_during_messenger_outage",
                     {Outage(EntryType::kOutageStart, 0, mocks::kMessenger),
                      Outage(EntryType::kOutageEnd, kSecond, mocks::kMessenger), queued}));
  CHECK_FALSE(Occurs("alert_queued_during_messenger_outage",
                     {Outage(EntryType::kOutageStart, 0, mocks::BankEndpoint(0)), queued}));
}

TEST_CASE("request_throttled_429 and request_timed_out read the response status", "[invariants]") {
  CHECK(Occurs("request_throttled_429", {Response(0, 7, 1, 1, 429)}));
  CHECK_FALSE(Occurs("request_throttled_429", {Response(0, 7, 1, 1, 200)}));
  CHECK(Occurs("request_timed_out", {Response(0, 7, 1, 1, 0)}));
  CHECK_FALSE(Occurs("request_timed_out", {Response(0, 7, 1, 1, 503)}));
}

TEST_CASE("webhook_retried needs an attempt number of 2 or more", "[invariants]") {
  auto sent = Simple(EntryType::kWebhookSent, 0, 7, 1, 3);
  sent.value = 1;
  CHECK_FALSE(Occurs("webhook_retried", {sent}));
  sent.value = 2;
  CHECK(Occurs("webhook_retried", {sent}));
}

TEST_CASE("consent_expired_while_cached needs a live item under the expiring consent",
          "[invariants]") {
  auto expired = Consent(EntryType::kConsentExpired, kDay, 1, 7);
  CHECK(Occurs("consent_expired_while_cached", {CachePut(0, 7, 1, 500), expired}));
  CHECK_FALSE(Occurs("consent_expired_while_cached",
                     {CachePut(0, 7, 1, 500), CachePurge(kHour, 7, 1, 500, 0), expired}));
  CHECK_FALSE(Occurs("consent_expired_while_cached",
                     {CachePut(0, 7, 1, 500), CachePut(kHour, 7, 2, 500), expired}));
}

TEST_CASE("webhook_duplicated needs the same reason and ref received twice", "[invariants]") {
  auto alert = Simple(EntryType::kWebhookReceived, 0, 7, 1, 3);
  auto revoke = alert;
  revoke.reason = std::uint8_t(mocks::WebhookKind::kConsentRevoked);
  auto again = alert;
  again.time = kSecond;
  CHECK(Occurs("webhook_duplicated", {alert, again}));
  CHECK_FALSE(Occurs("webhook_duplicated", {alert, revoke}));
}

TEST_CASE("revocations are told apart by where they were made", "[invariants]") {
  auto by_bank = Consent(EntryType::kConsentRevoked, 0, 1, 7);
  by_bank.reason = std::uint8_t(mocks::Via::kBank);
  auto by_messenger = by_bank;
  by_messenger.reason = std::uint8_t(mocks::Via::kMessenger);
  CHECK(Occurs("revocation_via_bank", {by_bank}));
  CHECK_FALSE(Occurs("revocation_via_bank", {by_messenger}));
  CHECK(Occurs("revocation_via_messenger", {RevokeRequested(0, 7, 1)}));
  CHECK_FALSE(Occurs("revocation_via_messenger", {by_messenger}));
}

TEST_CASE("consent_rejected, balance_asked_in_group and fraud_false_positive", "[invariants]") {
  CHECK(Occurs("consent_rejected", {Consent(EntryType::kConsentRejected, 0, 1, 7)}));
  CHECK_FALSE(Occurs("consent_rejected", {Consent(EntryType::kConsentAuthorised, 0, 1, 7)}));

  auto check = Simple(EntryType::kBalanceCheck, 0, 7, 0, 4);
  check.from = mocks::CustomerEndpoint(7);
  check.to = mocks::GroupEndpoint(2);
  CHECK(Occurs("balance_asked_in_group", {check}));
  check.to = mocks::ChatEndpoint(7);
  CHECK_FALSE(Occurs("balance_asked_in_group", {check}));

  CHECK(Occurs("fraud_false_positive", {Detected(kMinute, 7, 1, 3, false)}));
  CHECK_FALSE(Occurs("fraud_false_positive", {Detected(kMinute, 7, 1, 3, true)}));
}

TEST_CASE("situation patterns count matching entries, in the order given", "[invariants]") {
  Situation named;
  named.name = "request_throttled_429";
  Situation pattern;
  pattern.pattern = Pattern{"flow", {{"to", {"partner:*"}}}, 4, 5};
  auto t = SituationTracker::Make({named, pattern}, Context());
  REQUIRE(t.ok());
  CHECK((*t)->size() == 2);
  for (const auto& e : {Flow(0, mocks::kCache, mocks::PartnerEndpoint(0), 7, 1, kBalance, 1),
                        Flow(1, mocks::kCache, mocks::PartnerEndpoint(0), 7, 1, kBalance, 2)}) {
    (*t)->OnEntry(e);
  }
  CHECK_FALSE((*t)->occurred(0));
  CHECK((*t)->occurred(1));
  CHECK((*t)->count(1) == 2);
}

TEST_CASE("unknown situations and bad patterns are errors", "[invariants]") {
  Situation s;
  s.name = "revocation_while_asleep";
  s.line = 12;
  auto t = SituationTracker::Make({s}, Context());
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message == "sometimes (line 12): unknown situation 'revocation_while_asleep'");

  Situation p;
  p.pattern = Pattern{"flow", {{"from", {"bank:westbank"}}}, 14, 7};
  auto bad = SituationTracker::Make({p}, Context());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "sometimes (line 14): field 'from': no bank in this world is named 'bank:westbank'");
}

}  // namespace
}  // namespace bpsim::harness::testing
