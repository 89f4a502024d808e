// The bank's authorisation server and the customer's pages (live_bank.h): the
// OAuth 2.0 token endpoint (client credentials, authorization code), OBIE's
// /authorize redirect, Berlin Group's scaRedirect page, and the direct test
// endpoints /__bpsim/consents/{id}/authorise|reject and /__bpsim/customers.
// docs/live-mode.md, "Consents and authorisation", walks through each with curl.

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "harness/live/live_bank.h"

namespace bpsim::harness::live {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string QueryEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// An absolute http(s) URL (what a redirect may go to).
bool AbsoluteHttpUrl(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.substr(0, scheme.size()) == scheme && url.size() > scheme.size()) return true;
  }
  return false;
}

// The claims of a JWT (header.payload.signature), not verified: bpsim signs and
// checks no signature (docs/live-mode.md). Null if it is not one.
Json JwtClaims(std::string_view jwt) {
  std::size_t a = jwt.find('.');
  std::size_t b = a == std::string_view::npos ? a : jwt.find('.', a + 1);
  if (b == std::string_view::npos) return Json();
  std::string payload(jwt.substr(a + 1, b - a - 1));
  for (char& c : payload) c = c == '-' ? '+' : c == '_' ? '/' : c;  // base64url -> base64
  while (payload.size() % 4 != 0) payload.push_back('=');
  std::string decoded(payload.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(payload.data()),
                          static_cast<int>(payload.size()));
  if (n < 0) return Json();
  std::size_t padding = payload.size() - payload.find_last_not_of('=') - 1;
  decoded.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(padding, std::size_t(n)));
  Json claims = Json::parse(decoded, nullptr, false);
  return claims.is_object() ? claims : Json();
}

// openbanking_intent_id from a request object: in claims.id_token or
// claims.userinfo ({"value": ID}), or at the top.
std::string IntentId(const Json& claims) {
  if (!claims.is_object()) return "";
  for (const char* where : {"id_token", "userinfo"}) {
    const Json* c = claims.contains("claims") ? &claims["claims"] : nullptr;
    if (c != nullptr && c->is_object() && c->contains(where) && (*c)[where].is_object()) {
      const Json& wanted = (*c)[where];
      if (wanted.contains("openbanking_intent_id") &&
          wanted["openbanking_intent_id"].is_object() &&
          wanted["openbanking_intent_id"].value("value", Json()).is_string()) {
        return wanted["openbanking_intent_id"]["value"].get<std::string>();
      }
    }
  }
  const Json& top = claims.value("openbanking_intent_id", Json());
  return top.is_string() ? top.get<std::string>() : "";
}

// What the test customer decides at the bank's page: ?decision=approve (default),
// reject or timeout (the customer never finishes).
enum class Decision { kApprove, kReject, kTimeout, kInvalid };
Decision DecisionOf(const Target& t) {
  std::optional<std::string> d = t.Query("decision");
  if (!d || *d == "approve") return Decision::kApprove;
  if (*d == "reject") return Decision::kReject;
  if (*d == "timeout") return Decision::kTimeout;
  return Decision::kInvalid;
}

const char* kDecisionHelp = "decision must be approve, reject or timeout";

}  // namespace

bool AcceptsJson(const HttpRequest& request) {
  auto accept = request.find(http::field::accept);
  if (accept == request.end()) return true;
  std::string_view rest = accept->value();
  if (rest.find_first_not_of(" \t") == std::string_view::npos) return true;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::size_t semi = item.find(';');
    std::string media(item.substr(0, semi));
    media.erase(std::remove_if(media.begin(), media.end(),
                               [](char c) { return c == ' ' || c == '\t'; }),
                media.end());
    for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (media != "application/json" && media != "application/*" && media != "*/*") continue;
    // q=0 refuses the type.
    std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi);
    std::size_t q = params.find("q=");
    if (q != std::string_view::npos) {
      std::string_view v = params.substr(q + 2);
      std::size_t end = v.find_first_not_of("0123456789.");
      v = v.substr(0, end);
      if (!v.empty() && v.find_first_not_of("0.") == std::string_view::npos) continue;
    }
    return true;
  }
  return false;
}

HttpResponse HtmlPage(const HttpRequest& request, unsigned status, const std::string& title,
                      const std::string& text, SimTime now) {
  HttpResponse res = Respond(request, status, "", now);
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.body() = "<!doctype html><html><head><title>" + HtmlEscape(title) +
               "</title></head><body><h1>" + HtmlEscape(title) + "</h1><p>" +
               HtmlEscape(text) + "</p></body></html>\n";
  res.prepare_payload();
  return res;
}

HttpResponse Redirect(const HttpRequest& request, const std::string& location, SimTime now) {
  HttpResponse res = Respond(request, 302, "", now);
  res.set(http::field::location, location);
  res.set(http::field::cache_control, "no-store");
  return res;
}

std::optional<HttpResponse> LiveBank::HandleTestEndpoint(const HttpRequest& request,
                                                         std::string* route) {
  // Cheap test first: every one of these paths starts with /__bpsim/, /token or
  // /authorize, and the data routes never do.
  std::string_view target = request.target();
  if (target.substr(0, 9) != "/__bpsim/" && target.substr(0, 6) != "/token" &&
      target.substr(0, 10) != "/authorize") {
    return std::nullopt;
  }
  Target t = ParseTarget(target);
  const http::verb m = request.method();
  auto wrong_method = [&](const char* use) {
    return Respond(request, 405, ServerErrorBody("method_not_allowed", std::string("use ") + use),
                   Now());
  };
  if (t.segments.size() == 1 && t.segments[0] == "token") {
    *route = "POST /token";
    return m == http::verb::post ? Token(request) : wrong_method("POST /token");
  }
  if (t.segments.size() == 1 && t.segments[0] == "authorize") {
    *route = "GET /authorize";
    return m == http::verb::get ? Authorize(request, t) : wrong_method("GET /authorize");
  }
  if (t.segments.size() < 2 || t.segments[0] != "__bpsim") return std::nullopt;
  if (t.segments.size() == 2 && t.segments[1] == "customers") {
    *route = "GET /__bpsim/customers";
    return m == http::verb::get ? ListCustomers(request, t) : wrong_method("GET");
  }
  if (t.segments.size() == 3 && t.segments[1] == "sca") {
    *route = "GET /__bpsim/sca/{authorisationId}";
    return m == http::verb::get ? ScaPage(request, t) : wrong_method("GET");
  }
  if (t.segments.size() == 4 && t.segments[1] == "consents" &&
      (t.segments[3] == "authorise" || t.segments[3] == "reject")) {
    *route = "POST /__bpsim/consents/{ConsentId}/" + t.segments[3];
    return m == http::verb::post ? TestDecision(request, t)
                                 : wrong_method(("POST " + t.segments[3]).c_str());
  }
  return std::nullopt;
}

HttpResponse LiveBank::TestDecision(const HttpRequest& request, const Target& t) {
  auto error = [&](unsigned status, const std::string& code, const std::string& message) {
    return Respond(request, status, ServerErrorBody(code, message), Now());
  };
  const std::string& action = t.segments[3];
  std::optional<mocks::ConsentId> id = FindConsent(t.segments[2]);
  if (!id) return error(404, "consent_unknown", "no consent '" + t.segments[2] + "' at this bank");
  const mocks::Consent& c = consent(*id);
  if (!Decide(*id, action == "authorise")) {
    return error(
        409, "consent_not_awaiting_authorisation",
        "consent '" + t.segments[2] + "' is " + mocks::ConsentStatusName(c.status) +
            (c.status == mocks::ConsentStatus::kAwaitingAuthorisation ? " but past its expiry"
                                                                      : ""));
  }
  Json body;
  body["consent_id"] = ConsentText(*id);
  if (action == "authorise" && dialect() == mocks::Dialect::kPlaid) {
    // Plaid: the public token Link would hand the platform, for
    // /item/public_token/exchange.
    body["public_token"] = IssueCode(*id, std::max<SimTime>(30 * kMinute, CodeLifetime()));
  } else if (action == "authorise") {
    body["access_token"] = AccessToken(*id, c.token_secret);
    body["token_type"] = "Bearer";
  }
  body["status"] = mocks::ConsentStatusName(c.status);
  return Respond(request, 200, body.dump(-1, ' ', false, Json::error_handler_t::replace), Now());
}

HttpResponse LiveBank::Token(const HttpRequest& request) {
  auto fail = [&](unsigned status, const char* error, const std::string& description) {
    Json body;
    body["error"] = error;
    body["error_description"] = description;
    HttpResponse res =
        Respond(request, status, body.dump(-1, ' ', false, Json::error_handler_t::replace), Now());
    res.set(http::field::cache_control, "no-store");
    return res;
  };
  auto ok = [&](const Json& body) {
    HttpResponse res = Respond(request, 200, body.dump(), Now());
    res.set(http::field::cache_control, "no-store");
    return res;
  };
  // application/x-www-form-urlencoded: the same key=value&... as a query string.
  Target form = ParseTarget("?" + std::string(request.body()));
  std::optional<std::string> grant = form.Query("grant_type");
  if (!grant) return fail(400, "invalid_request", "grant_type is required");
  if (*grant == "client_credentials") {
    // Any client is accepted (no client authentication is checked: docs/live-mode.md).
    Json body;
    body["access_token"] = IssueClientToken();
    body["token_type"] = "Bearer";
    body["scope"] = form.Query("scope").value_or("accounts");
    return ok(body);
  }
  if (*grant != "authorization_code") {
    return fail(400, "unsupported_grant_type",
                "grant_type must be authorization_code or client_credentials");
  }
  std::optional<std::string> code = form.Query("code");
  if (!code) return fail(400, "invalid_request", "code is required");
  Result<mocks::ConsentId> redeemed = RedeemCode(*code, form.Query("redirect_uri"));
  if (!redeemed.ok()) return fail(400, "invalid_grant", redeemed.error().message);
  const mocks::Consent& k = consent(*redeemed);
  Json body;
  body["access_token"] = AccessToken(*redeemed, k.token_secret);
  body["token_type"] = "Bearer";
  body["expires_in"] = RetryAfterSeconds(k.expires_at - Now());
  body["consent_id"] = ConsentText(*redeemed);
  return ok(body);
}

HttpResponse LiveBank::Authorize(const HttpRequest& request, const Target& t) {
  auto page = [&](unsigned status, const std::string& text) {
    return HtmlPage(request, status, "Authorisation failed", text, Now());
  };
  // Errors before the redirect URI is known good are shown, never redirected
  // (RFC 6749 4.1.2.1).
  std::optional<std::string> redirect_uri = t.Query("redirect_uri");
  if (!redirect_uri || !AbsoluteHttpUrl(*redirect_uri)) {
    return page(400, "redirect_uri is required and must be an absolute http(s) URL");
  }
  const std::string response_type = t.Query("response_type").value_or("");
  const bool fragment = response_type.find("id_token") != std::string::npos;
  const std::string state = t.Query("state").value_or("");
  auto back = [&](const std::string& params) {
    std::string location = *redirect_uri;
    location += fragment ? '#' : (location.find('?') == std::string::npos ? '?' : '&');
    location += params;
    if (!state.empty()) location += "&state=" + QueryEncode(state);
    return Redirect(request, location, Now());
  };
  auto refuse = [&](const char* error, const std::string& description) {
    return back(std::string("error=") + error + "&error_description=" + QueryEncode(description));
  };
  if (response_type.find("code") == std::string::npos) {
    return refuse("unsupported_response_type", "response_type must include code");
  }
  std::string intent = t.Query("openbanking_intent_id").value_or("");
  if (intent.empty()) {
    if (auto request_object = t.Query("request")) intent = IntentId(JwtClaims(*request_object));
  }
  if (intent.empty()) {
    return refuse("invalid_request",
                  "the consent id is required: the request object's openbanking_intent_id "
                  "claim, or openbanking_intent_id");
  }
  std::optional<mocks::ConsentId> id = FindConsent(intent);
  if (!id) return refuse("invalid_request", "no consent '" + intent + "' at this bank");
  Decision decision = DecisionOf(t);
  if (decision == Decision::kInvalid) return refuse("invalid_request", kDecisionHelp);
  if (decision == Decision::kTimeout) {
    return HtmlPage(request, 200, "Waiting for the customer",
                    "The customer did not finish logging in; consent " + intent +
                        " is still awaiting authorisation.",
                    Now());
  }
  if (!Decide(*id, decision == Decision::kApprove)) {
    return refuse("invalid_request", "consent " + intent + " is not awaiting authorisation");
  }
  if (decision == Decision::kReject) {
    return refuse("access_denied", "the customer rejected consent " + intent);
  }
  return back("code=" + QueryEncode(IssueCode(*id, CodeLifetime(), *redirect_uri)));
}

HttpResponse LiveBank::ScaPage(const HttpRequest& request, const Target& t) {
  Authorisation* a = FindAuthorisation(t.segments[2]);
  if (a == nullptr) {
    return HtmlPage(request, 404, "Unknown authorisation",
                    "There is no authorisation '" + t.segments[2] + "' at this bank.", Now());
  }
  if (a->status != ScaStatus::kReceived) {
    return HtmlPage(request, 409, "Authorisation already done",
                    "Authorisation " + a->id + " is " + ScaStatusName(a->status) + ".", Now());
  }
  Decision decision = DecisionOf(t);
  if (decision == Decision::kInvalid) {
    return HtmlPage(request, 400, "Bad decision", kDecisionHelp, Now());
  }
  const std::string consent_text = ConsentText(a->consent);
  bool approved = decision == Decision::kApprove && Decide(a->consent, true);
  if (!approved) Decide(a->consent, false);  // rejected, timed out, or no longer possible
  a->status = approved ? ScaStatus::kFinalised : ScaStatus::kFailed;
  if (decision == Decision::kTimeout) {
    return HtmlPage(request, 200, "Login timed out",
                    "The customer did not finish logging in; authorisation " + a->id +
                        " failed and consent " + consent_text + " was not granted.",
                    Now());
  }
  const std::string& uri =
      approved || a->nok_redirect_uri.empty() ? a->redirect_uri : a->nok_redirect_uri;
  if (!uri.empty()) return Redirect(request, uri, Now());
  return HtmlPage(request, 200, approved ? "Consent authorised" : "Consent not authorised",
                  "Consent " + consent_text + " is " +
                      mocks::ConsentStatusName(consent(a->consent).status) +
                      ". You may close this page.",
                  Now());
}

}  // namespace bpsim::harness::live
