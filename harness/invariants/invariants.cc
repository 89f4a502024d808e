// The nine built-in invariant monitors (docs/invariants.md).

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <unordered_map>

#include "harness/invariants/monitor.h"
#include "harness/invariants/paged_vector.h"
#include "harness/invariants/tracking.h"

namespace bpsim::harness {
namespace {

// A duration compared with a bound in a violation's message, written in the one
// human format (DescribeDuration) but with every nanosecond kept: a request sent
// 5s + 1ns after a grace of 5s must not read "5s after ... grace 5s".
std::string ExactDuration(SimTime t) {
  if (t <= 0 || t % kMillisecond == 0) return DescribeDuration(t);
  std::string out = t >= kMinute ? DescribeDuration(t - t % kMinute) + " " : "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(t % kMinute / kSecond),
                static_cast<long long>(t % kSecond));
  std::string seconds = buf;
  while (seconds.back() == '0') seconds.pop_back();
  return out + seconds + "s";
}

using mocks::EndpointKind;
using mocks::EntryType;
using mocks::TraceEntry;
using mocks::TypeBit;

constexpr std::uint64_t kFlowBit = TypeBit(EntryType::kFlow);

std::string Categories(mocks::CategorySet set) {
  std::string s;
  for (int c = 0; c < mocks::kCategoryCount; ++c) {
    if (set & (1u << c)) {
      if (!s.empty()) s += ',';
      s += mocks::CategoryName(static_cast<mocks::Category>(c));
    }
  }
  return s.empty() ? "nothing" : s;
}

std::string Scopes(mocks::ScopeSet set) {
  std::string s;
  for (int i = 0; i < 3; ++i) {
    if (set & (1u << i)) {
      if (!s.empty()) s += ',';
      s += mocks::ScopeName(static_cast<mocks::Scope>(1u << i));
    }
  }
  return s.empty() ? "none" : s;
}

std::int64_t SubjectOf(const TraceEntry& e) {
  return e.subject == mocks::kNoSubject ? -1 : std::int64_t(e.subject);
}

bool IsBankRelease(const TraceEntry& e) {
  return e.type == EntryType::kFlow && e.labelled && e.from.kind == EndpointKind::kBank;
}

// A labelled flow that shows kept bank data (accounts, balances, transactions) in a
// chat, private or group. An alert is a notice, not kept data: it is not counted.
bool IsDisplayOfKeptData(const TraceEntry& e) {
  return e.labelled &&
         (e.to.kind == EndpointKind::kChat || e.to.kind == EndpointKind::kGroupChat) &&
         (e.categories & ~mocks::CategoryBit(mocks::Category::kAlert)) != 0;
}

// Base for the invariants: id, mask, and a helper to report with evidence.
class InvariantMonitor : public Monitor {
 public:
  InvariantMonitor(const InvariantConfig& config, const MonitorContext& context, std::uint64_t mask)
      : Monitor(context), config_(config), mask_(mask) {}
  const std::string& id() const override { return config_.id; }
  std::uint64_t type_mask() const override { return mask_; }
  void Finish(SimTime) override {}

 protected:
  const mocks::TraceNames& names() const {
    static const mocks::TraceNames kNoNames;
    return context().names != nullptr ? *context().names : kNoNames;
  }
  void ReportWith(SimTime t, std::int64_t subject, std::string message,
                  std::vector<reports::EvidenceItem> evidence) {
    Report(reports::Violation{config_.id, t, subject, std::move(message), std::move(evidence)});
  }
  reports::EvidenceItem Ev(const TraceEntry& e) const { return Evidence(context().names, e); }

  InvariantConfig config_;

 private:
  std::uint64_t mask_;
};

// 1. consent-before-access
class ConsentBeforeAccess final : public InvariantMonitor {
 public:
  ConsentBeforeAccess(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, ConsentTable::kTypeMask | kFlowBit) {}

  void OnEntry(const TraceEntry& e) override {
    if (e.type != EntryType::kFlow) {
      consents_.AfterEntry(e);
      return;
    }
    if (!IsBankRelease(e)) return;
    const ConsentRecord* c = consents_->Find(e.consent);
    std::string why;
    if (e.consent == 0) {
      why = "no consent";
    } else if (c == nullptr) {
      why = "consent " + std::to_string(e.consent) + ", which the bank never created";
    } else if (c->state != ConsentRecord::kAuthorised) {
      static constexpr const char* kStates[] = {
          "unknown", "awaiting authorisation", "authorised", "rejected", "revoked", "expired"};
      why = "consent " + std::to_string(e.consent) + ", which was " + kStates[c->state];
    } else if (e.time >= c->expiry) {
      why = "consent " + std::to_string(e.consent) + ", which expired at " +
            mocks::FormatInstant(c->expiry);
    } else if (c->subject != e.subject) {
      why = "consent " + std::to_string(e.consent) + ", which belongs to customer " +
            std::to_string(c->subject);
    } else if (!c->Covers(e.categories)) {
      why = "consent " + std::to_string(e.consent) + ", which does not cover " +
            Categories(e.categories);
    } else {
      return;
    }
    std::vector<reports::EvidenceItem> ev;
    consents_->AppendEvidence(context().names, e.consent, true, ev);
    if (c != nullptr && c->state == ConsentRecord::kAuthorised && e.time >= c->expiry) {
      ev.push_back({c->expiry, mocks::FormatInstant(c->expiry) + " consent " +
                                   std::to_string(e.consent) + " reached its expiry"});
    }
    ev.push_back(Ev(e));
    ReportWith(e.time, SubjectOf(e),
               names().Endpoint(e.from) + " released " + Categories(e.categories) +
                   " of customer " + std::to_string(e.subject) + " under " + why,
               std::move(ev));
  }

 private:
  ConsentTables consents_{context().consents};
};

// 2. revocation-honoured
class RevocationHonoured final : public InvariantMonitor {
 public:
  RevocationHonoured(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x,
                         ConsentTable::kTypeMask | TypeBit(EntryType::kRevokeRequested) |
                             TypeBit(EntryType::kWebhookReceived) |
                             TypeBit(EntryType::kApiResponse) | TypeBit(EntryType::kApiRequest) |
                             TypeBit(EntryType::kCachePut) | TypeBit(EntryType::kCachePurge) |
                             kFlowBit) {}

  void OnEntry(const TraceEntry& e) override {
    CheckDeadlines(e.time, false);
    switch (e.type) {
      case EntryType::kRevokeRequested:  // asked in the messenger: the platform knows
        if (e.reason == std::uint8_t(mocks::Via::kMessenger)) Told(e);
        break;
      case EntryType::kWebhookReceived:
        if (e.reason == std::uint8_t(mocks::WebhookKind::kConsentRevoked)) Told(e);
        break;
      case EntryType::kApiResponse:
        if (e.status == 403 && e.reason == std::uint8_t(mocks::DenyReason::kConsentInactive)) {
          Told(e);
        }
        break;
      case EntryType::kApiRequest:
        OnRequest(e);
        break;
      case EntryType::kCachePut:
        OnPut(e);
        break;
      case EntryType::kCachePurge:
        break;
      case EntryType::kFlow:
        if (IsDisplayOfKeptData(e)) OnDisplay(e);
        return;
      default:
        consents_.AfterEntry(e);
        if (e.type == EntryType::kConsentAuthorised && e.consent != 0) {
          State& s = state(e.consent);
          if (!s.deadline_passed && s.told_entry < 0) {
            markers_.Push(AddSat(e.value, config_.purge_within), e.consent);
          }
        }
        break;
    }
    items_.AfterEntry(e);
  }

  void Finish(SimTime end) override { CheckDeadlines(end, true); }

  // A cache put reads its consent's state (OnPut): one memory miss per put unless
  // the state is fetched while the entry waits in the forwarder.
  std::uint64_t lookahead_mask() const override { return TypeBit(EntryType::kCachePut); }
  void Ahead(const TraceEntry& e) const override {
    if (e.consent < states_.size()) bpsim::Prefetch(&states_[e.consent]);
  }

 private:
  using Item = CacheItemTable::Item;
  using KeyGeneration = std::pair<std::uint64_t, std::uint64_t>;
  // One consent's state, on one cache line. The cache items put under the consent
  // that may still be live: the latest generation of each key, in the order of
  // those puts (an earlier put under the same key is dead: the table holds one item
  // per key), so a deadline reports them in the order it always did. The simulated
  // platform caches at most kInlineItems items per customer and a consent is one
  // customer's, so they fit here; a consent with more keys moves its list to
  // spilled_ (appended, and pruned of dead items as the list doubles).
  static constexpr std::uint8_t kInlineItems = 3;
  static constexpr std::uint8_t kSpilled = 0xff;  // `count`: the list is in spilled_
  struct alignas(64) State {
    SimTime told = kSimTimeMax;    // explicit notice
    std::int32_t told_entry = -1;  // index into told_entries_
    bool deadline_passed = false;  // purge deadline judged; later puts are late at once
    std::uint8_t count = 0;        // items used, or kSpilled
    KeyGeneration items[kInlineItems];
  };
  static_assert(sizeof(State) == 64);

  State& state(mocks::ConsentId id) {
    states_.GrowTo(std::size_t(id) + 1);
    return states_[id];
  }
  // When the platform knew the consent was over: the first notice or the expiry.
  // Read on every request and every display, for consents nearly all never told: the
  // bit set answers those without the consent's state (a memory miss each).
  SimTime ToldTime(mocks::ConsentId id) {
    const ConsentRecord* r = consents_->Find(id);
    SimTime expiry = r != nullptr && r->authorised_seen() ? r->expiry : kSimTimeMax;
    const bool noticed = id < noticed_.size() && noticed_[id];
    return std::min(noticed ? states_[id].told : kSimTimeMax, expiry);
  }

  void Told(const TraceEntry& e) {
    if (e.consent == 0) return;
    State& s = state(e.consent);
    if (s.told_entry >= 0 || e.time >= ToldTime(e.consent)) return;
    if (e.consent >= noticed_.size()) noticed_.resize(states_.size());
    noticed_[e.consent] = true;
    s.told = e.time;
    s.told_entry = std::int32_t(told_entries_.size());  // one per consent: far below 2^31
    told_entries_.push_back(e);
    if (!s.deadline_passed) markers_.Push(AddSat(e.time, config_.purge_within), e.consent);
  }

  // Evidence: granted, told, then `last`.
  std::vector<reports::EvidenceItem> Chain(mocks::ConsentId id) {
    std::vector<reports::EvidenceItem> ev;
    consents_->AppendEvidence(context().names, id, false, ev);
    const State& s = state(id);
    SimTime told = ToldTime(id);
    if (s.told_entry >= 0 && s.told == told) {
      ev.push_back(Ev(told_entries_[std::size_t(s.told_entry)]));
    } else {
      ev.push_back({told, mocks::FormatInstant(told) + " consent " + std::to_string(id) +
                              " reached its expiry (known to the platform since authorisation)"});
    }
    return ev;
  }
  std::string How(mocks::ConsentId id) {
    const State& s = state(id);
    if (s.told_entry < 0 || s.told != ToldTime(id)) return "it expired";
    const TraceEntry& t = told_entries_[std::size_t(s.told_entry)];
    if (t.type == EntryType::kRevokeRequested) return "the customer revoked it in the messenger";
    if (t.type == EntryType::kWebhookReceived) return "the bank's revocation webhook arrived";
    return "the bank answered 403 consent_inactive";
  }

  // `e` under consent C came later than told(C) + `allowed`: `what()` (evaluated only
  // then) happened so long after the platform was told.
  template <typename What>
  void ReportAfterNotice(const TraceEntry& e, SimTime allowed, const char* allowance, What what) {
    if (e.consent == 0) return;
    SimTime told = ToldTime(e.consent);
    if (told == kSimTimeMax || e.time <= AddSat(told, allowed)) return;
    auto ev = Chain(e.consent);
    ev.push_back(Ev(e));
    ReportWith(e.time, SubjectOf(e),
               what() + " " + ExactDuration(e.time - told) +
                   " after the platform was told the consent was over (" + How(e.consent) +
                   "; " + allowance + " " + DescribeDuration(allowed) + ")",
               std::move(ev));
  }

  void OnRequest(const TraceEntry& e) {
    ReportAfterNotice(e, config_.grace, "grace", [&] {
      return "api.request #" + std::to_string(e.ref) + " for " + Categories(e.categories) +
             " under consent " + std::to_string(e.consent) + " was sent";
    });
  }

  // Data of consent C shown in a chat after told(C) + purge_within: the platform
  // still held it (a black box shows this too: live mode's canaries).
  void OnDisplay(const TraceEntry& e) {
    ReportAfterNotice(e, config_.purge_within, "purge_within", [&] {
      return Categories(e.categories) + " of customer " + std::to_string(e.subject) +
             " under consent " + std::to_string(e.consent) + " was shown in " +
             names().Endpoint(e.to);
    });
  }

  // The table holds the items before this put (it is applied after the monitors).
  void OnPut(const TraceEntry& e) {
    if (e.consent == 0) return;
    const std::uint64_t generation = items_->next_generation();
    State& s = state(e.consent);
    if (s.deadline_passed) {
      ReportItem(e.ref, Item{e.time, generation, e.bank, e.categories, std::uint32_t(e.consent),
                             e.subject},
                 e.time);
      return;
    }
    if (s.count != kSpilled) {
      const KeyGeneration put{e.ref, generation};
      KeyGeneration* end = s.items + s.count;
      KeyGeneration* same =
          std::find_if(s.items, end, [&](const KeyGeneration& ki) { return ki.first == e.ref; });
      if (same != end) {  // the key's earlier put is dead now: this one goes last
        std::copy(same + 1, end, same);
        end[-1] = put;
        return;
      }
      if (s.count < kInlineItems) {
        *end = put;
        ++s.count;
        return;
      }
      spilled_[e.consent].assign(s.items, end);
      s.count = kSpilled;
    }
    std::vector<KeyGeneration>& list = spilled_[e.consent];
    list.emplace_back(e.ref, generation);
    std::size_t n = list.size();
    if (n >= 16 && (n & (n - 1)) == 0) {  // drop keys purged or replaced since
      std::erase_if(list, [&](const KeyGeneration& ki) {
        return ki.second != generation && !items_->Live(ki.first, ki.second);
      });
    }
  }

  void ReportItem(std::uint64_t key, const Item& item, SimTime t) {
    auto ev = Chain(item.consent);
    const TraceEntry put = item.Put(key);
    ev.push_back(Ev(put));
    SimTime deadline = AddSat(ToldTime(item.consent), config_.purge_within);
    std::string what = item.put_time > deadline
                           ? " was put at " + mocks::FormatInstant(item.put_time) +
                                 ", after its purge deadline " + mocks::FormatInstant(deadline)
                           : " was still cached at " + mocks::FormatInstant(deadline);
    ReportWith(t, item.subject == mocks::kNoSubject ? -1 : std::int64_t(item.subject),
               "cache item #" + std::to_string(key) + " (" + Categories(item.categories) +
                   ") under consent " + std::to_string(item.consent) + what + ", " +
                   DescribeDuration(config_.purge_within) + " after the platform was told the " +
                   "consent was over (" + How(item.consent) + ")",
               std::move(ev));
  }

  // Judges every consent whose purge deadline is < now (or <= end in Finish).
  void CheckDeadlines(SimTime now, bool at_end) {
    while (!markers_.empty() &&
           (markers_.next_deadline() < now || (at_end && markers_.next_deadline() <= now))) {
      SimTime deadline = markers_.next_deadline();
      mocks::ConsentId id = markers_.Pop();
      State& s = state(id);
      if (s.deadline_passed || deadline != AddSat(ToldTime(id), config_.purge_within)) continue;
      s.deadline_passed = true;
      std::vector<KeyGeneration> spilled;
      if (s.count == kSpilled) {
        auto it = spilled_.find(id);
        spilled = std::move(it->second);
        spilled_.erase(it);
      }
      const KeyGeneration* first = s.count == kSpilled ? spilled.data() : s.items;
      const KeyGeneration* last = s.count == kSpilled ? first + spilled.size() : s.items + s.count;
      s.count = 0;  // later puts are reported at once (deadline_passed)
      for (const KeyGeneration* ki = first; ki != last; ++ki) {
        if (items_->Live(ki->first, ki->second)) {
          ReportItem(ki->first, *items_->Find(ki->first), deadline);
        }
      }
    }
  }

  ConsentTables consents_{context().consents};
  PagedVector<State> states_;  // by consent id, read at random: on huge pages
  std::vector<bool> noticed_;  // by consent id: states_[id].told is set
  std::unordered_map<mocks::ConsentId, std::vector<KeyGeneration>> spilled_;
  std::vector<TraceEntry> told_entries_;
  CacheItems items_{context().cache_items};
  DeadlineQueue<mocks::ConsentId> markers_;
};

// 3. purpose-limitation
class PurposeLimitation final : public InvariantMonitor {
 public:
  PurposeLimitation(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, kFlowBit) {}
  void OnEntry(const TraceEntry& e) override {
    if (!e.labelled) return;
    mocks::PurposeSet needed = 0;
    switch (e.to.kind) {
      case EndpointKind::kAds:
        needed = mocks::kPurposeAds;
        break;
      case EndpointKind::kAnalytics:
        needed = mocks::kPurposeAnalytics;
        break;
      case EndpointKind::kChat:
      case EndpointKind::kGroupChat:
        needed = e.purpose;
        break;
      default:
        return;
    }
    mocks::PurposeSet missing = needed & ~e.consent_purposes;
    if (missing == 0) return;
    std::string purposes;
    for (int i = 0; i < 5; ++i) {
      if (missing & (1u << i)) {
        if (!purposes.empty()) purposes += ',';
        purposes += mocks::PurposeName(static_cast<mocks::Purpose>(1u << i));
      }
    }
    ReportWith(e.time, SubjectOf(e),
               std::string(e.derived ? "data derived from " : "") + Categories(e.categories) +
                   " of customer " + std::to_string(e.subject) + " reached " +
                   names().Endpoint(e.to) + " for " + purposes + ", a purpose consent " +
                   std::to_string(e.consent) + " does not name",
               {Ev(e)});
  }
};

// 4. no-third-party-sharing
class NoThirdPartySharing final : public InvariantMonitor {
 public:
  NoThirdPartySharing(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, kFlowBit) {}
  void OnEntry(const TraceEntry& e) override {
    if (!e.labelled || e.to.kind != EndpointKind::kPartner) return;
    ReportWith(e.time, SubjectOf(e),
               std::string(e.derived ? "data derived from " : "") + Categories(e.categories) +
                   " of customer " + std::to_string(e.subject) + " was handed to " +
                   names().Endpoint(e.to),
               {Ev(e)});
  }
};

// 5. subject-isolation
class SubjectIsolation final : public InvariantMonitor {
 public:
  SubjectIsolation(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, kFlowBit) {}
  void OnEntry(const TraceEntry& e) override {
    if (!e.labelled) return;
    bool wrong = e.to.kind == EndpointKind::kGroupChat ||
                 (e.to.kind == EndpointKind::kChat && e.to.id != e.subject);
    if (!wrong) return;
    ReportWith(e.time, SubjectOf(e),
               std::string(e.derived ? "data derived from " : "") + Categories(e.categories) +
                   " of customer " + std::to_string(e.subject) + " was shown in " +
                   names().Endpoint(e.to) + ", not in chat:" + std::to_string(e.subject),
               {Ev(e)});
  }
};

// 6. data-minimisation
class DataMinimisation final : public InvariantMonitor {
 public:
  DataMinimisation(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, ConsentTable::kTypeMask | TypeBit(EntryType::kApiRequest)) {}
  void OnEntry(const TraceEntry& e) override {
    if (e.type != EntryType::kApiRequest) {
      consents_.AfterEntry(e);
      return;
    }
    const ConsentRecord* c = consents_->Find(e.consent);
    if (c != nullptr && c->Covers(e.categories)) return;
    std::vector<reports::EvidenceItem> ev;
    consents_->AppendEvidence(context().names, e.consent, false, ev);
    ev.push_back(Ev(e));
    std::string what =
        c == nullptr ? "consent " + std::to_string(e.consent) + ", which the bank never created"
                     : "consent " + std::to_string(e.consent) + ", whose scopes are only " +
                           Scopes(c->scopes);
    ReportWith(e.time, SubjectOf(e),
               "api.request #" + std::to_string(e.ref) + " asked for " + Categories(e.categories) +
                   " under " + what,
               std::move(ev));
  }

 private:
  ConsentTables consents_{context().consents};
};

// 7. retention-limit
class RetentionLimit final : public InvariantMonitor {
 public:
  RetentionLimit(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x,
                         TypeBit(EntryType::kCachePut) | TypeBit(EntryType::kCachePurge) |
                             kFlowBit) {}

  // The table holds the items before this entry (it is applied after the monitors).
  void OnEntry(const TraceEntry& e) override {
    Check(e.time, false);
    if (e.type == EntryType::kFlow) {
      if (IsDisplayOfKeptData(e)) OnDisplay(e);
      return;
    }
    if (e.type == EntryType::kCachePut) {
      // aux: when the bank served the cached datum.
      deadlines_.PushWith(Limit(e.aux), [&](Due& d) {
        d.key = e.ref;
        d.generation = items_->next_generation();
      });
    }
    items_.AfterEntry(e);
  }
  void Finish(SimTime end) override { Check(end, true); }

 private:
  struct Due {
    std::uint64_t key, generation;
  };
  SimTime Limit(SimTime served_at) const {
    return AddSat(AddSat(served_at, config_.max), config_.slack);
  }
  std::string Policy() const {
    return "the retention limit " + DescribeDuration(config_.max) + " + slack " +
           DescribeDuration(config_.slack);
  }

  // Shown in a chat longer than the limit after the bank served it: the platform
  // kept it that long, whatever its cache says (live mode's canaries show this too).
  void OnDisplay(const TraceEntry& e) {
    if (e.time <= Limit(e.aux)) return;
    ReportWith(e.time, SubjectOf(e),
               Categories(e.categories) + " of customer " + std::to_string(e.subject) +
                   " was shown in " + names().Endpoint(e.to) + " " +
                   ExactDuration(e.time - e.aux) + " after " + names().Endpoint(mocks::BankEndpoint(e.bank)) +
                   " served it at " + mocks::FormatInstant(e.aux) + ", past " + Policy(),
               {Ev(e)});
  }

  // Deadlines fall due nearly in put order (served = put - latency); the item of
  // the one this far behind is prefetched while this one is judged.
  static constexpr std::size_t kPrefetchAhead = 4;
  void Check(SimTime now, bool at_end) {
    while (!deadlines_.empty() &&
           (deadlines_.next_deadline() < now || (at_end && deadlines_.next_deadline() <= now))) {
      SimTime deadline = deadlines_.next_deadline();
      Due d = deadlines_.Pop();
      if (const Due* soon = deadlines_.FifoAhead(kPrefetchAhead)) items_->Prefetch(soon->key);
      const CacheItemTable::Item* item = items_->Find(d.key);
      if (item == nullptr || item->generation != d.generation) continue;
      const TraceEntry put = item->Put(d.key);
      ReportWith(deadline, SubjectOf(put),
                 "cache item #" + std::to_string(d.key) + " (" + Categories(put.categories) +
                     " of customer " + std::to_string(put.subject) + ") was still cached at " +
                     mocks::FormatInstant(deadline) + ", " + Policy() + " after " +
                     names().Endpoint(mocks::BankEndpoint(put.bank)) + " served it at " +
                     mocks::FormatInstant(deadline - config_.max - config_.slack),
                 {Ev(put)});
    }
  }
  CacheItems items_{context().cache_items};
  DeadlineQueue<Due> deadlines_;
};

// 8. fraud-alert-delivery
class FraudAlertDelivery final : public InvariantMonitor {
 public:
  FraudAlertDelivery(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, AlertDeliveryTracker::kTypeMask) {}

  void OnEntry(const TraceEntry& e) override {
    const AlertDeliveryTracker::Alert* a = nullptr;
    if (tracker_.OnEntry(e, &a) != AlertDeliveryTracker::Outcome::kDuplicate) return;
    ReportWith(e.time, SubjectOf(e),
               "fraud alert #" + std::to_string(e.ref) + " for customer " +
                   std::to_string(a->detected.subject) + " was displayed " +
                   std::to_string(a->displays) + " times in " + names().Endpoint(e.to),
               {Ev(a->detected), Ev(a->first_display), Ev(e)});
  }

  void Finish(SimTime end) override {
    std::uint64_t lost = tracker_.lost();
    if (lost > config_.lost) {
      for (const auto& a : tracker_.alerts()) {
        if (a.displays > 0 || a.withheld) continue;
        std::vector<reports::EvidenceItem> ev;
        tracker_.consents().AppendEvidence(context().names, a.detected.consent, false, ev);
        ev.push_back(Ev(a.detected));
        ReportWith(end, SubjectOf(a.detected),
                   "fraud alert #" + std::to_string(a.detected.ref) + " for customer " +
                       std::to_string(a.detected.subject) + " was never displayed (" +
                       std::to_string(lost) + " lost, at most " + std::to_string(config_.lost) +
                       " allowed)",
                   std::move(ev));
      }
    }
    std::vector<SimTime> latencies = tracker_.SortedLatencies();
    SimTime p99 = NearestRank(latencies, 99);
    if (latencies.empty() || p99 <= config_.p99) return;
    std::vector<reports::EvidenceItem> ev;
    for (const auto& a : tracker_.alerts()) {  // the first alert as slow as the p99
      if (a.displays > 0 && a.first_display.time - a.detected.time == p99) {
        ev = {Ev(a.detected), Ev(a.first_display)};
        break;
      }
    }
    ReportWith(end, -1,
               "the p99 of detection-to-display latency is " + ExactDuration(p99) + " over " +
                   std::to_string(latencies.size()) + " displayed alerts, above the " +
                   DescribeDuration(config_.p99) + " allowed",
               std::move(ev));
  }

 private:
  AlertDeliveryTracker tracker_{context().consents};
};

// 9. audit-complete
class AuditComplete final : public InvariantMonitor {
 public:
  AuditComplete(const InvariantConfig& c, const MonitorContext& x)
      : InvariantMonitor(c, x, TypeBit(EntryType::kAudit) | kFlowBit) {}
  void OnEntry(const TraceEntry& e) override {
    if (e.time != now_) {
      now_ = e.time;
      audits_.clear();
    }
    if (e.type == EntryType::kAudit) {
      audits_.push_back({e.bank, e.categories, e.ref});
      return;
    }
    if (!IsBankRelease(e)) return;
    for (std::size_t i = 0; i < audits_.size(); ++i) {
      const Audit& a = audits_[i];
      if (a.bank == e.from.id && a.categories == e.categories && a.ref == e.ref) {
        audits_.erase(audits_.begin() + std::ptrdiff_t(i));
        return;
      }
    }
    ReportWith(e.time, SubjectOf(e),
               names().Endpoint(e.from) + " released " + Categories(e.categories) +
                   " of customer " + std::to_string(e.subject) + " (#" + std::to_string(e.ref) +
                   ") without an audit record",
               {Ev(e)});
  }

 private:
  struct Audit {
    std::uint32_t bank;
    mocks::CategorySet categories;
    std::uint64_t ref;
  };
  SimTime now_ = -1;
  std::vector<Audit> audits_;  // audits at the current instant not yet matched
};

}  // namespace

std::unique_ptr<Monitor> MakeInvariantMonitor(const InvariantConfig& config,
                                              const MonitorContext& context) {
  const std::string& id = config.id;
  if (id == "consent-before-access") return std::make_unique<ConsentBeforeAccess>(config, context);
  if (id == "revocation-honoured") return std::make_unique<RevocationHonoured>(config, context);
  if (id == "purpose-limitation") return std::make_unique<PurposeLimitation>(config, context);
  if (id == "no-third-party-sharing") return std::make_unique<NoThirdPartySharing>(config, context);
  if (id == "subject-isolation") return std::make_unique<SubjectIsolation>(config, context);
  if (id == "data-minimisation") return std::make_unique<DataMinimisation>(config, context);
  if (id == "retention-limit") return std::make_unique<RetentionLimit>(config, context);
  if (id == "fraud-alert-delivery") return std::make_unique<FraudAlertDelivery>(config, context);
  if (id == "audit-complete") return std::make_unique<AuditComplete>(config, context);
  return nullptr;  // REQUIRES violated: not a built-in id
}

}  // namespace bpsim::harness
