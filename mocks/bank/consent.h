#pragma once
// The consent registry (docs/world.md): the UK Open Banking life cycle
//   AwaitingAuthorisation -> Authorised -> Revoked | Expired, or -> Rejected.
// Final states never change. Consents of every bank live in one store so that ids
// are unique across a run (sequential from 1); only the owning bank's logic moves
// a consent. Every transition is published as a trace entry.

#include <cstdint>
#include <vector>

#include "mocks/clock.h"
#include "mocks/env.h"
#include "sim/huge_pages.h"
#include "sim/prefetch.h"

namespace bpsim::mocks {

enum class ConsentStatus : std::uint8_t {
  kAwaitingAuthorisation, kAuthorised, kRejected, kRevoked, kExpired
};
const char* ConsentStatusName(ConsentStatus s);

// One cache line each: a request reads the bank, the token, the status and the
// expiry of a consent picked at random among millions, and at 48 bytes half the
// records straddled two lines, of which the arrival's prefetch (Prefetch below)
// asked for one (issue 16).
struct alignas(64) Consent {
  CustomerId customer = kNoSubject;
  BankIndex bank = kNoBank;
  ScopeSet scopes = 0;
  PurposeSet purposes = 0;
  ConsentStatus status = ConsentStatus::kAwaitingAuthorisation;
  SimTime created_at = 0;
  SimTime expires_at = 0;        // set at creation from the requested validity
  std::uint64_t token_secret = 0;  // the access token is (id, secret); 0 = not issued
  std::uint32_t day = 0;           // frequency_per_day accounting: current day ...
  std::uint32_t accesses_today = 0;  // ... and accesses in it

  bool Final() const {
    return status == ConsentStatus::kRejected || status == ConsentStatus::kRevoked ||
           status == ConsentStatus::kExpired;
  }
  // Authorised and not past its expiry at `now`.
  bool UsableAt(SimTime now) const {
    return status == ConsentStatus::kAuthorised && now < expires_at;
  }
};

class ConsentStore {
 public:
  explicit ConsentStore(const Env* env) : env_(env) { consents_.emplace_back(); }

  // Each bank decides on its consents by its own clock (docs/world.md, "Clocks"):
  // creation and expiry stamps, whether a consent has expired, the day of an access.
  // Without clocks (or for a bank without one) the true time is used.
  void SetBankClocks(std::vector<const LocalClock*> clocks) { clocks_ = std::move(clocks); }
  SimTime BankNow(BankIndex b) const {
    return b < clocks_.size() ? clocks_[b]->Now() : env_->Now();
  }

  // Creates an AwaitingAuthorisation consent valid for `validity` from now.
  ConsentId Create(CustomerId customer, BankIndex bank, ScopeSet scopes, PurposeSet purposes,
                   SimTime validity);
  // Each returns false (and changes nothing) if the transition is not allowed from
  // the consent's current state.
  bool Authorise(ConsentId id, std::uint64_t token_secret);
  bool Reject(ConsentId id);
  bool Revoke(ConsentId id, Via via);
  // Moves an Authorised consent whose expiry has come to Expired.
  bool Expire(ConsentId id);
  // Counts one access in the current day for Berlin Group's frequencyPerDay; false
  // (nothing counted) if `per_day_limit` accesses were already made today.
  bool RecordAccess(ConsentId id, std::uint32_t per_day_limit);

  bool Exists(ConsentId id) const { return id > 0 && id < consents_.size(); }
  // A hint that consent `id` will be read soon. Always inlined: a hint should not
  // cost a call.
  [[gnu::always_inline]] void Prefetch(ConsentId id) const {
    if (Exists(id)) bpsim::Prefetch(&consents_[id]);
  }
  // The customer's most recent consent (0 if none): the one the bank consults for
  // fraud alerts.
  ConsentId Latest(CustomerId c) const { return c < latest_.size() ? latest_[c] : 0; }
  // REQUIRES: Exists(id).
  const Consent& Get(ConsentId id) const { return consents_[id]; }
  std::size_t size() const { return consents_.size() - 1; }

 private:
  void Publish(EntryType type, ConsentId id, std::uint8_t reason = 0);
  const Env* env_;
  std::vector<const LocalClock*> clocks_;
  HugeVector<Consent> consents_;  // index 0 unused: id 0 means "none"; on huge pages
  HugeVector<ConsentId> latest_;  // by customer
};

}  // namespace bpsim::mocks
