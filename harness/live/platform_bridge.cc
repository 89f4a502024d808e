#include "harness/live/platform_bridge.h"


#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "harness/live/canary.h"

namespace bpsim::harness::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Json = nlohmann::ordered_json;
using mocks::CustomerId;
using mocks::LinkState;

namespace {

// A customer whose link request got no answer tries again this much later, up to
// kLinkAttempts times in all; a platform that accepted the request but did not
// create the consent within kLinkPatience is given up on (the link ends).
constexpr SimTime kLinkRetry = 10 * kMinute;
constexpr std::uint8_t kLinkAttempts = 3;
constexpr SimTime kLinkPatience = kHour;
constexpr std::uint64_t kResendBit = 1ULL << 63;

Json ScopeNames(mocks::ScopeSet scopes) {
  Json out = Json::array();
  for (unsigned bit = 1; bit <= mocks::kScopeTransactions; bit <<= 1) {
    if (scopes & bit) out.push_back(mocks::ScopeName(static_cast<mocks::Scope>(bit)));
  }
  return out;
}

Json PurposeNames(mocks::PurposeSet purposes) {
  Json out = Json::array();
  for (unsigned bit = 1; bit <= mocks::kPurposeSharing; bit <<= 1) {
    if (purposes & bit) out.push_back(mocks::PurposeName(static_cast<mocks::Purpose>(bit)));
  }
  return out;
}

std::string AlertText(std::uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ALERT-%08llu", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace

Result<PlatformUrl> ParsePlatformUrl(const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) {
    return Error{"--platform expects http://HOST:PORT[/PATH], got '" + url +
                 "': " + parsed.error().message};
  }
  PlatformUrl out;
  out.host = parsed->host;
  out.port = parsed->port;
  out.base = parsed->path;
  out.text = parsed->Root() + out.base;
  return out;
}

std::string WebhookSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + HmacSha256Hex(secret, body);
}

// A synchronous HTTP/1.1 client over one keep-alive connection, with a deadline on
// every step (Beast's tcp_stream timeouts apply to asynchronous operations, so each
// step runs the io_context until it completes).
class PlatformBridge::Client {
 public:
  Client(PlatformUrl url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout), stream_(ioc_) {}

  void Post(Call* call) {
    auto started = std::chrono::steady_clock::now();
    // A kept-alive connection the server closed meanwhile fails at once: once more
    // on a fresh connection.
    bool reused = connected_;
    Once(call);
    if (call->status == 0 && reused) Once(call);
    call->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

 private:
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result;
    stream_.expires_after(timeout_);
    start(result);
    ioc_.restart();
    ioc_.run();
    return result;
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
  }

  void Once(Call* call) {
    call->status = 0;
    call->error.clear();
    if (!connected_) {
      asio::ip::tcp::resolver resolver(ioc_);
      beast::error_code ec;
      auto endpoints = resolver.resolve(url_.host, url_.port, ec);
      if (ec) {
        call->error = "cannot resolve " + url_.host + ": " + ec.message();
        return;
      }
      ec = Run([&](beast::error_code& out) {
        stream_.async_connect(endpoints,
                              [&out](beast::error_code e, const auto&) { out = e; });
      });
      if (ec) {
        call->error = "cannot connect to " + url_.text + ": " + ec.message();
        Close();
        return;
      }
      connected_ = true;
    }
    http::request<http::string_body> req{http::verb::post, call->target, 11};
    req.set(http::field::host, url_.host + ":" + url_.port);
    req.set(http::field::user_agent, "bpsim");
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : call->headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = call->body;
    req.prepare_payload();
    beast::error_code ec = Run([&](beast::error_code& out) {
      http::async_write(stream_, req, [&out](beast::error_code e, std::size_t) { out = e; });
    });
    if (ec) {
      call->error = "sending " + call->route + ": " + ec.message();
      Close();
      return;
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    ec = Run([&](beast::error_code& out) {
      http::async_read(stream_, buffer, res,
                       [&out](beast::error_code e, std::size_t) { out = e; });
    });
    if (ec) {
      call->error = "no answer to " + call->route + ": " + ec.message();
      Close();
      return;
    }
    call->status = res.result_int();
    if (!res.keep_alive()) Close();
  }

  PlatformUrl url_;
  std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  bool connected_ = false;
};

PlatformBridge::PlatformBridge(mocks::World& world, Simulator* sim, Options options)
    : world_(world), sim_(sim), options_(std::move(options)) {
  std::size_t n = world_.population().size();
  links_.assign(n, mocks::Link{});
  link_attempts_.assign(n, 0);
  link_validity_.assign(n, 0);
  link_timer_ = sim_->Register<&PlatformBridge::OnLinkTimer>(this, "live.link_timer");
  client_ = std::thread([this] { RunClient(); });
}

PlatformBridge::~PlatformBridge() { Stop(); }

void PlatformBridge::Stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
    queue_.clear();
  }
  queue_cv_.notify_all();
  if (client_.joinable()) client_.join();
}

void PlatformBridge::Attach(std::vector<LiveBank*> banks, ServedRegistry* served) {
  banks_ = std::move(banks);
  served_ = served;
  for (LiveBank* b : banks_) b->set_hooks(this);
}

void PlatformBridge::Start(SimTime end_of_run) { end_of_run_ = end_of_run; }

PlatformBridge::Call PlatformBridge::PostCall(CallKind kind, const char* path, const Json& body,
                                             mocks::CustomerId customer) {
  Call call;
  call.kind = kind;
  call.route = std::string("POST ") + path;
  call.target = path;
  call.body = body.dump();
  call.customer = customer;
  return call;
}

void PlatformBridge::Enqueue(Call call) {
  call.target = options_.url.base + call.target;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return;
    queue_.push_back(std::move(call));
  }
  queue_cv_.notify_one();
}

void PlatformBridge::RunClient() {
  Client client(options_.url, options_.timeout);
  for (;;) {
    Call call;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      call = std::move(queue_.front());
      queue_.pop_front();
    }
    client.Post(&call);
    std::lock_guard<std::mutex> lock(queue_mu_);
    done_.push_back(std::move(call));
  }
}

void PlatformBridge::ApplyCompletions() {
  std::deque<Call> done;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    done.swap(done_);
  }
  for (const Call& call : done) Apply(call);
}

std::map<std::string, CallStats> PlatformBridge::call_stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

void PlatformBridge::Apply(const Call& call) {
  const bool ok = call.status >= 200 && call.status < 300;
  std::uint64_t failed = 0;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    CallStats& s = stats_[call.route];
    ++s.count;
    if (!ok) failed = ++s.failed;
    s.seconds.Add(call.seconds);
  }
  if (!ok && failed <= 3) {  // the first few per route; the report has the counts
    std::fprintf(stderr, "bpsim: platform: %s failed: %s\n", call.route.c_str(),
                 call.status != 0 ? ("HTTP " + std::to_string(call.status)).c_str()
                                  : call.error.c_str());
  }
  switch (call.kind) {
    case CallKind::kWebhook:
      world_.outbox().Settle(call.ticket, ok);
      break;
    case CallKind::kRevocation:
      break;  // the customer's request is in the trace already (World::CustomerRevokes)
    case CallKind::kLink: {
      mocks::Link& link = links_[call.customer];
      if (link.generation != call.generation || link.state != LinkState::kPending ||
          link.consent != 0) {
        break;
      }
      const std::uint64_t arg = call.customer | (std::uint64_t(link.generation) << 32);
      if (ok) {
        sim_->After(kLinkPatience, link_timer_, arg);
      } else if (link_attempts_[call.customer] < kLinkAttempts) {
        sim_->After(kLinkRetry, link_timer_, arg | kResendBit);
      } else {
        link.state = LinkState::kNone;
        ++link.generation;
      }
      break;
    }
    default:
      break;
  }
}

void PlatformBridge::OnLinkTimer(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto generation = static_cast<std::uint32_t>((arg & ~kResendBit) >> 32);
  mocks::Link& link = links_[c];
  if (link.generation != generation || link.state != LinkState::kPending || link.consent != 0) {
    return;
  }
  if (arg & kResendBit) {
    SendLink(c);
    return;
  }
  // The platform accepted the link request but never created the consent.
  link.state = LinkState::kNone;
  ++link.generation;
}

mocks::Link& PlatformBridge::Mutable(CustomerId c) const {
  // A link ends when its consent does (revoked, rejected, expired): the world reads
  // the state, so it is brought up to date on every read.
  mocks::Link& link = links_[c];
  if ((link.state == LinkState::kActive || link.state == LinkState::kPending) &&
      link.consent != 0) {
    const mocks::Consent& k = world_.consents().Get(link.consent);
    if (k.Final() || (k.status == mocks::ConsentStatus::kAuthorised &&
                      world_.env().Now() >= k.expires_at)) {
      link.state = LinkState::kEnded;
      ++link.generation;
    }
  }
  return link;
}

const mocks::Link& PlatformBridge::link(CustomerId c) const { return Mutable(c); }

// ---- Customer actions -------------------------------------------------------------

mocks::ConsentId PlatformBridge::StartLinking(CustomerId c, mocks::BankIndex bank,
                                              mocks::ScopeSet scopes,
                                              mocks::PurposeSet purposes, SimTime validity) {
  mocks::Link& link = links_[c];
  std::uint32_t generation = link.generation + 1;
  link = mocks::Link{};
  link.generation = generation;
  link.bank = bank;
  link.scopes = scopes;
  link.purposes = purposes;
  link.state = LinkState::kPending;
  link_attempts_[c] = 0;
  link_validity_[c] = validity;
  SendLink(c);
  return 0;
}

void PlatformBridge::SendLink(CustomerId c) {
  const mocks::Link& link = links_[c];
  ++link_attempts_[c];
  Json body;
  body["customer"] = c;
  body["bank"] = world_.spec().world.banks[link.bank].id;
  body["scopes"] = ScopeNames(link.scopes);
  body["purposes"] = PurposeNames(link.purposes);
  body["valid_until"] = FormatDateTime(world_.env().Now() + link_validity_[c]);
  Call call = PostCall(CallKind::kLink, "/v1/links", body, c);
  call.generation = link.generation;
  Enqueue(std::move(call));
}

mocks::PurposeSet PlatformBridge::PurposesFor(CustomerId c, mocks::BankIndex bank) {
  const mocks::Link& link = links_[c];
  if (link.state == LinkState::kPending && link.consent == 0 && link.bank == bank) {
    return link.purposes;
  }
  return mocks::kPurposeDisplay;
}

void PlatformBridge::OnConsentCreated(CustomerId c, mocks::BankIndex bank,
                                      mocks::ConsentId consent) {
  mocks::Link& link = links_[c];
  if (link.state != LinkState::kPending || link.consent != 0 || link.bank != bank) return;
  link.consent = consent;
  link.expires_at = world_.consents().Get(consent).expires_at;
}

void PlatformBridge::OnAuthorised(CustomerId c, mocks::ConsentId consent) {
  mocks::Link& link = links_[c];
  if (link.consent != consent || link.state != LinkState::kPending) return;
  const mocks::Consent& k = world_.consents().Get(consent);
  link.token_secret = k.token_secret;
  link.state = LinkState::kActive;
  ++link.generation;
  // The code must outlive the platform's round trip: at least a minute of wall time.
  SimTime lifetime = std::max<SimTime>(
      10 * kMinute, static_cast<SimTime>(60.0 * options_.time_scale * double(kSecond)));
  std::string code = banks_.at(link.bank)->IssueCode(consent, lifetime);
  Json body;
  body["customer"] = c;
  body["bank"] = world_.spec().world.banks[link.bank].id;
  body["consent_id"] = LiveBank::ConsentText(consent);
  body["code"] = code;
  Call call = PostCall(CallKind::kCallback, "/v1/link-callback", body, c);
  Enqueue(std::move(call));
}

void PlatformBridge::OnRejected(CustomerId c, mocks::ConsentId consent) {
  mocks::Link& link = links_[c];
  if (link.consent != consent) return;
  link.state = LinkState::kNone;
  ++link.generation;
  Json body;
  body["customer"] = c;
  body["bank"] = world_.spec().world.banks[link.bank].id;
  body["consent_id"] = LiveBank::ConsentText(consent);
  body["error"] = "access_denied";
  Call call = PostCall(CallKind::kCallback, "/v1/link-callback", body, c);
  Enqueue(std::move(call));
}

void PlatformBridge::OnCustomerRevoke(CustomerId c) {
  mocks::Link& link = Mutable(c);
  if (link.state != LinkState::kActive) return;
  link.state = LinkState::kEnded;
  ++link.generation;
  Json body;
  body["customer"] = c;
  body["bank"] = world_.spec().world.banks[link.bank].id;
  body["consent_id"] = LiveBank::ConsentText(link.consent);
  Call call = PostCall(CallKind::kRevocation, "/v1/revocations", body, c);
  Enqueue(std::move(call));
}

void PlatformBridge::OnBalanceCheck(CustomerId c, bool in_group, std::uint32_t group) {
  if (world_.network().MessengerChatDown()) return;  // the customer cannot open the chat
  std::uint64_t check = next_check_++;
  mocks::Endpoint asked_in = in_group ? mocks::GroupEndpoint(group) : mocks::ChatEndpoint(c);
  mocks::TraceEntry e;
  e.type = mocks::EntryType::kBalanceCheck;
  e.from = mocks::CustomerEndpoint(c);
  e.to = asked_in;
  e.subject = c;
  e.ref = check;
  world_.env().Emit(e);
  if (served_ != nullptr) served_->NoteCheck(check, c, asked_in);
  Json body;
  body["customer"] = c;
  body["check"] = check;
  body["chat"] = in_group ? "group" : "private";
  if (in_group) body["group"] = group;
  Call call = PostCall(CallKind::kBalance, "/v1/balance-requests", body, c);
  Enqueue(std::move(call));
}

// ---- Webhooks ---------------------------------------------------------------------

mocks::WebhookAnswer PlatformBridge::OnWebhook(const mocks::Webhook& w, std::uint32_t attempt,
                                               std::uint32_t ticket) {
  const std::string& bank = world_.spec().world.banks[w.bank].id;
  Json body;
  std::string id;
  if (w.kind == mocks::WebhookKind::kFraudAlert) {
    body["type"] = "fraud_alert";
    body["bank"] = bank;
    body["customer"] = w.customer;
    body["consent_id"] = LiveBank::ConsentText(w.consent);
    body["alert_id"] = AlertText(w.ref);
    body["detected_at"] = FormatDateTime(w.detected_at);
    Json tx;
    tx["id"] = TransactionId(w.customer, w.transaction);
    tx["amount"] = FormatAmount(w.transaction.amount_cents);
    tx["currency"] = world_.spec().world.banks[w.bank].api.dialect == mocks::Dialect::kObie
                         ? "GBP"
                         : "EUR";
    tx["account_id"] = AccountId(bank, w.customer, AccountKind::kCard);
    body["transaction"] = std::move(tx);
    // The amount went to the platform over HTTP: a canary like any amount served.
    if (served_ != nullptr) {
      served_->NoteAmount(FormatAmount(w.transaction.amount_cents), w.datum);
    }
    id = "wh-" + bank + "-" + std::to_string(w.ref);
    if (served_ != nullptr) {
      served_->NoteAlert(w.ref, ServedRegistry::Alert{w.customer, w.bank, w.consent,
                                                      w.detected_at, w.datum});
    }
  } else {
    body["type"] = "consent_revoked";
    body["bank"] = bank;
    body["customer"] = w.customer;
    body["consent_id"] = LiveBank::ConsentText(w.consent);
    id = "wh-" + bank + "-revoked-" + std::to_string(w.ref);
  }
  Call call = PostCall(CallKind::kWebhook, "/v1/webhooks", body, w.customer);
  call.headers = {{"X-Bpsim-Webhook-Id", id},
                  {"X-Bpsim-Attempt", std::to_string(attempt)},
                  {"X-Bpsim-Signature", WebhookSignature(options_.webhook_secret, call.body)}};
  call.ticket = ticket;
  Enqueue(std::move(call));
  return mocks::WebhookAnswer::kPending;
}

}  // namespace bpsim::harness::live
