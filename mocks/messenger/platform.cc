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

int SlotOf(Category c) {
  switch (c) {
    case Category::kAccounts: return 0;
    case Category::kBalance: return 1;
    case Category::kTransactions: return 2;
    default: return -1;
  }
}

std::uint64_t ItemKey(CustomerId c, int slot) { return (std::uint64_t(c) << 3) | unsigned(slot); }

}  // namespace

Platform::Platform(const Env* env, Simulator* sim, const PlatformConfig& config,
                   std::uint32_t customers, Network* network, ConsentStore* consents)
    : env_(env), sim_(sim), config_(config), network_(network), consents_(consents),
      rng_(env->Stream("platform")), links_(customers),
      cache_(std::size_t(customers) * kCacheSlots), backoff_until_(network->bank_count(), 0) {
  poll_ = sim_->Register<&Platform::OnPoll>(this, "platform.poll");
  retry_fetch_ = sim_->Register<&Platform::OnRetryFetch>(this, "platform.retry_fetch");
  expiry_known_ = sim_->Register<&Platform::OnExpiryKnown>(this, "platform.expiry");
  sweep_ = sim_->Register<&Platform::OnSweep>(this, "platform.cache_sweep");
  analytics_ = sim_->Register<&Platform::OnAnalytics>(this, "platform.analytics");
  segments_ = sim_->Register<&Platform::OnSegmentJob>(this, "platform.segment_job");
  alert_retry_ = sim_->Register<&Platform::OnAlertRetry>(this, "platform.alert_retry");
  alert_show_ = sim_->Register<&Platform::OnAlertShow>(this, "platform.alert_show");
  delete_consent_ = sim_->Register<&Platform::OnDeleteConsent>(this, "platform.delete_consent");
}

void Platform::Start(SimTime end_of_run) {
  end_of_run_ = end_of_run;
  sim_->After(config_.cache_sweep_every, sweep_);
  sim_->After(kHour, analytics_);
  sim_->After(kSegmentJobOffset, segments_);
}

TraceEntry Platform::Labelled(CustomerId c, ConsentId consent, CategorySet categories) const {
  TraceEntry e;
  e.type = EntryType::kFlow;
  e.labelled = true;
  e.subject = c;
  e.consent = consent;
  e.categories = categories;
  if (consents_->Exists(consent)) {
    e.bank = consents_->Get(consent).bank;
    e.consent_purposes = consents_->Get(consent).purposes;
  }
  return e;
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
  std::uint64_t gen_arg = c | (std::uint64_t(link.generation) << 32);
  // The connector stops using a consent at its expiry (Fetch checks it); the cache
  // sweeper notices expired links and purges their data on its next round.
  SimTime notice = std::max(link.expires_at, sim_->Now()) + config_.cache_sweep_every;
  if (notice <= end_of_run_) sim_->At(notice, expiry_known_, gen_arg);
  SchedulePoll(c, kFirstFetchDelay);
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
  if (!env_->defects.has(Defect::kNoPurgeOnRevoke)) PurgeConsent(c, consent, reason);
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
  TraceEntry e;
  e.type = EntryType::kRevokeRequested;
  e.from = CustomerEndpoint(c);
  e.to = kConnector;
  e.subject = c;
  e.bank = link.bank;
  e.consent = consent;
  env_->Emit(e);
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
  // DELETE /account-access-consents/{id}: it takes effect at the bank after the
  // link's latency, or is retried while the bank cannot be reached.
  if (network_->BankUnavailable(k.bank) || network_->BankPartitioned(k.bank) ||
      network_->MessengerPartitioned()) {
    sim_->After(kDeleteRetry, delete_consent_, consent | (1ULL << 63));
    return;
  }
  const LatencyConfig& l = network_->bank(k.bank).config().api.latency;
  sim_->After(static_cast<SimTime>(rng_.LogNormal(double(l.median), double(l.p99))) / 2 + 1,
              delete_consent_, consent);
}

void Platform::OnDeleteConsent(std::uint64_t arg) {
  ConsentId consent = arg & ~(1ULL << 63);
  if (arg >> 63) {
    SendDelete(consent);  // a retry: send again
    return;
  }
  consents_->Revoke(consent, Via::kMessenger);
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
  // The account list changes rarely: fetched when not cached (first poll, or after
  // the TTL evicted it).
  if ((link.scopes & kScopeAccounts) && cache(c, SlotOf(Category::kAccounts)).put_at < 0) {
    Fetch(c, Category::kAccounts, RequestReason::kPoll);
  }
  if (link.scopes & kScopeBalances) Fetch(c, Category::kBalance, RequestReason::kPoll);
  if ((link.scopes & kScopeTransactions) || env_->defects.has(Defect::kOverfetchScopes)) {
    Fetch(c, Category::kTransactions, RequestReason::kPoll);
  }
  if (config_.poll_interval > 0) {
    // Jitter of +-10% keeps a population's polls from synchronising.
    SimTime jitter = SimTime(rng_.Below(std::uint64_t(config_.poll_interval / 5 + 1)));
    SchedulePoll(c, config_.poll_interval - config_.poll_interval / 10 + jitter);
  }
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
  if (sim_->Now() >= link.expires_at && !env_->defects.has(Defect::kIgnoresRevocation)) {
    // Never ask under a consent past the expiry the platform itself requested.
    if (check >= 0) Reply(c, std::uint64_t(check), ChatEndpoint(c), ReplyKind::kNotLinked);
    return;
  }
  InFlightRequest r;
  r.request.token_consent = link.consent;
  r.request.token_secret = link.token_secret;
  r.request.subject = c;
  r.request.category = category;
  r.request.request_id = next_request_id_++;
  r.request.window_from = link.tx_window_start;
  r.request.window_to = sim_->Now();
  r.bank = link.bank;
  r.customer = c;
  r.reason = reason;
  r.link_generation = link.generation;
  r.balance_check = check;
  r.check_in_group = in_group;
  r.check_chat = chat;
  ++requests_sent_;
  TraceEntry e;
  e.type = EntryType::kApiRequest;
  e.from = kConnector;
  e.to = BankEndpoint(link.bank);
  e.subject = c;
  e.bank = link.bank;
  e.consent = link.consent;
  e.categories = CategoryBit(category);
  e.ref = r.request.request_id;
  e.reason = static_cast<std::uint8_t>(reason);
  env_->Emit(e);
  network_->SendRequest(std::move(r));
}

void Platform::OnApiResponse(const InFlightRequest& r, const ApiResponse& response) {
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
    Put(r.customer, r.request.category, r.request.token_consent);
    if (r.balance_check >= 0) {
      ShowBalance(r.customer, r.request.token_consent, std::uint64_t(r.balance_check),
                  r.check_in_group, r.check_chat, kCache);
    }
    return;
  }
  if (response.status == 403 && response.reason == DenyReason::kConsentInactive) {
    ConsentEnded(r.customer, r.request.token_consent, PurgeReason::kRevocation);
  }
  if (response.status == 429 || response.status == 503) {
    backoff_until_[r.bank] = std::max(backoff_until_[r.bank], now + response.retry_after);
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

void Platform::Put(CustomerId c, Category category, ConsentId consent) {
  int slot = SlotOf(category);
  if (slot < 0) return;
  CacheSlot& s = cache_[c * kCacheSlots + slot];
  if (s.put_at < 0) ++cache_items_;
  s.put_at = sim_->Now();
  s.consent = consent;
  TraceEntry flow = Labelled(c, consent, CategoryBit(category));
  flow.from = kConnector;
  flow.to = kCache;
  flow.purpose = kPurposeDisplay;
  env_->Emit(flow);
  TraceEntry put = flow;
  put.type = EntryType::kCachePut;
  put.labelled = false;
  put.consent_purposes = 0;
  put.purpose = 0;
  put.from = kCache;
  put.to = Endpoint{};
  put.ref = ItemKey(c, slot);
  put.value = s.put_at;
  env_->Emit(put);
  expiries_.push_back(Expiry{s.put_at, c, static_cast<std::uint8_t>(slot)});
}

void Platform::Purge(CustomerId c, int slot, PurgeReason reason) {
  CacheSlot& s = cache_[c * kCacheSlots + slot];
  if (s.put_at < 0) return;
  TraceEntry e;
  e.type = EntryType::kCachePurge;
  e.from = kCache;
  e.subject = c;
  e.consent = s.consent;
  if (consents_->Exists(s.consent)) e.bank = consents_->Get(s.consent).bank;
  e.categories = CategoryBit(kCachedCategories[slot]);
  e.ref = ItemKey(c, slot);
  e.value = s.put_at;
  e.reason = static_cast<std::uint8_t>(reason);
  env_->Emit(e);
  s.put_at = -1;
  s.consent = 0;
  --cache_items_;
}

void Platform::PurgeConsent(CustomerId c, ConsentId consent, PurgeReason reason) {
  for (int slot = 0; slot < kCacheSlots; ++slot) {
    if (cache_[c * kCacheSlots + slot].consent == consent) Purge(c, slot, reason);
  }
}

void Platform::OnSweep(std::uint64_t) {
  SimTime now = sim_->Now();
  // Each expiry reads a random customer's cache slot and then its consent: prefetch
  // the slots of the expiries kAhead * 2 places on, and the consents of those kAhead
  // places on (their slots are in cache by then), so the reads overlap.
  constexpr std::size_t kAhead = 8;
  while (!expiries_.empty() && expiries_.front().put_at + config_.cache_ttl <= now) {
    if (expiries_.size() > 2 * kAhead) {
      const Expiry& far = expiries_[2 * kAhead];
      __builtin_prefetch(&cache(far.customer, far.slot));
      const Expiry& near = expiries_[kAhead];
      consents_->Prefetch(cache(near.customer, near.slot).consent);
    }
    Expiry x = expiries_.front();
    expiries_.pop_front();
    if (env_->defects.has(Defect::kCacheNeverExpires)) continue;  // the bug: no TTL eviction
    if (cache(x.customer, x.slot).put_at == x.put_at) Purge(x.customer, x.slot, PurgeReason::kTtl);
  }
  sim_->After(config_.cache_sweep_every, sweep_);
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
  ++checks_this_hour_;
  Endpoint asked_in = in_group ? GroupEndpoint(group) : ChatEndpoint(c);
  TraceEntry e;
  e.type = EntryType::kBalanceCheck;
  e.from = CustomerEndpoint(c);
  e.to = asked_in;
  e.subject = c;
  e.ref = check;
  env_->Emit(e);
  const Link& link = links_[c];
  if (link.state != LinkState::kActive || !(link.scopes & kScopeBalances)) {
    Reply(c, check, asked_in, ReplyKind::kNotLinked);
    return;
  }
  const CacheSlot& cached = cache(c, SlotOf(Category::kBalance));
  if (cached.put_at >= 0 && sim_->Now() - cached.put_at < config_.cache_ttl &&
      cached.consent == link.consent) {
    ShowBalance(c, link.consent, check, in_group, group, kCache);
    return;
  }
  if (sim_->Now() < backoff_until_[link.bank]) {
    Reply(c, check, ChatEndpoint(c), ReplyKind::kUnavailable);
    return;
  }
  Fetch(c, Category::kBalance, RequestReason::kOnDemand, std::int64_t(check), in_group, group);
}

void Platform::ShowBalance(CustomerId c, ConsentId consent, std::uint64_t check, bool in_group,
                           std::uint32_t group, Endpoint from) {
  // Correct: a balance is only ever shown in its owner's private chat, even when the
  // question came from a group. The defect answers where it was asked.
  // Shown from the cache: the item is there, under this consent - a purged item is
  // never read.
  assert(from != kCache || (cache(c, SlotOf(Category::kBalance)).put_at >= 0 &&
                            cache(c, SlotOf(Category::kBalance)).consent == consent));
  bool leak = in_group && env_->defects.has(Defect::kGroupChatLeak);
  Endpoint chat = leak ? GroupEndpoint(group) : ChatEndpoint(c);
  TraceEntry flow = Labelled(c, consent, CategoryBit(Category::kBalance));
  flow.from = from;
  flow.to = chat;
  flow.purpose = kPurposeDisplay;
  flow.ref = check;
  env_->Emit(flow);
  Reply(c, check, chat, in_group && !leak ? ReplyKind::kRedirectedToPrivate : ReplyKind::kAnswered);
}

// ---- Fraud alert relay --------------------------------------------------------------

WebhookAnswer Platform::OnWebhook(const Webhook& w, std::uint32_t attempt, std::uint32_t) {
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
    ConsentEnded(w.customer, w.consent, PurgeReason::kRevocation);
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
  alerts_[slot] = PendingAlert{w, 0, false};
  DeliverAlert(slot);
  return WebhookAnswer::kAccepted;
}

void Platform::DeliverAlert(std::uint32_t slot) {
  PendingAlert& a = alerts_[slot];
  ++a.attempt;
  if (network_->ChatDeliveryFails(rng_)) {
    if (env_->defects.has(Defect::kDropsAlertsDuringOutage)) {
      free_alerts_.push_back(slot);  // the bug: an undeliverable alert is discarded
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
    sim_->After(std::min(wait, config_.alert_retry.max), alert_retry_, slot);
    return;
  }
  SimTime delay = network_->ChatDelay(rng_);
  if (delay > 0) {
    sim_->After(delay, alert_show_, slot);
    return;
  }
  ShowAlert(slot);
}

void Platform::OnAlertRetry(std::uint64_t slot) { DeliverAlert(static_cast<std::uint32_t>(slot)); }
void Platform::OnAlertShow(std::uint64_t slot) { ShowAlert(static_cast<std::uint32_t>(slot)); }

void Platform::ShowAlert(std::uint32_t slot) {
  const Webhook& w = alerts_[slot].webhook;
  TraceEntry flow = Labelled(w.customer, w.consent, CategoryBit(Category::kAlert));
  flow.from = kConnector;
  flow.to = ChatEndpoint(w.customer);
  flow.purpose = kPurposeFraudAlerts;
  flow.ref = w.ref;
  env_->Emit(flow);
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
  free_alerts_.push_back(slot);
}

// ---- The sinks that must stay clean -------------------------------------------------

void Platform::OnAnalytics(std::uint64_t) {
  // Hourly product analytics: how many balance questions were asked. No bank data.
  TraceEntry e;
  e.type = EntryType::kFlow;
  e.from = kConnector;
  e.to = kAnalytics;
  e.purpose = kPurposeAnalytics;
  e.value = static_cast<std::int64_t>(checks_this_hour_);
  env_->Emit(e);
  checks_this_hour_ = 0;
  if (!draining_) sim_->After(kHour, analytics_);
}

void Platform::OnSegmentJob(std::uint64_t) {
  // Ads audiences are built from messenger activity only; a partner receives
  // aggregate engagement figures. Neither touches bank data unless a defect does.
  TraceEntry ads;
  ads.type = EntryType::kFlow;
  ads.from = kConnector;
  ads.to = kAds;
  ads.purpose = kPurposeAds;
  env_->Emit(ads);
  for (std::uint32_t p = 0; p < config_.partners.size(); ++p) {
    TraceEntry export_flow = ads;
    export_flow.to = PartnerEndpoint(p);
    export_flow.purpose = kPurposeSharing;
    env_->Emit(export_flow);
  }
  const bool ads_bug = env_->defects.has(Defect::kAdsUsesBankData);
  const bool partner_bug = env_->defects.has(Defect::kSharesWithPartner) && !config_.partners.empty();
  if (ads_bug || partner_bug) {
    for (CustomerId c = 0; c < links_.size(); ++c) {
      const CacheSlot& tx = cache(c, SlotOf(Category::kTransactions));
      if (ads_bug && tx.put_at >= 0) {
        // A spending segment computed from the customer's cached transactions.
        TraceEntry segment = Labelled(c, tx.consent, CategoryBit(Category::kTransactions));
        segment.from = kCache;
        segment.to = kAds;
        segment.purpose = kPurposeAds;
        segment.derived = true;
        env_->Emit(segment);
      }
      const CacheSlot& balance = cache(c, SlotOf(Category::kBalance));
      if (partner_bug && balance.put_at >= 0) {
        TraceEntry exported = Labelled(c, balance.consent, CategoryBit(Category::kBalance));
        exported.from = kCache;
        exported.to = PartnerEndpoint(0);
        exported.purpose = kPurposeSharing;
        env_->Emit(exported);
      }
    }
  }
  if (!draining_) sim_->After(config_.segment_job_every, segments_);
}

}  // namespace bpsim::mocks
