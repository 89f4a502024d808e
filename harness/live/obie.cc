#include "harness/live/obie.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <span>
#include <nlohmann/json.hpp>

#include "harness/live/canary.h"
#include "harness/live/json_writer.h"

namespace bpsim::harness::live {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using mocks::Category;
using mocks::ConsentStatus;

constexpr SimTime kNoLowerBound = std::numeric_limits<SimTime>::min();

struct Permission {
  const char* name;
  mocks::ScopeSet scope;
};
constexpr Permission kPermissions[] = {
    {"ReadAccountsBasic", mocks::kScopeAccounts},
    {"ReadAccountsDetail", mocks::kScopeAccounts},
    {"ReadBalances", mocks::kScopeBalances},
    {"ReadTransactionsBasic", mocks::kScopeTransactions},
    {"ReadTransactionsDetail", mocks::kScopeTransactions},
    {"ReadTransactionsCredits", mocks::kScopeTransactions},
    {"ReadTransactionsDebits", mocks::kScopeTransactions},
};

// OBIE has no Expired status: an expired consent stays Authorised and its
// ExpirationDateTime tells (data requests are refused with InvalidConsentStatus).
const char* ObieStatus(ConsentStatus s) {
  switch (s) {
    case ConsentStatus::kAwaitingAuthorisation:
      return "AwaitingAuthorisation";
    case ConsentStatus::kAuthorised:
      return "Authorised";
    case ConsentStatus::kRejected:
      return "Rejected";
    case ConsentStatus::kRevoked:
      return "Revoked";
    case ConsentStatus::kExpired:
      return "Authorised";
  }
  return "Rejected";
}

class Exchange {
 public:
  Exchange(const HttpRequest& request, LiveBank& bank) : request_(request), bank_(bank) {
    auto it = request.find("x-fapi-interaction-id");
    interaction_id_ = it != request.end() && !it->value().empty() ? std::string(it->value())
                                                                  : bank.NewUuid();
  }

  HttpResponse Reply(unsigned status, const Json& body = Json()) const {
    // Request bytes echoed in messages (paths, headers) need not be UTF-8: they are
    // replaced (U+FFFD), where dump() would throw (found by fuzz_http).
    return Reply(status,
                 body.is_null() ? "" : body.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  // A body already in JSON form (JsonWriter).
  HttpResponse Reply(unsigned status, std::string body) const {
    HttpResponse res = Respond(request_, status, std::move(body), bank_.Now());
    res.set("x-fapi-interaction-id", interaction_id_);
    return res;
  }
  HttpResponse Fail(unsigned status, const std::string& code, const std::string& message,
                    const std::string& path = "") const {
    Json error;
    error["ErrorCode"] = code;
    error["Message"] = message.substr(0, 500);
    if (!path.empty()) error["Path"] = path;
    Json body;
    body["Code"] =
        std::to_string(status) + " " + std::string(http::obsolete_reason(http::status(status)));
    body["Id"] = interaction_id_.substr(0, 40);
    body["Message"] = message.substr(0, 500);
    body["Errors"] = Json::array({error});
    return Reply(status, body);
  }
  HttpResponse Retry(unsigned status, SimTime delay) const {
    HttpResponse res = Reply(status);
    res.set(http::field::retry_after, std::to_string(bank_.RetryAfterSeconds(delay)));
    return res;
  }
  // The absolute URL of `self` (a path under the base path).
  std::string Url(const std::string& self) const {
    return bank_.BaseUrl(request_) + kObieBasePath + self;
  }
  Json Links(const std::string& self) const {
    Json links;
    links["Self"] = Url(self);
    return links;
  }
  static Json Meta(std::size_t pages = 1) {
    Json meta;
    meta["TotalPages"] = pages;
    return meta;
  }
  std::string_view Authorization() const {
    auto auth = request_.find(http::field::authorization);
    return auth == request_.end() ? std::string_view() : auth->value();
  }

  const HttpRequest& request_;
  LiveBank& bank_;
  std::string interaction_id_;
};

Json ConsentData(LiveBank& bank, mocks::ConsentId id) {
  const mocks::Consent& c = bank.consent(id);
  Json data;
  data["ConsentId"] = LiveBank::ConsentText(id);
  data["CreationDateTime"] = FormatDateTime(c.created_at);
  data["Status"] = ObieStatus(c.status);
  data["StatusUpdateDateTime"] = FormatDateTime(bank.Now());
  Json requested = Json::parse(bank.ConsentRequest(id));
  data["Permissions"] = requested.value("Permissions", Json::array());
  data["ExpirationDateTime"] = FormatDateTime(c.expires_at);
  return data;
}

// The consent endpoints are the TPP's (OBIE's TPPOAuth2Security): a client token
// from POST /token (client_credentials), or the access token of that consent.
bool ConsentCallAuthorised(const Exchange& x, std::optional<mocks::ConsentId> id) {
  if (x.bank_.ClientTokenValid(x.Authorization())) return true;
  auto [consent, secret] = LiveBank::ParseBearer(x.Authorization());
  return id && consent == *id && secret != 0 && x.bank_.consent(*id).token_secret == secret;
}

bool IsJsonContentType(const HttpRequest& request) {
  auto type = request.find(http::field::content_type);
  if (type == request.end()) return true;  // a JSON body without a type is read as JSON
  std::string_view v = type->value();
  std::string media(v.substr(0, v.find(';')));
  media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

HttpResponse CreateConsent(const Exchange& x) {
  if (!ConsentCallAuthorised(x, std::nullopt)) return x.Reply(401);
  if (!IsJsonContentType(x.request_)) return x.Reply(415);
  mocks::CustomerId customer = mocks::kNoSubject;
  auto psu = x.request_.find("x-bpsim-psu-id");
  if (psu != x.request_.end()) {
    std::optional<mocks::CustomerId> named = x.bank_.Customer(psu->value());
    if (!named) {
      return x.Fail(
          400, "UK.OBIE.Header.Invalid",
          "x-bpsim-psu-id '" + std::string(psu->value()) + "' is not a customer of " + x.bank_.id(),
          "x-bpsim-psu-id");
    }
    customer = *named;
  }
  Json body = Json::parse(x.request_.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return x.Fail(400, "UK.OBIE.Resource.InvalidFormat", "request body is not a JSON object");
  }
  if (!body.contains("Risk") || !body["Risk"].is_object()) {
    return x.Fail(400, "UK.OBIE.Field.Missing", "Risk is required", "Risk");
  }
  if (!body.contains("Data") || !body["Data"].is_object() ||
      !body["Data"].contains("Permissions")) {
    return x.Fail(400, "UK.OBIE.Field.Missing", "Data.Permissions is required", "Data.Permissions");
  }
  const Json& permissions = body["Data"]["Permissions"];
  if (!permissions.is_array() || permissions.empty()) {
    return x.Fail(400, "UK.OBIE.Field.Invalid", "Data.Permissions must be a non-empty array",
                  "Data.Permissions");
  }
  mocks::ScopeSet scopes = 0;
  for (const Json& p : permissions) {
    const Permission* found = nullptr;
    for (const Permission& known : kPermissions) {
      if (p.is_string() && p.get<std::string>() == known.name) found = &known;
    }
    if (found == nullptr) {
      return x.Fail(400, "UK.OBIE.Field.Invalid",
                    "unsupported permission " + p.dump() +
                        "; supported: ReadAccountsBasic, ReadAccountsDetail, ReadBalances, "
                        "ReadTransactionsBasic, ReadTransactionsDetail, ReadTransactionsCredits, "
                        "ReadTransactionsDebits",
                    "Data.Permissions");
    }
    scopes |= found->scope;
  }
  SimTime validity = x.bank_.world().spec().world.customers.consent.expiry;
  if (body["Data"].contains("ExpirationDateTime")) {
    const Json& e = body["Data"]["ExpirationDateTime"];
    std::optional<SimTime> at = e.is_string() ? ParseDateTime(e.get<std::string>()) : std::nullopt;
    if (!at) {
      return x.Fail(400, "UK.OBIE.Field.InvalidDate",
                    "Data.ExpirationDateTime must be an ISO 8601 date-time",
                    "Data.ExpirationDateTime");
    }
    if (*at <= x.bank_.Now()) {
      return x.Fail(400, "UK.OBIE.Field.InvalidDate", "Data.ExpirationDateTime is in the past",
                    "Data.ExpirationDateTime");
    }
    validity = *at - x.bank_.Now();
  }
  if (psu == x.request_.end()) customer = x.bank_.AssignCustomer();
  mocks::ConsentId id = x.bank_.CreateConsent(customer, scopes, validity);
  Json requested;
  requested["Permissions"] = permissions;
  x.bank_.SetConsentRequest(id, requested.dump());
  Json out;
  out["Data"] = ConsentData(x.bank_, id);
  out["Risk"] = Json::object();
  out["Links"] = x.Links("/account-access-consents/" + LiveBank::ConsentText(id));
  out["Meta"] = Exchange::Meta();
  HttpResponse res = x.Reply(201, out);
  res.set(http::field::location, out["Links"]["Self"].get<std::string>());
  return res;
}

// Maps a refusal of Bank::Handle to the OBIE answer.
HttpResponse Refusal(const Exchange& x, const mocks::ApiResponse& r, mocks::ConsentId token) {
  using mocks::DenyReason;
  switch (r.status) {
    case 401:
      return x.Reply(401);
    case 429:
      return x.Retry(429, r.retry_after);
    case 503:
      return x.Retry(503, r.retry_after);
    case 500:
      return x.Fail(500, "UK.OBIE.UnexpectedError", "the bank failed to answer");
    default:
      break;
  }
  if (r.reason == DenyReason::kConsentInactive) {
    const mocks::Consent& c = x.bank_.consent(token);
    std::string why = x.bank_.Expired(token) ? "expired at " + FormatDateTime(c.expires_at)
                                             : std::string("is ") + ObieStatus(c.status);
    return x.Fail(403, "UK.OBIE.Resource.InvalidConsentStatus",
                  "consent " + LiveBank::ConsentText(token) + " " + why);
  }
  if (r.reason == DenyReason::kWrongSubject) {
    return x.Fail(
        403, "UK.OBIE.Resource.ConsentMismatch",
        "the account does not belong to the customer of consent " + LiveBank::ConsentText(token));
  }
  return x.Fail(403, "UK.OBIE.Resource.ConsentMismatch",
                "consent " + LiveBank::ConsentText(token) +
                    " does not grant the permission this resource needs");
}

Json AccountJson(const LiveBank& bank, mocks::CustomerId customer, AccountKind kind) {
  Json a;
  a["AccountId"] = AccountId(bank.id(), customer, kind);
  a["Currency"] = "GBP";
  a["AccountType"] = "Personal";
  a["AccountSubType"] = kind == AccountKind::kCard ? "CreditCard" : "CurrentAccount";
  a["Nickname"] = kind == AccountKind::kCard ? "Card" : "Checking";
  return a;
}

// {"Amount": "D.CC", "Currency": "GBP"} of |cents|.
void WriteAmount(JsonWriter& w, std::int64_t cents) {
  w.Key("Amount").BeginObject();
  w.Key("Amount").Plain([cents](std::string* out) { AppendAmount(out, cents); });
  w.Field("Currency", "GBP").EndObject();
}

// A card transaction as OBIE serves it: booked (posted) or, until its booking time,
// pending under its own id (mocks/bank/ledger.h).
void WriteTransaction(JsonWriter& w, const std::string& account_text, mocks::CustomerId customer,
                      const mocks::CardTransaction& tx, SimTime booked_at, bool pending) {
  w.BeginObject().Field("AccountId", account_text);
  w.Key("TransactionId").Plain([&](std::string* out) {
    AppendTransactionId(out, customer, tx);
    if (pending) out->append("-P");  // PendingTransactionId
  });
  w.Field("CreditDebitIndicator", tx.amount_cents < 0 ? "Credit" : "Debit");
  w.Field("Status", pending ? "Pending" : "Booked");
  const SimTime booking = pending ? tx.time : booked_at;
  w.Key("BookingDateTime").Plain([booking](std::string* out) { AppendDateTime(out, booking); });
  if (!pending) {
    w.Key("ValueDateTime").Plain([&tx](std::string* out) { AppendDateTime(out, tx.time); });
  }
  w.Field("TransactionInformation", mocks::kMerchantCategories[tx.merchant_category]);
  WriteAmount(w, tx.amount_cents);
  w.EndObject();
}

// A salary credit on the checking account, booked on payday.
void WriteSalary(JsonWriter& w, const std::string& account_text, mocks::CustomerId customer,
                 const mocks::CheckingEntry& e) {
  w.BeginObject().Field("AccountId", account_text);
  w.Key("TransactionId").Plain([&](std::string* out) {
    mocks::CardTransaction tx;  // SalaryTransactionId
    tx.time = e.time;
    tx.seq = kSalarySeq;
    AppendTransactionId(out, customer, tx);
  });
  w.Field("CreditDebitIndicator", "Credit").Field("Status", "Booked");
  w.Key("BookingDateTime").Plain([&e](std::string* out) { AppendDateTime(out, e.time); });
  w.Field("TransactionInformation", "salary");
  WriteAmount(w, e.amount_cents);
  w.EndObject();
}

// A token that Bank::Handle would accept: names a consent of this bank with its secret.
bool TokenValid(LiveBank& bank, mocks::ConsentId consent, std::uint64_t secret) {
  const mocks::ConsentStore& store = bank.world().consents();
  return store.Exists(consent) && store.Get(consent).bank == bank.index() && secret != 0 &&
         store.Get(consent).token_secret == secret;
}

// `single_account`: GET /accounts/{AccountId} (category accounts, one account).
HttpResponse DataRequest(const Exchange& x, Category category, const std::string& account_text,
                         const std::string& self, bool single_account = false) {
  auto [consent, secret] = LiveBank::ParseBearer(x.Authorization());
  mocks::ApiRequest req;
  req.token_consent = consent;
  req.token_secret = secret;
  req.category = category;
  AccountRef account;
  if (category == Category::kAccounts && !single_account) {
    const mocks::ConsentStore& store = x.bank_.world().consents();
    req.subject = store.Exists(consent) ? store.Get(consent).customer : mocks::kNoSubject;
  } else {
    std::optional<AccountRef> parsed = ParseAccountId(x.bank_.id(), account_text);
    if (!parsed || parsed->customer >= x.bank_.world().population().size() ||
        x.bank_.world().population().at(parsed->customer).bank != x.bank_.index()) {
      // An unknown account is only told to a client with a usable token.
      if (!TokenValid(x.bank_, consent, secret)) return x.Reply(401);
      return x.Fail(400, "UK.OBIE.Resource.NotFound", "no account '" + account_text + "'",
                    "AccountId");
    }
    account = *parsed;
    req.subject = account.customer;
  }
  SimTime from = kNoLowerBound, to = kSimTimeMax;
  if (category == Category::kTransactions) {
    Target t = ParseTarget(x.request_.target());
    for (const char* key : {"fromBookingDateTime", "toBookingDateTime"}) {
      if (t.Count(key) > 1) {
        return x.Fail(400, "UK.OBIE.Field.Unexpected", std::string(key) + " is given more than once",
                      key);
      }
      std::optional<std::string> v = t.Query(key);
      if (!v) continue;
      std::optional<SimTime> at = ParseDateTime(*v, Zone::kIgnore);
      if (!at) {
        return x.Fail(400, "UK.OBIE.Field.InvalidDate",
                      std::string(key) + " must be an ISO 8601 date-time, got '" + *v + "'", key);
      }
      (key[0] == 'f' ? from : to) = *at;
    }
    // The ledger is asked by authorisation time; a booked transaction is filtered
    // by its booking time, which is at most kMaxCardBookingDelay later.
    req.window_from = from == kNoLowerBound ? 0 : from - mocks::kMaxCardBookingDelay;
    req.window_to = to == kSimTimeMax ? x.bank_.Now() + 1 : to;
  }
  mocks::ApiResponse r = x.bank_.Fetch(req);
  if (r.status != 200) return Refusal(x, r, consent);

  // The answer is written straight into its body (JsonWriter), in the key order the
  // OBIE document lists the fields.
  std::string body;
  body.reserve(category == Category::kTransactions ? 4096 : 512);
  JsonWriter w(&body);
  w.BeginObject().Key("Data").BeginObject();
  if (category == Category::kAccounts) {
    Json accounts = Json::array();
    for (AccountKind kind : {AccountKind::kChecking, AccountKind::kCard}) {
      if (!single_account || kind == account.kind) {
        accounts.push_back(AccountJson(x.bank_, req.subject, kind));
      }
    }
    w.Key("Account").Raw(accounts.dump(-1, ' ', false, Json::error_handler_t::replace));
  } else if (category == Category::kBalance) {
    std::int64_t cents =
        account.kind == AccountKind::kCard ? r.balances.card_cents : r.balances.checking_cents;
    x.bank_.NoteAmount(cents, account.customer, Category::kBalance);
    const SimTime now = x.bank_.Now();
    w.Key("Balance").BeginArray().BeginObject();
    w.Field("AccountId", account_text).Field("CreditDebitIndicator", cents < 0 ? "Debit" : "Credit");
    w.Field("Type", "InterimAvailable");
    w.Key("DateTime").Plain([now](std::string* out) { AppendDateTime(out, now); });
    WriteAmount(w, cents);
    w.EndObject().EndArray();
  } else {
    w.Key("Transaction").BeginArray();
    if (account.kind == AccountKind::kCard) {  // card transactions live on the card account
      const mocks::LedgerView& ledger = x.bank_.world().population();
      const SimTime now = x.bank_.Now();
      for (const mocks::CardTransaction& tx : r.transactions) {
        const SimTime booked_at = ledger.CardBookedAt(account.customer, tx);
        const bool pending = booked_at > now;
        const SimTime booking = pending ? tx.time : booked_at;
        if (booking < from || booking >= to) continue;
        x.bank_.NoteAmount(tx.amount_cents, account.customer, Category::kTransactions);
        WriteTransaction(w, account_text, account.customer, tx, booked_at, pending);
      }
    } else {  // the checking account: salary credits, booked on payday
      std::vector<mocks::CheckingEntry> entries;
      x.bank_.world().population().CheckingEntriesIn(
          account.customer, std::max<SimTime>(0, from), std::min(to, x.bank_.Now() + 1), &entries);
      for (const mocks::CheckingEntry& e : entries) {
        x.bank_.NoteAmount(e.amount_cents, account.customer, Category::kTransactions);
        WriteSalary(w, account_text, account.customer, e);
      }
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("Links").BeginObject().Field("Self", x.Url(self)).EndObject();
  w.Key("Meta").BeginObject().Key("TotalPages").Int(1).EndObject();
  w.EndObject();
  return x.Reply(200, std::move(body));
}

}  // namespace

HttpResponse HandleObie(const HttpRequest& request, LiveBank& bank, std::string* route) {
  Exchange x(request, bank);
  *route = "unknown";
  Target t = ParseTarget(request.target());
  // Strip the base path /open-banking/v3.1/aisp.
  static constexpr std::string_view kBase[] = {"open-banking", "v3.1", "aisp"};
  if (t.segments.size() < 4 ||
      !std::equal(std::begin(kBase), std::end(kBase), t.segments.begin())) {
    return x.Reply(404);
  }
  const std::span<const std::string> s(t.segments.data() + 3, t.segments.size() - 3);
  const http::verb m = request.method();
  auto method_not_allowed = [&] { return x.Reply(405); };
  // Every answer bpsim has is JSON: a client that accepts none gets 406.
  const bool acceptable = AcceptsJson(request);

  if (s[0] == "account-access-consents") {
    if (s.size() == 1) {
      *route = "POST /account-access-consents";
      if (m != http::verb::post) return method_not_allowed();
      return acceptable ? CreateConsent(x) : x.Reply(406);
    }
    if (s.size() != 2) return x.Reply(404);
    std::optional<mocks::ConsentId> id = bank.FindConsent(s[1]);
    if (m != http::verb::get && m != http::verb::delete_) return method_not_allowed();
    *route = m == http::verb::get ? "GET /account-access-consents/{ConsentId}"
                                  : "DELETE /account-access-consents/{ConsentId}";
    if (!ConsentCallAuthorised(x, id)) return x.Reply(401);
    if (!acceptable) return x.Reply(406);
    if (!id) {
      return x.Fail(400, "UK.OBIE.Resource.NotFound", "no consent '" + s[1] + "' at this bank",
                    "ConsentId");
    }
    if (m == http::verb::get) {
      Json out;
      out["Data"] = ConsentData(bank, *id);
      out["Risk"] = Json::object();
      out["Links"] = x.Links("/account-access-consents/" + s[1]);
      out["Meta"] = Exchange::Meta();
      return x.Reply(200, out);
    }
    if (!bank.Terminate(*id)) {
      return x.Fail(400, "UK.OBIE.Resource.InvalidConsentStatus",
                    "consent " + s[1] + " is already " + ObieStatus(bank.consent(*id).status));
    }
    return x.Reply(204);
  }
  if (s[0] == "accounts" && s.size() <= 3) {
    Category category = Category::kAccounts;
    if (s.size() == 1) {
      *route = "GET /accounts";
    } else if (s.size() == 2) {
      *route = "GET /accounts/{AccountId}";
    } else if (s[2] == "balances" || s[2] == "transactions") {
      *route = "GET /accounts/{AccountId}/" + s[2];
      category = s[2] == "balances" ? Category::kBalance : Category::kTransactions;
    } else {
      return x.Reply(404);
    }
    if (m != http::verb::get) return method_not_allowed();
    if (!acceptable) return x.Reply(406);
    std::string self = "/accounts";
    for (std::size_t i = 1; i < s.size(); ++i) self += "/" + s[i];
    return DataRequest(x, category, s.size() > 1 ? s[1] : "", self, s.size() == 2);
  }
  return x.Reply(404);
}

}  // namespace bpsim::harness::live
