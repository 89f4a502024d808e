#include "harness/live/page_cache.h"

namespace bpsim::harness::live {

std::size_t CardPageCache::SlotOf(const Query& query) {
  std::uint64_t h = query.customer;
  for (std::uint64_t v : {std::uint64_t(query.from), std::uint64_t(query.to),
                          std::uint64_t(query.booked) << 1 | std::uint64_t(query.pending)}) {
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;  // mixes every field into the high bits
    h ^= h >> 29;
  }
  return std::size_t(h % kSlots);
}

const CardPageCache::Page* CardPageCache::Find(const Query& query, std::string_view base,
                                               std::string_view account_text,
                                               const std::vector<mocks::CardTransaction>& ledger,
                                               SimTime now) {
  if (!enabled_) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const std::size_t slot = SlotOf(query);
  const Page& p = slots_[slot];
  // An empty slot's page has changes_at 0: valid at no instant.
  const bool hit = p.written_at <= now && now < p.changes_at && p.query == query &&
                   p.base == base && p.account_text == account_text && p.ledger == ledger;
  (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return hit ? &p : nullptr;
}

void CardPageCache::Keep(Page&& page) {
  if (!enabled_ || page.body.size() > kMaxBody) return;
  const std::size_t slot = SlotOf(page.query);
  slots_[slot] = std::move(page);
}

}  // namespace bpsim::harness::live
