#include "harness/live/obie.h"

#include <nlohmann/json.hpp>

#include "harness/live/canary.h"

namespace bpsim::harness::live {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using mocks::Category;
using mocks::ConsentStatus;

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
    interaction_id_ =
        it != request.end() ? std::string(it->value()) : "bpsim-" + std::to_string(bank.Now());
  }

  HttpResponse Reply(unsigned status, const Json& body = Json()) const {
    // Request bytes echoed in messages (paths, headers) need not be UTF-8: they are
    // replaced (U+FFFD), where dump() would throw (found by fuzz_http).
    HttpResponse res =
        Respond(request_, status,
                body.is_null() ? "" : body.dump(-1, ' ', false, Json::error_handler_t::replace),
                bank_.Now());
    res.set("x-fapi-interaction-id", interaction_id_);
    return res;
  }
  HttpResponse Fail(unsigned status, const std::string& code, const std::string& message,
                    const std::string& path = "") const {
    Json error;
    error["ErrorCode"] = code;
    error["Message"] = message;
    if (!path.empty()) error["Path"] = path;
    Json body;
    body["Code"] =
        std::to_string(status) + " " + std::string(http::obsolete_reason(http::status(status)));
    body["Id"] = interaction_id_.substr(0, 40);
    body["Message"] = message;
    body["Errors"] = Json::array({error});
    return Reply(status, body);
  }
  HttpResponse Retry(unsigned status, SimTime delay) const {
    HttpResponse res = Reply(status);
    res.set(http::field::retry_after, std::to_string(bank_.RetryAfterSeconds(delay)));
    return res;
  }
  Json Links(const std::string& self) const {
    Json links;
    links["Self"] = std::string(kObieBasePath) + self;
    return links;
  }
  static Json Meta(std::size_t pages = 1) {
    Json meta;
    meta["TotalPages"] = pages;
    return meta;
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

HttpResponse CreateConsent(const Exchange& x) {
  auto psu = x.request_.find("x-bpsim-psu-id");
  if (psu == x.request_.end()) {
    return x.Fail(400, "UK.OBIE.Header.Missing",
                  "header x-bpsim-psu-id (the customer number) is required", "x-bpsim-psu-id");
  }
  std::optional<mocks::CustomerId> customer = x.bank_.Customer(psu->value());
  if (!customer) {
    return x.Fail(
        400, "UK.OBIE.Header.Invalid",
        "x-bpsim-psu-id '" + std::string(psu->value()) + "' is not a customer of " + x.bank_.id(),
        "x-bpsim-psu-id");
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
                    "Data.ExpirationDateTime must be an ISO 8601 date-time after 2025-01-01",
                    "Data.ExpirationDateTime");
    }
    if (*at <= x.bank_.Now()) {
      return x.Fail(400, "UK.OBIE.Field.InvalidDate", "Data.ExpirationDateTime is in the past",
                    "Data.ExpirationDateTime");
    }
    validity = *at - x.bank_.Now();
  }
  mocks::ConsentId id = x.bank_.CreateConsent(*customer, scopes, validity);
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

HttpResponse DataRequest(const Exchange& x, Category category, const std::string& account_text,
                         const std::string& self) {
  auto auth = x.request_.find(http::field::authorization);
  auto [consent, secret] =
      LiveBank::ParseBearer(auth == x.request_.end() ? std::string_view() : auth->value());
  mocks::ApiRequest req;
  req.token_consent = consent;
  req.token_secret = secret;
  req.category = category;
  AccountRef account;
  if (category == Category::kAccounts) {
    const mocks::ConsentStore& store = x.bank_.world().consents();
    req.subject = store.Exists(consent) ? store.Get(consent).customer : mocks::kNoSubject;
  } else {
    std::optional<AccountRef> parsed = ParseAccountId(x.bank_.id(), account_text);
    if (!parsed || parsed->customer >= x.bank_.world().population().size() ||
        x.bank_.world().population().at(parsed->customer).bank != x.bank_.index()) {
      return x.Reply(404);
    }
    account = *parsed;
    req.subject = account.customer;
  }
  if (category == Category::kTransactions) {
    Target t = ParseTarget(x.request_.target());
    req.window_from = 0;
    req.window_to = x.bank_.Now() + 1;
    for (const char* key : {"fromBookingDateTime", "toBookingDateTime"}) {
      std::optional<std::string> v = t.Query(key);
      if (!v) continue;
      std::optional<SimTime> at = ParseDateTime(*v);
      if (!at) {
        return x.Fail(400, "UK.OBIE.Field.InvalidDate",
                      std::string(key) + " must be an ISO 8601 date-time, got '" + *v + "'", key);
      }
      (key[0] == 'f' ? req.window_from : req.window_to) = *at;
    }
  }
  mocks::ApiResponse r = x.bank_.Fetch(req);
  if (r.status != 200) return Refusal(x, r, consent);

  Json data;
  const std::string now_text = FormatDateTime(x.bank_.Now());
  if (category == Category::kAccounts) {
    data["Account"] = Json::array({AccountJson(x.bank_, req.subject, AccountKind::kChecking),
                                   AccountJson(x.bank_, req.subject, AccountKind::kCard)});
  } else if (category == Category::kBalance) {
    std::int64_t cents =
        account.kind == AccountKind::kCard ? r.balances.card_cents : r.balances.checking_cents;
    x.bank_.NoteAmount(cents, account.customer, Category::kBalance);
    Json b;
    b["AccountId"] = account_text;
    b["CreditDebitIndicator"] = cents < 0 ? "Debit" : "Credit";
    b["Type"] = "InterimAvailable";
    b["DateTime"] = now_text;
    b["Amount"] = {{"Amount", FormatAmount(cents)}, {"Currency", "GBP"}};
    data["Balance"] = Json::array({b});
  } else {
    Json list = Json::array();
    if (account.kind == AccountKind::kCard) {  // card transactions live on the card account
      for (const mocks::CardTransaction& tx : r.transactions) {
        Json t;
        t["AccountId"] = account_text;
        t["TransactionId"] = TransactionId(account.customer, tx);
        t["CreditDebitIndicator"] = tx.amount_cents < 0 ? "Credit" : "Debit";
        t["Status"] = "Booked";
        t["BookingDateTime"] = FormatDateTime(tx.time);
        t["TransactionInformation"] = mocks::kMerchantCategories[tx.merchant_category];
        t["Amount"] = {{"Amount", FormatAmount(tx.amount_cents)}, {"Currency", "GBP"}};
        x.bank_.NoteAmount(tx.amount_cents, account.customer, Category::kTransactions);
        list.push_back(std::move(t));
      }
    }
    data["Transaction"] = std::move(list);
  }
  Json out;
  out["Data"] = std::move(data);
  out["Links"] = x.Links(self);
  out["Meta"] = Exchange::Meta();
  return x.Reply(200, out);
}

}  // namespace

HttpResponse HandleObie(const HttpRequest& request, LiveBank& bank, std::string* route) {
  Exchange x(request, bank);
  *route = "unknown";
  Target t = ParseTarget(request.target());
  // Strip the base path /open-banking/v3.1/aisp.
  const std::vector<std::string> base = {"open-banking", "v3.1", "aisp"};
  if (t.segments.size() < 4 || !std::equal(base.begin(), base.end(), t.segments.begin())) {
    return x.Reply(404);
  }
  std::vector<std::string> s(t.segments.begin() + 3, t.segments.end());
  const http::verb m = request.method();
  auto method_not_allowed = [&] { return x.Reply(405); };

  if (s[0] == "account-access-consents") {
    if (s.size() == 1) {
      *route = "POST /account-access-consents";
      return m == http::verb::post ? CreateConsent(x) : method_not_allowed();
    }
    if (s.size() != 2) return x.Reply(404);
    std::optional<mocks::ConsentId> id = bank.FindConsent(s[1]);
    if (m == http::verb::get) {
      *route = "GET /account-access-consents/{ConsentId}";
      if (!id) return x.Reply(404);
      Json out;
      out["Data"] = ConsentData(bank, *id);
      out["Risk"] = Json::object();
      out["Links"] = x.Links("/account-access-consents/" + s[1]);
      out["Meta"] = Exchange::Meta();
      return x.Reply(200, out);
    }
    if (m == http::verb::delete_) {
      *route = "DELETE /account-access-consents/{ConsentId}";
      if (!id) return x.Reply(404);
      if (!bank.Terminate(*id) && !bank.TerminatedByTpp(*id)) {
        return x.Fail(400, "UK.OBIE.Resource.InvalidConsentStatus",
                      "consent " + s[1] + " is already " + ObieStatus(bank.consent(*id).status));
      }
      return x.Reply(204);
    }
    return method_not_allowed();
  }
  if (s[0] == "accounts") {
    if (s.size() == 1) {
      *route = "GET /accounts";
      if (m != http::verb::get) return method_not_allowed();
      return DataRequest(x, Category::kAccounts, "", "/accounts");
    }
    if (s.size() == 3 && (s[2] == "balances" || s[2] == "transactions")) {
      *route = "GET /accounts/{AccountId}/" + s[2];
      if (m != http::verb::get) return method_not_allowed();
      return DataRequest(x, s[2] == "balances" ? Category::kBalance : Category::kTransactions, s[1],
                         "/accounts/" + s[1] + "/" + s[2]);
    }
  }
  return x.Reply(404);
}

}  // namespace bpsim::harness::live
