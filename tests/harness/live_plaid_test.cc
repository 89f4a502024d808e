#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "harness/live/canary.h"
#include "harness/live/plaid.h"
#include "mocks/customers/population.h"
#include "tests/harness/live_client.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::Json;
using testing::LiveWorld;
using testing::Reply;

mocks::BankConfig PlaidBank(const std::string& id) {
  mocks::BankConfig b;
  b.id = id;
  b.api.error_rate = 0;
  b.api.rate_limit_per_s = 0;
  b.api.dialect = mocks::Dialect::kPlaid;
  return b;
}

// A POST with the test credentials in the body, as Plaid's clients may send them.
Reply Call(Client& client, const std::string& route, Json body) {
  body["client_id"] = kPlaidClientId;
  body["secret"] = kPlaidSecret;
  return client.Post(route, body.dump());
}

// Links a test customer through the sandbox; returns (access token, item id).
std::pair<std::string, std::string> Link(Client& client, const Json& products,
                                         const std::string& username = "user_good") {
  Reply pt = Call(client, "/sandbox/public_token/create",
                  {{"institution_id", "ins_usbank"},
                   {"initial_products", products},
                   {"options", {{"override_username", username}}}});
  REQUIRE(pt.status == 200);
  Reply ex = Call(client, "/item/public_token/exchange", {{"public_token", pt.json()["public_token"]}});
  REQUIRE(ex.status == 200);
  return {ex.json()["access_token"], ex.json()["item_id"]};
}

void CheckError(const Reply& r, unsigned status, const std::string& type, const std::string& code,
                const std::string& message) {
  INFO(r.body);
  CHECK(r.status == status);
  Json e = r.json();
  CHECK(e["error_type"] == type);
  CHECK(e["error_code"] == code);
  CHECK(e["error_message"] == message);
  CHECK(e["display_message"].is_null());
  CHECK(e["request_id"].get<std::string>().size() == 15);
  CHECK(e["status"] == status);
}

TEST_CASE("plaid: link through the sandbox, read accounts and balances, remove", "[live]") {
  LiveWorld w({PlaidBank("usbank")});
  Client client(w.service->ports()[0]);
  w.now.store(3 * kDay);
  auto [alice, bob] = w.Customers(0);
  auto [token, item] = Link(client, Json::array({"transactions"}), std::to_string(alice));
  CHECK(item.rfind("consent-", 0) == 0);
  CHECK(token.rfind("access-sandbox-" + item + "-", 0) == 0);

  Reply accounts = Call(client, "/accounts/get", {{"access_token", token}});
  REQUIRE(accounts.status == 200);
  Json list = accounts.json()["accounts"];
  REQUIRE(list.size() == 2);
  char id[32];
  std::snprintf(id, sizeof id, "USBANK-%08u-CHK", alice);
  CHECK(list[0]["account_id"] == id);
  CHECK(list[0]["type"] == "depository");
  CHECK(list[0]["subtype"] == "checking");
  CHECK(list[0]["balances"]["current"].is_null());  // balances only from /accounts/balance/get
  CHECK(list[1]["type"] == "credit");
  CHECK(list[1]["subtype"] == "credit card");
  Json it = accounts.json()["item"];
  CHECK(it["item_id"] == item);
  CHECK(it["institution_id"] == "ins_usbank");
  CHECK(it["error"].is_null());
  CHECK(it["billed_products"] == Json::array({"transactions"}));
  CHECK(it["available_products"] == Json::array({"balance"}));
  CHECK(it["consent_expiration_time"] == FormatDateTime(3 * kDay + 180 * kDay));

  Reply balances = Call(client, "/accounts/balance/get", {{"access_token", token}});
  REQUIRE(balances.status == 200);
  const mocks::Balances b = w.world->population().BalanceAt(alice, 3 * kDay);
  Json checking = balances.json()["accounts"][0]["balances"];
  CHECK(checking["current"] == double(b.checking_cents) / 100);
  CHECK(checking["available"] == checking["current"]);
  CHECK(checking["iso_currency_code"] == "USD");
  Json card = balances.json()["accounts"][1]["balances"];
  CHECK(card["current"] == double(-b.card_cents) / 100);  // owed: positive, as Plaid says
  CHECK(card["available"].is_null());

  REQUIRE(Call(client, "/item/remove", {{"access_token", token}}).status == 200);
  const std::string gone =
      "the Item you requested cannot be found. This Item does not exist, has been previously "
      "removed via /item/remove, or has had access removed by the user";
  CheckError(Call(client, "/accounts/get", {{"access_token", token}}), 400, "ITEM_ERROR",
             "ITEM_NOT_FOUND", gone);
  CHECK(w.world->consents().Get(std::stoul(item.substr(8))).status ==
        mocks::ConsentStatus::kRevoked);
}

TEST_CASE("plaid: every refusal is Plaid's error object with Plaid's status", "[live]") {
  LiveWorld w({PlaidBank("usbank")});
  Client client(w.service->ports()[0]);
  auto [token, item] = Link(client, Json::array({"balance"}));

  CheckError(client.Post("/accounts/get", R"({"access_token":"x"})"), 400, "INVALID_REQUEST",
             "MISSING_FIELDS", "the following required fields are missing: client_id, secret");
  CheckError(client.Post("/item/get", R"({"access_token":"x"})",
                         {{"PLAID-CLIENT-ID", kPlaidClientId}, {"PLAID-SECRET", "wrong"}}),
             400, "INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided");
  CheckError(client.Post("/item/get", "access_token=x",
                         {{"Content-Type", "application/x-www-form-urlencoded"}}),
             400, "INVALID_REQUEST", "INVALID_HEADERS",
             "the Content-Type header must be application/json");
  CheckError(client.Post("/item/get", "[1]"), 400, "INVALID_REQUEST", "INVALID_BODY",
             "the request body is not a JSON object");
  CheckError(client.Get("/accounts/get"), 404, "INVALID_REQUEST", "NOT_FOUND",
             "there is no GET /accounts/get: every route of the Plaid API is a POST");
  CheckError(client.Post("/item/get", R"({})", {{"Plaid-Version", "2018-05-22"}}), 400,
             "INVALID_REQUEST", "INCOMPATIBLE_API_VERSION",
             "Plaid-Version '2018-05-22' is not served; bpsim serves 2020-09-14");
  CheckError(Call(client, "/accounts/get", {{"access_token", token}, {"colour", "blue"}}), 400,
             "INVALID_REQUEST", "UNKNOWN_FIELDS",
             "the following fields are not recognized by this endpoint: colour");
  CheckError(Call(client, "/accounts/get", {{"access_token", "public-sandbox-1"}}), 400,
             "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
             "provided access token is in an invalid format. expected format: "
             "access-<environment>-<identifier>");
  CheckError(Call(client, "/accounts/get",
                  {{"access_token", token.substr(0, token.size() - 1) +
                                        (token.back() == '0' ? "1" : "0")}}),
             400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
             "provided access token is not valid for this institution");
  CheckError(Call(client, "/transactions/sync", {{"access_token", token}}), 400, "INVALID_INPUT",
             "ADDITIONAL_CONSENT_REQUIRED",
             "client does not have user consent to access the PRODUCT_TRANSACTIONS product for "
             "this Item");
  CheckError(Call(client, "/sandbox/public_token/create",
                  {{"institution_id", "ins_usbank"}, {"initial_products", {"auth"}}}),
             400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED",
             "the following products are not supported by this institution: auth (bpsim banks "
             "serve balance and transactions)");
  CheckError(Call(client, "/sandbox/public_token/create",
                  {{"institution_id", "ins_3"}, {"initial_products", {"balance"}}}),
             400, "INVALID_INPUT", "INVALID_INSTITUTION",
             "invalid institution_id provided: this bank is ins_usbank");
  CheckError(Call(client, "/item/public_token/exchange", {{"public_token", "public-sandbox-x"}}),
             400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
             "provided public token is expired, already used or not valid: unknown or already "
             "used authorization code");
  CheckError(Call(client, "/webhook_verification_key/get", {{"key_id", "k"}}), 400, "INVALID_INPUT",
             "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
             "invalid key_id provided: no webhook verification key 'k'");
  CheckError(Call(client, "/link/token/create",
                  {{"client_name", "p"},
                   {"language", "en"},
                   {"country_codes", {"US"}},
                   {"user", {{"client_user_id", "u"}}},
                   {"products", {"transactions"}},
                   {"access_token", token}}),
             400, "INVALID_REQUEST", "INVALID_FIELD",
             "access_token is not modelled by bpsim (docs/live-mode.md, \"Plaid\")");
  CheckError(Call(client, "/sandbox/item/fire_webhook",
                  {{"access_token", token}, {"webhook_code", "SYNC_UPDATES_AVAILABLE"}}),
             400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID",
             "the Item has no webhook URL to fire to");
}

// Everything /transactions/sync sends from `cursor` on, `count` at a time.
struct Synced {
  std::vector<std::string> added, removed;
  std::string cursor;
  int pages = 0;
};
Synced SyncAll(Client& client, const std::string& token, const std::string& cursor, int count) {
  Synced out{{}, {}, cursor, 0};
  for (;;) {
    Json body = {{"access_token", token}, {"count", count}};
    if (!out.cursor.empty()) body["cursor"] = out.cursor;
    Reply r = Call(client, "/transactions/sync", body);
    REQUIRE(r.status == 200);
    ++out.pages;
    const Json page = r.json();  // (a range-for over r.json()[...] would outlive it)
    for (const Json& t : page["added"]) out.added.push_back(t["transaction_id"]);
    for (const Json& t : page["removed"]) out.removed.push_back(t["transaction_id"]);
    out.cursor = page["next_cursor"];
    if (!page["has_more"].get<bool>()) return out;
  }
}

TEST_CASE("plaid: /transactions/sync pages the same changes whatever the page size, "
          "and its cursors are positions",
          "[live]") {
  LiveWorld w({PlaidBank("usbank")});
  Client client(w.service->ports()[0]);
  w.now.store(6 * kDay + 5 * kHour);
  // A customer with card transactions still pending now (authorised, not yet booked),
  // found in the ledger once the world has run to now (any request runs it).
  Link(client, Json::array({"balance"}));
  const SimTime now = w.now.load();
  const mocks::Population& population = w.world->population();
  std::string customer;
  std::vector<mocks::CardTransaction> txs;
  for (mocks::CustomerId c = 0; c < population.size() && customer.empty(); ++c) {
    population.TransactionsIn(c, now - 4 * kDay, now, &txs);
    for (const mocks::CardTransaction& tx : txs) {
      if (population.CardBookedAt(c, tx) > now) customer = std::to_string(c);
    }
  }
  REQUIRE(!customer.empty());
  auto [token, item] = Link(client, Json::array({"transactions"}), customer);

  Synced small = SyncAll(client, token, "", 3);
  Synced large = SyncAll(client, token, "", 500);
  CHECK(small.pages > 3);
  CHECK(large.pages == 1);
  CHECK(small.added == large.added);
  CHECK(small.removed.empty());
  CHECK(small.cursor == large.cursor);  // the same position: the same cursor
  // Nothing new: the cursor stays.
  Synced idle = SyncAll(client, token, large.cursor, 100);
  CHECK(idle.added.empty());
  CHECK(idle.cursor == large.cursor);

  // Three days on, every pending card transaction of then has posted.
  w.now.store(9 * kDay + 5 * kHour);
  Synced later_small = SyncAll(client, token, large.cursor, 2);
  Synced later_large = SyncAll(client, token, large.cursor, 500);
  CHECK(later_small.added == later_large.added);
  CHECK(later_small.removed == later_large.removed);
  CHECK(later_small.cursor == later_large.cursor);
  std::set<std::string> pending_before;
  for (const std::string& id : large.added) {
    if (id.size() > 2 && id.substr(id.size() - 2) == "-P") pending_before.insert(id);
  }
  REQUIRE(!pending_before.empty());
  for (const std::string& id : pending_before) {
    INFO(id);
    CHECK(std::count(later_large.removed.begin(), later_large.removed.end(), id) == 1);
    const std::string posted = id.substr(0, id.size() - 2);
    CHECK(std::count(later_large.added.begin(), later_large.added.end(), posted) == 1);
  }

  const std::string bad_cursor =
      "cursor is not a cursor of this Item (and options.account_id): pass the next_cursor of a "
      "previous /transactions/sync of this Item, or none to start";
  std::string altered = large.cursor;
  altered[5] = altered[5] == 'A' ? 'B' : 'A';
  CheckError(Call(client, "/transactions/sync", {{"access_token", token}, {"cursor", altered}}),
             400, "INVALID_REQUEST", "INVALID_FIELD", bad_cursor);
  auto [other, other_item] = Link(client, Json::array({"transactions"}));
  CheckError(Call(client, "/transactions/sync", {{"access_token", other}, {"cursor", large.cursor}}),
             400, "INVALID_REQUEST", "INVALID_FIELD", bad_cursor);
  CheckError(Call(client, "/transactions/sync", {{"access_token", token}, {"count", 501}}), 400,
             "INVALID_REQUEST", "INVALID_FIELD", "count must be an integer from 1 to 500");
}

TEST_CASE("plaid: the bank's outage and errors are INSTITUTION_DOWN, INSTITUTION_NOT_RESPONDING "
          "and INTERNAL_SERVER_ERROR",
          "[live]") {
  LiveWorld w({PlaidBank("usbank")});
  Client client(w.service->ports()[0]);
  auto [token, item] = Link(client, Json::array({"balance"}));
  mocks::Bank& bank = w.world->bank(0);
  bank.SetOutage(mocks::OutageMode::kUnavailable, 0, 7);
  Reply down = Call(client, "/accounts/balance/get", {{"access_token", token}});
  CheckError(down, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN",
             "this financial institution is not currently responding to requests. We apologize "
             "for the inconvenience.");
  CHECK(down.header("Retry-After") == "30");
  bank.SetOutage(mocks::OutageMode::kErrors, 1.0, 8);
  CheckError(Call(client, "/accounts/balance/get", {{"access_token", token}}), 400,
             "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING",
             "this financial institution is not currently responding to this request. please try "
             "again soon");
  bank.ClearOutage(8);
  CHECK(Call(client, "/accounts/balance/get", {{"access_token", token}}).status == 200);
}

}  // namespace
}  // namespace bpsim::harness::live
