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

 private:
  struct Slot {
    Webhook webhook;
    std::uint32_t attempt = 0;
    bool duplicate = false;  // an extra copy made by the network; never retried
    bool awaiting = false;   // delivered, the receiver's answer is pending
  };
  void OnAttempt(std::uint64_t slot);
  void OnArrive(std::uint64_t slot);
  SimTime Backoff(const Slot& s) const;
  std::uint32_t Allocate(const Slot& s);
  void Free(std::uint32_t slot) { free_.push_back(slot); }
  void Publish(EntryType type, const Slot& s);

  const Env* env_;
  Simulator* sim_;
  Network* network_;
  WebhookReceiver* receiver_;
  Rng rng_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  HandlerId attempt_, arrive_;
};

}  // namespace bpsim::mocks
