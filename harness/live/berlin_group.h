#pragma once
// The Berlin Group NextGenPSD2 Account Information Service dialect (docs/live-mode.md):
//   POST   /v1/consents                         201 {consentStatus: received, consentId, _links}
//   GET    /v1/consents/{consentId}             200 {access, recurringIndicator, validUntil,
//                                                    frequencyPerDay, lastActionDate,
//                                                    consentStatus}
//   GET    /v1/consents/{consentId}/status      200 {consentStatus}
//   DELETE /v1/consents/{consentId}             204 (-> terminatedByTpp)
//   GET    /v1/accounts                         200 {accounts: [...]}
//   GET    /v1/accounts/{account-id}/balances   200 {account, balances: [...]}
//   GET    /v1/accounts/{account-id}/transactions?bookingStatus=booked[&dateFrom&dateTo]
// POST /v1/consents names the customer in the standard PSU-ID header (the customer
// number). Data requests carry Consent-ID and "Authorization: Bearer TOKEN".
// consentStatus: received, valid, rejected, revokedByPsu, expired, terminatedByTpp.
// Errors carry {"tppMessages": [{"category": "ERROR", "code", "text"}]}:
//   400 FORMAT_ERROR, 401 TOKEN_INVALID / CONSENT_INVALID / CONSENT_EXPIRED,
//   403 CONSENT_UNKNOWN (Consent-ID unknown or not the token's) / RESOURCE_UNKNOWN
//   (an account of another customer), 404 RESOURCE_UNKNOWN, 405 SERVICE_INVALID,
//   429 ACCESS_EXCEEDED (rate limit or frequencyPerDay, with Retry-After);
//   500 and 503 (with Retry-After) have no body.
// frequencyPerDay is enforced by the bank's scenario setting
// api.frequency_per_day; the value a TPP asks for is echoed, not enforced.
//
// REQUIRES: the world's mutex held (serve.h).

#include <string>

#include "harness/live/http_server.h"
#include "harness/live/json_writer.h"
#include "harness/live/live_bank.h"

namespace bpsim::harness::live {

HttpResponse HandleBerlinGroup(const HttpRequest& request, LiveBank& bank, std::string* route);

// One entry of a card transactions answer's booked or pending list, as the answer
// writes it (also timed by bench/live_bench.cc). `masked_pan` is the card's
// (MaskedPan), the same for every transaction of an answer.
void WriteCardTransaction(JsonWriter& w, mocks::CustomerId customer, const std::string& masked_pan,
                          const mocks::CardTransaction& tx, SimTime booked_at, bool pending);
// The merchant category code (ISO 18245) of a ledger category
// (< mocks::kMerchantCategoryCount).
const char* MerchantCategoryCode(std::uint8_t category);

}  // namespace bpsim::harness::live
