#pragma once
// What the world needs of a messenger platform (docs/world.md): the customer-facing
// actions (link, authorise/reject redirect, revoke, balance question), the
// per-customer link table the customers' decisions read, and the webhook endpoint.
//
// Two implementations: the simulated Platform (mocks/messenger/platform.h) and, in
// live mode with `--platform URL`, the bridge to an external platform process
// (harness/live/platform_bridge.h). The world calls the port only from simulator
// events, so an implementation needs no locking of its own for these calls.

#include <cstdint>

#include "mocks/bank/consent.h"
#include "mocks/bank/webhooks.h"
#include "sim/time.h"

namespace bpsim::mocks {

enum class LinkState : std::uint8_t { kNone, kPending, kActive, kEnded };

struct Link {
  ConsentId consent = 0;  // 0 while pending at an external platform that has not
                          // created the consent at the bank yet
  std::uint64_t token_secret = 0;
  SimTime expires_at = 0;
  SimTime tx_window_start = 0;  // transactions already fetched up to here
  std::uint32_t generation = 0;  // bumps on every change, so stale events are ignored
  ScopeSet scopes = 0;
  PurposeSet purposes = 0;
  BankIndex bank = 0;
  LinkState state = LinkState::kNone;
};

class PlatformPort : public WebhookReceiver {
 public:
  ~PlatformPort() override = default;

  // Schedules the platform's own periodic jobs; `end_of_run` = duration + drain.
  virtual void Start(SimTime end_of_run) = 0;
  // The drain: no new work; in-flight work goes on.
  virtual void BeginDrain() = 0;

  // A customer starts linking their bank. Returns the consent id the platform
  // created at the bank, or 0 when that happens later (an external platform).
  virtual ConsentId StartLinking(CustomerId c, BankIndex bank, ScopeSet scopes,
                                 PurposeSet purposes, SimTime validity) = 0;
  // The bank redirected back: authorised (the token's secret is on the consent) or
  // rejected.
  virtual void OnAuthorised(CustomerId c, ConsentId consent) = 0;
  virtual void OnRejected(CustomerId c, ConsentId consent) = 0;
  // The customer revokes in the messenger (the world has published
  // consent.revoke_requested).
  virtual void OnCustomerRevoke(CustomerId c) = 0;
  // A customer asks for their balance in their chat or in group `group`.
  virtual void OnBalanceCheck(CustomerId c, bool in_group, std::uint32_t group) = 0;
  // A hint that OnBalanceCheck(c, ...) comes soon: what it will read may be fetched
  // into the cache now (Simulator::SetPrefetch). Changes nothing.
  virtual void PrefetchBalanceCheck(CustomerId /*c*/) const {}
  // The same for the customer's link, which linking and authorising read first.
  virtual void PrefetchLinkOf(CustomerId /*c*/) const {}

  // Whether the platform's process is down (crashed, not yet restarted). Only the
  // simulated platform crashes; the world holds back what customers do meanwhile.
  virtual bool Down() const { return false; }

  virtual const Link& link(CustomerId c) const = 0;
  bool HasLinkInProgress(CustomerId c) const {
    LinkState s = link(c).state;
    return s == LinkState::kPending || s == LinkState::kActive;
  }
};

}  // namespace bpsim::mocks
