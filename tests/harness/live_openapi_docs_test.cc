// The OpenAPI files under docs/openapi/ describe what live mode serves: every
// answer of a life cycle with its refusals validates against them.

#include <catch2/catch.hpp>

#include "harness/live/canary.h"
#include "tests/harness/live_client.h"
#include "tests/harness/openapi_check.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::LiveWorld;
using testing::Reply;
using testing_openapi::OpenApi;
namespace http = boost::beast::http;

const std::string kDocs = std::string(BPSIM_SOURCE_DIR) + "/docs/openapi/";

void Conforms(const OpenApi& api, const std::string& path, const std::string& method,
              const Reply& reply) {
  INFO(method << " " << path << " -> " << reply.status << " " << reply.body);
  std::vector<std::string> errors = api.Check(path, method, reply.status, reply.body);
  for (const std::string& e : errors) FAIL_CHECK(e);
  CHECK(errors.empty());
}

TEST_CASE("docs/openapi/bank-berlin-group.yaml describes every Berlin Group answer", "[live]") {
  OpenApi api(kDocs + "bank-berlin-group.yaml");
  LiveWorld w(/*rate_limit_per_s=*/0, /*frequency_per_day=*/3);
  w.now.store(4 * kDay);
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::map<std::string, std::string> psu = {{"PSU-ID", std::to_string(alice)}};
  const std::string body =
      R"({"access":{"balances":[],"transactions":[]},"recurringIndicator":true,"frequencyPerDay":3})";

  Reply created = client.Post("/v1/consents", body, psu);
  Conforms(api, "/v1/consents", "post", created);
  Conforms(api, "/v1/consents", "post", client.Post("/v1/consents", "{}", psu));
  const std::string id = created.json()["consentId"];
  Reply authorised = client.Post("/__bpsim/consents/" + id + "/authorise", "");
  Conforms(api, "/__bpsim/consents/{consentId}/authorise", "post", authorised);
  Conforms(api, "/__bpsim/consents/{consentId}/authorise", "post",
           client.Post("/__bpsim/consents/" + id + "/authorise", ""));  // 409
  const std::string token = authorised.json()["access_token"];
  const std::map<std::string, std::string> h = {{"Consent-ID", id},
                                                {"Authorization", "Bearer " + token}};
  const std::string card = AccountId("southbank", alice, AccountKind::kCard);
  const std::string bob_card = AccountId("southbank", bob, AccountKind::kCard);

  Conforms(api, "/v1/consents/{consentId}", "get", client.Get("/v1/consents/" + id));
  Conforms(api, "/v1/consents/{consentId}/status", "get",
           client.Get("/v1/consents/" + id + "/status"));
  Conforms(api, "/v1/consents/{consentId}/status", "get",
           client.Get("/v1/consents/consent-0/status"));
  Conforms(api, "/v1/accounts", "get", client.Get("/v1/accounts", h));
  Conforms(api, "/v1/accounts/{account-id}/balances", "get",
           client.Get("/v1/accounts/" + card + "/balances", h));
  Reply txs = client.Get("/v1/accounts/" + card + "/transactions?bookingStatus=both", h);
  REQUIRE(txs.json()["transactions"]["booked"].size() > 0);
  Conforms(api, "/v1/accounts/{account-id}/transactions", "get", txs);
  Conforms(api, "/v1/accounts/{account-id}/balances", "get",
           client.Get("/v1/accounts/" + bob_card + "/balances", h));  // 403 RESOURCE_UNKNOWN
  Conforms(api, "/v1/accounts/{account-id}/balances", "get",
           client.Get("/v1/accounts/SOUTHBANK-99999999-CHK/balances", h));  // 404
  Conforms(api, "/v1/accounts/{account-id}/transactions", "get",
           client.Get("/v1/accounts/" + card + "/transactions?bookingStatus=booked&dateFrom=x", h));
  Reply exceeded = client.Get("/v1/accounts", h);
  REQUIRE(exceeded.status == 429);
  Conforms(api, "/v1/accounts", "get", exceeded);
  Conforms(api, "/v1/accounts", "get", client.Get("/v1/accounts", {{"Consent-ID", id}}));  // 401
  Conforms(api, "/v1/consents/{consentId}", "delete",
           client.Send(http::verb::delete_, "/v1/consents/" + id));
  Conforms(api, "/v1/consents/{consentId}", "delete",
           client.Send(http::verb::delete_, "/v1/consents/" + id + "x"));  // 403
  Conforms(api, "/metrics", "get", client.Get("/metrics"));
}

TEST_CASE("docs/openapi/bank-obie.yaml describes every OBIE answer", "[live]") {
  OpenApi api(kDocs + "bank-obie.yaml");
  LiveWorld w;
  w.now.store(4 * kDay);
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  const std::string base = "/open-banking/v3.1/aisp";
  const std::map<std::string, std::string> psu = {{"x-bpsim-psu-id", std::to_string(alice)}};
  Reply created = client.Post(
      base + "/account-access-consents",
      R"({"Data":{"Permissions":["ReadAccountsBasic","ReadBalances","ReadTransactionsBasic"]},"Risk":{}})",
      psu);
  Conforms(api, "/account-access-consents", "post", created);
  const std::string id = created.json()["Data"]["ConsentId"];
  Reply rejected_body = client.Post(base + "/account-access-consents", "[]", psu);
  Conforms(api, "/account-access-consents", "post", rejected_body);
  Reply authorised = client.Post("/__bpsim/consents/" + id + "/authorise", "");
  Conforms(api, "/__bpsim/consents/{ConsentId}/authorise", "post", authorised);
  const std::map<std::string, std::string> bearer = {
      {"Authorization", "Bearer " + authorised.json()["access_token"].get<std::string>()}};
  const std::string card = AccountId("northbank", alice, AccountKind::kCard);
  Conforms(api, "/account-access-consents/{ConsentId}", "get",
           client.Get(base + "/account-access-consents/" + id));
  Conforms(api, "/accounts", "get", client.Get(base + "/accounts", bearer));
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(base + "/accounts/" + card + "/balances", bearer));
  Conforms(api, "/accounts/{AccountId}/transactions", "get",
           client.Get(base + "/accounts/" + card + "/transactions", bearer));
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(
               base + "/accounts/" + AccountId("northbank", bob, AccountKind::kCard) + "/balances",
               bearer));  // 403
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(base + "/accounts/" + card + "/balances"));  // 401
  Conforms(api, "/account-access-consents/{ConsentId}", "delete",
           client.Send(http::verb::delete_, base + "/account-access-consents/" + id));
  Conforms(api, "/metrics", "get", client.Get("/metrics"));
}

}  // namespace
}  // namespace bpsim::harness::live

namespace bpsim::harness::live {
namespace {

TEST_CASE("GET /__bpsim/customers lists the bank's own customers", "[live]") {
  OpenApi api(kDocs + "bank-berlin-group.yaml");
  LiveWorld w;
  Client client(w.bg_port);
  Reply r = client.Get("/__bpsim/customers?limit=2");
  REQUIRE(r.status == 200);
  Conforms(api, "/__bpsim/customers", "get", r);
  auto [first, second] = w.Customers(1);
  CHECK(r.json() ==
        testing::Json::parse("{\"bank\":\"southbank\",\"customers\":[" + std::to_string(first) +
                             "," + std::to_string(second) + "]}"));
  std::size_t all = 0;
  for (mocks::CustomerId c = 0; c < w.world->population().size(); ++c) {
    all += w.world->population().at(c).bank == 1;
  }
  CHECK(client.Get("/__bpsim/customers").json()["customers"].size() == all);
  Reply bad = client.Get("/__bpsim/customers?limit=none");
  CHECK(bad.status == 400);
  CHECK(
      bad.body ==
      R"({"error":{"code":"bad_request","message":"limit must be a positive integer, got 'none'"}})");
}

}  // namespace
}  // namespace bpsim::harness::live
