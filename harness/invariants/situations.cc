#include "harness/invariants/situations.h"

#include <string_view>

namespace bpsim::harness {

using mocks::EndpointKind;
using mocks::EntryType;
using mocks::TraceEntry;
using mocks::TypeBit;

namespace {
constexpr std::uint64_t kCacheBits =
    TypeBit(EntryType::kCachePut) | TypeBit(EntryType::kCachePurge);
}  // namespace

Result<std::unique_ptr<SituationTracker>> SituationTracker::Make(
    const std::vector<Situation>& situations, const MonitorContext& context) {
  static const mocks::TraceNames kNoNames;
  std::unique_ptr<SituationTracker> t(new SituationTracker());
  // Types each built-in reads, in kSituationNames order.
  static constexpr std::uint64_t kMasks[] = {
      TypeBit(EntryType::kApiRequest) | TypeBit(EntryType::kApiResponse) |
          TypeBit(EntryType::kConsentRevoked) | TypeBit(EntryType::kRevokeRequested),
      TypeBit(EntryType::kOutageStart) | TypeBit(EntryType::kOutageEnd) |
          TypeBit(EntryType::kAlertQueued),
      TypeBit(EntryType::kApiResponse),
      TypeBit(EntryType::kWebhookSent),
      kCacheBits | TypeBit(EntryType::kConsentExpired),
      TypeBit(EntryType::kWebhookReceived),
      TypeBit(EntryType::kRevokeRequested),
      TypeBit(EntryType::kConsentRevoked),
      TypeBit(EntryType::kConsentRejected),
      TypeBit(EntryType::kBalanceCheck),
      TypeBit(EntryType::kApiResponse),
      TypeBit(EntryType::kFraudDetected)};
  static_assert(std::size(kMasks) == std::size(kSituationNames));
  for (const Situation& s : situations) {
    if (s.pattern) {
      auto p = CompiledPattern::Compile(*s.pattern, context.names ? *context.names : kNoNames);
      if (!p) {
        return Error{"sometimes (line " +
                     std::to_string(s.pattern->line ? s.pattern->line : s.line) +
                     "): " + p.error().message};
      }
      t->mask_ |= p->type_mask();
      t->entries_.push_back({Builtin::kPattern, t->patterns_.size(), 0});
      t->patterns_.push_back(std::move(p).value());
      continue;
    }
    std::size_t i = 0;
    while (i < std::size(kSituationNames) && s.name != kSituationNames[i]) ++i;
    if (i == std::size(kSituationNames)) {
      return Error{"sometimes (line " + std::to_string(s.line) + "): unknown situation '" + s.name +
                   "'"};
    }
    t->mask_ |= kMasks[i];
    t->entries_.push_back({static_cast<Builtin>(i), 0, 0});
  }
  return t;
}

std::uint32_t& SituationTracker::Slot(std::vector<std::uint32_t>& v, std::uint64_t id) {
  if (id >= v.size()) v.resize(std::max<std::size_t>(id + 1, v.size() * 2));
  return v[id];
}

void SituationTracker::OnEntry(const TraceEntry& e) {
  for (Entry& s : entries_) {
    if (Happened(s.builtin, e) ||
        (s.builtin == Builtin::kPattern && patterns_[s.pattern].Matches(e))) {
      ++s.count;
    }
  }
  // State updates after the checks: an entry is judged against the state before it.
  const std::uint64_t bit = TypeBit(e.type);
  if (bit & (TypeBit(EntryType::kApiRequest) | TypeBit(EntryType::kApiResponse))) {
    if (e.consent != 0 && (mask_ & TypeBit(EntryType::kConsentRevoked))) {
      std::uint32_t& n = Slot(requests_in_flight_, e.consent);
      if (e.type == EntryType::kApiRequest) {
        ++n;
      } else if (n > 0) {
        --n;
      }
    }
  } else if (e.type == EntryType::kOutageStart || e.type == EntryType::kOutageEnd) {
    if (e.to.kind == EndpointKind::kMessenger) {
      messenger_outages_ += e.type == EntryType::kOutageStart ? 1 : -1;
    }
  } else if (bit & kCacheBits) {
    if (e.type == EntryType::kCachePut) {
      auto [consent, inserted] = cache_.insert(e.ref, e.consent);
      if (!inserted) {
        if (*consent != 0) --Slot(cached_items_, *consent);
        *consent = e.consent;
      }
      if (e.consent != 0) ++Slot(cached_items_, e.consent);
    } else if (mocks::ConsentId* consent = cache_.find(e.ref); consent != nullptr) {
      if (*consent != 0) --Slot(cached_items_, *consent);
      cache_.erase(e.ref);
    }
  } else if (e.type == EntryType::kWebhookReceived) {
    webhooks_seen_.insert(e.ref * 2 + (e.reason ? 1 : 0));
  }
}

bool SituationTracker::Happened(Builtin b, const TraceEntry& e) {
  switch (b) {
    case Builtin::kRevocationWithRequestInFlight:
      return (e.type == EntryType::kConsentRevoked || e.type == EntryType::kRevokeRequested) &&
             e.consent != 0 && Slot(requests_in_flight_, e.consent) > 0;
    case Builtin::kAlertQueuedDuringMessengerOutage:
      return e.type == EntryType::kAlertQueued && messenger_outages_ > 0;
    case Builtin::kRequestThrottled429:
      return e.type == EntryType::kApiResponse && e.status == 429;
    case Builtin::kWebhookRetried:
      return e.type == EntryType::kWebhookSent && e.value >= 2;
    case Builtin::kConsentExpiredWhileCached:
      return e.type == EntryType::kConsentExpired && e.consent != 0 &&
             Slot(cached_items_, e.consent) > 0;
    case Builtin::kWebhookDuplicated:
      return e.type == EntryType::kWebhookReceived &&
             webhooks_seen_.count(e.ref * 2 + (e.reason ? 1 : 0)) > 0;
    case Builtin::kRevocationViaMessenger:
      return e.type == EntryType::kRevokeRequested &&
             e.reason == std::uint8_t(mocks::Via::kMessenger);
    case Builtin::kRevocationViaBank:
      return e.type == EntryType::kConsentRevoked && e.reason == std::uint8_t(mocks::Via::kBank);
    case Builtin::kConsentRejected:
      return e.type == EntryType::kConsentRejected;
    case Builtin::kBalanceAskedInGroup:
      return e.type == EntryType::kBalanceCheck && e.to.kind == EndpointKind::kGroupChat;
    case Builtin::kRequestTimedOut:
      return e.type == EntryType::kApiResponse && e.status == 0;
    case Builtin::kFraudFalsePositive:
      return e.type == EntryType::kFraudDetected && e.reason == 0;
    case Builtin::kPattern:
      return false;
  }
  return false;
}

}  // namespace bpsim::harness
