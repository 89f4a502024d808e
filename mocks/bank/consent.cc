#include "mocks/bank/consent.h"

#include <cassert>

namespace bpsim::mocks {

const char* ConsentStatusName(ConsentStatus s) {
  switch (s) {
    case ConsentStatus::kAwaitingAuthorisation: return "AwaitingAuthorisation";
    case ConsentStatus::kAuthorised: return "Authorised";
    case ConsentStatus::kRejected: return "Rejected";
    case ConsentStatus::kRevoked: return "Revoked";
    case ConsentStatus::kExpired: return "Expired";
  }
  return "?";
}

namespace {

// The life cycle's edges (consent.h): AwaitingAuthorisation -> Authorised | Rejected,
// Authorised -> Revoked | Expired. Final states never change.
[[maybe_unused]] bool IsEdge(ConsentStatus from, ConsentStatus to) {
  switch (from) {
    case ConsentStatus::kAwaitingAuthorisation:
      return to == ConsentStatus::kAuthorised || to == ConsentStatus::kRejected;
    case ConsentStatus::kAuthorised:
      return to == ConsentStatus::kRevoked || to == ConsentStatus::kExpired;
    default:
      return false;
  }
}

// Every status change goes through here, so a new transition that skips the
// checks of the functions below fails at once in a build with assertions.
void MoveTo(Consent& c, ConsentStatus to) {
  assert(IsEdge(c.status, to) && "a consent only moves along its life cycle's edges");
  c.status = to;
}

}  // namespace

ConsentId ConsentStore::Create(CustomerId customer, BankIndex bank, ScopeSet scopes,
                               PurposeSet purposes, SimTime validity) {
  Consent c;
  c.customer = customer;
  c.bank = bank;
  c.scopes = scopes;
  c.purposes = purposes;
  c.created_at = env_->Now();
  c.expires_at = c.created_at + validity;
  consents_.push_back(c);
  ConsentId id = consents_.size() - 1;
  if (customer >= latest_.size()) latest_.resize(std::size_t(customer) + 1, 0);
  latest_[customer] = id;
  Publish(EntryType::kConsentCreated, id);
  return id;
}

bool ConsentStore::Authorise(ConsentId id, std::uint64_t token_secret) {
  Consent& c = consents_[id];
  if (c.status != ConsentStatus::kAwaitingAuthorisation) return false;
  if (env_->Now() >= c.expires_at) return false;
  MoveTo(c, ConsentStatus::kAuthorised);
  c.token_secret = token_secret;
  Publish(EntryType::kConsentAuthorised, id);
  return true;
}

bool ConsentStore::Reject(ConsentId id) {
  Consent& c = consents_[id];
  if (c.status != ConsentStatus::kAwaitingAuthorisation) return false;
  MoveTo(c, ConsentStatus::kRejected);
  Publish(EntryType::kConsentRejected, id);
  return true;
}

bool ConsentStore::Revoke(ConsentId id, Via via) {
  Consent& c = consents_[id];
  if (c.status != ConsentStatus::kAuthorised) return false;
  MoveTo(c, ConsentStatus::kRevoked);
  Publish(EntryType::kConsentRevoked, id, static_cast<std::uint8_t>(via));
  return true;
}

bool ConsentStore::Expire(ConsentId id) {
  Consent& c = consents_[id];
  if (c.status != ConsentStatus::kAuthorised || env_->Now() < c.expires_at) return false;
  MoveTo(c, ConsentStatus::kExpired);
  Publish(EntryType::kConsentExpired, id);
  return true;
}

bool ConsentStore::RecordAccess(ConsentId id, std::uint32_t per_day_limit) {
  Consent& c = consents_[id];
  auto day = static_cast<std::uint32_t>(env_->Now() / kDay);
  if (c.day != day) {
    c.day = day;
    c.accesses_today = 0;
  }
  if (c.accesses_today >= per_day_limit) return false;
  ++c.accesses_today;
  return true;
}

void ConsentStore::Publish(EntryType type, ConsentId id, std::uint8_t reason) {
  const Consent& c = consents_[id];
  TraceEntry e;
  e.type = type;
  e.subject = c.customer;
  e.bank = c.bank;
  e.consent = id;
  e.scopes = c.scopes;
  e.consent_purposes = c.purposes;
  e.value = c.expires_at;
  e.reason = reason;
  e.from = BankEndpoint(c.bank);
  env_->Emit(e);
}

}  // namespace bpsim::mocks
