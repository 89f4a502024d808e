#include "harness/invariants/tracking.h"

#include <cmath>

namespace bpsim::harness {

using mocks::EntryType;
using mocks::TraceEntry;

reports::EvidenceItem Evidence(const mocks::TraceNames* names, const TraceEntry& e) {
  static const mocks::TraceNames kNoNames;
  return {e.time, mocks::DescribeEntry(names != nullptr ? *names : kNoNames, e)};
}

TraceEntry CacheItemTable::Item::Put(std::uint64_t key) const {
  TraceEntry put;
  put.type = EntryType::kCachePut;
  put.time = put_time;
  put.value = put_time;
  put.subject = subject;
  put.bank = mocks::BankIndex(bank);
  put.consent = consent;
  put.categories = mocks::CategorySet(categories);
  put.ref = key;
  return put;
}

bool ConsentRecord::Covers(mocks::CategorySet categories) const {
  for (int c = 0; c < mocks::kCategoryCount; ++c) {
    auto cat = static_cast<mocks::Category>(c);
    if (!(categories & mocks::CategoryBit(cat))) continue;
    if (cat == mocks::Category::kAlert) {
      if (!(purposes & mocks::kPurposeFraudAlerts)) return false;
    } else if (!(scopes & mocks::ScopeFor(cat))) {
      return false;
    }
  }
  return true;
}

void ConsentTable::OnEntry(const TraceEntry& e) {
  if (!(kTypeMask & mocks::TypeBit(e.type)) || e.consent == 0) return;
  records_.GrowTo(std::size_t(e.consent) + 1);
  ConsentRecord& r = records_[e.consent];
  r.subject = e.subject;
  r.bank = e.bank;
  r.scopes = e.scopes;
  r.purposes = e.consent_purposes;
  r.expiry = e.value;
  switch (e.type) {
    case EntryType::kConsentCreated:
      r.state = ConsentRecord::kAwaiting;
      r.created_time = e.time;
      break;
    case EntryType::kConsentAuthorised:
      r.state = ConsentRecord::kAuthorised;
      r.authorised_time = e.time;
      break;
    case EntryType::kConsentRejected:
      r.state = ConsentRecord::kRejected;
      r.end_time = e.time;
      break;
    case EntryType::kConsentRevoked:
      r.state = ConsentRecord::kRevoked;
      r.end_time = e.time;
      r.end_reason = e.reason;
      break;
    case EntryType::kConsentExpired:
      r.state = ConsentRecord::kExpired;
      r.end_time = e.time;
      break;
    default:
      break;
  }
}

void ConsentTable::AppendEvidence(const mocks::TraceNames* names, mocks::ConsentId id,
                                  bool with_end, std::vector<reports::EvidenceItem>& out) const {
  const ConsentRecord* r = Find(id);
  if (r == nullptr) return;
  TraceEntry e;
  e.subject = r->subject;
  e.bank = r->bank;
  e.consent = id;
  e.scopes = r->scopes;
  e.consent_purposes = r->purposes;
  e.value = r->expiry;
  auto add = [&](EntryType type, SimTime t, std::uint8_t reason) {
    e.type = type;
    e.time = t;
    e.reason = reason;
    out.push_back(Evidence(names, e));
  };
  if (r->created_time >= 0) add(EntryType::kConsentCreated, r->created_time, 0);
  if (r->authorised_time >= 0) add(EntryType::kConsentAuthorised, r->authorised_time, 0);
  if (with_end && r->end_time >= 0) {
    EntryType t = r->state == ConsentRecord::kRejected  ? EntryType::kConsentRejected
                  : r->state == ConsentRecord::kRevoked ? EntryType::kConsentRevoked
                                                        : EntryType::kConsentExpired;
    add(t, r->end_time, r->end_reason);
  }
}

AlertDeliveryTracker::Outcome AlertDeliveryTracker::OnEntry(const TraceEntry& e,
                                                            const Alert** alert) {
  if (e.type == EntryType::kFraudDetected) {
    const ConsentRecord* c = consents_->Find(e.consent);
    bool alertable = c != nullptr && c->ActiveAt(e.time) && c->subject == e.subject &&
                     (c->purposes & mocks::kPurposeFraudAlerts);
    if (alertable) {
      index_by_ref_.emplace(e.ref, alerts_.size());
      alerts_.push_back(Alert{e, TraceEntry{}, 0, true});
    }
    return Outcome::kNone;
  }
  if (e.type == EntryType::kAlertDisplayed) {
    auto it = index_by_ref_.find(e.ref);
    if (it == index_by_ref_.end()) return Outcome::kNone;
    Alert& a = alerts_[it->second];
    if (e.to.kind != mocks::EndpointKind::kChat || e.to.id != a.detected.subject) {
      return Outcome::kNone;
    }
    if (alert != nullptr) *alert = &a;
    if (++a.displays == 1) {
      a.first_display = e;
      ++displayed_;
      if (a.withheld) {  // an earlier attempt got through after all
        a.withheld = false;
        --withheld_;
      }
      return Outcome::kFirstDisplay;
    }
    ++duplicated_;
    return Outcome::kDuplicate;
  }
  if (e.type == EntryType::kWebhookWithheld) {
    auto it = index_by_ref_.find(e.ref);
    if (it == index_by_ref_.end() || e.reason != std::uint8_t(mocks::WebhookKind::kFraudAlert)) {
      return Outcome::kNone;
    }
    Alert& a = alerts_[it->second];
    const ConsentRecord* c = consents_->Find(a.detected.consent);
    const bool consent_over = c == nullptr || !c->ActiveAt(e.time);
    if (consent_over && a.displays == 0 && !a.withheld) {
      a.withheld = true;
      ++withheld_;
    }
    return Outcome::kNone;
  }
  consents_.AfterEntry(e);
  return Outcome::kNone;
}

std::vector<SimTime> AlertDeliveryTracker::SortedLatencies() const {
  std::vector<SimTime> v;
  v.reserve(displayed_);
  for (const Alert& a : alerts_) {
    if (a.displays > 0) v.push_back(a.first_display.time - a.detected.time);
  }
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace bpsim::harness
