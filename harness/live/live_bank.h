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
// and the OAuth 2.0 token endpoint of docs/platform-contract.md, on the listener
// root: POST /token (grant_type=authorization_code&code=CODE) exchanges a one-time
// authorization code (IssueCode, when the simulated customer authorised) for the
// consent's access token.
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
#include "harness/live/served.h"
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

// What an external platform's bridge (platform_bridge.h) learns from the banks.
class ConsentHooks {
 public:
  virtual ~ConsentHooks() = default;
  // The purposes the customer agreed to in the messenger for a consent being created
  // for them at `bank` over HTTP (kPurposeDisplay when none is known).
  virtual mocks::PurposeSet PurposesFor(mocks::CustomerId c, mocks::BankIndex bank) = 0;
  // A consent was created for `c` at `bank` over HTTP.
  virtual void OnConsentCreated(mocks::CustomerId c, mocks::BankIndex bank,
                                mocks::ConsentId consent) = 0;
};

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

  // The /__bpsim/ test endpoints and POST /token; nullopt if the path is not one
  // of them.
  std::optional<HttpResponse> HandleTestEndpoint(const HttpRequest& request, std::string* route);

  // Optional collaborators (live mode with --platform); both may be null.
  void set_hooks(ConsentHooks* hooks) { hooks_ = hooks; }
  void set_served(ServedRegistry* served) { served_ = served; }
  // Records an amount a dialect put in a response body for `c` (a canary).
  void NoteAmount(std::int64_t cents, mocks::CustomerId c, mocks::Category category);

  // A one-time authorization code for an Authorised consent of this bank
  // ("ac-N-<16 hex>"), exchangeable at POST /token until `lifetime` of simulated
  // time has passed.
  std::string IssueCode(mocks::ConsentId id, SimTime lifetime);
  // "consent-N.<16 hex>" for an Authorised consent's token secret.
  static std::string AccessToken(mocks::ConsentId id, std::uint64_t secret);

 private:
  HttpResponse ListCustomers(const HttpRequest& request, const Target& target) const;
  HttpResponse Token(const HttpRequest& request);

  struct Code {
    mocks::ConsentId consent = 0;
    SimTime expires_at = 0;
  };

  mocks::World* world_;
  mocks::BankIndex index_;
  double time_scale_;
  std::set<mocks::ConsentId> http_consents_;
  std::set<mocks::ConsentId> terminated_;
  std::map<mocks::ConsentId, std::string> requests_;
  Rng errors_;
  std::uint64_t next_request_ = 0;
  ConsentHooks* hooks_ = nullptr;
  ServedRegistry* served_ = nullptr;
  std::map<std::string, Code> codes_;  // unused codes
  std::uint64_t next_code_ = 0;
};

// A response with the request's version and keep-alive and, if non-empty, a JSON
// body; x-bpsim-sim-time carries the simulated instant it was decided at.
HttpResponse Respond(const HttpRequest& request, unsigned status, std::string body, SimTime now);

// The request id space of live requests: high bit set, so they never collide with
// the simulated platform's request ids in the trace.
inline constexpr std::uint64_t kLiveRequestIdBase = 1ULL << 62;

}  // namespace bpsim::harness::live
