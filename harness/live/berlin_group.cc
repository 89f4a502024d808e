#include "harness/live/berlin_group.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

#include "harness/live/canary.h"
#include "harness/live/json_writer.h"

namespace bpsim::harness::live {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using mocks::Category;
using mocks::ConsentStatus;

constexpr std::uint8_t kCheckingBit = 1, kCardBit = 2;
std::uint8_t KindBit(AccountKind kind) { return kind == AccountKind::kCard ? kCardBit : kCheckingBit; }

std::string StatusOf(const LiveBank& bank, mocks::ConsentId id) {
  const mocks::Consent& c = bank.consent(id);
  if (bank.TerminatedByTpp(id)) return "terminatedByTpp";
  if (bank.Expired(id)) return "expired";
  switch (c.status) {
    case ConsentStatus::kAwaitingAuthorisation:
      return "received";
    case ConsentStatus::kAuthorised:
      return "valid";
    case ConsentStatus::kRejected:
      return "rejected";
    case ConsentStatus::kRevoked:
      return "revokedByPsu";
    case ConsentStatus::kExpired:
      return "expired";
  }
  return "rejected";
}

// An RFC 4122 UUID in its textual form (8-4-4-4-12 hex digits), as the standard's
// X-Request-ID must be.
bool IsUuid(std::string_view v) {
  if (v.size() != 36) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? v[i] != '-' : !std::isxdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

struct Exchange {
  Exchange(const HttpRequest& r, LiveBank& b) : request(r), bank(b) {
    auto it = request.find("X-Request-ID");
    request_id_valid = it != request.end() && IsUuid(it->value());
    request_id_given = it != request.end();
    // Every answer echoes the request's X-Request-ID; a missing or malformed one is
    // refused, and that answer carries a fresh id (the header must be a UUID).
    request_id = request_id_valid ? std::string(it->value()) : bank.NewUuid();
  }

  HttpResponse Reply(unsigned status, const Json& body = Json()) const {
    // Request bytes echoed in messages (paths, headers) need not be UTF-8: they are
    // replaced (U+FFFD), where dump() would throw (found by fuzz_http).
    return Reply(status,
                 body.is_null() ? "" : body.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  // A body already in JSON form (JsonWriter).
  HttpResponse Reply(unsigned status, std::string body) const {
    HttpResponse res = Respond(request, status, std::move(body), bank.Now());
    res.set("X-Request-ID", request_id);
    return res;
  }
  HttpResponse Fail(unsigned status, const std::string& code, const std::string& text) const {
    Json m;
    m["category"] = "ERROR";
    m["code"] = code;
    m["text"] = text.substr(0, 500);
    Json body;
    body["tppMessages"] = Json::array({m});
    return Reply(status, body);
  }
  HttpResponse Retry(unsigned status, SimTime delay, const Json& body = Json()) const {
    HttpResponse res = Reply(status, body);
    res.set(http::field::retry_after, std::to_string(bank.RetryAfterSeconds(delay)));
    return res;
  }
  // {"href": absolute URL of `path`}.
  Json Href(const std::string& path) const { return Json{{"href", Base() + path}}; }
  const std::string& Base() const {
    if (base.empty()) base = bank.BaseUrl(request);
    return base;
  }
  std::string Header(std::string_view name) const {
    auto it = request.find(name);
    return it == request.end() ? "" : std::string(it->value());
  }
  bool HasHeader(std::string_view name) const { return request.find(name) != request.end(); }

  const HttpRequest& request;
  LiveBank& bank;
  std::string request_id;
  bool request_id_valid = false, request_id_given = false;
  mutable std::string base;
};

// Checks every request makes: X-Request-ID, and an Accept bpsim can serve.
std::optional<HttpResponse> CommonChecks(const Exchange& x) {
  if (!x.request_id_given) return x.Fail(400, "FORMAT_ERROR", "header X-Request-ID is required");
  if (!x.request_id_valid) {
    return x.Fail(400, "FORMAT_ERROR", "header X-Request-ID must be a UUID, got '" +
                                           x.Header("X-Request-ID") + "'");
  }
  if (!AcceptsJson(x.request)) {
    return x.Fail(406, "REQUESTED_FORMATS_INVALID", "bpsim answers application/json only");
  }
  return std::nullopt;
}

bool IsJsonContentType(const HttpRequest& request) {
  auto type = request.find(http::field::content_type);
  if (type == request.end()) return true;
  std::string_view v = type->value();
  std::string media(v.substr(0, v.find(';')));
  media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

// An account named in a consent's access: its owner and kind, or an error text.
struct NamedAccount {
  mocks::CustomerId customer = mocks::kNoSubject;
  AccountKind kind = AccountKind::kChecking;
  std::string error;  // FORMAT_ERROR when it cannot be one of bpsim's accounts
  std::string shown;  // how the reference named it, for messages
};

NamedAccount ResolveReference(const LiveBank& bank, const Json& ref) {
  NamedAccount out;
  if (!ref.is_object()) {
    out.error = "an account reference must be an object";
    return out;
  }
  const auto& population = const_cast<LiveBank&>(bank).world().population();
  auto held = [&](mocks::CustomerId c) {
    return c < population.size() && population.at(c).bank == bank.index();
  };
  if (ref.contains("iban") && ref["iban"].is_string()) {
    out.shown = ref["iban"].get<std::string>();
    out.kind = AccountKind::kChecking;
    std::optional<mocks::CustomerId> c = ParseIban(bank.index(), out.shown);
    if (c && held(*c)) out.customer = *c;
    return out;
  }
  for (const char* key : {"maskedPan", "pan"}) {
    if (ref.contains(key) && ref[key].is_string()) {
      out.shown = ref[key].get<std::string>();
      out.kind = AccountKind::kCard;
      std::optional<mocks::CustomerId> c = ParseMaskedPan(bank.index(), out.shown);
      if (c && held(*c)) out.customer = *c;
      return out;
    }
  }
  out.error = "accounts are named by iban (payment accounts) or maskedPan (card accounts)";
  return out;
}

HttpResponse CreateConsent(const Exchange& x) {
  if (!x.HasHeader("PSU-IP-Address")) {
    return x.Fail(400, "FORMAT_ERROR", "header PSU-IP-Address is required");
  }
  if (!IsJsonContentType(x.request)) {
    return x.Fail(415, "FORMAT_ERROR", "the request body must be application/json");
  }
  std::optional<mocks::CustomerId> psu;
  if (x.HasHeader("PSU-ID")) {
    psu = x.bank.Customer(x.Header("PSU-ID"));
    if (!psu) {
      return x.Fail(401, "PSU_CREDENTIALS_INVALID",
                    "PSU-ID '" + x.Header("PSU-ID") + "' is not a customer of " + x.bank.id());
    }
  }
  Json body = Json::parse(x.request.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return x.Fail(400, "FORMAT_ERROR", "request body is not a JSON object");
  }
  if (!body.contains("access") || !body["access"].is_object()) {
    return x.Fail(400, "FORMAT_ERROR", "access is required and must be an object");
  }
  const Json& access = body["access"];
  mocks::ScopeSet scopes = 0;
  AccountGrants grants;
  std::uint8_t named_any = 0;  // kinds named in any list
  std::optional<mocks::CustomerId> owner;
  struct Service {
    const char* key;
    mocks::ScopeSet scopes;
    std::uint8_t AccountGrants::*grant;
  };
  const Service services[] = {
      {"accounts", mocks::kScopeAccounts, &AccountGrants::accounts},
      {"balances", mocks::kScopeAccounts | mocks::kScopeBalances, &AccountGrants::balances},
      {"transactions", mocks::kScopeAccounts | mocks::kScopeTransactions,
       &AccountGrants::transactions},
  };
  bool names_accounts = false;
  for (const Service& service : services) {
    if (!access.contains(service.key)) continue;
    const Json& list = access[service.key];
    if (!list.is_array()) {
      return x.Fail(400, "FORMAT_ERROR", std::string("access.") + service.key + " must be an array");
    }
    scopes |= service.scopes;
    if (list.empty()) continue;  // bank-offered: the customer's accounts
    names_accounts = true;
    std::uint8_t kinds = 0;
    for (const Json& ref : list) {
      NamedAccount a = ResolveReference(x.bank, ref);
      if (!a.error.empty()) return x.Fail(400, "FORMAT_ERROR", a.error);
      const mocks::CustomerId expected = psu ? *psu : owner.value_or(a.customer);
      if (a.customer == mocks::kNoSubject || a.customer != expected) {
        return x.Fail(400, "RESOURCE_UNKNOWN",
                      "account " + a.shown + " is not an account of " +
                          (psu ? "PSU " + x.Header("PSU-ID") : std::string("the same customer")) +
                          " at " + x.bank.id());
      }
      owner = a.customer;
      kinds |= KindBit(a.kind);
    }
    grants.*service.grant = kinds;
    named_any |= kinds;
  }
  if (names_accounts) {
    // Lists left empty or absent cover nothing beside named ones; reading the account
    // list covers every account named anywhere.
    for (const Service& service : services) {
      const bool named = access.contains(service.key) && !access[service.key].empty();
      if (!named) grants.*service.grant = access.contains(service.key) ? AccountGrants::kAll : 0;
    }
    grants.accounts |= named_any;
  }
  auto all = [&](const char* key) {
    return access.contains(key) && access[key].is_string() &&
           (access[key] == "allAccounts" || access[key] == "allAccountsWithOwnerName");
  };
  if (all("availableAccounts")) scopes |= mocks::kScopeAccounts;
  if (all("availableAccountsWithBalance")) scopes |= mocks::kScopeAccounts | mocks::kScopeBalances;
  if (all("allPsd2")) {
    scopes |= mocks::kScopeAccounts | mocks::kScopeBalances | mocks::kScopeTransactions;
  }
  if (scopes == 0) {
    return x.Fail(400, "FORMAT_ERROR",
                  "access must name accounts, balances, transactions, availableAccounts, "
                  "availableAccountsWithBalance or allPsd2");
  }
  if (!body.contains("recurringIndicator") || !body["recurringIndicator"].is_boolean()) {
    return x.Fail(400, "FORMAT_ERROR", "recurringIndicator is required and must be a boolean");
  }
  if (!body.contains("combinedServiceIndicator") || !body["combinedServiceIndicator"].is_boolean()) {
    return x.Fail(400, "FORMAT_ERROR",
                  "combinedServiceIndicator is required and must be a boolean");
  }
  if (!body.contains("frequencyPerDay") || !body["frequencyPerDay"].is_number_integer() ||
      body["frequencyPerDay"].get<std::int64_t>() < 1) {
    return x.Fail(400, "FORMAT_ERROR", "frequencyPerDay is required and must be an integer >= 1");
  }
  const Json& v = body.value("validUntil", Json());
  std::optional<SimTime> until = v.is_string() && v.get<std::string>().size() == 10
                                     ? ParseDateTime(v.get<std::string>())
                                     : std::nullopt;
  if (!until) return x.Fail(400, "FORMAT_ERROR", "validUntil is required: a date YYYY-MM-DD");
  // Valid until the end of that day (at most the bank's api.max_consent_life).
  if (*until + kDay <= x.bank.Now()) {
    return x.Fail(400, "PERIOD_INVALID", "validUntil is in the past");
  }
  const mocks::CustomerId customer = psu ? *psu : owner ? *owner : x.bank.AssignCustomer();
  mocks::ConsentId id = x.bank.CreateConsent(customer, scopes, *until + kDay - x.bank.Now());
  if (names_accounts) x.bank.SetGrants(id, grants);
  Json requested;
  requested["access"] = access;
  requested["recurringIndicator"] = body["recurringIndicator"];
  requested["frequencyPerDay"] = body["frequencyPerDay"];
  x.bank.SetConsentRequest(id, requested.dump());
  const std::string redirect = x.Header("TPP-Redirect-URI");
  const std::string nok = x.Header("TPP-Nok-Redirect-URI");
  x.bank.SetRedirects(id, redirect, nok);

  const std::string self = "/v1/consents/" + LiveBank::ConsentText(id);
  Json out;
  out["consentStatus"] = "received";
  out["consentId"] = LiveBank::ConsentText(id);
  out["_links"]["self"] = x.Href(self);
  out["_links"]["status"] = x.Href(self + "/status");
  // The redirect SCA approach. An implicit authorisation is started at once unless
  // the TPP prefers to start it itself.
  if (x.Header("TPP-Explicit-Authorisation-Preferred") == "true") {
    out["_links"]["startAuthorisation"] = x.Href(self + "/authorisations");
  } else {
    const Authorisation& a = x.bank.StartAuthorisation(id, redirect, nok);
    out["_links"]["scaRedirect"] = x.Href("/__bpsim/sca/" + a.id);
    out["_links"]["scaStatus"] = x.Href(self + "/authorisations/" + a.id);
  }
  HttpResponse res = x.Reply(201, out);
  res.set(http::field::location, x.Base() + self);
  res.set("ASPSP-SCA-Approach", "REDIRECT");
  return res;
}

HttpResponse Refusal(const Exchange& x, const mocks::ApiResponse& r, mocks::ConsentId token,
                     bool bearer_sent) {
  using mocks::DenyReason;
  const std::string name = LiveBank::ConsentText(token);
  switch (r.status) {
    case 401:
      // Without an Authorization header the Consent-ID is the credential: a consent
      // never authorised is not valid yet.
      if (!bearer_sent) {
        return x.Fail(401, "CONSENT_INVALID", "consent " + name + " is " + StatusOf(x.bank, token));
      }
      return x.Fail(401, "TOKEN_INVALID", "the access token is invalid");
    case 429:
      return x.Retry(
          429, r.retry_after,
          Json{{"tppMessages", Json::array({{{"category", "ERROR"},
                                             {"code", "ACCESS_EXCEEDED"},
                                             {"text",
                                              "the access limit of this consent or client "
                                              "is exceeded"}}})}});
    case 503:
      return x.Retry(503, r.retry_after);
    case 500:
      return x.Reply(500);
    default:
      break;
  }
  if (r.reason == DenyReason::kConsentInactive) {
    if (x.bank.Expired(token)) {
      return x.Fail(
          401, "CONSENT_EXPIRED",
          "consent " + name + " expired at " + FormatDateTime(x.bank.consent(token).expires_at));
    }
    return x.Fail(401, "CONSENT_INVALID", "consent " + name + " is " + StatusOf(x.bank, token));
  }
  if (r.reason == DenyReason::kWrongSubject) {
    return x.Fail(403, "RESOURCE_UNKNOWN", "the account is not addressed by consent " + name);
  }
  return x.Fail(401, "CONSENT_INVALID",
                "consent " + name + " does not cover this service for this account");
}

// Merchant category codes (ISO 18245) of the ledger's categories.
constexpr const char* kMerchantCategoryCodes[] = {"5411", "5812", "4111", "5541", "5999",
                                                  "4900", "7832", "4722", "8062", "6011"};
static_assert(sizeof kMerchantCategoryCodes / sizeof kMerchantCategoryCodes[0] ==
              mocks::kMerchantCategoryCount);

// What a data request addresses: the service, the resource family (payment or card
// accounts) and, below the list, one account and perhaps one transaction.
struct Resource {
  Category category = Category::kAccounts;
  bool card = false;  // /v1/card-accounts
  std::string account_text;  // empty: the list
  std::string transaction_text;  // GET .../transactions/{transactionId}
};

std::string AccountPath(bool card, const std::string& id) {
  return (card ? "/v1/card-accounts/" : "/v1/accounts/") + id;
}

Json AccountJson(const Exchange& x, mocks::CustomerId customer, AccountKind kind,
                 const AccountGrants& grants) {
  Json a;
  const std::string id = AccountId(x.bank.id(), customer, kind);
  a["resourceId"] = id;
  if (kind == AccountKind::kCard) {
    a["maskedPan"] = MaskedPan(x.bank.index(), customer);
  } else {
    a["iban"] = Iban(x.bank.index(), customer);
  }
  a["currency"] = "EUR";
  a["name"] = kind == AccountKind::kCard ? "Card" : "Checking";
  if (kind == AccountKind::kChecking) a["cashAccountType"] = "CACC";
  a["status"] = "enabled";
  a["usage"] = "PRIV";
  const std::string path = AccountPath(kind == AccountKind::kCard, id);
  if (grants.balances & KindBit(kind)) a["_links"]["balances"] = x.Href(path + "/balances");
  if (grants.transactions & KindBit(kind)) {
    a["_links"]["transactions"] = x.Href(path + "/transactions");
  }
  return a;
}

// The account an answer is about: {"iban" | "maskedPan": ..., "currency": "EUR"}.
void WriteAccountReference(JsonWriter& w, const LiveBank& bank, mocks::CustomerId customer,
                           AccountKind kind) {
  w.BeginObject();
  if (kind == AccountKind::kCard) {
    w.Field("maskedPan", MaskedPan(bank.index(), customer));
  } else {
    w.Field("iban", Iban(bank.index(), customer));
  }
  w.Field("currency", "EUR").EndObject();
}

// {"currency": "EUR", "amount": ...}: spending is a debit, negative in Berlin Group's
// signed amounts.
void WriteSignedAmount(JsonWriter& w, std::string_view key, std::int64_t cents_credit) {
  w.Key(key).BeginObject().Field("currency", "EUR");
  w.Key("amount").Plain([cents_credit](std::string* out) {
    if (cents_credit < 0) out->push_back('-');
    AppendAmount(out, cents_credit);
  });
  w.EndObject();
}

void WriteSalary(JsonWriter& w, const std::string& transaction_id, const mocks::CheckingEntry& e) {
  w.BeginObject().Field("transactionId", transaction_id);
  w.Key("bookingDate").Plain([&e](std::string* out) { AppendDate(out, e.time); });
  w.Key("valueDate").Plain([&e](std::string* out) { AppendDate(out, e.time); });
  WriteSignedAmount(w, "transactionAmount", e.amount_cents);
  w.Field("remittanceInformationUnstructured", "salary");
  w.EndObject();
}

// The transaction filters of a transactions request: [from, to) and which lists.
struct TransactionQuery {
  SimTime from = std::numeric_limits<SimTime>::min(), to = kSimTimeMax;
  bool booked = true, pending = false;
};

std::optional<HttpResponse> ParseTransactionQuery(const Exchange& x, bool card,
                                                  TransactionQuery* q) {
  Target t = ParseTarget(x.request.target());
  for (const char* key : {"bookingStatus", "dateFrom", "dateTo"}) {
    if (t.Count(key) > 1) {
      return x.Fail(400, "FORMAT_ERROR", std::string("query parameter ") + key +
                                             " is given more than once");
    }
  }
  for (const char* key : {"entryReferenceFrom", "deltaList"}) {
    if (t.Count(key) > 0) {
      return x.Fail(400, "PARAMETER_NOT_SUPPORTED",
                    std::string("query parameter ") + key + " is not supported by this bank");
    }
  }
  std::optional<std::string> booking = t.Query("bookingStatus");
  if (!booking) return x.Fail(400, "FORMAT_ERROR", "query parameter bookingStatus is required");
  if (*booking == "booked" || *booking == "pending" || *booking == "both") {
    q->booked = *booking != "pending";
    q->pending = *booking != "booked";
  } else if (!card && (*booking == "information" || *booking == "all")) {
    return x.Fail(400, "PARAMETER_NOT_SUPPORTED",
                  "bookingStatus '" + *booking + "' is not supported; use booked, pending or both");
  } else {
    return x.Fail(400, "FORMAT_ERROR",
                  "bookingStatus must be booked, pending or both, got '" + *booking + "'");
  }
  for (const char* key : {"dateFrom", "dateTo"}) {
    std::optional<std::string> v = t.Query(key);
    if (!v) continue;
    std::optional<SimTime> at = v->size() == 10 ? ParseDateTime(*v) : std::nullopt;
    if (!at) {
      return x.Fail(400, "FORMAT_ERROR",
                    std::string(key) + " must be a date YYYY-MM-DD, got '" + *v + "'");
    }
    if (key[4] == 'F') {
      q->from = *at;
    } else {
      q->to = *at + kDay;  // inclusive day
    }
  }
  if (q->from >= q->to) return x.Fail(400, "PERIOD_INVALID", "dateFrom is after dateTo");
  return std::nullopt;
}

HttpResponse DataRequest(const Exchange& x, const Resource& what) {
  if (!x.HasHeader("Consent-ID")) return x.Fail(400, "FORMAT_ERROR", "header Consent-ID is required");
  const std::string consent_text = x.Header("Consent-ID");
  const bool bearer_sent = x.HasHeader("Authorization");
  auto [token_consent, secret] = LiveBank::ParseBearer(x.Header("Authorization"));
  std::optional<mocks::ConsentId> named = x.bank.FindConsent(consent_text);
  if (!named || (bearer_sent && token_consent != 0 && token_consent != *named)) {
    return x.Fail(403, "CONSENT_UNKNOWN",
                  "Consent-ID '" + consent_text +
                      "' is unknown or not the consent of the access token");
  }
  // The standard's redirect approach has no access token: the Consent-ID is the
  // credential (the TPP's certificate would bind it in production). A bearer token,
  // when sent, must be that consent's.
  if (!bearer_sent) {
    token_consent = *named;
    secret = x.bank.consent(*named).token_secret;
  }
  mocks::ApiRequest req;
  req.token_consent = token_consent;
  req.token_secret = secret;
  req.category = what.category;
  AccountRef account;
  const bool list = what.account_text.empty();
  if (list) {
    req.subject = x.bank.consent(*named).customer;
  } else {
    std::optional<AccountRef> parsed = ParseAccountId(x.bank.id(), what.account_text);
    if (!parsed || parsed->customer >= x.bank.world().population().size() ||
        x.bank.world().population().at(parsed->customer).bank != x.bank.index() ||
        (parsed->kind == AccountKind::kCard) != what.card) {
      return x.Fail(404, "RESOURCE_UNKNOWN", "no account '" + what.account_text + "'");
    }
    account = *parsed;
    req.subject = account.customer;
    req.account_scopes = x.bank.ScopesOn(*named, KindBit(account.kind));
  }
  TransactionQuery q;
  if (what.category == Category::kTransactions && what.transaction_text.empty()) {
    if (auto bad = ParseTransactionQuery(x, what.card, &q)) return std::move(*bad);
  }
  std::optional<TransactionRef> wanted_tx;
  if (!what.transaction_text.empty()) {
    wanted_tx = ParseTransactionId(account.customer, what.transaction_text);
    if (wanted_tx) {  // the ledger is read for that day only
      q.from = SimTime(wanted_tx->day) * kDay;
      q.to = q.from + kDay;
    }
  }
  if (what.category == Category::kTransactions) {
    // The ledger is asked by authorisation time; a booked transaction is filtered by
    // its booking date, at most kMaxCardBookingDelay later.
    const SimTime lowest = std::numeric_limits<SimTime>::min();
    req.window_from = q.from == lowest ? 0 : q.from - mocks::kMaxCardBookingDelay;
    req.window_to = q.to == kSimTimeMax ? x.bank.Now() + 1 : q.to;
  }
  mocks::ApiResponse r = x.bank.Fetch(req);
  if (r.status != 200) return Refusal(x, r, token_consent, bearer_sent);

  const AccountGrants grants = x.bank.Grants(*named);
  Json out;
  const char* account_key = what.card ? "cardAccount" : "account";
  if (what.category == Category::kAccounts) {
    const AccountKind kind = what.card ? AccountKind::kCard : AccountKind::kChecking;
    if (!list) {
      out[account_key] = AccountJson(x, req.subject, kind, grants);
      return x.Reply(200, out);
    }
    Json accounts = Json::array();
    if (grants.accounts & KindBit(kind)) accounts.push_back(AccountJson(x, req.subject, kind, grants));
    out[what.card ? "cardAccounts" : "accounts"] = std::move(accounts);
    return x.Reply(200, out);
  }
  // Balances and transactions are written straight into the body (JsonWriter).
  std::string body;
  JsonWriter w(&body);
  if (what.category == Category::kBalance) {
    std::int64_t cents =
        account.kind == AccountKind::kCard ? r.balances.card_cents : r.balances.checking_cents;
    x.bank.NoteAmount(cents, account.customer, Category::kBalance);
    body.reserve(256);
    w.BeginObject().Key(account_key);
    WriteAccountReference(w, x.bank, account.customer, account.kind);
    w.Key("balances").BeginArray().BeginObject();
    WriteSignedAmount(w, "balanceAmount", cents);
    w.Field("balanceType", "interimAvailable");
    const SimTime now = x.bank.Now();
    w.Key("lastChangeDateTime").Plain([now](std::string* out) { AppendDateTime(out, now); });
    w.EndObject().EndArray().EndObject();
    return x.Reply(200, std::move(body));
  }
  const mocks::LedgerView& ledger = x.bank.world().population();
  const SimTime now = x.bank.Now();
  std::vector<mocks::CheckingEntry> entries;  // the checking account: salary credits
  if (account.kind == AccountKind::kChecking && q.booked) {
    ledger.CheckingEntriesIn(account.customer, std::max<SimTime>(0, q.from),
                             std::min(q.to, now + 1), &entries);
    for (const mocks::CheckingEntry& e : entries) {
      x.bank.NoteAmount(e.amount_cents, account.customer, Category::kTransactions);
    }
  }
  if (!what.transaction_text.empty()) {
    // GET .../transactions/{transactionId}: payment accounts only (the standard has
    // no single card transaction).
    for (const mocks::CheckingEntry& e : entries) {
      const std::string id = SalaryTransactionId(account.customer, e.time);
      if (id == what.transaction_text) {
        w.BeginObject().Key("transactionsDetails");
        WriteSalary(w, id, e);
        w.EndObject();
        return x.Reply(200, std::move(body));
      }
    }
    return x.Fail(404, "RESOURCE_UNKNOWN",
                  "no transaction '" + what.transaction_text + "' on account " + what.account_text);
  }
  // A card page written before for the same request, ledger and bookings is sent
  // again (page_cache.h); its amounts are noted as a new page's would be.
  const bool card = account.kind == AccountKind::kCard;
  const CardPageCache::Query page_query{account.customer, q.from, q.to, q.booked, q.pending};
  if (card) {
    if (const CardPageCache::Page* page = x.bank.card_pages().Find(
            page_query, x.Base(), what.account_text, r.transactions, now)) {
      for (std::int64_t cents : page->amounts) {
        x.bank.NoteAmount(cents, account.customer, Category::kTransactions);
      }
      return x.Reply(200, page->body);
    }
  }
  CardPageCache::Page page;
  page.changes_at = kSimTimeMax;
  body.reserve(4096);
  w.BeginObject().Key(account_key);
  WriteAccountReference(w, x.bank, account.customer, account.kind);
  w.Key(what.card ? "cardTransactions" : "transactions").BeginObject();
  if (q.booked) w.Key("booked").BeginArray();
  // Pending card transactions follow the booked ones: written aside, in ledger order.
  std::string pending_body;
  JsonWriter pending(&pending_body);
  pending.BeginArray();
  if (card) {
    const std::string masked_pan = MaskedPan(x.bank.index(), account.customer);
    for (const mocks::CardTransaction& tx : r.transactions) {
      const SimTime booked_at = ledger.CardBookedAt(account.customer, tx);
      const bool is_pending = booked_at > now;
      if (is_pending) page.changes_at = std::min(page.changes_at, booked_at);
      // Booked: by booking date; pending: by entry date (the standard's dateFrom).
      const SimTime date = (is_pending ? tx.time : booked_at) / kDay * kDay;
      if (is_pending ? !q.pending : !q.booked) continue;
      if (date < q.from || date >= q.to) continue;
      x.bank.NoteAmount(tx.amount_cents, account.customer, Category::kTransactions);
      page.amounts.push_back(tx.amount_cents);
      WriteCardTransaction(is_pending ? pending : w, account.customer, masked_pan, tx, booked_at,
                           is_pending);
    }
  } else {
    for (const mocks::CheckingEntry& e : entries) {
      WriteSalary(w, SalaryTransactionId(account.customer, e.time), e);
    }
  }
  if (q.booked) w.EndArray();
  pending.EndArray();
  if (q.pending) w.Key("pending").Raw(pending_body);
  const std::string self = AccountPath(what.card, what.account_text);
  w.Key("_links").BeginObject().Key(what.card ? "cardAccount" : "account").BeginObject();
  w.Field("href", x.Base() + self).EndObject().EndObject();
  w.EndObject().EndObject();
  if (card && x.bank.card_pages().enabled()) {
    page.query = page_query;
    page.base = x.Base();
    page.account_text = what.account_text;
    page.ledger = r.transactions;
    page.written_at = now;
    page.body = body;
    x.bank.card_pages().Keep(std::move(page));
  }
  return x.Reply(200, std::move(body));
}

// /v1/consents/{consentId}/authorisations[/{authorisationId}].
HttpResponse Authorisations(const Exchange& x, const std::vector<std::string>& s,
                            mocks::ConsentId id, std::string* route) {
  const http::verb m = x.request.method();
  const std::string self = "/v1/consents/" + s[2] + "/authorisations";
  if (s.size() == 4) {
    if (m == http::verb::post) {
      *route = "POST /v1/consents/{consentId}/authorisations";
      if (x.bank.consent(id).status != ConsentStatus::kAwaitingAuthorisation || x.bank.Expired(id)) {
        return x.Fail(409, "STATUS_INVALID",
                      "consent " + s[2] + " is " + StatusOf(x.bank, id) +
                          ": only a received consent can be authorised");
      }
      auto [ok, nok] = x.bank.Redirects(id);
      if (x.HasHeader("TPP-Redirect-URI")) ok = x.Header("TPP-Redirect-URI");
      if (x.HasHeader("TPP-Nok-Redirect-URI")) nok = x.Header("TPP-Nok-Redirect-URI");
      const Authorisation& a = x.bank.StartAuthorisation(id, ok, nok);
      Json out;
      out["scaStatus"] = ScaStatusName(a.status);
      out["authorisationId"] = a.id;
      out["_links"]["scaRedirect"] = x.Href("/__bpsim/sca/" + a.id);
      out["_links"]["scaStatus"] = x.Href(self + "/" + a.id);
      HttpResponse res = x.Reply(201, out);
      res.set("ASPSP-SCA-Approach", "REDIRECT");
      return res;
    }
    if (m == http::verb::get) {
      *route = "GET /v1/consents/{consentId}/authorisations";
      Json ids = Json::array();
      for (const std::string& a : x.bank.AuthorisationsOf(id)) ids.push_back(a);
      return x.Reply(200, Json{{"authorisationIds", ids}});
    }
    return x.Fail(405, "SERVICE_INVALID", "use POST or GET on " + self);
  }
  *route = "GET /v1/consents/{consentId}/authorisations/{authorisationId}";
  if (m != http::verb::get) {
    return x.Fail(405, "SERVICE_INVALID",
                  "only GET: this bank's SCA is the redirect approach (no embedded PSU data)");
  }
  Authorisation* a = x.bank.FindAuthorisation(s[4]);
  if (a == nullptr || a->consent != id) {
    return x.Fail(404, "RESOURCE_UNKNOWN", "consent " + s[2] + " has no authorisation '" + s[4] + "'");
  }
  return x.Reply(200, Json{{"scaStatus", ScaStatusName(a->status)}});
}

HttpResponse Consents(const Exchange& x, const std::vector<std::string>& s, std::string* route) {
  const http::verb m = x.request.method();
  auto not_allowed = [&] {
    return x.Fail(405, "SERVICE_INVALID", "method not allowed on this resource");
  };
  if (s.size() == 2) {
    *route = "POST /v1/consents";
    if (m != http::verb::post) return not_allowed();
    if (auto bad = CommonChecks(x)) return std::move(*bad);
    return CreateConsent(x);
  }
  if (s.size() > 5 || (s.size() >= 4 && s[3] != "status" && s[3] != "authorisations") ||
      (s.size() == 5 && s[3] != "authorisations")) {
    return x.Fail(404, "RESOURCE_UNKNOWN", "no such resource");
  }
  if (auto bad = CommonChecks(x)) return std::move(*bad);
  std::optional<mocks::ConsentId> id = x.bank.FindConsent(s[2]);
  if (!id) return x.Fail(403, "CONSENT_UNKNOWN", "consent '" + s[2] + "' is unknown");
  if (s.size() >= 4 && s[3] == "authorisations") return Authorisations(x, s, *id, route);
  if (s.size() == 4) {
    *route = "GET /v1/consents/{consentId}/status";
    if (m != http::verb::get) return not_allowed();
    return x.Reply(200, Json{{"consentStatus", StatusOf(x.bank, *id)}});
  }
  if (m == http::verb::get) {
    *route = "GET /v1/consents/{consentId}";
    Json out = Json::parse(x.bank.ConsentRequest(*id));
    const mocks::Consent& c = x.bank.consent(*id);
    out["validUntil"] = FormatDate(c.expires_at - 1);
    out["lastActionDate"] = FormatDate(x.bank.Now());
    out["consentStatus"] = StatusOf(x.bank, *id);
    return x.Reply(200, out);
  }
  if (m == http::verb::delete_) {
    *route = "DELETE /v1/consents/{consentId}";
    if (!x.bank.Terminate(*id)) {
      return x.Fail(409, "STATUS_INVALID",
                    "consent " + s[2] + " is already " + StatusOf(x.bank, *id));
    }
    return x.Reply(204);
  }
  return not_allowed();
}

}  // namespace

void WriteCardTransaction(JsonWriter& w, mocks::CustomerId customer, const std::string& masked_pan,
                          const mocks::CardTransaction& tx, SimTime booked_at, bool pending) {
  w.BeginObject();
  w.Key("cardTransactionId").Plain([&](std::string* out) {
    AppendTransactionId(out, customer, tx);
    if (pending) out->append("-P");  // PendingTransactionId
  });
  w.Key("transactionDate").Plain([&tx](std::string* out) { AppendDate(out, tx.time); });
  w.Key("acceptorTransactionDateTime").Plain([&tx](std::string* out) {
    AppendDateTime(out, tx.time);
  });
  if (!pending) {
    w.Key("bookingDate").Plain([booked_at](std::string* out) { AppendDate(out, booked_at); });
  }
  WriteSignedAmount(w, "transactionAmount", -tx.amount_cents);
  w.Field("merchantCategoryCode", MerchantCategoryCode(tx.merchant_category));
  w.Field("maskedPAN", masked_pan);
  w.Field("transactionDetails", mocks::kMerchantCategories[tx.merchant_category]);
  w.EndObject();
}

const char* MerchantCategoryCode(std::uint8_t category) {
  return kMerchantCategoryCodes[category];
}

HttpResponse HandleBerlinGroup(const HttpRequest& request, LiveBank& bank, std::string* route) {
  Exchange x(request, bank);
  *route = "unknown";
  Target t = ParseTarget(request.target());
  const std::vector<std::string>& s = t.segments;
  auto unknown = [&] { return x.Fail(404, "RESOURCE_UNKNOWN", "no such resource"); };
  if (s.size() < 2 || s[0] != "v1") return unknown();
  if (s[1] == "consents") return Consents(x, s, route);

  // /v1/accounts[/{id}[/balances|/transactions[/{transactionId}]]] and the same
  // under /v1/card-accounts (no single card transaction).
  const bool card = s[1] == "card-accounts";
  if (s[1] != "accounts" && !card) return unknown();
  const std::string family = card ? "/v1/card-accounts" : "/v1/accounts";
  Resource what;
  what.card = card;
  if (s.size() == 2) {
    *route = "GET " + family;
  } else if (s.size() == 3) {
    *route = "GET " + family + "/{account-id}";
    what.account_text = s[2];
  } else if ((s.size() == 4 && (s[3] == "balances" || s[3] == "transactions")) ||
             (s.size() == 5 && s[3] == "transactions" && !card)) {
    *route = "GET " + family + "/{account-id}/" + s[3] + (s.size() == 5 ? "/{transactionId}" : "");
    what.account_text = s[2];
    what.category = s[3] == "balances" ? Category::kBalance : Category::kTransactions;
    if (s.size() == 5) what.transaction_text = s[4];
  } else {
    return unknown();
  }
  if (request.method() != http::verb::get) {
    return x.Fail(405, "SERVICE_INVALID", "method not allowed on this resource");
  }
  if (auto bad = CommonChecks(x)) return std::move(*bad);
  return DataRequest(x, what);
}

}  // namespace bpsim::harness::live
