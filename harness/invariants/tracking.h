#pragma once
// State shared by several monitors and the metrics collector: the consent table
// (what the bank said about each consent) and the fraud-alert delivery tracker
// (one definition of "alertable", "displayed", "duplicated", "lost" and latency, so
// the fraud-alert-delivery invariant and the alert metrics always agree).
//
// Both are fed with OnEntry() for every entry of their kTypeMask, in trace order;
// other entries are ignored. Memory: one small record per consent id (dense, ids
// are allocated from 1) and one record per fraud detection.

#include <algorithm>
#include <cstdint>
#include <queue>
#include <string>
#include <unordered_map>
#include <memory>
#include <vector>

#include "harness/invariants/flat_map.h"
#include "harness/invariants/paged_vector.h"
#include "mocks/trace.h"
#include "reports/result.h"
#include "sim/huge_pages.h"
#include "sim/percentile.h"
#include "sim/prefetch.h"
#include "sim/time.h"

namespace bpsim::harness {

// Saturating a + b for deadlines (kSimTimeMax means "never").
inline SimTime AddSat(SimTime a, SimTime b) { return a > kSimTimeMax - b ? kSimTimeMax : a + b; }

// "2s consent.revoked ..." evidence line for an entry.
reports::EvidenceItem Evidence(const mocks::TraceNames* names, const mocks::TraceEntry& e);

// One cache line each (alignas): at 48 bytes half the records straddled two lines,
// and the lookahead's prefetch (ConsentTable::Prefetch) asks for one.
struct alignas(64) ConsentRecord {
  enum State : std::uint8_t { kUnknown, kAwaiting, kAuthorised, kRejected, kRevoked, kExpired };
  State state = kUnknown;
  mocks::ScopeSet scopes = 0;
  mocks::PurposeSet purposes = 0;
  std::uint8_t end_reason = 0;  // Via of consent.revoked
  mocks::BankIndex bank = mocks::kNoBank;
  mocks::CustomerId subject = mocks::kNoSubject;
  SimTime expiry = kSimTimeMax;  // value of the latest life-cycle entry
  SimTime created_time = -1;     // -1 = not seen
  SimTime authorised_time = -1;
  SimTime end_time = -1;  // rejected / revoked / expired

  bool authorised_seen() const { return authorised_time >= 0; }
  // Authorised and time < expiry.
  bool ActiveAt(SimTime t) const { return state == kAuthorised && t < expiry; }
  // Whether the consent covers every category in `categories` (alert: the
  // fraud_alerts purpose; the others: mocks::ScopeFor).
  bool Covers(mocks::CategorySet categories) const;
};

// What the bank said about each consent. One table serves every reader
// (consent-before-access, revocation-honoured, data-minimisation,
// fraud-alert-delivery and the alert metrics), as CacheItemTable does for cache
// items: readers see it as it was before the entry they are handling, and its owner
// applies each life-cycle entry after every reader (ConsentTables below). One record
// per consent, not one per reader: the readers of an entry share its memory miss.
class ConsentTable final : public mocks::WorldTraceSubscriber {
 public:
  static constexpr std::uint64_t kTypeMask = mocks::TypeBit(mocks::EntryType::kConsentCreated) |
                                             mocks::TypeBit(mocks::EntryType::kConsentAuthorised) |
                                             mocks::TypeBit(mocks::EntryType::kConsentRejected) |
                                             mocks::TypeBit(mocks::EntryType::kConsentRevoked) |
                                             mocks::TypeBit(mocks::EntryType::kConsentExpired);

  void OnEntry(const mocks::TraceEntry& e) override;
  // nullptr if the bank never published a life-cycle entry for `id`.
  const ConsentRecord* Find(mocks::ConsentId id) const {
    if (id == 0 || id >= records_.size() || records_[id].state == ConsentRecord::kUnknown) {
      return nullptr;
    }
    return &records_[id];
  }
  // A hint that an entry under consent `id` comes soon (AsyncTraceForwarder::SetLookahead).
  [[gnu::always_inline]] void Prefetch(mocks::ConsentId id) const {
    if (id < records_.size()) bpsim::Prefetch(&records_[id]);
  }
  // The life-cycle entries of a consent as evidence, oldest first: created,
  // authorised, and the final one (rejected/revoked/expired) if `with_end` and seen.
  void AppendEvidence(const mocks::TraceNames* names, mocks::ConsentId id, bool with_end,
                      std::vector<reports::EvidenceItem>& out) const;

 private:
  PagedVector<ConsentRecord> records_;  // by id, read at random: on huge pages
};

// The table a reader consults: the shared one if it was given one (MonitorContext's
// consents or cache_items, borrowed), else one of its own, which the reader applies
// with AfterEntry() once it has handled each entry (a monitor or metrics collector
// used alone, as in tests and benchmarks). Either way the reader sees the table as it
// was before the current entry.
template <typename Table>
class SharedOrOwn {
 public:
  explicit SharedOrOwn(const Table* shared)
      : own_(shared == nullptr ? std::make_unique<Table>() : nullptr),
        table_(shared != nullptr ? shared : own_.get()) {}
  const Table* operator->() const { return table_; }
  const Table& operator*() const { return *table_; }
  // REQUIRES: called once for each entry the reader handles (the table ignores types
  // outside its kTypeMask), after the reader has handled it.
  void AfterEntry(const mocks::TraceEntry& e) {
    if (own_ != nullptr) own_->OnEntry(e);
  }

 private:
  std::unique_ptr<Table> own_;
  const Table* table_;
};

// The consent table a reader consults (MonitorContext::consents).
using ConsentTables = SharedOrOwn<ConsentTable>;

// Fraud alerts, as the fraud-alert-delivery invariant defines them. A detection is
// "alertable" if the consent named in its fraud.detected entry is, at that
// instant, Authorised, unexpired, the subject's own and has the fraud_alerts
// purpose. A display counts only if it is an alert.displayed for the same ref in
// chat:<subject>; the first is the delivery, every later one a duplicate. An
// alertable alert is "withheld" when the bank publishes webhook.withheld for it at
// an instant its consent is no longer active (the bank may not send it any more):
// from then on it is not owed, unless it is displayed after all. A webhook.withheld
// while the consent is still active changes nothing: the alert stays owed.
class AlertDeliveryTracker {
 public:
  static constexpr std::uint64_t kTypeMask = ConsentTable::kTypeMask |
                                             mocks::TypeBit(mocks::EntryType::kFraudDetected) |
                                             mocks::TypeBit(mocks::EntryType::kAlertDisplayed) |
                                             mocks::TypeBit(mocks::EntryType::kWebhookWithheld);
  struct Alert {
    mocks::TraceEntry detected;
    mocks::TraceEntry first_display;  // valid if displays > 0
    std::uint32_t displays = 0;
    bool alertable = false;
    bool withheld = false;  // withheld by the bank after its consent ended, never displayed
  };
  enum class Outcome { kNone, kFirstDisplay, kDuplicate };

  // `consents` (borrowed, may be null: then the tracker keeps its own) is the shared
  // consent table (MonitorContext::consents).
  explicit AlertDeliveryTracker(const ConsentTable* consents = nullptr) : consents_(consents) {}

  // Returns what `e` did; for kFirstDisplay / kDuplicate, *alert is the alert.
  Outcome OnEntry(const mocks::TraceEntry& e, const Alert** alert = nullptr);

  const ConsentTable& consents() const { return *consents_; }
  // Alertable detections, in detection order (non-alertable ones are not kept).
  const std::vector<Alert>& alerts() const { return alerts_; }
  std::uint64_t displayed() const { return displayed_; }
  std::uint64_t duplicated() const { return duplicated_; }
  // Alertable alerts withheld (so far) and not displayed.
  std::uint64_t withheld() const { return withheld_; }
  // Alertable detections neither displayed nor withheld (so far).
  std::uint64_t lost() const { return alerts_.size() - displayed_ - withheld_; }
  // Detection-to-first-display latencies of displayed alertable alerts, ascending.
  std::vector<SimTime> SortedLatencies() const;

 private:
  ConsentTables consents_;
  std::vector<Alert> alerts_;
  std::unordered_map<std::uint64_t, std::size_t> index_by_ref_;
  std::uint64_t displayed_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t withheld_ = 0;
};

// The platform's cache as the trace shows it: one record per live cache item
// (cache.put inserts or replaces the item under e.ref, cache.purge removes it).
// One table serves every reader (revocation-honoured, retention-limit, the
// cache_items_max metric), so a put or purge costs one hash operation, not one per
// reader (24 M of each in a million-customer month).
//
// Order: readers see the table as it was BEFORE the entry they are handling (a
// deadline at t is judged against the items before a purge at t), and the owner
// applies each put/purge with OnEntry() after every reader has seen it: the runner
// subscribes the table to the bus after all monitors and the metrics. A put's
// generation is thus known before it is applied (next_generation()).
//
// Memory: one 32-byte slot per live item at load factor <= 1/2. Not thread-safe.
class CacheItemTable final : public mocks::WorldTraceSubscriber {
 public:
  static constexpr std::uint64_t kTypeMask =
      mocks::TypeBit(mocks::EntryType::kCachePut) | mocks::TypeBit(mocks::EntryType::kCachePurge);
  // What evidence needs of the put, in 24 bytes (+ 8 for the key). REQUIRES:
  // consent ids < 2^32 (ids are allocated densely from 1; ConsentTable indexes a
  // vector by them) and fewer than 2^40 puts per run (about 10^12; a 30-day run of
  // a million customers has 2.4 x 10^7): generations compare modulo 2^40.
  struct Item {
    SimTime put_time = 0;
    std::uint64_t generation : 40 = 0;  // which put, counting from 1
    std::uint64_t bank : 16 = mocks::kNoBank;
    std::uint64_t categories : 8 = 0;
    std::uint32_t consent = 0;
    mocks::CustomerId subject = mocks::kNoSubject;

    // The cache.put entry that made this item, under `key`.
    mocks::TraceEntry Put(std::uint64_t key) const;
  };
  static constexpr std::uint64_t kGenerationMask = (1ULL << 40) - 1;

  void OnEntry(const mocks::TraceEntry& e) override {
    if (e.type == mocks::EntryType::kCachePut) {
      ++puts_;
      items_[e.ref] = Item{e.time,    puts_ & kGenerationMask,   e.bank,
                           e.categories, std::uint32_t(e.consent), e.subject};
      if (items_.size() > size_max_) size_max_ = items_.size();
    } else if (e.type == mocks::EntryType::kCachePurge) {
      items_.erase(e.ref);
    }
  }

  // A hint that an entry for `key` comes soon (AsyncTraceForwarder::SetLookahead).
  [[gnu::always_inline]] void Prefetch(std::uint64_t key) const { items_.Prefetch(key); }
  // nullptr if no item is cached under `key`.
  const Item* Find(std::uint64_t key) const { return items_.find(key); }
  // Whether the item under `key` is still the one put with `generation`.
  bool Live(std::uint64_t key, std::uint64_t generation) const {
    const Item* item = items_.find(key);
    return item != nullptr && item->generation == (generation & kGenerationMask);
  }
  // The generation the next put will have.
  std::uint64_t next_generation() const { return (puts_ + 1) & kGenerationMask; }
  std::size_t size() const { return items_.size(); }
  // The most items live at once so far.
  std::size_t size_max() const { return size_max_; }

 private:
  FlatMap<Item> items_;
  std::uint64_t puts_ = 0;
  std::size_t size_max_ = 0;
};
static_assert(sizeof(CacheItemTable::Item) == 24);

// The cache-item table a reader consults (MonitorContext::cache_items; see
// SharedOrOwn).
using CacheItems = SharedOrOwn<CacheItemTable>;

// A min-queue of (deadline, payload) with a stable order for equal deadlines.
template <typename Payload>
class DeadlineQueue {
 public:
  // Deadlines pushed in non-decreasing order (the common case: a constant offset
  // from the entry's time) go to a FIFO in O(1), and so do those less than
  // kReorder places out of order (an offset from an instant a little earlier than
  // the entry's, such as when a bank served a datum), inserted in place; others go
  // to a heap. Pop takes the earlier of the two fronts, ties in push order.
  void Push(SimTime deadline, const Payload& p) {
    PushWith(deadline, [&p](Payload& to) { to = p; });
  }
  // The same, the payload written by fill(Payload&) where it is kept: in the common
  // case straight into the FIFO's new last item, field by field. (An item built on
  // the stack and then copied was read back by loads wider than the stores that
  // wrote it, which store forwarding cannot serve: a stall per push, a quarter of
  // retention-limit's time.)
  template <typename Fill>
  void PushWith(SimTime deadline, Fill&& fill) {
    if (fifo_head_ == fifo_.size()) {
      fifo_.clear();
      fifo_head_ = 0;
    }
    if (fifo_head_ == fifo_.size() || deadline >= fifo_.back().deadline) {
      Item& to = fifo_.emplace_back();
      to.deadline = deadline;
      to.seq = seq_++;
      fill(to.payload);
      return;
    }
    Item item{deadline, seq_++, Payload{}};
    fill(item.payload);
    // After the last queued deadline <= this one, if that is near the back.
    std::size_t at = fifo_.size() - 1;  // fifo_[at].deadline > deadline
    for (std::size_t steps = 1; at > fifo_head_ && fifo_[at - 1].deadline > deadline; --at) {
      if (++steps > kReorder) {
        heap_.push(item);
        return;
      }
    }
    fifo_.insert(fifo_.begin() + std::ptrdiff_t(at), item);
  }
  bool empty() const { return fifo_head_ == fifo_.size() && heap_.empty(); }
  SimTime next_deadline() const { return Front().deadline; }
  Payload Pop() {
    if (FromFifo()) {
      Payload p = fifo_[fifo_head_++].payload;
      if (fifo_head_ > 4096 && fifo_head_ * 2 > fifo_.size()) {
        fifo_.erase(fifo_.begin(), fifo_.begin() + std::ptrdiff_t(fifo_head_));
        fifo_head_ = 0;
      }
      return p;
    }
    Payload p = heap_.top().payload;
    heap_.pop();
    return p;
  }
  std::size_t size() const { return fifo_.size() - fifo_head_ + heap_.size(); }
  // The payload k places behind the FIFO's front, or nullptr: what will probably
  // be popped soon, for prefetching (the heap's order is not looked at).
  const Payload* FifoAhead(std::size_t k) const {
    return fifo_head_ + k < fifo_.size() ? &fifo_[fifo_head_ + k].payload : nullptr;
  }

 private:
  struct Item {
    SimTime deadline;
    std::uint64_t seq;
    Payload payload;
    bool operator>(const Item& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };
  bool FromFifo() const {
    if (fifo_head_ == fifo_.size()) return false;
    if (heap_.empty()) return true;
    return heap_.top() > fifo_[fifo_head_];
  }
  const Item& Front() const { return FromFifo() ? fifo_[fifo_head_] : heap_.top(); }

  static constexpr std::size_t kReorder = 64;
  std::vector<Item> fifo_;
  std::size_t fifo_head_ = 0;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap_;
  std::uint64_t seq_ = 0;
};

}  // namespace bpsim::harness
