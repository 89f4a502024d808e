#include <algorithm>
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
    R"({"access":{"balances":[],"transactions":[]},"recurringIndicator":true,"frequencyPerDay":4,)"
    R"("validUntil":"2025-04-03","combinedServiceIndicator":false})";

// A consent body with `access` and the other required fields.
std::string Body(const std::string& access, const std::string& valid_until = "2025-04-03") {
  return R"({"access":)" + access +
         R"(,"recurringIndicator":true,"frequencyPerDay":4,"combinedServiceIndicator":false,)"
         R"("validUntil":")" + valid_until + "\"}";
}

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
  const std::string base = "http://127.0.0.1";  // the request's Host
  CHECK(created.json()["_links"]["self"]["href"] == base + "/v1/consents/" + id);
  CHECK(created.header("Location") == base + "/v1/consents/" + id);
  CHECK(created.header("ASPSP-SCA-Approach") == "REDIRECT");
  CHECK(created.json()["_links"]["scaRedirect"]["href"] == base + "/__bpsim/sca/auth-1");
  CHECK(created.json()["_links"]["scaStatus"]["href"] ==
        base + "/v1/consents/" + id + "/authorisations/auth-1");
  CHECK(Status(client, id) == "received");

  const std::string token = Authorise(client, id);
  CHECK(Status(client, id) == "valid");
  auto consent = client.Get("/v1/consents/" + id);
  CHECK(consent.status == 200);
  CHECK(consent.json()["frequencyPerDay"] == 4);
  CHECK(consent.json()["recurringIndicator"] == true);
  CHECK(consent.json()["validUntil"] == "2025-04-03");
  CHECK(consent.json()["consentStatus"] == "valid");

  auto accounts = client.Get("/v1/accounts", Headers(id, token));
  REQUIRE(accounts.status == 200);
  const std::string checking = AccountId("southbank", alice, AccountKind::kChecking);
  const std::string card = AccountId("southbank", alice, AccountKind::kCard);
  REQUIRE(accounts.json()["accounts"].size() == 1);  // cards are card accounts
  CHECK(accounts.json()["accounts"][0]["resourceId"] == checking);
  CHECK(accounts.json()["accounts"][0]["iban"] == Iban(1, alice));
  CHECK(accounts.json()["accounts"][0]["_links"]["balances"]["href"] ==
        base + "/v1/accounts/" + checking + "/balances");
  auto cards = client.Get("/v1/card-accounts", Headers(id, token));
  REQUIRE(cards.status == 200);
  CHECK(cards.json()["cardAccounts"][0]["resourceId"] == card);
  CHECK(cards.json()["cardAccounts"][0]["maskedPan"] == MaskedPan(1, alice));
  CHECK(client.Get("/v1/accounts/" + card, Headers(id, token)).status == 404);
  CHECK(client.Get("/v1/card-accounts/" + card, Headers(id, token)).json()["cardAccount"]["resourceId"] == card);

  auto balances = client.Get("/v1/card-accounts/" + card + "/balances", Headers(id, token));
  REQUIRE(balances.status == 200);
  std::int64_t cents = w.world->population().BalanceAt(alice, w.sim.Now()).card_cents;
  CHECK(balances.json()["balances"][0]["balanceAmount"]["amount"] ==
        (cents < 0 ? "-" : "") + FormatAmount(cents));
  CHECK(balances.json()["balances"][0]["balanceType"] == "interimAvailable");

  // Booked and pending card transactions as the ledger has them: booked by booking
  // date, pending (authorised, not yet booked) under their own id.
  auto txs = client.Get("/v1/card-accounts/" + card +
                            "/transactions?bookingStatus=both&dateFrom=2024-10-01",
                        Headers(id, token));
  REQUIRE(txs.status == 200);
  std::vector<mocks::CardTransaction> all;
  w.world->population().TransactionsIn(alice, 0, 3 * kDay + 1, &all);
  std::vector<std::string> booked_ids, pending_ids;
  for (const mocks::CardTransaction& tx : all) {
    if (w.world->population().CardBookedAt(alice, tx) <= 3 * kDay) {
      booked_ids.push_back(TransactionId(alice, tx));
    } else {
      pending_ids.push_back(PendingTransactionId(alice, tx));
    }
  }
  REQUIRE_FALSE(booked_ids.empty());
  REQUIRE_FALSE(pending_ids.empty());
  const Json body = txs.json();
  std::vector<std::string> got_booked, got_pending;
  for (const Json& t : body["cardTransactions"]["booked"]) got_booked.push_back(t["cardTransactionId"]);
  for (const Json& t : body["cardTransactions"]["pending"]) {
    got_pending.push_back(t["cardTransactionId"]);
    CHECK_FALSE(t.contains("bookingDate"));
  }
  std::sort(got_booked.begin(), got_booked.end());
  std::sort(booked_ids.begin(), booked_ids.end());
  CHECK(got_booked == booked_ids);
  CHECK(got_pending == pending_ids);
  CHECK(body["cardTransactions"]["booked"][0]["transactionAmount"]["amount"].get<std::string>()[0] == '-');
  auto pending_only = client.Get("/v1/card-accounts/" + card + "/transactions?bookingStatus=pending",
                                 Headers(id, token));
  CHECK(pending_only.json()["cardTransactions"]["pending"].size() == pending_ids.size());
  CHECK_FALSE(pending_only.json()["cardTransactions"].contains("booked"));

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
  CHECK(client.Send(http::verb::delete_, "/v1/consents/" + revoked).status == 409);
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

  SECTION("400 FORMAT_ERROR for a missing required header or body field") {
    auto r = client.Post("/v1/consents", kAllAccess, {{"X-Request-ID", testing::kOmit}});
    CHECK(r.status == 400);
    CHECK(FirstMessage(r)["code"] == "FORMAT_ERROR");
    CHECK(FirstMessage(r)["text"] == "header X-Request-ID is required");
    CHECK(r.header("X-Request-ID").size() == 36);  // a fresh one: the header is required
    r = client.Post("/v1/consents", kAllAccess, {{"X-Request-ID", "17"}});
    CHECK(FirstMessage(r)["text"] == "header X-Request-ID must be a UUID, got '17'");
    r = client.Post("/v1/consents", kAllAccess, {{"PSU-IP-Address", testing::kOmit}});
    CHECK(FirstMessage(r)["text"] == "header PSU-IP-Address is required");
    r = client.Post("/v1/consents", R"({"access":{}})", {{"PSU-ID", std::to_string(alice)}});
    CHECK(FirstMessage(r)["text"] ==
          "access must name accounts, balances, transactions, availableAccounts, "
          "availableAccountsWithBalance or allPsd2");
    r = client.Post("/v1/consents", R"({"access":{"balances":[]},"recurringIndicator":true,"combinedServiceIndicator":false})",
                    {{"PSU-ID", std::to_string(alice)}});
    CHECK(FirstMessage(r)["text"] == "frequencyPerDay is required and must be an integer >= 1");
    r = client.Post("/v1/consents", R"({"access":{"balances":[]},"recurringIndicator":true,"frequencyPerDay":1})",
                    {{"PSU-ID", std::to_string(alice)}});
    CHECK(FirstMessage(r)["text"] == "combinedServiceIndicator is required and must be a boolean");
    r = client.Get("/v1/accounts");
    CHECK(r.status == 400);
    CHECK(FirstMessage(r)["text"] == "header Consent-ID is required");
  }
  SECTION("401 PSU_CREDENTIALS_INVALID for a PSU-ID that is not a customer here") {
    auto r = client.Post("/v1/consents", kAllAccess, {{"PSU-ID", std::to_string(w.Customers(0).first)}});
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "PSU_CREDENTIALS_INVALID");
  }
  SECTION("401 TOKEN_INVALID for a token that is not the consent's; the Consent-ID alone reads") {
    const std::string id = Create(client, alice);
    auto r = client.Get("/v1/accounts", {{"Consent-ID", id}});
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "CONSENT_INVALID");
    CHECK(FirstMessage(r)["text"] == "consent " + id + " is received");
    const std::string token = Authorise(client, id);
    CHECK(client.Get("/v1/accounts", {{"Consent-ID", id}}).status == 200);
    r = client.Get("/v1/accounts", Headers(id, token.substr(0, token.size() - 1) + "x"));
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "TOKEN_INVALID");
  }
  SECTION("406 REQUESTED_FORMATS_INVALID for an Accept bpsim cannot serve") {
    auto r = client.Post("/v1/consents", kAllAccess, {{"Accept", "application/xml"}});
    CHECK(r.status == 406);
    CHECK(FirstMessage(r)["code"] == "REQUESTED_FORMATS_INVALID");
    CHECK(client.Post("/v1/consents", kAllAccess,
                      {{"PSU-ID", std::to_string(alice)}, {"Accept", "text/html, application/json;q=0.5"}})
              .status == 201);
  }
  SECTION("401 CONSENT_INVALID for a scope the consent lacks") {
    const std::string id =
        Create(client, alice,
               Body(R"({"balances":[]})"));
    const std::string token = Authorise(client, id);
    auto r = client.Get("/v1/accounts/" + alice_chk + "/transactions?bookingStatus=booked",
                        Headers(id, token));
    CHECK(r.status == 401);
    CHECK(FirstMessage(r)["code"] == "CONSENT_INVALID");
    CHECK(FirstMessage(r)["text"] == "consent " + id + " does not cover this service for this account");
  }
  SECTION("401 CONSENT_EXPIRED past validUntil") {
    const std::string id = Create(
        client, alice,
        Body(R"({"balances":[]})", "2025-01-01"));
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
    CHECK(client.Get("/v1/accounts", {{"Consent-ID", "consent-999"}}).status == 403);
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
    r = client.Get("/v1/accounts/" + alice_chk + "/transactions?bookingStatus=booked&dateFrom=2025-01-01&dateFrom=2025-01-02",
                   Headers(id, token));
    CHECK(FirstMessage(r)["text"] == "query parameter dateFrom is given more than once");
    r = client.Get("/v1/accounts/" + alice_chk + "/transactions?bookingStatus=booked&deltaList=true",
                   Headers(id, token));
    CHECK(FirstMessage(r)["code"] == "PARAMETER_NOT_SUPPORTED");
    r = client.Get("/v1/accounts/" + alice_chk + "/transactions?bookingStatus=booked&dateFrom=2025-1-1",
                   Headers(id, token));
    CHECK(FirstMessage(r)["text"] == "dateFrom must be a date YYYY-MM-DD, got '2025-1-1'");
    // Unknown parameters are ignored; percent-encoded values are decoded.
    r = client.Get("/v1/accounts/" + alice_chk +
                       "/transactions?bookingStatus=%62ooked&dateFrom=2024-10-01&utm_source=x",
                   Headers(id, token));
    CHECK(r.status == 200);
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


TEST_CASE("berlin group: the redirect SCA approach, with its authorisation sub-resources",
          "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::map<std::string, std::string> tpp = {
      {"PSU-ID", std::to_string(alice)},
      {"TPP-Redirect-URI", "https://tpp.example/ok?session=1"},
      {"TPP-Nok-Redirect-URI", "https://tpp.example/nok"}};

  SECTION("implicit: the customer approves at the scaRedirect page and is sent back") {
    auto created = client.Post("/v1/consents", kAllAccess, tpp);
    const std::string id = created.json()["consentId"];
    auto page = client.Get("/__bpsim/sca/auth-1");
    CHECK(page.status == 302);
    CHECK(page.header("Location") == "https://tpp.example/ok?session=1");
    CHECK(client.Get("/v1/consents/" + id + "/authorisations/auth-1").json()["scaStatus"] == "finalised");
    CHECK(client.Get("/v1/consents/" + id + "/authorisations").json()["authorisationIds"] ==
          Json::array({"auth-1"}));
    CHECK(Status(client, id) == "valid");
    CHECK(client.Get("/__bpsim/sca/auth-1").status == 409);  // done once
    CHECK(client.Get("/v1/accounts", {{"Consent-ID", id}}).status == 200);
  }
  SECTION("explicit: startAuthorisation, then a rejection goes to the Nok URI") {
    auto headers = tpp;
    headers["TPP-Explicit-Authorisation-Preferred"] = "true";
    auto created = client.Post("/v1/consents", kAllAccess, headers);
    const std::string id = created.json()["consentId"];
    CHECK(created.json()["_links"]["startAuthorisation"]["href"] ==
          "http://127.0.0.1/v1/consents/" + id + "/authorisations");
    CHECK_FALSE(created.json()["_links"].contains("scaRedirect"));
    auto started = client.Post("/v1/consents/" + id + "/authorisations", "");
    REQUIRE(started.status == 201);
    CHECK(started.header("ASPSP-SCA-Approach") == "REDIRECT");
    CHECK(started.json()["scaStatus"] == "received");
    const std::string auth = started.json()["authorisationId"];
    auto page = client.Get("/__bpsim/sca/" + auth + "?decision=reject");
    CHECK(page.header("Location") == "https://tpp.example/nok");
    CHECK(client.Get("/v1/consents/" + id + "/authorisations/" + auth).json()["scaStatus"] == "failed");
    CHECK(Status(client, id) == "rejected");
    auto again = client.Post("/v1/consents/" + id + "/authorisations", "");
    CHECK(again.status == 409);
    CHECK(FirstMessage(again)["code"] == "STATUS_INVALID");
    CHECK(client.Get("/v1/consents/" + id + "/authorisations/auth-99").status == 404);
  }
  SECTION("timeout: no redirect, the authorisation fails; no redirect URI: a page") {
    auto created = client.Post("/v1/consents", kAllAccess, tpp);
    auto page = client.Get("/__bpsim/sca/auth-1?decision=timeout");
    CHECK(page.status == 200);
    CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(Status(client, created.json()["consentId"]) == "rejected");
    client.Post("/v1/consents", kAllAccess, {{"PSU-ID", std::to_string(alice)}});
    auto shown = client.Get("/__bpsim/sca/auth-2");
    CHECK(shown.status == 200);
    CHECK(shown.body.find("is Authorised") != std::string::npos);
    client.Post("/v1/consents", kAllAccess, {{"PSU-ID", std::to_string(alice)}});
    CHECK(client.Get("/__bpsim/sca/auth-3?decision=maybe").status == 400);
  }
}

TEST_CASE("berlin group: a consent covers exactly the accounts it names", "[live]") {
  LiveWorld w;
  w.now.store(3 * kDay);
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::string iban = Iban(1, alice), pan = MaskedPan(1, alice);
  const std::string checking = AccountId("southbank", alice, AccountKind::kChecking);
  const std::string card = AccountId("southbank", alice, AccountKind::kCard);

  // No PSU-ID: the named accounts say whose consent it is.
  auto created = client.Post(
      "/v1/consents",
      Body(R"({"balances":[{"iban":")" + iban + R"("}],"transactions":[{"maskedPan":")" + pan + R"("}]})"));
  REQUIRE(created.status == 201);
  const std::string id = created.json()["consentId"];
  CHECK(w.world->consents().Get(std::stoull(id.substr(8))).customer == alice);
  const std::string token = Authorise(client, id);
  CHECK(client.Get("/v1/accounts/" + checking + "/balances", Headers(id, token)).status == 200);
  CHECK(client.Get("/v1/card-accounts/" + card + "/transactions?bookingStatus=booked", Headers(id, token))
            .status == 200);
  auto refused = client.Get("/v1/card-accounts/" + card + "/balances", Headers(id, token));
  CHECK(refused.status == 401);
  CHECK(FirstMessage(refused)["code"] == "CONSENT_INVALID");
  CHECK(client.Get("/v1/accounts/" + checking + "/transactions?bookingStatus=booked", Headers(id, token))
            .status == 401);
  auto listed = client.Get("/v1/accounts", Headers(id, token)).json()["accounts"];
  REQUIRE(listed.size() == 1);
  CHECK_FALSE(listed[0]["_links"].contains("transactions"));

  auto foreign = client.Post("/v1/consents", Body(R"({"accounts":[{"iban":")" + Iban(1, bob) + R"("}]})"),
                             {{"PSU-ID", std::to_string(alice)}});
  CHECK(foreign.status == 400);
  CHECK(FirstMessage(foreign)["code"] == "RESOURCE_UNKNOWN");
  CHECK(FirstMessage(foreign)["text"] ==
        "account " + Iban(1, bob) + " is not an account of PSU " + std::to_string(alice) + " at southbank");
  auto bban = client.Post("/v1/consents", Body(R"({"accounts":[{"bban":"1234"}]})"));
  CHECK(FirstMessage(bban)["code"] == "FORMAT_ERROR");
}

TEST_CASE("berlin group: validUntil is clamped to the bank's maximum consent life", "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  auto created = client.Post("/v1/consents", Body(R"({"allPsd2":"allAccounts"})", "9999-12-31"),
                             {{"PSU-ID", std::to_string(alice)}});
  REQUIRE(created.status == 201);
  // Created at 01:00 on 2025-01-01: valid 180 days, to 2025-06-30T01:00.
  CHECK(client.Get("/v1/consents/" + created.json()["consentId"].get<std::string>()).json()["validUntil"] ==
        "2025-06-30");
}

// bpsim_card_pages_total of the Berlin Group bank of LiveWorld, from its /metrics:
// {written, kept}.
std::pair<std::uint64_t, std::uint64_t> CardPages(Client& client) {
  const std::string text = client.Get("/metrics").body;
  auto count = [&text](const std::string& source) -> std::uint64_t {
    const std::string line = "bpsim_card_pages_total{bank=\"southbank\",source=\"" + source + "\"} ";
    const std::size_t at = text.find(line);
    if (at == std::string::npos) return ~std::uint64_t(0);
    return std::stoull(text.substr(at + line.size()));
  };
  return {count("written"), count("kept")};
}

TEST_CASE("berlin group: a card page is sent again only while nothing on it has changed",
          "[live]") {
  // One world keeps pages (page_cache.h); a second, of the same seed and asked at the
  // same instants, answers from its own first page each time: the bytes must agree.
  LiveWorld kept, fresh;
  kept.now.store(3 * kDay);
  fresh.now.store(3 * kDay);
  const mocks::CustomerId alice = kept.Customers(1).first;
  Client a(kept.bg_port), b(fresh.bg_port);
  const std::string id_a = Create(a, alice), token_a = Authorise(a, id_a);
  const std::string id_b = Create(b, alice), token_b = Authorise(b, id_b);
  const std::string card = AccountId("southbank", alice, AccountKind::kCard);
  // Days -92..2: the window is closed, so only bookings can change the page.
  const std::string path = "/v1/card-accounts/" + card +
                           "/transactions?bookingStatus=both&dateFrom=2024-10-01&dateTo=2025-01-03";

  auto first = a.Get(path, Headers(id_a, token_a));
  REQUIRE(first.status == 200);
  const std::size_t pending_first = first.json()["cardTransactions"]["pending"].size();
  REQUIRE(pending_first > 0);
  auto again = a.Get(path, Headers(id_a, token_a));
  CHECK(again.status == 200);
  CHECK(again.body == first.body);
  CHECK(again.header("X-Request-ID") != first.header("X-Request-ID"));  // headers are per request
  CHECK(CardPages(a) == std::pair<std::uint64_t, std::uint64_t>{1, 1});
  CHECK(b.Get(path, Headers(id_b, token_b)).body == first.body);

  // The earliest booking among the transactions pending at day 3.
  std::vector<mocks::CardTransaction> all;
  kept.world->population().TransactionsIn(alice, 0, 3 * kDay, &all);
  SimTime earliest = kSimTimeMax;
  for (const mocks::CardTransaction& tx : all) {
    const SimTime booked_at = kept.world->population().CardBookedAt(alice, tx);
    if (booked_at > 3 * kDay) earliest = std::min(earliest, booked_at);
  }
  REQUIRE(earliest != kSimTimeMax);

  kept.now.store(earliest - 1);  // nothing booked yet: the same page, kept
  CHECK(a.Get(path, Headers(id_a, token_a)).body == first.body);
  CHECK(CardPages(a) == std::pair<std::uint64_t, std::uint64_t>{1, 2});

  kept.now.store(earliest);  // one (or more) booked now: written anew
  fresh.now.store(earliest);
  auto later = a.Get(path, Headers(id_a, token_a));
  REQUIRE(later.status == 200);
  CHECK(later.body != first.body);
  CHECK(later.json()["cardTransactions"]["pending"].size() < pending_first);
  CHECK(later.body == b.Get(path, Headers(id_b, token_b)).body);
  CHECK(CardPages(a) == std::pair<std::uint64_t, std::uint64_t>{2, 2});
  CHECK(a.Get(path, Headers(id_a, token_a)).body == later.body);
  CHECK(CardPages(a) == std::pair<std::uint64_t, std::uint64_t>{2, 3});

  // Another period: its own page.
  auto week = a.Get("/v1/card-accounts/" + card +
                        "/transactions?bookingStatus=booked&dateFrom=2025-01-01&dateTo=2025-01-02",
                    Headers(id_a, token_a));
  REQUIRE(week.status == 200);
  CHECK(week.body != later.body);
  CHECK(CardPages(a) == std::pair<std::uint64_t, std::uint64_t>{3, 3});
}

TEST_CASE("berlin group: payment account transactions, and one by its id", "[live]") {
  LiveWorld w;
  w.now.store(20 * kDay);  // every customer has had a payday (every 14 days)
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::string id = Create(client, alice);
  const std::string token = Authorise(client, id);
  const std::string checking = AccountId("southbank", alice, AccountKind::kChecking);
  auto txs = client.Get("/v1/accounts/" + checking + "/transactions?bookingStatus=booked", Headers(id, token));
  REQUIRE(txs.status == 200);
  const Json body = txs.json();
  const Json& booked = body["transactions"]["booked"];
  REQUIRE_FALSE(booked.empty());
  CHECK(booked[0]["transactionAmount"]["amount"] == FormatAmount(w.world->population().salary_cents(alice)));
  const std::string tx = booked[0]["transactionId"];
  auto one = client.Get("/v1/accounts/" + checking + "/transactions/" + tx, Headers(id, token));
  REQUIRE(one.status == 200);
  CHECK(one.json()["transactionsDetails"] == booked[0]);
  CHECK(client.Get("/v1/accounts/" + checking + "/transactions/TX-1", Headers(id, token)).status == 404);
}

}  // namespace
}  // namespace bpsim::harness::live
