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
  LiveWorld w(/*rate_limit_per_s=*/0, /*frequency_per_day=*/9);
  w.now.store(16 * kDay + 20 * kHour);
  auto [alice, bob] = w.Customers(1);
  Client client(w.bg_port);
  const std::map<std::string, std::string> psu = {{"PSU-ID", std::to_string(alice)},
                                                  {"TPP-Redirect-URI", "https://tpp.example/ok"}};
  const std::string body =
      R"({"access":{"balances":[],"transactions":[]},"recurringIndicator":true,"frequencyPerDay":3,)"
      R"("validUntil":"2025-03-01","combinedServiceIndicator":false})";

  Reply created = client.Post("/v1/consents", body, psu);
  Conforms(api, "/v1/consents", "post", created);
  Conforms(api, "/v1/consents", "post", client.Post("/v1/consents", "{}", psu));
  Conforms(api, "/v1/consents", "post", client.Post("/v1/consents", body, {{"PSU-ID", "x"}}));  // 401
  const std::string id = created.json()["consentId"];
  const std::string auths = "/v1/consents/" + id + "/authorisations";
  Conforms(api, "/v1/consents/{consentId}/authorisations", "get", client.Get(auths));
  Conforms(api, "/v1/consents/{consentId}/authorisations/{authorisationId}", "get",
           client.Get(auths + "/auth-1"));
  Conforms(api, "/__bpsim/sca/{authorisationId}", "get", client.Get("/__bpsim/sca/auth-1"));  // 302
  Conforms(api, "/__bpsim/sca/{authorisationId}", "get", client.Get("/__bpsim/sca/auth-1"));  // 409
  Conforms(api, "/v1/consents/{consentId}/authorisations", "post", client.Post(auths, ""));  // 409
  Reply other = client.Post("/v1/consents", body, {{"PSU-ID", std::to_string(alice)}});
  const std::string other_id = other.json()["consentId"];
  Conforms(api, "/v1/consents/{consentId}/authorisations", "post",
           client.Post("/v1/consents/" + other_id + "/authorisations", ""));
  Reply authorised = client.Post("/__bpsim/consents/" + other_id + "/authorise", "");
  Conforms(api, "/__bpsim/consents/{consentId}/authorise", "post", authorised);
  Conforms(api, "/__bpsim/consents/{consentId}/authorise", "post",
           client.Post("/__bpsim/consents/" + other_id + "/authorise", ""));  // 409
  const std::string token = authorised.json()["access_token"];
  const std::map<std::string, std::string> h = {{"Consent-ID", id}};
  const std::string checking = AccountId("southbank", alice, AccountKind::kChecking);
  const std::string card = AccountId("southbank", alice, AccountKind::kCard);
  const std::string bob_chk = AccountId("southbank", bob, AccountKind::kChecking);

  Conforms(api, "/v1/consents/{consentId}", "get", client.Get("/v1/consents/" + id));
  Conforms(api, "/v1/consents/{consentId}/status", "get",
           client.Get("/v1/consents/" + id + "/status"));
  Conforms(api, "/v1/consents/{consentId}/status", "get",
           client.Get("/v1/consents/consent-0/status"));
  Conforms(api, "/v1/accounts", "get", client.Get("/v1/accounts", h));
  Conforms(api, "/v1/accounts/{account-id}", "get", client.Get("/v1/accounts/" + checking, h));
  Conforms(api, "/v1/accounts/{account-id}/balances", "get",
           client.Get("/v1/accounts/" + checking + "/balances", h));
  Reply salaries = client.Get("/v1/accounts/" + checking + "/transactions?bookingStatus=both", h);
  REQUIRE(salaries.json()["transactions"]["booked"].size() > 0);
  Conforms(api, "/v1/accounts/{account-id}/transactions", "get", salaries);
  Conforms(api, "/v1/accounts/{account-id}/transactions/{transactionId}", "get",
           client.Get("/v1/accounts/" + checking + "/transactions/" +
                          salaries.json()["transactions"]["booked"][0]["transactionId"].get<std::string>(),
                      h));
  Conforms(api, "/v1/card-accounts", "get", client.Get("/v1/card-accounts", h));
  Conforms(api, "/v1/card-accounts/{account-id}", "get", client.Get("/v1/card-accounts/" + card, h));
  Conforms(api, "/v1/card-accounts/{account-id}/balances", "get",
           client.Get("/v1/card-accounts/" + card + "/balances", h));
  Reply txs = client.Get("/v1/card-accounts/" + card + "/transactions?bookingStatus=both", h);
  INFO(txs.body);
  REQUIRE(txs.json()["cardTransactions"]["pending"].size() > 0);
  Conforms(api, "/v1/card-accounts/{account-id}/transactions", "get", txs);
  Conforms(api, "/v1/accounts/{account-id}/balances", "get",
           client.Get("/v1/accounts/" + bob_chk + "/balances", h));  // 403 RESOURCE_UNKNOWN
  Conforms(api, "/v1/accounts/{account-id}/balances", "get",
           client.Get("/v1/accounts/SOUTHBANK-99999999-CHK/balances", h));  // 404
  Conforms(api, "/v1/card-accounts/{account-id}/transactions", "get",
           client.Get("/v1/card-accounts/" + card + "/transactions?bookingStatus=booked&dateFrom=x", h));
  Conforms(api, "/v1/accounts", "get", client.Get("/v1/accounts", {{"Consent-ID", id}, {"Accept", "text/xml"}}));
  Reply exceeded = client.Get("/v1/accounts", h);
  REQUIRE(exceeded.status == 429);
  Conforms(api, "/v1/accounts", "get", exceeded);
  Conforms(api, "/v1/accounts", "get",
           client.Get("/v1/accounts", {{"Consent-ID", other_id}, {"Authorization", "Bearer " + token + "0"}}));  // 401
  Conforms(api, "/v1/consents/{consentId}", "delete",
           client.Send(http::verb::delete_, "/v1/consents/" + id));
  Conforms(api, "/v1/consents/{consentId}", "delete",
           client.Send(http::verb::delete_, "/v1/consents/" + id));  // 409
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
  Reply cc = client.Post("/token", "grant_type=client_credentials",
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  Conforms(api, "/token", "post", cc);
  const std::map<std::string, std::string> tpp = {
      {"x-bpsim-psu-id", std::to_string(alice)},
      {"Authorization", "Bearer " + cc.json()["access_token"].get<std::string>()}};
  Reply created = client.Post(
      base + "/account-access-consents",
      R"({"Data":{"Permissions":["ReadAccountsBasic","ReadBalances","ReadTransactionsBasic"]},"Risk":{}})",
      tpp);
  Conforms(api, "/account-access-consents", "post", created);
  const std::string id = created.json()["Data"]["ConsentId"];
  Conforms(api, "/account-access-consents", "post", client.Post(base + "/account-access-consents", "[]", tpp));
  Conforms(api, "/account-access-consents", "post", client.Post(base + "/account-access-consents", "{}"));  // 401
  Reply page = client.Get("/authorize?response_type=code&redirect_uri=https://tpp.example/cb&openbanking_intent_id=" + id);
  Conforms(api, "/authorize", "get", page);
  Conforms(api, "/authorize", "get", client.Get("/authorize?response_type=code"));  // 400
  const std::string location = page.header("Location");
  Reply token = client.Post("/token", "grant_type=authorization_code&redirect_uri=https://tpp.example/cb&code=" +
                                          location.substr(location.find("code=") + 5),
                            {{"Content-Type", "application/x-www-form-urlencoded"}});
  Conforms(api, "/token", "post", token);
  Conforms(api, "/token", "post", client.Post("/token", "grant_type=authorization_code&code=used",
                                               {{"Content-Type", "application/x-www-form-urlencoded"}}));
  const std::map<std::string, std::string> bearer = {
      {"Authorization", "Bearer " + token.json()["access_token"].get<std::string>()}};
  const std::string card = AccountId("northbank", alice, AccountKind::kCard);
  const std::string checking = AccountId("northbank", alice, AccountKind::kChecking);
  Conforms(api, "/account-access-consents/{ConsentId}", "get",
           client.Get(base + "/account-access-consents/" + id, tpp));
  Conforms(api, "/account-access-consents/{ConsentId}", "get",
           client.Get(base + "/account-access-consents/consent-999", tpp));  // 400
  Conforms(api, "/accounts", "get", client.Get(base + "/accounts", bearer));
  Conforms(api, "/accounts/{AccountId}", "get", client.Get(base + "/accounts/" + card, bearer));
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(base + "/accounts/" + card + "/balances", bearer));
  Conforms(api, "/accounts/{AccountId}/transactions", "get",
           client.Get(base + "/accounts/" + card + "/transactions", bearer));
  Conforms(api, "/accounts/{AccountId}/transactions", "get",
           client.Get(base + "/accounts/" + checking + "/transactions", bearer));
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(
               base + "/accounts/" + AccountId("northbank", bob, AccountKind::kCard) + "/balances",
               bearer));  // 403
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(base + "/accounts/" + card + "/balances"));  // 401
  auto xml = bearer;
  xml["Accept"] = "application/xml";
  Conforms(api, "/accounts", "get", client.Get(base + "/accounts", xml));  // 406
  Conforms(api, "/account-access-consents/{ConsentId}", "delete",
           client.Send(http::verb::delete_, base + "/account-access-consents/" + id, "", tpp));
  Conforms(api, "/account-access-consents/{ConsentId}", "delete",
           client.Send(http::verb::delete_, base + "/account-access-consents/" + id, "", tpp));  // 400
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
