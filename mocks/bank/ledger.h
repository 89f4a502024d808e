#pragma once
// The bank's view of its customers' accounts: a checking account and a card account
// per customer, with integer-cent balances (docs/architecture.md, convention 8). The population keeps the
// ledger (mocks/customers/population.h) and answers these questions exactly from
// its deterministic transaction streams, so no transaction needs to be stored.

#include <cstdint>
#include <vector>

#include "mocks/trace.h"

namespace bpsim::mocks {

struct Balances {
  std::int64_t checking_cents = 0;
  std::int64_t card_cents = 0;  // negative: owed on the card
};

struct CardTransaction {
  SimTime time = 0;
  std::int64_t amount_cents = 0;   // positive: spent
  std::uint8_t merchant_category = 0;  // index into kMerchantCategories
  bool fraudulent = false;
  bool flagged = false;            // the fraud engine's false-positive flag (legit only)
  std::uint32_t seq = 0;           // position within its day, for ids

  bool operator==(const CardTransaction&) const = default;  // every field
};

// An entry on the checking account: a salary credit (positive cents) on payday at
// 09:00. The card's statement payments are not listed (only the current day's is
// known without replaying the ledger).
struct CheckingEntry {
  SimTime time = 0;
  std::int64_t amount_cents = 0;
};

inline constexpr const char* kMerchantCategories[] = {
    "groceries", "restaurants", "transport", "fuel",  "online_retail",
    "utilities", "entertainment", "travel",  "health", "cash_withdrawal"};
inline constexpr int kMerchantCategoryCount = 10;

// Card transactions are authorised at `time` (the balance moves then: it is the
// available balance) and booked, posted to the card account, later: in the bank's
// nightly posting run at 02:00, one, two or three days after the day of
// authorisation (60%, 30%, 10%). Until then the transaction is pending. The booking
// time is a pure function of (seed, customer, the transaction's day and sequence),
// so the ledger stores nothing more, simulated behaviour does not depend on it and
// the traces are unchanged; live mode serves pending and booked transactions from
// it, each under its own id (the booked one refers to the pending one).
inline constexpr SimTime kCardPostingTime = 2 * kHour;
inline constexpr SimTime kMaxCardBookingDelay = 4 * kDay;  // an upper bound, for windows

class LedgerView {
 public:
  virtual ~LedgerView() = default;
  // The checking account's salary credits with from <= time < to, in time order.
  virtual void CheckingEntriesIn(CustomerId customer, SimTime from, SimTime to,
                                 std::vector<CheckingEntry>* out) const = 0;
  // When card transaction `tx` of `customer` is booked (> tx.time, see above).
  virtual SimTime CardBookedAt(CustomerId customer, const CardTransaction& tx) const = 0;
  virtual Balances BalanceAt(CustomerId customer, SimTime t) const = 0;
  // Card transactions with from <= time < to, in time order, charged ones only
  // (fraud declined after the card was blocked is not included).
  virtual void TransactionsIn(CustomerId customer, SimTime from, SimTime to,
                              std::vector<CardTransaction>* out) const = 0;
  // A hint that `customer`'s ledger is read soon: what every read touches first may be
  // fetched into the cache now (Simulator::SetPrefetch). Changes nothing.
  virtual void Prefetch(CustomerId /*customer*/) const {}
};

}  // namespace bpsim::mocks
