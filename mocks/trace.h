#pragma once
// The world's trace entries (docs/trace.md): every observable step of a run is one
// TraceEntry published on the TraceBus. Monitors judge runs from these entries
// alone, so each field's meaning per type is part of the contract; docs/trace.md
// documents the JSON Lines form.
//
// Entries are small plain values (no strings, no allocation): ids are integers and
// names are resolved through TraceNames when an entry is printed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mocks/config.h"
#include "sim/time.h"
#include "sim/trace_bus.h"

namespace bpsim::mocks {

using CustomerId = std::uint32_t;
using BankIndex = std::uint16_t;   // index into WorldConfig::banks
using ConsentId = std::uint64_t;   // 0 = none; unique across all banks of a run
inline constexpr BankIndex kNoBank = 0xffff;
inline constexpr CustomerId kNoSubject = 0xffffffff;

enum class EndpointKind : std::uint8_t {
  kNone,
  kBank,        // bank:<id>           id = bank index
  kConnector,   // platform.connector
  kCache,       // platform.cache
  kChat,        // chat:<customer>     id = customer (the customer's private chat)
  kGroupChat,   // chat:group:<group>  id = group
  kAds,         // ads
  kPartner,     // partner:<name>      id = index into PlatformConfig::partners
  kAnalytics,   // analytics
  kLog,         // log
  kCustomer,    // customer:<id>       a person acting (asking, revoking)
  kMessenger,   // messenger           the platform as an outage target
};

struct Endpoint {
  EndpointKind kind = EndpointKind::kNone;
  std::uint32_t id = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
inline Endpoint BankEndpoint(BankIndex b) { return {EndpointKind::kBank, b}; }
inline constexpr Endpoint kConnector{EndpointKind::kConnector, 0};
inline constexpr Endpoint kCache{EndpointKind::kCache, 0};
inline Endpoint ChatEndpoint(CustomerId c) { return {EndpointKind::kChat, c}; }
inline Endpoint GroupEndpoint(std::uint32_t g) { return {EndpointKind::kGroupChat, g}; }
inline constexpr Endpoint kAds{EndpointKind::kAds, 0};
inline Endpoint PartnerEndpoint(std::uint32_t p) { return {EndpointKind::kPartner, p}; }
inline constexpr Endpoint kAnalytics{EndpointKind::kAnalytics, 0};
inline constexpr Endpoint kLog{EndpointKind::kLog, 0};
inline Endpoint CustomerEndpoint(CustomerId c) { return {EndpointKind::kCustomer, c}; }
inline constexpr Endpoint kMessenger{EndpointKind::kMessenger, 0};

// The types of entries. The comment after each says which fields it sets; fields not
// named are zero / kNone / kNoSubject / kNoBank.
enum class EntryType : std::uint8_t {
  // Data moved between components. from, to; purpose = the purpose the move serves
  // (one Purpose bit); labelled = it carries bank data, and then the label: subject,
  // bank, consent, categories (a CategorySet), consent_purposes (the consent's
  // PurposeSet), derived (computed from bank data rather than copied);
  // ref = the datum's id (the request id of fetched data, the alert id of an alert).
  kFlow,
  // Consent life cycle at the bank. subject, bank, consent, scopes, consent_purposes,
  // value = expiry time (ns). kConsentRevoked: reason = Via (who revoked).
  kConsentCreated,     // AwaitingAuthorisation
  kConsentAuthorised,  // Authorised
  kConsentRejected,    // Rejected (final)
  kConsentRevoked,     // Revoked (final)
  kConsentExpired,     // Expired (final), at the expiry time
  // The customer asked to revoke a consent, wherever the request starts (published by
  // the customer's side, before anything acts on it). from = customer, to = where
  // they asked (connector: in the messenger, bank: in the bank's app); subject,
  // bank, consent, reason = Via. Via messenger: from this instant the platform knows,
  // and the bank learns through a DELETE (kConsentDeleteSent). Via bank: the bank
  // revokes at once (kConsentRevoked) and tells the platform by webhook.
  kRevokeRequested,
  // The platform asked the bank to delete (revoke) a consent. subject, bank, consent,
  // ref = request id. Not a data request.
  kConsentDeleteSent,
  // A data request left the platform. from = connector, to = bank; subject, bank,
  // consent, categories = the one category requested, ref = request id,
  // reason = RequestReason.
  kApiRequest,
  // The bank decided a data request (at the bank, when it handled it). subject, bank,
  // consent, categories, ref = request id, status (HTTP), aux = Retry-After (ns) for 429.
  kApiServed,
  // The platform received the answer (or gave up). Same fields as kApiServed;
  // status 0 = timed out / lost; value = round-trip latency (ns).
  kApiResponse,
  // The bank's audit record of a release. subject, bank, consent, categories,
  // ref = request id or alert id.
  kAudit,
  // The fraud engine flagged a card transaction. subject, bank, consent = the
  // customer's alert consent at this instant (0 if none), ref = alert id,
  // reason = 1 for a true fraud, 0 for a false positive, value = transaction time.
  kFraudDetected,
  // A webhook attempt left the bank. from = bank, to = connector; subject, bank,
  // consent, ref = webhook id (the alert id for alerts), reason = WebhookKind,
  // value = attempt number (1 = first).
  kWebhookSent,
  // The platform accepted a webhook. Same fields as kWebhookSent.
  kWebhookReceived,
  // A fraud alert could not be shown now and waits in the relay. subject, ref = alert id.
  kAlertQueued,
  // A fraud alert was shown in a chat. subject, to = the chat, ref = alert id,
  // value = detection time (ns).
  kAlertDisplayed,
  // An outage window. to = the target (bank or messenger), reason = OutageMode.
  kOutageStart,
  kOutageEnd,
  // The cache stored / dropped an item. subject, bank, consent, categories,
  // ref = item key, value = put time (ns; on purge, the item's put time),
  // reason (purge) = PurgeReason.
  kCachePut,
  kCachePurge,
  // A customer asked for a balance. from = customer, to = the chat where asked,
  // subject, ref = check id.
  kBalanceCheck,
  // The platform replied to a balance check. subject, to = the chat replied in,
  // ref = check id, reason = ReplyKind.
  kBalanceReply,
  // A customer's card was compromised. subject, bank.
  kCardCompromised,
  // The drain phase began (customers stop acting, faults end).
  kDrainStart,
  // The bank did not send a webhook attempt: the consent a fraud alert was raised
  // under is no longer live at this instant (revoked, expired) or no longer names
  // fraud_alerts, so the alert is not released and its delivery stops. Same fields as
  // kWebhookSent; value = the attempt it would have been.
  kWebhookWithheld,
  // A process crashed (docs/world.md, "Crashes and restarts"): to = the platform's
  // connector, a bank, or the messenger; bank (for a bank); value = when it restarts
  // (ns). Its working memory is gone; what it persisted is back at kRestart.
  kCrash,
  // The process is back. Same fields as kCrash, value = when it crashed (ns).
  kRestart,
  kEntryTypeCount
};

enum class RequestReason : std::uint8_t { kPoll, kOnDemand, kRetry };
// Why the bank refused a request: the `reason` of kApiServed / kApiResponse.
// kConsentInactive (403): the consent is not Authorised, is revoked, rejected or
// expired: this tells the platform the consent is over. kScope (403): the consent
// does not cover the category. kWrongSubject (403): the token's consent belongs to
// another customer than the resource asked for.
enum class DenyReason : std::uint8_t {
  kNone, kConsentInactive, kScope, kWrongSubject, kNoToken, kRateLimited, kOutage, kError,
  kTimeout,
  kReset,  // status 0: the bank crashed while the request was in flight
};
// kItemUpdate: live mode's Plaid Item notices (new transactions, a consent about to
// expire or expired), which carry no customer data.
enum class WebhookKind : std::uint8_t { kFraudAlert, kConsentRevoked, kItemUpdate };
// kCrash: the platform crashed and its cache (working memory) is gone.
enum class PurgeReason : std::uint8_t { kTtl, kRevocation, kExpiry, kReplaced, kCrash };
enum class ReplyKind : std::uint8_t { kAnswered, kNotLinked, kUnavailable, kRedirectedToPrivate };

struct TraceEntry {
  SimTime time = 0;
  EntryType type = EntryType::kFlow;
  bool labelled = false;
  bool derived = false;
  CategorySet categories = 0;
  PurposeSet purpose = 0;
  PurposeSet consent_purposes = 0;
  ScopeSet scopes = 0;
  std::uint8_t reason = 0;
  std::uint16_t status = 0;
  BankIndex bank = kNoBank;
  CustomerId subject = kNoSubject;
  Endpoint from;
  Endpoint to;
  ConsentId consent = 0;
  std::uint64_t ref = 0;
  std::int64_t value = 0;
  std::int64_t aux = 0;
};

inline constexpr std::uint64_t TypeBit(EntryType t) { return 1ULL << unsigned(t); }

using WorldTraceBus = TraceBus<TraceEntry>;
using WorldTraceSubscriber = TraceSubscriber<TraceEntry>;

// Names of entry types, categories, purposes, scopes, endpoints, as they appear in
// trace.jsonl, rules and reports.
std::string_view EntryTypeName(EntryType t);
bool EntryTypeFromName(std::string_view name, EntryType* out);
std::string_view CategoryName(Category c);
bool CategoryFromName(std::string_view name, Category* out);
std::string_view ScopeName(Scope s);
bool ScopeFromName(std::string_view name, Scope* out);
std::string_view PurposeName(Purpose p);
bool PurposeFromName(std::string_view name, Purpose* out);
std::string_view OutageModeName(OutageMode m);
std::string_view ViaName(Via v);

// Resolves ids to the names a user wrote: bank ids and partner names.
struct TraceNames {
  std::vector<std::string> banks;
  std::vector<std::string> partners;

  std::string Endpoint(const mocks::Endpoint& e) const;
  std::string Bank(BankIndex b) const;
};

// One JSON object (no newline) for an entry: {"t":...,"type":...,...}; only the
// fields the type uses. Deterministic: same entry, same bytes.
void FormatEntryJson(const TraceNames& names, const TraceEntry& e, std::string& out);

// The name of an entry's `reason` for its type ("" if the type has none), as in
// trace.jsonl and rule patterns.
std::string_view EntryReasonName(const TraceEntry& e);

// A one-line human description, for evidence chains in reports:
// "2d 3h 0.12s consent.revoked consent 42 of customer 7 at bank:northbank (via bank)".
std::string DescribeEntry(const TraceNames& names, const TraceEntry& e);
// A simulated instant for people: DescribeDuration(t), the one human time format.
std::string FormatInstant(SimTime t);

}  // namespace bpsim::mocks
