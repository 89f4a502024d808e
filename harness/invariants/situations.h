#pragma once
// `expect.sometimes` (docs/invariants.md, docs/situations.md): records whether each named
// built-in situation, or each user Pattern, occurred at least once in a run.
// Subscribe it with type_mask(); it changes nothing. Memory: per-consent counters
// (dense), the live cache keys and the webhook (reason, ref) pairs seen, only for
// the situations that need them.

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "harness/invariants/flat_map.h"
#include "harness/invariants/monitor.h"
#include "harness/invariants/pattern.h"

namespace bpsim::harness {

class SituationTracker final : public mocks::WorldTraceSubscriber {
 public:
  // Fails on a name not in kSituationNames ("unknown situation 'x'") or a pattern
  // that does not compile (CompiledPattern::Compile's message, with its line).
  static Result<std::unique_ptr<SituationTracker>> Make(const std::vector<Situation>& situations,
                                                        const MonitorContext& context);

  std::uint64_t type_mask() const { return mask_; }
  void OnEntry(const mocks::TraceEntry& e) override;

  // In the order given to Make().
  std::size_t size() const { return entries_.size(); }
  bool occurred(std::size_t i) const { return entries_[i].count > 0; }
  std::uint64_t count(std::size_t i) const { return entries_[i].count; }

 private:
  enum class Builtin : std::uint8_t {
    kRevocationWithRequestInFlight,
    kAlertQueuedDuringMessengerOutage,
    kRequestThrottled429,
    kWebhookRetried,
    kConsentExpiredWhileCached,
    kWebhookDuplicated,
    kRevocationViaMessenger,
    kRevocationViaBank,
    kConsentRejected,
    kBalanceAskedInGroup,
    kRequestTimedOut,
    kFraudFalsePositive,
    kPattern
  };
  struct Entry {
    Builtin builtin;
    std::size_t pattern = 0;  // index into patterns_ when builtin == kPattern
    std::uint64_t count = 0;
  };
  SituationTracker() = default;
  bool Happened(Builtin b, const mocks::TraceEntry& e);
  static std::uint32_t& Slot(std::vector<std::uint32_t>& v, std::uint64_t id);

  std::vector<Entry> entries_;
  std::vector<CompiledPattern> patterns_;
  std::uint64_t mask_ = 0;
  // State, kept only when a situation needing it was asked for.
  std::vector<std::uint32_t> requests_in_flight_;              // by consent
  std::vector<std::uint32_t> cached_items_;                    // by consent
  FlatMap<mocks::ConsentId> cache_;                        // item key -> consent
  std::unordered_set<std::uint64_t> webhooks_seen_;            // ref * 2 + reason
  int messenger_outages_ = 0;
};

}  // namespace bpsim::harness
