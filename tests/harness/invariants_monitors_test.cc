// The nine built-in invariants on hand-built traces: each has a trace that violates
// it and a close variant that does not.

#include <catch2/catch.hpp>

#include "tests/harness/invariants_trace.h"

namespace bpsim::harness::testing {
namespace {

using mocks::EndpointKind;

const reports::Violation& Only(const Monitor& m) {
  REQUIRE(m.violation_count() == 1);
  return m.violations().front();
}

// ---- consent-before-access ------------------------------------------------------

TEST_CASE("consent-before-access accepts a release under an authorised covering consent",
          "[invariants]") {
  auto m = Invariant("consent-before-access");
  Run(*m, Concat({Granted(0, 1, 7), {Release(kMinute, 7, 1, kBalance, 10)}}), kHour);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("consent-before-access reports a release after the consent was revoked", "[invariants]") {
  auto m = Invariant("consent-before-access");
  auto revoked = Consent(EntryType::kConsentRevoked, 30 * kSecond, 1, 7);
  revoked.reason = std::uint8_t(mocks::Via::kBank);
  Run(*m, Concat({Granted(0, 1, 7), {revoked, Release(kMinute, 7, 1, kBalance, 10)}}), kHour);
  const auto& v = Only(*m);
  CHECK(v.invariant == "consent-before-access");
  CHECK(v.time == kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "bank:northbank released balance of customer 7 under consent 1, which was revoked");
  REQUIRE(v.evidence.size() == 4);
  CHECK(v.evidence.front().text ==
        "0s consent.created consent 1 of customer 7 at bank:northbank scopes "
        "accounts,balances,transactions");
  CHECK(v.evidence[2].text ==
        "30s consent.revoked consent 1 of customer 7 at bank:northbank scopes "
        "accounts,balances,transactions (bank)");
  CHECK(v.evidence.back().time == kMinute);
  CHECK(v.evidence.back().text ==
        "1m flow bank:northbank -> platform.connector [balance of customer 7, "
        "consent 1] for display");
}

TEST_CASE("consent-before-access judges expiry by the instant: 1 ns before is fine, at it is not",
          "[invariants]") {
  auto m = Invariant("consent-before-access");
  SimTime expiry = kHour;
  Run(*m,
      Concat({Granted(0, 1, 7, kAllScopes, mocks::kPurposeDisplay, expiry),
              {Release(expiry - 1, 7, 1, kBalance, 10), Release(expiry, 7, 1, kBalance, 11)}}),
      2 * kHour);
  const auto& v = Only(*m);
  CHECK(v.time == expiry);
  CHECK(v.message ==
        "bank:northbank released balance of customer 7 under consent 1, which "
        "expired at 1h");
  REQUIRE(v.evidence.size() == 4);
  CHECK(v.evidence[2].text == "1h consent 1 reached its expiry");
  CHECK(v.evidence.back().time == expiry);
}

TEST_CASE(
    "consent-before-access reports wrong subject, missing scope, no consent and unknown "
    "consents",
    "[invariants]") {
  auto m = Invariant("consent-before-access");
  Run(*m,
      Concat({Granted(0, 1, 7, mocks::kScopeBalances, mocks::kPurposeDisplay),
              {Release(kMinute, 8, 1, kBalance, 10), Release(kMinute, 7, 1, kTransactions, 11),
               Release(kMinute, 7, 1, kAlert, 12), Release(kMinute, 7, 0, kBalance, 13),
               Release(kMinute, 7, 99, kBalance, 14)}}),
      kHour);
  REQUIRE(m->violation_count() == 5);
  const auto& v = m->violations();
  CHECK(v[0].message ==
        "bank:northbank released balance of customer 8 under consent 1, which belongs to "
        "customer 7");
  CHECK(v[1].message ==
        "bank:northbank released transactions of customer 7 under consent 1, "
        "which does not cover transactions");
  CHECK(v[2].message ==
        "bank:northbank released alert of customer 7 under consent 1, which does not cover alert");
  CHECK(v[3].message == "bank:northbank released balance of customer 7 under no consent");
  CHECK(v[3].evidence.size() == 1);
  CHECK(v[4].message ==
        "bank:northbank released balance of customer 7 under consent 99, which "
        "the bank never created");
}

TEST_CASE("consent-before-access accepts an alert under a fraud_alerts consent without scopes",
          "[invariants]") {
  auto m = Invariant("consent-before-access");
  auto release = Release(kMinute, 7, 1, kAlert, 5);
  release.purpose = mocks::kPurposeFraudAlerts;
  Run(*m, Concat({Granted(0, 1, 7, 0, mocks::kPurposeFraudAlerts), {release}}), kHour);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("consent-before-access reports a release while awaiting authorisation", "[invariants]") {
  auto m = Invariant("consent-before-access");
  Run(*m, {Consent(EntryType::kConsentCreated, 0, 1, 7), Release(kSecond, 7, 1, kBalance, 3)},
      kHour);
  const auto& v = Only(*m);
  CHECK(v.message ==
        "bank:northbank released balance of customer 7 under consent 1, which was "
        "awaiting authorisation");
  CHECK(v.evidence.size() == 2);
}

// ---- revocation-honoured --------------------------------------------------------

std::unique_ptr<Monitor> Revocation(SimTime grace, SimTime purge_within) {
  InvariantConfig c;
  c.id = "revocation-honoured";
  c.grace = grace;
  c.purge_within = purge_within;
  return MakeInvariantMonitor(c, Context());
}

TEST_CASE("revocation-honoured allows a request 1 ns before told + grace but not after",
          "[invariants]") {
  SimTime told = 10 * kMinute, grace = 5 * kSecond;
  auto ok = Revocation(grace, kHour);
  Run(*ok,
      Concat({Granted(0, 1, 7),
              {RevokeRequested(told, 7, 1),
               Request(told + grace - 1, 7, 1, kBalance, 20),
               Request(told + grace, 7, 1, kBalance, 21)}}),
      kDay);
  CHECK(ok->violation_count() == 0);

  auto late = Revocation(grace, kHour);
  Run(*late,
      Concat({Granted(0, 1, 7),
              {RevokeRequested(told, 7, 1),
               Request(told + grace + 1, 7, 1, kBalance, 21)}}),
      kDay);
  const auto& v = Only(*late);
  CHECK(v.invariant == "revocation-honoured");
  CHECK(v.time == told + grace + 1);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "api.request #21 for balance under consent 1 was sent 5.000000001s after the "
        "platform was told the consent was over (the customer revoked it in the "
        "messenger; grace 5s)");
  REQUIRE(v.evidence.size() == 4);
  CHECK(v.evidence[0].text.find("consent.created consent 1") != std::string::npos);
  CHECK(v.evidence[2].text ==
        "10m consent.revoke_requested consent 1 of customer 7 at bank:northbank "
        "in platform.connector (messenger)");
  CHECK(v.evidence[3].text ==
        "10m 5s api.request consent 1 of customer 7 at "
        "bank:northbank for balance #21 (poll)");
}

TEST_CASE("revocation-honoured: a request to revoke in the bank's app tells the platform nothing",
          "[invariants]") {
  // The bank tells the platform by webhook; until it arrives the platform cannot know.
  SimTime asked = 10 * kMinute, webhook = asked + kHour;
  auto m = Revocation(0, kHour);
  auto received = Simple(EntryType::kWebhookReceived, webhook, 7, 1, 1);
  received.reason = std::uint8_t(mocks::WebhookKind::kConsentRevoked);
  Run(*m,
      Concat({Granted(0, 1, 7),
              {RevokeRequested(asked, 7, 1, mocks::Via::kBank),
               Consent(EntryType::kConsentRevoked, asked, 1, 7),
               Request(asked + kMinute, 7, 1, kBalance, 20), received,
               Request(webhook + kSecond, 7, 1, kBalance, 21)}}),
      kDay);
  REQUIRE(m->violation_count() == 1);
  CHECK(m->violations()[0].time == webhook + kSecond);
  CHECK(m->violations()[0].message.find("the bank's revocation webhook arrived") !=
        std::string::npos);
}

TEST_CASE("revocation-honoured judges what a chat shows after told + purge_within",
          "[invariants]") {
  // What a black box shows too: data of the consent displayed after the purge window.
  SimTime told = 10 * kMinute;
  auto m = Revocation(0, kHour);
  TraceEntry in_time = Flow(told + kHour, mocks::kCache, mocks::ChatEndpoint(7), 7, 1, kBalance, 3);
  TraceEntry late = Flow(told + kHour + 1, mocks::kCache, mocks::ChatEndpoint(7), 7, 1, kBalance, 4);
  TraceEntry alert = Flow(told + 2 * kHour, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kAlert,
                          5, mocks::kPurposeFraudAlerts);  // a notice: not kept data
  TraceEntry other = Flow(told + 2 * kHour, mocks::kCache, mocks::ChatEndpoint(7), 7, 2, kBalance, 6);
  Run(*m,
      Concat({Granted(0, 1, 7), Granted(0, 2, 7),
              {RevokeRequested(told, 7, 1, mocks::Via::kMessenger), in_time, late, alert, other}}),
      kDay);
  const auto& v = Only(*m);
  CHECK(v.time == told + kHour + 1);
  CHECK(v.message ==
        "balance of customer 7 under consent 1 was shown in chat:7 1h 0.000000001s after the "
        "platform was told the consent was over (the customer revoked it in the messenger; "
        "purge_within 1h)");
  CHECK(v.evidence.back().text.find("flow platform.cache -> chat:7") != std::string::npos);
}

TEST_CASE("revocation-honoured treats a 403 consent_inactive as notice but not a 403 scope",
          "[invariants]") {
  auto scope = Revocation(0, kHour);
  Run(*scope,
      Concat({Granted(0, 1, 7),
              {Response(kMinute, 7, 1, 5, 403, mocks::DenyReason::kScope),
               Request(2 * kMinute, 7, 1, kBalance, 6)}}),
      kDay);
  CHECK(scope->violation_count() == 0);

  auto inactive = Revocation(0, kHour);
  Run(*inactive,
      Concat({Granted(0, 1, 7),
              {Response(kMinute, 7, 1, 5, 403, mocks::DenyReason::kConsentInactive),
               Request(2 * kMinute, 7, 1, kBalance, 6)}}),
      kDay);
  CHECK(Only(*inactive).message ==
        "api.request #6 for balance under consent 1 was sent 1m after the platform was told the "
        "consent was over (the bank answered 403 consent_inactive; grace 0s)");
}

TEST_CASE("revocation-honoured treats the revocation webhook and the expiry as notice",
          "[invariants]") {
  auto hook = Revocation(0, kHour);
  auto received = Simple(EntryType::kWebhookReceived, kMinute, 7, 1, 77);
  received.reason = std::uint8_t(mocks::WebhookKind::kConsentRevoked);
  auto alert_hook = received;
  alert_hook.reason = std::uint8_t(mocks::WebhookKind::kFraudAlert);
  Run(*hook,
      Concat({Granted(0, 1, 7),
              {alert_hook, Request(90 * kSecond, 7, 1, kBalance, 6), received,
               Request(2 * kMinute, 7, 1, kBalance, 7)}}),
      kDay);
  CHECK(Only(*hook).message.find("(the bank's revocation webhook arrived; grace 0s)") !=
        std::string::npos);

  auto expiry = Revocation(0, kHour);
  Run(*expiry,
      Concat({Granted(0, 1, 7, kAllScopes, mocks::kPurposeDisplay, 10 * kMinute),
              {Request(10 * kMinute, 7, 1, kBalance, 6),
               Request(10 * kMinute + 1, 7, 1, kBalance, 7)}}),
      kDay);
  const auto& v = Only(*expiry);
  CHECK(v.time == 10 * kMinute + 1);
  CHECK(v.evidence.size() == 4);
  CHECK(v.evidence[2].text ==
        "10m consent 1 reached its expiry (known to the "
        "platform since authorisation)");
}

TEST_CASE("revocation-honoured accepts a purge exactly at told + purge_within", "[invariants]") {
  auto m = Revocation(0, kHour);
  SimTime told = 10 * kMinute;
  Run(*m,
      Concat({Granted(0, 1, 7),
              {CachePut(kMinute, 7, 1, 500), RevokeRequested(told, 7, 1),
               CachePurge(told + kHour, 7, 1, 500, kMinute)}}),
      kDay);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("revocation-honoured reports an item purged 1 ns late, at the deadline", "[invariants]") {
  auto m = Revocation(0, kHour);
  SimTime told = 10 * kMinute;
  Run(*m,
      Concat({Granted(0, 1, 7),
              {CachePut(kMinute, 7, 1, 500), RevokeRequested(told, 7, 1),
               CachePurge(told + kHour + 1, 7, 1, 500, kMinute)}}),
      kDay);
  const auto& v = Only(*m);
  CHECK(v.time == told + kHour);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "cache item #500 (balance) under consent 1 was still cached at "
        "1h 10m, 1h after the platform was told the consent was over (the "
        "customer revoked it in the messenger)");
  REQUIRE(v.evidence.size() == 4);
  CHECK(v.evidence.back().text ==
        "1m cache.put consent 1 of customer 7 at bank:northbank for balance #500");
}

TEST_CASE("revocation-honoured judges items put after notice and items left at the end",
          "[invariants]") {
  auto m = Revocation(0, kHour);
  SimTime told = 10 * kMinute;
  Run(*m,
      Concat(
          {Granted(0, 1, 7),
           {RevokeRequested(told, 7, 1), CachePut(20 * kMinute, 7, 1, 501)}}),
      told + kHour);
  CHECK(Only(*m).time == told + kHour);

  auto beyond = Revocation(0, kHour);  // deadline after the end: not judged
  Run(*beyond,
      Concat(
          {Granted(0, 1, 7),
           {RevokeRequested(told, 7, 1), CachePut(20 * kMinute, 7, 1, 501)}}),
      told + kHour - 1);
  CHECK(beyond->violation_count() == 0);
}

TEST_CASE("revocation-honoured reports an item put after the purge deadline at its put",
          "[invariants]") {
  auto m = Revocation(0, kHour);
  SimTime told = 10 * kMinute;
  Run(*m,
      Concat({Granted(0, 1, 7),
              {RevokeRequested(told, 7, 1), CachePut(2 * kHour, 7, 1, 502)}}),
      kDay);
  const auto& v = Only(*m);
  CHECK(v.time == 2 * kHour);
  CHECK(v.message ==
        "cache item #502 (balance) under consent 1 was put at 2h, "
        "after its purge deadline 1h 10m, 1h after the platform was told "
        "the consent was over (the customer revoked it in the messenger)");
  REQUIRE(v.evidence.size() == 4);
  CHECK(v.evidence.back().time == 2 * kHour);
}

TEST_CASE("revocation-honoured forgets an item replaced by a put under another consent",
          "[invariants]") {
  auto m = Revocation(0, kHour);
  Run(*m,
      Concat({Granted(0, 1, 7),
              Granted(0, 2, 7),
              {CachePut(kMinute, 7, 1, 500), RevokeRequested(2 * kMinute, 7, 1),
               CachePut(3 * kMinute, 7, 2, 500)}}),
      kDay);
  CHECK(m->violation_count() == 0);
}

// ---- purpose-limitation ---------------------------------------------------------

TEST_CASE("purpose-limitation reports labelled data reaching ads and analytics", "[invariants]") {
  auto m = Invariant("purpose-limitation");
  auto ads = Flow(kMinute, mocks::kCache, mocks::kAds, 7, 1, kTransactions, 4, mocks::kPurposeAds);
  ads.derived = true;
  auto analytics = Flow(2 * kMinute, mocks::kCache, mocks::kAnalytics, 7, 1, kBalance, 5,
                        mocks::kPurposeAnalytics);
  auto unlabelled = analytics;
  unlabelled.labelled = false;
  Run(*m, {ads, analytics, unlabelled}, kHour);
  REQUIRE(m->violation_count() == 2);
  const auto& v = m->violations()[0];
  CHECK(v.invariant == "purpose-limitation");
  CHECK(v.time == kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "data derived from transactions of customer 7 reached ads for ads, a "
        "purpose consent 1 does not name");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "1m flow platform.cache -> ads [transactions of "
        "customer 7, consent 1] (derived) for ads");
  CHECK(m->violations()[1].message ==
        "balance of customer 7 reached analytics for analytics, a "
        "purpose consent 1 does not name");
}

TEST_CASE("purpose-limitation reports an alert displayed under a consent without fraud_alerts",
          "[invariants]") {
  auto m = Invariant("purpose-limitation");
  auto shown = Flow(kMinute, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kAlert, 4,
                    mocks::kPurposeFraudAlerts, mocks::kPurposeDisplay);
  auto fine = Flow(kMinute, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kAlert, 4,
                   mocks::kPurposeFraudAlerts, mocks::kPurposeFraudAlerts);
  Run(*m, {fine, shown}, kHour);
  CHECK(Only(*m).message ==
        "alert of customer 7 reached chat:7 for fraud_alerts, a purpose consent 1 does not name");
}

// ---- no-third-party-sharing -----------------------------------------------------

TEST_CASE("no-third-party-sharing reports labelled data to a partner, not unlabelled data",
          "[invariants]") {
  auto m = Invariant("no-third-party-sharing");
  auto shared = Flow(kMinute, mocks::kCache, mocks::PartnerEndpoint(0), 7, 1, kTransactions, 4,
                     mocks::kPurposeSharing);
  auto unlabelled = shared;
  unlabelled.labelled = false;
  Run(*m, {unlabelled, shared}, kHour);
  const auto& v = Only(*m);
  CHECK(v.invariant == "no-third-party-sharing");
  CHECK(v.time == kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message == "transactions of customer 7 was handed to partner:adpartner");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "1m flow platform.cache -> partner:adpartner "
        "[transactions of customer 7, consent 1] for sharing");
}

// ---- subject-isolation ----------------------------------------------------------

TEST_CASE("subject-isolation accepts the subject's own chat and reports others and groups",
          "[invariants]") {
  auto m = Invariant("subject-isolation");
  Run(*m,
      {Flow(kMinute, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kBalance, 4),
       Flow(2 * kMinute, mocks::kConnector, mocks::GroupEndpoint(3), 7, 1, kBalance, 5),
       Flow(3 * kMinute, mocks::kConnector, mocks::ChatEndpoint(8), 7, 1, kBalance, 6)},
      kHour);
  REQUIRE(m->violation_count() == 2);
  const auto& v = m->violations()[0];
  CHECK(v.invariant == "subject-isolation");
  CHECK(v.time == 2 * kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message == "balance of customer 7 was shown in chat:group:3, not in chat:7");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "2m flow platform.connector -> chat:group:3 [balance "
        "of customer 7, consent 1] for display");
  CHECK(m->violations()[1].message == "balance of customer 7 was shown in chat:8, not in chat:7");
}

// ---- data-minimisation ----------------------------------------------------------

TEST_CASE("data-minimisation reports a request outside the consent's scopes even if refused",
          "[invariants]") {
  auto m = Invariant("data-minimisation");
  Run(*m,
      Concat({Granted(0, 1, 7, mocks::kScopeAccounts | mocks::kScopeBalances),
              {Request(kMinute, 7, 1, kBalance, 20), Request(2 * kMinute, 7, 1, kTransactions, 21),
               Response(3 * kMinute, 7, 1, 21, 403, mocks::DenyReason::kScope)}}),
      kHour);
  const auto& v = Only(*m);
  CHECK(v.invariant == "data-minimisation");
  CHECK(v.time == 2 * kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "api.request #21 asked for transactions under consent 1, whose scopes are "
        "only accounts,balances");
  REQUIRE(v.evidence.size() == 3);
  CHECK(v.evidence.front().time == 0);
  CHECK(v.evidence.back().text ==
        "2m api.request consent 1 of customer 7 at "
        "bank:northbank for transactions #21 (poll)");
}

// ---- retention-limit ------------------------------------------------------------

std::unique_ptr<Monitor> Retention(SimTime slack, SimTime max = kHour) {
  InvariantConfig c;
  c.id = "retention-limit";
  c.max = max;
  c.slack = slack;
  return MakeInvariantMonitor(c, Context());
}

TEST_CASE("retention-limit accepts a purge exactly at served + max + slack", "[invariants]") {
  auto m = Retention(kMinute);
  Run(*m, {CachePut(0, 7, 1, 500), CachePurge(kHour + kMinute, 7, 1, 500, 0)}, kDay);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("retention-limit reports a purge 1 ns late at the deadline", "[invariants]") {
  auto m = Retention(kMinute);
  Run(*m, {CachePut(0, 7, 1, 500), CachePurge(kHour + kMinute + 1, 7, 1, 500, 0)}, kDay);
  const auto& v = Only(*m);
  CHECK(v.invariant == "retention-limit");
  CHECK(v.time == kHour + kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "cache item #500 (balance of customer 7) was still cached at 1h 1m, the "
        "retention limit 1h + slack 1m after bank:northbank served it at 0s");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "0s cache.put consent 1 of customer 7 at bank:northbank for balance #500");
}

TEST_CASE("retention-limit counts from when the bank served the datum, not from the put",
          "[invariants]") {
  // Served at 0, put 20 s later (the fetch's latency): due at 1h 1m, not 1h 1m 20s.
  auto m = Retention(kMinute);
  Run(*m, {CachePut(20 * kSecond, 7, 1, 500, 0), CachePurge(kHour + kMinute + kSecond, 7, 1, 500, 0)},
      kDay);
  CHECK(Only(*m).time == kHour + kMinute);
  // A TTL longer than the policy is a violation the first time an item outlives it,
  // whatever the platform's cache_ttl (the monitor does not know it).
  auto year = Retention(kMinute, 24 * kHour);
  Run(*year, {CachePut(0, 7, 1, 500), CachePut(kHour, 8, 2, 600)}, 3 * kDay);
  REQUIRE(year->violation_count() == 2);
  CHECK(year->violations()[0].time == 24 * kHour + kMinute);
  CHECK(year->violations()[1].time == 25 * kHour + kMinute);
}

TEST_CASE("retention-limit keeps deadlines a little out of put order in order", "[invariants]") {
  // Puts in time order whose served instants are not (latencies differ): each item
  // is judged at its own served + max + slack, in deadline order.
  auto m = Retention(0);
  Run(*m,
      {CachePut(10 * kSecond, 7, 1, 500, 9 * kSecond), CachePut(11 * kSecond, 8, 2, 600, 2 * kSecond),
       CachePut(12 * kSecond, 9, 3, 700, 5 * kSecond), CachePurge(kHour + 2 * kSecond, 8, 2, 600, 0)},
      2 * kHour);
  REQUIRE(m->violation_count() == 2);
  CHECK(m->violations()[0].time == kHour + 5 * kSecond);
  CHECK(m->violations()[0].subject == 9);
  CHECK(m->violations()[1].time == kHour + 9 * kSecond);
  CHECK(m->violations()[1].subject == 7);
}

TEST_CASE("retention-limit restarts the clock when a put replaces an item", "[invariants]") {
  auto m = Retention(kMinute);
  Run(*m, {CachePut(0, 7, 1, 500), CachePut(kHour, 7, 1, 500)}, 2 * kHour);
  CHECK(m->violation_count() == 0);  // the replacement's deadline (2h 1m) is after the end

  auto never = Retention(kMinute);
  Run(*never, {CachePut(0, 7, 1, 500)}, 2 * kHour);
  CHECK(Only(*never).time == kHour + kMinute);
}

TEST_CASE("retention-limit judges what a chat shows by when the bank served it", "[invariants]") {
  auto m = Retention(kMinute);
  TraceEntry fresh = Flow(2 * kHour, mocks::kCache, mocks::ChatEndpoint(7), 7, 1, kBalance, 3);
  fresh.aux = kHour;  // served an hour ago: within 1h + 1m
  TraceEntry stale = fresh;
  stale.aux = kHour - kMinute - 1;
  TraceEntry alert = Flow(3 * kHour, mocks::kConnector, mocks::ChatEndpoint(7), 7, 1, kAlert, 4,
                          mocks::kPurposeFraudAlerts);
  alert.aux = 0;  // an alert is a notice, not kept data
  TraceEntry to_ads = stale;
  to_ads.to = mocks::kAds;  // not a display: purpose-limitation's business
  Run(*m, {fresh, stale, alert, to_ads}, 4 * kHour);
  const auto& v = Only(*m);
  CHECK(v.time == 2 * kHour);
  CHECK(v.message ==
        "balance of customer 7 was shown in chat:7 1h 1m 0.000000001s after bank:northbank "
        "served it at 59m, past the retention limit 1h + slack 1m");
}

// ---- fraud-alert-delivery -------------------------------------------------------

std::unique_ptr<Monitor> Delivery(std::uint64_t lost, SimTime p99) {
  InvariantConfig c;
  c.id = "fraud-alert-delivery";
  c.lost = lost;
  c.p99 = p99;
  return MakeInvariantMonitor(c, Context());
}

TEST_CASE("fraud-alert-delivery accepts an alert displayed once in the subject's chat",
          "[invariants]") {
  auto m = Delivery(0, kMinute);
  Run(*m,
      Concat({Granted(0, 1, 7),
              {Detected(kMinute, 7, 1, 3),
               Displayed(kMinute + 2 * kSecond, 7, 3, kMinute, mocks::ChatEndpoint(7))}}),
      kHour);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("fraud-alert-delivery reports a second display as a duplicate", "[invariants]") {
  auto m = Delivery(0, kMinute);
  Run(*m,
      Concat({Granted(0, 1, 7),
              {Detected(kMinute, 7, 1, 3),
               Displayed(kMinute + 2 * kSecond, 7, 3, kMinute, mocks::ChatEndpoint(7)),
               Displayed(kMinute + 5 * kSecond, 7, 3, kMinute, mocks::ChatEndpoint(7))}}),
      kHour);
  const auto& v = Only(*m);
  CHECK(v.invariant == "fraud-alert-delivery");
  CHECK(v.time == kMinute + 5 * kSecond);
  CHECK(v.subject == 7);
  CHECK(v.message == "fraud alert #3 for customer 7 was displayed 2 times in chat:7");
  REQUIRE(v.evidence.size() == 3);
  CHECK(v.evidence.front().text ==
        "1m fraud.detected consent 1 of customer 7 at bank:northbank #3 (fraud)");
  CHECK(v.evidence.back().text == "1m 5s alert.displayed of customer 7 in chat:7 #3");
}

TEST_CASE("fraud-alert-delivery counts lost alerts against `lost`", "[invariants]") {
  auto trace = Concat({Granted(0, 1, 7), {Detected(kMinute, 7, 1, 3)}});
  auto within = Delivery(1, kMinute);
  Run(*within, trace, kHour);
  CHECK(within->violation_count() == 0);

  auto over = Delivery(0, kMinute);
  Run(*over, trace, kHour);
  const auto& v = Only(*over);
  CHECK(v.time == kHour);
  CHECK(v.subject == 7);
  CHECK(v.message ==
        "fraud alert #3 for customer 7 was never displayed (1 lost, at most 0 allowed)");
  REQUIRE(v.evidence.size() == 3);
  CHECK(v.evidence.back().text ==
        "1m fraud.detected consent 1 of customer 7 at bank:northbank #3 (fraud)");
}

TEST_CASE("fraud-alert-delivery ignores detections that were not alertable and displays elsewhere",
          "[invariants]") {
  auto m = Delivery(0, kMinute);
  Run(*m,
      Concat({Granted(0, 1, 7, kAllScopes, mocks::kPurposeDisplay),  // no fraud_alerts
              Granted(0, 2, 8),
              {Detected(kMinute, 7, 1, 3), Detected(kMinute, 9, 0, 4), Detected(kMinute, 8, 2, 5),
               Displayed(2 * kMinute, 8, 5, kMinute, mocks::GroupEndpoint(1))}}),
      kHour);
  // Only alert 5 was alertable; a display in a group chat is not its delivery.
  CHECK(Only(*m).message ==
        "fraud alert #5 for customer 8 was never displayed (1 lost, at most 0 allowed)");
}

TEST_CASE("fraud-alert-delivery does not count an alert the bank withheld after its consent ended",
          "[invariants]") {
  auto withheld = [](SimTime t) {
    TraceEntry e = Simple(EntryType::kWebhookWithheld, t, 7, 1, 3);
    e.reason = std::uint8_t(mocks::WebhookKind::kFraudAlert);
    e.value = 2;
    return e;
  };
  auto revoked = Consent(EntryType::kConsentRevoked, 10 * kMinute, 1, 7);
  SECTION("withheld after the revocation: not owed, not lost") {
    auto m = Delivery(0, kMinute);
    Run(*m, Concat({Granted(0, 1, 7), {Detected(kMinute, 7, 1, 3), revoked, withheld(kHour)}}),
        2 * kHour);
    CHECK(m->violation_count() == 0);
  }
  SECTION("withheld under a consent still live: the alert is lost") {
    auto m = Delivery(0, kMinute);
    Run(*m, Concat({Granted(0, 1, 7), {Detected(kMinute, 7, 1, 3), withheld(kHour), revoked}}),
        2 * kHour);
    CHECK(Only(*m).message ==
          "fraud alert #3 for customer 7 was never displayed (1 lost, at most 0 allowed)");
  }
}

TEST_CASE("fraud-alert-delivery reports a p99 latency above the bound once", "[invariants]") {
  std::vector<TraceEntry> trace = Granted(0, 1, 7);
  for (std::uint64_t i = 1; i <= 100; ++i) {
    SimTime detect = SimTime(i) * kMinute;
    SimTime latency = i <= 98 ? kSecond : 2 * kMinute;
    trace.push_back(Detected(detect, 7, 1, i));
    trace.push_back(Displayed(detect + latency, 7, i, detect, mocks::ChatEndpoint(7)));
  }
  auto slow = Delivery(0, kMinute);
  Run(*slow, trace, kDay);
  const auto& v = Only(*slow);
  CHECK(v.time == kDay);
  CHECK(v.subject == -1);
  CHECK(v.message ==
        "the p99 of detection-to-display latency is 2m over 100 displayed "
        "alerts, above the 1m allowed");
  REQUIRE(v.evidence.size() == 2);
  CHECK(v.evidence.front().text ==
        "1h 39m fraud.detected consent 1 of customer 7 at bank:northbank #99 (fraud)");

  auto fine = Delivery(0, 2 * kMinute);
  Run(*fine, trace, kDay);
  CHECK(fine->violation_count() == 0);
}

// ---- audit-complete -------------------------------------------------------------

TEST_CASE("audit-complete accepts a release preceded by its audit at the same instant",
          "[invariants]") {
  auto m = Invariant("audit-complete");
  auto audit = Simple(EntryType::kAudit, kMinute, 7, 1, 10);
  audit.categories = kBalance;
  Run(*m, {audit, Release(kMinute, 7, 1, kBalance, 10)}, kHour);
  CHECK(m->violation_count() == 0);
}

TEST_CASE("audit-complete reports a release without a matching audit", "[invariants]") {
  auto m = Invariant("audit-complete");
  auto earlier = Simple(EntryType::kAudit, kMinute - 1, 7, 1, 10);
  earlier.categories = kBalance;
  auto other_ref = Simple(EntryType::kAudit, kMinute, 7, 1, 11);
  other_ref.categories = kBalance;
  Run(*m, {earlier, other_ref, Release(kMinute, 7, 1, kBalance, 10)}, kHour);
  const auto& v = Only(*m);
  CHECK(v.invariant == "audit-complete");
  CHECK(v.time == kMinute);
  CHECK(v.subject == 7);
  CHECK(v.message == "bank:northbank released balance of customer 7 (#10) without an audit record");
  REQUIRE(v.evidence.size() == 1);
  CHECK(v.evidence[0].text ==
        "1m flow bank:northbank -> platform.connector "
        "[balance of customer 7, consent 1] for display");
}

TEST_CASE("audit-complete needs one audit per release", "[invariants]") {
  auto m = Invariant("audit-complete");
  auto audit = Simple(EntryType::kAudit, kMinute, 7, 1, 10);
  audit.categories = kBalance;
  Run(*m, {audit, Release(kMinute, 7, 1, kBalance, 10), Release(kMinute, 7, 1, kBalance, 10)},
      kHour);
  CHECK(m->violation_count() == 1);
}

TEST_CASE("monitors keep max_reported violations and count the rest", "[invariants]") {
  InvariantConfig c;
  c.id = "no-third-party-sharing";
  MonitorContext context = Context();
  context.max_reported = 2;
  auto m = MakeInvariantMonitor(c, context);
  for (int i = 0; i < 5; ++i) {
    m->OnEntry(Flow(i, mocks::kCache, mocks::PartnerEndpoint(0), 7, 1, kBalance, 4));
  }
  m->Finish(kHour);
  CHECK(m->violation_count() == 5);
  CHECK(m->violations().size() == 2);
  CHECK(m->id() == "no-third-party-sharing");
  CHECK(m->type_mask() == mocks::TypeBit(EntryType::kFlow));
}

}  // namespace
}  // namespace bpsim::harness::testing
