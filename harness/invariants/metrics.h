#pragma once
// Trace-derived metrics and charts (docs/metrics.md): counts, peaks and fraud-alert
// latencies over the whole trace, the Timeline of API responses, consent states and
// outages, and the histogram of alert latencies. Subscribe it to every entry type
// (kTypeMask), call Finish() once after the last entry, then read the results.
// The alert figures come from AlertDeliveryTracker, the same logic as the
// fraud-alert-delivery invariant, whether or not that invariant is enabled.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "harness/invariants/tracking.h"
#include "mocks/trace.h"
#include "reports/result.h"

namespace bpsim::harness {

// Reported per bank before that bank's kPerBankMetricNames ("NAME@BANK"): the alerts
// of its customers displayed, the samples of its latency percentiles; 0 means they
// have none (reports show "-" for them).
inline constexpr const char* kPerBankAlertCount = "fraud_alerts_displayed";

class MetricsCollector final : public mocks::WorldTraceSubscriber {
 public:
  static constexpr std::uint64_t kTypeMask = ~0ULL;
  // Upper bounds (seconds) of the alert latency histogram: 21 log-spaced bounds from
  // 0.1 s to 1 h (ratio 36000^(1/20)), rounded to 3 significant digits.
  static std::vector<double> LatencyBoundsSeconds();

  static constexpr std::size_t kDefaultBuckets = 120;

  // `end` = duration + drain: the timeline covers [0, end) in `buckets` buckets of
  // width ceil(end / buckets). `names` (borrowed, may be null) names outage targets.
  // `cache_items` (borrowed, may be null: then the collector keeps its own) is the
  // shared cache-item table, applied by its owner after this collector sees each
  // entry (tracking.h); `consents` (the same) is the shared consent table.
  MetricsCollector(SimTime end, const mocks::TraceNames* names,
                   std::size_t buckets = kDefaultBuckets,
                   const CacheItemTable* cache_items = nullptr,
                   const ConsentTable* consents = nullptr);

  void OnEntry(const mocks::TraceEntry& e) override;
  void Finish();

  // REQUIRES: Finish() was called. Metrics in kMetricNames order (only the ones
  // the trace determines), then the per-bank ones (kPerBankMetricNames, "NAME@BANK")
  // for every bank `names` lists and every other bank the trace names, in bank order;
  // durations in seconds.
  std::vector<std::pair<std::string, double>> Metrics() const;
  const reports::Timeline& timeline() const { return timeline_; }
  // counts has one more element than upper_bounds_seconds: the last counts the
  // latencies above 1 h (overflow).
  const reports::Histogram& alert_latency() const { return histogram_; }

 private:
  enum Series { k200, k401, k403, k429, k500, k503, kTimeout, kSeriesCount };
  enum State { kAwaiting, kAuthorised, kRevoked, kExpired, kRejected, kStateCount };
  void SnapshotUntil(SimTime t);
  void CountStatus(const mocks::TraceEntry& e);  // a status of api.served / api.response
  void SetState(mocks::ConsentId id, int state);

  SimTime end_;
  const mocks::TraceNames* names_;
  std::size_t buckets_;
  std::size_t snapshots_ = 0;  // buckets whose consent states are recorded
  SimTime next_snapshot_ = 0;  // end of bucket snapshots_; kSimTimeMax when all are
  reports::Timeline timeline_;
  reports::Histogram histogram_;
  AlertDeliveryTracker alerts_;
  std::vector<std::int8_t> consent_state_;  // by consent id; -1 = unseen
  std::uint64_t state_counts_[kStateCount] = {};
  CacheItems cache_items_;
  std::vector<std::pair<mocks::Endpoint, std::size_t>> open_outages_;  // -> index in outages
  bool finished_ = false;

  std::uint64_t consents_granted_ = 0, consents_revoked_ = 0, consents_expired_ = 0,
                consents_rejected_ = 0, api_requests_ = 0, by_status_[kSeriesCount] = {},
                balance_checks_ = 0, balance_answered_ = 0, fraud_detected_ = 0,
                fraud_false_positives_ = 0, webhooks_sent_ = 0, webhooks_retried_ = 0,
                cache_puts_ = 0, cache_purges_ = 0, flows_ = 0,
                trace_entries_ = 0;
  std::vector<SimTime> latencies_;  // filled by Finish(), ascending
  // Revocation latency: per consent the customer asked to revoke, when they asked
  // and the last api.request or cache.purge under it since (-1: none asked).
  struct Revocation {
    SimTime requested = -1;
    SimTime last = -1;
  };
  std::vector<Revocation> revocations_;  // by consent id
  // Whether revocations_[id].requested is set: a bit per consent, so the check on
  // every request stays in cache (the 16-byte records missed on nearly every one).
  std::vector<bool> revocation_asked_;
  bool RevocationAsked(mocks::ConsentId id) const {
    return id < revocation_asked_.size() && revocation_asked_[id];
  }
  std::vector<SimTime> revocation_latencies_;  // filled by Finish(), ascending
  std::vector<std::vector<SimTime>> bank_latencies_;  // by bank, filled by Finish(), ascending
};

}  // namespace bpsim::harness
