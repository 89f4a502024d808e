#pragma once
// The network between the platform and the banks (docs/world.md): per-link latency and
// loss, and the outage windows of banks and of the messenger. It carries data
// requests to a bank's pure handler and the answers back, losing them where the
// link says, and times out requests whose answer never comes.
//
// Outage semantics (docs/world.md):
//   bank unavailable   the bank answers 503 with Retry-After; its webhooks wait
//   bank slow          requests take an extra latency drawn from the outage's latency
//   bank errors        a fraction `rate` of requests is answered 503
//   bank partition     requests, answers and webhooks between bank and platform are lost
//   messenger unavailable  chats are down: customers cannot ask, alerts cannot be shown
//   messenger slow     chat delivery takes the extra latency
//   messenger errors   a fraction `rate` of chat deliveries fail
//   messenger partition the platform's backend is cut off from every bank
//
// A crash (CrashBank, CrashMessenger) is not an outage: it holds until the restart,
// whatever the drain does to faults, and the world restarts it at the drain.

#include <cstdint>
#include <vector>

#include "mocks/bank/bank.h"
#include "mocks/env.h"
#include "sim/simulator.h"

namespace bpsim::mocks {

// A data request on its way, with what the platform needs to resume when it ends.
struct InFlightRequest {
  ApiRequest request;
  BankIndex bank = 0;
  CustomerId customer = kNoSubject;
  RequestReason reason = RequestReason::kPoll;
  SimTime sent_at = 0;
  SimTime latency = 0;           // drawn round trip
  std::uint32_t link_generation = 0;
  std::uint32_t incarnation = 0;    // the platform process that sent it (Platform::Crash)
  std::uint32_t bank_epoch = 0;     // the bank's crash count when it was sent
  std::int64_t balance_check = -1;  // the check waiting for this answer, or -1
  std::uint32_t check_chat = 0;     // where that check was asked (group id or customer)
  bool check_in_group = false;
  bool lost = false;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;
  // The answer arrived (or, with status 0, the request timed out).
  virtual void OnApiResponse(const InFlightRequest& request, const ApiResponse& response) = 0;
};

struct OutageState {
  bool active = false;
  OutageMode mode = OutageMode::kUnavailable;
  LatencyConfig latency;
  double rate = 0;
  std::uint32_t id = 0;
};

class Network {
 public:
  Network(const Env* env, Simulator* sim, std::vector<Bank*> banks);
  void set_client(ApiClient* client) { client_ = client; }

  // Sends the request `fill` writes (fill(InFlightRequest&), given a default one);
  // the platform has published its api.request already. The request is written
  // straight into its in-flight slot: built on the stack and copied, its copy read
  // the fields just stored in wider loads than they were stored with, which store
  // forwarding cannot serve (a stall per request).
  template <typename Fill>
  void SendRequest(Fill&& fill) {
    const std::uint32_t slot = Allocate();
    fill(slots_[slot].request);
    Send(slot);
  }

  // Outages by target: a bank index, or kMessengerTarget.
  static constexpr std::uint32_t kMessengerTarget = 0xffff;
  void StartOutage(std::uint32_t target, const Outage& outage, std::uint32_t id);
  void EndOutage(std::uint32_t target, std::uint32_t id);
  const OutageState& outage(std::uint32_t target) const;
  bool BankPartitioned(BankIndex b) const;
  bool BankUnavailable(BankIndex b) const;
  bool MessengerChatDown() const;           // unavailable
  bool MessengerPartitioned() const;
  // Draws whether one chat delivery fails now (messenger errors / unavailable).
  bool ChatDeliveryFails(Rng& rng) const;
  // Extra delay for a chat delivery (messenger slow), 0 otherwise.
  SimTime ChatDelay(Rng& rng) const;

  // Crashes (docs/world.md, "Crashes and restarts"). A crashed bank answers nothing:
  // a request that reaches it is lost (the platform times out), and the answer to
  // one sent before the crash that has not reached the platform yet is lost with the
  // connection (the platform sees status 0, reason reset). A crashed messenger is
  // like chats being unavailable, and every chat delivery in progress is lost.
  void CrashBank(BankIndex b);
  void RestartBank(BankIndex b);
  bool BankDown(BankIndex b) const { return bank_down_[b]; }
  void CrashMessenger();
  void RestartMessenger() { messenger_down_ = false; }
  bool MessengerDown() const { return messenger_down_; }
  // Counts the messenger's crashes: a chat delivery handed over in an earlier epoch
  // was lost.
  std::uint32_t messenger_epoch() const { return messenger_epoch_; }
  // Ends every fault: outages, loss and injected errors (the drain).
  void EndFaults();
  bool faults_enabled() const { return faults_enabled_; }

  Rng& rng() { return rng_; }
  Bank& bank(BankIndex b) { return *banks_[b]; }
  std::size_t bank_count() const { return banks_.size(); }

 private:
  void OnArriveAtBank(std::uint64_t slot);
  // What OnArriveAtBank will read besides the slot (Simulator::SetPrefetch).
  void PrefetchArrival(SimTime at, std::uint64_t slot) const;
  void OnAnswerArrives(std::uint64_t slot);
  void OnTimeout(std::uint64_t slot);
  std::uint32_t Allocate();  // a slot in use, holding a default request
  void Send(std::uint32_t slot);
  void Free(std::uint32_t slot);
  void Release(std::uint32_t slot);  // one of the slot's events is done
  SimTime DrawLatency(BankIndex b);

  Simulator* sim_;
  std::vector<Bank*> banks_;
  std::vector<LogNormalParams> latency_;  // per bank, from its api.latency (drawn per request)
  ApiClient* client_ = nullptr;
  Rng rng_;
  std::vector<OutageState> bank_outages_;
  OutageState messenger_outage_;
  bool faults_enabled_ = true;
  std::vector<bool> bank_down_;
  std::vector<std::uint32_t> bank_epoch_;  // crashes per bank
  // Arrival events pending per bank: the requests on their way there, which the
  // bank's rate limit will see first or soon after (Bank::PrefetchHandle).
  std::vector<std::uint32_t> arriving_;
  bool messenger_down_ = false;
  std::uint32_t messenger_epoch_ = 0;
  // In-flight requests: a pool indexed by slot, with the answer kept alongside.
  struct Slot {
    InFlightRequest request;
    ApiResponse response;
    bool in_use = false;
    int pending_events = 0;  // events still to come for this request; freed at 0
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  HandlerId arrive_at_bank_, answer_arrives_, timeout_;
};

}  // namespace bpsim::mocks
