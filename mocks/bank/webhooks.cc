#include "mocks/bank/webhooks.h"

#include <algorithm>

namespace bpsim::mocks {

WebhookOutbox::WebhookOutbox(const Env* env, Simulator* sim, Network* network,
                             WebhookReceiver* receiver)
    : env_(env), sim_(sim), network_(network), receiver_(receiver),
      rng_(env->Stream("bank.webhooks")) {
  attempt_ = sim_->Register<&WebhookOutbox::OnAttempt>(this, "bank.webhook_attempt");
  arrive_ = sim_->Register<&WebhookOutbox::OnArrive>(this, "bank.webhook_arrive");
}

std::uint32_t WebhookOutbox::Allocate(const Slot& s) {
  if (!free_.empty()) {
    std::uint32_t i = free_.back();
    free_.pop_back();
    slots_[i] = s;
    return i;
  }
  slots_.push_back(s);
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void WebhookOutbox::Send(const Webhook& webhook) {
  Slot s;
  s.webhook = webhook;
  OnAttempt(Allocate(s));
}

SimTime WebhookOutbox::Backoff(const Slot& s) const {
  const RetryConfig& r = network_->bank(s.webhook.bank).config().webhook_retry;
  SimTime wait = r.initial;
  for (std::uint32_t i = 1; i < s.attempt && wait < r.max; ++i) wait *= 2;
  return std::min(wait, r.max);
}

void WebhookOutbox::Publish(EntryType type, const Slot& s) {
  TraceEntry e;
  e.type = type;
  e.from = BankEndpoint(s.webhook.bank);
  e.to = kConnector;
  e.subject = s.webhook.customer;
  e.bank = s.webhook.bank;
  e.consent = s.webhook.consent;
  e.ref = s.webhook.ref;
  e.reason = static_cast<std::uint8_t>(s.webhook.kind);
  e.value = s.attempt;
  env_->Emit(e);
}

void WebhookOutbox::OnAttempt(std::uint64_t index) {
  auto i = static_cast<std::uint32_t>(index);
  BankIndex b = slots_[i].webhook.bank;
  if (network_->BankUnavailable(b)) {
    // The bank's own sender is down with the rest of it: try again later.
    Slot& s = slots_[i];
    sim_->After(Backoff(s), attempt_, i);
    return;
  }
  Slot& s = slots_[i];
  ++s.attempt;
  if (s.webhook.kind == WebhookKind::kFraudAlert) {
    // Every attempt carries the alert out of the bank: the consent is checked again
    // now, and the attempt is a release with its own audit record and datum.
    Bank& bank = network_->bank(b);
    if (!bank.MaySendAlert(s.webhook.consent)) {
      Publish(EntryType::kWebhookWithheld, s);
      Free(i);
      return;
    }
    s.webhook.datum = bank.Release(s.webhook.customer, s.webhook.consent, Category::kAlert,
                                   kPurposeFraudAlerts, s.webhook.ref);
  }
  Publish(EntryType::kWebhookSent, s);
  const BankConfig& config = network_->bank(b).config();
  const WebhookFaultConfig& faults = config.webhook_faults;
  bool faulty = network_->faults_enabled();
  bool dropped = network_->BankPartitioned(b) || network_->MessengerPartitioned() ||
                 (faulty && faults.drop > 0 && rng_.Bernoulli(faults.drop));
  if (dropped) {
    sim_->After(Backoff(s), attempt_, i);
    return;
  }
  SimTime delay = faulty ? static_cast<SimTime>(rng_.LogNormal(double(faults.delay.median),
                                                               double(faults.delay.p99)))
                         : faults.delay.median;
  if (faulty && faults.reorder > 0 && rng_.Bernoulli(faults.reorder)) {
    // Held back long enough for later webhooks to overtake it.
    delay += static_cast<SimTime>((5 + rng_.Below(20)) * double(faults.delay.median));
  }
  sim_->After(std::max<SimTime>(delay, 1), arrive_, i);
  if (faulty && faults.duplicate > 0 && rng_.Bernoulli(faults.duplicate)) {
    Slot copy = s;
    copy.duplicate = true;
    SimTime extra = static_cast<SimTime>(rng_.Exponential(double(faults.delay.median))) + 1;
    std::uint32_t j = Allocate(copy);
    sim_->After(std::max<SimTime>(delay, 1) + extra, arrive_, j);
  }
}

void WebhookOutbox::OnArrive(std::uint64_t index) {
  auto i = static_cast<std::uint32_t>(index);
  Slot s = slots_[i];
  WebhookAnswer answer = receiver_->OnWebhook(s.webhook, s.attempt, i);
  if (answer == WebhookAnswer::kPending) {
    slots_[i].awaiting = true;
    return;
  }
  if (s.duplicate || answer == WebhookAnswer::kAccepted) {
    Free(i);
    return;
  }
  sim_->After(Backoff(s), attempt_, i);
}

void WebhookOutbox::Settle(std::uint32_t ticket, bool accepted) {
  if (ticket >= slots_.size() || !slots_[ticket].awaiting) return;
  Slot& s = slots_[ticket];
  s.awaiting = false;
  if (accepted) Publish(EntryType::kWebhookReceived, s);
  if (s.duplicate || accepted) {
    Free(ticket);
    return;
  }
  sim_->After(Backoff(s), attempt_, ticket);
}

}  // namespace bpsim::mocks
