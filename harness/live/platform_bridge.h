#pragma once
// Live mode with an external platform (docs/platform-contract.md): the world's
// PlatformPort implemented by HTTP calls to a platform process at a URL.
//
// Customer actions become the contract's POSTs (/v1/links, /v1/link-callback with a
// one-time authorization code, /v1/balance-requests, /v1/revocations); webhooks
// become POST /v1/webhooks signed with HMAC-SHA256. No HTTP call is made on the
// caller's thread: the platform calls the banks back while handling a call, and the
// banks need the world's mutex, which the caller holds. Calls are queued to one
// client thread (keep-alive, per-call timeout) and their results are applied by
// ApplyCompletions(), which the live service calls with the world's mutex held.
//
// The bridge keeps the per-customer link table the world reads: pending from the
// customer's link request (consent 0 until the platform created the consent at the
// bank over HTTP, learned through ConsentHooks), active on authorisation, ended on
// revocation, expiry or rejection. It publishes what bpsim itself observes:
// balance.check when a customer asks and webhook.received (through the outbox) when
// the platform answers 2xx (the world publishes consent.revoke_requested before a
// revocation is sent).
//
// Thread safety: everything but the client thread REQUIRES the world's mutex.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness/live/http_client.h"
#include "harness/live/latency.h"
#include "harness/live/live_bank.h"
#include "harness/live/served.h"
#include "mocks/messenger/platform_port.h"
#include "mocks/world.h"
#include "sim/status.h"

namespace bpsim::harness::live {

// "http://HOST:PORT[/BASE]" (no TLS).
struct PlatformUrl {
  std::string host;
  std::string port = "80";
  std::string base;  // "" or "/prefix" without a trailing slash
  std::string text;  // as given, without a trailing slash
};
Result<PlatformUrl> ParsePlatformUrl(const std::string& url);

// "sha256=<64 lower-case hex digits>": HMAC-SHA256 of `body` with `secret`.
std::string WebhookSignature(const std::string& secret, const std::string& body);

// Latency percentiles and counts of the calls made to the platform, by route.
struct CallStats {
  std::uint64_t count = 0;
  std::uint64_t failed = 0;  // no answer, or not 2xx
  LatencyRecorder seconds;  // round trips, for the report's percentiles
};

class PlatformBridge final : public mocks::PlatformPort, public ConsentHooks {
 public:
  struct Options {
    PlatformUrl url;
    std::string webhook_secret = kDefaultWebhookSecret;
    std::chrono::milliseconds timeout{5000};
    double time_scale = 1;
  };

  PlatformBridge(mocks::World& world, Simulator* sim, Options options);
  ~PlatformBridge() override;  // stops the client thread (queued calls are dropped)
  PlatformBridge(const PlatformBridge&) = delete;
  PlatformBridge& operator=(const PlatformBridge&) = delete;

  // The live banks (for authorization codes) and the registry of served data;
  // REQUIRED before the simulation runs.
  void Attach(std::vector<LiveBank*> banks, ServedRegistry* served);
  // Applies the results of finished calls (webhooks settled, failures recorded,
  // links retried or ended).
  void ApplyCompletions();
  // Stops the client thread; calls still queued are dropped. Idempotent.
  void Stop();

  std::map<std::string, CallStats> call_stats() const;

  // mocks::PlatformPort.
  void Start(SimTime end_of_run) override;
  void BeginDrain() override {}
  mocks::ConsentId StartLinking(mocks::CustomerId c, mocks::BankIndex bank,
                                mocks::ScopeSet scopes, mocks::PurposeSet purposes,
                                SimTime validity) override;
  void OnAuthorised(mocks::CustomerId c, mocks::ConsentId consent) override;
  void OnRejected(mocks::CustomerId c, mocks::ConsentId consent) override;
  void OnCustomerRevoke(mocks::CustomerId c) override;
  void OnBalanceCheck(mocks::CustomerId c, bool in_group, std::uint32_t group) override;
  const mocks::Link& link(mocks::CustomerId c) const override;
  mocks::WebhookAnswer OnWebhook(const mocks::Webhook& webhook, std::uint32_t attempt,
                                 std::uint32_t ticket) override;

  // ConsentHooks.
  mocks::PurposeSet PurposesFor(mocks::CustomerId c, mocks::BankIndex bank) override;
  void OnConsentCreated(mocks::CustomerId c, mocks::BankIndex bank,
                        mocks::ConsentId consent) override;

 private:
  enum class CallKind : std::uint8_t { kLink, kCallback, kBalance, kRevocation, kWebhook };
  struct Call {
    CallKind kind = CallKind::kLink;
    std::string route;   // "POST /v1/links"
    std::string target;  // base + path
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    mocks::CustomerId customer = mocks::kNoSubject;
    std::uint32_t generation = 0;  // kLink: the link's generation when sent
    std::uint32_t ticket = 0;      // kWebhook
    // Results (filled by the client thread).
    unsigned status = 0;  // 0: no answer
    std::string error;
    double seconds = 0;
  };
  class Client;

  // A POST of the contract to `path` ("/v1/links") with a JSON body, about `customer`.
  static Call PostCall(CallKind kind, const char* path, const nlohmann::ordered_json& body,
                       mocks::CustomerId customer);
  void Enqueue(Call call);
  void RunClient();
  void Apply(const Call& call);
  void SendLink(mocks::CustomerId c);
  void OnLinkTimer(std::uint64_t arg);  // customer | generation << 32
  mocks::Link& Mutable(mocks::CustomerId c) const;

  mocks::World& world_;
  Simulator* sim_;
  Options options_;
  std::vector<LiveBank*> banks_;
  ServedRegistry* served_ = nullptr;
  mutable std::vector<mocks::Link> links_;
  std::vector<std::uint8_t> link_attempts_;
  std::vector<SimTime> link_validity_;
  std::uint64_t next_check_ = 1;
  SimTime end_of_run_ = kSimTimeMax;
  HandlerId link_timer_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Call> queue_;
  std::deque<Call> done_;
  bool stopping_ = false;
  std::thread client_;

  mutable std::mutex stats_mu_;
  std::map<std::string, CallStats> stats_;
};

}  // namespace bpsim::harness::live
