#pragma once
// Card transaction pages, written once and sent again while nothing they show can
// differ (issue 16: the Berlin Group card transactions endpoint spent half its user
// time writing the same JSON for every request of a fixed period).
//
// A page is the body of GET /v1/card-accounts/{id}/transactions: a pure function of
// the customer, the query (dateFrom, dateTo, bookingStatus), the links' base and
// account id as the client wrote it, the card transactions the ledger returned for
// the request's window, and, for each of them, whether it is booked yet (its
// booking instant, a pure function of the transaction, against the simulated now).
// So a kept page is sent again only when every one of these is the same:
//   - the same query, base and account id (compared, not hashed);
//   - the same transactions, field by field: the ledger is read on every request
//     (Bank::Handle still decides and traces it), so a period whose transactions
//     changed (today's new ones, fraud charged since) is never answered from an old
//     page, whatever the reason for the change;
//   - now in [written_at, changes_at): changes_at is the earliest booking instant
//     among the transactions still pending when the page was written, so no
//     transaction has moved from pending to booked since.
// The amounts the page shows are kept with it, in the order written, so that the
// served registry (canaries, served.h) notes them again for each request, as it
// would for a page written anew.
//
// Bounded: kSlots slots, a page goes to the slot its query hashes to (a collision
// replaces the older page), and a body longer than kMaxBody is never kept (at most
// 512 x 32 KiB of bodies).
//
// Not thread-safe: REQUIRES the world's mutex held, as every LiveBank call (the
// counters alone are atomic, for /metrics).

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mocks/bank/ledger.h"
#include "mocks/trace.h"
#include "sim/time.h"

namespace bpsim::harness::live {

class CardPageCache {
 public:
  static constexpr std::size_t kSlots = 512;
  static constexpr std::size_t kMaxBody = 32 * 1024;

  struct Query {
    mocks::CustomerId customer = 0;
    SimTime from = 0, to = 0;
    bool booked = true, pending = false;
    bool operator==(const Query&) const = default;
  };
  struct Page {
    Query query;
    std::string base, account_text;
    std::vector<mocks::CardTransaction> ledger;  // what the ledger returned
    SimTime written_at = 0, changes_at = 0;  // valid in [written_at, changes_at)
    std::vector<std::int64_t> amounts;           // as noted, in order
    std::string body;
  };

  CardPageCache() : slots_(kSlots) {}

  // The page kept for exactly this request at `now`, or null; counts a hit or a miss
  // (every call is one page sent, kept or written).
  const Page* Find(const Query& query, std::string_view base, std::string_view account_text,
                   const std::vector<mocks::CardTransaction>& ledger, SimTime now);
  // Keeps `page` (moved from) unless its body is too long; replaces the slot's page.
  void Keep(Page&& page);

  // Off: Find finds nothing and Keep keeps nothing (tests compare both ways).
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static std::size_t SlotOf(const Query& query);

  std::vector<Page> slots_;  // an empty slot: a default Page, valid at no instant
  bool enabled_ = true;
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

}  // namespace bpsim::harness::live
