#pragma once
// The UK Open Banking (OBIE) Account Information v3.1 dialect (docs/live-mode.md), under the
// standard's base path /open-banking/v3.1/aisp:
//   POST   /account-access-consents              201 OBReadConsentResponse1
//   GET    /account-access-consents/{ConsentId}  200 OBReadConsentResponse1
//   DELETE /account-access-consents/{ConsentId}  204
//   GET    /accounts                             200 OBReadAccount6
//   GET    /accounts/{AccountId}/balances        200 OBReadBalance1
//   GET    /accounts/{AccountId}/transactions    200 OBReadTransaction6
// Data requests carry "Authorization: Bearer TOKEN" (live_bank.h). There is no PSU
// in a mock, so POST /account-access-consents names the customer in the header
// x-bpsim-psu-id (the customer number). Errors: 400 and 403 and 500 carry
// OBErrorResponse1 with the standard's ErrorCodes; 401, 404, 429 and 503 have no
// body, as the standard defines them (429 and 503 with Retry-After).
// Every response carries x-fapi-interaction-id (the request's, or a fresh one).
//
// REQUIRES: the world's mutex held (serve.h).

#include <string>

#include "harness/live/http_server.h"
#include "harness/live/live_bank.h"

namespace bpsim::harness::live {

inline constexpr const char* kObieBasePath = "/open-banking/v3.1/aisp";

// Answers a request addressed to an OBIE bank; `route` receives the endpoint
// template ("GET /accounts/{AccountId}/balances") for metrics, or "unknown".
HttpResponse HandleObie(const HttpRequest& request, LiveBank& bank, std::string* route);

}  // namespace bpsim::harness::live
