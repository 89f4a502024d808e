#include "mocks/messenger/platform.h"

#include <algorithm>
#include <cassert>

namespace bpsim::mocks {
namespace {

constexpr SimTime kFirstFetchDelay = 5 * kSecond;
constexpr SimTime kInitialTransactionWindow = 7 * kDay;
constexpr SimTime kRetryAfterFailure = kMinute;
constexpr SimTime kDeleteRetry = kMinute;
constexpr SimTime kSegmentJobOffset = 3 * kHour;
// The cache slots of the categories OnPoll and a balance check look for.
constexpr int kAccountsSlot = 0, kBalanceSlot = 1;
static_assert(kCachedCategories[kAccountsSlot] == Category::kAccounts &&
              kCachedCategories[kBalanceSlot] == Category::kBalance);

}  // namespace

Platform::Platform(const Env* env, Simulator* sim, const PlatformConfig& config,
                   std::uint32_t customers, Network* network, ConsentStore* consents)
    : env_(env), sim_(sim), config_(config), clock_(sim, config.clock), network_(network),
      consents_(consents),
      rng_(env->Stream("platform")), links_(customers), cache_(env, customers),
      backoff_until_(network->bank_count(), 0), data_(&links_, &cache_, &balance_checks_),
      sinks_(env) {
  poll_ = sim_->Register<&Platform::OnPoll>(this, "platform.poll");
  sim_->SetPrefetch<&Platform::PrefetchPoll, Platform>(poll_);
  retry_fetch_ = sim_->Register<&Platform::OnRetryFetch>(this, "platform.retry_fetch");
  expiry_known_ = sim_->Register<&Platform::OnExpiryKnown>(this, "platform.expiry");
  sweep_ = sim_->Register<&Platform::OnSweep>(this, "platform.cache_sweep");
  job_ = sim_->Register<&Platform::OnJob>(this, "platform.job");
  alert_retry_ = sim_->Register<&Platform::OnAlertRetry>(this, "platform.alert_retry");
  alert_show_ = sim_->Register<&Platform::OnAlertShow>(this, "platform.alert_show");
  delete_consent_ = sim_->Register<&Platform::OnDeleteConsent>(this, "platform.delete_consent");
  AddJob(std::make_unique<ProductAnalyticsJob>(), kHour, kHour);
  AddJob(std::make_unique<AudienceAndExportsJob>(
             env_->defects, static_cast<std::uint32_t>(config_.partners.size())),
         kSegmentJobOffset, config_.segment_job_every);
}

void Platform::Start(SimTime end_of_run) {
  end_of_run_ = end_of_run;
  started_ = true;
  sim_->After(config_.cache_sweep_every, sweep_, Stamp(0));
  for (std::size_t i = 0; i < jobs_.size(); ++i) sim_->After(jobs_[i].first, job_, Stamp(i));
}

void Platform::AddJob(std::unique_ptr<PlatformJob> job, SimTime first, SimTime every) {
  jobs_.push_back(Job{std::move(job), first, every});
  if (started_ && !down_) sim_->After(first, job_, Stamp(jobs_.size() - 1));
}

void Platform::OnJob(std::uint64_t arg) {
  if (!Current(arg)) return;
  const std::uint32_t index = arg & 0xffffffff;
  Job& j = jobs_[index];
  j.job->Run(data_, sinks_);
  if (!draining_) sim_->After(j.every, job_, Stamp(index));
}

// ---- Crash and restart --------------------------------------------------------------

void Platform::Crash() {
  if (down_) return;
  down_ = true;
  ++incarnation_;
  // platform.acks_revocation_before_persisting: the ends acknowledged since the last
  // hourly checkpoint were never written; the database still has the links active.
  const SimTime checkpoint = sim_->Now() / kHour * kHour;
  for (auto it = unpersisted_.rbegin(); it != unpersisted_.rend(); ++it) {
    Link& link = links_[it->customer];
    if (it->acked_at < checkpoint || link.consent != it->before.consent ||
        link.state != LinkState::kEnded) {
      continue;
    }
    const std::uint32_t generation = link.generation;
    link = it->before;
    link.generation = generation;
  }
  unpersisted_.clear();
  // Working memory: the cache, the back-offs; every timer and request in flight is
  // the old process's (links' generations move on, events carry the incarnation).
  cache_.PurgeAll(PurgeReason::kCrash);
  std::fill(backoff_until_.begin(), backoff_until_.end(), 0);
  every_bank_backs_off_until_ = 0;
  for (Link& link : links_) ++link.generation;
}

void Platform::Restart() {
  if (!down_) return;
  down_ = false;
  // Active links are polled again, spread over a minute so that the restart does
  // not send every poll at once, and their expiry is watched again.
  Rng spread = env_->Stream("platform.restart", incarnation_);
  for (CustomerId c = 0; c < links_.size(); ++c) {
    if (links_[c].state != LinkState::kActive) continue;
    WatchExpiry(c);
    if (!draining_) SchedulePoll(c, kFirstFetchDelay + SimTime(spread.Below(kMinute)));
  }
  sim_->After(config_.cache_sweep_every, sweep_, Stamp(0));
  if (!draining_) {
    for (std::size_t i = 0; i < jobs_.size(); ++i) sim_->After(jobs_[i].first, job_, Stamp(i));
  }
  for (std::uint32_t slot = 0; slot < alerts_.size(); ++slot) {
    if (!alerts_[slot].live) continue;
    alerts_[slot].attempt = 0;
    DeliverAlert(slot);
  }
  const std::vector<ConsentId> owed = std::move(deletes_owed_);
  deletes_owed_.clear();
  for (ConsentId consent : owed) SendDelete(consent);
}

// ---- Linking and consent notices -------------------------------------------------

ConsentId Platform::StartLinking(CustomerId c, BankIndex bank, ScopeSet scopes,
                                 PurposeSet purposes, SimTime validity) {
  Link& link = links_[c];
  link.consent = consents_->Create(c, bank, scopes, purposes, validity);
  link.bank = bank;
  link.scopes = scopes;
  link.purposes = purposes;
  link.expires_at = consents_->Get(link.consent).expires_at;
  link.state = LinkState::kPending;
  link.token_secret = 0;
  ++link.generation;
  return link.consent;
}

void Platform::OnAuthorised(CustomerId c, ConsentId consent) {
  Link& link = links_[c];
  if (link.consent != consent || link.state != LinkState::kPending) return;
  // The authorisation code is exchanged for the token the bank issued.
  link.token_secret = consents_->Get(consent).token_secret;
  link.state = LinkState::kActive;
  link.tx_window_start = std::max<SimTime>(0, sim_->Now() - kInitialTransactionWindow);
  ++link.generation;
  WatchExpiry(c);
  SchedulePoll(c, kFirstFetchDelay);
}

SimTime Platform::Cutoff(const Link& link) const {
  // platform.trusts_own_clock: the connector reads its clock as if it were exact.
  if (env_->defects.has(Defect::kTrustsOwnClock)) return link.expires_at;
  return link.expires_at - config_.expiry_margin;
}

void Platform::WatchExpiry(CustomerId c) {
  const Link& link = links_[c];
  std::uint64_t gen_arg = c | (std::uint64_t(link.generation) << 32);
  // The connector stops using a consent at its cutoff (Fetch checks it); the cache
  // sweeper notices expired links and purges their data on its next round.
  SimTime notice =
      std::max(clock_.TrueTimeOf(Cutoff(link)), sim_->Now()) + config_.cache_sweep_every;
  if (notice <= end_of_run_) sim_->At(notice, expiry_known_, gen_arg);
}

void Platform::OnRejected(CustomerId c, ConsentId consent) {
  Link& link = links_[c];
  if (link.consent != consent) return;
  link.state = LinkState::kNone;
  ++link.generation;
}

void Platform::ConsentEnded(CustomerId c, ConsentId consent, PurgeReason reason) {
  Link& link = links_[c];
  if (link.consent == consent && link.state == LinkState::kActive &&
      !env_->defects.has(Defect::kIgnoresRevocation)) {
    // Bug switched off: the poll job of this link is cancelled with the link.
    link.state = LinkState::kEnded;
    ++link.generation;
  }
  // platform.no_purge_on_revoke: the handler forgets the cache.
  if (!env_->defects.has(Defect::kNoPurgeOnRevoke)) cache_.PurgeConsent(c, consent, reason);
}

void Platform::OnExpiryKnown(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto gen = static_cast<std::uint32_t>(arg >> 32);
  const Link& link = links_[c];
  if (link.generation != gen || link.state != LinkState::kActive) return;
  ConsentEnded(c, link.consent, PurgeReason::kExpiry);
}

void Platform::OnCustomerRevoke(CustomerId c) {
  Link& link = links_[c];
  if (link.state != LinkState::kActive) return;
  ConsentId consent = link.consent;
  ConsentEnded(c, consent, PurgeReason::kRevocation);
  SendDelete(consent);
}

void Platform::SendDelete(ConsentId consent) {
  const Consent& k = consents_->Get(consent);
  TraceEntry e;
  e.type = EntryType::kConsentDeleteSent;
  e.from = kConnector;
  e.to = BankEndpoint(k.bank);
  e.subject = k.customer;
  e.bank = k.bank;
  e.consent = consent;
  e.ref = next_request_id_++;
  env_->Emit(e);
  // Owed until it took effect: a DELETE is a record, sent again after a crash.
  if (std::find(deletes_owed_.begin(), deletes_owed_.end(), consent) == deletes_owed_.end()) {
    deletes_owed_.push_back(consent);
  }
  // DELETE /account-access-consents/{id}: it takes effect at the bank after the
  // link's latency, or is retried while the bank cannot be reached.
  if (network_->BankUnavailable(k.bank) || network_->BankPartitioned(k.bank) ||
      network_->MessengerPartitioned()) {
    sim_->After(kDeleteRetry, delete_consent_, Stamp(consent) | (1ULL << 63));
    return;
  }
  const LatencyConfig& l = network_->bank(k.bank).config().api.latency;
  sim_->After(static_cast<SimTime>(rng_.LogNormal(double(l.median), double(l.p99))) / 2 + 1,
              delete_consent_, Stamp(consent));
}

void Platform::OnDeleteConsent(std::uint64_t arg) {
  const ConsentId consent = arg & 0xffffffff;
  if (arg >> 63) {
    if (Current(arg)) SendDelete(consent);  // a retry: send again
    return;
  }
  // The request reached the bank, whichever process sent it.
  if (network_->BankDown(consents_->Get(consent).bank)) {
    // Nobody there: the platform's request times out and it tries again.
    if (Current(arg)) {
      sim_->After(kDeleteRetry, delete_consent_, Stamp(consent) | (1ULL << 63));
    }
    return;
  }
  consents_->Revoke(consent, Via::kMessenger);
  if (!Current(arg)) return;  // the answer went to a process that is gone
  deletes_owed_.erase(std::remove(deletes_owed_.begin(), deletes_owed_.end(), consent),
                      deletes_owed_.end());
}

// ---- Fetching ---------------------------------------------------------------------

void Platform::SchedulePoll(CustomerId c, SimTime delay) {
  std::uint64_t arg = c | (std::uint64_t(links_[c].generation) << 32);
  sim_->After(delay, poll_, arg);
}

void Platform::OnPoll(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto gen = static_cast<std::uint32_t>(arg >> 32);
  Link& link = links_[c];
  if (link.generation != gen || link.state != LinkState::kActive || draining_) return;
  SimTime now = sim_->Now();
  if (now < backoff_until_[link.bank]) {
    // Honour Retry-After: come back when the bank said, spread over a second.
    SchedulePoll(c, backoff_until_[link.bank] - now + SimTime(rng_.Below(kSecond)));
    return;
  }
  // The next poll's time first (the platform's stream, which the fetches below do
  // not draw from, so the draws are the ones of drawing it last): the queue's slot
  // for it is scattered over hours of buckets, and asking for it now overlaps that
  // memory miss with the fetches.
  SimTime next_poll = -1;
  if (config_.poll_interval > 0) {
    // Jitter of +-10% keeps a population's polls from synchronising.
    SimTime jitter = SimTime(rng_.Below(std::uint64_t(config_.poll_interval / 5 + 1)));
    next_poll = now + config_.poll_interval - config_.poll_interval / 10 + jitter;
    sim_->PrefetchAtHead(next_poll);
  }
  // The account list changes rarely: fetched when not cached (first poll, or after
  // the TTL evicted it).
  if ((link.scopes & kScopeAccounts) && !cache_.Has(c, kAccountsSlot)) {
    Fetch(c, Category::kAccounts, RequestReason::kPoll);
  }
  if (next_poll >= 0) sim_->PrefetchAtChunk(next_poll);
  if (link.scopes & kScopeBalances) Fetch(c, Category::kBalance, RequestReason::kPoll);
  if ((link.scopes & kScopeTransactions) || env_->defects.has(Defect::kOverfetchScopes)) {
    Fetch(c, Category::kTransactions, RequestReason::kPoll);
  }
  if (next_poll >= 0) SchedulePoll(c, next_poll - now);
}

void Platform::OnRetryFetch(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto category = static_cast<Category>((arg >> 32) & 0xff);
  auto gen = static_cast<std::uint32_t>(arg >> 40);
  const Link& link = links_[c];
  if (link.generation != gen || link.state != LinkState::kActive) return;
  Fetch(c, category, RequestReason::kRetry);
}

void Platform::Fetch(CustomerId c, Category category, RequestReason reason, std::int64_t check,
                     bool in_group, std::uint32_t chat) {
  Link& link = links_[c];
  if (clock_.Now() >= Cutoff(link) && !env_->defects.has(Defect::kIgnoresRevocation)) {
    // Never ask under a consent past the expiry the platform itself requested, by its
    // own clock less the margin for that clock's error.
    if (check >= 0) Reply(c, std::uint64_t(check), ChatEndpoint(c), ReplyKind::kNotLinked);
    return;
  }
  const std::uint64_t request_id = next_request_id_++;
  ++requests_sent_;
  TraceEntry e;
  e.type = EntryType::kApiRequest;
  e.from = kConnector;
  e.to = BankEndpoint(link.bank);
  e.subject = c;
  e.bank = link.bank;
  e.consent = link.consent;
  e.categories = CategoryBit(category);
  e.ref = request_id;
  e.reason = static_cast<std::uint8_t>(reason);
  env_->Emit(e);
  network_->SendRequest([&](InFlightRequest& r) {
    r.request.token_consent = link.consent;
    r.request.token_secret = link.token_secret;
    r.request.subject = c;
    r.request.category = category;
    r.request.request_id = request_id;
    r.request.window_from = link.tx_window_start;
    r.request.window_to = sim_->Now();
    r.bank = link.bank;
    r.customer = c;
    r.reason = reason;
    r.link_generation = link.generation;
    r.incarnation = incarnation_;
    r.balance_check = check;
    r.check_in_group = in_group;
    r.check_chat = chat;
  });
}

void Platform::OnApiResponse(const InFlightRequest& r, const ApiResponse& response) {
  // An answer to a process that crashed since: nobody is waiting for it.
  if (down_ || r.incarnation != incarnation_) return;
  SimTime now = sim_->Now();
  TraceEntry e;
  e.type = EntryType::kApiResponse;
  e.from = BankEndpoint(r.bank);
  e.to = kConnector;
  e.subject = r.customer;
  e.bank = r.bank;
  e.consent = r.request.token_consent;
  e.categories = CategoryBit(r.request.category);
  e.ref = r.request.request_id;
  e.status = response.status;
  e.reason = static_cast<std::uint8_t>(response.reason);
  e.value = now - r.sent_at;
  e.aux = response.retry_after;
  env_->Emit(e);

  Link& link = links_[r.customer];
  const bool link_current = link.generation == r.link_generation && link.consent == r.request.token_consent &&
                            link.state == LinkState::kActive;
  if (response.status == 200) {
    if (!link_current) {
      // Answered after the link ended: the datum is dropped, never stored or shown.
      if (r.balance_check >= 0) {
        Reply(r.customer, std::uint64_t(r.balance_check), ChatEndpoint(r.customer),
              ReplyKind::kNotLinked);
      }
      return;
    }
    if (r.request.category == Category::kTransactions) link.tx_window_start = r.request.window_to;
    cache_.Put(response.datum);
    if (r.balance_check >= 0) {
      ShowBalance(response.datum, std::uint64_t(r.balance_check), r.check_in_group,
                  r.check_chat);
    }
    return;
  }
  if (response.status == 403 && response.reason == DenyReason::kConsentInactive) {
    ConsentEnded(r.customer, r.request.token_consent, PurgeReason::kRevocation);
  }
  if (response.status == 429 || response.status == 503) {
    backoff_until_[r.bank] = std::max(backoff_until_[r.bank], now + response.retry_after);
    every_bank_backs_off_until_ =
        *std::min_element(backoff_until_.begin(), backoff_until_.end());
  }
  if (r.balance_check >= 0) {
    Reply(r.customer, std::uint64_t(r.balance_check), ChatEndpoint(r.customer),
          ReplyKind::kUnavailable);
    return;
  }
  bool transient = response.status == 0 || response.status == 429 || response.status >= 500;
  if (transient && r.reason == RequestReason::kPoll && link_current && !draining_) {
    SimTime wait = std::max(kRetryAfterFailure, backoff_until_[r.bank] - now);
    std::uint64_t arg = r.customer | (std::uint64_t(r.request.category) << 32) |
                        (std::uint64_t(link.generation) << 40);
    sim_->After(wait + SimTime(rng_.Below(kSecond)), retry_fetch_, arg);
  }
}

// ---- Cache --------------------------------------------------------------------------

void Platform::OnSweep(std::uint64_t arg) {
  if (!Current(arg)) return;
  // platform.cache_never_expires: the sweep takes each due item off its queue and
  // skips it.
  cache_.Sweep(config_.cache_ttl, env_->defects.has(Defect::kCacheNeverExpires), clock_);
  sim_->After(config_.cache_sweep_every, sweep_, Stamp(0));
}

// ---- Balance questions --------------------------------------------------------------

void Platform::Reply(CustomerId c, std::uint64_t check, Endpoint chat, ReplyKind kind) {
  TraceEntry e;
  e.type = EntryType::kBalanceReply;
  e.from = kConnector;
  e.to = chat;
  e.subject = c;
  e.ref = check;
  e.reason = static_cast<std::uint8_t>(kind);
  env_->Emit(e);
}

void Platform::OnBalanceCheck(CustomerId c, bool in_group, std::uint32_t group) {
  if (network_->MessengerChatDown()) return;  // the customer cannot open the chat
  std::uint64_t check = next_check_id_++;
  ++balance_checks_;
  Endpoint asked_in = in_group ? GroupEndpoint(group) : ChatEndpoint(c);
  TraceEntry e;
  e.type = EntryType::kBalanceCheck;
  e.from = CustomerEndpoint(c);
  e.to = asked_in;
  e.subject = c;
  e.ref = check;
  env_->Emit(e);
  if (down_) {
    // The messenger is up but the platform's backend is not: "try again later".
    Reply(c, check, asked_in, ReplyKind::kUnavailable);
    return;
  }
  const Link& link = links_[c];
  if (link.state != LinkState::kActive || !(link.scopes & kScopeBalances)) {
    Reply(c, check, asked_in, ReplyKind::kNotLinked);
    return;
  }
  if (cache_.Has(c, kBalanceSlot) &&
      clock_.Now() - clock_.Local(cache_.put_at(c, kBalanceSlot)) < config_.cache_ttl &&
      cache_.consent(c, kBalanceSlot) == link.consent) {
    ShowBalance(cache_.Get(c, kBalanceSlot), check, in_group, group);
    return;
  }
  if (sim_->Now() < backoff_until_[link.bank]) {
    Reply(c, check, ChatEndpoint(c), ReplyKind::kUnavailable);
    return;
  }
  Fetch(c, Category::kBalance, RequestReason::kOnDemand, std::int64_t(check), in_group, group);
}

void Platform::PrefetchBalanceCheck(CustomerId c) const {
  PrefetchLink(c);
  cache_.PrefetchCustomer(c);
}

void Platform::ShowBalance(const BankDatum& balance, std::uint64_t check, bool in_group,
                           std::uint32_t group) {
  // Correct: the balance goes to its owner's private chat, and a question asked in a
  // group gets a pointer there. platform.group_chat_leak: the reply goes back where
  // the question was asked.
  // A balance shown is a datum the platform holds: a fresh answer, or a cache item
  // that is still there (a purged item reads back invalid and is never shown).
  assert(balance.valid());
  const CustomerId c = balance.subject();
  const bool leak = in_group && env_->defects.has(Defect::kGroupChatLeak);
  const Endpoint chat = leak ? GroupEndpoint(group) : ChatEndpoint(c);
  EmitFlows(*env_, kCache, chat, kPurposeDisplay, Payload().Copy(balance), check);
  Reply(c, check, chat, in_group && !leak ? ReplyKind::kRedirectedToPrivate : ReplyKind::kAnswered);
}

// ---- Fraud alert relay --------------------------------------------------------------

WebhookAnswer Platform::OnWebhook(const Webhook& w, std::uint32_t attempt, std::uint32_t) {
  if (down_) return WebhookAnswer::kRefused;  // connection refused: the bank retries
  TraceEntry e;
  e.type = EntryType::kWebhookReceived;
  e.from = BankEndpoint(w.bank);
  e.to = kConnector;
  e.subject = w.customer;
  e.bank = w.bank;
  e.consent = w.consent;
  e.ref = w.ref;
  e.reason = static_cast<std::uint8_t>(w.kind);
  e.value = attempt;
  env_->Emit(e);
  if (w.kind == WebhookKind::kConsentRevoked) {
    const Link before = links_[w.customer];
    ConsentEnded(w.customer, w.consent, PurgeReason::kRevocation);
    // platform.acks_revocation_before_persisting: the end is acknowledged while it is
    // only in memory, to be written at the next hourly checkpoint.
    if (env_->defects.has(Defect::kAcksRevocationBeforePersisting) &&
        before.state != links_[w.customer].state) {
      unpersisted_.push_back(Unpersisted{w.customer, before, sim_->Now()});
    }
    return WebhookAnswer::kAccepted;
  }
  if (!alerts_seen_.insert(w.ref).second) return WebhookAnswer::kAccepted;  // a duplicate: acknowledged, not shown
  std::uint32_t slot;
  if (!free_alerts_.empty()) {
    slot = free_alerts_.back();
    free_alerts_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(alerts_.size());
    alerts_.emplace_back();
  }
  alerts_[slot] = PendingAlert{w, 0, false, true, 0};
  DeliverAlert(slot);
  return WebhookAnswer::kAccepted;
}

void Platform::DeliverAlert(std::uint32_t slot) {
  PendingAlert& a = alerts_[slot];
  ++a.attempt;
  if (network_->ChatDeliveryFails(rng_)) {
    if (env_->defects.has(Defect::kDropsAlertsDuringOutage)) {
      a.live = false;  // the bug: an undeliverable alert is discarded
      free_alerts_.push_back(slot);
      return;
    }
    if (!a.queued) {
      a.queued = true;
      TraceEntry e;
      e.type = EntryType::kAlertQueued;
      e.from = kConnector;
      e.subject = a.webhook.customer;
      e.bank = a.webhook.bank;
      e.consent = a.webhook.consent;
      e.ref = a.webhook.ref;
      env_->Emit(e);
    }
    SimTime wait = config_.alert_retry.initial;
    for (std::uint32_t i = 1; i < a.attempt && wait < config_.alert_retry.max; ++i) wait *= 2;
    sim_->After(std::min(wait, config_.alert_retry.max), alert_retry_, Stamp(slot));
    return;
  }
  SimTime delay = network_->ChatDelay(rng_);
  if (delay > 0) {
    a.messenger_epoch = network_->messenger_epoch();
    sim_->After(delay, alert_show_, Stamp(slot));
    return;
  }
  ShowAlert(slot);
}

void Platform::OnAlertRetry(std::uint64_t arg) {
  if (Current(arg)) DeliverAlert(static_cast<std::uint32_t>(arg & 0xffffffff));
}

void Platform::OnAlertShow(std::uint64_t arg) {
  if (!Current(arg)) return;
  const auto slot = static_cast<std::uint32_t>(arg & 0xffffffff);
  // The messenger crashed while delivering it: the delivery is lost, try again.
  if (alerts_[slot].messenger_epoch != network_->messenger_epoch()) {
    DeliverAlert(slot);
    return;
  }
  ShowAlert(slot);
}

void Platform::ShowAlert(std::uint32_t slot) {
  const Webhook& w = alerts_[slot].webhook;
  EmitFlows(*env_, kConnector, ChatEndpoint(w.customer), kPurposeFraudAlerts,
            Payload().Copy(w.datum), w.ref);
  TraceEntry shown;
  shown.type = EntryType::kAlertDisplayed;
  shown.from = kConnector;
  shown.to = ChatEndpoint(w.customer);
  shown.subject = w.customer;
  shown.bank = w.bank;
  shown.consent = w.consent;
  shown.ref = w.ref;
  shown.value = w.detected_at;
  env_->Emit(shown);
  alerts_[slot].live = false;
  free_alerts_.push_back(slot);
}

}  // namespace bpsim::mocks
