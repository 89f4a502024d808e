#pragma once
// The values live mode's banks serve (docs/live-mode.md), each unique to its subject so that
// a leak into ads, analytics or a partner is recognisable even from a black box:
//   account ids      BANKID-CCCCCCCC-CHK / BANKID-CCCCCCCC-CARD  (BANKID = the bank's
//                    scenario id upper-cased, CCCCCCCC = the customer number, 8 digits)
//   IBANs            the checking account's, DEkk 5BBB0000 CCCCCCCC00 (BBB = bank index,
//                    CCCCCCCC = the customer number; kk = ISO 13616 check digits)
//   masked PANs      the card's, 49BBBB*****CCCCCCCC (BBBB = bank index)
//   transaction ids  TX-CCCCCCCC-DDDDD-SSSS (customer, simulated day of the card
//                    authorisation, sequence in that day); while the transaction is
//                    pending (authorised, not yet booked) it is TX-CCCCCCCC-DDDDD-SSSS-P,
//                    and the booked one refers to it by that id
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

// "NORTHBANK-": how every account id of bank `bank_id` begins (the id upper-cased),
// for making them and for finding them in text.
std::string AccountIdPrefix(std::string_view bank_id);
std::string AccountId(std::string_view bank_id, mocks::CustomerId customer, AccountKind kind);
// Parses an id made by AccountId for this bank; nullopt for anything else.
std::optional<AccountRef> ParseAccountId(std::string_view bank_id, std::string_view text);
std::string TransactionId(mocks::CustomerId customer, const mocks::CardTransaction& tx);
// The id of a salary credit on the checking account (sequence 9000 of its day).
std::string SalaryTransactionId(mocks::CustomerId customer, SimTime at);
inline constexpr std::uint32_t kSalarySeq = 9000;
// The id of the same transaction while it is pending (TransactionId + "-P").
std::string PendingTransactionId(mocks::CustomerId customer, const mocks::CardTransaction& tx);
// The transaction an id names, for a customer whose day's transactions are known:
// (day, seq, pending) parsed from either form; nullopt if malformed or not c's.
struct TransactionRef {
  std::uint32_t day = 0;
  std::uint32_t seq = 0;
  bool pending = false;
};
std::optional<TransactionRef> ParseTransactionId(mocks::CustomerId customer, std::string_view text);

// The checking account's IBAN and the card's masked PAN (see above), and back: the
// customer whose account it is at bank `bank`, or nullopt.
std::string Iban(mocks::BankIndex bank, mocks::CustomerId customer);
std::optional<mocks::CustomerId> ParseIban(mocks::BankIndex bank, std::string_view text);
std::string MaskedPan(mocks::BankIndex bank, mocks::CustomerId customer);
std::optional<mocks::CustomerId> ParseMaskedPan(mocks::BankIndex bank, std::string_view text);
// |cents| as "D.CC" (the sign travels separately, as both standards want).
std::string FormatAmount(std::int64_t cents);

// "2025-01-03T04:05:06+00:00" / "2025-01-03" for a simulated instant (>= 0).
std::string FormatDateTime(SimTime t);
std::string FormatDate(SimTime t);
// FormatAmount, FormatDateTime, FormatDate and TransactionId appended to *out: the
// live answers' hot path, without a temporary string or printf.
void AppendAmount(std::string* out, std::int64_t cents);
void AppendDateTime(std::string* out, SimTime t);
void AppendDate(std::string* out, SimTime t);
void AppendTransactionId(std::string* out, mocks::CustomerId customer,
                         const mocks::CardTransaction& tx);
// What a date-time's zone (Z, +hh:mm, -hh:mm) does: kApply converts to UTC (dates in
// bodies); kIgnore reads the local time as UTC, as OBIE prescribes for its query
// filters ("the ASPSP must ignore the timezone component").
enum class Zone : std::uint8_t { kApply, kIgnore };
// ISO 8601 date-time ("2025-01-03T04:05:06", optional fraction, optional zone) or a
// bare date; nullopt if malformed. A space where the zone's sign belongs is read as
// '+' (a '+' sent unencoded in a query arrives as a space after form decoding).
// Instants before the epoch are negative (history before it is empty, not an
// error); dates before 1900-01-01 are read as 1900-01-01, from 2200-01-01 on as
// 2200-01-01 (simulated time is 64-bit nanoseconds).
std::optional<SimTime> ParseDateTime(std::string_view text, Zone zone = Zone::kApply);

}  // namespace bpsim::harness::live
