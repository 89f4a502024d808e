#include "mocks/world.h"

#include <algorithm>
#include <numeric>

#include "mocks/perturb.h"

namespace bpsim::mocks {

World::World(const WorldSpec& spec, Simulator* sim, WorldTraceBus* bus,
             const PlatformFactory& external, bool prefetch_days)
    : spec_(spec), sim_(sim) {
  // Schedule perturbation (mocks/perturb.h) is drawn before any party is built.
  if (spec_.perturb.knobs) perturbation_ = PerturbKnobs(&spec_.world, spec_.seed);
  if (spec_.perturb.crashes) {
    perturbation_ += (perturbation_.empty() ? "" : "; ") + PerturbCrashes(&spec_, spec_.seed);
  }
  if (spec_.perturb.same_instant) {
    sim_->ShuffleSameInstant(SameInstantKey(spec_.seed));
    perturbation_ = "same-instant order drawn from the seed" +
                    (perturbation_.empty() ? "" : "; " + perturbation_);
  }
  env_.clock = sim;
  env_.bus = bus;
  env_.seed = spec_.seed;
  env_.defects = spec_.defects;
  for (const BankConfig& b : spec_.world.banks) names_.banks.push_back(b.id);
  names_.partners = spec_.world.platform.partners;

  consents_ = std::make_unique<ConsentStore>(&env_);
  population_ = std::make_unique<Population>(&env_, spec_.world.customers, spec_.world.banks);
  if (prefetch_days) PrefetchCustomerDays();
  std::vector<Bank*> bank_ptrs;
  for (std::size_t i = 0; i < spec_.world.banks.size(); ++i) {
    banks_.push_back(std::make_unique<Bank>(&env_, static_cast<BankIndex>(i), spec_.world.banks[i],
                                            consents_.get(), population_.get()));
    bank_ptrs.push_back(banks_.back().get());
  }
  std::vector<const LocalClock*> bank_clocks;
  for (const Bank* b : bank_ptrs) bank_clocks.push_back(&b->clock());
  consents_->SetBankClocks(std::move(bank_clocks));
  network_ = std::make_unique<Network>(&env_, sim_, bank_ptrs);
  if (external) {
    external_ = external(*this);
    platform_ = external_.get();
  } else {
    simulated_ = std::make_unique<Platform>(&env_, sim_, spec_.world.platform,
                                            population_->size(), network_.get(), consents_.get());
    network_->set_client(simulated_.get());
    platform_ = simulated_.get();
  }
  outbox_ = std::make_unique<WebhookOutbox>(&env_, sim_, network_.get(), platform_);
  epoch_.assign(population_->size(), 0);
  active_outage_by_target_.assign(banks_.size() + 1, 0);
  crash_by_slot_.assign(banks_.size() + 2, 0);
  restart_at_.assign(banks_.size() + 2, 0);

  day_start_ = sim_->Register<&World::OnDayStart>(this, "customers.day_start");
  ask_balance_ = sim_->Register<&World::OnAskBalance>(this, "customers.ask_balance");
  sim_->SetPrefetch<&World::PrefetchAskBalance, World>(ask_balance_);
  compromise_ = sim_->Register<&World::OnCompromiseNow>(this, "customers.card_compromised");
  detection_ = sim_->Register<&World::OnDetection>(this, "bank.fraud_detection");
  link_ = sim_->Register<&World::OnLink>(this, "customers.link");
  authorise_ = sim_->Register<&World::OnAuthoriseDecision>(this, "customers.authorise");
  sim_->SetPrefetch<&World::PrefetchLinking, World>(link_);
  sim_->SetPrefetch<&World::PrefetchLinking, World>(authorise_);
  revoke_ = sim_->Register<&World::OnRevokeDecision>(this, "customers.revoke");
  bank_expiry_ = sim_->Register<&World::OnBankExpiry>(this, "bank.consent_expiry");
  timeline_ = sim_->Register<&World::OnTimeline>(this, "timeline.action");
  outage_end_ = sim_->Register<&World::OnOutageEnd>(this, "timeline.outage_end");
  restart_ = sim_->Register<&World::OnRestart>(this, "timeline.restart");
  deferred_revoke_ = sim_->Register<&World::OnDeferredRevoke>(this, "customers.revoke_at_bank");
}

World::~World() = default;

WorldStats World::stats() const {
  WorldStats s;
  s.customers = population_->size();
  s.card_transactions = population_->card_transactions();
  s.fraud_transactions = population_->fraud_transactions();
  s.alerts_raised = alerts_raised_;
  s.consents_created = consents_->size();
  for (const auto& b : banks_) s.audit_records += b->audit_records();
  return s;
}

PurposeSet World::PurposesFor(bool alerts) const {
  return PurposeSet(kPurposeDisplay | (alerts ? kPurposeFraudAlerts : 0));
}

void World::Start() {
  platform_->Start(spec_.duration + spec_.drain);
  sim_->At(0, day_start_, 0);
  for (CustomerId c = 0; c < population_->size(); ++c) {
    ConsentPlan plan = population_->PlanConsent(c, 0);
    if (plan.opt_in) sim_->At(plan.link_offset, link_, c);
  }
  for (std::size_t i = 0; i < spec_.timeline.size(); ++i) {
    sim_->At(spec_.timeline[i].at, timeline_, i);
  }
}

void World::PrefetchCustomerDays() {
  if (population_->size() < kPrefetchMinCustomers) return;
  // Customers act on day d when its start (d * kDay) comes no later than the
  // duration: the runner runs events at the duration itself before the drain.
  population_->PrefetchDays(static_cast<std::uint32_t>(spec_.duration / kDay));
}

void World::BeginDrain() {
  customers_act_ = false;
  TraceEntry e;
  e.type = EntryType::kDrainStart;
  env_.Emit(e);
  for (std::uint32_t t = 0; t < active_outage_by_target_.size(); ++t) {
    if (active_outage_by_target_[t] == 0) continue;
    std::size_t index = active_outage_by_target_[t] - 1;
    std::uint32_t target = t == banks_.size() ? Network::kMessengerTarget : t;
    network_->EndOutage(target, active_outage_by_target_[t]);
    PublishOutage(EntryType::kOutageEnd, target,
                  std::get<Outage>(spec_.timeline[index].action).mode);
    active_outage_by_target_[t] = 0;
  }
  network_->EndFaults();
  platform_->BeginDrain();
  // Every party that crashed is back for the drain, as every outage ends.
  for (std::uint32_t slot = 0; slot < crash_by_slot_.size(); ++slot) {
    if (crash_by_slot_[slot] != 0) RestartSlot(slot);
  }
}

// ---- Customers ------------------------------------------------------------------------

void World::OnDayStart(std::uint64_t day) {
  {
    // The day's balance checks, detections and compromises, scheduled at times
    // scattered over the day: pushed through the queue's pipeline.
    Simulator::Batch batch(*sim_);
    population_->StartDay(static_cast<std::uint32_t>(day), customers_act_, this);
  }
  SimTime next = SimTime(day + 1) * kDay;
  if (next < spec_.duration + spec_.drain) sim_->At(next, day_start_, day + 1);
}

void World::OnBalanceCheck(CustomerId c, SimTime at, bool in_group, std::uint32_t group) {
  std::uint64_t j = in_group ? group - c * spec_.world.customers.group_chats : 0;
  sim_->At(at, ask_balance_, c | (j << 32) | (std::uint64_t(in_group) << 40));
}

void World::OnAskBalance(std::uint64_t arg) {
  if (!customers_act_) return;
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto j = static_cast<std::uint32_t>((arg >> 32) & 0xff);
  bool in_group = (arg >> 40) & 1;
  platform_->OnBalanceCheck(c, in_group, population_->GroupOf(c, j));
}

void World::Link(CustomerId c, std::uint32_t epoch, ScopeSet scopes) {
  if (PlatformDown()) {
    // The messenger cannot reach its backend: the customer links when it is back.
    sim_->At(BackAt(banks_.size()), link_, c | (std::uint64_t(epoch) << 32));
    return;
  }
  ConsentPlan plan = population_->PlanConsent(c, epoch);
  BankIndex bank = population_->at(c).bank;
  platform_->StartLinking(c, bank, scopes, PurposesFor(plan.alerts),
                          spec_.world.customers.consent.expiry);
  sim_->After(plan.authorise_delay, authorise_, c | (std::uint64_t(epoch) << 32));
}

void World::OnLink(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto epoch = static_cast<std::uint32_t>(arg >> 32);
  if (!customers_act_ || epoch != epoch_[c] || platform_->HasLinkInProgress(c)) return;
  Link(c, epoch, spec_.world.customers.consent.scopes);
}

void World::OnAuthoriseDecision(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto epoch = static_cast<std::uint32_t>(arg >> 32);
  const mocks::Link& link = platform_->link(c);
  if (epoch != epoch_[c] || link.state != LinkState::kPending) return;
  if (link.consent == 0) {
    // An external platform has not created the consent at the bank yet (never
    // happens in simulation): the customer looks at the bank's page again shortly.
    sim_->After(kMinute, authorise_, arg);
    return;
  }
  ConsentId consent = link.consent;
  const BankIndex bank = consents_->Get(consent).bank;
  if (PlatformDown() || BankDown(bank)) {
    // The bank's page, or the redirect back to the platform, does not answer: the
    // customer comes back when both are up.
    SimTime back = 0;
    if (PlatformDown()) back = std::max(back, BackAt(banks_.size()));
    if (BankDown(bank)) back = std::max(back, BackAt(bank));
    sim_->At(back, authorise_, arg);
    return;
  }
  ConsentPlan plan = population_->PlanConsent(c, epoch);
  if (plan.rejects) {
    consents_->Reject(consent);
    platform_->OnRejected(c, consent);
    return;
  }
  std::uint64_t secret = MixKey(env_.seed ^ 0x746f6b656eULL, consent) | 1;
  if (!consents_->Authorise(consent, secret)) return;
  platform_->OnAuthorised(c, consent);
  // Timers past the end of the run would only weigh on the event queue.
  // The bank expires the consent when its own clock reads the expiry stamp.
  SimTime expiry = banks_[bank]->clock().TrueTimeOf(consents_->Get(consent).expires_at);
  if (expiry <= spec_.duration + spec_.drain) sim_->At(expiry, bank_expiry_, consent);
  if (plan.revoke_after != kSimTimeMax && sim_->Now() + plan.revoke_after < spec_.duration) {
    sim_->After(plan.revoke_after, revoke_, arg);
  }
}

void World::CustomerRevokes(CustomerId c, ConsentId consent, bool in_messenger) {
  // With the platform down the messenger cannot revoke: the customer turns to the
  // bank's app, and with the bank down too, comes back when it is up.
  const bool messenger =
      in_messenger && !PlatformDown() && platform_->link(c).state == LinkState::kActive;
  const Consent& k = consents_->Get(consent);
  if (!messenger && BankDown(k.bank)) {
    sim_->At(BackAt(k.bank), deferred_revoke_, consent);
    return;
  }
  TraceEntry e;
  e.type = EntryType::kRevokeRequested;
  e.from = CustomerEndpoint(c);
  e.to = messenger ? kConnector : BankEndpoint(k.bank);
  e.subject = c;
  e.bank = k.bank;
  e.consent = consent;
  e.reason = static_cast<std::uint8_t>(messenger ? Via::kMessenger : Via::kBank);
  env_.Emit(e);
  if (messenger) {
    platform_->OnCustomerRevoke(c);
  } else {
    RevokeAtBank(consent, Via::kBank);
  }
}

void World::RevokeAtBank(ConsentId consent, Via via) {
  if (!consents_->Revoke(consent, via)) return;
  const Consent& k = consents_->Get(consent);
  Webhook w;
  w.kind = WebhookKind::kConsentRevoked;
  w.bank = k.bank;
  w.customer = k.customer;
  w.consent = consent;
  w.ref = consent;
  outbox_->Send(w);
}

void World::OnRevokeDecision(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto epoch = static_cast<std::uint32_t>(arg >> 32);
  if (!customers_act_ || epoch != epoch_[c]) return;
  ConsentId consent = platform_->link(c).consent;
  if (!consents_->Exists(consent) || !consents_->Get(consent).UsableAt(sim_->Now())) return;
  ConsentPlan plan = population_->PlanConsent(c, epoch);
  CustomerRevokes(c, consent, plan.revoke_via_messenger);
  ++epoch_[c];
  SimTime again = sim_->Now() + plan.reconsent_after;
  if (plan.reconsent && again < spec_.duration) {
    sim_->At(again, link_, c | (std::uint64_t(epoch_[c]) << 32));
  }
}

void World::OnBankExpiry(std::uint64_t consent) { consents_->Expire(consent); }

void World::OnDeferredRevoke(std::uint64_t consent) {
  const Consent& k = consents_->Get(consent);
  if (k.UsableAt(sim_->Now())) CustomerRevokes(k.customer, consent, false);
}

// ---- Fraud ------------------------------------------------------------------------------

void World::OnCompromise(CustomerId c, SimTime at) { sim_->At(at, compromise_, c); }

void World::OnCompromiseNow(std::uint64_t arg) {
  if (!customers_act_) return;
  auto c = static_cast<CustomerId>(arg);
  TraceEntry e;
  e.type = EntryType::kCardCompromised;
  e.subject = c;
  e.bank = population_->at(c).bank;
  env_.Emit(e);
  population_->Compromise(c, sim_->Now(), this);
}

void World::OnFlaggedTransaction(CustomerId c, const CardTransaction& tx) {
  SimTime delay = spec_.world.banks[population_->at(c).bank].fraud.detect_delay;
  std::uint32_t slot;
  if (!free_flagged_.empty()) {
    slot = free_flagged_.back();
    free_flagged_.pop_back();
    flagged_[slot] = tx;
  } else {
    slot = static_cast<std::uint32_t>(flagged_.size());
    flagged_.push_back(tx);
  }
  sim_->At(tx.time + delay, detection_, c | (std::uint64_t(slot) << 32));
}

void World::OnDetection(std::uint64_t arg) {
  auto c = static_cast<CustomerId>(arg & 0xffffffff);
  auto slot = static_cast<std::uint32_t>(arg >> 32);
  const CardTransaction tx = flagged_[slot];
  free_flagged_.push_back(slot);
  bool fraudulent = tx.fraudulent;
  BankIndex bank = population_->at(c).bank;
  SimTime now = sim_->Now();
  // The bank alerts the platform only under a live consent that names fraud_alerts
  // (and checks again whenever it sends: WebhookOutbox).
  ConsentId consent = consents_->Latest(c);
  bool alertable = banks_[bank]->MaySendAlert(consent);
  std::uint64_t alert_id = next_alert_id_++;
  TraceEntry e;
  e.type = EntryType::kFraudDetected;
  e.from = BankEndpoint(bank);
  e.subject = c;
  e.bank = bank;
  e.consent = alertable ? consent : 0;
  e.ref = alert_id;
  e.reason = fraudulent ? 1 : 0;
  e.value = now - spec_.world.banks[bank].fraud.detect_delay;
  env_.Emit(e);
  if (!alertable) return;
  ++alerts_raised_;
  Webhook w;
  w.kind = WebhookKind::kFraudAlert;
  w.bank = bank;
  w.customer = c;
  w.consent = consent;
  w.ref = alert_id;
  w.detected_at = now;
  w.transaction = tx;
  outbox_->Send(w);
}

// ---- Timeline ---------------------------------------------------------------------------

std::uint32_t World::OutageTarget(const std::string& target) const {
  for (std::uint32_t b = 0; b < banks_.size(); ++b) {
    if (spec_.world.banks[b].id == target) return b;
  }
  return Network::kMessengerTarget;
}

void World::PublishOutage(EntryType type, std::uint32_t target, OutageMode mode) {
  TraceEntry e;
  e.type = type;
  e.to = target == Network::kMessengerTarget ? kMessenger : BankEndpoint(BankIndex(target));
  if (target != Network::kMessengerTarget) e.bank = BankIndex(target);
  e.reason = static_cast<std::uint8_t>(mode);
  env_.Emit(e);
}

void World::OnTimeline(std::uint64_t index) {
  if (customers_act_) ApplyTimeline(index);
}

void World::ApplyTimeline(std::size_t index) {
  const TimelineEntry& entry = spec_.timeline[index];
  auto bank_filter = [&](const std::optional<std::string>& id) -> int {
    if (!id) return -1;
    return static_cast<int>(OutageTarget(*id));
  };
  if (const auto* revoke = std::get_if<RevokeConsents>(&entry.action)) {
    int bank = bank_filter(revoke->bank);
    for (CustomerId c = 0; c < population_->size(); ++c) {
      if (bank >= 0 && population_->at(c).bank != bank) continue;
      ConsentId consent = platform_->link(c).consent;
      if (!consents_->Exists(consent) || !consents_->Get(consent).UsableAt(sim_->Now())) continue;
      Rng rng = env_.Stream("timeline.revoke", c, index);
      if (!rng.Bernoulli(revoke->fraction)) continue;
      CustomerRevokes(c, consent, revoke->via == Via::kMessenger);
      ++epoch_[c];
    }
  } else if (const auto* grant = std::get_if<GrantConsents>(&entry.action)) {
    int bank = bank_filter(grant->bank);
    ScopeSet scopes = grant->scopes.value_or(spec_.world.customers.consent.scopes);
    for (CustomerId c = 0; c < population_->size(); ++c) {
      if (bank >= 0 && population_->at(c).bank != bank) continue;
      if (platform_->HasLinkInProgress(c)) continue;
      Rng rng = env_.Stream("timeline.grant", c, index);
      if (!rng.Bernoulli(grant->fraction)) continue;
      ++epoch_[c];
      Link(c, epoch_[c], scopes);
    }
  } else if (const auto* outage = std::get_if<Outage>(&entry.action)) {
    std::uint32_t target = OutageTarget(outage->target);
    std::uint32_t slot = target == Network::kMessengerTarget ? banks_.size() : target;
    network_->StartOutage(target, *outage, std::uint32_t(index + 1));
    active_outage_by_target_[slot] = std::uint32_t(index + 1);
    PublishOutage(EntryType::kOutageStart, target, outage->mode);
    sim_->After(outage->duration, outage_end_, index);
  } else if (const auto* wave = std::get_if<FraudWave>(&entry.action)) {
    auto bank = static_cast<BankIndex>(OutageTarget(wave->bank));
    std::vector<CustomerId> candidates;
    for (CustomerId c = 0; c < population_->size(); ++c) {
      if (population_->at(c).bank == bank) candidates.push_back(c);
    }
    Rng rng = env_.Stream("timeline.fraud_wave", index);
    std::size_t n = std::min<std::size_t>(wave->cards, candidates.size());
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t j = i + rng.Below(candidates.size() - i);
      std::swap(candidates[i], candidates[j]);
    }
    std::sort(candidates.begin(), candidates.begin() + n);
    for (std::size_t i = 0; i < n; ++i) OnCompromiseNow(candidates[i]);
  } else if (std::holds_alternative<Crash>(entry.action)) {
    ApplyCrash(index);
  }
}

// ---- Crashes and restarts -------------------------------------------------------------

std::uint32_t World::CrashSlot(const std::string& target) const {
  for (std::uint32_t b = 0; b < banks_.size(); ++b) {
    if (spec_.world.banks[b].id == target) return b;
  }
  return target == "platform" ? std::uint32_t(banks_.size()) : std::uint32_t(banks_.size() + 1);
}

void World::PublishCrash(EntryType type, std::uint32_t slot, SimTime value) {
  TraceEntry e;
  e.type = type;
  if (slot < banks_.size()) {
    e.to = BankEndpoint(BankIndex(slot));
    e.bank = BankIndex(slot);
  } else {
    e.to = slot == banks_.size() ? kConnector : kMessenger;
  }
  e.value = value;
  env_.Emit(e);
}

void World::ApplyCrash(std::size_t index) {
  const auto& crash = std::get<Crash>(spec_.timeline[index].action);
  const std::uint32_t slot = CrashSlot(crash.target);
  if (slot == banks_.size() && simulated_ == nullptr) return;  // docs/world.md: simulated only
  const bool already_down = crash_by_slot_[slot] != 0;
  crash_by_slot_[slot] = std::uint32_t(index + 1);
  restart_at_[slot] = sim_->Now() + crash.down;
  PublishCrash(EntryType::kCrash, slot, restart_at_[slot]);
  sim_->After(crash.down, restart_, index);
  if (!already_down) SetDown(slot, true);  // a second crash while down moves the restart
}

void World::SetDown(std::uint32_t slot, bool down) {
  if (slot < banks_.size()) {
    const auto bank = BankIndex(slot);
    if (down) {
      network_->CrashBank(bank);
      outbox_->CrashBank(bank);
    } else {
      network_->RestartBank(bank);
      outbox_->RestartBank(bank);
    }
  } else if (slot == banks_.size()) {
    down ? simulated_->Crash() : simulated_->Restart();
  } else {
    down ? network_->CrashMessenger() : network_->RestartMessenger();
  }
}

void World::OnRestart(std::uint64_t index) {
  const auto& crash = std::get<Crash>(spec_.timeline[index].action);
  const std::uint32_t slot = CrashSlot(crash.target);
  if (crash_by_slot_[slot] != index + 1) return;  // moved by a later crash, or the drain
  RestartSlot(slot);
}

void World::RestartSlot(std::uint32_t slot) {
  const std::size_t index = crash_by_slot_[slot] - 1;
  crash_by_slot_[slot] = 0;
  restart_at_[slot] = 0;
  PublishCrash(EntryType::kRestart, slot, spec_.timeline[index].at);
  SetDown(slot, false);
}

void World::OnOutageEnd(std::uint64_t index) {
  const auto& outage = std::get<Outage>(spec_.timeline[index].action);
  std::uint32_t target = OutageTarget(outage.target);
  std::uint32_t slot = target == Network::kMessengerTarget ? banks_.size() : target;
  if (active_outage_by_target_[slot] != index + 1) return;  // replaced, or ended by the drain
  network_->EndOutage(target, std::uint32_t(index + 1));
  active_outage_by_target_[slot] = 0;
  PublishOutage(EntryType::kOutageEnd, target, outage.mode);
}

}  // namespace bpsim::mocks
