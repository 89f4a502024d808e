#pragma once
// What live mode's banks have served, for recognising it later in a messenger sink
// (docs/platform-contract.md, "Canaries"): every datum a bank released (each with
// its provenance: subject, bank, consent, category, the instant served), as the bank
// minted it (mocks::ReleaseObserver); the amounts served, with the datum each was
// last served in (ambiguous when served for several subjects); the fraud alerts sent
// to the platform as webhooks; and the balance questions asked. A canary found in a
// sink body brings back the datum it was served in, so a black box's flows are
// labelled from the same provenance as the simulated platform's.
//
// Not thread-safe: REQUIRES the world's mutex held (live/serve.h).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mocks/bank/bank.h"
#include "mocks/provenance.h"
#include "mocks/trace.h"

namespace bpsim::harness::live {

class ServedRegistry final : public mocks::ReleaseObserver {
 public:
  struct AmountOwner {
    mocks::CustomerId customer = mocks::kNoSubject;
    mocks::CategorySet categories = 0;
    bool ambiguous = false;  // served for more than one subject
    mocks::BankDatum datum;  // the datum it was last served in
  };
  struct Alert {
    mocks::CustomerId customer = mocks::kNoSubject;
    mocks::BankIndex bank = mocks::kNoBank;
    mocks::ConsentId consent = 0;
    SimTime detected_at = 0;
    mocks::BankDatum datum;  // the bank's release of the alert
  };
  struct Check {
    mocks::CustomerId customer = mocks::kNoSubject;
    mocks::Endpoint asked_in;
    bool replied = false;
  };

  // A bank released `datum` to the platform (an HTTP data answer or a fraud alert).
  void OnRelease(const mocks::BankDatum& datum) override;
  // A bank answered a data request for `c` with 200. The datum itself came through
  // OnRelease; kept for the HTTP banks, which report each answer.
  void NoteServed(mocks::CustomerId, mocks::BankIndex, mocks::ConsentId) {}
  // An amount ("1234.56", unsigned as FormatAmount prints it) was served for `c` in
  // the datum of `category` just released for them.
  void NoteAmount(const std::string& amount, mocks::CustomerId c, mocks::Category category);
  // An amount was served inside `datum` (a fraud alert's transaction).
  void NoteAmount(const std::string& amount, const mocks::BankDatum& datum);

  void NoteAlert(std::uint64_t alert_id, const Alert& alert) { alerts_[alert_id] = alert; }
  // A balance question sent to the platform.
  void NoteCheck(std::uint64_t check, mocks::CustomerId c, mocks::Endpoint asked_in) {
    checks_[check] = Check{c, asked_in, false};
  }
  Check* FindCheck(std::uint64_t check) {
    auto it = checks_.find(check);
    return it == checks_.end() ? nullptr : &it->second;
  }

  // The last datum of `category` released for `c`; invalid if none.
  mocks::BankDatum Last(mocks::CustomerId c, mocks::Category category) const;
  // The last datum released for `c` other than an alert; invalid if none.
  mocks::BankDatum LastData(mocks::CustomerId c) const;
  const AmountOwner* Amount(std::string_view amount) const {
    auto it = amounts_.find(std::string(amount));
    return it == amounts_.end() ? nullptr : &it->second;
  }
  const Alert* FindAlert(std::uint64_t alert_id) const {
    auto it = alerts_.find(alert_id);
    return it == alerts_.end() ? nullptr : &it->second;
  }

 private:
  struct Subject {
    std::array<mocks::BankDatum, mocks::kCategoryCount> by_category;
    mocks::BankDatum last_data;
  };
  std::unordered_map<mocks::CustomerId, Subject> subjects_;
  std::unordered_map<std::string, AmountOwner> amounts_;
  std::unordered_map<std::uint64_t, Alert> alerts_;
  std::unordered_map<std::uint64_t, Check> checks_;
};

}  // namespace bpsim::harness::live
