#include "harness/live/live_bank.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/live/canary.h"

namespace bpsim::harness::live {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;

LiveBank::LiveBank(mocks::World* world, mocks::BankIndex index, double time_scale)
    : world_(world),
      index_(index),
      time_scale_(time_scale > 0 ? time_scale : 1),
      errors_(world->env().Stream("live.errors", index)) {}

const std::string& LiveBank::id() const { return world_->spec().world.banks[index_].id; }

mocks::Dialect LiveBank::dialect() const { return world_->spec().world.banks[index_].api.dialect; }

std::optional<mocks::CustomerId> LiveBank::Customer(std::string_view number) const {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size() || number.empty()) {
    return std::nullopt;
  }
  if (value >= world_->population().size()) return std::nullopt;
  if (world_->population().at(value).bank != index_) return std::nullopt;
  return value;
}

mocks::ConsentId LiveBank::CreateConsent(mocks::CustomerId customer, mocks::ScopeSet scopes,
                                         SimTime validity) {
  mocks::PurposeSet purposes =
      hooks_ != nullptr ? hooks_->PurposesFor(customer, index_) : mocks::PurposeSet(mocks::kPurposeDisplay);
  mocks::ConsentId id = world_->consents().Create(customer, index_, scopes, purposes, validity);
  http_consents_.insert(id);
  if (hooks_ != nullptr) hooks_->OnConsentCreated(customer, index_, id);
  return id;
}

std::string LiveBank::ConsentText(mocks::ConsentId id) { return "consent-" + std::to_string(id); }

std::optional<mocks::ConsentId> LiveBank::FindConsent(std::string_view text) const {
  constexpr std::string_view kPrefix = "consent-";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  mocks::ConsentId id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (http_consents_.count(id) == 0) return std::nullopt;
  return id;
}

const mocks::Consent& LiveBank::consent(mocks::ConsentId id) const {
  return world_->consents().Get(id);
}

bool LiveBank::Expired(mocks::ConsentId id) const {
  const mocks::Consent& c = consent(id);
  return c.status == mocks::ConsentStatus::kExpired ||
         (c.status == mocks::ConsentStatus::kAuthorised && Now() >= c.expires_at);
}

const std::string& LiveBank::ConsentRequest(mocks::ConsentId id) const {
  static const std::string kEmpty = "{}";
  auto it = requests_.find(id);
  return it == requests_.end() ? kEmpty : it->second;
}

bool LiveBank::Terminate(mocks::ConsentId id) {
  mocks::ConsentStore& store = world_->consents();
  bool done = false;
  if (store.Get(id).status == mocks::ConsentStatus::kAuthorised) {
    done = store.Revoke(id, mocks::Via::kMessenger);
  } else if (store.Get(id).status == mocks::ConsentStatus::kAwaitingAuthorisation) {
    done = store.Reject(id);
  }
  if (done) terminated_.insert(id);
  return done;
}

std::pair<mocks::ConsentId, std::uint64_t> LiveBank::ParseBearer(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  constexpr std::string_view kPrefix = "consent-";
  if (header.substr(0, kBearer.size()) != kBearer) return {0, 0};
  header.remove_prefix(kBearer.size());
  if (header.substr(0, kPrefix.size()) != kPrefix) return {0, 0};
  header.remove_prefix(kPrefix.size());
  std::size_t dot = header.find('.');
  if (dot == std::string_view::npos) return {0, 0};
  mocks::ConsentId id = 0;
  std::uint64_t secret = 0;
  std::string_view id_text = header.substr(0, dot), secret_text = header.substr(dot + 1);
  auto r1 = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  auto r2 =
      std::from_chars(secret_text.data(), secret_text.data() + secret_text.size(), secret, 16);
  if (r1.ec != std::errc() || r1.ptr != id_text.data() + id_text.size() || r2.ec != std::errc() ||
      r2.ptr != secret_text.data() + secret_text.size() || secret_text.size() != 16) {
    return {0, 0};
  }
  return {id, secret};
}

mocks::ApiResponse LiveBank::Fetch(mocks::ApiRequest request) {
  request.request_id = kLiveRequestIdBase + ++next_request_;
  // The request as it left the client that plays the platform, so the invariants
  // that judge requests (revocation-honoured, data-minimisation, ...) see it, as
  // they see the simulated platform's. Only a request that names a consent of this
  // bank is one "under" a consent; one without a usable token is only refused.
  const mocks::ConsentStore& store = world_->consents();
  if (store.Exists(request.token_consent) && store.Get(request.token_consent).bank == index_) {
    mocks::TraceEntry e;
    e.type = mocks::EntryType::kApiRequest;
    e.from = mocks::kConnector;
    e.to = mocks::BankEndpoint(index_);
    e.subject = request.subject;
    e.bank = index_;
    e.consent = request.token_consent;
    e.categories = mocks::CategoryBit(request.category);
    e.ref = request.request_id;
    e.reason = static_cast<std::uint8_t>(mocks::RequestReason::kOnDemand);
    world_->env().Emit(e);
  }
  mocks::ApiResponse response;
  world_->bank(index_).Handle(request, errors_, &response);
  if (response.status == 200 && served_ != nullptr) {
    served_->NoteServed(request.subject, index_, response.consent);
  }
  return response;
}

void LiveBank::NoteAmount(std::int64_t cents, mocks::CustomerId c, mocks::Category category) {
  if (served_ != nullptr) served_->NoteAmount(FormatAmount(cents), c, category);
}

std::string LiveBank::AccessToken(mocks::ConsentId id, std::uint64_t secret) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(secret));
  return ConsentText(id) + "." + hex;
}

std::string LiveBank::IssueCode(mocks::ConsentId id, SimTime lifetime) {
  Rng rng = world_->env().Stream("live.code", index_, ++next_code_);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng.Next()));
  std::string code = "ac-" + std::to_string(id) + "-" + hex;
  codes_[code] = Code{id, Now() + lifetime};
  return code;
}

HttpResponse LiveBank::Token(const HttpRequest& request) {
  auto fail = [&](const char* error, const std::string& description) {
    Json body;
    body["error"] = error;
    body["error_description"] = description;
    HttpResponse res = Respond(request, 400, body.dump(), Now());
    res.set(http::field::cache_control, "no-store");
    return res;
  };
  // application/x-www-form-urlencoded: the same key=value&... as a query string.
  Target form = ParseTarget("?" + std::string(request.body()));
  std::optional<std::string> grant = form.Query("grant_type");
  if (!grant) return fail("invalid_request", "grant_type is required");
  if (*grant != "authorization_code") {
    return fail("unsupported_grant_type", "only grant_type=authorization_code is supported");
  }
  std::optional<std::string> code = form.Query("code");
  if (!code) return fail("invalid_request", "code is required");
  auto it = codes_.find(*code);
  if (it == codes_.end()) {
    return fail("invalid_grant", "unknown or already used authorization code");
  }
  Code c = it->second;
  codes_.erase(it);  // a code can be exchanged once, whatever happens next
  const mocks::Consent& k = consent(c.consent);
  if (Now() >= c.expires_at) return fail("invalid_grant", "the authorization code has expired");
  if (k.status != mocks::ConsentStatus::kAuthorised || k.token_secret == 0 || Expired(c.consent)) {
    return fail("invalid_grant", "consent " + ConsentText(c.consent) + " is " +
                                     mocks::ConsentStatusName(k.status));
  }
  Json body;
  body["access_token"] = AccessToken(c.consent, k.token_secret);
  body["token_type"] = "Bearer";
  body["expires_in"] = RetryAfterSeconds(k.expires_at - Now());
  body["consent_id"] = ConsentText(c.consent);
  HttpResponse res = Respond(request, 200, body.dump(), Now());
  res.set(http::field::cache_control, "no-store");
  return res;
}

std::int64_t LiveBank::RetryAfterSeconds(SimTime delay) const {
  double wall_s = ToSeconds(delay) / time_scale_;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wall_s)));
}

std::optional<HttpResponse> LiveBank::HandleTestEndpoint(const HttpRequest& request,
                                                         std::string* route) {
  Target t = ParseTarget(request.target());
  if (t.segments.size() == 1 && t.segments[0] == "token") {
    *route = "POST /token";
    if (request.method() != http::verb::post) {
      return Respond(request, 405, ServerErrorBody("method_not_allowed", "use POST /token"),
                     Now());
    }
    return Token(request);
  }
  if (t.segments.size() == 2 && t.segments[0] == "__bpsim" && t.segments[1] == "customers" &&
      request.method() == http::verb::get) {
    *route = "GET /__bpsim/customers";
    return ListCustomers(request, t);
  }
  if (t.segments.size() != 4 || t.segments[0] != "__bpsim" || t.segments[1] != "consents") {
    return std::nullopt;
  }
  const std::string& action = t.segments[3];
  if (action != "authorise" && action != "reject") return std::nullopt;
  *route = "POST /__bpsim/consents/{ConsentId}/" + action;
  auto error = [&](unsigned status, const std::string& code, const std::string& message) {
    return Respond(request, status, ServerErrorBody(code, message), Now());
  };
  if (request.method() != http::verb::post) {
    return error(405, "method_not_allowed", "use POST " + t.segments[3]);
  }
  std::optional<mocks::ConsentId> id = FindConsent(t.segments[2]);
  if (!id) return error(404, "consent_unknown", "no consent '" + t.segments[2] + "' at this bank");
  mocks::ConsentStore& store = world_->consents();
  const mocks::Consent& c = store.Get(*id);
  if (c.status != mocks::ConsentStatus::kAwaitingAuthorisation || Now() >= c.expires_at) {
    return error(
        409, "consent_not_awaiting_authorisation",
        "consent '" + t.segments[2] + "' is " + mocks::ConsentStatusName(c.status) +
            (c.status == mocks::ConsentStatus::kAwaitingAuthorisation ? " but past its expiry"
                                                                      : ""));
  }
  Json body;
  body["consent_id"] = ConsentText(*id);
  if (action == "authorise") {
    Rng rng = world_->env().Stream("live.token", *id);
    std::uint64_t secret = rng.Next() | (1ULL << 63);  // never 0, always 16 hex digits
    store.Authorise(*id, secret);
    body["access_token"] = AccessToken(*id, secret);
    body["token_type"] = "Bearer";
  } else {
    store.Reject(*id);
  }
  body["status"] = mocks::ConsentStatusName(store.Get(*id).status);
  return Respond(request, 200, body.dump(-1, ' ', false, Json::error_handler_t::replace), Now());
}

HttpResponse LiveBank::ListCustomers(const HttpRequest& request, const Target& target) const {
  std::uint32_t limit = 100;
  if (auto text = target.Query("limit")) {
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v == 0) {
      return Respond(
          request, 400,
          ServerErrorBody("bad_request", "limit must be a positive integer, got '" + *text + "'"),
          Now());
    }
    limit = v;
  }
  Json customers = Json::array();
  const mocks::Population& population = world_->population();
  for (mocks::CustomerId c = 0; c < population.size() && customers.size() < limit; ++c) {
    if (population.at(c).bank == index_) customers.push_back(c);
  }
  Json body;
  body["bank"] = id();
  body["customers"] = std::move(customers);
  return Respond(request, 200, body.dump(-1, ' ', false, Json::error_handler_t::replace), Now());
}

std::optional<std::string> Target::Query(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Target ParseTarget(std::string_view target) {
  Target t;
  std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      std::size_t amp = rest.find('&');
      std::string_view item = rest.substr(0, amp);
      std::size_t eq = item.find('=');
      if (!item.empty()) {
        t.query.emplace_back(std::string(item.substr(0, eq)),
                             eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1)));
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  while (!path.empty()) {
    if (path[0] == '/') {
      path.remove_prefix(1);
      continue;
    }
    std::size_t slash = path.find('/');
    t.segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return t;
}

HttpResponse Respond(const HttpRequest& request, unsigned status, std::string body, SimTime now) {
  HttpResponse res{static_cast<http::status>(status), request.version()};
  res.set(http::field::server, "bpsim");
  res.keep_alive(request.keep_alive());
  if (!body.empty()) res.set(http::field::content_type, "application/json");
  res.set("x-bpsim-sim-time", std::to_string(now));
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace bpsim::harness::live
