#include <catch2/catch.hpp>

#include "harness/live/canary.h"
#include "tests/harness/live_client.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::Json;
using testing::LiveWorld;
namespace http = boost::beast::http;

const std::string kBase = "/open-banking/v3.1/aisp";

std::string ConsentBody(const std::string& permissions) {
  return R"({"Data":{"Permissions":)" + permissions + R"(},"Risk":{}})";
}

// The headers of a consent call: a client token, and the customer it is for.
std::map<std::string, std::string> Tpp(Client& client, mocks::CustomerId customer) {
  return {{"Authorization", "Bearer " + testing::ClientToken(client)},
          {"x-bpsim-psu-id", std::to_string(customer)}};
}

// Creates and authorises a consent for `customer`; returns (consent id, token).
std::pair<std::string, std::string> Link(Client& client, mocks::CustomerId customer,
                                         const std::string& permissions) {
  auto created = client.Post(kBase + "/account-access-consents", ConsentBody(permissions),
                             Tpp(client, customer));
  REQUIRE(created.status == 201);
  std::string id = created.json()["Data"]["ConsentId"];
  auto authorised = client.Post("/__bpsim/consents/" + id + "/authorise", "");
  REQUIRE(authorised.status == 200);
  return {id, authorised.json()["access_token"]};
}

std::map<std::string, std::string> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

TEST_CASE("obie: the consent life cycle from creation to deletion", "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);

  auto tpp = Tpp(client, alice);
  tpp["x-fapi-interaction-id"] = "abc-1";
  auto created = client.Post(kBase + "/account-access-consents",
                             ConsentBody(R"(["ReadAccountsBasic","ReadBalances"])"), tpp);
  REQUIRE(created.status == 201);
  CHECK(created.header("x-fapi-interaction-id") == "abc-1");
  Json data = created.json()["Data"];
  const std::string id = data["ConsentId"];
  CHECK(data["Status"] == "AwaitingAuthorisation");
  CHECK(data["Permissions"] == Json::parse(R"(["ReadAccountsBasic","ReadBalances"])"));
  CHECK(data["CreationDateTime"] == "2025-01-01T01:00:00+00:00");
  CHECK(data["ExpirationDateTime"] == "2025-04-01T01:00:00+00:00");  // the 90d default
  const std::string url = "http://127.0.0.1" + kBase;  // from the request's Host
  CHECK(created.json()["Links"]["Self"] == url + "/account-access-consents/" + id);
  CHECK(created.header("Location") == url + "/account-access-consents/" + id);

  auto fetched = client.Get(kBase + "/account-access-consents/" + id, tpp);
  CHECK(fetched.status == 200);
  CHECK(fetched.json()["Data"]["Status"] == "AwaitingAuthorisation");

  auto authorised = client.Post("/__bpsim/consents/" + id + "/authorise", "");
  REQUIRE(authorised.status == 200);
  const std::string token = authorised.json()["access_token"];
  CHECK(token.rfind(id + ".", 0) == 0);
  CHECK(token.size() == id.size() + 17);
  CHECK(client.Get(kBase + "/account-access-consents/" + id, tpp).json()["Data"]["Status"] ==
        "Authorised");
  CHECK(client.Get(kBase + "/account-access-consents/" + id, Bearer(token)).status == 200);
  CHECK(client.Get(kBase + "/account-access-consents/" + id).status == 401);

  auto accounts = client.Get(kBase + "/accounts", Bearer(token));
  REQUIRE(accounts.status == 200);
  char expected_id[32];
  std::snprintf(expected_id, sizeof expected_id, "NORTHBANK-%08u-CHK", alice);
  CHECK(accounts.json()["Data"]["Account"][0]["AccountId"] == expected_id);
  CHECK(accounts.json()["Data"]["Account"][1]["AccountSubType"] == "CreditCard");
  CHECK(accounts.json()["Links"]["Self"] == url + "/accounts");
  auto one = client.Get(kBase + "/accounts/" + std::string(expected_id), Bearer(token));
  REQUIRE(one.status == 200);
  CHECK(one.json()["Data"]["Account"].size() == 1);
  CHECK(one.json()["Data"]["Account"][0]["AccountId"] == expected_id);

  auto balance = client.Get(kBase + "/accounts/" + expected_id + "/balances", Bearer(token));
  REQUIRE(balance.status == 200);
  std::int64_t cents = w.world->population().BalanceAt(alice, w.sim.Now()).checking_cents;
  Json b = balance.json()["Data"]["Balance"][0];
  CHECK(b["Amount"]["Amount"] == FormatAmount(cents));
  CHECK(b["Amount"]["Currency"] == "GBP");
  CHECK(b["CreditDebitIndicator"] == (cents < 0 ? "Debit" : "Credit"));
  CHECK(b["DateTime"] == "2025-01-01T01:00:00+00:00");
  CHECK(balance.header("x-bpsim-sim-time") == std::to_string(kHour));

  auto deleted = client.Send(http::verb::delete_, kBase + "/account-access-consents/" + id, "", tpp);
  CHECK(deleted.status == 204);
  CHECK(client.Get(kBase + "/account-access-consents/" + id, tpp).json()["Data"]["Status"] == "Revoked");
  auto twice = client.Send(http::verb::delete_, kBase + "/account-access-consents/" + id, "", tpp);
  CHECK(twice.status == 400);
  CHECK(twice.json()["Errors"][0]["Message"] == "consent " + id + " is already Revoked");
  auto after =
      client.Get(kBase + "/accounts/" + std::string(expected_id) + "/balances", Bearer(token));
  CHECK(after.status == 403);
  CHECK(after.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.InvalidConsentStatus");
  CHECK(after.json()["Errors"][0]["Message"] == "consent " + id + " is Revoked");
  CHECK(after.json()["Code"] == "403 Forbidden");
}

TEST_CASE("obie: transactions carry canary ids within the booking window", "[live]") {
  LiveWorld w;
  w.now.store(10 * kDay);
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  auto [id, token] = Link(client, alice, R"(["ReadTransactionsDetail"])");
  const std::string card = AccountId("northbank", alice, AccountKind::kCard);
  // As an ordinary client sends them: ':' percent-encoded, an offset (ignored, as
  // OBIE says) with '+' as %2B.
  auto r = client.Get(kBase + "/accounts/" + card +
                          "/transactions?fromBookingDateTime=2025-01-03T00%3A00%3A00%2B02%3A00"
                          "&toBookingDateTime=2025-01-05&unknown=1",
                      Bearer(token));
  REQUIRE(r.status == 200);
  // Booked transactions by booking time (all of them are booked by day 10).
  std::vector<mocks::CardTransaction> all, expected;
  w.world->population().TransactionsIn(alice, 0, 4 * kDay, &all);
  for (const mocks::CardTransaction& tx : all) {
    SimTime booked = w.world->population().CardBookedAt(alice, tx);
    if (booked >= 2 * kDay && booked < 4 * kDay) expected.push_back(tx);
  }
  const Json body = r.json();
  const Json& list = body["Data"]["Transaction"];
  REQUIRE(list.size() == expected.size());
  REQUIRE_FALSE(expected.empty());
  CHECK(list[0]["TransactionId"] == TransactionId(alice, expected[0]));
  CHECK(list[0]["Amount"]["Amount"] == FormatAmount(expected[0].amount_cents));
  CHECK(list[0]["BookingDateTime"] == FormatDateTime(w.world->population().CardBookedAt(alice, expected[0])));
  CHECK(list[0]["ValueDateTime"] == FormatDateTime(expected[0].time));
  CHECK(list[0]["Status"] == "Booked");
  // A '+' sent unencoded arrives as a space: read as the offset it was.
  CHECK(client.Get(kBase + "/accounts/" + card + "/transactions?fromBookingDateTime=2025-01-03T00:00:00+02:00",
                   Bearer(token)).json()["Data"]["Transaction"].size() >= expected.size());
  // The last days' transactions are pending, under their own ids.
  auto recent = client.Get(kBase + "/accounts/" + card + "/transactions?fromBookingDateTime=2025-01-10T00:00:00Z",
                           Bearer(token));
  bool pending = false;
  const Json recent_body = recent.json();
  for (const Json& t : recent_body["Data"]["Transaction"]) {
    if (t["Status"] == "Pending") {
      pending = true;
      CHECK(t["TransactionId"].get<std::string>().size() == 24);  // TX-...-P
    }
  }
  CHECK(pending);
  // History before the live epoch is empty, not an error.
  auto before = client.Get(kBase + "/accounts/" + card +
                               "/transactions?fromBookingDateTime=2024-10-01T00:00:00Z&toBookingDateTime=2024-12-01T00:00:00Z",
                           Bearer(token));
  CHECK(before.status == 200);
  CHECK(before.json()["Data"]["Transaction"].empty());
  auto twice = client.Get(kBase + "/accounts/" + card +
                              "/transactions?fromBookingDateTime=2025-01-03&fromBookingDateTime=2025-01-04",
                          Bearer(token));
  CHECK(twice.status == 400);
  CHECK(twice.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Field.Unexpected");
  auto bad = client.Get(kBase + "/accounts/" + card + "/transactions?fromBookingDateTime=yesterday",
                        Bearer(token));
  CHECK(bad.status == 400);
  CHECK(bad.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Field.InvalidDate");
  CHECK(bad.json()["Errors"][0]["Message"] ==
        "fromBookingDateTime must be an ISO 8601 date-time, got 'yesterday'");
}

TEST_CASE("obie: every refusal has its status and error code", "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  const std::string alice_chk = AccountId("northbank", alice, AccountKind::kChecking);
  const std::string bob_chk = AccountId("northbank", bob, AccountKind::kChecking);

  const auto tpp = Tpp(client, alice);
  SECTION("401 creating a consent without a client token; 406 and 415") {
    auto r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"));
    CHECK(r.status == 401);
    CHECK(r.body.empty());
    CHECK_FALSE(r.header("x-fapi-interaction-id").empty());
    r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"),
                    {{"Authorization", "Bearer cc-0000000000000000"}});
    CHECK(r.status == 401);
    auto xml = tpp;
    xml["Accept"] = "application/xml";
    CHECK(client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), xml).status == 406);
    auto text = tpp;
    text["Content-Type"] = "text/plain";
    CHECK(client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), text).status == 415);
  }
  SECTION("400 with a bad permission, without Risk, with a bad PSU header") {
    auto r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadOffers"])"), tpp);
    CHECK(r.status == 400);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Field.Invalid");
    CHECK(r.json()["Errors"][0]["Path"] == "Data.Permissions");
    r = client.Post(kBase + "/account-access-consents",
                    R"({"Data":{"Permissions":["ReadBalances"]}})", tpp);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Field.Missing");
    r = client.Post(kBase + "/account-access-consents", "{not json", tpp);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.InvalidFormat");
    auto stranger = tpp;
    stranger["x-bpsim-psu-id"] = "999999";
    r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), stranger);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Header.Invalid");
    CHECK(r.json()["Errors"][0]["Message"] ==
          "x-bpsim-psu-id '999999' is not a customer of northbank");
  }
  SECTION("401 without a token, with a forged token, before authorisation") {
    CHECK(client.Get(kBase + "/accounts/" + alice_chk + "/balances").status == 401);
    auto [id, token] = Link(client, alice, R"(["ReadBalances"])");
    std::string forged = token;
    forged.back() = forged.back() == '0' ? '1' : '0';
    auto r = client.Get(kBase + "/accounts/" + alice_chk + "/balances", Bearer(forged));
    CHECK(r.status == 401);
    CHECK(r.body.empty());
  }
  SECTION("403 ConsentMismatch for a permission the consent lacks") {
    auto [id, token] = Link(client, alice, R"(["ReadBalances"])");
    auto r = client.Get(kBase + "/accounts/" + alice_chk + "/transactions", Bearer(token));
    CHECK(r.status == 403);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.ConsentMismatch");
    CHECK(r.json()["Errors"][0]["Message"] ==
          "consent " + id + " does not grant the permission this resource needs");
  }
  SECTION("403 ConsentMismatch for another customer's account: a token never crosses subjects") {
    auto [id, token] = Link(client, alice, R"(["ReadBalances"])");
    auto r = client.Get(kBase + "/accounts/" + bob_chk + "/balances", Bearer(token));
    CHECK(r.status == 403);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.ConsentMismatch");
    CHECK(r.json()["Errors"][0]["Message"] ==
          "the account does not belong to the customer of consent " + id);
    CHECK(r.body.find(bob_chk) == std::string::npos);
  }
  SECTION("403 InvalidConsentStatus once the consent expired") {
    // 2025-01-02T01:00+01:00 is midnight UTC: offsets in bodies count.
    auto created = client.Post(
        kBase + "/account-access-consents",
        R"({"Data":{"Permissions":["ReadBalances"],"ExpirationDateTime":"2025-01-02T01:00:00+01:00"},"Risk":{}})",
        tpp);
    REQUIRE(created.status == 201);
    std::string id = created.json()["Data"]["ConsentId"];
    std::string token =
        client.Post("/__bpsim/consents/" + id + "/authorise", "").json()["access_token"];
    CHECK(client.Get(kBase + "/accounts/" + alice_chk + "/balances", Bearer(token)).status == 200);
    w.now.store(2 * kDay);
    auto r = client.Get(kBase + "/accounts/" + alice_chk + "/balances", Bearer(token));
    CHECK(r.status == 403);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.InvalidConsentStatus");
    CHECK(r.json()["Errors"][0]["Message"] ==
          "consent " + id + " expired at 2025-01-02T00:00:00+00:00");
  }
  SECTION("403 for a rejected consent; authorising it again is a 409") {
    auto created =
        client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), tpp);
    std::string id = created.json()["Data"]["ConsentId"];
    auto rejected = client.Post("/__bpsim/consents/" + id + "/reject", "");
    CHECK(rejected.status == 200);
    CHECK(rejected.json()["status"] == "Rejected");
    auto again = client.Post("/__bpsim/consents/" + id + "/authorise", "");
    CHECK(again.status == 409);
    CHECK(again.json()["error"]["message"] == "consent '" + id + "' is Rejected");
    CHECK(client.Get(kBase + "/account-access-consents/" + id, tpp).json()["Data"]["Status"] ==
          "Rejected");
  }
  SECTION("503 with Retry-After during an outage") {
    auto [id, token] = Link(client, alice, R"(["ReadBalances"])");
    w.world->bank(0).SetOutage(mocks::OutageMode::kUnavailable, 0, 77);
    auto r = client.Get(kBase + "/accounts/" + alice_chk + "/balances", Bearer(token));
    CHECK(r.status == 503);
    CHECK(r.header("Retry-After") == "30");
    w.world->bank(0).ClearOutage(77);
    CHECK(client.Get(kBase + "/accounts/" + alice_chk + "/balances", Bearer(token)).status == 200);
  }
  SECTION("404 for an unknown path; 400 Resource.NotFound for an unknown account or consent") {
    CHECK(client.Get(kBase + "/nothing").status == 404);
    CHECK(client.Get("/elsewhere").status == 404);
    CHECK(client.Get(kBase + "/accounts/NORTHBANK-99999999-CHK/balances").status == 401);
    auto [id, token] = Link(client, alice, R"(["ReadBalances"])");
    auto r = client.Get(kBase + "/accounts/NORTHBANK-99999999-CHK/balances", Bearer(token));
    CHECK(r.status == 400);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.NotFound");
    r = client.Get(kBase + "/account-access-consents/consent-12345", tpp);
    CHECK(r.status == 400);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.NotFound");
  }
}

TEST_CASE("obie: the OAuth flows a TPP uses: client credentials, /authorize, code exchange",
          "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  const std::map<std::string, std::string> tpp = {
      {"Authorization", "Bearer " + testing::ClientToken(client)}};
  // No x-bpsim-psu-id: the bank's test customers are assigned in turn.
  auto created = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), tpp);
  REQUIRE(created.status == 201);
  const std::string id = created.json()["Data"]["ConsentId"];
  CHECK(w.world->consents().Get(std::stoull(id.substr(8))).customer == alice);
  // The request object is an unsigned JWT: {"alg":"none"} . {"claims":{"id_token":
  // {"openbanking_intent_id":{"value":"consent-1"}}}} .
  const std::string jwt =
      "eyJhbGciOiJub25lIn0."
      "eyJjbGFpbXMiOnsiaWRfdG9rZW4iOnsib3BlbmJhbmtpbmdfaW50ZW50X2lkIjp7InZhbHVlIjoiY29uc2VudC0xIn19fX0.";
  REQUIRE(id == "consent-1");
  auto page = client.Get("/authorize?response_type=code&client_id=tpp&state=s%201&scope=openid%20accounts"
                         "&redirect_uri=https%3A%2F%2Ftpp.example%2Fcb&request=" + jwt);
  REQUIRE(page.status == 302);
  const std::string location = page.header("Location");
  const std::string prefix = "https://tpp.example/cb?code=";
  REQUIRE(location.rfind(prefix, 0) == 0);
  CHECK(location.substr(location.size() - 12) == "&state=s%201");
  const std::string code = location.substr(prefix.size(), location.find('&') - prefix.size());
  auto token = client.Post("/token", "grant_type=authorization_code&code=" + code +
                                         "&redirect_uri=https%3A%2F%2Ftpp.example%2Fwrong",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(token.status == 400);  // not the redirect URI the code was issued for; and used up
  CHECK(token.json()["error"] == "invalid_grant");

  auto again = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), tpp);
  const std::string id2 = again.json()["Data"]["ConsentId"];
  page = client.Get("/authorize?response_type=code%20id_token&redirect_uri=https://tpp.example/cb"
                    "&openbanking_intent_id=" + id2);
  REQUIRE(page.status == 302);
  const std::string fragment = page.header("Location");
  REQUIRE(fragment.rfind("https://tpp.example/cb#code=", 0) == 0);
  token = client.Post("/token", "grant_type=authorization_code&redirect_uri=https%3A%2F%2Ftpp.example%2Fcb&code=" +
                                    fragment.substr(28),
                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(token.status == 200);
  const std::string access = token.json()["access_token"];
  const std::string chk = AccountId("northbank", bob, AccountKind::kChecking);  // the next customer
  CHECK(client.Get(kBase + "/accounts/" + chk + "/balances", Bearer(access)).status == 200);

  auto third = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"), tpp);
  const std::string id3 = third.json()["Data"]["ConsentId"];
  page = client.Get("/authorize?response_type=code&redirect_uri=https://tpp.example/cb&decision=reject"
                    "&openbanking_intent_id=" + id3);
  CHECK(page.header("Location").rfind("https://tpp.example/cb?error=access_denied", 0) == 0);
  CHECK(client.Get(kBase + "/account-access-consents/" + id3, tpp).json()["Data"]["Status"] == "Rejected");
  CHECK(client.Get("/authorize?response_type=code&openbanking_intent_id=" + id3).status == 400);
  auto cc = client.Post("/token", "grant_type=password", {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(cc.json()["error"] == "unsupported_grant_type");
}

TEST_CASE("obie: an expiry far away is clamped to the bank's maximum consent life", "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  auto created = client.Post(
      kBase + "/account-access-consents",
      R"({"Data":{"Permissions":["ReadBalances"],"ExpirationDateTime":"2099-01-01T00:00:00Z"},"Risk":{}})",
      Tpp(client, alice));
  REQUIRE(created.status == 201);
  CHECK(created.json()["Data"]["ExpirationDateTime"] == "2025-06-30T01:00:00+00:00");  // 180 days
}

TEST_CASE("obie: past the rate limit the bank answers 429 with Retry-After", "[live]") {
  LiveWorld w(/*rate_limit_per_s=*/2);
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  auto [id, token] = Link(client, alice, R"(["ReadBalances"])");
  const std::string chk = AccountId("northbank", alice, AccountKind::kChecking);
  unsigned last = 0;
  for (int i = 0; i < 5 && last != 429; ++i) {
    auto r = client.Get(kBase + "/accounts/" + chk + "/balances", Bearer(token));
    last = r.status;
    if (last == 429) CHECK(r.header("Retry-After") == "1");
  }
  CHECK(last == 429);
}

}  // namespace
}  // namespace bpsim::harness::live
