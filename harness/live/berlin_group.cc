#include "harness/live/berlin_group.h"

#include <nlohmann/json.hpp>

#include "harness/live/canary.h"

namespace bpsim::harness::live {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using mocks::Category;
using mocks::ConsentStatus;

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

struct Exchange {
  const HttpRequest& request;
  LiveBank& bank;

  HttpResponse Reply(unsigned status, const Json& body = Json()) const {
    // Request bytes echoed in messages (paths, headers) need not be UTF-8: they are
    // replaced (U+FFFD), where dump() would throw (found by fuzz_http).
    return Respond(request, status,
                   body.is_null() ? "" : body.dump(-1, ' ', false, Json::error_handler_t::replace),
                   bank.Now());
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
};

Json Href(const std::string& path) { return Json{{"href", path}}; }

HttpResponse CreateConsent(const Exchange& x) {
  auto psu = x.request.find("PSU-ID");
  if (psu == x.request.end()) {
    return x.Fail(400, "FORMAT_ERROR", "header PSU-ID (the customer number) is required");
  }
  std::optional<mocks::CustomerId> customer = x.bank.Customer(psu->value());
  if (!customer) {
    return x.Fail(400, "FORMAT_ERROR",
                  "PSU-ID '" + std::string(psu->value()) + "' is not a customer of " + x.bank.id());
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
  if (access.contains("accounts")) scopes |= mocks::kScopeAccounts;
  if (access.contains("balances")) scopes |= mocks::kScopeAccounts | mocks::kScopeBalances;
  if (access.contains("transactions")) {
    scopes |= mocks::kScopeAccounts | mocks::kScopeTransactions;
  }
  if (access.value("availableAccounts", "") == "allAccounts") scopes |= mocks::kScopeAccounts;
  if (access.value("allPsd2", "") == "allAccounts") {
    scopes |= mocks::kScopeAccounts | mocks::kScopeBalances | mocks::kScopeTransactions;
  }
  if (scopes == 0) {
    return x.Fail(400, "FORMAT_ERROR",
                  "access must name accounts, balances, transactions, availableAccounts or "
                  "allPsd2");
  }
  if (!body.contains("recurringIndicator") || !body["recurringIndicator"].is_boolean()) {
    return x.Fail(400, "FORMAT_ERROR", "recurringIndicator is required and must be a boolean");
  }
  if (!body.contains("frequencyPerDay") || !body["frequencyPerDay"].is_number_integer() ||
      body["frequencyPerDay"].get<std::int64_t>() < 1) {
    return x.Fail(400, "FORMAT_ERROR", "frequencyPerDay is required and must be an integer >= 1");
  }
  SimTime validity = x.bank.world().spec().world.customers.consent.expiry;
  if (body.contains("validUntil")) {
    const Json& v = body["validUntil"];
    std::optional<SimTime> at = v.is_string() && v.get<std::string>().size() == 10
                                    ? ParseDateTime(v.get<std::string>())
                                    : std::nullopt;
    if (!at) return x.Fail(400, "FORMAT_ERROR", "validUntil must be a date YYYY-MM-DD");
    // Valid until the end of that day.
    if (*at + kDay <= x.bank.Now())
      return x.Fail(400, "PERIOD_INVALID", "validUntil is in the past");
    validity = *at + kDay - x.bank.Now();
  }
  mocks::ConsentId id = x.bank.CreateConsent(*customer, scopes, validity);
  Json requested;
  requested["access"] = access;
  requested["recurringIndicator"] = body["recurringIndicator"];
  requested["frequencyPerDay"] = body["frequencyPerDay"];
  x.bank.SetConsentRequest(id, requested.dump());
  const std::string self = "/v1/consents/" + LiveBank::ConsentText(id);
  Json out;
  out["consentStatus"] = "received";
  out["consentId"] = LiveBank::ConsentText(id);
  out["_links"]["self"] = Href(self);
  out["_links"]["status"] = Href(self + "/status");
  out["_links"]["scaStatus"] =
      Href("/__bpsim/consents/" + LiveBank::ConsentText(id) + "/authorise");
  HttpResponse res = x.Reply(201, out);
  res.set(http::field::location, self);
  return res;
}

HttpResponse Refusal(const Exchange& x, const mocks::ApiResponse& r, mocks::ConsentId token) {
  using mocks::DenyReason;
  switch (r.status) {
    case 401:
      return x.Fail(401, "TOKEN_INVALID", "the access token is missing or invalid");
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
  const std::string name = LiveBank::ConsentText(token);
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
  return x.Fail(401, "CONSENT_INVALID", "consent " + name + " does not cover this service");
}

Json AccountJson(const LiveBank& bank, mocks::CustomerId customer, AccountKind kind, bool links) {
  Json a;
  const std::string id = AccountId(bank.id(), customer, kind);
  a["resourceId"] = id;
  a["currency"] = "EUR";
  a["name"] = kind == AccountKind::kCard ? "Card" : "Checking";
  a["cashAccountType"] = kind == AccountKind::kCard ? "CARD" : "CACC";
  if (links) {
    a["_links"]["balances"] = Href("/v1/accounts/" + id + "/balances");
    a["_links"]["transactions"] = Href("/v1/accounts/" + id + "/transactions");
  }
  return a;
}

HttpResponse DataRequest(const Exchange& x, Category category, const std::string& account_text) {
  auto consent_header = x.request.find("Consent-ID");
  if (consent_header == x.request.end()) {
    return x.Fail(400, "FORMAT_ERROR", "header Consent-ID is required");
  }
  auto auth = x.request.find(http::field::authorization);
  auto [token_consent, secret] =
      LiveBank::ParseBearer(auth == x.request.end() ? std::string_view() : auth->value());
  std::optional<mocks::ConsentId> named = x.bank.FindConsent(consent_header->value());
  if (!named || (token_consent != 0 && token_consent != *named)) {
    return x.Fail(403, "CONSENT_UNKNOWN",
                  "Consent-ID '" + std::string(consent_header->value()) +
                      "' is unknown or not the consent of the access token");
  }
  mocks::ApiRequest req;
  req.token_consent = token_consent;
  req.token_secret = secret;
  req.category = category;
  AccountRef account;
  if (category == Category::kAccounts) {
    req.subject = x.bank.consent(*named).customer;
  } else {
    std::optional<AccountRef> parsed = ParseAccountId(x.bank.id(), account_text);
    if (!parsed || parsed->customer >= x.bank.world().population().size() ||
        x.bank.world().population().at(parsed->customer).bank != x.bank.index()) {
      return x.Fail(404, "RESOURCE_UNKNOWN", "no account '" + account_text + "'");
    }
    account = *parsed;
    req.subject = account.customer;
  }
  if (category == Category::kTransactions) {
    Target t = ParseTarget(x.request.target());
    std::optional<std::string> booking = t.Query("bookingStatus");
    if (!booking) return x.Fail(400, "FORMAT_ERROR", "query parameter bookingStatus is required");
    if (*booking != "booked" && *booking != "both" && *booking != "pending") {
      return x.Fail(
          400, "PARAMETER_NOT_SUPPORTED",
          "bookingStatus '" + *booking + "' is not supported; use booked, pending or both");
    }
    req.window_from = 0;
    req.window_to = x.bank.Now() + 1;
    if (auto from = t.Query("dateFrom")) {
      std::optional<SimTime> at = from->size() == 10 ? ParseDateTime(*from) : std::nullopt;
      if (!at) return x.Fail(400, "FORMAT_ERROR", "dateFrom must be a date YYYY-MM-DD");
      req.window_from = *at;
    }
    if (auto to = t.Query("dateTo")) {
      std::optional<SimTime> at = to->size() == 10 ? ParseDateTime(*to) : std::nullopt;
      if (!at) return x.Fail(400, "FORMAT_ERROR", "dateTo must be a date YYYY-MM-DD");
      req.window_to = *at + kDay;  // inclusive day
    }
    if (req.window_from >= req.window_to) {
      return x.Fail(400, "PERIOD_INVALID", "dateFrom is after dateTo");
    }
  }
  mocks::ApiResponse r = x.bank.Fetch(req);
  if (r.status != 200) return Refusal(x, r, token_consent);

  Json out;
  if (category == Category::kAccounts) {
    out["accounts"] = Json::array({AccountJson(x.bank, req.subject, AccountKind::kChecking, true),
                                   AccountJson(x.bank, req.subject, AccountKind::kCard, true)});
    return x.Reply(200, out);
  }
  out["account"] = {{"resourceId", account_text}, {"currency", "EUR"}};
  if (category == Category::kBalance) {
    std::int64_t cents =
        account.kind == AccountKind::kCard ? r.balances.card_cents : r.balances.checking_cents;
    x.bank.NoteAmount(cents, account.customer, Category::kBalance);
    out["balances"] = Json::array(
        {{{"balanceAmount",
           {{"currency", "EUR"}, {"amount", (cents < 0 ? "-" : "") + FormatAmount(cents)}}},
          {"balanceType", "interimAvailable"},
          {"lastChangeDateTime", FormatDateTime(x.bank.Now())}}});
    return x.Reply(200, out);
  }
  Json booked = Json::array();
  if (account.kind == AccountKind::kCard) {
    for (const mocks::CardTransaction& tx : r.transactions) {
      // Spending is a debit: negative in Berlin Group's signed amounts.
      std::string amount = (tx.amount_cents > 0 ? "-" : "") + FormatAmount(tx.amount_cents);
      x.bank.NoteAmount(tx.amount_cents, account.customer, Category::kTransactions);
      booked.push_back({{"transactionId", TransactionId(account.customer, tx)},
                        {"bookingDate", FormatDate(tx.time)},
                        {"valueDate", FormatDate(tx.time)},
                        {"transactionAmount", {{"currency", "EUR"}, {"amount", amount}}},
                        {"remittanceInformationUnstructured",
                         mocks::kMerchantCategories[tx.merchant_category]}});
    }
  }
  out["transactions"]["booked"] = std::move(booked);
  out["transactions"]["pending"] = Json::array();
  out["transactions"]["_links"]["account"] = Href("/v1/accounts/" + account_text);
  return x.Reply(200, out);
}

}  // namespace

HttpResponse HandleBerlinGroup(const HttpRequest& request, LiveBank& bank, std::string* route) {
  Exchange x{request, bank};
  *route = "unknown";
  Target t = ParseTarget(request.target());
  const std::vector<std::string>& s = t.segments;
  const http::verb m = request.method();
  auto not_allowed = [&] {
    return x.Fail(405, "SERVICE_INVALID", "method not allowed on this resource");
  };
  auto unknown = [&] { return x.Fail(404, "RESOURCE_UNKNOWN", "no such resource"); };
  if (s.size() < 2 || s[0] != "v1") return unknown();

  if (s[1] == "consents") {
    if (s.size() == 2) {
      *route = "POST /v1/consents";
      return m == http::verb::post ? CreateConsent(x) : not_allowed();
    }
    std::optional<mocks::ConsentId> id = bank.FindConsent(s[2]);
    auto consent_unknown = [&] {
      return x.Fail(403, "CONSENT_UNKNOWN", "consent '" + s[2] + "' is unknown");
    };
    if (s.size() == 4 && s[3] == "status") {
      *route = "GET /v1/consents/{consentId}/status";
      if (m != http::verb::get) return not_allowed();
      if (!id) return consent_unknown();
      return x.Reply(200, Json{{"consentStatus", StatusOf(bank, *id)}});
    }
    if (s.size() != 3) return unknown();
    if (m == http::verb::get) {
      *route = "GET /v1/consents/{consentId}";
      if (!id) return consent_unknown();
      Json out = Json::parse(bank.ConsentRequest(*id));
      const mocks::Consent& c = bank.consent(*id);
      out["validUntil"] = FormatDate(c.expires_at - 1);
      out["lastActionDate"] = FormatDate(bank.Now());
      out["consentStatus"] = StatusOf(bank, *id);
      return x.Reply(200, out);
    }
    if (m == http::verb::delete_) {
      *route = "DELETE /v1/consents/{consentId}";
      if (!id) return consent_unknown();
      if (!bank.Terminate(*id) && !bank.TerminatedByTpp(*id)) {
        return x.Fail(401, "CONSENT_INVALID",
                      "consent " + s[2] + " is already " + StatusOf(bank, *id));
      }
      return x.Reply(204);
    }
    return not_allowed();
  }
  if (s[1] == "accounts") {
    if (s.size() == 2) {
      *route = "GET /v1/accounts";
      return m == http::verb::get ? DataRequest(x, Category::kAccounts, "") : not_allowed();
    }
    if (s.size() == 4 && (s[3] == "balances" || s[3] == "transactions")) {
      *route = "GET /v1/accounts/{account-id}/" + s[3];
      if (m != http::verb::get) return not_allowed();
      return DataRequest(x, s[3] == "balances" ? Category::kBalance : Category::kTransactions,
                         s[2]);
    }
  }
  return unknown();
}

}  // namespace bpsim::harness::live
