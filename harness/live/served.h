#pragma once
// What live mode's banks have served over HTTP, for recognising it later in a
// messenger sink (docs/platform-contract.md, "Canaries"): per subject, the bank and
// consent under which their data was last served; the amounts served, with the
// subject they were served for (ambiguous when served for several); and the fraud
// alerts sent to the platform as webhooks.
//
// Not thread-safe: REQUIRES the world's mutex held (live/serve.h).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mocks/trace.h"

namespace bpsim::harness::live {

class ServedRegistry {
 public:
  struct Served {
    mocks::BankIndex bank = mocks::kNoBank;
    mocks::ConsentId consent = 0;
  };
  struct AmountOwner {
    mocks::CustomerId customer = mocks::kNoSubject;
    mocks::CategorySet categories = 0;
    bool ambiguous = false;  // served for more than one subject
  };
  struct Alert {
    mocks::CustomerId customer = mocks::kNoSubject;
    mocks::BankIndex bank = mocks::kNoBank;
    mocks::ConsentId consent = 0;
    SimTime detected_at = 0;
  };

  // A bank released `c`'s data under `consent` over HTTP.
  void NoteServed(mocks::CustomerId c, mocks::BankIndex bank, mocks::ConsentId consent) {
    last_[c] = Served{bank, consent};
  }
  // An amount ("1234.56", unsigned as FormatAmount prints it) was served for `c`.
  void NoteAmount(const std::string& amount, mocks::CustomerId c, mocks::Category category) {
    AmountOwner& o = amounts_[amount];
    if (o.customer == mocks::kNoSubject) o.customer = c;
    if (o.customer != c) o.ambiguous = true;
    o.categories |= mocks::CategoryBit(category);
  }
  struct Check {
    mocks::CustomerId customer = mocks::kNoSubject;
    mocks::Endpoint asked_in;
    bool replied = false;
  };

  void NoteAlert(std::uint64_t alert_id, const Alert& alert) { alerts_[alert_id] = alert; }
  // A balance question sent to the platform.
  void NoteCheck(std::uint64_t check, mocks::CustomerId c, mocks::Endpoint asked_in) {
    checks_[check] = Check{c, asked_in, false};
  }
  Check* FindCheck(std::uint64_t check) {
    auto it = checks_.find(check);
    return it == checks_.end() ? nullptr : &it->second;
  }

  const Served* LastServed(mocks::CustomerId c) const {
    auto it = last_.find(c);
    return it == last_.end() ? nullptr : &it->second;
  }
  const AmountOwner* Amount(std::string_view amount) const {
    auto it = amounts_.find(std::string(amount));
    return it == amounts_.end() ? nullptr : &it->second;
  }
  const Alert* FindAlert(std::uint64_t alert_id) const {
    auto it = alerts_.find(alert_id);
    return it == alerts_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<mocks::CustomerId, Served> last_;
  std::unordered_map<std::string, AmountOwner> amounts_;
  std::unordered_map<std::uint64_t, Alert> alerts_;
  std::unordered_map<std::uint64_t, Check> checks_;
};

}  // namespace bpsim::harness::live
