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

// Creates and authorises a consent for `customer`; returns (consent id, token).
std::pair<std::string, std::string> Link(Client& client, mocks::CustomerId customer,
                                         const std::string& permissions) {
  auto created = client.Post(kBase + "/account-access-consents", ConsentBody(permissions),
                             {{"x-bpsim-psu-id", std::to_string(customer)}});
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

  auto created = client.Post(
      kBase + "/account-access-consents", ConsentBody(R"(["ReadAccountsBasic","ReadBalances"])"),
      {{"x-bpsim-psu-id", std::to_string(alice)}, {"x-fapi-interaction-id", "abc-1"}});
  REQUIRE(created.status == 201);
  CHECK(created.header("x-fapi-interaction-id") == "abc-1");
  Json data = created.json()["Data"];
  const std::string id = data["ConsentId"];
  CHECK(data["Status"] == "AwaitingAuthorisation");
  CHECK(data["Permissions"] == Json::parse(R"(["ReadAccountsBasic","ReadBalances"])"));
  CHECK(data["CreationDateTime"] == "2025-01-01T01:00:00+00:00");
  CHECK(data["ExpirationDateTime"] == "2025-04-01T01:00:00+00:00");  // the 90d default
  CHECK(created.json()["Links"]["Self"] == kBase + "/account-access-consents/" + id);
  CHECK(created.header("Location") == kBase + "/account-access-consents/" + id);

  auto fetched = client.Get(kBase + "/account-access-consents/" + id);
  CHECK(fetched.status == 200);
  CHECK(fetched.json()["Data"]["Status"] == "AwaitingAuthorisation");

  auto authorised = client.Post("/__bpsim/consents/" + id + "/authorise", "");
  REQUIRE(authorised.status == 200);
  const std::string token = authorised.json()["access_token"];
  CHECK(token.rfind(id + ".", 0) == 0);
  CHECK(token.size() == id.size() + 17);
  CHECK(client.Get(kBase + "/account-access-consents/" + id).json()["Data"]["Status"] ==
        "Authorised");

  auto accounts = client.Get(kBase + "/accounts", Bearer(token));
  REQUIRE(accounts.status == 200);
  char expected_id[32];
  std::snprintf(expected_id, sizeof expected_id, "NORTHBANK-%08u-CHK", alice);
  CHECK(accounts.json()["Data"]["Account"][0]["AccountId"] == expected_id);
  CHECK(accounts.json()["Data"]["Account"][1]["AccountSubType"] == "CreditCard");
  CHECK(accounts.json()["Links"]["Self"] == kBase + "/accounts");

  auto balance = client.Get(kBase + "/accounts/" + expected_id + "/balances", Bearer(token));
  REQUIRE(balance.status == 200);
  std::int64_t cents = w.world->population().BalanceAt(alice, w.sim.Now()).checking_cents;
  Json b = balance.json()["Data"]["Balance"][0];
  CHECK(b["Amount"]["Amount"] == FormatAmount(cents));
  CHECK(b["Amount"]["Currency"] == "GBP");
  CHECK(b["CreditDebitIndicator"] == (cents < 0 ? "Debit" : "Credit"));
  CHECK(b["DateTime"] == "2025-01-01T01:00:00+00:00");
  CHECK(balance.header("x-bpsim-sim-time") == std::to_string(kHour));

  auto deleted = client.Send(http::verb::delete_, kBase + "/account-access-consents/" + id);
  CHECK(deleted.status == 204);
  CHECK(client.Get(kBase + "/account-access-consents/" + id).json()["Data"]["Status"] == "Revoked");
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
  auto r = client.Get(
      kBase + "/accounts/" + card +
          "/transactions?fromBookingDateTime=2025-01-03T00:00:00&toBookingDateTime=2025-01-05",
      Bearer(token));
  REQUIRE(r.status == 200);
  std::vector<mocks::CardTransaction> expected;
  w.world->population().TransactionsIn(alice, 2 * kDay, 4 * kDay, &expected);
  const Json body = r.json();
  const Json& list = body["Data"]["Transaction"];
  REQUIRE(list.size() == expected.size());
  REQUIRE_FALSE(expected.empty());
  CHECK(list[0]["TransactionId"] == TransactionId(alice, expected[0]));
  CHECK(list[0]["Amount"]["Amount"] == FormatAmount(expected[0].amount_cents));
  CHECK(list[0]["BookingDateTime"] == FormatDateTime(expected[0].time));
  CHECK(list[0]["Status"] == "Booked");
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

  SECTION("400 without the PSU header, with a bad permission, without Risk") {
    auto r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"));
    CHECK(r.status == 400);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Header.Missing");
    r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadOffers"])"),
                    {{"x-bpsim-psu-id", std::to_string(alice)}});
    CHECK(r.status == 400);
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Field.Invalid");
    CHECK(r.json()["Errors"][0]["Path"] == "Data.Permissions");
    r = client.Post(kBase + "/account-access-consents",
                    R"({"Data":{"Permissions":["ReadBalances"]}})",
                    {{"x-bpsim-psu-id", std::to_string(alice)}});
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Field.Missing");
    r = client.Post(kBase + "/account-access-consents", "{not json",
                    {{"x-bpsim-psu-id", std::to_string(alice)}});
    CHECK(r.json()["Errors"][0]["ErrorCode"] == "UK.OBIE.Resource.InvalidFormat");
    r = client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"),
                    {{"x-bpsim-psu-id", "999999"}});
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
    auto created = client.Post(
        kBase + "/account-access-consents",
        R"({"Data":{"Permissions":["ReadBalances"],"ExpirationDateTime":"2025-01-02T00:00:00Z"},"Risk":{}})",
        {{"x-bpsim-psu-id", std::to_string(alice)}});
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
        client.Post(kBase + "/account-access-consents", ConsentBody(R"(["ReadBalances"])"),
                    {{"x-bpsim-psu-id", std::to_string(alice)}});
    std::string id = created.json()["Data"]["ConsentId"];
    auto rejected = client.Post("/__bpsim/consents/" + id + "/reject", "");
    CHECK(rejected.status == 200);
    CHECK(rejected.json()["status"] == "Rejected");
    auto again = client.Post("/__bpsim/consents/" + id + "/authorise", "");
    CHECK(again.status == 409);
    CHECK(again.json()["error"]["message"] == "consent '" + id + "' is Rejected");
    CHECK(client.Get(kBase + "/account-access-consents/" + id).json()["Data"]["Status"] ==
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
  SECTION("404 for an unknown path, account or consent") {
    CHECK(client.Get(kBase + "/nothing").status == 404);
    CHECK(client.Get("/elsewhere").status == 404);
    CHECK(client.Get(kBase + "/accounts/NORTHBANK-99999999-CHK/balances").status == 404);
    CHECK(client.Get(kBase + "/account-access-consents/consent-12345").status == 404);
  }
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
