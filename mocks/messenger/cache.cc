#include "mocks/messenger/cache.h"

namespace bpsim::mocks {
namespace {

std::uint64_t ItemKey(CustomerId c, int slot) { return (std::uint64_t(c) << 3) | unsigned(slot); }

}  // namespace

int CacheSlotOf(Category c) {
  switch (c) {
    case Category::kAccounts: return 0;
    case Category::kBalance: return 1;
    case Category::kTransactions: return 2;
    default: return -1;
  }
}

DatumCache::DatumCache(const Env* env, std::uint32_t customers)
    : env_(env), slots_(std::size_t(customers) * kCacheSlots) {}

BankDatum DatumCache::Get(CustomerId c, int slot) const {
  const Slot& s = at(c, slot);
  if (s.put_at < 0) return BankDatum();
  return BankDatum(s.served_at, s.consent, c, s.bank, kCachedCategories[slot], s.consent_purposes);
}

void DatumCache::Put(const BankDatum& datum) {
  const int slot = CacheSlotOf(datum.category());
  if (slot < 0 || !datum.valid()) return;
  const CustomerId c = datum.subject();
  const SimTime now = env_->Now();
  Slot& s = at(c, slot);
  if (s.put_at < 0) ++items_;
  s = Slot{now, datum.served_at(), std::uint32_t(datum.consent()), datum.bank(),
           datum.consent_purposes()};
  EmitFlows(*env_, kConnector, kCache, kPurposeDisplay, Payload().Copy(datum));
  TraceEntry put;
  put.type = EntryType::kCachePut;
  put.from = kCache;
  put.subject = c;
  put.bank = datum.bank();
  put.consent = datum.consent();
  put.categories = CategoryBit(datum.category());
  put.ref = ItemKey(c, slot);
  put.value = now;
  put.aux = datum.served_at();
  env_->Emit(put);
  expiries_.push_back(Expiry{now, c, static_cast<std::uint8_t>(slot)});
}

void DatumCache::Purge(CustomerId c, int slot, PurgeReason reason) {
  Slot& s = at(c, slot);
  if (s.put_at < 0) return;
  TraceEntry e;
  e.type = EntryType::kCachePurge;
  e.from = kCache;
  e.subject = c;
  e.consent = s.consent;
  e.bank = s.bank;
  e.categories = CategoryBit(kCachedCategories[slot]);
  e.ref = ItemKey(c, slot);
  e.value = s.put_at;
  e.reason = static_cast<std::uint8_t>(reason);
  env_->Emit(e);
  s = Slot{};
  --items_;
}

void DatumCache::PurgeConsent(CustomerId c, ConsentId consent, PurgeReason reason) {
  for (int slot = 0; slot < kCacheSlots; ++slot) {
    if (at(c, slot).put_at >= 0 && at(c, slot).consent == consent) Purge(c, slot, reason);
  }
}

void DatumCache::PurgeAll(PurgeReason reason) {
  const auto customers = static_cast<CustomerId>(slots_.size() / kCacheSlots);
  for (CustomerId c = 0; c < customers && items_ > 0; ++c) {
    for (int slot = 0; slot < kCacheSlots; ++slot) Purge(c, slot, reason);
  }
  expiries_.clear();
}

void DatumCache::Sweep(SimTime ttl, bool skip, const LocalClock& clock) {
  const SimTime now = clock.Now();
  // Each expiry reads a random customer's slot: prefetch the slot of the expiry
  // kAhead places on, so the reads overlap.
  constexpr std::size_t kAhead = 8;
  while (!expiries_.empty() && clock.Local(expiries_.front().put_at) + ttl <= now) {
    if (expiries_.size() > kAhead) {
      const Expiry& far = expiries_[kAhead];
      Prefetch(far.customer, far.slot);
    }
    Expiry x = expiries_.front();
    expiries_.pop_front();
    if (skip) continue;
    if (at(x.customer, x.slot).put_at == x.put_at) Purge(x.customer, x.slot, PurgeReason::kTtl);
  }
}

}  // namespace bpsim::mocks
