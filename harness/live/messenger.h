#pragma once
// Live mode's messenger sinks (docs/platform-contract.md, "What bpsim serves the
// platform"): the endpoints an external platform posts chat messages, group
// messages, ads audiences, partner exports and analytics events to. Every body is
// scanned for canaries (account ids, IBANs, masked PANs, transaction ids, alert ids, amounts served over
// HTTP); each subject found is one labelled `flow` from platform.connector to the
// sink, so the invariants judge a black-box platform by what reaches its sinks. A
// chat message naming an alert of its chat's owner is that alert's display
// (alert.displayed); one naming a balance question is its reply (balance.reply).
//
//   POST /v1/chats/{customer}/messages   chat:N        display (fraud_alerts for an alert)
//   POST /v1/groups/{group}/messages     chat:group:G  display
//   POST /v1/ads/audiences               ads           ads
//   POST /v1/partners/{name}/exports     partner:NAME  sharing (NAME in platform.partners,
//                                                      404 otherwise)
//   POST /v1/analytics/events            analytics     analytics
//
// 202 {"accepted": true}; 400 for a body that is not JSON; 503 with Retry-After on
// the chat routes during a messenger outage. Not thread-safe: REQUIRES the world's
// mutex held for Handle.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/live/http_server.h"
#include "harness/live/served.h"
#include "mocks/world.h"

namespace bpsim::harness::live {

// The canaries found in a text, by subject (sorted, so flows come out in a
// deterministic order).
struct CanaryHit {
  mocks::BankIndex bank = mocks::kNoBank;  // the bank the canary names, if it does
  mocks::CategorySet categories = 0;       // the kinds of canary found
  std::vector<std::uint64_t> alerts;  // alert ids found for this subject
  // The data the canaries were served in (ServedRegistry): a body that names one of
  // the subject's alerts carries that alert (its transaction, card account, amount);
  // otherwise each amount brings the datum it was last served in, an account id the
  // subject's last data, a transaction id their last transactions. Empty when none
  // of it was ever served: a canary the bank never served is not bank data.
  mocks::Payload payload;
};
std::map<mocks::CustomerId, CanaryHit> ScanCanaries(std::string_view text, mocks::World& world,
                                                    const ServedRegistry& served);

class MessengerSinks {
 public:
  // `world` and `served` must outlive this.
  MessengerSinks(mocks::World* world, ServedRegistry* served, double time_scale);

  HttpResponse Handle(const HttpRequest& request, std::string* route);

 private:
  mocks::World* world_;
  ServedRegistry* served_;
  double time_scale_;
  Rng errors_;
};

}  // namespace bpsim::harness::live
