#include <catch2/catch.hpp>

#include "harness/live/canary.h"
#include "tests/harness/live_client.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::Json;
using testing::LiveWorld;
namespace http = boost::beast::http;

const std::string kAllAccess =
    R"({"access":{"balances":[],"transactions":[]},"recurringIndicator":true,"frequencyPerDay":4})";

std::string Create(Client& client, mocks::CustomerId customer,
                   const std::string& body = kAllAccess) {
  auto r = client.Post("/v1/consents", body, {{"PSU-ID", std::to_string(customer)}});
  REQUIRE(r.status == 201);
  return r.json()["consentId"];
}

std::string Authorise(Client& client, const std::string& id) {
  auto r = client.Post("/__bpsim/consents/" + id + "/authorise", "");
  REQUIRE(r.status == 200);
  return r.json()["access_token"];
}

std::map<std::string, std::string> Headers(const std::string& consent, const std::string& token) {
  return {{"Consent-ID", consent}, {"Authorization", "Bearer " + token}};
}

std::string Status(Client& client, const std::string& id) {
  return client.Get("/v1/consents/" + id + "/status").json()["consentStatus"];
}

Json FirstMessage(const testing::Reply& r) { return r.json()["tppMessages"][0]; }

TEST_CASE("berlin group: the consent life cycle from received to terminatedByTpp", "[live]") {
  LiveWorld w;
  w.now.store(3 * kDay);
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);

  auto created = client.Post("/v1/consents", kAllAccess, {{"PSU-ID", std::to_string(alice)}});
  REQUIRE(created.status == 201);
  const std::string id = created.json()["consentId"];
  CHECK(created.json()["consentStatus"] == "received");
  CHECK(created.json()["_links"]["self"]["href"] == "/v1/consents/" + id);
  CHECK(created.header("Location") == "/v1/consents/" + id);
  CHECK(Status(client, id) == "received");

  const std::string token = Authorise(client, id);
  CHECK(Status(client, id) == "valid");
  auto consent = client.Get("/v1/consents/" + id);
  CHECK(consent.status == 200);
  CHECK(consent.json()["frequencyPerDay"] == 4);
  CHECK(consent.json()["recurringIndicator"] == true);
  CHECK(consent.json()["validUntil"] == "2025-04-03");  // 3d + the 90d default
  CHECK(consent.json()["consentStatus"] == "valid");

  auto accounts = client.Get("/v1/accounts", Headers(id, token));
  REQUIRE(accounts.status == 200);
  const std::string card = AccountId("southbank", alice, AccountKind::kCard);
  CHECK(accounts.json()["accounts"][1]["resourceId"] == card);
  CHECK(accounts.json()["accounts"][1]["_links"]["balances"]["href"] ==
        "/v1/accounts/" + card + "/balances");

  auto balances = client.Get("/v1/accounts/" + card + "/balances", Headers(id, token));
  REQUIRE(balances.status == 200);
  std::int64_t cents = w.world->population().BalanceAt(alice, w.sim.Now()).card_cents;
  CHECK(balances.json()["balances"][0]["balanceAmount"]["amount"] ==
        (cents < 0 ? "-" : "") + FormatAmount(cents));
  CHECK(balances.json()["balances"][0]["balanceType"] == "interimAvailable");

  auto txs =
      client.Get("/v1/accounts/" + card + "/transactions?bookingStatus=booked&dateFrom=2025-01-02",
                 Headers(id, token));
  REQUIRE(txs.status == 200);
  std::vector<mocks::CardTransaction> expected;
  w.world->population().TransactionsIn(alice, kDay, 3 * kDay + 1, &expected);
  const Json body = txs.json();
  const Json& booked = body["transactions"]["booked"];
  REQUIRE(booked.size() == expected.size());
  REQUIRE_FALSE(expected.empty());
  CHECK(booked[0]["transactionId"] == TransactionId(alice, expected[0]));
  CHECK(booked[0]["transactionAmount"]["amount"] == "-" + FormatAmount(expected[0].amount_cents));

  auto deleted = client.Send(http::verb::delete_, "/v1/consents/" + id);
  CHECK(deleted.status == 204);
  CHECK(Status(client, id) == "terminatedByTpp");
  auto after = client.Get("/v1/accounts", Headers(id, token));
  CHECK(after.status == 401);
  CHECK(FirstMessage(after)["code"] == "CONSENT_INVALID");
  CHECK(FirstMessage(after)["text"] == "consent " + id + " is terminatedByTpp");
  CHECK(FirstMessage(after)["category"] == "ERROR");
}

TEST_CASE("berlin group: rejected and revokedByPsu consents", "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::string rejected = Create(client, alice);
  CHECK(client.Post("/__bpsim/consents/" + rejected + "/reject", "").status == 200);
  CHECK(Status(client, rejected) == "rejected");

  const std::string revoked = Create(client, alice);
  const std::string token = Authorise(client, revoked);
  REQUIRE(w.world->consents().Revoke(std::stoull(revoked.substr(8)), mocks::Via::kBank));
  CHECK(Status(client, revoked) == "revokedByPsu");
  auto r = client.Get("/v1/accounts", Headers(revoked, token));
  CHECK(r.status == 401);
  CHECK(FirstMessage(r)["code"] == "CONSENT_INVALID");
}

TEST_CASE("berlin group: every refusal has its status and tppMessages code", "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::string alice_chk = AccountId("southbank", alice, AccountKind::kChecking);
  const std::string bob_chk = AccountId("southbank", bob, AccountKind::kChecking);

  SECTION("400 FORMAT_ERROR for a missing PSU-ID, a bad body or a missing Consent-ID") {
    auto r = client.Post("/v1/consents", kAllAccess);
    CHECK(r.status == 400);
    CHECK(FirstMessage(r)["code"] == "FORMAT_ERROR");
    CHECK(FirstMessage(r)["text"] == "header PSU-ID (the customer number) is required");
    r = client.Post("/v1/consents", R"({"access":{}})", {{"PSU-ID", std::to_string(alice)}});
    CHECK(FirstMessage(r)["text"] ==
          "access must name accounts, balances, transactions, availableAccounts or allPsd2");
    r = client.Post("/v1/consents", R"({"access":{"balances":[]},"recurringIndicator":true})",
                    {{"PSU-ID", std::to_string(alice)}});
    CHECK(FirstMessage(r)["text"] == "frequencyPerDay is required and must be an integer >= 1");
    r = client.Get("/v1/accounts");
    CHECK(r.status == 400);
    CHECK(FirstMessage(r)["text"] == "header Consent-ID is required");
  }
  SECTION("401 TOKEN_INVALID without a token") {
    const std::string id = Create(client, alice);
    Authorise(client, id);
    auto r = client.Get("/v1/accounts", {{"Consent-ID", id}});
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "TOKEN_INVALID");
  }
  SECTION("401 CONSENT_INVALID for a scope the consent lacks") {
    const std::string id =
        Create(client, alice,
               R"({"access":{"balances":[]},"recurringIndicator":false,"frequencyPerDay":1})");
    const std::string token = Authorise(client, id);
    auto r = client.Get("/v1/accounts/" + alice_chk + "/transactions?bookingStatus=booked",
                        Headers(id, token));
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "CONSENT_INVALID");
    CHECK(FirstMessage(r)["text"] == "consent " + id + " does not cover this service");
  }
  SECTION("401 CONSENT_EXPIRED past validUntil") {
    const std::string id = Create(
        client, alice,
        R"({"access":{"balances":[]},"recurringIndicator":true,"frequencyPerDay":4,"validUntil":"2025-01-01"})");
    const std::string token = Authorise(client, id);
    w.now.store(kDay + kHour);
    auto r = client.Get("/v1/accounts/" + alice_chk + "/balances", Headers(id, token));
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "CONSENT_EXPIRED");
    CHECK(FirstMessage(r)["text"] == "consent " + id + " expired at 2025-01-02T00:00:00+00:00");
    CHECK(Status(client, id) == "expired");
  }
  SECTION("403 CONSENT_UNKNOWN when Consent-ID is not the token's consent") {
    const std::string mine = Create(client, alice);
    const std::string token = Authorise(client, mine);
    const std::string other = Create(client, bob);
    Authorise(client, other);
    auto r = client.Get("/v1/accounts", Headers(other, token));
    CHECK(r.status == 403);
    CHECK(FirstMessage(r)["code"] == "CONSENT_UNKNOWN");
    CHECK(client.Get("/v1/consents/consent-999/status").status == 403);
  }
  SECTION("403 RESOURCE_UNKNOWN for another customer's account: no data crosses subjects") {
    const std::string id = Create(client, alice);
    const std::string token = Authorise(client, id);
    auto r = client.Get("/v1/accounts/" + bob_chk + "/balances", Headers(id, token));
    CHECK(r.status == 403);
    CHECK(FirstMessage(r)["code"] == "RESOURCE_UNKNOWN");
    CHECK(r.body.find("balanceAmount") == std::string::npos);
  }
  SECTION("404 RESOURCE_UNKNOWN for an unknown path; 405 SERVICE_INVALID for a wrong method") {
    auto r = client.Get("/v1/payments");
    CHECK(r.status == 404);
    CHECK(FirstMessage(r)["code"] == "RESOURCE_UNKNOWN");
    r = client.Send(http::verb::put, "/v1/consents");
    CHECK(r.status == 405);
    CHECK(FirstMessage(r)["code"] == "SERVICE_INVALID");
  }
  SECTION("400 for transactions without bookingStatus") {
    const std::string id = Create(client, alice);
    const std::string token = Authorise(client, id);
    auto r = client.Get("/v1/accounts/" + alice_chk + "/transactions", Headers(id, token));
    CHECK(r.status == 400);
    CHECK(FirstMessage(r)["text"] == "query parameter bookingStatus is required");
  }
  SECTION("503 with Retry-After during an outage") {
    const std::string id = Create(client, alice);
    const std::string token = Authorise(client, id);
    w.world->bank(1).SetOutage(mocks::OutageMode::kUnavailable, 0, 5);
    auto r = client.Get("/v1/accounts", Headers(id, token));
    CHECK(r.status == 503);
    CHECK(r.header("Retry-After") == "30");
  }
}

TEST_CASE("berlin group: frequencyPerDay is enforced with 429 ACCESS_EXCEEDED", "[live]") {
  LiveWorld w(/*rate_limit_per_s=*/0, /*frequency_per_day=*/2);
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::string id = Create(client, alice);
  const std::string token = Authorise(client, id);
  CHECK(client.Get("/v1/accounts", Headers(id, token)).status == 200);
  CHECK(client.Get("/v1/accounts", Headers(id, token)).status == 200);
  auto r = client.Get("/v1/accounts", Headers(id, token));
  CHECK(r.status == 429);
  CHECK(FirstMessage(r)["code"] == "ACCESS_EXCEEDED");
  CHECK(r.header("Retry-After") == std::to_string(23 * 3600));  // until the next day at 1h
  w.now.store(kDay + kHour);
  CHECK(client.Get("/v1/accounts", Headers(id, token)).status == 200);
}

}  // namespace
}  // namespace bpsim::harness::live
