#pragma once
// The platform's cache of bank data (docs/world.md): per customer one slot per
// cached category, holding the datum the bank served (with its provenance, as the
// bank minted it) and the instant it was put. A put replaces the slot's item.
// Publishes what the cache does: the connector -> cache flow and cache.put on a put,
// cache.purge on a purge. The TTL is one constant, so items expire in put order and
// the sweeper reads a FIFO of expiries.
//
// This is working memory, not a record: a restarted platform would start empty.
// A slot is 24 bytes (a datum without the customer and category its place implies);
// REQUIRES consent ids < 2^32 (ids are allocated densely from 1).

#include <cstdint>
#include <deque>

#include "mocks/bank/consent.h"
#include "mocks/clock.h"
#include "mocks/env.h"
#include "mocks/provenance.h"
#include "sim/huge_pages.h"
#include "sim/prefetch.h"

namespace bpsim::mocks {

// Which categories the platform caches, in slot order.
inline constexpr Category kCachedCategories[] = {Category::kAccounts, Category::kBalance,
                                                 Category::kTransactions};
inline constexpr int kCacheSlots = 3;
// The slot of a cached category, or -1.
int CacheSlotOf(Category c);

class DatumCache {
 public:
  DatumCache(const Env* env, std::uint32_t customers);

  // The datum cached for `c` in `slot`; invalid if the slot is empty.
  BankDatum Get(CustomerId c, int slot) const;
  bool Has(CustomerId c, int slot) const { return at(c, slot).put_at >= 0; }
  SimTime put_at(CustomerId c, int slot) const { return at(c, slot).put_at; }
  ConsentId consent(CustomerId c, int slot) const { return at(c, slot).consent; }
  std::uint64_t items() const { return items_; }
  // Asks the CPU for the line of `c`'s `slot` ahead of a read (Simulator::SetPrefetch,
  // Sweep).
  [[gnu::always_inline]] void Prefetch(CustomerId c, int slot) const {
    bpsim::Prefetch(&at(c, slot));
  }
  // The same for every slot of `c`: their 72 bytes span two lines for most
  // customers, and a request that reads one slot (a poll: accounts) writes another
  // when its answer comes (the balance: DatumCache::Put).
  [[gnu::always_inline]] void PrefetchCustomer(CustomerId c) const {
    bpsim::PrefetchSpan(&at(c, 0), kCacheSlots * sizeof(Slot));
  }

  // Stores `datum` (a category the cache keeps) at Now(), replacing the slot's item.
  void Put(const BankDatum& datum);
  void Purge(CustomerId c, int slot, PurgeReason reason);
  // Purges every item of `c` cached under `consent`.
  void PurgeConsent(CustomerId c, ConsentId consent, PurgeReason reason);
  // The platform crashed: every item is gone (published as purges with reason
  // crash, customer by customer), and so is the expiry FIFO.
  void PurgeAll(PurgeReason reason);

  // The sweeper's round: takes every item that `clock` (the platform's own) says is at
  // least `ttl` old off the expiry FIFO and purges it (if it is still the item that
  // was put then), unless `skip` (the platform.cache_never_expires defect) leaves it
  // where it is. Put times are kept in true time; their age is read on `clock`.
  void Sweep(SimTime ttl, bool skip, const LocalClock& clock);

 private:
  struct Slot {
    SimTime put_at = -1;  // -1: empty
    SimTime served_at = 0;
    std::uint32_t consent = 0;
    BankIndex bank = kNoBank;
    PurposeSet consent_purposes = 0;
  };
  static_assert(sizeof(Slot) == 24);
  struct Expiry {
    SimTime put_at;
    CustomerId customer;
    std::uint8_t slot;
  };
  const Slot& at(CustomerId c, int slot) const { return slots_[std::size_t(c) * kCacheSlots + slot]; }
  Slot& at(CustomerId c, int slot) { return slots_[std::size_t(c) * kCacheSlots + slot]; }

  const Env* env_;
  HugeVector<Slot> slots_;  // per customer, read at random: on huge pages
  std::uint64_t items_ = 0;
  std::deque<Expiry> expiries_;
};

}  // namespace bpsim::mocks
