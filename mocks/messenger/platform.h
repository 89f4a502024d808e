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
// State (docs/world.md, "Crashes and restarts"): the platform's records - the link
// table with its tokens, the alert ids seen, the alerts accepted and not yet shown,
// the DELETEs owed to banks - are what a real platform keeps in its database and
// survive a crash; the cache, the Retry-After back-offs, requests in flight, every
// timer (polls, retries, sweeps, jobs) and the relay's retry schedule are its
// working memory and are gone.

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
#include "mocks/network/network.h"
#include "sim/huge_pages.h"
#include "sim/prefetch.h"
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
  // What OnBalanceCheck reads of `c` at random among millions: the link and the cached
  // balance.
  void PrefetchBalanceCheck(CustomerId c) const override;
  void PrefetchLinkOf(CustomerId c) const override { PrefetchLink(c); }

  // ApiClient / WebhookReceiver.
  void OnApiResponse(const InFlightRequest& request, const ApiResponse& response) override;
  WebhookAnswer OnWebhook(const Webhook& webhook, std::uint32_t attempt,
                          std::uint32_t ticket) override;

  const Link& link(CustomerId c) const override { return links_[c]; }
  bool Down() const override { return down_; }

  // The process crashes: its working memory is lost (the cache's items are purged
  // with reason crash), its timers and requests in flight die with it, webhooks are
  // refused until Restart. Restart reads the records back and resumes: every active
  // link is polled again and its expiry watched, pending alerts are delivered anew,
  // DELETEs owed are sent again, the sweeper and the jobs start over.
  void Crash();
  void Restart();
  const DatumCache& cache() const { return cache_; }
  std::uint64_t requests_sent() const { return requests_sent_; }

 private:
  // Events.
  void OnPoll(std::uint64_t arg);          // customer | generation << 32
  void OnRetryFetch(std::uint64_t arg);    // customer | category << 32 | generation << 40
  void OnExpiryKnown(std::uint64_t arg);   // customer | generation << 32
  void OnSweep(std::uint64_t);
  void OnJob(std::uint64_t index);
  // What OnPoll reads (Simulator::SetPrefetch; at, arg: the poll event's): the link,
  // then whether the account list is cached (the customer's cache slots, another line
  // at random: unasked, that read was 86 % of OnPoll's samples in the million-customer
  // month). All of the customer's slots: the answer's balance is put in another,
  // a dozen events later, and that store missed too (DatumCache::Put). A poll due
  // while every bank is backing off (Retry-After) reads only the link and comes back
  // later: at ten million customers the default rate limit makes that most polls,
  // and fetching their slots kept the memory system busy for nothing (issue 16).
  void PrefetchPoll(SimTime at, std::uint64_t arg) const {
    const auto c = static_cast<CustomerId>(arg & 0xffffffff);
    PrefetchLink(c);
    if (at < every_bank_backs_off_until_) return;
    cache_.PrefetchCustomer(c);
  }
  // The customer's link (arg: customer in the low 32 bits), one among millions at
  // random, which OnPoll and a balance check read first.
  void PrefetchLink(std::uint64_t arg) const {
    const Link* link = &links_[static_cast<CustomerId>(arg & 0xffffffff)];
    bpsim::PrefetchSpan(link, sizeof(Link));
  }
  void OnAlertRetry(std::uint64_t arg);   // slot | incarnation << 32
  void OnAlertShow(std::uint64_t arg);    // slot | incarnation << 32
  void OnDeleteConsent(std::uint64_t arg);  // consent | incarnation << 32 | retry << 63
  // Whether an event stamped with `arg`'s incarnation (bits 32..62) is of this process.
  bool Current(std::uint64_t arg) const {
    return std::uint32_t((arg >> 32) & 0x7fffffff) == incarnation_;
  }
  std::uint64_t Stamp(std::uint64_t low) const { return low | (std::uint64_t(incarnation_) << 32); }
  void WatchExpiry(CustomerId c);
  // The reading of the platform's clock at which it stops using the link's consent:
  // its expiry less expiry_margin (platform.trusts_own_clock: the expiry itself).
  SimTime Cutoff(const Link& link) const;

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
    bool live = false;                  // accepted and not yet shown (a record)
    std::uint32_t messenger_epoch = 0;  // of the chat delivery in progress
  };
  // platform.acks_revocation_before_persisting: a link ended by a revocation webhook,
  // acknowledged while the change is only in memory; it reaches the database at
  // the next hourly checkpoint.
  struct Unpersisted {
    CustomerId customer;
    Link before;
    SimTime acked_at;
  };

  struct Job {
    std::unique_ptr<PlatformJob> job;
    SimTime first, every;
  };

  const Env* env_;
  Simulator* sim_;
  PlatformConfig config_;
  LocalClock clock_;  // the platform's own (docs/world.md, "Clocks")
  Network* network_;
  ConsentStore* consents_;
  Rng rng_;

  // The platform's records.
  HugeVector<Link> links_;  // per customer, read at random: on huge pages
  std::unordered_set<std::uint64_t> alerts_seen_;  // de-duplication by alert id
  std::vector<PendingAlert> alerts_;               // the relay's accepted alerts
  std::vector<ConsentId> deletes_owed_;            // DELETEs sent, not yet answered

  // Working memory.
  DatumCache cache_;
  std::vector<SimTime> backoff_until_;  // per bank: honouring Retry-After
  SimTime every_bank_backs_off_until_ = 0;  // the least of backoff_until_ (PrefetchPoll)
  std::vector<std::uint32_t> free_alerts_;
  std::vector<Unpersisted> unpersisted_;
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
  bool down_ = false;
  std::uint32_t incarnation_ = 0;  // the process: bumps at every crash
  HandlerId poll_, retry_fetch_, expiry_known_, sweep_, job_, alert_retry_, alert_show_,
      delete_consent_;
};

}  // namespace bpsim::mocks
