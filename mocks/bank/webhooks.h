#pragma once
// Webhooks from the banks to the platform (docs/world.md): fraud alerts and revocation
// notices, retried with exponential back-off (initial, doubling, capped at max)
// until the platform accepts one, through the scenario's webhook faults: drop,
// duplicate, delay and reorder. Every attempt of a fraud alert's webhook is a release
// of that alert (audit record + labelled flow) and is made only if the consent the
// alert was raised under is still live then (Bank::MaySendAlert); otherwise the
// attempt is withheld (webhook.withheld) and delivery stops. Revocation notices
// carry no customer data and are always sent. A copy made by the network's
// duplicate fault is not a release of the bank's.

#include <cstdint>
#include <vector>

#include "mocks/bank/bank.h"
#include "mocks/env.h"
#include "mocks/network/network.h"
#include "sim/simulator.h"

namespace bpsim::mocks {

struct Webhook {
  WebhookKind kind = WebhookKind::kFraudAlert;
  BankIndex bank = 0;
  CustomerId customer = kNoSubject;
  ConsentId consent = 0;
  std::uint64_t ref = 0;       // alert id, or the consent id for revocations
  SimTime detected_at = 0;     // alerts: when the fraud engine flagged it
  CardTransaction transaction;  // alerts: the flagged card transaction
  BankDatum datum;              // alerts: the released alert (set at the first attempt)
};

// The platform's answer to one delivered attempt.
enum class WebhookAnswer : std::uint8_t {
  kAccepted,  // 2xx: the receiver published webhook.received; delivery stops
  kRefused,   // anything else: the outbox retries with back-off
  kPending,   // the answer comes later through WebhookOutbox::Settle(ticket, ...)
              // (live mode: the HTTP delivery happens off the world's mutex)
};

class WebhookReceiver {
 public:
  virtual ~WebhookReceiver() = default;
  // The platform's webhook endpoint. `ticket` names this attempt for Settle.
  virtual WebhookAnswer OnWebhook(const Webhook& webhook, std::uint32_t attempt,
                                  std::uint32_t ticket) = 0;
};

class WebhookOutbox {
 public:
  WebhookOutbox(const Env* env, Simulator* sim, Network* network, WebhookReceiver* receiver);

  // Starts delivering `webhook` now.
  void Send(const Webhook& webhook);

  // Settles an attempt the receiver answered kPending: accepted publishes
  // webhook.received and stops; refused (or failed) retries with the usual back-off.
  // A ticket that is not awaiting an answer is ignored.
  void Settle(std::uint32_t ticket, bool accepted);

  std::uint64_t pending() const { return slots_.size() - free_.size(); }
  // Live mode puts a router in front of the platform (the Plaid dialect's webhooks go
  // to each Item's own URL); the previous receiver is returned.
  WebhookReceiver* set_receiver(WebhookReceiver* receiver) {
    std::swap(receiver_, receiver);
    return receiver;
  }

  // Bank `bank` crashed (docs/world.md, "Crashes and restarts"): its outbox is durable,
  // but every attempt on the wire is lost with the connection (the platform never
  // sees it) and its retry timers are gone. At RestartBank every webhook it still owes
  // is attempted again at once.
  void CrashBank(BankIndex bank);
  void RestartBank(BankIndex bank);

 private:
  struct Slot {
    Webhook webhook;
    std::uint32_t attempt = 0;
    bool duplicate = false;  // an extra copy made by the network; never retried
    bool awaiting = false;   // delivered, the receiver's answer is pending
    bool live = false;       // not free
    // Events carry (slot, stamp); a crash gives the slot a new stamp, so the events
    // of the lost process find it changed and do nothing. Kept across reuse.
    std::uint32_t stamp = 0;
  };
  void OnAttempt(std::uint64_t arg);  // slot | stamp << 32
  void OnArrive(std::uint64_t arg);
  void Attempt(std::uint32_t slot);
  void Schedule(SimTime delay, HandlerId handler, std::uint32_t slot);
  // The slot an event names, or -1 if its stamp is stale.
  std::int64_t Current(std::uint64_t arg) const;
  SimTime Backoff(const Slot& s) const;
  std::uint32_t Allocate(const Slot& s);
  void Free(std::uint32_t slot) {
    slots_[slot].live = false;
    free_.push_back(slot);
  }
  void Publish(EntryType type, const Slot& s);

  const Env* env_;
  Simulator* sim_;
  Network* network_;
  WebhookReceiver* receiver_;
  Rng rng_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint32_t next_stamp_ = 0;
  HandlerId attempt_, arrive_;
};

}  // namespace bpsim::mocks
