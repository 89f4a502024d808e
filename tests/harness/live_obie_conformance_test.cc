// What the obie dialect serves must validate against the official OBIE v3.1.11
// Account Information OpenAPI document (docs/live-mode.md), a copy of the one in the workplace's shared/standards/, kept in tests/standards/.

#include <catch2/catch.hpp>
#include <filesystem>

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

const std::string kBase = "/open-banking/v3.1/aisp";
const std::string kStandard =
    std::string(BPSIM_SOURCE_DIR) + "/tests/standards/obie-v3.1.11-account-info-openapi.yaml";

void Conforms(const OpenApi& api, const std::string& path, const std::string& method,
              const Reply& reply) {
  INFO(method << " " << path << " -> " << reply.status << " " << reply.body);
  CHECK_FALSE(reply.header("x-fapi-interaction-id").empty());
  std::vector<std::string> errors = api.Check(path, method, reply.status, reply.body);
  for (const std::string& e : errors) FAIL_CHECK(e);
  CHECK(errors.empty());
}

TEST_CASE("obie: every answer validates against the official OBIE v3.1.11 OpenAPI document",
          "[live]") {
  REQUIRE(std::filesystem::exists(kStandard));
  OpenApi api(kStandard);
  LiveWorld w(/*rate_limit_per_s=*/20);
  w.now.store(5 * kDay);
  auto [alice, bob] = w.Customers(0);
  Client client(w.obie_port);
  const std::map<std::string, std::string> psu = {
      {"x-bpsim-psu-id", std::to_string(alice)},
      {"Authorization", "Bearer " + testing::ClientToken(client)}};

  Reply created = client.Post(
      kBase + "/account-access-consents",
      R"({"Data":{"Permissions":["ReadAccountsDetail","ReadBalances","ReadTransactionsDetail"]},"Risk":{}})",
      psu);
  REQUIRE(created.status == 201);
  Conforms(api, "/account-access-consents", "post", created);
  const std::string id = created.json()["Data"]["ConsentId"];
  Conforms(api, "/account-access-consents", "post",
           client.Post(kBase + "/account-access-consents", R"({"Data":{},"Risk":{}})", psu));
  Conforms(api, "/account-access-consents/{ConsentId}", "get",
           client.Get(kBase + "/account-access-consents/" + id, psu));
  Conforms(api, "/account-access-consents/{ConsentId}", "get",
           client.Get(kBase + "/account-access-consents/consent-404", psu));  // 400 NotFound
  Conforms(api, "/account-access-consents", "post",
           client.Post(kBase + "/account-access-consents", "{}"));  // 401

  const std::string token =
      client.Post("/__bpsim/consents/" + id + "/authorise", "").json()["access_token"];
  const std::map<std::string, std::string> bearer = {{"Authorization", "Bearer " + token}};
  const std::string card = AccountId("northbank", alice, AccountKind::kCard);
  const std::string bob_card = AccountId("northbank", bob, AccountKind::kCard);

  Conforms(api, "/accounts", "get", client.Get(kBase + "/accounts", bearer));
  Conforms(api, "/accounts", "get", client.Get(kBase + "/accounts"));  // 401
  Conforms(api, "/accounts/{AccountId}", "get", client.Get(kBase + "/accounts/" + card, bearer));
  auto xml = bearer;
  xml["Accept"] = "application/xml";
  Conforms(api, "/accounts/{AccountId}", "get", client.Get(kBase + "/accounts/" + card, xml));  // 406
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(kBase + "/accounts/" + card + "/balances", bearer));
  Conforms(api, "/accounts/{AccountId}/balances", "get",
           client.Get(kBase + "/accounts/" + bob_card + "/balances", bearer));  // 403
  Reply txs = client.Get(kBase + "/accounts/" + card + "/transactions", bearer);
  REQUIRE(txs.json()["Data"]["Transaction"].size() > 0);
  Conforms(api, "/accounts/{AccountId}/transactions", "get", txs);
  Conforms(
      api, "/accounts/{AccountId}/transactions", "get",
      client.Get(kBase + "/accounts/" + card + "/transactions?toBookingDateTime=soon", bearer));

  Reply throttled;
  for (int i = 0; i < 40 && throttled.status != 429; ++i) {
    throttled = client.Get(kBase + "/accounts", bearer);
  }
  REQUIRE(throttled.status == 429);
  Conforms(api, "/accounts", "get", throttled);

  w.now.store(6 * kDay);  // refills the bucket
  Conforms(api, "/account-access-consents/{ConsentId}", "delete",
           client.Send(http::verb::delete_, kBase + "/account-access-consents/" + id, "", psu));
  Conforms(api, "/account-access-consents/{ConsentId}", "delete",
           client.Send(http::verb::delete_, kBase + "/account-access-consents/" + id, "", psu));  // 400
  Reply revoked = client.Get(kBase + "/account-access-consents/" + id, psu);
  CHECK(revoked.json()["Data"]["Status"] == "Revoked");
  Conforms(api, "/account-access-consents/{ConsentId}", "get", revoked);
  Conforms(api, "/accounts", "get", client.Get(kBase + "/accounts", bearer));  // 403
}

}  // namespace
}  // namespace bpsim::harness::live

namespace bpsim::harness::live {
namespace {

TEST_CASE("the OpenAPI check rejects bodies the OBIE document does not allow", "[live]") {
  REQUIRE(std::filesystem::exists(kStandard));
  testing_openapi::OpenApi api(kStandard);
  const std::string path = "/account-access-consents/{ConsentId}";
  auto errors = api.Check(
      path, "get", 200,
      R"({"Data":{"ConsentId":"c","CreationDateTime":"2025-01-01T00:00:00+00:00",)"
      R"("Status":"Expired","StatusUpdateDateTime":"yesterday","Permissions":["ReadBalances"]},)"
      R"("Risk":{},"Extra":1})");
  REQUIRE(errors.size() == 3);
  CHECK(
      errors[0] ==
      R"($.Data.Status: "Expired" is not one of ["Authorised","AwaitingAuthorisation","Rejected","Revoked"])");
  CHECK(errors[1] == "$.Data.StatusUpdateDateTime: 'yesterday' is not a date-time");
  CHECK(errors[2] == "$: unexpected property Extra");
  CHECK(api.Check(path, "get", 401, "{}") ==
        std::vector<std::string>{"status 401 has no content, got a body"});
  CHECK(api.Check(path, "get", 418, "") ==
        std::vector<std::string>{
            "get /account-access-consents/{ConsentId} does not define status 418"});
}

}  // namespace
}  // namespace bpsim::harness::live
