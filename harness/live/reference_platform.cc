#include "harness/live/reference_platform.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/live/endpoints.h"
#include "harness/live/jws.h"
#include "harness/live/plaid.h"

namespace bpsim::harness::live {

namespace http = boost::beast::http;
using Json = nlohmann::json;
using mocks::Defect;

bool ReferencePlatformSupports(Defect d) {
  switch (d) {
    case Defect::kIgnoresRevocation:
    case Defect::kAdsUsesBankData:
    case Defect::kSharesWithPartner:
    case Defect::kGroupChatLeak:
    case Defect::kOverfetchScopes:
    case Defect::kDropsAlertsDuringOutage:
      return true;
    default:
      return false;
  }
}

Result<PlatformBank> MakePlatformBank(const std::string& id, const std::string& dialect,
                                      const std::string& url) {
  PlatformBank bank;
  bank.id = id;
  if (dialect == "obie") {
    bank.dialect = mocks::Dialect::kObie;
  } else if (dialect == "berlin-group") {
    bank.dialect = mocks::Dialect::kBerlinGroup;
  } else if (dialect == "plaid") {
    bank.dialect = mocks::Dialect::kPlaid;
  } else {
    return Error{"dialect '" + dialect + "' of bank '" + id +
                 "' is not obie, berlin-group or plaid"};
  }
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.error();
  bank.url = *parsed;
  return bank;
}

namespace {

HttpResponse JsonAnswer(const HttpRequest& request, unsigned status, const Json& body) {
  return MakeJsonResponse(request, status, body.dump());
}
HttpResponse BadRequest(const HttpRequest& request, const std::string& message) {
  return MakeJsonResponse(request, 400, ServerErrorBody("bad_request", message));
}


// The JSON object of a request body, or an error message.
Result<Json> ParseBody(const HttpRequest& request) {
  Json body = Json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Error{"the body must be a JSON object"};
  }
  return body;
}

// body[key] as a customer number, or nullopt.
std::optional<std::uint32_t> CustomerField(const Json& body, const char* key = "customer") {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_unsigned()) return std::nullopt;
  std::uint64_t v = it->get<std::uint64_t>();
  if (v > 0xfffffffeULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::string StringField(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> StringList(const Json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) return out;
  for (const Json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool Has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool Success(unsigned status) { return status >= 200 && status < 300; }

bool IsPlaid(const PlatformBank& b) { return b.dialect == mocks::Dialect::kPlaid; }

// What every call to a Plaid bank carries: the test credentials in Plaid's headers
// (as Plaid's client library sends them) and the API version.
std::vector<std::pair<std::string, std::string>> PlaidHeaders() {
  return {{"PLAID-CLIENT-ID", kPlaidClientId},
          {"PLAID-SECRET", kPlaidSecret},
          {"Plaid-Version", kPlaidApiVersion}};
}

// A Plaid amount (a JSON number) as the platform shows money: two decimals.
std::string Money(const Json& amount) {
  if (!amount.is_number()) return {};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", amount.get<double>());
  return buf;
}

// A Plaid error whose code means the Item can no longer be read for the platform
// (removed, revoked at the bank, expired, a token the bank no longer knows, a
// product outside the Item's consent) is the other dialects' refusal of a consent:
// the platform sees it as 403. Other answers keep their status.
unsigned PlaidVerdict(const ClientResponse& r) {
  if (Success(r.status)) return r.status;
  Json error = Json::parse(r.body, nullptr, false);
  const std::string code = error.is_object() ? StringField(error, "error_code") : std::string();
  for (const char* over : {"ITEM_NOT_FOUND", "USER_PERMISSION_REVOKED", "ITEM_LOGIN_REQUIRED",
                           "INVALID_ACCESS_TOKEN", "ADDITIONAL_CONSENT_REQUIRED"}) {
    if (code == over) return 403;
  }
  return r.status;
}

}  // namespace

ReferencePlatform::ReferencePlatform(PlatformOptions options) : options_(std::move(options)) {}

ReferencePlatform::~ReferencePlatform() { Stop(); }

Result<std::uint16_t> ReferencePlatform::Start() {
  endpoints_ready_.store(options_.endpoints_file.empty() || !options_.banks.empty());
  auto server = HttpServer::Start(options_.listen,
                                  [this](const HttpRequest& r) { return Handle(r); });
  if (!server.ok()) return server.error();
  server_ = std::move(server).value();
  started_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    threads_.emplace_back([this] { Worker(); });
  }
  if (options_.poll_every_seconds > 0) {
    threads_.emplace_back([this] {
      Every(options_.poll_every_seconds, [this] {
        if (endpoints_ready_.load()) EnqueuePolls();
      });
    });
  }
  if (options_.segment_every_seconds > 0) {
    threads_.emplace_back([this] {
      Every(options_.segment_every_seconds, [this] {
        if (endpoints_ready_.load()) Enqueue([this](HttpClient& http) { SegmentJob(http); });
      });
    });
  }
  return server_->port();
}

void ReferencePlatform::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (stopped_ || !started_) return;
  stopped_ = true;
  server_->Stop();
  {
    std::lock_guard<std::mutex> lock(jobs_mu_);
    stopping_ = true;
  }
  jobs_cv_.notify_all();
  poller_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

std::uint16_t ReferencePlatform::port() const { return server_ ? server_->port() : 0; }

ServerStats ReferencePlatform::server_stats() const {
  return server_ ? server_->stats() : ServerStats{};
}

std::uint32_t ReferencePlatform::max_connections() const {
  return server_ ? server_->max_connections() : 0;
}

PlatformCounters ReferencePlatform::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void ReferencePlatform::Enqueue(std::function<void(HttpClient&)> run, Clock::duration delay) {
  {
    std::lock_guard<std::mutex> lock(jobs_mu_);
    if (stopping_) return;
    jobs_.push(Job{Clock::now() + delay, job_seq_++, std::move(run)});
  }
  jobs_cv_.notify_one();
}

void ReferencePlatform::Worker() {
  HttpClient http;
  std::unique_lock<std::mutex> lock(jobs_mu_);
  while (!stopping_) {
    if (jobs_.empty()) {
      jobs_cv_.wait(lock);
      continue;
    }
    if (const Clock::time_point due = jobs_.top().due; due > Clock::now()) {
      // A copy: the queue may grow (and move its jobs) while this thread waits.
      jobs_cv_.wait_until(lock, due);
      continue;
    }
    Job job = jobs_.top();
    jobs_.pop();
    lock.unlock();
    job.run(http);
    lock.lock();
  }
}

void ReferencePlatform::Every(double seconds, std::function<void()> tick) {
  const auto every =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::unique_lock<std::mutex> lock(jobs_mu_);
  while (!stopping_) {
    if (poller_cv_.wait_for(lock, every, [this] { return stopping_; })) break;
    lock.unlock();
    tick();
    lock.lock();
  }
}

void ReferencePlatform::EnqueuePolls() {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> due;
  {
    std::lock_guard<std::mutex> state(mu_);
    for (const auto& [c, link] : customers_) {
      if (link.state == LinkState::kActive) due.emplace_back(c, link.generation);
    }
  }
  for (auto [c, generation] : due) {
    Enqueue([this, c = c, generation = generation](HttpClient& http) {
      Poll(http, c, generation);
    });
  }
}

HttpResponse ReferencePlatform::Handle(const HttpRequest& request) {
  const std::string_view target = request.target();
  struct Route {
    std::string_view path;
    HttpResponse (ReferencePlatform::*handler)(const HttpRequest&);
  };
  static constexpr Route kRoutes[] = {
      {"/v1/links", &ReferencePlatform::Links},
      {"/v1/link-callback", &ReferencePlatform::Callback},
      {"/v1/balance-requests", &ReferencePlatform::BalanceRequest},
      {"/v1/revocations", &ReferencePlatform::Revocation},
      {"/v1/webhooks", &ReferencePlatform::Webhook},
  };
  if (target == "/healthz") {
    if (request.method() != http::verb::get) {
      return MakeJsonResponse(request, 405, ServerErrorBody("method_not_allowed", "use GET"));
    }
    return JsonAnswer(request, 200, Json{{"status", "ok"}});
  }
  if (auto ready = LoadEndpoints(); !ready.ok() || !*ready) {
    HttpResponse r = MakeJsonResponse(
        request, 503,
        ServerErrorBody("no_banks_yet",
                        ready.ok() ? "waiting for " + options_.endpoints_file +
                                         " (bpsim serve writes it once its banks listen)"
                                   : ready.error().message));
    r.set(http::field::retry_after, "1");
    return r;
  }
  constexpr std::string_view kPlaidHooks = "/v1/plaid-webhooks/";
  if (target.substr(0, kPlaidHooks.size()) == kPlaidHooks) {
    if (request.method() != http::verb::post) {
      return MakeJsonResponse(request, 405, ServerErrorBody("method_not_allowed", "use POST"));
    }
    return PlaidWebhook(request);
  }
  for (const Route& r : kRoutes) {
    if (target != r.path) continue;
    if (request.method() != http::verb::post) {
      return MakeJsonResponse(request, 405, ServerErrorBody("method_not_allowed", "use POST"));
    }
    return (this->*r.handler)(request);
  }
  return MakeJsonResponse(request, 404,
                          ServerErrorBody("not_found", "no route " + std::string(target)));
}

Result<bool> ReferencePlatform::LoadEndpoints() {
  if (endpoints_ready_.load() || options_.endpoints_file.empty()) return true;
  std::lock_guard<std::mutex> lock(endpoints_mu_);
  if (endpoints_ready_.load()) return true;
  const std::string& file = options_.endpoints_file;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;  // not written yet (it appears whole: renamed into place)
  std::stringstream text;
  text << in.rdbuf();
  auto endpoints = ParseLiveEndpoints(text.str(), file);
  if (!endpoints.ok()) return endpoints.error();
  if (endpoints->messenger.empty()) {
    return Error{file + ": no messenger line (bpsim serve writes one with --platform)"};
  }
  std::vector<PlatformBank> banks;
  std::string names;
  for (const LiveEndpoints::Bank& b : endpoints->banks) {
    auto bank = MakePlatformBank(b.id, mocks::DialectName(b.dialect), b.url);
    if (!bank.ok()) return Error{file + ": " + bank.error().message};
    banks.push_back(std::move(bank).value());
    names += (names.empty() ? "" : ", ") + b.id + " (" + mocks::DialectName(b.dialect) + ") " + b.url;
  }
  auto messenger = ParseUrl(endpoints->messenger);
  if (!messenger.ok()) return Error{file + ": messenger: " + messenger.error().message};
  options_.banks = std::move(banks);
  options_.messenger = *messenger;
  endpoints_ready_.store(true);
  if (options_.on_endpoints) {
    options_.on_endpoints("platform: banks from " + file + ": " + names + "; messenger " +
                          endpoints->messenger);
  }
  return true;
}

HttpResponse ReferencePlatform::Links(const HttpRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(request, body.error().message);
  auto customer = CustomerField(*body);
  const std::string bank_id = StringField(*body, "bank");
  auto bank = std::find_if(options_.banks.begin(), options_.banks.end(),
                           [&](const PlatformBank& b) { return b.id == bank_id; });
  if (!customer) return BadRequest(request, "customer must be a customer number");
  if (bank == options_.banks.end()) {
    return BadRequest(request, "bank '" + bank_id + "' is not one of this platform's banks");
  }
  std::vector<std::string> scopes = StringList(*body, "scopes");
  if (scopes.empty()) return BadRequest(request, "scopes must be a non-empty list");
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Customer& link = customers_[*customer];
    link.bank = static_cast<std::size_t>(bank - options_.banks.begin());
    link.state = LinkState::kPending;
    generation = ++link.generation;
    link.consent_id.clear();
    link.token.clear();
    held_.erase(*customer);
    link.scopes = std::move(scopes);
    link.purposes = StringList(*body, "purposes");
    ++counters_.links_requested;
  }
  Enqueue([this, c = *customer, generation,
           until = StringField(*body, "valid_until")](HttpClient& http) {
    CreateConsent(http, c, generation, until);
  });
  return JsonAnswer(request, 202, Json{{"accepted", true}});
}

HttpResponse ReferencePlatform::Callback(const HttpRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(request, body.error().message);
  auto customer = CustomerField(*body);
  const std::string consent_id = StringField(*body, "consent_id");
  const std::string code = StringField(*body, "code");
  if (!customer || consent_id.empty()) {
    return BadRequest(request, "customer and consent_id are required");
  }
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(*customer);
    if (it == customers_.end() || it->second.state != LinkState::kPending ||
        (!it->second.consent_id.empty() && it->second.consent_id != consent_id)) {
      return MakeJsonResponse(
          request, 409,
          ServerErrorBody("unexpected_callback", "no link of customer " +
                                                     std::to_string(*customer) +
                                                     " is waiting for " + consent_id));
    }
    Customer& link = it->second;
    link.consent_id = consent_id;
    if (code.empty()) {  // the customer declined (error=access_denied) or no code
      link.state = LinkState::kNone;
      ++link.generation;
      return JsonAnswer(request, 200, Json{{"accepted", true}});
    }
    generation = link.generation;
  }
  Enqueue([this, c = *customer, generation, code](HttpClient& http) {
    ExchangeCode(http, c, generation, code);
  });
  return JsonAnswer(request, 202, Json{{"accepted", true}});
}

HttpResponse ReferencePlatform::BalanceRequest(const HttpRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(request, body.error().message);
  auto customer = CustomerField(*body);
  auto check = body->find("check");
  const std::string chat = StringField(*body, "chat");
  if (!customer || check == body->end() || !check->is_number_integer() ||
      (chat != "private" && chat != "group")) {
    return BadRequest(request, "customer, check and chat (private or group) are required");
  }
  const bool in_group = chat == "group";
  std::int64_t group = -1;
  if (in_group) {
    auto g = body->find("group");
    if (g == body->end() || !g->is_number_unsigned()) {
      return BadRequest(request, "group is required when chat is group");
    }
    group = g->get<std::int64_t>();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.balance_requests;
  }
  Enqueue([this, c = *customer, k = check->get<std::int64_t>(), in_group,
           group](HttpClient& http) { Answer(http, c, k, in_group, group); });
  return JsonAnswer(request, 202, Json{{"accepted", true}});
}

HttpResponse ReferencePlatform::Revocation(const HttpRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(request, body.error().message);
  auto customer = CustomerField(*body);
  if (!customer) return BadRequest(request, "customer must be a customer number");
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.revocations;
  auto it = customers_.find(*customer);
  if (it != customers_.end() &&
      (it->second.state == LinkState::kActive || it->second.state == LinkState::kPending)) {
    ConsentEndedLocked(*customer);
    const Customer& link = it->second;
    if (!link.consent_id.empty()) {
      Enqueue([this, bank = link.bank, id = link.consent_id, token = link.token](HttpClient& http) {
        DeleteConsent(http, bank, id, token);
      });
    }
  }
  return JsonAnswer(request, 202, Json{{"accepted", true}});
}

HttpResponse ReferencePlatform::Webhook(const HttpRequest& request) {
  auto signature = request.find("X-Bpsim-Signature");
  const std::string expected = "sha256=" + HmacSha256Hex(options_.webhook_secret, request.body());
  if (signature == request.end() || !ConstantTimeEquals(signature->value(), expected)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.webhooks_bad_signature;
    return MakeJsonResponse(request, 401,
                            ServerErrorBody("bad_signature",
                                            "X-Bpsim-Signature does not verify"));
  }
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(request, body.error().message);
  const std::string type = StringField(*body, "type");
  auto customer = CustomerField(*body);
  if (!customer) return BadRequest(request, "customer must be a customer number");
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.webhooks;
  if (type == "consent_revoked") {
    auto it = customers_.find(*customer);
    if (it != customers_.end() && it->second.consent_id == StringField(*body, "consent_id") &&
        it->second.state != LinkState::kEnded) {
      ConsentEndedLocked(*customer);
    }
    return JsonAnswer(request, 200, Json{{"accepted", true}});
  }
  if (type != "fraud_alert") {
    return BadRequest(request, "type must be fraud_alert or consent_revoked");
  }
  const std::string alert_id = StringField(*body, "alert_id");
  if (alert_id.empty()) return BadRequest(request, "alert_id is required");
  if (!alerts_seen_.insert(alert_id).second) {
    ++counters_.alerts_duplicate;
    return JsonAnswer(request, 200, Json{{"accepted", true}, {"duplicate", true}});
  }
  const Json tx = body->value("transaction", Json::object());
  std::string text = "Fraud alert from " + StringField(*body, "bank") + ": a card payment";
  if (tx.is_object()) {
    text += " of " + tx.value("amount", std::string("?")) + " " +
            tx.value("currency", std::string()) + " (" + tx.value("id", std::string("?")) +
            ") on account " + tx.value("account_id", std::string("?"));
  }
  text += " looks suspicious. If it was not you, freeze your card in your bank's app.";
  Json message = {{"text", text}, {"alert_id", alert_id}};
  Enqueue([this, c = *customer, m = message.dump()](HttpClient& http) {
    DeliverAlert(http, c, m, 0);
  });
  return JsonAnswer(request, 200, Json{{"accepted", true}});
}

std::string ReferencePlatform::PlaidWebhookUrl(std::size_t bank) const {
  std::string host = options_.listen.address;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port()) + "/v1/plaid-webhooks/" +
         options_.banks[bank].id;
}

Result<std::string> ReferencePlatform::VerifyPlaid(std::size_t bank, std::string_view jwt,
                                                   std::string_view body) {
  auto kid = JwtKid(jwt);
  if (!kid.ok()) return kid.error();
  std::string jwk;
  {
    // Plaid's documentation: take the key id from the JWT's header, fetch that key
    // with /webhook_verification_key/get and cache it.
    std::lock_guard<std::mutex> lock(keys_mu_);
    auto cached = plaid_keys_.find({bank, *kid});
    if (cached != plaid_keys_.end()) {
      jwk = cached->second;
    } else {
      if (key_http_ == nullptr) key_http_ = std::make_unique<HttpClient>();
      const PlatformBank& b = options_.banks[bank];
      auto r = key_http_->Send(b.url, "POST", b.url.path + "/webhook_verification_key/get",
                               PlaidHeaders(), Json{{"key_id", *kid}}.dump());
      Json answer = r.ok() && r->status == 200 ? Json::parse(r->body, nullptr, false) : Json();
      if (!answer.is_object() || !answer.contains("key") || !answer["key"].is_object()) {
        return Error{"no verification key '" + *kid + "' at " + b.id + ": " +
                     (r.ok() ? "HTTP " + std::to_string(r->status) : r.error().message)};
      }
      if (!answer["key"].value("expired_at", Json()).is_null()) {
        return Error{"verification key '" + *kid + "' has expired"};
      }
      jwk = answer["key"].dump();
      plaid_keys_[{bank, *kid}] = jwk;
    }
  }
  auto claims_text = VerifyEs256Jwt(jwt, jwk);
  if (!claims_text.ok()) return claims_text.error();
  Json claims = Json::parse(*claims_text, nullptr, false);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (!claims.is_object() || !claims.contains("iat") || !claims["iat"].is_number_integer()) {
    return Error{"the JWT has no iat"};
  }
  // Not older than 5 minutes (and not from the future beyond that clock skew).
  if (std::llabs(now - claims["iat"].get<long long>()) > 300) {
    return Error{"the JWT was not issued within the last 5 minutes"};
  }
  if (!ConstantTimeEquals(StringField(claims, "request_body_sha256"), Sha256Hex(body))) {
    return Error{"the body's SHA-256 is not the JWT's request_body_sha256"};
  }
  return claims_text;
}

HttpResponse ReferencePlatform::PlaidWebhook(const HttpRequest& request) {
  const std::string_view target = request.target();
  const std::string bank_id(target.substr(target.rfind('/') + 1));
  auto bank = std::find_if(options_.banks.begin(), options_.banks.end(), [&](const PlatformBank& b) {
    return b.id == bank_id && IsPlaid(b);
  });
  if (bank == options_.banks.end()) {
    return MakeJsonResponse(request, 404,
                            ServerErrorBody("not_found", "bank '" + bank_id +
                                                             "' is not a Plaid bank of this platform"));
  }
  const std::size_t index = static_cast<std::size_t>(bank - options_.banks.begin());
  auto header = request.find("Plaid-Verification");
  Result<std::string> verified =
      header == request.end()
          ? Result<std::string>(Error{"there is no Plaid-Verification header"})
          : VerifyPlaid(index, std::string_view(header->value().data(), header->value().size()),
                        request.body());
  if (!verified.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.webhooks_bad_signature;
    return MakeJsonResponse(request, 401,
                            ServerErrorBody("bad_signature", "Plaid-Verification does not verify: " +
                                                                 verified.error().message));
  }
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(request, body.error().message);
  const std::string type = StringField(*body, "webhook_type");
  const std::string code = StringField(*body, "webhook_code");
  const std::string item = StringField(*body, "item_id");
  if (type.empty() || code.empty() || item.empty()) {
    return BadRequest(request, "webhook_type, webhook_code and item_id are required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.webhooks;
  // The link of this Item; a webhook of an Item the platform no longer uses is
  // accepted and ignored (Plaid retries what is not accepted).
  auto link = std::find_if(customers_.begin(), customers_.end(), [&](const auto& entry) {
    return entry.second.bank == index && entry.second.consent_id == item &&
           entry.second.state == LinkState::kActive;
  });
  if (link == customers_.end()) return JsonAnswer(request, 200, Json{{"accepted", true}});
  const std::uint32_t customer = link->first;
  const std::uint64_t generation = link->second.generation;
  const Json error = body->value("error", Json::object());
  if (type == "TRANSACTIONS" && code == "SYNC_UPDATES_AVAILABLE") {
    Enqueue([this, customer, generation](HttpClient& http) {
      (void)FetchSpending(http, customer, generation);
    });
  } else if (type == "ITEM" &&
             (code == "USER_PERMISSION_REVOKED" ||
              (code == "ERROR" && error.is_object() &&
               StringField(error, "error_code") == "ITEM_LOGIN_REQUIRED"))) {
    // Revoked at the bank, or expired (update mode is not modelled: the customer
    // links again): the link ends and what the platform holds of it is dropped.
    ConsentEndedLocked(customer);
  } else if (type == "ITEM" && code == "PENDING_EXPIRATION") {
    // Plaid asks the platform to send the customer back through Link before the
    // consent expires: the customer is told in their private chat (no bank data).
    ++counters_.expiry_notices;
    const std::string text = "Your link to " + bank_id + " expires on " +
                             StringField(*body, "consent_expiration_time").substr(0, 10) +
                             "; link it again in the messenger to keep seeing your balance.";
    Enqueue([this, customer, m = Json{{"text", text}}.dump()](HttpClient& http) {
      PostMessenger(http, "/v1/chats/" + std::to_string(customer) + "/messages", m);
    });
  }
  return JsonAnswer(request, 200, Json{{"accepted", true}});
}

// A fresh X-Request-ID for a Berlin Group call (a UUID, as the standard requires).
static std::string RequestUuid() {
  static std::atomic<std::uint64_t> next{0};
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(++next & 0xFFFFFFFFFFFFULL));
  return buf;
}

Result<ClientResponse> ReferencePlatform::CallBank(HttpClient& http, std::size_t bank,
                                                   std::string_view method,
                                                   const std::string& path, const Customer& link,
                                                   std::string_view body) {
  const PlatformBank& b = options_.banks[bank];
  std::vector<std::pair<std::string, std::string>> headers;
  if (!link.token.empty()) headers.emplace_back("Authorization", "Bearer " + link.token);
  if (b.dialect == mocks::Dialect::kBerlinGroup) {
    headers.emplace_back("X-Request-ID", RequestUuid());
    if (!link.consent_id.empty()) headers.emplace_back("Consent-ID", link.consent_id);
  }
  if (b.dialect == mocks::Dialect::kObie) headers.emplace_back("x-fapi-financial-id", "bpsim");
  if (IsPlaid(b)) headers = PlaidHeaders();  // the access token is in the body
  auto r = http.Send(b.url, method, b.url.path + path, headers, body);
  if (r.ok() && IsPlaid(b)) r.value().status = PlaidVerdict(*r);
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.bank_calls;
  if (!r.ok() || !Success(r->status)) ++counters_.bank_failures;
  return r;
}

void ReferencePlatform::CreateConsent(HttpClient& http, std::uint32_t customer,
                                      std::uint64_t generation, std::string valid_until) {
  Customer link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(customer);
    if (it == customers_.end() || it->second.generation != generation) return;
    link = it->second;
  }
  const PlatformBank& bank = options_.banks[link.bank];
  std::vector<std::pair<std::string, std::string>> headers;
  Json request;
  std::string path;
  if (bank.dialect == mocks::Dialect::kObie) {
    Json permissions = Json::array();
    if (Has(link.scopes, "accounts")) {
      permissions.push_back("ReadAccountsBasic");
      permissions.push_back("ReadAccountsDetail");
    }
    if (Has(link.scopes, "balances")) permissions.push_back("ReadBalances");
    if (Has(link.scopes, "transactions")) {
      permissions.push_back("ReadTransactionsBasic");
      permissions.push_back("ReadTransactionsDetail");
    }
    request["Data"]["Permissions"] = permissions;
    if (!valid_until.empty()) request["Data"]["ExpirationDateTime"] = valid_until;
    request["Risk"] = Json::object();
    headers.emplace_back("x-bpsim-psu-id", std::to_string(customer));
    headers.emplace_back("x-fapi-financial-id", "bpsim");
    // OBIE's consent endpoint wants a client-credentials token of the bank.
    auto cc = http.Send(bank.url, "POST", "/token", {}, "grant_type=client_credentials&scope=accounts",
                        "application/x-www-form-urlencoded");
    if (cc.ok() && cc->status == 200) {
      Json answer = Json::parse(cc->body, nullptr, false);
      if (answer.is_object()) headers.emplace_back("Authorization", "Bearer " + StringField(answer, "access_token"));
    }
    path = bank.url.path + "/account-access-consents";
  } else if (IsPlaid(bank)) {
    // Plaid: a link token for the customer (user.client_user_id names the test
    // customer), with this platform's webhook URL for the Item; the Item's id comes
    // with the link callback, its access token from exchanging the public token.
    request = {{"client_name", "bpsim platform"},
               {"language", "en"},
               {"country_codes", Json::array({"US"})},
               {"user", {{"client_user_id", std::to_string(customer)}}},
               {"products", Json::array({Has(link.scopes, "transactions") ? "transactions"
                                                                          : "balance"})},
               {"webhook", PlaidWebhookUrl(link.bank)}};
    headers = PlaidHeaders();
    path = bank.url.path + "/link/token/create";
  } else {
    Json access = Json::object();
    for (const char* scope : {"accounts", "balances", "transactions"}) {
      if (Has(link.scopes, scope)) access[scope] = Json::array();
    }
    request["access"] = access;
    request["recurringIndicator"] = true;
    if (valid_until.size() >= 10) request["validUntil"] = valid_until.substr(0, 10);
    request["frequencyPerDay"] = 100;
    request["combinedServiceIndicator"] = false;
    headers.emplace_back("PSU-ID", std::to_string(customer));
    headers.emplace_back("X-Request-ID", RequestUuid());
    headers.emplace_back("PSU-IP-Address", "127.0.0.1");
    path = bank.url.path + "/v1/consents";
  }
  auto r = http.Send(bank.url, "POST", path, headers, request.dump());
  std::string consent_id;
  bool created = false;
  if (r.ok() && r->status == (IsPlaid(bank) ? 200 : 201)) {
    Json answer = Json::parse(r->body, nullptr, false);
    if (IsPlaid(bank)) {
      created = answer.is_object() && !StringField(answer, "link_token").empty();
    } else if (bank.dialect == mocks::Dialect::kObie) {
      if (answer.is_object() && answer.contains("Data") && answer["Data"].is_object()) {
        consent_id = StringField(answer["Data"], "ConsentId");
      }
    } else if (answer.is_object()) {
      consent_id = StringField(answer, "consentId");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.bank_calls;
  auto it = customers_.find(customer);
  if (!created && consent_id.empty()) {
    ++counters_.bank_failures;
    std::fprintf(stderr, "platform: consent for customer %u at %s failed: %s\n", customer,
                 bank.id.c_str(),
                 r.ok() ? ("HTTP " + std::to_string(r->status) + " " + r->body).c_str()
                        : r.error().message.c_str());
    if (it != customers_.end() && it->second.generation == generation) {
      it->second.state = LinkState::kNone;
    }
    return;
  }
  ++counters_.consents_created;
  if (it != customers_.end() && it->second.generation == generation &&
      it->second.consent_id.empty() && !consent_id.empty()) {
    it->second.consent_id = consent_id;
  }
}

void ReferencePlatform::ExchangeCode(HttpClient& http, std::uint32_t customer,
                                     std::uint64_t generation, std::string code) {
  std::size_t bank;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(customer);
    if (it == customers_.end() || it->second.generation != generation) return;
    bank = it->second.bank;
  }
  // The code is exchanged for the consent's access token: OAuth's token endpoint on
  // the listener's root, or Plaid's public token exchange (the same answer field).
  const PlatformBank& b = options_.banks[bank];
  auto r = IsPlaid(b) ? http.Send(b.url, "POST", b.url.path + "/item/public_token/exchange",
                                  PlaidHeaders(), Json{{"public_token", code}}.dump())
                      : http.Send(b.url, "POST", "/token", {},
                                  "grant_type=authorization_code&code=" + code,
                                  "application/x-www-form-urlencoded");
  std::string token;
  if (r.ok() && r->status == 200) {
    Json answer = Json::parse(r->body, nullptr, false);
    if (answer.is_object()) token = StringField(answer, "access_token");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.bank_calls;
    auto it = customers_.find(customer);
    if (token.empty()) {
      ++counters_.bank_failures;
      if (it != customers_.end() && it->second.generation == generation) {
        it->second.state = LinkState::kNone;
      }
      return;
    }
    if (it == customers_.end() || it->second.generation != generation) return;
    it->second.token = token;
    it->second.state = LinkState::kActive;
    ++counters_.tokens;
  }
  // A fresh link is shown at once: fetch the balance now.
  Poll(http, customer, generation);
}

namespace {

// The id of the account of the kind wanted in an accounts list: the current
// account (OBIE CurrentAccount, Berlin Group CACC) or the card (CreditCard, CARD).
std::string AccountOfKind(const Json& answer, bool obie, bool card) {
  const Json* list = nullptr;
  if (obie && answer.is_object() && answer.contains("Data") && answer["Data"].is_object() &&
      answer["Data"].contains("Account")) {
    list = &answer["Data"]["Account"];
  } else if (!obie && answer.is_object() && answer.contains("accounts")) {
    list = &answer["accounts"];
  }
  if (list == nullptr || !list->is_array()) return {};
  for (const Json& a : *list) {
    const std::string type = StringField(a, obie ? "AccountSubType" : "cashAccountType");
    const bool is_card = obie ? type == "CreditCard" : type == "CARD";
    if (is_card == card) return StringField(a, obie ? "AccountId" : "resourceId");
  }
  return {};
}

// A Plaid /accounts/balance/get answer: the checking account's id and its current
// balance (`balance`), and the card account's id.
void PlaidBalance(const Json& answer, std::string* account, std::string* card,
                  std::string* amount, std::string* currency) {
  if (!answer.is_object() || !answer.contains("accounts") || !answer["accounts"].is_array()) {
    return;
  }
  for (const Json& a : answer["accounts"]) {
    const std::string type = StringField(a, "type");
    if (type == "credit") *card = StringField(a, "account_id");
    if (type != "depository" || !a.contains("balances") || !a["balances"].is_object()) continue;
    *account = StringField(a, "account_id");
    *amount = Money(a["balances"].value("current", Json()));
    *currency = StringField(a["balances"], "iso_currency_code");
  }
}

}  // namespace

ReferencePlatform::Fetched ReferencePlatform::FetchBalance(HttpClient& http,
                                                           std::uint32_t customer,
                                                           std::uint64_t generation) {
  Fetched out;
  Customer link;
  std::string account, card;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(customer);
    if (it == customers_.end() || it->second.generation != generation ||
        it->second.state != LinkState::kActive) {
      return out;
    }
    link = it->second;
    if (auto h = held_.find(customer); h != held_.end()) {
      account = h->second.account;
      card = h->second.card_account;
    }
  }
  const bool obie = options_.banks[link.bank].dialect == mocks::Dialect::kObie;
  const bool plaid = IsPlaid(options_.banks[link.bank]);
  if (account.empty() && !plaid) {  // Plaid lists the accounts with their balances
    auto r = CallBank(http, link.bank, "GET", obie ? "/accounts" : "/v1/accounts", link);
    if (!r.ok() || r->status != 200) {
      out.status = r.ok() ? r->status : 0;
      return out;
    }
    Json answer = Json::parse(r->body, nullptr, false);
    account = AccountOfKind(answer, obie, false);
    card = AccountOfKind(answer, obie, true);
    if (account.empty()) return out;
    if (!obie) {  // Berlin Group lists card accounts apart
      auto cards = CallBank(http, link.bank, "GET", "/v1/card-accounts", link);
      if (cards.ok() && cards->status == 200) {
        Json listed = Json::parse(cards->body, nullptr, false);
        if (listed.is_object() && listed.contains("cardAccounts") &&
            listed["cardAccounts"].is_array() && !listed["cardAccounts"].empty()) {
          card = StringField(listed["cardAccounts"][0], "resourceId");
        }
      }
    }
  }
  auto r = plaid ? CallBank(http, link.bank, "POST", "/accounts/balance/get", link,
                           Json{{"access_token", link.token}}.dump())
                 : CallBank(http, link.bank, "GET",
                            (obie ? "/accounts/" : "/v1/accounts/") + account + "/balances", link);
  if (!r.ok()) return out;
  out.status = r->status;
  if (r->status != 200) return out;
  Json answer = Json::parse(r->body, nullptr, false);
  Balance balance;
  balance.fetched_at = Clock::now();
  if (plaid) PlaidBalance(answer, &account, &card, &balance.amount, &balance.currency);
  balance.account = account;
  if (obie && answer.is_object() && answer.contains("Data") &&
      answer["Data"].contains("Balance") && answer["Data"]["Balance"].is_array() &&
      !answer["Data"]["Balance"].empty()) {
    const Json& amount = answer["Data"]["Balance"][0].value("Amount", Json::object());
    balance.amount = StringField(amount, "Amount");
    balance.currency = StringField(amount, "Currency");
  } else if (!obie && !plaid && answer.is_object() && answer.contains("balances") &&
             answer["balances"].is_array() && !answer["balances"].empty()) {
    const Json& amount = answer["balances"][0].value("balanceAmount", Json::object());
    balance.amount = StringField(amount, "amount");
    balance.currency = StringField(amount, "currency");
  }
  if (balance.amount.empty()) {
    out.status = 0;
    return out;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(customer);
    if (it != customers_.end() && it->second.generation == generation) {
      Held& held = held_[customer];
      held.account = account;
      held.card_account = card;
      held.balance = balance;
    }
  }
  out.balance = std::move(balance);
  return out;
}

unsigned ReferencePlatform::FetchSpending(HttpClient& http, std::uint32_t customer,
                                          std::uint64_t generation) {
  Customer link;
  std::string card;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(customer);
    auto h = held_.find(customer);
    if (it == customers_.end() || it->second.generation != generation ||
        it->second.state != LinkState::kActive || h == held_.end()) {
      return 0;
    }
    link = it->second;
    card = h->second.card_account;
  }
  // platform.overfetch_scopes: spending is fetched whatever the consent's scopes.
  if (card.empty() ||
      (!Has(link.scopes, "transactions") && !options_.defects.has(Defect::kOverfetchScopes))) {
    return 0;
  }
  if (IsPlaid(options_.banks[link.bank])) return SyncSpending(http, customer, generation, link);
  const bool obie = options_.banks[link.bank].dialect == mocks::Dialect::kObie;
  auto r = CallBank(http, link.bank, "GET",
                    obie ? "/accounts/" + card + "/transactions"
                         : "/v1/card-accounts/" + card + "/transactions?bookingStatus=booked",
                    link);
  if (!r.ok() || r->status != 200) return r.ok() ? r->status : 0;
  Json answer = Json::parse(r->body, nullptr, false);
  const Json* list = nullptr;
  if (obie && answer.is_object() && answer.contains("Data") && answer["Data"].is_object() &&
      answer["Data"].contains("Transaction")) {
    list = &answer["Data"]["Transaction"];
  } else if (!obie && answer.is_object() && answer.contains("cardTransactions") &&
             answer["cardTransactions"].is_object() &&
             answer["cardTransactions"].contains("booked")) {
    list = &answer["cardTransactions"]["booked"];
  }
  std::vector<Spend> spending;
  if (list != nullptr && list->is_array()) {
    for (const Json& t : *list) {
      const Json amount = t.value(obie ? "Amount" : "transactionAmount", Json::object());
      spending.push_back({StringField(t, obie ? "TransactionId" : "cardTransactionId"),
                          StringField(amount, obie ? "Amount" : "amount"),
                          StringField(amount, obie ? "Currency" : "currency")});
    }
  }
  // The last few are enough for a feature (the list is in the bank's order).
  constexpr std::size_t kKept = 20;
  if (spending.size() > kKept) {
    spending.erase(spending.begin(), spending.end() - std::ptrdiff_t(kKept));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = customers_.find(customer);
  if (it != customers_.end() && it->second.generation == generation) {
    held_[customer].spending = std::move(spending);
  }
  return 200;
}

unsigned ReferencePlatform::SyncSpending(HttpClient& http, std::uint32_t customer,
                                          std::uint64_t generation, const Customer& link) {
  std::string cursor, card;
  std::vector<Spend> spending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto h = held_.find(customer);
    if (h == held_.end()) return 0;
    cursor = h->second.cursor;
    card = h->second.card_account;
    spending = h->second.spending;
  }
  // Pages to the end (has_more false), applying each page's changes in order: a
  // pending card transaction that posted is removed (its -P id) and added again
  // (its own id). At most kPages pages a run; the cursor reached is kept either way,
  // as every change up to it has been applied.
  constexpr int kPages = 50;
  bool complete = false;
  for (int page = 0; page < kPages && !complete; ++page) {
    Json request = {{"access_token", link.token}, {"count", 100}};
    if (!cursor.empty()) request["cursor"] = cursor;
    auto r = CallBank(http, link.bank, "POST", "/transactions/sync", link, request.dump());
    if (!r.ok() || r->status != 200) return r.ok() ? r->status : 0;
    Json answer = Json::parse(r->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("next_cursor")) return 0;
    auto drop = [&](const std::string& id) {
      spending.erase(std::remove_if(spending.begin(), spending.end(),
                                    [&](const Spend& s) { return s.id == id; }),
                     spending.end());
    };
    for (const char* list : {"added", "modified"}) {
      for (const Json& t : answer.value(list, Json::array())) {
        if (!t.is_object() || StringField(t, "account_id") != card) continue;
        const std::string id = StringField(t, "transaction_id");
        drop(id);
        spending.push_back({id, Money(t.value("amount", Json())),
                            StringField(t, "iso_currency_code")});
      }
    }
    for (const Json& t : answer.value("removed", Json::array())) {
      if (t.is_object()) drop(StringField(t, "transaction_id"));
    }
    cursor = StringField(answer, "next_cursor");
    complete = !answer.value("has_more", false);
  }
  // The last few are enough for a feature (the list is in the order of the changes).
  constexpr std::size_t kKept = 20;
  if (spending.size() > kKept) {
    spending.erase(spending.begin(), spending.end() - std::ptrdiff_t(kKept));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = customers_.find(customer);
  auto h = held_.find(customer);
  if (it != customers_.end() && it->second.generation == generation && h != held_.end()) {
    h->second.spending = std::move(spending);
    h->second.cursor = std::move(cursor);
    if (complete) ++counters_.syncs;
  }
  return 200;
}

void ReferencePlatform::ConsentEndedLocked(std::uint32_t customer) {
  auto it = customers_.find(customer);
  if (it == customers_.end()) return;
  // platform.ignores_revocation: ending the link is forgotten, so its polls go on.
  if (!options_.defects.has(Defect::kIgnoresRevocation)) {
    it->second.state = LinkState::kEnded;
    ++it->second.generation;
  }
  held_.erase(customer);
}

void ReferencePlatform::EndLink(std::uint32_t customer, std::uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = customers_.find(customer);
  if (it == customers_.end() || it->second.generation != generation) return;
  ConsentEndedLocked(customer);
}

void ReferencePlatform::Poll(HttpClient& http, std::uint32_t customer, std::uint64_t generation) {
  Fetched f = FetchBalance(http, customer, generation);
  if (f.status == 403 || f.status == 401) {
    EndLink(customer, generation);
    return;
  }
  // A refusal of the spending alone (a consent without transactions) ends nothing.
  if (f.status == 200) (void)FetchSpending(http, customer, generation);
}

void ReferencePlatform::SegmentJob(HttpClient& http) {
  // The ads audience and the partner export are built from messenger activity: who
  // the platform's customers are and how often they ask for their balance. Nothing
  // of a bank, unless a mistake reads it in: platform.ads_uses_bank_data also reads
  // each member's cached spending as a feature; platform.shares_with_partner joins
  // the export on the balance table.
  const bool spending_feature = options_.defects.has(Defect::kAdsUsesBankData);
  const bool join_balances = options_.defects.has(Defect::kSharesWithPartner);
  std::vector<Json> members, rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& entry : customers_) {
      const std::uint32_t c = entry.first;
      auto asked = activity_.find(c);
      const std::uint64_t questions = asked == activity_.end() ? 0 : asked->second;
      Json member = {{"customer", c}, {"balance_questions", questions}};
      Json row = member;
      auto held = held_.find(c);
      if (spending_feature && held != held_.end() && !held->second.spending.empty()) {
        Json spending = Json::array();
        for (const Spend& s : held->second.spending) {
          spending.push_back({{"transaction", s.id}, {"amount", s.amount}, {"currency", s.currency}});
        }
        member["recent_spending"] = std::move(spending);
      }
      if (join_balances && held != held_.end() && held->second.balance) {
        row["account"] = held->second.balance->account;
        row["balance"] = held->second.balance->amount;
        row["currency"] = held->second.balance->currency;
      }
      members.push_back(std::move(member));
      rows.push_back(std::move(row));
    }
  }
  // In batches, well under the messenger's 1 MiB body limit.
  constexpr std::size_t kBatch = 500;
  for (std::size_t i = 0; i == 0 || i < members.size(); i += kBatch) {
    const auto from = std::ptrdiff_t(i);
    const auto to = std::ptrdiff_t(std::min(members.size(), i + kBatch));
    Json audience = {{"audience", "engaged-customers"},
                     {"members", std::vector<Json>(members.begin() + from, members.begin() + to)}};
    PostMessenger(http, "/v1/ads/audiences", audience.dump());
    Json rows_out = {{"export", "engagement"},
                     {"rows", std::vector<Json>(rows.begin() + from, rows.begin() + to)}};
    PostMessenger(http, "/v1/partners/" + options_.partner + "/exports", rows_out.dump());
  }
}

void ReferencePlatform::Answer(HttpClient& http, std::uint32_t customer, std::int64_t check,
                               bool in_group, std::int64_t group) {
  const std::string here = in_group ? "/v1/groups/" + std::to_string(group) + "/messages"
                                    : "/v1/chats/" + std::to_string(customer) + "/messages";
  const std::string mine = "/v1/chats/" + std::to_string(customer) + "/messages";
  auto reply = [&](const std::string& target, const std::string& text, const char* kind,
                   bool with_check) {
    Json m = {{"text", text}};
    if (with_check) {
      m["check"] = check;
      m["kind"] = kind;
    }
    if (Success(PostMessenger(http, target, m.dump()))) {
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.replies_sent;
    }
  };
  // Usage analytics carry no bank data.
  PostMessenger(http, "/v1/analytics/events",
                Json{{"event", "balance_request"}, {"chat", in_group ? "group" : "private"}}.dump());

  std::optional<Balance> cached;
  std::uint64_t generation = 0;
  bool active = false;
  std::string bank_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++activity_[customer];
    auto it = customers_.find(customer);
    if (it != customers_.end() && it->second.state == LinkState::kActive) {
      active = true;
      generation = it->second.generation;
      bank_id = options_.banks[it->second.bank].id;
      const auto ttl = std::chrono::duration<double>(options_.cache_ttl_seconds);
      auto held = held_.find(customer);
      if (held != held_.end() && held->second.balance &&
          Clock::now() - held->second.balance->fetched_at < ttl) {
        cached = held->second.balance;
      }
    }
  }
  if (!active) {
    reply(here, "Link a bank account first to see your balance here.", "not_linked", true);
    return;
  }
  if (!cached) {
    Fetched f = FetchBalance(http, customer, generation);
    if (f.status == 200) {
      cached = f.balance;
    } else if (f.status == 403 || f.status == 401) {
      EndLink(customer, generation);
      reply(here, "Your bank link has ended; link your account again to see your balance.",
            "not_linked", true);
      return;
    } else {
      reply(here, "Your bank is not answering right now; try again later.", "unavailable", true);
      return;
    }
  }
  const std::string text = "Your balance at " + bank_id + " (" + cached->account +
                           "): " + cached->amount + " " + cached->currency;
  if (!in_group) {
    reply(mine, text, "answered", true);
  } else if (options_.defects.has(Defect::kGroupChatLeak)) {
    // platform.group_chat_leak: answers where it was asked, for the whole group to read.
    reply(here, text, "answered", true);
  } else {
    reply(here, "I sent your balance to you in a private message.", "redirected_to_private",
          true);
    reply(mine, text, "answered", false);
  }
}

void ReferencePlatform::DeleteConsent(HttpClient& http, std::size_t bank, std::string consent_id,
                                      std::string token) {
  Customer link;
  link.consent_id = consent_id;
  link.token = std::move(token);
  const bool obie = options_.banks[bank].dialect == mocks::Dialect::kObie;
  // Plaid: the platform removes the Item (its access token; a link not yet
  // exchanged has none, and its link token simply expires).
  if (IsPlaid(options_.banks[bank]) && link.token.empty()) return;
  auto r = IsPlaid(options_.banks[bank])
               ? CallBank(http, bank, "POST", "/item/remove", link,
                          Json{{"access_token", link.token}}.dump())
               : CallBank(http, bank, "DELETE",
                          (obie ? "/account-access-consents/" : "/v1/consents/") + consent_id, link);
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.deletes_sent;
  (void)r;
}

void ReferencePlatform::DeliverAlert(HttpClient& http, std::uint32_t customer, std::string body,
                                     int attempt) {
  unsigned status = PostMessenger(http, "/v1/chats/" + std::to_string(customer) + "/messages", body);
  if (Success(status)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.alerts_shown;
    return;
  }
  // platform.drops_alerts_during_outage: an alert the messenger cannot take now is lost.
  if (status == 503 && options_.defects.has(Defect::kDropsAlertsDuringOutage)) return;
  if (status >= 400 && status < 500) return;  // refused for good: retrying cannot help
  // Messenger down or unreachable: the relay keeps the alert and retries with
  // exponential back-off (0.25 s doubling, at most 8 s wall).
  const double delay = std::min(8.0, 0.25 * std::pow(2.0, std::min(attempt, 10)));
  Enqueue(
      [this, customer, body = std::move(body), attempt](HttpClient& h) {
        DeliverAlert(h, customer, body, attempt + 1);
      },
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay)));
}

unsigned ReferencePlatform::PostMessenger(HttpClient& http, const std::string& target,
                                          const std::string& body) {
  auto r = http.Send(options_.messenger, "POST", options_.messenger.path + target, {}, body);
  unsigned status = r.ok() ? r->status : 0;
  if (!Success(status)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.messenger_failures;
  }
  return status;
}

}  // namespace bpsim::harness::live
