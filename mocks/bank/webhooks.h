#pragma once
// Webhooks from the banks to the platform (DESIGN §3): fraud alerts and revocation
// notices, retried with exponential back-off (initial, doubling, capped at max)
// until the platform accepts one, through the scenario's webhook faults: drop,
// duplicate, delay and reorder. A webhook's first attempt of a fraud alert is the
// bank's release of that alert (audit record + labelled flow); retries redeliver the
// same released datum.

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
};

class WebhookReceiver {
 public:
  virtual ~WebhookReceiver() = default;
  // The platform's webhook endpoint; true = accepted (2xx), false = 503.
  virtual bool OnWebhook(const Webhook& webhook, std::uint32_t attempt) = 0;
};

class WebhookOutbox {
 public:
  WebhookOutbox(const Env* env, Simulator* sim, Network* network, WebhookReceiver* receiver);

  // Starts delivering `webhook` now.
  void Send(const Webhook& webhook);

  std::uint64_t pending() const { return slots_.size() - free_.size(); }

 private:
  struct Slot {
    Webhook webhook;
    std::uint32_t attempt = 0;
    bool duplicate = false;  // an extra copy made by the network; never retried
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
