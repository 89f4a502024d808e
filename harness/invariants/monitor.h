#pragma once
// Monitors (docs/invariants.md): each built-in invariant and each user rule is one class that
// observes the trace online and changes nothing (docs/architecture.md, convention 6). Memory is bounded by
// live state (open consents, cached items, pending alerts, in-flight requests),
// never by the length of the trace. Safety properties are judged as entries arrive;
// liveness ones in Finish(), at the end of the drain.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/scenario/scenario.h"
#include "mocks/trace.h"
#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::harness {

class CacheItemTable;
class ConsentTable;

struct MonitorContext {
  const mocks::TraceNames* names = nullptr;  // borrowed; outlives the monitor
  std::size_t max_reported = 20;              // violations kept with evidence; the rest are counted
  // The cache items shared by the monitors that judge them (borrowed; outlives the
  // monitor). Its owner applies each cache.put / cache.purge after every monitor
  // has seen it (tracking.h). nullptr: each such monitor keeps its own table.
  const CacheItemTable* cache_items = nullptr;
  // The consent table shared the same way (tracking.h), applied after every monitor
  // has seen each consent life-cycle entry. nullptr: each reader keeps its own.
  const ConsentTable* consents = nullptr;
};

class Monitor : public mocks::WorldTraceSubscriber {
 public:
  ~Monitor() override = default;
  // The invariant or rule id.
  virtual const std::string& id() const = 0;
  // The entry types this monitor consumes (bits of mocks::TypeBit).
  virtual std::uint64_t type_mask() const = 0;
  // Called once, after the last entry, with the end of the run (duration + drain).
  virtual void Finish(SimTime end) = 0;
  // The entry types Ahead() wants to see (0: none), and a hint, on the judging thread,
  // that `entry` will be handed to OnEntry soon (AsyncTraceForwarder::SetLookahead):
  // a monitor may prefetch what it will touch for it, and must not change anything
  // it reads.
  virtual std::uint64_t lookahead_mask() const { return 0; }
  virtual void Ahead(const mocks::TraceEntry& /*entry*/) const {}

  // The first max_reported violations, in the order found, with their evidence.
  const std::vector<reports::Violation>& violations() const { return violations_; }
  // All violations found, reported or only counted.
  std::uint64_t violation_count() const { return violation_count_; }

 protected:
  explicit Monitor(const MonitorContext& context) : context_(context) {}
  void Report(reports::Violation v) {
    ++violation_count_;
    if (violations_.size() < context_.max_reported) violations_.push_back(std::move(v));
  }
  const MonitorContext& context() const { return context_; }

 private:
  MonitorContext context_;
  std::vector<reports::Violation> violations_;
  std::uint64_t violation_count_ = 0;
};

// The monitor of a built-in invariant. REQUIRES: config.id is one of kInvariantIds.
std::unique_ptr<Monitor> MakeInvariantMonitor(const InvariantConfig& config,
                                              const MonitorContext& context);
// The monitor of a user rule; fails if a pattern names something this world lacks
// (e.g. a bank id not in `context.names`).
Result<std::unique_ptr<Monitor>> MakeRuleMonitor(const Rule& rule, const MonitorContext& context);

}  // namespace bpsim::harness
