#pragma once
// The bank's view of its customers' accounts: a checking account and a card account
// per customer, with integer-cent balances (STYLE.md 8). The population keeps the
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
};

inline constexpr const char* kMerchantCategories[] = {
    "groceries", "restaurants", "transport", "fuel",  "online_retail",
    "utilities", "entertainment", "travel",  "health", "cash_withdrawal"};
inline constexpr int kMerchantCategoryCount = 10;

class LedgerView {
 public:
  virtual ~LedgerView() = default;
  virtual Balances BalanceAt(CustomerId customer, SimTime t) const = 0;
  // Card transactions with from <= time < to, in time order, charged ones only
  // (fraud declined after the card was blocked is not included).
  virtual void TransactionsIn(CustomerId customer, SimTime from, SimTime to,
                              std::vector<CardTransaction>* out) const = 0;
};

}  // namespace bpsim::mocks
