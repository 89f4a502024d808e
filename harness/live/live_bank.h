#pragma once
// One mock bank as seen over HTTP (DESIGN §8): the glue both dialects share between
// HTTP and the world's Bank::Handle and ConsentStore. It owns what only exists in
// live mode: which consents were created over HTTP (only those are visible to HTTP
// clients), which of them the TPP terminated, access tokens, live request ids, and
// the test-only authorisation endpoints that stand in for the customer (PSU):
//
//   POST /__bpsim/consents/{ConsentId}/authorise  -> 200 {"access_token": TOKEN,
//        "token_type": "Bearer", "consent_id": ID}  (the customer authorises)
//   POST /__bpsim/consents/{ConsentId}/reject     -> 200 {"consent_id": ID,
//        "status": ...}                             (the customer rejects)
//   GET  /__bpsim/customers[?limit=N]             -> 200 {"bank": ID, "customers":
//        [numbers]}  (the first N customers of this bank, default 100)
//
// Consent ids over HTTP are "consent-N" (N = the store's id). A token is
// "consent-N.<16 hex digits>", bound to that one consent; Bank::Handle checks it.
//
// Not thread-safe: REQUIRES the world's mutex held for every call (live/serve.h).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "harness/live/http_server.h"
#include "mocks/world.h"

namespace bpsim::harness::live {

// Splits "/a/b/c?x=1&y=2" into path segments and query parameters (percent-decoding
// is not needed: every value bpsim serves or reads is plain ASCII).
struct Target {
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<std::string> Query(std::string_view key) const;
};
Target ParseTarget(std::string_view target);

class LiveBank {
 public:
  // `time_scale`: simulated seconds per wall second, to turn Retry-After into wall
  // seconds. `world` must outlive this.
  LiveBank(mocks::World* world, mocks::BankIndex index, double time_scale);

  mocks::World& world() { return *world_; }
  mocks::BankIndex index() const { return index_; }
  const std::string& id() const;
  mocks::Dialect dialect() const;
  SimTime Now() const { return world_->env().Now(); }

  // A customer of this bank by the number a client sent (decimal); nullopt if not
  // a number, not a customer, or a customer of another bank.
  std::optional<mocks::CustomerId> Customer(std::string_view number) const;

  // Creates an AwaitingAuthorisation consent for `customer` visible over HTTP.
  mocks::ConsentId CreateConsent(mocks::CustomerId customer, mocks::ScopeSet scopes,
                                 SimTime validity);
  // "consent-N" -> N if it names a consent created over HTTP at this bank.
  std::optional<mocks::ConsentId> FindConsent(std::string_view text) const;
  static std::string ConsentText(mocks::ConsentId id);
  const mocks::Consent& consent(mocks::ConsentId id) const;
  // Authorised but its expiry has passed (the world's expiry event may not have run
  // yet), or Expired.
  bool Expired(mocks::ConsentId id) const;
  // The TPP ended the consent (DELETE): Authorised -> Revoked, AwaitingAuthorisation
  // -> Rejected. False if the consent is already final.
  bool Terminate(mocks::ConsentId id);
  bool TerminatedByTpp(mocks::ConsentId id) const { return terminated_.count(id) != 0; }
  // What the client asked for when creating the consent (a JSON text the dialect
  // echoes back: OBIE Permissions, Berlin Group access and frequencyPerDay).
  void SetConsentRequest(mocks::ConsentId id, std::string json) { requests_[id] = std::move(json); }
  const std::string& ConsentRequest(mocks::ConsentId id) const;

  // "Bearer consent-N.HEX" -> (N, secret); (0, 0) when absent or malformed, which
  // Bank::Handle answers 401.
  static std::pair<mocks::ConsentId, std::uint64_t> ParseBearer(std::string_view header);

  // Runs the data request through Bank::Handle with a fresh live request id.
  mocks::ApiResponse Fetch(mocks::ApiRequest request);
  // Retry-After in whole wall seconds (at least 1) for a simulated delay.
  std::int64_t RetryAfterSeconds(SimTime delay) const;

  // The /__bpsim/ test endpoints; nullopt if the path is not one of them.
  std::optional<HttpResponse> HandleTestEndpoint(const HttpRequest& request, std::string* route);

 private:
  HttpResponse ListCustomers(const HttpRequest& request, const Target& target) const;

  mocks::World* world_;
  mocks::BankIndex index_;
  double time_scale_;
  std::set<mocks::ConsentId> http_consents_;
  std::set<mocks::ConsentId> terminated_;
  std::map<mocks::ConsentId, std::string> requests_;
  Rng errors_;
  std::uint64_t next_request_ = 0;
};

// A response with the request's version and keep-alive and, if non-empty, a JSON
// body; x-bpsim-sim-time carries the simulated instant it was decided at.
HttpResponse Respond(const HttpRequest& request, unsigned status, std::string body, SimTime now);

// The request id space of live requests: high bit set, so they never collide with
// the simulated platform's request ids in the trace.
inline constexpr std::uint64_t kLiveRequestIdBase = 1ULL << 62;

}  // namespace bpsim::harness::live
