#pragma once
// The Plaid API dialect (docs/live-mode.md, "Plaid"): United States banks as a
// platform reaches them through an aggregator, answering in Plaid's API (version
// 2020-09-14), so that a platform written with Plaid's own client library can be
// pointed at bpsim by changing its base URL. The bank logic is the same as the
// other dialects' (live_bank.h, mocks/bank): an Item is a consent, an access token
// the consent's token, the Item's products and account filters its scopes.
//
// Every route is a POST with a JSON body on the listener's root:
//   /link/token/create, /sandbox/public_token/create, /item/public_token/exchange,
//   /accounts/get, /accounts/balance/get, /transactions/sync, /transactions/get,
//   /item/get, /item/remove, /webhook_verification_key/get, /sandbox/item/fire_webhook
// Clients authenticate with client_id and secret (body or PLAID-CLIENT-ID /
// PLAID-SECRET headers); errors are Plaid's error object with Plaid's statuses.
//
// Webhooks: each Item created with a webhook URL gets Plaid's webhooks there
// (TRANSACTIONS: SYNC_UPDATES_AVAILABLE, ITEM: USER_PERMISSION_REVOKED,
// PENDING_EXPIRATION, ERROR), each signed with a Plaid-Verification JWT (ES256,
// jws.h). They go through the world's webhook outbox, so the scenario's webhook
// faults and retries apply and the trace records them; this service sits in front of
// the platform as the outbox's receiver and passes on everything else (fraud alerts
// come through the bank's own channel, as Plaid does not relay them). The HTTP
// deliveries are made by one client thread, off the world's mutex.
//
// Thread safety: everything but the delivery thread REQUIRES the world's mutex.

#include <memory>
#include <string>
#include <vector>

#include "harness/live/http_server.h"
#include "harness/live/live_bank.h"
#include "mocks/bank/webhooks.h"
#include "mocks/world.h"
#include "sim/simulator.h"

namespace bpsim::harness::live {

// The documented test credentials (docs/live-mode.md).
inline constexpr const char* kPlaidClientId = "bpsim-sandbox-client";
inline constexpr const char* kPlaidSecret = "bpsim-sandbox-secret";
// The API version bpsim serves (Plaid-Version).
inline constexpr const char* kPlaidApiVersion = "2020-09-14";

// "ins_" + the bank's scenario id: the institution_id of a Plaid bank.
std::string PlaidInstitutionId(const std::string& bank_id);

class PlaidService final : public mocks::WebhookReceiver {
 public:
  // Serves every bank of `banks` whose dialect is plaid; installs itself as the
  // world's webhook receiver in front of the platform. Fails if no signing key can
  // be made.
  static Result<std::unique_ptr<PlaidService>> Create(mocks::World* world, Simulator* sim,
                                                      std::vector<LiveBank*> banks);
  ~PlaidService() override;  // Stop(), and the platform is the receiver again
  PlaidService(const PlaidService&) = delete;
  PlaidService& operator=(const PlaidService&) = delete;

  // Answers a request to Plaid bank `bank`.
  HttpResponse Handle(mocks::BankIndex bank, const HttpRequest& request, std::string* route);
  // Settles the webhook deliveries that finished (outbox Settle).
  void ApplyCompletions();
  // Stops the delivery thread (deliveries still queued are dropped). Idempotent.
  void Stop();

  // mocks::WebhookReceiver: Plaid notices and revocations of Plaid Items go to the
  // Item's webhook URL; everything else to the platform.
  mocks::WebhookAnswer OnWebhook(const mocks::Webhook& webhook, std::uint32_t attempt,
                                 std::uint32_t ticket) override;

  struct Impl;

 private:
  explicit PlaidService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bpsim::harness::live
