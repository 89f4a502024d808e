#pragma once
// One mock bank as seen over HTTP (docs/live-mode.md): the glue both dialects share between
// HTTP and the world's Bank::Handle and ConsentStore. It owns what only exists in
// live mode: which consents were created over HTTP (only those are visible to HTTP
// clients), which of them the TPP terminated, the accounts a consent names, access
// and client tokens, SCA authorisations, live request ids, the public base URL of
// links, and the endpoints that stand in for the customer (PSU) and the bank's
// authorisation server (docs/live-mode.md, "Consents and authorisation"):
//
// The standard flows, for unmodified TPP code (authorisation.cc):
//   POST /token grant_type=client_credentials       -> 200 a client token (OBIE: for
//        the consent endpoints)
//   GET  /authorize?response_type=code&redirect_uri=URI&state=S&request=JWT (OBIE:
//        the consent id in the request object's openbanking_intent_id claim, or
//        &openbanking_intent_id=ID) -> 302 to URI?code=CODE&state=S, the customer
//        having authorised (decision=reject: URI?error=access_denied&state=S)
//   GET  /__bpsim/sca/{authorisationId}[?decision=approve|reject|timeout] (Berlin
//        Group's scaRedirect page) -> 302 to the TPP-Redirect-URI (approved) or the
//        TPP-Nok-Redirect-URI (rejected), or an HTML page when none was given
//
// and the direct test endpoints, for scripts:
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

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "harness/live/http_server.h"
#include "harness/live/page_cache.h"
#include "harness/live/served.h"
#include "mocks/world.h"
#include "sim/status.h"

namespace bpsim::harness::live {

// Splits "/a/b/c?x=1&y=2" into path segments and query parameters, percent-decoded
// as ordinary clients encode them: %XX in segments and in query keys and values,
// and '+' as a space in the query (application/x-www-form-urlencoded, what
// URLSearchParams and urllib send). A malformed escape ("%G1", "%4") is kept as
// written. Parameters keep their order; a key may be repeated.
struct Target {
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;
  // The first value of `key`.
  std::optional<std::string> Query(std::string_view key) const;
  // How many times `key` occurs.
  std::size_t Count(std::string_view key) const;
};
Target ParseTarget(std::string_view target);
// Percent-decodes `text`; with `plus_is_space`, '+' is a space (query strings).
std::string PercentDecode(std::string_view text, bool plus_is_space);

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

// The SCA status of an authorisation (Berlin Group's scaStatus values bpsim uses).
enum class ScaStatus : std::uint8_t { kReceived, kFinalised, kFailed };
const char* ScaStatusName(ScaStatus s);

// One authorisation of a consent by its customer: a Berlin Group authorisation
// sub-resource, or an OBIE /authorize session.
struct Authorisation {
  std::string id;  // "auth-N"
  mocks::ConsentId consent = 0;
  ScaStatus status = ScaStatus::kReceived;
  std::string redirect_uri;      // where the page sends the customer back (may be empty)
  std::string nok_redirect_uri;  // ... after a rejection, if different
};

// The accounts a consent covers, per service: a bit per AccountKind of the
// consent's customer (bit 0 checking, bit 1 card). A consent naming no account
// covers all of its customer's (OBIE; Berlin Group global, bank-offered, allPsd2).
struct AccountGrants {
  static constexpr std::uint8_t kAll = 3;
  std::uint8_t accounts = kAll, balances = kAll, transactions = kAll;
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

  // The customer a consent is created for when the client names none: the bank's
  // customers in turn (customer number order), like a sandbox's test users.
  mocks::CustomerId AssignCustomer();

  // Creates an AwaitingAuthorisation consent for `customer` visible over HTTP, valid
  // for `validity` but at most the bank's api.max_consent_life.
  mocks::ConsentId CreateConsent(mocks::CustomerId customer, mocks::ScopeSet scopes,
                                 SimTime validity);
  void SetGrants(mocks::ConsentId id, const AccountGrants& grants) { grants_[id] = grants; }
  AccountGrants Grants(mocks::ConsentId id) const;
  // The scopes consent `id` grants on `c`'s account of kind bit `kind_bit`.
  mocks::ScopeSet ScopesOn(mocks::ConsentId id, std::uint8_t kind_bit) const;

  // The customer decides at the bank: authorise (a token secret is drawn) or reject.
  // False if the consent is not awaiting authorisation (or is past its expiry).
  bool Decide(mocks::ConsentId id, bool approve);

  // Where a Berlin Group consent's authorisations send the customer back
  // (TPP-Redirect-URI, TPP-Nok-Redirect-URI given at creation).
  void SetRedirects(mocks::ConsentId id, std::string ok, std::string nok) {
    redirects_[id] = {std::move(ok), std::move(nok)};
  }
  std::pair<std::string, std::string> Redirects(mocks::ConsentId id) const {
    auto it = redirects_.find(id);
    return it == redirects_.end() ? std::pair<std::string, std::string>() : it->second;
  }

  // Authorisations (SCA) of a consent.
  Authorisation& StartAuthorisation(mocks::ConsentId consent, std::string redirect_uri,
                                    std::string nok_redirect_uri);
  Authorisation* FindAuthorisation(std::string_view id);
  std::vector<std::string> AuthorisationsOf(mocks::ConsentId consent) const;

  // OAuth 2.0 client credentials ("cc-<16 hex>"): tokens this bank issued at
  // POST /token; `authorization` is the whole header ("Bearer cc-...").
  std::string IssueClientToken();
  bool ClientTokenValid(std::string_view authorization) const;

  // The absolute base of links and Location headers: the --public-url of this bank
  // if set, else http:// and the request's Host, else the listener's address.
  std::string BaseUrl(const HttpRequest& request) const;
  void set_public_url(std::string url) { public_url_ = std::move(url); }
  void set_local_address(std::string host_port) { local_address_ = std::move(host_port); }
  // A fresh RFC 4122 (version 4 form) UUID drawn from the scenario seed, for
  // request and interaction ids the client did not send.
  std::string NewUuid();
  // The same form from two draws of `rng`.
  static std::string UuidFrom(Rng& rng);
  // "consent-N" -> N if it names a consent created over HTTP at this bank, or a name
  // given to it with AddConsentAlias (a Plaid link token).
  std::optional<mocks::ConsentId> FindConsent(std::string_view text) const;
  void AddConsentAlias(std::string text, mocks::ConsentId id) { aliases_[std::move(text)] = id; }
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

  // The /__bpsim/ test endpoints, the SCA page, GET /authorize and POST /token;
  // nullopt if the path is not one of them.
  std::optional<HttpResponse> HandleTestEndpoint(const HttpRequest& request, std::string* route);

  // Optional collaborators (live mode with --platform); both may be null.
  void set_hooks(ConsentHooks* hooks) { hooks_ = hooks; }
  void set_served(ServedRegistry* served) { served_ = served; }
  // Records an amount a dialect put in a response body for `c` (a canary).
  void NoteAmount(std::int64_t cents, mocks::CustomerId c, mocks::Category category);
  // Card transaction pages kept for the next identical request (page_cache.h).
  CardPageCache& card_pages() { return card_pages_; }
  const CardPageCache& card_pages() const { return card_pages_; }

  // A one-time authorization code for an Authorised consent of this bank
  // ("ac-N-<16 hex>"; at a Plaid bank a public token, "public-sandbox-<UUID>"),
  // exchangeable once (POST /token; Plaid: /item/public_token/exchange) until
  // `lifetime` of simulated time has passed; if `redirect_uri` is not empty the
  // exchange must name it.
  std::string IssueCode(mocks::ConsentId id, SimTime lifetime, std::string redirect_uri = "");
  // Exchanges a code once, whatever happens next: the consent, or why not (unknown or
  // already used, expired, another redirect_uri, the consent no longer Authorised).
  Result<mocks::ConsentId> RedeemCode(const std::string& code,
                                      const std::optional<std::string>& redirect_uri);
  // How long a code from the bank's own pages lives: 10 simulated minutes or 60 wall
  // seconds, whichever is longer.
  SimTime CodeLifetime() const;
  // "consent-N.<16 hex>" for an Authorised consent's token secret.
  static std::string AccessToken(mocks::ConsentId id, std::uint64_t secret);

 private:
  HttpResponse ListCustomers(const HttpRequest& request, const Target& target) const;
  // authorisation.cc: the authorisation server and the customer's pages.
  HttpResponse Token(const HttpRequest& request);
  HttpResponse Authorize(const HttpRequest& request, const Target& target);
  HttpResponse ScaPage(const HttpRequest& request, const Target& target);
  HttpResponse TestDecision(const HttpRequest& request, const Target& target);

  struct Code {
    mocks::ConsentId consent = 0;
    SimTime expires_at = 0;
    std::string redirect_uri;
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
  std::map<mocks::ConsentId, AccountGrants> grants_;
  std::map<mocks::ConsentId, std::pair<std::string, std::string>> redirects_;
  std::vector<Authorisation> authorisations_;  // "auth-N" is authorisations_[N - 1]
  std::set<std::string> client_tokens_;
  std::uint64_t next_client_token_ = 0;
  mocks::CustomerId next_assigned_ = 0;
  std::map<std::string, mocks::ConsentId, std::less<>> aliases_;
  std::string public_url_, local_address_ = "127.0.0.1";
  Rng uuids_;
  CardPageCache card_pages_;
};

// True if the request's Accept header (absent: anything) admits application/json.
bool AcceptsJson(const HttpRequest& request);
// An HTML page (the customer's pages at the bank) with the request's version and
// keep-alive.
HttpResponse HtmlPage(const HttpRequest& request, unsigned status, const std::string& title,
                      const std::string& text, SimTime now);
// A 302 to `location`.
HttpResponse Redirect(const HttpRequest& request, const std::string& location, SimTime now);

// A response with the request's version and keep-alive and, if non-empty, a JSON
// body; x-bpsim-sim-time carries the simulated instant it was decided at.
HttpResponse Respond(const HttpRequest& request, unsigned status, std::string body, SimTime now);

// The request id space of live requests: high bit set, so they never collide with
// the simulated platform's request ids in the trace.
inline constexpr std::uint64_t kLiveRequestIdBase = 1ULL << 62;

}  // namespace bpsim::harness::live
