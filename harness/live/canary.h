#pragma once
// The values live mode's banks serve (DESIGN §8), each unique to its subject so that
// a leak into ads, analytics or a partner is recognisable even from a black box:
//   account ids      BANKID-CCCCCCCC-CHK / BANKID-CCCCCCCC-CARD  (BANKID = the bank's
//                    scenario id upper-cased, CCCCCCCC = the customer number, 8 digits)
//   transaction ids  TX-CCCCCCCC-DDDDD-SSSS (customer, simulated day, sequence in day)
//   amounts          the ledger's integer cents, printed to the cent ("1234.56")
// Times are simulated instants printed as UTC date-times from the live epoch
// 2025-01-01T00:00:00+00:00 (simulated time 0).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mocks/bank/ledger.h"
#include "mocks/trace.h"

namespace bpsim::harness::live {

enum class AccountKind : std::uint8_t { kChecking, kCard };

struct AccountRef {
  mocks::CustomerId customer = 0;
  AccountKind kind = AccountKind::kChecking;
};

std::string AccountId(std::string_view bank_id, mocks::CustomerId customer, AccountKind kind);
// Parses an id made by AccountId for this bank; nullopt for anything else.
std::optional<AccountRef> ParseAccountId(std::string_view bank_id, std::string_view text);
std::string TransactionId(mocks::CustomerId customer, const mocks::CardTransaction& tx);
// |cents| as "D.CC" (the sign travels separately, as both standards want).
std::string FormatAmount(std::int64_t cents);

// "2025-01-03T04:05:06+00:00" / "2025-01-03" for a simulated instant (>= 0).
std::string FormatDateTime(SimTime t);
std::string FormatDate(SimTime t);
// ISO 8601 date-time ("2025-01-03T04:05:06", optional fraction, optional Z or
// +hh:mm which is ignored as OBIE prescribes) or a bare date; nullopt if malformed
// or before the epoch. Dates from 2200-01-01 on are read as 2200-01-01T00:00:00.
std::optional<SimTime> ParseDateTime(std::string_view text);

}  // namespace bpsim::harness::live
