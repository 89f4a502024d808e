// bpsim platform (harness/live/reference_platform.h) against a fake bank and a fake
// messenger on loopback: the contract's calls in, the dialect's and the sinks' calls
// out, and the defect switches seen from outside.

#include <catch2/catch.hpp>
#include <cstdio>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/live/http_client.h"
#include "harness/live/jws.h"
#include "harness/live/plaid.h"
#include "harness/live/reference_platform.h"

namespace bpsim::harness::live {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::json;

struct Seen {
  std::string method, target, body;
  std::map<std::string, std::string> headers;
};

// A server that records every request and answers with `answer`.
class Fake {
 public:
  explicit Fake(std::function<HttpResponse(const HttpRequest&)> answer) : answer_(std::move(answer)) {
    ServerOptions o;
    auto s = HttpServer::Start(o, [this](const HttpRequest& r) {
      Seen seen{std::string(r.method_string()), std::string(r.target()), r.body(), {}};
      for (const auto& f : r) seen.headers[std::string(f.name_string())] = std::string(f.value());
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(seen);
      }
      return answer_(r);
    });
    REQUIRE(s.ok());
    server_ = std::move(s).value();
  }
  std::uint16_t port() const { return server_->port(); }
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  // Waits up to 5 s for a request matching `pred`.
  std::optional<Seen> WaitFor(const std::function<bool(const Seen&)>& pred) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const Seen& s : seen()) {
        if (pred(s)) return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  std::size_t Count(const std::function<bool(const Seen&)>& pred) const {
    std::size_t n = 0;
    for (const Seen& s : seen()) n += pred(s) ? 1 : 0;
    return n;
  }

 private:
  std::function<HttpResponse(const HttpRequest&)> answer_;
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

constexpr const char* kBase = "/open-banking/v3.1/aisp";

// An OBIE bank with one customer (17), consent-5, accounts NORTHBANK-00000017-CHK and
// -CARD, one card transaction.
HttpResponse ObieBank(const HttpRequest& r) {
  const std::string t(r.target());
  if (t == std::string(kBase) + "/account-access-consents" && r.method() == http::verb::post) {
    return MakeJsonResponse(r, 201, R"({"Data":{"ConsentId":"consent-5","Status":"AwaitingAuthorisation"}})");
  }
  if (t == "/token") {
    if (r.body() == "grant_type=authorization_code&code=ac-5") {
      return MakeJsonResponse(r, 200, R"({"access_token":"consent-5.00000000000000aa","token_type":"Bearer","expires_in":3600,"consent_id":"consent-5"})");
    }
    return MakeJsonResponse(r, 400, R"({"error":"invalid_grant"})");
  }
  if (t == std::string(kBase) + "/accounts") {
    return MakeJsonResponse(r, 200, R"({"Data":{"Account":[)"
                                    R"({"AccountId":"NORTHBANK-00000017-CARD","AccountSubType":"CreditCard"},)"
                                    R"({"AccountId":"NORTHBANK-00000017-CHK","AccountSubType":"CurrentAccount"}]}})");
  }
  if (t == std::string(kBase) + "/accounts/NORTHBANK-00000017-CARD/transactions") {
    return MakeJsonResponse(r, 200, R"({"Data":{"Transaction":[{"TransactionId":"TX-00000017-00001-0001",)"
                                    R"("Amount":{"Amount":"56.78","Currency":"GBP"}}]}})");
  }
  if (t == std::string(kBase) + "/accounts/NORTHBANK-00000017-CHK/balances") {
    return MakeJsonResponse(r, 200, R"({"Data":{"Balance":[{"Amount":{"Amount":"1234.56","Currency":"GBP"}}]}})");
  }
  if (t == std::string(kBase) + "/account-access-consents/consent-5" && r.method() == http::verb::delete_) {
    return MakeJsonResponse(r, 204, "");
  }
  return MakeJsonResponse(r, 404, "");
}

// The bank a Rig's platform knows: the OBIE fake above unless a test says otherwise.
struct RigBank {
  std::string id = "northbank";
  mocks::Dialect dialect = mocks::Dialect::kObie;
  std::function<HttpResponse(const HttpRequest&)> answer = ObieBank;
  std::string base = kBase;
};

struct Rig {
  Fake bank;
  std::atomic<unsigned> messenger_status{202};
  Fake messenger{[this](const HttpRequest& r) {
    return MakeJsonResponse(r, messenger_status.load(), R"({"accepted":true})");
  }};
  std::unique_ptr<ReferencePlatform> platform;
  HttpClient client;
  Url url;

  explicit Rig(std::vector<mocks::Defect> defects = {}, double poll_every_seconds = 0,
               RigBank rig_bank = {})
      : bank(rig_bank.answer) {
    PlatformOptions o;
    PlatformBank b;
    b.id = rig_bank.id;
    b.dialect = rig_bank.dialect;
    b.url = *ParseUrl("http://127.0.0.1:" + std::to_string(bank.port()) + rig_bank.base);
    o.banks.push_back(b);
    o.messenger = *ParseUrl("http://127.0.0.1:" + std::to_string(messenger.port()));
    o.poll_every_seconds = poll_every_seconds;
    o.segment_every_seconds = 0.2;
    for (auto d : defects) o.defects.add(d);
    platform = std::make_unique<ReferencePlatform>(o);
    auto port = platform->Start();
    REQUIRE(port.ok());
    url = *ParseUrl("http://127.0.0.1:" + std::to_string(*port));
  }
  unsigned Post(const std::string& target, const Json& body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto r = client.Send(url, "POST", target, headers, body.dump());
    REQUIRE(r.ok());
    return r->status;
  }
  unsigned Webhook(const Json& body, const std::string& secret = kDefaultWebhookSecret) {
    const std::string text = body.dump();
    auto r = client.Send(url, "POST", "/v1/webhooks",
                         {{"X-Bpsim-Signature", "sha256=" + HmacSha256Hex(secret, text)},
                          {"X-Bpsim-Webhook-Id", "wh-1"}, {"X-Bpsim-Attempt", "1"}},
                         text);
    REQUIRE(r.ok());
    return r->status;
  }
  void Link(std::vector<std::string> scopes = {"accounts", "balances"}) {
    REQUIRE(Post("/v1/links", {{"customer", 17}, {"bank", "northbank"},
                               {"scopes", scopes},
                               {"purposes", {"display", "fraud_alerts"}},
                               {"valid_until", "2025-04-01T00:00:00+00:00"}}) == 202);
    REQUIRE(bank.WaitFor([](const Seen& s) { return s.target.find("account-access-consents") != std::string::npos; }));
    REQUIRE(Post("/v1/link-callback", {{"customer", 17}, {"bank", "northbank"},
                                       {"consent_id", "consent-5"}, {"code", "ac-5"}}) == 202);
    REQUIRE(bank.WaitFor([](const Seen& s) { return s.target.find("/balances") != std::string::npos; }));
  }
};

bool IsChat(const Seen& s, int customer) {
  return s.target == "/v1/chats/" + std::to_string(customer) + "/messages";
}

}  // namespace

TEST_CASE("bpsim platform links an account through the OBIE dialect", "[live][platform]") {
  Rig rig;
  rig.Link();
  auto consent = rig.bank.WaitFor([](const Seen& s) { return s.method == "POST" && s.target.find("account-access-consents") != std::string::npos; });
  Json body = Json::parse(consent->body);
  CHECK(consent->headers["x-bpsim-psu-id"] == "17");
  CHECK(body["Data"]["Permissions"] == Json({"ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances"}));
  CHECK(body["Data"]["ExpirationDateTime"] == "2025-04-01T00:00:00+00:00");
  auto token = rig.bank.WaitFor([](const Seen& s) { return s.target == "/token"; });
  CHECK(token->headers["Content-Type"] == "application/x-www-form-urlencoded");
  auto balance = rig.bank.WaitFor([](const Seen& s) { return s.target.find("/balances") != std::string::npos; });
  CHECK(balance->headers["Authorization"] == "Bearer consent-5.00000000000000aa");
}

TEST_CASE("bpsim platform answers balance questions in the right chat", "[live][platform]") {
  SECTION("not linked") {
    Rig rig;
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 3}, {"check", 9}, {"chat", "private"}}) == 202);
    auto reply = rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 3); });
    REQUIRE(reply);
    CHECK(Json::parse(reply->body)["kind"] == "not_linked");
    CHECK(Json::parse(reply->body)["check"] == 9);
  }
  SECTION("private, then group: the group gets no bank data") {
    Rig rig;
    rig.Link();
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 1}, {"chat", "private"}}) == 202);
    auto reply = rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17); });
    REQUIRE(reply);
    CHECK(reply->body.find("1234.56") != std::string::npos);
    CHECK(reply->body.find("NORTHBANK-00000017-CHK") != std::string::npos);
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 2}, {"chat", "group"}, {"group", 4}}) == 202);
    auto group = rig.messenger.WaitFor([](const Seen& s) { return s.target == "/v1/groups/4/messages"; });
    REQUIRE(group);
    CHECK(Json::parse(group->body)["kind"] == "redirected_to_private");
    CHECK(group->body.find("1234.56") == std::string::npos);
    CHECK(group->body.find("NORTHBANK") == std::string::npos);
    REQUIRE(rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17) && s.body.find("\"check\"") == std::string::npos; }));
    // Analytics saw both questions, without bank data.
    CHECK(rig.messenger.Count([](const Seen& s) { return s.target == "/v1/analytics/events" && s.body.find("1234.56") == std::string::npos; }) == 2);
    // The periodic audience and export carry messenger activity only.
    CHECK(rig.messenger.Count([](const Seen& s) {
      return (s.target.rfind("/v1/partners", 0) == 0 || s.target.rfind("/v1/ads", 0) == 0) &&
             (s.body.find("1234.56") != std::string::npos || s.body.find("NORTHBANK") != std::string::npos);
    }) == 0);
  }
  SECTION("platform.group_chat_leak answers in the group") {
    Rig rig({mocks::Defect::kGroupChatLeak});
    rig.Link();
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 2}, {"chat", "group"}, {"group", 4}}) == 202);
    auto group = rig.messenger.WaitFor([](const Seen& s) { return s.target == "/v1/groups/4/messages"; });
    REQUIRE(group);
    CHECK(group->body.find("NORTHBANK-00000017-CHK") != std::string::npos);
  }
}

TEST_CASE("bpsim platform's audience and export carry no bank data unless a mistake reads it in",
          "[live][platform]") {
  auto is_ads = [](const Seen& s) { return s.target == "/v1/ads/audiences"; };
  auto is_export = [](const Seen& s) { return s.target == "/v1/partners/adpartner/exports"; };
  SECTION("correct: messenger activity only") {
    Rig rig;
    rig.Link({"accounts", "balances", "transactions"});
    REQUIRE(rig.bank.WaitFor([](const Seen& s) { return s.target.find("/transactions") != std::string::npos; }));
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 1}, {"chat", "private"}}) == 202);
    REQUIRE(rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17); }));
    auto ads = rig.messenger.WaitFor([&](const Seen& s) {
      return is_ads(s) && s.body.find("\"balance_questions\":1") != std::string::npos;
    });
    REQUIRE(ads);
    CHECK(Json::parse(ads->body)["members"][0]["customer"] == 17);
    for (const Seen& s : rig.messenger.seen()) {
      if (!is_ads(s) && !is_export(s)) continue;
      CHECK(s.body.find("NORTHBANK") == std::string::npos);
      CHECK(s.body.find("TX-") == std::string::npos);
      CHECK(s.body.find("1234.56") == std::string::npos);
      CHECK(s.body.find("56.78") == std::string::npos);
    }
  }
  SECTION("platform.ads_uses_bank_data reads the cached spending as a feature") {
    Rig rig({mocks::Defect::kAdsUsesBankData});
    rig.Link({"accounts", "balances", "transactions"});
    auto ads = rig.messenger.WaitFor([&](const Seen& s) {
      return is_ads(s) && s.body.find("recent_spending") != std::string::npos;
    });
    REQUIRE(ads);
    CHECK(ads->body.find("TX-00000017-00001-0001") != std::string::npos);
    CHECK(ads->body.find("56.78") != std::string::npos);
    CHECK(rig.messenger.Count([&](const Seen& s) {
      return is_export(s) && s.body.find("1234.56") != std::string::npos;
    }) == 0);
  }
  SECTION("platform.shares_with_partner joins the export on the balance table") {
    Rig rig({mocks::Defect::kSharesWithPartner});
    rig.Link();
    auto partner = rig.messenger.WaitFor([&](const Seen& s) {
      return is_export(s) && s.body.find("NORTHBANK-00000017-CHK") != std::string::npos;
    });
    REQUIRE(partner);
    CHECK(partner->body.find("1234.56") != std::string::npos);
  }
}

TEST_CASE("bpsim platform fetches spending only under a consent that covers it",
          "[live][platform]") {
  auto spending = [](const Seen& s) { return s.target.find("/transactions") != std::string::npos; };
  SECTION("correct") {
    Rig rig;
    rig.Link({"accounts", "balances"});
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 1}, {"chat", "private"}}) == 202);
    REQUIRE(rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17); }));
    CHECK(rig.bank.Count(spending) == 0);
  }
  SECTION("platform.overfetch_scopes asks whatever the scopes") {
    Rig rig({mocks::Defect::kOverfetchScopes});
    rig.Link({"accounts", "balances"});
    CHECK(rig.bank.WaitFor(spending));
  }
}

TEST_CASE("bpsim platform verifies, de-duplicates and relays fraud alerts", "[live][platform]") {
  Rig rig;
  Json alert = {{"type", "fraud_alert"}, {"bank", "northbank"}, {"customer", 17},
                {"consent_id", "consent-5"}, {"alert_id", "ALERT-00000042"},
                {"transaction", {{"id", "TX-00000017-00002-0003"}, {"amount", "12.34"},
                                 {"currency", "GBP"}, {"account_id", "NORTHBANK-00000017-CARD"}}}};
  CHECK(rig.Webhook(alert, "wrong-secret") == 401);
  CHECK(rig.platform->counters().webhooks_bad_signature == 1);
  // The messenger is down at first: the relay keeps the alert and retries.
  rig.messenger_status = 503;
  CHECK(rig.Webhook(alert) == 200);
  CHECK(rig.Webhook(alert) == 200);  // a duplicate delivery
  REQUIRE(rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17); }));
  rig.messenger_status = 202;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rig.platform->counters().alerts_shown == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  PlatformCounters c = rig.platform->counters();
  CHECK(c.alerts_shown == 1);
  CHECK(c.alerts_duplicate == 1);
  auto shown = rig.messenger.seen().back();
  CHECK(IsChat(shown, 17));
  CHECK(Json::parse(shown.body)["alert_id"] == "ALERT-00000042");
  CHECK(shown.body.find("TX-00000017-00002-0003") != std::string::npos);
}

// The poller sleeps on its own timer: work enqueued while it sleeps wakes a worker,
// however many alerts come in between two polls. (It once shared the workers'
// condition variable, so a wake-up meant for a worker could go to the sleeping poller
// and an alert waited for the next poll: 10 wall seconds, hours of simulated time at
// the time scales live mode runs at, past the end of a run.)
TEST_CASE("bpsim platform relays every alert at once while the poller sleeps", "[live][platform]") {
  Rig rig({}, /*poll_every_seconds=*/3600);
  for (int i = 0; i < 40; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "ALERT-%08d", 100 + i);
    Json alert = {{"type", "fraud_alert"}, {"bank", "northbank"}, {"customer", 17},
                  {"consent_id", "consent-5"}, {"alert_id", id}};
    REQUIRE(rig.Webhook(alert) == 200);
    INFO("alert " << id);
    REQUIRE(rig.messenger.WaitFor([&](const Seen& s) {
      return IsChat(s, 17) && s.body.find(id) != std::string::npos;
    }));
  }
  // The platform counts an alert once the messenger has answered its message, which
  // can be just after the message was seen: wait (bounded) for the count.
  for (int i = 0; i < 200 && rig.platform->counters().alerts_shown < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(rig.platform->counters().alerts_shown == 40);
}

TEST_CASE("bpsim platform honours a revocation, unless it ignores them", "[live][platform]") {
  SECTION("correct: the consent is deleted at the bank and the link ends") {
    Rig rig;
    rig.Link();
    REQUIRE(rig.Post("/v1/revocations", {{"customer", 17}, {"bank", "northbank"}, {"consent_id", "consent-5"}}) == 202);
    auto del = rig.bank.WaitFor([](const Seen& s) { return s.method == "DELETE"; });
    REQUIRE(del);
    CHECK(del->target == std::string(kBase) + "/account-access-consents/consent-5");
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 3}, {"chat", "private"}}) == 202);
    auto reply = rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17) && s.body.find("\"check\":3") != std::string::npos; });
    REQUIRE(reply);
    CHECK(Json::parse(reply->body)["kind"] == "not_linked");
  }
  SECTION("platform.ignores_revocation forgets to end the link: it keeps asking") {
    // As in the simulated platform: the DELETE goes out and the held data is dropped,
    // but the link stays active, so the platform asks the bank again (this fake bank
    // still answers; a real one refuses, and the asking is the violation).
    Rig rig({mocks::Defect::kIgnoresRevocation});
    rig.Link();
    const std::size_t balances_before = rig.bank.Count([](const Seen& s) { return s.target.find("/balances") != std::string::npos; });
    REQUIRE(rig.Post("/v1/revocations", {{"customer", 17}, {"bank", "northbank"}, {"consent_id", "consent-5"}}) == 202);
    REQUIRE(rig.bank.WaitFor([](const Seen& s) { return s.method == "DELETE"; }));
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", 3}, {"chat", "private"}}) == 202);
    auto reply = rig.messenger.WaitFor([](const Seen& s) { return IsChat(s, 17) && s.body.find("\"check\":3") != std::string::npos; });
    REQUIRE(reply);
    CHECK(Json::parse(reply->body)["kind"] == "answered");
    CHECK(rig.bank.Count([](const Seen& s) { return s.target.find("/balances") != std::string::npos; }) ==
          balances_before + 1);  // nothing held any more: asked again
  }
}

namespace {

// A Plaid bank with one customer (17): a link token, public-sandbox-1 exchanged for
// Item consent-7, two accounts, and /transactions/sync answering from a fixed
// history (a pending card transaction and a salary credit over two pages, then the
// card transaction posting: removed -P, added under its own id). `refusal`, when
// set, is the error code of every data request. Its webhooks are signed with `key`.
class PlaidFake {
 public:
  static constexpr const char* kToken = "access-sandbox-consent-7-00000000000000aa";
  Es256Key key = Es256Key::Generate(1700000000).value();

  void Refuse(std::string code) {
    std::lock_guard<std::mutex> lock(mu_);
    refusal_ = std::move(code);
  }
  HttpResponse Answer(const HttpRequest& r) {
    const std::string t(r.target());
    Json in = Json::parse(r.body(), nullptr, false);
    if (!in.is_object()) in = Json::object();
    if (t == "/link/token/create") return Ok(r, {{"link_token", "link-sandbox-1"}});
    if (t == "/item/public_token/exchange") {
      if (in.value("public_token", "") != "public-sandbox-1") return Error(r, "INVALID_PUBLIC_TOKEN");
      return Ok(r, {{"access_token", kToken}, {"item_id", "consent-7"}});
    }
    if (t == "/webhook_verification_key/get") {
      if (in.value("key_id", "") != key.kid()) return Error(r, "INVALID_WEBHOOK_VERIFICATION_KEY_ID");
      return Ok(r, {{"key", Json::parse(key.PublicJwk())}});
    }
    if (in.value("access_token", "") != kToken) return Error(r, "INVALID_ACCESS_TOKEN");
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!refusal_.empty()) return Error(r, refusal_);
    }
    if (t == "/accounts/balance/get") {
      Json card = {{"account_id", "USBANK-00000017-CARD"}, {"type", "credit"},
                   {"balances", {{"current", 469.96}, {"iso_currency_code", "USD"}}}};
      Json checking = {{"account_id", "USBANK-00000017-CHK"}, {"type", "depository"},
                       {"balances", {{"available", 2671.7}, {"current", 2671.7},
                                     {"iso_currency_code", "USD"}}}};
      return Ok(r, {{"accounts", Json::array({card, checking})}});
    }
    if (t == "/transactions/sync") {
      const std::string cursor = in.value("cursor", "");
      Json out = {{"added", Json::array()}, {"modified", Json::array()},
                  {"removed", Json::array()}, {"has_more", false}};
      auto tx = [](const char* id, const char* account, double amount) {
        return Json{{"transaction_id", id}, {"account_id", account}, {"amount", amount},
                    {"iso_currency_code", "USD"}};
      };
      if (cursor.empty()) {
        out["added"].push_back(tx("TX-00000017-00000-0001-P", "USBANK-00000017-CARD", 16.48));
        out["has_more"] = true;
        out["next_cursor"] = "c1";
      } else if (cursor == "c1") {
        out["added"].push_back(tx("TX-00000017-00000-9000", "USBANK-00000017-CHK", -2500));
        out["next_cursor"] = "c2";
      } else {
        if (cursor == "c2") {
          out["removed"].push_back(Json{{"transaction_id", "TX-00000017-00000-0001-P"}});
          out["added"].push_back(tx("TX-00000017-00000-0001", "USBANK-00000017-CARD", 16.48));
        }
        out["next_cursor"] = "c3";
      }
      return Ok(r, out);
    }
    if (t == "/item/remove") return Ok(r, Json::object());
    return Error(r, "NOT_FOUND");
  }

 private:
  static HttpResponse Ok(const HttpRequest& r, Json out) {
    out["request_id"] = "req";
    return MakeJsonResponse(r, 200, out.dump());
  }
  static HttpResponse Error(const HttpRequest& r, const std::string& code) {
    return MakeJsonResponse(r, 400, Json{{"error_type", "ITEM_ERROR"}, {"error_code", code},
                                         {"error_message", code}, {"request_id", "req"}}.dump());
  }
  std::mutex mu_;
  std::string refusal_;
};

struct PlaidRig {
  PlaidFake fake;
  Rig rig;
  explicit PlaidRig(std::vector<mocks::Defect> defects = {})
      : rig(std::move(defects), 0,
            RigBank{"usbank", mocks::Dialect::kPlaid,
                    [this](const HttpRequest& r) { return fake.Answer(r); }, ""}) {}
  static bool Route(const Seen& s, const std::string& path) { return s.target == path; }
  std::optional<Seen> WaitFor(const std::string& path) {
    return rig.bank.WaitFor([&](const Seen& s) { return Route(s, path); });
  }
  std::size_t Count(const std::string& path) {
    return rig.bank.Count([&](const Seen& s) { return Route(s, path); });
  }
  void Link(std::vector<std::string> scopes) {
    REQUIRE(rig.Post("/v1/links", {{"customer", 17}, {"bank", "usbank"}, {"scopes", scopes},
                                   {"purposes", {"display"}}}) == 202);
    REQUIRE(WaitFor("/link/token/create"));
    REQUIRE(rig.Post("/v1/link-callback", {{"customer", 17}, {"bank", "usbank"},
                                           {"consent_id", "consent-7"},
                                           {"code", "public-sandbox-1"}}) == 202);
    REQUIRE(WaitFor("/accounts/balance/get"));
  }
  // A webhook as Plaid sends it: the body, and a Plaid-Verification JWT over it
  // (`signed_body`, `iat` seconds ago, by `key`).
  unsigned Webhook(const Json& body, const Es256Key* key = nullptr, std::int64_t age = 0,
                   std::string signed_body = "") {
    const std::string text = body.dump();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    Json claims = {{"iat", now - age},
                   {"request_body_sha256", Sha256Hex(signed_body.empty() ? text : signed_body)}};
    auto r = rig.client.Send(rig.url, "POST", "/v1/plaid-webhooks/usbank",
                             {{"Plaid-Verification", (key ? *key : fake.key).SignJwt(claims.dump())}},
                             text);
    REQUIRE(r.ok());
    return r->status;
  }
  // The reply to balance question `check` of customer 17.
  Json Ask(int check) {
    REQUIRE(rig.Post("/v1/balance-requests", {{"customer", 17}, {"check", check}, {"chat", "private"}}) == 202);
    const std::string tag = "\"check\":" + std::to_string(check);
    auto reply = rig.messenger.WaitFor([&](const Seen& s) {
      return IsChat(s, 17) && s.body.find(tag) != std::string::npos;
    });
    REQUIRE(reply);
    return Json::parse(reply->body);
  }
};

Json Item(const char* type, const char* code) {
  return {{"webhook_type", type}, {"webhook_code", code}, {"item_id", "consent-7"},
          {"environment", "sandbox"}};
}

}  // namespace

TEST_CASE("bpsim platform links a Plaid Item, reads its balance and pages /transactions/sync",
          "[live][platform]") {
  PlaidRig p;
  p.Link({"accounts", "balances", "transactions"});
  auto link = p.WaitFor("/link/token/create");
  Json body = Json::parse(link->body);
  CHECK(link->headers["PLAID-CLIENT-ID"] == kPlaidClientId);
  CHECK(link->headers["PLAID-SECRET"] == kPlaidSecret);
  CHECK(link->headers["Plaid-Version"] == kPlaidApiVersion);
  CHECK(body["user"]["client_user_id"] == "17");
  CHECK(body["products"] == Json::array({"transactions"}));
  CHECK(body["webhook"] == "http://127.0.0.1:" + p.rig.url.port + "/v1/plaid-webhooks/usbank");
  CHECK(Json::parse(p.WaitFor("/item/public_token/exchange")->body)["public_token"] ==
        "public-sandbox-1");
  CHECK(Json::parse(p.WaitFor("/accounts/balance/get")->body)["access_token"] ==
        PlaidFake::kToken);
  // The first sync pages to the end: no cursor, then the first page's.
  REQUIRE(p.rig.bank.WaitFor([](const Seen& s) {
    return s.target == "/transactions/sync" && s.body.find("\"cursor\":\"c1\"") != std::string::npos;
  }));
  CHECK(p.Count("/transactions/sync") == 2);
  Json reply = p.Ask(1);
  CHECK(reply["kind"] == "answered");
  CHECK(reply["text"] == "Your balance at usbank (USBANK-00000017-CHK): 2671.70 USD");
  for (int i = 0; i < 200 && p.rig.platform->counters().syncs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(p.rig.platform->counters().syncs == 1);
}

TEST_CASE("bpsim platform asks a balance-only Item for no transactions, unless it overfetches",
          "[live][platform]") {
  SECTION("correct") {
    PlaidRig p;
    p.Link({"accounts", "balances"});
    CHECK(Json::parse(p.WaitFor("/link/token/create")->body)["products"] == Json::array({"balance"}));
    CHECK(p.Ask(1)["kind"] == "answered");
    CHECK(p.Count("/transactions/sync") == 0);
  }
  SECTION("platform.overfetch_scopes syncs whatever the products") {
    PlaidRig p({mocks::Defect::kOverfetchScopes});
    p.Link({"accounts", "balances"});
    CHECK(p.WaitFor("/transactions/sync"));
  }
}

TEST_CASE("bpsim platform acts on Plaid webhooks only when their JWT verifies",
          "[live][platform]") {
  PlaidRig p;
  p.Link({"accounts", "balances", "transactions"});
  REQUIRE(p.rig.bank.WaitFor([](const Seen& s) { return s.body.find("\"c1\"") != std::string::npos; }));
  const Json sync = Item("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE");
  Es256Key other = Es256Key::Generate(1700000000).value();
  // Another key (unknown to the bank), a body other than the one signed, a JWT
  // issued 10 minutes ago, none at all: refused, and nothing is synced.
  CHECK(p.Webhook(sync, &other) == 401);
  CHECK(p.Webhook(sync, nullptr, 0, "{}") == 401);
  CHECK(p.Webhook(sync, nullptr, 600) == 401);
  auto bare = p.rig.client.Send(p.rig.url, "POST", "/v1/plaid-webhooks/usbank", {}, sync.dump());
  REQUIRE(bare.ok());
  CHECK(bare->status == 401);
  CHECK(Json::parse(bare->body)["error"]["message"] ==
        "Plaid-Verification does not verify: there is no Plaid-Verification header");
  CHECK(p.rig.platform->counters().webhooks_bad_signature == 4);
  // A webhook for a bank that is not a Plaid bank of the platform.
  auto elsewhere = p.rig.client.Send(p.rig.url, "POST", "/v1/plaid-webhooks/northbank", {}, "{}");
  REQUIRE(elsewhere.ok());
  CHECK(elsewhere->status == 404);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(p.Count("/transactions/sync") == 2);
  // Signed by the bank's key: a sync from the kept cursor, which posts the pending
  // card transaction. The key was fetched once.
  CHECK(p.Webhook(sync) == 200);
  REQUIRE(p.rig.bank.WaitFor([](const Seen& s) { return s.body.find("\"cursor\":\"c2\"") != std::string::npos; }));
  CHECK(p.Webhook(sync) == 200);
  REQUIRE(p.rig.bank.WaitFor([](const Seen& s) { return s.body.find("\"cursor\":\"c3\"") != std::string::npos; }));
  CHECK(p.Count("/webhook_verification_key/get") == 2);  // the other key's kid, then the bank's
}

TEST_CASE("bpsim platform ends a Plaid link as the Item webhooks and errors say",
          "[live][platform]") {
  auto ended = [](PlaidRig& p) {
    // Nothing is asked of the bank any more; the customer is told to link again.
    const std::size_t asked = p.Count("/accounts/balance/get");
    CHECK(p.Ask(5)["kind"] == "not_linked");
    CHECK(p.Count("/accounts/balance/get") == asked);
  };
  SECTION("ITEM: USER_PERMISSION_REVOKED") {
    PlaidRig p;
    p.Link({"accounts", "balances"});
    CHECK(p.Webhook(Item("ITEM", "USER_PERMISSION_REVOKED")) == 200);
    ended(p);
    CHECK(p.Count("/item/remove") == 0);  // revoked at the bank: nothing to remove
  }
  // ITEM: ERROR carrying Plaid's error object of `type` and `code`.
  auto item_error = [](const char* type, const char* code) {
    Json error = Item("ITEM", "ERROR");
    error["error"] = {{"error_type", type}, {"error_code", code}};
    return error;
  };
  SECTION("ITEM: ERROR with ITEM_LOGIN_REQUIRED") {
    PlaidRig p;
    p.Link({"accounts", "balances"});
    CHECK(p.Webhook(item_error("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")) == 200);
    ended(p);
  }
  SECTION("ITEM: ERROR of another kind ends nothing") {
    PlaidRig p;
    p.Link({"accounts", "balances"});
    CHECK(p.Webhook(item_error("INSTITUTION_ERROR", "INSTITUTION_DOWN")) == 200);
    CHECK(p.Ask(5)["kind"] == "answered");
  }
  SECTION("a read refused with USER_PERMISSION_REVOKED (the webhook was lost)") {
    PlaidRig p;
    p.fake.Refuse("USER_PERMISSION_REVOKED");
    p.Link({"accounts", "balances"});  // its first read is refused: the link ends
    Json reply = p.Ask(5);
    CHECK(reply["kind"] == "not_linked");
    CHECK(p.rig.platform->counters().bank_failures >= 1);
  }
  SECTION("ITEM: PENDING_EXPIRATION tells the customer and keeps the link") {
    PlaidRig p;
    p.Link({"accounts", "balances"});
    Json notice = Item("ITEM", "PENDING_EXPIRATION");
    notice["consent_expiration_time"] = "2025-01-08T00:00:00+00:00";
    CHECK(p.Webhook(notice) == 200);
    auto told = p.rig.messenger.WaitFor([](const Seen& s) {
      return IsChat(s, 17) && s.body.find("expires on") != std::string::npos;
    });
    REQUIRE(told);
    CHECK(Json::parse(told->body) ==
          Json{{"text", "Your link to usbank expires on 2025-01-08; link it again in the "
                        "messenger to keep seeing your balance."}});
    CHECK(p.rig.platform->counters().expiry_notices == 1);
    CHECK(p.Ask(6)["kind"] == "answered");
  }
  SECTION("a webhook of an Item the platform does not use is accepted and ignored") {
    PlaidRig p;
    Json other = Item("ITEM", "USER_PERMISSION_REVOKED");
    other["item_id"] = "consent-99";
    CHECK(p.Webhook(other) == 200);
  }
}

TEST_CASE("bpsim platform removes the Item when the customer revokes in the messenger",
          "[live][platform]") {
  PlaidRig p;
  p.Link({"accounts", "balances"});
  REQUIRE(p.rig.Post("/v1/revocations", {{"customer", 17}, {"bank", "usbank"},
                                         {"consent_id", "consent-7"}}) == 202);
  auto removed = p.WaitFor("/item/remove");
  REQUIRE(removed);
  CHECK(Json::parse(removed->body) == Json{{"access_token", PlaidFake::kToken}});
  CHECK(removed->headers["PLAID-CLIENT-ID"] == kPlaidClientId);
  CHECK(p.Ask(2)["kind"] == "not_linked");
}

TEST_CASE("bpsim platform refuses malformed contract calls", "[live][platform]") {
  Rig rig;
  CHECK(rig.Post("/v1/links", Json{{"customer", 1}, {"bank", "nobank"}, {"scopes", {"accounts"}}}) == 400);
  CHECK(rig.Post("/v1/links", Json::array()) == 400);
  CHECK(rig.Post("/v1/balance-requests", {{"customer", 1}, {"check", 1}, {"chat", "group"}}) == 400);
  CHECK(rig.Post("/v1/link-callback", {{"customer", 1}, {"consent_id", "consent-9"}, {"code", "x"}}) == 409);
  CHECK(rig.Post("/v1/nothing", Json::object()) == 404);
  auto get = rig.client.Send(rig.url, "GET", "/v1/links", {});
  REQUIRE(get.ok());
  CHECK(get->status == 405);
}

TEST_CASE("HMAC-SHA256 hex matches RFC 4231 test case 2", "[live][platform]") {
  CHECK(HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST_CASE("URLs of live mode's peers parse or are refused clearly", "[live][platform]") {
  auto u = ParseUrl("http://127.0.0.1:8080/open-banking/v3.1/aisp/");
  REQUIRE(u.ok());
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "8080");
  CHECK(u->path == "/open-banking/v3.1/aisp");
  CHECK(ParseUrl("http://localhost")->port == "80");
  CHECK(ParseUrl("https://x").error().message.find("http://") != std::string::npos);
  CHECK_FALSE(ParseUrl("http://x:99999").ok());
  CHECK_FALSE(ParseUrl("http://:80").ok());
}

}  // namespace bpsim::harness::live
