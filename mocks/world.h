#pragma once
// The world (docs/world.md): mock banks, the customer population, the messenger
// platform and the network, assembled from a WorldSpec on one simulator and one
// trace bus. The world also plays the customers' decisions (linking, authorising,
// revoking, re-consenting), the banks' fraud engines, the scenario's timeline and
// the drain.
//
// Usage:  World w(spec, &sim, &bus);  w.Start();  sim.RunUntil(spec.duration);
//         w.BeginDrain();  sim.RunUntil(spec.duration + spec.drain);

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mocks/bank/bank.h"
#include "mocks/bank/consent.h"
#include "mocks/bank/webhooks.h"
#include "mocks/customers/population.h"
#include "mocks/env.h"
#include "mocks/messenger/platform.h"
#include "mocks/messenger/platform_port.h"
#include "mocks/network/network.h"
#include "sim/simulator.h"

namespace bpsim::mocks {

struct WorldStats {
  std::uint64_t customers = 0;
  std::uint64_t card_transactions = 0;
  std::uint64_t fraud_transactions = 0;
  std::uint64_t alerts_raised = 0;
  std::uint64_t consents_created = 0;
  std::uint64_t audit_records = 0;
};

class World;
// Makes the platform the world talks to instead of the simulated one (live mode
// with an external platform). Called once, inside World's constructor, after the
// consent store, population, banks and network exist (the outbox does not yet).
using PlatformFactory = std::function<std::unique_ptr<PlatformPort>(World& world)>;

class World final : private DayListener {
 public:
  // Without `external`, the world runs the simulated Platform. With `prefetch_days`,
  // PrefetchCustomerDays() is called as soon as the population exists, so that the
  // first day is drawn on the second core while the rest of the world (the
  // platform's cache, the queue's first events) is built on this one.
  World(const WorldSpec& spec, Simulator* sim, WorldTraceBus* bus,
        const PlatformFactory& external = nullptr, bool prefetch_days = false);
  ~World() override;

  void Start();
  void BeginDrain();
  // Draws the customers' days one day ahead on a second thread (Population::
  // PrefetchDays), if there are at least kPrefetchMinCustomers customers: below that
  // a day's draws take a few milliseconds and a thread is not worth it. The run is
  // the same either way; it only moves work to another core, so turn it on when a
  // core is spare. Call before Start().
  void PrefetchCustomerDays();
  static constexpr std::uint32_t kPrefetchMinCustomers = 20'000;

  WorldStats stats() const;
  // What schedule perturbation drew (WorldSpec::perturb), e.g. "same-instant order
  // drawn from the seed; knobs: ..."; empty when the world is not perturbed.
  const std::string& perturbation() const { return perturbation_; }
  const TraceNames& names() const { return names_; }
  const WorldSpec& spec() const { return spec_; }

  // The parts, for tests and for live mode.
  Population& population() { return *population_; }
  ConsentStore& consents() { return *consents_; }
  Bank& bank(BankIndex b) { return *banks_[b]; }
  PlatformPort& platform() { return *platform_; }
  // The simulated platform; nullptr when an external one is driven.
  Platform* simulated_platform() { return simulated_.get(); }
  WebhookOutbox& outbox() { return *outbox_; }
  Network& network() { return *network_; }
  // Customer c asks to revoke `consent`: in the messenger if `in_messenger` and the
  // link is active there, else in the bank's app, where it is revoked at once and the
  // platform is told by webhook (nothing happens to a consent that is not Authorised).
  // Publishes consent.revoke_requested. Live mode's Plaid sandbox fires the bank-app
  // case on request.
  void CustomerRevokes(CustomerId c, ConsentId consent, bool in_messenger);
  const Env& env() const { return env_; }
  Simulator& simulator() { return *sim_; }

 private:
  // DayListener.
  void OnBalanceCheck(CustomerId c, SimTime at, bool in_group, std::uint32_t group) override;
  void OnCompromise(CustomerId c, SimTime at) override;
  void OnFlaggedTransaction(CustomerId c, const CardTransaction& tx) override;

  // Events.
  void OnDayStart(std::uint64_t day);
  void OnAskBalance(std::uint64_t arg);     // customer | j << 32 | in_group << 40
  void PrefetchAskBalance(std::uint64_t arg) const {
    platform_->PrefetchBalanceCheck(static_cast<CustomerId>(arg & 0xffffffff));
  }
  // What a link or an authorisation decision reads first (arg: customer | epoch << 32):
  // the customer's epoch, bank and link, three lines at random. At ten million
  // customers the first day's three million of each took nearly a quarter of its samples.
  void PrefetchLinking(std::uint64_t arg) const {
    const auto c = static_cast<CustomerId>(arg & 0xffffffff);
    if (c >= epoch_.size()) return;
    bpsim::Prefetch(&epoch_[c]);
    bpsim::Prefetch(&population_->at(c));
    platform_->PrefetchLinkOf(c);
  }
  void OnCompromiseNow(std::uint64_t c);
  void OnDetection(std::uint64_t arg);      // customer | flagged slot << 32
  void OnLink(std::uint64_t arg);           // customer | epoch << 32
  void OnAuthoriseDecision(std::uint64_t arg);  // customer | epoch << 32
  void OnRevokeDecision(std::uint64_t arg);     // customer | epoch << 32
  void OnBankExpiry(std::uint64_t consent);
  void OnTimeline(std::uint64_t index);
  void OnOutageEnd(std::uint64_t index);
  void OnRestart(std::uint64_t index);
  void OnDeferredRevoke(std::uint64_t consent);

  // Crashes and restarts (docs/world.md). Targets are slots: banks 0..n-1, then the
  // platform, then the messenger.
  std::uint32_t CrashSlot(const std::string& target) const;
  void ApplyCrash(std::size_t index);
  void RestartSlot(std::uint32_t slot);
  // Crashes (down) or restarts the process in `slot`.
  void SetDown(std::uint32_t slot, bool down);
  void PublishCrash(EntryType type, std::uint32_t slot, SimTime value);
  bool PlatformDown() const { return platform_->Down(); }
  bool BankDown(BankIndex b) const { return network_->BankDown(b); }
  // Just after the process in `slot`, down now, is back: one nanosecond after its
  // restart, so that a customer's retry never runs before the restart it waits for,
  // whatever the order of same-instant events.
  SimTime BackAt(std::uint32_t slot) const { return restart_at_[slot] + 1; }

  void Link(CustomerId c, std::uint32_t epoch, ScopeSet scopes);
  void RevokeAtBank(ConsentId consent, Via via);
  void ApplyTimeline(std::size_t index);
  std::uint32_t OutageTarget(const std::string& target) const;
  void PublishOutage(EntryType type, std::uint32_t target, OutageMode mode);
  PurposeSet PurposesFor(bool alerts) const;

  WorldSpec spec_;  // as given, with perturbed knobs drawn in
  Simulator* sim_;
  std::string perturbation_;
  Env env_;
  TraceNames names_;
  std::unique_ptr<ConsentStore> consents_;
  std::unique_ptr<Population> population_;
  std::vector<std::unique_ptr<Bank>> banks_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Platform> simulated_;
  std::unique_ptr<PlatformPort> external_;
  PlatformPort* platform_ = nullptr;
  std::unique_ptr<WebhookOutbox> outbox_;
  // Per customer: which linking round they are in (see ConsentPlan epochs).
  std::vector<std::uint16_t> epoch_;
  std::vector<std::uint32_t> active_outage_by_target_;  // timeline index + 1, 0 = none
  std::vector<std::uint32_t> crash_by_slot_;  // timeline index + 1 of the crash, 0 = up
  std::vector<SimTime> restart_at_;           // per slot, while down
  // Flagged transactions waiting for their detection event (slots reused).
  std::vector<CardTransaction> flagged_;
  std::vector<std::uint32_t> free_flagged_;
  std::uint64_t next_alert_id_ = 1;
  std::uint64_t alerts_raised_ = 0;
  bool customers_act_ = true;
  HandlerId day_start_, ask_balance_, compromise_, detection_, link_, authorise_, revoke_,
      bank_expiry_, timeline_, outage_end_, restart_, deferred_revoke_;
};

}  // namespace bpsim::mocks
