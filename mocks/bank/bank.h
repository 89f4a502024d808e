#pragma once
// A mock bank (docs/world.md): the data API as a pure handler from request to response
// (shared by the simulated transport and live mode's HTTP sessions), with the
// consent registry, a per-client rate limiter, outage state and the audit log.
// Handle() publishes what the bank observably does: the decision (api.served), and
// for a release the audit record followed by the labelled flow.
//
// Not thread-safe: live mode serialises calls into one bank.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mocks/bank/consent.h"
#include "mocks/bank/ledger.h"
#include "mocks/env.h"
#include "mocks/provenance.h"

namespace bpsim::mocks {

struct ApiRequest {
  // The bearer token: the consent it was issued for and its secret; 0 = no token.
  ConsentId token_consent = 0;
  std::uint64_t token_secret = 0;
  CustomerId subject = kNoSubject;  // owner of the resource the path names
  Category category = Category::kBalance;
  std::uint64_t request_id = 0;
  SimTime window_from = 0, window_to = 0;  // transactions: [from, to)
  // The scopes the consent grants on the addressed account: all, unless the consent
  // names accounts (live mode's Berlin Group consents) and leaves this one out of a
  // service; a scope missing here is refused as one the consent lacks (kScope).
  ScopeSet account_scopes = static_cast<ScopeSet>(~ScopeSet(0));
};

struct ApiResponse {
  std::uint16_t status = 0;
  DenyReason reason = DenyReason::kNone;
  SimTime retry_after = 0;    // 429 and 503
  ConsentId consent = 0;      // the consent the data was released under
  Balances balances;          // category balance
  std::vector<CardTransaction> transactions;  // category transactions
  std::uint32_t accounts = 0;  // category accounts: how many accounts
  BankDatum datum;             // status 200: what was released, with its provenance
};

// Told of every datum a bank releases (live mode's record of what was served, for
// recognising it later in a messenger sink: harness/live/served.h).
class ReleaseObserver {
 public:
  virtual ~ReleaseObserver() = default;
  virtual void OnRelease(const BankDatum& datum) = 0;
};

class Bank {
 public:
  Bank(const Env* env, BankIndex index, const BankConfig& config, ConsentStore* consents,
       const LedgerView* ledger);

  // Decides a data request at Now() into `response` (reusing its storage). `rng`
  // draws the injected errors (error_rate, outage mode errors).
  void Handle(const ApiRequest& request, Rng& rng, ApiResponse* response);
  // A hint that Handle(request, ...) comes at `at` (Simulator::SetPrefetch), with
  // `others` more requests on their way to this bank: the consent its token names and
  // the subject's ledger, unless the rate limit will likely refuse it (a 429 reads
  // neither). Changes nothing.
  void PrefetchHandle(const ApiRequest& request, SimTime at, std::uint32_t others) const {
    if (LikelyThrottled(at, others)) return;
    consents_->Prefetch(request.token_consent);
    ledger_->Prefetch(request.subject);
  }
  // True when the rate limit's bucket will hold less than one token at `at` (>= Now())
  // once `others` requests have each taken one: then a request arriving at `at` is
  // refused with 429, unless some of the others arrive after it (or the bank restarts,
  // filling the bucket). At ten million customers the default limit refuses 72 % of
  // requests (issue 16), and fetching their customers' lines for the bank took a
  // twelfth of the simulation thread's samples.
  bool LikelyThrottled(SimTime at, std::uint32_t others) const {
    const double rate = config_.api.rate_limit_per_s;
    if (rate <= 0) return false;
    return std::min(rate, tokens_ + rate * ToSeconds(at - tokens_at_)) - others < 1;
  }

  // Outages (docs/world.md, network/): the bank's API answers according to the mode
  // until ClearOutage with the same id.
  void SetOutage(OutageMode mode, double error_rate, std::uint32_t outage_id);
  void ClearOutage(std::uint32_t outage_id);
  bool HasOutage() const { return outage_id_ != 0; }
  OutageMode outage_mode() const { return outage_mode_; }
  // The bank's process restarted after a crash (docs/world.md): its working memory,
  // the rate limiter's bucket, starts afresh; its consents and audit log are durable.
  void Restart();
  // During the drain, injected faults end.
  void EndFaults() { faults_enabled_ = false; }

  // Whether the bank may send a fraud alert under `consent` now: the consent exists,
  // is this bank's, is Authorised, unexpired and names fraud_alerts. Checked when the
  // fraud engine raises an alert and again at every send attempt of its webhook.
  bool MaySendAlert(ConsentId consent) const;

  // Mints the released datum (its provenance: subject, this bank, consent and its
  // purposes, category, now), writes the audit record (unless the bank.skips_audit
  // defect is on) and publishes the release flow. Used for data answers and for
  // fraud alerts.
  BankDatum Release(CustomerId subject, ConsentId consent, Category category,
                    PurposeSet purpose, std::uint64_t ref);
  void set_release_observer(ReleaseObserver* observer) { observer_ = observer; }

  BankIndex index() const { return index_; }
  // The bank's own clock (BankConfig::clock): it judges consents by it.
  const LocalClock& clock() const { return clock_; }
  const BankConfig& config() const { return config_; }
  std::uint64_t audit_records() const { return audit_records_; }
  std::uint64_t requests_handled() const { return requests_handled_; }

 private:
  void Deny(const ApiRequest& r, std::uint16_t status, DenyReason reason, ConsentId consent,
            ApiResponse* response, SimTime retry_after = 0);
  bool TakeRateToken();
  void PublishServed(const ApiRequest& r, const ApiResponse& response, ConsentId consent);

  const Env* env_;
  BankIndex index_;
  BankConfig config_;
  LocalClock clock_;
  ConsentStore* consents_;
  const LedgerView* ledger_;
  // Token bucket for the one client (the platform): capacity = one second of rate.
  double tokens_ = 0;
  SimTime tokens_at_ = 0;
  OutageMode outage_mode_ = OutageMode::kUnavailable;
  double outage_error_rate_ = 0;
  std::uint32_t outage_id_ = 0;
  bool faults_enabled_ = true;
  std::uint64_t audit_records_ = 0;
  std::uint64_t requests_handled_ = 0;
  ReleaseObserver* observer_ = nullptr;
};

}  // namespace bpsim::mocks
