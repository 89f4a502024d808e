#include "harness/invariants/metrics.h"

#include <algorithm>
#include <cmath>

#include "harness/scenario/scenario.h"
#include "sim/math.h"

namespace bpsim::harness {

using mocks::EndpointKind;
using mocks::EntryType;
using mocks::TraceEntry;

namespace {
constexpr const char* kSeriesNames[] = {"200", "401", "403", "429", "500", "503", "timeout"};
constexpr const char* kStateNames[] = {"awaiting", "authorised", "revoked", "expired", "rejected"};

int SeriesOf(std::uint16_t status) {
  switch (status) {
    case 200:
      return 0;
    case 401:
      return 1;
    case 403:
      return 2;
    case 429:
      return 3;
    case 500:
      return 4;
    case 503:
      return 5;
    case 0:
      return 6;
    default:
      return -1;
  }
}
}  // namespace

std::vector<double> MetricsCollector::LatencyBoundsSeconds() {
  // 0.1 s x 36000^(i/20), rounded to three significant digits. Computed with
  // sim/math.h and the powers of ten written out rather than the C library's pow and
  // log10, so that reports, like traces, do not depend on the C library's version.
  constexpr double kScale[] = {0.001, 0.01, 0.1, 1, 10};  // 10^(digits before the point - 3)
  std::vector<double> bounds;
  constexpr int kSteps = 20;
  const double log_range = math::Log(36000.0);
  for (int i = 0; i <= kSteps; ++i) {
    const double v = 0.1 * math::Exp(log_range * double(i) / kSteps);
    const int digits = v < 1 ? 0 : v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
    const double scale = kScale[digits];
    bounds.push_back(std::round(v / scale) * scale);
  }
  bounds.back() = 3600.0;
  return bounds;
}

MetricsCollector::MetricsCollector(SimTime end, const mocks::TraceNames* names, std::size_t buckets,
                                   const CacheItemTable* cache_items,
                                   const ConsentTable* consents)
    : end_(end),
      names_(names),
      buckets_(std::max<std::size_t>(buckets, 1)),
      alerts_(consents),
      cache_items_(cache_items) {
  timeline_.end = end;
  timeline_.bucket_width = std::max<SimTime>(1, (end + SimTime(buckets_) - 1) / SimTime(buckets_));
  for (const char* s : kSeriesNames) {
    timeline_.api_by_status.emplace_back(s, std::vector<std::uint64_t>(buckets_, 0));
  }
  for (const char* s : kStateNames) {
    timeline_.consents_by_state.emplace_back(s, std::vector<std::uint64_t>(buckets_, 0));
  }
  next_snapshot_ = timeline_.bucket_width;
  histogram_.upper_bounds_seconds = LatencyBoundsSeconds();
  histogram_.counts.assign(histogram_.upper_bounds_seconds.size() + 1, 0);
}

void MetricsCollector::SnapshotUntil(SimTime t) {
  // Bucket i ends at (i + 1) * width; its snapshot is the state before that instant.
  while (snapshots_ < buckets_ && SimTime(snapshots_ + 1) * timeline_.bucket_width <= t) {
    for (int s = 0; s < kStateCount; ++s) {
      timeline_.consents_by_state[std::size_t(s)].second[snapshots_] = state_counts_[s];
    }
    ++snapshots_;
  }
  next_snapshot_ =
      snapshots_ < buckets_ ? SimTime(snapshots_ + 1) * timeline_.bucket_width : kSimTimeMax;
}

void MetricsCollector::SetState(mocks::ConsentId id, int state) {
  if (id == 0) return;
  if (id >= consent_state_.size()) {
    consent_state_.resize(std::max<std::size_t>(id + 1, consent_state_.size() * 2), -1);
  }
  std::int8_t& old = consent_state_[id];
  if (old >= 0) --state_counts_[old];
  old = std::int8_t(state);
  ++state_counts_[state];
}

void MetricsCollector::CountStatus(const TraceEntry& e) {
  int s = SeriesOf(e.status);
  if (s < 0) return;
  ++by_status_[s];
  if (e.time >= 0) {
    auto b = std::min<std::size_t>(std::size_t(e.time / timeline_.bucket_width), buckets_ - 1);
    ++timeline_.api_by_status[std::size_t(s)].second[b];
  }
}

void MetricsCollector::OnEntry(const TraceEntry& e) {
  if (e.time >= next_snapshot_) SnapshotUntil(e.time);
  ++trace_entries_;
  if (AlertDeliveryTracker::kTypeMask & mocks::TypeBit(e.type)) alerts_.OnEntry(e);
  switch (e.type) {
    case EntryType::kFlow:
      ++flows_;
      break;
    case EntryType::kConsentCreated:
      SetState(e.consent, kAwaiting);
      break;
    case EntryType::kConsentAuthorised:
      ++consents_granted_;
      SetState(e.consent, kAuthorised);
      break;
    case EntryType::kConsentRevoked:
      ++consents_revoked_;
      SetState(e.consent, kRevoked);
      break;
    case EntryType::kConsentExpired:
      ++consents_expired_;
      SetState(e.consent, kExpired);
      break;
    case EntryType::kConsentRejected:
      ++consents_rejected_;
      SetState(e.consent, kRejected);
      break;
    case EntryType::kApiRequest:
      ++api_requests_;
      if (RevocationAsked(e.consent)) {
        revocations_[e.consent].last = e.time;
      }
      break;
    case EntryType::kRevokeRequested:
      if (e.consent == 0) break;
      if (e.consent >= revocations_.size()) {
        revocations_.resize(std::max<std::size_t>(e.consent + 1, revocations_.size() * 2));
      }
      if (revocations_[e.consent].requested < 0) revocations_[e.consent] = {e.time, e.time};
      if (e.consent >= revocation_asked_.size()) revocation_asked_.resize(revocations_.size());
      revocation_asked_[e.consent] = true;
      break;
    // Statuses are the banks' answers (api.served), which live mode records as the
    // simulation does even when the platform is a black box; a timeout is the
    // platform giving up (api.response with status 0), which only a simulated
    // platform records.
    case EntryType::kApiServed:
      if (e.status != 0) CountStatus(e);
      break;
    case EntryType::kApiResponse:
      if (e.status == 0) CountStatus(e);
      break;
    case EntryType::kBalanceCheck:
      ++balance_checks_;
      break;
    case EntryType::kBalanceReply:
      if (e.reason == std::uint8_t(mocks::ReplyKind::kAnswered)) ++balance_answered_;
      break;
    case EntryType::kFraudDetected:
      ++fraud_detected_;
      if (e.reason == 0) ++fraud_false_positives_;
      break;
    case EntryType::kWebhookSent:
      ++webhooks_sent_;
      if (e.value >= 2) ++webhooks_retried_;
      break;
    case EntryType::kCachePut:
      ++cache_puts_;
      cache_items_.AfterEntry(e);
      break;
    case EntryType::kCachePurge:
      ++cache_purges_;
      cache_items_.AfterEntry(e);
      if (RevocationAsked(e.consent)) {
        revocations_[e.consent].last = e.time;
      }
      break;
    case EntryType::kOutageStart: {
      std::string target = e.to.kind == EndpointKind::kBank
                               ? (names_ ? names_->Bank(mocks::BankIndex(e.to.id))
                                         : "bank#" + std::to_string(e.to.id))
                           : e.to.kind == EndpointKind::kMessenger
                               ? std::string("messenger")
                               : (names_ ? names_->Endpoint(e.to) : std::string("?"));
      open_outages_.emplace_back(e.to, timeline_.outages.size());
      timeline_.outages.push_back(
          {target, std::string(mocks::OutageModeName(static_cast<mocks::OutageMode>(e.reason))),
           e.time, end_});
      break;
    }
    case EntryType::kOutageEnd:
      for (auto it = open_outages_.begin(); it != open_outages_.end(); ++it) {
        if (it->first == e.to) {
          timeline_.outages[it->second].end = e.time;
          open_outages_.erase(it);
          break;
        }
      }
      break;
    case EntryType::kDrainStart:
      timeline_.drain_start = {e.time};
      break;
    default:
      break;
  }
}

void MetricsCollector::Finish() {
  if (finished_) return;
  finished_ = true;
  SnapshotUntil(kSimTimeMax);
  latencies_ = alerts_.SortedLatencies();
  for (const Revocation& r : revocations_) {
    if (r.requested >= 0) revocation_latencies_.push_back(r.last - r.requested);
  }
  std::sort(revocation_latencies_.begin(), revocation_latencies_.end());
  bank_latencies_.resize(names_ != nullptr ? names_->banks.size() : 0);
  for (const auto& a : alerts_.alerts()) {
    const mocks::BankIndex b = a.detected.bank;
    if (b == mocks::kNoBank) continue;
    if (b >= bank_latencies_.size()) bank_latencies_.resize(std::size_t(b) + 1);
    if (a.displays > 0) bank_latencies_[b].push_back(a.first_display.time - a.detected.time);
  }
  for (auto& v : bank_latencies_) std::sort(v.begin(), v.end());
  const auto& bounds = histogram_.upper_bounds_seconds;
  for (SimTime l : latencies_) {
    double s = ToSeconds(l);
    auto i = std::size_t(std::lower_bound(bounds.begin(), bounds.end(), s) - bounds.begin());
    ++histogram_.counts[i];
  }
}

std::vector<std::pair<std::string, double>> MetricsCollector::Metrics() const {
  auto d = [](std::uint64_t v) { return double(v); };
  SimTime max = latencies_.empty() ? 0 : latencies_.back();
  std::vector<std::pair<std::string, double>> out = {
      {"consents_granted", d(consents_granted_)},
      {"consents_revoked", d(consents_revoked_)},
      {"consents_expired", d(consents_expired_)},
      {"consents_rejected", d(consents_rejected_)},
      {"api_requests", d(api_requests_)},
      {"api_ok_200", d(by_status_[k200])},
      {"api_denied_401", d(by_status_[k401])},
      {"api_denied_403", d(by_status_[k403])},
      {"api_throttled_429", d(by_status_[k429])},
      {"api_errors_500", d(by_status_[k500])},
      {"api_unavailable_503", d(by_status_[k503])},
      {"api_timeouts", d(by_status_[kTimeout])},
      {"balance_checks", d(balance_checks_)},
      {"balance_answered", d(balance_answered_)},
      {"fraud_detected", d(fraud_detected_)},
      {"fraud_false_positives", d(fraud_false_positives_)},
      {"fraud_alerts_displayed", d(alerts_.displayed())},
      {"alerts_lost", d(alerts_.lost())},
      {"alerts_duplicated", d(alerts_.duplicated())},
      {"alerts_withheld", d(alerts_.withheld())},
      {"fraud_alert_latency_p50", ToSeconds(NearestRank(latencies_, 50))},
      {"fraud_alert_latency_p99", ToSeconds(NearestRank(latencies_, 99))},
      {"fraud_alert_latency_max", ToSeconds(max)},
      {"revocation_latency_p50", ToSeconds(NearestRank(revocation_latencies_, 50))},
      {"revocation_latency_p99", ToSeconds(NearestRank(revocation_latencies_, 99))},
      {"webhooks_sent", d(webhooks_sent_)},
      {"webhooks_retried", d(webhooks_retried_)},
      {"cache_items_max", d(cache_items_->size_max())},
      {"cache_puts", d(cache_puts_)},
      {"cache_purges", d(cache_purges_)},
      {"flows", d(flows_)},
      {"trace_entries", d(trace_entries_)},
  };
  static_assert(std::size(kPerBankMetricNames) == 2);
  for (std::size_t b = 0; b < bank_latencies_.size(); ++b) {
    const std::string bank =
        names_ != nullptr ? names_->Bank(mocks::BankIndex(b)) : "bank#" + std::to_string(b);
    out.emplace_back(std::string(kPerBankAlertCount) + "@" + bank, d(bank_latencies_[b].size()));
    out.emplace_back(std::string(kPerBankMetricNames[0]) + "@" + bank,
                     ToSeconds(NearestRank(bank_latencies_[b], 50)));
    out.emplace_back(std::string(kPerBankMetricNames[1]) + "@" + bank,
                     ToSeconds(NearestRank(bank_latencies_[b], 99)));
  }
  return out;
}

}  // namespace bpsim::harness
