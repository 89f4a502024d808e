// Live mode with an external platform (docs/platform-contract.md): a fake platform
// on loopback receives the contract's calls from the bridge; the banks' token
// endpoint; the messenger sinks and their canary scanning.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "harness/live/canary.h"
#include "harness/live/platform_bridge.h"
#include "tests/harness/live_client.h"
#include "tests/harness/openapi_check.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::Json;

const std::string kBase = "/open-banking/v3.1/aisp";

// The platform under test, faked: records every request and answers `status_for`.
struct FakePlatform {
  struct Received {
    std::string target;
    std::string body;
    std::map<std::string, std::string> headers;
  };
  FakePlatform() {
    auto started = HttpServer::Start(ServerOptions{}, [this](const HttpRequest& r) {
      Received got;
      got.target = std::string(r.target());
      got.body = r.body();
      for (const auto& f : r) got.headers[std::string(f.name_string())] = std::string(f.value());
      unsigned status;
      {
        std::lock_guard<std::mutex> lock(mu);
        received.push_back(got);
        status = status_for ? status_for(got, received.size()) : 200;
      }
      cv.notify_all();
      return MakeJsonResponse(r, status, "{}");
    });
    if (!started.ok()) throw std::runtime_error(started.error().message);
    server = std::move(started).value();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
  // Waits (up to 5 s) until `n` requests arrived; returns them.
  std::vector<Received> WaitFor(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return received.size() >= n; });
    return received;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Received> received;
  std::function<unsigned(const Received&, std::size_t)> status_for;
  std::unique_ptr<HttpServer> server;
};

struct Recorder : mocks::WorldTraceSubscriber {
  void OnEntry(const mocks::TraceEntry& e) override {
    std::lock_guard<std::mutex> lock(mu);
    entries.push_back(e);
  }
  std::vector<mocks::TraceEntry> Of(mocks::EntryType t) {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<mocks::TraceEntry> out;
    for (const auto& e : entries) {
      if (e.type == t) out.push_back(e);
    }
    return out;
  }
  std::mutex mu;
  std::vector<mocks::TraceEntry> entries;
};

// A quiet two-bank world driving the fake platform through the bridge.
struct PlatformWorld {
  PlatformWorld() {
    spec.seed = 5;
    spec.duration = 30 * kDay;
    spec.drain = kHour;
    mocks::BankConfig north;
    north.id = "northbank";
    north.api.error_rate = 0;
    north.api.rate_limit_per_s = 0;
    mocks::BankConfig south = north;
    south.id = "southbank";
    south.api.dialect = mocks::Dialect::kBerlinGroup;
    spec.world.banks = {north, south};
    spec.world.customers.count = 40;
    spec.world.customers.consent.opt_in = 0;
    spec.world.customers.fraud.compromise_rate_per_year = 0;
    spec.world.platform.partners = {"adpartner"};
    bus.Subscribe(&trace);
    world = std::make_unique<mocks::World>(spec, &sim, &bus, [this](mocks::World& w) {
      PlatformBridge::Options o;
      o.url = ParsePlatformUrl(platform.url()).value();
      o.webhook_secret = "s3cret";
      o.timeout = std::chrono::milliseconds(2000);
      auto made = std::make_unique<PlatformBridge>(w, &w.simulator(), std::move(o));
      bridge = made.get();
      return made;
    });
    world->Start();
    now.store(kHour);
    service = std::make_unique<LiveService>(
        world.get(), &sim, [this] { return now.load(); }, 1.0);
    service->AttachPlatform(bridge);
    auto urls = service->Listen(ServerOptions{});
    if (!urls.ok()) throw std::runtime_error(urls.error().message);
    obie_port = service->ports()[0];
    messenger_port = service->ports()[2];
    service->Advance();
  }
  ~PlatformWorld() {
    service->Stop();
    bridge->Stop();
  }
  mocks::CustomerId CustomerOf(mocks::BankIndex b, int nth = 0) {
    for (mocks::CustomerId c = 0; c < world->population().size(); ++c) {
      if (world->population().at(c).bank == b && nth-- == 0) return c;
    }
    throw std::runtime_error("no such customer");
  }
  // The platform's part: a consent created at northbank over HTTP for `c`.
  std::string CreateConsent(mocks::CustomerId c) {
    Client client(obie_port);
    auto r = client.Post(kBase + "/account-access-consents",
                         R"({"Data":{"Permissions":["ReadAccountsBasic","ReadBalances",)"
                         R"("ReadTransactionsBasic"]},"Risk":{}})",
                         {{"x-bpsim-psu-id", std::to_string(c)},
                          {"Authorization", "Bearer " + testing::ClientToken(client)}});
    REQUIRE(r.status == 201);
    return r.json()["Data"]["ConsentId"];
  }

  FakePlatform platform;
  Recorder trace;
  mocks::WorldSpec spec;
  Simulator sim;
  mocks::WorldTraceBus bus;
  PlatformBridge* bridge = nullptr;
  std::unique_ptr<mocks::World> world;
  std::atomic<SimTime> now{0};
  std::unique_ptr<LiveService> service;
  std::uint16_t obie_port = 0, messenger_port = 0;
};

std::string Hmac(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", mac[i]);
    hex += b;
  }
  return "sha256=" + hex;
}

TEST_CASE("webhook signatures are HMAC-SHA256 in lower-case hex", "[live][platform]") {
  // RFC 4231-style known vector.
  CHECK(WebhookSignature("key", "The quick brown fox jumps over the lazy dog") ==
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST_CASE("platform URLs are checked", "[live][platform]") {
  auto ok = ParsePlatformUrl("http://127.0.0.1:9090/");
  REQUIRE(ok.ok());
  CHECK(ok->host == "127.0.0.1");
  CHECK(ok->port == "9090");
  CHECK(ok->base.empty());
  CHECK(ok->text == "http://127.0.0.1:9090");
  CHECK(ParsePlatformUrl("http://p.example/api/v2")->base == "/api/v2");
  CHECK(!ParsePlatformUrl("https://127.0.0.1:9090").ok());
  CHECK(!ParsePlatformUrl("http://127.0.0.1:0").ok());
  CHECK(!ParsePlatformUrl("127.0.0.1:9090").ok());
}

TEST_CASE("customer actions become the contract's calls, and the code buys one token",
          "[live][platform]") {
  PlatformWorld w;
  const mocks::CustomerId alice = w.CustomerOf(0);
  const mocks::PurposeSet purposes = mocks::kPurposeDisplay | mocks::kPurposeFraudAlerts;
  w.bridge->StartLinking(alice, 0, mocks::kScopeAccounts | mocks::kScopeBalances, purposes,
                         90 * kDay);
  CHECK(w.bridge->link(alice).state == mocks::LinkState::kPending);
  CHECK(w.bridge->link(alice).consent == 0);
  auto got = w.platform.WaitFor(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].target == "/v1/links");
  CHECK(got[0].headers["Content-Type"] == "application/json");
  Json link = Json::parse(got[0].body);
  CHECK(link["customer"] == alice);
  CHECK(link["bank"] == "northbank");
  CHECK(link["scopes"] == Json::array({"accounts", "balances"}));
  CHECK(link["purposes"] == Json::array({"display", "fraud_alerts"}));
  CHECK(link["valid_until"] == FormatDateTime(kHour + 90 * kDay));

  // The platform creates the consent at the bank: the link learns it, with the
  // purposes the customer agreed to.
  std::string consent_text = w.CreateConsent(alice);
  mocks::ConsentId consent = w.bridge->link(alice).consent;
  REQUIRE(consent != 0);
  CHECK(LiveBank::ConsentText(consent) == consent_text);
  CHECK(w.world->consents().Get(consent).purposes == purposes);

  // The customer authorises at the bank; the platform gets the redirect with a code.
  REQUIRE(w.world->consents().Authorise(consent, 0x1234567890abcdefULL));
  w.bridge->OnAuthorised(alice, consent);
  CHECK(w.bridge->link(alice).state == mocks::LinkState::kActive);
  got = w.platform.WaitFor(2);
  REQUIRE(got.size() == 2);
  CHECK(got[1].target == "/v1/link-callback");
  Json callback = Json::parse(got[1].body);
  CHECK(callback["customer"] == alice);
  CHECK(callback["bank"] == "northbank");
  CHECK(callback["consent_id"] == consent_text);
  std::string code = callback["code"];
  CHECK(code.rfind("ac-" + std::to_string(consent) + "-", 0) == 0);

  Client bank(w.obie_port);
  const std::map<std::string, std::string> form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  auto bad_grant = bank.Post("/token", "grant_type=password&code=" + code, form);
  CHECK(bad_grant.status == 400);
  CHECK(bad_grant.json()["error"] == "unsupported_grant_type");
  auto token = bank.Post("/token", "grant_type=authorization_code&code=" + code, form);
  REQUIRE(token.status == 200);
  CHECK(token.json()["access_token"] == consent_text + ".1234567890abcdef");
  CHECK(token.json()["token_type"] == "Bearer");
  CHECK(token.json()["consent_id"] == consent_text);
  CHECK(token.json()["expires_in"].get<std::int64_t>() > 0);
  auto again = bank.Post("/token", "grant_type=authorization_code&code=" + code, form);
  CHECK(again.status == 400);
  CHECK(again.json()["error"] == "invalid_grant");
  CHECK(bank.Post("/token", "grant_type=authorization_code&code=ac-1-00", form)
            .json()["error"] == "invalid_grant");

  // The token works, and the request is on the trace as the platform's api.request.
  const std::string chk = AccountId("northbank", alice, AccountKind::kChecking);
  auto balance = bank.Get(kBase + "/accounts/" + chk + "/balances",
                          {{"Authorization", "Bearer " + token.json()["access_token"].get<std::string>()}});
  CHECK(balance.status == 200);
  auto requests = w.trace.Of(mocks::EntryType::kApiRequest);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].from == mocks::kConnector);
  CHECK(requests[0].consent == consent);
  CHECK(requests[0].subject == alice);

  // A balance question, then a revocation in the messenger.
  w.bridge->OnBalanceCheck(alice, true, 7);
  got = w.platform.WaitFor(3);
  REQUIRE(got.size() == 3);
  CHECK(got[2].target == "/v1/balance-requests");
  Json question = Json::parse(got[2].body);
  CHECK(question["customer"] == alice);
  CHECK(question["chat"] == "group");
  CHECK(question["group"] == 7);
  auto checks = w.trace.Of(mocks::EntryType::kBalanceCheck);
  REQUIRE(checks.size() == 1);
  CHECK(question["check"] == checks[0].ref);
  CHECK(checks[0].to == mocks::GroupEndpoint(7));

  w.bridge->OnCustomerRevoke(alice);
  got = w.platform.WaitFor(4);
  REQUIRE(got.size() == 4);
  CHECK(got[3].target == "/v1/revocations");
  Json revocation = Json::parse(got[3].body);
  CHECK(revocation["customer"] == alice);
  CHECK(revocation["consent_id"] == consent_text);
  // The customer's request is the world's to publish (World::CustomerRevokes), before
  // it calls the bridge; the bridge only makes the call.
  CHECK(w.trace.Of(mocks::EntryType::kRevokeRequested).empty());
  CHECK(w.bridge->link(alice).state == mocks::LinkState::kEnded);
}

TEST_CASE("a rejected link is reported with access_denied", "[live][platform]") {
  PlatformWorld w;
  const mocks::CustomerId bob = w.CustomerOf(0, 1);
  w.bridge->StartLinking(bob, 0, mocks::kScopeBalances, mocks::kPurposeDisplay, 90 * kDay);
  w.CreateConsent(bob);
  mocks::ConsentId consent = w.bridge->link(bob).consent;
  REQUIRE(w.world->consents().Reject(consent));
  w.bridge->OnRejected(bob, consent);
  auto got = w.platform.WaitFor(2);
  REQUIRE(got.size() == 2);
  Json callback = Json::parse(got[1].body);
  CHECK(callback["error"] == "access_denied");
  CHECK(!callback.contains("code"));
  CHECK(w.bridge->link(bob).state == mocks::LinkState::kNone);
}

TEST_CASE("webhooks are signed, retried on 500 and received only after a 2xx",
          "[live][platform]") {
  PlatformWorld w;
  w.platform.status_for = [](const FakePlatform::Received& r, std::size_t) {
    static int webhooks = 0;
    if (r.target != "/v1/webhooks") return 200u;
    return ++webhooks == 1 ? 500u : 200u;
  };
  const mocks::CustomerId alice = w.CustomerOf(0);
  // The bank sends an alert only under a live consent naming fraud_alerts.
  const mocks::ConsentId consent = w.world->consents().Create(
      alice, 0, mocks::kScopeBalances, mocks::kPurposeDisplay | mocks::kPurposeFraudAlerts,
      90 * kDay);
  REQUIRE(w.world->consents().Authorise(consent, 0x5151515151515151ULL));
  mocks::Webhook hook;
  hook.kind = mocks::WebhookKind::kFraudAlert;
  hook.bank = 0;
  hook.customer = alice;
  hook.consent = consent;
  hook.ref = 42;
  hook.detected_at = kHour;
  hook.transaction.time = 2 * kDay + 5 * kMinute;
  hook.transaction.seq = 3;
  hook.transaction.amount_cents = 12345;
  w.world->outbox().Send(hook);
  // Run the simulation on until the platform has accepted the webhook.
  for (int i = 0; i < 200 && w.trace.Of(mocks::EntryType::kWebhookReceived).empty(); ++i) {
    w.now.store(w.now.load() + kSecond);
    w.service->Advance();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto got = w.platform.WaitFor(2);
  REQUIRE(got.size() >= 2);
  auto received = w.trace.Of(mocks::EntryType::kWebhookReceived);
  REQUIRE(received.size() == 1);
  CHECK(received[0].ref == 42);
  CHECK(received[0].value == 2);  // the second attempt
  CHECK(w.trace.Of(mocks::EntryType::kWebhookSent).size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(got[i].target == "/v1/webhooks");
    CHECK(got[i].headers["X-Bpsim-Webhook-Id"] == "wh-northbank-42");
    CHECK(got[i].headers["X-Bpsim-Attempt"] == std::to_string(i + 1));
    CHECK(got[i].headers["X-Bpsim-Signature"] == Hmac("s3cret", got[i].body));
  }
  Json body = Json::parse(got[0].body);
  CHECK(body["type"] == "fraud_alert");
  CHECK(body["alert_id"] == "ALERT-00000042");
  CHECK(body["customer"] == alice);
  CHECK(body["detected_at"] == "2025-01-01T01:00:00+00:00");
  CHECK(body["transaction"]["id"] == TransactionId(alice, hook.transaction));
  CHECK(body["transaction"]["id"] == "TX-" + std::string(8 - std::to_string(alice).size(), '0') +
                                         std::to_string(alice) + "-00002-0003");
  CHECK(body["transaction"]["amount"] == "123.45");
  CHECK(body["transaction"]["currency"] == "GBP");
  CHECK(body["transaction"]["account_id"] == AccountId("northbank", alice, AccountKind::kCard));
  // Nothing further is sent once accepted.
  for (int i = 0; i < 20; ++i) {
    w.now.store(w.now.load() + kMinute);
    w.service->Advance();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(w.platform.WaitFor(0).size() == 2);
}

TEST_CASE("the messenger sinks label what reaches them by its canaries", "[live][platform]") {
  PlatformWorld w;
  const mocks::CustomerId alice = w.CustomerOf(0), bob = w.CustomerOf(0, 1);
  // The platform links alice and fetches her accounts.
  w.bridge->StartLinking(alice, 0, mocks::kScopeAccounts, mocks::kPurposeDisplay, 90 * kDay);
  w.CreateConsent(alice);
  mocks::ConsentId consent = w.bridge->link(alice).consent;
  REQUIRE(w.world->consents().Authorise(consent, 0xabcdefabcdef1234ULL));
  Client bank(w.obie_port);
  REQUIRE(bank.Get(kBase + "/accounts",
                   {{"Authorization", "Bearer " + LiveBank::AccessToken(consent, 0xabcdefabcdef1234ULL)}})
              .status == 200);
  const std::string alice_chk = AccountId("northbank", alice, AccountKind::kChecking);

  Client sinks(w.messenger_port);
  auto flows_to = [&](mocks::Endpoint to) {
    std::vector<mocks::TraceEntry> out;
    for (const auto& e : w.trace.Of(mocks::EntryType::kFlow)) {
      if (e.from == mocks::kConnector && e.to == to) out.push_back(e);
    }
    return out;
  };

  SECTION("another customer's account id in a chat is a labelled flow into it") {
    auto r = sinks.Post("/v1/chats/" + std::to_string(bob) + "/messages",
                        Json{{"text", "your friend banks as " + alice_chk}}.dump());
    CHECK(r.status == 202);
    CHECK(r.json()["accepted"] == true);
    auto flows = flows_to(mocks::ChatEndpoint(bob));
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].labelled);
    CHECK(flows[0].subject == alice);  // not the chat's owner: subject-isolation
    CHECK(flows[0].bank == 0);
    CHECK(flows[0].consent == consent);
    CHECK(flows[0].consent_purposes == mocks::kPurposeDisplay);
    CHECK(flows[0].categories == mocks::CategoryBit(mocks::Category::kAccounts));
    CHECK(flows[0].purpose == mocks::kPurposeDisplay);
  }
  SECTION("a partner export with an account id is sharing with a third party") {
    auto r = sinks.Post("/v1/partners/adpartner/exports",
                        Json{{"rows", Json::array({alice_chk})}}.dump());
    CHECK(r.status == 202);
    auto flows = flows_to(mocks::PartnerEndpoint(0));
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].subject == alice);
    CHECK(flows[0].purpose == mocks::kPurposeSharing);
    CHECK(sinks.Post("/v1/partners/nobody/exports", "{}").status == 404);
    // A body without canaries reaches the sink without a labelled flow.
    CHECK(sinks.Post("/v1/analytics/events", R"({"event":"opened","n":3})").status == 202);
    CHECK(flows_to(mocks::kAnalytics).empty());
  }
  SECTION("an alert id in its owner's chat is the alert's display") {
    mocks::Webhook hook;
    hook.bank = 0;
    hook.customer = alice;
    hook.consent = consent;
    hook.ref = 7;
    hook.detected_at = 30 * kMinute;
    // The bank releases the alert (as the webhook outbox does at the first attempt).
    hook.datum = w.world->bank(0).Release(alice, consent, mocks::Category::kAlert,
                                          mocks::kPurposeFraudAlerts, 7);
    w.bridge->OnWebhook(hook, 1, 0);
    auto r = sinks.Post("/v1/chats/" + std::to_string(alice) + "/messages",
                        R"({"text":"Suspicious payment","alert_id":"ALERT-00000007"})");
    CHECK(r.status == 202);
    auto shown = w.trace.Of(mocks::EntryType::kAlertDisplayed);
    REQUIRE(shown.size() == 1);
    CHECK(shown[0].subject == alice);
    CHECK(shown[0].ref == 7);
    CHECK(shown[0].value == 30 * kMinute);
    CHECK(shown[0].to == mocks::ChatEndpoint(alice));
    auto flows = flows_to(mocks::ChatEndpoint(alice));
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].purpose == mocks::kPurposeFraudAlerts);
    CHECK(flows[0].categories == mocks::CategoryBit(mocks::Category::kAlert));
  }
  SECTION("a reply to a balance question is recorded with its kind") {
    w.bridge->OnBalanceCheck(alice, false, 0);
    auto checks = w.trace.Of(mocks::EntryType::kBalanceCheck);
    REQUIRE(checks.size() == 1);
    auto r = sinks.Post("/v1/chats/" + std::to_string(alice) + "/messages",
                        Json{{"text", "not linked"}, {"check", checks[0].ref},
                             {"kind", "not_linked"}}.dump());
    CHECK(r.status == 202);
    auto replies = w.trace.Of(mocks::EntryType::kBalanceReply);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].subject == alice);
    CHECK(replies[0].reason == std::uint8_t(mocks::ReplyKind::kNotLinked));
  }
  SECTION("chat routes answer 503 during a messenger outage; bad bodies 400 and 413") {
    mocks::Outage outage;
    outage.target = "messenger";
    outage.duration = kHour;
    w.world->network().StartOutage(mocks::Network::kMessengerTarget, outage, 99);
    auto r = sinks.Post("/v1/chats/" + std::to_string(alice) + "/messages", R"({"text":"hi"})");
    CHECK(r.status == 503);
    CHECK(!r.header("Retry-After").empty());
    CHECK(sinks.Post("/v1/groups/3/messages", R"({"text":"hi"})").status == 503);
    CHECK(sinks.Post("/v1/ads/audiences", R"({"segment":[]})").status == 202);
    w.world->network().EndOutage(mocks::Network::kMessengerTarget, 99);
    CHECK(sinks.Post("/v1/ads/audiences", "not json").status == 400);
    Client big(w.messenger_port);
    std::string huge = "\"" + std::string(1024 * 1024 + 10, 'a') + "\"";
    CHECK(big.Post("/v1/ads/audiences", huge).status == 413);
  }
  SECTION("chat routes reset every request while the messenger is crashed") {
    const std::string chat = "/v1/chats/" + std::to_string(alice) + "/messages";
    w.world->network().CrashMessenger();
    CHECK_THROWS(sinks.Post(chat, R"({"text":"hi"})"));
    CHECK_THROWS(Client(w.messenger_port).Post("/v1/groups/3/messages", R"({"text":"hi"})"));
    // The other sinks stand for other parties: they keep answering.
    CHECK(Client(w.messenger_port).Post("/v1/ads/audiences", R"({"segment":[]})").status == 202);
    w.world->network().RestartMessenger();
    CHECK(Client(w.messenger_port).Post(chat, R"({"text":"hi"})").status == 202);
    CHECK(w.service->server_stats(2).resets == 2);
  }
}

}  // namespace
}  // namespace bpsim::harness::live

namespace bpsim::harness::live {
namespace {

TEST_CASE("amounts are attributed only when served for exactly one subject", "[live][platform]") {
  PlatformWorld w;
  const mocks::CustomerId alice = w.CustomerOf(0), bob = w.CustomerOf(1);
  ServedRegistry served;
  served.NoteAmount("12.34", alice, mocks::Category::kBalance);
  served.NoteAmount("99.99", alice, mocks::Category::kTransactions);
  served.NoteAmount("99.99", bob, mocks::Category::kTransactions);
  auto hits = ScanCanaries(R"({"a":"12.34","b":99.99,"c":"112.34","d":"12.345","e":"x12.34"})",
                           *w.world, served);
  REQUIRE(hits.size() == 1);
  CHECK(hits.begin()->first == alice);
  CHECK(hits.begin()->second.categories == mocks::CategoryBit(mocks::Category::kBalance));
  // Identifying canaries: account and transaction ids name their subject directly.
  const std::string text = AccountId("southbank", bob, AccountKind::kCard) + " TX-" +
                           std::string(8 - std::to_string(alice).size(), '0') +
                           std::to_string(alice) + "-00001-0002 XNORTHBANK-00000001-CHK";
  hits = ScanCanaries(text, *w.world, served);
  REQUIRE(hits.size() == 2);
  CHECK(hits[bob].categories == mocks::CategoryBit(mocks::Category::kAccounts));
  CHECK(hits[bob].bank == 1);
  CHECK(hits[alice].categories == mocks::CategoryBit(mocks::Category::kTransactions));
  // Berlin Group's IBANs and masked PANs too, only at their own bank.
  hits = ScanCanaries("iban " + Iban(1, bob) + ", card " + MaskedPan(0, alice) + ", " +
                          Iban(0, bob) + " x" + Iban(1, bob),
                      *w.world, served);
  REQUIRE(hits.size() == 2);
  CHECK(hits[bob].bank == 1);
  CHECK(hits[alice].bank == 0);
  CHECK(hits[alice].categories == mocks::CategoryBit(mocks::Category::kAccounts));
  // Amounts that travel as JSON numbers (Plaid's): 45.60 is 45.6 on the wire and in
  // whatever a platform copies it into; 7.00 is 7, which is not recognisable; a
  // version number is not money.
  served.NoteAmount("45.60", alice, mocks::Category::kBalance);
  served.NoteAmount("7.00", bob, mocks::Category::kBalance);
  served.NoteAmount("1.20", bob, mocks::Category::kBalance);
  hits = ScanCanaries(R"({"available":45.6,"owed":7,"sdk":"1.2.3","x":145.6})", *w.world, served);
  REQUIRE(hits.size() == 1);
  CHECK(hits.begin()->first == alice);
  CHECK(ScanCanaries(R"({"current":45.605})", *w.world, served).empty());
}

}  // namespace
}  // namespace bpsim::harness::live

namespace bpsim::harness::live {
namespace {

void Conforms(const testing_openapi::OpenApi& api, const std::string& path,
              const std::string& method, const testing::Reply& reply) {
  INFO(method << " " << path << " -> " << reply.status << " " << reply.body);
  std::vector<std::string> errors = api.Check(path, method, reply.status, reply.body);
  for (const std::string& e : errors) FAIL_CHECK(e);
  CHECK(errors.empty());
}

TEST_CASE("the token endpoint and the sinks answer as their OpenAPI files say",
          "[live][platform]") {
  const std::string docs = std::string(BPSIM_SOURCE_DIR) + "/docs/openapi/";
  testing_openapi::OpenApi obie(docs + "bank-obie.yaml"), bg(docs + "bank-berlin-group.yaml"),
      messenger(docs + "messenger.yaml");
  PlatformWorld w;
  const mocks::CustomerId alice = w.CustomerOf(0);
  w.bridge->StartLinking(alice, 0, mocks::kScopeAccounts, mocks::kPurposeDisplay, 90 * kDay);
  w.CreateConsent(alice);
  mocks::ConsentId consent = w.bridge->link(alice).consent;
  REQUIRE(w.world->consents().Authorise(consent, 0x1111222233334444ULL));
  w.bridge->OnAuthorised(alice, consent);
  std::string code = Json::parse(w.platform.WaitFor(2).at(1).body)["code"];
  const std::map<std::string, std::string> form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  Client bank(w.obie_port);
  Conforms(obie, "/token", "post",
           bank.Post("/token", "grant_type=authorization_code&code=" + code, form));
  Conforms(obie, "/token", "post",
           bank.Post("/token", "grant_type=authorization_code&code=" + code, form));
  Client south(w.service->ports()[1]);
  Conforms(bg, "/token", "post", south.Post("/token", "grant_type=password", form));

  Client sinks(w.messenger_port);
  const std::string chat = "/v1/chats/" + std::to_string(alice) + "/messages";
  Conforms(messenger, "/v1/chats/{customer}/messages", "post",
           sinks.Post(chat, R"({"text":"hello"})"));
  Conforms(messenger, "/v1/chats/{customer}/messages", "post", sinks.Post(chat, "{oops"));
  Conforms(messenger, "/v1/chats/{customer}/messages", "post",
           sinks.Post("/v1/chats/999999/messages", "{}"));
  Conforms(messenger, "/v1/partners/{name}/exports", "post",
           sinks.Post("/v1/partners/nobody/exports", "{}"));
  Conforms(messenger, "/v1/analytics/events", "post", sinks.Post("/v1/analytics/events", "[1]"));
  mocks::Outage outage;
  outage.target = "messenger";
  outage.duration = kHour;
  w.world->network().StartOutage(mocks::Network::kMessengerTarget, outage, 7);
  Conforms(messenger, "/v1/groups/{group}/messages", "post",
           sinks.Post("/v1/groups/1/messages", R"({"text":"hello"})"));
  w.world->network().EndOutage(mocks::Network::kMessengerTarget, 7);
  Conforms(messenger, "/metrics", "get", sinks.Get("/metrics"));
}

}  // namespace
}  // namespace bpsim::harness::live
