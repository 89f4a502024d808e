#pragma once
// The messenger platform (docs/world.md): the connector that holds one link (token) per
// customer and consent, polls and fetches on demand, caches with a TTL, answers
// balance questions in the customer's private chat, relays fraud alerts (retry,
// back-off, de-duplication, queueing across messenger outages), reacts to every
// kind of revocation notice, and the sinks that must stay clean: ads, partners,
// analytics. Correct behaviour is the default; each `platform.*` defect switches on
// one realistic mistake inside this logic, in what it reads (see docs/world.md),
// never a hand-written trace entry. Every bank datum the platform holds carries its
// provenance (mocks/provenance.h), and every flow's labels are computed from it.
//
// State: the platform's records (the link table, the alert ids seen) are what a
// real platform keeps in its database; the cache, the Retry-After back-offs, the
// relay's pending alerts and the jobs' progress are its working memory.

#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include "mocks/bank/consent.h"
#include "mocks/bank/webhooks.h"
#include "mocks/env.h"
#include "mocks/messenger/cache.h"
#include "mocks/messenger/jobs.h"
#include "mocks/messenger/platform_port.h"
#include "sim/huge_pages.h"
#include "mocks/network/network.h"
#include "sim/simulator.h"

namespace bpsim::mocks {

class Platform final : public ApiClient, public PlatformPort {
 public:
  Platform(const Env* env, Simulator* sim, const PlatformConfig& config, std::uint32_t customers,
           Network* network, ConsentStore* consents);

  // Schedules the platform's own periodic jobs (cache sweeper, analytics, segments).
  // `end_of_run` (duration + drain): timers that would fire later are not scheduled.
  void Start(SimTime end_of_run) override;
  // Adds a periodic job, first run `first` after Start (or after now, if started),
  // then every `every` until the drain. The built-in jobs are product analytics
  // (hourly) and the ads audience with the partner exports (daily).
  void AddJob(std::unique_ptr<PlatformJob> job, SimTime first, SimTime every);
  // The drain: no new polls or jobs; in-flight work (retries, queued alerts, purges)
  // goes on.
  void BeginDrain() override { draining_ = true; }

  // A customer starts linking their bank: the platform asks the bank for a consent.
  // Returns the new consent id.
  ConsentId StartLinking(CustomerId c, BankIndex bank, ScopeSet scopes, PurposeSet purposes,
                         SimTime validity) override;
  // The bank redirected back: authorised (with the token's secret) or rejected.
  void OnAuthorised(CustomerId c, ConsentId consent) override;
  void OnRejected(CustomerId c, ConsentId consent) override;
  // The customer revokes in the messenger.
  void OnCustomerRevoke(CustomerId c) override;
  // A customer asks for their balance in their chat or in group `group`.
  void OnBalanceCheck(CustomerId c, bool in_group, std::uint32_t group) override;

  // ApiClient / WebhookReceiver.
  void OnApiResponse(const InFlightRequest& request, const ApiResponse& response) override;
  WebhookAnswer OnWebhook(const Webhook& webhook, std::uint32_t attempt,
                          std::uint32_t ticket) override;

  const Link& link(CustomerId c) const override { return links_[c]; }
  const DatumCache& cache() const { return cache_; }
  std::uint64_t requests_sent() const { return requests_sent_; }

 private:
  // Events.
  void OnPoll(std::uint64_t arg);          // customer | generation << 32
  void OnRetryFetch(std::uint64_t arg);    // customer | category << 32 | generation << 40
  void OnExpiryKnown(std::uint64_t arg);   // customer | generation << 32
  void OnSweep(std::uint64_t);
  void OnJob(std::uint64_t index);
  void OnAlertRetry(std::uint64_t slot);
  void OnAlertShow(std::uint64_t slot);
  void OnDeleteConsent(std::uint64_t consent);

  void Fetch(CustomerId c, Category category, RequestReason reason, std::int64_t check = -1,
             bool in_group = false, std::uint32_t chat = 0);
  void SchedulePoll(CustomerId c, SimTime delay);
  // The platform was told the link's consent is over (revoked or expired).
  void ConsentEnded(CustomerId c, ConsentId consent, PurgeReason reason);
  // Shows a cached or just-fetched balance: the answer to check `check`.
  void ShowBalance(const BankDatum& balance, std::uint64_t check, bool in_group,
                   std::uint32_t group);
  void Reply(CustomerId c, std::uint64_t check, Endpoint chat, ReplyKind kind);
  void DeliverAlert(std::uint32_t slot);
  void ShowAlert(std::uint32_t slot);
  void SendDelete(ConsentId consent);

  struct PendingAlert {
    Webhook webhook;
    std::uint32_t attempt = 0;
    bool queued = false;
  };

  struct Job {
    std::unique_ptr<PlatformJob> job;
    SimTime first, every;
  };

  const Env* env_;
  Simulator* sim_;
  PlatformConfig config_;
  Network* network_;
  ConsentStore* consents_;
  Rng rng_;

  // The platform's records.
  HugeVector<Link> links_;  // per customer, read at random: on huge pages
  std::unordered_set<std::uint64_t> alerts_seen_;  // de-duplication by alert id

  // Working memory.
  DatumCache cache_;
  std::vector<SimTime> backoff_until_;  // per bank: honouring Retry-After
  std::vector<PendingAlert> alerts_;
  std::vector<std::uint32_t> free_alerts_;
  std::vector<Job> jobs_;
  std::uint64_t next_request_id_ = 1;
  std::uint64_t next_check_id_ = 1;
  std::uint64_t requests_sent_ = 0;
  std::uint64_t balance_checks_ = 0;  // activity, for the analytics job
  PlatformData data_;
  Sinks sinks_;
  SimTime end_of_run_ = kSimTimeMax;
  bool started_ = false;
  bool draining_ = false;
  HandlerId poll_, retry_fetch_, expiry_known_, sweep_, job_, alert_retry_, alert_show_,
      delete_consent_;
};

}  // namespace bpsim::mocks
