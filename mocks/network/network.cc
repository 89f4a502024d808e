#include "mocks/network/network.h"

#include <algorithm>

namespace bpsim::mocks {

Network::Network(const Env* env, Simulator* sim, std::vector<Bank*> banks)
    : sim_(sim), banks_(std::move(banks)), rng_(env->Stream("network")),
      bank_outages_(banks_.size()), bank_down_(banks_.size(), false),
      bank_epoch_(banks_.size(), 0), arriving_(banks_.size(), 0) {
  for (const Bank* b : banks_) {
    const LatencyConfig& l = b->config().api.latency;
    latency_.push_back(LogNormalParams::Of(double(l.median), double(l.p99)));
  }
  arrive_at_bank_ = sim_->Register<&Network::OnArriveAtBank>(this, "network.arrive_at_bank");
  sim_->SetPrefetch<&Network::PrefetchArrival, Network>(arrive_at_bank_);
  answer_arrives_ = sim_->Register<&Network::OnAnswerArrives>(this, "network.answer_arrives");
  timeout_ = sim_->Register<&Network::OnTimeout>(this, "network.timeout");
}

std::uint32_t Network::Allocate() {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot].request = InFlightRequest{};
  slots_[slot].in_use = true;
  return slot;
}

void Network::Free(std::uint32_t slot) {
  slots_[slot].in_use = false;
  free_slots_.push_back(slot);
}

SimTime Network::DrawLatency(BankIndex b) {
  auto t = static_cast<SimTime>(rng_.LogNormal(latency_[b]));
  const OutageState& o = bank_outages_[b];
  if (o.active && o.mode == OutageMode::kSlow && faults_enabled_) {
    t += static_cast<SimTime>(rng_.LogNormal(double(o.latency.median), double(o.latency.p99)));
  }
  return std::max<SimTime>(t, 2);
}

void Network::Send(std::uint32_t slot) {
  InFlightRequest& req = slots_[slot].request;
  req.sent_at = sim_->Now();
  req.bank_epoch = bank_epoch_[req.bank];
  req.latency = DrawLatency(req.bank);
  const NetworkLinkConfig& link = banks_[req.bank]->config().link;
  bool lost = BankPartitioned(req.bank) || MessengerPartitioned() ||
              (faults_enabled_ && link.loss > 0 && rng_.Bernoulli(link.loss));
  // The arrival is tens of milliseconds away, usually inside the queue's current
  // bucket, where the bucket prefetch (PrefetchArrival) never sees it: ask for what
  // the bank will read now, a few events ahead.
  banks_[req.bank]->PrefetchHandle(req.request, req.sent_at + req.latency / 2,
                                   arriving_[req.bank]);
  if (lost) {
    req.lost = true;
    slots_[slot].pending_events = 1;
    sim_->After(link.timeout, timeout_, slot);
    return;
  }
  if (req.latency > link.timeout) {
    // The bank will answer, but after the platform has given up: the platform times
    // out and the late answer is discarded when it comes.
    req.lost = true;
    slots_[slot].pending_events = 2;
    sim_->After(link.timeout, timeout_, slot);
  } else {
    slots_[slot].pending_events = 1;
  }
  ++arriving_[req.bank];
  sim_->After(req.latency / 2, arrive_at_bank_, slot);
}

void Network::PrefetchArrival(SimTime at, std::uint64_t s) const {
  const InFlightRequest& req = slots_[static_cast<std::uint32_t>(s)].request;
  banks_[req.bank]->PrefetchHandle(req.request, at, arriving_[req.bank] - 1);
}

void Network::OnArriveAtBank(std::uint64_t s) {
  auto slot = static_cast<std::uint32_t>(s);
  Slot& entry = slots_[slot];
  InFlightRequest& req = entry.request;
  Bank& bank = *banks_[req.bank];
  --arriving_[req.bank];
  if (bank_down_[req.bank] || req.bank_epoch != bank_epoch_[req.bank]) {
    // Nobody there to answer: lost like a dropped request (the platform times out).
    if (req.lost) {
      Release(slot);
      return;
    }
    req.lost = true;
    sim_->At(std::max(sim_->Now(), req.sent_at + bank.config().link.timeout), timeout_, slot);
    return;
  }
  bank.Handle(req.request, rng_, &entry.response);
  if (req.lost) {  // the platform has given up or will before the answer arrives
    Release(slot);
    return;
  }
  const NetworkLinkConfig& link = bank.config().link;
  bool lost = BankPartitioned(req.bank) || MessengerPartitioned() ||
              (faults_enabled_ && link.loss > 0 && rng_.Bernoulli(link.loss));
  if (lost) {
    req.lost = true;
    sim_->At(std::max(sim_->Now(), req.sent_at + link.timeout), timeout_, slot);
    return;
  }
  sim_->After(req.latency - req.latency / 2, answer_arrives_, slot);
}

void Network::Release(std::uint32_t slot) {
  if (--slots_[slot].pending_events == 0) Free(slot);
}

void Network::OnAnswerArrives(std::uint64_t s) {
  auto slot = static_cast<std::uint32_t>(s);
  const InFlightRequest& req = slots_[slot].request;
  if (req.bank_epoch != bank_epoch_[req.bank]) {
    // The bank crashed after answering, before the answer arrived: the connection
    // is gone and the answer with it.
    ApiResponse reset;
    reset.status = 0;
    reset.reason = DenyReason::kReset;
    client_->OnApiResponse(req, reset);
  } else {
    client_->OnApiResponse(req, slots_[slot].response);
  }
  Release(slot);
}

void Network::OnTimeout(std::uint64_t s) {
  auto slot = static_cast<std::uint32_t>(s);
  ApiResponse timed_out;
  timed_out.status = 0;
  timed_out.reason = DenyReason::kTimeout;
  client_->OnApiResponse(slots_[slot].request, timed_out);
  Release(slot);
}

void Network::StartOutage(std::uint32_t target, const Outage& outage, std::uint32_t id) {
  OutageState s{true, outage.mode, outage.latency, outage.rate, id};
  if (target == kMessengerTarget) {
    messenger_outage_ = s;
  } else {
    bank_outages_[target] = s;
    banks_[target]->SetOutage(outage.mode, outage.rate, id);
  }
}

void Network::EndOutage(std::uint32_t target, std::uint32_t id) {
  OutageState& s = target == kMessengerTarget ? messenger_outage_ : bank_outages_[target];
  if (s.id != id) return;  // a later outage replaced this one
  s.active = false;
  if (target != kMessengerTarget) banks_[target]->ClearOutage(id);
}

const OutageState& Network::outage(std::uint32_t target) const {
  return target == kMessengerTarget ? messenger_outage_ : bank_outages_[target];
}

bool Network::BankPartitioned(BankIndex b) const {
  const OutageState& o = bank_outages_[b];
  return faults_enabled_ && o.active && o.mode == OutageMode::kPartition;
}
bool Network::BankUnavailable(BankIndex b) const {
  const OutageState& o = bank_outages_[b];
  return bank_down_[b] || (faults_enabled_ && o.active && o.mode == OutageMode::kUnavailable);
}
bool Network::MessengerChatDown() const {
  return messenger_down_ || (faults_enabled_ && messenger_outage_.active &&
                             messenger_outage_.mode == OutageMode::kUnavailable);
}
bool Network::MessengerPartitioned() const {
  return faults_enabled_ && messenger_outage_.active &&
         messenger_outage_.mode == OutageMode::kPartition;
}
bool Network::ChatDeliveryFails(Rng& rng) const {
  if (messenger_down_) return true;
  if (!faults_enabled_ || !messenger_outage_.active) return false;
  if (messenger_outage_.mode == OutageMode::kUnavailable) return true;
  if (messenger_outage_.mode == OutageMode::kErrors) return rng.Bernoulli(messenger_outage_.rate);
  return false;
}
SimTime Network::ChatDelay(Rng& rng) const {
  if (!faults_enabled_ || !messenger_outage_.active || messenger_outage_.mode != OutageMode::kSlow) {
    return 0;
  }
  const LatencyConfig& l = messenger_outage_.latency;
  return static_cast<SimTime>(rng.LogNormal(double(l.median), double(l.p99)));
}

void Network::CrashBank(BankIndex b) {
  bank_down_[b] = true;
  ++bank_epoch_[b];
}

void Network::RestartBank(BankIndex b) {
  bank_down_[b] = false;
  banks_[b]->Restart();
}

void Network::CrashMessenger() {
  messenger_down_ = true;
  ++messenger_epoch_;
}

void Network::EndFaults() {
  faults_enabled_ = false;
  for (Bank* b : banks_) b->EndFaults();
}

}  // namespace bpsim::mocks
