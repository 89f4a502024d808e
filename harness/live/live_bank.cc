#include "harness/live/live_bank.h"

#include <algorithm>
#include <cctype>
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
      errors_(world->env().Stream("live.errors", index)),
      uuids_(world->env().Stream("live.uuid", index)) {}

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

mocks::CustomerId LiveBank::AssignCustomer() {
  const mocks::Population& population = world_->population();
  for (std::uint32_t tried = 0; tried < population.size(); ++tried) {
    mocks::CustomerId c = next_assigned_;
    next_assigned_ = (next_assigned_ + 1) % population.size();
    if (population.at(c).bank == index_) return c;
  }
  return mocks::kNoSubject;  // a bank without customers
}

mocks::ConsentId LiveBank::CreateConsent(mocks::CustomerId customer, mocks::ScopeSet scopes,
                                         SimTime validity) {
  validity = std::min(validity, world_->spec().world.banks[index_].api.max_consent_life);
  mocks::PurposeSet purposes =
      hooks_ != nullptr ? hooks_->PurposesFor(customer, index_) : mocks::PurposeSet(mocks::kPurposeDisplay);
  mocks::ConsentId id = world_->consents().Create(customer, index_, scopes, purposes, validity);
  http_consents_.insert(id);
  if (hooks_ != nullptr) hooks_->OnConsentCreated(customer, index_, id);
  return id;
}

std::string LiveBank::ConsentText(mocks::ConsentId id) { return "consent-" + std::to_string(id); }

std::optional<mocks::ConsentId> LiveBank::FindConsent(std::string_view text) const {
  if (auto alias = aliases_.find(text); alias != aliases_.end()) return alias->second;
  constexpr std::string_view kPrefix = "consent-";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  mocks::ConsentId id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (http_consents_.count(id) == 0) return std::nullopt;
  return id;
}

AccountGrants LiveBank::Grants(mocks::ConsentId id) const {
  auto it = grants_.find(id);
  return it == grants_.end() ? AccountGrants() : it->second;
}

mocks::ScopeSet LiveBank::ScopesOn(mocks::ConsentId id, std::uint8_t kind_bit) const {
  auto it = grants_.find(id);
  if (it == grants_.end()) return mocks::kScopeAccounts | mocks::kScopeBalances | mocks::kScopeTransactions;
  const AccountGrants& g = it->second;
  mocks::ScopeSet s = 0;
  if (g.accounts & kind_bit) s |= mocks::kScopeAccounts;
  if (g.balances & kind_bit) s |= mocks::kScopeBalances;
  if (g.transactions & kind_bit) s |= mocks::kScopeTransactions;
  return s;
}

bool LiveBank::Decide(mocks::ConsentId id, bool approve) {
  mocks::ConsentStore& store = world_->consents();
  const mocks::Consent& c = store.Get(id);
  if (c.status != mocks::ConsentStatus::kAwaitingAuthorisation || Now() >= c.expires_at) {
    return false;
  }
  if (!approve) return store.Reject(id);
  Rng rng = world_->env().Stream("live.token", id);
  std::uint64_t secret = rng.Next() | (1ULL << 63);  // never 0, always 16 hex digits
  return store.Authorise(id, secret);
}

const char* ScaStatusName(ScaStatus s) {
  switch (s) {
    case ScaStatus::kReceived:
      return "received";
    case ScaStatus::kFinalised:
      return "finalised";
    case ScaStatus::kFailed:
      return "failed";
  }
  return "failed";
}

Authorisation& LiveBank::StartAuthorisation(mocks::ConsentId consent, std::string redirect_uri,
                                            std::string nok_redirect_uri) {
  Authorisation a;
  a.id = "auth-" + std::to_string(authorisations_.size() + 1);
  a.consent = consent;
  a.redirect_uri = std::move(redirect_uri);
  a.nok_redirect_uri = std::move(nok_redirect_uri);
  authorisations_.push_back(std::move(a));
  return authorisations_.back();
}

Authorisation* LiveBank::FindAuthorisation(std::string_view id) {
  constexpr std::string_view kPrefix = "auth-";
  if (id.substr(0, kPrefix.size()) != kPrefix) return nullptr;
  id.remove_prefix(kPrefix.size());
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || end != id.data() + id.size() || n == 0 ||
      n > authorisations_.size()) {
    return nullptr;
  }
  return &authorisations_[n - 1];
}

std::vector<std::string> LiveBank::AuthorisationsOf(mocks::ConsentId consent) const {
  std::vector<std::string> out;
  for (const Authorisation& a : authorisations_) {
    if (a.consent == consent) out.push_back(a.id);
  }
  return out;
}

std::string LiveBank::IssueClientToken() {
  Rng rng = world_->env().Stream("live.client_token", index_, ++next_client_token_);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng.Next()));
  std::string token = std::string("cc-") + hex;
  client_tokens_.insert(token);
  return token;
}

bool LiveBank::ClientTokenValid(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return false;
  authorization.remove_prefix(kBearer.size());
  return client_tokens_.count(std::string(authorization)) != 0;
}

std::string LiveBank::BaseUrl(const HttpRequest& request) const {
  if (!public_url_.empty()) return public_url_;
  auto host = request.find(http::field::host);
  if (host != request.end() && !host->value().empty()) {
    // Only what a host[:port] may hold: anything else (a forged or garbled Host) is
    // not put into links.
    bool ok = true;
    for (char c : host->value()) {
      ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
            c == '[' || c == ']';
    }
    if (ok) return "http://" + std::string(host->value());
  }
  return "http://" + local_address_;
}

std::string LiveBank::NewUuid() { return UuidFrom(uuids_); }

std::string LiveBank::UuidFrom(Rng& rng) {
  std::uint64_t hi = rng.Next(), lo = rng.Next();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                     // version 4
  lo = (lo & ~(3ULL << 62)) | (2ULL << 62);               // RFC 4122 variant
  // 8-4-4-4-12 lowercase hex digits of hi then lo (no printf: one per request when
  // the client sends no id).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
    const std::uint64_t word = i < 16 ? hi : lo;
    out[pos++] = kHex[(word >> (4 * (15 - i % 16))) & 0xF];
  }
  return out;
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

SimTime LiveBank::CodeLifetime() const {
  return std::max<SimTime>(10 * kMinute, static_cast<SimTime>(60 * time_scale_ * double(kSecond)));
}

std::string LiveBank::IssueCode(mocks::ConsentId id, SimTime lifetime, std::string redirect_uri) {
  Rng rng = world_->env().Stream("live.code", index_, ++next_code_);
  std::string code;
  if (dialect() == mocks::Dialect::kPlaid) {
    code = "public-sandbox-" + UuidFrom(rng);
  } else {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng.Next()));
    code = "ac-" + std::to_string(id) + "-" + hex;
  }
  codes_[code] = Code{id, Now() + lifetime, std::move(redirect_uri)};
  return code;
}

Result<mocks::ConsentId> LiveBank::RedeemCode(const std::string& code,
                                              const std::optional<std::string>& redirect_uri) {
  auto it = codes_.find(code);
  if (it == codes_.end()) return Error{"unknown or already used authorization code"};
  Code c = it->second;
  codes_.erase(it);  // a code can be exchanged once, whatever happens next
  const mocks::Consent& k = consent(c.consent);
  if (Now() >= c.expires_at) return Error{"the authorization code has expired"};
  if (!c.redirect_uri.empty() && redirect_uri != c.redirect_uri) {
    return Error{"redirect_uri must be the one the code was issued for: " + c.redirect_uri};
  }
  if (k.status != mocks::ConsentStatus::kAuthorised || k.token_secret == 0 || Expired(c.consent)) {
    return Error{"consent " + ConsentText(c.consent) + " is " + mocks::ConsentStatusName(k.status)};
  }
  return c.consent;
}

std::int64_t LiveBank::RetryAfterSeconds(SimTime delay) const {
  double wall_s = ToSeconds(delay) / time_scale_;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wall_s)));
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

std::size_t Target::Count(std::string_view key) const {
  std::size_t n = 0;
  for (const auto& kv : query) n += kv.first == key;
  return n;
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  // The runs between escapes (and '+' where it is a space) are copied whole: most
  // segments and values have no escape at all.
  std::string_view special = plus_is_space ? std::string_view("%+") : std::string_view("%");
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t at = std::min(text.find_first_of(special, i), text.size());
    out.append(text.data() + i, at - i);
    if (at == text.size()) break;
    const char c = text[at];
    if (c == '%' && at + 2 < text.size() && hex(text[at + 1]) >= 0 && hex(text[at + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[at + 1]) * 16 + hex(text[at + 2])));
      i = at + 3;
    } else {
      out.push_back(c == '+' ? ' ' : c);  // a '%' not followed by two hex digits stays
      i = at + 1;
    }
  }
  return out;
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
        t.query.emplace_back(
            PercentDecode(item.substr(0, eq), true),
            eq == std::string_view::npos ? "" : PercentDecode(item.substr(eq + 1), true));
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
    std::string_view segment = path.substr(0, slash);
    // Most segments have no escape: no decoding pass for them.
    if (segment.find('%') == std::string_view::npos) {
      t.segments.emplace_back(segment);
    } else {
      t.segments.push_back(PercentDecode(segment, false));
    }
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
