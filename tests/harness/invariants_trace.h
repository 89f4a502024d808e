#pragma once
// Builders of hand-made trace entries for the invariant, rule, situation and
// metrics tests. Bank 0 is "northbank", bank 1 "southbank"; partner 0 "adpartner".

#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "harness/invariants/monitor.h"
#include "mocks/trace.h"

namespace bpsim::harness::testing {

using mocks::EntryType;
using mocks::TraceEntry;

inline const mocks::TraceNames& Names() {
  static const mocks::TraceNames names{{"northbank", "southbank"}, {"adpartner"}};
  return names;
}
inline MonitorContext Context() {
  MonitorContext c;
  c.names = &Names();
  return c;
}

inline constexpr mocks::ScopeSet kAllScopes =
    mocks::kScopeAccounts | mocks::kScopeBalances | mocks::kScopeTransactions;
inline constexpr mocks::CategorySet kBalance = mocks::CategoryBit(mocks::Category::kBalance);
inline constexpr mocks::CategorySet kTransactions =
    mocks::CategoryBit(mocks::Category::kTransactions);
inline constexpr mocks::CategorySet kAlert = mocks::CategoryBit(mocks::Category::kAlert);

inline TraceEntry Consent(EntryType type, SimTime t, mocks::ConsentId id, mocks::CustomerId subject,
                          mocks::ScopeSet scopes = kAllScopes,
                          mocks::PurposeSet purposes = mocks::kPurposeDisplay |
                                                       mocks::kPurposeFraudAlerts,
                          SimTime expiry = 90 * kDay, mocks::BankIndex bank = 0) {
  TraceEntry e;
  e.time = t;
  e.type = type;
  e.consent = id;
  e.subject = subject;
  e.scopes = scopes;
  e.consent_purposes = purposes;
  e.value = expiry;
  e.bank = bank;
  return e;
}

// consent.created at t, consent.authorised at t + 1s.
inline std::vector<TraceEntry> Granted(SimTime t, mocks::ConsentId id, mocks::CustomerId subject,
                                       mocks::ScopeSet scopes = kAllScopes,
                                       mocks::PurposeSet purposes = mocks::kPurposeDisplay |
                                                                    mocks::kPurposeFraudAlerts,
                                       SimTime expiry = 90 * kDay) {
  return {
      Consent(EntryType::kConsentCreated, t, id, subject, scopes, purposes, expiry),
      Consent(EntryType::kConsentAuthorised, t + kSecond, id, subject, scopes, purposes, expiry)};
}

inline TraceEntry Flow(SimTime t, mocks::Endpoint from, mocks::Endpoint to,
                       mocks::CustomerId subject, mocks::ConsentId consent,
                       mocks::CategorySet categories, std::uint64_t ref,
                       mocks::PurposeSet purpose = mocks::kPurposeDisplay,
                       mocks::PurposeSet consent_purposes = mocks::kPurposeDisplay |
                                                            mocks::kPurposeFraudAlerts) {
  TraceEntry e;
  e.time = t;
  e.type = EntryType::kFlow;
  e.from = from;
  e.to = to;
  e.labelled = true;
  e.subject = subject;
  e.bank = 0;
  e.consent = consent;
  e.categories = categories;
  e.ref = ref;
  e.purpose = purpose;
  e.consent_purposes = consent_purposes;
  e.aux = t;  // served when it moved
  return e;
}

inline TraceEntry Release(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                          mocks::CategorySet categories, std::uint64_t ref) {
  return Flow(t, mocks::BankEndpoint(0), mocks::kConnector, subject, consent, categories, ref);
}

inline TraceEntry Simple(EntryType type, SimTime t, mocks::CustomerId subject,
                         mocks::ConsentId consent, std::uint64_t ref = 0) {
  TraceEntry e;
  e.time = t;
  e.type = type;
  e.subject = subject;
  e.consent = consent;
  e.ref = ref;
  if (subject != mocks::kNoSubject) e.bank = 0;
  return e;
}

inline TraceEntry Request(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                          mocks::CategorySet categories, std::uint64_t ref) {
  TraceEntry e = Simple(EntryType::kApiRequest, t, subject, consent, ref);
  e.from = mocks::kConnector;
  e.to = mocks::BankEndpoint(0);
  e.categories = categories;
  return e;
}

inline TraceEntry Response(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                           std::uint64_t ref, std::uint16_t status,
                           mocks::DenyReason reason = mocks::DenyReason::kNone) {
  TraceEntry e = Simple(EntryType::kApiResponse, t, subject, consent, ref);
  e.categories = kBalance;
  e.status = status;
  e.reason = std::uint8_t(reason);
  return e;
}

// The bank's decision (api.served) of the request `ref`.
inline TraceEntry Served(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                         std::uint64_t ref, std::uint16_t status) {
  TraceEntry e = Response(t, subject, consent, ref, status);
  e.type = EntryType::kApiServed;
  return e;
}

// A put of a balance the bank served at `served_at` (default: at t).
inline TraceEntry CachePut(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                           std::uint64_t key, SimTime served_at = -1) {
  TraceEntry e = Simple(EntryType::kCachePut, t, subject, consent, key);
  e.categories = kBalance;
  e.value = t;
  e.aux = served_at < 0 ? t : served_at;
  return e;
}

inline TraceEntry CachePurge(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                             std::uint64_t key, SimTime put_time) {
  TraceEntry e = Simple(EntryType::kCachePurge, t, subject, consent, key);
  e.categories = kBalance;
  e.value = put_time;
  return e;
}

// consent.revoke_requested: the customer asked to revoke, in the messenger by default.
inline TraceEntry RevokeRequested(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                                  mocks::Via via = mocks::Via::kMessenger) {
  TraceEntry e = Simple(EntryType::kRevokeRequested, t, subject, consent);
  e.from = mocks::CustomerEndpoint(subject);
  e.to = via == mocks::Via::kMessenger ? mocks::kConnector : mocks::BankEndpoint(0);
  e.reason = std::uint8_t(via);
  return e;
}

inline TraceEntry Detected(SimTime t, mocks::CustomerId subject, mocks::ConsentId consent,
                           std::uint64_t alert, bool fraud = true) {
  TraceEntry e = Simple(EntryType::kFraudDetected, t, subject, consent, alert);
  e.reason = fraud ? 1 : 0;
  e.value = t - kSecond;
  return e;
}

inline TraceEntry Displayed(SimTime t, mocks::CustomerId subject, std::uint64_t alert,
                            SimTime detected_at, mocks::Endpoint chat) {
  TraceEntry e = Simple(EntryType::kAlertDisplayed, t, subject, 0, alert);
  e.bank = mocks::kNoBank;
  e.to = chat;
  e.value = detected_at;
  return e;
}

// Feeds the entries a monitor subscribes to (as the bus would), then Finish(end).
inline void Run(Monitor& m, const std::vector<TraceEntry>& entries, SimTime end) {
  for (const TraceEntry& e : entries) {
    if (m.type_mask() & mocks::TypeBit(e.type)) m.OnEntry(e);
  }
  m.Finish(end);
}

inline std::unique_ptr<Monitor> Invariant(const char* id) {
  InvariantConfig c;
  c.id = id;
  return MakeInvariantMonitor(c, Context());
}

// The built-in invariants `ids` for short hand-made traces (max 1h, slack 1m, grace 0,
// purge_within 1h), each subscribed to `bus` for its types.
inline std::vector<std::unique_ptr<Monitor>> SubscribeInvariants(
    const std::vector<const char*>& ids, const MonitorContext& context, mocks::WorldTraceBus& bus) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  for (const char* id : ids) {
    InvariantConfig c;
    c.id = id;
    c.max = kHour;
    c.slack = kMinute;
    c.grace = 0;
    c.purge_within = kHour;
    monitors.push_back(MakeInvariantMonitor(c, context));
    bus.Subscribe(monitors.back().get(), monitors.back()->type_mask());
  }
  return monitors;
}

// Finishes each monitor at `end`; their violations in monitor order, and how many.
inline std::vector<reports::Violation> FinishAll(std::vector<std::unique_ptr<Monitor>>& monitors,
                                                 SimTime end, std::uint64_t* count) {
  std::vector<reports::Violation> all;
  for (auto& m : monitors) {
    m->Finish(end);
    *count += m->violation_count();
    all.insert(all.end(), m->violations().begin(), m->violations().end());
  }
  return all;
}

// The same violations, in the same order, with the same evidence.
inline void RequireSameViolations(const std::vector<reports::Violation>& a,
                                  const std::vector<reports::Violation>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const reports::Violation& x = a[i];
    const reports::Violation& y = b[i];
    CHECK(x.invariant == y.invariant);
    CHECK(x.time == y.time);
    CHECK(x.subject == y.subject);
    CHECK(x.message == y.message);
    REQUIRE(x.evidence.size() == y.evidence.size());
    for (std::size_t k = 0; k < x.evidence.size(); ++k) {
      CHECK(x.evidence[k].time == y.evidence[k].time);
      CHECK(x.evidence[k].text == y.evidence[k].text);
    }
  }
}

inline std::vector<TraceEntry> Concat(std::vector<std::vector<TraceEntry>> parts) {
  std::vector<TraceEntry> all;
  for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

}  // namespace bpsim::harness::testing
