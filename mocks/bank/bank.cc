#include "mocks/bank/bank.h"

#include <algorithm>
#include <cmath>

namespace bpsim::mocks {

Bank::Bank(const Env* env, BankIndex index, const BankConfig& config, ConsentStore* consents,
           const LedgerView* ledger)
    : env_(env), index_(index), config_(config), consents_(consents), ledger_(ledger) {
  tokens_ = config_.api.rate_limit_per_s;
}

void Bank::SetOutage(OutageMode mode, double error_rate, std::uint32_t outage_id) {
  outage_mode_ = mode;
  outage_error_rate_ = error_rate;
  outage_id_ = outage_id;
}

void Bank::ClearOutage(std::uint32_t outage_id) {
  if (outage_id_ == outage_id) outage_id_ = 0;
}

bool Bank::TakeRateToken() {
  double rate = config_.api.rate_limit_per_s;
  if (rate <= 0) return true;
  SimTime now = env_->Now();
  tokens_ = std::min(rate, tokens_ + rate * ToSeconds(now - tokens_at_));
  tokens_at_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void Bank::Deny(const ApiRequest& r, std::uint16_t status, DenyReason reason, ConsentId consent,
                ApiResponse* response, SimTime retry_after) {
  response->status = status;
  response->reason = reason;
  response->retry_after = retry_after;
  PublishServed(r, *response, consent);
}

void Bank::PublishServed(const ApiRequest& r, const ApiResponse& response, ConsentId consent) {
  TraceEntry e;
  e.type = EntryType::kApiServed;
  e.from = BankEndpoint(index_);
  e.to = kConnector;
  e.subject = r.subject;
  e.bank = index_;
  e.consent = consent;
  e.categories = CategoryBit(r.category);
  e.ref = r.request_id;
  e.status = response.status;
  e.reason = static_cast<std::uint8_t>(response.reason);
  e.aux = response.retry_after;
  env_->Emit(e);
}

bool Bank::MaySendAlert(ConsentId consent) const {
  if (!consents_->Exists(consent)) return false;
  const Consent& k = consents_->Get(consent);
  return k.bank == index_ && k.UsableAt(env_->Now()) && (k.purposes & kPurposeFraudAlerts) != 0;
}

BankDatum Bank::Release(CustomerId subject, ConsentId consent, Category category,
                        PurposeSet purpose, std::uint64_t ref) {
  PurposeSet consent_purposes = consents_->Exists(consent) ? consents_->Get(consent).purposes : 0;
  const BankDatum datum(env_->Now(), consent, subject, index_, category, consent_purposes);
  if (!env_->defects.has(Defect::kBankSkipsAudit)) {
    ++audit_records_;
    TraceEntry audit;
    audit.type = EntryType::kAudit;
    audit.from = BankEndpoint(index_);
    audit.subject = subject;
    audit.bank = index_;
    audit.consent = consent;
    audit.categories = CategoryBit(category);
    audit.ref = ref;
    env_->Emit(audit);
  }
  EmitFlows(*env_, BankEndpoint(index_), kConnector, purpose, Payload().Copy(datum), ref);
  if (observer_ != nullptr) observer_->OnRelease(datum);
  return datum;
}

void Bank::Handle(const ApiRequest& r, Rng& rng, ApiResponse* response) {
  ++requests_handled_;
  *response = ApiResponse{std::uint16_t(0), DenyReason::kNone, 0, 0, Balances{},
                          std::move(response->transactions), 0, BankDatum()};
  response->transactions.clear();
  ConsentId token_consent = r.token_consent;
  if (outage_id_ != 0 && faults_enabled_) {
    if (outage_mode_ == OutageMode::kUnavailable) {
      return Deny(r, 503, DenyReason::kOutage, token_consent, response, 30 * kSecond);
    }
    if (outage_mode_ == OutageMode::kErrors && rng.Bernoulli(outage_error_rate_)) {
      return Deny(r, 503, DenyReason::kOutage, token_consent, response, 5 * kSecond);
    }
  }
  if (faults_enabled_ && config_.api.error_rate > 0 && rng.Bernoulli(config_.api.error_rate)) {
    return Deny(r, 500, DenyReason::kError, token_consent, response);
  }
  if (!TakeRateToken()) {
    // Retry-After: the time until the bucket holds a token again, rounded up to a
    // whole second as HTTP's delta-seconds requires.
    double wait_s = (1 - tokens_) / config_.api.rate_limit_per_s;
    SimTime retry_after = static_cast<SimTime>(std::ceil(std::max(wait_s, 1e-9))) * kSecond;
    return Deny(r, 429, DenyReason::kRateLimited, token_consent, response, retry_after);
  }
  // A token is valid when it names an existing consent of this bank with the
  // secret issued for it.
  if (!consents_->Exists(token_consent) || consents_->Get(token_consent).bank != index_ ||
      consents_->Get(token_consent).token_secret == 0 ||
      consents_->Get(token_consent).token_secret != r.token_secret) {
    return Deny(r, 401, DenyReason::kNoToken, 0, response);
  }
  const Consent& consent = consents_->Get(token_consent);
  SimTime now = env_->Now();
  if (!env_->defects.has(Defect::kBankSkipsConsentCheck)) {
    if (!consent.UsableAt(now)) return Deny(r, 403, DenyReason::kConsentInactive, token_consent, response);
    if (consent.customer != r.subject) {
      return Deny(r, 403, DenyReason::kWrongSubject, token_consent, response);
    }
    if ((consent.scopes & r.account_scopes & ScopeFor(r.category)) == 0) {
      return Deny(r, 403, DenyReason::kScope, token_consent, response);
    }
  }
  if (config_.api.frequency_per_day > 0 &&
      !consents_->RecordAccess(token_consent, config_.api.frequency_per_day)) {
    return Deny(r, 429, DenyReason::kRateLimited, token_consent, response, (now / kDay + 1) * kDay - now);
  }

  response->status = 200;
  response->consent = token_consent;
  switch (r.category) {
    case Category::kBalance: response->balances = ledger_->BalanceAt(r.subject, now); break;
    case Category::kTransactions:
      ledger_->TransactionsIn(r.subject, r.window_from, std::min(r.window_to, now + 1),
                              &response->transactions);
      break;
    case Category::kAccounts:
    case Category::kIdentity: response->accounts = 2; break;
    case Category::kAlert: break;
  }
  PublishServed(r, *response, token_consent);
  response->datum = Release(r.subject, token_consent, r.category, kPurposeDisplay, r.request_id);
}

}  // namespace bpsim::mocks
